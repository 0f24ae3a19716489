/*
 * test_req_change.c - change requests end to end below the socket: each
 * request is encoded and decoded as a client would send it, planned
 * (req_plan), committed as one request group (store_commit, joined
 * items), and answered (req_result), on a small topology and a real
 * store, on a simulated clock.
 *
 * The article's cases: a manhole cover fixed by Unicom the same
 * afternoon; a cover of unclear ownership repaired by the housing
 * commission within the hour and settled; a dairy farm's sick cows sent
 * to the animal husbandry bureau; a work order returned and re-routed; an
 * extension; a dissatisfied callback and a reopen.  And the refusals: out
 * of scope, the state machine's, unknown ids, a missing ticket.
 */
#include "testutil.h"

#include <msgpack.h>

#include "ltime.h"
#include "req.h"

#define MIN (60LL * 1000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const char TOPO[] =
	"[federation]\n"
	"name = 洛阳市110城市应急联动服务平台（测试）\n"
	"[node LY]\n"
	"name = 洛阳市110联动服务平台\n"
	"level = city\n"
	"peer = tcp://127.0.0.1:7100\n"
	"client = tcp://127.0.0.1:7101\n"
	"public_key = zyvABYbbTD.U-8/yw/[c5DXi5@z#@8n&60tfc]PW\n"
	"areas = luolong, xigong, baimasi\n"
	"[node XA]\n"
	"name = 新安县110联动服务平台\n"
	"level = county\n"
	"parent = LY\n"
	"client = tcp://127.0.0.1:7111\n"
	"public_key = y.jmhnS:G6taAS?MG<d?}KtpV]iBV$>rP0Z[XKJo\n"
	"areas = xinan\n"
	"[area luolong]\nname = 洛龙区\n"
	"[area xigong]\nname = 西工区\n"
	"[area baimasi]\nname = 白马寺镇\n"
	"[area xinan]\nname = 新安县\n"
	"[unit zhujian]\nname = 市住建委\nnode = LY\n"
	"[unit unicom]\nname = 市联通公司\nnode = LY\n"
	"[unit telecom]\nname = 中国电信洛阳分公司\nnode = LY\n"
	"[unit power]\nname = 洛阳供电公司\nnode = LY\n"
	"[unit water]\nname = 市水务集团\nnode = LY\n"
	"[unit xumu]\nname = 市畜牧局\nnode = LY\n"
	"[unit xa.water]\nname = 新安县水利局\nnode = XA\n"
	"[category manhole]\nname = 井盖（归属不明）\n"
	"urgency.1 = sign 10m, complete 1h\n"
	"urgency.4 = sign 30m, complete 4h\n"
	"[category manhole.unicom]\nname = 井盖（联通）\n"
	"urgency.1 = sign 10m, complete 1h\n"
	"urgency.3 = sign 30m, complete 4h\n"
	"[category livestock]\nname = 畜禽疫病\n"
	"urgency.1 = sign 30m, complete 1d\n"
	"urgency.3 = sign 2h, complete 3d\n"
	"[category power.cut]\nname = 停电\n"
	"urgency.1 = sign 10m, complete 4h\n"
	"urgency.3 = sign 1h, complete 1d\n"
	"[category power.waterplant]\nname = 水厂停电\n"
	"urgency.1 = sign 5m, complete 4h\n"
	"[category water.cut]\nname = 停水\n"
	"urgency.1 = sign 10m, complete 4h\n"
	"urgency.2 = sign 30m, complete 8h\n"
	"[category general]\nname = 一般诉求（12345）\n"
	"urgency.1 = sign 1h, complete 1d\n"
	"urgency.5 = sign 1d, complete 7wd\next_max = 15wd\n"
	"[rule general]\ncategory = general\nareas = *\nunits = zhujian\n"
	"[rule manhole-unicom]\ncategory = manhole.unicom\nareas = *\n"
	"units = unicom\n"
	"[rule livestock]\ncategory = livestock\nareas = *\nunits = xumu\n"
	"[rule power-cut]\ncategory = power.cut\nareas = *\nunits = power\n"
	"[rule waterplant]\ncategory = power.waterplant\nareas = *\n"
	"units = power, water\n"
	"[rule water-cut-xinan]\ncategory = water.cut\nareas = xinan\n"
	"units = xa.water\n"
	"[rule water-cut]\ncategory = water.cut\nareas = *\nunits = water\n"
	"[default manhole]\ncategory = manhole\nunit = zhujian\n"
	"sign = 10m\ncomplete = 1h\nsettle = yes\n"
	"[client op-ly-wang]\nname = 王接警员\nrole = operator\nnode = LY\n"
	"public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt\n"
	"[client admin-ly-liu]\nname = 刘管理员\nrole = admin\nnode = LY\n"
	"public_key = O(#X@K5EYbIig2=ELD>j!nn}qaU)Z1@7:uBeW>?7\n"
	"[client op-xa-zhao]\nname = 赵接警员\nrole = operator\nnode = XA\n"
	"public_key = Q%&5}+z+ISzGGj3F*O?M*yL5-]IX%n%1TbKoh+d1\n"
	"[client unit-zhujian]\nname = 住建终端\nrole = unit\nnode = LY\n"
	"unit = zhujian\n"
	"public_key = P9i[Ek$^R%z{T[Xr?RUN3%.Qx]#/xV2G$6j*)W$P\n"
	"[client unit-unicom]\nname = 联通终端\nrole = unit\nnode = LY\n"
	"unit = unicom\n"
	"public_key = NXhHKjB}C)X{)i^XOIzeWMx!Ny-PFt{1GK$a:BeO\n"
	"[client unit-power]\nname = 供电终端\nrole = unit\nnode = LY\n"
	"unit = power\n"
	"public_key = iOp-r{R75!1Ya@+v03cX=x}5ZA[vqfjn3xs]/c>r\n"
	"[client unit-water]\nname = 水务终端\nrole = unit\nnode = LY\n"
	"unit = water\n"
	"public_key = }E/M7Zw&Gs}0Srr3=s^rg5%9#7d0vBUEdQZm8YiV\n"
	"[client unit-xumu]\nname = 畜牧终端\nrole = unit\nnode = LY\n"
	"unit = xumu\n"
	"public_key = D+@(#}Kr!LpZn8e=4fF/)8Z-RS4s]S{tP{omG/7*\n";

#define OP "op-ly-wang"

