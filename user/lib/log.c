// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int ts_log_level = TS_LOG_WARN;

void ts_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > ts_log_level)
		return;
	fputs("tcpsentry: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int ours = level == LIBBPF_WARN ? TS_LOG_INFO : TS_LOG_DEBUG;

	/* libbpf warns loudly about probes that are expected to fail; its
	 * warnings show at -v, its debug output at -vv */
	if (ours > ts_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void ts_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
