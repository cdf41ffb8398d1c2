// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `conns`: list tracked connections, sweeping expired entries on the way. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <tcpsentry/fsm.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "mapwalk.h"
#include "opts.h"
#include "pins.h"
#include "worst.h"

struct conns_opts {
	struct ts_read_opts read;
	int state;      /* -1: any */
	__u16 port;     /* 0: any, host order */
	int sort;       /* enum ts_rank_by; -1: the tables' order */
	__u64 top;      /* 0: all */
	int prefixes;   /* the remote prefixes ranked, not the connections */
};

static int parse_state(const char *s, void *field)
{
	return (*(int *)field = ts_state_parse(s)) < 0 ? -1 : 0;
}

static int parse_port(const char *s, void *field)
{
	return ts_parse_port(s, field);
}

static const struct ts_opt conns_options[] = {
	TS_OPT_GROUP_OF(ts_read_options, struct conns_opts, read),
	TS_OPT("state", 's', TS_OPT_PARSE, struct conns_opts, state, .arg = "S",
	       .parse = parse_state, .hint = "a TCP state, e.g. ESTABLISHED or TIME_WAIT",
	       .help = "connections with an endpoint in state S; ss spellings (ESTAB, "
		       "SYN-RECV) too"),
	TS_OPT("port", 'p', TS_OPT_PARSE, struct conns_opts, port, .arg = "P",
	       .parse = parse_port, .hint = "1 to 65535",
	       .help = "connections with port P on either side"),
	TS_OPT("sort", 0, TS_OPT_ENUM, struct conns_opts, sort, .names = ts_rank_names,
	       .help = "worst first: rtt (the network leg's smoothed RTT), retrans "
		       "(retransmissions both ways) or stall (zero-window time)"),
	TS_OPT("top", 0, TS_OPT_U64, struct conns_opts, top, .arg = "N", .min = 1,
	       .max = ~0ull, .help = "only the first N (with --sort: the N worst)"),
	TS_OPT("prefixes", 0, TS_OPT_FLAG, struct conns_opts, prefixes,
	       .help = "with --sort: the remote endpoints' /24 (IPv4) and /64 (IPv6) "
		       "prefixes, summed, worst first"),
	{}
};

static const struct ts_cmd conns_cmd = {
	.name = "conns",
	.doc = "The tracked connections, with both endpoints' states (idle timeouts\n"
	       "applied), Zeek conn_state and history, packets each way.\n",
	.opts = conns_options,
	.defaults = &(const struct conns_opts){ .state = -1, .sort = -1 },
	.size = sizeof(struct conns_opts),
};

/* one table's walk */
struct listing {
	const struct conns_opts *o;
	const char *iface;
	__u64 now;
	int header;     /* the text header is out */
	__u64 shown;    /* connections printed (--top) */
	struct ts_ranking *rank; /* --sort: collected here, printed at the end */
	int oom;
};

static int match(const struct conns_opts *o, const struct ts_flow_key *k,
		 const struct ts_flow *f, __u64 now)
{
	if (o->state >= 0 && ts_effective_state(f, TS_CLIENT, now, ts_timeouts) != o->state &&
	    ts_effective_state(f, TS_SERVER, now, ts_timeouts) != o->state)
		return 0;
	if (o->port && ntohs(k->port[0]) != o->port && ntohs(k->port[1]) != o->port)
		return 0;
	return 1;
}

static int list_one(int fd, const void *key, void *val, void *ctx)
{
	const struct ts_flow *f = val;
	struct listing *l = ctx;
	struct ts_conn_view v = {
		.iface = l->iface, .key = key, .flow = f, .now_ns = l->now,
		.timeouts = ts_timeouts,
	};

	(void)fd;
	if ((f->flags & TS_F_PROMOTED) || ts_flow_expired(f, l->now, ts_timeouts))
		return 0; /* stale copy or swept below */
	if (!match(l->o, key, f, l->now))
		return 0;
	if (l->rank) {
		if (ts_ranking_add(l->rank, l->iface, key, f))
			l->oom = 1;
		return 0;
	}
	if (l->o->top && l->shown >= l->o->top)
		return 0;
	l->shown++;
	if (l->o->read.json) {
		ts_print_conn_json(stdout, &v);
		return 0;
	}
	if (!l->header) {
		ts_print_conn_header(stdout);
		l->header = 1;
	}
	ts_print_conn_text(stdout, &v);
	return 0;
}

