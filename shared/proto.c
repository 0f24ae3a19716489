/*
 * proto.c - the client protocol's decoders: requests and replies (see
 * proto.h and docs/protocol.md; the op table, the argument checks, the
 * request encoder and the reply writer are in proto_ops.c).
 *
 * Built on the bounded primitives of codec_mp.h: no allocation, no
 * recursion, every length checked against the bytes really there, every
 * error naming the place ("args.phone: ...").  Keys may come in any order,
 * so a request is read in two passes over one buffer: the envelope first
 * (the args map is only stepped over, structurally), then, with the op
 * known, the args against the op's schema.  So the id is known for every
 * error but a malformed envelope, and errors come in a fixed order:
 * envelope structure, trailing bytes, missing envelope keys, "v", "op",
 * the arguments as they come, missing arguments.
 */
#include "proto.h"
#include "codec_mp.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/*
 * Shared by proto.c and proto_ops.c only (not part of proto.h): the query
 * arguments' names, buffers and checks, and the whole-request rules, all
 * in proto_ops.c beside the op table.
 */
const char *proto_q_name(int q);
int proto_q_from_name(const uint8_t *s, size_t n);
char *proto_q_buf(struct ld_request *req, int q);
size_t proto_q_cap(int q);
int proto_q_check(struct codec_mp_rd *r, const struct ld_request *req,
    int q);
int proto_req_rules(const struct ld_request *req, struct ld_err *err);

#define PROTO_REPLY_DEPTH_MAX 8	/* reply > result > ... (docs §4) */
#define PROTO_SKIP_STACK 12
_Static_assert(LD_DEPTH_MAX < PROTO_SKIP_STACK &&
    PROTO_REPLY_DEPTH_MAX < PROTO_SKIP_STACK, "skip stack too small");

/* Point c's path at sect + name. */
static void
proto_at(struct codec_mp_pctx *c, const char *sect, const char *name)
{
	c->sect = sect;
	c->name = name;
	c->idx = -1;
}

/*
 * Step over one value whose containers would lie at nesting depth and
 * deeper, without recursion (a stack of counts).  Containers deeper than
 * max_depth are LD_ELIMIT, a count larger than the bytes left is
 * truncation.  strict (replies): map keys must be strings, strings valid
 * UTF-8, and nil is the only non-data value allowed (no float, binary or
 * extension); otherwise every msgpack value is stepped over, for the
 * schema pass to judge.
 */
static int
proto_skip(struct codec_mp_pctx *c, int depth, int max_depth, bool strict)
{
	uint64_t left[PROTO_SKIP_STACK];
	bool is_map[PROTO_SKIP_STACK];
	struct codec_mp_val v;
	const uint8_t *s = NULL;
	uint64_t n;
	size_t bad;
	int top = 0, rc;
	bool key;

	left[0] = 1;
	is_map[0] = false;
	while (top >= 0) {
		if (left[top] == 0) {
			top--;
			continue;
		}
		key = is_map[top] && left[top] % 2 == 0;
		left[top]--;
		if ((rc = codec_mp_next(&c->r, &v, 1)) != 0)
			return rc;
		if (strict && key && v.type != CODEC_MP_STR)
			return codec_mp_fail(&c->r, LD_ETYPE, "key must be a "
			    "string");
		n = 0;
		switch (v.type) {
		case CODEC_MP_STR:
			if ((rc = codec_mp_take(&c->r, v.u, &s)) != 0)
				return rc;
			if (strict && !utf8_valid((const char *)s, v.u, &bad))
				return codec_mp_utf8_fail(&c->r,
				    (const char *)s, bad);
			continue;
		case CODEC_MP_FLOAT:
			n = v.tag == 0xca ? 4 : 8;
			break;
		case CODEC_MP_BIN:
			n = v.u;
			break;
		case CODEC_MP_EXT:	/* type byte + data */
			n = v.tag >= 0xd4 ? 1 + (1u << (v.tag - 0xd4)) :
			    1 + v.u;
			break;
		case CODEC_MP_ARRAY:
		case CODEC_MP_MAP:
			if (depth + top > max_depth)
				return codec_mp_fail(&c->r, LD_ELIMIT, "nesting "
				    "depth %d exceeds limit %d", depth + top,
				    max_depth);
			n = v.type == CODEC_MP_MAP ? 2 * v.u : v.u;
			if (n > c->r.len - c->r.off)
				return codec_mp_fail(&c->r, LD_EMALFORMED,
				    "truncated at byte %zu", c->r.off);
			top++;
			left[top] = n;
			is_map[top] = v.type == CODEC_MP_MAP;
			continue;
		default:	/* nil, bool, integers: the header is all */
			continue;
		}
		if (strict)
			return codec_mp_want(&c->r, &v, "a string, integer, "
			    "boolean, nil, array or map");
		if ((rc = codec_mp_take(&c->r, n, &s)) != 0)
			return rc;
	}
	return LD_OK;
}

