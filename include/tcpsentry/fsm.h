/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The TCP state machine, as pure static inline C: no BPF helpers, no libc,
 * no loops. Compiled into the BPF object (under a bpf_spin_lock, where no
 * helper or function call is allowed, hence always_inline) and into the
 * host unit tests, which drive it segment by segment.
 *
 * Model: the tracker sees each segment once, at a point between the two
 * endpoints, and assumes it is delivered. A segment therefore moves its
 * sender by the RFC 9293 "send" transitions and its receiver by the
 * "receive" transitions, so both endpoints' states follow what their
 * kernels hold once the segment has arrived.
 */
#ifndef TCPSENTRY_FSM_H
#define TCPSENTRY_FSM_H

#include "abi.h"

#define TS_INLINE static inline __attribute__((always_inline))

/*
 * Hide a value from the compiler's constant propagation. In BPF this keeps
 * an endpoint index a variable offset instead of letting clang clone the
 * code per constant, which multiplies the verifier's paths.
 */
#ifdef __bpf__
#define TS_OPAQUE(x) asm volatile("" : "+r"(x))
#else
#define TS_OPAQUE(x) ((void)0)
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ts_hist_add() packs history letters little end first"
#endif

/* ts_fsm_step() result bits. */
#define TS_STEP_CLIENT_CHANGED 0x01
#define TS_STEP_SERVER_CHANGED 0x02
#define TS_STEP_ESTABLISHED    0x04 /* handshake completed: both ESTABLISHED */
#define TS_STEP_REUSE          0x08 /* a new SYN restarted a finished tuple */
#define TS_STEP_RST_INEXACT    0x10 /* RST in window, not exact: ignored (RFC 5961) */
#define TS_STEP_RST_OOW        0x20 /* RST outside the window: ignored */
#define TS_STEP_CLOSED         0x40 /* both endpoints CLOSED now */
#define TS_STEP_OUT_OF_WINDOW  0x80 /* segment outside the window (reported, not acted on) */
#define TS_STEP_DATA_FAR_OOW   0x100 /* data far outside the window: ignored (out_of_window) */
#define TS_STEP_ACK_NO_CONN    0x200 /* picked up, unanswered past the grace (set by ts_ack_unanswered) */
#define TS_STEP_RST_INEXACT_PEER 0x400 /* RST in window, not exact, but its ACK proves the peer: ignored, no anomaly */
#define TS_STEP_SYN_CHALLENGED 0x800 /* SYN to a synchronised endpoint: the kernel challenge-ACKs it, nothing moved */
#define TS_STEP_DISCARDED      0x1000 /* a segment its receiver's kernel drops (a FIN outside the window, an ACK of unsent data): nothing moved */
#define TS_STEP_PAWS           0x2000 /* ... dropped by PAWS: its TSval is older than the receiver's ts_recent */
#define TS_STEP_FIN_QUEUED     0x4000 /* a FIN to a local endpoint: waits for that endpoint's ACK (ts_fin_queue) */
#define TS_STEP_FIN_FRAG       0x8000 /* ... in an IP first fragment: waits for the datagram's last fragment first (set by bpf/track.h; ts_fin_frag_done) */
#define TS_STEP_FIN_SOCKET     0x10000 /* the sending socket said its kernel took the peer's FIN the wire did not show (set by bpf/track.h; ts_fin_by_socket) */

/* Serial-number arithmetic (RFC 1982). */
TS_INLINE int ts_before(__u32 a, __u32 b) { return (__s32)(a - b) < 0; }
TS_INLINE int ts_after(__u32 a, __u32 b) { return (__s32)(b - a) < 0; }

TS_INLINE void ts_hist_add(struct ts_flow *f, unsigned letter, unsigned role)
{
	/* "SHADFR" packed little end first: no memory load under the lock */
	const __u64 letters = 0x524644414853ull;
	__u16 bit = (__u16)(1u << (letter * 2 + role));
	__u8 n = f->hist_len;

	if (f->hist_mask & bit)
		return;
	f->hist_mask |= bit;
	if (n < TS_HIST_LEN) {
		/* lower case for the responder, as Zeek writes it */
		__u64 c = ((letters >> (letter * 8)) & 0xff) + (role ? 32 : 0);
		__u64 *w = (__u64 *)f->hist; /* 8-aligned, see abi.h */

		/* shifts into two words, no variable index: a computed
		 * address into the stack copy upsets the verifier */
		if (n < 8)
			w[0] |= c << (n * 8);
		else
			w[1] |= c << ((n - 8) * 8);
		f->hist_len = n + 1;
	}
}

TS_INLINE void ts_hist_segment(struct ts_flow *f, const struct ts_seg *s)
{
	__u8 fl = s->flags;
	unsigned r = s->from & 1;

	if (fl & TS_TCP_SYN)
		ts_hist_add(f, (fl & TS_TCP_ACK) ? TS_H_SYNACK : TS_H_SYN, r);
	if (s->len)
		ts_hist_add(f, TS_H_DATA, r);
	else if ((fl & (TS_TCP_ACK | TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST)) == TS_TCP_ACK)
		ts_hist_add(f, TS_H_ACK, r);
	if (fl & TS_TCP_FIN)
		ts_hist_add(f, TS_H_FIN, r);
	if (fl & TS_TCP_RST)
		ts_hist_add(f, TS_H_RST, r);
}

/* Both directions seen (a history bit of each role): TS_F_CONFIRMED. */
#define TS_HIST_CLIENT_BITS 0x555u /* bit = letter * 2 + role: even bits */
#define TS_HIST_SERVER_BITS 0xaaau
TS_INLINE void ts_flow_confirm(struct ts_flow *f)
{
	if ((f->hist_mask & TS_HIST_CLIENT_BITS) && (f->hist_mask & TS_HIST_SERVER_BITS))
		f->flags |= TS_F_CONFIRMED;
}

/*
 * ack_no_conn: a picked-up (mid-stream) entry, never answered by the other
 * direction, whose sender sends again (not a SYN, not an RST) more than
 * TS_ACK_GRACE_NS after the entry was first seen. Once per entry: marks it
 * TS_F_ACK_REPORTED. Call after the segment was stepped (an answer from
 * the other direction has confirmed the entry by then).
 */
TS_INLINE int ts_ack_unanswered(struct ts_flow *f, const struct ts_seg *s, __u64 now)
{
	if ((f->flags & (TS_F_PICKED_UP | TS_F_CONFIRMED | TS_F_ACK_REPORTED)) != TS_F_PICKED_UP)
		return 0;
	if (s->flags & (TS_TCP_SYN | TS_TCP_RST))
		return 0;
	if (now <= f->first_seen_ns || now - f->first_seen_ns <= TS_ACK_GRACE_NS)
		return 0;
	f->flags |= TS_F_ACK_REPORTED;
	return 1;
}

/* State after the endpoint sends a segment with these flags (RST aside).
 * ack_fin: the segment's ACK covers the peer's FIN. */
TS_INLINE __u8 ts_on_send(__u8 st, __u8 fl, int ack_fin)
{
	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_SYN) {
		if (st == TS_CLOSED || st == TS_TIME_WAIT)
			return TS_SYN_SENT;
		if (st == TS_LISTEN) /* crossed SYNs: simultaneous open */
			return TS_SYN_RCVD;
		return st; /* retransmission */
	}
	if (fl & TS_TCP_SYN) { /* SYN-ACK */
		if (st == TS_LISTEN || st == TS_CLOSED)
			return TS_SYN_RCVD;
		return st;
	}
	if (fl & TS_TCP_FIN) {
		if (st == TS_ESTABLISHED || st == TS_SYN_RCVD)
			return TS_FIN_WAIT_1;
		/* a FIN that does not ACK the peer's crossed it (simultaneous
		 * close): sent from ESTABLISHED, then the peer's FIN arrives */
		if (st == TS_CLOSE_WAIT)
			return ack_fin ? TS_LAST_ACK : TS_CLOSING;
	}
	return st;
}

/*
 * State after the endpoint receives a segment. ack_syn/ack_fin: the
 * segment's ACK covers this endpoint's SYN / FIN. Order as RFC 9293 3.10.7:
 * SYN, then ACK, then FIN.
 */
TS_INLINE __u8 ts_on_recv(__u8 st, __u8 fl, int ack_syn, int ack_fin)
{
	if (fl & TS_TCP_SYN) {
		if (!(fl & TS_TCP_ACK)) {
			if (st == TS_CLOSED || st == TS_TIME_WAIT)
				return TS_LISTEN;
			if (st == TS_SYN_SENT) /* simultaneous open */
				return TS_SYN_RCVD;
			return st;
		}
		if ((st == TS_SYN_SENT || st == TS_SYN_RCVD) && ack_syn)
			st = TS_ESTABLISHED;
		/* a SYN-ACK carrying FIN is not sent by real stacks; fall through */
	} else if (fl & TS_TCP_ACK) {
		if (st == TS_SYN_RCVD && ack_syn)
			st = TS_ESTABLISHED;
		else if (st == TS_FIN_WAIT_1 && ack_fin)
			st = TS_FIN_WAIT_2;
		else if (st == TS_CLOSING && ack_fin)
			st = TS_TIME_WAIT;
		else if (st == TS_LAST_ACK && ack_fin)
			st = TS_CLOSED;
	}
	if (fl & TS_TCP_FIN) {
		if (st == TS_ESTABLISHED)
			st = TS_CLOSE_WAIT;
		else if (st == TS_FIN_WAIT_1)
			st = TS_CLOSING;
		else if (st == TS_FIN_WAIT_2)
			st = TS_TIME_WAIT;
	}
	return st;
}

