/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stage 2, track: the state a segment moves, and nothing about policy.
 *
 * - The sketches an ingress SYN (or bad-flags segment) counts in: the
 *   flood windows, the source HyperLogLog, the top sources, the port-scan
 *   slot (bpf/flood.h). First, so that whether the SYN's port is flooded
 *   takes this SYN into account, as syn.cookies=auto needs.
 * - Its flow: found in flows (one lookup and an in-place update on the
 *   established path), else in embryonic, else started (a SYN's embryonic
 *   entry, a mid-stream pickup in flows), then stepped by the state
 *   machine under the entry's lock; a finished handshake is promoted from
 *   embryonic to flows.
 * - An unknown tuple's ACK to a port whose SYNs cookies answer: its cookie
 *   is checked before the tuple is picked up; a valid one proves the
 *   handshake, and the flow it stands for is started from it.
 *
 * What it is told (the gate's verdict so far, enum gate): a segment dropped
 * at the gate moves nothing; a SYN over a limit feeds the sketches only;
 * a SYN that cookies answer makes no state (its port's flood window only);
 * a SYN that completes a port scan whose action drops it makes no flow.
 * Under a flood it inserts nothing for a new tuple (no map insert per
 * spoofed segment): that is the datapath protecting itself, not policy.
 *
 * It returns where the tuple was (enum track_state) and the step's
 * transition in struct track_res; it raises nothing (detect does) and
 * decides nothing (judge does).
 */
#ifndef TCPSENTRY_BPF_TRACK_H
#define TCPSENTRY_BPF_TRACK_H

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "parse.h"
#include "flood.h"
#include "quality.h"
#include <tcpsentry/fsm.h>
#include <tcpsentry/hs_log.h>
#include <tcpsentry/flowkey.h>
#include <tcpsentry/cookie_mac.h>
#include <tcpsentry/ratelimit.h>


/* step_ctx.want_copy: when an entry leaves its table for flows */
#define COPY_NONE 0
#define COPY_ESTABLISHED 1 /* embryonic: the handshake completed */
#define COPY_CONFIRMED 2   /* pickups: the other direction answered */

/*
 * Step an entry found in a table, under its lock stripe. Global (not
 * inlined): the verifier checks the state machine once, not once per way
 * of reaching it. Returns 0, or -1 if the entry is an embryonic copy the
 * other hook already promoted (look in flows instead). fa (per-CPU
 * scratch, not the stack: the deepest frames share 512 bytes) gets what
 * the step's state events become (hs_log.h).
 */
__attribute__((noinline)) int step_entry(struct ts_flow *f, struct step_ctx *sc,
					 struct ts_flow *copy, struct ts_flow *rec,
					 struct track_facts *fa)
{
	struct ts_lock *lk;
	__u32 stripe;

	if (!f || !sc || !fa)
		return -1;
	stripe = sc->stripe;
	lk = bpf_map_lookup_elem(&flow_locks, &stripe);
	if (!lk)
		return -1;
	bpf_spin_lock(&lk->lock);
	if (f->flags & TS_F_PROMOTED) {
		bpf_spin_unlock(&lk->lock);
		return -1;
	}
	/* the local endpoints: under the lock, as every write of flags */
	if (sc->dir == DIR_EGRESS)
		f->flags |= sc->sender_idx & 1 ? TS_F_LOCAL1 : TS_F_LOCAL0;
	sc->seg.from = (sc->sender_idx == f->client) ? TS_CLIENT : TS_SERVER;
	sc->old_state[0] = f->ep[0].state;
	sc->old_state[1] = f->ep[1].state;
	q_snapshot(f, sc->seg.from, &fa->qb);
	sc->ret = ts_fsm_step(f, &sc->seg, sc->now, sc->dir == DIR_INGRESS);
	if (ts_ack_unanswered(f, &sc->seg, sc->now))
		sc->ret |= TS_STEP_ACK_NO_CONN;
	sc->new_state[0] = f->ep[0].state;
	sc->new_state[1] = f->ep[1].state;
	sc->client = f->client;
	/* an unproven handshake's events wait for its proof (hs_log.h); the
	 * local client's own SYN is proof (a reuse cleared its local flag) */
	ts_hs_hold(f, sc->old_state, sc->new_state, sc->ret, sc->seg.flags, sc->dir,
		   (f->flags & (f->client ? TS_F_LOCAL1 : TS_F_LOCAL0)) ||
			   (sc->dir == DIR_EGRESS && sc->seg.from == TS_CLIENT),
		   &fa->hs);
	if (fa->hs.flush) {
		fa->hs_syn_ns = f->syn_ns;
		fa->hs_synack_ns = f->synack_ns;
	}
	f->ep[sc->seg.from & 1].ip_bytes += sc->ip_len;
	/* the segment that ended the connection: its record, the entry as it
	 * is now, taken under the lock (account writes it out) */
	/* (an unanswered pickup, a spoofed segment and the RST answering it
	 * mostly, was never a connection: no record of it) */
	if (rec && sc->want_copy != COPY_CONFIRMED &&
	    ts_record_due(f, sc->ret & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED))) {
		f->flags |= TS_F_RECORDED;
		__builtin_memcpy(rec, f, sizeof(*f));
		sc->record = 1;
	}
	if (sc->ret & (TS_STEP_RST_OOW | TS_STEP_RST_INEXACT | TS_STEP_DATA_FAR_OOW)) {
		unsigned from = sc->seg.from & 1;
		const struct ts_endpoint *snd, *rcv;

		TS_OPAQUE(from);
		from &= 1;
		snd = &f->ep[from];
		rcv = &f->ep[from ^ 1];
		if (rcv->state == TS_SYN_SENT && !(sc->ret & TS_STEP_DATA_FAR_OOW)) {
			/* an RST answering a SYN must ACK it (RFC 9293 3.10.7.3) */
			sc->expected = rcv->isn + 1;
			sc->got = sc->seg.ack;
			sc->window = 0;
		} else {
			sc->expected = snd->end;
			sc->got = sc->seg.seq;
			sc->window = rcv->maxwin;
		}
	}
	/* a pickup is confirmed by an answer that keeps it open: the RST a
	 * host sends for a spoofed segment confirms nothing */
	if (copy && ((sc->want_copy == COPY_ESTABLISHED && (sc->ret & TS_STEP_ESTABLISHED)) ||
		     (sc->want_copy == COPY_CONFIRMED && (f->flags & TS_F_CONFIRMED) &&
		      f->ep[0].state != TS_CLOSED && f->ep[1].state != TS_CLOSED))) {
		__builtin_memcpy(copy, f, sizeof(*f));
		f->flags |= TS_F_PROMOTED;
		sc->copied = 1;
	}
	bpf_spin_unlock(&lk->lock);
	return 0;
}

/*
 * Egress: the sending socket's kernel took its peer's FIN, which the wire
 * did not show (egress_sock_fin): both endpoints move, under the flow's
 * lock, before the step of the segment the socket sends (fsm.h,
 * ts_fin_by_socket). Or the socket is ESTABLISHED and its ACK reaches a
 * FIN of the peer's that waits: that FIN was not taken, and goes before
 * the step could take the ACK for it (ts_fin_not_taken; sc->sk_est 2). Global, with a locked section of its own (taken on
 * this rare path only): inside step_entry the verifier walked the state
 * machine once for each outcome of it (+80,000 instructions). Sets
 * sc->sk_fin to 2 if it moved them, their states before in sc->sk_old.
 */
__attribute__((noinline)) int sock_fin_step(struct ts_flow *f, struct step_ctx *sc)
{
	struct ts_lock *lk;
	__u32 stripe;

	if (!f || !sc)
		return 0;
	stripe = sc->stripe;
	lk = bpf_map_lookup_elem(&flow_locks, &stripe);
	if (!lk)
		return 0;
	bpf_spin_lock(&lk->lock);
	sc->sk_old[0] = f->ep[0].state;
	sc->sk_old[1] = f->ep[1].state;
	if (sc->sk_est) {
		if (ts_fin_not_taken(f, (sc->sender_idx == f->client) ? TS_CLIENT : TS_SERVER,
				     sc->seg.ack))
			sc->sk_est = 2;
	} else if (ts_fin_by_socket(f, (sc->sender_idx == f->client) ? TS_CLIENT : TS_SERVER,
				    sc->sk_rcv_nxt)) {
		sc->sk_fin = 2;
	}
	bpf_spin_unlock(&lk->lock);
	return 0;
}

/* where track_flow found (or started) a tuple */
#define TBL_EMBRYONIC 0
#define TBL_FLOWS 1
#define TBL_PICKUPS 2

/* Start tracking an unknown tuple: insert its first entry, without the
 * segment applied (the caller steps it like any other): a SYN's in
 * embryonic, a mid-stream segment's in pickups. Returns the table's value,
 * or NULL when nothing was inserted. */
static __always_inline struct ts_flow *flow_new(const struct ts_flow_key *key, const struct pkt *p,
						struct ts_seg *seg, int sender_idx, __u64 now,
						int *table, struct ts_flow *tmp,
						struct ts_counters *cn)
{
	void *map;

	__builtin_memset(tmp, 0, sizeof(*tmp));
	tmp->family = p->family;
	ts_flow_start(tmp, seg, sender_idx, bpf_ntohs(p->sport), bpf_ntohs(p->dport), now);
	if ((tmp->flags & TS_F_PICKED_UP) && !(seg->flags & TS_TCP_SYN)) {
		/* mid-stream: a connection older than the attach, or a
		 * spoofed segment; flows once the other direction answers */
		map = &pickups;
		*table = TBL_PICKUPS;
	} else {
		map = &embryonic;
		*table = TBL_EMBRYONIC;
	}
	/* EEXIST: the other hook inserted it a moment ago; use that one */
	if (bpf_map_update_elem(map, key, tmp, BPF_NOEXIST) == 0)
		count(cn, *table == TBL_PICKUPS ? TS_C_PICKUP : TS_C_EMB_INSERT);
	return bpf_map_lookup_elem(map, key);
}

/* a completed handshake: its time in the log2 histogram (flows whose
 * handshake the local host did not time have handshake_us 0 and are not
 * counted) */
static __always_inline void hs_observe(const struct ts_flow *f)
{
	struct ts_hs_hist *h;
	__u32 zero = 0, b;

	if (!f->handshake_us)
		return;
	h = bpf_map_lookup_elem(&hs_hist, &zero);
	if (!h)
		return;
	TS_CHECKED(h);
	b = ts_hs_bucket(f->handshake_us);
	if (b < TS_HS_BUCKETS)
		h->bucket[b]++;
	h->sum_us += f->handshake_us;
}

/* A handshake completed: credit its server port's flood window (client:
 * the key index of the client) */
static __always_inline void flood_credit(const struct ts_flow_key *key, __u8 client, __u64 now)
{
	if (client)
		flood_done((const struct ts_addr *)key->addr[1], bpf_ntohs(key->port[0]), now);
	else
		flood_done((const struct ts_addr *)key->addr[0], bpf_ntohs(key->port[1]), now);
}

/* A handshake completed (an embryonic copy promoted): move it to flows and
 * credit its server port's flood window. */
static __always_inline void flow_promote(const struct ts_flow_key *key, struct ts_flow *tmp,
					 __u64 now, struct ts_counters *cn)
{
	if (bpf_map_update_elem(&flows, key, tmp, BPF_ANY)) {
		count(cn, TS_C_INSERT_FAIL);
	} else {
		count(cn, TS_C_PROMOTE);
		hs_observe(tmp);
		count(cn, TS_C_FLOW_INSERT);
	}
	flood_credit(key, tmp->client, now);
	bpf_map_delete_elem(&embryonic, key);
}

/* An ingress segment from an endpoint that sent through egress: a local
 * address coming in from outside, which the kernel drops as a martian. It
 * moves nothing (one flag test on the established path). */
static __always_inline int reflected(const struct ts_flow *f, __u32 sender_idx)
{
	return f->flags & (sender_idx & 1 ? TS_F_LOCAL1 : TS_F_LOCAL0);
}

/* A pickup the other direction answered (a copy marked promoted): move it
 * to flows. No handshake was seen: no flood credit, no handshake time. */
static __always_inline void pickup_promote(const struct ts_flow_key *key, struct ts_flow *tmp,
					   struct ts_counters *cn)
{
	if (bpf_map_update_elem(&flows, key, tmp, BPF_ANY)) {
		count(cn, TS_C_INSERT_FAIL);
	} else {
		count(cn, TS_C_PICKUP_CONFIRM);
		count(cn, TS_C_FLOW_INSERT);
	}
	bpf_map_delete_elem(&pickups, key);
}

/* did a cookie go out to port (host order) within a cookie's life? */
static __always_inline int cookie_recent(__u32 port)
{
	struct cookie_port *cp = bpf_map_lookup_elem(&cookie_sent, &port);
	__u64 now;

	if (!cp)
		return 0;
	TS_CHECKED(cp);
	if (!cp->sent_ns)
		return 0;
	now = bpf_ktime_get_coarse_ns();
	return (__s64)(now - cp->sent_ns) <= (__s64)TS_COOKIE_RECENT_NS;
}

/* steps whose segment moved nothing (or restarted the tuple): no quality */
#define Q_STEP_IGNORED (TS_STEP_SYN_CHALLENGED | TS_STEP_RST_INEXACT | TS_STEP_RST_OOW |      \
			TS_STEP_DATA_FAR_OOW | TS_STEP_DISCARDED | TS_STEP_REUSE |              \
			TS_STEP_RST_INEXACT_PEER | TS_STEP_OUT_OF_WINDOW)

