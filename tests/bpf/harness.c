// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bpftest harness (see harness.h): load the object, reset its state,
 * run a frame, check a step's verdict, counters, events and tables, run
 * the areas' cases.
 *
 * Usage: bpftest [-l] [-t AREA[/TEXT]] [BUILD_DIR]
 *   BUILD_DIR holds tcpsentry.bpf.o (default: the directory of bpftest).
 */
#include <sched.h>
#include <stdarg.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include "harness.h"
#include "gc.h"
#include "kernel_features.h"

/* ---- the object ------------------------------------------------------------ */

struct bpf_object *obj;
int prog_fd[2];
int flows_fd, emb_fd, pick_fd, counters_fd, config_fd, anomalies_fd;
struct ring_buffer *rb;
int ncpus;

struct ts_event evs[MAX_EVENTS];
struct ts_sample evs_sample[MAX_EVENTS];
int nevs, nevs_dropped;

/* counter names: the ones `tcpsentry stats` prints (user/format.c) */
static const char *cname(int i)
{
	static char buf[16];

	if (i >= 0 && i < TS_C_MAX && ts_counter_name((unsigned)i))
		return ts_counter_name((unsigned)i);
	snprintf(buf, sizeof(buf), "counter#%d", i);
	return buf;
}


static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size < sizeof(struct ts_event) || nevs >= MAX_EVENTS) {
		nevs_dropped++;
		return 0;
	}
	memset(&evs_sample[nevs], 0, sizeof(evs_sample[nevs]));
	if (size >= sizeof(struct ts_event_sampled))
		memcpy(&evs_sample[nevs], &((const struct ts_event_sampled *)data)->sample,
		       sizeof(struct ts_sample));
	memcpy(&evs[nevs++], data, sizeof(struct ts_event));
	return 0;
}

int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "bpftest: no map %s in the object\n", name);
		return -1;
	}
	return bpf_map__fd(m);
}

/* The SYN-cookie hand-over program needs a kfunc of Linux 6.9: where the
 * kernel lacks it, it is not loaded (as attach does), and said so. 1 if
 * it was left out. */
static int skip_handover(void)
{
	struct ts_features feat;
	struct bpf_program *p;

	ts_features_probe(&feat);
	if (ts_feature_has(&feat, TS_F_REQSK_KFUNC))
		return 0;
	p = bpf_object__find_program_by_name(obj, "tcpsentry_tc_ingress");
	if (p)
		bpf_program__set_autoload(p, false);
	printf("load tcpsentry_tc_ingress: SKIP (this kernel lacks %s)\n",
	       ts_feature_needs(TS_F_REQSK_KFUNC));
	return 1;
}

static int setup_object(const char *dir, int *skipped)
{
	char path[4096];
	struct bpf_program *p;
	struct bpf_map *m;
	int err;

	snprintf(path, sizeof(path), "%s/tcpsentry.bpf.o", dir);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "bpftest: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	m = bpf_object__find_map_by_name(obj, "flows");
	if (!m || bpf_map__set_max_entries(m, FLOWS_MAX))
		return fprintf(stderr, "bpftest: cannot size flows\n"), -1;
	m = bpf_object__find_map_by_name(obj, "embryonic");
	if (!m || bpf_map__set_max_entries(m, FLOWS_MAX))
		return fprintf(stderr, "bpftest: cannot size embryonic\n"), -1;
	m = bpf_object__find_map_by_name(obj, "pickups");
	if (!m || bpf_map__set_max_entries(m, FLOWS_MAX))
		return fprintf(stderr, "bpftest: cannot size pickups\n"), -1;
	*skipped += skip_handover();
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "bpftest: load %s: %s\n", path, strerror(-err));
		return -1;
	}
	p = bpf_object__find_program_by_name(obj, "tcpsentry_xdp");
	if (!p)
		return fprintf(stderr, "bpftest: no program tcpsentry_xdp\n"), -1;
	prog_fd[XDP] = bpf_program__fd(p);
	p = bpf_object__find_program_by_name(obj, "tcpsentry_tc_egress");
	if (!p)
		return fprintf(stderr, "bpftest: no program tcpsentry_tc_egress\n"), -1;
	prog_fd[TC] = bpf_program__fd(p);

	flows_fd = map_fd("flows");
	emb_fd = map_fd("embryonic");
	pick_fd = map_fd("pickups");
	counters_fd = map_fd("counters");
	config_fd = map_fd("config");
	anomalies_fd = map_fd("anomalies");
	if (flows_fd < 0 || emb_fd < 0 || pick_fd < 0 || counters_fd < 0 || config_fd < 0 || anomalies_fd < 0 ||
	    map_fd("events") < 0)
		return -1;
	rb = ring_buffer__new(map_fd("events"), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bpftest: ring_buffer__new: %s\n", strerror(errno));
		return -1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "bpftest: libbpf_num_possible_cpus: %d\n", ncpus);
		return -1;
	}
	return 0;
}

/* ---- state -------------------------------------------------------------- */

int read_counters(uint64_t out[TS_C_MAX])
{
	struct ts_counters *v = calloc(ncpus, sizeof(*v));
	__u32 zero = 0;
	int cpu, i;

	if (!v)
		return -1;
	memset(out, 0, sizeof(uint64_t) * TS_C_MAX);
	if (bpf_map_lookup_elem(counters_fd, &zero, v)) {
		free(v);
		return -1;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < TS_C_MAX; i++)
			out[i] += v[cpu].c[i];
	free(v);
	return 0;
}

