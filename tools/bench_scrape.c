// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `make bench`, part 2: what a Prometheus scrape costs with 1,000,000
 * tracked connections. The flows table of a freshly loaded tcpsentry.bpf.o
 * is filled from userspace (bpf_map_update_batch) with established
 * connections; then a scrape is timed exactly as `run` serves one: read
 * the counters, histogram and flood slots (ts_msnap_read) and render the
 * text (ts_metrics_render), with the sweeper's last tally. The table is
 * not walked per scrape; for scale, the same run times one sweeper pass
 * (what `run` does once per --sweep-interval, off the scrape path) and a
 * plain get_next_key walk (what a walk per scrape would cost).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/abi.h>
#include "gc.h"
#include "mapwalk.h"
#include "prom.h"
#include "bench_scrape.h"

#define SCRAPE_FLOWS 1000000u
#define SCRAPE_TARGET_MS 200.0
#define SCRAPES 20
#define CHUNK 50000u

static double ms_since(__u64 t0)
{
	return (double)(ts_now_ns() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int fd_of(struct bpf_object *o, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, name);

	return m ? bpf_map__fd(m) : -1;
}

/* i-th synthetic connection: 198.18.0.0/15 clients (v4-mapped) to
 * 198.19.255.1:443, client ports 1024 + i / 100000 */
static void make_key(struct ts_flow_key *k, __u32 i)
{
	__u32 host = i % 100000u;

	memset(k, 0, sizeof(*k));
	k->addr[0][10] = k->addr[0][11] = 0xff;
	k->addr[0][12] = 198;
	k->addr[0][13] = (__u8)(18 + (host >> 16));
	k->addr[0][14] = (__u8)(host >> 8);
	k->addr[0][15] = (__u8)host;
	k->addr[1][10] = k->addr[1][11] = 0xff;
	k->addr[1][12] = 198;
	k->addr[1][13] = 19;
	k->addr[1][14] = 255;
	k->addr[1][15] = 1;
	k->port[0] = htons((__u16)(1024 + i / 100000u));
	k->port[1] = htons(443);
}

/* one scrape as `run` serves it; returns its length, or -1 */
static long scrape(const struct ts_att *a, const struct ts_tally *t)
{
	struct ts_msnap_if snap;
	struct ts_msnap s = { .version = "bench", .n = 1, .ifs = &snap };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (ts_msnap_read(a, t, &snap))
		return -1;
	out = open_memstream(&buf, &len);
	if (!out)
		return -1;
	ts_metrics_render(out, &s);
	fclose(out);
	free(buf);
	return (long)len;
}

static int time_scrapes(const struct ts_att *a, const struct ts_tally *t, double *med,
			double *worst)
{
	double ms[SCRAPES];
	int i;

	for (i = 0; i < SCRAPES; i++) {
		__u64 t0 = ts_now_ns();

		if (scrape(a, t) < 0)
			return -1;
		ms[i] = ms_since(t0);
	}
	qsort(ms, SCRAPES, sizeof(ms[0]), cmp_double);
	*med = ms[SCRAPES / 2];
	*worst = ms[SCRAPES - 1];
	return 0;
}

int bench_scrape(const char *dir, int json)
{
	struct ts_flow_key *keys = NULL;
	struct ts_flow *vals = NULL;
	struct bpf_object *o = NULL;
	struct ts_att a;
	struct ts_tally t;
	char path[4096];
	double empty_med, empty_worst, med, worst, fill_ms, sweep_ms, walk_ms;
	__u32 cap, i, done;
	__u64 now, t0;
	long walked;
	int rc = 1;

	snprintf(path, sizeof(path), "%s/tcpsentry.bpf.o", dir);
	o = bpf_object__open_file(path, NULL);
	if (!o || bpf_object__load(o)) {
		fprintf(stderr, "bench: scrape: cannot load %s: %s\n", path, strerror(errno));
		goto out;
	}
	memset(&a, 0, sizeof(a));
	snprintf(a.ifname, sizeof(a.ifname), "bench");
	a.flows_fd = fd_of(o, "flows");
	a.emb_fd = fd_of(o, "embryonic");
	a.counters_fd = fd_of(o, "counters");
	a.anomalies_fd = fd_of(o, "anomalies");
	a.floods_fd = fd_of(o, "floods");
	a.ustats_fd = fd_of(o, "ustats");
	a.events_fd = a.config_fd = a.meta_fd = a.top_fd = -1;
	a.policy_fd = a.allow_fd = a.deny_fd = a.hosts_fd = a.report_fd = -1;
	a.hist_fd = fd_of(o, "hs_hist");
	a.drops_fd = fd_of(o, "drops"); /* -1 in a datapath without policy drops */
	cap = bpf_map__max_entries(bpf_object__find_map_by_name(o, "flows"));
	a.meta.max_flows = cap;
	a.meta.max_embryonic =
		bpf_map__max_entries(bpf_object__find_map_by_name(o, "embryonic"));
	if (cap < SCRAPE_FLOWS) {
		fprintf(stderr, "bench: scrape: flows holds %u entries, fewer than %u\n", cap,
			SCRAPE_FLOWS);
		goto out;
	}

	ts_tally(&a, &t);
	if (time_scrapes(&a, &t, &empty_med, &empty_worst))
		goto scrape_fail;

	keys = calloc(CHUNK, sizeof(*keys));
	vals = calloc(CHUNK, sizeof(*vals));
	if (!keys || !vals)
		goto out;
	now = ts_now_ns();
	t0 = now;
	for (done = 0; done < SCRAPE_FLOWS; done += CHUNK) {
		__u32 n = CHUNK;

		for (i = 0; i < n; i++) {
			struct ts_flow *f = &vals[i];

			make_key(&keys[i], done + i);
			memset(f, 0, sizeof(*f));
			f->family = 4;
			f->flags = TS_F_CONFIRMED;
			f->first_seen_ns = f->last_seen_ns = now;
			f->ep[TS_CLIENT].state = f->ep[TS_SERVER].state = TS_ESTABLISHED;
			f->handshake_us = 100;
		}
		if (bpf_map_update_batch(a.flows_fd, keys, vals, &n, NULL)) {
			fprintf(stderr, "bench: scrape: filling flows: %s\n", strerror(errno));
			goto out;
		}
	}
	fill_ms = ms_since(t0);

	/* the sweeper's pass: where the per-state gauges come from */
	t0 = ts_now_ns();
	ts_gc_sweep_tally(&a, &t);
	sweep_ms = ms_since(t0);
	if (t.flows != SCRAPE_FLOWS || t.states[TS_ESTABLISHED] != SCRAPE_FLOWS) {
		fprintf(stderr, "bench: scrape: the sweeper kept %llu flows (%llu ESTABLISHED), "
			"expected %u\n", (unsigned long long)t.flows,
			(unsigned long long)t.states[TS_ESTABLISHED], SCRAPE_FLOWS);
		goto out;
	}
	if (time_scrapes(&a, &t, &med, &worst))
		goto scrape_fail;
	t0 = ts_now_ns();
	walked = ts_map_count(a.flows_fd);
	walk_ms = ms_since(t0);

	if (json) {
		printf("{\"scrape\":{\"flows\":%u,\"fill_ms\":%.1f,\"render_ms_median\":%.3f,"
		       "\"render_ms_worst\":%.3f,\"render_ms_empty_median\":%.3f,"
		       "\"sweep_pass_ms\":%.1f,\"table_walk_ms\":%.1f,\"target_ms\":%.0f,"
		       "\"pass\":%s}}\n", SCRAPE_FLOWS, fill_ms, med, worst, empty_med, sweep_ms,
		       walk_ms, SCRAPE_TARGET_MS, worst < SCRAPE_TARGET_MS ? "true" : "false");
	} else {
		printf("\nscrape with %u tracked connections (flows table of %u, filled in %.0f ms):\n",
		       SCRAPE_FLOWS, cap, fill_ms);
		printf("  render /metrics       %8.3f ms median, %.3f ms worst of %d   "
		       "(empty table: %.3f ms)  target < %.0f ms: %s\n", med, worst, SCRAPES,
		       empty_med, SCRAPE_TARGET_MS, worst < SCRAPE_TARGET_MS ? "PASS" : "MISS");
		printf("  sweeper pass (batched) %7.1f ms   once per --sweep-interval, not per scrape\n",
		       sweep_ms);
		printf("  get_next_key walk     %8.1f ms   (%ld entries): what a walk per scrape would cost\n",
		       walk_ms, walked);
	}
	rc = 0;
	goto out;
scrape_fail:
	fprintf(stderr, "bench: scrape: cannot read the maps: %s\n", strerror(errno));
out:
	free(keys);
	free(vals);
	bpf_object__close(o);
	return rc;
}
