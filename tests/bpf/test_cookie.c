// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "cookie": SYN cookies. The SYN-ACK XDP builds (XDP_TX,
 * checksums, options, addresses, VLAN tags kept) over IPv4 with and
 * without DF, IPv6, 0/1/2 VLAN tags, with and without options; a valid ACK
 * passes and starts an ESTABLISHED/ESTABLISHED flow; a forged and a stale
 * ACK are dropped and counted; an ACK is checked only after a cookie went
 * out to its port, at a bounded rate, and a valid one never overwrites an
 * entry (issue 11, attack 5); cookies off, auto without a flood, and SYNs
 * the rewrite does not cover pass untouched; an established flow's
 * segments bypass it; auto follows a flood.
 *
 * Every rewrite runs with repeat = 1: BPF_PROG_TEST_RUN reuses one buffer
 * across repeats, so a second run would see the first one's output.
 */
#include <tcpsentry/cookie_mac.h>
#include "harness.h"

static const __u64 ck_key[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

/* cookies `mode` for port SPORT, a MAC key in config, policy slot 0 */
static int ck_setup(__u32 mode)
{
	struct ts_config c = { 0 };
	struct ts_policy p = pol_mk(TS_MODE_OBSERVE, 0);
	__u32 zero = 0;

	memcpy(c.cookie_key, ck_key, sizeof(ck_key));
	c.handover = 1;
	p.syn_cookies = (__u8)mode;
	p.cookie_nports = 2;
	p.cookie_ports[0] = 443;
	p.cookie_ports[1] = SPORT;
	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		return -1;
	return policy_put(0, &p);
}

/* run one frame through XDP (repeat 1), the output frame in out */
static int ck_run(const struct frame_spec *fs, struct frame *in, uint8_t *out, __u32 *outlen,
		  __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);

	if (frame_build(fs, in) < 0)
		return -1;
	o.data_in = in->b;
	o.data_size_in = (__u32)in->len;
	o.data_out = out;
	o.data_size_out = FR_MAX;
	if (bpf_prog_test_run_opts(prog_fd[XDP], &o))
		return -1;
	*ret = o.retval;
	*outlen = o.data_size_out;
	return 0;
}

static uint64_t ck_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* the client's and server's addresses of a client->server spec, as the
 * datapath keys the MAC (4 words each, v4-mapped for IPv4) */
static void ck_addrs(const struct frame_spec *fs, __u32 c[4], __u32 s[4])
{
	uint8_t a[16], b[16];

	frame_addrs(fs, a, b);
	memcpy(c, a, 16);
	memcpy(s, b, 16);
}

/* a cookie for the spec's SYN at time counter t */
static __u32 ck_make(const struct frame_spec *syn, __u32 t)
{
	__u32 c[4], s[4], low;

	ck_addrs(syn, c, s);
	low = ts_cookie_low(syn->family, (__u16)syn->mss, syn->mss != 0,
			    syn->has_wscale ? syn->wscale : -1, syn->sackok, syn->ts);
	return ts_cookie_mac(ck_key, c, s, htons(syn->sport), htons(syn->dport), syn->seq, t,
			     low) | low;
}

/* one's complement sum check over [p, p + n) plus a seed: 1 if it folds to 0xffff */
static int ck_sum_ok(uint32_t seed, const uint8_t *p, int n)
{
	return fr_fold(fr_sum(seed, p, n)) == 0;
}

/*
 * Check the SYN-ACK XDP made of `syn` (frame in: the SYN as sent). Sets
 * *cookie to its sequence number.
 */