/* Sequence space a segment occupies: payload + SYN + FIN. fl: its flags,
 * as the caller knows them (a constant on the lock-free path: no tests). */
TS_INLINE __u32 ts_end_of(const struct ts_seg *s, __u8 fl)
{
	return s->seq + s->len + !!(fl & TS_TCP_SYN) + !!(fl & TS_TCP_FIN);
}

TS_INLINE __u32 ts_seg_end(const struct ts_seg *s)
{
	return ts_end_of(s, s->flags);
}

/* Window a segment advertises, scaled once scaling is negotiated (never on
 * SYNs). fl: as for ts_end_of(). */
TS_INLINE __u32 ts_win_of(const struct ts_flow *f, const struct ts_endpoint *snd,
			  const struct ts_seg *s, __u8 fl)
{
	__u32 w = s->win;

	if (fl & TS_TCP_SYN)
		return w;
	if (f->flags & TS_F_PICKED_UP)
		return w << 14; /* scale unknown: assume the largest (lenient) */
	if (snd->flags & TS_EP_WSCALE)
		return w << (snd->wscale > 14 ? 14 : snd->wscale);
	return w;
}

TS_INLINE __u32 ts_seg_win(const struct ts_flow *f, const struct ts_endpoint *snd,
			   const struct ts_seg *s)
{
	return ts_win_of(f, snd, s, s->flags);
}

/*
 * Is the segment inside the window the receiver has allowed, in the
 * conntrack sense (upper bound: receiver's ack + window; lower bound: no
 * older than the largest window back)? Unknown sequence space is in window.
 */
TS_INLINE int ts_in_window_at(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			       __u32 seq, __u32 end)
{
	if (!(snd->flags & TS_EP_SEQ_KNOWN) || !(rcv->flags & TS_EP_SEQ_KNOWN) ||
	    !rcv->maxwin)
		return 1;
	return !ts_after(seq, snd->maxend) &&
	       ts_after(end + 1, snd->end - rcv->maxwin);
}

TS_INLINE int ts_in_window(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			    const struct ts_seg *s)
{
	return ts_in_window_at(snd, rcv, s->seq, ts_seg_end(s));
}

/*
 * The window as the kernel of a seen local receiver checks it
 * (tcp_sequence): not wholly behind rcv_wup (its last ACK here), not
 * starting past rcv_nxt + its window (its last ACK + window: snd's
 * maxend). Unlike ts_in_window, not measured from the sender's highest
 * end, which out-of-order segments (spoofed ones too) move ahead of
 * rcv_nxt.
 */
TS_INLINE int ts_in_window_seen(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
				 const struct ts_seg *s)
{
	if (!(snd->flags & TS_EP_SEQ_KNOWN) || !(rcv->flags & TS_EP_SEQ_KNOWN))
		return 1;
	return !ts_after(s->seq, snd->maxend) && !ts_before(ts_seg_end(s), rcv->last_ack);
}

/*
 * The out_of_window anomaly (conntrack's INVALID, with slack): a data
 * segment (not SYN, not RST) more than one of the receiver's largest
 * windows beyond what ts_in_window() accepts: starting past ack + window
 * + maxwin, or ending more than two largest windows behind the sender's
 * highest sequence. The slack keeps retransmissions (SACK'd or not),
 * window and keepalive probes, reordering and a window maximum lost to
 * the lock-free path far from it. Never judged: a picked-up flow (window
 * scale unknown), unknown sequence space, windows too large (> 2^29) for
 * the arithmetic to stay inside half the sequence space.
 */
TS_INLINE int ts_data_far_oow(const struct ts_flow *f, const struct ts_endpoint *snd,
			       const struct ts_endpoint *rcv, const struct ts_seg *s)
{
	__u32 end = ts_seg_end(s), w = rcv->maxwin;

	if (!s->len || (s->flags & (TS_TCP_SYN | TS_TCP_RST)) || (f->flags & TS_F_PICKED_UP))
		return 0;
	if (!(snd->flags & TS_EP_SEQ_KNOWN) || !(rcv->flags & TS_EP_SEQ_KNOWN) || !w ||
	    w > (1u << 29))
		return 0;
	return ts_after(s->seq, snd->maxend + w) || !ts_after(end + 1 + w, snd->end - w);
}

/*
 * RFC 5961 section 3 verdict on an RST: 0 exact (acceptable), 1 in window
 * but inexact (a real stack answers with a challenge ACK and stays), 2 out
 * of window, 3 in window and inexact but proven the peer's own by its ACK.
 * An RST that answers a SYN is acceptable when it ACKs the SYN.
 *
 * Verdict 3: an aborting stack sends RST|ACK with seq = its snd_nxt and ack
 * = its rcv_nxt. When a segment of the sender was lost (or overtaken)
 * before the point that watches, its snd_nxt is past what was seen, so the
 * RST is inexact here and at the receiver (which challenge-ACKs it, and the
 * peer's exact answer then closes). Its ACK, though, acknowledges exactly
 * data the receiver sent and the sender had not acknowledged before:
 * [sender's last ack, receiver's end]. A blind attacker must guess that
 * (on an idle connection, one value in 2^32) on top of an in-window seq, so
 * this is the peer: ignored like verdict 1, but not an anomaly. Also 3: an
 * RST on the FIN's sequence to a receiver in TIME_WAIT (below), which the
 * kernel ignores whoever sent it.
 */
TS_INLINE int ts_rst_verdict(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			      const struct ts_seg *s)
{

	if (rcv->state == TS_SYN_SENT) {
		if (!(s->flags & TS_TCP_ACK))
			return 2;
		if ((rcv->flags & TS_EP_SYN_SENT) && s->ack != rcv->isn + 1)
			return 2;
		return 0;
	}
	if (!(snd->flags & TS_EP_SEQ_KNOWN))
		return 0; /* sender never spoke (refusal) or pickup: cannot judge */
	/* (a receiver that never sent an ACK has no last_ack: an RST on 0,
	 * which a reset answering a segment without ACK carries, is not
	 * exact for it) */
	if (s->seq == snd->end || (s->seq == rcv->last_ack && rcv->last_ack))
		return 0;
	/* the kernel's tcp_reset_check(): once the receiver has the sender's
	 * FIN (CLOSE_WAIT, LAST_ACK, CLOSING), an RST on the FIN's own sequence
	 * is exact too (the sender's stack resets from an ACK that did not
	 * cover its FIN yet) */
	if (s->seq == snd->end - 1 &&
	    (rcv->state == TS_CLOSE_WAIT || rcv->state == TS_LAST_ACK || rcv->state == TS_CLOSING))
		return 0;
	/* the receiver in TIME_WAIT has the sender's FIN: an RST on its
	 * sequence is the sender's stack answering a segment sent before
	 * that FIN was ACKed (a retransmission reaching a socket already
	 * gone). The kernel ignores it (tcp_timewait_state_process: only
	 * rcv_nxt kills); so do we, as the peer's own, not an anomaly */
	if (s->seq == snd->end - 1 && rcv->state == TS_TIME_WAIT)
		return 3;
	if (!(rcv->flags & TS_EP_SEQ_KNOWN) || !rcv->maxwin)
		return 0;
	if ((ts_after(s->seq, snd->end - 1) && ts_before(s->seq, snd->end + rcv->maxwin)) ||
	    ts_in_window(snd, rcv, s))
		return ((s->flags & TS_TCP_ACK) && !ts_before(s->ack, snd->last_ack) &&
			!ts_after(s->ack, rcv->end)) ? 3 : 1;
	return 2;
}

/* Learn sequence space, window and options from a segment its sender sent.
 * fl: its flags (s->flags; the lock-free path's constant folds the tests
 * away). fin: its FIN (if any) takes effect now (not queued, ts_fin_queue). */
TS_INLINE void ts_track_seq(const struct ts_flow *f, struct ts_endpoint *snd,
			    struct ts_endpoint *rcv, const struct ts_seg *s, __u8 fl, int fin)
{
	__u32 end = ts_end_of(s, fl);
	__u32 win;

