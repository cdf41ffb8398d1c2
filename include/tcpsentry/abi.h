/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI shared by the BPF object and userspace: flow key and value,
 * event records, counter indices. Fixed-width types only, explicit padding,
 * sizes pinned by _Static_assert so the two sides cannot drift.
 *
 * No libc and no BPF helpers here: this header is included by
 * bpf/tcpsentry.bpf.c (clang -target bpf) and by the host build (gcc).
 */
#ifndef TCPSENTRY_ABI_H
#define TCPSENTRY_ABI_H

#include <linux/types.h>
#include "consts.h"

/* Endpoint states (RFC 9293 names). The numbering is ABI: never reorder. */
enum ts_state {
	TS_CLOSED = 0,
	TS_LISTEN,
	TS_SYN_SENT,
	TS_SYN_RCVD,
	TS_ESTABLISHED,
	TS_FIN_WAIT_1,
	TS_FIN_WAIT_2,
	TS_CLOSE_WAIT,
	TS_CLOSING,
	TS_LAST_ACK,
	TS_TIME_WAIT,
	TS_STATE_MAX,
};

/* Endpoint roles: index into ts_flow.ep[] and ts_flow.hist masks. */
enum ts_role {
	TS_CLIENT = 0, /* active opener: sent the first SYN (or guessed on pickup) */
	TS_SERVER = 1,
};

/* TCP flag bits as they sit in byte 13 of the TCP header. */
#define TS_TCP_FIN 0x01
#define TS_TCP_SYN 0x02
#define TS_TCP_RST 0x04
#define TS_TCP_PSH 0x08
#define TS_TCP_ACK 0x10
#define TS_TCP_URG 0x20
#define TS_TCP_ECE 0x40
#define TS_TCP_CWR 0x80

/* ts_seg.opts: which TCP options the segment carried. */
#define TS_OPT_MSS    0x01
#define TS_OPT_WSCALE 0x02
#define TS_OPT_SACKOK 0x04
#define TS_OPT_TS     0x08
#define TS_OPT_TFO    0x10 /* TCP Fast Open (kind 34): data on the SYN is legitimate */
/* not an option: the segment is the first fragment of an IP packet, its
 * length only a lower bound (the kernel sees it reassembled) */
#define TS_SEG_FRAG   0x80

/*
 * One parsed TCP segment, as the state machine sees it. Host byte order.
 * Built by the datapath from the packet, by unit tests by hand.
 */
struct ts_seg {
	__u32 seq;
	__u32 ack;
	__u32 len;      /* payload bytes */
	__u16 win;      /* raw (unscaled) window field */
	__u16 mss;      /* MSS option value, if TS_OPT_MSS */
	__u8 flags;     /* TS_TCP_* */
	__u8 from;      /* enum ts_role of the sender */
	__u8 opts;      /* TS_OPT_* */
	__u8 wscale;    /* window-scale shift, if TS_OPT_WSCALE */
	__u32 tsval;    /* timestamps option (RFC 7323), if TS_OPT_TS; else 0 */
	__u32 tsecr;
};
_Static_assert(sizeof(struct ts_seg) == 28, "ts_seg size");

/*
 * Canonical flow key: the endpoint with the lower (address, port) first, so
 * both directions of a connection find the same entry. IPv4 is stored as
 * v4-mapped IPv6 (::ffff:a.b.c.d) so one table serves both families.
 */
struct ts_flow_key {
	__u8 addr[2][16];  /* network byte order */
	__be16 port[2];    /* network byte order */
	__u32 pad;         /* zero */
};
_Static_assert(sizeof(struct ts_flow_key) == 40, "ts_flow_key size");

/* ts_endpoint.flags */
#define TS_EP_SEQ_KNOWN 0x01 /* end/maxend initialised from a segment */
#define TS_EP_SYN_SENT  0x02 /* this endpoint sent a SYN (isn valid) */
#define TS_EP_FIN_SENT  0x04 /* fin_end valid */
#define TS_EP_WSCALE    0x08 /* window scaling negotiated (both SYNs had it) */
#define TS_EP_SACKOK    0x10
#define TS_EP_TS        0x20
#define TS_EP_FIN_QUEUED 0x40 /* a FIN its (local) peer may hold out of order: fin_q_* valid */
#define TS_EP_FIN_Q_ACKED 0x80 /* ... that FIN acknowledged the peer's own FIN */
/* ts_endpoint.xflags */
#define TS_EPX_IN_END 0x01 /* in_end valid */
#define TS_EPX_ACTIVE 0x02 /* it sent a bare SYN (an active open, simultaneous on the server's side) */
#define TS_EPX_FIN_Q2 0x04 /* a second FIN its (local) peer may hold out of order: its end in fin_end (TS_EP_FIN_SENT clear) */
#define TS_EPX_FIN_Q2_ACKED 0x08 /* ... that FIN acknowledged the peer's own FIN */
#define TS_EPX_FIN_Q_INORDER 0x10 /* the waiting FIN (TS_EP_FIN_QUEUED) started at or before what its receiver had taken: in order, taken at once, never covered by data after it */
/* the option bits, shifted: ts_track_seq() copies them without a branch */
_Static_assert(TS_EP_WSCALE == TS_OPT_WSCALE << 2 && TS_EP_SACKOK == TS_OPT_SACKOK << 2 &&
	       TS_EP_TS == TS_OPT_TS << 2, "option bits line up");

/*
 * What one endpoint has sent, for conntrack-style window tracking
 * (Rooij's "Real stateful TCP packet filtering", as nf_conntrack does):
 *   end    = highest seq + len this endpoint has sent   (td_end)
 *   maxend = highest ack + window the peer has allowed   (td_maxend)
 *   maxwin = largest window (scaled) it has advertised  (td_maxwin)
 */
