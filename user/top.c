// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `top`: a live view, redrawn every second, in 80x24 with plain ANSI
 * escapes (cursor home, clear to end of line): nothing to link, and it
 * works in any terminal an ssh session gives. The terminal goes to
 * non-canonical, no-echo mode so one `q` quits; it is restored on every
 * way out (q, Ctrl-C, SIGTERM, SIGHUP).
 *
 * What it reads each second: the counters (per-CPU arrays), the SYN-flood
 * slots, and one count-only walk of the flow tables for the per-state
 * numbers (`top` is not the sweeper and removes nothing). Rates are the
 * difference of two readings.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/hs_hist.h>
#include <tcpsentry/sketch.h>
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "log.h"
#include "mapwalk.h"
#include "netns.h"
#include "opts.h"
#include "pins.h"
#include "readout.h"
#include "worst.h"

#define MAX_IFACES 16
#define TOP_PORTS 4
#define TOP_SOURCES 5

struct top_opts {
	const char *iface;
	__u64 count;    /* frames; 0: until q */
	const char *netns;
};

static const struct ts_opt top_options[] = {
	TS_OPT("iface", 'i', TS_OPT_STR, struct top_opts, iface, .arg = "IF",
	       .help = "only this interface"),
	TS_OPT("count", 'c', TS_OPT_U64, struct top_opts, count, .arg = "N", .min = 1,
	       .max = 1000000, .help = "quit after N frames"),
	TS_OPT("netns", 'n', TS_OPT_STR, struct top_opts, netns, .arg = "NAME",
	       .help = "in network namespace NAME (as tcpsentry -n NAME top)"),
	{}
};

static const struct ts_cmd top_cmd = {
	.name = "top",
	.doc = "Live view, redrawn every second: connections per state, new connections/s,\n"
	       "SYN/s per busiest port, SYN floods, anomalies and drops per kind, top SYN\n"
	       "sources. q quits; --count N quits after N frames.\n",
	.opts = top_options,
	.defaults = &(const struct top_opts){},
	.size = sizeof(struct top_opts),
};

static volatile sig_atomic_t top_stop;

static void on_top_signal(int sig)
{
	top_stop = sig;
}

/* what one refresh reads, summed over the interfaces shown */
struct view {
	__u64 states[TS_STATE_MAX];
	__u64 flows, emb, cap_flows, cap_emb;
	__u64 opened, syn, pkts_in, pkts_out, events_lost;
	__u64 anomalies[TS_A_MAX];
	int have_drops;
	__u64 dropped[TS_D_MAX], would_drop[TS_D_MAX];
	struct port_rate {
		char iface[16];
		unsigned port;
		__u32 rate, complete_pct, sources, active;
		__u64 start_ns;
	} ports[TOP_PORTS], floods[TOP_PORTS];
	int nports, nfloods, host_flood;
	__u32 host_rate;
	struct top_src {
		__u32 addr[4];
		__u64 count;
	} tops[TOP_SOURCES];
	int ntops;
	__u64 at_ns;
	/* flow quality: the network leg's RTT histogram, the worst
	 * connections (by SRTT, by retransmissions), the worst remote prefixes
	 * (by retransmissions, from the connections that have any) */
	__u64 rtt[TS_HS_BUCKETS];
	struct worst_conn {
		char desc[160];
		__u64 score;
	} worst_rtt, worst_retr;
	struct ts_prefix_rank pfx[2];
	int npfx;
};

/* one flows entry, for the worst connections and prefixes */
struct worst_walk {
	struct view *v;
	struct ts_ranking *rank;
	const char *iface;
};

static void worst_note(struct worst_conn *w, const struct ts_ranked *e)
{
	char c[64], s[64];
	unsigned ci = e->flow.client & 1;

	if (e->score <= w->score)
		return;
	w->score = e->score;
	ts_fmt_endpoint(c, sizeof(c), e->key.addr[ci], e->key.port[ci]);
	ts_fmt_endpoint(s, sizeof(s), e->key.addr[!ci], e->key.port[!ci]);
	snprintf(w->desc, sizeof(w->desc), "%s %s>%s", e->iface, c, s);
}

