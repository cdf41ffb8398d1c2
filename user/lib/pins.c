// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "args.h"
#include "log.h"
#include "netns.h"
#include "pins.h"

const char *const ts_pinned_maps[] = {
	"meta", "flows", "embryonic", "pickups", "counters", "events", "config", "ustats",
	"anomalies", "floods", "policy", "allow", "deny", "hosts", "bans", "drops",
	"hs_hist", /* handshake-time histogram (metrics) */
	"syn_top", /* top SYN sources (top) */
	"records", /* connection records (records, run) */
	"vlans",   /* the VLAN IDs taken (run keeps auto's up to date) */
	/* a prog array is emptied when its last user reference goes: the pin
	 * keeps the chained program in it after attach exits */
	"xdp_chain", NULL,
};

const char *const ts_pinned_progs[] = {
	TS_PIN_XDP_LINK, TS_PIN_TC_PROG, TS_PIN_TC_INGRESS_PROG, TS_PIN_XDP_PROG,
	TS_PIN_CHAINED_PROG, TS_PIN_REPORT_PROG, TS_PIN_RECORD_PROG, NULL,
};

void ts_unpin_all(const char *dir)
{
	const char *const *lists[] = { ts_pinned_maps, ts_pinned_progs };
	char p[PATH_MAX], *slash;
	size_t l;
	int i;

	for (l = 0; l < 2; l++) {
		for (i = 0; lists[l][i]; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, lists[l][i]);
			unlink(p);
		}
	}
	rmdir(dir);
	snprintf(p, sizeof(p), "%s", dir);
	slash = strrchr(p, '/');
	if (slash) {
		*slash = '\0';
		rmdir(p); /* ns<inode>, if no other interface uses it */
	}
}

void ts_pin_root_tidy(void)
{
	rmdir(TS_PIN_ROOT); /* if no other namespace uses it (the lock copes: pins.h) */
}

