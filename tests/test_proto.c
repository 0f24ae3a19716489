/* test_proto.c - the client protocol: op table, request codec, replies. */
#include "testutil.h"

#include "codec_mp.h"
#include "proto.h"
#include "topo.h"

#define PLACE "王城大道与关林路交叉口西北50米，洛阳理工学院附近"
#define T0 1321412700000LL	/* 2011-11-16 11:05 local */

/* ---- helpers ----------------------------------------------------------- */

/* A sample value for event field f. */
static void
tp_set_field(struct ld_event *ev, int f)
{
	static const char *const strs[LD_F__COUNT] = {
		[LD_F_CALL] = "C-20111116-0042", [LD_F_CALLER] = "王先生",
		[LD_F_PHONE] = "13803791234", [LD_F_PLACE] = PLACE,
		[LD_F_AREA] = "xigong", [LD_F_TEXT] = "井盖丢失，行人有危险",
		[LD_F_CATEGORY] = "municipal.manhole", [LD_F_RULE] = "r1",
		[LD_F_UNIT] = "unicom", [LD_F_REASON] = "不属于本单位职责",
		[LD_F_NOTE] = "已派人前往现场", [LD_F_RESULT] = "已补装井盖",
		[LD_F_NODE] = "LY", [LD_F_PLAN] = "water-1",
		[LD_F_CHANNEL] = "sms", [LD_F_INCIDENT] = "LY-2011-000042",
	};

	switch (event_fields[f].type) {
	case LD_T_STR:
		assert_int_equal(event_set_str(ev, f, strs[f]), 0);
		break;
	case LD_T_UINT:
		assert_int_equal(event_set_uint(ev, f, f == LD_F_URGENCY ? 2 :
		    3), 0);
		break;
	case LD_T_ENUM:
		assert_int_equal(event_set_uint(ev, f, event_fields[f].max), 0);
		break;
	case LD_T_TIME:
		assert_int_equal(event_set_time(ev, f, T0 + 3600000), 0);
		break;
	case LD_T_BOOL:
		assert_int_equal(event_set_bool(ev, f, true), 0);
		break;
	case LD_T_STRARR:
		assert_int_equal(event_add_unit(ev, "power"), 0);
		assert_int_equal(event_add_unit(ev, "water"), 0);
		break;
	}
}

/* A sample value for query argument q. */
static void
tp_set_q(struct ld_request *req, int q)
{
	switch (q) {
	case LD_Q_STATE: strcpy(req->state, "in_progress"); break;
	case LD_Q_DAY: strcpy(req->day, "2011-11-16"); break;
	case LD_Q_DAY_TO: strcpy(req->day_to, "2011-11-30"); break;
	case LD_Q_OVERDUE: req->overdue = true; break;
	case LD_Q_Q: strcpy(req->q, "井盖"); break;
	case LD_Q_LIMIT: req->limit = 20; break;
	case LD_Q_AFTER: strcpy(req->after, "LY-2011-000001"); break;
	case LD_Q_BOX: strcpy(req->box, "dead"); break;
	default: strcpy(req->ticket, "XA-2011-000123"); break;
	}
	req->q_present |= 1u << q;
}

/* A request for op with its required arguments, and the optional ones
 * too if all. */
static void
tp_make(struct ld_request *req, enum ld_op op, bool all)
{
	const struct ld_op_def *o = &proto_ops[op];

	memset(req, 0, sizeof(*req));
	req->id = 1000 + (uint64_t)op;
	req->op = op;
	for (int f = 0; f < LD_F__COUNT; f++)
		if ((o->required | (all ? o->optional : 0)) >> f & 1u)
			tp_set_field(&req->args, f);
	for (int q = 0; q < LD_Q__COUNT; q++)
		if ((o->q_required | (all ? o->q_optional : 0)) >> q & 1u)
			tp_set_q(req, q);
}

