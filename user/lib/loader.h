/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Putting the datapath on an interface and taking it off: load the BPF
 * object, write its configuration and policy (a policy file's, lists
 * included, when one is given), attach XDP (ingress) and tc
 * (egress, and the SYN-cookie hand-over at ingress), record and pin the
 * attachment. Messages on stderr only; the commands say what was done.
 */
#ifndef TCPSENTRY_LOADER_H
#define TCPSENTRY_LOADER_H

#include <stdio.h>
#include <linux/types.h>
#include "attstate.h"
#include "opts.h"
#include "vlans.h"
#include <tcpsentry/consts.h> /* TS_DEFAULT_MAX_FLOWS, TS_DEFAULT_MAX_EMBRYONIC */

/* the index is the --xdp-mode word's in ts_attach_options */
enum ts_xdp_mode { TS_XDP_AUTO = 0, TS_XDP_NATIVE = 1, TS_XDP_GENERIC = 2 };
/* the index is the --checksum word's in ts_attach_options */
enum ts_csum_mode { TS_CSUM_AUTO = 0, TS_CSUM_FULL = 1, TS_CSUM_PARTIAL = 2 };

struct ts_attach_opts {
	int xdp_mode;        /* enum ts_xdp_mode */
	int no_egress;
	__u64 max_flows;
	__u64 max_embryonic;
	__u32 syn_flood_rate;         /* 0: the policy's (include/tcpsentry/consts.h) */
	__u32 syn_flood_complete_pct; /* 0: the policy's */
	__u32 scan_ports;             /* 0: the policy's */
	int csum;                     /* enum ts_csum_mode */
	struct ts_vlans_sel vlans;    /* --vlans (zero: auto) */
};


/* The attach options as `attach` and `run` take them, with their ranges
 * (a GROUP in their tables), and their defaults (an initializer). */
extern const struct ts_opt ts_attach_options[];
#define TS_ATTACH_DEFAULTS { .max_flows = TS_DEFAULT_MAX_FLOWS, .max_embryonic = TS_DEFAULT_MAX_EMBRYONIC }

/* the threshold options given (not 0) over the values of policy p */
struct ts_policy;
void ts_attach_thresholds(const struct ts_attach_opts *o, struct ts_policy *p);

/* What an attach made. */
struct ts_attached {
	int xdp_mode;            /* TS_XDP_NATIVE or TS_XDP_GENERIC */
	int egress;              /* the tc egress filter is on */
	int cookies;             /* the tc ingress hand-over is on (Linux 6.9+) */
	__u32 chained_prog_id;   /* the XDP program that now runs after ours; 0: none */
	int libxdp;              /* XDP through libxdp's dispatcher */
	__u32 features;          /* what the kernel has: ts_meta.features */
	char libxdp_why[192];    /* why libxdp's dispatcher did not take us ("": not tried) */
	char dir[256];           /* the pins */
	enum ts_att_state replaced; /* pins found there first, cleared: stale or
				     * incomplete (TS_ATT_LIVE: there were none) */
	char replaced_why[192];
	char vlans[96];          /* the VLAN IDs taken (ts_vlans_str) */
	char vlans_why[128];     /* auto took every one: why ("": it did not) */
};

struct ts_policy_doc;
/* Attach to ifname, with policy file doc (NULL: the default policy with
 * o's thresholds) in force from the first packet. Pins already there that
 * no longer tell the truth (stale, incomplete: attstate.h) are cleared
 * first; live ones make it fail. 0, or 1 with the reason on stderr and
 * nothing left behind (no program, filter, qdisc or pin). */
int ts_attach(const char *ifname, const struct ts_attach_opts *o, const struct ts_policy_doc *doc,
	      struct ts_attached *out);
/* what ts_attach made, in words, to out */
void ts_print_attached(FILE *out, const char *ifname, const struct ts_attached *a);
const char *ts_xdp_mode_name(int mode);

#endif /* TCPSENTRY_LOADER_H */
