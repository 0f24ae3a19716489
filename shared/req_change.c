/*
 * req_change.c - change requests (req.h): req_plan turns one request into
 * the events it becomes, after checking it against the topology and the
 * store as they are now; req_result writes the reply once the events are
 * committed.
 *
 * A request's arguments are event fields (docs/protocol.md §3.2), so most
 * ops become one event whose payload is the arguments its kind takes
 * (req_take_args).  The table req_ops[] says, per op, which event that is
 * and which function builds the plan; the few ops that do more (call.log,
 * ticket.create, ticket.reopen, wo.reroute, wo.settle) have their own.
 *
 * An op on an existing ticket first reads the ticket (LD_ENOTFOUND),
 * checks the caller's scope (req_can_see, req_own_wo: req_auth.c), builds
 * its events, and then runs them through the state machine on the copy it
 * read, so that a refusal comes back now, named by the op ("wo.sign:
 * LY-2011-000001: work order 1 (unit unicom) is already signed for").  The
 * store applies them again in the commit and has the last word.
 */
#include "req.h"
#include "req_int.h"
#include "ltime.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*req_plan_fn)(struct req_ctx *x);

static int req_plan_call(struct req_ctx *x);
static int req_plan_create(struct req_ctx *x);
static int req_plan_one(struct req_ctx *x);
static int req_plan_reopen(struct req_ctx *x);
static int req_plan_settle(struct req_ctx *x);
static int req_plan_reroute(struct req_ctx *x);
static int req_plan_rule(struct req_ctx *x);
static int req_plan_callback(struct req_ctx *x);
static int req_plan_report(struct req_ctx *x);
static int req_plan_ext(struct req_ctx *x);

/* Per change op: the event it becomes (the first, for those that become
 * several), the function that plans it, and whether it acts on an
 * existing ticket.  Queries have no entry. */
static const struct req_op {
	enum ld_event_kind kind;
	req_plan_fn plan;
	bool on_ticket;
} req_ops[LD_OP__COUNT] = {
	[LD_OP_CALL_LOG] = { LD_EV_CALL_RECEIVED, req_plan_call, false },
	[LD_OP_TICKET_CREATE] = { LD_EV_TICKET_CREATED, req_plan_create,
	    false },
	[LD_OP_TICKET_REPORT] = { LD_EV_REPORTED, req_plan_report, true },
	[LD_OP_TICKET_CALLBACK] = { LD_EV_CALLBACK, req_plan_callback, true },
	[LD_OP_TICKET_REOPEN] = { LD_EV_REOPENED, req_plan_reopen, true },
	[LD_OP_TICKET_CLOSE] = { LD_EV_CLOSED, req_plan_one, true },
	[LD_OP_WO_URGE] = { LD_EV_URGED, req_plan_one, true },
	[LD_OP_WO_SUPERVISE] = { LD_EV_SUPERVISED, req_plan_one, true },
	[LD_OP_WO_REROUTE] = { LD_EV_DISPATCHED, req_plan_reroute, true },
	[LD_OP_WO_RULE] = { LD_EV_RULED, req_plan_rule, true },
	[LD_OP_EXT_GRANT] = { LD_EV_EXT_GRANTED, req_plan_ext, true },
	[LD_OP_EXT_REFUSE] = { LD_EV_EXT_REFUSED, req_plan_one, true },
	[LD_OP_WO_SETTLE] = { LD_EV_SETTLED, req_plan_settle, true },
	[LD_OP_WO_SIGN] = { LD_EV_SIGNED, req_plan_one, true },
	[LD_OP_WO_RETURN] = { LD_EV_RETURNED, req_plan_one, true },
	[LD_OP_EXT_REQUEST] = { LD_EV_EXT_REQUESTED, req_plan_ext, true },
	[LD_OP_WO_PROGRESS] = { LD_EV_PROGRESS, req_plan_one, true },
	[LD_OP_WO_COMPLETE] = { LD_EV_COMPLETED, req_plan_one, true },
	[LD_OP_TICKET_ESCALATE] = { LD_EV_TRANSFER_REQUESTED,
	    req_plan_escalate, true },
	[LD_OP_TICKET_HANDDOWN] = { LD_EV_TRANSFER_REQUESTED,
	    req_plan_handdown, true },
	[LD_OP_TRANSFER_ACCEPT] = { LD_EV_TRANSFER_ACCEPTED, req_plan_accept,
	    true },
	[LD_OP_TRANSFER_REFUSE] = { LD_EV_TRANSFER_REFUSED, req_plan_refuse,
	    true },
	[LD_OP_TICKET_DISPATCH] = { LD_EV_ROUTED, req_plan_dispatch, true },
	[LD_OP_PLAN_START] = { LD_EV_PLAN_ACTIVATED, req_plan_plan_start,
	    true },
	[LD_OP_INCIDENT_ATTACH] = { LD_EV_ATTACHED, req_plan_attach, true },
	[LD_OP_INCIDENT_ANNOUNCE] = { LD_EV_ANNOUNCED, req_plan_announce,
	    true },
	[LD_OP_INCIDENT_REPORT] = { LD_EV_GOV_REPORTED, req_plan_gov, true },
	[LD_OP_INCIDENT_CLOSE] = { LD_EV_REPORTED, req_plan_incident_close,
	    true },
};

/* ---- building events ---------------------------------------------------- */

const char *
req_op_name(const struct req_ctx *x)
{
	return proto_op_name(x->r->op);
}

