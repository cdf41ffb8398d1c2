// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the metrics: the Prometheus text rendering of a snapshot
 * (user/lib/prom.c), the log2 bucket of a handshake time
 * (include/tcpsentry/hs_hist.h), the state a connection counts under in
 * the gauges (user/lib/gc.c) and the --metrics address parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <tcpsentry/fsm.h>
#include "format.h"
#include "gc.h"
#include "prom.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

static char *render_ex(const struct ts_msnap_if *ifs, int n, const struct ts_export_loss *ex)
{
	struct ts_msnap s = { .version = "9.8.7", .n = n, .ifs = ifs, .export = ex };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ts_metrics_render(f, &s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *render(const struct ts_msnap_if *ifs, int n)
{
	return render_ex(ifs, n, NULL);
}

/* the value of the one sample line that starts with `series ` */
static int value_of(const char *text, const char *series, double *v)
{
	size_t n = strlen(series);
	const char *p = text;
	int found = 0;

	while (p && *p) {
		if (!strncmp(p, series, n) && p[n] == ' ') {
			if (found++)
				fail_msg("%s appears twice", series);
			*v = strtod(p + n + 1, NULL);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return found ? 0 : -1;
}

static double must(const char *text, const char *series)
{
	double v = -1;

	if (value_of(text, series, &v))
		fail_msg("no sample %s in:\n%s", series, text);
	return v;
}

static void snap_example(struct ts_msnap_if *m, const char *iface)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->iface, sizeof(m->iface), "%s", iface);
	m->pkts_in = 1000;
	m->pkts_out = 900;
	m->in_pass = 990;
	m->in_tx = 10;
	m->out_pass = 900;
	m->opened = 42;
	m->events_lost = 3;
	m->syncookies[0] = 1000000;
	m->syncookies[1] = 200;
	m->syncookies[2] = 3;
	m->syncookies[3] = 199;
	m->anomalies[TS_A_BAD_FLAGS] = 5;
	m->anomalies[TS_A_HALF_OPEN_TIMEOUT] = 2;
	m->have_hist = 1;
	m->hist.bucket[0] = 1;   /* 0 us */
	m->hist.bucket[5] = 10;  /* 16-31 us */
	m->hist.bucket[10] = 4;  /* 512-1023 us */
	m->hist.bucket[30] = 1;  /* ~10 min: only in +Inf */
	m->hist.sum_us = 1500000;
	m->have_tally = 1;
	m->tally.states[TS_ESTABLISHED] = 7;
	m->tally.states[TS_TIME_WAIT] = 2;
	m->tally.flows = 9;
	m->tally.embryonic = 1;
	m->tally.duration_ns = 2500000;
	m->cap_flows = 1 << 20;
	m->cap_embryonic = 1 << 18;
	m->floods_port = 2;
	m->flood_host = 1;
	m->attached = 1;
}

static void test_every_family_has_help_and_type(void **state)
{
	static const char *const fams[][2] = {
		{ "tcpsentry_build_info", "gauge" },
		{ "tcpsentry_attached", "gauge" },
		{ "tcpsentry_packets_total", "counter" },
		{ "tcpsentry_connections", "gauge" },
		{ "tcpsentry_connections_opened_total", "counter" },
		{ "tcpsentry_handshake_seconds", "histogram" },
		{ "tcpsentry_anomalies_total", "counter" },
		{ "tcpsentry_events_lost_total", "counter" },
		{ "tcpsentry_syncookies_total", "counter" },
		{ "tcpsentry_syn_floods_active", "gauge" },
		{ "tcpsentry_flow_table_entries", "gauge" },
		{ "tcpsentry_flow_table_capacity", "gauge" },
		{ "tcpsentry_rtt_seconds", "histogram" },
		{ "tcpsentry_retransmitted_segments_total", "counter" },
		{ "tcpsentry_reordered_segments_total", "counter" },
		{ "tcpsentry_zero_window_seconds_total", "counter" },
		{ "tcpsentry_zero_window_stalls_total", "counter" },
		{ "tcpsentry_probe_segments_total", "counter" },
	};
	struct ts_msnap_if m;
	char line[160], *t, *p;
	size_t i;

	(void)state;
	snap_example(&m, "veth0");
	t = render(&m, 1);
	for (i = 0; i < N(fams); i++) {
		snprintf(line, sizeof(line), "# HELP %s ", fams[i][0]);
		if (!strstr(t, line))
			fail_msg("no HELP for %s", fams[i][0]);
		snprintf(line, sizeof(line), "\n# TYPE %s %s\n", fams[i][0], fams[i][1]);
		if (!strstr(t, line))
			fail_msg("no TYPE %s for %s", fams[i][1], fams[i][0]);
	}
	/* every sample line belongs to a family declared above it, and
	 * every line ends with a newline */
	assert_int_equal(t[strlen(t) - 1], '\n');
	for (p = t; *p; p = strchr(p, '\n') + 1) {
		char name[96];
		size_t n = strcspn(p, "{ ");

		if (*p == '#')
			continue;
		assert_true(n < sizeof(name));
		memcpy(name, p, n);
		name[n] = '\0';
		if (strstr(name, "tcpsentry_handshake_seconds_"))
			snprintf(name, sizeof(name), "tcpsentry_handshake_seconds");
		if (strstr(name, "tcpsentry_rtt_seconds_"))
			snprintf(name, sizeof(name), "tcpsentry_rtt_seconds");
		snprintf(line, sizeof(line), "# TYPE %s ", name);
		if (!strstr(t, line) || strstr(t, line) > p)
			fail_msg("sample before (or without) its TYPE: %.*s", (int)strcspn(p, "\n"), p);
	}
	free(t);
}

/* flow quality: the RTT histogram cumulative with its sum and count, the
 * counters under their direction or side */
static void test_quality(void **state)
{
	struct ts_msnap_if m;
	char *t;

	(void)state;
	snap_example(&m, "veth0");
	m.q.rtt_bucket[6] = 3;  /* 32-63 us */
	m.q.rtt_bucket[10] = 1; /* 512-1023 us */
	m.q.rtt_sum_us = 40 + 41 + 42 + 700;
	m.q.retrans[0] = 7;
	m.q.retrans[1] = 9;
	m.q.reorder[0] = 4;
	m.q.zw_ms[1] = 1500;
	m.q.zw_stalls[1] = 2;
	m.q.tlp = 1;
	t = render(&m, 1);
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_bucket{iface=\"veth0\",le=\"3.2e-05\"} 0\n"));
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_bucket{iface=\"veth0\",le=\"6.4e-05\"} 3\n"));
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_bucket{iface=\"veth0\",le=\"0.001024\"} 4\n"));
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_bucket{iface=\"veth0\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_sum{iface=\"veth0\"} 0.000823\n"));
	assert_non_null(strstr(t, "tcpsentry_rtt_seconds_count{iface=\"veth0\"} 4\n"));
	assert_non_null(strstr(t, "tcpsentry_retransmitted_segments_total{iface=\"veth0\","
				  "direction=\"ingress\"} 7\n"));
	assert_non_null(strstr(t, "tcpsentry_retransmitted_segments_total{iface=\"veth0\","
				  "direction=\"egress\"} 9\n"));
	assert_non_null(strstr(t, "tcpsentry_reordered_segments_total{iface=\"veth0\","
				  "direction=\"ingress\"} 4\n"));
	assert_non_null(strstr(t, "tcpsentry_zero_window_seconds_total{iface=\"veth0\","
				  "side=\"local\"} 1.500\n"));
	assert_non_null(strstr(t, "tcpsentry_zero_window_stalls_total{iface=\"veth0\","
				  "side=\"local\"} 2\n"));
	assert_non_null(strstr(t, "tcpsentry_probe_segments_total{iface=\"veth0\","
				  "kind=\"tail_loss_probe\"} 1\n"));
	free(t);
}

