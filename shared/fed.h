/*
 * fed.h - the federation: links between a node and its parent and
 * children, the messages on them, and what travels (docs/federation.md,
 * the contract).
 *
 *   fed_wire.c   the peer messages: encode and decode (hostile input)
 *   fed_scope.c  subtrees, and which events concern a child
 *   fed_link.c   the links: the peer sockets (a ROUTER for the children,
 *                a DEALER to the parent), heartbeats, pulls, batches sent
 *                (read from the store) and batches received (handed to
 *                the group commit as store items)
 *
 * serve.c runs the loop: it polls the peer sockets beside the client
 * endpoint, and commits received batches with the clients' requests.
 */
#ifndef LD_FED_H
#define LD_FED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "store.h"
#include "topo.h"

#define FED_VERSION 1
#define FED_FRAME_MAX (8u << 20)	/* largest peer frame */
#define FED_BATCH_MAX 1000		/* events in one batch */
#define FED_BATCH_BYTES (4u << 20)	/* encoded events in one batch */
#define FED_ORIGINS_MAX 64		/* origins in an up pull's `have` */
#define FED_PING_MS 1000		/* send a ping after this much silence */
#define FED_DEAD_MS 3000		/* link down after this much silence */
#define FED_DEAD_MIN 300		/* ... its bounds (--link-dead-ms); */
#define FED_DEAD_MAX 60000		/* a ping goes after a third of it */
#define FED_PULL_IDLE_MS 100		/* re-pull after an empty batch */
#define FED_PULL_IDLE_MIN 1		/* ... its bounds (--pull-idle-ms) */
#define FED_PULL_IDLE_MAX 1000
#define FED_PULL_RETRY_MS 2000		/* re-pull when no batch came */
#define FED_PARK_MS 1000		/* a pull that finds nothing waits
					 * this long for news (< RETRY) */

/* ---- messages (fed_wire.c) ---------------------------------------------- */

enum fed_type { FED_HELLO = 1, FED_PULL, FED_BATCH, FED_PING, FED_REQ,
		FED_REP };
enum fed_stream { FED_UP = 1, FED_DOWN };

/* One origin's position: the highest sequence held. */
struct fed_have {
	char origin[LD_NODE_MAX + 1];
	uint64_t seq;
};

/*
 * A decoded message.  Events of a batch are not decoded here: ev[i]
 * points at the i-th event's bytes inside the frame (ev_len[i] bytes),
 * for codec_event_decode; the frame must outlive the message.
 */
struct fed_msg {
	enum fed_type type;
	uint32_t v;				/* hello */
	char node[LD_NODE_MAX + 1];		/* hello */
	enum fed_stream stream;			/* pull, batch */
	size_t n_have;				/* pull up */
	struct fed_have have[FED_ORIGINS_MAX];
	uint64_t from, to;			/* pull down: from; batch down */
	uint64_t left;				/* batch: events the sender
						 * still held for the receiver
						 * after it (down: at most) */
	size_t n_ev;				/* batch */
	const uint8_t *ev[FED_BATCH_MAX];
	uint32_t ev_len[FED_BATCH_MAX];
	uint64_t id;				/* req, rep */
	const uint8_t *body;			/* req: the request frame of
						 * docs/protocol.md (v, id, op,
						 * args) as it came; rep: the
						 * reply frame */
	size_t body_len;
	char actor[LD_ACTOR_MAX + 1];		/* req */
};

/* Decode one frame: 0, or LD_E* with err naming the place ("batch.events[3]:
 * expected binary, got string").  Checks types, limits (FED_*), node ids and
 * UTF-8; a batch of the up stream has no from/to, of the down stream has
 * both with to >= from; every batch has `left`. */
int fed_decode(const uint8_t *buf, size_t len, struct fed_msg *m,
    struct ld_err *err);

/* Writers: each returns the frame's length, or LD_ELIMIT (cap too small,
 * a count or length over its limit) or LD_EINVAL (what the decoder would
 * refuse: a bad node id, a duplicate origin, an actor that is not UTF-8). */
int fed_encode_hello(uint8_t *buf, size_t cap, const char *node);
int fed_encode_ping(uint8_t *buf, size_t cap);
int fed_encode_pull_up(uint8_t *buf, size_t cap, const struct fed_have *have,
    size_t n_have);
int fed_encode_pull_down(uint8_t *buf, size_t cap, uint64_t from);

/* A batch is written in three steps: begin (the count of events must be
 * known, and `left`: the events the sender still holds for the receiver
 * after this batch), each event's encoded bytes, end. */
