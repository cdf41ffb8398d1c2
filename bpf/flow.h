/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow tracking: find the segment's entry (flows first, then embryonic),
 * step the state machine under the entry's lock, promote a finished
 * handshake from embryonic to flows, start tracking unknown tuples.
 */
#ifndef TCPSENTRY_FLOW_H
#define TCPSENTRY_FLOW_H

#include "maps.h"
#include "parse.h"
#include "anomaly.h"
#include <tcpsentry/fsm.h>
#include <tcpsentry/flowkey.h>

#define DIR_INGRESS 0
#define DIR_EGRESS 1

#include "flood.h"
#include "metrics.h"

/* 1 while an ack_flood is on (ingress segments of unknown tuples) */
static __always_inline int ack_flood_on(void)
{
	__u32 slot = TS_AF_SLOT;
	struct ts_flood *fl = bpf_map_lookup_elem(&floods, &slot);

	return fl && fl->active;
}

/* What a step changed, copied out from under the lock for the event. */
struct step_out {
	__u32 ret;
	__u8 old_state[2];
	__u8 new_state[2];
	__u8 client;
	__u8 pad[3];
	/* an ignored RST's facts (TS_STEP_RST_OOW / TS_STEP_RST_INEXACT), and
	 * of ignored far out-of-window data (TS_STEP_DATA_FAR_OOW) */
	__u32 rst_expected;     /* the exact seq (or, answering a SYN, ack) */
	__u32 rst_got;
	__u32 rst_window;       /* the receiver's largest window */
};

static __always_inline void count(struct ts_counters *cn, __u32 idx)
{
	if (cn && idx < TS_C_MAX)
		cn->c[idx]++;
}

/* 1: suppress the state events of an embryonic entry now. Global: off
 * the established-flow path. */
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
	return !ts_emb_state_take(&an->rl[TS_RL_STATE], now);
}

static __always_inline void emit_state_events(const struct ts_flow_key *key,
					      const struct step_out *o, __u8 tcp_flags,
					      __u8 dir, __u8 family, struct ts_counters *cn)
{
	struct ts_config *cfg;
	struct ts_event ev = {};
	__u32 zero = 0;
	int side;

	if (!(o->ret & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED)))
		return;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || !cfg->state_events)
		return;
	ev.ts_ns = bpf_ktime_get_ns(); /* precise: events are rare, and ordered by it */
	/* handshakes the server has not completed (embryonic entries: a
	 * flood's SYN and SYN-ACK; established flows never get here): none
	 * while a SYN flood is active, else a per-CPU bucket */
	if (o->old_state[TS_SERVER] < TS_ESTABLISHED && o->new_state[TS_SERVER] < TS_ESTABLISHED &&
	    emb_state_gate(ev.ts_ns)) {
		for (side = 0; side < 2; side++)
			if (o->old_state[side] != o->new_state[side])
				count(cn, TS_C_STATE_SUPPRESSED);
		return;
	}
	ev.key = *key;
	ev.type = TS_EV_STATE;
	ev.client = o->client;
	ev.tcp_flags = tcp_flags;
	ev.dir = dir;
	ev.family = family;
	for (side = 0; side < 2; side++) {
		if (o->old_state[side] == o->new_state[side])
			continue;
		ev.side = side;
		ev.from = o->old_state[side];
		ev.to = o->new_state[side];
		if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0))
			count(cn, TS_C_EVENTS_LOST);
		else
			count(cn, TS_C_EVENTS);
	}
}

/* In/out of one state-machine step (BPF functions take five arguments). */
struct step_ctx {
	struct ts_seg seg;      /* in; seg.from is set here */
	__u32 stripe;           /* in: lock stripe of the key */
	__u32 dir;              /* in: DIR_INGRESS / DIR_EGRESS */
	__u64 now;              /* in */
	__u32 sender_idx;       /* in: key index of the segment's sender */
	__u32 want_copy;        /* in: copy the value out if the handshake completes */
	struct step_out out;    /* out */
};

/*
 * Step an entry found in a table, under its lock stripe. Global (not
 * inlined): the verifier checks the state machine once, not once per way
 * of reaching it. Returns 0, or -1 if the entry is an embryonic copy the
 * other hook already promoted (look in flows instead).
 */
