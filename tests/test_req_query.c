/*
 * test_req_query.c - the queries of req.h (ticket.show, ticket.list,
 * wo.queue, figures, status) and the result shapes of req_write.c, on a
 * real store in a temp dir.
 *
 * Every test starts from the same small city (setup): eight tickets over
 * three local days, made by committing events directly, one of them owned
 * by the county node XA (replicated: remote events).  Requests go through
 * the protocol codec (encode, decode) as they would over the wire, and
 * replies through proto_reply_decode and msgpack-c's reader.
 *
 * The tickets, newest first (NOW is 2011-11-18 13:05 local):
 *
 *   H  LY-2011-000007  11-18 12:55  baimasi  P2  unicom (open)
 *   E  LY-2011-000006  11-18 12:50  luolong  P4  unicom (open)
 *   G2 LY-2011-000005  11-17 13:05  luolong  P3  unicom (signed, late)
 *   G1 LY-2011-000004  11-17 13:05  luolong  P3  zhujian (late to sign)
 *   C  LY-2011-000003  11-17 11:05  luolong  P1  unicom; closed
 *   B  LY-2011-000002  11-16 12:05  baimasi  P2  zhujian (late), "漏水"
 *   X  XA-2011-000001  11-16 11:35  xinan    P1  xa.water (late), owner XA
 *   A  LY-2011-000001  11-16 11:05  luolong  P1  unicom (done), zhujian (late)
 *
 * G1 and G2 were created in the same millisecond: the higher id first.
 * Lists go by the local day of creation, then ticket id, highest first:
 * day 11-16 reads X, B, A (in creation order it would be B, X, A).
 */
#include "testutil.h"
#include "testgen.h"

#include "ltime.h"
#include "proto.h"
#include "req.h"
#include "store.h"
#include "topo.h"

#include <msgpack.h>

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */
#define MIN (60LL * 1000)
#define NOW (T0 + 50 * TG_HOUR)	/* 2011-11-18 13:05:00 +08:00 */
#define STARTED (NOW - 3 * TG_HOUR)

#define A "LY-2011-000001"
#define B "LY-2011-000002"
#define C "LY-2011-000003"
#define G1 "LY-2011-000004"
#define G2 "LY-2011-000005"
#define E "LY-2011-000006"
#define H "LY-2011-000007"
#define X "XA-2011-000001"

#define P1 "13800000001"
#define P2 "13800000002"
#define P3 "13800000003"
#define P4 "13800000004"

/* Every ticket, newest first. */
static const char *const ALL[] = { H, E, G2, G1, C, X, B, A, NULL };

static const char TOPO[] =
	"[federation]\n"
	"name = 洛阳市110城市应急联动服务平台\n"
	"[node LY]\n"
	"name = 洛阳市110联动服务平台\n"
	"level = city\n"
	"peer = tcp://127.0.0.1:7100\n"
	"client = tcp://127.0.0.1:7101\n"
	"public_key = zyvABYbbTD.U-8/yw/[c5DXi5@z#@8n&60tfc]PW\n"
	"areas = luolong, baimasi\n"
	"[node XA]\n"
	"name = 新安县110联动服务平台\n"
	"level = county\n"
	"parent = LY\n"
	"client = tcp://127.0.0.1:7111\n"
	"public_key = y.jmhnS:G6taAS?MG<d?}KtpV]iBV$>rP0Z[XKJo\n"
	"areas = xinan\n"
	"[area luolong]\nname = 洛龙区\n"
	"[area baimasi]\nname = 白马寺镇\n"
	"[area xinan]\nname = 新安县\n"
	"[unit zhujian]\nname = 市住建委\nnode = LY\ncategories = manhole\n"
	"[unit unicom]\nname = 市联通公司\nnode = LY\n"
	"[unit xa.water]\nname = 新安县水务\nnode = XA\n"
	"[category manhole]\n"
	"name = 井盖\n"
	"urgency.1 = sign 10m, complete 1h\n"
	"urgency.3 = sign 30m, complete 4h\n"
	"[rule manhole-unicom]\n"
	"category = manhole\nareas = luolong\nunits = unicom, zhujian\n"
	"[default manhole]\n"
	"category = manhole\nunit = zhujian\nsign = 10m\ncomplete = 1h\n"
	"settle = yes\n"
	"[client op-ly-wang]\nname = 王\nrole = operator\nnode = LY\n"
	"public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt\n"
	"[client adm-ly]\nname = 管理员\nrole = admin\nnode = LY\n"
	"public_key = D&F@q)ORK5sjQ*zWk$&g)*qxl.zFYTP({u(aKo[9\n"
	"[client unit-unicom]\nname = 联通\nrole = unit\nnode = LY\n"
	"unit = unicom\n"
	"public_key = NXhHKjB}C)X{)i^XOIzeWMx!Ny-PFt{1GK$a:BeO\n"
	"[client unit-zhujian]\nname = 住建\nrole = unit\nnode = LY\n"
	"unit = zhujian\n"
	"public_key = P9i[Ek$^R%z{T[Xr?RUN3%.Qx]#/xV2G$6j*)W$P\n"
	"[client op-xa-zhao]\nname = 赵\nrole = operator\nnode = XA\n"
	"public_key = Q%&5}+z+ISzGGj3F*O?M*yL5-]IX%n%1TbKoh+d1\n";

struct fx {
	char *dir;
	struct ld_store *s;
	struct ld_topo *t;
	struct ld_req_env ly, xa;	/* the city node and the county node */
	struct ld_caller op, adm, unicom, zhujian, op_xa;
	struct ld_event *ev;		/* scratch for building events */
	uint64_t xa_seq;		/* XA's events replicated so far */
	uint64_t n_events;		/* events committed */
	uint64_t next_id;		/* request ids */
	struct ld_request rq;		/* the request being built */
	uint8_t *buf;			/* LD_PROTO_REPLY_MAX */
	int len;			/* the last reply's length */
	struct ld_err err;		/* the last query's error */
	msgpack_unpacked u;
	const msgpack_object *res;	/* the last result map */
};

/* ---- building the city ------------------------------------------------ */

/* Commit f->ev: a local event of LY, or XA's next (replicated). */
static void
commit(struct fx *f)
{
	struct ld_store_item it = { .ev = f->ev };
	struct ld_err err;

	if (strcmp(f->ev->origin, "XA") == 0)
		f->ev->seq = ++f->xa_seq;
	if (store_commit(f->s, &it, 1, NOW, &err) != 0)
		fail_msg("store_commit: %s", err.msg);
	if (it.rc != 0)
		fail_msg("%s: %s", event_kind_name(f->ev->kind), it.err.msg);
	f->n_events++;
}

