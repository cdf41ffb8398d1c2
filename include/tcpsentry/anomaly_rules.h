/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-packet anomaly decisions as pure static inline C (no helpers, no
 * libc, no loops), compiled into the BPF object and the unit tests alike.
 */
#ifndef TCPSENTRY_ANOMALY_RULES_H
#define TCPSENTRY_ANOMALY_RULES_H

#include "abi.h"

#define TS_A_INLINE static inline __attribute__((always_inline))

/*
 * Is this a flag set no RFC-conforming stack sends? Returns a
 * enum ts_bad_flags reason, 0 if the set is fine. ECE and CWR are ignored
 * (ECN), so are PSH/URG beside an ACK.
 *
 * Every segment but the first SYN and an RST carries ACK (RFC 9293 3.10.7),
 * so a segment without SYN, RST or ACK is never conforming: NULL, FIN
 * alone or with PSH/URG (XMAS), PSH or URG alone. SYN+FIN and SYN+RST are
 * contradictions. Deliberately *not* flagged: RST+FIN (some middleboxes and
 * old stacks send it), SYN+PSH/URG, RST+PSH.
 *
 * The common case (ACK set, no SYN) costs one compare.
 */
TS_A_INLINE __u32 ts_bad_flags(__u8 flags)
{
	__u8 f = flags & (TS_TCP_FIN | TS_TCP_SYN | TS_TCP_RST | TS_TCP_PSH | TS_TCP_ACK |
			  TS_TCP_URG);

	if ((f & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_ACK)
		return TS_BF_NONE; /* every established-flow segment */
	if (f & TS_TCP_SYN) {
		if (f & TS_TCP_FIN)
			return TS_BF_SYN_FIN;
		if (f & TS_TCP_RST)
			return TS_BF_SYN_RST;
		return TS_BF_NONE;
	}
	/* no SYN, no ACK */
	if (f & TS_TCP_RST)
		return TS_BF_NONE;
	if (!f)
		return TS_BF_NULL;
	if ((f & (TS_TCP_FIN | TS_TCP_PSH | TS_TCP_URG)) == (TS_TCP_FIN | TS_TCP_PSH | TS_TCP_URG))
		return TS_BF_XMAS;
	if (f & TS_TCP_FIN)
		return TS_BF_FIN_NO_ACK;
	return TS_BF_NO_ACK;
}

/*
 * Payload on a SYN without a TFO option (RFC 7413), or on a SYN-ACK (a
 * TFO server sends its data after the handshake). Returns 1 to flag.
 */
TS_A_INLINE int ts_syn_data(const struct ts_seg *s)
{
	if (!(s->flags & TS_TCP_SYN) || !s->len)
		return 0;
	if (s->flags & TS_TCP_ACK)
		return 1;
	return !(s->opts & TS_OPT_TFO);
}

/*
 * The per-kind event rate limiter: a token bucket kept as nanoseconds of
 * credit, TS_RL_COST_NS per event, capped at TS_RL_BURST events. Returns
 * 1 if an event may be written now (the caller then reports
 * rl->suppressed and clears it once the write succeeded), 0 if it is
 * suppressed (counted in rl->suppressed here).
 */
TS_A_INLINE int ts_bucket_take(struct ts_rl *rl, __u64 now, __u64 cost_ns, __u64 burst)
{
	const __u64 cap = burst * cost_ns;
	__u64 credit;

	if (!rl->last_ns || now < rl->last_ns)
		credit = cap; /* first use, or a clock that went back: start full */
	else
		credit = rl->credit_ns + (now - rl->last_ns);
	if (credit > cap)
		credit = cap;
	rl->last_ns = now;
	if (credit < cost_ns) {
		rl->credit_ns = credit;
		rl->suppressed++;
		return 0;
	}
	rl->credit_ns = credit - cost_ns;
	return 1;
}

TS_A_INLINE int ts_rl_take(struct ts_rl *rl, __u64 now)
{
	return ts_bucket_take(rl, now, TS_RL_COST_NS, TS_RL_BURST);
}

#endif /* TCPSENTRY_ANOMALY_RULES_H */