static int ck_check_synack(const struct frame_spec *syn, const struct frame *in,
			   const uint8_t *o, __u32 len, __u32 *cookie, char *why)
{
	int l3 = in->l3, l4 = in->l4, thl, i, seen_mss = 0, seen_sack = 0, seen_ts = 0,
	    seen_ws = 0;
	uint32_t ps = 0, ecr = 0;
	const uint8_t *th;

	PCHECK(len >= (__u32)l4 + 20, "output %u bytes, shorter than the headers", len);
	/* MACs swapped, VLAN tags (and everything up to L3) kept */
	PCHECK(!memcmp(o, in->b + 6, 6) && !memcmp(o + 6, in->b, 6), "MACs not swapped");
	PCHECK(!memcmp(o + 12, in->b + 12, (size_t)(l3 - 12)), "VLAN tags / type changed");
	th = o + l4;
	thl = (th[12] >> 4) * 4;
	PCHECK(len == (__u32)(l4 + thl), "frame %u bytes, want headers only (%d)", len, l4 + thl);
	if (syn->family == 4) {
		PCHECK(o[l3] == 0x45, "IPv4 version/IHL 0x%02x", o[l3]);
		PCHECK(fr_get16(o + l3 + 2) == 20 + thl, "IPv4 total length %u", fr_get16(o + l3 + 2));
		PCHECK((o[l3 + 6] & 0x40) && o[l3 + 8] == 64 && o[l3 + 9] == 6,
		       "IPv4 DF %d ttl %u proto %u", !!(o[l3 + 6] & 0x40), o[l3 + 8], o[l3 + 9]);
		PCHECK(!memcmp(o + l3 + 12, in->b + l3 + 16, 4) &&
		       !memcmp(o + l3 + 16, in->b + l3 + 12, 4), "IPv4 addresses not swapped");
		PCHECK(ck_sum_ok(0, o + l3, 20), "IPv4 header checksum wrong");
		ps = fr_sum(0, o + l3 + 12, 8) + 6 + (uint32_t)thl;
	} else {
		PCHECK((o[l3] >> 4) == 6 && o[l3 + 6] == 6 && o[l3 + 7] == 64,
		       "IPv6 version %u next %u hops %u", o[l3] >> 4, o[l3 + 6], o[l3 + 7]);
		PCHECK(fr_get16(o + l3 + 4) == thl, "IPv6 payload length %u", fr_get16(o + l3 + 4));
		PCHECK(!memcmp(o + l3 + 8, in->b + l3 + 24, 16) &&
		       !memcmp(o + l3 + 24, in->b + l3 + 8, 16), "IPv6 addresses not swapped");
		ps = fr_sum(0, o + l3 + 8, 32) + 6 + (uint32_t)thl;
	}
	PCHECK(ck_sum_ok(ps, th, thl), "TCP checksum wrong");
	PCHECK(fr_get16(th) == syn->dport && fr_get16(th + 2) == syn->sport, "ports not swapped");
	PCHECK(th[13] == (F_SYN | F_ACK), "flags 0x%02x, want SYN|ACK", th[13]);
	*cookie = (uint32_t)fr_get16(th + 4) << 16 | fr_get16(th + 6);
	PCHECK(((uint32_t)fr_get16(th + 8) << 16 | fr_get16(th + 10)) == syn->seq + 1,
	       "ack is not the client's ISN + 1");
	/* options: MSS always, SACK/TS/WS as offered */
	for (i = 20; i < thl;) {
		uint8_t k = th[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		PCHECK(i + 1 < thl && th[i + 1] >= 2 && i + th[i + 1] <= thl, "malformed option at %d", i);
		if (k == 2 && th[i + 1] == 4)
			seen_mss = fr_get16(th + i + 2);
		else if (k == 4 && th[i + 1] == 2)
			seen_sack = 1;
		else if (k == 8 && th[i + 1] == 10) {
			seen_ts = 1;
			ecr = (uint32_t)fr_get16(th + i + 6) << 16 | fr_get16(th + i + 8);
		} else if (k == 3 && th[i + 1] == 3)
			seen_ws = th[i + 2] + 1;
		i += th[i + 1];
	}
	PCHECK(seen_mss == 1460 || seen_mss == 1440, "MSS option %d", seen_mss);
	PCHECK(seen_sack == !!syn->sackok, "SACK-permitted %d, offered %d", seen_sack, syn->sackok);
	PCHECK(seen_ts == !!syn->ts, "timestamps %d, offered %d", seen_ts, syn->ts);
	PCHECK(!syn->ts || ecr == syn->tsval, "TS echo %u, want the client's %u", ecr, syn->tsval);
	PCHECK(seen_ws == (syn->has_wscale ? TS_COOKIE_RCV_WSCALE + 1 : 0), "window scale %d",
	       seen_ws - 1);
	return 0;
}

static uint64_t ck_cnt(int idx)
{
	uint64_t c[TS_C_MAX];

	return read_counters(c) ? ~0ull : c[idx];
}

/* One SYN: XDP_TX, a correct SYN-ACK with a cookie that checks, no entry. */
static int ck_syn_case(const struct frame_spec *syn, char *why)
{
	static uint8_t out[FR_MAX];
	struct frame in;
	__u32 ret, len, cookie, c[4], s[4];

	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	PCHECK(!ck_run(syn, &in, out, &len, &ret), "test run: %s", strerror(errno));
	PCHECK(ret == XDP_TX, "verdict %u, want XDP_TX", ret);
	if (ck_check_synack(syn, &in, out, len, &cookie, why))
		return -1;
	ck_addrs(syn, c, s);
	PCHECK(ts_cookie_check(ck_key, c, s, htons(syn->sport), htons(syn->dport), syn->seq,
			       ts_cookie_time(ck_now()), cookie), "the cookie does not check");
	PCHECK(ck_cnt(TS_C_COOKIE_SENT) == 1, "syncookies_sent %llu", (unsigned long long)ck_cnt(TS_C_COOKIE_SENT));
	PCHECK(map_count(emb_fd) == 0 && map_count(flows_fd) == 0, "a SYN answered with a cookie made an entry");
	return 0;
}

#define CK_SYN4(...) C2S4(.flags = F_SYN, .seq = C_ISN, .df = 1, SYN_OPTS, __VA_ARGS__)

static int post_ck_v4(const struct tcase *tc, char *why)
{
	struct frame_spec s = CK_SYN4(.tsval = 77);

	(void)tc;
	return ck_syn_case(&s, why);
}

static int post_ck_v4_nodf_noopts(const struct tcase *tc, char *why)
{
	struct frame_spec s = C2S4(.flags = F_SYN, .seq = C_ISN);

	(void)tc;
	return ck_syn_case(&s, why);
}

static int post_ck_v4_vlan(const struct tcase *tc, char *why)
{
	struct frame_spec s1 = CK_SYN4(.nvlan = 1, .sackok = 0);
	struct frame_spec s2 = CK_SYN4(.nvlan = 2, .ts = 0);

	(void)tc;
	if (ck_syn_case(&s1, why))
		return -1;
	reset_state();
	return ck_syn_case(&s2, why);
}

static int post_ck_v6(const struct tcase *tc, char *why)
{
	struct frame_spec s0 = C2S6(.flags = F_SYN, .seq = C_ISN, SYN_OPTS, .mss = 1440);
	struct frame_spec s2 = C2S6(.flags = F_SYN, .seq = C_ISN, SYN_OPTS, .nvlan = 2,
				    .has_wscale = 0);

	(void)tc;
	if (ck_syn_case(&s0, why))
		return -1;
	reset_state();
	return ck_syn_case(&s2, why);
}

/* options the kernel tolerates: answered like clean ones (what parsed
 * before the walk stopped is offered back; the rest is not) */
static int post_ck_malformed(const struct tcase *tc, char *why)
{
	static const uint8_t mss3[] = { 2, 3, 0x05, 1 };
	static const uint8_t past[] = { 2, 4, 0x05, 0xb4, 0xfe, 10, 0, 0 };
	static const uint8_t len1[] = { 2, 4, 0x05, 0xb4, 0xfd, 1, 0, 0 };
	struct frame_spec s[] = {
		C2S4(.flags = F_SYN, .seq = C_ISN, .rawopt = mss3, .rawoptlen = sizeof(mss3)),
		C2S4(.flags = F_SYN, .seq = C_ISN, .rawopt = past, .rawoptlen = sizeof(past)),
		C2S4(.flags = F_SYN, .seq = C_ISN, .rawopt = len1, .rawoptlen = sizeof(len1)),
	};
	unsigned i;

	(void)tc;
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		reset_state();
		if (ck_syn_case(&s[i], why))
			return -1;
	}
	return 0;
}