struct ts_endpoint {
	__u32 isn;
	__u32 end;
	__u32 maxend;
	__u32 maxwin;
	__u32 fin_end;   /* seq just after this endpoint's FIN */
	__u32 last_ack;  /* last ack this endpoint sent */
	__u64 packets;   /* segments sent by this endpoint */
	__u64 bytes;     /* payload bytes sent by this endpoint */
	__u64 ip_bytes;  /* IP bytes (headers included) it sent: IPFIX's octetDeltaCount */
	__u16 mss;       /* from its SYN, 0 if unknown */
	__u8 wscale;     /* shift it announced, valid if TS_EP_WSCALE */
	__u8 flags;      /* TS_EP_* */
	__u8 state;      /* enum ts_state */
	/* not this endpoint's: 3 bytes of the flow's held handshake events
	 * (include/tcpsentry/hs_log.h), in room the layout leaves free */
	__u8 hs_log[3];
	/*
	 * What a local peer's kernel holds of this endpoint beyond the state
	 * (issue 11: segments the kernel queues or drops must not move state).
	 * fin_q_*: a FIN it sent that its local peer may have queued out of
	 * order (TS_EP_FIN_QUEUED; the lowest such FIN: its end, and the
	 * sequence space it covers, capped at 65535): it takes effect when the
	 * peer's own ACK reaches fin_q_end exactly (fsm.h, ts_fin_queue). The
	 * next lowest waits behind it (TS_EPX_FIN_Q2: its end in fin_end,
	 * which holds nothing else until TS_EP_FIN_SENT).
	 * ts_echo: the TSecr of its last segment: for a local endpoint, its
	 * kernel's ts_recent, the peer's TSval that PAWS compares with.
	 * in_end (TS_EPX_IN_END): how far its local peer's kernel has taken
	 * its bytes in order, as far as its segments seen since the peer's
	 * last ACK tell (an ACK lags: delayed); fsm.h, ts_in_end.
	 */
	__u16 fin_q_len;
	__u8 xflags;     /* TS_EPX_* */
	__u8 pad;
	__u32 fin_q_end;
	__u32 ts_echo;
	__u32 in_end;
};
_Static_assert(sizeof(struct ts_endpoint) == 72, "ts_endpoint size");

/* Zeek history letters, one bit per (role, letter); bit = letter * 2 + role. */
enum ts_hist_letter {
	TS_H_SYN = 0,  /* S / s: SYN without ACK */
	TS_H_SYNACK,   /* H / h: SYN+ACK */
	TS_H_ACK,      /* A / a: pure ACK */
	TS_H_DATA,     /* D / d: payload */
	TS_H_FIN,      /* F / f */
	TS_H_RST,      /* R / r */
	TS_H_MAX,
};
#define TS_HIST_LEN 12 /* 6 letters x 2 roles: each appears once */

/* ts_flow.flags */
#define TS_F_PICKED_UP  0x01 /* first seen mid-stream, roles guessed */
#define TS_F_PROMOTED   0x02 /* embryonic copy is stale: look in flows */
#define TS_F_CONFIRMED  0x04 /* both directions seen */
#define TS_F_ACK_REPORTED 0x08 /* picked up, unanswered past the grace: ack_no_conn raised */
#define TS_F_COOKIE     0x10 /* handshake completed through a SYN cookie tcpsentry sent */
#define TS_F_LOCAL0     0x20 /* key index 0 is a local endpoint (it sent through egress); */
#define TS_F_LOCAL1     0x40 /* ... key index 1: a segment from it at ingress is reflected */
/* its connection record was made (include/tcpsentry/record.h): the
 * connection finished on the wire; the entry stays for TIME_WAIT and tuple
 * reuse, and the sweeper removes it without a second record */
#define TS_F_RECORDED   0x80

/*
 * Flow quality: what one endpoint's segments showed on the wire (one per
 * role, beside ts_flow.ep[]). Times in the datapath's clocks: *_us from
 * the precise clock (bpf_ktime_get_ns / 1000, low 32 bits), *_ms from the
 * coarse one (ms, low 32 bits); a 0 time means "none" (a real 0 is
 * nudged to 1).
 */
struct ts_quality {
	/* the one RTT sample outstanding for this endpoint's segments: timed
	 * from the segment until the peer's ACK at or past rtt_key (the
	 * sequence after it). For a range a local endpoint sent again (Karn:
	 * its ACK cannot say which copy it answers), with TCP timestamps on
	 * both ends, the ACK covering it is timed by its TSecr instead, as the
	 * kernel does (tcp_ack_update_rtt): the echoed TSval's age on the
	 * sender's own clock, ts_off mapping that clock onto this host's */
	__u32 rtt_key;
	__u32 rtt_sent_us;  /* when the timed segment was seen; 0: no sample outstanding */
	__u32 zw_since_ms;  /* when its current zero window began; 0: window open */
	__u32 gap_age;      /* its segments seen since the last that opened a sequence gap
			     * (a hole below it), up to TS_Q_LATE_MAX, then 0: none */
	/* (the 16 bytes above: all the established fast path reads, q_quiet) */
	__u32 rtt_us;       /* the latest sample */
	__u32 min_rtt_us;   /* the smallest sample; 0: none yet */
	__u32 srtt_us8;     /* RFC 6298 smoothed RTT, times 8; 0: none yet */
	__u32 retrans;      /* segments it sent again (data, SYN, FIN; TLPs included) */
	__u32 reorder;      /* segments below its highest sequence, first seen late */
	__u32 zw_ms;        /* ms it advertised a zero window, stalls that ended */
	__u8 zw_count;      /* zero-window stalls it started (saturates) */
	__u8 syn_retrans;   /* SYN (client) or SYN-ACK (server) retransmissions (saturates) */
	__u8 tlp;           /* tail loss probes among retrans (saturates) */
	__u8 rtt_ts;        /* 1: the outstanding sample is timed by the TSecr of its ACK */
	__u32 ts_off;       /* its TSval minus this host's ms clock (low 32 bits of
			     * CLOCK_MONOTONIC in ms), taken when rtt_ts was set */
};
_Static_assert(sizeof(struct ts_quality) == 48, "ts_quality size");

