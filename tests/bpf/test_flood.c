// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "flood": the sketches, driven frame by frame on the real
 * clock: syn_flood per port and host-wide (and what a real client meets
 * during one), its look-alikes, port_scan and its look-alikes, backscatter,
 * ack_flood.
 */
#include "harness.h"

/* 10,000 SYNs from 10,000 spoofed sources to one port inside one epoch:
 * one start at the next epoch, with rate 20,000/s and ~10,000 sources;
 * one end once an epoch passes quiet; never one event per SYN */
static int post_syn_flood(const struct tcase *tc, char *why)
{
	uint64_t t0, an[TS_A_MAX];
	const struct ts_event *st = NULL, *en = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	if (burst_spilled(t0, "10,000 SYNs", why))
		return 1;
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events during the first epoch");
	next_epoch();
	/* the first SYN of the next epoch rolls the window over: start */
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY)
			st = &evs[i];
	ASSERT_EQ(st->got, 20000, "start: SYN/s");
	ASSERT_EQ(ntohs(st->key.port[1]), FLOOD_PORT, "start: port");
	ASSERT_EQ(st->detail >> 16, 0, "start: handshakes completed (%)");
	ASSERT_TRUE(st->expected >= 6500 && st->expected <= 13500,
		    "start: distinct sources %u, want ~10000", st->expected);
	ASSERT_TRUE(st->ts_ns - t0 < 1000000000ull + 20000000ull,
		    "start %llu ms after onset", (unsigned long long)((st->ts_ns - t0) / 1000000));
	/* a quiet epoch, then a SYN to another port: the flood ends (the
	 * host-wide slot's rollover sweeps the stale port slot) */
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_END), 1, "flood end events");
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, -1), 2, "flood events in all");
	ASSERT_EQ(anomaly_events(), 2, "anomaly events in all");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && (evs[i].detail & 0xff) == TS_FLOOD_END)
			en = &evs[i];
	ASSERT_EQ(ntohs(en->key.port[1]), FLOOD_PORT, "end: port");
	ASSERT_EQ(en->got, 20000, "end: peak SYN/s");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 2, "syn_flood count");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 0, "port_scan count");
	return 0;
}

/* a spoofed flood with state events on: no spoofed SYN proves its source,
 * so its handshake's events are held (hs_log.h): none written for 10,000
 * SYNs and 100 SYN-ACKs answering them, none counted (they may still
 * complete); one reset by its "client" drops what it held (the SYN's two,
 * the SYN-ACK's two, the RST's two), counted as unproven, not suppressed.
 * Once the flood is flagged a new SYN makes no entry at all. */
static int post_flood_state_events(const struct tcase *tc, char *why)
{
	uint64_t c[TS_C_MAX], t0;
	int i, st = 0;

	(void)tc;
	set_state_events(1);
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	if (burst_spilled(t0, "10,000 SYNs", why))
		return 1;
	/* (the last ones: the test's embryonic table holds FLOWS_MAX) */
	for (i = 9900; i < 10000; i++)
		ASSERT_EQ(send_seg(TC, S4, FLOOD_PORT, SPOOF_BASE + (uint32_t)i,
				   (uint16_t)(1024 + i), F_SYN | F_ACK, 7777, 1000u * (uint32_t)i + 1),
			  0, "test run");
	ring_buffer__consume(rb);
	for (i = 0; i < nevs; i++)
		st += evs[i].type == TS_EV_STATE;
	ASSERT_EQ(st, 0, "state events for 10,000 spoofed SYNs and 100 SYN-ACKs");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_EMB_INSERT], 10000, "embryonic entries");
	ASSERT_EQ(c[TS_C_STATE_SUPPRESSED], 0, "state events suppressed (held, not dropped)");
	ASSERT_EQ(c[TS_C_STATE_UNPROVEN], 0, "state events unproven (held, not dropped)");
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 9905, 1024 + 9905, S4, FLOOD_PORT, F_RST, 9905001, 0),
		  0, "test run");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_STATE_UNPROVEN], 6, "a reset unproven handshake's events withheld");
	ASSERT_EQ(c[TS_C_STATE_SUPPRESSED], 0, "state events suppressed");
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	for (i = 0, st = 0; i < nevs; i++)
		st += evs[i].type == TS_EV_STATE;
	ASSERT_EQ(st, 0, "state events after the flood is flagged");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	/* the 10,001st SYN flagged the flood: it made no entry */
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD], 1, "SYNs untracked under the flood");
	ASSERT_EQ(c[TS_C_STATE_UNPROVEN], 6, "state events unproven");
	ASSERT_EQ(c[TS_C_STATE_SUPPRESSED], 0, "state events suppressed");
	return 0;
}

