/*
 * ticket.c - the ticket state machine (see ticket.h for the contract).
 *
 * Pure: no I/O, no malloc, no clock.  ticket_apply() checks the event in
 * a fixed order and changes a copy of the ticket, which is committed only
 * when every check passed, so a refused event leaves *t byte-identical:
 *
 *   1. the event is a ticket event (else LD_EINVAL "not a ticket event")
 *      and well formed: origin a node id, time > 0, required fields of
 *      its kind present, numbers in range, strings NUL-terminated in their
 *      buffers (else LD_EINVAL: the codec enforces the same, so this only
 *      catches events built wrongly in code);
 *   2. its time is at most now + LD_CLOCK_SKEW_MS;
 *   3. the ticket exists (ticket.created: does not), and ev->ticket is it;
 *   4. ownership (invariant 4): ev->origin is the owner; a transfer answer
 *      comes from the pending transfer's target instead;
 *   5. closed tickets take only reopened and settled; a pending transfer
 *      freezes the ticket: only the target's answer is taken (table
 *      ticket_kinds[]);
 *   6. the kind's own handler (one static ticket_on_<kind> per kind);
 *   7. events++, updated_ms = time, state = ticket_derive_state().
 *
 * Every refusal is LD_EREFUSED with a sentence an operator can read, led
 * by the ticket id: "XA-2011-000123: work order 2 (unit water) is not
 * signed for yet; it cannot be completed".  Times in messages are shown
 * in the office's local time (UTC+8, no daylight saving since 1991).
 *
 * Decisions where the brief is silent (what a linkage office expects):
 *  - ticket.created needs a well-formed ticket id made by the creating
 *    node ("XA-..." created by XA): ids are issued without coordination,
 *    so a node may only issue its own.
 *  - Event times need not increase: events of one ticket come from one
 *    owner in order, and a transfer answer may carry the target's slightly
 *    different clock.  updated_ms is simply the last event's time.
 *  - While a transfer is pending, every event but the answer is refused,
 *    not only dispatched and closed.  This keeps one writer per ticket
 *    across the federation: the target may accept at any moment, and an
 *    event the old owner made meanwhile would be refused when replayed at
 *    the new owner (origin no longer the owner), so the nodes would
 *    disagree.  Frozen, the order is total: request, answer, then only
 *    the new owner.  The price: no plan, announcement or settlement on a
 *    ticket until the target answers.
 *  - now = INT64_MAX skips the future check (for replaying events that
 *    another node already accepted: its clock, not ours, judged them).
 *  - A work order needs a non-empty unit.
 *  - returned and completed drop a pending extension request: the unit no
 *    longer needs the time.  ext.granted and ext.refused therefore always
 *    concern a SIGNED work order.  The office may grant less than asked,
 *    but never a deadline before the current one.
 *  - reopened needs the same deadlines as a dispatch (due_sign not before
 *    the event, due_done not before due_sign).  A ticket closed while NEW
 *    reopens as NEW.  Work orders go back to DISPATCHED even if two of them
 *    belong to the same unit (each is its own piece of work).
 *  - t->completed_ms is set by the completion that leaves no work order
 *    open, cleared whenever a work order opens again (dispatch, reopen),
 *    and, when a transfer re-routes the last returned work order so that
 *    the ticket becomes COMPLETED, set to that event's time.  So:
 *    completed_ms != 0 => no work order open, and COMPLETED, REPORTED and
 *    CALLED_BACK tickets always have it.
 *  - settled may be repeated (a correction overwrites the earlier one).
 *  - A transfer answer's node field must name the pending target.
 *  - Counters are bounded by their types: an event that would overflow
 *    one is refused.
 */
#include "ticket.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The work of one ticket_apply: the copy being changed and the event. */
struct ticket_ctx {
	struct ld_ticket *t;		/* the working copy */
	const struct ld_event *ev;
	int64_t now;
	struct ld_err *err;
};

typedef int (*ticket_handler_fn)(struct ticket_ctx *c);

/* Forward declarations of the handlers (table below). */
static int ticket_on_created(struct ticket_ctx *c);
static int ticket_on_routed(struct ticket_ctx *c);
static int ticket_on_dispatched(struct ticket_ctx *c);
static int ticket_on_signed(struct ticket_ctx *c);
static int ticket_on_returned(struct ticket_ctx *c);
static int ticket_on_ext_requested(struct ticket_ctx *c);
static int ticket_on_ext_granted(struct ticket_ctx *c);
static int ticket_on_ext_refused(struct ticket_ctx *c);
static int ticket_on_progress(struct ticket_ctx *c);
static int ticket_on_completed(struct ticket_ctx *c);
static int ticket_on_reported(struct ticket_ctx *c);
static int ticket_on_callback(struct ticket_ctx *c);
static int ticket_on_reopened(struct ticket_ctx *c);
static int ticket_on_closed(struct ticket_ctx *c);
static int ticket_on_urged(struct ticket_ctx *c);
static int ticket_on_supervised(struct ticket_ctx *c);
static int ticket_on_settled(struct ticket_ctx *c);
static int ticket_on_transfer_requested(struct ticket_ctx *c);
static int ticket_on_transfer_answer(struct ticket_ctx *c);
static int ticket_on_plan_activated(struct ticket_ctx *c);
static int ticket_on_announced(struct ticket_ctx *c);
static int ticket_on_ruled(struct ticket_ctx *c);
static int ticket_on_attached(struct ticket_ctx *c);
static int ticket_on_gov_reported(struct ticket_ctx *c);

/* Per kind: the handler, and whether the kind is taken on a closed ticket
 * and while a transfer is pending.  Call kinds have no handler. */
static const struct ticket_kind {
	ticket_handler_fn fn;
	bool on_closed;
	bool on_pending;
} ticket_kinds[LD_EV__COUNT] = {
	[LD_EV_TICKET_CREATED] = { ticket_on_created, false, false },
	[LD_EV_ROUTED] = { ticket_on_routed, false, false },
	[LD_EV_DISPATCHED] = { ticket_on_dispatched, false, false },
	[LD_EV_SIGNED] = { ticket_on_signed, false, false },
	[LD_EV_RETURNED] = { ticket_on_returned, false, false },
	[LD_EV_EXT_REQUESTED] = { ticket_on_ext_requested, false, false },
	[LD_EV_EXT_GRANTED] = { ticket_on_ext_granted, false, false },
	[LD_EV_EXT_REFUSED] = { ticket_on_ext_refused, false, false },
	[LD_EV_PROGRESS] = { ticket_on_progress, false, false },
	[LD_EV_COMPLETED] = { ticket_on_completed, false, false },
	[LD_EV_REPORTED] = { ticket_on_reported, false, false },
	[LD_EV_CALLBACK] = { ticket_on_callback, false, false },
	[LD_EV_REOPENED] = { ticket_on_reopened, true, false },
	[LD_EV_CLOSED] = { ticket_on_closed, false, false },
	[LD_EV_URGED] = { ticket_on_urged, false, false },
	[LD_EV_SUPERVISED] = { ticket_on_supervised, false, false },
	[LD_EV_SETTLED] = { ticket_on_settled, true, false },
	[LD_EV_TRANSFER_REQUESTED] = { ticket_on_transfer_requested, false,
	    false },
	[LD_EV_TRANSFER_ACCEPTED] = { ticket_on_transfer_answer, false, true },
	[LD_EV_TRANSFER_REFUSED] = { ticket_on_transfer_answer, false, true },
	[LD_EV_PLAN_ACTIVATED] = { ticket_on_plan_activated, false, false },
	[LD_EV_ANNOUNCED] = { ticket_on_announced, false, false },
	[LD_EV_RULED] = { ticket_on_ruled, false, false },
	[LD_EV_ATTACHED] = { ticket_on_attached, false, false },
	[LD_EV_GOV_REPORTED] = { ticket_on_gov_reported, false, false },
};

