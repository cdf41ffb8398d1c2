// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "policy": enforcement. Verdicts (XDP_PASS / XDP_DROP) and map
 * contents for the allow and deny lists, bans, SYN limits, anomaly actions,
 * fragment and unparsed actions, observe vs enforce, the double-buffered
 * policy slot and the list decision cache; and the sweeper's
 * half_open_timeout, raised through tcpsentry_report.
 */
#include "harness.h"
#include "gc.h"

static int post_pol_deny_modes(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_OBSERVE, TS_POL_HOSTS);
	struct ts_drops d;
	int v;

	(void)tc;
	PCHECK(!host_put(C4, TS_L_DENY, 0, 0) && !policy_put(0, &p), "setup");
	v = syn_from(C4, CPORT, SPORT);
	drops_read(&d);
	PCHECK(v == XDP_PASS, "observe: verdict %d, want XDP_PASS", v);
	PCHECK(d.would_drop[TS_D_DENY] == 1 && d.dropped[TS_D_DENY] == 0,
	       "observe: would_drop %llu dropped %llu, want 1 0",
	       (unsigned long long)d.would_drop[TS_D_DENY], (unsigned long long)d.dropped[TS_D_DENY]);
	PCHECK(map_count(emb_fd) == 1, "observe: the SYN is tracked (embryonic %d)", map_count(emb_fd));
	p.mode = TS_MODE_ENFORCE;
	policy_put(0, &p);
	v = syn_from(C4, CPORT + 1, SPORT);
	drops_read(&d);
	PCHECK(v == XDP_DROP, "enforce: verdict %d, want XDP_DROP", v);
	PCHECK(d.dropped[TS_D_DENY] == 1, "enforce: dropped %llu, want 1",
	       (unsigned long long)d.dropped[TS_D_DENY]);
	PCHECK(map_count(emb_fd) == 1, "enforce: the dropped SYN made no entry (embryonic %d)",
	       map_count(emb_fd));
	v = syn_from(C4 + 1, CPORT, SPORT);
	PCHECK(v == XDP_PASS, "enforce: another source's verdict %d, want XDP_PASS", v);
	return 0;
}

static int post_pol_allow_wins(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_HOSTS | TS_POL_ALLOW | TS_POL_DENY);
	struct ts_drops d;
	int v;

	(void)tc;
	PCHECK(!host_put(C4, TS_L_DENY | TS_L_ALLOW, 0, 0) && !policy_put(0, &p), "setup");
	v = syn_from(C4, CPORT, SPORT);
	PCHECK(v == XDP_PASS, "host in both lists: verdict %d, want XDP_PASS", v);
	/* a denied host inside an allowed prefix */
	PCHECK(!host_put(C4 + 1, TS_L_DENY, 0, 0) && !prefix_put("allow", C4 & ~0xffu, 24), "setup 2");
	v = syn_from(C4 + 1, CPORT, SPORT);
	PCHECK(v == XDP_PASS, "denied host in an allowed /24: verdict %d, want XDP_PASS", v);
	/* a denied prefix */
	PCHECK(!prefix_put("deny", 0x0b000000u, 8), "setup 3");
	v = syn_from(0x0b010203u, CPORT, SPORT);
	PCHECK(v == XDP_DROP, "11.1.2.3 in denied 11.0.0.0/8: verdict %d, want XDP_DROP", v);
	drops_read(&d);
	PCHECK(d.allowed == 2 && d.dropped[TS_D_DENY] == 1, "allowed %llu dropped %llu, want 2 1",
	       (unsigned long long)d.allowed, (unsigned long long)d.dropped[TS_D_DENY]);
	return 0;
}

/* ::/0 in the deny trie as the policy store writes it (TS_L_V6_ONLY):
 * all of IPv6, none of IPv4 (which lives in ::ffff:0:0/96 of the key) */
