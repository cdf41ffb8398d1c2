// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading one attachment's metrics from its pins: the readout's per-CPU
 * arrays (a handful of syscalls), never a walk of a flow table. */
#include <stdio.h>
#include <string.h>
#include "mapwalk.h"
#include "prom.h"
#include "readout.h"

int ts_msnap_read(const struct ts_att *a, const struct ts_tally *tally, struct ts_msnap_if *out)
{
	struct ts_flood floods[TS_SYN_SLOTS];
	struct ts_readout r;
	__u32 k;

	memset(out, 0, sizeof(*out));
	snprintf(out->iface, sizeof(out->iface), "%s", a->ifname);
	if (ts_read_counts(a, &r))
		return -1;
	out->have_drops = r.have_drops;
	out->drops = r.drops;
	out->pkts_in = r.c[TS_C_PKTS_IN];
	out->pkts_out = r.c[TS_C_PKTS_OUT];
	out->in_pass = r.c[TS_C_IN_PASS];
	out->in_drop = r.c[TS_C_IN_DROP];
	out->in_tx = r.c[TS_C_IN_TX];
	out->out_pass = r.c[TS_C_OUT_PASS];
	out->opened = r.c[TS_C_PROMOTE] + r.c[TS_C_PICKUP];
	out->events_lost = r.c[TS_C_EVENTS_LOST];
	out->records = r.c[TS_C_RECORDS];
	out->records_lost = r.c[TS_C_RECORDS_LOST];
	out->syncookies[0] = r.c[TS_C_COOKIE_SENT];
	out->syncookies[1] = r.c[TS_C_COOKIE_VALID];
	out->syncookies[2] = r.c[TS_C_COOKIE_FAILED];
	out->syncookies[3] = r.c[TS_C_COOKIE_HANDOVER];
	memcpy(out->anomalies, r.anomalies, sizeof(out->anomalies));
	out->q = r.q;
	out->have_hist = !ts_percpu_sum(a->hist_fd, sizeof(struct ts_hs_hist), 0,
					(int)(sizeof(struct ts_hs_hist) / 8), (__u64 *)&out->hist);
	if (tally) {
		out->have_tally = 1;
		out->tally = *tally;
	}
	out->cap_flows = a->meta.max_flows;
	out->cap_embryonic = a->meta.max_embryonic;
	ts_read_floods(a, floods);
	for (k = 0; k < TS_SYN_SLOTS; k++) {
		if (!floods[k].active)
			continue;
		if (k == TS_SYN_HOST)
			out->flood_host = 1;
		else
			out->floods_port++;
	}
	return 0;
}
