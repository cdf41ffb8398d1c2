// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `stats`: every counter, anomaly count, table fill, flood and drop of the
 * attachments; read the way `status` reads it (lib/readout.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "log.h"
#include "opts.h"
#include "pins.h"
#include "readout.h"

static const struct ts_cmd stats_cmd = {
	.name = "stats",
	.doc = "The counters of each attachment: packets by kind, parse errors, table\n"
	       "inserts and evictions, events, SYN cookies, anomalies by kind, table fill,\n"
	       "SYN floods on now, drops and would-drops by reason.\n",
	.opts = ts_read_options,
	.defaults = &(const struct ts_read_opts){},
	.size = sizeof(struct ts_read_opts),
};

/* every slot of v that has a name: "name":value,... or indented lines */
static void print_named(const __u64 *v, unsigned n, const char *(*name)(unsigned), int json,
			const char *prefix)
{
	unsigned k;
	int first = 1;

	for (k = 0; k < n; k++) {
		if (!name(k))
			continue;
		if (json)
			printf("%s\"%s\":%llu", first ? "" : ",", name(k), (unsigned long long)v[k]);
		else
			printf("  %s%-*s %llu\n", prefix, 32 - (int)strlen(prefix), name(k),
			       (unsigned long long)v[k]);
		first = 0;
	}
}

static void print_json(const char *ifname, const struct ts_readout *r, const struct ts_tables *t,
		       const struct ts_flood *floods, __u64 now)
{
	printf("{\"iface\":\"");
	ts_json_str(stdout, ifname);
	printf("\",\"counters\":{");
	print_named(r->c, TS_C_MAX, ts_counter_name, 1, "");
	/* evictions are derived (the datapath cannot see them) */
	printf(",\"embryonic_evictions\":%llu,\"flow_evictions\":%llu",
	       (unsigned long long)t->embryonic_evictions, (unsigned long long)t->flow_evictions);
	printf("},\"anomalies\":{");
	print_named(r->anomalies, TS_A_MAX, ts_anomaly_name, 1, "");
	printf("},\"tables\":{\"flows\":%ld,\"flows_capacity\":%llu,"
	       "\"embryonic\":%ld,\"embryonic_capacity\":%llu},\"syn_floods\":",
	       t->flows, (unsigned long long)t->flows_capacity, t->embryonic,
	       (unsigned long long)t->embryonic_capacity);
	ts_print_floods(stdout, floods, now, 1, "");
	ts_print_drops(stdout, &r->drops, 1);
	printf("}\n");
}

static void print_text(const char *ifname, const struct ts_readout *r, const struct ts_tables *t,
		       const struct ts_flood *floods, __u64 now)
{
	printf("%s:\n", ifname);
	print_named(r->c, TS_C_MAX, ts_counter_name, 0, "");
	printf("  %-32s %llu\n  %-32s %llu\n", "embryonic_evictions",
	       (unsigned long long)t->embryonic_evictions, "flow_evictions",
	       (unsigned long long)t->flow_evictions);
	print_named(r->anomalies, TS_A_MAX, ts_anomaly_name, 0, "anomaly_");
	printf("  %-32s %ld / %llu\n", "table_flows", t->flows,
	       (unsigned long long)t->flows_capacity);
	printf("  %-32s %ld / %llu\n", "table_embryonic", t->embryonic,
	       (unsigned long long)t->embryonic_capacity);
	ts_print_floods(stdout, floods, now, 0, "  ");
	ts_print_drops(stdout, &r->drops, 0);
}

int cmd_stats(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct ts_read_opts o;
	int first, n, i, rc;

	rc = ts_opts_parse(&stats_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	n = ts_att_open_all(o.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	for (i = 0, rc = 0; i < n && !rc; i++) {
		struct ts_view v;

		if (ts_read_view(&atts[i], &v)) {
			err("cannot read the counters of %s\n", atts[i].ifname);
			rc = 1;
			break;
		}
		if (o.json)
			print_json(atts[i].ifname, &v.r, &v.t, v.floods, ts_now_ns());
		else
			print_text(atts[i].ifname, &v.r, &v.t, v.floods, ts_now_ns());
	}
	ts_att_close_all(atts, n);
	return rc;
}
