// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the option tables (user/lib/opts.c): every type lands in
 * its field, ranges and words are checked with a message that names the
 * option and what it wants, positional arguments are counted, groups share
 * a table between two commands, and --help is generated from the table
 * (every option, its range and default, within 79 columns).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <tcpsentry/sketch.h>
#include "loader.h"
#include "opts.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

struct inner {
	__u32 rate;
	int quiet;
};

struct t_opts {
	int json;
	int verbose;
	const char *name;
	const char *listen;
	__u64 size;
	__u32 pct;
	int mode;
	int even;
	struct inner in;
};

static const char *const modes[] = { "auto", "native", "generic", NULL };

static int parse_even(const char *arg, void *field)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v % 2)
		return -1;
	*(int *)field = (int)v;
	return 0;
}

static const struct ts_opt inner_options[] = {
	TS_OPT("rate", 0, TS_OPT_U32, struct inner, rate, .arg = "N", .min = 10, .max = 1000,
	       .unit = "SYN/s", .dflt = 50, .help = "inner rate"),
	TS_OPT("quiet", 'q', TS_OPT_FLAG, struct inner, quiet, .help = "inner flag"),
	{}
};

static const struct ts_opt t_options[] = {
	TS_OPT("json", 'j', TS_OPT_FLAG, struct t_opts, json, .help = "JSON"),
	TS_OPT("verbose", 'v', TS_OPT_COUNT, struct t_opts, verbose, .help = "louder"),
	TS_OPT("name", 'n', TS_OPT_STR, struct t_opts, name, .arg = "NAME", .help = "a name"),
	TS_OPT("listen", 0, TS_OPT_STR, struct t_opts, listen, .arg = "ADDR",
	       .help = "where to listen"),
	TS_OPT("no-listen", 0, TS_OPT_UNSET, struct t_opts, listen, .help = "do not listen"),
	TS_OPT("size", 's', TS_OPT_U64, struct t_opts, size, .arg = "N", .min = 1024,
	       .max = 1ull << 27, .help = "a size"),
	TS_OPT("pct", 0, TS_OPT_U32, struct t_opts, pct, .arg = "P", .min = 1, .max = 100,
	       .unit = "%", .help = "a share"),
	TS_OPT("mode", 0, TS_OPT_ENUM, struct t_opts, mode, .arg = "MODE", .names = modes,
	       .help = "a mode"),
	TS_OPT("even", 0, TS_OPT_PARSE, struct t_opts, even, .arg = "N", .parse = parse_even,
	       .hint = "an even number", .help = "an even number"),
	TS_OPT_GROUP_OF(inner_options, struct t_opts, in),
	{}
};

static const struct t_opts t_defaults = {
	.listen = "127.0.0.1:9464", .size = 4096, .mode = 0, .even = -2,
};

static const struct ts_cmd t_cmd = {
	.name = "frob",
	.args = "IFACE...",
	.min_args = 1,
	.max_args = 3,
	.doc = "Frobnicate IFACE.\n",
	.opts = t_options,
	.defaults = &t_defaults,
	.size = sizeof(struct t_opts),
};

/* run the parser on a NULL-terminated argument list (the command name
 * first); stderr is captured into err[], --help into help[] */
static int parse(const struct ts_cmd *cmd, void *opts, int *first, char *err, size_t errlen,
		 char *help, size_t helplen, ...)
{
	char *argv[32];
	const char *a;
	FILE *h = fmemopen(help, helplen, "w");
	FILE *e = tmpfile();
	int argc = 0, saved, rc;
	va_list ap;
	size_t got;

	assert_non_null(h);
	assert_non_null(e);
	va_start(ap, helplen);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(e), 2);
	rc = ts_opts_parse(cmd, argc, argv, opts, first, h);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(e);
	got = fread(err, 1, errlen - 1, e);
	err[got] = '\0';
	fclose(e);
	fclose(h);
	return rc;
}

#define PARSE(opts, ...)                                                                   \
	parse(&t_cmd, (opts), &first, err, sizeof(err), help, sizeof(help), "frob",        \
	      __VA_ARGS__, (const char *)NULL)

