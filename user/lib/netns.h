/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Network namespaces: `-n NAME` enters /run/netns/NAME (like `ip -n`)
 * for the network only, so the host's bpffs and its pins stay visible. */
#ifndef TCPSENTRY_NETNS_H
#define TCPSENTRY_NETNS_H

#include <linux/types.h>

/* 0, or -1 with a message printed */
int ts_netns_enter(const char *name);
/* inode of the current network namespace (0 on error) */
__u64 ts_netns_id(void);
/* An integer sysctl of the calling thread's network namespace (name as
 * under /proc/sys, e.g. "net/ipv4/ipfrag_max_dist": /proc/sys/net is the
 * reader's netns, whatever /proc is mounted from). 0 or -errno. */
int ts_netns_sysctl(const char *name, long *v);

#endif /* TCPSENTRY_NETNS_H */
