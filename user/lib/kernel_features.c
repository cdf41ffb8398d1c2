// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel feature probes. The table says, per feature, how to ask the
 * kernel, since which Linux it is there, and what tcpsentry switches off
 * without it; the README's feature x kernel table is this table.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel_features.h"
#include "log.h"

enum probe_kind { P_MAP, P_HELPER, P_KFUNC, P_FREPLACE };

static const struct {
	const char *name;
	const char *needs;
	const char *off;      /* optional ones: what is switched off */
	int required;
	enum probe_kind kind;
	int what;             /* map type, helper id; freplace: 1 if the EXT changes the packet */
	const char *kfunc;
} feat[TS_F_MAX] = {
	[TS_F_RINGBUF] = { "ringbuf", "BPF_MAP_TYPE_RINGBUF (Linux 5.8+)", NULL, 1,
			   P_MAP, BPF_MAP_TYPE_RINGBUF, NULL },
	[TS_F_LRU_HASH] = { "lru_hash", "BPF_MAP_TYPE_LRU_HASH (Linux 4.10+)", NULL, 1,
			    P_MAP, BPF_MAP_TYPE_LRU_HASH, NULL },
	[TS_F_LPM_TRIE] = { "lpm_trie", "BPF_MAP_TYPE_LPM_TRIE (Linux 4.11+)", NULL, 1,
			    P_MAP, BPF_MAP_TYPE_LPM_TRIE, NULL },
	[TS_F_PROG_ARRAY] = { "prog_array", "BPF_MAP_TYPE_PROG_ARRAY", NULL, 1,
			      P_MAP, BPF_MAP_TYPE_PROG_ARRAY, NULL },
	[TS_F_LOOP] = { "bpf_loop", "the bpf_loop helper (Linux 5.17+)", NULL, 1,
			P_HELPER, BPF_FUNC_loop, NULL },
	[TS_F_PERCPU_LOOKUP] = { "percpu_lookup",
				 "the bpf_map_lookup_percpu_elem helper (Linux 5.19+)", NULL, 1,
				 P_HELPER, BPF_FUNC_map_lookup_percpu_elem, NULL },
	[TS_F_RAW_SYNCOOKIE] = { "raw_syncookie",
				 "the bpf_tcp_raw_check_syncookie_ipv4 helper (Linux 6.0+)", NULL, 1,
				 P_HELPER, BPF_FUNC_tcp_raw_check_syncookie_ipv4, NULL },
	[TS_F_REQSK_KFUNC] = { "syn_cookie_handover",
			       "the bpf_sk_assign_tcp_reqsk kfunc (Linux 6.9+)",
			       "SYN cookies (syn.cookies stays without effect)", 0,
			       P_KFUNC, 0, "bpf_sk_assign_tcp_reqsk" },
	[TS_F_PROG_EXT] = { "prog_ext", "BPF_PROG_TYPE_EXT (freplace)",
			    "libxdp's dispatcher (tcpsentry chains XDP programs itself)", 0,
			    P_FREPLACE, 0, NULL },
	[TS_F_EXT_PKT_CHANGE] = { "ext_pkt_change",
				  "freplace of a function that keeps the packet by one that "
				  "changes it (libxdp 1.3.1's dispatcher needs it for ours; Debian's "
				  "6.12.117 refuses it)",
				  "libxdp's dispatcher (tcpsentry chains XDP programs itself)", 0,
				  P_FREPLACE, 1, NULL },
};

static int kfunc_in_vmlinux(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int ok;

	if (!vmlinux)
		return 0;
	ok = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return ok;
}

/*
 * libbpf cannot probe EXT (it needs a target). Do what libxdp's dispatcher
 * does: an XDP program whose global function ts_probe_fn(ctx) (which keeps
 * the packet) is then replaced by an EXT program, which with changes_pkt
 * calls bpf_xdp_adjust_meta as tcpsentry's program does. The kernel says
 * whether it allows it (this lab VM's 6.18 refuses every EXT program with
 * EPERM; Debian's 6.12.117 refuses the packet-changing one with EINVAL).
 */
