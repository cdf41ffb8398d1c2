// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the policy file parser (user/lib/policy_file.c) and of the key
 * table and CIDR parser under it (user/lib/policy_keys.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "policy_file.h"
#include "policy_keys.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define NAME "p.ini"

static const struct ts_policy_doc zero_doc;

static int parse(const char *text, size_t len, struct ts_policy_doc *doc, char *err,
		 size_t errlen)
{
	memset(err, 0, errlen);
	return ts_policy_doc_parse(text, len, NAME, doc, err, errlen);
}

/* the v4-mapped address of a dotted quad */
static void v4(__u8 addr[16], const char *s)
{
	memset(addr, 0, 16);
	addr[10] = addr[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, addr + 12), 1);
}

static void assert_cidr(const struct ts_cidr *c, const char *text, __u32 ttl)
{
	char buf[64];

	assert_string_equal(ts_cidr_format(buf, sizeof(buf), c), text);
	assert_int_equal(c->ttl, ttl);
}

/* ---------------------------------------------------------------- good */

static void test_good_settings(void **state)
{
	static const char f[] =
		"# tcpsentry policy\n"
		"; both comment characters\n"
		"\n"
		"mode = enforce\n"
		"  ban_seconds=600   \n"
		"\tsyn.rate_per_source\t=\t5\t\n"
		"[policy]\n"
		"syn.burst_per_source = 10 # inline comment\n"
		"syn.rate_per_port = 1000 ; another\n"
		"[ policy ]\n"
		"action.port_scan = drop\n"
		"action.syn_flood = pass\n"
		"action.fragment = drop\n"
		"action.unparsed=drop\n"
		"syn_flood.rate = 8000\n"
		"port_scan.ports = 30\n"
		"# caf\xc3\xa9 \xe2\x9c\x93 UTF-8 in a comment\n";
	struct ts_policy_doc doc = {};
	struct ts_policy want;
	char err[512];

	(void)state;
	assert_int_equal(parse(f, sizeof(f) - 1, &doc, err, sizeof(err)), 0);
	ts_policy_defaults(&want);
	want.mode = TS_MODE_ENFORCE;
	want.ban_seconds = 600;
	want.syn_rate_per_source = 5;
	want.syn_burst_per_source = 10;
	want.syn_rate_per_port = 1000;
	want.action[TS_A_PORT_SCAN] = TS_ACT_DROP;
	want.action[TS_A_SYN_FLOOD] = TS_ACT_PASS;
	want.action_fragment = TS_ACT_DROP;
	want.action_unparsed = TS_ACT_DROP;
	want.syn_flood_rate = 8000;
	want.scan_ports = 30;
	assert_memory_equal(&doc.pol, &want, sizeof(want));
	assert_null(doc.allow);
	assert_null(doc.deny);
	assert_int_equal(doc.n_allow, 0);
	assert_int_equal(doc.n_deny, 0);
	ts_policy_doc_free(&doc);
	assert_memory_equal(&doc, &zero_doc, sizeof(doc));
}

static void test_good_lists(void **state)
{
	static const char f[] =
		"[allow]\n"
		"cidr = 198.18.0.0/15\n"
		"cidr=2001:db8:1::/48\n"
		"cidr = 192.0.2.7          # a host\n"
		"[deny]\n"
		"cidr = 203.0.113.0/24\n"
		"cidr = 2001:db8::/32 ttl=60\n"
		"cidr = 198.51.100.0/24   ttl = 31536000\n"
		"cidr = 2001:db8:ffff::1 ttl=1 ; a host, one second\n"
		"cidr = 0.0.0.0/0\n"
		"cidr = ::/0\n"
		"[allow]\n"
		"cidr = 10.0.0.0/8\n"
		"cidr = 203.0.113.0/24\n"; /* in both lists: allowed (allow wins) */
	struct ts_policy_doc doc = {};
	struct ts_policy def;
	char err[512];
	__u8 a[16];

	(void)state;
	assert_int_equal(parse(f, sizeof(f) - 1, &doc, err, sizeof(err)), 0);
	ts_policy_defaults(&def);
	assert_memory_equal(&doc.pol, &def, sizeof(def));
	assert_int_equal(doc.n_allow, 5);
	assert_cidr(&doc.allow[0], "198.18.0.0/15", 0);
	assert_int_equal(doc.allow[0].family, 4);
	assert_int_equal(doc.allow[0].plen, 96 + 15);
	v4(a, "198.18.0.0");
	assert_memory_equal(doc.allow[0].addr, a, 16);
	assert_cidr(&doc.allow[1], "2001:db8:1::/48", 0);
	assert_int_equal(doc.allow[1].family, 6);
	assert_int_equal(doc.allow[1].plen, 48);
	assert_cidr(&doc.allow[2], "192.0.2.7/32", 0);
	assert_int_equal(doc.allow[2].plen, 128);
	assert_cidr(&doc.allow[3], "10.0.0.0/8", 0);
	assert_cidr(&doc.allow[4], "203.0.113.0/24", 0);

	assert_int_equal(doc.n_deny, 6);
	assert_cidr(&doc.deny[0], "203.0.113.0/24", 0);
	assert_cidr(&doc.deny[1], "2001:db8::/32", 60);
	assert_cidr(&doc.deny[2], "198.51.100.0/24", 31536000);
	assert_cidr(&doc.deny[3], "2001:db8:ffff::1/128", 1);
	assert_cidr(&doc.deny[4], "0.0.0.0/0", 0);
	assert_int_equal(doc.deny[4].plen, 96);
	assert_cidr(&doc.deny[5], "::/0", 0);
	assert_int_equal(doc.deny[5].plen, 0);
	ts_policy_doc_free(&doc);
}

