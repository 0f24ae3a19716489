/* replay_plan.c - the days of a replayed year (replay_plan.h). */
#include "replay_plan.h"
#include "ltime.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define RPLAN_OPEN_DAYS 30	/* open requests come from the last days */

const struct rplan_spec rplan_article = {
	.from = 20101201, .to = 20111206,
	.calls = 1321215, .answered = 1121250, .valid = 365946,
	.linkage = 158978, .in_progress = 726,
	.peak_month = 201107, .peak_month_calls = 117068,
	.peak_month_linkage = 23444,
	.peak_day = 20110831, .peak_day_calls = 4838, .peak_day_linkage = 871,
};

uint64_t
rplan_hash(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t z = seed ^ (a * 0x9e3779b97f4a7c15ULL) ^
	    (b * 0xc2b2ae3d27d4eb4fULL);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The shape: a month's factor (per mille; the summer busy, the Spring
 * Festival quiet) and a weekday's. */
static uint32_t
rplan_month_factor(uint32_t day)
{
	static const uint16_t f[13] = { 0, 860, 840, 920, 950, 990, 1000,
		1060, 970, 990, 960, 940, 900 };

	return f[day / 100 % 100];
}

/* 0 = Sunday. */
static int
rplan_weekday(uint32_t day)
{
	int64_t d = ltime_day_start(day) / DAY_MS;	/* local midnight's UTC
							 * day: the day before */
	return (int)((d + 1 + 4) % 7);
}

static uint32_t
rplan_weekday_factor(uint32_t day)
{
	static const uint16_t f[7] = { 930, 1040, 1000, 1000, 1000, 1020,
		950 };

	return f[rplan_weekday(day)];
}

/* A day's weight: shape times noise of +-4%; of kind (calls 1, linkage
 * 2) so the two do not move together exactly. */
static uint64_t
rplan_weight(uint64_t seed, uint32_t day, int kind)
{
	uint64_t noise = 960 + rplan_hash(seed, day, (uint64_t)kind) % 81;

	return (uint64_t)rplan_month_factor(day) * rplan_weekday_factor(day) *
	    noise;
}

struct rplan_rem {
	unsigned __int128 rem;
	int i;
};

static int
rplan_rem_cmp(const void *a, const void *b)
{
	const struct rplan_rem *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->i - y->i;
}

/*
 * out[i] += total * w[i] / W for the days i with use[i], by largest
 * remainder (ties to the earlier day): the parts sum to total exactly.
 */
static int
rplan_apportion(uint64_t total, const uint64_t *w, const bool *use, int n,
    uint32_t *out)
{
	unsigned __int128 sum = 0;
	struct rplan_rem *r;
	uint64_t given = 0;
	int m = 0;

	for (int i = 0; i < n; i++)
		if (use[i])
			sum += w[i];
	if (sum == 0)
		return total == 0 ? 0 : -1;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned __int128 x;

		if (!use[i])
			continue;
		x = (unsigned __int128)total * w[i];
		out[i] += (uint32_t)(x / sum);
		given += (uint64_t)(x / sum);
		r[m].rem = x % sum;
		r[m++].i = i;
	}
	qsort(r, (size_t)m, sizeof(*r), rplan_rem_cmp);
	for (int k = 0; given < total; k++, given++)
		out[r[k % m].i]++;
	free(r);
	return 0;
}

struct rplan_cand {
	uint64_t h;
	uint32_t k;
};

