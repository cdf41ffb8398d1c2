// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* IPFIX export of connection records with libfixbuf: see ipfix.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fixbuf/public.h>
#include "community_id.h"
#include "format.h"
#include "ipfix.h"
#include "record.h"

/* template ids: the record as this file lays it out (internal), and what
 * goes on the wire for each family (external, the elements of that family) */
#define TID_INTERNAL 0x100
#define TID_V4 0x101
#define TID_V6 0x102
/* spec flags: which external template an element goes in (0: both) */
#define F_V4 0x1
#define F_V6 0x2

/* tcpsentry's own elements, under TS_IPFIX_PEN (docs/records.md) */
enum {
	IE_CLIENT_STATE = 1, IE_SERVER_STATE, IE_CONN_STATE, IE_HISTORY, IE_HANDSHAKE_US,
	IE_FLOW_FLAGS, IE_END, IE_COMMUNITY_ID, IE_PAYLOAD_C2S, IE_PAYLOAD_S2C,
	/* 16 and up: the flow-quality fields (ts_ipfix_quality) */
};
/* tsFlowFlags */
#define FLOW_PICKED_UP 0x1
#define FLOW_SYNCOOKIE 0x2

static fbInfoElement_t own_elements[] = {
	FB_IE_INIT_FULL("tcpsentryClientState", TS_IPFIX_PEN, IE_CLIENT_STATE, 1, FB_IE_F_ENDIAN,
			0, 0, FB_UINT_8, "the client's final state (enum ts_state: 0 CLOSED .. 10 TIME_WAIT)"),
	FB_IE_INIT_FULL("tcpsentryServerState", TS_IPFIX_PEN, IE_SERVER_STATE, 1, FB_IE_F_ENDIAN,
			0, 0, FB_UINT_8, "the server's final state"),
	FB_IE_INIT_FULL("tcpsentryConnState", TS_IPFIX_PEN, IE_CONN_STATE, FB_IE_VARLEN,
			FB_IE_F_NONE, 0, 0, FB_STRING, "Zeek's conn_state"),
	FB_IE_INIT_FULL("tcpsentryHistory", TS_IPFIX_PEN, IE_HISTORY, FB_IE_VARLEN, FB_IE_F_NONE,
			0, 0, FB_STRING, "Zeek's history letters"),
	FB_IE_INIT_FULL("tcpsentryHandshakeMicroseconds", TS_IPFIX_PEN, IE_HANDSHAKE_US, 4,
			FB_IE_F_ENDIAN, 0, 0, FB_UINT_32, "handshake time as the local host saw it"),
	FB_IE_INIT_FULL("tcpsentryFlowFlags", TS_IPFIX_PEN, IE_FLOW_FLAGS, 1, FB_IE_F_ENDIAN, 0,
			0, FB_UINT_8, "1: picked up mid-stream, 2: handshake through a SYN cookie"),
	FB_IE_INIT_FULL("tcpsentryEnd", TS_IPFIX_PEN, IE_END, 1, FB_IE_F_ENDIAN, 0, 0, FB_UINT_8,
			"how it ended: 0 client FIN, 1 server FIN, 2 client RST, 3 server RST, "
			"4 timeout, 5 detach"),
	FB_IE_INIT_FULL("tcpsentryCommunityId", TS_IPFIX_PEN, IE_COMMUNITY_ID, FB_IE_VARLEN,
			FB_IE_F_NONE, 0, 0, FB_STRING, "Community ID v1"),
	FB_IE_INIT_FULL("tcpsentryPayloadOctetsC2S", TS_IPFIX_PEN, IE_PAYLOAD_C2S, 8,
			FB_IE_F_ENDIAN, 0, 0, FB_UINT_64, "TCP payload bytes the client sent"),
	FB_IE_INIT_FULL("tcpsentryPayloadOctetsS2C", TS_IPFIX_PEN, IE_PAYLOAD_S2C, 8,
			FB_IE_F_ENDIAN, 0, 0, FB_UINT_64, "TCP payload bytes the server sent"),
	FB_IE_NULL
};

/*
 * One record as fBufAppend reads it, laid out without holes (largest
 * first; fixbuf reads it as the internal template says, element after
 * element). A field added here goes in its size's group, with its spec
 * below in the same place, and the padding at the end keeps the size a
 * multiple of 8.
 */
