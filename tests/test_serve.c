/*
 * test_serve.c - one node at work, as real processes on loopback: the
 * city node LY (and the county node XA) of topology.example, rekeyed with
 * keys the test holds, driven through the client protocol over CURVE.
 *
 *   t_workflow        create -> route -> sign -> complete -> report ->
 *                     callback -> close, with the topology's deadlines
 *   t_authz_matrix    every op x every role x own / other ticket
 *   t_county_scope    a county operator only in its county; a client of
 *                     another node is refused at the handshake
 *   t_hostile         unknown key, oversized / truncated / wrong-typed /
 *                     random / multi-frame messages: an error reply each
 *                     (or a dropped connection), and the node serves on
 *   t_kill9           SIGKILL during a stream of creates: every
 *                     acknowledged ticket is there after the restart, and
 *                     the views equal the log
 */
#include "testnet.h"
#include "testmp.h"
#include "auth.h"
#include "ltime.h"
#include "proto.h"
#include "ticket.h"

static struct tn net;
static struct tn_node ly, xa;

/* A reply with its result unpacked. */
struct call {
	int rc;			/* client_call's */
	struct ld_reply rep;
	msgpack_unpacked u;
	const msgpack_object *res;	/* the result map (ok replies) */
	struct ld_err err;
};

static void
call_free(struct call *c)
{
	if (c->res != NULL)
		msgpack_unpacked_destroy(&c->u);
	c->res = NULL;
}

static void
rq(struct ld_request *r, const char *op)
{
	memset(r, 0, sizeof(*r));
	r->op = proto_op_from_name(op, strlen(op));
	assert_int_not_equal(r->op, LD_OP_NONE);
}

static void
rq_ticket(struct ld_request *r, const char *id)
{
	snprintf(r->ticket, sizeof(r->ticket), "%s", id);
	r->q_present |= 1u << LD_Q_TICKET;
}

static int
do_call(struct ld_client *cl, struct ld_request *r, struct call *c)
{
	call_free(c);
	memset(c, 0, sizeof(*c));
	c->rc = client_call(cl, r, &c->rep, &c->err);
	if (c->rc == 0 && c->rep.ok) {
		msgpack_unpacked_init(&c->u);
		if (msgpack_unpack_next(&c->u, (const char *)c->rep.result,
		    c->rep.result_len, NULL) == MSGPACK_UNPACK_SUCCESS)
			c->res = &c->u.data;
		else
			msgpack_unpacked_destroy(&c->u);
	}
	return c->rc;
}

/* Expect an ok reply. */
static void
ok(struct call *c, const char *what)
{
	if (c->rc != 0)
		fprintf(stderr, "%s: no reply: %s\n", what, c->err.msg);
	else if (!c->rep.ok)
		fprintf(stderr, "%s: %s %s\n", what, c->rep.code, c->rep.message);
	assert_int_equal(c->rc, 0);
	assert_true(c->rep.ok);
	assert_non_null(c->res);
}

/* Expect an error reply with code. */
static void
fails(struct call *c, const char *code, const char *what)
{
	if (c->rc == 0 && c->rep.ok)
		fprintf(stderr, "%s: succeeded, expected %s\n", what, code);
	else if (c->rc == 0 && strcmp(c->rep.code, code) != 0)
		fprintf(stderr, "%s: %s %s (expected %s)\n", what, c->rep.code,
		    c->rep.message, code);
	assert_int_equal(c->rc, 0);
	assert_false(c->rep.ok);
	assert_string_equal(c->rep.code, code);
}

/* ticket.create of category in area; the new id into id. */
static void
create(struct ld_client *cl, const char *category, const char *area,
    unsigned urgency, const char *phone, char *id)
{
	struct ld_request r;
	struct call c = { 0 };
	char buf[64];

	rq(&r, "ticket.create");
	event_set_str(&r.args, LD_F_PHONE, phone);
	event_set_str(&r.args, LD_F_PLACE, "王城大道与关林路交叉口西北50米");
	event_set_str(&r.args, LD_F_AREA, area);
	event_set_str(&r.args, LD_F_CATEGORY, category);
	event_set_uint(&r.args, LD_F_URGENCY, urgency);
	event_set_str(&r.args, LD_F_TEXT, "人行道上井盖丢失，有行人险些掉入");
	do_call(cl, &r, &c);
	ok(&c, "ticket.create");
	tm_str(c.res, "ticket.id", id, LD_TICKET_MAX + 1);
	(void)buf;
	assert_true(id[0] != '\0');
	call_free(&c);
}

