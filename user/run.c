// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `run`: the foreground daemon. For each interface: attach, or adopt the
 * attachment its pins describe (a daemon restarted after kill -9 finds the
 * datapath still running and its counters where they were). Then, until
 * SIGINT or SIGTERM: log events as JSON lines, sweep the tables every
 * --sweep-interval seconds (recording the per-state counts of that pass for
 * the gauges), serve /metrics and rewrite the --textfile; with --records,
 * --ipfix or --pcap-dir, export the connection records (JSON lines, IPFIX)
 * and the frames events carry (pcap). SIGHUP reloads the policy file and
 * reopens the logs. Every sweep, each attachment is checked against the
 * live interface: one gone stale (the interface deleted, or deleted and
 * created again) is said, and attached again as soon as the interface by
 * that name is there. On exit, detach unless --keep-attached (the
 * connections still open are recorded first).
 *
 * Threads: this one (events, sweeps, signals) and libmicrohttpd's, which
 * renders scrapes. They share the sweeper's tallies under `lock`; the
 * counters a scrape reads are per-CPU arrays, read fresh each time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "attstate.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "http.h"
#include "ipfix.h"
#include "loader.h"
#include "log.h"
#include "logfile.h"
#include "mapwalk.h"
#include "netns.h"
#include "opts.h"
#include "pcap_out.h"
#include "pins.h"
#include "policy_file.h"
#include "policy_store.h"
#include "prom.h"
#include "record.h"
#include "teardown.h"
#include "version.h"
#include "vlans.h"

#include "run.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"

struct run_opts {
	struct ts_attach_opts attach;
	const char *metrics;      /* NULL: --no-metrics */
	const char *textfile;
	const char *policy;
	const char *log;          /* NULL or "-": stdout */
	const char *records;      /* connection records, JSON lines: FILE, or "-" for stdout */
	const char *ipfix;        /* connection records to an IPFIX collector */
	__u64 ipfix_templates;    /* seconds between template refreshes (UDP) */
	const char *pcap_dir;     /* the frames events carry, as pcap files */
	__u64 pcap_mb;            /* one pcap file's size before the next */
	__u64 pcap_keep;          /* pcap files kept per interface */
	int keep_attached;
	__u64 sweep_interval;     /* seconds */
	const char *netns;
};

static const struct ts_opt run_options[] = {
	TS_OPT("metrics", 0, TS_OPT_STR, struct run_opts, metrics, .arg = "ADDR:PORT",
	       .help = "serve Prometheus metrics at http://ADDR:PORT/metrics ([::1]:PORT for "
		       "IPv6, :PORT for 127.0.0.1)"),
	TS_OPT("no-metrics", 0, TS_OPT_UNSET, struct run_opts, metrics,
	       .help = "no metrics endpoint"),
	TS_OPT("textfile", 0, TS_OPT_STR, struct run_opts, textfile, .arg = "DIR",
	       .help = "write DIR/tcpsentry.prom (atomically) after each sweep, for "
		       "node_exporter's textfile collector"),
	TS_OPT("policy", 0, TS_OPT_STR, struct run_opts, policy, .arg = "FILE",
	       .help = "put this policy file in force on each IFACE (checked before anything "
		       "is attached); SIGHUP reloads it"),
	TS_OPT("log", 0, TS_OPT_STR, struct run_opts, log, .arg = "FILE",
	       .help = "append the events (JSON lines) to FILE instead of stdout; SIGHUP "
		       "reopens it"),
	TS_OPT("records", 0, TS_OPT_STR, struct run_opts, records, .arg = "FILE",
	       .help = "append a connection record (JSON line) to FILE as each connection ends; "
		       "'-': stdout (journald); SIGHUP reopens FILE"),
	TS_OPT("ipfix", 0, TS_OPT_STR, struct run_opts, ipfix, .arg = "URL",
	       .help = "export the connection records over IPFIX to udp://HOST:PORT (or "
		       "HOST:PORT), tcp://HOST:PORT or file:PATH"),
	TS_OPT("ipfix-templates", 0, TS_OPT_U64, struct run_opts, ipfix_templates, .arg = "SEC",
	       .min = 1, .max = 3600, .unit = "s",
	       .help = "over UDP, send the IPFIX templates again this often"),
	TS_OPT("pcap-dir", 0, TS_OPT_STR, struct run_opts, pcap_dir, .arg = "DIR",
	       .help = "write the frames of anomaly and drop events to DIR/IFACE-TIME.pcap"),
	TS_OPT("pcap-size", 0, TS_OPT_U64, struct run_opts, pcap_mb, .arg = "MB", .min = 1,
	       .max = 65536, .unit = "MB", .help = "start a new pcap file past this size"),
	TS_OPT("pcap-keep", 0, TS_OPT_U64, struct run_opts, pcap_keep, .arg = "N", .min = 1,
	       .max = 100000, .help = "pcap files kept per interface (the oldest go)"),
	TS_OPT("keep-attached", 0, TS_OPT_FLAG, struct run_opts, keep_attached,
	       .help = "leave the datapath attached on exit"),
	TS_OPT("sweep-interval", 0, TS_OPT_U64, struct run_opts, sweep_interval, .arg = "SEC",
	       .min = 1, .max = 3600, .unit = "s",
	       .help = "how often the flow tables are swept and the gauges refreshed"),
	TS_OPT("netns", 'n', TS_OPT_STR, struct run_opts, netns, .arg = "NAME",
	       .help = "run in network namespace NAME (as tcpsentry -n NAME run)"),
	TS_OPT_GROUP_OF(ts_attach_options, struct run_opts, attach),
	{}
};