static const char *aname(int k)
{
	static char buf[16];

	if (ts_anomaly_name((unsigned)k))
		return ts_anomaly_name((unsigned)k);
	snprintf(buf, sizeof(buf), "anomaly#%d", k);
	return buf;
}

int read_anomalies(uint64_t out[TS_A_MAX])
{
	struct ts_anomalies *v = calloc(ncpus, sizeof(*v));
	__u32 zero = 0;
	int cpu, k;

	if (!v)
		return -1;
	memset(out, 0, sizeof(uint64_t) * TS_A_MAX);
	if (bpf_map_lookup_elem(anomalies_fd, &zero, v)) {
		free(v);
		return -1;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		for (k = 0; k < TS_A_MAX; k++)
			out[k] += v[cpu].count[k];
	free(v);
	return 0;
}

static int map_clear(int fd)
{
	struct ts_flow_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			return -1;
	return 0;
}

int map_count(int fd)
{
	struct ts_flow_key k, next;
	int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0 && n < 100000) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

void set_state_events(__u32 on)
{
	struct ts_config c = { .state_events = on };
	__u32 zero = 0;

	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		fprintf(stderr, "bpftest: config update: %s\n", strerror(errno));
}

static void put_vlans(const struct ts_vlans *v)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(map_fd("vlans"), &zero, v, BPF_ANY))
		fprintf(stderr, "bpftest: vlans update: %s\n", strerror(errno));
}

/* as attach --vlans any: the frames' tags (VID 100, 101) are this host's */
void set_vlans_all(void)
{
	struct ts_vlans v;

	memset(&v, 0xff, sizeof(v));
	put_vlans(&v);
}

/* one VID taken in each set: 802.1Q, 802.1ad, and 802.1Q after an outer
 * tag (a device on a VLAN device); 0: none */
void set_vlans(int q_vid, int ad_vid, int inner_q_vid)
{
	int vid[TS_VLAN_SETS] = { q_vid, ad_vid, inner_q_vid, 0 }, i;
	struct ts_vlans v = {};

	for (i = 0; i < TS_VLAN_SETS; i++)
		if (vid[i])
			v.bits[i][vid[i] / 64] |= 1ull << (vid[i] % 64);
	put_vlans(&v);
}

/* zero the flood and scan sketches and the ports' cookie times (arrays:
 * every slot, every CPU) */
static int sketch_clear(void)
{
	static const char *const names[] = { "synwin", "floods", "scans", "cookie_sent" };
	size_t vsz[] = { sizeof(struct ts_synwin), sizeof(struct ts_flood),
			 sizeof(struct ts_scan), 2 * sizeof(__u64) };
	unsigned i, k, n;

	for (i = 0; i < sizeof(vsz) / sizeof(vsz[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);
		int percpu, fd;
		void *z;

		if (!m)
			return -1;
		fd = bpf_map__fd(m);
		percpu = bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY;
		n = bpf_map__max_entries(m);
		z = calloc(percpu ? ncpus : 1, (vsz[i] + 7) & ~7ul);
		if (!z)
			return -1;
		for (k = 0; k < n; k++)
			if (bpf_map_update_elem(fd, &k, z, BPF_ANY)) {
				free(z);
				return -1;
			}
		free(z);
	}
	return 0;
}

static int policy_reset(void);

int reset_state(void)
{
	struct ts_counters *v = calloc(ncpus, sizeof(*v));
	__u32 zero = 0;
	int err;

	if (!v)
		return -1;
	err = bpf_map_update_elem(counters_fd, &zero, v, BPF_ANY);
	free(v);
	if (!err) {
		/* counts and rate limiters: every case starts with full buckets */
		struct ts_anomalies *a = calloc(ncpus, sizeof(*a));

		if (!a)
			return -1;
		err = bpf_map_update_elem(anomalies_fd, &zero, a, BPF_ANY);
		free(a);
	}
	if (!err) {
		/* the drop events' rate limiters too */
		size_t vs = bpf_map__value_size(bpf_object__find_map_by_name(obj, "drop_rl"));
		void *d = calloc(ncpus, (vs + 7) & ~7ul);

		if (!d)
			return -1;
		err = bpf_map_update_elem(map_fd("drop_rl"), &zero, d, BPF_ANY);
		free(d);
	}
	/* the fragments waiting for the rest of their datagram: the frame
	 * builder gives every datagram one ID */
	if (err || map_clear(flows_fd) || map_clear(emb_fd) || map_clear(pick_fd) ||
	    map_clear(map_fd("frag_fins")) || map_clear(map_fd("frag_tails")) ||
	    map_clear(map_fd("frag_peers")) || sketch_clear() ||
	    policy_reset())
		return -1;
	set_state_events(0);
	set_vlans_all();
	ring_buffer__consume(rb);
	nevs = nevs_dropped = 0;
	return 0;
}

/* ---- running a frame -------------------------------------------------------- */

int run_frame(int prog, const uint8_t *data, int len, int meta, int repeat,
		     __u32 *retval)
{
	static uint8_t buf[FR_MAX + 64];
	struct xdp_md xctx = {};
	struct __sk_buff sctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = repeat > 0 ? repeat : 1);
	int err;

	if (prog == XDP) {
		memset(buf, 0, meta);
		memcpy(buf + meta, data, len);
		o.data_in = buf;
		o.data_size_in = meta + len;
		if (meta) {
			/* metadata sits before ctx->data */
			xctx.data = meta;
			xctx.data_end = meta + len;
			o.ctx_in = &xctx;
			o.ctx_size_in = sizeof(xctx);
		}
	} else {
		o.data_in = data;
		o.data_size_in = len;
		o.ctx_in = &sctx; /* skb->len is the frame length */
		o.ctx_size_in = sizeof(sctx);
	}
	err = bpf_prog_test_run_opts(prog_fd[prog], &o);
	if (err)
		return -errno;
	*retval = o.retval;
	return 0;
}

