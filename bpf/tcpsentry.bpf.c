// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpsentry datapath: the entry points, and nothing else. XDP on ingress
 * and tc (clsact) on egress run one pipeline over shared maps:
 *
 *   parse -> track -> detect -> judge -> act -> account
 *
 * each stage in the header of its name (bpf/parse.h ... bpf/account.h),
 * handing the next one a record (bpf/ctx.h), with one exit: every frame
 * reaches account, which counts its verdict exactly once. Only ingress,
 * and in enforce mode only (or for a bad SYN cookie), drops; XDP_TX is
 * our SYN-ACK answering a SYN with a cookie.
 *
 * tc ingress does one thing, the SYN-cookie hand-over; the syscall programs
 * let the sweeper report what only it can see, and hand over the records
 * of the connections it (or detach) ends. See docs/architecture.md.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ctx.h"
#include "maps.h"
#include "parse.h"
#include "track.h"
#include "detect.h"
#include "judge.h"
#include "act.h"
#include "account.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The pipeline both hooks share; returns the verdict (enum verdict_action).
 * ctx: the hook's context; dir is a constant in each inlined copy, so the
 * ingress-only parts (the gate, the cookies, the verdicts) vanish from the
 * tc program.
 *
 * The pipeline's early decisions are stage inputs, not exits: the gate
 * (judge_gate) is asked between the headers and the options, and its
 * verdict tells the stages after it what they may do. A denied source's
 * segment is dropped without its options walked and feeds nothing
 * (GATE_NONE); a SYN over a limit feeds the sketches only (GATE_SKETCH);
 * cookies armed for a port have track answer its SYNs with no state, and
 * under syn.cookies=on before the sketches; under a flood track inserts
 * nothing for a new tuple. Whatever the stages decide, the frame goes on
 * to account.
 */
static __always_inline __u32 pipeline(void *ctx, struct cursor *c, __u32 dir)
{
	struct ts_counters *cn = counters_get(); /* this CPU's: the clock, the counts */
	struct pkt p = {};
	struct track_res t = {};
	struct verdict v = {};
	__u32 nf = 0;

	parse_frame(c, &p, dir == DIR_INGRESS);
	judge_gate(&p, &v, cn, dir);
	parse_options(ctx, &p, v.gate, dir);
	parse_checksums(ctx, &p, v.gate, dir);
	/* the stages that follow concern a TCP segment the gate let in */
	if (p.kind == PKT_TCP && v.gate != GATE_NONE) {
		track(ctx, &p, &v, &t, dir);
		nf = detect(&p, &v, &t, dir);
		judge(&t, nf, &v, dir);
		act(ctx, &p, &t, &v, dir);
	} else if (dir == DIR_INGRESS && p.kind == PKT_FRAG_LATER) {
		track_fragment(ctx, &p, &v, &t);
	} else if (dir == DIR_INGRESS && p.kind == PKT_NON_TCP) {
		track_frag_other(ctx, &p);
	}
	if (dir == DIR_INGRESS)
		track_frag_first(ctx, &p, &v, &t);
	account(ctx, &p, &t, nf, &v, cn, dir);
	return v.action;
}

SEC("xdp")
int tcpsentry_xdp(struct xdp_md *ctx)
{
	struct cursor c;
	__u32 v;

	xdp_cursor(ctx, &c);
	v = pipeline(ctx, &c, DIR_INGRESS);
	if (v == V_DROP)
		return XDP_DROP;
	if (v == V_TX)
		return XDP_TX; /* our SYN-ACK: see bpf/synack.h */
	/* passed, and counted: the frame goes on to the program we
	 * displaced, if any (an empty slot falls through to XDP_PASS) */
	bpf_tail_call(ctx, &xdp_chain, 0);
	return XDP_PASS;
}

