/*
 * fed_link.c - a node's links to its parent and children: the peer
 * sockets, heartbeats, pulls, the batches it answers from its log, and
 * the batches it receives, handed to the group commit (fed.h; the
 * contract is docs/federation.md).
 *
 * Everything runs in the node's main thread (serve.c calls fed_read,
 * fed_tick, fed_take and fed_committed); the store is only read here,
 * and written by the commit the received batches join.
 */
#include "fed.h"
#include "ltime.h"
#include "auth.h"
#include "codec.h"
#include "keyfile.h"
#include "log.h"
#include "ticket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define FED_RID_MAX 255
#define FED_READS 64		/* messages read per socket and call */
#define FED_DOWN_EXAMINE 4000	/* applied entries examined per down pull
				 * (a few ms of the main thread) */
#define FED_LOG_PER_S 10	/* refused-frame lines a second */
#define FED_QUEUE_MAX 64	/* forwarded requests / answers waiting */

struct fed_link {
	int peer;		/* index into t->nodes */
	bool parent;		/* the peer is this node's parent */
	uint8_t rid[FED_RID_MAX];	/* a child's routing id on the ROUTER */
	size_t rid_len;		/* 0: not heard from yet */
	bool up;
	int64_t since;		/* up, or down, since */
	int64_t heard;		/* last message received */
	int64_t sent;		/* last message sent */
	int64_t pulled;		/* our pull is out since (0: none) */
	int64_t next_pull;	/* earliest next pull */
	uint8_t *frame;		/* a batch received, waiting for a commit */
	size_t frame_len;
	int taken;		/* its batches in commits not yet done (0..2:
				 * one committing, the next one decoded into
				 * the batch being gathered) */
	/* while some are: the positions they will bring, so that the next
	 * pull goes out at once (replication overlaps the commit); if a
	 * commit fails, the batches after it are dropped (fed_discard) and
	 * asked again */
	uint64_t down_next;
	struct fed_have next_have[FED_ORIGINS_MAX];
	size_t n_next_have;
	uint64_t lag_out;	/* events the peer has not acknowledged */
	/* the peer's last pull, when it found nothing: held until news
	 * comes (answered after our next commit that brings some) or
	 * park_until (answered empty); a newer pull takes its place */
	bool parked;
	int64_t park_until;	/* monotonic ms */
	uint64_t park_from;	/* down: the pull's from */
	uint64_t park_to;	/* down: examined up to here already */
	struct fed_have park_have[FED_ORIGINS_MAX];	/* up: the pull's */
	size_t park_n_have;
	uint64_t down_pos;	/* the parent link: our down position (stored
				 * with the events it brought; a move past
				 * events that do not concern us is kept in
				 * memory only: after a restart the parent
				 * looks at them again, harmlessly) */
	struct fed_link_status st;
};

/* A forwarded request or its answer, waiting for serve.c. */
struct fed_q {
	int link;
	uint64_t id;
	char actor[LD_ACTOR_MAX + 1];
	uint8_t *body;
	size_t len;
};

struct fed {
	const struct ld_topo *t;
	int self;
	struct ld_store *s;
	void *router;		/* children connect here */
	void *dealer;		/* to the parent */
	struct fed_link links[FED_LINKS_MAX];
	int n_links;
	uint8_t *out;		/* a frame being written (FED_FRAME_MAX) */
	uint8_t *arena;		/* a batch's events (FED_BATCH_BYTES) */
	size_t arena_off;
	uint32_t ev_off[FED_BATCH_MAX], ev_len[FED_BATCH_MAX];
	size_t n_ev;
	struct fed_msg *in;	/* the message being read */
	struct ld_event *ev;	/* scratch */
	struct ld_ticket *tk;	/* scratch: the view of the ticket */
	struct fed_cache *cache;	/* the down scan's (fed_cache.c) */
	int64_t log_second;
	int log_lines;
	struct fed_q reqs[FED_QUEUE_MAX], reps[FED_QUEUE_MAX];
	int n_reqs, n_reps;
	struct fed_q taken_req, taken_rep;	/* handed out, freed next call */
};

/* After an empty batch, pull again this much later (fed_set_pull_idle). */
static int fed_pull_idle_ms = FED_PULL_IDLE_MS;

int
fed_set_pull_idle(int ms)
{
	if (ms < FED_PULL_IDLE_MIN || ms > FED_PULL_IDLE_MAX)
		return LD_EINVAL;
	fed_pull_idle_ms = ms;
	return LD_OK;
}

/* A link is down after this much silence; a ping goes after a third of
 * it (fed_set_link_dead). */
static int fed_dead_ms = FED_DEAD_MS, fed_ping_ms = FED_PING_MS;

int
fed_set_link_dead(int ms)
{
	if (ms < FED_DEAD_MIN || ms > FED_DEAD_MAX)
		return LD_EINVAL;
	fed_dead_ms = ms;
	fed_ping_ms = ms / 3;
	return LD_OK;
}

/* A refused frame: logged, at most FED_LOG_PER_S lines a second. */
static void
fed_refuse(struct fed *f, struct fed_link *l, const char *what,
    const struct ld_err *e)
{
	int64_t sec = ltime_mono_ms() / 1000;

	if (l != NULL)
		l->st.refused++;
	if (sec != f->log_second) {
		f->log_second = sec;
		f->log_lines = 0;
	}
	if (f->log_lines++ < FED_LOG_PER_S)
		log_warn("fed", "%s %s: refused %s: %s",
		    l ? (l->parent ? "parent" : "child") : "peer",
		    l ? f->t->nodes[l->peer].id : "?", what,
		    e ? e->msg : "");
}

static const char *
fed_peer_id(const struct fed *f, const struct fed_link *l)
{
	return f->t->nodes[l->peer].id;
}

/* ---- sending ------------------------------------------------------------ */

