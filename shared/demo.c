/*
 * demo.c - the article's cases, run through a node's real store.
 *
 * Every step is an event committed with store_commit() (several steps at
 * the same moment go in one batch: group commit) on a simulated clock that
 * starts 2011-11-16 10:00 Luoyang time.  Until the topology (issue 3) and
 * the client protocol (issue 4) exist, the routing decisions are written
 * out here, as the office would take them.
 */
#include "node.h"
#include "ltime.h"
#include "ticket.h"

#include <stdio.h>
#include <string.h>

#define MIN (60LL * 1000)

struct demo {
	struct ld_store *s;
	const struct ld_topo *t;
	const char *node;
	FILE *out;
	int64_t now;
	struct ld_event ev[8];
	struct ld_store_item it[8];
	int n;
	int failed;
	char last_id[LD_TICKET_MAX + 1];
};

static void demo_commit(struct demo *d);

static struct ld_event *
demo_ev(struct demo *d, enum ld_event_kind k, const char *actor,
    const char *ticket)
{
	struct ld_event *e;

	if (d->n == (int)(sizeof(d->ev) / sizeof(d->ev[0])))
		demo_commit(d);	/* the batch is full: commit what we have */
	e = &d->ev[d->n];
	event_init(e, k, d->node, d->now, actor, ticket ? ticket : d->last_id);
	d->it[d->n] = (struct ld_store_item){ .ev = e };
	d->n++;
	return e;
}

/* One line for what an event did. */
static void
demo_print(struct demo *d, const struct ld_event *e, const struct ld_ticket *t)
{
	char when[32];

	ltime_format(e->time_ms, when, sizeof(when));
	fprintf(d->out, "%s  %-16s %-18s", when + 11, e->ticket[0] ? e->ticket :
	    e->call, event_kind_name(e->kind));
	switch (e->kind) {
	case LD_EV_TICKET_CREATED:
		fprintf(d->out, " %s | %s | %s", e->category, e->place, e->text);
		break;
	case LD_EV_ROUTED:
		fprintf(d->out, " rule: %s", e->rule);
		break;
	case LD_EV_DISPATCHED: {
		char due[32];
		ltime_format(e->due_done_ms, due, sizeof(due));
		fprintf(d->out, " work order %u -> %s, complete by %s", e->wo,
		    e->unit, ltime_day(e->due_done_ms) == ltime_day(e->time_ms) ?
		    due + 11 : due);
		break;
	}
	case LD_EV_COMPLETED: fprintf(d->out, " wo %u: %s", e->wo, e->result); break;
	case LD_EV_RETURNED: fprintf(d->out, " wo %u: %s", e->wo, e->reason); break;
	case LD_EV_CALLBACK:
		fprintf(d->out, " %s, %s", event_enum_name(LD_F_METHOD, e->method),
		    event_enum_name(LD_F_SATISFACTION, e->satisfaction));
		break;
	case LD_EV_CALL_CLASSIFIED:
		fprintf(d->out, " %s%s", e->valid ? "valid, " : "not valid",
		    e->valid ? event_enum_name(LD_F_CLASS, e->call_class) : "");
		break;
	case LD_EV_PLAN_ACTIVATED:
		fprintf(d->out, " plan %s, %u units at once%s", e->plan, e->n_units,
		    e->gov ? ", reported to the city government" : "");
		break;
	case LD_EV_ANNOUNCED: fprintf(d->out, " [%s] %s", e->channel, e->text); break;
	case LD_EV_SETTLED: fprintf(d->out, " responsible: %s", e->unit); break;
	case LD_EV_EXT_GRANTED: case LD_EV_EXT_REQUESTED: {
		char u[32];
		ltime_format(e->until_ms, u, sizeof(u));
		fprintf(d->out, " wo %u until %s", e->wo, u);
		break;
	}
	case LD_EV_REOPENED: fprintf(d->out, " %s", e->reason); break;
	default:
		if (event_has(e, LD_F_WO))
			fprintf(d->out, " wo %u", e->wo);
		break;
	}
	if (t != NULL)
		fprintf(d->out, "  => %s", ticket_state_name(t->state));
	fputc('\n', d->out);
}

