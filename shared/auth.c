/* auth.c - the node's ZAP handler and CURVE socket options (see auth.h). */
#include "auth.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93	/* draft in libzmq 4.3 */
#endif

#define AUTH_FRAMES 7		/* a CURVE request: version .. credentials */
#define AUTH_TEXT_MAX 64	/* frames copied as text (domain, address) */
#define AUTH_QUIET_KEYS 32	/* refusals whose log lines are spaced */
#define AUTH_WHY_MAX 160

/* A refusal (key, domain, reason) recently logged. */
struct auth_quiet {
	char key[LD_TOPO_KEY_Z85 + 1];	/* "" for a request without one */
	char domain[AUTH_TEXT_MAX];
	char why[AUTH_WHY_MAX];
	int64_t last_s;		/* monotonic seconds of the last line */
	unsigned long suppressed;	/* refusals since, not logged */
	bool used;
};

struct ld_auth {
	const struct ld_topo *t;
	int self;
	void *rep;		/* REP at AUTH_ENDPOINT: the thread's */
	void *ctl_in;		/* PAIR: the thread's end */
	void *ctl;		/* PAIR: auth_stop's end */
	pthread_t thread;
	bool running;
	atomic_uint_fast64_t admitted, refused;
	struct auth_quiet quiet[AUTH_QUIET_KEYS];	/* the thread's */
};

/* One ZAP request as the handler reads it. */
struct auth_req {
	char domain[AUTH_TEXT_MAX];
	char address[AUTH_TEXT_MAX];
	char mechanism[AUTH_TEXT_MAX];
	char key[LD_TOPO_KEY_Z85 + 1];	/* the client's public key, Z85 */
	bool version_ok;
	bool has_key;
};

/* Frame m as printable text in buf (cap bytes): other bytes become '?',
 * longer frames are cut. */
static void
auth_frame_text(zmq_msg_t *m, char *buf, size_t cap)
{
	const unsigned char *d = zmq_msg_data(m);
	size_t n = zmq_msg_size(m);

	if (n > cap - 1)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	buf[n] = '\0';
}

/* The request in frames f[0 .. n-1] (RFC 27: version, request id, domain,
 * address, routing id, mechanism, credentials...) into *r. */
static void
auth_parse(zmq_msg_t *f, int n, struct auth_req *r)
{
	memset(r, 0, sizeof(*r));
	r->version_ok = n >= 6 && zmq_msg_size(&f[0]) == 3 &&
	    memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0;
	if (n > 2)
		auth_frame_text(&f[2], r->domain, sizeof(r->domain));
	if (n > 3)
		auth_frame_text(&f[3], r->address, sizeof(r->address));
	if (n > 5)
		auth_frame_text(&f[5], r->mechanism, sizeof(r->mechanism));
	if (n == 7 && zmq_msg_size(&f[6]) == 32 &&
	    zmq_z85_encode(r->key, zmq_msg_data(&f[6]), 32) != NULL)
		r->has_key = true;
}

/* The node whose public key is z85; -1 if none. */
static int
auth_node_by_key(const struct ld_topo *t, const char *z85)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (strcmp(t->nodes[i].public_key, z85) == 0)
			return i;
	return -1;
}

/* Decide on a "client" request's key: true (user id in user) or false
 * (reason in why). */
static bool
auth_client(const struct ld_auth *a, const char *key, char *user,
    size_t ucap, char *why, size_t wcap)
{
	const struct ld_topo *t = a->t;
	const char *self = t->nodes[a->self].id;
	int c = topo_client_by_key(t, key), n;

	if (c >= 0 && t->clients[c].node == a->self) {
		snprintf(user, ucap, "%s", t->clients[c].id);
		return true;
	}
	if (c >= 0) {
		n = t->clients[c].node;
		snprintf(why, wcap, "not a client of node %s (client %s of "
		    "node %s)", self, t->clients[c].id,
		    n >= 0 && n < t->n_nodes ? t->nodes[n].id : "?");
	} else if ((n = auth_node_by_key(t, key)) >= 0) {
		snprintf(why, wcap, "the key of node %s: nodes connect on the "
		    "peer endpoint", t->nodes[n].id);
	} else {
		snprintf(why, wcap, "unknown key (not in the topology)");
	}
	return false;
}

