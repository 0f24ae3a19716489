/*
 * test_assess.c - the monthly assessment (shared/assess.c) of a small
 * month, July 2011 at the city node LY, against figures worked out BY
 * HAND below (not by the code); the unit counters through reopen, ruling
 * and extension; the rebuild still equals the views; and the daily spot
 * check (shared/spot.c) is reproducible and per unit.
 *
 * The month, local time (UTC+8):
 *   calls: 07-01 six in, five answered; 07-02 four in, three answered;
 *          on 07-01 classified: four linkage, one police, one fire (valid),
 *          one invalid.  Outside: 06-30 three in; 2010-07-05 two in (the
 *          year before: year on year).
 *   ticket A 07-01 10:00: unicom, due sign 10:30, done 14:00; signed 10:10,
 *          completed 13:00, reported, callback 07-02 satisfied, closed.
 *   ticket B 07-01 11:00: water, due sign 11:30, done 07-02 11:00; urged
 *          11:31, signed 12:00 (late), completed 07-03 10:00 (late),
 *          reported, callback unsatisfied, reopened 07-04 09:00 (due sign
 *          10:00, done 07-05 09:00), signed 09:30, completed 15:00,
 *          reported, callback 07-05 basically satisfied.
 *   ticket C 07-02 09:00: unicom, due sign 09:30, done 18:00; signed
 *          09:10, returned 09:20, ruled 09:40 (due sign 10:00, done 18:00), signed 09:50,
 *          extension asked and granted to 07-03 18:00, completed 07-03
 *          12:00.  Not reported.
 *   ticket D 07-02 10:00: water, due sign 10:30; never signed; urged
 *          10:31, supervised 11:31.
 *   ticket E 08-01 10:00: unicom (August: not in July's assessment).
 */
#include "testutil.h"

#include "assess.h"
#include "ltime.h"
#include "report.h"
#include "spot.h"
#include "store.h"
#include "topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	char *dir;
	struct ld_store *s;
	struct ld_topo *t;
	struct ld_report *r;
	char a[24], b[24], c[24], d[24], e[24];
};

static int64_t
at(const char *local)
{
	int64_t t = ltime_parse(local);

	if (t < 0)
		fail_msg("bad time %s", local);
	return t;
}

/* Commit one event; its ticket id (ticket.created) into id. */
static void
put(struct fx *f, struct ld_event *ev, char *id)
{
	struct ld_store_item it = { .ev = ev };
	struct ld_err err;

	assert_int_equal(store_commit(f->s, &it, 1, at("2011-09-01 00:00"),
	    &err), 0);
	if (it.rc != 0)
		fail_msg("%s on %s: %s", event_kind_name(ev->kind), ev->ticket,
		    it.err.msg);
	if (id != NULL)
		strcpy(id, ev->ticket);
}

static void
ev_call(struct fx *f, enum ld_event_kind k, const char *when, int cls)
{
	struct ld_event ev;
	static int n;
	char call[16];

	snprintf(call, sizeof(call), "c%d", ++n);
	event_init(&ev, k, "LY", at(when), "op:op-ly-wang", "");
	event_set_str(&ev, LD_F_CALL, call);
	if (k == LD_EV_CALL_RECEIVED)
		event_set_str(&ev, LD_F_PHONE, "13800000000");
	if (k == LD_EV_CALL_CLASSIFIED) {
		event_set_bool(&ev, LD_F_VALID, cls != 0);
		if (cls != 0)
			event_set_uint(&ev, LD_F_CLASS, (uint64_t)cls);
	}
	put(f, &ev, NULL);
}

static void
ev_create(struct fx *f, const char *when, char *id)
{
	struct ld_event ev;

	event_init(&ev, LD_EV_TICKET_CREATED, "LY", at(when), "op:op-ly-wang",
	    "");
	event_set_str(&ev, LD_F_PHONE, "13900000001");
	event_set_str(&ev, LD_F_PLACE, "王城大道与关林路交叉口");
	event_set_str(&ev, LD_F_AREA, "luolong");
	event_set_str(&ev, LD_F_TEXT, "井盖丢失");
	event_set_str(&ev, LD_F_CATEGORY, "manhole.unicom");
	event_set_uint(&ev, LD_F_URGENCY, 3);
	put(f, &ev, id);
}

