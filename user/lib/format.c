// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <tcpsentry/fsm.h>
#include <tcpsentry/quality.h>
#include "format.h"
#include <tcpsentry/sketch.h>

static const char *const state_names[TS_STATE_MAX] = {
	[TS_CLOSED] = "CLOSED",
	[TS_LISTEN] = "LISTEN",
	[TS_SYN_SENT] = "SYN_SENT",
	[TS_SYN_RCVD] = "SYN_RCVD",
	[TS_ESTABLISHED] = "ESTABLISHED",
	[TS_FIN_WAIT_1] = "FIN_WAIT_1",
	[TS_FIN_WAIT_2] = "FIN_WAIT_2",
	[TS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TS_CLOSING] = "CLOSING",
	[TS_LAST_ACK] = "LAST_ACK",
	[TS_TIME_WAIT] = "TIME_WAIT",
};

const char *ts_state_name(unsigned st)
{
	return st < TS_STATE_MAX ? state_names[st] : "?";
}

int ts_state_parse(const char *s)
{
	char norm[32];
	size_t i;

	if (!s || strlen(s) >= sizeof(norm))
		return -1;
	for (i = 0; s[i]; i++)
		norm[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
	norm[i] = '\0';
	/* ss spells two of them differently */
	if (!strcmp(norm, "ESTAB"))
		return TS_ESTABLISHED;
	if (!strcmp(norm, "SYN_RECV"))
		return TS_SYN_RCVD;
	for (i = 0; i < TS_STATE_MAX; i++)
		if (!strcmp(norm, state_names[i]))
			return (int)i;
	return -1;
}

/* the names of counters, anomaly kinds and drop reasons: generated from
 * the lists beside their enums (include/tcpsentry/abi.h) */
static const char *const counter_names[TS_C_MAX] = {
#define TS_C_NAME(id, name) [TS_C_##id] = name,
	TS_COUNTERS(TS_C_NAME)
#undef TS_C_NAME
};

const char *ts_counter_name(unsigned idx)
{
	return idx < TS_C_MAX ? counter_names[idx] : NULL;
}

static const char *const anomaly_names[TS_A_MAX] = {
#define TS_A_NAME(id, name) [TS_A_##id] = name,
	TS_ANOMALIES(TS_A_NAME)
#undef TS_A_NAME
};

static const char *const drop_names[TS_D_ANOMALY] = {
#define TS_D_NAME(id, name) [TS_D_##id] = name,
	TS_DROP_REASONS(TS_D_NAME)
#undef TS_D_NAME
};

const char *ts_drop_reason_name(unsigned r)
{
	if (r < TS_D_ANOMALY)
		return drop_names[r];
	return r < TS_D_MAX ? ts_anomaly_name(r - TS_D_ANOMALY) : NULL;
}

const char *ts_anomaly_name(unsigned kind)
{
	return kind < TS_A_MAX ? anomaly_names[kind] : NULL;
}

static const char *const bad_flags_names[TS_BF_MAX] = {
	[TS_BF_NONE] = "none",
	[TS_BF_NULL] = "null",
	[TS_BF_SYN_FIN] = "syn_fin",
	[TS_BF_SYN_RST] = "syn_rst",
	[TS_BF_XMAS] = "xmas",
	[TS_BF_FIN_NO_ACK] = "fin_no_ack",
	[TS_BF_NO_ACK] = "no_ack",
};

const char *ts_bad_flags_name(unsigned reason)
{
	return reason < TS_BF_MAX ? bad_flags_names[reason] : "?";
}

int ts_addr_family(const __u8 addr[16])
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(addr, v4mapped, sizeof(v4mapped)) ? 6 : 4;
}

char *ts_fmt_ip(char *buf, size_t n, const __u8 addr[16], int family)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, family == 4 ? addr + 12 : addr, buf,
		       (socklen_t)n))
		snprintf(buf, n, "?");
	return buf;
}