/* Encode req, decode it in a buffer of exactly its size, and check the
 * struct comes back the same. */
static void
tp_roundtrip(const struct ld_request *req)
{
	static struct ld_request back;
	uint8_t buf[LD_PROTO_FRAME_MAX], *exact;
	struct ld_err err = { 0 };
	int n;

	n = proto_request_encode(req, buf, sizeof(buf), &err);
	if (n <= 0)
		fail_msg("%s: encode: %s", proto_op_name(req->op), err.msg);
	exact = malloc((size_t)n);
	memcpy(exact, buf, (size_t)n);
	if (proto_request_decode(exact, (size_t)n, &back, &err) != 0)
		fail_msg("%s: decode: %s", proto_op_name(req->op), err.msg);
	assert_memory_equal(&back, req, sizeof(back));
	free(exact);
}

/* A hand-made frame: the writer of proto.h over a static buffer. */
static uint8_t tp_buf[LD_PROTO_FRAME_MAX + 64];
static struct ld_pw tp_w;

static void
tp_start(uint32_t entries)
{
	tp_w = (struct ld_pw){ .p = tp_buf, .cap = sizeof(tp_buf) };
	proto_w_map(&tp_w, entries);
}

/* The envelope of a request with an args map of n entries. */
static void
tp_head(const char *op, uint32_t n)
{
	tp_start(4);
	proto_w_str(&tp_w, "v");
	proto_w_uint(&tp_w, 1);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 42);
	proto_w_str(&tp_w, "op");
	proto_w_str(&tp_w, op);
	proto_w_str(&tp_w, "args");
	proto_w_map(&tp_w, n);
}

/* Decode the hand-made frame; check code and message. */
static void
tp_expect(int code, const char *msg)
{
	static struct ld_request req;
	struct ld_err err = { 0 };
	int rc = proto_request_decode(tp_buf, tp_w.off, &req, &err);

	if (rc != code || strcmp(err.msg, msg) != 0)
		fail_msg("got %d '%s', expected %d '%s'", rc, err.msg, code,
		    msg);
	assert_int_equal(err.code, code);
}

/* The arguments of a valid ticket.create but for the one named skip. */
static void
tp_create_args(const char *skip, uint32_t *n)
{
	static const char *const k[] = { "phone", "place", "area",
		"category", "text" };
	static const char *const v[] = { "13803791234", PLACE, "xigong",
		"municipal.manhole", "井盖丢失" };

	*n = 0;
	for (int i = 0; i < 5; i++) {
		if (strcmp(k[i], skip) == 0)
			continue;
		proto_w_str(&tp_w, k[i]);
		proto_w_str(&tp_w, v[i]);
		(*n)++;
	}
	if (strcmp(skip, "urgency") != 0) {
		proto_w_str(&tp_w, "urgency");
		proto_w_uint(&tp_w, 1);
		(*n)++;
	}
}

/* ---- the op table ------------------------------------------------------ */

static void
test_ops_table(void **state)
{
	(void)state;
	assert_string_equal(proto_op_name(LD_OP__COUNT), "none");
	assert_int_equal(proto_op_from_name("foo", 3), LD_OP_NONE);
	assert_int_equal(proto_op_from_name("none", 4), LD_OP_NONE);
	for (int op = 1; op < LD_OP__COUNT; op++) {
		const struct ld_op_def *o = &proto_ops[op];
		const char *n = proto_op_name((enum ld_op)op);

		assert_non_null(o->name);
		assert_non_null(o->summary);
		assert_int_equal(proto_op_from_name(n, strlen(n)), op);
		assert_int_equal(o->required & o->optional, 0);
		assert_int_equal(o->q_required & o->q_optional, 0);
		assert_true(o->roles != 0);
		assert_int_equal(o->roles & ~((1u << LD_ROLE_OPERATOR) |
		    (1u << LD_ROLE_UNIT) | (1u << LD_ROLE_ADMIN)), 0);
		/* every op that acts on a work order names it and its ticket */
		if ((o->required >> LD_F_WO) & 1u)
			assert_true(o->q_required & (1u << LD_Q_TICKET));
	}
	assert_int_equal(proto_ops[LD_OP_STATUS].roles, 1u << LD_ROLE_ADMIN);
	assert_int_equal(proto_ops[LD_OP_WO_SIGN].roles, 1u << LD_ROLE_UNIT);
	assert_true(proto_ops[LD_OP_TICKET_CREATE].roles &
	    (1u << LD_ROLE_ADMIN));
}