/*
 * The value of both flow tables (embryonic and flows). The datapath writes
 * it only while holding the flow's stripe of the `flow_locks` array, so the
 * XDP (ingress) and tc (egress) programs, which run on different CPUs for
 * one flow, never lose each other's transitions. (LRU maps cannot hold a
 * bpf_spin_lock in their values: the kernel refuses with EOPNOTSUPP.)
 */
struct ts_flow {
	__u32 handover;      /* 1: started from a SYN cookie, its tc ingress hand-over still to do; else 0 */
	__u8 flags;          /* TS_F_* */
	__u8 client;         /* key index (0/1) of the client endpoint */
	__u8 hist_len;       /* bytes used in hist[] */
	__u8 family;         /* 4 or 6 */
	__u16 hist_mask;     /* bit (letter*2 + role) set once seen */
	__u16 hs_log0;       /* the held handshake events' first 2 bytes (with ep[].hs_log) */
	__u32 handshake_us;  /* see README: SYN-ACK->ACK (server) / SYN->SYN-ACK (client) */
	char hist[16];        /* Zeek history, in order of first appearance, NUL-padded */
	__u64 first_seen_ns; /* CLOCK_MONOTONIC */
	__u64 last_seen_ns;  /* CLOCK_MONOTONIC, coarse */
	__u64 syn_ns;        /* first SYN seen */
	__u64 synack_ns;     /* first SYN-ACK seen */
	__u64 state_ns;      /* last state change of either endpoint */
	struct ts_endpoint ep[2]; /* indexed by enum ts_role */
	/* ---- flow quality (issue 13): bpf/quality.h writes it, lock-free like
	 * the packet counts; include/tcpsentry/quality.h holds its arithmetic */
	struct ts_quality q[2];   /* indexed by enum ts_role of the sender */
};
_Static_assert(sizeof(struct ts_flow) == 216 + 2 * 48, "ts_flow size");
_Static_assert(__builtin_offsetof(struct ts_flow, hist) % 8 == 0, "hist is written as two u64");

/*
 * Per-CPU counters (the `counters` map) and their names, from one list so
 * the two cannot drift: X(ID, "name") gives TS_C_ID and the name `stats`
 * and the metrics print (user/format.c builds its table from the same
 * list). The numbering is ABI: append only; a retired counter keeps its
 * slot, unnamed (NULL), and is never written again.
 */
#define TS_COUNTERS(X)                                                              \
	X(PKTS_IN, "packets_ingress")       /* frames seen at XDP ingress */          \
	X(PKTS_OUT, "packets_egress")       /* frames seen at tc egress */            \
	X(TCP, "tcp")                       /* TCP segments parsed */                 \
	X(NON_IP, "non_ip")                 /* not IPv4/IPv6 */                       \
	X(NON_TCP, "non_tcp")               /* IP but not TCP */                      \
	X(FRAG_LATER, "ip_fragments_later") /* non-first fragments: no TCP header */  \
	X(SYN, "syn")                                                                   \
	X(SYNACK, "synack")                                                             \
	X(FIN, "fin")                                                                   \
	X(RST, "rst")                                                                   \
	X(DATA, "data")                     /* segments carrying payload */           \
	X(ACK_ONLY, "ack_only")                                                         \
	X(ERR_ETH, "parse_error_eth")       /* parse failures by reason ... */        \
	X(ERR_VLAN, "parse_error_vlan")                                                 \
	X(ERR_IPV4, "parse_error_ipv4")     /* truncated header or IHL < 5 */         \
	X(ERR_IPV4_LEN, "parse_error_ipv4_length") /* total length lies */            \
	X(ERR_IPV6, "parse_error_ipv6")                                                 \
	X(ERR_IPV6_EXT, "parse_error_ipv6_ext") /* extension header truncated */      \
	X(ERR_IPV6_CHAIN, "parse_error_ipv6_chain_too_long") /* longer than followed */ \
	X(ERR_TCP, "parse_error_tcp")       /* truncated TCP header */                \
	X(ERR_TCP_DOFF, "parse_error_tcp_doff") /* data offset < 5 or past the end */ \
	X(ERR_TCP_OPT, "parse_error_tcp_options") /* malformed option */              \
	X(EMB_INSERT, "embryonic_inserts")  /* new embryonic entry */                 \
	X(FLOW_INSERT, "flow_inserts")      /* new flows entry (promotion, confirmed pickup, cookie) */ \
	X(PROMOTE, "promotions")            /* embryonic -> flows */                  \
	X(PICKUP, "pickups")                /* mid-stream pickups (into pickups) */   \
	X(INSERT_FAIL, "insert_failures")   /* map update failed: passed untracked */ \
	X(RETIRED_27, NULL)                 /* never written (LRU evictions are    */ \
	X(RETIRED_28, NULL)                 /* derived by `stats`, not counted)    */ \
	X(REUSE, "tuple_reuses")            /* SYN reused a TIME_WAIT/CLOSED tuple */ \
	X(UNTRACKED_RST, "rst_untracked")   /* RST for no entry: not tracked */       \
	X(EVENTS, "events")                 /* events written */                      \
	X(EVENTS_LOST, "events_lost")       /* ring buffer full */                    \
	X(RACE_RETRY, "promotion_races")    /* looked up a promoted embryonic copy */ \
	X(STATE_SUPPRESSED, "state_events_suppressed") /* an unproven handshake's past its log's room (hs_log.h) */ \
	X(SYN_UNTRACKED_FLOOD, "syn_untracked_flood") /* new-tuple SYN/SYN-ACK under a syn_flood: passed, no entry */ \
	X(ACK_UNTRACKED_FLOOD, "ack_untracked_flood") /* unknown-tuple segment under an ack_flood: no entry */ \
	X(RST_INEXACT_PEER, "rst_inexact_peer") /* in-window inexact RST whose ACK proves the peer: ignored */ \
	X(COOKIE_SENT, "syncookies_sent")   /* SYNs answered from XDP with a cookie */ \
	X(COOKIE_VALID, "syncookies_validated") /* ACKs with a valid cookie: tracked, handed over */ \
	X(COOKIE_FAILED, "syncookies_failed") /* ACKs to a cookie port, no socket, no valid cookie: dropped */ \
	X(COOKIE_HANDOVER, "syncookies_handed_over") /* tc ingress: a request socket for the kernel */ \
	X(COOKIE_HANDOVER_FAIL, "syncookies_handover_failed") /* tc ingress: the kfunc refused */ \
	X(COOKIE_SKIPPED, "syncookies_left_to_kernel") /* IP options, ext headers, TFO, data */ \
	X(IN_PASS, "verdict_ingress_pass")  /* the verdicts, one per frame: they sum to */ \
	X(IN_DROP, "verdict_ingress_drop")  /* packets_ingress and packets_egress      */ \
	X(IN_TX, "verdict_ingress_tx")      /* (XDP_TX: our SYN-ACK instead of the SYN) */ \
	X(OUT_PASS, "verdict_egress_pass")                                              \
	X(RECORDS, "records")               /* connection records written (records ring) */ \
	X(RECORDS_LOST, "records_lost")     /* ... not written: the records ring was full */ \
	X(SAMPLES, "event_samples")         /* events that carry the frame's first bytes */ \
	X(ERR_CSUM, "parse_error_checksum") /* ingress SYN/FIN/RST or pickup, bad TCP or IPv4 checksum: the kernel drops it; passed untracked */ \
	X(COOKIE_NOT_RECENT, "syncookies_not_recent") /* unknown ACK to a cookie port, no cookie sent recently: MAC not checked */ \
	X(COOKIE_CHECK_LIMITED, "syncookies_check_limited") /* ... over the port's MAC-check rate: not checked */ \
	X(COOKIE_REPLAY, "syncookies_replayed") /* a valid cookie for a tuple tracked already: dropped, entry kept */ \
	X(PICKUP_CONFIRM, "pickups_confirmed") /* pickups -> flows: the other direction answered */ \
	X(SCAN_PROBE, "scan_probes")        /* a scan suspect's SYNs to closed ports answered with a probe cookie */ \
	X(SCAN_PROOF, "scan_proofs")        /* ACKs to probe cookies: a scanner proven real */ \
	X(STATE_UNPROVEN, "state_events_unproven") /* held by a handshake reset before its proof: withheld, its client may be spoofed (hs_log.h) */ \
	X(ERR_TINY_FRAG, "parse_error_tiny_fragment") /* a first IP fragment too short for the TCP header (RFC 1858): action.tiny_fragment */ \
	X(VLAN_NO_DEVICE, "vlan_no_device") /* ingress, tagged with a VLAN ID the interface has no device for: the kernel drops it; passed untracked */ \
	X(FIN_BY_SOCKET, "fin_by_socket") /* egress: the sending socket's kernel took its peer's FIN, which the wire model missed (fsm.h, ts_fin_by_socket): both moved */ \
	X(FIN_NOT_BY_SOCKET, "fin_not_taken_by_socket") /* egress: the sending socket, ESTABLISHED, ACKs a waiting FIN's end: the kernel dropped that FIN (fsm.h, ts_fin_not_taken): it went */