/* a spoofed flood on a port, then a real client's handshake to it: its SYN
 * and the SYN-ACK make no entry (no insert per SYN while a flood is on);
 * its final ACK is picked up into flows, both sides ESTABLISHED */
static int post_flood_real_client(const struct tcase *tc, char *why)
{
	const struct frame_spec syn = { .family = 4, .saddr4 = C4, .daddr4 = S4,
					.sport = CPORT, .dport = FLOOD_PORT };
	uint64_t c0[TS_C_MAX], c[TS_C_MAX], t0;
	struct ts_flow f;
	int i, ne;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	if (burst_spilled(t0, "10,000 SYNs", why))
		return 1;
	next_epoch();
	ASSERT_EQ(read_counters(c0), 0, "read counters");
	ne = map_count(emb_fd);
	/* the first SYN of the next epoch flags the flood, and is not tracked */
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	/* the real client, in the same epoch (the flood stays on) */
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_SYN, 5000, 0), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after the client's SYN");
	ASSERT_EQ(send_seg(TC, S4, FLOOD_PORT, C4, CPORT, F_SYN | F_ACK, 9000, 5001), 0,
		  "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after the SYN-ACK");
	ASSERT_EQ(map_count(emb_fd), ne, "embryonic entries during the flood");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD] - c0[TS_C_SYN_UNTRACKED_FLOOD], 3,
		  "untracked: spoofed SYN, client SYN, SYN-ACK");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts during the flood");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_ACK, 5001, 9001), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), 2, "the client's ACK: a pickups entry (flows once answered)");
	ASSERT_EQ(f.ep[TS_CLIENT].state, TS_ESTABLISHED, "client state");
	ASSERT_EQ(f.ep[TS_SERVER].state, TS_ESTABLISHED, "server state");
	ASSERT_TRUE(f.flags & TS_F_PICKED_UP, "picked up (flags 0x%x)", f.flags);
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_PICKUP] - c0[TS_C_PICKUP], 1, "pickups");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts");
	return 0;
}

/* a host-wide flood (10,000 SYNs over 640 ports, no port above the rate):
 * a SYN to any port, one never flooded, makes no entry either */
static int post_flood_host_wide(const struct tcase *tc, char *why)
{
	const struct frame_spec syn = { .family = 4, .saddr4 = C4, .daddr4 = S4,
					.sport = CPORT, .dport = 443 };
	uint64_t c0[TS_C_MAX], c[TS_C_MAX], t0;
	struct ts_flow f;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   (uint16_t)(2000 + i % 640), F_SYN, 1000u * (uint32_t)i, 0), 0,
			  "test run");
	if (burst_spilled(t0, "10,000 SYNs", why))
		return 1;
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, 2000, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	ASSERT_EQ(read_counters(c0), 0, "read counters");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_SYN, 5000, 0), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after a SYN to port 443");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD] - c0[TS_C_SYN_UNTRACKED_FLOOD], 1, "untracked");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts");
	return 0;
}

/* 3,000 handshakes that complete inside one epoch (6,000 SYN/s, above the
 * rate, 100% complete), from 3,000 sources: no flood */
static int post_syn_complete(const struct tcase *tc, char *why)
{
	uint64_t t0, an[TS_A_MAX];
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 3000; i++) {
		uint32_t c = SPOOF_BASE + (uint32_t)i;

		ASSERT_EQ(send_seg(XDP, c, 40000, S4, FLOOD_PORT, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, FLOOD_PORT, c, 40000, F_SYN | F_ACK, 5000, 1001), 0,
			  "syn-ack");
		ASSERT_EQ(send_seg(XDP, c, 40000, S4, FLOOD_PORT, F_ACK, 1001, 5001), 0, "ack");
	}
	if (burst_spilled(t0, "3,000 handshakes", why))
		return 1;
	next_epoch();
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	ASSERT_EQ(map_count(flows_fd), 3000, "connections promoted");
	return 0;
}

/* one source, SYNs to 50 ports: one port_scan event (at the 21st port);
 * opt: the SYNs' option bytes (NULL: MSS 1460) */
static int port_scan_case(const uint8_t *opt, int optlen, char *why)
{
	struct frame_spec fs = C2S4(.flags = F_SYN, .seq = 1000, .mss = 1460, .rawopt = opt,
				    .rawoptlen = optlen);
	struct frame fr;
	uint64_t an[TS_A_MAX];
	__u32 ret;
	int i;

	for (i = 0; i < 50; i++) {
		fs.dport = (uint16_t)(1000 + i);
		ASSERT_TRUE(frame_build(&fs, &fr) > 0, "frame");
		ASSERT_EQ(run_frame(XDP, fr.b, fr.len, 0, 1, &ret), 0, "test run");
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 1, "port_scan events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY) {
			ASSERT_EQ(evs[i].got, 21, "distinct ports at the event");
			ASSERT_EQ(evs[i].expected, TS_DEF_SCAN_PORTS, "threshold");
			ASSERT_EQ(evs[i].detail, 5000, "window (ms)");
		}
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 1, "port_scan count");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	return 0;
}