/* ---- round trips ------------------------------------------------------- */

static void
test_roundtrip_every_op(void **state)
{
	struct ld_request *req = malloc(sizeof(*req));

	(void)state;
	for (int op = 1; op < LD_OP__COUNT; op++) {
		tp_make(req, (enum ld_op)op, false);
		tp_roundtrip(req);
		tp_make(req, (enum ld_op)op, true);
		tp_roundtrip(req);
	}
	free(req);
}

static void
test_roundtrip_chinese_and_limits(void **state)
{
	struct ld_request *req = malloc(sizeof(*req));
	uint8_t buf[LD_PROTO_FRAME_MAX];
	struct ld_err err;
	char s[LD_TEXT_MAX + 1];

	(void)state;
	tp_make(req, LD_OP_TICKET_CREATE, true);
	/* 85 three-byte characters + 1 byte: exactly the 256-byte limit */
	s[0] = '\0';
	for (int i = 0; i < 85; i++)
		strcat(s, "洛");
	strcat(s, "1");
	assert_int_equal(strlen(s), LD_PLACE_MAX);
	assert_int_equal(event_set_str(&req->args, LD_F_PLACE, s), 0);
	memset(s, 'x', LD_TEXT_MAX);
	s[LD_TEXT_MAX] = '\0';
	assert_int_equal(event_set_str(&req->args, LD_F_TEXT, s), 0);
	req->id = UINT64_MAX;
	tp_roundtrip(req);
	/* the encoder refuses what the decoder would */
	req->args.urgency = 9;
	assert_int_equal(proto_request_encode(req, buf, sizeof(buf), &err),
	    LD_ELIMIT);
	assert_string_equal(err.msg, "args.urgency: 9 out of range 1..5");
	req->args.urgency = 1;
	req->q_present |= 1u << LD_Q_STATE;
	assert_int_equal(proto_request_encode(req, buf, sizeof(buf), &err),
	    LD_EUNKNOWN);
	assert_string_equal(err.msg,
	    "args.state: unknown argument of 'ticket.create'");
	req->q_present = 0;
	req->args.present &= ~(1u << LD_F_PHONE);
	assert_int_equal(proto_request_encode(req, buf, sizeof(buf), &err),
	    LD_EMISSING);
	assert_string_equal(err.msg,
	    "args.phone: missing (required by 'ticket.create')");
	req->args.present |= 1u << LD_F_PHONE;
	assert_int_equal(proto_request_encode(req, buf, 10, &err), LD_ELIMIT);
	free(req);
}

/* ---- errors ------------------------------------------------------------ */