/* ---- names ------------------------------------------------------------ */

static const char *const ticket_state_names[LD_TS__COUNT] = {
	"none", "new", "dispatched", "in_progress", "returned", "completed",
	"reported", "called_back", "closed"
};

/* The same, as words in a sentence ("the ticket is ..."). */
static const char *const ticket_state_words[LD_TS__COUNT] = {
	"not created", "new", "dispatched", "in progress",
	"returned by its units", "completed", "reported to the citizen",
	"called back", "closed"
};

static const char *const ticket_wo_state_names[LD_WO__COUNT] = {
	"none", "dispatched", "signed", "completed", "returned", "rerouted"
};

/* Work order states as words ("work order 2 (unit water) is ..."). */
static const char *const ticket_wo_state_words[LD_WO__COUNT] = {
	"not dispatched", "dispatched but not signed for yet",
	"already signed for", "completed", "returned", "re-routed"
};

bool
ticket_state_open(enum ld_ticket_state s)
{
	return s == LD_TS_NEW || s == LD_TS_DISPATCHED ||
	    s == LD_TS_IN_PROGRESS || s == LD_TS_RETURNED;
}

enum ld_ticket_state
ticket_state_named(const char *name)
{
	for (int s = 1; s < LD_TS__COUNT; s++)
		if (strcmp(ticket_state_name((enum ld_ticket_state)s), name) == 0)
			return (enum ld_ticket_state)s;
	return LD_TS_NONE;
}

const char *
ticket_state_name(enum ld_ticket_state s)
{
	if ((unsigned)s >= LD_TS__COUNT)
		return "?";
	return ticket_state_names[s];
}

const char *
ticket_wo_state_name(enum ld_wo_state s)
{
	if ((unsigned)s >= LD_WO__COUNT)
		return "?";
	return ticket_wo_state_names[s];
}

/* ---- small helpers ---------------------------------------------------- */

/* Room for any time ticket_fmt_time() formats (even absurd years). */
#define TICKET_TIME_MAX 48

/*
 * Local (UTC+8) time of ms as "YYYY-MM-DD HH:MM:SS" into buf (>= 20
 * bytes; TICKET_TIME_MAX for any ms).  Days to civil date after
 * H. Hinnant's algorithm; pure.
 */
static void
ticket_fmt_time(int64_t ms, char *buf, size_t cap)
{
	int64_t s, days, sod, era, doe, yoe, doy, mp, y, m, d;

	assert(cap >= 20);
	s = ms / 1000 + 8 * 3600;
	if (ms % 1000 < 0)
		s--;
	days = s / 86400;
	sod = s % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	snprintf(buf, cap, "%04" PRId64 "-%02" PRId64 "-%02" PRId64
	    " %02" PRId64 ":%02" PRId64 ":%02" PRId64, y, m, d, sod / 3600,
	    sod / 60 % 60, sod % 60);
}

/*
 * Refuse the event: LD_EREFUSED with "<ticket id>: <message>".  The id is
 * the ticket's, or the event's for a ticket that does not exist yet.
 */
static int ticket_refuse(struct ticket_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
ticket_refuse(struct ticket_ctx *c, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX];
	const char *id;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	id = c->t->id[0] != '\0' ? c->t->id : c->ev->ticket;
	if (id[0] == '\0')
		id = "(no ticket id)";
	return err_set(c->err, LD_EREFUSED, "%s: %s", id, msg);
}

/* Copy a NUL-terminated string that is known to fit (both sides come
 * from buffers of the same limit). */
static void
ticket_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	assert(cap > 0 && n < cap);
	if (n >= cap)
		n = cap - 1;	/* never reached: the limits match */
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Is the string in buf NUL-terminated within cap bytes? */
static bool
ticket_str_ok(const char *buf, size_t cap)
{
	return memchr(buf, '\0', cap) != NULL;
}

/* Add one to a 16-bit counter, refusing rather than wrapping. */
static int
ticket_inc16(struct ticket_ctx *c, uint16_t *counter, const char *what)
{
	if (*counter == UINT16_MAX)
		return ticket_refuse(c, "too many %s on this ticket (%u)", what,
		    (unsigned)UINT16_MAX);
	(*counter)++;
	return LD_OK;
}

/*
 * The work order the event names, or a refusal if there is none.  The
 * schema check guarantees 1 <= ev->wo <= LD_WO_MAX.
 */
static int
ticket_wo_get(struct ticket_ctx *c, struct ld_wo **wp)
{
	uint32_t n = c->ev->wo;

	assert(event_has(c->ev, LD_F_WO));
	if (n < 1 || n > c->t->n_wo) {
		if (c->t->n_wo == 0)
			return ticket_refuse(c, "there is no work order %u: "
			    "nothing has been dispatched yet", (unsigned)n);
		return ticket_refuse(c, "there is no work order %u: the "
		    "ticket has %u", (unsigned)n, (unsigned)c->t->n_wo);
	}
	*wp = &c->t->wo[n - 1];
	assert((*wp)->state != LD_WO_NONE);
	return LD_OK;
}

/* Refuse a work order event because the work order is in the wrong
 * state: "work order 2 (unit water) is completed; it cannot be urged". */
static int
ticket_refuse_wo(struct ticket_ctx *c, const struct ld_wo *w,
    const char *action)
{
	assert(w->state < LD_WO__COUNT);
	return ticket_refuse(c, "work order %u (unit %s) is %s; it cannot be "
	    "%s", (unsigned)c->ev->wo, w->unit,
	    ticket_wo_state_words[w->state], action);
}

/* Refuse because of the ticket's state: "the ticket is in progress; ..." */
static int
ticket_refuse_state(struct ticket_ctx *c, const char *what)
{
	assert(c->t->state < LD_TS__COUNT);
	return ticket_refuse(c, "the ticket is %s; %s",
	    ticket_state_words[c->t->state], what);
}

/* Is any work order open? */
static bool
ticket_any_open(const struct ld_ticket *t)
{
	for (unsigned i = 0; i < t->n_wo; i++)
		if (ticket_wo_open(&t->wo[i]))
			return true;
	return false;
}

/* Check the deadlines of a dispatch or a reopen: due_sign not before the
 * event, due_done not before due_sign. */