static void
fed_send(struct fed *f, struct fed_link *l, const uint8_t *buf, int len,
    int64_t now)
{
	int rc;

	if (len < 0)
		return;
	if (l->parent) {
		rc = zmq_send(f->dealer, buf, (size_t)len, ZMQ_DONTWAIT);
	} else {
		if (l->rid_len == 0)
			return;	/* the child has not spoken yet */
		rc = zmq_send(f->router, l->rid, l->rid_len,
		    ZMQ_SNDMORE | ZMQ_DONTWAIT);
		if (rc >= 0)
			rc = zmq_send(f->router, buf, (size_t)len, ZMQ_DONTWAIT);
	}
	if (rc >= 0)
		l->sent = now;
	/* a send that fails (a full queue, no connection) is as good as
	 * lost on the wire: the pull cycle asks again */
}

/* ---- the up stream: a child answers its parent's pull ------------------ */

/* Add one event's bytes to the batch being gathered; 1 when full. */
static int
fed_arena_add(struct fed *f, const uint8_t *ev, size_t len)
{
	if (f->n_ev == FED_BATCH_MAX || len > FED_BATCH_BYTES - f->arena_off)
		return 1;
	memcpy(f->arena + f->arena_off, ev, len);
	f->ev_off[f->n_ev] = (uint32_t)f->arena_off;
	f->ev_len[f->n_ev] = (uint32_t)len;
	f->arena_off += len;
	f->n_ev++;
	return 0;
}

/* One origin's events going up: the highest sequence put in the batch. */
struct fed_up {
	struct fed *f;
	uint64_t last;
};

static int
fed_up_event(uint64_t seq, const uint8_t *ev, size_t len, void *arg)
{
	struct fed_up *u = arg;

	if (fed_arena_add(u->f, ev, len) != 0)
		return 1;
	u->last = seq;
	return 0;
}

/* Write the gathered events as a batch frame, with left: the events the
 * peer still lacks after it, and send it. */
static void
fed_send_batch(struct fed *f, struct fed_link *l, enum fed_stream s,
    uint64_t from, uint64_t to, uint64_t left, int64_t now)
{
	struct fed_batch_wr w;

	fed_batch_begin(&w, f->out, FED_FRAME_MAX, s, from, to, left, f->n_ev);
	for (size_t i = 0; i < f->n_ev; i++)
		fed_batch_event(&w, f->arena + f->ev_off[i], f->ev_len[i]);
	fed_send(f, l, f->out, fed_batch_end(&w), now);
	l->st.sent += f->n_ev;
}

/* Hold the pull of l (its position is in l->park_*) until news comes or
 * FED_PARK_MS pass. */
static void
fed_park(struct fed_link *l, int64_t now)
{
	if (!l->parked)
		l->park_until = now + FED_PARK_MS;
	l->parked = true;
}

/* The parent pulled the up stream with its positions: send what it lacks
 * of every origin of this node's subtree, origins in topology order, and
 * say how many it still lacks after this batch (`left`: per origin, our
 * cursor less the highest sequence it holds or this batch brings). */
static void
fed_answer_pull_up(struct fed *f, struct fed_link *l,
    const struct fed_have *have_of, size_t n_have, bool may_park, int64_t now)
{
	struct ld_err err;
	uint64_t left = 0;

	f->n_ev = 0;
	f->arena_off = 0;
	l->lag_out = 0;
	for (int o = 0; o < f->t->n_nodes; o++) {
		const char *id = f->t->nodes[o].id;
		uint64_t have = 0, cur;
		struct fed_up u = { .f = f };

		if (!fed_in_subtree(f->t, o, f->self))
			continue;
		for (size_t i = 0; i < n_have; i++)
			if (strcmp(have_of[i].origin, id) == 0)
				have = have_of[i].seq;
		cur = store_cursor(f->s, id);
		if (cur > have)
			l->lag_out += cur - have;
		if (cur <= have)
			continue;
		u.last = have;
		if (f->n_ev < FED_BATCH_MAX && store_events_after(f->s, id,
		    have, fed_up_event, &u, &err) != 0)
			log_error("fed", "reading %s's events: %s", id, err.msg);
		/* the snapshot read may hold more than cur: none left then */
		if (cur > u.last)
			left += cur - u.last;
	}
	if (may_park && f->n_ev == 0 && left == 0) {
		if (have_of != l->park_have) {
			memcpy(l->park_have, have_of, n_have * sizeof(*have_of));
			l->park_n_have = n_have;
		}
		fed_park(l, now);
		return;
	}
	l->parked = false;
	fed_send_batch(f, l, FED_UP, 0, 0, left, now);
}

/* ---- the down stream: a parent answers its child's pull ---------------- */

struct fed_down {
	struct fed *f;
	int child;
	uint64_t to;		/* last applied index examined */
	size_t examined;
	uint64_t last;		/* the store's last apply index at the start:
				 * the scan stops there */
	bool full;
	bool hist_full;		/* a ticket's history did not fit */
};

/* Add a ticket's whole history (a hand-down: the child may never have seen
 * the ticket); the child skips what it holds.  1 when it does not fit. */
static int
fed_down_history_ev(const struct ld_event *ev, void *arg)
{
	struct fed_down *d = arg;
	uint8_t buf[LD_FRAME_MAX];
	int len;

	if (fed_id_in_subtree(d->f->t, ev->origin, d->child))
		return 0;	/* the child made it: it has it */
	len = codec_event_encode(ev, buf, sizeof(buf), NULL);
	if (len >= 0 && fed_arena_add(d->f, buf, (size_t)len) != 0) {
		d->hist_full = true;	/* store_history stops, "ok" */
		return 1;
	}
	return 0;
}

/* The entry's encoded event into *bytes, read once (store_applied_bytes):
 * false when the log lacks it (the scan then stops, saying so). */
