/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SYN-flood and port-scan detection over fixed-size sketches (the maths is
 * in include/tcpsentry/sketch.h). Nothing here inserts into a hash map: a
 * SYN costs two per-CPU window increments, a read (rarely a write) of a
 * shared HyperLogLog register, and a read of the source's scan slot.
 *
 * Per-CPU vs shared, the choice: the windows are per CPU (the per-SYN
 * write stays on this CPU's cache line); the rate is summed across CPUs
 * only at epoch rollover, by the one CPU whose compare-and-swap moves the
 * shared slot's epoch forward (bpf_map_lookup_percpu_elem over the CPUs,
 * once per slot per 500 ms), so thresholds are host-wide SYN/s, not
 * per-CPU shares, whatever RSS does. Flood on/off is a compare-and-swap
 * on the shared `active` word: one start event and one end event per flood.
 *
 * The functions are global (not inlined) on purpose: the verifier checks
 * each once, off the parser's many paths (see track_segment).
 */
#ifndef TCPSENTRY_BPF_FLOOD_H
#define TCPSENTRY_BPF_FLOOD_H

#include "maps.h"
#include "parse.h"
#include "anomaly.h"
#include <tcpsentry/sketch.h>
#include <tcpsentry/flowkey.h>

/* global: the verifier checks the register loop once */
__attribute__((noinline)) __u32 hll_estimate(struct ts_flood *fl)
{
	if (!fl)
		return 0;
	return ts_hll_estimate(fl->hll);
}

static __always_inline __u32 cfg_or(__u32 v, __u32 def) { return v ? v : def; }

/* global, like the other pieces: its key and facts stay off the callers'
 * stack frames (the combined BPF stack is 512 bytes) */
__attribute__((noinline)) int flood_event(struct ts_flood *fl, __u32 slot, __u32 phase,
					  __u32 rate, __u32 pct)
{
	struct ts_flow_key key = {};
	struct anom_facts a = {
		.kind = TS_A_SYN_FLOOD,
		.client = TS_EV_CLIENT_UNKNOWN,
		.sender = 0,
	};

	if (!fl)
		return 0;

	if (slot == TS_AF_SLOT) {
		/* ack flood: ingress segments of unknown tuples */
		a.kind = TS_A_ACK_FLOOD;
		a.detail = phase;
		a.got = rate;
		a.tcp_flags = TS_TCP_ACK;
		a.dir = DIR_INGRESS;
		anomaly_raise(&key, &a);
		return 0;
	}
	if (slot == TS_BS_SLOT) {
		/* backscatter: a port_scan seen from this host's RSTs */
		a.kind = TS_A_PORT_SCAN;
		a.detail = TS_SCAN_BACKSCATTER | phase;
		a.got = rate;
		a.tcp_flags = TS_TCP_RST;
		a.dir = DIR_EGRESS;
		anomaly_raise(&key, &a);
		return 0;
	}
	/* the flooded port as the receiver's port; host-wide: port 0 */
	key.port[1] = slot == TS_SYN_HOST ? 0 : bpf_htons(fl->port);
	a.detail = phase | (pct << 16);
	/* syn.cookies=auto: cookies follow this flood on and off */
	{
		struct ts_policy *pol = policy_get();

		if (pol && pol->syn_cookies == TS_COOKIES_AUTO &&
		    (slot == TS_SYN_HOST ? pol->cookie_nports != 0 : cookie_port(pol, fl->port)))
			a.detail |= TS_FLOOD_COOKIES;
	}
	a.got = rate;
	a.expected = fl->sources;
	a.tcp_flags = TS_TCP_SYN;
	anomaly_raise(&key, &a);
	return 0;
}

/* A host-wide flood starts (on = 1) or ends: copy it into every port
 * slot, so a new-tuple SYN reads one slot (flood_on). Rare: at most
 * twice per flood. */
__attribute__((noinline)) int flood_mirror_host(__u32 on)
{
	__u32 i;

	for (i = 0; i < TS_SYN_PORT_SLOTS; i++) {
		__u32 slot = i;
		struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);

		if (fl)
			fl->host_active = on;
	}
	return 0;
}

/* 1 while a syn_flood is on at server port `port` (host order; its slot)
 * or host-wide: one lookup. Only new-tuple SYNs and SYN-ACKs ask. */
static __always_inline int flood_on(__u16 port)
{
	__u32 slot = ts_port_slot(port);
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);

	return fl && (fl->active || fl->host_active);
}

/*
 * Evaluate slot's finished epoch (e - 1) if this CPU is the first to see
 * epoch e there. Returns 1 if it evaluated.
 */
