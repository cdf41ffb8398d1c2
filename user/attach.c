// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach / detach. Lifecycle as libbpf-bootstrap: open -> size the maps ->
 * load -> attach -> pin, one cleanup path that undoes whatever was done,
 * so a failed attach leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcpsentry.skel.h"
#include "attach.h"
#include "log.h"
#include "netns.h"
#include "pins.h"

/* our tc filter's place on the clsact egress hook */
#define TS_TC_HANDLE 0x7453
#define TS_TC_PRIORITY 0x7453

const char *ts_xdp_mode_name(int mode)
{
	switch (mode) {
	case TS_XDP_NATIVE: return "native";
	case TS_XDP_GENERIC: return "generic";
	default: return "auto";
	}
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* remove the pins of an attachment and the directories left empty */
static void unpin_all(const char *dir)
{
	char p[PATH_MAX], parent[PATH_MAX], *slash;
	int i;

	for (i = 0; ts_pinned_maps[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, ts_pinned_maps[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_XDP_LINK);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_TC_PROG);
	unlink(p);
	rmdir(dir);
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		rmdir(parent); /* ns<inode>, if no other interface uses it */
	}
	rmdir(TS_PIN_ROOT);
}

static int perm_hint(int e)
{
	if (e == EPERM || e == EACCES)
		err("permission denied: tcpsentry needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n");
	return 1;
}

/* One process at a time loads or unloads (a lock file in bpffs). */
static int take_lock(void)
{
	int fd;

	if (mkdir_p(TS_PIN_ROOT))
		return -1;
	fd = open(TS_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int xdp_attach_link(int prog_fd, int ifindex, int mode, int *got_mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd;

	if (mode == TS_XDP_NATIVE || mode == TS_XDP_AUTO) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
		if (fd >= 0 || mode == TS_XDP_NATIVE) {
			*got_mode = TS_XDP_NATIVE;
			return fd < 0 ? -errno : fd;
		}
		dbg("native XDP refused (%s), trying generic\n", strerror(errno));
	}
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	*got_mode = TS_XDP_GENERIC;
	return fd < 0 ? -errno : fd;
}

int ts_attach(const struct ts_attach_opts *o)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY);
	struct tcpsentry *skel = NULL;
	struct ts_config cfg = { .state_events = 1 };
	struct ts_meta meta = {};
	char dir[256], p[PATH_MAX];
	int ifindex, lock_fd, link_fd = -1, mode = 0, rc = 1, e, i;
	int pinned = 0, tc_attached = 0, created_qdisc = 0;
	__u32 zero = 0;

	ifindex = (int)if_nametoindex(o->ifname);
	if (!ifindex) {
		err("no interface '%s' in this network namespace\n", o->ifname);
		return 1;
	}
	lock_fd = take_lock();
	if (lock_fd < 0) {
		err("cannot use %s: %s (is bpffs mounted at /sys/fs/bpf?)\n", TS_PIN_ROOT,
		    strerror(errno));
		return perm_hint(errno);
	}
	if (ts_pin_dir(dir, sizeof(dir), o->ifname))
		goto out;
	if (access(dir, F_OK) == 0) {
		err("%s is already attached (pins in %s); detach it first\n", o->ifname, dir);
		goto out;
	}

	skel = tcpsentry__open();
	if (!skel) {
		e = errno;
		err("cannot open the BPF object: %s\n", strerror(e));
		perm_hint(e);
		goto out;
	}
	bpf_map__set_max_entries(skel->maps.flows, (__u32)o->max_flows);
	bpf_map__set_max_entries(skel->maps.embryonic, (__u32)o->max_embryonic);
	if (o->no_egress)
		bpf_program__set_autoload(skel->progs.tcpsentry_tc_egress, false);
	if (tcpsentry__load(skel)) {
		e = errno;
		err("cannot load the BPF programs: %s%s\n", strerror(e),
		    e == EPERM ? "" : " (run with -v -v for the verifier log)");
		perm_hint(e);
		goto out;
	}

	link_fd = xdp_attach_link(bpf_program__fd(skel->progs.tcpsentry_xdp), ifindex,
				  o->xdp_mode, &mode);
	if (link_fd < 0) {
		e = -link_fd;
		if (e == EBUSY || e == EEXIST)
			err("%s already has an XDP program attached (not ours): %s\n", o->ifname,
			    strerror(e));
		else
			err("cannot attach XDP (%s mode) to %s: %s\n", ts_xdp_mode_name(mode),
			    o->ifname, strerror(e));
		perm_hint(e);
		goto out;
	}

	if (!o->no_egress) {
		hook.ifindex = ifindex;
		e = bpf_tc_hook_create(&hook);
		if (e && e != -EEXIST) {
			err("cannot create the clsact qdisc on %s: %s\n", o->ifname, strerror(-e));
			goto out;
		}
		created_qdisc = e == 0; /* -EEXIST: someone's clsact, keep it on detach */
		tco.prog_fd = bpf_program__fd(skel->progs.tcpsentry_tc_egress);
		e = bpf_tc_attach(&hook, &tco);
		if (e) {
			err("cannot attach the tc egress filter on %s: %s\n", o->ifname,
			    strerror(-e));
			goto out;
		}
		tc_attached = 1;
	}

	/* pins: the link keeps XDP attached after we exit */
	e = mkdir_p(dir);
	if (e) {
		err("cannot create %s: %s\n", dir, strerror(-e));
		goto out;
	}
	pinned = 1;
	for (i = 0; ts_pinned_maps[i]; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, ts_pinned_maps[i]);

		snprintf(p, sizeof(p), "%s/%s", dir, ts_pinned_maps[i]);
		if (!m || bpf_map__pin(m, p)) {
			err("cannot pin map %s at %s: %s\n", ts_pinned_maps[i], p, strerror(errno));
			goto out;
		}
	}
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_XDP_LINK);
	if (bpf_obj_pin(link_fd, p)) {
		err("cannot pin the XDP link at %s: %s\n", p, strerror(errno));
		goto out;
	}
	if (!o->no_egress) {
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_TC_PROG);
		if (bpf_obj_pin(bpf_program__fd(skel->progs.tcpsentry_tc_egress), p)) {
			err("cannot pin the tc program at %s: %s\n", p, strerror(errno));
			goto out;
		}
	}

	meta.ifindex = (__u32)ifindex;
	meta.xdp_mode = (__u32)mode;
	meta.flags = (o->no_egress ? 0 : TS_META_EGRESS) |
		     (created_qdisc ? TS_META_CREATED_QDISC : 0);
	meta.tc_handle = TS_TC_HANDLE;
	meta.tc_priority = TS_TC_PRIORITY;
	meta.attached_unix = (__u64)time(NULL);
	meta.max_flows = o->max_flows;
	meta.max_embryonic = o->max_embryonic;
	snprintf(meta.ifname, sizeof(meta.ifname), "%s", o->ifname);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.meta), &zero, &meta, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, 0)) {
		err("cannot write the attachment record: %s\n", strerror(errno));
		goto out;
	}
	printf("attached to %s: xdp %s, tc egress %s, pins in %s\n", o->ifname,
	       ts_xdp_mode_name(mode), o->no_egress ? "off (one direction only)" : "on", dir);
	rc = 0;
