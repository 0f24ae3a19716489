/*
 * proto_ops.c - the client protocol as data, and its writers (see proto.h;
 * the wire format is docs/protocol.md): the operations (proto_ops[]) and
 * the query arguments with their checks, the request encoder, and the
 * reply writer.  The decoders (requests and replies) are in proto.c.
 *
 * The op table says, per operation, who may call it and which arguments
 * it requires or allows; the codec enforces the arguments, the node the
 * roles (it knows the caller's key).  docs/protocol.md §5 mirrors the
 * table: if it changes, the document changes with it.
 */
#include "proto.h"
#include "codec_mp.h"
#include "ltime.h"
#include "ticket.h"
#include "topo.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Shared with proto.c only (not part of proto.h); defined below. */
const char *proto_q_name(int q);
int proto_q_from_name(const uint8_t *s, size_t n);
char *proto_q_buf(struct ld_request *req, int q);
size_t proto_q_cap(int q);
int proto_q_check(struct codec_mp_rd *r, const struct ld_request *req,
    int q);
int proto_req_rules(const struct ld_request *req, struct ld_err *err);

#define F(f) (1u << LD_F_##f)
#define Q(q) (1u << LD_Q_##q)
#define R_OP (1u << LD_ROLE_OPERATOR)
#define R_UNIT (1u << LD_ROLE_UNIT)
#define R_ADMIN (1u << LD_ROLE_ADMIN)
#define R_OFFICE (R_OP | R_ADMIN)
#define R_ALL (R_OP | R_UNIT | R_ADMIN)

