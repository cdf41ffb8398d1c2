/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every stage of the pipeline shares (bpf/tcpsentry.bpf.c): the
 * direction, the cursor, the clocks, count(), and the records the stages
 * hand each other:
 *
 *   parse  -> struct pkt        the headers and options of the frame
 *   track  -> struct track_res  where its flow was, the transition it made
 *   detect -> findings          kind + facts, in per-CPU scratch (struct scratch)
 *   judge  -> struct verdict    pass / drop / XDP_TX, why, and what to do
 *   act    carries the verdict out; account counts it, once, at the exit.
 *
 * Nothing here looks up a map or calls a stage: it sits under all of them.
 */
#ifndef TCPSENTRY_BPF_CTX_H
#define TCPSENTRY_BPF_CTX_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/record.h>
#include <tcpsentry/hs_log.h>

#define DIR_INGRESS 0 /* XDP */
#define DIR_EGRESS 1  /* tc egress */

/*
 * A map value is used only after its NULL check, and the barrier keeps the
 * compiler from forming an address into it (&v->field) before that check:
 * pointer arithmetic on a map_value_or_null is refused by the verifiers of
 * Linux 6.1 to 6.13, which do not elide the check of a constant-key array
 * lookup.
 */
#define TS_CHECKED(p) asm volatile("" : "+r"(p))

/* ---- the cursor ----------------------------------------------------------------- */

struct cursor {
	void *pos;
	void *end;    /* end of the linear data the program may read */
	void *start;
	__u32 len;    /* whole frame length (tc: skb->len, paged data included) */
};

/* the cursor over an XDP frame: all of it is linear */
static __always_inline void xdp_cursor(struct xdp_md *ctx, struct cursor *c)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
	c->start = c->pos;
	c->len = (__u32)(c->end - c->start);
}

/* bytes of the frame from the cursor on, paged data included */
static __always_inline __u32 cursor_left(const struct cursor *c)
{
	return c->len - (__u32)(c->pos - c->start);
}

/* ---- parse's record --------------------------------------------------------------- */

/* what the frame is */
enum pkt_kind {
	PKT_TCP = 0,
	PKT_NON_IP,
	PKT_NON_TCP,
	PKT_FRAG_LATER,     /* a later fragment: no TCP header */
	PKT_ERR,            /* pkt.err holds the ts_counter reason */
};

struct pkt {
	__u32 saddr[4];      /* network order, v4-mapped for IPv4 */
	__u32 daddr[4];
	__u16 sport;         /* network order */
	__u16 dport;
	__u32 l4_len;        /* TCP header + payload, from the IP lengths */
	__u8 family;         /* 4 or 6 */
	__u8 vlans;
	__u8 kind;           /* enum pkt_kind */
	__u8 err;            /* enum ts_counter, when PKT_ERR */
	__u8 optlen;         /* TCP option bytes */
	__u8 ip_plain;       /* 1: no IPv4 options, no IPv6 extension headers */
	__u16 opt_off;       /* the options' offset from the frame start */
	struct ts_seg seg;   /* seg.tsval/tsecr: the timestamps option, host order */
};

/* the SYN-ACK rewrite (bpf/synack.h) covers this SYN: the plain layout
 * (no IP options or extension headers), no data, no Fast Open */
static __always_inline int cookie_fits(const struct pkt *p)
{
	return p->ip_plain && !p->seg.len && !(p->seg.opts & TS_OPT_TFO);
}

/* the socket-lookup tuple of a segment (its sender is the remote end);
 * returns the size bpf_skc_lookup_tcp wants for its family */
static __always_inline __u32 sock_tuple_of(struct bpf_sock_tuple *t, const struct pkt *p)
{
	if (p->family == 6) {
		__builtin_memcpy(t->ipv6.saddr, p->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, p->daddr, 16);
		t->ipv6.sport = p->sport;
		t->ipv6.dport = p->dport;
		return sizeof(t->ipv6);
	}
	t->ipv4.saddr = p->saddr[3];
	t->ipv4.daddr = p->daddr[3];
	t->ipv4.sport = p->sport;
	t->ipv4.dport = p->dport;
	return sizeof(t->ipv4);
}

/* An IP first fragment (a FIN or an RST in it: flags), waiting for the
 * datagram's last fragment (bpf/track.h, frag_first): that carries no
 * ports, so the datagram's addresses and ID find it */
struct frag_fin_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 id;
};

