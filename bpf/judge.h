/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 4, judge: the only stage that reads the enforcement policy (the
 * lists, bans, SYN limits, anomaly actions, cookies) and the only one that
 * decides a verdict. Ingress (XDP) only: tcpsentry never drops what this
 * host sends. In observe mode a "drop" becomes a would-drop and the packet
 * passes; nothing is banned. Fails open: no policy, no config, a failed
 * lookup -> pass.
 *
 * It is asked twice, at the two points where a decision has to be made:
 *
 * - judge_gate(), right after the headers are parsed and before any state
 *   moves: may this source send at all (allow, deny, bans), is this SYN
 *   within the limits (per port, per source), what of a fragment or an
 *   over-long IPv6 chain, and are cookies armed for this port. A segment
 *   dropped here feeds nothing (GATE_NONE: no options walked, no flow, no
 *   sketch), since the kernel never sees it; a SYN over a limit still
 *   counts in the sketches (GATE_SKETCH: a limited flood is still a flood).
 *   These are the early decisions of the pipeline, carried as the stage
 *   inputs of struct verdict, never as early returns.
 *
 * - judge(), after detect: the actions of the anomalies found (drop, ban),
 *   of a flood an untracked segment falls under, a bad cookie's drop, a
 *   cookie's XDP_TX. The first reason that drops a packet is its reason;
 *   a ban is written (by act) whatever else dropped it.
 *
 * Order, per ingress segment: allow (exempts from everything below) ->
 * deny and bans -> SYN limits -> cookies=on -> the anomalies found and
 * their actions -> cookies=auto.
 *
 * Nothing unproven names an address to punish: a ban is written only when
 * the segment proves its source real. Today that is port_scan's proof: a
 * scan suspect's SYNs to closed ports are answered with probe cookies
 * (track.h, scan_probe) and only its ACKs to those of two ports ban it (an
 * innocent whose address was spoofed, really connecting to one probed
 * port, answers that one); the SYN that
 * crosses the threshold bans nobody (a spoofed scan would name an
 * innocent). The policy refuses `ban` for every other kind.
 */
#ifndef TCPSENTRY_BPF_JUDGE_H
#define TCPSENTRY_BPF_JUDGE_H

#include <bpf/bpf_endian.h>
#include "maps.h"
#include <tcpsentry/ratelimit.h>
#include <tcpsentry/sketch.h>

/* A drop for `reason` under pol: the verdict in enforce mode, a would-drop
 * in observe. The first reason stands. 1: dropped. */
static __always_inline int verdict_drop(struct verdict *v, const struct ts_policy *pol,
					__u32 reason)
{
	if (pol->mode != TS_MODE_ENFORCE) {
		if (!v->would)
			v->would = (__u8)(reason + 1);
		return 0;
	}
	if (!v->drop)
		v->drop = (__u8)(reason + 1);
	v->action = V_DROP;
	return 1;
}

/* ---- the gate: lists, bans, limits ---------------------------------------------- */

/* what the gate is asked about */
#define GATE_ASK_TCP 0
#define GATE_ASK_FRAGMENT 1  /* a fragment without a TCP header */
#define GATE_ASK_UNPARSED 2  /* an IPv6 chain longer than the parser follows */
#define GATE_ASK_TINY_FRAGMENT 3 /* a first fragment without the whole TCP header */

static __always_inline struct ts_list_val *list_match(void *map, const struct pkt *p, __u32 gen)
{
	struct ts_lpm_key k = {
		.prefixlen = TS_LPM_BITS(128),
		.gen = (__u8)gen,
	};
	struct ts_list_val *v;

	__builtin_memcpy(k.addr, p->saddr, 16);
	v = bpf_map_lookup_elem(map, &k);
	/* ::/0 is all of IPv6, not IPv4 too (TS_L_V6_ONLY) */
	if (v && (v->lists & TS_L_V6_ONLY) && p->family == 4)
		return NULL;
	return v;
}

static __always_inline struct ts_list_val *host_match(const void *addr, __u32 gen)
{
	struct ts_host_key k = { .gen = (__u8)gen };

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&hosts, &k);
}

/* a deny membership in force at `now` */
static __always_inline int denies(const struct ts_list_val *v, __u64 now)
{
	return (!v->expires_ns || v->expires_ns > now);
}

/* The SYN limits of a SYN (no ACK) that passed the lists, under the
 * policy's mode. 1: over a limit (a drop, or a would-drop). */