__attribute__((noinline)) int step_entry(struct ts_flow *f, struct step_ctx *sc,
					 struct ts_flow *copy)
{
	struct step_out *o;
	struct ts_lock *lk;
	__u32 stripe;

	if (!f || !sc)
		return -1;
	o = &sc->out;
	stripe = sc->stripe;
	lk = bpf_map_lookup_elem(&flow_locks, &stripe);
	if (!lk)
		return -1;
	bpf_spin_lock(&lk->lock);
	if (f->flags & TS_F_PROMOTED) {
		bpf_spin_unlock(&lk->lock);
		return -1;
	}
	sc->seg.from = (sc->sender_idx == f->client) ? TS_CLIENT : TS_SERVER;
	o->old_state[0] = f->ep[0].state;
	o->old_state[1] = f->ep[1].state;
	o->ret = ts_fsm_step(f, &sc->seg, sc->now, sc->dir == DIR_INGRESS);
	if (ts_ack_unanswered(f, &sc->seg, sc->now))
		o->ret |= TS_STEP_ACK_NO_CONN;
	o->new_state[0] = f->ep[0].state;
	o->new_state[1] = f->ep[1].state;
	o->client = f->client;
	if (o->ret & (TS_STEP_RST_OOW | TS_STEP_RST_INEXACT | TS_STEP_DATA_FAR_OOW)) {
		unsigned from = sc->seg.from & 1;
		const struct ts_endpoint *snd, *rcv;

		TS_OPAQUE(from);
		from &= 1;
		snd = &f->ep[from];
		rcv = &f->ep[from ^ 1];
		if (rcv->state == TS_SYN_SENT && !(o->ret & TS_STEP_DATA_FAR_OOW)) {
			/* an RST answering a SYN must ACK it (RFC 9293 3.10.7.3) */
			o->rst_expected = rcv->isn + 1;
			o->rst_got = sc->seg.ack;
			o->rst_window = 0;
		} else {
			o->rst_expected = snd->end;
			o->rst_got = sc->seg.seq;
			o->rst_window = rcv->maxwin;
		}
	}
	if (copy && sc->want_copy && (o->ret & TS_STEP_ESTABLISHED)) {
		__builtin_memcpy(copy, f, sizeof(*f));
		f->flags |= TS_F_PROMOTED;
	}
	bpf_spin_unlock(&lk->lock);
	return 0;
}

static __always_inline __u64 clock_precise(void) { return bpf_ktime_get_ns(); }
/* CLOCK_MONOTONIC_COARSE, read at most once per tick per CPU: enough for
 * last-seen times and idle timeouts */
static __always_inline __u64 clock_coarse(struct ts_counters *cn)
{
	__u64 j = bpf_jiffies64();

	if (!cn)
		return bpf_ktime_get_coarse_ns();
	if (cn->clock_jiffies != j) {
		cn->clock_ns = bpf_ktime_get_coarse_ns();
		cn->clock_jiffies = j;
	}
	return cn->clock_ns;
}

/* Start tracking an unknown tuple: insert its first entry, without the
 * segment applied (the caller steps it like any other). Returns the
 * table's value, or NULL when nothing was inserted. */
static __always_inline struct ts_flow *flow_new(const struct ts_flow_key *key, struct pkt *p,
						int sender_idx, __u64 now, int *table,
						struct ts_flow *tmp, struct ts_counters *cn)
{
	void *map;

	__builtin_memset(tmp, 0, sizeof(*tmp));
	tmp->family = p->family;
	ts_flow_start(tmp, &p->seg, sender_idx, bpf_ntohs(p->sport), bpf_ntohs(p->dport), now);
	if ((tmp->flags & TS_F_PICKED_UP) && !(p->seg.flags & TS_TCP_SYN)) {
		/* mid-stream: a connection older than the attach */
		map = &flows;
		*table = 1;
	} else {
		map = &embryonic;
		*table = 0;
	}
	/* EEXIST: the other hook inserted it a moment ago; use that one */
	if (bpf_map_update_elem(map, key, tmp, BPF_NOEXIST) == 0) {
		if (*table) {
			count(cn, TS_C_PICKUP);
			count(cn, TS_C_FLOW_INSERT);
		} else {
			count(cn, TS_C_EMB_INSERT);
		}
	}
	return bpf_map_lookup_elem(map, key);
}

