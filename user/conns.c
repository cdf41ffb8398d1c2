// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `conns`: list tracked connections, sweeping expired entries on the way. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <tcpsentry/fsm.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "log.h"
#include "pins.h"

struct conns_opts {
	int json;
	int state;      /* -1: any */
	__u16 port;     /* 0: any, host order */
	const char *iface;
};

static int match(const struct conns_opts *o, const struct ts_flow_key *k,
		 const struct ts_flow *f, __u64 now, const __u32 *timeouts)
{
	if (o->state >= 0 && ts_effective_state(f, TS_CLIENT, now, timeouts) != o->state &&
	    ts_effective_state(f, TS_SERVER, now, timeouts) != o->state)
		return 0;
	if (o->port && ntohs(k->port[0]) != o->port && ntohs(k->port[1]) != o->port)
		return 0;
	return 1;
}

static void list_table(const struct conns_opts *o, const char *iface, int fd, __u64 now,
		       int *header)
{
	static const __u32 timeouts[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;
	struct ts_flow_key key, next;
	struct ts_flow f;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &f))
			continue; /* gone meanwhile */
		if ((f.flags & TS_F_PROMOTED) || ts_flow_expired(&f, now, timeouts))
			continue; /* stale copy or swept below */
		if (!match(o, &key, &f, now, timeouts))
			continue;
		struct ts_conn_view v = {
			.iface = iface, .key = &key, .flow = &f, .now_ns = now,
			.timeouts = timeouts,
		};
		if (o->json) {
			ts_print_conn_json(stdout, &v);
		} else {
			if (!*header) {
				ts_print_conn_header(stdout);
				*header = 1;
			}
			ts_print_conn_text(stdout, &v);
		}
	}
}

int cmd_conns(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct conns_opts o = { .state = -1 };
	char names[64][16];
	int c, n, i, header = 0;

	while ((c = getopt_long(argc, argv, "js:p:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = 1; break;
		case 's':
			o.state = ts_state_parse(optarg);
			if (o.state < 0)
				return ts_usage_error("conns", "unknown state '%s' (e.g. ESTABLISHED, TIME_WAIT)", optarg);
			break;
		case 'p':
			if (ts_parse_port(optarg, &o.port))
				return ts_usage_error("conns", "bad port '%s' (1-65535)", optarg);
			break;
		case 'i': o.iface = optarg; break;
		case 'h':
			printf("usage: tcpsentry conns [-j] [--state S] [--port P] [--iface IF]\n");
			return 0;
		default: return ts_usage_error("conns", NULL);
		}
	}
	if (optind < argc)
		return ts_usage_error("conns", "unexpected argument '%s'", argv[optind]);
	n = ts_select_ifaces(o.iface, names, 64);
	if (n < 0)
		return 1;
	for (i = 0; i < n; i++) {
		struct ts_att a;
		__u64 now;
		int e = ts_att_open(&a, names[i]);

		if (e) {
			err("cannot open the pins of %s: %s\n", names[i], strerror(-e));
			return 1;
		}
		ts_gc_sweep(&a);
		now = ts_now_ns();
		list_table(&o, names[i], a.flows_fd, now, &header);
		list_table(&o, names[i], a.emb_fd, now, &header);
		ts_att_close(&a);
	}
	return 0;
}