static int post_pol_deny_v6_all(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_DENY);
	struct ts_lpm_key k = { .prefixlen = TS_LPM_BITS(0) };
	struct ts_list_val val = { .lists = TS_L_V6_ONLY };
	struct frame_spec syn6 = C2S6(.flags = F_SYN, .seq = C_ISN, .win = 65535, .mss = 1460);
	int v;

	(void)tc;
	PCHECK(!bpf_map_update_elem(pfd("deny"), &k, &val, BPF_ANY) && !policy_put(0, &p),
	       "setup");
	v = syn_from(C4, CPORT, SPORT);
	PCHECK(v == XDP_PASS, "IPv4 SYN under a deny of ::/0: verdict %d, want XDP_PASS", v);
	v = verdict(&syn6);
	PCHECK(v == XDP_DROP, "IPv6 SYN under a deny of ::/0: verdict %d, want XDP_DROP", v);
	/* the control: 0.0.0.0/0 denies IPv4 */
	PCHECK(!prefix_put("deny", 0, 0), "setup 2");
	v = syn_from(C4, CPORT, SPORT);
	PCHECK(v == XDP_DROP, "IPv4 SYN under a deny of 0.0.0.0/0: verdict %d, want XDP_DROP", v);
	return 0;
}

static int post_pol_ttl_expired(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_HOSTS);
	int v;

	(void)tc;
	PCHECK(!host_put(C4, TS_L_DENY, mono_ns() - 1000000000ull, 0) && !policy_put(0, &p),
	       "setup");
	v = syn_from(C4, CPORT, SPORT);
	PCHECK(v == XDP_PASS, "an expired deny entry: verdict %d, want XDP_PASS", v);
	host_put(C4, TS_L_DENY, mono_ns() + 60000000000ull, 0);
	v = syn_from(C4, CPORT + 1, SPORT);
	PCHECK(v == XDP_DROP, "a deny entry with 60 s left: verdict %d, want XDP_DROP", v);
	return 0;
}

static int post_pol_slots(const struct tcase *tc, char *why)
{
	struct ts_policy obs = pol_mk(TS_MODE_OBSERVE, TS_POL_HOSTS);
	struct ts_policy enf = pol_mk(TS_MODE_ENFORCE, TS_POL_HOSTS);
	int v0, v1, v2;

	(void)tc;
	PCHECK(!host_put(C4, TS_L_DENY, 0, 0) && !policy_put(0, &obs) && !policy_put(1, &enf),
	       "setup");
	use_slot(0);
	v0 = syn_from(C4, CPORT, SPORT);
	use_slot(1);
	v1 = syn_from(C4, CPORT + 1, SPORT);
	use_slot(0);
	v2 = syn_from(C4, CPORT + 2, SPORT);
	PCHECK(v0 == XDP_PASS && v1 == XDP_DROP && v2 == XDP_PASS,
	       "slot 0 (observe), 1 (enforce), 0 again: verdicts %d %d %d, want pass drop pass",
	       v0, v1, v2);
	return 0;
}

static int post_pol_fragments(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);
	struct frame_spec frag = C2S4(.flags = F_ACK, .frag_off = 185, .paylen = 100);
	struct frame_spec chain = C2S6(.flags = F_ACK, .seq = 1, .next = 7);
	struct frame_spec tiny = C2S4(.flags = F_RST, .seq = 1, .mf = 1, .cut = 14 + 20 + 8,
				      .cut_fix_len = 1);
	struct ts_drops d;
	int i, v0, v1, c0, c1, t0, t1;

	(void)tc;
	for (i = 0; i < 7; i++)
		chain.ext[i] = (struct fr_ext){ .type = FR_IPPROTO_DSTOPTS, .len8 = 0 };
	PCHECK(!policy_put(0, &p), "setup");
	v0 = verdict(&frag);
	c0 = verdict(&chain);
	t0 = verdict(&tiny);
	p.action_fragment = TS_ACT_DROP;
	p.action_unparsed = TS_ACT_DROP;
	p.action_tiny_fragment = TS_ACT_DROP;
	policy_put(0, &p);
	v1 = verdict(&frag);
	c1 = verdict(&chain);
	t1 = verdict(&tiny);
	drops_read(&d);
	PCHECK(v0 == XDP_PASS && c0 == XDP_PASS && t0 == XDP_PASS,
	       "all pass: fragment %d, long chain %d, tiny fragment %d", v0, c0, t0);
	PCHECK(v1 == XDP_DROP && c1 == XDP_DROP && t1 == XDP_DROP,
	       "action.fragment, .unparsed, .tiny_fragment = drop: fragment %d, long chain %d, "
	       "tiny fragment %d", v1, c1, t1);
	PCHECK(d.dropped[TS_D_FRAGMENT] == 1 && d.dropped[TS_D_UNPARSED] == 1 &&
	       d.dropped[TS_D_TINY_FRAGMENT] == 1,
	       "dropped fragment %llu unparsed %llu tiny %llu, want 1 1 1",
	       (unsigned long long)d.dropped[TS_D_FRAGMENT],
	       (unsigned long long)d.dropped[TS_D_UNPARSED],
	       (unsigned long long)d.dropped[TS_D_TINY_FRAGMENT]);
	return 0;
}