static const char B_TEXT[] = "自来水管道漏水，路面积水";
static const char E_PLACE[] = "九都路与王城大道交叉口";

/* A new ticket of origin at t; the LY store numbers LY's, XA's carry
 * their id.  Checks the id it got.  text NULL: testgen's. */
static void
created_text(struct fx *f, const char *origin, const char *id, int64_t t,
    const char *phone, const char *area, const char *text)
{
	tg_created(f->ev, origin, t, phone);
	event_set_str(f->ev, LD_F_AREA, area);
	if (text != NULL)
		event_set_str(f->ev, LD_F_TEXT, text);
	if (strcmp(origin, "LY") != 0)
		strcpy(f->ev->ticket, id);
	commit(f);
	assert_string_equal(f->ev->ticket, id);
}

static void
created(struct fx *f, const char *origin, const char *id, int64_t t,
    const char *phone, const char *area)
{
	created_text(f, origin, id, t, phone, area, NULL);
}

static void
dispatched(struct fx *f, const char *origin, const char *id, int64_t t,
    unsigned wo, const char *unit, int64_t due_sign, int64_t due_done)
{
	event_init(f->ev, LD_EV_DISPATCHED, origin, t, "op:op-ly-wang", id);
	event_set_uint(f->ev, LD_F_WO, wo);
	event_set_str(f->ev, LD_F_UNIT, unit);
	event_set_time(f->ev, LD_F_DUE_SIGN, due_sign);
	event_set_time(f->ev, LD_F_DUE_DONE, due_done);
	commit(f);
}

/* signed, completed, progress ... of work order wo of LY's ticket id. */
static void
wo_event(struct fx *f, enum ld_event_kind k, const char *id, int64_t t,
    unsigned wo)
{
	tg_wo_event(f->ev, k, "LY", t, id, wo);
	commit(f);
}

static void
call(struct fx *f, enum ld_event_kind k, int64_t t, const char *id)
{
	tg_call(f->ev, k, "LY", t, id);
	if (k == LD_EV_CALL_CLASSIFIED) {
		event_set_bool(f->ev, LD_F_VALID, true);
		event_set_uint(f->ev, LD_F_CLASS, LD_CLASS_LINKAGE);
	}
	commit(f);
}

/* Day 11-16: calls, A (two units, routed), X (XA's), B. */
static void
build_day1(struct fx *f)
{
	call(f, LD_EV_CALL_RECEIVED, T0 - 2 * MIN, "c1");
	call(f, LD_EV_CALL_ANSWERED, T0 - 2 * MIN, "c1");
	call(f, LD_EV_CALL_CLASSIFIED, T0 - MIN, "c1");
	call(f, LD_EV_CALL_RECEIVED, T0 - MIN, "c2");

	created(f, "LY", A, T0, P1, "luolong");
	event_init(f->ev, LD_EV_ROUTED, "LY", T0, "system", A);
	event_set_str(f->ev, LD_F_RULE, "manhole-unicom");
	event_add_unit(f->ev, "unicom");
	event_add_unit(f->ev, "zhujian");
	commit(f);
	dispatched(f, "LY", A, T0 + MIN, 1, "unicom", T0 + 31 * MIN,
	    T0 + 4 * TG_HOUR);
	dispatched(f, "LY", A, T0 + MIN, 2, "zhujian", T0 + 31 * MIN,
	    T0 + 4 * TG_HOUR);
	wo_event(f, LD_EV_SIGNED, A, T0 + 10 * MIN, 1);
	wo_event(f, LD_EV_COMPLETED, A, T0 + 2 * TG_HOUR, 1);

	created(f, "XA", X, T0 + 30 * MIN, P1, "xinan");
	dispatched(f, "XA", X, T0 + 31 * MIN, 1, "xa.water", T0 + 61 * MIN,
	    T0 + 5 * TG_HOUR);

	created_text(f, "LY", B, T0 + 60 * MIN, P2, "baimasi", B_TEXT);
	dispatched(f, "LY", B, T0 + 61 * MIN, 1, "zhujian", T0 + 91 * MIN,
	    T0 + 6 * TG_HOUR);
}

/* Day 11-17: C's whole life; G1 and G2 in the same millisecond. */
static void
build_day2(struct fx *f)
{
	int64_t d = T0 + 24 * TG_HOUR, g = T0 + 26 * TG_HOUR;

	created(f, "LY", C, d, P1, "luolong");
	dispatched(f, "LY", C, d + MIN, 1, "unicom", d + 31 * MIN,
	    d + 4 * TG_HOUR);
	wo_event(f, LD_EV_SIGNED, C, d + 10 * MIN, 1);
	wo_event(f, LD_EV_COMPLETED, C, d + 2 * TG_HOUR, 1);
	event_init(f->ev, LD_EV_REPORTED, "LY", d + 3 * TG_HOUR, "op:wang", C);
	event_set_str(f->ev, LD_F_NOTE, "已电话告知");
	commit(f);
	event_init(f->ev, LD_EV_CALLBACK, "LY", d + 4 * TG_HOUR, "op:wang", C);
	event_set_uint(f->ev, LD_F_METHOD, LD_METHOD_PHONE);
	event_set_uint(f->ev, LD_F_SATISFACTION, LD_SAT_SATISFIED);
	commit(f);
	event_init(f->ev, LD_EV_CLOSED, "LY", d + 5 * TG_HOUR, "op:wang", C);
	commit(f);

	created(f, "LY", G1, g, P3, "luolong");
	created(f, "LY", G2, g, P3, "luolong");
	/* G1 is late to be signed for only */
	dispatched(f, "LY", G1, g + MIN, 1, "zhujian", g + 31 * MIN,
	    NOW + 5 * TG_HOUR);
	dispatched(f, "LY", G2, g + MIN, 1, "unicom", g + 31 * MIN,
	    T0 + 30 * TG_HOUR);
	wo_event(f, LD_EV_SIGNED, G2, g + 10 * MIN, 1);
}

/* Day 11-18: E and H, not late; H's deadline before E's. */
static void
build_day3(struct fx *f)
{
	tg_created(f->ev, "LY", NOW - 10 * MIN, P4);
	event_set_str(f->ev, LD_F_PLACE, E_PLACE);
	commit(f);
	assert_string_equal(f->ev->ticket, E);
	dispatched(f, "LY", E, NOW - 9 * MIN, 1, "unicom", NOW + 20 * MIN,
	    NOW + 3 * TG_HOUR);
	created(f, "LY", H, NOW - 5 * MIN, P2, "baimasi");
	dispatched(f, "LY", H, NOW - 4 * MIN, 1, "unicom", NOW + TG_HOUR,
	    NOW + 2 * TG_HOUR);
}