static int
ticket_check_deadlines(struct ticket_ctx *c)
{
	const struct ld_event *ev = c->ev;
	char a[TICKET_TIME_MAX], b[TICKET_TIME_MAX];

	if (ev->due_sign_ms < ev->time_ms) {
		ticket_fmt_time(ev->due_sign_ms, a, sizeof(a));
		ticket_fmt_time(ev->time_ms, b, sizeof(b));
		return ticket_refuse(c, "the deadline to sign for (%s) lies "
		    "before the event itself (%s)", a, b);
	}
	if (ev->due_done_ms < ev->due_sign_ms) {
		ticket_fmt_time(ev->due_done_ms, a, sizeof(a));
		ticket_fmt_time(ev->due_sign_ms, b, sizeof(b));
		return ticket_refuse(c, "the deadline to complete (%s) lies "
		    "before the deadline to sign for (%s)", a, b);
	}
	return LD_OK;
}

/* ---- the event's shape ------------------------------------------------ */

/*
 * Is ev well formed for its kind?  LD_EINVAL with the reason if not.  The
 * codec enforces the same on the wire; this guards events built in code
 * and makes every later read of ev safe.
 */
static int
ticket_event_ok(const struct ld_event *ev, struct ld_err *err)
{
	const struct ld_kind_def *k = &event_kinds[ev->kind];
	const char *kn = k->name;

	if (!ticket_str_ok(ev->origin, sizeof(ev->origin)) ||
	    !event_node_id_ok(ev->origin))
		return err_set(err, LD_EINVAL, "%s event: origin is not a "
		    "node id", kn);
	if (!ticket_str_ok(ev->ticket, sizeof(ev->ticket)) ||
	    !ticket_str_ok(ev->actor, sizeof(ev->actor)))
		return err_set(err, LD_EINVAL, "%s event: unterminated "
		    "envelope string", kn);
	if (ev->time_ms <= 0)
		return err_set(err, LD_EINVAL, "%s event: time %" PRId64
		    " is not a time", kn, ev->time_ms);
	for (int f = 0; f < LD_F__COUNT; f++) {
		const struct ld_field_def *d = &event_fields[f];
		const char *p = (const char *)ev + d->offset;
		uint32_t u;
		int64_t tm;

		if ((k->required >> f) & 1u && !event_has(ev, f))
			return err_set(err, LD_EINVAL, "%s event lacks the "
			    "required field '%s'", kn, d->name);
		if (!event_has(ev, f) || !(((k->required | k->optional) >> f)
		    & 1u))
			continue;	/* absent or not read */
		switch (d->type) {
		case LD_T_STR:
			if (!ticket_str_ok(p, d->max + 1u))
				return err_set(err, LD_EINVAL, "%s event: "
				    "field '%s' is unterminated", kn, d->name);
			break;
		case LD_T_UINT:
		case LD_T_ENUM:
			memcpy(&u, p, sizeof(u));
			if (u < d->min || u > d->max)
				return err_set(err, LD_EINVAL, "%s event: "
				    "field '%s' value %u out of range %u..%u",
				    kn, d->name, (unsigned)u, (unsigned)d->min,
				    (unsigned)d->max);
			break;
		case LD_T_TIME:
			memcpy(&tm, p, sizeof(tm));
			if (tm < 0)
				return err_set(err, LD_EINVAL, "%s event: "
				    "field '%s' is a negative time", kn,
				    d->name);
			break;
		case LD_T_STRARR:
			if (ev->n_units > LD_UNITS_MAX)
				return err_set(err, LD_EINVAL, "%s event: "
				    "too many units", kn);
			for (uint32_t i = 0; i < ev->n_units; i++)
				if (!ticket_str_ok(ev->units[i],
				    sizeof(ev->units[i])))
					return err_set(err, LD_EINVAL, "%s "
					    "event: unit %u is unterminated",
					    kn, (unsigned)i + 1);
			break;
		case LD_T_BOOL:
			break;
		}
	}
	return LD_OK;
}

/* ---- handlers: one per kind ------------------------------------------ */

/* ticket.created: the operator recorded the request; origin owns it. */
static int
ticket_on_created(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;
	char node[LD_NODE_MAX + 1];

	assert(t->state == LD_TS_NONE);
	if (ticket_id_parse(ev->ticket, node, NULL, NULL) != 0)
		return ticket_refuse(c, "'%s' is not a ticket id of the form "
		    "NODE-YYYY-NNNNNN", ev->ticket);
	if (strcmp(node, ev->origin) != 0)
		return ticket_refuse(c, "node %s cannot create a ticket "
		    "numbered by node %s", ev->origin, node);
	ticket_copy(t->id, sizeof(t->id), ev->ticket);
	ticket_copy(t->owner, sizeof(t->owner), ev->origin);
	if (event_has(ev, LD_F_CALLER))
		ticket_copy(t->caller, sizeof(t->caller), ev->caller);
	ticket_copy(t->phone, sizeof(t->phone), ev->phone);
	ticket_copy(t->place, sizeof(t->place), ev->place);
	ticket_copy(t->area, sizeof(t->area), ev->area);
	ticket_copy(t->text, sizeof(t->text), ev->text);
	ticket_copy(t->category, sizeof(t->category), ev->category);
	assert(ev->urgency >= 1 && ev->urgency <= LD_URGENCY_MAX);
	t->urgency = (uint8_t)ev->urgency;
	t->created_ms = ev->time_ms;
	return LD_OK;
}

/* routed: the routing rules chose units; the office may also reclassify
 * (category) or move the request to another area. */
static int
ticket_on_routed(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;

	if (t->state != LD_TS_NEW && t->state != LD_TS_RETURNED)
		return ticket_refuse_state(c, "it can be routed only while new "
		    "or after its units returned it");
	ticket_copy(t->rule, sizeof(t->rule), ev->rule);
	if (event_has(ev, LD_F_CATEGORY))
		ticket_copy(t->category, sizeof(t->category), ev->category);
	if (event_has(ev, LD_F_AREA))
		ticket_copy(t->area, sizeof(t->area), ev->area);
	return LD_OK;
}

/* Was work order i returned and not yet settled by a transfer: still
 * returned, or re-routed by a dispatch of this owner (one that replaces
 * it)?  (A transfer accepted re-routes it without a replacement.) */
static bool
ticket_wo_bounced(const struct ld_ticket *t, unsigned i)
{
	if (t->wo[i].state == LD_WO_RETURNED)
		return true;
	if (t->wo[i].state != LD_WO_REROUTED)
		return false;
	for (unsigned j = i + 1; j < t->n_wo && j < LD_WO_MAX; j++)
		if (t->wo[j].replaces == i + 1)
			return true;
	return false;
}

/* dispatched: a new work order, numbered in order, to one unit; it may
 * re-route a returned one (replaces). */
