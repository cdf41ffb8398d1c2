/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 5, act: carry the verdict out. A ban judge asked for is written
 * (the bans table, its expiry); XDP_TX turns the SYN into our SYN-ACK
 * (bpf/synack.h); a valid cookie's ACK is marked in its XDP metadata for
 * tc ingress, whose hand-over (below) gives the listener a request socket
 * built from the cookie. Pass and drop need nothing but the return code,
 * which the entry returns after account.
 *
 * What it did goes back into the verdict (banned, sent) for account to
 * count. Ingress only: nothing acts on what this host sends.
 */
#ifndef TCPSENTRY_BPF_ACT_H
#define TCPSENTRY_BPF_ACT_H

#include "maps.h"
#include "synack.h"
#include <tcpsentry/flowkey.h>

/* XDP -> tc ingress: the frame's ACK carried a valid cookie */
#define TS_COOKIE_META_MAGIC 0x74736331 /* "tsc1" */

/*
 * Ban the segment's source for the policy's ban_seconds, because of
 * anomaly `kind`: a `bans` entry (an LRU: the oldest ban makes room). An
 * expired or live ban is renewed in place. Judge asks only on proof that
 * the source is real. Returns 1 if a ban was written, 2 if the table
 * refused it; its length goes to scratch (ban_seconds), for account's
 * report. Global: off the entry's frame.
 */
__attribute__((noinline)) int ban_write(const struct pkt *p, __u32 kind)
{
	struct ts_policy *pol = policy_get();
	struct scratch *s = scratch_get();
	struct ts_ban_key k = {};
	struct ts_list_val v = {}, *cur;
	__u32 zero = 0;
	__u64 now = bpf_ktime_get_ns(), *ep;

	if (!p || !pol || !s)
		return 0;
	TS_CHECKED(pol);
	TS_CHECKED(s);
	__builtin_memcpy(k.addr, p->saddr, 16);
	v.added_ns = now;
	v.expires_ns = now + (__u64)pol->ban_seconds * 1000000000ull;
	v.reason = kind;
	v.lists = TS_L_DENY;
	s->ban_seconds = pol->ban_seconds;
	cur = bpf_map_lookup_elem(&bans, &k);
	if (cur) {
		cur->expires_ns = v.expires_ns;
		cur->added_ns = now;
		cur->reason = kind;
	} else if (bpf_map_update_elem(&bans, &k, &v, BPF_ANY)) {
		return 2;
	}
	/* every CPU's cached decisions predate this ban: void them */
	ep = bpf_map_lookup_elem(&ban_epoch, &zero);
	if (ep)
		__sync_fetch_and_add(ep, 1);
	return 1;
}

/* tell tc ingress: hand this frame's connection over to the listener */
static __always_inline void handover_mark(struct xdp_md *ctx)
{
	__u32 *meta;

	if (bpf_xdp_adjust_meta(ctx, -4))
		return;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) <= (void *)(long)ctx->data)
		*meta = TS_COOKIE_META_MAGIC;
}

/* The stage (see the top of this file). ctx: the XDP context at ingress. */
static __always_inline void act(void *ctx, const struct pkt *p, const struct track_res *t,
				struct verdict *v, __u32 dir)
{
	if (dir != DIR_INGRESS || !(v->action | t->noted))
		return;
	if (v->ban)
		v->banned = (__u8)ban_write(p, v->ban);
	if (v->action == V_TX) {
		/* a frame that cannot be resized: the kernel answers the SYN,
		 * which goes on untracked (track left it to the cookie) */
		v->sent = synack_answer(ctx, p) ? 2 : 1;
		if (v->sent != 1)
			v->action = V_PASS;
	}
	if (t->cookie == T_COOKIE_VALID && v->action == V_PASS)
		handover_mark(ctx);
}

/* ---- tc ingress: the hand-over ------------------------------------------------------ */

/* tc ingress: claim the hand-over of the segment's flow, started from a
 * valid cookie in XDP: 1 for the first segment that asks (the ACK, or
 * whatever overtakes it), 0 after. Global: off the hook's frame. */
__attribute__((noinline)) int cookie_claim(const struct pkt *p)
{
	struct ts_flow_key key = {};
	struct ts_lock *lk;
	struct ts_flow *f;
	__u32 stripe;
	int mine;

	if (!p)
		return 0;
	ts_key_make(&key, p->saddr, p->sport, p->daddr, p->dport);
	f = bpf_map_lookup_elem(&flows, &key);
	if (!f || !f->handover)
		return 0;
	/* the flow's stripe lock: the test-and-clear is one step */
	stripe = ts_key_stripe(&key);
	lk = bpf_map_lookup_elem(&flow_locks, &stripe);
	if (!lk)
		return 0;
	bpf_spin_lock(&lk->lock);
	mine = f->handover == 1;
	f->handover = 0;
	bpf_spin_unlock(&lk->lock);
	return mine;
}

/* the kfunc (Linux 6.9+): a request socket from a cookie, on the skb */
struct bpf_tcp_req_attrs {
	__u32 rcv_tsval;
	__u32 rcv_tsecr;
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 reserved[3];
};
struct sock { int __opaque; }; /* only ever a pointer; libbpf matches the kfunc by kind */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym __weak;

/* 1 if cookies are configured for any port (else tc ingress has nothing
 * to hand over) */
static __always_inline int cookie_ports_any(void)
{
	struct ts_policy *pol = policy_get();

	return pol && pol->syn_cookies != TS_COOKIES_OFF && pol->cookie_nports;
}

/* 1 if ACKs to port (host order) may carry our cookies: cookies not off
 * for it (in auto mode: cookies sent during a flood are answered after) */
static __always_inline int cookie_acks_port(__u16 port)
{
	struct ts_policy *pol = policy_get();

	return pol && pol->syn_cookies != TS_COOKIES_OFF && policy_cookie_port(pol, port);
}

/*
 * tc ingress, a frame whose ACK carries a valid cookie: give it a request
 * socket built from the cookie, so the listener creates the connection.
 * Returns enum handover (bpf/ctx.h). Global: verified once.
 */
__attribute__((noinline)) int cookie_handover(struct __sk_buff *skb, const struct pkt *p)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct bpf_sock_tuple tup = {};
	struct bpf_sock *skc;
	struct tcp_sock *tp;
	__u32 cookie, tsz, ws;
	int r;

	if (!p)
		return HANDOVER_NONE;
	cookie = p->seg.ack - 1;
	ws = cookie & 0xf;
	attrs.mss = ts_cookie_mss(p->family, cookie);
	if (ws != TS_COOKIE_WS_NONE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = (__u8)ws;
		attrs.rcv_wscale = TS_COOKIE_RCV_WSCALE;
	}
	attrs.sack_ok = !!(cookie & TS_COOKIE_SACK);
	if ((cookie & TS_COOKIE_TS) && (p->seg.opts & TS_OPT_TS)) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = p->seg.tsval;
		attrs.rcv_tsecr = p->seg.tsecr;
	}
	tsz = sock_tuple_of(&tup, p);
	skc = bpf_skc_lookup_tcp(skb, &tup, tsz, BPF_F_CURRENT_NETNS, 0);
	if (!skc)
		return HANDOVER_NONE;
	if (skc->state != BPF_TCP_LISTEN) {
		/* the connection exists already (a retransmitted ACK) */
		bpf_sk_release(skc);
		return HANDOVER_NONE;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	r = tp ? bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs, sizeof(attrs)) : -1;
	bpf_sk_release(skc);
	return r == 0 ? HANDOVER_DONE : HANDOVER_FAIL;
}

#endif /* TCPSENTRY_BPF_ACT_H */
