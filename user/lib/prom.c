// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus text exposition (format 0.0.4) of a metrics snapshot.
 * Labels are the interface, and small closed sets (direction, verdict,
 * state, kind, reason, table, scope): never an address or a port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"
#include "format.h"
#include "prom.h"

/* a label value: backslash, double quote and newline escaped */
static void label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{iface="...",k1="v1"} value  (k1 NULL: iface only) */
static void sample(FILE *out, const char *name, const char *iface, const char *k1,
		   const char *v1, const char *k2, const char *v2, unsigned long long v)
{
	fprintf(out, "%s{iface=\"", name);
	label(out, iface);
	fputc('"', out);
	if (k1)
		fprintf(out, ",%s=\"%s\"", k1, v1);
	if (k2)
		fprintf(out, ",%s=\"%s\"", k2, v2);
	fprintf(out, "} %llu\n", v);
}

/* the largest bucket rendered with its own "le"; the rest (over 67 s)
 * are only in +Inf */
#define HS_LAST_LE 26

/* a log2 microsecond histogram (include/tcpsentry/hs_hist.h's buckets) as
 * NAME_bucket, NAME_sum, NAME_count */
static void render_hist(FILE *out, const char *name, const char *iface, const __u64 *bucket,
			__u64 sum_us)
{
	char le[32], n[96];
	__u64 cum = 0;
	int i;

	snprintf(n, sizeof(n), "%s_bucket", name);
	for (i = 0; i < TS_HS_BUCKETS; i++) {
		cum += bucket[i];
		if (i > HS_LAST_LE)
			continue;
		/* bucket i: under 2^i microseconds */
		snprintf(le, sizeof(le), "%.9g", (double)(1ull << i) / 1e6);
		sample(out, n, iface, "le", le, NULL, NULL, cum);
	}
	sample(out, n, iface, "le", "+Inf", NULL, NULL, cum);
	fprintf(out, "%s_sum{iface=\"", name);
	label(out, iface);
	fprintf(out, "\"} %.6f\n", (double)sum_us / 1e6);
	snprintf(n, sizeof(n), "%s_count", name);
	sample(out, n, iface, NULL, NULL, NULL, NULL, cum);
}

/* a flow-quality counter family by direction: the __u64[2] (ingress,
 * egress) at offset `at` of each interface's struct ts_qcounters */
static void by_direction(FILE *out, const struct ts_msnap *s, const char *name, const char *help,
			 size_t at)
{
	static const char *const dir[2] = { "ingress", "egress" };
	int i, k;

	family(out, name, "counter", help);
	for (i = 0; i < s->n; i++) {
		const __u64 *v = (const __u64 *)((const char *)&s->ifs[i].q + at);

		for (k = 0; k < 2; k++)
			sample(out, name, s->ifs[i].iface, "direction", dir[k], NULL, NULL, v[k]);
	}
}

