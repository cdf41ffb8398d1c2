/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How userspace reads the pinned maps: walks over every entry, entry
 * counts, and sums over the CPUs of a per-CPU array. The one place that
 * knows batch lookups, key lists and the kernel's per-CPU value layout.
 */
#ifndef TCPSENTRY_MAPWALK_H
#define TCPSENTRY_MAPWALK_H

#include <stddef.h>
#include <linux/types.h>

/* entries read per syscall by a batch walk */
#define TS_WALK_BATCH 4096

/* one entry: key and value as the map holds them; nonzero stops the walk */
typedef int (*ts_map_fn)(int fd, const void *key, void *value, void *ctx);

/*
 * Call fn for every entry of map fd (not a per-CPU map); fn may delete the
 * entry it is given, or add entries (those may or may not be visited).
 * Maps with batch lookups (hash maps: 10^6 flows in well under a second)
 * are read TS_WALK_BATCH entries a syscall; the others one key at a time
 * over the list of keys taken first, so a delete never restarts the walk.
 * Returns 0, fn's first nonzero return, or -errno if the map cannot be
 * read. fd < 0 (a map not pinned): 0, nothing visited.
 */
int ts_map_each(int fd, ts_map_fn fn, void *ctx);

/* entries in a map now (a walk of its keys, no values read); 0 if it
 * cannot be read */
long ts_map_count(int fd);

/*
 * Sum n u64 counters at byte offset off of key 0 of a per-CPU array whose
 * values are vsize bytes (every counter map of the datapath). sum[] is
 * zeroed first. 0, or -1 (fd < 0, or the map cannot be read).
 */
int ts_percpu_sum(int fd, size_t vsize, size_t off, int n, __u64 *sum);

struct ring_buffer;
typedef int (*ts_ringbuf_fn)(void *ctx, void *data, size_t len);
/* Read ring buffer map fd into *rb too (created on the first call, NULL
 * before), fn(ctx, ...) for each record. 0, or -errno (*rb unchanged). */
int ts_ringbuf_add(struct ring_buffer **rb, int fd, ts_ringbuf_fn fn, void *ctx);
/* Read rb until *stop is set, *seen reaches count (0: no limit) or
 * timeout_s seconds passed (0: none); follow 0: only what is there now.
 * 0, or -errno if reading fails. */
int ts_ringbuf_follow(struct ring_buffer *rb, int follow, const volatile int *stop,
		      const __u64 *seen, __u64 count, __u64 timeout_s);
/* The stop flag of a command that follows rings until Ctrl-C: SIGINT and
 * SIGTERM set it (handlers installed by this call). */
const volatile int *ts_follow_stop_on_signals(void);

#endif /* TCPSENTRY_MAPWALK_H */
