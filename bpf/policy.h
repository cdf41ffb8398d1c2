/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Enforcement: the allow and deny lists, the SYN rate limits, the verdicts
 * of anomaly actions, bans. Ingress (XDP) only: tcpsentry never drops what
 * this host sends.
 *
 * Order, per ingress segment: allow (exempts from everything below) ->
 * deny and bans -> SYN limits (per port, per source) -> the anomalies the
 * tracker raises, each with its kind's action. In observe mode every "drop"
 * is counted as would_drop and the packet passes; nothing is banned.
 *
 * Fails open: no policy, no config, a failed lookup -> pass.
 */
#ifndef TCPSENTRY_BPF_POLICY_H
#define TCPSENTRY_BPF_POLICY_H

#include "maps.h"
#include "parse.h"
#include <tcpsentry/fsm.h>
#include <tcpsentry/ratelimit.h>
#include <tcpsentry/sketch.h>

/* what the gate is asked about */
#define GATE_TCP 0
#define GATE_FRAGMENT 1  /* a fragment without a TCP header */
#define GATE_UNPARSED 2  /* an IPv6 chain longer than the parser follows */

/* the gate's verdicts */
#define GATE_PASS 0
#define GATE_DROP_NOW 1     /* denied or banned: drop before anything else */
#define GATE_DROP_LIMITED 2 /* over a SYN limit: drop, after the flood sketches */

static __always_inline struct ts_policy *policy_get(void)
{
	__u32 zero = 0, slot = 0;
	struct ts_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (cfg)
		slot = cfg->policy_slot & 1;
	return bpf_map_lookup_elem(&policy, &slot);
}

/* Count a drop (enforce) or a would-drop (observe) for `reason`; 1: drop. */
static __always_inline int policy_verdict(const struct ts_policy *pol, __u32 reason)
{
	struct ts_drops *d;
	__u32 zero = 0;

	if (!pol || reason >= TS_D_MAX)
		return 0;
	/* the compare above, again as a mask the compiler cannot fold away:
	 * the verifier then knows the index bound on every path */
	TS_OPAQUE(reason);
	reason &= TS_D_MAX - 1;
	d = bpf_map_lookup_elem(&drops, &zero);
	if (pol->mode == TS_MODE_ENFORCE) {
		if (d)
			d->dropped[reason]++;
		return 1;
	}
	if (d)
		d->would_drop[reason]++;
	return 0;
}

