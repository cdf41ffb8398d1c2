// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command-line options from a table: see opts.h. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "args.h"
#include "opts.h"

#define MAX_OPTS 48  /* options of one command, groups included, and --help */
#define HELP_COL 30  /* where an option's help starts */
#define WIDTH 79

/* a table with its groups spliced in: each option and where its struct is */
struct flat {
	const struct ts_opt *o;
	size_t base;
};

const struct ts_opt ts_read_options[] = {
	TS_OPT("json", 'j', TS_OPT_FLAG, struct ts_read_opts, json,
	       .help = "JSON, one object a line"),
	TS_OPT("iface", 'i', TS_OPT_STR, struct ts_read_opts, iface, .arg = "IF",
	       .help = "only this interface (default: every one attached in the namespace)"),
	{}
};

static const struct ts_opt help_opt = {
	.name = "help", .short_name = 'h', .type = TS_OPT_FLAG, .help = "this text",
};

static int flatten(const struct ts_opt *t, size_t base, struct flat *f, int n)
{
	for (; t && t->name && n >= 0; t++) {
		if (t->type == TS_OPT_GROUP)
			n = flatten(t->group, base + t->off, f, n);
		else if (n < MAX_OPTS - 1)
			f[n++] = (struct flat){ t, base };
		else
			n = -1;
	}
	return n;
}

static int flat_opts(const struct ts_cmd *cmd, struct flat *f)
{
	int n = flatten(cmd->opts, 0, f, 0);

	if (n >= 0)
		f[n++] = (struct flat){ &help_opt, 0 };
	return n;
}

static int takes_arg(const struct ts_opt *o)
{
	return o->type != TS_OPT_FLAG && o->type != TS_OPT_COUNT && o->type != TS_OPT_UNSET;
}

/* what a good value looks like: "1 to 100 SYN/s", "native, generic or auto" */
static void wanted(const struct ts_opt *o, char *buf, size_t n)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	switch (o->type) {
	case TS_OPT_U32:
	case TS_OPT_U64:
		if (o->max == ~0ull)
			len = (size_t)snprintf(buf, n, "%llu or more", (unsigned long long)o->min);
		else
			len = (size_t)snprintf(buf, n, "%llu to %llu", (unsigned long long)o->min,
					       (unsigned long long)o->max);
		if (o->unit && len < n)
			snprintf(buf + len, n - len, " %s", o->unit);
		break;
	case TS_OPT_ENUM:
		for (i = 0; o->names[i] && len < n; i++)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", i == 0 ? "" :
						o->names[i + 1] ? ", " : " or ", o->names[i]);
		break;
	case TS_OPT_PARSE:
		snprintf(buf, n, "%s", o->hint ? o->hint : "");
		break;
	default:
		break;
	}
}

/* "tcpsentry[ NAME]: message" (fmt NULL: none), then where the help is:
 * the command's --help, or (name NULL: the program's own options) the
 * whole help of `whole` */
