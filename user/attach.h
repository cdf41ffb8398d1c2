/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TCPSENTRY_ATTACH_H
#define TCPSENTRY_ATTACH_H

#include <linux/types.h>
#include <tcpsentry/consts.h> /* TS_DEFAULT_MAX_FLOWS, TS_DEFAULT_MAX_EMBRYONIC */

enum ts_xdp_mode { TS_XDP_AUTO = 0, TS_XDP_NATIVE = 1, TS_XDP_GENERIC = 2 };

struct ts_attach_opts {
	const char *ifname;
	int xdp_mode;        /* enum ts_xdp_mode */
	int no_egress;
	__u64 max_flows;
	__u64 max_embryonic;
	__u32 syn_flood_rate;         /* 0: default (include/tcpsentry/consts.h) */
	__u32 syn_flood_complete_pct; /* 0: default */
	__u32 scan_ports;             /* 0: default */
};

/* 0 ok, 1 runtime failure (message printed) */
int ts_attach(const struct ts_attach_opts *o);
int ts_detach(const char *ifname);
const char *ts_xdp_mode_name(int mode);

#endif /* TCPSENTRY_ATTACH_H */
