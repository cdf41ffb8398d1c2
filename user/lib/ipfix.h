/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IPFIX export of connection records (RFC 7011) with libfixbuf: one
 * RFC 5103 biflow record per connection, client -> server forward, server
 * -> client reverse; IANA information elements for the 5-tuple, the
 * counters and the times, and tcpsentry's own (states, history, the
 * Community ID, flow quality) under a private enterprise number. Templates
 * go out first and, over UDP, again every TS_IPFIX_TEMPLATE_S seconds.
 * docs/records.md lists the elements.
 *
 * A service: never prints to stdout; failures are returned (and the
 * collector retried: a TCP connection is made again, with its templates).
 */
#ifndef TCPSENTRY_IPFIX_H
#define TCPSENTRY_IPFIX_H

#include <stddef.h>
#include <tcpsentry/record.h>

/* The private enterprise number of tcpsentry's own elements. A
 * placeholder: 32473 is the number RFC 5612 sets aside for documentation
 * and examples, until tcpsentry has one of its own. */
#define TS_IPFIX_PEN 32473
/* templates resent over UDP this often by default (RFC 7011 10.3.6: a
 * collector that restarts knows none until they come again) */
#define TS_IPFIX_TEMPLATE_S 30
/* UDP: the largest message (a record is ~200 bytes), below an Ethernet
 * MTU so that no message is fragmented */
#define TS_IPFIX_UDP_MTU 1400

enum ts_ipfix_transport {
	TS_IPFIX_UDP = 0,
	TS_IPFIX_TCP,
	TS_IPFIX_FILE,   /* an IPFIX file (RFC 5655), for tests and offline use */
};

/* "udp://HOST:PORT", "tcp://HOST:PORT", "HOST:PORT" (UDP), "[V6]:PORT",
 * "file:PATH". 0, or -1 if it does not parse. */
int ts_ipfix_parse(const char *url, int *transport, char *host, size_t hn, char *port,
		   size_t pn);

struct ts_ipfix;

/* The exporter for url; NULL with the reason in err. The collector is
 * reached with the first message (a TCP collector that is not there yet
 * is retried, see ts_ipfix_tick). template_s: over UDP, the templates go
 * out again this often (0: TS_IPFIX_TEMPLATE_S). */
struct ts_ipfix *ts_ipfix_open(const char *url, unsigned template_s, char *err, size_t n);
/* one record; wall_off: CLOCK_REALTIME - CLOCK_MONOTONIC (ts_wall_offset_ns);
 * ifindex: the interface it was seen on (ingressInterface). Buffered: 0,
 * or -1 if the exporter is down (the record is counted as not exported). */
int ts_ipfix_add(struct ts_ipfix *x, const struct ts_record *r, __u32 ifindex, __s64 wall_off);
/* send what is buffered: 0, or -1 (the connection is dropped and made
 * again at the next tick) */
int ts_ipfix_flush(struct ts_ipfix *x);
/* now: CLOCK_MONOTONIC ns. UDP: templates again when due; TCP: connect
 * again after a failure. */
void ts_ipfix_tick(struct ts_ipfix *x, __u64 now);
void ts_ipfix_close(struct ts_ipfix *x);

struct ts_ipfix_stats {
	unsigned long long records;   /* appended */
	unsigned long long dropped;   /* not exported: the exporter was down */
	unsigned long long errors;    /* failed sends (each drops the connection) */
	char last_error[160];
};
void ts_ipfix_stats(const struct ts_ipfix *x, struct ts_ipfix_stats *s);

#endif /* TCPSENTRY_IPFIX_H */
