// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * BPF_PROG_TEST_RUN tests of the tcpsentry datapath: hand-built frames are
 * run through tcpsentry_xdp (ingress) and tcpsentry_tc_egress (egress) of
 * the real object, and the verdict, the per-CPU counters, the flow tables
 * and the ring buffer are checked.
 *
 * Usage: bpftest BUILD_DIR   (BUILD_DIR holds tcpsentry.bpf.o)
 *
 * Table driven: a case is a list of steps; a step is one frame through one
 * hook, with the verdict it must get, the exact counter deltas it must
 * cause (every counter not named must stay put) and what the flow tables
 * must hold afterwards. All state is reset between cases.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/sketch.h>
#include "format.h"
#include "gc.h"
#include <tcpsentry/flowkey.h>
#include "frames.h"

/* fixtures start from a base tuple and override a field now and then */
#pragma GCC diagnostic ignored "-Woverride-init"

#define FLOWS_MAX 4096
#define WHYLEN 512

enum { XDP = 0, TC = 1 };

/* where the step's tuple must be afterwards */
enum {
	M_SKIP = 0, /* not checked */
	M_NONE,     /* both tables empty */
	M_EMB,      /* in embryonic only (and the only entry) */
	M_FLOWS,    /* in flows only (and the only entry) */
};

/* which end of the step's frame is the client */
enum { CL_SKIP = 0, CL_SRC, CL_DST, CL_UNKNOWN /* events: no flow, TS_EV_CLIENT_UNKNOWN */ };

#ifndef F_URG
#define F_URG 0x20
#endif
#define F_ECE 0x40
#define F_CWR 0x80

struct mexp {
	int where;
	int client;         /* CL_* */
	uint8_t cstate, sstate;
	uint8_t family;     /* 0: not checked */
	uint8_t fl_set;     /* ts_flow.flags bits that must be set */
	uint8_t fl_clear;   /* ... and clear */
	uint16_t c_mss, s_mss;         /* 0: not checked */
	uint8_t c_epfl, s_epfl;        /* ts_endpoint.flags bits that must be set */
	uint8_t c_epfl_clear, s_epfl_clear;
	int c_wscale, s_wscale;        /* 0: not checked, else shift + 1 */
	const char *hist;              /* NULL: not checked */
};

/* the anomaly events a step must write (all other steps: none) */
struct aexp {
	uint32_t kind;        /* enum ts_anomaly; 0: the step writes no anomaly event */
	int nev;              /* how many events of it; 0 means 1 */
	int client;           /* CL_*: the event's client */
	int facts;            /* check expected/got/detail */
	uint32_t expected, got, detail;
	int sup;              /* check suppressed */
	uint32_t suppressed;
};

struct step {
	const char *what;
	int prog;                 /* XDP / TC */
	struct frame_spec f;
	int xdp_meta;             /* XDP: bytes of metadata before the frame */
	int verdict;              /* 0: the hook's pass verdict (always, this version) */
	int nocnt;                /* don't check counters */
	int skip_einval;          /* the kernel may refuse the frame: SKIP, not FAIL */
	uint64_t cnt[TS_C_MAX];   /* exact deltas; unnamed counters must not move */
	uint64_t anom[TS_A_MAX];  /* exact anomaly-count deltas; unnamed must not move */
	struct aexp ae;
	int repeat;               /* run the frame this many times in one test run */
	int sleep_ms;             /* wait this long before the frame */
	struct mexp m;
};

struct tcase {
	const char *name;
	const struct step *steps;
	int nsteps;
	void (*setup)(void);
	int (*post)(const struct tcase *tc, char *why);
};

#define STEPS(...) .steps = (const struct step[]){ __VA_ARGS__ },                      \
	.nsteps = sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step)

/* ---- the tuples ---------------------------------------------------------- */

#define C4 0x0a000001u /* 10.0.0.1: the remote client */
#define S4 0x0a000002u /* 10.0.0.2: the local server */
#define CPORT 40000
#define SPORT 80
#define C6 { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }
#define S6 { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }

/* client -> server and server -> client, IPv4 and IPv6 */
#define C2S4(...) { .family = 4, .saddr4 = C4, .daddr4 = S4, .sport = CPORT,      \
		    .dport = SPORT, .win = 512, __VA_ARGS__ }
#define S2C4(...) { .family = 4, .saddr4 = S4, .daddr4 = C4, .sport = SPORT,      \
		    .dport = CPORT, .win = 512, __VA_ARGS__ }
#define C2S6(...) { .family = 6, .saddr6 = C6, .daddr6 = S6, .sport = CPORT,      \
		    .dport = SPORT, .win = 512, __VA_ARGS__ }
#define S2C6(...) { .family = 6, .saddr6 = S6, .daddr6 = C6, .sport = SPORT,      \
		    .dport = CPORT, .win = 512, __VA_ARGS__ }

#define C_ISN 1000u
#define S_ISN 5000u
/* a Linux-like SYN and SYN-ACK */
#define SYN_OPTS .mss = 1460, .sackok = 1, .ts = 1, .tsval = 1, .has_wscale = 1, .wscale = 7
#define SYNACK_OPTS .mss = 1400, .sackok = 1, .ts = 1, .tsval = 2, .tsecr = 1,       \
		.has_wscale = 1, .wscale = 8

#define CNT(...) .cnt = { __VA_ARGS__ }
#define ANOM(...) .anom = { __VA_ARGS__ }
#define IN1  [TS_C_PKTS_IN] = 1, [TS_C_TCP] = 1
#define OUT1 [TS_C_PKTS_OUT] = 1, [TS_C_TCP] = 1

#define EPF_SYN (TS_EP_SYN_SENT | TS_EP_SEQ_KNOWN)
#define EPF_OPTS (TS_EP_WSCALE | TS_EP_SACKOK | TS_EP_TS)

/* ---- the object ------------------------------------------------------------ */

static struct bpf_object *obj;
static int prog_fd[2];
static int flows_fd, emb_fd, counters_fd, config_fd, anomalies_fd;
static struct ring_buffer *rb;
static int ncpus;

#define MAX_EVENTS 256
static struct ts_event evs[MAX_EVENTS];
static int nevs, nevs_dropped;

/* counter names: the ones `tcpsentry stats` prints (user/format.c) */
static const char *cname(int i)
{
	static char buf[16];

	if (i >= 0 && i < TS_C_MAX && ts_counter_name((unsigned)i))
		return ts_counter_name((unsigned)i);
	snprintf(buf, sizeof(buf), "counter#%d", i);
	return buf;
}


#define FAIL_IF(cond, ...)                                                       \
	do {                                                                     \
		if (cond) {                                                      \
			snprintf(why, WHYLEN, __VA_ARGS__);                      \
			return -1;                                               \
		}                                                                \
	} while (0)
#define ASSERT_TRUE(cond, ...) FAIL_IF(!(cond), __VA_ARGS__)
#define ASSERT_EQ(got, want, what)                                               \
	FAIL_IF((unsigned long long)(got) != (unsigned long long)(want),         \
		"%s: got %llu, want %llu", (what), (unsigned long long)(got),    \
		(unsigned long long)(want))

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
	memcpy(&evs[nevs++], data, sizeof(struct ts_event));
	return 0;
}

static int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "bpftest: no map %s in the object\n", name);
		return -1;
	}
	return bpf_map__fd(m);
}

