/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small frame builder for the BPF_PROG_TEST_RUN tests: Ethernet, up to
 * three VLAN tags, IPv4 (options, fragment fields) or IPv6 (extension
 * headers), TCP (flags, seq/ack, window, options, payload) or UDP, with
 * correct checksums. A frame is described by a struct frame_spec and
 * built in one call; the "lie" fields then damage the result on purpose.
 *
 * Byte writes only (no casts of the buffer to header structs), so the
 * sanitizers see no misaligned access.
 */
#ifndef TCPSENTRY_TESTS_FRAMES_H
#define TCPSENTRY_TESTS_FRAMES_H

#include <stdint.h>
#include <string.h>

#define FR_MAX 1536

#define FR_ETH_P_IP   0x0800
#define FR_ETH_P_ARP  0x0806
#define FR_ETH_P_IPV6 0x86dd
#define FR_ETH_P_8021Q  0x8100
#define FR_ETH_P_8021AD 0x88a8

#define FR_IPPROTO_HOPOPTS  0
#define FR_IPPROTO_TCP      6
#define FR_IPPROTO_UDP      17
#define FR_IPPROTO_ROUTING  43
#define FR_IPPROTO_FRAGMENT 44
#define FR_IPPROTO_DSTOPTS  60

/* TCP flags (byte 13) */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* One IPv6 extension header. len8: the Hdr Ext Len field (size is
 * (len8 + 1) * 8 bytes); ignored for a fragment header (always 8). */
struct fr_ext {
	uint8_t type;       /* FR_IPPROTO_HOPOPTS / ROUTING / FRAGMENT / DSTOPTS */
	uint8_t len8;
	uint16_t frag_off;  /* fragment: offset in 8-byte units */
	uint8_t mf;         /* fragment: more fragments */
};

#define FR_MAX_EXT 10

struct frame_spec {
	/* L2 */
	int nvlan;              /* 0..3: tags; with 2+, the outer one is 802.1ad */
	int vids;               /* 1: the tags' VIDs are vid[]; 0: 100, 101, 102 */
	uint16_t vid[3];        /* outermost first (0: a priority tag) */
	uint16_t ethertype;     /* family 0 only: the Ethernet type */
	/* L3 */
	int family;             /* 4, 6, or 0 (ethertype + raw payload) */
	uint32_t saddr4, daddr4;             /* host order */
	uint8_t saddr6[16], daddr6[16];
	int ip_optlen;          /* IPv4 option bytes, multiple of 4, <= 40 */
	uint16_t ip_id;         /* IPv4: the datagram's ID; 0: 0x1234 */
	uint16_t frag_off;      /* IPv4: fragment offset in 8-byte units */
	int mf;                 /* IPv4: more fragments */
	int df;                 /* IPv4: don't fragment */
	uint8_t l4proto;        /* 0 means TCP; FR_IPPROTO_UDP for UDP */
	int next;               /* IPv6 extension headers, in order */
	struct fr_ext ext[FR_MAX_EXT];
	/* L4 */
	uint16_t sport, dport;  /* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	int mss;                /* 0: no MSS option */
	int has_wscale;
	int wscale;
	int sackok;
	int ts;
	uint32_t tsval, tsecr;
	const uint8_t *rawopt;  /* instead of the above: these option bytes */
	int rawoptlen;          /* padded with EOL to a multiple of 4 */
	int paylen;             /* payload bytes (a counting pattern) */
	/* lies, applied after the frame is built */
	int ihl;                /* != 0: IPv4 IHL field */
	int tot_len;            /* != 0: IPv4 total length / IPv6 payload length */
	int doff;               /* != 0: TCP data offset field */
	int version;            /* != 0: IP version nibble */
	int cut;                /* != 0: frame ends after this many bytes */
	int cut_fix_len;        /* with cut: IP length fields match the cut frame */
	int pad_to;             /* != 0: zero padding up to this length, after the cut */
	int tcp_csum_add;       /* != 0: added to the TCP checksum (a bad one) */
	int ip_csum_add;        /* != 0: added to the IPv4 header checksum */
	int csum_partial;       /* the TCP checksum left for the hardware: the pseudo
				 * header's sum alone (CHECKSUM_PARTIAL, a veth peer's) */
	/* IPv4: the whole segment built (its checksum right), then only
	 * its first frag_first bytes of TCP sent (MF), or its bytes from
	 * frag_tail on (the last fragment); multiples of 8 */
	int frag_first;
	int frag_tail;
};