static bool
fed_down_bytes(struct store_applied_ev *sev, const uint8_t **bytes,
    size_t *len)
{
	return *bytes != NULL || store_applied_bytes(sev, bytes, len) == 0;
}

static int
fed_down_entry(uint64_t idx, const char *origin, uint64_t seq,
    struct store_applied_ev *sev, void *arg)
{
	struct fed_down *d = arg;
	struct fed *f = d->f;
	const struct fed_ev_scope *ev;
	const struct fed_tk_scope *tk = NULL;
	size_t mark_ev = f->n_ev, mark_off = f->arena_off;
	const uint8_t *bytes = NULL;
	size_t len = 0;
	bool known;

	(void)seq;
	/* not past the last index read before the scan: a view the cache
	 * holds for that index must include every entry it judges (the
	 * writer may commit while the scan runs; the next pull, or the
	 * answer after that commit, goes on from here) */
	if (idx > d->last)
		return 1;
	if (d->examined++ == FED_DOWN_EXAMINE)
		return 1;
	/* each entry read and decoded, and each ticket's view read, once for
	 * all the children (fed_cache.c); its bytes again only to send it */
	if (fed_id_in_subtree(f->t, origin, d->child)) {
		d->to = idx;	/* the child has it */
		return 0;
	}
	ev = fed_cache_peek(f->cache, idx, &known);
	if (!known) {
		if (!fed_down_bytes(sev, &bytes, &len))
			return 1;
		ev = fed_cache_event(f->cache, idx, bytes, len, f->ev);
	}
	if (ev == NULL) {
		d->to = idx;	/* not ours to send */
		return 0;
	}
	if (event_kinds[ev->kind].ticket && ev->ticket[0])
		tk = fed_cache_ticket(f->cache, f->s, ev->ticket, d->last,
		    f->tk);
	if (fed_concerns(f->t, d->child, ev, tk)) {
		int full = 0;

		if (ev->kind == LD_EV_TRANSFER_REQUESTED &&
		    fed_id_in_subtree(f->t, ev->node, d->child)) {
			d->hist_full = false;
			full = store_history(f->s, ev->ticket,
			    fed_down_history_ev, d, NULL) != 0 || d->hist_full;
		} else {
			if (!fed_down_bytes(sev, &bytes, &len))
				return 1;
			full = fed_arena_add(f, bytes, len);
		}
		if (full && mark_ev == 0) {
			if (!fed_down_bytes(sev, &bytes, &len))
				return 1;
			/* a history no batch can hold: send the transfer
			 * alone rather than stall the stream for ever (the
			 * child keeps what its rules cannot apply, and logs
			 * it) */
			f->n_ev = 0;
			f->arena_off = 0;
			log_warn("fed", "ticket %s: its history does not fit in "
			    "a batch for %s; the transfer goes alone",
			    ev->ticket, f->t->nodes[d->child].id);
			fed_arena_add(f, bytes, len);
			d->to = idx;
			d->full = true;
			return 1;
		}
		if (full) {
			/* not this entry: the next pull starts at it */
			f->n_ev = mark_ev;
			f->arena_off = mark_off;
			d->full = true;
			return 1;
		}
	}
	d->to = idx;
	return 0;
}

/* The child pulled the down stream from an applied index: send what
 * concerns it, and say how many entries lie beyond the last examined
 * (`left`: an upper bound of the events it still lacks, since most of
 * them may not concern it). */
static void
fed_answer_pull_down(struct fed *f, struct fed_link *l, uint64_t from,
    uint64_t scan, bool may_park, int64_t now)
{
	uint64_t last = store_applied_last(f->s);
	struct fed_down d = { .f = f, .child = l->peer, .to = scan,
		.last = last };
	struct ld_err err;

	f->n_ev = 0;
	f->arena_off = 0;
	l->lag_out = last > from ? last - from : 0;
	if (store_applied_scan(f->s, scan, fed_down_entry, &d, &err) != 0)
		log_error("fed", "reading the applied log for %s: %s",
		    fed_peer_id(f, l), err.msg);
	if (d.full && f->n_ev == 0 && d.to == scan)
		log_error("fed", "an event for %s does not fit in a batch",
		    fed_peer_id(f, l));
	/* nothing for the child up to the end of the log: hold the pull,
	 * with what was looked at (not after a scan that stopped early) */
	if (may_park && f->n_ev == 0 && !d.full &&
	    d.examined <= FED_DOWN_EXAMINE) {
		l->park_from = from;
		l->park_to = d.to;
		fed_park(l, now);
		return;
	}
	l->parked = false;
	fed_send_batch(f, l, FED_DOWN, from, d.to, last > d.to ? last - d.to :
	    0, now);
}

/* ---- pulls -------------------------------------------------------------- */

static char *
fed_down_key(const struct fed *f, const struct fed_link *l, char *key,
    size_t cap)
{
	snprintf(key, cap, "link:%s:down", fed_peer_id(f, l));
	return key;
}

static void
fed_pull(struct fed *f, struct fed_link *l, int64_t now)
{
	int len;

	if (l->parent) {
		len = fed_encode_pull_down(f->out, FED_FRAME_MAX, l->taken > 0 &&
		    l->down_next > l->down_pos ? l->down_next : l->down_pos);
	} else {
		struct fed_have have[FED_ORIGINS_MAX];
		size_t n = 0;

		for (int o = 0; o < f->t->n_nodes && n < FED_ORIGINS_MAX; o++)
			if (fed_in_subtree(f->t, o, l->peer)) {
				snprintf(have[n].origin, sizeof(have[n].origin),
				    "%s", f->t->nodes[o].id);
				have[n].seq = store_cursor(f->s,
				    f->t->nodes[o].id);
				for (size_t k = 0; l->taken > 0 &&
				    k < l->n_next_have; k++)
					if (strcmp(l->next_have[k].origin,
					    have[n].origin) == 0 &&
					    l->next_have[k].seq > have[n].seq)
						have[n].seq = l->next_have[k].seq;
				n++;
			}
		len = fed_encode_pull_up(f->out, FED_FRAME_MAX, have, n);
	}
	fed_send(f, l, f->out, len, now);
	l->pulled = now;
}