/* A picked-up entry's sender repeats, unanswered past the grace (the step
 * marked the entry: once per entry). Not in one-way mode (--no-egress),
 * where the answer is never seen. Global: off the common path. */
__attribute__((noinline)) int ack_no_conn_raise(const struct ts_flow_key *key, struct pkt *p,
					       const struct step_ctx *sc, __u32 dir)
{
	struct ts_config *cfg;
	__u32 zero = 0;
	struct anom_facts a = {
		.kind = TS_A_ACK_NO_CONN,
		.client = TS_EV_CLIENT_UNKNOWN,
	};

	if (!key || !p || !sc)
		return 0;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (cfg && cfg->one_way)
		return 0;
	a.got = p->seg.seq;
	a.detail = p->seg.ack;
	a.client = sc->out.client;
	a.side = sc->seg.from;
	a.sender = (__u8)sc->sender_idx;
	a.tcp_flags = p->seg.flags;
	a.dir = (__u8)dir;
	a.family = p->family;
	anomaly_raise(key, &a);
	return 0;
}

/* The facts every per-segment anomaly shares: who sent it, where, and
 * whether its kind's action applies (ingress, source not allowlisted). */
static __always_inline void facts_of(struct anom_facts *a, const struct pkt *p, __u32 sender,
				     __u32 dir)
{
	a->client = TS_EV_CLIENT_UNKNOWN;
	a->sender = (__u8)sender;
	a->tcp_flags = p->seg.flags;
	a->dir = (__u8)dir;
	a->family = p->family;
	a->act = dir == DIR_INGRESS && !(p->out & PKT_IN_EXEMPT);
}

/* An RST or data segment the step found outside (or, for an RST, inexact
 * within) the receiver's window. Global: its facts stay off
 * track_segment's frame (the three deepest frames share 512 bytes). */
__attribute__((noinline)) int window_anomaly_raise(const struct ts_flow_key *key, struct pkt *p,
						  const struct step_ctx *sc, __u32 dir)
{
	struct anom_facts a = {};
	__u32 ret;

	if (!key || !p || !sc)
		return 0;
	ret = sc->out.ret;
	facts_of(&a, p, sc->sender_idx, dir);
	a.kind = (ret & TS_STEP_DATA_FAR_OOW) ? TS_A_OUT_OF_WINDOW :
		 (ret & TS_STEP_RST_OOW) ? TS_A_RST_OUT_OF_WINDOW : TS_A_RST_IN_WINDOW_INEXACT;
	a.expected = sc->out.rst_expected;
	a.got = sc->out.rst_got;
	a.detail = sc->out.rst_window;
	a.client = sc->out.client;
	a.side = sc->seg.from;
	if (anomaly_raise(key, &a))
		p->out |= PKT_OUT_DROP;
	return 0;
}

/* An RST for a tuple neither table holds. Global: off track_segment's frame. */
__attribute__((noinline)) int rst_no_conn_raise(const struct ts_flow_key *key, struct pkt *p,
					       __u32 sender, __u32 dir)
{
	struct anom_facts a = {};

	if (!key || !p)
		return 0;
	facts_of(&a, p, sender, dir);
	a.kind = TS_A_RST_NO_CONN;
	a.got = p->seg.seq;
	a.detail = p->seg.ack;
	if (anomaly_raise(key, &a))
		p->out |= PKT_OUT_DROP;
	return 0;
}

/*
 * The anomalies a segment shows by itself (bad_flags, syn_data), for a
 * segment that is not a plain ACK. Returns 1 if it must not be tracked (bad
 * flags: counted, reported, passed or dropped, never tracked, as no stack
 * acts on them consistently and a scan of them must not insert flows).
 * Global: its facts stay off track_segment's frame.
 */