static void test_values(void **state)
{
	struct ts_msnap_if m;
	char *t;

	(void)state;
	snap_example(&m, "veth0");
	t = render(&m, 1);
	assert_true(must(t, "tcpsentry_build_info{version=\"9.8.7\"}") == 1);
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"pass\"}") == 990);
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"tx\"}") == 10);
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"egress\",verdict=\"pass\"}") == 900);
	assert_true(must(t, "tcpsentry_connections{iface=\"veth0\",state=\"ESTABLISHED\"}") == 7);
	assert_true(must(t, "tcpsentry_connections{iface=\"veth0\",state=\"TIME_WAIT\"}") == 2);
	assert_true(must(t, "tcpsentry_connections{iface=\"veth0\",state=\"SYN_RCVD\"}") == 0);
	assert_true(must(t, "tcpsentry_connections_opened_total{iface=\"veth0\"}") == 42);
	assert_true(must(t, "tcpsentry_anomalies_total{iface=\"veth0\",kind=\"bad_flags\"}") == 5);
	assert_true(must(t, "tcpsentry_anomalies_total{iface=\"veth0\",kind=\"half_open_timeout\"}") == 2);
	assert_true(must(t, "tcpsentry_events_lost_total{iface=\"veth0\"}") == 3);
	assert_true(must(t, "tcpsentry_syncookies_total{iface=\"veth0\",result=\"sent\"}") == 1000000);
	assert_true(must(t, "tcpsentry_syncookies_total{iface=\"veth0\",result=\"validated\"}") == 200);
	assert_true(must(t, "tcpsentry_syncookies_total{iface=\"veth0\",result=\"failed\"}") == 3);
	assert_true(must(t, "tcpsentry_syncookies_total{iface=\"veth0\",result=\"handed_over\"}") == 199);
	assert_true(must(t, "tcpsentry_flow_table_entries{iface=\"veth0\",table=\"flows\"}") == 9);
	assert_true(must(t, "tcpsentry_flow_table_entries{iface=\"veth0\",table=\"embryonic\"}") == 1);
	assert_true(must(t, "tcpsentry_flow_table_capacity{iface=\"veth0\",table=\"flows\"}") == 1048576);
	assert_true(must(t, "tcpsentry_syn_floods_active{iface=\"veth0\",scope=\"port\"}") == 2);
	assert_true(must(t, "tcpsentry_syn_floods_active{iface=\"veth0\",scope=\"host\"}") == 1);
	assert_true(must(t, "tcpsentry_sweep_duration_seconds{iface=\"veth0\"}") == 0.0025);
	assert_true(must(t, "tcpsentry_attached{iface=\"veth0\"}") == 1);
	/* a datapath without the drops map: no drop series at all */
	assert_null(strstr(t, "tcpsentry_dropped_packets_total"));
	assert_null(strstr(t, "verdict=\"drop\""));
	free(t);
}

