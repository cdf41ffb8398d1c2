/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reporting an anomaly: the exact per-kind, per-CPU count always; a
 * TS_EV_ANOMALY ring-buffer event when the kind's per-CPU token bucket
 * allows it (TS_RL_RATE/s, burst TS_RL_BURST), carrying how many events of
 * the kind were suppressed since the last one written. The decisions are
 * elsewhere (include/tcpsentry/anomaly_rules.h, the state machine, the
 * sketches); this only counts and tells.
 *
 * Used by account (a segment's findings), by the sketches (a flood's start
 * and end, decided at an epoch rollover, whichever segment rolls it over)
 * and by the sweeper's tcpsentry_report. Calls no stage.
 */
#ifndef TCPSENTRY_BPF_EMIT_H
#define TCPSENTRY_BPF_EMIT_H

#include "maps.h"
#include <tcpsentry/anomaly_rules.h>

/* Fill an event from a finding. The caller zeroed it. */
static __always_inline void event_fill(struct ts_event *e, const struct ts_flow_key *key,
				       const struct finding *a, __u32 type, __u64 now)
{
	e->ts_ns = now;
	e->key = *key;
	e->type = (__u8)type;
	e->client = a->client;
	e->side = a->side;
	e->tcp_flags = a->tcp_flags;
	e->dir = a->dir;
	e->family = a->family;
	e->kind = a->kind;
	e->sender = a->sender;
}

/*
 * Count one anomaly and report it, rate-limited. Returns 1 if its event was
 * written (a ban it led to is then reported too, so bans share the kind's
 * event rate limit). Global (not inlined): the verifier checks it once. The
 * event is built in the ring buffer itself (reserve, fill, submit): no
 * 80-byte copy on a stack that the call chain shares.
 */
__attribute__((noinline)) int anomaly_emit(const struct ts_flow_key *key, const struct finding *a)
{
	struct ts_anomalies *an;
	struct ts_counters *cn;
	struct ts_event *e;
	struct ts_rl *rl;
	__u32 zero = 0, kind;
	__u64 now, sup;

	if (!key || !a)
		return 0;
	kind = a->kind;
	if (kind == TS_A_NONE || kind >= TS_A_MAX)
		return 0;
	an = bpf_map_lookup_elem(&anomalies, &zero);
	if (!an)
		return 0;
	TS_CHECKED(an);
	an->count[kind]++;
	now = bpf_ktime_get_ns();
	rl = &an->rl[kind];
	if (!ts_rl_take(rl, now))
		return 0;
	sup = rl->suppressed;
	cn = counters_get();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		/* not written: the next event of the kind accounts for it too */
		rl->suppressed = sup + 1;
		count(cn, TS_C_EVENTS_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	event_fill(e, key, a, TS_EV_ANOMALY, now);
	e->detail = a->detail;
	e->expected = a->expected;
	e->got = a->got;
	e->suppressed = sup > 0xffffffffull ? 0xffffffffu : (__u32)sup;
	bpf_ringbuf_submit(e, 0);
	rl->suppressed = 0;
	count(cn, TS_C_EVENTS);
	return 1;
}

/* A ban the anomaly `a` led to (TS_EV_ACTION: detail = seconds, sender =
 * the banned endpoint). Only after the anomaly's own event was written. */
__attribute__((noinline)) int action_emit(const struct ts_flow_key *key, const struct finding *a,
					  __u32 seconds)
{
	struct ts_event *e;

	if (!key || !a)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	event_fill(e, key, a, TS_EV_ACTION, bpf_ktime_get_ns());
	e->detail = seconds;
	bpf_ringbuf_submit(e, 0);
	return 1;
}

#endif /* TCPSENTRY_BPF_EMIT_H */
