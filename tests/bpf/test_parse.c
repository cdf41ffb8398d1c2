// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "parse": what the parser makes of a frame. SYNs and their
 * options (what the embryonic entry learns), IPv6 extension chains, VLAN
 * tags, IPv4 options and fragments, truncated and lying headers, frames
 * that are not TCP: each tracked as it should be, or counted under its
 * reason and passed.
 */
#include "harness.h"

/* option bytes for the malformed-option cases */
static const uint8_t opt_mss_len3[] = { 2, 3, 0x05, 1 };
static const uint8_t opt_len0[] = { 1, 1, 0x1e, 0 };
static const uint8_t opt_ts_past_end[] = { 2, 4, 0x05, 0xb4, 8, 10, 0, 0 };
static const uint8_t opt_mss_then_len1[] = { 2, 4, 0x05, 0xb4, 0xfd, 1, 0, 0 };
static const uint8_t opt_mss_then_past[] = { 2, 4, 0x05, 0xb4, 0xfe, 10, 0, 0 };
static const uint8_t opt_unknown_then_mss[] = { 0x1e, 4, 0, 0, 1, 1, 2, 4, 0x05, 0x00 };
/* 36 NOPs, then MSS 1200 in the last 4 of the 40 option bytes */
static const uint8_t opt_40_mss_last[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 0x04, 0xb0,
};
/* MSS, EOL, then bytes that would be malformed: ignored after EOL */
static const uint8_t opt_eol_then_junk[] = { 2, 4, 0x05, 0xb4, 0, 2, 3, 9 };

/* a wire device (attach --checksum full): a checksum left for the
 * hardware is a crafted frame's there */
static void setup_csum_full(void)
{
	struct ts_config c = { .csum_full = 1 };
	__u32 zero = 0;

	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		fprintf(stderr, "bpftest: config update: %s\n", strerror(errno));
}

/* an ingress segment the kernel drops for its checksums: counted, moved nothing */
#define CSUM_ERR CNT([TS_C_PKTS_IN] = 1, [TS_C_ERR_CSUM] = 1)
/* the client's FIN|ACK with 301 bytes after the handshake */
#define FIN301(...) C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .paylen = 301, \
			 __VA_ARGS__)

/* the interface's VLAN devices: 802.1Q VID 200 only; 802.1ad VID 100
 * only; 802.1ad VID 100 with an 802.1Q VID 101 on it; none */
static void vlans_q200(void)
{
	set_vlans(200, 0, 0);
}

static void vlans_ad100(void)
{
	set_vlans(0, 100, 0);
}

static void vlans_ad100_q101(void)
{
	set_vlans(0, 100, 101);
}

static void vlans_none(void)
{
	set_vlans(0, 0, 0);
}

/* the client's exact RST|ACK after the handshake */
#define EXACT_RST(...) C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_RST | F_ACK, __VA_ARGS__)
/* an ingress frame tagged with a VID the interface has no device for */
#define NO_DEVICE CNT([TS_C_PKTS_IN] = 1, [TS_C_VLAN_NO_DEVICE] = 1)

