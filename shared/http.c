/*
 * http.c - the node's public HTTP endpoint (see http.h): the listen
 * address parsed into a socket address, one libmicrohttpd daemon in its
 * own thread with the limits set, the request handler (two paths, GET and
 * HEAD only) and libmicrohttpd's messages routed to log_warn, at most a
 * few a minute so that a flood of bad clients cannot flood the log.
 *
 * The connection limit: libmicrohttpd, at its limit, stops accepting, so
 * idle connections beyond it wait in the kernel's queue and a new client
 * waits behind all of them (100 idle ones, a limit of 8 and a timeout of
 * 1 s: 13 s).  So we count connections ourselves and refuse (close at
 * once) those beyond max_conns, with libmicrohttpd's own limit one above
 * ours as the hard cap: the queue drains at once, and a new client gets
 * in as soon as a connection times out.
 */
#include "http.h"
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#define HTTP_MAX_CONNS 64
#define HTTP_TIMEOUT_S 10
#define HTTP_MEMORY (32 * 1024)	/* per connection: request line, headers */
#define HTTP_LOG_WINDOW_S 60
#define HTTP_LOG_BURST 10	/* messages per window, then counted only */

#define HTTP_FEED_PATH "/announcements.atom"
#define HTTP_HEALTH_PATH "/healthz"
#define HTTP_FEED_TYPE "application/atom+xml; charset=utf-8"
#define HTTP_TEXT_TYPE "text/plain; charset=utf-8"

struct ld_http {
	struct MHD_Daemon *d;
	http_feed_fn feed;
	void *arg;
	unsigned port;
	unsigned max_conns;
	atomic_uint conns;	/* open connections (notify callback) */
	atomic_bool full;	/* refusing: said once till below again */
	pthread_mutex_t mu;	/* the log's state below */
	int64_t log_window;	/* monotonic second the window began */
	unsigned log_count;	/* messages in it */
	unsigned log_dropped;	/* not printed in it */
	char last[LD_ERR_MSG_MAX];	/* the last message (start failures) */
};

/* ---- libmicrohttpd's messages ------------------------------------------ */

static int64_t
http_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Log msg (one line) unless this window's burst is spent; remember it
 * for start failures. */
static void
http_say(struct ld_http *h, const char *msg)
{
	int64_t now = http_mono_s();
	unsigned dropped = 0;
	bool print;

	pthread_mutex_lock(&h->mu);
	snprintf(h->last, sizeof(h->last), "%s", msg);
	if (now - h->log_window >= HTTP_LOG_WINDOW_S) {
		dropped = h->log_dropped;
		h->log_window = now;
		h->log_count = 0;
		h->log_dropped = 0;
	}
	print = h->log_count < HTTP_LOG_BURST;
	if (print)
		h->log_count++;
	else
		h->log_dropped++;
	pthread_mutex_unlock(&h->mu);

	if (dropped > 0)
		log_warn("http", "%u more messages in the last minute not shown",
		    dropped);
	if (print)
		log_warn("http", "%s", msg);
}

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[LD_ERR_MSG_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	http_say(cls, msg);
}

/* ---- the connection limit ---------------------------------------------- */

static void
http_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
    enum MHD_ConnectionNotificationCode what)
{
	struct ld_http *h = cls;

	(void)c;
	(void)socket_ctx;
	if (what == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&h->conns, 1);
	else if (what == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&h->conns, 1);
}

static enum MHD_Result
http_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct ld_http *h = cls;
	char msg[96];

	(void)addr;
	(void)len;
	if (atomic_load(&h->conns) < h->max_conns) {
		atomic_store(&h->full, false);
		return MHD_YES;
	}
	if (!atomic_exchange(&h->full, true)) {
		snprintf(msg, sizeof(msg), "%u connections open (the limit): "
		    "refusing new ones", h->max_conns);
		http_say(h, msg);
	}
	return MHD_NO;
}

/* ---- the listen address ------------------------------------------------ */

