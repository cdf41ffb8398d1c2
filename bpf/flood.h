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
 * The sketches are fed by track (an ingress SYN or bad-flags segment) and
 * by detect (the backscatter and ack-flood rate windows); a window that
 * rolls over evaluates its finished epoch there and then, and reports a
 * flood's start and end itself (bpf/emit.h): those are the sketch's own
 * transitions, not a segment's findings. Thresholds are read from the
 * policy in force (0: the default, consts.h). Calls no stage.
 *
 * The functions are global (not inlined) on purpose: the verifier checks
 * each once, off the parser's many paths.
 */
#ifndef TCPSENTRY_BPF_FLOOD_H
#define TCPSENTRY_BPF_FLOOD_H

#include <bpf/bpf_endian.h>
#include "maps.h"
#include "emit.h"
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
	struct finding a = {
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
		anomaly_emit(&key, &a);
		return 0;
	}
	if (slot == TS_BS_SLOT) {
		/* backscatter: a port_scan seen from this host's RSTs */
		a.kind = TS_A_PORT_SCAN;
		a.detail = TS_SCAN_BACKSCATTER | phase;
		a.got = rate;
		a.tcp_flags = TS_TCP_RST;
		a.dir = DIR_EGRESS;
		anomaly_emit(&key, &a);
		return 0;
	}
	/* the flooded port as the receiver's port; host-wide: port 0 */
	key.port[1] = slot == TS_SYN_HOST ? 0 : bpf_htons(fl->port);
	a.detail = phase | (pct << 16);
	/* syn.cookies=auto: cookies follow this flood on and off */
	{
		struct ts_policy *pol = policy_get();

		if (pol && pol->syn_cookies == TS_COOKIES_AUTO &&
		    (slot == TS_SYN_HOST ? pol->cookie_nports != 0 : policy_cookie_port(pol, fl->port)))
			a.detail |= TS_FLOOD_COOKIES;
	}
	a.got = rate;
	a.expected = fl->sources;
	a.tcp_flags = TS_TCP_SYN;
	anomaly_emit(&key, &a);
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

/* 1 while an ack_flood is on (ingress segments of unknown tuples) */
static __always_inline int ack_flood_on(void)
{
	__u32 slot = TS_AF_SLOT;
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);

	return fl && fl->active;
}

/* The sum of a slot's finished epoch over the CPUs, one CPU per bpf_loop
 * iteration: the verifier checks the body once, where an open-coded loop
 * of TS_MAX_CPUS lookups that may each fail has Linux 6.1's verifier walk
 * every iteration's branches past its million-instruction budget. */
struct cpu_sum {
	__u32 slot;
	__u32 syn;
	__u32 done;
	__u32 pad;
	__u64 epoch;
};

static long cpu_sum_one(__u32 cpu, void *arg)
{
	struct cpu_sum *s = arg;
	struct ts_synwin *w = bpf_map_lookup_percpu_elem(&synwin, &s->slot, cpu);

	if (!w)
		return 1; /* past the last possible CPU */
	s->syn += ts_win_syn(w, s->epoch);
	s->done += ts_win_done(w, s->epoch);
	return 0;
}

/*
 * Evaluate slot's finished epoch (e - 1) if this CPU is the first to see
 * epoch e there. Returns 1 if it evaluated.
 */
__attribute__((noinline)) int flood_eval(__u32 slot, __u64 e, __u64 now)
{
	struct ts_policy *cfg; /* thresholds: 0 means the default */
	struct ts_flood *fl, *host;
	struct cpu_sum sum = { .slot = slot, .epoch = e - 1 };
	__u32 hslot = TS_SYN_HOST, syn, done, rate, pct, src;
	__u64 old;
	int d;

	fl = bpf_map_lookup_elem(&floods, &slot);
	if (!fl)
		return 0;
	TS_CHECKED(fl);
	old = fl->epoch;
	if (old == e || __sync_val_compare_and_swap(&fl->epoch, old, e) != old)
		return 0;
	bpf_loop(TS_MAX_CPUS, cpu_sum_one, &sum, 0);
	syn = sum.syn;
	done = sum.done;
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
 * One event into a window of this CPU's (port, host order, names a port
 * slot's port; 0 for a host-wide window), its finished epoch evaluated at
 * rollover. The host-wide rate windows (TS_BS_SLOT, TS_AF_SLOT) count:
 * - backscatter: an RST this host sends for a tuple it holds no
 *   established connection of (a refused SYN, or no entry at all), the
 *   backscatter of a scan of closed ports when it comes in bursts;
 * - ack_flood: an ingress segment of an unknown tuple that is not a SYN
 *   (the pickup path).
 */
__attribute__((noinline)) int window_note(__u32 slot, __u32 port, __u64 now)
{
	struct ts_synwin *w = bpf_map_lookup_elem(&synwin, &slot);
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);
	__u64 e = ts_epoch(now);

	if (!w || !fl)
		return 0;
	ts_win_advance(w, e);
	w->syn[e & 1]++;
	if (port && fl->port != port)
		fl->port = (__u16)port;
	if (fl->epoch != e)
		flood_eval(slot, e, now);
	return 0;
}

/*
 * An ingress SYN (syn = 1) or bad-flags segment (syn = 0): feed the flood
 * windows (SYNs only) and the source's port-scan slot. If it takes the
 * source past the scan threshold, t->scan_ports (and the threshold in
 * scratch, track_facts) say so
 * (detect makes it a finding).
 */
__attribute__((noinline)) int ingress_sketch(const struct pkt *p, struct track_res *t, __u32 syn,
					     __u64 now)
{
	struct ts_policy *cfg; /* thresholds: 0 means the default */
	struct ts_scan *sc;
	__u32 h, slot, thr;
	__u16 port;
	__u64 e;

	if (!p || !t)
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
	thr = cfg_or(cfg ? cfg->scan_ports : 0, TS_DEF_SCAN_PORTS);
	t->scan_ports = (__u16)ts_scan_note(sc, h, port, now, thr);
	t->scan_suspect = syn && sc->flagged && sc->src == h;
	if (t->scan_ports) {
		struct scratch *s = scratch_get();

		if (s) {
			TS_CHECKED(s);
			s->facts.scan_thr = thr;
		}
	}
	return 0;
}

/* An ACK to a probe cookie from p's source (track): 1 once its proofs
 * cover two ports (ts_scan_proof) */
static __always_inline int scan_proof(const struct pkt *p)
{
	__u32 h = ts_addr_hash(p->saddr), slot = h & (TS_SCAN_SLOTS - 1);
	struct ts_scan *sc = bpf_map_lookup_elem(&scans, &slot);

	if (!sc)
		return 0;
	return ts_scan_proof(sc, h, bpf_ntohs(p->dport), bpf_ktime_get_coarse_ns());
}

/* syn.cookies=on: a SYN answered before the sketches still counts in its
 * port's SYN-flood window (so `syn_flood` is still detected and reported),
 * but not in the host-wide window, the source HyperLogLog or the port-scan
 * sketch: the per-SYN cost stays at two per-CPU counters. */
static __always_inline void cookie_flood_count(__u16 port, __u64 now)
{
	window_note(ts_port_slot(port), port, now);
}

#endif /* TCPSENTRY_BPF_FLOOD_H */