/* The next event of the plan, its envelope set: origin this node, seq 0
 * (the store numbers it), time now, actor the caller, and ticket (""
 * where the store fills it in). */
int
req_next(struct req_ctx *x, enum ld_event_kind kind, const char *ticket,
    struct ld_event **out)
{
	struct ld_event *ev;

	if (x->p->n >= x->cap)
		return err_set(x->err, LD_ELIMIT, "%s: more than %zu events",
		    req_op_name(x), x->cap);
	ev = &x->p->ev[x->p->n];
	if (event_init(ev, kind, x->env->t->nodes[x->env->self].id,
	    x->env->now, x->c->actor, ticket) != 0)
		return err_set(x->err, LD_ELIMIT, "%s: the actor or ticket id "
		    "is too long for an event", req_op_name(x));
	x->p->n++;
	*out = ev;
	return LD_OK;
}

/* Copy field f of the request's arguments a into ev, with the setter of
 * its type (event_fields[] says which). */
static int
req_copy_field(struct ld_event *ev, const struct ld_event *a, enum ld_field f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *src = (const char *)a + d->offset;
	uint32_t u;
	int64_t ms;
	bool b;
	int rc = LD_OK;

	switch (d->type) {
	case LD_T_STR:
		return event_set_str(ev, f, src);
	case LD_T_UINT:
	case LD_T_ENUM:
		memcpy(&u, src, sizeof(u));
		return event_set_uint(ev, f, u);
	case LD_T_TIME:
		memcpy(&ms, src, sizeof(ms));
		return event_set_time(ev, f, ms);
	case LD_T_BOOL:
		memcpy(&b, src, sizeof(b));
		return event_set_bool(ev, f, b);
	case LD_T_STRARR:
		for (uint32_t i = 0; i < a->n_units && rc == LD_OK; i++)
			rc = event_add_unit(ev, a->units[i]);
		return rc;
	}
	return LD_EINVAL;
}

/* Fill ev's payload with the arguments its kind takes (required or
 * optional) that the request has. */
int
req_take_args(struct req_ctx *x, struct ld_event *ev)
{
	const struct ld_kind_def *k = &event_kinds[ev->kind];
	const struct ld_event *a = &x->r->args;

	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!(((k->required | k->optional) >> f) & 1u) ||
		    !event_has(a, (enum ld_field)f))
			continue;
		if (req_copy_field(ev, a, (enum ld_field)f) != LD_OK)
			return err_set(x->err, LD_EINVAL, "args.%s: not a "
			    "valid value for a %s event", event_fields[f].name,
			    k->name);
	}
	return LD_OK;
}

/* One event of the op's kind on the ticket, from the arguments. */
static int
req_event_from_args(struct req_ctx *x, struct ld_event **out)
{
	int rc = req_next(x, req_ops[x->r->op].kind, x->t.id, out);

	return rc != LD_OK ? rc : req_take_args(x, *out);
}

/* Set a work order's deadlines from slot k of the route. */
void
req_set_due(struct req_ctx *x, struct ld_event *ev,
    const struct ld_topo_route *rt, int k)
{
	int64_t sign = x->env->now + rt->sign_ms[k];
	int64_t done = topo_due(x->env->t, x->env->now, rt->complete_ms[k],
	    rt->complete_wd[k]);

	event_set_time(ev, LD_F_DUE_SIGN, sign);
	event_set_time(ev, LD_F_DUE_DONE, done < sign ? sign : done);
}

/* ---- the topology ------------------------------------------------------- */

/*
 * Route (category, area, urgency).  For a ticket the category and area
 * were checked when it was created, but the topology may have changed
 * since: LD_EUNKNOWN if either is gone, LD_EREFUSED if nothing routes it
 * (topo_route's own codes, ENOTFOUND and EINVAL, would say something else
 * on the wire).
 */
int
req_route(struct req_ctx *x, const char *category, const char *area,
    unsigned urgency, struct ld_topo_route *rt)
{
	const struct ld_topo *top = x->env->t;
	struct ld_err e;

	if (topo_category(top, category) < 0)
		return err_set(x->err, LD_EUNKNOWN, "%s: category '%s' is not "
		    "in the topology", req_op_name(x), category);
	if (topo_area(top, area) < 0)
		return err_set(x->err, LD_EUNKNOWN, "%s: area '%s' is not in "
		    "the topology", req_op_name(x), area);
	if (topo_route(top, category, area, urgency, rt, &e) != LD_OK)
		return err_set(x->err, LD_EREFUSED, "%s: cannot route: %s",
		    req_op_name(x), e.msg);
	if (rt->n_units < 1)	/* topo_route never answers without one */
		return err_set(x->err, LD_EREFUSED, "%s: the route names no "
		    "unit", req_op_name(x));
	return LD_OK;
}

/* The routed event's rule: the rule's id, or "default <id>" for a default
 * handler, saying so when responsibility is settled afterwards. */
void
req_rule_text(const struct ld_topo *top, const struct ld_topo_route *rt,
    char *buf, size_t cap)
{
	if (rt->rule >= 0)
		snprintf(buf, cap, "%s", top->rules[rt->rule].id);
	else if (rt->fallback >= 0)
		snprintf(buf, cap, "default %s%s", top->defaults[rt->fallback].id,
		    rt->settle ? " (unclear ownership: responsibility settled "
		    "afterwards)" : "");
	else
		snprintf(buf, cap, "units named by the operator");
}

