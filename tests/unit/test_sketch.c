// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the flood and scan sketches (include/tcpsentry/sketch.h)
 * with synthetic timestamps: the window, transition by transition, the
 * flood decision, the HyperLogLog estimate and the scan bitmap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <tcpsentry/sketch.h>

#define MS 1000000ull

static void test_window_epochs(void **st)
{
	struct ts_synwin w = {};
	__u64 e;
	(void)st;

	e = ts_epoch(10000 * MS); /* epoch 20 */
	assert_int_equal(e, 20);
	ts_win_advance(&w, e);
	w.syn[e & 1] += 7;
	w.done[e & 1] += 1;
	assert_int_equal(ts_win_syn(&w, 20), 7);
	assert_int_equal(ts_win_done(&w, 20), 1);
	/* same epoch: nothing cleared */
	ts_win_advance(&w, ts_epoch(10499 * MS));
	assert_int_equal(ts_win_syn(&w, 20), 7);
	/* next epoch: the old bucket is still readable, the new one is empty */
	ts_win_advance(&w, 21);
	assert_int_equal(ts_win_syn(&w, 20), 7);
	assert_int_equal(ts_win_syn(&w, 21), 0);
	w.syn[21 & 1] += 3;
	/* two epochs on: epoch 20 is gone, 21 remains */
	ts_win_advance(&w, 22);
	assert_int_equal(ts_win_syn(&w, 20), 0);
	assert_int_equal(ts_win_syn(&w, 21), 3);
	assert_int_equal(ts_win_syn(&w, 22), 0);
	/* a gap: everything cleared */
	ts_win_advance(&w, 30);
	assert_int_equal(ts_win_syn(&w, 29), 0);
	assert_int_equal(ts_win_syn(&w, 30), 0);
	/* a window that has not reached an epoch reports nothing for it */
	assert_int_equal(ts_win_syn(&w, 31), 0);
}

static void test_flood_decide(void **st)
{
	__u32 rate, pct;
	(void)st;

	/* spoofed flood: 5,000 SYN/s (2,500 per 500 ms), nothing completes */
	assert_int_equal(ts_flood_decide(0, 2500, 0, 5000, 10, &rate, &pct), TS_FLOOD_START);
	assert_int_equal(rate, 5000);
	assert_int_equal(pct, 0);
	/* just under the rate */
	assert_int_equal(ts_flood_decide(0, 2499, 0, 5000, 10, &rate, &pct), 0);
	/* 9% complete: still a flood; 10%: not */
	assert_int_equal(ts_flood_decide(0, 3000, 270, 5000, 10, &rate, &pct), TS_FLOOD_START);
	assert_int_equal(ts_flood_decide(0, 3000, 300, 5000, 10, &rate, &pct), 0);
	/* 1,000 real connections in one epoch, all complete: never */
	assert_int_equal(ts_flood_decide(0, 1000, 1000, 5000, 10, &rate, &pct), 0);
	/* a burst of 10,000 real connections that complete: not a flood */
	assert_int_equal(ts_flood_decide(0, 10000, 9990, 5000, 10, &rate, &pct), 0);
	/* active: stays on above half the rate, ends below it */
	assert_int_equal(ts_flood_decide(1, 1250, 0, 5000, 10, &rate, &pct), 0);
	assert_int_equal(ts_flood_decide(1, 1249, 0, 5000, 10, &rate, &pct), TS_FLOOD_END);
	assert_int_equal(ts_flood_decide(1, 0, 0, 5000, 10, &rate, &pct), TS_FLOOD_END);
	assert_int_equal(pct, 100);
	/* active: handshakes complete again -> ends */
	assert_int_equal(ts_flood_decide(1, 5000, 4000, 5000, 10, &rate, &pct), TS_FLOOD_END);
	/* completions beyond SYNs are capped */
	assert_int_equal(ts_flood_decide(0, 10, 50, 5000, 10, &rate, &pct), 0);
	assert_int_equal(pct, 100);
}

/* The whole detector over synthetic time, one CPU: onset within 1 s, one
 * start, one end. */