/* ---- receiving ---------------------------------------------------------- */

static void
fed_heard(struct fed *f, struct fed_link *l, int64_t now)
{
	l->heard = now;
	if (!l->up) {
		l->up = true;
		l->since = now;
		log_info("fed", "link to %s %s is up", l->parent ? "parent" :
		    "child", fed_peer_id(f, l));
		l->next_pull = now;	/* catch up at once */
		l->pulled = 0;
	}
}

/* Keep a forwarded request (req) or an answer (rep) for serve.c.  A full
 * queue drops it: the requester times out and says so. */
static void
fed_enqueue(struct fed *f, struct fed_link *l, const struct fed_msg *m)
{
	struct fed_q *q = m->type == FED_REQ ? f->reqs : f->reps;
	int *n = m->type == FED_REQ ? &f->n_reqs : &f->n_reps;
	struct fed_q *e;
	struct ld_err err;

	if (*n == FED_QUEUE_MAX) {
		err_set(&err, LD_EBUSY, "too many forwarded requests waiting");
		fed_refuse(f, l, "a forwarded request", &err);
		return;
	}
	e = &q[*n];
	e->body = malloc(m->body_len ? m->body_len : 1);
	if (e->body == NULL)
		return;
	memcpy(e->body, m->body, m->body_len);
	e->len = m->body_len;
	e->link = (int)(l - f->links);
	e->id = m->id;
	snprintf(e->actor, sizeof(e->actor), "%s", m->type == FED_REQ ?
	    m->actor : "");
	(*n)++;
}

/* Take the oldest of queue q (n entries) into *out (freed at the next
 * take). */
static bool
fed_dequeue(struct fed_q *q, int *n, struct fed_q *held)
{
	free(held->body);
	memset(held, 0, sizeof(*held));
	if (*n == 0)
		return false;
	*held = q[0];
	memmove(q, q + 1, (size_t)(*n - 1) * sizeof(*q));
	(*n)--;
	return true;
}

bool
fed_next_req(struct fed *f, int *link, uint64_t *id, const char **actor,
    const uint8_t **body, size_t *len)
{
	if (!fed_dequeue(f->reqs, &f->n_reqs, &f->taken_req))
		return false;
	*link = f->taken_req.link;
	*id = f->taken_req.id;
	*actor = f->taken_req.actor;
	*body = f->taken_req.body;
	*len = f->taken_req.len;
	return true;
}

bool
fed_next_rep(struct fed *f, int *link, uint64_t *id, const uint8_t **body,
    size_t *len)
{
	if (!fed_dequeue(f->reps, &f->n_reps, &f->taken_rep))
		return false;
	*link = f->taken_rep.link;
	*id = f->taken_rep.id;
	*body = f->taken_rep.body;
	*len = f->taken_rep.len;
	return true;
}

bool
fed_from_parent(const struct fed *f, int link)
{
	return link >= 0 && link < f->n_links && f->links[link].parent;
}

int
fed_link_peer(const struct fed *f, int link)
{
	return link >= 0 && link < f->n_links ? f->links[link].peer : -1;
}

/* The link towards node id: the child whose subtree holds it, else the
 * parent. */
static struct fed_link *
fed_towards(struct fed *f, const char *id)
{
	int n = topo_node(f->t, id);

	for (int i = 0; n >= 0 && i < f->n_links; i++)
		if (!f->links[i].parent && fed_in_subtree(f->t, n,
		    f->links[i].peer))
			return &f->links[i];
	for (int i = 0; i < f->n_links; i++)
		if (f->links[i].parent)
			return &f->links[i];
	return NULL;
}

int
fed_forward(struct fed *f, const char *owner, uint64_t id, const char *actor,
    const uint8_t *body, size_t len, int *link, struct ld_err *err)
{
	struct fed_link *l = fed_towards(f, owner);
	int n;

	*link = l != NULL ? (int)(l - f->links) : -1;

	if (l == NULL || !l->up || (!l->parent && l->rid_len == 0))
		return err_set(err, LD_EBUSY, "node %s, which holds the ticket, "
		    "cannot be reached now (its link is down); try again later",
		    owner);
	n = fed_encode_req(f->out, FED_FRAME_MAX, id, actor, body, len);
	if (n < 0)
		return err_set(err, n, "the request cannot be forwarded");
	fed_send(f, l, f->out, n, ltime_mono_ms());
	return LD_OK;
}

void
fed_answer(struct fed *f, int link, uint64_t id, const uint8_t *body,
    size_t len)
{
	if (link < 0 || link >= f->n_links)
		return;
	fed_send(f, &f->links[link], f->out, fed_encode_rep(f->out,
	    FED_FRAME_MAX, id, body, len), ltime_mono_ms());
}