/* the canonical key of a frame; returns the sender's key index */
int frame_key(const struct frame_spec *s, struct ts_flow_key *k)
{
	uint8_t src[16], dst[16];
	__u32 sa[4], da[4];

	frame_addrs(s, src, dst);
	memcpy(sa, src, 16);
	memcpy(da, dst, 16);
	memset(k, 0, sizeof(*k));
	return ts_key_make(k, sa, htons(s->sport), da, htons(s->dport));
}

int lookup_flow(const struct frame_spec *s, struct ts_flow *f)
{
	struct ts_flow_key k;

	frame_key(s, &k);
	if (bpf_map_lookup_elem(flows_fd, &k, f) == 0)
		return 0;
	if (bpf_map_lookup_elem(emb_fd, &k, f) == 0)
		return 1;
	if (bpf_map_lookup_elem(pick_fd, &k, f) == 0)
		return 2;
	return -1;
}

static int check_map(const struct step *st, char *why)
{
	const struct mexp *m = &st->m;
	struct ts_flow_key k;
	struct ts_flow f, g;
	const struct ts_endpoint *c, *s;
	int sender, nf, ne, np, in_flows, in_emb, in_pick;
	char hist[sizeof(f.hist) + 1];

	if (m->where == M_SKIP)
		return 0;
	sender = frame_key(&st->f, &k);
	nf = map_count(flows_fd);
	ne = map_count(emb_fd);
	in_flows = bpf_map_lookup_elem(flows_fd, &k, &f) == 0;
	in_emb = bpf_map_lookup_elem(emb_fd, &k, &g) == 0;
	np = map_count(pick_fd);
	in_pick = m->where == M_PICK && bpf_map_lookup_elem(pick_fd, &k, &g) == 0;

	if (m->where == M_NONE) {
		ASSERT_TRUE(nf == 0 && ne == 0 && np == 0,
			    "want no entry, flows has %d, embryonic %d, pickups %d", nf, ne, np);
		return 0;
	}
	ASSERT_TRUE(m->where == M_PICK || np == 0, "want no pickup, pickups has %d", np);
	if (m->where == M_PICK) {
		ASSERT_TRUE(in_pick, "no pickups entry for the tuple (flows lookup %s)",
			    in_flows ? "succeeds" : "fails too");
		ASSERT_TRUE(np == 1 && nf == 0 && ne == 0,
			    "want 1 pickup, 0 flows, 0 embryonic; got %d, %d, %d", np, nf, ne);
		f = g;
	} else if (m->where == M_EMB) {
		ASSERT_TRUE(in_emb, "no embryonic entry for the tuple (flows lookup %s)",
			    in_flows ? "succeeds" : "fails too");
		ASSERT_TRUE(!in_flows, "tuple also in flows");
		ASSERT_TRUE(ne == 1 && nf == 0, "want 1 embryonic, 0 flows; got %d, %d", ne, nf);
		f = g;
	} else {
		ASSERT_TRUE(in_flows, "no flows entry for the tuple (embryonic lookup %s)",
			    in_emb ? "succeeds" : "fails too");
		ASSERT_TRUE(!in_emb, "tuple still in embryonic (flags 0x%x)", g.flags);
		ASSERT_TRUE(nf == 1 && ne == 0, "want 1 flows, 0 embryonic; got %d, %d", nf, ne);
	}
	if (m->client == CL_SRC)
		ASSERT_EQ(f.client, sender, "client key index");
	else if (m->client == CL_DST)
		ASSERT_EQ(f.client, !sender, "client key index");
	c = &f.ep[TS_CLIENT];
	s = &f.ep[TS_SERVER];
	ASSERT_TRUE(c->state == m->cstate && s->state == m->sstate,
		    "states client %s server %s, want %s %s", ts_state_name(c->state),
		    ts_state_name(s->state), ts_state_name(m->cstate), ts_state_name(m->sstate));
	if (m->family)
		ASSERT_EQ(f.family, m->family, "family");
	ASSERT_TRUE((f.flags & m->fl_set) == m->fl_set, "flow flags 0x%x lack 0x%x",
		    f.flags, m->fl_set);
	ASSERT_TRUE(!(f.flags & m->fl_clear), "flow flags 0x%x have 0x%x", f.flags,
		    f.flags & m->fl_clear);
	if (m->c_mss)
		ASSERT_EQ(c->mss, m->c_mss, "client mss");
	if (m->s_mss)
		ASSERT_EQ(s->mss, m->s_mss, "server mss");
	if (m->c_wscale)
		ASSERT_EQ(c->wscale, m->c_wscale - 1, "client wscale");
	if (m->s_wscale)
		ASSERT_EQ(s->wscale, m->s_wscale - 1, "server wscale");
	ASSERT_TRUE((c->flags & m->c_epfl) == m->c_epfl, "client ep flags 0x%x lack 0x%x",
		    c->flags, m->c_epfl);
	ASSERT_TRUE((s->flags & m->s_epfl) == m->s_epfl, "server ep flags 0x%x lack 0x%x",
		    s->flags, m->s_epfl);
	ASSERT_TRUE(!(c->flags & m->c_epfl_clear), "client ep flags 0x%x have 0x%x",
		    c->flags, c->flags & m->c_epfl_clear);
	ASSERT_TRUE(!(s->flags & m->s_epfl_clear), "server ep flags 0x%x have 0x%x",
		    s->flags, s->flags & m->s_epfl_clear);
	if (m->hist) {
		memcpy(hist, f.hist, sizeof(f.hist));
		hist[sizeof(f.hist)] = 0;
		ASSERT_TRUE(strcmp(hist, m->hist) == 0, "history \"%s\", want \"%s\"", hist,
			    m->hist);
	}
	return 0;
}