const struct ld_op_def proto_ops[LD_OP__COUNT] = {
	[LD_OP_NONE] = { "none", 0, 0, 0, 0, 0, "no operation" },
	[LD_OP_CALL_LOG] = { "call.log", R_OFFICE,
	    F(CALL) | F(PHONE) | F(VALID), F(CLASS) | F(ANSWERED), 0, 0,
	    "log a call: received, answered, judged valid or not, classified "
	    "(answered=false: it came in and was not answered)" },
	[LD_OP_TICKET_CREATE] = { "ticket.create", R_OFFICE,
	    F(PHONE) | F(PLACE) | F(AREA) | F(TEXT) | F(CATEGORY) | F(URGENCY),
	    F(CALLER) | F(CALL) | F(INCIDENT), 0, 0,
	    "record a linkage request; the node routes and dispatches it (with "
	    "incident: attached to that incident instead)" },
	[LD_OP_TICKET_REPORT] = { "ticket.report", R_OFFICE, F(NOTE),
	    F(METHOD), Q(TICKET), 0, "the result was told to the citizen" },
	[LD_OP_TICKET_CALLBACK] = { "ticket.callback", R_OFFICE,
	    F(METHOD) | F(SATISFACTION), F(NOTE) | F(REASON), Q(TICKET), 0,
	    "record a callback to the citizen and the satisfaction; "
	    "unsatisfied reopens the ticket, or with a reason closes it as "
	    "unsatisfied" },
	[LD_OP_TICKET_REOPEN] = { "ticket.reopen", R_OFFICE, F(REASON), 0,
	    Q(TICKET), 0, "reopen a ticket (the citizen is not satisfied)" },
	[LD_OP_TICKET_CLOSE] = { "ticket.close", R_OFFICE, 0,
	    F(REASON) | F(NOTE), Q(TICKET), 0, "close a ticket" },
	[LD_OP_WO_URGE] = { "wo.urge", R_OFFICE, F(WO), F(NOTE), Q(TICKET), 0,
	    "urge the unit of a work order" },
	[LD_OP_WO_SUPERVISE] = { "wo.supervise", R_OFFICE, F(WO), F(NOTE),
	    Q(TICKET), 0, "put the unit of a late work order under "
	    "supervision" },
	[LD_OP_WO_REROUTE] = { "wo.reroute", R_OFFICE, F(WO),
	    F(UNITS) | F(NOTE), Q(TICKET), 0,
	    "send a returned work order to other units (or route again)" },
	[LD_OP_WO_RULE] = { "wo.rule", R_OFFICE, F(WO) | F(NOTE), 0,
	    Q(TICKET), 0, "rule on a disputed return: the work order goes "
	    "back to the unit that returned it, with the ruling (note) and new "
	    "deadlines" },
	[LD_OP_EXT_GRANT] = { "ext.grant", R_OFFICE, F(WO) | F(UNTIL),
	    F(NOTE), Q(TICKET), 0, "grant an extension a unit asked for" },
	[LD_OP_EXT_REFUSE] = { "ext.refuse", R_OFFICE, F(WO) | F(REASON), 0,
	    Q(TICKET), 0, "refuse an extension a unit asked for" },
	[LD_OP_WO_SETTLE] = { "wo.settle", R_OFFICE, F(WO) | F(UNIT), F(NOTE),
	    Q(TICKET), 0, "settle responsibility for a work order a default "
	    "handler completed" },
	[LD_OP_TICKET_DISPATCH] = { "ticket.dispatch", R_OFFICE, 0,
	    F(UNITS) | F(NOTE), Q(TICKET), 0,
	    "dispatch a new ticket (a transfer was refused) by the topology, "
	    "or to the units named" },
	[LD_OP_TICKET_ESCALATE] = { "ticket.escalate", R_OFFICE, F(REASON), 0,
	    Q(TICKET), 0, "hand a new or returned ticket up to the parent "
	    "node (cross-jurisdiction)" },
	[LD_OP_TICKET_HANDDOWN] = { "ticket.handdown", R_OFFICE, 0,
	    F(NODE) | F(REASON), Q(TICKET), 0,
	    "hand a new or returned ticket down to the county it belongs to" },
	[LD_OP_TRANSFER_ACCEPT] = { "transfer.accept", R_OFFICE, 0, F(NOTE),
	    Q(TICKET), 0, "take over a ticket handed to this node, and "
	    "dispatch it" },
	[LD_OP_TRANSFER_REFUSE] = { "transfer.refuse", R_OFFICE, F(REASON), 0,
	    Q(TICKET), 0, "refuse a ticket handed to this node" },
	[LD_OP_WO_QUEUE] = { "wo.queue", R_UNIT, 0, 0, 0, Q(LIMIT),
	    "the unit's own open work orders, soonest deadline first" },
	[LD_OP_WO_SIGN] = { "wo.sign", R_UNIT, F(WO), F(NOTE), Q(TICKET), 0,
	    "sign for a work order" },
	[LD_OP_WO_RETURN] = { "wo.return", R_UNIT, F(WO) | F(REASON), 0,
	    Q(TICKET), 0, "return a work order that is not the unit's" },
	[LD_OP_EXT_REQUEST] = { "ext.request", R_UNIT,
	    F(WO) | F(UNTIL) | F(REASON), 0, Q(TICKET), 0,
	    "ask for more time" },
	[LD_OP_WO_PROGRESS] = { "wo.progress", R_UNIT, F(WO) | F(NOTE), 0,
	    Q(TICKET), 0, "note progress on a work order" },
	[LD_OP_WO_COMPLETE] = { "wo.complete", R_UNIT, F(WO) | F(RESULT), 0,
	    Q(TICKET), 0, "complete a work order with its result" },
	[LD_OP_TICKET_SHOW] = { "ticket.show", R_ALL, 0, 0, Q(TICKET), 0,
	    "a ticket with its work orders and whole history" },
	[LD_OP_TICKET_LIST] = { "ticket.list", R_ALL, 0,
	    F(PHONE) | F(AREA) | F(UNIT), 0,
	    Q(STATE) | Q(DAY) | Q(DAY_TO) | Q(OVERDUE) | Q(Q) | Q(LIMIT) |
	    Q(AFTER), "list and search tickets, newest first, in pages" },
	[LD_OP_FIGURES] = { "figures", R_ALL, 0, 0, 0, Q(DAY) | Q(DAY_TO),
	    "a day's (or a range of days') figures" },
	[LD_OP_STATUS] = { "status", R_ADMIN, 0, 0, 0, 0,
	    "the node: id, level, version, store, links" },
	[LD_OP_REPORT] = { "report", R_ALL, 0, 0, Q(DAY) | Q(DAY_TO), 0,
	    "the figures of a period and the assessment of every unit "
	    "(docs/assessment.md)" },
	[LD_OP_SPOT_CHECK] = { "spot.check", R_OFFICE, 0, 0, 0, Q(DAY),
	    "the spot-check sample of a day's completed work orders (default: "
	    "yesterday)" },
	[LD_OP_OUTBOX_LIST] = { "outbox.list", R_OFFICE, 0, 0, 0,
	    Q(BOX) | Q(LIMIT), "the SMS outbox: new (waiting), sent or dead "
	    "(box)" },
	[LD_OP_OUTBOX_RETRY] = { "outbox.retry", R_OFFICE, 0, 0, Q(Q), 0,
	    "send a dead SMS again (q: its id)" },
	[LD_OP_PLAN_START] = { "plan.start", R_OFFICE, 0, F(PLAN) | F(NOTE),
	    Q(TICKET), 0, "start an emergency plan on a ticket (the plan of "
	    "its category, or the one named): every unit of the plan at once, "
	    "and the report to the government" },
	[LD_OP_INCIDENT_ATTACH] = { "incident.attach", R_OFFICE, F(INCIDENT),
	    F(NOTE), Q(TICKET), 0, "attach a new ticket to an incident instead "
	    "of dispatching it again; its caller gets the incident's result" },
	[LD_OP_INCIDENT_ANNOUNCE] = { "incident.announce", R_OFFICE, F(TEXT),
	    F(CHANNEL) | F(AREA), Q(TICKET), 0, "tell the public on the "
	    "plan's channels (or one of them): cause, area, what is done, "
	    "when restored; an area other than the lead's reaches the node "
	    "that holds it" },
	[LD_OP_INCIDENT_REPORT] = { "incident.report", R_OFFICE, F(TEXT), 0,
	    Q(TICKET), 0, "report (an update) to the city government" },
	[LD_OP_INCIDENT_CLOSE] = { "incident.close", R_OFFICE, F(TEXT), 0,
	    Q(TICKET), 0, "close an incident with a summary: announced, "
	    "reported to the government, told to every caller (again: the "
	    "callers not told yet)" },
	[LD_OP_INCIDENT_SHOW] = { "incident.show", R_OFFICE, 0, 0, Q(TICKET),
	    0, "an incident: its lead ticket, the attached tickets, and every "
	    "event of them all in order" },
};