static int
ticket_on_dispatched(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;
	struct ld_wo *w = NULL;
	int rc;

	if (t->state == LD_TS_REPORTED || t->state == LD_TS_CALLED_BACK)
		return ticket_refuse_state(c, "reopen it before dispatching "
		    "another work order");
	if (t->incident[0] != '\0')
		return ticket_refuse(c, "the ticket belongs to incident %s: "
		    "the units act on the incident's lead ticket", t->incident);
	if (t->n_wo >= LD_WO_MAX)
		return ticket_refuse(c, "the ticket already has %u work "
		    "orders, the most it can hold", (unsigned)LD_WO_MAX);
	if (ev->wo != (uint32_t)t->n_wo + 1)
		return ticket_refuse(c, "work order %u cannot be dispatched: "
		    "the next work order is number %u", (unsigned)ev->wo,
		    (unsigned)t->n_wo + 1);
	if (ev->unit[0] == '\0')
		return ticket_refuse(c, "work order %u names no unit",
		    (unsigned)ev->wo);
	for (unsigned i = 0; i < t->n_wo; i++) {
		if (ticket_wo_open(&t->wo[i]) &&
		    strcmp(t->wo[i].unit, ev->unit) == 0)
			return ticket_refuse(c, "unit %s already holds open "
			    "work order %u on this ticket", ev->unit, i + 1);
		/* a unit that returned the ticket's work gets it back only
		 * by the office's ruling: no second bounce without one (a
		 * transfer to another node is a new start: its new owner
		 * dispatches by its own rules) */
		if (t->wo[i].returns > 0 && ticket_wo_bounced(t, i) &&
		    strcmp(t->wo[i].unit, ev->unit) == 0)
			return ticket_refuse(c, "unit %s returned work order "
			    "%u; it goes back to the same unit only by a ruling "
			    "(wo.rule)", ev->unit, i + 1);
	}
	if ((rc = ticket_check_deadlines(c)) != 0)
		return rc;
	if (event_has(ev, LD_F_REPLACES)) {
		uint32_t r = ev->replaces;
		struct ld_wo *old;

		if (r < 1 || r > t->n_wo)
			return ticket_refuse(c, "work order %u cannot replace "
			    "work order %u: there is no such work order",
			    (unsigned)ev->wo, (unsigned)r);
		old = &t->wo[r - 1];
		if (old->state != LD_WO_RETURNED)
			return ticket_refuse(c, "work order %u (unit %s) is "
			    "%s, not returned; it cannot be replaced",
			    (unsigned)r, old->unit,
			    ticket_wo_state_words[old->state]);
		old->state = LD_WO_REROUTED;
	}
	w = &t->wo[t->n_wo];
	assert(w->state == LD_WO_NONE);
	memset(w, 0, sizeof(*w));
	ticket_copy(w->unit, sizeof(w->unit), ev->unit);
	w->state = LD_WO_DISPATCHED;
	w->replaces = event_has(ev, LD_F_REPLACES) ? (uint8_t)ev->replaces : 0;
	w->dispatched_ms = ev->time_ms;
	w->due_sign_ms = ev->due_sign_ms;
	w->due_done_ms = ev->due_done_ms;
	t->n_wo++;
	t->completed_ms = 0;
	assert(t->n_wo <= LD_WO_MAX);
	return LD_OK;
}

/* signed: the unit acknowledged its work order. */
static int
ticket_on_signed(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state == LD_WO_SIGNED)
		return ticket_refuse(c, "work order %u (unit %s) is already "
		    "signed for", (unsigned)c->ev->wo, w->unit);
	if (w->state != LD_WO_DISPATCHED)
		return ticket_refuse_wo(c, w, "signed for");
	w->state = LD_WO_SIGNED;
	w->signed_ms = c->ev->time_ms;
	assert(w->completed_ms == 0);
	return LD_OK;
}

/* returned: the unit says the work order is not its own. */
static int
ticket_on_returned(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (!ticket_wo_open(w))
		return ticket_refuse_wo(c, w, "returned");
	if (w->rulings > 0)
		return ticket_refuse(c, "work order %u (unit %s) was sent back "
		    "to the unit by the office's ruling; it cannot be returned "
		    "again", (unsigned)c->ev->wo, w->unit);
	if ((rc = ticket_inc16(c, &w->returns, "returns")) != 0)
		return rc;
	w->state = LD_WO_RETURNED;
	w->returned_ms = c->ev->time_ms;
	w->ext_pending = 0;
	w->ext_until_ms = 0;
	return LD_OK;
}

/* ruled: the office settled a disputed return against the unit: the work
 * order goes back to it with new deadlines (the sign-for clock starts
 * again at the ruling) and cannot be returned a second time. */
static int
ticket_on_ruled(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state != LD_WO_RETURNED)
		return ticket_refuse(c, "work order %u (unit %s) is %s, not "
		    "returned; there is no return to rule on",
		    (unsigned)c->ev->wo, w->unit,
		    ticket_wo_state_words[w->state]);
	for (unsigned i = 0; i < c->t->n_wo; i++)
		if (ticket_wo_open(&c->t->wo[i]) &&
		    strcmp(c->t->wo[i].unit, w->unit) == 0)
			return ticket_refuse(c, "unit %s already holds open "
			    "work order %u on this ticket", w->unit, i + 1);
	if ((rc = ticket_check_deadlines(c)) != 0)
		return rc;
	if ((rc = ticket_inc16(c, &w->rulings, "rulings")) != 0)
		return rc;
	w->state = LD_WO_DISPATCHED;
	w->due_sign_ms = c->ev->due_sign_ms;
	w->due_done_ms = c->ev->due_done_ms;
	w->returned_ms = 0;
	w->ruled_ms = c->ev->time_ms;
	w->signed_ms = 0;	/* to be signed for again, by due_sign */
	c->t->completed_ms = 0;
	return LD_OK;
}

/* ext.requested: a signed unit asks for a later deadline. */
static int
ticket_on_ext_requested(struct ticket_ctx *c)
{
	const struct ld_event *ev = c->ev;
	struct ld_wo *w = NULL;
	char a[TICKET_TIME_MAX], b[TICKET_TIME_MAX];
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state != LD_WO_SIGNED)
		return ticket_refuse(c, "work order %u (unit %s) is %s; only a "
		    "signed-for work order can ask for more time",
		    (unsigned)ev->wo, w->unit, ticket_wo_state_words[w->state]);
	if (w->ext_pending)
		return ticket_refuse(c, "work order %u (unit %s) already has "
		    "an extension request awaiting an answer",
		    (unsigned)ev->wo, w->unit);
	if (ev->until_ms <= w->due_done_ms) {
		ticket_fmt_time(ev->until_ms, a, sizeof(a));
		ticket_fmt_time(w->due_done_ms, b, sizeof(b));
		return ticket_refuse(c, "work order %u (unit %s): the extension "
		    "asked for (%s) is not later than the deadline (%s)",
		    (unsigned)ev->wo, w->unit, a, b);
	}
	w->ext_pending = 1;
	w->ext_until_ms = ev->until_ms;
	return LD_OK;
}

