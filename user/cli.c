// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the subcommands share (usage errors, choosing attachments) and the
 * attach/detach commands' argument handling. */
#include <errno.h>
#include <getopt.h>
#include <tcpsentry/sketch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "args.h"
#include "attach.h"
#include "cmds.h"
#include "log.h"
#include "pins.h"
#include "policy_file.h"

int ts_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "tcpsentry %s: ", cmd);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "try 'tcpsentry %s --help'\n", cmd);
	return 2;
}

int ts_select_ifaces(const char *iface, char names[][16], int max)
{
	struct ts_att a;
	int e;

	if (!iface)
		return ts_att_list(names, max);
	if (!ts_valid_ifname(iface)) {
		err("bad interface name '%s'\n", iface);
		return -1;
	}
	e = ts_att_open(&a, iface);
	if (e) {
		err("%s: %s\n", iface, e == -ENOENT ? "not attached in this network namespace" :
		    strerror(-e));
		return -1;
	}
	ts_att_close(&a);
	snprintf(names[0], 16, "%s", iface);
	return 1;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "no-egress", no_argument, NULL, 'E' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "max-embryonic", required_argument, NULL, 'M' },
		{ "syn-flood-rate", required_argument, NULL, 'R' },
		{ "syn-flood-complete-pct", required_argument, NULL, 'P' },
		{ "scan-ports", required_argument, NULL, 'S' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ts_attach_opts o = {
		.max_flows = TS_DEFAULT_MAX_FLOWS,
		.max_embryonic = TS_DEFAULT_MAX_EMBRYONIC,
	};
	const char *policy = NULL;
	__u64 v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				o.xdp_mode = TS_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				o.xdp_mode = TS_XDP_GENERIC;
			else if (!strcmp(optarg, "auto"))
				o.xdp_mode = TS_XDP_AUTO;
			else
				return ts_usage_error("attach", "bad --xdp-mode '%s' (native, generic or auto)", optarg);
			break;
		case 'E': o.no_egress = 1; break;
		case 'F':
			if (ts_parse_u64(optarg, 1024, 1ull << 27, &o.max_flows))
				return ts_usage_error("attach", "bad --max-flows '%s' (1024 to 134217728)", optarg);
			break;
		case 'M':
			if (ts_parse_u64(optarg, 1024, 1ull << 27, &o.max_embryonic))
				return ts_usage_error("attach", "bad --max-embryonic '%s' (1024 to 134217728)", optarg);
			break;
		case 'R':
			if (ts_parse_u64(optarg, 10, 100000000, &v))
				return ts_usage_error("attach", "bad --syn-flood-rate '%s' (10 to 100000000 SYN/s)", optarg);
			o.syn_flood_rate = (__u32)v;
			break;
		case 'P':
			if (ts_parse_u64(optarg, 1, 100, &v))
				return ts_usage_error("attach", "bad --syn-flood-complete-pct '%s' (1 to 100)", optarg);
			o.syn_flood_complete_pct = (__u32)v;
			break;
		case 'S':
			if (ts_parse_u64(optarg, 2, 128, &v))
				return ts_usage_error("attach", "bad --scan-ports '%s' (2 to 128)", optarg);
			o.scan_ports = (__u32)v;
			break;
		case 'p': policy = optarg; break;
		case 'h':
			printf("usage: tcpsentry attach IFACE [--xdp-mode native|generic|auto] [--no-egress]\n"
			       "                        [--max-flows N] [--max-embryonic N]\n"
			       "                        [--syn-flood-rate N] [--syn-flood-complete-pct P]\n"
			       "                        [--scan-ports N] [--policy FILE]\n"
			       "defaults: --xdp-mode auto (native where the driver has it), "
			       "--max-flows %llu, --max-embryonic %llu,\n"
			       "--syn-flood-rate %u (SYN/s), --syn-flood-complete-pct %u, "
			       "--scan-ports %u (distinct ports in 5 s)\n"
			       "--policy FILE: a policy file (see `tcpsentry policy`), checked before\n"
			       "anything is attached; the threshold options above override its values\n",
			       TS_DEFAULT_MAX_FLOWS, TS_DEFAULT_MAX_EMBRYONIC, TS_DEF_SYN_FLOOD_RATE,
			       TS_DEF_SYN_FLOOD_COMPLETE_PCT, TS_DEF_SCAN_PORTS);
			return 0;
		default: return ts_usage_error("attach", NULL);
		}
	}
	if (optind != argc - 1)
		return ts_usage_error("attach", optind >= argc ? "missing IFACE" : "too many arguments");
	o.ifname = argv[optind];
	if (!ts_valid_ifname(o.ifname))
		return ts_usage_error("attach", "bad interface name '%s'", o.ifname);
	if (!policy)
		return ts_attach(&o);
	{
		struct ts_policy_doc doc;
		char msg[512];

		/* the whole file is checked before anything is attached */
		if (ts_policy_doc_load(policy, &doc, msg, sizeof(msg))) {
			fprintf(stderr, "tcpsentry attach: %s\n", msg);
			return 2;
		}
		if (o.syn_flood_rate)
			doc.pol.syn_flood_rate = o.syn_flood_rate;
		if (o.syn_flood_complete_pct)
			doc.pol.syn_flood_complete_pct = o.syn_flood_complete_pct;
		if (o.scan_ports)
			doc.pol.scan_ports = o.scan_ports;
		rc = ts_attach(&o);
		if (!rc)
			rc = ts_policy_apply_doc(o.ifname, &doc, policy);
		ts_policy_doc_free(&doc);
		return rc;
	}
}

int cmd_detach(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: tcpsentry detach IFACE\n"
		       "removes the XDP link, the tc filter (and the clsact qdisc if attach made it)\n"
		       "and every pin under " TS_PIN_ROOT "\n");
		return 0;
	}
	if (argc != 2)
		return ts_usage_error("detach", argc < 2 ? "missing IFACE" : "too many arguments");
	if (!ts_valid_ifname(argv[1]))
		return ts_usage_error("detach", "bad interface name '%s'", argv[1]);
	return ts_detach(argv[1]);
}