/* track_flow's inputs */
#define TF_COOKIE_ACKS 0x1 /* an unknown tuple's ACK to this port must carry a cookie */
#define TF_COOKIE_DONE 0x2 /* its cookie was checked (not ours): track it as before */
#define TF_CSUM_DONE 0x4   /* its checksums were verified: it may be picked up */

/* the segment is a finished tuple's ACK, reused through a SYN cookie */
static __always_inline int finished(const struct ts_flow *f)
{
	return (f->ep[0].state == TS_CLOSED || f->ep[0].state == TS_TIME_WAIT) &&
	       (f->ep[1].state == TS_CLOSED || f->ep[1].state == TS_TIME_WAIT);
}

/* What a fragment's IP header(s) say of it, read again where needed:
 * parse keeps none of it (a field per parser path costs the verifier
 * states across every path) */
struct frag_info {
	__u32 id;   /* the datagram's ID: IPv4's 16 bits, IPv6's 32 */
	__u32 off;  /* this fragment's offset in the fragmentable part, bytes */
	__u32 len;  /* the fragmentable part's bytes it carries */
	__u32 more; /* more fragments follow */
	__u32 at;   /* where the fragmentable part's bytes start in the frame */
};

static __always_inline int frag_read(struct xdp_md *ctx, const struct pkt *p,
				     struct frag_info *fi)
{
	void *end = (void *)(long)ctx->data_end;
	__u8 *b = (__u8 *)(long)ctx->data + ((14 + 4 * (__u32)p->vlans) & 31);
	struct ipv6hdr *ip6 = (void *)b;
	__u32 left;
	__u8 nh;
	int i;

