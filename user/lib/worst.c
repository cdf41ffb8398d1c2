// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connections and remote prefixes ranked by flow quality: see worst.h. */
#include <stdlib.h>
#include <string.h>
#include <tcpsentry/quality.h>
#include "worst.h"

double ts_hist_quantile(const __u64 *bucket, int nbuckets, double q)
{
	double total = 0, rank, cum = 0, lo = 0, hi;
	int i;

	for (i = 0; i < nbuckets; i++)
		total += (double)bucket[i];
	if (total <= 0)
		return -1;
	rank = q * total;
	for (i = 0; i < nbuckets; i++) {
		hi = (double)(1ull << i) / 1e6;
		if (bucket[i] && cum + (double)bucket[i] >= rank)
			return lo + (hi - lo) * ((rank - cum) / (double)bucket[i]);
		cum += (double)bucket[i];
		lo = hi;
	}
	return lo;
}

const char *const ts_rank_names[] = { "rtt", "retrans", "stall", NULL };

__u64 ts_rank_score(const struct ts_flow *f, int by, __u64 now_ns)
{
	const struct ts_quality *net = &f->q[ts_q_local_role(f)];
	__u32 now_ms = (__u32)(now_ns / 1000000);

	switch (by) {
	case TS_RANK_RTT:
		return net->srtt_us8 ? net->srtt_us8 >> 3 : net->rtt_us;
	case TS_RANK_RETRANS:
		return (__u64)f->q[0].retrans + f->q[1].retrans;
	default:
		return ts_q_zw_total_ms(&f->q[0], now_ms) + ts_q_zw_total_ms(&f->q[1], now_ms);
	}
}

int ts_ranking_add(struct ts_ranking *r, const char *iface, const struct ts_flow_key *k,
		   const struct ts_flow *f)
{
	struct ts_ranked *e;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct ts_ranked *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	e = &r->v[r->n++];
	e->iface = iface;
	e->key = *k;
	e->flow = *f;
	e->score = ts_rank_score(f, r->by, r->now_ns);
	return 0;
}

static int by_score(const void *a, const void *b)
{
	const struct ts_ranked *x = a, *y = b;
	int c;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	c = strcmp(x->iface ? x->iface : "", y->iface ? y->iface : "");
	return c ? c : memcmp(&x->key, &y->key, sizeof(x->key));
}

void ts_ranking_sort(struct ts_ranking *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), by_score);
}

void ts_ranking_free(struct ts_ranking *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

unsigned ts_remote_index(const struct ts_flow *f)
{
	unsigned l0 = !!(f->flags & TS_F_LOCAL0), l1 = !!(f->flags & TS_F_LOCAL1);

	if (l0 != l1)
		return l0 ? 1 : 0;
	return f->client & 1;
}

static void prefix_of(const struct ts_ranked *e, struct ts_prefix_rank *p)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const __u8 *a = e->key.addr[ts_remote_index(&e->flow)];

	memset(p, 0, sizeof(*p));
	memcpy(p->addr, a, 16);
	if (!memcmp(a, v4mapped, sizeof(v4mapped))) {
		p->plen = 24;
		p->addr[15] = 0;
	} else {
		p->plen = 64;
		memset(p->addr + 8, 0, 8);
	}
}

static int by_prefix(const void *a, const void *b)
{
	return memcmp(((const struct ts_prefix_rank *)a)->addr,
		      ((const struct ts_prefix_rank *)b)->addr, 16);
}

static int by_prefix_score(const void *a, const void *b)
{
	const struct ts_prefix_rank *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return by_prefix(a, b);
}

size_t ts_rank_prefixes(const struct ts_ranking *r, struct ts_prefix_rank *out, size_t max)
{
	struct ts_prefix_rank *all;
	size_t i, n = 0;

	if (!r->n || !max)
		return 0;
	all = calloc(r->n, sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < r->n; i++) {
		const struct ts_flow *f = &r->v[i].flow;
		__u32 srtt = f->q[ts_q_local_role(f)].srtt_us8 >> 3;

		prefix_of(&r->v[i], &all[i]);
		all[i].conns = 1;
		all[i].retrans = ts_rank_score(f, TS_RANK_RETRANS, r->now_ns);
		all[i].stall_ms = ts_rank_score(f, TS_RANK_STALL, r->now_ns);
		all[i].max_srtt_us = srtt;
	}
	qsort(all, r->n, sizeof(*all), by_prefix);
	for (i = 0; i < r->n; i++) {
		struct ts_prefix_rank *p = n ? &all[n - 1] : NULL;

		if (p && !memcmp(p->addr, all[i].addr, 16)) {
			p->conns++;
			p->retrans += all[i].retrans;
			p->stall_ms += all[i].stall_ms;
			if (all[i].max_srtt_us > p->max_srtt_us)
				p->max_srtt_us = all[i].max_srtt_us;
		} else {
			all[n++] = all[i];
		}
	}
	for (i = 0; i < n; i++)
		all[i].score = r->by == TS_RANK_RTT     ? all[i].max_srtt_us :
			       r->by == TS_RANK_RETRANS ? all[i].retrans :
							  all[i].stall_ms;
	qsort(all, n, sizeof(*all), by_prefix_score);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
