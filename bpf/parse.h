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
#include "maps.h"

/* parse verdicts: PARSE_TCP continues; the rest are terminal */
enum parse_verdict {
	PARSE_TCP = PKT_TCP,
	PARSE_NON_IP = PKT_NON_IP,
	PARSE_NON_TCP = PKT_NON_TCP,
	PARSE_FRAG_LATER = PKT_FRAG_LATER,
	PARSE_ERR = PKT_ERR,          /* pkt->err holds the ts_counter reason */
};

/*
 * An ingress frame tagged with a VLAN ID the interface has no device for
 * (the `vlans` map, struct ts_vlans): the kernel marks it for another host
 * and drops it (__netif_receive_skb_core: PACKET_OTHERHOST), so it is not
 * this host's traffic and must move no state, feed no sketch and get no
 * source banned. parse_eth makes it a frame not parsed (vlan_no_device),
 * which the gate does not judge: passed, counted once. The tags are judged
 * as the kernel takes them off: a priority tag (VID 0) is dropped and the
 * next one judged on the same device; a tag after a VID's (QinQ) is its
 * VLAN device's to judge. No map: taken (fail open). Egress is the host's
 * own traffic: never asked (nor tc ingress, the hand-over, which follows
 * XDP's mark). Global: verified once, whatever the parser's states.
 * tag0, tag1: the first two tags, outermost first, each the EtherType that
 * announced it << 16 | its TCI, network order both (0: no such tag).
 * 1: taken.
 */
static __always_inline __u32 vlan_vid(__u32 tag)
{
	return bpf_ntohs((__u16)tag) & 0x0fff;
}

static __always_inline __u32 vlan_bit(const struct ts_vlans *vl, __u32 set, __u32 tag)
{
	__u32 vid = vlan_vid(tag);

	set |= (tag >> 16) == bpf_htons(ETH_P_8021AD) ? 1 : 0;
	return (vl->bits[set & (TS_VLAN_SETS - 1)][(vid >> 6) & (TS_VLAN_WORDS - 1)] >>
		(vid & 63)) & 1;
}

__attribute__((noinline)) int vlan_taken(__u32 tag0, __u32 tag1)
{
	struct ts_vlans *vl;
	__u32 zero = 0;

	if (!vlan_vid(tag0)) {
		tag0 = tag1;
		tag1 = 0;
	}
	if (!vlan_vid(tag0))
		return 1;
	vl = bpf_map_lookup_elem(&vlans, &zero);
	if (!vl)
		return 1;
	if (!vlan_bit(vl, TS_VLAN_Q, tag0))
		return 0;
	return !vlan_vid(tag1) || vlan_bit(vl, TS_VLAN_INNER_Q, tag1);
}