static void test_every_type(void **state)
{
	char err[1024], help[8192];
	struct t_opts o;
	int first = -1;

	(void)state;
	/* nothing given: the defaults, and the first argument found */
	assert_int_equal(PARSE(&o, "eth0"), TS_OPTS_GO);
	assert_int_equal(first, 1);
	assert_memory_equal(&o, &t_defaults, sizeof(o));
	assert_string_equal(err, "");

	assert_int_equal(PARSE(&o, "-j", "-vv", "--verbose", "--name", "x", "--no-listen", "-s",
			       "134217728", "--pct=100", "--mode", "generic", "--even", "42",
			       "--rate", "10", "-q", "eth0", "eth1"),
			 TS_OPTS_GO);
	assert_int_equal(o.json, 1);
	assert_int_equal(o.verbose, 3);
	assert_string_equal(o.name, "x");
	assert_null(o.listen);
	assert_int_equal(o.size, 1ull << 27);
	assert_int_equal(o.pct, 100);
	assert_int_equal(o.mode, 2);
	assert_int_equal(o.even, 42);
	assert_int_equal(o.in.rate, 10);
	assert_int_equal(o.in.quiet, 1);
	assert_int_equal(first, 17);

	/* options after the arguments count too (getopt permutes: the
	 * arguments end up last); the last one given wins */
	assert_int_equal(PARSE(&o, "eth0", "--no-listen", "--listen", "[::1]:1", "-s", "1024"),
			 TS_OPTS_GO);
	assert_int_equal(first, 6);
	assert_string_equal(o.listen, "[::1]:1");
	assert_int_equal(o.size, 1024);
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *opt, *val, *msg;
	} t[] = {
		{ "--size", "1023", "bad --size '1023' (1024 to 134217728)" },
		{ "--size", "134217729", "bad --size '134217729' (1024 to 134217728)" },
		{ "--size", "-1", "bad --size '-1'" },
		{ "--size", "1e6", "bad --size '1e6'" },
		{ "--size", "4k", "bad --size '4k'" },
		{ "--size", " 2048", "bad --size ' 2048'" },
		{ "--size", "18446744073709551616", "bad --size '18446744073709551616'" },
		{ "--pct", "0", "bad --pct '0' (1 to 100 %)" },
		{ "--pct", "101", "bad --pct '101' (1 to 100 %)" },
		{ "--rate", "9", "bad --rate '9' (10 to 1000 SYN/s)" },
		{ "--mode", "turbo", "bad --mode 'turbo' (auto, native or generic)" },
		{ "--mode", "Native", "bad --mode 'Native'" },
		{ "--even", "3", "bad --even '3' (an even number)" },
	};
	char err[1024], help[8192];
	struct t_opts o;
	size_t i;
	int first;

	(void)state;
	for (i = 0; i < N(t); i++) {
		int rc = PARSE(&o, t[i].opt, t[i].val, "eth0");

		if (rc != 2 || !strstr(err, t[i].msg) || !strstr(err, "try 'tcpsentry frob --help'"))
			fail_msg("%s %s: exit %d, stderr: %s", t[i].opt, t[i].val, rc, err);
	}
	/* an unknown option, a missing value: getopt's message, exit 2 */
	assert_int_equal(PARSE(&o, "--bogus", "eth0"), 2);
	assert_non_null(strstr(err, "try 'tcpsentry frob --help'"));
	assert_int_equal(PARSE(&o, "eth0", "--size"), 2);
	assert_non_null(strstr(err, "--size"));
}

static void test_arguments(void **state)
{
	static const struct ts_cmd one = { .name = "one", .args = "IFACE", .min_args = 1,
					   .max_args = 1, .opts = t_options,
					   .defaults = &t_defaults, .size = sizeof(struct t_opts) };
	static const struct ts_cmd none = { .name = "none", .opts = t_options,
					    .defaults = &t_defaults, .size = sizeof(struct t_opts) };
	char err[1024], help[8192];
	struct t_opts o;
	int first;

	(void)state;
	assert_int_equal(PARSE(&o, "-j"), 2);
	assert_non_null(strstr(err, "tcpsentry frob: missing IFACE..."));
	assert_int_equal(PARSE(&o, "a", "b", "c", "d"), 2);
	assert_non_null(strstr(err, "too many arguments (at most 3)"));
	assert_int_equal(PARSE(&o, "a", "b", "c"), TS_OPTS_GO);
	assert_int_equal(parse(&one, &o, &first, err, sizeof(err), help, sizeof(help), "one", "a",
			       "b", (const char *)NULL), 2);
	assert_non_null(strstr(err, "tcpsentry one: too many arguments\n"));
	assert_int_equal(parse(&none, &o, &first, err, sizeof(err), help, sizeof(help), "none",
			       "-j", "extra", (const char *)NULL), 2);
	assert_non_null(strstr(err, "unexpected argument 'extra'"));
	assert_int_equal(parse(&none, &o, &first, err, sizeof(err), help, sizeof(help), "none",
			       "-j", (const char *)NULL), TS_OPTS_GO);
	assert_int_equal(first, 2);
}

/* the global options: they stop at the command, whose options are its own */
static void test_in_order(void **state)
{
	static const struct ts_cmd global = { .args = "COMMAND [ARGS]", .max_args = -1,
					      .opts = t_options, .defaults = &t_defaults,
					      .size = sizeof(struct t_opts), .in_order = 1 };
	char err[1024], help[8192];
	struct t_opts o;
	int first;

	(void)state;
	assert_int_equal(parse(&global, &o, &first, err, sizeof(err), help, sizeof(help),
			       "tcpsentry", "-v", "-n", "lab", "stats", "-j", "--size", "1",
			       (const char *)NULL), TS_OPTS_GO);
	assert_int_equal(first, 4);
	assert_int_equal(o.verbose, 1);
	assert_string_equal(o.name, "lab");
	assert_int_equal(o.json, 0); /* stats' -j, not ours */
	/* a usage error of the program itself shows the whole help */
	assert_int_equal(parse(&global, &o, &first, err, sizeof(err), help, sizeof(help),
			       "tcpsentry", "--size", "5", (const char *)NULL), 2);
	assert_non_null(strstr(err, "tcpsentry: bad --size '5'"));
	assert_non_null(strstr(err, "usage: tcpsentry [-j] [-v]"));
}

