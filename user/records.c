// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `records`: the connection records of the attachments (one per connection
 * that ended: include/tcpsentry/record.h), as text or JSON lines. Without
 * --follow, those waiting in the ring; with it, as they come, until Ctrl-C,
 * --count records or --timeout seconds. Records are made only while a
 * reader wants them: --follow switches them on while it runs (and back
 * off if it found them off); `run --records` or `--ipfix` keep them on.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cmds.h"
#include "log.h"
#include "mapwalk.h"
#include "opts.h"
#include "pins.h"
#include "policy_store.h"
#include "record.h"

struct records_opts {
	struct ts_read_opts read;
	int follow;
	__u64 count;    /* 0: no limit */
	__u64 timeout;  /* seconds, 0: none */
};

static const struct ts_opt records_options[] = {
	TS_OPT_GROUP_OF(ts_read_options, struct records_opts, read),
	TS_OPT("follow", 'f', TS_OPT_FLAG, struct records_opts, follow,
	       .help = "keep reading, and have records made while reading"),
	TS_OPT("count", 'c', TS_OPT_U64, struct records_opts, count, .arg = "N", .min = 1,
	       .max = ~0ull, .help = "with --follow: stop after N records"),
	TS_OPT("timeout", 't', TS_OPT_U64, struct records_opts, timeout, .arg = "SEC",
	       .min = 1, .max = 86400 * 365, .unit = "s",
	       .help = "with --follow: stop after SEC seconds"),
	{}
};

static const struct ts_cmd records_cmd = {
	.name = "records",
	.doc = "Connection records: one per connection that ended (closed, expired, or open\n"
	       "when tcpsentry detached), with its endpoints, counters, states, Zeek\n"
	       "conn_state and history, how it ended and its Community ID. Only one reader\n"
	       "of an attachment's records at a time (`run --records` is one).\n",
	.opts = records_options,
	.defaults = &(const struct records_opts){},
	.size = sizeof(struct records_opts),
};

struct rec_src {
	const char *iface;
	int json;
	__s64 wall_off;
	__u64 *seen;
	__u64 count;    /* --count: print no more (0: no limit) */
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct rec_src *s = ctx;
	struct ts_rec_view v = { .iface = s->iface, .rec = data, .wall_off_ns = s->wall_off };

	/* one poll can bring many records: past --count none is printed */
	if (s->count && *s->seen >= s->count)
		return -ECANCELED;
	if (len < sizeof(struct ts_record))
		return 0;
	if (s->json)
		ts_print_record_json(stdout, &v);
	else
		ts_print_record_text(stdout, &v);
	(*s->seen)++;
	return s->count && *s->seen >= s->count ? -ECANCELED : 0;
}

int cmd_records(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct rec_src srcs[TS_ATT_MAX];
	int were[TS_ATT_MAX];
	struct ring_buffer *rb = NULL;
	struct records_opts o;
	__u64 seen = 0;
	int first, n, i, rc = 1;

	rc = ts_opts_parse(&records_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	if ((o.count || o.timeout) && !o.follow)
		return ts_usage_error("records", "--count and --timeout go with --follow");
	n = ts_att_open_all(o.read.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	rc = 1;
	for (i = 0; i < n; i++) {
		int e;

		/* --follow: on while it reads; else only what is there */
		were[i] = e = o.follow ? ts_records_switch(&atts[i], 1) : 1;
		if (e == 0 || e == 1) {
			srcs[i] = (struct rec_src){ .iface = atts[i].ifname, .json = o.read.json,
						    .wall_off = ts_wall_offset_ns(), .seen = &seen,
						    .count = o.count };
			e = ts_ringbuf_add(&rb, atts[i].records_fd, on_record, &srcs[i]);
		}
		if (e < 0) {
			err("cannot read the connection records of %s: %s%s\n", atts[i].ifname,
			    strerror(-e), e == -ENOENT ? " (attached by an older tcpsentry)" : "");
			n = i + 1;
			goto out;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!o.read.json)
		ts_print_record_header(stdout);
	rc = ts_ringbuf_follow(rb, o.follow, ts_follow_stop_on_signals(), &seen, o.count,
			       o.timeout);
	if (rc)
		err("reading records: %s\n", strerror(-rc));
	rc = rc ? 1 : 0;
out:
	for (i = 0; i < n; i++)
		if (o.follow && were[i] == 0)
			ts_records_switch(&atts[i], 0);
	ring_buffer__free(rb);
	ts_att_close_all(atts, n);
	return rc;
}