int ts_pin_mkdir(const char *dir)
{
	char p[PATH_MAX], *slash;

	snprintf(p, sizeof(p), "%s", dir);
	slash = strrchr(p, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if ((mkdir(p, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST))
		return -errno;
	return 0;
}

int ts_pin_dir(char *buf, size_t n, const char *ifname)
{
	int r = snprintf(buf, n, TS_PIN_ROOT "/ns%llu/%s", (unsigned long long)ts_netns_id(),
			 ifname);

	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

int ts_pin_root_ok(const struct stat *st, unsigned int euid, char *why, size_t n)
{
	if (!S_ISDIR(st->st_mode)) {
		snprintf(why, n, "it is not a directory%s", S_ISLNK(st->st_mode) ? " (a symlink)" : "");
		return -1;
	}
	if (st->st_uid != euid) {
		snprintf(why, n, "it belongs to uid %u, not to uid %u who runs tcpsentry",
			 (unsigned)st->st_uid, euid);
		return -1;
	}
	if ((st->st_mode & 07777) != 0700) {
		snprintf(why, n, "its mode is %04o, not 0700", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

static int root_refused(const struct stat *st)
{
	char why[128];

	if (!ts_pin_root_ok(st, (unsigned)geteuid(), why, sizeof(why)))
		return 0;
	err("refusing to use %s: %s. It must be a directory of the user running tcpsentry, "
	    "mode 0700: anyone else who can write there can plant pins that tcpsentry would "
	    "trust. Remove it (nothing attached), or chown and chmod 0700 it\n", TS_PIN_ROOT, why);
	errno = EACCES;
	return -1;
}

/* a failure of the root said on stderr: errno EACCES tells the caller
 * that it was said */
static int root_failed(const char *what)
{
	int e = errno;

	err("cannot %s %s: %s%s\n", what, TS_PIN_ROOT, strerror(e),
	    e == EPERM || e == EACCES ? " (tcpsentry needs root, or CAP_BPF, CAP_NET_ADMIN and "
					"CAP_PERFMON)" : " (is bpffs mounted at /sys/fs/bpf?)");
	errno = EACCES;
	return -1;
}

int ts_pin_root_open(int create, int lock)
{
	struct stat st, now;
	int fd, tries;

	for (tries = 0; tries < 10; tries++) {
		if (create && mkdir(TS_PIN_ROOT, 0700)) {
			if (errno != EEXIST)
				return root_failed("create");
		} else if (create && chmod(TS_PIN_ROOT, 0700)) { /* whatever the umask */
			return root_failed("set the mode of");
		}
		fd = open(TS_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ELOOP || errno == ENOTDIR) { /* a symlink, a file */
				if (!lstat(TS_PIN_ROOT, &st))
					root_refused(&st);
				errno = EACCES;
				return -1;
			}
			return errno == ENOENT && !create ? -1 : root_failed("open");
		}
		if (fstat(fd, &st) || root_refused(&st) || (lock && flock(fd, LOCK_EX))) {
			int e = errno;

			close(fd);
			errno = e;
			return e == EACCES ? -1 : root_failed("lock");
		}
		/* a detach may have removed the root while this waited for the
		 * lock: a lock on a directory no longer there locks nothing */
		if (!lock || (!lstat(TS_PIN_ROOT, &now) && now.st_ino == st.st_ino &&
			      now.st_dev == st.st_dev))
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return root_failed("lock");
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
	int root;

	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	if (ts_pin_dir(a->dir, sizeof(a->dir), ifname))
		return -ENAMETOOLONG;
	root = ts_pin_root_open(0, 0);
	if (root < 0)
		return -errno;
	close(root);
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
	a->records_fd = open_map(a->dir, "records");
	a->record_fd = open_map(a->dir, TS_PIN_RECORD_PROG);
	a->pick_fd = open_map(a->dir, "pickups"); /* absent: an older attach */
	a->bans_fd = open_map(a->dir, "bans");    /* absent: an older attach */
	a->vlans_fd = open_map(a->dir, "vlans");  /* absent: an older attach */
	if (a->flows_fd < 0 || a->emb_fd < 0 || a->counters_fd < 0 || a->meta_fd < 0 ||
	    bpf_map_lookup_elem(a->meta_fd, &zero, &a->meta)) {
		int e = errno == ENOENT ? -ENODATA : errno ? -errno : -EIO;

		ts_att_close(a);
		return e;
	}
	return 0;
}

void ts_att_close(struct ts_att *a)
{
	int *fds[] = { &a->flows_fd, &a->emb_fd, &a->counters_fd, &a->events_fd,
		       &a->config_fd, &a->meta_fd, &a->ustats_fd, &a->anomalies_fd,
		       &a->floods_fd, &a->policy_fd, &a->allow_fd, &a->deny_fd, &a->hosts_fd,
		       &a->drops_fd, &a->report_fd, &a->top_fd, &a->hist_fd, &a->records_fd,
		       &a->record_fd, &a->pick_fd, &a->bans_fd, &a->vlans_fd };
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
	int n = 0, root = ts_pin_root_open(0, 0);

	if (root < 0)
		return errno == ENOENT ? 0 : -1;
	close(root);
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
	if (e && e != -ENODATA) {
		if (e != -EACCES)
			err("%s: %s\n", iface, e == -ENOENT ?
			    "not attached in this network namespace" : strerror(-e));
		return -1;
	}
	if (!e)
		ts_att_close(&a);
	snprintf(names[0], 16, "%s", iface);
	return 1;
}

int ts_att_open_all(const char *iface, struct ts_att *atts, int max)
{
	char names[TS_ATT_MAX][16];
	int n = ts_att_select(iface, names, max < TS_ATT_MAX ? max : TS_ATT_MAX), i, k = 0, e;

	for (i = 0; i < n; i++) {
		e = ts_att_open(&atts[k], names[i]);
		if (e == -ENODATA) {
			warn("%s: an attach that did not finish left incomplete pins; `tcpsentry "
			     "attach %s` or `detach %s` cleans them up\n", names[i], names[i], names[i]);
			continue;
		}
		if (e) {
			if (e != -EACCES)
				err("cannot open the pins of %s: %s\n", names[i], strerror(-e));
			ts_att_close_all(atts, k);
			return -1;
		}
		k++;
	}
	return n < 0 ? n : k;
}

void ts_att_close_all(struct ts_att *atts, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ts_att_close(&atts[i]);
}
