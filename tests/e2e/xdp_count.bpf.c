// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stand-in for another tool's XDP program: counts frames and passes them.
 * The coexistence test attaches it with `ip link ... xdpdrv` before
 * tcpsentry and checks that it keeps counting. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdp_count_map SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&xdp_count_map, &zero);

	(void)ctx;
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}