enum ts_counter {
#define TS_C_ENUM(id, name) TS_C_##id,
	TS_COUNTERS(TS_C_ENUM)
#undef TS_C_ENUM
	TS_C_COUNT,            /* counters defined */
	TS_C_MAX = 64,         /* room to grow without resizing the map */
};
_Static_assert(TS_C_COUNT <= TS_C_MAX && (TS_C_MAX & (TS_C_MAX - 1)) == 0,
	       "the counters fit the map; the datapath masks with TS_C_MAX");

/*
 * Flow-quality counters, per CPU (ts_counters.q): by direction (index
 * DIR_INGRESS 0, DIR_EGRESS 1 of bpf/ctx.h: the segment's) or by side (0
 * remote: seen at ingress, 1 local: seen at egress, the endpoint that
 * advertised the window). The RTT histogram holds the network leg: samples
 * of the local endpoint's segments, closed by the remote's ACK at ingress;
 * buckets as include/tcpsentry/hs_hist.h's (bucket i: under 2^i us).
 */
struct ts_qcounters {
	__u64 retrans[2];      /* by direction; syn/synack/tlp below are among them */
	__u64 reorder[2];      /* by direction */
	__u64 zw_ms[2];        /* by side: zero-window time of stalls that ended */
	__u64 zw_stalls[2];    /* by side: zero-window stalls started */
	__u64 syn_retrans;     /* SYNs sent again */
	__u64 synack_retrans;  /* SYN-ACKs sent again */
	__u64 tlp;             /* tail loss probes (retransmissions of the last segment, early) */
	__u64 keepalive;       /* keep-alive probes (not retransmissions) */
	__u64 win_probe;       /* zero-window probes (not retransmissions) */
	__u64 rtt_samples_host; /* samples of the host leg (the remote's segments, the local ACK) */
	__u64 rtt_bucket[33];  /* TS_HS_BUCKETS */
	__u64 rtt_sum_us;
};
_Static_assert(sizeof(struct ts_qcounters) == (14 + 34) * 8, "ts_qcounters size");

struct ts_counters {
	__u64 c[TS_C_MAX];
	/* this CPU's cached coarse clock and the jiffy it was read in: the
	 * coarse clock only moves once a tick, and bpf_jiffies64() is inlined
	 * into a load, so most packets need no clock helper call */
	__u64 clock_jiffies;
	__u64 clock_ns;
	/* this CPU's cached device MTU for the SYN-cookie MSS (bpf/synack.h),
	 * refreshed once a jiffy */
	__u64 mtu_jiffies;
	__u64 mtu;
	/* flow quality (bpf/quality.h): its counters and the RTT histogram */
	struct ts_qcounters q;
};