static int freplace_loads(int changes_pkt)
{
	struct bpf_insn target_insns[] = {
		/* main(ctx): return ts_probe_fn(ctx) */
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
		/* ts_probe_fn(ctx): return XDP_PASS */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_insn ext_insns[] = {
		/* bpf_xdp_adjust_meta(ctx, 0); return XDP_PASS */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_meta },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	struct bpf_func_info fi[2] = {};
	char log[512] = "";
	struct btf *btf;
	int target = -1, ext = -1, i32, ctx, proto, main_fn, sub_fn;

	btf = btf__new_empty();
	if (!btf)
		return 0;
	i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ctx = btf__add_struct(btf, "xdp_md", 24); /* the kernel matches ctx by name */
	ctx = ctx < 0 ? ctx : btf__add_ptr(btf, ctx);
	proto = btf__add_func_proto(btf, i32);
	btf__add_func_param(btf, "ctx", ctx);
	main_fn = btf__add_func(btf, "ts_probe", BTF_FUNC_GLOBAL, proto);
	sub_fn = btf__add_func(btf, "ts_probe_fn", BTF_FUNC_GLOBAL, proto);
	if (i32 < 0 || ctx < 0 || proto < 0 || main_fn < 0 || sub_fn < 0 ||
	    btf__load_into_kernel(btf))
		goto out;
	fi[0] = (struct bpf_func_info){ .insn_off = 0, .type_id = (__u32)main_fn };
	fi[1] = (struct bpf_func_info){ .insn_off = 2, .type_id = (__u32)sub_fn };
	o.prog_btf_fd = btf__fd(btf);
	o.func_info = fi;
	o.func_info_rec_size = sizeof(fi[0]);
	o.func_info_cnt = 2;
	target = bpf_prog_load(BPF_PROG_TYPE_XDP, "ts_probe", "GPL", target_insns, 4, &o);
	if (target < 0) {
		dbg("freplace probe: the target: %s\n", strerror(errno));
		goto out;
	}
	fi[0].type_id = (__u32)sub_fn;
	o.func_info_cnt = 1;
	o.attach_prog_fd = (__u32)target;
	o.attach_btf_id = (__u32)sub_fn;
	o.log_buf = log;
	o.log_size = sizeof(log);
	o.log_level = 1;
	if (changes_pkt)
		ext = bpf_prog_load(BPF_PROG_TYPE_EXT, "ts_probe_fn", "GPL", ext_insns, 4, &o);
	else
		ext = bpf_prog_load(BPF_PROG_TYPE_EXT, "ts_probe_fn", "GPL", target_insns + 2, 2, &o);
	if (ext < 0)
		dbg("freplace probe%s: %s; %s\n", changes_pkt ? " (changing the packet)" : "",
		    strerror(errno), log);
out:
	if (ext >= 0)
		close(ext);
	if (target >= 0)
		close(target);
	btf__free(btf);
	return ext >= 0;
}

static int probe(enum ts_feature k)
{
	switch (feat[k].kind) {
	case P_MAP:
		return libbpf_probe_bpf_map_type(feat[k].what, NULL) == 1;
	case P_HELPER:
		return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, feat[k].what, NULL) == 1;
	case P_KFUNC:
		return kfunc_in_vmlinux(feat[k].kfunc);
	case P_FREPLACE:
		return freplace_loads(feat[k].what);
	}
	return 0;
}

void ts_features_probe(struct ts_features *f)
{
	int k;

	f->have = TS_FEATURES_PROBED;
	for (k = 0; k < TS_F_MAX; k++)
		if (probe(k))
			f->have |= 1u << k;
}

int ts_feature_required(enum ts_feature k) { return feat[k].required; }
const char *ts_feature_name(enum ts_feature k) { return feat[k].name; }
const char *ts_feature_needs(enum ts_feature k) { return feat[k].needs; }
const char *ts_feature_off(enum ts_feature k) { return feat[k].off; }

enum ts_feature ts_features_missing_required(const struct ts_features *f)
{
	int k;

	for (k = 0; k < TS_F_MAX; k++)
		if (feat[k].required && !ts_feature_has(f, k))
			return k;
	return TS_F_MAX;
}

void ts_features_print_off(FILE *out, unsigned int have, const char *prefix)
{
	const struct ts_features f = { .have = have };
	int k;

	if (!(have & TS_FEATURES_PROBED))
		return;
	for (k = 0; k < TS_F_MAX; k++) {
		if (feat[k].required || ts_feature_has(&f, k))
			continue;
		if (k == TS_F_EXT_PKT_CHANGE && !ts_feature_has(&f, TS_F_PROG_EXT))
			continue; /* one line about libxdp is enough */
		fprintf(out, "%s%s: off, this kernel lacks %s\n", prefix, feat[k].off,
			feat[k].needs);
	}
}

void ts_features_print_json(FILE *out, unsigned int have)
{
	const struct ts_features f = { .have = have };
	int k, first = 1;

	fprintf(out, ",\"features\":{");
	for (k = 0; k < TS_F_MAX && (have & TS_FEATURES_PROBED); k++) {
		if (feat[k].required)
			continue;
		fprintf(out, "%s\"%s\":%s", first ? "" : ",", feat[k].name,
			ts_feature_has(&f, k) ? "true" : "false");
		first = 0;
	}
	fprintf(out, "}");
}
