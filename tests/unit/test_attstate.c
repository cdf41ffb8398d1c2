// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of what makes an attachment live, stale or incomplete
 * (user/lib/attstate.c, ts_att_judge: its record against what the kernel
 * says now) and of the pin root's check (user/lib/pins.c, ts_pin_root_ok).
 * Both are pure: every case is a table row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "attstate.h"
#include "pins.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

/* records of each kind, attached to ifindex 7 */
#define EGRESS_ID 21
#define INGRESS_ID 22
#define XDP_ID 20
#define LINK_ID 30
#define THEIRS_ID 40

static struct ts_meta rec(__u32 flags, __u32 link_id)
{
	struct ts_meta m = {
		.record = TS_META_RECORD, .state = TS_META_ATTACHED, .ifindex = 7, .xdp_mode = 1,
		.flags = flags, .xdp_prog_id = XDP_ID, .xdp_link_id = link_id,
		.tc_egress_prog_id = EGRESS_ID, .tc_ingress_prog_id = INGRESS_ID,
		.tc_handle = TS_TC_HANDLE, .tc_priority = TS_TC_PRIORITY,
	};

	strcpy(m.ifname, "veth0");
	return m;
}

/* what the kernel says of a healthy attachment of each kind */
static const struct ts_live live_link = { .ifindex = 7, .xdp_prog_id = XDP_ID, .have_link = 1,
					  .link_ifindex = 7, .tc_egress_id = EGRESS_ID,
					  .tc_ingress_id = INGRESS_ID };

static void test_judge(void **state)
{
	const __u32 link = TS_META_EGRESS | TS_META_INGRESS_TC;
	const __u32 chained = link | TS_META_CHAINED;
	const __u32 libxdp = TS_META_EGRESS | TS_META_LIBXDP;
	struct ts_live l;

	(void)state;
	/* a record of these flags against what the kernel says of a healthy
	 * attachment of that kind, edited by one fact */
#define CASE(what_, flags_, link_, edit_, want_, why_)                                       \
	do {                                                                                 \
		struct ts_meta m = rec(flags_, link_);                                       \
		char why[192];                                                               \
		l = live_link;                                                               \
		if ((flags_) & TS_META_CHAINED) {                                            \
			l.have_link = 0, l.link_ifindex = 0;                                 \
			m.chained_prog_id = THEIRS_ID;                                       \
		}                                                                            \
		if ((flags_) & TS_META_LIBXDP) {                                             \
			l.have_link = 0, l.link_ifindex = 0, l.xdp_prog_id = 99;             \
			l.in_dispatcher = 1;                                                 \
		}                                                                            \
		edit_;                                                                       \
		enum ts_att_state got = ts_att_judge(&m, &l, why, sizeof(why));              \
		if (got != (want_) || !strstr(why, why_)) {                                  \
			print_error("%s: got %s (%s), want %s (with '%s')\n", what_,         \
				    ts_att_state_name(got), why, ts_att_state_name(want_), why_); \
			fail();                                                              \
		}                                                                            \
	} while (0)

	CASE("link, all there", link, LINK_ID, (void)0, TS_ATT_LIVE, "");
	CASE("chained, all there", chained, 0, (void)0, TS_ATT_LIVE, "");
	CASE("libxdp, all there", libxdp, 0, (void)0, TS_ATT_LIVE, "");
	/* the interface */
	CASE("interface gone", link, LINK_ID, l.ifindex = 0, TS_ATT_STALE, "no interface veth0");
	CASE("interface recreated", link, LINK_ID, (l.ifindex = 9, l.link_ifindex = 0),
	     TS_ATT_STALE, "deleted and created again (ifindex 9 now, 7 attached)");
	CASE("recreated, chained", chained, 0, l.ifindex = 9, TS_ATT_STALE, "created again");
	CASE("recreated, libxdp", libxdp, 0, l.ifindex = 12, TS_ATT_STALE, "created again");
	/* the XDP hook */
	CASE("link detached", link, LINK_ID, l.link_ifindex = 0, TS_ATT_STALE, "XDP link (id 30)");
	CASE("link pin gone", link, LINK_ID, (l.have_link = 0, l.link_ifindex = 0), TS_ATT_STALE,
	     "no longer holds");
	CASE("chained, someone else's program now", chained, 0, l.xdp_prog_id = 77, TS_ATT_STALE,
	     "XDP program id 77 runs on veth0, not its own (id 20)");
	CASE("chained, hook empty", chained, 0, l.xdp_prog_id = 0, TS_ATT_STALE,
	     "no XDP program runs on veth0");
	CASE("libxdp, out of the dispatcher", libxdp, 0, l.in_dispatcher = 0, TS_ATT_STALE,
	     "no longer in libxdp's dispatcher");
	/* the tc filters */
	CASE("egress filter gone", link, LINK_ID, l.tc_egress_id = 0, TS_ATT_STALE,
	     "tc egress filter is gone");
	CASE("egress filter replaced", link, LINK_ID, l.tc_egress_id = 55, TS_ATT_STALE,
	     "runs program id 55, not its own (id 21)");
	CASE("hand-over filter gone", link, LINK_ID, l.tc_ingress_id = 0, TS_ATT_STALE,
	     "SYN-cookie hand-over");
	CASE("no egress: its absence is fine", TS_META_INGRESS_TC, LINK_ID, l.tc_egress_id = 0,
	     TS_ATT_LIVE, "");
	CASE("no hand-over: its absence is fine", TS_META_EGRESS, LINK_ID, l.tc_ingress_id = 0,
	     TS_ATT_LIVE, "");
#undef CASE
}

