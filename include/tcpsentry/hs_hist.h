/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the datapath keeps for the metrics that counters alone cannot give:
 * the handshake-time histogram. Shared by BPF (bpf/track.h, hs_observe) and userspace
 * (user/metrics.c renders it as tcpsentry_handshake_seconds). Same rules as
 * abi.h: fixed-width types, no libc, no BPF helpers.
 */
#ifndef TCPSENTRY_HS_HIST_H
#define TCPSENTRY_HS_HIST_H

#include <linux/types.h>

/*
 * Log2 buckets of ts_flow.handshake_us. Bucket i holds the handshakes whose
 * time in whole microseconds has bit length i: bucket 0 is 0 us, bucket 1
 * is 1 us, bucket 2 is 2-3 us, bucket i is [2^(i-1), 2^i) us. So every
 * handshake of bucket i took less than 2^i us: the Prometheus "le" bound of
 * bucket i is 2^i microseconds. 33 buckets cover every __u32.
 */
#define TS_HS_BUCKETS 33

/* the `hs_hist` per-CPU array, key 0 */
struct ts_hs_hist {
	__u64 bucket[TS_HS_BUCKETS];
	__u64 sum_us;   /* sum of the handshake times counted, microseconds */
};
_Static_assert(sizeof(struct ts_hs_hist) == 34 * 8, "ts_hs_hist size");

/* the bit length of us: 0 for 0, 1 for 1, 2 for 2-3, ..., 32 */
static inline __attribute__((always_inline)) __u32 ts_hs_bucket(__u32 us)
{
	__u32 b = 0;

	if (us >= 1u << 16) {
		b += 16;
		us >>= 16;
	}
	if (us >= 1u << 8) {
		b += 8;
		us >>= 8;
	}
	if (us >= 1u << 4) {
		b += 4;
		us >>= 4;
	}
	if (us >= 1u << 2) {
		b += 2;
		us >>= 2;
	}
	if (us >= 1u << 1) {
		b += 1;
		us >>= 1;
	}
	return b + us; /* us is 0 or 1 here */
}

#endif /* TCPSENTRY_HS_HIST_H */
