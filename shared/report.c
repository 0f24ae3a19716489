/*
 * report.c - the report's arithmetic (see report.h, docs/assessment.md):
 * rates in tenths of a percent, year on year, the unit's score and the
 * ranking (of the units, and of the nodes' own assessments).  The renderers are in report_print.c, the wire format in
 * report_wire.c.
 *
 * Everything here is integer arithmetic, rounded half up (a negative year
 * on year half away from zero), so every machine prints the same figures.
 * Products that could pass 64 bits are computed in 128 bits (GCC and
 * Clang's unsigned __int128).
 */
#include "report.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 rep_u128;
typedef __int128 rep_i128;

/* round(1000 * num / den) half up, capped at INT_MAX; -1 when den is 0.
 * num may exceed 64 bits (a sum of two counters). */
static int
report_pm128(rep_u128 num, uint64_t den)
{
	rep_u128 v;

	if (den == 0)
		return -1;
	/* floor(1000 num / den + 1/2) = floor((2000 num + den) / (2 den));
	 * num < 2^65, so 2000 num < 2^76: no overflow */
	v = (2000 * num + den) / ((rep_u128)den * 2);
	return v > INT_MAX ? INT_MAX : (int)v;
}

int
report_permille(uint64_t num, uint64_t den)
{
	return report_pm128(num, den);
}

int
report_completion(const struct ld_rep_fig *f)
{
	return report_pm128(f->completed, f->tickets);
}

int
report_satisfaction(const struct ld_rep_fig *f)
{
	return report_pm128((rep_u128)f->satisfied + f->basic, f->callbacks);
}

int64_t
report_incident_hours(const struct ld_rep_fig *f)
{
	/* minutes * 10 / 60 / closed, half up; the sum is at most
	 * 2^31 minutes per event, far below overflow */
	if (f->incidents_closed == 0)
		return -1;
	return (int64_t)(((rep_u128)f->incident_minutes * 10 * 2 +
	    60 * f->incidents_closed) / (120 * (rep_u128)f->incidents_closed));
}

/*
 * (now - before) / before in tenths of a percent.  Rounded half up when
 * it rises (+12.45% is +12.5%), half away from zero when it falls
 * (-12.45% is -12.5%), so a rise and a fall of the same size print the
 * same digits.  INT32_MIN when before is 0 (no base to compare with);
 * capped at INT32_MAX (a rise of more than 2 million per cent).
 */