int is_verdict_counter(int i)
{
	return i == TS_C_IN_PASS || i == TS_C_IN_DROP || i == TS_C_IN_TX || i == TS_C_OUT_PASS;
}

/* the verdict counter of a hook's return value */
int verdict_counter(int prog, __u32 ret)
{
	if (prog == TC)
		return TS_C_OUT_PASS;
	return ret == XDP_DROP ? TS_C_IN_DROP : ret == XDP_TX ? TS_C_IN_TX : TS_C_IN_PASS;
}

int check_verdicts(int prog, __u32 ret, uint64_t frames, const uint64_t *before,
		   const uint64_t *after, char *why)
{
	static const int vc[] = { TS_C_IN_PASS, TS_C_IN_DROP, TS_C_IN_TX, TS_C_OUT_PASS };
	int want = verdict_counter(prog, ret), seen = prog == TC ? TS_C_PKTS_OUT : TS_C_PKTS_IN;
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < sizeof(vc) / sizeof(vc[0]); i++) {
		uint64_t d = after[vc[i]] - before[vc[i]];

		FAIL_IF(d != (vc[i] == want ? frames : 0),
			"verdict counter %s moved by %llu, want %llu (the frames' verdict, once each)",
			cname(vc[i]), (unsigned long long)d,
			(unsigned long long)(vc[i] == want ? frames : 0));
		sum += d;
	}
	FAIL_IF(sum != after[seen] - before[seen], "verdicts %llu, %s %llu: not one per frame",
		(unsigned long long)sum, cname(seen), (unsigned long long)(after[seen] - before[seen]));
	return 0;
}

int check_reasons(int dropped, int would, uint64_t frames, const struct ts_drops *before,
		  const struct ts_drops *after, char *why)
{
	int r;

	for (r = 0; r < TS_D_MAX; r++) {
		uint64_t dd = after->dropped[r] - before->dropped[r];
		uint64_t dw = after->would_drop[r] - before->would_drop[r];

		FAIL_IF(dd != (dropped == r + 1 ? frames : 0), "dropped[%s] moved by %llu, want %llu",
			ts_drop_reason_name((unsigned)r) ? ts_drop_reason_name((unsigned)r) : "?",
			(unsigned long long)dd, (unsigned long long)(dropped == r + 1 ? frames : 0));
		FAIL_IF(dw != (would == r + 1 ? frames : 0), "would_drop[%s] moved by %llu, want %llu",
			ts_drop_reason_name((unsigned)r) ? ts_drop_reason_name((unsigned)r) : "?",
			(unsigned long long)dw, (unsigned long long)(would == r + 1 ? frames : 0));
	}
	return 0;
}

int run_checked(int prog, const struct frame_spec *fs, __u32 ret_want, int dropped, int would,
		char *why)
{
	uint64_t before[TS_C_MAX], after[TS_C_MAX];
	struct ts_drops db, da;
	struct frame fr;
	__u32 ret = 0;

	FAIL_IF(frame_build(fs, &fr) < 0, "frame does not build");
	FAIL_IF(read_counters(before) || drops_read(&db), "read counters: %s", strerror(errno));
	FAIL_IF(run_frame(prog, fr.b, fr.len, 0, 1, &ret), "BPF_PROG_TEST_RUN: %s", strerror(errno));
	FAIL_IF(read_counters(after) || drops_read(&da), "read counters: %s", strerror(errno));
	ASSERT_EQ(ret, ret_want, "verdict");
	if (check_verdicts(prog, ret, 1, before, after, why))
		return -1;
	return check_reasons(dropped, would, 1, &db, &da, why);
}

/* "name+N ..." for every counter but the verdicts that differs between a
 * and b (a NULL: zeros) */
