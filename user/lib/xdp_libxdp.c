// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xdp/libxdp.h>
#include <tcpsentry/abi.h>
#include "loader.h"
#include "log.h"
#include "xdp_libxdp.h"

const char *ts_xdp_chaining_name(__u32 meta_flags)
{
	if (meta_flags & TS_META_LIBXDP)
		return "libxdp";
	return meta_flags & TS_META_CHAINED ? "tail_call" : "link";
}

const char *ts_xdp_chaining_desc(__u32 meta_flags)
{
	if (meta_flags & TS_META_LIBXDP)
		return "libxdp's dispatcher (xdp-loader status lists every program)";
	if (meta_flags & TS_META_CHAINED)
		return "own: tail call to the XDP program it took the place of";
	return "own bpf_link (tcpsentry alone; a program attached before it would be chained)";
}

/* libxdp's messages at -v (its warnings) and -v -v, like libbpf's: a
 * fallback it takes is ours to report, once */
static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	int ours = level == LIBXDP_WARN ? TS_LOG_INFO : TS_LOG_DEBUG;

	if (ours > ts_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static enum xdp_attach_mode to_libxdp(int mode)
{
	if (mode == TS_XDP_NATIVE)
		return XDP_MODE_NATIVE;
	return mode == TS_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_UNSPEC;
}

static void why_err(char *why, size_t whylen, const char *what, int e)
{
	char buf[128];

	libxdp_strerror(e, buf, sizeof(buf));
	snprintf(why, whylen, "%s: %s", what, buf);
}

int ts_libxdp_attach(struct bpf_object *obj, const char *prog_name, int ifindex, int mode,
		     int *mode_out, char *why, size_t whylen)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .obj = obj, .prog_name = prog_name);
	struct xdp_multiprog *mp;
	struct xdp_program *xp;
	int e;

	libxdp_set_print(libxdp_print);
	/* another tool's program attached without a dispatcher: libxdp would
	 * refuse; tcpsentry's own chaining can still run before it */
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	e = (int)libxdp_get_error(mp);
	if (!e && mp && xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__close(mp);
		snprintf(why, whylen, "another XDP program runs there without libxdp's dispatcher");
		return -EEXIST;
	}
	if (!e)
		xdp_multiprog__close(mp);
	xp = xdp_program__create(&po);
	e = (int)libxdp_get_error(xp);
	if (e) {
		why_err(why, whylen, "xdp_program__create", e);
		return e;
	}
	xdp_program__set_run_prio(xp, TS_LIBXDP_PRIORITY);
	e = xdp_program__attach(xp, ifindex, to_libxdp(mode), 0);
	xdp_program__close(xp);
	if (e) {
		why_err(why, whylen, "xdp_program__attach", e);
		return e;
	}
	*mode_out = TS_XDP_NATIVE;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		if (xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB)
			*mode_out = TS_XDP_GENERIC;
		xdp_multiprog__close(mp);
	}
	return 0;
}

__u32 ts_libxdp_find(int ifindex, __u32 id, const char *name)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 found = 0;

	libxdp_set_print(libxdp_print);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return 0;
	if (!xdp_multiprog__is_legacy(mp))
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
		     p = xdp_multiprog__next_prog(p, mp))
			if (id ? xdp_program__id(p) == id : !strcmp(xdp_program__name(p), name))
				found = xdp_program__id(p);
	xdp_multiprog__close(mp);
	return found;
}

int ts_libxdp_holds(int ifindex, __u32 id)
{
	return id && ts_libxdp_find(ifindex, id, NULL) == id;
}

int ts_libxdp_detach(int prog_fd, int ifindex, int mode)
{
	struct xdp_program *xp;
	int e;

	libxdp_set_print(libxdp_print);
	xp = xdp_program__from_fd(prog_fd);
	e = (int)libxdp_get_error(xp);

	if (e)
		return e;
	e = xdp_program__detach(xp, ifindex, to_libxdp(mode), 0);
	xdp_program__close(xp);
	return e;
}
