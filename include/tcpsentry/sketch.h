/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fixed-size sketches for the flood and scan detectors, as pure static
 * inline C (no helpers, no libc, no loops the verifier has to unroll on the
 * per-packet path), compiled into the BPF object and the unit tests alike,
 * which drive them with synthetic timestamps.
 *
 * SYN flood (per destination-port slot and host-wide):
 *   - struct ts_synwin, one per slot per CPU (PERCPU_ARRAY): SYNs and
 *     handshake completions in 500 ms epochs (epoch = now / 500 ms), two
 *     buckets indexed by epoch & 1. Updating it is two compares and an
 *     increment on this CPU's cache line.
 *   - struct ts_flood, one per slot, shared (ARRAY): whether a flood is on,
 *     the last epoch evaluated, and a 64-register HyperLogLog of source
 *     addresses (a register is written only when it grows, so under a
 *     flood the shared line is mostly read).
 *   - Per-CPU state means each CPU sees part of the rate (RSS spreads a
 *     spoofed flood over the queues). We sum across CPUs, but only at
 *     epoch rollover: the first CPU that moves the shared slot's epoch
 *     forward (one compare-and-swap, so exactly one CPU per epoch) sums the
 *     finished epoch's buckets of every CPU (bpf_map_lookup_percpu_elem)
 *     and decides. That is one summation per slot per 500 ms, not per SYN,
 *     and the start/end transition is a compare-and-swap on `active`, so
 *     exactly one event per start and per end.
 * Port scan (per source slot, shared ARRAY): struct ts_scan holds the hash
 *   of the source using the slot, a window start and a 256-bit bitmap of
 *   destination ports (linear counting); flagged once per window when the
 *   bits set exceed the threshold. Shared rather than per CPU because RSS
 *   hashes on ports too and would spread one scanner's SYNs across CPUs.
 */
#ifndef TCPSENTRY_SKETCH_H
#define TCPSENTRY_SKETCH_H

#include "abi.h"

#define TS_SK_INLINE static inline __attribute__((always_inline))

#define TS_EPOCHS_PER_S (1000000000ull / TS_EPOCH_NS)
#define TS_SYN_HOST TS_SYN_PORT_SLOTS /* the host-wide slot */
#define TS_SYN_SLOTS (TS_SYN_PORT_SLOTS + 1)
#define TS_BS_SLOT TS_SYN_SLOTS  /* backscatter: RSTs this host sends to unknown peers */
#define TS_AF_SLOT (TS_BS_SLOT + 1) /* ack flood: ingress segments of unknown tuples (pickups) */
#define TS_SK_SLOTS (TS_AF_SLOT + 1) /* entries of synwin and floods */
#define TS_HLL_REGS 64           /* registers per slot: ~13% standard error */
#define TS_HLL_BITS 6

#define TS_SCAN_BITS 256

/*
 * Top SYN sources, for `tcpsentry top` (the `syn_top` per-CPU array): a
 * heavy-keeper sketch. A SYN's source hashes to one of TS_TOP_SLOTS slots;
 * the slot's holder counts up, anyone else wears its count down by one and
 * takes the slot when it reaches zero. A source sending a steady share of
 * the SYNs keeps its slot; a spoofed flood's one-off sources churn through
 * and never build a count. Approximate by design: counts are lower bounds.
 */
struct ts_top_src {
	__u32 addr[4];     /* network order, v4-mapped for IPv4 */
	__u64 count;       /* SYNs counted while holding the slot */
};
_Static_assert(sizeof(struct ts_top_src) == 24, "ts_top_src size");

/* One SYN from addr (hash h) into its slot. */
TS_SK_INLINE void ts_top_note(struct ts_top_src *s, const __u32 addr[4])
{
	if (s->addr[0] == addr[0] && s->addr[1] == addr[1] && s->addr[2] == addr[2] &&
	    s->addr[3] == addr[3]) {
		s->count++;
	} else if (s->count <= 1) {
		s->addr[0] = addr[0];
		s->addr[1] = addr[1];
		s->addr[2] = addr[2];
		s->addr[3] = addr[3];
		s->count = 1;
	} else {
		s->count--;
	}
}

/* syn_flood event: detail */
#define TS_FLOOD_START 1
#define TS_FLOOD_END 2
/* syn_flood event detail: syn.cookies=auto switched cookies on (start) or
 * off (end) for the flooded port (host-wide: every cookie port) */
#define TS_FLOOD_COOKIES 0x100
/* port_scan event from the backscatter detector: detail = this | phase */
#define TS_SCAN_BACKSCATTER 0x80000000u

/* Per CPU, per slot. */
struct ts_synwin {
	__u64 epoch;       /* epoch of the newer bucket */
	__u32 syn[2];      /* SYNs received, by epoch & 1 */
	__u32 done[2];     /* handshakes completed, by epoch & 1 */
};
_Static_assert(sizeof(struct ts_synwin) == 24, "ts_synwin size");

/* Shared, per slot. 64-bit words where BPF atomics act (clang 14's BPF
 * target has no 32-bit compare-and-swap at -mcpu=v1/v2). */