/* The wire name of op; "none" when out of range. */
const char *
proto_op_name(enum ld_op op)
{
	if ((unsigned)op >= LD_OP__COUNT)
		return "none";
	return proto_ops[op].name;
}

/* The op named by the len bytes at name; LD_OP_NONE if there is none. */
enum ld_op
proto_op_from_name(const char *name, size_t len)
{
	if (name == NULL)
		return LD_OP_NONE;
	for (int op = 1; op < LD_OP__COUNT; op++)
		if (strlen(proto_ops[op].name) == len &&
		    memcmp(proto_ops[op].name, name, len) == 0)
			return (enum ld_op)op;
	return LD_OP_NONE;
}

/* ---- query arguments and request checks --------------------------- */

/* The ticket states a list may filter on: ticket.h's enum, without none. */
static const char *const proto_states[] = { "new", "dispatched",
	"in_progress", "returned", "completed", "reported", "called_back",
	"closed" };
_Static_assert(sizeof(proto_states) / sizeof(proto_states[0]) ==
    LD_TS__COUNT - 1, "proto_states[] must follow enum ld_ticket_state");

/* The query arguments: name, type, limit (bytes, or largest value). */
struct proto_qdef {
	const char *name;
	enum ld_ftype type;
	uint32_t max;
	size_t offset;		/* offsetof(struct ld_request, ...) */
};

