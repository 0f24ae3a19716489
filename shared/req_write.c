/*
 * req_write.c - the result shapes of docs/protocol.md §6 (VIEW, WO,
 * SUMMARY, QUEUE_ITEM, EVENT), written with the proto_w_* writer.
 *
 * Every map is written with its exact entry count, so each writer below
 * declares the count next to the keys it writes; a key added to one must
 * raise the other.  Times are UTC ms as uint, nil when 0 (not set).
 *
 * A unit caller sees only its own work orders: in a VIEW's work_orders,
 * a SUMMARY's units, and in what is derived from work orders (overdue,
 * next_due), which are computed over the work orders it can see.  The
 * office (operators, administrators, c == NULL) sees them all.
 */
#include "req.h"

#include <string.h>

/* ---- small helpers ----------------------------------------------------- */

/* A time: uint ms, or nil when unset (0; negative never happens). */
static void
w_time(struct ld_pw *w, int64_t ms)
{
	if (ms > 0)
		proto_w_uint(w, (uint64_t)ms);
	else
		proto_w_nil(w);
}

/* A string that may be empty: nil when it is. */
static void
w_opt_str(struct ld_pw *w, const char *s)
{
	proto_w_str(w, s[0] != '\0' ? s : NULL);
}

/* An enum value of field f (1-based), nil when 0 (never set). */
static void
w_opt_enum(struct ld_pw *w, enum ld_field f, uint32_t v)
{
	proto_w_str(w, v != 0 ? event_enum_name(f, v) : NULL);
}

/* Key then value, the common case. */
static void
kv_str(struct ld_pw *w, const char *k, const char *v)
{
	proto_w_str(w, k);
	proto_w_str(w, v);
}

static void
kv_uint(struct ld_pw *w, const char *k, uint64_t v)
{
	proto_w_str(w, k);
	proto_w_uint(w, v);
}

static void
kv_time(struct ld_pw *w, const char *k, int64_t ms)
{
	proto_w_str(w, k);
	w_time(w, ms);
}

/* The unit id a unit caller is limited to; NULL for everyone else (sees
 * every work order).  A unit caller with a bad unit index sees none: "". */
static const char *
own_unit(const struct ld_topo *top, const struct ld_caller *c)
{
	if (c == NULL || c->role != LD_ROLE_UNIT)
		return NULL;
	if (top == NULL || c->unit < 0 || c->unit >= top->n_units)
		return "";
	return top->units[c->unit].id;
}

/* May the caller limited to unit (NULL: no limit) see work order w? */
static bool
wo_visible(const char *unit, const struct ld_wo *w)
{
	return unit == NULL || (unit[0] != '\0' && strcmp(w->unit, unit) == 0);
}

/* Has open work order w missed a deadline at now?  To sign for while
 * DISPATCHED, to complete while open.  A pending extension does not move
 * the deadline: only a granted one does (it rewrites due_done). */
static bool
wo_late(const struct ld_wo *w, int64_t now)
{
	if (!ticket_wo_open(w))
		return false;
	if (w->state == LD_WO_DISPATCHED && w->due_sign_ms > 0 &&
	    now > w->due_sign_ms)
		return true;
	return w->due_done_ms > 0 && now > w->due_done_ms;
}

/* The soonest deadline of open work order w (0: none). */
static int64_t
wo_next_due(const struct ld_wo *w)
{
	int64_t due = w->due_done_ms;

	if (!ticket_wo_open(w))
		return 0;
	if (w->state == LD_WO_DISPATCHED && w->due_sign_ms > 0 &&
	    (due <= 0 || w->due_sign_ms < due))
		due = w->due_sign_ms;
	return due > 0 ? due : 0;
}

/* Overdue over the work orders visible to unit (NULL: all). */
static bool
overdue_for(const struct ld_ticket *t, const char *unit, int64_t now)
{
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (wo_visible(unit, &t->wo[i]) && wo_late(&t->wo[i], now))
			return true;
	return false;
}

/* The soonest open deadline over the work orders visible to unit. */
static int64_t
next_due_for(const struct ld_ticket *t, const char *unit)
{
	int64_t best = 0, d;

	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++) {
		if (!wo_visible(unit, &t->wo[i]))
			continue;
		d = wo_next_due(&t->wo[i]);
		if (d > 0 && (best == 0 || d < best))
			best = d;
	}
	return best;
}

bool
req_overdue(const struct ld_ticket *t, int64_t now)
{
	return overdue_for(t, NULL, now);
}

/* ---- WO and VIEW --------------------------------------------------------- */

