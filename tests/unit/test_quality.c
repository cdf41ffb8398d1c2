// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of flow quality's arithmetic (include/tcpsentry/quality.h):
 * the classification of a segment's sequence range against what its
 * sender sent before, the late-or-resent rule, the RFC 6298 estimator, and
 * the closing of a sample by ACK, its timing by timestamp echo, sequence wrap
 * included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <tcpsentry/quality.h>

/* a sender whose highest sequence is END, its peer having ACKed ACK */
#define END 10000u
#define ACK 8000u

static void test_classify(void **state)
{
	static const struct {
		__u32 end, known, peer_ack, seq, len, probe_ok;
		unsigned want;
		const char *what;
	} t[] = {
		{ END, 1, ACK, END, 0, 1, TS_Q_NONE, "a pure ACK" },
		{ END, 1, ACK, END, 1000, 1, TS_Q_NEW, "the next segment" },
		{ END, 1, ACK, END + 1000, 1000, 1, TS_Q_GAP, "a segment past a hole" },
		{ END, 1, ACK, END - 1000, 1000, 1, TS_Q_BELOW, "the last segment again" },
		{ END, 1, ACK, 9000, 500, 1, TS_Q_BELOW, "part of an unacked one" },
		{ END, 1, ACK, 7000, 1000, 1, TS_Q_ACKED, "an acknowledged one again" },
		{ END, 1, ACK, END - 500, 1000, 1, TS_Q_NEW, "old bytes with new ones" },
		{ END, 1, END, END - 1, 0, 1, TS_Q_PROBE, "Linux keep-alive: seq snd_una - 1, no data" },
		{ END, 1, END, END - 1, 1, 1, TS_Q_PROBE, "BSD keep-alive: one old byte" },
		{ END, 1, END, END - 1, 1, 0, TS_Q_ACKED, "a FIN one below: no probe" },
		{ END, 1, ACK, END - 1, 0, 1, TS_Q_NONE, "seq one below, peer behind: no probe" },
		{ END, 0, 0, 123, 1000, 1, TS_Q_NEW, "no history: new" },
		{ END, 1, 0, END - 1000, 1000, 1, TS_Q_BELOW, "peer acked nothing yet" },
		/* across the 2^32 wrap */
		{ 0x100u, 1, 0xfffff000u, 0xfffffd00u, 0x400, 1, TS_Q_BELOW, "below, wrapped" },
		{ 0x100u, 1, 0xfffff000u, 0x100u, 0x400, 1, TS_Q_NEW, "new, wrapped" },
		{ 0x100u, 1, 0xfffff000u, 0xfffff000u - 0x400, 0x400, 1, TS_Q_ACKED, "acked, wrapped" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned got = ts_q_classify(t[i].end, (int)t[i].known, t[i].peer_ack, t[i].seq,
					     t[i].len, (int)t[i].probe_ok);

		if (got != t[i].want)
			fail_msg("%s: class %u, want %u", t[i].what, got, t[i].want);
	}
}

static void test_late(void **state)
{
	(void)state;
	assert_true(ts_q_late(2));   /* right behind the hole's opener */
	assert_false(ts_q_late(3));  /* one more came between: sent again */
	assert_false(ts_q_late(TS_Q_LATE_MAX + 1));
	assert_false(ts_q_late(0));  /* no hole seen: sent again */
}

static void test_srtt(void **state)
{
	struct ts_quality q;

	(void)state;
	memset(&q, 0, sizeof(q));
	ts_q_rtt_sample(&q, 800);
	assert_int_equal(q.rtt_us, 800);
	assert_int_equal(q.min_rtt_us, 800);
	assert_int_equal(q.srtt_us8, 800 * 8);      /* RFC 6298 2.2: SRTT <- R */
	ts_q_rtt_sample(&q, 1600);
	assert_int_equal(q.rtt_us, 1600);
	assert_int_equal(q.min_rtt_us, 800);
	assert_int_equal(q.srtt_us8 / 8, 900);      /* 7/8 * 800 + 1/8 * 1600 */
	ts_q_rtt_sample(&q, 400);
	assert_int_equal(q.min_rtt_us, 400);
	assert_int_equal(q.srtt_us8, 7200 - 900 + 400); /* 7/8 of 900 us, x8, + 400 */
	ts_q_rtt_sample(&q, 0);
	assert_int_equal(q.rtt_us, 1);              /* 0 means none: nudged */
	memset(&q, 0, sizeof(q));
	ts_q_rtt_sample(&q, 0xffffffffu);           /* clamped: the x8 sum cannot wrap */
	assert_int_equal(q.srtt_us8, TS_Q_RTT_MAX_US * 8u);
	ts_q_rtt_sample(&q, 0xffffffffu);
	assert_int_equal(q.srtt_us8, TS_Q_RTT_MAX_US * 8u);
}

static void test_closes(void **state)
{
	struct ts_quality q;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_false(ts_q_closes(&q, 1, 5000));     /* nothing outstanding */
	q.rtt_sent_us = 7;
	q.rtt_key = 5000;
	assert_false(ts_q_closes(&q, 1, 4999));     /* short of the timed segment */
	assert_true(ts_q_closes(&q, 1, 5000));
	assert_true(ts_q_closes(&q, 1, 9000));
	assert_false(ts_q_closes(&q, 0, 9000));     /* no ACK flag */
	q.rtt_key = 0xfffffff0u;
	assert_true(ts_q_closes(&q, 1, 0x10));      /* across the wrap */
}

/* a range sent again, timed by the echo as the kernel's tcp_rtt_tsopt_us
 * does: the echoed TSval's age on the sender's clock, whole ms, 0 as 1 */
static void test_echo(void **state)
{
	__u32 off = 0x80000000u; /* the sender's TS clock: this host's ms + off */

	(void)state;
	/* echoes a TSval sent at 1000 ms: 220 ms old at 1220 */
	assert_int_equal(ts_q_echo_us(1220, off, 1, 1000 + off), 220000);
	assert_int_equal(ts_q_echo_us(1000, off, 1, 1000 + off), 1000); /* same ms */
	assert_int_equal(ts_q_echo_us(1220, off, 0, 1000 + off), 0);     /* no timestamps */
	assert_int_equal(ts_q_echo_us(1220, 0, 1, 0), 0);                 /* TSecr 0 */
	assert_int_equal(ts_q_echo_us(999, off, 1, 1000 + off), 0);       /* from the future */
	assert_int_equal(ts_q_echo_us(5, 0xfffffff0u, 1, 0xfffffff0u), 5000); /* wrapped */
}

static void test_clock(void **state)
{
	(void)state;
	assert_int_equal(ts_q_stamp(0), 1);
	assert_int_equal(ts_q_stamp(5), 5);
	assert_int_equal(ts_q_elapsed(10, 0xfffffff0u), 26); /* the low 32 bits wrapped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify), cmocka_unit_test(test_late),
		cmocka_unit_test(test_srtt),     cmocka_unit_test(test_closes), cmocka_unit_test(test_echo),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