#define QOFF(m) offsetof(struct ld_request, m)
static const struct proto_qdef proto_qargs[LD_Q__COUNT] = {
	[LD_Q_STATE] = { "state", LD_T_STR, 23, QOFF(state) },
	[LD_Q_DAY] = { "day", LD_T_STR, 10, QOFF(day) },
	[LD_Q_DAY_TO] = { "day_to", LD_T_STR, 10, QOFF(day_to) },
	[LD_Q_OVERDUE] = { "overdue", LD_T_BOOL, 0, QOFF(overdue) },
	[LD_Q_Q] = { "q", LD_T_STR, LD_PROTO_Q_MAX, QOFF(q) },
	[LD_Q_LIMIT] = { "limit", LD_T_UINT, LD_PROTO_LIMIT_MAX, QOFF(limit) },
	[LD_Q_AFTER] = { "after", LD_T_STR, LD_TICKET_MAX, QOFF(after) },
	[LD_Q_TICKET] = { "ticket", LD_T_STR, LD_TICKET_MAX, QOFF(ticket) },
	[LD_Q_BOX] = { "box", LD_T_STR, 7, QOFF(box) },
};

/* The name of query argument q ("state"). */
const char *
proto_q_name(int q)
{
	return (unsigned)q < LD_Q__COUNT ? proto_qargs[q].name : "?";
}

/* The buffer in req of string query argument q. */
char *
proto_q_buf(struct ld_request *req, int q)
{
	return (char *)req + proto_qargs[q].offset;
}

/* The size of that buffer (limit + 1). */
size_t
proto_q_cap(int q)
{
	return (size_t)proto_qargs[q].max + 1;
}

/* The query argument named by the n bytes at s, or -1. */
int
proto_q_from_name(const uint8_t *s, size_t n)
{
	for (int q = 0; q < LD_Q__COUNT; q++)
		if (strlen(proto_qargs[q].name) == n &&
		    memcmp(proto_qargs[q].name, s, n) == 0)
			return q;
	return -1;
}

/* Is s "YYYY-MM-DD", a real date? */
static bool
proto_day_ok(const char *s)
{
	uint32_t ymd = 0;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return false;
		ymd = ymd * 10 + (uint32_t)(s[i] - '0');
	}
	return ltime_day_start(ymd) >= 0;
}

/* Check query argument q of req as the decoder does after reading it:
 * its byte limit and UTF-8, and beyond: state a
 * ticket state name, days real dates, limit 1..max, ticket non-empty. */
int
proto_q_check(struct codec_mp_rd *r, const struct ld_request *req, int q)
{
	const struct proto_qdef *d = &proto_qargs[q];
	const char *s = (const char *)req + d->offset;
	char names[160];
	size_t o = 0;
	int rc;

	if (d->type == LD_T_STR && (rc = codec_mp_check_str(r, s, d->max, NULL)) != 0)
		return rc;
	switch (q) {
	case LD_Q_STATE:
		for (size_t i = 0; i < LD_TS__COUNT - 1; i++) {
			if (strcmp(s, proto_states[i]) == 0)
				return LD_OK;
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s%s", i ? "|" : "", proto_states[i]);
		}
		return codec_mp_fail(r, LD_EUNKNOWN, "unknown state '%s' "
		    "(expected %s)", s, names);
	case LD_Q_BOX:
		if (strcmp(s, "new") != 0 && strcmp(s, "sent") != 0 &&
		    strcmp(s, "dead") != 0)
			return codec_mp_fail(r, LD_EUNKNOWN, "unknown outbox "
			    "'%s' (expected new|sent|dead)", s);
		return LD_OK;
	case LD_Q_DAY:
	case LD_Q_DAY_TO:
		if (!proto_day_ok(s))
			return codec_mp_fail(r, LD_EINVAL, "'%s' is not a "
			    "day (YYYY-MM-DD)", s);
		return LD_OK;
	case LD_Q_LIMIT:
		if (req->limit < 1 || req->limit > d->max)
			return codec_mp_fail(r, LD_ELIMIT, "%" PRIu32 " out "
			    "of range 1..%" PRIu32, req->limit, d->max);
		return LD_OK;
	case LD_Q_AFTER:
	case LD_Q_TICKET:
		if (s[0] == '\0')
			return codec_mp_fail(r, LD_EINVAL, "empty ticket id");
		return LD_OK;
	default:
		return LD_OK;
	}
}

