// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The policy of one attachment in its pinned maps: see policy_store.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "policy_store.h"

__u64 ts_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

int ts_policy_lock(const struct ts_att *a)
{
	int fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

void ts_policy_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int have_maps(const struct ts_att *a)
{
	return a->config_fd >= 0 && a->policy_fd >= 0 && a->allow_fd >= 0 && a->deny_fd >= 0;
}

static int read_slot(const struct ts_att *a, struct ts_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(a->config_fd, &zero, cfg) ? -errno : 0;
}

int ts_policy_read(const struct ts_att *a, struct ts_policy *p)
{
	struct ts_config cfg;
	__u32 slot;
	int e;

	if (!have_maps(a))
		return -ENOENT;
	e = read_slot(a, &cfg);
	if (e)
		return e;
	slot = cfg.policy_slot & 1;
	return bpf_map_lookup_elem(a->policy_fd, &slot, p) ? -errno : 0;
}

static int list_fd(const struct ts_att *a, enum ts_list l)
{
	return l == TS_LIST_ALLOW ? a->allow_fd : a->deny_fd;
}

/*
 * Walk a trie: cb(key, value) for every entry. Keys are collected first,
 * so cb may delete. Returns 0 or -errno.
 */
typedef int (*walk_cb)(int fd, const struct ts_lpm_key *k, const struct ts_list_val *v,
		       void *ctx);
static int walk(int fd, walk_cb cb, void *ctx)
{
	struct ts_lpm_key *keys = NULL, k, *prev = NULL;
	size_t n = 0, cap = 0, i;
	int e = 0;

	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		if (n == cap) {
			struct ts_lpm_key *nk;

			cap = cap ? cap * 2 : 256;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				free(keys);
				return -ENOMEM;
			}
			keys = nk;
		}
		keys[n] = k;
		prev = &keys[n++];
	}
	for (i = 0; i < n && !e; i++) {
		struct ts_list_val v;

		if (bpf_map_lookup_elem(fd, &keys[i], &v))
			continue; /* gone meanwhile */
		e = cb(fd, &keys[i], &v, ctx);
	}
	free(keys);
	return e;
}

struct count_ctx {
	__u32 gen;
	__u64 now;
	size_t n;
};

static int count_cb(int fd, const struct ts_lpm_key *k, const struct ts_list_val *v, void *ctx)
{
	struct count_ctx *c = ctx;

	(void)fd;
	if (k->gen == c->gen && (!v->expires_ns || v->expires_ns > c->now))
		c->n++;
	return 0;
}

static size_t list_count(int fd, __u32 gen)
{
	struct count_ctx c = { .gen = gen, .now = ts_mono_ns() };

	walk(fd, count_cb, &c);
	return c.n;
}

/* which lookups the datapath must make for policy p */
static __u32 policy_flags(const struct ts_att *a, const struct ts_policy *p)
{
	__u32 f = 0;
	unsigned k;

	if (list_count(a->allow_fd, p->list_gen))
		f |= TS_POL_ALLOW;
	if (list_count(a->deny_fd, p->list_gen))
		f |= TS_POL_DENY;
	/* the datapath may write bans: it must look them up */
	for (k = 0; k < TS_A_MAX; k++)
		if (p->mode == TS_MODE_ENFORCE && p->action[k] == TS_ACT_BAN)
			f |= TS_POL_DENY;
	return f;
}

int ts_policy_commit(const struct ts_att *a, struct ts_policy *p)
{
	struct ts_config cfg;
	__u32 zero = 0, next;
	int e;

	if (!have_maps(a))
		return -ENOENT;
	e = read_slot(a, &cfg);
	if (e)
		return e;
	p->list_gen &= 1;
	p->flags = policy_flags(a, p);
	next = (cfg.policy_slot & 1) ^ 1;
	if (bpf_map_update_elem(a->policy_fd, &next, p, 0))
		return -errno;
	cfg.policy_slot = next;
	if (bpf_map_update_elem(a->config_fd, &zero, &cfg, 0))
		return -errno;
	usleep(TS_POLICY_QUIESCE_US);
	return 0;
}

static void lpm_key(struct ts_lpm_key *k, const struct ts_cidr *c, __u32 gen)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = TS_LPM_BITS(c->plen);
	k->gen = (__u8)gen;
	memcpy(k->addr, c->addr, 16);
}

static int put(int fd, const struct ts_cidr *c, __u32 gen, __u32 ttl, __u64 now)
{
	struct ts_lpm_key k;
	struct ts_list_val v = { .added_ns = now };

	lpm_key(&k, c, gen);
	if (ttl)
		v.expires_ns = now + (__u64)ttl * 1000000000ull;
	return bpf_map_update_elem(fd, &k, &v, 0) ? -errno : 0;
}

struct gen_ctx {
	__u32 gen;      /* entries of this generation ... */
	__u32 to;       /* ... copied to this one (bans only), or deleted */
	int copy_bans;
	__u64 now;
};

