// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of user/lib/format.c: state names, endpoints, Zeek conn_state
 * (from real segment sequences run through the state machine), and the
 * JSON lines `conns --json` and `events --json` print.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <tcpsentry/fsm.h>
#include "format.h"
#include "policy_keys.h"
#include <tcpsentry/sketch.h>
#include <arpa/inet.h>

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define T0 1000000000ull
#define DT 1000000ull
#define SEC 1000000000ull

/* ------------------------------------------------------------------ */
/* Flows built the way the datapath builds them.                       */

enum { A = 0, B = 1 }; /* flow-key indices */

#define fSYN TS_TCP_SYN
#define fSA  (TS_TCP_SYN | TS_TCP_ACK)
#define fA   TS_TCP_ACK
#define fPA  (TS_TCP_PSH | TS_TCP_ACK)
#define fF   TS_TCP_FIN
#define fFA  (TS_TCP_FIN | TS_TCP_ACK)
#define fR   TS_TCP_RST
#define fRA  (TS_TCP_RST | TS_TCP_ACK)

struct seg {
	__u8 who, flags;
	__u32 seq, ack, len;
};

/* ::ffff:198.18.0.1 port 40000 (A) and ::ffff:198.18.0.2 port 80 (B) */
static void key_v4(struct ts_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->addr[0][10] = k->addr[0][11] = 0xff;
	k->addr[1][10] = k->addr[1][11] = 0xff;
	inet_pton(AF_INET, "198.18.0.1", &k->addr[0][12]);
	inet_pton(AF_INET, "198.18.0.2", &k->addr[1][12]);
	k->port[0] = htons(40000);
	k->port[1] = htons(80);
}

/* [2001:db8::1]:443 (A, the server) and [2001:db8::2]:40000 (B, the client) */
static void key_v6(struct ts_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET6, "2001:db8::1", k->addr[0]);
	inet_pton(AF_INET6, "2001:db8::2", k->addr[1]);
	k->port[0] = htons(443);
	k->port[1] = htons(40000);
}

/* Segments i at T0 + i ms; `local`: key index of this host, -1 none. */
static void feed(struct ts_flow *f, const struct ts_flow_key *k, const struct seg *s, size_t n,
		 int local)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->family = ts_addr_family(k->addr[0]);
	for (i = 0; i < n; i++) {
		struct ts_seg sg = {
			.seq = s[i].seq, .ack = s[i].ack, .len = s[i].len, .win = 65535,
			.flags = s[i].flags,
		};
		__u64 now = T0 + i * DT;

		if (i == 0)
			ts_flow_start(f, &sg, s[i].who, ntohs(k->port[s[i].who]),
				      ntohs(k->port[!s[i].who]), now);
		else
			sg.from = s[i].who == f->client ? TS_CLIENT : TS_SERVER;
		ts_fsm_step(f, &sg, now, local >= 0 && (s[i].who ^ 1) == local);
	}
}

#define HANDSHAKE                                                              \
	{ A, fSYN, 1000, 0, 0 }, { B, fSA, 5000, 1001, 0 }, { A, fA, 1001, 5001, 0 }
#define DATA                                                                   \
	{ A, fPA, 1001, 5001, 100 }, { B, fA, 5001, 1101, 0 },                 \
	{ B, fPA, 5001, 1101, 200 }, { A, fA, 1101, 5201, 0 }
#define CLOSE                                                                  \
	{ A, fFA, 1101, 5201, 0 }, { B, fA, 5201, 1102, 0 },                   \
	{ B, fFA, 5201, 1102, 0 }, { A, fA, 1102, 5202, 0 }

/* ------------------------------------------------------------------ */
/* A strict reader for the flat one-line JSON objects format.c prints. */

struct jmember {
	char key[32];
	char val[160];
	int is_str;
};

/* a JSON string at p; its unescaped body into out; returns the end */
static const char *jstr(const char *p, char *out, size_t n)
{
	size_t o = 0;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;
		unsigned v;

		if (c == '"')
			break;
		if (c < 0x20) /* includes the NUL: unterminated */
			return NULL;
		if (c == '\\') {
			switch (*p++) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (sscanf(p, "%4x", &v) != 1 || strspn(p, "0123456789abcdefABCDEF") < 4 ||
				    v > 0x7f)
					return NULL; /* only ASCII escapes are expected here */
				c = (unsigned char)v;
				p += 4;
				break;
			default:
				return NULL;
			}
		}
		if (o + 1 >= n)
			return NULL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return p;
}

static const char *jscalar(const char *p, char *out, size_t n)
{
	const char *q = p;
	size_t len;

	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) {
		q = p + 4;
	} else if (!strncmp(p, "false", 5)) {
		q = p + 5;
	} else {
		if (*q == '-')
			q++;
		if (*q == '0')
			q++;
		else if (*q >= '1' && *q <= '9')
			q += strspn(q, "0123456789");
		else
			return NULL;
		if (*q == '.') {
			q++;
			if (!strspn(q, "0123456789"))
				return NULL;
			q += strspn(q, "0123456789");
		}
	}
	len = (size_t)(q - p);
	if (len >= n)
		return NULL;
	memcpy(out, p, len);
	out[len] = '\0';
	return q;
}

/* One line "{...}\n" of flat members, no duplicates: returns their count,
 * -1 if anything about it is off. */
static int json_line(const char *p, struct jmember *m, int max)
{
	int n = 0, i;

	if (*p++ != '{')
		return -1;
	if (*p != '}') {
		for (;;) {
			if (n == max)
				return -1;
			p = jstr(p, m[n].key, sizeof(m[n].key));
			if (!p || *p++ != ':')
				return -1;
			m[n].is_str = *p == '"';
			p = m[n].is_str ? jstr(p, m[n].val, sizeof(m[n].val))
					: jscalar(p, m[n].val, sizeof(m[n].val));
			if (!p)
				return -1;
			for (i = 0; i < n; i++)
				if (!strcmp(m[i].key, m[n].key))
					return -1;
			n++;
			if (*p == ',') {
				p++;
				continue;
			}
			break;
		}
	}
	if (*p++ != '}' || *p++ != '\n' || *p)
		return -1;
	return n;
}