/* A work-order op (wo.sign, wo.complete, ...) on work order wo. */
static void
wo_op(struct ld_client *cl, const char *op, const char *id, unsigned wo,
    struct call *c)
{
	struct ld_request r;

	rq(&r, op);
	rq_ticket(&r, id);
	event_set_uint(&r.args, LD_F_WO, wo);
	if (strcmp(op, "wo.complete") == 0)
		event_set_str(&r.args, LD_F_RESULT, "已补装新井盖");
	if (strcmp(op, "wo.return") == 0 || strcmp(op, "ext.refuse") == 0 ||
	    strcmp(op, "ext.request") == 0)
		event_set_str(&r.args, LD_F_REASON, "不属于本单位");
	if (strcmp(op, "wo.progress") == 0)
		event_set_str(&r.args, LD_F_NOTE, "已到现场");
	if (strcmp(op, "ext.request") == 0 || strcmp(op, "ext.grant") == 0)
		event_set_time(&r.args, LD_F_UNTIL, ltime_now() + 86400000);
	do_call(cl, &r, c);
}

static int
setup(void **state)
{
	(void)state;
	tn_init(&net);
	if (!tn_start(&net, &ly, "LY", NULL) || !tn_start(&net, &xa, "XA", NULL)) {
		fprintf(stderr, "a node did not start; its log is in %s\n",
		    net.dir);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	assert_int_equal(tn_stop(&xa, SIGINT), 0);
	assert_true(tn_log_has(&ly, "stopped cleanly"));
	tn_fini(&net);
	return 0;
}

static void
t_workflow(void **state)
{
	struct ld_client *op = tn_client(&net, "LY", "op-ly-wang", 5000);
	struct ld_client *un = tn_client(&net, "LY", "unit-unicom", 5000);
	struct ld_topo_route route;
	struct ld_request r;
	struct call c = { 0 };
	struct ld_err err;
	char id[32], id2[32], buf[128];

	(void)state;
	assert_non_null(op);
	assert_non_null(un);
	create(op, "manhole.unicom", "luolong", 3, "13903791234", id);
	assert_int_equal(topo_route(net.t, "manhole.unicom", "luolong", 3,
	    &route, &err), 0);

	rq(&r, "ticket.show");
	rq_ticket(&r, id);
	do_call(op, &r, &c);
	ok(&c, "show");
	assert_string_equal(tm_str(c.res, "ticket.state", buf, sizeof(buf)),
	    "dispatched");
	assert_string_equal(tm_str(c.res, "ticket.owner", buf, sizeof(buf)),
	    "LY");
	assert_int_equal(tm_len(c.res, "ticket.work_orders"), 1);
	assert_string_equal(tm_str(c.res, "ticket.work_orders.0.unit", buf,
	    sizeof(buf)), "unicom");
	/* the deadlines are the topology's for the category and urgency */
	assert_int_equal(tm_uint(c.res, "ticket.work_orders.0.due_done") -
	    tm_uint(c.res, "ticket.work_orders.0.dispatched"),
	    (uint64_t)route.complete_ms[0]);
	assert_int_equal(tm_uint(c.res, "ticket.work_orders.0.due_sign") -
	    tm_uint(c.res, "ticket.work_orders.0.dispatched"),
	    (uint64_t)route.sign_ms[0]);
	/* created, routed, dispatched */
	assert_int_equal(tm_len(c.res, "history"), 3);
	assert_string_equal(tm_str(c.res, "history.0.kind", buf, sizeof(buf)),
	    "ticket.created");
	assert_string_equal(tm_str(c.res, "history.0.actor", buf, sizeof(buf)),
	    "op:op-ly-wang");

	/* the unit's queue holds it; sign, complete */
	rq(&r, "wo.queue");
	do_call(un, &r, &c);
	ok(&c, "queue");
	assert_true(tm_len(c.res, "work_orders") >= 1);
	wo_op(un, "wo.complete", id, 1, &c);
	fails(&c, "EREFUSED", "complete before sign");
	wo_op(un, "wo.sign", id, 1, &c);
	ok(&c, "sign");
	assert_string_equal(tm_str(c.res, "ticket.state", buf, sizeof(buf)),
	    "in_progress");
	wo_op(un, "wo.sign", id, 1, &c);
	fails(&c, "EREFUSED", "sign twice");
	wo_op(un, "wo.complete", id, 1, &c);
	ok(&c, "complete");
	assert_string_equal(tm_str(c.res, "ticket.state", buf, sizeof(buf)),
	    "completed");

	rq(&r, "ticket.report");
	rq_ticket(&r, id);
	event_set_str(&r.args, LD_F_NOTE, "已告知市民：井盖已补装");
	do_call(op, &r, &c);
	ok(&c, "report");
	rq(&r, "ticket.callback");
	rq_ticket(&r, id);
	event_set_uint(&r.args, LD_F_METHOD, LD_METHOD_PHONE);
	event_set_uint(&r.args, LD_F_SATISFACTION, LD_SAT_SATISFIED);
	do_call(op, &r, &c);
	ok(&c, "callback");
	rq(&r, "ticket.close");
	rq_ticket(&r, id);
	do_call(op, &r, &c);
	ok(&c, "close");
	assert_string_equal(tm_str(c.res, "ticket.state", buf, sizeof(buf)),
	    "closed");

	/* the same caller again: the earlier ticket is shown on intake */
	rq(&r, "ticket.create");
	event_set_str(&r.args, LD_F_PHONE, "13903791234");
	event_set_str(&r.args, LD_F_PLACE, "关林路");
	event_set_str(&r.args, LD_F_AREA, "luolong");
	event_set_str(&r.args, LD_F_CATEGORY, "streetlight");
	event_set_uint(&r.args, LD_F_URGENCY, 4);
	event_set_str(&r.args, LD_F_TEXT, "路灯不亮");
	do_call(op, &r, &c);
	ok(&c, "create again");
	tm_str(c.res, "ticket.id", id2, sizeof(id2));
	assert_string_not_equal(id, id2);
	assert_int_equal(tm_len(c.res, "earlier"), 1);
	assert_string_equal(tm_str(c.res, "earlier.0.id", buf, sizeof(buf)), id);

	/* unknown ticket, area, category */
	rq(&r, "ticket.show");
	rq_ticket(&r, "LY-2011-999999");
	do_call(op, &r, &c);
	fails(&c, "ENOTFOUND", "show unknown");
	rq(&r, "ticket.create");
	event_set_str(&r.args, LD_F_PHONE, "1");
	event_set_str(&r.args, LD_F_PLACE, "x");
	event_set_str(&r.args, LD_F_AREA, "atlantis");
	event_set_str(&r.args, LD_F_CATEGORY, "manhole");
	event_set_uint(&r.args, LD_F_URGENCY, 1);
	event_set_str(&r.args, LD_F_TEXT, "x");
	do_call(op, &r, &c);
	fails(&c, "EUNKNOWN", "unknown area");

	/* the day's figures count what happened */
	rq(&r, "figures");
	do_call(op, &r, &c);
	ok(&c, "figures");
	assert_true(tm_uint(c.res, "tickets") >= 2);
	assert_true(tm_uint(c.res, "wo_completed") >= 1);
	assert_true(tm_uint(c.res, "closed") >= 1);
	call_free(&c);
	client_close(op);
	client_close(un);
}

/* The clients of the matrix: role, and (units) whether the ticket the
 * request acts on has a work order of theirs. */
static const struct {
	const char *client;
	int role;
	bool own;
} who[] = {
	{ "op-ly-wang", LD_ROLE_OPERATOR, true },
	{ "admin-ly-liu", LD_ROLE_ADMIN, true },
	{ "unit-unicom", LD_ROLE_UNIT, true },	/* manhole.unicom: its own */
	{ "unit-water", LD_ROLE_UNIT, false },	/* another unit's ticket */
};

/* Fill every argument op requires with a plausible value. */
static void
matrix_request(struct ld_request *r, enum ld_op op, const char *id)
{
	const struct ld_op_def *d = &proto_ops[op];

	memset(r, 0, sizeof(*r));
	r->op = op;
	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!(d->required & (1u << f)))
			continue;
		switch (event_fields[f].type) {
		case LD_T_STR:
			event_set_str(&r->args, (enum ld_field)f,
			    f == LD_F_AREA ? "luolong" :
			    f == LD_F_CATEGORY ? "manhole.unicom" :
			    f == LD_F_UNIT ? "telecom" : "测试");
			break;
		case LD_T_UINT:
			event_set_uint(&r->args, (enum ld_field)f, 1);
			break;
		case LD_T_TIME:
			event_set_time(&r->args, (enum ld_field)f,
			    ltime_now() + 86400000);
			break;
		case LD_T_BOOL:
			event_set_bool(&r->args, (enum ld_field)f, true);
			break;
		case LD_T_ENUM:
			event_set_uint(&r->args, (enum ld_field)f, 1);
			break;
		case LD_T_STRARR:
			event_add_unit(&r->args, "telecom");
			break;
		}
	}
	if (d->q_required & (1u << LD_Q_TICKET))
		rq_ticket(r, id);
	if (d->q_required & (1u << LD_Q_DAY)) {
		strcpy(r->day, "2011-07-01");
		r->q_present |= 1u << LD_Q_DAY;
	}
	if (d->q_required & (1u << LD_Q_DAY_TO)) {
		strcpy(r->day_to, "2011-07-31");
		r->q_present |= 1u << LD_Q_DAY_TO;
	}
	if (d->q_required & (1u << LD_Q_Q)) {
		strcpy(r->q, "no-such-message");
		r->q_present |= 1u << LD_Q_Q;
	}
	if (op == LD_OP_WO_QUEUE) {	/* every open one: the new is last */
		r->limit = LD_PROTO_LIMIT_MAX;
		r->q_present |= 1u << LD_Q_LIMIT;
	}
}

