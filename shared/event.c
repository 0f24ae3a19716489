/* event.c - the event schema (kinds and fields) and small helpers. */
#include "event.h"
#include "err.h"

#include <string.h>

#define B(f) (1u << LD_F_##f)
#define OFF(m) offsetof(struct ld_event, m)

static const char *const class_names[] = { "police", "fire", "medical",
	"linkage", NULL };
static const char *const method_names[] = { "sms", "phone", "visit", NULL };
static const char *const sat_names[] = { "satisfied", "basic", "unsatisfied",
	NULL };
static const char *const dir_names[] = { "up", "down", NULL };

const struct ld_field_def event_fields[LD_F__COUNT] = {
	[LD_F_CALL] = { "call", LD_T_STR, OFF(call), LD_ID_MAX, 0, NULL },
	[LD_F_CALLER] = { "caller", LD_T_STR, OFF(caller), LD_NAME_MAX, 0, NULL },
	[LD_F_PHONE] = { "phone", LD_T_STR, OFF(phone), LD_PHONE_MAX, 0, NULL },
	[LD_F_PLACE] = { "place", LD_T_STR, OFF(place), LD_PLACE_MAX, 0, NULL },
	[LD_F_AREA] = { "area", LD_T_STR, OFF(area), LD_ID_MAX, 0, NULL },
	[LD_F_TEXT] = { "text", LD_T_STR, OFF(text), LD_TEXT_MAX, 0, NULL },
	[LD_F_CATEGORY] = { "category", LD_T_STR, OFF(category), LD_ID_MAX, 0,
	    NULL },
	[LD_F_URGENCY] = { "urgency", LD_T_UINT, OFF(urgency), LD_URGENCY_MAX,
	    1, NULL },
	[LD_F_CLASS] = { "class", LD_T_ENUM, OFF(call_class), 4, 1,
	    class_names },
	[LD_F_VALID] = { "valid", LD_T_BOOL, OFF(valid), 0, 0, NULL },
	[LD_F_RULE] = { "rule", LD_T_STR, OFF(rule), LD_RULE_MAX, 0, NULL },
	[LD_F_UNITS] = { "units", LD_T_STRARR, OFF(units), LD_ID_MAX, 0, NULL },
	[LD_F_WO] = { "wo", LD_T_UINT, OFF(wo), LD_WO_MAX, 1, NULL },
	[LD_F_UNIT] = { "unit", LD_T_STR, OFF(unit), LD_ID_MAX, 0, NULL },
	[LD_F_REPLACES] = { "replaces", LD_T_UINT, OFF(replaces), LD_WO_MAX, 1,
	    NULL },
	[LD_F_DUE_SIGN] = { "due_sign", LD_T_TIME, OFF(due_sign_ms), 0, 0, NULL },
	[LD_F_DUE_DONE] = { "due_done", LD_T_TIME, OFF(due_done_ms), 0, 0, NULL },
	[LD_F_UNTIL] = { "until", LD_T_TIME, OFF(until_ms), 0, 0, NULL },
	[LD_F_REASON] = { "reason", LD_T_STR, OFF(reason), LD_NOTE_MAX, 0, NULL },
	[LD_F_NOTE] = { "note", LD_T_STR, OFF(note), LD_NOTE_MAX, 0, NULL },
	[LD_F_RESULT] = { "result", LD_T_STR, OFF(result), LD_NOTE_MAX, 0, NULL },
	[LD_F_METHOD] = { "method", LD_T_ENUM, OFF(method), 3, 1, method_names },
	[LD_F_SATISFACTION] = { "satisfaction", LD_T_ENUM, OFF(satisfaction), 3,
	    1, sat_names },
	[LD_F_NODE] = { "node", LD_T_STR, OFF(node), LD_NODE_MAX, 0, NULL },
	[LD_F_DIRECTION] = { "direction", LD_T_ENUM, OFF(direction), 2, 1,
	    dir_names },
	[LD_F_PLAN] = { "plan", LD_T_STR, OFF(plan), LD_ID_MAX, 0, NULL },
	[LD_F_GOV] = { "gov", LD_T_BOOL, OFF(gov), 0, 0, NULL },
	[LD_F_CHANNEL] = { "channel", LD_T_STR, OFF(channel), LD_ID_MAX, 0,
	    NULL },
	[LD_F_INCIDENT] = { "incident", LD_T_STR, OFF(incident), LD_TICKET_MAX,
	    0, NULL },
	[LD_F_ANSWERED] = { "answered", LD_T_BOOL, OFF(answered), 0, 0, NULL },
};

