// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach / detach. The lifecycle of libbpf-bootstrap: open -> size the maps
 * -> load -> write the configuration and policy (before any packet runs
 * through the programs) -> attach XDP -> attach tc -> record -> pin, each a
 * step that notes what it made in struct build, and one cleanup path that
 * undoes exactly that when a later step fails: a failed attach leaves
 * nothing behind.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/sketch.h>
#include "tcpsentry.skel.h"
#include "kernel_features.h"
#include "loader.h"
#include "loadlog.h"
#include "log.h"
#include "pins.h"
#include "policy_store.h"
#include "xdp_libxdp.h"

/* our tc filters' place on the clsact egress (and ingress) hook */
#define TS_TC_HANDLE 0x7453
#define TS_TC_PRIORITY 0x7453

static const char *const xdp_modes[] = { "auto", "native", "generic", NULL };

#define A struct ts_attach_opts
const struct ts_opt ts_attach_options[] = {
	TS_OPT("xdp-mode", 0, TS_OPT_ENUM, A, xdp_mode, .arg = "MODE", .names = xdp_modes,
	       .help = "where XDP runs: native (in the driver), generic (on any device) or "
		       "auto (native where the driver has it)"),
	TS_OPT("no-egress", 0, TS_OPT_FLAG, A, no_egress,
	       .help = "no tc egress program: ingress only, a one-way model"),
	TS_OPT("max-flows", 0, TS_OPT_U64, A, max_flows, .arg = "N", .min = 1024,
	       .max = TS_MAX_TABLE_ENTRIES, .help = "entries of the flows table"),
	TS_OPT("max-embryonic", 0, TS_OPT_U64, A, max_embryonic, .arg = "N", .min = 1024,
	       .max = TS_MAX_TABLE_ENTRIES, .help = "entries of the embryonic (half-open) table"),
	TS_OPT("syn-flood-rate", 0, TS_OPT_U32, A, syn_flood_rate, .arg = "N", .min = 10,
	       .max = 100000000, .unit = "SYN/s", .dflt = TS_DEF_SYN_FLOOD_RATE,
	       .help = "SYN/s to one port (or host-wide) that make a flood"),
	TS_OPT("syn-flood-complete-pct", 0, TS_OPT_U32, A, syn_flood_complete_pct, .arg = "P",
	       .min = 1, .max = 100, .unit = "%", .dflt = TS_DEF_SYN_FLOOD_COMPLETE_PCT,
	       .help = "a flood completes fewer than this share of its handshakes"),
	TS_OPT("scan-ports", 0, TS_OPT_U32, A, scan_ports, .arg = "N", .min = 2, .max = 128,
	       .dflt = TS_DEF_SCAN_PORTS,
	       .help = "distinct ports one source tries in 5 s that make a scan"),
	{}
};
#undef A

const char *ts_xdp_mode_name(int mode)
{
	return mode >= 0 && mode <= TS_XDP_GENERIC ? xdp_modes[mode] : "auto";
}

static int perm_hint(int e)
{
	if (e == EPERM || e == EACCES)
		err("permission denied: tcpsentry needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n");
	return -1;
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

/* the program pins of an attachment (the maps: ts_pinned_maps) */
static const char *const prog_pins[] = {
	TS_PIN_XDP_LINK, TS_PIN_TC_PROG, TS_PIN_TC_INGRESS_PROG, TS_PIN_XDP_PROG,
	TS_PIN_CHAINED_PROG, TS_PIN_REPORT_PROG, NULL,
};

/* remove the pins of an attachment and the directories left empty */
static void unpin_all(const char *dir)
{
	const char *const *lists[] = { ts_pinned_maps, prog_pins };
	char p[PATH_MAX], *slash;
	size_t l;
	int i;

	for (l = 0; l < 2; l++) {
		for (i = 0; lists[l][i]; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, lists[l][i]);
			unlink(p);
		}
	}
	rmdir(dir);
	snprintf(p, sizeof(p), "%s", dir);
	slash = strrchr(p, '/');
	if (slash) {
		*slash = '\0';
		rmdir(p); /* ns<inode>, if no other interface uses it */
	}
	rmdir(TS_PIN_ROOT);
}