static void test_histogram(void **state)
{
	struct ts_msnap_if m;
	char *t;

	(void)state;
	snap_example(&m, "veth0");
	t = render(&m, 1);
	/* cumulative; bucket i is "under 2^i us" */
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"1e-06\"}") == 1);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"1.6e-05\"}") == 1);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"3.2e-05\"}") == 11);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"0.000512\"}") == 11);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"0.001024\"}") == 15);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"67.108864\"}") == 15);
	assert_true(must(t, "tcpsentry_handshake_seconds_bucket{iface=\"veth0\",le=\"+Inf\"}") == 16);
	assert_true(must(t, "tcpsentry_handshake_seconds_count{iface=\"veth0\"}") == 16);
	assert_true(must(t, "tcpsentry_handshake_seconds_sum{iface=\"veth0\"}") == 1.5);
	/* le bounds strictly increase */
	{
		const char *p = t;
		double prev = -1, le;

		while ((p = strstr(p, "le=\""))) {
			p += 4;
			if (!strncmp(p, "+Inf", 4))
				break;
			le = strtod(p, NULL);
			assert_true(le > prev);
			prev = le;
		}
	}
	/* no histogram map (an older attachment): no samples, the family stays */
	m.have_hist = 0;
	free(t);
	t = render(&m, 1);
	assert_null(strstr(t, "tcpsentry_handshake_seconds_bucket"));
	free(t);
}