/* the ACK a client sends for a cookie */
static int ck_ack(const struct frame_spec *syn, __u32 cookie, int family)
{
	struct frame_spec a4 = C2S4(.flags = F_ACK, .seq = C_ISN + 1, .ack = cookie + 1,
				    .win = 502, .ts = 1, .tsval = 78, .tsecr = 99);
	struct frame_spec a6 = C2S6(.flags = F_ACK, .seq = C_ISN + 1, .ack = cookie + 1,
				    .win = 502, .ts = 1, .tsval = 78, .tsecr = 99);

	(void)syn;
	return verdict(family == 6 ? &a6 : &a4);
}

/* the SYN answered first (XDP_TX): a cookie went out to its port, whose
 * ACKs are checked from then on */
static int ck_answer(const struct frame_spec *syn)
{
	static uint8_t out[FR_MAX];
	struct frame in;
	__u32 ret, len;

	return ck_run(syn, &in, out, &len, &ret) || ret != XDP_TX ? -1 : 0;
}

static int ck_valid_ack(int family, char *why)
{
	struct frame_spec s4 = CK_SYN4(), s6 = C2S6(.flags = F_SYN, .seq = C_ISN, SYN_OPTS);
	struct frame_spec *syn = family == 6 ? &s6 : &s4;
	struct frame_spec a = *syn;
	struct ts_flow f;
	__u32 cookie = ck_make(syn, ts_cookie_time(ck_now()));
	int v;

	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	PCHECK(!ck_answer(syn), "the SYN was not answered with a cookie");
	v = ck_ack(syn, cookie, family);
	PCHECK(v == XDP_PASS, "valid ACK: verdict %d, want XDP_PASS", v);
	PCHECK(ck_cnt(TS_C_COOKIE_VALID) == 1 && ck_cnt(TS_C_COOKIE_FAILED) == 0,
	       "validated %llu failed %llu", (unsigned long long)ck_cnt(TS_C_COOKIE_VALID),
	       (unsigned long long)ck_cnt(TS_C_COOKIE_FAILED));
	a.flags = F_ACK;
	PCHECK(lookup_flow(&a, &f) == 0, "no flows entry for the cookie connection");
	PCHECK(f.ep[TS_CLIENT].state == TS_ESTABLISHED && f.ep[TS_SERVER].state == TS_ESTABLISHED,
	       "states %u/%u, want ESTABLISHED/ESTABLISHED", f.ep[TS_CLIENT].state,
	       f.ep[TS_SERVER].state);
	PCHECK((f.flags & TS_F_COOKIE) && !(f.flags & TS_F_PICKED_UP), "flags 0x%x", f.flags);
	PCHECK(f.ep[TS_CLIENT].mss == 1440 || f.ep[TS_CLIENT].mss == 1460,
	       "client MSS %u (from the cookie)", f.ep[TS_CLIENT].mss);
	PCHECK((f.ep[TS_CLIENT].flags & (TS_EP_WSCALE | TS_EP_SACKOK | TS_EP_TS)) ==
		       (TS_EP_WSCALE | TS_EP_SACKOK | TS_EP_TS) && f.ep[TS_CLIENT].wscale == 7,
	       "client options 0x%x wscale %u", f.ep[TS_CLIENT].flags, f.ep[TS_CLIENT].wscale);
	PCHECK(!strncmp(f.hist, "ShA", 3), "history '%.16s', want ShA", f.hist);
	/* the next segment of the connection takes the established path */
	PCHECK(ck_ack(syn, cookie, family) == XDP_PASS && ck_cnt(TS_C_COOKIE_VALID) == 1,
	       "second ACK: not on the established path");
	return 0;
}