static int worst_one(int fd, const void *key, void *val, void *ctx)
{
	struct worst_walk *w = ctx;
	const struct ts_flow *f = val;
	struct ts_ranked e = { .iface = w->iface, .key = *(const struct ts_flow_key *)key };

	(void)fd;
	if (f->flags & TS_F_PROMOTED)
		return 0;
	e.flow = *f;
	e.score = ts_rank_score(f, TS_RANK_RTT, w->rank->now_ns);
	worst_note(&w->v->worst_rtt, &e);
	e.score = ts_rank_score(f, TS_RANK_RETRANS, w->rank->now_ns);
	worst_note(&w->v->worst_retr, &e);
	if (e.score)
		ts_ranking_add(w->rank, w->iface, key, f);
	return 0;
}

/* keep the TOP_SOURCES largest counts, largest first */
static void add_source(struct view *v, const __u32 addr[4], __u64 count)
{
	int i, j;

	for (i = 0; i < v->ntops && v->tops[i].count >= count; i++)
		;
	if (i >= TOP_SOURCES)
		return;
	for (j = (v->ntops < TOP_SOURCES ? v->ntops : TOP_SOURCES - 1); j > i; j--)
		v->tops[j] = v->tops[j - 1];
	memcpy(v->tops[i].addr, addr, 16);
	v->tops[i].count = count;
	if (v->ntops < TOP_SOURCES)
		v->ntops++;
}

/*
 * The heavy-keeper slots of syn_top (include/tcpsentry/sketch.h): a source
 * always hashes to the same slot, so per slot the CPUs' holders of one
 * address are summed, and the largest sums kept.
 */
static void read_sources(int fd, struct view *v)
{
	int ncpu = libbpf_num_possible_cpus(), c, d;
	struct ts_top_src *per;
	__u32 slot;

	if (fd < 0 || ncpu <= 0)
		return;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return;
	for (slot = 0; slot < TS_TOP_SLOTS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, per))
			continue;
		for (c = 0; c < ncpu; c++) {
			__u64 sum = 0;

			if (!per[c].count)
				continue;
			for (d = 0; d < c; d++) /* counted with an earlier CPU's */
				if (per[d].count && !memcmp(per[d].addr, per[c].addr, 16))
					break;
			if (d < c)
				continue;
			for (d = c; d < ncpu; d++)
				if (!memcmp(per[d].addr, per[c].addr, 16))
					sum += per[d].count;
			add_source(v, per[c].addr, sum);
		}
	}
	free(per);
}

static void add_port(struct port_rate *arr, int *n, const struct port_rate *p)
{
	int i, j;

	for (i = 0; i < *n && arr[i].rate >= p->rate; i++)
		;
	if (i >= TOP_PORTS)
		return;
	for (j = (*n < TOP_PORTS ? *n : TOP_PORTS - 1); j > i; j--)
		arr[j] = arr[j - 1];
	arr[i] = *p;
	if (*n < TOP_PORTS)
		(*n)++;
}

/* SYN rate per destination-port slot: the flood detector's last evaluated
 * 500 ms window, if it is recent (a slot no SYN has touched for a second
 * holds an old rate) */
static void read_ports(const struct ts_att *a, struct view *v, __u64 epoch)
{
	struct ts_flood floods[TS_SYN_SLOTS];
	__u32 slot;

	if (ts_read_floods(a, floods))
		return;
	for (slot = 0; slot < TS_SYN_SLOTS; slot++) {
		const struct ts_flood *f = &floods[slot];
		struct port_rate p = {};

		if (!f->epoch || (f->epoch + 1 < epoch && !f->active))
			continue;
		memcpy(p.iface, a->ifname, sizeof(p.iface));
		p.iface[sizeof(p.iface) - 1] = '\0';
		p.port = slot == TS_SYN_HOST ? 0 : f->port;
		p.rate = f->epoch + 1 < epoch ? 0 : f->rate;
		p.complete_pct = f->complete_pct;
		p.sources = f->sources;
		p.active = (__u32)f->active;
		p.start_ns = f->start_ns;
		if (slot == TS_SYN_HOST) {
			v->host_rate += p.rate;
			v->host_flood |= !!f->active;
			if (f->active)
				add_port(v->floods, &v->nfloods, &p);
			continue;
		}
		if (p.rate)
			add_port(v->ports, &v->nports, &p);
		if (f->active)
			add_port(v->floods, &v->nfloods, &p);
	}
}