static void deltas_str(char *out, size_t n, const uint64_t *a, const uint64_t *b)
{
	size_t used = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < TS_C_MAX && used < n; i++) {
		uint64_t d = b[i] - (a ? a[i] : 0);

		if (d && !is_verdict_counter(i))
			used += snprintf(out + used, n - used, "%s%s+%llu", used ? " " : "",
					 cname(i), (unsigned long long)d);
	}
}

/* the anomaly events the step wrote (evs[from..nevs)) against st->ae */
static int check_anomaly_events(const struct step *st, int from, char *why)
{
	const struct aexp *a = &st->ae;
	struct ts_flow_key k;
	int i, n = 0, want = a->kind ? (a->nev ? a->nev : 1) : 0, sender;

	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "ring_buffer__consume failed");
	ASSERT_EQ(nevs_dropped, 0, "malformed/extra ring buffer records");
	sender = frame_key(&st->f, &k);
	for (i = from; i < nevs; i++) {
		const struct ts_event *e = &evs[i];

		if (e->type != TS_EV_ANOMALY)
			continue;
		n++;
		FAIL_IF(e->kind != a->kind, "anomaly event %s, want %s", aname((int)e->kind),
			a->kind ? aname((int)a->kind) : "none");
		FAIL_IF(memcmp(&e->key, &k, sizeof(k)), "anomaly event: key differs");
		ASSERT_EQ(e->sender, sender, "anomaly event sender");
		ASSERT_EQ(e->tcp_flags, st->f.flags, "anomaly event tcp_flags");
		ASSERT_EQ(e->dir, st->prog == XDP ? 0 : 1, "anomaly event dir");
		ASSERT_EQ(e->family, st->f.family, "anomaly event family");
		ASSERT_TRUE(e->ts_ns, "anomaly event without a timestamp");
		ASSERT_TRUE(!e->pad[0] && !e->pad[1] && !e->pad[2], "anomaly event padding");
		if (a->client == CL_UNKNOWN)
			ASSERT_EQ(e->client, TS_EV_CLIENT_UNKNOWN, "anomaly event client");
		else if (a->client == CL_SRC)
			ASSERT_EQ(e->client, sender, "anomaly event client");
		else if (a->client == CL_DST)
			ASSERT_EQ(e->client, !sender, "anomaly event client");
		if (a->client == CL_SRC || a->client == CL_DST)
			ASSERT_EQ(e->side, a->client == CL_SRC ? TS_CLIENT : TS_SERVER,
				  "anomaly event side (sender's role)");
		if (a->facts) {
			ASSERT_EQ(e->expected, a->expected, "anomaly event expected");
			ASSERT_EQ(e->got, a->got, "anomaly event got");
			ASSERT_EQ(e->detail, a->detail, "anomaly event detail");
		}
		if (a->sup)
			ASSERT_EQ(e->suppressed, a->suppressed, "anomaly event suppressed");
	}
	ASSERT_EQ(n, want, "anomaly events written by the step");
	return 0;
}

/* the drop events a step writes: one per dropped frame (rate-limited: a
 * case starts with a full bucket) for a reason of its own, or for an
 * anomaly's action when no anomaly event tells of it */
static int drop_events_due(const struct step *st)
{
	int r = st->dropped ? st->dropped : st->would, n = st->repeat > 1 ? st->repeat : 1;

	if (!r || (r - 1 >= TS_D_ANOMALY && st->ae.kind))
		return 0;
	return n < TS_RL_BURST ? n : TS_RL_BURST;
}

/* the events of the step that carry a frame (anomaly and drop events):
 * the frame's first bytes, its length; the drop events' fields. Returns
 * how many carried one (the samples counter's delta). */
static int check_frame_events(const struct step *st, int from, const struct frame *fr,
			      int *sampled, char *why)
{
	struct ts_flow_key k;
	int i, drops = 0, sender = frame_key(&st->f, &k), r = st->dropped ? st->dropped : st->would;
	__u32 cap = fr->len < TS_SAMPLE_BYTES ? (__u32)fr->len : TS_SAMPLE_BYTES;

	*sampled = 0;
	for (i = from; i < nevs; i++) {
		const struct ts_sample *sm = &evs_sample[i];

		if (evs[i].type == TS_EV_DROP) {
			drops++;
			ASSERT_EQ(evs[i].kind, (__u32)(r - 1), "drop event reason");
			ASSERT_EQ(evs[i].detail, st->dropped ? 0u : 1u, "drop event: would-drop");
			ASSERT_EQ(evs[i].client, TS_EV_CLIENT_UNKNOWN, "drop event client");
			/* a later fragment, an unparsed chain or a tiny first
			 * fragment has no ports */
			if (r - 1 != TS_D_FRAGMENT && r - 1 != TS_D_UNPARSED &&
			    r - 1 != TS_D_TINY_FRAGMENT) {
				FAIL_IF(memcmp(&evs[i].key, &k, sizeof(k)), "drop event: key differs");
				ASSERT_EQ(evs[i].sender, sender, "drop event sender");
			}
			ASSERT_EQ(evs[i].dir, st->prog == XDP ? 0 : 1, "drop event dir");
			FAIL_IF(!sm->caplen, "a drop event without its frame");
		}
		if (!sm->caplen)
			continue;
		(*sampled)++;
		ASSERT_EQ(sm->caplen, cap, "sample: bytes carried");
		ASSERT_EQ(sm->wirelen, (__u32)fr->len, "sample: the frame's length");
		FAIL_IF(memcmp(sm->data, fr->b, cap), "sample: not the frame's first %u bytes", cap);
	}
	if (!st->nocnt)
		ASSERT_EQ(drops, drop_events_due(st), "drop events written by the step");
	return 0;
}