const struct ld_kind_def event_kinds[LD_EV__COUNT] = {
	[LD_EV_NONE] = { "none", false, 0, 0, "no event" },
	[LD_EV_CALL_RECEIVED] = { "call.received", false, B(CALL) | B(PHONE), 0,
	    "a call came in" },
	[LD_EV_CALL_ANSWERED] = { "call.answered", false, B(CALL), 0,
	    "an operator answered the call" },
	[LD_EV_CALL_CLASSIFIED] = { "call.classified", false, B(CALL) | B(VALID),
	    B(CLASS), "the call was judged valid or not, and classified" },
	[LD_EV_TICKET_CREATED] = { "ticket.created", true,
	    B(PHONE) | B(PLACE) | B(AREA) | B(TEXT) | B(CATEGORY) | B(URGENCY),
	    B(CALLER) | B(CALL), "an operator recorded a linkage request" },
	[LD_EV_ROUTED] = { "routed", true, B(RULE) | B(UNITS),
	    B(CATEGORY) | B(AREA) | B(NODE),
	    "the routing rules chose the responsible units" },
	[LD_EV_DISPATCHED] = { "dispatched", true,
	    B(WO) | B(UNIT) | B(DUE_SIGN) | B(DUE_DONE), B(REPLACES) | B(NOTE),
	    "a work order was sent to one unit" },
	[LD_EV_SIGNED] = { "signed", true, B(WO), B(NOTE),
	    "the unit signed for its work order" },
	[LD_EV_RETURNED] = { "returned", true, B(WO) | B(REASON), 0,
	    "the unit returned the work order as not its own" },
	[LD_EV_EXT_REQUESTED] = { "ext.requested", true,
	    B(WO) | B(UNTIL) | B(REASON), 0, "the unit asked for more time" },
	[LD_EV_EXT_GRANTED] = { "ext.granted", true, B(WO) | B(UNTIL), B(NOTE),
	    "the office granted the extension" },
	[LD_EV_EXT_REFUSED] = { "ext.refused", true, B(WO) | B(REASON), 0,
	    "the office refused the extension" },
	[LD_EV_PROGRESS] = { "progress", true, B(WO) | B(NOTE), 0,
	    "the unit noted progress" },
	[LD_EV_COMPLETED] = { "completed", true, B(WO) | B(RESULT), 0,
	    "the unit completed its work order and reported the result" },
	[LD_EV_REPORTED] = { "reported", true, B(NOTE), B(METHOD),
	    "the office told the citizen the result" },
	[LD_EV_CALLBACK] = { "callback", true, B(METHOD) | B(SATISFACTION),
	    B(NOTE), "the office called the citizen back" },
	[LD_EV_REOPENED] = { "reopened", true,
	    B(REASON) | B(DUE_SIGN) | B(DUE_DONE), 0,
	    "the ticket was reopened; completed work orders go back to their units" },
	[LD_EV_CLOSED] = { "closed", true, 0, B(NOTE) | B(REASON),
	    "the office closed the ticket" },
	[LD_EV_URGED] = { "urged", true, B(WO), B(NOTE),
	    "a late unit was urged" },
	[LD_EV_SUPERVISED] = { "supervised", true, B(WO), B(NOTE),
	    "a late unit was put under supervision" },
	[LD_EV_SETTLED] = { "settled", true, B(WO) | B(UNIT), B(NOTE),
	    "responsibility settled after a default handler acted" },
	[LD_EV_TRANSFER_REQUESTED] = { "transfer.requested", true,
	    B(NODE) | B(DIRECTION) | B(REASON), 0,
	    "the owner asked another node to take the ticket" },
	[LD_EV_TRANSFER_ACCEPTED] = { "transfer.accepted", true, B(NODE),
	    B(NOTE), "the target node took the ticket over" },
	[LD_EV_TRANSFER_REFUSED] = { "transfer.refused", true,
	    B(NODE) | B(REASON), 0, "the target node refused the ticket" },
	[LD_EV_RULED] = { "ruled", true,
	    B(WO) | B(NOTE) | B(DUE_SIGN) | B(DUE_DONE), 0,
	    "the office ruled on a disputed return: the work order goes back "
	    "to its unit, with the ruling (note) and new deadlines" },
	[LD_EV_ATTACHED] = { "attached", true, B(INCIDENT), B(NOTE),
	    "the ticket joined an incident (the lead ticket of an emergency "
	    "plan) instead of being dispatched again; it gets the incident's "
	    "result" },
	[LD_EV_GOV_REPORTED] = { "gov.reported", true, B(TEXT), B(PLAN),
	    "a report on the incident to the city government (what happened, "
	    "when, where, who acts, what is known), first or an update" },
	[LD_EV_PLAN_ACTIVATED] = { "plan.activated", true,
	    B(PLAN) | B(UNITS) | B(GOV), B(NOTE),
	    "an emergency plan was started for the ticket" },
	[LD_EV_ANNOUNCED] = { "announced", true, B(CHANNEL) | B(TEXT), B(AREA),
	    "an announcement was published" },
};