static __always_inline struct ts_list_val *list_match(void *map, const void *addr, __u32 gen)
{
	struct ts_lpm_key k = {
		.prefixlen = TS_LPM_BITS(128),
		.gen = (__u8)gen,
	};

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(map, &k);
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

/*
 * Ban `addr` for the policy's ban_seconds, because of anomaly `kind`: a
 * hosts entry. An address the operator already denies stays as it is; an
 * expired or live ban is renewed in place. Returns 1 if a ban was written.
 * Enforce mode only (the caller checks).
 */
static __always_inline int ban_write(const struct ts_policy *pol, const void *addr, __u32 kind,
				     __u64 now)
{
	struct ts_host_key k = { .gen = (__u8)pol->list_gen };
	struct ts_list_val v = {
		.added_ns = now,
		.expires_ns = now + (__u64)pol->ban_seconds * 1000000000ull,
		.reason = kind,
		.lists = TS_L_DENY,
	};
	struct ts_list_val *cur;
	struct ts_drops *d;
	__u32 zero = 0;
	int ok = 1;

	__builtin_memcpy(k.addr, addr, 16);
	cur = bpf_map_lookup_elem(&hosts, &k);
	if (cur) {
		if ((cur->lists & TS_L_DENY) && !cur->reason && denies(cur, now))
			return 0; /* the operator's deny: already dropped, keep it */
		cur->expires_ns = v.expires_ns;
		cur->added_ns = now;
		cur->reason = kind;
		cur->lists |= TS_L_DENY;
	} else {
		ok = bpf_map_update_elem(&hosts, &k, &v, BPF_NOEXIST) == 0;
	}
	d = bpf_map_lookup_elem(&drops, &zero);
	if (d) {
		if (ok)
			d->bans++;
		else
			d->ban_fail++;
	}
	if (ok) {
		/* every CPU's cached decisions predate this ban: void them */
		__u64 *ep = bpf_map_lookup_elem(&ban_epoch, &zero);

		if (ep)
			__sync_fetch_and_add(ep, 1);
	}
	return ok;
}

/* The SYN limits of a SYN (no ACK) that passed the lists. 1: drop. */
static __always_inline int syn_limits(const struct pkt *p, const struct ts_policy *pol, __u64 now)
{
	__u64 *pc = NULL, *s0 = NULL, *s1 = NULL, iv_port = 0, iv_src = 0;
	__u32 rate = pol->syn_rate_per_port, zero = 0;

	if (rate) {
		__u32 port = bpf_ntohs(p->dport);

		iv_port = ts_gcra_interval(rate);
		pc = bpf_map_lookup_elem(&port_rl, &port);
		/* a port may take one second's worth at once */
		if (pc && !ts_gcra_conforms(*pc, now, (__u64)rate * iv_port))
			return policy_verdict(pol, TS_D_SYN_RATE_PORT);
	}
	rate = pol->syn_rate_per_source;
	if (rate) {
		struct ts_config *cfg = bpf_map_lookup_elem(&config, &zero);
		__u32 h = ts_addr_hash(p->saddr), seed = cfg ? cfg->hash_seed : 0;
		__u32 c0 = ts_src_cell(h, seed, 0), c1 = ts_src_cell(h, seed, 1);
		__u64 tol;

		iv_src = ts_gcra_interval(rate);
		tol = (__u64)pol->syn_burst_per_source * iv_src;
		s0 = bpf_map_lookup_elem(&src_rl, &c0);
		s1 = bpf_map_lookup_elem(&src_rl, &c1);
		/* count-min: over the limit only if both cells are */
		if (s0 && s1 && !ts_gcra_conforms(*s0, now, tol) && !ts_gcra_conforms(*s1, now, tol))
			return policy_verdict(pol, TS_D_SYN_RATE_SOURCE);
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
 * segment under an empty policy pays two array lookups, not a call. */
static __always_inline int gate_wanted(const struct pkt *p)
{
	struct ts_policy *pol = policy_get();

	return pol && ((pol->flags & (TS_POL_HOSTS | TS_POL_ALLOW | TS_POL_DENY)) ||
		       ((p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_SYN &&
			(pol->syn_rate_per_source | pol->syn_rate_per_port)));
}

/*
 * The gate every ingress TCP segment (and every fragment or unparsed
 * chain) passes before it is tracked. Marks an allowlisted source's packet
 * PKT_IN_EXEMPT. Returns GATE_*. Global: checked once by the verifier, off
 * the parser's paths.
 */
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

/* an allowlisted source's packet: passes everything */
static __always_inline int gate_exempt(struct pkt *p)
{
	struct ts_drops *d;
	__u32 zero = 0;

	p->out |= PKT_IN_EXEMPT;
	d = bpf_map_lookup_elem(&drops, &zero);
	if (d)
		d->allowed++;
	return GATE_PASS;
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
				reason = v->reason ? TS_D_BANNED : TS_D_DENY;
				*expires = v->expires_ns;
			}
		}
	}
	/* allow wins over everything: its prefixes too */
	if ((pol->flags & TS_POL_ALLOW) && list_match(&allow, p->saddr, pol->list_gen))
		return TS_GC_EXEMPT;
	if (reason == TS_GC_PASS && (pol->flags & TS_POL_DENY)) {
		v = list_match(&deny, p->saddr, pol->list_gen);
		if (v && denies(v, now)) {
			reason = TS_D_DENY;
			*expires = v->expires_ns;
		}
	}
	return reason;
}

__attribute__((noinline)) int policy_gate(struct pkt *p, __u32 what, __u64 now)
{
	struct ts_policy *pol = policy_get();
	struct ts_gate_cache *gc = NULL;
	__u32 reason = TS_GC_PASS, zero = 0;
	__u64 expires = 0, epoch = 0, *ep;
	int hit = 0;

	if (!pol || !p)
		return GATE_PASS;
	if (pol->flags & (TS_POL_HOSTS | TS_POL_ALLOW | TS_POL_DENY)) {
		if (!(pol->flags & TS_POL_NO_CACHE)) {
			ep = bpf_map_lookup_elem(&ban_epoch, &zero);
			epoch = ep ? *ep : 0;
			gc = gate_cached(p, pol, now, epoch, &hit);
		}
		if (hit) {
			reason = gc->reason;
		} else {
			reason = lists_decide(p, pol, now, &expires);
			gate_remember(gc, p, pol, epoch, reason, expires);
		}
		if (reason == TS_GC_EXEMPT)
			return gate_exempt(p);
		if (reason != TS_GC_PASS)
			return policy_verdict(pol, reason) ? GATE_DROP_NOW : GATE_PASS;
	}
	if (what == GATE_FRAGMENT)
		return pol->action_fragment == TS_ACT_DROP && policy_verdict(pol, TS_D_FRAGMENT) ?
			       GATE_DROP_NOW : GATE_PASS;
	if (what == GATE_UNPARSED)
		return pol->action_unparsed == TS_ACT_DROP && policy_verdict(pol, TS_D_UNPARSED) ?
			       GATE_DROP_NOW : GATE_PASS;
	if ((p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_SYN &&
	    (pol->syn_rate_per_source | pol->syn_rate_per_port))
		return syn_limits(p, pol, now) ? GATE_DROP_LIMITED : GATE_PASS;
	return GATE_PASS;
}

/* The action of an anomaly kind's flood state on a segment it covers (a
 * new-tuple SYN during a syn_flood, an unknown-tuple ACK during an
 * ack_flood): no event per segment, a drop count. 1: drop. Global: off
 * track_segment's stack frame, which shares the 512-byte budget. */
__attribute__((noinline)) int flood_action(const struct pkt *p, __u32 kind)
{
	struct ts_policy *pol;

	if (!p || (p->out & PKT_IN_EXEMPT))
		return 0;
	pol = policy_get();
	kind &= TS_A_MAX - 1; /* a mask the verifier can follow, not a compare */
	if (!pol || pol->action[kind] == TS_ACT_PASS)
		return 0;
	return policy_verdict(pol, TS_D_ANOMALY + kind);
}

/* SYN cookies (bpf/cookie.h): is port (host order) in syn.cookie_ports? */
static __always_inline int cookie_port(const struct ts_policy *pol, __u16 port)
{
	__u32 n = pol->cookie_nports;

	return (n > 0 && pol->cookie_ports[0] == port) || (n > 1 && pol->cookie_ports[1] == port) ||
	       (n > 2 && pol->cookie_ports[2] == port) || (n > 3 && pol->cookie_ports[3] == port);
}

/* 1 if ACKs to port (host order) may carry our cookies: cookies not off
 * for it (in auto mode: cookies sent during a flood are answered after) */
static __always_inline int cookie_ack_port(__u16 port)
{
	struct ts_policy *pol = policy_get();

	return pol && pol->syn_cookies != TS_COOKIES_OFF && cookie_port(pol, port);
}

#endif /* TCPSENTRY_BPF_POLICY_H */
