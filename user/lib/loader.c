// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach. The lifecycle of libbpf-bootstrap, as steps: probe the kernel ->
 * load (through libxdp where its dispatcher can host us) -> write the
 * configuration and policy (before any packet runs through the programs)
 * -> record -> attach XDP -> attach tc -> pin the programs -> commit.
 *
 * The record (the pinned `meta` map, struct ts_meta) is a journal: it is
 * pinned before anything that outlives this process is made, and each
 * step writes into it what it is about to make (by program id) or has
 * made, so an attach killed at any point leaves the account of what to
 * undo; the commit marks it whole. A step that fails hands the same
 * record, still in memory, to the one teardown path (teardown.c) that
 * detach and the next attach use: a failed attach leaves nothing behind.
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
#include <bpf/libbpf.h>
#include <tcpsentry/sketch.h>
#include "tcpsentry.skel.h"
#include "attstate.h"
#include "gc.h"
#include "kernel_features.h"
#include "loader.h"
#include "loadlog.h"
#include "log.h"
#include "netns.h"
#include "pins.h"
#include "policy_store.h"
#include "teardown.h"
#include "wiredev.h"
#include "xdp_libxdp.h"

static const char *const xdp_modes[] = { "auto", "native", "generic", NULL };
static const char *const csum_modes[] = { "auto", "full", "partial", NULL };
_Static_assert(TS_XDP_NATIVE == TS_REC_XDP_NATIVE && TS_XDP_GENERIC == TS_REC_XDP_GENERIC,
	       "the record's XDP modes are enum ts_xdp_mode's");

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
	TS_OPT("checksum", 0, TS_OPT_ENUM, A, csum, .arg = "MODE", .names = csum_modes,
	       .help = "ingress TCP checksums: full (a wire device: the pseudo header's sum "
		       "alone is a crafted frame's), partial (a virtual device: a local peer "
		       "leaves it to the hardware) or auto (full on a NIC on a bus, partial "
		       "on veth, tun, paravirtual NICs)"),
	TS_OPT("vlans", 0, TS_OPT_PARSE, A, vlans, .arg = "auto|any|LIST", .parse = ts_vlans_parse,
	       .hint = TS_VLANS_HINT,
	       .help = "the VLAN IDs whose tagged frames are this host's (the kernel drops "
		       "the others: they move nothing here): auto, the interface's VLAN "
		       "devices, kept up to date by `run` (the default); any, where a program "
		       "takes the tag off before the stack; or a list such as 100,200"),
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

/* What one attach has made so far. The record (meta) is what the teardown
 * undoes when a later step fails, and what the pins say afterwards. */
struct build {
	const char *ifname;
	const struct ts_attach_opts *o;
	const struct ts_policy_doc *doc; /* NULL: the default policy */
	struct tcpsentry *skel;
	int ifindex;
	int cookies;          /* the kernel has the hand-over: tc ingress too */
	int link_fd;          /* the XDP link (not chained); its pin holds it */
	int old_fd;           /* chained: the program we displaced */
	int pinned;           /* the pin directory exists */
	struct ts_meta meta;  /* the record, written as the steps go */
	struct ts_vlans vlans; /* what write_config put in the `vlans` map */
	char vlans_why[128];  /* auto took every VLAN ID: why */
	struct ts_features feat; /* what this kernel has */
	char libxdp_why[192]; /* why libxdp's dispatcher did not take us ("": not tried) */
	char dir[256];
};

/* one of our tc filters: where, what, the record's flag for it, in words,
 * whether this attach makes it */
struct tc_filter {
	int point;
	const struct bpf_program *prog;
	__u32 flag;
	const char *what;
	int on;
};

/* the record into the pinned map (once record() made it): what a later
 * teardown goes by; 0 or -1 */
