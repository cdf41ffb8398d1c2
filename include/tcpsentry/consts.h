/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every tunable size and default of tcpsentry, in one place, read by the
 * BPF object and by userspace alike (katran's balancer_consts.h). Pure
 * #defines and no includes, so any translation unit can take it first.
 *
 * What is here can change without touching a shared struct. Sizes that
 * are part of a struct's layout (TS_C_MAX, TS_A_MAX, TS_COOKIE_PORTS,
 * TS_HLL_REGS, TS_SCAN_BITS, TS_HS_BUCKETS) stay beside that struct.
 * The table sizes can be overridden at build time (-DTS_...), and those of
 * the flow tables at attach (--max-flows, --max-embryonic).
 */
#ifndef TCPSENTRY_CONSTS_H
#define TCPSENTRY_CONSTS_H

/* ---- tables ------------------------------------------------------------------ */

/* flows and embryonic: the defaults `attach` sizes them to, and the most it
 * accepts */
#ifndef TS_DEFAULT_MAX_FLOWS
#define TS_DEFAULT_MAX_FLOWS (1ull << 20)
#endif
#ifndef TS_DEFAULT_MAX_EMBRYONIC
#define TS_DEFAULT_MAX_EMBRYONIC (1ull << 18)
#endif
#define TS_MAX_TABLE_ENTRIES (1ull << 27)
/* pickups: mid-stream segments of unknown tuples, seen from one direction
 * only (spoofed ACKs, RSTs, FINs fill it, never flows) */
#ifndef TS_DEFAULT_MAX_PICKUPS
#define TS_DEFAULT_MAX_PICKUPS (1ull << 18)
#endif
/* FINs and RSTs in IP first fragments waiting for their datagram's last
 * fragment, which tells their end and checksum, and last fragments that
 * came before their first (bpf/track.h, frag_first): two LRUs of this
 * size, one entry per datagram; a FIN or RST pushed out waits for nothing
 * (the state does not move, as for one the kernel dropped). Sized to
 * outlast the kernel's own queues under a flood of orphan fragments: it
 * holds at most net.ipv4.ipfrag_high_thresh (4 MB) of them, a few
 * thousand small ones, then drops new ones; a tail pushed out here that
 * the kernel still holds would complete, or end, a datagram unseen */
#define TS_FRAG_FINS 16384
/* The kernel starts an IPv4 datagram's reassembly over, its fragments
 * so far dropped, when more than this many fragments from the same source
 * came between two of its own (ip_frag_too_far: net.ipv4.ipfrag_max_dist,
 * its default, fragments of every protocol); bpf/track.h counts them the
 * same way, per source, in an
 * LRU of TS_FRAG_PEERS sources (one pushed out starts its count over, and
 * what waited for it is taken as started over). The distance in force is
 * the interface's netns's sysctl, which attach and `run` (every sweep)
 * write into ts_config.frag_max_dist; this default stands until then. A
 * sysctl of 0 turns the kernel's check off: TS_FRAG_DIST_OFF, a distance
 * no count reaches. */
#define TS_FRAG_MAX_DIST 64
#define TS_FRAG_DIST_OFF 0xffffffffu
#define TS_FRAG_PEERS 16384
/* how long the kernel keeps a datagram's fragments waiting for the rest:
 * its defaults, net.ipv4.ipfrag_time and net.ipv6.ip6frag_time */
#define TS_FRAG_LIFE4_NS 30000000000ull
#define TS_FRAG_LIFE6_NS 60000000000ull
/* the sweeper removes a pickup the other direction never answered after
 * this long idle (a real connection answers within a round trip) */
#define TS_PICKUP_IDLE_NS 120000000000ull

/* entries of a policy file, [allow] and [deny] together: the documented
 * maximum `policy load` takes */
#define TS_LIST_MAX_ENTRIES 1000000
/* each of the list tables (hosts, the allow and deny tries): a whole file
 * of one kind, twice (a load writes the new generation beside the one in
 * force, then drops the old one). Not preallocated: an empty list costs
 * the hash's bucket array (16 B a slot) and nothing in the tries. */
#ifndef TS_MAX_LIST
#define TS_MAX_LIST (2 * TS_LIST_MAX_ENTRIES)
#endif
/* bans the datapath wrote (an LRU of their own: a flood of them evicts
 * the oldest ban, never a list entry) */
#ifndef TS_MAX_BANS
#define TS_MAX_BANS 65536
#endif

/* the event ring buffer: 4 MiB, ~65k events of slack for a slow reader */
#ifndef TS_EVENTS_BYTES
#define TS_EVENTS_BYTES (1 << 22)
#endif

/* The connection-record ring buffer (include/tcpsentry/record.h): 8 MiB,
 * 22,795 records of 360 bytes: at 20,000 connections ending per second,
 * 1.1 s of slack for a reader that stalls (a log rotation, a collector
 * that is slow to accept). Past that, records are counted as records_lost. */
#ifndef TS_RECORDS_BYTES
#define TS_RECORDS_BYTES (1 << 23)
#endif

/* lock stripes guarding flow values (power of two) */
#define TS_LOCK_STRIPES 4096

/* per-CPU list decision cache, direct-mapped by source hash (power of two) */
#define TS_GATE_CACHE_SLOTS 4096

/* per-source SYN limiter: a count-min of GCRA cells, rows x cells (power
 * of two) */
#define TS_SRC_RL_ROWS 2
#define TS_SRC_RL_CELLS 16384