/* Counters only userspace writes (the `ustats` array, key 0). */
enum ts_ustat {
	TS_U_SWEPT_EMB = 0,   /* embryonic entries removed by the sweeper */
	TS_U_SWEPT_FLOWS,     /* flows entries removed by the sweeper */
	TS_U_HALF_OPEN_TIMEOUT, /* swept embryonic entries whose server was SYN_RCVD */
	TS_U_SWEPT_PICKUPS,   /* pickups entries removed by the sweeper */
	TS_U_MAX = 8,
};
struct ts_ustats {
	__u64 u[TS_U_MAX];
};

/*
 * Anomaly kinds and their names, from one list: X(ID, "name") gives
 * TS_A_ID, the `kind` of TS_EV_ANOMALY events and the index of the
 * per-kind counters, actions and drop reasons. The numbering is ABI:
 * never reorder; append only. Every named kind is raised (see README,
 * "Anomalies").
 */
#define TS_ANOMALIES(X)                                                             \
	X(NONE, NULL)                                                                   \
	X(SYN_FLOOD, "syn_flood")           /* SYN flood start/end (detail: TS_FLOOD_*) */ \
	X(RST_NO_CONN, "rst_no_conn")       /* RST for no tracked tuple */            \
	X(RST_OUT_OF_WINDOW, "rst_out_of_window") /* RFC 5961 3.2: outside the window, ignored */ \
	X(RST_IN_WINDOW_INEXACT, "rst_in_window_inexact") /* RFC 5961 3.2: in window, not exact */ \
	X(ACK_NO_CONN, "ack_no_conn")       /* picked-up tuple's sender repeats, never answered */ \
	X(ACK_FLOOD, "ack_flood")           /* unknown-tuple ACK rate start/end (detail: TS_FLOOD_*) */ \
	X(BAD_FLAGS, "bad_flags")           /* a flag set no conforming stack sends */ \
	X(SYN_DATA, "syn_data")             /* payload on a SYN without TFO, or on a SYN-ACK */ \
	X(OUT_OF_WINDOW, "out_of_window")   /* data far outside the receiver's window: ignored */ \
	X(PORT_SCAN, "port_scan")           /* one source, many ports, in a window */ \
	X(HALF_OPEN_TIMEOUT, "half_open_timeout") /* decided by the sweeper, raised via tcpsentry_report */

enum ts_anomaly {
#define TS_A_ENUM(id, name) TS_A_##id,
	TS_ANOMALIES(TS_A_ENUM)
#undef TS_A_ENUM
	TS_A_KINDS,                  /* kinds defined */
	TS_A_MAX = 16,               /* room to grow without resizing the map */
};
_Static_assert(TS_A_KINDS <= TS_A_MAX && (TS_A_MAX & (TS_A_MAX - 1)) == 0,
	       "the kinds fit the maps; the datapath masks with TS_A_MAX");
_Static_assert(TS_A_SYN_FLOOD == 1 && TS_A_HALF_OPEN_TIMEOUT == 11, "anomaly numbering is ABI");

/* ts_event.detail of a TS_A_BAD_FLAGS event: which rule matched */
enum ts_bad_flags {
	TS_BF_NONE = 0,
	TS_BF_NULL = 1,       /* none of FIN SYN RST PSH ACK URG */
	TS_BF_SYN_FIN = 2,    /* SYN+FIN */
	TS_BF_SYN_RST = 3,    /* SYN+RST */
	TS_BF_XMAS = 4,       /* FIN+PSH+URG without ACK */
	TS_BF_FIN_NO_ACK = 5, /* FIN without ACK */
	TS_BF_NO_ACK = 6,     /* PSH and/or URG without ACK, SYN or RST */
	TS_BF_MAX,
};

/* Kernel-side event rate limit, per kind and per CPU: a token bucket of
 * TS_RL_BURST events refilled at TS_RL_RATE per second (consts.h), kept as
 * credit in nanoseconds (one event costs TS_RL_COST_NS). */
#define TS_RL_COST_NS (1000000000ull / TS_RL_RATE)

struct ts_rl {
	__u64 last_ns;    /* when the bucket was last refilled; 0: never used */
	__u64 credit_ns;  /* accumulated credit, at most TS_RL_BURST * TS_RL_COST_NS */
	__u64 suppressed; /* events of this kind not written since the last one that was */
};

/* Per-CPU anomaly state (the `anomalies` map, key 0): exact counts per
 * kind and each kind's event rate limiter. */
struct ts_anomalies {
	__u64 count[TS_A_MAX];
	struct ts_rl rl[TS_A_MAX];
};
_Static_assert(sizeof(struct ts_anomalies) == 16 * 8 + 16 * 24, "ts_anomalies size");

/* Event records on the ring buffer. */
enum ts_event_type {
	TS_EV_STATE = 1,   /* an endpoint changed state */
	TS_EV_ANOMALY = 2, /* an anomaly (kind: enum ts_anomaly) */
	TS_EV_ACTION = 3,  /* a ban written: kind = the anomaly, detail = seconds, sender = banned */
	TS_EV_DROP = 4,    /* a drop by policy no anomaly event tells of: kind = enum
			    * ts_drop_reason, detail = 1 for a would-drop (observe mode) */
};

#define TS_EV_CLIENT_UNKNOWN 0xff /* ts_event.client when no flow is tracked */

struct ts_event {
	__u64 ts_ns;
	struct ts_flow_key key;
	__u8 type;        /* enum ts_event_type */
	__u8 client;      /* key index of the client, TS_EV_CLIENT_UNKNOWN if no flow */
	__u8 side;        /* state: enum ts_role that changed; anomaly: role of the sender */
	__u8 from;        /* enum ts_state */
	__u8 to;          /* enum ts_state */
	__u8 tcp_flags;   /* flags of the segment that caused it */
	__u8 dir;         /* 0 ingress (XDP), 1 egress (tc) */
	__u8 family;
	__u32 kind;       /* anomaly/action kind, 0 for state events */
	__u32 detail;     /* kind-specific fact (see README, "Anomalies") */
	/* anomaly facts; zero for state events */
	__u32 expected;   /* what a conforming segment carries (e.g. the exact RST seq) */
	__u32 got;        /* what this one carried */
	__u32 suppressed; /* events of this kind rate-limited away before this one */
	__u8 sender;      /* key index of the segment's sender */
	__u8 pad[3];      /* zero */
};
_Static_assert(sizeof(struct ts_event) == 80, "ts_event size");

