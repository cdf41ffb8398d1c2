// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the connection records' outputs: the Community ID (the
 * spec's example, and values Wireshark's tshark computed for the lab's
 * tuples), how a connection ended, the JSON record, and the IPFIX
 * encoding, read back byte by byte as RFC 7011 lays it out (not through
 * libfixbuf, which wrote it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <tcpsentry/fsm.h>
#include <tcpsentry/flowkey.h>
#include "community_id.h"
#include "ipfix.h"
#include "record.h"

#define T0 5000000000ull

static void addr16(__u8 a[16], const char *s)
{
	memset(a, 0, 16);
	if (strchr(s, ':')) {
		inet_pton(AF_INET6, s, a);
	} else {
		a[10] = a[11] = 0xff;
		inet_pton(AF_INET, s, a + 12);
	}
}

static void test_community_id(void **state)
{
	static const struct {
		const char *a, *b;
		__u16 pa, pb;
		const char *want;
	} v[] = {
		/* the spec's example TCP flow */
		{ "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
		/* computed by tshark --enable-protocol communityid for these tuples */
		{ "198.18.0.2", "198.18.0.1", 40000, 80, "1:0dvoUAi44iHQFwwitBfoVDLuk+o=" },
		{ "2001:db8::2", "2001:db8::1", 40000, 443, "1:jn1M/64iWT+nYqxpE1jYHo+15rE=" },
	};
	char out[TS_COMMUNITY_ID_LEN];
	__u8 a[16], b[16];
	size_t i;

	(void)state;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		addr16(a, v[i].a);
		addr16(b, v[i].b);
		assert_string_equal(ts_community_id(out, sizeof(out), a, htons(v[i].pa), b,
						    htons(v[i].pb), 0), v[i].want);
		/* either direction: the same flow */
		assert_string_equal(ts_community_id(out, sizeof(out), b, htons(v[i].pb), a,
						    htons(v[i].pa), 0), v[i].want);
	}
	/* another seed, another hash */
	addr16(a, v[0].a);
	addr16(b, v[0].b);
	ts_community_id(out, sizeof(out), a, htons(34855), b, htons(80), 1);
	assert_string_not_equal(out, v[0].want);
}

/* a connection 198.18.0.2:40000 -> 198.18.0.1:80, driven through the state
 * machine segment by segment (from: TS_CLIENT or TS_SERVER) */
struct conn {
	struct ts_record r;
	__u64 now;
	__u32 seq[2];
};

static void conn_start(struct conn *c, const char *cl, const char *sv, __u16 cp, __u16 sp)
{
	__u32 ca[4], sa[4];
	int ci;

	memset(c, 0, sizeof(*c));
	addr16((__u8 *)ca, cl);
	addr16((__u8 *)sa, sv);
	ci = ts_key_make(&c->r.key, ca, htons(cp), sa, htons(sp));
	c->r.flow.client = (__u8)ci;
	c->r.flow.family = strchr(cl, ':') ? 6 : 4;
	c->now = T0;
	c->seq[0] = 1000;
	c->seq[1] = 9000;
}

/* one segment; the record's cause and closing segment as the datapath
 * would set them when the step ends the connection */
static void seg(struct conn *c, int from, __u8 flags, __u32 len)
{
	struct ts_seg s = { .flags = flags, .from = (__u8)from, .len = len, .win = 65535 };
	__u32 ret;

	s.seq = c->seq[from];
	s.ack = (flags & TS_TCP_ACK) ? c->seq[!from] : 0;
	c->seq[from] += len + !!(flags & TS_TCP_SYN) + !!(flags & TS_TCP_FIN);
	c->now += 1000000;
	if (!c->r.flow.first_seen_ns) {
		c->r.flow.first_seen_ns = c->now;
		c->r.flow.state_ns = c->now;
	}
	ret = ts_fsm_step(&c->r.flow, &s, c->now, 1);
	c->r.flow.ep[s.from].ip_bytes += 40 + len;
	if (ts_record_due(&c->r.flow, ret & (TS_STEP_CLIENT_CHANGED | TS_STEP_SERVER_CHANGED))) {
		c->r.flow.flags |= TS_F_RECORDED;
		c->r.cause = TS_REC_CLOSED;
		c->r.end_flags = flags;
		c->r.end_side = s.from;
	}
}

static void handshake(struct conn *c)
{
	seg(c, TS_CLIENT, TS_TCP_SYN, 0);
	seg(c, TS_SERVER, TS_TCP_SYN | TS_TCP_ACK, 0);
	seg(c, TS_CLIENT, TS_TCP_ACK, 0);
}

static void test_end(void **state)
{
	struct conn c;

	(void)state;

	/* the server closes first: recorded on the client's last ACK */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40000, 80);
	handshake(&c);
	seg(&c, TS_SERVER, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c, TS_CLIENT, TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, 0);
	seg(&c, TS_CLIENT, TS_TCP_FIN | TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, 0); /* the server's LAST_ACK ... */
	seg(&c, TS_SERVER, TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, TS_REC_CLOSED); /* ... then both TIME_WAIT or CLOSED */
	assert_int_equal(ts_rec_end(&c.r), TS_END_SERVER_FIN);
	assert_string_equal(ts_rec_end_name(ts_rec_end(&c.r)), "server_fin");

	/* a FIN from the client, then the server aborts: the RST ended it */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40001, 80);
	handshake(&c);
	seg(&c, TS_CLIENT, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c, TS_SERVER, TS_TCP_RST | TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, TS_REC_CLOSED);
	assert_int_equal(ts_rec_end(&c.r), TS_END_SERVER_RST);

	/* refused: SYN, RST|ACK */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40002, 81);
	seg(&c, TS_CLIENT, TS_TCP_SYN, 0);
	seg(&c, TS_SERVER, TS_TCP_RST | TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, TS_REC_CLOSED);
	assert_int_equal(ts_rec_end(&c.r), TS_END_SERVER_RST);

	/* half-closed, then expired by the sweeper: who sent the FIN */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40003, 80);
	handshake(&c);
	seg(&c, TS_CLIENT, TS_TCP_FIN | TS_TCP_ACK, 0);
	assert_int_equal(c.r.cause, 0);
	c.r.cause = TS_REC_EXPIRED;
	assert_int_equal(ts_rec_end(&c.r), TS_END_CLIENT_FIN);

	/* no FIN, no RST: timeout, or detach */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40004, 80);
	handshake(&c);
	c.r.cause = TS_REC_EXPIRED;
	assert_int_equal(ts_rec_end(&c.r), TS_END_TIMEOUT);
	c.r.cause = TS_REC_DETACH;
	assert_string_equal(ts_rec_end_name(ts_rec_end(&c.r)), "detach");
	assert_string_equal(ts_rec_cause_name(TS_REC_DETACH), "detach");
	assert_string_equal(ts_rec_cause_name(99), "?");
}

