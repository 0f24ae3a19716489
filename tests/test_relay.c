/*
 * test_relay.c - the TCP relay (shared/relay.h) between sockets of the
 * test's own on loopback (every port the kernel's pick: nothing collides
 * with other runs):
 *
 *   t_pass        bytes both ways, 4 MiB each way at once through a
 *                 slow reader (partial writes), a half-close passed on
 *   t_blackhole   nothing arrives either way, no connection is closed or
 *                 reset, a new one is taken into the hole; heal with a
 *                 drop, and a new connection passes again
 *   t_refuse      connections held are closed (FIN, or reset with rst),
 *                 new ones are reset at once; then pass again
 *   t_drop        a switch with drop closes what is held (FIN, reset);
 *                 without drop a pair resumes after the hole
 *   t_target_down the target refuses: the client is reset
 *   t_limit       the bound: one more connection is reset at once
 *   t_two         two relays in one process, each its own mode
 *   t_bad_start   a busy port (the message), bad arguments
 *   t_stop_open   stop with connections open (pass and hole): every
 *                 peer sees the end, no descriptor is left open
 *
 * Waits are bounded and poll; "nothing arrives" is checked over 300 ms.
 */
#include "testutil.h"

#include "ltime.h"
#include "relay.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 10000		/* for what must happen */
#define QUIET_MS 300		/* for what must not */

static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* A listening socket on 127.0.0.1, its port in *port. */
static int
listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
conn(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("connect 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

/* Is fd readable (data, end or error) within ms? */
static bool
ready(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int64_t end = ltime_mono_ms() + ms;

	for (;;) {
		int rc, left = (int)(end - ltime_mono_ms());

		rc = poll(&p, 1, left > 0 ? left : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc > 0;
	}
}

/* The connection the relay made to the target. */
static int
acc(int lfd)
{
	int fd;

	if (!ready(lfd, WAIT_MS))
		fail_msg("the relay did not connect to the target");
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Exactly s arrives on fd. */
static void
expect(int fd, const char *s)
{
	size_t n = strlen(s), got = 0;
	char buf[256];

	assert_true(n < sizeof(buf));
	while (got < n) {
		ssize_t r;

		if (!ready(fd, WAIT_MS))
			fail_msg("'%s' did not arrive (%zu of %zu bytes)", s,
			    got, n);
		r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			fail_msg("'%s': the connection ended (%s)", s,
			    r < 0 ? strerror(errno) : "EOF");
		got += (size_t)r;
	}
	assert_memory_equal(buf, s, n);
}

/* How fd ends within WAIT_MS: 0 for a FIN, ECONNRESET for a reset. */
static int
ends(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t r;

		if (!ready(fd, WAIT_MS))
			fail_msg("the connection did not end");
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0)
			return 0;
		if (r < 0)
			return errno;
	}
}

/* Nothing arrives on fd for QUIET_MS, and it stays open. */
static void
quiet(int fd)
{
	if (ready(fd, QUIET_MS)) {
		char c;
		ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);

		fail_msg("expected silence, got %s", r > 0 ? "data" :
		    r == 0 ? "EOF" : strerror(errno));
	}
}

static struct ld_relay_stats
stats(struct ld_relay *r)
{
	struct ld_relay_stats st;

	relay_stats(r, &st);
	return st;
}

/* Wait until the relay holds `open` connections. */
static void
wait_open(struct ld_relay *r, int open)
{
	int64_t end = ltime_mono_ms() + WAIT_MS;

	while (stats(r).open != open) {
		if (ltime_mono_ms() > end)
			fail_msg("the relay holds %d connections, not %d",
			    stats(r).open, open);
		poll(NULL, 0, 10);
	}
}

/* Wait until stats(r).field == want (the relay thread publishes its
 * counters after the poll round that moved them). */
#define wait_stat(r, field, want) do {					\
	int64_t end_ = ltime_mono_ms() + WAIT_MS;				\
	while (stats(r).field != (want) && ltime_mono_ms() < end_)		\
		poll(NULL, 0, 10);					\
	assert_int_equal(stats(r).field, (want));			\
} while (0)

static struct ld_relay *
start(int target)
{
	struct ld_relay *r = NULL;
	struct ld_err e = { 0 };

	if (relay_start(&r, NULL, 0, target, &e) != 0)
		fail_msg("%s", e.msg);
	assert_non_null(r);
	assert_true(relay_port(r) > 0);
	return r;
}

/* ---- tests --------------------------------------------------------------- */

/* len bytes of a pattern that depends on the offset and the seed */
static unsigned char
pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131 + seed + (i >> 12)) & 0xff);
}

/* 4 MiB each way at once, the target reading in small pieces: the relay
 * must hold what it cannot write and come back to it. */
