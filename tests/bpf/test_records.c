// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpftest area "records": the connection records on their ring
 * (include/tcpsentry/record.h). A connection the wire ends writes one
 * record with its key, why and how it ended, and each side's packets,
 * payload and IP bytes (the frames' own lengths); with no reader asking
 * (ts_config.records 0) none is made and none counted lost; and a full
 * ring never loses a record silently: the one that does not fit, from the
 * datapath or from userspace's tcpsentry_record, is counted in
 * records_lost, and the ring takes records again once read.
 */
#include "harness.h"
#include <tcpsentry/record.h>

static struct ts_record recs[4];
static int nrecs, nrecs_all;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size == sizeof(struct ts_record) && nrecs < 4)
		memcpy(&recs[nrecs++], data, sizeof(struct ts_record));
	nrecs_all++;
	return 0;
}

/* read what the records ring holds: how many records (the first 4 kept) */
static int drain(void)
{
	static struct ring_buffer *r;

	if (!r)
		r = ring_buffer__new(map_fd("records"), on_record, NULL, NULL);
	nrecs = nrecs_all = 0;
	if (!r || ring_buffer__consume(r) < 0)
		return -1;
	return nrecs_all;
}

static void set_records(__u32 on)
{
	struct ts_config c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(config_fd, &zero, &c))
		memset(&c, 0, sizeof(c));
	c.records = on;
	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		fprintf(stderr, "bpftest: config update: %s\n", strerror(errno));
}

static void records_on(void)
{
	set_records(1);
}

/* the IP bytes of a frame (what the record's ip_bytes add up) */
static uint64_t ip_len(const struct frame_spec *fs)
{
	struct frame fr;

	return frame_build(fs, &fr) < 0 ? 0 : (uint64_t)fr.len - 14;
}

#define DATA 100
static const struct frame_spec conn[] = {
	C2S4(.flags = F_SYN, .seq = C_ISN, SYN_OPTS),
	S2C4(.flags = F_SYN | F_ACK, .seq = S_ISN, .ack = C_ISN + 1, SYNACK_OPTS),
	C2S4(.flags = F_ACK, .seq = C_ISN + 1, .ack = S_ISN + 1),
	C2S4(.flags = F_ACK | F_PSH, .seq = C_ISN + 1, .ack = S_ISN + 1, .paylen = DATA),
	S2C4(.flags = F_ACK, .seq = S_ISN + 1, .ack = C_ISN + 1 + DATA),
	C2S4(.flags = F_RST | F_ACK, .seq = C_ISN + 1 + DATA, .ack = S_ISN + 1),
};
#define NCONN (int)(sizeof(conn) / sizeof(conn[0]))

/* the connection above, its source port moved by `port` (a tuple of its
 * own), through the hooks (client frames in at XDP, the server's out at
 * tc); what it ended with: 0, or -1 and why */
static int run_conn(int port, char *why)
{
	int i;

	for (i = 0; i < NCONN; i++) {
		struct frame_spec fs = conn[i];
		int in = fs.saddr4 == C4;

		if (in)
			fs.sport += port;
		else
			fs.dport += port;
		if (run_checked(in ? XDP : TC, &fs, in ? XDP_PASS : TC_ACT_OK, 0, 0, why))
			return -1;
	}
	return 0;
}

/* the counters records and records_lost now */
static int rec_counts(uint64_t *written, uint64_t *lost)
{
	uint64_t c[TS_C_MAX];

	if (read_counters(c))
		return -1;
	*written = c[TS_C_RECORDS];
	*lost = c[TS_C_RECORDS_LOST];
	return 0;
}

/* the connection above (its port moved by `port`) from an empty ring:
 * how far records and records_lost moved, and the records it left */
static int conn_deltas(int port, uint64_t *dw, uint64_t *dl, int *left, char *why)
{
	uint64_t w0, l0, w1, l1;

	FAIL_IF(drain() < 0, "records ring: cannot read it");
	FAIL_IF(rec_counts(&w0, &l0), "read counters: %s", strerror(errno));
	if (run_conn(port, why))
		return -1;
	FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
	*dw = w1 - w0;
	*dl = l1 - l0;
	*left = drain();
	return 0;
}