/* ---- parsing ----------------------------------------------------------------- */

#define TS_MAX_VLAN 2       /* 802.1ad outer + 802.1Q inner */
#define TS_MAX_V6_EXT 6     /* IPv6 extension headers followed before giving up */
#define TS_MAX_TCP_OPTS 40  /* option bytes: doff 15 -> 40 bytes */
/* bytes of headers tc wants linear: Ethernet + 2 VLAN tags + IPv6 with a
 * few extension headers + TCP with options */
#define TS_TC_PULL_LEN 192
/* TCP segments (header + payload) whose checksum XDP verifies before they
 * move state; a longer one (a jumbo frame's) is taken unverified */
#define TS_CSUM_MAX_LEN 9216

/* ---- sketches (include/tcpsentry/sketch.h) ----------------------------------- */

#define TS_EPOCH_NS 500000000ull /* one flood-window bucket: 500 ms */
#define TS_SYN_PORT_SLOTS 64     /* destination-port slots (power of two) */
#define TS_SCAN_SLOTS 4096       /* port-scan source slots (power of two) */
#define TS_SCAN_WINDOW_NS 5000000000ull
#define TS_TOP_SLOTS 256         /* top SYN sources (power of two) */
/* CPUs summed at an epoch rollover (the kernel's nr_cpu_ids bounds it first) */
#define TS_MAX_CPUS 512

/* ---- detection thresholds: the defaults of the policy's 0 ------------------- */

#define TS_DEF_SYN_FLOOD_RATE 5000       /* SYN/s to one port (or host-wide) */
#define TS_DEF_SYN_FLOOD_COMPLETE_PCT 10 /* flood only if fewer complete */
#define TS_DEF_SCAN_PORTS 20             /* distinct ports in TS_SCAN_WINDOW_NS */
#define TS_DEF_BACKSCATTER_RATE 1000     /* RST/s sent to unknown peers */
#define TS_DEF_ACK_FLOOD_RATE 5000       /* unknown-tuple ACK/s, ingress */

/* ---- event rate limits, per kind and per CPU --------------------------------- */

/* anomaly events: a token bucket of TS_RL_BURST refilled at TS_RL_RATE/s */
#define TS_RL_RATE 20
#define TS_RL_BURST 50
/* (state events are not rate-limited: those of a handshake are held until
 * it completes, include/tcpsentry/hs_log.h) */

/* ---- the state machine ------------------------------------------------------- */

/* An ingress segment whose ACK covers more than this beyond what its
 * receiver sent acknowledges unsent data: its kernel drops it. The slack
 * is one GSO segment, for an end the lock-free path may have lost; none
 * when the receiver is a local endpoint whose segments tc egress sees (its
 * kernel sends them one at a time, under the socket lock, so its end is
 * never lost). */
#define TS_ACK_SLACK 65536u

/* PAWS (RFC 7323): a segment whose TSval is more than this behind its
 * receiver's ts_recent is dropped (the kernel's TCP_PAWS_WINDOW) */
#define TS_PAWS_WINDOW 1

/* A picked-up tuple whose first sender is still unanswered this long after
 * it was first seen, and sends again, is an ack_no_conn. */
#define TS_ACK_GRACE_NS 1000000000ull

/* Default per-state idle timeouts in seconds, like nf_conntrack's, except
 * TIME_WAIT = 2 MSL = 60 s as Linux holds it. Index: enum ts_state. */
#define TS_TIMEOUTS_DEFAULT {                                                  \
	10,     /* CLOSED */                                                   \
	120,    /* LISTEN (SYN seen, unanswered) */                            \
	120,    /* SYN_SENT */                                                 \
	60,     /* SYN_RCVD */                                                 \
	432000, /* ESTABLISHED: 5 days */                                      \
	120,    /* FIN_WAIT_1 */                                               \
	120,    /* FIN_WAIT_2 */                                               \
	60,     /* CLOSE_WAIT */                                               \
	120,    /* CLOSING */                                                  \
	30,     /* LAST_ACK */                                                 \
	60,     /* TIME_WAIT */                                                \
}

/* ---- SYN cookies (include/tcpsentry/cookie_mac.h) ---------------------------- */

/* one step of the cookie's time counter: CLOCK_MONOTONIC >> 36, ~68.7 s; a
 * cookie is accepted for this step and the one before */
#define TS_COOKIE_TIME_SHIFT 36
/* what tcpsentry announces in its SYN-ACK */
#define TS_COOKIE_RCV_WSCALE 7    /* Linux's choice with the default tcp_rmem */
#define TS_COOKIE_WINDOW 65535
/* An unknown tuple's ACK is checked against the cookie MAC only if a
 * cookie went out to its port within a cookie's whole life (its time step
 * and the one before): the kernel's tcp_synq_no_recent_overflow idea.
 * Before that, a right MAC can only be a guess. */
#define TS_COOKIE_RECENT_NS (2ull << TS_COOKIE_TIME_SHIFT)
/* the time of a port's last cookie is written at most this often (one
 * shared word per port, not one write per SYN-ACK) */
#define TS_COOKIE_NOTE_NS 1000000000ull
/* MAC checks per port and second (a GCRA cell, a second's worth of
 * burst): an expected brute force of the 24-bit MAC (2^23 tries) then
 * takes 128 s, as long as a cookie lives */
#define TS_COOKIE_CHECK_RATE 65536

#endif /* TCPSENTRY_CONSTS_H */
