// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the map walks and per-CPU sums (user/lib/mapwalk.c) on real
 * kernel maps made for the test: a hash map walked in batches (more
 * entries than one batch holds), an LPM trie walked over its key list,
 * entries deleted during the walk, a callback stopping it, counts, and the
 * sum over CPUs of a per-CPU array whose values are not a multiple of 8
 * bytes. Making a map needs CAP_BPF: without it every test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapwalk.h"

#define ENTRIES (TS_WALK_BATCH * 2 + 123) /* three batches, the last one short */

struct key {
	__u32 id;
	__u32 pad;
	__u64 salt;
};

struct val {
	__u64 v;
	__u32 seen;
	__u32 pad;
};

static int make_map(enum bpf_map_type type, __u32 ksize, __u32 vsize, __u32 max, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, "ts_walk_test", ksize, vsize, max, &o);

	if (fd < 0 && (errno == EPERM || errno == EACCES))
		skip(); /* no CAP_BPF: nothing to test here */
	assert_true(fd >= 0);
	return fd;
}

static int fill_hash(int n)
{
	int fd = make_map(BPF_MAP_TYPE_HASH, sizeof(struct key), sizeof(struct val), ENTRIES, 0);
	int i;

	for (i = 0; i < n; i++) {
		struct key k = { .id = (__u32)i, .salt = 0x5a5a5a5a00000000ull | (__u32)i };
		struct val v = { .v = (__u64)i * 3 };

		assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	}
	return fd;
}

struct visit {
	unsigned char *seen;   /* by id: how often visited */
	__u64 sum;
	int delete_even;
	int stop_at;           /* return -1234 on this many visits; 0: never */
	int n;
};

static int on_entry(int fd, const void *key, void *val, void *ctx)
{
	const struct key *k = key;
	const struct val *v = val;
	struct visit *w = ctx;

	assert_int_equal(k->salt, 0x5a5a5a5a00000000ull | k->id);
	assert_int_equal(v->v, (__u64)k->id * 3);
	w->seen[k->id]++;
	w->sum += v->v;
	w->n++;
	if (w->delete_even && k->id % 2 == 0)
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	return w->stop_at && w->n == w->stop_at ? -1234 : 0;
}

static void check_each_once(const struct visit *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (w->seen[i] != 1)
			fail_msg("entry %d visited %u times", i, w->seen[i]);
}

static void test_hash_batches(void **state)
{
	unsigned char seen[ENTRIES] = {};
	struct visit w = { .seen = seen };
	int fd = fill_hash(ENTRIES);

	(void)state;
	assert_int_equal(ts_map_count(fd), ENTRIES);
	assert_int_equal(ts_map_each(fd, on_entry, &w), 0);
	assert_int_equal(w.n, ENTRIES);
	assert_int_equal(w.sum, 3ull * ENTRIES * (ENTRIES - 1) / 2);
	check_each_once(&w, ENTRIES);
	close(fd);
}

/* the sweeper's case: deleting what it was just given never disturbs the
 * walk: every entry seen once, the odd ones left */
static void test_hash_delete_while_walking(void **state)
{
	unsigned char seen[ENTRIES] = {};
	struct visit w = { .seen = seen, .delete_even = 1 };
	int fd = fill_hash(ENTRIES);

	(void)state;
	assert_int_equal(ts_map_each(fd, on_entry, &w), 0);
	check_each_once(&w, ENTRIES);
	assert_int_equal(ts_map_count(fd), ENTRIES / 2);
	close(fd);
}

