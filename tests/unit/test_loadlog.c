// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the verifier-log capture (user/lib/loadlog.c): from libbpf's
 * "PROG LOAD LOG" message, the program's name and the verifier's reason
 * (its last words, not instructions, states or statistics) are kept. The
 * logs are the ends of real rejections on Debian's 6.1 and 6.12. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "loadlog.h"

static int call(libbpf_print_fn_t fn, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fn(LIBBPF_WARN, fmt, ap);
	va_end(ap);
	return r;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* what libbpf prints for a rejected program, through the tap */
static void feed(const char *prog, const char *log)
{
	libbpf_print_fn_t tap;

	tap = libbpf_set_print(silent); /* the tap ts_loadlog_begin installed */
	libbpf_set_print(tap);
	call(tap, "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n", prog,
	     log);
}

static void test_null_check_6_12(void **state)
{
	char last[160];

	(void)state;
	libbpf_set_print(silent);
	ts_loadlog_begin();
	feed("tcpsentry_xdp",
	     "func#3 @1021\n"
	     "; if (cn && idx < TS_C_MAX)\n"
	     "1043: (07) r6 += 16                   ; R6_w=map_value_or_null(id=7,off=0,ks=4,vs=1272,imm=0)\n"
	     "R6 pointer arithmetic on map_value_or_null prohibited, null-check it first\n"
	     "processed 8734 insns (limit 1000000) max_states_per_insn 4 total_states 512 peak_states 400 mark_read 80\n");
	ts_loadlog_end();
	assert_string_equal(ts_loadlog_prog(), "tcpsentry_xdp");
	assert_string_equal(ts_loadlog_reason(),
			    "  R6 pointer arithmetic on map_value_or_null prohibited, null-check it first\n");
	ts_loadlog_last_line(last, sizeof(last));
	assert_string_equal(last,
			    "R6 pointer arithmetic on map_value_or_null prohibited, null-check it first");
}

static void test_too_large_6_1(void **state)
{
	(void)state;
	libbpf_set_print(silent);
	ts_loadlog_begin();
	feed("tcpsentry_xdp",
	     "8825: (67) r2 <<= 32                  ; R2_w=1623497637888\n"
	     "8826: (77) r2 >>= 32\n"
	     "BPF program is too large. Processed 1000001 insn\n"
	     "processed 1000001 insns (limit 1000000) max_states_per_insn 19 total_states 31147\n");
	ts_loadlog_end();
	assert_string_equal(ts_loadlog_reason(), "  BPF program is too large. Processed 1000001 insn\n");
}

/* at most the last four meaningful lines, in order */
static void test_keeps_the_end(void **state)
{
	(void)state;
	libbpf_set_print(silent);
	ts_loadlog_begin();
	feed("p", "a\nb\n1: (b7) r0 = 0\nc\nd\ne\nfrom 4 to 7: R0=1\nf\nverification time 12 usec\n");
	ts_loadlog_end();
	assert_string_equal(ts_loadlog_reason(), "  c\n  d\n  e\n  f\n");
}

/* no log (EPERM before the verifier): nothing kept, the next load starts clean */
static void test_begin_clears(void **state)
{
	char last[16];

	(void)state;
	libbpf_set_print(silent);
	ts_loadlog_begin();
	feed("p", "x\n");
	ts_loadlog_end();
	ts_loadlog_begin();
	ts_loadlog_end();
	assert_string_equal(ts_loadlog_reason(), "");
	ts_loadlog_last_line(last, sizeof(last));
	assert_string_equal(last, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_check_6_12),
		cmocka_unit_test(test_too_large_6_1),
		cmocka_unit_test(test_keeps_the_end),
		cmocka_unit_test(test_begin_clears),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