static const struct jmember *jget(const struct jmember *m, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(m[i].key, key))
			return &m[i];
	return NULL;
}

static void assert_keys(const struct jmember *m, int n, const char *const *keys, int nkeys)
{
	int i;

	assert_int_equal(n, nkeys);
	for (i = 0; i < n; i++)
		assert_string_equal(m[i].key, keys[i]);
}

static void assert_str_member(const struct jmember *m, int n, const char *key, const char *v)
{
	const struct jmember *j = jget(m, n, key);

	assert_non_null(j);
	assert_true(j->is_str);
	assert_string_equal(j->val, v);
}

static void assert_raw_member(const struct jmember *m, int n, const char *key, const char *v)
{
	const struct jmember *j = jget(m, n, key);

	assert_non_null(j);
	assert_false(j->is_str);
	assert_string_equal(j->val, v);
}

/* ------------------------------------------------------------------ */
/* Capturing what a printer writes.                                    */

struct cap {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static char *cap_close(struct cap *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

static char *json_escaped(const char *s)
{
	struct cap c;

	ts_json_str(cap_open(&c), s);
	return cap_close(&c);
}

static char *conn_json(const struct ts_flow_key *k, const struct ts_flow *f, const char *iface,
		       __u64 now)
{
	static const __u32 to[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	struct ts_conn_view v = { .iface = iface, .key = k, .flow = f, .now_ns = now,
				  .timeouts = to };
	struct cap c;

	ts_print_conn_json(cap_open(&c), &v);
	return cap_close(&c);
}

/* ------------------------------------------------------------------ */

static void test_state_names(void **state)
{
	static const char *const names[TS_STATE_MAX] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
		"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
	};
	unsigned i;

	(void)state;
	for (i = 0; i < TS_STATE_MAX; i++) {
		assert_string_equal(ts_state_name(i), names[i]);
		assert_int_equal(ts_state_parse(names[i]), i); /* round trip */
	}
	assert_string_equal(ts_state_name(TS_STATE_MAX), "?");
	assert_string_equal(ts_state_name(255), "?");
	assert_string_equal(ts_state_name(~0u), "?");
}

static void test_state_parse(void **state)
{
	static const struct {
		const char *in;
		int want;
	} t[] = {
		/* ss(8) spellings */
		{ "ESTAB", TS_ESTABLISHED },
		{ "estab", TS_ESTABLISHED },
		{ "SYN-RECV", TS_SYN_RCVD },
		{ "syn-recv", TS_SYN_RCVD },
		{ "SYN-SENT", TS_SYN_SENT },
		{ "FIN-WAIT-1", TS_FIN_WAIT_1 },
		{ "FIN-WAIT-2", TS_FIN_WAIT_2 },
		{ "fin-wait-2", TS_FIN_WAIT_2 },
		{ "CLOSE-WAIT", TS_CLOSE_WAIT },
		{ "LAST-ACK", TS_LAST_ACK },
		{ "TIME-WAIT", TS_TIME_WAIT },
		{ "time-wait", TS_TIME_WAIT },
		{ "CLOSING", TS_CLOSING },
		{ "LISTEN", TS_LISTEN },
		{ "closed", TS_CLOSED },
		/* ours, any case */
		{ "established", TS_ESTABLISHED },
		{ "Established", TS_ESTABLISHED },
		{ "syn_rcvd", TS_SYN_RCVD },
		{ "SYN-RCVD", TS_SYN_RCVD },
		{ "syn_recv", TS_SYN_RCVD },
		{ "fin_wait_1", TS_FIN_WAIT_1 },
		/* bad input */
		{ "", -1 },
		{ "ESTABLISHEDX", -1 },
		{ "ESTA", -1 },
		{ " ESTAB", -1 },
		{ "ESTAB ", -1 },
		{ "FIN WAIT 2", -1 },
		{ "FIN_WAIT_3", -1 },
		{ "UNCONN", -1 },
		{ "?", -1 },
		{ "4", -1 },
		{ "SYN-RECV\n", -1 },
		{ "ESTABLISHEDESTABLISHEDESTABLISHED", -1 }, /* longer than any name */
		{ "TIME_WAIT_TIME_WAIT_TIME_WAIT_TIME_WAIT_TIME_WAIT_TIME_WAIT", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++)
		if (ts_state_parse(t[i].in) != t[i].want)
			fail_msg("ts_state_parse(\"%s\") = %d, want %d", t[i].in,
				 ts_state_parse(t[i].in), t[i].want);
	assert_int_equal(ts_state_parse(NULL), -1);
}

static void test_counter_names(void **state)
{
	unsigned i, j;

	(void)state;
	assert_string_equal(ts_counter_name(TS_C_PKTS_IN), "packets_ingress");
	assert_string_equal(ts_counter_name(TS_C_RST), "rst");
	assert_string_equal(ts_counter_name(TS_C_SYN_UNTRACKED_FLOOD), "syn_untracked_flood");
	for (i = 0; i <= TS_C_SYN_UNTRACKED_FLOOD; i++) {
		if (i == TS_C_RETIRED_27 || i == TS_C_RETIRED_28) {
			/* never written: kept unnamed, so never printed */
			assert_null(ts_counter_name(i));
			continue;
		}
		assert_non_null(ts_counter_name(i));
		for (j = 0; j < i; j++) /* distinct names */
			if (ts_counter_name(j))
				assert_string_not_equal(ts_counter_name(i), ts_counter_name(j));
	}
	assert_null(ts_counter_name(TS_C_MAX - 1));
	assert_null(ts_counter_name(TS_C_MAX));
	assert_null(ts_counter_name(~0u));
}

static void test_fmt_endpoint(void **state)
{
	static const struct {
		const char *addr;
		int v4;
		__u16 port;
		const char *want;
	} t[] = {
		{ "198.18.0.2", 1, 40000, "198.18.0.2:40000" },
		{ "0.0.0.0", 1, 1, "0.0.0.0:1" },
		{ "255.255.255.255", 1, 65535, "255.255.255.255:65535" },
		{ "2001:db8::2", 0, 40000, "[2001:db8::2]:40000" },
		{ "::1", 0, 80, "[::1]:80" },
		{ "::", 0, 0, "[::]:0" },
		{ "fe80::1:2:3:4", 0, 22, "[fe80::1:2:3:4]:22" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 65535,
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
		{ "::fffe:c612:2", 0, 80, "[::fffe:c612:2]:80" }, /* not v4-mapped */
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		__u8 a[16] = { 0 };

		if (t[i].v4) {
			a[10] = a[11] = 0xff;
			assert_int_equal(inet_pton(AF_INET, t[i].addr, a + 12), 1);
		} else {
			assert_int_equal(inet_pton(AF_INET6, t[i].addr, a), 1);
		}
		assert_int_equal(ts_addr_family(a), t[i].v4 ? 4 : 6);
		memset(buf, 'x', sizeof(buf));
		assert_ptr_equal(ts_fmt_endpoint(buf, sizeof(buf), a, htons(t[i].port)), buf);
		assert_string_equal(buf, t[i].want);
	}

	/* a short buffer truncates, NUL-terminated, nothing written past it */
	{
		__u8 a[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 2 };

		memset(buf, 'x', sizeof(buf));
		ts_fmt_endpoint(buf, 10, a, htons(40000));
		assert_string_equal(buf, "198.18.0.");
		assert_int_equal(buf[10], 'x');
	}
}

/* The one address formatter (endpoints, bans, top sources, CIDRs): the
 * family from the v4-mapped prefix, or as the caller says. */
static void test_fmt_addr(void **state)
{
	__u8 v4[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 7 };
	__u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	__u8 mapped_as_v6[16] = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 };
	char buf[64];

	(void)state;
	assert_ptr_equal(ts_fmt_addr(buf, sizeof(buf), v4), buf);
	assert_string_equal(buf, "198.18.0.7");
	assert_string_equal(ts_fmt_addr(buf, sizeof(buf), v6), "2001:db8::2");
	/* a family given: an IPv6 CIDR over the v4-mapped range stays IPv6 */
	assert_string_equal(ts_fmt_ip(buf, sizeof(buf), mapped_as_v6, 6), "::ffff:1.2.3.4");
	assert_string_equal(ts_fmt_ip(buf, sizeof(buf), v4, 4), "198.18.0.7");
	/* too short for the address: "?", never a partial one */
	assert_string_equal(ts_fmt_addr(buf, 8, v6), "?");
	{
		struct ts_cidr c;
		char err[128];

		assert_int_equal(ts_cidr_parse("198.18.0.0/15", &c, err, sizeof(err)), 0);
		assert_string_equal(ts_cidr_format(buf, sizeof(buf), &c), "198.18.0.0/15");
		assert_int_equal(ts_cidr_parse("::ffff:0:0/96", &c, err, sizeof(err)), 0);
		assert_string_equal(ts_cidr_format(buf, sizeof(buf), &c), "::ffff:0.0.0.0/96");
		assert_int_equal(ts_cidr_parse("2001:db8::/32", &c, err, sizeof(err)), 0);
		assert_string_equal(ts_cidr_format(buf, sizeof(buf), &c), "2001:db8::/32");
	}
}

/* What `status` and `stats` both print of the drops: every named reason in
 * JSON (zeros too), only the non-zero ones as text, and the ban counts. */
static void test_print_drops(void **state)
{
	struct ts_drops d = {};
	struct cap c;
	char *t;
	unsigned r;

	(void)state;
	d.dropped[TS_D_DENY] = 7;
	d.would_drop[TS_D_ANOMALY + TS_A_BAD_FLAGS] = 3;
	d.bans = 2;
	d.allowed = 9;
	ts_print_drops(cap_open(&c), &d, 1);
	t = cap_close(&c);
	assert_non_null(strstr(t, ",\"dropped\":{\"deny\":7,\"banned\":0,"));
	assert_non_null(strstr(t, "\"would_drop\":{\"deny\":0,"));
	assert_non_null(strstr(t, "\"bad_flags\":3"));
	assert_non_null(strstr(t, "},\"bans_written\":2,\"ban_failed\":0,\"allowlisted\":9"));
	for (r = 0; r < TS_D_MAX; r++) {
		char key[64];

		if (!ts_drop_reason_name(r))
			continue;
		snprintf(key, sizeof(key), "\"%s\":", ts_drop_reason_name(r));
		assert_non_null(strstr(t, key));
	}
	free(t);
	ts_print_drops(cap_open(&c), &d, 0);
	t = cap_close(&c);
	assert_string_equal(t, "  dropped_deny                     7\n"
			       "  would_drop_bad_flags             3\n"
			       "  bans_written                     2\n"
			       "  ban_failed                       0\n"
			       "  allowlisted                      9\n");
	free(t);
}

static void test_print_floods(void **state)
{
	struct ts_flood f[TS_SYN_SLOTS] = {};
	struct cap c;
	char *t;

	(void)state;
	assert_int_equal(ts_print_floods(cap_open(&c), f, 0, 1, ""), 0);
	t = cap_close(&c);
	assert_string_equal(t, "[]");
	free(t);
	assert_int_equal(ts_print_floods(cap_open(&c), f, 0, 0, "  "), 0);
	t = cap_close(&c);
	assert_string_equal(t, "  syn floods:   none\n");
	free(t);
	/* one port slot on, one that is not, and the host-wide slot on */
	f[3] = (struct ts_flood){ .active = 1, .port = 80, .rate = 9000, .peak_rate = 12000,
				  .complete_pct = 4, .sources = 310, .start_ns = 1000000000ull };
	f[5] = (struct ts_flood){ .active = 0, .port = 443, .rate = 50000 };
	f[TS_SYN_HOST] = (struct ts_flood){ .active = 1, .port = 22, .rate = 9500,
					    .start_ns = 2000000000ull };
	assert_int_equal(ts_print_floods(cap_open(&c), f, 5000000000ull, 1, ""), 2);
	t = cap_close(&c);
	assert_string_equal(t, "[{\"scope\":\"port\",\"port\":80,\"rate\":9000,\"peak_rate\":12000,"
			       "\"complete_pct\":4,\"sources\":310,\"start_ns\":1000000000},"
			       "{\"scope\":\"host\",\"port\":0,\"rate\":9500,\"peak_rate\":0,"
			       "\"complete_pct\":0,\"sources\":0,\"start_ns\":2000000000}]");
	free(t);
	assert_int_equal(ts_print_floods(cap_open(&c), f, 5000000000ull, 0, "  "), 2);
	t = cap_close(&c);
	assert_non_null(strstr(t, "  syn flood on port 80 for 4 s: 9000 SYN/s (peak 12000), 4% "
				  "completed, ~310 sources\n"));
	assert_null(strstr(t, "443"));
	free(t);
}

/* ------------------------------------------------------------------ */

static void test_zeek_conn_state(void **state)
{
	static const struct seg s0[] = { { A, fSYN, 1000, 0, 0 }, { A, fSYN, 1000, 0, 0 } };
	static const struct seg s1[] = { HANDSHAKE, DATA };
	static const struct seg sf[] = { HANDSHAKE, DATA, CLOSE };
	static const struct seg rej[] = { { A, fSYN, 1000, 0, 0 }, { B, fRA, 0, 1001, 0 } };
	static const struct seg s2[] = {
		HANDSHAKE, { A, fFA, 1001, 5001, 0 }, { B, fA, 5001, 1002, 0 },
	};
	static const struct seg s3[] = {
		HANDSHAKE, { B, fFA, 5001, 1001, 0 }, { A, fA, 1001, 5002, 0 },
	};
	static const struct seg rsto[] = { HANDSHAKE, DATA, { A, fRA, 1101, 5201, 0 } };
	static const struct seg rstr[] = { HANDSHAKE, DATA, { B, fRA, 5201, 1101, 0 } };
	static const struct seg rstos0[] = { { A, fSYN, 1000, 0, 0 }, { A, fR, 1001, 0, 0 } };
	static const struct seg sh[] = { { A, fSYN, 1000, 0, 0 }, { A, fF, 1001, 0, 0 } };
	static const struct seg oth[] = {
		{ A, fPA, 123456, 777777, 100 }, { B, fA, 777777, 123556, 0 },
	};
	static const struct seg oth_close[] = {
		{ A, fPA, 123456, 777777, 100 }, { B, fA, 777777, 123556, 0 },
		{ A, fFA, 123556, 777777, 0 }, { B, fFA, 777777, 123557, 0 },
		{ A, fA, 123557, 777778, 0 },
	};
	static const struct seg shr[] = { { B, fSA, 5000, 1001, 0 }, { B, fFA, 5001, 1001, 0 } };
	static const struct seg rstrh[] = { { B, fSA, 5000, 1001, 0 }, { B, fRA, 5001, 1001, 0 } };
#define Z(arr, want, hist) { #arr, arr, N(arr), want, hist }
	static const struct {
		const char *name;
		const struct seg *s;
		size_t n;
		const char *want, *hist;
	} t[] = {
		Z(s0, "S0", "S"),
		Z(s1, "S1", "ShADad"),
		Z(sf, "SF", "ShADadFf"),
		Z(rej, "REJ", "Sr"),
		Z(s2, "S2", "ShAFa"),
		Z(s3, "S3", "ShAf"),
		Z(rsto, "RSTO", "ShADadR"),
		Z(rstr, "RSTR", "ShADadr"),
		Z(rstos0, "RSTOS0", "SR"),
		Z(sh, "SH", "SF"),
		Z(oth, "OTH", "Da"),
		Z(oth_close, "OTH", "DaFfA"),
		Z(shr, "SHR", "hf"),
		Z(rstrh, "RSTRH", "hr"),
	};
	struct ts_flow_key k;
	struct ts_flow f;
	size_t i;

	(void)state;
	key_v4(&k);
	for (i = 0; i < N(t); i++) {
		char hist[sizeof(f.hist) + 1] = { 0 };

		feed(&f, &k, t[i].s, t[i].n, -1);
		memcpy(hist, f.hist, sizeof(f.hist));
		if (strcmp(ts_zeek_conn_state(&f), t[i].want) || strcmp(hist, t[i].hist))
			fail_msg("%s: conn_state %s history %s, want %s %s", t[i].name,
				 ts_zeek_conn_state(&f), hist, t[i].want, t[i].hist);
	}
}

/* ------------------------------------------------------------------ */

static const char *const conn_keys[] = {
	"iface", "family", "client", "server", "client_state", "server_state",
	"conn_state", "history", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c",
	"handshake_us", "first_seen_ns", "last_seen_ns", "picked_up",
	/* flow quality */
	"rtt_us", "min_rtt_us", "srtt_us", "host_rtt_us", "host_min_rtt_us", "host_srtt_us",
	"retrans_c2s", "retrans_s2c", "reorder_c2s", "reorder_s2c", "zero_window_ms",
	"zero_window_stalls", "syn_retrans", "synack_retrans", "tlp_c2s", "tlp_s2c",
};

static void test_conn_json_sf(void **state)
{
	static const struct seg sf[] = { HANDSHAKE, DATA, CLOSE };
	struct ts_flow_key k;
	struct ts_flow f;
	struct jmember m[48];
	char *line;
	int n;

	(void)state;
	key_v4(&k);
	feed(&f, &k, sf, N(sf), B); /* seen on the server: SYN-ACK -> ACK = 1 ms */
	assert_int_equal(f.last_seen_ns, T0 + 10 * DT);

	line = conn_json(&k, &f, "veth0", f.last_seen_ns + SEC);
	assert_string_equal(line,
		"{\"iface\":\"veth0\",\"family\":\"ipv4\",\"client\":\"198.18.0.1:40000\","
		"\"server\":\"198.18.0.2:80\",\"client_state\":\"TIME_WAIT\","
		"\"server_state\":\"CLOSED\",\"conn_state\":\"SF\",\"history\":\"ShADadFf\","
		"\"packets_c2s\":6,\"packets_s2c\":5,\"bytes_c2s\":100,\"bytes_s2c\":200,"
		"\"handshake_us\":1000,\"first_seen_ns\":1000000000,"
		"\"last_seen_ns\":1010000000,\"picked_up\":false,\"rtt_us\":0,\"min_rtt_us\":0,"
		"\"srtt_us\":0,\"host_rtt_us\":0,\"host_min_rtt_us\":0,\"host_srtt_us\":0,"
		"\"retrans_c2s\":0,\"retrans_s2c\":0,\"reorder_c2s\":0,\"reorder_s2c\":0,"
		"\"zero_window_ms\":0,\"zero_window_stalls\":0,\"syn_retrans\":0,"
		"\"synack_retrans\":0,\"tlp_c2s\":0,\"tlp_s2c\":0}\n");
	n = json_line(line, m, N(m));
	assert_keys(m, n, conn_keys, N(conn_keys));
	free(line);

	/* 2 MSL later the client's TIME_WAIT is over */
	line = conn_json(&k, &f, "veth0", f.last_seen_ns + 61 * SEC);
	n = json_line(line, m, N(m));
	assert_keys(m, n, conn_keys, N(conn_keys));
	assert_str_member(m, n, "client_state", "CLOSED");
	assert_str_member(m, n, "server_state", "CLOSED");
	assert_str_member(m, n, "conn_state", "SF");
	free(line);
}

static void test_conn_json_v6_pickup(void **state)
{
	/* the client is B, the higher address: key index 1 */
	static const struct seg t[] = {
		{ B, fPA, 123456, 777777, 1400 }, { A, fPA, 777777, 124856, 20 },
		{ B, fA, 124856, 777797, 0 },
	};
	struct ts_flow_key k;
	struct ts_flow f;
	struct jmember m[48];
	char *line;
	int n;

	(void)state;
	key_v6(&k);
	feed(&f, &k, t, N(t), A);
	assert_int_equal(f.client, B);

	line = conn_json(&k, &f, "eth1", f.last_seen_ns);
	n = json_line(line, m, N(m));
	assert_keys(m, n, conn_keys, N(conn_keys));
	assert_str_member(m, n, "iface", "eth1");
	assert_str_member(m, n, "family", "ipv6");
	assert_str_member(m, n, "client", "[2001:db8::2]:40000");
	assert_str_member(m, n, "server", "[2001:db8::1]:443");
	assert_str_member(m, n, "client_state", "ESTABLISHED");
	assert_str_member(m, n, "server_state", "ESTABLISHED");
	assert_str_member(m, n, "conn_state", "OTH");
	assert_str_member(m, n, "history", "DdA");
	assert_raw_member(m, n, "packets_c2s", "2");
	assert_raw_member(m, n, "packets_s2c", "1");
	assert_raw_member(m, n, "bytes_c2s", "1400");
	assert_raw_member(m, n, "bytes_s2c", "20");
	assert_raw_member(m, n, "handshake_us", "0");
	assert_raw_member(m, n, "first_seen_ns", "1000000000");
	assert_raw_member(m, n, "last_seen_ns", "1002000000");
	assert_raw_member(m, n, "picked_up", "true");
	free(line);

	/* idle past ESTABLISHED's 5 days: both read CLOSED */
	line = conn_json(&k, &f, "eth1", f.last_seen_ns + 432001 * SEC);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "client_state", "CLOSED");
	assert_str_member(m, n, "server_state", "CLOSED");
	free(line);
}

static void test_conn_json_refused_and_odd_iface(void **state)
{
	static const struct seg rej[] = { { A, fSYN, 1000, 0, 0 }, { B, fRA, 0, 1001, 0 } };
	struct ts_flow_key k;
	struct ts_flow f;
	struct jmember m[48];
	char *line;
	int n;

	(void)state;
	key_v4(&k);
	feed(&f, &k, rej, N(rej), A);
	line = conn_json(&k, &f, "we\"ird\\if\n", f.last_seen_ns);
	n = json_line(line, m, N(m));
	assert_keys(m, n, conn_keys, N(conn_keys));
	assert_non_null(strstr(line, "\"iface\":\"we\\\"ird\\\\if\\u000a\""));
	assert_str_member(m, n, "iface", "we\"ird\\if\n");
	assert_str_member(m, n, "client_state", "CLOSED");
	assert_str_member(m, n, "server_state", "CLOSED");
	assert_str_member(m, n, "conn_state", "REJ");
	assert_str_member(m, n, "history", "Sr");
	assert_raw_member(m, n, "packets_c2s", "1");
	assert_raw_member(m, n, "packets_s2c", "1");
	assert_raw_member(m, n, "picked_up", "false");
	free(line);
}

/* the quality members: the network leg is the local endpoint's (the one
 * seen at egress), zero-window time includes a stall still going */
static void test_conn_json_quality(void **state)
{
	static const struct seg sf[] = { HANDSHAKE, DATA };
	struct ts_flow_key k;
	struct ts_flow f;
	struct jmember m[48];
	char *line;
	__u64 now;
	int n;

	(void)state;
	key_v4(&k);
	feed(&f, &k, sf, N(sf), -1);
	f.flags |= f.client ? TS_F_LOCAL0 : TS_F_LOCAL1; /* the server is local */
	f.q[TS_SERVER].rtt_us = 250;
	f.q[TS_SERVER].min_rtt_us = 200;
	f.q[TS_SERVER].srtt_us8 = 230 * 8;
	f.q[TS_CLIENT].rtt_us = 40;
	f.q[TS_CLIENT].min_rtt_us = 30;
	f.q[TS_CLIENT].srtt_us8 = 35 * 8 + 7;
	f.q[TS_CLIENT].retrans = 3;
	f.q[TS_SERVER].retrans = 5;
	f.q[TS_CLIENT].reorder = 2;
	f.q[TS_SERVER].tlp = 1;
	f.q[TS_SERVER].syn_retrans = 2;
	f.q[TS_CLIENT].zw_ms = 100;        /* a stall that ended */
	f.q[TS_CLIENT].zw_count = 2;
	now = 5000 * 1000000ull;           /* 5000 ms */
	f.q[TS_CLIENT].zw_since_ms = 4700; /* and one going for 300 ms */
	line = conn_json(&k, &f, "veth0", now);
	n = json_line(line, m, N(m));
	assert_keys(m, n, conn_keys, N(conn_keys));
	assert_raw_member(m, n, "rtt_us", "250");
	assert_raw_member(m, n, "min_rtt_us", "200");
	assert_raw_member(m, n, "srtt_us", "230");
	assert_raw_member(m, n, "host_rtt_us", "40");
	assert_raw_member(m, n, "host_min_rtt_us", "30");
	assert_raw_member(m, n, "host_srtt_us", "35");
	assert_raw_member(m, n, "retrans_c2s", "3");
	assert_raw_member(m, n, "retrans_s2c", "5");
	assert_raw_member(m, n, "reorder_c2s", "2");
	assert_raw_member(m, n, "reorder_s2c", "0");
	assert_raw_member(m, n, "zero_window_ms", "400");
	assert_raw_member(m, n, "zero_window_stalls", "2");
	assert_raw_member(m, n, "syn_retrans", "0");
	assert_raw_member(m, n, "synack_retrans", "2");
	assert_raw_member(m, n, "tlp_s2c", "1");
	free(line);
}

static void test_conn_text(void **state)
{
	static const struct seg sf[] = { HANDSHAKE, DATA, CLOSE };
	static const __u32 to[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	struct ts_flow_key k;
	struct ts_flow f;
	struct ts_conn_view v = { .iface = "veth0", .key = &k, .flow = &f, .timeouts = to };
	struct cap c;
	char *out;

	(void)state;
	key_v4(&k);
	feed(&f, &k, sf, N(sf), -1);
	v.now_ns = f.last_seen_ns;
	ts_print_conn_header(cap_open(&c));
	ts_print_conn_text(c.f, &v);
	out = cap_close(&c);
	assert_non_null(strstr(out, "CLIENT"));
	assert_non_null(strstr(out, "198.18.0.1:40000"));
	assert_non_null(strstr(out, "198.18.0.2:80"));
	assert_non_null(strstr(out, "TIME_WAIT"));
	assert_non_null(strstr(out, " SF "));
	assert_non_null(strstr(out, "ShADadFf"));
	assert_non_null(strstr(out, "6/5 "));
	free(out);
}

/* ------------------------------------------------------------------ */

static const char *const event_keys[] = {
	"ts_ns", "iface", "type", "client", "server", "side", "from", "to", "hook", "tcp_flags",
};

static void test_event_json(void **state)
{
	struct ts_event e = { 0 };
	struct jmember m[48];
	struct cap c;
	char *line;
	int n;

	(void)state;
	key_v4(&e.key);
	e.ts_ns = 1234567890123ull;
	e.type = TS_EV_STATE;
	e.client = 0;
	e.side = TS_SERVER;
	e.from = TS_SYN_RCVD;
	e.to = TS_ESTABLISHED;
	e.tcp_flags = TS_TCP_ACK;
	e.dir = 0;
	e.family = 4;
	ts_print_event_json(cap_open(&c), "eth0", &e);
	line = cap_close(&c);
	assert_string_equal(line,
		"{\"ts_ns\":1234567890123,\"iface\":\"eth0\",\"type\":\"state\","
		"\"client\":\"198.18.0.1:40000\",\"server\":\"198.18.0.2:80\","
		"\"side\":\"server\",\"from\":\"SYN_RCVD\",\"to\":\"ESTABLISHED\","
		"\"hook\":\"ingress\",\"tcp_flags\":16}\n");
	n = json_line(line, m, N(m));
	assert_keys(m, n, event_keys, N(event_keys));
	free(line);

	/* the client at key index 1, egress, odd values */
	key_v6(&e.key);
	e.client = 1;
	e.side = TS_CLIENT;
	e.from = TS_FIN_WAIT_1;
	e.to = 77;
	e.dir = 1;
	e.type = TS_EV_STATE;
	e.tcp_flags = TS_TCP_FIN | TS_TCP_ACK | TS_TCP_CWR;
	e.ts_ns = ~0ull;
	ts_print_event_json(cap_open(&c), "a\"b\x01", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_keys(m, n, event_keys, N(event_keys));
	assert_raw_member(m, n, "ts_ns", "18446744073709551615");
	assert_str_member(m, n, "iface", "a\"b\x01");
	assert_str_member(m, n, "type", "state");
	assert_str_member(m, n, "client", "[2001:db8::2]:40000");
	assert_str_member(m, n, "server", "[2001:db8::1]:443");
	assert_str_member(m, n, "side", "client");
	assert_str_member(m, n, "from", "FIN_WAIT_1");
	assert_str_member(m, n, "to", "?");
	assert_str_member(m, n, "hook", "egress");
	assert_raw_member(m, n, "tcp_flags", "145");
	free(line);

	e.type = TS_EV_ACTION;
	ts_print_event_json(cap_open(&c), "x", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "type", "action");
	free(line);
	e.type = 0;
	ts_print_event_json(cap_open(&c), "x", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "type", "unknown");
	free(line);
}

static void test_event_text(void **state)
{
	struct ts_event e = { 0 };
	struct cap c;
	char *line;

	(void)state;
	key_v4(&e.key);
	e.ts_ns = 12 * SEC + 345678000ull;
	e.type = TS_EV_STATE;
	e.side = TS_CLIENT;
	e.from = TS_SYN_SENT;
	e.to = TS_ESTABLISHED;
	ts_print_event_text(cap_open(&c), "eth0", &e);
	line = cap_close(&c);
	assert_non_null(strstr(line, "12.345678 "));
	assert_non_null(strstr(line, "198.18.0.1:40000 -> 198.18.0.2:80"));
	assert_non_null(strstr(line, "SYN_SENT -> ESTABLISHED\n"));
	free(line);
}

static void test_anomaly_names(void **state)
{
	static const char *const want[TS_A_KINDS] = {
		NULL, "syn_flood", "rst_no_conn", "rst_out_of_window", "rst_in_window_inexact",
		"ack_no_conn", "ack_flood", "bad_flags", "syn_data", "out_of_window",
		"port_scan", "half_open_timeout",
	};
	unsigned k;

	(void)state;
	/* the numbering is ABI */
	assert_int_equal(TS_A_SYN_FLOOD, 1);
	assert_int_equal(TS_A_RST_OUT_OF_WINDOW, 3);
	assert_int_equal(TS_A_BAD_FLAGS, 7);
	assert_int_equal(TS_A_HALF_OPEN_TIMEOUT, 11);
	for (k = 0; k < TS_A_KINDS; k++) {
		if (want[k])
			assert_string_equal(ts_anomaly_name(k), want[k]);
		else
			assert_null(ts_anomaly_name(k));
	}
	for (; k < TS_A_MAX + 4; k++)
		assert_null(ts_anomaly_name(k));
	assert_string_equal(ts_bad_flags_name(TS_BF_NULL), "null");
	assert_string_equal(ts_bad_flags_name(TS_BF_SYN_FIN), "syn_fin");
	assert_string_equal(ts_bad_flags_name(TS_BF_SYN_RST), "syn_rst");
	assert_string_equal(ts_bad_flags_name(TS_BF_XMAS), "xmas");
	assert_string_equal(ts_bad_flags_name(TS_BF_FIN_NO_ACK), "fin_no_ack");
	assert_string_equal(ts_bad_flags_name(TS_BF_NO_ACK), "no_ack");
	assert_string_equal(ts_bad_flags_name(TS_BF_MAX), "?");
}

static const char *const anomaly_keys[] = {
	"ts_ns", "iface", "type", "kind", "client", "server", "side", "src", "dst", "hook",
	"tcp_flags", "expected", "got", "detail", "suppressed",
};
static const char *const anomaly_keys_noflow[] = {
	"ts_ns", "iface", "type", "kind", "src", "dst", "hook", "tcp_flags", "expected", "got",
	"detail", "reason", "suppressed",
};

static void test_anomaly_event_json(void **state)
{
	struct ts_event e = { 0 };
	struct jmember m[48];
	struct cap c;
	char *line;
	int n;

	(void)state;
	/* an out-of-window RST from the server (key index 1) of a tracked flow */
	key_v4(&e.key);
	e.ts_ns = 42;
	e.type = TS_EV_ANOMALY;
	e.kind = TS_A_RST_OUT_OF_WINDOW;
	e.client = 0;
	e.side = TS_SERVER;
	e.sender = 1;
	e.tcp_flags = TS_TCP_RST | TS_TCP_ACK;
	e.dir = 1;
	e.family = 4;
	e.expected = 5001;
	e.got = 4000000000u;
	e.detail = 65160;
	e.suppressed = 7;
	ts_print_event_json(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_string_equal(line,
		"{\"ts_ns\":42,\"iface\":\"veth0\",\"type\":\"anomaly\","
		"\"kind\":\"rst_out_of_window\",\"client\":\"198.18.0.1:40000\","
		"\"server\":\"198.18.0.2:80\",\"side\":\"server\",\"src\":\"198.18.0.2:80\","
		"\"dst\":\"198.18.0.1:40000\",\"hook\":\"egress\",\"tcp_flags\":20,"
		"\"expected\":5001,\"got\":4000000000,\"detail\":65160,\"suppressed\":7}\n");
	n = json_line(line, m, N(m));
	assert_keys(m, n, anomaly_keys, N(anomaly_keys));
	free(line);

	/* a bad-flags segment for no flow: src/dst only, and the reason */
	key_v6(&e.key);
	e.kind = TS_A_BAD_FLAGS;
	e.client = TS_EV_CLIENT_UNKNOWN;
	e.sender = 1;
	e.tcp_flags = TS_TCP_FIN | TS_TCP_PSH | TS_TCP_URG;
	e.dir = 0;
	e.expected = 0;
	e.got = e.tcp_flags;
	e.detail = TS_BF_XMAS;
	e.suppressed = 0;
	ts_print_event_json(cap_open(&c), "x\"y", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_keys(m, n, anomaly_keys_noflow, N(anomaly_keys_noflow));
	assert_str_member(m, n, "iface", "x\"y");
	assert_str_member(m, n, "kind", "bad_flags");
	assert_str_member(m, n, "src", "[2001:db8::2]:40000");
	assert_str_member(m, n, "dst", "[2001:db8::1]:443");
	assert_str_member(m, n, "hook", "ingress");
	assert_str_member(m, n, "reason", "xmas");
	assert_raw_member(m, n, "tcp_flags", "41");
	assert_raw_member(m, n, "got", "41");
	assert_raw_member(m, n, "suppressed", "0");
	free(line);

	/* a kind this formatter does not know still prints as valid JSON */
	e.kind = 13;
	e.suppressed = 4294967295u;
	ts_print_event_json(cap_open(&c), "x", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_true(n > 0);
	assert_str_member(m, n, "kind", "kind_13");
	assert_raw_member(m, n, "suppressed", "4294967295");
	assert_null(jget(m, n, "reason"));
	free(line);
}

static void test_flood_scan_events(void **state)
{
	struct ts_event e = { 0 };
	struct jmember m[48];
	struct cap c;
	char *line;
	int n;

	(void)state;
	e.ts_ns = 2 * SEC;
	e.type = TS_EV_ANOMALY;
	e.kind = TS_A_SYN_FLOOD;
	e.client = TS_EV_CLIENT_UNKNOWN;
	e.key.port[1] = htons(80);
	e.tcp_flags = TS_TCP_SYN;
	e.detail = TS_FLOOD_START | (3u << 16);
	e.got = 20000;
	e.expected = 9871;
	ts_print_event_json(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_string_equal(line,
		"{\"ts_ns\":2000000000,\"iface\":\"veth0\",\"type\":\"anomaly\","
		"\"kind\":\"syn_flood\",\"phase\":\"start\",\"scope\":\"port\",\"port\":80,"
		"\"rate\":20000,\"complete_pct\":3,\"sources\":9871,\"hook\":\"ingress\","
		"\"expected\":9871,\"got\":20000,\"detail\":196609,\"suppressed\":0}\n");
	n = json_line(line, m, N(m));
	assert_true(n > 0);
	free(line);
	ts_print_event_text(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_string_equal(line, "2.000000 veth0      anomaly syn_flood start port 80 rate "
				  "20000 SYN/s, 3% completed, ~9871 sources\n");
	free(line);
	/* the end, host-wide */
	e.key.port[1] = 0;
	e.detail = TS_FLOOD_END;
	ts_print_event_json(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "phase", "end");
	assert_str_member(m, n, "scope", "host");
	assert_raw_member(m, n, "port", "0");
	free(line);
	ts_print_event_text(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_string_equal(line, "2.000000 veth0      anomaly syn_flood end host-wide peak "
				  "20000 SYN/s, 0% completed, ~9871 sources\n");
	free(line);

	/* backscatter: a burst of RSTs to unknown peers */
	memset(&e, 0, sizeof(e));
	e.ts_ns = 2 * SEC;
	e.type = TS_EV_ANOMALY;
	e.kind = TS_A_PORT_SCAN;
	e.client = TS_EV_CLIENT_UNKNOWN;
	e.dir = 1;
	e.tcp_flags = TS_TCP_RST;
	e.detail = TS_SCAN_BACKSCATTER | TS_FLOOD_START;
	e.got = 4000;
	ts_print_event_json(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "kind", "port_scan");
	assert_str_member(m, n, "source", "backscatter");
	assert_str_member(m, n, "phase", "start");
	assert_raw_member(m, n, "rate", "4000");
	free(line);
	ts_print_event_text(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_string_equal(line, "2.000000 veth0      anomaly port_scan backscatter start: rate "
				  "4000 RST/s sent to unknown peers\n");
	free(line);

	/* a port scan: the segment's endpoints and the distinct-port count */
	memset(&e, 0, sizeof(e));
	key_v4(&e.key);
	e.ts_ns = 2 * SEC;
	e.type = TS_EV_ANOMALY;
	e.kind = TS_A_PORT_SCAN;
	e.client = TS_EV_CLIENT_UNKNOWN;
	e.sender = 0;
	e.tcp_flags = TS_TCP_SYN;
	e.got = 21;
	e.expected = 20;
	e.detail = 5000;
	ts_print_event_json(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	n = json_line(line, m, N(m));
	assert_str_member(m, n, "kind", "port_scan");
	assert_str_member(m, n, "src", "198.18.0.1:40000");
	assert_raw_member(m, n, "ports", "21");
	assert_raw_member(m, n, "threshold", "20");
	assert_raw_member(m, n, "window_ms", "5000");
	free(line);
	ts_print_event_text(cap_open(&c), "veth0", &e);
	line = cap_close(&c);
	assert_non_null(strstr(line, "anomaly port_scan 198.18.0.1:40000 -> 198.18.0.2:80"));
	assert_non_null(strstr(line, "21 distinct ports in 5000 ms (threshold 20)"));
	free(line);
}

static void test_anomaly_event_text(void **state)
{
	struct ts_event e = { 0 };
	struct cap c;
	char *line;

	(void)state;
	key_v4(&e.key);
	e.ts_ns = 3 * SEC + 1000ull;
	e.type = TS_EV_ANOMALY;
	e.kind = TS_A_RST_IN_WINDOW_INEXACT;
	e.client = 0;
	e.sender = 0;
	e.tcp_flags = TS_TCP_RST;
	e.expected = 1001;
	e.got = 1101;
	e.detail = 65160;
	e.suppressed = 3;
	ts_print_event_text(cap_open(&c), "eth0", &e);
	line = cap_close(&c);
	assert_string_equal(line, "3.000001 eth0       anomaly rst_in_window_inexact "
			    "198.18.0.1:40000 -> 198.18.0.2:80 (ingress) flags 0x04 "
			    "expected 1001 got 1101 detail 65160 (+3 suppressed)\n");
	free(line);
	e.kind = TS_A_BAD_FLAGS;
	e.client = TS_EV_CLIENT_UNKNOWN;
	e.detail = TS_BF_NULL;
	e.tcp_flags = 0;
	e.suppressed = 0;
	ts_print_event_text(cap_open(&c), "eth0", &e);
	line = cap_close(&c);
	assert_non_null(strstr(line, " anomaly bad_flags 198.18.0.1:40000 -> 198.18.0.2:80 "
				     "(ingress) flags 0x00 reason null\n"));
	free(line);
}

static void test_json_str(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "eth0", "eth0" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "\"\\", "\\\"\\\\" },
		{ "l1\nl2", "l1\\u000al2" },
		{ "\t\r\b\f", "\\u0009\\u000d\\u0008\\u000c" },
		{ "\x01\x1f", "\\u0001\\u001f" },
		{ " ~\x7f", " ~\x7f" },               /* DEL needs no escape */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },     /* UTF-8 passes through */
		{ "a/b", "a/b" },
	};
	char *out, quoted[128], back[128];
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		out = json_escaped(t[i].in);
		assert_string_equal(out, t[i].want);
		/* and it reads back as the same string */
		snprintf(quoted, sizeof(quoted), "\"%s\"", out);
		assert_non_null(jstr(quoted, back, sizeof(back)));
		assert_string_equal(back, t[i].in);
		free(out);
	}
	out = json_escaped(NULL);
	assert_string_equal(out, "");
	free(out);

	/* every control character is escaped */
	for (i = 1; i < 0x20; i++) {
		char in[2] = { (char)i, 0 }, want[8];

		snprintf(want, sizeof(want), "\\u%04zx", i);
		out = json_escaped(in);
		assert_string_equal(out, want);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_parse),
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_fmt_endpoint),
		cmocka_unit_test(test_fmt_addr),
		cmocka_unit_test(test_print_drops),
		cmocka_unit_test(test_print_floods),
		cmocka_unit_test(test_zeek_conn_state),
		cmocka_unit_test(test_conn_json_sf),
		cmocka_unit_test(test_conn_json_v6_pickup),
		cmocka_unit_test(test_conn_json_refused_and_odd_iface),
		cmocka_unit_test(test_conn_text),
		cmocka_unit_test(test_conn_json_quality),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_event_text),
		cmocka_unit_test(test_anomaly_names),
		cmocka_unit_test(test_anomaly_event_json),
		cmocka_unit_test(test_anomaly_event_text),
		cmocka_unit_test(test_flood_scan_events),
		cmocka_unit_test(test_json_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
