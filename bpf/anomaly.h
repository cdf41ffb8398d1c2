/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Raising an anomaly: the exact per-kind, per-CPU count always; a
 * TS_EV_ANOMALY ring-buffer event when the kind's per-CPU token bucket
 * allows it (TS_RL_RATE/s, burst TS_RL_BURST), carrying how many events of
 * the kind were suppressed since the last one written. The decisions
 * themselves are pure functions in include/tcpsentry/anomaly.h and the
 * state machine (RST verdicts).
 */
#ifndef TCPSENTRY_BPF_ANOMALY_H
#define TCPSENTRY_BPF_ANOMALY_H

#include "maps.h"
#include <tcpsentry/anomaly.h>

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
	__u8 pad[2];
};

/*
 * Count and (rate-limited) report one anomaly. Global (not inlined): the
 * verifier checks it once, and it stays off the established-flow path,
 * which never raises one.
 */
__attribute__((noinline)) int anomaly_raise(const struct ts_flow_key *key,
					    const struct anom_facts *a)
{
	struct ts_anomalies *an;
	struct ts_counters *cn;
	struct ts_event ev = {};
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
		return 0;
	sup = rl->suppressed;
	ev.ts_ns = now;
	ev.key = *key;
	ev.type = TS_EV_ANOMALY;
	ev.client = a->client;
	ev.side = a->side;
	ev.tcp_flags = a->tcp_flags;
	ev.dir = a->dir;
	ev.family = a->family;
	ev.kind = kind;
	ev.detail = a->detail;
	ev.expected = a->expected;
	ev.got = a->got;
	ev.suppressed = sup > 0xffffffffull ? 0xffffffffu : (__u32)sup;
	ev.sender = a->sender;
	cn = bpf_map_lookup_elem(&counters, &zero);
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0)) {
		/* not written: the next event of the kind accounts for it too */
		rl->suppressed = sup + 1;
		if (cn)
			cn->c[TS_C_EVENTS_LOST]++;
	} else {
		rl->suppressed = 0;
		if (cn)
			cn->c[TS_C_EVENTS]++;
	}
	return 0;
}

#endif /* TCPSENTRY_BPF_ANOMALY_H */
