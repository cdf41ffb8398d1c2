// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "anomaly": mid-stream pickups and RSTs, and the per-segment
 * anomalies: bad_flags, rst_out_of_window, rst_in_window_inexact,
 * out_of_window, syn_data, rst_no_conn, ack_no_conn, and the per-kind
 * event rate limit.
 */
#include "harness.h"

/* TFO (kind 34) with an 8-byte cookie, then MSS; and a cookie request */
static const uint8_t opt_tfo_cookie[] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x05, 0xb4 };
static const uint8_t opt_tfo_request[] = { 2, 4, 0x05, 0xb4, 34, 2 };

/* a real connection picked up mid-stream, answered by the other direction:
 * confirmed, and its sender repeating past the grace is no ack_no_conn */
static int post_pickup_answered(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	struct ts_flow f;
	int k;

	(void)tc;
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in");
	ASSERT_EQ(flow_of(C4, CPORT, S4, 443, &f), 2, "picked up into pickups");
	ASSERT_EQ(f.flags & (TS_F_PICKED_UP | TS_F_CONFIRMED), TS_F_PICKED_UP, "unconfirmed");
	ASSERT_EQ(send_seg(TC, S4, 443, C4, CPORT, F_ACK, 5000, 1000), 0, "ack out");
	ASSERT_EQ(flow_of(C4, CPORT, S4, 443, &f), 0, "answered: moved to flows");
	ASSERT_EQ(map_count(pick_fd), 0, "pickups left");
	ASSERT_EQ(f.flags & (TS_F_CONFIRMED | TS_F_ACK_REPORTED), TS_F_CONFIRMED, "confirmed");
	sleep_ms(1100);
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in again");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in again");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	for (k = 0; k < TS_A_MAX; k++)
		ASSERT_EQ(an[k], 0, "anomaly count");
	return 0;
}

/* a spoofed lone ACK tuple: repeated within the grace, nothing; repeated
 * past it, one ack_no_conn (once per entry, however often it repeats) */
static int post_ack_no_conn(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	struct ts_flow f;
	int i;

	(void)tc;
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events within the grace");
	sleep_ms(1100);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_NO_CONN, -1), 1, "ack_no_conn events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY) {
			ASSERT_EQ(evs[i].got, 111, "seq");
			ASSERT_EQ(evs[i].detail, 222, "ack");
			ASSERT_EQ(evs[i].dir, 0, "hook");
		}
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_ACK_NO_CONN], 1, "ack_no_conn count");
	ASSERT_EQ(an[TS_A_ACK_FLOOD], 0, "ack_flood count");
	ASSERT_EQ(flow_of(SPOOF_BASE + 7, 51000, S4, 80, &f), 2, "in pickups, never flows");
	ASSERT_EQ(f.flags & (TS_F_CONFIRMED | TS_F_ACK_REPORTED), TS_F_ACK_REPORTED, "marked");
	return 0;
}

