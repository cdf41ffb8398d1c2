/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `run`'s state, shared by its files: run.c (options, the loop, events,
 * sweeps, metrics, signals) and run_follow.c (each attachment checked
 * against the live interface every sweep, attached again when its
 * interface was deleted and created again).
 */
#ifndef TCPSENTRY_RUN_H
#define TCPSENTRY_RUN_H

#include <pthread.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "gc.h"
#include "ipfix.h"
#include "loader.h"
#include "log.h"
#include "logfile.h"
#include "pcap_out.h"
#include "pins.h"
#include "policy_file.h"

#define MAX_IFACES 16
/* the daemon's own lifecycle (attach, adopt, listen, reload, stop): shown
 * at the default level, on stderr (journald); stdout is the event log */
#define notice(...) ts_log(TS_LOG_WARN, __VA_ARGS__)

struct daemon;

struct iface {
	struct ts_att att;
	int opened;            /* att is open */
	int attached_here;     /* 0: adopted from the pins */
	struct ts_tally tally; /* the sweeper's last pass (under d->lock) */
	int have_tally;
	int gone_warned;       /* the pins vanished (someone detached it) */
	int vlans_warned;      /* the last VLAN refresh failed, and said so */
	int frag_warned;       /* the last fragment-distance read failed, and said so */
	int records_were;      /* records were on before this run switched them on */
	int stale;             /* the attachment no longer holds the interface, and said so */
	int reattach_warned;   /* the last attempt to attach it again failed, and said so */
	__u64 retry_at;        /* ... the next one not before then (ts_now_ns) */
	__u64 retry_s;         /* ... after waiting this long, doubling to a minute */
	struct ts_pcap *pcap;  /* --pcap-dir: this interface's files */
	struct daemon *d;
};

struct daemon {
	struct iface ifs[MAX_IFACES];
	int n;
	pthread_mutex_t lock;
	struct ts_logfile log;      /* the events */
	struct ts_logfile records;  /* --records */
	int want_records;           /* --records or --ipfix */
	struct ts_ipfix *ipfix;
	/* records that output could not take (atomics: the metrics thread reads) */
	unsigned long long json_lost, ipfix_lost;
	__s64 wall_off;             /* CLOCK_REALTIME - CLOCK_MONOTONIC: dates records */
	const char *policy;
	const struct ts_attach_opts *attach; /* thresholds over the policy file's */
	struct ts_policy_doc *doc;           /* the policy file, as last loaded */
	const char *textfile_dir;
	int textfile_warned;
};

/* f's rings, those of attachment a, into *rb (its events; its records if
 * run exports them, switched on first if switch_records, and what they
 * were kept in f->records_were): 0 or -errno, and which ring in *what */
int run_iface_rings(struct iface *f, const struct ts_att *a, struct ring_buffer **rb,
		    int switch_records, const char **what);

/* every sweep: each attachment against the live interface (run_follow.c) */
void run_follow_attachments(struct daemon *d, struct ring_buffer **rb);

#endif /* TCPSENTRY_RUN_H */
