/*
 * views.h - what a ticket view and an event mean for the indexes and the
 * counters.  Pure functions: the store (store.c) turns their output into
 * LMDB puts and deletes, the same way live and in rebuild.
 *
 * Index key layouts are documented in store.h.
 */
#ifndef LD_VIEWS_H
#define LD_VIEWS_H

#include <stdbool.h>
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
	LD_IX_DONE,
	LD_IX_INCIDENT,
	LD_IX_PLAN,
	LD_IX__COUNT
};

#define LD_IKEY_MAX 80
/* by_state, by_day, by_phone: 1 each; by_unit: 1 per open work order;
 * by_due: up to 2 per open work order (sign for, complete); by_done: 1
 * per completed work order; by_incident: 1 for an attached ticket. */
#define LD_IKEYS_MAX (5 + 4 * LD_WO_MAX)

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

/* Counter changes caused by ev, which moved a ticket from *before to
 * *after (both NULL for call events), on the event's local day.  delta[]
 * has LD_C__COUNT slots and is added to, not cleared. */
void views_counter_deltas(const struct ld_event *ev,
    const struct ld_ticket *before, const struct ld_ticket *after,
    int32_t *delta);
/* The change of LD_C_DONE (tickets now done, on the day they were
 * created): +1 when the ticket became done (COMPLETED or later, or
 * CLOSED), -1 when a reopen undid that, else 0. */
int views_done_delta(const struct ld_ticket *before,
    const struct ld_ticket *after);
/* The node a ticket's or call's counters belong to: the node that took
 * the request (the node part of the ticket id; the origin of a call
 * event).  buf holds LD_NODE_MAX + 1. */
void views_count_node(const struct ld_event *ev, char *buf);

/* A change of one unit's counter of one month (store.h: unit_counters). */
struct ld_udelta {
	uint32_t month;		/* YYYYMM, local: the work order's dispatch */
	const char *unit;	/* points into the ticket */
	uint8_t counter;	/* enum ld_ucounter */
	int32_t d;
};
/* callbacks: 4 per unit; reopen: 3 per work order */
#define LD_UDELTAS_MAX (4 * LD_WO_MAX)
/* The unit counter changes caused by ev (before -> after, both non-NULL);
 * returns how many (<= cap, cap >= LD_UDELTAS_MAX). */
size_t views_unit_deltas(const struct ld_event *ev,
    const struct ld_ticket *before, const struct ld_ticket *after,
    struct ld_udelta *out, size_t cap);

/* The ticket id of a by_incident or by_plan key (incident or area NUL |
 * ticket NUL) into ticket (LD_TICKET_MAX + 1); false if the key is not
 * one. */
bool views_key_ticket(const uint8_t *key, size_t len, char *ticket);

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

static inline uint32_t
views_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

#endif