static __always_inline int syn_limits(const struct pkt *p, const struct ts_policy *pol,
				      struct verdict *v, __u64 now)
{
	__u64 *pc = NULL, *s0 = NULL, *s1 = NULL, iv_port = 0, iv_src = 0;
	__u32 rate = pol->syn_rate_per_port;

	if (rate) {
		__u32 port = bpf_ntohs(p->dport);

		iv_port = ts_gcra_interval(rate);
		pc = bpf_map_lookup_elem(&port_rl, &port);
		/* a port may take one second's worth at once */
		if (pc && !ts_gcra_conforms(*pc, now, (__u64)rate * iv_port))
			return verdict_drop(v, pol, TS_D_SYN_RATE_PORT);
	}
	rate = pol->syn_rate_per_source;
	if (rate) {
		struct ts_config *cfg = config_get();
		__u32 h = ts_addr_hash(p->saddr), seed = cfg ? cfg->hash_seed : 0;
		__u32 c0 = ts_src_cell(h, seed, 0), c1 = ts_src_cell(h, seed, 1);
		__u64 tol;

		iv_src = ts_gcra_interval(rate);
		tol = (__u64)pol->syn_burst_per_source * iv_src;
		s0 = bpf_map_lookup_elem(&src_rl, &c0);
		s1 = bpf_map_lookup_elem(&src_rl, &c1);
		/* count-min: over the limit only if both cells are */
		if (s0 && s1 && !ts_gcra_conforms(*s0, now, tol) && !ts_gcra_conforms(*s1, now, tol))
			return verdict_drop(v, pol, TS_D_SYN_RATE_SOURCE);
	}
	/* accepted: charge every cell it was checked against */
	if (pc)
		*pc = ts_gcra_next(*pc, now, iv_port);
	if (s0)
		*s0 = ts_gcra_next(*s0, now, iv_src);
	if (s1)
		*s1 = ts_gcra_next(*s1, now, iv_src);
	return 0;
}

/* 1 if the gate has anything to decide for this segment: lists loaded,
 * bans possible, or a SYN with a limit set. Inlined, so an ordinary
 * segment under an empty policy pays no call. */
