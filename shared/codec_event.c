/*
 * codec_event.c - msgpack encoding of events (see codec.h and
 * docs/events.md; ticket views are in codec_view.c).
 *
 * Both directions work on raw bytes with a small writer and a small
 * bounded reader of our own (the msgpack format is simple), so there is
 * no allocation at all, no recursion, and every length is checked against
 * the bytes that are really there before it is used.  Nothing is ever
 * skipped: every value is read as the schema expects it, so the reader
 * never walks into structures it has no use for.
 */
#include "codec.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- writer ------------------------------------------------------------ */

/* Output buffer.  off counts every byte asked for, written or not, so an
 * overflow is noticed once, at the end, with the size that was needed. */
struct codec_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
};

static inline void
codec_put(struct codec_wr *w, const void *src, size_t n)
{
	if (n <= w->cap && w->off <= w->cap - n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

/* tag followed by the low nb bytes of v, big-endian */
static inline void
codec_put_hdr(struct codec_wr *w, uint8_t tag, uint64_t v, int nb)
{
	uint8_t b[9];

	b[0] = tag;
	for (int i = 0; i < nb; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (nb - 1 - i)));
	codec_put(w, b, 1 + (size_t)nb);
}

/* The tags of the shortest encodings, which the encoder always uses. */
static inline unsigned
codec_uint_tag(uint64_t v)
{
	if (v < 0x80)
		return (unsigned)v;
	if (v <= 0xff)
		return 0xcc;
	if (v <= 0xffff)
		return 0xcd;
	if (v <= 0xffffffff)
		return 0xce;
	return 0xcf;
}

static inline unsigned
codec_str_tag(uint64_t n)
{
	if (n < 32)
		return 0xa0 | (unsigned)n;
	return n <= 0xff ? 0xd9 : n <= 0xffff ? 0xda : 0xdb;
}

static inline unsigned
codec_array_tag(uint64_t n)
{
	if (n < 16)
		return 0x90 | (unsigned)n;
	return n <= 0xffff ? 0xdc : 0xdd;
}

static inline int
codec_tag_extra(unsigned tag)
{
	switch (tag) {
	case 0xcc: case 0xd9: return 1;
	case 0xcd: case 0xda: case 0xdc: case 0xde: return 2;
	case 0xce: case 0xdb: case 0xdd: case 0xdf: return 4;
	case 0xcf: return 8;
	default: return 0;
	}
}

static void
codec_put_uint(struct codec_wr *w, uint64_t v)
{
	unsigned tag = codec_uint_tag(v);

	codec_put_hdr(w, (uint8_t)tag, v, codec_tag_extra(tag));
}

static void
codec_put_str(struct codec_wr *w, const char *s, size_t n)
{
	unsigned tag = codec_str_tag(n);

	codec_put_hdr(w, (uint8_t)tag, n, codec_tag_extra(tag));
	codec_put(w, s, n);
}

static void
codec_put_array(struct codec_wr *w, size_t n)
{
	unsigned tag = codec_array_tag(n);

	codec_put_hdr(w, (uint8_t)tag, n, codec_tag_extra(tag));
}

static void
codec_put_map(struct codec_wr *w, size_t n)
{
	/* maps here never reach 16 entries, but stay general */
	if (n < 16)
		codec_put_hdr(w, (uint8_t)(0x80 | n), 0, 0);
	else
		codec_put_hdr(w, n <= 0xffff ? 0xde : 0xdf, n,
		    n <= 0xffff ? 2 : 4);
}

/* ---- reader ------------------------------------------------------------ */

enum codec_mt { CODEC_NIL, CODEC_BOOL, CODEC_UINT, CODEC_NEG, CODEC_FLOAT,
		CODEC_STR, CODEC_BIN, CODEC_ARRAY, CODEC_MAP, CODEC_EXT };

static const char *const codec_mt_names[] = { "nil", "boolean", "integer",
	"integer", "float", "string", "binary", "array", "map", "extension" };

/* The header of one value. */
struct codec_val {
	enum codec_mt type;
	unsigned tag;	/* first byte */
	uint64_t u;	/* UINT value; BOOL 0/1; STR/BIN/EXT bytes; ARRAY/MAP n */
	int64_t i;	/* NEG value (< 0) */
};

/* Input and where we are, plus the path of the value being read, kept as
 * pointers and only formatted into a message when something is wrong:
 * "<sect><name>[<idx>]: message". */
struct codec_ctx {
	const uint8_t *p;
	size_t len;
	size_t off;
	struct ld_err *err;
	const char *sect;	/* "" or "body." */
	const char *name;	/* NULL: no path */
	int idx;		/* array element, -1 for none */
};

static int codec_fail(struct codec_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set err to code and "<path>: <formatted>"; return code. */
static int
codec_fail(struct codec_ctx *c, int code, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX], ix[16] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->name == NULL)
		return err_set(c->err, code, "%s", msg);
	if (c->idx >= 0)
		snprintf(ix, sizeof(ix), "[%d]", c->idx);
	return err_set(c->err, code, "%s%s%s: %s", c->sect, c->name, ix, msg);
}