static int run_step(const struct step *st, char *why)
{
	struct frame fr;
	uint64_t before[TS_C_MAX], after[TS_C_MAX], abefore[TS_A_MAX], aafter[TS_A_MAX];
	struct ts_drops dbefore, dafter;
	__u32 ret = 0, want;
	int err, i, ev0, sampled;
	uint64_t want_cnt[TS_C_MAX];

	FAIL_IF(frame_build(&st->f, &fr) < 0, "frame does not build");
	if (st->sleep_ms) {
		struct timespec ts = { st->sleep_ms / 1000, (long)(st->sleep_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "ring_buffer__consume failed");
	ev0 = nevs;
	FAIL_IF(read_counters(before), "read counters: %s", strerror(errno));
	FAIL_IF(read_anomalies(abefore), "read anomalies: %s", strerror(errno));
	FAIL_IF(drops_read(&dbefore), "read drops: %s", strerror(errno));
	err = run_frame(st->prog, fr.b, fr.len, st->xdp_meta, st->repeat, &ret);
	if (err == -EINVAL && st->skip_einval) {
		snprintf(why, WHYLEN, "BPF_PROG_TEST_RUN refuses a %d-byte frame (EINVAL): "
			 "this kernel cannot inject it", fr.len);
		return 1;
	}
	FAIL_IF(err, "BPF_PROG_TEST_RUN (%s, %d bytes): %s", st->prog == XDP ? "xdp" : "tc",
		fr.len, strerror(-err));
	want = st->verdict ? (__u32)st->verdict : st->prog == XDP ? XDP_PASS : TC_ACT_OK;
	ASSERT_EQ(ret, want, "verdict");
	FAIL_IF(read_counters(after), "read counters: %s", strerror(errno));
	/* every frame's verdict is counted once, in its hook's counter, and
	 * a drop (or a would-drop) under exactly one reason */
	FAIL_IF(drops_read(&dafter), "read drops: %s", strerror(errno));
	if (check_verdicts(st->prog, ret, (uint64_t)(st->repeat > 0 ? st->repeat : 1), before, after,
			   why) ||
	    check_reasons(st->dropped, st->would, (uint64_t)(st->repeat > 0 ? st->repeat : 1),
			  &dbefore, &dafter, why))
		return -1;
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "ring_buffer__consume failed");
	if (check_frame_events(st, ev0, &fr, &sampled, why))
		return -1;
	/* a drop's event (and every sampled event) is the harness's to count,
	 * from what the ring holds: the cases name what else moves */
	memcpy(want_cnt, st->cnt, sizeof(want_cnt));
	want_cnt[TS_C_EVENTS] += (uint64_t)drop_events_due(st);
	want_cnt[TS_C_SAMPLES] = (uint64_t)sampled;
	if (!st->nocnt) {
		for (i = 0; i < TS_C_MAX; i++)
			if (!is_verdict_counter(i) && after[i] - before[i] != want_cnt[i])
				break;
		if (i < TS_C_MAX) {
			char got[200], exp[200];

			deltas_str(got, sizeof(got), before, after);
			deltas_str(exp, sizeof(exp), NULL, want_cnt);
			FAIL_IF(1, "counter %s moved by %llu, want %llu (moved: %s; want: %s)",
				cname(i), (unsigned long long)(after[i] - before[i]),
				(unsigned long long)want_cnt[i], got, exp);
		}
		FAIL_IF(read_anomalies(aafter), "read anomalies: %s", strerror(errno));
		for (i = 0; i < TS_A_MAX; i++)
			FAIL_IF(aafter[i] - abefore[i] != st->anom[i],
				"anomaly count %s moved by %llu, want %llu", aname(i),
				(unsigned long long)(aafter[i] - abefore[i]),
				(unsigned long long)st->anom[i]);
	}
	if (check_anomaly_events(st, ev0, why))
		return -1;
	return check_map(st, why);
}

/* ---- floods and scans: driven frame by frame, on the real clock ------------ */

uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int burst_spilled(uint64_t t0, const char *what, char *why)
{
	uint64_t t1 = coarse_ns();

	if (t0 / TS_EPOCH_NS == t1 / TS_EPOCH_NS)
		return 0;
	snprintf(why, WHYLEN, "%s took %llu ms and spilled into the next %llu ms epoch: too slow here",
		 what, (unsigned long long)((t1 - t0) / 1000000),
		 (unsigned long long)(TS_EPOCH_NS / 1000000));
	return 1;
}

void next_epoch(void)
{
	uint64_t now = coarse_ns(), e = now / TS_EPOCH_NS;
	uint64_t target = (e + 1) * TS_EPOCH_NS + 20000000ull;

	while ((now = coarse_ns()) < target) {
		uint64_t d = target - now;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(d > 999999999 ? 999999999 : d) };

		nanosleep(&ts, NULL);
	}
}

