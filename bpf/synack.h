/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The SYN-ACK a SYN cookie answers with, built from XDP in the SYN's own
 * frame (act, stage 5): MACs, addresses and ports swapped, the client's
 * options answered, checksums computed, then XDP_TX. No map entry, no
 * socket, no skb. In three steps: the TCP header and its options, the TCP
 * checksum, the rewrite of the frame.
 *
 * Only the plain layout is covered (cookie_fits: no IP options or IPv6
 * extension headers, no data, no Fast Open); judge never asks for more.
 */
#ifndef TCPSENTRY_BPF_SYNACK_H
#define TCPSENTRY_BPF_SYNACK_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include <tcpsentry/cookie_mac.h>

#define SYNACK_MAX 40 /* our TCP header and options: at most 40 bytes */

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

/* our MSS: the device's MTU less the headers (the MTU cached per CPU,
 * looked up once a jiffy) */
static __always_inline __u16 synack_mss(struct xdp_md *ctx, const struct pkt *p,
					struct ts_counters *cn)
{
	__u32 l3 = p->family == 6 ? 40 : 20;
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
		return (__u16)(mtu - l3 - 20);
	return p->family == 6 ? 1440 : 1460;
}

/* The TCP header and options of the SYN-ACK into hb, the options in the
 * order Linux writes them (MSS, SACK/timestamps, window scale), each
 * offered option answered. Returns the header's length. */
