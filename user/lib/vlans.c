// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The VLAN IDs an interface takes: see vlans.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "vlans.h"

#define VID_MAX 4094 /* 4095 is reserved (IEEE 802.1Q), 0 a priority tag */

void ts_vlans_set(struct ts_vlans *v, int set, unsigned int vid)
{
	if (vid < 4096 && set >= 0 && set < TS_VLAN_SETS)
		v->bits[set][vid / 64] |= 1ull << (vid % 64);
}

int ts_vlans_has(const struct ts_vlans *v, int set, unsigned int vid)
{
	return vid < 4096 && set >= 0 && set < TS_VLAN_SETS &&
	       (v->bits[set][vid / 64] >> (vid % 64)) & 1;
}

/* every bit of a set */
static void set_all(struct ts_vlans *v, int set)
{
	memset(v->bits[set], 0xff, sizeof(v->bits[set]));
}

void ts_vlans_all(struct ts_vlans *v)
{
	memset(v, 0xff, sizeof(*v));
}

int ts_vlans_parse(const char *arg, void *field)
{
	struct ts_vlans_sel *sel = field;
	const char *s = arg;

	memset(sel, 0, sizeof(*sel));
	if (!strcmp(arg, "auto"))
		return 0;
	if (!strcmp(arg, "any")) {
		sel->mode = TS_VLANS_ANY;
		return 0;
	}
	sel->mode = TS_VLANS_LIST;
	for (;;) {
		unsigned long vid;
		char *end;

		/* digits only: strtoul takes a sign and spaces */
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		vid = strtoul(s, &end, 10);
		if (errno || vid < 1 || vid > VID_MAX)
			return -1;
		/* a VID is the operator's for either tag protocol */
		ts_vlans_set(&sel->list, TS_VLAN_Q, (unsigned int)vid);
		ts_vlans_set(&sel->list, TS_VLAN_AD, (unsigned int)vid);
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

/* ---- the RTM_GETLINK dump ------------------------------------------------------ */

/* the attributes of one message of the dump that auto looks at */
struct link_attrs {
	int has_link, has_master, other_ns;
	__u32 link;
	char kind[16];
	int has_vid;
	__u16 vid;
	int ad;
};

static void parse_vlan_data(const struct rtattr *d, int len, struct link_attrs *l)
{
	for (; RTA_OK(d, len); d = RTA_NEXT(d, len)) {
		if (d->rta_type == IFLA_VLAN_ID && RTA_PAYLOAD(d) >= 2) {
			memcpy(&l->vid, RTA_DATA(d), 2);
			l->has_vid = 1;
		} else if (d->rta_type == IFLA_VLAN_PROTOCOL && RTA_PAYLOAD(d) >= 2) {
			__be16 p;

			memcpy(&p, RTA_DATA(d), 2);
			l->ad = p == htons(ETH_P_8021AD);
		}
	}
}

static void parse_linkinfo(const struct rtattr *i, int len, struct link_attrs *l)
{
	for (; RTA_OK(i, len); i = RTA_NEXT(i, len)) {
		if (i->rta_type == IFLA_INFO_KIND)
			snprintf(l->kind, sizeof(l->kind), "%.*s", (int)RTA_PAYLOAD(i),
				 (const char *)RTA_DATA(i));
		else if (i->rta_type == IFLA_INFO_DATA)
			parse_vlan_data(RTA_DATA(i), (int)RTA_PAYLOAD(i), l);
	}
}

static void parse_link(const struct nlmsghdr *h, struct link_attrs *l)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a = (const struct rtattr *)((const char *)ifi + NLMSG_ALIGN(sizeof(*ifi)));
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));

	memset(l, 0, sizeof(*l));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_LINK:
			if (RTA_PAYLOAD(a) >= 4) {
				memcpy(&l->link, RTA_DATA(a), 4);
				l->has_link = 1;
			}
			break;
		case IFLA_LINK_NETNSID:
			l->other_ns = 1; /* IFLA_LINK is another namespace's ifindex */
			break;
		case IFLA_MASTER:
			l->has_master = 1;
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(RTA_DATA(a), (int)RTA_PAYLOAD(a), l);
			break;
		}
	}
}