/* The rules that need the whole request: every required argument present
 * (event fields in field order, then query arguments), day_to with day
 * and not before it. */
int
proto_req_rules(const struct ld_request *req, struct ld_err *err)
{
	const struct ld_op_def *o = &proto_ops[req->op];
	uint32_t miss = o->required & ~req->args.present;
	uint32_t qmiss = o->q_required & ~req->q_present;

	if (miss != 0)
		return err_set(err, LD_EMISSING, "args.%s: missing (required "
		    "by '%s')", event_fields[__builtin_ctz(miss)].name, o->name);
	if (qmiss != 0)
		return err_set(err, LD_EMISSING, "args.%s: missing (required "
		    "by '%s')", proto_qargs[__builtin_ctz(qmiss)].name, o->name);
	if ((req->q_present & (1u << LD_Q_DAY_TO)) &&
	    !(req->q_present & (1u << LD_Q_DAY)))
		return err_set(err, LD_EMISSING, "args.day: missing (required "
		    "with day_to)");
	if ((req->q_present & (1u << LD_Q_DAY_TO)) &&
	    strcmp(req->day_to, req->day) < 0)
		return err_set(err, LD_EINVAL, "args.day_to: %s is before day "
		    "%s", req->day_to, req->day);
	return LD_OK;
}

/* ---- request encoder -------------------------------------------------- */

/* Check req as the decoder would (op, arguments allowed, values, rules). */
static int
proto_request_check(const struct ld_request *req, struct ld_err *err)
{
	struct codec_mp_pctx c = { .r = { .err = err,
		.path = codec_mp_pctx_path }, .sect = "args.", .idx = -1 };
	const struct ld_op_def *o;
	uint32_t extra, qextra;
	int rc;

	if (req == NULL)
		return err_set(err, LD_EINVAL, "no request");
	if (req->op <= LD_OP_NONE || req->op >= LD_OP__COUNT)
		return err_set(err, LD_EUNKNOWN, "op: unknown operation %d",
		    (int)req->op);
	o = &proto_ops[req->op];
	extra = req->args.present & ~(o->required | o->optional);
	qextra = req->q_present & ~(o->q_required | o->q_optional);
	if (extra != 0) {
		int f = __builtin_ctz(extra);

		return err_set(err, LD_EUNKNOWN, "args.%s: unknown argument "
		    "of '%s'", f < LD_F__COUNT ? event_fields[f].name : "?",
		    o->name);
	}
	if (qextra != 0) {
		int q = __builtin_ctz(qextra);

		return err_set(err, LD_EUNKNOWN, "args.%s: unknown argument "
		    "of '%s'", q < LD_Q__COUNT ? proto_qargs[q].name : "?",
		    o->name);
	}
	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!(req->args.present >> f & 1u))
			continue;
		c.name = event_fields[f].name;
		if ((rc = codec_event_check_field(&c, &req->args, f)) != 0)
			return rc;
	}
	for (int q = 0; q < LD_Q__COUNT; q++) {
		if (!(req->q_present >> q & 1u))
			continue;
		c.name = proto_qargs[q].name;
		if ((rc = proto_q_check(&c.r, req, q)) != 0)
			return rc;
	}
	return proto_req_rules(req, err);
}

/*
 * Encode req (checked first, as the decoder checks) in the canonical form
 * of docs/protocol.md §3: keys v, id, op, args; arguments in field order,
 * then query arguments; shortest encodings.  Returns the length, or an
 * LD_E* code (LD_ELIMIT when it does not fit in cap).
 */
int
proto_request_encode(const struct ld_request *req, uint8_t *buf, size_t cap,
    struct ld_err *err)
{
	struct ld_pw w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	int rc;

