/*
 * serve.c - a node's client endpoint and its group-commit loop (serve.h).
 *
 * Two batches take turns: while the writer thread commits one (waiting
 * for the disk), the main thread reads, checks and plans the next, and
 * answers queries.  A request on a ticket that either batch holds waits
 * (held) until that batch is committed, so every plan sees the ticket as
 * the commits left it.  Only the main thread touches the socket.
 */
#include "serve.h"
#include "sms.h"
#include "spot.h"
#include "auth.h"
#include "due.h"
#include "fed.h"
#include "log.h"
#include "ltime.h"
#include "proto.h"
#include "req.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define SERVE_EVENTS (SERVE_BATCH_MAX * 4)	/* client events per batch */
#define SERVE_FED_EVENTS (2 * FED_BATCH_MAX)	/* replicated, beyond them */
#define SERVE_ALL_EVENTS (SERVE_EVENTS + SERVE_FED_EVENTS)
#define SERVE_RID_MAX 255	/* a ROUTER routing id */
#define SERVE_MSG_MAX (1 << 20)	/* larger messages: libzmq drops the peer */
enum { SERVE_ANSWERED, SERVE_WAIT, SERVE_PLANNED };

#define SERVE_FWD_MAX 64	/* forwarded requests waiting */
#define SERVE_FWD_MS 5000	/* how long for the owner's answer */
#define SERVE_FED_POLL_MS 50	/* with links: their heartbeats' grain
				 * (a pull due sooner wakes the poll) */
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
	bool from_fed;		/* forwarded by a peer (fed_next_req) */
	int fed_link;		/* ... on this link */
	uint64_t fed_id;	/* ... with this id */
	char fed_actor[LD_ACTOR_MAX + 1];	/* ... made by */
	uint8_t body[LD_PROTO_FRAME_MAX];	/* the first LD_PROTO_FRAME_MAX */
};

/* A client request forwarded to the ticket's owner, waiting for its
 * answer. */
struct serve_fwd {
	bool used;
	int link;		/* the link it went by: only it may answer */
	uint64_t id;
	int64_t deadline;	/* monotonic ms (ltime_mono_ms) */
	struct serve_msg msg;
};

/* A change request in the open batch. */
struct serve_slot {
	struct serve_msg *msg;
	struct ld_request req;
	struct ld_caller caller;
	struct ld_req_plan plan;
	size_t first;		/* its first item in items[] */
};

/* The change requests gathered for one commit. */
struct serve_batch {
	struct serve_msg *msgs;		/* SERVE_BATCH_MAX: the planned ones */
	struct serve_slot *slots;	/* SERVE_BATCH_MAX */
	struct ld_event *events;	/* SERVE_ALL_EVENTS: clients', then
					 * replicated */
	struct ld_store_item *items;	/* SERVE_ALL_EVENTS */
	size_t got;		/* msgs kept (<= n: the deadlines' urges take
				 * slots without a message, serve_due) */
	size_t n;		/* slots used: change requests */
	size_t used;		/* events used by client requests */
	size_t fed_used;	/* events of replicated batches, decoded into
				 * events[SERVE_EVENTS ..] as they come */
	size_t total;		/* all, once submitted */
	struct ld_store_meta meta[FED_LINKS_MAX + 1];	/* links' positions,
							 * the deadline cursor */
	size_t n_meta;
	struct fed_taken taken[FED_LINKS_MAX];	/* the replicated batches */
	size_t n_taken;
	int64_t now;		/* the commit's clock */
	int rc;			/* store_commit's answer */
	struct ld_err err;
};