/* One decoded message from link l. */
static void
fed_on_msg(struct fed *f, struct fed_link *l, const uint8_t *buf,
    size_t len, int64_t now)
{
	struct fed_msg *m = f->in;
	struct ld_err err;
	enum fed_stream in = l->parent ? FED_DOWN : FED_UP;

	if (fed_decode(buf, len, m, &err) != 0) {
		fed_refuse(f, l, "a frame", &err);
		return;
	}
	fed_heard(f, l, now);
	switch (m->type) {
	case FED_HELLO:
		if (strcmp(m->node, fed_peer_id(f, l)) != 0) {
			err_set(&err, LD_EREFUSED, "hello from '%s' on the "
			    "link of %s", m->node, fed_peer_id(f, l));
			fed_refuse(f, l, "hello", &err);
		}
		break;
	case FED_PING:
		break;
	case FED_PULL:
		if (m->stream == in) {
			err_set(&err, LD_EREFUSED, "a pull of the stream it "
			    "sends");
			fed_refuse(f, l, "pull", &err);
		} else {
			/* every pull is answered, also one equal to the last:
			 * a receiver whose pull went unanswered would wait
			 * FED_PULL_RETRY_MS; an answer to an older pull is
			 * skipped there (§3).  One that finds nothing is
			 * held for news (fed_after_commit), FED_PARK_MS at
			 * most */
			l->parked = false;	/* a newer pull takes its place */
			if (m->stream == FED_UP)
				fed_answer_pull_up(f, l, m->have, m->n_have,
				    true, now);
			else
				fed_answer_pull_down(f, l, m->from, m->from,
				    true, now);
		}
		break;
	case FED_BATCH:
		if (m->stream != in) {
			err_set(&err, LD_EREFUSED, "a batch of the stream it "
			    "receives");
			fed_refuse(f, l, "batch", &err);
			break;
		}
		if (l->frame != NULL)
			break;	/* one at a time: a duplicate, asked again */
		l->pulled = 0;
		l->frame = malloc(len);
		if (l->frame == NULL)
			break;
		memcpy(l->frame, buf, len);
		l->frame_len = len;
		break;
	case FED_REQ:
	case FED_REP:
		fed_enqueue(f, l, m);
		break;
	default:
		err_set(&err, LD_EUNKNOWN, "message type %d is not served",
		    (int)m->type);
		fed_refuse(f, l, "a message", &err);
		break;
	}
}

/* The link of a child message, by the User-Id the ZAP handler set. */
static struct fed_link *
fed_child_link(struct fed *f, const char *user)
{
	for (int i = 0; user != NULL && i < f->n_links; i++)
		if (!f->links[i].parent &&
		    strcmp(fed_peer_id(f, &f->links[i]), user) == 0)
			return &f->links[i];
	return NULL;
}

/* Read one message from sock (ROUTER: routing id, body).  Returns 1 (a
 * message handled), 0 (none waiting), -1 (socket error). */
