/*
 * req.h - what a node does with one decoded client request (DESIGN §4,
 * docs/protocol.md §5-6): who is asking, may they, and then either the
 * answer (queries) or the events the request becomes (changes).
 *
 * No sockets and no batching here: serve.c owns the client endpoint and
 * the group commit, and calls, per request:
 *
 *   req_caller      the caller from the CURVE key's User-Id (ZAP, auth.c)
 *   req_allowed     may this role call this op at all (proto_ops[].roles)
 *   then for a query (req_is_query):
 *     req_query     answer from the store (each read its own snapshot):
 *                   the whole reply frame, or an error code
 *   or for a change:
 *     req_plan      check scope and state against the store as it is now,
 *                   and build the request's events (all joined: one
 *                   request, all or nothing, see store.h)
 *     ... serve.c commits the batch (store_commit) ...
 *     req_result    after a durable commit: the reply frame (the ticket as
 *                   it is now, and for ticket.create the caller's earlier
 *                   tickets by phone)
 *
 * Every refusal is an LD_E* code and a message in err that a person can
 * read ("work order 2 of LY-2011-000012 is not dispatched to unit water");
 * serve.c turns it into the error reply and logs scope refusals.
 *
 * Files: req_auth.c (caller, roles, scope), req_change.c (req_plan,
 * req_result), req_query.c (req_query), req_write.c (the result shapes of
 * docs/protocol.md §6: VIEW, WO, SUMMARY, QUEUE_ITEM, EVENT).
 */
#ifndef LD_REQ_H
#define LD_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "proto.h"
#include "store.h"
#include "ticket.h"
#include "topo.h"

struct fed;

/* Most events one request becomes: ticket.create is created + routed +
 * one dispatched per unit. */
#define LD_REQ_ATTACHED_MAX 100	/* callers told per incident.close */
#define LD_REQ_AREAS_MAX 8	/* areas an incident's close announces to */
#define LD_REQ_EVENTS_MAX (2 + 2 * LD_UNITS_MAX + LD_REQ_ATTACHED_MAX)
#define LD_REQ_EARLIER_MAX 10	/* ticket.create: earlier tickets shown */

/* The node's side of every request: read-only for the handlers. */
struct ld_req_env {
	struct ld_store *s;
	const struct ld_topo *t;
	int self;		/* this node: index into t->nodes */
	int64_t now;		/* UTC ms: the time of this batch */
	int64_t started;	/* UTC ms: when the node started (status) */
	const char *version;	/* status */
	uint64_t requests;	/* status: requests served so far */
	const struct fed *fed;	/* status: the links (NULL: none) */
	struct ld_outbox *outbox;	/* the SMS outbox (NULL: none) */
};

/* Who is asking: a [client] of this node in the topology. */
struct ld_caller {
	int client;		/* index into t->clients */
	int role;		/* enum ld_topo_role */
	int unit;		/* role unit: index into t->units; else -1 */
	char actor[LD_ACTOR_MAX + 1];	/* events' actor: "op:op-ly-wang",
					 * "unit:unit-water", "admin:adm-ly" */
};

/* A change request turned into events, between req_plan and req_result. */
struct ld_req_plan {
	size_t n;		/* events used in ev[] */
	struct ld_event *ev;	/* n events, given by the caller (serve.c) */
	char ticket[LD_TICKET_MAX + 1];	/* the ticket acted on; "" for
					 * call.log; ticket.create: "" until
					 * req_result reads the id from ev[0] */
	bool forwarded;		/* call.log: a police/fire/medical call */
	size_t left;		/* incident.close: attached callers not told
				 * yet (call it again) */
};

/* The caller whose client id is user_id (the ZAP User-Id).  LD_EREFUSED if
 * it is not a client of node env->self (cannot happen behind the ZAP
 * handler; checked anyway). */
int req_caller(const struct ld_req_env *env, const char *user_id,
    struct ld_caller *c, struct ld_err *err);

/* May c's role call op at all?  0, or LD_EREFUSED "role unit may not call
 * 'ticket.close'". */
int req_allowed(const struct ld_caller *c, enum ld_op op, struct ld_err *err);

/* Queries are answered at once from the store; everything else is a
 * change that goes through the group commit. */
bool req_is_query(enum ld_op op);

/* The ticket a change request acts on (its "ticket" argument), or "" for
 * one that makes a new ticket or none (ticket.create, call.log).  serve.c
 * puts at most one request per ticket in a batch. */
const char *req_ticket_of(const struct ld_request *r);

/* Upper bound of the events req_plan may build for r (<=
 * LD_REQ_EVENTS_MAX): serve.c reserves that many before calling it. */
