/*
 * codec_json.c - one msgpack value as compact JSON (see codec_json.h).
 *
 * One walker does both passes: first with no output (the value is only
 * checked), then writing, so a bad value leaves nothing half-written.
 * The walker keeps a stack of open containers (entries left, entries
 * done) instead of recursing; the stack depth is the nesting limit.
 */
#include "codec_json.h"
#include "codec_mp.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

/* Where the JSON goes: f NULL only checks.  failed is sticky. */
struct json_out {
	FILE *f;
	bool failed;
};

/* One open container (or the root, which holds one value). */
struct json_level {
	uint64_t left;		/* entries still to read (maps: 2 per pair) */
	uint64_t done;		/* entries read */
	bool map;
};

static void
json_put(struct json_out *o, const void *s, size_t n)
{
	if (o->f != NULL && !o->failed && n > 0 && fwrite(s, 1, n, o->f) != n)
		o->failed = true;
}

static void
json_puts(struct json_out *o, const char *s)
{
	json_put(o, s, strlen(s));
}

/* True if s[0..n) is UTF-8 where NUL bytes are allowed (JSON has
 * \u0000); else *bad is the first bad byte. */
static bool
json_utf8_ok(const char *s, size_t n, size_t *bad)
{
	size_t i = 0, b;

	while (i < n) {
		if (utf8_valid(s + i, n - i, &b))
			return true;
		if (s[i + b] != '\0') {
			*bad = i + b;
			return false;
		}
		i += b + 1;
	}
	return true;
}

/* The escape of byte c inside a JSON string, or NULL if it needs none.
 * buf holds at least 7 bytes. */
static const char *
json_escape(unsigned char c, char *buf, size_t cap)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c >= 0x20)
			return NULL;
		snprintf(buf, cap, "\\u%04x", c);
		return buf;
	}
}

/* Write s[0..n) (already checked) as a quoted, escaped JSON string:
 * runs that need no escape go out in one piece. */
static void
json_put_str(struct json_out *o, const char *s, size_t n)
{
	char buf[8];
	size_t run = 0;

	json_put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		const char *esc = json_escape((unsigned char)s[i], buf,
		    sizeof(buf));

		if (esc == NULL)
			continue;
		json_put(o, s + run, i - run);
		json_puts(o, esc);
		run = i + 1;
	}
	json_put(o, s + run, n - run);
	json_put(o, "\"", 1);
}

/* Fail with LD_EMALFORMED and the reader's message, which says where
 * ("truncated at byte 57"). */
static int
json_fail_as_is(struct ld_err *e)
{
	e->code = LD_EMALFORMED;
	return LD_EMALFORMED;
}

/* Fail with LD_EMALFORMED "byte <at>: <the reader's message>". */
static int
json_fail(struct ld_err *e, size_t at)
{
	err_prefix(e, "byte %zu", at);
	return json_fail_as_is(e);
}

/* Read a string's bytes at r (header v already read) and write it. */
static int
json_str(struct codec_mp_rd *r, const struct codec_mp_val *v,
    struct json_out *o, size_t at)
{
	const uint8_t *s = NULL;
	size_t bad;

	if (codec_mp_take(r, v->u, &s) != 0)
		return json_fail_as_is(r->err);
	if (!json_utf8_ok((const char *)s, (size_t)v->u, &bad)) {
		codec_mp_fail(r, LD_EMALFORMED, "string: invalid UTF-8 at "
		    "byte %zu of the string", bad);
		return json_fail(r->err, at);
	}
	json_put_str(o, (const char *)s, (size_t)v->u);
	return LD_OK;
}

/* Open container v (an array or a map) on the stack at *top. */
static int
json_open(struct codec_mp_rd *r, const struct codec_mp_val *v,
    struct json_level *st, int *top, struct json_out *o, size_t at)
{
	bool map = v->type == CODEC_MP_MAP;
	uint64_t n = map ? 2 * v->u : v->u;

