/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The bpftest harness: BPF_PROG_TEST_RUN tests of the tcpsentry datapath.
 * Hand-built frames (frames.h) are run through tcpsentry_xdp (ingress) and
 * tcpsentry_tc_egress (egress) of the real object, and the verdict, the
 * per-CPU counters, the flow tables and the ring buffer are checked.
 *
 * Table driven: a case is a list of steps; a step is one frame through one
 * hook, with the verdict it must get, the exact counter deltas it must
 * cause (every counter not named must stay put) and what the flow tables
 * must hold afterwards. All state is reset between cases. A case may add
 * a post check (a function) for what a table cannot say.
 *
 * Every step also checks the accounting itself: the frame's verdict is
 * counted exactly once, in the verdict counter of its hook and verdict, and
 * the verdict counters move by as much as the frames seen.
 *
 * The cases live one file per area (test_<area>.c), each ending in
 * AREA(name, cases); harness.c holds setup, run_frame, counter deltas and
 * main. `bpftest -t NAME` runs one area (`-t NAME/TEXT`: its cases whose
 * name contains TEXT), `-l` lists them.
 */
#ifndef TCPSENTRY_TESTS_HARNESS_H
#define TCPSENTRY_TESTS_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tcpsentry/abi.h>
#include <tcpsentry/flowkey.h>
#include <tcpsentry/sketch.h>
#include "format.h"
#include "frames.h"

/* fixtures start from a base tuple and override a field now and then */
#pragma GCC diagnostic ignored "-Woverride-init"

#define FLOWS_MAX 4096
#define WHYLEN 512

enum { XDP = 0, TC = 1 };

/* where the step's tuple must be afterwards */
enum {
	M_SKIP = 0, /* not checked */
	M_NONE,     /* both tables empty */
	M_EMB,      /* in embryonic only (and the only entry) */
	M_FLOWS,    /* in flows only (and the only entry) */
	M_PICK,     /* in pickups only (and the only entry): seen from one direction */
};

/* which end of the step's frame is the client */
enum { CL_SKIP = 0, CL_SRC, CL_DST, CL_UNKNOWN /* events: no flow, TS_EV_CLIENT_UNKNOWN */ };

#ifndef F_URG
#define F_URG 0x20
#endif
#define F_ECE 0x40
#define F_CWR 0x80

struct mexp {
	int where;
	int client;         /* CL_* */
	uint8_t cstate, sstate;
	uint8_t family;     /* 0: not checked */
	uint8_t fl_set;     /* ts_flow.flags bits that must be set */
	uint8_t fl_clear;   /* ... and clear */
	uint16_t c_mss, s_mss;         /* 0: not checked */
	uint8_t c_epfl, s_epfl;        /* ts_endpoint.flags bits that must be set */
	uint8_t c_epfl_clear, s_epfl_clear;
	int c_wscale, s_wscale;        /* 0: not checked, else shift + 1 */
	const char *hist;              /* NULL: not checked */
};

/* the anomaly events a step must write (all other steps: none) */
struct aexp {
	uint32_t kind;        /* enum ts_anomaly; 0: the step writes no anomaly event */
	int nev;              /* how many events of it; 0 means 1 */
	int client;           /* CL_*: the event's client */
	int facts;            /* check expected/got/detail */
	uint32_t expected, got, detail;
	int sup;              /* check suppressed */
	uint32_t suppressed;
};

struct step {
	const char *what;
	int prog;                 /* XDP / TC */
	struct frame_spec f;
	int xdp_meta;             /* XDP: bytes of metadata before the frame */
	int verdict;              /* 0: the hook's pass verdict (always, this version) */
	int nocnt;                /* don't check counters */
	int skip_einval;          /* the kernel may refuse the frame: SKIP, not FAIL */
	uint64_t cnt[TS_C_MAX];   /* exact deltas; unnamed counters must not move */
	uint64_t anom[TS_A_MAX];  /* exact anomaly-count deltas; unnamed must not move */
	struct aexp ae;
	int repeat;               /* run the frame this many times in one test run */
	int sleep_ms;             /* wait this long before the frame */
	struct mexp m;
	/* the reason each frame is counted under in `drops` (enum
	 * ts_drop_reason + 1): dropped, or would have been (observe); 0: none
	 * (no reason may move) */
	int dropped, would;
};

struct tcase {
	const char *name;
	const struct step *steps;
	int nsteps;
	void (*setup)(void);
	int (*post)(const struct tcase *tc, char *why); /* 0 pass, -1 fail, 1 skip (why) */
};

/* one area's cases: AREA(parse, cases) in test_parse.c */
struct area {
	const char *name;
	const struct tcase *cases;
	int n;
};
#define AREA(nm, tab)                                                              \
	const struct area area_##nm = { #nm, tab, (int)(sizeof(tab) / sizeof(tab[0])) }