static int post_port_scan(const struct tcase *tc, char *why)
{
	(void)tc;
	return port_scan_case(NULL, 0, why);
}

/* options the kernel tolerates (MSS of length 3): scanned all the same */
static int post_port_scan_malformed(const struct tcase *tc, char *why)
{
	static const uint8_t mss3[] = { 2, 3, 0x05, 1 };

	(void)tc;
	return port_scan_case(mss3, sizeof(mss3), why);
}

/* a normal client: one source, one port, 10 connections: nothing */
static int post_normal_client(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	int i;

	(void)tc;
	for (i = 0; i < 10; i++) {
		uint16_t sp = (uint16_t)(40000 + i);

		ASSERT_EQ(send_seg(XDP, C4, sp, S4, 443, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, 443, C4, sp, F_SYN | F_ACK, 5000, 1001), 0, "syn-ack");
		ASSERT_EQ(send_seg(XDP, C4, sp, S4, 443, F_ACK, 1001, 5001), 0, "ack");
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN] + an[TS_A_SYN_FLOOD], 0, "flood + scan counts");
	return 0;
}

/* one client, 30 completed connections to 30 ports (FTP data-style): a
 * port whose handshake completes is not scanned, nothing is flagged */
static int post_many_ports_complete(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	int i;

	(void)tc;
	for (i = 0; i < 30; i++) {
		uint16_t dp = (uint16_t)(30000 + i);

		ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, dp, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, dp, C4, CPORT, F_SYN | F_ACK, 5000, 1001), 0, "syn-ack");
		ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, dp, F_ACK, 1001, 5001), 0, "ack");
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 0, "port_scan count");
	ASSERT_EQ(map_count(flows_fd), 30, "connections promoted");
	return 0;
}

/* backscatter: 2,000 RSTs this host sends to 2,000 unknown peers in one
 * epoch (4,000/s): one port_scan (backscatter) start at the next epoch,
 * one end after a quiet epoch; the RSTs' own rst_no_conn stay per RST */
static int post_backscatter(const struct tcase *tc, char *why)
{
	uint64_t t0, an[TS_A_MAX];
	const struct ts_event *st = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 2000; i++)
		ASSERT_EQ(send_seg(TC, S4, (uint16_t)(1 + i % 1000), SPOOF_BASE + (uint32_t)i, 40000,
				   F_RST | F_ACK, 0, 1000u + (uint32_t)i), 0, "test run");
	if (burst_spilled(t0, "2,000 RSTs", why))
		return 1;
	next_epoch();
	ASSERT_EQ(send_seg(TC, S4, 22, SPOOF_BASE + 5000, 40000, F_RST | F_ACK, 0, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 1, "port_scan events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == TS_A_PORT_SCAN)
			st = &evs[i];
	ASSERT_EQ(st->detail, TS_SCAN_BACKSCATTER | TS_FLOOD_START, "detail");
	ASSERT_EQ(st->got, 4000, "RST/s");
	ASSERT_EQ(st->dir, 1, "hook");
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(TC, S4, 22, SPOOF_BASE + 5001, 40000, F_RST | F_ACK, 0, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 2, "port_scan events (start, end)");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 2, "port_scan count");
	ASSERT_EQ(an[TS_A_RST_NO_CONN], 2002, "rst_no_conn count");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	return 0;
}

/* an ACK flood: 4,000 ACKs of 4,000 unknown tuples in one epoch
 * (8,000/s): one ack_flood start at the next epoch, one end after a quiet
 * epoch; no ack_no_conn (no tuple repeats) */
static int post_ack_flood(const struct tcase *tc, char *why)
{
	uint64_t t0, an[TS_A_MAX];
	const struct ts_event *st = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 4000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(20000 + i), S4, 80,
				   F_ACK, 1000u + (uint32_t)i, 1), 0, "test run");
	if (burst_spilled(t0, "4,000 ACKs", why))
		return 1;
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 9000, 20000, S4, 80, F_ACK, 1, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, TS_FLOOD_START), 1, "ack_flood start events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == TS_A_ACK_FLOOD)
			st = &evs[i];
	ASSERT_EQ(st->got, 8000, "ACK/s");
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 9001, 20000, S4, 80, F_ACK, 1, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, -1), 2, "ack_flood events (start, end)");
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, TS_FLOOD_END), 1, "ack_flood end events");
	ASSERT_EQ(anomaly_events(), 2, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_ACK_FLOOD], 2, "ack_flood count");
	ASSERT_EQ(an[TS_A_ACK_NO_CONN], 0, "ack_no_conn count");
	return 0;
}

