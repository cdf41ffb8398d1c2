// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `policy show` and `policy set` for the detection thresholds: the first
 * keys of the policy interface (enforcement adds the rest). Every KEY=VALUE
 * is checked before anything is written; one bad pair rejects the whole
 * command (exit 2, the pair named) and changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <tcpsentry/sketch.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "log.h"
#include "pins.h"

/* the settable fields of struct ts_config, by policy key */
static const struct policy_key {
	const char *key;
	size_t off;
	__u64 min, max;
	const char *what;
} keys[] = {
	{ "syn_flood.rate", offsetof(struct ts_config, syn_flood_rate), 10, 100000000,
	  "SYN/s to one port (or host-wide) that makes a flood" },
	{ "syn_flood.complete_pct", offsetof(struct ts_config, syn_flood_complete_pct), 1, 100,
	  "a flood completes fewer than this share of handshakes (%)" },
	{ "port_scan.ports", offsetof(struct ts_config, scan_ports), 2, 128,
	  "distinct ports from one source in 5 s that make a scan" },
	{ "backscatter.rate", offsetof(struct ts_config, backscatter_rate), 10, 100000000,
	  "RST/s this host sends to unknown peers that make a backscatter burst" },
	{ "ack_flood.rate", offsetof(struct ts_config, ack_flood_rate), 10, 100000000,
	  "ACK/s arriving for unknown connections that make an ACK flood" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static __u32 *field(struct ts_config *c, const struct policy_key *k)
{
	return (__u32 *)((char *)c + k->off);
}

static int parse_pair(const char *arg, struct ts_config *c)
{
	const char *eq = strchr(arg, '=');
	size_t i, n;
	__u64 v;

	if (!eq)
		return ts_usage_error("policy set", "'%s' is not KEY=VALUE", arg);
	n = (size_t)(eq - arg);
	for (i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].key) != n || strncmp(arg, keys[i].key, n))
			continue;
		if (ts_parse_u64(eq + 1, keys[i].min, keys[i].max, &v))
			return ts_usage_error("policy set", "bad value '%s' for %s (%llu to %llu)",
					      eq + 1, keys[i].key,
					      (unsigned long long)keys[i].min,
					      (unsigned long long)keys[i].max);
		*field(c, &keys[i]) = (__u32)v;
		return 0;
	}
	return ts_usage_error("policy set", "unknown key '%.*s' (tcpsentry policy keys lists them)",
			      (int)n, arg);
}

static void show(const char *iface, const struct ts_config *c, int json)
{
	size_t i;

	if (json) {
		printf("{\"iface\":\"");
		ts_json_str(stdout, iface);
		printf("\"");
		for (i = 0; i < NKEYS; i++)
			printf(",\"%s\":%u", keys[i].key, *field((struct ts_config *)c, &keys[i]));
		printf("}\n");
		return;
	}
	printf("%s:\n", iface);
	for (i = 0; i < NKEYS; i++)
		printf("  %-24s %u\n", keys[i].key, *field((struct ts_config *)c, &keys[i]));
}

static int usage(void)
{
	size_t i;

	printf("usage: tcpsentry policy show [-j] [--iface IF]\n"
	       "       tcpsentry policy set KEY=VALUE [KEY=VALUE...] [--iface IF]\n"
	       "       tcpsentry policy keys\n"
	       "keys:\n");
	for (i = 0; i < NKEYS; i++)
		printf("  %-24s %s (%llu to %llu)\n", keys[i].key, keys[i].what,
		       (unsigned long long)keys[i].min, (unsigned long long)keys[i].max);
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *iface = NULL, *sub;
	char names[64][16];
	int json = 0, c, n, i, a, rc = 0;

	/* one pass: getopt permutes, so options may stand anywhere and the
	 * subcommand and its KEY=VALUE pairs are left in order after optind */
	while ((c = getopt_long(argc, argv, "ji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i': iface = optarg; break;
		case 'h': return usage();
		default: return ts_usage_error("policy", NULL);
		}
	}
	if (optind >= argc)
		return ts_usage_error("policy", "missing show, set or keys");
	sub = argv[optind++];
	if (!strcmp(sub, "keys"))
		return usage();
	if (strcmp(sub, "show") && strcmp(sub, "set"))
		return ts_usage_error("policy", "unknown policy command '%s'", sub);
	if (!strcmp(sub, "set") && optind >= argc)
		return ts_usage_error("policy set", "missing KEY=VALUE");
	if (!strcmp(sub, "show") && optind < argc)
		return ts_usage_error("policy show", "unexpected argument '%s'", argv[optind]);

	n = ts_select_ifaces(iface, names, 64);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct ts_config cfg = {};
		struct ts_att att;
		__u32 zero = 0;
		int e = ts_att_open(&att, names[i]);

		if (e || att.config_fd < 0) {
			err("cannot open the pins of %s: %s\n", names[i], strerror(e ? -e : ENOENT));
			return 1;
		}
		if (bpf_map_lookup_elem(att.config_fd, &zero, &cfg)) {
			err("cannot read the policy of %s: %s\n", names[i], strerror(errno));
			ts_att_close(&att);
			return 1;
		}
		if (!strcmp(sub, "show")) {
			show(names[i], &cfg, json);
		} else {
			/* all pairs checked first; one bad pair changes nothing */
			for (a = optind; a < argc; a++) {
				rc = parse_pair(argv[a], &cfg);
				if (rc) {
					ts_att_close(&att);
					return rc;
				}
			}
			/* one element update: every field the datapath reads is
			 * a single 32-bit word, read on its own */
			if (bpf_map_update_elem(att.config_fd, &zero, &cfg, 0)) {
				err("cannot write the policy of %s: %s\n", names[i], strerror(errno));
				rc = 1;
			}
		}
		ts_att_close(&att);
	}
	return rc;
}
