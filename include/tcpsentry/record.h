/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection records: one per connection, when it ends, on a ring buffer
 * of their own (`records`, TS_RECORDS_BYTES), apart from the events.
 *
 * A record is the flow entry as it was at the end, with its key and why
 * it was made. The entry is embedded whole and last, so whatever the entry
 * learns to hold (flow quality, ...) is in the record without a change
 * here; userspace derives the rest (duration, who ended it, Zeek's
 * conn_state and history, the Community ID).
 *
 * Made by:
 *   the datapath (TS_REC_CLOSED), under the entry's lock, on the segment
 *     that leaves both endpoints CLOSED or TIME_WAIT (bpf/track.h), then
 *     written by account (bpf/account.h); the entry stays, marked
 *     TS_F_RECORDED, for TIME_WAIT and tuple reuse;
 *   the sweeper (TS_REC_EXPIRED), for an entry it removes that has none;
 *   detach (TS_REC_DETACH), for every live entry, once the programs are off.
 * Userspace hands its records to the datapath's `tcpsentry_record`
 * program, so every record goes through the one ring, and a full ring is
 * counted in one place (records_lost).
 */
#ifndef TCPSENTRY_RECORD_H
#define TCPSENTRY_RECORD_H

#include "abi.h"

/* ts_record.cause */
enum ts_rec_cause {
	TS_REC_CLOSED = 1,  /* both endpoints CLOSED or TIME_WAIT, seen on the wire */
	TS_REC_EXPIRED = 2, /* removed by the sweeper: idle past its states' timeouts */
	TS_REC_DETACH = 3,  /* still open when tcpsentry detached */
	TS_REC_CAUSE_MAX,
};

struct ts_record {
	struct ts_flow_key key;
	__u8 cause;          /* enum ts_rec_cause */
	/* TS_REC_CLOSED: the segment that ended it (an RST, or the ACK of the
	 * last FIN): its flags and its sender's enum ts_role */
	__u8 end_flags;
	__u8 end_side;
	__u8 pad[5];         /* zero */
	struct ts_flow flow; /* last: it grows with struct ts_flow */
};
_Static_assert(sizeof(struct ts_record) == 48 + sizeof(struct ts_flow), "ts_record size");
_Static_assert(__builtin_offsetof(struct ts_record, flow) % 8 == 0, "the flow is 8-aligned");

/* Neither endpoint will send again (what TIME_WAIT holds is a quarantine,
 * not a connection): the connection is over. */
static inline __attribute__((always_inline)) int ts_flow_finished(const struct ts_flow *f)
{
	__u8 c = f->ep[TS_CLIENT].state, s = f->ep[TS_SERVER].state;

	return (c == TS_CLOSED || c == TS_TIME_WAIT) && (s == TS_CLOSED || s == TS_TIME_WAIT);
}

/* The record is due after a step that returned `step` (TS_STEP_*): the
 * step changed a state, the connection is now over, and it has no record
 * yet. Changed is the cheap test, first. */
static inline __attribute__((always_inline)) int ts_record_due(const struct ts_flow *f,
								__u32 changed)
{
	return changed && !(f->flags & TS_F_RECORDED) && ts_flow_finished(f);
}

#endif /* TCPSENTRY_RECORD_H */
