// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the TCP state machine (include/tcpsentry/fsm.h), segment by
 * segment. Every table row is one segment as the tracker sees it, with the
 * states BOTH endpoints must hold once it has been delivered (RFC 9293 send
 * transitions for its sender, receive transitions for its receiver).
 *
 * Endpoints are named by flow-key index, as the datapath sees them:
 *   A = key index 0, port 40000 (the client, unless a test says otherwise)
 *   B = key index 1, port 80
 * Client ISN 1000, server ISN 5000 unless a test says otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <tcpsentry/fsm.h>
#include <tcpsentry/anomaly_rules.h>
#include <tcpsentry/hs_log.h>
#include "format.h"

enum { A = 0, B = 1 };
static const __u16 port_of[2] = { 40000, 80 };

/* flags */
#define fSYN TS_TCP_SYN
#define fSA  (TS_TCP_SYN | TS_TCP_ACK)
#define fA   TS_TCP_ACK
#define fPA  (TS_TCP_PSH | TS_TCP_ACK)
#define fF   TS_TCP_FIN
#define fFA  (TS_TCP_FIN | TS_TCP_ACK)
#define fR   TS_TCP_RST
#define fRA  (TS_TCP_RST | TS_TCP_ACK)

/* states */
#define CL TS_CLOSED
#define LI TS_LISTEN
#define SS TS_SYN_SENT
#define SR TS_SYN_RCVD
#define ES TS_ESTABLISHED
#define F1 TS_FIN_WAIT_1
#define F2 TS_FIN_WAIT_2
#define CW TS_CLOSE_WAIT
#define CG TS_CLOSING
#define LA TS_LAST_ACK
#define TW TS_TIME_WAIT

/* result bits a row names; the *_CHANGED bits are derived from the states */
#define EST    TS_STEP_ESTABLISHED
#define REUSE  TS_STEP_REUSE
#define INEX   TS_STEP_RST_INEXACT
#define PEER   TS_STEP_RST_INEXACT_PEER
#define RSTOOW TS_STEP_RST_OOW
#define CLOSED TS_STEP_CLOSED
#define OOWIN  TS_STEP_OUT_OF_WINDOW

struct step {
	__u8 who;      /* key index of the sender */
	__u8 flags;
	__u32 seq, ack, len;
	__u8 cst, sst; /* expected client / server state afterwards */
	__u32 ev;      /* expected result bits besides *_CHANGED */
	__u16 win;     /* 0: 65535 */
	__u8 opts, wscale;
	__u32 tsval, tsecr; /* with TS_OPT_TS in opts */
};

#define S(w, fl, sq, ak, ln, c, s) \
	{ .who = w, .flags = fl, .seq = sq, .ack = ak, .len = ln, .cst = c, .sst = s }
#define SX(w, fl, sq, ak, ln, c, s, x) \
	{ .who = w, .flags = fl, .seq = sq, .ack = ak, .len = ln, .cst = c, .sst = s, .ev = x }
/* a row with the timestamps option */
#define ST(w, fl, sq, ak, ln, c, s, x, tv, te)                                   \
	{ .who = w, .flags = fl, .seq = sq, .ack = ak, .len = ln, .cst = c, .sst = s, \
	  .ev = x, .opts = TS_OPT_TS, .tsval = tv, .tsecr = te }
#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

#define T0 1000000000ull /* first segment at 1 s */
#define DT 1000000ull    /* then one every ms */

struct player {
	struct ts_flow f;
	int started;
	unsigned n;          /* segments played */
	int local;           /* key index of the local host, -1: none */
	int egress;          /* its segments are seen at egress: marked TS_F_LOCAL* as step_entry does */
	const __u64 *times;  /* per segment, NULL: T0 + n * DT */
	const char *name;
	__u32 last_ret;
	__u64 last_now;
};

static void player_init(struct player *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->local = -1;
	p->name = name;
}

static __u32 play1(struct player *p, const struct step *st)
{
	struct ts_seg seg = {
		.seq = st->seq,
		.ack = st->ack,
		.len = st->len,
		.win = st->win ? st->win : 65535,
		.flags = st->flags,
		.opts = st->opts | ((st->flags & TS_TCP_SYN) ? TS_OPT_MSS : 0),
		.mss = (st->flags & TS_TCP_SYN) ? 1460 : 0,
		.wscale = st->wscale,
		.tsval = st->tsval,
		.tsecr = st->tsecr,
	};
	__u64 now = p->times ? p->times[p->n] : T0 + p->n * DT;
	__u8 pc, ps, gc, gs;
	__u32 ret, want;
	int recv_local = p->local >= 0 && (st->who ^ 1) == p->local;

	if (!p->started) {
		memset(&p->f, 0, sizeof(p->f));
		p->f.family = 4;
		ts_flow_start(&p->f, &seg, st->who, port_of[st->who], port_of[st->who ^ 1], now);
		p->started = 1;
		/* ts_flow_start picks the roles and sets seg.from to match */
		assert_int_equal(seg.from, st->who == p->f.client ? TS_CLIENT : TS_SERVER);
	} else {
		seg.from = st->who == p->f.client ? TS_CLIENT : TS_SERVER;
	}
	if (p->egress && st->who == p->local)
		p->f.flags |= (__u8)(TS_F_LOCAL0 << st->who);
	pc = p->f.ep[TS_CLIENT].state;
	ps = p->f.ep[TS_SERVER].state;
	ret = ts_fsm_step(&p->f, &seg, now, recv_local);
	gc = p->f.ep[TS_CLIENT].state;
	gs = p->f.ep[TS_SERVER].state;
	if (st->ev & TS_STEP_REUSE)
		pc = ps = TS_CLOSED; /* a reused tuple starts over */
	want = st->ev | (st->cst != pc ? TS_STEP_CLIENT_CHANGED : 0) |
	       (st->sst != ps ? TS_STEP_SERVER_CHANGED : 0);
	if (gc != st->cst || gs != st->sst || ret != want)
		fail_msg("%s: segment %u (%s flags %#x seq %u ack %u len %u): "
			 "client %s (want %s), server %s (want %s), ret %#x (want %#x)",
			 p->name, p->n + 1, st->who == A ? "A" : "B", st->flags, st->seq, st->ack,
			 st->len, ts_state_name(gc), ts_state_name(st->cst), ts_state_name(gs),
			 ts_state_name(st->sst), ret, want);
	p->n++;
	p->last_ret = ret;
	p->last_now = now;
	return ret;
}

static void play(struct player *p, const struct step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		play1(p, &s[i]);
}

/* run(): a fresh flow through a whole table */
static void run(struct player *p, const char *name, const struct step *s, size_t n)
{
	player_init(p, name);
	play(p, s, n);
}
#define RUN(p, arr) run(p, #arr, arr, N(arr))

static void assert_hist(const struct ts_flow *f, const char *want)
{
	char got[sizeof(f->hist) + 1];

	memcpy(got, f->hist, sizeof(f->hist));
	got[sizeof(f->hist)] = '\0';
	assert_string_equal(got, want);
	assert_int_equal(f->hist_len, strlen(want));
}

/* ------------------------------------------------------------------ */
/* Building blocks: rows of the usual life of a connection.           */

#define HANDSHAKE                                                              \
	S(A, fSYN, 1000, 0, 0, SS, LI),                                        \
	S(B, fSA, 5000, 1001, 0, ES, SR),                                      \
	SX(A, fA, 1001, 5001, 0, ES, ES, EST)

/* client sends 100 bytes, server ACKs and answers with 200 */
#define DATA                                                                   \
	S(A, fPA, 1001, 5001, 100, ES, ES),                                    \
	S(B, fA, 5001, 1101, 0, ES, ES),                                       \
	S(B, fPA, 5001, 1101, 200, ES, ES),                                    \
	S(A, fA, 1101, 5201, 0, ES, ES)

#define C_FIN      S(A, fFA, 1101, 5201, 0, F1, CW)
#define S_ACK_CFIN S(B, fA, 5201, 1102, 0, F2, CW)
#define S_FIN      S(B, fFA, 5201, 1102, 0, TW, LA)
#define C_LAST_ACK S(A, fA, 1102, 5202, 0, TW, CL)
#define CLIENT_CLOSE C_FIN, S_ACK_CFIN, S_FIN, C_LAST_ACK

#define S_FIN1     S(B, fFA, 5201, 1101, 0, CW, F1)
#define C_ACK_SFIN S(A, fA, 1101, 5202, 0, CW, F2)
#define C_FIN2     S(A, fFA, 1101, 5202, 0, LA, TW)
#define S_LAST_ACK S(B, fA, 5202, 1102, 0, CL, TW)
#define SERVER_CLOSE S_FIN1, C_ACK_SFIN, C_FIN2, S_LAST_ACK

/* ------------------------------------------------------------------ */

static void test_handshake(void **state)
{
	static const struct step t[] = { HANDSHAKE };
	struct player p;
	const struct ts_flow *f = &p.f;

	(void)state;
	RUN(&p, t);
	assert_int_equal(f->client, A);
	assert_int_equal(f->flags & TS_F_PICKED_UP, 0);
	assert_true(p.last_ret & TS_STEP_ESTABLISHED);
	assert_int_equal(f->ep[TS_CLIENT].isn, 1000);
	assert_int_equal(f->ep[TS_SERVER].isn, 5000);
	assert_true(f->ep[TS_CLIENT].flags & TS_EP_SYN_SENT);
	assert_true(f->ep[TS_SERVER].flags & TS_EP_SYN_SENT);
	assert_int_equal(f->ep[TS_CLIENT].mss, 1460);
	assert_int_equal(f->ep[TS_CLIENT].packets, 2);
	assert_int_equal(f->ep[TS_SERVER].packets, 1);
	assert_int_equal(f->syn_ns, T0);
	assert_int_equal(f->synack_ns, T0 + DT);
	assert_int_equal(f->first_seen_ns, T0);
	assert_int_equal(f->last_seen_ns, T0 + 2 * DT);
	assert_int_equal(f->state_ns, T0 + 2 * DT);
	assert_hist(f, "ShA");
}

/* Ingress only (attach --no-egress): the server's SYN-ACK is never seen.
 * The client's bare ACK proves it arrived: both endpoints catch up. */
static void test_unidirectional_handshake(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),
		S(A, fPA, 1001, 5001, 100, ES, ES),
		S(A, fFA, 1101, 5001, 0, F1, CW),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_true(p.last_ret & TS_STEP_CLIENT_CHANGED);
	assert_hist(&p.f, "SADF");
}

static void test_data_on_third_segment(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(B, fSA, 5000, 1001, 0, ES, SR),
		SX(A, fPA, 1001, 5001, 100, ES, ES, EST), /* ACK carries the request */
		S(B, fPA, 5001, 1101, 300, ES, ES),
		S(A, fA, 1101, 5301, 0, ES, ES),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_hist(&p.f, "ShDdA");
	assert_int_equal(p.f.ep[TS_CLIENT].bytes, 100);
	assert_int_equal(p.f.ep[TS_SERVER].bytes, 300);
}

static void test_client_closes_first(void **state)
{
	static const struct step t[] = { HANDSHAKE, DATA, CLIENT_CLOSE };
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_hist(&p.f, "ShADadFf");
	assert_int_equal(p.f.ep[TS_CLIENT].packets, 6);
	assert_int_equal(p.f.ep[TS_SERVER].packets, 5);
	assert_int_equal(p.f.ep[TS_CLIENT].bytes, 100);
	assert_int_equal(p.f.ep[TS_SERVER].bytes, 200);
	assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_SENT);
	assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1102);
	assert_int_equal(p.f.ep[TS_SERVER].fin_end, 5202);
}

static void test_server_closes_first(void **state)
{
	static const struct step t[] = { HANDSHAKE, DATA, SERVER_CLOSE };
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_hist(&p.f, "ShADadfF");
}