static int
codec_trunc(struct codec_ctx *c, size_t at)
{
	return codec_fail(c, LD_EMALFORMED, "truncated at byte %zu", at);
}

/* Quote hostile bytes for a message: printable ASCII as is, the rest as
 * \xNN, at most 32 input bytes then "...". */
static const char *
codec_quote(char *out, size_t cap, const uint8_t *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		if (i == 32) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' && s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
	}
	out[o] = '\0';
	return out;
}

/* Read nb big-endian bytes. */
static inline uint64_t
codec_be(const uint8_t *p, int nb)
{
	uint64_t v = 0;

	for (int i = 0; i < nb; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Read the header of the next value into *v and step over it.  The payload
 * of a string, binary or extension is not consumed (see codec_take); that
 * of a float is not either: nobody reads past a value of the wrong type.
 * depth is the nesting level a container found here would have; deeper
 * than LD_DEPTH_MAX is LD_ELIMIT.  Truncation and the never-used byte
 * 0xc1 are LD_EMALFORMED.
 */
static int
codec_next(struct codec_ctx *c, struct codec_val *v, int depth)
{
	size_t at = c->off;
	unsigned b;
	int nb = 0;

	v->type = CODEC_NIL;
	v->u = 0;
	v->i = 0;
	if (at >= c->len)
		return codec_trunc(c, at);
	b = c->p[at];
	v->tag = b;
	if (b <= 0x7f) {
		v->type = CODEC_UINT;
		v->u = b;
	} else if (b >= 0xe0) {
		v->type = CODEC_NEG;
		v->i = (int8_t)b;
	} else if (b <= 0x8f) {
		v->type = CODEC_MAP;
		v->u = b & 0x0f;
	} else if (b <= 0x9f) {
		v->type = CODEC_ARRAY;
		v->u = b & 0x0f;
	} else if (b <= 0xbf) {
		v->type = CODEC_STR;
		v->u = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0: break;
		case 0xc1:
			return codec_fail(c, LD_EMALFORMED,
			    "invalid msgpack byte 0xc1 at byte %zu", at);
		case 0xc2: case 0xc3: v->type = CODEC_BOOL; v->u = b & 1; break;
		case 0xc4: v->type = CODEC_BIN; nb = 1; break;
		case 0xc5: v->type = CODEC_BIN; nb = 2; break;
		case 0xc6: v->type = CODEC_BIN; nb = 4; break;
		case 0xc7: v->type = CODEC_EXT; nb = 1; break;
		case 0xc8: v->type = CODEC_EXT; nb = 2; break;
		case 0xc9: v->type = CODEC_EXT; nb = 4; break;
		case 0xca: case 0xcb: v->type = CODEC_FLOAT; break;
		case 0xcc: v->type = CODEC_UINT; nb = 1; break;
		case 0xcd: v->type = CODEC_UINT; nb = 2; break;
		case 0xce: v->type = CODEC_UINT; nb = 4; break;
		case 0xcf: v->type = CODEC_UINT; nb = 8; break;
		case 0xd0: case 0xd1: case 0xd2: case 0xd3:
			v->type = CODEC_NEG;
			nb = 1 << (b - 0xd0);
			break;
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
			v->type = CODEC_EXT;
			break;
		case 0xd9: v->type = CODEC_STR; nb = 1; break;
		case 0xda: v->type = CODEC_STR; nb = 2; break;
		case 0xdb: v->type = CODEC_STR; nb = 4; break;
		case 0xdc: v->type = CODEC_ARRAY; nb = 2; break;
		case 0xdd: v->type = CODEC_ARRAY; nb = 4; break;
		case 0xde: v->type = CODEC_MAP; nb = 2; break;
		default: v->type = CODEC_MAP; nb = 4; break;	/* 0xdf */
		}
		if ((size_t)nb > c->len - at - 1)
			return codec_trunc(c, at);
		if (nb > 0)
			v->u = codec_be(c->p + at + 1, nb);
		if (v->type == CODEC_NEG) {
			/* int 8..64: sign-extend; a non-negative one is a uint */
			int64_t s = nb == 1 ? (int8_t)v->u : nb == 2 ?
			    (int16_t)v->u : nb == 4 ? (int32_t)v->u :
			    (int64_t)v->u;
			if (s >= 0) {
				v->type = CODEC_UINT;
				v->u = (uint64_t)s;
			} else {
				v->i = s;
				v->u = 0;
			}
		}
	}
	c->off = at + 1 + (size_t)nb;
	if ((v->type == CODEC_ARRAY || v->type == CODEC_MAP) &&
	    depth > LD_DEPTH_MAX)
		return codec_fail(c, LD_ELIMIT,
		    "nesting depth %d exceeds limit %d", depth, LD_DEPTH_MAX);
	return LD_OK;
}

/* Consume n payload bytes; *out points at them. */
static int
codec_take(struct codec_ctx *c, uint64_t n, const uint8_t **out)
{
	if (n > c->len - c->off)
		return codec_trunc(c, c->off);
	*out = c->p + c->off;
	c->off += (size_t)n;
	return LD_OK;
}

static int
codec_want(struct codec_ctx *c, const struct codec_val *v, const char *what)
{
	return codec_fail(c, LD_ETYPE, "expected %s, got %s", what,
	    codec_mt_names[v->type]);
}

static int
codec_utf8_fail(struct codec_ctx *c, const char *s, size_t bad)
{
	if (s[bad] == '\0')
		return codec_fail(c, LD_EUTF8, "NUL byte at byte %zu", bad);
	return codec_fail(c, LD_EUTF8, "invalid UTF-8 at byte %zu", bad);
}

/* Read a string of at most max bytes, valid UTF-8 without NUL, into dst
 * (which holds max + 1), NUL-terminated.  *n gets its length if n. */
static int
codec_rd_str(struct codec_ctx *c, int depth, uint32_t max, char *dst,
    size_t *n)
{
	struct codec_val v;
	const uint8_t *s = NULL;
	size_t bad;
	int rc;

	if ((rc = codec_next(c, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_STR)
		return codec_want(c, &v, "string");
	if (v.u > max)
		return codec_fail(c, LD_ELIMIT,
		    "string of %" PRIu64 " bytes exceeds limit %" PRIu32, v.u,
		    max);
	if ((rc = codec_take(c, v.u, &s)) != 0)
		return rc;
	if (!utf8_valid((const char *)s, v.u, &bad))
		return codec_utf8_fail(c, (const char *)s, bad);
	memcpy(dst, s, v.u);
	dst[v.u] = '\0';
	if (n != NULL)
		*n = v.u;
	return LD_OK;
}

/* Read an integer (any msgpack integer encoding) into *v. */
static int
codec_rd_int(struct codec_ctx *c, int depth, struct codec_val *v)
{
	int rc;

	if ((rc = codec_next(c, v, depth)) != 0)
		return rc;
	if (v->type != CODEC_UINT && v->type != CODEC_NEG)
		return codec_want(c, v, "integer");
	return LD_OK;
}

/* Read a time: an integer in 0..INT64_MAX. */
static int
codec_rd_time(struct codec_ctx *c, int depth, int64_t *out)
{
	struct codec_val v;
	int rc;

	if ((rc = codec_rd_int(c, depth, &v)) != 0)
		return rc;
	if (v.type == CODEC_NEG)
		return codec_fail(c, LD_ELIMIT, "%" PRId64 " is negative", v.i);
	if (v.u > INT64_MAX)
		return codec_fail(c, LD_ELIMIT, "%" PRIu64 " exceeds limit %"
		    PRId64, v.u, INT64_MAX);
	*out = (int64_t)v.u;
	return LD_OK;
}

/* ---- schema checks shared by the encoder and the decoder --------------- */

/* The envelope keys, in encoding order. */
enum { CODEC_K_V, CODEC_K_ORIGIN, CODEC_K_SEQ, CODEC_K_TIME, CODEC_K_ACTOR,
       CODEC_K_KIND, CODEC_K_TICKET, CODEC_K_BODY, CODEC_K__COUNT };
static const char *const codec_env_keys[CODEC_K__COUNT] = { "v", "origin",
	"seq", "time", "actor", "kind", "ticket", "body" };

static int
codec_env_key(const uint8_t *s, size_t n)
{
	for (int k = 0; k < CODEC_K__COUNT; k++)
		if (strlen(codec_env_keys[k]) == n &&
		    memcmp(codec_env_keys[k], s, n) == 0)
			return k;
	return -1;
}

/*
 * The rules that need the kind: a ticket id exactly for ticket kinds, no
 * payload field the kind does not allow, every field it requires.  The
 * lowest offending field (in enum order) is reported.
 */
static int
codec_kind_rules(const struct ld_event *ev, struct ld_err *err)
{
	const struct ld_kind_def *k = &event_kinds[ev->kind];
	uint32_t extra = ev->present & ~(k->required | k->optional);
	uint32_t missing = k->required & ~ev->present;

	if (!k->ticket && ev->ticket[0] != '\0')
		return err_set(err, LD_EUNKNOWN,
		    "ticket: not allowed for '%s' (must be empty)", k->name);
	if (k->ticket && ev->ticket[0] == '\0')
		return err_set(err, LD_EMISSING,
		    "ticket: missing (required by '%s')", k->name);
	if (extra != 0)
		return err_set(err, LD_EUNKNOWN, "body.%s: not allowed for '%s'",
		    event_fields[__builtin_ctz(extra)].name, k->name);
	if (missing != 0)
		return err_set(err, LD_EMISSING,
		    "body.%s: missing (required by '%s')",
		    event_fields[__builtin_ctz(missing)].name, k->name);
	return LD_OK;
}

/* A string in a struct buffer of max + 1 bytes: NUL-terminated within it,
 * valid UTF-8.  *n gets its length. */
static int
codec_check_str(struct codec_ctx *c, const char *s, uint32_t max, size_t *n)
{
	size_t bad;

	*n = strnlen(s, (size_t)max + 1);
	if (*n > max)
		return codec_fail(c, LD_ELIMIT, "string exceeds limit %" PRIu32
		    " (no NUL within the buffer)", max);
	if (!utf8_valid(s, *n, &bad))
		return codec_utf8_fail(c, s, bad);
	return LD_OK;
}

/* Check the value of present payload field f of ev. */
static int
codec_check_field(struct codec_ctx *c, const struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *p = (const char *)ev + d->offset;
	uint32_t u;
	int64_t t;
	size_t n = 0;
	int rc;

	switch (d->type) {
	case LD_T_STR:
		return codec_check_str(c, p, d->max, &n);
	case LD_T_UINT:
	case LD_T_ENUM:
		memcpy(&u, p, sizeof(u));
		if (u < d->min || u > d->max)
			return codec_fail(c, LD_ELIMIT, "%" PRIu32
			    " out of range %" PRIu32 "..%" PRIu32, u, d->min,
			    d->max);
		return LD_OK;
	case LD_T_TIME:
		memcpy(&t, p, sizeof(t));
		if (t < 0)
			return codec_fail(c, LD_ELIMIT, "%" PRId64 " is negative",
			    t);
		return LD_OK;
	case LD_T_BOOL:
		return LD_OK;
	case LD_T_STRARR:
		if (ev->n_units < 1 || ev->n_units > LD_UNITS_MAX)
			return codec_fail(c, LD_ELIMIT, "%" PRIu32
			    " entries, expected 1..%d", ev->n_units,
			    LD_UNITS_MAX);
		for (uint32_t i = 0; i < ev->n_units; i++) {
			c->idx = (int)i;
			rc = codec_check_str(c, ev->units[i], d->max, &n);
			if (rc != 0)
				return rc;
		}
		c->idx = -1;
		return LD_OK;
	}
	return codec_fail(c, LD_EINVAL, "bad schema type %d", (int)d->type);
}

/* Check ev against the schema; the specific code (ELIMIT, EUTF8, ...). */
static int
codec_check(const struct ld_event *ev, struct ld_err *err)
{
	struct codec_ctx c = { .err = err, .sect = "", .idx = -1 };
	size_t n = 0;
	int rc;

	if (ev == NULL)
		return err_set(err, LD_EINVAL, "no event");
	c.name = "kind";
	if (ev->kind <= LD_EV_NONE || ev->kind >= LD_EV__COUNT)
		return codec_fail(&c, LD_EUNKNOWN, "unknown event kind %d",
		    (int)ev->kind);
	c.name = "origin";
	if ((rc = codec_check_str(&c, ev->origin, LD_NODE_MAX, &n)) != 0)
		return rc;
	if (!event_node_id_ok(ev->origin))
		return codec_fail(&c, LD_EINVAL,
		    "'%s' is not a node id ([A-Z][A-Z0-9]{0,7})", ev->origin);
	c.name = "time";
	if (ev->time_ms < 0)
		return codec_fail(&c, LD_ELIMIT, "%" PRId64 " is negative",
		    ev->time_ms);
	c.name = "actor";
	if ((rc = codec_check_str(&c, ev->actor, LD_ACTOR_MAX, &n)) != 0)
		return rc;
	c.name = "ticket";
	if ((rc = codec_check_str(&c, ev->ticket, LD_TICKET_MAX, &n)) != 0)
		return rc;
	c.name = "body";
	if ((ev->present >> LD_F__COUNT) != 0)
		return codec_fail(&c, LD_EUNKNOWN, "unknown field bit %d",
		    __builtin_ctz(ev->present >> LD_F__COUNT) + LD_F__COUNT);
	c.sect = "body.";
	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!event_has(ev, (enum ld_field)f))
			continue;
		c.name = event_fields[f].name;
		if ((rc = codec_check_field(&c, ev, f)) != 0)
			return rc;
	}
	return codec_kind_rules(ev, err);
}

/*
 * Validate ev as the encoder does.  Returns 0, or LD_EINVAL with the
 * message the decoder would give for the same fault.
 */
int
codec_event_check(const struct ld_event *ev, struct ld_err *err)
{
	int rc = codec_check(ev, err);

	if (rc == 0)
		return LD_OK;
	if (err != NULL)
		err->code = LD_EINVAL;
	return LD_EINVAL;
}

/* ---- encoder ----------------------------------------------------------- */

static void
codec_put_key(struct codec_wr *w, const char *key)
{
	codec_put_str(w, key, strlen(key));
}

/* Encode present field f of ev (checked already). */
static void
codec_put_field(struct codec_wr *w, const struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *p = (const char *)ev + d->offset;
	uint32_t u;
	int64_t t;
	bool b;

	codec_put_key(w, d->name);
	switch (d->type) {
	case LD_T_STR:
		codec_put_str(w, p, strlen(p));
		break;
	case LD_T_UINT:
		memcpy(&u, p, sizeof(u));
		codec_put_uint(w, u);
		break;
	case LD_T_ENUM:
		memcpy(&u, p, sizeof(u));
		codec_put_key(w, d->enum_names[u - 1]);
		break;
	case LD_T_TIME:
		memcpy(&t, p, sizeof(t));
		codec_put_uint(w, (uint64_t)t);
		break;
	case LD_T_BOOL:
		memcpy(&b, p, sizeof(b));
		codec_put_hdr(w, b ? 0xc3 : 0xc2, 0, 0);
		break;
	case LD_T_STRARR:
		codec_put_array(w, ev->n_units);
		for (uint32_t i = 0; i < ev->n_units; i++)
			codec_put_str(w, ev->units[i], strlen(ev->units[i]));
		break;
	}
}

/*
 * Encode ev (see codec.h): the envelope map in its fixed key order, body
 * fields in enum order, every integer and length in its shortest form.
 */
int
codec_event_encode(const struct ld_event *ev, uint8_t *buf, size_t cap,
    struct ld_err *err)
{
	struct codec_wr w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	int rc;

	if ((rc = codec_event_check(ev, err)) != 0)
		return rc;
	codec_put_map(&w, CODEC_K__COUNT);
	codec_put_key(&w, "v");
	codec_put_uint(&w, LD_EVENT_FORMAT);
	codec_put_key(&w, "origin");
	codec_put_key(&w, ev->origin);
	codec_put_key(&w, "seq");
	codec_put_uint(&w, ev->seq);
	codec_put_key(&w, "time");
	codec_put_uint(&w, (uint64_t)ev->time_ms);
	codec_put_key(&w, "actor");
	codec_put_key(&w, ev->actor);
	codec_put_key(&w, "kind");
	codec_put_key(&w, event_kinds[ev->kind].name);
	codec_put_key(&w, "ticket");
	codec_put_key(&w, ev->ticket);
	codec_put_key(&w, "body");
	codec_put_map(&w, (size_t)__builtin_popcount(ev->present));
	for (int f = 0; f < LD_F__COUNT; f++)
		if (event_has(ev, (enum ld_field)f))
			codec_put_field(&w, ev, f);
	if (w.off > LD_FRAME_MAX)
		return err_set(err, LD_ELIMIT, "encoded event of %zu bytes "
		    "exceeds limit %d", w.off, LD_FRAME_MAX);
	if (w.off > w.cap)
		return err_set(err, LD_ELIMIT, "encoded event of %zu bytes "
		    "does not fit in %zu", w.off, w.cap);
	return (int)w.off;
}

/* ---- decoder ----------------------------------------------------------- */

/* Read an enum field: a string naming one of d->enum_names. */
static int
codec_rd_enum(struct codec_ctx *c, const struct ld_field_def *d, uint32_t *out)
{
	char names[128], q[160];
	struct codec_val v;
	const uint8_t *s = NULL;
	size_t o = 0;
	int rc;

	if ((rc = codec_next(c, &v, 3)) != 0)
		return rc;
	if (v.type != CODEC_STR)
		return codec_want(c, &v, "string");
	if ((rc = codec_take(c, v.u, &s)) != 0)
		return rc;
	for (uint32_t i = 0; i < d->max; i++) {
		const char *name = d->enum_names[i];

		if (strlen(name) == v.u && memcmp(name, s, v.u) == 0) {
			*out = i + 1;
			return LD_OK;
		}
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
		    i ? "|" : "", name);
		if (o >= sizeof(names))
			o = sizeof(names) - 1;
	}
	return codec_fail(c, LD_EUNKNOWN, "unknown value '%s' (expected %s)",
	    codec_quote(q, sizeof(q), s, v.u), names);
}

