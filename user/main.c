// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tcpsentry: the global options and the dispatch to a command, nothing else. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "log.h"
#include "netns.h"
#include "opts.h"
#include "version.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "attach", cmd_attach }, { "detach", cmd_detach }, { "status", cmd_status },
	{ "conns", cmd_conns },   { "events", cmd_events }, { "stats", cmd_stats },
	{ "policy", cmd_policy }, { "run", cmd_run },       { "top", cmd_top },
	{ "records", cmd_records },
};

struct global_opts {
	const char *netns;
	int verbose;
	int version;
};

static const struct ts_opt global_options[] = {
	TS_OPT("netns", 'n', TS_OPT_STR, struct global_opts, netns, .arg = "NAME",
	       .help = "act in network namespace NAME (/run/netns/NAME), like ip -n"),
	TS_OPT("verbose", 'v', TS_OPT_COUNT, struct global_opts, verbose,
	       .help = "more messages (twice: libbpf debug and the verifier log)"),
	TS_OPT("version", 'V', TS_OPT_FLAG, struct global_opts, version, .help = "the version"),
	{}
};

static const struct global_opts global_defaults;

static const struct ts_cmd global_cmd = {
	.args = "COMMAND [ARGS]",
	.max_args = -1,
	.doc = "Track and guard TCP on an interface from XDP (ingress) and tc (egress).\n"
	       "\n"
	       "commands:\n"
	       "  attach IFACE [--xdp-mode native|generic|auto] [--no-egress]\n"
	       "               [--max-flows N] [--max-embryonic N] [--policy FILE]\n"
	       "               [--checksum auto|full|partial]\n"
	       "  detach IFACE\n"
	       "  status [-j] [--iface IF]      what is attached here, modes, table fill\n"
	       "  conns  [-j] [--state S] [--port P] [--iface IF]\n"
	       "  events [-j] [--iface IF] [--count N] [--timeout SEC] [--pcap FILE]\n"
	       "  records [-j] [--iface IF] [--follow [--count N] [--timeout SEC]]\n"
	       "                                one record per connection that ended\n"
	       "  stats  [-j] [--iface IF]      counters\n"
	       "  policy show [-j] | set KEY=VALUE... | load FILE            [--iface IF]\n"
	       "         allow add|del CIDR | deny add|del CIDR [--ttl S] | bans [-j] | keys\n"
	       "                                enforcement and detection, at run time\n"
	       "  run IFACE... [--metrics ADDR:PORT] [--textfile DIR] [--policy FILE]\n"
	       "               [--log FILE] [--records FILE] [--ipfix URL] [--pcap-dir DIR]\n"
	       "               [--keep-attached]\n"
	       "                                foreground daemon: attach or adopt, log events,\n"
	       "                                sweep the tables, serve Prometheus metrics,\n"
	       "                                export connection records and event frames\n"
	       "  top [--iface IF]              live view of states, rates, floods, anomalies\n"
	       "tcpsentry COMMAND --help: one command; man tcpsentry: everything.\n"
	       "exit status: 0 ok, 1 runtime failure, 2 usage error\n",
	.opts = global_options,
	.defaults = &global_defaults,
	.size = sizeof(struct global_opts),
	.in_order = 1,
};

int main(int argc, char **argv)
{
	struct global_opts o;
	size_t i;
	int first, rc;

	rc = ts_opts_parse(&global_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	if (o.version) {
		printf("tcpsentry %s\n", TS_VERSION);
		return 0;
	}
	if (first >= argc) {
		ts_opts_help(stderr, &global_cmd);
		return 2;
	}
	ts_log_level += o.verbose;
	ts_log_setup_libbpf();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name))
			continue;
		if (o.netns && ts_netns_enter(o.netns))
			return 1;
		return commands[i].fn(argc - first, argv + first);
	}
	fprintf(stderr, "tcpsentry: unknown command '%s'\n", argv[first]);
	ts_opts_help(stderr, &global_cmd);
	return 2;
}