static __always_inline __u32 synack_header(__u8 *hb, const struct pkt *p, __u32 cookie, __u16 mss,
					   __u32 tsval)
{
	struct tcphdr *th = (struct tcphdr *)hb;
	int sack = !!(p->seg.opts & TS_OPT_SACKOK), ts = !!(p->seg.opts & TS_OPT_TS);
	int nxt;

	th->source = p->dport;
	th->dest = p->sport;
	th->seq = bpf_htonl(cookie);
	th->ack_seq = bpf_htonl(p->seg.seq + 1);
	th->window = bpf_htons(TS_COOKIE_WINDOW);
	hb[13] = TS_TCP_SYN | TS_TCP_ACK;
	put4(hb + 20, 2, 4, mss >> 8, mss & 0xff);
	if (ts) {
		if (sack)
			put4(hb + 24, 4, 2, 8, 10);
		else
			put4(hb + 24, 1, 1, 8, 10);
		put_be32(hb + 28, tsval);
		put_be32(hb + 32, p->seg.tsval);
		nxt = 36;
	} else if (sack) {
		put4(hb + 24, 1, 1, 4, 2);
		nxt = 28;
	} else {
		nxt = 24;
	}
	if (p->seg.opts & TS_OPT_WSCALE) {
		if (nxt == 36)
			put4(hb + 36, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		else if (nxt == 28)
			put4(hb + 28, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		else
			put4(hb + 24, 1, 3, 3, TS_COOKIE_RCV_WSCALE);
		nxt += 4;
	}
	hb[12] = (__u8)((nxt / 4) << 4);
	return (__u32)nxt;
}

/*
 * The TCP checksum of hb: pseudo header (addresses swapped) + header,
 * summed in host-order 32-bit words (a one's complement sum does not
 * care). The 32-bit length and next-header words are IPv6's pseudo header;
 * for IPv4 they sum to the same 16-bit words (0, proto, length), and the
 * v4-mapped prefix adds 0xffff twice: a one's complement zero.
 */
static __always_inline void synack_checksum(__u8 *hb, __u32 tlen, const struct pkt *p)
{
	__u64 s = bpf_htonl(IPPROTO_TCP) + bpf_htonl(tlen);
	__u32 i;

#pragma unroll
	for (i = 0; i < 4; i++)
		s += (__u64)p->saddr[i] + p->daddr[i];
#pragma unroll
	for (i = 0; i < SYNACK_MAX / 4; i++) {
		__u32 w;

		if (i * 4 >= tlen)
			break;
		__builtin_memcpy(&w, hb + i * 4, 4);
		s += w;
	}
	((struct tcphdr *)hb)->check = csum_fold32(s);
}

/* The frame becomes the SYN-ACK: exactly as long, the MACs swapped (VLAN
 * tags kept), a fresh IP header, the TCP header copied in. 0, or -1 if the
 * frame cannot be resized (left to the kernel). */
static __always_inline int synack_rewrite(struct xdp_md *ctx, const struct pkt *p, const __u8 *hb,
					  __u32 tlen)
{
	__u32 l2 = 14 + 4 * (__u32)p->vlans, tcp_off = (__u32)p->opt_off - 20, cur, i;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	cur = (__u32)(end - data);
	if (bpf_xdp_adjust_tail(ctx, (int)(tcp_off + tlen) - (int)cur))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	/* Ethernet: swap the MACs, keep the VLAN tags */
	{
		struct ethhdr *eth = data;
		__u8 mac[ETH_ALEN];

		if ((void *)(eth + 1) > end)
			return -1;
		__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	}
	l2 &= 31;
	if (p->family == 6) {
		struct ipv6hdr *ip6 = data + l2;

		if ((void *)(ip6 + 1) > end)
			return -1;
		*(__be32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tlen);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, p->daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->saddr, 16);
	} else {
		struct iphdr *ip = data + l2;

		if ((void *)(ip + 1) > end)
			return -1;
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
		__u32 *dst = data + (tcp_off & 127);

#pragma unroll
		for (i = 0; i < SYNACK_MAX / 4; i++) {
			if (i * 4 >= tlen)
				break;
			if ((void *)(dst + i + 1) > end)
				return -1;
			__builtin_memcpy(dst + i, hb + i * 4, 4);
		}
	}
	return 0;
}

/* a cookie went out to port (host order): its ACKs may be checked from
 * now on (track.h, cookie_checkable). Written once a TS_COOKIE_NOTE_NS at
 * most: every CPU answering a flood shares the word. */
static __always_inline void cookie_note_sent(__u32 port, __u64 now)
{
	struct cookie_port *cp = bpf_map_lookup_elem(&cookie_sent, &port);

	if (!cp)
		return;
	TS_CHECKED(cp);
	if (now - cp->sent_ns > TS_COOKIE_NOTE_NS)
		cp->sent_ns = now;
}

/*
 * Answer a SYN (parsed with its options, one cookie_fits covers) with our
 * SYN-ACK carrying its cookie, in place. 0: the frame is the SYN-ACK (the
 * caller returns XDP_TX); -1: left to the kernel. Global: verified once,
 * its frame off the rest of the pipeline's.
 */
__attribute__((noinline)) int synack_answer(struct xdp_md *ctx, const struct pkt *p)
{
	__u8 hb[SYNACK_MAX] = {};
	struct ts_counters *cn;
	const __u64 *key;
	__u32 cookie, low, tlen;
	__u64 now;
	int ws;

	if (!p || !cookie_fits(p))
		return -1;
	key = config_cookie_key();
	if (!key)
		return -1;
	cn = counters_get();
	now = clock_coarse(cn);
	ws = (p->seg.opts & TS_OPT_WSCALE) ? p->seg.wscale : -1;
	low = ts_cookie_low(p->family, p->seg.mss, p->seg.opts & TS_OPT_MSS, ws,
			    !!(p->seg.opts & TS_OPT_SACKOK), !!(p->seg.opts & TS_OPT_TS));
	cookie = ts_cookie_mac(key, p->saddr, p->daddr, p->sport, p->dport, p->seg.seq,
			       ts_cookie_time(now), low) | low;
	/* our timestamp in ~1 ms ticks; the kernel continues from the echo */
	tlen = synack_header(hb, p, cookie, synack_mss(ctx, p, cn), (__u32)(now >> 20));
	tlen &= 63;
	if (tlen > SYNACK_MAX)
		return -1;
	synack_checksum(hb, tlen, p);
	if (synack_rewrite(ctx, p, hb, tlen))
		return -1;
	cookie_note_sent(bpf_ntohs(p->dport), now);
	return 0;
}

#endif /* TCPSENTRY_BPF_SYNACK_H */