	if ((rc = proto_request_check(req, err)) != 0)
		return rc;
	proto_w_map(&w, 4);
	proto_w_str(&w, "v");
	proto_w_uint(&w, LD_PROTO_VERSION);
	proto_w_str(&w, "id");
	proto_w_uint(&w, req->id);
	proto_w_str(&w, "op");
	proto_w_str(&w, proto_ops[req->op].name);
	proto_w_str(&w, "args");
	proto_w_map(&w, (uint32_t)(__builtin_popcount(req->args.present) +
	    __builtin_popcount(req->q_present)));
	for (int f = 0; f < LD_F__COUNT; f++) {
		const struct ld_field_def *d = &event_fields[f];
		const char *p = (const char *)&req->args + d->offset;
		uint32_t u;
		int64_t t;

		if (!(req->args.present >> f & 1u))
			continue;
		proto_w_str(&w, d->name);
		switch (d->type) {
		case LD_T_STR: proto_w_str(&w, p); break;
		case LD_T_UINT:
			memcpy(&u, p, sizeof(u));
			proto_w_uint(&w, u);
			break;
		case LD_T_ENUM:
			memcpy(&u, p, sizeof(u));
			proto_w_str(&w, d->enum_names[u - 1]);
			break;
		case LD_T_TIME:
			memcpy(&t, p, sizeof(t));
			proto_w_uint(&w, (uint64_t)t);
			break;
		case LD_T_BOOL: proto_w_bool(&w, *(const bool *)p); break;
		default:
			proto_w_array(&w, req->args.n_units);
			for (uint32_t i = 0; i < req->args.n_units; i++)
				proto_w_str(&w, req->args.units[i]);
		}
	}
	for (int q = 0; q < LD_Q__COUNT; q++) {
		const struct proto_qdef *d = &proto_qargs[q];

		if (!(req->q_present >> q & 1u))
			continue;
		proto_w_str(&w, d->name);
		if (d->type == LD_T_STR)
			proto_w_str(&w, (const char *)req + d->offset);
		else if (d->type == LD_T_BOOL)
			proto_w_bool(&w, req->overdue);
		else
			proto_w_uint(&w, req->limit);
	}
	if (w.off > LD_PROTO_FRAME_MAX)
		return err_set(err, LD_ELIMIT, "request: %zu bytes exceeds "
		    "limit %d", w.off, LD_PROTO_FRAME_MAX);
	if (w.off > w.cap)
		return err_set(err, LD_ELIMIT, "request: %zu bytes does not "
		    "fit in %zu", w.off, w.cap);
	return (int)w.off;
}

/* ---- reply writer ------------------------------------------------------ */

/* Run one codec_mp writer call on the bytes of w. */
#define PROTO_PW(w, call) do {						\
	struct codec_mp_wr m_ = { .p = (w)->p, .cap = (w)->cap,		\
	    .off = (w)->off };						\
	call;								\
	(w)->off = m_.off;						\
} while (0)

/* Start a success reply for request id: the envelope and the header of a
 * result map of result_entries entries, which the caller then writes
 * (key, value, key, value, ...) before proto_reply_end.  buf may be NULL
 * (cap 0): the writer then only counts. */
void
proto_reply_begin(struct ld_pw *w, uint8_t *buf, size_t cap, uint64_t id,
    uint32_t result_entries)
{
	w->p = buf;
	w->cap = buf != NULL ? cap : 0;
	w->off = 0;
	w->depth = 1;
	proto_w_map(w, 4);
	proto_w_str(w, "v");
	proto_w_uint(w, LD_PROTO_VERSION);
	proto_w_str(w, "id");
	proto_w_uint(w, id);
	proto_w_str(w, "ok");
	proto_w_bool(w, true);
	proto_w_str(w, "result");
	proto_w_map(w, result_entries);
}

/* Finish a reply: its length, or LD_ELIMIT if it did not fit in the
 * buffer or exceeds LD_PROTO_REPLY_MAX (the buffer holds no reply then). */
int
proto_reply_end(struct ld_pw *w)
{
	w->depth = 0;
	if (w->off > w->cap || w->off > LD_PROTO_REPLY_MAX)
		return LD_ELIMIT;
	return (int)w->off;
}

/* Append a map header of n entries (2n values follow). */
void
proto_w_map(struct ld_pw *w, uint32_t n)
{
	PROTO_PW(w, codec_mp_put_map(&m_, n));
}