	if (fl & TS_TCP_SYN) {
		/* no branch on the options: in BPF a branch on a value the
		 * verifier knows marks it precise, and each combination of
		 * options would then be verified as a path of its own */
		snd->isn = s->seq;
		snd->mss = s->mss;
		snd->wscale = s->wscale;
		snd->flags = (__u8)((snd->flags & ~(TS_EP_WSCALE | TS_EP_SACKOK | TS_EP_TS)) |
				    TS_EP_SYN_SENT |
				    ((s->opts & (TS_OPT_WSCALE | TS_OPT_SACKOK | TS_OPT_TS)) << 2));
		/* a bare SYN: an active opener (ts_is_request), no branch */
		snd->xflags |= (__u8)(((__u8)~fl & TS_TCP_ACK) >> 3);
		/* RFC 7323: scaling holds only if both SYNs offered it */
		if ((fl & TS_TCP_ACK) &&
		    !((snd->flags & TS_EP_WSCALE) && (rcv->flags & TS_EP_WSCALE))) {
			snd->flags &= ~TS_EP_WSCALE;
			rcv->flags &= ~TS_EP_WSCALE;
		}
	}
	/* a segment that occupies no sequence space (an ACK) moves no end:
	 * the kernel neither receives nor SACKs anything up to its seq, and
	 * an end an ACK moved ahead would make an RST there look exact */
	if (!(snd->flags & TS_EP_SEQ_KNOWN)) {
		snd->end = end;
		snd->maxend = end;
		snd->flags |= TS_EP_SEQ_KNOWN;
	} else if (ts_after(end, snd->end) && end != s->seq) {
		snd->end = end;
	}
	if (ts_after(snd->end, snd->maxend))
		snd->maxend = snd->end;
	if (fin) {
		snd->fin_end = end;
		snd->flags |= TS_EP_FIN_SENT;
	}
	/* for a local endpoint, its kernel's ts_recent (PAWS); 0 without
	 * the option (parse leaves tsecr 0), as the kernel does not check */
	snd->ts_echo = s->tsecr;
	win = ts_win_of(f, snd, s, fl);
	if (win > snd->maxwin)
		snd->maxwin = win;
	if (fl & TS_TCP_ACK) {
		snd->last_ack = s->ack;
		/* the peer may now send up to ack + window */
		if (!(rcv->flags & TS_EP_SEQ_KNOWN) || ts_after(s->ack + win, rcv->maxend))
			rcv->maxend = s->ack + win;
	}
}

_Static_assert(TS_TCP_ACK >> 3 == TS_EPX_ACTIVE, "ts_track_seq shifts ACK into ACTIVE");

/* Does the segment's ACK cover the receiver's SYN / FIN? */
TS_INLINE int ts_acks_syn(const struct ts_endpoint *rcv, const struct ts_seg *s)
{
	if (!(s->flags & TS_TCP_ACK))
		return 0;
	if (!(rcv->flags & TS_EP_SYN_SENT))
		return 1; /* its SYN was never seen (pickup): trust the ACK */
	return !ts_before(s->ack, rcv->isn + 1);
}

TS_INLINE int ts_acks_fin(const struct ts_endpoint *rcv, const struct ts_seg *s)
{
	return (s->flags & TS_TCP_ACK) && (rcv->flags & TS_EP_FIN_SENT) &&
	       !ts_before(s->ack, rcv->fin_end);
}

/* Synchronised (RFC 9293): past the handshake, short of TIME_WAIT. A SYN
 * to such an endpoint gets a challenge ACK and is dropped (RFC 5961 4.2,
 * tcp_validate_incoming). */
TS_INLINE int ts_synced(__u8 st)
{
	return st >= TS_ESTABLISHED && st <= TS_LAST_ACK;
}

/*
 * Is the endpoint in this role a local one whose own segments tc egress
 * sees (TS_F_LOCAL0/1, by key index)? Then its kernel's ACKs and TSecr are
 * known here: the truth about what it took.
 */
TS_INLINE int ts_ep_seen_local(const struct ts_flow *f, unsigned role)
{
	return !!(f->flags & (TS_F_LOCAL0 << ((f->client ^ role) & 1)));
}

/*
 * PAWS (RFC 7323, the kernel's tcp_paws_check): a segment carrying a
 * TSval more than `win` behind the receiver's ts_recent is dropped (an
 * RST aside; a SYN gets a challenge ACK). rcv->ts_echo is that ts_recent
 * for a local receiver (the TSecr of its own last segment; 0, as in the
 * kernel, means no check). It lags the kernel's by what arrived since the
 * receiver last sent, a few ms of the peer's clock an off-path attacker
 * cannot aim at.
 */
TS_INLINE int ts_paws_old(const struct ts_endpoint *rcv, const struct ts_seg *s, int win)
{
	return (s->opts & TS_OPT_TS) && rcv->ts_echo && (__s32)(rcv->ts_echo - s->tsval) > win;
}

/*
 * A local listener's half-open request: Linux's request sock, made for a
 * SYN and answered with a SYN-ACK, not yet a socket. The server in
 * SYN_RCVD that sent a SYN-ACK and never a bare SYN (a simultaneous open
 * makes a socket, judged as any other). Its kernel judges what arrives by
 * tcp_check_req (ts_req_check), not by RFC 5961's rules for synchronised
 * sockets.
 */
TS_INLINE int ts_is_request(const struct ts_endpoint *ep)
{
	return ep->state == TS_SYN_RCVD && (ep->flags & TS_EP_SYN_SENT) &&
	       !(ep->xflags & TS_EPX_ACTIVE);
}

/* ts_req_check(): the segment ends the request (a step bit no segment
 * that moves nothing returns) */
#define TS_REQ_END TS_STEP_CLOSED

/*
 * tcp_check_req, for a segment from outside to the request rcv
 * (ts_is_request) of a seen local server: its rcv_nxt is its SYN-ACK's
 * ACK (rcv->last_ack), its window its SYN-ACK's (tcp_synack_window:
 * unscaled, at most 65535). Returns 0 if the segment goes on as to a
 * socket (an ACK of the SYN-ACK in the window makes one; a segment
 * without ACK is dropped after; an RST, below), TS_REQ_END if it ends the
 * request, else the step bits of a segment that moves nothing:
 * - the SYN again (on its ISN, no ACK): the SYN-ACK again;
 * - an ACK not exactly of the SYN-ACK: the listener answers it with an
 *   RST, the request stays;
 * - PAWS (a window of 0), or out of the window (tcp_in_window: starting
 *   at rcv_nxt, or ending past it and starting before rcv_nxt + window):
 *   an ACK.
 * Then a SYN on the ISN is no SYN (a retransmission with data), and a SYN
 * left ends the request, the kernel resetting its sender (embryonic_reset).
 * An RST is judged as for a socket (ts_rst_verdict: RFC 5961, exact or
 * challenged), as Linux 6.18 does (measured: an in-window RST off rcv_nxt
 * gets a challenge ACK and the request stays; an RST|ACK on rcv_nxt ends
 * it whatever its ACK). Older kernels (6.1, 6.12: the ACK check first, then
 * embryonic_reset for any RST in the window) end a request on an inexact
 * RST too, which is left so: a request kept here too long the sweeper
 * ends, one ended here too early would desynchronise its handshake.
 * Not modelled: since Linux 6.15 a TSecr none of the SYN-ACKs carried as
 * TSval is dropped as PAWS is (the TSvals are not kept here); in kernels
 * without the 2025 change that leaves it to the socket made, a timestamp
 * in the window moves the request's ts_recent, which the next SYN-ACK's
 * TSecr tells.
 */
TS_INLINE __u32 ts_req_check(const struct ts_endpoint *rcv, const struct ts_seg *s)
{
	__u32 nxt = rcv->last_ack, end = ts_seg_end(s);
	__u32 win = rcv->maxwin > 0xffff ? 0xffff : rcv->maxwin;
	__u8 fl = s->flags;
	int paws = ts_paws_old(rcv, s, 0);

	if (fl & TS_TCP_RST)
		return 0;
	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_SYN && s->seq == nxt - 1 && !paws)
		return TS_STEP_DISCARDED;
	if ((fl & TS_TCP_ACK) && s->ack != rcv->isn + 1)
		return TS_STEP_DISCARDED;
	if (paws)
		return TS_STEP_DISCARDED | TS_STEP_PAWS;
	if (s->seq != nxt && !(ts_after(end, nxt) && ts_before(s->seq, nxt + win)) &&
	    !(s->seq == nxt + win && s->seq == end))
		return TS_STEP_DISCARDED;
	if (s->seq == nxt - 1)
		fl &= (__u8)~TS_TCP_SYN;
	return (fl & TS_TCP_SYN) ? TS_REQ_END : 0;
}

/*
 * Does a SYN from snd move rcv, as the receiver's kernel would take it?
 * Into a synchronised endpoint: never. Into TIME_WAIT
 * (tcp_timewait_state_process): not if PAWS rejects its timestamp; else
 * if it is above the last sequence received, or its timestamp is newer
 * than the last one. ts_known: rcv's ts_echo is its kernel's (a local
 * endpoint); otherwise a timestamped SYN into a connection that used
 * timestamps is taken as newer (the kernel's odds for a random TSval are
 * one half).
 */
TS_INLINE int ts_syn_accepted(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			      const struct ts_seg *s, int ts_known)
{
	if (ts_synced(rcv->state))
		return 0;
	if (rcv->state != TS_TIME_WAIT || !(snd->flags & TS_EP_SEQ_KNOWN))
		return 1;
	if (ts_known && (s->opts & TS_OPT_TS) && rcv->ts_echo)
		return !ts_paws_old(rcv, s, 0) &&
		       (ts_after(s->seq, snd->end) || s->tsval != rcv->ts_echo);
	if (ts_after(s->seq, snd->end))
		return 1;
	return (s->opts & TS_OPT_TS) && (snd->flags & TS_EP_TS) && (rcv->flags & TS_EP_TS);
}

