// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the flow-quality rankings (user/lib/worst.c): connections
 * worst first by RTT, retransmissions and stall time, and the same summed
 * by the remote endpoint's /24 or /64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "worst.h"

/* a flow between local server 198.18.0.1:80 (key index 0, seen at
 * egress) and a remote client (key index 1) */
static void conn(struct ts_flow_key *k, struct ts_flow *f, const char *remote, __u16 port,
		 __u32 srtt, __u32 retrans, __u32 zw_ms)
{
	struct in_addr a;

	memset(k, 0, sizeof(*k));
	memset(f, 0, sizeof(*f));
	k->addr[0][10] = k->addr[0][11] = 0xff;
	k->addr[0][12] = 198, k->addr[0][13] = 18, k->addr[0][15] = 1;
	if (strchr(remote, ':')) {
		inet_pton(AF_INET6, remote, k->addr[1]);
	} else {
		inet_pton(AF_INET, remote, &a);
		k->addr[1][10] = k->addr[1][11] = 0xff;
		memcpy(&k->addr[1][12], &a, 4);
	}
	k->port[0] = htons(80);
	k->port[1] = htons(port);
	f->client = 1;
	f->flags = TS_F_LOCAL0;
	f->q[TS_SERVER].srtt_us8 = srtt * 8;  /* the local server's leg */
	f->q[TS_CLIENT].srtt_us8 = 5 * 8;     /* the host leg: never ranked */
	f->q[TS_CLIENT].retrans = retrans / 2;
	f->q[TS_SERVER].retrans = retrans - retrans / 2;
	f->q[TS_CLIENT].zw_ms = zw_ms;
}

static struct ts_ranking build(int by)
{
	static const struct {
		const char *remote;
		__u32 srtt, retrans, zw;
	} c[] = {
		{ "198.51.100.7", 900, 1, 0 },   { "198.51.100.9", 300, 30, 0 },
		{ "203.0.113.5", 200, 5, 2000 }, { "2001:db8:5:6::1", 5000, 0, 0 },
		{ "2001:db8:5:6::2", 100, 2, 10 },
	};
	struct ts_ranking r = { .by = by, .now_ns = 1000000000ull };
	struct ts_flow_key k;
	struct ts_flow f;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		conn(&k, &f, c[i].remote, (__u16)(40000 + i), c[i].srtt, c[i].retrans, c[i].zw);
		assert_int_equal(ts_ranking_add(&r, "veth0", &k, &f), 0);
	}
	ts_ranking_sort(&r);
	return r;
}

static void test_connections(void **state)
{
	struct ts_ranking r;

	(void)state;
	r = build(TS_RANK_RTT);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.v[0].score, 5000);
	assert_int_equal(r.v[1].score, 900);
	assert_int_equal(r.v[4].score, 100);
	ts_ranking_free(&r);
	r = build(TS_RANK_RETRANS);
	assert_int_equal(r.v[0].score, 30);
	assert_int_equal(r.v[4].score, 0);
	ts_ranking_free(&r);
	r = build(TS_RANK_STALL);
	assert_int_equal(r.v[0].score, 2000);
	assert_int_equal(r.v[1].score, 10);
	ts_ranking_free(&r);
}

static void test_stall_going_on(void **state)
{
	struct ts_flow_key k;
	struct ts_flow f;

	(void)state;
	conn(&k, &f, "198.51.100.7", 40000, 0, 0, 100);
	f.q[TS_SERVER].zw_since_ms = 700; /* a stall since 700 ms, now 1000 ms */
	assert_int_equal(ts_rank_score(&f, TS_RANK_STALL, 1000000000ull), 400);
	/* the RTT rank falls back to the latest sample without a smoothed one */
	f.q[TS_SERVER].rtt_us = 77;
	assert_int_equal(ts_rank_score(&f, TS_RANK_RTT, 0), 0 + 77);
}

static void test_prefixes(void **state)
{
	struct ts_prefix_rank p[8];
	struct ts_ranking r;
	char a[64];
	size_t n;

	(void)state;
	r = build(TS_RANK_RETRANS);
	n = ts_rank_prefixes(&r, p, 8);
	assert_int_equal(n, 3);
	inet_ntop(AF_INET, &p[0].addr[12], a, sizeof(a));
	assert_string_equal(a, "198.51.100.0");
	assert_int_equal(p[0].plen, 24);
	assert_int_equal(p[0].conns, 2);
	assert_int_equal(p[0].retrans, 31);
	assert_int_equal(p[0].max_srtt_us, 900);
	ts_ranking_free(&r);

	r = build(TS_RANK_RTT);
	n = ts_rank_prefixes(&r, p, 1);
	assert_int_equal(n, 1);
	inet_ntop(AF_INET6, p[0].addr, a, sizeof(a));
	assert_string_equal(a, "2001:db8:5:6::");
	assert_int_equal(p[0].plen, 64);
	assert_int_equal(p[0].conns, 2);
	assert_int_equal(p[0].score, 5000);
	ts_ranking_free(&r);
}

static void test_quantile(void **state)
{
	__u64 b[33] = { 0 };

	(void)state;
	assert_true(ts_hist_quantile(b, 33, 0.5) < 0); /* empty */
	b[6] = 4;  /* 32-64 us */
	b[10] = 4; /* 512-1024 us */
	/* the median: the top of the first bucket; p25: its middle */
	assert_true(fabs(ts_hist_quantile(b, 33, 0.5) - 64e-6) < 1e-12);
	assert_true(fabs(ts_hist_quantile(b, 33, 0.25) - 48e-6) < 1e-12);
	assert_true(fabs(ts_hist_quantile(b, 33, 1.0) - 1024e-6) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_stall_going_on),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_quantile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