/* Does a list or queue result name ticket id? */
static bool
names_ticket(const msgpack_object *res, const char *arr, const char *key,
    const char *id)
{
	char path[64], buf[64];

	for (long i = 0; i < tm_len(res, arr); i++) {
		snprintf(path, sizeof(path), "%s.%ld.%s", arr, i, key);
		if (strcmp(tm_str(res, path, buf, sizeof(buf)), id) == 0)
			return true;
	}
	return false;
}

static void
t_authz_matrix(void **state)
{
	struct ld_client *adm = tn_client(&net, "LY", "admin-ly-liu", 5000);
	struct call c = { 0 };
	struct ld_request r;
	int checked = 0;

	(void)state;
	assert_non_null(adm);
	for (int op = 1; op < LD_OP__COUNT; op++) {
		for (size_t w = 0; w < sizeof(who) / sizeof(who[0]); w++) {
			struct ld_client *cl = tn_client(&net, "LY", who[w].client,
			    5000);
			bool role_ok = proto_ops[op].roles & (1u << who[w].role);
			bool scoped = who[w].role == LD_ROLE_UNIT &&
			    (proto_ops[op].q_required & (1u << LD_Q_TICKET));
			char id[32], what[128];

			assert_non_null(cl);
			/* a fresh ticket each time: what one op did does not
			 * change what the next may do */
			create(adm, "manhole.unicom", "luolong", 3, "13800000000",
			    id);
			snprintf(what, sizeof(what), "%s by %s on %s",
			    proto_ops[op].name, who[w].client, id);
			matrix_request(&r, (enum ld_op)op, id);
			do_call(cl, &r, &c);
			assert_int_equal(c.rc, 0);
			if (!role_ok) {
				fails(&c, "EREFUSED", what);
				assert_non_null(strstr(c.rep.message,
				    "may not call"));
			} else if (scoped && !who[w].own) {
				fails(&c, "EREFUSED", what);
				assert_true(strstr(c.rep.message, "has no work "
				    "order of unit") != NULL);
			} else if (!c.rep.ok) {
				/* allowed: whatever the state machine says,
				 * never a role or scope refusal */
				if (strstr(c.rep.message, "may not call") ||
				    strstr(c.rep.message, "has no work order of") ||
				    strstr(c.rep.message, "is not dispatched to"))
					fail_msg("%s: %s", what, c.rep.message);
			}
			/* lists never show another unit's ticket */
			if (c.rep.ok && op == LD_OP_TICKET_LIST)
				assert_int_equal(names_ticket(c.res, "tickets",
				    "id", id), who[w].own);
			if (c.rep.ok && op == LD_OP_WO_QUEUE)
				assert_int_equal(names_ticket(c.res,
				    "work_orders", "ticket", id), who[w].own);
			checked++;
			client_close(cl);
		}
	}
	assert_int_equal(checked, (LD_OP__COUNT - 1) * 4);
	/* refusals are logged by the node */
	assert_true(tn_log_has(&ly, "may not call 'ticket.close'"));
	assert_true(tn_log_has(&ly, "has no work order of unit water"));
	call_free(&c);
	client_close(adm);
}