/* An event on ticket id; due times and until as local times or NULL. */
static void
ev_on(struct fx *f, enum ld_event_kind k, const char *id, const char *when,
    const char *unit, const char *sign, const char *done)
{
	struct ld_event ev;

	event_init(&ev, k, "LY", at(when), k == LD_EV_SIGNED ||
	    k == LD_EV_COMPLETED || k == LD_EV_RETURNED ||
	    k == LD_EV_EXT_REQUESTED ? "unit:unit-x" : "op:op-ly-wang", id);
	switch (k) {
	case LD_EV_DISPATCHED:
		event_set_uint(&ev, LD_F_WO, 1);
		event_set_str(&ev, LD_F_UNIT, unit);
		/* FALLTHROUGH */
	case LD_EV_REOPENED:
	case LD_EV_RULED:
		event_set_time(&ev, LD_F_DUE_SIGN, at(sign));
		event_set_time(&ev, LD_F_DUE_DONE, at(done));
		if (k == LD_EV_REOPENED)
			event_set_str(&ev, LD_F_REASON, "not satisfied");
		if (k == LD_EV_RULED) {
			event_set_uint(&ev, LD_F_WO, 1);
			event_set_str(&ev, LD_F_NOTE, "the cable well is "
			    "Unicom's");
		}
		break;
	case LD_EV_SIGNED:
	case LD_EV_URGED:
	case LD_EV_SUPERVISED:
		event_set_uint(&ev, LD_F_WO, 1);
		break;
	case LD_EV_RETURNED:
		event_set_uint(&ev, LD_F_WO, 1);
		event_set_str(&ev, LD_F_REASON, "not ours");
		break;
	case LD_EV_EXT_REQUESTED:
		event_set_str(&ev, LD_F_REASON, "parts");
		/* FALLTHROUGH */
	case LD_EV_EXT_GRANTED:
		event_set_uint(&ev, LD_F_WO, 1);
		event_set_time(&ev, LD_F_UNTIL, at(done));
		break;
	case LD_EV_COMPLETED:
		event_set_uint(&ev, LD_F_WO, 1);
		event_set_str(&ev, LD_F_RESULT, "cover replaced");
		break;
	case LD_EV_REPORTED:
		event_set_str(&ev, LD_F_NOTE, "told by phone");
		event_set_uint(&ev, LD_F_METHOD, LD_METHOD_PHONE);
		break;
	case LD_EV_CLOSED:
		break;
	default:
		fail_msg("ev_on: kind %s", event_kind_name(k));
	}
	put(f, &ev, NULL);
}