static void test_fin_ack_combined(void **state)
{
	/* the server's FIN rides on the ACK of the client's FIN */
	static const struct step t[] = {
		HANDSHAKE, DATA,
		C_FIN,
		S(B, fFA, 5201, 1102, 0, TW, LA),
		C_LAST_ACK,
	};
	/* and the other way round */
	static const struct step u[] = {
		HANDSHAKE, DATA,
		S_FIN1,
		S(A, fFA, 1101, 5202, 0, LA, TW),
		S_LAST_ACK,
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	RUN(&p, u);
}

static void test_half_close(void **state)
{
	/* the client shuts down its sending side; the server keeps talking */
	static const struct step t[] = {
		HANDSHAKE, DATA,
		C_FIN,
		S_ACK_CFIN,
		S(B, fPA, 5201, 1102, 1000, F2, CW),
		S(A, fA, 1102, 6201, 0, F2, CW),
		S(B, fPA, 6201, 1102, 1000, F2, CW),
		S(B, fPA, 7201, 1102, 1000, F2, CW),
		S(A, fA, 1102, 8201, 0, F2, CW),
		S(B, fFA, 8201, 1102, 0, TW, LA),
		S(A, fA, 1102, 8202, 0, TW, CL),
	};
	/* data also flows before the server ACKs the FIN */
	static const struct step u[] = {
		HANDSHAKE, DATA,
		C_FIN,
		S(B, fPA, 5201, 1102, 500, F2, CW), /* ACKs the FIN, carries data */
		S(A, fA, 1102, 5701, 0, F2, CW),
		S(B, fFA, 5701, 1102, 0, TW, LA),
		S(A, fA, 1102, 5702, 0, TW, CL),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_int_equal(p.f.ep[TS_SERVER].bytes, 3200);
	RUN(&p, u);
}

static void test_simultaneous_close(void **state)
{
	/* both FINs cross: neither acknowledges the other's */
	static const struct step t[] = {
		HANDSHAKE, DATA,
		S(A, fFA, 1101, 5201, 0, F1, CW),
		S(B, fFA, 5201, 1101, 0, CG, CG),
		S(A, fA, 1102, 5202, 0, CG, TW),
		S(B, fA, 5202, 1102, 0, TW, TW),
	};
	/* the server's FIN seen first, ACKs in the other order */
	static const struct step u[] = {
		HANDSHAKE, DATA,
		S(B, fFA, 5201, 1101, 0, CW, F1),
		S(A, fFA, 1101, 5201, 0, CG, CG),
		S(A, fA, 1102, 5202, 0, CG, TW),
		S(B, fA, 5202, 1102, 0, TW, TW),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	RUN(&p, u);
}

static void test_simultaneous_open(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(B, fSYN, 5000, 0, 0, SR, SR), /* crossed SYNs */
		S(A, fSA, 1000, 5001, 0, SR, ES),
		SX(B, fSA, 5000, 1001, 0, ES, ES, EST),
		S(A, fPA, 1001, 5001, 10, ES, ES),
		S(B, fA, 5001, 1011, 0, ES, ES),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_int_equal(p.f.client, A);
	assert_hist(&p.f, "SsHhDa");
}

/* ------------------------------------------------------------------ */
/* RST in every state, from either side, with the exact sequence number. */

struct rst_case {
	const char *name;
	const struct step *pre;
	size_t npre;
	__u8 cst, sst;   /* states the prefix ends in */
	__u32 seq[2];    /* next sequence number of A, B */
	__u32 ack[2];    /* what A, B acknowledge; 0: bare RST */
};

static const struct step pre_syn[] = { S(A, fSYN, 1000, 0, 0, SS, LI) };
static const struct step pre_synack[] = {
	S(A, fSYN, 1000, 0, 0, SS, LI),
	S(B, fSA, 5000, 1001, 0, ES, SR),
};
static const struct step pre_simopen[] = {
	S(A, fSYN, 1000, 0, 0, SS, LI),
	S(B, fSYN, 5000, 0, 0, SR, SR),
};
static const struct step pre_simopen2[] = {
	S(A, fSYN, 1000, 0, 0, SS, LI),
	S(B, fSYN, 5000, 0, 0, SR, SR),
	S(A, fSA, 1000, 5001, 0, SR, ES),
};
static const struct step pre_est[] = { HANDSHAKE, DATA };
static const struct step pre_fw1[] = { HANDSHAKE, DATA, C_FIN };
static const struct step pre_fw2[] = { HANDSHAKE, DATA, C_FIN, S_ACK_CFIN };
static const struct step pre_lastack[] = { HANDSHAKE, DATA, C_FIN, S_ACK_CFIN, S_FIN };
static const struct step pre_tw[] = { HANDSHAKE, DATA, CLIENT_CLOSE };
static const struct step pre_closing[] = {
	HANDSHAKE, DATA,
	S(A, fFA, 1101, 5201, 0, F1, CW),
	S(B, fFA, 5201, 1101, 0, CG, CG),
};
static const struct step pre_sfw1[] = { HANDSHAKE, DATA, S_FIN1 };
static const struct step pre_sfw2[] = { HANDSHAKE, DATA, S_FIN1, C_ACK_SFIN };
static const struct step pre_slastack[] = { HANDSHAKE, DATA, S_FIN1, C_ACK_SFIN, C_FIN2 };
static const struct step pre_stw[] = { HANDSHAKE, DATA, SERVER_CLOSE };

#define RC(nm, arr, c, s, sa, sb, aa, ab) \
	{ nm, arr, N(arr), c, s, { sa, sb }, { aa, ab } }
static const struct rst_case rst_cases[] = {
	RC("SYN_SENT/LISTEN", pre_syn, SS, LI, 1001, 0, 0, 1001),
	RC("ESTABLISHED/SYN_RCVD", pre_synack, ES, SR, 1001, 5001, 5001, 1001),
	RC("SYN_RCVD/SYN_RCVD", pre_simopen, SR, SR, 1001, 5001, 0, 0),
	RC("SYN_RCVD/ESTABLISHED", pre_simopen2, SR, ES, 1001, 5001, 5001, 1001),
	RC("ESTABLISHED/ESTABLISHED", pre_est, ES, ES, 1101, 5201, 5201, 1101),
	RC("FIN_WAIT_1/CLOSE_WAIT", pre_fw1, F1, CW, 1102, 5201, 5201, 1102),
	RC("FIN_WAIT_2/CLOSE_WAIT", pre_fw2, F2, CW, 1102, 5201, 5201, 1102),
	RC("TIME_WAIT/LAST_ACK", pre_lastack, TW, LA, 1102, 5202, 5202, 1102),
	RC("TIME_WAIT/CLOSED", pre_tw, TW, CL, 1102, 5202, 5202, 1102),
	RC("CLOSING/CLOSING", pre_closing, CG, CG, 1102, 5202, 5202, 1102),
	RC("CLOSE_WAIT/FIN_WAIT_1", pre_sfw1, CW, F1, 1101, 5202, 5202, 1101),
	RC("CLOSE_WAIT/FIN_WAIT_2", pre_sfw2, CW, F2, 1101, 5202, 5202, 1101),
	RC("LAST_ACK/TIME_WAIT", pre_slastack, LA, TW, 1102, 5202, 5202, 1102),
	RC("CLOSED/TIME_WAIT", pre_stw, CL, TW, 1102, 5202, 5202, 1102),
};

static void test_rst_exact(void **state)
{
	const struct rst_case *rc = *state;
	int who;

	for (who = A; who <= B; who++) {
		struct step r = SX(who, rc->ack[who] ? fRA : fR, rc->seq[who], rc->ack[who], 0,
				   CL, CL, CLOSED);
		struct player p;
		char name[96];

		snprintf(name, sizeof(name), "RST from %s in %s", who == A ? "A" : "B", rc->name);
		player_init(&p, name);
		play(&p, rc->pre, rc->npre);
		assert_int_equal(p.f.ep[TS_CLIENT].state, rc->cst);
		assert_int_equal(p.f.ep[TS_SERVER].state, rc->sst);
		play1(&p, &r);
		assert_true(p.f.hist_mask & (1u << (TS_H_RST * 2 + (who == p.f.client ? 0 : 1))));
	}
}

static void test_rst_refused(void **state)
{
	/* the server answers the SYN with RST|ACK, ack = ISN + 1 */
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		SX(B, fRA, 0, 1001, 0, CL, CL, CLOSED),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_hist(&p.f, "Sr");
}

/* after the end (an exact RST), a late one is not judged: the server's
 * kernel answering the client's data segment that came after the client's
 * abort (reordered: its ACK, and so the reset's sequence, 200 bytes old;
 * as test_false_positives's lossy link made once), or anyone's */
static void test_rst_after_end(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fRA, 1101, 5201, 0, CL, CL, CLOSED),  /* the client aborts */
		S(A, fPA, 1001, 5001, 100, CL, CL),         /* its first segment, late */
		SX(B, fR, 5001, 0, 0, CL, CL, 0),           /* the reset answering it */
		SX(A, fR, 1101 + 100, 0, 0, CL, CL, 0),
		SX(B, fRA, 5201 + 1000000, 1101, 0, CL, CL, 0),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
}

static void test_rst_wrong_ack_in_syn_sent(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		SX(B, fRA, 0, 1005, 0, SS, LI, RSTOOW),  /* does not ACK the SYN */
		SX(B, fRA, 0, 1000, 0, SS, LI, RSTOOW),  /* one short */
		SX(B, fR, 0, 0, 0, SS, LI, RSTOOW),      /* no ACK at all */
		S(B, fSA, 5000, 1001, 0, ES, SR),        /* the connection goes on */
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
}

static void test_rst_out_of_window_and_inexact(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		/* RST|ACK whose ACK acknowledges nothing the peer sent */
		SX(A, fRA, 1101 + 100, 5201 + 7777, 0, ES, ES, INEX),
		SX(B, fRA, 5201 + 100, 1101 - 7777, 0, ES, ES, INEX),
		/* a bare RST: no ACK to prove anything */
		SX(A, fR, 1101 + 100, 0, 0, ES, ES, INEX),
		/* the same RST|ACK acknowledging exactly what the peer sent:
		 * the peer's own abort after a lost segment, ignored, no anomaly */
		SX(A, fRA, 1101 + 100, 5201, 0, ES, ES, PEER),
		SX(B, fRA, 5201 + 100, 1101, 0, ES, ES, PEER),
		SX(A, fRA, 1101 + 1000000, 5201, 0, ES, ES, RSTOOW),
		SX(B, fRA, 5201 + 1000000, 1101, 0, ES, ES, RSTOOW),
		SX(A, fR, 1101 - 1000000, 0, 0, ES, ES, RSTOOW),
		/* the connection is untouched: a real RST still closes it */
		S(A, fPA, 1101, 5201, 10, ES, ES),
		SX(B, fR, 5201, 0, 0, CL, CL, CLOSED),
	};
	static const struct step u[] = {
		HANDSHAKE, DATA, C_FIN, S_ACK_CFIN,
		SX(B, fRA, 5201 + 60000, 1102 + 9, 0, F2, CW, INEX),
		SX(B, fRA, 5201 + 60000, 1102, 0, F2, CW, PEER),
		SX(B, fRA, 5201 + 70000, 1102, 0, F2, CW, RSTOOW),
		SX(A, fRA, 1102 + 1, 5201 + 9, 0, F2, CW, INEX),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	RUN(&p, u);
}

static void test_retransmissions(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(A, fSYN, 1000, 0, 0, SS, LI),            /* SYN again */
		S(B, fSA, 5000, 1001, 0, ES, SR),
		S(B, fSA, 5000, 1001, 0, ES, SR),          /* SYN-ACK again */
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),
		S(B, fSA, 5000, 1001, 0, ES, ES),          /* a late copy */
		DATA,
		S(A, fPA, 1001, 5001, 100, ES, ES),        /* data again */
		C_FIN,
		S(A, fFA, 1101, 5201, 0, F1, CW),          /* FIN again */
		S_ACK_CFIN,
		S(A, fFA, 1101, 5201, 0, F2, CW),          /* FIN again, already ACKed */
		S_FIN,
		S(B, fFA, 5201, 1102, 0, TW, LA),          /* server FIN again */
		S(A, fA, 1102, 5202, 0, TW, CL),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_int_equal(p.f.ep[TS_CLIENT].packets, 10);
	assert_hist(&p.f, "ShADadFf");
}

static void test_reuse_time_wait(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA, CLIENT_CLOSE,            /* client TIME_WAIT */
		SX(A, fSYN, 20000, 0, 0, SS, LI, REUSE),
		S(B, fSA, 90000, 20001, 0, ES, SR),
		SX(A, fA, 20001, 90001, 0, ES, ES, EST),
		S(A, fPA, 20001, 90001, 5, ES, ES),
	};
	struct player p;
	const struct ts_flow *f = &p.f;

	(void)state;
	RUN(&p, t);
	assert_int_equal(f->client, A);
	assert_int_equal(f->family, 4);
	assert_int_equal(f->first_seen_ns, T0);              /* kept */
	assert_int_equal(f->syn_ns, T0 + 11 * DT);           /* restarted */
	assert_hist(f, "ShAD");
	assert_int_equal(f->ep[TS_CLIENT].isn, 20000);
	assert_int_equal(f->ep[TS_SERVER].isn, 90000);
	assert_int_equal(f->ep[TS_CLIENT].packets, 3);
	assert_int_equal(f->ep[TS_SERVER].packets, 1);
	assert_int_equal(f->ep[TS_CLIENT].bytes, 5);
	assert_int_equal(f->ep[TS_SERVER].bytes, 0);
	assert_int_equal(f->ep[TS_CLIENT].flags & TS_EP_FIN_SENT, 0);
}

/* RFC 5961 4.2: a SYN from outside to a synchronised endpoint is
 * challenge-ACKed and dropped by its kernel; it moves nothing here (issue
 * 11's desynchronisation: SYN(x), SYN(x + 2^31), RST(x + 2^31 + 1)) */
#define CHAL TS_STEP_SYN_CHALLENGED
static void test_syn_on_synchronised(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fSYN, 1000000, 0, 0, ES, ES, CHAL),
		SX(A, fSYN, 1000000u + 0x80000000u, 0, 0, ES, ES, CHAL),
		SX(A, fR, 1000000u + 0x80000001u, 0, 0, ES, ES, TS_STEP_RST_OOW),
		SX(A, fSA, 1000000, 5201, 0, ES, ES, CHAL),  /* a SYN-ACK too */
		S(A, fPA, 1101, 5201, 10, ES, ES),           /* the real data goes on */
		S_FIN1,                                      /* the server closes */
		SX(A, fSYN, 7, 0, 0, CW, F1, CHAL),
	};
	struct player p;

	(void)state;
	player_init(&p, "syn on synchronised");
	p.local = B;
	play(&p, t, N(t));
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 1000);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1111);
	/* SYN, ACK, data x2 (DATA), the RST, data: the challenged SYNs not counted */
	assert_int_equal(p.f.ep[TS_CLIENT].packets, 6);
}

