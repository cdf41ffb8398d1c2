// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `run`: the foreground daemon. For each interface: attach, or adopt the
 * attachment its pins describe (a daemon restarted after kill -9 finds the
 * datapath still running and its counters where they were). Then, until
 * SIGINT or SIGTERM: log events as JSON lines, sweep the tables every
 * --sweep-interval seconds (recording the per-state counts of that pass for
 * the gauges), serve /metrics and rewrite the --textfile. SIGHUP reloads
 * the policy file and reopens the log. On exit, detach unless
 * --keep-attached.
 *
 * Threads: this one (events, sweeps, signals) and libmicrohttpd's, which
 * renders scrapes. They share the sweeper's tallies under `lock`; the
 * counters a scrape reads are per-CPU arrays, read fresh each time.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "attach.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "netns.h"
#include "pins.h"
#include "policy_file.h"
#include "version.h"

#define MAX_IFACES 16
/* the daemon's own lifecycle (attach, adopt, listen, reload, stop): shown
 * at the default level, on stderr (journald) */
#define notice(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define DEFAULT_LISTEN "127.0.0.1:9464"

static volatile sig_atomic_t stop_sig, hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		stop_sig = sig;
}

struct iface {
	struct ts_msrc src;
	int opened;            /* src is open */
	int attached_here;     /* 0: adopted from the pins */
	struct ts_tally tally; /* the sweeper's last pass (under d->lock) */
	int have_tally;
	int gone_warned;       /* the pins vanished (someone detached it) */
	struct daemon *d;
};

struct daemon {
	struct iface ifs[MAX_IFACES];
	int n;
	pthread_mutex_t lock;
	FILE *log;
	const char *log_path;  /* NULL: stdout */
	const char *policy;
	const char *textfile_dir;
	int textfile_warned;
};

static const char usage_run[] =
	"usage: tcpsentry [-n NETNS] run IFACE... [--metrics ADDR:PORT | --no-metrics]\n"
	"                 [--textfile DIR] [--policy FILE] [--log FILE] [--keep-attached]\n"
	"                 [--sweep-interval SEC] [--xdp-mode native|generic|auto]\n"
	"                 [--no-egress] [--max-flows N] [--max-embryonic N]\n"
	"\n"
	"Foreground daemon: attach to each IFACE (or adopt its existing attachment),\n"
	"log events as JSON lines (stdout, or --log FILE), sweep the flow tables\n"
	"every --sweep-interval seconds (default 1), serve Prometheus metrics at\n"
	"http://ADDR:PORT/metrics (default " DEFAULT_LISTEN "; [::1]:PORT for IPv6),\n"
	"and with --textfile write DIR/tcpsentry.prom (atomically) after each sweep.\n"
	"\n"
	"SIGINT, SIGTERM: exit; detach every IFACE unless --keep-attached.\n"
	"SIGHUP: reload --policy FILE, reopen --log FILE.\n"
	"kill -9 leaves the datapath running; a new `run` adopts it.\n"
	"The attach options apply only to interfaces not attached yet.\n";

/* ts_attach, ts_detach and the policy loader report on stdout, which is
 * the event log here: send their words to stderr instead */
static int quietly(int (*fn)(const void *), const void *arg)
{
	int saved, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	rc = fn(arg);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	return rc;
}

struct policy_call {
	const char *file, *ifname;
};

static int do_policy(const void *arg)
{
	const struct policy_call *c = arg;

	return ts_policy_load_file(c->file, c->ifname);
}

/*
 * Apply a policy file to one attachment: `tcpsentry policy load`'s own
 * function (user/policy.c), which parses the file whole (any error rejects
 * it, with FILE:LINE) and swaps settings and both lists in at once under
 * the attachment's policy lock; on any error the policy in force stays.
 */
static int apply_policy(const struct ts_att *a, const char *file)
{
	struct policy_call c = { .file = file, .ifname = a->ifname };

	return quietly(do_policy, &c) ? -1 : 0;
}

static int do_attach(const void *o) { return ts_attach(o); }
static int do_detach(const void *name) { return ts_detach(name); }

static int on_event(void *ctx, void *data, size_t len)
{
	struct iface *f = ctx;

	if (len >= sizeof(struct ts_event))
		ts_print_event_json(f->d->log, f->src.att.ifname, data);
	return 0;
}