static void
ev_callback(struct fx *f, const char *id, const char *when, int sat)
{
	struct ld_event ev;

	event_init(&ev, LD_EV_CALLBACK, "LY", at(when), "op:op-ly-wang", id);
	event_set_uint(&ev, LD_F_METHOD, LD_METHOD_PHONE);
	event_set_uint(&ev, LD_F_SATISFACTION, (uint64_t)sat);
	put(f, &ev, NULL);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ld_store_opts o = { 0 };
	struct ld_err err;
	int i;

	f->dir = tu_tmpdir();
	o.dir = f->dir;
	o.node = "LY";
	o.no_sync = true;
	assert_int_equal(store_open(&f->s, &o, &err), 0);
	assert_int_equal(topo_load("topology.example", &f->t), 0);
	f->r = malloc(sizeof(*f->r));

	for (i = 0; i < 6; i++)
		ev_call(f, LD_EV_CALL_RECEIVED, "2011-07-01 08:00", 0);
	for (i = 0; i < 5; i++)
		ev_call(f, LD_EV_CALL_ANSWERED, "2011-07-01 08:01", 0);
	for (i = 0; i < 4; i++)
		ev_call(f, LD_EV_CALL_CLASSIFIED, "2011-07-01 08:02",
		    LD_CLASS_LINKAGE);
	ev_call(f, LD_EV_CALL_CLASSIFIED, "2011-07-01 08:03", LD_CLASS_POLICE);
	ev_call(f, LD_EV_CALL_CLASSIFIED, "2011-07-01 08:03", LD_CLASS_FIRE);
	ev_call(f, LD_EV_CALL_CLASSIFIED, "2011-07-01 08:04", 0);
	for (i = 0; i < 4; i++)
		ev_call(f, LD_EV_CALL_RECEIVED, "2011-07-02 08:00", 0);
	for (i = 0; i < 3; i++)
		ev_call(f, LD_EV_CALL_ANSWERED, "2011-07-02 08:01", 0);
	for (i = 0; i < 3; i++)
		ev_call(f, LD_EV_CALL_RECEIVED, "2011-06-30 08:00", 0);
	for (i = 0; i < 2; i++)
		ev_call(f, LD_EV_CALL_RECEIVED, "2010-07-05 08:00", 0);

	/* A */
	ev_create(f, "2011-07-01 10:00", f->a);
	ev_on(f, LD_EV_DISPATCHED, f->a, "2011-07-01 10:00", "unicom",
	    "2011-07-01 10:30", "2011-07-01 14:00");
	ev_on(f, LD_EV_SIGNED, f->a, "2011-07-01 10:10", NULL, NULL, NULL);
	ev_on(f, LD_EV_COMPLETED, f->a, "2011-07-01 13:00", NULL, NULL, NULL);
	ev_on(f, LD_EV_REPORTED, f->a, "2011-07-01 13:30", NULL, NULL, NULL);
	ev_callback(f, f->a, "2011-07-02 09:00", LD_SAT_SATISFIED);
	ev_on(f, LD_EV_CLOSED, f->a, "2011-07-02 09:05", NULL, NULL, NULL);
	/* B */
	ev_create(f, "2011-07-01 11:00", f->b);
	ev_on(f, LD_EV_DISPATCHED, f->b, "2011-07-01 11:00", "water",
	    "2011-07-01 11:30", "2011-07-02 11:00");
	ev_on(f, LD_EV_URGED, f->b, "2011-07-01 11:31", NULL, NULL, NULL);
	ev_on(f, LD_EV_SIGNED, f->b, "2011-07-01 12:00", NULL, NULL, NULL);
	ev_on(f, LD_EV_COMPLETED, f->b, "2011-07-03 10:00", NULL, NULL, NULL);
	ev_on(f, LD_EV_REPORTED, f->b, "2011-07-03 11:00", NULL, NULL, NULL);
	ev_callback(f, f->b, "2011-07-03 15:00", LD_SAT_UNSATISFIED);
	ev_on(f, LD_EV_REOPENED, f->b, "2011-07-04 09:00", NULL,
	    "2011-07-04 10:00", "2011-07-05 09:00");
	ev_on(f, LD_EV_SIGNED, f->b, "2011-07-04 09:30", NULL, NULL, NULL);
	ev_on(f, LD_EV_COMPLETED, f->b, "2011-07-04 15:00", NULL, NULL, NULL);
	ev_on(f, LD_EV_REPORTED, f->b, "2011-07-04 16:00", NULL, NULL, NULL);
	ev_callback(f, f->b, "2011-07-05 10:00", LD_SAT_BASIC);
	/* C */
	ev_create(f, "2011-07-02 09:00", f->c);
	ev_on(f, LD_EV_DISPATCHED, f->c, "2011-07-02 09:00", "unicom",
	    "2011-07-02 09:30", "2011-07-02 18:00");
	ev_on(f, LD_EV_SIGNED, f->c, "2011-07-02 09:10", NULL, NULL, NULL);
	ev_on(f, LD_EV_RETURNED, f->c, "2011-07-02 09:20", NULL, NULL, NULL);
	ev_on(f, LD_EV_RULED, f->c, "2011-07-02 09:40", NULL,
	    "2011-07-02 10:00", "2011-07-02 18:00");
	ev_on(f, LD_EV_SIGNED, f->c, "2011-07-02 09:50", NULL, NULL, NULL);
	ev_on(f, LD_EV_EXT_REQUESTED, f->c, "2011-07-02 12:00", NULL, NULL,
	    "2011-07-03 18:00");
	ev_on(f, LD_EV_EXT_GRANTED, f->c, "2011-07-02 12:10", NULL, NULL,
	    "2011-07-03 18:00");
	ev_on(f, LD_EV_COMPLETED, f->c, "2011-07-03 12:00", NULL, NULL, NULL);
	/* D */
	ev_create(f, "2011-07-02 10:00", f->d);
	ev_on(f, LD_EV_DISPATCHED, f->d, "2011-07-02 10:00", "water",
	    "2011-07-02 10:30", "2011-07-03 10:00");
	ev_on(f, LD_EV_URGED, f->d, "2011-07-02 10:31", NULL, NULL, NULL);
	ev_on(f, LD_EV_SUPERVISED, f->d, "2011-07-02 11:31", NULL, NULL, NULL);
	/* E, in August */
	ev_create(f, "2011-08-01 10:00", f->e);
	ev_on(f, LD_EV_DISPATCHED, f->e, "2011-08-01 10:00", "unicom",
	    "2011-08-01 10:30", "2011-08-01 14:00");
	ev_on(f, LD_EV_SIGNED, f->e, "2011-08-01 10:10", NULL, NULL, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	topo_free(f->t);
	tu_rm_tree(f->dir);
	free(f->r);
	free(f);
	return 0;
}

static const struct ld_rep_unit *
unit_row(const struct ld_report *r, const char *id)
{
	for (unsigned i = 0; i < r->n_units; i++)
		if (strcmp(r->units[i].id, id) == 0)
			return &r->units[i];
	fail_msg("no unit %s in the report", id);
	return NULL;
}

/* July 2011 at LY: every figure as worked out in the header. */
static void
t_month(void **state)
{
	struct fx *f = *state;
	struct ld_report *r = f->r;
	const struct ld_rep_unit *u;
	struct ld_err err;

	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "LY"),
	    20110701, 20110731, at("2011-08-15 00:00"), r, &err), 0);
	assert_int_equal(r->days, 31);
	assert_string_equal(r->node, "LY");
	/* the article's table */
	assert_int_equal(r->total.calls_in, 10);
	assert_int_equal(r->total.answered, 8);
	assert_int_equal(r->total.valid, 6);
	assert_int_equal(r->total.linkage, 4);
	assert_int_equal(r->total.tickets, 4);		/* A B C D */
	assert_int_equal(r->total.completed, 3);	/* A B C done now */
	assert_int_equal(r->total.in_progress, 1);	/* D */
	assert_int_equal(r->total.callbacks, 3);
	assert_int_equal(r->total.satisfied, 1);
	assert_int_equal(r->total.basic, 1);
	assert_int_equal(r->total.unsatisfied, 1);
	assert_int_equal(r->total.urged, 2);
	assert_int_equal(r->total.supervised, 1);
	assert_int_equal(r->total.returned, 1);
	assert_int_equal(report_completion(&r->total), 750);	/* 3/4 */
	assert_int_equal(report_satisfaction(&r->total), 667);	/* 2/3 */
	/* peaks: 07-01 had six calls, four of them linkage */
	assert_int_equal(r->peak_day, 20110701);
	assert_int_equal(r->peak_day_calls, 6);
	assert_int_equal(r->peak_day_linkage, 4);
	assert_int_equal(r->n_months, 1);
	assert_int_equal(r->peak_month, 201107);
	assert_int_equal(r->peak_month_calls, 10);
	/* a year before: two calls */
	assert_true(r->has_prev);
	assert_int_equal(r->prev.calls_in, 2);
	/* the city reports on every unit of the federation */
	assert_int_equal(r->n_units, f->t->n_units);

	/* unicom: A and C received; both signed and completed in time (C
	 * after the ruling, by its extension; its signature before the
	 * return no longer counts: signed on time once per work order); C returned once, sent back
	 * once, extended once; one callback, satisfied (A). */
	u = unit_row(r, "unicom");
	assert_int_equal(u->received, 2);
	assert_int_equal(u->signed_on_time, 2);
	assert_int_equal(u->completed, 2);
	assert_int_equal(u->completed_on_time, 2);
	assert_int_equal(u->returned, 1);
	assert_int_equal(u->sent_back, 1);
	assert_int_equal(u->extended, 1);
	assert_int_equal(u->urged, 0);
	assert_int_equal(u->supervised, 0);
	assert_int_equal(u->callbacks, 1);
	assert_int_equal(u->satisfied, 1);
	/* score: base 100 (every rate 1); return penalty 10 x 1/2 = 5 */
	assert_true(u->scored);
	assert_int_equal(u->score_x10, 950);
	assert_int_equal(u->rank, 1);

	/* water: B received, received again by the reopen, D received: 3.
	 * Signed in time once (B after the reopen); completed now once (B's
	 * first completion taken back by the reopen), in time; urged twice
	 * (B, D), supervised once (D); two callbacks on B: one unsatisfied,
	 * one basic. */
	u = unit_row(r, "water");
	assert_int_equal(u->received, 3);
	assert_int_equal(u->signed_on_time, 1);
	assert_int_equal(u->completed, 1);
	assert_int_equal(u->completed_on_time, 1);
	assert_int_equal(u->returned, 0);
	assert_int_equal(u->urged, 2);
	assert_int_equal(u->supervised, 1);
	assert_int_equal(u->callbacks, 2);
	assert_int_equal(u->satisfied, 0);
	assert_int_equal(u->basic, 1);
	assert_int_equal(u->unsatisfied, 1);
	/* score: base = 20/3 + 30/3 + 20/3 + 30 x 1/2 = 38.333; penalties
	 * urge 20 x 2/3 = 13.333, supervise 40 x 1/3 = 13.333: 11.667,
	 * rounded to 11.7 */
	assert_int_equal(u->score_x10, 117);
	assert_int_equal(u->rank, 2);

	/* the node's own assessment: LY's units summed (unicom + water):
	 * received 5, signed on time 3, completed 3 (all on time), returned
	 * 1, urged 2, supervised 1, callbacks 3 (1 satisfied, 1 basic).
	 * base = 20 x 3/5 + 30 x 3/5 + 20 x 3/5 + 30 x 2/3 = 62; penalties
	 * 10 x 1/5 + 20 x 2/5 + 40 x 1/5 = 18: 44.0.  XA: nothing received,
	 * unscored. */
	assert_int_equal(r->n_nodes, 2);
	assert_string_equal(r->nodes[0].id, "LY");
	assert_int_equal(r->nodes[0].wo.received, 5);
	assert_int_equal(r->nodes[0].wo.signed_on_time, 3);
	assert_int_equal(r->nodes[0].wo.completed_on_time, 3);
	assert_int_equal(r->nodes[0].wo.callbacks, 3);
	assert_int_equal(r->nodes[0].wo.score_x10, 440);
	assert_int_equal(r->nodes[0].wo.rank, 1);
	assert_string_equal(r->nodes[1].id, "XA");
	assert_false(r->nodes[1].wo.scored);
	assert_int_equal(r->nodes[1].wo.rank, 0);

	/* a unit with nothing received is in the table, unscored */
	u = unit_row(r, "gas");
	assert_int_equal(u->received, 0);
	assert_false(u->scored);
	assert_int_equal(u->rank, 0);

	/* August: E only */
	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "LY"),
	    20110801, 20110831, at("2011-08-15 00:00"), r, &err), 0);
	assert_int_equal(r->total.tickets, 1);
	assert_int_equal(r->total.completed, 0);
	assert_int_equal(unit_row(r, "unicom")->received, 1);
	assert_int_equal(unit_row(r, "unicom")->signed_on_time, 1);
	assert_int_equal(unit_row(r, "water")->received, 0);

	/* the views, counters included, equal a replay of the log */
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
}

