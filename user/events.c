// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `events`: follow the ring buffers of the attachments until Ctrl-C,
 * --count events or --timeout seconds; --pcap writes the frames they carry. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cmds.h"
#include "format.h"
#include "log.h"
#include "mapwalk.h"
#include "opts.h"
#include "pcap_out.h"
#include "pins.h"
#include "record.h"

struct events_opts {
	struct ts_read_opts read;
	__u64 count;    /* 0: no limit */
	__u64 timeout;  /* seconds, 0: none */
	const char *pcap;
};

static const struct ts_opt events_options[] = {
	TS_OPT_GROUP_OF(ts_read_options, struct events_opts, read),
	TS_OPT("count", 'c', TS_OPT_U64, struct events_opts, count, .arg = "N", .min = 1,
	       .max = ~0ull, .help = "stop after N events"),
	TS_OPT("timeout", 't', TS_OPT_U64, struct events_opts, timeout, .arg = "SEC",
	       .min = 1, .max = 86400 * 365, .unit = "s", .help = "stop after SEC seconds"),
	TS_OPT("pcap", 0, TS_OPT_STR, struct events_opts, pcap, .arg = "FILE",
	       .help = "also write the frames of anomaly and drop events to FILE (pcap; each "
		       "one flushed as it comes)"),
	{}
};

static const struct ts_cmd events_cmd = {
	.name = "events",
	.doc = "Follow the events of the attachments (state transitions, anomalies, bans)\n"
	       "until Ctrl-C, --count events or --timeout seconds.\n",
	.opts = events_options,
	.defaults = &(const struct events_opts){},
	.size = sizeof(struct events_opts),
};

struct ev_src {
	const char *iface;
	int json;
	__u64 *seen;
	struct ts_pcap *pcap;
	__s64 wall_off;
	__u64 count;    /* --count: print no more (0: no limit) */
};

/* One poll can bring many records: past --count, none is printed and the
 * poll stops (a negative return ends libbpf's loop). */
static int on_event(void *ctx, void *data, size_t len)
{
	struct ev_src *s = ctx;

	if (s->count && *s->seen >= s->count)
		return -ECANCELED;
	if (len < sizeof(struct ts_event))
		return 0;
	if (s->json)
		ts_print_event_json(stdout, s->iface, data);
	else
		ts_print_event_text(stdout, s->iface, data);
	if (s->pcap && ts_pcap_write(s->pcap, data, len, s->wall_off) < 0)
		err("cannot write a pcap record: %s\n", strerror(errno));
	(*s->seen)++;
	return s->count && *s->seen >= s->count ? -ECANCELED : 0;
}

int cmd_events(int argc, char **argv)
{
	struct ts_att atts[TS_ATT_MAX];
	struct ev_src srcs[TS_ATT_MAX];
	struct ring_buffer *rb = NULL;
	struct ts_pcap *pcap = NULL;
	struct events_opts o;
	__u64 seen = 0;
	int first, n, i, rc;
	char msg[512];

	rc = ts_opts_parse(&events_cmd, argc, argv, &o, &first, stdout);
	if (rc != TS_OPTS_GO)
		return rc;
	n = ts_att_open_all(o.read.iface, atts, TS_ATT_MAX);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	if (o.pcap && !(pcap = ts_pcap_open_file(o.pcap, msg, sizeof(msg)))) {
		err("--pcap: %s\n", msg);
		ts_att_close_all(atts, n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		int e;

		srcs[i] = (struct ev_src){ .iface = atts[i].ifname, .json = o.read.json, .seen = &seen,
					   .pcap = pcap, .wall_off = ts_wall_offset_ns(),
					   .count = o.count };
		e = ts_ringbuf_add(&rb, atts[i].events_fd, on_event, &srcs[i]);
		if (e) {
			err("cannot read the events of %s: %s\n", atts[i].ifname, strerror(-e));
			rc = 1;
			goto out;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = ts_ringbuf_follow(rb, 1, ts_follow_stop_on_signals(), &seen, o.count,
			       o.timeout);
	if (rc)
		err("reading events: %s\n", strerror(-rc));
	rc = rc ? 1 : 0;
out:
	ring_buffer__free(rb);
	ts_pcap_close(pcap);
	ts_att_close_all(atts, n);
	return rc;
}
