/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 1, parse: the frame into one struct pkt (bpf/ctx.h), in two steps.
 *
 * parse_frame() walks the headers as a cursor: each parse_*() checks its
 * fixed header against data_end, then its variable length, advances the
 * cursor and returns a verdict; every loop is capped. It costs the same
 * for every frame and is all the gate (judge_gate) needs.
 *
 * parse_options() then walks a SYN's TCP options, which cost more and
 * matter only to a segment that goes on: the gate runs between the two,
 * so a denied source's SYN is dropped without them. (This is where the
 * facts that cost per segment belong: a checksum verified before a SYN,
 * FIN, RST or pickup may move state would go here too.)
 *
 * Nothing here drops: what cannot be parsed is counted under its reason
 * (account) and passed.
 */
#ifndef TCPSENTRY_PARSE_H
#define TCPSENTRY_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "ctx.h"

/* parse verdicts: PARSE_TCP continues; the rest are terminal */
enum parse_verdict {
	PARSE_TCP = PKT_TCP,
	PARSE_NON_IP = PKT_NON_IP,
	PARSE_NON_TCP = PKT_NON_TCP,
	PARSE_FRAG_LATER = PKT_FRAG_LATER,
	PARSE_ERR = PKT_ERR,          /* pkt->err holds the ts_counter reason */
};

static __always_inline int parse_eth(struct cursor *c, struct pkt *p, __u16 *proto)
{
	struct ethhdr *eth = c->pos;
	__u16 h;
	int i;

	if ((void *)(eth + 1) > c->end) {
		p->err = TS_C_ERR_ETH;
		return PARSE_ERR;
	}
	c->pos = eth + 1;
	h = eth->h_proto;
#pragma unroll
	for (i = 0; i < TS_MAX_VLAN; i++) {
		struct { __be16 tci; __be16 proto; } *vh = c->pos;

		if (h != bpf_htons(ETH_P_8021Q) && h != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end) {
			p->err = TS_C_ERR_VLAN;
			return PARSE_ERR;
		}
		h = vh->proto;
		c->pos = vh + 1;
		p->vlans++;
	}
	if (h == bpf_htons(ETH_P_8021Q) || h == bpf_htons(ETH_P_8021AD)) {
		p->err = TS_C_ERR_VLAN; /* a third tag: more than we follow */
		return PARSE_ERR;
	}
	*proto = h;
	return PARSE_TCP;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > c->end || ip->ihl < 5 || ip->version != 4) {
		p->err = TS_C_ERR_IPV4;
		return PARSE_ERR;
	}
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end) {
		p->err = TS_C_ERR_IPV4;
		return PARSE_ERR;
	}
	tot = bpf_ntohs(ip->tot_len);
	/* tot_len 0 is TSO's "see the skb" on egress; otherwise it must cover
	 * the header and may not claim more than arrived */
	if (tot && (tot < hlen || tot > cursor_left(c))) {
		p->err = TS_C_ERR_IPV4_LEN;
		return PARSE_ERR;
	}
	p->family = 4;
	p->saddr[0] = 0;
	p->saddr[1] = 0;
	p->saddr[2] = bpf_htonl(0xffff);
	p->saddr[3] = ip->saddr;
	p->daddr[0] = 0;
	p->daddr[1] = 0;
	p->daddr[2] = bpf_htonl(0xffff);
	p->daddr[3] = ip->daddr;
	p->l4_len = tot ? tot - hlen : cursor_left(c) - hlen;
	p->ip_plain = hlen == sizeof(*ip);
	if (ip->protocol != IPPROTO_TCP)
		return PARSE_NON_TCP;
	/* a later fragment of TCP has no TCP header; the first one is parsed */
	if (ip->frag_off & bpf_htons(0x1fff))
		return PARSE_FRAG_LATER;
	c->pos += hlen;
	return PARSE_TCP;
}

/* IPv6 and its extension headers, a bounded chain. */
static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end || ip6->version != 6) {
		p->err = TS_C_ERR_IPV6;
		return PARSE_ERR;
	}
	plen = bpf_ntohs(ip6->payload_len);
	if (plen + sizeof(*ip6) > cursor_left(c)) {
		p->err = TS_C_ERR_IPV6;
		return PARSE_ERR;
	}
	p->family = 6;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	p->l4_len = plen ? plen : cursor_left(c) - sizeof(*ip6); /* 0: jumbogram/BIG TCP */
	c->pos = ip6 + 1;
	nh = ip6->nexthdr;
	p->ip_plain = nh == IPPROTO_TCP;

