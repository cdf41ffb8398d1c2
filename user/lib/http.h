/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The /metrics endpoint: libmicrohttpd on its own thread, GET and HEAD of
 * /metrics only. The body comes from a callback run on that thread. */
#ifndef TCPSENTRY_HTTP_H
#define TCPSENTRY_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

/* returns a malloc'd body and its length, or NULL (503) */
typedef char *(*ts_http_body_fn)(void *ctx, size_t *len);

struct ts_http;
/* listen on *addr and serve; NULL with a message printed on failure */
struct ts_http *ts_http_start(const struct sockaddr_storage *addr, ts_http_body_fn fn,
			      void *ctx);
void ts_http_stop(struct ts_http *h);

#endif /* TCPSENTRY_HTTP_H */
