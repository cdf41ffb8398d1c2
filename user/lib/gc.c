// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table sweeper: see gc.h. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/fsm.h>
#include <tcpsentry/record.h>
#include "gc.h"
#include "mapwalk.h"
#include "policy_store.h"

const __u32 ts_timeouts[TS_STATE_MAX] = TS_TIMEOUTS_DEFAULT;

/* raise half_open_timeout for an embryonic entry the sweeper removes,
 * through the datapath's own anomaly path (tcpsentry_report) */
static void report_half_open(int prog_fd, const struct ts_flow_key *key, const struct ts_flow *f,
			     __u64 now)
{
	struct ts_report r = {
		.key = *key,
		.kind = TS_A_HALF_OPEN_TIMEOUT,
		.got = (__u32)((now - f->last_seen_ns) / 1000000000ull),
		.detail = f->ep[TS_CLIENT].state,
		.client = f->client,
		.family = f->family,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));

	if (prog_fd >= 0)
		bpf_prog_test_run_opts(prog_fd, &o);
}

int ts_record_put(const struct ts_att *a, const struct ts_flow_key *key, const struct ts_flow *f,
		  int cause)
{
	struct ts_record r = { .key = *key, .cause = (__u8)cause, .flow = *f };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));

	if (a->record_fd < 0)
		return -ENOENT;
	if (bpf_prog_test_run_opts(a->record_fd, &o))
		return -errno;
	return o.retval ? -ENOSPC : 0;
}

/* an entry that leaves a table owes its connection's record unless one
 * was made (TS_F_RECORDED) or it is a promoted embryonic copy (its
 * connection lives on in flows) */
static int owes_record(const struct ts_flow *f)
{
	return !(f->flags & (TS_F_RECORDED | TS_F_PROMOTED));
}

int ts_conn_state(const struct ts_flow *f, __u64 now)
{
	int s = ts_effective_state(f, TS_SERVER, now, ts_timeouts);

	if (s == TS_CLOSED || s == TS_LISTEN)
		s = ts_effective_state(f, TS_CLIENT, now, ts_timeouts);
	return s;
}

/* the tables the sweeper walks */
enum { T_EMB, T_FLOWS, T_PICKUPS };

/* What the sweeper decides about one entry: 0 keep, 1 remove, 2 remove
 * and count as half_open_timeout. Embryonic only for the latter. */
static int verdict(const struct ts_flow *f, __u64 now, int table)
{
	int embryonic = table == T_EMB;

	/* a half-open handshake the server gave up on (embryonic only) */
	if (embryonic && !(f->flags & TS_F_PROMOTED) && ts_half_open_timed_out(f, now, ts_timeouts))
		return 2;
	/* a promoted embryonic copy the datapath did not get to delete */
	if (ts_flow_expired(f, now, ts_timeouts) ||
	    ((f->flags & TS_F_PROMOTED) && now - f->last_seen_ns > 1000000000ull))
		return 1;
	/* a pickup the other direction never answered (a spoofed segment,
	 * or a connection whose other half takes another path) */
	if (table == T_PICKUPS && now - f->last_seen_ns > TS_PICKUP_IDLE_NS)
		return 1;
	return 0;
}

struct pass {
	__u64 now;
	int table;           /* T_* */
	int remove;          /* 0: count only */
	int report_fd;       /* tcpsentry_report, for half_open_timeout; -1: none */
	const struct ts_att *rec; /* the records of what is removed go here; NULL: none */
	long removed, half_open;
	struct ts_tally *t;
};

static int one(int fd, const void *key, void *val, void *ctx)
{
	const struct ts_flow *f = val;
	struct pass *p = ctx;
	int v = p->remove ? verdict(f, p->now, p->table) : 0;

	if (v && bpf_map_delete_elem(fd, key) == 0) {
		p->removed++;
		if (p->rec && owes_record(f))
			ts_record_put(p->rec, key, f, TS_REC_EXPIRED);
		if (v == 2) {
			p->half_open++;
			report_half_open(p->report_fd, key, f, p->now);
		}
		return 0;
	}
	if (!p->t)
		return 0;
	if (p->table == T_EMB)
		p->t->embryonic++;
	else if (p->table == T_FLOWS)
		p->t->flows++;
	else
		p->t->pickups++;
	/* a promoted copy is the same connection as its flows entry; a
	 * pickup is no connection until the other direction answers (spoofed
	 * segments would fill the gauges) */
	if (!(f->flags & TS_F_PROMOTED) && p->table != T_PICKUPS)
		p->t->states[ts_conn_state(f, p->now)]++;
	return 0;
}