static char *json_of(const struct ts_record *r, const char *iface)
{
	struct ts_rec_view v = { .iface = iface, .rec = r, .wall_off_ns = 1700000000ll * 1000000000ll };
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ts_print_record_json(f, &v);
	fclose(f);
	return buf;
}

static void test_json(void **state)
{
	struct conn c;
	char *j;

	(void)state;

	/* the client closes first, 100 bytes up, 2000 down */
	conn_start(&c, "198.18.0.2", "198.18.0.1", 40000, 80);
	handshake(&c);
	seg(&c, TS_CLIENT, TS_TCP_ACK | TS_TCP_PSH, 100);
	seg(&c, TS_SERVER, TS_TCP_ACK, 0);
	seg(&c, TS_SERVER, TS_TCP_ACK | TS_TCP_PSH, 2000);
	seg(&c, TS_CLIENT, TS_TCP_ACK, 0);
	seg(&c, TS_CLIENT, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c, TS_SERVER, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c, TS_CLIENT, TS_TCP_ACK, 0);
	j = json_of(&c.r, "veth\"0");
	assert_string_equal(j,
		"{\"ts\":1700000005.001000,\"ts_end\":1700000005.010000,\"type\":\"conn\","
		"\"iface\":\"veth\\\"0\",\"family\":\"ipv4\",\"client\":\"198.18.0.2:40000\","
		"\"server\":\"198.18.0.1:80\",\"client_state\":\"TIME_WAIT\","
		"\"server_state\":\"CLOSED\",\"conn_state\":\"SF\",\"history\":\"ShADadFf\","
		"\"packets_c2s\":6,\"packets_s2c\":4,\"bytes_c2s\":100,\"bytes_s2c\":2000,"
		"\"handshake_us\":1000,\"first_seen_ns\":5001000000,\"last_seen_ns\":5010000000,"
		"\"picked_up\":false,\"rtt_us\":0,\"min_rtt_us\":0,\"srtt_us\":0,"
		"\"host_rtt_us\":0,\"host_min_rtt_us\":0,\"host_srtt_us\":0,\"retrans_c2s\":0,"
		"\"retrans_s2c\":0,\"reorder_c2s\":0,\"reorder_s2c\":0,\"zero_window_ms\":0,"
		"\"zero_window_stalls\":0,\"syn_retrans\":0,\"synack_retrans\":0,\"tlp_c2s\":0,"
		"\"tlp_s2c\":0,\"ip_bytes_c2s\":340,\"ip_bytes_s2c\":2160,"
		"\"duration_ms\":9.000,\"cause\":\"closed\",\"end\":\"client_fin\","
		"\"community_id\":\"1:0dvoUAi44iHQFwwitBfoVDLuk+o=\"}\n");
	free(j);

	/* IPv6, picked up mid-stream, expired */
	conn_start(&c, "2001:db8::2", "2001:db8::1", 40000, 443);
	seg(&c, TS_CLIENT, TS_TCP_ACK, 10);
	c.r.flow.flags |= TS_F_PICKED_UP;
	c.r.cause = TS_REC_EXPIRED;
	j = json_of(&c.r, "v6");
	assert_non_null(strstr(j, "\"family\":\"ipv6\",\"client\":\"[2001:db8::2]:40000\","
				  "\"server\":\"[2001:db8::1]:443\""));
	assert_non_null(strstr(j, "\"picked_up\":true"));
	assert_non_null(strstr(j, "\"cause\":\"expired\",\"end\":\"timeout\","
				  "\"community_id\":\"1:jn1M/64iWT+nYqxpE1jYHo+15rE=\"}\n"));
	free(j);
}