static int
fed_read_one(struct fed *f, void *sock, bool router, int64_t now)
{
	zmq_msg_t part[3];
	int n = 0, more = 1, rc = 1;

	while (more) {
		zmq_msg_t tmp;

		zmq_msg_init(&tmp);
		if (zmq_msg_recv(&tmp, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&tmp);
			rc = n == 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
			goto out;
		}
		more = zmq_msg_more(&tmp);
		if (n < 3)
			part[n++] = tmp;
		else
			zmq_msg_close(&tmp);	/* extra frames: dropped */
	}
	if (router) {
		const char *user = n == 2 ? zmq_msg_gets(&part[1], "User-Id") :
		    NULL;
		struct fed_link *l = fed_child_link(f, user);

		if (l == NULL || zmq_msg_size(&part[0]) > FED_RID_MAX) {
			fed_refuse(f, NULL, "a message of an unknown child",
			    NULL);
		} else {
			if (l->rid_len != zmq_msg_size(&part[0]) ||
			    memcmp(l->rid, zmq_msg_data(&part[0]), l->rid_len))
				l->parked = false;	/* another connection:
							 * its pull is not ours
							 * to answer there */
			l->rid_len = zmq_msg_size(&part[0]);
			memcpy(l->rid, zmq_msg_data(&part[0]), l->rid_len);
			fed_on_msg(f, l, zmq_msg_data(&part[1]),
			    zmq_msg_size(&part[1]), now);
		}
	} else {
		for (int i = 0; i < f->n_links; i++)
			if (f->links[i].parent && n == 1)
				fed_on_msg(f, &f->links[i], zmq_msg_data(&part[0]),
				    zmq_msg_size(&part[0]), now);
	}
out:
	for (int i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
	return rc;
}

void
fed_read(struct fed *f)
{
	int64_t now = ltime_mono_ms();

	for (int i = 0; f->router && i < FED_READS; i++)
		if (fed_read_one(f, f->router, true, now) <= 0)
			break;
	for (int i = 0; f->dealer && i < FED_READS; i++)
		if (fed_read_one(f, f->dealer, false, now) <= 0)
			break;
}

/* ---- timers ------------------------------------------------------------- */

static void fed_unpark(struct fed *f, struct fed_link *l, bool expired,
    int64_t now);

void
fed_tick(struct fed *f)
{
	int64_t now = ltime_mono_ms();

	for (int i = 0; i < f->n_links; i++) {
		struct fed_link *l = &f->links[i];

		if (l->up && now - l->heard > fed_dead_ms) {
			l->up = false;
			l->since = now;
			l->pulled = 0;
			l->parked = false;	/* its peer pulls anew when back */
			log_warn("fed", "link to %s %s is down: nothing heard "
			    "for %d ms", l->parent ? "parent" : "child",
			    fed_peer_id(f, l), fed_dead_ms);
		}
		if (l->frame == NULL &&
		    ((l->pulled == 0 && now >= l->next_pull) ||
		    (l->pulled != 0 && now - l->pulled > FED_PULL_RETRY_MS)))
			fed_pull(f, l, now);
		if (l->parked && now >= l->park_until)
			fed_unpark(f, l, true, now);
		if (now - l->sent > fed_ping_ms)
			fed_send(f, l, f->out, fed_encode_ping(f->out,
			    FED_FRAME_MAX), now);
	}
}

/* Answer l's held pull: with what came since when some did (or when
 * expired), else hold it on. */
static void
fed_unpark(struct fed *f, struct fed_link *l, bool expired, int64_t now)
{
	if (l->parent)	/* the parent's pull of our up stream */
		fed_answer_pull_up(f, l, l->park_have, l->park_n_have,
		    !expired, now);
	else		/* a child's pull of our down stream */
		fed_answer_pull_down(f, l, l->park_from, l->park_to, !expired,
		    now);
}

void
fed_after_commit(struct fed *f)
{
	int64_t now = ltime_mono_ms();

	for (int i = 0; i < f->n_links; i++)
		if (f->links[i].parked)
			fed_unpark(f, &f->links[i], false, now);
}

int
fed_next_ms(const struct fed *f, int cap)
{
	int64_t now = ltime_mono_ms();
	int ms = cap;

	for (int i = 0; i < f->n_links; i++) {
		const struct fed_link *l = &f->links[i];

		if (l->parked) {
			if (l->park_until <= now)
				return 0;
			if (l->park_until - now < ms)
				ms = (int)(l->park_until - now);
		}
		if (l->frame != NULL || l->pulled != 0)
			continue;	/* waits for a commit or an answer */
		if (l->next_pull <= now)
			return 0;
		if (l->next_pull - now < ms)
			ms = (int)(l->next_pull - now);
	}
	return ms;
}

/* ---- into the commit, and after it ------------------------------------- */

/* Would the store refuse this remote event outright (not a state-machine
 * refusal, which it keeps)?  Such an event refuses its whole batch, so
 * that no position moves past it. */
static bool
fed_store_would_refuse(const struct ld_event *ev, struct ld_err *err)
{
	if (ev->seq == 0) {
		err_set(err, LD_EINVAL, "seq 0");
		return true;
	}
	if (ev->kind == LD_EV_CALL_CLASSIFIED && ev->valid &&
	    !event_has(ev, LD_F_CLASS)) {
		err_set(err, LD_EINVAL, "a valid call without a class");
		return true;
	}
	if (event_kinds[ev->kind].ticket &&
	    ticket_id_parse(ev->ticket, NULL, NULL, NULL) != 0) {
		err_set(err, LD_EINVAL, "ticket: bad id '%s'", ev->ticket);
		return true;
	}
	return false;
}

/* Check and decode l's batch into ev[0 ..): every event must be one the
 * link may bring.  Returns the number of events, or -1 (refused: the
 * batch is dropped and the position stays). */
static int
fed_unpack(struct fed *f, struct fed_link *l, struct ld_event *ev,
    size_t cap, uint64_t *to)
{
	struct fed_msg *m = f->in;
	struct ld_err err;

	if (fed_decode(l->frame, l->frame_len, m, &err) != 0 ||
	    m->type != FED_BATCH) {
		fed_refuse(f, l, "a batch", &err);
		return -1;
	}
	if (m->n_ev > cap)
		return -2;	/* no room in this commit: the next one */
	if (l->parent) {
		if (m->from != (l->taken > 0 ? l->down_next : l->down_pos))
			return -1;	/* an answer to an older pull */
		*to = m->to;
	}
	for (size_t i = 0; i < m->n_ev; i++) {
		bool ours;

		if (codec_event_decode(m->ev[i], m->ev_len[i], &ev[i], &err)
		    != 0) {
			err_prefix(&err, "batch.events[%zu]", i);
			fed_refuse(f, l, "a batch", &err);
			return -1;
		}
		if (fed_store_would_refuse(&ev[i], &err)) {
			err_prefix(&err, "batch.events[%zu]", i);
			fed_refuse(f, l, "a batch", &err);
			return -1;
		}
		ours = fed_id_in_subtree(f->t, ev[i].origin, l->parent ?
		    f->self : l->peer);
		if (l->parent ? ours : !ours) {
			err_set(&err, LD_EREFUSED, "batch.events[%zu]: origin "
			    "%s may not come from %s %s", i, ev[i].origin,
			    l->parent ? "the parent" : "child",
			    fed_peer_id(f, l));
			fed_refuse(f, l, "a batch", &err);
			return -1;
		}
	}
	/* taken: what the peer still held for us when it wrote it */
	l->st.behind = m->left;
	return (int)m->n_ev;
}

static void
fed_drop_frame(struct fed_link *l, int64_t now)
{
	free(l->frame);
	l->frame = NULL;
	l->frame_len = 0;
	l->next_pull = now;
}

bool
fed_waiting(const struct fed *f)
{
	for (int i = 0; i < f->n_links; i++)
		if (f->links[i].frame != NULL && f->links[i].taken < 2)
			return true;
	return false;
}

/* A batch of l goes into a commit: note the positions it brings. */
static void
fed_expect(struct fed_link *l, const struct ld_event *ev, size_t n,
    uint64_t to)
{
	if (l->taken++ == 0)
		l->n_next_have = 0;
	l->down_next = to;
	for (size_t i = 0; !l->parent && i < n; i++) {
		size_t k;

		for (k = 0; k < l->n_next_have; k++)
			if (strcmp(l->next_have[k].origin, ev[i].origin) == 0)
				break;
		if (k == l->n_next_have) {
			if (k == FED_ORIGINS_MAX)
				continue;
			snprintf(l->next_have[k].origin,
			    sizeof(l->next_have[k].origin), "%s", ev[i].origin);
			l->next_have[k].seq = 0;
			l->n_next_have++;
		}
		if (ev[i].seq > l->next_have[k].seq)
			l->next_have[k].seq = ev[i].seq;
	}
}

size_t
fed_take(struct fed *f, struct ld_event *ev, struct ld_store_item *items,
    size_t cap, struct ld_store_meta *meta, size_t *n_meta,
    struct fed_taken *taken, size_t *n_taken)
{
	int64_t now = ltime_mono_ms();
	size_t used = 0;

	for (int i = 0; i < f->n_links && *n_taken < FED_LINKS_MAX; i++) {
		struct fed_link *l = &f->links[i];
		uint64_t to = 0;
		int n;

		if (l->frame == NULL || l->taken >= 2)
			continue;
		n = fed_unpack(f, l, ev + used, cap - used, &to);
		if (n == -2)
			continue;
		if (n < 0) {
			/* refused (or stale): ask again, but not at once, or a
			 * peer that sends a bad batch keeps both sides busy */
			fed_drop_frame(l, now);
			l->next_pull = now + fed_pull_idle_ms;
			continue;
		}
		if (n == 0) {
			/* nothing to commit: up to date (pull again in a
			 * while), or a down position moved past events that
			 * do not concern us (pull on at once) */
			uint64_t *pos = l->taken > 0 ? &l->down_next :
			    &l->down_pos;	/* never past an uncommitted one */
			bool moved = l->parent && to > *pos;

			if (moved)
				*pos = to;
			fed_drop_frame(l, now);
			l->next_pull = moved ? now : now + fed_pull_idle_ms;
			continue;
		}
		for (int j = 0; j < n; j++) {
			memset(&items[used + (size_t)j], 0, sizeof(items[0]));
			items[used + (size_t)j].ev = &ev[used + (size_t)j];
			items[used + (size_t)j].sparse = l->parent;
		}
		if (l->parent) {
			fed_down_key(f, l, meta[*n_meta].key,
			    sizeof(meta[0].key));
			meta[*n_meta].value = to;
			(*n_meta)++;
		}
		taken[*n_taken].link = i;
		taken[*n_taken].first = used;
		taken[*n_taken].n = (size_t)n;
		taken[*n_taken].to = to;
		(*n_taken)++;
		fed_expect(l, ev + used, (size_t)n, to);
		/* its events are decoded into the commit: the frame's slot
		 * takes the next batch, pulled at once */
		free(l->frame);
		l->frame = NULL;
		l->frame_len = 0;
		l->pulled = 0;
		l->next_pull = now;
		used += (size_t)n;
	}
	return used;
}

void
fed_applied(struct fed *f, const struct ld_store_item *items, size_t n)
{
	bool children = false;

	for (int i = 0; i < f->n_links; i++)
		children = children || !f->links[i].parent;
	for (size_t i = 0; children && i < n; i++)
		if (items[i].rc == 0 && items[i].idx != 0)
			fed_cache_put(f->cache, items[i].idx, items[i].ev);
}

void
fed_committed(struct fed *f, const struct fed_taken *taken, size_t n_taken,
    const struct ld_store_item *items, int rc)
{
	int64_t now = ltime_mono_ms();

	for (size_t i = 0; i < n_taken; i++) {
		struct fed_link *l = &f->links[taken[i].link];
		size_t applied = 0, dups = 0, other = 0;

		for (size_t j = 0; rc == 0 && j < taken[i].n; j++) {
			const struct ld_store_item *it = &items[taken[i].first + j];

			if (it->rc == 0)
				applied++;
			else if (it->rc == LD_EDUP)
				dups++;
			else if (other++ == 0)	/* the first says why */
				log_warn("fed", "event %s/%llu from %s not "
				    "taken: %s", it->ev->origin,
				    (unsigned long long)it->ev->seq,
				    fed_peer_id(f, l), it->err.msg);
			if (it->rc == 0 && it->kept) {
				l->st.kept++;
				log_warn("fed", "event %s/%llu from %s kept in "
				    "the log, views unchanged: %s",
				    it->ev->origin,
				    (unsigned long long)it->ev->seq,
				    fed_peer_id(f, l), it->err.msg);
			}
		}
		if (other > 1)
			log_warn("fed", "... and %zu more events of that batch "
			    "from %s not taken", other - 1, fed_peer_id(f, l));
		l->st.received += applied;
		if (l->taken > 0)
			l->taken--;
		if (l->taken == 0)
			l->n_next_have = 0;
		if (rc == 0 && l->parent && taken[i].to > l->down_pos)
			l->down_pos = taken[i].to;
		/* no batch of the link left in a commit: a move past events
		 * that do not concern us, made while this one committed,
		 * holds now (the next pull asks from there, not again from
		 * the committed position) */
		if (rc == 0 && l->parent && l->taken == 0 &&
		    l->down_next > l->down_pos)
			l->down_pos = l->down_next;
		if (rc != 0) {
			/* ask again from the durable positions: a pull sent
			 * from the ones this commit would have brought may be
			 * held by the sender; the new one takes its place */
			l->pulled = 0;
			l->next_pull = now + fed_pull_idle_ms;
		}
		(void)dups;
	}
}

void
fed_discard(struct fed *f, const struct fed_taken *taken, size_t n_taken)
{
	int64_t now = ltime_mono_ms();

	for (size_t i = 0; i < n_taken; i++) {
		struct fed_link *l = &f->links[taken[i].link];

		if (l->taken > 0)
			l->taken--;
		/* back to the durable positions: ask again from there */
		l->n_next_have = 0;
		l->down_next = l->down_pos;
		free(l->frame);	/* an answer to a pull from positions that */
		l->frame = NULL;	/* did not come true */
		l->pulled = 0;
		l->next_pull = now + fed_pull_idle_ms;
	}
}

/* ---- open, close, status ------------------------------------------------ */

static int
fed_add_link(struct fed *f, int peer, bool parent)
{
	struct fed_link *l;

	if (f->n_links == FED_LINKS_MAX)
		return -1;
	l = &f->links[f->n_links++];
	memset(l, 0, sizeof(*l));
	l->peer = peer;
	l->parent = parent;
	snprintf(l->st.node, sizeof(l->st.node), "%s", f->t->nodes[peer].id);
	l->st.parent = parent;
	return 0;
}

/* The socket options every peer socket has.  ZMTP heartbeats make
 * libzmq drop a connection nothing comes through (a silent black hole),
 * so that the DEALER connects afresh once the line is back. */
static int
fed_sock_opts(void *sock)
{
	int linger = 0, ivl = 100, ivl_max = 1000;
	int hb = fed_ping_ms, hb_timeout = fed_dead_ms;
	int64_t max = FED_FRAME_MAX + 4096;

	int hwm = 16;	/* a peer that pulls and never reads gets little
			 * queued: the rest is dropped and asked again */

	return zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof(hb)) ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout,
	    sizeof(hb_timeout)) ||
	    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) ||
	    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max,
	    sizeof(ivl_max));
}

