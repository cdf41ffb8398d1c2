/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Why a BPF object did not load. libbpf prints the verifier's log through
 * its print callback; between ts_loadlog_begin() and ts_loadlog_end() that
 * log is kept (whatever the -v level), so a rejection can be told apart
 * from missing privileges and reported with the verifier's own reason.
 */
#ifndef TCPSENTRY_LOADLOG_H
#define TCPSENTRY_LOADLOG_H

#include <stddef.h>

void ts_loadlog_begin(void);
void ts_loadlog_end(void);

/*
 * After a failed load (errno e): one message on stderr saying what failed:
 * "the kernel's verifier rejected program 'P': <its reason, a few lines>",
 * or missing privileges (EPERM without a verifier log), or the plain error.
 * Returns 1 (the exit status).
 */
int ts_loadlog_report(const char *what, int e);

/* the verifier's reason, for tests: the last lines of the kept log that
 * are not instructions or statistics; "" if none was kept */
const char *ts_loadlog_reason(void);
const char *ts_loadlog_prog(void);
/* the reason's last line (the verifier's own words), trimmed; "" if none */
void ts_loadlog_last_line(char *buf, size_t len);

#endif /* TCPSENTRY_LOADLOG_H */