/* One node's store, the topology, and the last request and its answer. */
struct fx {
	char *dir;
	struct ld_store *s;
	struct ld_topo *t;
	struct ld_req_env env;
	int64_t now;
	uint64_t next_id;
	struct ld_request *rq;		/* being built */
	struct ld_request *dec;		/* as the node decoded it */
	struct ld_event *ev;		/* LD_REQ_EVENTS_MAX */
	struct ld_store_item it[LD_REQ_EVENTS_MAX];
	struct ld_req_plan p;
	struct ld_err err;		/* of the last refusal */
	uint8_t *buf;			/* the reply */
	msgpack_unpacked up;
	const msgpack_object *res;	/* the reply's result map */
};

static void
fx_open_store(struct fx *f, const char *node)
{
	struct ld_store_opts o = { .dir = f->dir, .node = node,
		.no_sync = true };
	struct ld_err err;

	if (store_open(&f->s, &o, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	f->env.s = f->s;
	f->env.self = topo_node(f->t, node);
	assert_true(f->env.self >= 0);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int rc;

	assert_non_null(f);
	rc = topo_load_mem("test.ini", TOPO, strlen(TOPO), &f->t);
	if (rc != 0) {
		topo_print_diags(f->t, stderr);
		fail_msg("the test topology does not load");
	}
	f->dir = tu_tmpdir();
	f->env.t = f->t;
	f->env.version = "test";
	fx_open_store(f, "LY");
	f->now = ltime_parse("2011-11-16 10:00");
	f->rq = calloc(1, sizeof(*f->rq));
	f->dec = calloc(1, sizeof(*f->dec));
	f->ev = calloc(LD_REQ_EVENTS_MAX, sizeof(*f->ev));
	f->buf = malloc(LD_PROTO_REPLY_MAX);
	assert_true(f->rq && f->dec && f->ev && f->buf);
	f->p.ev = f->ev;
	msgpack_unpacked_init(&f->up);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	msgpack_unpacked_destroy(&f->up);
	store_close(f->s);
	tu_rm_tree(f->dir);
	topo_free(f->t);
	free(f->rq);
	free(f->dec);
	free(f->ev);
	free(f->buf);
	free(f);
	return 0;
}

/* Make the fixture a county node (XA) with a fresh store. */
static void
fx_county(struct fx *f)
{
	store_close(f->s);
	tu_rm_tree(f->dir);
	f->dir = tu_tmpdir();
	fx_open_store(f, "XA");
}

/* ---- building requests ------------------------------------------------- */

/* Start request op (on ticket, if not NULL). */
static void
rq(struct fx *f, enum ld_op op, const char *ticket)
{
	memset(f->rq, 0, sizeof(*f->rq));
	f->rq->id = ++f->next_id;
	f->rq->op = op;
	if (ticket != NULL) {
		f->rq->q_present |= 1u << LD_Q_TICKET;
		snprintf(f->rq->ticket, sizeof(f->rq->ticket), "%s", ticket);
	}
}

static void
a_str(struct fx *f, enum ld_field fl, const char *v)
{
	assert_int_equal(event_set_str(&f->rq->args, fl, v), 0);
}

static void
a_uint(struct fx *f, enum ld_field fl, uint64_t v)
{
	assert_int_equal(event_set_uint(&f->rq->args, fl, v), 0);
}

static void
a_time(struct fx *f, enum ld_field fl, int64_t v)
{
	assert_int_equal(event_set_time(&f->rq->args, fl, v), 0);
}

static void
a_unit(struct fx *f, const char *unit)
{
	assert_int_equal(event_add_unit(&f->rq->args, unit), 0);
}

/* A work order op: ticket, wo. */
static void
rq_wo(struct fx *f, enum ld_op op, const char *ticket, unsigned wo)
{
	rq(f, op, ticket);
	a_uint(f, LD_F_WO, wo);
}

/* ---- running them ------------------------------------------------------ */

/* Every planned event: a new event of this node at now by the caller;
 * the ticket's id on each (a change), or on none (create, calls). */
static void
check_envelope(struct fx *f, const struct ld_caller *c)
{
	for (size_t i = 0; i < f->p.n; i++) {
		const struct ld_event *e = &f->ev[i];

		assert_string_equal(e->origin, f->t->nodes[f->env.self].id);
		assert_int_equal(e->seq, 0);
		assert_int_equal(e->time_ms, f->now);
		assert_string_equal(e->actor, c->actor);
		assert_string_equal(e->ticket, f->p.ticket);
	}
}

/*
 * The request as the node sees it: encoded and decoded (the codec's
 * checks), then planned by who; if planned, committed as one group and
 * answered.  Returns req_plan's code (the reason in f->err); a refusal
 * must plan nothing and write nothing.
 */
static int
run(struct fx *f, const char *who)
{
	static uint8_t frame[LD_PROTO_FRAME_MAX];
	const char *self = f->t->nodes[f->env.self].id;
	uint64_t cursor = store_cursor(f->s, self);
	struct ld_caller c;
	struct ld_reply reply;
	struct ld_err err;
	size_t cap;
	int len, rc;

	if (req_caller(&f->env, who, &c, &err) != 0)
		fail_msg("req_caller %s: %s", who, err.msg);
	if (req_allowed(&c, f->rq->op, &err) != 0)
		fail_msg("req_allowed: %s", err.msg);
	len = proto_request_encode(f->rq, frame, sizeof(frame), &err);
	if (len < 0)
		fail_msg("encode: %s", err.msg);
	if (proto_request_decode(frame, (size_t)len, f->dec, &err) != 0)
		fail_msg("decode: %s", err.msg);
	f->env.now = f->now;
	cap = req_events_max(f->dec);
	assert_true(cap <= LD_REQ_EVENTS_MAX);
	memset(&f->p, 0, sizeof(f->p));
	f->p.ev = f->ev;
	err_clear(&f->err);
	rc = req_plan(&f->env, &c, f->dec, &f->p, cap, &f->err);
	if (rc != 0) {
		assert_int_equal(f->err.code, rc);
		assert_int_equal(f->p.n, 0);
		assert_int_equal(store_cursor(f->s, self), cursor);
		return rc;
	}
	assert_true(f->p.n >= 1 && f->p.n <= cap);
	check_envelope(f, &c);
	req_items(f->ev, f->p.n, f->it);
	if (store_commit(f->s, f->it, f->p.n, f->now, &err) != 0)
		fail_msg("store_commit: %s", err.msg);
	for (size_t i = 0; i < f->p.n; i++)
		if (f->it[i].rc != 0)
			fail_msg("the store refused event %zu: %s", i + 1,
			    f->it[i].err.msg);
	assert_int_equal(store_cursor(f->s, self), cursor + f->p.n);
	len = req_result(&f->env, &c, f->dec, &f->p, f->buf,
	    LD_PROTO_REPLY_MAX, &err);
	if (len <= 0)
		fail_msg("req_result: %s", err.msg);
	if (proto_reply_decode(f->buf, (size_t)len, &reply, &err) != 0)
		fail_msg("reply: %s", err.msg);
	assert_true(reply.ok);
	assert_int_equal(reply.id, f->rq->id);
	assert_int_equal(msgpack_unpack_next(&f->up, (const char *)reply.result,
	    reply.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
	f->res = &f->up.data;
	assert_int_equal(f->res->type, MSGPACK_OBJECT_MAP);
	return 0;
}

/* run, and it must succeed. */
static void
ok(struct fx *f, const char *who)
{
	if (run(f, who) != 0)
		fail_msg("%s by %s refused: %s", proto_op_name(f->rq->op), who,
		    f->err.msg);
}

/* run, and it must be refused with code and exactly msg (NULL: any). */
static void
refused(struct fx *f, const char *who, int code, const char *msg)
{
	int rc = run(f, who);

	if (rc != code)
		fail_msg("%s by %s: expected %s, got %s (%s)",
		    proto_op_name(f->rq->op), who, err_name(code), err_name(rc),
		    rc ? f->err.msg : "accepted");
	if (msg != NULL)
		assert_string_equal(f->err.msg, msg);
}

/* ---- reading replies and views ----------------------------------------- */

/* The value of key in map m; fails if absent. */
static const msgpack_object *
mp(const msgpack_object *m, const char *key)
{
	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object_kv *kv = &m->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == strlen(key) &&
		    memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0)
			return &kv->val;
	}
	fail_msg("no key '%s' in the reply", key);
	return NULL;
}

/* The string at key of m equals want (NULL: nil). */
static void
mp_str(const msgpack_object *m, const char *key, const char *want)
{
	const msgpack_object *v = mp(m, key);
	char got[256];

	if (want == NULL) {
		assert_int_equal(v->type, MSGPACK_OBJECT_NIL);
		return;
	}
	assert_int_equal(v->type, MSGPACK_OBJECT_STR);
	assert_true(v->via.str.size < sizeof(got));
	memcpy(got, v->via.str.ptr, v->via.str.size);
	got[v->via.str.size] = '\0';
	assert_string_equal(got, want);
}

static bool
mp_bool(const msgpack_object *m, const char *key)
{
	const msgpack_object *v = mp(m, key);

	assert_int_equal(v->type, MSGPACK_OBJECT_BOOLEAN);
	return v->via.boolean;
}

/* The ticket as the store has it now. */
static void
view(struct fx *f, const char *id, struct ld_ticket *t)
{
	struct ld_err err;

	if (store_get_ticket(f->s, id, t, &err) != 0)
		fail_msg("store_get_ticket %s: %s", id, err.msg);
	assert_int_equal(ticket_check(t, NULL), 0);
}

/* The ticket's state in the store, and in the reply's VIEW. */
static void
expect_state(struct fx *f, const char *id, enum ld_ticket_state st)
{
	struct ld_ticket t;

	view(f, id, &t);
	assert_string_equal(ticket_state_name(t.state), ticket_state_name(st));
	mp_str(mp(f->res, "ticket"), "id", id);
	mp_str(mp(f->res, "ticket"), "state", ticket_state_name(st));
}

/* Work order wo of ticket id: its unit, state and deadlines. */
static void
expect_wo(struct fx *f, const char *id, unsigned wo, const char *unit,
    enum ld_wo_state st, int64_t due_sign, int64_t due_done)
{
	struct ld_ticket t;
	const struct ld_wo *w;

	view(f, id, &t);
	assert_true(wo >= 1 && wo <= t.n_wo);
	w = &t.wo[wo - 1];
	assert_string_equal(w->unit, unit);
	assert_string_equal(ticket_wo_state_name(w->state),
	    ticket_wo_state_name(st));
	if (due_sign != 0)
		assert_int_equal(w->due_sign_ms, due_sign);
	if (due_done != 0)
		assert_int_equal(w->due_done_ms, due_done);
}

/* The log replays to the very views the requests left. */
static void
rebuilt(struct fx *f)
{
	struct ld_err err;

	if (store_rebuild(f->s, false, &err) != 0)
		fail_msg("store_rebuild: %s", err.msg);
}

/* ticket.create by who; the new ticket's id into id. */
static void
create(struct fx *f, const char *who, const char *phone, const char *area,
    const char *category, unsigned urgency, const char *text, char *id)
{
	rq(f, LD_OP_TICKET_CREATE, NULL);
	a_str(f, LD_F_PHONE, phone);
	a_str(f, LD_F_PLACE, "王城大道与关林路交叉口");
	a_str(f, LD_F_AREA, area);
	a_str(f, LD_F_TEXT, text);
	a_str(f, LD_F_CATEGORY, category);
	a_uint(f, LD_F_URGENCY, urgency);
	ok(f, who);
	assert_int_equal(f->ev[0].kind, LD_EV_TICKET_CREATED);
	assert_true(f->ev[0].ticket[0] != '\0');	/* given by the store */
	strcpy(id, f->ev[0].ticket);
	assert_string_equal(f->p.ticket, "");
	mp_str(mp(f->res, "ticket"), "id", id);
}

/* The routed event of the last plan: its rule and units (one string,
 * comma-separated). */
static void
expect_routed(struct fx *f, size_t i, const char *rule, const char *units)
{
	const struct ld_event *e = &f->ev[i];
	char got[256] = "";

	assert_true(i < f->p.n);
	assert_int_equal(e->kind, LD_EV_ROUTED);
	assert_string_equal(e->rule, rule);
	for (uint32_t k = 0; k < e->n_units; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    k ? "," : "", e->units[k]);
	assert_string_equal(got, units);
}

/* ---- the article's cases ----------------------------------------------- */

/* A call, then a missing manhole cover: Unicom's by the rule, signed
 * within 15 minutes, fixed the same afternoon, told, called back,
 * closed. */
static void
t_manhole_unicom(void **state)
{
	struct fx *f = *state;
	const int64_t t0 = f->now;
	char id[LD_TICKET_MAX + 1];
	struct ld_ticket t;

	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0001");
	a_str(f, LD_F_PHONE, "13903791234");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, true), 0);
	ok(f, OP);
	assert_int_equal(f->p.n, 3);
	assert_false(f->p.forwarded);
	mp_str(f->res, "call", "C-0001");
	assert_true(mp_bool(f->res, "valid"));
	mp_str(f->res, "class", "linkage");
	assert_false(mp_bool(f->res, "forwarded"));
	assert_int_equal(store_counter_sum(f->s, LD_C_LINKAGE, 20111116,
	    20111116), 1);

	create(f, OP, "13903791234", "luolong", "manhole.unicom", 3,
	    "人行道上联通井盖丢失，有行人险些掉入", id);
	assert_int_equal(strncmp(id, "LY-2011-", 8), 0);
	assert_int_equal(f->p.n, 3);	/* created, routed, dispatched */
	expect_routed(f, 1, "manhole-unicom", "unicom");
	expect_state(f, id, LD_TS_DISPATCHED);
	/* manhole.unicom at urgency 3: sign 30m, complete 4h */
	expect_wo(f, id, 1, "unicom", LD_WO_DISPATCHED, t0 + 30 * MIN,
	    t0 + 4 * HOUR);
	view(f, id, &t);
	assert_string_equal(t.rule, "manhole-unicom");
	assert_string_equal(t.owner, "LY");
	assert_string_equal(t.area, "luolong");
	assert_int_equal(mp(f->res, "earlier")->via.array.size, 0);

	f->now += 15 * MIN;
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-unicom");
	assert_string_equal(f->p.ticket, id);
	expect_state(f, id, LD_TS_IN_PROGRESS);
	expect_wo(f, id, 1, "unicom", LD_WO_SIGNED, 0, 0);

	f->now += 3 * HOUR;
	rq_wo(f, LD_OP_WO_COMPLETE, id, 1);
	a_str(f, LD_F_RESULT, "已补装新井盖，并向110联动办反馈");
	ok(f, "unit-unicom");
	expect_state(f, id, LD_TS_COMPLETED);
	view(f, id, &t);
	assert_true(t.wo[0].completed_ms <= t.wo[0].due_done_ms);
	assert_int_equal(ltime_day(t.wo[0].completed_ms), 20111116);

	f->now += 10 * MIN;
	rq(f, LD_OP_TICKET_REPORT, id);
	a_str(f, LD_F_NOTE, "已电话告知市民处理结果");
	a_uint(f, LD_F_METHOD, LD_METHOD_PHONE);
	ok(f, OP);
	expect_state(f, id, LD_TS_REPORTED);

	f->now += 30 * MIN;
	rq(f, LD_OP_TICKET_CALLBACK, id);
	a_uint(f, LD_F_METHOD, LD_METHOD_SMS);
	a_uint(f, LD_F_SATISFACTION, LD_SAT_SATISFIED);
	ok(f, OP);
	expect_state(f, id, LD_TS_CALLED_BACK);
	mp_str(mp(f->res, "ticket"), "satisfaction", "satisfied");

	rq(f, LD_OP_TICKET_CLOSE, id);
	ok(f, "admin-ly-liu");
	expect_state(f, id, LD_TS_CLOSED);
}