struct frag_fin {
	struct ts_flow_key key; /* the flow's */
	__u32 seq;              /* the segment's sequence and ACK numbers */
	__u32 ack;
	__u32 pre;              /* bytes of the datagram's fragmentable part before
				 * the payload: IPv6 extension headers, TCP's own */
	__u32 first_len;        /* bytes of that part the first fragment carried */
	__u32 sender_idx;       /* key index of the segment's sender */
	__u32 sum;              /* the pseudo header but its length, and the TCP
				 * bytes the first fragment carried, summed and
				 * folded (csum_bytes_xdp); FRAG_NO_SUM: unknown */
	__u64 ns;               /* when its first fragment came */
	__u16 tcp_first;        /* TCP bytes the first fragment carried */
	__u8 flags;             /* the segment's TCP flags: a FIN, or an RST; 0: neither
				 * (nothing but first_len, ns and rid is set) */
	__u8 pad;
	__u32 rid;              /* its source's fragment count at its datagram's last
				 * fragment so far (frag_rid_next) */
};

/* A datagram's last fragment that came before its first (frag_first) */
struct frag_tail {
	__u64 ns;               /* when it came */
	__u32 off;              /* its offset in the fragmentable part, bytes */
	__u32 len;              /* and its bytes */
	__u32 sum;              /* their sum, folded; FRAG_NO_SUM: unknown */
	__u32 rid;              /* as frag_fin's */
};
#define FRAG_NO_SUM 0xffffffffu

/* ---- track's result ----------------------------------------------------------------- */

/* where the segment's tuple was when track looked */
enum track_state {
	T_UNTRACKED = 0,    /* not looked up: not TCP, not admitted, bad flags, answered by a cookie */
	T_UNKNOWN,          /* no table holds it, and nothing was started (an RST, a flood) */
	T_NEW,              /* no table held it: an entry was started (embryonic, or a pickup) */
	T_EMBRYONIC,        /* found unconfirmed: half-open, or a pickup not yet answered */
	T_FLOWS,            /* found in flows (handshake completed, or picked up) */
};

/* the SYN-cookie side of a segment, as track saw it */
enum track_cookie {
	T_COOKIE_NONE = 0,
	T_COOKIE_ANSWER,    /* a SYN cookies answer: no state, judge makes it XDP_TX */
	T_COOKIE_SKIPPED,   /* cookies would answer, the rewrite does not cover it: tracked */
	T_COOKIE_ASK,       /* an unknown tuple's ACK to a cookie port: its cookie decides */
	T_COOKIE_VALID,     /* ... ours: the flow it proves was started, hand it over */
	T_COOKIE_BAD,       /* ... neither ours nor the kernel's, no socket: judge drops it */
	T_COOKIE_PROBE,     /* an ACK to a probe cookie (a scan suspect's, closed port): the
			     * scanner is real; judge drops it and bans on port_scan's action */
};

/* a scan suspect's SYN (its source's scan slot is flagged), in enforce
 * mode with port_scan acting (track.h, scan_probe), or its ACK to a probe */
enum track_scan {
	T_SCAN_NONE = 0,
	T_SCAN_OPEN,        /* something listens on the port: passed and tracked */
	T_SCAN_PROBED,      /* closed: answered with a probe cookie (XDP_TX) */
	T_SCAN_CLOSED,      /* closed, no probe possible: dropped, nobody named */
	/* an ACK to a probe cookie (T_COOKIE_PROBE) whose source's proofs now
	 * cover two ports (ts_scan_proof): a ban may name it */
	T_SCAN_PROVEN,
};

/* Small, for it is zeroed per packet: the facts that back a finding are
 * in per-CPU scratch (struct track_facts). */
struct track_res {
	__u32 step;         /* TS_STEP_* of the state-machine step; 0: not stepped */
	/* 0: an established flow's segment that changed nothing (the fast
	 * path) or one track did not look at: nothing below for the later
	 * stages to look at. One byte they test first, so that segment pays
	 * one compare per stage, not one per field. */
	__u8 noted;
	__u8 looked;        /* the segment reached the flow tables (even if its flags kept it out) */
	/* an ingress SYN that took its source's distinct ports past the scan
	 * threshold: how many (the threshold: track_facts) */
	__u16 scan_ports;
	__u8 state;         /* enum track_state */
	__u8 cookie;        /* enum track_cookie */
	__u8 old_state[2];  /* both endpoints' states before and after the step */
	__u8 new_state[2];
	__u8 client;        /* key index of the client */
	__u8 side;          /* enum ts_role of the sender */
	__u8 flood;         /* left untracked under a flood: the kind whose action applies */
	__u8 flood_on;      /* an ingress SYN's port is flooded (this SYN counted) */
	/* for the host-wide rate windows (detect) */
	__u8 pickup;        /* an ingress non-SYN of a tuple no table held */
	__u8 backscatter;   /* an RST this host sent for a tuple with no flows entry */
	__u8 record;        /* the step ended the connection: its record is in scratch.rec */
	__u8 csum_ask;      /* an ingress pickup: its checksums decide (track) */
	__u8 scan_suspect;  /* an ingress SYN from a source flagged as scanning (this one
			     * or an earlier SYN crossed the threshold) */
	__u8 scan;          /* enum track_scan */
	/* an RST whose datagram a later fragment made whole closed the flow
	 * (track, frag_fin_apply): its TCP flags, the frame has none */
	__u8 frag_flags;
};