/* judge_tags: the frame's VLAN tags are judged (vlan_taken): XDP ingress */
static __always_inline int parse_eth(struct cursor *c, struct pkt *p, __u16 *proto,
				     int judge_tags)
{
	struct ethhdr *eth = c->pos;
	__u32 tag[TS_MAX_VLAN] = {};
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
		tag[i] = ((__u32)h << 16) | vh->tci; /* as it is: no branch here */
		h = vh->proto;
		c->pos = vh + 1;
		p->vlans++;
	}
	if (h == bpf_htons(ETH_P_8021Q) || h == bpf_htons(ETH_P_8021AD)) {
		p->err = TS_C_ERR_VLAN; /* a third tag: more than we follow */
		return PARSE_ERR;
	}
	if (judge_tags && p->vlans && !vlan_taken(tag[0], tag[1])) {
		p->err = TS_C_VLAN_NO_DEVICE;
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
	if (ip->protocol != IPPROTO_TCP) {
		/* a fragment of another protocol: it still moves the kernel's
		 * count of its source's fragments (track, frag_count) */
		if (ip->frag_off & bpf_htons(0x3fff))
			p->seg.opts |= TS_SEG_FRAG;
		return PARSE_NON_TCP;
	}
	/* a later fragment of TCP has no TCP header; the first one is parsed
	 * (its length is not the segment's: TS_SEG_FRAG) */
	if (ip->frag_off & bpf_htons(0x1fff))
		return PARSE_FRAG_LATER;
	if (ip->frag_off & bpf_htons(0x2000))
		p->seg.opts |= TS_SEG_FRAG;
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
			if (eh->frag_off & bpf_htons(1)) /* more fragments */
				p->seg.opts |= TS_SEG_FRAG;
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
 *
 * As the kernel walks them (tcp_parse_options), for the kernel is what
 * accepts the segment: a known option of the wrong length is skipped, not
 * learnt; a length below 2 or past the option space ends the walk, keeping
 * what came before. No option makes the segment unparseable: a SYN the
 * kernel takes is tracked, sketched and answered like any other.
 */
static __always_inline void parse_tcp_opts(__u8 *o, void *end, __u32 optlen,
					   struct ts_seg *seg)
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
			break;
		len = o[pos + 1];
		if (len < 2 || pos + len > optlen)
			break;
		if (kind == 2 && len == 4) { /* MSS */
			if ((void *)(o + pos + 4) > end)
				break;
			seg->mss = ((__u16)o[pos + 2] << 8) | o[pos + 3];
			seg->opts |= TS_OPT_MSS;
		} else if (kind == 3 && len == 3) { /* window scale, RFC 7323 caps it at 14 */
			if ((void *)(o + pos + 3) > end)
				break;
			seg->wscale = o[pos + 2] > 14 ? 14 : o[pos + 2];
			seg->opts |= TS_OPT_WSCALE;
		} else if (kind == 4 && len == 2) { /* SACK permitted */
			seg->opts |= TS_OPT_SACKOK;
		} else if (kind == 8 && len == 10) { /* timestamps */
			if ((void *)(o + pos + 10) > end)
				break;
			seg->opts |= TS_OPT_TS;
			seg->tsval = (__u32)o[pos + 2] << 24 | (__u32)o[pos + 3] << 16 |
				 (__u32)o[pos + 4] << 8 | o[pos + 5];
			seg->tsecr = (__u32)o[pos + 6] << 24 | (__u32)o[pos + 7] << 16 |
				 (__u32)o[pos + 8] << 8 | o[pos + 9];
		} else if (kind == 34) { /* TCP Fast Open: cookie or cookie request */
			seg->opts |= TS_OPT_TFO;
		}
		nxt = pos + len;
	}
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

	/* options are walked later, by parse_options, once the gate let the
	 * segment through: a SYN's (MSS, scaling, SACK, timestamps), an
	 * ingress FIN's, and an ingress segment's whose timestamp is not read
	 * here (for PAWS). Every other segment's timestamps are read here, in
	 * the layout every stack sends them in (NOP NOP TS first, as the
	 * kernel's own fast parse reads them): a local endpoint's TSecr is
	 * its kernel's ts_recent (fsm.h, PAWS) */
	if (hlen >= sizeof(*th) + 12 && (void *)th + sizeof(*th) + 12 <= c->end) {
		__u8 *o = (__u8 *)(th + 1);
		__u32 w;

		__builtin_memcpy(&w, o, 4);
		if (w == bpf_htonl(0x0101080a)) {
			p->seg.opts |= TS_OPT_TS;
			__builtin_memcpy(&w, o + 4, 4);
			p->seg.tsval = bpf_ntohl(w);
			__builtin_memcpy(&w, o + 8, 4);
			p->seg.tsecr = bpf_ntohl(w);
		}
	}
	p->optlen = (__u8)(hlen - sizeof(*th));
	p->opt_off = (__u16)((void *)(th + 1) - c->start);
	return PARSE_TCP;
}

