/*
 * test_due.c - deadlines that pass (shared/due.h), on a store and the
 * topology of topology.example, in simulated time: a work order not
 * signed for by its deadline is urged; missing the next deadline after an
 * urge puts it under supervision; a signed one is not urged for signing;
 * another node's ticket is not ours to act on; a full batch leaves the
 * rest for the next call.  And the node itself (t_node_urges): a ticket
 * recorded, the node stopped and started again two hours later
 * (LD_CLOCK_OFFSET_MS): its deadlines passed meanwhile, and the node
 * urges, then supervises, as soon as it runs.
 */
#include "testnet.h"
#include "testgen.h"
#include "testmp.h"
#include "proto.h"

#include "due.h"
#include "ltime.h"
#include "store.h"
#include "topo.h"

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */
#define MIN (60LL * 1000)

struct fx {
	char *dir;
	struct ld_store *s;
	struct ld_topo *t;
	struct ld_req_env env;
	struct ld_event ev[8];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ld_store_opts o = { 0 };
	struct ld_err err;

	f->dir = tu_tmpdir();
	o.dir = f->dir;
	o.node = "LY";
	o.no_sync = true;
	assert_int_equal(store_open(&f->s, &o, &err), 0);
	assert_int_equal(topo_load("topology.example", &f->t), 0);
	f->env.s = f->s;
	f->env.t = f->t;
	f->env.self = topo_node(f->t, "LY");
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
	free(f);
	return 0;
}

/* Commit events ev[0 .. n) (one each); the first ticket id into id. */
static void
commit(struct fx *f, struct ld_event *ev, size_t n, int64_t now, char *id)
{
	for (size_t i = 0; i < n; i++) {
		struct ld_store_item it = { .ev = &ev[i] };
		struct ld_err err;

		if (id != NULL && id[0] && ev[i].ticket[0] == '\0' &&
		    ev[i].kind != LD_EV_TICKET_CREATED)
			snprintf(ev[i].ticket, sizeof(ev[i].ticket), "%s", id);
		assert_int_equal(store_commit(f->s, &it, 1, now, &err), 0);
		if (it.rc != 0)
			fail_msg("event %zu: %s", i, it.err.msg);
		if (id != NULL && ev[i].kind == LD_EV_TICKET_CREATED)
			strcpy(id, ev[i].ticket);
	}
}

/* A ticket of origin with one work order to unicom dispatched at t: due
 * to sign t + 30 min, to complete t + 4 h (testgen). */
static void
ticket(struct fx *f, const char *origin, int64_t t, char *id)
{
	struct ld_event ev[2];

	id[0] = '\0';
	tg_created(&ev[0], origin, t, "13900000001");
	tg_dispatched(&ev[1], origin, t, "", 1, "unicom");
	commit(f, ev, 2, t, id);
}

static void
t_urge_then_supervise(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	int64_t covered;
	size_t n;

	ticket(f, "LY", T0, id);
	assert_int_equal(due_next(f->s, 0), T0 + 30 * MIN);
	/* before the deadline: nothing */
	f->env.now = T0 + 29 * MIN;
	assert_int_equal(due_plan(&f->env, 0, f->env.now, f->ev, 8, &covered),
	    0);
	assert_int_equal(covered, T0 + 29 * MIN);
	/* the sign deadline passes: urged */
	f->env.now = T0 + 31 * MIN;
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_URGED);
	assert_string_equal(f->ev[0].ticket, id);
	assert_int_equal(f->ev[0].wo, 1);
	assert_string_equal(f->ev[0].actor, DUE_ACTOR);
	assert_non_null(strstr(f->ev[0].note, "sign for"));
	commit(f, f->ev, n, f->env.now, NULL);
	assert_int_equal(covered, T0 + 31 * MIN);
	/* looked at already: nothing again */
	assert_int_equal(due_plan(&f->env, covered, f->env.now, f->ev, 8,
	    &covered), 0);
	/* the next deadline is the one to complete; missed after an urge:
	 * supervised */
	assert_int_equal(due_next(f->s, covered), T0 + 240 * MIN);
	f->env.now = T0 + 241 * MIN;
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_SUPERVISED);
	assert_non_null(strstr(f->ev[0].note, "complete"));
	commit(f, f->ev, n, f->env.now, NULL);
	{
		struct ld_ticket t;
		struct ld_err err;

		assert_int_equal(store_get_ticket(f->s, id, &t, &err), 0);
		assert_int_equal(t.wo[0].urges, 1);
		assert_int_equal(t.wo[0].supervisions, 1);
	}
}