	if (p->family == 4) {
		struct iphdr *ip = (void *)b;

		if ((void *)(ip + 1) > end)
			return -1;
		fi->id = bpf_ntohs(ip->id);
		fi->off = (bpf_ntohs(ip->frag_off) & 0x1fff) << 3;
		fi->more = !!(ip->frag_off & bpf_htons(0x2000));
		fi->len = p->l4_len; /* parse: the IP payload */
		fi->at = ((14 + 4 * (__u32)p->vlans) & 31) + (__u32)ip->ihl * 4;
		return 0;
	}
	if ((void *)(ip6 + 1) > end)
		return -1;
	left = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	b = (__u8 *)(ip6 + 1);
	for (i = 0; i < TS_MAX_V6_EXT; i++) {
		struct { __u8 nh; __u8 len; __be16 frag_off; __be32 id; } *eh = (void *)b;
		__u32 elen;

		if ((void *)(eh + 1) > end)
			return -1;
		if (nh == IPPROTO_FRAGMENT) {
			if (left < 8)
				return -1;
			fi->id = bpf_ntohl(eh->id);
			fi->off = bpf_ntohs(eh->frag_off) & 0xfff8;
			fi->more = eh->frag_off & bpf_htons(1);
			fi->len = left - 8;
			fi->at = (__u32)((long)b - (long)ctx->data) + 8;
			return 0;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
			return -1;
		elen = ((__u32)eh->len + 1) * 8;
		if (elen > left)
			return -1;
		left -= elen;
		nh = eh->nh;
		b += elen & 2047;
	}
	return -1;
}

static __always_inline void frag_fin_key_of(struct frag_fin_key *k, const struct pkt *p, __u32 id)
{
	__builtin_memcpy(k->saddr, p->saddr, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, p->daddr, sizeof(k->daddr));
	k->id = id;
}

/* The kernel's count of the fragments from p's source (IPv4: inet_peer's
 * rid, which every fragment it queues moves), this one counted; 0 for
 * IPv6, which has no such count */
static __always_inline __u32 frag_rid_next(const struct pkt *p)
{
	__u32 saddr = p->saddr[3], zero = 0, *r;

	if (p->family != 4)
		return 0;
	r = bpf_map_lookup_elem(&frag_peers, &saddr);
	if (!r) {
		bpf_map_update_elem(&frag_peers, &saddr, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&frag_peers, &saddr);
		if (!r)
			return 0;
	}
	/* atomic, so that no CPU's count is lost; read back, not returned
	 * by the add (clang before 15 on the BPF target refuses that), so a
	 * fragment counted at once on the other CPU may be in it too */
	__sync_fetch_and_add(r, 1);
	return *(volatile __u32 *)r;
}

/* Did the kernel start the datagram over at this fragment (rid: its count,
 * then: its datagram's last one's), its fragments so far dropped: more
 * than net.ipv4.ipfrag_max_dist from the same source in between
 * (ip_frag_too_far, IPv4 only)? */
static __always_inline int frag_too_far(const struct pkt *p, __u32 rid, __u32 then)
{
	return p->family == 4 && rid - then > config_frag_max_dist();
}

/* How long the kernel keeps a datagram's fragments waiting for the rest
 * (ipfrag_time, ip6frag_time: the defaults) */
static __always_inline __u64 frag_life_ns(const struct pkt *p)
{
	return p->family == 6 ? TS_FRAG_LIFE6_NS : TS_FRAG_LIFE4_NS;
}

/*
 * The datagram of a FIN or an RST in a first fragment (v) is whole: its
 * last fragment carries off..off+len of the fragmentable part, tail_sum
 * their sum (FRAG_NO_SUM: unknown). Unless that overlaps the first
 * fragment (the kernel drops such a datagram whole) or the TCP checksum
 * is wrong (so does the kernel), the segment takes effect as the kernel
 * takes it now: a FIN's end is the datagram's length past the TCP header,
 * and it waits for its receiver's ACK (fsm.h, ts_fin_frag_done); an RST
 * is judged (ts_rst_frag_done). An RST is taken only with its checksum
 * known right: nothing but that tells it was taken, where a FIN has its
 * ACK; nor after a gap (a middle fragment), which is not followed. An RST
 * that closes the connection leaves in t (and scratch) what track_flow
 * leaves of a step that did: account writes its state events and record.
 */
static __always_inline void frag_fin_apply(const struct frag_fin *v, __u32 off, __u32 len,
					   __u32 tail_sum, struct track_res *t)
{
	struct scratch *sc = scratch_get();
	struct ts_lock *lk;
	struct ts_flow *f;
	__u32 stripe, end, from, contiguous = off == v->first_len;
	__u8 old[2];
	__u64 s, now;

	if (!sc || !(v->flags & (TS_TCP_FIN | TS_TCP_RST)) || off < v->first_len ||
	    off + len <= v->pre)
		return;
	TS_CHECKED(sc);
	if (contiguous && v->sum != FRAG_NO_SUM && tail_sum != FRAG_NO_SUM) {
		s = (__u64)v->sum + tail_sum + bpf_htonl((__u32)v->tcp_first + len);
		if (csum_fold32(s)) {
			count(counters_get(), TS_C_ERR_CSUM);
			return;
		}
	} else if (v->flags & TS_TCP_RST) {
		return;
	}
	end = v->seq + (off + len - v->pre) + 1;
	f = bpf_map_lookup_elem(&flows, &v->key);
	if (!f)
		return;
	stripe = ts_key_stripe(&v->key);
	lk = bpf_map_lookup_elem(&flow_locks, &stripe);
	if (!lk)
		return;
	now = clock_precise();
	bpf_spin_lock(&lk->lock);
	from = (v->sender_idx & 1) == f->client ? TS_CLIENT : TS_SERVER;
	if (!(v->flags & TS_TCP_RST)) {
		ts_fin_frag_done(f, from, v->seq, end, v->ack);
		bpf_spin_unlock(&lk->lock);
		return;
	}
	old[0] = f->ep[0].state;
	old[1] = f->ep[1].state;
	if (!ts_rst_frag_done(f, from, v->seq, v->ack, v->flags)) {
		bpf_spin_unlock(&lk->lock);
		return;
	}
	/* closed: what account writes of it, as of a step (track_flow):
	 * the state events, and the record taken under the lock */
	f->state_ns = now;
	t->step = (old[0] != TS_CLOSED ? TS_STEP_CLIENT_CHANGED : 0) |
		  (old[1] != TS_CLOSED ? TS_STEP_SERVER_CHANGED : 0);
	t->record = ts_record_due(f, t->step);
	if (t->record) {
		f->flags |= TS_F_RECORDED;
		__builtin_memcpy(&sc->rec.flow, f, sizeof(*f));
	}
	t->client = f->client;
	bpf_spin_unlock(&lk->lock);
	t->noted = 1;
	t->side = (__u8)from;
	t->frag_flags = v->flags;
	t->old_state[0] = old[0];
	t->old_state[1] = old[1];
	t->new_state[0] = TS_CLOSED;
	t->new_state[1] = TS_CLOSED;
	sc->key = v->key;
	__builtin_memset(&sc->facts.hs, 0, sizeof(sc->facts.hs));
	if (t->record) {
		sc->rec.key = v->key;
		sc->rec.cause = TS_REC_CLOSED;
		sc->rec.end_flags = v->flags;
		sc->rec.end_side = (__u8)from;
	}
}

/*
 * A first IP fragment the kernel gets (ingress, not dropped, its IPv4
 * header's checksum right) joins its datagram's reassembly queue, keyed
 * by addresses and ID, whatever it carries (track_frag_first: whatever
 * XDP made of its TCP header); so frag_fins and frag_tails follow that
 * queue as the kernel keeps it (inet_frag_queue_insert): a second first
 * fragment is dropped if it lies inside the first one (a duplicate),
 * else the datagram goes whole (an overlap); a last fragment waiting
 * makes the datagram whole, or overlaps it: either way it is gone; and
 * any of them starts the datagram over if more than TS_FRAG_MAX_DIST
 * fragments from its source came since its last one (ip_frag_too_far).
 * A first fragment with nothing to follow waits all the same, so that
 * its last one completes it. A FIN or an RST in it
 * (flags: the step set it aside, TS_STEP_FIN_FRAG; else 0) learns its
 * end and its checksum from the datagram's last fragment, which carries
 * no ports: at once if that came first (a sender sending the tail first,
 * or one planted before), else it is noted for frag_fin_done. Global:
 * off the parser's paths.
 */
__attribute__((noinline)) int frag_first(struct xdp_md *ctx, const struct pkt *p, __u32 flags,
					  struct track_res *res)
{
	struct frag_fin_key k = {};
	struct frag_fin v = {};
	struct frag_info fi = {};
	struct frag_fin *ff;
	struct frag_tail *t;
	__u32 off = 0, len = 0, tsum = FRAG_NO_SUM, tail = 0, i, rid;
	__u64 now, life, ps;
	long r;

