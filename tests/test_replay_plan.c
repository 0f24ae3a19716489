/*
 * test_replay_plan.c - the replayed year's days (replay_plan.h): the
 * article's totals, peak month and peak day exact; the peaks are the
 * peaks; the same seed gives the same plan; a window and an extra day.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "replay_plan.h"

static void
t_article(void **state)
{
	struct rplan p, q;
	struct ld_err err;
	uint64_t july_c = 0, july_l = 0, month[13] = { 0 };
	uint32_t top = 0;

	(void)state;
	if (rplan_make(&rplan_article, 42, &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p.n_days, 371);
	assert_int_equal(p.n_period, 371);
	assert_int_equal(p.days[0].day, 20101201);
	assert_int_equal(p.days[370].day, 20111206);
	assert_int_equal(p.calls, 1321215);
	assert_int_equal(p.answered, 1121250);
	assert_int_equal(p.valid, 365946);
	assert_int_equal(p.linkage, 158978);
	assert_int_equal(p.in_progress, 726);
	for (int i = 0; i < p.n_days; i++) {
		const struct rplan_day *d = &p.days[i];

		assert_true(d->linkage <= d->valid && d->valid <= d->answered &&
		    d->answered <= d->calls);
		if (d->day / 100 == 201107) {
			july_c += d->calls;
			july_l += d->linkage;
		} else if (d->day / 100 != 201012) {
			month[d->day / 100 % 100] += d->calls;
		}
		if (d->day == 20110831) {
			assert_int_equal(d->calls, 4838);
			assert_int_equal(d->linkage, 871);
		} else if (d->calls > top) {
			top = d->calls;
		}
		if (i > 0)
			assert_int_equal(d->first, d[-1].first + d[-1].linkage);
	}
	assert_int_equal(july_c, 117068);
	assert_int_equal(july_l, 23444);
	assert_true(top < 4838);
	for (int m = 1; m <= 12; m++)
		assert_true(month[m] < 117068);
	/* the open ones: 726 distinct, of the last 30 days */
	for (uint32_t k = 0; k < p.in_progress; k++) {
		assert_true(p.open[k] >= p.days[341].first);
		assert_true(rplan_is_open(&p, p.open[k]));
		if (k > 0)
			assert_true(p.open[k] > p.open[k - 1]);
	}
	assert_false(rplan_is_open(&p, 0));
	/* the day of a linkage request */
	assert_int_equal(rplan_day_of(&p, 0)->day, 20101201);
	assert_int_equal(rplan_day_of(&p, 158977)->day, 20111206);
	assert_true(rplan_day_of(&p, 158978) == NULL);
	assert_int_equal(rplan_day_of(&p, p.days[273].first)->day,
	    p.days[273].day);
	/* the same seed: the same plan; another: another */
	assert_int_equal(rplan_make(&rplan_article, 42, &q, &err), 0);
	assert_memory_equal(p.days, q.days, 371 * sizeof(*p.days));
	assert_memory_equal(p.open, q.open, 726 * sizeof(*p.open));
	rplan_free(&q);
	assert_int_equal(rplan_make(&rplan_article, 43, &q, &err), 0);
	assert_true(memcmp(p.days, q.days, 371 * sizeof(*p.days)) != 0);
	rplan_free(&q);
	rplan_free(&p);
}

static void
t_window_and_extra(void **state)
{
	struct rplan y, w;
	struct ld_err err;
	uint64_t c = 0;

	(void)state;
	assert_int_equal(rplan_make(&rplan_article, 7, &y, &err), 0);
	if (rplan_window(&y, 20110828, 7, 100, &w, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(w.n_days, 7);
	assert_int_equal(w.days[3].day, 20110831);
	assert_int_equal(w.days[3].calls, 484);		/* 4838 / 10 */
	assert_int_equal(w.days[3].linkage, 87);	/* 871 / 10 */
	for (int i = 0; i < 7; i++)
		c += w.days[i].calls;
	assert_int_equal(w.calls, c);
	assert_true(w.in_progress >= 1);
	assert_true(w.open[0] < w.linkage);
	rplan_free(&w);
	/* an extra day after the period: not in its sums */
	assert_int_equal(rplan_extra_day(&y, 20120110, 1000, &err), 0);
	assert_int_equal(y.n_days, 372);
	assert_int_equal(y.n_period, 371);
	assert_int_equal(y.calls, 1321215);
	assert_true(y.days[371].calls > 2000 && y.days[371].calls < 4838);
	assert_int_equal(y.days[371].first, 158978);
	assert_int_equal(rplan_extra_day(&y, 20110101, 1000, &err), LD_EINVAL);
	/* out of the plan, a bad scale */
	assert_int_equal(rplan_window(&y, 20120301, 7, 100, &w, &err),
	    LD_EINVAL);
	assert_non_null(strstr(err.msg, "not in the plan"));
	assert_int_equal(rplan_window(&y, 20110828, 7, 0, &w, &err),
	    LD_EINVAL);
	rplan_free(&y);
}

static void
t_impossible(void **state)
{
	struct rplan_spec s = rplan_article;
	struct rplan p;
	struct ld_err err;

	(void)state;
	s.peak_day_calls = 3000;	/* not above the other days */
	assert_int_equal(rplan_make(&s, 1, &p, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "not below the peak day"));
	s = rplan_article;
	s.peak_month_calls = 90000;	/* not above the other months */
	assert_int_equal(rplan_make(&s, 1, &p, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "not below the peak month"));
	s = rplan_article;
	s.valid = s.answered + 1;
	assert_int_equal(rplan_make(&s, 1, &p, &err), LD_EINVAL);
	s = rplan_article;
	s.to = 20101130;
	assert_int_equal(rplan_make(&s, 1, &p, &err), LD_EINVAL);
	s = rplan_article;
	s.in_progress = 100000;		/* more than the last 30 days hold */
	assert_int_equal(rplan_make(&s, 1, &p, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "last 30 days"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_article),
		cmocka_unit_test(t_window_and_extra),
		cmocka_unit_test(t_impossible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
