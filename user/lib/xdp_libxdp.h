/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * XDP through libxdp's multi-program dispatcher, where the kernel has
 * freplace (BPF_PROG_TYPE_EXT): tcpsentry then sits beside other programs
 * the way xdp-tools users expect (`xdp-loader status` lists it, run order by
 * priority). Elsewhere attach falls back to its own chaining (prog array +
 * tail call, user/attach.c); which one an attachment uses is in its meta
 * flags and `status` shows it.
 */
#ifndef TCPSENTRY_XDP_LIBXDP_H
#define TCPSENTRY_XDP_LIBXDP_H

#include <stddef.h>
#include <linux/types.h>

struct bpf_object;

/* tcpsentry's place in a dispatcher: before most programs (libxdp's
 * default is 50), so it sees what they drop */
#define TS_LIBXDP_PRIORITY 10

/*
 * Attach the object's (not yet loaded) XDP program `prog_name` to ifindex
 * through libxdp; libxdp loads the object. 0 ok (*mode_out: enum
 * ts_xdp_mode), else -errno with the object not loaded and nothing attached
 * (the caller then loads it itself and chains on its own); `why` tells the
 * reason.
 */
int ts_libxdp_attach(struct bpf_object *obj, const char *prog_name, int ifindex, int mode,
		     int *mode_out, char *why, size_t whylen);
/* remove our program (prog_fd) from ifindex's dispatcher; 0 or -errno */
int ts_libxdp_detach(int prog_fd, int ifindex, int mode);
/* a program in libxdp's dispatcher on ifindex: the one with id `id`, or
 * (id 0) the first named `name`. Its id, or 0 (none, no dispatcher). */
__u32 ts_libxdp_find(int ifindex, __u32 id, const char *name);
/* 1 if the dispatcher on ifindex holds program id */
int ts_libxdp_holds(int ifindex, __u32 id);

/* "libxdp", "tail_call" or "link", from the attachment's TS_META_* flags */
const char *ts_xdp_chaining_name(__u32 meta_flags);
/* the same for people */
const char *ts_xdp_chaining_desc(__u32 meta_flags);

#endif /* TCPSENTRY_XDP_LIBXDP_H */
