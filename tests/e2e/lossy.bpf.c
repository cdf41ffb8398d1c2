// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A lossy, reordering link for the false-positive runs, at tc egress of a
 * veth (test_lossy_link.sh attaches it in the client namespace).
 *
 * IPv4 TCP segments only; everything else passes untouched.
 *  - drop: about 1% of segments (bpf_get_prandom_u32), any flags.
 *  - reorder: about 2% of the other segments that carry ACK (data, pure
 *    ACKs, FINs; not SYN, not RST) are held back: copied into this CPU's
 *    slot and dropped. The next such segment on this CPU goes out first, as a
 *    clone (bpf_clone_redirect, marked so this program passes it), and the
 *    held segment is then written over the original skb, which goes out
 *    behind it: a true swap of two segments on the wire, no delaying qdisc
 *    needed (this kernel has neither netem nor fq). A held segment not
 *    released within HOLD_NS is discarded: one more loss.
 * Dropped and held segments are TC_ACT_STOLEN, not TC_ACT_SHOT: a shot
 * segment makes dev_queue_xmit() return NET_XMIT_DROP and TCP, told at once,
 * keeps it queued and sends it again, which is no loss on a wire; a stolen
 * one reports success to the sender, and only the peer's ACKs tell.
 * Segments larger than a slot (GSO) are never held nor used for a swap: the
 * test caps GSO at one segment (ip link set DEV gso_max_segs 1).
 *
 * Checksums: TCP segments from a full socket leave with CHECKSUM_PARTIAL
 * (the header holds the pseudo-header sum, the device completes it), and a
 * swap keeps the skb's offsets (IPv4 without options in both), so the held
 * bytes go out as the kernel wrote them. A swap into a reply from a control
 * socket (CHECKSUM_NONE) would fail the receiver's checksum: that segment is
 * lost and retransmitted, like a drop.
 *
 * Counters (lossy_stats, one array slot each, see enum): read with bpftool.
 *
 * Built with LOSSY_DROP_ONLY (lossy_in.bpf.c): drops only, for tc ingress
 * (the clone a swap sends would leave by the wrong way there).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define DROP_PER_10K    100             /* 1% */
#define HOLD_PER_10K    200             /* 2% of the rest that qualify */
#define SLOT_BYTES      2048            /* a power of 2: see bound() */
#define HOLD_NS         (20 * 1000 * 1000ULL)
#define LOSSY_MARK      0x10551         /* our own clones */

enum {
	ST_TCP,          /* IPv4 TCP segments seen (not our clones) */
	ST_DROPPED,      /* dropped at random */
	ST_HELD,         /* held back for a swap */
	ST_SWAPPED,      /* released behind a later segment */
	ST_SWAPPED_SAME, /* ... of the same connection and direction */
	ST_EXPIRED,      /* held too long, discarded */
	ST_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lossy_stats SEC(".maps");

struct slot {
	__u32 len;
	__u32 saddr, daddr, ports;
	__u64 ts;
	__u8 buf[SLOT_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} lossy_held SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&lossy_stats, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* n in [1, SLOT_BYTES] unchanged, in a form the verifier can bound (clang
 * folds plain range checks into ones it cannot follow) */
static __always_inline __u32 bound(__u32 n)
{
	return ((n - 1) & (SLOT_BYTES - 1)) + 1;
}

struct hdrs {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

SEC("tc")
int lossy(struct __sk_buff *skb)
{
	struct hdrs h;
	struct slot *s;
	__u32 zero = 0, r, len, ports;
	__u64 now;
	int swappable;

	if (skb->mark == LOSSY_MARK || skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 0, &h, sizeof(h)))
		return TC_ACT_OK;
	if (h.ip.protocol != IPPROTO_TCP || h.ip.ihl != 5)
		return TC_ACT_OK;
	count(ST_TCP);

	r = bpf_get_prandom_u32() % 10000;
	if (r < DROP_PER_10K) {
		count(ST_DROPPED);
		return TC_ACT_STOLEN;
	}
#ifdef LOSSY_DROP_ONLY
	return TC_ACT_OK; /* lossy_in.bpf.c: at tc ingress, where a swap cannot go */
#endif

	s = bpf_map_lookup_elem(&lossy_held, &zero);
	if (!s)
		return TC_ACT_OK;
	len = skb->len;
	swappable = h.tcp.ack && !h.tcp.syn && !h.tcp.rst && skb->gso_segs <= 1 &&
		    len <= 1536;
	if (!swappable)
		return TC_ACT_OK;
	ports = ((__u32)h.tcp.source << 16) | h.tcp.dest;
	now = bpf_ktime_get_ns();

	if (s->len && now - s->ts > HOLD_NS) {
		s->len = 0;
		count(ST_EXPIRED);
	}
	if (s->len) {
		/* this segment first (a clone), then the held one in its skb */
		__u32 hl = s->len;

		if (hl < sizeof(h) || hl > SLOT_BYTES)
			return TC_ACT_OK;
		skb->mark = LOSSY_MARK;
		if (bpf_clone_redirect(skb, skb->ifindex, 0))
			return TC_ACT_OK;   /* not sent: keep it, keep the held */
		skb->mark = 0;
		s->len = 0;
		if (bpf_skb_change_tail(skb, hl, 0) ||
		    bpf_skb_store_bytes(skb, 0, s->buf, bound(hl), 0)) {
			count(ST_EXPIRED);
			return TC_ACT_STOLEN; /* the clone went; the held one is lost */
		}
		count(ST_SWAPPED);
		if (s->saddr == h.ip.saddr && s->daddr == h.ip.daddr && s->ports == ports)
			count(ST_SWAPPED_SAME);
		return TC_ACT_OK;
	}
	if (r < DROP_PER_10K + HOLD_PER_10K && len >= sizeof(h)) {
		if (bpf_skb_load_bytes(skb, 0, s->buf, bound(len)))
			return TC_ACT_OK;
		s->len = len;
		s->saddr = h.ip.saddr;
		s->daddr = h.ip.daddr;
		s->ports = ports;
		s->ts = now;
		count(ST_HELD);
		return TC_ACT_STOLEN;
	}
	return TC_ACT_OK;
}