struct fed_batch_wr {
	uint8_t *buf;
	size_t cap, off;
	bool over;
};
void fed_batch_begin(struct fed_batch_wr *w, uint8_t *buf, size_t cap,
    enum fed_stream s, uint64_t from, uint64_t to, uint64_t left,
    size_t n_ev);
void fed_batch_event(struct fed_batch_wr *w, const uint8_t *ev, size_t len);
int fed_batch_end(struct fed_batch_wr *w);	/* length or LD_ELIMIT */

/* req carries a client request frame (body) and the actor who made it;
 * rep carries the reply frame. */
int fed_encode_req(uint8_t *buf, size_t cap, uint64_t id, const char *actor,
    const uint8_t *body, size_t body_len);
int fed_encode_rep(uint8_t *buf, size_t cap, uint64_t id,
    const uint8_t *body, size_t body_len);

/* ---- scope (fed_scope.c) ------------------------------------------------ */

/* Is node a in the subtree of node root (indices into t->nodes; a node is
 * in its own subtree)? */
bool fed_in_subtree(const struct ld_topo *t, int a, int root);
/* The same by ids; false for ids the topology does not know. */
bool fed_id_in_subtree(const struct ld_topo *t, const char *id, int root);

/* What fed_concerns asks of an event: its kind, origin, ticket, the area
 * of an announcement and the node of a transfer. */
struct fed_ev_scope {
	enum ld_event_kind kind;
	char origin[LD_NODE_MAX + 1];
	char ticket[LD_TICKET_MAX + 1];
	char area[LD_ID_MAX + 1];	/* "" when the event names none */
	char node[LD_NODE_MAX + 1];
};
/* ... and of the view of its ticket. */
struct fed_tk_scope {
	char area[LD_ID_MAX + 1];
	char owner[LD_NODE_MAX + 1];
	char transfer_to[LD_NODE_MAX + 1];
};
void fed_ev_scope_of(struct fed_ev_scope *s, const struct ld_event *ev);
void fed_tk_scope_of(struct fed_tk_scope *s, const struct ld_ticket *t);

/* Does the event (held by the parent, with the parent's current view of
 * its ticket t; t may be NULL for a call event or a ticket not held) go
 * down to child (fed_ev_scope_of, fed_tk_scope_of make the scopes)?  docs/federation.md §2. */
bool fed_concerns(const struct ld_topo *top, int child,
    const struct fed_ev_scope *ev, const struct fed_tk_scope *t);

/* ---- the down scan's cache (fed_cache.c) -------------------------------- */

/*
 * The parent scans its applied order once per child and pull; each entry
 * would be decoded, and its ticket's view read, once per child.  The
 * cache keeps an entry's scope by apply index (an applied entry never
 * changes) and a ticket's view scope with the apply index of the snapshot
 * it was read in, good while nothing was applied since: the answers are
 * those of reading afresh.
 */
struct fed_cache;
struct fed_cache *fed_cache_new(void);
void fed_cache_free(struct fed_cache *c);
/* The scope of the entry at apply index idx (bytes: the encoded event),
 * decoded into scratch on a miss; NULL when it does not decode. */
const struct fed_ev_scope *fed_cache_event(struct fed_cache *c, uint64_t idx,
    const uint8_t *bytes, size_t len, struct ld_event *scratch);
/* The scope the cache holds for apply index idx, without the event: *known
 * false when it holds none (then fed_cache_event); else the scope, NULL
 * when the event did not decode. */
const struct fed_ev_scope *fed_cache_peek(struct fed_cache *c, uint64_t idx,
    bool *known);
/* Put the scope of event ev, applied at index idx, into the cache. */
void fed_cache_put(struct fed_cache *c, uint64_t idx,
    const struct ld_event *ev);
/* The view scope of ticket id when the store's last apply index is last
 * (read into scratch on a miss); NULL when the ticket is not held. */
const struct fed_tk_scope *fed_cache_ticket(struct fed_cache *c,
    struct ld_store *s, const char *id, uint64_t last,
    struct ld_ticket *scratch);

/* ---- links (fed_link.c) ------------------------------------------------- */

#define FED_LINKS_MAX 64

struct fed;
struct fed_link_status {
	char node[LD_NODE_MAX + 1];	/* the peer */
	bool parent;		/* the peer is this node's parent */
	bool up;
	int64_t since_ms;	/* up (or down) for this long; -1: never up */
	int64_t heard_ms;	/* last heard this long ago; -1: never */
	uint64_t lag_out;	/* events the peer had not acknowledged at its
				 * last pull */
	uint64_t behind;	/* events this node still lacks from the peer,
				 * as the peer said in its last batch (`left`;
				 * from a parent, an upper bound) */
	uint64_t received;	/* events taken from it */
	uint64_t sent;		/* events sent to it (repeats included) */
	uint64_t refused;	/* frames refused */
	uint64_t kept;		/* its events our state machine refused (kept
				 * in the log) */
};