/* flow quality (issue 13): low cardinality, no address in a label */
static void render_quality(FILE *out, const struct ts_msnap *s)
{
	static const char *const side[2] = { "remote", "local" };
	const struct ts_qcounters *q;
	int i, k;

	family(out, "tcpsentry_rtt_seconds", "histogram",
	       "Round-trip time of the network leg: a local endpoint's segment (tc egress) "
	       "until the remote's ACK or timestamp echo covering it (XDP ingress); one sample "
	       "per round trip and connection, none from a range sent twice (Karn).");
	for (i = 0; i < s->n; i++)
		render_hist(out, "tcpsentry_rtt_seconds", s->ifs[i].iface, s->ifs[i].q.rtt_bucket,
			    s->ifs[i].q.rtt_sum_us);
	by_direction(out, s, "tcpsentry_retransmitted_segments_total",
		     "Segments sent again (data, SYN, FIN; tail loss probes included), by the "
		     "direction they were seen in.",
		     offsetof(struct ts_qcounters, retrans));
	by_direction(out, s, "tcpsentry_reordered_segments_total",
		     "Segments that arrived below their sender's highest sequence, first seen late "
		     "(not sent again), by direction.",
		     offsetof(struct ts_qcounters, reorder));
	family(out, "tcpsentry_zero_window_seconds_total", "counter",
	       "Time endpoints advertised a zero window (stalls that ended), by the side that "
	       "advertised it (local: seen at egress).");
	for (i = 0; i < s->n; i++)
		for (k = 0; k < 2; k++) {
			fprintf(out, "tcpsentry_zero_window_seconds_total{iface=\"");
			label(out, s->ifs[i].iface);
			fprintf(out, "\",side=\"%s\"} %.3f\n", side[k],
				(double)s->ifs[i].q.zw_ms[k] / 1e3);
		}
	family(out, "tcpsentry_zero_window_stalls_total", "counter",
	       "Zero-window stalls started, by the side that advertised the zero window.");
	for (i = 0; i < s->n; i++)
		for (k = 0; k < 2; k++)
			sample(out, "tcpsentry_zero_window_stalls_total", s->ifs[i].iface, "side",
			       side[k], NULL, NULL, s->ifs[i].q.zw_stalls[k]);
	family(out, "tcpsentry_probe_segments_total", "counter",
	       "Probes: SYNs and SYN-ACKs sent again and tail loss probes (all three among "
	       "the retransmitted segments), keep-alives and zero-window probes (not).");
	for (i = 0; i < s->n; i++) {
		q = &s->ifs[i].q;
		sample(out, "tcpsentry_probe_segments_total", s->ifs[i].iface, "kind",
		       "syn_retransmit", NULL, NULL, q->syn_retrans);
		sample(out, "tcpsentry_probe_segments_total", s->ifs[i].iface, "kind",
		       "synack_retransmit", NULL, NULL, q->synack_retrans);
		sample(out, "tcpsentry_probe_segments_total", s->ifs[i].iface, "kind",
		       "tail_loss_probe", NULL, NULL, q->tlp);
		sample(out, "tcpsentry_probe_segments_total", s->ifs[i].iface, "kind",
		       "keepalive", NULL, NULL, q->keepalive);
		sample(out, "tcpsentry_probe_segments_total", s->ifs[i].iface, "kind",
		       "window_probe", NULL, NULL, q->win_probe);
	}
}

