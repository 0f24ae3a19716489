/*
 * proto.h - the client protocol: requests and replies between a node and
 * its clients (operators, unit terminals, administrators), in msgpack,
 * over a ZeroMQ CURVE ROUTER socket (the client uses DEALER or REQ).
 *
 * One request, one reply.  The wire format (docs/protocol.md has it byte
 * for byte):
 *
 *   request  {"v": 1, "id": UINT, "op": STR, "args": MAP}
 *   reply    {"v": 1, "id": UINT, "ok": true,  "result": MAP}
 *          | {"v": 1, "id": UINT, "ok": false,
 *             "error": {"code": STR, "num": INT, "message": STR}}
 *
 * "id" is the client's request number, echoed so a client can match
 * replies; "code" is a stable name from err.h ("EREFUSED"), "num" its
 * number (-1009), "message" a sentence a person can read.  A frame that
 * cannot be decoded still gets a reply (id 0 if it could not be read).
 *
 * Arguments are decoded against a per-op schema (proto_ops[]): the same
 * hostile-input rules as events (limits, types, UTF-8, unknown and
 * missing arguments named in the error: "args.phone: missing").  Most
 * argument names and types are those of event fields (event.h), so a
 * request's arguments fill a struct ld_event's payload directly; a few
 * query arguments are extra (state, day, overdue, q, limit, after).
 */
#ifndef LD_PROTO_H
#define LD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

#define LD_PROTO_VERSION 1
#define LD_PROTO_FRAME_MAX 16384	/* largest request */
#define LD_PROTO_REPLY_MAX (1 << 20)	/* largest reply */
#define LD_PROTO_Q_MAX 64		/* search text, bytes */
#define LD_PROTO_LIMIT_MAX 500		/* list results per reply */
/* An error reply always fits in this many bytes (a full message, the
 * longest code name, the largest id). */
#define LD_PROTO_ERR_REPLY_MAX (64 + LD_ERR_MSG_MAX)

enum ld_op {
	LD_OP_NONE = 0,
	/* operators */
	LD_OP_CALL_LOG,		/* call.log: a call in, answered, classified */
	LD_OP_TICKET_CREATE,	/* ticket.create: record, route, dispatch */
	LD_OP_TICKET_REPORT,	/* ticket.report: result told to the citizen */
	LD_OP_TICKET_CALLBACK,	/* ticket.callback */
	LD_OP_TICKET_REOPEN,	/* ticket.reopen */
	LD_OP_TICKET_CLOSE,	/* ticket.close */
	LD_OP_WO_URGE,		/* wo.urge */
	LD_OP_WO_SUPERVISE,	/* wo.supervise: 督办, beyond urging */
	LD_OP_WO_REROUTE,	/* wo.reroute: a returned work order to other units */
	LD_OP_WO_RULE,		/* wo.rule: a disputed return back to its unit */
	LD_OP_EXT_GRANT,	/* ext.grant */
	LD_OP_EXT_REFUSE,	/* ext.refuse */
	LD_OP_WO_SETTLE,	/* wo.settle: responsibility after a default handler */
	LD_OP_TICKET_DISPATCH,	/* ticket.dispatch: a new ticket to units */
	LD_OP_TICKET_ESCALATE,	/* ticket.escalate: up to the parent node */
	LD_OP_TICKET_HANDDOWN,	/* ticket.handdown: down to a child node */
	LD_OP_TRANSFER_ACCEPT,	/* transfer.accept: take a ticket over */
	LD_OP_TRANSFER_REFUSE,	/* transfer.refuse */
	/* unit terminals */
	LD_OP_WO_QUEUE,		/* wo.queue: own open work orders, soonest first */
	LD_OP_WO_SIGN,		/* wo.sign */
	LD_OP_WO_RETURN,	/* wo.return */
	LD_OP_EXT_REQUEST,	/* ext.request */
	LD_OP_WO_PROGRESS,	/* wo.progress */
	LD_OP_WO_COMPLETE,	/* wo.complete */
	/* everyone */
	LD_OP_TICKET_SHOW,	/* ticket.show: view and whole history */
	LD_OP_TICKET_LIST,	/* ticket.list: by state, unit, area, day, overdue, text */
	LD_OP_FIGURES,		/* figures: a day's (or range's) counters */
	LD_OP_STATUS,		/* status: node, version, store, links */
	LD_OP_REPORT,		/* report: the period's figures and assessment */
	LD_OP_SPOT_CHECK,	/* spot.check: a day's spot-check sample */
	LD_OP_OUTBOX_LIST,	/* outbox.list: SMS waiting, sent or dead */
	LD_OP_OUTBOX_RETRY,	/* outbox.retry: a dead SMS back to the queue */
	LD_OP_PLAN_START,	/* plan.start: an emergency plan on a ticket */
	LD_OP_INCIDENT_ATTACH,	/* incident.attach: a ticket joins an incident */
	LD_OP_INCIDENT_ANNOUNCE,	/* incident.announce: tell the public */
	LD_OP_INCIDENT_REPORT,	/* incident.report: report to the government */
	LD_OP_INCIDENT_CLOSE,	/* incident.close: the result, to everyone */
	LD_OP_INCIDENT_SHOW,	/* incident.show: the timeline */
	LD_OP__COUNT
};