/* One process at a time loads or unloads: a lock on the bpffs root
 * directory, which only attach creates. */
static int take_lock(int create)
{
	if (create && mkdir_p(TS_PIN_ROOT))
		return -1;
	return ts_lock_dir(TS_PIN_ROOT);
}

static __u32 xdp_flags(int mode)
{
	return mode == TS_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

/* put the XDP program we displaced (theirs) back in our place (ours) */
static int xdp_put_back(int ifindex, int ours, int theirs, int mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = ours);

	return bpf_xdp_attach(ifindex, theirs, xdp_flags(mode) | XDP_FLAGS_REPLACE, &ao);
}

/*
 * Take our tc filters (and the clsact qdisc, if ours) off ifindex; an
 * absent one is not an error. 0, or -1 (with messages if ifname is not
 * NULL; the undo of a failed attach is silent).
 */
static int tc_remove(int ifindex, const char *ifname, int ingress, int egress, int qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY);
	static const struct {
		int point;
		const char *what;
	} filters[] = { { BPF_TC_INGRESS, "tc ingress filter" }, { BPF_TC_EGRESS, "tc filter" } };
	int on[2] = { ingress, egress }, rc = 0, e, i;

	for (i = 0; i < 2; i++) {
		if (!on[i])
			continue;
		hook.attach_point = filters[i].point;
		e = bpf_tc_detach(&hook, &tco);
		if (e && e != -ENOENT) {
			if (ifname)
				err("cannot remove the %s from %s: %s\n", filters[i].what, ifname,
				    strerror(-e));
			rc = -1;
		}
	}
	if (qdisc) {
		/* both points: libbpf deletes the qdisc only then */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		e = bpf_tc_hook_destroy(&hook);
		if (e && e != -ENOENT && e != -EINVAL) {
			if (ifname)
				err("cannot remove the clsact qdisc from %s: %s\n", ifname,
				    strerror(-e));
			rc = -1;
		}
	}
	return rc;
}

/* What one attach has made so far: what the cleanup path undoes when a
 * later step fails, and what the attachment record says. */
struct build {
	const char *ifname;
	const struct ts_attach_opts *o;
	const struct ts_policy_doc *doc; /* NULL: the default policy */
	struct tcpsentry *skel;
	int ifindex;
	int cookies;          /* the kernel has the hand-over: tc ingress too */
	int xdp_mode;         /* what XDP got */
	int link_fd;          /* the XDP link (not chained); the pin holds it after */
	int old_fd;           /* chained: the program we displaced */
	__u32 old_id;
	int chained;          /* we took old_id's place on the interface */
	int qdisc;            /* the clsact qdisc is ours */
	int tc_ingress, tc_egress;
	int pinned;           /* the pin directory exists */
	int libxdp;           /* XDP went in through libxdp's dispatcher */
	struct ts_features feat; /* what this kernel has */
	char libxdp_why[192]; /* why libxdp's dispatcher did not take us ("": not tried) */
	char dir[256];
};

/* What this kernel has (kernel_features.c): a required feature missing
 * stops here; an optional one is switched off, and the command says so
 * from what ts_attached records. */
static int probe(struct build *b)
{
	enum ts_feature k;

	ts_features_probe(&b->feat);
	k = ts_features_missing_required(&b->feat);
	if (k != TS_F_MAX) {
		err("this kernel has no %s, which tcpsentry needs (Debian 12's Linux 6.1 has it)\n",
		    ts_feature_needs(k));
		return -1;
	}
	b->cookies = ts_feature_has(&b->feat, TS_F_REQSK_KFUNC);
	return 0;
}