static void
test_error_messages(void **state)
{
	uint32_t n;

	(void)state;
	tp_head("foo", 0);
	tp_expect(LD_EUNKNOWN, "op: unknown operation 'foo'");

	tp_head("ticket.create", 5);
	tp_create_args("phone", &n);
	tp_expect(LD_EMISSING, "args.phone: missing (required by "
	    "'ticket.create')");

	tp_head("ticket.create", 7);
	tp_create_args("", &n);
	proto_w_str(&tp_w, "colour");
	proto_w_str(&tp_w, "red");
	tp_expect(LD_EUNKNOWN, "args.colour: unknown argument of "
	    "'ticket.create'");

	tp_head("ticket.create", 1);
	proto_w_str(&tp_w, "urgency");
	proto_w_str(&tp_w, "high");
	tp_expect(LD_ETYPE, "args.urgency: expected integer, got string");

	tp_head("ticket.create", 1);
	proto_w_str(&tp_w, "urgency");
	proto_w_uint(&tp_w, 0);
	tp_expect(LD_ELIMIT, "args.urgency: 0 out of range 1..5");

	tp_head("ticket.create", 1);
	proto_w_str(&tp_w, "phone");
	proto_w_str(&tp_w, "0123456789012345678901234567890123456789");
	tp_expect(LD_ELIMIT, "args.phone: string of 40 bytes exceeds limit "
	    "24");

	tp_head("ticket.create", 1);
	proto_w_str(&tp_w, "phone");
	proto_w_str(&tp_w, "138\xff");
	tp_expect(LD_EUTF8, "args.phone: invalid UTF-8 at byte 3");

	tp_head("ticket.create", 2);
	proto_w_str(&tp_w, "phone");
	proto_w_str(&tp_w, "1");
	proto_w_str(&tp_w, "phone");
	proto_w_str(&tp_w, "2");
	tp_expect(LD_EMALFORMED, "args.phone: duplicate key");

	tp_head("ticket.callback", 1);
	proto_w_str(&tp_w, "method");
	proto_w_str(&tp_w, "fax");
	tp_expect(LD_EUNKNOWN, "args.method: unknown value 'fax' (expected "
	    "sms|phone|visit)");

	tp_head("wo.reroute", 1);
	proto_w_str(&tp_w, "units");
	proto_w_array(&tp_w, 1);
	proto_w_array(&tp_w, 0);
	tp_expect(LD_ELIMIT, "args: nesting depth 4 exceeds limit 3");

	tp_head("wo.reroute", 1);
	proto_w_str(&tp_w, "units");
	proto_w_array(&tp_w, 0);
	tp_expect(LD_ELIMIT, "args.units: 0 entries, expected 1..16");

	tp_head("ticket.list", 1);
	proto_w_str(&tp_w, "state");
	proto_w_str(&tp_w, "open");
	tp_expect(LD_EUNKNOWN, "args.state: unknown state 'open' (expected "
	    "new|dispatched|in_progress|returned|completed|reported|"
	    "called_back|closed)");

	tp_head("ticket.list", 1);
	proto_w_str(&tp_w, "day");
	proto_w_str(&tp_w, "2011-02-30");
	tp_expect(LD_EINVAL, "args.day: '2011-02-30' is not a day "
	    "(YYYY-MM-DD)");

	tp_head("figures", 2);
	proto_w_str(&tp_w, "day_to");
	proto_w_str(&tp_w, "2011-11-01");
	proto_w_str(&tp_w, "day");
	proto_w_str(&tp_w, "2011-11-16");
	tp_expect(LD_EINVAL, "args.day_to: 2011-11-01 is before day "
	    "2011-11-16");

	tp_head("figures", 1);
	proto_w_str(&tp_w, "day_to");
	proto_w_str(&tp_w, "2011-11-01");
	tp_expect(LD_EMISSING, "args.day: missing (required with day_to)");

	tp_head("ticket.list", 1);
	proto_w_str(&tp_w, "limit");
	proto_w_uint(&tp_w, 501);
	tp_expect(LD_ELIMIT, "args.limit: 501 out of range 1..500");

	tp_head("ticket.show", 1);
	proto_w_str(&tp_w, "ticket");
	proto_w_str(&tp_w, "");
	tp_expect(LD_EINVAL, "args.ticket: empty ticket id");

	tp_head("wo.sign", 1);
	proto_w_str(&tp_w, "ticket");
	proto_w_str(&tp_w, "XA-2011-000123");
	tp_expect(LD_EMISSING, "args.wo: missing (required by 'wo.sign')");

	tp_head("status", 1);
	proto_w_str(&tp_w, "wo");
	proto_w_uint(&tp_w, 1);
	tp_expect(LD_EUNKNOWN, "args.wo: unknown argument of 'status'");
}

