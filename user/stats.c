// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `status` (what is attached where) and `stats` (the counters). */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "metrics.h"
#include "log.h"
#include "netns.h"
#include "pins.h"
#include <tcpsentry/sketch.h>

/*
 * Sum n u64 counters at byte offset off of a one-element per-CPU array
 * whose values are vsize bytes: what every counter map here is.
 */
static int percpu_sum(int fd, size_t vsize, size_t off, int n, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c, i;
	__u32 zero = 0;
	char *per;

	memset(sum, 0, sizeof(*sum) * (size_t)n);
	if (fd < 0 || ncpu <= 0)
		return -1;
	/* the kernel rounds each CPU's value up to 8 bytes */
	vsize = (vsize + 7) & ~(size_t)7;
	per = calloc((size_t)ncpu, vsize);
	if (!per)
		return -1;
	if (bpf_map_lookup_elem(fd, &zero, per)) {
		free(per);
		return -1;
	}
	for (c = 0; c < ncpu; c++) {
		const __u64 *v = (const __u64 *)(per + (size_t)c * vsize + off);

		for (i = 0; i < n; i++)
			sum[i] += v[i];
	}
	free(per);
	return 0;
}

static int read_counters(int fd, struct ts_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	return percpu_sum(fd, sizeof(*sum), offsetof(struct ts_counters, c), TS_C_MAX, sum->c);
}

/* per-kind anomaly counts, summed over CPUs; -1 if the map is absent */
static int read_anomalies(int fd, __u64 sum[TS_A_MAX])
{
	return percpu_sum(fd, sizeof(struct ts_anomalies), offsetof(struct ts_anomalies, count),
			  TS_A_MAX, sum);
}

/* drops and would-drops by reason, summed over CPUs; -1 if absent */
static int read_drops(int fd, struct ts_drops *d)
{
	memset(d, 0, sizeof(*d));
	return percpu_sum(fd, sizeof(*d), 0, (int)(sizeof(*d) / 8), (__u64 *)d);
}

/* the reasons `stats` lists: the named ones */
static int drop_listed(unsigned r)
{
	return ts_drop_reason_name(r) != NULL;
}

static void print_drops(const struct ts_drops *d, int json)
{
	const __u64 *v[2] = { d->dropped, d->would_drop };
	const char *label[2] = { "dropped", "would_drop" };
	unsigned r;
	int w, first;

	for (w = 0; w < 2; w++) {
		if (json)
			printf(",\"%s\":{", label[w]);
		for (r = 0, first = 1; r < TS_D_MAX; r++) {
			if (!drop_listed(r))
				continue;
			if (json)
				printf("%s\"%s\":%llu", first ? "" : ",", ts_drop_reason_name(r),
				       (unsigned long long)v[w][r]);
			else if (v[w][r])
				printf("  %s_%-*s %llu\n", label[w], 31 - (int)strlen(label[w]),
				       ts_drop_reason_name(r), (unsigned long long)v[w][r]);
			first = 0;
		}
		if (json)
			printf("}");
	}
	if (json)
		printf(",\"bans_written\":%llu,\"ban_failed\":%llu,\"allowlisted\":%llu",
		       (unsigned long long)d->bans, (unsigned long long)d->ban_fail,
		       (unsigned long long)d->allowed);
	else
		printf("  %-32s %llu\n  %-32s %llu\n  %-32s %llu\n", "bans_written",
		       (unsigned long long)d->bans, "ban_failed", (unsigned long long)d->ban_fail,
		       "allowlisted", (unsigned long long)d->allowed);
}

struct table_fill {
	long flows, emb;
	__u64 flow_evict, emb_evict;
};

/* LRU evictions are not visible to the datapath; they are what was
 * inserted and neither removed by us nor still there. */
static void table_fill(const struct ts_att *a, const struct ts_counters *c,
		       struct table_fill *t)
{
	struct ts_ustats u = {};
	__u32 zero = 0;
	__u64 gone;

	t->flows = ts_map_count(a->flows_fd);
	t->emb = ts_map_count(a->emb_fd);
	if (a->ustats_fd >= 0)
		bpf_map_lookup_elem(a->ustats_fd, &zero, &u);
	gone = c->c[TS_C_PROMOTE] + u.u[TS_U_SWEPT_EMB] + (__u64)t->emb;
	t->emb_evict = c->c[TS_C_EMB_INSERT] > gone ? c->c[TS_C_EMB_INSERT] - gone : 0;
	gone = u.u[TS_U_SWEPT_FLOWS] + (__u64)t->flows;
	t->flow_evict = c->c[TS_C_FLOW_INSERT] > gone ? c->c[TS_C_FLOW_INSERT] - gone : 0;
}