/* from outside, what the receiver's kernel drops moves nothing: a FIN far
 * outside the window, a FIN acknowledging data never sent; the real FIN
 * then closes as ever */
static void test_discarded_fins(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1101u + (1u << 24), 5201, 0, ES, ES, TS_STEP_DISCARDED),
		SX(A, fFA, 1101, 5201u + 0x80000001u, 0, ES, ES, TS_STEP_DISCARDED),
		SX(A, fA, 1101, 5201u + 0x80000001u, 0, ES, ES, TS_STEP_DISCARDED),
		SX(A, fFA, 1101 - 500, 5201, 0, ES, ES, TS_STEP_DISCARDED), /* behind */
		SX(A, fFA, 1101, 5201u - (1u << 20), 0, ES, ES, TS_STEP_DISCARDED), /* ack too old */
		SX(A, fA, 1101, 5201u - (1u << 20), 0, ES, ES, TS_STEP_DISCARDED),
		C_FIN, S_ACK_CFIN,
	};
	struct player p;

	(void)state;
	player_init(&p, "discarded fins");
	p.local = B;
	play(&p, t, N(t));
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1102);
}

/* TIME_WAIT takes a new SYN only above the last sequence it received
 * (tcp_timewait_state_process); the local kernel's own SYN-ACK with a new
 * ISN on a tuple tracked as ESTABLISHED restarts it (a close we missed) */
static void test_syn_time_wait_and_local_restart(void **state)
{
	static const struct step tw[] = {
		HANDSHAKE, DATA, SERVER_CLOSE,              /* B (local) TIME_WAIT, A CLOSED */
		SX(A, fSYN, 1000, 0, 0, CL, TW, CHAL),      /* below A's last sequence (1102) */
		SX(A, fSYN, 1102, 0, 0, CL, TW, CHAL),      /* not above it */
		SX(A, fSYN, 20000, 0, 0, SS, LI, TS_STEP_REUSE),
		S(B, fSA, 90000, 20001, 0, ES, SR),
		SX(A, fA, 20001, 90001, 0, ES, ES, TS_STEP_ESTABLISHED),
	};
	static const struct step rs[] = {
		HANDSHAKE, DATA,
		S(B, fSA, 5000, 1001, 0, ES, ES),           /* a retransmission: kept */
		SX(B, fSA, 70000, 30001, 0, ES, SR, TS_STEP_REUSE),
		SX(A, fA, 30001, 70001, 0, ES, ES, TS_STEP_ESTABLISHED),
	};
	struct player p;

	(void)state;
	player_init(&p, "time_wait");
	p.local = B;
	play(&p, tw, N(tw));
	assert_int_equal(p.f.client, A);
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 20000);
	player_init(&p, "local restart");
	p.local = B;
	play(&p, rs, N(rs));
	assert_int_equal(p.f.client, A);
	assert_int_equal(p.f.ep[TS_SERVER].isn, 70000);
}

/* ---- a local receiver whose own segments are seen (tc egress) ---------- */

#define QUEUED TS_STEP_FIN_QUEUED
#define DISC   TS_STEP_DISCARDED
#define PAWS   (TS_STEP_DISCARDED | TS_STEP_PAWS)

static void play_seen(const char *name, const struct step *t, size_t n, struct player *p)
{
	player_init(p, name);
	p->local = B;
	p->egress = 1;
	play(p, t, n);
}

/*
 * A FIN to a seen local endpoint moves nothing until that endpoint's ACK
 * says its kernel took it (tcp_data_queue_ofo, tcp_ofo_queue): ACK = the
 * FIN's end, taken; ACK past it, dropped (data covered it). Of several
 * waiting FINs the lowest counts: the kernel reaches it first.
 */
static void test_fin_queued(void **state)
{
	static const struct step ahead[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),  /* 100 bytes ahead */
		S(B, fA, 5201, 1101, 0, ES, ES),            /* a dup ACK: still waiting */
		S(A, fPA, 1101, 5201, 100, ES, ES),         /* the gap fills */
		S(B, fA, 5201, 1202, 0, F2, CW),            /* ACK = its end: taken */
	};
	static const struct step covered[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1150, 5201, 0, ES, ES, QUEUED),  /* inside data still to come */
		S(A, fPA, 1101, 5201, 100, ES, ES),         /* which covers it */
		S(B, fA, 5201, 1201, 0, ES, ES),            /* ACK past it: dropped */
		S(B, fA, 5201, 1201, 0, ES, ES),
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),  /* the real FIN */
		S(B, fFA, 5201, 1202, 0, TW, LA),           /* taken, and the server closes */
		S(A, fA, 1202, 5202, 0, TW, CL),
	};
	/* in order (at what the server took): its kernel takes it at once,
	 * so data over it before its ACK (here old data up to its end, as a
	 * retransmission or a spoofed segment carries) does not drop it */
	static const struct step inorder[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),
		S(A, fPA, 1001, 5201, 101, ES, ES),
		S(B, fA, 5201, 1102, 0, F2, CW),
	};
	static const struct step lowest[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1501, 5201, 0, ES, ES, QUEUED),
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),  /* lower: this one waits */
		SX(A, fFA, 1301, 5201, 0, ES, ES, QUEUED),  /* higher: ignored */
		S(A, fPA, 1101, 5201, 100, ES, ES),
		S(B, fA, 5201, 1202, 0, F2, CW),
	};
	static const struct step old[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1100, 5201, 0, ES, ES, DISC),    /* ends where the server's ACK is */
		SX(A, fFA, 1001, 5201, 99, ES, ES, DISC),   /* ... with data */
		SX(A, fFA, 1050, 5201, 60, ES, ES, QUEUED), /* past it: the kernel takes it */
		S(B, fA, 5201, 1111, 0, F2, CW),
	};
	/* crossed FINs: the server's is seen first, the client's is taken
	 * when the server ACKs it; both end in TIME_WAIT */
	static const struct step crossed[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),
		S(B, fFA, 5201, 1101, 0, CW, F1),           /* not ACKing the client's */
		S(A, fA, 1102, 5202, 0, CW, F2),
		S(B, fA, 5202, 1102, 0, TW, TW),
	};
	/* the server's kernel dropped the lower FIN (memory pressure prunes
	 * its out-of-order queue, which nothing shows) and took the next:
	 * its ACK passes the first and lands on the second's end */
	static const struct step second[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1301, 5201, 0, ES, ES, QUEUED),
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),  /* lower: waits first */
		SX(A, fFA, 1401, 5201, 0, ES, ES, QUEUED),  /* higher than both: not kept */
		S(B, fA, 5201, 1302, 0, F2, CW),
	};
	/* ... and when data covers the first, the second waits alone */
	static const struct step second_covered[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1301, 5201, 0, ES, ES, QUEUED),
		SX(A, fFA, 1150, 5201, 0, ES, ES, QUEUED),
		S(A, fPA, 1101, 5201, 100, ES, ES),         /* covers 1150 */
		S(B, fA, 5201, 1201, 0, ES, ES),
		S(A, fPA, 1201, 5201, 100, ES, ES),
		S(B, fA, 5201, 1302, 0, F2, CW),
	};
	/* an exact RST ends a waiting FIN with the connection */
	static const struct step rst[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),
		SX(A, fR, 1101, 0, 0, CL, CL, CLOSED),
	};
	struct player p;

	(void)state;
	play_seen("fin ahead", ahead, N(ahead), &p);
	assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_SENT);
	assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1202);
	play_seen("fin covered", covered, N(covered), &p);
	play_seen("fin in order", inorder, N(inorder), &p);
	play_seen("fin lowest", lowest, N(lowest), &p);
	play_seen("fin old", old, N(old), &p);
	play_seen("fin crossed", crossed, N(crossed), &p);
	play_seen("fin second", second, N(second), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1302);
	play_seen("fin second, the first covered", second_covered, N(second_covered), &p);
	play_seen("fin then rst", rst, N(rst), &p);
	assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	/* a FIN in a first IP fragment (its end and its checksum unknown
	 * here) moves nothing, ahead or not; once the datagram's last
	 * fragment tells its end it waits for the server's ACK like any FIN
	 * (ts_fin_frag_done): not if it ends where the server's ACK is (an
	 * old duplicate), nor once the connection is gone */
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			{ .who = A, .flags = fFA, .seq = 1201, .ack = 5201, .cst = ES, .sst = ES,
			  .opts = TS_SEG_FRAG },
			{ .who = A, .flags = fFA, .seq = 1101, .ack = 5201, .len = 10, .cst = ES,
			  .sst = ES, .opts = TS_SEG_FRAG },
		};
		static const struct step taken[] = {
			S(B, fA, 5201, 1131, 0, F2, CW),
		};

		play_seen("fin in a fragment", t, N(t), &p);
		assert_false(p.f.ep[TS_CLIENT].flags & (TS_EP_FIN_QUEUED | TS_EP_FIN_SENT));
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1001, 1101, 5201), 0);
		assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
		/* judged by the window when whole: not one half the sequence
		 * space away (its end "after" the ACK, its seq "before" the
		 * window's end, as seen from the wrong side), nor one past the
		 * window, nor one acknowledging data the server never sent */
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101 + 0x80000000u,
						  1131 + 0x80000000u, 5201), 0);
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101 + 0x10000000u,
						  1131 + 0x10000000u, 5201), 0);
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101, 1131, 5201 + 1000), 0);
		assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
		/* 20 bytes in the last fragment: 30 of data, then the FIN */
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101, 1131, 5201), 1);
		assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
		assert_int_equal(p.f.ep[TS_CLIENT].fin_q_end, 1131);
		play(&p, taken, N(taken));
		assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1131);
		/* a FIN the server took already: nothing more */
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1131, 1200, 5201), 0);
	}
	/* a fragmented FIN from before what the server took waits in order
	 * (the kernel takes such a one at once); if its kernel never did (a
	 * drop not modelled here: its receive memory full, say), a lower FIN
	 * after it waits second, and the server's ACK at that one's end says
	 * the kernel took that one */
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			{ .who = A, .flags = fFA, .seq = 1050, .ack = 5201, .len = 10, .cst = ES,
			  .sst = ES, .opts = TS_SEG_FRAG },
		};
		static const struct step lower[] = {
			SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),
			S(B, fA, 5201, 1102, 0, F2, CW),
		};

		play_seen("fin in a fragment, in order, never taken, then a lower one", t, N(t), &p);
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1050, 1151, 5201), 1);
		assert_true(p.f.ep[TS_CLIENT].xflags & TS_EPX_FIN_Q_INORDER);
		play(&p, lower, N(lower));
		assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1102);
		assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	}
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			{ .who = A, .flags = fFA, .seq = 1101, .ack = 5201, .len = 10, .cst = ES,
			  .sst = ES, .opts = TS_SEG_FRAG },
			SX(A, fR, 1101, 0, 0, CL, CL, CLOSED),
		};

		play_seen("fin in a fragment, then an RST", t, N(t), &p);
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101, 1131, 5201), 0);
	}
	/* an RST in a first IP fragment to a seen local receiver moves
	 * nothing until its datagram is whole and its checksum right (the
	 * datapath sums it); then it is judged as a whole one: an inexact
	 * one leaves the connection, the exact one closes it */
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			{ .who = A, .flags = fR, .seq = 1101, .cst = ES, .sst = ES,
			  .opts = TS_SEG_FRAG },
		};

		play_seen("rst in a fragment", t, N(t), &p);
		assert_int_equal(ts_rst_frag_done(&p.f, TS_CLIENT, 1150, 0, TS_TCP_RST), 0);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_ESTABLISHED);
		assert_int_equal(ts_rst_frag_done(&p.f, TS_CLIENT, 1101, 0, TS_TCP_RST), 1);
		assert_int_equal(p.f.ep[TS_CLIENT].state, TS_CLOSED);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSED);
		assert_int_equal(ts_rst_frag_done(&p.f, TS_CLIENT, 1101, 0, TS_TCP_RST), 0);
	}
	/* ... judged by the receiver's window, not by the sender's highest end:
	 * out-of-order data (spoofed, or real with a scaled window) moves that
	 * more than one window ahead of what the server took, and the FIN
	 * the kernel takes in order still waits (not discarded) */
	{
		static const struct step t[] = { HANDSHAKE, DATA };
		static const struct step fin[] = {
			{ .who = A, .flags = fFA, .seq = 1101, .ack = 5201, .cst = ES, .sst = ES,
			  .opts = TS_SEG_FRAG, .ev = TS_STEP_OUT_OF_WINDOW },
		};

		play_seen("fin in a fragment, the sender's end far ahead", t, N(t), &p);
		p.f.ep[TS_CLIENT].end += 100000;
		p.f.ep[TS_CLIENT].maxend += 100000;
		play(&p, fin, N(fin));
		assert_int_equal(ts_fin_frag_done(&p.f, TS_CLIENT, 1101, 1102, 5201), 1);
	}
	/* without the receiver's segments seen, a FIN moves at once */
	{
		static const struct step t[] = { HANDSHAKE, DATA, C_FIN };

		player_init(&p, "fin unseen");
		p.local = B;
		play(&p, t, N(t));
	}
}