__attribute__((noinline)) int flood_eval(__u32 slot, __u64 e, __u64 now)
{
	struct ts_policy *cfg; /* thresholds: 0 means the default */
	struct ts_flood *fl, *host;
	__u32 hslot = TS_SYN_HOST, syn = 0, done = 0, cpu, rate, pct, src;
	__u64 old;
	int d;

	fl = bpf_map_lookup_elem(&floods, &slot);
	if (!fl)
		return 0;
	old = fl->epoch;
	if (old == e || __sync_val_compare_and_swap(&fl->epoch, old, e) != old)
		return 0;
	for (cpu = 0; cpu < TS_MAX_CPUS; cpu++) {
		struct ts_synwin *w = bpf_map_lookup_percpu_elem(&synwin, &slot, cpu);

		if (!w)
			break;
		syn += ts_win_syn(w, e - 1);
		done += ts_win_done(w, e - 1);
	}
	cfg = policy_get();
	if (slot == TS_BS_SLOT) /* RSTs: a rate, nothing completes */
		d = ts_flood_decide(fl->active, syn, 0,
				    cfg_or(cfg ? cfg->backscatter_rate : 0, TS_DEF_BACKSCATTER_RATE),
				    101, &rate, &pct);
	else if (slot == TS_AF_SLOT) /* unknown-tuple ACKs: a rate */
		d = ts_flood_decide(fl->active, syn, 0,
				    cfg_or(cfg ? cfg->ack_flood_rate : 0, TS_DEF_ACK_FLOOD_RATE),
				    101, &rate, &pct);
	else
		d = ts_flood_decide(fl->active, syn, done,
				    cfg_or(cfg ? cfg->syn_flood_rate : 0, TS_DEF_SYN_FLOOD_RATE),
				    cfg_or(cfg ? cfg->syn_flood_complete_pct : 0,
					   TS_DEF_SYN_FLOOD_COMPLETE_PCT),
				    &rate, &pct);
	fl->rate = rate;
	fl->complete_pct = pct;
	host = bpf_map_lookup_elem(&floods, &hslot);
	if (d == TS_FLOOD_START) {
		/* host-wide: only when no single port explains it */
		if (slot == TS_SYN_HOST && fl->ports_active)
			goto out;
		if (__sync_val_compare_and_swap(&fl->active, 0, 1) != 0)
			goto out;
		fl->start_ns = now;
		fl->peak_rate = rate;
		src = hll_estimate(fl);
		fl->sources = src;
		if (slot < TS_SYN_PORT_SLOTS && host)
			__sync_fetch_and_add(&host->ports_active, 1);
		if (slot == TS_SYN_HOST)
			flood_mirror_host(1);
		flood_event(fl, slot, TS_FLOOD_START, rate, pct);
		return 1; /* keep the registers: the end reports the whole flood */
	}
	if (fl->active && rate > fl->peak_rate)
		fl->peak_rate = rate;
	if (d == TS_FLOOD_END) {
		if (__sync_val_compare_and_swap(&fl->active, 1, 0) != 1)
			goto out;
		src = hll_estimate(fl);
		fl->sources = src;
		if (slot < TS_SYN_PORT_SLOTS && host && host->ports_active)
			__sync_fetch_and_add(&host->ports_active, (__u64)-1);
		if (slot == TS_SYN_HOST)
			flood_mirror_host(0);
		/* the end carries the peak rate of the flood */
		flood_event(fl, slot, TS_FLOOD_END, fl->peak_rate, pct);
		fl->start_ns = 0;
	}
out:
	if (!fl->active)
		__builtin_memset(fl->hll, 0, sizeof(fl->hll));
	return 1;
}

/* A flood whose port gets no more SYNs ends at the host slot's next
 * rollover (any SYN to the host): evaluate stale active port slots. */
__attribute__((noinline)) int flood_sweep(__u64 e, __u64 now)
{
	__u32 i;

	/* the counter stays in a register: &slot spills a copy */
	for (i = 0; i < TS_SYN_PORT_SLOTS; i++) {
		__u32 slot = i;
		struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);

		if (fl && fl->active && fl->epoch != e)
			flood_eval(i, e, now);
	}
	return 0;
}

/* Count one SYN into a slot: this CPU's window, the shared HLL. */
static __always_inline int flood_note(__u32 slot, __u16 port, __u32 h, __u64 e)
{
	struct ts_synwin *w;
	struct ts_flood *fl;
	__u32 i;
	__u8 r;

	w = bpf_map_lookup_elem(&synwin, &slot);
	fl = bpf_map_lookup_elem(&floods, &slot);
	if (!w || !fl)
		return 0;
	ts_win_advance(w, e);
	w->syn[e & 1]++;
	i = ts_hll_idx(h);
	r = ts_hll_rank(h);
	if (fl->hll[i] < r)
		fl->hll[i] = r; /* racy max: a lost update underestimates by one */
	if (slot != TS_SYN_HOST && fl->port != port)
		fl->port = port;
	return fl->epoch != e;
}