static const struct tcase cases[] = {
	/* -- SYNs and the embryonic table -- */
	{ "ipv4 SYN at XDP creates an embryonic entry",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "ipv4 SYN at tc (local client) creates an embryonic entry",
	  STEPS({ "SYN out", TC, SYN4(), CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1),
		  TRACKED_SYN(4) }) },
	{ "SYN retransmission changes nothing",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN again", XDP, SYN4(), CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4) }) },
	{ "SYN without options: none learnt",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN), SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_epfl = EPF_SYN,
			 .c_epfl_clear = EPF_OPTS } }) },
	{ "SYN window scale 20 is capped at 14",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .has_wscale = 1,
				      .wscale = 20),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_wscale = 14 + 1,
			 .c_epfl = TS_EP_WSCALE } }) },
	{ "SYN with an unknown option before MSS",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN,
				      .rawopt = opt_unknown_then_mss,
				      .rawoptlen = sizeof(opt_unknown_then_mss)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1280 } }) },

	{ "SYN with 40 option bytes, MSS last",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_40_mss_last,
				      .rawoptlen = sizeof(opt_40_mss_last)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1200 } }) },
	{ "SYN with 40 option bytes behind IHL=15 and QinQ, at tc",
	  STEPS({ "SYN out", TC, C2S4(.seq = C_ISN, .flags = F_SYN, .nvlan = 2,
				      .ip_optlen = 40, .rawopt = opt_40_mss_last,
				      .rawoptlen = sizeof(opt_40_mss_last)),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1200 } }) },
	{ "SYN options: bytes after EOL are not parsed",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_eol_then_junk,
				      .rawoptlen = sizeof(opt_eol_then_junk)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460,
			 .c_epfl_clear = TS_EP_WSCALE } }) },
	{ "ipv6 SYN behind a 1000-byte destination-options header: tracked",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_DST(124))), SYN_TRACKED_CNT,
		  TRACKED_SYN(6) }) },

	/* -- IPv6 -- */
	{ "ipv6 SYN",
	  STEPS({ "SYN in", XDP, SYN6(), SYN_TRACKED_CNT, TRACKED_SYN(6) }) },
	{ "ipv6 SYN with hop-by-hop + destination options",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_HBH(0), X_DST(1))), SYN_TRACKED_CNT,
		  TRACKED_SYN(6) }) },
	{ "ipv6 SYN with hop-by-hop + routing + first fragment + dest opts, at tc",
	  STEPS({ "SYN out", TC, SYN6(V6EXT(X_HBH(0), X_RT(2), X_FRAG(0, 1), X_DST(0))),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1), TRACKED_SYN(6) }) },
	{ "ipv6 non-first fragment: ip_fragments_later, no entry",
	  STEPS({ "fragment in", XDP, SYN6(V6EXT(X_FRAG(185, 0))),
		  ERR_ONLY(TS_C_FRAG_LATER) }) },
	{ "ipv6 non-first fragment of UDP: non_tcp (action.fragment is TCP's)",
	  STEPS({ "fragment in", XDP,
		  C2S6(.l4proto = FR_IPPROTO_UDP, .paylen = 64, V6EXT(X_FRAG(185, 0))),
		  ERR_ONLY(TS_C_NON_TCP) }) },
	{ "ipv6 6 extension headers: tracked",
	  STEPS({ "SYN in", XDP,
		  SYN6(V6EXT(X_HBH(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0))),
		  SYN_TRACKED_CNT, TRACKED_SYN(6) }) },
	{ "ipv6 7 extension headers: parse_error_ipv6_chain_too_long",
	  STEPS({ "SYN in", XDP,
		  SYN6(V6EXT(X_HBH(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0),
			     X_DST(0))),
		  ERR_ONLY(TS_C_ERR_IPV6_CHAIN) }) },
	{ "ipv6 truncated extension header: parse_error_ipv6_ext",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_DST(1)), .cut = 14 + 40 + 12, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_IPV6_EXT) }) },
	{ "ipv6 payload length past the frame: parse_error_ipv6",
	  STEPS({ "SYN in", XDP, SYN6(.tot_len = 400), ERR_ONLY(TS_C_ERR_IPV6) }) },
	{ "ipv6 UDP: non_tcp",
	  STEPS({ "UDP in", XDP, C2S6(.l4proto = FR_IPPROTO_UDP, .paylen = 20),
		  ERR_ONLY(TS_C_NON_TCP) }) },

	/* -- VLANs -- */
	{ "one VLAN tag: tracked",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 1), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "QinQ (802.1ad + 802.1Q): tracked",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 2), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "QinQ ipv6 at tc: tracked",
	  STEPS({ "SYN out", TC, SYN6(.nvlan = 2, V6EXT(X_HBH(0))),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1), TRACKED_SYN(6) }) },
	{ "three VLAN tags: parse_error_vlan",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 3), ERR_ONLY(TS_C_ERR_VLAN) }) },
	{ "VLAN tag cut short: parse_error_vlan",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 2, .cut = 16), ERR_ONLY(TS_C_ERR_VLAN) }) },
	/* the kernel drops a frame tagged with a VID the interface has no
	 * device for (not this host's): it moves nothing here */
	{ "exact RST|ACK tagged with a VID with no device: vlan_no_device, moves nothing; "
	  "tagged with one that has a device: closes",
	  .setup = vlans_q200,
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "exact RST|ACK in, VID 100", XDP, EXACT_RST(.nvlan = 1), NO_DEVICE,
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "exact FIN|ACK in, VID 100", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .nvlan = 1),
		  NO_DEVICE, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "exact RST|ACK in, VID 200", XDP,
		  EXACT_RST(.nvlan = 1, .vids = 1, .vid = { 200 }), CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } }) },
	{ "a SYN tagged with a VID with no device: no entry, no sketch",
	  .setup = vlans_q200,
	  STEPS({ "SYN in, VID 100", XDP, SYN4(.nvlan = 1), NO_DEVICE, NOTHING }) },
	{ "untagged and priority-tagged (VID 0) frames are not judged by VLAN",
	  .setup = vlans_none,
	  STEPS({ "SYN in, untagged", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN in again, VID 0", XDP, SYN4(.nvlan = 1, .vids = 1, .vid = { 0 }),
		  CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4) }) },
	/* QinQ: the outer tag is the interface's to judge (802.1ad's set); a
	 * priority tag is taken off and the tag after it judged instead */
	{ "QinQ: the outer 802.1ad VID is judged, not the 802.1Q set's",
	  .setup = vlans_q200,
	  STEPS({ "SYN in, ad 200 + q 101", XDP, SYN4(.nvlan = 2, .vids = 1, .vid = { 200, 101 }),
		  NO_DEVICE, NOTHING }) },
	{ "QinQ: an outer 802.1ad VID with a device, the inner VID with none on it: vlan_no_device",
	  .setup = vlans_ad100,
	  STEPS({ "SYN in, ad 100 + q 101", XDP, SYN4(.nvlan = 2), NO_DEVICE, NOTHING },
		{ "SYN in, ad 100 + q 0 (a priority tag inside)", XDP,
		  SYN4(.nvlan = 2, .vids = 1, .vid = { 100, 0 }), SYN_TRACKED_CNT,
		  TRACKED_SYN(4) }) },
	{ "QinQ: both VIDs with devices is tracked",
	  .setup = vlans_ad100_q101,
	  STEPS({ "SYN in, ad 100 + q 101", XDP, SYN4(.nvlan = 2), SYN_TRACKED_CNT,
		  TRACKED_SYN(4) }) },
	{ "a priority tag (VID 0) then VID 100: the inner tag is judged",
	  .setup = vlans_q200,
	  STEPS({ "SYN in, ad 0 + q 100", XDP, SYN4(.nvlan = 2, .vids = 1, .vid = { 0, 100 }),
		  NO_DEVICE, NOTHING },
		{ "SYN in, ad 0 + q 200", XDP, SYN4(.nvlan = 2, .vids = 1, .vid = { 0, 200 }),
		  SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "egress is the host's own: a tag with no device is tracked",
	  .setup = vlans_none,
	  STEPS({ "SYN out, VID 100", TC, SYN4(.nvlan = 1),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1), TRACKED_SYN(4) }) },

	/* -- IPv4 options and fragments -- */
	{ "ipv4 with options (IHL=8): tracked",
	  STEPS({ "SYN in", XDP, SYN4(.ip_optlen = 12), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "ipv4 first fragment (MF, offset 0) with TCP: tracked",
	  STEPS({ "SYN in", XDP, SYN4(.mf = 1), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	/* RFC 1858's tiny fragment: the TCP header (or its options) split
	 * across fragments. The kernel reassembles it; XDP sees no flags to
	 * judge: its own counter, judged by action.tiny_fragment (test_verdict) */
	{ "ipv4 first fragment with 8 bytes of TCP (a FIN's ports and seq): parse_error_tiny_fragment",
	  STEPS({ "FIN in", XDP, C2S4(.flags = F_FIN | F_ACK, .seq = 5, .mf = 1,
				      .cut = 14 + 20 + 8, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TINY_FRAG) }) },
	{ "ipv4 first fragment ending inside the SYN's options: parse_error_tiny_fragment",
	  STEPS({ "SYN in", XDP, SYN4(.mf = 1, .cut = 14 + 20 + 24, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TINY_FRAG) }) },
	{ "ipv6 first fragment with 8 bytes of TCP: parse_error_tiny_fragment",
	  STEPS({ "RST in", XDP, C2S6(.flags = F_RST, .seq = 5, V6EXT(X_FRAG(0, 1)),
				      .cut = 14 + 40 + 8 + 8, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TINY_FRAG) }) },
	{ "ipv4 header cut short without MF: parse_error_tcp, not a fragment",
	  STEPS({ "FIN in", XDP, C2S4(.flags = F_FIN | F_ACK, .seq = 5,
				      .cut = 14 + 20 + 8, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "ipv4 later fragment (offset>0): ip_fragments_later, no entry",
	  STEPS({ "fragment in", XDP, SYN4(.frag_off = 185, .paylen = 64),
		  ERR_ONLY(TS_C_FRAG_LATER) }) },
	{ "ipv4 later fragment of UDP: non_tcp (action.fragment is TCP's)",
	  STEPS({ "fragment in", XDP, C2S4(.l4proto = FR_IPPROTO_UDP, .frag_off = 185, .paylen = 64),
		  ERR_ONLY(TS_C_NON_TCP) }) },
	{ "ipv4 last fragment (offset>0, no MF) at tc: ip_fragments_later",
	  STEPS({ "fragment out", TC, SYN4(.frag_off = 1, .mf = 0, .paylen = 8),
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_FRAG_LATER] = 1), NOTHING }) },

	/* -- truncated and lying headers -- */
	{ "frame shorter than Ethernet: parse_error_eth",
	  /* 8 bytes of XDP metadata + 6 of frame: the program would see 6
	   * bytes, but kernels since ~6.x refuse data - meta < ETH_HLEN, and
	   * the skb path always requires ETH_HLEN: then the case is skipped */
	  STEPS({ "6-byte frame", XDP, { .ethertype = FR_ETH_P_ARP, .cut = 6 },
		  .xdp_meta = 8, .skip_einval = 1, ERR_ONLY(TS_C_ERR_ETH) }) },
	{ "ipv4 IHL<5: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.ihl = 4), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 header cut short: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.cut = 14 + 12), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 IHL past the frame: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .ihl = 15),
		  ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 version 5: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.version = 5), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 tot_len larger than the frame: parse_error_ipv4_length",
	  STEPS({ "SYN in", XDP, SYN4(.tot_len = 1000), ERR_ONLY(TS_C_ERR_IPV4_LEN) }) },
	{ "ipv4 tot_len larger than the frame, at tc: parse_error_ipv4_length",
	  STEPS({ "SYN out", TC, SYN4(.tot_len = 1000),
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_ERR_IPV4_LEN] = 1), NOTHING }) },
	{ "ipv4 tot_len smaller than the header: parse_error_ipv4_length",
	  STEPS({ "SYN in", XDP, SYN4(.tot_len = 12), ERR_ONLY(TS_C_ERR_IPV4_LEN) }) },
	{ "tcp doff<5: parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 4),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "tcp doff past the end: parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 15),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "tcp doff past tot_len (Ethernet padding behind): parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 8, .pad_to = 128),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "truncated tcp header: parse_error_tcp",
	  STEPS({ "SYN in", XDP, SYN4(.cut = 14 + 20 + 10, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	/* options walked as the kernel walks them (tcp_parse_options): a known
	 * option of the wrong length is skipped, a length under 2 or past the
	 * option space ends the walk; the SYN is tracked like a clean one */
	{ "SYN with MSS of length 3: tracked, no MSS learnt",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_mss_len3,
				      .rawoptlen = sizeof(opt_mss_len3)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_epfl = EPF_SYN,
			 .c_epfl_clear = EPF_OPTS, .hist = "S" } }) },
	{ "SYN with an option of length 0 after NOPs: tracked",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_len0,
				      .rawoptlen = sizeof(opt_len0)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_epfl = EPF_SYN, .hist = "S" } }) },
	{ "SYN with MSS, then an option of length 1: tracked, MSS kept",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_mss_then_len1,
				      .rawoptlen = sizeof(opt_mss_then_len1)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460,
			 .c_epfl = EPF_SYN } }) },
	{ "SYN with MSS, then an unknown option past the option space: MSS kept",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_mss_then_past,
				      .rawoptlen = sizeof(opt_mss_then_past)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460,
			 .c_epfl = EPF_SYN } }) },
	{ "SYN-ACK at tc with timestamps past the option space: tracked, MSS kept",
	  STEPS({ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = 1, .flags = F_SYN | F_ACK,
					  .rawopt = opt_ts_past_end,
					  .rawoptlen = sizeof(opt_ts_past_end)),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD, .s_mss = 1460, .s_epfl = EPF_SYN,
			 .s_epfl_clear = TS_EP_TS } }) },
	{ "malformed tcp option on a non-SYN is not parsed (pickup)",
	  STEPS({ "ACK in", XDP, C2S4(.seq = 7, .ack = 9, .flags = F_ACK,
				      .rawopt = opt_mss_len3,
				      .rawoptlen = sizeof(opt_mss_len3)),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP] = 1),
		  .m = { M_PICK, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } }) },
	{ "zero-length ipv4 payload: parse_error_tcp",
	  STEPS({ "IP header only", XDP, SYN4(.cut = 14 + 20, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "tcp header cut by tot_len (10 bytes), Ethernet-padded to 60: parse_error_tcp",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .cut = 14 + 20 + 10, .cut_fix_len = 1,
				      .pad_to = 60),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "zero-length ipv4 payload, Ethernet-padded to 60 bytes: parse_error_tcp",
	  STEPS({ "IP header + padding", XDP, C2S4(.flags = F_SYN, .cut = 14 + 20,
							    .cut_fix_len = 1, .pad_to = 60),
		  ERR_ONLY(TS_C_ERR_TCP) }) },

	/* -- checksums: what the kernel drops moves nothing (issue 11) -- */
	{ "bad checksums at the exact sequence change nothing (RST, RST|ACK, RST|PSH|ACK|URG, FIN|ACK, IPv4 header, IP length 4 short)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in, TCP checksum +1", XDP, C2S4(.seq = C_ISN + 1, .flags = F_RST,
							 .tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "RST|ACK in, TCP checksum +1", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_RST | F_ACK, .tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "RST|PSH|ACK|URG in, TCP checksum +1", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_RST | F_PSH | F_ACK | F_URG,
		       .tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "FIN|ACK in, TCP checksum +1", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "RST in, IPv4 header checksum +1", XDP, C2S4(.seq = C_ISN + 1, .flags = F_RST,
							       .ip_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "RST with 10 bytes in, IP length 4 short", XDP,
		  C2S4(.seq = C_ISN + 1, .flags = F_RST, .paylen = 10, .tot_len = 20 + 20 + 10 - 4),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } },
		{ "the exact RST, good checksum: closes", XDP, C2S4(.seq = C_ISN + 1, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED, .hist = "ShAR" } }) },
	{ "SYN with a bad checksum: not tracked; IPv6 too",
	  STEPS({ "SYN in, TCP checksum +1", XDP, SYN4(.tcp_csum_add = 1), ERR_ONLY(TS_C_ERR_CSUM) },
		{ "IPv6 SYN in, TCP checksum +1", XDP,
		  C2S6(.seq = C_ISN, .flags = F_SYN, SYN_OPTS, .tcp_csum_add = 0x100),
		  ERR_ONLY(TS_C_ERR_CSUM) }) },
	{ "pickup: an unknown tuple's ACK with a bad checksum makes no entry",
	  STEPS({ "ACK in, TCP checksum +1", XDP,
		  C2S4(.seq = 7, .ack = 9, .flags = F_ACK, .tcp_csum_add = 1),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_ERR_CSUM] = 1), NOTHING }) },
	{ "FINs with 301 and 1401 bytes: a bad checksum ignored, a good one taken",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "FIN|ACK with 301 bytes, TCP checksum +1", XDP,
		  FIN301(.tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
				   .c_epfl_clear = TS_EP_FIN_QUEUED } },
		{ "FIN|ACK with 1401 bytes, TCP checksum +1", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .paylen = 1401,
		       .tcp_csum_add = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
				   .c_epfl_clear = TS_EP_FIN_QUEUED } },
		{ "FIN|ACK with 1401 bytes: waits for the server's ACK", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .paylen = 1401),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .c_epfl = TS_EP_FIN_QUEUED } },
		{ "the server ACKs it", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 1403, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_FIN_WAIT_2, TS_CLOSE_WAIT } }) },
	/* data the server's kernel would take in order is summed first: with
	 * a bad checksum the kernel drops it, and a FIN it would have made
	 * old still waits */
	{ "data with a bad checksum is not taken in order: a FIN inside it waits",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "100 bytes in, TCP checksum +1", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK | F_PSH, .paylen = 100,
		       .tcp_csum_add = 1),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_ERR_CSUM] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "FIN in, its end the data's: waits", XDP,
		  C2S4(.seq = C_ISN + 51, .ack = S_ISN + 1, .flags = F_FIN | F_ACK, .paylen = 49),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .c_epfl = TS_EP_FIN_QUEUED } }) },
	{ "FIN with 301 bytes and a checksum left for the hardware (a veth peer's): taken",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "FIN|ACK with 301 bytes, partial checksum", XDP,
		  FIN301(.csum_partial = 1),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .c_epfl = TS_EP_FIN_QUEUED } },
		{ "the server ACKs it", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 303, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_FIN_WAIT_2, TS_CLOSE_WAIT } }) },
	{ "a SYN with a checksum left for the hardware on a virtual device (the default): tracked",
	  STEPS({ "SYN in, partial checksum", XDP, SYN4(.csum_partial = 1), SYN_TRACKED_CNT,
		  TRACKED_SYN(4) }) },
	{ "a wire device (--checksum full): a partial checksum's SYN, FIN and pickup move nothing, full ones do",
	  STEPS({ "SYN in, partial checksum", XDP, SYN4(.csum_partial = 1), CSUM_ERR, NOTHING },
		{ "an unknown tuple's ACK, partial checksum", XDP,
		  C2S4(.sport = 999, .seq = 7, .ack = 9, .flags = F_ACK, .csum_partial = 1),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_ERR_CSUM] = 1), NOTHING },
		HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "FIN|ACK with 301 bytes, partial checksum", XDP,
		  FIN301(.csum_partial = 1),
		  CSUM_ERR, .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
				   .c_epfl_clear = TS_EP_FIN_QUEUED } },
		{ "FIN|ACK with 301 bytes", XDP,
		  FIN301(),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .c_epfl = TS_EP_FIN_QUEUED } },
		{ "the server ACKs it", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 303, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_FIN_WAIT_2, TS_CLOSE_WAIT } }),
	  .setup = setup_csum_full },

	/* -- not TCP -- */
	{ "ARP: non_ip",
	  STEPS({ "ARP in", XDP, { .ethertype = FR_ETH_P_ARP }, ERR_ONLY(TS_C_NON_IP) }) },
	{ "ARP at tc: non_ip",
	  STEPS({ "ARP out", TC, { .ethertype = FR_ETH_P_ARP },
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_NON_IP] = 1), NOTHING }) },
	{ "UDP: non_tcp",
	  STEPS({ "UDP in", XDP, C2S4(.l4proto = FR_IPPROTO_UDP, .paylen = 20),
		  ERR_ONLY(TS_C_NON_TCP) }) },

};

AREA(parse, cases);