char *ts_fmt_addr(char *buf, size_t n, const __u8 addr[16])
{
	return ts_fmt_ip(buf, n, addr, ts_addr_family(addr));
}

char *ts_fmt_endpoint(char *buf, size_t n, const __u8 addr[16], __u16 port_be)
{
	char a[INET6_ADDRSTRLEN];

	ts_fmt_addr(a, sizeof(a), addr);
	snprintf(buf, n, ts_addr_family(addr) == 4 ? "%s:%u" : "[%s]:%u", a, ntohs(port_be));
	return buf;
}

char *ts_fmt_sockaddr(char *buf, size_t n, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(s4->sin_port));
	}
	return buf;
}

static int hist(const struct ts_flow *f, unsigned letter, unsigned role)
{
	return !!(f->hist_mask & (1u << (letter * 2 + role)));
}

/*
 * Zeek's conn_state, decided the way Zeek's TCP analyzer summarises a
 * connection: from which side sent SYN, SYN-ACK, FIN and RST.
 */
const char *ts_zeek_conn_state(const struct ts_flow *f)
{
	int S = hist(f, TS_H_SYN, TS_CLIENT), h = hist(f, TS_H_SYNACK, TS_SERVER);
	int F = hist(f, TS_H_FIN, TS_CLIENT), fr = hist(f, TS_H_FIN, TS_SERVER);
	int R = hist(f, TS_H_RST, TS_CLIENT), r = hist(f, TS_H_RST, TS_SERVER);
	int est = h && (f->ep[TS_SERVER].state != TS_SYN_RCVD || F || R) &&
		  (hist(f, TS_H_ACK, TS_CLIENT) || hist(f, TS_H_DATA, TS_CLIENT) || F || R);

	if (f->flags & TS_F_PICKED_UP && !S) {
		if (h && !S) {
			if (r)
				return "RSTRH";
			if (fr)
				return "SHR";
		}
		return "OTH";
	}
	if (!S)
		return "OTH";
	if (!h) {
		if (r)
			return "REJ";
		if (R)
			return "RSTOS0";
		if (F)
			return "SH";
		return "S0";
	}
	if (R)
		return est ? "RSTO" : "RSTOS0";
	if (r)
		return "RSTR";
	if (!est)
		return "S0";
	if (F && fr)
		return "SF";
	if (F)
		return "S2";
	if (fr)
		return "S3";
	return "S1";
}