/* Read payload field f into ev (its bit is set by the caller). */
static int
codec_rd_field(struct codec_ctx *c, struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	char *p = (char *)ev + d->offset;
	struct codec_val v;
	uint32_t u = 0;
	int64_t t = 0;
	bool b;
	int rc;

	switch (d->type) {
	case LD_T_STR:
		return codec_rd_str(c, 3, d->max, p, NULL);
	case LD_T_UINT:
		if ((rc = codec_rd_int(c, 3, &v)) != 0)
			return rc;
		if (v.type == CODEC_NEG)
			return codec_fail(c, LD_ELIMIT, "%" PRId64 " out of "
			    "range %" PRIu32 "..%" PRIu32, v.i, d->min, d->max);
		if (v.u < d->min || v.u > d->max)
			return codec_fail(c, LD_ELIMIT, "%" PRIu64 " out of "
			    "range %" PRIu32 "..%" PRIu32, v.u, d->min, d->max);
		u = (uint32_t)v.u;
		memcpy(p, &u, sizeof(u));
		return LD_OK;
	case LD_T_TIME:
		if ((rc = codec_rd_time(c, 3, &t)) != 0)
			return rc;
		memcpy(p, &t, sizeof(t));
		return LD_OK;
	case LD_T_BOOL:
		if ((rc = codec_next(c, &v, 3)) != 0)
			return rc;
		if (v.type != CODEC_BOOL)
			return codec_want(c, &v, "boolean");
		b = v.u != 0;
		memcpy(p, &b, sizeof(b));
		return LD_OK;
	case LD_T_ENUM:
		if ((rc = codec_rd_enum(c, d, &u)) != 0)
			return rc;
		memcpy(p, &u, sizeof(u));
		return LD_OK;
	case LD_T_STRARR:
		if ((rc = codec_next(c, &v, 3)) != 0)
			return rc;
		if (v.type != CODEC_ARRAY)
			return codec_want(c, &v, "array");
		if (v.u < 1 || v.u > LD_UNITS_MAX)
			return codec_fail(c, LD_ELIMIT, "%" PRIu64
			    " entries, expected 1..%d", v.u, LD_UNITS_MAX);
		for (uint32_t i = 0; i < v.u; i++) {
			c->idx = (int)i;
			if ((rc = codec_rd_str(c, 4, d->max, ev->units[i],
			    NULL)) != 0)
				return rc;
		}
		c->idx = -1;
		ev->n_units = (uint32_t)v.u;
		return LD_OK;
	}
	return codec_fail(c, LD_EINVAL, "bad schema type %d", (int)d->type);
}