/* the object, opened and sized for the options, not loaded */
static int open_object(struct build *b)
{
	int e;

	b->skel = tcpsentry__open();
	if (!b->skel) {
		e = errno;
		err("cannot open the BPF object: %s\n", strerror(e));
		return perm_hint(e);
	}
	bpf_map__set_max_entries(b->skel->maps.flows, (__u32)b->o->max_flows);
	bpf_map__set_max_entries(b->skel->maps.embryonic, (__u32)b->o->max_embryonic);
	if (b->o->no_egress)
		bpf_program__set_autoload(b->skel->progs.tcpsentry_tc_egress, false);
	if (!b->cookies)
		bpf_program__set_autoload(b->skel->progs.tcpsentry_tc_ingress, false);
	return 0;
}

/*
 * libxdp's dispatcher, where the kernel lets it host our program: libxdp
 * loads the object and attaches it in one call, so our XDP program runs
 * from here on with the zero configuration (observe mode, an empty
 * policy: nothing dropped) until write_config, the next step, fills it.
 * 1 if it did. 0 if not, its reason in b->libxdp_why and a fresh object
 * opened (libbpf loads an object only once) for our own chaining.
 */
static int try_libxdp(struct build *b)
{
	char why[128], vr[128];
	int e;

	if (!ts_feature_has(&b->feat, TS_F_PROG_EXT) ||
	    !ts_feature_has(&b->feat, TS_F_EXT_PKT_CHANGE))
		return 0;
	ts_loadlog_begin();
	e = ts_libxdp_attach(b->skel->obj, "tcpsentry_xdp", b->ifindex, b->o->xdp_mode,
			     &b->xdp_mode, why, sizeof(why));
	ts_loadlog_end();
	if (!e) {
		b->libxdp = 1;
		return 1;
	}
	ts_loadlog_last_line(vr, sizeof(vr));
	snprintf(b->libxdp_why, sizeof(b->libxdp_why), "%.96s%s%.90s", why, *vr ? ": " : "", vr);
	tcpsentry__destroy(b->skel);
	b->skel = NULL;
	return open_object(b);
}

/* load: through libxdp where it can host us, else ourselves; a verifier
 * rejection is reported as one, with the verifier's reason (loadlog.c) */
static int load(struct build *b)
{
	int e;

	if (open_object(b))
		return -1;
	e = try_libxdp(b);
	if (e)
		return e > 0 ? 0 : -1;
	ts_loadlog_begin();
	e = tcpsentry__load(b->skel) ? errno : 0;
	ts_loadlog_end();
	if (e)
		return ts_loadlog_report("the BPF programs", e) ? -1 : 0;
	return 0;
}

void ts_attach_thresholds(const struct ts_attach_opts *o, struct ts_policy *p)
{
	if (o->syn_flood_rate)
		p->syn_flood_rate = o->syn_flood_rate;
	if (o->syn_flood_complete_pct)
		p->syn_flood_complete_pct = o->syn_flood_complete_pct;
	if (o->scan_ports)
		p->scan_ports = o->scan_ports;
}

/* the policy file, settings and lists, swapped in over the defaults by
 * the policy store, through the maps of the object just loaded */
static int write_doc(struct build *b)
{
	struct ts_att a;
	int e;

	memset(&a, 0xff, sizeof(a)); /* every fd -1: only the policy maps are used */
	snprintf(a.ifname, sizeof(a.ifname), "%s", b->ifname);
	snprintf(a.dir, sizeof(a.dir), "%s", b->dir);
	a.config_fd = bpf_map__fd(b->skel->maps.config);
	a.policy_fd = bpf_map__fd(b->skel->maps.policy);
	a.allow_fd = bpf_map__fd(b->skel->maps.allow);
	a.deny_fd = bpf_map__fd(b->skel->maps.deny);
	a.hosts_fd = bpf_map__fd(b->skel->maps.hosts);
	e = ts_policy_replace(&a, &b->doc->pol, b->doc->allow, b->doc->n_allow, b->doc->deny,
			      b->doc->n_deny);
	if (e)
		err("cannot write the policy file's policy: %s\n", strerror(-e));
	return e ? -1 : 0;
}

/* the configuration, and the policy in force from the first packet: the
 * defaults (observe mode) with the thresholds given, in both slots, or the
 * policy file over them */
