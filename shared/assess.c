/* assess.c - a period's report and unit assessment from one snapshot. */
#include "assess.h"
#include "fed.h"
#include "ltime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

/* What the counter scan gathers. */
struct assess_ctx {
	const struct ld_topo *t;
	int self;
	struct ld_report *r;
	uint32_t day_from;
	unsigned n_days;
	uint64_t *day_calls, *day_linkage;	/* per day of the period */
	struct ld_rep_fig *fig_acc;		/* scratch: the prev year */
	bool prev;
	bool over;		/* a unit or node found no row: an error */
};

static void
assess_fig_add(struct ld_rep_fig *f, enum ld_counter c, uint64_t v)
{
	switch (c) {
	case LD_C_CALLS_IN: f->calls_in += v; break;
	case LD_C_ANSWERED: f->answered += v; break;
	case LD_C_VALID: f->valid += v; break;
	case LD_C_LINKAGE: f->linkage += v; break;
	case LD_C_TICKETS: f->tickets += v; break;
	case LD_C_DONE: f->completed += v; break;
	case LD_C_CALLBACKS: f->callbacks += v; break;
	case LD_C_SATISFIED: f->satisfied += v; break;
	case LD_C_BASIC: f->basic += v; break;
	case LD_C_UNSATISFIED: f->unsatisfied += v; break;
	case LD_C_URGED: f->urged += v; break;
	case LD_C_SUPERVISED: f->supervised += v; break;
	case LD_C_WO_RETURNED: f->returned += v; break;
	case LD_C_PLANS: f->incidents += v; break;
	case LD_C_ATTACHED: f->attached += v; break;
	case LD_C_INC_CLOSED: f->incidents_closed += v; break;
	case LD_C_INC_MINUTES: f->incident_minutes += v; break;
	default: break;
	}
}

static void
assess_fig_finish(struct ld_rep_fig *f)
{
	f->in_progress = f->tickets > f->completed ? f->tickets - f->completed :
	    0;
}

/* Local days from a to b (YYYYMMDD), b - a; a and b valid. */
static long
assess_days_between(uint32_t a, uint32_t b)
{
	return (long)((ltime_day_start(b) - ltime_day_start(a)) / DAY_MS);
}

/* Does the counter of node id count here?  Nodes the topology no longer
 * knows count at the top node only. */
static bool
assess_node_ok(const struct assess_ctx *x, const char *id, int *idx)
{
	*idx = topo_node(x->t, id);
	if (*idx < 0)
		return x->t->nodes[x->self].parent < 0;
	return fed_in_subtree(x->t, *idx, x->self);
}

static struct ld_rep_node *
assess_node_row(struct ld_report *r, const struct ld_topo *t, int idx,
    const char *id)
{
	for (unsigned i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i].id, id) == 0)
			return &r->nodes[i];
	if (r->n_nodes >= LD_REP_NODES_MAX)
		return NULL;
	struct ld_rep_node *n = &r->nodes[r->n_nodes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->name, sizeof(n->name), "%s", idx >= 0 ?
	    t->nodes[idx].name : id);
	return n;
}

static int
assess_counter_cb(uint32_t day, const char *node, enum ld_counter c,
    uint64_t v, void *arg)
{
	struct assess_ctx *x = arg;
	struct ld_report *r = x->r;
	struct ld_rep_node *nr;
	int idx;
	long d;

	if (!assess_node_ok(x, node, &idx))
		return 0;
	if (x->prev) {
		assess_fig_add(x->fig_acc, c, v);
		return 0;
	}
	assess_fig_add(&r->total, c, v);
	for (unsigned m = 0; m < r->n_months; m++)
		if (r->months[m].key == day / 100)
			assess_fig_add(&r->months[m].fig, c, v);
	if ((nr = assess_node_row(r, x->t, idx, node)) != NULL)
		assess_fig_add(&nr->fig, c, v);
	else
		x->over = true;
	if (ltime_day_start(day) < 0)
		return 0;
	d = assess_days_between(x->day_from, day);
	if (d >= 0 && (unsigned long)d < x->n_days) {
		if (c == LD_C_CALLS_IN)
			x->day_calls[d] += v;
		else if (c == LD_C_LINKAGE)
			x->day_linkage[d] += v;
	}
	return 0;
}

/* ---- units ----------------------------------------------------------------- */

static struct ld_rep_unit *
assess_unit_row(struct ld_report *r, const struct ld_topo *t, const char *id)
{
	for (unsigned i = 0; i < r->n_units; i++)
		if (strcmp(r->units[i].id, id) == 0)
			return &r->units[i];
	if (r->n_units >= LD_REP_UNITS_MAX)
		return NULL;
	struct ld_rep_unit *u = &r->units[r->n_units++];
	int k = topo_unit(t, id);

	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "%s", id);
	snprintf(u->name, sizeof(u->name), "%s", k >= 0 ? t->units[k].name :
	    id);
	snprintf(u->node, sizeof(u->node), "%s", k >= 0 ?
	    t->nodes[t->units[k].node].id : "");
	return u;
}

