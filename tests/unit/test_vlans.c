// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of attach --vlans (user/lib/vlans.c): the words and lists it
 * takes, those it refuses (a VID out of 1-4094, a sign, an empty item, a
 * word it does not know), the sets a list fills, and how status prints
 * them. The netlink probe (auto) is an e2e matter (test_vlan_auto).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vlans.h"

static void test_words(void **state)
{
	struct ts_vlans_sel s;

	(void)state;
	assert_int_equal(ts_vlans_parse("auto", &s), 0);
	assert_int_equal(s.mode, TS_VLANS_AUTO);
	assert_int_equal(ts_vlans_parse("any", &s), 0);
	assert_int_equal(s.mode, TS_VLANS_ANY);
}

static void test_list(void **state)
{
	struct ts_vlans_sel s;
	char buf[96];

	(void)state;
	assert_int_equal(ts_vlans_parse("100,1,4094", &s), 0);
	assert_int_equal(s.mode, TS_VLANS_LIST);
	/* a VID of the list is the operator's for either outer tag protocol */
	assert_true(ts_vlans_has(&s.list, TS_VLAN_Q, 100));
	assert_true(ts_vlans_has(&s.list, TS_VLAN_AD, 100));
	assert_true(ts_vlans_has(&s.list, TS_VLAN_Q, 1));
	assert_true(ts_vlans_has(&s.list, TS_VLAN_Q, 4094));
	assert_false(ts_vlans_has(&s.list, TS_VLAN_Q, 101));
	assert_false(ts_vlans_has(&s.list, TS_VLAN_INNER_Q, 100));
	ts_vlans_str(&s.list, buf, sizeof(buf));
	assert_string_equal(buf, "1,100,4094");
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "0", "4095", "65636", "100,", ",100", "100,,200", "+100", "-1", " 100",
		"100 ", "1e2", "0x10", "some", "AUTO", "100;200", "99999999999999999999",
	};
	struct ts_vlans_sel s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ts_vlans_parse(bad[i], &s) != -1)
			fail_msg("--vlans '%s' taken", bad[i]);
}

static void test_str(void **state)
{
	struct ts_vlans v = {};
	char buf[96], small[12];
	unsigned int vid;

	(void)state;
	ts_vlans_str(&v, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	ts_vlans_set(&v, TS_VLAN_Q, 300);
	ts_vlans_set(&v, TS_VLAN_AD, 400);
	ts_vlans_set(&v, TS_VLAN_INNER_Q, 30);
	ts_vlans_str(&v, buf, sizeof(buf));
	assert_string_equal(buf, "300,ad:400,inner:30");
	for (vid = 1; vid < 4096; vid++) {
		ts_vlans_set(&v, TS_VLAN_INNER_Q, vid);
		ts_vlans_set(&v, TS_VLAN_INNER_AD, vid);
	}
	ts_vlans_str(&v, buf, sizeof(buf));
	assert_string_equal(buf, "300,ad:400,inner:any");
	ts_vlans_all(&v);
	ts_vlans_str(&v, buf, sizeof(buf));
	assert_string_equal(buf, "any");
	/* cut to its room, and says so */
	memset(&v, 0, sizeof(v));
	for (vid = 1000; vid < 1010; vid++)
		ts_vlans_set(&v, TS_VLAN_Q, vid);
	ts_vlans_str(&v, small, sizeof(small));
	assert_string_equal(small, "1000,100...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