static int note(struct build *b)
{
	__u32 zero = 0;

	if (!b->pinned)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.meta), &zero, &b->meta, 0)) {
		err("cannot write the attachment record: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static __u32 prog_id(const struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

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
 * A kill before record() leaves our program in the dispatcher with no
 * record: the next attach or detach finds it there by name. 1 if it did.
 * 0 if not, its reason in b->libxdp_why and a fresh object opened (libbpf
 * loads an object only once) for our own chaining.
 */
static int try_libxdp(struct build *b)
{
	char why[128], vr[128];
	int mode, e;

	if (!ts_feature_has(&b->feat, TS_F_PROG_EXT) ||
	    !ts_feature_has(&b->feat, TS_F_EXT_PKT_CHANGE))
		return 0;
	ts_loadlog_begin();
	e = ts_libxdp_attach(b->skel->obj, "tcpsentry_xdp", b->ifindex, b->o->xdp_mode, &mode,
			     why, sizeof(why));
	ts_loadlog_end();
	if (!e) {
		/* in the record before anything else can fail */
		b->meta.flags |= TS_META_LIBXDP;
		b->meta.xdp_mode = (__u32)mode;
		b->meta.xdp_prog_id = prog_id(b->skel->progs.tcpsentry_xdp);
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

/* the VLAN IDs the interface takes (vlans.h), before the first packet;
 * the mode in the record, for `run` (auto: it keeps the map so) and status */
static int write_vlans(struct build *b)
{
	__u32 zero = 0;
	int e;

	e = ts_vlans_for(&b->o->vlans, b->ifindex, &b->vlans, b->vlans_why, sizeof(b->vlans_why));
	if (e) {
		err("cannot list the VLAN devices of %s: %s (attach --vlans any or LIST says "
		    "which VLAN IDs it takes)\n", b->ifname, strerror(-e));
		return -1;
	}
	if (b->o->vlans.mode == TS_VLANS_ANY)
		b->meta.flags |= TS_META_VLANS_ANY;
	else if (b->o->vlans.mode == TS_VLANS_LIST)
		b->meta.flags |= TS_META_VLANS_LIST;
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.vlans), &zero, &b->vlans, 0)) {
		err("cannot write the VLAN IDs: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* the configuration, and the policy in force from the first packet: the
 * defaults (observe mode) with the thresholds given, in both slots, or the
 * policy file over them */
static int write_config(struct build *b)
{
	struct ts_config cfg = { .state_events = 1, .one_way = b->o->no_egress ? 1 : 0 };
	struct ts_policy pol;
	__u32 zero = 0, one = 1;
	long dist;

	ts_policy_defaults(&pol);
	pol.version = 1;
	ts_attach_thresholds(b->o, &pol);
	if (getrandom(&cfg.hash_seed, sizeof(cfg.hash_seed), 0) != sizeof(cfg.hash_seed))
		cfg.hash_seed = (__u32)time(NULL) ^ (__u32)getpid();
	/* the SYN-cookie MAC key (port scans' probes need it without the
	 * hand-over too) */
	cfg.handover = b->cookies ? 1 : 0;
	cfg.csum_full = b->o->csum == TS_CSUM_FULL ||
			(b->o->csum == TS_CSUM_AUTO && ts_wire_device(b->ifname));
	if (cfg.csum_full)
		b->meta.flags |= TS_META_CSUM_FULL;
	/* the kernel's IPv4 fragment distance here (unread: the default) */
	if (!ts_netns_sysctl("net/ipv4/ipfrag_max_dist", &dist))
		cfg.frag_max_dist = ts_frag_dist_word(dist);
	if (write_vlans(b))
		return -1;
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
 * The record, pinned with the maps before anything that outlives this
 * process is attached: our programs' ids (what is ours on a hook is what
 * has them), the interface's ifindex (an interface created again under
 * the same name is not ours), state ATTACHING until commit().
 */
static int record(struct build *b)
{
	struct ts_meta *m = &b->meta;
	char p[PATH_MAX];
	size_t i;
	int e;

	m->xdp_prog_id = prog_id(b->skel->progs.tcpsentry_xdp);
	if (!b->o->no_egress)
		m->tc_egress_prog_id = prog_id(b->skel->progs.tcpsentry_tc_egress);
	if (b->cookies)
		m->tc_ingress_prog_id = prog_id(b->skel->progs.tcpsentry_tc_ingress);
	m->features = b->feat.have;
	m->max_flows = b->o->max_flows;
	m->max_embryonic = b->o->max_embryonic;
	m->attached_unix = (__u64)time(NULL);
	b->pinned = 1; /* from here on the teardown removes the directory */
	if (note(b))
		return -1;
	e = ts_pin_mkdir(b->dir);
	if (e) {
		err("cannot create %s: %s\n", b->dir, strerror(-e));
		return -1;
	}
	/* `meta` first: a directory without it was never more than empty */
	for (i = 0; ts_pinned_maps[i]; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(b->skel->obj, ts_pinned_maps[i]);

		snprintf(p, sizeof(p), "%s/%s", b->dir, ts_pinned_maps[i]);
		if (!map || bpf_map__pin(map, p)) {
			err("cannot pin map %s at %s: %s\n", ts_pinned_maps[i], p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Chaining: the interface already runs an XDP program (another tool's),
 * and libxdp's dispatcher cannot host us here (kernel_features.c). So
 * tcpsentry takes the program's place atomically (XDP_FLAGS_REPLACE) and
 * tail-calls it after its own work: both keep running, and detach puts it
 * back. Works for a program attached by netlink (ip link, libxdp's
 * fallback); one held by another tool's bpf_link cannot be displaced
 * (EBUSY). The record names it before the swap: a kill right after it
 * still puts it back, and the pinned prog array keeps it alive till then.
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
	b->meta.xdp_mode = q->attach_mode == XDP_ATTACHED_DRV ? TS_XDP_NATIVE : TS_XDP_GENERIC;
	b->meta.chained_prog_id = q->prog_id;
	b->meta.flags |= TS_META_CHAINED;
	if (note(b))
		return -1;
	ao.old_prog_fd = b->old_fd;
	e = bpf_xdp_attach(b->ifindex, bpf_program__fd(b->skel->progs.tcpsentry_xdp),
			   ts_xdp_mode_flags((int)b->meta.xdp_mode) | XDP_FLAGS_REPLACE, &ao);
	if (e) {
		err("%s already runs XDP program id %u%s: %s\n", b->ifname, q->prog_id,
		    e == -EBUSY ? " through another tool's bpf_link, which cannot be displaced" : "",
		    strerror(-e));
		/* nothing was swapped: the teardown must not put it "back" */
		b->meta.chained_prog_id = 0;
		b->meta.flags &= ~(__u32)TS_META_CHAINED;
		note(b);
		return -1;
	}
	return 0;
}

/* a bpf_link: native where asked (or, auto, where the driver has it);
 * pinned at once (a kill before the pin frees the hook with the fd) */
static int xdp_link(struct build *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int prog = bpf_program__fd(b->skel->progs.tcpsentry_xdp), mode = b->o->xdp_mode, e;
	char p[PATH_MAX];

	b->meta.xdp_mode = mode == TS_XDP_GENERIC ? TS_XDP_GENERIC : TS_XDP_NATIVE;
	lo.flags = ts_xdp_mode_flags((int)b->meta.xdp_mode);
	b->link_fd = bpf_link_create(prog, b->ifindex, BPF_XDP, &lo);
	if (b->link_fd < 0 && mode == TS_XDP_AUTO) {
		dbg("native XDP refused (%s), trying generic\n", strerror(errno));
		b->meta.xdp_mode = TS_XDP_GENERIC;
		lo.flags = ts_xdp_mode_flags(TS_XDP_GENERIC);
		b->link_fd = bpf_link_create(prog, b->ifindex, BPF_XDP, &lo);
	}
	if (b->link_fd < 0) {
		e = errno;
		if (e == EBUSY || e == EEXIST)
			err("%s already has an XDP program attached (not ours): %s\n", b->ifname,
			    strerror(e));
		else
			err("cannot attach XDP (%s mode) to %s: %s\n",
			    ts_xdp_mode_name((int)b->meta.xdp_mode), b->ifname, strerror(e));
		return perm_hint(e);
	}
	snprintf(p, sizeof(p), "%s/%s", b->dir, TS_PIN_XDP_LINK);
	if (bpf_obj_pin(b->link_fd, p)) {
		err("cannot pin at %s: %s\n", p, strerror(errno));
		return -1;
	}
	if (!bpf_obj_get_info_by_fd(b->link_fd, &info, &len))
		b->meta.xdp_link_id = info.id;
	return note(b);
}

static int attach_xdp(struct build *b)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (b->meta.flags & TS_META_LIBXDP) /* libxdp attached it as it loaded it */
		return 0;
	if (bpf_xdp_query(b->ifindex, 0, &q) == 0 && q.prog_id)
		return xdp_chain(b, &q);
	return xdp_link(b);
}

/* one of our filters on the clsact hook at point: 0 or -errno (what is
 * ours there is known by program id, recorded before: no note needed
 * first) */
static int tc_add(struct build *b, const struct tc_filter *f)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex, .attach_point = f->point);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TS_TC_HANDLE, .priority = TS_TC_PRIORITY,
		    .prog_fd = bpf_program__fd(f->prog));
	int e = bpf_tc_attach(&hook, &tco);

	if (e)
		return e;
	b->meta.flags |= f->flag;
	return note(b) ? -EIO : 0;
}

/*
 * The clsact qdisc if there is none, then our filters: the SYN-cookie
 * hand-over at ingress, the egress program. A qdisc carries no owner, so
 * the record must say "ours" before it exists: a kill right after its
 * creation then still removes it, and one that was there already (someone
 * else's, kept on detach) must never be called ours. So the first filter
 * goes in first: the kernel refuses it (EINVAL, "Parent Qdisc doesn't
 * exist") only where there is no clsact, and only then is one made, noted
 * as ours beforehand. (Another tool creating one in the microseconds
 * between is an EEXIST, and not ours either.)
 */
static int attach_tc(struct build *b)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex, .attach_point = BPF_TC_EGRESS);
	const struct tc_filter filters[] = {
		{ BPF_TC_INGRESS, b->skel->progs.tcpsentry_tc_ingress, TS_META_INGRESS_TC,
		  "tc ingress filter", b->cookies },
		{ BPF_TC_EGRESS, b->skel->progs.tcpsentry_tc_egress, TS_META_EGRESS,
		  "tc egress filter", !b->o->no_egress },
	};
	int first = 1, e;
	size_t i;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		const struct tc_filter *f = &filters[i];

		if (!f->on)
			continue;
		e = tc_add(b, f);
		if (e == -EINVAL && first) {
			b->meta.flags |= TS_META_CREATED_QDISC;
			if (note(b))
				return -1;
			e = bpf_tc_hook_create(&hook);
			if (e == -EEXIST) { /* someone else's, just made: not ours */
				b->meta.flags &= ~(__u32)TS_META_CREATED_QDISC;
				e = note(b) ? -EIO : 0;
			}
			if (e) {
				err("cannot create the clsact qdisc on %s: %s\n", b->ifname,
				    strerror(-e));
				return -1;
			}
			e = tc_add(b, f);
		}
		if (e) {
			err("cannot attach the %s on %s: %s\n", f->what, b->ifname, strerror(-e));
			return -1;
		}
		first = 0;
	}
	return 0;
}

