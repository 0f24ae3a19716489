/* relay.c - a TCP relay in a thread (see relay.h). */
#include "relay.h"
#include "ltime.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUF 16384		/* bytes in flight per direction */
#define RELAY_CONNECT_MS 1000	/* to connect to the target */
#define RELAY_ANSWER_S 10	/* relay_set waits this long for the thread */
#define RELAY_ACCEPT_BURST 64	/* accepts per poll round */
#define RELAY_PAUSE_MS 100	/* no accept after EMFILE and the like */

/* Bytes read from one side and not yet written to the other. */
struct relay_dir {
	size_t off, len;
	char buf[RELAY_BUF];
};

struct relay_pair {
	int fd[2];		/* [0] the accepted side, [1] the target side
				 * (-1: none: accepted into the hole) */
	bool eof[2];		/* side s sent its FIN */
	bool shut[2];		/* we sent side s our FIN */
	struct relay_dir d[2];	/* d[s]: from side s to side !s */
};

/* What the thread counted since it last published its counters. */
struct relay_count {
	uint64_t accepted, refused, over_limit, dropped, passed, swallowed;
};

struct ld_relay {
	pthread_t th;
	int lfd, port;
	struct sockaddr_in target;
	int wake[2];		/* a pipe: control calls write, the thread reads */
	char where[48];		/* "127.0.0.1:7101", for messages */

	pthread_mutex_t mu;	/* guards what follows up to the thread's own */
	pthread_cond_t cv;	/* done moved */
	enum ld_relay_mode want;
	bool drop, rst, quit;
	unsigned asked, done;
	int conn_max;
	struct ld_relay_stats st;

	/* the thread's own */
	enum ld_relay_mode mode;
	struct relay_pair *pairs[LD_RELAY_CONN_MAX];
	int n;
	bool full;		/* the bound was logged in this episode */
	bool target_down;	/* a failed connect to the target was logged */
	bool poll_failed;	/* a failed poll was logged */
	struct relay_count c;
	struct pollfd pfd[2 + 2 * LD_RELAY_CONN_MAX];
	char scratch[RELAY_BUF];
};

static bool
again(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK;
}

/* Close fd; with rst, make the close a reset (SO_LINGER 0). */
static void
sock_close(int fd, bool rst)
{
	if (fd < 0)
		return;
	if (rst) {
		struct linger lg = { 1, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
}

static void
nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A connected non-blocking socket to the target, or -1 with errno set
 * (ETIMEDOUT after RELAY_CONNECT_MS). */
static int
target_connect(struct ld_relay *r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int64_t deadline = ltime_mono_ms() + RELAY_CONNECT_MS;
	int soerr = 0, e = ETIMEDOUT;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&r->target, sizeof(r->target)) == 0)
		goto ok;
	if (errno != EINPROGRESS && errno != EINTR) {
		e = errno;
		goto fail;
	}
	for (;;) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int64_t left = deadline - ltime_mono_ms();
		int rc;

		if (left <= 0)
			goto fail;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			e = errno;
		if (rc <= 0)
			goto fail;
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		e = soerr != 0 ? soerr : errno;
		goto fail;
	}
ok:
	nodelay(fd);
	return fd;
fail:
	close(fd);
	errno = e;
	return -1;
}

static void
pair_close(struct ld_relay *r, int i, bool rst)
{
	struct relay_pair *p = r->pairs[i];

	sock_close(p->fd[0], rst);
	sock_close(p->fd[1], rst);
	free(p);
	r->pairs[i] = r->pairs[--r->n];
	r->pairs[r->n] = NULL;
}

static void
close_all(struct ld_relay *r, bool rst)
{
	while (r->n > 0)
		pair_close(r, r->n - 1, rst);
}

/* Is pair p forwarding (rather than a hole) in the current mode? */
static bool
forwarding(const struct ld_relay *r, const struct relay_pair *p)
{
	return r->mode == LD_RELAY_PASS && p->fd[1] >= 0;
}

static short
pair_events(const struct ld_relay *r, const struct relay_pair *p, int s)
{
	short ev = 0;

	if (p->fd[s] < 0)
		return 0;
	if (!forwarding(r, p))
		return POLLIN;
	if (!p->eof[s] && p->d[s].len == 0)
		ev |= POLLIN;
	if (p->d[!s].len > 0)
		ev |= POLLOUT;
	return ev;
}