static int setup_object(const char *dir)
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
	counters_fd = map_fd("counters");
	config_fd = map_fd("config");
	anomalies_fd = map_fd("anomalies");
	if (flows_fd < 0 || emb_fd < 0 || counters_fd < 0 || config_fd < 0 || anomalies_fd < 0 ||
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

static int read_counters(uint64_t out[TS_C_MAX])
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

static int read_anomalies(uint64_t out[TS_A_MAX])
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

static int map_count(int fd)
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

static void set_state_events(__u32 on)
{
	struct ts_config c = { .state_events = on };
	__u32 zero = 0;

	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		fprintf(stderr, "bpftest: config update: %s\n", strerror(errno));
}

/* zero the flood and scan sketches (arrays: every slot, every CPU) */
static int sketch_clear(void)
{
	static const char *const names[] = { "synwin", "floods", "scans" };
	size_t vsz[] = { sizeof(struct ts_synwin), sizeof(struct ts_flood),
			 sizeof(struct ts_scan) };
	unsigned i, k, n;

	for (i = 0; i < 3; i++) {
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

static int policy_reset(void); /* tests/bpf/policy_cases.h */

static int reset_state(void)
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
	if (err || map_clear(flows_fd) || map_clear(emb_fd) || sketch_clear() || policy_reset())
		return -1;
	set_state_events(0);
	ring_buffer__consume(rb);
	nevs = nevs_dropped = 0;
	return 0;
}

/* ---- running a frame -------------------------------------------------------- */

static int run_frame(int prog, const uint8_t *data, int len, int meta, int repeat,
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
static int frame_key(const struct frame_spec *s, struct ts_flow_key *k)
{
	uint8_t src[16], dst[16];
	__u32 sa[4], da[4];

	frame_addrs(s, src, dst);
	memcpy(sa, src, 16);
	memcpy(da, dst, 16);
	memset(k, 0, sizeof(*k));
	return ts_key_make(k, sa, htons(s->sport), da, htons(s->dport));
}

/* the entry of a frame's tuple: 0 flows, 1 embryonic, -1 none */
static int lookup_flow(const struct frame_spec *s, struct ts_flow *f)
{
	struct ts_flow_key k;

	frame_key(s, &k);
	if (bpf_map_lookup_elem(flows_fd, &k, f) == 0)
		return 0;
	if (bpf_map_lookup_elem(emb_fd, &k, f) == 0)
		return 1;
	return -1;
}

static int check_map(const struct step *st, char *why)
{
	const struct mexp *m = &st->m;
	struct ts_flow_key k;
	struct ts_flow f, g;
	const struct ts_endpoint *c, *s;
	int sender, nf, ne, in_flows, in_emb;
	char hist[sizeof(f.hist) + 1];

	if (m->where == M_SKIP)
		return 0;
	sender = frame_key(&st->f, &k);
	nf = map_count(flows_fd);
	ne = map_count(emb_fd);
	in_flows = bpf_map_lookup_elem(flows_fd, &k, &f) == 0;
	in_emb = bpf_map_lookup_elem(emb_fd, &k, &g) == 0;

	if (m->where == M_NONE) {
		ASSERT_TRUE(nf == 0 && ne == 0,
			    "want no entry, flows has %d, embryonic has %d", nf, ne);
		return 0;
	}
	if (m->where == M_EMB) {
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

/* "name+N ..." for every counter that differs between a and b (a NULL: zeros) */
static void deltas_str(char *out, size_t n, const uint64_t *a, const uint64_t *b)
{
	size_t used = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < TS_C_MAX && used < n; i++) {
		uint64_t d = b[i] - (a ? a[i] : 0);

		if (d)
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

static int run_step(const struct step *st, char *why)
{
	struct frame fr;
	uint64_t before[TS_C_MAX], after[TS_C_MAX], abefore[TS_A_MAX], aafter[TS_A_MAX];
	__u32 ret = 0, want;
	int err, i, ev0;

	FAIL_IF(frame_build(&st->f, &fr) < 0, "frame does not build");
	if (st->sleep_ms) {
		struct timespec ts = { st->sleep_ms / 1000, (long)(st->sleep_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	ASSERT_TRUE(ring_buffer__consume(rb) >= 0, "ring_buffer__consume failed");
	ev0 = nevs;
	FAIL_IF(read_counters(before), "read counters: %s", strerror(errno));
	FAIL_IF(read_anomalies(abefore), "read anomalies: %s", strerror(errno));
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
	if (!st->nocnt) {
		for (i = 0; i < TS_C_MAX; i++)
			if (after[i] - before[i] != st->cnt[i])
				break;
		if (i < TS_C_MAX) {
			char got[200], exp[200];

			deltas_str(got, sizeof(got), before, after);
			deltas_str(exp, sizeof(exp), NULL, st->cnt);
			FAIL_IF(1, "counter %s moved by %llu, want %llu (moved: %s; want: %s)",
				cname(i), (unsigned long long)(after[i] - before[i]),
				(unsigned long long)st->cnt[i], got, exp);
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

/* ---- post checks ------------------------------------------------------------ */

#define HS_SYN(...)                                                                   \
	{ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .win = 64240, SYN_OPTS),     \
	  CNT(IN1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1, __VA_ARGS__),                \
	  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .family = 4, .c_mss = 1460,      \
		 .c_wscale = 7 + 1, .c_epfl = EPF_SYN | EPF_OPTS, .hist = "S" } }
#define HS_SYNACK(...)                                                                \
	{ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1, .flags = F_SYN | F_ACK, \
				  .win = 65160, SYNACK_OPTS),                            \
	  CNT(OUT1, [TS_C_SYNACK] = 1, __VA_ARGS__),                                     \
	  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD, .family = 4, .c_mss = 1460,   \
		 .s_mss = 1400, .c_wscale = 7 + 1, .s_wscale = 8 + 1,                     \
		 .c_epfl = EPF_SYN | EPF_OPTS, .s_epfl = EPF_SYN | EPF_OPTS, .hist = "Sh" } }
#define HS_ACK(...)                                                                   \
	{ "ACK in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK),      \
	  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PROMOTE] = 1, [TS_C_FLOW_INSERT] = 1,      \
	      __VA_ARGS__),                                                            \
	  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .family = 4,            \
		 .fl_clear = TS_F_PROMOTED | TS_F_PICKED_UP, .c_mss = 1460, .s_mss = 1400,  \
		 .c_epfl = EPF_SYN | EPF_OPTS, .s_epfl = EPF_SYN | EPF_OPTS,              \
		 .hist = "ShA" } }

#define HS_CLOSE                                                                      \
	{ "data in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK | F_PSH, \
			       .paylen = 100),                                          \
	  CNT(IN1, [TS_C_DATA] = 1),                                                     \
	  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },     \
	{ "ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 101, .flags = F_ACK),     \
	  CNT(OUT1, [TS_C_ACK_ONLY] = 1),                                                \
	  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADa" } },    \
	{ "client FIN in", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1,              \
				     .flags = F_FIN | F_ACK),                         \
	  CNT(IN1, [TS_C_FIN] = 1),                                                      \
	  .m = { M_FLOWS, CL_SRC, TS_FIN_WAIT_1, TS_CLOSE_WAIT, .hist = "ShADaF",         \
		 .c_epfl = TS_EP_FIN_SENT } },                                         \
	{ "server ACKs the FIN", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 102,         \
					  .flags = F_ACK),                            \
	  CNT(OUT1, [TS_C_ACK_ONLY] = 1),                                                \
	  .m = { M_FLOWS, CL_DST, TS_FIN_WAIT_2, TS_CLOSE_WAIT } },                       \
	{ "server FIN out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 102,              \
				     .flags = F_FIN | F_ACK),                          \
	  CNT(OUT1, [TS_C_FIN] = 1),                                                     \
	  .m = { M_FLOWS, CL_DST, TS_TIME_WAIT, TS_LAST_ACK, .hist = "ShADaFf",            \
		 .s_epfl = TS_EP_FIN_SENT } },                                         \
	{ "last ACK in", XDP, C2S4(.seq = C_ISN + 102, .ack = S_ISN + 2, .flags = F_ACK),  \
	  CNT(IN1, [TS_C_ACK_ONLY] = 1),                                                 \
	  .m = { M_FLOWS, CL_SRC, TS_TIME_WAIT, TS_CLOSED, .hist = "ShADaFf" } }

static int post_handshake_close(const struct tcase *tc, char *why)
{
	struct ts_flow f;
	const struct ts_endpoint *c = &f.ep[TS_CLIENT], *s = &f.ep[TS_SERVER];

	ASSERT_EQ(lookup_flow(&tc->steps[0].f, &f), 0, "flows lookup");
	ASSERT_EQ(c->packets, 5, "client packets");
	ASSERT_EQ(c->bytes, 100, "client bytes");
	ASSERT_EQ(s->packets, 4, "server packets");
	ASSERT_EQ(s->bytes, 0, "server bytes");
	ASSERT_EQ(c->isn, C_ISN, "client isn");
	ASSERT_EQ(s->isn, S_ISN, "server isn");
	ASSERT_EQ(c->fin_end, C_ISN + 102, "client fin_end");
	ASSERT_EQ(s->fin_end, S_ISN + 2, "server fin_end");
	ASSERT_EQ(c->end, C_ISN + 102, "client end");
	ASSERT_EQ(s->end, S_ISN + 2, "server end");
	ASSERT_TRUE(f.syn_ns && f.synack_ns && f.syn_ns <= f.synack_ns,
		    "syn_ns %llu synack_ns %llu", (unsigned long long)f.syn_ns,
		    (unsigned long long)f.synack_ns);
	ASSERT_TRUE(f.first_seen_ns && f.last_seen_ns >= f.first_seen_ns - 20000000ull,
		    "first_seen %llu last_seen %llu", (unsigned long long)f.first_seen_ns,
		    (unsigned long long)f.last_seen_ns);
	ASSERT_EQ(f.handover, 0, "handover");
	/* state events are off by default */
	ring_buffer__consume(rb);
	ASSERT_EQ(nevs, 0, "ring buffer records with state_events=0");
	return 0;
}

/* the local host's handshake time, as fsm.h defines it */
static int post_client_side(const struct tcase *tc, char *why)
{
	struct ts_flow f;

	ASSERT_EQ(lookup_flow(&tc->steps[0].f, &f), 0, "flows lookup");
	ASSERT_TRUE(f.syn_ns && f.synack_ns >= f.syn_ns, "syn_ns %llu synack_ns %llu",
		    (unsigned long long)f.syn_ns, (unsigned long long)f.synack_ns);
	/* local client: SYN out -> SYN-ACK in, timed when the SYN-ACK arrives */
	ASSERT_EQ(f.handshake_us, (f.synack_ns - f.syn_ns) / 1000, "handshake_us");
	return 0;
}

static int post_server_side_time(const struct ts_flow *f, char *why)
{
	ASSERT_TRUE(f->synack_ns && f->state_ns >= f->synack_ns, "synack_ns %llu state_ns %llu",
		    (unsigned long long)f->synack_ns, (unsigned long long)f->state_ns);
	/* local server: SYN-ACK out -> ACK in; the ACK's step set state_ns */
	ASSERT_EQ(f->handshake_us, (f->state_ns - f->synack_ns) / 1000, "handshake_us");
	return 0;
}

static int post_fast_path(const struct tcase *tc, char *why)
{
	struct ts_flow f;
	const struct ts_endpoint *c = &f.ep[TS_CLIENT], *s = &f.ep[TS_SERVER];

	ASSERT_EQ(lookup_flow(&tc->steps[0].f, &f), 0, "flows lookup");
	ASSERT_EQ(c->packets, 5, "client packets");
	ASSERT_EQ(c->bytes, 300, "client bytes");
	ASSERT_EQ(s->packets, 3, "server packets");
	ASSERT_EQ(c->end, C_ISN + 301, "client end");
	ASSERT_EQ(s->last_ack, C_ISN + 201, "server last_ack");
	ASSERT_EQ(c->last_ack, S_ISN + 1, "client last_ack");
	ASSERT_TRUE(f.last_seen_ns >= f.state_ns, "last_seen %llu before state_ns %llu",
		    (unsigned long long)f.last_seen_ns, (unsigned long long)f.state_ns);
	ring_buffer__consume(rb);
	ASSERT_EQ(nevs, 5, "state events (handshake only)");
	return 0;
}

static void setup_events(void)
{
	set_state_events(1);
}

static int post_events(const struct tcase *tc, char *why)
{
	static const struct { __u8 side, from, to, flags, dir; } want[] = {
		{ TS_CLIENT, TS_CLOSED, TS_SYN_SENT, F_SYN, 0 },
		{ TS_SERVER, TS_CLOSED, TS_LISTEN, F_SYN, 0 },
		{ TS_CLIENT, TS_SYN_SENT, TS_ESTABLISHED, F_SYN | F_ACK, 1 },
		{ TS_SERVER, TS_LISTEN, TS_SYN_RCVD, F_SYN | F_ACK, 1 },
		{ TS_SERVER, TS_SYN_RCVD, TS_ESTABLISHED, F_ACK, 0 },
	};
	struct ts_flow_key k;
	int sender, i, n;

	struct ts_flow f;

	ASSERT_EQ(lookup_flow(&tc->steps[0].f, &f), 0, "flows lookup");
	if (post_server_side_time(&f, why))
		return -1;
	sender = frame_key(&tc->steps[0].f, &k);
	n = ring_buffer__consume(rb);
	ASSERT_TRUE(n >= 0, "ring_buffer__consume: %d", n);
	ASSERT_EQ(nevs_dropped, 0, "malformed/extra ring buffer records");
	ASSERT_EQ(nevs, 5, "TS_EV_STATE records");
	for (i = 0; i < nevs; i++) {
		const struct ts_event *e = &evs[i];

		FAIL_IF(e->type != TS_EV_STATE, "event %d: type %u", i, e->type);
		FAIL_IF(memcmp(&e->key, &k, sizeof(k)), "event %d: key differs", i);
		FAIL_IF(e->client != sender, "event %d: client %u, want %d", i, e->client,
			sender);
		FAIL_IF(e->family != 4, "event %d: family %u", i, e->family);
		FAIL_IF(e->kind || e->detail, "event %d: kind %u detail %u", i, e->kind,
			e->detail);
		FAIL_IF(!e->ts_ns, "event %d: no timestamp", i);
		FAIL_IF(e->side != want[i].side || e->from != want[i].from ||
			e->to != want[i].to,
			"event %d: side %u %s -> %s, want side %u %s -> %s", i, e->side,
			ts_state_name(e->from), ts_state_name(e->to), want[i].side, ts_state_name(want[i].from),
			ts_state_name(want[i].to));
		FAIL_IF(e->tcp_flags != want[i].flags, "event %d: tcp_flags 0x%x, want 0x%x", i,
			e->tcp_flags, want[i].flags);
		FAIL_IF(e->dir != want[i].dir, "event %d: dir %u, want %u", i, e->dir,
			want[i].dir);
		FAIL_IF(i && e->ts_ns < evs[i - 1].ts_ns, "event %d: time goes back", i);
	}
	return 0;
}

/* ---- floods and scans: driven frame by frame, on the real clock ------------ */

#define FLOOD_PORT 80
#define SPOOF_BASE 0xc6128000u /* 198.18.128.0/17 */

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* sleep until 20 ms into the next 500 ms epoch (the datapath's coarse clock) */
static void next_epoch(void)
{
	uint64_t now = coarse_ns(), e = now / TS_EPOCH_NS;
	uint64_t target = (e + 1) * TS_EPOCH_NS + 20000000ull;

	while ((now = coarse_ns()) < target) {
		uint64_t d = target - now;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(d > 999999999 ? 999999999 : d) };

		nanosleep(&ts, NULL);
	}
}

static int send_seg(int prog, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
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

static int count_kind(uint32_t kind, int phase)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == kind &&
		    (phase < 0 || (int)(evs[i].detail & 0xff) == phase))
			n++;
	return n;
}

static int anomaly_events(void)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		n += evs[i].type == TS_EV_ANOMALY;
	return n;
}

/* 10,000 SYNs from 10,000 spoofed sources to one port inside one epoch:
 * one start at the next epoch, with rate 20,000/s and ~10,000 sources;
 * one end once an epoch passes quiet; never one event per SYN */
static int post_syn_flood(const struct tcase *tc, char *why)
{
	uint64_t t0, t1, an[TS_A_MAX];
	const struct ts_event *st = NULL, *en = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	t1 = coarse_ns();
	if (t0 / TS_EPOCH_NS != t1 / TS_EPOCH_NS) {
		snprintf(why, WHYLEN, "10,000 SYNs took %llu ms: crossed an epoch, too slow here",
			 (unsigned long long)((t1 - t0) / 1000000));
		return 1;
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events during the first epoch");
	next_epoch();
	/* the first SYN of the next epoch rolls the window over: start */
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY)
			st = &evs[i];
	ASSERT_EQ(st->got, 20000, "start: SYN/s");
	ASSERT_EQ(ntohs(st->key.port[1]), FLOOD_PORT, "start: port");
	ASSERT_EQ(st->detail >> 16, 0, "start: handshakes completed (%)");
	ASSERT_TRUE(st->expected >= 6500 && st->expected <= 13500,
		    "start: distinct sources %u, want ~10000", st->expected);
	ASSERT_TRUE(st->ts_ns - t0 < 1000000000ull + 20000000ull,
		    "start %llu ms after onset", (unsigned long long)((st->ts_ns - t0) / 1000000));
	/* a quiet epoch, then a SYN to another port: the flood ends (the
	 * host-wide slot's rollover sweeps the stale port slot) */
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_END), 1, "flood end events");
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, -1), 2, "flood events in all");
	ASSERT_EQ(anomaly_events(), 2, "anomaly events in all");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && (evs[i].detail & 0xff) == TS_FLOOD_END)
			en = &evs[i];
	ASSERT_EQ(ntohs(en->key.port[1]), FLOOD_PORT, "end: port");
	ASSERT_EQ(en->got, 20000, "end: peak SYN/s");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 2, "syn_flood count");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 0, "port_scan count");
	return 0;
}

