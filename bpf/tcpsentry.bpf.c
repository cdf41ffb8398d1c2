// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcpsentry datapath: XDP on ingress, tc (clsact) on egress, one object,
 * shared maps. Both hooks run the same pipeline through a thin context
 * layer: parse -> classify -> flow lookup -> state machine -> counters ->
 * (on a transition) event. Ingress only, and in enforce mode only, the
 * policy (bpf/policy.h) may drop; everything else passes.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "parse.h"
#include "flow.h"
#include "cookie.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void classify(const struct pkt *p, struct ts_counters *cn)
{
	__u8 fl = p->seg.flags;

	count(cn, TS_C_TCP);
	if (fl & TS_TCP_SYN)
		count(cn, (fl & TS_TCP_ACK) ? TS_C_SYNACK : TS_C_SYN);
	if (fl & TS_TCP_FIN)
		count(cn, TS_C_FIN);
	if (fl & TS_TCP_RST)
		count(cn, TS_C_RST);
	if (p->seg.len)
		count(cn, TS_C_DATA);
	else if ((fl & (TS_TCP_SYN | TS_TCP_FIN | TS_TCP_RST | TS_TCP_ACK)) == TS_TCP_ACK)
		count(cn, TS_C_ACK_ONLY);
}

DEFINE_TCP_OPT_PARSER(tcp_opts_xdp, struct xdp_md)
DEFINE_TCP_OPT_PARSER(tcp_opts_tc, struct __sk_buff)

#define PROCESS_TX 2 /* XDP: send the rewritten frame back (a SYN cookie's SYN-ACK) */

/* The pipeline both hooks share. ctx: the hook's context, for the option
 * parser; dir is a constant in each inlined copy, so only one of the two
 * parser calls survives in each program. */
static __always_inline int process(void *ctx, struct cursor *c, int dir)
{
	struct ts_counters *cn;
	struct pkt p = {};
	__u32 zero = 0;
	__u16 proto;
	int v, drop = 0;

	cn = bpf_map_lookup_elem(&counters, &zero);
	count(cn, dir == DIR_INGRESS ? TS_C_PKTS_IN : TS_C_PKTS_OUT);

	v = parse_eth(c, &p, &proto);
	if (v == PARSE_TCP) {
		if (proto == bpf_htons(ETH_P_IP))
			v = parse_ipv4(c, &p);
		else if (proto == bpf_htons(ETH_P_IPV6))
			v = parse_ipv6(c, &p);
		else
			v = PARSE_NON_IP;
	}
	if (v == PARSE_TCP)
		v = parse_tcp(c, &p);
	/* lists and SYN limits, before the options: a denied source's
	 * segment is dropped here, early and cheaply, and feeds nothing */
	if (v == PARSE_TCP && dir == DIR_INGRESS && gate_wanted(&p)) {
		drop = policy_gate(&p, GATE_TCP, clock_coarse(cn));
		if (drop == GATE_DROP_NOW) {
			count(cn, TS_C_TCP);
			return 1;
		}
	}
	if (v == PARSE_TCP && (p.seg.flags & TS_TCP_SYN) && p.optlen) {
		int r = dir == DIR_INGRESS ?
			tcp_opts_xdp(ctx, p.opt_off, p.optlen, &p) :
			tcp_opts_tc(ctx, p.opt_off, p.optlen, &p);

		if (r < 0) {
			p.err = TS_C_ERR_TCP_OPT;
			v = PARSE_ERR;
		}
	}

	switch (v) {
	case PARSE_TCP:
		classify(&p, cn);
		/* syn.cookies=on: a SYN to a cookie port is answered here,
		 * before the sketches (bpf/cookie.h, cookie_flood_count) */
		if (dir == DIR_INGRESS && !drop &&
		    (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN &&
		    cookies_configured() &&
		    cookie_syn(ctx, &p, COOKIE_STAGE_ON, clock_coarse(cn))) {
			/* from here, not from cookie_syn: the 512-byte stack */
			cookie_flood_count(bpf_ntohs(p.dport), clock_coarse(cn));
			return PROCESS_TX;
		}
		/* a SYN over a rate limit (drop == GATE_DROP_LIMITED) is not
		 * tracked (the kernel never sees it) but still feeds the
		 * flood and scan sketches: a limited flood is still a flood */
		/* flood and scan sketches: SYNs and bad flags the host
		 * receives. Called from here, not from track_segment, to keep
		 * the deepest call chain inside the 512-byte combined stack. */
		if (dir == DIR_INGRESS &&
		    (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK)) != TS_TCP_ACK) {
			__u32 bf = ts_bad_flags(p.seg.flags);

			if ((bf || (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK)) == TS_TCP_SYN) &&
			    ingress_sketch(&p, !bf, clock_coarse(cn)))
				drop = 1;
		}
		if (drop)
			return 1;
		/* syn.cookies=auto: answered while the port's flood is on */
		if (dir == DIR_INGRESS &&
		    (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST | TS_TCP_FIN)) == TS_TCP_SYN &&
		    cookies_configured() &&
		    cookie_syn(ctx, &p, COOKIE_STAGE_AUTO, clock_coarse(cn)))
			return PROCESS_TX;
		track_segment(&p, dir);
		/* an unknown tuple's ACK to a cookie port: its cookie decides */
		if (dir == DIR_INGRESS && (p.out & PKT_OUT_COOKIE_ASK)) {
			if (cookie_ack(ctx, &p) == COOKIE_DROP) {
				drop = 1;
			} else {
				p.out = (p.out & ~PKT_OUT_COOKIE_ASK) | PKT_IN_COOKIE_DONE;
				track_segment(&p, dir);
			}
		}
		if (p.out & PKT_OUT_DROP)
			drop = 1;
		if (dir == DIR_EGRESS && (p.out & PKT_OUT_BACKSCATTER))
			window_note(TS_BS_SLOT, clock_coarse(cn));
		if (p.out & PKT_OUT_ACKFLOOD)
			window_note(TS_AF_SLOT, clock_coarse(cn));
		break;
	case PARSE_NON_IP:
		count(cn, TS_C_NON_IP);
		break;
	case PARSE_NON_TCP:
		count(cn, TS_C_NON_TCP);
		break;
	case PARSE_FRAG_LATER:
		count(cn, TS_C_FRAG_LATER);
		if (dir == DIR_INGRESS)
			drop = !!policy_gate(&p, GATE_FRAGMENT, clock_coarse(cn));
		break;
	default:
		count(cn, p.err);
		if (dir == DIR_INGRESS && p.err == TS_C_ERR_IPV6_CHAIN)
			drop = !!policy_gate(&p, GATE_UNPARSED, clock_coarse(cn));
		break;
	}
	return drop;
}

