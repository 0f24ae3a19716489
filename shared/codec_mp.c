/*
 * codec_mp.c - the bounded msgpack reader under codec_event.c (see
 * codec_mp.h; the writer is inline there).
 *
 * The reader works on raw bytes (the msgpack format is simple): no
 * allocation at all, no recursion, and every length is checked against
 * the bytes that are really there before it is used.  Nothing is ever
 * skipped: the caller reads every value as its schema expects it, so the
 * reader never walks into structures nobody has a use for.  It accepts
 * every encoding of a value, not only the shortest; the canonical-only
 * view decoder in codec_view.c has its own header reader for that.
 */
#include "codec_mp.h"
#include "ltime.h"
#include "event.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const codec_mp_type_names[] = { "nil", "boolean",
	"integer", "integer", "float", "string", "binary", "array", "map",
	"extension" };

/* Set r->err to code and "<path>: <formatted>"; return code. */
int
codec_mp_fail(struct codec_mp_rd *r, int code, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX], path[LD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->path == NULL || !r->path(r, path, sizeof(path)))
		return err_set(r->err, code, "%s", msg);
	return err_set(r->err, code, "%s: %s", path, msg);
}

/* LD_EMALFORMED "truncated at byte <at>". */
static int
codec_mp_trunc(struct codec_mp_rd *r, size_t at)
{
	return codec_mp_fail(r, LD_EMALFORMED, "truncated at byte %zu", at);
}

/* Quote hostile bytes for a message: printable ASCII as is, the rest as
 * \xNN, at most 32 input bytes then "...". */
const char *
codec_mp_quote(char *out, size_t cap, const uint8_t *s, size_t n)
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

/*
 * Read the header of the next value into *v and step over it.  The payload
 * of a string, binary or extension is not consumed (see codec_mp_take);
 * that of a float is not either: nobody reads past a value of the wrong
 * type.  depth is the nesting level a container found here would have;
 * deeper than LD_DEPTH_MAX is LD_ELIMIT.  Truncation and the never-used
 * byte 0xc1 are LD_EMALFORMED.
 */
