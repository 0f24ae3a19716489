/*
 * req_incident.c - major incidents (issue 7, docs/protocol.md): starting
 * an emergency plan on a ticket (the incident's lead), the report to the
 * city government, public announcements on the plan's channels, tickets
 * of further callers attached to the incident, and its close with a
 * summary that every attached caller is told.
 *
 * An incident is its lead ticket: the one a plan was activated on
 * (plan.activated); its id is the lead ticket's id.  The plan's units get
 * work orders on the lead ticket (they count in the assessment like any
 * others); attached tickets have none of their own.
 */
#include "req.h"
#include "req_int.h"
#include "fed.h"
#include "ltime.h"
#include "utf8.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plan of the topology named id, or the one whose category is the
 * ticket's; -1 if none. */
static int
ri_plan_of(const struct ld_topo *top, const char *id, const char *category)
{
	int cat = category != NULL ? topo_category(top, category) : -1;

	for (int i = 0; i < top->n_plans; i++) {
		if (id != NULL && id[0] != '\0') {
			if (strcmp(top->plans[i].id, id) == 0)
				return i;
		} else if (cat >= 0 && top->plans[i].category == cat) {
			return i;
		}
	}
	return -1;
}

/* The government report's text: what, when, where, who acts. */
static void
ri_gov_text(const struct ld_topo *top, const struct ld_ticket *t,
    const struct ld_topo_plan *p, const char *note, char *buf, size_t cap)
{
	char when[24];
	int a = topo_area(top, t->area);
	size_t o;

	ltime_format(t->created_ms, when, sizeof(when));
	o = (size_t)snprintf(buf, cap, "【应急联动报告】%s，%s（%s）：%s。"
	    "已启动%s，处置单位：", when, t->place, a >= 0 ?
	    top->areas[a].name : t->area, t->text, p->name);
	for (int i = 0; i < p->n_units && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "、" : "",
		    top->units[p->units[i]].name);
	if (o < cap && note != NULL && note[0] != '\0')
		o += (size_t)snprintf(buf + o, cap - o, "。%s", note);
	if (o < cap)
		snprintf(buf + o, cap - o, "。");
	utf8_trim(buf);	/* a cut mid-character would be refused */
}

int
req_plan_needs_parent(const struct req_ctx *x, int plan, char *why,
    size_t cap)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_topo_plan *p = &top->plans[plan];
	int self = x->env->self;
	size_t o = 0;
	bool needs = false;

	if (top->nodes[self].parent < 0)
		return 0;	/* the top node has every unit below it */
	if (cap > 0)
		o = (size_t)snprintf(why, cap, "emergency plan %s needs units "
		    "of the city:", p->id);
	for (int i = 0; i < p->n_units; i++) {
		if (fed_in_subtree(top, top->units[p->units[i]].node, self))
			continue;
		needs = true;
		if (o < cap)
			o += (size_t)snprintf(why + o, cap - o, " %s",
			    top->units[p->units[i]].id);
	}
	return needs;
}

/* A plan this county cannot carry out: the ticket goes up to the parent,
 * which starts the plan when it takes the ticket over. */
int
req_plan_escalate_plan(struct req_ctx *x, const char *id, const char *why)
{
	const struct ld_topo *top = x->env->t;
	int parent = top->nodes[x->env->self].parent;
	struct ld_event *ev;
	int rc;

	if ((rc = req_next(x, LD_EV_TRANSFER_REQUESTED, id, &ev)) != LD_OK)
		return rc;
	event_set_str(ev, LD_F_NODE, top->nodes[parent].id);
	event_set_uint(ev, LD_F_DIRECTION, LD_DIR_UP);
	event_set_str(ev, LD_F_REASON, why);
	return LD_OK;
}

void
req_plan_deadlines(const struct ld_topo *top, int plan,
    struct ld_topo_route *rt)
{
	const struct ld_topo_plan *p = &top->plans[plan];

	if (p->sign_ms <= 0)
		return;
	for (int k = 0; k < rt->n_units; k++)
		for (int i = 0; i < p->n_units; i++)
			if (rt->units[k] == p->units[i]) {
				rt->sign_ms[k] = p->sign_ms;
				rt->complete_ms[k] = p->complete_ms;
				rt->complete_wd[k] = p->complete_wd;
			}
}

