/* req_int.h - what the request planners share (req_change.c,
 * req_transfer.c).  Nothing else includes this. */
#ifndef LD_REQ_INT_H
#define LD_REQ_INT_H

#include "req.h"

/* One req_plan call. */
struct req_ctx {
	const struct ld_req_env *env;
	const struct ld_caller *c;
	const struct ld_request *r;
	struct ld_req_plan *p;
	size_t cap;		/* room in p->ev */
	struct ld_err *err;
	struct ld_ticket t;	/* ops on a ticket: our copy, as read */
	struct ld_ticket scratch;	/* another ticket a planner reads */
};

/* The op's wire name ("ticket.create"), for messages. */
const char *req_op_name(const struct req_ctx *x);
/* The next event of the plan, its envelope set (origin this node, seq 0,
 * time now, actor the caller, ticket: "" where the store fills it in). */
int req_next(struct req_ctx *x, enum ld_event_kind kind, const char *ticket,
    struct ld_event **out);
/* Fill ev's payload with the request's arguments its kind takes. */
int req_take_args(struct req_ctx *x, struct ld_event *ev);
/* A work order's deadlines: those of slot k of route rt from now (the
 * sign-for clock starts at dispatch; the deadline to complete in clock
 * time or in working days: topo_due). */
void req_set_due(struct req_ctx *x, struct ld_event *ev,
    const struct ld_topo_route *rt, int k);
/* Route (category, area, urgency): LD_EUNKNOWN, LD_EREFUSED with reasons
 * fit for the wire. */
int req_route(struct req_ctx *x, const char *category, const char *area,
    unsigned urgency, struct ld_topo_route *rt);
/* The routed event's rule text. */
void req_rule_text(const struct ld_topo *top, const struct ld_topo_route *rt,
    char *buf, size_t cap);
/* routed + one dispatched per unit of route rt (work orders from wo + 1),
 * on ticket id ("" inside a ticket.create group). */
int req_plan_dispatch_route(struct req_ctx *x, const char *id,
    const struct ld_topo_route *rt, unsigned wo);

/* req_incident.c: plan.activated, the plan's dispatches and the report to
 * the government on ticket id (x->t: the ticket as it will be), for plan
 * (index into the topology's plans); and the incident ops. */
int req_plan_incident(struct req_ctx *x, const char *id, int plan);
/* Does the plan need units above this node?  why: "emergency plan P needs
 * units of the city: power water". */
int req_plan_needs_parent(const struct req_ctx *x, int plan, char *why,
    size_t cap);
/* transfer.requested up to the parent, for that reason. */
int req_plan_escalate_plan(struct req_ctx *x, const char *id,
    const char *why);
int req_plan_plan_start(struct req_ctx *x);
int req_plan_attach(struct req_ctx *x);
/* The plan's own deadlines (if it has them) for the units of rt it names. */
void req_plan_deadlines(const struct ld_topo *top, int plan,
    struct ld_topo_route *rt);

/* An open incident of plan in area, owned here, started within a day:
 * its id into id (LD_TICKET_MAX + 1) and 1, else 0. */
int req_open_incident(struct req_ctx *x, const char *area, int plan,
    char *id);
/* ticket.create with an incident: the attached event of the new ticket. */
int req_plan_attach_new(struct req_ctx *x);
int req_plan_announce(struct req_ctx *x);
int req_plan_gov(struct req_ctx *x);
int req_plan_incident_close(struct req_ctx *x);

/* req_transfer.c */
int req_plan_escalate(struct req_ctx *x);
int req_plan_handdown(struct req_ctx *x);
int req_plan_accept(struct req_ctx *x);
int req_plan_refuse(struct req_ctx *x);
int req_plan_dispatch(struct req_ctx *x);
/* The node a new ticket of route rt goes to instead of this one (its
 * parent, or the child towards the area's owner), or -1: this node
 * handles it. */
int req_transfer_target(const struct req_ctx *x, const struct ld_topo_route *rt);

#endif
