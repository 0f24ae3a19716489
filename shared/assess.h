/*
 * assess.h - the report of a period (struct ld_report, report.h), made
 * from one read snapshot of the store: the article's figures from the day
 * counters, the assessment of every unit from the unit counters
 * (docs/assessment.md).  Reads only: it never blocks dispatch (LMDB
 * readers do not wait for the writer).
 *
 * Scope (fed_in_subtree): a node reports on itself and the nodes below it in the topology
 * (the city on the whole federation, a county on its own), and on the
 * units whose home is one of those nodes (plus any unit its counters name
 * that the topology no longer has, under its id).
 */
#ifndef LD_ASSESS_H
#define LD_ASSESS_H

#include <stdint.h>

#include "err.h"
#include "report.h"
#include "store.h"
#include "topo.h"

/* Fill *r for local days [day_from, day_to] (YYYYMMDD, at most
 * LD_REP_DAYS_MAX days) as node self (index into t->nodes) sees it at
 * now.  Returns 0, LD_EINVAL (bad period, with the reason) or a store
 * error. */
int assess_report(struct ld_store *s, const struct ld_topo *t, int self,
    uint32_t day_from, uint32_t day_to, int64_t now, struct ld_report *r,
    struct ld_err *err);

#endif