/* uppers that take the lower's frames (an rx_handler) before the kernel's
 * VLAN check drops them: a tag is theirs to judge, not known here */
static int takes_frames(const char *kind)
{
	static const char *const kinds[] = { "macvlan", "macvtap", "ipvlan", "ipvtap", NULL };
	int i;

	for (i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

/* the links of the dump that matter: VLAN devices, frame takers, masters */
struct link {
	int ifindex;
	__u32 lower;       /* IFLA_LINK (this namespace's) */
	int vlan, taker, has_master;
	__u16 vid;
	int ad;
};
struct links {
	struct link *l;
	size_t n, cap;
};

static int one_link(const struct nlmsghdr *h, struct links *ls)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct link_attrs a;
	struct link *k;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	parse_link(h, &a);
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 64;
		struct link *l = realloc(ls->l, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		ls->l = l;
		ls->cap = cap;
	}
	k = &ls->l[ls->n++];
	memset(k, 0, sizeof(*k));
	k->ifindex = ifi->ifi_index;
	k->lower = a.has_link && !a.other_ns ? a.link : 0;
	k->vlan = !strcmp(a.kind, "vlan") && a.has_vid;
	k->taker = takes_frames(a.kind);
	k->has_master = a.has_master;
	k->vid = a.vid;
	k->ad = a.ad;
	return 0;
}

/* every link of this namespace, by an RTM_GETLINK dump; 0 or -errno */
static int dump_links(struct links *ls)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC },
	};
	char buf[32768] __attribute__((aligned(4)));
	int fd, e = 0, done = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		e = -errno;
		done = 1;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			e = len < 0 ? -errno : -EIO;
			break;
		}
		for (; NLMSG_OK(h, (__u32)len) && !done; h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *er = NLMSG_DATA(h);

				e = er->error ? er->error : -EIO;
				done = 1;
			} else if (h->nlmsg_type == RTM_NEWLINK) {
				e = one_link(h, ls);
				done = e != 0;
			}
		}
	}
	close(fd);
	return e;
}

/* the devices on `dev` (its VLAN devices' VIDs into the sets from `set`
 * on: TS_VLAN_Q or TS_VLAN_INNER_Q); 1 if something takes every tag
 * there (why says what), else 0. outer: record the VLAN devices found in
 * it (their ifindexes), for the next depth */
static int devices_on(const struct links *ls, int dev, struct ts_vlans *out, int set, int *outer,
		      size_t *nouter, char *why, size_t n)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const struct link *k = &ls->l[i];

		if (k->ifindex == dev && k->has_master) {
			snprintf(why, n, "ifindex %d has a master device (a bridge or bond takes "
				 "its tagged frames)", dev);
			return 1;
		}
		if (!k->lower || (int)k->lower != dev || k->ifindex == dev)
			continue;
		if (k->taker) {
			snprintf(why, n, "a device of its (ifindex %d) takes the frames of ifindex %d",
				 k->ifindex, dev);
			return 1;
		}
		if (!k->vlan)
			continue;
		ts_vlans_set(out, set + (k->ad ? 1 : 0), k->vid);
		if (outer)
			outer[(*nouter)++] = k->ifindex;
	}
	return 0;
}

int ts_vlans_probe(int ifindex, struct ts_vlans *out, char *why, size_t n)
{
	struct links ls = {};
	int *outer = NULL, e;
	size_t no = 0, i;

	memset(out, 0, sizeof(*out));
	if (n)
		*why = 0;
	e = dump_links(&ls);
	if (!e && !(outer = calloc(ls.n + 1, sizeof(*outer))))
		e = -ENOMEM;
	if (e)
		goto out;
	if (devices_on(&ls, ifindex, out, TS_VLAN_Q, outer, &no, why, n)) {
		ts_vlans_all(out);
		goto out;
	}
	/* the tags after theirs: a union over the outer devices (abi.h) */
	for (i = 0; i < no; i++) {
		if (devices_on(&ls, outer[i], out, TS_VLAN_INNER_Q, NULL, NULL, why, n)) {
			set_all(out, TS_VLAN_INNER_Q);
			set_all(out, TS_VLAN_INNER_AD);
			break;
		}
	}
out:
	free(outer);
	free(ls.l);
	return e;
}

