/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Canonical flow keys, shared by the datapath and the tests that look
 * entries up: the (address, port) pair that compares lower goes first.
 * Addresses are compared as four network-order 32-bit words, which is a
 * total order; nothing outside this header needs to know which one.
 */
#ifndef TCPSENTRY_FLOWKEY_H
#define TCPSENTRY_FLOWKEY_H

#include "abi.h"

/* -1, 0, 1 as (a, pa) compares to (b, pb) */
static inline __attribute__((always_inline)) int
ts_ep_cmp(const __u32 *a, __u16 pa, const __u32 *b, __u16 pb)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return 0;
}

/*
 * Fill *k from a segment's source and destination (16-byte addresses, v4
 * mapped for IPv4; ports in network order). Returns the key index of the
 * sender: 0 when the source sorts first.
 */
static inline __attribute__((always_inline)) int
ts_key_make(struct ts_flow_key *k, const __u32 *saddr, __u16 sport_be,
	    const __u32 *daddr, __u16 dport_be)
{
	int s = ts_ep_cmp(saddr, sport_be, daddr, dport_be) > 0;
	const __u32 *lo = s ? daddr : saddr, *hi = s ? saddr : daddr;
	__u32 *a0 = (__u32 *)k->addr[0], *a1 = (__u32 *)k->addr[1];

	a0[0] = lo[0]; a0[1] = lo[1]; a0[2] = lo[2]; a0[3] = lo[3];
	a1[0] = hi[0]; a1[1] = hi[1]; a1[2] = hi[2]; a1[3] = hi[3];
	k->port[0] = s ? dport_be : sport_be;
	k->port[1] = s ? sport_be : dport_be;
	k->pad = 0;
	return s;
}

/* Which lock stripe guards a key: a cheap mix of its words. */
static inline __attribute__((always_inline)) __u32 ts_key_stripe(const struct ts_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5] ^ w[6] ^ w[7] ^ w[8];

	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return h & (TS_LOCK_STRIPES - 1);
}

#endif /* TCPSENTRY_FLOWKEY_H */