/* Extra (query) arguments, beside the event fields. */
enum ld_qarg {
	LD_Q_STATE = 0,		/* str  ticket state name ("in_progress") */
	LD_Q_DAY,		/* str  local day "YYYY-MM-DD" */
	LD_Q_DAY_TO,		/* str  last local day of a range */
	LD_Q_OVERDUE,		/* bool only tickets with a missed deadline */
	LD_Q_Q,			/* str  text to search (place, text, caller) */
	LD_Q_LIMIT,		/* uint 1..LD_PROTO_LIMIT_MAX (default 50) */
	LD_Q_AFTER,		/* str  ticket id to continue after (paging) */
	LD_Q_TICKET,		/* str  ticket id the op acts on */
	LD_Q_BOX,		/* str  outbox: "new", "sent" or "dead" */
	LD_Q__COUNT
};

struct ld_op_def {
	const char *name;	/* "ticket.create" */
	uint32_t roles;		/* who may: 1u << enum ld_topo_role */
	uint32_t required;	/* event fields (1u << LD_F_*) */
	uint32_t optional;
	uint32_t q_required;	/* query args (1u << LD_Q_*) */
	uint32_t q_optional;
	const char *summary;
};

extern const struct ld_op_def proto_ops[LD_OP__COUNT];

struct ld_request {
	uint64_t id;
	enum ld_op op;
	struct ld_event args;	/* payload fields: args.present says which */
	uint32_t q_present;	/* 1u << LD_Q_* */
	char state[24];
	char day[11], day_to[11];
	bool overdue;
	char q[LD_PROTO_Q_MAX + 1];
	uint32_t limit;
	char after[LD_TICKET_MAX + 1];
	char ticket[LD_TICKET_MAX + 1];
	char box[8];
};

/* Decode a request frame.  Returns 0, or an LD_E* code with err naming
 * the place ("args.phone: string of 40 bytes exceeds limit 24"); *id is
 * set to the request id whenever it could be read (else 0), so the error
 * reply can carry it. */
int proto_request_decode(const uint8_t *buf, size_t len,
    struct ld_request *req, struct ld_err *err);
/* Encode a request (clients, tests). */
int proto_request_encode(const struct ld_request *req, uint8_t *buf,
    size_t cap, struct ld_err *err);

/*
 * Replies are built with a small writer over a caller's buffer: begin,
 * then the result map's entries through the proto_w_* calls (nested maps
 * and arrays with declared counts), then end.  An error reply is one call.
 * Writers never overflow: past cap they count, and end returns LD_ELIMIT.
 */
struct ld_pw {
	uint8_t *p;
	size_t cap, off;
	int depth;
};
void proto_reply_begin(struct ld_pw *w, uint8_t *buf, size_t cap, uint64_t id,
    uint32_t result_entries);
int proto_reply_end(struct ld_pw *w);	/* length, or LD_ELIMIT */
int proto_reply_error(uint8_t *buf, size_t cap, uint64_t id,
    const struct ld_err *e);
void proto_w_map(struct ld_pw *w, uint32_t n);
void proto_w_array(struct ld_pw *w, uint32_t n);
void proto_w_str(struct ld_pw *w, const char *s);
void proto_w_uint(struct ld_pw *w, uint64_t v);
void proto_w_int(struct ld_pw *w, int64_t v);
void proto_w_bool(struct ld_pw *w, bool v);
void proto_w_nil(struct ld_pw *w);

/* Decode a reply (clients, tests): ok, id, and for errors the code,
 * number and message; *result and *result_len point at the result map's bytes
 * inside buf (to be read with a msgpack reader). */
struct ld_reply {
	uint64_t id;
	bool ok;
	char code[16];
	int num;
	char message[LD_ERR_MSG_MAX];
	const uint8_t *result;
	size_t result_len;
};
int proto_reply_decode(const uint8_t *buf, size_t len, struct ld_reply *r,
    struct ld_err *err);

const char *proto_op_name(enum ld_op op);
enum ld_op proto_op_from_name(const char *name, size_t len);

#endif