static int post_ck_ack4(const struct tcase *tc, char *why)
{
	(void)tc;
	return ck_valid_ack(4, why);
}

static int post_ck_ack6(const struct tcase *tc, char *why)
{
	(void)tc;
	return ck_valid_ack(6, why);
}

static int post_ck_bad_acks(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4();
	__u32 t = ts_cookie_time(ck_now()), good = ck_make(&syn, t);
	int v1, v2, v3;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	PCHECK(!ck_answer(&syn), "the SYN was not answered with a cookie");
	v1 = ck_ack(&syn, good ^ 0x100, 4);          /* one MAC bit flipped */
	v2 = ck_ack(&syn, ck_make(&syn, t - 2), 4); /* two time steps old: 137+ s */
	v3 = ck_ack(&syn, (good & ~0xffu) | ((good + 1) & 0xff), 4); /* options byte changed */
	PCHECK(v1 == XDP_DROP && v2 == XDP_DROP && v3 == XDP_DROP,
	       "forged %d, stale %d, altered options %d: want XDP_DROP each", v1, v2, v3);
	PCHECK(ck_cnt(TS_C_COOKIE_FAILED) == 3 && ck_cnt(TS_C_COOKIE_VALID) == 0,
	       "failed %llu validated %llu", (unsigned long long)ck_cnt(TS_C_COOKIE_FAILED),
	       (unsigned long long)ck_cnt(TS_C_COOKIE_VALID));
	PCHECK(map_count(flows_fd) == 0 && map_count(emb_fd) == 0, "a bad ACK made an entry");
	/* the previous step, t - 1, is still good */
	PCHECK(ck_ack(&syn, ck_make(&syn, t - 1), 4) == XDP_PASS, "a cookie one step old is refused");
	return 0;
}