int
req_plan_incident(struct req_ctx *x, const char *id, int plan)
{
	const struct ld_topo *top = x->env->t;
	const struct ld_topo_plan *p = &top->plans[plan];
	const struct ld_ticket *t = &x->t;
	struct ld_topo_route rt;
	struct ld_event *ev;
	unsigned wo = t->n_wo;
	int rc;

	for (size_t j = 0; j < x->p->n; j++)	/* dispatched in this request */
		if (x->p->ev[j].kind == LD_EV_DISPATCHED && x->p->ev[j].wo > wo)
			wo = x->p->ev[j].wo;
	/* the deadlines: the plan's own, else its category's route in the
	 * ticket's area (the ticket may be of another category) */
	if (req_route(x, top->categories[p->category].id, t->area, t->urgency,
	    &rt) != LD_OK &&
	    (rc = req_route(x, t->category, t->area, t->urgency, &rt)) != 0)
		return rc;
	if ((rc = req_next(x, LD_EV_PLAN_ACTIVATED, id, &ev)) != LD_OK)
		return rc;
	event_set_str(ev, LD_F_PLAN, p->id);
	for (int i = 0; i < p->n_units; i++)
		event_add_unit(ev, top->units[p->units[i]].id);
	event_set_bool(ev, LD_F_GOV, p->report_gov);
	if (event_has(&x->r->args, LD_F_NOTE))
		event_set_str(ev, LD_F_NOTE, x->r->args.note);
	/* every unit of the plan at once, unless already at work on it */
	for (int i = 0; i < p->n_units; i++) {
		const char *u = top->units[p->units[i]].id;
		bool busy = false;
		int k = 0;

		for (unsigned j = 0; j < t->n_wo && j < LD_WO_MAX; j++)
			busy |= ticket_wo_open(&t->wo[j]) &&
			    strcmp(t->wo[j].unit, u) == 0;
		for (size_t j = 0; j < x->p->n; j++)
			busy |= x->p->ev[j].kind == LD_EV_DISPATCHED &&
			    strcmp(x->p->ev[j].unit, u) == 0;
		if (busy)
			continue;
		if (wo >= LD_WO_MAX)
			return err_set(x->err, LD_ELIMIT, "plan %s: the ticket "
			    "would have more than %d work orders", p->id,
			    LD_WO_MAX);
		for (int m = 0; m < rt.n_units; m++)
			if (rt.units[m] == p->units[i])
				k = m;
		if (p->sign_ms > 0) {	/* a unit the route does not name */
			rt.sign_ms[k] = p->sign_ms;
			rt.complete_ms[k] = p->complete_ms;
			rt.complete_wd[k] = p->complete_wd;
		}
		if ((rc = req_next(x, LD_EV_DISPATCHED, id, &ev)) != LD_OK)
			return rc;
		event_set_uint(ev, LD_F_WO, ++wo);
		event_set_str(ev, LD_F_UNIT, u);
		req_set_due(x, ev, &rt, k);
		event_set_str(ev, LD_F_NOTE, p->name);
	}
	if (p->report_gov) {
		char text[LD_TEXT_MAX + 1];

		if ((rc = req_next(x, LD_EV_GOV_REPORTED, id, &ev)) != LD_OK)
			return rc;
		ri_gov_text(top, t, p, event_has(&x->r->args, LD_F_NOTE) ?
		    x->r->args.note : NULL, text, sizeof(text));
		event_set_str(ev, LD_F_TEXT, text);
		event_set_str(ev, LD_F_PLAN, p->id);
	}
	return LD_OK;
}

/* plan.start: the plan named (or the ticket category's) on this ticket. */
int
req_plan_plan_start(struct req_ctx *x)
{
	const struct ld_event *a = &x->r->args;
	int plan = ri_plan_of(x->env->t, event_has(a, LD_F_PLAN) ? a->plan :
	    NULL, x->t.category);

	if (plan < 0 && event_has(a, LD_F_PLAN))
		return err_set(x->err, LD_EUNKNOWN, "args.plan: unknown plan "
		    "'%s'", a->plan);
	if (plan < 0)
		return err_set(x->err, LD_EREFUSED, "plan.start: no emergency "
		    "plan for category %s; name one (plan=...)", x->t.category);
	{
		char why[LD_NOTE_MAX + 1];

		if (req_plan_needs_parent(x, plan, why, sizeof(why))) {
			if (x->t.state != LD_TS_NEW &&
			    x->t.state != LD_TS_RETURNED)
				return err_set(x->err, LD_EREFUSED, "plan.start: "
				    "%s; only a new or returned ticket can be "
				    "escalated to the city, which starts it",
				    why);
			return req_plan_escalate_plan(x, x->t.id, why);
		}
	}
	return req_plan_incident(x, x->t.id, plan);
}