static void
test_envelope_errors(void **state)
{
	static struct ld_request req;
	struct ld_err err;
	uint8_t big[LD_PROTO_FRAME_MAX + 1] = { 0x80 };

	(void)state;
	assert_int_equal(proto_request_decode(big, sizeof(big), &req, &err),
	    LD_ELIMIT);
	assert_string_equal(err.msg, "request: frame of 16385 bytes exceeds "
	    "limit 16384");

	tp_start(0);
	proto_w_uint(&tp_w, 1);
	tp_expect(LD_EMALFORMED, "request: 1 trailing bytes after the request");

	tp_w.off = 0;
	proto_w_array(&tp_w, 0);
	tp_expect(LD_ETYPE, "request: expected map, got array");

	tp_start(0);
	tp_expect(LD_EMISSING, "v: missing");

	tp_start(3);
	proto_w_str(&tp_w, "v");
	proto_w_uint(&tp_w, 1);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 7);
	proto_w_str(&tp_w, "op");
	proto_w_str(&tp_w, "status");
	tp_expect(LD_EMISSING, "args: missing");

	/* args before op, v last and wrong: the id is still read */
	tp_start(4);
	proto_w_str(&tp_w, "args");
	proto_w_map(&tp_w, 0);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 99);
	proto_w_str(&tp_w, "op");
	proto_w_str(&tp_w, "status");
	proto_w_str(&tp_w, "v");
	proto_w_uint(&tp_w, 2);
	tp_expect(LD_EUNKNOWN, "v: unsupported protocol version 2 (expected "
	    "1)");
	assert_int_equal(proto_request_decode(tp_buf, tp_w.off, &req, &err),
	    LD_EUNKNOWN);
	assert_int_equal(req.id, 99);
	tp_w.off -= 1;
	proto_w_uint(&tp_w, 1);
	assert_int_equal(proto_request_decode(tp_buf, tp_w.off, &req, &err),
	    0);
	assert_int_equal(req.op, LD_OP_STATUS);

	tp_start(1);
	proto_w_str(&tp_w, "id");
	proto_w_int(&tp_w, -1);
	tp_expect(LD_ELIMIT, "id: -1 is negative");

	tp_start(2);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 1);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 1);
	tp_expect(LD_EMALFORMED, "id: duplicate key");

	tp_start(1);
	proto_w_str(&tp_w, "colour");
	tp_expect(LD_EUNKNOWN, "request: unknown key 'colour'");

	tp_start(1);
	proto_w_str(&tp_w, "args");
	proto_w_nil(&tp_w);
	tp_expect(LD_ETYPE, "args: expected map, got nil");

	tp_start(1);
	proto_w_str(&tp_w, "args");
	proto_w_map(&tp_w, 1);
	proto_w_str(&tp_w, "units");
	proto_w_array(&tp_w, 1);
	proto_w_map(&tp_w, 0);
	tp_expect(LD_ELIMIT, "args: nesting depth 4 exceeds limit 3");

	tp_start(1);
	proto_w_str(&tp_w, "op");
	tp_buf[tp_w.off++] = 0xc1;
	tp_expect(LD_EMALFORMED, "op: invalid msgpack byte 0xc1 at byte 4");
}

/* Every strict prefix of a valid request fails, as truncated. */
static void
test_truncations(void **state)
{
	static struct ld_request req, back;
	uint8_t full[LD_PROTO_FRAME_MAX];
	struct ld_err err;
	int n, total = 0;

	(void)state;
	for (int op = 1; op < LD_OP__COUNT; op++) {
		tp_make(&req, (enum ld_op)op, true);
		n = proto_request_encode(&req, full, sizeof(full), &err);
		assert_true(n > 0);
		for (int len = 0; len < n; len++) {
			uint8_t *p = malloc((size_t)len + 1);
			int rc;

			memcpy(p, full, (size_t)len);
			rc = proto_request_decode(p, (size_t)len, &back, &err);
			if (rc != LD_EMALFORMED || strstr(err.msg, "truncated") ==
			    NULL)
				fail_msg("%s, %d of %d bytes: %d %s",
				    proto_op_name((enum ld_op)op), len, n, rc,
				    err.msg);
			free(p);
			total++;
		}
	}
	assert_true(total > 1000);
}