/*
 * The frame that raised an anomaly or was dropped by policy: its first
 * TS_SAMPLE_BYTES travel with the event (struct ts_event_sampled, a ring
 * record of that size; an 80-byte record carries none). Under the same
 * per-kind rate limit as the event itself.
 */
#define TS_SAMPLE_BYTES 128
struct ts_sample {
	__u16 caplen;     /* bytes of data[] that hold the frame; 0: none could be read */
	__u16 pad;
	__u32 wirelen;    /* the frame's length (tc: skb->len, XDP: the linear frame) */
	__u8 data[TS_SAMPLE_BYTES]; /* from the Ethernet header on */
};
struct ts_event_sampled {
	struct ts_event ev;
	struct ts_sample sample;
};
_Static_assert(sizeof(struct ts_event_sampled) == 80 + 8 + TS_SAMPLE_BYTES,
	       "ts_event_sampled size");

/*
 * Context of the `tcpsentry_report` program (BPF_PROG_TYPE_SYSCALL, run by
 * userspace with BPF_PROG_TEST_RUN): an anomaly only the sweeper can see
 * (a half-open connection expiring in SYN_RCVD) is raised through it, so it
 * is counted and reported like the datapath's own, under the same per-kind
 * event rate limit.
 */
struct ts_report {
	struct ts_flow_key key;
	__u32 kind;       /* enum ts_anomaly: TS_A_HALF_OPEN_TIMEOUT */
	__u32 got;        /* half_open_timeout: seconds the entry sat idle */
	__u32 detail;     /* half_open_timeout: the client's state (enum ts_state) */
	__u8 client;      /* key index of the client */
	__u8 family;      /* 4 or 6 */
	__u8 pad[2];
};
_Static_assert(sizeof(struct ts_report) == 56, "ts_report size");

/* Run-time configuration read by the datapath (the `config` array, key 0). */
struct ts_config {
	__u32 state_events;  /* 1: emit TS_EV_STATE */
	__u32 one_way;       /* 1: ingress only (--no-egress): no ack_no_conn */
	__u32 policy_slot;   /* which `policy` element is in force (0 or 1) */
	__u32 hash_seed;     /* random, from attach: keys the per-source limiter's hashes */
	/* SYN cookie MAC key (include/tcpsentry/cookie_mac.h), random, from
	 * attach: the cookies of syn.cookie_ports and the probes of port scans */
	__u32 cookie_key[4];
	/* 1: connection records are written (include/tcpsentry/record.h): a
	 * reader asked for them (run --records or --ipfix, `records`); 0: none
	 * is made, so none is counted lost for want of a reader */
	__u32 records;
	/* 1: the tc ingress hand-over is there (Linux 6.9+): cookies may
	 * answer syn.cookie_ports; 0: only probes (nothing to hand over) */
	__u32 handover;
	/* 1: an ingress TCP checksum must be complete (a wire device, attach
	 * --checksum): the pseudo header's sum alone (CHECKSUM_PARTIAL, what
	 * a local veth peer hands over) is a crafted frame's there, which the
	 * kernel drops; 0: it is taken (a virtual device) */
	__u32 csum_full;
	/* the interface's netns's net.ipv4.ipfrag_max_dist, as attach and
	 * then `run` read it (bpf/track.h, frag_too_far): 0 not read (the
	 * kernel's default, TS_FRAG_MAX_DIST, assumed); TS_FRAG_DIST_OFF for
	 * a sysctl of 0, the kernel's check off (no distance is more) */
	__u32 frag_max_dist;
};
_Static_assert(sizeof(struct ts_config) == 48, "ts_config size");

/*
 * The VLAN IDs the attached interface takes (the `vlans` array, key 0): a
 * bit per VID (bit vid % 64 of word vid / 64), one set per tag protocol and
 * depth. The kernel drops an ingress frame whose outer tag (the first with
 * a VID other than 0: a priority tag is taken off and the next one looked
 * at) names a VID with no VLAN device on the interface; and one whose next
 * tag names a VID with no device on that VLAN device. Such a frame must
 * move nothing here (bpf/parse.h, vlan_taken). The inner sets are the
 * union over the interface's VLAN devices (a pair {outer, inner} whose
 * inner device sits on another outer one is taken: a small gap, QinQ
 * only). Userspace fills it at attach from the interface's VLAN devices
 * and `run` keeps it so (user/lib/vlans.c); attach --vlans any sets every
 * bit, a list its VIDs in both outer sets. Bit 0 is never asked.
 */
#define TS_VLAN_WORDS (4096 / 64)
enum ts_vlan_set {
	TS_VLAN_Q = 0,        /* outer tag, 802.1Q (EtherType 0x8100) */
	TS_VLAN_AD = 1,       /* outer tag, 802.1ad (EtherType 0x88a8) */
	TS_VLAN_INNER_Q = 2,  /* the tag after it: a device on one of the outer devices */
	TS_VLAN_INNER_AD = 3,
	TS_VLAN_SETS = 4,
};
struct ts_vlans {
	__u64 bits[TS_VLAN_SETS][TS_VLAN_WORDS];
};
_Static_assert(sizeof(struct ts_vlans) == 2048, "ts_vlans size");

/*
 * Enforcement policy (the `policy` array: two elements, double-buffered).
 * Userspace writes the element not in force, then flips
 * ts_config.policy_slot with one element update: the datapath reads one
 * whole policy or the other, never half of each. The allow and deny tries
 * are double-buffered the same way by a generation byte in their keys
 * (ts_policy.list_gen), so `policy load` swaps settings and lists at once.
 */