int
codec_mp_next(struct codec_mp_rd *r, struct codec_mp_val *v, int depth)
{
	size_t at = r->off;
	unsigned b;
	int nb = 0;

	v->type = CODEC_MP_NIL;
	v->u = 0;
	v->i = 0;
	if (at >= r->len)
		return codec_mp_trunc(r, at);
	b = r->p[at];
	v->tag = b;
	if (b <= 0x7f) {
		v->type = CODEC_MP_UINT;
		v->u = b;
	} else if (b >= 0xe0) {
		v->type = CODEC_MP_NEG;
		v->i = (int8_t)b;
	} else if (b <= 0x8f) {
		v->type = CODEC_MP_MAP;
		v->u = b & 0x0f;
	} else if (b <= 0x9f) {
		v->type = CODEC_MP_ARRAY;
		v->u = b & 0x0f;
	} else if (b <= 0xbf) {
		v->type = CODEC_MP_STR;
		v->u = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0: break;
		case 0xc1:
			return codec_mp_fail(r, LD_EMALFORMED,
			    "invalid msgpack byte 0xc1 at byte %zu", at);
		case 0xc2: case 0xc3:
			v->type = CODEC_MP_BOOL;
			v->u = b & 1;
			break;
		case 0xc4: v->type = CODEC_MP_BIN; nb = 1; break;
		case 0xc5: v->type = CODEC_MP_BIN; nb = 2; break;
		case 0xc6: v->type = CODEC_MP_BIN; nb = 4; break;
		case 0xc7: v->type = CODEC_MP_EXT; nb = 1; break;
		case 0xc8: v->type = CODEC_MP_EXT; nb = 2; break;
		case 0xc9: v->type = CODEC_MP_EXT; nb = 4; break;
		case 0xca: case 0xcb: v->type = CODEC_MP_FLOAT; break;
		case 0xcc: v->type = CODEC_MP_UINT; nb = 1; break;
		case 0xcd: v->type = CODEC_MP_UINT; nb = 2; break;
		case 0xce: v->type = CODEC_MP_UINT; nb = 4; break;
		case 0xcf: v->type = CODEC_MP_UINT; nb = 8; break;
		case 0xd0: case 0xd1: case 0xd2: case 0xd3:
			v->type = CODEC_MP_NEG;
			nb = 1 << (b - 0xd0);
			break;
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
			v->type = CODEC_MP_EXT;
			break;
		case 0xd9: v->type = CODEC_MP_STR; nb = 1; break;
		case 0xda: v->type = CODEC_MP_STR; nb = 2; break;
		case 0xdb: v->type = CODEC_MP_STR; nb = 4; break;
		case 0xdc: v->type = CODEC_MP_ARRAY; nb = 2; break;
		case 0xdd: v->type = CODEC_MP_ARRAY; nb = 4; break;
		case 0xde: v->type = CODEC_MP_MAP; nb = 2; break;
		default: v->type = CODEC_MP_MAP; nb = 4; break;	/* 0xdf */
		}
		if ((size_t)nb > r->len - at - 1)
			return codec_mp_trunc(r, at);
		if (nb > 0)
			v->u = codec_mp_be(r->p + at + 1, nb);
		if (v->type == CODEC_MP_NEG) {
			/* int 8..64: sign-extend; a non-negative one is a uint */
			int64_t s = nb == 1 ? (int8_t)v->u : nb == 2 ?
			    (int16_t)v->u : nb == 4 ? (int32_t)v->u :
			    (int64_t)v->u;
			if (s >= 0) {
				v->type = CODEC_MP_UINT;
				v->u = (uint64_t)s;
			} else {
				v->i = s;
				v->u = 0;
			}
		}
	}
	r->off = at + 1 + (size_t)nb;
	if ((v->type == CODEC_MP_ARRAY || v->type == CODEC_MP_MAP) &&
	    depth > LD_DEPTH_MAX)
		return codec_mp_fail(r, LD_ELIMIT,
		    "nesting depth %d exceeds limit %d", depth, LD_DEPTH_MAX);
	return LD_OK;
}

/* Consume n payload bytes; *out points at them. */
int
codec_mp_take(struct codec_mp_rd *r, uint64_t n, const uint8_t **out)
{
	if (n > r->len - r->off)
		return codec_mp_trunc(r, r->off);
	*out = r->p + r->off;
	r->off += (size_t)n;
	return LD_OK;
}

/* LD_ETYPE "expected <what>, got <type of v>". */
int
codec_mp_want(struct codec_mp_rd *r, const struct codec_mp_val *v,
    const char *what)
{
	return codec_mp_fail(r, LD_ETYPE, "expected %s, got %s", what,
	    codec_mp_type_names[v->type]);
}

/* LD_EUTF8 for the bad byte at s[bad]: a NUL, or invalid UTF-8. */
int
codec_mp_utf8_fail(struct codec_mp_rd *r, const char *s, size_t bad)
{
	if (s[bad] == '\0')
		return codec_mp_fail(r, LD_EUTF8, "NUL byte at byte %zu", bad);
	return codec_mp_fail(r, LD_EUTF8, "invalid UTF-8 at byte %zu", bad);
}

/* Read a string of at most max bytes, valid UTF-8 without NUL, into dst
 * (which holds max + 1), NUL-terminated.  *n gets its length if n. */