struct ts_flood {
	__u64 epoch;       /* the epoch being counted; its predecessor was evaluated */
	__u64 start_ns;    /* flood start (0 when none) */
	__u64 active;      /* 1 while a flood is on */
	__u64 ports_active;/* host-wide slot: port slots flooded now */
	__u32 rate;        /* SYN/s of the last evaluated epoch */
	__u32 complete_pct;/* completions / SYNs of the last evaluated epoch */
	__u32 sources;     /* distinct-source estimate at the last start/end */
	__u32 peak_rate;   /* highest rate while active */
	__u16 port;        /* host order: last destination port seen in the slot */
	__u16 pad;
	__u32 host_active; /* port slots: a copy of the host-wide slot's active (one read on a new SYN) */
	__u8 hll[TS_HLL_REGS];
};
_Static_assert(sizeof(struct ts_flood) == 56 + TS_HLL_REGS, "ts_flood size");

/* Shared, per source slot. */
struct ts_scan {
	__u64 win_start;   /* ns; 0: free */
	__u32 src;         /* hash of the source owning the slot */
	__u8 flagged;      /* 1 once reported in this window */
	/* its ACKs to probe cookies in this window (ts_scan_proof): 0 none,
	 * 1 on proof_port only, 2 on two ports or more */
	__u8 proofs;
	__u16 proof_port;  /* host order: the port of the first */
	__u64 bits[TS_SCAN_BITS / 64];
};
_Static_assert(sizeof(struct ts_scan) == 48, "ts_scan size");

/* a 32-bit mix (murmur3's finaliser) */
TS_SK_INLINE __u32 ts_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* hash of a v4-mapped/IPv6 address (4 words, network order) */
TS_SK_INLINE __u32 ts_addr_hash(const __u32 a[4])
{
	return ts_mix32(a[0] ^ ts_mix32(a[1] ^ ts_mix32(a[2] ^ ts_mix32(a[3] ^ 0x9e3779b9u))));
}

TS_SK_INLINE __u32 ts_port_slot(__u16 port_host)
{
	return ts_mix32(port_host * 0x9e3779b1u) & (TS_SYN_PORT_SLOTS - 1);
}

TS_SK_INLINE __u64 ts_epoch(__u64 now) { return now / TS_EPOCH_NS; }

/* Bring a per-CPU window to epoch e (clearing what is older than e - 1). */
TS_SK_INLINE void ts_win_advance(struct ts_synwin *w, __u64 e)
{
	if (w->epoch == e)
		return;
	if (w->epoch + 1 == e) {
		w->syn[e & 1] = 0;
		w->done[e & 1] = 0;
	} else {
		w->syn[0] = w->syn[1] = 0;
		w->done[0] = w->done[1] = 0;
	}
	w->epoch = e;
}

/* What a window holds for epoch e (0 if it no longer or not yet does). */
TS_SK_INLINE __u32 ts_win_syn(const struct ts_synwin *w, __u64 e)
{
	return (w->epoch == e || w->epoch == e + 1) ? w->syn[e & 1] : 0;
}
TS_SK_INLINE __u32 ts_win_done(const struct ts_synwin *w, __u64 e)
{
	return (w->epoch == e || w->epoch == e + 1) ? w->done[e & 1] : 0;
}

/* HyperLogLog: register index from the low bits, rank from the rest. */
TS_SK_INLINE __u32 ts_hll_idx(__u32 h) { return h & (TS_HLL_REGS - 1); }
TS_SK_INLINE __u8 ts_hll_rank(__u32 h)
{
	__u32 w = h >> TS_HLL_BITS;  /* 26 bits */
	__u8 r = 1;

	if (!w)
		return 27;
	/* count trailing zeros of w, + 1, without a loop */
	if (!(w & 0xffff)) { r += 16; w >>= 16; }
	if (!(w & 0xff))   { r += 8;  w >>= 8; }
	if (!(w & 0xf))    { r += 4;  w >>= 4; }
	if (!(w & 0x3))    { r += 2;  w >>= 2; }
	if (!(w & 0x1))    { r += 1; }
	return r;
}

/* m * ln(m / zeros) for m = 64, zeros = 0..64: linear counting without a
 * logarithm (index 0 unused) */
static const __u16 ts_hll_lc[TS_HLL_REGS + 1] = {
	0, 266, 222, 196, 177, 163, 151, 142, 133, 126, 119, 113, 107, 102, 97, 93, 89,
	85, 81, 78, 74, 71, 68, 65, 63, 60, 58, 55, 53, 51, 48, 46, 44, 42, 40, 39, 37,
	35, 33, 32, 30, 28, 27, 25, 24, 23, 21, 20, 18, 17, 16, 15, 13, 12, 11, 10, 9,
	7, 6, 5, 4, 3, 2, 1, 0,
};

/* Estimate from the registers (a bounded loop of TS_HLL_REGS: the
 * once-per-epoch path and userspace only). Integer arithmetic: sum of
 * 2^-reg in 2^-32 units, alpha_64 = 0.709, linear counting below 2.5 m. */
