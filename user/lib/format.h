/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text and JSON rendering of flows, events and counters. Pure: no BPF,
 * no I/O beyond the FILE * it is given, so the unit tests drive it. */
#ifndef TCPSENTRY_FORMAT_H
#define TCPSENTRY_FORMAT_H

#include <stdio.h>
#include <stddef.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/sketch.h>

/* "ESTABLISHED", ... ; "?" for values out of range */
const char *ts_state_name(unsigned st);
/* accepts the names above, case-insensitive, '-' for '_' (ss style);
 * returns -1 if unknown */
int ts_state_parse(const char *s);
/* name of a ts_counter index, NULL for unused slots */
const char *ts_counter_name(unsigned idx);

/* "rst_out_of_window", ... (enum ts_anomaly); NULL out of range or unnamed
 * (every named kind is one this version raises) */
const char *ts_anomaly_name(unsigned kind);
/* name of a drop reason (enum ts_drop_reason): "deny", "banned", ...,
 * and for TS_D_ANOMALY + kind the kind's name; NULL for unused indices */
const char *ts_drop_reason_name(unsigned r);
/* reason of a bad_flags anomaly (enum ts_bad_flags): "null", "xmas", ...;
 * "?" out of range */
const char *ts_bad_flags_name(unsigned reason);

/* "198.18.0.2" (v4-mapped, family 4) or "2001:db8::2" (family 6);
 * returns buf */
char *ts_fmt_ip(char *buf, size_t n, const __u8 addr[16], int family);
/* the same, the family read from the address (ts_addr_family) */
char *ts_fmt_addr(char *buf, size_t n, const __u8 addr[16]);
/* "198.18.0.2:40000" or "[2001:db8::2]:40000"; returns buf */
char *ts_fmt_endpoint(char *buf, size_t n, const __u8 addr[16], __u16 port_be);
/* a socket address the same way: "127.0.0.1:9464" / "[::1]:9464" */
struct sockaddr_storage;
char *ts_fmt_sockaddr(char *buf, size_t n, const struct sockaddr_storage *ss);
/* 4 for a v4-mapped address, else 6 */
int ts_addr_family(const __u8 addr[16]);

/* Zeek conn_state (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH,
 * SHR, OTH) from the flow's history bits and endpoint states */
const char *ts_zeek_conn_state(const struct ts_flow *f);

/* One connection as seen `now` with idle timeouts applied (the states
 * printed are ts_effective_state()). */
struct ts_conn_view {
	const char *iface;
	const struct ts_flow_key *key;
	const struct ts_flow *flow;
	__u64 now_ns;           /* CLOCK_MONOTONIC */
	const __u32 *timeouts;  /* per-state, seconds */
};
void ts_print_conn_json(FILE *out, const struct ts_conn_view *v);
/* the members of that object, without its braces (a connection record
 * writes them and its own) */
void ts_print_conn_members(FILE *out, const struct ts_conn_view *v);
/* flow quality's members (issue 13), each with its leading comma */
void ts_print_quality_members(FILE *out, const struct ts_conn_view *v);
void ts_print_conn_header(FILE *out);
void ts_print_conn_text(FILE *out, const struct ts_conn_view *v);

/* One ring-buffer event. */
void ts_print_event_json(FILE *out, const char *iface, const struct ts_event *e);
void ts_print_event_text(FILE *out, const char *iface, const struct ts_event *e);

/* JSON string body with escapes (no surrounding quotes) */
void ts_json_str(FILE *out, const char *s);

/* Drops and would-drops by reason, and the ban counts: `status` and
 * `stats` print them alike. JSON: members to append to an open object
 * (",\"dropped\":{...},..."); text: indented lines, non-zero reasons. */
void ts_print_drops(FILE *out, const struct ts_drops *d, int json);
/* The SYN floods on now, from every slot of the floods map (port slots,
 * then TS_SYN_HOST): a JSON array, or text lines after indent. Returns how
 * many are on. */
int ts_print_floods(FILE *out, const struct ts_flood *slots, __u64 now_ns, int json,
		    const char *indent);

#endif /* TCPSENTRY_FORMAT_H */
