// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Taking an attachment off, by its record (see teardown.h). Each hook is
 * asked what runs there now, and what runs there is removed only if it is
 * ours: the record's program id, or, where the record has no id (no record
 * at all, an older one), a program named tcpsentry_* at tcpsentry's place.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "gc.h"
#include "log.h"
#include "pins.h"
#include "tc_filters.h"
#include "teardown.h"
#include "xdp_libxdp.h"

unsigned int ts_xdp_mode_flags(int mode)
{
	return mode == TS_REC_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

/* One interface's teardown: what it is, what the record says, how loud. */
struct td {
	const struct ts_meta *m; /* NULL: no record */
	const char *ifname;
	const char *dir;
	int ifindex;
	int quiet;
	int rc;
	int removed;             /* how many things of ours it took off */
};

static void fail(struct td *t, const char *what, int e)
{
	if (!t->quiet)
		err("cannot remove %s from %s: %s\n", what, t->ifname, strerror(e));
	t->rc = -1;
}

/* 1 if program id is ours: the record's id, or without one, by name */
static int ours(__u32 id, __u32 want, const char *prefix)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, r = 0;

	if (!id)
		return 0;
	if (want)
		return id == want;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		r = !strncmp(info.name, prefix, strlen(prefix));
	close(fd);
	return r;
}

/* the pinned XDP link: detach it, so the hook is free even if some other
 * process still holds a reference to the link */
static void xdp_link_off(struct td *t)
{
	char p[PATH_MAX];
	int fd;

	if (!t->dir)
		return;
	snprintf(p, sizeof(p), "%s/%s", t->dir, TS_PIN_XDP_LINK);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return;
	if (bpf_link_detach(fd)) {
		if (errno != ENOLINK && errno != EINVAL)
			fail(t, "the XDP link", errno);
	} else {
		t->removed++;
	}
	close(fd);
}

/* our program in libxdp's dispatcher */
static void libxdp_off(struct td *t)
{
	const struct ts_meta *m = t->m;
	__u32 id = ts_libxdp_find(t->ifindex, m && (m->flags & TS_META_LIBXDP) ? m->xdp_prog_id : 0,
				  "tcpsentry_xdp");
	int fd, e;

	if (!id)
		return;
	fd = bpf_prog_get_fd_by_id(id);
	e = fd < 0 ? -errno : ts_libxdp_detach(fd, t->ifindex, m ? (int)m->xdp_mode : 0);
	if (fd >= 0)
		close(fd);
	if (e && e != -ENOENT)
		fail(t, "tcpsentry's program in libxdp's dispatcher", -e);
	t->removed += !e;
}

/* our program on the XDP hook itself, in one mode (chained, or left by a
 * killed attach): the program it displaced goes back in its place, or the
 * hook is emptied */
static void xdp_hook_off(struct td *t, __u32 id, int mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	int theirs = -1, e;

	if (!ours(id, t->m ? t->m->xdp_prog_id : 0, "tcpsentry_xdp"))
		return;
	ao.old_prog_fd = bpf_prog_get_fd_by_id(id);
	if (ao.old_prog_fd < 0)
		return;
	if (t->m && t->m->chained_prog_id)
		theirs = bpf_prog_get_fd_by_id(t->m->chained_prog_id);
	e = bpf_xdp_attach(t->ifindex, theirs, ts_xdp_mode_flags(mode) | XDP_FLAGS_REPLACE, &ao);
	if (e)
		fail(t, theirs >= 0 ? "tcpsentry's XDP program (putting back the one it displaced)" :
		     "tcpsentry's XDP program", -e);
	t->removed += !e;
	if (theirs >= 0)
		close(theirs);
	close(ao.old_prog_fd);
}

/* the clsact qdisc attach made, unless another tool's filters sit on it
 * now (deleting it would delete them: it stays, and says so) */
static void qdisc_off(struct td *t)
{
	/* both points: libbpf deletes the qdisc only then */
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int n = ts_tc_filter_count(t->ifindex), e;

	if (n != 0) {
		if (!t->quiet)
			warn("%s: the clsact qdisc tcpsentry made stays: %s\n", t->ifname,
			     n > 0 ? "other tools' filters are on it" : "cannot list its filters");
		return;
	}
	e = bpf_tc_hook_destroy(&hook);
	if (e && e != -ENOENT && e != -EINVAL)
		fail(t, "the clsact qdisc", -e);
}

/* our tc filters (by program id at our handle and priority), then the
 * clsact qdisc if attach made it */
