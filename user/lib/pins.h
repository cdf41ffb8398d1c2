/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where an attachment lives in bpffs: /sys/fs/bpf/tcpsentry/ns<inode>/<ifname>/
 * holding the pinned XDP link, the tc program and the maps. One directory
 * per (network namespace, interface): the same ifname in two namespaces
 * never collides, and a later process finds the attachment there.
 */
#ifndef TCPSENTRY_PINS_H
#define TCPSENTRY_PINS_H

#include <limits.h>
#include <linux/types.h>
#include <tcpsentry/abi.h>

#define TS_PIN_ROOT "/sys/fs/bpf/tcpsentry"
/* attachments one command reads at most (one namespace) */
#define TS_ATT_MAX 64

/* the maps an attachment pins, by their names in the BPF object */
extern const char *const ts_pinned_maps[];
#define TS_PIN_XDP_LINK "xdp_link"
#define TS_PIN_TC_PROG "tc_prog"
#define TS_PIN_TC_INGRESS_PROG "tc_ingress_prog" /* the SYN-cookie hand-over */
#define TS_PIN_XDP_PROG "xdp_prog"         /* chained mode: ours, attached by netlink */
#define TS_PIN_CHAINED_PROG "chained_prog" /* chained mode: the one we displaced */
#define TS_PIN_REPORT_PROG "report_prog"   /* tcpsentry_report: the sweeper's anomalies */

/* An attachment opened from its pins. Map fds are -1 when absent. */
struct ts_att {
	char ifname[16];
	char dir[256];       /* pin directory; TS_PIN_ROOT/ns<ino>/<ifname> fits */
	int flows_fd, emb_fd, counters_fd, events_fd, config_fd, meta_fd, ustats_fd;
	int anomalies_fd;
	int floods_fd;       /* SYN-flood state per port slot (sketch.h) */
	int policy_fd, allow_fd, deny_fd, hosts_fd, drops_fd; /* enforcement (abi.h, struct ts_policy) */
	int report_fd;       /* the tcpsentry_report program; -1 on an older attach */
	int top_fd;          /* syn_top: top SYN sources; -1 on an older attach */
	int hist_fd;         /* hs_hist: handshake times (metrics); -1 on an older attach */
	int pick_fd;         /* pickups: one-direction mid-stream entries; -1 on an older attach */
	int bans_fd;         /* bans the datapath wrote (abi.h, ts_ban_key); -1 on an older attach */
	struct ts_meta meta;
};

int ts_pin_dir(char *buf, size_t n, const char *ifname);
/* an exclusive flock on a pin directory (waits): the fd to close to
 * unlock, or -1 (errno) */
int ts_lock_dir(const char *dir);
/* open one attachment of the current namespace; 0, -ENOENT if not attached */
int ts_att_open(struct ts_att *a, const char *ifname);
void ts_att_close(struct ts_att *a);
/* the interfaces attached in the current namespace: fills names[max][16],
 * returns how many (sorted) */
int ts_att_list(char names[][16], int max);

/* The attachments a command acts on: the one named, or (iface NULL) every
 * one of the namespace. Returns how many; -1 with a message on stderr if
 * the one named is not attached. */
int ts_att_select(const char *iface, char names[][16], int max);
/* ts_att_select, and each opened into atts[] (max <= TS_ATT_MAX): how
 * many, or -1 with a message on stderr (nothing left open) */
int ts_att_open_all(const char *iface, struct ts_att *atts, int max);
void ts_att_close_all(struct ts_att *atts, int n);

#endif /* TCPSENTRY_PINS_H */