static void test_stop_and_absent(void **state)
{
	unsigned char seen[ENTRIES] = {};
	struct visit w = { .seen = seen, .stop_at = 10 };
	int fd = fill_hash(100);

	(void)state;
	assert_int_equal(ts_map_each(fd, on_entry, &w), -1234);
	assert_int_equal(w.n, 10);
	close(fd);
	/* a map not pinned: nothing to visit, no entries */
	w.n = 0;
	assert_int_equal(ts_map_each(-1, on_entry, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(ts_map_count(-1), 0);
	fd = fill_hash(0);
	assert_int_equal(ts_map_count(fd), 0);
	assert_int_equal(ts_map_each(fd, on_entry, &w), 0);
	assert_int_equal(w.n, 0);
	close(fd);
}

struct lpm {
	__u32 prefixlen;
	__u8 addr[4];
};

static int lpm_entry(int fd, const void *key, void *val, void *ctx)
{
	const struct lpm *k = key;
	int *seen = ctx;

	assert_int_equal(*(const __u64 *)val, k->addr[2]);
	seen[k->addr[2]]++;
	if (k->addr[2] % 3 == 0)
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	return 0;
}

/* an LPM trie has no batch lookups: the walk goes over its keys, taken
 * first, so deleting keeps it from starting over */
static void test_trie_key_walk(void **state)
{
	int fd = make_map(BPF_MAP_TYPE_LPM_TRIE, sizeof(struct lpm), 8, 256, BPF_F_NO_PREALLOC);
	int seen[256] = {}, i, left = 0;

	(void)state;
	for (i = 0; i < 200; i++) {
		struct lpm k = { .prefixlen = 24, .addr = { 198, 18, (__u8)i, 0 } };
		__u64 v = (__u64)i;

		assert_int_equal(bpf_map_update_elem(fd, &k, &v, 0), 0);
	}
	assert_int_equal(ts_map_count(fd), 200);
	assert_int_equal(ts_map_each(fd, lpm_entry, seen), 0);
	for (i = 0; i < 200; i++) {
		if (seen[i] != 1)
			fail_msg("prefix %d visited %d times", i, seen[i]);
		left += i % 3 != 0;
	}
	assert_int_equal(ts_map_count(fd), left);
	close(fd);
}

/* values of 28 bytes: the kernel lays each CPU's out in 32 */
struct odd {
	__u64 c[3];
	__u32 tail;
};

static void test_percpu_sum(void **state)
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	size_t stride = (sizeof(struct odd) + 7) & ~(size_t)7;
	char *per = calloc((size_t)ncpu, stride);
	__u64 sum[3] = { 1, 1, 1 }, want[3] = {};
	__u32 zero = 0;

	(void)state;
	assert_true(ncpu > 0);
	assert_non_null(per);
	fd = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct odd), 1, 0);
	for (c = 0; c < ncpu; c++) {
		struct odd *o = (struct odd *)(per + (size_t)c * stride);

		o->c[0] = (__u64)c + 1;
		o->c[1] = 1000;
		o->c[2] = 1ull << 40;
		o->tail = 0xffffffff;
		want[0] += (__u64)c + 1;
		want[1] += 1000;
		want[2] += 1ull << 40;
	}
	assert_int_equal(bpf_map_update_elem(fd, &zero, per, 0), 0);
	assert_int_equal(ts_percpu_sum(fd, sizeof(struct odd), 0, 3, sum), 0);
	assert_memory_equal(sum, want, sizeof(want));
	/* from an offset: the last two counters only */
	assert_int_equal(ts_percpu_sum(fd, sizeof(struct odd), offsetof(struct odd, c[1]), 2, sum),
			 0);
	assert_int_equal(sum[0], want[1]);
	assert_int_equal(sum[1], want[2]);
	/* no map: -1, and zeros */
	sum[0] = sum[1] = 7;
	assert_int_equal(ts_percpu_sum(-1, sizeof(struct odd), 0, 2, sum), -1);
	assert_int_equal(sum[0], 0);
	assert_int_equal(sum[1], 0);
	close(fd);
	free(per);
}

static int no_record(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/* one ring_buffer reads the events of every attachment */
static void test_ringbuf_add(void **state)
{
	struct ring_buffer *rb = NULL;
	int a = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	int b = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);

	(void)state;
	assert_int_equal(ts_ringbuf_add(&rb, -1, no_record, NULL), -ENOENT);
	assert_null(rb);
	assert_int_equal(ts_ringbuf_add(&rb, a, no_record, NULL), 0);
	assert_non_null(rb);
	assert_int_equal(ts_ringbuf_add(&rb, b, no_record, NULL), 0);
	assert_int_equal(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
	close(a);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_batches),
		cmocka_unit_test(test_hash_delete_while_walking),
		cmocka_unit_test(test_stop_and_absent),
		cmocka_unit_test(test_trie_key_walk),
		cmocka_unit_test(test_percpu_sum),
		cmocka_unit_test(test_ringbuf_add),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
