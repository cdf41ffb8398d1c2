/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the running kernel can do, probed at attach (and by status): the
 * BTF of vmlinux for kfuncs, libbpf's helper, map and program type probes.
 * A required feature missing means tcpsentry cannot load there; an optional
 * one missing switches one function off with one line saying so.
 */
#ifndef TCPSENTRY_KERNEL_FEATURES_H
#define TCPSENTRY_KERNEL_FEATURES_H

#include <stdio.h>

enum ts_feature {
	/* required: the object uses them on every path */
	TS_F_RINGBUF,          /* BPF_MAP_TYPE_RINGBUF, 5.8 */
	TS_F_LRU_HASH,         /* BPF_MAP_TYPE_LRU_HASH */
	TS_F_LPM_TRIE,         /* BPF_MAP_TYPE_LPM_TRIE */
	TS_F_PROG_ARRAY,       /* BPF_MAP_TYPE_PROG_ARRAY (chaining) */
	TS_F_LOOP,             /* bpf_loop, 5.17 */
	TS_F_PERCPU_LOOKUP,    /* bpf_map_lookup_percpu_elem, 5.19 */
	TS_F_RAW_SYNCOOKIE,    /* bpf_tcp_raw_check_syncookie_ipv4, 6.0 */
	/* optional: one function each */
	TS_F_REQSK_KFUNC,      /* bpf_sk_assign_tcp_reqsk, 6.9: the SYN-cookie hand-over */
	TS_F_PROG_EXT,         /* BPF_PROG_TYPE_EXT (freplace): libxdp's dispatcher */
	TS_F_EXT_PKT_CHANGE,   /* an EXT program that changes packet data may replace
				* a function that does not (Debian's 6.12.117 refuses
				* it): libxdp 1.3.1's dispatcher needs it for ours */
	TS_F_MAX
};

struct ts_features {
	unsigned int have; /* bit per enum ts_feature, and TS_FEATURES_PROBED */
};
/* set in what a probe found: an attachment's record (ts_meta.features)
 * says what its kernel had; without it (an older attach) nothing is known */
#define TS_FEATURES_PROBED (1u << 31)

/* probe every feature (a few bpf() calls; no program of ours loaded) */
void ts_features_probe(struct ts_features *f);
static inline int ts_feature_has(const struct ts_features *f, enum ts_feature k)
{
	return !!(f->have & (1u << k));
}
int ts_feature_required(enum ts_feature k);
const char *ts_feature_name(enum ts_feature k);   /* "syn_cookie_handover" */
const char *ts_feature_needs(enum ts_feature k);  /* "bpf_sk_assign_tcp_reqsk (Linux 6.9+)" */
const char *ts_feature_off(enum ts_feature k);    /* what a missing one switches off */
/* the first required feature missing, or TS_F_MAX */
enum ts_feature ts_features_missing_required(const struct ts_features *f);

/* One line per optional feature missing from `have` (ts_features.have,
 * or an attachment's ts_meta.features), each "PREFIX<what is off>: off,
 * this kernel lacks <needs>\n"; nothing if `have` was never probed. */
void ts_features_print_off(FILE *out, unsigned int have, const char *prefix);
/* ,"features":{"syn_cookie_handover":true,...} (leading comma included;
 * an empty object if never probed) */
void ts_features_print_json(FILE *out, unsigned int have);

#endif /* TCPSENTRY_KERNEL_FEATURES_H */