static int parse_json_flag(const char *cmd, int argc, char **argv, int *json,
			   const char **iface)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "ji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': *json = 1; break;
		case 'i': *iface = optarg; break;
		case 'h':
			printf("usage: tcpsentry %s [-j] [--iface IF]\n", cmd);
			return 0;
		default: return ts_usage_error(cmd, NULL);
		}
	}
	if (optind < argc)
		return ts_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Active SYN floods, read from the shared `floods` map (one entry per
 * destination-port slot, then the host-wide one). Prints as a JSON array
 * or as text lines; returns how many are on. */
static int print_floods(int fd, int json, const char *indent)
{
	struct timespec ts;
	__u64 now_ns;
	__u32 k;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	if (json)
		printf("[");
	for (k = 0; fd >= 0 && k < TS_SYN_SLOTS; k++) {
		struct ts_flood f;
		unsigned port;

		if (bpf_map_lookup_elem(fd, &k, &f) || !f.active)
			continue;
		port = k == TS_SYN_HOST ? 0 : f.port;
		if (json)
			printf("%s{\"scope\":\"%s\",\"port\":%u,\"rate\":%u,\"peak_rate\":%u,"
			       "\"complete_pct\":%u,\"sources\":%u,\"start_ns\":%llu}",
			       n ? "," : "", port ? "port" : "host", port, f.rate, f.peak_rate,
			       f.complete_pct, f.sources, (unsigned long long)f.start_ns);
		else
			printf("%ssyn flood on %s%u for %llu s: %u SYN/s (peak %u), %u%% completed, "
			       "~%u sources\n", indent, port ? "port " : "host-wide", port,
			       (unsigned long long)(f.start_ns && now_ns > f.start_ns ?
						    (now_ns - f.start_ns) / 1000000000ull : 0),
			       f.rate, f.peak_rate, f.complete_pct, f.sources);
		n++;
	}
	if (json)
		printf("]");
	else if (!n)
		printf("%ssyn floods:   none\n", indent);
	return n;
}

