/*
 * codec_event.c - the event schema on msgpack: encode, decode and check
 * (see codec.h and docs/events.md; ticket views are in codec_view.c).
 *
 * Owns the envelope and body layout, their limits and the messages that
 * name a field; the bytes themselves are read and written by the bounded
 * primitives of codec_mp.h, so there is no allocation and no recursion.
 * Nothing is ever skipped: every value is read as the schema expects it.
 */
#include "codec.h"
#include "ltime.h"
#include "codec_mp.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- schema checks shared by the encoder and the decoder --------------- */

/* The envelope keys, in encoding order. */
enum { CODEC_K_V, CODEC_K_ORIGIN, CODEC_K_SEQ, CODEC_K_TIME, CODEC_K_ACTOR,
       CODEC_K_KIND, CODEC_K_TICKET, CODEC_K_BODY, CODEC_K__COUNT };
static const char *const codec_env_keys[CODEC_K__COUNT] = { "v", "origin",
	"seq", "time", "actor", "kind", "ticket", "body" };

/* The envelope key named by the n bytes at s, or -1. */
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

int
codec_event_check_field(struct codec_mp_pctx *c, const struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *p = (const char *)ev + d->offset;
	uint32_t u;
	int64_t t;
	size_t n = 0;
	int rc;

	switch (d->type) {
	case LD_T_STR:
		return codec_mp_check_str(&c->r, p, d->max, &n);
	case LD_T_UINT:
	case LD_T_ENUM:
		memcpy(&u, p, sizeof(u));
		if (u < d->min || u > d->max)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu32
			    " out of range %" PRIu32 "..%" PRIu32, u, d->min,
			    d->max);
		return LD_OK;
	case LD_T_TIME:
		memcpy(&t, p, sizeof(t));
		if (t < 0)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64
			    " is negative", t);
		if (t > LD_TIME_MAX)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64
			    " exceeds limit %" PRId64 " (the end of year 9999)",
			    t, LD_TIME_MAX);
		return LD_OK;
	case LD_T_BOOL:
		return LD_OK;
	case LD_T_STRARR:
		if (ev->n_units < 1 || ev->n_units > LD_UNITS_MAX)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu32
			    " entries, expected 1..%d", ev->n_units,
			    LD_UNITS_MAX);
		for (uint32_t i = 0; i < ev->n_units; i++) {
			c->idx = (int)i;
			rc = codec_mp_check_str(&c->r, ev->units[i], d->max, &n);
			if (rc != 0)
				return rc;
		}
		c->idx = -1;
		return LD_OK;
	}
	return codec_mp_fail(&c->r, LD_EINVAL, "bad schema type %d",
	    (int)d->type);
}