/* What quality (bpf/quality.h) needs of a flow entry as it was before the
 * state machine moved it: taken by track, in scratch (track_facts) */
struct q_before {
	__u32 end;      /* the sender's highest sequence (ts_endpoint.end) */
	__u32 known;    /* TS_EP_SEQ_KNOWN of the sender */
	__u64 seen_ns;  /* the flow's last_seen_ns */
	/* and the segment's, beside struct ts_seg */
	__u64 now;      /* the stage's clock (coarse on the established path) */
	__u32 dir;      /* DIR_INGRESS / DIR_EGRESS */
	__u32 pad;
};

/* What track saw, beyond struct track_res: the facts detect reports */
struct track_facts {
	/* of an ignored RST (TS_STEP_RST_OOW / TS_STEP_RST_INEXACT) or of far
	 * out-of-window data (TS_STEP_DATA_FAR_OOW) */
	__u32 expected;     /* the exact seq (or, answering a SYN, ack) */
	__u32 got;
	__u32 window;       /* the receiver's largest window */
	__u32 scan_thr;     /* the port-scan threshold track_res.scan_ports crossed */
	/* the step's state events: held, or a held log to write first
	 * (include/tcpsentry/hs_log.h), and the times to write it with */
	struct ts_hs_res hs;
	__u64 hs_syn_ns, hs_synack_ns;
	/* flow quality (issue 13): the entry before its step */
	struct q_before qb;
};

/* ---- detect's findings (per-CPU scratch) ------------------------------------------ */

#define TS_FINDINGS_MAX 4 /* a segment shows at most four anomalies */

/* one anomaly the segment shows: its kind and facts */
struct finding {
	__u32 kind;      /* enum ts_anomaly */
	__u32 expected;
	__u32 got;
	__u32 detail;
	__u8 client;     /* key index of the client, TS_EV_CLIENT_UNKNOWN if no flow */
	__u8 side;       /* role of the sender, when client is known */
	__u8 sender;     /* key index of the sender */
	__u8 tcp_flags;
	__u8 dir;
	__u8 family;
	__u8 act;        /* 1: its kind's action applies (ingress, source not allowlisted) */
	__u8 pad;
};

/* In/out of one state-machine step (BPF functions take five arguments). */
struct step_ctx {
	struct ts_seg seg;      /* in; seg.from is set here */
	__u32 stripe;           /* in: lock stripe of the key */
	__u32 dir;              /* in: DIR_INGRESS / DIR_EGRESS */
	__u64 now;              /* in */
	__u32 sender_idx;       /* in: key index of the segment's sender */
	__u32 want_copy;        /* in: copy the value out when it leaves its table (COPY_*) */
	__u32 ret;              /* out: TS_STEP_* */
	__u8 old_state[2];      /* out */
	__u8 new_state[2];
	__u8 client;
	__u8 record;            /* out: the step ended the connection: its record is in *rec */
	__u8 copied;            /* out: the value was copied out, the entry marked promoted */
	__u8 q_quiet;           /* fast path: flow quality has nothing to do (q_quiet) */
	__u32 expected, got, window; /* out: an ignored RST's or far data's facts */
	__u32 ip_len;           /* in: the segment's IP bytes, headers included */
	/* in (egress): the sending socket says its kernel took the peer's
	 * FIN (fsm.h, ts_sk_fin_taken), which ends at sk_rcv_nxt; 0 at
	 * ingress, or for a segment no socket of the flow's sent */
	__u32 sk_fin;           /* (2: it moved them: sock_fin_step) */
	__u32 sk_rcv_nxt;
	__u8 sk_old[2];         /* out: the states before sock_fin_step moved them */
	/* in (egress): the sending socket is ESTABLISHED (no peer FIN taken:
	 * fsm.h, ts_fin_not_taken); 2 out: a waiting FIN went */
	__u8 sk_est;
	__u8 pad2;
};