	if (!p || !res || frag_read(ctx, p, &fi) < 0 || fi.off || !ip4_hdr_ok(ctx, p))
		return 0;
	frag_fin_key_of(&k, p, fi.id);
	now = clock_precise();
	life = frag_life_ns(p);
	rid = frag_rid_next(p);
	ff = bpf_map_lookup_elem(&frag_fins, &k);
	if (ff && now - ff->ns < life && !frag_too_far(p, rid, ff->rid)) {
		/* inside the one queued, a duplicate the kernel drops;
		 * longer, an overlap that ends the datagram */
		if (fi.len > ff->first_len)
			bpf_map_delete_elem(&frag_fins, &k);
		else
			ff->rid = rid;
		return 0;
	}
	t = bpf_map_lookup_elem(&frag_tails, &k);
	if (t && now - t->ns < life) {
		/* it completes the datagram, unless the kernel started that
		 * over at this fragment: the tail is gone either way */
		if (!frag_too_far(p, rid, t->rid)) {
			off = t->off;
			len = t->len;
			tsum = t->sum;
			tail = 1;
		}
		bpf_map_delete_elem(&frag_tails, &k);
	}
	v.first_len = fi.len;
	v.ns = now;
	v.rid = rid;
	v.sum = FRAG_NO_SUM;
	if (!(flags & (TS_TCP_FIN | TS_TCP_RST)) || fi.len < p->l4_len || p->opt_off < 20) {
		/* nothing to follow in it, but the kernel queues it all the
		 * same: its last fragment completes it (or conflicts), and
		 * must not wait in frag_tails for a first one of its own,
		 * where a later datagram reusing the ID would meet it */
		if (!tail)
			bpf_map_update_elem(&frag_fins, &k, &v, BPF_ANY);
		return 0;
	}
	v.sender_idx = ts_key_make(&v.key, p->saddr, p->sport, p->daddr, p->dport);
	v.seq = p->seg.seq;
	v.ack = p->seg.ack;
	v.flags = (__u8)flags;
	/* before the payload: IPv6 extension headers after the fragment
	 * header, then the TCP header */
	v.pre = fi.len - p->l4_len + sizeof(struct tcphdr) + p->optlen;
	v.tcp_first = (__u16)p->l4_len;
	r = csum_frag_xdp(ctx, p->opt_off - 20, p->l4_len);
	if (r >= 0) {
		/* the pseudo header but its length (known when whole) */
		ps = (__u64)r + bpf_htonl(IPPROTO_TCP);
#pragma unroll
		for (i = 0; i < 4; i++)
			ps += (__u64)p->saddr[i] + p->daddr[i];
		v.sum = (__u16)~csum_fold32(ps);
	}
	/* a tail that overlaps it ends the datagram, if the kernel holds
	 * that tail: it may not (over net.ipv4.ipfrag_high_thresh it drops
	 * new fragments, which a flood of orphan ones brings about). A FIN
	 * then waits for a tail that fits: its receiver's ACK still has the
	 * last word. An RST, judged here alone, is taken only for certain */
	if (tail && (off >= v.first_len || (flags & TS_TCP_RST)))
		frag_fin_apply(&v, off, len, tsum, res);
	else
		bpf_map_update_elem(&frag_fins, &k, &v, BPF_ANY);
	return 0;
}

/*
 * A datagram's later fragment (ingress, not dropped; its IPv4 header's
 * checksum right, or the kernel drops it first). Its last one: if its
 * first one waits (frag_first), the datagram is whole, and a FIN or an
 * RST in it takes effect. If not, the first may yet come: the tail (and
 * its bytes' sum) is kept in frag_tails, unless one is kept already: the
 * kernel drops this one if it repeats that one (a duplicate), else the
 * whole datagram (its end or its bytes conflict). A middle one is not
 * followed. Any of them starts its datagram over instead when too many
 * fragments from its source came since the last one of it
 * (frag_too_far). Global: verified once.
 */
__attribute__((noinline)) int frag_fin_done(struct xdp_md *ctx, const struct pkt *p,
					     struct track_res *res)
{
	struct frag_fin_key k = {};
	struct frag_info fi = {};
	struct frag_tail nt = {};
	struct frag_fin *ff;
	struct frag_tail *t;
	__u32 rid;
	__u64 now;
	long r;