/* ---- replies ----------------------------------------------------------- */

static void
test_reply_roundtrip(void **state)
{
	static const int64_t ints[] = { 0, 5, -1, -32, -33, -128, -129, -32768,
		-32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN,
		INT64_MAX };
	uint8_t buf[4096];
	struct ld_reply r;
	struct ld_err err;
	struct ld_pw w;
	struct codec_mp_rd rd = { .err = &err };
	struct codec_mp_val v;
	const uint8_t *s;
	size_t n;
	int len;

	(void)state;
	proto_reply_begin(&w, buf, sizeof(buf), 77, 3);
	proto_w_str(&w, "ticket");
	proto_w_map(&w, 2);
	proto_w_str(&w, "place");
	proto_w_str(&w, PLACE);
	proto_w_str(&w, "gone");
	proto_w_nil(&w);
	proto_w_str(&w, "ints");
	proto_w_array(&w, sizeof(ints) / sizeof(ints[0]));
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		proto_w_int(&w, ints[i]);
	proto_w_str(&w, "next");
	proto_w_bool(&w, false);
	len = proto_reply_end(&w);
	assert_true(len > 0);
	assert_int_equal(proto_reply_decode(buf, (size_t)len, &r, &err), 0);
	assert_true(r.ok);
	assert_int_equal(r.id, 77);
	assert_ptr_equal(r.result + r.result_len, buf + len);
	/* read the result back with the bounded reader */
	rd.p = r.result;
	rd.len = r.result_len;
	assert_int_equal(codec_mp_next(&rd, &v, 1), 0);
	assert_int_equal(v.type, CODEC_MP_MAP);
	assert_int_equal(v.u, 3);
	assert_int_equal(codec_mp_read_key(&rd, 1, &s, &n), 0);
	assert_int_equal(codec_mp_next(&rd, &v, 1), 0);
	assert_int_equal(codec_mp_read_key(&rd, 1, &s, &n), 0);
	assert_int_equal(codec_mp_read_key(&rd, 1, &s, &n), 0);
	assert_memory_equal(s, PLACE, n);
	assert_int_equal(codec_mp_read_key(&rd, 1, &s, &n), 0);
	assert_int_equal(codec_mp_next(&rd, &v, 1), 0);
	assert_int_equal(v.type, CODEC_MP_NIL);
	assert_int_equal(codec_mp_read_key(&rd, 1, &s, &n), 0);
	assert_int_equal(codec_mp_next(&rd, &v, 1), 0);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		assert_int_equal(codec_mp_read_int(&rd, 1, &v), 0);
		if (ints[i] < 0)
			assert_int_equal(v.i, ints[i]);
		else
			assert_int_equal(v.u, (uint64_t)ints[i]);
	}
	/* every strict prefix fails */
	for (int i = 0; i < len; i++)
		assert_int_equal(proto_reply_decode(buf, (size_t)i, &r, &err),
		    LD_EMALFORMED);
}