/* The headers: fills p (its kind, or the reason it could not be parsed).
 * judge_tags: at XDP ingress, a frame tagged for no VLAN device here is
 * not parsed (vlan_taken). */
static __always_inline void parse_frame(struct cursor *c, struct pkt *p, int judge_tags)
{
	__u16 proto;
	int v;

	v = parse_eth(c, p, &proto, judge_tags);
	if (v == PARSE_TCP) {
		if (proto == bpf_htons(ETH_P_IP))
			v = parse_ipv4(c, p);
		else if (proto == bpf_htons(ETH_P_IPV6))
			v = parse_ipv6(c, p);
		else
			v = PARSE_NON_IP;
	}
	if (v == PARSE_TCP) {
		v = parse_tcp(c, p);
		/* a first IP fragment too short for the TCP header and its
		 * options (RFC 1858's tiny fragment): the kernel reassembles
		 * it and acts on flags and sequence numbers that are not here
		 * to read. The gate judges it (action.tiny_fragment) */
		if (v == PARSE_ERR && (p->seg.opts & TS_SEG_FRAG))
			p->err = TS_C_ERR_TINY_FRAG;
	}
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
		return 0;                                                     \
	if (off > 4095)                                                       \
		return 0; /* past a page of extension headers: learn nothing */ \
	asm volatile("" : "+r"(off)); /* keep the mask: the check above is not \
					 the verifier's bound on this register */ \
	o = (__u8 *)data + (off & 4095); /* the mask bounds it for the verifier */ \
	/* one base pointer; every check below is o + constant */            \
	asm volatile("" : "+r"(o));                                           \
	parse_tcp_opts(o, end, optlen, &p->seg);                       \
	return 0;                                                             \
}

DEFINE_TCP_OPT_PARSER(tcp_opts_xdp, struct xdp_md)
DEFINE_TCP_OPT_PARSER(tcp_opts_tc, struct __sk_buff)

/*
 * The options of a SYN (or SYN-ACK) the gate let through (gate: enum gate,
 * GATE_NONE for a segment dropped there); of an ingress FIN; and of any
 * ingress segment whose options do not start with the timestamp (NOP NOP
 * TS, where parse_tcp read it): the kernel walks the options whatever
 * their layout (tcp_fast_parse_options falls back to tcp_parse_options
 * for anything but that one layout), and the timestamp decides PAWS
 * (fsm.h). Read in the usual layout only, a timestamp elsewhere was not
 * seen: an old TSval's data, which the kernel drops, moved the sender's
 * end here (an RST there then looked exact). Real stacks put NOP NOP TS
 * first: their segments never come here (without timestamps, only
 * those carrying SACK blocks do). Malformed options never fail the
 * segment (parse_tcp_opts walks them as the kernel does). dir is a
 * constant in each inlined copy, so only one of the two walkers is
 * called from each program.
 */
static __always_inline void parse_options(void *ctx, struct pkt *p, __u32 gate, __u32 dir)
{
	if (p->kind != PKT_TCP || gate == GATE_NONE || !p->optlen)
		return;
	if (dir == DIR_INGRESS ? !(p->seg.flags & (TS_TCP_SYN | TS_TCP_FIN)) &&
				 (p->seg.opts & TS_OPT_TS) :
				 !(p->seg.flags & TS_TCP_SYN))
		return;
	if (dir == DIR_INGRESS)
		tcp_opts_xdp(ctx, p->opt_off, p->optlen, p);
	else
		tcp_opts_tc(ctx, p->opt_off, p->optlen, p);
}

/* ---- checksums --------------------------------------------------------------- */

/* n (a multiple of 4, < 2 * sz) bytes at b into the sum s, in constant-size
 * pieces: the verifier knows each piece's size, where one call of a
 * variable size would need its largest size proven readable */
