/*
 * fed_cache.c - what the parent's down scan has already learnt of its
 * applied entries and of their tickets (fed.h: the down scan's cache).
 *
 * Entries: a ring by apply index.  An applied entry never changes, so a
 * slot holding idx is good for ever (until a later index takes the slot).
 * Tickets: direct-mapped by a hash of the id, each with the apply index
 * of the snapshot its view was read in; good only while the store's last
 * apply index is still that one (nothing applied since, so the view is
 * what a fresh read gives).
 */
#include "fed.h"
#include "codec.h"
#include "ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FED_CACHE_EVENTS 8192	/* a few commits of a busy city */
#define FED_CACHE_TICKETS 2048

struct fed_cache_ev {
	uint64_t idx;		/* 0: empty */
	bool ok;		/* decoded */
	struct fed_ev_scope sc;
};

struct fed_cache_tk {
	uint64_t at;		/* apply index of its snapshot; 0: empty */
	bool held;
	char id[LD_TICKET_MAX + 1];
	struct fed_tk_scope sc;
};

struct fed_cache {
	struct fed_cache_ev ev[FED_CACHE_EVENTS];
	struct fed_cache_tk tk[FED_CACHE_TICKETS];
};

struct fed_cache *
fed_cache_new(void)
{
	return calloc(1, sizeof(struct fed_cache));
}

void
fed_cache_free(struct fed_cache *c)
{
	free(c);
}

/* Fill idx's slot: the scope of ev, or "does not decode" (ev NULL). */
static const struct fed_ev_scope *
fed_cache_fill(struct fed_cache *c, uint64_t idx, const struct ld_event *ev)
{
	struct fed_cache_ev *e = &c->ev[idx % FED_CACHE_EVENTS];

	e->idx = idx;
	e->ok = ev != NULL;
	if (e->ok)
		fed_ev_scope_of(&e->sc, ev);
	return e->ok ? &e->sc : NULL;
}

const struct fed_ev_scope *
fed_cache_peek(struct fed_cache *c, uint64_t idx, bool *known)
{
	const struct fed_cache_ev *e = &c->ev[idx % FED_CACHE_EVENTS];

	*known = idx != 0 && e->idx == idx;
	return *known && e->ok ? &e->sc : NULL;
}

const struct fed_ev_scope *
fed_cache_event(struct fed_cache *c, uint64_t idx, const uint8_t *bytes,
    size_t len, struct ld_event *scratch)
{
	bool known;
	const struct fed_ev_scope *sc = fed_cache_peek(c, idx, &known);

	if (known)
		return sc;
	return fed_cache_fill(c, idx, codec_event_decode(bytes, len, scratch,
	    NULL) == 0 ? scratch : NULL);
}

void
fed_cache_put(struct fed_cache *c, uint64_t idx, const struct ld_event *ev)
{
	if (idx != 0)
		fed_cache_fill(c, idx, ev);
}

/* FNV-1a of the id. */
static uint32_t
fed_cache_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h;
}

const struct fed_tk_scope *
fed_cache_ticket(struct fed_cache *c, struct ld_store *s, const char *id,
    uint64_t last, struct ld_ticket *scratch)
{
	struct fed_cache_tk *t = &c->tk[fed_cache_hash(id) % FED_CACHE_TICKETS];
	uint64_t at = 0;

	if (t->at == 0 || t->at != last || strcmp(t->id, id) != 0) {
		t->held = store_get_head_at(s, id, scratch, &at, NULL) == 0;
		if (t->held)
			fed_tk_scope_of(&t->sc, scratch);
		snprintf(t->id, sizeof(t->id), "%s", id);
		t->at = at;	/* 0 (not kept) when the read failed */
	}
	return t->held ? &t->sc : NULL;
}
