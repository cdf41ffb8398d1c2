// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `events`: follow the ring buffers of the attachments until Ctrl-C,
 * --count events or --timeout seconds. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cmds.h"
#include "format.h"
#include "gc.h"
#include "log.h"
#include "pins.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct ev_src {
	char iface[16];
	int json;
	__u64 *seen;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct ev_src *s = ctx;

	if (len < sizeof(struct ts_event))
		return 0;
	if (s->json)
		ts_print_event_json(stdout, s->iface, data);
	else
		ts_print_event_text(stdout, s->iface, data);
	(*s->seen)++;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "iface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ev_src srcs[64];
	struct ts_att atts[64];
	struct ring_buffer *rb = NULL;
	const char *iface = NULL;
	char names[64][16];
	__u64 count = 0, timeout = 0, seen = 0, start;
	int json = 0, c, n, i, rc = 0, opened = 0;

	while ((c = getopt_long(argc, argv, "ji:c:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i': iface = optarg; break;
		case 'c':
			if (ts_parse_u64(optarg, 1, ~0ull, &count))
				return ts_usage_error("events", "bad --count '%s'", optarg);
			break;
		case 't':
			if (ts_parse_u64(optarg, 1, 86400 * 365, &timeout))
				return ts_usage_error("events", "bad --timeout '%s' (seconds)", optarg);
			break;
		case 'h':
			printf("usage: tcpsentry events [-j] [--iface IF] [--count N] [--timeout SEC]\n");
			return 0;
		default: return ts_usage_error("events", NULL);
		}
	}
	if (optind < argc)
		return ts_usage_error("events", "unexpected argument '%s'", argv[optind]);
	n = ts_select_ifaces(iface, names, 64);
	if (n < 0)
		return 1;
	if (n == 0) {
		err("nothing is attached in this network namespace\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int e = ts_att_open(&atts[i], names[i]);

		if (e || atts[i].events_fd < 0) {
			err("cannot open the events of %s: %s\n", names[i], strerror(e ? -e : ENOENT));
			rc = 1;
			goto out;
		}
		opened++;
		snprintf(srcs[i].iface, sizeof(srcs[i].iface), "%s", names[i]);
		srcs[i].json = json;
		srcs[i].seen = &seen;
		if (!rb)
			rb = ring_buffer__new(atts[i].events_fd, on_event, &srcs[i], NULL);
		else if (ring_buffer__add(rb, atts[i].events_fd, on_event, &srcs[i]))
			rb = NULL;
		if (!rb) {
			err("cannot read the ring buffer of %s: %s\n", names[i], strerror(errno));
			rc = 1;
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	start = ts_now_ns();
	while (!stop) {
		int r = ring_buffer__poll(rb, 100);

		if (r < 0 && r != -EINTR) {
			err("reading events: %s\n", strerror(-r));
			rc = 1;
			break;
		}
		if (count && seen >= count)
			break;
		if (timeout && ts_now_ns() - start >= timeout * 1000000000ull)
			break;
	}
out:
	ring_buffer__free(rb);
	for (i = 0; i < opened; i++)
		ts_att_close(&atts[i]);
	return rc;
}