SEC("xdp")
int tcpsentry_xdp(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
		.start = (void *)(long)ctx->data,
	};

	c.len = (__u32)(c.end - c.start);
	switch (process(ctx, &c, DIR_INGRESS)) {
	case 0:
		break;
	case PROCESS_TX:
		return XDP_TX; /* our SYN-ACK: see bpf/cookie.h */
	default:
		return XDP_DROP; /* enforce mode, or an invalid cookie: see bpf/policy.h, cookie.h */
	}
	/* hand the frame to the program we displaced, if any */
	bpf_tail_call(ctx, &xdp_chain, 0);
	return XDP_PASS;
}

SEC("tc")
int tcpsentry_tc_egress(struct __sk_buff *skb)
{
	struct cursor c;

	if ((long)skb->data + TS_TC_PULL_LEN > (long)skb->data_end &&
	    skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < TS_TC_PULL_LEN ? skb->len : TS_TC_PULL_LEN);
	c.pos = (void *)(long)skb->data;
	c.end = (void *)(long)skb->data_end;
	c.start = c.pos;
	c.len = skb->len;
	process(skb, &c, DIR_EGRESS);
	return TC_ACT_OK;
}

/*
 * tc ingress: only the SYN-cookie hand-over. A frame XDP marked in its
 * metadata (its ACK carried a valid cookie) gets a request socket built
 * from the cookie; everything else passes untouched at the cost of one
 * compare.
 */
SEC("tc")
int tcpsentry_tc_ingress(struct __sk_buff *skb)
{
	void *meta = (void *)(long)skb->data_meta;
	struct pkt p = {};
	struct cursor c;
	__u16 proto;
	int v, marked;

	marked = meta + 4 <= (void *)(long)skb->data && *(__u32 *)meta == TS_COOKIE_META_MAGIC;
	if (!marked) {
		/* no cookies configured: nothing to hand over, no parsing */
		struct ts_policy *pol = policy_get();

		if (!pol || pol->syn_cookies == TS_COOKIES_OFF || !pol->cookie_nports)
			return TC_ACT_OK;
	}
	if ((long)skb->data + TS_TC_PULL_LEN > (long)skb->data_end &&
	    skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < TS_TC_PULL_LEN ? skb->len : TS_TC_PULL_LEN);
	c.pos = (void *)(long)skb->data;
	c.end = (void *)(long)skb->data_end;
	c.start = c.pos;
	c.len = skb->len;
	v = parse_eth(&c, &p, &proto);
	if (v == PARSE_TCP) {
		if (proto == bpf_htons(ETH_P_IP))
			v = parse_ipv4(&c, &p);
		else if (proto == bpf_htons(ETH_P_IPV6))
			v = parse_ipv6(&c, &p);
		else
			v = PARSE_NON_IP;
	}
	if (v == PARSE_TCP)
		v = parse_tcp(&c, &p);
	if (v != PARSE_TCP || (p.seg.flags & (TS_TCP_SYN | TS_TCP_ACK | TS_TCP_RST)) != TS_TCP_ACK)
		return TC_ACT_OK;
	/* once per connection, whichever segment comes first; and when the
	 * mark was lost on the way (a VLAN tag taken off before this filter
	 * moves the frame away from its metadata), any cookie port's segment
	 * whose flow XDP started from a cookie */
	if (!(marked || cookie_ack_port(bpf_ntohs(p.dport))) || !cookie_claim(&p))
		return TC_ACT_OK;
	if (p.optlen && tcp_opts_tc(skb, p.opt_off, p.optlen, &p) < 0)
		return TC_ACT_OK;
	cookie_handover(skb, &p);
	return TC_ACT_OK;
}

/*
 * An anomaly the sweeper saw (struct ts_report): counted and reported
 * through the same anomaly_raise as the datapath's, never acted on (there
 * is no packet). Userspace runs it with BPF_PROG_TEST_RUN.
 */
SEC("syscall")
int tcpsentry_report(struct ts_report *r)
{
	struct ts_flow_key key;
	struct anom_facts a = {};

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
	anomaly_raise(&key, &a);
	return 0;
}