__attribute__((noinline)) int segment_anomalies(const struct ts_flow_key *key, struct pkt *p,
					       __u32 sender, __u32 dir)
{
	struct anom_facts a = {};

	if (!key || !p)
		return 0;
	facts_of(&a, p, sender, dir);
	a.detail = ts_bad_flags(p->seg.flags);
	if (a.detail) {
		a.kind = TS_A_BAD_FLAGS;
		a.got = p->seg.flags;
		if (anomaly_raise(key, &a))
			p->out |= PKT_OUT_DROP;
		return 1;
	}
	if (ts_syn_data(&p->seg)) {
		int synack = !!(p->seg.flags & TS_TCP_ACK);

		a.kind = TS_A_SYN_DATA;
		a.got = p->seg.len;
		a.detail = p->seg.opts;
		/* a SYN's sender is the client, a SYN-ACK's the server */
		a.client = synack ? !sender : sender;
		a.side = synack ? TS_SERVER : TS_CLIENT;
		if (anomaly_raise(key, &a))
			p->out |= PKT_OUT_DROP;
	}
	return 0;
}

/*
 * Track one parsed TCP segment. Never drops. A global (not inlined)
 * function on purpose: the verifier checks it once, on its own, instead of
 * once for every path the parser can take to get here (VLAN depths, IPv4
 * options, IPv6 extension chains, TCP option layouts), which multiplied
 * the state machine past the verifier's 1M-instruction budget.
 */
