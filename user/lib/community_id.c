// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Community ID, version 1: see community_id.h. SHA-1 and base64 are
 * nettle's (README, "Dependencies"). */
#include <string.h>
#include <netinet/in.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include "community_id.h"
#include "format.h"

char *ts_community_id(char *out, size_t n, const __u8 a[16], __u16 pa_be, const __u8 b[16],
		      __u16 pb_be, __u16 seed)
{
	/* seed, the two addresses and ports (the lower endpoint first), the
	 * protocol and a zero byte of padding: all in network order */
	const int v4 = ts_addr_family(a) == 4 && ts_addr_family(b) == 4;
	const size_t alen = v4 ? 4 : 16, off = v4 ? 12 : 0;
	const __u8 *lo = a, *hi = b;
	__u16 plo = pa_be, phi = pb_be, seed_be = htons(seed);
	__u8 digest[SHA1_DIGEST_SIZE];
	char b64[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1];
	const __u8 proto_pad[2] = { IPPROTO_TCP, 0 };
	struct sha1_ctx ctx;
	int c = memcmp(a + off, b + off, alen);

	if (c > 0 || (c == 0 && ntohs(pa_be) > ntohs(pb_be))) {
		lo = b, hi = a;
		plo = pb_be, phi = pa_be;
	}
	sha1_init(&ctx);
	sha1_update(&ctx, sizeof(seed_be), (const __u8 *)&seed_be);
	sha1_update(&ctx, alen, lo + off);
	sha1_update(&ctx, alen, hi + off);
	sha1_update(&ctx, sizeof(proto_pad), proto_pad);
	sha1_update(&ctx, sizeof(plo), (const __u8 *)&plo);
	sha1_update(&ctx, sizeof(phi), (const __u8 *)&phi);
	sha1_digest(&ctx, sizeof(digest), digest);
	base64_encode_raw(b64, sizeof(digest), digest);
	b64[sizeof(b64) - 1] = '\0';
	snprintf(out, n, "1:%s", b64);
	return out;
}