size_t req_events_max(const struct ld_request *r);

/*
 * Scope (checked by req_plan and req_query, here for both):
 *  - an administrator: every ticket in this node's store;
 *  - an operator of a city-level node (province or city): every ticket in
 *    its store; of a county-level node (county or town): the tickets this
 *    node owns, those being handed to it, and those it created (also once
 *    escalated); a ticket.create in another node's area goes to that node
 *    (a transfer request in the same request: req_transfer_target);
 *  - a unit terminal: only tickets with a work order of its unit, and of
 *    those only its own work orders (acting on another unit's work order:
 *    LD_EREFUSED).
 * req_can_see: 0 or LD_EREFUSED "ticket LY-2011-000012 is not ..." (the
 * message never says more about the ticket than its id).
 */
int req_can_see(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_ticket *t, struct ld_err *err);
/* A unit terminal acting on work order wo (1-based) of t: 0, LD_ENOTFOUND
 * (no such work order), or LD_EREFUSED (another unit's). Other roles: 0
 * when the work order exists. */
int req_own_wo(const struct ld_caller *c, const struct ld_topo *top,
    const struct ld_ticket *t, uint32_t wo, struct ld_err *err);

/*
 * Build the events of change request r by c into p->ev[0 .. cap) (cap >=
 * req_events_max(r)); sets p->n, p->ticket, p->forwarded.  Every event has
 * origin = this node, seq 0, time env->now, actor c->actor; a
 * ticket.created has an empty ticket id (the store gives it one) and the
 * events after it in the same request carry an empty ticket id too (the
 * store fills in the new one: store.h "joined").  Reads the ticket (it
 * must exist: LD_ENOTFOUND "ticket X: not found"), checks scope
 * (req_can_see, req_own_wo), that units, areas and categories are in the
 * topology (LD_EUNKNOWN), and what the state machine will say, so that a
 * refusal names the request ("wo.sign: ...").  The state machine in the
 * store has the last word (it may still refuse: that is the reply then).
 * Returns 0 or an LD_E* code with err.
 */
int req_plan(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, struct ld_req_plan *p, size_t cap,
    struct ld_err *err);

/* The store items of a plan's events ev[0 .. n) into it[0 .. n): one
 * request group per ticket (joined while the ticket id stays the same;
 * incident.close tells several tickets, each all or nothing). */
void req_items(struct ld_event *ev, size_t n, struct ld_store_item *it);

/* After store_commit applied p's events: write the reply frame for
 * request r into buf (cap >= LD_PROTO_REPLY_MAX is always enough).
 * Returns the length, or an LD_E* code with err (then serve.c sends an
 * error reply instead). */
int req_result(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, const struct ld_req_plan *p, uint8_t *buf,
    size_t cap, struct ld_err *err);

/* Answer query r (ticket.show, ticket.list, wo.queue, figures, status) by
 * c: the reply frame in buf; returns its length or an LD_E* code. */
int req_query(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err);

/*
 * The result shapes (docs/protocol.md §6), written with the proto_w_*
 * writer; a unit caller (c->role == LD_ROLE_UNIT) sees only its own work
 * orders in a VIEW (and `units` of a SUMMARY only its own).  c may be
 * NULL: everything.
 */
void req_write_view(struct ld_pw *w, const struct ld_topo *top,
    const struct ld_caller *c, const struct ld_ticket *t, int64_t now);
void req_write_summary(struct ld_pw *w, const struct ld_topo *top,
    const struct ld_caller *c, const struct ld_ticket *t, int64_t now);
void req_write_queue_item(struct ld_pw *w, const struct ld_ticket *t,
    uint32_t wo);
void req_write_event(struct ld_pw *w, const struct ld_event *ev);
/* Some open work order of t has missed a deadline at now (to sign for, or
 * to complete; a pending extension counts from its due_done). */
bool req_overdue(const struct ld_ticket *t, int64_t now);

/* End a query's reply: its length, or LD_ELIMIT naming what did not fit
 * ("report: the reply exceeds the limit of ... bytes"). */
int req_reply_finish(struct ld_pw *w, const char *what, struct ld_err *err);

/* "YYYY-MM-DD" (format checked by the codec) as YYYYMMDD, and back
 * (out: 11 bytes). */
uint32_t req_day_num(const char *s);
void req_day_str(uint32_t day, char out[11]);

/* The office's follow-up queries (req_report.c): report, spot.check,
 * outbox.list, outbox.retry (docs/protocol.md §6). */
int req_report(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err);

#endif
