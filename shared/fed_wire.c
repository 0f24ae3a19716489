/*
 * fed_wire.c - the federation's peer messages: encode and decode (see
 * fed.h; the wire format is docs/federation.md §4).
 *
 * A frame comes from another node, so it is hostile input, read with the
 * bounded primitives of codec_mp.h: no allocation, no recursion, every
 * length checked against the bytes really there, every error naming the
 * place.  Keys may come in any order and which keys a message has depends
 * on its `t` (and `s`), so a frame is read in two passes:
 *
 *   1. structure: a map whose keys are all known names, none twice, each
 *      value stepped over (nesting at most LD_DEPTH_MAX), nothing after
 *      it; errors name the key whose value is read, or "message";
 *   2. schema: `t`, then `s` for pull and batch, then the key set of that
 *      message (nothing foreign, nothing missing), then each value in the
 *      documented order; errors name "<t>.<key>", "<t>.<key>[<i>]" inside
 *      `have` and `events`.
 *
 * Events stay in the frame: m->ev[i] points at the i-th event's bytes.
 *
 * The writers use the shortest encodings and write keys in the documented
 * order, so decode(encode(x)) == x and encode(decode(f)) is canonical.
 * They refuse (instead of writing) what the decoder would refuse.
 */
#include "fed.h"
#include "codec_mp.h"
#include "proto.h"
#include "utf8.h"

#include <inttypes.h>
#include <string.h>

/* ---- the messages as data ---------------------------------------------- */

/* Every key of every message, in the documented order of each. */
enum fed_key { FK_T, FK_V, FK_NODE, FK_S, FK_HAVE, FK_FROM, FK_TO,
	FK_LEFT, FK_EVENTS, FK_ID, FK_ACTOR, FK_BODY, FK__COUNT };
static const char *const fed_keys[FK__COUNT] = { "t", "v", "node", "s",
	"have", "from", "to", "left", "events", "id", "actor", "body" };
#define K(k) (1u << FK_##k)

/* `t` and `s` values: index + 1 is the enum value. */
static const char *const fed_type_names[] = { "hello", "pull", "batch",
	"ping", "req", "rep" };
static const char *const fed_type_sects[] = { "hello.", "pull.", "batch.",
	"ping.", "req.", "rep." };
static const char *const fed_stream_names[] = { "up", "down" };
static const struct ld_field_def fed_t_def = { .name = "t",
	.type = LD_T_ENUM, .max = 6, .enum_names = fed_type_names };
static const struct ld_field_def fed_s_def = { .name = "s",
	.type = LD_T_ENUM, .max = 2, .enum_names = fed_stream_names };

/* One kind of message: its type, stream (0: none) and keys. */
struct fed_shape {
	enum fed_type type;
	int stream;
	unsigned keys;
	const char *name;
};
static const struct fed_shape fed_shapes[] = {
	{ FED_HELLO, 0, K(T) | K(V) | K(NODE), "hello" },
	{ FED_PULL, FED_UP, K(T) | K(S) | K(HAVE), "pull up" },
	{ FED_PULL, FED_DOWN, K(T) | K(S) | K(FROM), "pull down" },
	{ FED_BATCH, FED_UP, K(T) | K(S) | K(LEFT) | K(EVENTS), "batch up" },
	{ FED_BATCH, FED_DOWN, K(T) | K(S) | K(FROM) | K(TO) | K(LEFT) |
	    K(EVENTS), "batch down" },
	{ FED_PING, 0, K(T), "ping" },
	{ FED_REQ, 0, K(T) | K(ID) | K(ACTOR) | K(BODY), "req" },
	{ FED_REP, 0, K(T) | K(ID) | K(BODY), "rep" },
};

/* The shape of type t on stream s, or NULL. */
static const struct fed_shape *
fed_shape(enum fed_type t, int s)
{
	for (size_t i = 0; i < sizeof(fed_shapes) / sizeof(fed_shapes[0]); i++)
		if (fed_shapes[i].type == t && fed_shapes[i].stream == s)
			return &fed_shapes[i];
	return NULL;
}

/* Does a message of type t have a stream (`s`)? */
static bool
fed_has_stream(enum fed_type t)
{
	return t == FED_PULL || t == FED_BATCH;
}

/* The largest body of a req (a request frame) or a rep (a reply). */
static uint32_t
fed_body_max(enum fed_type t)
{
	return t == FED_REQ ? LD_PROTO_FRAME_MAX : LD_PROTO_REPLY_MAX;
}

