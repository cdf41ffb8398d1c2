/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SYN cookies answered from XDP (syn.cookies, syn.cookie_ports).
 *
 * - cookie_syn (XDP): a SYN to a cookie port, while cookies are on for it,
 *   is turned into its SYN-ACK in place (MACs, addresses and ports swapped,
 *   the client's options answered, checksums computed) and sent back with
 *   XDP_TX. No map entry, no socket, no skb.
 * - cookie_ack (XDP): an ACK of a tuple no table holds, to a cookie port:
 *   a valid cookie starts a `flows` entry as if the handshake had been
 *   seen (the tracker then steps the ACK like any other) and marks the
 *   frame in its XDP metadata for tc ingress; an invalid one is dropped,
 *   unless the kernel has a socket for the tuple or the ACK carries a
 *   valid cookie of the kernel's own.
 * - cookie_handover (tc ingress): a frame XDP marked gets a request socket
 *   built from the cookie (bpf_sk_assign_tcp_reqsk); the listener then
 *   creates the connection as from its own SYN cookie.
 *
 * Cookies act in observe and enforce mode alike: answering a SYN is the
 * mitigation itself, and an invalid ACK to a port whose SYNs the kernel
 * never saw can only get an RST from it.
 */
#ifndef TCPSENTRY_BPF_COOKIE_H
#define TCPSENTRY_BPF_COOKIE_H

#include <linux/in.h>
#include "maps.h"
#include "parse.h"
#include "policy.h"
#include "flood.h"
#include <tcpsentry/cookie_mac.h>
#include <tcpsentry/fsm.h>

/* XDP -> tc ingress: the frame's ACK carried a valid cookie */
#define TS_COOKIE_META_MAGIC 0x74736331 /* "tsc1" */

/* cookie_ack's verdicts */
#define COOKIE_NONE 0   /* not a cookie ACK: track it as before */
#define COOKIE_VALID 1  /* a `flows` entry was started: track the ACK */
#define COOKIE_DROP 2   /* no socket, no valid cookie: drop */

/* the attachment's MAC key, NULL without one (no hand-over: no cookies) */
static __always_inline const __u64 *cookie_key(void)
{
	__u32 zero = 0;
	struct ts_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!cfg || !(cfg->cookie_key[0] | cfg->cookie_key[1] | cfg->cookie_key[2] |
		      cfg->cookie_key[3]))
		return NULL;
	return (const __u64 *)cfg->cookie_key;
}

