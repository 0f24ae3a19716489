/*
 * views.h - what a ticket view and an event mean for the indexes and the
 * counters.  Pure functions: the store (store.c) turns their output into
 * LMDB puts and deletes, the same way live and in rebuild.
 *
 * Index key layouts are documented in store.h.
 */
#ifndef LD_VIEWS_H
#define LD_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"
#include "ticket.h"

enum ld_index {
	LD_IX_STATE = 0,
	LD_IX_UNIT,
	LD_IX_DUE,
	LD_IX_DAY,
	LD_IX_PHONE,
	LD_IX__COUNT
};

#define LD_IKEY_MAX 80
/* by_state, by_day, by_phone: 1 each; by_unit: 1 per open work order;
 * by_due: up to 2 per open work order (sign for, complete). */
#define LD_IKEYS_MAX (3 + 3 * LD_WO_MAX)

struct ld_ikey {
	uint8_t ix;		/* enum ld_index */
	uint8_t len;
	uint8_t k[LD_IKEY_MAX];
};

/* Index names as LMDB database names ("by_state", ...). */
extern const char *const views_index_names[LD_IX__COUNT];

/* Every index key the ticket should have; returns how many (<= cap). */
size_t views_index_keys(const struct ld_ticket *t, struct ld_ikey *out,
    size_t cap);

/* Counter increments caused by ev, which moved a ticket from *before to
 * *after (both NULL for call events).  delta[] has LD_C__COUNT slots and
 * is added to, not cleared. */
void views_counter_deltas(const struct ld_event *ev,
    const struct ld_ticket *before, const struct ld_ticket *after,
    uint32_t *delta);

/* Big-endian helpers for keys. */
static inline void
views_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
views_get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
views_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