/* The work order of an extension answer: signed with a request pending. */
static int
ticket_ext_pending_wo(struct ticket_ctx *c, struct ld_wo **wp)
{
	int rc;

	if ((rc = ticket_wo_get(c, wp)) != 0)
		return rc;
	if (!(*wp)->ext_pending)
		return ticket_refuse(c, "work order %u (unit %s) has no "
		    "extension request awaiting an answer",
		    (unsigned)c->ev->wo, (*wp)->unit);
	assert((*wp)->state == LD_WO_SIGNED);
	return LD_OK;
}

/* ext.granted: the deadline to complete moves to until. */
static int
ticket_on_ext_granted(struct ticket_ctx *c)
{
	const struct ld_event *ev = c->ev;
	struct ld_wo *w = NULL;
	char a[TICKET_TIME_MAX], b[TICKET_TIME_MAX];
	int rc;

	if ((rc = ticket_ext_pending_wo(c, &w)) != 0)
		return rc;
	if (ev->until_ms < w->due_done_ms) {
		ticket_fmt_time(ev->until_ms, a, sizeof(a));
		ticket_fmt_time(w->due_done_ms, b, sizeof(b));
		return ticket_refuse(c, "work order %u (unit %s): the extension "
		    "granted (%s) lies before the current deadline (%s)",
		    (unsigned)ev->wo, w->unit, a, b);
	}
	if ((rc = ticket_inc16(c, &w->extensions, "extensions")) != 0)
		return rc;
	w->due_done_ms = ev->until_ms;
	w->ext_pending = 0;
	w->ext_until_ms = 0;
	return LD_OK;
}

/* ext.refused: the deadline stays. */
static int
ticket_on_ext_refused(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_ext_pending_wo(c, &w)) != 0)
		return rc;
	if ((rc = ticket_inc16(c, &w->ext_refusals, "refused extensions"))
	    != 0)
		return rc;
	w->ext_pending = 0;
	w->ext_until_ms = 0;
	return LD_OK;
}

/* progress: a note from a unit working on a signed-for work order. */
static int
ticket_on_progress(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state != LD_WO_SIGNED)
		return ticket_refuse(c, "work order %u (unit %s) is %s; only a "
		    "signed-for work order can note progress",
		    (unsigned)c->ev->wo, w->unit,
		    ticket_wo_state_words[w->state]);
	return ticket_inc16(c, &w->progress_notes, "progress notes");
}

/* completed: the unit finished and reported the result.  Nothing
 * completes before it was signed for (invariant 1). */
static int
ticket_on_completed(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state == LD_WO_DISPATCHED)
		return ticket_refuse(c, "work order %u (unit %s) is not signed "
		    "for yet; it cannot be completed", (unsigned)c->ev->wo,
		    w->unit);
	if (w->state != LD_WO_SIGNED)
		return ticket_refuse_wo(c, w, "completed");
	assert(w->signed_ms != 0);
	w->state = LD_WO_COMPLETED;
	w->completed_ms = c->ev->time_ms;
	w->ext_pending = 0;
	w->ext_until_ms = 0;
	if (!ticket_any_open(c->t))
		c->t->completed_ms = c->ev->time_ms;
	return LD_OK;
}

/* reported: the office told the citizen the result. */
static int
ticket_on_reported(struct ticket_ctx *c)
{
	if (c->t->incident[0] != '\0' && c->t->state == LD_TS_NEW) {
		/* attached: the incident's result, told to this caller */
		c->t->reported = 1;
		return LD_OK;
	}
	if (c->t->state != LD_TS_COMPLETED)
		return ticket_refuse_state(c, "the citizen can be told the "
		    "result only once every work order is completed");
	c->t->reported = 1;
	return LD_OK;
}

/* callback: the office called the citizen back (after reporting). */
static int
ticket_on_callback(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	int rc;

	if (t->state != LD_TS_REPORTED && t->state != LD_TS_CALLED_BACK)
		return ticket_refuse_state(c, "a callback comes only after the "
		    "citizen was told the result");
	if ((rc = ticket_inc16(c, &t->callbacks, "callbacks")) != 0)
		return rc;
	t->called_back = 1;
	t->method = (uint8_t)c->ev->method;
	t->satisfaction = (uint8_t)c->ev->satisfaction;
	return LD_OK;
}

/* reopened: completed work orders go back to their units with new
 * deadlines; the ticket is open again. */
static int
ticket_on_reopened(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;
	int rc;

	if (t->state != LD_TS_REPORTED && t->state != LD_TS_CALLED_BACK &&
	    t->state != LD_TS_CLOSED)
		return ticket_refuse_state(c, "only a ticket reported to the "
		    "citizen, called back or closed can be reopened");
	if ((rc = ticket_check_deadlines(c)) != 0)
		return rc;
	if ((rc = ticket_inc16(c, &t->reopens, "reopens")) != 0)
		return rc;
	for (unsigned i = 0; i < t->n_wo; i++) {
		struct ld_wo *w = &t->wo[i];

		assert(!ticket_wo_open(w));
		if (w->state != LD_WO_COMPLETED)
			continue;
		w->state = LD_WO_DISPATCHED;
		w->dispatched_ms = ev->time_ms;
		w->due_sign_ms = ev->due_sign_ms;
		w->due_done_ms = ev->due_done_ms;
		w->signed_ms = 0;
		w->completed_ms = 0;
		w->ext_pending = 0;
		w->ext_until_ms = 0;
	}
	t->reported = 0;
	t->called_back = 0;
	t->closed = 0;
	t->closed_ms = 0;
	t->completed_ms = 0;
	/* an attached caller still unsatisfied: the ticket leaves the
	 * incident, to be handled on its own */
	t->incident[0] = '\0';
	return LD_OK;
}

/* closed: after the citizen was told, or straight from NEW with a reason
 * (resolved on the phone, duplicate, not a linkage matter). */
static int
ticket_on_closed(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;

	if (t->state == LD_TS_NEW) {
		if (!event_has(c->ev, LD_F_REASON) || c->ev->reason[0] == '\0')
			return ticket_refuse(c, "a new ticket can be closed "
			    "only with a reason (e.g. resolved on the phone, "
			    "duplicate)");
	} else if (t->state != LD_TS_REPORTED &&
	    t->state != LD_TS_CALLED_BACK) {
		return ticket_refuse_state(c, "it can be closed only when new "
		    "(with a reason) or after the citizen was told the "
		    "result");
	}
	t->closed = 1;
	t->closed_ms = c->ev->time_ms;
	return LD_OK;
}

/* urged / supervised: pressure on the unit of an open work order. */
static int
ticket_press(struct ticket_ctx *c, bool supervise)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (!ticket_wo_open(w))
		return ticket_refuse(c, "work order %u (unit %s) is %s; only an "
		    "open work order can be %s", (unsigned)c->ev->wo, w->unit,
		    ticket_wo_state_words[w->state],
		    supervise ? "supervised" : "urged");
	if (supervise)
		return ticket_inc16(c, &w->supervisions, "supervisions");
	return ticket_inc16(c, &w->urges, "urges");
}

/* urged: a late unit was urged. */
static int
ticket_on_urged(struct ticket_ctx *c)
{
	return ticket_press(c, false);
}