/* Issue 11, attack 5: before any cookie went out to the port, an ACK
 * whose MAC is right (what a brute force finds) is not checked: not
 * validated, no entry, dropped as any ACK no socket wants. Once the SYN
 * was answered, the same ACK is a valid cookie. */
static int post_ck_not_recent(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4();
	__u32 cookie = ck_make(&syn, ts_cookie_time(ck_now()));
	int v;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	v = ck_ack(&syn, cookie, 4);
	PCHECK(v == XDP_DROP, "right-MAC ACK, no cookie sent: verdict %d, want XDP_DROP", v);
	PCHECK(ck_cnt(TS_C_COOKIE_NOT_RECENT) == 1 && ck_cnt(TS_C_COOKIE_VALID) == 0,
	       "not_recent %llu validated %llu, want 1 and 0",
	       (unsigned long long)ck_cnt(TS_C_COOKIE_NOT_RECENT),
	       (unsigned long long)ck_cnt(TS_C_COOKIE_VALID));
	PCHECK(map_count(flows_fd) == 0 && map_count(emb_fd) == 0,
	       "an unchecked cookie ACK made an entry");
	/* control: the same ACK after its SYN was answered */
	PCHECK(!ck_answer(&syn), "the SYN was not answered with a cookie");
	v = ck_ack(&syn, cookie, 4);
	PCHECK(v == XDP_PASS && ck_cnt(TS_C_COOKIE_VALID) == 1,
	       "control: the ACK after an answered SYN: verdict %d, validated %llu", v,
	       (unsigned long long)ck_cnt(TS_C_COOKIE_VALID));
	return 0;
}

/* MAC checks are rate-limited per port: a burst of forged ACKs far above
 * TS_COOKIE_CHECK_RATE is checked up to the cell's second of burst, the
 * rest dropped unchecked */
