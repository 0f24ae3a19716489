/* serve.c - a node's client endpoint and its group-commit loop (serve.h). */
#include "serve.h"
#include "auth.h"
#include "log.h"
#include "ltime.h"
#include "proto.h"
#include "req.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define SERVE_EVENTS (SERVE_BATCH_MAX * 4)	/* events per batch */
#define SERVE_RID_MAX 255	/* a ROUTER routing id */
#define SERVE_MSG_MAX (1 << 20)	/* larger messages: libzmq drops the peer */
#define SERVE_LOG_PER_S 20	/* bad-frame lines per second, the rest
				 * counted */

/* One message as it came in: who (routing id, key), and the request. */
struct serve_msg {
	uint8_t rid[SERVE_RID_MAX];
	size_t rid_len;
	bool delim;		/* a REQ client: echo the empty frame */
	char user[LD_ID_MAX + 1];	/* the ZAP User-Id: a client id */
	size_t frames;		/* body frames */
	size_t len;		/* body bytes */
	uint8_t body[LD_PROTO_FRAME_MAX];	/* the first LD_PROTO_FRAME_MAX */
};

/* A change request in the open batch. */
struct serve_slot {
	struct serve_msg *msg;
	struct ld_request req;
	struct ld_caller caller;
	struct ld_req_plan plan;
	size_t first;		/* its first item in items[] */
};

struct ld_serve {
	void *sock;
	const struct ld_topo *t;
	int self;
	struct ld_store *s;
	struct ld_req_env env;
	struct serve_msg *msgs;	/* SERVE_BATCH_MAX + 1 (the last: held) */
	struct serve_slot *slots;	/* SERVE_BATCH_MAX */
	struct ld_event *events;	/* SERVE_EVENTS */
	struct ld_store_item *items;	/* SERVE_EVENTS */
	struct ld_request qreq;	/* a request being answered at once */
	struct ld_caller qcaller;
	bool held;		/* msgs[SERVE_BATCH_MAX] waits for the next batch */
	uint8_t *reply;		/* LD_PROTO_REPLY_MAX */
	struct ld_serve_counts n;
	int64_t log_second;	/* rate limit of error lines */
	int log_lines;
	uint64_t log_suppressed;
};

/* A line about a frame that is not a request, at most SERVE_LOG_PER_S a
 * second (a hostile client must not flood the log); the next second's
 * first line says how many went unlogged. */
static void
serve_log(struct ld_serve *sv, enum ld_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
serve_log(struct ld_serve *sv, enum ld_log_level lv, const char *fmt, ...)
{
	struct timespec ts;
	char line[512];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != sv->log_second) {
		if (sv->log_suppressed > 0)
			log_msg(LD_LOG_WARN, "serve", "%llu more request errors "
			    "were not logged", (unsigned long long)
			    sv->log_suppressed);
		sv->log_second = ts.tv_sec;
		sv->log_lines = 0;
		sv->log_suppressed = 0;
	}
	if (sv->log_lines >= SERVE_LOG_PER_S) {
		sv->log_suppressed++;
		return;
	}
	sv->log_lines++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(lv, "serve", "%s", line);
}

