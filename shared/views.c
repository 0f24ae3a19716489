/* views.c - index keys of a ticket view, counter deltas of an event. */
#include "views.h"
#include "ltime.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const views_index_names[LD_IX__COUNT] = {
	[LD_IX_STATE] = "by_state",
	[LD_IX_UNIT] = "by_unit",
	[LD_IX_DUE] = "by_due",
	[LD_IX_DAY] = "by_day",
	[LD_IX_PHONE] = "by_phone",
	[LD_IX_DONE] = "by_done",
	[LD_IX_INCIDENT] = "by_incident",
	[LD_IX_PLAN] = "by_plan",
};

/* Append string s with its NUL to key k at *n. */
static void
views_key_str(struct ld_ikey *k, const char *s)
{
	size_t n = strlen(s) + 1;

	assert(k->len + n <= LD_IKEY_MAX);
	memcpy(k->k + k->len, s, n);
	k->len = (uint8_t)(k->len + n);
}

static void
views_key_u64(struct ld_ikey *k, uint64_t v)
{
	assert(k->len + 8 <= LD_IKEY_MAX);
	views_put_u64(k->k + k->len, v);
	k->len = (uint8_t)(k->len + 8);
}

static void
views_key_u8(struct ld_ikey *k, uint8_t v)
{
	assert(k->len + 1 <= LD_IKEY_MAX);
	k->k[k->len++] = v;
}

static uint64_t
views_due(int64_t ms)
{
	return ms < 0 ? 0 : (uint64_t)ms;
}

size_t
views_index_keys(const struct ld_ticket *t, struct ld_ikey *out, size_t cap)
{
	size_t n = 0;
	struct ld_ikey *k;

	assert(cap >= LD_IKEYS_MAX);
	if (t->state == LD_TS_NONE)
		return 0;

	if (ticket_state_open(t->state)) {	/* the only ones looked up */
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_STATE;
		views_key_u8(k, t->state);
		views_key_str(k, t->id);
	}

	k = &out[n++];
	memset(k, 0, sizeof(*k));
	k->ix = LD_IX_DAY;
	views_put_u32(k->k, ltime_day(t->created_ms));
	k->len = 4;
	views_key_str(k, t->id);

	if (t->phone[0] != '\0') {
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_PHONE;
		views_key_str(k, t->phone);
		views_key_str(k, t->id);
	}

	if (t->plan[0] != '\0' && (t->state == LD_TS_NEW ||
	    t->state == LD_TS_DISPATCHED || t->state == LD_TS_IN_PROGRESS ||
	    t->state == LD_TS_RETURNED || t->state == LD_TS_COMPLETED)) {
		/* an open incident, by area: further calls are offered it */
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_PLAN;
		views_key_str(k, t->area);
		views_key_str(k, t->id);
	}
	if (t->incident[0] != '\0') {
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_INCIDENT;
		views_key_str(k, t->incident);
		views_key_str(k, t->id);
	}

	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++) {
		const struct ld_wo *w = &t->wo[i];

		if (w->state == LD_WO_COMPLETED) {
			k = &out[n++];
			memset(k, 0, sizeof(*k));
			k->ix = LD_IX_DONE;
			views_put_u32(k->k, ltime_day(w->completed_ms));
			k->len = 4;
			views_key_str(k, w->unit);
			views_key_str(k, t->id);
			views_key_u8(k, (uint8_t)(i + 1));
		}
		if (!ticket_wo_open(w))
			continue;
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_UNIT;
		views_key_str(k, w->unit);
		/* the soonest deadline the unit has to meet: to sign for
		 * (while unsigned, if sooner), else to complete */
		views_key_u64(k, views_due(w->state == LD_WO_DISPATCHED &&
		    w->due_sign_ms < w->due_done_ms ? w->due_sign_ms :
		    w->due_done_ms));
		views_key_str(k, t->id);
		views_key_u8(k, (uint8_t)(i + 1));

		if (w->state == LD_WO_DISPATCHED) {
			k = &out[n++];
			memset(k, 0, sizeof(*k));
			k->ix = LD_IX_DUE;
			views_key_u64(k, views_due(w->due_sign_ms));
			views_key_str(k, t->id);
			views_key_u8(k, (uint8_t)(i + 1));
			views_key_u8(k, 1);
		}
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_DUE;
		views_key_u64(k, views_due(w->due_done_ms));
		views_key_str(k, t->id);
		views_key_u8(k, (uint8_t)(i + 1));
		views_key_u8(k, 2);
	}
	assert(n <= cap);
	return n;
}

