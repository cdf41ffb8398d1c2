/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The state events of a handshake nobody has proven yet, held in its flow
 * entry until the handshake completes.
 *
 * A spoofed SYN makes an entry and moves both endpoints (client CLOSED ->
 * SYN_SENT, server CLOSED -> LISTEN, then LISTEN -> SYN_RCVD with the
 * SYN-ACK): written as they happen, a SYN flood writes two or three events
 * per spoofed SYN. A rate limit on them suppresses the events of real
 * handshakes as soon as the load is real (a proxy's thousands of new
 * connections a second). So the steps of a handshake whose client is not
 * this host are held, and written when the server side reaches ESTABLISHED
 * (the client answered the SYN-ACK: its address is real), just before the
 * events of that step, in their order, with their segment's flags and
 * direction, timed by the flow's syn_ns / synack_ns. A handshake that never
 * completes (a spoofed SYN, a refused or unanswered connect) writes none,
 * at any rate; one that ends reset drops what it held, counted as
 * unproven (state_events_unproven: withheld by design, not lost: a SYN and
 * an RST on its sequence are as easy to spoof as a SYN; a real client
 * that resets a handshake it did not complete, an aborted connect or lost
 * segments, counts there too). A handshake this host opened (its SYN went
 * out through egress) is proven by that: its events are written at once.
 * A connection's steps after its handshake, to its end and past it, are
 * never held (ts_hs_before_proof).
 *
 * The log is 64 bits kept in the 8 bytes the flow's layout leaves free
 * (ts_flow.hs_log0, ts_endpoint.hs_log: ts_hs_get / ts_hs_set), zero while
 * nothing is held:
 *   bits 0-1   held steps (0 to TS_HS_MAX_STEPS)
 *   bits 2-5   the client's state before the first held step
 *   bits 6-9   the server's
 *   bits 10+17i  step i: bits 0-3 the client's new state (TS_HS_SAME: it
 *              did not change), 4-7 the server's, 8-15 the segment's TCP
 *              flags, 16 its direction (0 ingress, 1 egress)
 * A real handshake holds two steps (the SYN, the SYN-ACK; retransmitted
 * ones move nothing); a step past TS_HS_MAX_STEPS is not held (its events
 * count as suppressed: state_events_suppressed, lost).
 *
 * Pure and loop-free: it runs under the flow's bpf_spin_lock, and in the
 * host unit tests.
 */
#ifndef TCPSENTRY_HS_LOG_H
#define TCPSENTRY_HS_LOG_H

#include "fsm.h"

#define TS_HS_MAX_STEPS 3
#define TS_HS_SAME 0xf /* a step's state nibble: that side did not change */
#define TS_HS_STEP_SHIFT 10
#define TS_HS_STEP_BITS 17

_Static_assert(TS_STATE_MAX <= TS_HS_SAME, "a state fits a nibble, with TS_HS_SAME left over");
_Static_assert(TS_HS_STEP_SHIFT + TS_HS_MAX_STEPS * TS_HS_STEP_BITS <= 64, "the log fits 64 bits");

TS_INLINE __u64 ts_hs_get(const struct ts_flow *f)
{
	const struct ts_endpoint *c = &f->ep[TS_CLIENT], *s = &f->ep[TS_SERVER];

	return (__u64)f->hs_log0 | (__u64)c->hs_log[0] << 16 | (__u64)c->hs_log[1] << 24 |
	       (__u64)c->hs_log[2] << 32 | (__u64)s->hs_log[0] << 40 |
	       (__u64)s->hs_log[1] << 48 | (__u64)s->hs_log[2] << 56;
}

TS_INLINE void ts_hs_set(struct ts_flow *f, __u64 log)
{
	struct ts_endpoint *c = &f->ep[TS_CLIENT], *s = &f->ep[TS_SERVER];

	f->hs_log0 = (__u16)log;
	c->hs_log[0] = (__u8)(log >> 16);
	c->hs_log[1] = (__u8)(log >> 24);
	c->hs_log[2] = (__u8)(log >> 32);
	s->hs_log[0] = (__u8)(log >> 40);
	s->hs_log[1] = (__u8)(log >> 48);
	s->hs_log[2] = (__u8)(log >> 56);
}

TS_INLINE unsigned ts_hs_steps(__u64 log)
{
	return (unsigned)(log & 3);
}

/* a side's (enum ts_role) state before the first held step */
TS_INLINE unsigned ts_hs_from(__u64 log, unsigned side)
{
	return (unsigned)(log >> (2 + 4 * (side & 1))) & 0xf;
}

/* held step i (< ts_hs_steps) */
TS_INLINE __u32 ts_hs_step(__u64 log, unsigned i)
{
	return (__u32)(log >> (TS_HS_STEP_SHIFT + TS_HS_STEP_BITS * i)) &
	       ((1u << TS_HS_STEP_BITS) - 1);
}

/* a step's new state of side, or TS_HS_SAME */
TS_INLINE unsigned ts_hs_step_to(__u32 step, unsigned side)
{
	return (step >> (4 * (side & 1))) & 0xf;
}

