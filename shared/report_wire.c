/*
 * report_wire.c - the `report` op's result map (see report.h and
 * docs/protocol.md, "The report result"): report_write and the hostile-
 * input decoder report_decode.
 *
 * The layout is data: one table of keys per map (the result, a fig, a
 * month, a node, a unit, a peak, the formula), read by both directions,
 * so the writer and the decoder cannot disagree.  The decoder is built on
 * the bounded reader of codec_mp.h: every length checked against the
 * bytes really there, every limit of report.h checked, strings UTF-8
 * without NUL, every error naming the place ("result.units[3].score_x10:
 * missing").  Keys may come in any order; unknown keys are stepped over
 * (a newer node may add some) within a nesting limit, without recursion.
 * The schema itself nests four levels (result > nodes > node > fig, or
 * the node's "assessment": a unit's row, ranked among the nodes): the map
 * reader calls itself for a nested map of the schema, never for the
 * data's sake.
 */
#include "report.h"
#include "codec_mp.h"
#include "ltime.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define REP_FORMAT 1		/* the result's "format"; raised on an
				 * incompatible change */
#define REP_DEPTH_MAX 7		/* result > ... (a reply adds one: 8) */
#define REP_PATH_MAX 6		/* result.units[3].fig.calls_in: 4 parts */

enum rw_type {
	RW_STR = 1,	/* char[max + 1] */
	RW_U64,		/* uint64_t, 0..max */
	RW_U32,		/* uint32_t, 0..max */
	RW_UNS,		/* unsigned, 0..max */
	RW_I32,		/* int32_t, 0..max */
	RW_INT,		/* int, 0..max */
	RW_TIME,	/* int64_t, 0..LD_TIME_MAX */
	RW_BOOL,	/* bool */
	RW_DAY,		/* uint32_t YYYYMMDD, a date (0 too if max is 1) */
	RW_MONTH,	/* uint32_t YYYYMM, a month (0 too if max is 1) */
	RW_FORMAT,	/* no field: the constant REP_FORMAT */
	RW_MAP,		/* a map of sub, its fields at base + off */
	RW_ARRAY	/* an array of at most max maps of sub, of size elem,
			 * at base + off, their count an unsigned at cnt */
};

struct rw_map;

struct rw_field {
	const char *name;
	uint8_t type;
	size_t off;
	uint64_t max;
	const struct rw_map *sub;
	size_t elem, cnt;
};

struct rw_map {
	const struct rw_field *f;
	unsigned n;
};

#define F_STR(S, m) { #m, RW_STR, offsetof(S, m), sizeof(((S *)0)->m) - 1, \
	NULL, 0, 0 }
#define F_NUM(k, t, S, m, mx) { k, t, offsetof(S, m), mx, NULL, 0, 0 }
#define F_U64(S, m) F_NUM(#m, RW_U64, S, m, UINT64_MAX)
#define F_MAP(k, S, m, sub) { k, RW_MAP, offsetof(S, m), 0, sub, 0, 0 }
#define F_ARR(k, S, m, mx, sub, c) { k, RW_ARRAY, offsetof(S, m), mx, sub, \
	sizeof(((S *)0)->m[0]), offsetof(S, c) }
#define MAP(t) { t, sizeof(t) / sizeof(t[0]) }

#define G struct ld_rep_fig
static const struct rw_field rw_fig_f[] = {
	F_U64(G, calls_in), F_U64(G, answered), F_U64(G, valid),
	F_U64(G, linkage), F_U64(G, tickets), F_U64(G, completed),
	F_U64(G, in_progress), F_U64(G, callbacks), F_U64(G, satisfied),
	F_U64(G, basic), F_U64(G, unsatisfied), F_U64(G, urged),
	F_U64(G, supervised), F_U64(G, returned), F_U64(G, incidents),
	F_U64(G, attached), F_U64(G, incidents_closed),
	F_U64(G, incident_minutes),
};
#undef G
static const struct rw_map rw_fig = MAP(rw_fig_f);
_Static_assert(sizeof(struct ld_rep_fig) == 18 * sizeof(uint64_t),
    "struct ld_rep_fig changed: update rw_fig_f and docs/protocol.md");