/* a spoofed flood with state events on: the embryonic entries' events go
 * through their bucket before detection, and stop once it is detected */
static int post_flood_state_events(const struct tcase *tc, char *why)
{
	uint64_t c[TS_C_MAX];
	int i, st = 0;

	(void)tc;
	set_state_events(1);
	next_epoch();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	for (i = 0; i < nevs; i++)
		st += evs[i].type == TS_EV_STATE;
	/* the burst, plus what refilled over the test's epochs (< 2 s) */
	ASSERT_TRUE(st <= 2 * (TS_RL_EMB_BURST + 2 * TS_RL_EMB_RATE),
		    "%d state events for 10,001 spoofed SYNs", st);
	ASSERT_TRUE(st >= 2 * TS_RL_EMB_BURST, "%d state events: the burst passes", st);
	ASSERT_EQ(read_counters(c), 0, "read counters");
	/* the 10,001st SYN flagged the flood: it made no entry, so no events */
	ASSERT_EQ(c[TS_C_STATE_SUPPRESSED], 2 * 10000 - st, "state events suppressed");
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD], 1, "SYNs untracked under the flood");
	/* full buckets again (in the same epoch: the flood stays active): still none */
	{
		struct ts_anomalies *a = calloc(ncpus, sizeof(*a));
		__u32 zero = 0;

		ASSERT_TRUE(a != NULL, "calloc");
		i = bpf_map_update_elem(anomalies_fd, &zero, a, BPF_ANY);
		free(a);
		ASSERT_EQ(i, 0, "reset buckets");
	}
	nevs = 0;
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10001, 2001, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	for (i = 0, st = 0; i < nevs; i++)
		st += evs[i].type == TS_EV_STATE;
	ASSERT_EQ(st, 0, "state events of an embryonic entry during a flood");
	return 0;
}

/* a spoofed flood on a port, then a real client's handshake to it: its SYN
 * and the SYN-ACK make no entry (no insert per SYN while a flood is on);
 * its final ACK is picked up into flows, both sides ESTABLISHED */
