/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Command-line options from a table, in the style of xdp-tools' params.c:
 * a command describes each option once (name, type, where its value goes
 * in the command's options struct, range, help) next to a struct holding
 * its defaults. One parser fills the struct, range-checks numbers (errno
 * reset, whole string, no sign), counts the positional arguments, and
 * writes --help from the same table, so the help cannot drift from what
 * is parsed. Usage errors exit 2 and name the problem.
 */
#ifndef TCPSENTRY_OPTS_H
#define TCPSENTRY_OPTS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum ts_opt_type {
	TS_OPT_FLAG,   /* int: 1 when given */
	TS_OPT_COUNT,  /* int: +1 each time given (-v -v) */
	TS_OPT_STR,    /* const char *: the argument */
	TS_OPT_UNSET,  /* const char *: NULL when given (--no-metrics) */
	TS_OPT_U32,    /* __u32 in [min, max] */
	TS_OPT_U64,    /* __u64 in [min, max] */
	TS_OPT_ENUM,   /* int: the index of the argument in names[] */
	TS_OPT_PARSE,  /* parse(arg, field): 0, or -1 for a bad value */
	TS_OPT_GROUP,  /* every option of another table, its struct at off */
};

struct ts_opt {
	const char *name;           /* --name; NULL ends a table */
	char short_name;            /* -c, or 0 */
	enum ts_opt_type type;
	size_t off;                 /* offset of the field in the options struct */
	const char *arg;            /* the argument in help: "N", "FILE" (ENUM: its names) */
	const char *help;
	__u64 min, max;             /* U32, U64 (max ~0ull: no upper bound) */
	const char *unit;           /* U32, U64: after the range, "SYN/s", "s" */
	__u64 dflt;                 /* U32, U64: the default shown while the field's is 0
				     * ("not given": the policy's value stays) */
	const char *const *names;   /* ENUM: NULL-terminated */
	int (*parse)(const char *arg, void *field); /* PARSE */
	const char *hint;           /* PARSE: what a good value looks like */
	const struct ts_opt *group; /* GROUP */
};

/* one entry: TS_OPT("max-flows", 0, TS_OPT_U64, struct opts, max_flows,
 * .arg = "N", .help = "...", .min = 1024, .max = 1ull << 27) */
#define TS_OPT(n, s, t, st, field, ...)                                                    \
	{ .name = (n), .short_name = (s), .type = (t), .off = offsetof(st, field), __VA_ARGS__ }
/* the options of another table, its struct at st.field */
#define TS_OPT_GROUP_OF(table, st, field)                                                 \
	{ .name = #table, .type = TS_OPT_GROUP, .off = offsetof(st, field), .group = (table) }

/* A command (or, name NULL, the program's global options). */
struct ts_cmd {
	const char *name;           /* "attach" */
	const char *args;           /* the positional arguments in the synopsis, "IFACE..." */
	int min_args, max_args;     /* max_args -1: no limit */
	const char *doc;            /* what it does, under the synopsis */
	const struct ts_opt *opts;
	const void *defaults;       /* the options struct as it starts */
	size_t size;
	int in_order;               /* options stop at the first argument (a command follows) */
	void (*more)(FILE *out);    /* help: what follows the options (policy: its keys) */
};

/* -j and --iface: how a command that reads attachments prints, and which
 * (a table of its own, or a GROUP in a larger one) */
struct ts_read_opts {
	int json;
	const char *iface;   /* NULL: every attachment of the namespace */
};
extern const struct ts_opt ts_read_options[];

/* ts_opts_parse: go on with the command */
#define TS_OPTS_GO (-1)

/*
 * Parse argv (argv[0]: the command) into opts, which starts as
 * cmd->defaults. Returns TS_OPTS_GO with *first the index of the first
 * positional argument, their count checked; or the exit status to return
 * at once: 0 after -h/--help (the help written to `help`), 2 after a usage
 * error (on stderr).
 */
int ts_opts_parse(const struct ts_cmd *cmd, int argc, char **argv, void *opts, int *first,
		  FILE *help);

/* the synopsis, what the command does and every option with its range and
 * default */
void ts_opts_help(FILE *out, const struct ts_cmd *cmd);

/* "tcpsentry CMD: message" (fmt NULL: none) and where --help is, on
 * stderr; returns 2, the exit status of a usage error */
int ts_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TCPSENTRY_OPTS_H */