void ts_metrics_render(FILE *out, const struct ts_msnap *s)
{
	const struct ts_msnap_if *m;
	int i, k, any;

	family(out, "tcpsentry_build_info", "gauge",
	       "Always 1; the version of tcpsentry serving these metrics.");
	fprintf(out, "tcpsentry_build_info{version=\"");
	label(out, s->version ? s->version : "unknown");
	fprintf(out, "\"} 1\n");

	family(out, "tcpsentry_attached", "gauge",
	       "1 while the attachment's programs hold the interface by that name; 0 while "
	       "it is stale (the interface was deleted, or deleted and created again): run "
	       "attaches it again as soon as the interface is there.");
	for (i = 0; i < s->n; i++)
		sample(out, "tcpsentry_attached", s->ifs[i].iface, NULL, NULL, NULL, NULL,
		       s->ifs[i].attached);

	family(out, "tcpsentry_packets_total", "counter",
	       "Frames seen by the datapath, by direction and verdict (tx: a SYN answered "
	       "with a SYN cookie's SYN-ACK); each frame is counted once, under its verdict.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		sample(out, "tcpsentry_packets_total", m->iface, "direction", "ingress", "verdict",
		       "pass", m->in_pass);
		if (m->have_drops)
			sample(out, "tcpsentry_packets_total", m->iface, "direction", "ingress",
			       "verdict", "drop", m->in_drop);
		sample(out, "tcpsentry_packets_total", m->iface, "direction", "ingress", "verdict",
		       "tx", m->in_tx);
		sample(out, "tcpsentry_packets_total", m->iface, "direction", "egress", "verdict",
		       "pass", m->out_pass);
	}

	family(out, "tcpsentry_connections", "gauge",
	       "Tracked connections by state (the server's, or the client's while the server's "
	       "is LISTEN or CLOSED), as of the sweeper's last pass.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		if (!m->have_tally)
			continue;
		for (k = 0; k < TS_STATE_MAX; k++)
			sample(out, "tcpsentry_connections", m->iface, "state",
			       ts_state_name((unsigned)k), NULL, NULL, m->tally.states[k]);
	}

	family(out, "tcpsentry_connections_opened_total", "counter",
	       "Connections that started being tracked: handshakes completed plus "
	       "connections picked up mid-stream.");
	for (i = 0; i < s->n; i++)
		sample(out, "tcpsentry_connections_opened_total", s->ifs[i].iface, NULL, NULL,
		       NULL, NULL, s->ifs[i].opened);

	family(out, "tcpsentry_handshake_seconds", "histogram",
	       "Handshake time as the local host sees it (SYN-ACK to ACK for a local server, "
	       "SYN to SYN-ACK for a local client), log2 buckets kept in the kernel.");
	for (i = 0; i < s->n; i++)
		if (s->ifs[i].have_hist)
			render_hist(out, "tcpsentry_handshake_seconds", s->ifs[i].iface,
				    s->ifs[i].hist.bucket, s->ifs[i].hist.sum_us);
	render_quality(out, s);

	family(out, "tcpsentry_anomalies_total", "counter", "Anomalies detected, by kind.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		for (k = 0; k < TS_A_MAX; k++)
			if (ts_anomaly_name((unsigned)k))
				sample(out, "tcpsentry_anomalies_total", m->iface, "kind",
				       ts_anomaly_name((unsigned)k), NULL, NULL, m->anomalies[k]);
	}

	for (i = 0, any = 0; i < s->n; i++)
		any |= s->ifs[i].have_drops;
	if (any) {
		family(out, "tcpsentry_dropped_packets_total", "counter",
		       "Packets dropped by policy (enforce mode), by reason.");
		for (i = 0; i < s->n; i++) {
			m = &s->ifs[i];
			for (k = 0; m->have_drops && k < TS_D_MAX; k++)
				if (ts_drop_reason_name((unsigned)k))
					sample(out, "tcpsentry_dropped_packets_total", m->iface,
					       "reason", ts_drop_reason_name((unsigned)k), NULL,
					       NULL, m->drops.dropped[k]);
		}
		family(out, "tcpsentry_would_drop_packets_total", "counter",
		       "Packets policy would have dropped (observe mode), by reason.");
		for (i = 0; i < s->n; i++) {
			m = &s->ifs[i];
			for (k = 0; m->have_drops && k < TS_D_MAX; k++)
				if (ts_drop_reason_name((unsigned)k))
					sample(out, "tcpsentry_would_drop_packets_total", m->iface,
					       "reason", ts_drop_reason_name((unsigned)k), NULL,
					       NULL, m->drops.would_drop[k]);
		}
	}

	family(out, "tcpsentry_events_lost_total", "counter",
	       "Events the ring buffer had no room for (totals are still counted).");
	for (i = 0; i < s->n; i++)
		sample(out, "tcpsentry_events_lost_total", s->ifs[i].iface, NULL, NULL, NULL, NULL,
		       s->ifs[i].events_lost);

	family(out, "tcpsentry_records_total", "counter",
	       "Connection records written to the records ring (while a reader wants them).");
	for (i = 0; i < s->n; i++)
		sample(out, "tcpsentry_records_total", s->ifs[i].iface, NULL, NULL, NULL, NULL,
		       s->ifs[i].records);
	family(out, "tcpsentry_records_lost_total", "counter",
	       "Connection records the ring had no room for (the reader fell behind).");
	for (i = 0; i < s->n; i++)
		sample(out, "tcpsentry_records_lost_total", s->ifs[i].iface, NULL, NULL, NULL, NULL,
		       s->ifs[i].records_lost);
	if (s->export && (s->export->json || s->export->ipfix)) {
		family(out, "tcpsentry_records_unexported_total", "counter",
		       "Connection records read from the ring that an output could not take "
		       "(json: a --records write failed; ipfix: the collector was down or "
		       "refused them).");
		if (s->export->json)
			fprintf(out, "tcpsentry_records_unexported_total{output=\"json\"} %llu\n",
				s->export->json_lost);
		if (s->export->ipfix)
			fprintf(out, "tcpsentry_records_unexported_total{output=\"ipfix\"} %llu\n",
				s->export->ipfix_lost);
	}

	family(out, "tcpsentry_syncookies_total", "counter",
	       "SYN cookies: SYNs answered from XDP (sent), ACKs whose cookie checked "
	       "(validated), ACKs dropped without a socket or a valid cookie (failed), "
	       "connections handed to the listener (handed_over).");
	for (i = 0; i < s->n; i++) {
		static const char *const res[4] = { "sent", "validated", "failed", "handed_over" };

		for (k = 0; k < 4; k++)
			sample(out, "tcpsentry_syncookies_total", s->ifs[i].iface, "result", res[k],
			       NULL, NULL, s->ifs[i].syncookies[k]);
	}

	family(out, "tcpsentry_syn_floods_active", "gauge",
	       "SYN floods in progress: destination-port slots, and host-wide (0 or 1).");
	for (i = 0; i < s->n; i++) {
		sample(out, "tcpsentry_syn_floods_active", s->ifs[i].iface, "scope", "port", NULL,
		       NULL, s->ifs[i].floods_port);
		sample(out, "tcpsentry_syn_floods_active", s->ifs[i].iface, "scope", "host", NULL,
		       NULL, s->ifs[i].flood_host);
	}

	family(out, "tcpsentry_flow_table_entries", "gauge",
	       "Entries in the flow tables, as of the sweeper's last pass.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		if (!m->have_tally)
			continue;
		sample(out, "tcpsentry_flow_table_entries", m->iface, "table", "flows", NULL, NULL,
		       m->tally.flows);
		sample(out, "tcpsentry_flow_table_entries", m->iface, "table", "embryonic", NULL,
		       NULL, m->tally.embryonic);
		sample(out, "tcpsentry_flow_table_entries", m->iface, "table", "pickups", NULL,
		       NULL, m->tally.pickups);
	}
	family(out, "tcpsentry_flow_table_capacity", "gauge", "Size of the flow tables.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		sample(out, "tcpsentry_flow_table_capacity", m->iface, "table", "flows", NULL, NULL,
		       m->cap_flows);
		sample(out, "tcpsentry_flow_table_capacity", m->iface, "table", "embryonic", NULL,
		       NULL, m->cap_embryonic);
		sample(out, "tcpsentry_flow_table_capacity", m->iface, "table", "pickups", NULL,
		       NULL, TS_DEFAULT_MAX_PICKUPS);
	}

	family(out, "tcpsentry_sweep_duration_seconds", "gauge",
	       "How long the sweeper's last pass over both tables took.");
	for (i = 0; i < s->n; i++) {
		m = &s->ifs[i];
		if (!m->have_tally)
			continue;
		fprintf(out, "tcpsentry_sweep_duration_seconds{iface=\"");
		label(out, m->iface);
		fprintf(out, "\"} %.6f\n", (double)m->tally.duration_ns / 1e9);
	}
}

int ts_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon;
	size_t hl;
	__u16 port;

	memset(ss, 0, sizeof(*ss));
	if (!s)
		return -1;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (ts_parse_port(end + 2, &port) || inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || strchr(s, ':') != colon) /* a bare IPv6 address needs brackets */
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (ts_parse_port(colon + 1, &port))
		return -1;
	if (!hl)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	return 0;
}