/* A cover nobody claims: the default handler zhujian within the hour,
 * then responsibility settled to telecom. */
static void
t_unclear_cover_settled(void **state)
{
	struct fx *f = *state;
	const int64_t t0 = f->now;
	char id[LD_TICKET_MAX + 1];
	struct ld_ticket t;

	create(f, OP, "13703795678", "xigong", "manhole", 1,
	    "井盖破损下陷，权属不明", id);
	assert_int_equal(f->p.n, 3);
	expect_routed(f, 1, "default manhole (unclear ownership: "
	    "responsibility settled afterwards)", "zhujian");
	expect_state(f, id, LD_TS_DISPATCHED);
	expect_wo(f, id, 1, "zhujian", LD_WO_DISPATCHED, t0 + 10 * MIN,
	    t0 + HOUR);

	f->now += 5 * MIN;
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-zhujian");
	f->now += 40 * MIN;
	rq_wo(f, LD_OP_WO_COMPLETE, id, 1);
	a_str(f, LD_F_RESULT, "已先行更换井盖，45分钟内完成");
	ok(f, "unit-zhujian");
	expect_state(f, id, LD_TS_COMPLETED);
	view(f, id, &t);
	assert_true(t.completed_ms - t.created_ms <= HOUR);

	f->now += HOUR;
	rq_wo(f, LD_OP_WO_SETTLE, id, 1);
	a_str(f, LD_F_UNIT, "nobody");
	refused(f, OP, LD_EUNKNOWN, "args.unit: unknown unit 'nobody'");

	rq_wo(f, LD_OP_WO_SETTLE, id, 1);
	a_str(f, LD_F_UNIT, "telecom");
	a_str(f, LD_F_NOTE, "经核实为电信井盖，费用由电信承担");
	ok(f, OP);
	view(f, id, &t);
	assert_string_equal(t.wo[0].settled_unit, "telecom");
	assert_int_equal(t.wo[0].state, LD_WO_COMPLETED);
	mp_str(mp(f->res, "ticket"), "state", "completed");
}