struct rec {
	fbVarfield_t conn_state, history, community_id;
	uint64_t start_ms, end_ms;           /* flowStart/EndMilliseconds */
	uint64_t octets, packets;            /* client -> server, IP bytes */
	uint64_t rev_octets, rev_packets;    /* server -> client (RFC 5103 reverse) */
	uint64_t payload_c2s, payload_s2c;
	uint8_t src6[16], dst6[16];          /* client, server */
	uint32_t src4, dst4;                 /* host order: fixbuf writes them in network order */
	uint32_t ingress;
	uint32_t handshake_us;
	uint16_t sport, dport;
	uint16_t tcp_flags, rev_tcp_flags;   /* the flags each side sent, from the history */
	uint8_t proto, end_reason, biflow_dir, client_state, server_state, flow_flags, end;
	uint8_t pad;
};
_Static_assert(sizeof(struct rec) % 8 == 0 && sizeof(struct rec) == 176, "struct rec has no holes");

/* every length explicit: an internal template is a memory layout */
static fbInfoElementSpec_t rec_spec[] = {
	{ "tcpsentryConnState", FB_IE_VARLEN, 0 },
	{ "tcpsentryHistory", FB_IE_VARLEN, 0 },
	{ "tcpsentryCommunityId", FB_IE_VARLEN, 0 },
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "reverseOctetDeltaCount", 8, 0 },
	{ "reversePacketDeltaCount", 8, 0 },
	{ "tcpsentryPayloadOctetsC2S", 8, 0 },
	{ "tcpsentryPayloadOctetsS2C", 8, 0 },
	{ "sourceIPv6Address", 16, F_V6 },
	{ "destinationIPv6Address", 16, F_V6 },
	{ "sourceIPv4Address", 4, F_V4 },
	{ "destinationIPv4Address", 4, F_V4 },
	{ "ingressInterface", 4, 0 },
	{ "tcpsentryHandshakeMicroseconds", 4, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "tcpControlBits", 2, 0 },
	{ "reverseTcpControlBits", 2, 0 },
	{ "protocolIdentifier", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "biflowDirection", 1, 0 },
	{ "tcpsentryClientState", 1, 0 },
	{ "tcpsentryServerState", 1, 0 },
	{ "tcpsentryFlowFlags", 1, 0 },
	{ "tcpsentryEnd", 1, 0 },
	{ "paddingOctets", 1, F_V4 | F_V6 }, /* internal only: in neither external template */
	FB_IESPEC_NULL
};

struct ts_ipfix {
	int transport;
	char host[256], port[32];
	fbInfoModel_t *model;
	fBuf_t *buf;             /* NULL while the exporter is down */
	__u64 next_templates;    /* UDP: when the templates go out again */
	__u64 template_ns;       /* UDP: how often */
	__u64 retry_at;          /* down: when to try again */
	int pending;             /* records appended since the last emit */
	int templates;           /* templates in the buffer since the last emit (not records) */
	struct ts_ipfix_stats st;
};

int ts_ipfix_parse(const char *url, int *transport, char *host, size_t hn, char *port, size_t pn)
{
	const char *hp = url, *colon;
	size_t hl;

	*transport = TS_IPFIX_UDP;
	if (!strncmp(url, "file:", 5)) {
		*transport = TS_IPFIX_FILE;
		if (!url[5] || strlen(url + 5) >= hn)
			return -1;
		snprintf(host, hn, "%s", url + 5);
		snprintf(port, pn, "%s", "");
		return 0;
	}
	if (!strncmp(url, "udp://", 6)) {
		hp = url + 6;
	} else if (!strncmp(url, "tcp://", 6)) {
		*transport = TS_IPFIX_TCP;
		hp = url + 6;
	} else if (strstr(url, "://")) {
		return -1;
	}
	if (*hp == '[') {
		const char *rb = strchr(hp, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - hp - 1);
		hp++;
		colon = rb + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon || memchr(hp, ':', (size_t)(colon - hp)))
			return -1;
		hl = (size_t)(colon - hp);
	}
	if (!hl || hl >= hn || !colon[1] || strlen(colon + 1) >= pn ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) < 1 ||
	    atoi(colon + 1) > 65535)
		return -1;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	snprintf(port, pn, "%s", colon + 1);
	return 0;
}

static void note_error(struct ts_ipfix *x, const char *what, GError *e)
{
	snprintf(x->st.last_error, sizeof(x->st.last_error), "%s: %s", what,
		 e ? e->message : "failed");
	g_clear_error(&e);
}