static const struct ts_cmd run_cmd = {
	.name = "run",
	.args = "IFACE...",
	.min_args = 1,
	.max_args = MAX_IFACES,
	.doc = "Foreground daemon: attach to each IFACE (or adopt its existing attachment),\n"
	       "log events as JSON lines, sweep the flow tables, serve Prometheus metrics;\n"
	       "export connection records (--records, --ipfix) and event frames (--pcap-dir).\n"
	       "SIGINT, SIGTERM: exit; detach every IFACE unless --keep-attached.\n"
	       "SIGHUP: reload --policy FILE, reopen --log FILE and --records FILE.\n"
	       "kill -9 leaves the datapath running; a new `run` adopts it.\n"
	       "The attach options apply only to interfaces not attached yet, and to one\n"
	       "attached again after it was deleted and created again (checked every sweep).\n",
	.opts = run_options,
	.defaults = &(const struct run_opts){ .attach = TS_ATTACH_DEFAULTS,
					      .metrics = DEFAULT_LISTEN, .sweep_interval = 1,
					      .pcap_mb = 64, .pcap_keep = 10,
					      .ipfix_templates = TS_IPFIX_TEMPLATE_S },
	.size = sizeof(struct run_opts),
};

static volatile sig_atomic_t stop_sig, hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		stop_sig = sig;
}


/* read and check the policy file, the threshold options over its values;
 * 0, or -1 with the file's problem in msg */
static int load_policy(const struct daemon *d, struct ts_policy_doc *doc, char *msg, size_t n)
{
	if (ts_policy_doc_load(d->policy, doc, msg, n))
		return -1;
	ts_attach_thresholds(d->attach, &doc->pol);
	return 0;
}

/* the policy file in force on one attachment; on any error the policy in
 * force stays */
static int put_policy(const struct ts_att *a, const char *file, const struct ts_policy_doc *doc)
{
	int e = ts_policy_put_doc(a, doc);

	if (e) {
		err("cannot put %s in force on %s: %s\n", file, a->ifname, strerror(-e));
		return -1;
	}
	ts_policy_print_put(stderr, a->ifname, file, doc);
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct iface *f = ctx;

	if (len < sizeof(struct ts_event))
		return 0;
	ts_print_event_json(f->d->log.f, f->att.ifname, data);
	if (f->pcap && ts_pcap_write(f->pcap, data, len, f->d->wall_off) < 0)
		warn("%s: cannot write a pcap record: %s\n", f->att.ifname, strerror(errno));
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct iface *f = ctx;
	struct daemon *d = f->d;
	struct ts_rec_view v = { .iface = f->att.ifname, .rec = data, .wall_off_ns = d->wall_off };

	if (len < sizeof(struct ts_record))
		return 0;
	if (d->records.f) {
		ts_print_record_json(d->records.f, &v);
		/* line-buffered: the line's write has failed by now, if it did */
		if (ferror(d->records.f)) {
			__atomic_add_fetch(&d->json_lost, 1, __ATOMIC_RELAXED);
			clearerr(d->records.f);
		}
	}
	if (d->ipfix)
		ts_ipfix_add(d->ipfix, v.rec, f->att.meta.ifindex, d->wall_off);
	return 0;
}