out:
	if (rc) {
		if (tc_attached) {
			tco.prog_fd = tco.prog_id = 0;
			tco.flags = 0;
			bpf_tc_detach(&hook, &tco);
		}
		if (created_qdisc) {
			/* both points: libbpf deletes the qdisc only then */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		if (pinned)
			unpin_all(dir);
	}
	if (link_fd >= 0)
		close(link_fd); /* the pin holds it; on failure this detaches */
	tcpsentry__destroy(skel);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

int ts_detach(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco);
	struct ts_att a;
	char p[PATH_MAX];
	int lock_fd, link_fd, ifindex, rc = 0, e;

	lock_fd = take_lock();
	if (lock_fd < 0) {
		err("cannot use %s: %s\n", TS_PIN_ROOT, strerror(errno));
		return perm_hint(errno);
	}
	e = ts_att_open(&a, ifname);
	if (e == -ENOENT) {
		err("%s is not attached in this network namespace\n", ifname);
		close(lock_fd);
		return 1;
	}
	if (e) {
		err("cannot open the pins of %s: %s\n", ifname, strerror(-e));
		close(lock_fd);
		return perm_hint(-e);
	}

	/* the XDP link: detach explicitly, so it goes even if some other
	 * process still holds a reference to it */
	snprintf(p, sizeof(p), "%s/%s", a.dir, TS_PIN_XDP_LINK);
	link_fd = bpf_obj_get(p);
	if (link_fd >= 0) {
		if (bpf_link_detach(link_fd) && errno != ENOLINK && errno != EINVAL) {
			err("cannot detach XDP from %s: %s\n", ifname, strerror(errno));
			rc = 1;
		}
		close(link_fd);
	}

	ifindex = (int)if_nametoindex(ifname);
	if (ifindex && (a.meta.flags & TS_META_EGRESS)) {
		hook.ifindex = ifindex;
		tco.handle = a.meta.tc_handle;
		tco.priority = a.meta.tc_priority;
		e = bpf_tc_detach(&hook, &tco);
		if (e && e != -ENOENT) {
			err("cannot remove the tc filter from %s: %s\n", ifname, strerror(-e));
			rc = 1;
		}
		if (a.meta.flags & TS_META_CREATED_QDISC) {
			/* both points: libbpf deletes the qdisc only then */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			e = bpf_tc_hook_destroy(&hook);
			if (e && e != -ENOENT && e != -EINVAL) {
				err("cannot remove the clsact qdisc from %s: %s\n", ifname,
				    strerror(-e));
				rc = 1;
			}
		}
	}
	ts_att_close(&a);
	if (!rc) {
		unpin_all(a.dir);
		printf("detached from %s\n", ifname);
	}
	close(lock_fd);
	return rc;
}
