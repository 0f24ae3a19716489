/*
 * codec_view.c - the encoding of ticket views (see codec.h and
 * docs/events.md, "Ticket views").
 *
 * A view is one msgpack array: LD_VIEW_FORMAT, the fields of struct
 * ld_ticket in declaration order, then an array of n_wo work orders, each
 * an array of the fields of struct ld_wo in declaration order.  Numbers
 * are unsigned (times are never negative), everything in its shortest
 * form.  The decoder accepts only that canonical form, so a view has
 * exactly one encoding: encode(decode(x)) == x for every x it accepts.
 * The layout is data (the tables below), shared by both directions.
 */
#include "codec.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A change of struct ld_ticket or struct ld_wo breaks this on purpose:
 * update the tables below and raise LD_VIEW_FORMAT (and the store schema
 * if old views can no longer be read), then the sizes here. */
_Static_assert(sizeof(struct ld_ticket) == 4984,
    "struct ld_ticket changed: update codec_view.c tables, LD_VIEW_FORMAT");
_Static_assert(sizeof(struct ld_wo) == 144,
    "struct ld_wo changed: update codec_view.c tables, LD_VIEW_FORMAT");

enum { CODEC_VSTR = 1, CODEC_VUINT, CODEC_VTIME };

struct codec_vfield {
	const char *name;
	uint8_t type;
	uint8_t width;		/* VUINT: 1, 2 or 4 bytes */
	uint16_t off;
	uint64_t max;		/* VSTR: buffer size - 1; VUINT: largest */
};

#define V_STR(S, m) { #m, CODEC_VSTR, 0, offsetof(S, m), \
	sizeof(((S *)0)->m) - 1 }
#define V_UINT(S, m, mx) { #m, CODEC_VUINT, sizeof(((S *)0)->m), \
	offsetof(S, m), mx }
#define V_TIME(S, m) { #m, CODEC_VTIME, 8, offsetof(S, m), INT64_MAX }
#define T struct ld_ticket
#define W struct ld_wo

static const struct codec_vfield codec_vticket[] = {
	V_STR(T, id), V_STR(T, owner), V_STR(T, transfer_to),
	V_UINT(T, transfer_dir, LD_DIR_DOWN),
	V_UINT(T, state, LD_TS__COUNT - 1),
	V_UINT(T, reported, 1), V_UINT(T, called_back, 1), V_UINT(T, closed, 1),
	V_UINT(T, urgency, LD_URGENCY_MAX),
	V_UINT(T, satisfaction, LD_SAT_UNSATISFIED),
	V_UINT(T, method, LD_METHOD_VISIT),
	V_UINT(T, n_wo, LD_WO_MAX),
	V_TIME(T, created_ms), V_TIME(T, updated_ms), V_TIME(T, completed_ms),
	V_TIME(T, closed_ms),
	V_UINT(T, events, UINT32_MAX),
	V_UINT(T, reopens, UINT16_MAX), V_UINT(T, callbacks, UINT16_MAX),
	V_UINT(T, transfers, UINT16_MAX), V_UINT(T, announcements, UINT16_MAX),
	V_STR(T, rule), V_STR(T, plan),
};

/* The details: what the caller told, written when the ticket is created
 * (and when it is reclassified), not with every event. */
static const struct codec_vfield codec_vdetail[] = {
	V_STR(T, caller), V_STR(T, phone), V_STR(T, place), V_STR(T, area),
	V_STR(T, category), V_STR(T, text),
};

static const struct codec_vfield codec_vwo[] = {
	V_STR(W, unit),
	V_UINT(W, state, LD_WO__COUNT - 1),
	V_UINT(W, replaces, LD_WO_MAX),
	V_UINT(W, ext_pending, 1),
	V_TIME(W, dispatched_ms), V_TIME(W, due_sign_ms), V_TIME(W, due_done_ms),
	V_TIME(W, signed_ms), V_TIME(W, completed_ms), V_TIME(W, returned_ms),
	V_TIME(W, ext_until_ms),
	V_UINT(W, urges, UINT16_MAX), V_UINT(W, supervisions, UINT16_MAX),
	V_UINT(W, extensions, UINT16_MAX), V_UINT(W, ext_refusals, UINT16_MAX),
	V_UINT(W, progress_notes, UINT16_MAX), V_UINT(W, returns, UINT16_MAX),
	V_STR(W, settled_unit),
};