/* Sick cows on a dairy farm: livestock goes to the animal husbandry
 * bureau by its rule. */
static void
t_dairy_farm_to_xumu(void **state)
{
	struct fx *f = *state;
	const int64_t t0 = f->now;
	char id[LD_TICKET_MAX + 1];

	create(f, OP, "13503790001", "baimasi", "livestock", 3,
	    "奶牛发烧已一个月，请求专家帮助", id);
	expect_routed(f, 1, "livestock", "xumu");
	expect_wo(f, id, 1, "xumu", LD_WO_DISPATCHED, t0 + 2 * HOUR,
	    t0 + 3 * DAY);
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-xumu");
	expect_state(f, id, LD_TS_IN_PROGRESS);
}

/*
 * The operator's first guess (a power cut) is returned by the power
 * company; routing again by the topology finds nobody else, so the
 * operator names xumu.  Xumu asks for more time and gets it; the
 * citizen is not satisfied and the ticket reopens with new deadlines.
 */
static void
t_returned_rerouted_extended_reopened(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	struct ld_ticket t;
	int64_t until;

	create(f, OP, "13503790001", "baimasi", "power.cut", 3,
	    "奶牛场停电？奶牛发烧", id);
	expect_wo(f, id, 1, "power", LD_WO_DISPATCHED, f->now + HOUR,
	    f->now + DAY);

	f->now += 20 * MIN;
	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	refused(f, OP, LD_EREFUSED, "wo.reroute: work order 1 (unit power) "
	    "is dispatched, not returned; only a returned work order can be "
	    "re-routed");

	rq_wo(f, LD_OP_WO_RETURN, id, 1);
	a_str(f, LD_F_REASON, "不属于本单位职责，应由畜牧局处理");
	ok(f, "unit-power");
	expect_state(f, id, LD_TS_RETURNED);
	expect_wo(f, id, 1, "power", LD_WO_RETURNED, 0, 0);

	f->now += 5 * MIN;
	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	refused(f, OP, LD_EREFUSED, "wo.reroute: no other unit to route to; "
	    "name units");
	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	a_unit(f, "nobody");
	refused(f, OP, LD_EUNKNOWN, "args.units[0]: unknown unit 'nobody'");

	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	a_unit(f, "xumu");
	a_str(f, LD_F_NOTE, "畜牧局处理");
	ok(f, OP);
	assert_int_equal(f->p.n, 2);	/* routed, dispatched */
	expect_routed(f, 0, "reroute of work order 1", "xumu");
	assert_int_equal(f->ev[1].wo, 2);
	assert_int_equal(f->ev[1].replaces, 1);
	expect_state(f, id, LD_TS_DISPATCHED);
	expect_wo(f, id, 1, "power", LD_WO_REROUTED, 0, 0);
	/* xumu is not in the route: the route's durations (power.cut, 3) */
	expect_wo(f, id, 2, "xumu", LD_WO_DISPATCHED, f->now + HOUR,
	    f->now + DAY);
	view(f, id, &t);
	assert_int_equal(t.wo[1].replaces, 1);
	assert_string_equal(t.rule, "reroute of work order 1");

	f->now += 30 * MIN;
	rq_wo(f, LD_OP_WO_SIGN, id, 2);
	ok(f, "unit-xumu");
	f->now += DAY;
	view(f, id, &t);
	until = t.wo[1].due_done_ms + 4 * DAY;
	rq_wo(f, LD_OP_EXT_REQUEST, id, 2);
	a_time(f, LD_F_UNTIL, until);
	a_str(f, LD_F_REASON, "需等待化验结果");
	ok(f, "unit-xumu");
	view(f, id, &t);
	assert_true(t.wo[1].ext_pending);
	assert_int_equal(t.wo[1].ext_until_ms, until);

	f->now += 10 * MIN;
	rq_wo(f, LD_OP_EXT_GRANT, id, 2);
	a_time(f, LD_F_UNTIL, until);
	ok(f, OP);
	view(f, id, &t);
	assert_false(t.wo[1].ext_pending);
	assert_int_equal(t.wo[1].due_done_ms, until);
	assert_int_equal(t.wo[1].extensions, 1);

	f->now += 3 * DAY;
	rq_wo(f, LD_OP_WO_COMPLETE, id, 2);
	a_str(f, LD_F_RESULT, "专家组上门诊治，开具处方");
	ok(f, "unit-xumu");
	f->now += HOUR;
	rq(f, LD_OP_TICKET_REPORT, id);
	a_str(f, LD_F_NOTE, "已告知");
	ok(f, OP);
	f->now += 30 * MIN;
	rq(f, LD_OP_TICKET_CALLBACK, id);
	a_uint(f, LD_F_METHOD, LD_METHOD_PHONE);
	a_uint(f, LD_F_SATISFACTION, LD_SAT_UNSATISFIED);
	a_str(f, LD_F_NOTE, "仍有奶牛发烧");
	ok(f, OP);
	/* unsatisfied: the callback reopens the ticket in the same request */
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->ev[0].kind, LD_EV_CALLBACK);
	assert_int_equal(f->ev[1].kind, LD_EV_REOPENED);
	mp_str(mp(f->res, "ticket"), "satisfaction", "unsatisfied");
	expect_state(f, id, LD_TS_DISPATCHED);

	/* reopened already: a second reopen is refused */
	f->now += 5 * MIN;
	rq(f, LD_OP_TICKET_REOPEN, id);
	a_str(f, LD_F_REASON, "市民反映仍有奶牛发烧");
	refused(f, OP, LD_EREFUSED, NULL);
	f->now -= 5 * MIN;
	/* the ticket's category and urgency (power.cut, 3): 1h, 1d */
	expect_wo(f, id, 2, "xumu", LD_WO_DISPATCHED, f->now + HOUR,
	    f->now + DAY);
	expect_wo(f, id, 1, "power", LD_WO_REROUTED, 0, 0);
	view(f, id, &t);
	assert_int_equal(t.reopens, 1);
	/* what the requests wrote replays to the same views */
	rebuilt(f);
}

