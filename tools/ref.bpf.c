// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark reference: the unavoidable work of any flow tracker, parse the
 * headers and find the flow with one LRU lookup hit. tcpsentry's cost is
 * reported as a ratio to this, and to the empty program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.h"
#include <tcpsentry/flowkey.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ts_flow_key);
	__type(value, struct ts_flow);
} ref_flows SEC(".maps");

SEC("xdp")
int ref_xdp(struct xdp_md *ctx)
{
	struct ts_flow_key key = {};
	struct ts_flow *f;
	struct pkt p = {};
	struct cursor c;

	xdp_cursor(ctx, &c);
	parse_frame(&c, &p, 0);
	if (p.kind != PKT_TCP)
		return XDP_PASS;
	ts_key_make(&key, p.saddr, p.sport, p.daddr, p.dport);
	f = bpf_map_lookup_elem(&ref_flows, &key);
	if (f)
		f->ep[0].packets++;
	return XDP_PASS;
}