/* The durations of unit u in the route: its own if the route names it,
 * else the route's first (a unit the operator named). */
static int
req_route_slot(const struct ld_topo_route *rt, int u)
{
	for (int k = 0; k < rt->n_units; k++)
		if (rt->units[k] == u)
			return k;
	return 0;
}

/* ---- call.log ------------------------------------------------------------ */

/* The class a call is recorded with: none for an invalid call, the one
 * given, else linkage. */
static uint32_t
req_call_class(const struct ld_event *a)
{
	if (!a->valid)
		return 0;
	return event_has(a, LD_F_CLASS) ? a->call_class : LD_CLASS_LINKAGE;
}

/* call.received, call.answered, call.classified: counters only. */
static int
req_plan_call(struct req_ctx *x)
{
	static const enum ld_event_kind kinds[] = { LD_EV_CALL_RECEIVED,
		LD_EV_CALL_ANSWERED, LD_EV_CALL_CLASSIFIED };
	const struct ld_event *a = &x->r->args;
	uint32_t cls = req_call_class(a);
	struct ld_event *ev = NULL;
	int rc;

	if (!a->valid && event_has(a, LD_F_CLASS))
		return err_set(x->err, LD_EINVAL, "args.class: an invalid call "
		    "has no class");
	if (event_has(a, LD_F_ANSWERED) && !a->answered) {
		/* it came in and nobody took it: counted in, not answered */
		if (a->valid)
			return err_set(x->err, LD_EINVAL, "args.valid: a call "
			    "not answered cannot be judged valid");
		if ((rc = req_next(x, LD_EV_CALL_RECEIVED, "", &ev)) != LD_OK)
			return rc;
		return req_take_args(x, ev);
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((rc = req_next(x, kinds[i], "", &ev)) != LD_OK ||
		    (rc = req_take_args(x, ev)) != LD_OK)
			return rc;
	}
	if (cls != 0)		/* ev is the classification */
		event_set_uint(ev, LD_F_CLASS, cls);
	/* police, fire and medical calls go to their services */
	x->p->forwarded = cls == LD_CLASS_POLICE || cls == LD_CLASS_FIRE ||
	    cls == LD_CLASS_MEDICAL;
	return LD_OK;
}

/* ---- ticket.create ------------------------------------------------------ */

int
req_plan_dispatch_route(struct req_ctx *x, const char *id,
    const struct ld_topo_route *rt, unsigned wo)
{
	const struct ld_topo *top = x->env->t;
	char rule[LD_RULE_MAX + 1];
	struct ld_event *ev;
	int rc;

	if ((rc = req_next(x, LD_EV_ROUTED, id, &ev)) != LD_OK)
		return rc;
	req_rule_text(top, rt, rule, sizeof(rule));
	event_set_str(ev, LD_F_RULE, rule);
	for (int i = 0; i < rt->n_units; i++)
		event_add_unit(ev, top->units[rt->units[i]].id);
	for (int i = 0; i < rt->n_units; i++) {
		if ((rc = req_next(x, LD_EV_DISPATCHED, id, &ev)) != LD_OK)
			return rc;
		event_set_uint(ev, LD_F_WO, (uint64_t)wo + (uint64_t)i + 1);
		event_set_str(ev, LD_F_UNIT, top->units[rt->units[i]].id);
		req_set_due(x, ev, rt, i);
	}
	return LD_OK;
}

/*
 * ticket.created, then either routed and one dispatched per unit of the
 * route, or, when the area is another node's (req_transfer_target), a
 * transfer request to the node it goes to: up to the parent (a county's
 * cross-jurisdiction request) or down to the child towards the area's
 * owner (the city hands it down).  All with an empty ticket id: the store
 * gives the group the new one.
 */