/* an attach that did not commit is incomplete, whatever the kernel says;
 * an older record (no ids) is live while the interface is the same and
 * runs XDP */
static void test_judge_record(void **state)
{
	struct ts_meta m = rec(TS_META_EGRESS, LINK_ID);
	struct ts_live l = live_link;
	char why[192];

	(void)state;
	m.state = TS_META_ATTACHING;
	assert_int_equal(ts_att_judge(&m, &l, why, sizeof(why)), TS_ATT_INCOMPLETE);
	assert_non_null(strstr(why, "did not finish"));
	m = rec(TS_META_EGRESS, 0);
	m.record = 0;
	m.state = 0;
	m.xdp_prog_id = m.tc_egress_prog_id = 0;
	l.tc_egress_id = 999; /* no ids to check */
	assert_int_equal(ts_att_judge(&m, &l, why, sizeof(why)), TS_ATT_LIVE);
	l.xdp_prog_id = 0;
	assert_int_equal(ts_att_judge(&m, &l, why, sizeof(why)), TS_ATT_STALE);
	l = live_link;
	l.ifindex = 8;
	assert_int_equal(ts_att_judge(&m, &l, why, sizeof(why)), TS_ATT_STALE);
	assert_string_equal(ts_att_state_name(TS_ATT_INCOMPLETE), "incomplete");
}

static void test_pin_root(void **state)
{
	static const struct {
		mode_t mode;
		unsigned uid, euid;
		int ok;
		const char *why;
	} t[] = {
		{ S_IFDIR | 0700, 0, 0, 1, "" },
		{ S_IFDIR | 0700, 1000, 1000, 1, "" },  /* a user with CAP_BPF, its own root */
		{ S_IFDIR | 0755, 0, 0, 0, "mode is 0755, not 0700" },
		{ S_IFDIR | 0777, 0, 0, 0, "mode is 0777" },
		{ S_IFDIR | 01700, 0, 0, 0, "mode is 1700" },  /* sticky: still not 0700 */
		{ S_IFDIR | 0500, 0, 0, 0, "mode is 0500" },
		{ S_IFDIR | 0700, 1000, 0, 0, "belongs to uid 1000, not to uid 0" },
		{ S_IFDIR | 0700, 0, 1000, 0, "belongs to uid 0, not to uid 1000" },
		{ S_IFLNK | 0777, 0, 0, 0, "not a directory (a symlink)" },
		{ S_IFREG | 0700, 0, 0, 0, "not a directory" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct stat st = { .st_mode = t[i].mode, .st_uid = t[i].uid };
		char why[128] = "";
		int r = ts_pin_root_ok(&st, t[i].euid, why, sizeof(why));

		if ((r == 0) != t[i].ok || !strstr(why, t[i].why)) {
			print_error("row %zu: %d '%s', want %s '%s'\n", i, r, why,
				    t[i].ok ? "ok" : "refused", t[i].why);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_record),
		cmocka_unit_test(test_pin_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
