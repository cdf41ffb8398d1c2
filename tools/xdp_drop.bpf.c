// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The SYN-flood bench's flood-side sink (tools/bench_synflood.sh): drops
 * every frame the server sends back to the spoofed sources (SYN-ACKs) at
 * the cheapest point, and gives the veth the NAPI it needs to take XDP
 * frames (the SYN-ACKs tcpsentry sends with XDP_TX). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}