/*
 * A segment without ACK (no SYN, no RST) to a local receiver past LISTEN:
 * its kernel drops it (TCP_FLAGS), a FIN as data, whatever ACK it sends
 * later (the datapath does not track such flag sets: ts_bad_flags).
 */
static void test_no_ack_dropped(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fF, 1101, 0, 0, ES, ES, DISC),
		SX(A, fF, 1201, 0, 0, ES, ES, DISC),
		SX(A, TS_TCP_PSH, 1101, 0, 100, ES, ES, DISC),
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),   /* the real FIN */
		S(B, fA, 5201, 1102, 0, F2, CW),
	};
	struct player p;

	(void)state;
	play_seen("no ack", t, N(t), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1102);
}

/*
 * What the kernel of a seen local receiver has taken in order before its
 * ACK says so (delayed): data from at or before its rcv_nxt is taken whole
 * (tcp_data_queue), so a FIN it covers is an old one, and a FIN waiting
 * out of order is dropped once data covers it (tcp_ofo_queue,
 * tcp_data_queue_ofo); the ACK at the FIN's end is then the data's.
 */
static void test_fin_behind_data(void **state)
{
	/* data partly old, then a FIN inside it: the ACK at the FIN's end
	 * is the data's (fuzz_datapath, seed 5005) */
	static const struct step before[] = {
		HANDSHAKE, DATA,
		S(A, fPA, 1062, 5201, 197, ES, ES),          /* [1062, 1259): rcv_nxt 1259 */
		SX(A, fFA, 1064, 5201, 194, ES, ES, DISC),   /* FIN at 1258: old */
		S(B, fA, 5201, 1259, 0, ES, ES),
	};
	/* a FIN ahead, then data up to its end: dropped; up to its sequence
	 * only: taken */
	static const struct step after[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),
		S(A, fPA, 1101, 5201, 101, ES, ES),          /* [1101, 1202) covers it */
		S(B, fA, 5201, 1202, 0, ES, ES),
	};
	static const struct step upto[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),
		S(A, fPA, 1101, 5201, 100, ES, ES),          /* [1101, 1201): the FIN is next */
		S(B, fA, 5201, 1202, 0, F2, CW),
	};
	/* out of order, data that covers a waiting FIN whole replaces it
	 * (tcp_data_queue_ofo); the gap filled, the ACK at its end is the
	 * data's */
	static const struct step ofo[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1301, 5201, 0, ES, ES, QUEUED),
		S(A, fPA, 1300, 5201, 2, ES, ES),            /* [1300, 1302) */
		S(A, fPA, 1101, 5201, 199, ES, ES),          /* [1101, 1300) */
		S(B, fA, 5201, 1302, 0, ES, ES),
	};
	/* from its own sequence with no more, the data is dropped instead */
	static const struct step same[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1290, 5201, 11, ES, ES, QUEUED),  /* [1290, 1301) + FIN */
		S(A, fPA, 1290, 5201, 12, ES, ES),           /* [1290, 1302): not more */
		S(A, fPA, 1101, 5201, 189, ES, ES),
		S(B, fA, 5201, 1302, 0, F2, CW),
	};
	/* data far ahead (in the window the server allowed) moved the
	 * client's end: the FIN at rcv_nxt is still in the kernel's window */
	static const struct step far[] = {
		HANDSHAKE, DATA,
		S(A, fPA, 66600, 5201, 100, ES, ES),
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED | OOWIN), /* conntrack's window: reported */
		S(B, fA, 5201, 1102, 0, F2, CW),
	};
	struct player p;

	(void)state;
	play_seen("fin behind far data", far, N(far), &p);
	play_seen("data before fin", before, N(before), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].in_end, 1259);
	play_seen("data after fin", after, N(after), &p);
	assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	play_seen("data up to fin", upto, N(upto), &p);
	play_seen("fin replaced out of order", ofo, N(ofo), &p);
	play_seen("fin kept out of order", same, N(same), &p);
}

/*
 * Once a seen local receiver took the sender's FIN, its rcv_nxt stays at
 * the FIN's end: no other FIN, no bytes past it count (an RST there is not
 * exact); data from before it that runs past it aborts the connection
 * (tcp_rcv_state_process: RFC 1122's reset on data after a FIN).
 */
#define C_FIN_SEEN                                                             \
	SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),                             \
	S(B, fA, 5201, 1102, 0, F2, CW)

/*
 * The local endpoint's own socket, read at egress as it sends, says its
 * kernel took the peer's FIN (ts_fin_by_socket): past the two waiting FINs
 * the wire model keeps (a third one, the two lower covered by data, as the
 * differential fuzzer found at seed 13), the socket is the truth.
 */
static void test_fin_by_socket(void **state)
{
	static const struct step three[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1150, 5201, 0, ES, ES, QUEUED),
		SX(A, fFA, 1180, 5201, 0, ES, ES, QUEUED),  /* waits second */
		SX(A, fFA, 1200, 5201, 0, ES, ES, QUEUED),  /* a third: not kept */
		S(A, fPA, 1101, 5201, 99, ES, ES),          /* covers the two lower */
		S(B, fA, 5201, 1201, 0, ES, ES),            /* the kernel took the third: unseen */
	};
	static const struct step after[] = {
		S(B, fA, 5201, 1201, 0, F2, CW),            /* the ACK it sends, stepped after */
	};
	struct player p;

	(void)state;
	play_seen("three waiting fins, the third taken", three, N(three), &p);
	assert_false(p.f.ep[TS_CLIENT].flags & (TS_EP_FIN_QUEUED | TS_EP_FIN_SENT));
	/* the socket (CLOSE_WAIT, rcv_nxt 1201) tells */
	assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1201), 1);
	assert_int_equal(p.f.ep[TS_CLIENT].state, TS_FIN_WAIT_1);
	assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSE_WAIT);
	assert_int_equal(p.f.ep[TS_CLIENT].fin_end, 1201);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1201);
	assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_SENT);
	play(&p, after, N(after));
	/* told again (every segment the socket sends): nothing more moves */
	assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1201), 0);
	assert_int_equal(p.f.ep[TS_CLIENT].state, TS_FIN_WAIT_2);
	assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSE_WAIT);

	/* a FIN the wire showed and the model took: nothing to tell */
	{
		static const struct step t[] = { HANDSHAKE, DATA, C_FIN_SEEN };

		play_seen("fin taken on the wire", t, N(t), &p);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1102), 0);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSE_WAIT);
	}
	/* the usual close: the FIN waits, the socket's first ACK (at its end,
	 * rcv_nxt) takes it on the wire, the socket adds nothing; the same
	 * for the second waiting FIN */
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),
		};
		static const struct step q2[] = {
			HANDSHAKE, DATA,
			SX(A, fFA, 1301, 5201, 0, ES, ES, QUEUED),
			SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),
		};

		play_seen("fin waiting at rcv_nxt", t, N(t), &p);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1102), 0);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_ESTABLISHED);
		play_seen("second fin waiting at rcv_nxt", q2, N(q2), &p);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1302), 0);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1402), 1);
	}
	/* the local server closed first (FIN_WAIT_1) and its kernel took the
	 * client's crossing FIN unseen: CLOSING, as the socket says */
	{
		static const struct step t[] = {
			HANDSHAKE, DATA,
			S(B, fFA, 5201, 1101, 0, CW, F1),
		};

		play_seen("crossed, the peer's fin unseen", t, N(t), &p);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1102), 1);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSING);
		assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_SENT);
	}
	/* no FIN reaches a handshake: a socket that says so is not this
	 * flow's (its entry is stale), nothing moves */
	{
		static const struct step t[] = {
			S(A, fSYN, 1000, 0, 0, SS, LI),
			S(B, fSA, 5000, 1001, 0, ES, SR),
		};

		play_seen("fin by socket in a handshake", t, N(t), &p);
		assert_int_equal(ts_fin_by_socket(&p.f, TS_SERVER, 1001), 0);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_SYN_RCVD);
	}
}

/*
 * The local endpoint's socket is ESTABLISHED as it sends (ts_fin_not_taken):
 * its kernel took no FIN. A FIN at rcv_nxt that kernel dropped (its IPv6
 * datagram with the fragment memory full, as the differential fuzzer
 * found at seed 31), then one byte of real data to the FIN's end: the
 * kernel's ACK of that byte is at the FIN's end and, on the wire alone,
 * confirmed the FIN.
 */
static void test_fin_not_taken(void **state)
{
	static const struct step dropped[] = {
		HANDSHAKE, DATA,
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED), /* in order: waits for its ACK */
		S(A, fPA, 1101, 5201, 1, ES, ES),          /* the kernel dropped it: 1 byte */
	};
	static const struct step wire_alone[] = {
		S(B, fA, 5201, 1102, 0, F2, CW),           /* the byte's ACK took the FIN */
	};
	static const struct step told[] = {
		S(B, fA, 5201, 1102, 0, ES, ES),           /* the socket said: nothing taken */
	};
	struct player p;

	(void)state;
	play_seen("fin dropped, wire alone", dropped, N(dropped), &p);
	play(&p, wire_alone, N(wire_alone));
	play_seen("fin dropped, the socket established", dropped, N(dropped), &p);
	/* an ACK short of the FIN's end: the FIN still waits */
	assert_int_equal(ts_fin_not_taken(&p.f, TS_SERVER, 1101), 0);
	assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	assert_int_equal(ts_fin_not_taken(&p.f, TS_SERVER, 1102), 1);
	assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	play(&p, told, N(told));
	/* two waiting: the ACK at the first's end leaves the second waiting;
	 * one past both, neither */
	{
		static const struct step q2[] = {
			HANDSHAKE, DATA,
			SX(A, fFA, 1201, 5201, 0, ES, ES, QUEUED),
			SX(A, fFA, 1151, 5201, 0, ES, ES, QUEUED),
		};

		play_seen("two waiting, the lower not taken", q2, N(q2), &p);
		assert_int_equal(ts_fin_not_taken(&p.f, TS_SERVER, 1152), 1);
		assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
		assert_int_equal(p.f.ep[TS_CLIENT].fin_q_end, 1202);
		play_seen("two waiting, neither taken", q2, N(q2), &p);
		assert_int_equal(ts_fin_not_taken(&p.f, TS_SERVER, 1300), 1);
		assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	}
	/* the usual close never gets here (the socket is CLOSE_WAIT once its
	 * kernel took the FIN); a FIN the model holds taken is not undone */
	{
		static const struct step t[] = { HANDSHAKE, DATA, C_FIN_SEEN };

		play_seen("fin taken on the wire", t, N(t), &p);
		assert_int_equal(ts_fin_not_taken(&p.f, TS_SERVER, 1102), 0);
		assert_int_equal(p.f.ep[TS_SERVER].state, TS_CLOSE_WAIT);
	}
}

static void test_after_fin_taken(void **state)
{
	static const struct step past[] = {
		HANDSHAKE, DATA, C_FIN_SEEN,
		S(A, fPA, 1102, 5201, 100, F2, CW),          /* ignored */
		S(A, fFA, 30000, 5201, 0, F2, CW),           /* no other FIN */
		SX(A, fR, 30000, 0, 0, F2, CW, INEX),        /* not exact */
		SX(A, fR, 1201, 0, 0, F2, CW, INEX),
		SX(A, fR, 1101, 0, 0, CL, CL, CLOSED),       /* the FIN's: exact (tcp_reset_check) */
	};
	static const struct step abort[] = {
		HANDSHAKE, DATA, C_FIN_SEEN,
		S(A, fPA, 1050, 5201, 52, F2, CW),           /* up to the FIN's end: old */
		SX(A, fPA, 1050, 5201, 53, CL, CL, CLOSED),  /* past it: reset */
	};
	/* a FIN taken after it waited: the end is its own */
	static const struct step queued[] = {
		HANDSHAKE, DATA,
		S(A, fPA, 1301, 5201, 100, ES, ES),          /* out of order: the end moves */
		SX(A, fFA, 1101, 5201, 0, ES, ES, QUEUED),
		S(B, fA, 5201, 1102, 0, F2, CW),
		SX(A, fR, 1401, 0, 0, F2, CW, INEX),
	};
	struct player p;

	(void)state;
	play_seen("past the fin", past, N(past), &p);
	play_seen("data over the fin", abort, N(abort), &p);
	play_seen("end of a queued fin", queued, N(queued), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1102);
}

/*
 * The kernel's ACK checks, exact for a seen local receiver: an ACK of one
 * byte never sent (tcp_ack: no slack, the receiver's end is never lost),
 * an ACK more than min(max_window, bytes_acked) behind (Linux >= 6.4).
 */
static void test_ack_checks_seen(void **state)
{
	static const struct step seen[] = {
		HANDSHAKE, DATA,                             /* the client acked 200 bytes */
		SX(A, fFA, 1101, 5202, 0, ES, ES, DISC),     /* one byte beyond */
		SX(A, fFA, 1101, 5000, 0, ES, ES, DISC),     /* 201 behind */
		SX(A, fFA, 1101, 5001, 0, ES, ES, QUEUED),   /* 200 behind: an old ACK */
		S(B, fA, 5201, 1102, 0, F2, CW),
	};
	static const struct step unseen[] = {
		HANDSHAKE, DATA,
		S(A, fFA, 1101, 5202, 0, F1, CW),            /* the slack lets it by */
	};
	struct player p;

	(void)state;
	play_seen("ack checks", seen, N(seen), &p);
	player_init(&p, "ack checks unseen");
	p.local = B;
	play(&p, unseen, N(unseen));
}

