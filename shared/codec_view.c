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
 * The layout is data (the tables below), shared by both directions; the
 * bytes are written with the writer of codec_mp.h and read with a
 * canonical-only header reader of its own (codec_vnext).
 */
#include "codec.h"
#include "codec_mp.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A change of struct ld_ticket or struct ld_wo breaks this on purpose:
 * update the tables below and raise LD_VIEW_FORMAT (and the store schema
 * if old views can no longer be read), then the sizes here. */
_Static_assert(sizeof(struct ld_ticket) == 5264,
    "struct ld_ticket changed: update codec_view.c tables, LD_VIEW_FORMAT");
_Static_assert(sizeof(struct ld_wo) == 160,
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
	V_STR(T, rule), V_STR(T, plan), V_STR(T, incident),
	V_STR(T, area),		/* also a detail: in the view for by_plan */
	V_UINT(T, gov_reports, UINT16_MAX),
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
	V_UINT(W, rulings, UINT16_MAX),
	V_TIME(W, ruled_ms),
	V_STR(W, settled_unit),
};

#undef T
#undef W
#define CODEC_NT (sizeof(codec_vticket) / sizeof(codec_vticket[0]))
#define CODEC_NW (sizeof(codec_vwo) / sizeof(codec_vwo[0]))
#define CODEC_ND (sizeof(codec_vdetail) / sizeof(codec_vdetail[0]))

/* Where we are, for messages: "view[.wo[<widx>]][.<name>]: ...". */
struct codec_vctx {
	struct codec_mp_rd r;	/* first: codec_vpath casts back */
	int code;		/* LD_EINVAL encoding, LD_ECORRUPT decoding */
	const char *name;	/* NULL: the view as a whole */
	int widx;		/* work order index, -1 for none */
};

/* The path hook of codec_vctx: "view[.wo[<widx>]][.<name>]", always. */
static bool
codec_vpath(const struct codec_mp_rd *r, char *buf, size_t cap)
{
	const struct codec_vctx *c = (const struct codec_vctx *)r;
	char wo[16] = "";

	if (c->widx >= 0)
		snprintf(wo, sizeof(wo), ".wo[%d]", c->widx);
	snprintf(buf, cap, "view%s%s%s", wo, c->name != NULL ? "." : "",
	    c->name != NULL ? c->name : "");
	return true;
}

/* ---- encoder ----------------------------------------------------------- */

/* The unsigned integer of width bytes at p. */
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
codec_vput_fields(struct codec_vctx *c, struct codec_mp_wr *w,
    const char *base, const struct codec_vfield *f, size_t n)
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
				return codec_mp_fail(&c->r, c->code,
				    "string exceeds limit %" PRIu64
				    " (no NUL within the buffer)", f->max);
			}
			codec_mp_put_str(w, p, len);
			break;
		case CODEC_VUINT:
			u = codec_vload(p, f->width);
			if (u > f->max) {
				c->name = f->name;
				return codec_mp_fail(&c->r, c->code, "%" PRIu64
				    " out of range 0..%" PRIu64, u, f->max);
			}
			codec_mp_put_uint(w, u);
			break;
		default:
			memcpy(&t, p, sizeof(t));
			if (t < 0) {
				c->name = f->name;
				return codec_mp_fail(&c->r, c->code, "%" PRId64
				    " is negative", t);
			}
			codec_mp_put_uint(w, (uint64_t)t);
			break;
		}
	}
	return LD_OK;
}

/* Check and encode *t as a view, or as its details if details: the
 * array, LD_VIEW_FORMAT, the fields of the table, then (view only) the
 * work orders.  The length, or the error (see codec.h). */
static int
codec_vencode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    bool details, struct ld_err *err)
{
	struct codec_mp_wr w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	struct codec_vctx c = { .r = { .err = err, .path = codec_vpath },
		.code = LD_EINVAL, .widx = -1 };
	int rc;

	if (t == NULL)
		return err_set(err, LD_EINVAL, "no ticket");
	codec_mp_put_array(&w, details ? CODEC_ND + 1 : CODEC_NT + 2);
	codec_mp_put_uint(&w, LD_VIEW_FORMAT);
	rc = codec_vput_fields(&c, &w, (const char *)t, details ?
	    codec_vdetail : codec_vticket, details ? CODEC_ND : CODEC_NT);
	if (rc != 0)
		return rc;
	if (!details) {
		/* n_wo <= LD_WO_MAX was checked with the fields */
		codec_mp_put_array(&w, t->n_wo);
		for (int i = 0; i < t->n_wo; i++) {
			c.widx = i;
			codec_mp_put_array(&w, CODEC_NW);
			rc = codec_vput_fields(&c, &w, (const char *)&t->wo[i],
			    codec_vwo, CODEC_NW);
			if (rc != 0)
				return rc;
		}
	}
	if (w.off > LD_VIEW_MAX || w.off > w.cap)
		return err_set(err, LD_ELIMIT, "encoded %s of %zu bytes %s not "
		    "fit in %zu", details ? "details" : "view", w.off,
		    details ? "do" : "does", w.off > LD_VIEW_MAX ?
		    (size_t)LD_VIEW_MAX : w.cap);
	return (int)w.off;
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
	return codec_vencode(t, buf, cap, false, err);
}