void
views_counter_deltas(const struct ld_event *ev, const struct ld_ticket *before,
    const struct ld_ticket *after, int32_t *d)
{
	switch (ev->kind) {
	case LD_EV_CALL_RECEIVED: d[LD_C_CALLS_IN]++; break;
	case LD_EV_CALL_ANSWERED: d[LD_C_ANSWERED]++; break;
	case LD_EV_CALL_CLASSIFIED:
		if (!ev->valid)
			break;
		d[LD_C_VALID]++;
		switch (ev->call_class) {
		case LD_CLASS_POLICE: d[LD_C_POLICE]++; break;
		case LD_CLASS_FIRE: d[LD_C_FIRE]++; break;
		case LD_CLASS_MEDICAL: d[LD_C_MEDICAL]++; break;
		case LD_CLASS_LINKAGE: d[LD_C_LINKAGE]++; break;
		default: break;
		}
		break;
	case LD_EV_TICKET_CREATED: d[LD_C_TICKETS]++; break;
	case LD_EV_DISPATCHED: d[LD_C_WO_DISPATCHED]++; break;
	case LD_EV_SIGNED: d[LD_C_WO_SIGNED]++; break;
	case LD_EV_RETURNED: d[LD_C_WO_RETURNED]++; break;
	case LD_EV_COMPLETED: d[LD_C_WO_COMPLETED]++; break;
	case LD_EV_REPORTED: d[LD_C_REPORTED]++; break;
	case LD_EV_CALLBACK:
		d[LD_C_CALLBACKS]++;
		if (ev->satisfaction == LD_SAT_SATISFIED)
			d[LD_C_SATISFIED]++;
		else if (ev->satisfaction == LD_SAT_BASIC)
			d[LD_C_BASIC]++;
		else
			d[LD_C_UNSATISFIED]++;
		break;
	case LD_EV_REOPENED: d[LD_C_REOPENED]++; break;
	case LD_EV_CLOSED: d[LD_C_CLOSED]++; break;
	case LD_EV_URGED: d[LD_C_URGED]++; break;
	case LD_EV_SUPERVISED: d[LD_C_SUPERVISED]++; break;
	case LD_EV_EXT_REQUESTED: d[LD_C_EXT_REQUESTED]++; break;
	case LD_EV_EXT_GRANTED: d[LD_C_EXT_GRANTED]++; break;
	case LD_EV_EXT_REFUSED: d[LD_C_EXT_REFUSED]++; break;
	case LD_EV_TRANSFER_ACCEPTED: d[LD_C_TRANSFERS]++; break;
	case LD_EV_PLAN_ACTIVATED: d[LD_C_PLANS]++; break;
	case LD_EV_ANNOUNCED: d[LD_C_ANNOUNCEMENTS]++; break;
	case LD_EV_RULED: d[LD_C_RULED]++; break;
	case LD_EV_ATTACHED: d[LD_C_ATTACHED]++; break;
	default: break;
	}
	/* A ticket counts as completed when it enters COMPLETED, whatever
	 * the event: its last open work order done, or a transfer re-routed
	 * the returned ones.  (One work order done while another waits for
	 * re-routing is RETURNED, not complete; a ticket closed from NEW
	 * never was complete.) */
	if (after != NULL && before != NULL && before->state != LD_TS_COMPLETED &&
	    after->state == LD_TS_COMPLETED)
		d[LD_C_COMPLETED]++;
	/* An incident closes when its lead (a ticket with a plan) is
	 * reported: incident.close is the only way (ticket.report refuses a
	 * lead).  Its time to close runs from the first call. */
	if (ev->kind == LD_EV_REPORTED && after != NULL && before != NULL &&
	    after->plan[0] != '\0' && before->state == LD_TS_COMPLETED &&
	    after->state == LD_TS_REPORTED) {
		int64_t min = (ev->time_ms - after->created_ms) / 60000;

		d[LD_C_INC_CLOSED]++;
		d[LD_C_INC_MINUTES] += (int32_t)(min < 0 ? 0 : min > INT32_MAX ?
		    INT32_MAX : min);
	}
}

/* Done: the office has nothing left to do but tell and call back. */
static bool
views_done(const struct ld_ticket *t)
{
	return t->state == LD_TS_COMPLETED || t->state == LD_TS_REPORTED ||
	    t->state == LD_TS_CALLED_BACK || t->state == LD_TS_CLOSED;
}

int
views_done_delta(const struct ld_ticket *before, const struct ld_ticket *after)
{
	bool b = before != NULL && views_done(before);
	bool a = after != NULL && views_done(after);

	return a == b ? 0 : a ? 1 : -1;
}

void
views_count_node(const struct ld_event *ev, char *buf)
{
	/* the node part of the ticket id; a call's (or a malformed id's)
	 * origin */
	if (ev->ticket[0] == '\0' ||
	    ticket_id_parse(ev->ticket, buf, NULL, NULL) != 0)
		snprintf(buf, LD_NODE_MAX + 1, "%s", ev->origin);
}

static uint32_t
views_month(int64_t ms)
{
	return ltime_day(ms) / 100;
}

static size_t
views_ud(struct ld_udelta *out, size_t n, size_t cap, const struct ld_wo *w,
    enum ld_ucounter c, int32_t d)
{
	assert(n < cap);
	out[n].month = views_month(w->dispatched_ms);
	out[n].unit = w->unit;
	out[n].counter = (uint8_t)c;
	out[n].d = d;
	return n + 1;
}