int ts_vlans_for(const struct ts_vlans_sel *sel, int ifindex, struct ts_vlans *out, char *why,
		 size_t n)
{
	if (n)
		*why = 0;
	switch (sel->mode) {
	case TS_VLANS_ANY:
		ts_vlans_all(out);
		return 0;
	case TS_VLANS_LIST:
		*out = sel->list;
		return 0;
	default:
		return ts_vlans_probe(ifindex, out, why, n);
	}
}

int ts_vlans_refresh(int map_fd, int ifindex, char *buf, size_t n)
{
	struct ts_vlans now, was;
	char why[128];
	__u32 zero = 0;
	int e;

	e = ts_vlans_probe(ifindex, &now, why, sizeof(why));
	if (e)
		return e;
	if (bpf_map_lookup_elem(map_fd, &zero, &was))
		return -errno;
	if (!memcmp(&now, &was, sizeof(now)))
		return 0;
	/* one element, written whole: a frame sees the old set or the new */
	if (bpf_map_update_elem(map_fd, &zero, &now, 0))
		return -errno;
	ts_vlans_str(&now, buf, n);
	return 1;
}

/* every VID of a set */
static int set_full(const struct ts_vlans *v, int set)
{
	unsigned int vid;

	for (vid = 1; vid <= VID_MAX; vid++)
		if (!ts_vlans_has(v, set, vid))
			return 0;
	return 1;
}

/* appends ",PREFIXWHAT" to buf (at *at of n; no comma first); 0, or -1
 * once it did not fit */
static int put(char *buf, size_t n, size_t *at, const char *prefix, const char *what)
{
	int w = snprintf(buf + *at, n > *at ? n - *at : 0, "%s%s%s", *at ? "," : "", prefix, what);

	if (w < 0 || *at + (size_t)w >= n)
		return -1;
	*at += (size_t)w;
	return 0;
}

void ts_vlans_str(const struct ts_vlans *v, char *buf, size_t n)
{
	static const char *const prefix[TS_VLAN_SETS] = { "", "ad:", "inner:", "inner-ad:" };
	size_t at = 0;
	unsigned int vid;
	int inner_any, set;
	char num[8];

	if (!n)
		return;
	*buf = 0;
	if (set_full(v, TS_VLAN_Q) && set_full(v, TS_VLAN_AD)) {
		snprintf(buf, n, "any");
		return;
	}
	inner_any = set_full(v, TS_VLAN_INNER_Q) && set_full(v, TS_VLAN_INNER_AD);
	/* the outer 802.1Q set (a VID of both outer sets, as a list makes, is
	 * a plain one), the 802.1ad set's others, then the inner sets */
	for (set = 0; set < TS_VLAN_SETS; set++) {
		if (set >= TS_VLAN_INNER_Q && inner_any)
			break;
		for (vid = 1; vid <= VID_MAX; vid++) {
			if (!ts_vlans_has(v, set, vid) ||
			    (set == TS_VLAN_AD && ts_vlans_has(v, TS_VLAN_Q, vid)))
				continue;
			snprintf(num, sizeof(num), "%u", vid);
			if (put(buf, n, &at, prefix[set], num))
				goto cut;
		}
	}
	if (inner_any && at && put(buf, n, &at, "inner:", "any"))
		goto cut;
	if (!at)
		snprintf(buf, n, "none");
	return;
cut:
	if (n >= 4)
		snprintf(buf + n - 4, 4, "...");
}