static int post_pol_anomaly_actions(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);
	struct frame_spec null = C2S4(.flags = 0, .seq = 5);
	struct frame_spec syndata = C2S4(.flags = F_SYN, .seq = C_ISN, .paylen = 10, SYN_OPTS);
	struct ts_drops d;
	int v0, v1, v2;

	(void)tc;
	p.action[TS_A_BAD_FLAGS] = TS_ACT_DROP;
	PCHECK(!policy_put(0, &p), "setup");
	v0 = verdict(&null);
	v1 = verdict(&syndata);  /* syn_data: action pass */
	p.mode = TS_MODE_OBSERVE;
	policy_put(0, &p);
	v2 = verdict(&null);
	drops_read(&d);
	PCHECK(v0 == XDP_DROP, "enforce, action.bad_flags=drop: NULL scan verdict %d", v0);
	PCHECK(v1 == XDP_PASS, "enforce, action.syn_data=pass: SYN with data verdict %d", v1);
	PCHECK(v2 == XDP_PASS, "observe: NULL scan verdict %d", v2);
	PCHECK(d.dropped[TS_D_ANOMALY + TS_A_BAD_FLAGS] == 1 &&
	       d.would_drop[TS_D_ANOMALY + TS_A_BAD_FLAGS] == 1,
	       "bad_flags dropped %llu would_drop %llu, want 1 1",
	       (unsigned long long)d.dropped[TS_D_ANOMALY + TS_A_BAD_FLAGS],
	       (unsigned long long)d.would_drop[TS_D_ANOMALY + TS_A_BAD_FLAGS]);
	return 0;
}

/* one SYN from a4:sport to port through XDP; a SYN-ACK it was answered
 * with (XDP_TX) leaves its cookie (sequence number) in *cookie */
static int scan_syn(uint32_t a4, uint16_t sport, uint16_t port, __u32 *cookie)
{
	static uint8_t out[FR_MAX];
	struct frame_spec fs = C2S4(.saddr4 = a4, .sport = sport, .dport = port, .flags = F_SYN,
				    .seq = C_ISN, .mss = 1460);
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);
	struct frame in;

	if (frame_build(&fs, &in) < 0)
		return -1;
	o.data_in = in.b;
	o.data_size_in = (__u32)in.len;
	o.data_out = out;
	o.data_size_out = FR_MAX;
	if (bpf_prog_test_run_opts(prog_fd[XDP], &o))
		return -1;
	if (o.retval == XDP_TX && o.data_size_out >= (__u32)in.l4 + 8)
		*cookie = (uint32_t)fr_get16(out + in.l4 + 4) << 16 | fr_get16(out + in.l4 + 6);
	return (int)o.retval;
}

/* TS_EV_ACTION events read so far, and whether all name a4 as the sender */
static int ban_events(uint32_t a4, int *all_a4)
{
	__u8 want[16];
	int i, n = 0;

	fr_v4mapped(want, a4);
	ring_buffer__consume(rb);
	*all_a4 = 1;
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ACTION) {
			n++;
			*all_a4 &= evs[i].kind == TS_A_PORT_SCAN &&
				   !memcmp(evs[i].key.addr[evs[i].sender & 1], want, 16);
		}
	return n;
}

/*
 * Issue 11, attack 2: a ban only on proof. A SYN scan (30 closed ports,
 * action.port_scan=ban) bans nobody: from the SYN that crosses the
 * threshold on, the suspect's SYNs to closed ports are answered with probe
 * cookies (XDP_TX), and an RST back (what the stack of an address a scan
 * was spoofed from sends) changes nothing. The ACK of one probe (what an
 * innocent whose address the scan was spoofed from sends when it really
 * connects to that probed port), again, bans nobody either; the ACKs of
 * probes of two ports, which only a real scanner's stack sends, ban it
 * (the bans map, ban_seconds, one action event); its next SYN is dropped.
 * An allowlisted scanner is never probed nor banned.
 */