static void test_flood_timeline(void **st)
{
	struct ts_synwin w = {};
	__u64 t, last_eval = 0, e;
	int active = 0, starts = 0, ends = 0;
	__u64 start_t = 0, onset = 2000 * MS, stop = 6000 * MS;
	(void)st;

	/* 10,000 SYN/s from t=2s to t=6s: one every 100 us */
	for (t = 1000 * MS; t < 9000 * MS; t += t < onset || t >= stop ? 10 * MS : 100000) {
		__u32 rate, pct;
		int d;

		e = ts_epoch(t);
		if (e != last_eval) {
			/* the rollover path: decide on the finished epoch */
			d = ts_flood_decide(active, ts_win_syn(&w, e - 1), ts_win_done(&w, e - 1),
					    5000, 10, &rate, &pct);
			if (d == TS_FLOOD_START) {
				active = 1;
				starts++;
				start_t = t;
			} else if (d == TS_FLOOD_END) {
				active = 0;
				ends++;
			}
			last_eval = e;
		}
		ts_win_advance(&w, e);
		w.syn[e & 1]++;
	}
	assert_int_equal(starts, 1);
	assert_int_equal(ends, 1);
	assert_true(start_t >= onset && start_t - onset <= 1000 * MS);
}

/* heavy keeper: a steady source keeps its slot through a stream of
 * one-off sources, a new source takes a slot only once the count is worn */
static void test_top_keeper(void **st)
{
	struct ts_top_src s = { 0 };
	__u32 heavy[4] = { 0, 0, 0xffff0000u, 0x010012c6u }, other[4] = { 0, 0, 0xffff0000u, 0 };
	int i;

	(void)st;
	ts_top_note(&s, heavy);
	assert_memory_equal(s.addr, heavy, 16);
	assert_int_equal(s.count, 1);
	for (i = 0; i < 1000; i++) {
		ts_top_note(&s, heavy);      /* half the SYNs from the heavy source ... */
		other[3] = (__u32)i + 7;
		ts_top_note(&s, other);      /* ... half from a new spoofed source each */
	}
	assert_memory_equal(s.addr, heavy, 16);
	assert_int_equal(s.count, 1);    /* each spoofed SYN wore one down */
	for (i = 0; i < 10; i++)
		ts_top_note(&s, heavy);
	assert_int_equal(s.count, 11);
	/* a newcomer needs the count worn to one before it takes the slot */
	other[3] = 99;
	for (i = 0; i < 10; i++)
		ts_top_note(&s, other);
	assert_memory_equal(s.addr, heavy, 16);
	assert_int_equal(s.count, 1);
	ts_top_note(&s, other);
	assert_memory_equal(s.addr, other, 16);
	assert_int_equal(s.count, 1);
}

static void test_hll(void **st)
{
	__u8 reg[TS_HLL_REGS];
	__u32 i, n, est;
	(void)st;

	memset(reg, 0, sizeof(reg));
	assert_int_equal(ts_hll_estimate(reg), 0);
	assert_int_equal(ts_hll_rank(1u << TS_HLL_BITS), 1);
	assert_int_equal(ts_hll_rank(2u << TS_HLL_BITS), 2);
	assert_int_equal(ts_hll_rank(0), 27);
	for (n = 1; n <= 100000; n *= 10) {
		memset(reg, 0, sizeof(reg));
		for (i = 0; i < n; i++) {
			__u32 a[4] = { 0, 0, 0xffff0000u, 0xc6128000u + i };
			__u32 h = ts_addr_hash(a);
			__u8 r = ts_hll_rank(h);

			if (r > reg[ts_hll_idx(h)])
				reg[ts_hll_idx(h)] = r;
		}
		est = ts_hll_estimate(reg);
		/* within 35% (64 registers: ~13% standard error) */
		assert_true(est * 100 >= n * 65 && est * 100 <= n * 135);
	}
	/* one source repeated is one */
	memset(reg, 0, sizeof(reg));
	for (i = 0; i < 1000; i++) {
		__u32 a[4] = { 0, 0, 0xffff0000u, 0x0a000001u };
		__u32 h = ts_addr_hash(a);

		if (ts_hll_rank(h) > reg[ts_hll_idx(h)])
			reg[ts_hll_idx(h)] = ts_hll_rank(h);
	}
	assert_int_equal(ts_hll_estimate(reg), 1);
}