/* CRLF line endings, a byte order mark, no newline at the end */
static void test_good_crlf_bom(void **state)
{
	static const char f[] = "\xef\xbb\xbf# written on Windows\r\n"
				"mode = enforce\r\n"
				"\r\n"
				"[deny]\r\n"
				"cidr = 2001:db8::/32 ttl=60\r\n"
				"cidr = 192.0.2.0/24";
	struct ts_policy_doc doc = {};
	char err[512];

	(void)state;
	assert_int_equal(parse(f, sizeof(f) - 1, &doc, err, sizeof(err)), 0);
	assert_int_equal(doc.pol.mode, TS_MODE_ENFORCE);
	assert_int_equal(doc.n_deny, 2);
	assert_cidr(&doc.deny[0], "2001:db8::/32", 60);
	assert_cidr(&doc.deny[1], "192.0.2.0/24", 0);
	assert_null(doc.allow);
	ts_policy_doc_free(&doc);
}

/* the longest line allowed; the buffer is not NUL-terminated */
static void test_good_limits(void **state)
{
	size_t n = TS_POLICY_FILE_MAX_LINE + 1 + 14;
	char *f = malloc(n), err[512];
	struct ts_policy_doc doc = {};

	(void)state;
	assert_non_null(f);
	memset(f, 'x', TS_POLICY_FILE_MAX_LINE);
	f[0] = '#';
	f[TS_POLICY_FILE_MAX_LINE] = '\n';
	memcpy(f + TS_POLICY_FILE_MAX_LINE + 1, "mode = enforce", 14); /* no NUL after */
	assert_int_equal(parse(f, n, &doc, err, sizeof(err)), 0);
	assert_int_equal(doc.pol.mode, TS_MODE_ENFORCE);
	ts_policy_doc_free(&doc);
	free(f);
}

/* ----------------------------------------------------------------- bad */

#define BAD(txt, ln, w) { txt, sizeof(txt) - 1, ln, w }