TS_INLINE __u8 ts_hs_step_flags(__u32 step)
{
	return (__u8)(step >> 8);
}

TS_INLINE __u8 ts_hs_step_dir(__u32 step)
{
	return (__u8)(step >> 16);
}

/* the state events a step of the log stands for (0 to 2) */
TS_INLINE unsigned ts_hs_step_events(__u32 step)
{
	return (ts_hs_step_to(step, TS_CLIENT) != TS_HS_SAME) +
	       (ts_hs_step_to(step, TS_SERVER) != TS_HS_SAME);
}

/* the state events a log holds */
TS_INLINE unsigned ts_hs_events(__u64 log)
{
	unsigned n = ts_hs_steps(log);

	return (n > 0 ? ts_hs_step_events(ts_hs_step(log, 0)) : 0) +
	       (n > 1 ? ts_hs_step_events(ts_hs_step(log, 1)) : 0) +
	       (n > 2 ? ts_hs_step_events(ts_hs_step(log, 2)) : 0);
}

/*
 * Are both sides (states indexed by enum ts_role) still before a
 * handshake's proof? The server in the handshake (LISTEN, SYN_SENT,
 * SYN_RCVD), or CLOSED with its client CLOSED too: nothing begun yet, or a
 * handshake reset. A server CLOSED while its client is not came there from
 * LAST_ACK (fsm.h: the ACK of its FIN is the only step that closes one
 * side alone; an RST closes both): its connection was proven (a LAST_ACK
 * is synchronised), and has ended. What its client does next is that
 * connection's, not an unproven handshake's: its TIME_WAIT killed by the
 * RST the server's kernel answers a late ACK with (its FIN retransmitted
 * before the last ACK came, the TIME_WAIT ACKs it again:
 * tcp_timewait_state_process, rfc1337=0) is written at once.
 */
TS_INLINE int ts_hs_before_proof(const __u8 st[2])
{
	return st[TS_SERVER] < TS_ESTABLISHED &&
	       (st[TS_SERVER] != TS_CLOSED || st[TS_CLIENT] == TS_CLOSED);
}

/* what became of a step's state events (ts_hs_hold) */
struct ts_hs_res {
	__u64 flush;   /* a log to write before the step's own events; 0: none */
	__u8 held;     /* 1: the step's own events are held (or dropped): write none now */
	__u8 dropped;  /* events dropped past the log's room: count them as suppressed */
	__u8 unproven; /* events of a handshake reset before its proof: withheld for good */
};

/*
 * After a state-machine step of f: hold its events, or let them (and what
 * was held) be written. old, new: both sides' states before and after the
 * step (index enum ts_role); ret: the step's TS_STEP_* bits; flags, dir:
 * its segment's; client_local: this host is the client (it sent the
 * handshake's SYN, or this segment as the client, through egress).
 */
TS_INLINE void ts_hs_hold(struct ts_flow *f, const __u8 old[2], const __u8 new[2], __u32 ret,
			  __u8 flags, __u32 dir, int client_local, struct ts_hs_res *r)
{
	__u64 log = ts_hs_get(f);
	unsigned c = old[TS_CLIENT] != new[TS_CLIENT], s = old[TS_SERVER] != new[TS_SERVER];
	unsigned n = ts_hs_steps(log);
	__u64 step;

	r->flush = 0;
	r->held = 0;
	r->dropped = 0;
	r->unproven = 0;
	if (!c && !s)
		return;
	/* not a handshake's step (the server was or is synchronised, or
	 * its connection ended; a reused tuple's SYN starts one): the
	 * proof, or nothing held */
	if (!((ts_hs_before_proof(old) || (ret & TS_STEP_REUSE)) &&
	      new[TS_SERVER] < TS_ESTABLISHED)) {
		if (n) {
			r->flush = log;
			ts_hs_set(f, 0);
		}
		return;
	}
	if (!n && client_local)
		return;
	r->held = 1;
	if (new[TS_CLIENT] == TS_CLOSED && new[TS_SERVER] == TS_CLOSED) {
		/* reset before anything proved it */
		r->unproven = (__u8)(ts_hs_events(log) + c + s);
		ts_hs_set(f, 0);
		return;
	}
	if (n >= TS_HS_MAX_STEPS) {
		r->dropped = (__u8)(c + s);
		return;
	}
	if (!n)
		log = (__u64)(old[TS_CLIENT] & 0xf) << 2 | (__u64)(old[TS_SERVER] & 0xf) << 6;
	step = (c ? new[TS_CLIENT] & 0xf : TS_HS_SAME) | (s ? new[TS_SERVER] & 0xf : TS_HS_SAME) << 4 |
	       (__u32)flags << 8 | (dir & 1) << 16;
	log = (log & ~3ull) | (n + 1);
	log |= step << (TS_HS_STEP_SHIFT + TS_HS_STEP_BITS * n);
	ts_hs_set(f, log);
}

#endif /* TCPSENTRY_HS_LOG_H */