/* A received batch in a commit: its link, and its items. */
struct fed_taken {
	int link;
	size_t first, n;
	uint64_t to;		/* a down batch: the position it brings */
};

/* Open the links of node self: bind the peer endpoint if it has running
 * children (the ZAP handler must run: auth_start), connect to its parent
 * if that one runs.  A node with neither gets a fed with no links. */
struct ld_keypair;
int fed_open(struct fed **out, void *zctx, const struct ld_topo *t, int self,
    struct ld_store *s, const struct ld_keypair *keys, struct ld_err *err);
void fed_close(struct fed *f);
/* How long a receiver waits to pull again after an empty batch, ms
 * (FED_PULL_IDLE_MIN .. MAX; default FED_PULL_IDLE_MS), for every link of
 * this process.  Set before fed_open.  0, or LD_EINVAL (out of bounds:
 * nothing changed). */
int fed_set_pull_idle(int ms);
/* After how much silence a link is down, ms (FED_DEAD_MIN .. MAX; default
 * FED_DEAD_MS); a ping goes after a third of it.  For every link of this
 * process; set before fed_open.  0, or LD_EINVAL (nothing changed). */
int fed_set_link_dead(int ms);
/* The sockets to poll for reading (up to 2 zmq_pollitem_t). */
int fed_poll_items(const struct fed *f, void *zmq_pollitems);
/* Read what came: answer pulls at once, keep a received batch for the
 * next commit. */
void fed_read(struct fed *f);
/* Heartbeats, pulls, link up and down: call often (every poll). */
void fed_tick(struct fed *f);
/* Milliseconds until a link's next pull is due (0: due now), at most
 * cap: how long the caller may sleep before fed_tick. */
int fed_next_ms(const struct fed *f, int cap);
/* Is a received batch waiting for a commit? */
bool fed_waiting(const struct fed *f);
/* This node committed (its own requests or replicated events): answer
 * the peers' pulls that found nothing so far and now find something. */
void fed_after_commit(struct fed *f);
/* Put the received batches into a commit being gathered (also while the
 * one before is committing): events into ev[0 .. cap), their items, the
 * links' positions appended to meta (*n_meta of them so far; room for
 * FED_LINKS_MAX), and what was taken appended to taken (*n_taken so far;
 * `first` counts from ev); returns the events used. */
size_t fed_take(struct fed *f, struct ld_event *ev, struct ld_store_item *items,
    size_t cap, struct ld_store_meta *meta, size_t *n_meta,
    struct fed_taken *taken, size_t *n_taken);
/* After that commit (rc: store_commit_meta's): count, log, pull again. */
void fed_committed(struct fed *f, const struct fed_taken *taken,
    size_t n_taken, const struct ld_store_item *items, int rc);
/* The n items of a commit that held: each applied one's scope into the
 * down scan's cache by its apply index (the events are at hand, decoded),
 * so that no scan reads or decodes them again. */
void fed_applied(struct fed *f, const struct ld_store_item *items, size_t n);
/* A commit failed: the batches taken into the next one (whose positions
 * assumed it) are dropped; the links ask again from their durable
 * positions. */
void fed_discard(struct fed *f, const struct fed_taken *taken,
    size_t n_taken);
/*
 * Forwarded requests (docs/federation.md §5, urging across nodes).  The
 * node that got the client's request forwards its frame to the ticket's
 * owner over the link towards it (fed_forward: LD_EBUSY while that link
 * is down) with an id of its own; the owner takes it (fed_next_req), runs
 * it as a request of its own and answers (fed_answer); the answer comes
 * back (fed_next_rep) and goes to the client as it is.  Pointers stay
 * valid until the next call of the same function.
 */
int fed_forward(struct fed *f, const char *owner, uint64_t id,
    const char *actor, const uint8_t *body, size_t len, int *link,
    struct ld_err *err);
bool fed_next_req(struct fed *f, int *link, uint64_t *id, const char **actor,
    const uint8_t **body, size_t *len);
void fed_answer(struct fed *f, int link, uint64_t id, const uint8_t *body,
    size_t len);
/* An answer: its link (only the link the request went by may answer
 * it), id and body. */
bool fed_next_rep(struct fed *f, int *link, uint64_t *id,
    const uint8_t **body, size_t *len);
/* Does link lead to this node's parent?  The node at its other end. */
bool fed_from_parent(const struct fed *f, int link);
int fed_link_peer(const struct fed *f, int link);

/* Each link's figures (status). */
size_t fed_status(const struct fed *f, struct fed_link_status *out,
    size_t cap);

#endif