static void
test_reply_error(void **state)
{
	uint8_t buf[512];
	struct ld_reply r;
	struct ld_err e, err;
	char longmsg[400];
	int len;

	(void)state;
	err_set(&e, LD_EREFUSED, "work order 2 (unit water) is not signed for "
	    "yet; it cannot be completed");
	len = proto_reply_error(buf, sizeof(buf), 9, &e);
	assert_true(len > 0);
	assert_int_equal(proto_reply_decode(buf, (size_t)len, &r, &err), 0);
	assert_false(r.ok);
	assert_int_equal(r.id, 9);
	assert_string_equal(r.code, "EREFUSED");
	assert_int_equal(r.num, -1009);
	assert_string_equal(r.message, e.msg);
	assert_null(r.result);
	for (int i = 0; i < len; i++)
		assert_int_equal(proto_reply_decode(buf, (size_t)i, &r, &err),
		    LD_EMALFORMED);
	/* a message cut inside a Chinese character is mended */
	longmsg[0] = '\0';
	while (strlen(longmsg) < 300)
		strcat(longmsg, "井");
	err_set(&e, LD_EINVAL, "a%s", longmsg);
	assert_int_equal(strlen(e.msg), LD_ERR_MSG_MAX - 1);
	len = proto_reply_error(buf, sizeof(buf), 9, &e);
	assert_int_equal(proto_reply_decode(buf, (size_t)len, &r, &err), 0);
	assert_int_equal(strlen(r.message), LD_ERR_MSG_MAX - 1);
	assert_int_equal(r.message[LD_ERR_MSG_MAX - 2], '?');
	/* no error at all */
	len = proto_reply_error(buf, sizeof(buf), 0, NULL);
	assert_int_equal(proto_reply_decode(buf, (size_t)len, &r, &err), 0);
	assert_string_equal(r.code, "EINVAL");
	assert_string_equal(r.message, "error EINVAL");
}

