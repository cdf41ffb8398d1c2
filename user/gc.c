// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/fsm.h>
#include "gc.h"
#include "policy_store.h"

__u64 ts_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* raise half_open_timeout for an embryonic entry the sweeper removes,
 * through the datapath's own anomaly path (tcpsentry_report) */
static void report_half_open(int prog_fd, const struct ts_flow_key *key, const struct ts_flow *f,
			     __u64 now)
{
	struct ts_report r = {
		.key = *key,
		.kind = TS_A_HALF_OPEN_TIMEOUT,
		.got = (__u32)((now - f->last_seen_ns) / 1000000000ull),
		.detail = f->ep[TS_CLIENT].state,
		.client = f->client,
		.family = f->family,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));

	if (prog_fd >= 0)
		bpf_prog_test_run_opts(prog_fd, &o);
}

static long sweep_table(int fd, __u64 now, long *half_open, int report_fd)
{
	static const __u32 timeouts[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	struct ts_flow_key key, next;
	struct ts_flow f;
	void *prev = NULL;
	long removed = 0;
	int ho;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &f))
			continue;
		/* a half-open handshake the server gave up on (embryonic only) */
		ho = half_open && !(f.flags & TS_F_PROMOTED) &&
		     ts_half_open_timed_out(&f, now, timeouts);
		/* a promoted embryonic copy the datapath did not get to delete */
		if (ho || ts_flow_expired(&f, now, timeouts) ||
		    ((f.flags & TS_F_PROMOTED) && now - f.last_seen_ns > 1000000000ull)) {
			if (bpf_map_delete_elem(fd, &key) == 0) {
				removed++;
				if (ho) {
					(*half_open)++;
					report_half_open(report_fd, &key, &f, now);
				}
			}
		}
	}
	return removed;
}

long ts_gc_sweep(struct ts_att *a)
{
	__u64 now = ts_now_ns();
	struct ts_ustats u = {};
	__u32 zero = 0;
	long ho = 0;
	/* half_open_timeout is decided here, not in the datapath: only the
	 * sweeper sees an embryonic entry die unanswered. It is raised through
	 * the tcpsentry_report program (counted per kind, an event, the kind's
	 * rate limit), and kept in ustats too. */
	long e = sweep_table(a->emb_fd, now, &ho, a->report_fd),
	     f = sweep_table(a->flows_fd, now, NULL, -1);

	if (a->ustats_fd >= 0 && (e || f) && !bpf_map_lookup_elem(a->ustats_fd, &zero, &u)) {
		u.u[TS_U_SWEPT_EMB] += (__u64)e;
		u.u[TS_U_SWEPT_FLOWS] += (__u64)f;
		u.u[TS_U_HALF_OPEN_TIMEOUT] += (__u64)ho;
		bpf_map_update_elem(a->ustats_fd, &zero, &u, 0);
	}
	/* expired deny entries (TTLs, bans) already stopped matching in the
	 * datapath; removing them keeps the trie small */
	ts_list_sweep(a);
	return e + f;
}

long ts_map_count(int fd)
{
	struct ts_flow_key key, next;
	void *prev = NULL;
	long n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}