static void
t_county_scope(void **state)
{
	struct ld_client *zh = tn_client(&net, "XA", "op-xa-zhao", 5000);
	struct ld_client *wrong = tn_client(&net, "LY", "op-xa-zhao", 1500);
	struct ld_request r;
	struct call c = { 0 };
	char id[32], buf[64];

	(void)state;
	assert_non_null(zh);
	/* Xin'an's own area: its ticket, numbered by XA */
	create(zh, "road", "xinan", 3, "13700000000", id);
	assert_int_equal(strncmp(id, "XA-", 3), 0);
	/* the city's area: not this county's, so escalated to the city */
	rq(&r, "ticket.create");
	event_set_str(&r.args, LD_F_PHONE, "13700000000");
	event_set_str(&r.args, LD_F_PLACE, "中州路");
	event_set_str(&r.args, LD_F_AREA, "luolong");
	event_set_str(&r.args, LD_F_CATEGORY, "road");
	event_set_uint(&r.args, LD_F_URGENCY, 3);
	event_set_str(&r.args, LD_F_TEXT, "路面塌陷");
	do_call(zh, &r, &c);
	ok(&c, "county operator in a city area");
	assert_string_equal(tm_str(c.res, "ticket.transfer_to", buf,
	    sizeof(buf)), "LY");
	assert_int_equal(tm_len(c.res, "ticket.work_orders"), 0);
	/* the city's tickets are not in the county's store */
	rq(&r, "ticket.show");
	rq_ticket(&r, "LY-2011-000001");
	do_call(zh, &r, &c);
	fails(&c, "ENOTFOUND", "city ticket at the county");
	rq(&r, "ticket.show");
	rq_ticket(&r, id);
	do_call(zh, &r, &c);
	ok(&c, "show own");
	assert_string_equal(tm_str(c.res, "ticket.owner", buf, sizeof(buf)),
	    "XA");
	/* a client of XA is refused by LY during the handshake */
	assert_non_null(wrong);
	rq(&r, "status");
	do_call(wrong, &r, &c);
	assert_int_equal(c.rc, LD_EIO);
	call_free(&c);
	client_close(zh);
	client_close(wrong);
}