static int write_config(struct build *b)
{
	struct ts_config cfg = { .state_events = 1, .one_way = b->o->no_egress ? 1 : 0 };
	struct ts_policy pol;
	__u32 zero = 0, one = 1;

	ts_policy_defaults(&pol);
	pol.version = 1;
	ts_attach_thresholds(b->o, &pol);
	if (getrandom(&cfg.hash_seed, sizeof(cfg.hash_seed), 0) != sizeof(cfg.hash_seed))
		cfg.hash_seed = (__u32)time(NULL) ^ (__u32)getpid();
	/* the SYN-cookie MAC key (port scans' probes need it without the
	 * hand-over too) */
	cfg.handover = b->cookies ? 1 : 0;
	while (!(cfg.cookie_key[0] | cfg.cookie_key[1] | cfg.cookie_key[2] | cfg.cookie_key[3])) {
		if (getrandom(cfg.cookie_key, sizeof(cfg.cookie_key), 0) != sizeof(cfg.cookie_key)) {
			err("cannot read random bytes for the SYN-cookie key: %s\n", strerror(errno));
			return -1;
		}
	}
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.policy), &zero, &pol, 0) ||
	    bpf_map_update_elem(bpf_map__fd(b->skel->maps.policy), &one, &pol, 0) ||
	    bpf_map_update_elem(bpf_map__fd(b->skel->maps.config), &zero, &cfg, 0)) {
		err("cannot write the configuration: %s\n", strerror(errno));
		return -1;
	}
	return b->doc ? write_doc(b) : 0;
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
static int xdp_chain(struct build *b, const struct bpf_xdp_query_opts *q)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	__u32 zero = 0;
	int e;

	if (q->attach_mode != XDP_ATTACHED_DRV && q->attach_mode != XDP_ATTACHED_SKB) {
		err("%s runs XDP in a mode tcpsentry cannot chain (attach mode %u)\n", b->ifname,
		    q->attach_mode);
		return -1;
	}
	b->old_fd = bpf_prog_get_fd_by_id(q->prog_id);
	if (b->old_fd < 0) {
		err("cannot open the XDP program already on %s (id %u): %s\n", b->ifname,
		    q->prog_id, strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.xdp_chain), &zero, &b->old_fd, 0)) {
		err("the XDP program already on %s (id %u) cannot be chained after ours: %s\n",
		    b->ifname, q->prog_id, strerror(errno));
		return -1;
	}
	b->xdp_mode = q->attach_mode == XDP_ATTACHED_DRV ? TS_XDP_NATIVE : TS_XDP_GENERIC;
	ao.old_prog_fd = b->old_fd;
	e = bpf_xdp_attach(b->ifindex, bpf_program__fd(b->skel->progs.tcpsentry_xdp),
			   xdp_flags(b->xdp_mode) | XDP_FLAGS_REPLACE, &ao);
	if (e) {
		err("%s already runs XDP program id %u%s: %s\n", b->ifname, q->prog_id,
		    e == -EBUSY ? " through another tool's bpf_link, which cannot be displaced" : "",
		    strerror(-e));
		return -1;
	}
	b->old_id = q->prog_id;
	b->chained = 1;
	return 0;
}

/* a bpf_link: native where asked (or, auto, where the driver has it) */
static int xdp_link(struct build *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int prog = bpf_program__fd(b->skel->progs.tcpsentry_xdp), mode = b->o->xdp_mode, e;

	b->xdp_mode = mode == TS_XDP_GENERIC ? TS_XDP_GENERIC : TS_XDP_NATIVE;
	lo.flags = xdp_flags(b->xdp_mode);
	b->link_fd = bpf_link_create(prog, b->ifindex, BPF_XDP, &lo);
	if (b->link_fd < 0 && mode == TS_XDP_AUTO) {
		dbg("native XDP refused (%s), trying generic\n", strerror(errno));
		b->xdp_mode = TS_XDP_GENERIC;
		lo.flags = xdp_flags(b->xdp_mode);
		b->link_fd = bpf_link_create(prog, b->ifindex, BPF_XDP, &lo);
	}
	if (b->link_fd >= 0)
		return 0;
	e = errno;
	if (e == EBUSY || e == EEXIST)
		err("%s already has an XDP program attached (not ours): %s\n", b->ifname,
		    strerror(e));
	else
		err("cannot attach XDP (%s mode) to %s: %s\n", ts_xdp_mode_name(b->xdp_mode),
		    b->ifname, strerror(e));
	return perm_hint(e);
}