static void
caller(const char *client, struct ld_caller *c,
    const struct ld_req_env *env)
{
	struct ld_err err;

	if (req_caller(env, client, c, &err) != 0)
		fail_msg("req_caller %s: %s", client, err.msg);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ld_store_opts o = { .node = "LY", .no_sync = true };
	struct ld_err err;

	assert_non_null(f);
	f->dir = tu_tmpdir();
	o.dir = f->dir;
	if (store_open(&f->s, &o, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	if (topo_load_mem("t.ini", TOPO, strlen(TOPO), &f->t) != 0) {
		topo_print_diags(f->t, stderr);
		fail_msg("topology");
	}
	f->ly = (struct ld_req_env){ .s = f->s, .t = f->t,
		.self = topo_node(f->t, "LY"), .now = NOW, .started = STARTED,
		.version = "test-1", .requests = 42 };
	f->xa = f->ly;
	f->xa.self = topo_node(f->t, "XA");
	caller("op-ly-wang", &f->op, &f->ly);
	caller("adm-ly", &f->adm, &f->ly);
	caller("unit-unicom", &f->unicom, &f->ly);
	caller("unit-zhujian", &f->zhujian, &f->ly);
	caller("op-xa-zhao", &f->op_xa, &f->xa);
	f->ev = malloc(sizeof(*f->ev));
	f->buf = malloc(LD_PROTO_REPLY_MAX);
	assert_non_null(f->ev);
	assert_non_null(f->buf);
	msgpack_unpacked_init(&f->u);

	build_day1(f);
	build_day2(f);
	build_day3(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	msgpack_unpacked_destroy(&f->u);
	store_close(f->s);
	topo_free(f->t);
	tu_rm_tree(f->dir);
	free(f->ev);
	free(f->buf);
	free(f);
	return 0;
}

/* ---- requests and replies --------------------------------------------- */

static struct ld_request *
req(struct fx *f, enum ld_op op)
{
	memset(&f->rq, 0, sizeof(f->rq));
	f->rq.op = op;
	return &f->rq;
}

/* Set query argument q of r to s (a string argument). */
static void
qs(struct ld_request *r, enum ld_qarg q, const char *s)
{
	char *dst = q == LD_Q_STATE ? r->state : q == LD_Q_DAY ? r->day :
	    q == LD_Q_DAY_TO ? r->day_to : q == LD_Q_Q ? r->q :
	    q == LD_Q_AFTER ? r->after : r->ticket;

	strcpy(dst, s);
	r->q_present |= 1u << q;
}

static void
q_limit(struct ld_request *r, uint32_t n)
{
	r->limit = n;
	r->q_present |= 1u << LD_Q_LIMIT;
}

/*
 * Send r from c to env through the codec, with a reply buffer of cap
 * bytes.  On success f->res is the result map and 0 is returned; else the
 * code (f->err has the message).
 */
static int
ask_cap(struct fx *f, const struct ld_req_env *env, const struct ld_caller *c,
    struct ld_request *r, size_t cap)
{
	uint8_t frame[LD_PROTO_FRAME_MAX];
	struct ld_request *d = malloc(sizeof(*d));
	struct ld_reply rep;
	struct ld_err err;
	size_t off = 0;
	int n;

	assert_non_null(d);
	r->id = ++f->next_id;
	n = proto_request_encode(r, frame, sizeof(frame), &err);
	if (n <= 0)
		fail_msg("encode: %s", err.msg);
	if (proto_request_decode(frame, (size_t)n, d, &err) != 0)
		fail_msg("decode: %s", err.msg);
	memset(&f->err, 0, sizeof(f->err));
	f->len = req_query(env, c, d, f->buf, cap, &f->err);
	free(d);
	f->res = NULL;
	if (f->len < 0) {
		assert_int_equal(f->err.code, f->len);
		assert_true(f->err.msg[0] != '\0');
		return f->len;
	}
	assert_true((size_t)f->len <= cap);
	if (proto_reply_decode(f->buf, (size_t)f->len, &rep, &err) != 0)
		fail_msg("reply: %s", err.msg);
	assert_true(rep.ok);
	assert_int_equal(rep.id, r->id);
	msgpack_unpacked_destroy(&f->u);
	msgpack_unpacked_init(&f->u);
	assert_int_equal(msgpack_unpack_next(&f->u, (const char *)rep.result,
	    rep.result_len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, rep.result_len);
	f->res = &f->u.data;
	assert_int_equal(f->res->type, MSGPACK_OBJECT_MAP);
	return 0;
}

static int
ask(struct fx *f, const struct ld_req_env *env, const struct ld_caller *c,
    struct ld_request *r)
{
	return ask_cap(f, env, c, r, LD_PROTO_REPLY_MAX);
}

/* ---- reading results (msgpack-c objects) ------------------------------ */

static bool
key_is(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(s) &&
	    memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

/* The value of key in map m (which must have it exactly once). */
static const msgpack_object *
get(const msgpack_object *m, const char *key)
{
	const msgpack_object *found = NULL;

	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	for (uint32_t i = 0; i < m->via.map.size; i++)
		if (key_is(&m->via.map.ptr[i].key, key)) {
			if (found != NULL)
				fail_msg("key '%s' twice", key);
			found = &m->via.map.ptr[i].val;
		}
	if (found == NULL)
		fail_msg("no key '%s'", key);
	return found;
}

static uint32_t
map_size(const msgpack_object *m)
{
	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	return m->via.map.size;
}

static uint32_t
arr_size(const msgpack_object *a)
{
	assert_int_equal(a->type, MSGPACK_OBJECT_ARRAY);
	return a->via.array.size;
}

static const msgpack_object *
at(const msgpack_object *a, uint32_t i)
{
	assert_true(i < arr_size(a));
	return &a->via.array.ptr[i];
}

static void
str_is(const msgpack_object *o, const char *s)
{
	if (o->type != MSGPACK_OBJECT_STR)
		fail_msg("expected string '%s', got type %d", s, (int)o->type);
	if (o->via.str.size != strlen(s) ||
	    memcmp(o->via.str.ptr, s, o->via.str.size) != 0)
		fail_msg("expected '%s', got '%.*s'", s, (int)o->via.str.size,
		    o->via.str.ptr);
}

static uint64_t
uint_of(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	return o->via.u64;
}

static bool
bool_of(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_BOOLEAN);
	return o->via.boolean;
}

static void
is_nil(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
}

/* Copy string o into out (cap bytes). */
static void
str_copy(const msgpack_object *o, char *out, size_t cap)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_true(o->via.str.size < cap);
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
}

/* The history's event kinds, joined by spaces. */
static void
history_kinds(const msgpack_object *h, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < arr_size(h); i++) {
		const msgpack_object *k = get(at(h, i), "kind");

		assert_true(o + k->via.str.size + 2 < cap);
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, k->via.str.ptr, k->via.str.size);
		o += k->via.str.size;
		out[o] = '\0';
	}
}

/* ---- ticket.show ----------------------------------------------------------- */

static const msgpack_object *
show(struct fx *f, const struct ld_req_env *env, const struct ld_caller *c,
    const char *id)
{
	struct ld_request *r = req(f, LD_OP_TICKET_SHOW);

	qs(r, LD_Q_TICKET, id);
	if (ask(f, env, c, r) != 0)
		fail_msg("show %s: %s", id, f->err.msg);
	assert_int_equal(map_size(f->res), 2);
	return get(f->res, "ticket");
}

/* The operator sees everything: the whole VIEW, both work orders, every
 * event with its body typed by the schema. */
static void
t_show_operator(void **state)
{
	struct fx *f = *state;
	const msgpack_object *v = show(f, &f->ly, &f->op, A), *wos, *w, *h, *b;
	char kinds[256];

	assert_int_equal(map_size(v), 27);
	str_is(get(v, "id"), A);
	str_is(get(v, "owner"), "LY");
	str_is(get(v, "state"), "in_progress");
	assert_int_equal(uint_of(get(v, "created")), T0);
	assert_int_equal(uint_of(get(v, "updated")), T0 + 2 * TG_HOUR);
	is_nil(get(v, "completed"));
	is_nil(get(v, "closed"));
	str_is(get(v, "caller"), "李先生");
	str_is(get(v, "phone"), P1);
	str_is(get(v, "area"), "luolong");
	str_is(get(v, "category"), "manhole");
	assert_int_equal(uint_of(get(v, "urgency")), 2);
	str_is(get(v, "rule"), "manhole-unicom");
	is_nil(get(v, "plan"));
	assert_false(bool_of(get(v, "reported")));
	is_nil(get(v, "satisfaction"));
	is_nil(get(v, "method"));
	assert_int_equal(uint_of(get(v, "reopens")), 0);
	is_nil(get(v, "transfer_to"));
	assert_true(bool_of(get(v, "overdue")));	/* zhujian is late */
	wos = get(v, "work_orders");
	assert_int_equal(arr_size(wos), 2);
	w = at(wos, 0);
	assert_int_equal(map_size(w), 15);
	assert_int_equal(uint_of(get(w, "wo")), 1);
	str_is(get(w, "unit"), "unicom");
	str_is(get(w, "state"), "completed");
	is_nil(get(w, "replaces"));
	assert_int_equal(uint_of(get(w, "dispatched")), T0 + MIN);
	assert_int_equal(uint_of(get(w, "due_sign")), T0 + 31 * MIN);
	assert_int_equal(uint_of(get(w, "signed")), T0 + 10 * MIN);
	assert_int_equal(uint_of(get(w, "completed")), T0 + 2 * TG_HOUR);
	is_nil(get(w, "returned"));
	is_nil(get(w, "ext_until"));
	is_nil(get(w, "settled_unit"));
	w = at(wos, 1);
	assert_int_equal(uint_of(get(w, "wo")), 2);
	str_is(get(w, "unit"), "zhujian");
	str_is(get(w, "state"), "dispatched");
	is_nil(get(w, "signed"));

	h = get(f->res, "history");
	history_kinds(h, kinds, sizeof(kinds));
	assert_string_equal(kinds, "ticket.created routed dispatched "
	    "dispatched signed completed");
	assert_int_equal(map_size(at(h, 0)), 6);
	str_is(get(at(h, 0), "origin"), "LY");
	assert_int_equal(uint_of(get(at(h, 0), "seq")), 5);	/* 4 calls */
	assert_int_equal(uint_of(get(at(h, 0), "time")), T0);
	str_is(get(at(h, 0), "actor"), "op:wang");
	b = get(at(h, 0), "body");
	assert_int_equal(map_size(b), 7);
	str_is(get(b, "phone"), P1);
	assert_int_equal(uint_of(get(b, "urgency")), 2);
	b = get(at(h, 1), "body");
	assert_int_equal(map_size(b), 2);
	str_is(get(b, "rule"), "manhole-unicom");
	str_is(at(get(b, "units"), 1), "zhujian");
	b = get(at(h, 3), "body");
	assert_int_equal(map_size(b), 4);
	assert_int_equal(uint_of(get(b, "wo")), 2);
	str_is(get(b, "unit"), "zhujian");
	assert_int_equal(uint_of(get(b, "due_done")), T0 + 4 * TG_HOUR);
}

/* A closed ticket: callback and closing in the VIEW, enums by name in
 * event bodies. */
static void
t_show_closed(void **state)
{
	struct fx *f = *state;
	int64_t d = T0 + 24 * TG_HOUR;
	const msgpack_object *v = show(f, &f->ly, &f->adm, C), *h, *b;

	str_is(get(v, "state"), "closed");
	assert_int_equal(uint_of(get(v, "completed")), d + 2 * TG_HOUR);
	assert_int_equal(uint_of(get(v, "closed")), d + 5 * TG_HOUR);
	assert_true(bool_of(get(v, "reported")));
	assert_true(bool_of(get(v, "called_back")));
	str_is(get(v, "satisfaction"), "satisfied");
	str_is(get(v, "method"), "phone");
	assert_int_equal(uint_of(get(v, "callbacks")), 1);
	assert_false(bool_of(get(v, "overdue")));
	h = get(f->res, "history");
	assert_int_equal(arr_size(h), 7);
	b = get(at(h, 5), "body");
	str_is(get(b, "method"), "phone");
	str_is(get(b, "satisfaction"), "satisfied");
	assert_int_equal(map_size(get(at(h, 6), "body")), 0);
}

/* A unit sees its own work order only, and only the history about it
 * (plus the ticket's birth, reopening and closing). */
static void
t_show_unit(void **state)
{
	struct fx *f = *state;
	const msgpack_object *v, *wos;
	char kinds[256];

	v = show(f, &f->ly, &f->zhujian, A);
	wos = get(v, "work_orders");
	assert_int_equal(arr_size(wos), 1);
	assert_int_equal(uint_of(get(at(wos, 0), "wo")), 2);
	str_is(get(at(wos, 0), "unit"), "zhujian");
	assert_true(bool_of(get(v, "overdue")));
	history_kinds(get(f->res, "history"), kinds, sizeof(kinds));
	assert_string_equal(kinds, "ticket.created dispatched");
	assert_int_equal(uint_of(get(get(at(get(f->res, "history"), 1),
	    "body"), "wo")), 2);

	/* unicom's work order is done: A is not late for unicom */
	v = show(f, &f->ly, &f->unicom, A);
	wos = get(v, "work_orders");
	assert_int_equal(arr_size(wos), 1);
	str_is(get(at(wos, 0), "unit"), "unicom");
	assert_false(bool_of(get(v, "overdue")));
	history_kinds(get(f->res, "history"), kinds, sizeof(kinds));
	assert_string_equal(kinds, "ticket.created dispatched signed completed");

	show(f, &f->ly, &f->unicom, C);
	history_kinds(get(f->res, "history"), kinds, sizeof(kinds));
	assert_string_equal(kinds,
	    "ticket.created dispatched signed completed closed");

	/* not its ticket */
	qs(req(f, LD_OP_TICKET_SHOW), LD_Q_TICKET, B);
	assert_int_equal(ask(f, &f->ly, &f->unicom, &f->rq), LD_EREFUSED);
}

/* Scope of a county operator; unknown tickets; other ops. */
static void
t_show_refusals(void **state)
{
	struct fx *f = *state;
	const msgpack_object *v;

	qs(req(f, LD_OP_TICKET_SHOW), LD_Q_TICKET, A);
	assert_int_equal(ask(f, &f->xa, &f->op_xa, &f->rq), LD_EREFUSED);
	assert_non_null(strstr(f->err.msg, A));
	v = show(f, &f->xa, &f->op_xa, X);
	str_is(get(v, "owner"), "XA");
	str_is(get(at(get(v, "work_orders"), 0), "unit"), "xa.water");
	/* the city operator sees the county's ticket */
	show(f, &f->ly, &f->op, X);

	qs(req(f, LD_OP_TICKET_SHOW), LD_Q_TICKET, "LY-2011-000999");
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), LD_ENOTFOUND);
	assert_string_equal(f->err.msg, "ticket LY-2011-000999: not found");

	req(f, LD_OP_TICKET_CLOSE);
	qs(&f->rq, LD_Q_TICKET, A);
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), LD_EINVAL);
}