/* ---- IPFIX, read back as RFC 7011 lays it out ------------------------------ */

struct field {
	__u16 id, len;
	__u32 pen;
};

struct tmpl {
	__u16 tid, n;
	struct field f[64];
};

struct decoded {
	struct tmpl t[4];
	int nt;
	/* the values of the data records, by (pen, id), in the order read */
	struct val {
		__u16 tid, id;
		__u32 pen;
		const __u8 *p;
		__u16 len;
		int rec;
	} v[256];
	int nv, nrec;
};

static __u16 g16(const __u8 *p) { return (__u16)(p[0] << 8 | p[1]); }
static __u32 g32(const __u8 *p) { return (__u32)g16(p) << 16 | g16(p + 2); }
static __u64 g64(const __u8 *p) { return (__u64)g32(p) << 32 | g32(p + 4); }

static void decode(const __u8 *b, size_t n, struct decoded *d)
{
	size_t off = 0;

	memset(d, 0, sizeof(*d));
	while (off + 16 <= n) {
		__u16 mlen = g16(b + off + 2);
		size_t s = off + 16;

		assert_int_equal(g16(b + off), 10); /* IPFIX */
		assert_true(mlen >= 16 && off + mlen <= n);
		while (s + 4 <= off + mlen) {
			__u16 sid = g16(b + s), slen = g16(b + s + 2);
			size_t p = s + 4, end = s + slen;

			assert_true(slen >= 4 && end <= off + mlen);
			if (sid == 2) {
				while (p + 4 <= end) {
					struct tmpl *t = &d->t[d->nt++];
					__u16 i;

					assert_true(d->nt <= 4);
					t->tid = g16(b + p);
					t->n = g16(b + p + 2);
					p += 4;
					for (i = 0; i < t->n; i++) {
						t->f[i].id = g16(b + p) & 0x7fff;
						t->f[i].len = g16(b + p + 2);
						t->f[i].pen = (g16(b + p) & 0x8000) ? g32(b + p + 4) : 0;
						p += (g16(b + p) & 0x8000) ? 8 : 4;
					}
				}
			} else if (sid >= 256) {
				const struct tmpl *t = NULL;
				int k;

				for (k = 0; k < d->nt; k++)
					if (d->t[k].tid == sid)
						t = &d->t[k];
				assert_non_null(t);
				while (p < end && t) {
					__u16 i;

					for (i = 0; i < t->n; i++) {
						struct val *v = &d->v[d->nv++];
						__u16 l = t->f[i].len;

						if (l == 65535) {
							l = b[p++];
							if (l == 255) {
								l = g16(b + p);
								p += 2;
							}
						}
						*v = (struct val){ sid, t->f[i].id, t->f[i].pen, b + p, l,
								   d->nrec };
						p += l;
					}
					d->nrec++;
					if (end - p < 4)
						break; /* set padding */
				}
			}
			s = end;
		}
		off += mlen;
	}
}

