/*
 * replay_plan.h - the traffic of a replayed year, day by day, from a seed
 * (docs/replay.md §2).
 *
 * The article gives totals for 2010-12-01 .. 2011-12-06 (calls in,
 * answered, valid, linkage requests, completed, in progress), the peak
 * month (July 2011: calls and linkage requests) and the peak day
 * (2011-08-31: calls and linkage requests).  rplan_make spreads them over
 * the days by a seasonal and weekly shape with a little noise, so that
 * every total, the peak month and the peak day come out exact, the peak
 * month is the busiest month and the peak day the busiest day.  Integer
 * arithmetic throughout: the same seed gives the same plan on any
 * machine.
 *
 * rplan_window cuts a few days out of a plan and scales them (a week at a
 * tenth, for the test suite); its totals are what that replay must show.
 */
#ifndef LD_REPLAY_PLAN_H
#define LD_REPLAY_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* The figures a plan must reproduce. */
struct rplan_spec {
	uint32_t from, to;		/* YYYYMMDD, both included */
	uint64_t calls, answered, valid, linkage;
	uint32_t in_progress;		/* linkage requests left open */
	uint32_t peak_month;		/* YYYYMM */
	uint64_t peak_month_calls, peak_month_linkage;
	uint32_t peak_day;		/* YYYYMMDD */
	uint32_t peak_day_calls, peak_day_linkage;
};

/* The article's year (../shared/DOMAIN.md, "The figures"). */
extern const struct rplan_spec rplan_article;

struct rplan_day {
	uint32_t day;			/* YYYYMMDD */
	uint32_t calls;			/* came in */
	uint32_t answered;		/* ... of which answered */
	uint32_t valid;			/* ... of which valid requests */
	uint32_t linkage;		/* ... of which linkage requests */
	uint32_t first;			/* index of its first linkage request
					 * in the plan (0, 1, ... over days) */
};

struct rplan {
	uint64_t seed;
	int n_days;
	int n_period;			/* the first n_period days are the
					 * period; extra days follow */
	struct rplan_day *days;		/* n_days, in order */
	uint64_t calls, answered, valid, linkage;	/* sums over the
							 * period */
	uint32_t in_progress;		/* how many to leave open */
	uint32_t *open;			/* their linkage indexes, ascending */
};

/* Spread spec over its days.  LD_EINVAL with the reason if spec cannot be
 * met (a total below a peak, a peak that would not be the peak, ...),
 * LD_ENOMEM. */
int rplan_make(const struct rplan_spec *spec, uint64_t seed, struct rplan *p,
    struct ld_err *err);

/* Days [from, from + n_days) of year, each figure times scale_permille /
 * 1000 (rounded half up: linkage <= valid <= answered <= calls still
 * holds), with in_progress scaled by the linkage requests the window
 * keeps (at least 1 when any).  The window's days must lie in year. */
int rplan_window(const struct rplan *year, uint32_t from, int n_days,
    uint32_t scale_permille, struct rplan *w, struct ld_err *err);

/* A day of the same shape outside the article's period (the cut-over day
 * 2012-01-10): its figures from the shape of its month and weekday,
 * scaled like the window.  Appended to p (its linkage requests numbered
 * after the others; none left open). */
int rplan_extra_day(struct rplan *p, uint32_t day, uint32_t scale_permille,
    struct ld_err *err);

/* The day whose linkage requests include k, NULL if none (binary search:
 * the days' first indexes ascend). */
const struct rplan_day *rplan_day_of(const struct rplan *p, uint32_t k);

/* Linkage request k (0 ..) is one of those to leave open. */
bool rplan_is_open(const struct rplan *p, uint32_t k);

void rplan_free(struct rplan *p);

/* A well-mixed 64-bit value of (seed, a, b) (splitmix64): every random
 * choice of the replay comes from it. */
uint64_t rplan_hash(uint64_t seed, uint64_t a, uint64_t b);

#endif