/*
 * How far the kernel of snd's local peer rcv has taken snd's bytes in
 * order (its rcv_nxt), as far as seen: rcv's own last ACK, or past it the
 * end of data from snd that started at or before that point
 * (ts_data_taken) and that rcv has not acknowledged yet (a delayed ACK).
 */
TS_INLINE __u32 ts_in_end(const struct ts_endpoint *snd, const struct ts_endpoint *rcv)
{
	if ((snd->xflags & TS_EPX_IN_END) && ts_after(snd->in_end, rcv->last_ack))
		return snd->in_end;
	return rcv->last_ack;
}

/*
 * A FIN from outside to a local endpoint whose segments are seen: its
 * kernel takes it at once only if it is the next byte expected; one ahead
 * of that it queues out of order (tcp_data_queue_ofo) and takes when the
 * gap fills, or drops when other data covers it first (tcp_ofo_queue).
 * The queue is not visible here, but the kernel's ACKs are: a FIN taken
 * is acknowledged exactly (ACK = its end, and the ACK stays there), a FIN
 * dropped is passed. So such a FIN moves nothing when it arrives: the
 * sender's lowest one waits (the one the kernel reaches first), and
 * ts_fin_dequeue moves both endpoints when the receiver's ACK says.
 */
/*
 * The next lowest FIN behind the waiting one (TS_EPX_FIN_Q2), its end in
 * fin_end: the kernel reaches it if it drops the first (data covered it,
 * or memory pressure pruned its out-of-order queue, tcp_prune_ofo_queue,
 * which shows only when the receiver's ACK passes the first one's end).
 */
TS_INLINE void ts_fin_q2_keep(struct ts_endpoint *snd, __u32 end, int acked)
{
	if (!(snd->xflags & TS_EPX_FIN_Q2) || ts_before(end, snd->fin_end)) {
		snd->fin_end = end;
		snd->xflags = (__u8)((snd->xflags & ~TS_EPX_FIN_Q2_ACKED) | TS_EPX_FIN_Q2 |
				     (acked ? TS_EPX_FIN_Q2_ACKED : 0));
	}
}

/* The first waiting FIN is gone: the second, if any, waits in its place
 * (its length unknown: its FIN alone). 1 if there was one. */
TS_INLINE int ts_fin_q2_promote(struct ts_endpoint *snd)
{
	if (!(snd->xflags & TS_EPX_FIN_Q2) || (snd->flags & TS_EP_FIN_SENT))
		return 0;
	snd->fin_q_end = snd->fin_end;
	snd->fin_q_len = 1;
	snd->xflags &= (__u8)~TS_EPX_FIN_Q_INORDER;
	snd->flags = (__u8)(snd->flags | TS_EP_FIN_QUEUED |
			    ((snd->xflags & TS_EPX_FIN_Q2_ACKED) ? TS_EP_FIN_Q_ACKED : 0));
	snd->xflags &= (__u8)~(TS_EPX_FIN_Q2 | TS_EPX_FIN_Q2_ACKED);
	return 1;
}

/* inorder: the FIN starts at or before what the receiver's kernel has
 * taken (ts_in_end): that kernel takes it at once (tcp_data_queue's
 * in-order path, tcp_fin), it never waits out of order, and no data after
 * it covers it (TS_EPX_FIN_Q_INORDER); its ACK still confirms it */
TS_INLINE void ts_fin_queue_at(struct ts_endpoint *snd, __u32 seq, __u32 end, int acked,
			       int inorder)
{
	__u32 len = end - seq, q_seq;
	int first;

	if (len > 0xffff)
		len = 0xffff;
	q_seq = snd->fin_q_end - snd->fin_q_len;
	/* does it wait first? The lowest does (the kernel reaches it
	 * first), unless the one waiting came in order: the kernel took that
	 * one already, and this one waits second only in case it did not */
	first = !(snd->flags & TS_EP_FIN_QUEUED) ||
		(!(snd->xflags & TS_EPX_FIN_Q_INORDER) &&
		 (ts_before(seq, q_seq) || (seq == q_seq && ts_after(end, snd->fin_q_end))));
	if (!(snd->flags & TS_EP_FIN_QUEUED)) {
		snd->xflags &= (__u8)~(TS_EPX_FIN_Q2 | TS_EPX_FIN_Q2_ACKED);
	} else if (end != snd->fin_q_end) {
		/* of the two, the other waits second */
		if (first)
			ts_fin_q2_keep(snd, snd->fin_q_end, !!(snd->flags & TS_EP_FIN_Q_ACKED));
		else
			ts_fin_q2_keep(snd, end, acked);
	}
	if (first) {
		snd->fin_q_end = end;
		snd->fin_q_len = (__u16)len;
		snd->xflags = (__u8)((snd->xflags & ~TS_EPX_FIN_Q_INORDER) |
				     (inorder ? TS_EPX_FIN_Q_INORDER : 0));
		/* did it acknowledge the receiver's own FIN? If not, the two
		 * crossed (simultaneous close: ts_on_send makes it CLOSING) */
		snd->flags = (__u8)((snd->flags & ~TS_EP_FIN_Q_ACKED) | TS_EP_FIN_QUEUED |
				    (acked ? TS_EP_FIN_Q_ACKED : 0));
	}
}

TS_INLINE void ts_fin_queue(struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			    const struct ts_seg *s)
{
	ts_fin_queue_at(snd, s->seq, ts_seg_end(s), ts_acks_fin(rcv, s),
			!ts_after(s->seq, ts_in_end(snd, rcv)));
}

/*
 * A segment from the local endpoint loc, whose peer has a FIN waiting:
 * its ACK at the FIN's end says the kernel took the FIN (the peer sent it,
 * loc received it: both move as they would have on arrival); past it, that
 * the kernel dropped it.
 * Returns 1 if it was dropped.
 */
TS_INLINE int ts_fin_dequeue1(struct ts_endpoint *loc, struct ts_endpoint *peer,
			       const struct ts_seg *s)
{
	if (s->ack == peer->fin_q_end) {
		peer->state = ts_on_send(peer->state, TS_TCP_FIN | TS_TCP_ACK,
					 !!(peer->flags & TS_EP_FIN_Q_ACKED));
		loc->state = ts_on_recv(loc->state, TS_TCP_FIN, 0, 0);
		peer->fin_end = peer->fin_q_end;
		/* the kernel's rcv_nxt now and for good (tcp_fin purges what
		 * it held beyond): what else the peer sent counts no more */
		peer->end = peer->fin_q_end;
		peer->flags = (__u8)((peer->flags & ~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED)) |
				     TS_EP_FIN_SENT);
		peer->xflags &= (__u8)~(TS_EPX_FIN_Q2 | TS_EPX_FIN_Q2_ACKED);
	} else if (ts_after(s->ack, peer->fin_q_end)) {
		peer->flags &= (__u8)~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED);
		return 1;
	}
	return 0;
}

/* ... and the second waiting FIN, if the kernel dropped the first. A
 * second one lower than the first waits only behind one that came in
 * order (ts_fin_queue_at): an ACK at its end says the kernel took it, so
 * never the first (it would be old then), whatever made the kernel drop
 * that one (a datagram it never completed, a drop not modelled here) */
TS_INLINE void ts_fin_dequeue(struct ts_endpoint *loc, struct ts_endpoint *peer,
			      const struct ts_seg *s)
{
	if (!(peer->flags & TS_EP_FIN_QUEUED) || !(s->flags & TS_TCP_ACK))
		return;
	/* (the first one taken, no second waits any more; an ACK below
	 * its end leaves it waiting, unless at the second's end) */
	if ((ts_fin_dequeue1(loc, peer, s) ||
	     ((peer->xflags & TS_EPX_FIN_Q2) && s->ack == peer->fin_end)) &&
	    ts_fin_q2_promote(peer))
		ts_fin_dequeue1(loc, peer, s);
}

/*
 * The local endpoint's own socket, read as it sends (bpf/track.h,
 * egress_sock_fin): its kernel took its peer's FIN (the socket is in
 * CLOSE_WAIT, LAST_ACK or CLOSING), which ends at rcv_nxt. The wire model
 * above follows the FINs the kernel may hold out of order by the two
 * lowest; past that (three or more queued by a spoofer who knows the
 * sequence numbers, the lower ones later covered by data), or for a FIN
 * that came through an interface not attached, the socket is the truth:
 * both endpoints move as they would have when the FIN was taken (the
 * peer's FIN acknowledged nothing of loc's: loc had sent none, or the two
 * crossed, CLOSING). Nothing moves when the peer's FIN is taken here
 * already, or one waiting ends at rcv_nxt (the segment's ACK, which every
 * segment of the socket carries, takes it as the wire model does: the
 * usual close, not a correction), or loc is in a state a FIN does not
 * reach from. Returns 1 if it moved them.
 */