static int
assess_ucounter_cb(uint32_t month, const char *unit, enum ld_ucounter c,
    uint64_t v, void *arg)
{
	struct assess_ctx *x = arg;
	struct ld_rep_unit *u;
	int k = topo_unit(x->t, unit);

	(void)month;
	if (k >= 0 && !fed_in_subtree(x->t, x->t->units[k].node, x->self))
		return 0;
	if (k < 0 && x->t->nodes[x->self].parent >= 0)
		return 0;
	if ((u = assess_unit_row(x->r, x->t, unit)) == NULL) {
		x->over = true;
		return 0;
	}
	switch (c) {
	case LD_U_RECEIVED: u->received += v; break;
	case LD_U_SIGNED_ON_TIME: u->signed_on_time += v; break;
	case LD_U_COMPLETED: u->completed += v; break;
	case LD_U_COMPLETED_ON_TIME: u->completed_on_time += v; break;
	case LD_U_RETURNED: u->returned += v; break;
	case LD_U_SENT_BACK: u->sent_back += v; break;
	case LD_U_EXTENDED: u->extended += v; break;
	case LD_U_URGED: u->urged += v; break;
	case LD_U_SUPERVISED: u->supervised += v; break;
	case LD_U_CALLBACKS: u->callbacks += v; break;
	case LD_U_SATISFIED: u->satisfied += v; break;
	case LD_U_BASIC: u->basic += v; break;
	case LD_U_UNSATISFIED: u->unsatisfied += v; break;
	default: break;
	}
	return 0;
}

/* Each node's own assessment: the sum of its units' counters, scored.
 * Every node in scope that has units gets a row (the node table lists
 * them even without figures). */
static void
assess_nodes_wo(struct ld_report *r, const struct ld_topo *t)
{
	for (unsigned i = 0; i < r->n_units; i++) {
		const struct ld_rep_unit *u = &r->units[i];
		struct ld_rep_node *n;
		struct ld_rep_unit *w;
		int idx;

		if (u->node[0] == '\0' || (idx = topo_node(t, u->node)) < 0 ||
		    (n = assess_node_row(r, t, idx, u->node)) == NULL)
			continue;
		w = &n->wo;
		w->received += u->received;
		w->signed_on_time += u->signed_on_time;
		w->completed += u->completed;
		w->completed_on_time += u->completed_on_time;
		w->returned += u->returned;
		w->sent_back += u->sent_back;
		w->extended += u->extended;
		w->urged += u->urged;
		w->supervised += u->supervised;
		w->callbacks += u->callbacks;
		w->satisfied += u->satisfied;
		w->basic += u->basic;
		w->unsatisfied += u->unsatisfied;
	}
	for (unsigned i = 0; i < r->n_nodes; i++) {
		struct ld_rep_node *n = &r->nodes[i];

		memcpy(n->wo.id, n->id, sizeof(n->wo.id) < sizeof(n->id) ?
		    sizeof(n->wo.id) : sizeof(n->id));
		memcpy(n->wo.node, n->id, sizeof(n->wo.node));
		memcpy(n->wo.name, n->name, sizeof(n->wo.name));
		report_score(&n->wo, &t->assess);
	}
}

/* ---- the period ------------------------------------------------------------ */

/* The same day a year before (29 February: the 28th). */
static uint32_t
assess_year_before(uint32_t day)
{
	uint32_t d = day - 10000;

	if (ltime_day_start(d) < 0 && d % 10000 == 229)
		d--;
	return d;
}

static int
assess_months(struct ld_report *r, uint32_t from, uint32_t to,
    struct ld_err *err)
{
	uint32_t m = from / 100, last = to / 100;

	r->n_months = 0;
	while (m <= last) {
		if (r->n_months >= LD_REP_MONTHS_MAX)
			return err_set(err, LD_EINVAL, "period: more than %d "
			    "months", LD_REP_MONTHS_MAX);
		memset(&r->months[r->n_months], 0, sizeof(r->months[0]));
		r->months[r->n_months++].key = m;
		m = m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
	}
	return LD_OK;
}

static void
assess_peaks(struct ld_report *r, const struct assess_ctx *x)
{
	for (unsigned m = 0; m < r->n_months; m++)
		if (r->months[m].fig.calls_in > r->peak_month_calls) {
			r->peak_month = r->months[m].key;
			r->peak_month_calls = r->months[m].fig.calls_in;
			r->peak_month_linkage = r->months[m].fig.linkage;
		}
	for (unsigned d = 0; d < x->n_days; d++)
		if (x->day_calls[d] > r->peak_day_calls) {
			r->peak_day = ltime_day(ltime_day_start(x->day_from) +
			    (int64_t)d * DAY_MS + DAY_MS / 2);
			r->peak_day_calls = x->day_calls[d];
			r->peak_day_linkage = x->day_linkage[d];
		}
}