/* A node id in a buffer of cap bytes: NUL-terminated and well formed. */
static bool
fed_node_ok(const char *s, size_t cap)
{
	return s != NULL && strnlen(s, cap) < cap && event_node_id_ok(s);
}

/* ---- decoder: structure ------------------------------------------------- */

struct fed_rd {
	struct codec_mp_pctx c;
	unsigned seen;			/* 1u << FK_* */
	size_t at[FK__COUNT];		/* where each key's value starts */
	const char *sect;		/* "batch.", once `t` is known */
};

/* Point error messages at sect + name. */
static void
fed_at(struct fed_rd *d, const char *sect, const char *name)
{
	d->c.sect = sect;
	d->c.name = name;
	d->c.idx = -1;
}

/* The payload bytes after the header of a scalar value v. */
static uint64_t
fed_payload(const struct codec_mp_val *v)
{
	switch (v->type) {
	case CODEC_MP_STR:
	case CODEC_MP_BIN:
		return v->u;
	case CODEC_MP_FLOAT:
		return v->tag == 0xca ? 4 : 8;
	case CODEC_MP_EXT:	/* type byte + data */
		return v->tag >= 0xd4 ? 1 + (1u << (v->tag - 0xd4)) : 1 + v->u;
	default:
		return 0;
	}
}

/* Step over one value of the top map (containers from depth 2), without
 * recursion: a stack of entries left, as deep as the nesting limit. */
static int
fed_skip(struct codec_mp_rd *r)
{
	uint64_t left[LD_DEPTH_MAX];
	struct codec_mp_val v;
	const uint8_t *s = NULL;
	int top = 0, rc;

	left[0] = 1;
	while (top >= 0) {
		if (left[top] == 0) {
			top--;
			continue;
		}
		left[top]--;
		/* a container here lies at depth 2 + top: codec_mp_next
		 * refuses it beyond LD_DEPTH_MAX, so top stays in the stack */
		if ((rc = codec_mp_next(r, &v, 2 + top)) != 0)
			return rc;
		if (v.type == CODEC_MP_ARRAY || v.type == CODEC_MP_MAP) {
			left[++top] = v.type == CODEC_MP_MAP ? 2 * v.u : v.u;
			continue;
		}
		if ((rc = codec_mp_take(r, fed_payload(&v), &s)) != 0)
			return rc;
	}
	return LD_OK;
}

/* The key among fed_keys matching the n bytes at s, or -1. */
static int
fed_key_find(const uint8_t *s, size_t n)
{
	for (int k = 0; k < FK__COUNT; k++)
		if (strlen(fed_keys[k]) == n && memcmp(fed_keys[k], s, n) == 0)
			return k;
	return -1;
}

/* Pass 1: the top map, its keys (known, once each), where each value
 * lies (stepped over), and nothing after the map. */
static int
fed_scan(struct fed_rd *d)
{
	struct codec_mp_rd *r = &d->c.r;
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	size_t n = 0;
	char q[160];
	int rc, k;

	fed_at(d, "", "message");
	if ((rc = codec_mp_next(r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(r, &v, "map");
	for (uint64_t i = 0, count = v.u; i < count; i++) {
		fed_at(d, "", "message");
		if ((rc = codec_mp_read_key(r, 2, &key, &n)) != 0)
			return rc;
		if ((k = fed_key_find(key, n)) < 0)
			return codec_mp_fail(r, LD_EUNKNOWN, "unknown key '%s'",
			    codec_mp_quote(q, sizeof(q), key, n));
		fed_at(d, "", fed_keys[k]);
		if (d->seen >> k & 1u)
			return codec_mp_fail(r, LD_EMALFORMED, "duplicate key");
		d->seen |= 1u << k;
		d->at[k] = r->off;
		if ((rc = fed_skip(r)) != 0)
			return rc;
	}
	if (r->off != r->len)
		return err_set(r->err, LD_EMALFORMED, "message: %zu trailing "
		    "bytes after the message", r->len - r->off);
	return LD_OK;
}

/* ---- decoder: values ---------------------------------------------------- */

/* Read an unsigned integer (any integer encoding, not negative). */
static int
fed_rd_uint(struct fed_rd *d, int depth, uint64_t *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_read_int(&d->c.r, depth, &v)) != 0)
		return rc;
	if (v.type == CODEC_MP_NEG)
		return codec_mp_fail(&d->c.r, LD_ELIMIT, "%" PRId64
		    " is negative", v.i);
	*out = v.u;
	return LD_OK;
}

/* Read `v`: FED_VERSION only. */
static int
fed_rd_version(struct fed_rd *d, uint32_t *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_read_int(&d->c.r, 2, &v)) != 0)
		return rc;
	if (v.type == CODEC_MP_NEG)
		return codec_mp_fail(&d->c.r, LD_EUNKNOWN, "unsupported "
		    "federation version %" PRId64 " (expected %d)", v.i,
		    FED_VERSION);
	if (v.u != FED_VERSION)
		return codec_mp_fail(&d->c.r, LD_EUNKNOWN, "unsupported "
		    "federation version %" PRIu64 " (expected %d)", v.u,
		    FED_VERSION);
	*out = FED_VERSION;
	return LD_OK;
}