/* The lead ticket of incident id, read: it must have a plan. */
static int
ri_lead(struct req_ctx *x, const char *id, struct ld_ticket *lead)
{
	int rc = store_get_ticket(x->env->s, id, lead, x->err);

	if (rc == LD_ENOTFOUND)
		return err_set(x->err, LD_ENOTFOUND, "incident %s: no such "
		    "ticket", id);
	if (rc != LD_OK)
		return rc;
	if (lead->plan[0] == '\0')
		return err_set(x->err, LD_EREFUSED, "%s is not an incident (no "
		    "emergency plan was started on it)", id);
	return LD_OK;
}

/* The incident a ticket is to join: open, and visible to the caller. */
static int
ri_joinable(struct req_ctx *x)
{
	struct ld_ticket *lead = &x->scratch;
	int rc;

	if ((rc = ri_lead(x, x->r->args.incident, lead)) != LD_OK)
		return rc;
	if (strcmp(lead->owner, x->env->t->nodes[x->env->self].id) != 0)
		return err_set(x->err, LD_EREFUSED, "incident %s belongs to node "
		    "%s: record the call there", lead->id, lead->owner);
	if (lead->state == LD_TS_CLOSED || lead->state == LD_TS_REPORTED ||
	    lead->state == LD_TS_CALLED_BACK)
		return err_set(x->err, LD_EREFUSED, "incident %s is over (%s)",
		    lead->id, ticket_state_name(lead->state));
	return req_can_see(x->env, x->c, lead, x->err);
}

struct ri_open {
	char id[LD_TICKET_MAX + 1];
	const struct req_ctx *x;
	const char *plan;
	struct ld_ticket *t;
	bool found;
};

static int
ri_open_cb(const uint8_t *key, size_t len, void *arg)
{
	struct ri_open *o = arg;
	struct ld_err e;

	if (!views_key_ticket(key, len, o->id))
		return 0;
	o->found = store_get_ticket(o->x->env->s, o->id, o->t, &e) == LD_OK &&
	    strcmp(o->t->plan, o->plan) == 0 &&
	    strcmp(o->t->owner, o->x->env->t->nodes[o->x->env->self].id) == 0 &&
	    o->x->env->now - o->t->created_ms < 86400000LL;
	return o->found;
}

int
req_open_incident(struct req_ctx *x, const char *area, int plan, char *id)
{
	struct ri_open o = { .x = x,
		.plan = x->env->t->plans[plan].id, .t = &x->scratch };
	char prefix[LD_ID_MAX + 1];
	struct ld_err e;

	snprintf(prefix, sizeof(prefix), "%s", area);
	(void)store_scan(x->env->s, "by_plan", prefix, strlen(prefix) + 1,
	    ri_open_cb, &o, &e);
	if (o.found)
		snprintf(id, LD_TICKET_MAX + 1, "%s", o.id);
	return o.found;
}

/* incident.attach: this (new) ticket joins the incident. */
int
req_plan_attach(struct req_ctx *x)
{
	struct ld_event *ev;
	int rc;

	if ((rc = ri_joinable(x)) != LD_OK ||
	    (rc = req_next(x, LD_EV_ATTACHED, x->t.id, &ev)) != LD_OK)
		return rc;
	return req_take_args(x, ev);
}

int
req_plan_attach_new(struct req_ctx *x)
{
	struct ld_event *ev;
	int rc;

	if ((rc = ri_joinable(x)) != LD_OK ||
	    (rc = req_next(x, LD_EV_ATTACHED, "", &ev)) != LD_OK)
		return rc;
	event_set_str(ev, LD_F_INCIDENT, x->r->args.incident);
	return LD_OK;
}

/* The plan's channels, or the one asked for (it must be the plan's). */
static int
ri_channels(struct req_ctx *x, const struct ld_topo_plan *p,
    const char **ch, int *n)
{
	const struct ld_event *a = &x->r->args;

	*n = 0;
	if (event_has(a, LD_F_CHANNEL)) {
		for (int i = 0; i < p->n_channels; i++)
			if (strcmp(p->channels[i], a->channel) == 0)
				ch[(*n)++] = p->channels[i];
		if (*n == 0)
			return err_set(x->err, LD_EREFUSED, "args.channel: plan "
			    "%s does not publish on '%s'", p->id, a->channel);
		return LD_OK;
	}
	for (int i = 0; i < p->n_channels; i++)
		ch[(*n)++] = p->channels[i];
	if (*n == 0)
		return err_set(x->err, LD_EREFUSED, "plan %s names no channel",
		    p->id);
	return LD_OK;
}

/*
 * One announced event per channel of the plan (or the one asked for) about
 * each of the n_areas areas: the public channels once per area (each area's
 * node shows it in its feed, docs/federation.md §2), the "sms" channel
 * once, about the first area (its messages go to the incident's callers,
 * wherever they live).
 */