static void test_drops_and_labels(void **state)
{
	struct ts_msnap_if m[2];
	char *t;

	(void)state;
	snap_example(&m[0], "veth0");
	snap_example(&m[1], "we\"ird\\");
	m[0].have_drops = 1;
	m[0].drops.dropped[TS_D_DENY] = 30;
	m[0].drops.dropped[TS_D_ANOMALY + TS_A_SYN_FLOOD] = 70;
	m[0].drops.would_drop[TS_D_SYN_RATE_SOURCE] = 4;
	m[0].drops.dropped[TS_D_BAD_COOKIE] = 5;
	m[0].in_pass = 885;
	m[0].in_drop = 105;
	m[1].have_tally = 0;
	t = render(m, 2);
	assert_true(must(t, "tcpsentry_dropped_packets_total{iface=\"veth0\",reason=\"deny\"}") == 30);
	assert_true(must(t, "tcpsentry_dropped_packets_total{iface=\"veth0\",reason=\"syn_flood\"}") == 70);
	assert_true(must(t, "tcpsentry_would_drop_packets_total{iface=\"veth0\",reason=\"syn_rate_source\"}") == 4);
	assert_true(must(t, "tcpsentry_dropped_packets_total{iface=\"veth0\",reason=\"bad_cookie\"}") == 5);
	/* the verdicts as the datapath counted them, once per frame: they
	 * sum to the frames seen (a bad cookie's drop is a drop) */
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"drop\"}") == 105);
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"pass\"}") == 885);
	assert_true(must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"pass\"}") +
		    must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"drop\"}") +
		    must(t, "tcpsentry_packets_total{iface=\"veth0\",direction=\"ingress\",verdict=\"tx\"}") == 1000);
	/* the second interface has no drops map: none of its series */
	assert_null(strstr(t, "dropped_packets_total{iface=\"we"));
	/* label values escaped */
	assert_true(must(t, "tcpsentry_connections_opened_total{iface=\"we\\\"ird\\\\\"}") == 42);
	/* no sweep yet: no gauges that come from it */
	assert_null(strstr(t, "tcpsentry_connections{iface=\"we"));
	assert_null(strstr(t, "tcpsentry_flow_table_entries{iface=\"we"));
	/* capacity does not need a sweep */
	assert_non_null(strstr(t, "tcpsentry_flow_table_capacity{iface=\"we"));
	free(t);
	assert_string_equal(ts_drop_reason_name(TS_D_BANNED), "banned");
	assert_string_equal(ts_drop_reason_name(TS_D_BAD_COOKIE), "bad_cookie");
	assert_string_equal(ts_drop_reason_name(TS_D_TINY_FRAGMENT), "tiny_fragment");
	assert_null(ts_drop_reason_name(TS_D_TINY_FRAGMENT + 1));
	assert_null(ts_drop_reason_name(TS_D_MAX));
}

/* run's outputs: what they could not take, one family, a sample per
 * output that is on; none without an output */
static void test_export_loss(void **state)
{
	struct ts_export_loss both = { .json = 1, .ipfix = 1, .json_lost = 4, .ipfix_lost = 17 };
	struct ts_export_loss ipfix = { .ipfix = 1, .ipfix_lost = 2 };
	struct ts_msnap_if m;
	char *t;

	(void)state;
	snap_example(&m, "veth0");
	t = render_ex(&m, 1, &both);
	assert_non_null(strstr(t, "\n# TYPE tcpsentry_records_unexported_total counter\n"));
	assert_true(must(t, "tcpsentry_records_unexported_total{output=\"json\"}") == 4);
	assert_true(must(t, "tcpsentry_records_unexported_total{output=\"ipfix\"}") == 17);
	free(t);
	t = render_ex(&m, 1, &ipfix);
	assert_true(must(t, "tcpsentry_records_unexported_total{output=\"ipfix\"}") == 2);
	assert_null(strstr(t, "output=\"json\""));
	free(t);
	t = render(&m, 1);
	assert_null(strstr(t, "tcpsentry_records_unexported_total"));
	free(t);
}