#define TS_SK_CLOSE_WAIT 8  /* the kernel's TCP_CLOSE_WAIT (include/net/tcp_states.h) */
#define TS_SK_LAST_ACK   9
#define TS_SK_CLOSING    11
TS_INLINE int ts_sk_fin_taken(__u32 sk_state)
{
	return sk_state == TS_SK_CLOSE_WAIT || sk_state == TS_SK_LAST_ACK ||
	       sk_state == TS_SK_CLOSING;
}

TS_INLINE int ts_fin_by_socket(struct ts_flow *f, unsigned loc_role, __u32 rcv_nxt)
{
	struct ts_endpoint *loc = &f->ep[loc_role & 1], *peer = &f->ep[!(loc_role & 1)];

	if ((peer->flags & TS_EP_FIN_SENT) ||
	    (loc->state != TS_ESTABLISHED && loc->state != TS_FIN_WAIT_1) ||
	    ((peer->flags & TS_EP_FIN_QUEUED) && peer->fin_q_end == rcv_nxt) ||
	    ((peer->xflags & TS_EPX_FIN_Q2) && peer->fin_end == rcv_nxt))
		return 0;
	peer->state = ts_on_send(peer->state, TS_TCP_FIN | TS_TCP_ACK, 0);
	loc->state = ts_on_recv(loc->state, TS_TCP_FIN, 0, 0);
	peer->fin_end = rcv_nxt;
	peer->end = rcv_nxt;
	peer->flags = (__u8)((peer->flags & ~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED)) |
			     TS_EP_FIN_SENT);
	peer->xflags &= (__u8)~(TS_EPX_FIN_Q2 | TS_EPX_FIN_Q2_ACKED | TS_EPX_FIN_Q_INORDER);
	return 1;
}

/*
 * The local endpoint's own socket is ESTABLISHED as it sends this segment
 * (bpf/track.h, egress_sock_fin): its kernel has taken no FIN of its
 * peer's (tcp_fin makes it CLOSE_WAIT before any ACK goes out). A waiting
 * FIN of the peer's that the segment's ACK reaches was therefore not
 * taken: data reached its end, while the FIN itself was dropped for a
 * reason the wire model does not follow (the fragment memory full, an
 * option the kernel refuses, its receive memory full). Taken as the
 * kernel has it, such an ACK would confirm that FIN (the differential
 * fuzzer, seed 31: an IPv6 FIN at rcv_nxt, its datagram dropped with the
 * fragment memory full, then data to its end). The FIN goes, as one the
 * ACK passed; the second waiting one, if any, waits in its place unless
 * the ACK reaches it too. Returns 1 if one went.
 */
#define TS_SK_ESTABLISHED 1 /* the kernel's TCP_ESTABLISHED */
TS_INLINE int ts_fin_not_taken(struct ts_flow *f, unsigned loc_role, __u32 ack)
{
	struct ts_endpoint *peer = &f->ep[!(loc_role & 1)];

	if ((peer->flags & (TS_EP_FIN_QUEUED | TS_EP_FIN_SENT)) != TS_EP_FIN_QUEUED ||
	    ts_before(ack, peer->fin_q_end))
		return 0;
	peer->flags &= (__u8)~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED);
	if (ts_fin_q2_promote(peer) && !ts_before(ack, peer->fin_q_end))
		peer->flags &= (__u8)~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED);
	return 1;
}

/*
 * A FIN in an IP first fragment from snd to its seen local peer (the step
 * set it aside: TS_STEP_FIN_FRAG) whose datagram's last fragment came: its
 * end is known now. The kernel takes it only once the datagram is whole
 * and its TCP checksum holds, neither of which shows here; its receiver's
 * ACK does: it waits like any FIN to a seen local endpoint (ts_fin_queue),
 * judged first as ts_fsm_step judges a whole one (ts_in_end: an old
 * duplicate, ending where the receiver has taken the bytes already, is
 * dropped). seq, ack: the FIN segment's; end: just past the FIN. Returns
 * 1 if it waits.
 */
TS_INLINE int ts_fin_frag_done(struct ts_flow *f, unsigned from, __u32 seq, __u32 end,
			       __u32 ack)
{
	struct ts_endpoint *snd = &f->ep[from & 1];
	const struct ts_endpoint *rcv = &f->ep[!(from & 1)];

	if (!ts_ep_seen_local(f, !(from & 1)) || (snd->flags & TS_EP_FIN_SENT) ||
	    !ts_synced(rcv->state) || !ts_after(end, ts_in_end(snd, rcv)))
		return 0;
	/* the kernel judges the datagram when it is whole, by its window
	 * then (tcp_sequence, as ts_in_window_seen) and the data it has sent
	 * (an ACK of unsent data is dropped); the first fragment's step judged
	 * only what it could then, and a FIN half the sequence space away
	 * passes comparisons made from the other side */
	if ((snd->flags & TS_EP_SEQ_KNOWN) && (rcv->flags & TS_EP_SEQ_KNOWN) &&
	    (ts_after(seq, snd->maxend) || ts_before(end, rcv->last_ack) ||
	     ts_after(ack, rcv->end)))
		return 0;
	ts_fin_queue_at(snd, seq, end,
			(rcv->flags & TS_EP_FIN_SENT) && !ts_before(ack, rcv->fin_end),
			!ts_after(seq, ts_in_end(snd, rcv)));
	return 1;
}

/*
 * An RST in an IP first fragment from snd to its seen local peer (the
 * step set it aside) whose datagram is whole now, its TCP checksum right:
 * its kernel judges it now as ts_fsm_step judges a whole one on a
 * synchronised connection (RFC 5961: only an exact one closes; a request
 * or a handshake is not followed here). seq, ack, flags: the RST
 * segment's. Returns 1 if it closed the connection.
 */
TS_INLINE int ts_rst_frag_done(struct ts_flow *f, unsigned from, __u32 seq, __u32 ack, __u8 flags)
{
	struct ts_endpoint *snd = &f->ep[from & 1], *rcv = &f->ep[!(from & 1)];
	struct ts_seg s = { .seq = seq, .ack = ack, .flags = flags };

	if (!ts_ep_seen_local(f, !(from & 1)) || !ts_synced(rcv->state) ||
	    rcv->state == TS_TIME_WAIT || ts_rst_verdict(snd, rcv, &s))
		return 0;
	snd->state = TS_CLOSED;
	rcv->state = TS_CLOSED;
	snd->flags &= (__u8)~TS_EP_FIN_QUEUED;
	rcv->flags &= (__u8)~TS_EP_FIN_QUEUED;
	return 1;
}

/*
 * Does this data from snd cover the FIN of snd's that waits (TS_EP_FIN_QUEUED)
 * whole, so that its receiver's kernel, holding both out of order, drops
 * the FIN (tcp_data_queue_ofo: from an earlier sequence to its end or
 * beyond, or from its own with more)?
 */
TS_INLINE int ts_data_covers_fin(const struct ts_endpoint *snd, const struct ts_seg *s)
{
	__u32 q_end = snd->fin_q_end, q_seq = q_end - snd->fin_q_len, dend = s->seq + s->len;

	return (snd->flags & TS_EP_FIN_QUEUED) && !(snd->xflags & TS_EPX_FIN_Q_INORDER) &&
	       ((ts_before(s->seq, q_seq) && !ts_before(dend, q_end)) ||
		(s->seq == q_seq && ts_after(dend, q_end)));
}

/*
 * Data from outside that snd's seen local peer rcv takes (the caller
 * checked what the kernel checks first: PAWS, the ACK, the window; and
 * that it carries an ACK, without which the kernel drops it). Starting at
 * or before rcv_nxt (ts_in_end), it is taken whole, in order or partly
 * old (tcp_data_queue): rcv_nxt moves to its end, FIN aside. A FIN
 * waiting for rcv's ACK (ts_fin_queue) is then dropped by the kernel if
 * rcv_nxt passed its end (tcp_ofo_queue: a queued segment wholly behind
 * rcv_nxt goes), or, out of order, if this data covers it whole
 * (tcp_data_queue_ofo replaces it: from an earlier sequence, or from its
 * own with more); rcv's ACK at the FIN's end says nothing of the FIN
 * after that.
 */
TS_INLINE void ts_data_taken(struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			     const struct ts_seg *s)
{
	__u32 at = ts_in_end(snd, rcv), dend = s->seq + s->len, q_end;

	if (!s->len)
		return;
	if (!ts_after(s->seq, at) && ts_after(dend, at)) {
		snd->in_end = dend;
		snd->xflags |= TS_EPX_IN_END;
		at = dend;
	}
	if (!(snd->flags & TS_EP_FIN_QUEUED) || (snd->xflags & TS_EPX_FIN_Q_INORDER))
		return;
	q_end = snd->fin_q_end;
	if (!ts_before(at, q_end) || (!(s->flags & TS_TCP_FIN) && ts_data_covers_fin(snd, s))) {
		snd->flags &= (__u8)~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED);
		/* the second waits now, unless rcv_nxt passed it too */
		if (ts_fin_q2_promote(snd) && !ts_before(at, snd->fin_q_end))
			snd->flags &= (__u8)~(TS_EP_FIN_QUEUED | TS_EP_FIN_Q_ACKED);
	}
}