/* Write what side s sent to side !s, as far as it goes now; pass on
 * side s's FIN once everything is written.  false: close the pair. */
static bool
dir_flush(struct ld_relay *r, struct relay_pair *p, int s)
{
	struct relay_dir *d = &p->d[s];
	int to = p->fd[!s];

	while (d->len > 0) {
		ssize_t w = send(to, d->buf + d->off, d->len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && again(errno))
			return true;
		if (w <= 0)
			return false;
		d->off += (size_t)w;
		d->len -= (size_t)w;
		r->c.passed += (uint64_t)w;
	}
	d->off = 0;
	if (p->eof[s] && !p->shut[!s]) {
		(void)shutdown(to, SHUT_WR);
		p->shut[!s] = true;
	}
	return true;
}

/* A forwarding pair's events.  false: close the pair. */
static bool
pair_pump(struct ld_relay *r, struct relay_pair *p, const short re[2])
{
	for (int s = 0; s < 2; s++) {
		if (re[s] & (POLLERR | POLLNVAL))
			return false;
		/* both directions shut (we never shut one with bytes
		 * for it waiting): nothing more can pass */
		if ((re[s] & POLLHUP) && (p->eof[s] || p->d[s].len > 0))
			return false;
	}
	for (int s = 0; s < 2; s++)	/* what waits for side s */
		if ((re[s] & POLLOUT) && p->d[!s].len > 0 && !dir_flush(r, p, !s))
			return false;
	for (int s = 0; s < 2; s++) {
		ssize_t n;

		if (!(re[s] & (POLLIN | POLLHUP)) || p->eof[s] || p->d[s].len > 0)
			continue;
		do
			n = recv(p->fd[s], p->d[s].buf, RELAY_BUF, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0 && again(errno))
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			p->eof[s] = true;
		p->d[s].off = 0;
		p->d[s].len = (size_t)n;
		if (!dir_flush(r, p, s))
			return false;
	}
	return !(p->eof[0] && p->eof[1] && p->d[0].len == 0 &&
	    p->d[1].len == 0);
}

/* A pair in the hole: read and throw away.  false: close the pair. */
static bool
pair_hole(struct ld_relay *r, struct relay_pair *p, const short re[2])
{
	for (int s = 0; s < 2; s++) {
		ssize_t n;

		if (p->fd[s] < 0 || re[s] == 0)
			continue;
		do
			n = recv(p->fd[s], r->scratch, sizeof(r->scratch), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0 && again(errno))
			continue;
		if (n <= 0)
			return false;
		r->c.swallowed += (uint64_t)n;
	}
	return true;
}

/* Publish the thread's counters (r->mu held). */
static void
publish(struct ld_relay *r)
{
	r->st.accepted += r->c.accepted;
	r->st.refused += r->c.refused;
	r->st.over_limit += r->c.over_limit;
	r->st.dropped += r->c.dropped;
	r->st.passed += r->c.passed;
	r->st.swallowed += r->c.swallowed;
	memset(&r->c, 0, sizeof(r->c));
	r->st.open = r->n;
	r->st.mode = r->mode;
}

/* Accept what is waiting.  true: pause accepting for a while (out of
 * file descriptors or memory: the connection stays in the backlog). */
static bool
relay_accept(struct ld_relay *r)
{
	int limit;

	pthread_mutex_lock(&r->mu);
	limit = r->conn_max;
	pthread_mutex_unlock(&r->mu);
	for (int k = 0; k < RELAY_ACCEPT_BURST; k++) {
		int c = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int t = -1;
		struct relay_pair *p;

		if (c < 0) {
			if (again(errno))
				return false;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("relay", "%s: accept: %s (pausing %d ms)",
				    r->where, strerror(errno), RELAY_PAUSE_MS);
				return true;
			}
			continue;	/* EINTR, ECONNABORTED, network errors */
		}
		if (r->mode == LD_RELAY_REFUSE) {
			sock_close(c, true);
			r->c.refused++;
			continue;
		}
		if (r->n >= limit) {
			sock_close(c, true);
			r->c.over_limit++;
			if (!r->full)
				log_warn("relay", "%s: %d connections held, the "
				    "bound: resetting new ones", r->where, limit);
			r->full = true;
			continue;
		}
		if (r->mode == LD_RELAY_PASS && (t = target_connect(r)) < 0) {
			char a[INET_ADDRSTRLEN] = "?";

			if (!r->target_down) {	/* once an episode */
				inet_ntop(AF_INET, &r->target.sin_addr, a,
				    sizeof(a));
				log_warn("relay", "%s: target %s:%d: %s: "
				    "resetting the clients until it answers",
				    r->where, a, ntohs(r->target.sin_port),
				    strerror(errno));
			}
			r->target_down = true;
			sock_close(c, true);
			r->c.refused++;
			continue;
		}
		r->target_down = false;
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			sock_close(c, true);
			sock_close(t, true);
			r->c.refused++;
			continue;
		}
		nodelay(c);
		p->fd[0] = c;
		p->fd[1] = t;
		r->pairs[r->n++] = p;
		r->c.accepted++;
		r->full = false;
	}
	return false;
}