	if (!p || !res || frag_read(ctx, p, &fi) < 0 || !ip4_hdr_ok(ctx, p))
		return 0;
	frag_fin_key_of(&k, p, fi.id);
	now = clock_precise();
	rid = frag_rid_next(p);
	ff = bpf_map_lookup_elem(&frag_fins, &k);
	if (ff && now - ff->ns < frag_life_ns(p)) {
		if (frag_too_far(p, rid, ff->rid)) {
			/* the kernel dropped the first fragment: this one
			 * starts the datagram over */
			bpf_map_delete_elem(&frag_fins, &k);
		} else if (fi.more) {
			ff->rid = rid; /* a middle one: not followed */
			return 0;
		} else {
			r = csum_frag_xdp(ctx, fi.at, fi.len);
			frag_fin_apply(ff, fi.off, fi.len, r >= 0 ? (__u32)r : FRAG_NO_SUM, res);
			bpf_map_delete_elem(&frag_fins, &k);
			return 0;
		}
	}
	t = bpf_map_lookup_elem(&frag_tails, &k);
	if (t && now - t->ns < frag_life_ns(p) && !frag_too_far(p, rid, t->rid)) {
		/* a last fragment ending elsewhere ends the datagram, one
		 * inside the one queued is a duplicate the kernel drops */
		if (!fi.more && (fi.off + fi.len != t->off + t->len || fi.off < t->off))
			bpf_map_delete_elem(&frag_tails, &k);
		else
			t->rid = rid;
		return 0;
	}
	if (fi.more) {
		/* a middle fragment: it starts a datagram over if one was
		 * waiting too long (not followed further) */
		if (t)
			bpf_map_delete_elem(&frag_tails, &k);
		return 0;
	}
	r = csum_frag_xdp(ctx, fi.at, fi.len);
	nt.sum = r >= 0 ? (__u32)r : FRAG_NO_SUM;
	nt.ns = now;
	nt.off = fi.off;
	nt.len = fi.len;
	nt.rid = rid;
	bpf_map_update_elem(&frag_tails, &k, &nt, BPF_ANY);
	return 0;
}

/* An IPv4 fragment of another protocol (ingress, passed as all of them
 * are): the kernel counts it among its source's fragments all the same
 * (ip_frag_too_far). Global: verified once. */
__attribute__((noinline)) int frag_count(struct xdp_md *ctx, const struct pkt *p)
{
	if (p && p->family == 4 && ip4_hdr_ok(ctx, p))
		frag_rid_next(p);
	return 0;
}

/* Stage 2 for a fragment of another protocol (ingress) */
static __always_inline void track_frag_other(void *ctx, const struct pkt *p)
{
	if (p->seg.opts & TS_SEG_FRAG)
		frag_count(ctx, p);
}

/* Stage 2 for a later IP fragment (ingress): the one thing it can move */
static __always_inline void track_fragment(void *ctx, const struct pkt *p,
					   const struct verdict *v, struct track_res *t)
{
	if (v->action != V_DROP)
		frag_fin_done(ctx, p, t);
}

/*
 * The flow of one parsed TCP segment, into t. A global (not inlined)
 * function on purpose: the verifier checks it once, on its own, instead of
 * once for every path the parser can take to get here (VLAN depths, IPv4
 * options, IPv6 extension chains, TCP option layouts), which multiplied
 * the state machine past the verifier's 1M-instruction budget. The key
 * lives in per-CPU scratch: the deepest frames share 512 bytes.
 */
__attribute__((noinline)) int track_flow(const struct pkt *p, struct track_res *t, __u32 dir,
					 __u32 in)
{
	struct step_ctx *sc;
	struct ts_flow_key *key;
	struct ts_counters *cn;
	struct scratch *s;
	struct ts_flow *f;
	__u8 fl;
	int table = TBL_FLOWS;

	if (!p || !t)
		return 1;
	s = scratch_get();
	if (!s)
		return 1;
	TS_CHECKED(s);
	/* in scratch, not on the stack: the deepest call chain (this frame,
	 * step_entry's) shares 512 bytes, and Linux 6.1 counts each frame
	 * rounded up to 32 */
	/* its inputs are all set below; its outputs are cleared only on the
	 * way to the locked step (the lock-free path reads none of them) */
	sc = &s->sc;
	key = &s->key;
	cn = counters_get();
	fl = p->seg.flags;
	t->looked = 1;
	sc->sender_idx = ts_key_make(key, p->saddr, p->sport, p->daddr, p->dport);
	sc->dir = dir;
	sc->seg = p->seg;
	if (dir == DIR_INGRESS) {
		sc->sk_fin = 0; /* (egress: track set them, egress_sock_fin) */
		sc->sk_est = 0;
	}
	/* the TCP segment plus the IP header(s) before it */
	sc->ip_len = p->l4_len + p->opt_off - sizeof(struct tcphdr) - 14 - 4 * (__u32)p->vlans;

	/* a flag set no stack acts on consistently is not tracked (detect
	 * reports it); one compare lets every established-flow segment by */
	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK && ts_bad_flags(fl))
		return 1;