/* the programs, for detach and the sweeper (the link is pinned already) */
static int pin_progs(struct build *b)
{
	const __u32 f = b->meta.flags;
	const struct {
		const char *name;
		int fd;
		int on;
	} progs[] = {
		/* chained or in libxdp's dispatcher: detach finds our program here */
		{ TS_PIN_XDP_PROG, bpf_program__fd(b->skel->progs.tcpsentry_xdp),
		  !!(f & (TS_META_CHAINED | TS_META_LIBXDP)) },
		{ TS_PIN_CHAINED_PROG, b->old_fd, !!(f & TS_META_CHAINED) },
		{ TS_PIN_TC_PROG, bpf_program__fd(b->skel->progs.tcpsentry_tc_egress),
		  !!(f & TS_META_EGRESS) },
		{ TS_PIN_TC_INGRESS_PROG, bpf_program__fd(b->skel->progs.tcpsentry_tc_ingress),
		  !!(f & TS_META_INGRESS_TC) },
		/* the sweeper's way to raise what only it sees (half_open_timeout) */
		{ TS_PIN_REPORT_PROG, bpf_program__fd(b->skel->progs.tcpsentry_report), 1 },
		/* the sweeper's and detach's way to hand over connection records */
		{ TS_PIN_RECORD_PROG, bpf_program__fd(b->skel->progs.tcpsentry_record), 1 },
	};
	char p[PATH_MAX];
	size_t i;

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

/* every step made: the record says so (status, run and detach trust a
 * committed record, and check it against the interface) */
static int commit(struct build *b)
{
	b->meta.state = TS_META_ATTACHED;
	return note(b);
}

/*
 * What is there already for ifname. Live pins (the record matches the
 * interface and its hooks): "already attached", 1. Stale or incomplete
 * ones (the interface was created again, an attach was killed): their
 * teardown, and what they were in out->replaced, 0. No pins: what an
 * attach killed before its record left on the interface, if anything, is
 * taken off the same way, 0. -1 on error.
 */
static int clear_stale(const char *ifname, struct ts_attached *out)
{
	struct ts_meta m;
	struct ts_att a;
	int e = ts_att_open(&a, ifname), r;

	if (e && e != -ENODATA && e != -ENOENT) {
		if (e != -EACCES)
			err("cannot open the pins of %s: %s\n", ifname, strerror(-e));
		return -1;
	}
	if (!e) {
		out->replaced = ts_att_check(&a, out->replaced_why, sizeof(out->replaced_why));
		ts_att_close(&a);
		if (out->replaced == TS_ATT_LIVE) {
			err("%s is already attached (pins in %s); detach it first\n", ifname, a.dir);
			return 1;
		}
	}
	r = ts_teardown(e == -ENOENT || ts_record_read(a.dir, &m) ? NULL : &m, ifname,
			e == -ENOENT ? NULL : a.dir, 0);
	if (r < 0) {
		err("cannot clear what an earlier attach of %s left there\n", ifname);
		return -1;
	}
	if (e && (e == -ENODATA || r > 0)) {
		out->replaced = TS_ATT_INCOMPLETE;
		snprintf(out->replaced_why, sizeof(out->replaced_why), "an attach of %s did not "
			 "finish%s", ifname, e == -ENOENT ? ", before its pins" : "");
	}
	return 0;
}

int ts_attach(const char *ifname, const struct ts_attach_opts *o, const struct ts_policy_doc *doc,
	      struct ts_attached *out)
{
	/* in this order: the configuration and policy are in the maps before
	 * the first packet runs through the programs; the record is pinned
	 * before anything that outlives this process is attached */
	static int (*const steps[])(struct build *) = {
		probe, load, write_config, record, attach_xdp, attach_tc, pin_progs, commit,
	};
	struct build b = { .ifname = ifname, .o = o, .doc = doc, .link_fd = -1, .old_fd = -1 };
	int lock_fd, e = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->replaced = TS_ATT_LIVE; /* nothing replaced */
	b.ifindex = (int)if_nametoindex(ifname);
	if (!b.ifindex) {
		err("no interface '%s' in this network namespace\n", ifname);
		return 1;
	}
	lock_fd = ts_pin_root_open(1, 1); /* says why it cannot */
	if (lock_fd < 0)
		return 1;
	if (ts_pin_dir(b.dir, sizeof(b.dir), ifname) || clear_stale(ifname, out))
		goto cleanup;
	b.meta = (struct ts_meta){
		.record = TS_META_RECORD, .state = TS_META_ATTACHING, .ifindex = (__u32)b.ifindex,
		.tc_handle = TS_TC_HANDLE, .tc_priority = TS_TC_PRIORITY,
	};
	snprintf(b.meta.ifname, sizeof(b.meta.ifname), "%s", ifname);
	for (i = 0, e = 0; i < sizeof(steps) / sizeof(steps[0]) && !e; i++)
		e = steps[i](&b);
	if (e)
		goto cleanup;
	out->xdp_mode = (int)b.meta.xdp_mode;
	out->egress = !!(b.meta.flags & TS_META_EGRESS);
	out->cookies = !!(b.meta.flags & TS_META_INGRESS_TC);
	out->chained_prog_id = b.meta.chained_prog_id;
	out->libxdp = !!(b.meta.flags & TS_META_LIBXDP);
	out->features = b.feat.have;
	snprintf(out->libxdp_why, sizeof(out->libxdp_why), "%s", b.libxdp_why);
	snprintf(out->dir, sizeof(out->dir), "%s", b.dir);
	ts_vlans_str(&b.vlans, out->vlans, sizeof(out->vlans));
	snprintf(out->vlans_why, sizeof(out->vlans_why), "%s", b.vlans_why);
cleanup:
	/* the one way back: the record of what this attach made */
	if (e && b.skel) {
		ts_teardown(&b.meta, ifname, b.pinned ? b.dir : NULL, 1);
		ts_pin_root_tidy();
	}
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
	if (a->replaced != TS_ATT_LIVE)
		fprintf(out, "%s: replaced its %s attachment (%s)\n", ifname,
			ts_att_state_name(a->replaced), a->replaced_why);
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
	if (a->vlans_why[0])
		fprintf(out, "%s: frames of every VLAN ID are tracked: %s\n", ifname, a->vlans_why);
	else if (strcmp(a->vlans, "none"))
		fprintf(out, "%s: tagged frames tracked for VLAN IDs %s (others are the kernel's "
			"to drop: vlan_no_device)\n", ifname, a->vlans);
}