/* Decide on a "peer" request's key, as auth_client. */
static bool
auth_peer(const struct ld_auth *a, const char *key, char *user, size_t ucap,
    char *why, size_t wcap)
{
	const struct ld_topo *t = a->t;
	const char *self = t->nodes[a->self].id;
	int n = auth_node_by_key(t, key), c;

	if (n >= 0 && n == a->self) {
		snprintf(why, wcap, "the key of node %s itself", self);
	} else if (n >= 0 && t->nodes[n].parent != a->self) {
		snprintf(why, wcap, "node %s is not a child of node %s",
		    t->nodes[n].id, self);
	} else if (n >= 0 && !t->nodes[n].running) {
		snprintf(why, wcap, "node %s is planned (status = planned in "
		    "the topology), not running", t->nodes[n].id);
	} else if (n >= 0) {
		snprintf(user, ucap, "%s", t->nodes[n].id);
		return true;
	} else if ((c = topo_client_by_key(t, key)) >= 0) {
		snprintf(why, wcap, "the key of client %s: clients connect on "
		    "the client endpoint", t->clients[c].id);
	} else {
		snprintf(why, wcap, "unknown key (not in the topology)");
	}
	return false;
}

/* Decide on request r: true (user id in user) or false (why). */
static bool
auth_decide(const struct ld_auth *a, const struct auth_req *r, char *user,
    size_t ucap, char *why, size_t wcap)
{
	if (!r->version_ok) {
		snprintf(why, wcap, "not a ZAP 1.0 request");
		return false;
	}
	if (strcmp(r->mechanism, "CURVE") != 0) {
		snprintf(why, wcap, "mechanism %s: only CURVE is allowed",
		    r->mechanism[0] != '\0' ? r->mechanism : "(none)");
		return false;
	}
	if (!r->has_key) {
		snprintf(why, wcap, "no 32-byte CURVE key in the request");
		return false;
	}
	if (strcmp(r->domain, AUTH_DOMAIN_CLIENT) == 0)
		return auth_client(a, r->key, user, ucap, why, wcap);
	if (strcmp(r->domain, AUTH_DOMAIN_PEER) == 0)
		return auth_peer(a, r->key, user, ucap, why, wcap);
	snprintf(why, wcap, "ZAP domain '%s' is neither '" AUTH_DOMAIN_CLIENT
	    "' nor '" AUTH_DOMAIN_PEER "'", r->domain);
	return false;
}

/* Monotonic seconds (for spacing log lines). */
static int64_t
auth_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Log the refusal of r (why), or only count it when the same refusal
 * (key, domain, reason) was logged less than AUTH_LOG_QUIET_S seconds
 * ago.  The AUTH_QUIET_KEYS latest refusals are remembered. */
