/* due.c - deadlines that pass: urge, then supervise (due.h). */
#include "due.h"
#include "ltime.h"
#include "views.h"

#include <stdio.h>
#include <string.h>

#define DUE_EVENTS_MAX 1024	/* events one call plans at most */

/* by_due: due u64 BE | ticket id NUL | wo u8 | what u8 (1 sign, 2 done) */
struct due_scan {
	int64_t after, until;	/* (after, until] */
	int64_t first;		/* due_next: the first after `after` */
	const struct ld_req_env *env;
	struct ld_event *ev;
	size_t cap, n;
	int64_t ev_due[DUE_EVENTS_MAX];	/* the deadline of each event */
	int64_t covered;
	bool full;
	struct ld_ticket t;
	char last[LD_TICKET_MAX + 1];
	bool have;
};

static int64_t
due_key_time(const uint8_t *k)
{
	return (int64_t)views_get_u64(k);
}

static int
due_first_cb(const uint8_t *key, size_t len, void *arg)
{
	struct due_scan *d = arg;

	if (len < 8 + 3)
		return 0;
	if (due_key_time(key) > d->after) {
		d->first = due_key_time(key);
		return 1;
	}
	return 0;
}

int64_t
due_next(struct ld_store *s, int64_t after)
{
	struct due_scan d = { .after = after };
	uint8_t from[8];

	views_put_u64(from, after < 0 ? 0 : (uint64_t)after + 1);
	store_scan_from(s, "by_due", from, sizeof(from), due_first_cb, &d,
	    NULL);
	return d.first;
}

/* One event for work order wo of d->t: urged, or supervised when it was
 * urged before. */
static void
due_event(struct due_scan *d, unsigned wo, int what, int64_t due)
{
	const struct ld_wo *w = &d->t.wo[wo - 1];
	struct ld_event *ev = &d->ev[d->n];
	char when[32], note[128];
	bool supervise = w->urges > 0;

	/* urged earlier in this same call (both deadlines passed while
	 * the node was down): this is the second miss */
	for (size_t i = 0; i < d->n && !supervise; i++)
		supervise = d->ev[i].wo == wo &&
		    strcmp(d->ev[i].ticket, d->t.id) == 0;

	ltime_format(due, when, sizeof(when));
	snprintf(note, sizeof(note), "missed the deadline to %s (%s)",
	    what == 1 ? "sign for" : "complete", when);
	event_init(ev, supervise ? LD_EV_SUPERVISED : LD_EV_URGED,
	    d->env->t->nodes[d->env->self].id, d->env->now, DUE_ACTOR,
	    d->t.id);
	event_set_uint(ev, LD_F_WO, wo);
	event_set_str(ev, LD_F_NOTE, note);
	d->ev_due[d->n] = due;
	d->n++;
}

/* No room for the event of a deadline at `due`: the rest next time,
 * from just before it.  The events of other deadlines at the same moment
 * go back too, so that none is made twice (unless they alone fill the
 * call: then an extra urge is the lesser harm than none). */
static int
due_full(struct due_scan *d, int64_t due)
{
	size_t keep = d->n;

	while (keep > 0 && d->ev_due[keep - 1] == due)
		keep--;
	if (keep > 0)
		d->n = keep;
	d->covered = due - 1;
	d->full = true;
	return 1;
}

static int
due_plan_cb(const uint8_t *key, size_t len, void *arg)
{
	struct due_scan *d = arg;
	char id[LD_TICKET_MAX + 1];
	size_t idl;
	int64_t due;
	unsigned wo;
	int what;

	if (len < 8 + 3)
		return 0;
	due = due_key_time(key);
	if (due <= d->after)
		return 0;
	if (due > d->until)
		return 1;
	idl = strnlen((const char *)key + 8, len - 8);
	if (idl == 0 || idl > LD_TICKET_MAX || 8 + idl + 3 != len)
		return 0;
	memcpy(id, key + 8, idl);
	id[idl] = '\0';
	wo = key[8 + idl + 1];
	what = key[8 + idl + 2];
	if (!d->have || strcmp(d->last, id) != 0) {
		d->have = store_get_ticket(d->env->s, id, &d->t, NULL) == 0;
		snprintf(d->last, sizeof(d->last), "%s", id);
	}
	if (!d->have || wo < 1 || wo > d->t.n_wo ||
	    strcmp(d->t.owner, d->env->t->nodes[d->env->self].id) != 0 ||
	    d->t.transfer_to[0] != '\0')
		return 0;	/* not ours to act on (or frozen) */
	if (what == 1 ? d->t.wo[wo - 1].state == LD_WO_DISPATCHED :
	    ticket_wo_open(&d->t.wo[wo - 1])) {
		if (d->n == d->cap)
			return due_full(d, due);
		due_event(d, wo, what, due);
	}
	d->covered = due;
	return 0;
}

size_t
due_plan(const struct ld_req_env *env, int64_t after, int64_t now,
    struct ld_event *ev, size_t cap, int64_t *covered)
{
	static struct due_scan d;	/* large; the main thread's only */
	uint8_t from[8];

	memset(&d, 0, sizeof(d));
	d.after = after;
	d.until = now;
	d.env = env;
	d.ev = ev;
	d.cap = cap < DUE_EVENTS_MAX ? cap : DUE_EVENTS_MAX;

	d.covered = now;
	views_put_u64(from, after < 0 ? 0 : (uint64_t)after + 1);
	store_scan_from(env->s, "by_due", from, sizeof(from), due_plan_cb, &d,
	    NULL);
	*covered = d.full ? d.covered : now;
	return d.n;
}