int cmd_status(int argc, char **argv)
{
	const char *iface = NULL;
	char names[64][16];
	int json = 0, n, i, r;

	r = parse_json_flag("status", argc, argv, &json, &iface);
	if (r >= 0)
		return r;
	n = ts_select_ifaces(iface, names, 64);
	if (n < 0)
		return 1;
	if (n == 0 && !json)
		printf("nothing attached in this network namespace (ns%llu)\n",
		       (unsigned long long)ts_netns_id());
	for (i = 0; i < n; i++) {
		struct ts_counters c;
		struct table_fill t;
		struct ts_drops dr;
		struct ts_att a;
		int e = ts_att_open(&a, names[i]);
		int egress;

		if (e) {
			err("cannot open the pins of %s: %s\n", names[i], strerror(-e));
			return 1;
		}
		read_counters(a.counters_fd, &c);
		ts_gc_sweep(&a);
		table_fill(&a, &c, &t);
		egress = !!(a.meta.flags & TS_META_EGRESS);
		if (json) {
			printf("{\"iface\":\"");
			ts_json_str(stdout, names[i]);
			printf("\",\"netns\":%llu,\"ifindex\":%u,\"xdp_mode\":\"%s\",\"egress\":%s,"
			       "\"tracking\":\"%s\",\"chained_prog_id\":%u,\"attached_unix\":%llu,\"pins\":\"%s\","
			       "\"flows\":%ld,\"flows_capacity\":%llu,\"embryonic\":%ld,"
			       "\"embryonic_capacity\":%llu,\"packets_ingress\":%llu,"
			       "\"packets_egress\":%llu,\"events_lost\":%llu,\"syn_floods\":",
			       (unsigned long long)ts_netns_id(), a.meta.ifindex,
			       ts_xdp_mode_name((int)a.meta.xdp_mode), egress ? "true" : "false",
			       egress ? "bidirectional" : "unidirectional", a.meta.chained_prog_id,
			       (unsigned long long)a.meta.attached_unix, a.dir, t.flows,
			       (unsigned long long)a.meta.max_flows, t.emb,
			       (unsigned long long)a.meta.max_embryonic,
			       (unsigned long long)c.c[TS_C_PKTS_IN],
			       (unsigned long long)c.c[TS_C_PKTS_OUT],
			       (unsigned long long)c.c[TS_C_EVENTS_LOST]);
			print_floods(a.floods_fd, 1, "");
			print_drops(&dr, 1);
			printf("}\n");
		} else {
			time_t at = (time_t)a.meta.attached_unix;
			char when[32];

			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&at));
			printf("%s (ifindex %u, netns ns%llu)\n", names[i], a.meta.ifindex,
			       (unsigned long long)ts_netns_id());
			printf("  xdp ingress:  %s mode", ts_xdp_mode_name((int)a.meta.xdp_mode));
			if (a.meta.flags & TS_META_CHAINED)
				printf(", then XDP program id %u (chained)", a.meta.chained_prog_id);
			printf("\n");
			printf("  tc egress:    %s\n", egress ? "on (both directions tracked)" :
			       "off (unidirectional model: ingress only)");
			printf("  attached:     %s\n", when);
			printf("  pins:         %s\n", a.dir);
			printf("  flows:        %ld / %llu\n", t.flows,
			       (unsigned long long)a.meta.max_flows);
			printf("  embryonic:    %ld / %llu\n", t.emb,
			       (unsigned long long)a.meta.max_embryonic);
			printf("  packets:      %llu in, %llu out\n",
			       (unsigned long long)c.c[TS_C_PKTS_IN],
			       (unsigned long long)c.c[TS_C_PKTS_OUT]);
			printf("  events lost:  %llu\n", (unsigned long long)c.c[TS_C_EVENTS_LOST]);
			print_floods(a.floods_fd, 0, "  ");
			print_drops(&dr, 0);
		}
		ts_att_close(&a);
	}
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	const char *iface = NULL;
	char names[64][16];
	__u64 an[TS_A_MAX];
	int json = 0, n, i, k, r, first;

	r = parse_json_flag("stats", argc, argv, &json, &iface);
	if (r >= 0)
		return r;
	n = ts_select_ifaces(iface, names, 64);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct ts_counters c;
		struct table_fill t;
		struct ts_drops dr;
		struct ts_att a;
		int e = ts_att_open(&a, names[i]);

		if (e) {
			err("cannot open the pins of %s: %s\n", names[i], strerror(-e));
			return 1;
		}
		if (read_counters(a.counters_fd, &c)) {
			err("cannot read the counters of %s: %s\n", names[i], strerror(errno));
			ts_att_close(&a);
			return 1;
		}
		read_anomalies(a.anomalies_fd, an);
		read_drops(a.drops_fd, &dr);
		if (a.ustats_fd >= 0 && a.report_fd < 0) {
			struct ts_ustats us = {};
			__u32 z = 0;

			/* an attach without tcpsentry_report: the sweeper's own
			 * count is the only one (user/gc.c) */
			if (!bpf_map_lookup_elem(a.ustats_fd, &z, &us))
				an[TS_A_HALF_OPEN_TIMEOUT] += us.u[TS_U_HALF_OPEN_TIMEOUT];
		}
		table_fill(&a, &c, &t);
		if (json) {
			printf("{\"iface\":\"");
			ts_json_str(stdout, names[i]);
			printf("\",\"counters\":{");
			for (k = 0; k < TS_C_MAX; k++)
				if (ts_counter_name((unsigned)k))
					printf("%s\"%s\":%llu", k ? "," : "",
					       ts_counter_name((unsigned)k),
					       (unsigned long long)c.c[k]);
			printf(",\"embryonic_evictions\":%llu,\"flow_evictions\":%llu",
			       (unsigned long long)t.emb_evict, (unsigned long long)t.flow_evict);
			printf("},\"anomalies\":{");
			for (k = 0, first = 1; k < TS_A_MAX; k++) {
				if (!ts_anomaly_name((unsigned)k))
					continue;
				printf("%s\"%s\":%llu", first ? "" : ",",
				       ts_anomaly_name((unsigned)k), (unsigned long long)an[k]);
				first = 0;
			}
			printf("},\"tables\":{\"flows\":%ld,\"flows_capacity\":%llu,"
			       "\"embryonic\":%ld,\"embryonic_capacity\":%llu},\"syn_floods\":",
			       t.flows, (unsigned long long)a.meta.max_flows, t.emb,
			       (unsigned long long)a.meta.max_embryonic);
			print_floods(a.floods_fd, 1, "");
			print_drops(&dr, 1);
			printf("}\n");
		} else {
			printf("%s:\n", names[i]);
			for (k = 0; k < TS_C_MAX; k++)
				if (ts_counter_name((unsigned)k))
					printf("  %-32s %llu\n", ts_counter_name((unsigned)k),
					       (unsigned long long)c.c[k]);
			printf("  %-32s %llu\n  %-32s %llu\n", "embryonic_evictions",
			       (unsigned long long)t.emb_evict, "flow_evictions",
			       (unsigned long long)t.flow_evict);
			for (k = 0; k < TS_A_MAX; k++)
				if (ts_anomaly_name((unsigned)k))
					printf("  anomaly_%-24s %llu\n", ts_anomaly_name((unsigned)k),
					       (unsigned long long)an[k]);
			printf("  %-32s %ld / %llu\n", "table_flows", t.flows,
			       (unsigned long long)a.meta.max_flows);
			printf("  %-32s %ld / %llu\n", "table_embryonic", t.emb,
			       (unsigned long long)a.meta.max_embryonic);
			print_floods(a.floods_fd, 0, "  ");
			print_drops(&dr, 0);
		}
		ts_att_close(&a);
	}
	return 0;
}

/* for the metrics (user/snapshot.c) */
int ts_percpu_sum(int fd, size_t vsize, size_t off, int n, __u64 *sum)
{
	return percpu_sum(fd, vsize, off, n, sum);
}