#define STEPS(...) .steps = (const struct step[]){ __VA_ARGS__ },                      \
	.nsteps = sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step)

/* ---- the tuples ---------------------------------------------------------- */

#define C4 0x0a000001u /* 10.0.0.1: the remote client */
#define S4 0x0a000002u /* 10.0.0.2: the local server */
#define CPORT 40000
#define SPORT 80
#define C6 { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }
#define S6 { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }

/* client -> server and server -> client, IPv4 and IPv6 */
#define C2S4(...) { .family = 4, .saddr4 = C4, .daddr4 = S4, .sport = CPORT,      \
		    .dport = SPORT, .win = 512, __VA_ARGS__ }
#define S2C4(...) { .family = 4, .saddr4 = S4, .daddr4 = C4, .sport = SPORT,      \
		    .dport = CPORT, .win = 512, __VA_ARGS__ }
#define C2S6(...) { .family = 6, .saddr6 = C6, .daddr6 = S6, .sport = CPORT,      \
		    .dport = SPORT, .win = 512, __VA_ARGS__ }
#define S2C6(...) { .family = 6, .saddr6 = S6, .daddr6 = C6, .sport = SPORT,      \
		    .dport = CPORT, .win = 512, __VA_ARGS__ }

#define C_ISN 1000u
#define S_ISN 5000u
/* a Linux-like SYN and SYN-ACK */
#define SYN_OPTS .mss = 1460, .sackok = 1, .ts = 1, .tsval = 1, .has_wscale = 1, .wscale = 7
#define SYNACK_OPTS .mss = 1400, .sackok = 1, .ts = 1, .tsval = 2, .tsecr = 1,       \
		.has_wscale = 1, .wscale = 8

#define CNT(...) .cnt = { __VA_ARGS__ }
#define ANOM(...) .anom = { __VA_ARGS__ }
#define IN1  [TS_C_PKTS_IN] = 1, [TS_C_TCP] = 1
#define OUT1 [TS_C_PKTS_OUT] = 1, [TS_C_TCP] = 1

#define EPF_SYN (TS_EP_SYN_SENT | TS_EP_SEQ_KNOWN)
#define EPF_OPTS (TS_EP_WSCALE | TS_EP_SACKOK | TS_EP_TS)
/* ---- assertions: in a function with `char *why`, return -1 on failure ---- */

#define FAIL_IF(cond, ...)                                                       \
	do {                                                                     \
		if (cond) {                                                      \
			snprintf(why, WHYLEN, __VA_ARGS__);                      \
			return -1;                                               \
		}                                                                \
	} while (0)
#define ASSERT_TRUE(cond, ...) FAIL_IF(!(cond), __VA_ARGS__)
#define ASSERT_EQ(got, want, what)                                               \
	FAIL_IF((unsigned long long)(got) != (unsigned long long)(want),         \
		"%s: got %llu, want %llu", (what), (unsigned long long)(got),    \
		(unsigned long long)(want))
#define PCHECK(cond, ...) FAIL_IF(!(cond), __VA_ARGS__)

/* ---- the object and its state (harness.c) ---------------------------------- */

extern struct bpf_object *obj;
extern int prog_fd[2];
extern int flows_fd, emb_fd, pick_fd, counters_fd, config_fd, anomalies_fd;
extern struct ring_buffer *rb;
extern int ncpus;

#define MAX_EVENTS 256
extern struct ts_event evs[MAX_EVENTS];
/* the frame an event carried (struct ts_event_sampled); caplen 0: none */
extern struct ts_sample evs_sample[MAX_EVENTS];
extern int nevs, nevs_dropped;

int map_fd(const char *name);
int read_counters(uint64_t out[TS_C_MAX]);
int read_anomalies(uint64_t out[TS_A_MAX]);
int map_count(int fd);
void set_state_events(__u32 on);
/* the VLAN IDs the interface takes (the `vlans` map): every one unless a
 * case says (reset_state); set_vlans: one VID per set (802.1Q, 802.1ad,
 * inner 802.1Q), 0 none */
void set_vlans(int q_vid, int ad_vid, int inner_q_vid);
void set_vlans_all(void);
int reset_state(void);
int run_frame(int prog, const uint8_t *data, int len, int meta, int repeat, __u32 *retval);
int frame_key(const struct frame_spec *s, struct ts_flow_key *k);
/* the entry of a frame's tuple: 0 flows, 1 embryonic, 2 pickups, -1 none */
int lookup_flow(const struct frame_spec *s, struct ts_flow *f);
int flow_of(uint32_t sa, uint16_t sp, uint32_t da, uint16_t dp, struct ts_flow *f);
/* the four verdict counters (verdict_ingress_{pass,drop,tx}, verdict_egress_pass):
 * every step checks them itself, the cases' counter lists leave them out */
