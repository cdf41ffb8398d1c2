// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Map walks and per-CPU sums: see mapwalk.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "mapwalk.h"

/*
 * The map in chunks: deleting an entry already returned does not disturb
 * the walk (the cursor is a hash bucket). -EOPNOTSUPP when the first call
 * fails (no batch ops for this map type, or a bucket larger than a chunk):
 * the caller walks the keys instead.
 */
static int each_batch(int fd, const struct bpf_map_info *mi, ts_map_fn fn, void *ctx)
{
	/* the cursor: 4 bytes for hash maps, a key for the others */
	size_t csize = mi->key_size > 8 ? mi->key_size : 8;
	char *keys = malloc((size_t)mi->key_size * TS_WALK_BATCH);
	char *vals = malloc((size_t)mi->value_size * TS_WALK_BATCH);
	char *cursor = calloc(1, csize);
	__u32 i, n;
	int first = 1, done = 0, r, e = 0;

	if (!keys || !vals || !cursor) {
		e = -ENOMEM;
		goto out;
	}
	while (!done && !e) {
		n = TS_WALK_BATCH;
		r = bpf_map_lookup_batch(fd, first ? NULL : cursor, cursor, keys, vals, &n, NULL);
		if (r && errno != ENOENT) {
			if (first)
				e = -EOPNOTSUPP;
			break;
		}
		done = r != 0;
		first = 0;
		for (i = 0; i < n && !e; i++)
			e = fn(fd, keys + (size_t)i * mi->key_size, vals + (size_t)i * mi->value_size,
			       ctx);
	}
out:
	free(keys);
	free(vals);
	free(cursor);
	return e;
}

/* the keys first, then each entry: fn may delete without the walk
 * starting over (get_next_key from a deleted key restarts a hash map) */
static int each_key(int fd, const struct bpf_map_info *mi, ts_map_fn fn, void *ctx)
{
	size_t ks = mi->key_size, n = 0, cap = 0, i;
	char *keys = NULL, *prev = NULL, *val = malloc(mi->value_size);
	int e = 0;

	if (!val)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *nk;

			cap = cap ? cap * 2 : 256;
			nk = realloc(keys, cap * ks);
			if (!nk) {
				e = -ENOMEM;
				goto out;
			}
			keys = nk;
		}
		prev = n ? keys + (n - 1) * ks : NULL;
		if (bpf_map_get_next_key(fd, prev, keys + n * ks))
			break;
		n++;
	}
	for (i = 0; i < n && !e; i++) {
		if (bpf_map_lookup_elem(fd, keys + i * ks, val))
			continue; /* gone meanwhile */
		e = fn(fd, keys + i * ks, val, ctx);
	}
out:
	free(keys);
	free(val);
	return e;
}

int ts_map_each(int fd, ts_map_fn fn, void *ctx)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int e;

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	e = each_batch(fd, &mi, fn, ctx);
	return e == -EOPNOTSUPP ? each_key(fd, &mi, fn, ctx) : e;
}

long ts_map_count(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	char *k;
	long n = 0;
	int cur = 0;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len))
		return 0;
	/* two key slots, used in turn: the one just read is the next prev */
	k = malloc(2 * (size_t)mi.key_size);
	if (!k)
		return 0;
	while (bpf_map_get_next_key(fd, n ? k + cur * mi.key_size : NULL,
				    k + (cur ^ 1) * mi.key_size) == 0) {
		cur ^= 1;
		n++;
	}
	free(k);
	return n;
}

int ts_percpu_sum(int fd, size_t vsize, size_t off, int n, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c, i;
	__u32 zero = 0;
	char *per;

	memset(sum, 0, sizeof(*sum) * (size_t)n);
	if (fd < 0 || ncpu <= 0)
		return -1;
	/* the kernel rounds each CPU's value up to 8 bytes */
	vsize = (vsize + 7) & ~(size_t)7;
	per = calloc((size_t)ncpu, vsize);
	if (!per)
		return -1;
	if (bpf_map_lookup_elem(fd, &zero, per)) {
		free(per);
		return -1;
	}
	for (c = 0; c < ncpu; c++) {
		const __u64 *v = (const __u64 *)(per + (size_t)c * vsize + off);

		for (i = 0; i < n; i++)
			sum[i] += v[i];
	}
	free(per);
	return 0;
}

int ts_ringbuf_add(struct ring_buffer **rb, int fd, ts_ringbuf_fn fn, void *ctx)
{
	if (fd < 0)
		return -ENOENT;
	if (*rb)
		return ring_buffer__add(*rb, fd, fn, ctx) ? -errno : 0;
	*rb = ring_buffer__new(fd, fn, ctx, NULL);
	return *rb ? 0 : -errno;
}

int ts_ringbuf_follow(struct ring_buffer *rb, int follow, const volatile int *stop,
		      const __u64 *seen, __u64 count, __u64 timeout_s)
{
	__u64 start = ts_now_ns();
	int r;

	if (!follow) {
		r = ring_buffer__consume(rb);
		return r < 0 && r != -ECANCELED ? r : 0;
	}
	while (!*stop) {
		r = ring_buffer__poll(rb, 100);
		/* -ECANCELED: a callback stopped the poll (past --count) */
		if (r < 0 && r != -EINTR && r != -ECANCELED)
			return r;
		if (count && *seen >= count)
			break;
		if (timeout_s && ts_now_ns() - start >= timeout_s * 1000000000ull)
			break;
	}
	return 0;
}

static volatile int follow_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

const volatile int *ts_follow_stop_on_signals(void)
{
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	return &follow_stop;
}