static const struct bad {
	const char *text;
	size_t len;
	unsigned line; /* 0: a whole-file message, "p.ini: ..." */
	const char *want;
} bad[] = {
	/* sections */
	BAD("mode = enforce\n[polcy]\nban_seconds = 5\n", 2,
	    "unknown section [polcy] (want [policy], [allow] or [deny])"),
	BAD("mode = enforce\n[alow]\n", 2, "unknown section [alow]"),
	BAD("mode = enforce\n[Allow]\n", 2, "unknown section [Allow]"),
	BAD("mode = enforce\n[]\n", 2, "unknown section []"),
	BAD("[allow\ncidr = 10.0.0.0/8\n", 1, "bad section header '[allow'"),
	BAD("[allow] junk\n", 1, "bad section header '[allow] junk'"),
	/* keys */
	BAD("mod = enforce\n", 1, "unknown key 'mod' (tcpsentry policy keys lists them)"),
	BAD("# c\n[policy]\nsyn.rate = 5\n", 3, "unknown key 'syn.rate'"),
	BAD("Mode = enforce\n", 1, "unknown key 'Mode'"),
	BAD("syn rate = 5\n", 1, "unknown key 'syn rate'"),
	BAD("action.nothing = drop\n", 1, "unknown key 'action.nothing'"),
	BAD("[allow]\naddr = 10.0.0.0/8\n", 2,
	    "unknown key 'addr' in [allow] (want cidr = ADDRESS[/PREFIX])"),
	BAD("[deny]\nmode = enforce\n", 2,
	    "unknown key 'mode' in [deny] (want cidr = ADDRESS[/PREFIX] [ttl=SECONDS])"),
	BAD("mode = enforce\ncidr = 10.0.0.0/8\n", 2, "cidr lines belong in [allow] or [deny]"),
	BAD("= 5\n", 1, "no key before '='"),
	/* duplicate settings, at top level, in [policy], across both */
	BAD("mode = enforce\n# c\nmode = observe\n", 3,
	    "duplicate key 'mode' (first set on line 1)"),
	BAD("mode = enforce\n# c\nmode = enforce\n", 3, "duplicate key 'mode'"),
	BAD("ban_seconds = 5\n[policy]\nban_seconds = 6\n", 3,
	    "duplicate key 'ban_seconds' (first set on line 1)"),
	BAD("[policy]\naction.port_scan = ban\n[deny]\ncidr = ::1\n[policy]\naction.port_scan = drop\n",
	    6, "duplicate key 'action.port_scan' (first set on line 2)"),
	/* values: ts_policy_set's messages */
	BAD("mode = enforced\n", 1, "bad value 'enforced' for mode (observe or enforce)"),
	BAD("mode =\n", 1, "bad value '' for mode"),
	BAD("mode = \"enforce\"\n", 1, "bad value '\"enforce\"' for mode"),
	BAD("mode = enforce # c\nsyn_flood.complete_pct = 101\n", 2,
	    "bad value '101' for syn_flood.complete_pct (a whole number, 1 to 100)"),
	BAD("ban_seconds = 4294967296\n", 1,
	    "bad value '4294967296' for ban_seconds (a whole number, 1 to 604800)"),
	BAD("syn.rate_per_source = 18446744073709551616\n", 1,
	    "bad value '18446744073709551616' for syn.rate_per_source"),
	BAD("syn.rate_per_source = -1\n", 1, "bad value '-1' for syn.rate_per_source"),
	BAD("syn.rate_per_source = 0x10\n", 1, "bad value '0x10' for syn.rate_per_source"),
	BAD("syn.rate_per_source = 1e3\n", 1, "bad value '1e3' for syn.rate_per_source"),
	BAD("syn.rate_per_source = 5 5\n", 1, "bad value '5 5' for syn.rate_per_source"),
	BAD("ban_seconds = 0\n", 1, "bad value '0' for ban_seconds"),
	BAD("action.port_scan = block\n", 1,
	    "bad value 'block' for action.port_scan (pass, drop or ban)"),
	BAD("action.syn_flood = ban\n", 1,
	    "bad value 'ban' for action.syn_flood (pass or drop: a ban needs proof its source is real)"),
	BAD("action.half_open_timeout = drop\n", 1,
	    "bad value 'drop' for action.half_open_timeout (pass only"),
	BAD("action.fragment = ban\n", 1, "bad value 'ban' for action.fragment (pass or drop)"),
	/* CIDRs: ts_cidr_parse's messages */
	BAD("[allow]\ncidr = 10.0.0.0/33\n", 2,
	    "bad CIDR '10.0.0.0/33' (prefix length must be 0 to 32)"),
	BAD("[allow]\ncidr = 2001:db8::/129\n", 2,
	    "bad CIDR '2001:db8::/129' (prefix length must be 0 to 128)"),
	BAD("[deny]\ncidr = 10.0.0.1/8\n", 2,
	    "bad CIDR '10.0.0.1/8' (address bits set past the /8 prefix)"),
	BAD("[deny]\ncidr = 300.1.1.1\n", 2,
	    "bad CIDR '300.1.1.1' ('300.1.1.1' is not an IPv4 or IPv6 address)"),
	BAD("[deny]\ncidr =\n", 2, "bad CIDR '' (want ADDRESS[/PREFIX])"),
	BAD("[deny]\ncidr = 10.0.0.0/8;c\n", 2, "bad CIDR '10.0.0.0/8;c'"),
	/* duplicate CIDRs in one list (same trie key) */
	BAD("[deny]\ncidr = 10.0.0.0/8\n\ncidr = 10.0.0.0/08\n", 4,
	    "duplicate CIDR 10.0.0.0/8 in [deny] (first on line 2)"),
	BAD("[allow]\ncidr = 2001:db8::/32\n[deny]\ncidr = ::1\n[allow]\ncidr = 2001:DB8:0::/32\n",
	    6, "duplicate CIDR 2001:db8::/32 in [allow] (first on line 2)"),
	BAD("[deny]\ncidr = 192.0.2.1\ncidr = ::ffff:192.0.2.1\n", 3,
	    "duplicate CIDR ::ffff:192.0.2.1/128 in [deny] (first on line 2)"),
	BAD("[deny]\ncidr = 192.0.2.0/24 ttl=5\ncidr = 192.0.2.0/24 ttl=6\n", 3,
	    "duplicate CIDR 192.0.2.0/24 in [deny] (first on line 2)"),
	/* ttl */
	BAD("[allow]\ncidr = 10.0.0.0/8 ttl=60\n", 2, "a ttl is for [deny] entries only"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=0\n", 2,
	    "bad ttl '0' (a whole number of seconds, 1 to 31536000)"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=31536001\n", 2, "bad ttl '31536001'"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=4294967356\n", 2, "bad ttl '4294967356'"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=-1\n", 2, "bad ttl '-1'"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=\n", 2, "bad ttl ''"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl=60s\n", 2, "bad ttl '60s'"),
	BAD("[deny]\ncidr = 10.0.0.0/8 ttl 60\n", 2,
	    "junk after the CIDR: 'ttl 60' (want cidr = ADDRESS[/PREFIX] [ttl=SECONDS])"),
	BAD("[deny]\ncidr = 10.0.0.0/8 expires=60\n", 2, "junk after the CIDR: 'expires=60'"),
	/* lines that are not KEY = VALUE */
	BAD("mode = enforce\nhello world\n", 2, "not a KEY = VALUE line: 'hello world'"),
	BAD("[deny]\n2001:db8::1\n", 2, "not a KEY = VALUE line: '2001:db8::1'"),
	BAD("mode: enforce\n", 1, "not a KEY = VALUE line: 'mode: enforce'"),
	/* binary content: reported at its line, before any other problem */
	BAD("mode = enforce\nban_seconds = 6\0\n", 2,
	    "binary content: a NUL byte at column 16 (a policy file is text)"),
	BAD("junk\n\n\0", 3, "binary content: a NUL byte at column 1"),
	BAD("\0\0\0\0", 1, "binary content: a NUL byte at column 1"),
	BAD("\x7f" "ELF\x02\x01\x01", 1, "binary content: control character 0x7f at column 1"),
	BAD("mode = \x1b[31menforce\n", 1, "binary content: control character 0x1b at column 8"),
	BAD("mode = enforce\rban_seconds = 5\n", 1, "binary content: control character 0x0d"),
	BAD("# \xff\xfe\n", 1, "binary content: byte 0xff at column 3 is not UTF-8"),
	BAD("# \xc0\xaf\n", 1, "binary content: byte 0xc0 at column 3 is not UTF-8"),    /* overlong */
	BAD("# \xed\xa0\x80\n", 1, "binary content: byte 0xed at column 3 is not UTF-8"), /* surrogate */
	BAD("# \xf4\x90\x80\x80\n", 1, "binary content: byte 0xf4"),                     /* > U+10FFFF */
	BAD("mode = enforce\n# \xe2\x82", 2, "binary content: byte 0xe2 at column 3"),   /* cut short */
	BAD("\x1f\x8b\x08\x00", 1, "binary content: control character 0x1f at column 1"), /* gzip */
	/* empty */
	BAD("", 0, "empty policy file (no settings and no list entries)"),
	BAD("\n\n  \n", 0, "empty policy file"),
	BAD("# only comments\n; and sections\n[policy]\n[allow]\n[deny]\n", 0,
	    "empty policy file"),
	BAD("\xef\xbb\xbf", 0, "empty policy file"),
};

static void check_bad(const char *text, size_t len, unsigned line, const char *want)
{
	struct ts_policy_doc doc = {};
	char err[512], prefix[64];
	int rc;

	rc = parse(text, len, &doc, err, sizeof(err));
	if (line)
		snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	else
		snprintf(prefix, sizeof(prefix), NAME ": ");
	if (rc != -1 || strncmp(err, prefix, strlen(prefix)) || !strstr(err, want))
		fail_msg("file \"%.*s\": rc %d, message \"%s\"; want \"%s%s\"", (int)len, text, rc,
			 err, prefix, want);
	assert_memory_equal(&doc, &zero_doc, sizeof(doc));
}

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++)
		check_bad(bad[i].text, bad[i].len, bad[i].line, bad[i].want);
}

