/*
 * http.h - the node's small public HTTP endpoint (libmicrohttpd): the
 * announcements feed, read-only, no cookies, no client input but the
 * path (issue 7).
 *
 *   GET /announcements.atom   200, Content-Type: application/atom+xml;
 *                             charset=utf-8 (the body from the provider)
 *   GET /healthz              200, text/plain "ok\n"
 *   HEAD of both              the same headers, no body
 *   anything else             404 (unknown path) or 405 (other method),
 *                             text/plain, a one-line reason
 *
 * The server runs in libmicrohttpd's own thread (MHD_USE_INTERNAL_POLLING_
 * THREAD), with a connection limit, a per-connection timeout and a
 * memory limit, so slow or hostile clients cannot hold the node; it only
 * calls the provider, which must be thread-safe (it reads a store
 * snapshot).
 */
#ifndef LD_HTTP_H
#define LD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ld_http;

/* Fill *body (malloc'd; the server frees it) and *len with the feed; 0 or
 * an LD_E* code (then 500 with the error's message). */
typedef int (*http_feed_fn)(void *arg, char **body, size_t *len,
    struct ld_err *err);

struct ld_http_opts {
	const char *listen;	/* "127.0.0.1:8110", "[::1]:8110", "0.0.0.0:8110" */
	http_feed_fn feed;
	void *arg;
	unsigned max_conns;	/* 0: 64 */
	unsigned timeout_s;	/* per connection, 0: 10 */
};

/* Start serving.  Errors: LD_EINVAL (a listen address that is not
 * HOST:PORT, with the reason), LD_EIO (cannot bind: the reason). */
int http_start(struct ld_http **out, const struct ld_http_opts *o,
    struct ld_err *err);
/* The port actually bound (for listen ":0" in tests). */
unsigned http_port(const struct ld_http *h);
void http_stop(struct ld_http *h);

#endif