int
serve_open(struct ld_serve **out, void *zctx, const struct ld_topo *t,
    int self, struct ld_store *s, const struct ld_keypair *keys,
    const char *version, struct ld_err *err)
{
	struct ld_serve *sv;
	int linger = 0;
	int64_t maxmsg = SERVE_MSG_MAX;

	*out = NULL;
	sv = calloc(1, sizeof(*sv));
	if (sv == NULL)
		return err_set(err, LD_ENOMEM, "serve: out of memory");
	sv->msgs = calloc(SERVE_BATCH_MAX + 1, sizeof(*sv->msgs));
	sv->slots = calloc(SERVE_BATCH_MAX, sizeof(*sv->slots));
	sv->events = calloc(SERVE_EVENTS, sizeof(*sv->events));
	sv->items = calloc(SERVE_EVENTS, sizeof(*sv->items));
	sv->reply = malloc(LD_PROTO_REPLY_MAX);
	if (!sv->msgs || !sv->slots || !sv->events || !sv->items || !sv->reply) {
		serve_close(sv);
		return err_set(err, LD_ENOMEM, "serve: out of memory");
	}
	sv->t = t;
	sv->self = self;
	sv->s = s;
	sv->env.s = s;
	sv->env.t = t;
	sv->env.self = self;
	sv->env.started = ltime_now();
	sv->env.version = version;
	sv->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (sv->sock == NULL) {
		serve_close(sv);
		return err_set(err, LD_EIO, "client endpoint: %s",
		    zmq_strerror(errno));
	}
	if (zmq_setsockopt(sv->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(sv->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0) {
		err_set(err, LD_EIO, "client endpoint: %s", zmq_strerror(errno));
		serve_close(sv);
		return LD_EIO;
	}
	if (auth_server_socket(sv->sock, AUTH_DOMAIN_CLIENT, keys->secret_key,
	    err) != 0) {
		serve_close(sv);
		return LD_EIO;
	}
	if (zmq_bind(sv->sock, t->nodes[self].client) != 0) {
		err_set(err, LD_EIO, "client endpoint %s: %s",
		    t->nodes[self].client, zmq_strerror(errno));
		serve_close(sv);
		return LD_EIO;
	}
	log_info("serve", "client endpoint %s (CURVE, clients of %s only)",
	    t->nodes[self].client, t->nodes[self].id);
	*out = sv;
	return LD_OK;
}

void
serve_close(struct ld_serve *sv)
{
	if (sv == NULL)
		return;
	if (sv->sock != NULL)
		zmq_close(sv->sock);
	free(sv->msgs);
	free(sv->slots);
	free(sv->events);
	free(sv->items);
	free(sv->reply);
	free(sv);
}

void
serve_counts(const struct ld_serve *sv, struct ld_serve_counts *c)
{
	*c = sv->n;
}

/*
 * Receive one message into *m without waiting.  Returns 1 (a message),
 * 0 (none waiting), or -1 (the socket failed).  A ROUTER message is the
 * routing id, then (REQ clients) an empty delimiter, then the body; a
 * message of another shape is read to its end and counted in m->frames.
 */
static int
serve_recv(struct ld_serve *sv, struct serve_msg *m)
{
	zmq_msg_t part;
	int more = 1, idx = 0;

	memset(m, 0, offsetof(struct serve_msg, body));
	while (more) {
		size_t n;

		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, sv->sock, idx == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			int e = errno;

			zmq_msg_close(&part);
			if (idx == 0 && (e == EAGAIN || e == EINTR))
				return 0;
			log_error("serve", "receive: %s", zmq_strerror(e));
			return e == ETERM ? -1 : 0;
		}
		n = zmq_msg_size(&part);
		more = zmq_msg_more(&part);
		if (idx == 0) {
			m->rid_len = n < sizeof(m->rid) ? n : sizeof(m->rid);
			memcpy(m->rid, zmq_msg_data(&part), m->rid_len);
		} else if (idx == 1 && n == 0 && more) {
			m->delim = true;
		} else {
			const char *user = zmq_msg_gets(&part, "User-Id");

			if (user != NULL && m->user[0] == '\0')
				snprintf(m->user, sizeof(m->user), "%s", user);
			if (m->frames == 0) {
				m->len = n;
				memcpy(m->body, zmq_msg_data(&part),
				    n < sizeof(m->body) ? n : sizeof(m->body));
			}
			m->frames++;
		}
		zmq_msg_close(&part);
		idx++;
	}
	return 1;
}

/* Send reply (len bytes) to the client of m. */
static void
serve_send(struct ld_serve *sv, const struct serve_msg *m,
    const uint8_t *reply, size_t len)
{
	if (zmq_send(sv->sock, m->rid, m->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    (m->delim && zmq_send(sv->sock, "", 0, ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) < 0) ||
	    zmq_send(sv->sock, reply, len, ZMQ_DONTWAIT) < 0) {
		/* the client is gone (or its queue is full): it will time out
		 * and ask again */
		sv->n.dropped++;
		serve_log(sv, LD_LOG_WARN, "reply to %s not sent: %s",
		    m->user[0] ? m->user : "?", zmq_strerror(errno));
		return;
	}
	sv->n.requests++;
	sv->env.requests = sv->n.requests;
}

/* Answer m with the error in e (and log it). */
static void
serve_error(struct ld_serve *sv, const struct serve_msg *m, uint64_t id,
    const char *op, const struct ld_err *e)
{
	int len = proto_reply_error(sv->reply, LD_PROTO_REPLY_MAX, id, e);

	sv->n.errors++;
	if (e->code == LD_EREFUSED)
		sv->n.refused++;
	if (op == NULL)	/* not even a request: a client flooding junk
			 * must not flood the log */
		serve_log(sv, LD_LOG_WARN, "%s: bad request id %llu: %s %s",
		    m->user[0] ? m->user : "?", (unsigned long long)id,
		    err_name(e->code), e->msg);
	else	/* a request of a known client: always logged */
		log_msg(e->code == LD_EREFUSED ? LD_LOG_WARN : LD_LOG_INFO,
		    "serve", "%s: %s id %llu: %s %s", m->user[0] ? m->user :
		    "?", op, (unsigned long long)id, err_name(e->code), e->msg);
	if (len > 0)
		serve_send(sv, m, sv->reply, (size_t)len);
}

/*
 * Decode m and find who asks and whether the role may: 0, or an error
 * reply was sent (returns -1).
 */
static int
serve_admit(struct ld_serve *sv, const struct serve_msg *m,
    struct ld_request *req, struct ld_caller *c)
{
	struct ld_err e;

	err_clear(&e);
	memset(req, 0, sizeof(*req));
	if (m->frames != 1) {
		err_set(&e, LD_EMALFORMED, "request: a message of %zu body "
		    "frames (expected one)", m->frames);
		serve_error(sv, m, 0, NULL, &e);
		return -1;
	}
	if (proto_request_decode(m->body, m->len, req, &e) != 0) {
		serve_error(sv, m, req->id, NULL, &e);
		return -1;
	}
	if (req_caller(&sv->env, m->user, c, &e) != 0 ||
	    req_allowed(c, req->op, &e) != 0) {
		serve_error(sv, m, req->id, proto_op_name(req->op), &e);
		return -1;
	}
	return 0;
}

/* Is a request on ticket id already in the batch's slots[0 .. n)? */
static bool
serve_ticket_busy(const struct ld_serve *sv, size_t n, const char *id)
{
	if (id[0] == '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(req_ticket_of(&sv->slots[i].req), id) == 0)
			return true;
	return false;
}

/*
 * Take message m into the batch: answer it at once (a bad request, a
 * query, a refusal), or plan it into slots[*n] using events from
 * *used.  Returns 0, or 1 when the batch must be committed first (the
 * ticket is in it already, or no room for the events): m is then not
 * consumed.
 */
static int
serve_take(struct ld_serve *sv, struct serve_msg *m, size_t *n, size_t *used)
{
	struct serve_slot *sl = &sv->slots[*n];
	struct ld_err e;
	int len;

	if (serve_admit(sv, m, &sl->req, &sl->caller) != 0)
		return 0;
	if (req_is_query(sl->req.op)) {
		err_clear(&e);
		len = req_query(&sv->env, &sl->caller, &sl->req, sv->reply,
		    LD_PROTO_REPLY_MAX, &e);
		if (len < 0)
			serve_error(sv, m, sl->req.id, proto_op_name(sl->req.op),
			    &e);
		else
			serve_send(sv, m, sv->reply, (size_t)len);
		return 0;
	}
	if (serve_ticket_busy(sv, *n, req_ticket_of(&sl->req)) ||
	    *used + req_events_max(&sl->req) > SERVE_EVENTS)
		return 1;
	memset(&sl->plan, 0, sizeof(sl->plan));
	sl->plan.ev = sv->events + *used;
	err_clear(&e);
	if (req_plan(&sv->env, &sl->caller, &sl->req, &sl->plan,
	    req_events_max(&sl->req), &e) != 0) {
		serve_error(sv, m, sl->req.id, proto_op_name(sl->req.op), &e);
		return 0;
	}
	sl->msg = m;
	sl->first = *used;
	*used += sl->plan.n;
	(*n)++;
	return 0;
}

/* Commit the batch's events and answer each change request. */
static void
serve_commit(struct ld_serve *sv, size_t n, size_t used)
{
	struct ld_err e;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct serve_slot *sl = &sv->slots[i];

		for (size_t j = 0; j < sl->plan.n; j++) {
			struct ld_store_item *it = &sv->items[sl->first + j];

			memset(it, 0, sizeof(*it));
			it->ev = &sv->events[sl->first + j];
			it->joined = j > 0;
		}
	}
	err_clear(&e);
	rc = store_commit(sv->s, sv->items, used, sv->env.now, &e);
	if (rc != 0)
		log_error("serve", "commit of %zu requests failed: %s (%s)", n,
		    e.msg, err_name(rc));
	sv->n.commits++;
	for (size_t i = 0; i < n; i++) {
		struct serve_slot *sl = &sv->slots[i];
		const char *op = proto_op_name(sl->req.op);
		int len;

		if (sl->plan.n > 0 && sv->items[sl->first].rc != 0) {
			serve_error(sv, sl->msg, sl->req.id, op,
			    &sv->items[sl->first].err);
			continue;
		}
		if (rc != 0) {
			serve_error(sv, sl->msg, sl->req.id, op, &e);
			continue;
		}
		sv->n.committed++;
		err_clear(&e);
		len = req_result(&sv->env, &sl->caller, &sl->req, &sl->plan,
		    sv->reply, LD_PROTO_REPLY_MAX, &e);
		if (len < 0)
			serve_error(sv, sl->msg, sl->req.id, op, &e);
		else
			serve_send(sv, sl->msg, sv->reply, (size_t)len);
	}
}

/* One batch: the held request first, then whatever is waiting. */
static int
serve_batch(struct ld_serve *sv)
{
	struct serve_msg *held = &sv->msgs[SERVE_BATCH_MAX];
	size_t n = 0, used = 0, got = 0;

	sv->env.now = ltime_now();
	if (sv->held) {
		/* first in this batch, which always has room for it */
		memcpy(&sv->msgs[0], held, sizeof(*held));
		sv->held = false;
		got = 1;
		(void)serve_take(sv, &sv->msgs[0], &n, &used);
	}
	while (n < SERVE_BATCH_MAX && got < SERVE_BATCH_MAX) {
		struct serve_msg *m = &sv->msgs[got];
		int rc = serve_recv(sv, m);

		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		got++;
		if (serve_take(sv, m, &n, &used) == 1) {
			memcpy(held, m, sizeof(*held));
			sv->held = true;
			break;
		}
	}
	if (n > 0)
		serve_commit(sv, n, used);
	return 0;
}

int
serve_run(struct ld_serve *sv, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		zmq_pollitem_t it = { sv->sock, 0, ZMQ_POLLIN, 0 };
		int rc;

		if (!sv->held) {
			rc = zmq_poll(&it, 1, SERVE_POLL_MS);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0) {
				log_error("serve", "poll: %s", zmq_strerror(errno));
				return LD_EIO;
			}
			if (rc == 0)
				continue;
		}
		if (serve_batch(sv) != 0)
			return LD_EIO;
	}
	return LD_OK;
}