/* a failed parse leaves a doc holding something else exactly as it was */
static void test_bad_doc_untouched(void **state)
{
	static const char good[] = "mode = enforce\n[deny]\ncidr = 10.0.0.0/8\n";
	static const char badf[] = "mode = observe\n[allow]\ncidr = 10.0.0.1/8\n";
	struct ts_policy_doc doc = {}, copy;
	char err[512];

	(void)state;
	assert_int_equal(parse(good, sizeof(good) - 1, &doc, err, sizeof(err)), 0);
	copy = doc;
	assert_int_equal(parse(badf, sizeof(badf) - 1, &doc, err, sizeof(err)), -1);
	assert_memory_equal(&doc, &copy, sizeof(doc));
	assert_int_equal(doc.deny[0].plen, 96 + 8);
	ts_policy_doc_free(&doc);
	/* and a NULL buffer is an empty file */
	assert_int_equal(ts_policy_doc_parse(NULL, 0, NAME, &doc, err, sizeof(err)), -1);
	assert_string_equal(err, NAME ": empty policy file (no settings and no list entries)");
	/* a short err buffer is truncated, not overrun */
	assert_int_equal(ts_policy_doc_parse(badf, sizeof(badf) - 1, NAME, &doc, err, 8), -1);
	assert_string_equal(err, "p.ini:3");
	assert_int_equal(ts_policy_doc_parse(badf, sizeof(badf) - 1, NAME, &doc, NULL, 0), -1);
}

static void test_bad_long_line(void **state)
{
	size_t n = 2 * (TS_POLICY_FILE_MAX_LINE + 2);
	char *f = malloc(n);

	(void)state;
	assert_non_null(f);
	/* line 1 "mode = enforce", line 2 comment of 4096 + 1 bytes, CRLF */
	memset(f, '#', n);
	memcpy(f, "mode = enforce\n", 15);
	f[15 + TS_POLICY_FILE_MAX_LINE + 1] = '\r';
	f[15 + TS_POLICY_FILE_MAX_LINE + 2] = '\n';
	check_bad(f, 15 + TS_POLICY_FILE_MAX_LINE + 3, 2, "line too long (4097 bytes, at most 4096)");
	/* the same without an end of line */
	check_bad(f, 15 + TS_POLICY_FILE_MAX_LINE + 1, 2, "line too long (4097 bytes, at most 4096)");
	free(f);
}