static int attach_xdp(struct build *b)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (b->libxdp) /* libxdp attached it as it loaded it */
		return 0;
	if (bpf_xdp_query(b->ifindex, 0, &q) == 0 && q.prog_id)
		return xdp_chain(b, &q);
	return xdp_link(b);
}

/* one of our filters on the clsact hook at point; 0 or -1 */
static int tc_add(const struct build *b, int point, const struct bpf_program *prog,
		  const char *what)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY,
		    .prog_fd = bpf_program__fd(prog));
	int e = bpf_tc_attach(&hook, &tco);

	if (e)
		err("cannot attach the %s on %s: %s\n", what, b->ifname, strerror(-e));
	return e ? -1 : 0;
}

/* the clsact qdisc (ours, unless one was there), the SYN-cookie hand-over
 * at ingress (bpf/cookie.h), the egress program */
static int attach_tc(struct build *b)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex, .attach_point = BPF_TC_EGRESS);
	int e;

	if (b->o->no_egress && !b->cookies)
		return 0;
	e = bpf_tc_hook_create(&hook);
	if (e && e != -EEXIST) {
		err("cannot create the clsact qdisc on %s: %s\n", b->ifname, strerror(-e));
		return -1;
	}
	b->qdisc = e == 0; /* -EEXIST: someone's clsact, kept on detach */
	if (b->cookies) {
		if (tc_add(b, BPF_TC_INGRESS, b->skel->progs.tcpsentry_tc_ingress,
			   "tc ingress filter"))
			return -1;
		b->tc_ingress = 1;
	}
	if (!b->o->no_egress) {
		if (tc_add(b, BPF_TC_EGRESS, b->skel->progs.tcpsentry_tc_egress, "tc egress filter"))
			return -1;
		b->tc_egress = 1;
	}
	return 0;
}