/*
 * Would this segment from outside move what the kernel of its seen local
 * receiver has taken in order, or drop a FIN it holds out of order
 * (ts_data_taken)? Then the datapath verifies
 * its TCP checksum first (plain data is not summed on parsing; SYN, FIN
 * and RST are): the kernel drops a segment whose checksum is wrong, and
 * such a segment must move nothing here. Read without the flow's lock: a
 * stale answer costs a checksum, or leaves one segment unsummed.
 */
TS_INLINE int ts_data_needs_csum(const struct ts_flow *f, const struct ts_seg *s, unsigned from)
{
	const struct ts_endpoint *snd = &f->ep[from & 1], *rcv = &f->ep[!(from & 1)];
	__u32 at;

	if (!s->len || (s->flags & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST)) ||
	    !(s->flags & TS_TCP_ACK) || (s->opts & TS_SEG_FRAG) || !ts_ep_seen_local(f, !(from & 1)))
		return 0;
	at = ts_in_end(snd, rcv);
	/* or would it drop a FIN of snd's that waits, out of order? */
	return (!ts_after(s->seq, at) && ts_after(s->seq + s->len, at)) ||
	       ts_data_covers_fin(snd, s);
}

/*
 * Does the local receiver rcv hold snd's FIN (its kernel took it: snd's
 * fin_end is rcv_nxt for good)? Then segments from snd are judged by
 * tcp_rcv_state_process's closing states, not as data (ts_fsm_step).
 */
TS_INLINE int ts_has_peer_fin(const struct ts_endpoint *snd, const struct ts_endpoint *rcv)
{
	return (snd->flags & TS_EP_FIN_SENT) &&
	       (rcv->state == TS_CLOSE_WAIT || rcv->state == TS_CLOSING ||
		rcv->state == TS_LAST_ACK || rcv->state == TS_TIME_WAIT);
}

/*
 * Data to a receiver that holds the sender's FIN (ts_has_peer_fin) which
 * starts before that FIN's end and runs past it: the kernel aborts
 * (tcp_rcv_state_process, step 7, RFC 1122's reset on data after a FIN:
 * CLOSE_WAIT, CLOSING and LAST_ACK, TCP_ABORT_ON_DATA) and answers with
 * an RST. Data from the FIN's end on it ignores.
 */
TS_INLINE int ts_data_past_fin(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			       const struct ts_seg *s)
{
	return s->len && rcv->state != TS_TIME_WAIT && (s->flags & TS_TCP_ACK) &&
	       ts_before(s->seq, snd->fin_end) && ts_after(s->seq + s->len, snd->fin_end);
}

/*
 * The kernel's tcp_ack drops an ACK more than min(max_window, bytes_acked)
 * behind snd_una as too old (RFC 5961 5.2; bytes_acked since Linux 6.4:
 * no ACK for bytes never sent). snd->last_ack stands for snd_una, the
 * receiver's ISN for where its bytes started.
 */
TS_INLINE int ts_ack_too_old(const struct ts_endpoint *snd, const struct ts_endpoint *rcv,
			     const struct ts_seg *s, __u32 slack)
{
	__u32 w = snd->maxwin, acked;

	if (!(snd->flags & TS_EP_SEQ_KNOWN) || !snd->last_ack)
		return 0;
	if (rcv->flags & TS_EP_SYN_SENT) {
		acked = snd->last_ack - rcv->isn - 1;
		if (acked < w)
			w = acked;
	}
	return ts_before(s->ack, snd->last_ack - w - slack);
}

/*
 * Start tracking a tuple from its first segment. The caller zeroes *f and
 * gives the sender's key index and both ports (host order); this decides
 * which endpoint is the client and sets s->from. A bare SYN names its
 * sender the client; a SYN-ACK names its receiver; anything else is a
 * mid-stream pickup where the lower port is taken to be the server's.
 */
TS_INLINE void ts_flow_start(struct ts_flow *f, struct ts_seg *s, __u8 sender_idx,
			     __u16 sport, __u16 dport, __u64 now)
{
	__u8 fl = s->flags;
	int sender_is_client;

	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_SYN) {
		sender_is_client = 1;
	} else if (fl & TS_TCP_SYN) {
		sender_is_client = 0;
		f->flags |= TS_F_PICKED_UP;
		f->ep[TS_CLIENT].state = TS_SYN_SENT;
		f->ep[TS_SERVER].state = TS_LISTEN;
	} else {
		sender_is_client = sport > dport;
		f->flags |= TS_F_PICKED_UP;
		f->ep[TS_CLIENT].state = TS_ESTABLISHED;
		f->ep[TS_SERVER].state = TS_ESTABLISHED;
	}
	f->client = sender_is_client ? (sender_idx & 1) : !(sender_idx & 1);
	s->from = sender_is_client ? TS_CLIENT : TS_SERVER;
	f->first_seen_ns = now;
	f->state_ns = now;
}

/*
 * Advance the flow by one segment. now: CLOCK_MONOTONIC ns (precise for
 * handshake segments, coarse is fine otherwise). recv_is_local: the
 * segment's receiver is this host (it came in through XDP): its sender
 * may be anyone, where the local kernel's own segments (egress) are the
 * truth about its connections; and the handshake is timed from the local
 * host's point of view.
 */