static void test_bad_too_large(void **state)
{
	size_t n = TS_POLICY_FILE_MAX_BYTES + 1ul;
	char *f = malloc(n);

	(void)state;
	assert_non_null(f);
	memset(f, '\n', n);
	memcpy(f, "mode = enforce", 14);
	check_bad(f, n, 0, "file too large (more than 16777216 bytes)");
	free(f);
}

/* at most TS_POLICY_FILE_MAX_ENTRIES in both lists: one more is line N+2 */
static void test_entry_limit(void **state)
{
	size_t cap = (size_t)TS_POLICY_FILE_MAX_ENTRIES * 16 + 64, len = 0;
	char *f = malloc(cap), err[512];
	struct ts_policy_doc doc = {};
	unsigned i;

	(void)state;
	assert_non_null(f);
	len += (size_t)sprintf(f + len, "[allow]\n");
	for (i = 0; i < TS_POLICY_FILE_MAX_ENTRIES; i++) {
		if (i == TS_POLICY_FILE_MAX_ENTRIES / 2)
			len += (size_t)sprintf(f + len, "[deny]\n");
		len += (size_t)sprintf(f + len, "cidr=1::%x:%x\n", i >> 16, i & 0xffff);
	}
	assert_true(len <= TS_POLICY_FILE_MAX_BYTES);
	assert_int_equal(parse(f, len, &doc, err, sizeof(err)), 0);
	assert_int_equal(doc.n_allow, TS_POLICY_FILE_MAX_ENTRIES / 2);
	assert_int_equal(doc.n_deny, TS_POLICY_FILE_MAX_ENTRIES / 2);
	assert_cidr(&doc.deny[doc.n_deny - 1], "1::f:423f/128", 0); /* 999999 */
	ts_policy_doc_free(&doc);
	len += (size_t)sprintf(f + len, "cidr=1::1:0:0\n");
	check_bad(f, len, TS_POLICY_FILE_MAX_ENTRIES + 3,
		  "too many list entries (at most 1000000 in [allow] and [deny])");
	free(f);
}

