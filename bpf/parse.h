/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing as a cursor: each parse_*() checks its fixed header against
 * data_end, then its variable length, advances the cursor and returns a
 * verdict. Every loop is capped. Nothing here drops: the caller counts the
 * reason and passes the frame.
 */
#ifndef TCPSENTRY_PARSE_H
#define TCPSENTRY_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <tcpsentry/abi.h>

/* parse verdicts: PARSE_TCP continues; the rest are terminal */
enum parse_verdict {
	PARSE_TCP = 0,
	PARSE_NON_IP,
	PARSE_NON_TCP,
	PARSE_FRAG_LATER,
	PARSE_ERR,          /* pkt->err holds the ts_counter reason */
};

struct cursor {
	void *pos;
	void *end;    /* end of the linear data the program may read */
	void *start;
	__u32 len;    /* whole frame length (tc: skb->len, paged data included) */
};

/* bytes of the frame from the cursor on, paged data included */
static __always_inline __u32 cursor_left(const struct cursor *c)
{
	return c->len - (__u32)(c->pos - c->start);
}

struct pkt {
	__u32 saddr[4];      /* network order, v4-mapped for IPv4 */
	__u32 daddr[4];
	__u16 sport;         /* network order */
	__u16 dport;
	__u32 l4_len;        /* TCP header + payload, from the IP lengths */
	__u8 family;         /* 4 or 6 */
	__u8 vlans;
	__u8 err;            /* enum ts_counter, when PARSE_ERR */
	__u8 optlen;         /* TCP option bytes, parsed later on SYNs */
	__u16 opt_off;       /* their offset from the frame start */
	__u16 out;           /* set by track_segment: PKT_OUT_* */
	struct ts_seg seg;
	__u32 tsval;         /* timestamps option, host order, if seg.opts has TS_OPT_TS */
	__u32 tsecr;
};

#define PKT_OUT_BACKSCATTER 0x1 /* an RST this host sent for no established flow */
#define PKT_OUT_ACKFLOOD 0x2    /* an ingress non-SYN segment of an unknown tuple (pickup path) */
#define PKT_OUT_DROP 0x4        /* an anomaly action (enforce mode) drops it */
#define PKT_IN_EXEMPT 0x8       /* the source is allowlisted: no drop, ban or limit */
#define PKT_OUT_COOKIE_ASK 0x10 /* an unknown tuple's ACK to a cookie port: check its cookie */
#define PKT_IN_COOKIE_DONE 0x20 /* checked (not ours): track it as before */

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
	/* a later fragment has no TCP header; the first one is parsed */
	if (ip->frag_off & bpf_htons(0x1fff))
		return PARSE_FRAG_LATER;
	if (ip->protocol != IPPROTO_TCP)
		return PARSE_NON_TCP;
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
			if (eh->frag_off & bpf_htons(0xfff8))
				return PARSE_FRAG_LATER;
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
	 * are walked by a separate, once-verified function: see
	 * DEFINE_TCP_OPT_PARSER */
	p->optlen = (__u8)(hlen - sizeof(*th));
	p->opt_off = (__u16)((void *)(th + 1) - c->start);
	return PARSE_TCP;
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

#endif /* TCPSENTRY_PARSE_H */