/* Commit the pending steps as one batch and print them. */
static void
demo_commit(struct demo *d)
{
	struct ld_err err;
	struct ld_ticket t;

	if (d->n == 0)
		return;
	if (store_commit(d->s, d->it, (size_t)d->n, d->now, &err) != 0) {
		fprintf(d->out, "commit failed: %s\n", err.msg);
		d->failed = 1;
		d->n = 0;
		return;
	}
	for (int i = 0; i < d->n; i++) {
		struct ld_event *e = d->it[i].ev;

		if (d->it[i].rc != 0) {
			fprintf(d->out, "         refused: %s\n", d->it[i].err.msg);
			d->failed = 1;
			continue;
		}
		if (e->kind == LD_EV_TICKET_CREATED)
			snprintf(d->last_id, sizeof(d->last_id), "%s", e->ticket);
		/* the state after the batch, shown on the ticket's last line */
		int last = 1;
		for (int j = i + 1; j < d->n; j++)
			if (d->it[j].rc == 0 &&
			    strcmp(d->it[j].ev->ticket, e->ticket) == 0)
				last = 0;
		if (last && e->ticket[0] &&
		    store_get_ticket(d->s, e->ticket, &t, &err) == 0)
			demo_print(d, e, &t);
		else
			demo_print(d, e, NULL);
	}
	d->n = 0;
}

static void
demo_call(struct demo *d, const char *call, int cls)
{
	struct ld_event *e;

	e = demo_ev(d, LD_EV_CALL_RECEIVED, "switch", "");
	event_set_str(e, LD_F_CALL, call);
	event_set_str(e, LD_F_PHONE, "13903790000");
	e = demo_ev(d, LD_EV_CALL_ANSWERED, "op:wang", "");
	event_set_str(e, LD_F_CALL, call);
	e = demo_ev(d, LD_EV_CALL_CLASSIFIED, "op:wang", "");
	event_set_str(e, LD_F_CALL, call);
	event_set_bool(e, LD_F_VALID, cls != 0);
	if (cls)
		event_set_uint(e, LD_F_CLASS, (uint64_t)cls);
	demo_commit(d);
}

static void
demo_create(struct demo *d, const char *caller, const char *phone,
    const char *place, const char *area, const char *category, int urgency,
    const char *text)
{
	struct ld_event *e = demo_ev(d, LD_EV_TICKET_CREATED, "op:wang", "");

	event_set_str(e, LD_F_CALLER, caller);
	event_set_str(e, LD_F_PHONE, phone);
	event_set_str(e, LD_F_PLACE, place);
	event_set_str(e, LD_F_AREA, area);
	event_set_str(e, LD_F_CATEGORY, category);
	event_set_uint(e, LD_F_URGENCY, (uint64_t)urgency);
	event_set_str(e, LD_F_TEXT, text);
	demo_commit(d);
}

static void
demo_route(struct demo *d, const char *rule, const char *unit)
{
	struct ld_event *e = demo_ev(d, LD_EV_ROUTED, "router", NULL);

	event_set_str(e, LD_F_RULE, rule);
	event_add_unit(e, unit);
}

static void
demo_dispatch(struct demo *d, unsigned wo, const char *unit, int64_t sign_ms,
    int64_t done_ms, unsigned replaces)
{
	struct ld_event *e = demo_ev(d, LD_EV_DISPATCHED, "op:wang", NULL);

	event_set_uint(e, LD_F_WO, wo);
	event_set_str(e, LD_F_UNIT, unit);
	event_set_time(e, LD_F_DUE_SIGN, d->now + sign_ms);
	event_set_time(e, LD_F_DUE_DONE, d->now + done_ms);
	if (replaces)
		event_set_uint(e, LD_F_REPLACES, replaces);
}

/*
 * Route (category, area, urgency) by the topology, as the node will for
 * every request: a routed event naming the rule, then one dispatched work
 * order per unit with the deadlines the topology gives, numbered from
 * first_wo; replaces (if not 0) is the returned work order the first one
 * re-routes.  Returns the number of work orders, 0 on failure.
 */