static const struct val *val(const struct decoded *d, int rec, __u32 pen, __u16 id)
{
	int i;

	for (i = 0; i < d->nv; i++)
		if (d->v[i].rec == rec && d->v[i].pen == pen && d->v[i].id == id)
			return &d->v[i];
	return NULL;
}

static __u64 uval(const struct decoded *d, int rec, __u32 pen, __u16 id)
{
	const struct val *v = val(d, rec, pen, id);

	assert_non_null(v);
	switch (v->len) {
	case 1: return v->p[0];
	case 2: return g16(v->p);
	case 4: return g32(v->p);
	case 8: return g64(v->p);
	}
	fail_msg("element %u/%u has length %u", pen, id, v->len);
	return 0;
}

static int has_template(const struct decoded *d, __u16 tid, __u32 pen, __u16 id)
{
	int k, i;

	for (k = 0; k < d->nt; k++)
		for (i = 0; d->t[k].tid == tid && i < d->t[k].n; i++)
			if (d->t[k].f[i].pen == pen && d->t[k].f[i].id == id)
				return 1;
	return 0;
}

static void test_ipfix(void **state)
{
	char path[] = "/tmp/ts-ipfix-XXXXXX", url[64], err[256];
	static __u8 buf[65536];
	struct ts_ipfix *x;
	struct decoded *d = calloc(1, sizeof(*d));
	struct conn c4, c6;
	const struct val *v;
	__s64 off = 1700000000ll * 1000000000ll;
	FILE *f;
	size_t n;
	int fd = mkstemp(path);

	(void)state;

	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "file:%s", path);
	/* the client closes first; and a v6 one the server aborts */
	conn_start(&c4, "198.18.0.2", "198.18.0.1", 40000, 80);
	handshake(&c4);
	seg(&c4, TS_CLIENT, TS_TCP_ACK | TS_TCP_PSH, 100);
	seg(&c4, TS_SERVER, TS_TCP_ACK | TS_TCP_PSH, 2000);
	seg(&c4, TS_CLIENT, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c4, TS_SERVER, TS_TCP_FIN | TS_TCP_ACK, 0);
	seg(&c4, TS_CLIENT, TS_TCP_ACK, 0);
	conn_start(&c6, "2001:db8::2", "2001:db8::1", 40000, 443);
	handshake(&c6);
	seg(&c6, TS_SERVER, TS_TCP_RST | TS_TCP_ACK, 0);
	assert_null(ts_ipfix_open("udp://nohost", 0, err, sizeof(err))); /* no port */
	x = ts_ipfix_open(url, 0, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(ts_ipfix_add(x, &c4.r, 7, off), 0);
	assert_int_equal(ts_ipfix_add(x, &c6.r, 7, off), 0);
	assert_int_equal(ts_ipfix_flush(x), 0);
	ts_ipfix_close(x);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(path);
	decode(buf, n, d);

	/* two templates: v4 and v6, the family's addresses only */
	assert_int_equal(d->nt, 2);
	assert_true(has_template(d, 0x101, 0, 8) && has_template(d, 0x101, 0, 12));
	assert_false(has_template(d, 0x101, 0, 27));
	assert_true(has_template(d, 0x102, 0, 27) && has_template(d, 0x102, 0, 28));
	assert_false(has_template(d, 0x102, 0, 8));
	/* RFC 5103 reverse counters: PEN 29305, the forward element's id */
	assert_true(has_template(d, 0x101, 29305, 1) && has_template(d, 0x101, 29305, 2));
	assert_true(has_template(d, 0x101, TS_IPFIX_PEN, 3));
	assert_false(has_template(d, 0x101, 0, 210)); /* the padding stays internal */
	assert_int_equal(d->nrec, 2);

	/* the v4 record */
	assert_int_equal(uval(d, 0, 0, 8), 0xc6120002u);    /* sourceIPv4Address: client */
	assert_int_equal(uval(d, 0, 0, 12), 0xc6120001u);   /* destinationIPv4Address */
	assert_int_equal(uval(d, 0, 0, 7), 40000);
	assert_int_equal(uval(d, 0, 0, 11), 80);
	assert_int_equal(uval(d, 0, 0, 4), 6);
	assert_int_equal(uval(d, 0, 0, 2), c4.r.flow.ep[TS_CLIENT].packets);
	assert_int_equal(uval(d, 0, 0, 1), c4.r.flow.ep[TS_CLIENT].ip_bytes);
	assert_int_equal(uval(d, 0, 29305, 2), c4.r.flow.ep[TS_SERVER].packets);
	assert_int_equal(uval(d, 0, 29305, 1), c4.r.flow.ep[TS_SERVER].ip_bytes);
	assert_int_equal(uval(d, 0, 0, 152), 1700000005001ull);  /* flowStartMilliseconds */
	assert_int_equal(uval(d, 0, 0, 153), 1700000005008ull);
	assert_int_equal(uval(d, 0, 0, 136), 3);  /* flowEndReason: end of flow detected */
	assert_int_equal(uval(d, 0, 0, 239), 1);  /* biflowDirection: initiator */
	assert_int_equal(uval(d, 0, 0, 10), 7);   /* ingressInterface */
	assert_int_equal(uval(d, 0, 0, 6), TS_TCP_SYN | TS_TCP_ACK | TS_TCP_FIN);
	assert_int_equal(uval(d, 0, TS_IPFIX_PEN, 1), TS_TIME_WAIT);
	assert_int_equal(uval(d, 0, TS_IPFIX_PEN, 2), TS_CLOSED);
	assert_int_equal(uval(d, 0, TS_IPFIX_PEN, 7), TS_END_CLIENT_FIN);
	assert_int_equal(uval(d, 0, TS_IPFIX_PEN, 9), 100);
	assert_int_equal(uval(d, 0, TS_IPFIX_PEN, 10), 2000);
	v = val(d, 0, TS_IPFIX_PEN, 3);
	assert_non_null(v);
	assert_int_equal(v->len, 2);
	assert_memory_equal(v->p, "SF", 2);
	v = val(d, 0, TS_IPFIX_PEN, 8);
	assert_non_null(v);
	assert_int_equal(v->len, 30);
	assert_memory_equal(v->p, "1:0dvoUAi44iHQFwwitBfoVDLuk+o=", 30);

	/* the v6 record */
	v = val(d, 1, 0, 27);
	assert_non_null(v);
	assert_int_equal(v->len, 16);
	assert_memory_equal(v->p, c6.r.key.addr[c6.r.flow.client], 16);
	assert_int_equal(uval(d, 1, 0, 11), 443);
	assert_int_equal(uval(d, 1, TS_IPFIX_PEN, 7), TS_END_SERVER_RST);
	v = val(d, 1, TS_IPFIX_PEN, 3);
	assert_memory_equal(v->p, "RSTR", 4);
	free(d);
}