/* the headers linear for the parser (paged data is counted, not read) */
static __always_inline void tc_cursor(struct __sk_buff *skb, struct cursor *c)
{
	if ((long)skb->data + TS_TC_PULL_LEN > (long)skb->data_end &&
	    skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < TS_TC_PULL_LEN ? skb->len : TS_TC_PULL_LEN);
	c->pos = (void *)(long)skb->data;
	c->end = (void *)(long)skb->data_end;
	c->start = c->pos;
	c->len = skb->len;
}

SEC("tc")
int tcpsentry_tc_egress(struct __sk_buff *skb)
{
	struct cursor c;

	tc_cursor(skb, &c);
	pipeline(skb, &c, DIR_EGRESS);
	return TC_ACT_OK;
}

/*
 * tc ingress: only the SYN-cookie hand-over, parse -> act -> account. A
 * frame XDP marked in its metadata (its ACK carried a valid cookie) gets a
 * request socket built from the cookie (bpf/act.h); everything else passes
 * untouched at the cost of one compare. Once per connection, whichever
 * segment comes first; and when the mark was lost on the way (a VLAN tag
 * taken off before this filter moves the frame away from its metadata),
 * any cookie port's segment whose flow XDP started from a cookie.
 */
SEC("tc")
int tcpsentry_tc_ingress(struct __sk_buff *skb)
{
	void *meta = (void *)(long)skb->data_meta;
	struct pkt p = {};
	struct cursor c;
	int marked, r = HANDOVER_NONE;

	marked = meta + 4 <= (void *)(long)skb->data && *(__u32 *)meta == TS_COOKIE_META_MAGIC;
	/* no cookies configured: nothing to hand over, no parsing */
	if (marked || cookie_ports_any()) {
		tc_cursor(skb, &c);
		parse_frame(&c, &p, 0); /* XDP judged the tags (its mark) */
		if (p.kind == PKT_TCP &&
		    (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) == TS_TCP_ACK &&
		    (marked || cookie_acks_port(bpf_ntohs(p.dport))) && cookie_claim(&p)) {
			/* the ACK's timestamps, for the request socket */
			if (!p.optlen || tcp_opts_tc(skb, p.opt_off, p.optlen, &p) >= 0)
				r = cookie_handover(skb, &p);
		}
	}
	account_handover(r);
	return TC_ACT_OK;
}

/*
 * A connection record userspace made (struct ts_record): the sweeper's for
 * an entry it removes, detach's for one still open. Written to the same
 * ring as the datapath's own, and counted the same way (records,
 * records_lost). Userspace runs it with BPF_PROG_TEST_RUN.
 */
SEC("syscall")
int tcpsentry_record(struct ts_record *r)
{
	struct ts_counters *cn = counters_get();
	struct ts_record *e;

	if (!records_on())
		return 0;
	e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);
	if (!e) {
		count(cn, TS_C_RECORDS_LOST);
		return 1;
	}
	__builtin_memcpy(e, r, sizeof(*e));
	bpf_ringbuf_submit(e, 0);
	count(cn, TS_C_RECORDS);
	return 0;
}

/*
 * An anomaly the sweeper saw (struct ts_report): counted and reported
 * through the same anomaly_emit as the datapath's, never acted on (there
 * is no packet). Userspace runs it with BPF_PROG_TEST_RUN.
 */
SEC("syscall")
int tcpsentry_report(struct ts_report *r)
{
	struct ts_flow_key key;
	struct finding a = {};

	if (r->kind != TS_A_HALF_OPEN_TIMEOUT)
		return -1;
	__builtin_memcpy(&key, &r->key, sizeof(key));
	a.kind = r->kind;
	a.got = r->got;
	a.detail = r->detail;
	a.client = r->client & 1;
	a.side = TS_SERVER;          /* the endpoint left in SYN_RCVD */
	a.sender = (r->client & 1) ^ 1;
	a.family = r->family;
	a.dir = DIR_INGRESS;
	anomaly_emit(&key, &a);
	return 0;
}