/* A control call woke the thread.  true: quit. */
static bool
relay_control(struct ld_relay *r)
{
	char buf[64];

	while (read(r->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&r->mu);
	if (r->quit) {
		close_all(r, true);
		publish(r);
		pthread_mutex_unlock(&r->mu);
		return true;
	}
	r->mode = r->want;
	if (r->drop || r->mode == LD_RELAY_REFUSE) {
		r->c.dropped += (uint64_t)r->n;
		close_all(r, r->rst);
	} else if (r->mode != LD_RELAY_PASS) {
		/* in flight when the line was cut: lost */
		for (int i = 0; i < r->n; i++)
			for (int s = 0; s < 2; s++) {
				r->c.swallowed += r->pairs[i]->d[s].len;
				r->pairs[i]->d[s].len = 0;
				r->pairs[i]->d[s].off = 0;
			}
	}
	r->drop = r->rst = false;
	publish(r);
	r->done = r->asked;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return false;
}

static void *
relay_main(void *arg)
{
	struct ld_relay *r = arg;
	bool paused = false;

	for (;;) {
		int np = 2, pairs = r->n, rc;

		r->pfd[0] = (struct pollfd){ r->wake[0], POLLIN, 0 };
		r->pfd[1] = (struct pollfd){ paused ? -1 : r->lfd, POLLIN, 0 };
		/* a side waited on for nothing is left out (-1), or its
		 * POLLHUP would spin while the other side drains */
		for (int i = 0; i < pairs; i++)
			for (int s = 0; s < 2; s++) {
				short ev = pair_events(r, r->pairs[i], s);

				r->pfd[np++] = (struct pollfd){
				    ev ? r->pairs[i]->fd[s] : -1, ev, 0 };
			}
		rc = poll(r->pfd, (nfds_t)np, paused ? RELAY_PAUSE_MS : -1);
		paused = false;
		if (rc < 0) {
			if (errno != EINTR) {	/* ENOMEM: try again soon */
				if (!r->poll_failed)
					log_warn("relay", "%s: poll: %s (trying "
					    "again every 10 ms)", r->where,
					    strerror(errno));
				r->poll_failed = true;
				(void)poll(NULL, 0, 10);
			}
			continue;
		}
		r->poll_failed = false;
		if (r->pfd[0].revents != 0) {
			if (relay_control(r))
				break;
			continue;	/* the pairs may have changed */
		}
		if (r->pfd[1].revents != 0)
			paused = relay_accept(r);
		/* backwards: a closed pair takes the last one's place, which
		 * is either new (not polled yet) or done with */
		for (int i = pairs - 1; i >= 0; i--) {
			struct relay_pair *p = r->pairs[i];
			short re[2] = { r->pfd[2 + 2 * i].revents,
				r->pfd[3 + 2 * i].revents };
			bool keep;

			if ((re[0] | re[1]) == 0)
				continue;
			keep = forwarding(r, p) ? pair_pump(r, p, re) :
			    pair_hole(r, p, re);
			if (!keep)
				pair_close(r, i, false);
		}
		pthread_mutex_lock(&r->mu);
		publish(r);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void
wake(struct ld_relay *r)
{
	ssize_t w;

	do	/* a full pipe (EAGAIN) has a wake-up waiting already */
		w = write(r->wake[1], "x", 1);
	while (w < 0 && errno == EINTR);
}

int
relay_start(struct ld_relay **rp, const char *host, int port,
    int target_port, struct ld_err *err)
{
	struct ld_relay *r;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	pthread_condattr_t ca;
	sigset_t all, old;
	int one = 1, rc, e;

	if (rp == NULL)
		return err_set(err, LD_EINVAL, "relay: no place for the relay");
	*rp = NULL;
	if (host == NULL)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return err_set(err, LD_EINVAL, "relay: '%s' is not a numeric "
		    "IPv4 address", host);
	if (port < 0 || port > 65535)
		return err_set(err, LD_EINVAL, "relay: port %d out of range",
		    port);
	if (target_port <= 0 || target_port > 65535)
		return err_set(err, LD_EINVAL, "relay: target port %d out of "
		    "range", target_port);
	sa.sin_port = htons((uint16_t)port);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_set(err, LD_ENOMEM, "relay: out of memory");
	r->lfd = r->wake[0] = r->wake[1] = -1;
	r->mode = r->want = r->st.mode = LD_RELAY_PASS;
	r->conn_max = LD_RELAY_CONN_MAX;
	r->target.sin_family = AF_INET;
	r->target.sin_port = htons((uint16_t)target_port);
	r->target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(r->where, sizeof(r->where), "%s:%d", host, port);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);

	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->lfd < 0) {
		rc = err_set(err, LD_EIO, "relay: socket: %s", strerror(errno));
		goto fail;
	}
	(void)setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = errno;
		rc = err_set(err, e == EADDRINUSE ? LD_EBUSY : LD_EIO,
		    "relay: bind %s: %s", r->where, strerror(e));
		goto fail;
	}
	if (listen(r->lfd, 64) != 0) {
		e = errno;
		rc = err_set(err, e == EADDRINUSE ? LD_EBUSY : LD_EIO,
		    "relay: listen %s: %s", r->where, strerror(e));
		goto fail;
	}
	if (getsockname(r->lfd, (struct sockaddr *)&sa, &sl) != 0) {
		rc = err_set(err, LD_EIO, "relay: getsockname %s: %s",
		    r->where, strerror(errno));
		goto fail;
	}
	r->port = ntohs(sa.sin_port);
	snprintf(r->where, sizeof(r->where), "%s:%d", host, r->port);
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = err_set(err, LD_EIO, "relay: pipe: %s", strerror(errno));
		goto fail;
	}
	/* signals are for the caller's threads, not the relay's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&r->th, NULL, relay_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		rc = err_set(err, e == EAGAIN ? LD_ENOMEM : LD_EIO,
		    "relay: thread: %s", strerror(e));
		goto fail;
	}
	*rp = r;
	return 0;
fail:
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->wake[0] >= 0) {
		close(r->wake[0]);
		close(r->wake[1]);
	}
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return rc;
}

int
relay_port(const struct ld_relay *r)
{
	return r ? r->port : -1;
}

int
relay_set(struct ld_relay *r, enum ld_relay_mode mode, bool drop, bool rst)
{
	struct timespec dl;
	unsigned want;
	bool ok = true;

	if (r == NULL || (mode != LD_RELAY_PASS && mode != LD_RELAY_BLACKHOLE &&
	    mode != LD_RELAY_REFUSE))
		return LD_EINVAL;
	pthread_mutex_lock(&r->mu);
	r->want = mode;
	/* two calls before the thread looks: the last mode, either drop */
	if (drop)
		r->drop = true;
	if (rst && (drop || mode == LD_RELAY_REFUSE))
		r->rst = true;
	want = ++r->asked;
	pthread_mutex_unlock(&r->mu);
	wake(r);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += RELAY_ANSWER_S;
	pthread_mutex_lock(&r->mu);
	while ((int)(r->done - want) < 0)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &dl) == ETIMEDOUT) {
			ok = (int)(r->done - want) >= 0;
			break;
		}
	pthread_mutex_unlock(&r->mu);
	return ok ? 0 : LD_EIO;
}

int
relay_set_limit(struct ld_relay *r, int conn_max)
{
	if (r == NULL || conn_max < 1 || conn_max > LD_RELAY_CONN_MAX)
		return LD_EINVAL;
	pthread_mutex_lock(&r->mu);
	r->conn_max = conn_max;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

void
relay_stats(struct ld_relay *r, struct ld_relay_stats *st)
{
	if (r == NULL || st == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	*st = r->st;
	pthread_mutex_unlock(&r->mu);
}

void
relay_stop(struct ld_relay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_mutex_unlock(&r->mu);
	wake(r);
	pthread_join(r->th, NULL);
	close(r->lfd);
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