/* A raw CURVE DEALER of client cid (multi-frame and huge messages). */
static void *
raw_dealer(void *zctx, const char *cid)
{
	const struct ld_topo_node *n = &net.t->nodes[topo_node(net.t, "LY")];
	uint8_t server[32];
	struct ld_keypair kp;
	struct ld_err err;
	char path[320];
	void *s = zmq_socket(zctx, ZMQ_DEALER);
	int linger = 0, tmo = 5000;

	snprintf(path, sizeof(path), "%s/%s.key", net.keys, cid);
	assert_int_equal(keyfile_read(path, &kp, &err), 0);
	assert_non_null(zmq_z85_decode(server, n->public_key));
	assert_int_equal(auth_client_socket(s, server, kp.public_key,
	    kp.secret_key, &err), 0);
	keyfile_wipe(&kp);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	assert_int_equal(zmq_connect(s, n->client), 0);
	return s;
}

/* Send frame, expect an error reply with code (or any error if NULL). */
static void
raw_expect(struct ld_client *cl, const uint8_t *f, size_t n, const char *code)
{
	const uint8_t *out;
	size_t len;
	struct ld_reply rep;
	struct ld_err err;

	assert_int_equal(client_call_raw(cl, f, n, &out, &len, &err), 0);
	assert_int_equal(proto_reply_decode(out, len, &rep, &err), 0);
	assert_false(rep.ok);
	if (code != NULL)
		assert_string_equal(rep.code, code);
}