/* supervised: a late unit was put under supervision. */
static int
ticket_on_supervised(struct ticket_ctx *c)
{
	return ticket_press(c, true);
}

/* settled: after a default handler (the housing commission for a cover of
 * unclear ownership) completed, responsibility goes to the real owner. */
static int
ticket_on_settled(struct ticket_ctx *c)
{
	struct ld_wo *w = NULL;
	int rc;

	if ((rc = ticket_wo_get(c, &w)) != 0)
		return rc;
	if (w->state != LD_WO_COMPLETED)
		return ticket_refuse(c, "work order %u (unit %s) is %s; "
		    "responsibility is settled only after it was completed",
		    (unsigned)c->ev->wo, w->unit,
		    ticket_wo_state_words[w->state]);
	if (c->ev->unit[0] == '\0')
		return ticket_refuse(c, "work order %u: settled to no unit",
		    (unsigned)c->ev->wo);
	ticket_copy(w->settled_unit, sizeof(w->settled_unit), c->ev->unit);
	return LD_OK;
}

/* transfer.requested: the owner asks another node (up: escalate to the
 * city; down: hand to a county) to take the ticket over. */
static int
ticket_on_transfer_requested(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;

	assert(t->transfer_to[0] == '\0');
	if (!event_node_id_ok(ev->node))
		return ticket_refuse(c, "'%s' is not a node id", ev->node);
	if (strcmp(ev->node, t->owner) == 0)
		return ticket_refuse(c, "node %s already owns the ticket",
		    ev->node);
	if (t->state != LD_TS_NEW && t->state != LD_TS_RETURNED)
		return ticket_refuse_state(c, "it can be transferred only "
		    "before dispatch or after its units returned it");
	assert(!ticket_any_open(t));
	ticket_copy(t->transfer_to, sizeof(t->transfer_to), ev->node);
	t->transfer_dir = (uint8_t)ev->direction;
	return LD_OK;
}

/* transfer.accepted / transfer.refused: the target's answer (the origin
 * was checked in ticket_apply).  Accepted: the target owns the ticket and
 * its returned work orders count as re-routed. */
static int
ticket_on_transfer_answer(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;
	int rc;

	assert(t->transfer_to[0] != '\0');
	if (strcmp(ev->node, t->transfer_to) != 0)
		return ticket_refuse(c, "the pending transfer is to node %s, "
		    "not %s", t->transfer_to, ev->node);
	if (ev->kind == LD_EV_TRANSFER_ACCEPTED) {
		if ((rc = ticket_inc16(c, &t->transfers, "transfers")) != 0)
			return rc;
		ticket_copy(t->owner, sizeof(t->owner), t->transfer_to);
		for (unsigned i = 0; i < t->n_wo; i++)
			if (t->wo[i].state == LD_WO_RETURNED)
				t->wo[i].state = LD_WO_REROUTED;
	}
	memset(t->transfer_to, 0, sizeof(t->transfer_to));
	t->transfer_dir = 0;
	return LD_OK;
}

/* plan.activated: an emergency plan was started (once per ticket). */
static int
ticket_on_plan_activated(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;

	if (t->plan[0] != '\0')
		return ticket_refuse(c, "emergency plan %s is already active "
		    "on this ticket", t->plan);
	if (t->incident[0] != '\0')
		return ticket_refuse(c, "the ticket belongs to incident %s: "
		    "start plans on the incident's lead ticket", t->incident);
	if (c->ev->plan[0] == '\0')
		return ticket_refuse(c, "the plan activated has no id");
	ticket_copy(t->plan, sizeof(t->plan), c->ev->plan);
	return LD_OK;
}

/* attached: a new ticket joins an incident (the lead ticket of a plan):
 * it is not dispatched; its caller gets the incident's result. */
static int
ticket_on_attached(struct ticket_ctx *c)
{
	struct ld_ticket *t = c->t;

	if (t->state != LD_TS_NEW || t->n_wo != 0)
		return ticket_refuse_state(c, "only a new ticket, not yet "
		    "dispatched, can join an incident");
	if (t->incident[0] != '\0')
		return ticket_refuse(c, "the ticket already belongs to "
		    "incident %s", t->incident);
	if (strcmp(c->ev->incident, t->id) == 0 || c->ev->incident[0] == '\0')
		return ticket_refuse(c, "a ticket cannot join itself");
	if (t->plan[0] != '\0')
		return ticket_refuse(c, "the ticket leads an incident itself "
		    "(plan %s)", t->plan);
	ticket_copy(t->incident, sizeof(t->incident), c->ev->incident);
	return LD_OK;
}

/* gov.reported: the city government is told (first report or update). */
static int
ticket_on_gov_reported(struct ticket_ctx *c)
{
	if (c->t->plan[0] == '\0')
		return ticket_refuse(c, "no emergency plan is active on this "
		    "ticket; a report to the government belongs to an incident");
	return ticket_inc16(c, &c->t->gov_reports, "gov_reports");
}

/* announced: the public was told (platform, SMS, web forum). */
static int
ticket_on_announced(struct ticket_ctx *c)
{
	return ticket_inc16(c, &c->t->announcements, "announcements");
}

/* ---- apply ------------------------------------------------------------ */

/*
 * Checks common to every kind on an existing ticket: the id, the owner
 * (or the transfer target for an answer), closed and pending transfer.
 */
static int
ticket_common(struct ticket_ctx *c)
{
	const struct ld_ticket *t = c->t;
	const struct ld_event *ev = c->ev;
	const struct ticket_kind *k = &ticket_kinds[ev->kind];
	bool answer = ev->kind == LD_EV_TRANSFER_ACCEPTED ||
	    ev->kind == LD_EV_TRANSFER_REFUSED;

	assert(t->state != LD_TS_NONE);
	if (ev->kind == LD_EV_TICKET_CREATED)
		return ticket_refuse(c, "the ticket already exists");
	if (strcmp(ev->ticket, t->id) != 0)
		return ticket_refuse(c, "the event concerns ticket '%s'",
		    ev->ticket);
	if (answer) {
		if (t->transfer_to[0] == '\0')
			return ticket_refuse(c, "no transfer is pending; there "
			    "is nothing to %s", ev->kind ==
			    LD_EV_TRANSFER_ACCEPTED ? "accept" : "refuse");
		if (strcmp(ev->origin, t->transfer_to) != 0)
			return ticket_refuse(c, "only node %s, the target of "
			    "the pending transfer, may answer it; this event "
			    "comes from %s", t->transfer_to, ev->origin);
	} else if (strcmp(ev->origin, t->owner) != 0) {
		return ticket_refuse(c, "only the owner node %s may change the "
		    "ticket; this event comes from %s", t->owner, ev->origin);
	}
	if (t->closed && !k->on_closed)
		return ticket_refuse(c, "the ticket is closed; reopen it first");
	if (t->transfer_to[0] != '\0' && !k->on_pending)
		return ticket_refuse(c, "a transfer to node %s is pending; wait "
		    "for %s to accept or refuse it", t->transfer_to,
		    t->transfer_to);
	return LD_OK;
}

