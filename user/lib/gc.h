/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The table sweeper: removes entries whose per-state timeouts ran out,
 * so nothing lingers forever when no packet comes to replace it. */
#ifndef TCPSENTRY_GC_H
#define TCPSENTRY_GC_H

#include <linux/types.h>
#include "clock.h"
#include "pins.h"

/* per-state idle timeouts (seconds, TS_TIMEOUTS_DEFAULT): when an entry
 * nothing refreshed is over, for the sweeper and for every reader */
extern const __u32 ts_timeouts[TS_STATE_MAX];

/* What one pass saw of the entries it kept: the per-state connection
 * gauges of the metrics come from here, not from a walk per scrape. */
struct ts_tally {
	__u64 states[TS_STATE_MAX]; /* connections by ts_conn_state() */
	__u64 flows, embryonic, pickups; /* entries left in each table */
	__u64 removed;              /* entries this pass removed */
	__u64 at_ns;                /* CLOCK_MONOTONIC when the pass started */
	__u64 duration_ns;
};

/* sweep the three tables; returns entries removed, counted in ustats */
long ts_gc_sweep(struct ts_att *a);
/* the same, and fill *t (if not NULL) with what was kept */
long ts_gc_sweep_tally(struct ts_att *a, struct ts_tally *t);
/* Connection records (include/tcpsentry/record.h) for what leaves the
 * tables: the sweeper's (TS_REC_EXPIRED, for each entry it removes that has
 * none) and detach's. Through the datapath's tcpsentry_record program, so
 * they share its ring and its counts; nothing is written while records
 * are off. */
/* one record: 0, -ENOSPC (the ring was full: counted as records_lost),
 * -errno */
int ts_record_put(const struct ts_att *a, const struct ts_flow_key *key, const struct ts_flow *f,
		  int cause);
/* a record (TS_REC_DETACH) for every live connection of a, once its
 * programs are off; returns how many were written */
long ts_gc_flush_records(const struct ts_att *a);
/* count only, removing nothing (for `top`, which is not the sweeper) */
void ts_tally(const struct ts_att *a, struct ts_tally *t);
/* The one state a connection counts under in the gauges: the server
 * endpoint's (idle timeouts applied), or the client's while the server's
 * is LISTEN (SYN not answered yet) or CLOSED (after a close, the client's
 * TIME_WAIT is what is left). */
int ts_conn_state(const struct ts_flow *f, __u64 now);

#endif /* TCPSENTRY_GC_H */
