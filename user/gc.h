/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The table sweeper: removes entries whose per-state timeouts ran out,
 * so nothing lingers forever when no packet comes to replace it. */
#ifndef TCPSENTRY_GC_H
#define TCPSENTRY_GC_H

#include <linux/types.h>
#include "pins.h"

/* CLOCK_MONOTONIC in ns, the datapath's clock */
__u64 ts_now_ns(void);
/* sweep both tables; returns entries removed, counted in ustats */
long ts_gc_sweep(struct ts_att *a);
/* entries currently in a table (walks it) */
long ts_map_count(int fd);

#endif /* TCPSENTRY_GC_H */
