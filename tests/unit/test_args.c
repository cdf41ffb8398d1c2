// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the command-line number and name parsers (user/lib/args.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void test_parse_u64(void **state)
{
	static const struct {
		const char *in;
		__u64 min, max;
		int ok;
		__u64 want;
	} t[] = {
		{ "0", 0, UINT64_MAX, 1, 0 },
		{ "5", 0, UINT64_MAX, 1, 5 },
		{ "007", 0, UINT64_MAX, 1, 7 },         /* decimal, not octal */
		{ "4294967296", 0, UINT64_MAX, 1, 4294967296ull },
		{ "18446744073709551615", 0, UINT64_MAX, 1, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, 0, 0 }, /* overflow */
		{ "99999999999999999999999", 0, UINT64_MAX, 0, 0 },
		{ "", 0, UINT64_MAX, 0, 0 },
		{ "-1", 0, UINT64_MAX, 0, 0 },          /* strtoull would wrap it */
		{ "-0", 0, UINT64_MAX, 0, 0 },
		{ "+5", 0, UINT64_MAX, 0, 0 },
		{ " 5", 0, UINT64_MAX, 0, 0 },
		{ "\t5", 0, UINT64_MAX, 0, 0 },
		{ "5 ", 0, UINT64_MAX, 0, 0 },
		{ "5\n", 0, UINT64_MAX, 0, 0 },
		{ "5x", 0, UINT64_MAX, 0, 0 },
		{ "0x10", 0, UINT64_MAX, 0, 0 },
		{ "1e3", 0, UINT64_MAX, 0, 0 },
		{ "1.5", 0, UINT64_MAX, 0, 0 },
		{ "x", 0, UINT64_MAX, 0, 0 },
		/* bounds are inclusive */
		{ "10", 10, 20, 1, 10 },
		{ "20", 10, 20, 1, 20 },
		{ "15", 10, 20, 1, 15 },
		{ "9", 10, 20, 0, 0 },
		{ "21", 10, 20, 0, 0 },
		{ "0", 1, 100, 0, 0 },
		{ "7", 7, 7, 1, 7 },
		{ "18446744073709551615", 0, UINT64_MAX - 1, 0, 0 },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX, 1, UINT64_MAX },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		__u64 v = SENTINEL;
		int rc;

		errno = ERANGE; /* a stale errno must not fail a good number */
		rc = ts_parse_u64(t[i].in, t[i].min, t[i].max, &v);
		if (rc != (t[i].ok ? 0 : -1) || v != (t[i].ok ? t[i].want : SENTINEL))
			fail_msg("ts_parse_u64(\"%s\", %llu, %llu) = %d, value %llu", t[i].in,
				 (unsigned long long)t[i].min, (unsigned long long)t[i].max, rc,
				 (unsigned long long)v);
	}

	{
		__u64 v = SENTINEL;

		assert_int_equal(ts_parse_u64(NULL, 0, UINT64_MAX, &v), -1);
		assert_int_equal(v, SENTINEL);
	}
}

static void test_parse_port(void **state)
{
	static const struct {
		const char *in;
		int ok;
		__u16 want;
	} t[] = {
		{ "0", 0, 0 },
		{ "1", 1, 1 },
		{ "80", 1, 80 },
		{ "65535", 1, 65535 },
		{ "65536", 0, 0 },
		{ "70000", 0, 0 },
		{ "131073", 0, 0 },  /* would truncate to 1 */
		{ "-1", 0, 0 },
		{ "", 0, 0 },
		{ "80x", 0, 0 },
		{ " 80", 0, 0 },
		{ "http", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		__u16 p = 0xa5a5;
		int rc = ts_parse_port(t[i].in, &p);

		if (rc != (t[i].ok ? 0 : -1) || p != (t[i].ok ? t[i].want : 0xa5a5))
			fail_msg("ts_parse_port(\"%s\") = %d, value %u", t[i].in, rc, p);
	}
	{
		__u16 p = 0xa5a5;

		assert_int_equal(ts_parse_port(NULL, &p), -1);
		assert_int_equal(p, 0xa5a5);
	}
}

static void test_valid_ifname(void **state)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
		{ "eth0", 1 },
		{ "lo", 1 },
		{ "veth-ts0", 1 },
		{ "enp0s31f6", 1 },
		{ "br0.100", 1 },
		{ "a", 1 },
		{ "...", 1 },
		{ "123456789012345", 1 },   /* IFNAMSIZ - 1 */
		{ "1234567890123456", 0 },  /* IFNAMSIZ: no room for the NUL */
		{ "an-interface-name-far-too-long", 0 },
		{ "", 0 },
		{ ".", 0 },
		{ "..", 0 },
		{ "a/b", 0 },
		{ "/", 0 },
		{ "../eth0", 0 },
		{ "eth 0", 0 },
		{ " eth0", 0 },
		{ "eth0 ", 0 },
		{ "eth0\t", 0 },
		{ "eth0\n", 0 },
		{ "eth\v0", 0 },
	};
	size_t i;

	(void)state;
	assert_int_equal(IFNAMSIZ, 16);
	for (i = 0; i < N(t); i++)
		if (!!ts_valid_ifname(t[i].in) != t[i].ok)
			fail_msg("ts_valid_ifname(\"%s\") = %d, want %d", t[i].in,
				 ts_valid_ifname(t[i].in), t[i].ok);
	assert_false(ts_valid_ifname(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_port),
		cmocka_unit_test(test_valid_ifname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
