/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The datapath's clock, read from userspace: CLOCK_MONOTONIC in ns, what
 * bpf_ktime_get_ns() returns and every *_ns field of the maps holds. */
#ifndef TCPSENTRY_CLOCK_H
#define TCPSENTRY_CLOCK_H

#include <time.h>
#include <linux/types.h>

static inline __u64 ts_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

#endif /* TCPSENTRY_CLOCK_H */