static int
req_plan_create(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_event *a = &x->r->args;
	struct ld_topo_route rt;
	struct ld_event *ev;
	int rc, to;

	if (topo_area(top, a->area) < 0)
		return err_set(x->err, LD_EUNKNOWN, "args.area: unknown area "
		    "'%s'", a->area);
	if (topo_category(top, a->category) < 0)
		return err_set(x->err, LD_EUNKNOWN, "args.category: unknown "
		    "category '%s'", a->category);
	if (!event_has(a, LD_F_INCIDENT) &&
	    (rc = req_route(x, a->category, a->area, a->urgency, &rt)) != 0)
		return rc;

	if ((rc = req_next(x, LD_EV_TICKET_CREATED, "", &ev)) != LD_OK ||
	    (rc = req_take_args(x, ev)) != LD_OK)
		return rc;
	if (event_has(a, LD_F_INCIDENT)) {
		/* another call about an incident being handled: attached to
		 * it, not dispatched again */
		if ((rc = req_plan_attach_new(x)) != LD_OK)
			return rc;
		return LD_OK;
	}
	to = req_transfer_target(x, &rt);
	if (to < 0) {
		int cat = topo_category(top, a->category);

		/* a plan this county cannot carry out: up to the city; a
		 * plan already at work here on the same area: this call
		 * joins that incident */
		for (int i = 0; i < top->n_plans; i++) {
			char why[LD_NOTE_MAX + 1], lead[LD_TICKET_MAX + 1];

			if (top->plans[i].category != cat)
				continue;
			if (req_plan_needs_parent(x, i, why, sizeof(why)))
				return req_plan_escalate_plan(x, "", why);
			if (req_open_incident(x, a->area, i, lead)) {
				if ((rc = req_next(x, LD_EV_ATTACHED, "",
				    &ev)) != LD_OK)
					return rc;
				event_set_str(ev, LD_F_INCIDENT, lead);
				return LD_OK;
			}
		}
		/* the units a plan of the category names work to its
		 * deadlines */
		for (int i = 0; i < top->n_plans; i++)
			if (top->plans[i].category == cat) {
				req_plan_deadlines(top, i, &rt);
				break;
			}
		if ((rc = req_plan_dispatch_route(x, "", &rt, 0)) != LD_OK)
			return rc;
		/* a category with an emergency plan starts it at once */
		for (int i = 0; i < top->n_plans; i++) {
			if (top->plans[i].category != cat)
				continue;
			memset(&x->t, 0, sizeof(x->t));
			snprintf(x->t.category, sizeof(x->t.category), "%s",
			    a->category);
			snprintf(x->t.area, sizeof(x->t.area), "%s", a->area);
			snprintf(x->t.place, sizeof(x->t.place), "%s", a->place);
			snprintf(x->t.text, sizeof(x->t.text), "%s", a->text);
			x->t.urgency = (uint8_t)a->urgency;
			x->t.created_ms = x->env->now;
			return req_plan_incident(x, "", i);
		}
		return LD_OK;
	}
	if ((rc = req_next(x, LD_EV_TRANSFER_REQUESTED, "", &ev)) != LD_OK)
		return rc;
	event_set_str(ev, LD_F_NODE, top->nodes[to].id);
	event_set_uint(ev, LD_F_DIRECTION, top->nodes[to].parent ==
	    x->env->self ? LD_DIR_DOWN : LD_DIR_UP);
	event_set_str(ev, LD_F_REASON, top->nodes[to].parent == x->env->self ?
	    "the area is the jurisdiction of a county: handed down" :
	    "the area is not this county's: escalated");
	return LD_OK;
}

/* ---- changes of a ticket ------------------------------------------------ */

/* The one event of the op, from its arguments. */
static int
req_plan_one(struct req_ctx *x)
{
	struct ld_event *ev;

	return req_event_from_args(x, &ev);
}

/* reopened: the work orders go back with new deadlines, those of the
 * ticket's category at its urgency (the route's first unit's). */
static int
req_plan_reopen(struct req_ctx *x)
{
	struct ld_topo_route rt;
	struct ld_event *ev;
	int rc;

	if ((rc = req_route(x, x->t.category, x->t.area, x->t.urgency, &rt))
	    != LD_OK || (rc = req_event_from_args(x, &ev)) != LD_OK)
		return rc;
	req_set_due(x, ev, &rt, 0);
	return LD_OK;
}

/* ticket.report: an incident's lead is told with incident.close, which
 * also announces the summary, tells the government and every caller. */
static int
req_plan_report(struct req_ctx *x)
{
	struct ld_event *ev;

	if (x->t.plan[0] != '\0')
		return err_set(x->err, LD_EREFUSED, "ticket.report: %s leads an "
		    "incident (plan %s): close it with incident.close, which "
		    "tells every caller", x->t.id, x->t.plan);
	return req_event_from_args(x, &ev);
}

/*
 * ext.request, ext.grant: an extension may move the deadline to complete
 * at most to the category's ext_max counted from dispatch (the 12345
 * practice: 15 working days in all).
 */
static int
req_plan_ext(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_event *a = &x->r->args;
	const struct ld_wo *w = &x->t.wo[a->wo - 1];	/* req_own_wo */
	int cat = topo_category(top, x->t.category);
	struct ld_event *ev;

	if (cat >= 0 && (top->categories[cat].ext_max_ms > 0 ||
	    top->categories[cat].ext_max_wd > 0)) {
		const struct ld_topo_category *k = &top->categories[cat];
		/* from dispatch, or from the ruling that sent it back */
		int64_t from = w->ruled_ms > w->dispatched_ms ? w->ruled_ms :
		    w->dispatched_ms;
		int64_t max = topo_due(top, from, k->ext_max_ms, k->ext_max_wd);

		if (a->until_ms > max) {
			char lim[24], at[24];

			if (k->ext_max_wd > 0)
				snprintf(lim, sizeof(lim), "%u working days",
				    (unsigned)k->ext_max_wd);
			else
				topo_format_duration(k->ext_max_ms, lim,
				    sizeof(lim));
			ltime_format(max, at, sizeof(at));
			return err_set(x->err, LD_EREFUSED, "%s: work order %u "
			    "may be extended at most to %s (%s from %s, "
			    "category %s)", req_op_name(x), (unsigned)a->wo,
			    at, lim, w->ruled_ms > w->dispatched_ms ?
			    "the ruling" : "dispatch", k->id);
		}
	}
	return req_event_from_args(x, &ev);
}

/*
 * ticket.callback: the callback, and when the citizen is unsatisfied what
 * follows in the same request: without a reason the ticket is reopened
 * (its work orders go back to their units with new deadlines); with one it
 * is closed as unsatisfied, the reason recorded.
 */