int is_verdict_counter(int i);
int verdict_counter(int prog, __u32 ret);
/* the verdict counter of ret moved by `frames`, the others not, and the
 * verdicts by as much as the frames seen; else -1 and why */
int check_verdicts(int prog, __u32 ret, uint64_t frames, const uint64_t *before,
		   const uint64_t *after, char *why);
/* the drop reasons (ts_drops) moved by `frames` for dropped / would (enum
 * ts_drop_reason + 1; 0: none may move), and no other; else -1 and why */
int check_reasons(int dropped, int would, uint64_t frames, const struct ts_drops *before,
		  const struct ts_drops *after, char *why);
/* One frame through a hook, with what every step checks of its
 * accounting: the verdict ret_want, counted once, under the reasons
 * dropped / would (as in struct step). 0, or -1 and why. */
int run_checked(int prog, const struct frame_spec *fs, __u32 ret_want, int dropped, int would,
		char *why);
void sleep_ms(long ms);

/* ---- floods and scans: driven frame by frame, on the real clock ------------ */

#define FLOOD_PORT 80
#define SPOOF_BASE 0xc6128000u /* 198.18.128.0/17 */

uint64_t coarse_ns(void);
/* sleep until 20 ms into the next 500 ms epoch (the datapath's coarse clock) */
void next_epoch(void);
/* 1 (and why) if a burst started at t0 did not fit in one epoch: the
 * detectors judge per epoch, so a case whose burst spilled over (an
 * emulated kernel is 10-15x slower) is a SKIP with that reason */
int burst_spilled(uint64_t t0, const char *what, char *why);
int send_seg(int prog, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
	     uint8_t flags, uint32_t seq, uint32_t ack);
/* anomaly events of kind (of detail & 0xff == phase; phase -1: any) read so far */
int count_kind(uint32_t kind, int phase);
int anomaly_events(void);

/* ---- the policy maps --------------------------------------------------------- */

int pfd(const char *name);
int policy_put(__u32 slot, const struct ts_policy *p);
void use_slot(__u32 slot);
/* enforce (or observe) with the given flags, everything else zero */
struct ts_policy pol_mk(__u32 mode, __u32 flags);
uint64_t mono_ns(void);
int host_put(uint32_t a4, __u32 lists, __u64 expires, __u32 reason);
int host_get(uint32_t a4, struct ts_list_val *v);
int prefix_put(const char *map, uint32_t a4, int plen);
/* the bans the datapath writes (struct ts_ban_key) */
int ban_put(uint32_t a4, __u64 expires, __u32 reason);
int ban_get(uint32_t a4, struct ts_list_val *v);
/* drops summed over CPUs */
int drops_read(struct ts_drops *out);
/* the XDP verdict of one frame (repeat 1); -1 on a run error */
int verdict(const struct frame_spec *fs);
int syn_from(uint32_t saddr, uint16_t sport, uint16_t dport);

/* ---- case-table shorthands ---------------------------------------------------- */

#define HS_SYN(...)                                                                   \
	{ "SYN in", XDP, C2S4(.seq = C_ISN, .flags = F_SYN, .win = 64240, SYN_OPTS),     \
	  CNT(IN1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1, __VA_ARGS__),                \
	  .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .family = 4, .c_mss = 1460,      \
		 .c_wscale = 7 + 1, .c_epfl = EPF_SYN | EPF_OPTS, .hist = "S" } }
#define HS_SYNACK(...)                                                                \
	{ "SYN-ACK out", TC, S2C4(.seq = S_ISN, .ack = C_ISN + 1, .flags = F_SYN | F_ACK, \
				  .win = 65160, SYNACK_OPTS),                            \
	  CNT(OUT1, [TS_C_SYNACK] = 1, __VA_ARGS__),                                     \
	  .m = { M_EMB, CL_DST, TS_ESTABLISHED, TS_SYN_RCVD, .family = 4, .c_mss = 1460,   \
		 .s_mss = 1400, .c_wscale = 7 + 1, .s_wscale = 8 + 1,                     \
		 .c_epfl = EPF_SYN | EPF_OPTS, .s_epfl = EPF_SYN | EPF_OPTS, .hist = "Sh" } }
