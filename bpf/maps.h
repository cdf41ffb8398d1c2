/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map of the datapath, in one place. Sizes come from
 * include/tcpsentry/consts.h; those of the flow tables are defaults that
 * userspace overrides before load (bpf_map__set_max_entries). */
#ifndef TCPSENTRY_MAPS_H
#define TCPSENTRY_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/hs_hist.h>
#include <tcpsentry/sketch.h>
#include "ctx.h"

/* Connections whose handshake completed, or picked up mid-stream and
 * confirmed by both directions. Neither a SYN flood nor a flood of spoofed
 * ACKs, RSTs or FINs inserts here, so neither can evict a confirmed flow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_DEFAULT_MAX_FLOWS);
	__type(key, struct ts_flow_key);
	__type(value, struct ts_flow);
} flows SEC(".maps");

/* Half-open connections: SYN seen, handshake not finished. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_DEFAULT_MAX_EMBRYONIC);
	__type(key, struct ts_flow_key);
	__type(value, struct ts_flow);
} embryonic SEC(".maps");

/* Mid-stream pickups seen from one direction only: an unknown tuple's
 * first non-SYN segment starts here, and moves to flows once the other
 * direction answers (TS_F_CONFIRMED). Spoofed segments can fill this table,
 * never flows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_DEFAULT_MAX_PICKUPS);
	__type(key, struct ts_flow_key);
	__type(value, struct ts_flow);
} pickups SEC(".maps");

/* IP first fragments of TCP the kernel queues, waiting for their
 * datagram's end (struct frag_fin, bpf/track.h): a FIN's or an RST's to
 * take effect then, any other's so that its end is not taken for a tail
 * waiting. Not pinned: what waits here is gone when the program goes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_FRAG_FINS);
	__type(key, struct frag_fin_key);
	__type(value, struct frag_fin);
} frag_fins SEC(".maps");

/* ... and last fragments that came first (struct frag_tail): a FIN's first
 * fragment after them finds its end here */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_FRAG_FINS);
	__type(key, struct frag_fin_key);
	__type(value, struct frag_tail);
} frag_tails SEC(".maps");

/* IPv4 fragments (of every protocol) per source address, counted as the
 * kernel counts them (inet_peer.rid): how far apart two of one datagram came
 * (bpf/track.h, frag_too_far) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_FRAG_PEERS);
	__type(key, __u32);
	__type(value, __u32);
} frag_peers SEC(".maps");

/* The XDP program that was on the interface before tcpsentry came: ours
 * tail-calls it, so both run (see attach.c, "chaining"). Empty otherwise:
 * a tail call into an empty slot falls through to XDP_PASS. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdp_chain SEC(".maps");

/* Spin locks guarding flow values, one stripe per hash bucket of keys:
 * LRU values cannot carry their own bpf_spin_lock. */
struct ts_lock {
	struct bpf_spin_lock lock;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_LOCK_STRIPES);
	__type(key, __u32);
	__type(value, struct ts_lock);
} flow_locks SEC(".maps");

/* Per-CPU scratch (struct scratch, bpf/ctx.h): a flow value under
 * construction, the segment's key and detect's findings, which do not fit
 * the 512-byte BPF stack beside the parsed packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Per-CPU counters, exact and lock-free: one lookup per packet, then
 * in-place increments. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_counters);
} counters SEC(".maps");

/* Per-CPU anomaly counts (exact) and per-kind event rate limiters: see
 * struct ts_anomalies. Touched only when a segment is anomalous. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_anomalies);
} anomalies SEC(".maps");

/* SYN-flood windows: per CPU, one per destination-port slot plus the
 * host-wide slot (TS_SYN_HOST). See include/tcpsentry/sketch.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TS_SK_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_synwin);
} synwin SEC(".maps");

/* SYN-flood state and source HyperLogLog per slot, shared by all CPUs:
 * written at epoch rollover (compare-and-swap) and when a register grows. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_SK_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_flood);
} floods SEC(".maps");

/* Top SYN sources (heavy keeper, include/tcpsentry/sketch.h), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TS_TOP_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_top_src);
} syn_top SEC(".maps");

/* Port-scan sketch: one slot per source-address hash, shared. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_SCAN_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_scan);
} scans SEC(".maps");

/* State-transition, anomaly and policy-action (ban) events for `events`. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TS_EVENTS_BYTES);
} events SEC(".maps");

/* Connection records (include/tcpsentry/record.h), on a ring of their own:
 * a burst of anomaly events cannot crowd them out, nor they the events. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TS_RECORDS_BYTES);
} records SEC(".maps");

/* Per-CPU event rate limits of the drops no anomaly event tells of
 * (TS_EV_DROP), one token bucket per drop reason, as the anomalies' are per
 * kind (TS_RL_RATE, TS_RL_BURST). Touched only by a dropped frame. */
struct ts_drop_rl {
	struct ts_rl rl[TS_D_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_drop_rl);
} drop_rl SEC(".maps");