static void print_prefixes(const struct conns_opts *o, const struct ts_ranking *r)
{
	size_t n = o->top && o->top < 1000000 ? (size_t)o->top : r->n, i;
	struct ts_prefix_rank *p = calloc(n ? n : 1, sizeof(*p));
	char a[64];

	if (!p)
		return;
	n = ts_rank_prefixes(r, p, n);
	if (!o->read.json && n)
		printf("%-44s %-6s %-9s %-8s %s\n", "PREFIX", "CONNS", "SRTT_us", "RETR",
		       "ZWIN_ms");
	for (i = 0; i < n; i++) {
		ts_fmt_addr(a, sizeof(a), p[i].addr);
		if (o->read.json)
			printf("{\"prefix\":\"%s/%d\",\"by\":\"%s\",\"connections\":%llu,"
			       "\"max_srtt_us\":%u,\"retrans\":%llu,\"zero_window_ms\":%llu}\n",
			       a, p[i].plen, ts_rank_names[r->by], (unsigned long long)p[i].conns,
			       p[i].max_srtt_us, (unsigned long long)p[i].retrans,
			       (unsigned long long)p[i].stall_ms);
		else
			printf("%-44s %-6llu %-9u %-8llu %llu\n",
			       (snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%d", p[i].plen), a),
			       (unsigned long long)p[i].conns, p[i].max_srtt_us,
			       (unsigned long long)p[i].retrans, (unsigned long long)p[i].stall_ms);
	}
	free(p);
}

static void print_ranked(const struct conns_opts *o, struct ts_ranking *r)
{
	size_t i;

	ts_ranking_sort(r);
	if (o->prefixes) {
		print_prefixes(o, r);
		return;
	}
	for (i = 0; i < r->n && (!o->top || i < o->top); i++) {
		struct ts_conn_view v = {
			.iface = r->v[i].iface, .key = &r->v[i].key, .flow = &r->v[i].flow,
			.now_ns = r->now_ns, .timeouts = ts_timeouts,
		};

		if (o->read.json) {
			ts_print_conn_json(stdout, &v);
			continue;
		}
		if (!i)
			ts_print_conn_header(stdout);
		ts_print_conn_text(stdout, &v);
	}
}

int cmd_conns(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct ts_ranking rank = {};
	struct listing l = {};
	struct conns_opts o;
	int first, n, i, rc;

	rc = ts_opts_parse(&conns_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	if (o.prefixes && o.sort < 0) {
		fprintf(stderr, "tcpsentry conns: --prefixes needs --sort rtt|retrans|stall\n");
		return 2;
	}
	n = ts_att_open_all(o.read.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	l.o = &o;
	if (o.sort >= 0) {
		rank.by = o.sort;
		rank.now_ns = ts_now_ns();
		l.rank = &rank;
	}
	for (i = 0; i < n; i++) {
		ts_gc_sweep(&atts[i]);
		l.iface = atts[i].ifname;
		l.now = ts_now_ns();
		ts_map_each(atts[i].flows_fd, list_one, &l);
		ts_map_each(atts[i].emb_fd, list_one, &l);
		if (atts[i].pick_fd >= 0)
			ts_map_each(atts[i].pick_fd, list_one, &l);
	}
	if (l.rank && !l.oom)
		print_ranked(&o, &rank);
	ts_ranking_free(&rank);
	ts_att_close_all(atts, n);
	if (l.oom) {
		fprintf(stderr, "tcpsentry conns: out of memory ranking the connections\n");
		return 1;
	}
	return 0;
}