/* a handshake with timestamps: the server (B, local) echoes 101 */
#define TS_HANDSHAKE                                                             \
	ST(A, fSYN, 1000, 0, 0, SS, LI, 0, 100, 0),                              \
	ST(B, fSA, 5000, 1001, 0, ES, SR, 0, 500, 100),                          \
	ST(A, fA, 1001, 5001, 0, ES, ES, EST, 101, 500),                         \
	ST(B, fA, 5001, 1001, 0, ES, ES, 0, 501, 101)

/*
 * PAWS (RFC 7323, tcp_paws_check): from outside, a segment whose TSval is
 * more than one behind the TSecr the local receiver echoes moves nothing;
 * an RST is exempt. Into TIME_WAIT a SYN is taken below the last sequence
 * only with a newer timestamp, never with an older one
 * (tcp_timewait_state_process).
 */
static void test_paws(void **state)
{
	static const struct step fin[] = {
		TS_HANDSHAKE,
		ST(A, fFA, 1001, 5001, 0, ES, ES, PAWS, 99, 501),
		ST(A, fFA, 1001, 5001, 0, ES, ES, PAWS, 101u - 0x40000000u, 501),
		ST(A, fFA, 1001, 5001, 0, ES, ES, QUEUED, 100, 501), /* one behind: taken */
		ST(B, fA, 5001, 1002, 0, F2, CW, 0, 502, 101),
	};
	static const struct step rst[] = {
		TS_HANDSHAKE,
		ST(A, fR, 1001, 0, 0, CL, CL, CLOSED, 5, 0),
	};
	static const struct step tw[] = {
		TS_HANDSHAKE,
		ST(B, fFA, 5001, 1001, 0, CW, F1, 0, 502, 101),
		ST(A, fA, 1001, 5002, 0, CW, F2, 0, 102, 502),
		ST(A, fFA, 1001, 5002, 0, CW, F2, QUEUED, 103, 502),
		ST(B, fA, 5002, 1002, 0, CL, TW, 0, 503, 103), /* B TIME_WAIT */
		ST(A, fSYN, 500, 0, 0, CL, TW, TS_STEP_SYN_CHALLENGED, 90, 0),  /* older */
		ST(A, fSYN, 500, 0, 0, CL, TW, TS_STEP_SYN_CHALLENGED, 103, 0), /* not newer */
		ST(A, fSYN, 5000, 0, 0, CL, TW, TS_STEP_SYN_CHALLENGED, 90, 0), /* above, older */
		ST(A, fSYN, 500, 0, 0, SS, LI, REUSE, 104, 0),                  /* newer */
	};
	struct player p;

	(void)state;
	play_seen("paws fin", fin, N(fin), &p);
	assert_int_equal(p.f.ep[TS_SERVER].ts_echo, 101);
	play_seen("paws rst", rst, N(rst), &p);
	play_seen("paws time_wait", tw, N(tw), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 500);
}

/*
 * A seen local listener's half-open request (server SYN_RCVD after its
 * SYN-ACK): a request sock, judged by tcp_check_req (its RSTs as a
 * socket's, as Linux 6.18 does). Its rcv_nxt is 1001, its window the
 * SYN-ACK's 1000 bytes: [1001, 2001].
 */
#define REQ_SYNACK_WIN 1000
#define REQ_HANDSHAKE                                                          \
	S(A, fSYN, 1000, 0, 0, SS, LI),                                        \
	{ .who = B, .flags = fSA, .seq = 5000, .ack = 1001, .cst = ES, .sst = SR, \
	  .win = REQ_SYNACK_WIN }

/* An RST is judged as a socket's (RFC 5961), as Linux 6.18's request is:
 * on rcv_nxt it ends the request whatever its ACK, elsewhere in the window
 * it is challenged, outside ignored. */
static void test_rst_to_request(void **state)
{
	static const struct {
		const char *name;
		struct step rst;
	} rows[] = {
		{ "at rcv_nxt", SX(A, fR, 1001, 0, 0, CL, CL, CLOSED) },
		{ "at rcv_nxt acking something else", SX(A, fRA, 1001, 77777, 0, CL, CL, CLOSED) },
		{ "inside", SX(A, fR, 1500, 0, 0, ES, SR, INEX) },
		{ "past the window", SX(A, fR, 2002, 0, 0, ES, SR, RSTOOW) },
		{ "far off", SX(A, fR, 1001u + 0x80000000u, 0, 0, ES, SR, RSTOOW) },
	};
	/* not a request: the server is not seen, or it opened too
	 * (simultaneous open: a socket); the same rules */
	static const struct step unseen[] = {
		REQ_HANDSHAKE,
		SX(A, fR, 1500, 0, 0, ES, SR, INEX),
	};
	static const struct step simopen[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(B, fSYN, 5000, 0, 0, SR, SR),
		S(B, fSA, 5000, 1001, 0, ES, SR),
		SX(A, fSYN, 1500, 0, 0, ES, SR, 0), /* a socket: no request's SYN rule */
	};
	struct player p;
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		const struct step t[] = { REQ_HANDSHAKE };

		play_seen(rows[i].name, t, N(t), &p);
		play1(&p, &rows[i].rst);
	}
	player_init(&p, "request unseen");
	p.local = B;
	play(&p, unseen, N(unseen));
	play_seen("simultaneous open", simopen, N(simopen), &p);
	assert_true(p.f.ep[TS_SERVER].xflags & TS_EPX_ACTIVE);
}

/* A SYN in its window ends it (the kernel resets its sender; that RST,
 * seen, moves the client); the SYN again, one outside the window or one
 * whose ACK is not of the SYN-ACK moves nothing, not even the client's
 * ISN. */
static void test_syn_to_request(void **state)
{
	static const struct step again[] = {
		REQ_HANDSHAKE,
		SX(A, fSYN, 1000, 0, 0, ES, SR, DISC),           /* the SYN-ACK again */
		SX(A, fSYN, 1000, 0, 10, ES, SR, DISC),          /* with data too */
		SX(A, fSYN, 3000, 0, 0, ES, SR, DISC),           /* past the window */
		SX(A, fSYN, 999, 0, 0, ES, SR, DISC),            /* behind */
		SX(A, fSA, 1500, 5009, 0, ES, SR, DISC),         /* not our SYN-ACK's */
		SX(A, fSA, 1000, 5001, 0, ES, SR, DISC),         /* on the ISN, no data: outside */
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),           /* the handshake completes */
	};
	static const struct step inside[] = {
		REQ_HANDSHAKE,
		S(A, fSYN, 1500, 0, 0, ES, CL),
		SX(B, fRA, 0, 1501, 0, ES, CL, INEX),            /* the reset, on 0: not the client's */
	};
	/* PAWS: a TSval behind the SYN's (the request's ts_recent, which
	 * its SYN-ACK echoes), a window of 0 */
	static const struct step paws[] = {
		ST(A, fSYN, 1000, 0, 0, SS, LI, 0, 100, 0),
		{ .who = B, .flags = fSA, .seq = 5000, .ack = 1001, .cst = ES, .sst = SR,
		  .win = REQ_SYNACK_WIN, .opts = TS_OPT_TS, .tsval = 500, .tsecr = 100 },
		ST(A, fSYN, 1500, 0, 0, ES, SR, PAWS, 99, 0),
		ST(A, fSYN, 1500, 0, 0, ES, CL, 0, 100, 0),
	};
	static const struct step synack[] = {
		REQ_HANDSHAKE,
		S(A, fSA, 1001, 5001, 0, ES, CL),
		SX(B, fR, 5001, 0, 0, CL, CL, CLOSED),           /* the reset on the ACK's */
	};
	struct player p;

	(void)state;
	play_seen("syn to request", again, N(again), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 1000);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1001);
	play_seen("syn in the window", inside, N(inside), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 1000);
	play_seen("syn-ack in the window", synack, N(synack), &p);
	play_seen("syn paws", paws, N(paws), &p);
}

/* An ACK makes the socket only if it acknowledges the SYN-ACK exactly and
 * is in the window; else nothing moves (the listener resets an ACK of
 * something else, the request acknowledges one out of its window). */
static void test_ack_to_request(void **state)
{
	static const struct step t[] = {
		REQ_HANDSHAKE,
		SX(A, fA, 1001, 4000, 0, ES, SR, DISC),          /* an old connection's ACK */
		SX(A, fPA, 1001, 4000, 10, ES, SR, DISC),
		SX(A, fA, 3000, 5001, 0, ES, SR, DISC),          /* past the window */
		SX(A, fA, 1000, 5001, 0, ES, SR, DISC),          /* ends on rcv_nxt - 1 */
		SX(A, fPA, 995, 5001, 10, ES, ES, EST),          /* ends past rcv_nxt: taken */
	};
	struct player p;

	(void)state;
	play_seen("ack to request", t, N(t), &p);
	assert_int_equal(p.f.ep[TS_CLIENT].last_ack, 5001);
}

/* The local server's own RST while its request is half-open: the
 * listener's answer to an ACK not of the SYN-ACK (on that ACK, no ACK
 * flag) leaves the request; on the SYN-ACK's end it is the request's own
 * reset, which ends it. Either moves the client as its kernel takes it. */
static void test_rst_from_request(void **state)
{
	static const struct step listener[] = {
		REQ_HANDSHAKE,
		SX(A, fA, 1001, 7777, 0, ES, SR, DISC),
		S(B, fR, 7777, 0, 0, ES, SR),                    /* inexact for the client */
		SX(A, fA, 1001, 1u << 30, 0, ES, SR, DISC),
		S(B, fR, 1u << 30, 0, 0, ES, SR),
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),           /* the request lived on */
	};
	static const struct step own[] = {
		REQ_HANDSHAKE,
		SX(B, fR, 5001, 0, 0, CL, CL, CLOSED),
	};
	struct player p;

	(void)state;
	play_seen("listener's rst", listener, N(listener), &p);
	play_seen("request's rst", own, N(own), &p);
}

/*
 * The lock-free path (ts_fsm_fast) as the datapath runs it: first, and the
 * full step only for what it declines. fast1() plays one row so and says
 * which of the two took it.
 */
static int fast1(struct player *p, const struct step *st)
{
	struct ts_seg seg = {
		.seq = st->seq,
		.ack = st->ack,
		.len = st->len,
		.win = st->win ? st->win : 65535,
		.flags = st->flags,
		.opts = st->opts,
		.tsval = st->tsval,
		.tsecr = st->tsecr,
	};
	__u64 now = T0 + p->n * DT;

	if (ts_fsm_fast(&p->f, &seg, st->who, now)) {
		assert_int_equal(seg.from, st->who == p->f.client ? TS_CLIENT : TS_SERVER);
		assert_int_equal(p->f.ep[TS_CLIENT].state, st->cst);
		assert_int_equal(p->f.ep[TS_SERVER].state, st->sst);
		assert_int_equal(st->ev, 0);
		p->n++;
		return 1;
	}
	play1(p, st);
	return 0;
}

/*
 * The lock-free path learns only what the receiver's kernel takes: an ACK
 * of data never sent, an ACK behind the last one, a TSval PAWS rejects go
 * to the full step, which refuses them (or, an old ACK within the window,
 * takes its data but keeps last_ack: snd_una does not go back). Learnt
 * there, the dropped data's end made an RST there look exact, and the ACK
 * made the real ACKs after look too old.
 */
