// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One attachment's maps, read: see readout.h. */
#include <stddef.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapwalk.h"
#include "readout.h"
#include "xdp_libxdp.h"

int ts_read_counts(const struct ts_att *a, struct ts_readout *r)
{
	__u32 zero = 0;
	int e;

	memset(r, 0, sizeof(*r));
	/* drops before the counters: the ingress "pass" (seen - dropped) of
	 * the metrics then never counts a drop the seen count lacks yet */
	r->have_drops = !ts_percpu_sum(a->drops_fd, sizeof(struct ts_drops), 0,
				       (int)(sizeof(struct ts_drops) / 8), (__u64 *)&r->drops);
	e = ts_percpu_sum(a->counters_fd, sizeof(struct ts_counters),
			  offsetof(struct ts_counters, c), TS_C_MAX, r->c);
	ts_percpu_sum(a->counters_fd, sizeof(struct ts_counters), offsetof(struct ts_counters, q),
		      (int)(sizeof(struct ts_qcounters) / 8), (__u64 *)&r->q);
	ts_percpu_sum(a->anomalies_fd, sizeof(struct ts_anomalies),
		      offsetof(struct ts_anomalies, count), TS_A_MAX, r->anomalies);
	if (a->ustats_fd >= 0)
		bpf_map_lookup_elem(a->ustats_fd, &zero, &r->ustats);
	/* an attachment without the tcpsentry_report program: half-open
	 * timeouts are only in the sweeper's count (gc.c) */
	if (a->report_fd < 0)
		r->anomalies[TS_A_HALF_OPEN_TIMEOUT] += r->ustats.u[TS_U_HALF_OPEN_TIMEOUT];
	r->att.chaining = ts_xdp_chaining_name(a->meta.flags);
	r->att.chaining_desc = ts_xdp_chaining_desc(a->meta.flags);
	r->att.features = a->meta.features;
	r->att.state = ts_att_check(a, r->att.why, sizeof(r->att.why));
	return e;
}

/* what was inserted and neither removed by the datapath or the sweeper nor
 * still there */
static __u64 evicted(__u64 inserted, __u64 gone)
{
	return inserted > gone ? inserted - gone : 0;
}

void ts_read_tables(const struct ts_att *a, const struct ts_readout *r, struct ts_tables *t)
{
	t->flows = ts_map_count(a->flows_fd);
	t->embryonic = ts_map_count(a->emb_fd);
	t->flows_capacity = a->meta.max_flows;
	t->embryonic_capacity = a->meta.max_embryonic;
	t->embryonic_evictions = evicted(r->c[TS_C_EMB_INSERT], r->c[TS_C_PROMOTE] +
					 r->ustats.u[TS_U_SWEPT_EMB] + (__u64)t->embryonic);
	t->flow_evictions = evicted(r->c[TS_C_FLOW_INSERT],
				    r->ustats.u[TS_U_SWEPT_FLOWS] + (__u64)t->flows);
}

int ts_read_floods(const struct ts_att *a, struct ts_flood f[TS_SYN_SLOTS])
{
	__u32 k;

	memset(f, 0, sizeof(*f) * TS_SYN_SLOTS);
	if (a->floods_fd < 0)
		return -1;
	for (k = 0; k < TS_SYN_SLOTS; k++)
		if (bpf_map_lookup_elem(a->floods_fd, &k, &f[k]))
			memset(&f[k], 0, sizeof(f[k]));
	return 0;
}

int ts_read_view(const struct ts_att *a, struct ts_view *v)
{
	int rc = ts_read_counts(a, &v->r);

	ts_read_tables(a, &v->r, &v->t);
	ts_read_floods(a, v->floods);
	return rc;
}