#define P struct ld_rep_period
static const struct rw_field rw_month_f[] = {
	F_NUM("key", RW_MONTH, P, key, 0), F_MAP("fig", P, fig, &rw_fig),
};
#undef P
static const struct rw_map rw_month = MAP(rw_month_f);

/* A unit's assessment: a row of "units", and a node's own ("assessment"
 * in a node), ranked among the units or among the nodes. */
#define U struct ld_rep_unit
#define UNIT_F(rank_max)						\
	F_STR(U, id), F_STR(U, name), F_STR(U, node),			\
	F_U64(U, received), F_U64(U, signed_on_time), F_U64(U, completed), \
	F_U64(U, completed_on_time), F_U64(U, returned), F_U64(U, sent_back), \
	F_U64(U, extended), F_U64(U, urged), F_U64(U, supervised),	\
	F_U64(U, callbacks), F_U64(U, satisfied), F_U64(U, basic),	\
	F_U64(U, unsatisfied),						\
	F_NUM("scored", RW_BOOL, U, scored, 1),				\
	F_NUM("score_x10", RW_I32, U, score_x10, 1000),			\
	F_NUM("rank", RW_UNS, U, rank, rank_max)
static const struct rw_field rw_unit_f[] = { UNIT_F(LD_REP_UNITS_MAX) };
static const struct rw_field rw_node_wo_f[] = { UNIT_F(LD_REP_NODES_MAX) };
#undef UNIT_F
#undef U
static const struct rw_map rw_unit = MAP(rw_unit_f);
static const struct rw_map rw_node_wo = MAP(rw_node_wo_f);

#define N struct ld_rep_node
static const struct rw_field rw_node_f[] = {
	F_STR(N, id), F_STR(N, name), F_MAP("fig", N, fig, &rw_fig),
	F_MAP("assessment", N, wo, &rw_node_wo),
};
#undef N
static const struct rw_map rw_node = MAP(rw_node_f);

#define A struct ld_topo_assess
static const struct rw_field rw_formula_f[] = {
	F_NUM("w_sign", RW_INT, A, w_sign, 1000),
	F_NUM("w_ontime", RW_INT, A, w_ontime, 1000),
	F_NUM("w_complete", RW_INT, A, w_complete, 1000),
	F_NUM("w_satisfaction", RW_INT, A, w_satisfaction, 1000),
	F_NUM("p_return", RW_INT, A, p_return, 1000),
	F_NUM("p_urge", RW_INT, A, p_urge, 1000),
	F_NUM("p_supervise", RW_INT, A, p_supervise, 1000),
	F_NUM("spot_sample", RW_UNS, A, spot_sample, 100),
	F_NUM("spot_seed", RW_U64, A, spot_seed, INT64_MAX),
};
#undef A
static const struct rw_map rw_formula = MAP(rw_formula_f);

/* The peaks: three fields of struct ld_report each, so their tables hold
 * offsets into the report and the map lies at offset 0. */
#define R struct ld_report
static const struct rw_field rw_pmonth_f[] = {
	F_NUM("key", RW_MONTH, R, peak_month, 1),
	F_NUM("calls", RW_U64, R, peak_month_calls, UINT64_MAX),
	F_NUM("linkage", RW_U64, R, peak_month_linkage, UINT64_MAX),
};
static const struct rw_map rw_pmonth = MAP(rw_pmonth_f);
static const struct rw_field rw_pday_f[] = {
	F_NUM("key", RW_DAY, R, peak_day, 1),
	F_NUM("calls", RW_U64, R, peak_day_calls, UINT64_MAX),
	F_NUM("linkage", RW_U64, R, peak_day_linkage, UINT64_MAX),
};
static const struct rw_map rw_pday = MAP(rw_pday_f);

