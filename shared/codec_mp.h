/*
 * codec_mp.h - the bounded msgpack primitives under codec_event.c and
 * codec_view.c.  Private to the codecs: not part of the library's API
 * (that is codec.h).
 *
 * Owns the byte level of msgpack and nothing of any schema:
 *  - a writer that always uses the shortest encoding and counts the bytes
 *    it was asked for, so an overflow is noticed once, at the end;
 *  - the tags of the shortest encodings, which the view decoder also uses
 *    to reject every other one;
 *  - a bounded reader (codec_mp.c): every length is checked against the
 *    bytes that are really there before it is used, no allocation, no
 *    recursion, and every error names the place being read through the
 *    caller's path hook.
 * The writer and the tag helpers are inline because the view codec runs
 * them in its hot loop (docs/performance.md).
 */
#ifndef LD_CODEC_MP_H
#define LD_CODEC_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

/* ---- shortest encodings ------------------------------------------------ */

/* The tag of the shortest encoding of unsigned integer v. */
static inline unsigned
codec_mp_uint_tag(uint64_t v)
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

/* The tag of the shortest header of a string of n bytes. */
static inline unsigned
codec_mp_str_tag(uint64_t n)
{
	if (n < 32)
		return 0xa0 | (unsigned)n;
	return n <= 0xff ? 0xd9 : n <= 0xffff ? 0xda : 0xdb;
}

/* The tag of the shortest header of an array of n entries. */
static inline unsigned
codec_mp_array_tag(uint64_t n)
{
	if (n < 16)
		return 0x90 | (unsigned)n;
	return n <= 0xffff ? 0xdc : 0xdd;
}

/* The tag of the shortest header of a map of n entries. */
static inline unsigned
codec_mp_map_tag(uint64_t n)
{
	if (n < 16)
		return 0x80 | (unsigned)n;
	return n <= 0xffff ? 0xde : 0xdf;
}

/* How many big-endian bytes follow tag for an unsigned integer, or a
 * string, array or map length; 0 for every other tag. */
static inline int
codec_mp_tag_extra(unsigned tag)
{
	switch (tag) {
	case 0xcc: case 0xd9: return 1;
	case 0xcd: case 0xda: case 0xdc: case 0xde: return 2;
	case 0xce: case 0xdb: case 0xdd: case 0xdf: return 4;
	case 0xcf: return 8;
	default: return 0;
	}
}

