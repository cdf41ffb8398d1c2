/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reporting an anomaly: the exact per-kind, per-CPU count always; a
 * TS_EV_ANOMALY ring-buffer event when the kind's per-CPU token bucket
 * allows it (TS_RL_RATE/s, burst TS_RL_BURST), carrying how many events of
 * the kind were suppressed since the last one written. The decisions are
 * elsewhere (include/tcpsentry/anomaly_rules.h, the state machine, the
 * sketches); this only counts and tells.
 *
 * Used by account (a segment's findings and drops, whose events carry the
 * frame's first bytes: struct ts_event_sampled), by the sketches (a flood's
 * start and end, decided at an epoch rollover, whichever segment rolls it
 * over) and by the sweeper's tcpsentry_report. Calls no stage.
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
	__builtin_memcpy(&e->key, key, sizeof(e->key));
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
 * The frame's first bytes (TS_SAMPLE_BYTES at most) into a sample. ctx: the
 * hook's context, dir its direction (a constant where this is inlined).
 * Only for a sampled event: one helper call for the length, one for the
 * copy, straight into the ring-buffer reservation (nothing on the stack).
 */
static __always_inline void sample_frame(void *ctx, __u32 dir, struct ts_sample *sm)
{
	__u64 len, n;
	long r;

	len = dir == DIR_INGRESS ? bpf_xdp_get_buff_len(ctx) : ((struct __sk_buff *)ctx)->len;
	sm->wirelen = (__u32)len;
	sm->pad = 0;
	sm->caplen = 0;
	n = len < TS_SAMPLE_BYTES ? len : TS_SAMPLE_BYTES;
	if (n < 14)
		return; /* not even an Ethernet header */
	/* the bounds in the register the helper reads, as Linux 6.1 wants them */
	asm volatile("" : "+r"(n));
	if (n > TS_SAMPLE_BYTES || n < 14)
		return;
	r = dir == DIR_INGRESS ? bpf_xdp_load_bytes(ctx, 0, sm->data, n) :
				 bpf_skb_load_bytes(ctx, 0, sm->data, n);
	if (!r)
		sm->caplen = (__u16)n;
}

/*
 * An event the bucket rl let through (the caller took its token), built
 * in the ring buffer itself: event_begin reserves and zeroes it, the caller
 * fills the fields of its type, event_end samples the frame and submits.
 * sampled (a constant where this is inlined): the frame's first bytes go
 * with it (struct ts_event_sampled; ctx and dir are the hook's), else the
 * record is a plain struct ts_event and ->sample is not there. A full ring:
 * NULL, and the bucket's next event tells of this one (suppressed).
 */
static __always_inline struct ts_event_sampled *event_begin(int sampled, struct ts_rl *rl,
							     __u64 now)
{
	struct ts_event_sampled *e;
	__u64 sup = rl->suppressed;

	e = bpf_ringbuf_reserve(&events, sampled ? sizeof(*e) : sizeof(e->ev), 0);
	if (!e) {
		rl->suppressed = sup + 1;
		count(counters_get(), TS_C_EVENTS_LOST);
		return NULL;
	}
	__builtin_memset(&e->ev, 0, sizeof(e->ev));
	e->ev.ts_ns = now;
	e->ev.suppressed = sup > 0xffffffffull ? 0xffffffffu : (__u32)sup;
	return e;
}

static __always_inline void event_end(void *ctx, __u32 dir, int sampled, struct ts_rl *rl,
				      struct ts_event_sampled *e)
{
	struct ts_counters *cn = counters_get();

	if (sampled) {
		sample_frame(ctx, dir, &e->sample);
		if (e->sample.caplen)
			count(cn, TS_C_SAMPLES);
	}
	bpf_ringbuf_submit(e, 0);
	rl->suppressed = 0;
	count(cn, TS_C_EVENTS);
}

/* Count one anomaly of kind (exact, per CPU) and take a token from its
 * event bucket: the bucket if its event may be written, else NULL. */
static __always_inline struct ts_rl *anomaly_take(__u32 kind, __u64 now)
{
	struct ts_anomalies *an;
	__u32 zero = 0;

	if (kind == TS_A_NONE || kind >= TS_A_MAX)
		return NULL;
	an = bpf_map_lookup_elem(&anomalies, &zero);
	if (!an)
		return NULL;
	TS_CHECKED(an);
	an->count[kind]++;
	if (!ts_rl_take(&an->rl[kind], now))
		return NULL;
	return &an->rl[kind];
}

/*
 * Count one anomaly and report it, rate-limited (see above). Returns 1 if
 * its event was written (a ban it led to is then reported too, so bans
 * share the kind's event rate limit). sampled: the frame goes with the
 * event (ctx, dir: the hook's); the anomalies no single frame raises (a
 * flood's start and end, the sweeper's) go without.
 */
static __always_inline int anomaly_report(void *ctx, __u32 dir, int sampled,
					  const struct ts_flow_key *key, const struct finding *a)
{
	__u64 now = bpf_ktime_get_ns();
	struct ts_rl *rl = anomaly_take(a->kind, now);
	struct ts_event_sampled *e;

	if (!rl)
		return 0;
	e = event_begin(sampled, rl, now);
	if (!e)
		return 0;
	event_fill(&e->ev, key, a, TS_EV_ANOMALY, now);
	e->ev.detail = a->detail;
	e->ev.expected = a->expected;
	e->ev.got = a->got;
	event_end(ctx, dir, sampled, rl, e);
	return 1;
}

/* An anomaly with no frame to sample. Global (not inlined): the verifier
 * checks it once. */
__attribute__((noinline)) int anomaly_emit(const struct ts_flow_key *key, const struct finding *a)
{
	if (!key || !a)
		return 0;
	return anomaly_report(NULL, DIR_INGRESS, 0, key, a);
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
