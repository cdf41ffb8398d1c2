/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 3, detect: what the segment shows, as findings (kind + facts) in
 * per-CPU scratch (struct scratch, bpf/ctx.h), for judge to act on and
 * account to count and report. From the segment alone (bad_flags,
 * syn_data), from what track saw (rst_no_conn, the state machine's ignored
 * RSTs and far data, ack_no_conn), from the sketches (port_scan). In the
 * order the old pipeline raised them, so events keep their order.
 *
 * It also feeds the two host-wide rate windows of bpf/flood.h with the
 * segment's facts: an RST this host sends for a tuple it holds no
 * established flow of (backscatter, seen as a port_scan), an ingress
 * segment of an unknown tuple (ack_flood).
 *
 * Touches scratch only when the segment shows something: an established
 * flow's segment costs a few compares here.
 */
#ifndef TCPSENTRY_BPF_DETECT_H
#define TCPSENTRY_BPF_DETECT_H

#include "maps.h"
#include "flood.h"
#include <tcpsentry/anomaly_rules.h>
#include <tcpsentry/fsm.h>
#include <tcpsentry/flowkey.h>

/* the facts every finding of the segment shares */
static __always_inline struct finding *finding_add(struct scratch *s, __u32 *n, __u32 kind,
						   const struct pkt *p, __u32 sender, __u32 dir,
						   __u32 act)
{
	struct finding *a;
	__u32 i = *n;

	if (i >= TS_FINDINGS_MAX)
		return NULL;
	a = &s->find[i & (TS_FINDINGS_MAX - 1)];
	__builtin_memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->client = TS_EV_CLIENT_UNKNOWN;
	a->sender = (__u8)sender;
	a->tcp_flags = p->seg.flags;
	a->dir = (__u8)dir;
	a->family = p->family;
	a->act = (__u8)act;
	*n = i + 1;
	return a;
}

/*
 * The findings, into scratch; returns how many. Global: the facts are
 * built off the entry's frame, and the verifier checks this once.
 */
__attribute__((noinline)) int detect_findings(const struct pkt *p, const struct track_res *t,
					      __u32 dir, __u32 exempt, __u32 flow_seen)
{
	struct scratch *s = scratch_get();
	struct ts_config *cfg;
	struct finding *a;
	__u32 n = 0, act, bf, sender;
	__u8 fl;

	if (!p || !t || !s)
		return 0;
	TS_CHECKED(s);
	fl = p->seg.flags;
	/* the key the findings are reported under (track made it too, if the
	 * segment got that far) */
	sender = ts_key_make(&s->key, p->saddr, p->sport, p->daddr, p->dport);
	/* an anomaly's action applies to what the host receives, from a
	 * source not allowlisted */
	act = dir == DIR_INGRESS && !exempt;

	/* the sketches: the source's distinct ports just crossed the threshold;
	 * or a scan suspect ACKed a probe cookie, which proves it real (got
	 * 0: the proof, not a count) */
	if (t->scan_ports || t->cookie == T_COOKIE_PROBE) {
		a = finding_add(s, &n, TS_A_PORT_SCAN, p, sender, DIR_INGRESS, act);
		if (a) {
			a->got = t->scan_ports;
			a->expected = s->facts.scan_thr;
			a->detail = (__u32)(TS_SCAN_WINDOW_NS / 1000000);
		}
	}
	/* the segment by itself: its flags, data on a SYN */
	if (flow_seen && (fl & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK) {
		bf = ts_bad_flags(fl);
		if (bf) {
			a = finding_add(s, &n, TS_A_BAD_FLAGS, p, sender, dir, act);
			if (a) {
				a->got = fl;
				a->detail = bf;
			}
		} else if (ts_syn_data(&p->seg)) {
			int synack = !!(fl & TS_TCP_ACK);

			a = finding_add(s, &n, TS_A_SYN_DATA, p, sender, dir, act);
			if (a) {
				a->got = p->seg.len;
				a->detail = p->seg.opts;
				/* a SYN's sender is the client, a SYN-ACK's the server */
				a->client = synack ? !sender : sender;
				a->side = synack ? TS_SERVER : TS_CLIENT;
			}
		}
	}
	/* what track saw: an RST for a tuple no table holds */
	if (t->state == T_UNKNOWN && (fl & TS_TCP_RST)) {
		a = finding_add(s, &n, TS_A_RST_NO_CONN, p, sender, dir, act);
		if (a) {
			a->got = p->seg.seq;
			a->detail = p->seg.ack;
		}
	}
	/* an RST or data the state machine ignored: outside (or, for an RST,
	 * inexact within) the receiver's window */
	if (t->step & (TS_STEP_RST_OOW | TS_STEP_RST_INEXACT | TS_STEP_DATA_FAR_OOW)) {
		__u32 kind = (t->step & TS_STEP_DATA_FAR_OOW) ? TS_A_OUT_OF_WINDOW :
			     (t->step & TS_STEP_RST_OOW) ? TS_A_RST_OUT_OF_WINDOW :
							   TS_A_RST_IN_WINDOW_INEXACT;

		a = finding_add(s, &n, kind, p, sender, dir, act);
		if (a) {
			a->expected = s->facts.expected;
			a->got = s->facts.got;
			a->detail = s->facts.window;
			a->client = t->client;
			a->side = t->side;
		}
	}
	/* a picked-up entry's sender repeats, unanswered past the grace (the
	 * step marked the entry: once per entry). Not in one-way mode
	 * (--no-egress), where the answer is never seen. Reported, never
	 * acted on per segment (its action is ack_flood's, bpf/track.h). */
	if (t->step & TS_STEP_ACK_NO_CONN) {
		cfg = config_get();
		if (!cfg || !cfg->one_way) {
			a = finding_add(s, &n, TS_A_ACK_NO_CONN, p, sender, dir, 0);
			if (a) {
				a->got = p->seg.seq;
				a->detail = p->seg.ack;
				a->client = t->client;
				a->side = t->side;
			}
		}
	}
	return (int)n;
}

/* The stage, for a TCP segment the gate let in: returns the number of
 * findings in scratch. */
static __always_inline __u32 detect(const struct pkt *p, const struct verdict *v,
				    const struct track_res *t, __u32 dir)
{
	struct ts_counters *cn;
	__u32 n = 0;

	/* an established flow's segment that changed nothing: nothing to find */
	if (!t->noted)
		return 0;
	if (t->scan_ports || t->state == T_UNKNOWN || t->cookie == T_COOKIE_PROBE ||
	    (t->step & (TS_STEP_RST_OOW | TS_STEP_RST_INEXACT | TS_STEP_DATA_FAR_OOW |
			TS_STEP_ACK_NO_CONN)) ||
	    (t->looked && (ts_bad_flags(p->seg.flags) || ts_syn_data(&p->seg))))
		n = (__u32)detect_findings(p, t, dir, v->exempt, t->looked);
	if (t->backscatter || t->pickup) {
		cn = counters_get();
		window_note(t->backscatter ? TS_BS_SLOT : TS_AF_SLOT, 0, clock_coarse(cn));
	}
	return n;
}

#endif /* TCPSENTRY_BPF_DETECT_H */