int
codec_mp_read_str(struct codec_mp_rd *r, int depth, uint32_t max, char *dst,
    size_t *n)
{
	struct codec_mp_val v;
	const uint8_t *s = NULL;
	size_t bad;
	int rc;

	if ((rc = codec_mp_next(r, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_MP_STR)
		return codec_mp_want(r, &v, "string");
	if (v.u > max)
		return codec_mp_fail(r, LD_ELIMIT,
		    "string of %" PRIu64 " bytes exceeds limit %" PRIu32, v.u,
		    max);
	if ((rc = codec_mp_take(r, v.u, &s)) != 0)
		return rc;
	if (!utf8_valid((const char *)s, v.u, &bad))
		return codec_mp_utf8_fail(r, (const char *)s, bad);
	memcpy(dst, s, v.u);
	dst[v.u] = '\0';
	if (n != NULL)
		*n = v.u;
	return LD_OK;
}

/* Read an integer (any msgpack integer encoding) into *v. */
int
codec_mp_read_int(struct codec_mp_rd *r, int depth, struct codec_mp_val *v)
{
	int rc;

	if ((rc = codec_mp_next(r, v, depth)) != 0)
		return rc;
	if (v->type != CODEC_MP_UINT && v->type != CODEC_MP_NEG)
		return codec_mp_want(r, v, "integer");
	return LD_OK;
}

/* Read a time: an integer in 0..INT64_MAX. */
int
codec_mp_read_time(struct codec_mp_rd *r, int depth, int64_t *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_read_int(r, depth, &v)) != 0)
		return rc;
	if (v.type == CODEC_MP_NEG)
		return codec_mp_fail(r, LD_ELIMIT, "%" PRId64 " is negative",
		    v.i);
	if (v.u > (uint64_t)LD_TIME_MAX)
		return codec_mp_fail(r, LD_ELIMIT, "%" PRIu64 " exceeds limit %"
		    PRId64 " (the end of year 9999)", v.u, LD_TIME_MAX);
	*out = (int64_t)v.u;
	return LD_OK;
}

/* Read a map key (a string) with its bytes; names the map on error. */
int
codec_mp_read_key(struct codec_mp_rd *r, int depth, const uint8_t **s,
    size_t *n)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_next(r, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_MP_STR)
		return codec_mp_fail(r, LD_ETYPE, "key must be a string, "
		    "got %s", codec_mp_type_names[v.type]);
	*n = (size_t)v.u;
	return codec_mp_take(r, v.u, s);
}

/* Read an enum value: a string naming one of d->enum_names; *out is its
 * 1-based index.  An unknown name gives LD_EUNKNOWN listing the names. */
int
codec_mp_read_enum(struct codec_mp_rd *r, int depth,
    const struct ld_field_def *d, uint32_t *out)
{
	char names[128], q[160];
	struct codec_mp_val v;
	const uint8_t *s = NULL;
	size_t o = 0;
	int rc;

	if ((rc = codec_mp_next(r, &v, depth)) != 0)
		return rc;
	if (v.type != CODEC_MP_STR)
		return codec_mp_want(r, &v, "string");
	if ((rc = codec_mp_take(r, v.u, &s)) != 0)
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
	return codec_mp_fail(r, LD_EUNKNOWN, "unknown value '%s' (expected %s)",
	    codec_mp_quote(q, sizeof(q), s, v.u), names);
}

/* The path hook of struct codec_mp_pctx: "<sect><name>[<idx>]", or false
 * when there is no name. */
bool
codec_mp_pctx_path(const struct codec_mp_rd *r, char *buf, size_t cap)
{
	const struct codec_mp_pctx *c = (const struct codec_mp_pctx *)r;
	char ix[16] = "";

	if (c->name == NULL)
		return false;
	if (c->idx >= 0)
		snprintf(ix, sizeof(ix), "[%d]", c->idx);
	snprintf(buf, cap, "%s%s%s", c->sect, c->name, ix);
	return true;
}

int
codec_mp_check_str(struct codec_mp_rd *r, const char *s, uint32_t max,
    size_t *n)
{
	size_t len = strnlen(s, (size_t)max + 1), bad;

	if (n != NULL)
		*n = len;
	if (len > max)
		return codec_mp_fail(r, LD_ELIMIT, "string exceeds limit %"
		    PRIu32 " (no NUL within the buffer)", max);
	if (!utf8_valid(s, len, &bad))
		return codec_mp_utf8_fail(r, s, bad);
	return LD_OK;
}
