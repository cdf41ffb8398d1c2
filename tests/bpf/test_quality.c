// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "quality": flow quality (bpf/quality.h) frame by frame. A
 * local server (its segments through tc egress) and a remote client (XDP
 * ingress); each case checks the flow entry's struct ts_quality and the
 * per-CPU counters (ts_counters.q) after its frames: retransmission (and
 * Karn's rule), reordering, keep-alive, window probe, tail loss probe, SYN
 * and SYN-ACK retransmission, zero-window open and close, RTT by ACK and
 * by timestamp echo, and a segment the receiver drops moving nothing.
 */
#include "harness.h"
#include <tcpsentry/hs_hist.h>

#define C0 (C_ISN + 1) /* the client's first data byte */
#define S0 (S_ISN + 1)
#define W 65535        /* the window both advertise (no scaling) */

static int read_q(struct ts_qcounters *q)
{
	struct ts_counters *v = calloc(ncpus, sizeof(*v));
	__u32 zero = 0;
	__u64 *d = (__u64 *)q;
	int cpu;
	size_t i;

	if (!v)
		return -1;
	memset(q, 0, sizeof(*q));
	if (bpf_map_lookup_elem(counters_fd, &zero, v)) {
		free(v);
		return -1;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < sizeof(*q) / 8; i++)
			d[i] += ((__u64 *)&v[cpu].q)[i];
	free(v);
	return 0;
}

/* one segment: from the client (XDP) or the server (tc egress) */
static int seg(int from_client, uint8_t flags, uint32_t seq, uint32_t ack, int len, uint16_t win,
	       int ts, uint32_t tsval, uint32_t tsecr, char *why)
{
	struct frame_spec c = C2S4(.flags = flags, .seq = seq, .ack = ack, .paylen = len,
				   .win = win, .ts = ts, .tsval = tsval, .tsecr = tsecr);
	struct frame_spec s = S2C4(.flags = flags, .seq = seq, .ack = ack, .paylen = len,
				   .win = win, .ts = ts, .tsval = tsval, .tsecr = tsecr);
	/* past the handshake, timestamps where Linux puts them: NOP, NOP, TS */
	uint8_t o[12] = { 1, 1, 8, 10, tsval >> 24, tsval >> 16, tsval >> 8, tsval,
			  tsecr >> 24, tsecr >> 16, tsecr >> 8, tsecr };

	if (ts && !(flags & F_SYN)) {
		c.rawopt = s.rawopt = o;
		c.rawoptlen = s.rawoptlen = sizeof(o);
	}
	if (from_client)
		return run_checked(XDP, &c, XDP_PASS, 0, 0, why);
	return run_checked(TC, &s, TC_ACT_OK, 0, 0, why);
}
/* (run_checked wrote why) */
#define CLI(...) do { if (seg(1, __VA_ARGS__, why)) return -1; } while (0)
#define SRV(...) do { if (seg(0, __VA_ARGS__, why)) return -1; } while (0)

/* SYN in, SYN-ACK out, ACK in; ts: with timestamps on both ends */
static int handshake(int ts, char *why)
{
	CLI(F_SYN, C_ISN, 0, 0, W, ts, 1, 0);
	SRV(F_SYN | F_ACK, S_ISN, C0, 0, W, ts, 2, 1);
	CLI(F_ACK, C0, S0, 0, W, ts, 3, 2);
	return 0;
}

static int flow(struct ts_flow *f, char *why)
{
	struct frame_spec fs = C2S4();

	FAIL_IF(lookup_flow(&fs, f) != 0, "the flow is not in flows");
	return 0;
}

/* the server's data timed until the client's ACK, ~ms apart: the local
 * server's leg (network RTT) gets a sample, the histogram one count */
static int post_rtt_ack(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;
	const struct ts_quality *s = &f.q[TS_SERVER];

	__u32 srtt8_before, min_before;

	(void)tc;
	if (handshake(0, why) || read_q(&q0) || flow(&f, why))
		return -1;
	srtt8_before = s->srtt_us8;
	min_before = s->min_rtt_us;
	SRV(F_ACK | F_PSH, S0, C0, 1000, W, 0, 0, 0);
	SRV(F_ACK | F_PSH, S0 + 1000, C0, 1000, W, 0, 0, 0); /* not timed: one at a time */
	sleep_ms(3);
	CLI(F_ACK, C0, S0 + 999, 0, W, 0, 0, 0);  /* short of the timed segment */
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(s->rtt_sent_us != 0, "the sample ended before its segment was acked");
	CLI(F_ACK, C0, S0 + 1000, 0, W, 0, 0, 0);
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(s->rtt_sent_us, 0, "sample outstanding after its ACK");
	ASSERT_TRUE(s->rtt_us >= 3000 && s->rtt_us < 1000000, "rtt_us %u, slept 3 ms", s->rtt_us);
	/* the handshake gave the first sample (SYN-ACK out, ACK in); on a
	 * loaded host its two runs can be further apart than the 3 ms slept */
	ASSERT_TRUE(min_before != 0, "no sample from the handshake");
	ASSERT_EQ(s->min_rtt_us, min_before < s->rtt_us ? min_before : s->rtt_us,
		  "min_rtt_us: the smaller of the handshake's sample and this one");
	ASSERT_EQ(s->srtt_us8, srtt8_before - (srtt8_before >> 3) + s->rtt_us,
		  "srtt_us8 moved by 1/8 of the sample");
	ASSERT_EQ(q1.rtt_sum_us - q0.rtt_sum_us, s->rtt_us, "histogram sum");
	ASSERT_EQ(q1.rtt_bucket[ts_hs_bucket(s->rtt_us)] - q0.rtt_bucket[ts_hs_bucket(s->rtt_us)],
		  1, "histogram bucket");
	ASSERT_EQ(s->retrans + f.q[TS_CLIENT].retrans, 0, "retransmissions");
	return 0;
}

/* with timestamps on both ends the ACK of a range the local endpoint sent
 * again is timed by its TSecr, as the kernel times it: the echoed TSval's
 * age on the sender's clock (the original's here), in whole ms */
static int post_rtt_ts(const struct tcase *tc, char *why)
{
	struct ts_flow f;
	const struct ts_quality *s = &f.q[TS_SERVER];
	__u32 rtt;

	(void)tc;
	if (handshake(1, why) || flow(&f, why))
		return -1;
	SRV(F_ACK | F_PSH, S0, C0, 100, W, 1, 50, 3);
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(s->rtt_ts == 0 && s->rtt_key == S0 + 100 && s->rtt_sent_us,
		    "new data: ts %u key %u", s->rtt_ts, s->rtt_key);
	SRV(F_ACK | F_PSH, S0, C0, 100, W, 1, 60, 3); /* sent again, 10 TS ticks later */
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(s->rtt_ts == 1 && s->rtt_key == S0 + 100 && s->rtt_sent_us,
		    "resent: ts %u key %u", s->rtt_ts, s->rtt_key);
	sleep_ms(3);
	CLI(F_ACK, C0, S0 + 50, 0, W, 1, 4, 50); /* short of it */
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(s->rtt_sent_us != 0, "closed by an ACK short of the range");
	CLI(F_ACK, C0, S0 + 100, 0, W, 1, 5, 50); /* acks it, echoes the original */
	if (flow(&f, why))
		return -1;
	/* the original's TSval: 10 ms older than the copy, sent >= 3 ms ago */
	ASSERT_TRUE(s->rtt_sent_us == 0 && s->rtt_us >= 13000 && s->rtt_us < 1000000 &&
			    s->rtt_us % 1000 == 0,
		    "rtt_us %u from the echo (10 ticks + slept 3 ms, whole ms)", s->rtt_us);
	rtt = s->rtt_us;
	/* sent again, acked without timestamps: Karn, no sample */
	SRV(F_ACK | F_PSH, S0 + 100, C0, 100, W, 1, 70, 5);
	SRV(F_ACK | F_PSH, S0 + 100, C0, 100, W, 1, 80, 5);
	CLI(F_ACK, C0, S0 + 200, 0, W, 0, 0, 0);
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(s->rtt_sent_us == 0 && s->rtt_us == rtt, "a sample without an echo: %u",
		    s->rtt_us);
	/* the remote sends again: its TS clock is its own, no echo sample */
	CLI(F_ACK | F_PSH, C0, S0 + 200, 100, W, 1, 6, 80);
	CLI(F_ACK | F_PSH, C0, S0 + 200, 100, W, 1, 7, 80);
	if (flow(&f, why))
		return -1;
	ASSERT_EQ(f.q[TS_CLIENT].rtt_sent_us, 0, "an echo sample for the remote's copy");
	ASSERT_EQ(s->retrans, 2, "server retransmissions");
	return 0;
}

/* the server sends a segment again: one retransmission at egress, and
 * Karn: the ACK that follows gives no sample */
static int post_retransmit_karn(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;
	__u32 hs_rtt;

	(void)tc;
	if (handshake(0, why) || read_q(&q0) || flow(&f, why))
		return -1;
	hs_rtt = f.q[TS_SERVER].rtt_us; /* the handshake's sample */
	SRV(F_ACK | F_PSH, S0, C0, 1000, W, 0, 0, 0);
	SRV(F_ACK | F_PSH, S0, C0, 1000, W, 0, 0, 0);
	CLI(F_ACK, C0, S0 + 1000, 0, W, 0, 0, 0);
	SRV(F_ACK | F_PSH, S0, C0, 1000, W, 0, 0, 0); /* again, acknowledged already */
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(f.q[TS_SERVER].retrans, 2, "server retransmissions");
	ASSERT_EQ(f.q[TS_CLIENT].retrans, 0, "client retransmissions");
	ASSERT_EQ(q1.retrans[1] - q0.retrans[1], 2, "retransmitted at egress");
	ASSERT_EQ(q1.retrans[0] - q0.retrans[0], 0, "retransmitted at ingress");
	ASSERT_EQ(f.q[TS_SERVER].rtt_us, hs_rtt, "a sample from a range sent twice (Karn)");
	ASSERT_EQ(q1.rtt_sum_us - q0.rtt_sum_us, 0, "histogram moved (Karn)");
	ASSERT_EQ(f.q[TS_SERVER].reorder, 0, "reordering");
	return 0;
}

/* the client's segments at ingress: one overtaken (late, right behind the
 * segment that opened the hole) is reordering; one filling a hole after
 * the sender sent more is a retransmission */
static int post_reorder(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;

	(void)tc;
	if (handshake(0, why))
		return -1;
	SRV(F_ACK | F_PSH, S0, C0, 10, W, 0, 0, 0);
	CLI(F_ACK, C0, S0 + 10, 0, W, 0, 0, 0);
	if (read_q(&q0))
		return -1;
	CLI(F_ACK | F_PSH, C0, S0 + 10, 100, W, 0, 0, 0);
	CLI(F_ACK | F_PSH, C0 + 200, S0 + 10, 100, W, 0, 0, 0); /* a hole: 100..200 */
	CLI(F_ACK | F_PSH, C0 + 100, S0 + 10, 100, W, 0, 0, 0); /* right behind: late */
	SRV(F_ACK, S0 + 10, C0 + 300, 0, W, 0, 0, 0);
	CLI(F_ACK | F_PSH, C0 + 400, S0 + 10, 100, W, 0, 0, 0); /* a hole: 300..400 */
	CLI(F_ACK | F_PSH, C0 + 500, S0 + 10, 100, W, 0, 0, 0); /* the sender went on */
	CLI(F_ACK | F_PSH, C0 + 300, S0 + 10, 100, W, 0, 0, 0); /* then filled it: resent */
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(f.q[TS_CLIENT].reorder, 1, "client reordered");
	ASSERT_EQ(f.q[TS_CLIENT].retrans, 1, "client retransmissions");
	ASSERT_EQ(q1.reorder[0] - q0.reorder[0], 1, "reordered at ingress");
	ASSERT_EQ(q1.retrans[0] - q0.retrans[0], 1, "retransmitted at ingress");
	return 0;
}

/* a keep-alive (Linux: seq snd_una - 1, no data) is no retransmission */
static int post_keepalive(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;

	(void)tc;
	if (handshake(0, why))
		return -1;
	CLI(F_ACK | F_PSH, C0, S0, 100, W, 0, 0, 0);
	SRV(F_ACK, S0, C0 + 100, 0, W, 0, 0, 0);
	if (read_q(&q0))
		return -1;
	CLI(F_ACK, C0 + 99, S0, 0, W, 0, 0, 0);
	CLI(F_ACK, C0 + 99, S0, 1, W, 0, 0, 0); /* BSD's: one old byte */
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(q1.keepalive - q0.keepalive, 2, "keep-alives");
	ASSERT_EQ(q1.win_probe - q0.win_probe, 0, "window probes");
	ASSERT_EQ(f.q[TS_CLIENT].retrans, 0, "client retransmissions");
	return 0;
}

/* the client advertises a zero window: a stall opens, the server's probe
 * is a window probe, the window opening closes the stall with its time */
static int post_zero_window(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;
	const struct ts_quality *c = &f.q[TS_CLIENT];
	uint64_t t0, held;

	(void)tc;
	if (handshake(0, why))
		return -1;
	SRV(F_ACK | F_PSH, S0, C0, 1000, W, 0, 0, 0);
	if (read_q(&q0))
		return -1;
	t0 = coarse_ns();
	CLI(F_ACK, C0, S0 + 1000, 0, 0, 0, 0, 0);
	if (flow(&f, why))
		return -1;
	ASSERT_TRUE(c->zw_since_ms != 0 && c->zw_count == 1, "stall open: since %u count %u",
		    c->zw_since_ms, c->zw_count);
	CLI(F_ACK, C0, S0 + 1000, 0, 0, 0, 0, 0);  /* still zero: the same stall */
	SRV(F_ACK, S0 + 999, C0, 0, W, 0, 0, 0); /* the server's probe */
	sleep_ms(60);
	CLI(F_ACK, C0, S0 + 1000, 0, W, 0, 0, 0);
	held = (coarse_ns() - t0) / 1000000; /* a loaded machine sleeps longer */
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_TRUE(c->zw_since_ms == 0 && c->zw_count == 1, "stall closed: since %u count %u",
		    c->zw_since_ms, c->zw_count);
	/* the coarse clock: a tick (up to 10 ms) either way */
	ASSERT_TRUE(held >= 60 && c->zw_ms + 12 >= held && c->zw_ms <= held + 12,
		    "zero window %u ms, held %llu ms", c->zw_ms, (unsigned long long)held);
	ASSERT_EQ(q1.zw_stalls[0] - q0.zw_stalls[0], 1, "stalls at ingress (remote side)");
	ASSERT_EQ(q1.zw_ms[0] - q0.zw_ms[0], c->zw_ms, "remote side's zero-window ms");
	ASSERT_EQ(q1.win_probe - q0.win_probe, 1, "window probes");
	ASSERT_EQ(q1.keepalive - q0.keepalive, 0, "keep-alives");
	ASSERT_EQ(f.q[TS_SERVER].retrans, 0, "the probe counted as a retransmission");
	return 0;
}

/* the server's last segment sent again after a quiet spell: a TLP; the
 * one below it, sent right after, a plain retransmission */
static int post_tlp(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;

	(void)tc;
	if (handshake(0, why))
		return -1;
	SRV(F_ACK | F_PSH, S0, C0, 100, W, 0, 0, 0);
	sleep_ms(1);
	CLI(F_ACK, C0, S0 + 100, 0, W, 0, 0, 0); /* an SRTT of ~1 ms */
	if (read_q(&q0))
		return -1;
	if (flow(&f, why))
		return -1;
	SRV(F_ACK | F_PSH, S0 + 100, C0, 100, W, 0, 0, 0);
	SRV(F_ACK | F_PSH, S0 + 200, C0, 100, W, 0, 0, 0);
	/* quiet for more than 2 x SRTT; a loaded host's SRTT can be far
	 * above the 1 ms slept */
	sleep_ms(30 + 3 * (f.q[TS_SERVER].srtt_us8 >> 3) / 1000);
	SRV(F_ACK | F_PSH, S0 + 200, C0, 100, W, 0, 0, 0); /* the tail, after quiet */
	SRV(F_ACK | F_PSH, S0 + 100, C0, 100, W, 0, 0, 0);
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(f.q[TS_SERVER].retrans, 2, "server retransmissions");
	ASSERT_EQ(f.q[TS_SERVER].tlp, 1, "server TLPs");
	ASSERT_EQ(q1.tlp - q0.tlp, 1, "TLP counter");
	return 0;
}

/* SYN and SYN-ACK sent again: counted apart, and as retransmissions */
static int post_syn_retrans(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;

	(void)tc;
	if (read_q(&q0))
		return -1;
	CLI(F_SYN, C_ISN, 0, 0, W, 0, 0, 0);
	CLI(F_SYN, C_ISN, 0, 0, W, 0, 0, 0);
	SRV(F_SYN | F_ACK, S_ISN, C0, 0, W, 0, 0, 0);
	SRV(F_SYN | F_ACK, S_ISN, C0, 0, W, 0, 0, 0);
	SRV(F_SYN | F_ACK, S_ISN, C0, 0, W, 0, 0, 0);
	CLI(F_ACK, C0, S0, 0, W, 0, 0, 0);
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(f.q[TS_CLIENT].syn_retrans, 1, "client SYN retransmissions");
	ASSERT_EQ(f.q[TS_SERVER].syn_retrans, 2, "server SYN-ACK retransmissions");
	ASSERT_EQ(f.q[TS_CLIENT].retrans, 1, "client retransmissions");
	ASSERT_EQ(f.q[TS_SERVER].retrans, 2, "server retransmissions");
	ASSERT_EQ(q1.syn_retrans - q0.syn_retrans, 1, "syn_retrans counter");
	ASSERT_EQ(q1.synack_retrans - q0.synack_retrans, 2, "synack_retrans counter");
	ASSERT_EQ(q1.retrans[0] - q0.retrans[0], 1, "retransmitted at ingress");
	ASSERT_EQ(q1.retrans[1] - q0.retrans[1], 2, "retransmitted at egress");
	/* Karn: both handshake samples came from ranges sent again */
	ASSERT_EQ(f.q[TS_CLIENT].rtt_us + f.q[TS_SERVER].rtt_us, 0, "a handshake sample");
	return 0;
}

/* data far outside the receiver's window, which its kernel drops (an
 * off-path guess): no retransmission, no reordering, no sample ended */
static int post_dropped_moves_nothing(const struct tcase *tc, char *why)
{
	struct ts_qcounters q0, q1;
	struct ts_flow f;

	(void)tc;
	if (handshake(0, why))
		return -1;
	SRV(F_ACK | F_PSH, S0, C0, 100, W, 0, 0, 0);
	if (read_q(&q0))
		return -1;
	CLI(F_ACK | F_PSH, C0 - 3000000, S0 + 100, 100, 0, 0, 0, 0); /* far behind, win 0 */
	if (flow(&f, why) || read_q(&q1))
		return -1;
	ASSERT_EQ(f.q[TS_CLIENT].retrans + f.q[TS_CLIENT].reorder, 0, "client counts");
	ASSERT_EQ(q1.retrans[0] - q0.retrans[0], 0, "retransmitted at ingress");
	ASSERT_EQ(f.q[TS_CLIENT].zw_count, 0, "a zero window from a dropped segment");
	ASSERT_TRUE(f.q[TS_SERVER].rtt_sent_us != 0, "its ACK ended the server's sample");
	return 0;
}

static const struct tcase cases[] = {
	{ .name = "RTT: the server's segment until the client's ACK (seq)", .post = post_rtt_ack },
	{ .name = "RTT: the ACK of a range sent again timed by its echo (timestamps both ends)",
	  .post = post_rtt_ts },
	{ .name = "retransmit at egress, and Karn: no sample from it", .post = post_retransmit_karn },
	{ .name = "reorder: late right behind the hole's opener; resent after more came",
	  .post = post_reorder },
	{ .name = "keep-alive: not a retransmission", .post = post_keepalive },
	{ .name = "zero window: open, window probe, close with its time",
	  .post = post_zero_window },
	{ .name = "TLP: the tail sent again after a quiet spell", .post = post_tlp },
	{ .name = "SYN and SYN-ACK retransmissions counted apart", .post = post_syn_retrans },
	{ .name = "a segment the receiver drops moves nothing",
	  .post = post_dropped_moves_nothing },
};

AREA(quality, cases);