static int vusage(const char *name, const struct ts_cmd *whole, const char *fmt, va_list ap)
{
	if (fmt) {
		fprintf(stderr, "tcpsentry%s%s: ", name ? " " : "", name ? name : "");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	if (name)
		fprintf(stderr, "try 'tcpsentry %s --help'\n", name);
	else
		ts_opts_help(stderr, whole);
	return 2;
}

static int usage(const struct ts_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const struct ts_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vusage(cmd->name, cmd, fmt, ap);
	va_end(ap);
	return r;
}

int ts_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vusage(cmd, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* the argument of option f into its field; 0, or 2 after a usage error */
static int set(const struct ts_cmd *cmd, const struct flat *f, char *opts, const char *arg)
{
	const struct ts_opt *o = f->o;
	void *field = opts + f->base + o->off;
	char want[160];
	__u64 v;
	int i;

	switch (o->type) {
	case TS_OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case TS_OPT_COUNT:
		(*(int *)field)++;
		return 0;
	case TS_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case TS_OPT_UNSET:
		*(const char **)field = NULL;
		return 0;
	case TS_OPT_U32:
	case TS_OPT_U64:
		if (ts_parse_u64(arg, o->min, o->max, &v))
			break;
		if (o->type == TS_OPT_U32)
			*(__u32 *)field = (__u32)v;
		else
			*(__u64 *)field = v;
		return 0;
	case TS_OPT_ENUM:
		for (i = 0; o->names[i]; i++) {
			if (!strcmp(arg, o->names[i])) {
				*(int *)field = i;
				return 0;
			}
		}
		break;
	case TS_OPT_PARSE:
		if (!o->parse(arg, field))
			return 0;
		break;
	case TS_OPT_GROUP:
		break;
	}
	wanted(o, want, sizeof(want));
	return usage(cmd, "bad --%s '%s' (%s)", o->name, arg, want);
}

int ts_opts_parse(const struct ts_cmd *cmd, int argc, char **argv, void *opts, int *first,
		  FILE *help)
{
	struct option lo[MAX_OPTS + 1];
	struct flat f[MAX_OPTS];
	char short_opts[2 * MAX_OPTS + 2], *s = short_opts;
	int n = flat_opts(cmd, f), c, i, idx, nargs, r;

	if (n < 0)
		return usage(cmd, "too many options in its table (a bug)");
	if (cmd->size)
		memcpy(opts, cmd->defaults, cmd->size);
	if (cmd->in_order)
		*s++ = '+'; /* stop at the command: its options are its own */
	for (i = 0; i < n; i++) {
		lo[i] = (struct option){ f[i].o->name, takes_arg(f[i].o) ? required_argument :
								       no_argument, NULL, 0 };
		if (f[i].o->short_name) {
			*s++ = f[i].o->short_name;
			if (takes_arg(f[i].o))
				*s++ = ':';
		}
	}
	lo[n] = (struct option){};
	*s = '\0';
	optind = 0; /* a fresh scan, GNU getopt's reset */
	while ((c = getopt_long(argc, argv, short_opts, lo, &idx)) != -1) {
		if (c == '?') /* getopt said what */
			return usage(cmd, NULL);
		if (c) /* a short option: find its entry */
			for (idx = 0; idx < n && f[idx].o->short_name != c; idx++)
				;
		if (f[idx].o == &help_opt) {
			ts_opts_help(help, cmd);
			return 0;
		}
		r = set(cmd, &f[idx], opts, optarg);
		if (r)
			return r;
	}
	*first = optind;
	nargs = argc - optind;
	if (nargs < cmd->min_args)
		return usage(cmd, "missing %s", cmd->args);
	if (cmd->max_args == 0 && nargs > 0)
		return usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (cmd->max_args == 1 && nargs > 1)
		return usage(cmd, "too many arguments");
	if (cmd->max_args > 1 && nargs > cmd->max_args)
		return usage(cmd, "too many arguments (at most %d)", cmd->max_args);
	return TS_OPTS_GO;
}

/* text wrapped into [col, WIDTH), the first line starting at column at */
static void wrap(FILE *out, const char *text, int at, int col)
{
	while (*text) {
		int len = (int)strcspn(text, " ");

		if (at > col && at + 1 + len > WIDTH) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", len, text);
		at += len;
		text += len;
		text += strspn(text, " ");
	}
}

/* "[--max-flows N]", "[-j]", "[--xdp-mode native|generic|auto]" */
static int synopsis_item(char *buf, size_t n, const struct ts_opt *o)
{
	char arg[96] = "";
	size_t len = 0;
	int i;

	if (o->type == TS_OPT_ENUM)
		for (i = 0; o->names[i] && len < sizeof(arg); i++)
			len += (size_t)snprintf(arg + len, sizeof(arg) - len, "%s%s", i ? "|" : "",
						o->names[i]);
	else if (takes_arg(o))
		snprintf(arg, sizeof(arg), "%s", o->arg ? o->arg : "VALUE");
	if (!takes_arg(o) && o->short_name)
		return snprintf(buf, n, "[-%c]", o->short_name);
	return snprintf(buf, n, "[--%s%s%s]", o->name, *arg ? " " : "", arg);
}

/* "(1024 to 134217728; default 1048576)", "(native, generic or auto;
 * default auto)"; defaults: the struct the option's field is in */
static void range_default(char *buf, size_t n, const struct ts_opt *o, const char *defaults)
{
	char want[160];
	__u64 d;

	buf[0] = '\0';
	wanted(o, want, sizeof(want));
	switch (o->type) {
	case TS_OPT_U32:
	case TS_OPT_U64:
		d = o->type == TS_OPT_U32 ? *(const __u32 *)(defaults + o->off) :
					    *(const __u64 *)(defaults + o->off);
		d = d ? d : o->dflt;
		if (d)
			snprintf(buf, n, "(%s; default %llu)", want, (unsigned long long)d);
		else
			snprintf(buf, n, "(%s)", want);
		break;
	case TS_OPT_ENUM: /* the help names the words; a negative default: none */
		if (*(const int *)(defaults + o->off) >= 0)
			snprintf(buf, n, "(default %s)",
				 o->names[*(const int *)(defaults + o->off)]);
		break;
	case TS_OPT_STR:
		if (*(const char *const *)(defaults + o->off))
			snprintf(buf, n, "(default %s)", *(const char *const *)(defaults + o->off));
		break;
	case TS_OPT_PARSE:
		snprintf(buf, n, "(%s)", want);
		break;
	default:
		break;
	}
}

/* one line an option (more if its help wraps) */
static void help_line(FILE *out, const struct ts_opt *t, const char *defaults)
{
	char left[96], extra[192], text[512];
	int at;

	at = t->short_name ? snprintf(left, sizeof(left), "  -%c, --%s", t->short_name, t->name) :
			     snprintf(left, sizeof(left), "      --%s", t->name);
	if (takes_arg(t))
		snprintf(left + at, sizeof(left) - (size_t)at, " %s",
			 t->arg ? t->arg : t->type == TS_OPT_ENUM ? "WORD" : "VALUE");
	fputs(left, out);
	at = (int)strlen(left);
	if (at >= HELP_COL - 1)
		fprintf(out, "\n%*s", HELP_COL, "");
	else
		fprintf(out, "%*s", HELP_COL - at, "");
	range_default(extra, sizeof(extra), t, defaults);
	snprintf(text, sizeof(text), "%s%s%s", t->help ? t->help : "", *extra ? " " : "", extra);
	wrap(out, text, HELP_COL, HELP_COL);
	fputc('\n', out);
}

static void help_options(FILE *out, const struct ts_opt *t, const char *defaults)
{
	for (; t && t->name; t++) {
		if (t->type == TS_OPT_GROUP)
			help_options(out, t->group, defaults + t->off);
		else
			help_line(out, t, defaults);
	}
}

static void synopsis(FILE *out, const struct ts_cmd *cmd, const struct flat *f, int n)
{
	char head[64], item[128];
	int at, col, i;

	snprintf(head, sizeof(head), "usage: tcpsentry%s%s", cmd->name ? " " : "",
		 cmd->name ? cmd->name : "");
	fputs(head, out);
	at = col = (int)strlen(head);
	if (cmd->args && !cmd->in_order)
		at += fprintf(out, " %s", cmd->args);
	for (i = 0; i < n; i++) {
		int len;

		if (f[i].o == &help_opt)
			continue;
		len = synopsis_item(item, sizeof(item), f[i].o);
		if (at + 1 + len > WIDTH) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		}
		at += fprintf(out, " %s", item);
	}
	if (cmd->args && cmd->in_order)
		fprintf(out, " %s", cmd->args);
	fputc('\n', out);
}

void ts_opts_help(FILE *out, const struct ts_cmd *cmd)
{
	struct flat f[MAX_OPTS];
	int n = flat_opts(cmd, f);

	synopsis(out, cmd, f, n < 0 ? 0 : n);
	if (cmd->doc)
		fprintf(out, "\n%s", cmd->doc);
	fputs("\noptions:\n", out);
	help_options(out, cmd->opts, cmd->defaults);
	help_line(out, &help_opt, NULL);
	if (cmd->more)
		cmd->more(out);
}
