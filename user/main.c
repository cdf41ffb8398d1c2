// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tcpsentry: subcommand dispatch and the global options, nothing else. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "log.h"
#include "netns.h"
#include "version.h"

static const char usage_text[] =
	"usage: tcpsentry [-n NETNS] [-v] COMMAND [ARGS]\n"
	"\n"
	"Track and guard TCP on an interface from XDP (ingress) and tc (egress).\n"
	"\n"
	"commands:\n"
	"  attach IFACE [--xdp-mode native|generic|auto] [--no-egress]\n"
	"               [--max-flows N] [--max-embryonic N] [--policy FILE]\n"
	"  detach IFACE\n"
	"  status [-j] [--iface IF]      what is attached here, modes, table fill\n"
	"  conns  [-j] [--state S] [--port P] [--iface IF]\n"
	"  events [-j] [--iface IF] [--count N] [--timeout SEC]\n"
	"  stats  [-j] [--iface IF]      counters\n"
	"  policy show [-j] | set KEY=VALUE... | load FILE            [--iface IF]\n"
	"         allow add|del CIDR | deny add|del CIDR [--ttl S] | bans [-j] | keys\n"
	"                                enforcement and detection, at run time\n"
	"  run IFACE... [--metrics ADDR:PORT] [--textfile DIR] [--policy FILE]\n"
	"               [--log FILE] [--keep-attached]\n"
	"                                foreground daemon: attach or adopt, log events,\n"
	"                                sweep the tables, serve Prometheus metrics\n"
	"  top [--iface IF]              live view of states, rates, floods, anomalies\n"
	"\n"
	"global options:\n"
	"  -n, --netns NAME   act in network namespace NAME (/run/netns/NAME), like ip -n\n"
	"  -v, --verbose      more messages (twice: libbpf debug and verifier log)\n"
	"  -h, --help         this text;  tcpsentry COMMAND --help for one command\n"
	"  -V, --version\n"
	"\n"
	"exit status: 0 ok, 1 runtime failure, 2 usage error\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "attach", cmd_attach }, { "detach", cmd_detach }, { "status", cmd_status },
	{ "conns", cmd_conns },   { "events", cmd_events }, { "stats", cmd_stats },
	{ "policy", cmd_policy }, { "run", cmd_run },       { "top", cmd_top },
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *netns = NULL;
	size_t i;
	int c;

	/* '+': stop at the command; its options are its own */
	while ((c = getopt_long(argc, argv, "+n:vhV", lo, NULL)) != -1) {
		switch (c) {
		case 'n': netns = optarg; break;
		case 'v': ts_log_level++; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("tcpsentry %s\n", TS_VERSION); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	ts_log_setup_libbpf();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		if (netns && ts_netns_enter(netns))
			return 1;
		argc -= optind;
		argv += optind;
		optind = 0; /* reset getopt for the command */
		return commands[i].fn(argc, argv);
	}
	fprintf(stderr, "tcpsentry: unknown command '%s'\n", argv[optind]);
	fputs(usage_text, stderr);
	return 2;
}