/* ---- values ------------------------------------------------------------ */

/* Read an unsigned integer in min..max into *out. */
static int
proto_rd_uint(struct codec_mp_pctx *c, uint32_t min, uint32_t max,
    uint32_t *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_read_int(&c->r, 3, &v)) != 0)
		return rc;
	if (v.type == CODEC_MP_NEG)
		return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64 " out of "
		    "range %" PRIu32 "..%" PRIu32, v.i, min, max);
	if (v.u < min || v.u > max)
		return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu64 " out of "
		    "range %" PRIu32 "..%" PRIu32, v.u, min, max);
	*out = (uint32_t)v.u;
	return LD_OK;
}

/* Read a boolean into *out. */
static int
proto_rd_bool(struct codec_mp_pctx *c, bool *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_next(&c->r, &v, 3)) != 0)
		return rc;
	if (v.type != CODEC_MP_BOOL)
		return codec_mp_want(&c->r, &v, "boolean");
	*out = v.u != 0;
	return LD_OK;
}

/* Read query argument q into req and check it (proto_q_check). */
static int
proto_rd_q(struct codec_mp_pctx *c, struct ld_request *req, int q)
{
	int rc;

	switch (q) {
	case LD_Q_OVERDUE:
		rc = proto_rd_bool(c, &req->overdue);
		break;
	case LD_Q_LIMIT:
		rc = proto_rd_uint(c, 1, LD_PROTO_LIMIT_MAX, &req->limit);
		break;
	default:
		rc = codec_mp_read_str(&c->r, 3, (uint32_t)proto_q_cap(q) - 1,
		    proto_q_buf(req, q), NULL);
		break;
	}
	return rc != 0 ? rc : proto_q_check(&c->r, req, q);
}

/* ---- requests ---------------------------------------------------------- */

/* Read the args map (at c's offset) against req->op's schema. */
static int
proto_rd_args(struct codec_mp_pctx *c, struct ld_request *req)
{
	const struct ld_op_def *o = &proto_ops[req->op];
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	char q[160];
	size_t n = 0;
	int rc, f, qa;

	proto_at(c, "", "args");
	if ((rc = codec_mp_next(&c->r, &v, 2)) != 0)
		return rc;
	for (uint64_t i = 0; i < v.u; i++) {
		proto_at(c, "", "args");
		if ((rc = codec_mp_read_key(&c->r, 3, &key, &n)) != 0)
			return rc;
		f = event_field_from_name((const char *)key, n);
		qa = f < 0 ? proto_q_from_name(key, n) : -1;
		if ((f >= 0 && !((o->required | o->optional) >> f & 1u)) ||
		    (qa >= 0 && !((o->q_required | o->q_optional) >> qa & 1u)) ||
		    (f < 0 && qa < 0)) {
			proto_at(c, "args.", codec_mp_quote(q, sizeof(q), key, n));
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unknown "
			    "argument of '%s'", o->name);
		}
		if (f >= 0) {
			proto_at(c, "args.", event_fields[f].name);
			if (req->args.present >> f & 1u)
				return codec_mp_fail(&c->r, LD_EMALFORMED,
				    "duplicate key");
			if ((rc = codec_event_read_field(c, &req->args, f)) != 0)
				return rc;
			req->args.present |= 1u << f;
		} else {
			proto_at(c, "args.", proto_q_name(qa));
			if (req->q_present >> qa & 1u)
				return codec_mp_fail(&c->r, LD_EMALFORMED,
				    "duplicate key");
			if ((rc = proto_rd_q(c, req, qa)) != 0)
				return rc;
			req->q_present |= 1u << qa;
		}
	}
	return proto_req_rules(req, c->r.err);
}