enum ts_mode {
	TS_MODE_OBSERVE = 0, /* count what enforce would drop (would_drop), drop nothing */
	TS_MODE_ENFORCE = 1,
};
enum ts_action {
	TS_ACT_PASS = 0,
	TS_ACT_DROP = 1,
	TS_ACT_BAN = 2,      /* drop, and deny the source for ban_seconds */
};
/* ts_policy.flags: which lookups the datapath must make */
#define TS_POL_ALLOW 0x1  /* the allow trie of list_gen has entries (prefixes) */
#define TS_POL_DENY  0x2  /* the deny trie of list_gen has entries (prefixes) */
#define TS_POL_HOSTS 0x4  /* the hosts hash may have entries (single addresses, bans) */
#define TS_POL_NO_CACHE 0x8 /* skip the list decision cache (the benchmark's miss path) */
#define TS_POL_BANS  0x10 /* the bans map may have entries, or this policy may ban */

/* Per-CPU cache of list decisions (the `gate_cache` array, direct-mapped
 * by source hash): a source seen once is decided again with one array
 * lookup and a compare, without the hash and trie lookups, while the
 * policy (ts_policy.version) and the bans (the `ban_epoch` counter, bumped
 * by every ban the datapath writes) stay as they were, and a denial's own
 * expiry has not passed. */
#define TS_GC_PASS   0xfffe      /* reason: on no list */
#define TS_GC_EXEMPT 0xffff      /* reason: allowlisted */
struct ts_gate_cache {
	__u32 addr[4];       /* network byte order, v4-mapped for IPv4 */
	__u32 version;       /* ts_policy.version of the decision; 0: empty */
	__u32 reason;        /* TS_D_DENY, TS_D_BANNED, TS_GC_PASS or TS_GC_EXEMPT */
	__u64 expires_ns;    /* of the deny entry that decided; 0: never */
	__u64 ban_epoch;     /* ban_epoch when decided */
	__u64 pad;
};
_Static_assert(sizeof(struct ts_gate_cache) == 48, "ts_gate_cache size");

/* syn.cookies: SYN cookies answered from XDP for syn.cookie_ports */
enum ts_cookies {
	TS_COOKIES_OFF = 0,
	TS_COOKIES_AUTO = 1, /* while a syn_flood is on at the port (or host-wide) */
	TS_COOKIES_ON = 2,
};
#define TS_COOKIE_PORTS 4 /* ports in syn.cookie_ports (the policy's spare bytes) */

struct ts_policy {
	__u32 mode;                  /* enum ts_mode */
	__u32 flags;                 /* TS_POL_* */
	__u32 list_gen;              /* generation (0/1) of the allow/deny keys in force */
	__u32 ban_seconds;
	__u32 syn_rate_per_source;   /* SYN/s one source may send; 0: no limit */
	__u32 syn_burst_per_source;  /* SYNs above the rate a source may burst */
	__u32 syn_rate_per_port;     /* SYN/s to one destination port; 0: no limit */
	/* detection thresholds (include/tcpsentry/sketch.h); 0: the default */
	__u32 syn_flood_rate;         /* SYN/s to one port or host-wide */
	__u32 syn_flood_complete_pct; /* a flood completes fewer handshakes (%) */
	__u32 scan_ports;             /* distinct ports from one source in 5 s */
	__u32 backscatter_rate;       /* RST/s this host sends to unknown peers */
	__u32 ack_flood_rate;         /* unknown-tuple ACK/s arriving */
	__u8 action[16];             /* enum ts_action, by enum ts_anomaly (TS_A_MAX) */
	__u8 action_fragment;        /* non-first fragments: TS_ACT_PASS or TS_ACT_DROP */
	__u8 action_unparsed;        /* IPv6 chains longer than the parser follows */
	__u8 syn_cookies;            /* enum ts_cookies */
	__u8 cookie_nports;          /* entries used in cookie_ports */
	__u32 version;               /* bumped by every change: keys the list decision cache */
	__u16 cookie_ports[TS_COOKIE_PORTS]; /* syn.cookie_ports, host order */
	__u8 action_tiny_fragment;   /* first fragments without the whole TCP header: TS_ACT_* */
	__u8 pad[3];
};
_Static_assert(sizeof(struct ts_policy) == 84, "ts_policy size");

/* Key of the `bans` LRU hash: a source the datapath banned, only ever on
 * proof that the address is real (docs/policy.md, "Bans"); its value is a
 * struct ts_list_val (reason = the anomaly kind, lists = TS_L_DENY). Apart
 * from the lists: bans never take room from `policy deny add` or `load`. */
struct ts_ban_key {
	__u8 addr[16];       /* network byte order, v4-mapped for IPv4 */
};
_Static_assert(sizeof(struct ts_ban_key) == 16, "ts_ban_key size");

/* Key of the `hosts` hash: the single addresses (/32, /128) of both lists,
 * one exact-match lookup for both (an LPM trie walk
 * costs several times a hash lookup). Generation as in ts_lpm_key. */
struct ts_host_key {
	__u8 gen;
	__u8 pad[3];         /* zero */
	__u8 addr[16];       /* network byte order, v4-mapped for IPv4 */
};
_Static_assert(sizeof(struct ts_host_key) == 20, "ts_host_key size");
/* ts_list_val.lists of a hosts entry: the lists naming the address */
#define TS_L_ALLOW 0x1
#define TS_L_DENY  0x2
/* ... of a trie entry: an IPv6 prefix shorter than /96. It covers
 * ::ffff:0:0/96 too, where IPv4 lives in the key, but it is IPv6's: an
 * IPv4 source whose longest match it is matches nothing (an IPv4 prefix,
 * /96 or longer in the key, would have been the longer match). */
#define TS_L_V6_ONLY 0x4

/* Key of the allow and deny tries (LPM): IPv4 as v4-mapped IPv6, so one
 * trie serves both families; prefixlen counts the generation byte, so an
 * IPv4 /24 of generation g has prefixlen 8 + 96 + 24. */