static const struct rw_field rw_result_f[] = {
	{ "format", RW_FORMAT, 0, REP_FORMAT, NULL, 0, 0 },
	F_STR(R, federation), F_STR(R, node), F_STR(R, node_name),
	F_NUM("day_from", RW_DAY, R, day_from, 0),
	F_NUM("day_to", RW_DAY, R, day_to, 0),
	F_NUM("days", RW_UNS, R, days, LD_REP_DAYS_MAX),
	F_NUM("generated", RW_TIME, R, generated_ms, 0),
	F_MAP("total", R, total, &rw_fig),
	F_NUM("has_prev", RW_BOOL, R, has_prev, 1),
	F_MAP("prev", R, prev, &rw_fig),
	{ "peak_month", RW_MAP, 0, 0, &rw_pmonth, 0, 0 },
	{ "peak_day", RW_MAP, 0, 0, &rw_pday, 0, 0 },
	F_ARR("months", R, months, LD_REP_MONTHS_MAX, &rw_month, n_months),
	F_ARR("nodes", R, nodes, LD_REP_NODES_MAX, &rw_node, n_nodes),
	F_ARR("units", R, units, LD_REP_UNITS_MAX, &rw_unit, n_units),
	F_MAP("formula", R, formula, &rw_formula),
};
#undef R
static const struct rw_map rw_result = MAP(rw_result_f);
_Static_assert(sizeof(rw_result_f) / sizeof(rw_result_f[0]) ==
    REPORT_ENTRIES, "REPORT_ENTRIES is the number of keys of the result");

/* ---- writer ------------------------------------------------------------- */

static void rw_write_map(struct ld_pw *w, const struct rw_map *m,
    const char *base);

/* The unsigned field of width bytes at p. */
static uint64_t
rw_load_u(const char *p, uint8_t type)
{
	uint64_t u64;
	uint32_t u32;
	unsigned u;

	switch (type) {
	case RW_U64:
		memcpy(&u64, p, sizeof(u64));
		return u64;
	case RW_UNS:
		memcpy(&u, p, sizeof(u));
		return u;
	default:	/* RW_U32, RW_DAY, RW_MONTH */
		memcpy(&u32, p, sizeof(u32));
		return u32;
	}
}

/* One field's value. */
static void
rw_write_value(struct ld_pw *w, const struct rw_field *d, const char *base)
{
	const char *p = base + d->off;
	char s[LD_TOPO_NAME_MAX + 1];
	unsigned n;
	int32_t i32;
	int64_t t;
	int i;

	switch (d->type) {
	case RW_STR:	/* NUL-terminated within its buffer, whatever it holds */
		n = (unsigned)strnlen(p, d->max);
		memcpy(s, p, n);
		s[n] = '\0';
		proto_w_str(w, s);
		break;
	case RW_I32:
		memcpy(&i32, p, sizeof(i32));
		proto_w_int(w, i32);
		break;
	case RW_INT:
		memcpy(&i, p, sizeof(i));
		proto_w_int(w, i);
		break;
	case RW_TIME:
		memcpy(&t, p, sizeof(t));
		proto_w_int(w, t);
		break;
	case RW_BOOL:
		proto_w_bool(w, *(const bool *)p);
		break;
	case RW_FORMAT:
		proto_w_uint(w, d->max);
		break;
	case RW_MAP:
		rw_write_map(w, d->sub, p);
		break;
	case RW_ARRAY:
		memcpy(&n, base + d->cnt, sizeof(n));
		if (n > d->max)
			n = (unsigned)d->max;	/* never past the array */
		proto_w_array(w, n);
		for (unsigned k = 0; k < n; k++)
			rw_write_map(w, d->sub, p + k * d->elem);
		break;
	default:
		proto_w_uint(w, rw_load_u(p, d->type));
		break;
	}
}