static int
req_plan_callback(struct req_ctx *x)
{
	const struct ld_event *a = &x->r->args;
	struct ld_topo_route rt;
	struct ld_event *ev;
	int rc;

	if (a->satisfaction != LD_SAT_UNSATISFIED) {
		if (event_has(a, LD_F_REASON))
			return err_set(x->err, LD_EINVAL, "args.reason: only "
			    "for an unsatisfied callback (it closes the ticket "
			    "as unsatisfied)");
		return req_event_from_args(x, &ev);
	}
	if ((rc = req_event_from_args(x, &ev)) != LD_OK)
		return rc;	/* the callback (reason is not one of its fields) */
	if (event_has(a, LD_F_REASON)) {
		if ((rc = req_next(x, LD_EV_CLOSED, x->t.id, &ev)) != LD_OK)
			return rc;
		event_set_str(ev, LD_F_REASON, a->reason);
		event_set_str(ev, LD_F_NOTE, "closed as unsatisfied");
		return LD_OK;
	}
	if ((rc = req_route(x, x->t.category, x->t.area, x->t.urgency, &rt))
	    != LD_OK || (rc = req_next(x, LD_EV_REOPENED, x->t.id, &ev)) !=
	    LD_OK)
		return rc;
	event_set_str(ev, LD_F_REASON, "callback: the citizen is unsatisfied");
	req_set_due(x, ev, &rt, 0);
	return LD_OK;
}

/*
 * wo.rule: the office rules on a disputed return: the work order goes back
 * to the unit that returned it, with the ruling (note) and that unit's
 * deadlines from now.  (To give it to another unit: wo.reroute.)
 */
static int
req_plan_rule(struct req_ctx *x)
{
	const struct ld_event *a = &x->r->args;
	const struct ld_wo *w = &x->t.wo[a->wo - 1];	/* req_own_wo */
	struct ld_topo_route rt;
	struct ld_event *ev;
	int rc, u;

	if (w->state != LD_WO_RETURNED)
		return err_set(x->err, LD_EREFUSED, "wo.rule: work order %u "
		    "(unit %s) is %s, not returned; there is no return to "
		    "rule on", (unsigned)a->wo, w->unit,
		    ticket_wo_state_name(w->state));
	if ((rc = req_route(x, x->t.category, x->t.area, x->t.urgency, &rt))
	    != LD_OK || (rc = req_event_from_args(x, &ev)) != LD_OK)
		return rc;
	u = topo_unit(x->env->t, w->unit);
	req_set_due(x, ev, &rt, u < 0 ? 0 : req_route_slot(&rt, u));
	return LD_OK;
}

/* settled: the unit held responsible must be one of the topology's. */
static int
req_plan_settle(struct req_ctx *x)
{
	if (topo_unit(x->env->t, x->r->args.unit) < 0)
		return err_set(x->err, LD_EUNKNOWN, "args.unit: unknown unit "
		    "'%s'", x->r->args.unit);
	return req_plan_one(x);
}

/* Does unit id hold an open work order on the ticket? */
static bool
req_holds_open(const struct ld_ticket *t, const char *unit)
{
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (ticket_wo_open(&t->wo[i]) && strcmp(t->wo[i].unit, unit) == 0)
			return true;
	return false;
}

/* The units the operator named (args.units): each must be known. */
static int
req_named_units(struct req_ctx *x, int *units, int *n)
{
	const struct ld_event *a = &x->r->args;

	*n = 0;
	for (uint32_t i = 0; i < a->n_units && i < LD_UNITS_MAX; i++) {
		int u = topo_unit(x->env->t, a->units[i]);

		if (u < 0)
			return err_set(x->err, LD_EUNKNOWN, "args.units[%u]: "
			    "unknown unit '%s'", (unsigned)i, a->units[i]);
		units[(*n)++] = u;
	}
	return LD_OK;
}

/* The route's units, without the one that returned the work order and
 * those already holding an open work order on the ticket (the state
 * machine would refuse them a second one). */
static int
req_other_units(struct req_ctx *x, const struct ld_topo_route *rt,
    const char *returned_by, int *units, int *n)
{
	const struct ld_topo *top = x->env->t;

	*n = 0;
	for (int k = 0; k < rt->n_units; k++) {
		const char *id = top->units[rt->units[k]].id;

		if (strcmp(id, returned_by) != 0 && !req_holds_open(&x->t, id))
			units[(*n)++] = rt->units[k];
	}
	if (*n == 0)
		return err_set(x->err, LD_EREFUSED, "wo.reroute: no other unit "
		    "to route to; name units");
	return LD_OK;
}

/*
 * wo.reroute: a returned work order goes to the units named, or to those
 * the topology routes the ticket to, other than the one that returned
 * it: routed (see below), then one dispatched per unit, numbered after
 * the ticket's work orders.  The first replaces the returned work order;
 * only one may, since that one is then re-routed and no longer returned.
 */