static int post_flood_real_client(const struct tcase *tc, char *why)
{
	const struct frame_spec syn = { .family = 4, .saddr4 = C4, .daddr4 = S4,
					.sport = CPORT, .dport = FLOOD_PORT };
	uint64_t c0[TS_C_MAX], c[TS_C_MAX];
	struct ts_flow f;
	int i, ne;

	(void)tc;
	next_epoch();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   FLOOD_PORT, F_SYN, 1000u * (uint32_t)i, 0), 0, "test run");
	next_epoch();
	ASSERT_EQ(read_counters(c0), 0, "read counters");
	ne = map_count(emb_fd);
	/* the first SYN of the next epoch flags the flood, and is not tracked */
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, FLOOD_PORT, F_SYN, 1, 0), 0,
		  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	/* the real client, in the same epoch (the flood stays on) */
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_SYN, 5000, 0), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after the client's SYN");
	ASSERT_EQ(send_seg(TC, S4, FLOOD_PORT, C4, CPORT, F_SYN | F_ACK, 9000, 5001), 0,
		  "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after the SYN-ACK");
	ASSERT_EQ(map_count(emb_fd), ne, "embryonic entries during the flood");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD] - c0[TS_C_SYN_UNTRACKED_FLOOD], 3,
		  "untracked: spoofed SYN, client SYN, SYN-ACK");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts during the flood");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_ACK, 5001, 9001), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), 0, "the client's ACK: a flows entry");
	ASSERT_EQ(f.ep[TS_CLIENT].state, TS_ESTABLISHED, "client state");
	ASSERT_EQ(f.ep[TS_SERVER].state, TS_ESTABLISHED, "server state");
	ASSERT_TRUE(f.flags & TS_F_PICKED_UP, "picked up (flags 0x%x)", f.flags);
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_PICKUP] - c0[TS_C_PICKUP], 1, "pickups");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts");
	return 0;
}

/* a host-wide flood (10,000 SYNs over 640 ports, no port above the rate):
 * a SYN to any port, one never flooded, makes no entry either */
static int post_flood_host_wide(const struct tcase *tc, char *why)
{
	const struct frame_spec syn = { .family = 4, .saddr4 = C4, .daddr4 = S4,
					.sport = CPORT, .dport = 443 };
	uint64_t c0[TS_C_MAX], c[TS_C_MAX];
	struct ts_flow f;
	int i;

	(void)tc;
	next_epoch();
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(1024 + i % 50000), S4,
				   (uint16_t)(2000 + i % 640), F_SYN, 1000u * (uint32_t)i, 0), 0,
			  "test run");
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 10000, 2000, S4, 2000, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_SYN_FLOOD, TS_FLOOD_START), 1, "flood start events");
	ASSERT_EQ(read_counters(c0), 0, "read counters");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_SYN, 5000, 0), 0, "test run");
	ASSERT_EQ(lookup_flow(&syn, &f), -1, "entry after a SYN to port 443");
	ASSERT_EQ(read_counters(c), 0, "read counters");
	ASSERT_EQ(c[TS_C_SYN_UNTRACKED_FLOOD] - c0[TS_C_SYN_UNTRACKED_FLOOD], 1, "untracked");
	ASSERT_EQ(c[TS_C_EMB_INSERT], c0[TS_C_EMB_INSERT], "embryonic inserts");
	return 0;
}

/* 3,000 handshakes that complete inside one epoch (6,000 SYN/s, above the
 * rate, 100% complete), from 3,000 sources: no flood */
static int post_syn_complete(const struct tcase *tc, char *why)
{
	uint64_t t0, t1, an[TS_A_MAX];
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 3000; i++) {
		uint32_t c = SPOOF_BASE + (uint32_t)i;

		ASSERT_EQ(send_seg(XDP, c, 40000, S4, FLOOD_PORT, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, FLOOD_PORT, c, 40000, F_SYN | F_ACK, 5000, 1001), 0,
			  "syn-ack");
		ASSERT_EQ(send_seg(XDP, c, 40000, S4, FLOOD_PORT, F_ACK, 1001, 5001), 0, "ack");
	}
	t1 = coarse_ns();
	if (t0 / TS_EPOCH_NS != t1 / TS_EPOCH_NS) {
		snprintf(why, WHYLEN, "3,000 handshakes took %llu ms: crossed an epoch",
			 (unsigned long long)((t1 - t0) / 1000000));
		return 1;
	}
	next_epoch();
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, FLOOD_PORT, F_SYN, 1, 0), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	ASSERT_EQ(map_count(flows_fd), 3000, "connections promoted");
	return 0;
}

/* one source, SYNs to 50 ports: one port_scan event (at the 21st port) */
static int post_port_scan(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	int i;

	(void)tc;
	for (i = 0; i < 50; i++)
		ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, (uint16_t)(1000 + i), F_SYN, 1000, 0), 0,
			  "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 1, "port_scan events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY) {
			ASSERT_EQ(evs[i].got, 21, "distinct ports at the event");
			ASSERT_EQ(evs[i].expected, TS_DEF_SCAN_PORTS, "threshold");
			ASSERT_EQ(evs[i].detail, 5000, "window (ms)");
		}
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 1, "port_scan count");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	return 0;
}

/* a normal client: one source, one port, 10 connections: nothing */
static int post_normal_client(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	int i;

	(void)tc;
	for (i = 0; i < 10; i++) {
		uint16_t sp = (uint16_t)(40000 + i);

		ASSERT_EQ(send_seg(XDP, C4, sp, S4, 443, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, 443, C4, sp, F_SYN | F_ACK, 5000, 1001), 0, "syn-ack");
		ASSERT_EQ(send_seg(XDP, C4, sp, S4, 443, F_ACK, 1001, 5001), 0, "ack");
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN] + an[TS_A_SYN_FLOOD], 0, "flood + scan counts");
	return 0;
}

/* one client, 30 completed connections to 30 ports (FTP data-style): a
 * port whose handshake completes is not scanned, nothing is flagged */
static int post_many_ports_complete(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	int i;

	(void)tc;
	for (i = 0; i < 30; i++) {
		uint16_t dp = (uint16_t)(30000 + i);

		ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, dp, F_SYN, 1000, 0), 0, "syn");
		ASSERT_EQ(send_seg(TC, S4, dp, C4, CPORT, F_SYN | F_ACK, 5000, 1001), 0, "syn-ack");
		ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, dp, F_ACK, 1001, 5001), 0, "ack");
	}
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 0, "port_scan count");
	ASSERT_EQ(map_count(flows_fd), 30, "connections promoted");
	return 0;
}

/* backscatter: 2,000 RSTs this host sends to 2,000 unknown peers in one
 * epoch (4,000/s): one port_scan (backscatter) start at the next epoch,
 * one end after a quiet epoch; the RSTs' own rst_no_conn stay per RST */
static int post_backscatter(const struct tcase *tc, char *why)
{
	uint64_t t0, t1, an[TS_A_MAX];
	const struct ts_event *st = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 2000; i++)
		ASSERT_EQ(send_seg(TC, S4, (uint16_t)(1 + i % 1000), SPOOF_BASE + (uint32_t)i, 40000,
				   F_RST | F_ACK, 0, 1000u + (uint32_t)i), 0, "test run");
	t1 = coarse_ns();
	if (t0 / TS_EPOCH_NS != t1 / TS_EPOCH_NS) {
		snprintf(why, WHYLEN, "2,000 RSTs took %llu ms: crossed an epoch",
			 (unsigned long long)((t1 - t0) / 1000000));
		return 1;
	}
	next_epoch();
	ASSERT_EQ(send_seg(TC, S4, 22, SPOOF_BASE + 5000, 40000, F_RST | F_ACK, 0, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 1, "port_scan events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == TS_A_PORT_SCAN)
			st = &evs[i];
	ASSERT_EQ(st->detail, TS_SCAN_BACKSCATTER | TS_FLOOD_START, "detail");
	ASSERT_EQ(st->got, 4000, "RST/s");
	ASSERT_EQ(st->dir, 1, "hook");
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(TC, S4, 22, SPOOF_BASE + 5001, 40000, F_RST | F_ACK, 0, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_PORT_SCAN, -1), 2, "port_scan events (start, end)");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_PORT_SCAN], 2, "port_scan count");
	ASSERT_EQ(an[TS_A_RST_NO_CONN], 2002, "rst_no_conn count");
	ASSERT_EQ(an[TS_A_SYN_FLOOD], 0, "syn_flood count");
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int flow_of(uint32_t sa, uint16_t sp, uint32_t da, uint16_t dp, struct ts_flow *f)
{
	struct frame_spec fs = { .family = 4, .saddr4 = sa, .daddr4 = da, .sport = sp,
				 .dport = dp };

	return lookup_flow(&fs, f);
}

/* a real connection picked up mid-stream, answered by the other direction:
 * confirmed, and its sender repeating past the grace is no ack_no_conn */
static int post_pickup_answered(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	struct ts_flow f;
	int k;

	(void)tc;
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in");
	ASSERT_EQ(flow_of(C4, CPORT, S4, 443, &f), 0, "picked up into flows");
	ASSERT_EQ(f.flags & (TS_F_PICKED_UP | TS_F_CONFIRMED), TS_F_PICKED_UP, "unconfirmed");
	ASSERT_EQ(send_seg(TC, S4, 443, C4, CPORT, F_ACK, 5000, 1000), 0, "ack out");
	ASSERT_EQ(flow_of(C4, CPORT, S4, 443, &f), 0, "flows");
	ASSERT_EQ(f.flags & (TS_F_CONFIRMED | TS_F_ACK_REPORTED), TS_F_CONFIRMED, "confirmed");
	sleep_ms(1100);
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in again");
	ASSERT_EQ(send_seg(XDP, C4, CPORT, S4, 443, F_ACK, 1000, 5000), 0, "ack in again");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	for (k = 0; k < TS_A_MAX; k++)
		ASSERT_EQ(an[k], 0, "anomaly count");
	return 0;
}

/* a spoofed lone ACK tuple: repeated within the grace, nothing; repeated
 * past it, one ack_no_conn (once per entry, however often it repeats) */