/* The work order ev names, in the ticket before and after, if it is one. */
static bool
views_wo(const struct ld_event *ev, const struct ld_ticket *before,
    const struct ld_ticket *after, const struct ld_wo **wb,
    const struct ld_wo **wa)
{
	if (!event_has(ev, LD_F_WO) || ev->wo < 1 || ev->wo > LD_WO_MAX ||
	    ev->wo > after->n_wo)
		return false;
	*wa = &after->wo[ev->wo - 1];
	*wb = &before->wo[ev->wo - 1];
	return true;
}

size_t
views_unit_deltas(const struct ld_event *ev, const struct ld_ticket *before,
    const struct ld_ticket *after, struct ld_udelta *out, size_t cap)
{
	const struct ld_wo *wb = NULL, *wa = NULL;
	size_t n = 0;

	assert(cap >= LD_UDELTAS_MAX);
	switch (ev->kind) {
	case LD_EV_DISPATCHED:
		if (views_wo(ev, before, after, &wb, &wa))
			n = views_ud(out, n, cap, wa, LD_U_RECEIVED, 1);
		break;
	case LD_EV_SIGNED:
		if (views_wo(ev, before, after, &wb, &wa) &&
		    ev->time_ms <= wb->due_sign_ms)
			n = views_ud(out, n, cap, wa, LD_U_SIGNED_ON_TIME, 1);
		break;
	case LD_EV_COMPLETED:
		if (!views_wo(ev, before, after, &wb, &wa))
			break;
		n = views_ud(out, n, cap, wa, LD_U_COMPLETED, 1);
		if (ev->time_ms <= wb->due_done_ms)
			n = views_ud(out, n, cap, wa, LD_U_COMPLETED_ON_TIME, 1);
		break;
	case LD_EV_RETURNED:
		if (views_wo(ev, before, after, &wb, &wa))
			n = views_ud(out, n, cap, wa, LD_U_RETURNED, 1);
		break;
	case LD_EV_RULED:
		if (!views_wo(ev, before, after, &wb, &wa))
			break;
		n = views_ud(out, n, cap, wa, LD_U_SENT_BACK, 1);
		/* it is to be signed for again: a signature in time before
		 * the return no longer counts (the new one will) */
		if (wb->signed_ms != 0 && wb->signed_ms <= wb->due_sign_ms)
			n = views_ud(out, n, cap, wb, LD_U_SIGNED_ON_TIME, -1);
		break;
	case LD_EV_EXT_GRANTED:
		if (views_wo(ev, before, after, &wb, &wa))
			n = views_ud(out, n, cap, wa, LD_U_EXTENDED, 1);
		break;
	case LD_EV_URGED:
		if (views_wo(ev, before, after, &wb, &wa))
			n = views_ud(out, n, cap, wa, LD_U_URGED, 1);
		break;
	case LD_EV_SUPERVISED:
		if (views_wo(ev, before, after, &wb, &wa))
			n = views_ud(out, n, cap, wa, LD_U_SUPERVISED, 1);
		break;
	case LD_EV_REOPENED:
		/* completed work orders go back to their units: received
		 * again now, no longer completed in their first month */
		for (unsigned i = 0; i < before->n_wo && i < LD_WO_MAX; i++) {
			wb = &before->wo[i];
			wa = &after->wo[i];
			if (wb->state != LD_WO_COMPLETED ||
			    wa->state != LD_WO_DISPATCHED)
				continue;
			n = views_ud(out, n, cap, wb, LD_U_COMPLETED, -1);
			if (wb->completed_ms <= wb->due_done_ms)
				n = views_ud(out, n, cap, wb,
				    LD_U_COMPLETED_ON_TIME, -1);
			n = views_ud(out, n, cap, wa, LD_U_RECEIVED, 1);
		}
		break;
	case LD_EV_CALLBACK: {
		enum ld_ucounter sat = ev->satisfaction == LD_SAT_SATISFIED ?
		    LD_U_SATISFIED : ev->satisfaction == LD_SAT_BASIC ?
		    LD_U_BASIC : LD_U_UNSATISFIED;

		/* each unit that completed a work order of the ticket, once,
		 * in the month of its first such work order */
		for (unsigned i = 0; i < after->n_wo && i < LD_WO_MAX; i++) {
			bool seen = false;

			wa = &after->wo[i];
			if (wa->state != LD_WO_COMPLETED)
				continue;
			for (unsigned j = 0; j < i && !seen; j++)
				seen = after->wo[j].state == LD_WO_COMPLETED &&
				    strcmp(after->wo[j].unit, wa->unit) == 0;
			if (seen)
				continue;
			n = views_ud(out, n, cap, wa, LD_U_CALLBACKS, 1);
			n = views_ud(out, n, cap, wa, sat, 1);
		}
		break;
	}
	default:
		break;
	}
	return n;
}

bool
views_key_ticket(const uint8_t *key, size_t len, char *ticket)
{
	const char *k = (const char *)key;
	size_t il = strnlen(k, len);

	if (il + 2 > len || len - il - 2 > LD_TICKET_MAX ||
	    key[len - 1] != '\0' || len - il - 2 == 0)
		return false;
	memcpy(ticket, k + il + 1, len - il - 2);
	ticket[len - il - 2] = '\0';
	return true;
}
