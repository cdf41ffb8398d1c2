/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection records (include/tcpsentry/record.h) as JSON lines and text,
 * and what is derived from one: how the connection ended, its duration,
 * its Community ID. Pure: no BPF, no I/O beyond the FILE * it is given.
 * docs/records.md describes every field.
 */
#ifndef TCPSENTRY_RECORD_FMT_H
#define TCPSENTRY_RECORD_FMT_H

#include <stdio.h>
#include <tcpsentry/record.h>

/* how a connection ended */
enum ts_rec_end {
	TS_END_CLIENT_FIN = 0, /* the client sent the first FIN */
	TS_END_SERVER_FIN,
	TS_END_CLIENT_RST,     /* an RST from the client ended it */
	TS_END_SERVER_RST,
	TS_END_TIMEOUT,        /* no FIN, no RST: the sweeper expired it */
	TS_END_DETACH,         /* no FIN, no RST: still open when tcpsentry detached */
	TS_END_MAX,
};

/* An RST that ended it (the closing segment of a TS_REC_CLOSED record),
 * else the side of the first FIN (the history's order), else why it was
 * made (timeout, detach). */
int ts_rec_end(const struct ts_record *r);
/* "client_fin", ...; "?" out of range */
const char *ts_rec_end_name(int end);
/* "closed", "expired", "detach"; "?" out of range */
const char *ts_rec_cause_name(unsigned cause);

/* one record, for printing */
struct ts_rec_view {
	const char *iface;
	const struct ts_record *rec;
	__s64 wall_off_ns;   /* CLOCK_REALTIME - CLOCK_MONOTONIC: dates the record */
	__u16 cid_seed;      /* the Community ID seed (0 unless configured) */
};

/* One JSON object and a newline: the fields of `conns -j` (the endpoint
 * states as they were at the end), then the record's own. */
void ts_print_record_json(FILE *out, const struct ts_rec_view *v);
void ts_print_record_header(FILE *out);
void ts_print_record_text(FILE *out, const struct ts_rec_view *v);

/* The flow-quality members of a record (",\"min_rtt_us\":..." and so on),
 * from the entry: the one place the JSON learns the quality fields. */
void ts_record_quality_json(FILE *out, const struct ts_flow *f);

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns */
__s64 ts_wall_offset_ns(void);

#endif /* TCPSENTRY_RECORD_FMT_H */
