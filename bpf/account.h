/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 6, account, at the pipeline's single exit: what the frame was
 * (packets per hook, TCP segments by class, what could not be parsed),
 * its verdict, counted exactly once (verdict_ingress_{pass,drop,tx},
 * verdict_egress_pass: they sum to packets_ingress and packets_egress), the
 * reason of a drop or a would-drop, the cookies' outcome, and the events:
 * the findings' anomaly events (rate-limited, bpf/emit.h), a ban's action
 * event, the state transitions.
 *
 * The stages count what they do themselves (inserts, promotions, flows
 * left untracked under a flood: count(), bpf/ctx.h); what happened to the
 * packet is counted here, once.
 */
#ifndef TCPSENTRY_BPF_ACCOUNT_H
#define TCPSENTRY_BPF_ACCOUNT_H

#include "maps.h"
#include "emit.h"
#include <tcpsentry/fsm.h>

/* 1: suppress the state events of an embryonic entry now: none while a
 * SYN flood is on, else a per-CPU bucket. Global: off the established-flow
 * path. */
__attribute__((noinline)) int emb_state_gate(__u64 now)
{
	__u32 zero = 0, hslot = TS_SYN_HOST;
	struct ts_flood *host = bpf_map_lookup_elem(&floods, &hslot);
	struct ts_anomalies *an;

	if (host && (host->active || host->ports_active))
		return 1;
	an = bpf_map_lookup_elem(&anomalies, &zero);
	if (!an)
		return 0;
	TS_CHECKED(an);
	return !ts_emb_state_take(&an->rl[TS_RL_STATE], now);
}

/* The state transitions of the step, one TS_EV_STATE event per endpoint
 * that changed. Global: rare, and off the entry's frame. */
__attribute__((noinline)) int state_events(const struct pkt *p, const struct track_res *t,
					   __u32 dir)
{
	struct ts_counters *cn = counters_get();
	struct scratch *s = scratch_get();
	struct ts_config *cfg;
	struct ts_event ev = {};
	int side;

	if (!p || !t || !s)
		return 0;
	TS_CHECKED(s);
	cfg = config_get();
	if (!cfg || !cfg->state_events)
		return 0;
	ev.ts_ns = bpf_ktime_get_ns(); /* precise: events are rare, and ordered by it */
	/* handshakes the server has not completed (embryonic entries: a
	 * flood's SYN and SYN-ACK; established flows never get here): none
	 * while a SYN flood is active, else a per-CPU bucket */
	if (t->old_state[TS_SERVER] < TS_ESTABLISHED && t->new_state[TS_SERVER] < TS_ESTABLISHED &&
	    emb_state_gate(ev.ts_ns)) {
		for (side = 0; side < 2; side++)
			if (t->old_state[side] != t->new_state[side])
				count(cn, TS_C_STATE_SUPPRESSED);
		return 0;
	}
	ev.key = s->key;
	ev.type = TS_EV_STATE;
	ev.client = t->client;
	ev.tcp_flags = p->seg.flags;
	ev.dir = (__u8)dir;
	ev.family = p->family;
	for (side = 0; side < 2; side++) {
		if (t->old_state[side] == t->new_state[side])
			continue;
		ev.side = side;
		ev.from = t->old_state[side];
		ev.to = t->new_state[side];
		if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0))
			count(cn, TS_C_EVENTS_LOST);
		else
			count(cn, TS_C_EVENTS);
	}
	return 0;
}

/* The findings' anomaly events, in detect's order, and the action event
 * of the ban the first banning one led to (only if its own event was
 * written: bans share the kind's event rate limit). Global. */
__attribute__((noinline)) int finding_events(__u32 nf, const struct verdict *v)
{
	struct scratch *s = scratch_get();
	int i, told = 0;

	if (!s || !v)
		return 0;
	TS_CHECKED(s);
	for (i = 0; i < TS_FINDINGS_MAX && i < (int)nf; i++) {
		const struct finding *f = &s->find[i];

		if (anomaly_emit(&s->key, f) && !told && v->banned == 1 && f->kind == v->ban) {
			action_emit(&s->key, f, s->ban_seconds);
			told = 1;
		}
	}
	return 0;
}

/* why it was dropped, or would have been, and what the gate and act did:
 * the `drops` map */
static __always_inline void account_policy(const struct verdict *v)
{
	struct ts_drops *d;
	__u32 zero = 0;

	d = bpf_map_lookup_elem(&drops, &zero);
	if (!d)
		return;
	TS_CHECKED(d);
	if (v->drop)
		d->dropped[(v->drop - 1) & (TS_D_MAX - 1)]++;
	if (v->would)
		d->would_drop[(v->would - 1) & (TS_D_MAX - 1)]++;
	if (v->exempt)
		d->allowed++;
	if (v->banned == 1)
		d->bans++;
	else if (v->banned == 2)
		d->ban_fail++;
}