static void
rw_write_map(struct ld_pw *w, const struct rw_map *m, const char *base)
{
	proto_w_map(w, m->n);
	for (unsigned i = 0; i < m->n; i++) {
		proto_w_str(w, m->f[i].name);
		rw_write_value(w, &m->f[i], base);
	}
}

/* The result map's REPORT_ENTRIES entries (the header is the caller's,
 * from proto_reply_begin).  Counts above their limits are cut to them. */
void
report_write(struct ld_pw *w, const struct ld_report *r)
{
	const char *base = (const char *)r;

	for (unsigned i = 0; i < rw_result.n; i++) {
		proto_w_str(w, rw_result.f[i].name);
		rw_write_value(w, &rw_result.f[i], base);
	}
}

/* ---- decoder ------------------------------------------------------------ */

/* The reader and the place being read: "result" then, per level, a key
 * (".units") or an array index ("[3]"). */
struct rw_ctx {
	struct codec_mp_rd r;	/* first: rw_path casts back */
	int n;
	struct {
		const char *name;	/* NULL: an index */
		unsigned idx;
	} at[REP_PATH_MAX];
};

static bool
rw_path(const struct codec_mp_rd *r, char *buf, size_t cap)
{
	const struct rw_ctx *c = (const struct rw_ctx *)r;
	size_t o = (size_t)snprintf(buf, cap, "result");

	for (int i = 0; i < c->n && o < cap; i++) {
		if (c->at[i].name != NULL)
			o += (size_t)snprintf(buf + o, cap - o, ".%s",
			    c->at[i].name);
		else
			o += (size_t)snprintf(buf + o, cap - o, "[%u]",
			    c->at[i].idx);
	}
	return true;
}

static void
rw_push(struct rw_ctx *c, const char *name, unsigned idx)
{
	if (c->n < REP_PATH_MAX) {
		c->at[c->n].name = name;
		c->at[c->n].idx = idx;
	}
	c->n++;
}

static void
rw_pop(struct rw_ctx *c)
{
	c->n--;
}

/* The bytes a value's header leaves to step over (payloads). */
static uint64_t
rw_payload(const struct codec_mp_val *v)
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

/*
 * Step over one value (an unknown key's) whose containers would lie at
 * nesting depth and deeper, without recursion: a stack of entries left.
 * Any msgpack value is accepted; containers deeper than REP_DEPTH_MAX are
 * LD_ELIMIT.  codec_mp_next is told depth 1: its own limit is the events'
 * (LD_DEPTH_MAX), the report's is checked here.
 */
static int
rw_skip(struct rw_ctx *c, int depth)
{
	uint64_t left[REP_DEPTH_MAX + 2];
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
		if ((rc = codec_mp_next(&c->r, &v, 1)) != 0)
			return rc;
		if (v.type == CODEC_MP_ARRAY || v.type == CODEC_MP_MAP) {
			if (depth + top > REP_DEPTH_MAX)
				return codec_mp_fail(&c->r, LD_ELIMIT, "nesting "
				    "depth %d exceeds limit %d", depth + top,
				    REP_DEPTH_MAX);
			left[++top] = v.type == CODEC_MP_MAP ? 2 * v.u : v.u;
			continue;
		}
		if ((rc = codec_mp_take(&c->r, rw_payload(&v), &s)) != 0)
			return rc;
	}
	return LD_OK;
}

/* An unsigned integer in 0..max. */
static int
rw_read_uint(struct rw_ctx *c, uint64_t max, uint64_t *out)
{
	struct codec_mp_val v;
	int rc;

	if ((rc = codec_mp_read_int(&c->r, 1, &v)) != 0)
		return rc;
	if (v.type == CODEC_MP_NEG)
		return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRId64 " is negative",
		    v.i);
	if (v.u > max)
		return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu64 " exceeds "
		    "limit %" PRIu64, v.u, max);
	*out = v.u;
	return LD_OK;
}