static void tc_off(struct td *t)
{
	const struct ts_meta *m = t->m;
	static const struct {
		int point;
		const char *what;
	} hooks[] = { { BPF_TC_EGRESS, "the tc egress filter" },
		      { BPF_TC_INGRESS, "the tc ingress filter" } };
	__u32 want[2] = { m ? m->tc_egress_prog_id : 0, m ? m->tc_ingress_prog_id : 0 };
	size_t i;
	int e;

	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex, .attach_point = hooks[i].point);
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY);

		if (bpf_tc_query(&hook, &o) || !ours(o.prog_id, want[i], "tcpsentry_tc"))
			continue;
		o.prog_id = 0; /* detach takes handle and priority only */
		e = bpf_tc_detach(&hook, &o);
		if (e && e != -ENOENT)
			fail(t, hooks[i].what, -e);
		t->removed += !e;
	}
	if (m && (m->flags & TS_META_CREATED_QDISC))
		qdisc_off(t);
}

int ts_teardown(const struct ts_meta *m, const char *ifname, const char *dir, int quiet)
{
	struct td t = { .m = m, .ifname = ifname, .dir = dir, .quiet = quiet,
			.ifindex = (int)if_nametoindex(ifname) };

	/* an interface created again under this name is not the one the
	 * record describes: nothing of ours runs there, nothing is touched
	 * (what the pins hold goes with them) */
	if (t.ifindex && (!m || !m->ifindex || (__u32)t.ifindex == m->ifindex)) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		xdp_link_off(&t);
		if (!m || (m->flags & TS_META_LIBXDP) || m->record != TS_META_RECORD)
			libxdp_off(&t);
		if (!bpf_xdp_query(t.ifindex, 0, &q)) {
			xdp_hook_off(&t, q.drv_prog_id, TS_REC_XDP_NATIVE);
			xdp_hook_off(&t, q.skb_prog_id, TS_REC_XDP_GENERIC);
		}
		tc_off(&t);
	}
	if (dir && !t.rc)
		ts_unpin_all(dir);
	return t.rc ? -1 : t.removed;
}

int ts_record_read(const char *dir, struct ts_meta *m)
{
	char p[PATH_MAX];
	__u32 zero = 0;
	int fd, e;

	memset(m, 0, sizeof(*m));
	snprintf(p, sizeof(p), "%s/meta", dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -1;
	e = bpf_map_lookup_elem(fd, &zero, m);
	close(fd);
	return e ? -1 : 0;
}

int ts_detach(const char *ifname, struct ts_detached *out)
{
	struct ts_meta m;
	struct ts_att a;
	int lock, e, rc;

	memset(out, 0, sizeof(*out));
	lock = ts_pin_root_open(0, 1);
	if (lock < 0) {
		if (errno == ENOENT)
			err("%s is not attached in this network namespace\n", ifname);
		return 1;
	}
	e = ts_att_open(&a, ifname);
	if (e == -ENOENT) {
		/* no pins, but maybe what an attach killed before it wrote its
		 * record left on the interface (libxdp's dispatcher attaches
		 * as it loads) */
		rc = ts_teardown(NULL, ifname, NULL, 0);
		if (rc == 0)
			err("%s is not attached in this network namespace\n", ifname);
		out->state = TS_ATT_INCOMPLETE;
		snprintf(out->why, sizeof(out->why), "tcpsentry programs on %s without pins: an "
			 "attach that did not finish", ifname);
		close(lock);
		return rc > 0 ? 0 : 1;
	}
	if (e && e != -ENODATA) {
		if (e != -EACCES)
			err("cannot open the pins of %s: %s\n", ifname, strerror(-e));
		close(lock);
		return 1;
	}
	if (!e) {
		out->state = ts_att_check(&a, out->why, sizeof(out->why));
	} else {
		out->state = TS_ATT_INCOMPLETE;
		snprintf(out->why, sizeof(out->why), "an attach of %s did not finish", ifname);
	}
	rc = ts_teardown(ts_record_read(a.dir, &m) ? NULL : &m, ifname, a.dir, 0) < 0 ? 1 : 0;
	if (!e) {
		/* no packet moves the tables now: the connections still open
		 * get their records (a reader still holding the ring reads
		 * them); the maps live while we hold them */
		ts_gc_flush_records(&a);
		ts_att_close(&a);
	}
	ts_pin_root_tidy();
	close(lock);
	return rc;
}
