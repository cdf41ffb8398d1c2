// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loadlog.h"
#include "log.h"

#define REASON_LINES 4

static libbpf_print_fn_t prev_print;
static char prog[64];
static char reason[1024];
static int active;

/* true for the verifier's per-instruction, state and summary lines */
static int noise(const char *l)
{
	static const char *const skip[] = { "processed ", "verification time", "stack depth",
					    "mark_read", "from ", "func#", "Func#", "Validating",
					    "caller:", "callee:", "last_idx", "regs=", "parent " };
	unsigned k;

	l += strspn(l, " \t");
	if (!*l || *l == ';')
		return 1; /* empty, or a source-line annotation */
	if (*l >= '0' && *l <= '9' && l[strspn(l, "0123456789")] == ':')
		return 1; /* "123: (07) r6 += 16", "123: R1=..." */
	for (k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
		if (!strncmp(l, skip[k], strlen(skip[k])))
			return 1;
	return 0;
}

/* keep the last REASON_LINES meaningful lines of the log (the verifier
 * says why at the end); `log` is modified */
static void keep_reason(char *log)
{
	char *lines[REASON_LINES], *l, *nl;
	int n = 0, i;

	for (l = log; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		if (noise(l))
			continue;
		if (n == REASON_LINES) {
			memmove(lines, lines + 1, sizeof(lines[0]) * (REASON_LINES - 1));
			n--;
		}
		lines[n++] = l;
	}
	reason[0] = 0;
	for (i = 0; i < n; i++) {
		size_t used = strlen(reason);

		snprintf(reason + used, sizeof(reason) - used, "  %.200s\n", lines[i]);
	}
}

static int tap(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *begin, *end, *q;
	va_list cp;
	char *msg;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	msg = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (msg) {
		va_copy(cp, ap);
		vsnprintf(msg, (size_t)n + 1, fmt, cp);
		va_end(cp);
		/* libbpf: "prog 'NAME': -- BEGIN PROG LOAD LOG --\n...-- END ..." */
		begin = strstr(msg, "-- BEGIN PROG LOAD LOG --\n");
		end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
		if (begin && end) {
			q = strstr(msg, "prog '");
			if (q && q < begin) {
				q += 6;
				snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(q, "'"), q);
			}
			msg[end - msg] = 0;
			keep_reason(msg + (begin - msg) + strlen("-- BEGIN PROG LOAD LOG --\n"));
		}
		free(msg);
	}
	return prev_print ? prev_print(level, fmt, ap) : 0;
}

void ts_loadlog_begin(void)
{
	prog[0] = reason[0] = 0;
	if (!active)
		prev_print = libbpf_set_print(tap);
	active = 1;
}

void ts_loadlog_end(void)
{
	if (active)
		libbpf_set_print(prev_print);
	active = 0;
}

const char *ts_loadlog_reason(void) { return reason; }
const char *ts_loadlog_prog(void) { return prog; }

void ts_loadlog_last_line(char *buf, size_t len)
{
	size_t n = strlen(reason);
	const char *l;

	while (n && reason[n - 1] == '\n')
		n--;
	l = reason + n;
	while (l > reason && l[-1] != '\n')
		l--;
	l += strspn(l, " ");
	snprintf(buf, len, "%.*s", (int)(reason + n - l), l);
}

int ts_loadlog_report(const char *what, int e)
{
	if (reason[0]) {
		err("cannot load %s: the kernel's verifier rejected program '%s' (%s):\n%s"
		    "tcpsentry: (the whole verifier log: tcpsentry -v -v ...)\n",
		    what, prog[0] ? prog : "?", strerror(e), reason);
		return 1;
	}
	if (e == EPERM || (e == EACCES && geteuid() != 0)) {
		err("cannot load %s: %s: tcpsentry needs root, or CAP_BPF, CAP_NET_ADMIN and "
		    "CAP_PERFMON\n", what, strerror(e));
		return 1;
	}
	err("cannot load %s: %s (run with -v -v for libbpf's messages)\n", what, strerror(e));
	return 1;
}