/* Read a node id into dst (LD_NODE_MAX + 1 bytes). */
static int
fed_rd_node(struct fed_rd *d, int depth, char *dst)
{
	char q[160];
	size_t n = 0;
	int rc;

	if ((rc = codec_mp_read_str(&d->c.r, depth, LD_NODE_MAX, dst,
	    &n)) != 0)
		return rc;
	if (!event_node_id_ok(dst))
		return codec_mp_fail(&d->c.r, LD_EINVAL, "'%s' is not a node "
		    "id", codec_mp_quote(q, sizeof(q), (const uint8_t *)dst,
		    n));
	return LD_OK;
}

/* Read a binary of min..max bytes; *p points at them inside the frame. */
static int
fed_rd_bin(struct fed_rd *d, int depth, uint32_t min, uint32_t max,
    const uint8_t **p, uint32_t *n)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_next(&d->c.r, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_MP_BIN)
		return codec_mp_want(&d->c.r, &v, "binary");
	if (v.u < min || v.u > max)
		return codec_mp_fail(&d->c.r, LD_ELIMIT, "%" PRIu64 " bytes, "
		    "expected %" PRIu32 "..%" PRIu32, v.u, min, max);
	*n = (uint32_t)v.u;
	return codec_mp_take(&d->c.r, v.u, p);
}

/* Read the header of a container of type want ("map", "array") with at
 * most max entries (what: "origins", "events"); *n its entries. */
static int
fed_rd_count(struct fed_rd *d, enum codec_mp_type want, uint64_t max,
    const char *what, size_t *n)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_next(&d->c.r, &v, 2)) != 0)
		return rc;
	if (v.type != want)
		return codec_mp_want(&d->c.r, &v, want == CODEC_MP_MAP ? "map" :
		    "array");
	if (v.u > max)
		return codec_mp_fail(&d->c.r, LD_ELIMIT, "%" PRIu64 " %s "
		    "exceed limit %" PRIu64, v.u, what, max);
	*n = (size_t)v.u;
	return LD_OK;
}