static void
auth_log_refusal(struct ld_auth *a, const struct auth_req *r,
    const char *why)
{
	const char *key = r->has_key ? r->key : "";
	struct auth_quiet *q = NULL, *oldest = &a->quiet[0];
	int64_t now = auth_now_s();
	unsigned long before = 0;
	char where[AUTH_TEXT_MAX + 32];

	for (int i = 0; i < AUTH_QUIET_KEYS && q == NULL; i++) {
		struct auth_quiet *e = &a->quiet[i];

		if (e->used && strcmp(e->key, key) == 0 &&
		    strcmp(e->domain, r->domain) == 0 &&
		    strcmp(e->why, why) == 0)
			q = e;
		else if (!e->used || (oldest->used && e->last_s <
		    oldest->last_s))
			oldest = e;
	}
	if (q != NULL && now - q->last_s < AUTH_LOG_QUIET_S) {
		q->suppressed++;
		return;
	}
	if (q == NULL) {
		q = oldest;
		memset(q, 0, sizeof(*q));
		q->used = true;
		snprintf(q->key, sizeof(q->key), "%s", key);
		snprintf(q->domain, sizeof(q->domain), "%s", r->domain);
		snprintf(q->why, sizeof(q->why), "%s", why);
	}
	before = q->suppressed;
	q->suppressed = 0;
	q->last_s = now;
	if (strcmp(r->domain, AUTH_DOMAIN_CLIENT) == 0 ||
	    strcmp(r->domain, AUTH_DOMAIN_PEER) == 0)
		snprintf(where, sizeof(where), "%s endpoint", r->domain);
	else
		snprintf(where, sizeof(where), "ZAP domain '%s'", r->domain);
	if (before > 0)
		log_warn("auth", "refused key %s on %s (from %s): %s (and %lu "
		    "more times since the last report)", key[0] ? key : "-",
		    where, r->address[0] ? r->address : "?", why, before);
	else
		log_warn("auth", "refused key %s on %s (from %s): %s",
		    key[0] ? key : "-", where,
		    r->address[0] ? r->address : "?", why);
}

/* Send the 6-frame reply to the request whose id is frame id (NULL:
 * empty).  Returns 0 or -1 (errno). */
static int
auth_reply(struct ld_auth *a, zmq_msg_t *id, const char *status,
    const char *text, const char *user)
{
	const void *idd = id != NULL ? zmq_msg_data(id) : "";
	size_t idn = id != NULL ? zmq_msg_size(id) : 0;

	if (zmq_send(a->rep, "1.0", 3, ZMQ_SNDMORE) < 0 ||
	    zmq_send(a->rep, idd, idn, ZMQ_SNDMORE) < 0 ||
	    zmq_send(a->rep, status, strlen(status), ZMQ_SNDMORE) < 0 ||
	    zmq_send(a->rep, text, strlen(text), ZMQ_SNDMORE) < 0 ||
	    zmq_send(a->rep, user, strlen(user), ZMQ_SNDMORE) < 0 ||
	    zmq_send(a->rep, "", 0, 0) < 0)
		return -1;
	return 0;
}

/* Answer one request waiting on the REP socket.  Returns 0, or -1 when
 * the socket failed (ETERM: the context is shutting down). */
static int
auth_serve(struct ld_auth *a)
{
	zmq_msg_t f[AUTH_FRAMES];
	struct auth_req r;
	char user[LD_ID_MAX + 1] = "", why[AUTH_WHY_MAX] = "";
	int n = 0, total = 0, more = 1, rc = 0;
	bool ok;

	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, a->rep, 0) < 0) {
			zmq_msg_close(&m);
			if (zmq_errno() == EINTR)
				continue;
			rc = -1;
			break;
		}
		more = zmq_msg_more(&m);
		total++;
		if (n < AUTH_FRAMES)
			f[n++] = m;
		else
			zmq_msg_close(&m);
	}
	if (rc == 0) {
		/* a request with more frames than ZAP 1.0 has is malformed:
		 * parsed as nothing, it is refused as not ZAP 1.0 */
		auth_parse(f, total == n ? n : 0, &r);
		ok = auth_decide(a, &r, user, sizeof(user), why, sizeof(why));
		if (ok) {
			atomic_fetch_add(&a->admitted, 1);
			log_info("auth", "admitted %s on %s endpoint (from %s)",
			    user, r.domain, r.address[0] ? r.address : "?");
			rc = auth_reply(a, n > 1 ? &f[1] : NULL, "200", "OK",
			    user);
		} else {
			atomic_fetch_add(&a->refused, 1);
			auth_log_refusal(a, &r, why);
			/* 500: a malformed request; 400: credentials refused */
			rc = auth_reply(a, n > 1 ? &f[1] : NULL,
			    r.version_ok ? "400" : "500", why, "");
		}
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
	return rc;
}

