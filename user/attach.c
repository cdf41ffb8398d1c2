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
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tcpsentry.skel.h"
#include "attach.h"
#include <tcpsentry/sketch.h>
#include "log.h"
#include "netns.h"
#include "pins.h"
#include "policy_keys.h"

/* our tc filters' place on the clsact egress (and ingress) hook */
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
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_TC_INGRESS_PROG);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_XDP_PROG);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_CHAINED_PROG);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_REPORT_PROG);
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

/* One process at a time loads or unloads (a lock on the bpffs root
 * directory). Only attach creates the directory. */
static int take_lock(int create)
{
	int fd;

	if (create && mkdir_p(TS_PIN_ROOT))
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

/*
 * Chaining: the interface already runs an XDP program (another tool's).
 * libxdp's dispatcher would let both sit side by side, but it needs
 * BPF_PROG_TYPE_EXT, which this kernel refuses. So tcpsentry takes the
 * program's place atomically (XDP_FLAGS_REPLACE) and tail-calls it after
 * its own work: both keep running, and detach puts it back. Works for a
 * program attached by netlink (ip link, libxdp's fallback); one held by
 * another tool's bpf_link cannot be displaced (EBUSY).
 */
static int xdp_chain_existing(struct tcpsentry *skel, int ifindex, const char *ifname,
			      __u32 *old_id, int *old_fd, int *got_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	__u32 zero = 0, flags;
	int e;

	*old_id = 0;
	*old_fd = -1;
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return 0; /* nothing there: plain link */
	if (q.attach_mode != XDP_ATTACHED_DRV && q.attach_mode != XDP_ATTACHED_SKB) {
		err("%s runs XDP in a mode tcpsentry cannot chain (attach mode %u)\n", ifname,
		    q.attach_mode);
		return -1;
	}
	*old_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (*old_fd < 0) {
		err("cannot open the XDP program already on %s (id %u): %s\n", ifname, q.prog_id,
		    strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xdp_chain), &zero, old_fd, 0)) {
		err("the XDP program already on %s (id %u) cannot be chained after ours: %s\n",
		    ifname, q.prog_id, strerror(errno));
		return -1;
	}
	flags = q.attach_mode == XDP_ATTACHED_DRV ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	ao.old_prog_fd = *old_fd;
	e = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.tcpsentry_xdp),
			   flags | XDP_FLAGS_REPLACE, &ao);
	if (e) {
		err("%s already runs XDP program id %u%s: %s\n", ifname, q.prog_id,
		    e == -EBUSY ? " through another tool's bpf_link, which cannot be displaced" : "",
		    strerror(-e));
		return -1;
	}
	*old_id = q.prog_id;
	*got_mode = q.attach_mode == XDP_ATTACHED_DRV ? TS_XDP_NATIVE : TS_XDP_GENERIC;
	return 1;
}

/* 1 if the running kernel has bpf_sk_assign_tcp_reqsk (Linux 6.9+), the
 * SYN-cookie hand-over at tc ingress */