static void test_ipfix_parse(void **state)
{
	char h[64], p[16];
	int t;

	(void)state;

	assert_int_equal(ts_ipfix_parse("198.18.0.9:4739", &t, h, sizeof(h), p, sizeof(p)), 0);
	assert_int_equal(t, TS_IPFIX_UDP);
	assert_string_equal(h, "198.18.0.9");
	assert_string_equal(p, "4739");
	assert_int_equal(ts_ipfix_parse("tcp://[2001:db8::9]:4739", &t, h, sizeof(h), p, sizeof(p)), 0);
	assert_int_equal(t, TS_IPFIX_TCP);
	assert_string_equal(h, "2001:db8::9");
	assert_int_equal(ts_ipfix_parse("udp://collector.example:2055", &t, h, sizeof(h), p,
					sizeof(p)), 0);
	assert_int_equal(ts_ipfix_parse("file:/tmp/x.ipfix", &t, h, sizeof(h), p, sizeof(p)), 0);
	assert_int_equal(t, TS_IPFIX_FILE);
	assert_int_equal(ts_ipfix_parse("sctp://h:1", &t, h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(ts_ipfix_parse("h:0", &t, h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(ts_ipfix_parse("h:65536", &t, h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(ts_ipfix_parse("2001:db8::9:4739", &t, h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(ts_ipfix_parse("h:", &t, h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(ts_ipfix_parse(":4739", &t, h, sizeof(h), p, sizeof(p)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_community_id),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ipfix),
		cmocka_unit_test(test_ipfix_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
