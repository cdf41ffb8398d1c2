// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "verdict": every verdict the datapath gives, each counted
 * exactly once. One case per kind: pass (both hooks), drop for each family
 * of reasons (the lists, a ban, the SYN limits, fragments and unparsed
 * chains, an anomaly's action, a flood's action, a port scan (no ban), a
 * bad SYN cookie), XDP_TX for a SYN cookie's SYN-ACK, and a would-drop in
 * observe mode. Every step checks (harness.c) that its frame's verdict
 * counter moved by one and no other, that the verdict counters moved by
 * as much as the frames seen, and that the drop (or would-drop) was
 * counted under exactly the reason named.
 */
#include "harness.h"

#define R(reason) ((reason) + 1) /* struct step's dropped / would */

static void put_policy(struct ts_policy p)
{
	policy_put(0, &p);
}

static void deny_c4(void)
{
	host_put(C4, TS_L_DENY, 0, 0);
	put_policy(pol_mk(TS_MODE_ENFORCE, TS_POL_HOSTS));
}

static void deny_c4_observe(void)
{
	host_put(C4, TS_L_DENY, 0, 0);
	put_policy(pol_mk(TS_MODE_OBSERVE, TS_POL_HOSTS));
}

static void ban_c4(void)
{
	ban_put(C4, mono_ns() + 60000000000ull, TS_A_PORT_SCAN);
	put_policy(pol_mk(TS_MODE_ENFORCE, TS_POL_BANS));
}

static void rate_source(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.syn_rate_per_source = 1; /* one a second, no burst */
	put_policy(p);
}

static void rate_port(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.syn_rate_per_port = 1; /* one second's worth at once: 2 SYNs */
	put_policy(p);
}

static void drop_fragments(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.action_fragment = TS_ACT_DROP;
	p.action_unparsed = TS_ACT_DROP;
	p.action_tiny_fragment = TS_ACT_DROP;
	put_policy(p);
}

static void drop_bad_flags(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.action[TS_A_BAD_FLAGS] = TS_ACT_DROP;
	put_policy(p);
}

/* a flood on in sketch slot `slot` (port for a port slot), counted in the
 * current epoch, so the next frame does not evaluate (and end) it */
static void flood_put(__u32 slot, __u16 port)
{
	struct ts_flood fl = { .active = 1, .port = port };

	next_epoch();
	fl.epoch = coarse_ns() / TS_EPOCH_NS;
	bpf_map_update_elem(map_fd("floods"), &slot, &fl, BPF_ANY);
}

static void syn_flood_drop(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.action[TS_A_SYN_FLOOD] = TS_ACT_DROP;
	put_policy(p);
	flood_put(ts_port_slot(SPORT), SPORT);
}

static void ack_flood_drop(void)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);

	p.action[TS_A_ACK_NO_CONN] = TS_ACT_DROP;
	put_policy(p);
	flood_put(TS_AF_SLOT, 0);
}

/* cookies on for SPORT, in observe mode (cookies act in both) */
static void cookies_on(void)
{
	static const __u64 key[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	struct ts_policy p = pol_mk(TS_MODE_OBSERVE, 0);
	struct ts_config c = { 0 };
	__u32 zero = 0;

	memcpy(c.cookie_key, key, sizeof(key));
	c.handover = 1;
	bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY);
	p.syn_cookies = TS_COOKIES_ON;
	p.cookie_nports = 1;
	p.cookie_ports[0] = SPORT;
	put_policy(p);
}

/*
 * A port scan, enforce mode, action.port_scan=ban, no cookie key (no probe
 * possible): passed until the SYN that crosses the threshold, then every
 * SYN of the suspect to a closed port dropped (port_scan), each counted
 * once; nobody is banned, for nothing proves the source. Which SYN crosses
 * is computed with the sketch's own code (include/tcpsentry/sketch.h), so
 * the check is exact.
 */
static int post_scan_ban(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_BANS);
	struct ts_scan sim = { 0 };
	struct frame_spec syn = SYN4();
	__u32 h, crossed = 0, ports = 0;
	__u32 c4[4] = { 0, 0, htonl(0xffff), htonl(C4) };
	struct ts_list_val b;
	struct ts_drops d;
	int port;

	(void)tc;
	p.action[TS_A_PORT_SCAN] = TS_ACT_BAN;
	p.ban_seconds = 60;
	PCHECK(!policy_put(0, &p), "setup");
	h = ts_addr_hash(c4);
	for (port = 1; port <= 30; port++) {
		syn.dport = (uint16_t)(1000 + port);
		if (!crossed && !ts_scan_note(&sim, h, syn.dport, 1, TS_DEF_SCAN_PORTS)) {
			ports++;
			if (run_checked(XDP, &syn, XDP_PASS, 0, 0, why))
				return -1;
			continue;
		}
		if (!crossed)
			crossed = syn.dport;
		if (run_checked(XDP, &syn, XDP_DROP, R(TS_D_ANOMALY + TS_A_PORT_SCAN), 0, why))
			return -1;
	}
	PCHECK(crossed, "the scan never crossed its threshold");
	PCHECK(!drops_read(&d) && d.bans == 0 && ban_get(C4, &b), "bans %llu, want 0",
	       (unsigned long long)d.bans);
	PCHECK(ports >= TS_DEF_SCAN_PORTS, "%u SYNs passed before the scan, want %u or more", ports,
	       TS_DEF_SCAN_PORTS);
	return 0;
}