static int have_reqsk_kfunc(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int ok;

	if (!vmlinux)
		return 0;
	ok = btf__find_by_name_kind(vmlinux, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return ok;
}

int ts_attach(const struct ts_attach_opts *o)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY);
	LIBBPF_OPTS(bpf_tc_hook, ihook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, itco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY);
	struct tcpsentry *skel = NULL;
	struct ts_config cfg = { .state_events = 1 };
	struct ts_meta meta = {};
	struct ts_policy pol;
	char dir[256], p[PATH_MAX];
	int ifindex, lock_fd, link_fd = -1, mode = 0, rc = 1, e, i;
	int pinned = 0, tc_attached = 0, created_qdisc = 0, chained = 0, old_fd = -1;
	int cookies = have_reqsk_kfunc(), tci_attached = 0;
	__u32 zero = 0, one = 1, old_id = 0;

	ifindex = (int)if_nametoindex(o->ifname);
	if (!ifindex) {
		err("no interface '%s' in this network namespace\n", o->ifname);
		return 1;
	}
	lock_fd = take_lock(1);
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
	if (!cookies)
		bpf_program__set_autoload(skel->progs.tcpsentry_tc_ingress, false);
	if (tcpsentry__load(skel)) {
		e = errno;
		err("cannot load the BPF programs: %s%s\n", strerror(e),
		    e == EPERM ? "" : " (run with -v -v for the verifier log)");
		perm_hint(e);
		goto out;
	}

	chained = xdp_chain_existing(skel, ifindex, o->ifname, &old_id, &old_fd, &mode);
	if (chained < 0)
		goto out;
	if (!chained)
		link_fd = xdp_attach_link(bpf_program__fd(skel->progs.tcpsentry_xdp), ifindex,
					  o->xdp_mode, &mode);
	if (!chained && link_fd < 0) {
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

	if (!o->no_egress || cookies) {
		hook.ifindex = ifindex;
		e = bpf_tc_hook_create(&hook);
		if (e && e != -EEXIST) {
			err("cannot create the clsact qdisc on %s: %s\n", o->ifname, strerror(-e));
			goto out;
		}
		created_qdisc = e == 0; /* -EEXIST: someone's clsact, keep it on detach */
	}
	/* the SYN-cookie hand-over (bpf/act.h): tc ingress */
	if (cookies) {
		ihook.ifindex = ifindex;
		itco.prog_fd = bpf_program__fd(skel->progs.tcpsentry_tc_ingress);
		e = bpf_tc_attach(&ihook, &itco);
		if (e) {
			err("cannot attach the tc ingress filter on %s: %s\n", o->ifname,
			    strerror(-e));
			goto out;
		}
		tci_attached = 1;
	}
	if (!o->no_egress) {
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
	if (chained) {
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_XDP_PROG);
		if (bpf_obj_pin(bpf_program__fd(skel->progs.tcpsentry_xdp), p))
			goto pin_fail;
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_CHAINED_PROG);
		if (bpf_obj_pin(old_fd, p))
			goto pin_fail;
	} else {
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_XDP_LINK);
		if (bpf_obj_pin(link_fd, p))
			goto pin_fail;
	}
	if (!o->no_egress) {
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_TC_PROG);
		if (bpf_obj_pin(bpf_program__fd(skel->progs.tcpsentry_tc_egress), p))
			goto pin_fail;
	}
	if (cookies) {
		snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_TC_INGRESS_PROG);
		if (bpf_obj_pin(bpf_program__fd(skel->progs.tcpsentry_tc_ingress), p))
			goto pin_fail;
	}
	/* the sweeper's way to raise what only it sees (half_open_timeout) */
	snprintf(p, sizeof(p), "%s/%s", dir, TS_PIN_REPORT_PROG);
	if (bpf_obj_pin(bpf_program__fd(skel->progs.tcpsentry_report), p))
		goto pin_fail;

	meta.ifindex = (__u32)ifindex;
	meta.xdp_mode = (__u32)mode;
	meta.flags = (o->no_egress ? 0 : TS_META_EGRESS) |
		     (created_qdisc ? TS_META_CREATED_QDISC : 0) | (chained ? TS_META_CHAINED : 0) |
		     (cookies ? TS_META_INGRESS_TC : 0);
	meta.chained_prog_id = old_id;
	meta.tc_handle = TS_TC_HANDLE;
	meta.tc_priority = TS_TC_PRIORITY;
	meta.attached_unix = (__u64)time(NULL);
	meta.max_flows = o->max_flows;
	meta.max_embryonic = o->max_embryonic;
	/* the policy in force from the first packet: the defaults (observe
	 * mode) with the thresholds given here, in both slots */
	ts_policy_defaults(&pol);
	pol.version = 1;
	if (o->syn_flood_rate)
		pol.syn_flood_rate = o->syn_flood_rate;
	if (o->syn_flood_complete_pct)
		pol.syn_flood_complete_pct = o->syn_flood_complete_pct;
	if (o->scan_ports)
		pol.scan_ports = o->scan_ports;
	cfg.one_way = o->no_egress ? 1 : 0;
	if (getrandom(&cfg.hash_seed, sizeof(cfg.hash_seed), 0) != sizeof(cfg.hash_seed))
		cfg.hash_seed = (__u32)time(NULL) ^ (__u32)getpid();
	/* the SYN-cookie MAC key; none (all zero) without the hand-over */
	while (cookies && !(cfg.cookie_key[0] | cfg.cookie_key[1] | cfg.cookie_key[2] |
			    cfg.cookie_key[3])) {
		if (getrandom(cfg.cookie_key, sizeof(cfg.cookie_key), 0) != sizeof(cfg.cookie_key)) {
			err("cannot read random bytes for the SYN-cookie key: %s\n", strerror(errno));
			goto out;
		}
	}
	snprintf(meta.ifname, sizeof(meta.ifname), "%s", o->ifname);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.meta), &zero, &meta, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.policy), &zero, &pol, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.policy), &one, &pol, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, 0)) {
		err("cannot write the attachment record: %s\n", strerror(errno));
		goto out;
	}
	printf("attached to %s: xdp %s, tc egress %s, pins in %s\n", o->ifname,
	       ts_xdp_mode_name(mode), o->no_egress ? "off (one direction only)" : "on", dir);
	if (!cookies)
		printf("this kernel has no bpf_sk_assign_tcp_reqsk (Linux 6.9+): syn.cookies "
		       "stays without effect on %s\n", o->ifname);
	if (chained)
		printf("%s already ran XDP program id %u: it now runs after tcpsentry's, "
		       "and detach puts it back\n", o->ifname, old_id);
	rc = 0;
	goto out;