/* The envelope keys of a request. */
enum { PROTO_K_V, PROTO_K_ID, PROTO_K_OP, PROTO_K_ARGS, PROTO_K__COUNT };
static const char *const proto_req_keys[PROTO_K__COUNT] = { "v", "id", "op",
	"args" };

/* The key among names[0..count) matching the n bytes at s, or -1. */
static int
proto_key(const char *const *names, int count, const uint8_t *s, size_t n)
{
	for (int k = 0; k < count; k++)
		if (strlen(names[k]) == n && memcmp(names[k], s, n) == 0)
			return k;
	return -1;
}

/*
 * Decode a request frame (see proto.h and docs/protocol.md §3).  *req is
 * cleared first; req->id is set as soon as it is read; on error the rest
 * of *req is unspecified and err names the place.
 */
int
proto_request_decode(const uint8_t *buf, size_t len, struct ld_request *req,
    struct ld_err *err)
{
	struct codec_mp_pctx c = { .r = { .p = buf, .len = len, .err = err,
		.path = codec_mp_pctx_path }, .sect = "", .idx = -1 };
	struct codec_mp_val v, ver = { .type = CODEC_MP_UINT };
	const uint8_t *key = NULL, *op = NULL;
	size_t n = 0, op_len = 0, args_at = 0;
	unsigned seen = 0;
	char q[160];
	int rc, k;