static void test_hs_bucket(void **state)
{
	static const struct { __u32 us, b; } cases[] = {
		{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 3 }, { 7, 3 }, { 8, 4 },
		{ 1023, 10 }, { 1024, 11 }, { 65535, 16 }, { 65536, 17 },
		{ 0x7fffffffu, 31 }, { 0x80000000u, 32 }, { 0xffffffffu, 32 },
	};
	__u32 i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		if (ts_hs_bucket(cases[i].us) != cases[i].b)
			fail_msg("bucket of %u: %u, want %u", cases[i].us, ts_hs_bucket(cases[i].us),
				 cases[i].b);
	/* every value is below its bucket's bound 2^b, and at least the previous one */
	for (i = 0; i < 100000; i++) {
		__u32 us = i * 43u + (i >> 3) * 40000u, b = ts_hs_bucket(us);

		assert_true(b < TS_HS_BUCKETS);
		assert_true((__u64)us < (1ull << b) || (us == 0 && b == 0));
		if (b > 0)
			assert_true((__u64)us >= (1ull << (b - 1)));
	}
}

static void test_conn_state(void **state)
{
	struct ts_flow f = {};
	__u64 now = 1000000000000ull;

	(void)state;
	f.last_seen_ns = now;
	f.ep[TS_CLIENT].state = TS_SYN_SENT;
	f.ep[TS_SERVER].state = TS_LISTEN;
	assert_int_equal(ts_conn_state(&f, now), TS_SYN_SENT);
	f.ep[TS_SERVER].state = TS_SYN_RCVD;
	assert_int_equal(ts_conn_state(&f, now), TS_SYN_RCVD);
	f.ep[TS_CLIENT].state = TS_ESTABLISHED;
	f.ep[TS_SERVER].state = TS_ESTABLISHED;
	assert_int_equal(ts_conn_state(&f, now), TS_ESTABLISHED);
	f.ep[TS_CLIENT].state = TS_TIME_WAIT;
	f.ep[TS_SERVER].state = TS_CLOSED;
	assert_int_equal(ts_conn_state(&f, now), TS_TIME_WAIT);
	/* idle past TIME_WAIT's 60 s: CLOSED */
	assert_int_equal(ts_conn_state(&f, now + 61000000000ull), TS_CLOSED);
	f.ep[TS_CLIENT].state = TS_CLOSE_WAIT;
	f.ep[TS_SERVER].state = TS_FIN_WAIT_2;
	assert_int_equal(ts_conn_state(&f, now), TS_FIN_WAIT_2);
}

static void test_parse_listen(void **state)
{
	static const char *const bad[] = {
		"", "9464", ":", ":0", ":65536", "::1:9464", "[::1]", "[::1]9464", "[]:1",
		"[1.2.3.4]:80", "localhost:80", "1.2.3:80", "1.2.3.4:-1", "1.2.3.4:80x",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char a[64];
	size_t i;

	(void)state;
	assert_int_equal(ts_parse_listen("127.0.0.1:9464", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 9464);
	assert_int_equal(s4->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ts_parse_listen(":80", &ss), 0);
	assert_int_equal(s4->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ts_parse_listen("0.0.0.0:65535", &ss), 0);
	assert_int_equal(ntohs(s4->sin_port), 65535);
	assert_int_equal(ts_parse_listen("[::1]:9464", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 9464);
	inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
	assert_string_equal(a, "::1");
	assert_int_equal(ts_parse_listen("[2001:db8::5]:1", &ss), 0);
	for (i = 0; i < N(bad); i++)
		if (ts_parse_listen(bad[i], &ss) == 0)
			fail_msg("'%s' parsed", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_family_has_help_and_type),
		cmocka_unit_test(test_values), cmocka_unit_test(test_quality),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_drops_and_labels),
		cmocka_unit_test(test_export_loss),
		cmocka_unit_test(test_hs_bucket),
		cmocka_unit_test(test_conn_state),
		cmocka_unit_test(test_parse_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