/* Read `have`: origin -> highest sequence held, each origin once. */
static int
fed_rd_have(struct fed_rd *d, struct fed_msg *m)
{
	size_t n = 0;
	int rc;

	if ((rc = fed_rd_count(d, CODEC_MP_MAP, FED_ORIGINS_MAX, "origins",
	    &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct fed_have *h = &m->have[i];

		d->c.idx = (int)i;
		if ((rc = fed_rd_node(d, 3, h->origin)) != 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->have[j].origin, h->origin) == 0)
				return codec_mp_fail(&d->c.r, LD_EMALFORMED,
				    "duplicate origin '%s'", h->origin);
		if ((rc = fed_rd_uint(d, 3, &h->seq)) != 0)
			return rc;
	}
	m->n_have = n;
	return LD_OK;
}

/* Read `events`: bins of 1..LD_FRAME_MAX bytes, FED_BATCH_BYTES in all,
 * left in the frame. */
static int
fed_rd_events(struct fed_rd *d, struct fed_msg *m)
{
	size_t n = 0, total = 0;
	int rc;

	if ((rc = fed_rd_count(d, CODEC_MP_ARRAY, FED_BATCH_MAX, "events",
	    &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		d->c.idx = (int)i;
		if ((rc = fed_rd_bin(d, 3, 1, LD_FRAME_MAX, &m->ev[i],
		    &m->ev_len[i])) != 0)
			return rc;
		total += m->ev_len[i];
		if (total > FED_BATCH_BYTES)
			return codec_mp_fail(&d->c.r, LD_ELIMIT, "%zu bytes of "
			    "events in all exceed limit %u", total,
			    FED_BATCH_BYTES);
	}
	m->n_ev = n;
	return LD_OK;
}

/* Read the value of key k (at d->at[k]) into m. */
static int
fed_rd_value(struct fed_rd *d, struct fed_msg *m, int k)
{
	uint32_t n = 0;
	int rc;

	d->c.r.off = d->at[k];
	fed_at(d, d->sect, fed_keys[k]);
	switch (k) {
	case FK_V: return fed_rd_version(d, &m->v);
	case FK_NODE: return fed_rd_node(d, 2, m->node);
	case FK_HAVE: return fed_rd_have(d, m);
	case FK_FROM: return fed_rd_uint(d, 2, &m->from);
	case FK_TO: return fed_rd_uint(d, 2, &m->to);
	case FK_LEFT: return fed_rd_uint(d, 2, &m->left);
	case FK_EVENTS: return fed_rd_events(d, m);
	case FK_ID: return fed_rd_uint(d, 2, &m->id);
	case FK_ACTOR:
		return codec_mp_read_str(&d->c.r, 2, LD_ACTOR_MAX, m->actor,
		    NULL);
	case FK_BODY:
		rc = fed_rd_bin(d, 2, 0, fed_body_max(m->type), &m->body, &n);
		m->body_len = n;
		return rc;
	default:	/* `t` and `s`: read by fed_rd_shape */
		return LD_OK;
	}
}

/* Read `t` (and `s` where it belongs) and find the message's shape. */
static int
fed_rd_shape(struct fed_rd *d, struct fed_msg *m,
    const struct fed_shape **shape)
{
	uint32_t u = 0;
	int rc;

	if (!(d->seen & K(T)))
		return err_set(d->c.r.err, LD_EMISSING, "t: missing");
	d->c.r.off = d->at[FK_T];
	fed_at(d, "", "t");
	if ((rc = codec_mp_read_enum(&d->c.r, 2, &fed_t_def, &u)) != 0)
		return rc;
	m->type = (enum fed_type)u;
	d->sect = fed_type_sects[u - 1];
	if (fed_has_stream(m->type)) {
		if (!(d->seen & K(S)))
			return err_set(d->c.r.err, LD_EMISSING, "%ss: missing",
			    d->sect);
		d->c.r.off = d->at[FK_S];
		fed_at(d, d->sect, "s");
		if ((rc = codec_mp_read_enum(&d->c.r, 2, &fed_s_def, &u)) != 0)
			return rc;
		m->stream = (enum fed_stream)u;
	}
	*shape = fed_shape(m->type, (int)m->stream);
	return LD_OK;
}

/* The keys present are exactly those of the shape. */
static int
fed_check_keys(struct fed_rd *d, const struct fed_shape *shape)
{
	unsigned extra = d->seen & ~shape->keys;
	unsigned missing = shape->keys & ~d->seen;

	if (extra != 0)
		return err_set(d->c.r.err, LD_EUNKNOWN, "%s%s: not a key of %s",
		    d->sect, fed_keys[__builtin_ctz(extra)], shape->name);
	if (missing != 0)
		return err_set(d->c.r.err, LD_EMISSING, "%s%s: missing "
		    "(required by %s)", d->sect,
		    fed_keys[__builtin_ctz(missing)], shape->name);
	return LD_OK;
}

/*
 * Decode one frame (see fed.h).  *m is cleared first; on error its
 * contents are unspecified and err names the place.  Errors come in a
 * fixed order: structure and trailing bytes, `t`, `s`, the key set, the
 * values in the documented key order, then `to` >= `from`.
 */
int
fed_decode(const uint8_t *buf, size_t len, struct fed_msg *m,
    struct ld_err *err)
{
	struct fed_rd d = { .c = { .r = { .p = buf, .len = len, .err = err,
		.path = codec_mp_pctx_path }, .sect = "", .idx = -1 },
		.sect = "" };
	const struct fed_shape *shape = NULL;
	int rc;

	if (m == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no message or no buffer");
	memset(m, 0, sizeof(*m));
	if (len > FED_FRAME_MAX)
		return err_set(err, LD_ELIMIT, "message: frame of %zu bytes "
		    "exceeds limit %u", len, FED_FRAME_MAX);
	if ((rc = fed_scan(&d)) != 0 ||
	    (rc = fed_rd_shape(&d, m, &shape)) != 0 ||
	    (rc = fed_check_keys(&d, shape)) != 0)
		return rc;
	for (int k = 0; k < FK__COUNT; k++)
		if ((d.seen >> k & 1u) && (rc = fed_rd_value(&d, m, k)) != 0)
			return rc;
	if (shape->keys & K(TO) && m->to < m->from)
		return err_set(err, LD_EINVAL, "%sto: %" PRIu64 " is before "
		    "from %" PRIu64, d.sect, m->to, m->from);
	return LD_OK;
}

/* ---- writers ------------------------------------------------------------ */

/* A writer over buf (which may be NULL: then it only counts). */
static struct codec_mp_wr
fed_wr(uint8_t *buf, size_t cap)
{
	return (struct codec_mp_wr){ .p = buf, .cap = buf != NULL ? cap : 0 };
}

/* Append a NUL-terminated string. */
static void
fed_put_str(struct codec_mp_wr *w, const char *s)
{
	codec_mp_put_str(w, s, strlen(s));
}

/* Append the n bytes at p as a binary with its shortest header. */
static void
fed_put_bin(struct codec_mp_wr *w, const uint8_t *p, size_t n)
{
	if (n <= 0xff)
		codec_mp_put_hdr(w, 0xc4, n, 1);
	else if (n <= 0xffff)
		codec_mp_put_hdr(w, 0xc5, n, 2);
	else
		codec_mp_put_hdr(w, 0xc6, n, 4);
	if (n > 0)
		codec_mp_put(w, p, n);
}

/* Append the map header of a message of type t with entries keys, and
 * its `t`. */
static void
fed_put_head(struct codec_mp_wr *w, size_t entries, enum fed_type t)
{
	codec_mp_put_map(w, entries);
	fed_put_str(w, "t");
	fed_put_str(w, fed_type_names[t - 1]);
}

/* Append `s` of stream s. */
static void
fed_put_stream(struct codec_mp_wr *w, enum fed_stream s)
{
	fed_put_str(w, "s");
	fed_put_str(w, fed_stream_names[s - 1]);
}

/* Append key and unsigned value. */
static void
fed_put_uint(struct codec_mp_wr *w, const char *key, uint64_t v)
{
	fed_put_str(w, key);
	codec_mp_put_uint(w, v);
}

/* The frame's length, or LD_ELIMIT when it did not fit in the buffer or
 * would exceed FED_FRAME_MAX. */
static int
fed_done(const struct codec_mp_wr *w)
{
	if (w->off > w->cap || w->off > FED_FRAME_MAX)
		return LD_ELIMIT;
	return (int)w->off;
}

int
fed_encode_hello(uint8_t *buf, size_t cap, const char *node)
{
	struct codec_mp_wr w = fed_wr(buf, cap);

	if (!fed_node_ok(node, LD_NODE_MAX + 1))
		return LD_EINVAL;
	fed_put_head(&w, 3, FED_HELLO);
	fed_put_uint(&w, "v", FED_VERSION);
	fed_put_str(&w, "node");
	fed_put_str(&w, node);
	return fed_done(&w);
}

int
fed_encode_ping(uint8_t *buf, size_t cap)
{
	struct codec_mp_wr w = fed_wr(buf, cap);

	fed_put_head(&w, 1, FED_PING);
	return fed_done(&w);
}

/* Is have[0..n) what the decoder takes: good origins, each once? */
static bool
fed_have_ok(const struct fed_have *have, size_t n)
{
	if (n > 0 && have == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!fed_node_ok(have[i].origin, sizeof(have[i].origin)))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(have[j].origin, have[i].origin) == 0)
				return false;
	}
	return true;
}

int
fed_encode_pull_up(uint8_t *buf, size_t cap, const struct fed_have *have,
    size_t n_have)
{
	struct codec_mp_wr w = fed_wr(buf, cap);

	if (n_have > FED_ORIGINS_MAX)
		return LD_ELIMIT;
	if (!fed_have_ok(have, n_have))
		return LD_EINVAL;
	fed_put_head(&w, 3, FED_PULL);
	fed_put_stream(&w, FED_UP);
	fed_put_str(&w, "have");
	codec_mp_put_map(&w, n_have);
	for (size_t i = 0; i < n_have; i++) {
		fed_put_str(&w, have[i].origin);
		codec_mp_put_uint(&w, have[i].seq);
	}
	return fed_done(&w);
}

int
fed_encode_pull_down(uint8_t *buf, size_t cap, uint64_t from)
{
	struct codec_mp_wr w = fed_wr(buf, cap);

	fed_put_head(&w, 3, FED_PULL);
	fed_put_stream(&w, FED_DOWN);
	fed_put_uint(&w, "from", from);
	return fed_done(&w);
}

/*
 * Start a batch of n_ev events, after which the sender still holds left
 * events for the receiver.  A batch the decoder would refuse (more than
 * FED_BATCH_MAX events, an unknown stream, to < from on the down stream)
 * is marked over: fed_batch_end then gives LD_ELIMIT.
 */
void
fed_batch_begin(struct fed_batch_wr *w, uint8_t *buf, size_t cap,
    enum fed_stream s, uint64_t from, uint64_t to, uint64_t left,
    size_t n_ev)
{
	struct codec_mp_wr m = fed_wr(buf, cap);
	bool down = s == FED_DOWN;

	*w = (struct fed_batch_wr){ .buf = buf, .cap = m.cap,
		.over = n_ev > FED_BATCH_MAX || (s != FED_UP && !down) ||
		    (down && to < from) };
	if (s != FED_UP && !down)
		return;
	fed_put_head(&m, down ? 6 : 4, FED_BATCH);
	fed_put_stream(&m, s);
	if (down) {
		fed_put_uint(&m, "from", from);
		fed_put_uint(&m, "to", to);
	}
	fed_put_uint(&m, "left", left);
	fed_put_str(&m, "events");
	codec_mp_put_array(&m, n_ev);
	w->off = m.off;
}

/* Append one event's encoded bytes (1..LD_FRAME_MAX of them, else the
 * batch is over). */
void
fed_batch_event(struct fed_batch_wr *w, const uint8_t *ev, size_t len)
{
	struct codec_mp_wr m = { .p = w->buf, .cap = w->cap, .off = w->off };

	if (ev == NULL || len < 1 || len > LD_FRAME_MAX)
		w->over = true;
	else
		fed_put_bin(&m, ev, len);
	w->off = m.off;
}

int
fed_batch_end(struct fed_batch_wr *w)
{
	struct codec_mp_wr m = { .p = w->buf, .cap = w->cap, .off = w->off };

	return w->over ? LD_ELIMIT : fed_done(&m);
}

/* Can body[0..len) be the body of a message of type t? */
static int
fed_body_check(enum fed_type t, const uint8_t *body, size_t len)
{
	if (len > fed_body_max(t))
		return LD_ELIMIT;
	return len > 0 && body == NULL ? LD_EINVAL : LD_OK;
}

int
fed_encode_req(uint8_t *buf, size_t cap, uint64_t id, const char *actor,
    const uint8_t *body, size_t body_len)
{
	struct codec_mp_wr w = fed_wr(buf, cap);
	size_t n;
	int rc;

	if (actor == NULL)
		return LD_EINVAL;
	if ((n = strnlen(actor, LD_ACTOR_MAX + 1)) > LD_ACTOR_MAX)
		return LD_ELIMIT;
	if (!utf8_valid(actor, n, NULL))
		return LD_EINVAL;
	if ((rc = fed_body_check(FED_REQ, body, body_len)) != 0)
		return rc;
	fed_put_head(&w, 4, FED_REQ);
	fed_put_uint(&w, "id", id);
	fed_put_str(&w, "actor");
	codec_mp_put_str(&w, actor, n);
	fed_put_str(&w, "body");
	fed_put_bin(&w, body, body_len);
	return fed_done(&w);
}

int
fed_encode_rep(uint8_t *buf, size_t cap, uint64_t id, const uint8_t *body,
    size_t body_len)
{
	struct codec_mp_wr w = fed_wr(buf, cap);
	int rc;

	if ((rc = fed_body_check(FED_REP, body, body_len)) != 0)
		return rc;
	fed_put_head(&w, 3, FED_REP);
	fed_put_uint(&w, "id", id);
	fed_put_str(&w, "body");
	fed_put_bin(&w, body, body_len);
	return fed_done(&w);
}
