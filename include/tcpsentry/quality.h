/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow quality's arithmetic (issue 13), pure: how a segment's sequence
 * range compares with what its sender sent before, and the RTT estimator.
 * bpf/quality.h applies it to the flow entry (struct ts_quality); the unit
 * tests drive it directly. Same rules as fsm.h: no libc, no BPF helpers.
 */
#ifndef TCPSENTRY_QUALITY_H
#define TCPSENTRY_QUALITY_H

#include "fsm.h"
#include "hs_hist.h"

_Static_assert(sizeof(((struct ts_qcounters *)0)->rtt_bucket) == TS_HS_BUCKETS * 8,
	       "the RTT histogram has the handshake histogram's buckets");

/* what a segment is, against its sender's highest sequence so far */
enum ts_qclass {
	TS_Q_NONE = 0,  /* no sequence space (a pure ACK, a window update) */
	TS_Q_NEW,       /* new data, right after what was sent */
	TS_Q_GAP,       /* new data past a hole: something below it is missing here */
	TS_Q_BELOW,     /* below the highest, not acknowledged yet: sent again or late */
	TS_Q_ACKED,     /* below the highest, acknowledged already: sent again */
	TS_Q_PROBE,     /* at most one byte one below the peer's ACK: a keep-alive or
			 * zero-window probe (the peer's stack answers it with an ACK) */
};

/*
 * Classify a segment [seq, seq + len) (len: payload plus SYN and FIN) of
 * a sender whose highest sequence seen is end (0 known: no history, all
 * new), against peer_ack, the last ACK its peer sent. probe_ok: a segment
 * without SYN, FIN or RST (only those probe).
 */
TS_INLINE unsigned ts_q_classify(__u32 end, int known, __u32 peer_ack, __u32 seq, __u32 len,
				 int probe_ok)
{
	__u32 hi = seq + len;

	if (len <= 1 && probe_ok && known && seq + 1 == peer_ack && !ts_after(hi, end))
		return TS_Q_PROBE;
	if (!len)
		return TS_Q_NONE;
	if (!known)
		return TS_Q_NEW;
	if (ts_after(hi, end))
		return ts_after(seq, end) ? TS_Q_GAP : TS_Q_NEW;
	/* (a peer that acknowledged nothing yet has last_ack 0: seq space
	 * wraps, so only "hi at or before the ACK" counts) */
	return !ts_after(hi, peer_ack) && peer_ack ? TS_Q_ACKED : TS_Q_BELOW;
}

/*
 * A segment below its sender's highest, not acknowledged yet, seen at the
 * receiver's side (ingress of a local receiver): sent again after a loss
 * upstream, or an original overtaken on the way. An overtaken segment
 * comes right behind the one that opened the hole (the hole is its place).
 * A retransmission needs the loss noticed first: the segments after the
 * hole acknowledged (SACKed) back at the sender, which by then has sent
 * more in a bulk flow, and they arrive here first. gap_age: the sender's
 * segments seen since the one that opened its last hole, this one
 * included (0: no hole seen). 1: late (reordering), 0: sent again. Time
 * cannot tell them apart where a round trip is a few microseconds (a
 * veth, a LAN); order can: late is the very next segment after the hole's
 * opener (gap_age 2). A retransmission that comes right behind it (a
 * sender with nothing more in flight) is counted as reordering: a limit.
 */
#define TS_Q_LATE_MAX 2
TS_INLINE int ts_q_late(__u32 gap_age)
{
	return gap_age && gap_age <= TS_Q_LATE_MAX;
}

/* RFC 6298 (2.2, 2.3): the first sample sets SRTT, later ones move it by
 * 1/8. Kept times 8, as the kernel keeps srtt_us; samples over 2^28 us
 * (4.5 minutes) are clamped so the sum cannot wrap. */
#define TS_Q_RTT_MAX_US (1u << 28)
TS_INLINE __u32 ts_q_srtt8(__u32 srtt8, __u32 rtt_us)
{
	if (rtt_us > TS_Q_RTT_MAX_US)
		rtt_us = TS_Q_RTT_MAX_US;
	if (!srtt8)
		return rtt_us << 3;
	return srtt8 - (srtt8 >> 3) + rtt_us;
}

/* one RTT sample into a ts_quality's latest, min and smoothed values */
TS_INLINE void ts_q_rtt_sample(struct ts_quality *q, __u32 rtt_us)
{
	if (!rtt_us)
		rtt_us = 1; /* under a microsecond: 0 means "none" */
	q->rtt_us = rtt_us;
	if (!q->min_rtt_us || rtt_us < q->min_rtt_us)
		q->min_rtt_us = rtt_us;
	q->srtt_us8 = ts_q_srtt8(q->srtt_us8, rtt_us);
}

/* Does a segment of the peer close q's outstanding sample? ack, if the
 * segment carries ACK (has_ack). */
TS_INLINE int ts_q_closes(const struct ts_quality *q, int has_ack, __u32 ack)
{
	return q->rtt_sent_us && has_ack && !ts_after(q->rtt_key, ack);
}

/*
 * A sample timed by the echo (ts_quality.rtt_ts): the age of the TSval
 * the closing ACK echoes (tsecr; has_ts: it carries timestamps) at now_ms
 * on this host's ms clock, ts_off mapping the sender's TS clock onto it.
 * The kernel's own rule (tcp_rtt_tsopt_us): whole milliseconds, 0 counted
 * as 1; no TSecr, or one from the future, gives no sample (0 here).
 */
#define TS_Q_ECHO_MAX_MS (TS_Q_RTT_MAX_US / 1000)
TS_INLINE __u32 ts_q_echo_us(__u32 now_ms, __u32 ts_off, int has_ts, __u32 tsecr)
{
	__u32 ms = now_ms + ts_off - tsecr;

	if (!has_ts || !tsecr || ms > TS_Q_ECHO_MAX_MS)
		return 0;
	return (ms ? ms : 1) * 1000;
}

/* the elapsed time between two low-32-bit clock readings (a 0 reading was
 * nudged to 1: at most 1 unit off) */
TS_INLINE __u32 ts_q_elapsed(__u32 now, __u32 then)
{
	return now - then;
}

/* a clock reading as stored: 0 means none, so a real 0 becomes 1 */
TS_INLINE __u32 ts_q_stamp(__u32 t)
{
	return t ? t : 1;
}

/* The role of the local endpoint, the one seen leaving through egress
 * (TS_F_LOCAL0/1): its segments' samples are the network leg. The client
 * when neither or both are (--no-egress: no sample has both ends anyway). */
TS_INLINE unsigned ts_q_local_role(const struct ts_flow *f)
{
	unsigned l0 = !!(f->flags & TS_F_LOCAL0), l1 = !!(f->flags & TS_F_LOCAL1);

	if (l0 == l1)
		return TS_CLIENT;
	return (l1 ? 1u : 0u) == f->client ? TS_CLIENT : TS_SERVER;
}

/* An endpoint's zero-window time in ms at coarse time now_ms (low 32 bits
 * of CLOCK_MONOTONIC in ms), the stall still going included. */
TS_INLINE __u64 ts_q_zw_total_ms(const struct ts_quality *q, __u32 now_ms)
{
	__u32 open = 0;

	if (q->zw_since_ms) {
		open = ts_q_elapsed(now_ms, q->zw_since_ms);
		if ((__s32)open < 0)
			open = 0;
	}
	return (__u64)q->zw_ms + open;
}

#endif /* TCPSENTRY_QUALITY_H */