static int
rplan_cand_cmp(const void *a, const void *b)
{
	const struct rplan_cand *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static int
rplan_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Number the linkage requests, sum the figures, and choose the k to leave
 * open among those of the last RPLAN_OPEN_DAYS days (lowest hashes). */
static int
rplan_finish(struct rplan *p, uint32_t k, struct ld_err *err)
{
	struct rplan_cand *c;
	uint32_t first = 0, lo;
	size_t n = 0;
	int from = p->n_days > RPLAN_OPEN_DAYS ? p->n_days - RPLAN_OPEN_DAYS :
	    0;

	p->calls = p->answered = p->valid = p->linkage = 0;
	p->n_period = p->n_days;
	for (int i = 0; i < p->n_days; i++) {
		struct rplan_day *d = &p->days[i];

		d->first = first;
		first += d->linkage;
		p->calls += d->calls;
		p->answered += d->answered;
		p->valid += d->valid;
		p->linkage += d->linkage;
	}
	lo = p->n_days > 0 ? p->days[from].first : 0;
	if (k > first - lo)
		return err_set(err, LD_EINVAL, "plan: %u requests to leave open, "
		    "but only %u in the last %d days", k, first - lo,
		    RPLAN_OPEN_DAYS);
	p->in_progress = k;
	free(p->open);
	p->open = NULL;
	if (k == 0)
		return LD_OK;
	if ((c = malloc((first - lo) * sizeof(*c))) == NULL ||
	    (p->open = malloc(k * sizeof(*p->open))) == NULL) {
		free(c);
		return err_set(err, LD_ENOMEM, "plan: out of memory");
	}
	for (uint32_t j = lo; j < first; j++) {
		c[n].h = rplan_hash(p->seed, j, 7);
		c[n++].k = j;
	}
	qsort(c, n, sizeof(*c), rplan_cand_cmp);
	for (uint32_t j = 0; j < k; j++)
		p->open[j] = c[j].k;
	qsort(p->open, k, sizeof(*p->open), rplan_u32_cmp);
	free(c);
	return LD_OK;
}

const struct rplan_day *
rplan_day_of(const struct rplan *p, uint32_t k)
{
	int lo = 0, hi = p->n_days;

	while (lo < hi) {	/* the first day whose first is above k */
		int mid = lo + (hi - lo) / 2;

		if (p->days[mid].first <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || k >= p->days[lo - 1].first + p->days[lo - 1].linkage)
		return NULL;
	return &p->days[lo - 1];
}

bool
rplan_is_open(const struct rplan *p, uint32_t k)
{
	uint32_t lo = 0, hi = p->in_progress;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->open[mid] == k)
			return true;
		if (p->open[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Spread one figure (kind 1 calls, 2 linkage) with its peak month and
 * peak day fixed; then check they are the peaks. */
static int
rplan_spread(struct rplan *p, const struct rplan_spec *s, uint64_t total,
    uint64_t month_total, uint32_t day_total, int kind, uint32_t *out,
    const char *what, struct ld_err *err)
{
	int n = p->n_days, pd = -1, rc = -1;
	uint64_t *w = calloc((size_t)n, sizeof(*w));
	bool *in_m = calloc((size_t)n, sizeof(*in_m));
	bool *rest = calloc((size_t)n, sizeof(*rest));
	uint64_t m_rest = month_total, rest_total;
	uint64_t months[32] = { 0 };
	uint32_t mkey[32] = { 0 };
	int nm = 0;

	if (w == NULL || in_m == NULL || rest == NULL) {
		err_set(err, LD_ENOMEM, "plan: out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		uint32_t d = p->days[i].day;

		w[i] = rplan_weight(p->seed, d, kind);
		if (d == s->peak_day) {
			pd = i;
			out[i] = day_total;
		} else if (d / 100 == s->peak_month) {
			in_m[i] = true;
		} else {
			rest[i] = true;
		}
	}
	if (pd >= 0 && s->peak_day / 100 == s->peak_month)
		m_rest = month_total >= day_total ? month_total - day_total : 0;
	rest_total = total - month_total - (pd >= 0 && s->peak_day / 100 !=
	    s->peak_month ? day_total : 0);
	if (total < month_total + (pd >= 0 ? day_total : 0) ||
	    rplan_apportion(m_rest, w, in_m, n, out) != 0 ||
	    rplan_apportion(rest_total, w, rest, n, out) != 0) {
		err_set(err, LD_EINVAL, "plan: %s: the totals cannot be spread "
		    "(the peaks exceed the total, or a peak lies outside "
		    "%u..%u)", what, s->from, s->to);
		goto out;
	}
	/* the peaks are the peaks */
	for (int i = 0; i < n; i++) {
		uint32_t m = p->days[i].day / 100;
		int j;

		if (i != pd && out[i] >= day_total) {
			err_set(err, LD_EINVAL, "plan: %s: day %u has %u, not "
			    "below the peak day's %u", what, p->days[i].day,
			    out[i], day_total);
			goto out;
		}
		for (j = 0; j < nm && mkey[j] != m; j++)
			;
		if (j == nm && nm < 32)
			mkey[nm++] = m;
		if (j < 32)
			months[j] += out[i];
	}
	for (int j = 0; j < nm; j++)
		if (mkey[j] != s->peak_month && months[j] >= month_total) {
			err_set(err, LD_EINVAL, "plan: %s: month %u has %llu, not "
			    "below the peak month's %llu", what, mkey[j],
			    (unsigned long long)months[j],
			    (unsigned long long)month_total);
			goto out;
		}
	rc = 0;
out:
	free(w);
	free(in_m);
	free(rest);
	return rc;
}

int
rplan_make(const struct rplan_spec *s, uint64_t seed, struct rplan *p,
    struct ld_err *err)
{
	int64_t a = ltime_day_start(s->from), b = ltime_day_start(s->to);
	uint32_t *tmp = NULL;
	uint64_t *w = NULL;
	bool *all = NULL;
	int n, rc;

	memset(p, 0, sizeof(*p));
	p->seed = seed;
	if (a < 0 || b < a || (b - a) / DAY_MS >= 800)
		return err_set(err, LD_EINVAL, "plan: %u..%u is not a period of "
		    "1 to 800 days", s->from, s->to);
	n = (int)((b - a) / DAY_MS) + 1;
	if (s->linkage > s->valid || s->valid > s->answered ||
	    s->answered > s->calls)
		return err_set(err, LD_EINVAL, "plan: linkage <= valid <= "
		    "answered <= calls does not hold");
	p->days = calloc((size_t)n, sizeof(*p->days));
	tmp = calloc((size_t)n, sizeof(*tmp));
	w = calloc((size_t)n, sizeof(*w));
	all = calloc((size_t)n, sizeof(*all));
	if (p->days == NULL || tmp == NULL || w == NULL || all == NULL) {
		rc = err_set(err, LD_ENOMEM, "plan: out of memory");
		goto out;
	}
	p->n_days = n;
	for (int i = 0; i < n; i++)
		p->days[i].day = ltime_day(a + i * DAY_MS + DAY_MS / 2);
	if ((rc = rplan_spread(p, s, s->calls, s->peak_month_calls,
	    s->peak_day_calls, 1, tmp, "calls", err)) != 0) {
		rc = err->code;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		p->days[i].calls = tmp[i];
		w[i] = tmp[i];
		all[i] = true;
		tmp[i] = 0;
	}
	if ((rc = rplan_spread(p, s, s->linkage, s->peak_month_linkage,
	    s->peak_day_linkage, 2, tmp, "linkage requests", err)) != 0) {
		rc = err->code;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		p->days[i].linkage = tmp[i];
		tmp[i] = 0;
	}
	/* answered and valid in proportion to the calls of the day */
	rc = rplan_apportion(s->answered, w, all, n, tmp);
	for (int i = 0; rc == 0 && i < n; i++) {
		p->days[i].answered = tmp[i];
		tmp[i] = 0;
	}
	if (rc == 0)
		rc = rplan_apportion(s->valid, w, all, n, tmp);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct rplan_day *d = &p->days[i];

		d->valid = tmp[i];
		if (d->linkage > d->valid || d->valid > d->answered ||
		    d->answered > d->calls) {
			rc = err_set(err, LD_EINVAL, "plan: day %u: linkage %u, "
			    "valid %u, answered %u, calls %u out of order",
			    d->day, d->linkage, d->valid, d->answered,
			    d->calls);
			goto out;
		}
	}
	if (rc != 0) {
		rc = err_set(err, LD_ENOMEM, "plan: out of memory");
		goto out;
	}
	rc = rplan_finish(p, s->in_progress, err);
out:
	free(tmp);
	free(w);
	free(all);
	if (rc != 0)
		rplan_free(p);
	return rc;
}

static uint32_t
rplan_scale(uint32_t x, uint32_t permille)
{
	return (uint32_t)(((uint64_t)x * permille + 500) / 1000);
}

int
rplan_window(const struct rplan *y, uint32_t from, int n_days,
    uint32_t permille, struct rplan *wp, struct ld_err *err)
{
	int start = -1;
	uint64_t link = 0;
	uint32_t k;

	memset(wp, 0, sizeof(*wp));
	wp->seed = y->seed;
	for (int i = 0; i < y->n_days; i++)
		if (y->days[i].day == from)
			start = i;
	if (start < 0 || n_days < 1 || start + n_days > y->n_days)
		return err_set(err, LD_EINVAL, "plan: %d days from %u are not "
		    "in the plan's %u..%u", n_days, from, y->days[0].day,
		    y->days[y->n_days - 1].day);
	if (permille < 1 || permille > 1000)
		return err_set(err, LD_EINVAL, "plan: scale %u per mille is not "
		    "1..1000", permille);
	if ((wp->days = calloc((size_t)n_days, sizeof(*wp->days))) == NULL)
		return err_set(err, LD_ENOMEM, "plan: out of memory");
	wp->n_days = n_days;
	for (int i = 0; i < n_days; i++) {
		const struct rplan_day *d = &y->days[start + i];
		struct rplan_day *e = &wp->days[i];

		e->day = d->day;
		e->calls = rplan_scale(d->calls, permille);
		e->answered = rplan_scale(d->answered, permille);
		e->valid = rplan_scale(d->valid, permille);
		e->linkage = rplan_scale(d->linkage, permille);
		link += e->linkage;
	}
	k = y->linkage == 0 ? 0 : (uint32_t)(((uint64_t)y->in_progress * link +
	    y->linkage / 2) / y->linkage);
	if (k == 0 && link > 0)
		k = 1;
	if (rplan_finish(wp, k, err) != 0) {
		rplan_free(wp);
		return err->code;
	}
	return LD_OK;
}

int
rplan_extra_day(struct rplan *p, uint32_t day, uint32_t permille,
    struct ld_err *err)
{
	uint64_t sum[4] = { 0 }, n = 0;
	struct rplan_day *d;
	int wd = rplan_weekday(day);

	if (ltime_day_start(day) < 0)
		return err_set(err, LD_EINVAL, "plan: %u is not a day", day);
	for (int i = 0; i < p->n_days; i++) {
		if (p->days[i].day == day)
			return err_set(err, LD_EINVAL, "plan: day %u is in the "
			    "plan already", day);
		if (rplan_weekday(p->days[i].day) != wd)
			continue;
		sum[0] += p->days[i].calls;
		sum[1] += p->days[i].answered;
		sum[2] += p->days[i].valid;
		sum[3] += p->days[i].linkage;
		n++;
	}
	if (n == 0)
		return err_set(err, LD_EINVAL, "plan: no day of the plan is a "
		    "weekday like %u", day);
	d = realloc(p->days, (size_t)(p->n_days + 1) * sizeof(*d));
	if (d == NULL)
		return err_set(err, LD_ENOMEM, "plan: out of memory");
	p->days = d;
	d = &p->days[p->n_days];
	memset(d, 0, sizeof(*d));
	d->day = day;
	d->calls = rplan_scale((uint32_t)((sum[0] + n / 2) / n), permille);
	d->answered = rplan_scale((uint32_t)((sum[1] + n / 2) / n), permille);
	d->valid = rplan_scale((uint32_t)((sum[2] + n / 2) / n), permille);
	d->linkage = rplan_scale((uint32_t)((sum[3] + n / 2) / n), permille);
	d->first = p->days[p->n_days - 1].first + p->days[p->n_days - 1].linkage;
	p->n_days++;
	return LD_OK;
}

void
rplan_free(struct rplan *p)
{
	free(p->days);
	free(p->open);
	p->days = NULL;
	p->open = NULL;
	p->n_days = 0;
}
