/*
 * spot.h - the daily spot check (抽查回访): for each unit, a sample of the
 * work orders it completed on a local day, drawn at random but
 * reproducibly from the topology's spot.seed, for the operators to call
 * the citizens back about.
 *
 * The draw: every work order completed that day (index by_done) gets the
 * rank SipHash-2-4(key = seed u64 LE | day u32 LE | 0 x4, "TICKET#WO");
 * each unit's spot.sample lowest ranks are its sample.  The same store,
 * day and seed give the same sample on every node and every run, and a
 * work order's chance does not depend on the others.
 */
#ifndef LD_SPOT_H
#define LD_SPOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "store.h"
#include "topo.h"

#define SPOT_MAX 5000		/* work orders in one day's whole sample */

struct ld_spot_item {
	char unit[LD_ID_MAX + 1];
	char ticket[LD_TICKET_MAX + 1];
	uint32_t wo;
	uint64_t rank;
};

/* The sample of day (YYYYMMDD) for the units of node self's scope (as
 * assess.h), ordered by unit then rank, into out[0 .. cap).  *n is how
 * many; *total how many work orders were completed that day in scope;
 * *truncated (may be NULL) whether out[] was too small for every unit's
 * whole sample (then the units met last have fewer, or none). */
int spot_draw(struct ld_store *s, const struct ld_topo *t, int self,
    uint32_t day, struct ld_spot_item *out, size_t cap, size_t *n,
    uint64_t *total, bool *truncated, struct ld_err *err);

/* The rank of one work order (for tests and for anyone re-checking). */
uint64_t spot_rank(uint64_t seed, uint32_t day, const char *ticket,
    uint32_t wo);

#endif