#define FRAG4 C2S4(.flags = F_ACK, .frag_off = 185, .paylen = 100)
#define TINY4 C2S4(.flags = F_FIN | F_ACK, .seq = 5, .mf = 1, .cut = 14 + 20 + 8, .cut_fix_len = 1)
#define CHAIN6 C2S6(.flags = F_ACK, .seq = 1, V6EXT(X_DST(0), X_DST(0), X_DST(0), X_DST(0),   \
						    X_DST(0), X_DST(0), X_DST(0)))

static const struct tcase cases[] = {
	{ "pass: a SYN in, its SYN-ACK out, the ACK in: each counted once as passed",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK()) },
	{ "drop, deny: a denied source's SYN at the gate: counted once (deny), feeds nothing",
	  STEPS({ "SYN in", XDP, SYN4(), .verdict = XDP_DROP, CNT(IN1), NOTHING,
		  .dropped = R(TS_D_DENY) }),
	  .setup = deny_c4 },
	{ "drop, banned: a banned source's SYN at the gate: counted once (banned)",
	  STEPS({ "SYN in", XDP, SYN4(), .verdict = XDP_DROP, CNT(IN1), NOTHING,
		  .dropped = R(TS_D_BANNED) }),
	  .setup = ban_c4 },
	{ "would-drop: a denied source's SYN in observe mode passes, tracked, counted once (would deny)",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4),
		  .would = R(TS_D_DENY) }),
	  .setup = deny_c4_observe },
	{ "drop, syn_rate_source: the SYN over the source's limit, counted once, not tracked",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN again, over the limit", XDP, SYN4(), .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4), .dropped = R(TS_D_SYN_RATE_SOURCE) }),
	  .setup = rate_source },
	{ "drop, syn_rate_port: the SYN over the port's budget, counted once",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN again", XDP, SYN4(), CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4) },
		{ "SYN a third time, over the budget", XDP, SYN4(), .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4), .dropped = R(TS_D_SYN_RATE_PORT) }),
	  .setup = rate_port },
	{ "drop, fragment, unparsed, tiny_fragment: a later fragment, an over-long IPv6 chain, a tiny first fragment, each counted once",
	  STEPS({ "fragment in", XDP, FRAG4, .verdict = XDP_DROP,
		  CNT([TS_C_PKTS_IN] = 1, [TS_C_FRAG_LATER] = 1), NOTHING,
		  .dropped = R(TS_D_FRAGMENT) },
		{ "7 extension headers in", XDP, CHAIN6, .verdict = XDP_DROP,
		  CNT([TS_C_PKTS_IN] = 1, [TS_C_ERR_IPV6_CHAIN] = 1), NOTHING,
		  .dropped = R(TS_D_UNPARSED) },
		{ "a FIN's first 8 bytes in a first fragment in", XDP, TINY4, .verdict = XDP_DROP,
		  CNT([TS_C_PKTS_IN] = 1, [TS_C_ERR_TINY_FRAG] = 1), NOTHING,
		  .dropped = R(TS_D_TINY_FRAGMENT) }),
	  .setup = drop_fragments },
	{ "drop, an anomaly's action: action.bad_flags=drop, a NULL scan, counted once (bad_flags)",
	  STEPS({ "NULL in", XDP, C2S4(.seq = 7, .flags = 0), .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = 0,
			  .detail = TS_BF_NULL },
		  NOTHING, .dropped = R(TS_D_ANOMALY + TS_A_BAD_FLAGS) }),
	  .setup = drop_bad_flags },
	{ "drop, a flood's action: a new tuple's SYN to a flooded port, untracked, counted once (syn_flood)",
	  STEPS({ "SYN in", XDP, SYN4(), .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_SYN_UNTRACKED_FLOOD] = 1), NOTHING,
		  .dropped = R(TS_D_ANOMALY + TS_A_SYN_FLOOD) }),
	  .setup = syn_flood_drop },
	{ "drop, a flood's action: an unknown tuple's ACK during an ack_flood, counted once (ack_no_conn)",
	  STEPS({ "ACK in", XDP, C2S4(.seq = 7, .ack = 9, .flags = F_ACK), .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_ACK_UNTRACKED_FLOOD] = 1), NOTHING,
		  .dropped = R(TS_D_ANOMALY + TS_A_ACK_NO_CONN) }),
	  .setup = ack_flood_drop },
	{ "drop, a port scan without probes: passed until the SYN that crosses it, then dropped (port_scan), nobody banned",
	  .post = post_scan_ban },
	{ "drop, bad cookie: a forged cookie's ACK, counted once as dropped (bad_cookie), not as passed",
	  STEPS({ "forged ACK in", XDP, C2S4(.seq = C_ISN + 1, .ack = 0x12345601, .flags = F_ACK),
		  .verdict = XDP_DROP,
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_COOKIE_FAILED] = 1,
		      [TS_C_COOKIE_NOT_RECENT] = 1), NOTHING,
		  .dropped = R(TS_D_BAD_COOKIE) }),
	  .setup = cookies_on },
	{ "tx: a SYN to a cookie port answered with XDP_TX, counted once (tx), no entry",
	  STEPS({ "SYN in", XDP, SYN4(), .verdict = XDP_TX,
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_COOKIE_SENT] = 1), NOTHING }),
	  .setup = cookies_on },
};

AREA(verdict, cases);