/* Issue 11, attack 3: spoofed ACKs of unknown tuples, five times as many
 * as flows holds, churn pickups; every confirmed connection stays in flows
 * as it was, and flows gets no insert */
static int post_pickup_no_evict(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);
	uint64_t c0[TS_C_MAX], c[TS_C_MAX];
	const int n = 20, spoofed = 5 * FLOWS_MAX;
	struct ts_flow f;
	int i;

	(void)tc;
	p.ack_flood_rate = 100000000; /* a churn, never a flood: every ACK is picked up */
	ASSERT_EQ(policy_put(0, &p), 0, "policy");
	for (i = 0; i < n; i++) {
		uint16_t cp = (uint16_t)(CPORT + i);

		ASSERT_EQ(send_seg(XDP, C4, cp, S4, 80, F_SYN, 1000, 0), 0, "SYN");
		ASSERT_EQ(send_seg(TC, S4, 80, C4, cp, F_SYN | F_ACK, 5000, 1001), 0, "SYN-ACK");
		ASSERT_EQ(send_seg(XDP, C4, cp, S4, 80, F_ACK, 1001, 5001), 0, "ACK");
	}
	ASSERT_EQ(map_count(flows_fd), n, "confirmed connections in flows");
	ASSERT_EQ(read_counters(c0), 0, "read counters");
	srand(11);
	for (i = 0; i < spoofed; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)(i & 0x7fff),
				   (uint16_t)(1024 + i / 0x8000), S4, 80, F_ACK, (uint32_t)rand(),
				   (uint32_t)rand()), 0, "test run");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_PICKUP] - c0[TS_C_PICKUP], spoofed, "pickups");
	ASSERT_EQ(c[TS_C_FLOW_INSERT] - c0[TS_C_FLOW_INSERT], 0, "flows inserts");
	ASSERT_EQ(map_count(flows_fd), n, "flows entries");
	ASSERT_TRUE(map_count(pick_fd) > 0 && map_count(pick_fd) <= FLOWS_MAX, "pickups %d",
		    map_count(pick_fd));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(flow_of(C4, (uint16_t)(CPORT + i), S4, 80, &f), 0, "in flows");
		ASSERT_TRUE(f.ep[TS_CLIENT].state == TS_ESTABLISHED &&
			    f.ep[TS_SERVER].state == TS_ESTABLISHED && !(f.flags & TS_F_PICKED_UP),
			    "connection %d: states %u/%u flags 0x%x", i, f.ep[TS_CLIENT].state,
			    f.ep[TS_SERVER].state, f.flags);
	}
	return 0;
}

static const struct tcase cases[] = {
	{ "pickups: 5x flows' capacity in spoofed ACKs never evict a confirmed connection",
	  .post = post_pickup_no_evict },
	{ "syn_flood: 10,000 spoofed SYNs to one port in one epoch -> one start (20,000/s, ~10,000 sources), one end",
	  .post = post_syn_flood },
	{ "state events under a spoofed flood: held until a proof that never comes, none written",
	  .post = post_flood_state_events },
	{ "syn_flood on: a real client's SYN and SYN-ACK make no entry, its ACK is picked up (both ESTABLISHED)",
	  .post = post_flood_real_client },
	{ "syn_flood host-wide: a new tuple's SYN to any port makes no entry",
	  .post = post_flood_host_wide },
	{ "syn_flood look-alike: 3,000 handshakes that complete in one epoch -> nothing",
	  .post = post_syn_complete },
	{ "port_scan: one source, SYNs to 50 ports -> one event at 21 ports",
	  .post = post_port_scan },
	{ "port_scan: the same with a malformed option (MSS of length 3) in every SYN",
	  .post = post_port_scan_malformed },
	{ "port_scan look-alike: one client, 10 connections to one port -> nothing",
	  .post = post_normal_client },
	{ "port_scan look-alike: one client, 30 completed connections to 30 ports -> nothing",
	  .post = post_many_ports_complete },
	{ "port_scan backscatter: 2,000 RSTs sent to unknown peers in one epoch -> one start (4,000/s), one end",
	  .post = post_backscatter },
	{ "ack_flood: 4,000 ACKs of unknown tuples in one epoch -> one start (8,000/s), one end",
	  .post = post_ack_flood },
};

AREA(flood, cases);
