// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `conns`: list tracked connections, sweeping expired entries on the way. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <tcpsentry/fsm.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "mapwalk.h"
#include "opts.h"
#include "pins.h"

struct conns_opts {
	struct ts_read_opts read;
	int state;      /* -1: any */
	__u16 port;     /* 0: any, host order */
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
	{}
};

static const struct ts_cmd conns_cmd = {
	.name = "conns",
	.doc = "The tracked connections, with both endpoints' states (idle timeouts\n"
	       "applied), Zeek conn_state and history, packets each way.\n",
	.opts = conns_options,
	.defaults = &(const struct conns_opts){ .state = -1 },
	.size = sizeof(struct conns_opts),
};

/* one table's walk */
struct listing {
	const struct conns_opts *o;
	const char *iface;
	__u64 now;
	int header;     /* the text header is out */
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

int cmd_conns(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct listing l = {};
	struct conns_opts o;
	int first, n, i, rc;

	rc = ts_opts_parse(&conns_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	n = ts_att_open_all(o.read.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	l.o = &o;
	for (i = 0; i < n; i++) {
		ts_gc_sweep(&atts[i]);
		l.iface = atts[i].ifname;
		l.now = ts_now_ns();
		ts_map_each(atts[i].flows_fd, list_one, &l);
		ts_map_each(atts[i].emb_fd, list_one, &l);
		if (atts[i].pick_fd >= 0)
			ts_map_each(atts[i].pick_fd, list_one, &l);
	}
	ts_att_close_all(atts, n);
	return 0;
}