int send_seg(int prog, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct frame_spec fs = {
		.family = 4, .saddr4 = saddr, .daddr4 = daddr, .sport = sport, .dport = dport,
		.flags = flags, .seq = seq, .ack = ack, .win = 65535,
		.mss = (flags & F_SYN) ? 1460 : 0,
	};
	struct frame fr;
	__u32 ret;

	if (frame_build(&fs, &fr) < 0)
		return -1;
	return run_frame(prog, fr.b, fr.len, 0, 1, &ret);
}

int count_kind(uint32_t kind, int phase)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == kind &&
		    (phase < 0 || (int)(evs[i].detail & 0xff) == phase))
			n++;
	return n;
}

int anomaly_events(void)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		n += evs[i].type == TS_EV_ANOMALY;
	return n;
}

void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int flow_of(uint32_t sa, uint16_t sp, uint32_t da, uint16_t dp, struct ts_flow *f)
{
	struct frame_spec fs = { .family = 4, .saddr4 = sa, .daddr4 = da, .sport = sp,
				 .dport = dp };

	return lookup_flow(&fs, f);
}

/* ---- the policy maps --------------------------------------------------------- */

int pfd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -1;
}

/* every policy map back to "nothing": zero policy in both slots, slot 0 */
static int policy_reset(void)
{
	static const char *const lists[] = { "hosts", "allow", "deny", "bans" };
	static const char *const cells[] = { "src_rl", "port_rl" };
	struct ts_policy zp = { 0 };
	struct ts_drops *d = calloc(ncpus, sizeof(*d));
	__u32 k, n, zero = 0, one = 1;
	__u64 z = 0;
	char key[32];
	unsigned i;
	int fd;

	if (!d)
		return -1;
	fd = pfd("drops");
	if (fd < 0 || bpf_map_update_elem(fd, &zero, d, BPF_ANY)) {
		free(d);
		return -1;
	}
	free(d);
	fd = pfd("policy");
	if (fd < 0 || bpf_map_update_elem(fd, &zero, &zp, BPF_ANY) ||
	    bpf_map_update_elem(fd, &one, &zp, BPF_ANY))
		return -1;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		fd = pfd(lists[i]);
		while (fd >= 0 && bpf_map_get_next_key(fd, NULL, key) == 0)
			if (bpf_map_delete_elem(fd, key))
				return -1;
	}
	for (i = 0; i < 2; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, cells[i]);

		if (!m)
			return -1;
		n = bpf_map__max_entries(m);
		for (k = 0; k < n; k++)
			if (bpf_map_update_elem(bpf_map__fd(m), &k, &z, BPF_ANY))
				return -1;
	}
	return 0;
}

int policy_put(__u32 slot, const struct ts_policy *p)
{
	return bpf_map_update_elem(pfd("policy"), &slot, p, BPF_ANY);
}

void use_slot(__u32 slot)
{
	struct ts_config c = { .policy_slot = slot };
	__u32 zero = 0;

	bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY);
}

struct ts_policy pol_mk(__u32 mode, __u32 flags)
{
	struct ts_policy p = { .mode = mode, .flags = flags };

	return p;
}

uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int host_put(uint32_t a4, __u32 lists, __u64 expires, __u32 reason)
{
	struct ts_host_key k = { 0 };
	struct ts_list_val v = { .lists = lists, .expires_ns = expires, .reason = reason };

	fr_v4mapped(k.addr, a4);
	return bpf_map_update_elem(pfd("hosts"), &k, &v, BPF_ANY);
}

int host_get(uint32_t a4, struct ts_list_val *v)
{
	struct ts_host_key k = { 0 };

	fr_v4mapped(k.addr, a4);
	return bpf_map_lookup_elem(pfd("hosts"), &k, v);
}

int ban_put(uint32_t a4, __u64 expires, __u32 reason)
{
	struct ts_ban_key k = { { 0 } };
	struct ts_list_val v = { .lists = TS_L_DENY, .expires_ns = expires, .reason = reason };

	fr_v4mapped(k.addr, a4);
	return bpf_map_update_elem(pfd("bans"), &k, &v, BPF_ANY);
}

int ban_get(uint32_t a4, struct ts_list_val *v)
{
	struct ts_ban_key k = { { 0 } };

	fr_v4mapped(k.addr, a4);
	return bpf_map_lookup_elem(pfd("bans"), &k, v);
}

int prefix_put(const char *map, uint32_t a4, int plen)
{
	struct ts_lpm_key k = { .prefixlen = TS_LPM_BITS(96 + plen) };
	struct ts_list_val v = { 0 };

	fr_v4mapped(k.addr, a4);
	return bpf_map_update_elem(pfd(map), &k, &v, BPF_ANY);
}

int drops_read(struct ts_drops *out)
{
	struct ts_drops *d = calloc(ncpus, sizeof(*d));
	__u64 *o = (__u64 *)out;
	__u32 zero = 0;
	int c;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!d || bpf_map_lookup_elem(pfd("drops"), &zero, d)) {
		free(d);
		return -1;
	}
	for (c = 0; c < ncpus; c++)
		for (i = 0; i < sizeof(*out) / 8; i++)
			o[i] += ((__u64 *)&d[c])[i];
	free(d);
	return 0;
}

