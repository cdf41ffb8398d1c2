// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The policy of one attachment in its pinned maps: see policy_store.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "format.h"
#include "mapwalk.h"
#include "netns.h"
#include "policy_store.h"

int ts_policy_lock(const struct ts_att *a)
{
	return ts_lock_dir(a->dir);
}

void ts_policy_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int have_maps(const struct ts_att *a)
{
	return a->config_fd >= 0 && a->policy_fd >= 0 && a->allow_fd >= 0 && a->deny_fd >= 0 &&
	       a->hosts_fd >= 0;
}

/* the config word that picks the policy slot; -ENOENT without the
 * enforcement pins (an attach by an older version) */
static int read_slot(const struct ts_att *a, struct ts_config *cfg)
{
	__u32 zero = 0;

	if (!have_maps(a))
		return -ENOENT;
	return bpf_map_lookup_elem(a->config_fd, &zero, cfg) ? -errno : 0;
}

int ts_records_switch(const struct ts_att *a, int on)
{
	struct ts_config cfg;
	__u32 zero = 0;
	int fd, e, was;

	if (a->records_fd < 0 || a->record_fd < 0)
		return -ENOENT;
	fd = ts_policy_lock(a);
	if (fd < 0)
		return -errno;
	e = read_slot(a, &cfg);
	was = !e && cfg.records;
	if (!e && was != !!on) {
		cfg.records = !!on;
		e = bpf_map_update_elem(a->config_fd, &zero, &cfg, 0) ? -errno : 0;
	}
	ts_policy_unlock(fd);
	return e ? e : was;
}

__u32 ts_frag_dist_word(long v)
{
	if (v == 0)
		return TS_FRAG_DIST_OFF;
	return v < 0 || v >= (long)TS_FRAG_DIST_OFF ? 0 : (__u32)v;
}

int ts_frag_dist_sync(const struct ts_att *a, long *dist)
{
	struct ts_config cfg = { 0 };
	__u32 zero = 0, w;
	int fd, e;

	e = ts_netns_sysctl("net/ipv4/ipfrag_max_dist", dist);
	if (e)
		return e;
	w = ts_frag_dist_word(*dist);
	/* the usual sweep: already so, and no lock taken (a long policy
	 * load holds it) */
	e = read_slot(a, &cfg);
	if (e || cfg.frag_max_dist == w)
		return e;
	fd = ts_policy_lock(a);
	if (fd < 0)
		return -errno;
	e = read_slot(a, &cfg);
	if (!e && cfg.frag_max_dist != w) {
		cfg.frag_max_dist = w;
		e = bpf_map_update_elem(a->config_fd, &zero, &cfg, 0) ? -errno : 1;
	}
	ts_policy_unlock(fd);
	return e;
}

int ts_policy_read(const struct ts_att *a, struct ts_policy *p)
{
	struct ts_config cfg;
	__u32 slot;
	int e = read_slot(a, &cfg);

	if (e)
		return e;
	slot = cfg.policy_slot & 1;
	return bpf_map_lookup_elem(a->policy_fd, &slot, p) ? -errno : 0;
}

static int trie_fd(const struct ts_att *a, enum ts_list l)
{
	return l == TS_LIST_ALLOW ? a->allow_fd : a->deny_fd;
}

static __u32 list_bit(enum ts_list l)
{
	return l == TS_LIST_ALLOW ? TS_L_ALLOW : TS_L_DENY;
}

/* single addresses live in `hosts`, prefixes in the tries */
static int is_host(const struct ts_cidr *c)
{
	return c->plen == 128;
}

/* the generation byte leads both key types */
static __u32 key_gen(const void *k, size_t ksize)
{
	return ksize == sizeof(struct ts_host_key) ? ((const struct ts_host_key *)k)->gen :
						       ((const struct ts_lpm_key *)k)->gen;
}

struct count_ctx {
	__u32 gen;
	size_t n;
	size_t ksize;
};

static int count_cb(int fd, const void *k, void *v, void *ctx)
{
	struct count_ctx *c = ctx;

	(void)fd;
	(void)v;
	if (key_gen(k, c->ksize) == c->gen)
		c->n++;
	return 0;
}

static size_t count_gen(int fd, size_t ksize, __u32 gen)
{
	struct count_ctx c = { .gen = gen, .ksize = ksize };

	ts_map_each(fd, count_cb, &c);
	return c.n;
}