/*
 * A disputed return (issue 6): xumu returns the work order, the office
 * rules it is xumu's (wo.rule): back to xumu with new deadlines, and xumu
 * cannot return it again, nor can the office re-route it to xumu without
 * a ruling.  Then two unsatisfied callbacks: without a reason the ticket
 * is reopened in the same request; with one it is closed as unsatisfied.
 */
static void
t_dispute_and_unsatisfied(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	struct ld_ticket t;

	create(f, OP, "13503790002", "baimasi", "livestock", 3,
	    "羊群腹泻", id);
	f->now += 10 * MIN;
	rq_wo(f, LD_OP_WO_RULE, id, 1);
	a_str(f, LD_F_NOTE, "属畜牧局职责");
	refused(f, OP, LD_EREFUSED, "wo.rule: work order 1 (unit xumu) is "
	    "dispatched, not returned; there is no return to rule on");
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-xumu");
	rq_wo(f, LD_OP_WO_RETURN, id, 1);
	a_str(f, LD_F_REASON, "应由农业局处理");
	ok(f, "unit-xumu");
	expect_state(f, id, LD_TS_RETURNED);

	/* the office may not send it back to xumu by re-routing, not even
	 * as the second of two units */
	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	a_unit(f, "xumu");
	refused(f, OP, LD_EREFUSED, NULL);
	assert_non_null(strstr(f->err.msg, "goes back to the same unit only "
	    "by a ruling (wo.rule)"));
	rq_wo(f, LD_OP_WO_REROUTE, id, 1);
	a_unit(f, "zhujian");
	a_unit(f, "xumu");
	refused(f, OP, LD_EREFUSED, NULL);
	assert_non_null(strstr(f->err.msg, "unit xumu returned work order 1"));

	f->now += 20 * MIN;
	rq_wo(f, LD_OP_WO_RULE, id, 1);
	a_str(f, LD_F_NOTE, "经核实属畜牧局职责，由畜牧局办理");
	ok(f, OP);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_RULED);
	/* livestock at urgency 3: sign 2h, complete 3d, from the ruling */
	expect_wo(f, id, 1, "xumu", LD_WO_DISPATCHED, f->now + 2 * HOUR,
	    f->now + 3 * DAY);
	view(f, id, &t);
	assert_int_equal(t.wo[0].rulings, 1);
	assert_int_equal(t.wo[0].returns, 1);
	assert_int_equal(t.wo[0].signed_ms, 0);

	f->now += 10 * MIN;
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-xumu");
	rq_wo(f, LD_OP_WO_RETURN, id, 1);
	a_str(f, LD_F_REASON, "仍认为不属本单位");
	refused(f, "unit-xumu", LD_EREFUSED, NULL);
	assert_non_null(strstr(f->err.msg, "sent back to the unit by the "
	    "office's ruling; it cannot be returned again"));

	f->now += HOUR;
	rq_wo(f, LD_OP_WO_COMPLETE, id, 1);
	a_str(f, LD_F_RESULT, "已诊治");
	ok(f, "unit-xumu");
	rq(f, LD_OP_TICKET_REPORT, id);
	a_str(f, LD_F_NOTE, "已告知");
	ok(f, OP);

	/* satisfied with a reason: there is nothing to close as unsatisfied */
	rq(f, LD_OP_TICKET_CALLBACK, id);
	a_uint(f, LD_F_METHOD, LD_METHOD_PHONE);
	a_uint(f, LD_F_SATISFACTION, LD_SAT_SATISFIED);
	a_str(f, LD_F_REASON, "x");
	refused(f, OP, LD_EINVAL, "args.reason: only for an unsatisfied "
	    "callback (it closes the ticket as unsatisfied)");

	/* unsatisfied, no reason: reopened in the same request */
	f->now += HOUR;
	rq(f, LD_OP_TICKET_CALLBACK, id);
	a_uint(f, LD_F_METHOD, LD_METHOD_PHONE);
	a_uint(f, LD_F_SATISFACTION, LD_SAT_UNSATISFIED);
	ok(f, OP);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->ev[0].kind, LD_EV_CALLBACK);
	assert_int_equal(f->ev[1].kind, LD_EV_REOPENED);
	expect_state(f, id, LD_TS_DISPATCHED);
	expect_wo(f, id, 1, "xumu", LD_WO_DISPATCHED, f->now + 2 * HOUR,
	    f->now + 3 * DAY);

	f->now += HOUR;
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-xumu");
	rq_wo(f, LD_OP_WO_COMPLETE, id, 1);
	a_str(f, LD_F_RESULT, "复诊");
	ok(f, "unit-xumu");
	rq(f, LD_OP_TICKET_REPORT, id);
	a_str(f, LD_F_NOTE, "已告知");
	ok(f, OP);
	/* unsatisfied with a reason: closed as unsatisfied */
	rq(f, LD_OP_TICKET_CALLBACK, id);
	a_uint(f, LD_F_METHOD, LD_METHOD_SMS);
	a_uint(f, LD_F_SATISFACTION, LD_SAT_UNSATISFIED);
	a_str(f, LD_F_REASON, "诉求超出政策范围，已解释");
	ok(f, OP);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->ev[1].kind, LD_EV_CLOSED);
	assert_string_equal(f->ev[1].reason, "诉求超出政策范围，已解释");
	expect_state(f, id, LD_TS_CLOSED);
	rebuilt(f);
}