static void
t_hostile(void **state)
{
	struct ld_client *op = tn_client(&net, "LY", "op-ly-li", 5000);
	struct ld_client *stranger = NULL;
	struct ld_client_opts o;
	struct ld_keypair kp;
	struct ld_request r;
	struct call c = { 0 };
	struct ld_err err;
	uint8_t frame[LD_PROTO_FRAME_MAX + 4096];
	char pub[41], sec[41];
	int len;

	(void)state;
	assert_non_null(op);
	/* a key that is not in the topology: refused at the handshake */
	assert_int_equal(zmq_curve_keypair(pub, sec), 0);
	memset(&kp, 0, sizeof(kp));
	zmq_z85_decode(kp.public_key, pub);
	zmq_z85_decode(kp.secret_key, sec);
	memset(&o, 0, sizeof(o));
	o.endpoint = net.t->nodes[topo_node(net.t, "LY")].client;
	o.keys = &kp;
	o.timeout_ms = 2000;
	zmq_z85_decode(o.server_key, net.t->nodes[topo_node(net.t, "LY")].public_key);
	assert_int_equal(client_open(&stranger, &o, &err), 0);
	rq(&r, "figures");
	do_call(stranger, &r, &c);
	assert_int_equal(c.rc, LD_EIO);
	assert_non_null(strstr(c.err.msg, "refused"));
	client_close(stranger);
	assert_true(tn_log_has(&ly, "auth: refused key"));

	/* oversized, truncated, wrong-typed */
	memset(frame, 0xa1, sizeof(frame));
	raw_expect(op, frame, sizeof(frame), "ELIMIT");
	rq(&r, "figures");
	r.id = 77;
	len = proto_request_encode(&r, frame, sizeof(frame), &err);
	assert_true(len > 4);
	raw_expect(op, frame, (size_t)len - 3, "EMALFORMED");
	{
		static const char wrong[] = "\x84\xa1v\xa1" "1\xa2id\x01\xa2op"
		    "\xa7" "figures\xa4" "args\x80";
		raw_expect(op, (const uint8_t *)wrong, sizeof(wrong) - 1,
		    "ETYPE");
	}
	raw_expect(op, (const uint8_t *)"", 0, NULL);
	/* random frames, and valid requests with random bytes changed */
	srand(12345);
	for (int i = 0; i < 2000; i++) {
		size_t n;

		if (i % 2) {
			n = (size_t)(rand() % 300);
			for (size_t j = 0; j < n; j++)
				frame[j] = (uint8_t)rand();
		} else {
			n = (size_t)len;
			proto_request_encode(&r, frame, sizeof(frame), &err);
			for (int k = 0; k < 3; k++)
				frame[rand() % (int)n] = (uint8_t)rand();
		}
		const uint8_t *out;
		size_t olen;
		struct ld_reply rep;

		assert_int_equal(client_call_raw(op, frame, n, &out, &olen,
		    &err), 0);
		assert_int_equal(proto_reply_decode(out, olen, &rep, &err), 0);
	}

	/* a message of three frames; one larger than the node takes */
	void *zctx = zmq_ctx_new();
	void *d = raw_dealer(zctx, "op-ly-li");
	uint8_t reply[4096];
	struct ld_reply rep;
	int n;

	zmq_send(d, "a", 1, ZMQ_SNDMORE);
	zmq_send(d, "b", 1, ZMQ_SNDMORE);
	zmq_send(d, "c", 1, 0);
	n = zmq_recv(d, reply, sizeof(reply), 0);
	assert_true(n > 0);
	assert_int_equal(proto_reply_decode(reply, (size_t)n, &rep, &err), 0);
	assert_string_equal(rep.code, "EMALFORMED");
	{
		size_t big = (2u << 20);
		uint8_t *b = calloc(1, big);
		int tmo = 500;

		zmq_send(d, b, big, 0);
		free(b);
		zmq_setsockopt(d, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
		/* libzmq drops the connection: no reply */
		assert_true(zmq_recv(d, reply, sizeof(reply), 0) < 0);
	}
	zmq_close(d);
	zmq_ctx_term(zctx);

	/* and the node serves on */
	rq(&r, "ticket.list");
	do_call(op, &r, &c);
	ok(&c, "list after the hostile frames");
	call_free(&c);
	client_close(op);
}

/* Child: create tickets one by one until the node stops answering; write
 * each acknowledged id to fd. */
static void
kill9_client(int fd)
{
	struct ld_client *op = tn_client(&net, "LY", "op-ly-zhang", 2000);
	struct ld_request r;
	struct ld_reply rep;
	struct ld_err err;

	if (op == NULL)
		_exit(2);
	for (;;) {
		rq(&r, "ticket.create");
		event_set_str(&r.args, LD_F_PHONE, "13500000000");
		event_set_str(&r.args, LD_F_PLACE, "九都路");
		event_set_str(&r.args, LD_F_AREA, "xigong");
		event_set_str(&r.args, LD_F_CATEGORY, "streetlight");
		event_set_uint(&r.args, LD_F_URGENCY, 4);
		event_set_str(&r.args, LD_F_TEXT, "路灯不亮");
		if (client_call(op, &r, &rep, &err) != 0 || !rep.ok)
			break;
		msgpack_unpacked u;
		char line[64], id[32];
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, (const char *)rep.result,
		    rep.result_len, NULL) == MSGPACK_UNPACK_SUCCESS) {
			snprintf(line, sizeof(line), "%s\n", tm_str(&u.data,
			    "ticket.id", id, sizeof(id)));
			if (write(fd, line, strlen(line)) < 0)
				break;
		}
		msgpack_unpacked_destroy(&u);
	}
	client_close(op);
	_exit(0);
}