/* The handler thread: serve requests until auth_stop says stop on the
 * control pair or the context shuts down (or the REP socket fails: then
 * no handler answers and libzmq refuses every handshake, as
 * ZMQ_ZAP_ENFORCE_DOMAIN is set); then close its sockets. */
static void *
auth_main(void *arg)
{
	struct ld_auth *a = arg;
	zmq_pollitem_t items[2] = {
		{ a->ctl_in, 0, ZMQ_POLLIN, 0 },
		{ a->rep, 0, ZMQ_POLLIN, 0 },
	};

	for (;;) {
		if (zmq_poll(items, 2, -1) < 0) {
			if (zmq_errno() == EINTR)
				continue;
			break;	/* ETERM */
		}
		if (items[0].revents & ZMQ_POLLIN)
			break;
		if ((items[1].revents & ZMQ_POLLIN) && auth_serve(a) != 0) {
			if (zmq_errno() != ETERM)
				log_error("auth", "ZAP handler failed: %s; no "
				    "new connection can be admitted",
				    zmq_strerror(zmq_errno()));
			break;	/* fail closed: nobody is admitted */
		}
	}
	zmq_close(a->rep);
	zmq_close(a->ctl_in);
	a->rep = a->ctl_in = NULL;
	return NULL;
}

/* Close what auth_start opened, free a. */
static void
auth_free(struct ld_auth *a)
{
	if (a->rep != NULL)
		zmq_close(a->rep);
	if (a->ctl_in != NULL)
		zmq_close(a->ctl_in);
	if (a->ctl != NULL)
		zmq_close(a->ctl);
	free(a);
}

/* A new socket of type in zctx with linger 0, bound (bind) or connected
 * to ep; NULL with errno on failure. */
static void *
auth_socket(void *zctx, int type, bool bind, const char *ep)
{
	void *s = zmq_socket(zctx, type);
	int zero = 0, e;

	if (s == NULL)
		return NULL;
	if (zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    (bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) != 0) {
		e = zmq_errno();
		zmq_close(s);
		errno = e;
		return NULL;
	}
	return s;
}

int
auth_start(void *zctx, const struct ld_topo *t, int self_node,
    struct ld_auth **out, struct ld_err *err)
{
	struct ld_auth *a;
	char ep[64];
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (zctx == NULL || t == NULL || self_node < 0 ||
	    self_node >= t->n_nodes)
		return err_set(err, LD_EINVAL, "auth: no context, topology or "
		    "node %d", self_node);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return err_set(err, LD_ENOMEM, "auth: out of memory");
	a->t = t;
	a->self = self_node;
	atomic_init(&a->admitted, 0);
	atomic_init(&a->refused, 0);
	if ((a->rep = auth_socket(zctx, ZMQ_REP, true, AUTH_ENDPOINT)) ==
	    NULL) {
		rc = zmq_errno() == EADDRINUSE ?
		    err_set(err, LD_EEXIST, "auth: a ZAP handler is already "
			"bound at " AUTH_ENDPOINT " in this context") :
		    err_set(err, LD_EIO, "auth: cannot bind " AUTH_ENDPOINT
			": %s", zmq_strerror(zmq_errno()));
		auth_free(a);
		return rc;
	}
	snprintf(ep, sizeof(ep), "inproc://liandong-auth-ctl-%p", (void *)a);
	if ((a->ctl_in = auth_socket(zctx, ZMQ_PAIR, true, ep)) == NULL ||
	    (a->ctl = auth_socket(zctx, ZMQ_PAIR, false, ep)) == NULL) {
		rc = err_set(err, LD_EIO, "auth: control pair %s: %s", ep,
		    zmq_strerror(zmq_errno()));
		auth_free(a);
		return rc;
	}
	/* the thread takes no signal: they go to the node's main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, auth_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc = err_set(err, LD_EIO, "auth: cannot start the thread: %s",
		    strerror(rc));
		auth_free(a);
		return rc;
	}
	a->running = true;
	log_info("auth", "ZAP handler of node %s started (%d nodes, %d "
	    "clients in the topology)", t->nodes[self_node].id, t->n_nodes,
	    t->n_clients);
	*out = a;
	return 0;
}

void
auth_stop(struct ld_auth *a)
{
	struct ld_auth_counts c;

	if (a == NULL)
		return;
	if (a->running) {
		/* fails with ETERM after zmq_ctx_shutdown: then the thread
		 * has seen ETERM too and is on its way out */
		(void)zmq_send(a->ctl, "", 0, ZMQ_DONTWAIT);
		pthread_join(a->thread, NULL);
		a->running = false;
	}
	auth_counts(a, &c);
	log_info("auth", "ZAP handler stopped (%llu admitted, %llu refused)",
	    (unsigned long long)c.admitted, (unsigned long long)c.refused);
	auth_free(a);
}