static void
bulk_both_ways(int a, int b)
{
	const size_t total = 4u << 20;
	size_t sent[2] = { 0 }, got[2] = { 0 };
	int fd[2] = { a, b };
	static unsigned char buf[65536];
	int64_t end = ltime_mono_ms() + 6 * WAIT_MS;

	for (int s = 0; s < 2; s++)
		fcntl(fd[s], F_SETFL, fcntl(fd[s], F_GETFL) | O_NONBLOCK);
	while (got[0] < total || got[1] < total) {
		struct pollfd p[2];

		if (ltime_mono_ms() > end)
			fail_msg("bulk: %zu and %zu of %zu bytes arrived",
			    got[0], got[1], total);
		for (int s = 0; s < 2; s++)
			p[s] = (struct pollfd){ fd[s], POLLIN |
			    (sent[s] < total ? POLLOUT : 0), 0 };
		if (poll(p, 2, 100) < 0)
			continue;
		for (int s = 0; s < 2; s++) {
			/* side s writes (seed s), reads what !s wrote */
			if ((p[s].revents & POLLOUT) && sent[s] < total) {
				size_t n = total - sent[s];
				ssize_t w;

				if (n > sizeof(buf))
					n = sizeof(buf);
				for (size_t i = 0; i < n; i++)
					buf[i] = pat(sent[s] + i, (unsigned)s);
				w = send(fd[s], buf, n, MSG_NOSIGNAL);
				if (w > 0)
					sent[s] += (size_t)w;
				else if (w < 0 && errno != EAGAIN)
					fail_msg("bulk send: %s", strerror(errno));
			}
			if (p[s].revents & (POLLIN | POLLHUP | POLLERR)) {
				/* b reads slowly: 1 KiB at a time */
				size_t want = s == 1 ? 1024 : sizeof(buf);
				ssize_t r = recv(fd[s], buf, want, 0);

				if (r == 0)
					fail_msg("bulk: EOF");
				if (r < 0 && errno != EAGAIN)
					fail_msg("bulk recv: %s", strerror(errno));
				for (ssize_t i = 0; i < r; i++)
					if (buf[i] != pat(got[s] + (size_t)i,
					    (unsigned)!s))
						fail_msg("bulk: byte %zu differs",
						    got[s] + (size_t)i);
				if (r > 0)
					got[s] += (size_t)r;
			}
		}
	}
	for (int s = 0; s < 2; s++)
		fcntl(fd[s], F_SETFL, fcntl(fd[s], F_GETFL) & ~O_NONBLOCK);
}

static void
t_pass(void **state)
{
	int tport, lfd = listener(&tport), fds = fd_count();
	struct ld_relay *r = start(tport);
	int a = conn(relay_port(r)), b = acc(lfd);
	struct ld_relay_stats st;

	(void)state;
	put(a, "hello");
	expect(b, "hello");
	put(b, "world");
	expect(a, "world");
	bulk_both_ways(a, b);
	wait_stat(r, passed, 10 + (8u << 20));
	st = stats(r);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.mode, LD_RELAY_PASS);
	/* a half-close is passed on; the other way still works */
	assert_int_equal(shutdown(a, SHUT_WR), 0);
	assert_int_equal(ends(b), 0);
	put(b, "after your FIN");
	expect(a, "after your FIN");
	close(b);
	assert_int_equal(ends(a), 0);
	close(a);
	wait_open(r, 0);
	relay_stop(r);
	close(lfd);
	assert_int_equal(fd_count(), fds - 1);
}

static void
t_blackhole(void **state)
{
	int tport, lfd = listener(&tport);
	struct ld_relay *r = start(tport);
	int a = conn(relay_port(r)), b = acc(lfd), c;
	struct ld_relay_stats st;

	(void)state;
	put(a, "before");
	expect(b, "before");
	assert_int_equal(relay_set(r, LD_RELAY_BLACKHOLE, false, false), 0);
	assert_int_equal(stats(r).mode, LD_RELAY_BLACKHOLE);
	put(a, "into the hole");
	put(b, "out of the hole");
	quiet(b);
	quiet(a);
	/* still open: more can be written, still nothing arrives */
	put(a, "more");
	quiet(b);
	/* a new connection is taken, but never reaches the target */
	c = conn(relay_port(r));
	put(c, "new");
	wait_open(r, 2);
	assert_false(ready(lfd, QUIET_MS));
	quiet(c);
	st = stats(r);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.refused, 0);
	wait_stat(r, swallowed, strlen("into the hole") +
	    strlen("out of the hole") + strlen("more") + strlen("new"));
	assert_int_equal(stats(r).passed, strlen("before"));

	/* heal: what was held is closed, a new connection passes */
	assert_int_equal(relay_set(r, LD_RELAY_PASS, true, false), 0);
	assert_int_equal(ends(a), 0);
	assert_int_equal(ends(b), 0);
	assert_int_equal(ends(c), 0);
	close(a);
	close(b);
	close(c);
	a = conn(relay_port(r));
	b = acc(lfd);
	put(a, "again");
	expect(b, "again");
	put(b, "and back");
	expect(a, "and back");
	st = stats(r);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.open, 1);
	close(a);
	close(b);
	relay_stop(r);
	close(lfd);
}