	if (req == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no request or no buffer");
	memset(req, 0, sizeof(*req));
	if (len > LD_PROTO_FRAME_MAX)
		return err_set(err, LD_ELIMIT, "request: frame of %zu bytes "
		    "exceeds limit %d", len, LD_PROTO_FRAME_MAX);
	proto_at(&c, "", "request");
	if ((rc = codec_mp_next(&c.r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c.r, &v, "map");
	for (uint64_t i = 0, count = v.u; i < count; i++) {
		proto_at(&c, "", "request");
		if ((rc = codec_mp_read_key(&c.r, 2, &key, &n)) != 0)
			return rc;
		if ((k = proto_key(proto_req_keys, PROTO_K__COUNT, key, n)) < 0)
			return codec_mp_fail(&c.r, LD_EUNKNOWN, "unknown key "
			    "'%s'", codec_mp_quote(q, sizeof(q), key, n));
		proto_at(&c, "", proto_req_keys[k]);
		if (seen & (1u << k))
			return codec_mp_fail(&c.r, LD_EMALFORMED,
			    "duplicate key");
		seen |= 1u << k;
		switch (k) {
		case PROTO_K_V:
			rc = codec_mp_read_int(&c.r, 2, &ver);
			break;
		case PROTO_K_ID:
			if ((rc = codec_mp_read_int(&c.r, 2, &v)) != 0)
				return rc;
			if (v.type == CODEC_MP_NEG)
				return codec_mp_fail(&c.r, LD_ELIMIT, "%"
				    PRId64 " is negative", v.i);
			req->id = v.u;
			break;
		case PROTO_K_OP:
			if ((rc = codec_mp_next(&c.r, &v, 2)) != 0)
				return rc;
			if (v.type != CODEC_MP_STR)
				return codec_mp_want(&c.r, &v, "string");
			op_len = (size_t)v.u;
			rc = codec_mp_take(&c.r, v.u, &op);
			break;
		default:
			args_at = c.r.off;
			if ((rc = codec_mp_next(&c.r, &v, 2)) != 0)
				return rc;
			if (v.type != CODEC_MP_MAP)
				return codec_mp_want(&c.r, &v, "map");
			c.r.off = args_at;
			rc = proto_skip(&c, 2, LD_DEPTH_MAX, false);
			break;
		}
		if (rc != 0)
			return rc;
	}
	if (c.r.off != len)
		return err_set(err, LD_EMALFORMED, "request: %zu trailing bytes "
		    "after the request", len - c.r.off);
	for (k = 0; k < PROTO_K__COUNT; k++)
		if (!(seen & (1u << k)))
			return err_set(err, LD_EMISSING, "%s: missing",
			    proto_req_keys[k]);
	if (ver.type != CODEC_MP_UINT || ver.u != LD_PROTO_VERSION) {
		if (ver.type == CODEC_MP_NEG)
			return err_set(err, LD_EUNKNOWN, "v: unsupported "
			    "protocol version %" PRId64 " (expected %d)", ver.i,
			    LD_PROTO_VERSION);
		return err_set(err, LD_EUNKNOWN, "v: unsupported protocol "
		    "version %" PRIu64 " (expected %d)", ver.u,
		    LD_PROTO_VERSION);
	}
	req->op = proto_op_from_name((const char *)op, op_len);
	if (req->op == LD_OP_NONE)
		return err_set(err, LD_EUNKNOWN, "op: unknown operation '%s'",
		    codec_mp_quote(q, sizeof(q), op, op_len));
	c.r.off = args_at;
	return proto_rd_args(&c, req);
}

/* ---- replies ----------------------------------------------------------- */

/* Read the error map of a reply into r. */
static int
proto_rd_error(struct codec_mp_pctx *c, struct ld_reply *r)
{
	static const char *const keys[] = { "code", "num", "message" };
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	unsigned seen = 0;
	char q[160];
	size_t n = 0;
	int rc, k;

	if ((rc = codec_mp_next(&c->r, &v, 2)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c->r, &v, "map");
	for (uint64_t i = 0, count = v.u; i < count; i++) {
		proto_at(c, "", "error");
		if ((rc = codec_mp_read_key(&c->r, 3, &key, &n)) != 0)
			return rc;
		if ((k = proto_key(keys, 3, key, n)) < 0)
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unknown key "
			    "'%s'", codec_mp_quote(q, sizeof(q), key, n));
		proto_at(c, "error.", keys[k]);
		if (seen & (1u << k))
			return codec_mp_fail(&c->r, LD_EMALFORMED,
			    "duplicate key");
		seen |= 1u << k;
		if (k == 0)
			rc = codec_mp_read_str(&c->r, 3, sizeof(r->code) - 1,
			    r->code, NULL);
		else if (k == 2)
			rc = codec_mp_read_str(&c->r, 3, sizeof(r->message) - 1,
			    r->message, NULL);
		else if ((rc = codec_mp_read_int(&c->r, 3, &v)) == 0) {
			if ((v.type == CODEC_MP_NEG && v.i < INT32_MIN) ||
			    (v.type == CODEC_MP_UINT && v.u > INT32_MAX))
				return codec_mp_fail(&c->r, LD_ELIMIT, "out of "
				    "range of a 32-bit int");
			r->num = v.type == CODEC_MP_NEG ? (int)v.i : (int)v.u;
		}
		if (rc != 0)
			return rc;
	}
	for (k = 0; k < 3; k++)
		if (!(seen & (1u << k)))
			return err_set(c->r.err, LD_EMISSING, "error.%s: missing",
			    keys[k]);
	return LD_OK;
}

/*
 * Decode a reply (see proto.h, docs/protocol.md §4).  *r is cleared
 * first; r->id is set as soon as it is read.  The result map is checked
 * structurally (msgpack, UTF-8 strings and keys, nesting at most
 * PROTO_REPLY_DEPTH_MAX, no float, binary or extension) and left in place.
 */
int
proto_reply_decode(const uint8_t *buf, size_t len, struct ld_reply *r,
    struct ld_err *err)
{
	static const char *const keys[] = { "v", "id", "ok", "result",
		"error" };
	struct codec_mp_pctx c = { .r = { .p = buf, .len = len, .err = err,
		.path = codec_mp_pctx_path }, .sect = "", .idx = -1 };
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	unsigned seen = 0;
	size_t n = 0, at;
	char q[160];
	int rc, k;

	if (r == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no reply or no buffer");
	memset(r, 0, sizeof(*r));
	if (len > LD_PROTO_REPLY_MAX)
		return err_set(err, LD_ELIMIT, "reply: frame of %zu bytes "
		    "exceeds limit %d", len, LD_PROTO_REPLY_MAX);
	proto_at(&c, "", "reply");
	if ((rc = codec_mp_next(&c.r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c.r, &v, "map");
	for (uint64_t i = 0, count = v.u; i < count; i++) {
		proto_at(&c, "", "reply");
		if ((rc = codec_mp_read_key(&c.r, 2, &key, &n)) != 0)
			return rc;
		if ((k = proto_key(keys, 5, key, n)) < 0)
			return codec_mp_fail(&c.r, LD_EUNKNOWN, "unknown key "
			    "'%s'", codec_mp_quote(q, sizeof(q), key, n));
		proto_at(&c, "", keys[k]);
		if (seen & (1u << k))
			return codec_mp_fail(&c.r, LD_EMALFORMED,
			    "duplicate key");
		seen |= 1u << k;
		at = c.r.off;
		if (k <= 1 && (rc = codec_mp_read_int(&c.r, 2, &v)) == 0 &&
		    v.type == CODEC_MP_NEG)
			return codec_mp_fail(&c.r, LD_ELIMIT, "%" PRId64
			    " is negative", v.i);
		if (rc != 0)
			return rc;
		if (k == 0 && v.u != LD_PROTO_VERSION)
			return codec_mp_fail(&c.r, LD_EUNKNOWN, "unsupported "
			    "protocol version %" PRIu64 " (expected %d)", v.u,
			    LD_PROTO_VERSION);
		if (k == 1)
			r->id = v.u;
		if (k == 2 && (rc = proto_rd_bool(&c, &r->ok)) != 0)
			return rc;
		if (k == 3) {
			if ((rc = codec_mp_next(&c.r, &v, 2)) != 0)
				return rc;
			if (v.type != CODEC_MP_MAP)
				return codec_mp_want(&c.r, &v, "map");
			c.r.off = at;
			if ((rc = proto_skip(&c, 2, PROTO_REPLY_DEPTH_MAX,
			    true)) != 0)
				return rc;
			r->result = buf + at;
			r->result_len = c.r.off - at;
		}
		if (k == 4 && (rc = proto_rd_error(&c, r)) != 0)
			return rc;
	}
	if (c.r.off != len)
		return err_set(err, LD_EMALFORMED, "reply: %zu trailing bytes "
		    "after the reply", len - c.r.off);
	for (k = 0; k < 3; k++)
		if (!(seen & (1u << k)))
			return err_set(err, LD_EMISSING, "%s: missing", keys[k]);
	k = r->ok ? 3 : 4;
	if (!(seen & (1u << k)))
		return err_set(err, LD_EMISSING, "%s: missing (ok is %s)",
		    keys[k], r->ok ? "true" : "false");
	if (seen & (1u << (7 - k)))
		return err_set(err, LD_EUNKNOWN, "%s: not allowed (ok is %s)",
		    keys[7 - k], r->ok ? "true" : "false");
	return LD_OK;
}