int
ticket_apply(struct ld_ticket *t, const struct ld_event *ev, int64_t now,
    struct ld_err *err)
{
	struct ld_ticket work;
	struct ticket_ctx c = { &work, ev, now, err };
	char a[TICKET_TIME_MAX], b[TICKET_TIME_MAX];
	int rc;

	if (t == NULL || ev == NULL)
		return err_set(err, LD_EINVAL, "no ticket or no event");
	if ((unsigned)ev->kind >= LD_EV__COUNT || !event_kinds[ev->kind].ticket)
		return err_set(err, LD_EINVAL, "%s: not a ticket event",
		    event_kind_name(ev->kind));
	assert(ticket_kinds[ev->kind].fn != NULL);
	if ((rc = ticket_event_ok(ev, err)) != 0)
		return rc;
	assert(t->state < LD_TS__COUNT);
	assert(t->state == ticket_derive_state(t));

	work = *t;
	if (now < INT64_MAX - LD_CLOCK_SKEW_MS &&
	    ev->time_ms > now + LD_CLOCK_SKEW_MS) {
		ticket_fmt_time(ev->time_ms, a, sizeof(a));
		ticket_fmt_time(now, b, sizeof(b));
		return ticket_refuse(&c, "event time %s lies in the future "
		    "(now %s; clocks may differ by %d min at most)", a, b,
		    LD_CLOCK_SKEW_MS / 60000);
	}
	if (t->state == LD_TS_NONE) {
		if (ev->kind != LD_EV_TICKET_CREATED)
			return ticket_refuse(&c, "no such ticket; it must be "
			    "created first");
	} else if ((rc = ticket_common(&c)) != 0) {
		return rc;
	}
	if ((rc = ticket_kinds[ev->kind].fn(&c)) != 0) {
		assert(rc == LD_EREFUSED);
		return rc;
	}
	if (work.events == UINT32_MAX)
		return ticket_refuse(&c, "too many events on this ticket");
	work.events++;
	work.updated_ms = ev->time_ms;
	if (ticket_any_open(&work))
		work.completed_ms = 0;
	work.state = (uint8_t)ticket_derive_state(&work);
	if (work.completed_ms == 0 && (work.state == LD_TS_COMPLETED ||
	    work.state == LD_TS_REPORTED || work.state == LD_TS_CALLED_BACK))
		work.completed_ms = ev->time_ms;
	assert(ticket_check(&work, NULL) == 0);
	*t = work;
	return LD_OK;
}

/* ---- derivation and checks ------------------------------------------- */

enum ld_ticket_state
ticket_derive_state(const struct ld_ticket *t)
{
	unsigned n_disp = 0, n_signed = 0, n_done = 0, n_ret = 0, n_live = 0;

	if (t->id[0] == '\0' && t->events == 0)
		return LD_TS_NONE;
	if (t->closed)
		return LD_TS_CLOSED;
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++) {
		switch (t->wo[i].state) {
		case LD_WO_DISPATCHED: n_disp++; n_live++; break;
		case LD_WO_SIGNED: n_signed++; n_live++; break;
		case LD_WO_COMPLETED: n_done++; n_live++; break;
		case LD_WO_RETURNED: n_ret++; n_live++; break;
		default: break;
		}
	}
	if (n_live == 0 && t->incident[0] != '\0' && t->called_back)
		return LD_TS_CALLED_BACK;	/* attached: told, called back */
	if (n_live == 0 && t->incident[0] != '\0' && t->reported)
		return LD_TS_REPORTED;
	if (n_live == 0)
		return LD_TS_NEW;
	if (n_disp > 0 && n_signed == 0 && n_done == 0)
		return LD_TS_DISPATCHED;
	if (n_disp + n_signed > 0)
		return LD_TS_IN_PROGRESS;	/* and some signed or done */
	if (n_ret > 0)
		return LD_TS_RETURNED;
	assert(n_done == n_live);
	if (t->called_back)
		return LD_TS_CALLED_BACK;
	if (t->reported)
		return LD_TS_REPORTED;
	return LD_TS_COMPLETED;
}

/* LD_ECORRUPT with the broken rule. */
#define TICKET_BROKEN(...) err_set(err, LD_ECORRUPT, __VA_ARGS__)

/* Check one work order (number n) on its own. */
static int
ticket_check_wo(const struct ld_ticket *t, unsigned n, struct ld_err *err)
{
	const struct ld_wo *w = &t->wo[n - 1];

	if (w->state == LD_WO_NONE || w->state >= LD_WO__COUNT)
		return TICKET_BROKEN("%s: work order %u has bad state %u",
		    t->id, n, (unsigned)w->state);
	if (!ticket_str_ok(w->unit, sizeof(w->unit)) || w->unit[0] == '\0' ||
	    !ticket_str_ok(w->settled_unit, sizeof(w->settled_unit)))
		return TICKET_BROKEN("%s: work order %u has a bad unit",
		    t->id, n);
	if (w->state == LD_WO_COMPLETED && w->signed_ms == 0)
		return TICKET_BROKEN("%s: invariant (1): work order %u is "
		    "completed but was never signed for", t->id, n);
	if (w->state == LD_WO_COMPLETED && w->completed_ms == 0)
		return TICKET_BROKEN("%s: work order %u is completed without a "
		    "completion time", t->id, n);
	if (w->state == LD_WO_SIGNED && w->signed_ms == 0)
		return TICKET_BROKEN("%s: work order %u is signed without a "
		    "signing time", t->id, n);
	if (w->state == LD_WO_DISPATCHED &&
	    (w->signed_ms != 0 || w->completed_ms != 0))
		return TICKET_BROKEN("%s: work order %u is dispatched but has "
		    "signing or completion times", t->id, n);
	if (w->state == LD_WO_RETURNED && w->returned_ms == 0)
		return TICKET_BROKEN("%s: work order %u is returned without a "
		    "return time", t->id, n);
	if (w->ext_pending && w->state != LD_WO_SIGNED)
		return TICKET_BROKEN("%s: work order %u has an extension "
		    "pending but is not signed for", t->id, n);
	if (!w->ext_pending && w->ext_until_ms != 0)
		return TICKET_BROKEN("%s: work order %u keeps an extension "
		    "time with none pending", t->id, n);
	if (w->replaces != 0 && (w->replaces >= n ||
	    t->wo[w->replaces - 1].state != LD_WO_REROUTED))
		return TICKET_BROKEN("%s: work order %u replaces work order "
		    "%u, which is not an earlier re-routed one", t->id, n,
		    (unsigned)w->replaces);
	if (w->due_done_ms < w->due_sign_ms)
		return TICKET_BROKEN("%s: work order %u is due done before it "
		    "is due signed", t->id, n);
	return LD_OK;
}