static int post_ck_check_rate(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4();
	struct frame_spec bad = C2S4(.flags = F_ACK, .seq = C_ISN + 1,
				     .ack = ck_make(&syn, ts_cookie_time(ck_now())) ^ 0x100);
	const int n = 3 * TS_COOKIE_CHECK_RATE;
	uint64_t lim, failed, t0;
	struct frame fr;
	__u32 ret;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	PCHECK(!ck_answer(&syn), "the SYN was not answered with a cookie");
	t0 = mono_ns();
	PCHECK(frame_build(&bad, &fr) >= 0 && !run_frame(XDP, fr.b, fr.len, 0, n, &ret),
	       "test run");
	/* the cell refills at the rate while the run goes on: a run slower
	 * than its burst's worth of refill (an emulated kernel) proves nothing */
	t0 = mono_ns() - t0;
	if (t0 > 1000000000ull) {
		snprintf(why, WHYLEN, "%d ACKs took %llu ms: the rate refilled the cell, too slow here",
			 n, (unsigned long long)(t0 / 1000000));
		return 1;
	}
	lim = ck_cnt(TS_C_COOKIE_CHECK_LIMITED);
	failed = ck_cnt(TS_C_COOKIE_FAILED);
	PCHECK(ret == XDP_DROP && failed == (uint64_t)n, "verdict %u, failed %llu of %d", ret,
	       (unsigned long long)failed, n);
	/* a second's worth of burst, and what the rate adds while the run
	 * goes on (under a second: at most another second's worth) */
	PCHECK(lim > 0 && lim <= (uint64_t)n - TS_COOKIE_CHECK_RATE,
	       "check_limited %llu of %d, want between 1 and %d", (unsigned long long)lim, n,
	       n - TS_COOKIE_CHECK_RATE);
	return 0;
}

/* A valid cookie never overwrites an entry: the handshake ACK of a closed
 * connection, replayed, is dropped and the finished entry stays as it
 * was; a client that reuses the port with an ISN above the old
 * connection's sequence gets its new connection. */
static int post_ck_replay(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4();
	struct frame_spec reuse = CK_SYN4(.seq = C_ISN + 100000);
	struct frame_spec a = C2S4(.flags = F_ACK);
	struct ts_flow f, g;
	struct ts_flow_key k;
	__u32 cookie = ck_make(&syn, ts_cookie_time(ck_now()));
	int v;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_ON), "setup");
	PCHECK(!ck_answer(&syn) && ck_ack(&syn, cookie, 4) == XDP_PASS, "cookie handshake");
	PCHECK(lookup_flow(&a, &f) == 0 && !frame_key(&a, &k), "no flows entry");
	/* the connection closed: client TIME_WAIT, server CLOSED */
	f.ep[TS_CLIENT].state = TS_TIME_WAIT;
	f.ep[TS_SERVER].state = TS_CLOSED;
	f.ep[TS_CLIENT].end = C_ISN + 2;
	PCHECK(!bpf_map_update_elem(flows_fd, &k, &f, BPF_EXIST), "closing the entry");
	v = ck_ack(&syn, cookie, 4);
	PCHECK(v == XDP_DROP, "replayed handshake ACK: verdict %d, want XDP_DROP", v);
	PCHECK(ck_cnt(TS_C_COOKIE_REPLAY) == 1 && ck_cnt(TS_C_COOKIE_VALID) == 1,
	       "replayed %llu validated %llu, want 1 and 1 (the handshake's)",
	       (unsigned long long)ck_cnt(TS_C_COOKIE_REPLAY),
	       (unsigned long long)ck_cnt(TS_C_COOKIE_VALID));
	PCHECK(lookup_flow(&a, &g) == 0 && !memcmp(&f, &g, sizeof(f)),
	       "the replay changed the finished entry (states %u/%u)", g.ep[TS_CLIENT].state,
	       g.ep[TS_SERVER].state);
	/* the port reused, a new ISN above the old sequence */
	PCHECK(!ck_answer(&reuse), "the reuse SYN was not answered");
	a = (struct frame_spec)C2S4(.flags = F_ACK, .seq = reuse.seq + 1,
				    .ack = ck_make(&reuse, ts_cookie_time(ck_now())) + 1);
	v = verdict(&a);
	PCHECK(v == XDP_PASS && ck_cnt(TS_C_COOKIE_VALID) == 2, "reuse ACK: verdict %d", v);
	PCHECK(lookup_flow(&a, &g) == 0 && g.ep[TS_CLIENT].state == TS_ESTABLISHED &&
	       g.ep[TS_CLIENT].isn == reuse.seq, "the reuse's entry: states %u/%u isn %u",
	       g.ep[TS_CLIENT].state, g.ep[TS_SERVER].state, g.ep[TS_CLIENT].isn);
	return 0;
}

