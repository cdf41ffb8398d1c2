// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /metrics over HTTP with libmicrohttpd (its internal polling thread): a
 * scrape is one short GET, so one thread serving connections in turn is
 * plenty. We make and bind the listening socket ourselves, so a busy port
 * is reported with its errno, then hand it to the library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "format.h"
#include "http.h"
#include "log.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct ts_http {
	struct MHD_Daemon *d;
	ts_http_body_fn fn;
	void *ctx;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	static const char index_body[] =
		"tcpsentry: Prometheus metrics at /metrics\n";
	static const char not_found[] = "not found: try /metrics\n";
	static const char not_allowed[] = "only GET and HEAD\n";
	struct ts_http *h = cls;
	char *body;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_size = 0;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (char *)not_allowed,
			     sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT);
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain", (char *)index_body,
			     sizeof(index_body) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", (char *)not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	body = h->fn(h->ctx, &len);
	if (!body)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			     (char *)"cannot read the counters\n", 25, MHD_RESPMEM_PERSISTENT);
	return reply(c, MHD_HTTP_OK, CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
}

struct ts_http *ts_http_start(const struct sockaddr_storage *addr, ts_http_body_fn fn,
			      void *ctx)
{
	socklen_t alen = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						       sizeof(struct sockaddr_in);
	struct ts_http *h = calloc(1, sizeof(*h));
	char where[80];
	int fd, one = 1;

	ts_fmt_sockaddr(where, sizeof(where), addr);
	if (!h)
		return NULL;
	h->fn = fn;
	h->ctx = ctx;
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, alen) || listen(fd, 64)) {
		err("cannot listen on %s for metrics: %s\n", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(h);
		return NULL;
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
					(addr->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, 32u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_END);
	if (!h->d) {
		err("cannot start the HTTP server on %s\n", where);
		close(fd);
		free(h);
		return NULL;
	}
	return h;
}

void ts_http_stop(struct ts_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listening socket */
	free(h);
}