/* Append an array header of n entries. */
void
proto_w_array(struct ld_pw *w, uint32_t n)
{
	PROTO_PW(w, codec_mp_put_array(&m_, n));
}

/* Append NUL-terminated s as a string (the caller's text is trusted to
 * be UTF-8: it comes from decoded events and views); NULL writes nil. */
void
proto_w_str(struct ld_pw *w, const char *s)
{
	if (s == NULL) {
		proto_w_nil(w);
		return;
	}
	PROTO_PW(w, codec_mp_put_str(&m_, s, strlen(s)));
}

/* Append v in its shortest unsigned form. */
void
proto_w_uint(struct ld_pw *w, uint64_t v)
{
	PROTO_PW(w, codec_mp_put_uint(&m_, v));
}

/* Append v in its shortest form: unsigned when v >= 0, else negative
 * fixint, int 8, 16, 32 or 64. */
void
proto_w_int(struct ld_pw *w, int64_t v)
{
	unsigned tag;
	int nb;

	if (v >= 0) {
		proto_w_uint(w, (uint64_t)v);
		return;
	}
	if (v >= -32) {
		tag = 0xe0 | ((unsigned)v & 0x1f);
		nb = 0;
	} else if (v >= INT8_MIN) {
		tag = 0xd0;
		nb = 1;
	} else if (v >= INT16_MIN) {
		tag = 0xd1;
		nb = 2;
	} else if (v >= INT32_MIN) {
		tag = 0xd2;
		nb = 4;
	} else {
		tag = 0xd3;
		nb = 8;
	}
	PROTO_PW(w, codec_mp_put_hdr(&m_, tag, (uint64_t)v, nb));
}

/* Append true or false. */
void
proto_w_bool(struct ld_pw *w, bool v)
{
	PROTO_PW(w, codec_mp_put_bool(&m_, v));
}

/* Append nil. */
void
proto_w_nil(struct ld_pw *w)
{
	PROTO_PW(w, codec_mp_put_hdr(&m_, 0xc0, 0, 0));
}

/* Copy message s into out (cap bytes) as valid UTF-8: at most cap - 1
 * bytes, every byte that does not start a valid sequence (a character
 * cut by a truncated message, say) replaced by '?'.  Returns the length. */
static size_t
proto_clean_text(char *out, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1), i = 0, o = 0, bad;

	while (i < n) {
		if (utf8_valid(s + i, n - i, &bad))
			bad = n - i;
		memcpy(out + o, s + i, bad);
		o += bad;
		i += bad;
		if (i < n) {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * Write an error reply for request id into buf: {"v":1, "id":id,
 * "ok":false, "error":{"code":NAME, "num":CODE, "message":TEXT}}.  e NULL
 * or with a code that is not an error gives EINVAL; an empty message
 * gives "error NAME".  Returns the length, or LD_ELIMIT if it does not
 * fit in cap (LD_PROTO_ERR_REPLY_MAX bytes always suffice).
 */
int
proto_reply_error(uint8_t *buf, size_t cap, uint64_t id,
    const struct ld_err *e)
{
	struct ld_pw w;
	char msg[LD_ERR_MSG_MAX];
	int code = e != NULL && e->code < 0 ? e->code : LD_EINVAL;

	if (e == NULL || proto_clean_text(msg, sizeof(msg), e->msg) == 0)
		snprintf(msg, sizeof(msg), "error %s", err_name(code));
	w.p = buf;
	w.cap = buf != NULL ? cap : 0;
	w.off = 0;
	w.depth = 1;
	proto_w_map(&w, 4);
	proto_w_str(&w, "v");
	proto_w_uint(&w, LD_PROTO_VERSION);
	proto_w_str(&w, "id");
	proto_w_uint(&w, id);
	proto_w_str(&w, "ok");
	proto_w_bool(&w, false);
	proto_w_str(&w, "error");
	proto_w_map(&w, 3);
	proto_w_str(&w, "code");
	proto_w_str(&w, err_name(code));
	proto_w_str(&w, "num");
	proto_w_int(&w, code);
	proto_w_str(&w, "message");
	proto_w_str(&w, msg);
	return proto_reply_end(&w);
}