/* Run-time knobs, written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_config);
} config SEC(".maps");

/* The VLAN IDs the interface has devices for (struct ts_vlans), written by
 * userspace at attach and kept so by `run`: an ingress frame tagged with
 * another is the kernel's to drop (bpf/parse.h, vlan_taken). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_vlans);
} vlans SEC(".maps");

/* The enforcement policy, double-buffered: ts_config.policy_slot picks the
 * element in force (see struct ts_policy). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ts_policy);
} policy SEC(".maps");

/* Source prefixes never dropped, banned or rate-limited (struct ts_lpm_key). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TS_MAX_LIST);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ts_lpm_key);
	__type(value, struct ts_list_val);
} allow SEC(".maps");

/* Single addresses of the allow and deny lists (struct ts_host_key): one
 * hash lookup answers both lists for a host. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TS_MAX_LIST);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ts_host_key);
	__type(value, struct ts_list_val);
} hosts SEC(".maps");

/* Sources the datapath banned, on proof only (struct ts_ban_key): apart
 * from the lists, bounded, the oldest evicted first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_MAX_BANS);
	__type(key, struct ts_ban_key);
	__type(value, struct ts_list_val);
} bans SEC(".maps");

/* Source prefixes dropped: the operator's entries (some with a TTL). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TS_MAX_LIST);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ts_lpm_key);
	__type(value, struct ts_list_val);
} deny SEC(".maps");

/* Per-CPU list decision cache (struct ts_gate_cache). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TS_GATE_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_gate_cache);
} gate_cache SEC(".maps");

/* Bans written by the datapath, ever: a new ban voids cached decisions. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ban_epoch SEC(".maps");

/* Per-CPU drop and would-drop counts by reason (struct ts_drops). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_drops);
} drops SEC(".maps");

/* Per-source SYN limiter cells (include/tcpsentry/ratelimit.h), shared. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_SRC_RL_ROWS * TS_SRC_RL_CELLS);
	__type(key, __u32);
	__type(value, __u64);
} src_rl SEC(".maps");

/* Per-destination-port SYN budget cells, one per port, shared. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} port_rl SEC(".maps");

/* SYN cookies per destination port: when our last cookie went out, and
 * the GCRA cell limiting MAC checks (consts.h, TS_COOKIE_*). Shared. */
struct cookie_port {
	__u64 sent_ns;   /* coarse clock; 0: never */
	__u64 check_tat; /* GCRA theoretical arrival time of the next check */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct cookie_port);
} cookie_sent SEC(".maps");

/* What `attach` did, so `status` and `detach` can read it later. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_meta);
} meta SEC(".maps");

/* Counters written by userspace (the sweeper). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_ustats);
} ustats SEC(".maps");

/* Handshake-time histogram, log2 buckets of microseconds, per CPU
 * (include/tcpsentry/hs_hist.h): one increment per completed handshake. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_hs_hist);
} hs_hist SEC(".maps");

/* ---- one-element maps, read as records ---------------------------------------- */

static __always_inline struct ts_counters *counters_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline struct ts_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

/* the policy in force: the element ts_config.policy_slot picks */
static __always_inline struct ts_policy *policy_get(void)
{
	struct ts_config *cfg = config_get();
	__u32 slot = 0;

	if (cfg) {
		TS_CHECKED(cfg);
		slot = cfg->policy_slot & 1;
	}
	return bpf_map_lookup_elem(&policy, &slot);
}

/* is port (host order) in syn.cookie_ports? */
static __always_inline int policy_cookie_port(const struct ts_policy *pol, __u16 port)
{
	__u32 n = pol->cookie_nports;

	return (n > 0 && pol->cookie_ports[0] == port) || (n > 1 && pol->cookie_ports[1] == port) ||
	       (n > 2 && pol->cookie_ports[2] == port) || (n > 3 && pol->cookie_ports[3] == port);
}

/* the kernel's fragment distance in force (ts_config.frag_max_dist):
 * TS_FRAG_MAX_DIST until attach or `run` read the sysctl */
static __always_inline __u32 config_frag_max_dist(void)
{
	struct ts_config *cfg = config_get();
	__u32 d;

	if (!cfg)
		return TS_FRAG_MAX_DIST;
	TS_CHECKED(cfg);
	d = cfg->frag_max_dist;
	return d ? d : TS_FRAG_MAX_DIST;
}

/* a reader wants connection records (ts_config.records) */
static __always_inline int records_on(void)
{
	struct ts_config *cfg = config_get();

	if (!cfg)
		return 0;
	TS_CHECKED(cfg);
	return cfg->records != 0;
}

/* the attachment's cookie MAC key, NULL without one */
static __always_inline const __u64 *config_cookie_key(void)
{
	struct ts_config *cfg = config_get();

	if (!cfg)
		return NULL;
	TS_CHECKED(cfg);
	if (!(cfg->cookie_key[0] | cfg->cookie_key[1] | cfg->cookie_key[2] | cfg->cookie_key[3]))
		return NULL;
	return (const __u64 *)cfg->cookie_key;
}

/* cookies may answer syn.cookie_ports: a MAC key and the tc ingress
 * hand-over to give the listener what a valid ACK proves */
static __always_inline int config_cookies(void)
{
	struct ts_config *cfg = config_get();

	if (!cfg)
		return 0;
	TS_CHECKED(cfg);
	return cfg->handover &&
	       !!(cfg->cookie_key[0] | cfg->cookie_key[1] | cfg->cookie_key[2] | cfg->cookie_key[3]);
}

#endif /* TCPSENTRY_MAPS_H */