static int gen_cb(int fd, const struct ts_lpm_key *k, const struct ts_list_val *v, void *ctx)
{
	struct gen_ctx *g = ctx;
	struct ts_lpm_key nk;

	if (k->gen != g->gen)
		return 0;
	if (!g->copy_bans) {
		bpf_map_delete_elem(fd, k);
		return 0;
	}
	if (!v->reason || (v->expires_ns && v->expires_ns <= g->now))
		return 0;
	nk = *k;
	nk.gen = (__u8)g->to;
	/* BPF_NOEXIST: the new list's own entry for the address wins */
	if (bpf_map_update_elem(fd, &nk, v, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return 0;
}

static void drop_gen(int fd, __u32 gen)
{
	struct gen_ctx g = { .gen = gen };

	walk(fd, gen_cb, &g);
}

int ts_policy_replace(const struct ts_att *a, const struct ts_policy *p,
		      const struct ts_cidr *allow, size_t n_allow,
		      const struct ts_cidr *deny, size_t n_deny)
{
	struct ts_policy cur, np = *p;
	struct gen_ctx bans;
	__u64 now = ts_mono_ns();
	__u32 g;
	size_t i;
	int e;

	e = ts_policy_read(a, &cur);
	if (e)
		return e;
	g = (cur.list_gen & 1) ^ 1;
	/* leftovers of an interrupted swap */
	drop_gen(a->allow_fd, g);
	drop_gen(a->deny_fd, g);
	for (i = 0; i < n_allow && !e; i++)
		e = put(a->allow_fd, &allow[i], g, 0, now);
	for (i = 0; i < n_deny && !e; i++)
		e = put(a->deny_fd, &deny[i], g, deny[i].ttl, now);
	bans = (struct gen_ctx){ .gen = cur.list_gen & 1, .to = g, .copy_bans = 1, .now = now };
	if (!e)
		e = walk(a->deny_fd, gen_cb, &bans);
	np.list_gen = g;
	if (!e)
		e = ts_policy_commit(a, &np);
	if (e) {
		/* nothing in force changed: take the half-written generation back */
		drop_gen(a->allow_fd, g);
		drop_gen(a->deny_fd, g);
		return e;
	}
	/* bans the datapath wrote during the swap, then the old generation */
	walk(a->deny_fd, gen_cb, &bans);
	drop_gen(a->allow_fd, cur.list_gen & 1);
	drop_gen(a->deny_fd, cur.list_gen & 1);
	return 0;
}

/* after a list edit: recompute the flags, flip only if they changed */
static int refresh_flags(const struct ts_att *a)
{
	struct ts_policy cur;
	int e = ts_policy_read(a, &cur);

	if (e)
		return e;
	if (policy_flags(a, &cur) == cur.flags)
		return 0;
	return ts_policy_commit(a, &cur);
}

int ts_list_add(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c, __u32 ttl)
{
	struct ts_policy cur;
	int e = ts_policy_read(a, &cur);

	if (e)
		return e;
	e = put(list_fd(a, l), c, cur.list_gen & 1, l == TS_LIST_DENY ? ttl : 0, ts_mono_ns());
	return e ? e : refresh_flags(a);
}

int ts_list_del(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c)
{
	struct ts_policy cur;
	struct ts_lpm_key k;
	int e = ts_policy_read(a, &cur);

	if (e)
		return e;
	lpm_key(&k, c, cur.list_gen & 1);
	/* lookup on a trie is longest-prefix: delete is exact */
	if (bpf_map_delete_elem(list_fd(a, l), &k))
		return -errno;
	return refresh_flags(a);
}

struct read_ctx {
	__u32 gen;
	struct ts_list_entry *v;
	size_t n, cap;
};

static int read_cb(int fd, const struct ts_lpm_key *k, const struct ts_list_val *val, void *ctx)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct read_ctx *r = ctx;
	struct ts_list_entry *e;

	(void)fd;
	if (k->gen != r->gen || k->prefixlen < 8)
		return 0;
	if (r->n == r->cap) {
		struct ts_list_entry *nv;

		r->cap = r->cap ? r->cap * 2 : 64;
		nv = realloc(r->v, r->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		r->v = nv;
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->cidr.addr, k->addr, 16);
	e->cidr.plen = (__u8)(k->prefixlen - 8);
	e->cidr.family = e->cidr.plen >= 96 && !memcmp(k->addr, v4mapped, 12) ? 4 : 6;
	e->val = *val;
	return 0;
}

int ts_list_read(const struct ts_att *a, enum ts_list l, struct ts_list_entry **out, size_t *n)
{
	struct ts_policy cur;
	struct read_ctx r = {};
	int e = ts_policy_read(a, &cur);

	if (e)
		return e;
	r.gen = cur.list_gen & 1;
	e = walk(list_fd(a, l), read_cb, &r);
	if (e) {
		free(r.v);
		return e;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

struct sweep_ctx {
	__u64 now;
	long removed;
};

static int sweep_cb(int fd, const struct ts_lpm_key *k, const struct ts_list_val *v, void *ctx)
{
	struct sweep_ctx *s = ctx;

	if (v->expires_ns && v->expires_ns <= s->now && !bpf_map_delete_elem(fd, k))
		s->removed++;
	return 0;
}

long ts_list_sweep(const struct ts_att *a)
{
	struct sweep_ctx s = { .now = ts_mono_ns() };

	if (a->deny_fd < 0)
		return 0;
	walk(a->deny_fd, sweep_cb, &s);
	return s.removed;
}