static void
t_refuse(void **state)
{
	int tport, lfd = listener(&tport);
	struct ld_relay *r = start(tport);
	int a = conn(relay_port(r)), b = acc(lfd), e;

	(void)state;
	/* held connections are closed with a FIN */
	assert_int_equal(relay_set(r, LD_RELAY_REFUSE, false, false), 0);
	assert_int_equal(ends(a), 0);
	assert_int_equal(ends(b), 0);
	close(a);
	close(b);
	assert_int_equal(stats(r).open, 0);
	/* a new one: the kernel completes the handshake, the relay resets */
	for (int i = 0; i < 3; i++) {
		a = conn(relay_port(r));
		assert_int_equal(ends(a), ECONNRESET);
		close(a);
	}
	assert_false(ready(lfd, QUIET_MS));
	wait_stat(r, refused, 3);
	/* with rst, held connections are reset */
	assert_int_equal(relay_set(r, LD_RELAY_PASS, false, false), 0);
	a = conn(relay_port(r));
	b = acc(lfd);
	put(a, "x");
	expect(b, "x");
	assert_int_equal(relay_set(r, LD_RELAY_REFUSE, false, true), 0);
	e = ends(a);
	assert_int_equal(e, ECONNRESET);
	assert_int_equal(ends(b), ECONNRESET);
	close(a);
	close(b);
	assert_int_equal(stats(r).dropped, 2);
	relay_stop(r);
	close(lfd);
}

static void
t_drop(void **state)
{
	int tport, lfd = listener(&tport);
	struct ld_relay *r = start(tport);
	int a = conn(relay_port(r)), b = acc(lfd);

	(void)state;
	/* pass -> pass, drop with a FIN */
	assert_int_equal(relay_set(r, LD_RELAY_PASS, true, false), 0);
	assert_int_equal(ends(a), 0);
	assert_int_equal(ends(b), 0);
	close(a);
	close(b);
	/* drop with a reset */
	a = conn(relay_port(r));
	b = acc(lfd);
	assert_int_equal(relay_set(r, LD_RELAY_BLACKHOLE, true, true), 0);
	assert_int_equal(ends(a), ECONNRESET);
	assert_int_equal(ends(b), ECONNRESET);
	close(a);
	close(b);
	/* without drop: a pair resumes after the hole (what the hole took
	 * is lost) */
	assert_int_equal(relay_set(r, LD_RELAY_PASS, false, false), 0);
	a = conn(relay_port(r));
	b = acc(lfd);
	assert_int_equal(relay_set(r, LD_RELAY_BLACKHOLE, false, false), 0);
	put(a, "lost");
	quiet(b);
	assert_int_equal(relay_set(r, LD_RELAY_PASS, false, false), 0);
	put(a, "found");
	expect(b, "found");
	put(b, "back");
	expect(a, "back");
	assert_int_equal(stats(r).dropped, 2);
	assert_int_equal(relay_set(r, (enum ld_relay_mode)7, false, false),
	    LD_EINVAL);
	close(a);
	close(b);
	relay_stop(r);
	close(lfd);
}

static void
t_target_down(void **state)
{
	int tport, lfd = listener(&tport), a;
	struct ld_relay *r;

	(void)state;
	close(lfd);		/* nobody listens on tport now */
	r = start(tport);
	a = conn(relay_port(r));
	assert_int_equal(ends(a), ECONNRESET);
	close(a);
	wait_stat(r, refused, 1);
	assert_int_equal(stats(r).accepted, 0);
	relay_stop(r);
}

