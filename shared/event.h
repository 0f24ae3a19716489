/*
 * event.h - the events of the linkage workflow.
 *
 * Everything that happens at a linkage office is an event.  An event is
 * identified by (origin node, sequence): every node numbers the events it
 * originates 1, 2, 3, ... with no gaps.  It carries the time in UTC
 * milliseconds, the actor (who did it), the ticket it concerns (empty for
 * call events, which only feed the counters) and a payload whose fields
 * depend on the kind.  Which fields each kind requires or allows is data:
 * the table event_kinds[] below, shared by the codec, the docs and tests.
 *
 * The struct is flat with fixed-size buffers: every string field has a
 * byte limit (LD_*_MAX, not counting the NUL) that the codec enforces, so
 * a decoded event never points at anything it does not own.
 *
 * Wire format: docs/events.md.
 */
#ifndef LD_EVENT_H
#define LD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, in bytes unless said.  Wire limits are the same. */
#define LD_NODE_MAX	8	/* node id: [A-Z][A-Z0-9]{0,7}, e.g. "LY", "XA" */
#define LD_TICKET_MAX	23	/* ticket id, e.g. "XA-2011-000123" */
#define LD_ACTOR_MAX	48	/* who did it: "op:xa-wang", "unit:water", "system" */
#define LD_ID_MAX	32	/* unit, area, category, call, plan, channel ids */
#define LD_NAME_MAX	64	/* caller name */
#define LD_PHONE_MAX	24	/* phone number */
#define LD_PLACE_MAX	256	/* place, free text */
#define LD_TEXT_MAX	2000	/* description, announcement text */
#define LD_NOTE_MAX	1000	/* reason, note, result */
#define LD_RULE_MAX	128	/* the routing rule that matched */
#define LD_UNITS_MAX	16	/* units named in one event */
#define LD_WO_MAX	16	/* work orders per ticket */
#define LD_URGENCY_MAX	5	/* urgency 1 (most urgent) .. 5 */
#define LD_FRAME_MAX	16384	/* largest encoded event */
#define LD_DEPTH_MAX	3	/* msgpack nesting: envelope > body > units */

enum ld_event_kind {
	LD_EV_NONE = 0,
	/* calls: counters only, no ticket */
	LD_EV_CALL_RECEIVED,
	LD_EV_CALL_ANSWERED,
	LD_EV_CALL_CLASSIFIED,
	/* a ticket's life */
	LD_EV_TICKET_CREATED,
	LD_EV_ROUTED,
	LD_EV_DISPATCHED,
	LD_EV_SIGNED,
	LD_EV_RETURNED,
	LD_EV_EXT_REQUESTED,
	LD_EV_EXT_GRANTED,
	LD_EV_EXT_REFUSED,
	LD_EV_PROGRESS,
	LD_EV_COMPLETED,
	LD_EV_REPORTED,
	LD_EV_CALLBACK,
	LD_EV_REOPENED,
	LD_EV_CLOSED,
	LD_EV_URGED,
	LD_EV_SUPERVISED,
	LD_EV_SETTLED,
	LD_EV_TRANSFER_REQUESTED,
	LD_EV_TRANSFER_ACCEPTED,
	LD_EV_TRANSFER_REFUSED,
	LD_EV_PLAN_ACTIVATED,
	LD_EV_ANNOUNCED,
	LD_EV_RULED,		/* the office ruled on a disputed return */
	LD_EV_ATTACHED,		/* a ticket joined an incident */
	LD_EV_GOV_REPORTED,	/* a report to the city government */
	LD_EV__COUNT
};

/* Payload fields.  Bit (1u << field) in ld_event.present. */
enum ld_field {
	LD_F_CALL = 0,		/* str  call id */
	LD_F_CALLER,		/* str  caller's name */
	LD_F_PHONE,		/* str  caller's phone */
	LD_F_PLACE,		/* str  place as told */
	LD_F_AREA,		/* str  area id (jurisdiction) */
	LD_F_TEXT,		/* str  description / announcement */
	LD_F_CATEGORY,		/* str  request category id */
	LD_F_URGENCY,		/* uint 1..LD_URGENCY_MAX */
	LD_F_CLASS,		/* enum police|fire|medical|linkage */
	LD_F_VALID,		/* bool valid request or not */
	LD_F_RULE,		/* str  routing rule that matched */
	LD_F_UNITS,		/* [str] units */
	LD_F_WO,		/* uint work order number 1..LD_WO_MAX */
	LD_F_UNIT,		/* str  unit id */
	LD_F_REPLACES,		/* uint work order this one re-routes */
	LD_F_DUE_SIGN,		/* time deadline to sign for */
	LD_F_DUE_DONE,		/* time deadline to complete */
	LD_F_UNTIL,		/* time extension asked or granted until */
	LD_F_REASON,		/* str  reason */
	LD_F_NOTE,		/* str  note */
	LD_F_RESULT,		/* str  result of the handling */
	LD_F_METHOD,		/* enum sms|phone|visit */
	LD_F_SATISFACTION,	/* enum satisfied|basic|unsatisfied */
	LD_F_NODE,		/* str  node id (transfer target) */
	LD_F_DIRECTION,		/* enum up|down */
	LD_F_PLAN,		/* str  emergency plan id */
	LD_F_GOV,		/* bool reported to the city government */
	LD_F_CHANNEL,		/* str  announcement channel */
	LD_F_INCIDENT,		/* str  the incident (its lead ticket's id) */
	LD_F_ANSWERED,		/* bool call.log: the call was answered (an
				 * argument only; no event carries it) */
	LD_F__COUNT
};