long ts_gc_sweep_tally(struct ts_att *a, struct ts_tally *t)
{
	__u64 start = ts_now_ns();
	struct pass pe = { .now = start, .table = T_EMB, .remove = 1, .t = t,
			   .report_fd = a->report_fd, .rec = a };
	struct pass pf = { .now = start, .table = T_FLOWS, .remove = 1, .t = t, .report_fd = -1,
			   .rec = a };
	/* unanswered pickups were never connections (spoofed segments, mostly):
	 * no record for them */
	struct pass pp = { .now = start, .table = T_PICKUPS, .remove = 1, .t = t,
			   .report_fd = -1 };
	struct ts_ustats u = {};
	__u32 zero = 0;

	if (t)
		memset(t, 0, sizeof(*t));
	/* half_open_timeout is decided here, not in the datapath: only the
	 * sweeper sees an embryonic entry die unanswered. It is raised through
	 * the tcpsentry_report program (counted per kind, an event, the kind's
	 * rate limit), and kept in ustats too. */
	ts_map_each(a->emb_fd, one, &pe);
	ts_map_each(a->flows_fd, one, &pf);
	if (a->pick_fd >= 0)
		ts_map_each(a->pick_fd, one, &pp);
	if (a->ustats_fd >= 0 && (pe.removed || pf.removed || pp.removed) &&
	    !bpf_map_lookup_elem(a->ustats_fd, &zero, &u)) {
		u.u[TS_U_SWEPT_EMB] += (__u64)pe.removed;
		u.u[TS_U_SWEPT_FLOWS] += (__u64)pf.removed;
		u.u[TS_U_HALF_OPEN_TIMEOUT] += (__u64)pe.half_open;
		u.u[TS_U_SWEPT_PICKUPS] += (__u64)pp.removed;
		bpf_map_update_elem(a->ustats_fd, &zero, &u, 0);
	}
	/* expired deny entries (TTLs, bans) already stopped matching in the
	 * datapath; removing them keeps the trie small */
	ts_list_sweep(a);
	if (t) {
		t->removed = (__u64)(pe.removed + pf.removed + pp.removed);
		t->at_ns = start;
		t->duration_ns = ts_now_ns() - start;
	}
	return pe.removed + pf.removed + pp.removed;
}

long ts_gc_sweep(struct ts_att *a)
{
	return ts_gc_sweep_tally(a, NULL);
}

void ts_tally(const struct ts_att *a, struct ts_tally *t)
{
	__u64 start = ts_now_ns();
	struct pass pe = { .now = start, .table = T_EMB, .t = t };
	struct pass pf = { .now = start, .table = T_FLOWS, .t = t };
	struct pass pp = { .now = start, .table = T_PICKUPS, .t = t };

	memset(t, 0, sizeof(*t));
	ts_map_each(a->emb_fd, one, &pe);
	ts_map_each(a->flows_fd, one, &pf);
	if (a->pick_fd >= 0)
		ts_map_each(a->pick_fd, one, &pp);
	t->at_ns = start;
	t->duration_ns = ts_now_ns() - start;
}

/* detach: every entry still there owes its record */
struct flush {
	const struct ts_att *a;
	long written;
};

static int flush_one(int fd, const void *key, void *val, void *ctx)
{
	struct flush *fl = ctx;

	(void)fd;
	if (owes_record(val) && ts_record_put(fl->a, key, val, TS_REC_DETACH) == 0)
		fl->written++;
	return 0;
}

long ts_gc_flush_records(const struct ts_att *a)
{
	struct flush fl = { .a = a };

	if (a->record_fd < 0)
		return 0;
	ts_map_each(a->emb_fd, flush_one, &fl);
	ts_map_each(a->flows_fd, flush_one, &fl);
	return fl.written;
}