#define CSUM_PIECE(sz)                                                        \
	if (n & (sz)) {                                                       \
		if ((void *)(b + (sz)) > end)                                 \
			return 1;                                             \
		r = bpf_csum_diff(NULL, 0, (__be32 *)b, (sz), 0);             \
		if (r < 0)                                                    \
			return 1;                                             \
		s += (__u32)r;                                                \
		b += (sz);                                                    \
	}

/* ... returning err where CSUM_PIECE returns 1 */
#define CSUM_PIECE_OR(sz, err)                                                \
	if (n & (sz)) {                                                       \
		if ((void *)(b + (sz)) > end)                                 \
			return (err);                                         \
		r = bpf_csum_diff(NULL, 0, (__be32 *)b, (sz), 0);             \
		if (r < 0)                                                    \
			return (err);                                         \
		s += (__u32)r;                                                \
		b += (sz);                                                    \
	}

/*
 * The one's complement sum of len bytes at off in the frame (the last one
 * to three zero-padded), folded to 16 bits: what a TCP checksum adds up
 * over them. -1 if they cannot be read here (past the frame's linear part,
 * or longer than TS_CSUM_MAX_LEN). Global: verified once.
 */
static __always_inline long csum_bytes_xdp(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 n, t, i;
	__u8 *b, *th;
	__u64 s = 0, fs;
	long r;

	if (off > 4095 || len > TS_CSUM_MAX_LEN)
		return -1;
	asm volatile("" : "+r"(off)); /* the mask below is the verifier's bound */
	th = (__u8 *)data + (off & 4095);
	b = th;
	n = len & ~3u;
	/* whole 256-byte pieces */
	for (i = 0; i < TS_CSUM_MAX_LEN / 256; i++) {
		if (n < 256)
			break;
		if ((void *)(b + 256) > end)
			return -1;
		r = bpf_csum_diff(NULL, 0, (__be32 *)b, 256, 0);
		if (r < 0)
			return -1;
		s += (__u32)r;
		b += 256;
		n -= 256;
	}
	if (n && (len & ~3u) >= 256) {
		/* the rest: the last 256 bytes less the first 256 - n of them,
		 * one call whose sizes the verifier can bound */
		t = ((len & ~3u) - 256) & 16383;
		b = th + t;
		if ((void *)(b + 256) > end)
			return -1;
		/* 64-bit, opaque: checked in the register the call is given */
		fs = 256 - (__u64)n;
		asm volatile("" : "+r"(fs));
		if (fs > 256)
			return -1;
		r = bpf_csum_diff((__be32 *)b, fs, (__be32 *)b, 256, 0);
		if (r < 0)
			return -1;
		s += (__u32)r;
	} else if (n) {
		CSUM_PIECE_OR(128, -1)
		CSUM_PIECE_OR(64, -1)
		CSUM_PIECE_OR(32, -1)
		CSUM_PIECE_OR(16, -1)
		CSUM_PIECE_OR(8, -1)
		CSUM_PIECE_OR(4, -1)
	}
	/* the last one to three bytes, zero-padded */
	n = len & 3;
	if (n) {
		__u32 w;

		b = th + ((len & ~3u) & 16383);
		if ((void *)(b + 1) > end)
			return -1;
		w = b[0];
		if (n > 1) {
			if ((void *)(b + 2) > end)
				return -1;
			w |= (__u32)b[1] << 8;
		}
		if (n > 2) {
			if ((void *)(b + 3) > end)
				return -1;
			w |= (__u32)b[2] << 16;
		}
		s += w;
	}
	return (__u16)~csum_fold32(s);
}

/* csum_bytes_xdp for what an IP fragment carries (bpf/track.h, frag_first):
 * global, so the checksum code is verified once more, not on every path */
__attribute__((noinline)) long csum_frag_xdp(struct xdp_md *ctx, __u32 off, __u32 len)
{
	if (!ctx)
		return -1;
	return csum_bytes_xdp(ctx, off, len);
}

/* Does an IPv4 header sum to zero, as the kernel wants it to (ip_rcv_core)?
 * 1 for IPv6, or if it cannot be read here */