TS_INLINE __u32 ts_fsm_step(struct ts_flow *f, struct ts_seg *s, __u64 now,
			    int recv_is_local)
{
	unsigned from = s->from & 1, to;
	struct ts_endpoint *snd = &f->ep[from];
	struct ts_endpoint *rcv = &f->ep[!from];
	__u8 fl = s->flags;
	__u8 old_c = f->ep[TS_CLIENT].state, old_s = f->ep[TS_SERVER].state;
	__u8 ns, nr, old_r;
	__u32 ret = 0, prev_ack;
	int ack_syn, ack_fin, rcv_seen, fin_seen, has_fin;

	/*
	 * A SYN from the outside moves nothing its receiver's kernel would
	 * not take (ts_syn_accepted): an off-path attacker's SYN on a live
	 * tuple neither restarts nor shifts it. The local kernel's own SYN or
	 * SYN-ACK on a tuple tracked as synchronised, with a new ISN (not a
	 * retransmission racing the ACK), is the truth (it holds no such
	 * connection: a close we missed): it restarts the tuple. An
	 * entry that has seen one direction only (ingress-only, a pickup not
	 * yet answered) cannot tell the two apart and keeps taking SYNs.
	 */
	if ((fl & (TS_TCP_SYN | TS_TCP_RST)) == TS_TCP_SYN && recv_is_local &&
	    (f->flags & TS_F_CONFIRMED) &&
	    !ts_syn_accepted(snd, rcv, s, ts_ep_seen_local(f, !from)))
		return TS_STEP_SYN_CHALLENGED;
	/* A new SYN on a finished tuple starts a new connection (port reuse,
	 * e.g. out of TIME_WAIT): the SYN's sender becomes the client. */
	if (((fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_SYN &&
	     (snd->state == TS_CLOSED || snd->state == TS_TIME_WAIT) &&
	     (rcv->state == TS_CLOSED || rcv->state == TS_TIME_WAIT) &&
	     (old_c != TS_CLOSED || old_s != TS_CLOSED || f->hist_len)) ||
	    ((fl & (TS_TCP_SYN | TS_TCP_RST)) == TS_TCP_SYN && !recv_is_local &&
	     ts_synced(snd->state) && s->seq != snd->isn)) {
		__u8 client_key = from == TS_CLIENT ? f->client : !f->client;
		__u8 family = f->family;
		__u64 first = f->first_seen_ns;
		/* which key index is a local endpoint whose segments tc egress
		 * sees is the host's, not the connection's: kept. Cleared, an
		 * off-path SYN's reuse made the local server's address look
		 * remote until it next sent: a reflected segment (its own
		 * address coming in, which its kernel drops) was taken as its */
		__u8 local = f->flags & (TS_F_LOCAL0 | TS_F_LOCAL1);

		__builtin_memset(&f->flags, 0,
				 sizeof(*f) - __builtin_offsetof(struct ts_flow, flags));
		f->family = family;
		f->first_seen_ns = first;
		f->flags = local;
		ret |= TS_STEP_REUSE;
		/* roles may have swapped: rebase on the client */
		old_c = old_s = TS_CLOSED;
		if (fl & TS_TCP_ACK) {
			/* the local server's SYN-ACK: its SYN went by
			 * unseen, as for a SYN-ACK pickup (ts_flow_start) */
			f->client = !client_key;
			f->flags |= TS_F_PICKED_UP;
			f->ep[TS_CLIENT].state = TS_SYN_SENT;
			f->ep[TS_SERVER].state = TS_LISTEN;
			s->from = TS_SERVER;
		} else {
			f->client = client_key;
			s->from = TS_CLIENT;
		}
	}
	/* one code path for either direction: a variable index, not two
	 * clones of the code with constant ones */
	from = s->from & 1;
	TS_OPAQUE(from);
	from &= 1;
	to = from ^ 1;
	snd = &f->ep[from];
	rcv = &f->ep[to];
	/* from outside to a local endpoint whose own segments are seen: its
	 * ACKs and timestamps tell what its kernel took (of a FIN, when the
	 * whole segment's length is known: not in a first IP fragment) */
	rcv_seen = recv_is_local && ts_ep_seen_local(f, to);
	fin_seen = rcv_seen && !(s->opts & TS_SEG_FRAG);

	/* the datapath mixes a coarse clock (established flows) with a precise
	 * one (handshakes): never let last_seen run backwards */
	if (now > f->last_seen_ns)
		f->last_seen_ns = now;
	snd->packets++;
	snd->bytes += s->len;
	ts_hist_segment(f, s);
	ts_flow_confirm(f);

	/* to a seen local listener's half-open request: tcp_check_req's
	 * rules (ts_req_check). What goes on from here is an RST, or an ACK
	 * of its SYN-ACK in its window (or a segment without ACK, dropped
	 * below) */
	{
		__u32 r = 0;

		if (rcv_seen && to == TS_SERVER && ts_is_request(rcv))
			r = ts_req_check(rcv, s);
		/* for the verifier: one state here however r was reached (the
		 * ways through ts_req_check are not carried into the rest;
		 * measured, the xdp program verifies in fewer instructions
		 * than with no check at all) */
		TS_OPAQUE(r);
		if (r == TS_REQ_END) {
			/* a SYN in its window: its sender the kernel resets,
			 * which that RST, seen, tells */
			rcv->state = TS_CLOSED;
			goto out;
		}
		if (r)
			return ret | r;
	}
	/* an RST in a first IP fragment to a seen local receiver moves
	 * nothing yet: its kernel takes it once the datagram is whole and its
	 * checksum holds (bpf/track.h sets it aside; ts_rst_frag_done) */
	if ((fl & TS_TCP_RST) && rcv_seen && (s->opts & TS_SEG_FRAG))
		return ret;
	/* the connection ended (an exact RST, a refusal): no kernel holds it
	 * and nothing here can move. A late RST is a host answering a segment
	 * that came after the end (a reordered or retransmitted one: a reset
	 * takes its sequence from that segment's ACK, RFC 9293 3.10.7.1, as
	 * old as the segment), or a spoofer's at a dead tuple, which the
	 * receiver's kernel drops: neither is judged */
	if ((fl & TS_TCP_RST) && snd->state == TS_CLOSED && rcv->state == TS_CLOSED)
		return ret;
	if (fl & TS_TCP_RST) {
		int v = ts_rst_verdict(snd, rcv, s);

		/* the local server's own RST while its request is half-open:
		 * the listener's answer to an ACK not of the SYN-ACK (on that
		 * ACK's sequence, no ACK of its own) leaves the request; the
		 * request's own (embryonic_reset, answering a SYN in its
		 * window: on the SYN-ACK's end, or RST|ACK to a bare SYN) ends
		 * it. Either moves its receiver as that one's kernel takes it */
		if (!recv_is_local && from == TS_SERVER && ts_is_request(snd)) {
			if (!v)
				rcv->state = TS_CLOSED;
			if ((fl & TS_TCP_ACK) || s->seq == snd->isn + 1)
				snd->state = TS_CLOSED;
			goto out;
		}
		if (v == 1)
			return ret | TS_STEP_RST_INEXACT;
		if (v == 3)
			return ret | TS_STEP_RST_INEXACT_PEER;
		if (v == 2)
			return ret | TS_STEP_RST_OOW;
		snd->state = TS_CLOSED;
		rcv->state = TS_CLOSED;
		snd->flags &= (__u8)~TS_EP_FIN_QUEUED;
		rcv->flags &= (__u8)~TS_EP_FIN_QUEUED;
		goto out;
	}

	/* from outside, what the receiver's kernel drops moves nothing: a
	 * TSval PAWS rejects (checked first, as tcp_validate_incoming does),
	 * an ACK of data it never sent (tcp_ack: "ack of unsent data"; unless
	 * the receiver is a seen local one, with slack for an end the
	 * lock-free path lost: consts.h), an ACK too old (ts_ack_too_old,
	 * with the same slack), a FIN outside its window
	 * (tcp_sequence) or wholly behind the next byte expected (an old
	 * duplicate: its end is not past what was received; for a seen local
	 * receiver, what its own ACK says it received). To a seen local
	 * receiver, a FIN in a first IP fragment has no end yet: only its
	 * start is judged here, against the receiver's window (not the
	 * sender's highest end, which out-of-order segments move), the rest
	 * once the datagram is whole (ts_fin_frag_done) */
	if (rcv_seen && ts_paws_old(rcv, s, TS_PAWS_WINDOW))
		return ret | TS_STEP_DISCARDED | TS_STEP_PAWS;
	/* nor a segment without ACK (no SYN, no RST) to a connection past
	 * LISTEN: tcp_rcv_established and tcp_rcv_state_process drop it
	 * (TCP_FLAGS), so do tcp_check_req and the SYN_SENT code; a FIN
	 * without ACK never takes effect, whatever ACK the receiver sends */
	if (recv_is_local && !(fl & (TS_TCP_ACK | TS_TCP_SYN | TS_TCP_RST)) &&
	    rcv->state >= TS_SYN_SENT && rcv->state <= TS_LAST_ACK)
		return ret | TS_STEP_DISCARDED;
	if (recv_is_local &&
	    (((fl & TS_TCP_ACK) && (rcv->flags & TS_EP_SEQ_KNOWN) &&
	      ts_after(s->ack, rcv->end + (rcv_seen ? 0 : TS_ACK_SLACK))) ||
	     ((fl & TS_TCP_ACK) &&
	      ts_ack_too_old(snd, rcv, s, rcv_seen ? 0 : TS_ACK_SLACK)) ||
	     ((fl & TS_TCP_FIN) &&
	      (fin_seen ? (!ts_in_window_seen(snd, rcv, s) ||
			   ((rcv->flags & TS_EP_SEQ_KNOWN) &&
			    !ts_after(ts_seg_end(s), ts_in_end(snd, rcv)))) :
	       rcv_seen ? ((snd->flags & TS_EP_SEQ_KNOWN) && (rcv->flags & TS_EP_SEQ_KNOWN) &&
			   ts_after(s->seq, snd->maxend)) :
			  (!ts_in_window(snd, rcv, s) ||
			   ((snd->flags & TS_EP_SEQ_KNOWN) &&
			    ts_before(ts_seg_end(s), snd->end)))))))
		return ret | TS_STEP_DISCARDED;
	/* a seen local receiver that took the sender's FIN takes no other
	 * (tcp_fin: a retransmission, or one past rcv_nxt, which the closing
	 * states ignore); its end counts for nothing (below) */
	has_fin = rcv_seen && ts_has_peer_fin(snd, rcv);
	if (has_fin)
		fl &= (__u8)~TS_TCP_FIN;
	/* a FIN to a seen local endpoint waits for its ACK (ts_fin_queue);
	 * one from an endpoint whose FIN the receiver took already is a
	 * retransmission, as before */
	if ((fl & TS_TCP_FIN) && fin_seen && !(snd->flags & TS_EP_FIN_SENT)) {
		ts_fin_queue(snd, rcv, s);
		fl &= (__u8)~TS_TCP_FIN;
		ret |= TS_STEP_FIN_QUEUED;
	}
	/* a FIN in a first IP fragment: neither its end nor its checksum is
	 * known here, and the kernel sees it only once the datagram is whole.
	 * Its data is all it moves now; the datagram's last fragment tells
	 * its end, and then it waits for the ACK as above (ts_fin_frag_done) */
	if ((fl & TS_TCP_FIN) && rcv_seen && !fin_seen && !(snd->flags & TS_EP_FIN_SENT))
		fl &= (__u8)~TS_TCP_FIN;
	if (!ts_in_window(snd, rcv, s)) {
		ret |= TS_STEP_OUT_OF_WINDOW;
		/* far outside: ignored, as the kernel drops it; learning from
		 * it would move the window and flag the real segments after */
		if (ts_data_far_oow(f, snd, rcv, s))
			return ret | TS_STEP_DATA_FAR_OOW;
		/* a seen local receiver's kernel drops it (tcp_sequence):
		 * nothing to learn; unless only the sender's highest end,
		 * which segments out of order moved, says so */
		if (rcv_seen && !ts_in_window_seen(snd, rcv, s))
			return ret;
	}
	if (has_fin && ts_data_past_fin(snd, rcv, s)) {
		snd->state = TS_CLOSED;
		rcv->state = TS_CLOSED;
		snd->flags &= (__u8)~TS_EP_FIN_QUEUED;
		rcv->flags &= (__u8)~TS_EP_FIN_QUEUED;
		goto out;
	}
	/* what the kernel of a seen local receiver has taken in order: the
	 * whole segment is known (not a first IP fragment), it carries an
	 * ACK (checked above) and no SYN */
	if (rcv_seen && !has_fin && !(s->opts & TS_SEG_FRAG) && !(fl & TS_TCP_SYN))
		ts_data_taken(snd, rcv, s);
	prev_ack = snd->last_ack;
	ts_track_seq(f, snd, rcv, s, s->flags, !!(fl & TS_TCP_FIN));
	/* last_ack stands for the receiver's snd_una, which an old ACK
	 * (tcp_ack: behind it, within the window) does not move back; a local
	 * sender's own ACKs never go back. A SYN-ACK acknowledges a new
	 * sequence space (a SYN on a finished tuple): its ACK is taken as it
	 * is, or an RST answering it would not look exact */
	if (!(fl & TS_TCP_SYN) && prev_ack && ts_before(snd->last_ack, prev_ack))
		snd->last_ack = prev_ack;
	/* the receiver's rcv_nxt stays at the FIN it took: bytes past it
	 * move no end (an RST there is not exact, tcp_reset_check) */
	if (has_fin && ts_after(snd->end, snd->fin_end))
		snd->end = snd->fin_end;

	if (fl & TS_TCP_SYN) {
		if (!(fl & TS_TCP_ACK)) {
			if (!f->syn_ns)
				f->syn_ns = now;
		} else if (!f->synack_ns) {
			f->synack_ns = now;
		}
	}

	/* A bare ACK from an endpoint still in SYN_SENT proves it got a
	 * SYN-ACK the tracker never saw (an ingress-only attach, the
	 * unidirectional model): catch both endpoints up to where that
	 * SYN-ACK would have put them. */
	if (!(fl & TS_TCP_SYN) && (fl & TS_TCP_ACK) && snd->state == TS_SYN_SENT) {
		snd->state = TS_ESTABLISHED;
		if (rcv->state == TS_LISTEN)
			rcv->state = TS_SYN_RCVD;
	}

	/* a local endpoint's ACK tells whether its kernel took its peer's
	 * waiting FIN: first that, then this segment */
	ts_fin_dequeue(snd, rcv, s);
	ack_syn = ts_acks_syn(rcv, s);
	ack_fin = ts_acks_fin(rcv, s);
	ns = ts_on_send(snd->state, fl, ack_fin);
	old_r = rcv->state;
	nr = ts_on_recv(old_r, fl, ack_syn, ack_fin);
	snd->state = ns;
	rcv->state = nr;

	/* handshake time as the local host sees it: a local client times
	 * SYN -> SYN-ACK, a local server SYN-ACK -> final ACK */
	if (recv_is_local && !f->handshake_us && nr == TS_ESTABLISHED &&
	    old_r != TS_ESTABLISHED) {
		__u64 t0 = (fl & TS_TCP_SYN) ? f->syn_ns : f->synack_ns;

		if (t0 && now > t0)
			f->handshake_us = (__u32)((now - t0) / 1000);
	}

out:
	if (f->ep[TS_CLIENT].state != old_c)
		ret |= TS_STEP_CLIENT_CHANGED;
	if (f->ep[TS_SERVER].state != old_s)
		ret |= TS_STEP_SERVER_CHANGED;
	if (ret & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED)) {
		f->state_ns = now;
		if (f->ep[TS_CLIENT].state == TS_ESTABLISHED &&
		    f->ep[TS_SERVER].state == TS_ESTABLISHED &&
		    (old_c != TS_ESTABLISHED || old_s != TS_ESTABLISHED))
			ret |= TS_STEP_ESTABLISHED;
		if (f->ep[TS_CLIENT].state == TS_CLOSED && f->ep[TS_SERVER].state == TS_CLOSED)
			ret |= TS_STEP_CLOSED;
	}
	return ret;
}