static int read_view(const struct ts_att *atts, int n, struct view *v)
{
	__u64 now = ts_now_ns(), e = ts_epoch(now);
	struct ts_ranking rank = { .by = TS_RANK_RETRANS, .now_ns = now };
	int i, k;

	memset(v, 0, sizeof(*v));
	v->at_ns = now;
	for (i = 0; i < n; i++) {
		const struct ts_att *a = &atts[i];
		struct ts_readout r;
		struct ts_tally t;

		ts_tally(a, &t);
		if (ts_read_counts(a, &r))
			return -1;
		for (k = 0; k < TS_STATE_MAX; k++)
			v->states[k] += t.states[k];
		v->flows += t.flows;
		v->emb += t.embryonic;
		v->cap_flows += a->meta.max_flows;
		v->cap_emb += a->meta.max_embryonic;
		v->opened += r.c[TS_C_PROMOTE] + r.c[TS_C_PICKUP];
		v->syn += r.c[TS_C_SYN];
		v->pkts_in += r.c[TS_C_PKTS_IN];
		v->pkts_out += r.c[TS_C_PKTS_OUT];
		v->events_lost += r.c[TS_C_EVENTS_LOST];
		for (k = 0; k < TS_A_MAX; k++)
			v->anomalies[k] += r.anomalies[k];
		if (r.have_drops) {
			v->have_drops = 1;
			for (k = 0; k < TS_D_MAX; k++) {
				v->dropped[k] += r.drops.dropped[k];
				v->would_drop[k] += r.drops.would_drop[k];
			}
		}
		read_sources(a->top_fd, v);
		read_ports(a, v, e);
		for (k = 0; k < TS_HS_BUCKETS; k++)
			v->rtt[k] += r.q.rtt_bucket[k];
		{
			struct worst_walk w = { .v = v, .rank = &rank, .iface = a->ifname };

			ts_map_each(a->flows_fd, worst_one, &w);
		}
	}
	v->npfx = (int)ts_rank_prefixes(&rank, v->pfx, 2);
	ts_ranking_free(&rank);
	return 0;
}

/* "p50 0.12 ms p99 3.4 ms" of the RTT samples since the last frame (since
 * the attach on the first, or in a second without samples) */
static void rtt_line(const struct view *v, const struct view *p, char *buf, size_t n)
{
	__u64 d[TS_HS_BUCKETS], any = 0;
	const __u64 *h = v->rtt;
	const char *span = "since attach";
	int k;

	for (k = 0; p && k < TS_HS_BUCKETS; k++) {
		d[k] = v->rtt[k] >= p->rtt[k] ? v->rtt[k] - p->rtt[k] : 0;
		any += d[k];
	}
	if (any) {
		h = d;
		span = "last second";
	}
	if (ts_hist_quantile(h, TS_HS_BUCKETS, 0.5) < 0)
		snprintf(buf, n, "RTT (network leg): no samples");
	else
		snprintf(buf, n, "RTT (network leg, %s): p50 %.3f ms  p99 %.3f ms", span,
			 ts_hist_quantile(h, TS_HS_BUCKETS, 0.5) * 1e3,
			 ts_hist_quantile(h, TS_HS_BUCKETS, 0.99) * 1e3);
}

static double rate(__u64 now, __u64 then, double dt)
{
	return dt > 0 && now >= then ? (double)(now - then) / dt : 0;
}

/* one line: text, then clear to the end of the line */
#define L(...) do { printf(__VA_ARGS__); fputs("\033[K\n", stdout); lines++; } while (0)