static int post_record(const struct tcase *tc, char *why)
{
	const struct ts_record *r = &recs[0];
	uint64_t dw, dl, cb = 0, sb = 0;
	struct ts_flow_key k;
	int i, sender, left;

	(void)tc;
	if (conn_deltas(0, &dw, &dl, &left, why))
		return -1;
	ASSERT_EQ(left, 1, "records on the ring after the connection");
	ASSERT_EQ(dw, 1, "records counted");
	ASSERT_EQ(dl, 0, "records_lost counted");
	sender = frame_key(&conn[0], &k);
	FAIL_IF(memcmp(&r->key, &k, sizeof(k)), "record key: not the connection's");
	ASSERT_EQ(r->flow.client, sender, "record: the client's key index");
	ASSERT_EQ(r->cause, TS_REC_CLOSED, "record cause");
	ASSERT_EQ(r->end_flags, F_RST | F_ACK, "record: the flags of the segment that ended it");
	ASSERT_EQ(r->end_side, TS_CLIENT, "record: who sent it");
	ASSERT_TRUE(r->flow.flags & TS_F_RECORDED, "record: its entry marked recorded");
	for (i = 0; i < NCONN; i++)
		*(conn[i].saddr4 == C4 ? &cb : &sb) += ip_len(&conn[i]);
	ASSERT_EQ(r->flow.ep[TS_CLIENT].packets, 4, "record: client packets");
	ASSERT_EQ(r->flow.ep[TS_SERVER].packets, 2, "record: server packets");
	ASSERT_EQ(r->flow.ep[TS_CLIENT].bytes, DATA, "record: client payload bytes");
	ASSERT_EQ(r->flow.ep[TS_SERVER].bytes, 0, "record: server payload bytes");
	ASSERT_EQ(r->flow.ep[TS_CLIENT].ip_bytes, cb, "record: client IP bytes");
	ASSERT_EQ(r->flow.ep[TS_SERVER].ip_bytes, sb, "record: server IP bytes");
	ASSERT_EQ(r->flow.ep[TS_CLIENT].state, TS_CLOSED, "record: client state");
	ASSERT_EQ(r->flow.ep[TS_SERVER].state, TS_CLOSED, "record: server state");
	return 0;
}

static int post_no_reader(const struct tcase *tc, char *why)
{
	uint64_t dw, dl;
	int left;

	(void)tc;
	if (conn_deltas(0, &dw, &dl, &left, why))
		return -1;
	ASSERT_EQ(left, 0, "records on the ring with no reader asking");
	ASSERT_EQ(dw, 0, "records counted");
	ASSERT_EQ(dl, 0, "records_lost counted");
	return 0;
}

/* one record through userspace's way in (the sweeper's, detach's):
 * tcpsentry_record's return (0 written, 1 the ring was full), -1 error */
static int user_record(void)
{
	struct ts_record r = { .cause = TS_REC_EXPIRED };
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "tcpsentry_record");
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));

	if (!p || bpf_prog_test_run_opts(bpf_program__fd(p), &o))
		return -1;
	return (int)o.retval;
}

static int post_full(const struct tcase *tc, char *why)
{
	/* a record takes its size plus the ring's 8-byte header, 8-aligned;
	 * the ring never fills its last byte (a reservation must leave the
	 * producer less than the ring's size ahead), which matters when the
	 * records divide it exactly */
	const int fit = (TS_RECORDS_BYTES - 1) / ((sizeof(struct ts_record) + 8 + 7) / 8 * 8);
	uint64_t w0, l0, w1, l1;
	int n, rc;

	(void)tc;
	FAIL_IF(drain() < 0, "records ring: cannot read it");
	FAIL_IF(rec_counts(&w0, &l0), "read counters: %s", strerror(errno));
	for (n = 0; n <= fit && (rc = user_record()) == 0; n++)
		;
	ASSERT_EQ(rc, 1, "tcpsentry_record's return once the ring is full");
	ASSERT_EQ(n, fit, "records the ring took before it was full");
	FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
	ASSERT_EQ(w1 - w0, fit, "records counted");
	ASSERT_EQ(l1 - l0, 1, "records_lost: tcpsentry_record's");
	/* the datapath's record of a connection ending now does not fit */
	if (run_conn(0, why))
		return -1;
	FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
	ASSERT_EQ(w1 - w0, fit, "records counted, the ring full");
	ASSERT_EQ(l1 - l0, 2, "records_lost: the datapath's too");
	ASSERT_EQ(drain(), fit, "records read back from the full ring");
	/* read, the ring takes the next one */
	if (run_conn(1, why))
		return -1;
	FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
	ASSERT_EQ(drain(), 1, "records on the ring once it was read");
	ASSERT_EQ(w1 - w0, fit + 1, "records counted");
	ASSERT_EQ(l1 - l0, 2, "records_lost");
	return 0;
}

/* refused: a SYN in, the server's RST out, on three tuples */
static int post_refused(const struct tcase *tc, char *why)
{
	uint64_t w0, l0, w1, l1;
	int i;

	(void)tc;
	FAIL_IF(drain() < 0, "records ring: cannot read it");
	FAIL_IF(rec_counts(&w0, &l0), "read counters: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		struct frame_spec syn = C2S4(.flags = F_SYN, .seq = C_ISN, SYN_OPTS, .sport = CPORT + 10 + i);
		struct frame_spec rst = S2C4(.flags = F_RST | F_ACK, .seq = 0, .ack = C_ISN + 1,
					     .dport = CPORT + 10 + i);

		if (run_checked(XDP, &syn, XDP_PASS, 0, 0, why) ||
		    run_checked(TC, &rst, TC_ACT_OK, 0, 0, why))
			return -1;
		FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
		ASSERT_EQ(w1 - w0, i + 1, "records after each refused connection");
	}
	ASSERT_EQ(drain(), 3, "records on the ring");
	ASSERT_EQ(recs[2].end_side, TS_SERVER, "record: who sent the RST");
	return 0;
}