/* cookies off, auto without a flood, a port not listed, a SYN with IPv4
 * options: the SYN passes untouched (and is tracked as before) */
static int post_ck_untouched(const struct tcase *tc, char *why)
{
	static uint8_t out[FR_MAX];
	struct frame_spec s = CK_SYN4();
	struct frame_spec other = CK_SYN4(.dport = 8080);
	struct frame_spec ipopt = CK_SYN4(.ip_optlen = 4, .sport = CPORT + 1);
	const struct frame_spec *cases[4] = { &s, &s, &other, &ipopt };
	static const __u32 modes[4] = { TS_COOKIES_OFF, TS_COOKIES_AUTO, TS_COOKIES_ON,
					TS_COOKIES_ON };
	struct frame in;
	__u32 ret, len;
	int i;

	(void)tc;
	for (i = 0; i < 4; i++) {
		reset_state();
		PCHECK(!ck_setup(modes[i]), "setup");
		PCHECK(!ck_run(cases[i], &in, out, &len, &ret), "test run");
		PCHECK(ret == XDP_PASS && len == (__u32)in.len && !memcmp(out, in.b, len),
		       "case %d: verdict %u, frame %s", i, ret,
		       len == (__u32)in.len && !memcmp(out, in.b, len) ? "same" : "changed");
		PCHECK(ck_cnt(TS_C_COOKIE_SENT) == 0 && map_count(emb_fd) == 1,
		       "case %d: sent %llu, embryonic %d", i,
		       (unsigned long long)ck_cnt(TS_C_COOKIE_SENT), map_count(emb_fd));
		PCHECK(ck_cnt(TS_C_COOKIE_SKIPPED) == (i == 3), "case %d: left_to_kernel %llu", i,
		       (unsigned long long)ck_cnt(TS_C_COOKIE_SKIPPED));
	}
	return 0;
}

/* a connection tracked before cookies went on: its segments never meet
 * the cookie check */
static int post_ck_established(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4();
	struct frame_spec synack = S2C4(.flags = F_SYN | F_ACK, .seq = S_ISN, .ack = C_ISN + 1,
					SYNACK_OPTS);
	struct frame_spec ack = C2S4(.flags = F_ACK, .seq = C_ISN + 1, .ack = S_ISN + 1);
	struct frame_spec data = C2S4(.flags = F_ACK | F_PSH, .seq = C_ISN + 1, .ack = S_ISN + 1,
				      .paylen = 10);
	struct frame fr;
	__u32 ret;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_OFF), "setup");
	PCHECK(verdict(&syn) == XDP_PASS && frame_build(&synack, &fr) >= 0 &&
	       !run_frame(TC, fr.b, fr.len, 0, 1, &ret) && verdict(&ack) == XDP_PASS,
	       "handshake");
	PCHECK(!ck_setup(TS_COOKIES_ON), "cookies on");
	PCHECK(verdict(&data) == XDP_PASS, "data of the established flow dropped");
	PCHECK(ck_cnt(TS_C_COOKIE_FAILED) == 0 && ck_cnt(TS_C_COOKIE_VALID) == 0,
	       "the established flow met the cookie check");
	return 0;
}

/* syn.cookies=auto: cookies follow a syn_flood on the port, on at its
 * start and off at its end, both events saying so */