/* what the exporter could not send since the last word about it */
static void ipfix_report(struct daemon *d)
{
	static unsigned long long told;
	struct ts_ipfix_stats st;

	if (!d->ipfix)
		return;
	ts_ipfix_stats(d->ipfix, &st);
	if (st.dropped > told)
		warn("ipfix: %llu records not exported (%s); retrying\n", st.dropped - told,
		     st.last_error);
	told = st.dropped;
	__atomic_store_n(&d->ipfix_lost, st.dropped, __ATOMIC_RELAXED);
}

/* the exposition, rendered now: counters read fresh, gauges from the
 * sweeper's last pass. Runs on the HTTP thread and on this one. */
static char *render(void *ctx, size_t *len)
{
	struct daemon *d = ctx;
	struct ts_msnap_if snaps[MAX_IFACES];
	struct ts_export_loss ex = {
		.json = d->records.path != NULL, .ipfix = d->ipfix != NULL,
		.json_lost = __atomic_load_n(&d->json_lost, __ATOMIC_RELAXED),
		.ipfix_lost = __atomic_load_n(&d->ipfix_lost, __ATOMIC_RELAXED),
	};
	struct ts_msnap s = { .version = TS_VERSION, .n = d->n, .ifs = snaps, .export = &ex };
	char *buf = NULL;
	FILE *out;
	int i, bad = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->n; i++) {
		if (ts_msnap_read(&d->ifs[i].att, d->ifs[i].have_tally ? &d->ifs[i].tally : NULL,
				  &snaps[i]))
			bad = 1;
		snaps[i].attached = !d->ifs[i].stale;
	}
	pthread_mutex_unlock(&d->lock);
	if (bad)
		return NULL;
	out = open_memstream(&buf, len);
	if (!out)
		return NULL;
	ts_metrics_render(out, &s);
	if (fclose(out)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * DIR/tcpsentry.prom, replaced whole: write a temporary file in DIR, fsync
 * it, rename it over the old one (node_exporter never reads half). DIR is
 * shared with node_exporter and maybe others: the temporary file has a
 * name of its own each time and is made anew (mkostemp: O_EXCL, so never
 * an existing file or a symlink planted there; O_NOFOLLOW besides), and
 * the .prom is readable by node_exporter, another user, whatever the
 * daemon's umask (the shipped unit's is 0077).
 */
static int write_textfile(struct daemon *d)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	size_t len = 0;
	char *body = render(d, &len);
	FILE *f = NULL;
	int ok = 0, fd = -1;

	snprintf(tmp, sizeof(tmp), "%s/.tcpsentry.prom.XXXXXX", d->textfile_dir);
	snprintf(dst, sizeof(dst), "%s/tcpsentry.prom", d->textfile_dir);
	if (body)
		fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && (fchmod(fd, 0644) || !(f = fdopen(fd, "w")))) {
		close(fd);
		unlink(tmp);
	}
	if (f) {
		ok = fwrite(body, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
		ok = (fclose(f) == 0) && ok;
		ok = ok && rename(tmp, dst) == 0;
		if (!ok)
			unlink(tmp);
	}
	if (!ok && !d->textfile_warned)
		warn("cannot write %s: %s (retrying every sweep)\n", dst,
		     body ? strerror(errno) : "cannot read the counters");
	d->textfile_warned = !ok;
	free(body);
	return ok ? 0 : -1;
}

/* --vlans auto: the `vlans` map follows the interface's VLAN devices as
 * they come and go (a frame tagged for a new one is tracked from the next
 * sweep on; one for a device removed is the kernel's to drop) */