/* A day YYYYMMDD or a month YYYYMM (or 0 when zero_ok). */
static int
rw_check_date(struct rw_ctx *c, uint64_t u, bool month, bool zero_ok)
{
	if (u == 0 && zero_ok)
		return LD_OK;
	if (u > (month ? 999912u : 99991231u) || ltime_day_start((uint32_t)(
	    month ? u * 100 + 1 : u)) < 0)
		return codec_mp_fail(&c->r, LD_EINVAL, "%" PRIu64 " is not a "
		    "%s", u, month ? "month (YYYYMM)" : "day (YYYYMMDD)");
	return LD_OK;
}

static int rw_read_map(struct rw_ctx *c, const struct rw_map *m, char *base,
    int depth);

/* An array of maps of d->sub into base + d->off, its count to d->cnt. */
static int
rw_read_array(struct rw_ctx *c, const struct rw_field *d, char *base,
    int depth)
{
	struct codec_mp_val v;
	unsigned n;
	int rc;

	if ((rc = codec_mp_next(&c->r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_ARRAY)
		return codec_mp_want(&c->r, &v, "array");
	if (v.u > d->max)
		return codec_mp_fail(&c->r, LD_ELIMIT, "%" PRIu64 " entries "
		    "exceed limit %" PRIu64, v.u, d->max);
	n = (unsigned)v.u;
	memcpy(base + d->cnt, &n, sizeof(n));
	for (unsigned i = 0; i < n; i++) {
		rw_push(c, NULL, i);
		rc = rw_read_map(c, d->sub, base + d->off + i * d->elem,
		    depth + 1);
		rw_pop(c);
		if (rc != 0)
			return rc;
	}
	return LD_OK;
}

/* The value of field d into base. */
static int
rw_read_value(struct rw_ctx *c, const struct rw_field *d, char *base,
    int depth)
{
	char *p = base + d->off;
	struct codec_mp_val v;
	uint64_t u = 0;
	int64_t t;
	int32_t i32;
	uint32_t u32;
	unsigned un;
	int i, rc;

	switch (d->type) {
	case RW_STR:
		return codec_mp_read_str(&c->r, 1, (uint32_t)d->max, p, NULL);
	case RW_TIME:
		if ((rc = codec_mp_read_time(&c->r, 1, &t)) != 0)
			return rc;
		memcpy(p, &t, sizeof(t));
		return LD_OK;
	case RW_BOOL:
		if ((rc = codec_mp_next(&c->r, &v, 1)) != 0)
			return rc;
		if (v.type != CODEC_MP_BOOL)
			return codec_mp_want(&c->r, &v, "boolean");
		*(bool *)p = v.u != 0;
		return LD_OK;
	case RW_MAP:
		return rw_read_map(c, d->sub, p, depth);
	case RW_ARRAY:
		return rw_read_array(c, d, base, depth);
	case RW_DAY:
	case RW_MONTH:
		if ((rc = rw_read_uint(c, UINT32_MAX, &u)) != 0 ||
		    (rc = rw_check_date(c, u, d->type == RW_MONTH,
		    d->max == 1)) != 0)
			return rc;
		u32 = (uint32_t)u;
		memcpy(p, &u32, sizeof(u32));
		return LD_OK;
	case RW_FORMAT:
		if ((rc = rw_read_uint(c, UINT64_MAX, &u)) != 0)
			return rc;
		if (u != d->max)
			return codec_mp_fail(&c->r, LD_EUNKNOWN, "unsupported "
			    "report format %" PRIu64 " (expected %" PRIu64 ")",
			    u, d->max);
		return LD_OK;
	default:
		break;
	}
	if ((rc = rw_read_uint(c, d->max, &u)) != 0)
		return rc;
	switch (d->type) {
	case RW_U64:
		memcpy(p, &u, sizeof(u));
		break;
	case RW_U32:
		u32 = (uint32_t)u;
		memcpy(p, &u32, sizeof(u32));
		break;
	case RW_UNS:
		un = (unsigned)u;
		memcpy(p, &un, sizeof(un));
		break;
	case RW_I32:
		i32 = (int32_t)u;
		memcpy(p, &i32, sizeof(i32));
		break;
	default:	/* RW_INT */
		i = (int)u;
		memcpy(p, &i, sizeof(i));
		break;
	}
	return LD_OK;
}

/* The field of m named by the n bytes at s, or -1. */
static int
rw_find(const struct rw_map *m, const uint8_t *s, size_t n)
{
	for (unsigned i = 0; i < m->n; i++)
		if (strlen(m->f[i].name) == n &&
		    memcmp(m->f[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

/*
 * A map of m's fields into base, the map at nesting depth (the result is
 * 1).  Every field once, in any order; unknown keys stepped over; then
 * the first missing field named.
 */
static int
rw_read_map(struct rw_ctx *c, const struct rw_map *m, char *base, int depth)
{
	struct codec_mp_val v;
	const uint8_t *key = NULL;
	uint32_t seen = 0;
	size_t n = 0;
	int rc, k;

	if ((rc = codec_mp_next(&c->r, &v, 1)) != 0)
		return rc;
	if (v.type != CODEC_MP_MAP)
		return codec_mp_want(&c->r, &v, "map");
	if (depth > REP_DEPTH_MAX)	/* not with this schema; kept honest */
		return codec_mp_fail(&c->r, LD_ELIMIT, "nesting depth %d "
		    "exceeds limit %d", depth, REP_DEPTH_MAX);
	/* every entry takes two bytes at least */
	if (v.u > (c->r.len - c->r.off) / 2)
		return codec_mp_fail(&c->r, LD_EMALFORMED, "truncated at byte "
		    "%zu", c->r.len);
	for (uint64_t i = 0, count = v.u; i < count; i++) {
		if ((rc = codec_mp_read_key(&c->r, 1, &key, &n)) != 0)
			return rc;
		if ((k = rw_find(m, key, n)) < 0) {
			if ((rc = rw_skip(c, depth + 1)) != 0)
				return rc;
			continue;
		}
		rw_push(c, m->f[k].name, 0);
		if (seen >> k & 1u)
			rc = codec_mp_fail(&c->r, LD_EMALFORMED,
			    "duplicate key");
		else
			rc = rw_read_value(c, &m->f[k], base, depth + 1);
		rw_pop(c);
		if (rc != 0)
			return rc;
		seen |= 1u << k;
	}
	for (k = 0; k < (int)m->n; k++) {
		if (seen >> k & 1u)
			continue;
		rw_push(c, m->f[k].name, 0);
		rc = codec_mp_fail(&c->r, LD_EMISSING, "missing");
		rw_pop(c);
		return rc;
	}
	return LD_OK;
}

/*
 * Decode the result map in buf[0..len) (a reply's result bytes) into *r,
 * which is cleared first.  On error *r holds what was read so far and
 * err names the place.  Nothing may follow the map.
 */
int
report_decode(const uint8_t *buf, size_t len, struct ld_report *r,
    struct ld_err *err)
{
	struct rw_ctx c = { .r = { .p = buf, .len = len, .err = err,
		.path = rw_path } };
	int rc;

	if (r == NULL || (buf == NULL && len != 0))
		return err_set(err, LD_EINVAL, "result: no report or no "
		    "buffer");
	memset(r, 0, sizeof(*r));
	if (buf == NULL)
		c.r.p = (const uint8_t *)"";
	if ((rc = rw_read_map(&c, &rw_result, (char *)r, 1)) != 0)
		return rc;
	if (c.r.off != len)
		return err_set(err, LD_EMALFORMED, "result: %zu trailing bytes "
		    "after the result", len - c.r.off);
	return LD_OK;
}