struct frame {
	uint8_t b[FR_MAX];
	int len;
	int l3;   /* offset of the IP header */
	int l4;   /* offset of the TCP/UDP header */
};

static inline void fr_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void fr_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline uint16_t fr_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* one's-complement sum of big-endian 16-bit words */
static inline uint32_t fr_sum(uint32_t s, const uint8_t *p, int n)
{
	int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t fr_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* v4-mapped or native IPv6 address, as 16 bytes */
static inline void fr_v4mapped(uint8_t out[16], uint32_t a)
{
	memset(out, 0, 16);
	out[10] = 0xff;
	out[11] = 0xff;
	fr_put32(out + 12, a);
}

/* TCP options from the spec, padded to a multiple of 4; returns the length */
static inline int fr_tcp_opts(const struct frame_spec *s, uint8_t *o)
{
	int n = 0;

	if (s->rawopt) {
		memcpy(o, s->rawopt, s->rawoptlen);
		n = s->rawoptlen;
	} else {
		if (s->mss) {
			o[n++] = 2;
			o[n++] = 4;
			fr_put16(o + n, (uint16_t)s->mss);
			n += 2;
		}
		if (s->sackok) {
			o[n++] = 4;
			o[n++] = 2;
		}
		if (s->ts) {
			o[n++] = 8;
			o[n++] = 10;
			fr_put32(o + n, s->tsval);
			fr_put32(o + n + 4, s->tsecr);
			n += 8;
		}
		if (s->has_wscale) {
			o[n++] = 1; /* NOP, as Linux aligns it */
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = (uint8_t)s->wscale;
		}
	}
	while (n & 3)
		o[n++] = 0; /* EOL */
	return n;
}

static inline void fr_ipv4_csum(struct frame *f)
{
	int hl = (f->b[f->l3] & 0x0f) * 4;

	f->b[f->l3 + 10] = f->b[f->l3 + 11] = 0;
	fr_put16(f->b + f->l3 + 10, fr_fold(fr_sum(0, f->b + f->l3, hl)));
}

/*
 * Build the frame. Returns its length (also in f->len), or -1 if the spec
 * does not fit FR_MAX.
 */
static inline int frame_build(const struct frame_spec *s, struct frame *f)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *b = f->b;
	uint8_t src[16], dst[16];
	uint8_t proto = s->l4proto ? s->l4proto : FR_IPPROTO_TCP;
	int off, i, l4len, hl;
	uint32_t sum;

	memset(f, 0, sizeof(*f));
	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	off = 12;
	for (i = 0; i < s->nvlan; i++) {
		uint16_t tpid = (s->nvlan >= 2 && i == 0) ? FR_ETH_P_8021AD : FR_ETH_P_8021Q;

		fr_put16(b + off, tpid);
		/* PCP 0, VID 100.. (or the spec's) */
		fr_put16(b + off + 2, s->vids ? (uint16_t)(s->vid[i] & 0x0fff) : (uint16_t)(100 + i));
		off += 4;
	}
	fr_put16(b + off, s->family == 4 ? FR_ETH_P_IP :
			  s->family == 6 ? FR_ETH_P_IPV6 : s->ethertype);
	off += 2;
	f->l3 = off;

	if (s->family == 0) {
		/* raw payload: an ARP request for ARP, a pattern otherwise */
		if (s->ethertype == FR_ETH_P_ARP) {
			static const uint8_t arp[28] = {
				0, 1, 8, 0, 6, 4, 0, 1,
				0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1,
				0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
			};
			memcpy(b + off, arp, sizeof(arp));
			off += sizeof(arp);
		}
		for (i = 0; i < s->paylen && off < FR_MAX; i++)
			b[off++] = (uint8_t)i;
		f->l4 = off;
		f->len = off;
		goto lies;
	}

	if (s->family == 4) {
		fr_v4mapped(src, s->saddr4);
		fr_v4mapped(dst, s->daddr4);
		hl = 20 + s->ip_optlen;
		b[off] = (uint8_t)(0x40 | (hl / 4));
		b[off + 1] = 0;
		/* total length later */
		fr_put16(b + off + 4, s->ip_id ? s->ip_id : 0x1234);
		fr_put16(b + off + 6, (uint16_t)((s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) |
						 (s->frag_off & 0x1fff)));
		b[off + 8] = 64;
		b[off + 9] = proto;
		fr_put32(b + off + 12, s->saddr4);
		fr_put32(b + off + 16, s->daddr4);
		/* options: NOPs ending with EOL, valid as options go */
		for (i = 0; i < s->ip_optlen; i++)
			b[off + 20 + i] = (i == s->ip_optlen - 1) ? 0 : 1;
		off += hl;
	} else {
		uint8_t nh;

		memcpy(src, s->saddr6, 16);
		memcpy(dst, s->daddr6, 16);
		b[off] = 0x60;
		nh = s->next ? s->ext[0].type : proto;
		b[off + 6] = nh;
		b[off + 7] = 64;
		memcpy(b + off + 8, src, 16);
		memcpy(b + off + 24, dst, 16);
		off += 40;
		for (i = 0; i < s->next; i++) {
			const struct fr_ext *e = &s->ext[i];
			uint8_t enh = i + 1 < s->next ? s->ext[i + 1].type : proto;
			int elen = e->type == FR_IPPROTO_FRAGMENT ? 8 : (e->len8 + 1) * 8;

			if (off + elen > FR_MAX - 128)
				return -1;
			memset(b + off, 0, elen);
			b[off] = enh;
			if (e->type == FR_IPPROTO_FRAGMENT) {
				fr_put16(b + off + 2, (uint16_t)((e->frag_off << 3) | (e->mf ? 1 : 0)));
				fr_put32(b + off + 4, 0xabcd0001);
			} else {
				b[off + 1] = e->len8;
				if (e->type == FR_IPPROTO_ROUTING) {
					b[off + 2] = 4; /* segment routing */
					b[off + 3] = 0; /* segments left */
				} else {
					/* one PadN option filling the header */
					b[off + 2] = 1;
					b[off + 3] = (uint8_t)(elen - 4);
				}
			}
			off += elen;
		}
	}

	f->l4 = off;
	if (proto == FR_IPPROTO_TCP) {
		uint8_t opts[64];
		int optlen = fr_tcp_opts(s, opts);

		if (optlen > 40 || off + 20 + optlen + s->paylen > FR_MAX)
			return -1;
		fr_put16(b + off, s->sport);
		fr_put16(b + off + 2, s->dport);
		fr_put32(b + off + 4, s->seq);
		fr_put32(b + off + 8, s->ack);
		b[off + 12] = (uint8_t)(((20 + optlen) / 4) << 4);
		b[off + 13] = s->flags;
		fr_put16(b + off + 14, s->win);
		memcpy(b + off + 20, opts, optlen);
		l4len = 20 + optlen;
	} else if (proto == FR_IPPROTO_UDP) {
		if (off + 8 + s->paylen > FR_MAX)
			return -1;
		fr_put16(b + off, s->sport);
		fr_put16(b + off + 2, s->dport);
		fr_put16(b + off + 4, (uint16_t)(8 + s->paylen));
		l4len = 8;
	} else {
		l4len = 0;
	}
	for (i = 0; i < s->paylen; i++)
		b[off + l4len + i] = (uint8_t)('a' + i % 26);
	l4len += s->paylen;
	f->len = off + l4len;

	/* IP lengths */
	if (s->family == 4) {
		fr_put16(b + f->l3 + 2, (uint16_t)(f->len - f->l3));
		fr_ipv4_csum(f);
	} else {
		fr_put16(b + f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
	}

	/* transport checksum over the pseudo header (the fragment's bytes
	 * only for a fragment: nothing checks it) */
	if (s->family == 4) {
		/* the v4 pseudo header: the last 4 bytes of each mapped address */
		sum = fr_sum(0, src + 12, 4);
		sum = fr_sum(sum, dst + 12, 4);
	} else {
		sum = fr_sum(0, src, 16);
		sum = fr_sum(sum, dst, 16);
	}
	sum += proto;
	sum += (uint32_t)l4len;
	if (proto == FR_IPPROTO_TCP) {
		uint16_t partial = (uint16_t)~fr_fold(sum);

		sum = fr_sum(sum, b + f->l4, l4len);
		fr_put16(b + f->l4 + 16, s->csum_partial ? partial : fr_fold(sum));
	} else if (proto == FR_IPPROTO_UDP) {
		uint16_t c;

		sum = fr_sum(sum, b + f->l4, l4len);
		c = fr_fold(sum);
		fr_put16(b + f->l4 + 6, c ? c : 0xffff);
	}

lies:
	if (s->family == 4 && (s->ihl || s->tot_len || s->version)) {
		if (s->ihl)
			b[f->l3] = (uint8_t)((b[f->l3] & 0xf0) | (s->ihl & 0x0f));
		if (s->version)
			b[f->l3] = (uint8_t)((b[f->l3] & 0x0f) | (s->version << 4));
		if (s->tot_len)
			fr_put16(b + f->l3 + 2, (uint16_t)s->tot_len);
		fr_ipv4_csum(f);
	}
	if (s->family == 6 && s->tot_len)
		fr_put16(b + f->l3 + 4, (uint16_t)s->tot_len);
	if (s->family == 6 && s->version)
		b[f->l3] = (uint8_t)((b[f->l3] & 0x0f) | (s->version << 4));
	if (s->doff && (s->l4proto == 0 || s->l4proto == FR_IPPROTO_TCP))
		b[f->l4 + 12] = (uint8_t)((s->doff & 0x0f) << 4);
	if (s->family == 4 && (s->frag_first || s->frag_tail)) {
		int pl = f->len - f->l4;

		if (s->frag_first && s->frag_first < pl) {
			f->len = f->l4 + s->frag_first;
			fr_put16(b + f->l3 + 6, 0x2000);
		} else if (s->frag_tail && s->frag_tail < pl) {
			memmove(b + f->l4, b + f->l4 + s->frag_tail, (size_t)(pl - s->frag_tail));
			f->len = f->l4 + pl - s->frag_tail;
			fr_put16(b + f->l3 + 6, (uint16_t)((s->frag_tail / 8) & 0x1fff));
		}
		fr_put16(b + f->l3 + 2, (uint16_t)(f->len - f->l3));
		fr_ipv4_csum(f);
	}
	if (s->cut && s->cut < f->len) {
		f->len = s->cut;
		if (s->cut_fix_len && s->family == 4) {
			fr_put16(b + f->l3 + 2, (uint16_t)(f->len - f->l3));
			fr_ipv4_csum(f);
		} else if (s->cut_fix_len && s->family == 6) {
			fr_put16(b + f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
		}
	}
	if (s->tcp_csum_add && (s->l4proto == 0 || s->l4proto == FR_IPPROTO_TCP))
		fr_put16(b + f->l4 + 16, (uint16_t)(fr_get16(b + f->l4 + 16) + s->tcp_csum_add));
	if (s->ip_csum_add && s->family == 4)
		fr_put16(b + f->l3 + 10, (uint16_t)(fr_get16(b + f->l3 + 10) + s->ip_csum_add));
	/* Ethernet padding comes last: it is never covered by the IP lengths */
	if (s->pad_to > f->len && s->pad_to <= FR_MAX) {
		memset(b + f->len, 0, s->pad_to - f->len);
		f->len = s->pad_to;
	}
	return f->len;
}

/* The addresses of a spec as 16-byte (v4-mapped for IPv4) arrays. */
static inline void frame_addrs(const struct frame_spec *s, uint8_t src[16], uint8_t dst[16])
{
	if (s->family == 4) {
		fr_v4mapped(src, s->saddr4);
		fr_v4mapped(dst, s->daddr4);
	} else {
		memcpy(src, s->saddr6, 16);
		memcpy(dst, s->daddr6, 16);
	}
}

#endif /* TCPSENTRY_TESTS_FRAMES_H */