#define WO_KEYS 15

/* One work order (number no, 1-based). */
static void
write_wo(struct ld_pw *w, const struct ld_wo *o, unsigned no)
{
	proto_w_map(w, WO_KEYS);
	kv_uint(w, "wo", no);					/* 1 */
	kv_str(w, "unit", o->unit);
	kv_str(w, "state", ticket_wo_state_name((enum ld_wo_state)o->state));
	proto_w_str(w, "replaces");
	if (o->replaces != 0)
		proto_w_uint(w, o->replaces);
	else
		proto_w_nil(w);
	kv_time(w, "dispatched", o->dispatched_ms);		/* 5 */
	kv_time(w, "due_sign", o->due_sign_ms);
	kv_time(w, "due_done", o->due_done_ms);
	kv_time(w, "signed", o->signed_ms);
	kv_time(w, "completed", o->completed_ms);
	kv_time(w, "returned", o->returned_ms);		/* 10 */
	kv_time(w, "ext_until", o->ext_pending ? o->ext_until_ms : 0);
	kv_uint(w, "urges", o->urges);
	kv_uint(w, "supervisions", o->supervisions);
	kv_uint(w, "extensions", o->extensions);
	proto_w_str(w, "settled_unit");				/* 15 */
	w_opt_str(w, o->settled_unit);
}

/* The work orders unit (NULL: all) may see, in number order. */
static void
write_wos(struct ld_pw *w, const struct ld_ticket *t, const char *unit)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		n += wo_visible(unit, &t->wo[i]);
	proto_w_array(w, n);
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (wo_visible(unit, &t->wo[i]))
			write_wo(w, &t->wo[i], i + 1);
}

#define VIEW_KEYS 27

void
req_write_view(struct ld_pw *w, const struct ld_topo *top,
    const struct ld_caller *c, const struct ld_ticket *t, int64_t now)
{
	const char *unit = own_unit(top, c);

	proto_w_map(w, VIEW_KEYS);
	kv_str(w, "id", t->id);					/* 1 */
	kv_str(w, "owner", t->owner);
	kv_str(w, "state", ticket_state_name((enum ld_ticket_state)t->state));
	kv_time(w, "created", t->created_ms);
	kv_time(w, "updated", t->updated_ms);			/* 5 */
	kv_time(w, "completed", t->completed_ms);
	kv_time(w, "closed", t->closed ? t->closed_ms : 0);
	kv_str(w, "caller", t->caller);
	kv_str(w, "phone", t->phone);
	kv_str(w, "place", t->place);				/* 10 */
	kv_str(w, "area", t->area);
	kv_str(w, "category", t->category);
	kv_str(w, "text", t->text);
	kv_uint(w, "urgency", t->urgency);
	kv_str(w, "rule", t->rule);				/* 15 */
	proto_w_str(w, "plan");
	w_opt_str(w, t->plan);
	proto_w_str(w, "incident");
	w_opt_str(w, t->incident);
	kv_uint(w, "gov_reports", t->gov_reports);
	proto_w_str(w, "reported");
	proto_w_bool(w, t->reported != 0);
	proto_w_str(w, "called_back");
	proto_w_bool(w, t->called_back != 0);
	proto_w_str(w, "satisfaction");
	w_opt_enum(w, LD_F_SATISFACTION, t->satisfaction);
	proto_w_str(w, "method");				/* 20 */
	w_opt_enum(w, LD_F_METHOD, t->method);
	kv_uint(w, "reopens", t->reopens);
	kv_uint(w, "callbacks", t->callbacks);
	proto_w_str(w, "transfer_to");
	w_opt_str(w, t->transfer_to);
	proto_w_str(w, "overdue");
	proto_w_bool(w, overdue_for(t, unit, now));
	proto_w_str(w, "work_orders");				/* 25 */
	write_wos(w, t, unit);
}

/* ---- SUMMARY and QUEUE_ITEM -------------------------------------------- */

/* Is work order i the first open one of its unit that unit may see?
 * (a unit with two open work orders is listed once) */
static bool
summary_lists(const struct ld_ticket *t, unsigned i, const char *unit)
{
	const struct ld_wo *o = &t->wo[i];

	if (!ticket_wo_open(o) || !wo_visible(unit, o))
		return false;
	for (unsigned j = 0; j < i; j++)
		if (ticket_wo_open(&t->wo[j]) &&
		    strcmp(t->wo[j].unit, o->unit) == 0)
			return false;
	return true;
}