static void refresh_vlans(struct iface *f)
{
	char now[96];
	int e;

	if (f->att.vlans_fd < 0 || f->att.meta.flags & (TS_META_VLANS_ANY | TS_META_VLANS_LIST))
		return;
	e = ts_vlans_refresh(f->att.vlans_fd, (int)f->att.meta.ifindex, now, sizeof(now));
	if (e > 0)
		notice("%s: VLAN IDs tracked now: %s\n", f->att.ifname, now);
	else if (e < 0 && !f->vlans_warned)
		warn("%s: cannot list its VLAN devices: %s (the VLAN IDs tracked stay as "
		     "they were)\n", f->att.ifname, strerror(-e));
	f->vlans_warned = e < 0;
}

/* the kernel's IPv4 fragment distance (net.ipv4.ipfrag_max_dist) as the
 * operator sets it: the datapath starts a datagram over where the kernel
 * does (bpf/track.h, frag_too_far) */
static void refresh_frag_dist(struct iface *f)
{
	long dist = 0;
	int e = ts_frag_dist_sync(&f->att, &dist);

	if (e > 0)
		notice("%s: net.ipv4.ipfrag_max_dist is %ld: followed\n", f->att.ifname, dist);
	else if (e < 0 && e != -ENOENT && !f->frag_warned)
		warn("%s: cannot follow net.ipv4.ipfrag_max_dist: %s (the distance in "
		     "force stays)\n", f->att.ifname, strerror(-e));
	f->frag_warned = e < 0;
}

static void sweep_all(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		struct iface *f = &d->ifs[i];
		struct ts_tally t;

		if (access(f->att.dir, F_OK)) {
			if (!f->gone_warned)
				warn("%s: its pins are gone (detached by someone else?): its "
				     "numbers no longer change\n", f->att.ifname);
			f->gone_warned = 1;
		}
		ts_gc_sweep_tally(&f->att, &t);
		refresh_vlans(f);
		refresh_frag_dist(f);
		pthread_mutex_lock(&d->lock);
		f->tally = t;
		f->have_tally = 1;
		pthread_mutex_unlock(&d->lock);
	}
	if (d->textfile_dir)
		write_textfile(d);
}

static void reload(struct daemon *d)
{
	struct ts_policy_doc doc;
	char msg[512];
	int i;

	if (ts_logfile_is_file(&d->log) && ts_logfile_open(&d->log) == 0)
		notice("SIGHUP: reopened %s\n", d->log.path);
	if (ts_logfile_is_file(&d->records) && ts_logfile_open(&d->records) == 0)
		notice("SIGHUP: reopened %s\n", d->records.path);
	if (!d->policy) {
		notice("SIGHUP: no --policy to reload\n");
		return;
	}
	if (load_policy(d, &doc, msg, sizeof(msg))) {
		warn("SIGHUP: %s: the policy in force is unchanged\n", msg);
		return;
	}
	for (i = 0; i < d->n; i++) {
		if (put_policy(&d->ifs[i].att, d->policy, &doc))
			warn("SIGHUP: %s: the policy in force is unchanged\n", d->ifs[i].att.ifname);
	}
	/* the file as it is now: what an interface attached again gets */
	ts_policy_doc_free(d->doc);
	*d->doc = doc;
}

/* attach ifname (with the policy file, if any, in force from the first
 * packet), or adopt the attachment its pins describe (and put the policy
 * file in force there); 0 or -1 */
static int attach_or_adopt(struct iface *f, const char *name, const struct ts_attach_opts *o,
			   const char *file, const struct ts_policy_doc *doc)
{
	struct ts_attached made;
	char why[192];
	int e = ts_att_open(&f->att, name);

	/* pins that no longer tell the truth are never adopted: attach
	 * replaces them (and says so) */
	if (!e && ts_att_check(&f->att, why, sizeof(why)) != TS_ATT_LIVE) {
		ts_att_close(&f->att);
		e = -ENOENT;
	}
	if (e == -ENOENT || e == -ENODATA) {
		if (ts_attach(name, o, file ? doc : NULL, &made))
			return -1;
		ts_print_attached(stderr, name, &made);
		f->attached_here = 1;
		e = ts_att_open(&f->att, name);
	} else if (!e) {
		notice("%s: adopting the running attachment (pins in %s)\n", name, f->att.dir);
	}
	if (e) {
		if (e != -EACCES) /* a pin root refused is said already */
			err("cannot open the pins of %s: %s\n", name, strerror(-e));
		return -1;
	}
	f->opened = 1;
	if (f->attached_here) {
		notice("%s: attached (pins in %s)\n", name, f->att.dir);
		if (file)
			ts_policy_print_put(stderr, name, file, doc);
		return 0;
	}
	return file ? put_policy(&f->att, file, doc) : 0;
}