static int
req_plan_reroute(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_event *a = &x->r->args;
	const struct ld_ticket *t = &x->t;
	const struct ld_wo *w = &t->wo[a->wo - 1];	/* req_own_wo: exists */
	char rule[LD_RULE_MAX + 1];
	int units[LD_UNITS_MAX], n = 0, rc;
	struct ld_topo_route rt;
	struct ld_event *ev;

	if (w->state != LD_WO_RETURNED)
		return err_set(x->err, LD_EREFUSED, "wo.reroute: work order %u "
		    "(unit %s) is %s, not returned; only a returned work order "
		    "can be re-routed", (unsigned)a->wo, w->unit,
		    ticket_wo_state_name(w->state));
	if ((rc = req_route(x, t->category, t->area, t->urgency, &rt)) != 0)
		return rc;
	rc = event_has(a, LD_F_UNITS) ? req_named_units(x, units, &n) :
	    req_other_units(x, &rt, w->unit, units, &n);
	if (rc != LD_OK)
		return rc;
	if (t->n_wo + n > LD_WO_MAX)
		return err_set(x->err, LD_ELIMIT, "wo.reroute: the ticket has %u "
		    "work orders; %d more would exceed the limit of %d",
		    (unsigned)t->n_wo, n, LD_WO_MAX);

	/* routed names the new units, but the state machine takes it only
	 * while no work order is open (ticket NEW or RETURNED: see
	 * ticket_on_routed); with another unit still at work, the
	 * dispatches alone say where the work order went. */
	if (t->state == LD_TS_NEW || t->state == LD_TS_RETURNED) {
		if ((rc = req_next(x, LD_EV_ROUTED, t->id, &ev)) != LD_OK)
			return rc;
		/* "reroute of work order 1", and when routed again by the
		 * topology ": <rule>" (ids are ASCII: a cut is harmless) */
		snprintf(rule, sizeof(rule), "reroute of work order %u",
		    (unsigned)a->wo);
		if (!event_has(a, LD_F_UNITS)) {
			size_t len = strlen(rule);

			snprintf(rule + len, sizeof(rule) - len, ": ");
			req_rule_text(top, &rt, rule + len + 2,
			    sizeof(rule) - len - 2);
		}
		event_set_str(ev, LD_F_RULE, rule);
		for (int i = 0; i < n; i++)
			event_add_unit(ev, top->units[units[i]].id);
	}
	for (int i = 0; i < n; i++) {
		int k = req_route_slot(&rt, units[i]);

		if ((rc = req_next(x, LD_EV_DISPATCHED, t->id, &ev)) != LD_OK)
			return rc;
		event_set_uint(ev, LD_F_WO, (uint64_t)t->n_wo + 1 + (unsigned)i);
		event_set_str(ev, LD_F_UNIT, top->units[units[i]].id);
		req_set_due(x, ev, &rt, k);
		if (i == 0)
			event_set_uint(ev, LD_F_REPLACES, a->wo);
		if (event_has(a, LD_F_NOTE))
			event_set_str(ev, LD_F_NOTE, a->note);
	}
	return LD_OK;
}

/* ---- the plan ----------------------------------------------------------- */

/* Read the ticket the op acts on and check the caller may act on it (and
 * on the work order it names). */
static int
req_load(struct req_ctx *x)
{
	const struct ld_request *r = x->r;
	int rc;

	if (!(r->q_present & (1u << LD_Q_TICKET)) || r->ticket[0] == '\0')
		return err_set(x->err, LD_EMISSING, "args.ticket: missing "
		    "(required by '%s')", req_op_name(x));
	rc = store_get_ticket(x->env->s, r->ticket, &x->t, x->err);
	if (rc == LD_ENOTFOUND)
		return err_set(x->err, LD_ENOTFOUND, "ticket %s: not found",
		    r->ticket);
	if (rc != LD_OK)
		return rc;
	if ((rc = req_can_see(x->env, x->c, &x->t, x->err)) != LD_OK)
		return rc;
	if (event_has(&r->args, LD_F_WO) && (rc = req_own_wo(x->c, x->env->t,
	    &x->t, r->args.wo, x->err)) != LD_OK)
		return rc;
	snprintf(x->p->ticket, sizeof(x->p->ticket), "%s", x->t.id);
	return LD_OK;
}

/* Run the plan's events through the state machine on our copy of the
 * ticket (x->t is not used after this), at the batch's time. */
static int
req_dry_run(struct req_ctx *x)
{
	for (size_t i = 0; i < x->p->n; i++) {
		int rc;

		if (strcmp(x->p->ev[i].ticket, x->t.id) != 0)
			continue;	/* another ticket's: its planner checked */
		rc = ticket_apply(&x->t, &x->p->ev[i], x->env->now, x->err);

		if (rc != LD_OK) {
			err_prefix(x->err, "%s", req_op_name(x));
			return rc;
		}
	}
	return LD_OK;
}

int
req_plan(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, struct ld_req_plan *p, size_t cap,
    struct ld_err *err)
{
	struct req_ctx x = { .env = env, .c = c, .r = r, .p = p, .cap = cap,
		.err = err };
	const struct req_op *op;
	int rc;

	p->n = 0;
	p->ticket[0] = '\0';
	p->forwarded = false;
	if ((unsigned)r->op >= LD_OP__COUNT || req_ops[r->op].plan == NULL)
		return err_set(err, LD_EINVAL, "'%s' is not a change",
		    proto_op_name(r->op));
	op = &req_ops[r->op];
	rc = op->on_ticket ? req_load(&x) : LD_OK;
	if (rc == LD_OK)
		rc = op->plan(&x);
	if (rc == LD_OK && op->on_ticket)
		rc = req_dry_run(&x);
	if (rc != LD_OK)
		p->n = 0;
	return rc;
}

void
req_items(struct ld_event *ev, size_t n, struct ld_store_item *it)
{
	for (size_t i = 0; i < n; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		it[i].ev = &ev[i];
		it[i].joined = i > 0 && strcmp(ev[i].ticket, ev[i - 1].ticket) == 0;
	}
}

/* ---- the reply ---------------------------------------------------------- */