/* Per-CPU scratch for what does not fit the 512-byte stack beside the
 * packet: a flow value under construction, the segment's key, the
 * findings. XDP and tc egress never interleave on one CPU (egress runs
 * with bottom halves off). */
struct scratch {
	struct ts_flow flow;
	struct ts_flow_key key;
	struct track_facts facts;
	struct finding find[TS_FINDINGS_MAX];
	__u32 ban_seconds;  /* act: how long the ban it wrote lasts */
	__u32 pad;
	struct ts_record rec; /* track: the record of a connection the step ended */
	struct step_ctx sc;   /* track: the step's inputs and outputs */
};

/* ---- judge's verdict ------------------------------------------------------------------ */

enum verdict_action {
	V_PASS = 0,
	V_DROP,
	V_TX,       /* XDP: send the rewritten frame back (a SYN cookie's SYN-ACK) */
};

/* what the gate lets the segment do before the verdict */
enum gate {
	GATE_ALL = 0,       /* track it and feed the sketches */
	GATE_SKETCH,        /* a SYN over a limit: feeds the sketches, is not tracked */
	GATE_NONE,          /* dropped at the gate (denied, banned): feeds nothing */
};

/* cookies armed for the segment's port */
enum cookie_arm {
	ARM_NONE = 0,
	ARM_ON,             /* syn.cookies=on: every SYN the rewrite covers is answered */
	ARM_AUTO,           /* syn.cookies=auto: while the port's flood is on */
};

_Static_assert(TS_C_IN_DROP == TS_C_IN_PASS + V_DROP && TS_C_IN_TX == TS_C_IN_PASS + V_TX,
	       "the verdict counters follow enum verdict_action");

struct verdict {
	__u8 action;        /* enum verdict_action */
	__u8 gate;          /* enum gate */
	__u8 syn_arm;       /* enum cookie_arm, for a SYN */
	__u8 ack_arm;       /* 1: an unknown tuple's ACK to this port must carry a cookie */
	__u8 scan_stops;    /* 1: a port scan this SYN completes drops it: track no flow */
	__u8 ban;           /* act: ban the sender for this anomaly kind; 0: no ban */
	__u8 pad[2];
	/* what account counts beyond the verdict itself */
	__u8 drop;          /* enum ts_drop_reason + 1 that dropped it; 0: none */
	__u8 would;         /* observe mode: enum ts_drop_reason + 1 that would have */
	__u8 exempt;        /* the source is allowlisted: no drop, ban or limit */
	__u8 banned;        /* act's result: 1 written, 2 refused (table full) */
	__u8 sent;          /* act's result: 1 our SYN-ACK went out, 2 the rewrite failed */
	__u8 pad1;
};

/* what tc ingress's hand-over did (bpf/act.h, cookie_handover) */
enum handover {
	HANDOVER_NONE = 0,  /* nothing to hand over (the connection exists, no listener) */
	HANDOVER_DONE,      /* the kernel got a request socket */
	HANDOVER_FAIL,      /* the kfunc refused: the kernel answers the ACK itself */
};

/* fold a sum of up to 2^16 32-bit words to the 16-bit one's complement */
static __always_inline __u16 csum_fold32(__u64 c)
{
	c = (c & 0xffffffff) + (c >> 32);
	c = (c & 0xffffffff) + (c >> 32);
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

/* ---- counting and clocks ---------------------------------------------------------- */

static __always_inline void count_n(struct ts_counters *cn, __u32 idx, __u64 n)
{
	if (!cn)
		return;
	TS_CHECKED(cn);
	if (idx < TS_C_MAX)
		cn->c[idx] += n;
}

static __always_inline void count(struct ts_counters *cn, __u32 idx)
{
	count_n(cn, idx, 1);
}

static __always_inline __u64 clock_precise(void)
{
	return bpf_ktime_get_ns();
}

/* CLOCK_MONOTONIC_COARSE, read at most once per tick per CPU: enough for
 * last-seen times, idle timeouts and the sketches' epochs */
static __always_inline __u64 clock_coarse(struct ts_counters *cn)
{
	__u64 j = bpf_jiffies64();

	if (!cn)
		return bpf_ktime_get_coarse_ns();
	TS_CHECKED(cn);
	if (cn->clock_jiffies != j) {
		cn->clock_ns = bpf_ktime_get_coarse_ns();
		cn->clock_jiffies = j;
	}
	return cn->clock_ns;
}

#endif /* TCPSENTRY_BPF_CTX_H */