static int
demo_route_topo(struct demo *d, const char *category, const char *area,
    unsigned urgency, unsigned first_wo, unsigned replaces)
{
	struct ld_topo_route r;
	struct ld_err err;
	struct ld_event *e;

	if (topo_route(d->t, category, area, urgency, &r, &err) != 0) {
		fprintf(d->out, "         cannot route %s in %s: %s\n", category,
		    area, err.msg);
		d->failed = 1;
		return 0;
	}
	e = demo_ev(d, LD_EV_ROUTED, "router", NULL);
	/* the rule's description, cut to the field's limit on a UTF-8
	 * character boundary */
	{
		size_t n = strlen(r.why);

		if (n > LD_RULE_MAX) {
			n = LD_RULE_MAX;
			while (n > 0 && ((unsigned char)r.why[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(e->rule, r.why, n);
		e->rule[n] = '\0';
		e->present |= 1u << LD_F_RULE;
	}
	event_set_str(e, LD_F_NODE, d->t->nodes[r.node].id);
	for (int i = 0; i < r.n_units; i++)
		event_add_unit(e, d->t->units[r.units[i]].id);
	for (int i = 0; i < r.n_units; i++)
		demo_dispatch(d, first_wo + (unsigned)i, d->t->units[r.units[i]].id,
		    r.sign_ms[i], r.complete_ms[i], i == 0 ? replaces : 0);
	return r.n_units;
}

static void
demo_wo(struct demo *d, enum ld_event_kind k, const char *unit, unsigned wo,
    const char *text)
{
	char actor[LD_ACTOR_MAX + 1];
	struct ld_event *e;

	snprintf(actor, sizeof(actor), "unit:%s", unit);
	e = demo_ev(d, k, actor, NULL);
	event_set_uint(e, LD_F_WO, wo);
	if (k == LD_EV_COMPLETED)
		event_set_str(e, LD_F_RESULT, text);
	else if (k == LD_EV_RETURNED || k == LD_EV_EXT_REQUESTED)
		event_set_str(e, LD_F_REASON, text);
	else if (k == LD_EV_PROGRESS)
		event_set_str(e, LD_F_NOTE, text);
}

static void
demo_report_close(struct demo *d, int sat)
{
	struct ld_event *e = demo_ev(d, LD_EV_REPORTED, "op:wang", NULL);

	event_set_str(e, LD_F_NOTE, "已电话告知市民处理结果");
	event_set_uint(e, LD_F_METHOD, LD_METHOD_PHONE);
	demo_commit(d);
	d->now += 30 * MIN;
	e = demo_ev(d, LD_EV_CALLBACK, "op:li", NULL);
	event_set_uint(e, LD_F_METHOD, LD_METHOD_SMS);
	event_set_uint(e, LD_F_SATISFACTION, (uint64_t)sat);
	if (sat != LD_SAT_UNSATISFIED)
		demo_ev(d, LD_EV_CLOSED, "op:li", NULL);
	demo_commit(d);
}

/* The emergency plan the topology starts for category, NULL if none. */
static const struct ld_topo_plan *
demo_plan(struct demo *d, const char *category)
{
	int c = topo_category(d->t, category);

	for (int i = 0; c >= 0 && i < d->t->n_plans; i++)
		if (d->t->plans[i].category == c)
			return &d->t->plans[i];
	fprintf(d->out, "         no emergency plan for %s\n", category);
	d->failed = 1;
	return NULL;
}

static void
demo_title(struct demo *d, const char *title)
{
	fprintf(d->out, "\n== %s\n", title);
}

int
demo_run(struct ld_store *s, const char *node, const struct ld_topo *t,
    void *outp)
{
	static struct demo dd;
	struct demo *d = &dd;
	char t1[LD_TICKET_MAX + 1], t2[LD_TICKET_MAX + 1];
	const struct ld_topo_plan *plan;

	memset(d, 0, sizeof(*d));
	d->s = s;
	d->t = t;
	d->node = node;
	d->out = outp;
	d->now = ltime_parse("2011-11-16 10:00");

	demo_title(d, "1. A missing manhole cover, fixed by Unicom the same "
	    "afternoon");
	demo_call(d, "C-0001", LD_CLASS_LINKAGE);
	demo_create(d, "张女士", "13903791234",
	    "王城大道与关林路交叉口西北50米，洛阳理工学院附近", "luolong",
	    "manhole.unicom", 3, "人行道上联通井盖丢失，有行人险些掉入");
	d->now += 2 * MIN;
	demo_route_topo(d, "manhole.unicom", "luolong", 3, 1, 0);
	demo_commit(d);
	snprintf(t1, sizeof(t1), "%s", d->last_id);
	d->now += 15 * MIN;
	demo_wo(d, LD_EV_SIGNED, "unicom", 1, NULL);
	demo_commit(d);
	d->now += 3 * 60 * MIN;	/* the same afternoon, within 4 hours */
	demo_wo(d, LD_EV_COMPLETED, "unicom", 1, "已补装新井盖，并向110联动办反馈");
	demo_commit(d);
	d->now += 10 * MIN;
	demo_report_close(d, LD_SAT_SATISFIED);

	demo_title(d, "2. A cover of unclear ownership: the housing commission "
	    "repairs first, within 1 hour");
	d->now = ltime_parse("2011-11-16 10:40");
	demo_call(d, "C-0002", LD_CLASS_LINKAGE);
	demo_create(d, "赵先生", "13703795678", "中州路与解放路口东侧", "xigong",
	    "manhole", 1, "井盖破损下陷，权属不明");
	demo_route_topo(d, "manhole", "xigong", 1, 1, 0);
	demo_commit(d);
	d->now += 5 * MIN;
	demo_wo(d, LD_EV_SIGNED, "zhujian", 1, NULL);
	demo_commit(d);
	d->now += 40 * MIN;
	demo_wo(d, LD_EV_COMPLETED, "zhujian", 1, "已先行更换井盖，45分钟内完成");
	demo_commit(d);
	d->now += 60 * MIN;
	{
		struct ld_event *e = demo_ev(d, LD_EV_SETTLED, "op:li", NULL);
		event_set_uint(e, LD_F_WO, 1);
		event_set_str(e, LD_F_UNIT, "telecom");
		event_set_str(e, LD_F_NOTE, "经核实为电信井盖，费用由电信承担");
	}
	demo_commit(d);
	demo_report_close(d, LD_SAT_SATISFIED);

	demo_title(d, "3. Guanlin water plant loses power: emergency plan, two "
	    "units at once");
	d->now = ltime_parse("2011-11-16 11:05");
	demo_call(d, "C-0003", LD_CLASS_LINKAGE);
	demo_create(d, "关林水厂值班室", "037965550000", "关林水厂", "luolong",
	    "power.waterplant", 1, "电缆分支箱爆炸，水厂停电，新区大部分停水");
	plan = demo_plan(d, "power.waterplant");
	if (plan != NULL) {
		struct ld_event *e = demo_ev(d, LD_EV_PLAN_ACTIVATED, "op:chief",
		    NULL);
		event_set_str(e, LD_F_PLAN, plan->id);
		for (int i = 0; i < plan->n_units; i++)
			event_add_unit(e, t->units[plan->units[i]].id);
		event_set_bool(e, LD_F_GOV, plan->report_gov);
	}
	demo_route_topo(d, "power.waterplant", "luolong", 1, 1, 0);
	demo_commit(d);
	snprintf(t2, sizeof(t2), "%s", d->last_id);
	d->now += 5 * MIN;
	demo_wo(d, LD_EV_SIGNED, "power", 1, NULL);
	demo_wo(d, LD_EV_SIGNED, "water", 2, NULL);
	for (int i = 0; plan != NULL && i < plan->n_channels; i++) {
		struct ld_event *e = demo_ev(d, LD_EV_ANNOUNCED, "op:chief", NULL);

		event_set_str(e, LD_F_CHANNEL, plan->channels[i]);
		event_set_str(e, LD_F_TEXT, "关林水厂因电缆故障停电，新区部分区域"
		    "停水，正在抢修，送水车已出发");
	}
	demo_commit(d);
	d->now += 30 * MIN;
	demo_wo(d, LD_EV_PROGRESS, "water", 2, "送水车已到达新区各小区");
	demo_commit(d);
	d->now = ltime_parse("2011-11-16 15:30");
	demo_wo(d, LD_EV_COMPLETED, "power", 1, "15:30恢复供电");
	demo_wo(d, LD_EV_COMPLETED, "water", 2, "水厂恢复供水");
	demo_commit(d);
	d->now += 10 * MIN;
	demo_report_close(d, LD_SAT_SATISFIED);

	demo_title(d, "4. A work order returned and re-routed; an extension; a "
	    "dissatisfied callback reopens");
	d->now = ltime_parse("2011-11-17 09:00");
	demo_call(d, "C-0004", 0);	/* not valid: a silent call */
	demo_call(d, "C-0005", LD_CLASS_POLICE);	/* forwarded to police */
	demo_call(d, "C-0006", LD_CLASS_LINKAGE);
	demo_create(d, "王先生", "13503790001", "白马寺镇某奶牛场", "baimasi",
	    "livestock", 3, "奶牛发烧已一个月，请求专家帮助");
	demo_route(d, "operator's first guess: power company", "power");
	demo_dispatch(d, 1, "power", 60 * MIN, 3 * 24 * 60 * MIN, 0);
	demo_commit(d);
	d->now += 20 * MIN;
	demo_wo(d, LD_EV_RETURNED, "power", 1, "不属于本单位职责，应由畜牧局处理");
	demo_commit(d);
	d->now += 5 * MIN;
	demo_route_topo(d, "livestock", "baimasi", 3, 2, 1);
	demo_commit(d);
	d->now += 30 * MIN;
	demo_wo(d, LD_EV_SIGNED, "xumu", 2, NULL);
	demo_commit(d);
	d->now += 24 * 60 * MIN;
	{
		struct ld_event *e;
		demo_wo(d, LD_EV_EXT_REQUESTED, "xumu", 2, "需等待化验结果");
		d->ev[d->n - 1].until_ms = d->now + 5 * 24 * 60 * MIN;
		d->ev[d->n - 1].present |= 1u << LD_F_UNTIL;
		demo_commit(d);
		d->now += 10 * MIN;
		e = demo_ev(d, LD_EV_EXT_GRANTED, "op:li", NULL);
		event_set_uint(e, LD_F_WO, 2);
		event_set_time(e, LD_F_UNTIL, d->now + 5 * 24 * 60 * MIN);
		demo_commit(d);
	}
	d->now += 3 * 24 * 60 * MIN;
	demo_wo(d, LD_EV_COMPLETED, "xumu", 2, "专家组上门诊治，开具处方");
	demo_commit(d);
	d->now += 60 * MIN;
	demo_report_close(d, LD_SAT_UNSATISFIED);
	{
		struct ld_event *e = demo_ev(d, LD_EV_REOPENED, "op:li", NULL);
		event_set_str(e, LD_F_REASON, "市民反映仍有奶牛发烧");
		event_set_time(e, LD_F_DUE_SIGN, d->now + 60 * MIN);
		event_set_time(e, LD_F_DUE_DONE, d->now + 2 * 24 * 60 * MIN);
	}
	demo_commit(d);

	{
		uint64_t c[LD_C__COUNT];

		store_counter_sums(s, 20111116, 20111120, c);
		fprintf(d->out, "\n== Figures 2011-11-16 .. 2011-11-20 (from the "
		    "counters kept in the same transactions)\n");
		fprintf(d->out, "calls in %llu, answered %llu, valid %llu, "
		    "linkage %llu, police %llu; tickets %llu, completed %llu, "
		    "in progress now %llu; callbacks %llu (satisfied %llu)\n",
		    (unsigned long long)c[LD_C_CALLS_IN],
		    (unsigned long long)c[LD_C_ANSWERED],
		    (unsigned long long)c[LD_C_VALID],
		    (unsigned long long)c[LD_C_LINKAGE],
		    (unsigned long long)c[LD_C_POLICE],
		    (unsigned long long)c[LD_C_TICKETS],
		    (unsigned long long)c[LD_C_COMPLETED],
		    (unsigned long long)store_count_open(s),
		    (unsigned long long)c[LD_C_CALLBACKS],
		    (unsigned long long)c[LD_C_SATISFIED]);
	}
	{
		struct ld_err err;
		int rc = store_rebuild(s, false, &err);
		fprintf(d->out, "rebuild from the event log: %s\n", rc == 0 ?
		    "views equal, byte for byte" : err.msg);
		if (rc != 0)
			d->failed = 1;
	}
	(void)t1;
	(void)t2;
	return d->failed ? -1 : 0;
}