/* Read a map key (a string) with its bytes; names the map on error. */
static int
codec_rd_key(struct codec_ctx *c, int depth, const uint8_t **s, size_t *n)
{
	struct codec_val v;
	int rc;

	if ((rc = codec_next(c, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_STR)
		return codec_fail(c, LD_ETYPE, "key must be a string, got %s",
		    codec_mt_names[v.type]);
	*n = (size_t)v.u;
	return codec_take(c, v.u, s);
}

/* Read the body map into ev's payload fields and ev->present. */
static int
codec_rd_body(struct codec_ctx *c, struct ld_event *ev)
{
	struct codec_val v;
	const uint8_t *key = NULL;
	char q[160];
	size_t n = 0;
	int rc, f;

	if ((rc = codec_next(c, &v, 2)) != 0)
		return rc;
	if (v.type != CODEC_MAP)
		return codec_want(c, &v, "map");
	for (uint64_t i = 0; i < v.u; i++) {
		c->sect = "";
		c->name = "body";
		if ((rc = codec_rd_key(c, 3, &key, &n)) != 0)
			return rc;
		c->sect = "body.";
		f = event_field_from_name((const char *)key, n);
		if (f < 0) {
			c->name = codec_quote(q, sizeof(q), key, n);
			return codec_fail(c, LD_EUNKNOWN, "unknown field");
		}
		c->name = event_fields[f].name;
		if (event_has(ev, (enum ld_field)f))
			return codec_fail(c, LD_EMALFORMED, "duplicate key");
		if ((rc = codec_rd_field(c, ev, f)) != 0)
			return rc;
		ev->present |= 1u << f;
	}
	return LD_OK;
}

/* Read the value of envelope key k into ev. */
static int
codec_rd_env(struct codec_ctx *c, struct ld_event *ev, int k)
{
	struct codec_val v;
	const uint8_t *s = NULL;
	char q[160];
	int rc;

	switch (k) {
	case CODEC_K_V:
		if ((rc = codec_rd_int(c, 2, &v)) != 0)
			return rc;
		if (v.type == CODEC_NEG)
			return codec_fail(c, LD_EUNKNOWN, "unsupported event "
			    "format %" PRId64 " (expected %d)", v.i,
			    LD_EVENT_FORMAT);
		if (v.u != LD_EVENT_FORMAT)
			return codec_fail(c, LD_EUNKNOWN, "unsupported event "
			    "format %" PRIu64 " (expected %d)", v.u,
			    LD_EVENT_FORMAT);
		return LD_OK;
	case CODEC_K_ORIGIN:
		if ((rc = codec_rd_str(c, 2, LD_NODE_MAX, ev->origin, NULL)))
			return rc;
		if (!event_node_id_ok(ev->origin))
			return codec_fail(c, LD_EINVAL, "'%s' is not a node id "
			    "([A-Z][A-Z0-9]{0,7})", codec_quote(q, sizeof(q),
			    (const uint8_t *)ev->origin, strlen(ev->origin)));
		return LD_OK;
	case CODEC_K_SEQ:
		if ((rc = codec_rd_int(c, 2, &v)) != 0)
			return rc;
		if (v.type == CODEC_NEG)
			return codec_fail(c, LD_ELIMIT, "%" PRId64
			    " is negative", v.i);
		ev->seq = v.u;
		return LD_OK;
	case CODEC_K_TIME:
		return codec_rd_time(c, 2, &ev->time_ms);
	case CODEC_K_ACTOR:
		return codec_rd_str(c, 2, LD_ACTOR_MAX, ev->actor, NULL);
	case CODEC_K_KIND:
		if ((rc = codec_next(c, &v, 2)) != 0)
			return rc;
		if (v.type != CODEC_STR)
			return codec_want(c, &v, "string");
		if ((rc = codec_take(c, v.u, &s)) != 0)
			return rc;
		ev->kind = event_kind_from_name((const char *)s, (size_t)v.u);
		if (ev->kind == LD_EV_NONE)
			return codec_fail(c, LD_EUNKNOWN, "unknown event kind "
			    "'%s'", codec_quote(q, sizeof(q), s, v.u));
		return LD_OK;
	case CODEC_K_TICKET:
		return codec_rd_str(c, 2, LD_TICKET_MAX, ev->ticket, NULL);
	default:
		return codec_rd_body(c, ev);
	}
}

/*
 * Decode one event frame (see codec.h).  *ev is cleared first; on error
 * its contents are unspecified.  Checks, in this order: frame size, the
 * envelope map and each value as it comes (type, limits, UTF-8,
 * duplicates, unknown keys), trailing bytes, missing envelope keys, then
 * the kind's rules (ticket, fields allowed, fields required).
 */
int
codec_event_decode(const uint8_t *buf, size_t len, struct ld_event *ev,
    struct ld_err *err)
{
	struct codec_ctx c = { .p = buf, .len = len, .err = err, .sect = "",
		.idx = -1 };
	struct codec_val v;
	const uint8_t *key = NULL;
	unsigned seen = 0;
	char q[160];
	size_t n = 0;
	int rc, k;

	if (ev == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no event or no buffer");
	memset(ev, 0, sizeof(*ev));
	if (len > LD_FRAME_MAX)
		return err_set(err, LD_ELIMIT, "frame of %zu bytes exceeds "
		    "limit %d", len, LD_FRAME_MAX);
	c.name = "event";
	if ((rc = codec_next(&c, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MAP)
		return codec_want(&c, &v, "map");
	for (uint64_t i = 0; i < v.u; i++) {
		c.sect = "";
		c.name = "event";
		if ((rc = codec_rd_key(&c, 2, &key, &n)) != 0)
			return rc;
		k = codec_env_key(key, n);
		if (k < 0) {
			c.name = codec_quote(q, sizeof(q), key, n);
			return codec_fail(&c, LD_EUNKNOWN, "unknown field");
		}
		c.name = codec_env_keys[k];
		if (seen & (1u << k))
			return codec_fail(&c, LD_EMALFORMED, "duplicate key");
		seen |= 1u << k;
		if ((rc = codec_rd_env(&c, ev, k)) != 0)
			return rc;
	}
	if (c.off != len)
		return err_set(err, LD_EMALFORMED, "%zu trailing bytes after "
		    "the event", len - c.off);
	for (k = 0; k < CODEC_K__COUNT; k++)
		if (!(seen & (1u << k)))
			return err_set(err, LD_EMISSING, "%s: missing",
			    codec_env_keys[k]);
	return codec_kind_rules(ev, err);
}