static void
t_signed_in_time(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	struct ld_event ev;
	int64_t covered;
	size_t n;

	ticket(f, "LY", T0, id);
	tg_wo_event(&ev, LD_EV_SIGNED, "LY", T0 + 10 * MIN, id, 1);
	commit(f, &ev, 1, T0 + 10 * MIN, NULL);
	/* past the sign deadline: signed, nothing; past the complete one,
	 * still open: urged (its first miss) */
	f->env.now = T0 + 241 * MIN;
	n = due_plan(&f->env, 0, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_URGED);
	assert_non_null(strstr(f->ev[0].note, "complete"));
	/* completed in time: nothing at all */
	ticket(f, "LY", T0 + 300 * MIN, id);
	tg_wo_event(&ev, LD_EV_SIGNED, "LY", T0 + 301 * MIN, id, 1);
	commit(f, &ev, 1, T0 + 301 * MIN, NULL);
	tg_wo_event(&ev, LD_EV_COMPLETED, "LY", T0 + 302 * MIN, id, 1);
	commit(f, &ev, 1, T0 + 302 * MIN, NULL);
	f->env.now = T0 + 600 * MIN;
	assert_int_equal(due_plan(&f->env, T0 + 242 * MIN, f->env.now, f->ev,
	    8, &covered), 0);
}

static void
t_not_ours_and_full(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1], a[LD_TICKET_MAX + 1];
	int64_t covered;
	size_t n;

	/* a ticket XA owns, replicated here: XA urges, not us */
	{
		struct ld_event ev[2];
		struct ld_store_item it[2];
		struct ld_err err;

		tg_created(&ev[0], "XA", T0, "13900000002");
		snprintf(ev[0].ticket, sizeof(ev[0].ticket), "XA-2011-000001");
		ev[0].seq = 1;
		tg_dispatched(&ev[1], "XA", T0, "XA-2011-000001", 1, "unicom");
		ev[1].seq = 2;
		memset(it, 0, sizeof(it));
		it[0].ev = &ev[0];
		it[1].ev = &ev[1];
		assert_int_equal(store_commit(f->s, it, 2, T0, &err), 0);
		assert_int_equal(it[1].rc, 0);
	}
	f->env.now = T0 + 31 * MIN;
	assert_int_equal(due_plan(&f->env, 0, f->env.now, f->ev, 8, &covered),
	    0);
	/* two of ours due in the same window, room for one: the other next */
	ticket(f, "LY", T0, a);
	ticket(f, "LY", T0 + MIN, id);
	f->env.now = T0 + 32 * MIN;
	n = due_plan(&f->env, 0, f->env.now, f->ev, 1, &covered);
	assert_int_equal(n, 1);
	assert_string_equal(f->ev[0].ticket, a);
	assert_true(covered < f->env.now);
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_string_equal(f->ev[0].ticket, id);
	assert_int_equal(covered, f->env.now);
}