static __always_inline int gate_wanted(const struct pkt *p, const struct ts_policy *pol)
{
	return (pol->flags & (TS_POL_HOSTS | TS_POL_ALLOW | TS_POL_DENY | TS_POL_BANS)) ||
	       ((p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_SYN &&
		(pol->syn_rate_per_source | pol->syn_rate_per_port));
}

/* the cache slot of a source, and whether it holds a live decision */
static __always_inline struct ts_gate_cache *gate_cached(const struct pkt *p,
							 const struct ts_policy *pol, __u64 now,
							 __u64 epoch, int *hit)
{
	__u32 slot = ts_addr_hash(p->saddr) & (TS_GATE_CACHE_SLOTS - 1);
	struct ts_gate_cache *c = bpf_map_lookup_elem(&gate_cache, &slot);

	*hit = c && c->version == pol->version && pol->version && c->ban_epoch == epoch &&
	       c->addr[0] == p->saddr[0] && c->addr[1] == p->saddr[1] &&
	       c->addr[2] == p->saddr[2] && c->addr[3] == p->saddr[3] &&
	       (!c->expires_ns || c->expires_ns > now);
	return c;
}

static __always_inline void gate_remember(struct ts_gate_cache *c, const struct pkt *p,
					  const struct ts_policy *pol, __u64 epoch,
					  __u32 reason, __u64 expires)
{
	if (!c)
		return;
	c->addr[0] = p->saddr[0];
	c->addr[1] = p->saddr[1];
	c->addr[2] = p->saddr[2];
	c->addr[3] = p->saddr[3];
	c->version = pol->version;
	c->reason = reason;
	c->expires_ns = expires;
	c->ban_epoch = epoch;
}

/* The lists' decision for the source: TS_D_DENY, TS_D_BANNED, TS_GC_PASS
 * or TS_GC_EXEMPT, and the expiry of a denial. */
static __always_inline __u32 lists_decide(const struct pkt *p, const struct ts_policy *pol,
					  __u64 now, __u64 *expires)
{
	struct ts_list_val *v;
	__u32 reason = TS_GC_PASS;

	/* one hash lookup answers both lists for a single address */
	if (pol->flags & TS_POL_HOSTS) {
		v = host_match(p->saddr, pol->list_gen);
		if (v) {
			if (v->lists & TS_L_ALLOW)
				return TS_GC_EXEMPT;
			/* an expired entry no longer matches; the sweeper removes it */
			if ((v->lists & TS_L_DENY) && denies(v, now)) {
				reason = TS_D_DENY;
				*expires = v->expires_ns;
			}
		}
	}
	/* allow wins over everything: its prefixes too */
	if ((pol->flags & TS_POL_ALLOW) && list_match(&allow, p, pol->list_gen))
		return TS_GC_EXEMPT;
	if (reason == TS_GC_PASS && (pol->flags & TS_POL_DENY)) {
		v = list_match(&deny, p, pol->list_gen);
		if (v && denies(v, now)) {
			reason = TS_D_DENY;
			*expires = v->expires_ns;
		}
	}
	if (reason == TS_GC_PASS && (pol->flags & TS_POL_BANS)) {
		struct ts_ban_key bk;

		__builtin_memcpy(bk.addr, p->saddr, 16);
		v = bpf_map_lookup_elem(&bans, &bk);
		if (v && denies(v, now)) {
			reason = TS_D_BANNED;
			*expires = v->expires_ns;
		}
	}
	return reason;
}

/*
 * The gate every ingress TCP segment (and every fragment or unparsed
 * chain) passes before it moves any state: fills v->gate and v->exempt,
 * and v's drop (or would-drop). Global: checked once by the verifier, off
 * the parser's paths.
 */
__attribute__((noinline)) int gate_decide(const struct pkt *p, struct verdict *v, __u32 what,
					  __u64 now)
{
	struct ts_policy *pol = policy_get();
	struct ts_gate_cache *gc = NULL;
	__u32 reason = TS_GC_PASS, zero = 0;
	__u64 expires = 0, epoch = 0, *ep;
	int hit = 0;

	if (!pol || !p || !v)
		return 0;
	TS_CHECKED(pol);
	if (pol->flags & (TS_POL_HOSTS | TS_POL_ALLOW | TS_POL_DENY | TS_POL_BANS)) {
		if (!(pol->flags & TS_POL_NO_CACHE)) {
			ep = bpf_map_lookup_elem(&ban_epoch, &zero);
			epoch = ep ? *ep : 0;
			gc = gate_cached(p, pol, now, epoch, &hit);
		}
		if (hit && gc) {
			reason = gc->reason;
		} else {
			reason = lists_decide(p, pol, now, &expires);
			gate_remember(gc, p, pol, epoch, reason, expires);
		}
		if (reason == TS_GC_EXEMPT) {
			v->exempt = 1;
			return 0;
		}
		if (reason != TS_GC_PASS) {
			if (verdict_drop(v, pol, reason))
				v->gate = GATE_NONE;
			return 0;
		}
	}
	if (what == GATE_ASK_FRAGMENT) {
		if (pol->action_fragment == TS_ACT_DROP)
			verdict_drop(v, pol, TS_D_FRAGMENT);
		return 0;
	}
	if (what == GATE_ASK_UNPARSED) {
		if (pol->action_unparsed == TS_ACT_DROP)
			verdict_drop(v, pol, TS_D_UNPARSED);
		return 0;
	}
	if (what == GATE_ASK_TINY_FRAGMENT) {
		if (pol->action_tiny_fragment == TS_ACT_DROP)
			verdict_drop(v, pol, TS_D_TINY_FRAGMENT);
		return 0;
	}
	if ((p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_SYN &&
	    (pol->syn_rate_per_source | pol->syn_rate_per_port) && syn_limits(p, pol, v, now) &&
	    v->action == V_DROP)
		v->gate = GATE_SKETCH;
	return 0;
}

/* What the rest of the pipeline must know of the policy before the
 * verdict: cookies armed for the port (the key is there, the port listed),
 * and whether a port scan this SYN completes would drop it. Inlined: an
 * ordinary segment pays a compare or two. */
static __always_inline void gate_arm(const struct pkt *p, const struct ts_policy *pol,
				     struct verdict *v)
{
	__u8 fl = p->seg.flags;

	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK)
		v->scan_stops = pol->mode == TS_MODE_ENFORCE && !v->exempt &&
				pol->action[TS_A_PORT_SCAN] != TS_ACT_PASS;
	if (pol->syn_cookies == TS_COOKIES_OFF || !policy_cookie_port(pol, bpf_ntohs(p->dport)) ||
	    !config_cookies())
		return;
	if ((fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN)
		v->syn_arm = pol->syn_cookies == TS_COOKIES_ON ? ARM_ON : ARM_AUTO;
	else if ((fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_ACK)
		v->ack_arm = 1;
}

/* The early half of the stage (see the top of this file). cn: this CPU's
 * counters, for the clock. */
static __always_inline void judge_gate(const struct pkt *p, struct verdict *v,
				       struct ts_counters *cn, __u32 dir)
{
	struct ts_policy *pol;
	__u32 what;

	if (dir != DIR_INGRESS)
		return;
	if (p->kind == PKT_TCP)
		what = GATE_ASK_TCP;
	else if (p->kind == PKT_FRAG_LATER)
		what = GATE_ASK_FRAGMENT;
	else if (p->kind == PKT_ERR && p->err == TS_C_ERR_IPV6_CHAIN)
		what = GATE_ASK_UNPARSED;
	else if (p->kind == PKT_ERR && p->err == TS_C_ERR_TINY_FRAG)
		what = GATE_ASK_TINY_FRAGMENT;
	else
		return;
	pol = policy_get();
	if (!pol)
		return;
	if (what != GATE_ASK_TCP || gate_wanted(p, pol))
		gate_decide(p, v, what, clock_coarse(cn));
	if (what == GATE_ASK_TCP && v->gate == GATE_ALL &&
	    (pol->syn_cookies != TS_COOKIES_OFF ||
	     (p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK))
		gate_arm(p, pol, v);
}

/* ---- the verdict --------------------------------------------------------------------- */

/*
 * The actions on what detect found and track saw, into v. Global: off the
 * established-flow path, which never finds anything.
 */
__attribute__((noinline)) int judge_findings(const struct track_res *t, __u32 nf,
					     struct verdict *v)
{
	struct ts_policy *pol = policy_get();
	struct scratch *s = scratch_get();
	__u32 i, kind;
	__u8 act;

	if (!t || !v)
		return 0;
	/* a bad cookie is dropped in observe and enforce mode alike: cookies
	 * act in both (answering a SYN is the mitigation itself), and an ACK
	 * to a port whose SYNs the kernel never saw can only get an RST */
	if (t->cookie == T_COOKIE_BAD) {
		if (!v->drop)
			v->drop = TS_D_BAD_COOKIE + 1;
		v->action = V_DROP;
	}
	if (!pol)
		return 0;
	TS_CHECKED(pol);
	/* a scan suspect's SYN to a closed port no probe could answer */
	if (t->scan == T_SCAN_CLOSED)
		verdict_drop(v, pol, TS_D_ANOMALY + TS_A_PORT_SCAN);
	if (s) {
		TS_CHECKED(s);
		for (i = 0; i < TS_FINDINGS_MAX && i < nf; i++) {
			const struct finding *f = &s->find[i];

			if (!f->act)
				continue;
			kind = f->kind & (TS_A_MAX - 1); /* a mask the verifier can follow */
			act = pol->action[kind];
			/* a scan suspect's SYN to an open port, or one a probe
			 * answers: handled (track.h, scan_probe), nothing to drop */
			if (kind == TS_A_PORT_SCAN &&
			    (t->scan == T_SCAN_OPEN || t->scan == T_SCAN_PROBED))
				continue;
			if (act == TS_ACT_PASS)
				continue;
			/* a ban only on proof the source is real and scans: its
			 * ACKs to probe cookies of two ports; anything else is
			 * dropped, nobody named */
			if (act == TS_ACT_BAN && pol->mode == TS_MODE_ENFORCE && !v->ban &&
			    kind == TS_A_PORT_SCAN && t->cookie == T_COOKIE_PROBE &&
			    t->scan == T_SCAN_PROVEN)
				v->ban = (__u8)kind;
			verdict_drop(v, pol, TS_D_ANOMALY + kind);
		}
	}
	/* a segment left untracked under a flood meets its kind's action: no
	 * event per segment, a drop count */
	if (t->flood && !v->exempt) {
		kind = t->flood & (TS_A_MAX - 1);
		if (pol->action[kind] != TS_ACT_PASS)
			verdict_drop(v, pol, TS_D_ANOMALY + kind);
	}
	return 0;
}

/* The verdict (see the top of this file). nf: detect's findings. */
static __always_inline void judge(const struct track_res *t, __u32 nf, struct verdict *v,
				  __u32 dir)
{
	if (dir != DIR_INGRESS || !t->noted)
		return;
	if (nf || t->flood || t->cookie == T_COOKIE_BAD || t->scan == T_SCAN_CLOSED)
		judge_findings(t, nf, v);
	/* the SYN cookies answer: our SYN-ACK, unless it is dropped */
	if (t->cookie == T_COOKIE_ANSWER && v->action == V_PASS)
		v->action = V_TX;
}

#endif /* TCPSENTRY_BPF_JUDGE_H */