static int post_ack_no_conn(const struct tcase *tc, char *why)
{
	uint64_t an[TS_A_MAX];
	struct ts_flow f;
	int i;

	(void)tc;
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ring_buffer__consume(rb);
	ASSERT_EQ(anomaly_events(), 0, "anomaly events within the grace");
	sleep_ms(1100);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 7, 51000, S4, 80, F_ACK, 111, 222), 0, "ack");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_NO_CONN, -1), 1, "ack_no_conn events");
	ASSERT_EQ(anomaly_events(), 1, "anomaly events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY) {
			ASSERT_EQ(evs[i].got, 111, "seq");
			ASSERT_EQ(evs[i].detail, 222, "ack");
			ASSERT_EQ(evs[i].dir, 0, "hook");
		}
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_ACK_NO_CONN], 1, "ack_no_conn count");
	ASSERT_EQ(an[TS_A_ACK_FLOOD], 0, "ack_flood count");
	ASSERT_EQ(flow_of(SPOOF_BASE + 7, 51000, S4, 80, &f), 0, "flows");
	ASSERT_EQ(f.flags & (TS_F_CONFIRMED | TS_F_ACK_REPORTED), TS_F_ACK_REPORTED, "marked");
	return 0;
}

/* an ACK flood: 4,000 ACKs of 4,000 unknown tuples in one epoch
 * (8,000/s): one ack_flood start at the next epoch, one end after a quiet
 * epoch; no ack_no_conn (no tuple repeats) */
static int post_ack_flood(const struct tcase *tc, char *why)
{
	uint64_t t0, t1, an[TS_A_MAX];
	const struct ts_event *st = NULL;
	int i;

	(void)tc;
	next_epoch();
	t0 = coarse_ns();
	for (i = 0; i < 4000; i++)
		ASSERT_EQ(send_seg(XDP, SPOOF_BASE + (uint32_t)i, (uint16_t)(20000 + i), S4, 80,
				   F_ACK, 1000u + (uint32_t)i, 1), 0, "test run");
	t1 = coarse_ns();
	if (t0 / TS_EPOCH_NS != t1 / TS_EPOCH_NS) {
		snprintf(why, WHYLEN, "4,000 ACKs took %llu ms: crossed an epoch",
			 (unsigned long long)((t1 - t0) / 1000000));
		return 1;
	}
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 9000, 20000, S4, 80, F_ACK, 1, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, TS_FLOOD_START), 1, "ack_flood start events");
	for (i = 0; i < nevs; i++)
		if (evs[i].type == TS_EV_ANOMALY && evs[i].kind == TS_A_ACK_FLOOD)
			st = &evs[i];
	ASSERT_EQ(st->got, 8000, "ACK/s");
	next_epoch();
	next_epoch();
	ASSERT_EQ(send_seg(XDP, SPOOF_BASE + 9001, 20000, S4, 80, F_ACK, 1, 1), 0, "test run");
	ring_buffer__consume(rb);
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, -1), 2, "ack_flood events (start, end)");
	ASSERT_EQ(count_kind(TS_A_ACK_FLOOD, TS_FLOOD_END), 1, "ack_flood end events");
	ASSERT_EQ(anomaly_events(), 2, "anomaly events");
	ASSERT_EQ(read_anomalies(an), 0, "read anomalies");
	ASSERT_EQ(an[TS_A_ACK_FLOOD], 2, "ack_flood count");
	ASSERT_EQ(an[TS_A_ACK_NO_CONN], 0, "ack_no_conn count");
	return 0;
}

/* ---- the cases ---------------------------------------------------------------- */

/* option bytes for the malformed-option cases */
static const uint8_t opt_mss_len3[] = { 2, 3, 0x05, 1 };
static const uint8_t opt_len0[] = { 1, 1, 0x1e, 0 };
static const uint8_t opt_ts_past_end[] = { 2, 4, 0x05, 0xb4, 8, 10, 0, 0 };
static const uint8_t opt_unknown_then_mss[] = { 0x1e, 4, 0, 0, 1, 1, 2, 4, 0x05, 0x00 };
/* 36 NOPs, then MSS 1200 in the last 4 of the 40 option bytes */
static const uint8_t opt_40_mss_last[40] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 0x04, 0xb0,
};
/* TFO (kind 34) with an 8-byte cookie, then MSS; and a cookie request */
static const uint8_t opt_tfo_cookie[] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x05, 0xb4 };
static const uint8_t opt_tfo_request[] = { 2, 4, 0x05, 0xb4, 34, 2 };
/* MSS, EOL, then bytes that would be malformed: ignored after EOL */
static const uint8_t opt_eol_then_junk[] = { 2, 4, 0x05, 0xb4, 0, 2, 3, 9 };

#define V6EXT(...) .ext = { __VA_ARGS__ },                                                \
	.next = sizeof((struct fr_ext[]){ __VA_ARGS__ }) / sizeof(struct fr_ext)
#define X_HBH(n)  { FR_IPPROTO_HOPOPTS, (n), 0, 0 }
#define X_DST(n)  { FR_IPPROTO_DSTOPTS, (n), 0, 0 }
#define X_RT(n)   { FR_IPPROTO_ROUTING, (n), 0, 0 }
#define X_FRAG(off, mf) { FR_IPPROTO_FRAGMENT, 0, (off), (mf) }

#define SYN4(...) C2S4(.seq = C_ISN, .flags = F_SYN, SYN_OPTS, __VA_ARGS__)
#define SYN6(...) C2S6(.seq = C_ISN, .flags = F_SYN, SYN_OPTS, __VA_ARGS__)
#define TRACKED_SYN(fam) .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .family = (fam),   \
				.c_mss = 1460, .c_wscale = 7 + 1,                       \
				.c_epfl = EPF_SYN | EPF_OPTS, .hist = "S" }
#define SYN_TRACKED_CNT CNT(IN1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1)
#define NOTHING .m = { M_NONE }
#define ERR_ONLY(c) CNT([TS_C_PKTS_IN] = 1, [c] = 1), NOTHING

#include "policy_cases.h"
#include "cookie_cases.h"