/* which lookups the datapath must make for policy p */
static __u32 policy_flags(const struct ts_att *a, const struct ts_policy *p)
{
	__u32 f = 0;
	unsigned k;

	if (count_gen(a->allow_fd, sizeof(struct ts_lpm_key), p->list_gen))
		f |= TS_POL_ALLOW;
	if (count_gen(a->deny_fd, sizeof(struct ts_lpm_key), p->list_gen))
		f |= TS_POL_DENY;
	if (count_gen(a->hosts_fd, sizeof(struct ts_host_key), p->list_gen))
		f |= TS_POL_HOSTS;
	/* bans in force, or the datapath may write some: it must look them up */
	if (a->bans_fd >= 0) {
		struct ts_ban_key k0;

		if (!bpf_map_get_next_key(a->bans_fd, NULL, &k0))
			f |= TS_POL_BANS;
		for (k = 0; k < TS_A_MAX; k++)
			if (p->mode == TS_MODE_ENFORCE && p->action[k] == TS_ACT_BAN)
				f |= TS_POL_BANS;
	}
	return f;
}

int ts_policy_commit(const struct ts_att *a, struct ts_policy *p)
{
	struct ts_config cfg;
	__u32 zero = 0, next;
	int e = read_slot(a, &cfg);

	if (e)
		return e;
	p->list_gen &= 1;
	/* the flags datapath-internal to the policy are recomputed here */
	p->flags = policy_flags(a, p);
	/* a new version: every cached denial of the old one is void */
	{
		struct ts_policy cur;
		__u32 slot = cfg.policy_slot & 1;

		if (bpf_map_lookup_elem(a->policy_fd, &slot, &cur))
			return -errno;
		p->version = cur.version + 1 ? cur.version + 1 : 1;
	}
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

static void host_key(struct ts_host_key *k, const struct ts_cidr *c, __u32 gen)
{
	memset(k, 0, sizeof(*k));
	k->gen = (__u8)gen;
	memcpy(k->addr, c->addr, 16);
}

/* put one entry of list l in generation gen; a host entry joins what the
 * other list says of the same address */
static int put(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c, __u32 gen,
	       __u32 ttl, __u64 now)
{
	struct ts_list_val v = { .added_ns = now };

	if (ttl && l == TS_LIST_DENY)
		v.expires_ns = now + (__u64)ttl * 1000000000ull;
	if (is_host(c)) {
		struct ts_host_key k;
		struct ts_list_val cur;

		host_key(&k, c, gen);
		if (!bpf_map_lookup_elem(a->hosts_fd, &k, &cur)) {
			if (l == TS_LIST_ALLOW) { /* the deny side stays as it was */
				v.expires_ns = cur.expires_ns;
				v.reason = cur.reason;
			}
			v.lists = cur.lists;
		}
		v.lists |= list_bit(l);
		return bpf_map_update_elem(a->hosts_fd, &k, &v, 0) ? -errno : 0;
	} else {
		struct ts_lpm_key k;

		lpm_key(&k, c, gen);
		if (c->family == 6 && c->plen < 96)
			v.lists = TS_L_V6_ONLY;
		return bpf_map_update_elem(trie_fd(a, l), &k, &v, 0) ? -errno : 0;
	}
}

struct gen_ctx {
	__u32 gen;      /* entries of this generation are deleted */
};

static int trie_gen_cb(int fd, const void *k, void *v, void *ctx)
{
	struct gen_ctx *g = ctx;

	(void)v;
	if (((const struct ts_lpm_key *)k)->gen == g->gen)
		bpf_map_delete_elem(fd, k);
	return 0;
}

static int host_gen_cb(int fd, const void *k, void *val, void *ctx)
{
	struct gen_ctx *g = ctx;

	(void)val;
	if (((const struct ts_host_key *)k)->gen == g->gen)
		bpf_map_delete_elem(fd, k);
	return 0;
}

static void drop_gen(const struct ts_att *a, __u32 gen)
{
	struct gen_ctx g = { .gen = gen };

	ts_map_each(a->allow_fd, trie_gen_cb, &g);
	ts_map_each(a->deny_fd, trie_gen_cb, &g);
	ts_map_each(a->hosts_fd, host_gen_cb, &g);
}

int ts_policy_replace(const struct ts_att *a, const struct ts_policy *p,
		      const struct ts_cidr *allow, size_t n_allow,
		      const struct ts_cidr *deny, size_t n_deny)
{
	struct ts_policy cur, np = *p;
	__u64 now = ts_now_ns();
	__u32 g;
	size_t i;
	int e;

	e = ts_policy_read(a, &cur);
	if (e)
		return e;
	g = (cur.list_gen & 1) ^ 1;
	drop_gen(a, g); /* leftovers of an interrupted swap */
	for (i = 0; i < n_allow && !e; i++)
		e = put(a, TS_LIST_ALLOW, &allow[i], g, 0, now);
	for (i = 0; i < n_deny && !e; i++)
		e = put(a, TS_LIST_DENY, &deny[i], g, deny[i].ttl, now);
	/* bans live in their own map (no generation): a swap keeps them */
	np.list_gen = g;
	if (!e)
		e = ts_policy_commit(a, &np);
	if (e) {
		/* nothing in force changed: take the half-written generation back */
		drop_gen(a, g);
		return e;
	}
	drop_gen(a, cur.list_gen & 1);
	return 0;
}

int ts_policy_put_doc(const struct ts_att *a, const struct ts_policy_doc *doc)
{
	int lock, e;

	if (a->policy_fd < 0)
		return -ENOENT;
	lock = ts_policy_lock(a);
	if (lock < 0)
		return -errno;
	e = ts_policy_replace(a, &doc->pol, doc->allow, doc->n_allow, doc->deny, doc->n_deny);
	ts_policy_unlock(lock);
	return e;
}

void ts_policy_print_put(FILE *out, const char *ifname, const char *file,
			 const struct ts_policy_doc *doc)
{
	fprintf(out, "%s: policy from %s in force (%zu allow, %zu deny entries)\n", ifname, file,
		doc->n_allow, doc->n_deny);
}

/* after a list edit: recompute the flags and bump the version (a deny
 * del must void the datapath's cached denials) */
static int refresh_flags(const struct ts_att *a)
{
	struct ts_policy cur;
	int e = ts_policy_read(a, &cur);

	return e ? e : ts_policy_commit(a, &cur);
}

int ts_list_add(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c, __u32 ttl)
{
	struct ts_policy cur;
	int e = ts_policy_read(a, &cur);

	if (e)
		return e;
	e = put(a, l, c, cur.list_gen & 1, ttl, ts_now_ns());
	return e ? e : refresh_flags(a);
}

/* `deny del` of a banned address lifts the ban: 1 if there was one */
static int ban_lift(const struct ts_att *a, const struct ts_cidr *c)
{
	struct ts_ban_key k;

	if (a->bans_fd < 0 || !is_host(c))
		return 0;
	memcpy(k.addr, c->addr, sizeof(k.addr));
	return bpf_map_delete_elem(a->bans_fd, &k) == 0;
}

int ts_list_del(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c)
{
	struct ts_policy cur;
	int e = ts_policy_read(a, &cur), lifted;

	if (e)
		return e;
	lifted = l == TS_LIST_DENY && ban_lift(a, c);
	if (is_host(c)) {
		struct ts_host_key k;
		struct ts_list_val v;

		host_key(&k, c, cur.list_gen & 1);
		if (bpf_map_lookup_elem(a->hosts_fd, &k, &v) || !(v.lists & list_bit(l)))
			return lifted ? refresh_flags(a) : -ENOENT;
		v.lists &= ~list_bit(l);
		if (l == TS_LIST_DENY) {
			v.expires_ns = 0;
			v.reason = 0;
		}
		e = v.lists ? bpf_map_update_elem(a->hosts_fd, &k, &v, 0) :
			      bpf_map_delete_elem(a->hosts_fd, &k);
		if (e)
			return -errno;
	} else {
		struct ts_lpm_key k;

		lpm_key(&k, c, cur.list_gen & 1);
		/* lookup on a trie is longest-prefix: delete is exact */
		if (bpf_map_delete_elem(trie_fd(a, l), &k))
			return -errno;
	}
	return refresh_flags(a);
}

struct read_ctx {
	__u32 gen;
	__u32 bit;      /* hosts: the list's TS_L_* */
	size_t ksize;
	struct ts_list_entry *v;
	size_t n, cap;
};

/* one more entry in r's array: addr/plen, val; NULL when out of memory */
static struct ts_list_entry *entry_push(struct read_ctx *r, const __u8 *addr, unsigned plen,
					const struct ts_list_val *val)
{
	struct ts_list_entry *e;

	if (r->n == r->cap) {
		struct ts_list_entry *nv;

		r->cap = r->cap ? r->cap * 2 : 64;
		nv = realloc(r->v, r->cap * sizeof(*nv));
		if (!nv)
			return NULL;
		r->v = nv;
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->cidr.addr, addr, 16);
	e->cidr.plen = (__u8)plen;
	e->cidr.family = plen >= 96 && ts_addr_family(addr) == 4 ? 4 : 6;
	e->val = *val;
	return e;
}

static int read_cb(int fd, const void *key, void *v, void *ctx)
{
	const struct ts_list_val *val = v;
	struct read_ctx *r = ctx;
	struct ts_list_entry *e;
	const __u8 *addr;
	unsigned plen;

	(void)fd;
	if (key_gen(key, r->ksize) != r->gen)
		return 0;
	if (r->ksize == sizeof(struct ts_host_key)) {
		if (!(val->lists & r->bit))
			return 0;
		addr = ((const struct ts_host_key *)key)->addr;
		plen = 128;
	} else {
		addr = ((const struct ts_lpm_key *)key)->addr;
		plen = ((const struct ts_lpm_key *)key)->prefixlen - 8;
	}
	e = entry_push(r, addr, plen, val);
	if (!e)
		return -ENOMEM;
	if (r->bit == TS_L_ALLOW) { /* the deny side's facts are not the allow entry's */
		e->val.expires_ns = 0;
		e->val.reason = 0;
	}
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
	r.bit = list_bit(l);
	r.ksize = sizeof(struct ts_lpm_key);
	e = ts_map_each(trie_fd(a, l), read_cb, &r);
	r.ksize = sizeof(struct ts_host_key);
	if (!e)
		e = ts_map_each(a->hosts_fd, read_cb, &r);
	if (e) {
		free(r.v);
		return e;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

/* the entries of one list as a policy file would give them: a deny
 * entry's TTL what is left of it, an expired one left out */
static int doc_list(const struct ts_att *a, enum ts_list l, __u64 now, struct ts_cidr **out,
		    size_t *n)
{
	struct ts_list_entry *v = NULL;
	size_t i, nv = 0, k = 0;
	int e = ts_list_read(a, l, &v, &nv);

	if (e)
		return e;
	*out = calloc(nv ? nv : 1, sizeof(**out));
	if (!*out) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < nv; i++) {
		__u64 exp = v[i].val.expires_ns;

		if ((exp && exp <= now) || v[i].val.reason) /* (expired; a ban) */
			continue;
		(*out)[k] = v[i].cidr;
		(*out)[k].ttl = exp ? (__u32)((exp - now + 999999999ull) / 1000000000ull) : 0;
		k++;
	}
	*n = k;
	free(v);
	return 0;
}

int ts_policy_doc_read(const struct ts_att *a, struct ts_policy_doc *doc)
{
	__u64 now = ts_now_ns();
	int e;

	memset(doc, 0, sizeof(*doc));
	e = ts_policy_read(a, &doc->pol);
	if (!e)
		e = doc_list(a, TS_LIST_ALLOW, now, &doc->allow, &doc->n_allow);
	if (!e)
		e = doc_list(a, TS_LIST_DENY, now, &doc->deny, &doc->n_deny);
	if (e)
		ts_policy_doc_free(doc);
	return e;
}

struct sweep_ctx {
	__u64 now;
	long removed;
};

static int sweep_cb(int fd, const void *k, void *val, void *ctx)
{
	struct ts_list_val *v = val;
	struct sweep_ctx *s = ctx;

	if (!v->expires_ns || v->expires_ns > s->now)
		return 0;
	/* a host both allowed and (for a while) denied keeps its allow */
	if (v->lists & TS_L_ALLOW) {
		v->lists &= ~(__u32)TS_L_DENY;
		v->expires_ns = 0;
		v->reason = 0;
		if (!bpf_map_update_elem(fd, k, v, BPF_EXIST))
			s->removed++;
	} else if (!bpf_map_delete_elem(fd, k)) {
		s->removed++;
	}
	return 0;
}

long ts_list_sweep(const struct ts_att *a)
{
	struct sweep_ctx s = { .now = ts_now_ns() };

	ts_map_each(a->deny_fd, sweep_cb, &s);
	ts_map_each(a->hosts_fd, sweep_cb, &s);
	if (a->bans_fd >= 0)
		ts_map_each(a->bans_fd, sweep_cb, &s);
	return s.removed;
}

static int bans_cb(int fd, const void *key, void *val, void *ctx)
{
	(void)fd;
	return entry_push(ctx, ((const struct ts_ban_key *)key)->addr, 128, val) ? 0 : -ENOMEM;
}

int ts_bans_read(const struct ts_att *a, struct ts_list_entry **out, size_t *n)
{
	struct read_ctx r = {};
	int e;

	if (a->bans_fd < 0)
		return -ENOENT;
	e = ts_map_each(a->bans_fd, bans_cb, &r);
	if (e) {
		free(r.v);
		return e;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}