#pragma unroll
	for (i = 0; i < TS_MAX_V6_EXT; i++) {
		struct { __u8 nh; __u8 len; __be16 frag_off; } *eh = c->pos;
		__u32 elen;

		if (nh == IPPROTO_TCP)
			return PARSE_TCP;
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
			return PARSE_NON_TCP;
		if ((void *)(eh + 1) > c->end) {
			p->err = TS_C_ERR_IPV6_EXT;
			return PARSE_ERR;
		}
		if (nh == IPPROTO_FRAGMENT) {
			elen = 8;
			/* a later fragment: TCP's if what follows the fragment
			 * header is TCP, or an extension header (that may) */
			if (eh->frag_off & bpf_htons(0xfff8))
				return eh->nh == IPPROTO_TCP || eh->nh == IPPROTO_DSTOPTS ||
				       eh->nh == IPPROTO_ROUTING || eh->nh == IPPROTO_HOPOPTS ?
				       PARSE_FRAG_LATER : PARSE_NON_TCP;
		} else {
			elen = (eh->len + 1) * 8;
		}
		if (c->pos + elen > c->end || elen > p->l4_len) {
			p->err = TS_C_ERR_IPV6_EXT;
			return PARSE_ERR;
		}
		nh = eh->nh;
		c->pos += elen;
		p->l4_len -= elen;
	}
	if (nh == IPPROTO_TCP)
		return PARSE_TCP;
	p->err = TS_C_ERR_IPV6_CHAIN;
	return PARSE_ERR;
}

/*
 * TCP options of a SYN, walked by byte position with constant offsets from
 * one base pointer: the verifier sees packet ranges that only grow and
 * prunes well, where a cursor loop with a variable offset explodes into a
 * million states. `nxt` is where the next option starts.
 */
static __always_inline int parse_tcp_opts(__u8 *o, void *end, __u32 optlen,
					  struct ts_seg *seg, __u32 *tsval, __u32 *tsecr)
{
	__u32 nxt = 0;
	int pos;

#pragma unroll
	for (pos = 0; pos < TS_MAX_TCP_OPTS; pos++) {
		__u8 kind, len;

		if (pos != nxt)
			continue;
		if (pos >= optlen || (void *)(o + pos + 1) > end)
			break;
		kind = o[pos];
		if (kind == 0) /* EOL */
			break;
		if (kind == 1) { /* NOP */
			nxt = pos + 1;
			continue;
		}
		if ((void *)(o + pos + 2) > end)
			return -1;
		len = o[pos + 1];
		if (len < 2 || pos + len > optlen)
			return -1;
		if (kind == 2) { /* MSS */
			if (len != 4 || (void *)(o + pos + 4) > end)
				return -1;
			seg->mss = ((__u16)o[pos + 2] << 8) | o[pos + 3];
			seg->opts |= TS_OPT_MSS;
		} else if (kind == 3) { /* window scale, RFC 7323 caps it at 14 */
			if (len != 3 || (void *)(o + pos + 3) > end)
				return -1;
			seg->wscale = o[pos + 2] > 14 ? 14 : o[pos + 2];
			seg->opts |= TS_OPT_WSCALE;
		} else if (kind == 4) { /* SACK permitted */
			if (len != 2)
				return -1;
			seg->opts |= TS_OPT_SACKOK;
		} else if (kind == 8) { /* timestamps */
			if (len != 10 || (void *)(o + pos + 10) > end)
				return -1;
			seg->opts |= TS_OPT_TS;
			*tsval = (__u32)o[pos + 2] << 24 | (__u32)o[pos + 3] << 16 |
				 (__u32)o[pos + 4] << 8 | o[pos + 5];
			*tsecr = (__u32)o[pos + 6] << 24 | (__u32)o[pos + 7] << 16 |
				 (__u32)o[pos + 8] << 8 | o[pos + 9];
		} else if (kind == 34) { /* TCP Fast Open: cookie or cookie request */
			seg->opts |= TS_OPT_TFO;
		}
		nxt = pos + len;
	}
	return 0;
}

