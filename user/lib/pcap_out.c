// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Event samples as pcap files: see pcap_out.h. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include <tcpsentry/abi.h>
#include "pcap_out.h"

struct ts_pcap {
	pcap_t *dead;            /* the link type and snap length the files declare */
	pcap_dumper_t *d;
	char dir[PATH_MAX];      /* "" for a single file */
	char prefix[64];
	__u64 max_bytes;
	unsigned keep;
};

static pcap_dumper_t *open_dump(struct ts_pcap *w, const char *path, char *err, size_t n)
{
	pcap_dumper_t *d = pcap_dump_open(w->dead, path);

	if (!d)
		snprintf(err, n, "%s: %s", path, pcap_geterr(w->dead));
	return d;
}

static struct ts_pcap *alloc(char *err, size_t n)
{
	struct ts_pcap *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	/* Ethernet, as both hooks see frames; the snap length is what an
	 * event carries */
	w->dead = pcap_open_dead(DLT_EN10MB, TS_SAMPLE_BYTES);
	if (!w->dead) {
		snprintf(err, n, "pcap_open_dead failed");
		free(w);
		return NULL;
	}
	return w;
}

struct ts_pcap *ts_pcap_open_file(const char *path, char *err, size_t n)
{
	struct ts_pcap *w = alloc(err, n);

	if (w && !(w->d = open_dump(w, path, err, n))) {
		ts_pcap_close(w);
		return NULL;
	}
	return w;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* at most keep files of ours in dir, the newest (names sort by time) */
static void prune(const struct ts_pcap *w)
{
	char pat[PATH_MAX + 80];
	glob_t g;
	size_t i;

	snprintf(pat, sizeof(pat), "%s/%s-*.pcap", w->dir, w->prefix);
	if (glob(pat, 0, NULL, &g))
		return;
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_str);
	for (i = 0; g.gl_pathc > w->keep && i < g.gl_pathc - w->keep; i++)
		unlink(g.gl_pathv[i]);
	globfree(&g);
}

/* the next file of a directory: named after now, a sequence number when
 * the name is taken (a rotation within the same second) */
static int next_file(struct ts_pcap *w, char *err, size_t n)
{
	char stamp[32], path[PATH_MAX + 128];
	time_t t = time(NULL);
	struct tm tm;
	int seq;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&t, &tm));
	for (seq = 0; seq < 1000; seq++) {
		if (seq)
			snprintf(path, sizeof(path), "%s/%s-%s-%d.pcap", w->dir, w->prefix, stamp, seq);
		else
			snprintf(path, sizeof(path), "%s/%s-%s.pcap", w->dir, w->prefix, stamp);
		if (access(path, F_OK))
			break;
	}
	if (w->d)
		pcap_dump_close(w->d);
	w->d = open_dump(w, path, err, n);
	if (w->d)
		prune(w);
	return w->d ? 0 : -1;
}

struct ts_pcap *ts_pcap_open_dir(const char *dir, const char *prefix, __u64 max_bytes,
				 unsigned keep, char *err, size_t n)
{
	struct ts_pcap *w = alloc(err, n);

	if (!w)
		return NULL;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	snprintf(w->prefix, sizeof(w->prefix), "%s", prefix);
	w->max_bytes = max_bytes;
	w->keep = keep ? keep : 1;
	if (next_file(w, err, n)) {
		ts_pcap_close(w);
		return NULL;
	}
	return w;
}

int ts_pcap_write(struct ts_pcap *w, const void *data, size_t len, __s64 wall_off)
{
	const struct ts_event_sampled *e = data;
	struct pcap_pkthdr h = {};
	char err[PATH_MAX + 160];
	__s64 t;

	if (len < sizeof(*e) || !e->sample.caplen || e->sample.caplen > TS_SAMPLE_BYTES)
		return 0;
	if (w->dir[0] && (__u64)pcap_dump_ftell64(w->d) >= w->max_bytes &&
	    next_file(w, err, sizeof(err)))
		return -1;
	t = (__s64)e->ev.ts_ns + wall_off;
	h.ts.tv_sec = (time_t)(t / 1000000000);
	h.ts.tv_usec = (suseconds_t)(t % 1000000000 / 1000);
	h.caplen = e->sample.caplen;
	h.len = e->sample.wirelen > e->sample.caplen ? e->sample.wirelen : e->sample.caplen;
	pcap_dump((u_char *)w->d, &h, e->sample.data);
	/* whole records on disk, each as it comes: a kill leaves a valid file */
	return pcap_dump_flush(w->d) ? -1 : 1;
}

void ts_pcap_close(struct ts_pcap *w)
{
	if (!w)
		return;
	if (w->d)
		pcap_dump_close(w->d);
	if (w->dead)
		pcap_close(w->dead);
	free(w);
}