int32_t
report_yoy(uint64_t now, uint64_t before)
{
	rep_u128 d, v;

	if (before == 0)
		return INT32_MIN;
	d = now >= before ? now - before : before - now;
	v = (2000 * d + before) / ((rep_u128)before * 2);
	if (now < before)
		return -(int32_t)v;	/* d <= before: v <= 1000 */
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* "99.5%", "-3.2%" (any other negative value is printed as a signed
 * rate: year on year uses this too), "—" for -1. */
void
report_fmt_permille(int pm, char *buf, size_t cap)
{
	long long v = pm;

	if (cap == 0)
		return;
	if (pm == -1) {
		snprintf(buf, cap, "—");
		return;
	}
	snprintf(buf, cap, "%s%lld.%lld%%", v < 0 ? "-" : "",
	    (v < 0 ? -v : v) / 10, (v < 0 ? -v : v) % 10);
}

/* ---- the score ---------------------------------------------------------- */

#define REP_W_MAX 1000		/* weights and penalties: topology range */
#define REP_COUNT_MAX UINT32_MAX	/* exact below this; see report_score */

static uint64_t
rep_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A weight or penalty from the topology, held to 0..REP_W_MAX. */
static uint64_t
rep_weight(int w)
{
	return w < 0 ? 0 : w > REP_W_MAX ? REP_W_MAX : (uint64_t)w;
}

/* The number of right shifts that bring den to at most REP_COUNT_MAX. */
static int
rep_shift(uint64_t den)
{
	int k = 0;

	while ((den >> k) > REP_COUNT_MAX)
		k++;
	return k;
}

/*
 * The score in tenths of a point, exactly (docs/assessment.md §3).
 *
 * With rec = received, cb = callbacks, W = the sum of the four weights,
 * A = w_sign s + w_ontime t + w_complete c  (s, t, c the counts of S, T, C),
 * B = w_satisfaction q                        (q = satisfied + basic),
 * P = p_return ret + p_urge urg + p_supervise sup,
 * the score times ten is
 *
 *   10 base - 10 pen = 1000 (A / rec + B / cb) / W - 10 P / rec
 *                    = N / D, with D = rec cb W and
 *   N = 1000 (A cb + B rec) - 10 W cb P,
 *
 * and rounding half up is floor((2N + D) / 2D).  Every quantity is an
 * integer, so the result is the same everywhere.  Sizes: rec, cb <
 * 2^32, weights <= 1000 (so W <= 4000 < 2^12), s, t, c <= rec, q <= cb,
 * ret, urg, sup <= 100 rec (see below): A cb < 2^76, 1000 (A cb + B rec)
 * < 2^87, 10 W cb P < 2^98, D < 2^76: all within a signed 128-bit
 * integer.
 *
 * Data the struct may hold but that makes no sense is held to what does:
 * a count of S, T, C or Q above its denominator counts as the
 * denominator (a ratio is at most 1); a penalty count above 100 rec
 * counts as 100 rec, which changes nothing (any penalty of at least 1
 * point then takes at least 100 points, and the score is 0 either way).
 * Counts of 2^32 and more (never met: Luoyang's whole year is 1.3
 * million calls) are shifted right, with their denominator, until it is
 * below 2^32: still reproducible, exact only to that precision.
 *
 * No callback: Q = 1 (q = cb = 1).  All four weights 0: base = 100 (as
 * if w_satisfaction were 1 and Q = 1), so only the penalties count.
 */
void
report_score(struct ld_rep_unit *u, const struct ld_topo_assess *a)
{
	uint64_t ws = rep_weight(a->w_sign), wt = rep_weight(a->w_ontime);
	uint64_t wc = rep_weight(a->w_complete);
	uint64_t wq = rep_weight(a->w_satisfaction);
	uint64_t pr = rep_weight(a->p_return), pu = rep_weight(a->p_urge);
	uint64_t pv = rep_weight(a->p_supervise);
	uint64_t rec = u->received, cb = u->callbacks, s, t, c, q, ret, urg,
	    sup, w;
	rep_i128 num, den, x;
	int k;

	u->score_x10 = 0;
	u->scored = rec > 0;
	if (!u->scored)
		return;
	k = rep_shift(rec);
	rec >>= k;
	s = rep_min(u->signed_on_time >> k, rec);
	t = rep_min(u->completed_on_time >> k, rec);
	c = rep_min(u->completed >> k, rec);
	ret = rep_min(u->returned >> k, 100 * rec);
	urg = rep_min(u->urged >> k, 100 * rec);
	sup = rep_min(u->supervised >> k, 100 * rec);
	/* satisfied + basic may pass 64 bits only if it passes cb */
	q = u->satisfied > cb || u->basic > cb - u->satisfied ? cb :
	    u->satisfied + u->basic;
	k = rep_shift(cb);
	cb >>= k;
	q >>= k;
	if (cb == 0)
		q = cb = 1;	/* no callback: Q = 1 */
	w = ws + wt + wc + wq;
	if (w == 0) {
		wq = w = 1;	/* only the penalties count */
		q = cb;
	}
	num = (rep_i128)1000 * ((rep_i128)(ws * s + wt * t + wc * c) * cb +
	    (rep_i128)(wq * q) * rec) -
	    (rep_i128)10 * w * cb * (rep_i128)(pr * ret + pu * urg + pv * sup);
	den = (rep_i128)rec * cb * w;
	if (num <= 0)
		return;		/* below zero: clamped to 0 */
	x = (2 * num + den) / (2 * den);
	u->score_x10 = x > 1000 ? 1000 : (int32_t)x;
}

/* ---- ranking ------------------------------------------------------------ */

/* Scored first, by score (higher first), then by work orders received
 * (more first), then by id; unscored after, by id.  Name and node only
 * make the order total should two units share an id. */
static int
report_cmp(const void *pa, const void *pb)
{
	const struct ld_rep_unit *a = pa, *b = pb;
	int c;

	if (a->scored != b->scored)
		return a->scored ? -1 : 1;
	if (a->scored) {
		if (a->score_x10 != b->score_x10)
			return a->score_x10 > b->score_x10 ? -1 : 1;
		if (a->received != b->received)
			return a->received > b->received ? -1 : 1;
	}
	if ((c = strncmp(a->id, b->id, sizeof(a->id))) != 0)
		return c;
	if ((c = strncmp(a->name, b->name, sizeof(a->name))) != 0)
		return c;
	return strncmp(a->node, b->node, sizeof(a->node));
}

/*
 * Sort the units (report_cmp) and number the scored ones 1, 2, 3, ... in
 * that order: every scored unit has its own rank, even on an equal score
 * (the tie is broken by work orders received, then by id, and the
 * published table shows why).  Unscored units get rank 0.  Uses each
 * unit's scored and score_x10 as report_score set them.
 */
void
report_rank(struct ld_report *r)
{
	unsigned n = r->n_units < LD_REP_UNITS_MAX ? r->n_units :
	    LD_REP_UNITS_MAX, next = 1;

	qsort(r->units, n, sizeof(r->units[0]), report_cmp);
	for (unsigned i = 0; i < n; i++)
		r->units[i].rank = r->units[i].scored ? next++ : 0;
}

/* The order of report_cmp over pointers to the nodes' assessments; equal
 * ones (never met: node ids differ) keep the nodes' order. */
static int
report_cmp_ptr(const void *pa, const void *pb)
{
	const struct ld_rep_unit *a = *(struct ld_rep_unit *const *)pa;
	const struct ld_rep_unit *b = *(struct ld_rep_unit *const *)pb;
	int c = report_cmp(a, b);

	return c != 0 ? c : a < b ? -1 : a > b;
}

/*
 * Number the nodes' own assessments (wo) 1, 2, 3, ... in report_cmp's
 * order, as report_rank numbers the units, unscored ones 0, without
 * moving a node: the node table keeps the reporting node first and the
 * others in their order.  Uses each wo's scored and score_x10 as
 * report_score set them.
 */
void
report_rank_nodes(struct ld_report *r)
{
	struct ld_rep_unit *by[LD_REP_NODES_MAX];
	unsigned n = r->n_nodes < LD_REP_NODES_MAX ? r->n_nodes :
	    LD_REP_NODES_MAX, next = 1;

	for (unsigned i = 0; i < n; i++)
		by[i] = &r->nodes[i].wo;
	qsort(by, n, sizeof(by[0]), report_cmp_ptr);
	for (unsigned i = 0; i < n; i++)
		by[i]->rank = by[i]->scored ? next++ : 0;
}