/* The nb big-endian bytes at p as an unsigned integer. */
static inline uint64_t
codec_mp_be(const uint8_t *p, int nb)
{
	uint64_t v = 0;

	for (int i = 0; i < nb; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- writer ------------------------------------------------------------ */

/* Output buffer.  off counts every byte asked for, written or not, so an
 * overflow is noticed once, at the end, with the size that was needed. */
struct codec_mp_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
};

/* Append n bytes of src if they fit; count them either way. */
static inline void
codec_mp_put(struct codec_mp_wr *w, const void *src, size_t n)
{
	if (n <= w->cap && w->off <= w->cap - n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

/* Append tag then the low nb bytes of v, big-endian.  Stored directly
 * while there is room (the common case); this is the hot loop. */
static inline void
codec_mp_put_hdr(struct codec_mp_wr *w, unsigned tag, uint64_t v, int nb)
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
		codec_mp_put(w, b, 1 + (size_t)nb);
}

/* Append unsigned integer v in its shortest form. */
static inline void
codec_mp_put_uint(struct codec_mp_wr *w, uint64_t v)
{
	unsigned tag = codec_mp_uint_tag(v);

	codec_mp_put_hdr(w, tag, v, codec_mp_tag_extra(tag));
}

/* Append the n bytes at s as a string with its shortest header. */
static inline void
codec_mp_put_str(struct codec_mp_wr *w, const char *s, size_t n)
{
	unsigned tag = codec_mp_str_tag(n);

	codec_mp_put_hdr(w, tag, n, codec_mp_tag_extra(tag));
	codec_mp_put(w, s, n);
}

/* Append the shortest header of an array of n entries. */
static inline void
codec_mp_put_array(struct codec_mp_wr *w, size_t n)
{
	unsigned tag = codec_mp_array_tag(n);

	codec_mp_put_hdr(w, tag, n, codec_mp_tag_extra(tag));
}

/* Append the shortest header of a map of n pairs. */
static inline void
codec_mp_put_map(struct codec_mp_wr *w, size_t n)
{
	unsigned tag = codec_mp_map_tag(n);

	codec_mp_put_hdr(w, tag, n, codec_mp_tag_extra(tag));
}

/* Append a boolean. */
static inline void
codec_mp_put_bool(struct codec_mp_wr *w, bool b)
{
	codec_mp_put_hdr(w, b ? 0xc3 : 0xc2, 0, 0);
}

/* ---- reader (codec_mp.c) ----------------------------------------------- */

/* The msgpack types, as the reader tells them apart. */
enum codec_mp_type { CODEC_MP_NIL, CODEC_MP_BOOL, CODEC_MP_UINT,
	CODEC_MP_NEG, CODEC_MP_FLOAT, CODEC_MP_STR, CODEC_MP_BIN,
	CODEC_MP_ARRAY, CODEC_MP_MAP, CODEC_MP_EXT };

/* The header of one value. */
struct codec_mp_val {
	enum codec_mp_type type;
	unsigned tag;	/* first byte */
	uint64_t u;	/* UINT value; BOOL 0/1; STR/BIN/EXT bytes;
			 * ARRAY/MAP entries */
	int64_t i;	/* NEG value (< 0) */
};

/* Input, where we are, and where errors go.  path, called only when a
 * message is made, writes the place being read ("body.units[2]") into
 * buf and returns true, or returns false when there is no place: the
 * message is then "<path>: <text>" or just "<text>". */
struct codec_mp_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	struct ld_err *err;
	bool (*path)(const struct codec_mp_rd *r, char *buf, size_t cap);
};

/* A reader with the path of the value being read, "<sect><name>[<idx>]"
 * ("body.units[2]", "args.phone"), formatted only when something is wrong.
 * Set r.path = codec_mp_pctx_path. */
struct codec_mp_pctx {
	struct codec_mp_rd r;	/* first: codec_mp_pctx_path casts back */
	const char *sect;	/* "", "body.", "args.", "error." */
	const char *name;	/* NULL: no path */
	int idx;		/* array element, -1 for none */
};
bool codec_mp_pctx_path(const struct codec_mp_rd *r, char *buf, size_t cap);

/* Set r->err to code and "<path>: <formatted>"; return code. */
int codec_mp_fail(struct codec_mp_rd *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

/* Quote hostile bytes s[0..n) into out (cap >= 8) for a message: printable
 * ASCII as is, the rest as \xNN, at most 32 input bytes then "...".
 * Returns out. */
const char *codec_mp_quote(char *out, size_t cap, const uint8_t *s, size_t n);

/* Read the header of the next value into *v and step over it; see
 * codec_mp.c for what is and is not consumed. */
int codec_mp_next(struct codec_mp_rd *r, struct codec_mp_val *v, int depth);

/* Consume n payload bytes; *out points at them.  LD_EMALFORMED if fewer
 * are left. */
int codec_mp_take(struct codec_mp_rd *r, uint64_t n, const uint8_t **out);

/* LD_ETYPE "expected <what>, got <type of v>". */
int codec_mp_want(struct codec_mp_rd *r, const struct codec_mp_val *v,
    const char *what);

/* LD_EUTF8 for the bad byte at s[bad] (utf8_valid's answer). */
int codec_mp_utf8_fail(struct codec_mp_rd *r, const char *s, size_t bad);

/* Read a string of at most max bytes, valid UTF-8 without NUL, into dst
 * (which holds max + 1), NUL-terminated.  *n gets its length if n. */
int codec_mp_read_str(struct codec_mp_rd *r, int depth, uint32_t max,
    char *dst, size_t *n);

/* Read an integer (any msgpack integer encoding) into *v. */
int codec_mp_read_int(struct codec_mp_rd *r, int depth,
    struct codec_mp_val *v);

/* Read a time: an integer in 0..LD_TIME_MAX (the end of year 9999). */
int codec_mp_read_time(struct codec_mp_rd *r, int depth, int64_t *out);

/* Read an enum value of field d (event.h): a string naming one of
 * d->enum_names; *out its 1-based index; LD_EUNKNOWN listing the names. */
struct ld_field_def;
int codec_mp_read_enum(struct codec_mp_rd *r, int depth,
    const struct ld_field_def *d, uint32_t *out);

/* A string in a struct's buffer of max + 1 bytes (what an encoder is
 * given): NUL-terminated within it, valid UTF-8.  *n (if n) gets its
 * length. */
int codec_mp_check_str(struct codec_mp_rd *r, const char *s, uint32_t max,
    size_t *n);

/* Event payload field f (event.h), as events and client requests carry
 * it (codec_event.c): read it from r into ev (the caller sets its bit),
 * or check ev's value before it is written (limits, ranges, UTF-8). */
struct ld_event;
int codec_event_read_field(struct codec_mp_pctx *c, struct ld_event *ev,
    int f);
int codec_event_check_field(struct codec_mp_pctx *c,
    const struct ld_event *ev, int f);

/* Read a map key (a string): *s points at its n bytes.  LD_ETYPE "key
 * must be a string" otherwise. */
int codec_mp_read_key(struct codec_mp_rd *r, int depth, const uint8_t **s,
    size_t *n);

#endif
