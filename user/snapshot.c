// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading one attachment's metrics from its pins: fixed-size per-CPU
 * arrays only (a handful of syscalls), never a walk of a flow table. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <tcpsentry/sketch.h>
#include "format.h"
#include "metrics.h"

static int open_pin(const char *dir, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return bpf_obj_get(p);
}

int ts_msrc_open(struct ts_msrc *m, const char *ifname)
{
	int e = ts_att_open(&m->att, ifname);

	m->hist_fd = -1;
	if (e)
		return e;
	m->hist_fd = open_pin(m->att.dir, "hs_hist");
	return 0;
}

void ts_msrc_close(struct ts_msrc *m)
{
	ts_att_close(&m->att);
	if (m->hist_fd >= 0)
		close(m->hist_fd);
	m->hist_fd = -1;
}

int ts_msnap_read(const struct ts_msrc *m, const struct ts_tally *tally,
		  struct ts_msnap_if *out)
{
	const struct ts_att *a = &m->att;
	__u64 c[TS_C_MAX];
	__u32 zero = 0, k;

	memset(out, 0, sizeof(*out));
	snprintf(out->iface, sizeof(out->iface), "%s", a->ifname);
	if (a->drops_fd >= 0)
		out->have_drops = !ts_percpu_sum(a->drops_fd, sizeof(struct ts_drops), 0,
						 (int)(sizeof(struct ts_drops) / 8),
						 (__u64 *)&out->drops);
	if (ts_percpu_sum(a->counters_fd, sizeof(struct ts_counters),
			  offsetof(struct ts_counters, c), TS_C_MAX, c))
		return -1;
	out->pkts_in = c[TS_C_PKTS_IN];
	out->pkts_out = c[TS_C_PKTS_OUT];
	out->in_pass = c[TS_C_IN_PASS];
	out->in_drop = c[TS_C_IN_DROP];
	out->in_tx = c[TS_C_IN_TX];
	out->out_pass = c[TS_C_OUT_PASS];
	out->opened = c[TS_C_PROMOTE] + c[TS_C_PICKUP];
	out->events_lost = c[TS_C_EVENTS_LOST];
	out->syncookies[0] = c[TS_C_COOKIE_SENT];
	out->syncookies[1] = c[TS_C_COOKIE_VALID];
	out->syncookies[2] = c[TS_C_COOKIE_FAILED];
	out->syncookies[3] = c[TS_C_COOKIE_HANDOVER];
	if (a->anomalies_fd >= 0)
		ts_percpu_sum(a->anomalies_fd, sizeof(struct ts_anomalies),
			      offsetof(struct ts_anomalies, count), TS_A_MAX, out->anomalies);
	if (a->ustats_fd >= 0 && a->report_fd < 0) {
		struct ts_ustats u = {};

		/* an older attachment, without the report program: half-open
		 * timeouts are only in the sweeper's ustats (user/gc.c) */
		if (!bpf_map_lookup_elem(a->ustats_fd, &zero, &u))
			out->anomalies[TS_A_HALF_OPEN_TIMEOUT] += u.u[TS_U_HALF_OPEN_TIMEOUT];
	}
	if (m->hist_fd >= 0)
		out->have_hist = !ts_percpu_sum(m->hist_fd, sizeof(struct ts_hs_hist), 0,
						(int)(sizeof(struct ts_hs_hist) / 8),
						(__u64 *)&out->hist);
	if (tally) {
		out->have_tally = 1;
		out->tally = *tally;
	}
	out->cap_flows = a->meta.max_flows;
	out->cap_embryonic = a->meta.max_embryonic;
	for (k = 0; a->floods_fd >= 0 && k < TS_SYN_SLOTS; k++) {
		struct ts_flood f;

		if (bpf_map_lookup_elem(a->floods_fd, &k, &f) || !f.active)
			continue;
		if (k == TS_SYN_HOST)
			out->flood_host = 1;
		else
			out->floods_port++;
	}
	return 0;
}