/* A county reports on itself: LY's units and calls are not its own. */
static void
t_county_scope(void **state)
{
	struct fx *f = *state;
	struct ld_err err;

	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "XA"),
	    20110701, 20110731, at("2011-08-15 00:00"), f->r, &err), 0);
	assert_int_equal(f->r->total.calls_in, 0);
	for (unsigned i = 0; i < f->r->n_units; i++)
		assert_string_equal(f->r->units[i].node, "XA");
	assert_true(f->r->n_units > 0);
}

static void
t_bad_period(void **state)
{
	struct fx *f = *state;
	struct ld_err err;

	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "LY"),
	    20110731, 20110701, 0, f->r, &err), LD_EINVAL);
	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "LY"),
	    20110230, 20110301, 0, f->r, &err), LD_EINVAL);
	assert_int_equal(assess_report(f->s, f->t, topo_node(f->t, "LY"),
	    20100101, 20121231, 0, f->r, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "at most"));
}

/* The spot check: completions of 07-03 are B (water, later reopened:
 * not completed on 07-03 any more) and C (unicom): one per unit. */
static void
t_spot(void **state)
{
	struct fx *f = *state;
	struct ld_spot_item it[16];
	size_t n;
	uint64_t total;
	struct ld_err err;

	assert_int_equal(spot_draw(f->s, f->t, topo_node(f->t, "LY"),
	    20110703, it, 16, &n, &total, NULL, &err), 0);
	assert_int_equal(total, 1);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].unit, "unicom");
	assert_string_equal(it[0].ticket, f->c);
	assert_int_equal(it[0].wo, 1);
	assert_true(it[0].rank == spot_rank(f->t->assess.spot_seed, 20110703,
	    f->c, 1));
	/* 07-01: A (unicom) */
	assert_int_equal(spot_draw(f->s, f->t, topo_node(f->t, "LY"),
	    20110701, it, 16, &n, &total, NULL, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].ticket, f->a);
	/* the rank depends on seed and day */
	assert_true(spot_rank(1, 20110701, "LY-2011-000001", 1) !=
	    spot_rank(2, 20110701, "LY-2011-000001", 1));
	assert_true(spot_rank(1, 20110701, "LY-2011-000001", 1) !=
	    spot_rank(1, 20110702, "LY-2011-000001", 1));
}

