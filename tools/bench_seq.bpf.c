// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark harness for an in-order stream: BPF_PROG_TEST_RUN repeats one
 * frame, and to a flow tracker the same segment again is a retransmission.
 * This program gives each repeat the next sequence number (the frame's
 * payload length further on; per-CPU, from `next_seq`) and tail-calls the
 * program under test (`under_test`, slot 0): the empty program, the
 * reference or tcpsentry. Its own cost is what it adds to the empty
 * program, which bench takes off (tools/bench.c, round_stream).
 * Frames: Ethernet, IPv4 without options, TCP (bench's own).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} under_test SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} next_seq SEC(".maps");

SEC("xdp")
int bench_seq(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 zero = 0, *seq;

	if ((void *)(th + 1) > end || ip->ihl != 5)
		return XDP_ABORTED;
	seq = bpf_map_lookup_elem(&next_seq, &zero);
	if (!seq)
		return XDP_ABORTED;
	th->seq = bpf_htonl(*seq);
	*seq += bpf_ntohs(ip->tot_len) - sizeof(*ip) - th->doff * 4u;
	bpf_tail_call(ctx, &under_test, 0);
	return XDP_ABORTED; /* no program in the slot */
}