#undef T
#undef W
#define CODEC_NT (sizeof(codec_vticket) / sizeof(codec_vticket[0]))
#define CODEC_NW (sizeof(codec_vwo) / sizeof(codec_vwo[0]))
#define CODEC_ND (sizeof(codec_vdetail) / sizeof(codec_vdetail[0]))

/* Where we are, for messages: "view[.wo[<widx>]][.<name>]: ...". */
struct codec_vctx {
	const uint8_t *p;
	size_t len;
	size_t off;
	struct ld_err *err;
	int code;		/* LD_EINVAL encoding, LD_ECORRUPT decoding */
	const char *name;	/* NULL: the view as a whole */
	int widx;		/* work order index, -1 for none */
};

static int codec_vfail(struct codec_vctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), cold));

/* Set err to c->code and "<path>: <formatted>"; return the code. */
static int
codec_vfail(struct codec_vctx *c, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX], wo[16] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->widx >= 0)
		snprintf(wo, sizeof(wo), ".wo[%d]", c->widx);
	return err_set(c->err, c->code, "view%s%s%s: %s", wo,
	    c->name != NULL ? "." : "", c->name != NULL ? c->name : "", msg);
}

/* ---- encoder ----------------------------------------------------------- */

struct codec_vwr {
	uint8_t *p;
	size_t cap;
	size_t off;	/* bytes asked for, written or not */
};

static inline void
codec_vput(struct codec_vwr *w, const void *src, size_t n)
{
	if (n <= w->cap && w->off <= w->cap - n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

/* A header: tag then the low nb bytes of v, big-endian.  Stored directly
 * while there is room (the common case); this is the hot loop. */
static inline void
codec_vhdr(struct codec_vwr *w, unsigned tag, uint64_t v, int nb)
{
	uint8_t b[9], *d = b;
	bool room = w->cap >= 9 && w->off <= w->cap - 9;

	if (room)
		d = w->p + w->off;
	d[0] = (uint8_t)tag;
	for (int i = 0; i < nb; i++)
		d[1 + i] = (uint8_t)(v >> (8 * (nb - 1 - i)));
	if (room)
		w->off += 1 + (size_t)nb;
	else
		codec_vput(w, b, 1 + (size_t)nb);
}

static inline void
codec_vuint(struct codec_vwr *w, uint64_t v)
{
	if (v < 0x80)
		codec_vhdr(w, (unsigned)v, 0, 0);
	else if (v <= 0xff)
		codec_vhdr(w, 0xcc, v, 1);
	else if (v <= 0xffff)
		codec_vhdr(w, 0xcd, v, 2);
	else if (v <= 0xffffffff)
		codec_vhdr(w, 0xce, v, 4);
	else
		codec_vhdr(w, 0xcf, v, 8);
}

static inline void
codec_varray(struct codec_vwr *w, size_t n)
{
	if (n < 16)
		codec_vhdr(w, 0x90 | (unsigned)n, 0, 0);
	else
		codec_vhdr(w, 0xdc, n, 2);	/* never more than 65535 */
}

static inline void
codec_vstr(struct codec_vwr *w, const char *s, size_t n)
{
	if (n < 32)
		codec_vhdr(w, 0xa0 | (unsigned)n, 0, 0);
	else if (n <= 0xff)
		codec_vhdr(w, 0xd9, n, 1);
	else
		codec_vhdr(w, 0xda, n, 2);	/* LD_TEXT_MAX < 65536 */
	codec_vput(w, s, n);
}

static inline uint64_t
codec_vload(const char *p, int width)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	switch (width) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	default: memcpy(&u32, p, 4); return u32;
	}
}

/* Check and encode the n fields of the struct at base. */
static int
codec_vput_fields(struct codec_vctx *c, struct codec_vwr *w, const char *base,
    const struct codec_vfield *f, size_t n)
{
	for (size_t i = 0; i < n; i++, f++) {
		const char *p = base + f->off;
		uint64_t u;
		int64_t t;
		size_t len;

		switch (f->type) {
		case CODEC_VSTR:
			len = strnlen(p, f->max + 1);
			if (len > f->max) {
				c->name = f->name;
				return codec_vfail(c, "string exceeds limit %"
				    PRIu64 " (no NUL within the buffer)", f->max);
			}
			codec_vstr(w, p, len);
			break;
		case CODEC_VUINT:
			u = codec_vload(p, f->width);
			if (u > f->max) {
				c->name = f->name;
				return codec_vfail(c, "%" PRIu64 " out of range "
				    "0..%" PRIu64, u, f->max);
			}
			codec_vuint(w, u);
			break;
		default:
			memcpy(&t, p, sizeof(t));
			if (t < 0) {
				c->name = f->name;
				return codec_vfail(c, "%" PRId64 " is negative", t);
			}
			codec_vuint(w, (uint64_t)t);
			break;
		}
	}
	return LD_OK;
}

