/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Leveled logging to stderr; libbpf's own output is routed through it. */
#ifndef TCPSENTRY_LOG_H
#define TCPSENTRY_LOG_H

enum ts_log_level { TS_LOG_ERR = 0, TS_LOG_WARN, TS_LOG_INFO, TS_LOG_DEBUG };

extern int ts_log_level;
void ts_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* route libbpf's messages through ts_log (debug only at -v -v) */
void ts_log_setup_libbpf(void);

#define err(...) ts_log(TS_LOG_ERR, __VA_ARGS__)
#define warn(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define info(...) ts_log(TS_LOG_INFO, __VA_ARGS__)
#define dbg(...) ts_log(TS_LOG_DEBUG, __VA_ARGS__)

#endif /* TCPSENTRY_LOG_H */