/* A reply that does not fit: a tiny buffer, then a history larger than
 * LD_PROTO_REPLY_MAX.  A history that needs 16-bit array counts fits. */
static void
t_show_overflow(void **state)
{
	struct fx *f = *state;
	struct ld_store_item *items = calloc(100, sizeof(*items));
	struct ld_event *evs = calloc(100, sizeof(*evs));
	char note[LD_NOTE_MAX + 1];
	struct ld_err err;

	assert_non_null(items);
	assert_non_null(evs);
	qs(req(f, LD_OP_TICKET_SHOW), LD_Q_TICKET, A);
	assert_int_equal(ask_cap(f, &f->ly, &f->op, &f->rq, 64), LD_ELIMIT);
	assert_non_null(strstr(f->err.msg, "limit of 64 bytes"));
	assert_int_equal(ask_cap(f, &f->ly, &f->op, req(f, LD_OP_TICKET_LIST),
	    100), LD_ELIMIT);

	/* G2 (signed) gets 11 batches of 100 progress notes of 1000 bytes */
	memset(note, 'x', LD_NOTE_MAX);
	note[LD_NOTE_MAX] = '\0';
	for (int batch = 0; batch < 11; batch++) {
		for (int i = 0; i < 100; i++) {
			tg_wo_event(&evs[i], LD_EV_PROGRESS, "LY", NOW - MIN,
			    G2, 1);
			event_set_str(&evs[i], LD_F_NOTE, note);
			items[i] = (struct ld_store_item){ .ev = &evs[i] };
		}
		assert_int_equal(store_commit(f->s, items, 100, NOW, &err), 0);
		for (int i = 0; i < 100; i++)
			assert_int_equal(items[i].rc, 0);
		if (batch == 0) {	/* 103 events: fits, array 16 */
			show(f, &f->ly, &f->unicom, G2);
			assert_int_equal(arr_size(get(f->res, "history")),
			    103);
		}
	}
	qs(req(f, LD_OP_TICKET_SHOW), LD_Q_TICKET, G2);
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), LD_ELIMIT);
	assert_non_null(strstr(f->err.msg, G2));
	assert_non_null(strstr(f->err.msg, "1048576"));
	free(items);
	free(evs);
}

