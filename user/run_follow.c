// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `run` follows its interfaces (see run.h): the daemon outlives them. An
 * interface deleted and created again under the same name has nothing of
 * tcpsentry on it while the pins still name it; status says so
 * (attstate.h), and so does run, every sweep, and it attaches the new one.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "attstate.h"
#include "clock.h"
#include "policy_store.h"
#include "run.h"

/*
 * f's interface, attached again (its attachment gone stale): with this
 * run's options and the --policy file, or else the policy the stale one
 * had in force (bans and connections are the old interface's: they stay
 * behind). Someone else's live attachment there is adopted instead. The
 * new one replaces the old under the lock (a scrape reads it), and the
 * rings are read anew. 0, or -1 with the reason in why.
 */
static int reattach(struct daemon *d, struct iface *f, struct ring_buffer **rb, char *why,
		    size_t n)
{
	struct ring_buffer *nrb = NULL;
	struct ts_policy_doc carried;
	struct ts_attached made;
	struct ts_att fresh, old;
	int e, i, own = 0;

	e = ts_att_open(&fresh, f->att.ifname);
	if (!e && ts_att_check(&fresh, why, n) != TS_ATT_LIVE) {
		ts_att_close(&fresh);
		e = -ENOENT;
	}
	if (e == -ENOENT || e == -ENODATA) {
		e = d->policy ? 0 : ts_policy_doc_read(&f->att, &carried);
		if (e) {
			snprintf(why, n, "cannot read the policy in force: %s", strerror(-e));
			return -1;
		}
		/* (the stale pins go: the fds held here keep the old maps) */
		e = ts_attach(f->att.ifname, d->attach, d->policy ? d->doc : &carried, &made);
		if (!d->policy)
			ts_policy_doc_free(&carried);
		if (e) {
			snprintf(why, n, "the attach failed (said above)");
			return -1;
		}
		own = 1;
		e = ts_att_open(&fresh, f->att.ifname);
	}
	if (e) {
		snprintf(why, n, "cannot open its pins: %s", strerror(-e));
		return -1;
	}
	/* the rings anew, the new attachment's in place of the old one's (a
	 * ring cannot be taken out of a ring_buffer); the others' records stay
	 * switched as they are */
	for (i = 0, e = 0; i < d->n && !e; i++) {
		const char *what;

		if (&d->ifs[i] == f)
			e = run_iface_rings(f, &fresh, &nrb, 1, &what);
		else
			e = run_iface_rings(&d->ifs[i], &d->ifs[i].att, &nrb, 0, &what);
		if (e)
			snprintf(why, n, "cannot read the rings: %s", strerror(-e));
	}
	if (e) {
		/* (attached, and pinned: the next sweep adopts it, and tries again) */
		ring_buffer__free(nrb);
		ts_att_close(&fresh);
		return -1;
	}
	ring_buffer__consume(*rb); /* what the old one had, logged first */
	pthread_mutex_lock(&d->lock);
	old = f->att;
	f->att = fresh;
	f->have_tally = 0; /* (its tallies were the old tables') */
	pthread_mutex_unlock(&d->lock);
	ts_att_close(&old);
	f->attached_here = own || f->attached_here;
	ring_buffer__free(*rb);
	*rb = nrb;
	snprintf(why, n, "%s, ifindex %u", own ? "attached again" : "adopted the attachment made there",
		 f->att.meta.ifindex);
	return 0;
}

/*
 * Do the pins of each attachment still tell the truth? One gone stale is
 * said once (its numbers stop: the gauge tcpsentry_attached says 0). If its
 * interface was deleted, the one by that name is attached once it is
 * there; on the same interface (a filter or hook of ours removed by
 * someone) nothing is taken back: run does not fight another tool for a
 * hook. One whose pins someone removed (detach) is sweep_all's to say.
 */
static void set_stale(struct daemon *d, struct iface *f, int stale)
{
	pthread_mutex_lock(&d->lock); /* (a scrape reads it) */
	f->stale = stale;
	pthread_mutex_unlock(&d->lock);
}

void run_follow_attachments(struct daemon *d, struct ring_buffer **rb)
{
	struct ts_live l;
	char why[256];
	int i, gone;

	for (i = 0; i < d->n; i++) {
		struct iface *f = &d->ifs[i];

		if (access(f->att.dir, F_OK))
			continue;
		ts_live_read(&f->att, &l);
		if (ts_att_judge(&f->att.meta, &l, why, sizeof(why)) == TS_ATT_LIVE) {
			if (f->stale)
				set_stale(d, f, 0);
			continue;
		}
		gone = !l.ifindex || l.ifindex != f->att.meta.ifindex;
		if (!f->stale) {
			if (gone)
				warn("%s: the attachment is stale: %s; its numbers stop until it "
				     "is attached again, as soon as %s is there\n", f->att.ifname,
				     why, f->att.ifname);
			else
				warn("%s: the attachment is stale: %s; its numbers stop (left so: "
				     "detach and attach to take it back)\n", f->att.ifname, why);
			set_stale(d, f, 1);
		}
		if (!gone || !if_nametoindex(f->att.ifname) || ts_now_ns() < f->retry_at)
			continue;
		if (reattach(d, f, rb, why, sizeof(why))) {
			/* an attach that fails says why each time: not every sweep */
			f->retry_s = f->retry_s ? (f->retry_s < 30 ? 2 * f->retry_s : 60) : 1;
			f->retry_at = ts_now_ns() + f->retry_s * 1000000000ull;
			if (!f->reattach_warned)
				warn("%s: cannot attach it again: %s (retrying, at most a minute "
				     "apart)\n", f->att.ifname, why);
			f->reattach_warned = 1;
			continue;
		}
		notice("%s: %s (pins in %s)\n", f->att.ifname, why, f->att.dir);
		set_stale(d, f, 0);
		f->reattach_warned = 0;
		f->retry_s = f->retry_at = 0;
	}
}