/*
 * The fast path: a segment of an established connection that changes no
 * state (no SYN, FIN or RST; both endpoints ESTABLISHED; its history
 * letter already recorded) only moves counters and the sequence window.
 * The datapath runs this without the flow's lock: state is never written
 * here, so no transition can be lost; two CPUs racing on one flow may at
 * worst lose a counter increment or a window maximum, which the next
 * segment restores. Returns 1 if handled, 0 if the full step is needed.
 */
TS_INLINE int ts_fsm_fast(struct ts_flow *f, struct ts_seg *s, __u8 sender_idx, __u64 now)
{
	unsigned from, letter;
	struct ts_endpoint *snd, *rcv;

	/* an ACK, no SYN, FIN or RST: then TS_TCP_ACK stands for its flags
	 * below (the other bits move nothing), a constant */
	if ((s->flags & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST | TS_TCP_ACK)) != TS_TCP_ACK)
		return 0;
	if (f->ep[TS_CLIENT].state != TS_ESTABLISHED || f->ep[TS_SERVER].state != TS_ESTABLISHED)
		return 0;
	/* a picked-up entry not yet answered (nor reported): the full step
	 * judges ack_no_conn. A flag test, no map call. */
	if ((f->flags & (TS_F_PICKED_UP | TS_F_CONFIRMED | TS_F_ACK_REPORTED)) == TS_F_PICKED_UP)
		return 0;
	from = (sender_idx & 1) == f->client ? TS_CLIENT : TS_SERVER;
	letter = s->len ? TS_H_DATA : TS_H_ACK;
	if (!(f->hist_mask & (1u << (letter * 2 + from))))
		return 0;
	s->from = (__u8)from;
	TS_OPAQUE(from);
	from &= 1;
	snd = &f->ep[from];
	rcv = &f->ep[from ^ 1];
	/*
	 * Learn only from what the receiver's kernel takes; the full step
	 * judges (and refuses) the rest, one compare each on the common path.
	 * An ACK outside [the sender's last ack, the receiver's end]: behind
	 * (tcp_ack's old or too old ACK: snd_una stays) or of data never sent
	 * (dropped whole). Learnt here, such an ACK moved last_ack, after
	 * which the real ACKs looked too old, or its data moved end, after
	 * which an RST there looked exact.
	 */
	if (s->ack - snd->last_ack > rcv->end - snd->last_ack)
		return 0;
	/* data outside the window takes the full step, which judges it
	 * (out_of_window): a few compares, no map call; so does data whose
	 * TSval PAWS rejects (ts_paws_old; ts_echo is 0 without timestamps,
	 * a segment without the option has tsval 0: the full step decides).
	 * A pure ACK PAWS drops moves nothing the range above lets by that
	 * the kernel would not take from the next one. */
	if (s->len && (!ts_in_window_at(snd, rcv, s->seq, s->seq + s->len) ||
		       (__s32)(rcv->ts_echo - s->tsval) > TS_PAWS_WINDOW))
		return 0;
	/* a FIN of the peer waits for this endpoint's ACK, or one of this
	 * endpoint's waits for the peer's, which this data may cover (the
	 * kernel then drops it: ts_data_taken): the full step */
	if ((snd->flags | rcv->flags) & TS_EP_FIN_QUEUED)
		return 0;
	if (now > f->last_seen_ns)
		f->last_seen_ns = now;
	snd->packets++;
	snd->bytes += s->len;
	ts_track_seq(f, snd, rcv, s, TS_TCP_ACK, 0);
	return 1;
}

/*
 * The state an endpoint holds `now`, once idle timeouts are applied: an
 * endpoint idle past its state's timeout is CLOSED (TIME_WAIT after 2 MSL,
 * a FIN_WAIT_2 orphan after tcp_fin_timeout, ...). timeouts[] in seconds.
 */
TS_INLINE __u8 ts_effective_state(const struct ts_flow *f, unsigned role, __u64 now,
				  const __u32 *timeouts)
{
	__u8 st = f->ep[role & 1].state;
	__u64 idle = now > f->last_seen_ns ? now - f->last_seen_ns : 0;

	if (st >= TS_STATE_MAX)
		return TS_CLOSED;
	if (st != TS_CLOSED && idle > (__u64)timeouts[st] * 1000000000ull)
		return TS_CLOSED;
	return st;
}

/* True when the entry can go: both endpoints CLOSED (after timeouts) and
 * the CLOSED grace period passed, so `conns` can still show a refusal. */
TS_INLINE int ts_flow_expired(const struct ts_flow *f, __u64 now, const __u32 *timeouts)
{
	__u64 idle = now > f->last_seen_ns ? now - f->last_seen_ns : 0;
	unsigned r;

	for (r = 0; r < 2; r++) {
		__u8 st = f->ep[r].state;

		if (st >= TS_STATE_MAX)
			continue;
		if (idle <= (__u64)timeouts[st] * 1000000000ull)
			return 0;
	}
	return 1;
}

/*
 * half_open_timeout: an embryonic entry whose server answered (SYN_RCVD)
 * and then stayed idle past the SYN_RCVD timeout: the handshake was never
 * completed and the server has given up on it (Linux drops the request
 * after its SYN-ACK retries, about 63 s). The client side is not looked
 * at: having seen the SYN-ACK it is ESTABLISHED, whose timeout is days.
 * Decided by the userspace sweeper, which removes such entries
 * (user/gc.c); the datapath never times entries out itself.
 */
TS_INLINE int ts_half_open_timed_out(const struct ts_flow *f, __u64 now, const __u32 *timeouts)
{
	__u64 idle = now > f->last_seen_ns ? now - f->last_seen_ns : 0;

	return f->ep[TS_SERVER].state == TS_SYN_RCVD &&
	       idle > (__u64)timeouts[TS_SYN_RCVD] * 1000000000ull;
}

#endif /* TCPSENTRY_FSM_H */
