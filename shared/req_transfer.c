/*
 * req_transfer.c - requests that move a ticket between nodes, or dispatch
 * one a transfer left with its owner (docs/federation.md §5):
 *
 *   ticket.escalate   transfer.requested up, to the parent
 *   ticket.handdown   transfer.requested down, to a child
 *   transfer.accept   transfer.accepted, then routed and dispatched by
 *                     this node's rules (one request, all or nothing)
 *   transfer.refuse   transfer.refused
 *   ticket.dispatch   routed and dispatched (a ticket nobody took over)
 *
 * and the choice ticket.create makes: does a new request stay here, go up
 * or go down (req_transfer_target).
 */
#include "req_int.h"
#include "fed.h"

#include <stdio.h>
#include <string.h>

int
req_transfer_target(const struct req_ctx *x, const struct ld_topo_route *rt)
{
	const struct ld_topo *top = x->env->t;
	int self = x->env->self, n;

	if (rt->node == self || rt->node < 0)
		return -1;
	if (fed_in_subtree(top, rt->node, self)) {
		/* below: the child on the way to the area's owner */
		for (n = rt->node; top->nodes[n].parent != self;
		    n = top->nodes[n].parent)
			;
		return top->nodes[n].running ? n : -1;
	}
	/* elsewhere: up (the common parent of two counties is above) */
	n = top->nodes[self].parent;
	return n >= 0 && top->nodes[n].running ? n : -1;
}

/* transfer.requested to node `to` in direction dir. */
static int
req_transfer(struct req_ctx *x, int to, enum ld_direction dir,
    const char *why)
{
	const struct ld_event *a = &x->r->args;
	struct ld_event *ev;
	int rc;

	if ((rc = req_next(x, LD_EV_TRANSFER_REQUESTED, x->t.id, &ev)) != 0)
		return rc;
	event_set_str(ev, LD_F_NODE, x->env->t->nodes[to].id);
	event_set_uint(ev, LD_F_DIRECTION, dir);
	event_set_str(ev, LD_F_REASON, event_has(a, LD_F_REASON) ? a->reason :
	    why);
	return LD_OK;
}

int
req_plan_escalate(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	int up = top->nodes[x->env->self].parent;

	if (up < 0)
		return err_set(x->err, LD_EREFUSED, "ticket.escalate: node %s "
		    "has no parent node", top->nodes[x->env->self].id);
	if (!top->nodes[up].running)
		return err_set(x->err, LD_EREFUSED, "ticket.escalate: the "
		    "parent node %s is not running", top->nodes[up].id);
	return req_transfer(x, up, LD_DIR_UP, "escalated");
}

int
req_plan_handdown(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_event *a = &x->r->args;
	struct ld_topo_route rt;
	int to, rc;

	if (event_has(a, LD_F_NODE)) {
		to = topo_node(top, a->node);
		if (to < 0)
			return err_set(x->err, LD_EUNKNOWN, "args.node: unknown "
			    "node '%s'", a->node);
	} else {
		/* the child towards the node whose jurisdiction the area is */
		if ((rc = req_route(x, x->t.category, x->t.area, x->t.urgency,
		    &rt)) != 0)
			return rc;
		to = req_transfer_target(x, &rt);
		if (to < 0 || top->nodes[to].parent != x->env->self)
			return err_set(x->err, LD_EREFUSED, "ticket.handdown: "
			    "area %s is this node's own; name the node",
			    x->t.area);
	}
	if (top->nodes[to].parent != x->env->self)
		return err_set(x->err, LD_EREFUSED, "args.node: %s is not a "
		    "child of node %s", top->nodes[to].id,
		    top->nodes[x->env->self].id);
	if (!top->nodes[to].running)
		return err_set(x->err, LD_EREFUSED, "args.node: node %s is "
		    "not running", top->nodes[to].id);
	return req_transfer(x, to, LD_DIR_DOWN, "handed down");
}

/* The ticket must be on its way to this node. */
static int
req_to_me(struct req_ctx *x)
{
	const char *self = x->env->t->nodes[x->env->self].id;

	if (strcmp(x->t.transfer_to, self) == 0)
		return LD_OK;
	return err_set(x->err, LD_EREFUSED, "%s: ticket %s is not being "
	    "handed to node %s", req_op_name(x), x->t.id, self);
}

