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

/* our tc filters' place on the clsact hooks (egress, and the SYN-cookie
 * hand-over at ingress) */
#define TS_TC_HANDLE 0x7453
#define TS_TC_PRIORITY 0x7453

/* the maps an attachment pins, by their names in the BPF object; `meta`
 * (the attachment record) first */
extern const char *const ts_pinned_maps[];
/* the programs and the link it pins (TS_PIN_*) */
extern const char *const ts_pinned_progs[];
#define TS_PIN_XDP_LINK "xdp_link"
#define TS_PIN_TC_PROG "tc_prog"
#define TS_PIN_TC_INGRESS_PROG "tc_ingress_prog" /* the SYN-cookie hand-over */
#define TS_PIN_XDP_PROG "xdp_prog"         /* chained mode: ours, attached by netlink */
#define TS_PIN_CHAINED_PROG "chained_prog" /* chained mode: the one we displaced */
#define TS_PIN_REPORT_PROG "report_prog"   /* tcpsentry_report: the sweeper's anomalies */
#define TS_PIN_RECORD_PROG "record_prog"   /* tcpsentry_record: records made in userspace */

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
	int records_fd;      /* the connection-record ring; -1 on an older attach */
	int record_fd;       /* the tcpsentry_record program; -1 on an older attach */
	int pick_fd;         /* pickups: one-direction mid-stream entries; -1 on an older attach */
	int bans_fd;         /* bans the datapath wrote (abi.h, ts_ban_key); -1 on an older attach */
	int vlans_fd;        /* the VLAN IDs taken (abi.h, ts_vlans); -1 on an older attach */
	struct ts_meta meta;
};

int ts_pin_dir(char *buf, size_t n, const char *ifname);
/* make an attachment's directory (and its ns<inode> parent), 0700, under
 * the root ts_pin_root_open made; 0 or -errno */
int ts_pin_mkdir(const char *dir);
/* remove every pin of an attachment and the directories left empty (its
 * own, its ns<inode> directory; not the root, which an attach under way
 * still needs) */
void ts_unpin_all(const char *dir);
/* remove the pin root if nothing is left in it (the last detach): a lock
 * taken on a root removed meanwhile is taken again on the new one
 * (ts_pin_root_open) */
void ts_pin_root_tidy(void);

/*
 * The pin root is trusted by every command (the maps `policy` writes to,
 * the programs `detach` puts back on an interface), so it must be this
 * user's alone: a directory, not a symlink, owned by the effective uid,
 * mode 0700. ts_pin_root_ok: 0 if st (an lstat or fstat of it) says so,
 * else -1 and why (pure).
 */
struct stat;
int ts_pin_root_ok(const struct stat *st, unsigned int euid, char *why, size_t n);
/* Open the pin root, checked as above: create makes it (0700) if absent;
 * lock takes an exclusive flock on it (one attach or detach at a time),
 * held until the fd is closed. The fd, or -1 with errno ENOENT (no root:
 * nothing is attached; only without create) or EACCES (the reason is on
 * stderr already). */
int ts_pin_root_open(int create, int lock);
/* an exclusive flock on a pin directory (waits): the fd to close to
 * unlock, or -1 (errno) */
int ts_lock_dir(const char *dir);
/* open one attachment of the current namespace; 0, -ENOENT if not
 * attached, -ENODATA if its pins are incomplete (an attach that did not
 * finish: the next attach or detach of it cleans up), -EACCES for a pin
 * root that is not this user's alone (said on stderr) */
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
 * many, or -1 with a message on stderr (nothing left open). An
 * attachment whose pins are incomplete is left out, with a warning. */
int ts_att_open_all(const char *iface, struct ts_att *atts, int max);
void ts_att_close_all(struct ts_att *atts, int n);

#endif /* TCPSENTRY_PINS_H */