	/* established flows: one lookup, a coarse clock, an in-place update */
	f = bpf_map_lookup_elem(&flows, key);
	if (f) {
		t->state = T_FLOWS;
		if (dir == DIR_INGRESS && reflected(f, sc->sender_idx))
			return 1;
		/* a finished connection's tuple reused (its client port)
		 * through a SYN cookie: the ACK's cookie decides, as for an
		 * unknown tuple */
		if (dir == DIR_INGRESS && (in & TF_COOKIE_ACKS) && !(in & TF_COOKIE_DONE) &&
		    (fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_ACK && finished(f)) {
			t->cookie = T_COOKIE_ASK;
			return 1;
		}
		sc->now = clock_coarse(cn);
		/* flow quality, told before the step moves the entry: most
		 * in-order data and ACKs need nothing of it (no snapshot, no call) */
		sc->q_quiet = q_quiet(f, &sc->seg, (sc->sender_idx & 1) == f->client ? TS_CLIENT : TS_SERVER);
		if (!sc->q_quiet)
			q_snapshot(f, (sc->sender_idx & 1) == f->client ? TS_CLIENT : TS_SERVER,
				   &s->facts.qb);
		/* (a socket that took a FIN the wire did not show takes the
		 * locked step: ts_fin_by_socket) */
		if (!sc->sk_fin && ts_fsm_fast(f, &sc->seg, (__u8)sc->sender_idx, sc->now)) {
			f->ep[sc->seg.from & 1].ip_bytes += sc->ip_len;
			if (!sc->q_quiet) {
				q_segment(&s->facts.qb, dir, sc->now);
				quality(f, &sc->seg, &s->facts.qb, cn);
			}
			return 0; /* established, nothing changes state: no lock, nothing noted */
		}
		/* data that its seen local receiver's kernel would take in
		 * order moves what a FIN is judged by (ts_data_taken): only
		 * if the kernel takes it, which a wrong TCP checksum parse
		 * does not check on data stops. Off the lock-free path only */
		if (dir == DIR_INGRESS && !(in & TF_CSUM_DONE) &&
		    ts_data_needs_csum(f, &sc->seg,
				       (sc->sender_idx & 1) == f->client ? TS_CLIENT : TS_SERVER)) {
			t->csum_ask = 1;
			return 1;
		}
	} else {
		sc->now = clock_precise(); /* handshake segments are timed */
		table = TBL_EMBRYONIC;
		if (dir == DIR_EGRESS && (fl & TS_TCP_RST))
			t->backscatter = 1;
		f = bpf_map_lookup_elem(&embryonic, key);
		if (!f && !(fl & TS_TCP_SYN)) {
			/* a pickup not yet answered (a SYN starts over in
			 * embryonic, whatever a spoofed segment left here) */
			f = bpf_map_lookup_elem(&pickups, key);
			table = TBL_PICKUPS;
		}
		if (f) {
			t->state = T_EMBRYONIC;
			if (dir == DIR_INGRESS && reflected(f, sc->sender_idx))
				return 1;
		} else {
			t->state = T_UNKNOWN;
			if (fl & TS_TCP_RST) {
				count(cn, TS_C_UNTRACKED_RST);
				return 1;
			}
			if (dir == DIR_INGRESS && !(fl & TS_TCP_SYN)) {
				t->pickup = 1;
				/* an ACK to a SYN-cookie port, or a bare ACK
				 * to a port probe cookies went out to (what a
				 * scanner's stack answers a probe with; not its
				 * FIN at close, retransmitted long after): its
				 * cookie first (track: cookie_check), then back
				 * here */
				if (!(in & TF_COOKIE_DONE) && (fl & TS_TCP_ACK) &&
				    ((in & TF_COOKIE_ACKS) ||
				     ((fl & TS_TCP_FIN) == 0 && cookie_recent(bpf_ntohs(p->dport))))) {
					t->cookie = T_COOKIE_ASK;
					return 1;
				}
				/* while an ack_flood is on, an unknown tuple's
				 * segment inserts nothing (no map insert per
				 * spoofed ACK); ack_no_conn's action applies */
				if (ack_flood_on()) {
					count(cn, TS_C_ACK_UNTRACKED_FLOOD);
					t->flood = TS_A_ACK_NO_CONN;
					return 1;
				}
			}
			/* a pickup inserts: only a segment the kernel takes
			 * (a SYN, FIN or RST was summed by parse already) */
			if (dir == DIR_INGRESS && !(fl & (TS_TCP_SYN | TS_TCP_FIN)) &&
			    !(in & TF_CSUM_DONE)) {
				t->csum_ask = 1;
				return 1;
			}
			/* a new tuple's SYN or SYN-ACK while a syn_flood is on
			 * at its server port (or host-wide): no entry, no map
			 * insert per spoofed SYN (nor per SYN-ACK answering
			 * one). A real client's final ACK finds no entry and is
			 * picked up mid-stream into flows. */
			if ((fl & TS_TCP_SYN) &&
			    flood_on(bpf_ntohs((fl & TS_TCP_ACK) ? p->sport : p->dport))) {
				count(cn, TS_C_SYN_UNTRACKED_FLOOD);
				if (dir == DIR_INGRESS && !(fl & TS_TCP_ACK))
					t->flood = TS_A_SYN_FLOOD;
				return 1;
			}
			f = flow_new(key, p, &sc->seg, sc->sender_idx, sc->now, &table, &s->flow, cn);
			if (!f) {
				count(cn, TS_C_INSERT_FAIL);
				return 1;
			}
			t->state = T_NEW;
		}
	}
	sc->stripe = ts_key_stripe(key); /* not needed on the lock-free path */
	sc->record = 0;
	sc->copied = 0;
	sc->expected = 0;
	sc->got = 0;
	sc->window = 0;
	sc->want_copy = table == TBL_EMBRYONIC ? COPY_ESTABLISHED :
		       table == TBL_PICKUPS ? COPY_CONFIRMED : COPY_NONE;
	/* (read without the lock, checked again under it: a FIN the flow
	 * has taken already costs no second lock, nor does an ESTABLISHED
	 * socket's segment when no FIN of its peer's waits) */
	if ((sc->sk_fin || sc->sk_est) && table == TBL_FLOWS) {
		__u8 pf = f->ep[((sc->sender_idx & 1) == f->client) ? TS_SERVER : TS_CLIENT].flags;

		if (sc->sk_fin ? !(pf & TS_EP_FIN_SENT) :
				 (pf & (TS_EP_FIN_QUEUED | TS_EP_FIN_SENT)) == TS_EP_FIN_QUEUED)
			sock_fin_step(f, sc);
	}
	if (step_entry(f, sc, &s->flow, &s->rec.flow, &s->facts) < 0) {
		/* an embryonic copy (or a pickup) the other hook promoted a
		 * moment ago */
		count(cn, TS_C_RACE_RETRY);
		f = bpf_map_lookup_elem(&flows, key);
		sc->want_copy = COPY_NONE;
		table = TBL_FLOWS;
		if (step_entry(f, sc, &s->flow, &s->rec.flow, &s->facts) < 0)
			return 1;
		t->state = T_FLOWS;
	}
	/* a FIN or an RST in a first IP fragment the step did not refuse
	 * moved nothing yet: its end and its checksum come with the
	 * datagram's last fragment (track, frag_first). Told here, not by the step: a flag set on one of
	 * its paths costs the verifier a copy of every path after it */
	if (dir == DIR_INGRESS && (sc->seg.flags & (TS_TCP_FIN | TS_TCP_RST)) &&
	    (sc->seg.opts & TS_SEG_FRAG) && !(sc->ret & TS_STEP_DISCARDED))
		sc->ret |= TS_STEP_FIN_FRAG;
	/* flow quality, from what the state machine took (the copy, when the
	 * entry moves to flows with it) */
	if (!(sc->ret & Q_STEP_IGNORED) && !(sc->seg.flags & TS_TCP_RST)) {
		struct ts_flow *qf = sc->copied ? &s->flow : f;

		q_segment(&s->facts.qb, dir, sc->now);
		quality(qf, &sc->seg, &s->facts.qb, cn);
	}
	if (sc->record) {
		s->rec.key = *key;
		s->rec.cause = TS_REC_CLOSED;
		s->rec.end_flags = sc->seg.flags;
		s->rec.end_side = sc->seg.from;
		t->record = 1;
	}
	if (sc->ret & TS_STEP_REUSE)
		count(cn, TS_C_REUSE);
	if (sc->ret & TS_STEP_RST_INEXACT_PEER)
		count(cn, TS_C_RST_INEXACT_PEER);
	if (sc->copied && table == TBL_EMBRYONIC)
		flow_promote(key, &s->flow, sc->now, cn);
	else if (sc->copied)
		pickup_promote(key, &s->flow, cn);
	else if (sc->ret & TS_STEP_ESTABLISHED)
		/* a reused tuple's handshake completed in place (its SYN
		 * restarted the flows entry): as completed as a promoted one */
		flood_credit(key, sc->client, sc->now);
	if (sc->sk_fin == 2) {
		/* what the socket's FIN moved is this step's too */
		sc->old_state[0] = sc->sk_old[0];
		sc->old_state[1] = sc->sk_old[1];
		sc->ret |= TS_STEP_FIN_SOCKET |
			   (sc->old_state[0] != sc->new_state[0] ? TS_STEP_CLIENT_CHANGED : 0) |
			   (sc->old_state[1] != sc->new_state[1] ? TS_STEP_SERVER_CHANGED : 0);
		count(cn, TS_C_FIN_BY_SOCKET);
	}
	if (sc->sk_est == 2)
		count(cn, TS_C_FIN_NOT_BY_SOCKET);
	t->step = sc->ret;
	t->old_state[0] = sc->old_state[0];
	t->old_state[1] = sc->old_state[1];
	t->new_state[0] = sc->new_state[0];
	t->new_state[1] = sc->new_state[1];
	t->client = sc->client;
	t->side = sc->seg.from;
	s->facts.expected = sc->expected;
	s->facts.got = sc->got;
	s->facts.window = sc->window;
	return 1;
}

/*
 * The flow a valid cookie stands for, as the tracker would have it had it
 * seen the handshake: the client's SYN (its options from the cookie) and
 * our SYN-ACK. The ACK itself is stepped after, like any segment.
 */
static __always_inline void cookie_flow(struct ts_flow *f, const struct pkt *p, __u32 sender_idx,
					__u32 cookie, __u64 now)
{
	struct ts_seg s = {};
	__u32 ws = cookie & 0xf;

	__builtin_memset(f, 0, sizeof(*f));
	f->family = p->family;
	s.seq = p->seg.seq - 1;
	s.flags = TS_TCP_SYN;
	s.win = p->seg.win;
	s.mss = ts_cookie_mss(p->family, cookie);
	s.opts = TS_OPT_MSS;
	if (ws != TS_COOKIE_WS_NONE) {
		s.opts |= TS_OPT_WSCALE;
		s.wscale = (__u8)ws;
	}
	if (cookie & TS_COOKIE_SACK)
		s.opts |= TS_OPT_SACKOK;
	if (cookie & TS_COOKIE_TS)
		s.opts |= TS_OPT_TS;
	ts_flow_start(f, &s, (__u8)sender_idx, bpf_ntohs(p->sport), bpf_ntohs(p->dport), now);
	ts_fsm_step(f, &s, now, 1);
	/* our SYN-ACK: the same options back, our window and shift */
	s.from = TS_SERVER;
	s.flags = TS_TCP_SYN | TS_TCP_ACK;
	s.ack = s.seq + 1;
	s.seq = p->seg.ack - 1;
	s.win = TS_COOKIE_WINDOW;
	s.mss = p->family == 6 ? 1440 : 1460;
	s.wscale = TS_COOKIE_RCV_WSCALE;
	ts_fsm_step(f, &s, now, 0);
	f->flags |= TS_F_COOKIE;
	f->handover = 1; /* claimed by the first segment tc ingress hands over */
}

/* May an ACK to port (host order) be checked against the cookie MAC now?
 * Only if a cookie went out to the port within a cookie's life, and within
 * the port's check rate (consts.h, TS_COOKIE_*). */
static __always_inline int cookie_checkable(__u32 port, __u64 now, struct ts_counters *cn)
{
	struct cookie_port *cp = bpf_map_lookup_elem(&cookie_sent, &port);
	__u64 iv = ts_gcra_interval(TS_COOKIE_CHECK_RATE);

	if (!cp)
		return 0;
	TS_CHECKED(cp);
	/* (signed: another CPU's coarse clock may be a tick ahead) */
	if (!cp->sent_ns || (__s64)(now - cp->sent_ns) > (__s64)TS_COOKIE_RECENT_NS) {
		count(cn, TS_C_COOKIE_NOT_RECENT);
		return 0;
	}
	if (!ts_gcra_conforms(cp->check_tat, now, (__u64)TS_COOKIE_CHECK_RATE * iv)) {
		count(cn, TS_C_COOKIE_CHECK_LIMITED);
		return 0;
	}
	cp->check_tat = ts_gcra_next(cp->check_tat, now, iv);
	return 1;
}

/* A valid cookie for a tuple flows holds already: it may only start a new
 * connection over a finished one whose client port was reused, with an ISN
 * above the old one's last sequence (the kernel's rule for a SYN to a
 * TIME_WAIT socket); else it is a replay, and the entry stays. */
static __always_inline int cookie_may_replace(const struct ts_flow *cur, __u32 sender_idx,
					      __u32 isn)
{
	__u32 role = (sender_idx & 1) == cur->client ? TS_CLIENT : TS_SERVER;

	return finished(cur) && ts_after(isn, cur->ep[role & 1].end);
}

/*
 * An unknown tuple's ACK to a cookie port (track_flow asked: T_COOKIE_ASK).
 * Its MAC is checked only while cookies were sent to the port recently,
 * within the port's check rate (cookie_checkable). Ours (its ack - 1 is a
 * cookie we would have sent): the flow it proves is started in flows,
 * T_COOKIE_VALID; never over an entry the tuple has (a replay of a closed
 * connection's ACK is T_COOKIE_BAD), except a finished one its client
 * reused (cookie_may_replace). Not ours, but the kernel holds a socket for
 * the tuple or the ACK carries a cookie of the kernel's own: T_COOKIE_NONE,
 * tracked as before. Neither: T_COOKIE_BAD. probe: the port has no
 * cookies, but probe cookies went out to it (scan_probe): a valid one is
 * T_COOKIE_PROBE (no flow: the port is closed), anything else
 * T_COOKIE_NONE. Global: verified once.
 */
__attribute__((noinline)) int cookie_check(struct xdp_md *ctx, const struct pkt *p, __u32 probe)
{
	struct bpf_sock_tuple tup = {};
	struct ts_counters *cn;
	struct ts_flow *cur;
	struct bpf_sock *sk;
	struct scratch *s;
	const __u64 *mk;
	__u32 cookie, sender, tsz, l2, tcp_off;
	__u64 now;
	void *data, *end;

	if (!p)
		return T_COOKIE_NONE;
	mk = config_cookie_key();
	if (!mk)
		return T_COOKIE_NONE;
	now = bpf_ktime_get_coarse_ns();
	cookie = p->seg.ack - 1;
	cn = counters_get();
	if (cookie_checkable(bpf_ntohs(p->dport), now, cn) &&
	    ts_cookie_check(mk, p->saddr, p->daddr, p->sport, p->dport, p->seg.seq - 1,
			    ts_cookie_time(now), cookie)) {
		s = scratch_get();
		if (!s)
			return T_COOKIE_NONE;
		TS_CHECKED(s);
		sender = ts_key_make(&s->key, p->saddr, p->sport, p->daddr, p->dport);
		/* a probe answered: the scanner is real, nothing to track */
		if (probe)
			return T_COOKIE_PROBE;
		cur = bpf_map_lookup_elem(&flows, &s->key);
		if (cur && !cookie_may_replace(cur, sender, p->seg.seq - 1)) {
			count(cn, TS_C_COOKIE_REPLAY);
			return T_COOKIE_BAD;
		}
		cookie_flow(&s->flow, p, sender, cookie, bpf_ktime_get_ns());
		if (bpf_map_update_elem(&flows, &s->key, &s->flow, cur ? BPF_EXIST : BPF_NOEXIST) ==
		    0) {
			count(cn, TS_C_FLOW_INSERT);
			/* a handshake completed: credit the port's flood window */
			flood_done((const struct ts_addr *)p->saddr, bpf_ntohs(p->dport), now);
		}
		return T_COOKIE_VALID;
	}

	/* a port without cookies: not a probe's ACK, the kernel's to judge */
	if (probe)
		return T_COOKIE_NONE;
	/* not our cookie: a socket the kernel already holds (a connection
	 * older than the cookies, a handshake it answered itself) passes */
	tsz = sock_tuple_of(&tup, p);
	sk = bpf_skc_lookup_tcp(ctx, &tup, tsz, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return T_COOKIE_BAD; /* nothing listens: the kernel would only answer with an RST */
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return T_COOKIE_NONE;
	}
	bpf_sk_release(sk);
	/* the kernel's own cookie (it answered a SYN we left to it) */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	l2 = (14 + 4 * (__u32)p->vlans) & 31;
	tcp_off = ((__u32)p->opt_off - 20) & 127;
	if (p->family == 6) {
		struct ipv6hdr *ip6 = data + l2;
		struct tcphdr *th = data + tcp_off;

		if ((void *)(ip6 + 1) <= end && (void *)(th + 1) <= end &&
		    bpf_tcp_raw_check_syncookie_ipv6(ip6, th) == 0)
			return T_COOKIE_NONE;
	} else {
		struct iphdr *ip = data + l2;
		struct tcphdr *th = data + tcp_off;

		if ((void *)(ip + 1) <= end && (void *)(th + 1) <= end &&
		    bpf_tcp_raw_check_syncookie_ipv4(ip, th) == 0)
			return T_COOKIE_NONE;
	}
	return T_COOKIE_BAD;
}

/*
 * The sketches of an ingress segment, and whether cookies answer it (a
 * pure SYN to a port judge_gate armed, that the rewrite covers): then it
 * makes no other state. Returns 1 if it noted anything (a scan, a
 * cookie). Global: off the entry's frame.
 */
__attribute__((noinline)) int track_sketches(const struct pkt *p, struct track_res *t,
					     __u32 gate, __u32 arm)
{
	struct ts_counters *cn;
	__u64 now;
	__u8 fl;
	__u32 bf;

	if (!p || !t)
		return 1;
	cn = counters_get();
	now = clock_coarse(cn);
	fl = p->seg.flags;
	/* syn.cookies=on: answered before the sketches, its port's flood
	 * window only (bpf/flood.h, cookie_flood_count) */
	if (gate == GATE_ALL && arm == ARM_ON &&
	    (fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN) {
		if (cookie_fits(p)) {
			t->cookie = T_COOKIE_ANSWER;
			cookie_flood_count(bpf_ntohs(p->dport), now);
			return 1;
		}
		t->cookie = T_COOKIE_SKIPPED;
	}
	/* SYNs and bad flags the host receives: a SYN over a rate limit too
	 * (the kernel never sees it, but a limited flood is still a flood) */
	if ((fl & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_ACK)
		return t->cookie != T_COOKIE_NONE;
	bf = ts_bad_flags(fl);
	if (!bf && (fl & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_SYN)
		return t->cookie != T_COOKIE_NONE;
	ingress_sketch(p, t, !bf, now);
	if (!bf) {
		t->flood_on = flood_on(bpf_ntohs(p->dport));
		/* syn.cookies=auto: answered while the port's flood is on */
		if (gate == GATE_ALL && arm == ARM_AUTO && t->flood_on &&
		    (fl & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN)
			t->cookie = cookie_fits(p) ? T_COOKIE_ANSWER : T_COOKIE_SKIPPED;
	}
	return t->scan_ports || t->cookie;
}

/*
 * A scan suspect's SYN (enforce mode, port_scan acting, the source not
 * allowlisted): how it is handled without naming its source, which may be
 * spoofed (enum track_scan). To a port something listens on: passed and
 * tracked like any SYN (a real client whose address a scan was spoofed
 * from still connects). To a closed port: answered with a probe cookie,
 * our SYN-ACK, where the kernel would send an RST; only a real scanner's
 * stack ACKs it, and that ACK (T_COOKIE_PROBE) is the proof a ban needs.
 * Without a cookie key or for a layout the rewrite does not cover:
 * dropped. Global: verified once.
 */
__attribute__((noinline)) int scan_probe(struct xdp_md *ctx, const struct pkt *p)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_sock *sk;
	__u32 tsz;

	if (!ctx || !p)
		return T_SCAN_OPEN;
	tsz = sock_tuple_of(&tup, p);
	sk = bpf_skc_lookup_tcp(ctx, &tup, tsz, BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		bpf_sk_release(sk);
		return T_SCAN_OPEN;
	}
	return cookie_fits(p) && config_cookie_key() ? T_SCAN_PROBED : T_SCAN_CLOSED;
}

/* Track one TCP segment the gate let in (see the top of this file). ctx:
 * the hook's context, for the cookie check's socket lookup (XDP only). */
/*
 * Egress: the socket that sent this segment, when it is the flow's local
 * endpoint (a full TCP stream socket with the segment's ports: not the
 * kernel's control socket that answers for TIME_WAIT and with resets, not
 * a raw or packet socket, and none at all for a forwarded frame): did its
 * kernel take its peer's FIN (fsm.h, ts_fin_by_socket), or none at all
 * (ESTABLISHED: ts_fin_not_taken)? Into the step's inputs; read here, off
 * the flow's lock (no helper may be called under it). The common case
 * costs a helper call and a few loads: an ESTABLISHED socket, which only
 * a segment whose peer has a FIN waiting takes to the lock.
 */
#define TS_SOCK_STREAM 1 /* SOCK_STREAM */
static __always_inline void egress_sock_fin(struct __sk_buff *skb, const struct pkt *p,
					    struct step_ctx *sc)
{
	struct bpf_sock *sk = skb->sk;
	struct bpf_tcp_sock *tp;

	sc->sk_fin = 0;
	sc->sk_est = 0;
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_TCP || sk->type != TS_SOCK_STREAM ||
	    sk->src_port != bpf_ntohs(p->sport) || sk->dst_port != p->dport)
		return;
	if (sk->state == TS_SK_ESTABLISHED) {
		sc->sk_est = 1;
		return;
	}
	if (!ts_sk_fin_taken(sk->state))
		return;
	tp = bpf_tcp_sock(sk);
	if (!tp)
		return;
	sc->sk_rcv_nxt = tp->rcv_nxt;
	sc->sk_fin = 1;
}

static __always_inline void track(void *ctx, const struct pkt *p, const struct verdict *v,
				  struct track_res *t, __u32 dir)
{
	__u32 in = v->ack_arm ? TF_COOKIE_ACKS : 0;

	/* (a step input: track_flow sets the others, and this one at ingress) */
	if (dir == DIR_EGRESS) {
		struct scratch *s = scratch_get();

		if (s)
			egress_sock_fin(ctx, p, &s->sc);
	}
	if (dir == DIR_INGRESS && (p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK)
		t->noted = (__u8)track_sketches(p, t, v->gate, v->syn_arm);
	if (dir == DIR_INGRESS && t->scan_suspect && v->scan_stops && v->gate == GATE_ALL &&
	    t->cookie == T_COOKIE_NONE &&
	    (p->seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN) {
		t->scan = (__u8)scan_probe(ctx, p);
		t->noted = 1;
		if (t->scan == T_SCAN_PROBED) {
			t->cookie = T_COOKIE_ANSWER;
			count(counters_get(), TS_C_SCAN_PROBE);
		}
	}
	if (v->gate != GATE_ALL ||
	    (t->noted && (t->cookie == T_COOKIE_ANSWER || t->scan == T_SCAN_CLOSED)))
		return;
	if (!track_flow(p, t, dir, in))
		return;
	t->noted = 1;
	if (dir == DIR_INGRESS && t->cookie == T_COOKIE_ASK) {
		t->cookie = cookie_check(ctx, p, !(in & TF_COOKIE_ACKS));
		if (t->cookie == T_COOKIE_BAD)
			return;
		if (t->cookie == T_COOKIE_PROBE) {
			/* a scanner's stack answered a probe: proof, no flow;
			 * enough for a ban once two ports' probes are answered */
			count(counters_get(), TS_C_SCAN_PROOF);
			if (scan_proof(p))
				t->scan = T_SCAN_PROVEN;
			return;
		}
		in |= TF_COOKIE_DONE;
		track_flow(p, t, dir, in);
	}
	/* a pickup's checksums, once it is one: the kernel drops a segment
	 * whose checksums are wrong, and no entry may come of it */
	if (dir == DIR_INGRESS && t->csum_ask) {
		t->csum_ask = 0;
		if (csum_ok_xdp(ctx, (struct pkt *)p)) {
			/* the kernel walks every segment's options: a timestamp
			 * after others (parse read only the usual layout)
			 * decides PAWS for data that would move in_end too */
			if (p->optlen && !(p->seg.opts & TS_OPT_TS))
				tcp_opts_xdp(ctx, p->opt_off, p->optlen, (struct pkt *)p);
			track_flow(p, t, dir, in | TF_CSUM_DONE);
		} else {
			count(counters_get(), TS_C_ERR_CSUM);
		}
	}
}

/*
 * A first IP fragment of TCP the kernel gets (ingress, passed) joins its
 * datagram's queue there whatever XDP made of it (tracked, or an error
 * past the IP header: the kernel reassembles before it reads TCP), so
 * frag_first follows it: a FIN or an RST the step set aside waits for the
 * datagram's end. Called once the verdict is known.
 */
static __always_inline void track_frag_first(void *ctx, const struct pkt *p,
					     const struct verdict *v, struct track_res *t)
{
	if ((p->seg.opts & TS_SEG_FRAG) && (p->kind == PKT_TCP || p->kind == PKT_ERR) &&
	    v->action != V_DROP)
		frag_first(ctx, p, (t->step & TS_STEP_FIN_FRAG) ? p->seg.flags : 0, t);
}

#endif /* TCPSENTRY_BPF_TRACK_H */