/* ---- ticket.list ---------------------------------------------------------- */

/* The ticket ids of the last list result, in order, into ids (NULL after
 * the last); next into next ("" for nil). */
static void
list_ids(struct fx *f, const char *ids[16], char store[16][24],
    char next[24])
{
	const msgpack_object *tk = get(f->res, "tickets"), *nx;
	uint32_t n = arr_size(tk);

	assert_int_equal(map_size(f->res), 2);
	assert_true(n < 16);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(map_size(at(tk, i)), 12);
		str_copy(get(at(tk, i), "id"), store[i], 24);
		ids[i] = store[i];
	}
	ids[n] = NULL;
	nx = get(f->res, "next");
	if (nx->type == MSGPACK_OBJECT_NIL)
		next[0] = '\0';
	else
		str_copy(nx, next, 24);
}

/* ids must be exp (NULL-terminated). */
static void
same_ids(const char *const *ids, const char *const *exp)
{
	size_t i;

	for (i = 0; exp[i] != NULL; i++) {
		if (ids[i] == NULL)
			fail_msg("list ends at %zu; expected %s", i, exp[i]);
		if (strcmp(ids[i], exp[i]) != 0)
			fail_msg("at %zu: %s, expected %s (list %s %s %s %s)", i,
			    ids[i], exp[i], exp[0], exp[1] ? exp[1] : "", exp[1] &&
			    exp[2] ? exp[2] : "", ids[0]);
	}
	if (ids[i] != NULL)
		fail_msg("list has %s beyond the %zu expected", ids[i], i);
}

/* ticket.list r by c must answer exactly exp, next nil. */
static void
expect_list(struct fx *f, const struct ld_req_env *env,
    const struct ld_caller *c, struct ld_request *r,
    const char *const *exp)
{
	const char *ids[16];
	char store[16][24], next[24];

	if (ask(f, env, c, r) != 0)
		fail_msg("list: %s", f->err.msg);
	list_ids(f, ids, store, next);
	same_ids(ids, exp);
	assert_string_equal(next, "");
}

/* Page through r (its filters) by limit: every page full but the last,
 * next = the page's last id, and all pages together are exp. */