/*
 * The details of *t (caller, phone, place, area, category, text): an
 * array of LD_VIEW_FORMAT and those strings.  Same rules as the view.
 */
int
codec_details_encode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    struct ld_err *err)
{
	return codec_vencode(t, buf, cap, true, err);
}

/* ---- decoder ----------------------------------------------------------- */

/* The tag of the canonical header of kind 'u', 's' or 'a' for v: the
 * only one the decoder accepts. */
static inline unsigned
codec_vcanon(int kind, uint64_t v)
{
	return kind == 'u' ? codec_mp_uint_tag(v) : kind == 's' ?
	    codec_mp_str_tag(v) : codec_mp_array_tag(v);
}

/* Read a canonical header of kind 'u' (unsigned int), 's' (string) or
 * 'a' (array) into *v: the value, or the length / count. */
static int
codec_vnext(struct codec_vctx *c, int kind, uint64_t *v)
{
	size_t at = c->r.off;
	unsigned b;
	int nb;

	*v = 0;
	if (at >= c->r.len)
		return codec_mp_fail(&c->r, c->code, "truncated at byte %zu",
		    at);
	b = c->r.p[at];
	if (kind == 'u' && b < 0x80) {
		*v = b;
		c->r.off++;
		return LD_OK;
	}
	if ((kind == 's' && b >= 0xa0 && b <= 0xbf) ||
	    (kind == 'a' && b >= 0x90 && b <= 0x9f)) {
		*v = b & (kind == 's' ? 0x1f : 0x0f);
		c->r.off++;
		return LD_OK;
	}
	nb = codec_mp_tag_extra(b);
	if (nb == 0 || (kind == 'u' && b > 0xcf) ||
	    (kind == 's' && (b < 0xd9 || b > 0xdb)) ||
	    (kind == 'a' && b != 0xdc && b != 0xdd))
		return codec_mp_fail(&c->r, c->code,
		    "expected %s, got byte 0x%02x at byte %zu",
		    kind == 'u' ? "unsigned integer" : kind == 's' ? "string" :
		    "array", b, at);
	if ((size_t)nb > c->r.len - at - 1)
		return codec_mp_fail(&c->r, c->code, "truncated at byte %zu",
		    at);
	*v = codec_mp_be(c->r.p + at + 1, nb);
	c->r.off = at + 1 + (size_t)nb;
	if (codec_vcanon(kind, *v) != b)
		return codec_mp_fail(&c->r, c->code,
		    "non-canonical encoding at byte %zu", at);
	return LD_OK;
}

/* codec_vnext for the common cases, inline: a canonical unsigned
 * integer ('u') or string header ('s').  Anything else, including every
 * error, goes the slow way. */