void ts_json_str(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

struct conn_fields {
	char client[64], server[64];
	const char *cs, *ss;
	const struct ts_endpoint *c, *s;
	char history[sizeof(((struct ts_flow *)0)->hist) + 1];
};

static void conn_fields(const struct ts_conn_view *v, struct conn_fields *cf)
{
	const struct ts_flow *f = v->flow;
	unsigned ci = f->client & 1;

	ts_fmt_endpoint(cf->client, sizeof(cf->client), v->key->addr[ci], v->key->port[ci]);
	ts_fmt_endpoint(cf->server, sizeof(cf->server), v->key->addr[!ci], v->key->port[!ci]);
	cf->cs = ts_state_name(ts_effective_state(f, TS_CLIENT, v->now_ns, v->timeouts));
	cf->ss = ts_state_name(ts_effective_state(f, TS_SERVER, v->now_ns, v->timeouts));
	cf->c = &f->ep[TS_CLIENT];
	cf->s = &f->ep[TS_SERVER];
	memcpy(cf->history, f->hist, sizeof(f->hist));
	cf->history[f->hist_len < sizeof(f->hist) ? f->hist_len : sizeof(f->hist)] = '\0';
}

void ts_print_conn_members(FILE *out, const struct ts_conn_view *v)
{
	struct conn_fields cf;
	const struct ts_flow *f = v->flow;

	conn_fields(v, &cf);
	fputs("\"iface\":\"", out);
	ts_json_str(out, v->iface);
	fprintf(out,
		"\",\"family\":\"ipv%d\",\"client\":\"%s\",\"server\":\"%s\","
		"\"client_state\":\"%s\",\"server_state\":\"%s\",\"conn_state\":\"%s\","
		"\"history\":\"",
		ts_addr_family(v->key->addr[0]), cf.client, cf.server, cf.cs, cf.ss,
		ts_zeek_conn_state(f));
	ts_json_str(out, cf.history);
	fprintf(out,
		"\",\"packets_c2s\":%llu,\"packets_s2c\":%llu,\"bytes_c2s\":%llu,"
		"\"bytes_s2c\":%llu,\"handshake_us\":%u,\"first_seen_ns\":%llu,"
		"\"last_seen_ns\":%llu,\"picked_up\":%s%s",
		(unsigned long long)cf.c->packets, (unsigned long long)cf.s->packets,
		(unsigned long long)cf.c->bytes, (unsigned long long)cf.s->bytes,
		f->handshake_us, (unsigned long long)f->first_seen_ns,
		(unsigned long long)f->last_seen_ns,
		(f->flags & TS_F_PICKED_UP) ? "true" : "false",
		/* the handshake completed through a SYN cookie tcpsentry sent */
		(f->flags & TS_F_COOKIE) ? ",\"syncookie\":true" : "");
	ts_print_quality_members(out, v);
}

void ts_print_quality_members(FILE *out, const struct ts_conn_view *v)
{
	const struct ts_flow *f = v->flow;
	unsigned l = ts_q_local_role(f);
	const struct ts_quality *net = &f->q[l], *host = &f->q[!l];
	const struct ts_quality *c = &f->q[TS_CLIENT], *s = &f->q[TS_SERVER];
	__u32 now_ms = (__u32)(v->now_ns / 1000000);

	fprintf(out,
		",\"rtt_us\":%u,\"min_rtt_us\":%u,\"srtt_us\":%u,\"host_rtt_us\":%u,"
		"\"host_min_rtt_us\":%u,\"host_srtt_us\":%u,\"retrans_c2s\":%u,"
		"\"retrans_s2c\":%u,\"reorder_c2s\":%u,\"reorder_s2c\":%u,"
		"\"zero_window_ms\":%llu,\"zero_window_stalls\":%u,\"syn_retrans\":%u,"
		"\"synack_retrans\":%u,\"tlp_c2s\":%u,\"tlp_s2c\":%u",
		net->rtt_us, net->min_rtt_us, net->srtt_us8 >> 3, host->rtt_us, host->min_rtt_us,
		host->srtt_us8 >> 3, c->retrans, s->retrans, c->reorder, s->reorder,
		(unsigned long long)(ts_q_zw_total_ms(c, now_ms) + ts_q_zw_total_ms(s, now_ms)),
		(unsigned)c->zw_count + s->zw_count, c->syn_retrans, s->syn_retrans, c->tlp,
		s->tlp);
}

void ts_print_conn_json(FILE *out, const struct ts_conn_view *v)
{
	fputc('{', out);
	ts_print_conn_members(out, v);
	fputs("}\n", out);
}

void ts_print_conn_header(FILE *out)
{
	fprintf(out, "%-10s %-46s %-46s %-12s %-12s %-6s %-10s %-15s %-9s %-9s %-11s %s\n",
		"IFACE", "CLIENT", "SERVER", "CLIENT_ST", "SERVER_ST", "ZEEK", "HISTORY",
		"PKTS c>s/s>c", "RTT_us", "SRTT_us", "RETR c>s/s>c", "ZWIN_ms");
}

void ts_print_conn_text(FILE *out, const struct ts_conn_view *v)
{
	struct conn_fields cf;

	conn_fields(v, &cf);
	const struct ts_flow *f = v->flow;
	const struct ts_quality *net = &f->q[ts_q_local_role(f)];
	__u32 now_ms = (__u32)(v->now_ns / 1000000);
	char pk[48], rt[24];

	snprintf(pk, sizeof(pk), "%llu/%llu", (unsigned long long)cf.c->packets,
		 (unsigned long long)cf.s->packets);
	snprintf(rt, sizeof(rt), "%u/%u", f->q[TS_CLIENT].retrans, f->q[TS_SERVER].retrans);
	fprintf(out, "%-10s %-46s %-46s %-12s %-12s %-6s %-10s %-15s %-9u %-9u %-11s %llu%s\n",
		v->iface, cf.client, cf.server, cf.cs, cf.ss, ts_zeek_conn_state(f), cf.history,
		pk, net->rtt_us, net->srtt_us8 >> 3, rt,
		(unsigned long long)(ts_q_zw_total_ms(&f->q[0], now_ms) +
				     ts_q_zw_total_ms(&f->q[1], now_ms)),
		(f->flags & TS_F_PICKED_UP) ? " picked-up" : "");
}

static void event_endpoints(const struct ts_event *e, char *c, char *s, size_t n)
{
	unsigned ci = e->client & 1;

	ts_fmt_endpoint(c, n, e->key.addr[ci], e->key.port[ci]);
	ts_fmt_endpoint(s, n, e->key.addr[!ci], e->key.port[!ci]);
}

static const char *event_type(const struct ts_event *e)
{
	switch (e->type) {
	case TS_EV_STATE: return "state";
	case TS_EV_ANOMALY: return "anomaly";
	case TS_EV_ACTION: return "action";
	case TS_EV_DROP: return "drop";
	default: return "unknown";
	}
}

/* src/dst: the segment's sender and receiver */
static void event_src_dst(const struct ts_event *e, char *src, char *dst, size_t n)
{
	unsigned si = e->sender & 1;

	ts_fmt_endpoint(src, n, e->key.addr[si], e->key.port[si]);
	ts_fmt_endpoint(dst, n, e->key.addr[!si], e->key.port[!si]);
}

static void anomaly_kind_str(const struct ts_event *e, char *buf, size_t n)
{
	const char *k = ts_anomaly_name(e->kind);

	if (k)
		snprintf(buf, n, "%s", k);
	else
		snprintf(buf, n, "kind_%u", e->kind);
}

/* syn_flood: detail = phase (TS_FLOOD_*) | handshakes completed (%) << 16,
 * got = SYN/s (at the start; the peak at the end), expected = distinct
 * sources (HyperLogLog estimate), key.port[1] = the port (0: host-wide) */
static const char *flood_phase(const struct ts_event *e)
{
	switch (e->detail & 0xff) {
	case TS_FLOOD_START: return "start";
	case TS_FLOOD_END: return "end";
	default: return "?";
	}
}

static void print_anomaly_json(FILE *out, const struct ts_event *e)
{
	char c[64], s[64], kind[32];

	anomaly_kind_str(e, kind, sizeof(kind));
	fprintf(out, "\"type\":\"anomaly\",\"kind\":\"%s\",", kind);
	if (e->kind == TS_A_PORT_SCAN && (e->detail & TS_SCAN_BACKSCATTER)) {
		/* a burst of RSTs this host sent to unknown peers */
		fprintf(out, "\"source\":\"backscatter\",\"phase\":\"%s\",\"rate\":%u,"
			"\"hook\":\"egress\",\"expected\":%u,\"got\":%u,\"detail\":%u,"
			"\"suppressed\":%u}\n", flood_phase(e), e->got, e->expected, e->got,
			e->detail, e->suppressed);
		return;
	}
	if (e->kind == TS_A_ACK_FLOOD) {
		/* ingress segments of unknown tuples (the pickup path) */
		fprintf(out, "\"phase\":\"%s\",\"rate\":%u,\"hook\":\"ingress\",\"expected\":%u,"
			"\"got\":%u,\"detail\":%u,\"suppressed\":%u}\n", flood_phase(e), e->got,
			e->expected, e->got, e->detail, e->suppressed);
		return;
	}
	if (e->kind == TS_A_SYN_FLOOD) {
		unsigned port = ntohs(e->key.port[1]);

		fprintf(out, "\"phase\":\"%s\",\"scope\":\"%s\",\"port\":%u,\"rate\":%u,"
			"\"complete_pct\":%u,\"sources\":%u,", flood_phase(e), port ? "port" : "host",
			port, e->got, e->detail >> 16, e->expected);
		/* syn.cookies=auto: cookies switched on at the start, off at the end */
		if (e->detail & TS_FLOOD_COOKIES)
			fprintf(out, "\"syncookies\":\"%s\",",
				(e->detail & 0xff) == TS_FLOOD_END ? "off" : "on");
		fprintf(out, "\"hook\":\"%s\",\"expected\":%u,"
			"\"got\":%u,\"detail\":%u,\"suppressed\":%u}\n",
			e->dir ? "egress" : "ingress", e->expected, e->got, e->detail,
			e->suppressed);
		return;
	}
	if (e->client != TS_EV_CLIENT_UNKNOWN) {
		event_endpoints(e, c, s, sizeof(c));
		fprintf(out, "\"client\":\"%s\",\"server\":\"%s\",\"side\":\"%s\",", c, s,
			e->side ? "server" : "client");
	}
	event_src_dst(e, c, s, sizeof(c));
	fprintf(out, "\"src\":\"%s\",\"dst\":\"%s\",\"hook\":\"%s\",\"tcp_flags\":%u,"
		"\"expected\":%u,\"got\":%u,\"detail\":%u,",
		c, s, e->dir ? "egress" : "ingress", e->tcp_flags, e->expected, e->got, e->detail);
	if (e->kind == TS_A_BAD_FLAGS)
		fprintf(out, "\"reason\":\"%s\",", ts_bad_flags_name(e->detail));
	if (e->kind == TS_A_PORT_SCAN)
		fprintf(out, "\"ports\":%u,\"threshold\":%u,\"window_ms\":%u,", e->got,
			e->expected, e->detail);
	fprintf(out, "\"suppressed\":%u}\n", e->suppressed);
}

/* a drop event's reason, named */
static const char *drop_reason_str(unsigned r)
{
	return ts_drop_reason_name(r) ? ts_drop_reason_name(r) : "?";
}

/* the address an action event bans, without a port */
static const char *ban_source(const struct ts_event *e, char *buf, size_t n)
{
	return ts_fmt_addr(buf, n, e->key.addr[e->sender & 1]);
}

void ts_print_event_json(FILE *out, const char *iface, const struct ts_event *e)
{
	char c[64], s[64];

	fprintf(out, "{\"ts_ns\":%llu,\"iface\":\"", (unsigned long long)e->ts_ns);
	ts_json_str(out, iface);
	fputs("\",", out);
	if (e->type == TS_EV_ANOMALY) {
		print_anomaly_json(out, e);
		return;
	}
	if (e->type == TS_EV_DROP) {
		/* a drop by policy no anomaly event told of */
		event_src_dst(e, c, s, sizeof(c));
		fprintf(out, "\"type\":\"drop\",\"reason\":\"%s\",\"action\":\"%s\",\"src\":\"%s\","
			"\"dst\":\"%s\",\"hook\":\"%s\",\"tcp_flags\":%u,\"suppressed\":%u}\n",
			drop_reason_str(e->kind), e->detail ? "would_drop" : "drop", c, s,
			e->dir ? "egress" : "ingress", e->tcp_flags, e->suppressed);
		return;
	}
	if (e->type == TS_EV_ACTION) {
		/* a ban: the sender of the segment that raised kind */
		fprintf(out, "\"type\":\"action\",\"action\":\"ban\",\"source\":\"%s\","
			"\"kind\":\"%s\",\"seconds\":%u}\n", ban_source(e, c, sizeof(c)),
			ts_anomaly_name(e->kind) ? ts_anomaly_name(e->kind) : "?", e->detail);
		return;
	}
	event_endpoints(e, c, s, sizeof(c));
	fprintf(out,
		"\"type\":\"%s\",\"client\":\"%s\",\"server\":\"%s\",\"side\":\"%s\","
		"\"from\":\"%s\",\"to\":\"%s\",\"hook\":\"%s\",\"tcp_flags\":%u}\n",
		event_type(e), c, s, e->side ? "server" : "client", ts_state_name(e->from),
		ts_state_name(e->to), e->dir ? "egress" : "ingress", e->tcp_flags);
}

void ts_print_event_text(FILE *out, const char *iface, const struct ts_event *e)
{
	char c[64], s[64], kind[32];
	unsigned long long sec = e->ts_ns / 1000000000ull, us = e->ts_ns % 1000000000ull / 1000;

	if (e->type == TS_EV_ANOMALY && e->kind == TS_A_PORT_SCAN &&
	    (e->detail & TS_SCAN_BACKSCATTER)) {
		fprintf(out, "%llu.%06llu %-10s anomaly port_scan backscatter %s: %s %u RST/s "
			"sent to unknown peers", sec, us, iface, flood_phase(e),
			(e->detail & 0xff) == TS_FLOOD_END ? "peak" : "rate", e->got);
		if (e->suppressed)
			fprintf(out, " (+%u suppressed)", e->suppressed);
		fputc('\n', out);
		return;
	}
	if (e->type == TS_EV_ANOMALY && e->kind == TS_A_ACK_FLOOD) {
		fprintf(out, "%llu.%06llu %-10s anomaly ack_flood %s: %s %u ACK/s for unknown "
			"connections", sec, us, iface, flood_phase(e),
			(e->detail & 0xff) == TS_FLOOD_END ? "peak" : "rate", e->got);
		if (e->suppressed)
			fprintf(out, " (+%u suppressed)", e->suppressed);
		fputc('\n', out);
		return;
	}
	if (e->type == TS_EV_ANOMALY && e->kind == TS_A_SYN_FLOOD) {
		unsigned port = ntohs(e->key.port[1]);

		if (port)
			fprintf(out, "%llu.%06llu %-10s anomaly syn_flood %s port %u", sec, us,
				iface, flood_phase(e), port);
		else
			fprintf(out, "%llu.%06llu %-10s anomaly syn_flood %s host-wide", sec, us,
				iface, flood_phase(e));
		fprintf(out, " %s %u SYN/s, %u%% completed, ~%u sources",
			(e->detail & 0xff) == TS_FLOOD_END ? "peak" : "rate", e->got,
			e->detail >> 16, e->expected);
		if (e->detail & TS_FLOOD_COOKIES)
			fprintf(out, ", syn cookies %s",
				(e->detail & 0xff) == TS_FLOOD_END ? "off" : "on");
		if (e->suppressed)
			fprintf(out, " (+%u suppressed)", e->suppressed);
		fputc('\n', out);
		return;
	}
	if (e->type == TS_EV_ANOMALY) {
		anomaly_kind_str(e, kind, sizeof(kind));
		event_src_dst(e, c, s, sizeof(c));
		fprintf(out, "%llu.%06llu %-10s anomaly %s %s -> %s %s flags 0x%02x", sec, us, iface,
			kind, c, s, e->dir ? "(egress)" : "(ingress)", e->tcp_flags);
		if (e->kind == TS_A_BAD_FLAGS)
			fprintf(out, " reason %s", ts_bad_flags_name(e->detail));
		else if (e->kind == TS_A_PORT_SCAN)
			fprintf(out, " %u distinct ports in %u ms (threshold %u)", e->got,
				e->detail, e->expected);
		else
			fprintf(out, " expected %u got %u detail %u", e->expected, e->got,
				e->detail);
		if (e->suppressed)
			fprintf(out, " (+%u suppressed)", e->suppressed);
		fputc('\n', out);
		return;
	}
	if (e->type == TS_EV_DROP) {
		event_src_dst(e, c, s, sizeof(c));
		fprintf(out, "%llu.%06llu %-10s %s %s %s -> %s %s flags 0x%02x", sec, us, iface,
			e->detail ? "would_drop" : "drop", drop_reason_str(e->kind), c, s,
			e->dir ? "(egress)" : "(ingress)", e->tcp_flags);
		if (e->suppressed)
			fprintf(out, " (+%u suppressed)", e->suppressed);
		fputc('\n', out);
		return;
	}
	if (e->type == TS_EV_ACTION) {
		fprintf(out, "%llu.%06llu %-10s action ban %s for %u s (%s)\n", sec, us, iface,
			ban_source(e, c, sizeof(c)), e->detail,
			ts_anomaly_name(e->kind) ? ts_anomaly_name(e->kind) : "?");
		return;
	}
	event_endpoints(e, c, s, sizeof(c));
	fprintf(out, "%llu.%06llu %-10s %s %s -> %s %s %s: %s -> %s\n", sec, us, iface,
		event_type(e), c, s, e->side ? "server" : "client", e->dir ? "(egress)" : "(ingress)",
		ts_state_name(e->from), ts_state_name(e->to));
}

void ts_print_drops(FILE *out, const struct ts_drops *d, int json)
{
	const __u64 *v[2] = { d->dropped, d->would_drop };
	const char *label[2] = { "dropped", "would_drop" };
	unsigned r;
	int w, first;

	for (w = 0; w < 2; w++) {
		if (json)
			fprintf(out, ",\"%s\":{", label[w]);
		for (r = 0, first = 1; r < TS_D_MAX; r++) {
			if (!ts_drop_reason_name(r))
				continue;
			if (json)
				fprintf(out, "%s\"%s\":%llu", first ? "" : ",", ts_drop_reason_name(r),
					(unsigned long long)v[w][r]);
			else if (v[w][r])
				fprintf(out, "  %s_%-*s %llu\n", label[w], 31 - (int)strlen(label[w]),
					ts_drop_reason_name(r), (unsigned long long)v[w][r]);
			first = 0;
		}
		if (json)
			fputs("}", out);
	}
	if (json)
		fprintf(out, ",\"bans_written\":%llu,\"ban_failed\":%llu,\"allowlisted\":%llu",
			(unsigned long long)d->bans, (unsigned long long)d->ban_fail,
			(unsigned long long)d->allowed);
	else
		fprintf(out, "  %-32s %llu\n  %-32s %llu\n  %-32s %llu\n", "bans_written",
			(unsigned long long)d->bans, "ban_failed", (unsigned long long)d->ban_fail,
			"allowlisted", (unsigned long long)d->allowed);
}

int ts_print_floods(FILE *out, const struct ts_flood *slots, __u64 now_ns, int json,
		    const char *indent)
{
	__u32 k;
	int n = 0;

	if (json)
		fputs("[", out);
	for (k = 0; k < TS_SYN_SLOTS; k++) {
		const struct ts_flood *f = &slots[k];
		unsigned port = k == TS_SYN_HOST ? 0 : f->port;

		if (!f->active)
			continue;
		if (json)
			fprintf(out, "%s{\"scope\":\"%s\",\"port\":%u,\"rate\":%u,\"peak_rate\":%u,"
				"\"complete_pct\":%u,\"sources\":%u,\"start_ns\":%llu}",
				n ? "," : "", port ? "port" : "host", port, f->rate, f->peak_rate,
				f->complete_pct, f->sources, (unsigned long long)f->start_ns);
		else
			fprintf(out, "%ssyn flood on %s%u for %llu s: %u SYN/s (peak %u), %u%% "
				"completed, ~%u sources\n", indent, port ? "port " : "host-wide", port,
				(unsigned long long)(f->start_ns && now_ns > f->start_ns ?
						     (now_ns - f->start_ns) / 1000000000ull : 0),
				f->rate, f->peak_rate, f->complete_pct, f->sources);
		n++;
	}
	if (json)
		fputs("]", out);
	else if (!n)
		fprintf(out, "%ssyn floods:   none\n", indent);
	return n;
}
