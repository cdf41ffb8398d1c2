// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `make bench`, part 3: connection records through the records ring, to
 * JSON and to IPFIX (records/s). A freshly loaded tcpsentry.bpf.o has
 * records switched on; a batch of records (less than the ring holds) goes
 * in through tcpsentry_record, the program the sweeper and detach use
 * (one BPF_PROG_TEST_RUN each: the producer's figure includes a syscall
 * per record, the datapath's own writes cost less). Then the ring is read
 * exactly as `run` reads it: each record formatted as its JSON line (the
 * Community ID's SHA-1 included) into a line-buffered file like
 * `run --records`, or appended to a libfixbuf exporter like `run --ipfix`
 * (to an IPFIX file: the encoding and the writes, without a network).
 * Every round checks that every record came out and none was lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/record.h>
#include "gc.h"
#include "ipfix.h"
#include "record.h"
#include "bench_records.h"

#define ROUNDS 5
/* a batch is this share (percent) of what the ring holds: none is lost by
 * design, whatever the ring's size and the record's */
#define BATCH_PCT 85

static int batch; /* records a round, from the ring's size */

struct sink {
	FILE *json;             /* the JSON run, else */
	struct ts_ipfix *ipfix; /* the IPFIX run */
	__s64 wall_off;
	long n;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct sink *s = ctx;
	struct ts_rec_view v = { .iface = "bench", .rec = data, .wall_off_ns = s->wall_off };

	if (len < sizeof(struct ts_record))
		return 0;
	if (s->json)
		ts_print_record_json(s->json, &v);
	else if (ts_ipfix_add(s->ipfix, data, 1, s->wall_off))
		return -1;
	s->n++;
	return 0;
}

/* a connection as the datapath leaves it: closed by the client, data
 * both ways; i moves the client's port and address */
static void make_record(struct ts_record *r, __u32 i)
{
	struct ts_flow *f = &r->flow;

	memset(r, 0, sizeof(*r));
	r->key.addr[0][10] = r->key.addr[0][11] = 0xff;
	r->key.addr[0][12] = 198;
	r->key.addr[0][13] = 18;
	r->key.addr[0][14] = (__u8)(i >> 16);
	r->key.addr[0][15] = (__u8)(i >> 8);
	r->key.addr[1][10] = r->key.addr[1][11] = 0xff;
	r->key.addr[1][12] = 198;
	r->key.addr[1][13] = 19;
	r->key.addr[1][15] = 1;
	r->key.port[0] = htons((__u16)(1024 + (i & 0x7fff)));
	r->key.port[1] = htons(443);
	r->cause = TS_REC_CLOSED;
	r->end_flags = TS_TCP_ACK;
	r->end_side = TS_CLIENT;
	f->family = 4;
	f->client = 0;
	f->flags = TS_F_CONFIRMED | TS_F_RECORDED;
	memcpy(f->hist, "ShADadFf", 8);
	f->hist_len = 8;
	f->first_seen_ns = 1000000000ull;
	f->last_seen_ns = 1004000000ull;
	f->handshake_us = 60;
	f->ep[TS_CLIENT] = (struct ts_endpoint){ .packets = 6, .bytes = 300, .ip_bytes = 620,
						 .state = TS_TIME_WAIT };
	f->ep[TS_SERVER] = (struct ts_endpoint){ .packets = 5, .bytes = 5000, .ip_bytes = 5268,
						 .state = TS_CLOSED };
}

static __u64 lost_count(int counters_fd, int ncpus)
{
	struct ts_counters *v = calloc((size_t)ncpus, sizeof(*v));
	__u32 zero = 0;
	__u64 s = 0;
	int c;

	if (v && !bpf_map_lookup_elem(counters_fd, &zero, v))
		for (c = 0; c < ncpus; c++)
			s += v[c].c[TS_C_RECORDS_LOST];
	free(v);
	return s;
}

/* a batch of records into the ring: the seconds it took, or < 0 */
static double produce(int prog_fd, struct ts_record *recs)
{
	__u64 t0 = ts_now_ns();
	int i;

	for (i = 0; i < batch; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &recs[i], .ctx_size_in = sizeof(recs[i]));

		if (bpf_prog_test_run_opts(prog_fd, &o) || o.retval)
			return -1;
	}
	return (double)(ts_now_ns() - t0) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int bench_records(const char *dir, int json)
{
	double prod[2 * ROUNDS], to_json[ROUNDS], to_ipfix[ROUNDS];
	char path[4096], jpath[] = "/tmp/tcpsentry-bench-records.XXXXXX", ipath[64], err[256];
	struct ts_config cfg = { .records = 1 };
	struct ts_record *recs = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_object *o = NULL;
	struct bpf_program *p;
	struct sink s = { 0 };
	int i, r, fd, jfd = -1, prog_fd, counters_fd, ncpus = libbpf_num_possible_cpus();
	__u32 zero = 0;
	int rc = 1, np = 0;

	snprintf(path, sizeof(path), "%s/tcpsentry.bpf.o", dir);
	o = bpf_object__open_file(path, NULL);
	/* the SYN-cookie hand-over needs a 6.9 kfunc: not needed here */
	p = o ? bpf_object__find_program_by_name(o, "tcpsentry_tc_ingress") : NULL;
	if (p)
		bpf_program__set_autoload(p, false);
	if (o) {
		/* each record takes its size and the ring's 8-byte header */
		__u32 ring = bpf_map__max_entries(bpf_object__find_map_by_name(o, "records"));

		batch = (int)((__u64)ring / (sizeof(struct ts_record) + 8) * BATCH_PCT / 100);
		recs = calloc((size_t)batch, sizeof(*recs));
	}
	if (!o || !recs || bpf_object__load(o)) {
		fprintf(stderr, "bench: records: cannot load %s: %s\n", path, strerror(errno));
		goto out;
	}
	prog_fd = bpf_program__fd(bpf_object__find_program_by_name(o, "tcpsentry_record"));
	counters_fd = bpf_map__fd(bpf_object__find_map_by_name(o, "counters"));
	fd = bpf_map__fd(bpf_object__find_map_by_name(o, "config"));
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY)) {
		fprintf(stderr, "bench: records: config: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(o, "records")), on_record,
			      &s, NULL);
	jfd = mkstemp(jpath);
	snprintf(ipath, sizeof(ipath), "file:%s.ipfix", jpath);
	if (!rb || jfd < 0) {
		fprintf(stderr, "bench: records: ring or temporary file: %s\n", strerror(errno));
		goto out;
	}
	for (i = 0; i < batch; i++)
		make_record(&recs[i], (__u32)i);
	s.wall_off = ts_wall_offset_ns();
	for (i = 0; i < 2 * ROUNDS; i++) {
		int to_j = i < ROUNDS;
		__u64 t0;

		prod[np] = produce(prog_fd, recs);
		if (prod[np++] < 0) {
			fprintf(stderr, "bench: records: tcpsentry_record: %s\n", strerror(errno));
			goto out;
		}
		s.n = 0;
		s.json = NULL;
		s.ipfix = NULL;
		if (to_j) {
			s.json = fdopen(dup(jfd), "w");
			if (!s.json || ftruncate(jfd, 0))
				goto out;
			setvbuf(s.json, NULL, _IOLBF, 0); /* as run --records writes */
		} else {
			s.ipfix = ts_ipfix_open(ipath, 0, err, sizeof(err));
			if (!s.ipfix) {
				fprintf(stderr, "bench: records: ipfix: %s\n", err);
				goto out;
			}
		}
		t0 = ts_now_ns();
		r = ring_buffer__consume(rb);
		if (s.json)
			fclose(s.json);
		if (s.ipfix) {
			struct ts_ipfix_stats st;

			ts_ipfix_flush(s.ipfix);
			ts_ipfix_stats(s.ipfix, &st);
			ts_ipfix_close(s.ipfix);
			if (st.records != (__u64)batch || st.dropped) {
				fprintf(stderr, "bench: records: ipfix took %llu, dropped %llu\n",
					st.records, st.dropped);
				goto out;
			}
		}
		(to_j ? to_json : to_ipfix)[to_j ? i : i - ROUNDS] = (double)(ts_now_ns() - t0) / 1e9;
		if (r < 0 || s.n != batch) {
			fprintf(stderr, "bench: records: read %ld of %d (%d)\n", s.n, batch, r);
			goto out;
		}
	}
	if (lost_count(counters_fd, ncpus)) {
		fprintf(stderr, "bench: records: records_lost moved\n");
		goto out;
	}
	qsort(prod, (size_t)np, sizeof(double), cmp_double);
	qsort(to_json, ROUNDS, sizeof(double), cmp_double);
	qsort(to_ipfix, ROUNDS, sizeof(double), cmp_double);
	{
		double rp = batch / prod[np / 2], rj = batch / to_json[ROUNDS / 2],
		       ri = batch / to_ipfix[ROUNDS / 2];

		if (json)
			printf("{\"records\":{\"batch\":%d,\"rounds\":%d,\"into_ring_per_s\":%.0f,"
			       "\"ring_to_json_per_s\":%.0f,\"ring_to_ipfix_per_s\":%.0f,\"lost\":0}}\n",
			       batch, ROUNDS, rp, rj, ri);
		else
			printf("\nconnection records, %d a round, median of %d rounds, none lost:\n"
			       "  into the ring (tcpsentry_record, a syscall each) %10.0f records/s\n"
			       "  ring -> JSON lines (run --records)           %10.0f records/s\n"
			       "  ring -> IPFIX (run --ipfix, to a file)        %10.0f records/s\n",
			       batch, ROUNDS, rp, rj, ri);
	}
	rc = 0;
out:
	if (jfd >= 0) {
		close(jfd);
		unlink(jpath);
		unlink(ipath + 5);
	}
	ring_buffer__free(rb);
	bpf_object__close(o);
	free(recs);
	return rc;
}