static inline int
codec_vfast(struct codec_vctx *c, int kind, uint64_t *v)
{
	size_t at = c->r.off, nb;
	unsigned b;
	uint64_t x;

	if (at >= c->r.len)
		return codec_vnext(c, kind, v);
	b = c->r.p[at];
	if (kind == 'u') {
		if (b < 0x80) {
			*v = b;
			c->r.off = at + 1;
			return LD_OK;
		}
		if (b < 0xcc || b > 0xcf)
			return codec_vnext(c, kind, v);
		nb = (size_t)1 << (b - 0xcc);
	} else {
		if (b >= 0xa0 && b <= 0xbf) {
			*v = b & 0x1f;
			c->r.off = at + 1;
			return LD_OK;
		}
		if (b != 0xd9 && b != 0xda)
			return codec_vnext(c, kind, v);
		nb = b == 0xd9 ? 1 : 2;
	}
	if (nb > c->r.len - at - 1)
		return codec_vnext(c, kind, v);
	x = codec_mp_be(c->r.p + at + 1, (int)nb);
	if (codec_vcanon(kind, x) != b)
		return codec_vnext(c, kind, v);	/* not canonical */
	*v = x;
	c->r.off = at + 1 + nb;
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
		return codec_mp_fail(&c->r, c->code, "array of %" PRIu64
		    " entries, expected %" PRIu64, got, n);
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
				return codec_mp_fail(&c->r, c->code,
				    "string of %" PRIu64 " bytes exceeds "
				    "limit %" PRIu64, u, f->max);
			return codec_mp_fail(&c->r, c->code, "%" PRIu64
			    " out of range 0..%" PRIu64, u, f->max);
		}
		switch (f->type) {
		case CODEC_VSTR:
			if (u > c->r.len - c->r.off)
				return codec_mp_fail(&c->r, c->code,
				    "truncated at byte %zu", c->r.off);
			if (memchr(c->r.p + c->r.off, 0, u) != NULL)
				return codec_mp_fail(&c->r, c->code,
				    "NUL byte in string");
			memcpy(p, c->r.p + c->r.off, u);
			c->r.off += u;
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

/* Decode the work order array of a view into t->wo (n_wo decoded
 * already). */
static int
codec_vget_wos(struct codec_vctx *c, struct ld_ticket *t)
{
	uint64_t u;
	int rc;

	c->name = "wo";
	if ((rc = codec_vnext(c, 'a', &u)) != 0)
		return rc;
	if (u != t->n_wo)
		return codec_mp_fail(&c->r, c->code, "%" PRIu64
		    " entries, n_wo is %u", u, (unsigned)t->n_wo);
	for (int i = 0; i < t->n_wo; i++) {
		c->widx = i;
		c->name = NULL;
		if ((rc = codec_varray_n(c, CODEC_NW)) != 0)
			return rc;
		rc = codec_vget_fields(c, (char *)&t->wo[i], codec_vwo,
		    CODEC_NW);
		if (rc != 0)
			return rc;
	}
	c->widx = -1;
	c->name = NULL;
	return LD_OK;
}

/* Zero the n fields of the struct at base. */
static void
codec_vzero(char *base, const struct codec_vfield *f, size_t n)
{
	for (size_t i = 0; i < n; i++, f++)
		memset(base + f->off, 0, f->type == CODEC_VSTR ? f->max + 1 :
		    f->type == CODEC_VUINT ? f->width : sizeof(int64_t));
}

/* Which part of a view codec_vdecode reads. */
enum codec_vpart {
	CODEC_VALL,		/* the state: *t zeroed first */
	CODEC_VDETAILS,		/* the details: their fields zeroed first */
	CODEC_VHEAD,		/* the ticket's own fields of the state, not
				 * its work orders: those fields zeroed
				 * first, n_wo 0 after */
};

/* Decode part of a view into *t, the rest of *t left alone.  0, or
 * LD_ECORRUPT with the place (see codec_ticket_decode). */
static int
codec_vdecode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    enum codec_vpart part, struct ld_err *err)
{
	struct codec_vctx c = { .r = { .p = buf, .len = len, .err = err,
		.path = codec_vpath }, .code = LD_ECORRUPT, .widx = -1 };
	bool details = part == CODEC_VDETAILS;
	uint64_t u;
	int rc;

	if (t == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "no ticket or no buffer");
	if (part == CODEC_VALL)
		memset(t, 0, sizeof(*t));
	else if (details)
		codec_vzero((char *)t, codec_vdetail, CODEC_ND);
	else
		codec_vzero((char *)t, codec_vticket, CODEC_NT);
	if (len > LD_VIEW_MAX)
		return codec_mp_fail(&c.r, c.code,
		    "%zu bytes exceeds limit %d", len, LD_VIEW_MAX);
	if ((rc = codec_varray_n(&c, details ? CODEC_ND + 1 :
	    CODEC_NT + 2)) != 0)
		return rc;
	if ((rc = codec_vnext(&c, 'u', &u)) != 0)
		return rc;
	if (u != LD_VIEW_FORMAT)
		return codec_mp_fail(&c.r, c.code, "format %" PRIu64
		    ", expected %d", u, LD_VIEW_FORMAT);
	rc = codec_vget_fields(&c, (char *)t, details ? codec_vdetail :
	    codec_vticket, details ? CODEC_ND : CODEC_NT);
	if (part == CODEC_VHEAD) {
		t->n_wo = 0;	/* its work orders were not read */
		return rc;
	}
	if (rc == 0 && !details)
		rc = codec_vget_wos(&c, t);
	if (rc == 0 && c.r.off != len)
		return codec_mp_fail(&c.r, c.code, "%zu trailing bytes",
		    len - c.r.off);
	return rc;
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
	return codec_vdecode(buf, len, t, CODEC_VALL, err);
}

/* The ticket's own fields of a view (codec.h); damage in them gives
 * LD_ECORRUPT with the place, the work orders are not read. */
int
codec_ticket_head_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err)
{
	return codec_vdecode(buf, len, t, CODEC_VHEAD, err);
}

/* Decode details into the detail fields of *t (zeroed first); the rest of
 * *t is left alone.  LD_ECORRUPT with the place on any deviation. */
int
codec_details_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err)
{
	return codec_vdecode(buf, len, t, CODEC_VDETAILS, err);
}
