/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Taking an attachment off: what `detach` does, what `attach` does first
 * to pins that no longer tell the truth, and what undoes a failed attach.
 * One path for the three: the attachment record (ts_meta) says what was
 * made, by id, and only that is removed, only on the interface it was made
 * on. Never another tool's program, filter or qdisc; never anything on an
 * interface deleted and created again under the same name.
 */
#ifndef TCPSENTRY_TEARDOWN_H
#define TCPSENTRY_TEARDOWN_H

#include <tcpsentry/abi.h>
#include "attstate.h"

/*
 * Take off interface ifname what record m says was made there (m NULL:
 * there is no record, an attach killed before it wrote one: tcpsentry's
 * own programs, by name, at tcpsentry's places), if ifname is still the
 * interface of m->ifindex; then remove the pins in dir (NULL: none yet).
 * quiet: no messages (the undo of a failed attach). How many things of
 * ours it took off the interface (0: nothing was there), or -1 if something
 * of ours is still there (the pins are then kept, for another try).
 */
int ts_teardown(const struct ts_meta *m, const char *ifname, const char *dir, int quiet);

/* The record pinned in dir, if it can be read: 0, or -1. */
int ts_record_read(const char *dir, struct ts_meta *m);

/* What a detach found and did. */
struct ts_detached {
	enum ts_att_state state; /* of the attachment it took off */
	char why[192];           /* why it was not live ("" if it was) */
};

/* Remove what the attachment of ifname made, whatever its state, and its
 * pins; without pins, what an attach killed before its record left there.
 * 0, or 1 with the reason on stderr (not attached at all, or something of
 * ours could not be removed). */
int ts_detach(const char *ifname, struct ts_detached *out);

/* the XDP_FLAGS_* mode flag of a record's mode (TS_REC_XDP_*) */
unsigned int ts_xdp_mode_flags(int mode);

#endif /* TCPSENTRY_TEARDOWN_H */