/*
 * Encode the view of *t (see codec.h).  Returns the length, LD_EINVAL if
 * a field is out of range (n_wo > LD_WO_MAX, a string without NUL, a
 * negative time, an enum beyond its last value) or LD_ELIMIT if buf is
 * too small.  Bytes after a string's NUL and work orders beyond n_wo are
 * not encoded.
 */
int
codec_ticket_encode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    struct ld_err *err)
{
	struct codec_vwr w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	struct codec_vctx c = { .err = err, .code = LD_EINVAL, .widx = -1 };
	int rc;

	if (t == NULL)
		return err_set(err, LD_EINVAL, "no ticket");
	codec_varray(&w, CODEC_NT + 2);
	codec_vuint(&w, LD_VIEW_FORMAT);
	rc = codec_vput_fields(&c, &w, (const char *)t, codec_vticket, CODEC_NT);
	if (rc != 0)
		return rc;
	/* n_wo <= LD_WO_MAX was checked with the fields */
	codec_varray(&w, t->n_wo);
	for (int i = 0; i < t->n_wo; i++) {
		c.widx = i;
		codec_varray(&w, CODEC_NW);
		rc = codec_vput_fields(&c, &w, (const char *)&t->wo[i],
		    codec_vwo, CODEC_NW);
		if (rc != 0)
			return rc;
	}
	if (w.off > LD_VIEW_MAX || w.off > w.cap)
		return err_set(err, LD_ELIMIT, "encoded view of %zu bytes does "
		    "not fit in %zu", w.off, w.off > LD_VIEW_MAX ?
		    (size_t)LD_VIEW_MAX : w.cap);
	return (int)w.off;
}

/* ---- decoder ----------------------------------------------------------- */

/* Read a canonical header of kind 'u' (unsigned int), 's' (string) or
 * 'a' (array) into *v: the value, or the length / count. */
static int
codec_vnext(struct codec_vctx *c, int kind, uint64_t *v)
{
	size_t at = c->off;
	unsigned b, canon;
	int nb;

	*v = 0;
	if (at >= c->len)
		return codec_vfail(c, "truncated at byte %zu", at);
	b = c->p[at];
	if (kind == 'u' && b < 0x80) {
		*v = b;
		c->off++;
		return LD_OK;
	}
	if ((kind == 's' && b >= 0xa0 && b <= 0xbf) ||
	    (kind == 'a' && b >= 0x90 && b <= 0x9f)) {
		*v = b & (kind == 's' ? 0x1f : 0x0f);
		c->off++;
		return LD_OK;
	}
	switch (b) {
	case 0xcc: case 0xd9: nb = 1; break;
	case 0xcd: case 0xda: case 0xdc: nb = 2; break;
	case 0xce: case 0xdb: case 0xdd: nb = 4; break;
	case 0xcf: nb = 8; break;
	default: nb = 0; break;
	}
	if (nb == 0 || (kind == 'u' && b > 0xcf) ||
	    (kind == 's' && (b < 0xd9 || b > 0xdb)) ||
	    (kind == 'a' && b != 0xdc && b != 0xdd))
		return codec_vfail(c, "expected %s, got byte 0x%02x at byte %zu",
		    kind == 'u' ? "unsigned integer" : kind == 's' ? "string" :
		    "array", b, at);
	if ((size_t)nb > c->len - at - 1)
		return codec_vfail(c, "truncated at byte %zu", at);
	for (int i = 1; i <= nb; i++)
		*v = (*v << 8) | c->p[at + (size_t)i];
	c->off = at + 1 + (size_t)nb;
	if (kind == 'u')
		canon = *v < 0x80 ? 0 : *v <= 0xff ? 0xcc : *v <= 0xffff ?
		    0xcd : *v <= 0xffffffff ? 0xce : 0xcf;
	else if (kind == 's')
		canon = *v < 32 ? 0 : *v <= 0xff ? 0xd9 : *v <= 0xffff ?
		    0xda : 0xdb;
	else
		canon = *v < 16 ? 0 : *v <= 0xffff ? 0xdc : 0xdd;
	if (canon != b)
		return codec_vfail(c, "non-canonical encoding at byte %zu", at);
	return LD_OK;
}