static void
t_node_urges(void **state)
{
	struct tn net;
	struct tn_node ly;
	struct ld_client *op;
	struct ld_request r;
	struct ld_reply rep;
	struct ld_err err;
	msgpack_unpacked u;
	char id[LD_TICKET_MAX + 1], kind[32], actor[32], path[64];
	bool urged = false, supervised = false;

	(void)state;
	tn_init(&net);
	assert_true(tn_start(&net, &ly, "LY", NULL));
	op = tn_client(&net, "LY", "op-ly-wang", 5000);
	assert_non_null(op);
	/* a cover of unclear ownership: the housing commission, to sign
	 * within 10 minutes and complete within 1 hour */
	memset(&r, 0, sizeof(r));
	r.op = LD_OP_TICKET_CREATE;
	event_set_str(&r.args, LD_F_PHONE, "13703795678");
	event_set_str(&r.args, LD_F_PLACE, "中州路与解放路口东侧");
	event_set_str(&r.args, LD_F_AREA, "xigong");
	event_set_str(&r.args, LD_F_CATEGORY, "manhole");
	event_set_uint(&r.args, LD_F_URGENCY, 1);
	event_set_str(&r.args, LD_F_TEXT, "井盖破损下陷，权属不明");
	assert_int_equal(client_call(op, &r, &rep, &err), 0);
	assert_true(rep.ok);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)rep.result,
	    rep.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
	tm_str(&u.data, "ticket.id", id, sizeof(id));
	msgpack_unpacked_destroy(&u);
	client_close(op);
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);

	/* two hours later */
	setenv("LD_CLOCK_OFFSET_MS", "7200000", 1);
	assert_true(tn_start(&net, &ly, "LY", NULL));
	unsetenv("LD_CLOCK_OFFSET_MS");
	op = tn_client(&net, "LY", "op-ly-wang", 5000);
	for (int w = 0; w < 200 && !(urged && supervised); w++) {
		memset(&r, 0, sizeof(r));
		r.op = LD_OP_TICKET_SHOW;
		memcpy(r.ticket, id, sizeof(r.ticket));
		r.q_present |= 1u << LD_Q_TICKET;
		assert_int_equal(client_call(op, &r, &rep, &err), 0);
		assert_true(rep.ok);
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, (const char *)
		    rep.result, rep.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
		for (long i = 0; i < tm_len(&u.data, "history"); i++) {
			snprintf(path, sizeof(path), "history.%ld.kind", i);
			tm_str(&u.data, path, kind, sizeof(kind));
			snprintf(path, sizeof(path), "history.%ld.actor", i);
			tm_str(&u.data, path, actor, sizeof(actor));
			if (strcmp(actor, DUE_ACTOR) != 0)
				continue;
			urged |= strcmp(kind, "urged") == 0;
			supervised |= strcmp(kind, "supervised") == 0;
		}
		msgpack_unpacked_destroy(&u);
		if (!(urged && supervised))
			tn_sleep_ms(50);
	}
	assert_true(urged);		/* not signed within 10 minutes */
	assert_true(supervised);	/* nor completed within the hour */
	assert_true(tn_log_has(&ly, "deadlines passed"));
	/* both show on the unit's queue */
	{
		struct ld_client *un = tn_client(&net, "LY", "unit-zhujian",
		    5000);

		assert_non_null(un);
		memset(&r, 0, sizeof(r));
		r.op = LD_OP_WO_QUEUE;
		assert_int_equal(client_call(un, &r, &rep, &err), 0);
		assert_true(rep.ok);
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, (const char *)rep.result,
		    rep.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
		assert_true(tm_len(&u.data, "work_orders") >= 1);
		assert_int_equal(tm_uint(&u.data, "work_orders.0.urges"), 1);
		assert_int_equal(tm_uint(&u.data, "work_orders.0.supervisions"),
		    1);
		msgpack_unpacked_destroy(&u);
		client_close(un);
	}
	client_close(op);
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	tn_fini(&net);
}

/* An extension moves the deadline to complete, so the urge and the
 * supervision move with it: nothing at the first deadline; urged at the
 * extended one; a second extension missed: supervised. */
static void
t_extension_moves(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	struct ld_event ev;
	int64_t covered;
	size_t n;

	ticket(f, "LY", T0, id);
	tg_wo_event(&ev, LD_EV_SIGNED, "LY", T0 + 10 * MIN, id, 1);
	commit(f, &ev, 1, T0 + 10 * MIN, NULL);
	tg_wo_event(&ev, LD_EV_EXT_REQUESTED, "LY", T0 + 60 * MIN, id, 1);
	event_set_time(&ev, LD_F_UNTIL, T0 + 480 * MIN);
	event_set_str(&ev, LD_F_REASON, "parts on order");
	commit(f, &ev, 1, T0 + 60 * MIN, NULL);
	tg_wo_event(&ev, LD_EV_EXT_GRANTED, "LY", T0 + 70 * MIN, id, 1);
	event_set_time(&ev, LD_F_UNTIL, T0 + 480 * MIN);
	commit(f, &ev, 1, T0 + 70 * MIN, NULL);
	/* the first deadline (4 h) is gone: the next is at 8 h */
	assert_int_equal(due_next(f->s, T0 + 11 * MIN), T0 + 480 * MIN);
	f->env.now = T0 + 241 * MIN;
	assert_int_equal(due_plan(&f->env, T0 + 11 * MIN, f->env.now, f->ev, 8,
	    &covered), 0);
	f->env.now = T0 + 481 * MIN;
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_URGED);
	commit(f, f->ev, n, f->env.now, NULL);
	/* a second extension, missed as well: supervised at 12 h */
	tg_wo_event(&ev, LD_EV_EXT_REQUESTED, "LY", T0 + 490 * MIN, id, 1);
	event_set_time(&ev, LD_F_UNTIL, T0 + 720 * MIN);
	event_set_str(&ev, LD_F_REASON, "more parts");
	commit(f, &ev, 1, T0 + 490 * MIN, NULL);
	tg_wo_event(&ev, LD_EV_EXT_GRANTED, "LY", T0 + 500 * MIN, id, 1);
	event_set_time(&ev, LD_F_UNTIL, T0 + 720 * MIN);
	commit(f, &ev, 1, T0 + 500 * MIN, NULL);
	f->env.now = T0 + 719 * MIN;
	assert_int_equal(due_plan(&f->env, covered, f->env.now, f->ev, 8,
	    &covered), 0);
	f->env.now = T0 + 721 * MIN;
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_SUPERVISED);
}