/* fold a sum of up to 2^16 32-bit words to the 16-bit one's complement */
static __always_inline __u16 csum_fold32(__u64 c)
{
	c = (c & 0xffffffff) + (c >> 32);
	c = (c & 0xffffffff) + (c >> 32);
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

static __always_inline void put4(__u8 *b, __u8 a0, __u8 a1, __u8 a2, __u8 a3)
{
	b[0] = a0;
	b[1] = a1;
	b[2] = a2;
	b[3] = a3;
}

static __always_inline void put_be32(__u8 *b, __u32 v)
{
	put4(b, v >> 24, v >> 16, v >> 8, v);
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

/* cookie_syn's stages: syn.cookies=on answers before the flood and scan
 * sketches, auto after them (it needs the flood state they keep) */
#define COOKIE_STAGE_ON 0
#define COOKIE_STAGE_AUTO 1

/* 1 if the policy has cookies on or auto at all: inlined, so a SYN under
 * syn.cookies=off (the default) pays no call into cookie_syn */
static __always_inline int cookies_configured(void)
{
	struct ts_policy *pol = policy_get();

	return pol && pol->syn_cookies != TS_COOKIES_OFF;
}

/* 1 while cookies answer SYNs to port (host order) at this stage */
static __always_inline int cookie_syn_on(const struct ts_policy *pol, __u16 port, __u32 stage)
{
	if (!pol || !cookie_port(pol, port))
		return 0;
	if (stage == COOKIE_STAGE_ON)
		return pol->syn_cookies == TS_COOKIES_ON;
	return pol->syn_cookies == TS_COOKIES_AUTO && flood_on(port);
}

/* syn.cookies=on: a SYN answered before the sketches still counts in its
 * port's SYN-flood window (so `syn_flood` is still detected and reported),
 * but not in the host-wide window, the source HyperLogLog or the port-scan
 * sketch: the per-SYN cost stays at two per-CPU counters. */
static __always_inline void cookie_flood_count(__u16 port, __u64 now)
{
	__u32 slot = ts_port_slot(port);
	struct ts_synwin *w = bpf_map_lookup_elem(&synwin, &slot);
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);
	__u64 e = ts_epoch(now);

	if (!w || !fl)
		return;
	ts_win_advance(w, e);
	w->syn[e & 1]++;
	if (fl->port != port)
		fl->port = port;
	if (fl->epoch != e)
		flood_eval(slot, e, now);
}

/*
 * A SYN (no ACK, RST or FIN) of any tuple, parsed with its options. If
 * cookies are on for its port, rewrite the frame into our SYN-ACK and
 * return 1 (the caller returns XDP_TX). 0: pass it on as before. now: the
 * coarse clock (the per-CPU cached one). Global: verified once, its frame
 * off the tracker's call chain.
 */
__attribute__((noinline)) int cookie_syn(struct xdp_md *ctx, struct pkt *p, __u32 stage, __u64 now)
{
	__u8 hb[40] = {}; /* the SYN-ACK's TCP header and options */
	struct ts_counters *cn;
	const __u64 *key;
	void *data, *end;
	__u32 zero = 0, l3, tcp_off, l2, tlen, cookie, low, isn, tsval, cur, i;
	__u16 mss;
	int ws, sack, ts, nxt;

	if (!p)
		return 0;
	if (!cookie_syn_on(policy_get(), bpf_ntohs(p->dport), stage))
		return 0;
	key = cookie_key();
	if (!key)
		return 0;
	cn = bpf_map_lookup_elem(&counters, &zero);
	l3 = p->family == 6 ? 40 : 20;
	l2 = 14 + 4 * (__u32)p->vlans;
	tcp_off = (__u32)p->opt_off - 20;
	/* what the rewrite does not cover goes to the kernel: IPv4 options,
	 * IPv6 extension headers, data or Fast Open on the SYN */
	if (tcp_off != l2 + l3 || p->seg.len || (p->seg.opts & TS_OPT_TFO)) {
		if (cn)
			cn->c[TS_C_COOKIE_SKIPPED]++;
		return 0;
	}

	ws = (p->seg.opts & TS_OPT_WSCALE) ? p->seg.wscale : -1;
	sack = !!(p->seg.opts & TS_OPT_SACKOK);
	ts = !!(p->seg.opts & TS_OPT_TS);
	low = ts_cookie_low(p->family, p->seg.mss, p->seg.opts & TS_OPT_MSS, ws, sack, ts);
	isn = p->seg.seq;
	cookie = ts_cookie_mac(key, p->saddr, p->daddr, p->sport, p->dport, isn, ts_cookie_time(now),
			       low) | low;
	tsval = (__u32)(now >> 20); /* ~1 ms ticks; the kernel continues from the echo */

	/* our MSS: the device's MTU less the headers (the MTU cached per CPU,
	 * looked up once a jiffy) */
	{
		__u64 j = bpf_jiffies64(), mtu = 0;

		if (cn && cn->mtu_jiffies == j) {
			mtu = cn->mtu;
		} else {
			__u32 m = 0;

			if (bpf_check_mtu(ctx, 0, &m, 0, 0) == 0)
				mtu = m;
			if (cn) {
				cn->mtu = mtu;
				cn->mtu_jiffies = j;
			}
		}
		if (mtu > l3 + 20 + 64 && mtu < 65536)
			mss = (__u16)(mtu - l3 - 20);
		else
			mss = p->family == 6 ? 1440 : 1460;
	}

	/* TCP header and options, the order Linux uses */
	{
		struct tcphdr *th = (struct tcphdr *)hb;

		th->source = p->dport;
		th->dest = p->sport;
		th->seq = bpf_htonl(cookie);
		th->ack_seq = bpf_htonl(isn + 1);
		th->window = bpf_htons(TS_COOKIE_WINDOW);
		hb[13] = TS_TCP_SYN | TS_TCP_ACK;
	}
	put4(hb + 20, 2, 4, mss >> 8, mss & 0xff);
	if (ts) {
		if (sack)
			put4(hb + 24, 4, 2, 8, 10);
		else
			put4(hb + 24, 1, 1, 8, 10);
		put_be32(hb + 28, tsval);
		put_be32(hb + 32, p->tsval);
		nxt = 36;
	} else if (sack) {
		put4(hb + 24, 1, 1, 4, 2);
		nxt = 28;
	} else {
		nxt = 24;
	}
	if (ws >= 0) {
		if (nxt == 36)
			put4(hb + 36, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		else if (nxt == 28)
			put4(hb + 28, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		else
			put4(hb + 24, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		nxt += 4;
	}
	tlen = (__u32)nxt;
	hb[12] = (__u8)((tlen / 4) << 4);

	/* checksum: pseudo header (addresses swapped) + header, summed here
	 * in host-order 32-bit words (a one's complement sum does not care).
	 * The 32-bit length and next-header words are IPv6's pseudo header;
	 * for IPv4 they sum to the same 16-bit words (0, proto, length), and
	 * the v4-mapped prefix adds 0xffff twice: a one's complement zero. */
	tlen &= 63;
	if (tlen > 40)
		return 0;
	{
		__u64 s = bpf_htonl(IPPROTO_TCP) + bpf_htonl(tlen);

#pragma unroll
		for (i = 0; i < 4; i++)
			s += (__u64)p->saddr[i] + p->daddr[i];
#pragma unroll
		for (i = 0; i < 10; i++) {
			__u32 w;

			if (i * 4 >= tlen)
				break;
			__builtin_memcpy(&w, hb + i * 4, 4);
			s += w;
		}
		((struct tcphdr *)hb)->check = csum_fold32(s);
	}

	/* the frame, exactly as long as the SYN-ACK */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	cur = (__u32)(end - data);
	if (bpf_xdp_adjust_tail(ctx, (int)(tcp_off + tlen) - (int)cur)) {
		if (cn)
			cn->c[TS_C_COOKIE_SKIPPED]++;
		return 0;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	/* Ethernet: swap the MACs, keep the VLAN tags */
	{
		struct ethhdr *eth = data;
		__u8 mac[ETH_ALEN];

		if ((void *)(eth + 1) > end)
			return 0;
		__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	}
	l2 &= 31;
	if (p->family == 6) {
		struct ipv6hdr *ip6 = data + l2;

		if ((void *)(ip6 + 1) > end)
			return 0;
		*(__be32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tlen);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, p->daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->saddr, 16);
	} else {
		struct iphdr *ip = data + l2;

		if ((void *)(ip + 1) > end)
			return 0;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(20 + tlen);
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000); /* DF, as Linux sends its SYN-ACKs */
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->check = 0;
		ip->saddr = p->daddr[3];
		ip->daddr = p->saddr[3];
		{
			__u32 *w = (__u32 *)ip;
			__u64 s = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

			ip->check = csum_fold32(s);
		}
	}
	/* the TCP header, word by word */
	{
		__u32 *dst = data + ((tcp_off) & 127);

#pragma unroll
		for (i = 0; i < 10; i++) {
			if (i * 4 >= tlen)
				break;
			if ((void *)(dst + i + 1) > end)
				return 0;
			__builtin_memcpy(dst + i, hb + i * 4, 4);
		}
	}
	if (cn)
		cn->c[TS_C_COOKIE_SENT]++;
	return 1;
}

/*
 * The flow a valid cookie stands for, as the tracker would have it had it
 * seen the handshake: the client's SYN (its options from the cookie) and
 * our SYN-ACK. The ACK itself is stepped by the caller.
 */
static __always_inline void cookie_flow(struct ts_flow *f, const struct pkt *p, __u32 sender_idx,
					__u32 cookie, __u64 now)
{
	struct ts_seg s = {};
	__u32 ws = cookie & 0xf;

	__builtin_memset(f, 0, sizeof(*f));
	f->family = p->family;
	s.seq = p->seg.seq - 1;
	s.flags = TS_TCP_SYN;
	s.win = p->seg.win;
	s.mss = ts_cookie_mss(p->family, cookie);
	s.opts = TS_OPT_MSS;
	if (ws != TS_COOKIE_WS_NONE) {
		s.opts |= TS_OPT_WSCALE;
		s.wscale = (__u8)ws;
	}
	if (cookie & TS_COOKIE_SACK)
		s.opts |= TS_OPT_SACKOK;
	if (cookie & TS_COOKIE_TS)
		s.opts |= TS_OPT_TS;
	ts_flow_start(f, &s, (__u8)sender_idx, bpf_ntohs(p->sport), bpf_ntohs(p->dport), now);
	ts_fsm_step(f, &s, now, 1);
	/* our SYN-ACK: the same options back, our window and shift */
	s.from = TS_SERVER;
	s.flags = TS_TCP_SYN | TS_TCP_ACK;
	s.ack = s.seq + 1;
	s.seq = p->seg.ack - 1;
	s.win = TS_COOKIE_WINDOW;
	s.mss = p->family == 6 ? 1440 : 1460;
	s.wscale = TS_COOKIE_RCV_WSCALE;
	ts_fsm_step(f, &s, now, 0);
	f->flags |= TS_F_COOKIE;
	f->handover = 1; /* claimed by the first segment tc ingress hands over */
}

/*
 * An ingress segment with ACK (no SYN, no RST) of a tuple neither table
 * holds, to a cookie port (the tracker asked: PKT_OUT_COOKIE_ASK). Returns
 * COOKIE_*. Global: verified once.
 */
__attribute__((noinline)) int cookie_ack(struct xdp_md *ctx, struct pkt *p)
{
	struct bpf_sock_tuple tup = {};
	struct ts_counters *cn;
	struct ts_flow_key *key;
	struct ts_flow *tmp;
	struct bpf_sock *sk;
	const __u64 *mk;
	__u32 zero = 0, cookie, sender, tsz, l2, tcp_off;
	__u64 now;
	void *data, *end;

	if (!p)
		return COOKIE_NONE;
	mk = cookie_key();
	if (!mk)
		return COOKIE_NONE;
	cn = bpf_map_lookup_elem(&counters, &zero);
	now = bpf_ktime_get_coarse_ns();
	cookie = p->seg.ack - 1;
	if (ts_cookie_check(mk, p->saddr, p->daddr, p->sport, p->dport, p->seg.seq - 1,
			    ts_cookie_time(now), cookie)) {
		key = bpf_map_lookup_elem(&keybuf, &zero);
		tmp = bpf_map_lookup_elem(&scratch, &zero);
		if (!key || !tmp)
			return COOKIE_NONE;
		sender = ts_key_make(key, p->saddr, p->sport, p->daddr, p->dport);
		cookie_flow(tmp, p, sender, cookie, bpf_ktime_get_ns());
		/* BPF_ANY: a finished entry of the same tuple (its client port
		 * reused) is replaced */
		if (bpf_map_update_elem(&flows, key, tmp, BPF_ANY) == 0 && cn) {
			cn->c[TS_C_FLOW_INSERT]++;
			/* a handshake completed: credit the port's flood window */
			flood_done((const struct ts_addr *)p->saddr, bpf_ntohs(p->dport), now);
		}
		if (cn)
			cn->c[TS_C_COOKIE_VALID]++;
		/* tell tc ingress: hand it over to the listener */
		if (bpf_xdp_adjust_meta(ctx, -4) == 0) {
			__u32 *meta = (void *)(long)ctx->data_meta;

			if ((void *)(meta + 1) <= (void *)(long)ctx->data)
				*meta = TS_COOKIE_META_MAGIC;
		}
		return COOKIE_VALID;
	}

	/* not our cookie: a socket the kernel already holds (a connection
	 * older than the cookies, a handshake it answered itself) passes */
	tsz = sock_tuple_of(&tup, p);
	sk = bpf_skc_lookup_tcp(ctx, &tup, tsz, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		goto fail; /* nothing listens: the kernel would only answer with an RST */
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return COOKIE_NONE;
	}
	bpf_sk_release(sk);
	/* the kernel's own cookie (it answered a SYN we left to it) */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	l2 = (14 + 4 * (__u32)p->vlans) & 31;
	tcp_off = ((__u32)p->opt_off - 20) & 127;
	if (p->family == 6) {
		struct ipv6hdr *ip6 = data + l2;
		struct tcphdr *th = data + tcp_off;

		if ((void *)(ip6 + 1) <= end && (void *)(th + 1) <= end &&
		    bpf_tcp_raw_check_syncookie_ipv6(ip6, th) == 0)
			return COOKIE_NONE;
	} else {
		struct iphdr *ip = data + l2;
		struct tcphdr *th = data + tcp_off;

		if ((void *)(ip + 1) <= end && (void *)(th + 1) <= end &&
		    bpf_tcp_raw_check_syncookie_ipv4(ip, th) == 0)
			return COOKIE_NONE;
	}
fail:
	if (cn)
		cn->c[TS_C_COOKIE_FAILED]++;
	return COOKIE_DROP;
}

/* tc ingress: claim the hand-over of the segment's flow, started from a
 * valid cookie in XDP: 1 for the first segment that asks (the ACK, or
 * whatever overtakes it), 0 after. Global: off the hook's frame. */
__attribute__((noinline)) int cookie_claim(struct pkt *p)
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

/*
 * tc ingress, a frame XDP marked (its ACK carries a valid cookie): give
 * it a request socket built from the cookie, so the listener creates the
 * connection. Global: verified once.
 */
__attribute__((noinline)) int cookie_handover(struct __sk_buff *skb, struct pkt *p)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct bpf_sock_tuple tup = {};
	struct ts_counters *cn;
	struct bpf_sock *skc;
	struct tcp_sock *tp;
	__u32 zero = 0, cookie, tsz, ws;
	int r;

	if (!p)
		return 0;
	cn = bpf_map_lookup_elem(&counters, &zero);
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
		attrs.rcv_tsval = p->tsval;
		attrs.rcv_tsecr = p->tsecr;
	}
	tsz = sock_tuple_of(&tup, p);
	skc = bpf_skc_lookup_tcp(skb, &tup, tsz, BPF_F_CURRENT_NETNS, 0);
	if (!skc)
		return 0;
	if (skc->state != BPF_TCP_LISTEN) {
		/* the connection exists already (a retransmitted ACK) */
		bpf_sk_release(skc);
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	r = tp ? bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs, sizeof(attrs)) : -1;
	bpf_sk_release(skc);
	if (cn)
		cn->c[r == 0 ? TS_C_COOKIE_HANDOVER : TS_C_COOKIE_HANDOVER_FAIL]++;
	return 0;
}

#endif /* TCPSENTRY_BPF_COOKIE_H */