struct ts_lpm_key {
	__u32 prefixlen;
	__u8 gen;            /* ts_policy.list_gen */
	__u8 addr[16];       /* network byte order */
	__u8 pad[3];         /* not part of the key's prefix: zero */
};
_Static_assert(sizeof(struct ts_lpm_key) == 24, "ts_lpm_key size");
#define TS_LPM_BITS(plen_in_v6_space) (8 + (plen_in_v6_space))

/* Value of the tries and of `hosts`. A deny entry with expires_ns is a TTL
 * entry (`deny add --ttl`) or a ban (reason = the anomaly kind that
 * banned); past its expiry it no longer matches, and the sweeper removes
 * it. In `hosts`, expires_ns and reason qualify the deny membership. */
struct ts_list_val {
	__u64 expires_ns;    /* CLOCK_MONOTONIC; 0: never */
	__u64 added_ns;      /* CLOCK_MONOTONIC */
	__u32 reason;        /* 0: the operator's entry; else enum ts_anomaly of a ban */
	__u32 lists;         /* hosts: TS_L_*; tries: TS_L_V6_ONLY or 0 */
};
_Static_assert(sizeof(struct ts_list_val) == 24, "ts_list_val size");

/*
 * Why a packet was dropped (enforce) or would have been (observe): the
 * `drops` per-CPU array, key 0. X(ID, "name") below TS_D_ANOMALY are
 * reasons of their own; TS_D_ANOMALY + kind is an anomaly kind's action
 * (named after the kind). One reason per dropped packet: the first that
 * decided it.
 */
#define TS_DROP_REASONS(X)                                                          \
	X(DENY, "deny")                     /* source in the deny list (operator's, with or without TTL) */ \
	X(BANNED, "banned")                 /* source banned by an anomaly's ban action */ \
	X(SYN_RATE_SOURCE, "syn_rate_source") /* syn.rate_per_source */               \
	X(SYN_RATE_PORT, "syn_rate_port")   /* syn.rate_per_port */                   \
	X(FRAGMENT, "fragment")             /* action.fragment */                     \
	X(UNPARSED, "unparsed")             /* action.unparsed */                    \
	X(BAD_COOKIE, "bad_cookie")         /* an ACK to a cookie port, no socket, no valid cookie */ \
	X(TINY_FRAGMENT, "tiny_fragment")   /* action.tiny_fragment */

enum ts_drop_reason {
#define TS_D_ENUM(id, name) TS_D_##id,
	TS_DROP_REASONS(TS_D_ENUM)
#undef TS_D_ENUM
	TS_D_ANOMALY = 16,    /* + enum ts_anomaly */
	TS_D_MAX = TS_D_ANOMALY + TS_A_MAX, /* a power of two: the datapath masks with it */
};
_Static_assert((TS_D_MAX & (TS_D_MAX - 1)) == 0, "TS_D_MAX is a power of two");
struct ts_drops {
	__u64 dropped[TS_D_MAX];    /* enforce mode */
	__u64 would_drop[TS_D_MAX]; /* observe mode */
	__u64 bans;                 /* ban entries written */
	__u64 ban_fail;             /* ban entries the deny trie refused (full) */
	__u64 allowed;              /* packets exempted by the allow list */
	__u64 pad;
};
_Static_assert(sizeof(struct ts_drops) == 2 * 32 * 8 + 32, "ts_drops size");

/*
 * The attachment record (`meta`, key 0): what `attach` made, written step
 * by step as it makes it, before anything that outlives the process (a
 * journal: an attach killed half-way leaves the record of what to undo),
 * committed (TS_META_ATTACHED) last. status, run, attach and detach check
 * it against the live interface and its hooks (user/lib/attstate.c).
 */
#define TS_META_CREATED_QDISC 0x1
#define TS_META_EGRESS        0x2
#define TS_META_CHAINED       0x4 /* took another XDP program's place, tail-calls it */
#define TS_META_INGRESS_TC    0x8 /* tc ingress filter: the SYN-cookie hand-over */
#define TS_META_LIBXDP        0x10 /* XDP through libxdp's dispatcher (freplace) */
#define TS_META_CSUM_FULL     0x20 /* ts_config.csum_full: complete TCP checksums required */
#define TS_META_VLANS_ANY     0x40 /* attach --vlans any: every VLAN ID taken */
#define TS_META_VLANS_LIST    0x80 /* attach --vlans LIST: those IDs; neither flag: auto, the
				    * interface's VLAN devices, kept so by `run` */
#define TS_META_RECORD 2          /* ts_meta.record: this layout, the ids and state set */
enum ts_meta_state {
	TS_META_ATTACHING = 0,    /* the steps are being made (or were, by a killed attach) */
	TS_META_ATTACHED = 1,     /* every step made */
};
struct ts_meta {
	__u32 ifindex;       /* of the interface attached (ifindexes are not reused at once) */
	__u32 xdp_mode;      /* 1 native (drv), 2 generic (skb) */
	__u32 flags;         /* TS_META_* */
	__u32 tc_priority;
	__u32 tc_handle;
	__u32 chained_prog_id; /* the displaced XDP program, if TS_META_CHAINED */
	__u32 features;      /* what the kernel had at attach: a bit per enum ts_feature
			      * (user/lib/kernel_features.h); 0 on an older attach */
	__u32 record;        /* TS_META_RECORD; 0: an older attach (no ids, no state) */
	__u64 attached_unix; /* wall-clock seconds */
	__u64 max_flows;
	__u64 max_embryonic;
	char ifname[16];
	__u32 state;         /* enum ts_meta_state */
	/* our programs and link, by id: what detach may remove is what has
	 * these ids (never another tool's program, filter or qdisc) */
	__u32 xdp_prog_id;   /* on the hook, chained, or in libxdp's dispatcher */
	__u32 xdp_link_id;   /* the bpf_link holding the hook; 0: chained or libxdp */
	__u32 tc_egress_prog_id;
	__u32 tc_ingress_prog_id;
	__u32 pad;
};
_Static_assert(sizeof(struct ts_meta) == 96, "ts_meta size");

#endif /* TCPSENTRY_ABI_H */
