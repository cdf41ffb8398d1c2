/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow quality (issue 13), part of stage 2 (track): RTT both legs,
 * retransmissions and reordering per direction, zero-window stalls, from
 * segments the state machine took (never one it ignored: a segment the
 * receiver's kernel drops moves nothing here either). Everything lives in
 * the flow entry (struct ts_quality) and the per-CPU counters
 * (ts_counters.q): no map lookup, no insert.
 *
 * Clocks: the established path runs on the coarse clock (a load); the
 * precise one (bpf_ktime_get_ns) is read only when an RTT sample starts
 * or ends (one of each per round trip and direction) and on the rare
 * segments that open a sequence gap or come below the highest at ingress.
 *
 * Lock-free, like the packet counts of the fast path: XDP and tc egress on
 * two CPUs may race on one entry; the worst a race does is lose one
 * sample or count.
 */
#ifndef TCPSENTRY_BPF_QUALITY_H
#define TCPSENTRY_BPF_QUALITY_H

#include "ctx.h"
#include <tcpsentry/quality.h>

static __always_inline void q_snapshot(const struct ts_flow *f, unsigned from, struct q_before *b)
{
	const struct ts_endpoint *e = &f->ep[from & 1];

	b->end = e->end;
	b->known = e->flags & TS_EP_SEQ_KNOWN;
	b->seen_ns = f->last_seen_ns;
}

/* the segment's facts beside struct ts_seg, for quality() */
static __always_inline void q_segment(struct q_before *b, __u32 dir, __u64 now)
{
	b->now = now;
	b->dir = dir;
}

/* the precise clock, read at most once per segment into v (0: not yet
 * read); a macro, so v stays in a register, not on the stack the
 * pipeline's deepest frames share. Q_US: in microseconds, low 32 bits,
 * as stored (0 nudged to 1); Q_MS: in ms, low 32 bits, the unit of
 * Linux's TCP timestamp clock (tcp_time_stamp_ms: the same clock) */
#define Q_NS(v) ((v) ? (v) : ((v) = bpf_ktime_get_ns()))
#define Q_US(v) ts_q_stamp((__u32)(Q_NS(v) / 1000))
#define Q_MS(v) ((__u32)(Q_NS(v) / 1000000))

/*
 * The established fast path's common case, told before the step and
 * without calling quality(): the sender's (role from) next segment in
 * order (new data, or an ACK) while its own sample is outstanding (or it
 * carries no data), its window open, no recent hole of its own, and its
 * ACK short of the peer's timed segment. quality() would change nothing
 * then: no sample ends or starts, no stall starts or ends, gap_age is 0,
 * and a segment in order is TS_Q_NEW or TS_Q_NONE. Reads the first 16
 * bytes of each ts_quality and the sender's end.
 */
static __always_inline int q_quiet(const struct ts_flow *f, const struct ts_seg *s, unsigned from)
{
	const struct ts_quality *qs = &f->q[from & 1], *qr = &f->q[(from & 1) ^ 1];

	if (s->seq != f->ep[from & 1].end || !s->win || (qs->zw_since_ms | qs->gap_age) ||
	    (s->len && !qs->rtt_sent_us))
		return 0;
	return !qr->rtt_sent_us || ts_after(qr->rtt_key, s->ack);
}

/* one closed sample of the sender whose quality is q; dir: the closing
 * segment's (ingress: the network leg, into the histogram) */
static __always_inline void q_rtt_sample(struct ts_quality *q, __u32 t, __u32 dir,
					 struct ts_counters *cn)
{
	ts_q_rtt_sample(q, t);
	if (dir == DIR_INGRESS) {
		/* the network leg: the local endpoint's segment, the remote's ACK */
		__u32 k = ts_hs_bucket(q->rtt_us);

		if (k < TS_HS_BUCKETS)
			cn->q.rtt_bucket[k]++;
		cn->q.rtt_sum_us += q->rtt_us;
	} else {
		cn->q.rtt_samples_host++;
	}
}

/* A retransmission of the sender's highest segment after the flow was
 * quiet for a probe timeout's floor (2 x SRTT): a tail loss probe
 * (RFC 8985 7). Retransmissions in recovery follow an ACK at once. */
static __always_inline int q_tlp(const struct ts_quality *qs, const struct ts_seg *s, __u32 len,
				 const struct q_before *b, __u64 now)
{
	__u64 quiet = now > b->seen_ns ? now - b->seen_ns : 0;

	return s->seq + len == b->end && !(s->flags & (TS_TCP_SYN | TS_TCP_FIN)) &&
	       quiet > (__u64)(qs->srtt_us8 >> 2) * 1000;
}

/*
 * One segment the state machine took (s->from is its sender's role; its
 * direction, clock and timestamps in b). Global (not inlined): verified
 * once, and its registers spill into its own small frame, not into
 * track_flow's, which the pipeline's deepest call chain shares.
 */
__attribute__((noinline)) int quality(struct ts_flow *f, const struct ts_seg *s,
				      const struct q_before *b, struct ts_counters *cn)
{
	__u32 dir;
	__u64 now;
	unsigned from = s->from & 1;
	struct ts_quality *qs, *qr;
	__u8 fl = s->flags;
	__u32 len, cls, t, peer_ack;
	__u64 now_ns = 0;
	int has_ts = s->opts & TS_OPT_TS;

	if (!f || !s || !b || !cn)
		return 0;
	TS_CHECKED(cn);
	dir = b->dir & 1;
	now = b->now;
	qs = &f->q[from];
	qr = &f->q[from ^ 1];

	/* the peer's outstanding sample: this segment's ACK ends it */
	if (qr->rtt_sent_us && ts_q_closes(qr, fl & TS_TCP_ACK, s->ack)) {
		if (qr->rtt_ts)
			t = ts_q_echo_us(Q_MS(now_ns), qr->ts_off, has_ts, s->tsecr);
		else
			t = ts_q_elapsed(Q_US(now_ns), qr->rtt_sent_us);
		qr->rtt_sent_us = 0;
		if (t)
			q_rtt_sample(qr, t, dir, cn);
	}

	/* the sender's window: a zero window starts a stall, an open one ends it */
	if ((fl & (TS_TCP_ACK | TS_TCP_SYN | TS_TCP_RST)) == TS_TCP_ACK &&
	    !s->win == !qs->zw_since_ms) {
		__u32 ms = ts_q_stamp((__u32)(now / 1000000));

		if (!s->win) {
			qs->zw_since_ms = ms;
			if (qs->zw_count < 255)
				qs->zw_count++;
			cn->q.zw_stalls[dir]++;
		} else {
			t = ts_q_elapsed(ms, qs->zw_since_ms);
			if ((__s32)t < 0) /* the coarse clock a tick behind the precise one */
				t = 0;
			qs->zw_since_ms = 0;
			qs->zw_ms += t;
			cn->q.zw_ms[dir] += t;
		}
	}

	/* the sender's segments since its last hole, back to 0 (none) once
	 * past what ts_q_late looks at: 0 is what q_quiet wants */
	if (qs->gap_age)
		qs->gap_age = qs->gap_age < TS_Q_LATE_MAX ? qs->gap_age + 1 : 0;

	len = ts_seg_end(s) - s->seq;
	peer_ack = f->ep[from ^ 1].last_ack;
	cls = ts_q_classify(b->end, b->known, peer_ack, s->seq, len,
			    !(fl & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST)));
	if (cls == TS_Q_NONE)
		return 0;
	if (cls == TS_Q_NEW || cls == TS_Q_GAP) {
		if (cls == TS_Q_GAP && dir == DIR_INGRESS)
			qs->gap_age = 1;
		/* one sample at a time, timed until the ACK that covers it
		 * (as the kernel times its own, from the oldest segment an
		 * ACK covers) */
		if (qs->rtt_sent_us)
			return 0;
		qs->rtt_key = s->seq + len;
		qs->rtt_ts = 0;
		qs->rtt_sent_us = Q_US(now_ns);
		return 0;
	}
	if (cls == TS_Q_PROBE) {
		/* a probe while its receiver advertises a zero window */
		if (qr->zw_since_ms)
			cn->q.win_probe++;
		else
			cn->q.keepalive++;
		return 0;
	}
	/* below the highest: late (ingress only: a local sender's segments
	 * leave in order), or sent again */
	if (cls == TS_Q_BELOW && dir == DIR_INGRESS && ts_q_late(qs->gap_age)) {
		qs->reorder++;
		cn->q.reorder[dir]++;
		return 0;
	}
	qs->retrans++;
	cn->q.retrans[dir]++;
	/* Karn: the ACK covering a range sent twice cannot time it. A local
	 * sender's (egress: Linux, its TS clock this host's in ms) with
	 * timestamps on both ends is timed by the echo instead, as its kernel
	 * times it: whatever TSval the ACK echoes, the original's or the
	 * copy's (tcp_ack_update_rtt). A remote sender's clock is its own:
	 * no sample. An echo sample outstanding already keeps its key; an
	 * ACK-timed one of a range below this one stands (not sent twice). */
	if (!qs->rtt_sent_us || qs->rtt_ts || ts_after(qs->rtt_key, s->seq)) {
		if (dir == DIR_EGRESS && has_ts && (f->ep[0].flags & f->ep[1].flags & TS_EP_TS)) {
			if (!qs->rtt_sent_us || !qs->rtt_ts)
				qs->rtt_key = s->seq + len;
			qs->ts_off = s->tsval - Q_MS(now_ns);
			qs->rtt_ts = 1;
			qs->rtt_sent_us = Q_US(now_ns);
		} else {
			qs->rtt_sent_us = 0;
		}
	}
	if (fl & TS_TCP_SYN) {
		if (qs->syn_retrans < 255)
			qs->syn_retrans++;
		if (fl & TS_TCP_ACK)
			cn->q.synack_retrans++;
		else
			cn->q.syn_retrans++;
	} else if (q_tlp(qs, s, len, b, now)) {
		if (qs->tlp < 255)
			qs->tlp++;
		cn->q.tlp++;
	}
	return 0;
}

#endif /* TCPSENTRY_BPF_QUALITY_H */
