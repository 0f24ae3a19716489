/*
 * test_http.c - the public HTTP endpoint over real TCP: a server on
 * 127.0.0.1:0 with a provider of a small feed, requests written by hand
 * on a plain socket and the responses read back: the feed (also with a
 * query string), HEAD without a body, /healthz, 404, 405 with Allow, 500
 * from a provider error, garbage that does not stop the server, idle
 * connections beyond the limit that do not stop a new request for long,
 * and listen addresses refused with their reason.
 */
#include "testutil.h"

#include "atom.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX (64 * 1024)

static char feed_doc[8192];
static size_t feed_len;
static atomic_int feed_fail;	/* the provider fails when set */
static atomic_int feed_calls;

static int
provider(void *arg, char **body, size_t *len, struct ld_err *err)
{
	(void)arg;
	atomic_fetch_add(&feed_calls, 1);
	if (atomic_load(&feed_fail))
		return err_set(err, LD_EIO, "store: cannot read the snapshot\n"
		    "(second line)");
	*body = malloc(feed_len);
	if (*body == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	memcpy(*body, feed_doc, feed_len);
	*len = feed_len;
	return 0;
}

static struct ld_http *srv;

static void
make_feed(void)
{
	static struct ld_atom_entry e;
	struct ld_atom_feed f = { "LY", "洛阳市110联动服务平台", NULL,
	    1321412700000LL };
	int n;

	strcpy(e.origin, "LY");
	e.seq = 9;
	e.time_ms = 1321412700000LL;
	strcpy(e.ticket, "LY-2011-000123");
	strcpy(e.channel, "website");
	strcpy(e.text, "老城区停水通知 <&>");
	n = atom_write(&f, &e, 1, feed_doc, sizeof(feed_doc));
	assert_true(n > 0);
	feed_len = (size_t)n;
}

static int
setup(void **state)
{
	struct ld_http_opts o = { "127.0.0.1:0", provider, NULL, 8, 1 };
	struct ld_err err = { 0, "" };

	(void)state;
	make_feed();
	atomic_store(&feed_fail, 0);
	atomic_store(&feed_calls, 0);
	assert_int_equal(http_start(&srv, &o, &err), 0);
	assert_true(http_port(srv) > 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	http_stop(srv);
	srv = NULL;
	return 0;
}

/* A socket connected to 127.0.0.1:port, reads time out after ms. */
static int
dial(unsigned port, int ms)
{
	struct sockaddr_in a;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send req (len bytes) on fd, read the response until EOF into out
 * (NUL-terminated); its length, or -1 if the connection failed or the
 * read timed out before anything came. */
static ssize_t
exchange(int fd, const char *req, size_t len, char *out, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (len > 0) {
		n = send(fd, req, len, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the server may close early: read anyway */
		req += n;
		len -= (size_t)n;
	}
	while (got + 1 < cap) {
		n = recv(fd, out + got, cap - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return got > 0 ? (ssize_t)got : -1;
}

/* One request on a fresh connection; the response's length or -1. */
static ssize_t
ask(const char *req, char *out, size_t cap)
{
	int fd = dial(http_port(srv), 5000);

	if (fd < 0)
		return -1;
	return exchange(fd, req, strlen(req), out, cap);
}

/* "GET PATH HTTP/1.1" with Host and Connection: close. */
static ssize_t
ask_method(const char *method, const char *path, char *out, size_t cap)
{
	char req[512];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: ly.example\r\n"
	    "Connection: close\r\n\r\n", method, path);
	return ask(req, out, cap);
}

static int
status_of(const char *resp)
{
	int st = 0;

	if (sscanf(resp, "HTTP/1.%*d %d ", &st) != 1)
		return -1;
	return st;
}

/* The value of header name in resp (into v), or NULL. */
static const char *
header(const char *resp, const char *name, char *v, size_t cap)
{
	const char *end = strstr(resp, "\r\n\r\n"), *p = strstr(resp, "\r\n");
	size_t nl = strlen(name), k;

	while (p != NULL && p < end) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			k = strcspn(p, "\r");
			if (k >= cap)
				k = cap - 1;
			memcpy(v, p, k);
			v[k] = '\0';
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}

static void
check_feed(const char *resp, bool head)
{
	char v[256];

	assert_int_equal(status_of(resp), 200);
	assert_non_null(header(resp, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/atom+xml; charset=utf-8");
	assert_non_null(header(resp, "Cache-Control", v, sizeof(v)));
	assert_string_equal(v, "no-cache");
	assert_non_null(header(resp, "Content-Length", v, sizeof(v)));
	assert_int_equal(strtoul(v, NULL, 10), feed_len);
	if (head)
		assert_string_equal(body_of(resp), "");
	else
		assert_string_equal(body_of(resp), feed_doc);
}

static void
test_feed(void **state)
{
	char *r = malloc(RESP_MAX);

	(void)state;
	assert_non_null(r);
	assert_true(ask_method("GET", "/announcements.atom", r, RESP_MAX) > 0);
	check_feed(r, false);
	assert_true(ask_method("GET", "/announcements.atom?x=1", r,
	    RESP_MAX) > 0);
	check_feed(r, false);
	assert_true(ask_method("HEAD", "/announcements.atom", r, RESP_MAX) > 0);
	check_feed(r, true);
	/* HTTP/1.0 and no Host: the same */
	assert_true(ask("GET /announcements.atom HTTP/1.0\r\n\r\n", r,
	    RESP_MAX) > 0);
	check_feed(r, false);
	/* two requests on one kept-alive connection */
	{
		const char *two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
		    "GET /announcements.atom HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n";
		const char *second;
		int fd = dial(http_port(srv), 5000);

		assert_true(fd >= 0);
		assert_true(exchange(fd, two, strlen(two), r, RESP_MAX) > 0);
		assert_int_equal(status_of(r), 200);
		second = strstr(r, "ok\nHTTP/1.1 ");
		assert_non_null(second);
		check_feed(second + 3, false);
	}
	free(r);
}

static void
test_healthz(void **state)
{
	char r[4096], v[256];

	(void)state;
	assert_true(ask_method("GET", "/healthz", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(header(r, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=utf-8");
	assert_string_equal(body_of(r), "ok\n");
	assert_true(ask_method("HEAD", "/healthz?probe=1", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(header(r, "Content-Length", v, sizeof(v)), "3");
	assert_string_equal(body_of(r), "");
	assert_int_equal(atomic_load(&feed_calls), 0);
}

static void
test_not_found(void **state)
{
	static const char *paths[] = { "/", "/announcements", "/healthz/",
	    "/announcements.atom/x", "/ANNOUNCEMENTS.ATOM", "/healthzz",
	    "//healthz", "/announcements.xml?/announcements.atom" };
	char r[4096], v[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_true(ask_method("GET", paths[i], r, sizeof(r)) > 0);
		assert_int_equal(status_of(r), 404);
		assert_string_equal(header(r, "Content-Type", v, sizeof(v)),
		    "text/plain; charset=utf-8");
		assert_string_equal(body_of(r), "not found\n");
	}
	/* whatever the method */
	assert_true(ask_method("DELETE", "/nope", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 404);
}

static void
test_method(void **state)
{
	static const char *methods[] = { "POST", "PUT", "DELETE", "OPTIONS",
	    "PATCH", "TRACE", "get" };
	char r[4096], v[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		assert_true(ask_method(methods[i], i % 2 ? "/healthz" :
		    "/announcements.atom", r, sizeof(r)) > 0);
		assert_int_equal(status_of(r), 405);
		assert_non_null(header(r, "Allow", v, sizeof(v)));
		assert_string_equal(v, "GET, HEAD");
		assert_string_equal(header(r, "Content-Type", v, sizeof(v)),
		    "text/plain; charset=utf-8");
		assert_string_equal(body_of(r),
		    "method not allowed: only GET and HEAD\n");
	}
	/* a POST with a body: answered, the body never read */
	assert_true(ask("POST /announcements.atom HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nhello", r,
	    sizeof(r)) > 0);
	assert_int_equal(status_of(r), 405);
	assert_int_equal(atomic_load(&feed_calls), 0);
}

static void
test_provider_error(void **state)
{
	char r[4096], v[256];

	(void)state;
	atomic_store(&feed_fail, 1);
	assert_true(ask_method("GET", "/announcements.atom", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 500);
	assert_string_equal(header(r, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=utf-8");
	assert_string_equal(body_of(r), "store: cannot read the snapshot "
	    "(second line)\n");
	/* health does not depend on the feed */
	assert_true(ask_method("GET", "/healthz", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 200);
	atomic_store(&feed_fail, 0);
	assert_true(ask_method("GET", "/announcements.atom", r, sizeof(r)) > 0);
	check_feed(r, false);
}

static void
test_garbage(void **state)
{
	static const char *junk[] = {
		"GARBAGE\r\n\r\n",
		"\x01\x02\xff\xfe\r\n\r\n",
		"GET\r\n\r\n",
		"GET /healthz\r\n\r\n",
		"GET /healthz HTTP/9.9\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"\r\n\r\n\r\n",
		"GET /announcements.atom HTTP/1.1\r\nHost: x",	/* unfinished */
		"",
	};
	char *r = malloc(RESP_MAX), *big;
	size_t i, n = 100 * 1024;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		(void)ask(junk[i], r, RESP_MAX);	/* any answer, or none */
		assert_true(ask_method("GET", "/healthz", r, RESP_MAX) > 0);
		assert_int_equal(status_of(r), 200);
	}
	/* a request line and headers beyond the memory limit */
	big = malloc(n + 64);
	assert_non_null(big);
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', n);
	strcpy(big + 5 + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	(void)ask(big, r, RESP_MAX);
	assert_true(ask_method("GET", "/healthz", r, RESP_MAX) > 0);
	assert_int_equal(status_of(r), 200);
	snprintf(big, n, "GET /healthz HTTP/1.1\r\nX-Big: ");
	i = strlen(big);
	memset(big + i, 'b', n - i - 8);
	strcpy(big + n - 8, "\r\n\r\n");
	(void)ask(big, r, RESP_MAX);
	assert_true(ask_method("GET", "/announcements.atom", r, RESP_MAX) > 0);
	check_feed(r, false);
	free(big);
	free(r);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100 connections opened and left idle (the limit is 8, the timeout
 * 1 s): a new request is still answered, after a while at worst. */
static void
test_idle(void **state)
{
	int idle[100], fd, tries = 0;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	char r[8192];
	double t0 = now_s();
	bool ok = false;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		idle[i] = dial(http_port(srv), 100);
		assert_true(idle[i] >= 0);
	}
	while (!ok && now_s() - t0 < 60) {
		const char *req = "GET /announcements.atom HTTP/1.1\r\n"
		    "Host: x\r\nConnection: close\r\n\r\n";

		if (tries++ > 0)
			nanosleep(&pause, NULL);
		fd = dial(http_port(srv), 30000);
		if (fd < 0)
			continue;
		if (exchange(fd, req, strlen(req), r, sizeof(r)) > 0 &&
		    status_of(r) == 200) {
			check_feed(r, false);
			ok = true;
		}
	}
	print_message("idle: answered after %.1f s, %d tries\n", now_s() - t0,
	    tries);
	assert_true(ok);
	for (i = 0; i < 100; i++)
		close(idle[i]);
	/* and at once once they are gone */
	assert_true(ask_method("GET", "/healthz", r, sizeof(r)) > 0);
	assert_int_equal(status_of(r), 200);
}

static void
test_listen(void **state)
{
	static const char *bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:8x", "127.0.0.1:80 ",
		"127.0.0.1:1234567", ":8110", "localhost:8110", "::1:8110",
		"[::1]", "[::1]8110", "[::1:8110", "[zz]:8110",
		"[127.0.0.1]:8110", "1.2.3:8110", "256.1.1.1:8110",
		"1.2.3.4.5:8110", " 127.0.0.1:8110",
	};
	struct ld_http_opts o = { NULL, provider, NULL, 0, 0 };
	struct ld_http *h = (struct ld_http *)&o;
	struct ld_err err;
	char addr[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.listen = bad[i];
		err_clear(&err);
		assert_int_equal(http_start(&h, &o, &err), LD_EINVAL);
		assert_null(h);
		assert_int_equal(err.code, LD_EINVAL);
		assert_true(strlen(err.msg) > 0);
		if (bad[i][0] != '\0')
			assert_non_null(strstr(err.msg, bad[i]));
	}
	o.listen = NULL;
	assert_int_equal(http_start(&h, &o, &err), LD_EINVAL);
	assert_string_equal(err.msg, "listen address: empty; expected "
	    "a.b.c.d:PORT or [IPv6]:PORT");
	o.listen = "127.0.0.1:http";
	assert_int_equal(http_start(&h, &o, &err), LD_EINVAL);
	assert_string_equal(err.msg, "listen address '127.0.0.1:http': the "
	    "port is not a number 0..65535");
	o.listen = "localhost:8110";
	assert_int_equal(http_start(&h, &o, &err), LD_EINVAL);
	assert_string_equal(err.msg, "listen address 'localhost:8110': the "
	    "host is not an IPv4 address a.b.c.d (names are not resolved; "
	    "IPv6 goes in brackets)");
	o.listen = "127.0.0.1:0";
	o.feed = NULL;
	assert_int_equal(http_start(&h, &o, &err), LD_EINVAL);
	o.feed = provider;

	/* the port in use (by the fixture's server): LD_EIO and why */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", http_port(srv));
	o.listen = addr;
	assert_int_equal(http_start(&h, &o, &err), LD_EIO);
	assert_null(h);
	print_message("in use: %s\n", err.msg);
	assert_memory_equal(err.msg, "http: cannot listen on ", 23);
	assert_non_null(strstr(err.msg, addr));
	/* an address not ours */
	o.listen = "192.0.2.1:0";
	assert_int_equal(http_start(&h, &o, &err), LD_EIO);
	print_message("not ours: %s\n", err.msg);

	/* IPv6 loopback, where the machine has it */
	o.listen = "[::1]:0";
	if (http_start(&h, &o, &err) == 0) {
		struct sockaddr_in6 a;
		char r[4096];
		int fd = socket(AF_INET6, SOCK_STREAM, 0);
		const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n";

		assert_true(http_port(h) > 0);
		memset(&a, 0, sizeof(a));
		a.sin6_family = AF_INET6;
		a.sin6_port = htons((uint16_t)http_port(h));
		a.sin6_addr = in6addr_loopback;
		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)),
		    0);
		assert_true(exchange(fd, req, strlen(req), r, sizeof(r)) > 0);
		assert_int_equal(status_of(r), 200);
		http_stop(h);
	} else {
		print_message("no IPv6 loopback here: %s\n", err.msg);
		assert_int_equal(err.code, LD_EIO);
	}
	http_stop(NULL);
	assert_int_equal(http_port(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