/* every line of text within 79 columns */
static void assert_narrow(const char *text)
{
	const char *l = text, *nl;

	for (; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			nl = l + strlen(l);
		if (nl - l > 79)
			fail_msg("line longer than 79 columns: %.*s", (int)(nl - l), l);
		if (!*nl)
			break;
	}
}

static void test_help(void **state)
{
	static const char *const want[] = {
		"usage: tcpsentry frob IFACE... [-j] [-v] [--name NAME] [--listen ADDR]",
		"[--mode auto|native|generic]", "[--rate N] [-q]",
		"Frobnicate IFACE.",
		"  -j, --json ", "  -n, --name NAME ", "      --listen ADDR ",
		"(default 127.0.0.1:9464)", "(1024 to 134217728; default 4096)", "(1 to 100 %)",
		"(default auto)", "(an even number)",
		/* a group's options, its default shown while the field is 0 */
		"inner rate (10 to 1000 SYN/s; default 50)", "  -q, --quiet ",
		"  -h, --help ",
	};
	char err[1024], help[8192];
	struct t_opts o;
	size_t i;
	int first;

	(void)state;
	assert_int_equal(PARSE(&o, "--size", "5000", "--help"), 0);
	for (i = 0; i < N(want); i++)
		if (!strstr(help, want[i]))
			fail_msg("help lacks '%s':\n%s", want[i], help);
	assert_narrow(help);
	assert_string_equal(err, "");
}

/* The table `attach` and `run` share: its ranges, words and defaults. */
static void test_attach_options(void **state)
{
	struct a_opts {
		struct ts_attach_opts a;
	};
	static const struct ts_opt a_options[] = {
		TS_OPT_GROUP_OF(ts_attach_options, struct a_opts, a),
		{}
	};
	const struct ts_cmd a_cmd = {
		.name = "attach", .args = "IFACE", .min_args = 1, .max_args = 1,
		.opts = a_options, .defaults = &(const struct a_opts){ .a = TS_ATTACH_DEFAULTS },
		.size = sizeof(struct a_opts),
	};
	char err[1024], help[8192], line[96];
	struct a_opts o;
	int first;

	(void)state;
	assert_int_equal(parse(&a_cmd, &o, &first, err, sizeof(err), help, sizeof(help), "attach",
			       "veth0", (const char *)NULL), TS_OPTS_GO);
	assert_int_equal(o.a.xdp_mode, TS_XDP_AUTO);
	assert_int_equal(o.a.max_flows, TS_DEFAULT_MAX_FLOWS);
	assert_int_equal(o.a.max_embryonic, TS_DEFAULT_MAX_EMBRYONIC);
	assert_int_equal(o.a.syn_flood_rate, 0); /* not given: the policy's stays */
	assert_int_equal(parse(&a_cmd, &o, &first, err, sizeof(err), help, sizeof(help), "attach",
			       "veth0", "--xdp-mode", "generic", "--no-egress", "--max-flows",
			       "1024", "--syn-flood-rate", "100000000", "--scan-ports", "2",
			       "--syn-flood-complete-pct", "1", (const char *)NULL), TS_OPTS_GO);
	assert_int_equal(o.a.xdp_mode, TS_XDP_GENERIC);
	assert_int_equal(o.a.no_egress, 1);
	assert_int_equal(o.a.max_flows, 1024);
	assert_int_equal(o.a.syn_flood_rate, 100000000);
	assert_int_equal(o.a.scan_ports, 2);
	assert_int_equal(o.a.syn_flood_complete_pct, 1);
	assert_int_equal(parse(&a_cmd, &o, &first, err, sizeof(err), help, sizeof(help), "attach",
			       "veth0", "--max-embryonic", "134217729", (const char *)NULL), 2);
	assert_non_null(strstr(err, "bad --max-embryonic '134217729' (1024 to 134217728)"));
	assert_int_equal(parse(&a_cmd, &o, &first, err, sizeof(err), help, sizeof(help), "attach",
			       "--help", (const char *)NULL), 0);
	/* the defaults the policy brings, shown for the thresholds */
	snprintf(line, sizeof(line), "default %u)", TS_DEF_SYN_FLOOD_RATE);
	assert_non_null(strstr(help, line));
	snprintf(line, sizeof(line), "default %llu)", TS_DEFAULT_MAX_FLOWS);
	assert_non_null(strstr(help, line));
	assert_non_null(strstr(help, "[--xdp-mode auto|native|generic]"));
	assert_narrow(help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_attach_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