/* Finish the reply: its length, or LD_ELIMIT with err. */
static int
req_reply_end(struct ld_pw *w, const struct ld_request *r, struct ld_err *err)
{
	size_t need = w->off;
	int len = proto_reply_end(w);

	if (len < 0)
		return err_set(err, len, "%s: reply of %zu bytes does not fit",
		    proto_op_name(r->op), need);
	return len;
}

/* {"call", "valid", "class": str|nil, "forwarded"} */
static int
req_result_call(const struct ld_request *r, const struct ld_req_plan *p,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	uint32_t cls = req_call_class(&r->args);
	struct ld_pw w;

	proto_reply_begin(&w, buf, cap, r->id, 4);
	proto_w_str(&w, "call");
	proto_w_str(&w, r->args.call);
	proto_w_str(&w, "valid");
	proto_w_bool(&w, r->args.valid);
	proto_w_str(&w, "class");
	proto_w_str(&w, cls != 0 ? event_enum_name(LD_F_CLASS, cls) : NULL);
	proto_w_str(&w, "forwarded");
	proto_w_bool(&w, p->forwarded);
	return req_reply_end(&w, r, err);
}

/* Read ticket id for a reply; the request was committed, so a missing
 * ticket is the store's fault, not the caller's. */
static int
req_read(const struct ld_req_env *env, const char *id, struct ld_ticket *t,
    struct ld_err *err)
{
	int rc = store_get_ticket(env->s, id, t, err);

	if (rc == LD_ENOTFOUND)
		return err_set(err, LD_ECORRUPT, "ticket %s: not found after "
		    "its change was committed", id);
	return rc;
}

/* The earlier tickets of a phone number, newest first, gathered from the
 * by_phone index (phone NUL | ticket id NUL) a page at a time: reads run
 * in snapshots of their own, so the scan only collects ids. */
#define REQ_EARLIER_PAGE 16
#define REQ_EARLIER_SCAN (10 * LD_REQ_EARLIER_MAX)	/* keys looked at */

struct req_earlier {
	size_t plen;		/* phone NUL */
	char ids[REQ_EARLIER_PAGE][LD_TICKET_MAX + 1];
	int n;
	uint8_t last[LD_PHONE_MAX + LD_TICKET_MAX + 2];	/* key to go below */
	size_t last_len;
};

static int
req_earlier_key(const uint8_t *key, size_t len, void *arg)
{
	struct req_earlier *e = arg;
	size_t idlen;

	if (len <= e->plen || len > sizeof(e->last))
		return 0;	/* not a key of ours: skip */
	memcpy(e->last, key, len);
	e->last_len = len;
	idlen = len - e->plen;
	if (key[len - 1] == '\0')	/* the id's own NUL */
		idlen--;
	if (idlen == 0 || idlen > LD_TICKET_MAX)
		return 0;
	memcpy(e->ids[e->n], key + e->plen, idlen);
	e->ids[e->n][idlen] = '\0';
	return ++e->n == REQ_EARLIER_PAGE;
}

/* A candidate for `earlier`: when it was created, and its id. */
struct req_earlier_pos {
	int64_t created;
	char id[LD_TICKET_MAX + 1];
};

/* Newest first: created later, or at the same moment with a higher id. */
static int
req_earlier_cmp(const void *pa, const void *pb)
{
	const struct req_earlier_pos *a = pa, *b = pb;

	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return -strcmp(a->id, b->id);
}

/*
 * Up to LD_REQ_EARLIER_MAX tickets of the new ticket nt's phone that were
 * created before it and that the caller may see, newest first by when
 * they were created (ids of several origins do not sort by time, and a
 * ticket created later in the same batch is not "earlier").  The phone's
 * REQ_EARLIER_SCAN most recent ids are looked at.  Returns how many are
 * in out[], or an LD_E* code.
 */
static int
req_earlier(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_ticket *nt, struct ld_ticket *out, struct ld_err *err)
{
	struct req_earlier e;
	struct req_earlier_pos *cand;
	struct ld_ticket *t = &out[0];	/* scratch until the end */
	int n = 0, looked = 0, rc = LD_OK;

	memset(&e, 0, sizeof(e));
	e.plen = strlen(nt->phone) + 1;
	if (e.plen == 1)
		return 0;
	cand = calloc(REQ_EARLIER_SCAN, sizeof(*cand));
	if (cand == NULL)
		return err_set(err, LD_ENOMEM, "ticket.create: out of memory");
	do {
		e.n = 0;
		rc = store_scan_back(env->s, "by_phone", nt->phone, e.plen,
		    e.last_len ? e.last : NULL, e.last_len, req_earlier_key, &e,
		    err);
		if (rc != LD_OK)
			break;
		looked += e.n;
		for (int i = 0; i < e.n && n < REQ_EARLIER_SCAN; i++) {
			if (store_get_ticket(env->s, e.ids[i], t, NULL) != 0 ||
			    req_can_see(env, c, t, NULL) != 0 ||
			    t->created_ms > nt->created_ms ||
			    (t->created_ms == nt->created_ms &&
			    strcmp(t->id, nt->id) >= 0))
				continue;
			cand[n].created = t->created_ms;
			memcpy(cand[n].id, t->id, sizeof(cand[n].id));
			n++;
		}
	} while (e.n == REQ_EARLIER_PAGE && looked < REQ_EARLIER_SCAN);
	if (rc == LD_OK) {
		qsort(cand, (size_t)n, sizeof(*cand), req_earlier_cmp);
		if (n > LD_REQ_EARLIER_MAX)
			n = LD_REQ_EARLIER_MAX;
		for (int i = 0; i < n && rc == LD_OK; i++)
			rc = store_get_ticket(env->s, cand[i].id, &out[i], err);
	}
	free(cand);
	return rc == LD_OK ? n : rc;
}