static int post_pol_scan_ban(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_BANS);
	struct ts_config c = { 0 };
	struct ts_list_val b;
	struct ts_drops d;
	uint64_t t0 = mono_ns();
	__u32 zero = 0, cookie[31] = { 0 };
	int port, v, first_tx = 0, not_tx_after = 0, all, i;

	(void)tc;
	c.cookie_key[0] = 0x01234567;
	c.cookie_key[1] = 0x89abcdef;
	PCHECK(!bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY), "config");
	p.action[TS_A_PORT_SCAN] = TS_ACT_BAN;
	p.ban_seconds = 60;
	PCHECK(!policy_put(0, &p), "setup");
	for (port = 1; port <= 30; port++) {
		v = scan_syn(C4, CPORT, (uint16_t)(1000 + port), &cookie[port]);
		if (v == XDP_TX && !first_tx)
			first_tx = port;
		else if (v != XDP_TX && first_tx)
			not_tx_after++;
		else if (v != XDP_PASS && !first_tx)
			FAIL_IF(1, "SYN %d before the scan: verdict %d", port, v);
	}
	/* the 21st distinct port, or a little later when two share a bit */
	PCHECK(first_tx > TS_DEF_SCAN_PORTS && first_tx <= TS_DEF_SCAN_PORTS + 4 && !not_tx_after,
	       "first probe at port %d (want 21..24), %d not probed after it", first_tx,
	       not_tx_after);
	PCHECK(count_kind(TS_A_PORT_SCAN, -1) == 1 || (ring_buffer__consume(rb),
						       count_kind(TS_A_PORT_SCAN, -1) == 1),
	       "%d port_scan events, want 1", count_kind(TS_A_PORT_SCAN, -1));
	/* the SYNs alone, and an RST to a probe: nobody banned */
	PCHECK(send_seg(XDP, C4, CPORT, S4, 1030, F_RST, C_ISN + 1, 0) == 0, "test run");
	PCHECK(ban_get(C4, &b) && !drops_read(&d) && d.bans == 0 && ban_events(C4, &all) == 0,
	       "a SYN scan and an RST to a probe banned its source (bans %llu)",
	       (unsigned long long)d.bans);
	PCHECK(syn_from(C4, CPORT + 2, 1030) == XDP_TX, "the suspect's next SYN is not probed");
	/* the probe of port 1030 ACKed, twice: one port's proof bans nobody;
	 * then the probe of port 1029 too: the scanner's stack, banned */
	for (i = 0; i < 3; i++) {
		uint16_t dport = i < 2 ? 1030 : 1029;
		struct frame_spec ack = C2S4(.sport = CPORT, .dport = dport, .flags = F_ACK,
					     .seq = C_ISN + 1, .ack = cookie[dport - 1000] + 1);

		v = verdict(&ack);
		PCHECK(v == XDP_DROP, "the ACK of probe %d: verdict %d, want XDP_DROP", i, v);
		if (i < 2)
			PCHECK(ban_get(C4, &b) && !drops_read(&d) && d.bans == 0,
			       "the ACKs of one port's probe banned its source");
	}
	PCHECK(!ban_get(C4, &b), "no ban after the ACKs of two ports' probes");
	PCHECK(b.lists == TS_L_DENY && b.reason == TS_A_PORT_SCAN &&
	       b.expires_ns >= t0 + 59000000000ull && b.expires_ns <= mono_ns() + 61000000000ull,
	       "ban entry lists %u reason %u expires in %lld ms", b.lists, b.reason,
	       (long long)(b.expires_ns - t0) / 1000000);
	PCHECK(ban_events(C4, &all) == 1 && all, "want one action event naming the scanner");
	PCHECK(map_count(flows_fd) == 0, "a probe's ACK made a flow");
	v = syn_from(C4, CPORT + 1, SPORT);
	drops_read(&d);
	PCHECK(v == XDP_DROP, "the banned source's SYN to an open port: verdict %d", v);
	PCHECK(d.bans == 1 && d.dropped[TS_D_ANOMALY + TS_A_PORT_SCAN] == 3 &&
	       d.dropped[TS_D_BANNED] == 1,
	       "bans %llu, dropped port_scan %llu banned %llu, want 1 3 1",
	       (unsigned long long)d.bans,
	       (unsigned long long)d.dropped[TS_D_ANOMALY + TS_A_PORT_SCAN],
	       (unsigned long long)d.dropped[TS_D_BANNED]);
	/* an allowlisted scanner: never probed, never banned */
	host_put(C4 + 1, TS_L_ALLOW, 0, 0);
	p.flags |= TS_POL_HOSTS;
	policy_put(0, &p);
	for (port = 1; port <= 30; port++)
		PCHECK(syn_from(C4 + 1, CPORT, (uint16_t)(2000 + port)) == XDP_PASS,
		       "allowlisted scanner's SYN %d not passed", port);
	PCHECK(ban_get(C4 + 1, &b), "allowlisted scanner banned");
	return 0;
}