/*
 * An ordinary request: 7 working days to complete, 15 at most with an
 * extension (this topology names no calendar: Monday to Friday).
 * Created Friday 2011-11-18 10:00: working days 11-21 .. 11-25 (5),
 * 11-28, 11-29 (7): due at the end of 29 November.  15 working days:
 * ... 12-05 .. 12-09: at most to the end of 9 December.
 */
static void
t_working_days_ext_max(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];

	f->now = ltime_parse("2011-11-18 10:00");
	create(f, OP, "13503790003", "xigong", "general", 5,
	    "小区路灯不亮", id);
	expect_wo(f, id, 1, "zhujian", LD_WO_DISPATCHED,
	    ltime_parse("2011-11-19 10:00"), ltime_parse("2011-11-30 00:00"));
	f->now += HOUR;
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-zhujian");
	rq_wo(f, LD_OP_EXT_REQUEST, id, 1);
	a_time(f, LD_F_UNTIL, ltime_parse("2011-12-10 00:01"));
	a_str(f, LD_F_REASON, "需协调供电部门");
	refused(f, "unit-zhujian", LD_EREFUSED, "ext.request: work order 1 "
	    "may be extended at most to 2011-12-10 00:00:00 (15 working days "
	    "from dispatch, category general)");
	rq_wo(f, LD_OP_EXT_REQUEST, id, 1);
	a_time(f, LD_F_UNTIL, ltime_parse("2011-12-10 00:00"));
	a_str(f, LD_F_REASON, "需协调供电部门");
	ok(f, "unit-zhujian");
	rq_wo(f, LD_OP_EXT_GRANT, id, 1);
	a_time(f, LD_F_UNTIL, ltime_parse("2011-12-11 00:00"));
	refused(f, OP, LD_EREFUSED, NULL);
	rq_wo(f, LD_OP_EXT_GRANT, id, 1);
	a_time(f, LD_F_UNTIL, ltime_parse("2011-12-10 00:00"));
	ok(f, OP);
	expect_wo(f, id, 1, "zhujian", LD_WO_SIGNED,
	    ltime_parse("2011-11-19 10:00"), ltime_parse("2011-12-10 00:00"));
}

/*
 * Two units at once (the water plant): the water company returns its work
 * order.  While power works on, the operator sends it to zhujian (no
 * routed event: the ticket is in progress).  On a second such ticket,
 * once power is done, routing again by the topology picks power.
 */