/* {"ticket": VIEW, "earlier": [SUMMARY...]}: the new ticket's id is in
 * the head event, given by the store in the commit. */
/* Open incidents in the new ticket's area, started within a day of it:
 * the operator may attach the ticket (incident.attach) instead of
 * dispatching it again.  "incidents": [SUMMARY...], at most 5. */
struct req_inc {
	char id[5][LD_TICKET_MAX + 1];
	int n;
};

static int
req_inc_cb(const uint8_t *key, size_t len, void *arg)
{
	struct req_inc *x = arg;

	if (views_key_ticket(key, len, x->id[x->n]))
		x->n++;
	return x->n >= 5;
}

static void
req_write_incidents(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_ticket *t, struct ld_pw *w)
{
	struct req_inc x = { .n = 0 };
	struct ld_ticket *lead = NULL;
	char prefix[LD_ID_MAX + 1];
	struct ld_err e;
	int m = 0;

	snprintf(prefix, sizeof(prefix), "%s", t->area);
	if (t->plan[0] == '\0' && t->incident[0] == '\0')
		(void)store_scan(env->s, "by_plan", prefix, strlen(prefix) + 1,
		    req_inc_cb, &x, &e);
	/* most calls have no incident near: nothing allocated for them */
	if (x.n > 0 && (lead = calloc((size_t)x.n, sizeof(*lead))) == NULL)
		x.n = 0;
	for (int i = 0; i < x.n; i++)
		if (store_get_ticket(env->s, x.id[i], &lead[m], &e) == LD_OK &&
		    t->created_ms - lead[m].created_ms < 86400000LL &&
		    req_can_see(env, c, &lead[m], &e) == LD_OK)
			m++;
	proto_w_str(w, "incidents");
	proto_w_array(w, (uint32_t)m);
	for (int i = 0; i < m; i++)
		req_write_summary(w, env->t, c, &lead[i], env->now);
	free(lead);
}

static int
req_result_create(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, const struct ld_req_plan *p, uint8_t *buf,
    size_t cap, struct ld_err *err)
{
	struct ld_ticket *t;	/* [0] the new one, then the earlier ones */
	struct ld_pw w;
	int n, rc;

	if (p->n == 0 || p->ev[0].ticket[0] == '\0')
		return err_set(err, LD_EINVAL, "ticket.create: the store gave "
		    "the ticket no id");
	if ((t = calloc(1 + LD_REQ_EARLIER_MAX, sizeof(*t))) == NULL)
		return err_set(err, LD_ENOMEM, "ticket.create: out of memory");
	rc = req_read(env, p->ev[0].ticket, &t[0], err);
	n = rc == LD_OK ? req_earlier(env, c, &t[0], t + 1, err) : rc;
	if (n < 0) {
		free(t);
		return n;
	}
	proto_reply_begin(&w, buf, cap, r->id, 3);
	proto_w_str(&w, "ticket");
	req_write_view(&w, env->t, c, &t[0], env->now);
	proto_w_str(&w, "earlier");
	proto_w_array(&w, (uint32_t)n);
	for (int i = 1; i <= n; i++)
		req_write_summary(&w, env->t, c, &t[i], env->now);
	req_write_incidents(env, c, &t[0], &w);
	free(t);
	return req_reply_end(&w, r, err);
}

/* {"ticket": VIEW}, read after the commit. */
static int
req_result_ticket(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, const struct ld_req_plan *p, uint8_t *buf,
    size_t cap, struct ld_err *err)
{
	struct ld_ticket *t;
	struct ld_pw w;
	int rc;

	if ((t = malloc(sizeof(*t))) == NULL)
		return err_set(err, LD_ENOMEM, "%s: out of memory",
		    proto_op_name(r->op));
	if ((rc = req_read(env, p->ticket, t, err)) != LD_OK) {
		free(t);
		return rc;
	}
	/* incident.close also says how many attached callers are left */
	proto_reply_begin(&w, buf, cap, r->id, r->op == LD_OP_INCIDENT_CLOSE ?
	    2 : 1);
	proto_w_str(&w, "ticket");
	req_write_view(&w, env->t, c, t, env->now);
	if (r->op == LD_OP_INCIDENT_CLOSE) {
		proto_w_str(&w, "left");
		proto_w_uint(&w, p->left);
	}
	free(t);
	return req_reply_end(&w, r, err);
}

int
req_result(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, const struct ld_req_plan *p, uint8_t *buf,
    size_t cap, struct ld_err *err)
{
	if ((unsigned)r->op >= LD_OP__COUNT || req_ops[r->op].plan == NULL)
		return err_set(err, LD_EINVAL, "'%s' is not a change",
		    proto_op_name(r->op));
	switch (r->op) {
	case LD_OP_CALL_LOG:
		return req_result_call(r, p, buf, cap, err);
	case LD_OP_TICKET_CREATE:
		return req_result_create(env, c, r, p, buf, cap, err);
	default:
		return req_result_ticket(env, c, r, p, buf, cap, err);
	}
}
