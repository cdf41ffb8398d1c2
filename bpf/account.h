/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 6, account, at the pipeline's single exit: what the frame was
 * (packets per hook, TCP segments by class, what could not be parsed),
 * its verdict, counted exactly once (verdict_ingress_{pass,drop,tx},
 * verdict_egress_pass: they sum to packets_ingress and packets_egress), the
 * reason of a drop or a would-drop, the cookies' outcome, and the events:
 * the findings' anomaly events and a policy drop's (rate-limited, with the
 * frame's first bytes, bpf/emit.h), a ban's action event, the state
 * transitions; and the record of a connection the segment ended (the
 * records ring, include/tcpsentry/record.h).
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
#include <tcpsentry/flowkey.h>

/* one TS_EV_STATE event: ev's side moved from -> to */
static __always_inline void state_event(struct ts_event *ev, struct ts_counters *cn, __u32 side,
					__u32 from, __u32 to)
{
	ev->side = (__u8)side;
	ev->from = (__u8)from;
	ev->to = (__u8)to;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), 0))
		count(cn, TS_C_EVENTS_LOST);
	else
		count(cn, TS_C_EVENTS);
}

/* The events a handshake held until this step proved it (hs_log.h), in
 * their order: a SYN's at the flow's syn_ns, a SYN-ACK's at its synack_ns,
 * never earlier than the one before; now for what has no time of its own. */
static __always_inline void held_events(struct ts_event *ev, struct ts_counters *cn,
					const struct track_facts *fa, __u64 now)
{
	__u64 log = fa->hs.flush, ts = 0, t0;
	unsigned n = ts_hs_steps(log), from[2], i, side;
	__u32 step, to;
	__u8 fl;

	from[TS_CLIENT] = ts_hs_from(log, TS_CLIENT);
	from[TS_SERVER] = ts_hs_from(log, TS_SERVER);
	for (i = 0; i < TS_HS_MAX_STEPS && i < n; i++) {
		step = ts_hs_step(log, i);
		fl = ts_hs_step_flags(step);
		t0 = !(fl & TS_TCP_SYN) ? now : (fl & TS_TCP_ACK) ? fa->hs_synack_ns : fa->hs_syn_ns;
		if (t0 > ts)
			ts = t0;
		ev->ts_ns = ts ? ts : now;
		ev->tcp_flags = fl;
		ev->dir = ts_hs_step_dir(step);
		for (side = 0; side < 2; side++) {
			to = ts_hs_step_to(step, side);
			if (to == TS_HS_SAME)
				continue;
			state_event(ev, cn, side, from[side], to);
			from[side] = to;
		}
	}
}

/* The state transitions of the step, one TS_EV_STATE event per endpoint
 * that changed, after those a handshake held until this step proved it;
 * none for a step an unproven handshake holds (track: ts_hs_hold).
 * Global: rare, and off the entry's frame. */
__attribute__((noinline)) int state_events(const struct pkt *p, const struct track_res *t,
					   __u32 dir)
{
	struct ts_counters *cn = counters_get();
	struct scratch *s = scratch_get();
	struct ts_config *cfg;
	struct ts_event ev = {};
	__u64 now;
	int side;

	if (!p || !t || !s)
		return 0;
	TS_CHECKED(s);
	cfg = config_get();
	if (!cfg || !cfg->state_events)
		return 0;
	if (s->facts.hs.dropped)
		count_n(cn, TS_C_STATE_SUPPRESSED, s->facts.hs.dropped);
	if (s->facts.hs.unproven)
		count_n(cn, TS_C_STATE_UNPROVEN, s->facts.hs.unproven);
	now = bpf_ktime_get_ns(); /* precise: events are rare, and ordered by it */
	ev.key = s->key;
	ev.type = TS_EV_STATE;
	ev.client = t->client;
	ev.family = p->family;
	if (s->facts.hs.flush)
		held_events(&ev, cn, &s->facts, now);
	if (s->facts.hs.held)
		return 0;
	ev.ts_ns = now;
	ev.tcp_flags = t->frag_flags ? t->frag_flags : p->seg.flags;
	ev.dir = (__u8)dir;
	for (side = 0; side < 2; side++)
		if (t->old_state[side] != t->new_state[side])
			state_event(&ev, cn, side, t->old_state[side], t->new_state[side]);
	return 0;
}

/* The drop reason (enum ts_drop_reason) of a verdict that dropped, or in
 * observe mode would have, + 1; 0: none */
static __always_inline __u32 drop_reason1(const struct verdict *v)
{
	return v->drop ? v->drop : v->would;
}

