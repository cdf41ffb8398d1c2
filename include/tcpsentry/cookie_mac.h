/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SYN cookies, as pure C for the BPF object and the host tests: the
 * encoding, the keyed hash (SipHash-1-3 over the tuple, the client's ISN,
 * a time counter and the option byte) and the MSS tables.
 *
 * The cookie is the ISN of the SYN-ACK tcpsentry answers from XDP:
 *
 *   bits 31..8  MAC: the top 24 bits of SipHash(key; tuple, client ISN,
 *               time counter, bits 7..0)
 *   bits  7..6  MSS index into the family's table (the client's MSS,
 *               rounded down)
 *   bit      5  timestamps offered
 *   bit      4  SACK permitted offered
 *   bits  3..0  the client's window-scale shift, 15 = not offered
 *
 * The time counter is CLOCK_MONOTONIC >> 36 (one step per ~68.7 s); an
 * ACK is accepted with the current counter or the one before, so a cookie
 * lives 68.7 to 137 s. The key is 128 random bits per attachment
 * (ts_config.cookie_key); no key, no cookies.
 */
#ifndef TCPSENTRY_COOKIE_MAC_H
#define TCPSENTRY_COOKIE_MAC_H

#include <linux/types.h>
#include "consts.h"

#define TS_COOKIE_WS_NONE 15
#define TS_COOKIE_SACK 0x10
#define TS_COOKIE_TS 0x20
#define TS_COOKIE_MSS_SHIFT 6

/* client MSS, rounded down to one of four values per family (the floor
 * is what bpf_sk_assign_tcp_reqsk accepts: 536 for IPv4, 1220 for IPv6) */
static const __u16 ts_cookie_mss4[4] = { 536, 1300, 1440, 1460 };
static const __u16 ts_cookie_mss6[4] = { 1220, 1280, 1440, 1460 };

static inline __attribute__((always_inline)) __u64 ts_rotl64(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define TS_SIPROUND                                                            \
	do {                                                                   \
		v0 += v1; v1 = ts_rotl64(v1, 13); v1 ^= v0; v0 = ts_rotl64(v0, 32); \
		v2 += v3; v3 = ts_rotl64(v3, 16); v3 ^= v2;                     \
		v0 += v3; v3 = ts_rotl64(v3, 21); v3 ^= v0;                     \
		v2 += v1; v1 = ts_rotl64(v1, 17); v1 ^= v2; v2 = ts_rotl64(v2, 32); \
	} while (0)

#define TS_SIPCOMPRESS(m)                                                      \
	do {                                                                   \
		v3 ^= (m);                                                     \
		TS_SIPROUND;                                                   \
		v0 ^= (m);                                                     \
	} while (0)

/*
 * SipHash-1-3 (one round per word, three to finish: the variant Rust and
 * CPython use for their hash tables) of the words m[0..n), n at most 6.
 * key: two 64-bit words. Words are host order on both sides (the BPF and
 * host builds both run little-endian here, and each side computes with
 * the same layout, which is all a MAC needs). A 24-bit MAC that lives two
 * minutes is brute-forced (2^23 guesses per tuple on average) long before
 * any weakness of the reduced rounds could matter.
 */
static inline __attribute__((always_inline)) __u64
ts_siphash13(const __u64 *k, const __u64 *m, int n)
{
	__u64 v0 = 0x736f6d6570736575ull ^ k[0];
	__u64 v1 = 0x646f72616e646f6dull ^ k[1];
	__u64 v2 = 0x6c7967656e657261ull ^ k[0];
	__u64 v3 = 0x7465646279746573ull ^ k[1];
	__u64 b = (__u64)(n * 8) << 56;
	int i;

#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < 6; i++)
		if (i < n)
			TS_SIPCOMPRESS(m[i]);
	TS_SIPCOMPRESS(b);
	v2 ^= 0xff;
	TS_SIPROUND;
	TS_SIPROUND;
	TS_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The 24-bit MAC of a cookie. saddr/daddr: the client's and the server's
 * address, 4 words each, network order, IPv4 as v4-mapped IPv6; ports in
 * network order as they sit in the header; isn: the client's ISN (host
 * order); t: the time counter; low: bits 7..0 of the cookie. IPv4 hashes
 * three words (the mapped prefix adds nothing), IPv6 six.
 */
static inline __attribute__((always_inline)) __u32
ts_cookie_mac(const __u64 *key, const __u32 *saddr, const __u32 *daddr, __u16 sport,
	      __u16 dport, __u32 isn, __u32 t, __u32 low)
{
	__u64 m[6];
	__u64 h;

	m[0] = (__u64)sport << 48 | (__u64)dport << 32 | isn;
	m[1] = (__u64)t << 8 | (low & 0xff);
	m[2] = (__u64)saddr[3] | (__u64)daddr[3] << 32;
	if (saddr[0] | saddr[1] | daddr[0] | daddr[1] | (saddr[2] ^ daddr[2]) |
	    (saddr[2] ^ 0xffff0000u)) { /* not both v4-mapped (::ffff:0:0/96, network order) */
		m[3] = (__u64)saddr[0] | (__u64)saddr[1] << 32;
		m[4] = (__u64)daddr[0] | (__u64)daddr[1] << 32;
		m[5] = (__u64)saddr[2] | (__u64)daddr[2] << 32;
		h = ts_siphash13(key, m, 6);
	} else {
		h = ts_siphash13(key, m, 3);
	}
	return (__u32)(h >> 40) << 8;
}

/* The option byte for a SYN's offer. family: 4 or 6. */
static inline __attribute__((always_inline)) __u32
ts_cookie_low(int family, __u16 mss, int has_mss, int ws, int sack, int ts)
{
	const __u16 *tab = family == 6 ? ts_cookie_mss6 : ts_cookie_mss4;
	__u32 low = 0, i = 0;

	if (!has_mss)
		mss = family == 6 ? 1220 : 536; /* RFC 9293's default */
	if (mss >= tab[1])
		i = 1;
	if (mss >= tab[2])
		i = 2;
	if (mss >= tab[3])
		i = 3;
	low |= i << TS_COOKIE_MSS_SHIFT;
	low |= ws < 0 ? TS_COOKIE_WS_NONE : (ws > 14 ? 14 : (__u32)ws);
	if (sack)
		low |= TS_COOKIE_SACK;
	if (ts)
		low |= TS_COOKIE_TS;
	return low;
}

static inline __attribute__((always_inline)) __u16 ts_cookie_mss(int family, __u32 cookie)
{
	__u32 i = (cookie >> TS_COOKIE_MSS_SHIFT) & 3;

	return family == 6 ? ts_cookie_mss6[i] : ts_cookie_mss4[i];
}

static inline __attribute__((always_inline)) __u32 ts_cookie_time(__u64 now_ns)
{
	return (__u32)(now_ns >> TS_COOKIE_TIME_SHIFT);
}

/* 1 if cookie (the ACK's ack - 1) is ours for this tuple and client ISN
 * (the ACK's seq - 1) at time counter t or t - 1 */
static inline __attribute__((always_inline)) int
ts_cookie_check(const __u64 *key, const __u32 *saddr, const __u32 *daddr, __u16 sport,
		__u16 dport, __u32 isn, __u32 t, __u32 cookie)
{
	__u32 low = cookie & 0xff;

	if (ts_cookie_mac(key, saddr, daddr, sport, dport, isn, t, low) == (cookie & ~0xffu))
		return 1;
	return ts_cookie_mac(key, saddr, daddr, sport, dport, isn, t - 1, low) ==
	       (cookie & ~0xffu);
}

#endif /* TCPSENTRY_COOKIE_MAC_H */
