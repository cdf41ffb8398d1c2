// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The filters on a clsact qdisc, by an RTM_GETTFILTER dump: see tc_filters.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "tc_filters.h"

/* a dump's replies, counted: filters (tcm_handle set; the kernel also
 * sends one message per priority's classifier, handle 0) */
static int count_replies(int fd, __u32 seq)
{
	char buf[16384] __attribute__((aligned(4)));
	int n = 0;

	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0)
			return errno == EINTR ? n : -errno;
		for (; NLMSG_OK(h, (__u32)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : n;
			}
			if (h->nlmsg_type == RTM_NEWTFILTER &&
			    ((const struct tcmsg *)NLMSG_DATA(h))->tcm_handle)
				n++;
		}
	}
}

/* the filters at one clsact point (TC_H_MIN_INGRESS or _EGRESS) */
static int count_at(int fd, int ifindex, __u32 point, __u32 seq)
{
	struct {
		struct nlmsghdr h;
		struct tcmsg t;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)), .nlmsg_type = RTM_GETTFILTER,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
		.t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
		       .tcm_parent = TC_H_MAKE(TC_H_CLSACT, point) },
	};

	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	return count_replies(fd, seq);
}

int ts_tc_filter_count(int ifindex)
{
	static const __u32 points[] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), n = 0, r;
	size_t i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		r = count_at(fd, ifindex, points[i], (__u32)i + 1);
		if (r < 0) {
			n = r;
			break;
		}
		n += r;
	}
	close(fd);
	return n;
}