const char *
event_kind_name(enum ld_event_kind k)
{
	if ((unsigned)k >= LD_EV__COUNT)
		return "none";
	return event_kinds[k].name;
}

enum ld_event_kind
event_kind_from_name(const char *name, size_t len)
{
	for (int k = 1; k < LD_EV__COUNT; k++)
		if (strlen(event_kinds[k].name) == len &&
		    memcmp(event_kinds[k].name, name, len) == 0)
			return (enum ld_event_kind)k;
	return LD_EV_NONE;
}

int
event_field_from_name(const char *name, size_t len)
{
	for (int f = 0; f < LD_F__COUNT; f++)
		if (strlen(event_fields[f].name) == len &&
		    memcmp(event_fields[f].name, name, len) == 0)
			return f;
	return -1;
}

const char *
event_enum_name(enum ld_field f, uint32_t value)
{
	const struct ld_field_def *d;

	if ((unsigned)f >= LD_F__COUNT)
		return "?";
	d = &event_fields[f];
	if (d->type != LD_T_ENUM || value < 1 || value > d->max)
		return "?";
	return d->enum_names[value - 1];
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
event_init(struct ld_event *ev, enum ld_event_kind kind, const char *origin,
    int64_t time_ms, const char *actor, const char *ticket)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ms = time_ms;
	origin = origin ? origin : "";
	actor = actor ? actor : "";
	ticket = ticket ? ticket : "";
	if (strlen(origin) > LD_NODE_MAX || strlen(actor) > LD_ACTOR_MAX ||
	    strlen(ticket) > LD_TICKET_MAX)
		return LD_ELIMIT;	/* kind stays LD_EV_NONE */
	ev->kind = kind;
	copy_str(ev->origin, sizeof(ev->origin), origin);
	copy_str(ev->actor, sizeof(ev->actor), actor);
	copy_str(ev->ticket, sizeof(ev->ticket), ticket);
	return LD_OK;
}

int
event_set_str(struct ld_event *ev, enum ld_field f, const char *s)
{
	const struct ld_field_def *d;
	size_t n = strlen(s);

	if ((unsigned)f >= LD_F__COUNT)
		return LD_EINVAL;
	d = &event_fields[f];
	if (d->type != LD_T_STR)
		return LD_EINVAL;
	if (n > d->max)
		return LD_ELIMIT;
	memcpy((char *)ev + d->offset, s, n + 1);
	ev->present |= 1u << f;
	return LD_OK;
}

int
event_set_uint(struct ld_event *ev, enum ld_field f, uint64_t v)
{
	const struct ld_field_def *d;

	if ((unsigned)f >= LD_F__COUNT)
		return LD_EINVAL;
	d = &event_fields[f];
	if ((d->type != LD_T_UINT && d->type != LD_T_ENUM))
		return LD_EINVAL;
	if (v < d->min || v > d->max)
		return LD_ELIMIT;
	*(uint32_t *)(void *)((char *)ev + d->offset) = (uint32_t)v;
	ev->present |= 1u << f;
	return LD_OK;
}

int
event_set_time(struct ld_event *ev, enum ld_field f, int64_t ms)
{
	const struct ld_field_def *d;

	if ((unsigned)f >= LD_F__COUNT)
		return LD_EINVAL;
	d = &event_fields[f];
	if (d->type != LD_T_TIME)
		return LD_EINVAL;
	if (ms < 0)
		return LD_ELIMIT;
	*(int64_t *)(void *)((char *)ev + d->offset) = ms;
	ev->present |= 1u << f;
	return LD_OK;
}

int
event_set_bool(struct ld_event *ev, enum ld_field f, bool v)
{
	const struct ld_field_def *d;

	if ((unsigned)f >= LD_F__COUNT)
		return LD_EINVAL;
	d = &event_fields[f];
	if (d->type != LD_T_BOOL)
		return LD_EINVAL;
	*(bool *)((char *)ev + d->offset) = v;
	ev->present |= 1u << f;
	return LD_OK;
}

int
event_add_unit(struct ld_event *ev, const char *unit)
{
	size_t n = strlen(unit);

	if (ev->n_units >= LD_UNITS_MAX || n > LD_ID_MAX)
		return LD_ELIMIT;
	memcpy(ev->units[ev->n_units], unit, n + 1);
	ev->n_units++;
	ev->present |= 1u << LD_F_UNITS;
	return LD_OK;
}

bool
event_node_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > LD_NODE_MAX || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}