TS_SK_INLINE __u32 ts_hll_estimate(const __u8 *reg)
{
	__u64 sum = 0, est;
	__u32 zeros = 0, i;

	/* branch-free body: the verifier walks the loop once, not per path
	 * (ranks never exceed 27, so & 31 is the identity) */
	for (i = 0; i < TS_HLL_REGS; i++) {
		__u32 r = reg[i] & 31;

		sum += (1ull << 32) >> r;
		zeros += (r - 1) >> 31;
	}
	if (zeros == TS_HLL_REGS)
		return 0;
	/* alpha * m^2 / sum, with sum in 2^-32 units */
	est = ((709ull * TS_HLL_REGS * TS_HLL_REGS) << 32) / 1000 / sum;
	if (est <= 5 * TS_HLL_REGS / 2 && zeros && zeros <= TS_HLL_REGS)
		est = ts_hll_lc[zeros];
	return est > 0xffffffffull ? 0xffffffffu : (__u32)est;
}

/*
 * The flood decision for one finished epoch, given the SYNs and
 * completions summed over CPUs. Returns TS_FLOOD_START when an inactive
 * slot crosses the thresholds, TS_FLOOD_END when an active one falls below
 * half the rate threshold (or its handshakes complete again), 0 otherwise.
 * Completions are capped at the SYNs (an outbound connection's promotion
 * can land in an inbound slot).
 */
TS_SK_INLINE int ts_flood_decide(int active, __u32 syn, __u32 done, __u32 rate_thr,
				 __u32 pct_thr, __u32 *rate, __u32 *pct)
{
	__u64 r = (__u64)syn * TS_EPOCHS_PER_S;

	if (done > syn)
		done = syn;
	*rate = r > 0xffffffffull ? 0xffffffffu : (__u32)r;
	*pct = syn ? (__u32)((__u64)done * 100 / syn) : 100;
	if (!active)
		return (r >= rate_thr && *pct < pct_thr) ? TS_FLOOD_START : 0;
	if (r * 2 < rate_thr || *pct >= pct_thr)
		return TS_FLOOD_END;
	return 0;
}

/*
 * Port scan: note that source hash `src` sent a SYN (or bad flags) to
 * `port` at `now`. Returns the distinct-port estimate (bits set) when
 * it first exceeds `thr` in the window (report then), 0 otherwise. A slot
 * held by another source is taken over when its window has expired; while
 * it is fresh the newcomer is not counted (a collision can hide a scan
 * for at most one window, never invent one).
 */
TS_SK_INLINE __u32 ts_scan_note(struct ts_scan *s, __u32 src, __u16 port, __u64 now, __u32 thr)
{
	__u32 b = ts_mix32(port) & (TS_SCAN_BITS - 1);
	__u64 m = 1ull << (b & 63);
	__u32 n;

	if (!s->win_start || now < s->win_start || now - s->win_start >= TS_SCAN_WINDOW_NS) {
		s->win_start = now ? now : 1;
		s->src = src;
		s->flagged = 0;
		s->proofs = 0;
		s->proof_port = 0;
		s->bits[0] = s->bits[1] = s->bits[2] = s->bits[3] = 0;
	} else if (s->src != src) {
		return 0;
	}
	if (s->bits[(b >> 6) & 3] & m)
		return 0; /* seen this port: the common, read-only case */
	s->bits[(b >> 6) & 3] |= m;
	if (s->flagged)
		return 0;
	n = (__u32)(__builtin_popcountll(s->bits[0]) + __builtin_popcountll(s->bits[1]) +
		    __builtin_popcountll(s->bits[2]) + __builtin_popcountll(s->bits[3]));
	if (n <= thr)
		return 0;
	s->flagged = 1;
	return n;
}

/*
 * A handshake from source hash `src` to `port` completed: that port is
 * not scanned, take its bit back (scans are of handshakes that do not
 * complete, so a client opening many real connections, e.g. FTP data
 * ports, is not a scanner).
 */
TS_SK_INLINE void ts_scan_done(struct ts_scan *s, __u32 src, __u16 port)
{
	__u32 b = ts_mix32(port) & (TS_SCAN_BITS - 1);

	if (s->win_start && s->src == src)
		s->bits[(b >> 6) & 3] &= ~(1ull << (b & 63));
}

/*
 * Source hash `src` ACKed a probe cookie of `port` at `now`: its stack is
 * real. Returns 1 once its proofs in the slot's window cover two distinct
 * ports, 0 before (and for a slot another source holds, or whose window
 * has run out). One port is not enough: a host whose address a scan was
 * spoofed from, really connecting to one of the probed closed ports in
 * the window, answers that port's probe too; a real connect scanner
 * answers every probe.
 */
TS_SK_INLINE int ts_scan_proof(struct ts_scan *s, __u32 src, __u16 port, __u64 now)
{
	if (!s->win_start || s->src != src || now < s->win_start ||
	    now - s->win_start >= TS_SCAN_WINDOW_NS)
		return 0;
	if (!s->proofs) {
		s->proofs = 1;
		s->proof_port = port;
	} else if (s->proof_port != port) {
		s->proofs = 2;
	}
	return s->proofs >= 2;
}

#endif /* TCPSENTRY_SKETCH_H */