/* a counter of this CPU's, cn already NULL-checked */
#define BUMP(cn, idx) ((cn)->c[(idx) & (TS_C_MAX - 1)]++)

/* a TCP segment's class */
static __always_inline void classify(const struct pkt *p, struct ts_counters *cn)
{
	__u8 fl = p->seg.flags;

	BUMP(cn, TS_C_TCP);
	if (fl & TS_TCP_SYN)
		BUMP(cn, (fl & TS_TCP_ACK) ? TS_C_SYNACK : TS_C_SYN);
	if (fl & TS_TCP_FIN)
		BUMP(cn, TS_C_FIN);
	if (fl & TS_TCP_RST)
		BUMP(cn, TS_C_RST);
	if (p->seg.len)
		BUMP(cn, TS_C_DATA);
	else if ((fl & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST | TS_TCP_ACK)) == TS_TCP_ACK)
		BUMP(cn, TS_C_ACK_ONLY);
}

/* what every frame counts: the hook, the class, the verdict. 0: nothing
 * else to count (not IP, not TCP). */
static __always_inline int account_frame(const struct pkt *p, const struct verdict *v,
					 struct ts_counters *cn, __u32 dir)
{
	if (!cn)
		return 1;
	TS_CHECKED(cn); /* one check for all the increments below */
	BUMP(cn, dir == DIR_INGRESS ? TS_C_PKTS_IN : TS_C_PKTS_OUT);
	switch (p->kind) {
	case PKT_TCP:
		/* dropped at the gate: a TCP segment, no more (it fed nothing) */
		if (v->gate == GATE_NONE)
			BUMP(cn, TS_C_TCP);
		else
			classify(p, cn);
		break;
	case PKT_NON_IP:
	case PKT_NON_TCP:
		/* not for us: passed, nothing else to count */
		BUMP(cn, p->kind == PKT_NON_IP ? TS_C_NON_IP : TS_C_NON_TCP);
		BUMP(cn, dir == DIR_EGRESS ? TS_C_OUT_PASS : TS_C_IN_PASS);
		return 0;
	case PKT_FRAG_LATER:
		BUMP(cn, TS_C_FRAG_LATER);
		break;
	default:
		BUMP(cn, p->err);
		break;
	}
	/* TS_C_IN_PASS, _DROP and _TX follow V_PASS, _DROP and _TX */
	BUMP(cn, dir == DIR_EGRESS ? TS_C_OUT_PASS : TS_C_IN_PASS + (v->action & 3));
	return 1;
}

/* The stage (see the top of this file). cn: this CPU's counters. */
static __always_inline void account(const struct pkt *p, const struct track_res *t, __u32 nf,
				    const struct verdict *v, struct ts_counters *cn, __u32 dir)
{
	if (!account_frame(p, v, cn, dir))
		return;

	/* the rest is rare (byte by byte: a wider load over the bytes the
	 * stages just wrote would stall on store forwarding) */
	if (v->drop | v->would | v->exempt | v->banned)
		account_policy(v);
	if (!(t->noted | v->sent))
		return;
	/* SYN cookies: what the ACK's cookie was, what became of a SYN they
	 * answer (left to the kernel: the rewrite does not cover it, under
	 * auto only if nothing dropped it first; or the frame could not be
	 * resized) */
	if (t->cookie == T_COOKIE_VALID)
		count(cn, TS_C_COOKIE_VALID);
	else if (t->cookie == T_COOKIE_BAD)
		count(cn, TS_C_COOKIE_FAILED);
	else if (t->cookie == T_COOKIE_SKIPPED && (v->syn_arm == ARM_ON || v->action != V_DROP))
		count(cn, TS_C_COOKIE_SKIPPED);
	if (v->sent)
		count(cn, v->sent == 1 ? TS_C_COOKIE_SENT : TS_C_COOKIE_SKIPPED);
	if (nf)
		finding_events(nf, v);
	if (t->step & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED))
		state_events(p, t, dir);
}

/* tc ingress: what became of a hand-over (HANDOVER_*, bpf/act.h) */
static __always_inline void account_handover(int r)
{
	if (r == HANDOVER_NONE)
		return;
	count(counters_get(), r == HANDOVER_DONE ? TS_C_COOKIE_HANDOVER :
						  TS_C_COOKIE_HANDOVER_FAIL);
}

#endif /* TCPSENTRY_BPF_ACCOUNT_H */
