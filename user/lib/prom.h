/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus metrics: a snapshot of what one attachment's maps say
 * (ts_msnap_read, snapshot.c) and its rendering in the text exposition
 * format (ts_metrics_render, prom.c: pure, no BPF, no I/O beyond the
 * FILE * it is given, so the unit tests drive it).
 */
#ifndef TCPSENTRY_PROM_H
#define TCPSENTRY_PROM_H

#include <stdio.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/hs_hist.h>
#include "gc.h"

/* one attachment */
struct ts_msnap_if {
	char iface[16];
	__u64 pkts_in, pkts_out;  /* frames seen at XDP ingress / tc egress */
	/* their verdicts, counted once each by the datapath: they sum to the above */
	__u64 in_pass, in_drop, in_tx, out_pass;
	__u64 opened;             /* handshakes completed + mid-stream pickups */
	__u64 events_lost;
	__u64 records, records_lost; /* connection records written, and lost (ring full) */
	__u64 syncookies[4];      /* sent, validated, failed, handed over (TS_C_COOKIE_*) */
	__u64 anomalies[TS_A_MAX];
	int have_drops;           /* the `drops` map is pinned (a policy-capable datapath) */
	struct ts_drops drops;
	int have_hist;            /* the `hs_hist` map is pinned */
	struct ts_hs_hist hist;
	struct ts_qcounters q;    /* flow quality: retransmissions, ..., the RTT histogram */
	int have_tally;           /* the sweeper has made a pass */
	struct ts_tally tally;
	__u64 cap_flows, cap_embryonic;
	__u32 floods_port;        /* port slots with a SYN flood on */
	__u32 flood_host;         /* 1: the host-wide SYN flood is on */
	__u32 attached;           /* 1: the attachment holds the interface by its name;
				   * 0: stale (the interface deleted or recreated) */
};

/* The records `run` read from the ring but could not hand to an output:
 * a --records line whose write failed, --ipfix records the collector
 * never got (down, refusing). Not per interface: the outputs are run's. */
struct ts_export_loss {
	int json, ipfix;                    /* 1: that output is on */
	unsigned long long json_lost, ipfix_lost;
};

struct ts_msnap {
	const char *version;
	int n;
	const struct ts_msnap_if *ifs;
	const struct ts_export_loss *export; /* NULL: no output (not rendered) */
};

/* the whole exposition; HELP and TYPE for every family, families in a
 * fixed order, interfaces in the order given */
void ts_metrics_render(FILE *out, const struct ts_msnap *s);

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (127.0.0.1): the --metrics
 * listen address; 0, or -1 if it does not parse */
struct sockaddr_storage;
int ts_parse_listen(const char *s, struct sockaddr_storage *ss);

/* Read attachment a's counters now into *out; tally (may be NULL) is the
 * sweeper's last pass. Reads a fixed number of per-CPU array elements
 * (readout.h): never walks a flow table. 0, or -1 if the counters cannot
 * be read. */
int ts_msnap_read(const struct ts_att *a, const struct ts_tally *tally,
		  struct ts_msnap_if *out);

#endif /* TCPSENTRY_PROM_H */