/* codec_vnext for the common cases, inline: a canonical unsigned
 * integer ('u') or string header ('s').  Anything else, including every
 * error, goes the slow way. */
static inline int
codec_vfast(struct codec_vctx *c, int kind, uint64_t *v)
{
	size_t at = c->off, nb;
	unsigned b;
	uint64_t x = 0;

	if (at >= c->len)
		return codec_vnext(c, kind, v);
	b = c->p[at];
	if (kind == 'u') {
		if (b < 0x80) {
			*v = b;
			c->off = at + 1;
			return LD_OK;
		}
		if (b < 0xcc || b > 0xcf)
			return codec_vnext(c, kind, v);
		nb = (size_t)1 << (b - 0xcc);
	} else {
		if (b >= 0xa0 && b <= 0xbf) {
			*v = b & 0x1f;
			c->off = at + 1;
			return LD_OK;
		}
		if (b != 0xd9 && b != 0xda)
			return codec_vnext(c, kind, v);
		nb = b == 0xd9 ? 1 : 2;
	}
	if (nb > c->len - at - 1)
		return codec_vnext(c, kind, v);
	for (size_t i = 1; i <= nb; i++)
		x = (x << 8) | c->p[at + i];
	if (kind == 'u' ? (x < 0x80 || (nb > 1 && x >> (4 * nb) == 0)) :
	    (x < 32 || (nb > 1 && x <= 0xff)))
		return codec_vnext(c, kind, v);	/* not canonical */
	*v = x;
	c->off = at + 1 + nb;
	return LD_OK;
}

/* Read an array header that must announce exactly n entries. */
static int
codec_varray_n(struct codec_vctx *c, uint64_t n)
{
	uint64_t got;
	int rc;

	if ((rc = codec_vnext(c, 'a', &got)) != 0)
		return rc;
	if (got != n)
		return codec_vfail(c, "array of %" PRIu64 " entries, expected %"
		    PRIu64, got, n);
	return LD_OK;
}

/* Decode the n fields of the struct at base (zeroed by the caller). */
static int
codec_vget_fields(struct codec_vctx *c, char *base,
    const struct codec_vfield *f, size_t n)
{
	for (size_t i = 0; i < n; i++, f++) {
		char *p = base + f->off;
		uint64_t u;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		int64_t t;
		int rc;

		c->name = f->name;
		if ((rc = codec_vfast(c, f->type == CODEC_VSTR ? 's' : 'u',
		    &u)) != 0)
			return rc;
		if (u > f->max) {
			if (f->type == CODEC_VSTR)
				return codec_vfail(c, "string of %" PRIu64
				    " bytes exceeds limit %" PRIu64, u, f->max);
			return codec_vfail(c, "%" PRIu64 " out of range 0..%"
			    PRIu64, u, f->max);
		}
		switch (f->type) {
		case CODEC_VSTR:
			if (u > c->len - c->off)
				return codec_vfail(c, "truncated at byte %zu",
				    c->off);
			if (memchr(c->p + c->off, 0, u) != NULL)
				return codec_vfail(c, "NUL byte in string");
			memcpy(p, c->p + c->off, u);
			c->off += u;
			break;
		case CODEC_VUINT:
			switch (f->width) {
			case 1: u8 = (uint8_t)u; memcpy(p, &u8, 1); break;
			case 2: u16 = (uint16_t)u; memcpy(p, &u16, 2); break;
			default: u32 = (uint32_t)u; memcpy(p, &u32, 4); break;
			}
			break;
		default:
			t = (int64_t)u;
			memcpy(p, &t, sizeof(t));
			break;
		}
	}
	c->name = NULL;
	return LD_OK;
}

/*
 * Decode a view into *t, which is zeroed first (so unused bytes are zero
 * and decoded views compare with memcmp).  Any deviation from the
 * canonical encoding, a value out of range, a count that disagrees with
 * n_wo, truncation or trailing bytes give LD_ECORRUPT with the place.
 */