/* --records, --ipfix: open the outputs (before anything is attached) */
static int open_exports(struct daemon *d, const struct run_opts *o)
{
	char msg[256];

	d->wall_off = ts_wall_offset_ns();
	d->want_records = o->records || o->ipfix;
	if (o->records) {
		d->records.path = o->records;
		if (ts_logfile_open(&d->records))
			return -1;
	}
	if (o->ipfix) {
		d->ipfix = ts_ipfix_open(o->ipfix, (unsigned)o->ipfix_templates, msg, sizeof(msg));
		if (!d->ipfix) {
			err("--ipfix %s: %s\n", o->ipfix, msg);
			return -1;
		}
		notice("exporting connection records over IPFIX to %s\n", o->ipfix);
	}
	return 0;
}

int run_iface_rings(struct iface *f, const struct ts_att *a, struct ring_buffer **rb,
		    int switch_records, const char **what)
{
	int e;

	*what = "events";
	e = ts_ringbuf_add(rb, a->events_fd, on_event, f);
	if (e || !f->d->want_records)
		return e;
	*what = "connection records";
	if (switch_records) {
		e = ts_records_switch(a, 1);
		if (e < 0)
			return e;
		f->records_were = e;
	}
	return ts_ringbuf_add(rb, a->records_fd, on_record, f);
}

