/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The policy of one attachment, in its pinned maps: read it, swap in a new
 * one atomically, edit the allow and deny lists, list and expire bans.
 *
 * Atomic swaps: the `policy` array holds two elements and the tries two
 * generations of keys (struct ts_policy, struct ts_lpm_key). A change is
 * written where the datapath does not look, then one element update of
 * `config` (policy_slot) makes it the one in force. After a flip the
 * writer waits TS_POLICY_QUIESCE_US before returning, so the element it
 * left is no longer read by any XDP program (they run for microseconds,
 * inside an RCU read section) when the next change overwrites it; changes
 * are serialised by a lock on the attachment's pin directory.
 */
#ifndef TCPSENTRY_POLICY_STORE_H
#define TCPSENTRY_POLICY_STORE_H

#include <stddef.h>
#include <stdio.h>
#include "pins.h"
#include "policy_file.h"
#include "policy_keys.h"

#define TS_POLICY_QUIESCE_US 20000

enum ts_list { TS_LIST_ALLOW = 0, TS_LIST_DENY = 1 };

/* take / drop the attachment's policy lock (flock on its pin directory);
 * returns the lock fd or -1 (errno) */
int ts_policy_lock(const struct ts_att *a);
void ts_policy_unlock(int fd);

/* Connection records on (1) or off (0) on a (ts_config.records: the word
 * the policy slot lives in, hence here, under the policy lock). Returns
 * what it was (0 or 1), or -errno (-ENOENT: an attach without records). */
int ts_records_switch(const struct ts_att *a, int on);

/* ts_config.frag_max_dist for a net.ipv4.ipfrag_max_dist of v: v, or
 * TS_FRAG_DIST_OFF for 0 (the kernel's check off); a value out of the
 * sysctl's range (below 0) is 0: the default assumed */
__u32 ts_frag_dist_word(long v);
/* Follow the calling thread's netns's net.ipv4.ipfrag_max_dist (into
 * *dist) into a's config (under the policy lock: the word beside
 * policy_slot). 1 changed, 0 already so, -errno (-ENOENT: an attach
 * without the config pins). */
int ts_frag_dist_sync(const struct ts_att *a, long *dist);

/* the policy in force; 0 or -errno */
int ts_policy_read(const struct ts_att *a, struct ts_policy *p);

/* Make *p (its flags recomputed here) the policy in force, keeping the
 * lists of its list_gen. 0 or -errno; on error the old policy stays. */
int ts_policy_commit(const struct ts_att *a, struct ts_policy *p);

/* Swap in settings and both lists at once (`policy load`, `attach
 * --policy`): lists are written in the other generation, bans carried
 * over, then one flip; the old generation is removed after. 0 or -errno;
 * on error nothing in force changed. */
int ts_policy_replace(const struct ts_att *a, const struct ts_policy *p,
		      const struct ts_cidr *allow, size_t n_allow,
		      const struct ts_cidr *deny, size_t n_deny);

/* ts_policy_replace with a parsed policy file, under the policy lock:
 * `policy load`, `attach --policy`, the daemon's --policy and SIGHUP. 0 or
 * -errno (-ENOENT without the policy pins). */
int ts_policy_put_doc(const struct ts_att *a, const struct ts_policy_doc *doc);
/* "IFACE: policy from FILE in force (N allow, M deny entries)" */
void ts_policy_print_put(FILE *out, const char *ifname, const char *file,
			 const struct ts_policy_doc *doc);

/* Add or delete one entry of the lists in force. ttl (deny only): seconds,
 * 0 for none. -ENOENT: del of an entry not in the list. */
int ts_list_add(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c, __u32 ttl);
int ts_list_del(const struct ts_att *a, enum ts_list l, const struct ts_cidr *c);

/* One entry of a list in force, as userspace sees it. */
struct ts_list_entry {
	struct ts_cidr cidr;
	struct ts_list_val val;
};
/* The entries of list l in force: *out malloc'd, *n set. 0 or -errno. */
int ts_list_read(const struct ts_att *a, enum ts_list l, struct ts_list_entry **out, size_t *n);
/* The bans the datapath wrote (the bans map, expired ones included until
 * the sweeper removes them): *out malloc'd, *n set. 0 or -errno. */
int ts_bans_read(const struct ts_att *a, struct ts_list_entry **out, size_t *n);

/* The policy in force on a as a parsed policy file would give it
 * (settings, both lists; a deny entry's TTL what is left of it, expired
 * ones left out; bans are not policy): what `run` puts in force on an
 * interface it attaches again. Free it with ts_policy_doc_free. 0 or
 * -errno (*doc then empty). */
int ts_policy_doc_read(const struct ts_att *a, struct ts_policy_doc *doc);

/* Remove expired deny entries (TTL entries) of every generation and
 * expired bans,
 * and entries of the generation not in force left by an interrupted swap.
 * Returns how many were removed. */
long ts_list_sweep(const struct ts_att *a);

#endif /* TCPSENTRY_POLICY_STORE_H */