pin_fail:
	err("cannot pin at %s: %s\n", p, strerror(errno));
out:
	if (rc) {
		if (chained) {
			LIBBPF_OPTS(bpf_xdp_attach_opts, ao,
				    .old_prog_fd = bpf_program__fd(skel->progs.tcpsentry_xdp));

			bpf_xdp_attach(ifindex, old_fd, XDP_FLAGS_REPLACE |
				       (mode == TS_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE),
				       &ao);
		}
		if (tc_attached) {
			tco.prog_fd = tco.prog_id = 0;
			tco.flags = 0;
			bpf_tc_detach(&hook, &tco);
		}
		if (tci_attached) {
			itco.prog_fd = itco.prog_id = 0;
			itco.flags = 0;
			bpf_tc_detach(&ihook, &itco);
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
	if (old_fd >= 0)
		close(old_fd);
	tcpsentry__destroy(skel);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

/* put the XDP program we displaced back in our place */
static int restore_chained(const struct ts_att *a, int ifindex, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	char p[PATH_MAX];
	int ours, theirs, e;
	__u32 flags = a->meta.xdp_mode == TS_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;

	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_XDP_PROG);
	ours = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_CHAINED_PROG);
	theirs = bpf_obj_get(p);
	if (ours < 0 || theirs < 0) {
		err("cannot open the pinned XDP programs of %s: %s\n", ifname, strerror(errno));
		e = -1;
		goto out;
	}
	ao.old_prog_fd = ours;
	e = bpf_xdp_attach(ifindex, theirs, flags | XDP_FLAGS_REPLACE, &ao);
	if (e)
		err("cannot put XDP program id %u back on %s: %s\n", a->meta.chained_prog_id,
		    ifname, strerror(-e));
out:
	if (ours >= 0)
		close(ours);
	if (theirs >= 0)
		close(theirs);
	return e ? -1 : 0;
}

int ts_detach(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco);
	struct ts_att a;
	char p[PATH_MAX];
	int lock_fd, link_fd, ifindex, rc = 0, e;

	lock_fd = take_lock(0);
	if (lock_fd < 0 && errno == ENOENT) {
		err("%s is not attached in this network namespace\n", ifname);
		return 1;
	}
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

	ifindex = (int)if_nametoindex(ifname);
	if (a.meta.flags & TS_META_CHAINED) {
		if (ifindex && restore_chained(&a, ifindex, ifname))
			rc = 1;
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

	if (ifindex && (a.meta.flags & TS_META_INGRESS_TC)) {
		LIBBPF_OPTS(bpf_tc_hook, ihook, .attach_point = BPF_TC_INGRESS, .ifindex = ifindex);
		LIBBPF_OPTS(bpf_tc_opts, itco, .handle = a.meta.tc_handle,
			    .priority = a.meta.tc_priority);

		e = bpf_tc_detach(&ihook, &itco);
		if (e && e != -ENOENT) {
			err("cannot remove the tc ingress filter from %s: %s\n", ifname,
			    strerror(-e));
			rc = 1;
		}
	}
	if (ifindex && (a.meta.flags & (TS_META_EGRESS | TS_META_INGRESS_TC))) {
		hook.ifindex = ifindex;
		tco.handle = a.meta.tc_handle;
		tco.priority = a.meta.tc_priority;
		e = (a.meta.flags & TS_META_EGRESS) ? bpf_tc_detach(&hook, &tco) : 0;
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