/* a TS_EV_DROP event for the frame's drop, rate-limited per reason like
 * the anomalies' events per kind, its frame sampled. The bucket reads the
 * cached coarse clock: a flood of dropped frames (a denied source's SYNs)
 * mostly finds it empty, and pays no clock helper for that; only an event
 * that goes out takes the precise time. */
static __always_inline void drop_report(void *ctx, __u32 dir, const struct pkt *p,
					const struct verdict *v)
{
	__u32 zero = 0, reason = (drop_reason1(v) - 1) & (TS_D_MAX - 1);
	struct ts_event_sampled *e;
	struct ts_drop_rl *d;
	struct ts_rl *rl;

	d = bpf_map_lookup_elem(&drop_rl, &zero);
	if (!d)
		return;
	TS_CHECKED(d);
	rl = &d->rl[reason];
	if (!ts_rl_take(rl, clock_coarse(counters_get())))
		return;
	e = event_begin(1, rl, bpf_ktime_get_ns());
	if (!e)
		return;
	e->ev.type = TS_EV_DROP;
	e->ev.kind = reason;
	e->ev.detail = v->drop ? 0 : 1;
	e->ev.client = TS_EV_CLIENT_UNKNOWN;
	e->ev.sender = (__u8)ts_key_make(&e->ev.key, p->saddr, p->sport, p->daddr, p->dport);
	e->ev.tcp_flags = p->kind == PKT_TCP ? p->seg.flags : 0;
	e->ev.dir = (__u8)dir;
	e->ev.family = p->family;
	event_end(ctx, dir, 1, rl, e);
}

/*
 * The events a frame raised, each with the frame's first bytes: the
 * findings' anomaly events, in detect's order, the action event of the ban
 * the first banning one led to (only if its own event was written: bans
 * share the kind's event rate limit), and a drop by policy that no finding
 * tells of (a denied source, a limit, a flood's untracked segment). One
 * global function per hook (the context's type is the hook's), each
 * verified once; off the path of a frame that raised nothing.
 */
static __always_inline int frame_events(void *ctx, __u32 dir, const struct pkt *p, __u32 nf,
					const struct verdict *v)
{
	struct scratch *s = scratch_get();
	int i, told = 0;
	__u32 r1;

	if (!s || !p || !v)
		return 0;
	TS_CHECKED(s);
	r1 = drop_reason1(v);
	for (i = 0; i < TS_FINDINGS_MAX && i < (int)nf; i++) {
		const struct finding *f = &s->find[i];

		if (anomaly_report(ctx, dir, 1, &s->key, f) && !told && v->banned == 1 &&
		    f->kind == v->ban) {
			action_emit(&s->key, f, s->ban_seconds);
			told = 1;
		}
	}
	if (r1 && (r1 - 1 < TS_D_ANOMALY || !nf))
		drop_report(ctx, dir, p, v);
	return 0;
}

__attribute__((noinline)) int frame_events_xdp(struct xdp_md *ctx, const struct pkt *p, __u32 nf,
					       const struct verdict *v)
{
	return frame_events(ctx, DIR_INGRESS, p, nf, v);
}

__attribute__((noinline)) int frame_events_tc(struct __sk_buff *ctx, const struct pkt *p,
					      __u32 nf, const struct verdict *v)
{
	return frame_events(ctx, DIR_EGRESS, p, nf, v);
}

/* The record of the connection the step ended (scratch.rec, taken by
 * track under the entry's lock), on the records ring; a full ring is
 * counted, never silent. Global: once per connection. */
__attribute__((noinline)) int record_emit(void)
{
	struct ts_counters *cn = counters_get();
	struct scratch *s = scratch_get();

	if (!s || !records_on())
		return 0;
	TS_CHECKED(s);
	if (bpf_ringbuf_output(&records, &s->rec, sizeof(s->rec), 0))
		count(cn, TS_C_RECORDS_LOST);
	else
		count(cn, TS_C_RECORDS);
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

/* The stage (see the top of this file). ctx: the hook's context (the
 * events' samples); cn: this CPU's counters. */
static __always_inline void account(void *ctx, const struct pkt *p, const struct track_res *t,
				    __u32 nf, const struct verdict *v, struct ts_counters *cn,
				    __u32 dir)
{
	__u32 evs = nf;

	if (!account_frame(p, v, cn, dir))
		return;

	/* the rest is rare (byte by byte: a wider load over the bytes the
	 * stages just wrote would stall on store forwarding) */
	if (v->drop | v->would | v->exempt | v->banned) {
		account_policy(v);
		evs |= drop_reason1(v);
	}
	if (evs) {
		if (dir == DIR_INGRESS)
			frame_events_xdp(ctx, p, nf, v);
		else
			frame_events_tc(ctx, p, nf, v);
	}
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
	if (t->step & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED))
		state_events(p, t, dir);
	if (t->record)
		record_emit();
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