static int
fed_open_router(struct fed *f, void *zctx, const struct ld_keypair *keys,
    struct ld_err *err)
{
	const char *ep = f->t->nodes[f->self].peer;

	f->router = zmq_socket(zctx, ZMQ_ROUTER);
	if (f->router == NULL || fed_sock_opts(f->router) != 0)
		return err_set(err, LD_EIO, "peer endpoint: %s",
		    zmq_strerror(errno));
	if (auth_server_socket(f->router, AUTH_DOMAIN_PEER, keys->secret_key,
	    err) != 0)
		return LD_EIO;
	if (zmq_bind(f->router, ep) != 0)
		return err_set(err, LD_EIO, "peer endpoint %s: %s", ep,
		    zmq_strerror(errno));
	log_info("fed", "peer endpoint %s (CURVE, running children only)", ep);
	return LD_OK;
}

static int
fed_open_dealer(struct fed *f, void *zctx, const struct ld_keypair *keys,
    struct ld_err *err)
{
	const struct ld_topo_node *p = &f->t->nodes[f->t->nodes[f->self].parent];
	uint8_t server[32];

	if (zmq_z85_decode(server, p->public_key) == NULL)
		return err_set(err, LD_EINVAL, "node %s: bad public key", p->id);
	f->dealer = zmq_socket(zctx, ZMQ_DEALER);
	if (f->dealer == NULL || fed_sock_opts(f->dealer) != 0)
		return err_set(err, LD_EIO, "parent link: %s",
		    zmq_strerror(errno));
	if (auth_client_socket(f->dealer, server, keys->public_key,
	    keys->secret_key, err) != 0)
		return LD_EIO;
	if (zmq_connect(f->dealer, p->peer) != 0)
		return err_set(err, LD_EIO, "parent %s at %s: %s", p->id,
		    p->peer, zmq_strerror(errno));
	log_info("fed", "parent %s at %s (CURVE, its key pinned)", p->id,
	    p->peer);
	return LD_OK;
}