/* the attachment record (`meta`): what status reads and detach undoes */
static int write_meta(struct build *b)
{
	struct ts_meta meta = {
		.ifindex = (__u32)b->ifindex,
		.xdp_mode = (__u32)b->xdp_mode,
		.flags = (b->tc_egress ? TS_META_EGRESS : 0) | (b->qdisc ? TS_META_CREATED_QDISC : 0) |
			 (b->chained ? TS_META_CHAINED : 0) | (b->tc_ingress ? TS_META_INGRESS_TC : 0) |
			 (b->libxdp ? TS_META_LIBXDP : 0),
		.features = b->feat.have | TS_FEATURES_PROBED,
		.chained_prog_id = b->old_id,
		.tc_handle = TS_TC_HANDLE,
		.tc_priority = TS_TC_PRIORITY,
		.attached_unix = (__u64)time(NULL),
		.max_flows = b->o->max_flows,
		.max_embryonic = b->o->max_embryonic,
	};
	__u32 zero = 0;

	snprintf(meta.ifname, sizeof(meta.ifname), "%s", b->ifname);
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.meta), &zero, &meta, 0)) {
		err("cannot write the attachment record: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* pins: the link keeps XDP attached after we exit, and the next command
 * finds the maps */
static int pin(struct build *b)
{
	const struct {
		const char *name;
		int fd;
		int on;
	} progs[] = {
		{ TS_PIN_XDP_LINK, b->link_fd, b->link_fd >= 0 }, /* not chained, not libxdp */
		/* chained or in libxdp's dispatcher: detach finds our program here */
		{ TS_PIN_XDP_PROG, bpf_program__fd(b->skel->progs.tcpsentry_xdp),
		  b->chained || b->libxdp },
		{ TS_PIN_CHAINED_PROG, b->old_fd, b->chained },
		{ TS_PIN_TC_PROG, bpf_program__fd(b->skel->progs.tcpsentry_tc_egress), b->tc_egress },
		{ TS_PIN_TC_INGRESS_PROG, bpf_program__fd(b->skel->progs.tcpsentry_tc_ingress),
		  b->tc_ingress },
		/* the sweeper's way to raise what only it sees (half_open_timeout) */
		{ TS_PIN_REPORT_PROG, bpf_program__fd(b->skel->progs.tcpsentry_report), 1 },
	};
	char p[PATH_MAX];
	size_t i;
	int e;

	e = mkdir_p(b->dir);
	if (e) {
		err("cannot create %s: %s\n", b->dir, strerror(-e));
		return -1;
	}
	b->pinned = 1;
	for (i = 0; ts_pinned_maps[i]; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(b->skel->obj, ts_pinned_maps[i]);

		snprintf(p, sizeof(p), "%s/%s", b->dir, ts_pinned_maps[i]);
		if (!m || bpf_map__pin(m, p)) {
			err("cannot pin map %s at %s: %s\n", ts_pinned_maps[i], p, strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (!progs[i].on)
			continue;
		snprintf(p, sizeof(p), "%s/%s", b->dir, progs[i].name);
		if (bpf_obj_pin(progs[i].fd, p)) {
			err("cannot pin at %s: %s\n", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* undo what the steps made, last first */
static void undo(struct build *b)
{
	if (b->pinned)
		unpin_all(b->dir);
	tc_remove(b->ifindex, NULL, b->tc_ingress, b->tc_egress, b->qdisc);
	if (b->libxdp)
		ts_libxdp_detach(bpf_program__fd(b->skel->progs.tcpsentry_xdp), b->ifindex,
				 b->xdp_mode);
	if (b->chained)
		xdp_put_back(b->ifindex, bpf_program__fd(b->skel->progs.tcpsentry_xdp), b->old_fd,
			     b->xdp_mode);
}

int ts_attach(const char *ifname, const struct ts_attach_opts *o, const struct ts_policy_doc *doc,
	      struct ts_attached *out)
{
	/* in this order: the configuration and policy are in the maps before
	 * the first packet runs through the programs, the pins come last */
	static int (*const steps[])(struct build *) = {
		probe, load, write_config, attach_xdp, attach_tc, write_meta, pin,
	};
	struct build b = { .ifname = ifname, .o = o, .doc = doc, .link_fd = -1, .old_fd = -1 };
	int lock_fd, e = -1;
	size_t i;

	b.ifindex = (int)if_nametoindex(ifname);
	if (!b.ifindex) {
		err("no interface '%s' in this network namespace\n", ifname);
		return 1;
	}
	lock_fd = take_lock(1);
	if (lock_fd < 0) {
		err("cannot use %s: %s (is bpffs mounted at /sys/fs/bpf?)\n", TS_PIN_ROOT,
		    strerror(errno));
		perm_hint(errno);
		return 1;
	}
	if (ts_pin_dir(b.dir, sizeof(b.dir), ifname))
		goto cleanup;
	if (access(b.dir, F_OK) == 0) {
		err("%s is already attached (pins in %s); detach it first\n", ifname, b.dir);
		goto cleanup;
	}
	for (i = 0, e = 0; i < sizeof(steps) / sizeof(steps[0]) && !e; i++)
		e = steps[i](&b);
	if (e)
		goto cleanup;
	*out = (struct ts_attached){
		.xdp_mode = b.xdp_mode, .egress = b.tc_egress, .cookies = b.tc_ingress,
		.chained_prog_id = b.chained ? b.old_id : 0, .libxdp = b.libxdp,
		.features = b.feat.have | TS_FEATURES_PROBED,
	};
	snprintf(out->libxdp_why, sizeof(out->libxdp_why), "%s", b.libxdp_why);
	snprintf(out->dir, sizeof(out->dir), "%s", b.dir);
cleanup:
	if (e && b.skel)
		undo(&b);
	if (b.link_fd >= 0)
		close(b.link_fd); /* the pin holds it; on failure this detaches */
	if (b.old_fd >= 0)
		close(b.old_fd);
	tcpsentry__destroy(b.skel);
	close(lock_fd);
	return e ? 1 : 0;
}

void ts_print_attached(FILE *out, const char *ifname, const struct ts_attached *a)
{
	fprintf(out, "attached to %s: xdp %s, tc egress %s, pins in %s\n", ifname,
		ts_xdp_mode_name(a->xdp_mode), a->egress ? "on" : "off (one direction only)",
		a->dir);
	ts_features_print_off(out, a->features, "");
	if (a->libxdp)
		fprintf(out, "%s: XDP through libxdp's dispatcher, priority %d (xdp-loader status "
			"lists it)\n", ifname, TS_LIBXDP_PRIORITY);
	else if (a->libxdp_why[0])
		fprintf(out, "libxdp's dispatcher did not take tcpsentry's XDP program on %s (%s): "
			"tcpsentry chains by itself\n", ifname, a->libxdp_why);
	if (a->chained_prog_id)
		fprintf(out, "%s already ran XDP program id %u: it now runs after tcpsentry's, "
			"and detach puts it back\n", ifname, a->chained_prog_id);
}

/* put the XDP program we displaced back in our place */
static int restore_chained(const struct ts_att *a, int ifindex, const char *ifname)
{
	char p[PATH_MAX];
	int ours, theirs, e = -1;

	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_XDP_PROG);
	ours = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_CHAINED_PROG);
	theirs = bpf_obj_get(p);
	if (ours < 0 || theirs < 0)
		err("cannot open the pinned XDP programs of %s: %s\n", ifname, strerror(errno));
	else if ((e = xdp_put_back(ifindex, ours, theirs, (int)a->meta.xdp_mode)))
		err("cannot put XDP program id %u back on %s: %s\n", a->meta.chained_prog_id,
		    ifname, strerror(-e));
	if (ours >= 0)
		close(ours);
	if (theirs >= 0)
		close(theirs);
	return e ? -1 : 0;
}

/* take our program out of libxdp's dispatcher */
static int libxdp_detach_pinned(const struct ts_att *a, int ifindex, const char *ifname)
{
	char p[PATH_MAX];
	int fd, e;

	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_XDP_PROG);
	fd = bpf_obj_get(p);
	e = fd < 0 ? -errno : ts_libxdp_detach(fd, ifindex, (int)a->meta.xdp_mode);
	if (fd >= 0)
		close(fd);
	if (e && e != -ENOENT)
		err("cannot take XDP out of libxdp's dispatcher on %s: %s\n", ifname, strerror(-e));
	return e && e != -ENOENT ? -1 : 0;
}

int ts_detach(const char *ifname)
{
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
		perm_hint(errno);
		return 1;
	}
	e = ts_att_open(&a, ifname);
	if (e) {
		if (e == -ENOENT)
			err("%s is not attached in this network namespace\n", ifname);
		else
			err("cannot open the pins of %s: %s\n", ifname, strerror(-e));
		perm_hint(-e);
		close(lock_fd);
		return 1;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex && (a.meta.flags & TS_META_LIBXDP) && libxdp_detach_pinned(&a, ifindex, ifname))
		rc = 1;
	if (ifindex && (a.meta.flags & TS_META_CHAINED) && restore_chained(&a, ifindex, ifname))
		rc = 1;
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
	if (ifindex && tc_remove(ifindex, ifname, !!(a.meta.flags & TS_META_INGRESS_TC),
				 !!(a.meta.flags & TS_META_EGRESS),
				 !!(a.meta.flags & TS_META_CREATED_QDISC)))
		rc = 1;
	ts_att_close(&a);
	if (!rc)
		unpin_all(a.dir);
	close(lock_fd);
	return rc;
}