static __always_inline int parse_tcp(struct cursor *c, struct pkt *p)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	/* against the IP length too: Ethernet padding is not a TCP header */
	if ((void *)(th + 1) > c->end || p->l4_len < sizeof(*th)) {
		p->err = TS_C_ERR_TCP;
		return PARSE_ERR;
	}
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || c->pos + hlen > c->end || hlen > p->l4_len) {
		p->err = TS_C_ERR_TCP_DOFF;
		return PARSE_ERR;
	}
	p->sport = th->source;
	p->dport = th->dest;
	p->seg.seq = bpf_ntohl(th->seq);
	p->seg.ack = bpf_ntohl(th->ack_seq);
	p->seg.win = bpf_ntohs(th->window);
	p->seg.flags = ((__u8 *)th)[13];
	p->seg.len = p->l4_len - hlen;

	/* options matter on SYNs only (MSS, scaling, SACK, timestamps); they
	 * are walked later, by parse_options, once the gate let the segment
	 * through */
	p->optlen = (__u8)(hlen - sizeof(*th));
	p->opt_off = (__u16)((void *)(th + 1) - c->start);
	return PARSE_TCP;
}

/* The headers: fills p (its kind, or the reason it could not be parsed). */
static __always_inline void parse_frame(struct cursor *c, struct pkt *p)
{
	__u16 proto;
	int v;

	v = parse_eth(c, p, &proto);
	if (v == PARSE_TCP) {
		if (proto == bpf_htons(ETH_P_IP))
			v = parse_ipv4(c, p);
		else if (proto == bpf_htons(ETH_P_IPV6))
			v = parse_ipv6(c, p);
		else
			v = PARSE_NON_IP;
	}
	if (v == PARSE_TCP)
		v = parse_tcp(c, p);
	p->kind = (__u8)v;
}

/*
 * A global function per hook that walks the TCP options of a SYN. Global
 * so the verifier checks it once: inlined, it was checked again for every
 * packet-pointer state the parser can arrive with (VLAN depths times IPv4
 * and IPv6 extension chains), a million instructions in all.
 */
#define DEFINE_TCP_OPT_PARSER(name, ctx_type)                                  \
__attribute__((noinline)) int name(ctx_type *ctx, __u32 off, __u32 optlen,    \
				   struct pkt *p)                             \
{                                                                             \
	void *data = (void *)(long)ctx->data;                                 \
	void *end = (void *)(long)ctx->data_end;                              \
	__u8 *o;                                                              \
                                                                              \
	if (!p || optlen > TS_MAX_TCP_OPTS)                                   \
		return -1;                                                    \
	if (off > 4095)                                                       \
		return 0; /* past a page of extension headers: learn nothing */ \
	o = (__u8 *)data + (off & 4095); /* the mask bounds it for the verifier */ \
	/* one base pointer; every check below is o + constant */            \
	asm volatile("" : "+r"(o));                                           \
	return parse_tcp_opts(o, end, optlen, &p->seg, &p->tsval, &p->tsecr); \
}

DEFINE_TCP_OPT_PARSER(tcp_opts_xdp, struct xdp_md)
DEFINE_TCP_OPT_PARSER(tcp_opts_tc, struct __sk_buff)

/*
 * The options of a SYN (or SYN-ACK) the gate let through (gate: enum gate,
 * GATE_NONE for a segment dropped there). A malformed option makes the
 * whole segment a parse error (parse_error_tcp_options), counted and passed
 * untracked. dir is a constant in each inlined copy, so only one of the two
 * walkers is called from each program.
 */
static __always_inline void parse_options(void *ctx, struct pkt *p, __u32 gate, __u32 dir)
{
	int r;

	if (p->kind != PKT_TCP || gate == GATE_NONE || !(p->seg.flags & TS_TCP_SYN) || !p->optlen)
		return;
	r = dir == DIR_INGRESS ? tcp_opts_xdp(ctx, p->opt_off, p->optlen, p) :
				 tcp_opts_tc(ctx, p->opt_off, p->optlen, p);
	if (r < 0) {
		p->kind = PKT_ERR;
		p->err = TS_C_ERR_TCP_OPT;
	}
}

#endif /* TCPSENTRY_PARSE_H */