int
ticket_check(const struct ld_ticket *t, struct ld_err *err)
{
	enum ld_ticket_state st;
	unsigned n_open = 0;
	int rc;

	if (t == NULL)
		return TICKET_BROKEN("no ticket");
	if (t->state >= LD_TS__COUNT)
		return TICKET_BROKEN("ticket has bad state %u",
		    (unsigned)t->state);
	if (t->n_wo > LD_WO_MAX)
		return TICKET_BROKEN("ticket has %u work orders",
		    (unsigned)t->n_wo);
	if (!ticket_str_ok(t->id, sizeof(t->id)) ||
	    !ticket_str_ok(t->owner, sizeof(t->owner)) ||
	    !ticket_str_ok(t->transfer_to, sizeof(t->transfer_to)) ||
	    !ticket_str_ok(t->caller, sizeof(t->caller)) ||
	    !ticket_str_ok(t->phone, sizeof(t->phone)) ||
	    !ticket_str_ok(t->place, sizeof(t->place)) ||
	    !ticket_str_ok(t->area, sizeof(t->area)) ||
	    !ticket_str_ok(t->category, sizeof(t->category)) ||
	    !ticket_str_ok(t->rule, sizeof(t->rule)) ||
	    !ticket_str_ok(t->plan, sizeof(t->plan)) ||
	    !ticket_str_ok(t->text, sizeof(t->text)))
		return TICKET_BROKEN("ticket has an unterminated string");
	st = ticket_derive_state(t);
	if (t->state != st)
		return TICKET_BROKEN("%s: invariant (5): state is %s but its "
		    "work orders and flags say %s", t->id,
		    ticket_state_name(t->state), ticket_state_name(st));
	if (st == LD_TS_NONE)
		return t->n_wo == 0 && t->owner[0] == '\0' ? LD_OK :
		    TICKET_BROKEN("a ticket not created has content");
	if (ticket_id_parse(t->id, NULL, NULL, NULL) != 0)
		return TICKET_BROKEN("ticket id '%s' is malformed", t->id);
	if (!event_node_id_ok(t->owner))
		return TICKET_BROKEN("%s: owner '%s' is not a node id", t->id,
		    t->owner);
	if (t->urgency < 1 || t->urgency > LD_URGENCY_MAX)
		return TICKET_BROKEN("%s: urgency %u out of range", t->id,
		    (unsigned)t->urgency);
	for (unsigned n = 1; n <= t->n_wo; n++) {
		if ((rc = ticket_check_wo(t, n, err)) != 0)
			return rc;
		if (ticket_wo_open(&t->wo[n - 1]))
			n_open++;
		if (t->closed && t->wo[n - 1].state != LD_WO_COMPLETED &&
		    t->wo[n - 1].state != LD_WO_REROUTED)
			return TICKET_BROKEN("%s: invariant (2): the ticket is "
			    "closed but work order %u is %s", t->id, n,
			    ticket_wo_state_name(t->wo[n - 1].state));
	}
	for (unsigned i = t->n_wo; i < LD_WO_MAX; i++)
		if (t->wo[i].state != LD_WO_NONE)
			return TICKET_BROKEN("%s: work order %u lies beyond the "
			    "%u dispatched", t->id, i + 1, (unsigned)t->n_wo);
	if (t->closed != (t->closed_ms != 0))
		return TICKET_BROKEN("%s: closed flag and closing time "
		    "disagree", t->id);
	if (t->called_back && !t->reported)
		return TICKET_BROKEN("%s: called back but never reported",
		    t->id);
	if (t->reported && st != LD_TS_REPORTED && st != LD_TS_CALLED_BACK &&
	    st != LD_TS_CLOSED)
		return TICKET_BROKEN("%s: reported while %s", t->id,
		    ticket_state_name(st));
	if (t->completed_ms != 0 && n_open > 0)
		return TICKET_BROKEN("%s: completion time set with %u work "
		    "orders open", t->id, n_open);
	if (t->completed_ms == 0 && (st == LD_TS_COMPLETED ||
	    st == LD_TS_REPORTED || st == LD_TS_CALLED_BACK))
		return TICKET_BROKEN("%s: %s without a completion time", t->id,
		    ticket_state_name(st));
	if (t->transfer_to[0] != '\0') {
		if (!event_node_id_ok(t->transfer_to) ||
		    strcmp(t->transfer_to, t->owner) == 0 ||
		    t->transfer_dir < LD_DIR_UP || t->transfer_dir > LD_DIR_DOWN)
			return TICKET_BROKEN("%s: bad pending transfer to '%s'",
			    t->id, t->transfer_to);
		if (st != LD_TS_NEW && st != LD_TS_RETURNED)
			return TICKET_BROKEN("%s: transfer pending while %s",
			    t->id, ticket_state_name(st));
	} else if (t->transfer_dir != 0) {
		return TICKET_BROKEN("%s: transfer direction without a "
		    "transfer", t->id);
	}
	return LD_OK;
}

/* ---- ticket ids ------------------------------------------------------- */

int
ticket_id_format(char *buf, size_t cap, const char *node, int year,
    uint64_t n)
{
	char tmp[64];
	int len;

	if (buf == NULL || node == NULL || !event_node_id_ok(node) ||
	    year < 1000 || year > 9999)
		return LD_EINVAL;
	len = snprintf(tmp, sizeof(tmp), "%s-%04d-%06" PRIu64, node, year, n);
	assert(len > 0 && (size_t)len < sizeof(tmp));
	if (len > LD_TICKET_MAX || (size_t)len >= cap)
		return LD_ELIMIT;
	memcpy(buf, tmp, (size_t)len + 1);
	return LD_OK;
}

int
ticket_id_parse(const char *id, char *node, int *year, uint64_t *n)
{
	const char *p, *dash;
	size_t nl, nd;
	uint64_t v = 0;
	int y = 0;
	char nb[LD_NODE_MAX + 1];

	if (id == NULL || strnlen(id, LD_TICKET_MAX + 1) > LD_TICKET_MAX)
		return LD_EINVAL;
	dash = strchr(id, '-');
	if (dash == NULL)
		return LD_EINVAL;
	nl = (size_t)(dash - id);
	if (nl < 1 || nl > LD_NODE_MAX)
		return LD_EINVAL;
	memcpy(nb, id, nl);
	nb[nl] = '\0';
	if (!event_node_id_ok(nb))
		return LD_EINVAL;
	p = dash + 1;
	for (int i = 0; i < 4; i++, p++) {
		if (*p < '0' || *p > '9')
			return LD_EINVAL;
		y = y * 10 + (*p - '0');
	}
	if (y < 1000 || *p != '-')
		return LD_EINVAL;
	p++;
	nd = strlen(p);
	if (nd < 6 || (nd > 6 && p[0] == '0'))
		return LD_EINVAL;	/* too short, or not canonical */
	for (size_t i = 0; i < nd; i++) {
		if (p[i] < '0' || p[i] > '9')
			return LD_EINVAL;
		v = v * 10 + (uint64_t)(p[i] - '0');	/* <= 16 digits */
	}
	assert(nd <= LD_TICKET_MAX - 7);
	if (node != NULL)
		memcpy(node, nb, nl + 1);
	if (year != NULL)
		*year = y;
	if (n != NULL)
		*n = v;
	return LD_OK;
}