void
auth_counts(const struct ld_auth *a, struct ld_auth_counts *c)
{
	c->admitted = atomic_load(&((struct ld_auth *)a)->admitted);
	c->refused = atomic_load(&((struct ld_auth *)a)->refused);
}

/* zmq_setsockopt, or the reason in err. */
static int
auth_opt(void *sock, int opt, const char *name, const void *v, size_t n,
    struct ld_err *err)
{
	if (zmq_setsockopt(sock, opt, v, n) == 0)
		return 0;
	return err_set(err, LD_EIO, "auth: zmq_setsockopt(%s): %s (is libzmq "
	    "built with CURVE?)", name, zmq_strerror(zmq_errno()));
}

int
auth_server_socket(void *sock, const char *domain, const uint8_t *secret32,
    struct ld_err *err)
{
	int one = 1, rc;

	if (sock == NULL || secret32 == NULL || domain == NULL ||
	    (strcmp(domain, AUTH_DOMAIN_CLIENT) != 0 &&
	    strcmp(domain, AUTH_DOMAIN_PEER) != 0))
		return err_set(err, LD_EINVAL, "auth: a server socket needs "
		    "its secret key and the domain '" AUTH_DOMAIN_CLIENT
		    "' or '" AUTH_DOMAIN_PEER "'");
	if ((rc = auth_opt(sock, ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", &one,
	    sizeof(one), err)) != 0 ||
	    (rc = auth_opt(sock, ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY",
	    secret32, 32, err)) != 0 ||
	    (rc = auth_opt(sock, ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", domain,
	    strlen(domain), err)) != 0)
		return rc;
	/* draft API: without it libzmq admits everyone while no handler
	 * is bound.  A libzmq that lacks it cannot fail closed: refuse to
	 * serve rather than admit unchecked clients. */
	if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one,
	    sizeof(one)) != 0)
		return err_set(err, LD_EIO, "auth: zmq_setsockopt("
		    "ZMQ_ZAP_ENFORCE_DOMAIN): %s (this libzmq cannot refuse "
		    "clients when the authentication handler is down; use a "
		    "libzmq 4.3 with it)", zmq_strerror(zmq_errno()));
	return 0;
}

int
auth_client_socket(void *sock, const uint8_t *server_public32,
    const uint8_t *public32, const uint8_t *secret32, struct ld_err *err)
{
	int rc;

	if (sock == NULL || server_public32 == NULL || public32 == NULL ||
	    secret32 == NULL)
		return err_set(err, LD_EINVAL, "auth: a client socket needs "
		    "the server's public key and its own key pair");
	if ((rc = auth_opt(sock, ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY",
	    server_public32, 32, err)) != 0 ||
	    (rc = auth_opt(sock, ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY",
	    public32, 32, err)) != 0 ||
	    (rc = auth_opt(sock, ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY",
	    secret32, 32, err)) != 0)
		return rc;
	return 0;
}