/* The manhole rule of unclear ownership (topology.example): the housing
 * commission signs within 10 minutes and completes within 1 hour; signed
 * in time but not complete at 1 hour: urged then, not a minute before. */
static void
t_manhole_one_hour(void **state)
{
	struct fx *f = *state;
	struct ld_topo_route rt;
	struct ld_event ev[2];
	struct ld_err err;
	char id[LD_TICKET_MAX + 1] = "";
	int64_t covered;
	size_t n;

	assert_int_equal(topo_route(f->t, "manhole", "xigong", 3, &rt, &err), 0);
	assert_int_equal(rt.n_units, 1);
	assert_string_equal(f->t->units[rt.units[0]].id, "zhujian");
	assert_true(rt.fallback >= 0);
	assert_int_equal(rt.sign_ms[0], 10 * MIN);
	assert_int_equal(rt.complete_ms[0], 60 * MIN);
	tg_created(&ev[0], "LY", T0, "13900000003");
	tg_dispatched(&ev[1], "LY", T0, "", 1, "zhujian");
	event_set_time(&ev[1], LD_F_DUE_SIGN, T0 + rt.sign_ms[0]);
	event_set_time(&ev[1], LD_F_DUE_DONE, topo_due(f->t, T0,
	    rt.complete_ms[0], rt.complete_wd[0]));
	commit(f, ev, 2, T0, id);
	tg_wo_event(&ev[0], LD_EV_SIGNED, "LY", T0 + 5 * MIN, id, 1);
	commit(f, ev, 1, T0 + 5 * MIN, NULL);
	f->env.now = T0 + 59 * MIN;
	assert_int_equal(due_plan(&f->env, 0, f->env.now, f->ev, 8, &covered),
	    0);
	f->env.now = T0 + 60 * MIN + 1;
	n = due_plan(&f->env, covered, f->env.now, f->ev, 8, &covered);
	assert_int_equal(n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_URGED);
	assert_non_null(strstr(f->ev[0].note, "complete"));
}

/* An ordinary request (category general: 7 working days) dispatched on
 * the Friday before National Day 2011: 1-7 October are holidays, 8 and 9
 * October (a weekend) make-up working days (calendar.example).  Working
 * days: 10-08, 10-09, 10-10, 10-11, 10-12, 10-13, 10-14: due at the end
 * of 14 October, local. */
static void
t_working_days(void **state)
{
	struct fx *f = *state;
	struct ld_topo_route rt;
	struct ld_err err;
	int64_t from = ltime_parse("2011-09-30 15:00");

	assert_int_equal(topo_route(f->t, "general", "luolong", 5, &rt, &err),
	    0);
	assert_int_equal(rt.complete_wd[0], 7);
	assert_int_equal(rt.complete_ms[0], 0);
	assert_int_equal(topo_due(f->t, from, rt.complete_ms[0],
	    rt.complete_wd[0]), ltime_parse("2011-10-15 00:00"));
	/* at most 15 working days with an extension: 10-08, 10-09, 10-10 ..
	 * 10-14 (7), 10-17 .. 10-21 (12), 10-24, 10-25, 10-26 (15): the end
	 * of 26 October */
	{
		const struct ld_topo_category *c =
		    &f->t->categories[topo_category(f->t, "general")];

		assert_int_equal(c->ext_max_wd, 15);
		assert_int_equal(topo_due(f->t, from, c->ext_max_ms,
		    c->ext_max_wd), ltime_parse("2011-10-27 00:00"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_urge_then_supervise, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_signed_in_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_not_ours_and_full, setup,
		    teardown),
	};

	const struct CMUnitTest node_tests[] = {
		cmocka_unit_test_setup_teardown(t_extension_moves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_manhole_one_hour, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_working_days, setup,
		    teardown),
		cmocka_unit_test(t_node_urges),
	};
	int rc = cmocka_run_group_tests_name("due", tests, NULL, NULL);

	return rc + cmocka_run_group_tests_name("due_node", node_tests, NULL,
	    NULL);
}
