/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who is suffering (issue 13): connections ranked by a flow-quality
 * measure (`conns --sort`, `top`), and the same summed over the remote
 * endpoints' prefixes (/24 for IPv4, /64 for IPv6). Pure: no BPF, no I/O.
 */
#ifndef TCPSENTRY_WORST_H
#define TCPSENTRY_WORST_H

#include <stddef.h>
#include <tcpsentry/abi.h>

enum ts_rank_by {
	TS_RANK_RTT = 0,   /* the network leg's smoothed RTT (its latest if none) */
	TS_RANK_RETRANS,   /* retransmissions, both directions */
	TS_RANK_STALL,     /* zero-window time, both sides, a stall going on included */
};
extern const char *const ts_rank_names[]; /* "rtt", "retrans", "stall", NULL */

/* a connection's measure by `by`, at CLOCK_MONOTONIC now_ns */
__u64 ts_rank_score(const struct ts_flow *f, int by, __u64 now_ns);

struct ts_ranked {
	const char *iface;
	struct ts_flow_key key;
	struct ts_flow flow;
	__u64 score;
};

struct ts_ranking {
	int by;
	__u64 now_ns;
	struct ts_ranked *v;
	size_t n, cap;
};

/* add one connection (a copy); 0, or -1 out of memory */
int ts_ranking_add(struct ts_ranking *r, const char *iface, const struct ts_flow_key *k,
		   const struct ts_flow *f);
/* worst first; ties: by interface, then key (a stable order) */
void ts_ranking_sort(struct ts_ranking *r);
void ts_ranking_free(struct ts_ranking *r);

/* the remote endpoint's key index: the one not seen leaving through
 * egress; without that knowledge, the client */
unsigned ts_remote_index(const struct ts_flow *f);

struct ts_prefix_rank {
	__u8 addr[16];      /* the prefix, v4-mapped for IPv4, host bits zero */
	int plen;           /* 24 (IPv4) or 64 (IPv6) */
	__u64 conns;
	__u64 retrans;      /* summed */
	__u64 stall_ms;     /* summed */
	__u32 max_srtt_us;  /* the worst network-leg SRTT among them */
	__u64 score;        /* by the ranking's measure: max for rtt, sums otherwise */
};

/* The ranking's connections summed by remote prefix, worst first, into
 * out (at most max); returns how many were written. */
size_t ts_rank_prefixes(const struct ts_ranking *r, struct ts_prefix_rank *out, size_t max);

/* The q quantile (0..1) of a log2 microsecond histogram (hs_hist.h's
 * buckets: bucket i under 2^i us), in seconds, interpolated in its bucket
 * as PromQL's histogram_quantile does; -1 when it is empty. */
double ts_hist_quantile(const __u64 *bucket, int nbuckets, double q);

#endif /* TCPSENTRY_WORST_H */