__attribute__((noinline)) int track_segment(struct pkt *p, __u32 dir)
{
	struct ts_flow_key *key;
	struct step_ctx sc = {};
	struct ts_flow *tmp = NULL;
	struct ts_counters *cn;
	struct ts_flow *f;
	__u32 zero = 0;
	int table = 1;

	if (!p)
		return 0;
	cn = bpf_map_lookup_elem(&counters, &zero);
	/* the key lives in a per-CPU buffer, not on this frame: the three
	 * deepest frames (the hook, this, step_entry) share 512 bytes */
	key = bpf_map_lookup_elem(&keybuf, &zero);
	if (!key)
		return 0;
	sc.sender_idx = ts_key_make(key, p->saddr, p->sport, p->daddr, p->dport);
	sc.dir = dir;
	sc.seg = p->seg;

	/* per-packet anomalies: one compare lets every established-flow
	 * segment (ACK, no SYN) through */
	if ((p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK &&
	    segment_anomalies(key, p, sc.sender_idx, dir))
		return 0;

	/* established flows: one lookup, a coarse clock, an in-place update */
	f = bpf_map_lookup_elem(&flows, key);
	/* a finished connection's tuple reused (its client port) through a
	 * SYN cookie: the ACK's cookie decides, as for an unknown tuple */
	if (f && dir == DIR_INGRESS && !(p->out & PKT_IN_COOKIE_DONE) &&
	    (p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_ACK &&
	    (f->ep[0].state == TS_CLOSED || f->ep[0].state == TS_TIME_WAIT) &&
	    (f->ep[1].state == TS_CLOSED || f->ep[1].state == TS_TIME_WAIT) &&
	    cookie_ack_port(bpf_ntohs(p->dport))) {
		p->out |= PKT_OUT_COOKIE_ASK;
		return 0;
	}
	if (f) {
		sc.now = clock_coarse(cn);
		if (ts_fsm_fast(f, &sc.seg, (__u8)sc.sender_idx, sc.now))
			return 0; /* established, nothing changes state: no lock */
	} else {
		sc.now = clock_precise(); /* handshake segments are timed */
		table = 0;
		/* the caller feeds it to the backscatter detector (from
		 * there: the call chain stays inside the 512-byte stack) */
		if (dir == DIR_EGRESS && (p->seg.flags & TS_TCP_RST))
			p->out |= PKT_OUT_BACKSCATTER;
		tmp = bpf_map_lookup_elem(&scratch, &zero);
		if (!tmp)
			return 0;
		f = bpf_map_lookup_elem(&embryonic, key);
		if (!f) {
			if (p->seg.flags & TS_TCP_RST) {
				count(cn, TS_C_UNTRACKED_RST);
				rst_no_conn_raise(key, p, sc.sender_idx, dir);
				return 0;
			}
			/* the pickup path: an unknown tuple's non-SYN segment
			 * feeds the ack_flood window (from the caller) */
			if (dir == DIR_INGRESS && !(p->seg.flags & TS_TCP_SYN)) {
				p->out |= PKT_OUT_ACKFLOOD;
				/* an ACK to a SYN-cookie port: the caller checks
				 * the cookie first (bpf/cookie.h), then comes back */
				if (!(p->out & PKT_IN_COOKIE_DONE) && (p->seg.flags & TS_TCP_ACK) &&
				    cookie_ack_port(bpf_ntohs(p->dport))) {
					p->out |= PKT_OUT_COOKIE_ASK;
					return 0;
				}
				/* while an ack_flood is on, an unknown tuple's
				 * segment inserts nothing (no map insert per
				 * spoofed ACK) and meets ack_no_conn's action */
				if (ack_flood_on()) {
					count(cn, TS_C_ACK_UNTRACKED_FLOOD);
					if (flood_action(p, TS_A_ACK_NO_CONN))
						p->out |= PKT_OUT_DROP;
					return 0;
				}
			}
			/* a new tuple's SYN or SYN-ACK while a syn_flood is on
			 * at its server port (or host-wide): no entry, no map
			 * insert per spoofed SYN (nor per SYN-ACK answering
			 * one). A real client's final ACK finds no entry and is
			 * picked up mid-stream into flows. */
			if ((p->seg.flags & TS_TCP_SYN) &&
			    flood_on(bpf_ntohs((p->seg.flags & TS_TCP_ACK) ? p->sport : p->dport))) {
				count(cn, TS_C_SYN_UNTRACKED_FLOOD);
				if (dir == DIR_INGRESS && !(p->seg.flags & TS_TCP_ACK) &&
				    flood_action(p, TS_A_SYN_FLOOD))
					p->out |= PKT_OUT_DROP;
				return 0;
			}
			f = flow_new(key, p, sc.sender_idx, sc.now, &table, tmp, cn);
			if (!f) {
				count(cn, TS_C_INSERT_FAIL);
				return 0;
			}
		}
	}
	sc.stripe = ts_key_stripe(key); /* not needed on the lock-free path */
	sc.want_copy = !table;
	if (step_entry(f, &sc, tmp) < 0) {
		/* an embryonic copy the other hook promoted a moment ago */
		count(cn, TS_C_RACE_RETRY);
		f = bpf_map_lookup_elem(&flows, key);
		sc.want_copy = 0;
		table = 1;
		if (step_entry(f, &sc, tmp) < 0)
			return 0;
	}
	if (sc.out.ret & TS_STEP_REUSE)
		count(cn, TS_C_REUSE);
	if (sc.out.ret & TS_STEP_RST_INEXACT_PEER)
		count(cn, TS_C_RST_INEXACT_PEER);
	if (sc.out.ret & (TS_STEP_RST_OOW | TS_STEP_RST_INEXACT | TS_STEP_DATA_FAR_OOW))
		window_anomaly_raise(key, p, &sc, dir);
	if (sc.out.ret & TS_STEP_ACK_NO_CONN)
		ack_no_conn_raise(key, p, &sc, dir);
	if (!table && tmp && (sc.out.ret & TS_STEP_ESTABLISHED)) {
		if (bpf_map_update_elem(&flows, key, tmp, BPF_ANY)) {
			count(cn, TS_C_INSERT_FAIL);
		} else {
			count(cn, TS_C_PROMOTE);
			hs_observe(tmp);
			count(cn, TS_C_FLOW_INSERT);
		}
		/* a handshake completed: credit its server port's flood window */
		if (tmp->client)
			flood_done((const struct ts_addr *)key->addr[1], bpf_ntohs(key->port[0]), sc.now);
		else
			flood_done((const struct ts_addr *)key->addr[0], bpf_ntohs(key->port[1]), sc.now);
		bpf_map_delete_elem(&embryonic, key);
	}
	emit_state_events(key, &sc.out, p->seg.flags, dir, p->family, cn);
	return 0;
}

#endif /* TCPSENTRY_FLOW_H */