/* one interface's rings, its records switched on, its pcap files */
static int iface_exports(struct iface *f, const struct run_opts *o, struct ring_buffer **rb)
{
	char msg[PATH_MAX + 160];
	const char *what;
	int e = run_iface_rings(f, &f->att, rb, 1, &what);

	if (e) {
		err("cannot read the %s of %s: %s%s\n", what, f->att.ifname, strerror(-e),
		    e == -ENOENT ? " (attached by an older tcpsentry)" : "");
		return -1;
	}
	if (o->pcap_dir) {
		f->pcap = ts_pcap_open_dir(o->pcap_dir, f->att.ifname, o->pcap_mb << 20,
					   (unsigned)o->pcap_keep, msg, sizeof(msg));
		if (!f->pcap) {
			err("--pcap-dir: %s\n", msg);
			return -1;
		}
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static struct daemon d; /* big: off the stack */
	struct ts_policy_doc doc = {};
	struct sockaddr_storage listen_at;
	struct ring_buffer *rb = NULL;
	struct ts_http *http = NULL;
	struct sigaction sa = {};
	struct run_opts o;
	__u64 next;
	int first, i, j, rc;
	struct stat st;
	char where[80], msg[512], host[256];

	rc = ts_opts_parse(&run_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	for (i = first; i < argc; i++) {
		if (!ts_valid_ifname(argv[i]))
			return ts_usage_error("run", "bad interface name '%s'", argv[i]);
		for (j = first; j < i; j++)
			if (!strcmp(argv[i], argv[j]))
				return ts_usage_error("run", "interface '%s' given twice", argv[i]);
	}
	if (o.metrics && ts_parse_listen(o.metrics, &listen_at))
		return ts_usage_error("run", "bad --metrics '%s' (ADDR:PORT, [V6ADDR]:PORT or :PORT)",
				      o.metrics);
	if (o.textfile && (stat(o.textfile, &st) || !S_ISDIR(st.st_mode))) {
		err("--textfile %s: not a directory\n", o.textfile);
		return 1;
	}
	if (o.ipfix && ts_ipfix_parse(o.ipfix, &j, host, sizeof(host), msg, sizeof(msg)))
		return ts_usage_error("run", "bad --ipfix '%s' (udp://HOST:PORT, tcp://HOST:PORT, "
				      "HOST:PORT or file:PATH)", o.ipfix);
	if (o.pcap_dir && (stat(o.pcap_dir, &st) || !S_ISDIR(st.st_mode))) {
		err("--pcap-dir %s: not a directory\n", o.pcap_dir);
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.log.path = o.log;
	d.policy = o.policy;
	d.attach = &o.attach;
	d.doc = &doc;
	d.textfile_dir = o.textfile;
	/* a bad file is refused before anything is attached */
	if (d.policy && load_policy(&d, &doc, msg, sizeof(msg))) {
		fprintf(stderr, "tcpsentry run: %s\n", msg);
		return 2;
	}
	rc = 1;
	pthread_mutex_init(&d.lock, NULL);
	if (o.netns && ts_netns_enter(o.netns))
		goto out;
	if (ts_logfile_open(&d.log) || open_exports(&d, &o))
		goto out;

	/* signals first: a SIGTERM during attach still detaches cleanly */
	sa.sa_handler = on_signal; /* no SA_RESTART: the poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; first + i < argc; i++) {
		struct iface *f = &d.ifs[i];

		f->d = &d;
		d.n = i + 1;
		if (attach_or_adopt(f, argv[first + i], &o.attach, d.policy, &doc) ||
		    iface_exports(f, &o, &rb))
			goto out;
	}
	sweep_all(&d); /* gauges before the first scrape */
	if (o.metrics) {
		http = ts_http_start(&listen_at, render, &d);
		if (!http)
			goto out;
		ts_fmt_sockaddr(where, sizeof(where), &listen_at);
		notice("serving metrics at http://%s/metrics\n", where);
	}
	notice("tcpsentry %s running on %d interface%s (ns%llu)\n", TS_VERSION, d.n,
	       d.n == 1 ? "" : "s", (unsigned long long)ts_netns_id());

	next = ts_now_ns() + o.sweep_interval * 1000000000ull;
	while (!stop_sig) {
		int r = ring_buffer__poll(rb, 200);

		if (r < 0 && r != -EINTR) {
			err("reading events: %s\n", strerror(-r));
			goto out;
		}
		if (d.ipfix && r > 0)
			ts_ipfix_flush(d.ipfix);
		if (hup) {
			hup = 0;
			reload(&d);
		}
		if (ts_now_ns() >= next) {
			__u64 t0 = ts_now_ns(), took;

			run_follow_attachments(&d, &rb);
			sweep_all(&d);
			d.wall_off = ts_wall_offset_ns(); /* the wall clock may have been set */
			if (d.ipfix) {
				ts_ipfix_tick(d.ipfix, ts_now_ns());
				ipfix_report(&d);
			}
			/* a pass over a huge table takes a while (0.6-1.5 s for 10^6
			 * entries, see `make bench`): then rest 4x that long, so
			 * the sweeper stays under a fifth of a CPU */
			took = ts_now_ns() - t0;
			next = ts_now_ns() + (o.sweep_interval * 1000000000ull > 4 * took ?
					      o.sweep_interval * 1000000000ull : 4 * took);
		}
	}
	notice("%s: stopping\n", strsignal(stop_sig));
	rc = 0;
out:
	ts_http_stop(http); /* no scrape runs past here */
	for (i = 0; i < d.n; i++) {
		struct iface *f = &d.ifs[i];
		const char *name = argv[first + i];
		int detach = (f->attached_here || (!rc && f->opened)) && !o.keep_attached;

		/* left attached: records stay as they were before this run */
		if (f->opened && d.want_records && !detach && !f->records_were)
			ts_records_switch(&f->att, 0);
		if (f->opened)
			ts_att_close(&f->att);
		/* on a failed start, undo only what this run attached; detach
		 * records the connections still open, into the ring read below */
		if (detach) {
			struct ts_detached gone;

			if (ts_detach(name, &gone))
				rc = 1;
			else
				notice("detached from %s\n", name);
		}
		ts_pcap_close(f->pcap);
	}
	if (rb)
		ring_buffer__consume(rb); /* what is left, logged before we go */
	ring_buffer__free(rb);
	if (d.ipfix) {
		ts_ipfix_flush(d.ipfix);
		ipfix_report(&d);
		ts_ipfix_close(d.ipfix);
	}
	ts_logfile_close(&d.records);
	ts_logfile_close(&d.log);
	fflush(stdout);
	ts_policy_doc_free(&doc);
	pthread_mutex_destroy(&d.lock);
	return rc;
}