/* state events and records on */
static void events_records_on(void)
{
	set_state_events(1);
	set_records(1);
}

/* An exact RST in two IP fragments: the kernel takes it once the second
 * makes the datagram whole (track, frag_fin_apply), and so does tcpsentry;
 * that end is written as a whole RST's is: a state event for each side,
 * with the RST's flags, and the record */
static int post_frag_rst(const struct tcase *tc, char *why)
{
	struct frame_spec first = conn[NCONN - 1], tail;
	uint64_t w0, l0, w1, l1;
	const struct ts_event *e;
	struct ts_flow_key k;
	int i, n0, sender;

	(void)tc;
	FAIL_IF(drain() < 0, "records ring: cannot read it");
	for (i = 0; i < NCONN - 1; i++)
		if (run_checked(conn[i].saddr4 == C4 ? XDP : TC, &conn[i],
				conn[i].saddr4 == C4 ? XDP_PASS : TC_ACT_OK, 0, 0, why))
			return -1;
	first.paylen = 16;
	tail = first;
	first.frag_first = 24;
	tail.frag_tail = 24;
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "events: ring_buffer__consume");
	n0 = nevs;
	FAIL_IF(rec_counts(&w0, &l0), "read counters: %s", strerror(errno));
	if (run_checked(XDP, &first, XDP_PASS, 0, 0, why))
		return -1;
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "events: ring_buffer__consume");
	ASSERT_EQ(nevs, n0, "state events after the first fragment (it moves nothing yet)");
	if (run_checked(XDP, &tail, XDP_PASS, 0, 0, why))
		return -1;
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "events: ring_buffer__consume");
	ASSERT_EQ(nevs, n0 + 2, "state events once the datagram is whole");
	sender = frame_key(&conn[0], &k);
	for (i = n0; i < nevs; i++) {
		e = &evs[i];
		FAIL_IF(e->type != TS_EV_STATE || memcmp(&e->key, &k, sizeof(k)) ||
				e->client != sender || e->family != 4,
			"event %d: type %u, not the connection's state event", i, e->type);
		FAIL_IF(e->side != i - n0 || e->from != TS_ESTABLISHED || e->to != TS_CLOSED,
			"event %d: side %u %s -> %s, want side %d ESTABLISHED -> CLOSED", i,
			e->side, ts_state_name(e->from), ts_state_name(e->to), i - n0);
		ASSERT_EQ(e->tcp_flags, F_RST | F_ACK, "event's flags: the RST's");
		ASSERT_EQ(e->dir, 0, "event's direction (ingress)");
	}
	FAIL_IF(rec_counts(&w1, &l1), "read counters: %s", strerror(errno));
	ASSERT_EQ(w1 - w0, 1, "records counted");
	ASSERT_EQ(l1 - l0, 0, "records_lost counted");
	ASSERT_EQ(drain(), 1, "records on the ring");
	FAIL_IF(memcmp(&recs[0].key, &k, sizeof(k)), "record key: not the connection's");
	ASSERT_EQ(recs[0].cause, TS_REC_CLOSED, "record cause");
	ASSERT_EQ(recs[0].end_flags, F_RST | F_ACK, "record: the flags of the RST that ended it");
	ASSERT_EQ(recs[0].end_side, TS_CLIENT, "record: who sent it");
	ASSERT_EQ(recs[0].flow.ep[TS_CLIENT].state, TS_CLOSED, "record: client state");
	ASSERT_EQ(recs[0].flow.ep[TS_SERVER].state, TS_CLOSED, "record: server state");
	return 0;
}

static const struct tcase cases[] = {
	{ "records on: refused connections (SYN in, RST out) write one record each",
	  .setup = records_on, .post = post_refused },
	{ "records on: a connection reset on the wire writes one record (key, cause, "
	  "who ended it, packets, payload and IP bytes each way, final states)",
	  .setup = records_on, .post = post_record },
	{ "an exact RST in two IP fragments: once whole, a state event for each side and "
	  "the record, as a whole RST writes",
	  .setup = events_records_on, .post = post_frag_rst },
	{ "records off (no reader asking): no record, none counted lost",
	  .post = post_no_reader },
	{ "a full ring: the record that does not fit (userspace's, the datapath's) is "
	  "counted in records_lost; once read, the ring takes records again",
	  .setup = records_on, .post = post_full },
};

AREA(records, cases);