static int open_log(struct daemon *d)
{
	FILE *f;

	if (!d->log_path) {
		d->log = stdout;
		setvbuf(stdout, NULL, _IOLBF, 0);
		return 0;
	}
	f = fopen(d->log_path, "ae");
	if (!f) {
		err("cannot open the log %s: %s\n", d->log_path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (d->log && d->log != stdout)
		fclose(d->log);
	d->log = f;
	return 0;
}

/* the exposition, rendered now: counters read fresh, gauges from the
 * sweeper's last pass. Runs on the HTTP thread and on this one. */
static char *render(void *ctx, size_t *len)
{
	struct daemon *d = ctx;
	struct ts_msnap_if snaps[MAX_IFACES];
	struct ts_msnap s = { .version = TS_VERSION, .n = d->n, .ifs = snaps };
	char *buf = NULL;
	FILE *out;
	int i, bad = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->n; i++)
		if (ts_msnap_read(&d->ifs[i].src, d->ifs[i].have_tally ? &d->ifs[i].tally : NULL,
				  &snaps[i]))
			bad = 1;
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

/* DIR/tcpsentry.prom, replaced whole: write a temporary file in DIR,
 * fsync it, rename it over the old one (node_exporter never reads half) */
static int write_textfile(struct daemon *d)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	size_t len = 0;
	char *body = render(d, &len);
	FILE *f = NULL;
	int ok = 0;

	snprintf(tmp, sizeof(tmp), "%s/.tcpsentry.prom.tmp", d->textfile_dir);
	snprintf(dst, sizeof(dst), "%s/tcpsentry.prom", d->textfile_dir);
	if (body)
		f = fopen(tmp, "we");
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

static void sweep_all(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		struct iface *f = &d->ifs[i];
		struct ts_tally t;

		if (access(f->src.att.dir, F_OK)) {
			if (!f->gone_warned)
				warn("%s: its pins are gone (detached by someone else?): its "
				     "numbers no longer change\n", f->src.att.ifname);
			f->gone_warned = 1;
		}
		ts_gc_sweep_tally(&f->src.att, &t);
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
	int i;

	if (d->log_path && open_log(d) == 0)
		notice("SIGHUP: reopened %s\n", d->log_path);
	if (!d->policy) {
		notice("SIGHUP: no --policy to reload\n");
		return;
	}
	for (i = 0; i < d->n; i++) {
		if (apply_policy(&d->ifs[i].src.att, d->policy))
			warn("SIGHUP: %s: the policy in force is unchanged\n", d->ifs[i].src.att.ifname);
	}
}

static int parse_mode(const char *s, int *mode)
{
	if (!strcmp(s, "native"))
		*mode = TS_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = TS_XDP_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = TS_XDP_AUTO;
	else
		return -1;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "metrics", required_argument, NULL, 'm' },
		{ "no-metrics", no_argument, NULL, 'M' },
		{ "textfile", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "keep-attached", no_argument, NULL, 'k' },
		{ "sweep-interval", required_argument, NULL, 's' },
		{ "xdp-mode", required_argument, NULL, 'x' },
		{ "no-egress", no_argument, NULL, 'E' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "max-embryonic", required_argument, NULL, 'B' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ts_attach_opts ao = {
		.max_flows = TS_DEFAULT_MAX_FLOWS,
		.max_embryonic = TS_DEFAULT_MAX_EMBRYONIC,
	};
	static struct daemon d; /* big: off the stack */
	struct sockaddr_storage listen_at;
	const char *metrics = DEFAULT_LISTEN, *netns = NULL;
	struct ring_buffer *rb = NULL;
	struct ts_http *http = NULL;
	struct sigaction sa = {};
	__u64 interval = 1, next;
	int keep = 0, c, i, rc = 1;
	struct stat st;
	char where[80];

	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.lock, NULL);
	while ((c = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': metrics = optarg; break;
		case 'M': metrics = NULL; break;
		case 't': d.textfile_dir = optarg; break;
		case 'p': d.policy = optarg; break;
		case 'l': d.log_path = strcmp(optarg, "-") ? optarg : NULL; break;
		case 'k': keep = 1; break;
		case 's':
			if (ts_parse_u64(optarg, 1, 3600, &interval))
				return ts_usage_error("run", "bad --sweep-interval '%s' (1 to 3600 s)", optarg);
			break;
		case 'x':
			if (parse_mode(optarg, &ao.xdp_mode))
				return ts_usage_error("run", "bad --xdp-mode '%s' (native, generic or auto)", optarg);
			break;
		case 'E': ao.no_egress = 1; break;
		case 'F':
			if (ts_parse_u64(optarg, 1024, 1ull << 27, &ao.max_flows))
				return ts_usage_error("run", "bad --max-flows '%s' (1024 to 134217728)", optarg);
			break;
		case 'B':
			if (ts_parse_u64(optarg, 1024, 1ull << 27, &ao.max_embryonic))
				return ts_usage_error("run", "bad --max-embryonic '%s' (1024 to 134217728)", optarg);
			break;
		case 'n': netns = optarg; break;
		case 'h': fputs(usage_run, stdout); return 0;
		default: return ts_usage_error("run", NULL);
		}
	}
	if (optind >= argc)
		return ts_usage_error("run", "missing IFACE");
	if (argc - optind > MAX_IFACES)
		return ts_usage_error("run", "at most %d interfaces", MAX_IFACES);
	for (i = optind; i < argc; i++) {
		int j;

		if (!ts_valid_ifname(argv[i]))
			return ts_usage_error("run", "bad interface name '%s'", argv[i]);
		for (j = optind; j < i; j++)
			if (!strcmp(argv[i], argv[j]))
				return ts_usage_error("run", "interface '%s' given twice", argv[i]);
	}
	if (metrics && ts_parse_listen(metrics, &listen_at))
		return ts_usage_error("run", "bad --metrics '%s' (ADDR:PORT, [V6ADDR]:PORT or :PORT)",
				      metrics);
	if (d.textfile_dir && (stat(d.textfile_dir, &st) || !S_ISDIR(st.st_mode))) {
		err("--textfile %s: not a directory\n", d.textfile_dir);
		return 1;
	}
	if (d.policy) {
		/* a bad file is refused before anything is attached */
		struct ts_policy_doc doc;
		char msg[512];

		if (ts_policy_doc_load(d.policy, &doc, msg, sizeof(msg))) {
			fprintf(stderr, "tcpsentry run: %s\n", msg);
			return 2;
		}
		ts_policy_doc_free(&doc);
	}
	if (netns && ts_netns_enter(netns))
		return 1;
	if (open_log(&d))
		return 1;

	/* signals first: a SIGTERM during attach still detaches cleanly */
	sa.sa_handler = on_signal; /* no SA_RESTART: the poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; optind + i < argc; i++) {
		struct iface *f = &d.ifs[i];
		const char *name = argv[optind + i];
		int e;

		f->d = &d;
		d.n = i + 1;
		e = ts_msrc_open(&f->src, name);
		if (e == -ENOENT) {
			ao.ifname = name;
			if (quietly(do_attach, &ao))
				goto out;
			f->attached_here = 1;
			e = ts_msrc_open(&f->src, name);
		} else if (!e) {
			notice("%s: adopting the running attachment (pins in %s)\n", name,
			     f->src.att.dir);
		}
		if (e) {
			err("cannot open the pins of %s: %s\n", name, strerror(-e));
			goto out;
		}
		f->opened = 1;
		if (f->attached_here)
			notice("%s: attached (pins in %s)\n", name, f->src.att.dir);
		if (d.policy && apply_policy(&f->src.att, d.policy))
			goto out;
		if (f->src.att.events_fd < 0) {
			err("%s: no events ring buffer in its pins\n", name);
			goto out;
		}
		if (!rb)
			rb = ring_buffer__new(f->src.att.events_fd, on_event, f, NULL);
		else if (ring_buffer__add(rb, f->src.att.events_fd, on_event, f))
			rb = NULL;
		if (!rb) {
			err("cannot read the ring buffer of %s: %s\n", name, strerror(errno));
			goto out;
		}
	}
	sweep_all(&d); /* gauges before the first scrape */
	if (metrics) {
		http = ts_http_start(&listen_at, render, &d);
		if (!http)
			goto out;
		ts_fmt_sockaddr(where, sizeof(where), &listen_at);
		notice("serving metrics at http://%s/metrics\n", where);
	}
	notice("tcpsentry %s running on %d interface%s (ns%llu)\n", TS_VERSION, d.n,
	     d.n == 1 ? "" : "s", (unsigned long long)ts_netns_id());

	next = ts_now_ns() + interval * 1000000000ull;
	while (!stop_sig) {
		int r = ring_buffer__poll(rb, 200);

		if (r < 0 && r != -EINTR) {
			err("reading events: %s\n", strerror(-r));
			goto out;
		}
		if (hup) {
			hup = 0;
			reload(&d);
		}
		if (ts_now_ns() >= next) {
			__u64 t0 = ts_now_ns(), took;

			sweep_all(&d);
			/* a pass over a huge table takes a while (0.6-1.5 s for 10^6
			 * entries, see `make bench`): then rest 4x that long, so
			 * the sweeper stays under a fifth of a CPU */
			took = ts_now_ns() - t0;
			next = ts_now_ns() + (interval * 1000000000ull > 4 * took ?
					      interval * 1000000000ull : 4 * took);
		}
	}
	notice("%s: stopping\n", strsignal(stop_sig));
	rc = 0;
out:
	ts_http_stop(http); /* no scrape runs past here */
	if (rb)
		ring_buffer__consume(rb); /* what is left, logged before we go */
	ring_buffer__free(rb);
	for (i = 0; i < d.n; i++) {
		struct iface *f = &d.ifs[i];
		const char *name = argv[optind + i];

		if (f->opened)
			ts_msrc_close(&f->src);
		/* on a failed start, undo only what this run attached */
		if ((f->attached_here || (!rc && f->opened)) && !keep) {
			if (quietly(do_detach, name))
				rc = 1;
		}
	}
	if (d.log && d.log != stdout)
		fclose(d.log);
	fflush(stdout);
	pthread_mutex_destroy(&d.lock);
	return rc;
}