static const struct tcase cases[] = {
	/* -- mid-stream pickups and RSTs -- */
	{ "mid-stream pickup: ACK with data for an unknown tuple",
	  STEPS({ "data in", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK | F_PSH,
				       .paylen = 200),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .family = 4,
			 .fl_set = TS_F_PICKED_UP, .hist = "D" } }) },
	{ "mid-stream pickup from the server side at tc: lower port is the server",
	  STEPS({ "data out", TC, S2C4(.seq = 5, .ack = 6, .flags = F_ACK, .paylen = 10),
		  CNT(OUT1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP, .hist = "d" } }) },
	{ "pickup answered by the host's RST (a spoofed ACK): stays in pickups, never flows",
	  STEPS({ "spoofed ACK in", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "RST out", TC, S2C4(.seq = 88888, .flags = F_RST),
		  CNT(OUT1, [TS_C_RST] = 1),
		  .m = { M_PICK, CL_DST, TS_CLOSED, TS_CLOSED, .fl_set = TS_F_CONFIRMED } }) },
	{ "pure ACK padded to 60 bytes: padding is not data",
	  STEPS({ "ACK in", XDP, C2S4(.seq = 1, .ack = 2, .flags = F_ACK, .pad_to = 60),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "A" } }) },
	{ "RST for an unknown tuple: rst_untracked, no entry",
	  STEPS({ "RST in", XDP, C2S4(.seq = 1234, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_UNTRACKED_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_NO_CONN] = 1),
		  .ae = { TS_A_RST_NO_CONN, .client = CL_UNKNOWN, .facts = 1, .got = 1234 },
		  NOTHING }) },
	{ "RST|ACK for an unknown tuple at tc: rst_untracked, no entry",
	  STEPS({ "RST out", TC, S2C4(.ack = 1234, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_UNTRACKED_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_NO_CONN] = 1),
		  .ae = { TS_A_RST_NO_CONN, .client = CL_UNKNOWN, .facts = 1, .got = 0,
			  .detail = 1234 },
		  NOTHING }) },
	{ "SYN-ACK for an unknown tuple: picked up half-open",
	  STEPS({ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD,
			 .fl_set = TS_F_PICKED_UP, .s_mss = 1400 } }) },
	{ "refused connection: SYN in, RST|ACK out -> both CLOSED",
	  STEPS(HS_SYN(),
		{ "RST|ACK out", TC, S2C4(.seq = 0, .ack = C_ISN + 1, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1),
		  .m = { M_EMB, CL_DST, TS_CLOSED, TS_CLOSED, .hist = "Sr" } }) },
	{ "RST|ACK not acking the SYN is ignored",
	  STEPS(HS_SYN(),
		{ "RST|ACK out", TC, S2C4(.seq = 0, .ack = C_ISN + 77, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 77, .detail = 0 },
		  .m = { M_EMB, CL_DST, TS_SYN_SENT, TS_LISTEN } }) },
	{ "RST in window but not exact is ignored (RFC 5961)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in, seq +100", XDP, C2S4(.seq = C_ISN + 101, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_IN_WINDOW_INEXACT] = 1),
		  .ae = { TS_A_RST_IN_WINDOW_INEXACT, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 101, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "RST in ESTABLISHED at the exact sequence closes both",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in", XDP, C2S4(.seq = C_ISN + 1, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED, .hist = "ShAR" } }) },

	/* -- anomalies: the per-packet kinds -- */
	{ "bad_flags: NULL scan (no flags) flagged, passed, not tracked",
	  STEPS({ "NULL in", XDP, C2S4(.seq = 7, .flags = 0),
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = 0,
			  .detail = TS_BF_NULL },
		  NOTHING }) },
	{ "bad_flags: SYN+FIN",
	  STEPS({ "SYN|FIN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN | F_FIN),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_SYN | F_FIN,
			  .detail = TS_BF_SYN_FIN },
		  NOTHING }) },
	{ "bad_flags: SYN+FIN with a malformed option (MSS of length 3)",
	  STEPS({ "SYN|FIN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN | F_FIN,
					  .rawopt = (const uint8_t[]){ 2, 3, 0x05, 1 },
					  .rawoptlen = 4),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_SYN | F_FIN,
			  .detail = TS_BF_SYN_FIN },
		  NOTHING }) },
	{ "bad_flags: SYN+RST at tc",
	  STEPS({ "SYN|RST out", TC, S2C4(.seq = S_ISN, .flags = F_SYN | F_RST),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_SYN | F_RST,
			  .detail = TS_BF_SYN_RST },
		  NOTHING }) },
	{ "bad_flags: SYN+FIN+ACK (a SYN-ACK with FIN)",
	  STEPS({ "SYN|FIN|ACK in", XDP, C2S4(.seq = C_ISN, .ack = 9, .flags = F_SYN | F_FIN | F_ACK),
		  CNT(IN1, [TS_C_SYNACK] = 1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_SYN | F_FIN | F_ACK, .detail = TS_BF_SYN_FIN },
		  NOTHING }) },
	{ "bad_flags: FIN without ACK (FIN scan)",
	  STEPS({ "FIN in", XDP, C2S4(.seq = 7, .flags = F_FIN),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_FIN,
			  .detail = TS_BF_FIN_NO_ACK },
		  NOTHING }) },
	{ "bad_flags: XMAS (FIN+PSH+URG), ipv6",
	  STEPS({ "XMAS in", XDP, C2S6(.seq = 7, .flags = F_FIN | F_PSH | F_URG),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_FIN | F_PSH | F_URG, .detail = TS_BF_XMAS },
		  NOTHING }) },
	{ "bad_flags: PSH alone (no ACK)",
	  STEPS({ "PSH in", XDP, C2S4(.seq = 7, .flags = F_PSH, .paylen = 10),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_PSH,
			  .detail = TS_BF_NO_ACK },
		  NOTHING }) },
	{ "bad_flags: XMAS into an established flow changes nothing",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "XMAS in", XDP, C2S4(.seq = C_ISN + 1, .flags = F_FIN | F_PSH | F_URG),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_FIN | F_PSH | F_URG, .detail = TS_BF_XMAS },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } }) },
	{ "not bad_flags: ECN SYN (SYN+ECE+CWR), RST alone, FIN+PSH+ACK close",
	  STEPS({ "ECN SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN | F_ECE | F_CWR, SYN_OPTS),
		  SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK | F_ECE, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD } },
		HS_ACK(),
		{ "FIN|PSH|ACK with data in", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_PSH | F_ACK,
		       .paylen = 10),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "FIN|ACK out (ACKs the client's: taken)", TC,
		  S2C4(.seq = S_ISN + 1, .ack = C_ISN + 12, .flags = F_FIN | F_ACK),
		  CNT(OUT1, [TS_C_FIN] = 1),
		  .m = { M_FLOWS, CL_DST, TS_TIME_WAIT, TS_LAST_ACK } },
		{ "last ACK in", XDP, C2S4(.seq = C_ISN + 12, .ack = S_ISN + 2, .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_TIME_WAIT, TS_CLOSED } },
		{ "RST (no ACK) at the exact sequence after the close", XDP,
		  C2S4(.seq = C_ISN + 12, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } }) },
	{ "not rst_in_window_inexact: the server's reset answering a data segment that came "
	  "after the client's abort (its ACK old), at tc",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data in (101 bytes)", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						   .flags = F_ACK, .paylen = 101),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "the echo out (100 bytes)", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 102,
						       .flags = F_ACK, .paylen = 100),
		  CNT(OUT1, [TS_C_DATA] = 1) },
		{ "the client's ACK of it", XDP, C2S4(.seq = C_ISN + 102, .ack = S_ISN + 101,
						      .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1) },
		{ "the client's abort, exact", XDP,
		  C2S4(.seq = C_ISN + 102, .ack = S_ISN + 101, .flags = F_RST | F_ACK),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } },
		{ "its data segment again, late (reordered)", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK, .paylen = 101),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "the reset of a late segment: on its old ACK, no anomaly", TC,
		  S2C4(.seq = S_ISN + 1, .flags = F_RST),
		  CNT(OUT1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_DST, TS_CLOSED, TS_CLOSED } }) },
	{ "rst_out_of_window: RST far outside the window, flow survives",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in, seq +10M", XDP, C2S4(.seq = C_ISN + 10000000, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 10000000, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "data still flows", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "rst_out_of_window from the server side at tc (RST|ACK, seq behind)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST|ACK out, seq -1M", TC,
		  S2C4(.seq = S_ISN + 1 - 1000000, .ack = C_ISN + 1, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = S_ISN + 1, .got = S_ISN + 1 - 1000000, .detail = 65536 },
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "out_of_window: data far ahead on the lock-free path, ignored, flow survives",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data in (first D)", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },
		{ "data in, seq +10M", XDP, C2S4(.seq = C_ISN + 10000000, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_OUT_OF_WINDOW, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 101, .got = C_ISN + 10000000, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "data in order still flows", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1,
							  .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "out_of_window: data far behind from the server at tc",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data out, seq -1M", TC, S2C4(.seq = S_ISN + 1 - 1000000, .ack = C_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(OUT1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = S_ISN + 1, .got = S_ISN + 1 - 1000000, .detail = 65536 },
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "not out_of_window: retransmitted and reordered data, a window probe",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK,
				       .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "data in, ahead (reordered)", XDP, C2S4(.seq = C_ISN + 201, .ack = S_ISN + 1,
							   .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "SACK-style ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 101,
						 .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1) },
		{ "the gap in", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1, .flags = F_ACK,
					  .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "retransmission in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "ACK out, zero window", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 301,
						   .flags = F_ACK, .win = 0),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1) },
		{ "window probe in (1 byte)", XDP, C2S4(.seq = C_ISN + 301, .ack = S_ISN + 1,
							 .flags = F_ACK, .paylen = 1),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "not out_of_window: a picked-up connection's data far from the first seen",
	  STEPS({ "data in (pickup)", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1) },
		{ "ACK out", TC, S2C4(.seq = 88888, .ack = 77877, .flags = F_ACK, .win = 1),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP_CONFIRM] = 1, [TS_C_FLOW_INSERT] = 1) },
		{ "data in, +5M", XDP, C2S4(.seq = 77877 + 5000000, .ack = 88888, .flags = F_ACK,
					    .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } }) },
	{ "not rst_*: an exact RST|ACK closes a picked-up connection",
	  STEPS({ "data in (pickup)", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } },
		{ "ACK out (pickup's other side)", TC, S2C4(.seq = 88888, .ack = 77877,
							     .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP_CONFIRM] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "RST|ACK in, exact", XDP, C2S4(.seq = 77877, .ack = 88888, .flags = F_RST | F_ACK),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } }) },
	{ "syn_data: payload on a SYN without TFO, still tracked",
	  STEPS({ "SYN with 10 bytes in", XDP, SYN4(.paylen = 10),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_DATA] = 1, [TS_C_EMB_INSERT] = 1,
		      [TS_C_EVENTS] = 1),
		  ANOM([TS_A_SYN_DATA] = 1),
		  .ae = { TS_A_SYN_DATA, .client = CL_SRC, .facts = 1, .got = 10,
			  .detail = TS_OPT_MSS | TS_OPT_WSCALE | TS_OPT_SACKOK | TS_OPT_TS },
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN } }) },
	{ "syn_data: payload on a SYN-ACK at tc",
	  STEPS(HS_SYN(),
		{ "SYN-ACK with 20 bytes out", TC,
		  S2C4(.seq = S_ISN, .ack = C_ISN + 1, .flags = F_SYN | F_ACK, .paylen = 20),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_SYN_DATA] = 1),
		  .ae = { TS_A_SYN_DATA, .client = CL_DST, .facts = 1, .got = 20, .detail = 0 },
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD } }) },
	{ "not syn_data: TFO data on a SYN (cookie option), TFO cookie request",
	  STEPS({ "TFO SYN with cookie and 30 bytes in", XDP,
		  C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_tfo_cookie,
		       .rawoptlen = sizeof(opt_tfo_cookie), .paylen = 30),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_DATA] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460 } },
		{ "retransmitted SYN, TFO cookie request, no data", XDP,
		  C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_tfo_request,
		       .rawoptlen = sizeof(opt_tfo_request)),
		  CNT(IN1, [TS_C_SYN] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN } }) },
	{ "rate limit: 200 NULL frames on one CPU -> count 200, 50 events; the next carries 150",
	  STEPS({ "200 x NULL in", XDP, C2S4(.seq = 7, .flags = 0), .repeat = 200,
		  CNT([TS_C_PKTS_IN] = 200, [TS_C_TCP] = 200, [TS_C_EVENTS] = TS_RL_BURST),
		  ANOM([TS_A_BAD_FLAGS] = 200),
		  .ae = { TS_A_BAD_FLAGS, .nev = TS_RL_BURST, .client = CL_UNKNOWN,
			  .sup = 1, .suppressed = 0 },
		  NOTHING },
		{ "one more after 2 tokens' worth of time", XDP, C2S4(.seq = 7, .flags = 0),
		  .sleep_ms = 2 * 1000 / TS_RL_RATE,
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .sup = 1,
			  .suppressed = 200 - TS_RL_BURST },
		  NOTHING },
		{ "and the next one has nothing suppressed", XDP, C2S4(.seq = 7, .flags = 0),
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .sup = 1, .suppressed = 0 },
		  NOTHING }) },
	{ "pickup answered by the other direction: confirmed, no ack_no_conn past the grace",
	  .post = post_pickup_answered },
	{ "ack_no_conn: a spoofed lone ACK tuple repeated past the 1 s grace -> once",
	  .post = post_ack_no_conn },
};

AREA(anomaly, cases);