static void
t_limit(void **state)
{
	int tport, lfd = listener(&tport), a[4], b[4], x;
	struct ld_relay *r = start(tport);

	(void)state;
	assert_int_equal(relay_set_limit(r, 0), LD_EINVAL);
	assert_int_equal(relay_set_limit(r, LD_RELAY_CONN_MAX + 1), LD_EINVAL);
	assert_int_equal(relay_set_limit(r, 3), 0);
	for (int i = 0; i < 3; i++) {
		a[i] = conn(relay_port(r));
		b[i] = acc(lfd);
	}
	x = conn(relay_port(r));
	assert_int_equal(ends(x), ECONNRESET);
	close(x);
	assert_false(ready(lfd, QUIET_MS));
	wait_stat(r, over_limit, 1);
	/* the ones held still pass */
	for (int i = 0; i < 3; i++) {
		put(a[i], "still");
		expect(b[i], "still");
	}
	/* one ends: there is room again */
	close(a[0]);
	assert_int_equal(ends(b[0]), 0);
	close(b[0]);
	wait_open(r, 2);
	a[3] = conn(relay_port(r));
	b[3] = acc(lfd);
	put(b[3], "room");
	expect(a[3], "room");
	for (int i = 1; i < 4; i++) {
		close(a[i]);
		close(b[i]);
	}
	relay_stop(r);
	close(lfd);
}

static void
t_two(void **state)
{
	int p1, p2, l1 = listener(&p1), l2 = listener(&p2);
	struct ld_relay *r1 = start(p1), *r2 = start(p2);
	int a1 = conn(relay_port(r1)), b1 = acc(l1);
	int a2 = conn(relay_port(r2)), b2 = acc(l2);

	(void)state;
	assert_int_not_equal(relay_port(r1), relay_port(r2));
	put(a1, "one");
	put(a2, "two");
	expect(b1, "one");
	expect(b2, "two");
	assert_int_equal(relay_set(r1, LD_RELAY_BLACKHOLE, false, false), 0);
	put(a1, "cut");
	put(a2, "fine");
	expect(b2, "fine");
	quiet(b1);
	assert_int_equal(stats(r1).mode, LD_RELAY_BLACKHOLE);
	assert_int_equal(stats(r2).mode, LD_RELAY_PASS);
	wait_stat(r2, passed, strlen("two") + strlen("fine"));
	assert_int_equal(relay_set(r2, LD_RELAY_REFUSE, false, true), 0);
	assert_int_equal(ends(a2), ECONNRESET);
	put(a1, "open");	/* r1's connection is untouched */
	quiet(a1);
	close(a1);
	close(b1);
	close(a2);
	close(b2);
	relay_stop(r2);
	relay_stop(r1);
	close(l1);
	close(l2);
}

static void
t_bad_start(void **state)
{
	int port, lfd = listener(&port), fds = fd_count();
	struct ld_relay *r = (struct ld_relay *)&r;
	struct ld_err e = { 0 };
	char want[128];

	(void)state;
	assert_int_equal(relay_start(&r, "127.0.0.1", port, 9, &e), LD_EBUSY);
	assert_null(r);
	snprintf(want, sizeof(want), "relay: bind 127.0.0.1:%d: %s", port,
	    strerror(EADDRINUSE));
	assert_string_equal(e.msg, want);
	assert_int_equal(e.code, LD_EBUSY);
	assert_int_equal(fd_count(), fds);

	assert_int_equal(relay_start(&r, "localhost", 0, 9, &e), LD_EINVAL);
	assert_string_equal(e.msg,
	    "relay: 'localhost' is not a numeric IPv4 address");
	assert_int_equal(relay_start(&r, NULL, 70000, 9, &e), LD_EINVAL);
	assert_int_equal(relay_start(&r, NULL, 0, 0, &e), LD_EINVAL);
	assert_string_equal(e.msg, "relay: target port 0 out of range");
	assert_int_equal(relay_start(NULL, NULL, 0, 9, &e), LD_EINVAL);
	assert_int_equal(relay_start(&r, NULL, 0, 9, NULL), 0);	/* no err */
	relay_stop(r);
	relay_stop(NULL);
	assert_int_equal(fd_count(), fds);
	close(lfd);
}

static void
t_stop_open(void **state)
{
	int tport, lfd = listener(&tport), fds = fd_count();
	struct ld_relay *r = start(tport);
	int a[8], b[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		a[i] = conn(relay_port(r));
		b[i] = acc(lfd);
		put(a[i], "x");
		expect(b[i], "x");
	}
	assert_int_equal(relay_set(r, LD_RELAY_BLACKHOLE, false, false), 0);
	for (int i = 4; i < 8; i++)
		a[i] = conn(relay_port(r));
	wait_open(r, 8);
	relay_stop(r);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(ends(a[i]), ECONNRESET);
		close(a[i]);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ends(b[i]), ECONNRESET);
		close(b[i]);
	}
	assert_int_equal(fd_count(), fds);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pass),
		cmocka_unit_test(t_blackhole),
		cmocka_unit_test(t_refuse),
		cmocka_unit_test(t_drop),
		cmocka_unit_test(t_target_down),
		cmocka_unit_test(t_limit),
		cmocka_unit_test(t_two),
		cmocka_unit_test(t_bad_start),
		cmocka_unit_test(t_stop_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