static int post_pol_syn_limits(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, 0);
	struct ts_drops d;
	int i, ok = 0, other = 0, port_ok = 0;

	(void)tc;
	p.syn_rate_per_source = 1; /* one a second: the run below stays inside it */
	p.syn_burst_per_source = 3;
	PCHECK(!policy_put(0, &p), "setup");
	for (i = 0; i < 10; i++)
		ok += syn_from(C4, (uint16_t)(CPORT + i), SPORT) == XDP_PASS;
	for (i = 0; i < 4; i++)
		other += syn_from(C4 + 7, (uint16_t)(CPORT + i), SPORT) == XDP_PASS;
	drops_read(&d);
	PCHECK(ok == 4, "rate 1/s burst 3: %d of 10 SYNs passed, want 4 (1 + burst)", ok);
	PCHECK(other == 4, "another source: %d of 4 passed", other);
	PCHECK(d.dropped[TS_D_SYN_RATE_SOURCE] == 6, "dropped syn_rate_source %llu, want 6",
	       (unsigned long long)d.dropped[TS_D_SYN_RATE_SOURCE]);
	/* per destination port: rate 2 -> one second's worth at once (3) */
	p.syn_rate_per_source = 0;
	p.syn_rate_per_port = 2;
	policy_put(0, &p);
	for (i = 0; i < 6; i++)
		port_ok += syn_from(C4 + 20 + (uint32_t)i, CPORT, 8080) == XDP_PASS;
	PCHECK(port_ok == 3, "syn.rate_per_port=2: %d of 6 SYNs to port 8080 passed, want 3",
	       port_ok);
	PCHECK(syn_from(C4 + 40, CPORT, 8081) == XDP_PASS, "another port is not limited");
	/* observe: counted, not dropped */
	p.mode = TS_MODE_OBSERVE;
	policy_put(0, &p);
	PCHECK(syn_from(C4 + 50, CPORT, 8080) == XDP_PASS, "observe: a SYN over the port budget dropped");
	drops_read(&d);
	PCHECK(d.would_drop[TS_D_SYN_RATE_PORT] == 1, "observe: would_drop syn_rate_port %llu",
	       (unsigned long long)d.would_drop[TS_D_SYN_RATE_PORT]);
	return 0;
}

static int post_pol_cache(const struct tcase *tc, char *why)
{
	struct ts_policy p = pol_mk(TS_MODE_ENFORCE, TS_POL_HOSTS);
	struct ts_host_key k = { 0 };
	int v0, v1, v2, v3;

	(void)tc;
	p.version = 7;
	fr_v4mapped(k.addr, C4);
	PCHECK(!host_put(C4, TS_L_DENY, 0, 0) && !policy_put(0, &p), "setup");
	v0 = syn_from(C4, CPORT, SPORT);
	/* the entry goes, the version stays: the cached decision stands */
	bpf_map_delete_elem(pfd("hosts"), &k);
	v1 = syn_from(C4, CPORT + 1, SPORT);
	/* a new version voids it */
	p.version = 8;
	policy_put(0, &p);
	v2 = syn_from(C4, CPORT + 2, SPORT);
	/* and a denial with an expiry is not served from the cache past it */
	host_put(C4, TS_L_DENY, mono_ns() + 200000000ull, 0);
	p.version = 9;
	policy_put(0, &p);
	syn_from(C4, CPORT + 3, SPORT);
	usleep(250000);
	v3 = syn_from(C4, CPORT + 4, SPORT);
	PCHECK(v0 == XDP_DROP && v1 == XDP_DROP && v2 == XDP_PASS && v3 == XDP_PASS,
	       "verdicts %d %d %d %d, want drop, drop (cached, same version), pass (new "
	       "version), pass (cached denial expired)", v0, v1, v2, v3);
	return 0;
}

/* The sweeper (user/gc.c) removes a handshake left in SYN_RCVD past its
 * timeout and raises half_open_timeout through tcpsentry_report: counted,
 * one event naming the connection. */
