/*
 * replay.h - drive a real running federation through the article's year
 * in simulated time (docs/replay.md).
 *
 * replay_run writes the replay's topology (replay_topo.h) and keys into a
 * work dir, starts the four nodes (city-node LY, county-node XA, YS, MJ)
 * on a simulated clock file (LD_CLOCK_FILE), puts a TCP relay on XA's line
 * to the city, and plays the plan's days (replay_plan.h) through the
 * client protocol over CURVE: every call logged, every linkage request
 * created, dispatched by the nodes' own rules, signed for and completed by
 * the units' terminals (most in time, some late: the nodes urge and
 * supervise them), told to the citizen, called back and closed; hand-downs
 * and escalations answered by the other node's operator; an emergency plan
 * on the 16th of each month with further calls attached to it; and the
 * line between Xin'an and the city cut for six hours.  The clock moves an
 * hour at a time: every request of an hour is stamped with that hour, and
 * the next hour starts when the last of them is answered.
 *
 * Afterwards it waits for the federation to agree (the city's figures of
 * each county equal the county's own), reads the city's report over the
 * plan's period and compares it with the plan, stops the nodes cleanly and
 * collects their figures (events, group commits, peak memory, database
 * size).  Deterministic from the seed: the same requests in the same
 * simulated hours.
 */
#ifndef LD_REPLAY_H
#define LD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "replay_proc.h"
#include "report.h"

struct replay_opts {
	const char *dir;		/* work dir (exists, empty) */
	const char *city_bin, *county_bin;	/* the node programs */
	uint64_t seed;
	uint32_t from;			/* window: first day, 0 = the year */
	int days;			/* window: days */
	uint32_t scale;			/* window: per mille of the traffic */
	uint32_t cut_day;		/* YYYYMMDD of the cut, 0 = none */
	int cut_from_h, cut_to_h;	/* its hours, local */
	int port_base;			/* ports port_base .. + 40 */
	int window;			/* requests in flight per connection */
	bool progress;			/* a progress line on stderr */
};

struct replay_result {
	uint32_t period_from, period_to;	/* the plan's period */
	int64_t sim_first, sim_last;	/* simulated time covered */
	double wall_s;			/* from the first hour to the last
					 * answer */
	uint64_t requests, errors;	/* answered; of them errors */
	uint64_t retries, failed;	/* sent again later; given up */
	uint64_t calls, tickets, handdowns, escalations, incidents,
	    attached, cut_deferred;
	uint64_t cut_swallowed;		/* bytes the cut line swallowed */
	struct ld_rep_fig expect;	/* the plan's figures */
	struct ld_rep_fig got;		/* the city's report over the period */
	bool counts_equal;		/* expect and got agree on every
					 * planned figure */
	bool agreed;			/* each county's figures at the city
					 * equal its own */
	int satisfaction_pm;		/* the city's, per mille */
	struct rproc proc;		/* the nodes: events, memory, size */
	char failure[256];		/* the first failure, if any */
};

/* Run the replay.  0 when it ran (see counts_equal, agreed, failed for
 * the verdict); LD_EIO and the reason when it could not (nodes did not
 * start, a connection failed, a node died). */
int replay_run(const struct replay_opts *o, struct replay_result *r,
    struct ld_err *err);

#endif
