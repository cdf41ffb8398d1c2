// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* synflood's XDP program, run by tools/synflood.c with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES: each run of it turns the template SYN (built by
 * the user side) into a SYN from a new source inside 198.18.128.0/17 and
 * transmits it (XDP_TX, which live mode turns into a redirect out of the
 * ingress_ifindex the context names).
 *
 * Live mode recycles its pages without resetting their contents, so the
 * program writes every varying field (source address, source port, sequence
 * number, both checksums) on every frame and computes the checksums from the
 * constant sums the user side precomputed, never from what the page holds.
 * A receiver may have rewritten the page in place (an XDP responder turning
 * the SYN into its SYN-ACK, e.g. tcpsentry's SYN cookies) before it came
 * back to the pool: the program restores the whole template (and its
 * length) first.
 * A single thread drives the runs, so the counter needs no atomics.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* set by the user side before load */
const volatile __u32 src_net = 0xc6128000;  /* 198.18.128.0, host order */
#define TPL_LEN (14 + 20 + 20)
__u8 tpl[TPL_LEN];     /* the template SYN, as built by the user side (.bss: a const would be folded) */
const volatile __u32 src_mask = 0x7fff;     /* /17: 32768 addresses */
const volatile __u32 ip_sum;    /* IPv4 header words, checksum and saddr 0 */
const volatile __u32 tcp_sum;   /* pseudo header + TCP header, csum, saddr,
				   sport and seq 0 */

__u64 frames;                   /* frames rewritten (and returned XDP_TX) */
__u64 bad;                      /* frames too short: template mismatch */

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

SEC("xdp")
int synflood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u64 n = frames;
	__u32 host, saddr, seq, s;
	__u16 sport;

	/* the page as the template was (a receiver may have rewritten it) */
	if (end - data != TPL_LEN) {
		if (bpf_xdp_adjust_tail(ctx, (int)(TPL_LEN - (end - data)))) {
			bad++;
			return XDP_DROP;
		}
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		ip = (void *)(eth + 1);
		tcp = (void *)(ip + 1);
	}
	if ((void *)(tcp + 1) > end) {
		bad++;
		return XDP_DROP;
	}
	__builtin_memcpy(data, tpl, TPL_LEN);
	/* address from the low 15 bits, port from the rest: the first
	 * 32768 * 64512 frames all have distinct (address, port) sources */
	host = (__u32)n & src_mask;
	sport = (__u16)(1024 + ((n / (src_mask + 1)) % 64512));
	saddr = bpf_htonl(src_net | host);
	seq = (__u32)n * 2654435761u;

	ip->saddr = saddr;
	ip->check = 0;
	s = ip_sum + (saddr & 0xffff) + (saddr >> 16);
	ip->check = fold(s);

	tcp->source = bpf_htons(sport);
	tcp->seq = seq;
	tcp->check = 0;
	s = tcp_sum + (saddr & 0xffff) + (saddr >> 16) + tcp->source +
	    (seq & 0xffff) + (seq >> 16);
	tcp->check = fold(s);

	frames = n + 1;
	return XDP_TX;
}