static void draw(const struct view *v, const struct view *p, const char *what)
{
	static const int order[] = { TS_SYN_SENT, TS_SYN_RCVD, TS_ESTABLISHED, TS_FIN_WAIT_1,
				     TS_FIN_WAIT_2, TS_CLOSE_WAIT, TS_CLOSING, TS_LAST_ACK,
				     TS_TIME_WAIT, TS_CLOSED, TS_LISTEN };
	double dt = p ? (double)(v->at_ns - p->at_ns) / 1e9 : 0;
	const char *right[11];
	char rbuf[11][48], clock[16];
	__u64 total = 0;
	time_t t = time(NULL);
	int i, k, lines = 0, shown;

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&t));
	for (i = 0; i < TS_STATE_MAX; i++)
		total += v->states[i];
	memset(rbuf, 0, sizeof(rbuf));
	snprintf(rbuf[0], 48, "new connections/s %10.1f", p ? rate(v->opened, p->opened, dt) : 0);
	snprintf(rbuf[1], 48, "SYN/s             %10.1f", p ? rate(v->syn, p->syn, dt) : 0);
	snprintf(rbuf[2], 48, "packets in/s      %10.1f", p ? rate(v->pkts_in, p->pkts_in, dt) : 0);
	snprintf(rbuf[3], 48, "packets out/s     %10.1f", p ? rate(v->pkts_out, p->pkts_out, dt) : 0);
	snprintf(rbuf[4], 48, "opened (total)    %10llu", (unsigned long long)v->opened);
	snprintf(rbuf[5], 48, "events lost       %10llu", (unsigned long long)v->events_lost);
	snprintf(rbuf[6], 48, "flows        %7llu/%-8llu", (unsigned long long)v->flows,
		 (unsigned long long)v->cap_flows);
	snprintf(rbuf[7], 48, "embryonic    %7llu/%-8llu", (unsigned long long)v->emb,
		 (unsigned long long)v->cap_emb);
	snprintf(rbuf[8], 48, "host-wide SYN/s   %10u", v->host_rate);
	for (i = 0; i < 11; i++)
		right[i] = rbuf[i];

	fputs("\033[H", stdout);
	L("\033[1mtcpsentry top\033[0m  %-.40s  %s   q: quit", what, clock);
	L("%-36s  %s", "connections by state", "rates and tables");
	for (i = 0; i < 11; i++)
		L("  %-14s %10llu          %s", ts_state_name((unsigned)order[i]),
		  (unsigned long long)v->states[order[i]], right[i]);
	L("  %-14s %10llu", "total", (unsigned long long)total);
	/* busiest ports and floods: 4 lines */
	printf("SYN/s by port:");
	for (i = 0; i < v->nports; i++)
		printf("  %u: %u%s", v->ports[i].port, v->ports[i].rate, v->ports[i].active ? "!" : "");
	if (!v->nports)
		printf("  none");
	L("%s", "");
	if (!v->nfloods)
		L("SYN floods: none");
	for (i = 0, shown = 0; i < v->nfloods && shown < 2; i++, shown++) {
		const struct port_rate *f = &v->floods[i];
		__u64 secs = f->start_ns && v->at_ns > f->start_ns ?
				     (v->at_ns - f->start_ns) / 1000000000ull : 0;

		if (f->port)
			L("SYN FLOOD %s port %u: %u SYN/s, %u%% complete, ~%u sources, %llus",
			  f->iface, f->port, f->rate, f->complete_pct, f->sources,
			  (unsigned long long)secs);
		else
			L("SYN FLOOD %s host-wide: %u SYN/s, %u%% complete, ~%u sources, %llus",
			  f->iface, f->rate, f->complete_pct, f->sources, (unsigned long long)secs);
	}
	/* anomalies (total, and per second) on as few lines as fit */
	printf("anomalies:");
	for (k = 0, shown = 0; k < TS_A_MAX; k++) {
		if (!ts_anomaly_name((unsigned)k) || !v->anomalies[k])
			continue;
		if (shown && shown % 3 == 0) {
			L("%s", "");
			printf("          ");
		}
		printf(" %s %llu (%.0f/s)", ts_anomaly_name((unsigned)k),
		       (unsigned long long)v->anomalies[k],
		       p ? rate(v->anomalies[k], p->anomalies[k], dt) : 0);
		shown++;
	}
	if (!shown)
		printf(" none");
	L("%s", "");
	printf("drops:");
	if (!v->have_drops)
		printf(" (this datapath has no policy drops)");
	for (k = 0, shown = 0; v->have_drops && k < TS_D_MAX; k++) {
		if (!ts_drop_reason_name((unsigned)k) || (!v->dropped[k] && !v->would_drop[k]))
			continue;
		if (shown == 4) {
			printf(" ...");
			break;
		}
		printf(" %s %llu", ts_drop_reason_name((unsigned)k),
		       (unsigned long long)(v->dropped[k] ? v->dropped[k] : v->would_drop[k]));
		if (!v->dropped[k])
			printf(" (would)");
		shown++;
	}
	if (v->have_drops && !shown)
		printf(" none");
	L("%s", "");
	printf("top SYN sources:");
	for (k = 0; k < v->ntops && k < 3; k++) {
		const struct top_src *t = &v->tops[k];
		char a[64];
		__u64 before = 0;
		int j;

		ts_fmt_addr(a, sizeof(a), (const __u8 *)t->addr);
		for (j = 0; p && j < p->ntops; j++)
			if (!memcmp(p->tops[j].addr, t->addr, 16))
				before = p->tops[j].count;
		printf(" %s %llu", a, (unsigned long long)t->count);
		if (before && t->count >= before)
			printf(" (%.0f/s)", rate(t->count, before, dt));
	}
	if (!v->ntops)
		printf(" none");
	L("%s", "");
	/* flow quality: 3 lines */
	{
		char rl[96];

		rtt_line(v, p, rl, sizeof(rl));
		L("%s", rl);
	}
	if (v->worst_rtt.score)
		printf("worst SRTT %llu us %s", (unsigned long long)v->worst_rtt.score,
		       v->worst_rtt.desc);
	if (v->worst_retr.score)
		printf("%sretrans %llu %s", v->worst_rtt.score ? "; " : "",
		       (unsigned long long)v->worst_retr.score, v->worst_retr.desc);
	L("%s", v->worst_rtt.score || v->worst_retr.score ? "" : "worst connections: none");
	printf("worst prefixes (retrans):");
	for (k = 0; k < v->npfx; k++) {
		char a[64];

		ts_fmt_addr(a, sizeof(a), v->pfx[k].addr);
		printf(" %s/%d %llu in %llu conns", a, v->pfx[k].plen,
		       (unsigned long long)v->pfx[k].retrans, (unsigned long long)v->pfx[k].conns);
	}
	L("%s", v->npfx ? "" : " none");
	fputs("\033[J", stdout); /* clear what an earlier, longer frame left */
	fflush(stdout);
	(void)lines;
}

