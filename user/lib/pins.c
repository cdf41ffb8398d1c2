// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "args.h"
#include "log.h"
#include "netns.h"
#include "pins.h"

const char *const ts_pinned_maps[] = {
	"flows", "embryonic", "pickups", "counters", "events", "config", "meta", "ustats", "anomalies",
	"floods", "policy", "allow", "deny", "hosts", "bans", "drops",
	"hs_hist", /* handshake-time histogram (metrics) */
	"syn_top", /* top SYN sources (top) */
	/* a prog array is emptied when its last user reference goes: the pin
	 * keeps the chained program in it after attach exits */
	"xdp_chain", NULL,
};

int ts_pin_dir(char *buf, size_t n, const char *ifname)
{
	int r = snprintf(buf, n, TS_PIN_ROOT "/ns%llu/%s", (unsigned long long)ts_netns_id(),
			 ifname);

	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

int ts_lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_map(const char *dir, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return bpf_obj_get(p);
}

int ts_att_open(struct ts_att *a, const char *ifname)
{
	__u32 zero = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	if (ts_pin_dir(a->dir, sizeof(a->dir), ifname))
		return -ENAMETOOLONG;
	if (access(a->dir, F_OK))
		return -ENOENT;
	a->flows_fd = open_map(a->dir, "flows");
	a->emb_fd = open_map(a->dir, "embryonic");
	a->counters_fd = open_map(a->dir, "counters");
	a->events_fd = open_map(a->dir, "events");
	a->config_fd = open_map(a->dir, "config");
	a->meta_fd = open_map(a->dir, "meta");
	a->ustats_fd = open_map(a->dir, "ustats");
	a->anomalies_fd = open_map(a->dir, "anomalies"); /* absent: an older attach */
	a->floods_fd = open_map(a->dir, "floods");       /* absent: an older attach */
	a->policy_fd = open_map(a->dir, "policy");
	a->allow_fd = open_map(a->dir, "allow");
	a->deny_fd = open_map(a->dir, "deny");
	a->hosts_fd = open_map(a->dir, "hosts");
	a->drops_fd = open_map(a->dir, "drops");
	a->report_fd = open_map(a->dir, TS_PIN_REPORT_PROG); /* a program pin opens the same way */
	a->top_fd = open_map(a->dir, "syn_top");
	a->hist_fd = open_map(a->dir, "hs_hist");
	a->pick_fd = open_map(a->dir, "pickups"); /* absent: an older attach */
	a->bans_fd = open_map(a->dir, "bans");    /* absent: an older attach */
	if (a->flows_fd < 0 || a->emb_fd < 0 || a->counters_fd < 0 || a->meta_fd < 0) {
		int e = errno ? -errno : -EIO;

		ts_att_close(a);
		return e;
	}
	bpf_map_lookup_elem(a->meta_fd, &zero, &a->meta);
	return 0;
}

void ts_att_close(struct ts_att *a)
{
	int *fds[] = { &a->flows_fd, &a->emb_fd, &a->counters_fd, &a->events_fd,
		       &a->config_fd, &a->meta_fd, &a->ustats_fd, &a->anomalies_fd,
		       &a->floods_fd, &a->policy_fd, &a->allow_fd, &a->deny_fd, &a->hosts_fd,
		       &a->drops_fd, &a->report_fd, &a->top_fd, &a->hist_fd,
		       &a->pick_fd, &a->bans_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] > 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ts_att_list(char names[][16], int max)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), TS_PIN_ROOT "/ns%llu", (unsigned long long)ts_netns_id());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 16)
			continue;
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1); /* < 16, checked above */
	}
	closedir(d);
	qsort(names, (size_t)n, 16, cmp_name);
	return n;
}

int ts_att_select(const char *iface, char names[][16], int max)
{
	struct ts_att a;
	int e;

	if (!iface)
		return ts_att_list(names, max);
	if (!ts_valid_ifname(iface)) {
		err("bad interface name '%s'\n", iface);
		return -1;
	}
	e = ts_att_open(&a, iface);
	if (e) {
		err("%s: %s\n", iface, e == -ENOENT ? "not attached in this network namespace" :
		    strerror(-e));
		return -1;
	}
	ts_att_close(&a);
	snprintf(names[0], 16, "%s", iface);
	return 1;
}

int ts_att_open_all(const char *iface, struct ts_att *atts, int max)
{
	char names[TS_ATT_MAX][16];
	int n = ts_att_select(iface, names, max < TS_ATT_MAX ? max : TS_ATT_MAX), i, e;

	for (i = 0; i < n; i++) {
		e = ts_att_open(&atts[i], names[i]);
		if (e) {
			err("cannot open the pins of %s: %s\n", names[i], strerror(-e));
			ts_att_close_all(atts, i);
			return -1;
		}
	}
	return n;
}

void ts_att_close_all(struct ts_att *atts, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ts_att_close(&atts[i]);
}
