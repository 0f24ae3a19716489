/*
 * req_auth.c - who is asking, and what they may see and touch (req.h).
 *
 * The caller's identity comes only from the CURVE key (the ZAP handler's
 * User-Id, auth.c); nothing in a request body is trusted for it.  Roles
 * come from the topology's [client] entry; scope from the ticket (its
 * owner node, its work orders' units).
 */
#include "req.h"

#include <stdio.h>
#include <string.h>

int
req_caller(const struct ld_req_env *env, const char *user_id,
    struct ld_caller *c, struct ld_err *err)
{
	const struct ld_topo *t = env->t;
	static const char *const prefix[] = {
		[LD_ROLE_OPERATOR] = "op", [LD_ROLE_UNIT] = "unit",
		[LD_ROLE_ADMIN] = "admin",
	};

	memset(c, 0, sizeof(*c));
	c->client = -1;
	c->unit = -1;
	for (int i = 0; user_id != NULL && i < t->n_clients; i++) {
		const struct ld_topo_client *cl = &t->clients[i];

		if (strcmp(cl->id, user_id) != 0)
			continue;
		if (cl->node != env->self || cl->role < LD_ROLE_OPERATOR ||
		    cl->role > LD_ROLE_ADMIN)
			break;
		c->client = i;
		c->role = cl->role;
		c->unit = cl->role == LD_ROLE_UNIT ? cl->unit : -1;
		snprintf(c->actor, sizeof(c->actor), "%s:%s", prefix[cl->role],
		    cl->id);
		return LD_OK;
	}
	return err_set(err, LD_EREFUSED, "caller '%s' is not a client of node "
	    "%s", user_id ? user_id : "(none)", t->nodes[env->self].id);
}

int
req_allowed(const struct ld_caller *c, enum ld_op op, struct ld_err *err)
{
	if ((unsigned)op >= LD_OP__COUNT || op == LD_OP_NONE)
		return err_set(err, LD_EINVAL, "op: none");
	if (proto_ops[op].roles & (1u << c->role))
		return LD_OK;
	return err_set(err, LD_EREFUSED, "role %s may not call '%s'",
	    topo_role_name(c->role), proto_ops[op].name);
}

bool
req_is_query(enum ld_op op)
{
	switch (op) {
	case LD_OP_TICKET_SHOW:
	case LD_OP_TICKET_LIST:
	case LD_OP_WO_QUEUE:
	case LD_OP_FIGURES:
	case LD_OP_STATUS:
	case LD_OP_REPORT:
	case LD_OP_SPOT_CHECK:
	case LD_OP_OUTBOX_LIST:
	case LD_OP_OUTBOX_RETRY:
	case LD_OP_INCIDENT_SHOW:
		return true;
	default:
		return false;
	}
}

const char *
req_ticket_of(const struct ld_request *r)
{
	if (req_is_query(r->op) || !(r->q_present & (1u << LD_Q_TICKET)))
		return "";
	return r->ticket;
}

size_t
req_events_max(const struct ld_request *r)
{
	switch (r->op) {
	case LD_OP_CALL_LOG:
		return 3;	/* received, answered, classified */
	case LD_OP_WO_REROUTE:
	case LD_OP_TICKET_DISPATCH:
		return 1 + LD_UNITS_MAX;	/* routed, dispatched... */
	case LD_OP_TRANSFER_ACCEPT:
		return LD_REQ_EVENTS_MAX;	/* accepted, routed, dispatched... */
	case LD_OP_TICKET_CALLBACK:
		return 2;	/* callback, and reopened or closed */
	case LD_OP_TICKET_CREATE:
	case LD_OP_PLAN_START:
		return 3 + 2 * LD_UNITS_MAX;	/* (created, routed,
						 * dispatched...), plan, its
						 * dispatches, gov report */
	case LD_OP_INCIDENT_ANNOUNCE:
		return LD_UNITS_MAX;	/* one per channel */
	case LD_OP_INCIDENT_CLOSE:
		return LD_REQ_EVENTS_MAX;
	default:
		return req_is_query(r->op) ? 0 : 1;
	}
}

/* Is the ticket's node this county-level node's own?  (City-level
 * operators see their whole store.) */
static bool
req_county_scope(const struct ld_req_env *env)
{
	return env->t->nodes[env->self].level >= LD_TL_COUNTY;
}

static bool
req_has_unit(const struct ld_topo *top, const struct ld_ticket *t, int unit)
{
	if (unit < 0 || unit >= top->n_units)
		return false;
	for (int i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (strcmp(t->wo[i].unit, top->units[unit].id) == 0)
			return true;
	return false;
}

/* Did node self create ticket t (its id's prefix)? */
static bool
req_created_by(const struct ld_ticket *t, const char *self)
{
	size_t n = strlen(self);

	return strncmp(t->id, self, n) == 0 && t->id[n] == '-';
}

int
req_can_see(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_ticket *t, struct ld_err *err)
{
	const char *self = env->t->nodes[env->self].id;

	switch (c->role) {
	case LD_ROLE_ADMIN:
		return LD_OK;
	case LD_ROLE_OPERATOR:
		/* a county's: what it owns, what is handed to it, and what
		 * it created (also once escalated) */
		if (!req_county_scope(env) || strcmp(t->owner, self) == 0 ||
		    strcmp(t->transfer_to, self) == 0 ||
		    req_created_by(t, self))
			return LD_OK;
		return err_set(err, LD_EREFUSED, "ticket %s is not a ticket of "
		    "node %s", t->id, self);
	case LD_ROLE_UNIT:
		if (req_has_unit(env->t, t, c->unit))
			return LD_OK;
		return err_set(err, LD_EREFUSED, "ticket %s has no work order "
		    "of unit %s", t->id, c->unit >= 0 && c->unit <
		    env->t->n_units ? env->t->units[c->unit].id : "?");
	default:
		return err_set(err, LD_EREFUSED, "no role");
	}
}

int
req_own_wo(const struct ld_caller *c, const struct ld_topo *top,
    const struct ld_ticket *t, uint32_t wo, struct ld_err *err)
{
	const struct ld_wo *w;

	if (wo < 1 || wo > t->n_wo || wo > LD_WO_MAX)
		return err_set(err, LD_ENOTFOUND, "ticket %s has no work order "
		    "%u", t->id, wo);
	w = &t->wo[wo - 1];
	if (c->role != LD_ROLE_UNIT)
		return LD_OK;
	if (c->unit >= 0 && c->unit < top->n_units &&
	    strcmp(w->unit, top->units[c->unit].id) == 0)
		return LD_OK;
	return err_set(err, LD_EREFUSED, "work order %u of %s is not "
	    "dispatched to unit %s", wo, t->id,
	    c->unit >= 0 && c->unit < top->n_units ? top->units[c->unit].id :
	    "?");
}
