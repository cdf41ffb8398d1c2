// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Append-only JSON-lines logs: see logfile.h. */
#include <errno.h>
#include <string.h>
#include "log.h"
#include "logfile.h"

int ts_logfile_is_file(const struct ts_logfile *l)
{
	return l->path && strcmp(l->path, "-");
}

int ts_logfile_open(struct ts_logfile *l)
{
	FILE *f;

	if (!ts_logfile_is_file(l)) {
		l->f = stdout;
		setvbuf(stdout, NULL, _IOLBF, 0);
		return 0;
	}
	f = fopen(l->path, "ae");
	if (!f) {
		err("cannot open %s: %s\n", l->path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (l->f && l->f != stdout)
		fclose(l->f);
	l->f = f;
	return 0;
}

void ts_logfile_close(struct ts_logfile *l)
{
	if (l->f && l->f != stdout)
		fclose(l->f);
	else if (l->f)
		fflush(l->f);
	l->f = NULL;
}