/* Check ev against the schema; the specific code (ELIMIT, EUTF8, ...). */
static int
codec_check(const struct ld_event *ev, struct ld_err *err)
{
	struct codec_mp_pctx c = { .r = { .err = err,
		.path = codec_mp_pctx_path }, .sect = "", .idx = -1 };
	size_t n = 0;
	int rc;

	if (ev == NULL)
		return err_set(err, LD_EINVAL, "no event");
	c.name = "kind";
	if (ev->kind <= LD_EV_NONE || ev->kind >= LD_EV__COUNT)
		return codec_mp_fail(&c.r, LD_EUNKNOWN, "unknown event kind %d",
		    (int)ev->kind);
	c.name = "origin";
	if ((rc = codec_mp_check_str(&c.r, ev->origin, LD_NODE_MAX, &n)) != 0)
		return rc;
	if (!event_node_id_ok(ev->origin))
		return codec_mp_fail(&c.r, LD_EINVAL,
		    "'%s' is not a node id ([A-Z][A-Z0-9]{0,7})", ev->origin);
	c.name = "time";
	if (ev->time_ms < 0)
		return codec_mp_fail(&c.r, LD_ELIMIT, "%" PRId64 " is negative",
		    ev->time_ms);
	if (ev->time_ms > LD_TIME_MAX)
		return codec_mp_fail(&c.r, LD_ELIMIT, "%" PRId64 " exceeds "
		    "limit %" PRId64 " (the end of year 9999)", ev->time_ms,
		    LD_TIME_MAX);
	c.name = "actor";
	if ((rc = codec_mp_check_str(&c.r, ev->actor, LD_ACTOR_MAX, &n)) != 0)
		return rc;
	c.name = "ticket";
	if ((rc = codec_mp_check_str(&c.r, ev->ticket, LD_TICKET_MAX, &n)) != 0)
		return rc;
	c.name = "body";
	if ((ev->present >> LD_F__COUNT) != 0)
		return codec_mp_fail(&c.r, LD_EUNKNOWN, "unknown field bit %d",
		    __builtin_ctz(ev->present >> LD_F__COUNT) + LD_F__COUNT);
	c.sect = "body.";
	for (int f = 0; f < LD_F__COUNT; f++) {
		if (!event_has(ev, (enum ld_field)f))
			continue;
		c.name = event_fields[f].name;
		if ((rc = codec_event_check_field(&c, ev, f)) != 0)
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

/* Append key (or any NUL-terminated string) as a msgpack string. */
static void
codec_put_key(struct codec_mp_wr *w, const char *key)
{
	codec_mp_put_str(w, key, strlen(key));
}

/* Encode present field f of ev (checked already). */
static void
codec_put_field(struct codec_mp_wr *w, const struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	const char *p = (const char *)ev + d->offset;
	uint32_t u;
	int64_t t;
	bool b;

	codec_put_key(w, d->name);
	switch (d->type) {
	case LD_T_STR:
		codec_mp_put_str(w, p, strlen(p));
		break;
	case LD_T_UINT:
		memcpy(&u, p, sizeof(u));
		codec_mp_put_uint(w, u);
		break;
	case LD_T_ENUM:
		memcpy(&u, p, sizeof(u));
		codec_put_key(w, d->enum_names[u - 1]);
		break;
	case LD_T_TIME:
		memcpy(&t, p, sizeof(t));
		codec_mp_put_uint(w, (uint64_t)t);
		break;
	case LD_T_BOOL:
		memcpy(&b, p, sizeof(b));
		codec_mp_put_bool(w, b);
		break;
	case LD_T_STRARR:
		codec_mp_put_array(w, ev->n_units);
		for (uint32_t i = 0; i < ev->n_units; i++)
			codec_mp_put_str(w, ev->units[i], strlen(ev->units[i]));
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
	struct codec_mp_wr w = { .p = buf, .cap = buf != NULL ? cap : 0 };
	int rc;

	if ((rc = codec_event_check(ev, err)) != 0)
		return rc;
	codec_mp_put_map(&w, CODEC_K__COUNT);
	codec_put_key(&w, "v");
	codec_mp_put_uint(&w, LD_EVENT_FORMAT);
	codec_put_key(&w, "origin");
	codec_put_key(&w, ev->origin);
	codec_put_key(&w, "seq");
	codec_mp_put_uint(&w, ev->seq);
	codec_put_key(&w, "time");
	codec_mp_put_uint(&w, (uint64_t)ev->time_ms);
	codec_put_key(&w, "actor");
	codec_put_key(&w, ev->actor);
	codec_put_key(&w, "kind");
	codec_put_key(&w, event_kinds[ev->kind].name);
	codec_put_key(&w, "ticket");
	codec_put_key(&w, ev->ticket);
	codec_put_key(&w, "body");
	codec_mp_put_map(&w, (size_t)__builtin_popcount(ev->present));
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

int
codec_event_read_field(struct codec_mp_pctx *c, struct ld_event *ev, int f)
{
	const struct ld_field_def *d = &event_fields[f];
	char *p = (char *)ev + d->offset;
	struct codec_mp_val v;
	uint32_t u = 0;
	int64_t t = 0;
	bool b;
	int rc;

	switch (d->type) {
	case LD_T_STR:
		return codec_mp_read_str(&c->r, 3, d->max, p, NULL);
	case LD_T_UINT:
		if ((rc = codec_mp_read_int(&c->r, 3, &v)) != 0)
			return rc;
		if (v.type == CODEC_MP_NEG)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64
			    " out of range %" PRIu32 "..%" PRIu32, v.i,
			    d->min, d->max);
		if (v.u < d->min || v.u > d->max)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu64
			    " out of range %" PRIu32 "..%" PRIu32, v.u,
			    d->min, d->max);
		u = (uint32_t)v.u;
		memcpy(p, &u, sizeof(u));
		return LD_OK;
	case LD_T_TIME:
		if ((rc = codec_mp_read_time(&c->r, 3, &t)) != 0)
			return rc;
		memcpy(p, &t, sizeof(t));
		return LD_OK;
	case LD_T_BOOL:
		if ((rc = codec_mp_next(&c->r, &v, 3)) != 0)
			return rc;
		if (v.type != CODEC_MP_BOOL)
			return codec_mp_want(&c->r, &v, "boolean");
		b = v.u != 0;
		memcpy(p, &b, sizeof(b));
		return LD_OK;
	case LD_T_ENUM:
		if ((rc = codec_mp_read_enum(&c->r, 3, d, &u)) != 0)
			return rc;
		memcpy(p, &u, sizeof(u));
		return LD_OK;
	case LD_T_STRARR:
		if ((rc = codec_mp_next(&c->r, &v, 3)) != 0)
			return rc;
		if (v.type != CODEC_MP_ARRAY)
			return codec_mp_want(&c->r, &v, "array");
		if (v.u < 1 || v.u > LD_UNITS_MAX)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu64
			    " entries, expected 1..%d", v.u, LD_UNITS_MAX);
		for (uint32_t i = 0; i < v.u; i++) {
			c->idx = (int)i;
			if ((rc = codec_mp_read_str(&c->r, 4, d->max,
			    ev->units[i], NULL)) != 0)
				return rc;
		}
		c->idx = -1;
		ev->n_units = (uint32_t)v.u;
		return LD_OK;
	}
	return codec_mp_fail(&c->r, LD_EINVAL, "bad schema type %d",
	    (int)d->type);
}

/* Read the body map into ev's payload fields and ev->present. */
static int
codec_rd_body(struct codec_mp_pctx *c, struct ld_event *ev)
{
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	char q[160];
	size_t n = 0;
	int rc, f;

	if ((rc = codec_mp_next(&c->r, &v, 2)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c->r, &v, "map");
	for (uint64_t i = 0; i < v.u; i++) {
		c->sect = "";
		c->name = "body";
		if ((rc = codec_mp_read_key(&c->r, 3, &key, &n)) != 0)
			return rc;
		c->sect = "body.";
		f = event_field_from_name((const char *)key, n);
		if (f < 0) {
			c->name = codec_mp_quote(q, sizeof(q), key, n);
			return codec_mp_fail(&c->r, LD_EUNKNOWN,
			    "unknown field");
		}
		c->name = event_fields[f].name;
		if (event_has(ev, (enum ld_field)f))
			return codec_mp_fail(&c->r, LD_EMALFORMED,
			    "duplicate key");
		if ((rc = codec_event_read_field(c, ev, f)) != 0)
			return rc;
		ev->present |= 1u << f;
	}
	return LD_OK;
}

/* Read the value of envelope key k into ev. */
static int
codec_rd_env(struct codec_mp_pctx *c, struct ld_event *ev, int k)
{
	struct codec_mp_val v;
	const uint8_t *s = NULL;
	char q[160];
	int rc;

	switch (k) {
	case CODEC_K_V:
		if ((rc = codec_mp_read_int(&c->r, 2, &v)) != 0)
			return rc;
		if (v.type == CODEC_MP_NEG)
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unsupported "
			    "event format %" PRId64 " (expected %d)", v.i,
			    LD_EVENT_FORMAT);
		if (v.u != LD_EVENT_FORMAT)
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unsupported "
			    "event format %" PRIu64 " (expected %d)", v.u,
			    LD_EVENT_FORMAT);
		return LD_OK;
	case CODEC_K_ORIGIN:
		if ((rc = codec_mp_read_str(&c->r, 2, LD_NODE_MAX, ev->origin,
		    NULL)))
			return rc;
		if (!event_node_id_ok(ev->origin))
			return codec_mp_fail(&c->r, LD_EINVAL, "'%s' is not a "
			    "node id ([A-Z][A-Z0-9]{0,7})", codec_mp_quote(q,
			    sizeof(q), (const uint8_t *)ev->origin,
			    strlen(ev->origin)));
		return LD_OK;
	case CODEC_K_SEQ:
		if ((rc = codec_mp_read_int(&c->r, 2, &v)) != 0)
			return rc;
		if (v.type == CODEC_MP_NEG)
			return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64
			    " is negative", v.i);
		ev->seq = v.u;
		return LD_OK;
	case CODEC_K_TIME:
		return codec_mp_read_time(&c->r, 2, &ev->time_ms);
	case CODEC_K_ACTOR:
		return codec_mp_read_str(&c->r, 2, LD_ACTOR_MAX, ev->actor,
		    NULL);
	case CODEC_K_KIND:
		if ((rc = codec_mp_next(&c->r, &v, 2)) != 0)
			return rc;
		if (v.type != CODEC_MP_STR)
			return codec_mp_want(&c->r, &v, "string");
		if ((rc = codec_mp_take(&c->r, v.u, &s)) != 0)
			return rc;
		ev->kind = event_kind_from_name((const char *)s, (size_t)v.u);
		if (ev->kind == LD_EV_NONE)
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unknown "
			    "event kind '%s'", codec_mp_quote(q, sizeof(q), s,
			    v.u));
		return LD_OK;
	case CODEC_K_TICKET:
		return codec_mp_read_str(&c->r, 2, LD_TICKET_MAX, ev->ticket,
		    NULL);
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
	struct codec_mp_pctx c = { .r = { .p = buf, .len = len, .err = err,
		.path = codec_mp_pctx_path }, .sect = "", .idx = -1 };
	struct codec_mp_val v;
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
	if ((rc = codec_mp_next(&c.r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c.r, &v, "map");
	for (uint64_t i = 0; i < v.u; i++) {
		c.sect = "";
		c.name = "event";
		if ((rc = codec_mp_read_key(&c.r, 2, &key, &n)) != 0)
			return rc;
		k = codec_env_key(key, n);
		if (k < 0) {
			c.name = codec_mp_quote(q, sizeof(q), key, n);
			return codec_mp_fail(&c.r, LD_EUNKNOWN,
			    "unknown field");
		}
		c.name = codec_env_keys[k];
		if (seen & (1u << k))
			return codec_mp_fail(&c.r, LD_EMALFORMED,
			    "duplicate key");
		seen |= 1u << k;
		if ((rc = codec_rd_env(&c, ev, k)) != 0)
			return rc;
	}
	if (c.r.off != len)
		return err_set(err, LD_EMALFORMED, "%zu trailing bytes after "
		    "the event", len - c.r.off);
	for (k = 0; k < CODEC_K__COUNT; k++)
		if (!(seen & (1u << k)))
			return err_set(err, LD_EMISSING, "%s: missing",
			    codec_env_keys[k]);
	return codec_kind_rules(ev, err);
}