static void
test_reply_overflow(void **state)
{
	uint8_t buf[64 + 16];
	struct ld_err e;
	struct ld_pw w;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	proto_reply_begin(&w, buf, 64, 1, 1);
	proto_w_str(&w, "text");
	proto_w_str(&w, PLACE PLACE);
	assert_int_equal(proto_reply_end(&w), LD_ELIMIT);
	for (size_t i = 64; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
	err_set(&e, LD_EIO, "%s", PLACE);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(proto_reply_error(buf, 30, 1, &e), LD_ELIMIT);
	for (size_t i = 30; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
	/* the largest error reply fits in LD_PROTO_ERR_REPLY_MAX */
	{
		static uint8_t big[LD_PROTO_ERR_REPLY_MAX];
		char msg[LD_ERR_MSG_MAX];

		memset(msg, 'x', sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		err_set(&e, LD_EMALFORMED, "%s", msg);
		assert_true(proto_reply_error(big, sizeof(big), UINT64_MAX,
		    &e) > 0);
	}
	/* counting only */
	proto_reply_begin(&w, NULL, 0, 1, 0);
	assert_int_equal(proto_reply_end(&w), LD_ELIMIT);
	assert_true(w.off > 0);
}

static void
test_reply_decode_errors(void **state)
{
	struct ld_reply r;
	struct ld_err err;

	(void)state;
	tp_start(3);
	proto_w_str(&tp_w, "v");
	proto_w_uint(&tp_w, 1);
	proto_w_str(&tp_w, "id");
	proto_w_uint(&tp_w, 5);
	proto_w_str(&tp_w, "ok");
	proto_w_bool(&tp_w, true);
	assert_int_equal(proto_reply_decode(tp_buf, tp_w.off, &r, &err),
	    LD_EMISSING);
	assert_string_equal(err.msg, "result: missing (ok is true)");
	assert_int_equal(r.id, 5);

	tp_buf[0]++;
	proto_w_str(&tp_w, "error");
	proto_w_map(&tp_w, 0);
	assert_int_equal(proto_reply_decode(tp_buf, tp_w.off, &r, &err),
	    LD_EMISSING);
	assert_string_equal(err.msg, "error.code: missing");

	tp_start(1);
	proto_w_str(&tp_w, "result");
	proto_w_map(&tp_w, 1);
	proto_w_uint(&tp_w, 1);
	proto_w_uint(&tp_w, 2);
	assert_int_equal(proto_reply_decode(tp_buf, tp_w.off, &r, &err),
	    LD_ETYPE);
	assert_string_equal(err.msg, "result: key must be a string");

	tp_start(1);
	proto_w_str(&tp_w, "result");
	proto_w_map(&tp_w, 1);
	proto_w_str(&tp_w, "x");
	tp_buf[tp_w.off++] = 0xcb;
	memset(tp_buf + tp_w.off, 0, 8);
	tp_w.off += 8;
	assert_int_equal(proto_reply_decode(tp_buf, tp_w.off, &r, &err),
	    LD_ETYPE);
}

/* The two worked examples of docs/protocol.md §8, byte for byte. */
static void
test_example_frames(void **state)
{
	static const uint8_t req_bytes[] = {
		0x84, 0xa1, 0x76, 0x01, 0xa2, 0x69, 0x64, 0x07, 0xa2, 0x6f,
		0x70, 0xad, 't', 'i', 'c', 'k', 'e', 't', '.', 'c', 'r', 'e',
		'a', 't', 'e', 0xa4, 'a', 'r', 'g', 's', 0x86, 0xa5, 'p', 'h',
		'o', 'n', 'e', 0xab, '1', '3', '8', '0', '3', '7', '9', '1',
		'2', '3', '4', 0xa5, 'p', 'l', 'a', 'c', 'e', 0xa9, 0xe5, 0x85,
		0xb3, 0xe6, 0x9e, 0x97, 0xe8, 0xb7, 0xaf, 0xa4, 'a', 'r', 'e',
		'a', 0xa6, 'x', 'i', 'g', 'o', 'n', 'g', 0xa4, 't', 'e', 'x',
		't', 0xac, 0xe4, 0xba, 0x95, 0xe7, 0x9b, 0x96, 0xe4, 0xb8, 0xa2,
		0xe5, 0xa4, 0xb1, 0xa8, 'c', 'a', 't', 'e', 'g', 'o', 'r', 'y',
		0xa7, 'm', 'a', 'n', 'h', 'o', 'l', 'e', 0xa7, 'u', 'r', 'g',
		'e', 'n', 'c', 'y', 0x02 };
	static const char msg[] =
	    "args.phone: missing (required by 'ticket.create')";
	static struct ld_request req;
	uint8_t buf[256];
	struct ld_err err;
	struct ld_reply r;
	int n;

	(void)state;
	assert_int_equal(sizeof(req_bytes), 121);
	assert_int_equal(proto_request_decode(req_bytes, sizeof(req_bytes),
	    &req, &err), 0);
	assert_int_equal(req.id, 7);
	assert_int_equal(req.op, LD_OP_TICKET_CREATE);
	assert_string_equal(req.args.place, "关林路");
	n = proto_request_encode(&req, buf, sizeof(buf), &err);
	assert_int_equal(n, sizeof(req_bytes));
	assert_memory_equal(buf, req_bytes, sizeof(req_bytes));
	err_set(&err, LD_EMISSING, "%s", msg);
	n = proto_reply_error(buf, sizeof(buf), 7, &err);
	assert_int_equal(n, 99);
	assert_memory_equal(buf, "\x84\xa1v\x01\xa2id\x07\xa2ok\xc2\xa5"
	    "error\x83\xa4" "code\xa8" "EMISSING\xa3num\xd1\xfc\x12\xa7"
	    "message\xd9\x31", 50);
	assert_memory_equal(buf + 50, msg, 49);
	assert_int_equal(proto_reply_decode(buf, (size_t)n, &r, &err), 0);
	assert_int_equal(r.num, LD_EMISSING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_table),
		cmocka_unit_test(test_roundtrip_every_op),
		cmocka_unit_test(test_roundtrip_chinese_and_limits),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_envelope_errors),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_overflow),
		cmocka_unit_test(test_reply_decode_errors),
		cmocka_unit_test(test_example_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