struct ld_serve {
	void *sock;
	struct fed *fed;	/* links to the parent and children */
	const struct ld_topo *t;
	int self;
	struct ld_store *s;
	struct ld_req_env env;
	struct ld_sms *sms;	/* NULL: none */
	uint32_t spot_day;	/* local day the spot check was last drawn */
	struct serve_batch b[2];
	int building;		/* b[building] gathers; b[!building] commits */
	bool inflight;		/* the writer has b[!building] */
	struct serve_msg held;	/* waits until its ticket is committed */
	bool has_held;
	struct serve_fwd *fwd;	/* SERVE_FWD_MAX */
	struct ld_request qreq;	/* scratch: a request timed out */
	int64_t due_cursor;	/* deadlines up to here were looked at */
	int64_t due_at;		/* the first open deadline after it (0: none);
				 * deadlines change only by commits: found
				 * again after each, not on every turn */
	uint64_t fwd_next;	/* the next forward's id */
	uint8_t *reply;		/* LD_PROTO_REPLY_MAX */
	struct ld_serve_counts n;
	int64_t log_second;	/* rate limit of error lines */
	int log_lines;
	uint64_t log_suppressed;
	/* the writer thread: one job at a time */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct serve_batch *job;	/* under mu: the batch to commit */
	bool quit;		/* under mu */
	int done_fd;		/* eventfd: the writer finished a job */
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

/* The writer thread: commit each batch handed over, then say so. */
static void *
serve_writer(void *arg)
{
	struct ld_serve *sv = arg;
	const uint64_t one = 1;

	for (;;) {
		struct serve_batch *b;

		pthread_mutex_lock(&sv->mu);
		while (sv->job == NULL && !sv->quit)
			pthread_cond_wait(&sv->cv, &sv->mu);
		b = sv->job;
		pthread_mutex_unlock(&sv->mu);
		if (b == NULL)
			return NULL;	/* quit, and no job left */
		err_clear(&b->err);
		b->rc = store_commit_meta(sv->s, b->items, b->total, b->meta,
		    b->n_meta, b->now, &b->err);
		pthread_mutex_lock(&sv->mu);
		sv->job = NULL;
		pthread_mutex_unlock(&sv->mu);
		while (write(sv->done_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
}

static bool
serve_batch_alloc(struct serve_batch *b)
{
	b->msgs = calloc(SERVE_BATCH_MAX, sizeof(*b->msgs));
	b->slots = calloc(SERVE_BATCH_MAX, sizeof(*b->slots));
	b->events = calloc(SERVE_ALL_EVENTS, sizeof(*b->events));
	b->items = calloc(SERVE_ALL_EVENTS, sizeof(*b->items));
	return b->msgs && b->slots && b->events && b->items;
}

static void
serve_batch_free(struct serve_batch *b)
{
	free(b->msgs);
	free(b->slots);
	free(b->events);
	free(b->items);
}

/* The socket: ROUTER, CURVE server asking the ZAP handler, bound. */
static int
serve_bind(struct ld_serve *sv, void *zctx, const struct ld_keypair *keys,
    struct ld_err *err)
{
	const char *ep = sv->t->nodes[sv->self].client;
	int linger = 0;
	int64_t maxmsg = SERVE_MSG_MAX;

	sv->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (sv->sock == NULL)
		return err_set(err, LD_EIO, "client endpoint: %s",
		    zmq_strerror(errno));
	if (zmq_setsockopt(sv->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(sv->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0)
		return err_set(err, LD_EIO, "client endpoint: %s",
		    zmq_strerror(errno));
	if (auth_server_socket(sv->sock, AUTH_DOMAIN_CLIENT, keys->secret_key,
	    err) != 0)
		return LD_EIO;
	if (zmq_bind(sv->sock, ep) != 0)
		return err_set(err, LD_EIO, "client endpoint %s: %s", ep,
		    zmq_strerror(errno));
	return LD_OK;
}

/* Start the writer thread with every signal blocked: stop signals go to
 * the main thread, whose poll they interrupt. */
static int
serve_start_writer(struct ld_serve *sv, struct ld_err *err)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&sv->writer, NULL, serve_writer, sv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return err_set(err, LD_EIO, "serve: cannot start the writer "
		    "thread: %s", strerror(rc));
	sv->writer_started = true;
	return LD_OK;
}

int
serve_open(struct ld_serve **out, void *zctx, const struct ld_topo *t,
    int self, struct ld_store *s, const struct ld_keypair *keys,
    const char *version, struct ld_err *err)
{
	struct ld_serve *sv;

	*out = NULL;
	sv = calloc(1, sizeof(*sv));
	if (sv == NULL)
		return err_set(err, LD_ENOMEM, "serve: out of memory");
	sv->done_fd = -1;
	pthread_mutex_init(&sv->mu, NULL);
	pthread_cond_init(&sv->cv, NULL);
	sv->reply = malloc(LD_PROTO_REPLY_MAX);
	sv->fwd = calloc(SERVE_FWD_MAX, sizeof(*sv->fwd));
	if (sv->reply == NULL || sv->fwd == NULL ||
	    !serve_batch_alloc(&sv->b[0]) ||
	    !serve_batch_alloc(&sv->b[1])) {
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
	/* deadlines: from where the last run left off (a store that never
	 * looked: every open deadline already passed is acted on once) */
	sv->due_cursor = (int64_t)store_meta_u64(s, DUE_CURSOR_KEY);
	sv->due_at = due_next(s, sv->due_cursor);
	/* forwarded requests' ids start from the clock, so that a late
	 * answer to one made before a restart matches none made after */
	sv->fwd_next = (uint64_t)sv->env.started << 16;
	sv->env.version = version;
	/* the main thread reads while the writer commits: the map grows
	 * only between commits, with no read open (store.h) */
	store_grow_in_commit(s, false);
	sv->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sv->done_fd < 0) {
		err_set(err, LD_EIO, "serve: eventfd: %s", strerror(errno));
		serve_close(sv);
		return LD_EIO;
	}
	if (serve_bind(sv, zctx, keys, err) != 0) {
		serve_close(sv);
		return LD_EIO;
	}
	if (fed_open(&sv->fed, zctx, t, self, s, keys, err) != 0) {
		serve_close(sv);
		return LD_EIO;
	}
	sv->env.fed = sv->fed;
	if (serve_start_writer(sv, err) != 0) {
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
	if (sv->writer_started) {
		pthread_mutex_lock(&sv->mu);
		sv->quit = true;
		pthread_cond_signal(&sv->cv);
		pthread_mutex_unlock(&sv->mu);
		pthread_join(sv->writer, NULL);	/* after its job, if any */
	}
	fed_close(sv->fed);
	if (sv->sock != NULL) {
		/* the last replies may still be on their way out */
		int linger = 2000;

		zmq_setsockopt(sv->sock, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(sv->sock);
	}
	if (sv->done_fd >= 0)
		close(sv->done_fd);
	if (sv->s != NULL)
		store_grow_in_commit(sv->s, true);
	serve_batch_free(&sv->b[0]);
	serve_batch_free(&sv->b[1]);
	pthread_cond_destroy(&sv->cv);
	pthread_mutex_destroy(&sv->mu);
	free(sv->reply);
	free(sv->fwd);
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
	if (m->from_fed) {	/* back over the link it came by */
		fed_answer(sv->fed, m->fed_link, m->fed_id, reply, len);
		sv->n.requests++;
		sv->env.requests = sv->n.requests;
		return;
	}
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

static bool serve_unit_op(enum ld_op op);

/* What another node may ask of the owner of a ticket (docs/federation.md
 * §5): urging and supervising (the office above), and a unit acting on
 * its own work order (the unit's terminal is a client of its home node,
 * the ticket's owner may be another). */
static bool
serve_forwardable(enum ld_op op)
{
	return op == LD_OP_WO_URGE || op == LD_OP_WO_SUPERVISE ||
	    serve_unit_op(op);
}

static bool
serve_unit_op(enum ld_op op)
{
	return op == LD_OP_WO_SIGN || op == LD_OP_WO_RETURN ||
	    op == LD_OP_EXT_REQUEST || op == LD_OP_WO_PROGRESS ||
	    op == LD_OP_WO_COMPLETE;
}

/* The caller of a unit's request a peer forwarded: "unit:<client id>",
 * a unit terminal of a node on that side of the link (a child's subtree;
 * for the parent, anywhere outside this node's subtree). */
static int
serve_fed_unit(struct ld_serve *sv, const struct serve_msg *m,
    struct ld_caller *c, struct ld_err *e)
{
	const struct ld_topo *t = sv->t;
	int peer = fed_link_peer(sv->fed, m->fed_link), cl = -1;
	bool parent = fed_from_parent(sv->fed, m->fed_link), side;
	const char *id = strncmp(m->fed_actor, "unit:", 5) == 0 ?
	    m->fed_actor + 5 : NULL;

	for (int i = 0; id != NULL && i < t->n_clients; i++)
		if (strcmp(t->clients[i].id, id) == 0)
			cl = i;
	side = cl >= 0 && peer >= 0 && (parent ?
	    !fed_in_subtree(t, t->clients[cl].node, sv->self) :
	    fed_in_subtree(t, t->clients[cl].node, peer));
	if (!side || t->clients[cl].role != LD_ROLE_UNIT)
		return err_set(e, LD_EREFUSED, "'%s' is not a unit terminal "
		    "on the side of node %s", m->fed_actor, peer >= 0 ?
		    t->nodes[peer].id : "?");
	c->client = cl;
	c->role = LD_ROLE_UNIT;
	c->unit = t->clients[cl].unit;
	return LD_OK;
}

/* The caller of a request a peer forwarded: from the parent, urging or
 * supervising with the office's rights; from either side, a unit acting
 * on its own work order, as that unit.  The actor is "<actor>@<node>". */
static int
serve_fed_caller(struct ld_serve *sv, const struct serve_msg *m,
    const struct ld_request *req, struct ld_caller *c, struct ld_err *e)
{
	int peer = fed_link_peer(sv->fed, m->fed_link);
	bool parent = fed_from_parent(sv->fed, m->fed_link);
	int rc;

	memset(c, 0, sizeof(*c));
	c->client = -1;
	c->unit = -1;
	if (parent && (req->op == LD_OP_WO_URGE ||
	    req->op == LD_OP_WO_SUPERVISE))
		c->role = LD_ROLE_ADMIN;
	else if (serve_unit_op(req->op)) {
		if ((rc = serve_fed_unit(sv, m, c, e)) != 0)
			return rc;
	} else
		return err_set(e, LD_EREFUSED, "'%s' may not be forwarded "
		    "here (urging and supervising come from the parent node; "
		    "a unit's own work from the node it is a client of)",
		    proto_op_name(req->op));
	if (peer < 0 || (size_t)snprintf(c->actor, sizeof(c->actor), "%s@%s",
	    m->fed_actor, sv->t->nodes[peer].id) >= sizeof(c->actor))
		snprintf(c->actor, sizeof(c->actor), "%s", m->fed_actor);
	return LD_OK;
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
	if (m->from_fed ? serve_fed_caller(sv, m, req, c, &e) != 0 :
	    (req_caller(&sv->env, m->user, c, &e) != 0 ||
	    req_allowed(c, req->op, &e) != 0)) {
		serve_error(sv, m, req->id, proto_op_name(req->op), &e);
		return -1;
	}
	return 0;
}

/* The node that made ticket id (its prefix, "XA-2011-..."), parsed into
 * node: another node of the topology than this one, else NULL. */
static const char *
serve_creator(const struct ld_serve *sv, const char *id,
    char node[LD_NODE_MAX + 1])
{
	int n;

	if (ticket_id_parse(id, node, NULL, NULL) != 0 ||
	    (n = topo_node(sv->t, node)) < 0 || n == sv->self)
		return NULL;
	return node;
}

/*
 * A request to urge or supervise a work order of a ticket another node
 * owns, or a unit's work on it, goes to that owner (fed_forward); the
 * answer comes back later (serve_forwarded).  A unit's work on a ticket
 * not held here yet goes to the node that made it.  Returns true when m
 * was forwarded or answered.
 */
static bool
serve_forward(struct ld_serve *sv, const struct serve_msg *m,
    const struct ld_request *req, const struct ld_caller *c)
{
	struct serve_fwd *fw = NULL;
	struct ld_err e;
	static struct ld_ticket tk;	/* main thread only */
	char creator[LD_NODE_MAX + 1];
	const char *owner;
	int rc;

	if (sv->fed == NULL || m->from_fed || !serve_forwardable(req->op))
		return false;
	/* who owns it, and the office's right to urge: the view's head */
	rc = store_get_head_at(sv->s, req->ticket, &tk, NULL, NULL);
	if (rc == LD_ENOTFOUND && serve_unit_op(req->op) &&
	    (owner = serve_creator(sv, req->ticket, creator)) != NULL) {
		/* not here yet (replication takes a few ms): a unit's work
		 * goes to the node that made the ticket, which judges it
		 * (its work order, its owner) */
	} else if (rc != 0 || strcmp(tk.owner, sv->t->nodes[sv->self].id) == 0)
		return false;
	else {
		/* a unit's work is judged by the owner (its copy here may not
		 * show the work order yet); the office's urging here */
		owner = tk.owner;
		err_clear(&e);
		if (!serve_unit_op(req->op) &&
		    req_can_see(&sv->env, c, &tk, &e) != 0) {
			serve_error(sv, m, req->id, proto_op_name(req->op), &e);
			return true;
		}
	}
	for (int i = 0; i < SERVE_FWD_MAX && fw == NULL; i++)
		if (!sv->fwd[i].used)
			fw = &sv->fwd[i];
	if (fw == NULL) {
		err_set(&e, LD_EBUSY, "too many requests waiting for other "
		    "nodes; try again");
		serve_error(sv, m, req->id, proto_op_name(req->op), &e);
		return true;
	}
	fw->id = ++sv->fwd_next;
	if (fed_forward(sv->fed, owner, fw->id, c->actor, m->body, m->len,
	    &fw->link, &e) != 0) {
		serve_error(sv, m, req->id, proto_op_name(req->op), &e);
		return true;
	}
	fw->used = true;
	/* real time: the node's clock may be simulated or stepped */
	fw->deadline = ltime_mono_ms() + SERVE_FWD_MS;
	fw->msg = *m;
	return true;
}

/* Answers of owners to forwarded requests, and the ones that waited too
 * long. */
static void
serve_forwarded(struct ld_serve *sv)
{
	const uint8_t *body;
	size_t len;
	uint64_t id;
	int64_t now = ltime_mono_ms();
	struct ld_err e;
	int link;

	while (fed_next_rep(sv->fed, &link, &id, &body, &len))
		for (int i = 0; i < SERVE_FWD_MAX; i++)
			if (sv->fwd[i].used && sv->fwd[i].id == id &&
			    sv->fwd[i].link == link) {
				serve_send(sv, &sv->fwd[i].msg, body, len);
				sv->fwd[i].used = false;
			}
	for (int i = 0; i < SERVE_FWD_MAX; i++) {
		struct ld_request *r = &sv->qreq;

		if (!sv->fwd[i].used || sv->fwd[i].deadline > now)
			continue;
		sv->fwd[i].used = false;
		memset(r, 0, sizeof(*r));
		proto_request_decode(sv->fwd[i].msg.body, sv->fwd[i].msg.len, r,
		    NULL);
		err_set(&e, LD_EBUSY, "no answer from the node that holds the "
		    "ticket within %d s; it may have recorded it: look before "
		    "trying again", SERVE_FWD_MS / 1000);
		serve_error(sv, &sv->fwd[i].msg, r->id, proto_op_name(r->op),
		    &e);
	}
}

static int serve_take(struct ld_serve *sv, struct serve_msg *m);

/* Requests peers forwarded to this node, into the batch being gathered
 * (as if a client had sent them). */
static void
serve_take_forwarded(struct ld_serve *sv)
{
	struct serve_batch *b = &sv->b[sv->building];
	const uint8_t *body;
	const char *actor;
	size_t len;
	uint64_t id;
	int link;

	while (!sv->has_held && b->n < SERVE_BATCH_MAX &&
	    fed_next_req(sv->fed, &link, &id, &actor, &body, &len)) {
		struct serve_msg *m = &b->msgs[b->got];
		int took;

		memset(m, 0, offsetof(struct serve_msg, body));
		m->from_fed = true;
		m->fed_link = link;
		m->fed_id = id;
		snprintf(m->fed_actor, sizeof(m->fed_actor), "%s", actor);
		m->frames = 1;
		m->len = len < sizeof(m->body) ? len : sizeof(m->body);
		memcpy(m->body, body, m->len);
		took = serve_take(sv, m);
		if (took == SERVE_WAIT) {
			sv->held = *m;
			sv->has_held = true;
		}
		b->got += took == SERVE_PLANNED;
	}
}

/* Is a request on ticket id in batch b? */
static bool
serve_in_batch(const struct serve_batch *b, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(req_ticket_of(&b->slots[i].req), id) == 0)
			return true;
	return false;
}

/* Must a request on ticket id wait: is the ticket in the batch being
 * gathered, or in the one being committed? */
static bool
serve_ticket_busy(const struct ld_serve *sv, const char *id)
{
	if (id[0] == '\0')
		return false;
	return serve_in_batch(&sv->b[sv->building], id) ||
	    (sv->inflight && serve_in_batch(&sv->b[!sv->building], id));
}

/*
 * Take message m into the batch being gathered: answer it at once (a bad
 * request, a query, a refusal: returns SERVE_ANSWERED, m may be reused),
 * or plan it into the next slot (SERVE_PLANNED: m must live until the
 * batch is answered), or leave it (SERVE_WAIT: its ticket is in a batch
 * not yet committed, or no room for its events).
 */
static int
serve_take(struct ld_serve *sv, struct serve_msg *m)
{
	struct serve_batch *b = &sv->b[sv->building];
	struct serve_slot *sl = &b->slots[b->n];
	struct ld_err e;
	int len;

	if (serve_admit(sv, m, &sl->req, &sl->caller) != 0 ||
	    serve_forward(sv, m, &sl->req, &sl->caller))
		return SERVE_ANSWERED;
	if (req_is_query(sl->req.op)) {
		err_clear(&e);
		len = req_query(&sv->env, &sl->caller, &sl->req, sv->reply,
		    LD_PROTO_REPLY_MAX, &e);
		if (len < 0)
			serve_error(sv, m, sl->req.id, proto_op_name(sl->req.op),
			    &e);
		else
			serve_send(sv, m, sv->reply, (size_t)len);
		return SERVE_ANSWERED;
	}
	if (serve_ticket_busy(sv, req_ticket_of(&sl->req)) ||
	    b->used + req_events_max(&sl->req) > SERVE_EVENTS)
		return SERVE_WAIT;
	memset(&sl->plan, 0, sizeof(sl->plan));
	sl->plan.ev = b->events + b->used;
	err_clear(&e);
	if (req_plan(&sv->env, &sl->caller, &sl->req, &sl->plan,
	    req_events_max(&sl->req), &e) != 0) {
		serve_error(sv, m, sl->req.id, proto_op_name(sl->req.op), &e);
		return SERVE_ANSWERED;
	}
	sl->msg = m;
	sl->first = b->used;
	b->used += sl->plan.n;
	b->n++;
	return SERVE_PLANNED;
}

/* Decode the batches the links received into b (also while the batch
 * before it commits: the decode overlaps the disk); their items wait at
 * items[SERVE_EVENTS ..] until b is handed over. */
static void
serve_take_fed(struct ld_serve *sv, struct serve_batch *b)
{
	size_t before = b->n_taken, n;

	if (sv->fed == NULL || !fed_waiting(sv->fed))
		return;
	n = fed_take(sv->fed, b->events + SERVE_EVENTS + b->fed_used,
	    b->items + SERVE_EVENTS + b->fed_used, SERVE_FED_EVENTS - b->fed_used,
	    b->meta, &b->n_meta, b->taken, &b->n_taken);
	for (size_t i = before; i < b->n_taken; i++)
		b->taken[i].first += b->fed_used;	/* from the region's start */
	b->fed_used += n;
}

/* Hand batch b to the writer thread (fresh: first build its items, and
 * add the batches the links received).  False when there is nothing to
 * commit after all (the links' batches were empty). */
static bool
serve_submit(struct ld_serve *sv, struct serve_batch *b, bool fresh)
{
	for (size_t i = 0; fresh && i < b->n; i++) {
		const struct serve_slot *sl = &b->slots[i];

		req_items(&b->events[sl->first], sl->plan.n,
		    &b->items[sl->first]);
	}
	if (fresh) {
		serve_take_fed(sv, b);
		/* the replicated events' items follow the clients' */
		memmove(b->items + b->used, b->items + SERVE_EVENTS,
		    b->fed_used * sizeof(b->items[0]));
		for (size_t i = 0; i < b->n_taken; i++)
			b->taken[i].first += b->used;
		b->total = b->used + b->fed_used;
		if (b->n == 0 && b->total == 0 && b->n_meta == 0)
			return false;
	}
	b->now = ltime_now();
	pthread_mutex_lock(&sv->mu);
	sv->job = b;
	pthread_cond_signal(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	sv->inflight = true;
	return true;
}

/* Is m the deadline cursor, which goes with a batch's urges? */
static bool
serve_is_due_meta(const struct ld_store_meta *m)
{
	return strcmp(m->key, DUE_CURSOR_KEY) == 0;
}

/* Does batch b carry urges (the deadline cursor with them)? */
static bool
serve_has_due(const struct serve_batch *b)
{
	for (size_t i = 0; i < b->n_meta; i++)
		if (serve_is_due_meta(&b->meta[i]))
			return true;
	return false;
}

/* The writer committed b: settle what the commit decides (a map that
 * must grow is grown here, with no read open, and b committed again:
 * returns false, b is in flight again; the links' positions; the
 * deadlines).  Its requests are answered afterwards, serve_answer. */
static bool
serve_settle(struct ld_serve *sv, struct serve_batch *b)
{
	sv->inflight = false;
	if (b->rc == LD_EFULL && store_grow_pending(sv->s)) {
		if (store_grow_map(sv->s, &b->err) == 0) {
			serve_submit(sv, b, false);
			return false;
		}
		/* the real failure, not "grow it and commit again" */
		b->rc = b->err.code;
		for (size_t i = 0; i < b->total; i++) {
			b->items[i].rc = b->rc;
			b->items[i].err = b->err;
		}
	}
	if (b->rc != 0)
		serve_log(sv, LD_LOG_ERROR, "commit of %zu requests failed: %s "
		    "(%s)", b->n, b->err.msg, err_name(b->rc));
	else
		sv->n.commits++;
	if (sv->fed != NULL) {
		struct serve_batch *next = &sv->b[sv->building];

		if (b->rc == 0)
			fed_applied(sv->fed, b->items, b->total);
		fed_committed(sv->fed, b->taken, b->n_taken, b->items, b->rc);
		if (b->rc != 0 && next != b && next->n_taken > 0) {
			/* they assumed this commit; the deadline cursor stays
			 * with the urges next holds */
			size_t kept = 0;

			fed_discard(sv->fed, next->taken, next->n_taken);
			next->fed_used = next->n_taken = 0;
			for (size_t i = 0; i < next->n_meta; i++)
				if (serve_is_due_meta(&next->meta[i]))
					next->meta[kept++] = next->meta[i];
			next->n_meta = kept;
		}
	}
	if (b->rc == 0 && sv->sms != NULL && sms_wanted(b->items, b->total))
		sms_kick(sv->sms);
	if (b->rc != 0 && serve_has_due(b))	/* its urges not recorded:
						 * look again from the disk's
						 * cursor (the next batch holds
						 * none, serve_due) */
		sv->due_cursor = store_meta_u64(sv->s, DUE_CURSOR_KEY);
	sv->due_at = due_next(sv->s, sv->due_cursor);
	return true;
}

/* Answer each change request of the settled batch b, and empty b. */
static void
serve_answer(struct ld_serve *sv, struct serve_batch *b)
{
	struct ld_err e;

	for (size_t i = 0; i < b->n; i++) {
		struct serve_slot *sl = &b->slots[i];
		const char *op = proto_op_name(sl->req.op);
		int len;

		if (sl->msg == NULL) {	/* a deadline's urge: no client */
			if (b->rc == 0 && b->items[sl->first].rc != 0)
				log_info("due", "%s of %s not recorded: %s",
				    event_kind_name(sl->plan.ev[0].kind),
				    sl->plan.ev[0].ticket,
				    b->items[sl->first].err.msg);
			continue;
		}
		if (sl->plan.n > 0 && b->items[sl->first].rc != 0) {
			serve_error(sv, sl->msg, sl->req.id, op,
			    &b->items[sl->first].err);
			continue;
		}
		if (b->rc != 0) {
			serve_error(sv, sl->msg, sl->req.id, op, &b->err);
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
	b->got = b->n = b->used = b->total = b->fed_used = 0;
	b->n_meta = b->n_taken = 0;
}

/* The writer is free: hand it the batch being gathered when it holds
 * something (requests, replicated batches); the other batch becomes the
 * one gathered.  True when handed over. */
static bool
serve_handover(struct ld_serve *sv)
{
	struct serve_batch *b = &sv->b[sv->building];

	if (sv->inflight || !(b->n > 0 || b->n_taken > 0 ||
	    (sv->fed != NULL && fed_waiting(sv->fed))) ||
	    !serve_submit(sv, b, true))
		return false;
	sv->building = !sv->building;
	return true;
}

/* Has the writer finished its batch?  (Its "done" waits, unread.) */
static bool
serve_writer_done(const struct ld_serve *sv)
{
	zmq_pollitem_t it = { NULL, sv->done_fd, ZMQ_POLLIN, 0 };

	return zmq_poll(&it, 1, 0) == 1;
}

/* Gather into the batch being built: the held message first, then what
 * is waiting on the socket (unless stopping).  Returns -1 when the socket
 * fails for good. */
static int
serve_gather(struct ld_serve *sv, bool read_socket)
{
	struct serve_batch *b = &sv->b[sv->building];

	sv->env.now = ltime_now();
	if (sv->has_held) {
		int took;

		if (b->n >= SERVE_BATCH_MAX)	/* slots: deadlines take
						 * some without a message */
			return 0;
		b->msgs[b->got] = sv->held;
		took = serve_take(sv, &b->msgs[b->got]);
		if (took == SERVE_WAIT)
			return 0;	/* still waits: read nothing new */
		sv->has_held = false;
		b->got += took == SERVE_PLANNED;
	}
	/* at most a batch's worth of messages a call, queries included:
	 * a stream of queries must not keep the commit waiting */
	for (int reads = 0; read_socket && b->n < SERVE_BATCH_MAX &&
	    reads < SERVE_BATCH_MAX; reads++) {
		struct serve_msg *m = &b->msgs[b->got];
		int rc = serve_recv(sv, m), took;

		if (rc <= 0)
			return rc;
		took = serve_take(sv, m);
		if (took == SERVE_WAIT) {
			sv->held = *m;
			sv->has_held = true;
			return 0;
		}
		b->got += took == SERVE_PLANNED;
		/* the writer is free again: hand it this batch first */
		if (sv->inflight && (reads & 15) == 15 && serve_writer_done(sv))
			break;
	}
	return 0;
}

/* Deadlines that passed since the cursor: an urge or a supervision each,
 * one slot each (no client), with the cursor committed beside them
 * (due.h). */
static void
serve_due(struct ld_serve *sv, struct serve_batch *b)
{
	size_t room = SERVE_BATCH_MAX - b->n, n;
	int64_t covered;
	struct ld_event *ev = b->events + b->used;

	if (room > SERVE_EVENTS - b->used)
		room = SERVE_EVENTS - b->used;
	/* not on top of urges still committing: if that commit failed,
	 * both ranges would be planned again (serve_settle) */
	if (room == 0 || sv->has_held ||
	    (sv->inflight && serve_has_due(&sv->b[!sv->building])))
		return;
	sv->env.now = ltime_now();
	n = due_plan(&sv->env, sv->due_cursor, sv->env.now, ev, room, &covered);
	for (size_t i = 0; i < n; i++) {
		struct serve_slot *sl = &b->slots[b->n++];

		memset(&sl->req, 0, sizeof(sl->req));
		sl->msg = NULL;
		sl->plan.ev = ev + i;
		sl->plan.n = 1;
		snprintf(sl->plan.ticket, sizeof(sl->plan.ticket), "%s",
		    ev[i].ticket);
		sl->first = b->used++;
	}
	if (n > 0) {
		snprintf(b->meta[b->n_meta].key, sizeof(b->meta[0].key), "%s",
		    DUE_CURSOR_KEY);
		b->meta[b->n_meta].value = (uint64_t)covered;
		b->n_meta++;
		log_info("due", "%zu deadlines passed: urged or supervised", n);
	}
	sv->due_cursor = covered;
	sv->due_at = due_next(sv->s, covered);
}

/* Read the writer's "done" (the eventfd's counter). */
static void
serve_drain_done(struct ld_serve *sv)
{
	uint64_t v;

	while (read(sv->done_fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* Once a local day (at start, and after midnight): draw the spot check
 * of the day before and say so, for the operators (spot.check lists it;
 * the draw is reproducible, so listing it later gives the same sample). */
static void
serve_spot(struct ld_serve *sv)
{
	uint32_t today = ltime_day(ltime_now()), day;
	struct ld_spot_item *it;
	uint64_t total = 0;
	size_t n = 0;
	bool truncated = false;
	struct ld_err err;
	char ds[11];

	if (today == sv->spot_day)
		return;
	sv->spot_day = today;
	day = ltime_day(ltime_day_start(today) - 1);
	if ((it = malloc(SPOT_MAX * sizeof(*it))) == NULL)
		return;
	req_day_str(day, ds);
	if (spot_draw(sv->s, sv->t, sv->self, day, it, SPOT_MAX, &n, &total,
	    &truncated, &err) != 0)
		log_warn("spot", "spot check of %s: %s", ds, err.msg);
	else if (total > 0)
		log_info("spot", "spot check of %s: %zu of the %llu work orders "
		    "completed that day drawn for callbacks%s (linkctl spot %s)",
		    ds, n, (unsigned long long)total, truncated ?
		    " (the list is cut)" : "", ds);
	free(it);
}

int
serve_run(struct ld_serve *sv, volatile sig_atomic_t *stop)
{
	for (;;) {
		struct serve_batch *b = &sv->b[sv->building];
		bool stopping = *stop != 0;
		/* room in slots, not messages: the deadlines' urges take
		 * slots of their own (serve_due), and a message read when
		 * every slot was taken wrote past the last one */
		bool room = !sv->has_held && b->n < SERVE_BATCH_MAX;
		zmq_pollitem_t it[4] = {
			{ sv->sock, 0, ZMQ_POLLIN, 0 },
			{ NULL, sv->done_fd, ZMQ_POLLIN, 0 },
		};
		int rc, n = 2, timeout;
		int64_t next_due;

		if (sv->fed != NULL) {
			fed_tick(sv->fed);
			serve_take_fed(sv, b);
		}
		serve_spot(sv);
		next_due = stopping ? 0 : sv->due_at;
		if (next_due > 0 && next_due <= ltime_now())
			serve_due(sv, b);
		/* commit what was gathered (requests, replicated batches) as
		 * soon as the writer is free */
		if (serve_handover(sv))
			continue;
		if (stopping && !sv->inflight && !sv->has_held)
			return LD_OK;	/* everything received is answered */
		if (!sv->inflight && sv->has_held && b->n == 0) {
			/* nothing it could wait for: take it now */
			if (serve_gather(sv, false) != 0)
				return LD_EIO;
			continue;
		}
		it[0].events = room && !stopping ? ZMQ_POLLIN : 0;
		if (sv->fed != NULL && !stopping)
			n += fed_poll_items(sv->fed, &it[2]);
		timeout = stopping ? 10 : sv->fed != NULL ?
		    fed_next_ms(sv->fed, SERVE_FED_POLL_MS) : SERVE_POLL_MS;
		if (next_due > ltime_now() && next_due - ltime_now() < timeout)
			timeout = (int)(next_due - ltime_now());	/* wake for
								 * it */
		rc = zmq_poll(it, n, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			log_error("serve", "poll: %s", zmq_strerror(errno));
			return LD_EIO;
		}
		if (n > 2 && ((it[2].revents | (n > 3 ? it[3].revents : 0)) &
		    ZMQ_POLLIN))
			fed_read(sv->fed);
		if (sv->fed != NULL) {
			serve_forwarded(sv);
			serve_take_forwarded(sv);
		}
		if (it[1].revents & ZMQ_POLLIN) {
			struct serve_batch *done = &sv->b[!sv->building];
			bool settled;

			serve_drain_done(sv);
			settled = sv->inflight && serve_settle(sv, done);
			/* a held request may go now, in the next batch */
			if (sv->has_held && serve_gather(sv, false) != 0)
				return LD_EIO;
			if (settled) {
				bool ok = done->rc == 0;

				/* the next batch goes to the disk before this
				 * one's answers go out: they overlap.  Its client
				 * requests were planned apart from this one (a
				 * request on a ticket of this one waited,
				 * serve_take); a reply may show replicated
				 * events or urges of the next batch when that
				 * commits first: as current as a read just
				 * after.  The peers' held pulls are looked at
				 * last, with the writer busy again. */
				serve_handover(sv);
				serve_answer(sv, done);
				if (ok && sv->fed != NULL)
					fed_after_commit(sv->fed);
			}
			continue;	/* hand the gathered batch over first */
		}
		if ((it[0].revents & ZMQ_POLLIN) &&
		    serve_gather(sv, !stopping) != 0)
			return LD_EIO;
	}
}

void
serve_set_sms(struct ld_serve *sv, struct ld_sms *m)
{
	sv->sms = m;
	sv->env.outbox = sms_outbox(m);
}