static int post_ck_auto(const struct tcase *tc, char *why)
{
	struct frame_spec syn = CK_SYN4(.dport = FLOOD_PORT, .sport = CPORT + 7);
	struct ts_policy p = pol_mk(TS_MODE_OBSERVE, 0);
	const struct ts_event *st = NULL, *en = NULL;
	uint64_t t0;
	int i, v0, v1, v2;

	(void)tc;
	PCHECK(!ck_setup(TS_COOKIES_AUTO), "setup");
	p.syn_cookies = TS_COOKIES_AUTO;
	p.cookie_nports = 1;
	p.cookie_ports[0] = FLOOD_PORT;
	PCHECK(!policy_put(0, &p), "policy");
	v0 = verdict(&syn);
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		PCHECK(!send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				 FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), "test run");
	if (burst_spilled(t0, "10,000 SYNs", why))
		return 1;
	next_epoch();
	syn.sport++;
	v1 = verdict(&syn); /* rolls the window over: the flood starts, cookies on */
	ring_buffer__consume(rb);
	next_epoch();
	next_epoch();
	PCHECK(!send_seg(XDP, C4, CPORT, S4, 443, F_SYN, 1, 0), "test run"); /* ends it */
	ring_buffer__consume(rb);
	syn.sport++;
	v2 = verdict(&syn);
	PCHECK(v0 == XDP_PASS && v1 == XDP_TX && v2 == XDP_PASS,
	       "verdicts before %d, during %d, after %d: want pass, tx, pass", v0, v1, v2);
	for (i = 0; i < nevs; i++) {
		if (evs[i].type != TS_EV_ANOMALY || evs[i].kind != TS_A_SYN_FLOOD)
			continue;
		if ((evs[i].detail & 0xff) == TS_FLOOD_START)
			st = &evs[i];
		else
			en = &evs[i];
	}
	PCHECK(st && en, "flood events: start %s, end %s", st ? "yes" : "no", en ? "yes" : "no");
	PCHECK((st->detail & TS_FLOOD_COOKIES) && (en->detail & TS_FLOOD_COOKIES),
	       "cookies bit: start %u, end %u", !!(st->detail & TS_FLOOD_COOKIES),
	       !!(en->detail & TS_FLOOD_COOKIES));
	PCHECK(ck_cnt(TS_C_COOKIE_SENT) == 1, "syncookies_sent %llu, want 1",
	       (unsigned long long)ck_cnt(TS_C_COOKIE_SENT));
	return 0;
}

static const struct tcase cases[] = {
	{ "cookies: IPv4 SYN (DF, MSS/SACK/TS/WS) -> XDP_TX SYN-ACK, checksums, options, cookie checks, no entry",
	  .post = post_ck_v4 },
	{ "cookies: IPv4 SYN without DF and without options -> SYN-ACK with MSS only",
	  .post = post_ck_v4_nodf_noopts },
	{ "cookies: IPv4 SYN with one and two VLAN tags -> tags kept",
	  .post = post_ck_v4_vlan },
	{ "cookies: IPv6 SYN, no tag and two tags -> SYN-ACK, checksums, options",
	  .post = post_ck_v6 },
	{ "cookies: SYNs with malformed options (MSS length 3, past the end, length 1) -> XDP_TX SYN-ACK",
	  .post = post_ck_malformed },
	{ "cookies: valid IPv4 ACK passes, flows entry ESTABLISHED/ESTABLISHED with the cookie's options",
	  .post = post_ck_ack4 },
	{ "cookies: valid IPv6 ACK passes, flows entry ESTABLISHED/ESTABLISHED",
	  .post = post_ck_ack6 },
	{ "cookies: forged, stale and altered ACKs dropped and counted; one step old passes",
	  .post = post_ck_bad_acks },
	{ "cookies: a right-MAC ACK before any cookie went out to its port is not checked (no entry, dropped); after, it is valid",
	  .post = post_ck_not_recent },
	{ "cookies: MAC checks are rate-limited per port",
	  .post = post_ck_check_rate },
	{ "cookies: a replayed valid ACK of a closed connection is dropped, the entry kept; a reuse with a higher ISN is tracked",
	  .post = post_ck_replay },
	{ "cookies: off, auto without flood, unlisted port, IPv4 options -> SYN passes untouched",
	  .post = post_ck_untouched },
	{ "cookies: an established flow's segments bypass the cookie check",
	  .post = post_ck_established },
	{ "cookies: auto follows a syn_flood on the port: pass, then XDP_TX, then pass; start and end events say so",
	  .post = post_ck_auto },
};

AREA(cookie, cases);
