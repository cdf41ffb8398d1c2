// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of the fragment distance tcpsentry follows (net.ipv4.
 * ipfrag_max_dist, user/lib/policy_store.c and netns.c): the config word
 * each sysctl value becomes (0 turns the kernel's check off, a value out
 * of the sysctl's range leaves the default), and the sysctl reader's
 * answers for a number, a word and a name that is not there. That the
 * datapath and the kernel then agree is bpftest's and e2e's
 * (test_atk4_frag_distance).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <tcpsentry/consts.h>
#include "netns.h"
#include "policy_store.h"

static void test_word(void **state)
{
	(void)state;
	assert_int_equal(ts_frag_dist_word(64), 64);
	assert_int_equal(ts_frag_dist_word(1), 1);
	assert_int_equal(ts_frag_dist_word(16), 16);
	/* 0: the kernel's check off, a distance no count reaches */
	assert_int_equal(ts_frag_dist_word(0), TS_FRAG_DIST_OFF);
	/* out of the sysctl's range: the default (0 in the word) */
	assert_int_equal(ts_frag_dist_word(-1), 0);
	assert_int_equal(ts_frag_dist_word(LONG_MAX), 0);
	assert_int_equal(ts_frag_dist_word((long)TS_FRAG_DIST_OFF), 0);
	assert_int_equal(ts_frag_dist_word(INT_MAX), INT_MAX);
}

static void test_sysctl(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(ts_netns_sysctl("net/ipv4/ipfrag_max_dist", &v), 0);
	assert_true(v >= 0);
	assert_int_equal(ts_netns_sysctl("net/ipv4/no_such_sysctl", &v), -ENOENT);
	/* a word, not a number */
	assert_int_equal(ts_netns_sysctl("kernel/ostype", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_sysctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