/* A handshake completed (promotion) from client address `caddr` towards
 * server port `port`: credit the port's flood window, and take the port
 * back from the client's scan slot. */
struct ts_addr {
	__u32 w[4]; /* network order, v4-mapped for IPv4 */
};

__attribute__((noinline)) int flood_done(const struct ts_addr *caddr, __u32 port, __u64 now)
{
	__u32 slot = ts_port_slot((__u16)port), hslot = TS_SYN_HOST, h;
	__u64 e = ts_epoch(now);
	struct ts_synwin *w;
	struct ts_scan *sc;

	if (caddr) {
		h = ts_addr_hash(caddr->w);
		slot = h & (TS_SCAN_SLOTS - 1);
		sc = bpf_map_lookup_elem(&scans, &slot);
		if (sc)
			ts_scan_done(sc, h, (__u16)port);
		slot = ts_port_slot((__u16)port);
	}

	w = bpf_map_lookup_elem(&synwin, &slot);
	if (w) {
		ts_win_advance(w, e);
		w->done[e & 1]++;
	}
	w = bpf_map_lookup_elem(&synwin, &hslot);
	if (w) {
		ts_win_advance(w, e);
		w->done[e & 1]++;
	}
	return 0;
}

/*
 * One event for a host-wide rate window (TS_BS_SLOT, TS_AF_SLOT):
 * - backscatter: an RST this host sends for a tuple it holds no
 *   established connection of (a refused SYN, or no entry at all), the
 *   backscatter of a scan of closed ports when it comes in bursts;
 * - ack_flood: an ingress segment of an unknown tuple that is not a SYN
 *   (the pickup path).
 */
__attribute__((noinline)) int window_note(__u32 slot, __u64 now)
{
	struct ts_synwin *w = bpf_map_lookup_elem(&synwin, &slot);
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);
	__u64 e = ts_epoch(now);

	if (!w || !fl)
		return 0;
	ts_win_advance(w, e);
	w->syn[e & 1]++;
	if (fl->epoch != e)
		flood_eval(slot, e, now);
	return 0;
}

/* Report a port scan: the segment that crossed the threshold, which meets
 * port_scan's action (by default: the source is banned). 1: drop it. */
__attribute__((noinline)) int scan_raise(struct pkt *p, __u32 n, __u32 thr)
{
	struct ts_flow_key key = {};
	struct anom_facts a = {
		.kind = TS_A_PORT_SCAN,
		.client = TS_EV_CLIENT_UNKNOWN,
		.got = n,
		.expected = thr,
		.detail = (__u32)(TS_SCAN_WINDOW_NS / 1000000),
		.dir = DIR_INGRESS,
	};

	if (!p)
		return 0;
	a.tcp_flags = p->seg.flags;
	a.family = p->family;
	a.sender = (__u8)ts_key_make(&key, p->saddr, p->sport, p->daddr, p->dport);
	a.act = !(p->out & PKT_IN_EXEMPT);
	return anomaly_raise(&key, &a);
}

/*
 * An ingress SYN (syn = 1) or bad-flags segment (syn = 0): feed the flood
 * windows (SYNs only) and the source's port-scan slot. 1: drop it (a scan
 * whose action drops or bans).
 */
__attribute__((noinline)) int ingress_sketch(struct pkt *p, __u32 syn, __u64 now)
{
	struct ts_policy *cfg; /* thresholds: 0 means the default */
	struct ts_scan *sc;
	__u32 h, slot, n;
	__u16 port;
	__u64 e;

	if (!p)
		return 0;
	h = ts_addr_hash(p->saddr);
	port = bpf_ntohs(p->dport);
	if (syn) {
		struct ts_top_src *top;

		slot = h & (TS_TOP_SLOTS - 1);
		top = bpf_map_lookup_elem(&syn_top, &slot);
		if (top)
			ts_top_note(top, p->saddr);
		e = ts_epoch(now);
		slot = ts_port_slot(port);
		if (flood_note(slot, port, h, e))
			flood_eval(slot, e, now);
		if (flood_note(TS_SYN_HOST, port, h, e) && flood_eval(TS_SYN_HOST, e, now))
			flood_sweep(e, now);
	}
	slot = h & (TS_SCAN_SLOTS - 1);
	sc = bpf_map_lookup_elem(&scans, &slot);
	if (!sc)
		return 0;
	cfg = policy_get();
	n = ts_scan_note(sc, h, port, now,
			 cfg_or(cfg ? cfg->scan_ports : 0, TS_DEF_SCAN_PORTS));
	if (n)
		return scan_raise(p, n, cfg_or(cfg ? cfg->scan_ports : 0, TS_DEF_SCAN_PORTS));
	return 0;
}

#endif /* TCPSENTRY_BPF_FLOOD_H */