/* Many completions on one day: each unit keeps its spot.sample lowest
 * ranks, the same on a second draw. */
static void
t_spot_sample(void **state)
{
	struct fx *f = *state;
	struct ld_spot_item it[64], again[64];
	size_t n, n2;
	uint64_t total;
	struct ld_err err;
	char id[24];

	for (int i = 0; i < 7; i++) {
		ev_create(f, "2011-08-10 09:00", id);
		ev_on(f, LD_EV_DISPATCHED, id, "2011-08-10 09:00",
		    i % 2 ? "water" : "unicom", "2011-08-10 10:00",
		    "2011-08-10 20:00");
		ev_on(f, LD_EV_SIGNED, id, "2011-08-10 09:10", NULL, NULL, NULL);
		ev_on(f, LD_EV_COMPLETED, id, "2011-08-10 12:00", NULL, NULL,
		    NULL);
	}
	assert_int_equal(spot_draw(f->s, f->t, topo_node(f->t, "LY"),
	    20110810, it, 64, &n, &total, NULL, &err), 0);
	assert_int_equal(total, 7);
	assert_int_equal(n, 2 * f->t->assess.spot_sample);
	for (size_t i = 0; i < n; i++) {
		/* sorted by unit, then rank */
		if (i > 0 && strcmp(it[i - 1].unit, it[i].unit) == 0)
			assert_true(it[i - 1].rank < it[i].rank);
		if (i > 0)
			assert_true(strcmp(it[i - 1].unit, it[i].unit) <= 0);
	}
	assert_int_equal(spot_draw(f->s, f->t, topo_node(f->t, "LY"),
	    20110810, again, 64, &n2, &total, NULL, &err), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(it, again, n * sizeof(it[0]));
	/* room for 3 only: the first unit's 2 lowest, then the second
	 * unit's lowest one replaces as the lower ranks come; truncated */
	{
		struct ld_spot_item small[3];
		bool trunc = false;

		assert_int_equal(spot_draw(f->s, f->t, topo_node(f->t, "LY"),
		    20110810, small, 3, &n2, &total, &trunc, &err), 0);
		assert_int_equal(n2, 3);
		assert_true(trunc);
		assert_memory_equal(small, it, 3 * sizeof(it[0]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_month, setup, teardown),
		cmocka_unit_test_setup_teardown(t_county_scope, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_bad_period, setup, teardown),
		cmocka_unit_test_setup_teardown(t_spot, setup, teardown),
		cmocka_unit_test_setup_teardown(t_spot_sample, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