enum ld_call_class { LD_CLASS_POLICE = 1, LD_CLASS_FIRE, LD_CLASS_MEDICAL,
		     LD_CLASS_LINKAGE };
enum ld_method { LD_METHOD_SMS = 1, LD_METHOD_PHONE, LD_METHOD_VISIT };
enum ld_satisfaction { LD_SAT_SATISFIED = 1, LD_SAT_BASIC,
		       LD_SAT_UNSATISFIED };
enum ld_direction { LD_DIR_UP = 1, LD_DIR_DOWN };

struct ld_event {
	/* envelope */
	char origin[LD_NODE_MAX + 1];
	uint64_t seq;		/* 1, 2, ... per origin; 0 = not yet assigned */
	int64_t time_ms;	/* UTC milliseconds since the epoch */
	char actor[LD_ACTOR_MAX + 1];
	char ticket[LD_TICKET_MAX + 1];	/* "" for call events */
	enum ld_event_kind kind;
	uint32_t present;	/* payload fields present: 1u << LD_F_* */

	/* payload: meaningful only where the bit in present is set */
	char call[LD_ID_MAX + 1];
	char caller[LD_NAME_MAX + 1];
	char phone[LD_PHONE_MAX + 1];
	char place[LD_PLACE_MAX + 1];
	char area[LD_ID_MAX + 1];
	char text[LD_TEXT_MAX + 1];
	char category[LD_ID_MAX + 1];
	uint32_t urgency;
	uint32_t call_class;	/* enum ld_call_class */
	bool valid;
	char rule[LD_RULE_MAX + 1];
	uint32_t n_units;
	char units[LD_UNITS_MAX][LD_ID_MAX + 1];
	uint32_t wo;
	char unit[LD_ID_MAX + 1];
	uint32_t replaces;
	int64_t due_sign_ms;
	int64_t due_done_ms;
	int64_t until_ms;
	char reason[LD_NOTE_MAX + 1];
	char note[LD_NOTE_MAX + 1];
	char result[LD_NOTE_MAX + 1];
	uint32_t method;	/* enum ld_method */
	uint32_t satisfaction;	/* enum ld_satisfaction */
	char node[LD_NODE_MAX + 1];
	uint32_t direction;	/* enum ld_direction */
	char plan[LD_ID_MAX + 1];
	bool gov;
	char channel[LD_ID_MAX + 1];
	char incident[LD_TICKET_MAX + 1];
	bool answered;
};

/* Field types of the schema. */
enum ld_ftype { LD_T_STR = 1, LD_T_UINT, LD_T_TIME, LD_T_BOOL, LD_T_ENUM,
		LD_T_STRARR };

struct ld_field_def {
	const char *name;	/* wire name, e.g. "due_sign" */
	enum ld_ftype type;
	size_t offset;		/* offsetof(struct ld_event, ...) */
	uint32_t max;		/* STR/STRARR: bytes; UINT: largest value */
	uint32_t min;		/* UINT: smallest value */
	const char *const *enum_names;	/* ENUM: names, index 0 = value 1 */
};

struct ld_kind_def {
	const char *name;	/* wire name, e.g. "ticket.created" */
	bool ticket;		/* carries a ticket id */
	uint32_t required;	/* payload fields that must be present */
	uint32_t optional;	/* payload fields that may be present */
	const char *summary;	/* one line for docs and logs */
};

extern const struct ld_field_def event_fields[LD_F__COUNT];
extern const struct ld_kind_def event_kinds[LD_EV__COUNT];

/* Name of a kind ("dispatched"), "none" for out of range. */
const char *event_kind_name(enum ld_event_kind k);
/* Kind from its wire name, LD_EV_NONE if unknown. */
enum ld_event_kind event_kind_from_name(const char *name, size_t len);
/* Field from its wire name, -1 if unknown. */
int event_field_from_name(const char *name, size_t len);
const char *event_enum_name(enum ld_field f, uint32_t value);

/* Clear *ev and set the envelope (seq 0: assigned by the store).
 * Returns 0, or LD_ELIMIT when origin, actor or ticket is too long: the
 * event is then left with kind LD_EV_NONE (refused wherever it goes)
 * rather than silently carrying a shortened id. */
int event_init(struct ld_event *ev, enum ld_event_kind kind,
    const char *origin, int64_t time_ms, const char *actor,
    const char *ticket);

/* Setters: copy the value and mark the field present.  Return 0, or
 * LD_ELIMIT if a string exceeds its limit (nothing is set then). */
int event_set_str(struct ld_event *ev, enum ld_field f, const char *s);
int event_set_uint(struct ld_event *ev, enum ld_field f, uint64_t v);
int event_set_time(struct ld_event *ev, enum ld_field f, int64_t ms);
int event_set_bool(struct ld_event *ev, enum ld_field f, bool v);
int event_add_unit(struct ld_event *ev, const char *unit);
static inline bool
event_has(const struct ld_event *ev, enum ld_field f)
{
	return (ev->present >> f) & 1u;
}

/* Node ids: 1..LD_NODE_MAX of [A-Z0-9], starting with a letter. */
bool event_node_id_ok(const char *s);

#endif