static int
ri_announce(struct req_ctx *x, const struct ld_topo_plan *p,
    const char *text, char (*areas)[LD_ID_MAX + 1], size_t n_areas)
{
	const char *ch[LD_UNITS_MAX];
	struct ld_event *ev;
	int n, rc;

	if ((rc = ri_channels(x, p, ch, &n)) != LD_OK)
		return rc;
	/* area by area: the feed shows an area's channels as one entry */
	for (size_t j = 0; j < n_areas; j++) {
		for (int i = 0; i < n; i++) {
			if (j > 0 && strcmp(ch[i], "sms") == 0)
				continue;
			if ((rc = req_next(x, LD_EV_ANNOUNCED, x->t.id,
			    &ev)) != LD_OK)
				return rc;
			event_set_str(ev, LD_F_CHANNEL, ch[i]);
			event_set_str(ev, LD_F_TEXT, text);
			if (areas[j][0] != '\0')
				event_set_str(ev, LD_F_AREA, areas[j]);
		}
	}
	return LD_OK;
}

static const struct ld_topo_plan *
ri_plan_on(struct req_ctx *x)
{
	int plan = ri_plan_of(x->env->t, x->t.plan, NULL);

	if (x->t.plan[0] == '\0') {
		err_set(x->err, LD_EREFUSED, "%s is not an incident (no "
		    "emergency plan was started on it)", x->t.id);
		return NULL;
	}
	if (plan < 0) {
		err_set(x->err, LD_EUNKNOWN, "plan %s of incident %s is no "
		    "longer in the topology", x->t.plan, x->t.id);
		return NULL;
	}
	return &x->env->t->plans[plan];
}

/* incident.announce: one announced event per channel, about the area
 * asked for (it must be in the topology) or the lead's. */
int
req_plan_announce(struct req_ctx *x)
{
	const struct ld_topo_plan *p = ri_plan_on(x);
	const struct ld_event *a = &x->r->args;
	char area[1][LD_ID_MAX + 1];

	if (p == NULL)
		return x->err->code;
	if (event_has(a, LD_F_AREA) && topo_area(x->env->t, a->area) < 0)
		return err_set(x->err, LD_EUNKNOWN, "args.area: area '%s' is "
		    "not in the topology", a->area);
	snprintf(area[0], sizeof(area[0]), "%s", event_has(a, LD_F_AREA) ?
	    a->area : x->t.area);
	return ri_announce(x, p, a->text, area, 1);
}

/* The areas an incident concerns: the lead's, then those its earlier
 * announcements named, each once. */
struct ri_areas {
	char (*a)[LD_ID_MAX + 1];
	size_t n, max;
};

static int
ri_areas_cb(const struct ld_event *ev, void *arg)
{
	struct ri_areas *r = arg;

	if (ev->kind != LD_EV_ANNOUNCED || !event_has(ev, LD_F_AREA))
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->a[i], ev->area) == 0)
			return 0;
	if (r->n < r->max)
		snprintf(r->a[r->n++], sizeof(r->a[0]), "%s", ev->area);
	return 0;
}

/* incident.report: an update of the report to the government. */
int
req_plan_gov(struct req_ctx *x)
{
	const struct ld_topo_plan *p = ri_plan_on(x);
	struct ld_event *ev;
	int rc;

	if (p == NULL)
		return x->err->code;
	if ((rc = req_next(x, LD_EV_GOV_REPORTED, x->t.id, &ev)) != LD_OK)
		return rc;
	event_set_str(ev, LD_F_TEXT, x->r->args.text);
	event_set_str(ev, LD_F_PLAN, p->id);
	return LD_OK;
}

struct ri_attached {
	char (*id)[LD_TICKET_MAX + 1];
	size_t n, cap;
	bool nomem;
};

static int
ri_attached_cb(const uint8_t *key, size_t len, void *arg)
{
	struct ri_attached *a = arg;
	char id[LD_TICKET_MAX + 1];

	if (!views_key_ticket(key, len, id))
		return 0;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *p = realloc(a->id, cap * sizeof(*a->id));

		if (p == NULL) {
			a->nomem = true;
			return 1;
		}
		a->id = p;
		a->cap = cap;
	}
	memcpy(a->id[a->n++], id, sizeof(id));
	return 0;
}

/*
 * incident.close: the work done (every work order of the lead completed),
 * the summary is announced on the plan's channels, the government told
 * (when the plan reports to it), the lead's caller told, and every
 * attached caller told (by SMS when the plan has an "sms" channel), at
 * most LD_REQ_ATTACHED_MAX per request: the reply says how many are left,
 * and incident.close again tells the next ones.
 */