static int post_half_open_report(const struct tcase *tc, char *why)
{
	struct frame_spec syn = C2S4(.flags = F_SYN, .seq = C_ISN, SYN_OPTS);
	struct frame_spec synack = S2C4(.flags = F_SYN | F_ACK, .seq = S_ISN, .ack = C_ISN + 1,
					SYNACK_OPTS);
	struct bpf_program *rp = bpf_object__find_program_by_name(obj, "tcpsentry_report");
	struct ts_flow_key key;
	struct ts_flow f;
	struct frame fr;
	struct ts_att a;
	uint64_t an[TS_A_MAX];
	__u32 ret;
	long removed;
	int i, n = 0;

	(void)tc;
	memset(&a, 0xff, sizeof(a)); /* every fd -1 */
	a.emb_fd = emb_fd;
	a.flows_fd = flows_fd;
	a.report_fd = rp ? bpf_program__fd(rp) : -1;
	PCHECK(a.report_fd >= 0, "no tcpsentry_report program");
	PCHECK(frame_build(&syn, &fr) >= 0 && !run_frame(XDP, fr.b, fr.len, 0, 1, &ret) &&
	       frame_build(&synack, &fr) >= 0 && !run_frame(TC, fr.b, fr.len, 0, 1, &ret),
	       "handshake frames");
	frame_key(&syn, &key);
	PCHECK(!bpf_map_lookup_elem(emb_fd, &key, &f) && f.ep[TS_SERVER].state == TS_SYN_RCVD,
	       "no embryonic entry in SYN_RCVD");
	f.last_seen_ns -= 61000000000ull; /* past the 60 s SYN_RCVD timeout */
	PCHECK(!bpf_map_update_elem(emb_fd, &key, &f, BPF_EXIST), "cannot age the entry");
	removed = ts_gc_sweep(&a);
	read_anomalies(an);
	ring_buffer__consume(rb);
	PCHECK(removed == 1 && map_count(emb_fd) == 0, "sweeper removed %ld", removed);
	PCHECK(an[TS_A_HALF_OPEN_TIMEOUT] == 1, "half_open_timeout count %llu, want 1",
	       (unsigned long long)an[TS_A_HALF_OPEN_TIMEOUT]);
	for (i = 0; i < nevs; i++) {
		const struct ts_event *e = &evs[i];

		if (e->type != TS_EV_ANOMALY || e->kind != TS_A_HALF_OPEN_TIMEOUT)
			continue;
		n++;
		PCHECK(!memcmp(&e->key, &key, sizeof(key)) && e->client == f.client &&
		       e->side == TS_SERVER && e->got >= 61 && e->detail == TS_ESTABLISHED,
		       "event: client %u side %u idle %u s client state %u", e->client, e->side,
		       e->got, e->detail);
	}
	PCHECK(n == 1, "%d half_open_timeout events, want 1", n);
	return 0;
}

static const struct tcase cases[] = {
	{ "half_open_timeout: the sweeper removes a SYN_RCVD handshake past 60 s: counted, one event",
	  .post = post_half_open_report },
	{ "policy: the list decision cache holds until the policy version changes or the denial expires",
	  .post = post_pol_cache },
	{ "policy: a denied source's SYN passes in observe (would_drop), is dropped in enforce",
	  .post = post_pol_deny_modes },
	{ "policy: allow wins over a deny of the same host and over a denied host in an allowed prefix; a denied prefix drops",
	  .post = post_pol_allow_wins },
	{ "policy: an expired deny entry no longer matches", .post = post_pol_ttl_expired },
	{ "policy: a deny of ::/0 drops IPv6, not IPv4", .post = post_pol_deny_v6_all },
	{ "policy: the datapath follows config.policy_slot between the two policies",
	  .post = post_pol_slots },
	{ "policy: action.fragment and action.unparsed drop a later fragment and an over-long IPv6 chain",
	  .post = post_pol_fragments },
	{ "policy: action.bad_flags=drop drops a NULL scan in enforce, counts it in observe",
	  .post = post_pol_anomaly_actions },
	{ "policy: a SYN scan bans nobody, its closed ports get probe cookies; the ACKs of one port's probe ban nobody, of two ports' the scanner (bans map, ban_seconds); an allowlisted scanner is never probed",
	  .post = post_pol_scan_ban },
	{ "policy: per-source SYN limit (1 + burst, another source unaffected), per-port budget, observe counts",
	  .post = post_pol_syn_limits },
};

AREA(policy, cases);