/* The units of the open work orders unit may see, each once. */
static void
write_open_units(struct ld_pw *w, const struct ld_ticket *t, const char *unit)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		n += summary_lists(t, i, unit);
	proto_w_array(w, n);
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (summary_lists(t, i, unit))
			proto_w_str(w, t->wo[i].unit);
}

#define SUMMARY_KEYS 12

void
req_write_summary(struct ld_pw *w, const struct ld_topo *top,
    const struct ld_caller *c, const struct ld_ticket *t, int64_t now)
{
	const char *unit = own_unit(top, c);

	proto_w_map(w, SUMMARY_KEYS);
	kv_str(w, "id", t->id);					/* 1 */
	kv_str(w, "state", ticket_state_name((enum ld_ticket_state)t->state));
	kv_time(w, "created", t->created_ms);
	kv_time(w, "updated", t->updated_ms);
	kv_str(w, "area", t->area);				/* 5 */
	kv_str(w, "category", t->category);
	kv_uint(w, "urgency", t->urgency);
	kv_str(w, "place", t->place);
	kv_str(w, "phone", t->phone);
	proto_w_str(w, "units");				/* 10 */
	write_open_units(w, t, unit);
	proto_w_str(w, "overdue");
	proto_w_bool(w, overdue_for(t, unit, now));
	kv_time(w, "next_due", next_due_for(t, unit));		/* 12 */
}

#define QUEUE_ITEM_KEYS 12

void
req_write_queue_item(struct ld_pw *w, const struct ld_ticket *t, uint32_t wo)
{
	static const struct ld_wo none;
	const struct ld_wo *o = wo >= 1 && wo <= t->n_wo && wo <= LD_WO_MAX ?
	    &t->wo[wo - 1] : &none;

	proto_w_map(w, QUEUE_ITEM_KEYS);
	kv_str(w, "ticket", t->id);				/* 1 */
	kv_uint(w, "wo", wo);
	kv_str(w, "state", ticket_wo_state_name((enum ld_wo_state)o->state));
	kv_time(w, "due_sign", o->due_sign_ms);
	kv_time(w, "due_done", o->due_done_ms);			/* 5 */
	kv_uint(w, "urgency", t->urgency);
	kv_str(w, "category", t->category);
	kv_str(w, "area", t->area);
	kv_str(w, "place", t->place);
	kv_str(w, "text", t->text);				/* 10 */
	/* the pressure on the unit: urged, put under supervision */
	kv_uint(w, "urges", o->urges);
	kv_uint(w, "supervisions", o->supervisions);
}

/* ---- EVENT --------------------------------------------------------------- */

/* The value of present field f of ev, typed by the schema (as the event
 * codec encodes it: docs/events.md §5). */
static void
write_field(struct ld_pw *w, const struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *p = (const char *)ev + d->offset;
	uint32_t u;
	int64_t t;
	bool b;

	switch (d->type) {
	case LD_T_STR:
		proto_w_str(w, p);
		return;
	case LD_T_UINT:
		memcpy(&u, p, sizeof(u));
		proto_w_uint(w, u);
		return;
	case LD_T_TIME:
		memcpy(&t, p, sizeof(t));
		proto_w_uint(w, t > 0 ? (uint64_t)t : 0);
		return;
	case LD_T_BOOL:
		memcpy(&b, p, sizeof(b));
		proto_w_bool(w, b);
		return;
	case LD_T_ENUM:
		memcpy(&u, p, sizeof(u));
		proto_w_str(w, event_enum_name((enum ld_field)f, u));
		return;
	case LD_T_STRARR:
		proto_w_array(w, ev->n_units);
		for (uint32_t i = 0; i < ev->n_units && i < LD_UNITS_MAX; i++)
			proto_w_str(w, ev->units[i]);
		return;
	}
	proto_w_nil(w);		/* unreachable: every type is handled */
}

#define EVENT_KEYS 6

void
req_write_event(struct ld_pw *w, const struct ld_event *ev)
{
	uint32_t present = ev->present & ((1u << LD_F__COUNT) - 1);

	proto_w_map(w, EVENT_KEYS);
	kv_str(w, "origin", ev->origin);
	kv_uint(w, "seq", ev->seq);
	kv_uint(w, "time", ev->time_ms > 0 ? (uint64_t)ev->time_ms : 0);
	kv_str(w, "actor", ev->actor);
	kv_str(w, "kind", event_kind_name(ev->kind));
	proto_w_str(w, "body");
	proto_w_map(w, (uint32_t)__builtin_popcount(present));
	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!(present >> f & 1u))
			continue;
		proto_w_str(w, event_fields[f].name);
		write_field(w, ev, f);
	}
}
