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
	client_close(op);
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	tn_fini(&net);
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
		cmocka_unit_test(t_node_urges),
	};
	int rc = cmocka_run_group_tests_name("due", tests, NULL, NULL);

	return rc + cmocka_run_group_tests_name("due_node", node_tests, NULL,
	    NULL);
}
