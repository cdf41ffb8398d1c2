/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Datapath side of the metrics that are not plain counters (see
 * include/tcpsentry/hs_hist.h). */
#ifndef TCPSENTRY_BPF_METRICS_H
#define TCPSENTRY_BPF_METRICS_H

#include "maps.h"
#include <tcpsentry/hs_hist.h>

/* a completed handshake: count its time in the log2 histogram (flows
 * whose handshake the local host did not time have handshake_us 0 and are
 * not counted) */
static __always_inline void hs_observe(const struct ts_flow *f)
{
	struct ts_hs_hist *h;
	__u32 zero = 0, b;

	if (!f || !f->handshake_us)
		return;
	h = bpf_map_lookup_elem(&hs_hist, &zero);
	if (!h)
		return;
	b = ts_hs_bucket(f->handshake_us);
	if (b < TS_HS_BUCKETS)
		h->bucket[b]++;
	h->sum_us += f->handshake_us;
}

#endif /* TCPSENTRY_BPF_METRICS_H */