static void test_fast_path_refuses(void **state)
{
	static const struct step pre[] = {
		TS_HANDSHAKE,
		ST(A, fPA, 1001, 5001, 100, ES, ES, 0, 102, 501),
		ST(B, fA, 5001, 1101, 0, ES, ES, 0, 502, 102),
		ST(B, fPA, 5001, 1101, 200, ES, ES, 0, 503, 102),
		ST(A, fA, 1101, 5201, 0, ES, ES, 0, 103, 503),
	};
	static const struct step refused[] = {
		ST(A, fPA, 1101, 5201 + 1000, 10, ES, ES, DISC, 104, 503), /* ACK of unsent data */
		ST(A, fPA, 1101, 4000, 10, ES, ES, DISC, 104, 503),        /* too old */
		ST(A, fPA, 1101, 5201, 10, ES, ES, PAWS, 50, 503),         /* PAWS */
		ST(A, fA, 1101, 5201 + 1, 0, ES, ES, DISC, 104, 503),      /* one byte beyond */
	};
	/* none of it moved the client's end: an RST there is inexact */
	static const struct step rst_inexact = ST(A, fR, 1111, 0, 0, ES, ES, INEX, 0, 0);
	/* an old ACK within the window: its data is taken (tcp_ack's
	 * old_ack), last_ack stays; now the RST there is exact */
	static const struct step old = ST(A, fPA, 1101, 5101, 10, ES, ES, 0, 104, 503);
	static const struct step rst_exact = ST(A, fR, 1111, 0, 0, CL, CL, CLOSED, 0, 0);
	static const struct step common[] = {
		ST(A, fPA, 1101, 5201, 10, ES, ES, 0, 104, 503),
		ST(B, fA, 5201, 1111, 0, ES, ES, 0, 504, 104),
		ST(A, fA, 1111, 5201, 0, ES, ES, 0, 105, 504),
	};
	static const struct step fin_ahead = ST(A, fFA, 1201, 5201, 0, ES, ES, QUEUED, 104, 503);
	static const struct step cover = ST(A, fPA, 1101, 5201, 110, ES, ES, 0, 104, 503);
	struct player p;
	size_t i;

	(void)state;
	play_seen("fast path refuses", pre, N(pre), &p);
	for (i = 0; i < N(refused); i++) {
		assert_int_equal(fast1(&p, &refused[i]), 0);
		assert_int_equal(p.f.ep[TS_CLIENT].end, 1101);
		assert_int_equal(p.f.ep[TS_CLIENT].last_ack, 5201);
	}
	play1(&p, &rst_inexact);
	assert_int_equal(fast1(&p, &old), 0);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1111);
	assert_int_equal(p.f.ep[TS_CLIENT].last_ack, 5201);
	play1(&p, &rst_exact);

	/* in order, both ways: all on the lock-free path */
	play_seen("fast path common", pre, N(pre), &p);
	for (i = 0; i < N(common); i++)
		assert_int_equal(fast1(&p, &common[i]), 1);
	assert_int_equal(p.f.ep[TS_CLIENT].end, 1111);
	assert_int_equal(p.f.ep[TS_SERVER].last_ack, 1111);
	assert_int_equal(p.f.ep[TS_SERVER].ts_echo, 104);

	/* the client's FIN waits, ahead: its data takes the full step, which
	 * sees it covered (the kernel drops such a FIN: ts_data_taken) */
	play_seen("fast path, the sender's FIN waits", pre, N(pre), &p);
	play1(&p, &fin_ahead);
	assert_true(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
	assert_int_equal(fast1(&p, &cover), 0);
	play1(&p, &cover);
	assert_false(p.f.ep[TS_CLIENT].flags & TS_EP_FIN_QUEUED);
}

/*
 * last_ack never goes back (an old ACK does not move snd_una), except for
 * a SYN-ACK: on a finished tuple whose SYN went by unseen, the local
 * server's SYN-ACK acknowledges a new sequence space, anywhere; the RST
 * the client's kernel answers it with (seq = its ACK) closes it.
 */
static void test_synack_new_space(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fR, 1101, 0, 0, CL, CL, CLOSED),
		SX(B, fSA, 90000, 1101u - 0x10000000u, 0, CL, SR, OOWIN),
		SX(A, fR, 1101u - 0x10000000u, 0, 0, CL, CL, CLOSED),
	};
	struct player p;

	(void)state;
	play_seen("synack new space", t, N(t), &p);
}

/*
 * A reuse starts the connection over, but which key index is a local
 * endpoint seen at egress is the host's: kept (the datapath's reflected
 * check and the FIN queue go on using it).
 */
static void test_reuse_keeps_local(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA,
		SX(A, fR, 1101, 0, 0, CL, CL, CLOSED),
		SX(A, fSYN, 70000, 0, 0, SS, LI, REUSE),
	};
	struct player p;

	(void)state;
	play_seen("reuse keeps local", t, N(t), &p);
	assert_true(p.f.flags & TS_F_LOCAL1);
	assert_false(p.f.flags & TS_F_LOCAL0);
}

static void test_reuse_roles_swap(void **state)
{
	/* the server closed first and holds TIME_WAIT; then it opens a
	 * connection of its own on the same tuple: it is the client now */
	static const struct step t[] = {
		HANDSHAKE, DATA, SERVER_CLOSE,            /* B TIME_WAIT, A CLOSED */
		SX(B, fSYN, 30000, 0, 0, SS, LI, REUSE),
		S(A, fSA, 70000, 30001, 0, ES, SR),
		SX(B, fA, 30001, 70001, 0, ES, ES, EST),
		S(A, fFA, 70001, 30001, 0, CW, F1),       /* A (now server) closes */
		S(B, fFA, 30001, 70002, 0, LA, TW),
		S(A, fA, 70002, 30002, 0, CL, TW),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_int_equal(p.f.client, B);
	assert_int_equal(p.f.ep[TS_CLIENT].isn, 30000);
	assert_int_equal(p.f.ep[TS_SERVER].isn, 70000);
	assert_hist(&p.f, "ShAfFa");
}

static void test_reuse_after_refusal(void **state)
{
	static const struct step t[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		SX(B, fRA, 0, 1001, 0, CL, CL, CLOSED),
		SX(A, fSYN, 3000, 0, 0, SS, LI, REUSE),   /* the client tries again */
		S(B, fSA, 7000, 3001, 0, ES, SR),
		SX(A, fA, 3001, 7001, 0, ES, ES, EST),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_hist(&p.f, "ShA");
}

static void test_no_reuse_while_live(void **state)
{
	/* a SYN on a tuple whose peer still is in LAST_ACK is not a reuse */
	static const struct step t[] = {
		HANDSHAKE, DATA, C_FIN, S_ACK_CFIN, S_FIN,
		S(A, fSYN, 1000, 0, 0, SS, LA),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_false(p.last_ret & TS_STEP_REUSE);
}

static void test_pickup(void **state)
{
	/* first segment a plain ACK with data from the high port */
	static const struct step t[] = {
		S(A, fPA, 123456, 777777, 100, ES, ES),
		S(B, fA, 777777, 123556, 0, ES, ES),
		S(B, fPA, 777777, 123556, 300, ES, ES),
		S(A, fA, 123556, 778077, 0, ES, ES),
		S(A, fFA, 123556, 778077, 0, F1, CW),
		S(B, fA, 778077, 123557, 0, F2, CW),
		S(B, fFA, 778077, 123557, 0, TW, LA),
		S(A, fA, 123557, 778078, 0, TW, CL),
	};
	/* first segment from the low port: that one is still the server */
	static const struct step u[] = {
		S(B, fPA, 777777, 123456, 300, ES, ES),
		S(A, fA, 123456, 778077, 0, ES, ES),
		S(B, fFA, 778077, 123456, 0, CW, F1),
		S(A, fFA, 123456, 778078, 0, LA, TW),
		SX(B, fA, 778078, 123457, 0, CL, TW, 0),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_true(p.f.flags & TS_F_PICKED_UP);
	assert_int_equal(p.f.client, A);
	assert_hist(&p.f, "DadAFf");
	assert_int_equal(p.f.syn_ns, 0);
	assert_int_equal(p.f.handshake_us, 0);

	RUN(&p, u);
	assert_true(p.f.flags & TS_F_PICKED_UP);
	assert_int_equal(p.f.client, A);
	assert_hist(&p.f, "dAfFa");
}

/* confirmation (both directions' history) and ack_no_conn (a picked-up,
 * unconfirmed entry's sender repeating past the grace; once per entry) */
static void test_ack_no_conn(void **state)
{
	struct ts_flow f;
	struct ts_seg ack = { .flags = TS_TCP_ACK, .from = TS_CLIENT };
	struct ts_seg syn = { .flags = TS_TCP_SYN | TS_TCP_ACK, .from = TS_CLIENT };
	struct ts_seg rst = { .flags = TS_TCP_RST | TS_TCP_ACK, .from = TS_CLIENT };
	const __u64 t0 = 5000000000ull;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.flags = TS_F_PICKED_UP;
	f.first_seen_ns = t0;
	ts_hist_segment(&f, &ack);
	ts_flow_confirm(&f);
	assert_int_equal(f.flags & TS_F_CONFIRMED, 0);
	/* within the grace, at it, clock behind: nothing */
	assert_false(ts_ack_unanswered(&f, &ack, t0 + 500000000ull));
	assert_false(ts_ack_unanswered(&f, &ack, t0 + TS_ACK_GRACE_NS));
	assert_false(ts_ack_unanswered(&f, &ack, t0 - 1));
	/* past it: SYNs and RSTs are not ACKs of a connection */
	assert_false(ts_ack_unanswered(&f, &syn, t0 + 2 * TS_ACK_GRACE_NS));
	assert_false(ts_ack_unanswered(&f, &rst, t0 + 2 * TS_ACK_GRACE_NS));
	assert_true(ts_ack_unanswered(&f, &ack, t0 + TS_ACK_GRACE_NS + 1));
	assert_true(f.flags & TS_F_ACK_REPORTED);
	/* once per entry */
	assert_false(ts_ack_unanswered(&f, &ack, t0 + 3 * TS_ACK_GRACE_NS));

	/* answered: confirmed, never reported */
	memset(&f, 0, sizeof(f));
	f.flags = TS_F_PICKED_UP;
	f.first_seen_ns = t0;
	ts_hist_segment(&f, &ack);
	ack.from = TS_SERVER;
	ts_hist_segment(&f, &ack);
	ts_flow_confirm(&f);
	assert_true(f.flags & TS_F_CONFIRMED);
	ack.from = TS_CLIENT;
	assert_false(ts_ack_unanswered(&f, &ack, t0 + 3 * TS_ACK_GRACE_NS));

	/* not picked up (a tracked handshake): never */
	memset(&f, 0, sizeof(f));
	f.first_seen_ns = t0;
	assert_false(ts_ack_unanswered(&f, &ack, t0 + 3 * TS_ACK_GRACE_NS));
}

static void test_pickup_synack(void **state)
{
	static const struct step t[] = {
		S(B, fSA, 5000, 1001, 0, ES, SR),
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),
		S(A, fPA, 1001, 5001, 100, ES, ES),
		S(B, fA, 5001, 1101, 0, ES, ES),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
	assert_true(p.f.flags & TS_F_PICKED_UP);
	assert_int_equal(p.f.client, A);
	assert_int_equal(p.f.ep[TS_SERVER].isn, 5000);
	assert_hist(&p.f, "hADa");
}

static void test_sequence_wrap(void **state)
{
	/* both ISNs just below 2^32: every sequence comparison wraps */
	static const struct step t[] = {
		S(A, fSYN, 0xfffffff0u, 0, 0, SS, LI),
		S(B, fSA, 0xffffffffu, 0xfffffff1u, 0, ES, SR),
		SX(A, fA, 0xfffffff1u, 0, 0, ES, ES, EST),
		S(A, fPA, 0xfffffff1u, 0, 100, ES, ES),
		S(B, fPA, 0, 0x55, 1000, ES, ES),
		S(A, fFA, 0x55, 1000, 0, F1, CW),
		S(B, fFA, 1000, 0x56, 0, TW, LA),
		S(A, fA, 0x56, 1001, 0, TW, CL),
	};
	struct player p;

	(void)state;
	RUN(&p, t);
}

static void test_window_scaling(void **state)
{
	/* both SYNs offer it: negotiated; the client's ACK window is scaled */
	static const struct step both[] = {
		{ .who = A, .flags = fSYN, .seq = 1000, .cst = SS, .sst = LI, .win = 64240,
		  .opts = TS_OPT_WSCALE | TS_OPT_SACKOK | TS_OPT_TS, .wscale = 7 },
		{ .who = B, .flags = fSA, .seq = 5000, .ack = 1001, .cst = ES, .sst = SR,
		  .win = 65160, .opts = TS_OPT_WSCALE | TS_OPT_SACKOK, .wscale = 9 },
		{ .who = A, .flags = fA, .seq = 1001, .ack = 5001, .cst = ES, .sst = ES,
		  .ev = EST, .win = 1000 },
		/* past 5001 + 1000 but inside 5001 + (1000 << 7) */
		{ .who = B, .flags = fPA, .seq = 55001, .ack = 1001, .len = 1000, .cst = ES,
		  .sst = ES, .win = 100 },
	};
	/* only the client offers it: not negotiated, the same window is unscaled */
	static const struct step client_only[] = {
		{ .who = A, .flags = fSYN, .seq = 1000, .cst = SS, .sst = LI, .win = 64240,
		  .opts = TS_OPT_WSCALE, .wscale = 7 },
		{ .who = B, .flags = fSA, .seq = 5000, .ack = 1001, .cst = ES, .sst = SR,
		  .win = 65160 },
		{ .who = A, .flags = fA, .seq = 1001, .ack = 5001, .cst = ES, .sst = ES,
		  .ev = EST, .win = 1000 },
		{ .who = B, .flags = fPA, .seq = 55001, .ack = 1001, .len = 1000, .cst = ES,
		  .sst = ES, .ev = OOWIN, .win = 100 },
	};
	/* only the server's SYN-ACK carries it (a broken stack): not negotiated */
	static const struct step server_only[] = {
		{ .who = A, .flags = fSYN, .seq = 1000, .cst = SS, .sst = LI, .win = 64240 },
		{ .who = B, .flags = fSA, .seq = 5000, .ack = 1001, .cst = ES, .sst = SR,
		  .win = 65160, .opts = TS_OPT_WSCALE, .wscale = 9 },
		{ .who = A, .flags = fA, .seq = 1001, .ack = 5001, .cst = ES, .sst = ES,
		  .ev = EST, .win = 1000 },
	};
	struct player p;
	const struct ts_endpoint *c = &p.f.ep[TS_CLIENT], *s = &p.f.ep[TS_SERVER];

	(void)state;
	RUN(&p, both);
	assert_true(c->flags & TS_EP_WSCALE);
	assert_true(s->flags & TS_EP_WSCALE);
	assert_int_equal(c->wscale, 7);
	assert_int_equal(s->wscale, 9);
	assert_int_equal(c->flags & (TS_EP_SACKOK | TS_EP_TS), TS_EP_SACKOK | TS_EP_TS);
	assert_int_equal(s->flags & (TS_EP_SACKOK | TS_EP_TS), TS_EP_SACKOK);
	assert_int_equal(c->maxwin, 1000u << 7);
	assert_int_equal(s->maxwin, 65160); /* SYN windows are never scaled */

	RUN(&p, client_only);
	assert_false(c->flags & TS_EP_WSCALE);
	assert_false(s->flags & TS_EP_WSCALE);
	assert_int_equal(c->maxwin, 64240);

	RUN(&p, server_only);
	assert_false(c->flags & TS_EP_WSCALE);
	assert_false(s->flags & TS_EP_WSCALE);
}

static void test_handshake_time(void **state)
{
	static const struct step t[] = { HANDSHAKE, DATA };
	static const __u64 times[] = {
		T0, T0 + 1500000, T0 + 1750000, T0 + 2000000,
		T0 + 3000000, T0 + 4000000, T0 + 5000000,
	};
	static const struct step pu[] = {
		S(B, fSA, 5000, 1001, 0, ES, SR),
		SX(A, fA, 1001, 5001, 0, ES, ES, EST),
	};
	struct player p;

	(void)state;
	/* local client: SYN -> SYN-ACK as it sees it */
	player_init(&p, "local client");
	p.local = A;
	p.times = times;
	play(&p, t, N(t));
	assert_int_equal(p.f.handshake_us, 1500);

	/* local server: SYN-ACK -> final ACK */
	player_init(&p, "local server");
	p.local = B;
	p.times = times;
	play(&p, t, N(t));
	assert_int_equal(p.f.handshake_us, 250);

	/* neither end local (a router): not timed */
	player_init(&p, "forwarded");
	p.times = times;
	play(&p, t, N(t));
	assert_int_equal(p.f.handshake_us, 0);

	/* picked up at the SYN-ACK: a local server can time it, a client not */
	player_init(&p, "pickup, local server");
	p.local = B;
	p.times = times;
	play(&p, pu, N(pu));
	assert_int_equal(p.f.handshake_us, 1500);
	player_init(&p, "pickup, local client");
	p.local = A;
	p.times = times;
	play(&p, pu, N(pu));
	assert_int_equal(p.f.handshake_us, 0);
}

static void test_effective_state(void **state)
{
	static const struct step t[] = { HANDSHAKE, DATA, CLIENT_CLOSE };
	static const struct step e[] = { HANDSHAKE };
	static const __u32 to[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	const __u64 s = 1000000000ull;
	struct player p;
	__u64 last;

	(void)state;
	RUN(&p, t);
	last = p.f.last_seen_ns;
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last, to), TS_TIME_WAIT);
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last + 59 * s, to), TS_TIME_WAIT);
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last + 60 * s, to), TS_TIME_WAIT);
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last + 60 * s + 1, to), TS_CLOSED);
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last + 61 * s, to), TS_CLOSED);
	assert_int_equal(ts_effective_state(&p.f, TS_SERVER, last, to), TS_CLOSED);
	/* a clock behind last_seen is no idle time */
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last - DT, to), TS_TIME_WAIT);

	RUN(&p, e);
	last = p.f.last_seen_ns;
	assert_int_equal(ts_effective_state(&p.f, TS_CLIENT, last + 86400 * s, to),
			 TS_ESTABLISHED);
	assert_int_equal(ts_effective_state(&p.f, TS_SERVER, last + 432001 * s, to), TS_CLOSED);
	/* garbage in the state byte reads as CLOSED */
	p.f.ep[TS_SERVER].state = 200;
	assert_int_equal(ts_effective_state(&p.f, TS_SERVER, last, to), TS_CLOSED);
}