/* the union of the flags one side sent, as far as its history letters tell */
static uint16_t side_flags(const struct ts_flow *f, unsigned role)
{
	static const uint16_t letter_flags[TS_H_MAX] = {
		[TS_H_SYN] = TS_TCP_SYN, [TS_H_SYNACK] = TS_TCP_SYN | TS_TCP_ACK,
		[TS_H_ACK] = TS_TCP_ACK, [TS_H_DATA] = 0, [TS_H_FIN] = TS_TCP_FIN,
		[TS_H_RST] = TS_TCP_RST,
	};
	uint16_t fl = 0;
	unsigned l;

	for (l = 0; l < TS_H_MAX; l++)
		if (f->hist_mask & (1u << (l * 2 + role)))
			fl |= letter_flags[l];
	return fl;
}

static void down(struct ts_ipfix *x, __u64 retry_at)
{
	if (x->buf)
		fBufFree(x->buf); /* the session, its templates and the exporter too */
	x->buf = NULL;
	x->pending = 0;
	x->templates = 0;
	x->retry_at = retry_at;
}

/* session, templates, exporter: the templates are the first thing in the
 * buffer. 0, or -1 (down). */
static int up(struct ts_ipfix *x)
{
	fbTemplate_t *tint = NULL, *t4 = NULL, *t6 = NULL;
	fbConnSpec_t spec = FB_CONNSPEC_INIT;
	fbExporter_t *exp;
	fbSession_t *s;
	GError *e = NULL;

	s = fbSessionAlloc(x->model);
	tint = fbTemplateAlloc(x->model);
	t4 = fbTemplateAlloc(x->model);
	t6 = fbTemplateAlloc(x->model);
	if (!fbTemplateAppendSpecArray(tint, rec_spec, ~0u, &e) ||
	    !fbTemplateAppendSpecArray(t4, rec_spec, F_V4, &e) ||
	    !fbTemplateAppendSpecArray(t6, rec_spec, F_V6, &e) ||
	    !fbSessionAddTemplate(s, TRUE, TID_INTERNAL, tint, &e) ||
	    !fbSessionAddTemplate(s, FALSE, TID_V4, t4, &e) ||
	    !fbSessionAddTemplate(s, FALSE, TID_V6, t6, &e)) {
		note_error(x, "templates", e);
		fbSessionFree(s);
		return -1;
	}
	if (x->transport == TS_IPFIX_FILE) {
		exp = fbExporterAllocFile(x->host);
	} else {
		spec.transport = x->transport == TS_IPFIX_TCP ? FB_TCP : FB_UDP;
		spec.host = x->host;
		spec.svc = x->port;
		exp = fbExporterAllocNet(&spec);
	}
	x->buf = fBufAllocForExport(s, exp);
	if (!fbSessionExportTemplates(s, &e)) {
		note_error(x, "templates", e);
		down(x, 0);
		return -1;
	}
	return 0;
}

struct ts_ipfix *ts_ipfix_open(const char *url, unsigned template_s, char *err, size_t n)
{
	struct ts_ipfix *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	x->template_ns = (template_s ? template_s : TS_IPFIX_TEMPLATE_S) * 1000000000ull;
	if (ts_ipfix_parse(url, &x->transport, x->host, sizeof(x->host), x->port,
			   sizeof(x->port))) {
		snprintf(err, n, "bad IPFIX collector '%s' (udp://HOST:PORT, tcp://HOST:PORT, "
			 "[V6]:PORT or file:PATH)", url);
		free(x);
		return NULL;
	}
	x->model = fbInfoModelAlloc();
	fbInfoModelAddElementArray(x->model, own_elements);
	if (up(x)) {
		snprintf(err, n, "%s", x->st.last_error);
		ts_ipfix_close(x);
		return NULL;
	}
	x->templates = 1; /* sent at once */
	ts_ipfix_flush(x);
	return x;
}

