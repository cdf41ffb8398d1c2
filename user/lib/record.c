// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connection records as JSON lines and text: see record.h and
 * docs/records.md. */
#include <string.h>
#include <time.h>
#include "community_id.h"
#include "format.h"
#include "record.h"

static const char *const end_names[TS_END_MAX] = {
	[TS_END_CLIENT_FIN] = "client_fin", [TS_END_SERVER_FIN] = "server_fin",
	[TS_END_CLIENT_RST] = "client_rst", [TS_END_SERVER_RST] = "server_rst",
	[TS_END_TIMEOUT] = "timeout",       [TS_END_DETACH] = "detach",
};

static const char *const cause_names[TS_REC_CAUSE_MAX] = {
	[TS_REC_CLOSED] = "closed", [TS_REC_EXPIRED] = "expired", [TS_REC_DETACH] = "detach",
};

const char *ts_rec_end_name(int end)
{
	return end >= 0 && end < TS_END_MAX ? end_names[end] : "?";
}

const char *ts_rec_cause_name(unsigned cause)
{
	return cause < TS_REC_CAUSE_MAX && cause_names[cause] ? cause_names[cause] : "?";
}

int ts_rec_end(const struct ts_record *r)
{
	const struct ts_flow *f = &r->flow;
	unsigned i, n = f->hist_len < sizeof(f->hist) ? f->hist_len : sizeof(f->hist);

	if (r->cause == TS_REC_CLOSED && (r->end_flags & TS_TCP_RST))
		return r->end_side == TS_SERVER ? TS_END_SERVER_RST : TS_END_CLIENT_RST;
	/* history letters in order of first appearance; upper case: the client */
	for (i = 0; i < n; i++) {
		if (f->hist[i] == 'F')
			return TS_END_CLIENT_FIN;
		if (f->hist[i] == 'f')
			return TS_END_SERVER_FIN;
	}
	for (i = 0; r->cause == TS_REC_CLOSED && i < n; i++) {
		if (f->hist[i] == 'R')
			return TS_END_CLIENT_RST;
		if (f->hist[i] == 'r')
			return TS_END_SERVER_RST;
	}
	return r->cause == TS_REC_DETACH ? TS_END_DETACH : TS_END_TIMEOUT;
}

__s64 ts_wall_offset_ns(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((__s64)rt.tv_sec - (__s64)mono.tv_sec) * 1000000000ll +
	       ((__s64)rt.tv_nsec - (__s64)mono.tv_nsec);
}

/* epoch seconds with microseconds, as Zeek's "ts" */
static void print_epoch(FILE *out, __u64 mono_ns, __s64 off)
{
	__s64 t = (__s64)mono_ns + off;
	__u64 us = (__u64)(t < 0 ? 0 : t) / 1000;

	fprintf(out, "%llu.%06llu", (unsigned long long)(us / 1000000),
		(unsigned long long)(us % 1000000));
}

/* no timeouts: a record prints the states the endpoints ended in */
static const __u32 as_they_were[TS_STATE_MAX];

static void conn_view(const struct ts_rec_view *v, struct ts_conn_view *cv)
{
	*cv = (struct ts_conn_view){ .iface = v->iface, .key = &v->rec->key,
				     .flow = &v->rec->flow, .now_ns = v->rec->flow.last_seen_ns,
				     .timeouts = as_they_were };
}

static __u64 duration_us(const struct ts_flow *f)
{
	return f->last_seen_ns > f->first_seen_ns ? (f->last_seen_ns - f->first_seen_ns) / 1000 : 0;
}

void ts_record_quality_json(FILE *out, const struct ts_flow *f)
{
	/* struct ts_quality (RTT, retransmissions, reordering, zero-window
	 * stalls) is not in the flow entry yet: nothing to write */
	(void)out;
	(void)f;
}

void ts_print_record_json(FILE *out, const struct ts_rec_view *v)
{
	const struct ts_record *r = v->rec;
	const struct ts_flow *f = &r->flow;
	unsigned ci = f->client & 1;
	struct ts_conn_view cv;
	char cid[TS_COMMUNITY_ID_LEN];
	__u64 us = duration_us(f);

	conn_view(v, &cv);
	fputs("{\"ts\":", out);
	print_epoch(out, f->first_seen_ns, v->wall_off_ns);
	fputs(",\"ts_end\":", out);
	print_epoch(out, f->last_seen_ns, v->wall_off_ns);
	fputs(",\"type\":\"conn\",", out);
	ts_print_conn_members(out, &cv);
	fprintf(out,
		",\"ip_bytes_c2s\":%llu,\"ip_bytes_s2c\":%llu,\"duration_ms\":%llu.%03llu,"
		"\"cause\":\"%s\",\"end\":\"%s\",\"community_id\":\"%s\"",
		(unsigned long long)f->ep[TS_CLIENT].ip_bytes,
		(unsigned long long)f->ep[TS_SERVER].ip_bytes, (unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000), ts_rec_cause_name(r->cause),
		ts_rec_end_name(ts_rec_end(r)),
		ts_community_id(cid, sizeof(cid), r->key.addr[ci], r->key.port[ci],
				r->key.addr[!ci], r->key.port[!ci], v->cid_seed));
	ts_record_quality_json(out, f);
	fputs("}\n", out);
}

void ts_print_record_header(FILE *out)
{
	fprintf(out, "%-10s %-46s %-46s %-6s %-10s %-21s %-21s %10s %s\n", "IFACE", "CLIENT",
		"SERVER", "ZEEK", "HISTORY", "C>S PKTS/BYTES", "S>C PKTS/BYTES", "DURATION",
		"END");
}

void ts_print_record_text(FILE *out, const struct ts_rec_view *v)
{
	const struct ts_record *r = v->rec;
	const struct ts_flow *f = &r->flow;
	unsigned ci = f->client & 1;
	char c[64], s[64], cs[24], ss[24], hist[sizeof(f->hist) + 1];
	__u64 us = duration_us(f);

	ts_fmt_endpoint(c, sizeof(c), r->key.addr[ci], r->key.port[ci]);
	ts_fmt_endpoint(s, sizeof(s), r->key.addr[!ci], r->key.port[!ci]);
	snprintf(cs, sizeof(cs), "%llu/%llu", (unsigned long long)f->ep[TS_CLIENT].packets,
		 (unsigned long long)f->ep[TS_CLIENT].bytes);
	snprintf(ss, sizeof(ss), "%llu/%llu", (unsigned long long)f->ep[TS_SERVER].packets,
		 (unsigned long long)f->ep[TS_SERVER].bytes);
	memcpy(hist, f->hist, sizeof(f->hist));
	hist[f->hist_len < sizeof(f->hist) ? f->hist_len : sizeof(f->hist)] = '\0';
	fprintf(out, "%-10s %-46s %-46s %-6s %-10s %-21s %-21s %6llu.%03llu %s (%s)%s%s\n", v->iface,
		c, s, ts_zeek_conn_state(f), hist, cs, ss, (unsigned long long)(us / 1000000),
		(unsigned long long)(us / 1000 % 1000), ts_rec_end_name(ts_rec_end(r)),
		ts_rec_cause_name(r->cause), (f->flags & TS_F_PICKED_UP) ? " picked-up" : "",
		(f->flags & TS_F_COOKIE) ? " syncookie" : "");
}
