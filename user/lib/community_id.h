/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Community ID of a flow (version 1, https://github.com/corelight/community-id-spec):
 * the hash Zeek, Suricata, Arkime, Wireshark and Elastic agree on, so a
 * record here joins theirs for the same connection. Pure.
 */
#ifndef TCPSENTRY_COMMUNITY_ID_H
#define TCPSENTRY_COMMUNITY_ID_H

#include <stddef.h>
#include <linux/types.h>

/* "1:" + base64 of a SHA-1 (28 characters) + NUL */
#define TS_COMMUNITY_ID_LEN 31

/*
 * The Community ID of a TCP flow between (a, pa) and (b, pb), in either
 * order: addresses 16 bytes, network order, v4-mapped for IPv4 (hashed as
 * 4 bytes, as the spec wants); ports in network order. seed: 0 unless the
 * operator's tools agree on another. Writes out (n >= TS_COMMUNITY_ID_LEN)
 * and returns it.
 */
char *ts_community_id(char *out, size_t n, const __u8 a[16], __u16 pa_be, const __u8 b[16],
		      __u16 pb_be, __u16 seed);

#endif /* TCPSENTRY_COMMUNITY_ID_H */