/*
 * transfer.accepted, then this node routes the ticket by its own rules
 * and dispatches it: one request.  Returned work orders count as
 * re-routed (ticket.h), so the new ones are numbered after them.
 */
int
req_plan_accept(struct req_ctx *x)
{
	const struct ld_event *a = &x->r->args;
	struct ld_topo_route rt;
	struct ld_event *ev;
	int rc;

	if ((rc = req_to_me(x)) != 0 ||
	    (rc = req_route(x, x->t.category, x->t.area, x->t.urgency,
	    &rt)) != 0)
		return rc;
	if ((rc = req_next(x, LD_EV_TRANSFER_ACCEPTED, x->t.id, &ev)) != 0)
		return rc;
	event_set_str(ev, LD_F_NODE, x->env->t->nodes[x->env->self].id);
	if (event_has(a, LD_F_NOTE))
		event_set_str(ev, LD_F_NOTE, a->note);
	if (x->t.n_wo + (unsigned)rt.n_units > LD_WO_MAX)
		return err_set(x->err, LD_ELIMIT, "transfer.accept: ticket %s "
		    "would have more than %d work orders", x->t.id, LD_WO_MAX);
	for (int i = 0; i < x->env->t->n_plans; i++)
		if (x->env->t->plans[i].category ==
		    topo_category(x->env->t, x->t.category) &&
		    x->t.plan[0] == '\0') {
			req_plan_deadlines(x->env->t, i, &rt);
			break;
		}
	if ((rc = req_plan_dispatch_route(x, x->t.id, &rt, x->t.n_wo)) != 0)
		return rc;
	/* a category with an emergency plan: this node starts it (a county
	 * that could not escalated it here) */
	for (int i = 0; i < x->env->t->n_plans; i++)
		if (x->env->t->plans[i].category ==
		    topo_category(x->env->t, x->t.category) &&
		    x->t.plan[0] == '\0' && req_plan_needs_parent(x, i, NULL,
		    0) == 0)
			return req_plan_incident(x, x->t.id, i);
	return LD_OK;
}

int
req_plan_refuse(struct req_ctx *x)
{
	struct ld_event *ev;
	int rc;

	if ((rc = req_to_me(x)) != 0 ||
	    (rc = req_next(x, LD_EV_TRANSFER_REFUSED, x->t.id, &ev)) != 0)
		return rc;
	event_set_str(ev, LD_F_NODE, x->env->t->nodes[x->env->self].id);
	event_set_str(ev, LD_F_REASON, x->r->args.reason);
	return LD_OK;
}

/* A new ticket (nobody took it over) to the units named, or by the
 * topology's rules; the deadlines are the category's. */
int
req_plan_dispatch(struct req_ctx *x)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_event *a = &x->r->args;
	struct ld_topo_route rt;
	int rc;

	if ((rc = req_route(x, x->t.category, x->t.area, x->t.urgency,
	    &rt)) != 0)
		return rc;
	if (event_has(a, LD_F_UNITS)) {
		int64_t sign = rt.sign_ms[0], done = rt.complete_ms[0];
		uint16_t wd = rt.complete_wd[0];

		rt.n_units = 0;
		for (uint32_t i = 0; i < a->n_units; i++) {
			int u = topo_unit(top, a->units[i]);

			if (u < 0)
				return err_set(x->err, LD_EUNKNOWN, "args.units[%u]"
				    ": unknown unit '%s'", i, a->units[i]);
			rt.units[rt.n_units] = u;
			rt.sign_ms[rt.n_units] = sign;
			rt.complete_ms[rt.n_units] = done;
			rt.complete_wd[rt.n_units] = wd;
			rt.n_units++;
		}
		rt.rule = -1;
		rt.fallback = -1;
	}
	if (x->t.n_wo + (unsigned)rt.n_units > LD_WO_MAX)
		return err_set(x->err, LD_ELIMIT, "ticket.dispatch: ticket %s "
		    "would have more than %d work orders", x->t.id, LD_WO_MAX);
	return req_plan_dispatch_route(x, x->t.id, &rt, x->t.n_wo);
}