int ts_ipfix_add(struct ts_ipfix *x, const struct ts_record *r, __u32 ifindex, __s64 wall_off)
{
	const struct ts_flow *f = &r->flow;
	unsigned ci = f->client & 1;
	char cs[8], hist[sizeof(f->hist) + 1], cid[TS_COMMUNITY_ID_LEN];
	const char *zeek = ts_zeek_conn_state(f);
	struct rec d = {};
	GError *e = NULL;
	int v6 = ts_addr_family(r->key.addr[ci]) == 6;

	if (!x->buf) {
		x->st.dropped++;
		return -1;
	}
	snprintf(cs, sizeof(cs), "%s", zeek);
	memcpy(hist, f->hist, sizeof(f->hist));
	hist[f->hist_len < sizeof(f->hist) ? f->hist_len : sizeof(f->hist)] = '\0';
	ts_community_id(cid, sizeof(cid), r->key.addr[ci], r->key.port[ci], r->key.addr[!ci],
			r->key.port[!ci], 0);
	d.conn_state = (fbVarfield_t){ strlen(cs), (uint8_t *)cs };
	d.history = (fbVarfield_t){ strlen(hist), (uint8_t *)hist };
	d.community_id = (fbVarfield_t){ strlen(cid), (uint8_t *)cid };
	d.start_ms = (uint64_t)((__s64)f->first_seen_ns + wall_off) / 1000000;
	d.end_ms = (uint64_t)((__s64)f->last_seen_ns + wall_off) / 1000000;
	d.octets = f->ep[TS_CLIENT].ip_bytes;
	d.packets = f->ep[TS_CLIENT].packets;
	d.rev_octets = f->ep[TS_SERVER].ip_bytes;
	d.rev_packets = f->ep[TS_SERVER].packets;
	d.payload_c2s = f->ep[TS_CLIENT].bytes;
	d.payload_s2c = f->ep[TS_SERVER].bytes;
	if (v6) {
		memcpy(d.src6, r->key.addr[ci], 16);
		memcpy(d.dst6, r->key.addr[!ci], 16);
	} else {
		uint32_t a, b;

		memcpy(&a, r->key.addr[ci] + 12, 4);
		memcpy(&b, r->key.addr[!ci] + 12, 4);
		d.src4 = ntohl(a);
		d.dst4 = ntohl(b);
	}
	d.ingress = ifindex;
	d.handshake_us = f->handshake_us;
	d.sport = ntohs(r->key.port[ci]);
	d.dport = ntohs(r->key.port[!ci]);
	d.tcp_flags = side_flags(f, TS_CLIENT);
	d.rev_tcp_flags = side_flags(f, TS_SERVER);
	d.proto = 6;
	/* flowEndReason: 1 idle timeout, 3 end of flow detected, 4 forced end */
	d.end_reason = r->cause == TS_REC_CLOSED ? 3 : r->cause == TS_REC_DETACH ? 4 : 1;
	d.biflow_dir = 1; /* initiator: the source is the client */
	d.client_state = f->ep[TS_CLIENT].state;
	d.server_state = f->ep[TS_SERVER].state;
	d.flow_flags = ((f->flags & TS_F_PICKED_UP) ? FLOW_PICKED_UP : 0) |
		       ((f->flags & TS_F_COOKIE) ? FLOW_SYNCOOKIE : 0);
	d.end = (uint8_t)ts_rec_end(r);
	if (!fBufSetInternalTemplate(x->buf, TID_INTERNAL, &e) ||
	    !fBufSetExportTemplate(x->buf, v6 ? TID_V6 : TID_V4, &e) ||
	    !fBufAppend(x->buf, (uint8_t *)&d, sizeof(d), &e)) {
		/* a full buffer is sent on the way: this is the send failing */
		note_error(x, "export", e);
		x->st.errors++;
		x->st.dropped += (unsigned long long)x->pending + 1;
		down(x, 0);
		return -1;
	}
	x->pending++;
	x->st.records++;
	return 0;
}

int ts_ipfix_flush(struct ts_ipfix *x)
{
	GError *e = NULL;

	if (!x->buf || !(x->pending || x->templates))
		return x->buf ? 0 : -1;
	if (!fBufEmit(x->buf, &e)) {
		note_error(x, "export", e);
		x->st.errors++;
		x->st.dropped += (unsigned long long)x->pending;
		down(x, 0);
		return -1;
	}
	x->pending = 0;
	x->templates = 0;
	return 0;
}

void ts_ipfix_tick(struct ts_ipfix *x, __u64 now)
{
	GError *e = NULL;

	if (!x->buf) {
		/* down: a new connection (TCP) or socket (UDP), its templates first */
		if (now < x->retry_at)
			return;
		if (up(x)) {
			x->retry_at = now + 1000000000ull;
			return;
		}
		x->next_templates = now + x->template_ns;
		x->templates = 1;
		ts_ipfix_flush(x);
		return;
	}
	if (x->transport != TS_IPFIX_UDP)
		return;
	if (!x->next_templates) {
		x->next_templates = now + x->template_ns;
		return;
	}
	if (now < x->next_templates)
		return;
	x->next_templates = now + x->template_ns;
	if (!fbSessionExportTemplates(fBufGetSession(x->buf), &e)) {
		note_error(x, "templates", e);
		return;
	}
	x->templates = 1;
	ts_ipfix_flush(x);
}

void ts_ipfix_close(struct ts_ipfix *x)
{
	if (!x)
		return;
	ts_ipfix_flush(x);
	down(x, 0);
	if (x->model)
		fbInfoModelFree(x->model);
	free(x);
}

void ts_ipfix_stats(const struct ts_ipfix *x, struct ts_ipfix_stats *s)
{
	*s = x->st;
}