static int
http_parse_port(const char *p, const char *listen, unsigned *port,
    struct ld_err *err)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 6; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	if (i == 0 || p[i] != '\0' || v > 65535)
		return err_set(err, LD_EINVAL, "listen address '%s': the port "
		    "is not a number 0..65535", listen);
	*port = v;
	return LD_OK;
}

/* "a.b.c.d:PORT" or "[IPV6]:PORT" into *ss. */
static int
http_parse_listen(const char *listen, struct sockaddr_storage *ss,
    struct ld_err *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *colon;
	unsigned port;
	size_t len;
	int rc;

	memset(ss, 0, sizeof(*ss));
	if (listen == NULL || listen[0] == '\0')
		return err_set(err, LD_EINVAL, "listen address: empty; "
		    "expected a.b.c.d:PORT or [IPv6]:PORT");
	if (listen[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		end = strchr(listen, ']');
		if (end == NULL || end[1] != ':')
			return err_set(err, LD_EINVAL, "listen address '%s': "
			    "expected [IPv6]:PORT", listen);
		len = (size_t)(end - listen - 1);
		if (len >= sizeof(host))
			goto bad_v6;
		memcpy(host, listen + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad_v6;
		if ((rc = http_parse_port(end + 2, listen, &port, err)) != 0)
			return rc;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return LD_OK;
bad_v6:
		return err_set(err, LD_EINVAL, "listen address '%s': not an "
		    "IPv6 address in the brackets", listen);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		colon = strrchr(listen, ':');
		if (colon == NULL)
			return err_set(err, LD_EINVAL, "listen address '%s': "
			    "no port; expected a.b.c.d:PORT or [IPv6]:PORT",
			    listen);
		if (memchr(listen, ':', (size_t)(colon - listen)) != NULL)
			return err_set(err, LD_EINVAL, "listen address '%s': "
			    "an IPv6 address goes in brackets: [IPv6]:PORT",
			    listen);
		len = (size_t)(colon - listen);
		if (len == 0 || len >= sizeof(host))
			goto bad_v4;
		memcpy(host, listen, len);
		host[len] = '\0';
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad_v4;
		if ((rc = http_parse_port(colon + 1, listen, &port, err)) != 0)
			return rc;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return LD_OK;
bad_v4:
		return err_set(err, LD_EINVAL, "listen address '%s': the host "
		    "is not an IPv4 address a.b.c.d (names are not resolved; "
		    "IPv6 goes in brackets)", listen);
	}
}

/* ---- responses --------------------------------------------------------- */

/* Queue r with the given status and content type, then drop our hold. */
static enum MHD_Result
http_queue(struct MHD_Connection *c, unsigned status,
    struct MHD_Response *r, const char *type, const char *allow)
{
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;	/* out of memory: close the connection */
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type)
	    != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache") != MHD_YES ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff")
	    != MHD_YES ||
	    (allow != NULL && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* A one-line text/plain answer; msg is a string constant. */
static enum MHD_Result
http_text(struct MHD_Connection *c, unsigned status, const char *msg,
    const char *allow)
{
	return http_queue(c, status, MHD_create_response_from_buffer(
	    strlen(msg), (void *)(uintptr_t)msg, MHD_RESPMEM_PERSISTENT),
	    HTTP_TEXT_TYPE, allow);
}

static enum MHD_Result
http_feed(struct ld_http *h, struct MHD_Connection *c)
{
	struct ld_err err = { 0, "" };
	char *body = NULL, line[LD_ERR_MSG_MAX + 1];
	size_t len = 0, i;
	int rc;

	rc = h->feed(h->arg, &body, &len, &err);
	if (rc == 0 && body == NULL && len > 0)
		rc = err_set(&err, LD_EINVAL, "the feed provider gave no body");
	if (rc != 0) {
		free(body);
		snprintf(line, sizeof(line), "%s", err.msg[0] != '\0' ?
		    err.msg : err_name(rc));
		for (i = 0; line[i] != '\0'; i++)
			if ((unsigned char)line[i] < 0x20)
				line[i] = ' ';	/* one line */
		{
			char msg[LD_ERR_MSG_MAX + 8];

			snprintf(msg, sizeof(msg), "feed: %s", line);
			http_say(h, msg);	/* rate-limited: clients poll */
		}
		memcpy(line + i, "\n", 2);
		return http_queue(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    MHD_create_response_from_buffer(i + 1, line,
		    MHD_RESPMEM_MUST_COPY), HTTP_TEXT_TYPE, NULL);
	}
	if (body == NULL)
		return http_queue(c, MHD_HTTP_OK,
		    MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT), HTTP_FEED_TYPE, NULL);
	{
		/* from here on libmicrohttpd owns body (free() when done) */
		struct MHD_Response *r = MHD_create_response_from_buffer(len,
		    body, MHD_RESPMEM_MUST_FREE);

		if (r == NULL)
			free(body);
		return http_queue(c, MHD_HTTP_OK, r, HTTP_FEED_TYPE, NULL);
	}
}

/*
 * Every request.  GET and HEAD are answered once the whole request is in
 * (the second call; a body, which they should not have, is read and
 * dropped), so that the connection may be kept alive; any other method
 * at once, when the headers are in (libmicrohttpd then closes the
 * connection rather than read a body).  libmicrohttpd has cut the query
 * string off url.
 */
static enum MHD_Result
http_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static int seen;	/* its address marks a request's first call */
	struct ld_http *h = cls;
	bool feed, get;

	(void)version;
	(void)upload;
	feed = strcmp(url, HTTP_FEED_PATH) == 0;
	get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (get && *con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (get && *upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!feed && strcmp(url, HTTP_HEALTH_PATH) != 0)
		return http_text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	if (!get)
		return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed: only GET and HEAD\n", "GET, HEAD");
	if (!feed)
		return http_text(c, MHD_HTTP_OK, "ok\n", NULL);
	return http_feed(h, c);
}

/* ---- the daemon -------------------------------------------------------- */

int
http_start(struct ld_http **out, const struct ld_http_opts *o,
    struct ld_err *err)
{
	struct sockaddr_storage ss;
	struct ld_http *h;
	const union MHD_DaemonInfo *info;
	unsigned flags, conns, timeout, port;
	int rc;

	*out = NULL;
	if (o == NULL || o->feed == NULL)
		return err_set(err, LD_EINVAL, "http: no feed provider");
	if ((rc = http_parse_listen(o->listen, &ss, err)) != 0)
		return rc;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return err_set(err, LD_ENOMEM, "http: out of memory");
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		return err_set(err, LD_ENOMEM, "http: cannot create a mutex");
	}
	h->feed = o->feed;
	h->arg = o->arg;
	h->log_window = http_mono_s();
	atomic_init(&h->conns, 0);
	atomic_init(&h->full, false);
	conns = o->max_conns > 0 ? o->max_conns : HTTP_MAX_CONNS;
	if (conns > 65536)
		conns = 65536;
	h->max_conns = conns;
	timeout = o->timeout_s > 0 ? o->timeout_s : HTTP_TIMEOUT_S;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* its thread takes no signal: the node's main thread does (the
	 * thread inherits this mask) */
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->d = MHD_start_daemon(flags, (uint16_t)port, http_accept, h,
	    http_handle, h,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, (void *)h,	/* first */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, conns + 1,	/* see the top */
	    MHD_OPTION_NOTIFY_CONNECTION, http_notify, (void *)h,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		rc = err_set(err, LD_EIO, "http: cannot listen on %s: %s",
		    o->listen, h->last[0] != '\0' ? h->last :
		    "libmicrohttpd did not start");
		pthread_mutex_destroy(&h->mu);
		free(h);
		return rc;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : port;
	log_info("http", "serving %s and %s on %s (port %u)", HTTP_FEED_PATH,
	    HTTP_HEALTH_PATH, o->listen, h->port);
	*out = h;
	return LD_OK;
}

unsigned
http_port(const struct ld_http *h)
{
	return h != NULL ? h->port : 0;
}

void
http_stop(struct ld_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