static const struct tcase cases[] = {
	/* -- SYNs and the embryonic table -- */
	{ "ipv4 SYN at XDP creates an embryonic entry",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "ipv4 SYN at tc (local client) creates an embryonic entry",
	  STEPS({ "SYN out", TC, SYN4(), CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1),
		  TRACKED_SYN(4) }) },
	{ "SYN retransmission changes nothing",
	  STEPS({ "SYN in", XDP, SYN4(), SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN again", XDP, SYN4(), CNT(IN1, [TS_C_SYN] = 1), TRACKED_SYN(4) }) },
	{ "SYN without options: none learnt",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN), SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_epfl = EPF_SYN,
			 .c_epfl_clear = EPF_OPTS } }) },
	{ "SYN window scale 20 is capped at 14",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .has_wscale = 1,
				      .wscale = 20),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_wscale = 14 + 1,
			 .c_epfl = TS_EP_WSCALE } }) },
	{ "SYN with an unknown option before MSS",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN,
				      .rawopt = opt_unknown_then_mss,
				      .rawoptlen = sizeof(opt_unknown_then_mss)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1280 } }) },

	{ "SYN with 40 option bytes, MSS last",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_40_mss_last,
				      .rawoptlen = sizeof(opt_40_mss_last)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1200 } }) },
	{ "SYN with 40 option bytes behind IHL=15 and QinQ, at tc",
	  STEPS({ "SYN out", TC, C2S4(.seq = C_ISN, .flags = F_SYN, .nvlan = 2,
				      .ip_optlen = 40, .rawopt = opt_40_mss_last,
				      .rawoptlen = sizeof(opt_40_mss_last)),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1200 } }) },
	{ "SYN options: bytes after EOL are not parsed",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_eol_then_junk,
				      .rawoptlen = sizeof(opt_eol_then_junk)),
		  SYN_TRACKED_CNT,
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460,
			 .c_epfl_clear = TS_EP_WSCALE } }) },
	{ "ipv6 SYN behind a 1000-byte destination-options header: tracked",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_DST(124))), SYN_TRACKED_CNT,
		  TRACKED_SYN(6) }) },

	/* -- handshakes across the two hooks -- */
	{ "server-side handshake and close (client closes first)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(), HS_CLOSE),
	  .post = post_handshake_close },
	{ "client-side handshake: SYN out at tc, SYN-ACK in at XDP, ACK out at tc",
	  STEPS({ "SYN out", TC, S2C4(.seq = S_ISN, .flags = F_SYN, SYN_OPTS),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460,
			 .c_epfl = EPF_SYN | EPF_OPTS } },
		{ "SYN-ACK in", XDP, C2S4(.seq = C_ISN, .ack = S_ISN + 1,
					  .flags = F_SYN | F_ACK, SYNACK_OPTS),
		  CNT(IN1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD, .s_mss = 1400 } },
		{ "ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 1, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1, [TS_C_PROMOTE] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .c_mss = 1460,
			 .s_mss = 1400, .hist = "ShA" } }),
	  .post = post_client_side },
	{ "simultaneous open: crossed SYNs, then SYN-ACKs",
	  STEPS(HS_SYN(),
		{ "SYN out (crossing)", TC, S2C4(.seq = S_ISN, .flags = F_SYN, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYN] = 1),
		  .m = { M_EMB, CL_DST, TS_SYN_RCVD, TS_SYN_RCVD } },
		{ "SYN-ACK in", XDP, C2S4(.seq = C_ISN, .ack = S_ISN + 1,
					  .flags = F_SYN | F_ACK, SYN_OPTS),
		  CNT(IN1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_RCVD, TS_ESTABLISHED } },
		{ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_PROMOTE] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "ipv6 handshake across hooks promotes to flows",
	  STEPS({ "SYN in", XDP, SYN6(), SYN_TRACKED_CNT, TRACKED_SYN(6) },
		{ "SYN-ACK out", TC, S2C6(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD, .family = 6 } },
		{ "ACK in", XDP, C2S6(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PROMOTE] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .family = 6,
			 .hist = "ShA" } }) },
	{ "established segments on the lock-free path: counted, no state change, no event",
	  STEPS(HS_SYN([TS_C_EVENTS] = 2), HS_SYNACK([TS_C_EVENTS] = 2),
		HS_ACK([TS_C_EVENTS] = 1),
		{ "data in (first D)", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },
		{ "data in again", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1,
					     .flags = F_ACK | F_PSH, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },
		{ "ACK out (first a)", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 101,
						.flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADa" } },
		{ "ACK out again", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 201, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADa" } },
		{ "data in, third", XDP, C2S4(.seq = C_ISN + 201, .ack = S_ISN + 1,
					      .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADa" } }),
	  .setup = setup_events, .post = post_fast_path },
	{ "simultaneous close: crossed FINs, both TIME_WAIT",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "client FIN in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
					     .flags = F_FIN | F_ACK),
		  CNT(IN1, [TS_C_FIN] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_FIN_WAIT_1, TS_CLOSE_WAIT } },
		{ "server FIN out, not acking the client's", TC,
		  S2C4(.seq = S_ISN + 1, .ack = C_ISN + 1, .flags = F_FIN | F_ACK),
		  CNT(OUT1, [TS_C_FIN] = 1),
		  .m = { M_FLOWS, CL_DST, TS_CLOSING, TS_CLOSING } },
		{ "client ACKs the server's FIN", XDP,
		  C2S4(.seq = C_ISN + 2, .ack = S_ISN + 2, .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSING, TS_TIME_WAIT } },
		{ "server ACKs the client's FIN", TC,
		  S2C4(.seq = S_ISN + 2, .ack = C_ISN + 2, .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_TIME_WAIT, TS_TIME_WAIT } }) },
	{ "window scaling dropped when the SYN-ACK lacks it",
	  STEPS(HS_SYN(),
		{ "SYN-ACK out, no wscale", TC,
		  S2C4(.seq = S_ISN, .ack = C_ISN + 1, .flags = F_SYN | F_ACK, .mss = 1400),
		  CNT(OUT1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD,
			 .c_epfl_clear = TS_EP_WSCALE, .s_epfl_clear = TS_EP_WSCALE } }) },
	{ "port reuse: SYN on a TIME_WAIT tuple restarts it",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(), HS_CLOSE,
		{ "new SYN in", XDP, SYN4(.seq = C_ISN + 100000),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_REUSE] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_SYN_SENT, TS_LISTEN, .hist = "S" } }) },
	{ "state events: TS_EV_STATE records for the handshake",
	  STEPS(HS_SYN([TS_C_EVENTS] = 2), HS_SYNACK([TS_C_EVENTS] = 2),
		HS_ACK([TS_C_EVENTS] = 1)),
	  .setup = setup_events, .post = post_events },

	/* -- IPv6 -- */
	{ "ipv6 SYN",
	  STEPS({ "SYN in", XDP, SYN6(), SYN_TRACKED_CNT, TRACKED_SYN(6) }) },
	{ "ipv6 SYN with hop-by-hop + destination options",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_HBH(0), X_DST(1))), SYN_TRACKED_CNT,
		  TRACKED_SYN(6) }) },
	{ "ipv6 SYN with hop-by-hop + routing + first fragment + dest opts, at tc",
	  STEPS({ "SYN out", TC, SYN6(V6EXT(X_HBH(0), X_RT(2), X_FRAG(0, 1), X_DST(0))),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1), TRACKED_SYN(6) }) },
	{ "ipv6 non-first fragment: ip_fragments_later, no entry",
	  STEPS({ "fragment in", XDP, SYN6(V6EXT(X_FRAG(185, 0))),
		  ERR_ONLY(TS_C_FRAG_LATER) }) },
	{ "ipv6 6 extension headers: tracked",
	  STEPS({ "SYN in", XDP,
		  SYN6(V6EXT(X_HBH(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0))),
		  SYN_TRACKED_CNT, TRACKED_SYN(6) }) },
	{ "ipv6 7 extension headers: parse_error_ipv6_chain_too_long",
	  STEPS({ "SYN in", XDP,
		  SYN6(V6EXT(X_HBH(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0), X_DST(0),
			     X_DST(0))),
		  ERR_ONLY(TS_C_ERR_IPV6_CHAIN) }) },
	{ "ipv6 truncated extension header: parse_error_ipv6_ext",
	  STEPS({ "SYN in", XDP, SYN6(V6EXT(X_DST(1)), .cut = 14 + 40 + 12, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_IPV6_EXT) }) },
	{ "ipv6 payload length past the frame: parse_error_ipv6",
	  STEPS({ "SYN in", XDP, SYN6(.tot_len = 400), ERR_ONLY(TS_C_ERR_IPV6) }) },
	{ "ipv6 UDP: non_tcp",
	  STEPS({ "UDP in", XDP, C2S6(.l4proto = FR_IPPROTO_UDP, .paylen = 20),
		  ERR_ONLY(TS_C_NON_TCP) }) },

	/* -- VLANs -- */
	{ "one VLAN tag: tracked",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 1), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "QinQ (802.1ad + 802.1Q): tracked",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 2), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "QinQ ipv6 at tc: tracked",
	  STEPS({ "SYN out", TC, SYN6(.nvlan = 2, V6EXT(X_HBH(0))),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1), TRACKED_SYN(6) }) },
	{ "three VLAN tags: parse_error_vlan",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 3), ERR_ONLY(TS_C_ERR_VLAN) }) },
	{ "VLAN tag cut short: parse_error_vlan",
	  STEPS({ "SYN in", XDP, SYN4(.nvlan = 2, .cut = 16), ERR_ONLY(TS_C_ERR_VLAN) }) },

	/* -- IPv4 options and fragments -- */
	{ "ipv4 with options (IHL=8): tracked",
	  STEPS({ "SYN in", XDP, SYN4(.ip_optlen = 12), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "ipv4 first fragment (MF, offset 0) with TCP: tracked",
	  STEPS({ "SYN in", XDP, SYN4(.mf = 1), SYN_TRACKED_CNT, TRACKED_SYN(4) }) },
	{ "ipv4 later fragment (offset>0): ip_fragments_later, no entry",
	  STEPS({ "fragment in", XDP, SYN4(.frag_off = 185, .paylen = 64),
		  ERR_ONLY(TS_C_FRAG_LATER) }) },
	{ "ipv4 last fragment (offset>0, no MF) at tc: ip_fragments_later",
	  STEPS({ "fragment out", TC, SYN4(.frag_off = 1, .mf = 0, .paylen = 8),
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_FRAG_LATER] = 1), NOTHING }) },

	/* -- truncated and lying headers -- */
	{ "frame shorter than Ethernet: parse_error_eth",
	  /* 8 bytes of XDP metadata + 6 of frame: the program would see 6
	   * bytes, but kernels since ~6.x refuse data - meta < ETH_HLEN, and
	   * the skb path always requires ETH_HLEN: then the case is skipped */
	  STEPS({ "6-byte frame", XDP, { .ethertype = FR_ETH_P_ARP, .cut = 6 },
		  .xdp_meta = 8, .skip_einval = 1, ERR_ONLY(TS_C_ERR_ETH) }) },
	{ "ipv4 IHL<5: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.ihl = 4), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 header cut short: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.cut = 14 + 12), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 IHL past the frame: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .ihl = 15),
		  ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 version 5: parse_error_ipv4",
	  STEPS({ "SYN in", XDP, SYN4(.version = 5), ERR_ONLY(TS_C_ERR_IPV4) }) },
	{ "ipv4 tot_len larger than the frame: parse_error_ipv4_length",
	  STEPS({ "SYN in", XDP, SYN4(.tot_len = 1000), ERR_ONLY(TS_C_ERR_IPV4_LEN) }) },
	{ "ipv4 tot_len larger than the frame, at tc: parse_error_ipv4_length",
	  STEPS({ "SYN out", TC, SYN4(.tot_len = 1000),
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_ERR_IPV4_LEN] = 1), NOTHING }) },
	{ "ipv4 tot_len smaller than the header: parse_error_ipv4_length",
	  STEPS({ "SYN in", XDP, SYN4(.tot_len = 12), ERR_ONLY(TS_C_ERR_IPV4_LEN) }) },
	{ "tcp doff<5: parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 4),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "tcp doff past the end: parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 15),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "tcp doff past tot_len (Ethernet padding behind): parse_error_tcp_doff",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .doff = 8, .pad_to = 128),
		  ERR_ONLY(TS_C_ERR_TCP_DOFF) }) },
	{ "truncated tcp header: parse_error_tcp",
	  STEPS({ "SYN in", XDP, SYN4(.cut = 14 + 20 + 10, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "malformed tcp option on a SYN (MSS len 3): parse_error_tcp_options",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_mss_len3,
				      .rawoptlen = sizeof(opt_mss_len3)),
		  ERR_ONLY(TS_C_ERR_TCP_OPT) }) },
	{ "malformed tcp option on a SYN (len 0): parse_error_tcp_options",
	  STEPS({ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_len0,
				      .rawoptlen = sizeof(opt_len0)),
		  ERR_ONLY(TS_C_ERR_TCP_OPT) }) },
	{ "tcp option past the option space on a SYN-ACK at tc: parse_error_tcp_options",
	  STEPS({ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = 1, .flags = F_SYN | F_ACK,
					  .rawopt = opt_ts_past_end,
					  .rawoptlen = sizeof(opt_ts_past_end)),
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_ERR_TCP_OPT] = 1), NOTHING }) },
	{ "malformed tcp option on a non-SYN is not parsed (pickup)",
	  STEPS({ "ACK in", XDP, C2S4(.seq = 7, .ack = 9, .flags = F_ACK,
				      .rawopt = opt_mss_len3,
				      .rawoptlen = sizeof(opt_mss_len3)),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } }) },
	{ "zero-length ipv4 payload: parse_error_tcp",
	  STEPS({ "IP header only", XDP, SYN4(.cut = 14 + 20, .cut_fix_len = 1),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "tcp header cut by tot_len (10 bytes), Ethernet-padded to 60: parse_error_tcp",
	  STEPS({ "SYN in", XDP, C2S4(.flags = F_SYN, .cut = 14 + 20 + 10, .cut_fix_len = 1,
				      .pad_to = 60),
		  ERR_ONLY(TS_C_ERR_TCP) }) },
	{ "zero-length ipv4 payload, Ethernet-padded to 60 bytes: parse_error_tcp",
	  STEPS({ "IP header + padding", XDP, C2S4(.flags = F_SYN, .cut = 14 + 20,
							    .cut_fix_len = 1, .pad_to = 60),
		  ERR_ONLY(TS_C_ERR_TCP) }) },

	/* -- not TCP -- */
	{ "ARP: non_ip",
	  STEPS({ "ARP in", XDP, { .ethertype = FR_ETH_P_ARP }, ERR_ONLY(TS_C_NON_IP) }) },
	{ "ARP at tc: non_ip",
	  STEPS({ "ARP out", TC, { .ethertype = FR_ETH_P_ARP },
		  CNT([TS_C_PKTS_OUT] = 1, [TS_C_NON_IP] = 1), NOTHING }) },
	{ "UDP: non_tcp",
	  STEPS({ "UDP in", XDP, C2S4(.l4proto = FR_IPPROTO_UDP, .paylen = 20),
		  ERR_ONLY(TS_C_NON_TCP) }) },

	/* -- mid-stream pickups and RSTs -- */
	{ "mid-stream pickup: ACK with data for an unknown tuple",
	  STEPS({ "data in", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK | F_PSH,
				       .paylen = 200),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .family = 4,
			 .fl_set = TS_F_PICKED_UP, .hist = "D" } }) },
	{ "mid-stream pickup from the server side at tc: lower port is the server",
	  STEPS({ "data out", TC, S2C4(.seq = 5, .ack = 6, .flags = F_ACK, .paylen = 10),
		  CNT(OUT1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP, .hist = "d" } }) },
	{ "pure ACK padded to 60 bytes: padding is not data",
	  STEPS({ "ACK in", XDP, C2S4(.seq = 1, .ack = 2, .flags = F_ACK, .pad_to = 60),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "A" } }) },
	{ "RST for an unknown tuple: rst_untracked, no entry",
	  STEPS({ "RST in", XDP, C2S4(.seq = 1234, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_UNTRACKED_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_NO_CONN] = 1),
		  .ae = { TS_A_RST_NO_CONN, .client = CL_UNKNOWN, .facts = 1, .got = 1234 },
		  NOTHING }) },
	{ "RST|ACK for an unknown tuple at tc: rst_untracked, no entry",
	  STEPS({ "RST out", TC, S2C4(.ack = 1234, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_UNTRACKED_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_NO_CONN] = 1),
		  .ae = { TS_A_RST_NO_CONN, .client = CL_UNKNOWN, .facts = 1, .got = 0,
			  .detail = 1234 },
		  NOTHING }) },
	{ "SYN-ACK for an unknown tuple: picked up half-open",
	  STEPS({ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD,
			 .fl_set = TS_F_PICKED_UP, .s_mss = 1400 } }) },
	{ "refused connection: SYN in, RST|ACK out -> both CLOSED",
	  STEPS(HS_SYN(),
		{ "RST|ACK out", TC, S2C4(.seq = 0, .ack = C_ISN + 1, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1),
		  .m = { M_EMB, CL_DST, TS_CLOSED, TS_CLOSED, .hist = "Sr" } }) },
	{ "RST|ACK not acking the SYN is ignored",
	  STEPS(HS_SYN(),
		{ "RST|ACK out", TC, S2C4(.seq = 0, .ack = C_ISN + 77, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 77, .detail = 0 },
		  .m = { M_EMB, CL_DST, TS_SYN_SENT, TS_LISTEN } }) },
	{ "RST in window but not exact is ignored (RFC 5961)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in, seq +100", XDP, C2S4(.seq = C_ISN + 101, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_IN_WINDOW_INEXACT] = 1),
		  .ae = { TS_A_RST_IN_WINDOW_INEXACT, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 101, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "RST in ESTABLISHED at the exact sequence closes both",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in", XDP, C2S4(.seq = C_ISN + 1, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED, .hist = "ShAR" } }) },

	/* -- anomalies (issue 3, per-packet kinds) -- */
	{ "bad_flags: NULL scan (no flags) flagged, passed, not tracked",
	  STEPS({ "NULL in", XDP, C2S4(.seq = 7, .flags = 0),
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = 0,
			  .detail = TS_BF_NULL },
		  NOTHING }) },
	{ "bad_flags: SYN+FIN",
	  STEPS({ "SYN|FIN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN | F_FIN),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_SYN | F_FIN,
			  .detail = TS_BF_SYN_FIN },
		  NOTHING }) },
	{ "bad_flags: SYN+RST at tc",
	  STEPS({ "SYN|RST out", TC, S2C4(.seq = S_ISN, .flags = F_SYN | F_RST),
		  CNT(OUT1, [TS_C_SYN] = 1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_SYN | F_RST,
			  .detail = TS_BF_SYN_RST },
		  NOTHING }) },
	{ "bad_flags: SYN+FIN+ACK (a SYN-ACK with FIN)",
	  STEPS({ "SYN|FIN|ACK in", XDP, C2S4(.seq = C_ISN, .ack = 9, .flags = F_SYN | F_FIN | F_ACK),
		  CNT(IN1, [TS_C_SYNACK] = 1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_SYN | F_FIN | F_ACK, .detail = TS_BF_SYN_FIN },
		  NOTHING }) },
	{ "bad_flags: FIN without ACK (FIN scan)",
	  STEPS({ "FIN in", XDP, C2S4(.seq = 7, .flags = F_FIN),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_FIN,
			  .detail = TS_BF_FIN_NO_ACK },
		  NOTHING }) },
	{ "bad_flags: XMAS (FIN+PSH+URG), ipv6",
	  STEPS({ "XMAS in", XDP, C2S6(.seq = 7, .flags = F_FIN | F_PSH | F_URG),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_FIN | F_PSH | F_URG, .detail = TS_BF_XMAS },
		  NOTHING }) },
	{ "bad_flags: PSH alone (no ACK)",
	  STEPS({ "PSH in", XDP, C2S4(.seq = 7, .flags = F_PSH, .paylen = 10),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1, .got = F_PSH,
			  .detail = TS_BF_NO_ACK },
		  NOTHING }) },
	{ "bad_flags: XMAS into an established flow changes nothing",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "XMAS in", XDP, C2S4(.seq = C_ISN + 1, .flags = F_FIN | F_PSH | F_URG),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .facts = 1,
			  .got = F_FIN | F_PSH | F_URG, .detail = TS_BF_XMAS },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShA" } }) },
	{ "not bad_flags: ECN SYN (SYN+ECE+CWR), RST alone, FIN+PSH+ACK close",
	  STEPS({ "ECN SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN | F_ECE | F_CWR, SYN_OPTS),
		  SYN_TRACKED_CNT, TRACKED_SYN(4) },
		{ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1,
					  .flags = F_SYN | F_ACK | F_ECE, SYNACK_OPTS),
		  CNT(OUT1, [TS_C_SYNACK] = 1),
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD } },
		HS_ACK(),
		{ "FIN|PSH|ACK with data in", XDP,
		  C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_FIN | F_PSH | F_ACK,
		       .paylen = 10),
		  CNT(IN1, [TS_C_FIN] = 1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_FIN_WAIT_1, TS_CLOSE_WAIT } },
		{ "FIN|ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 12, .flags = F_FIN | F_ACK),
		  CNT(OUT1, [TS_C_FIN] = 1),
		  .m = { M_FLOWS, CL_DST, TS_TIME_WAIT, TS_LAST_ACK } },
		{ "last ACK in", XDP, C2S4(.seq = C_ISN + 12, .ack = S_ISN + 2, .flags = F_ACK),
		  CNT(IN1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_TIME_WAIT, TS_CLOSED } },
		{ "RST (no ACK) at the exact sequence after the close", XDP,
		  C2S4(.seq = C_ISN + 12, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } }) },
	{ "rst_out_of_window: RST far outside the window, flow survives",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST in, seq +10M", XDP, C2S4(.seq = C_ISN + 10000000, .flags = F_RST),
		  CNT(IN1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 1, .got = C_ISN + 10000000, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "data still flows", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "rst_out_of_window from the server side at tc (RST|ACK, seq behind)",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "RST|ACK out, seq -1M", TC,
		  S2C4(.seq = S_ISN + 1 - 1000000, .ack = C_ISN + 1, .flags = F_RST | F_ACK),
		  CNT(OUT1, [TS_C_RST] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_RST_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_RST_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = S_ISN + 1, .got = S_ISN + 1 - 1000000, .detail = 65536 },
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "out_of_window: data far ahead on the lock-free path, ignored, flow survives",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data in (first D)", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },
		{ "data in, seq +10M", XDP, C2S4(.seq = C_ISN + 10000000, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_OUT_OF_WINDOW, .client = CL_SRC, .facts = 1,
			  .expected = C_ISN + 101, .got = C_ISN + 10000000, .detail = 65160 },
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "data in order still flows", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1,
							  .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "out_of_window: data far behind from the server at tc",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data out, seq -1M", TC, S2C4(.seq = S_ISN + 1 - 1000000, .ack = C_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(OUT1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_OUT_OF_WINDOW] = 1),
		  .ae = { TS_A_OUT_OF_WINDOW, .client = CL_DST, .facts = 1,
			  .expected = S_ISN + 1, .got = S_ISN + 1 - 1000000, .detail = 65536 },
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "not out_of_window: retransmitted and reordered data, a window probe",
	  STEPS(HS_SYN(), HS_SYNACK(), HS_ACK(),
		{ "data in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK,
				       .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "data in, ahead (reordered)", XDP, C2S4(.seq = C_ISN + 201, .ack = S_ISN + 1,
							   .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "SACK-style ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 101,
						 .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1) },
		{ "the gap in", XDP, C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1, .flags = F_ACK,
					  .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "retransmission in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1,
						 .flags = F_ACK, .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1) },
		{ "ACK out, zero window", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 301,
						   .flags = F_ACK, .win = 0),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1) },
		{ "window probe in (1 byte)", XDP, C2S4(.seq = C_ISN + 301, .ack = S_ISN + 1,
							 .flags = F_ACK, .paylen = 1),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED } }) },
	{ "not out_of_window: a picked-up connection's data far from the first seen",
	  STEPS({ "data in (pickup)", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1) },
		{ "ACK out", TC, S2C4(.seq = 88888, .ack = 77877, .flags = F_ACK, .win = 1),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1) },
		{ "data in, +5M", XDP, C2S4(.seq = 77877 + 5000000, .ack = 88888, .flags = F_ACK,
					    .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } }) },
	{ "not rst_*: an exact RST|ACK closes a picked-up connection",
	  STEPS({ "data in (pickup)", XDP, C2S4(.seq = 77777, .ack = 88888, .flags = F_ACK,
						 .paylen = 100),
		  CNT(IN1, [TS_C_DATA] = 1, [TS_C_PICKUP] = 1, [TS_C_FLOW_INSERT] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED,
			 .fl_set = TS_F_PICKED_UP } },
		{ "ACK out (pickup's other side)", TC, S2C4(.seq = 88888, .ack = 77877,
							     .flags = F_ACK),
		  CNT(OUT1, [TS_C_ACK_ONLY] = 1),
		  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED } },
		{ "RST|ACK in, exact", XDP, C2S4(.seq = 77877, .ack = 88888, .flags = F_RST | F_ACK),
		  CNT(IN1, [TS_C_RST] = 1),
		  .m = { M_FLOWS, CL_SRC, TS_CLOSED, TS_CLOSED } }) },
	{ "syn_data: payload on a SYN without TFO, still tracked",
	  STEPS({ "SYN with 10 bytes in", XDP, SYN4(.paylen = 10),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_DATA] = 1, [TS_C_EMB_INSERT] = 1,
		      [TS_C_EVENTS] = 1),
		  ANOM([TS_A_SYN_DATA] = 1),
		  .ae = { TS_A_SYN_DATA, .client = CL_SRC, .facts = 1, .got = 10,
			  .detail = TS_OPT_MSS | TS_OPT_WSCALE | TS_OPT_SACKOK | TS_OPT_TS },
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN } }) },
	{ "syn_data: payload on a SYN-ACK at tc",
	  STEPS(HS_SYN(),
		{ "SYN-ACK with 20 bytes out", TC,
		  S2C4(.seq = S_ISN, .ack = C_ISN + 1, .flags = F_SYN | F_ACK, .paylen = 20),
		  CNT(OUT1, [TS_C_SYNACK] = 1, [TS_C_DATA] = 1, [TS_C_EVENTS] = 1),
		  ANOM([TS_A_SYN_DATA] = 1),
		  .ae = { TS_A_SYN_DATA, .client = CL_DST, .facts = 1, .got = 20, .detail = 0 },
		  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD } }) },
	{ "not syn_data: TFO data on a SYN (cookie option), TFO cookie request",
	  STEPS({ "TFO SYN with cookie and 30 bytes in", XDP,
		  C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_tfo_cookie,
		       .rawoptlen = sizeof(opt_tfo_cookie), .paylen = 30),
		  CNT(IN1, [TS_C_SYN] = 1, [TS_C_DATA] = 1, [TS_C_EMB_INSERT] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .c_mss = 1460 } },
		{ "retransmitted SYN, TFO cookie request, no data", XDP,
		  C2S4(.seq = C_ISN, .flags = F_SYN, .rawopt = opt_tfo_request,
		       .rawoptlen = sizeof(opt_tfo_request)),
		  CNT(IN1, [TS_C_SYN] = 1),
		  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN } }) },
	{ "rate limit: 200 NULL frames on one CPU -> count 200, 50 events; the next carries 150",
	  STEPS({ "200 x NULL in", XDP, C2S4(.seq = 7, .flags = 0), .repeat = 200,
		  CNT([TS_C_PKTS_IN] = 200, [TS_C_TCP] = 200, [TS_C_EVENTS] = TS_RL_BURST),
		  ANOM([TS_A_BAD_FLAGS] = 200),
		  .ae = { TS_A_BAD_FLAGS, .nev = TS_RL_BURST, .client = CL_UNKNOWN,
			  .sup = 1, .suppressed = 0 },
		  NOTHING },
		{ "one more after 2 tokens' worth of time", XDP, C2S4(.seq = 7, .flags = 0),
		  .sleep_ms = 2 * 1000 / TS_RL_RATE,
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .sup = 1,
			  .suppressed = 200 - TS_RL_BURST },
		  NOTHING },
		{ "and the next one has nothing suppressed", XDP, C2S4(.seq = 7, .flags = 0),
		  CNT(IN1, [TS_C_EVENTS] = 1), ANOM([TS_A_BAD_FLAGS] = 1),
		  .ae = { TS_A_BAD_FLAGS, .client = CL_UNKNOWN, .sup = 1, .suppressed = 0 },
		  NOTHING }) },
	{ "syn_flood: 10,000 spoofed SYNs to one port in one epoch -> one start (20,000/s, ~10,000 sources), one end",
	  .post = post_syn_flood },
	{ "state events under a spoofed flood: embryonic ones rate-limited, none once flagged",
	  .post = post_flood_state_events },
	{ "syn_flood on: a real client's SYN and SYN-ACK make no entry, its ACK is picked up (both ESTABLISHED)",
	  .post = post_flood_real_client },
	{ "syn_flood host-wide: a new tuple's SYN to any port makes no entry",
	  .post = post_flood_host_wide },
	{ "syn_flood look-alike: 3,000 handshakes that complete in one epoch -> nothing",
	  .post = post_syn_complete },
	{ "port_scan: one source, SYNs to 50 ports -> one event at 21 ports",
	  .post = post_port_scan },
	{ "port_scan look-alike: one client, 10 connections to one port -> nothing",
	  .post = post_normal_client },
	{ "port_scan look-alike: one client, 30 completed connections to 30 ports -> nothing",
	  .post = post_many_ports_complete },
	{ "port_scan backscatter: 2,000 RSTs sent to unknown peers in one epoch -> one start (4,000/s), one end",
	  .post = post_backscatter },
	{ "pickup answered by the other direction: confirmed, no ack_no_conn past the grace",
	  .post = post_pickup_answered },
	{ "ack_no_conn: a spoofed lone ACK tuple repeated past the 1 s grace -> once",
	  .post = post_ack_no_conn },
	{ "ack_flood: 4,000 ACKs of unknown tuples in one epoch -> one start (8,000/s), one end",
	  .post = post_ack_flood },
	POLICY_CASES
	COOKIE_CASES
};

#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

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
	if (tc->post && tc->post(tc, sub)) {
		snprintf(why, 2 * WHYLEN, "after the steps: %s", sub);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char why[2 * WHYLEN];
	int i, r, pass = 0, fail = 0, skip = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUILD_DIR\n", argv[0]);
		return 2;
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
	if (setup_object(argv[1])) {
		printf("load %s/tcpsentry.bpf.o: FAIL (see above)\n", argv[1]);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (i = 0; i < NCASES; i++) {
		why[0] = 0;
		r = run_case(&cases[i], why);
		if (r == 0) {
			printf("%s: PASS\n", cases[i].name);
			pass++;
		} else if (r > 0) {
			printf("%s: SKIP (%s)\n", cases[i].name, why);
			skip++;
		} else {
			printf("%s: FAIL (%s)\n", cases[i].name, why);
			fail++;
		}
	}
	reset_state();
	ring_buffer__free(rb);
	bpf_object__close(obj);
	if (skip)
		printf("(%d skipped: not counted below)\n", skip);
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