static void test_scan(void **st)
{
	struct ts_scan s = {};
	__u32 p, hits = 0, first = 0, r;
	(void)st;

	/* one source, 50 ports within the window: flagged once */
	for (p = 0; p < 50; p++) {
		r = ts_scan_note(&s, 111, (__u16)(1000 + p), 1000 * MS + p * MS, 20);
		if (r) {
			hits++;
			first = r;
		}
	}
	assert_int_equal(hits, 1);
	assert_int_equal(first, 21);
	/* a normal client: one port, many connections: never */
	memset(&s, 0, sizeof(s));
	for (p = 0; p < 500; p++)
		assert_int_equal(ts_scan_note(&s, 222, 443, 1000 * MS + p * MS, 20), 0);
	/* a second source in a fresh slot is ignored until the window ends */
	assert_int_equal(ts_scan_note(&s, 333, 1, 2000 * MS, 20), 0);
	assert_int_equal(s.src, 222);
	/* after the window: the slot is taken over */
	ts_scan_note(&s, 333, 1, 7000 * MS, 20);
	assert_int_equal(s.src, 333);
	/* a client whose connections complete is not a scanner, however many
	 * ports (FTP data connections) */
	memset(&s, 0, sizeof(s));
	for (p = 0; p < 100; p++) {
		assert_int_equal(ts_scan_note(&s, 555, (__u16)(30000 + p), 1000 * MS + p * MS, 20), 0);
		ts_scan_done(&s, 555, (__u16)(30000 + p));
	}
	/* another source's completion leaves the slot alone */
	memset(&s, 0, sizeof(s));
	for (p = 0; p < 20; p++)
		ts_scan_note(&s, 666, (__u16)p, 1000 * MS, 20);
	ts_scan_done(&s, 777, 0);
	assert_int_equal(ts_scan_note(&s, 666, 20, 1000 * MS, 20), 21);
	/* 20 ports over two windows: never above 20 in one */
	memset(&s, 0, sizeof(s));
	for (p = 0; p < 40; p++)
		assert_int_equal(ts_scan_note(&s, 444, (__u16)p, p * 300 * MS + 1, 20), 0);
}

/* a ban's proof: probes of two ports answered in the window; one port's,
 * however often, is what an innocent really connecting there sends */
static void test_scan_proof(void **st)
{
	struct ts_scan s = {};
	__u32 p;
	(void)st;

	for (p = 0; p < 25; p++)
		ts_scan_note(&s, 111, (__u16)(1000 + p), 1000 * MS, 20);
	assert_int_equal(ts_scan_proof(&s, 111, 1022, 1100 * MS), 0);
	assert_int_equal(ts_scan_proof(&s, 111, 1022, 1200 * MS), 0);
	assert_int_equal(s.proofs, 1);
	/* another source's proof, in its slot: nothing */
	assert_int_equal(ts_scan_proof(&s, 999, 1023, 1300 * MS), 0);
	assert_int_equal(ts_scan_proof(&s, 111, 1023, 1400 * MS), 1);
	assert_int_equal(ts_scan_proof(&s, 111, 1024, 1500 * MS), 1);
	/* a new window forgets the proofs */
	ts_scan_note(&s, 111, 1, 7000 * MS, 20);
	assert_int_equal(s.proofs, 0);
	assert_int_equal(ts_scan_proof(&s, 111, 1022, 7100 * MS), 0);
	/* after the window, no proof counts */
	assert_int_equal(ts_scan_proof(&s, 111, 1023, 13000 * MS), 0);
	assert_int_equal(s.proofs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_epochs),
		cmocka_unit_test(test_flood_decide),
		cmocka_unit_test(test_flood_timeline),
		cmocka_unit_test(test_hll),
		cmocka_unit_test(test_top_keeper),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_proof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