static void test_flow_expired(void **state)
{
	static const struct step t[] = { HANDSHAKE, DATA, CLIENT_CLOSE };
	static const struct step r[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		SX(B, fRA, 0, 1001, 0, CL, CL, CLOSED),
	};
	static const struct step e[] = { HANDSHAKE };
	static const struct step syn[] = { S(A, fSYN, 1000, 0, 0, SS, LI) };
	static const __u32 to[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	const __u64 s = 1000000000ull;
	struct player p;
	__u64 last;

	(void)state;
	RUN(&p, t); /* TIME_WAIT / CLOSED */
	last = p.f.last_seen_ns;
	assert_false(ts_flow_expired(&p.f, last, to));
	assert_false(ts_flow_expired(&p.f, last + 59 * s, to));
	assert_true(ts_flow_expired(&p.f, last + 71 * s, to));

	RUN(&p, r); /* refused: kept for the CLOSED grace period */
	last = p.f.last_seen_ns;
	assert_false(ts_flow_expired(&p.f, last, to));
	assert_false(ts_flow_expired(&p.f, last + 9 * s, to));
	assert_true(ts_flow_expired(&p.f, last + 11 * s, to));

	RUN(&p, e);
	last = p.f.last_seen_ns;
	assert_false(ts_flow_expired(&p.f, last + 86400 * s, to));
	assert_true(ts_flow_expired(&p.f, last + 432001 * s, to));

	RUN(&p, syn); /* unanswered SYN: 120 s */
	last = p.f.last_seen_ns;
	assert_false(ts_flow_expired(&p.f, last + 119 * s, to));
	assert_true(ts_flow_expired(&p.f, last + 121 * s, to));
	assert_false(ts_half_open_timed_out(&p.f, last + 121 * s, to)); /* never answered */
}

static void test_half_open_timed_out(void **state)
{
	static const struct step ho[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(B, fSA, 5000, 1001, 0, ES, SR),
	};
	static const struct step e[] = { HANDSHAKE };
	static const __u32 to[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	const __u64 s = 1000000000ull;
	struct player p;
	__u64 last;

	(void)state;
	RUN(&p, ho); /* SYN answered, final ACK never came */
	last = p.f.last_seen_ns;
	assert_int_equal(p.f.ep[TS_SERVER].state, TS_SYN_RCVD);
	assert_false(ts_half_open_timed_out(&p.f, last + 59 * s, to)); /* not yet */
	assert_true(ts_half_open_timed_out(&p.f, last + 61 * s, to));
	assert_false(ts_flow_expired(&p.f, last + 61 * s, to)); /* the client is ESTABLISHED */
	RUN(&p, e); /* completed: never half-open */
	last = p.f.last_seen_ns;
	assert_false(ts_half_open_timed_out(&p.f, last + 432001 * s, to));
}

static void test_data_far_oow(void **state)
{
	struct ts_flow f = { 0 };
	struct ts_endpoint snd = { 0 }, rcv = { 0 };
	struct ts_seg s = { .seq = 1000000, .flags = TS_TCP_ACK, .len = 100 };

	(void)state;
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s)); /* unknown sequence space */
	snd.flags = rcv.flags = TS_EP_SEQ_KNOWN;
	snd.end = 1000;
	snd.maxend = 1000 + 8192;
	rcv.maxwin = 8192;
	s.seq = 1000; /* next in order */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 + 8193; /* just past the window: not far */
	assert_false(ts_in_window(&snd, &rcv, &s));
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 + 2 * 8192; /* at the slack's edge */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 + 2 * 8192 + 1;
	assert_true(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 + 10000000;
	assert_true(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 - 8100; /* a retransmission a window back */
	assert_true(ts_in_window(&snd, &rcv, &s));
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 - 16000; /* old, within the slack */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 1000 - 1000000; /* far behind */
	assert_true(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.len = 0; /* not data: a bare ACK is never judged */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.len = 100;
	s.flags = TS_TCP_RST | TS_TCP_ACK; /* RSTs have their own kinds */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.flags = TS_TCP_ACK;
	f.flags = TS_F_PICKED_UP; /* window scale unknown */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	f.flags = 0;
	rcv.maxwin = (1u << 29) + 1; /* too large to judge */
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	/* sequence wrap */
	rcv.maxwin = 8192;
	snd.end = 0xffffff00u;
	snd.maxend = 0xffffff00u + 8192;
	s.seq = 0xffffff00u + 4000;
	assert_false(ts_data_far_oow(&f, &snd, &rcv, &s));
	s.seq = 0xffffff00u + 30000;
	assert_true(ts_data_far_oow(&f, &snd, &rcv, &s));
}

static void test_in_window_and_rst_verdict(void **state)
{
	struct ts_endpoint snd = { 0 }, rcv = { 0 };
	struct ts_seg s = { .seq = 1000, .flags = TS_TCP_RST };

	(void)state;
	/* unknown sequence space: everything is in window, any RST acceptable */
	assert_true(ts_in_window(&snd, &rcv, &s));
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);

	snd.flags = rcv.flags = TS_EP_SEQ_KNOWN;
	snd.end = 1000;
	snd.maxend = 1000 + 8192;
	rcv.maxwin = 8192;
	rcv.end = 9000;
	assert_true(ts_in_window(&snd, &rcv, &s));
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);        /* exact */
	s.seq = 1001;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 1);        /* in window */
	s.seq = 1000 + 8191;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 1);
	s.seq = 1000 + 8193;
	assert_false(ts_in_window(&snd, &rcv, &s));
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 2);        /* beyond */
	rcv.last_ack = 1000 + 8193;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);        /* what rcv ACKed */
	rcv.last_ack = 0;
	/* one below: exact only once the receiver has the sender's FIN */
	s.seq = 999;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 1);
	rcv.state = TS_ESTABLISHED;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 1);
	rcv.state = TS_CLOSE_WAIT;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);
	rcv.state = TS_LAST_ACK;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);
	rcv.state = TS_CLOSING;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);
	/* in TIME_WAIT the kernel ignores it: the peer's own, nothing moves */
	rcv.state = TS_TIME_WAIT;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 3);
	s.seq = 998;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 1);
	s.seq = 999;
	rcv.state = TS_CLOSED;
	s.seq = 1000 - 100000;
	assert_false(ts_in_window(&snd, &rcv, &s));
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 2);        /* far behind */

	/* a data segment: upper edge is maxend, lower edge a window back */
	s.flags = TS_TCP_ACK;
	s.len = 100;
	s.seq = 1000 + 8192;
	assert_true(ts_in_window(&snd, &rcv, &s));
	s.seq = 1000 + 8193;
	assert_false(ts_in_window(&snd, &rcv, &s));
	s.seq = 1000 - 8000;
	assert_true(ts_in_window(&snd, &rcv, &s));
	s.seq = 1000 - 9000;
	assert_false(ts_in_window(&snd, &rcv, &s));

	/* the receiver in SYN_SENT: only an RST that ACKs its SYN counts */
	rcv.state = TS_SYN_SENT;
	rcv.flags = TS_EP_SYN_SENT | TS_EP_SEQ_KNOWN;
	rcv.isn = 0xffffffffu;
	s.flags = TS_TCP_RST | TS_TCP_ACK;
	s.len = 0;
	s.seq = 0;
	s.ack = 0;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 0);
	s.ack = 1;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 2);
	s.flags = TS_TCP_RST;
	s.ack = 0;
	assert_int_equal(ts_rst_verdict(&snd, &rcv, &s), 2);
}

/* ts_bad_flags() over all 256 flag bytes, against the rules spelt out */
static void test_bad_flags(void **state)
{
	unsigned f;

	(void)state;
	for (f = 0; f < 256; f++) {
		unsigned l = f & 0x3f, want;

		if (!l)
			want = TS_BF_NULL;
		else if ((l & (TS_TCP_SYN | TS_TCP_FIN)) == (TS_TCP_SYN | TS_TCP_FIN))
			want = TS_BF_SYN_FIN;
		else if ((l & (TS_TCP_SYN | TS_TCP_RST)) == (TS_TCP_SYN | TS_TCP_RST))
			want = TS_BF_SYN_RST;
		else if (l & (TS_TCP_SYN | TS_TCP_RST | TS_TCP_ACK))
			want = TS_BF_NONE;
		else if ((l & (TS_TCP_FIN | TS_TCP_PSH | TS_TCP_URG)) ==
			 (TS_TCP_FIN | TS_TCP_PSH | TS_TCP_URG))
			want = TS_BF_XMAS;
		else if (l & TS_TCP_FIN)
			want = TS_BF_FIN_NO_ACK;
		else
			want = TS_BF_NO_ACK;
		if (ts_bad_flags((__u8)f) != want)
			fail_msg("flags 0x%02x: got %u, want %u", f, ts_bad_flags((__u8)f), want);
	}
	/* what real stacks send is never flagged */
	assert_int_equal(ts_bad_flags(TS_TCP_SYN), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_SYN | TS_TCP_ECE | TS_TCP_CWR), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_SYN | TS_TCP_ACK | TS_TCP_ECE), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_ACK), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_ACK | TS_TCP_PSH), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_FIN | TS_TCP_ACK), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_FIN | TS_TCP_PSH | TS_TCP_ACK), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_RST), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_RST | TS_TCP_ACK), 0);
	assert_int_equal(ts_bad_flags(TS_TCP_FIN | TS_TCP_RST | TS_TCP_ACK), 0);
}