static void
expect_pages(struct fx *f, const struct ld_caller *c, struct ld_request *tpl,
    uint32_t limit, const char *const *exp)
{
	const char *ids[16];
	char store[16][24], next[24] = "";
	size_t got = 0;
	struct ld_request r;

	for (int page = 0; page < 20; page++) {
		r = *tpl;
		q_limit(&r, limit);
		if (next[0] != '\0')
			qs(&r, LD_Q_AFTER, next);
		if (ask(f, &f->ly, c, &r) != 0)
			fail_msg("page %d: %s", page, f->err.msg);
		list_ids(f, ids, store, next);
		for (size_t i = 0; ids[i] != NULL; i++, got++) {
			if (exp[got] == NULL)
				fail_msg("page %d: extra %s", page, ids[i]);
			assert_string_equal(ids[i], exp[got]);
		}
		if (next[0] == '\0')
			break;
		assert_non_null(ids[limit - 1]);
		assert_null(ids[limit]);
		assert_string_equal(next, ids[limit - 1]);
	}
	assert_string_equal(next, "");
	assert_null(exp[got]);
}

static void
t_list_all(void **state)
{
	struct fx *f = *state;
	const msgpack_object *s;
	struct ld_request *r;
	const char *ids[16];
	char store[16][24], next[24];

	expect_list(f, &f->ly, &f->op, req(f, LD_OP_TICKET_LIST), ALL);
	expect_list(f, &f->ly, &f->adm, req(f, LD_OP_TICKET_LIST), ALL);
	/* A's summary: only the open work order's unit; late */
	s = at(get(f->res, "tickets"), 7);
	str_is(get(s, "id"), A);
	str_is(get(s, "state"), "in_progress");
	assert_int_equal(uint_of(get(s, "created")), T0);
	str_is(get(s, "area"), "luolong");
	str_is(get(s, "category"), "manhole");
	assert_int_equal(uint_of(get(s, "urgency")), 2);
	str_is(get(s, "phone"), P1);
	assert_int_equal(arr_size(get(s, "units")), 1);
	str_is(at(get(s, "units"), 0), "zhujian");
	assert_true(bool_of(get(s, "overdue")));
	assert_int_equal(uint_of(get(s, "next_due")), T0 + 31 * MIN);
	/* E: its sign deadline is the soonest */
	s = at(get(f->res, "tickets"), 1);
	str_is(get(s, "id"), E);
	assert_false(bool_of(get(s, "overdue")));
	assert_int_equal(uint_of(get(s, "next_due")), NOW + 20 * MIN);
	/* C: closed, nothing open */
	s = at(get(f->res, "tickets"), 4);
	assert_int_equal(arr_size(get(s, "units")), 0);
	is_nil(get(s, "next_due"));

	/* G1: not signed for in time, due to complete later */
	s = at(get(f->res, "tickets"), 3);
	str_is(get(s, "id"), G1);
	assert_true(bool_of(get(s, "overdue")));
	assert_int_equal(uint_of(get(s, "next_due")), T0 + 26 * TG_HOUR +
	    31 * MIN);

	/* limit exactly the number of matches, non-matching tickets after
	 * them: no next (the list looked ahead for one more match) */
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_AREA, "baimasi");
	q_limit(r, 2);
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ H, B, NULL });

	q_limit(req(f, LD_OP_TICKET_LIST), 8);
	expect_list(f, &f->ly, &f->op, &f->rq, ALL);
	q_limit(req(f, LD_OP_TICKET_LIST), 7);
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), 0);
	list_ids(f, ids, store, next);
	assert_string_equal(next, B);
}

static void
t_list_filters(void **state)
{
	struct fx *f = *state;
	struct ld_request *r;

	qs(req(f, LD_OP_TICKET_LIST), LD_Q_STATE, "in_progress");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ G2, A,
	    NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_STATE, "dispatched");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ H, E, G1, X,
	    B, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_STATE, "closed");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ C, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_STATE, "returned");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ NULL });

	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_UNIT, "zhujian");
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ G1, B, A, NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_AREA, "baimasi");
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ H, B, NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_PHONE, P1);
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ C, X, A, NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_PHONE, "13899999999");
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ NULL });

	/* within a day: ticket id, highest first */
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_DAY, "2011-11-16");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ X, B, A,
	    NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_DAY, "2011-11-17");
	qs(&f->rq, LD_Q_DAY_TO, "2011-11-18");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ H, E, G2, G1,
	    C, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_DAY, "2011-11-19");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ NULL });

	req(f, LD_OP_TICKET_LIST)->overdue = true;
	f->rq.q_present |= 1u << LD_Q_OVERDUE;
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ G2, G1, X,
	    B, A, NULL });

	qs(req(f, LD_OP_TICKET_LIST), LD_Q_Q, "九都路");	/* place */
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ E, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_Q, "李先生");	/* caller */
	expect_list(f, &f->ly, &f->op, &f->rq, ALL);
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_Q, "漏水");		/* text */
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ B, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_Q, "井盖丢失");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ H, E, G2,
	    G1, C, X, A, NULL });
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_Q, "no such text");
	expect_list(f, &f->ly, &f->op, &f->rq, (const char *[]){ NULL });

	/* AND: area and state; phone and day */
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_AREA, "luolong");
	qs(r, LD_Q_STATE, "dispatched");
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ E, G1, NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_PHONE, P1);
	qs(r, LD_Q_DAY, "2011-11-16");
	expect_list(f, &f->ly, &f->op, r, (const char *[]){ X, A, NULL });

	/* unknown unit or area; unknown `after` */
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_UNIT, "nosuch");
	assert_int_equal(ask(f, &f->ly, &f->op, r), LD_EUNKNOWN);
	qs(req(f, LD_OP_TICKET_LIST), LD_Q_AFTER, "LY-2011-000999");
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), LD_ENOTFOUND);
}

/* Units see the tickets of their work orders; a county operator its
 * node's. */