int
assess_report(struct ld_store *s, const struct ld_topo *t, int self,
    uint32_t from, uint32_t to, int64_t now, struct ld_report *r,
    struct ld_err *err)
{
	struct assess_ctx x = { .t = t, .self = self, .r = r, .day_from = from };
	struct ld_rep_fig prev;
	struct ld_snap *snap = NULL;
	long days;
	int rc;

	if (self < 0 || self >= t->n_nodes)
		return err_set(err, LD_EINVAL, "report: no such node");
	if (ltime_day_start(from) < 0 || ltime_day_start(to) < 0)
		return err_set(err, LD_EINVAL, "report: bad day");
	days = assess_days_between(from, to) + 1;
	if (days < 1)
		return err_set(err, LD_EINVAL, "report: the period ends "
		    "before it starts");
	if (days > LD_REP_DAYS_MAX)
		return err_set(err, LD_EINVAL, "report: a period of %ld days; "
		    "at most %d", days, LD_REP_DAYS_MAX);
	{
		int nu = 0, nn = 0;

		for (int k = 0; k < t->n_units; k++)
			nu += fed_in_subtree(t, t->units[k].node, self);
		for (int k = 0; k < t->n_nodes; k++)
			nn += fed_in_subtree(t, k, self);
		if (nu > LD_REP_UNITS_MAX || nn > LD_REP_NODES_MAX)
			return err_set(err, LD_ELIMIT, "report: %d units and %d "
			    "nodes in scope; a report holds at most %d units "
			    "and %d nodes", nu, nn, LD_REP_UNITS_MAX,
			    LD_REP_NODES_MAX);
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->federation, sizeof(r->federation), "%s", t->name);
	snprintf(r->node, sizeof(r->node), "%s", t->nodes[self].id);
	snprintf(r->node_name, sizeof(r->node_name), "%s", t->nodes[self].name);
	r->day_from = from;
	r->day_to = to;
	r->days = (unsigned)days;
	r->generated_ms = now;
	r->formula = t->assess;
	if ((rc = assess_months(r, from, to, err)) != LD_OK)
		return rc;
	/* this node first in the node table, then the others as met */
	assess_node_row(r, t, self, t->nodes[self].id);

	x.n_days = (unsigned)days;
	x.day_calls = calloc(x.n_days, sizeof(uint64_t));
	x.day_linkage = calloc(x.n_days, sizeof(uint64_t));
	if (x.day_calls == NULL || x.day_linkage == NULL) {
		rc = err_set(err, LD_ENOMEM, "report: out of memory");
		goto out;
	}
	if ((rc = store_snap_begin(s, &snap, err)) != LD_OK)
		goto out;
	rc = store_snap_counters(snap, from, to, assess_counter_cb, &x, err);
	if (rc == LD_OK) {
		memset(&prev, 0, sizeof(prev));
		x.prev = true;
		x.fig_acc = &prev;
		rc = store_snap_counters(snap, assess_year_before(from),
		    assess_year_before(to), assess_counter_cb, &x, err);
		x.prev = false;
	}
	if (rc == LD_OK)
		rc = store_snap_ucounters(snap, from / 100, to / 100,
		    assess_ucounter_cb, &x, err);
	if (rc != LD_OK)
		goto out;
	/* every unit of the scope has a row, received or not */
	for (int k = 0; k < t->n_units; k++)
		if (fed_in_subtree(t, t->units[k].node, self) &&
		    assess_unit_row(r, t, t->units[k].id) == NULL)
			x.over = true;
	if (x.over) {
		rc = err_set(err, LD_ELIMIT, "report: more than %d units or "
		    "%d nodes have figures in scope (units or nodes the "
		    "topology no longer has count too); the report would be "
		    "incomplete", LD_REP_UNITS_MAX, LD_REP_NODES_MAX);
		goto out;
	}
	assess_fig_finish(&r->total);
	for (unsigned m = 0; m < r->n_months; m++)
		assess_fig_finish(&r->months[m].fig);
	for (unsigned i = 0; i < r->n_nodes; i++)
		assess_fig_finish(&r->nodes[i].fig);
	assess_fig_finish(&prev);
	if (prev.calls_in > 0 || prev.tickets > 0) {
		r->has_prev = true;
		r->prev = prev;
	}
	assess_peaks(r, &x);
	for (unsigned i = 0; i < r->n_units; i++)
		report_score(&r->units[i], &t->assess);
	assess_nodes_wo(r, t);
	report_rank(r);
	report_rank_nodes(r);
out:
	store_snap_end(snap);
	free(x.day_calls);
	free(x.day_linkage);
	return rc;
}
