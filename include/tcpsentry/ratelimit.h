/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SYN rate limits as GCRA (the generic cell rate algorithm): one 64-bit
 * "theoretical arrival time" per cell instead of a token count and a
 * timestamp, so a cell is one word, read and written without a lock.
 * Pure C, compiled into the BPF object and the unit tests.
 *
 * A cell conforms when its TAT is at most `tolerance` ns ahead of now;
 * accepting a SYN moves the TAT one interval (1 s / rate) on. A burst of B
 * lets B + 1 SYNs through at once, then one per interval.
 *
 * Per source, the cells form a count-min sketch of two rows hashed with a
 * per-attachment random seed: a SYN is over the limit only when both of its
 * cells are, so a source is throttled for another's SYNs only if it shares
 * both cells with heavy senders. (Under a spoofed flood from every address
 * at once every cell is busy: that is what syn.rate_per_port and SYN
 * cookies are for.) Two CPUs updating one cell at once can each let a SYN
 * through: the limit can be exceeded by the number of CPUs, never
 * undercut.
 */
#ifndef TCPSENTRY_RATELIMIT_H
#define TCPSENTRY_RATELIMIT_H

#include "abi.h"

#define TS_RL_INLINE static inline __attribute__((always_inline))

/* 1 if a SYN arriving at `now` conforms to a cell holding `tat` */
TS_RL_INLINE int ts_gcra_conforms(__u64 tat, __u64 now, __u64 tolerance)
{
	return tat <= now || tat - now <= tolerance;
}

/* the cell's TAT after accepting a SYN at `now` */
TS_RL_INLINE __u64 ts_gcra_next(__u64 tat, __u64 now, __u64 interval)
{
	return (tat > now ? tat : now) + interval;
}

TS_RL_INLINE __u64 ts_gcra_interval(__u32 rate)
{
	return rate ? 1000000000ull / rate : 0;
}

/* the two cells (indices into the TS_SRC_RL_ROWS * TS_SRC_RL_CELLS array)
 * of a source whose address hash is h */
TS_RL_INLINE __u32 ts_src_cell(__u32 h, __u32 seed, __u32 row)
{
	__u32 x = h ^ (seed * (row + 1));

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return row * TS_SRC_RL_CELLS + (x & (TS_SRC_RL_CELLS - 1));
}

#endif /* TCPSENTRY_RATELIMIT_H */
