/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Raising an anomaly: the exact per-kind, per-CPU count always; a
 * TS_EV_ANOMALY ring-buffer event when the kind's per-CPU token bucket
 * allows it (TS_RL_RATE/s, burst TS_RL_BURST), carrying how many events of
 * the kind were suppressed since the last one written. The decisions
 * themselves are pure functions in include/tcpsentry/anomaly_rules.h and the
 * state machine (RST verdicts).
 */
#ifndef TCPSENTRY_BPF_ANOMALY_H
#define TCPSENTRY_BPF_ANOMALY_H

#include "maps.h"
#include "policy.h"
#include <tcpsentry/anomaly_rules.h>

/* The facts of one anomaly (BPF functions take five arguments). */
struct anom_facts {
	__u32 kind;      /* enum ts_anomaly */
	__u32 expected;
	__u32 got;
	__u32 detail;
	__u8 client;     /* key index of the client, TS_EV_CLIENT_UNKNOWN if no flow */
	__u8 side;       /* role of the sender, when client is known */
	__u8 sender;     /* key index of the sender */
	__u8 tcp_flags;
	__u8 dir;
	__u8 family;
	__u8 act;        /* 1: apply the kind's action (an ingress segment, source not allowlisted) */
	__u8 pad;
};

/* Fill an event from an anomaly's facts. The caller zeroed it. */
static __always_inline void event_fill(struct ts_event *e, const struct ts_flow_key *key,
				       const struct anom_facts *a, __u32 type, __u64 now)
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
 * The action of an anomaly's kind on the segment that raised it. reported:
 * the anomaly's event was written; a ban is reported (TS_EV_ACTION) only
 * then, so bans share the kind's event rate limit. 1: drop.
 */
static __always_inline int anomaly_act(const struct ts_flow_key *key, const struct anom_facts *a,
				       int reported, __u64 now)
{
	struct ts_policy *pol;
	struct ts_event *e;
	__u32 kind = a->kind & (TS_A_MAX - 1);
	__u8 act;

	if (!a->act)
		return 0;
	pol = policy_get();
	if (!pol)
		return 0;
	act = pol->action[kind];
	if (act == TS_ACT_PASS)
		return 0;
	if (act == TS_ACT_BAN && pol->mode == TS_MODE_ENFORCE &&
	    ban_write(pol, key->addr[a->sender & 1], kind, now) && reported) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			__builtin_memset(e, 0, sizeof(*e));
			event_fill(e, key, a, TS_EV_ACTION, now);
			e->detail = pol->ban_seconds;
			bpf_ringbuf_submit(e, 0);
		}
	}
	return policy_verdict(pol, TS_D_ANOMALY + kind);
}

/*
 * Count and (rate-limited) report one anomaly, then apply its kind's
 * action when a->act says the segment is one to act on. Returns 1 to drop
 * the segment. Global (not inlined): the verifier checks it once, and it
 * stays off the established-flow path, which never raises one. The event
 * is built in the ring buffer itself (reserve, fill, submit): no 80-byte
 * copy on a stack that three frames share.
 */
__attribute__((noinline)) int anomaly_raise(const struct ts_flow_key *key,
					    const struct anom_facts *a)
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
	an->count[kind]++;
	now = bpf_ktime_get_ns();
	rl = &an->rl[kind];
	if (!ts_rl_take(rl, now))
		return anomaly_act(key, a, 0, now);
	sup = rl->suppressed;
	cn = bpf_map_lookup_elem(&counters, &zero);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		/* not written: the next event of the kind accounts for it too */
		rl->suppressed = sup + 1;
		if (cn)
			cn->c[TS_C_EVENTS_LOST]++;
		return anomaly_act(key, a, 0, now);
	}
	__builtin_memset(e, 0, sizeof(*e));
	event_fill(e, key, a, TS_EV_ANOMALY, now);
	e->detail = a->detail;
	e->expected = a->expected;
	e->got = a->got;
	e->suppressed = sup > 0xffffffffull ? 0xffffffffu : (__u32)sup;
	bpf_ringbuf_submit(e, 0);
	rl->suppressed = 0;
	if (cn)
		cn->c[TS_C_EVENTS]++;
	return anomaly_act(key, a, 1, now);
}

#endif /* TCPSENTRY_BPF_ANOMALY_H */