static void
t_reroute_two_units(void **state)
{
	struct fx *f = *state;
	char a[LD_TICKET_MAX + 1], b[LD_TICKET_MAX + 1], msg[LD_ERR_MSG_MAX];
	struct ld_ticket t;

	create(f, OP, "037965550000", "luolong", "power.waterplant", 1,
	    "电缆分支箱爆炸，水厂停电", a);
	assert_int_equal(f->p.n, 4);
	expect_routed(f, 1, "waterplant", "power,water");
	expect_wo(f, a, 1, "power", LD_WO_DISPATCHED, f->now + 5 * MIN,
	    f->now + 4 * HOUR);
	expect_wo(f, a, 2, "water", LD_WO_DISPATCHED, f->now + 5 * MIN,
	    f->now + 4 * HOUR);

	/* the power company may not sign for the water company's */
	rq_wo(f, LD_OP_WO_SIGN, a, 2);
	refused(f, "unit-power", LD_EREFUSED, NULL);
	rq_wo(f, LD_OP_WO_SIGN, a, 1);
	ok(f, "unit-power");
	/* a unit sees only its own work orders in the reply */
	assert_int_equal(mp(mp(f->res, "ticket"), "work_orders")->via.array
	    .size, 1);
	rq_wo(f, LD_OP_WO_RETURN, a, 2);
	a_str(f, LD_F_REASON, "不是水务的事");
	ok(f, "unit-water");
	expect_state(f, a, LD_TS_IN_PROGRESS);

	/* power holds an open work order, water returned it: nobody */
	rq_wo(f, LD_OP_WO_REROUTE, a, 2);
	refused(f, OP, LD_EREFUSED, "wo.reroute: no other unit to route to; "
	    "name units");
	/* no more than LD_WO_MAX work orders on a ticket */
	rq_wo(f, LD_OP_WO_REROUTE, a, 2);
	for (int i = 0; i < LD_WO_MAX - 1; i++)
		a_unit(f, "zhujian");
	refused(f, OP, LD_ELIMIT, "wo.reroute: the ticket has 2 work orders; "
	    "15 more would exceed the limit of 16");
	/* the state machine's word on the second dispatch, named by the op */
	rq_wo(f, LD_OP_WO_REROUTE, a, 2);
	a_unit(f, "telecom");
	a_unit(f, "telecom");
	snprintf(msg, sizeof(msg), "wo.reroute: %s: unit telecom already "
	    "holds open work order 3 on this ticket", a);
	refused(f, OP, LD_EREFUSED, msg);

	rq_wo(f, LD_OP_WO_REROUTE, a, 2);
	a_unit(f, "zhujian");
	ok(f, OP);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_DISPATCHED);
	expect_wo(f, a, 3, "zhujian", LD_WO_DISPATCHED, f->now + 5 * MIN,
	    f->now + 4 * HOUR);
	expect_wo(f, a, 2, "water", LD_WO_REROUTED, 0, 0);
	view(f, a, &t);
	assert_string_equal(t.rule, "waterplant");
	assert_int_equal(t.n_wo, 3);
	assert_int_equal(t.wo[2].replaces, 2);

	create(f, OP, "037965550000", "luolong", "power.waterplant", 1,
	    "又停电了", b);
	rq_wo(f, LD_OP_WO_SIGN, b, 1);
	ok(f, "unit-power");
	f->now += HOUR;
	rq_wo(f, LD_OP_WO_COMPLETE, b, 1);
	a_str(f, LD_F_RESULT, "已恢复供电");
	ok(f, "unit-power");
	rq_wo(f, LD_OP_WO_RETURN, b, 2);
	a_str(f, LD_F_REASON, "供电问题");
	ok(f, "unit-water");
	expect_state(f, b, LD_TS_RETURNED);
	rq_wo(f, LD_OP_WO_REROUTE, b, 2);
	ok(f, OP);
	assert_int_equal(f->p.n, 2);
	expect_routed(f, 0, "reroute of work order 2: waterplant", "power");
	expect_wo(f, b, 3, "power", LD_WO_DISPATCHED, f->now + 5 * MIN,
	    f->now + 4 * HOUR);
	expect_state(f, b, LD_TS_IN_PROGRESS);
	rebuilt(f);
}

/* ---- refusals ---------------------------------------------------------- */

/* Calls: the class of an invalid call, forwarding to the police. */
static void
t_calls(void **state)
{
	struct fx *f = *state;

	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0004");
	a_str(f, LD_F_PHONE, "13903790000");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, false), 0);
	a_uint(f, LD_F_CLASS, LD_CLASS_LINKAGE);
	refused(f, OP, LD_EINVAL, "args.class: an invalid call has no class");

	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0004");
	a_str(f, LD_F_PHONE, "13903790000");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, false), 0);
	ok(f, OP);
	assert_false(f->ev[2].valid);
	assert_false(event_has(&f->ev[2], LD_F_CLASS));
	mp_str(f->res, "class", NULL);
	assert_false(mp_bool(f->res, "forwarded"));

	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0005");
	a_str(f, LD_F_PHONE, "13903790001");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, true), 0);
	a_uint(f, LD_F_CLASS, LD_CLASS_POLICE);
	ok(f, OP);
	assert_true(f->p.forwarded);
	mp_str(f->res, "class", "police");
	assert_true(mp_bool(f->res, "forwarded"));
	assert_int_equal(store_counter_sum(f->s, LD_C_CALLS_IN, 20111116,
	    20111116), 2);
	assert_int_equal(store_counter_sum(f->s, LD_C_POLICE, 20111116,
	    20111116), 1);

	/* a call nobody answered: counted in, not answered; it cannot be
	 * judged valid */
	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0006");
	a_str(f, LD_F_PHONE, "13903790002");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, true), 0);
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_ANSWERED, false),
	    0);
	refused(f, OP, LD_EINVAL, "args.valid: a call not answered cannot be "
	    "judged valid");
	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0006");
	a_str(f, LD_F_PHONE, "13903790002");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, false), 0);
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_ANSWERED, false),
	    0);
	ok(f, OP);
	assert_int_equal(f->p.n, 1);
	assert_int_equal(f->ev[0].kind, LD_EV_CALL_RECEIVED);
	assert_false(event_has(&f->ev[0], LD_F_ANSWERED));
	assert_int_equal(store_counter_sum(f->s, LD_C_CALLS_IN, 20111116,
	    20111116), 3);
	assert_int_equal(store_counter_sum(f->s, LD_C_ANSWERED, 20111116,
	    20111116), 2);
	/* answered=true is the default, said or not */
	rq(f, LD_OP_CALL_LOG, NULL);
	a_str(f, LD_F_CALL, "C-0007");
	a_str(f, LD_F_PHONE, "13903790003");
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_VALID, false), 0);
	assert_int_equal(event_set_bool(&f->rq->args, LD_F_ANSWERED, true),
	    0);
	ok(f, OP);
	assert_int_equal(f->p.n, 3);
	assert_int_equal(store_counter_sum(f->s, LD_C_ANSWERED, 20111116,
	    20111116), 3);
}

/* Unknown ids, a missing ticket, another unit's ticket, the state
 * machine's refusals named by the op. */