int verdict(const struct frame_spec *fs)
{
	struct frame fr;
	__u32 ret;

	if (frame_build(fs, &fr) < 0 || run_frame(XDP, fr.b, fr.len, 0, 1, &ret))
		return -1;
	return (int)ret;
}

int syn_from(uint32_t saddr, uint16_t sport, uint16_t dport)
{
	struct frame_spec fs = {
		.family = 4, .saddr4 = saddr, .daddr4 = S4, .sport = sport, .dport = dport,
		.flags = F_SYN, .seq = C_ISN, .win = 65535, .mss = 1460,
	};

	return verdict(&fs);
}



/* 0 pass, 1 skip, -1 fail; why: 2 * WHYLEN bytes */
static int run_case(const struct tcase *tc, char *why)
{
	char sub[WHYLEN];
	int i, r;

	if (reset_state()) {
		snprintf(why, 2 * WHYLEN, "reset state: %s", strerror(errno));
		return -1;
	}
	if (tc->setup)
		tc->setup();
	for (i = 0; i < tc->nsteps; i++) {
		r = run_step(&tc->steps[i], sub);
		if (r > 0) {
			snprintf(why, 2 * WHYLEN, "%s", sub);
			return 1;
		}
		if (r) {
			snprintf(why, 2 * WHYLEN, "step %d \"%s\": %s", i + 1, tc->steps[i].what, sub);
			return -1;
		}
	}
	/* a post check returns 1 when this machine cannot run it (too slow
	 * to fit its frames in one epoch): a skip with its reason */
	r = tc->post ? tc->post(tc, sub) : 0;
	if (r) {
		snprintf(why, 2 * WHYLEN, "%s%s", r > 0 ? "" : "after the steps: ", sub);
		return r > 0 ? 1 : -1;
	}
	return 0;
}

extern const struct area area_parse, area_handshake, area_anomaly, area_flood, area_policy,
	area_cookie, area_verdict, area_records, area_quality;
static const struct area *const areas[] = {
	&area_parse, &area_handshake, &area_anomaly, &area_flood, &area_policy, &area_cookie,
	&area_verdict, &area_records, &area_quality,
};
#define NAREAS (int)(sizeof(areas) / sizeof(areas[0]))

/* -t AREA[/TEXT]: the area named AREA, its cases whose name holds TEXT */
static int selected(const struct area *a, const struct tcase *tc, const char *sel)
{
	const char *slash;
	size_t n;

	if (!sel)
		return 1;
	slash = strchr(sel, '/');
	n = slash ? (size_t)(slash - sel) : strlen(sel);
	if (strlen(a->name) != n || strncmp(a->name, sel, n))
		return 0;
	return !slash || strstr(tc->name, slash + 1) != NULL;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-l] [-t AREA[/TEXT]] [BUILD_DIR]\n"
		"  -l             list the areas and their cases\n"
		"  -t AREA        run one area's cases (AREA/TEXT: those whose name holds TEXT)\n"
		"  BUILD_DIR      holds tcpsentry.bpf.o (default: the directory of bpftest)\n",
		argv0);
}

int main(int argc, char **argv)
{
	char why[2 * WHYLEN], self[PATH_MAX];
	const char *sel = NULL, *dir;
	int i, k, r, c, list = 0, pass = 0, fail = 0, skip = 0, matched = 0;
	ssize_t n;

	while ((c = getopt(argc, argv, "lt:h")) != -1) {
		switch (c) {
		case 'l':
			list = 1;
			break;
		case 't':
			sel = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(argv[0]);
		return 2;
	}
	if (list) {
		for (i = 0; i < NAREAS; i++)
			for (k = 0; k < areas[i]->n; k++)
				if (selected(areas[i], &areas[i]->cases[k], sel))
					printf("%s: %s\n", areas[i]->name, areas[i]->cases[k].name);
		return 0;
	}
	if (optind < argc) {
		dir = argv[optind];
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			fprintf(stderr, "bpftest: no BUILD_DIR and no /proc/self/exe\n");
			return 2;
		}
		self[n] = 0;
		dir = dirname(self);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	{
		/* one CPU: the per-CPU event rate limiters are then one bucket */
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bpftest: sched_setaffinity: %s\n", strerror(errno));
	}
	if (setup_object(dir, &skip)) {
		printf("load %s/tcpsentry.bpf.o: FAIL (see above)\n", dir);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (i = 0; i < NAREAS; i++) {
		for (k = 0; k < areas[i]->n; k++) {
			const struct tcase *tc = &areas[i]->cases[k];

			if (!selected(areas[i], tc, sel))
				continue;
			matched++;
			why[0] = 0;
			r = run_case(tc, why);
			if (r == 0) {
				printf("%s: %s: PASS\n", areas[i]->name, tc->name);
				pass++;
			} else if (r > 0) {
				printf("%s: %s: SKIP (%s)\n", areas[i]->name, tc->name, why);
				skip++;
			} else {
				printf("%s: %s: FAIL (%s)\n", areas[i]->name, tc->name, why);
				fail++;
			}
		}
	}
	reset_state();
	ring_buffer__free(rb);
	bpf_object__close(obj);
	if (sel && !matched) {
		fprintf(stderr, "bpftest: -t %s matches no case (see -l)\n", sel);
		return 2;
	}
	if (skip)
		printf("(%d skipped: not counted below)\n", skip);
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