/* --------------------------------------------------------------- load */

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load(void **state)
{
	static const char good[] = "mode = enforce\n[deny]\ncidr = 2001:db8::/32 ttl=60\n";
	static const char badf[] = "mode = enforce\n\nmode = observe\n";
	struct ts_policy_doc doc = {};
	char path[128], err[512], want[256];
	int fd;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_policy_file.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));

	snprintf(path, sizeof(path), "%s/good.ini", tmpdir);
	write_file(path, good, sizeof(good) - 1);
	assert_int_equal(ts_policy_doc_load(path, &doc, err, sizeof(err)), 0);
	assert_int_equal(doc.pol.mode, TS_MODE_ENFORCE);
	assert_int_equal(doc.n_deny, 1);
	assert_cidr(&doc.deny[0], "2001:db8::/32", 60);
	ts_policy_doc_free(&doc);
	unlink(path);

	snprintf(path, sizeof(path), "%s/bad.ini", tmpdir);
	write_file(path, badf, sizeof(badf) - 1);
	assert_int_equal(ts_policy_doc_load(path, &doc, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: duplicate key 'mode' (first set on line 1)", path);
	assert_string_equal(err, want);
	assert_memory_equal(&doc, &zero_doc, sizeof(doc));
	unlink(path);

	/* one byte over the limit (a sparse file: reads as NULs, size first) */
	snprintf(path, sizeof(path), "%s/big.ini", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, TS_POLICY_FILE_MAX_BYTES + 1l), 0);
	close(fd);
	assert_int_equal(ts_policy_doc_load(path, &doc, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: file too large (more than 16777216 bytes)", path);
	assert_string_equal(err, want);
	unlink(path);

	snprintf(path, sizeof(path), "%s/missing.ini", tmpdir);
	assert_int_equal(ts_policy_doc_load(path, &doc, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);

	assert_int_equal(ts_policy_doc_load(tmpdir, &doc, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	assert_string_equal(err, want);

	assert_int_equal(ts_policy_doc_load("/dev/null", &doc, err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/null: empty policy file (no settings and no list entries)");
	assert_memory_equal(&doc, &zero_doc, sizeof(doc));
	rmdir(tmpdir);
}

/* ------------------------------------------- the key table underneath */

static void test_policy_set_edges(void **state)
{
	static const struct {
		const char *key, *value;
		int ok;
		const char *want; /* part of the message */
	} t[] = {
		{ "ban_seconds", "1", 1, NULL },
		{ "ban_seconds", "604800", 1, NULL },
		{ "ban_seconds", "604801", 0, "bad value '604801' for ban_seconds (a whole number, 1 to 604800)" },
		{ "ban_seconds", "0", 0, "1 to 604800" },
		{ "ban_seconds", "007", 1, NULL }, /* decimal, not octal */
		{ "syn.rate_per_source", "0", 1, NULL },
		{ "syn.rate_per_source", "100000000", 1, NULL },
		{ "syn.rate_per_source", "100000001", 0, "0 to 100000000" },
		{ "syn.rate_per_source", "4294967296", 0, "bad value '4294967296'" }, /* u32 + 1 */
		{ "syn.rate_per_source", "4294967295", 0, "bad value '4294967295'" },
		{ "syn.rate_per_source", "18446744073709551616", 0, "bad value" },
		{ "syn.rate_per_source", "-1", 0, "bad value '-1'" },
		{ "syn.rate_per_source", "-0", 0, "bad value '-0'" },
		{ "syn.rate_per_source", "+5", 0, "bad value '+5'" },
		{ "syn.rate_per_source", "0x10", 0, "bad value '0x10'" },
		{ "syn.rate_per_source", "010", 1, NULL },
		{ "syn.rate_per_source", " 5", 0, "bad value" },
		{ "syn.rate_per_source", "5 ", 0, "bad value" },
		{ "syn.rate_per_source", "", 0, "bad value ''" },
		{ "syn.rate_per_source", "1.5", 0, "bad value" },
		{ "syn_flood.rate", "9", 0, "10 to 100000000" },
		{ "syn_flood.complete_pct", "100", 1, NULL },
		{ "port_scan.ports", "1", 0, "2 to 128" },
		{ "port_scan.ports", "129", 0, "2 to 128" },
		{ "mode", "enforce", 1, NULL },
		{ "mode", "ENFORCE", 0, "bad value 'ENFORCE' for mode" },
		{ "mode", "", 0, "bad value '' for mode" },
		{ "action.port_scan", "ban", 1, NULL },
		{ "action.bad_flags", "pass", 1, NULL },
		{ "action.ack_flood", "drop", 1, NULL },
		{ "action.ack_flood", "ban", 0, "a ban needs proof" },
		{ "action.bad_flags", "ban", 0, "a ban needs proof its source is real" },
		{ "action.bad_flags", "drop", 1, NULL },
		{ "action.half_open_timeout", "pass", 1, NULL },
		{ "action.half_open_timeout", "ban", 0, "pass only" },
		{ "action.fragment", "drop", 1, NULL },
		{ "action.fragment", "ban", 0, "pass or drop" },
		{ "action.", "drop", 0, "unknown key 'action.'" },
		{ "action", "drop", 0, "unknown key 'action'" },
		{ "", "1", 0, "unknown key ''" },
		{ "ban_seconds ", "1", 0, "unknown key 'ban_seconds '" },
		{ "syn.cookies", "on", 1, NULL },
		{ "syn.cookies", "auto", 1, NULL },
		{ "syn.cookies", "off", 1, NULL },
		{ "syn.cookies", "ON", 0, "bad value 'ON' for syn.cookies (off, auto or on)" },
		{ "syn.cookies", "1", 0, "off, auto or on" },
		{ "syn.cookie_ports", "80", 1, NULL },
		{ "syn.cookie_ports", "80,443, 8080,65535", 1, NULL },
		{ "syn.cookie_ports", "none", 1, NULL },
		{ "syn.cookie_ports", "", 1, NULL },
		{ "syn.cookie_ports", "1,2,3,4,5", 0, "too many ports in syn.cookie_ports (at most 4)" },
		{ "syn.cookie_ports", "80,80", 0, "port 80 twice in syn.cookie_ports" },
		{ "syn.cookie_ports", "0", 0, "bad port '0' in syn.cookie_ports (1 to 65535)" },
		{ "syn.cookie_ports", "65536", 0, "bad port '65536'" },
		{ "syn.cookie_ports", "80;443", 0, "bad port '80;443'" },
		{ "syn.cookie_ports", "http", 0, "bad port 'http'" },
		{ "syn.cookie_ports", "80 ,443", 0, "bad port '80 '" },
	};
	struct ts_policy p, before;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		int rc;

		ts_policy_defaults(&p);
		before = p;
		err[0] = 0;
		rc = ts_policy_set(&p, t[i].key, t[i].value, err, sizeof(err));
		if (rc != (t[i].ok ? 0 : -1) || (!t[i].ok && !strstr(err, t[i].want)))
			fail_msg("ts_policy_set(%s, \"%s\") = %d, \"%s\"", t[i].key, t[i].value, rc,
				 err);
		if (!t[i].ok)
			assert_memory_equal(&p, &before, sizeof(p));
		assert_int_equal(ts_policy_is_key(t[i].key), strncmp(err, "unknown key", 11) != 0);
	}
	ts_policy_defaults(&p);
	assert_int_equal(ts_policy_set(&p, "ban_seconds", "007", NULL, 0), 0);
	assert_int_equal(p.ban_seconds, 7);
	assert_int_equal(ts_policy_set(&p, "syn.rate_per_source", "100000000", NULL, 0), 0);
	assert_int_equal(p.syn_rate_per_source, 100000000);
	assert_int_equal(ts_policy_set(&p, "action.fragment", "drop", NULL, 0), 0);
	assert_int_equal(p.action_fragment, TS_ACT_DROP);
	assert_int_equal(ts_policy_set(&p, "nope", "1", NULL, 0), -1); /* no err buffer: fine */
	/* the cookie keys, as the datapath reads them */
	assert_int_equal(p.syn_cookies, TS_COOKIES_OFF);
	assert_int_equal(p.cookie_nports, 0);
	assert_int_equal(ts_policy_set(&p, "syn.cookies", "auto", NULL, 0), 0);
	assert_int_equal(p.syn_cookies, TS_COOKIES_AUTO);
	assert_int_equal(ts_policy_set(&p, "syn.cookie_ports", "443, 80", NULL, 0), 0);
	assert_int_equal(p.cookie_nports, 2);
	assert_int_equal(p.cookie_ports[0], 443);
	assert_int_equal(p.cookie_ports[1], 80);
	assert_int_equal(p.cookie_ports[2], 0);
	assert_int_equal(ts_policy_set(&p, "syn.cookie_ports", "none", NULL, 0), 0);
	assert_int_equal(p.cookie_nports, 0);
	assert_int_equal(p.cookie_ports[0], 0);
}

static void test_cidr_parse_edges(void **state)
{
	static const struct {
		const char *in;
		int ok;
		const char *want; /* ok: ts_cidr_format of it; else part of the message */
		unsigned family, plen;
	} t[] = {
		{ "10.0.0.0/8", 1, "10.0.0.0/8", 4, 104 },
		{ "10.0.0.0/08", 1, "10.0.0.0/8", 4, 104 },
		{ "0.0.0.0/0", 1, "0.0.0.0/0", 4, 96 },
		{ "192.0.2.1", 1, "192.0.2.1/32", 4, 128 },
		{ "192.0.2.1/32", 1, "192.0.2.1/32", 4, 128 },
		{ "::/0", 1, "::/0", 6, 0 },
		{ "2001:db8::/32", 1, "2001:db8::/32", 6, 32 },
		{ "2001:DB8::/32", 1, "2001:db8::/32", 6, 32 },
		{ "::1", 1, "::1/128", 6, 128 },
		/* a v4-mapped IPv6 address stays family 6, but its trie key is
		 * the IPv4 one (plen 128 = /32): the file parser's duplicate
		 * check treats them as one entry */
		{ "::ffff:1.2.3.4", 1, "::ffff:1.2.3.4/128", 6, 128 },
		{ "::ffff:0.0.0.0/96", 1, "::ffff:0.0.0.0/96", 6, 96 },
		{ "10.0.0.0/33", 0, "prefix length must be 0 to 32", 0, 0 },
		{ "2001:db8::/129", 0, "prefix length must be 0 to 128", 0, 0 },
		{ "10.0.0.0/4294967304", 0, "prefix length must be 0 to 32", 0, 0 }, /* 2^32 + 8 */
		{ "10.0.0.0/-8", 0, "prefix length", 0, 0 },
		{ "10.0.0.0/+8", 0, "prefix length", 0, 0 },
		{ "10.0.0.0/0x8", 0, "prefix length", 0, 0 },
		{ "10.0.0.0/", 0, "prefix length", 0, 0 },
		{ "10.0.0.0/ 8", 0, "prefix length", 0, 0 },
		{ "10.0.0.1/8", 0, "address bits set past the /8 prefix", 0, 0 },
		{ "10.0.0.0/0", 0, "address bits set past the /0 prefix", 0, 0 },
		{ "2001:db8::1/32", 0, "address bits set past the /32 prefix", 0, 0 },
		{ "::ffff:1.2.3.4/64", 0, "address bits set past the /64 prefix", 0, 0 },
		{ "/8", 0, "want ADDRESS[/PREFIX]", 0, 0 },
		{ "", 0, "want ADDRESS[/PREFIX]", 0, 0 },
		{ "1.2.3", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "01.2.3.4", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "0x7f.0.0.1", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "1.2.3.4.5", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "fe80::1%eth0", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "[2001:db8::1]", 0, "is not an IPv4 or IPv6 address", 0, 0 },
		{ "2001:db8:0:0:0:0:0:0:1", 0, "is not an IPv4 or IPv6 address", 0, 0 }, /* 9 groups */
		{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb/8", 0, "want ADDRESS[/PREFIX]", 0, 0 }, /* over 53 */
		{ "10.0.0.0/8/8", 0, "prefix length", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct ts_cidr c, sentinel;
		char err[256] = "", buf[64];
		int rc;

		memset(&c, 0xa5, sizeof(c));
		sentinel = c;
		rc = ts_cidr_parse(t[i].in, &c, err, sizeof(err));
		if (rc != (t[i].ok ? 0 : -1))
			fail_msg("ts_cidr_parse(\"%s\") = %d, \"%s\"", t[i].in, rc, err);
		if (!t[i].ok) {
			if (!strstr(err, t[i].want) || strncmp(err, "bad CIDR '", 10))
				fail_msg("ts_cidr_parse(\"%s\"): \"%s\", want \"%s\"", t[i].in, err,
					 t[i].want);
			assert_memory_equal(&c, &sentinel, sizeof(c)); /* not written */
			continue;
		}
		if (strcmp(ts_cidr_format(buf, sizeof(buf), &c), t[i].want) ||
		    c.family != t[i].family || c.plen != t[i].plen || c.ttl || c.pad[0] || c.pad[1])
			fail_msg("ts_cidr_parse(\"%s\") = %s family %u plen %u", t[i].in, buf, c.family,
				 c.plen);
	}
	/* the v4-mapped spelling is the same trie key as the IPv4 one */
	{
		struct ts_cidr a, b;

		assert_int_equal(ts_cidr_parse("1.2.3.4", &a, NULL, 0), 0);
		assert_int_equal(ts_cidr_parse("::ffff:1.2.3.4", &b, NULL, 0), 0);
		assert_memory_equal(a.addr, b.addr, 16);
		assert_int_equal(a.plen, b.plen);
	}
}

/* A flat JSON object of "key":"string" / "key":number members. Returns the
 * number of members, -1 if not that. */
static int json_flat_object(const char *s)
{
	int n = 0;

	if (*s++ != '{')
		return -1;
	if (*s == '}')
		return s[1] ? -1 : 0;
	for (;;) {
		if (*s++ != '"')
			return -1;
		while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			s++;
		if (*s++ != '"' || *s++ != ':')
			return -1;
		if (*s == '"') {
			s++;
			while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
				s++;
			if (*s++ != '"')
				return -1;
		} else {
			if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
				return -1;
			while (*s >= '0' && *s <= '9')
				s++;
		}
		n++;
		if (*s == '}')
			return s[1] ? -1 : n;
		if (*s++ != ',')
			return -1;
	}
}

static void test_policy_print_json(void **state)
{
	struct ts_policy p;
	char *json = NULL, *keys = NULL, *k, *save = NULL, *obj;
	size_t jn = 0, kn = 0;
	FILE *f;
	int nkeys = 0, members;

	(void)state;
	ts_policy_defaults(&p);
	assert_int_equal(ts_policy_set(&p, "mode", "enforce", NULL, 0), 0);
	assert_int_equal(ts_policy_set(&p, "syn.rate_per_source", "100000000", NULL, 0), 0);
	assert_int_equal(ts_policy_set(&p, "syn.cookies", "on", NULL, 0), 0);
	assert_int_equal(ts_policy_set(&p, "syn.cookie_ports", "80,443", NULL, 0), 0);
	f = open_memstream(&json, &jn);
	assert_non_null(f);
	ts_policy_print(f, &p, 1);
	fclose(f);
	f = open_memstream(&keys, &kn);
	assert_non_null(f);
	ts_policy_print_keys(f);
	fclose(f);

	assert_true(asprintf(&obj, "{%s}", json) > 0);
	members = json_flat_object(obj);
	if (members < 0)
		fail_msg("not a flat JSON object: %s", obj);
	assert_non_null(strstr(obj, "\"mode\":\"enforce\""));
	assert_non_null(strstr(obj, "\"syn.rate_per_source\":100000000"));
	assert_non_null(strstr(obj, "\"action.port_scan\":\"ban\""));
	assert_non_null(strstr(obj, "\"syn.cookies\":\"on\""));
	assert_non_null(strstr(obj, "\"syn.cookie_ports\":\"80,443\""));
	/* every key `policy keys` lists is in it, once */
	for (k = strtok_r(keys, "\n", &save); k; k = strtok_r(NULL, "\n", &save)) {
		char name[64], pat[80], *at;

		assert_int_equal(sscanf(k, " %63s", name), 1);
		snprintf(pat, sizeof(pat), "\"%s\":", name);
		at = strstr(obj, pat);
		if (!at || strstr(at + 1, pat))
			fail_msg("key %s: %s in %s", name, at ? "twice" : "missing", obj);
		assert_true(ts_policy_is_key(name));
		nkeys++;
	}
	assert_int_equal(members, nkeys);
	assert_true(nkeys >= 20);
	free(obj);
	free(json);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_settings),
		cmocka_unit_test(test_good_lists),
		cmocka_unit_test(test_good_crlf_bom),
		cmocka_unit_test(test_good_limits),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_doc_untouched),
		cmocka_unit_test(test_bad_long_line),
		cmocka_unit_test(test_bad_too_large),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_policy_set_edges),
		cmocka_unit_test(test_cidr_parse_edges),
		cmocka_unit_test(test_policy_print_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
