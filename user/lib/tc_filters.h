/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What filters a clsact qdisc holds, by a netlink dump (libbpf can ask
 * about one filter it names, not list them): detach removes the qdisc
 * attach made only while no one else's filter sits on it.
 */
#ifndef TCPSENTRY_TC_FILTERS_H
#define TCPSENTRY_TC_FILTERS_H

/* The filters on ifindex's clsact, ingress and egress together: how
 * many (0 also where there is no clsact), or -errno. */
int ts_tc_filter_count(int ifindex);

#endif /* TCPSENTRY_TC_FILTERS_H */