static void
t_list_scope(void **state)
{
	struct fx *f = *state;
	const msgpack_object *s;
	struct ld_request *r;

	expect_list(f, &f->ly, &f->unicom, req(f, LD_OP_TICKET_LIST),
	    (const char *[]){ H, E, G2, C, A, NULL });
	s = at(get(f->res, "tickets"), 4);	/* A: unicom's part is done */
	str_is(get(s, "id"), A);
	assert_int_equal(arr_size(get(s, "units")), 0);
	assert_false(bool_of(get(s, "overdue")));
	is_nil(get(s, "next_due"));
	expect_list(f, &f->ly, &f->zhujian, req(f, LD_OP_TICKET_LIST),
	    (const char *[]){ G1, B, A, NULL });
	s = at(get(f->res, "tickets"), 2);
	str_is(at(get(s, "units"), 0), "zhujian");

	/* overdue for a unit: its own work orders */
	req(f, LD_OP_TICKET_LIST)->overdue = true;
	f->rq.q_present |= 1u << LD_Q_OVERDUE;
	expect_list(f, &f->ly, &f->unicom, &f->rq, (const char *[]){ G2,
	    NULL });
	/* a unit never learns where another unit works: filtering by it
	 * lists nothing, filtering by itself lists its own */
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_UNIT, "zhujian");
	expect_list(f, &f->ly, &f->unicom, r, (const char *[]){ NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_UNIT, "unicom");
	expect_list(f, &f->ly, &f->unicom, r, (const char *[]){ H, E, G2, C,
	    A, NULL });

	expect_list(f, &f->xa, &f->op_xa, req(f, LD_OP_TICKET_LIST),
	    (const char *[]){ X, NULL });
	r = req(f, LD_OP_TICKET_LIST);
	event_set_str(&r->args, LD_F_PHONE, P1);
	expect_list(f, &f->xa, &f->op_xa, r, (const char *[]){ X, NULL });
}

/* after/next: every ticket exactly once, newest first, whatever the page
 * size and whichever index the list walks. */
static void
t_list_paging(void **state)
{
	struct fx *f = *state;
	const char *ids[16];
	char store[16][24], next[24];
	struct ld_request r;

	q_limit(req(f, LD_OP_TICKET_LIST), 3);
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), 0);
	list_ids(f, ids, store, next);
	same_ids(ids, (const char *[]){ H, E, G2, NULL });
	assert_string_equal(next, G2);
	qs(&f->rq, LD_Q_AFTER, G2);	/* G1: same millisecond as G2 */
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), 0);
	list_ids(f, ids, store, next);
	same_ids(ids, (const char *[]){ G1, C, X, NULL });
	assert_string_equal(next, X);

	for (uint32_t limit = 1; limit <= 9; limit++)
		expect_pages(f, &f->op, req(f, LD_OP_TICKET_LIST), limit, ALL);
	r = *req(f, LD_OP_TICKET_LIST);		/* by_phone */
	event_set_str(&r.args, LD_F_PHONE, P1);
	expect_pages(f, &f->op, &r, 1, (const char *[]){ C, X, A, NULL });
	r = *req(f, LD_OP_TICKET_LIST);		/* by_state */
	qs(&r, LD_Q_STATE, "dispatched");
	expect_pages(f, &f->op, &r, 2, (const char *[]){ H, E, G1, X, B,
	    NULL });
	r = *req(f, LD_OP_TICKET_LIST);		/* by_day, a range */
	qs(&r, LD_Q_DAY, "2011-11-16");
	qs(&r, LD_Q_DAY_TO, "2011-11-17");
	expect_pages(f, &f->op, &r, 2, (const char *[]){ G2, G1, C, X, B, A,
	    NULL });
	expect_pages(f, &f->unicom, req(f, LD_OP_TICKET_LIST), 2,
	    (const char *[]){ H, E, G2, C, A, NULL });
	/* after a ticket the caller may not see: as if it did not exist
	 * (nothing said about it, not even that it exists) */
	r = *req(f, LD_OP_TICKET_LIST);
	qs(&r, LD_Q_AFTER, B);
	assert_int_equal(ask(f, &f->ly, &f->unicom, &r), LD_ENOTFOUND);
	r = *req(f, LD_OP_TICKET_LIST);
	qs(&r, LD_Q_AFTER, "LY-2011-000099");
	assert_int_equal(ask(f, &f->ly, &f->unicom, &r), LD_ENOTFOUND);
}

/* ---- wo.queue ------------------------------------------------------------- */

static void
t_queue(void **state)
{
	struct fx *f = *state;
	const msgpack_object *wos, *q;

	assert_int_equal(ask(f, &f->ly, &f->unicom, req(f, LD_OP_WO_QUEUE)), 0);
	assert_int_equal(map_size(f->res), 2);
	assert_false(bool_of(get(f->res, "more")));
	wos = get(f->res, "work_orders");
	assert_int_equal(arr_size(wos), 3);
	/* soonest deadline first: to sign for while unsigned, else to
	 * complete */
	str_is(get(at(wos, 0), "ticket"), G2);	/* complete by T0 + 30h */
	str_is(get(at(wos, 1), "ticket"), E);	/* sign by NOW + 20 min */
	str_is(get(at(wos, 2), "ticket"), H);	/* sign by NOW + 1h */
	q = at(wos, 0);
	assert_int_equal(map_size(q), 12);
	assert_int_equal(uint_of(get(q, "wo")), 1);
	str_is(get(q, "state"), "signed");
	assert_int_equal(uint_of(get(q, "due_done")), T0 + 30 * TG_HOUR);
	assert_int_equal(uint_of(get(q, "due_sign")), T0 + 26 * TG_HOUR +
	    31 * MIN);
	assert_int_equal(uint_of(get(q, "urgency")), 2);
	str_is(get(q, "category"), "manhole");
	str_is(get(q, "area"), "luolong");
	str_is(get(q, "text"), "路边井盖丢失，夜间行人容易掉入，请尽快处理。");
	str_is(get(at(wos, 1), "place"), E_PLACE);

	q_limit(req(f, LD_OP_WO_QUEUE), 2);
	assert_int_equal(ask(f, &f->ly, &f->unicom, &f->rq), 0);
	assert_true(bool_of(get(f->res, "more")));
	assert_int_equal(arr_size(get(f->res, "work_orders")), 2);
	q_limit(req(f, LD_OP_WO_QUEUE), 3);
	assert_int_equal(ask(f, &f->ly, &f->unicom, &f->rq), 0);
	assert_false(bool_of(get(f->res, "more")));

	/* zhujian: A's second work order first */
	assert_int_equal(ask(f, &f->ly, &f->zhujian, req(f, LD_OP_WO_QUEUE)),
	    0);
	wos = get(f->res, "work_orders");
	assert_int_equal(arr_size(wos), 3);
	str_is(get(at(wos, 0), "ticket"), A);
	assert_int_equal(uint_of(get(at(wos, 0), "wo")), 2);
	str_is(get(at(wos, 1), "ticket"), B);
	str_is(get(at(wos, 2), "ticket"), G1);

	assert_int_equal(ask(f, &f->ly, &f->op, req(f, LD_OP_WO_QUEUE)),
	    LD_EREFUSED);
}

/* ---- figures and status ------------------------------------------------- */