int
codec_ticket_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err)
{
	struct codec_vctx c = { .p = buf, .len = len, .err = err,
		.code = LD_ECORRUPT, .widx = -1 };
	uint64_t u;
	int rc;

	if (t == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no ticket or no buffer");
	memset(t, 0, sizeof(*t));
	if (len > LD_VIEW_MAX)
		return codec_vfail(&c, "%zu bytes exceeds limit %d", len,
		    LD_VIEW_MAX);
	if ((rc = codec_varray_n(&c, CODEC_NT + 2)) != 0)
		return rc;
	if ((rc = codec_vnext(&c, 'u', &u)) != 0)
		return rc;
	if (u != LD_VIEW_FORMAT)
		return codec_vfail(&c, "format %" PRIu64 ", expected %d", u,
		    LD_VIEW_FORMAT);
	rc = codec_vget_fields(&c, (char *)t, codec_vticket, CODEC_NT);
	if (rc != 0)
		return rc;
	c.name = "wo";
	if ((rc = codec_vnext(&c, 'a', &u)) != 0)
		return rc;
	if (u != t->n_wo)
		return codec_vfail(&c, "%" PRIu64 " entries, n_wo is %u", u,
		    (unsigned)t->n_wo);
	for (int i = 0; i < t->n_wo; i++) {
		c.widx = i;
		c.name = NULL;
		if ((rc = codec_varray_n(&c, CODEC_NW)) != 0)
			return rc;
		rc = codec_vget_fields(&c, (char *)&t->wo[i], codec_vwo,
		    CODEC_NW);
		if (rc != 0)
			return rc;
	}
	c.widx = -1;
	c.name = NULL;
	if (c.off != len)
		return codec_vfail(&c, "%zu trailing bytes", len - c.off);
	return LD_OK;
}

/*
 * The details of *t (caller, phone, place, area, category, text): an
 * array of LD_VIEW_FORMAT and those strings.  Same rules as the view.
 */
int
codec_details_encode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    struct ld_err *err)
{
	struct codec_vwr w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	struct codec_vctx c = { .err = err, .code = LD_EINVAL, .widx = -1 };
	int rc;

	if (t == NULL)
		return err_set(err, LD_EINVAL, "no ticket");
	codec_varray(&w, CODEC_ND + 1);
	codec_vuint(&w, LD_VIEW_FORMAT);
	rc = codec_vput_fields(&c, &w, (const char *)t, codec_vdetail, CODEC_ND);
	if (rc != 0)
		return rc;
	if (w.off > LD_VIEW_MAX || w.off > w.cap)
		return err_set(err, LD_ELIMIT, "encoded details of %zu bytes do "
		    "not fit in %zu", w.off, w.off > LD_VIEW_MAX ?
		    (size_t)LD_VIEW_MAX : w.cap);
	return (int)w.off;
}

/* Decode details into the detail fields of *t (zeroed first); the rest of
 * *t is left alone.  LD_ECORRUPT with the place on any deviation. */
int
codec_details_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err)
{
	struct codec_vctx c = { .p = buf, .len = len, .err = err,
		.code = LD_ECORRUPT, .widx = -1 };
	uint64_t u;
	int rc;

	if (t == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no ticket or no buffer");
	for (size_t i = 0; i < CODEC_ND; i++)
		memset((char *)t + codec_vdetail[i].off, 0,
		    codec_vdetail[i].max + 1);
	if (len > LD_VIEW_MAX)
		return codec_vfail(&c, "%zu bytes exceeds limit %d", len,
		    LD_VIEW_MAX);
	if ((rc = codec_varray_n(&c, CODEC_ND + 1)) != 0)
		return rc;
	if ((rc = codec_vnext(&c, 'u', &u)) != 0)
		return rc;
	if (u != LD_VIEW_FORMAT)
		return codec_vfail(&c, "format %" PRIu64 ", expected %d", u,
		    LD_VIEW_FORMAT);
	rc = codec_vget_fields(&c, (char *)t, codec_vdetail, CODEC_ND);
	if (rc != 0)
		return rc;
	if (c.off != len)
		return codec_vfail(&c, "%zu trailing bytes", len - c.off);
	return LD_OK;
}