static void
t_kill9(void **state)
{
	const char *check[] = { "--check", NULL };
	int rounds = atoi(tn_env("LD_KILL9_ROUNDS", "5"));
	char acked[320];

	(void)state;
	snprintf(acked, sizeof(acked), "%s/acked.txt", net.dir);
	srand((unsigned)getpid());
	for (int round = 0; round < rounds; round++) {
		int fd = open(acked, O_WRONLY | O_CREAT | O_APPEND, 0600);
		pid_t kid;
		int st;

		assert_true(fd >= 0);
		kid = fork();
		assert_true(kid >= 0);
		if (kid == 0)
			kill9_client(fd);
		tn_sleep_ms(100 + rand() % 400);
		tn_stop(&ly, SIGKILL);
		waitpid(kid, &st, 0);
		close(fd);
		/* restart with the rebuild check: views equal the log */
		assert_true(tn_start(&net, &ly, "LY", check));
		assert_true(tn_log_has(&ly, "rebuild check: views equal"));
	}
	/* every acknowledged ticket is there */
	struct ld_client *op = tn_client(&net, "LY", "op-ly-wang", 5000);
	char *ids = tu_slurp(acked, NULL), *save = NULL;
	struct ld_request r;
	struct call c = { 0 };
	int n = 0;

	assert_non_null(ids);
	for (char *id = strtok_r(ids, "\n", &save); id != NULL;
	    id = strtok_r(NULL, "\n", &save)) {
		rq(&r, "ticket.show");
		rq_ticket(&r, id);
		do_call(op, &r, &c);
		ok(&c, id);
		n++;
	}
	fprintf(stderr, "kill -9: %d rounds, %d acknowledged tickets, all "
	    "there after each restart\n", rounds, n);
	assert_true(n > 0);
	free(ids);
	call_free(&c);
	client_close(op);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_workflow),
		cmocka_unit_test(t_authz_matrix),
		cmocka_unit_test(t_county_scope),
		cmocka_unit_test(t_hostile),
		cmocka_unit_test(t_kill9),
	};

	return cmocka_run_group_tests_name("serve", tests, setup, teardown);
}