int
fed_open(struct fed **out, void *zctx, const struct ld_topo *t, int self,
    struct ld_store *s, const struct ld_keypair *keys, struct ld_err *err)
{
	struct fed *f = calloc(1, sizeof(*f));
	int parent = t->nodes[self].parent, rc = LD_OK;
	bool children = false;

	*out = NULL;
	if (f == NULL)
		return err_set(err, LD_ENOMEM, "fed: out of memory");
	f->t = t;
	f->self = self;
	f->s = s;
	f->out = malloc(FED_FRAME_MAX);
	f->arena = malloc(FED_BATCH_BYTES);
	f->in = malloc(sizeof(*f->in));
	f->ev = malloc(sizeof(*f->ev));
	f->tk = malloc(sizeof(*f->tk));
	f->cache = fed_cache_new();
	if (!f->out || !f->arena || !f->in || !f->ev || !f->tk || !f->cache) {
		fed_close(f);
		return err_set(err, LD_ENOMEM, "fed: out of memory");
	}
	if (parent >= 0 && t->nodes[parent].running &&
	    fed_add_link(f, parent, true) == 0) {
		char key[48];
		struct fed_link *l = &f->links[f->n_links - 1];

		l->down_pos = store_meta_u64(s, fed_down_key(f, l, key,
		    sizeof(key)));
	}
	for (int i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].parent == self && t->nodes[i].running &&
		    fed_add_link(f, i, false) == 0)
			children = true;
	if (children && t->nodes[self].peer[0] != '\0')
		rc = fed_open_router(f, zctx, keys, err);
	if (rc == 0 && parent >= 0 && t->nodes[parent].running)
		rc = fed_open_dealer(f, zctx, keys, err);
	if (rc != 0) {
		fed_close(f);
		return rc;
	}
	*out = f;
	return LD_OK;
}

void
fed_close(struct fed *f)
{
	if (f == NULL)
		return;
	if (f->router)
		zmq_close(f->router);
	if (f->dealer)
		zmq_close(f->dealer);
	for (int i = 0; i < f->n_links; i++)
		free(f->links[i].frame);
	for (int i = 0; i < f->n_reqs; i++)
		free(f->reqs[i].body);
	for (int i = 0; i < f->n_reps; i++)
		free(f->reps[i].body);
	free(f->taken_req.body);
	free(f->taken_rep.body);
	free(f->out);
	free(f->arena);
	free(f->in);
	free(f->ev);
	free(f->tk);
	fed_cache_free(f->cache);
	free(f);
}

int
fed_poll_items(const struct fed *f, void *pollitems)
{
	zmq_pollitem_t *items = pollitems;
	int n = 0;

	if (f->router)
		items[n++] = (zmq_pollitem_t){ f->router, 0, ZMQ_POLLIN, 0 };
	if (f->dealer)
		items[n++] = (zmq_pollitem_t){ f->dealer, 0, ZMQ_POLLIN, 0 };
	return n;
}

size_t
fed_status(const struct fed *f, struct fed_link_status *out, size_t cap)
{
	int64_t now = ltime_mono_ms();
	size_t n = 0;

	for (int i = 0; f != NULL && i < f->n_links && n < cap; i++) {
		/* f is read while the main thread owns it: status is answered
		 * there too */
		const struct fed_link *l = &f->links[i];

		out[n] = l->st;
		out[n].up = l->up;
		out[n].since_ms = l->since ? now - l->since : -1;
		out[n].heard_ms = l->heard ? now - l->heard : -1;
		out[n].lag_out = l->lag_out;
		n++;
	}
	return n;
}
