// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An attachment's record against the live interface: see attstate.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attstate.h"
#include "pins.h"
#include "xdp_libxdp.h"

const char *ts_att_state_name(enum ts_att_state s)
{
	static const char *const names[] = { "live", "stale", "incomplete" };

	return s <= TS_ATT_INCOMPLETE ? names[s] : "?";
}

/* the XDP half: 0 if ours still holds the hook */
static int xdp_stale(const struct ts_meta *m, const struct ts_live *l, char *why, size_t n)
{
	if (m->flags & TS_META_LIBXDP) {
		if (l->in_dispatcher)
			return 0;
		snprintf(why, n, "its XDP program (id %u) is no longer in libxdp's dispatcher on %s",
			 m->xdp_prog_id, m->ifname);
		return -1;
	}
	if (m->xdp_link_id) {
		if (l->have_link && l->link_ifindex == m->ifindex)
			return 0;
		snprintf(why, n, "its XDP link (id %u) no longer holds %s's hook", m->xdp_link_id,
			 m->ifname);
		return -1;
	}
	if (l->xdp_prog_id == m->xdp_prog_id)
		return 0;
	if (l->xdp_prog_id)
		snprintf(why, n, "XDP program id %u runs on %s, not its own (id %u)", l->xdp_prog_id,
			 m->ifname, m->xdp_prog_id);
	else
		snprintf(why, n, "no XDP program runs on %s (its own was id %u)", m->ifname,
			 m->xdp_prog_id);
	return -1;
}

/* one tc filter: 0 if it is there with our program */
static int tc_stale(const char *what, __u32 want, __u32 now, const char *ifname, char *why,
		    size_t n)
{
	if (now == want)
		return 0;
	if (now)
		snprintf(why, n, "its %s on %s runs program id %u, not its own (id %u)", what, ifname,
			 now, want);
	else
		snprintf(why, n, "its %s is gone from %s", what, ifname);
	return -1;
}

enum ts_att_state ts_att_judge(const struct ts_meta *m, const struct ts_live *l, char *why,
			       size_t n)
{
	why[0] = 0;
	if (m->record == TS_META_RECORD && m->state != TS_META_ATTACHED) {
		snprintf(why, n, "an attach of %s did not finish (killed, or running now)",
			 m->ifname);
		return TS_ATT_INCOMPLETE;
	}
	if (!l->ifindex) {
		snprintf(why, n, "there is no interface %s in this network namespace any more",
			 m->ifname);
		return TS_ATT_STALE;
	}
	if (l->ifindex != m->ifindex) {
		snprintf(why, n, "%s was deleted and created again (ifindex %u now, %u attached)",
			 m->ifname, l->ifindex, m->ifindex);
		return TS_ATT_STALE;
	}
	if (m->record != TS_META_RECORD) /* an older attach: no ids to check */
		return l->xdp_prog_id ? TS_ATT_LIVE : (snprintf(why, n, "no XDP program runs on %s",
								 m->ifname), TS_ATT_STALE);
	if (xdp_stale(m, l, why, n))
		return TS_ATT_STALE;
	if ((m->flags & TS_META_EGRESS) &&
	    tc_stale("tc egress filter", m->tc_egress_prog_id, l->tc_egress_id, m->ifname, why, n))
		return TS_ATT_STALE;
	if ((m->flags & TS_META_INGRESS_TC) &&
	    tc_stale("tc ingress filter (the SYN-cookie hand-over)", m->tc_ingress_prog_id,
		     l->tc_ingress_id, m->ifname, why, n))
		return TS_ATT_STALE;
	return TS_ATT_LIVE;
}

/* the program of the filter at our handle and priority on one hook */
static __u32 tc_prog_at(int ifindex, int point, const struct ts_meta *m)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = m->tc_handle, .priority = m->tc_priority);

	return bpf_tc_query(&hook, &o) ? 0 : o.prog_id;
}

void ts_live_read(const struct ts_att *a, struct ts_live *l)
{
	const struct ts_meta *m = &a->meta;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char p[PATH_MAX];
	int fd;

	memset(l, 0, sizeof(*l));
	l->ifindex = if_nametoindex(a->ifname);
	snprintf(p, sizeof(p), "%s/%s", a->dir, TS_PIN_XDP_LINK);
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		l->have_link = 1;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP)
			l->link_ifindex = info.xdp.ifindex;
		close(fd);
	}
	/* what runs on a recreated interface is not ours to look at */
	if (!l->ifindex || l->ifindex != m->ifindex)
		return;
	if (!bpf_xdp_query((int)l->ifindex, 0, &q))
		l->xdp_prog_id = m->xdp_mode == TS_REC_XDP_GENERIC ? q.skb_prog_id : q.drv_prog_id;
	if ((m->flags & TS_META_LIBXDP) && m->xdp_prog_id)
		l->in_dispatcher = ts_libxdp_holds((int)l->ifindex, m->xdp_prog_id);
	if (m->flags & TS_META_EGRESS)
		l->tc_egress_id = tc_prog_at((int)l->ifindex, BPF_TC_EGRESS, m);
	if (m->flags & TS_META_INGRESS_TC)
		l->tc_ingress_id = tc_prog_at((int)l->ifindex, BPF_TC_INGRESS, m);
}

enum ts_att_state ts_att_check(const struct ts_att *a, char *why, size_t n)
{
	struct ts_live l;

	ts_live_read(a, &l);
	return ts_att_judge(&a->meta, &l, why, n);
}