#define HS_ACK(...)                                                                   \
	{ "ACK in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK),      \
	  CNT(IN1, [TS_C_ACK_ONLY] = 1, [TS_C_PROMOTE] = 1, [TS_C_FLOW_INSERT] = 1,      \
	      __VA_ARGS__),                                                            \
	  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .family = 4,            \
		 .fl_clear = TS_F_PROMOTED | TS_F_PICKED_UP, .c_mss = 1460, .s_mss = 1400,  \
		 .c_epfl = EPF_SYN | EPF_OPTS, .s_epfl = EPF_SYN | EPF_OPTS,              \
		 .hist = "ShA" } }

/* the client closes first: its FIN, the server's ACK and FIN (to the server
 * LAST_ACK, the client TIME_WAIT), then HS_LAST_ACK; e_ack, e_fin: the
 * state events the server's ACK and FIN write (0 with state events off) */
#define HS_CLOSE_TO_LAST_ACK(e_ack, e_fin)                                            \
	{ "data in", XDP, C2S4(.seq = C_ISN + 1, .ack = S_ISN + 1, .flags = F_ACK | F_PSH, \
			       .paylen = 100),                                          \
	  CNT(IN1, [TS_C_DATA] = 1),                                                     \
	  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShAD" } },     \
	{ "ACK out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 101, .flags = F_ACK),     \
	  CNT(OUT1, [TS_C_ACK_ONLY] = 1),                                                \
	  .m = { M_FLOWS, CL_DST, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADa" } },    \
	{ "client FIN in (waits for the server's ACK)", XDP,                            \
	  C2S4(.seq = C_ISN + 101, .ack = S_ISN + 1, .flags = F_FIN | F_ACK),           \
	  CNT(IN1, [TS_C_FIN] = 1),                                                      \
	  .m = { M_FLOWS, CL_SRC, TS_ESTABLISHED, TS_ESTABLISHED, .hist = "ShADaF",       \
		 .c_epfl = TS_EP_FIN_QUEUED, .c_epfl_clear = TS_EP_FIN_SENT } },         \
	{ "server ACKs the FIN: taken", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 102,  \
						 .flags = F_ACK),                     \
	  CNT(OUT1, [TS_C_ACK_ONLY] = 1, [TS_C_EVENTS] = (e_ack)),                       \
	  .m = { M_FLOWS, CL_DST, TS_FIN_WAIT_2, TS_CLOSE_WAIT, .c_epfl = TS_EP_FIN_SENT, \
		 .c_epfl_clear = TS_EP_FIN_QUEUED } },                                  \
	{ "server FIN out", TC, S2C4(.seq = S_ISN + 1, .ack = C_ISN + 102,              \
				     .flags = F_FIN | F_ACK),                          \
	  CNT(OUT1, [TS_C_FIN] = 1, [TS_C_EVENTS] = (e_fin)),                            \
	  .m = { M_FLOWS, CL_DST, TS_TIME_WAIT, TS_LAST_ACK, .hist = "ShADaFf",            \
		 .s_epfl = TS_EP_FIN_SENT } }
#define HS_LAST_ACK(...)                                                              \
	{ "last ACK in", XDP, C2S4(.seq = C_ISN + 102, .ack = S_ISN + 2, .flags = F_ACK),  \
	  CNT(IN1, [TS_C_ACK_ONLY] = 1, __VA_ARGS__),                                    \
	  .m = { M_FLOWS, CL_SRC, TS_TIME_WAIT, TS_CLOSED, .hist = "ShADaFf" } }
#define HS_CLOSE HS_CLOSE_TO_LAST_ACK(0, 0), HS_LAST_ACK()

#define V6EXT(...) .ext = { __VA_ARGS__ },                                                \
	.next = sizeof((struct fr_ext[]){ __VA_ARGS__ }) / sizeof(struct fr_ext)
#define X_HBH(n)  { FR_IPPROTO_HOPOPTS, (n), 0, 0 }
#define X_DST(n)  { FR_IPPROTO_DSTOPTS, (n), 0, 0 }
#define X_RT(n)   { FR_IPPROTO_ROUTING, (n), 0, 0 }
#define X_FRAG(off, mf) { FR_IPPROTO_FRAGMENT, 0, (off), (mf) }

#define SYN4(...) C2S4(.seq = C_ISN, .flags = F_SYN, SYN_OPTS, __VA_ARGS__)
#define SYN6(...) C2S6(.seq = C_ISN, .flags = F_SYN, SYN_OPTS, __VA_ARGS__)
#define TRACKED_SYN(fam) .m = { M_EMB, CL_SRC, TS_SYN_SENT, TS_LISTEN, .family = (fam),   \
				.c_mss = 1460, .c_wscale = 7 + 1,                       \
				.c_epfl = EPF_SYN | EPF_OPTS, .hist = "S" }
#define SYN_TRACKED_CNT CNT(IN1, [TS_C_SYN] = 1, [TS_C_EMB_INSERT] = 1)
#define NOTHING .m = { M_NONE }
#define ERR_ONLY(c) CNT([TS_C_PKTS_IN] = 1, [c] = 1), NOTHING

#endif /* TCPSENTRY_TESTS_HARNESS_H */
