// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stand-in for 802.1Q sub-interfaces on kernels built without 8021q
 * (CONFIG_VLAN_8021Q unset, no act_vlan either). test_vlan.sh compiles this
 * twice: -DVLAN_PUSH for tc egress, where it writes an 802.1Q tag (VID 100)
 * into the frame itself, between the MAC addresses and the EtherType, so
 * both tcpsentry hooks parse a tagged frame; and -DVLAN_POP for tc ingress,
 * where it drops the tag again (the stack has moved it into skb metadata by
 * then), so the IP stack takes the frame as if a VLAN device had. It drops
 * untagged frames, so traffic that gets through was tagged both ways, and
 * frames of any other VLAN, as the kernel does where VID 100 alone has a
 * device. A frame tagged already is sent as it is. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define VID 100

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#ifdef VLAN_PUSH
SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	__u8 macs[12];
	__be16 tag[2];

	/* grow the head by 4 and move the MAC addresses there, which works for
	 * every EtherType (bpf_skb_adjust_room() takes only IPv4 and IPv6) */
	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)) ||
	    bpf_skb_load_bytes(skb, 12, tag, sizeof(tag[0])))
		return TC_ACT_UNSPEC;
	/* a frame tagged already (an attack test's crafted one, with the
	 * VLAN it means) goes out as it is */
	if (tag[0] == bpf_htons(ETH_P_8021Q) || tag[0] == bpf_htons(ETH_P_8021AD))
		return TC_ACT_UNSPEC;
	if (bpf_skb_change_head(skb, 4, 0))
		return TC_ACT_SHOT;
	tag[0] = bpf_htons(ETH_P_8021Q);
	tag[1] = bpf_htons(VID);
	if (bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0) ||
	    bpf_skb_store_bytes(skb, 12, tag, sizeof(tag), 0))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC; /* on to the next filter: tcpsentry's */
}
#endif

#ifdef VLAN_POP
SEC("tc")
int vlan_pop(struct __sk_buff *skb)
{
	/* strict: an untagged frame means the peer's push did not happen, and
	 * the test must not pass on untagged traffic */
	if (!skb->vlan_present || (skb->vlan_tci & 0x0fff) != VID)
		return TC_ACT_SHOT;
	bpf_skb_vlan_pop(skb);
	return TC_ACT_UNSPEC; /* on to the next filter: tcpsentry's (SYN cookies) */
}
#endif