static void
t_figures(void **state)
{
	struct fx *f = *state;

	qs(req(f, LD_OP_FIGURES), LD_Q_DAY, "2011-11-16");
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), 0);
	assert_int_equal(map_size(f->res), 2 + LD_C__COUNT + 1);
	str_is(get(f->res, "day"), "2011-11-16");
	str_is(get(f->res, "day_to"), "2011-11-16");
	assert_int_equal(uint_of(get(f->res, "calls_in")), 2);
	assert_int_equal(uint_of(get(f->res, "answered")), 1);
	assert_int_equal(uint_of(get(f->res, "valid")), 1);
	assert_int_equal(uint_of(get(f->res, "linkage")), 1);
	assert_int_equal(uint_of(get(f->res, "police")), 0);
	assert_int_equal(uint_of(get(f->res, "tickets")), 3);
	assert_int_equal(uint_of(get(f->res, "wo_dispatched")), 4);
	assert_int_equal(uint_of(get(f->res, "wo_signed")), 1);
	assert_int_equal(uint_of(get(f->res, "wo_completed")), 1);
	assert_int_equal(uint_of(get(f->res, "completed")), 0);
	assert_int_equal(uint_of(get(f->res, "in_progress")), 7);

	qs(req(f, LD_OP_FIGURES), LD_Q_DAY, "2011-11-17");
	assert_int_equal(ask(f, &f->ly, &f->unicom, &f->rq), 0);
	assert_int_equal(uint_of(get(f->res, "tickets")), 3);
	assert_int_equal(uint_of(get(f->res, "wo_signed")), 2);
	assert_int_equal(uint_of(get(f->res, "completed")), 1);
	assert_int_equal(uint_of(get(f->res, "reported")), 1);
	assert_int_equal(uint_of(get(f->res, "callbacks")), 1);
	assert_int_equal(uint_of(get(f->res, "satisfied")), 1);
	assert_int_equal(uint_of(get(f->res, "closed")), 1);
	assert_int_equal(uint_of(get(f->res, "calls_in")), 0);

	qs(req(f, LD_OP_FIGURES), LD_Q_DAY, "2011-11-16");
	qs(&f->rq, LD_Q_DAY_TO, "2011-11-18");
	assert_int_equal(ask(f, &f->ly, &f->op, &f->rq), 0);
	str_is(get(f->res, "day_to"), "2011-11-18");
	assert_int_equal(uint_of(get(f->res, "tickets")), 8);
	assert_int_equal(uint_of(get(f->res, "wo_dispatched")), 9);
	assert_int_equal(uint_of(get(f->res, "wo_signed")), 3);

	/* today by default */
	assert_int_equal(ask(f, &f->ly, &f->op, req(f, LD_OP_FIGURES)), 0);
	str_is(get(f->res, "day"), "2011-11-18");
	str_is(get(f->res, "day_to"), "2011-11-18");
	assert_int_equal(uint_of(get(f->res, "tickets")), 2);
	assert_int_equal(uint_of(get(f->res, "wo_dispatched")), 2);
}

static void
t_status(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ask(f, &f->ly, &f->adm, req(f, LD_OP_STATUS)), 0);
	assert_int_equal(map_size(f->res), 10);
	str_is(get(f->res, "node"), "LY");
	str_is(get(f->res, "level"), "city");
	str_is(get(f->res, "version"), "test-1");
	assert_int_equal(uint_of(get(f->res, "time")), NOW);
	assert_int_equal(uint_of(get(f->res, "events")), f->n_events);
	assert_int_equal(uint_of(get(f->res, "tickets")), 8);
	assert_int_equal(arr_size(get(f->res, "links")), 0);
	assert_int_equal(uint_of(get(f->res, "started")), STARTED);
	assert_int_equal(uint_of(get(f->res, "requests")), 42);
	const msgpack_object *so = get(f->res, "store");
	assert_int_equal(map_size(so), 9);
	assert_int_equal(uint_of(get(so, "checkpoint_failures")), 0);
	assert_true(uint_of(get(so, "map_bytes")) > 0);
	assert_true(uint_of(get(so, "used_bytes")) > 0);
	assert_true(get(so, "journal")->type == MSGPACK_OBJECT_BOOLEAN &&
	    !get(so, "journal")->via.boolean);	/* no_sync here */
	assert_int_equal(uint_of(get(so, "record")), 0);

	assert_int_equal(ask(f, &f->xa, &f->adm, req(f, LD_OP_STATUS)), 0);
	str_is(get(f->res, "level"), "county");
	str_is(get(f->res, "node"), "XA");
	assert_int_equal(ask(f, &f->ly, &f->op, req(f, LD_OP_STATUS)),
	    LD_EREFUSED);
}

/* req_write_event on its own: every field type of the schema. */
static void
t_write_event(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = f->ev;
	const msgpack_object *b;
	struct ld_reply rep;
	struct ld_err err;
	struct ld_pw w;
	size_t off = 0;
	int n;

	event_init(e, LD_EV_PLAN_ACTIVATED, "LY", T0, "op:wang", A);
	e->seq = 77;
	event_set_str(e, LD_F_PLAN, "waterplant");
	event_add_unit(e, "unicom");
	event_add_unit(e, "zhujian");
	event_set_bool(e, LD_F_GOV, true);
	proto_reply_begin(&w, f->buf, LD_PROTO_REPLY_MAX, 9, 1);
	proto_w_str(&w, "event");
	req_write_event(&w, e);
	n = proto_reply_end(&w);
	assert_true(n > 0);
	assert_int_equal(proto_reply_decode(f->buf, (size_t)n, &rep, &err), 0);
	msgpack_unpacked_destroy(&f->u);
	msgpack_unpacked_init(&f->u);
	assert_int_equal(msgpack_unpack_next(&f->u, (const char *)rep.result,
	    rep.result_len, &off), MSGPACK_UNPACK_SUCCESS);
	b = get(get(&f->u.data, "event"), "body");
	assert_int_equal(uint_of(get(get(&f->u.data, "event"), "seq")), 77);
	str_is(get(get(&f->u.data, "event"), "kind"), "plan.activated");
	assert_int_equal(map_size(b), 3);
	str_is(get(b, "plan"), "waterplant");
	assert_true(bool_of(get(b, "gov")));
	assert_int_equal(arr_size(get(b, "units")), 2);
	/* field order: enum order (units before plan before gov) */
	assert_true(key_is(&b->via.map.ptr[0].key, "units"));
	assert_true(key_is(&b->via.map.ptr[1].key, "plan"));
	assert_true(key_is(&b->via.map.ptr[2].key, "gov"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_show_operator, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_show_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(t_show_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(t_show_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_show_overflow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_list_all, setup, teardown),
		cmocka_unit_test_setup_teardown(t_list_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_list_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(t_list_paging, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(t_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(t_status, setup, teardown),
		cmocka_unit_test_setup_teardown(t_write_event, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