	if (*top + 1 > CODEC_JSON_DEPTH_MAX) {
		codec_mp_fail(r, LD_EMALFORMED, "nesting deeper than %d",
		    CODEC_JSON_DEPTH_MAX);
		return json_fail(r->err, at);
	}
	if (n > r->len - r->off) {	/* every entry takes a byte at least */
		codec_mp_fail(r, LD_EMALFORMED, "%s of %" PRIu64 " entries "
		    "truncated", map ? "map" : "array", v->u);
		return json_fail(r->err, at);
	}
	(*top)++;
	st[*top] = (struct json_level){ .left = n, .done = 0, .map = map };
	json_put(o, map ? "{" : "[", 1);
	return LD_OK;
}

/* Read one value's header at r and write it (containers are opened). */
static int
json_value(struct codec_mp_rd *r, struct json_level *st, int *top,
    struct json_out *o, bool key)
{
	struct codec_mp_val v;
	size_t at = r->off;
	char num[24];

	if (codec_mp_next(r, &v, 1) != 0)	/* depth: ours, not codec_mp's */
		return json_fail_as_is(r->err);
	if (key && v.type != CODEC_MP_STR) {
		codec_mp_want(r, &v, "a string as map key");
		return json_fail(r->err, at);
	}
	switch (v.type) {
	case CODEC_MP_NIL: json_puts(o, "null"); return LD_OK;
	case CODEC_MP_BOOL: json_puts(o, v.u ? "true" : "false"); return LD_OK;
	case CODEC_MP_UINT:
		snprintf(num, sizeof(num), "%" PRIu64, v.u);
		json_puts(o, num);
		return LD_OK;
	case CODEC_MP_NEG:
		snprintf(num, sizeof(num), "%" PRId64, v.i);
		json_puts(o, num);
		return LD_OK;
	case CODEC_MP_STR: return json_str(r, &v, o, at);
	case CODEC_MP_ARRAY:
	case CODEC_MP_MAP: return json_open(r, &v, st, top, o, at);
	default:
		codec_mp_want(r, &v, "nil, boolean, integer, string, array "
		    "or map");
		return json_fail(r->err, at);
	}
}

/* The walk: every value of buf in order, with its separators. */
static int
json_walk(const uint8_t *buf, size_t len, struct json_out *o,
    struct ld_err *e)
{
	struct json_level st[CODEC_JSON_DEPTH_MAX + 1];
	struct codec_mp_rd r = { .p = buf, .len = len, .err = e };
	int top = 0, rc;

	st[0] = (struct json_level){ .left = 1, .done = 0, .map = false };
	while (top >= 0) {
		struct json_level *l = &st[top];
		bool key = l->map && l->done % 2 == 0;

		if (l->left == 0) {
			if (top > 0)
				json_put(o, l->map ? "}" : "]", 1);
			top--;
			continue;
		}
		if (top > 0 && l->done > 0)
			json_put(o, l->map && !key ? ":" : ",", 1);
		l->left--;
		l->done++;
		if ((rc = json_value(&r, st, &top, o, key)) != 0)
			return rc;
	}
	if (r.off != len)
		return err_set(e, LD_EMALFORMED, "byte %zu: %zu trailing bytes "
		    "after the value", r.off, len - r.off);
	return LD_OK;
}

int
codec_json_write(FILE *f, const uint8_t *buf, size_t len, struct ld_err *err)
{
	struct json_out check = { NULL, false }, out = { f, false };
	struct ld_err e = { 0, "" };
	int rc;

	if (f == NULL || (buf == NULL && len > 0))
		return err_set(err, LD_EINVAL, "json: no stream or no buffer");
	if ((rc = json_walk(buf, len, &check, &e)) != 0) {
		if (err != NULL)
			*err = e;
		return rc;
	}
	json_walk(buf, len, &out, &e);	/* checked: cannot fail */
	if (out.failed)
		return err_set(err, LD_EIO, "json: write failed");
	return LD_OK;
}

int
codec_json_write_str(FILE *f, const char *s, size_t n, struct ld_err *err)
{
	struct json_out out = { f, false };
	size_t bad;

	if (f == NULL || (s == NULL && n > 0))
		return err_set(err, LD_EINVAL, "json: no stream or no string");
	if (!json_utf8_ok(s, n, &bad))
		return err_set(err, LD_EMALFORMED, "string: invalid UTF-8 at "
		    "byte %zu", bad);
	json_put_str(&out, s, n);
	if (out.failed)
		return err_set(err, LD_EIO, "json: write failed");
	return LD_OK;
}