int
req_plan_incident_close(struct req_ctx *x)
{
	const struct ld_topo_plan *p = ri_plan_on(x);
	const char *summary = x->r->args.text;
	struct ri_attached at = { NULL, 0, 0, false };
	struct ld_ticket *a = &x->scratch;
	struct ld_event *ev;
	bool sms = false, again;
	char prefix[LD_TICKET_MAX + 1];
	size_t told = 0;
	int rc;

	if (p == NULL)
		return x->err->code;
	if (strcmp(x->t.owner, x->env->t->nodes[x->env->self].id) != 0)
		return err_set(x->err, LD_EREFUSED, "incident.close: incident "
		    "%s belongs to node %s; close it there", x->t.id,
		    x->t.owner);
	again = x->t.state == LD_TS_REPORTED || x->t.state == LD_TS_CALLED_BACK
	    || x->t.state == LD_TS_CLOSED;
	if (!again && x->t.state != LD_TS_COMPLETED)
		return err_set(x->err, LD_EREFUSED, "incident.close: %s is %s; "
		    "every work order must be completed first", x->t.id,
		    ticket_state_name(x->t.state));
	for (int i = 0; i < p->n_channels; i++)
		sms |= strcmp(p->channels[i], "sms") == 0;
	if (!again) {
		char areas[LD_REQ_AREAS_MAX][LD_ID_MAX + 1];
		struct ri_areas ra = { areas, 1, LD_REQ_AREAS_MAX };
		int pub = 0;

		/* the request's room: 2 events per unit of the topology's
		 * largest plan go to the public channels' announcements */
		for (int i = 0; i < p->n_channels; i++)
			pub += strcmp(p->channels[i], "sms") != 0;
		if (pub > 0 && (size_t)(2 * LD_UNITS_MAX / pub) < ra.max)
			ra.max = (size_t)(2 * LD_UNITS_MAX / pub);
		snprintf(areas[0], sizeof(areas[0]), "%s", x->t.area);
		if ((rc = store_history(x->env->s, x->t.id, ri_areas_cb, &ra,
		    x->err)) != LD_OK ||
		    (rc = ri_announce(x, p, summary, areas, ra.n)) != LD_OK)
			return rc;
		if (p->report_gov) {
			if ((rc = req_next(x, LD_EV_GOV_REPORTED, x->t.id,
			    &ev)) != LD_OK)
				return rc;
			event_set_str(ev, LD_F_TEXT, summary);
			event_set_str(ev, LD_F_PLAN, p->id);
		}
		if ((rc = req_next(x, LD_EV_REPORTED, x->t.id, &ev)) != LD_OK)
			return rc;
		event_set_str(ev, LD_F_NOTE, summary);
		event_set_uint(ev, LD_F_METHOD, sms ? LD_METHOD_SMS :
		    LD_METHOD_PHONE);
	}
	/* the attached callers not told yet: up to LD_REQ_ATTACHED_MAX now,
	 * the others counted in left (incident.close again tells them) */
	snprintf(prefix, sizeof(prefix), "%s", x->t.id);
	rc = store_scan(x->env->s, "by_incident", prefix, strlen(prefix) + 1,
	    ri_attached_cb, &at, x->err);
	if (rc == LD_OK && at.nomem)
		rc = err_set(x->err, LD_ENOMEM, "incident.close: out of memory");
	x->p->left = 0;
	for (size_t i = 0; rc == LD_OK && i < at.n; i++) {
		struct ld_ticket b;

		if (store_get_ticket(x->env->s, at.id[i], a, x->err) != LD_OK ||
		    a->state != LD_TS_NEW)
			continue;
		if (told >= LD_REQ_ATTACHED_MAX || x->p->n + 1 > x->cap) {
			x->p->left++;
			continue;
		}
		if ((rc = req_next(x, LD_EV_REPORTED, a->id, &ev)) != LD_OK)
			break;
		event_set_str(ev, LD_F_NOTE, summary);
		event_set_uint(ev, LD_F_METHOD, sms ? LD_METHOD_SMS :
		    LD_METHOD_PHONE);
		/* checked here: req_dry_run checks the lead's events only */
		b = *a;
		if ((rc = ticket_apply(&b, ev, x->env->now, x->err)) != LD_OK)
			rc = err_prefix(x->err, "incident.close");
		told++;
	}
	free(at.id);
	if (rc != LD_OK)
		return rc;
	if (again && x->p->n == 0)
		return err_set(x->err, LD_EREFUSED, "incident.close: incident "
		    "%s is closed and every attached caller was told", x->t.id);
	return LD_OK;
}
