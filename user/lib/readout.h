/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What one attachment's maps say now: the one read path of `status`,
 * `stats`, `top` and the metrics, so that they cannot disagree. The
 * counters come from fixed-size per-CPU arrays (a handful of syscalls);
 * only ts_read_tables walks the flow tables.
 */
#ifndef TCPSENTRY_READOUT_H
#define TCPSENTRY_READOUT_H

#include <tcpsentry/abi.h>
#include <tcpsentry/sketch.h>
#include "attstate.h"
#include "pins.h"

/* How an attachment is put together, from its record (ts_meta), and
 * whether that record still tells the truth (attstate.h). */
struct ts_att_view {
	const char *chaining;      /* how XDP chains: "libxdp", "tail_call" or "link" */
	const char *chaining_desc; /* the same for people */
	__u32 features;            /* what its kernel had (kernel_features.h); 0: unknown */
	enum ts_att_state state;   /* live, stale, incomplete */
	char why[192];             /* why not live ("" when live) */
};

struct ts_readout {
	__u64 c[TS_C_MAX];          /* the counters, by enum ts_counter */
	__u64 anomalies[TS_A_MAX];  /* by kind (zero without the anomalies map) */
	int have_drops;             /* the `drops` map is pinned (a policy-capable datapath) */
	struct ts_drops drops;      /* by reason, enforce and observe */
	struct ts_qcounters q;      /* flow quality's counters and RTT histogram */
	struct ts_ustats ustats;    /* the sweeper's own counts */
	struct ts_att_view att;     /* the attachment itself */
};

/* Sum the per-CPU arrays of attachment a, and describe it (r->att). 0, or
 * -1 if the counters cannot be read (the rest is then zero where absent). */
int ts_read_counts(const struct ts_att *a, struct ts_readout *r);

/* The flow tables: entries now (a walk of each) and, from the counters of
 * r, what LRU pressure evicted, which the datapath cannot see. */
struct ts_tables {
	long flows, embryonic;
	__u64 flows_capacity, embryonic_capacity;
	__u64 flow_evictions, embryonic_evictions;
};
void ts_read_tables(const struct ts_att *a, const struct ts_readout *r, struct ts_tables *t);

/* Every SYN-flood slot (destination-port slots, then TS_SYN_HOST); a slot
 * that cannot be read is zero (not active, never evaluated). 0, or -1
 * without the floods map. */
int ts_read_floods(const struct ts_att *a, struct ts_flood f[TS_SYN_SLOTS]);

/* All that status and stats show of one attachment, read in one go: the
 * one read path of both commands. 0, or -1 if the counters cannot be read
 * (the rest is read all the same). */
struct ts_view {
	struct ts_readout r;
	struct ts_tables t;
	struct ts_flood floods[TS_SYN_SLOTS];
};
int ts_read_view(const struct ts_att *a, struct ts_view *v);

#endif /* TCPSENTRY_READOUT_H */
