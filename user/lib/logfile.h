/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A JSON-lines log a daemon appends to: a file, reopened on SIGHUP so that
 * logrotate can move it away (no copytruncate needed), or stdout (journald).
 * Line-buffered: a reader never sees half a line.
 */
#ifndef TCPSENTRY_LOGFILE_H
#define TCPSENTRY_LOGFILE_H

#include <stdio.h>

struct ts_logfile {
	const char *path;    /* NULL or "-": stdout */
	FILE *f;
};

/* open (or, open already, reopen) the log: 0, or -1 with the reason on
 * stderr (an open log stays as it was) */
int ts_logfile_open(struct ts_logfile *l);
void ts_logfile_close(struct ts_logfile *l);
/* 1: it is a file (SIGHUP reopens it) */
int ts_logfile_is_file(const struct ts_logfile *l);

#endif /* TCPSENTRY_LOGFILE_H */