int cmd_top(int argc, char **argv)
{
	static struct view views[2];
	struct ts_att atts[MAX_IFACES];
	struct termios saved, raw;
	struct sigaction sa = {};
	struct top_opts o;
	char what[64];
	int tty_in, tty_out, n, first, rc, cur = 0, frames = 0;

	rc = ts_opts_parse(&top_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	if (o.netns && ts_netns_enter(o.netns))
		return 1;
	n = ts_att_open_all(o.iface, atts, MAX_IFACES);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	rc = 0;
	if (n == 1)
		snprintf(what, sizeof(what), "%s", atts[0].ifname);
	else
		snprintf(what, sizeof(what), "%d interfaces", n);

	sa.sa_handler = on_top_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	tty_in = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	tty_out = isatty(STDOUT_FILENO);
	if (tty_in) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C works */
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (tty_out)
		fputs("\033[?25l\033[2J", stdout); /* hide the cursor, clear */

	while (!top_stop) {
		struct view *v = &views[cur], *p = frames ? &views[cur ^ 1] : NULL;
		__u64 deadline;

		if (read_view(atts, n, v)) {
			err("cannot read the counters: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		draw(v, p, what);
		frames++;
		cur ^= 1;
		if (o.count && (__u64)frames >= o.count)
			break;
		deadline = ts_now_ns() + 1000000000ull;
		while (!top_stop && ts_now_ns() < deadline) {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			int ms = (int)((deadline - ts_now_ns()) / 1000000ull) + 1;
			char ch;

			if (!tty_in) {
				usleep((useconds_t)ms * 1000);
				continue;
			}
			if (poll(&pfd, 1, ms) > 0 && read(STDIN_FILENO, &ch, 1) == 1 &&
			    (ch == 'q' || ch == 'Q'))
				top_stop = -1;
		}
	}
	if (tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (tty_out)
		fputs("\033[?25h\n", stdout);
	fflush(stdout);
	ts_att_close_all(atts, n);
	return rc;
}