static __always_inline int ip4_hdr_ok(struct xdp_md *ctx, const struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *b = (__u8 *)data + ((14 + 4 * (__u32)p->vlans) & 31);
	__u32 n;
	__u64 s;
	long r;

	if (p->family != 4 || (void *)(b + 20) > end)
		return 1;
	n = ((b[0] & 0xf) * 4 - 20) & 63; /* option bytes: IHL >= 5 (parse) */
	r = bpf_csum_diff(NULL, 0, (__be32 *)b, 20, 0);
	if (r < 0)
		return 1;
	s = (__u32)r;
	b += 20;
	CSUM_PIECE(32)
	CSUM_PIECE(16)
	CSUM_PIECE(8)
	CSUM_PIECE(4)
	return !csum_fold32(s);
}

/*
 * Would the kernel take this ingress segment's checksums? 1: yes, or it
 * cannot be told here (fail open); 0: it drops the segment. An IPv4
 * header must sum to zero, and the TCP checksum over the pseudo header and
 * the segment too. A TCP checksum left for the hardware (the pseudo
 * header's sum alone: CHECKSUM_PARTIAL, as a local veth peer hands its
 * segments over) is taken on a virtual device, as the kernel takes it
 * from one; on a wire device (ts_config.csum_full, attach --checksum) it
 * is a crafted frame's, which the kernel drops: not taken. XDP cannot
 * tell the two apart, the attachment says which it is. A first IP
 * fragment's TCP checksum covers bytes still to come: judged when its
 * datagram is whole (bpf/track.h, frag_first). Global: verified once.
 */
__attribute__((noinline)) int csum_ok_xdp(struct xdp_md *ctx, struct pkt *p)
{
	struct ts_config *cfg;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 off, len, i;
	__u8 *th;
	__u64 s, ps;
	__u16 check;
	long r;

	if (!p)
		return 1;
	if (!ip4_hdr_ok(ctx, p))
		return 0;
	if (p->seg.opts & TS_SEG_FRAG)
		return 1;

	off = p->opt_off;
	len = p->l4_len;
	if (off < 20 || off > 4095 || len < 20 || len > TS_CSUM_MAX_LEN)
		return 1;
	off -= 20;
	asm volatile("" : "+r"(off)); /* the mask below is the verifier's bound */
	th = (__u8 *)data + (off & 4095);
	if ((void *)(th + 20) > end)
		return 1;
	__builtin_memcpy(&check, th + 16, 2);
	r = csum_bytes_xdp(ctx, off, len);
	if (r < 0)
		return 1;
	/* the pseudo header, in 32-bit words as synack_checksum sums it */
	ps = bpf_htonl(IPPROTO_TCP) + bpf_htonl(len);
#pragma unroll
	for (i = 0; i < 4; i++)
		ps += (__u64)p->saddr[i] + p->daddr[i];
	s = ps + (__u64)r;
	if (!csum_fold32(s))
		return 1;
	if (check != (__u16)~csum_fold32(ps))
		return 0;
	cfg = config_get();
	return !(cfg && cfg->csum_full);
}

/*
 * An ingress SYN, FIN or RST the gate let through: the kernel drops one
 * whose checksums are wrong, so it must move nothing here; it is counted
 * (parse_error_checksum) and passed. Plain data and ACKs are not summed:
 * they keep their cost (a pickup is summed by track before it inserts).
 */
static __always_inline void parse_checksums(void *ctx, struct pkt *p, __u32 gate, __u32 dir)
{
	if (dir != DIR_INGRESS || p->kind != PKT_TCP || gate == GATE_NONE ||
	    !(p->seg.flags & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST)))
		return;
	if (!csum_ok_xdp(ctx, p)) {
		p->kind = PKT_ERR;
		p->err = TS_C_ERR_CSUM;
	}
}

#endif /* TCPSENTRY_PARSE_H */
