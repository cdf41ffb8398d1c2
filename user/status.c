// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `status`: what is attached where, its modes, table fill, floods, drops;
 * read the way `stats` reads it (lib/readout.h). */
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <bpf/bpf.h>
#include "attstate.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "kernel_features.h"
#include "loader.h"
#include "netns.h"
#include "opts.h"
#include "pins.h"
#include "readout.h"
#include "vlans.h"

static const struct ts_cmd status_cmd = {
	.name = "status",
	.doc = "What is attached in this network namespace: whether the pins still tell\n"
	       "the truth (live, or stale: the interface was deleted and created again,\n"
	       "our programs are gone from it), XDP mode, tc egress, pins, table fill,\n"
	       "packets, SYN floods on now, drops by reason.\n",
	.opts = ts_read_options,
	.defaults = &(const struct ts_read_opts){},
	.size = sizeof(struct ts_read_opts),
};

/* --vlans as attach took it, and the IDs the map holds now ("unknown": an
 * older attach, no map) */
static const char *vlans_mode(const struct ts_att *a)
{
	if (a->meta.flags & TS_META_VLANS_ANY)
		return "any";
	return a->meta.flags & TS_META_VLANS_LIST ? "list" : "auto";
}

static void vlans_str(const struct ts_att *a, char *buf, size_t n)
{
	struct ts_vlans v;
	__u32 zero = 0;

	if (a->vlans_fd < 0 || bpf_map_lookup_elem(a->vlans_fd, &zero, &v))
		snprintf(buf, n, "unknown");
	else
		ts_vlans_str(&v, buf, n);
}

static void print_json(const struct ts_att *a, const struct ts_readout *r,
		       const struct ts_tables *t, const struct ts_flood *floods, __u64 now)
{
	int egress = !!(a->meta.flags & TS_META_EGRESS);
	char ids[96];

	printf("{\"iface\":\"");
	ts_json_str(stdout, a->ifname);
	printf("\",\"netns\":%llu,\"ifindex\":%u,\"xdp_mode\":\"%s\",\"egress\":%s,"
	       "\"tracking\":\"%s\",\"chained_prog_id\":%u,\"attached_unix\":%llu,\"pins\":\"%s\","
	       "\"flows\":%ld,\"flows_capacity\":%llu,\"embryonic\":%ld,"
	       "\"embryonic_capacity\":%llu,\"packets_ingress\":%llu,"
	       "\"packets_egress\":%llu,\"events_lost\":%llu,\"syn_floods\":",
	       (unsigned long long)ts_netns_id(), a->meta.ifindex,
	       ts_xdp_mode_name((int)a->meta.xdp_mode), egress ? "true" : "false",
	       egress ? "bidirectional" : "unidirectional", a->meta.chained_prog_id,
	       (unsigned long long)a->meta.attached_unix, a->dir, t->flows,
	       (unsigned long long)t->flows_capacity, t->embryonic,
	       (unsigned long long)t->embryonic_capacity, (unsigned long long)r->c[TS_C_PKTS_IN],
	       (unsigned long long)r->c[TS_C_PKTS_OUT], (unsigned long long)r->c[TS_C_EVENTS_LOST]);
	ts_print_floods(stdout, floods, now, 1, "");
	ts_print_drops(stdout, &r->drops, 1);
	printf(",\"xdp_chaining\":\"%s\"", r->att.chaining);
	printf(",\"checksum\":\"%s\"", a->meta.flags & TS_META_CSUM_FULL ? "full" : "partial");
	vlans_str(a, ids, sizeof(ids));
	printf(",\"vlans\":\"%s\",\"vlan_ids\":\"%s\"", vlans_mode(a), ids);
	ts_features_print_json(stdout, r->att.features);
	printf(",\"state\":\"%s\"", ts_att_state_name(r->att.state));
	if (r->att.state != TS_ATT_LIVE) {
		printf(",\"state_why\":\"");
		ts_json_str(stdout, r->att.why);
		printf("\"");
	}
	printf("}\n");
}

static void print_text(const struct ts_att *a, const struct ts_readout *r,
		       const struct ts_tables *t, const struct ts_flood *floods, __u64 now)
{
	time_t at = (time_t)a->meta.attached_unix;
	char when[32], ids[96];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&at));
	printf("%s (ifindex %u, netns ns%llu)\n", a->ifname, a->meta.ifindex,
	       (unsigned long long)ts_netns_id());
	if (r->att.state == TS_ATT_LIVE)
		printf("  state:        live\n");
	else
		printf("  state:        %s: %s; `tcpsentry attach %s` replaces it, `detach %s` "
		       "removes it (the figures below are the pins', not the interface's)\n",
		       ts_att_state_name(r->att.state), r->att.why, a->ifname, a->ifname);
	printf("  xdp ingress:  %s mode", ts_xdp_mode_name((int)a->meta.xdp_mode));
	if (a->meta.flags & TS_META_CHAINED)
		printf(", then XDP program id %u (chained)", a->meta.chained_prog_id);
	printf("\n");
	printf("  xdp chaining: %s\n", r->att.chaining_desc);
	ts_features_print_off(stdout, r->att.features, "  kernel:       ");
	printf("  tc egress:    %s\n", a->meta.flags & TS_META_EGRESS ?
	       "on (both directions tracked)" : "off (unidirectional model: ingress only)");
	printf("  checksums:    %s\n", a->meta.flags & TS_META_CSUM_FULL ?
	       "full (a wire device: a pseudo-header-only TCP checksum moves nothing)" :
	       "partial taken (a virtual device: a local peer leaves them to the hardware)");
	vlans_str(a, ids, sizeof(ids));
	printf("  vlans:        %s: %s (a frame tagged with a VLAN ID not taken is the "
	       "kernel's to drop: passed, untracked)\n", vlans_mode(a), ids);
	printf("  attached:     %s\n", when);
	printf("  pins:         %s\n", a->dir);
	printf("  flows:        %ld / %llu\n", t->flows, (unsigned long long)t->flows_capacity);
	printf("  embryonic:    %ld / %llu\n", t->embryonic,
	       (unsigned long long)t->embryonic_capacity);
	printf("  packets:      %llu in, %llu out\n", (unsigned long long)r->c[TS_C_PKTS_IN],
	       (unsigned long long)r->c[TS_C_PKTS_OUT]);
	printf("  events lost:  %llu\n", (unsigned long long)r->c[TS_C_EVENTS_LOST]);
	ts_print_floods(stdout, floods, now, 0, "  ");
	ts_print_drops(stdout, &r->drops, 0);
}

int cmd_status(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct ts_read_opts o;
	int first, n, i, rc;

	rc = ts_opts_parse(&status_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	n = ts_att_open_all(o.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	if (n == 0 && !o.json)
		printf("nothing attached in this network namespace (ns%llu)\n",
		       (unsigned long long)ts_netns_id());
	for (i = 0; i < n; i++) {
		struct ts_view v;

		ts_gc_sweep(&atts[i]); /* the table fill without what has expired */
		ts_read_view(&atts[i], &v); /* unreadable counters read as zero */
		if (o.json)
			print_json(&atts[i], &v.r, &v.t, v.floods, ts_now_ns());
		else
			print_text(&atts[i], &v.r, &v.t, v.floods, ts_now_ns());
	}
	ts_att_close_all(atts, n);
	return 0;
}
