/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whether an attachment's pins still tell the truth: its record (ts_meta)
 * against what the kernel says now of the interface by that name, its XDP
 * hook and tc filters. Pins outlive what they describe: delete an
 * interface and create it again under the same name, and the pins still
 * name it, while nothing of tcpsentry runs there. status, run, attach and
 * detach ask here first.
 */
#ifndef TCPSENTRY_ATTSTATE_H
#define TCPSENTRY_ATTSTATE_H

#include <stddef.h>
#include <linux/types.h>
#include <tcpsentry/abi.h>

/* ts_meta.xdp_mode: where the record's XDP program runs (the values of
 * enum ts_xdp_mode, loader.h, which attach records) */
#define TS_REC_XDP_NATIVE 1
#define TS_REC_XDP_GENERIC 2

enum ts_att_state {
	TS_ATT_LIVE = 0,       /* the record matches the interface and its hooks */
	TS_ATT_STALE,          /* the pins outlived what they describe */
	TS_ATT_INCOMPLETE,     /* an attach that did not finish (killed, or running now) */
};

/* What the kernel says now, for the interface an attachment names. */
struct ts_live {
	__u32 ifindex;         /* of the interface by that name; 0: there is none */
	__u32 xdp_prog_id;     /* the program on its XDP hook in the record's mode; 0: none */
	int in_dispatcher;     /* the record's XDP program is in libxdp's dispatcher there */
	int have_link;         /* the record's XDP link is pinned ... */
	__u32 link_ifindex;    /* ... and holds this interface's hook (0: detached) */
	__u32 tc_egress_id;    /* the programs of the filters at our handle and */
	__u32 tc_ingress_id;   /* priority (0: no filter there) */
};

/* The state of an attachment whose record is m, given l; why says it in
 * words (for a live one: ""). Pure. */
enum ts_att_state ts_att_judge(const struct ts_meta *m, const struct ts_live *l, char *why,
			       size_t n);
const char *ts_att_state_name(enum ts_att_state s); /* "live", "stale", "incomplete" */

struct ts_att;
/* What the kernel says now for attachment a (queries only: netlink, the
 * link's info, libxdp's view of the dispatcher). */
void ts_live_read(const struct ts_att *a, struct ts_live *l);

/* ts_live_read, then ts_att_judge */
enum ts_att_state ts_att_check(const struct ts_att *a, char *why, size_t n);

#endif /* TCPSENTRY_ATTSTATE_H */