static void test_syn_data(void **state)
{
	struct ts_seg s = { .flags = TS_TCP_SYN, .len = 0 };

	(void)state;
	assert_false(ts_syn_data(&s));
	s.len = 10;
	assert_true(ts_syn_data(&s));
	s.opts = TS_OPT_TFO | TS_OPT_MSS;
	assert_false(ts_syn_data(&s)); /* TFO */
	s.flags = TS_TCP_SYN | TS_TCP_ACK;
	assert_true(ts_syn_data(&s)); /* data on a SYN-ACK, TFO or not */
	s.flags = TS_TCP_ACK;
	assert_false(ts_syn_data(&s));
}

static void test_rate_limit(void **state)
{
	struct ts_rl rl = { 0 };
	__u64 t = 1000;
	int i, n = 0;

	(void)state;
	/* a full bucket: BURST events at once, then suppression */
	for (i = 0; i < 200; i++)
		n += ts_rl_take(&rl, t);
	assert_int_equal(n, TS_RL_BURST);
	assert_int_equal(rl.suppressed, 200 - TS_RL_BURST);
	/* one token per 1/RATE s */
	assert_false(ts_rl_take(&rl, t + TS_RL_COST_NS - 1));
	assert_true(ts_rl_take(&rl, t + TS_RL_COST_NS));
	assert_false(ts_rl_take(&rl, t + TS_RL_COST_NS + 1));
	assert_int_equal(rl.suppressed, 200 - TS_RL_BURST + 2); /* the caller clears it */
	/* a steady RATE/s stream is never suppressed */
	rl = (struct ts_rl){ 0 };
	for (i = 0, n = 0; i < 1000; i++)
		n += ts_rl_take(&rl, t + (__u64)i * TS_RL_COST_NS);
	assert_int_equal(n, 1000);
	/* 10x the rate for 10 s: burst + 10 s worth of rate */
	rl = (struct ts_rl){ 0 };
	for (i = 0, n = 0; i < 10 * TS_RL_RATE * 10; i++)
		n += ts_rl_take(&rl, t + (__u64)i * TS_RL_COST_NS / 10);
	assert_true(n >= TS_RL_BURST + 10 * TS_RL_RATE - 1 && n <= TS_RL_BURST + 10 * TS_RL_RATE);
	/* idle refills up to the burst only */
	rl.last_ns = t;
	rl.credit_ns = 0;
	for (i = 0, n = 0; i < 200; i++)
		n += ts_rl_take(&rl, t + 3600ull * 1000000000ull);
	assert_int_equal(n, TS_RL_BURST);
	/* a clock that goes back does not wedge it */
	assert_true(ts_rl_take(&rl, 5));
}

/* one segment, then what the held handshake events (hs_log.h) make of
 * its step, as the datapath's step_entry asks */
static void hs_play(struct player *p, const struct step *st, int client_local,
		    struct ts_hs_res *r)
{
	__u8 old[2] = { p->f.ep[TS_CLIENT].state, p->f.ep[TS_SERVER].state }, now[2];
	__u32 ret = play1(p, st);

	now[TS_CLIENT] = p->f.ep[TS_CLIENT].state;
	now[TS_SERVER] = p->f.ep[TS_SERVER].state;
	ts_hs_hold(&p->f, old, now, ret, st->flags, st->who == p->local, client_local, r);
}

/* a remote client's handshake to a local server: the SYN's and the
 * SYN-ACK's events are held, the final ACK (the proof) hands them over in
 * order with their flags and directions; nothing is left held after */
static void test_hs_held_until_proof(void **state)
{
	static const struct step hs[] = { HANDSHAKE };
	struct ts_hs_res r;
	struct player p;
	__u32 s0, s1;

	(void)state;
	player_init(&p, "hs held");
	p.local = B;
	hs_play(&p, &hs[0], 0, &r);
	assert_true(r.held && !r.flush && !r.dropped);
	hs_play(&p, &hs[1], 0, &r);
	assert_true(r.held && !r.flush && !r.dropped);
	assert_int_equal(ts_hs_events(ts_hs_get(&p.f)), 4);
	hs_play(&p, &hs[2], 0, &r);
	assert_true(!r.held && !r.dropped);
	assert_int_equal(ts_hs_get(&p.f), 0);
	assert_int_equal(ts_hs_steps(r.flush), 2);
	assert_int_equal(ts_hs_from(r.flush, TS_CLIENT), CL);
	assert_int_equal(ts_hs_from(r.flush, TS_SERVER), CL);
	s0 = ts_hs_step(r.flush, 0);
	s1 = ts_hs_step(r.flush, 1);
	assert_int_equal(ts_hs_step_to(s0, TS_CLIENT), SS);
	assert_int_equal(ts_hs_step_to(s0, TS_SERVER), LI);
	assert_int_equal(ts_hs_step_flags(s0), fSYN);
	assert_int_equal(ts_hs_step_dir(s0), 0);
	assert_int_equal(ts_hs_step_to(s1, TS_CLIENT), ES);
	assert_int_equal(ts_hs_step_to(s1, TS_SERVER), SR);
	assert_int_equal(ts_hs_step_flags(s1), fSA);
	assert_int_equal(ts_hs_step_dir(s1), 1);
	/* the established flow's steps are never held */
	{
		static const struct step close[] = { SX(A, fR, 1001, 0, 0, CL, CL, CLOSED) };

		hs_play(&p, &close[0], 0, &r);
		assert_true(!r.held && !r.flush && !r.dropped);
	}
}

/* a local client's handshake: its own SYN proves it, nothing is held */
static void test_hs_local_client(void **state)
{
	static const struct step hs[] = { HANDSHAKE };
	struct ts_hs_res r;
	struct player p;
	int i;

	(void)state;
	player_init(&p, "hs local client");
	p.local = A;
	for (i = 0; i < 3; i++) {
		hs_play(&p, &hs[i], 1, &r);
		assert_true(!r.held && !r.flush && !r.dropped);
	}
}

/* an unproven handshake reset: what it held and the reset's own events
 * are withheld, counted as unproven; a held log has room for
 * TS_HS_MAX_STEPS steps, a step past it is dropped, counted as suppressed */
static void test_hs_reset_and_overflow(void **state)
{
	static const struct step hs[] = {
		S(A, fSYN, 1000, 0, 0, SS, LI),
		S(B, fSA, 5000, 1001, 0, ES, SR),
		SX(A, fR, 1001, 0, 0, CL, CL, CLOSED),
	};
	static const __u8 st[5][2] = { { CL, CL }, { SS, LI }, { SS, SR }, { SR, SR }, { SS, LI } };
	struct ts_hs_res r;
	struct ts_flow f;
	struct player p;
	int i;

	(void)state;
	player_init(&p, "hs reset");
	p.local = B;
	hs_play(&p, &hs[0], 0, &r);
	hs_play(&p, &hs[1], 0, &r);
	hs_play(&p, &hs[2], 0, &r);
	assert_true(r.held && !r.flush);
	assert_int_equal(r.unproven, 6);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(ts_hs_get(&p.f), 0);

	memset(&f, 0, sizeof(f));
	for (i = 0; i < 4; i++) {
		ts_hs_hold(&f, st[i], st[i + 1], 0, fSYN, 0, 0, &r);
		assert_true(r.held && !r.flush && !r.unproven);
		assert_int_equal(r.dropped, i < TS_HS_MAX_STEPS ? 0 : 2);
	}
	assert_int_equal(ts_hs_steps(ts_hs_get(&f)), TS_HS_MAX_STEPS);
	assert_int_equal(ts_hs_step_to(ts_hs_step(ts_hs_get(&f), 2), TS_SERVER), TS_HS_SAME);
	/* the flow's other fields are untouched by the log */
	assert_int_equal(f.ep[0].state, 0);
	assert_int_equal(f.hist_len, 0);
}

/* a connection's steps after its proof are never held, to its end and past
 * it: the server CLOSED after LAST_ACK, its client's TIME_WAIT killed by
 * the server's RST (the kernel's answer to a late ACK: issue 11's one
 * suppressed event under real load) is written at once; a new SYN reusing
 * the tuple is an unproven handshake again */
static void test_hs_after_close(void **state)
{
	static const struct step t[] = {
		HANDSHAKE, DATA, CLIENT_CLOSE,
		S(A, fA, 1102, 5202, 0, TW, CL), /* the TIME_WAIT ACKs a FIN again */
		SX(B, fR, 5202, 0, 0, CL, CL, CLOSED),
		SX(A, fSYN, 90000, 0, 0, SS, LI, REUSE),
	};
	static const __u8 before[][3] = {
		/* client, server, before the proof */
		{ CL, CL, 1 }, { SS, LI, 1 }, { ES, SR, 1 }, { SR, SR, 1 },
		{ TW, CL, 0 }, { CL, TW, 0 }, { ES, ES, 0 }, { F2, CW, 0 }, { CL, LA, 0 },
	};
	struct ts_hs_res r;
	struct player p;
	size_t i;

	(void)state;
	for (i = 0; i < N(before); i++)
		assert_int_equal(ts_hs_before_proof(before[i]), before[i][2]);
	player_init(&p, "hs after close");
	p.local = B;
	for (i = 0; i < N(t); i++) {
		hs_play(&p, &t[i], 0, &r);
		if (i == 2)
			assert_int_equal(ts_hs_steps(r.flush), 2); /* the proof */
		else
			assert_int_equal(r.flush, 0);
		assert_int_equal(r.dropped, 0);
		assert_int_equal(r.unproven, 0);
		/* held: the SYN and SYN-ACK, and the reused tuple's SYN */
		assert_int_equal(r.held, i < 2 || i == N(t) - 1);
	}
	assert_int_equal(ts_hs_steps(ts_hs_get(&p.f)), 1);
	assert_int_equal(ts_hs_from(ts_hs_get(&p.f), TS_CLIENT), CL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_data_on_third_segment),
		cmocka_unit_test(test_client_closes_first),
		cmocka_unit_test(test_server_closes_first),
		cmocka_unit_test(test_fin_ack_combined),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_unidirectional_handshake),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_simultaneous_open),
#define RST_TEST(i, nm) \
	{ "test_rst_exact in " nm, test_rst_exact, NULL, NULL, (void *)&rst_cases[i] }
		RST_TEST(0, "SYN_SENT/LISTEN"),
		RST_TEST(1, "ESTABLISHED/SYN_RCVD"),
		RST_TEST(2, "SYN_RCVD/SYN_RCVD"),
		RST_TEST(3, "SYN_RCVD/ESTABLISHED"),
		RST_TEST(4, "ESTABLISHED/ESTABLISHED"),
		RST_TEST(5, "FIN_WAIT_1/CLOSE_WAIT"),
		RST_TEST(6, "FIN_WAIT_2/CLOSE_WAIT"),
		RST_TEST(7, "TIME_WAIT/LAST_ACK"),
		RST_TEST(8, "TIME_WAIT/CLOSED"),
		RST_TEST(9, "CLOSING/CLOSING"),
		RST_TEST(10, "CLOSE_WAIT/FIN_WAIT_1"),
		RST_TEST(11, "CLOSE_WAIT/FIN_WAIT_2"),
		RST_TEST(12, "LAST_ACK/TIME_WAIT"),
		RST_TEST(13, "CLOSED/TIME_WAIT"),
		cmocka_unit_test(test_rst_refused),
		cmocka_unit_test(test_rst_wrong_ack_in_syn_sent),
		cmocka_unit_test(test_rst_out_of_window_and_inexact),
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_reuse_time_wait),
		cmocka_unit_test(test_reuse_roles_swap),
		cmocka_unit_test(test_syn_on_synchronised),
		cmocka_unit_test(test_discarded_fins),
		cmocka_unit_test(test_syn_time_wait_and_local_restart),
		cmocka_unit_test(test_reuse_after_refusal),
		cmocka_unit_test(test_no_reuse_while_live),
		cmocka_unit_test(test_pickup),
		cmocka_unit_test(test_pickup_synack),
		cmocka_unit_test(test_sequence_wrap),
		cmocka_unit_test(test_window_scaling),
		cmocka_unit_test(test_handshake_time),
		cmocka_unit_test(test_effective_state),
		cmocka_unit_test(test_flow_expired),
		cmocka_unit_test(test_half_open_timed_out),
		cmocka_unit_test(test_in_window_and_rst_verdict),
		cmocka_unit_test(test_data_far_oow),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_syn_data),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_hs_held_until_proof),
		cmocka_unit_test(test_hs_local_client),
		cmocka_unit_test(test_hs_reset_and_overflow),
		cmocka_unit_test(test_hs_after_close),
		cmocka_unit_test(test_ack_no_conn),
		cmocka_unit_test(test_fin_queued),
		cmocka_unit_test(test_no_ack_dropped),
		cmocka_unit_test(test_fin_behind_data),
		cmocka_unit_test(test_fin_by_socket),
		cmocka_unit_test(test_fin_not_taken),
		cmocka_unit_test(test_rst_after_end),
		cmocka_unit_test(test_after_fin_taken),
		cmocka_unit_test(test_ack_checks_seen),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_rst_to_request),
		cmocka_unit_test(test_syn_to_request),
		cmocka_unit_test(test_ack_to_request),
		cmocka_unit_test(test_rst_from_request),
		cmocka_unit_test(test_fast_path_refuses),
		cmocka_unit_test(test_synack_new_space),
		cmocka_unit_test(test_reuse_keeps_local),
	};

	_Static_assert(N(rst_cases) == 14, "one RST_TEST per rst_cases row");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