static void
t_refusals(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1], msg[LD_ERR_MSG_MAX];

	rq(f, LD_OP_TICKET_CREATE, NULL);
	a_str(f, LD_F_PHONE, "13900000000");
	a_str(f, LD_F_PLACE, "某地");
	a_str(f, LD_F_AREA, "atlantis");
	a_str(f, LD_F_TEXT, "?");
	a_str(f, LD_F_CATEGORY, "manhole");
	a_uint(f, LD_F_URGENCY, 3);
	refused(f, OP, LD_EUNKNOWN, "args.area: unknown area 'atlantis'");
	a_str(f, LD_F_AREA, "luolong");
	a_str(f, LD_F_CATEGORY, "ufo");
	refused(f, OP, LD_EUNKNOWN, "args.category: unknown category 'ufo'");

	rq_wo(f, LD_OP_WO_SIGN, "LY-2011-999999", 1);
	refused(f, "unit-unicom", LD_ENOTFOUND,
	    "ticket LY-2011-999999: not found");
	rq(f, LD_OP_TICKET_CLOSE, "LY-2011-999999");
	refused(f, OP, LD_ENOTFOUND, "ticket LY-2011-999999: not found");

	create(f, OP, "13903791234", "luolong", "manhole.unicom", 3, "井盖丢失",
	    id);
	/* another unit's ticket: out of its scope */
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	refused(f, "unit-zhujian", LD_EREFUSED, NULL);
	rq_wo(f, LD_OP_WO_SIGN, id, 2);
	refused(f, "unit-unicom", LD_ENOTFOUND, NULL);

	rq_wo(f, LD_OP_WO_COMPLETE, id, 1);
	a_str(f, LD_F_RESULT, "已处理");
	snprintf(msg, sizeof(msg), "wo.complete: %s: work order 1 (unit "
	    "unicom) is not signed for yet; it cannot be completed", id);
	refused(f, "unit-unicom", LD_EREFUSED, msg);

	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	ok(f, "unit-unicom");
	rq_wo(f, LD_OP_WO_SIGN, id, 1);
	snprintf(msg, sizeof(msg), "wo.sign: %s: work order 1 (unit unicom) "
	    "is already signed for", id);
	refused(f, "unit-unicom", LD_EREFUSED, msg);

	rq(f, LD_OP_TICKET_REPORT, id);
	a_str(f, LD_F_NOTE, "告知");
	refused(f, OP, LD_EREFUSED, NULL);
	assert_int_equal(strncmp(f->err.msg, "ticket.report: ", 15), 0);
	rq(f, LD_OP_TICKET_REOPEN, id);
	a_str(f, LD_F_REASON, "不满意");
	refused(f, OP, LD_EREFUSED, NULL);
	expect_state(f, id, LD_TS_IN_PROGRESS);	/* the sign's reply */
}

/* A county operator records tickets only in its own areas; the city
 * records one in a county's area itself, for now. */
static void
t_county_scope(void **state)
{
	struct fx *f = *state;
	char id[LD_TICKET_MAX + 1];
	struct ld_ticket t;

	/* the city records a request in Xin'an's area: handed down, not
	 * dispatched by the city (docs/federation.md §5) */
	create(f, OP, "13803790000", "xinan", "water.cut", 2, "新安县城停水",
	    id);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->ev[1].kind, LD_EV_TRANSFER_REQUESTED);
	assert_string_equal(f->ev[1].node, "XA");
	assert_int_equal(f->ev[1].direction, LD_DIR_DOWN);
	view(f, id, &t);
	assert_string_equal(t.owner, "LY");
	assert_string_equal(t.transfer_to, "XA");
	assert_int_equal(t.n_wo, 0);
	assert_int_equal(t.state, LD_TS_NEW);

	/* a county operator records a request in the city's area: the
	 * county creates it and escalates it to its parent */
	fx_county(f);
	create(f, "op-xa-zhao", "13803790000", "luolong", "water.cut", 2,
	    "停水", id);
	assert_int_equal(strncmp(id, "XA-2011-", 8), 0);
	assert_int_equal(f->p.n, 2);
	assert_int_equal(f->ev[1].kind, LD_EV_TRANSFER_REQUESTED);
	assert_string_equal(f->ev[1].node, "LY");
	assert_int_equal(f->ev[1].direction, LD_DIR_UP);
	view(f, id, &t);
	assert_string_equal(t.owner, "XA");
	assert_string_equal(t.transfer_to, "LY");

	/* its own area: its own ticket, dispatched to its units */
	create(f, "op-xa-zhao", "13803790000", "xinan", "water.cut", 2,
	    "新安县城停水", id);
	assert_int_equal(strncmp(id, "XA-2011-", 8), 0);
	expect_routed(f, 1, "water-cut-xinan", "xa.water");
	view(f, id, &t);
	assert_string_equal(t.owner, "XA");
}

/* ticket.create answers with the caller's earlier tickets by phone,
 * newest first, at most LD_REQ_EARLIER_MAX, not the new one. */
static void
t_earlier(void **state)
{
	struct fx *f = *state;
	char ids[LD_REQ_EARLIER_MAX + 3][LD_TICKET_MAX + 1];
	char other[LD_TICKET_MAX + 1];
	const msgpack_object *e;
	int n = LD_REQ_EARLIER_MAX + 2;

	create(f, OP, "13911112222", "luolong", "manhole", 4, "第一次", ids[0]);
	create(f, OP, "13900000000", "luolong", "manhole", 4, "别人", other);
	create(f, OP, "13911112222", "luolong", "manhole", 4, "第二次", ids[1]);
	e = mp(f->res, "earlier");
	assert_int_equal(e->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(e->via.array.size, 1);
	mp_str(&e->via.array.ptr[0], "id", ids[0]);
	mp_str(&e->via.array.ptr[0], "phone", "13911112222");

	for (int i = 2; i <= n; i++) {
		f->now += MIN;
		create(f, OP, "13911112222", "xigong", "manhole", 4, "又一次",
		    ids[i]);
	}
	e = mp(f->res, "earlier");
	assert_int_equal(e->via.array.size, LD_REQ_EARLIER_MAX);
	for (int k = 0; k < LD_REQ_EARLIER_MAX; k++)
		mp_str(&e->via.array.ptr[k], "id", ids[n - 1 - k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_manhole_unicom, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_unclear_cover_settled, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_dairy_farm_to_xumu, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    t_returned_rerouted_extended_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(t_reroute_two_units, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_dispute_and_unsatisfied, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_working_days_ext_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(t_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(t_county_scope, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_earlier, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
