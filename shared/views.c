/* views.c - index keys of a ticket view, counter deltas of an event. */
#include "views.h"
#include "ltime.h"

#include <assert.h>
#include <string.h>

const char *const views_index_names[LD_IX__COUNT] = {
	[LD_IX_STATE] = "by_state",
	[LD_IX_UNIT] = "by_unit",
	[LD_IX_DUE] = "by_due",
	[LD_IX_DAY] = "by_day",
	[LD_IX_PHONE] = "by_phone",
};

/* Append string s with its NUL to key k at *n. */
static void
views_key_str(struct ld_ikey *k, const char *s)
{
	size_t n = strlen(s) + 1;

	assert(k->len + n <= LD_IKEY_MAX);
	memcpy(k->k + k->len, s, n);
	k->len = (uint8_t)(k->len + n);
}

static void
views_key_u64(struct ld_ikey *k, uint64_t v)
{
	assert(k->len + 8 <= LD_IKEY_MAX);
	views_put_u64(k->k + k->len, v);
	k->len = (uint8_t)(k->len + 8);
}

static void
views_key_u8(struct ld_ikey *k, uint8_t v)
{
	assert(k->len + 1 <= LD_IKEY_MAX);
	k->k[k->len++] = v;
}

static uint64_t
views_due(int64_t ms)
{
	return ms < 0 ? 0 : (uint64_t)ms;
}

size_t
views_index_keys(const struct ld_ticket *t, struct ld_ikey *out, size_t cap)
{
	size_t n = 0;
	struct ld_ikey *k;

	assert(cap >= LD_IKEYS_MAX);
	if (t->state == LD_TS_NONE)
		return 0;

	k = &out[n++];
	memset(k, 0, sizeof(*k));
	k->ix = LD_IX_STATE;
	views_key_u8(k, t->state);
	views_key_str(k, t->id);

	k = &out[n++];
	memset(k, 0, sizeof(*k));
	k->ix = LD_IX_DAY;
	views_put_u32(k->k, ltime_day(t->created_ms));
	k->len = 4;
	views_key_str(k, t->id);

	if (t->phone[0] != '\0') {
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_PHONE;
		views_key_str(k, t->phone);
		views_key_str(k, t->id);
	}

	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++) {
		const struct ld_wo *w = &t->wo[i];

		if (!ticket_wo_open(w))
			continue;
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_UNIT;
		views_key_str(k, w->unit);
		/* the soonest deadline the unit has to meet: to sign for
		 * (while unsigned, if sooner), else to complete */
		views_key_u64(k, views_due(w->state == LD_WO_DISPATCHED &&
		    w->due_sign_ms < w->due_done_ms ? w->due_sign_ms :
		    w->due_done_ms));
		views_key_str(k, t->id);
		views_key_u8(k, (uint8_t)(i + 1));

		if (w->state == LD_WO_DISPATCHED) {
			k = &out[n++];
			memset(k, 0, sizeof(*k));
			k->ix = LD_IX_DUE;
			views_key_u64(k, views_due(w->due_sign_ms));
			views_key_str(k, t->id);
			views_key_u8(k, (uint8_t)(i + 1));
			views_key_u8(k, 1);
		}
		k = &out[n++];
		memset(k, 0, sizeof(*k));
		k->ix = LD_IX_DUE;
		views_key_u64(k, views_due(w->due_done_ms));
		views_key_str(k, t->id);
		views_key_u8(k, (uint8_t)(i + 1));
		views_key_u8(k, 2);
	}
	assert(n <= cap);
	return n;
}

void
views_counter_deltas(const struct ld_event *ev, const struct ld_ticket *before,
    const struct ld_ticket *after, uint32_t *d)
{
	switch (ev->kind) {
	case LD_EV_CALL_RECEIVED: d[LD_C_CALLS_IN]++; break;
	case LD_EV_CALL_ANSWERED: d[LD_C_ANSWERED]++; break;
	case LD_EV_CALL_CLASSIFIED:
		if (!ev->valid)
			break;
		d[LD_C_VALID]++;
		switch (ev->call_class) {
		case LD_CLASS_POLICE: d[LD_C_POLICE]++; break;
		case LD_CLASS_FIRE: d[LD_C_FIRE]++; break;
		case LD_CLASS_MEDICAL: d[LD_C_MEDICAL]++; break;
		case LD_CLASS_LINKAGE: d[LD_C_LINKAGE]++; break;
		default: break;
		}
		break;
	case LD_EV_TICKET_CREATED: d[LD_C_TICKETS]++; break;
	case LD_EV_DISPATCHED: d[LD_C_WO_DISPATCHED]++; break;
	case LD_EV_SIGNED: d[LD_C_WO_SIGNED]++; break;
	case LD_EV_RETURNED: d[LD_C_WO_RETURNED]++; break;
	case LD_EV_COMPLETED: d[LD_C_WO_COMPLETED]++; break;
	case LD_EV_REPORTED: d[LD_C_REPORTED]++; break;
	case LD_EV_CALLBACK:
		d[LD_C_CALLBACKS]++;
		if (ev->satisfaction == LD_SAT_SATISFIED)
			d[LD_C_SATISFIED]++;
		else if (ev->satisfaction == LD_SAT_BASIC)
			d[LD_C_BASIC]++;
		else
			d[LD_C_UNSATISFIED]++;
		break;
	case LD_EV_REOPENED: d[LD_C_REOPENED]++; break;
	case LD_EV_CLOSED: d[LD_C_CLOSED]++; break;
	case LD_EV_URGED: d[LD_C_URGED]++; break;
	case LD_EV_SUPERVISED: d[LD_C_SUPERVISED]++; break;
	case LD_EV_EXT_REQUESTED: d[LD_C_EXT_REQUESTED]++; break;
	case LD_EV_EXT_GRANTED: d[LD_C_EXT_GRANTED]++; break;
	case LD_EV_EXT_REFUSED: d[LD_C_EXT_REFUSED]++; break;
	case LD_EV_TRANSFER_ACCEPTED: d[LD_C_TRANSFERS]++; break;
	case LD_EV_PLAN_ACTIVATED: d[LD_C_PLANS]++; break;
	case LD_EV_ANNOUNCED: d[LD_C_ANNOUNCEMENTS]++; break;
	default: break;
	}
	/* A ticket counts as completed when it enters COMPLETED, whatever
	 * the event: its last open work order done, or a transfer re-routed
	 * the returned ones.  (One work order done while another waits for
	 * re-routing is RETURNED, not complete; a ticket closed from NEW
	 * never was complete.) */
	if (after != NULL && before != NULL && before->state != LD_TS_COMPLETED &&
	    after->state == LD_TS_COMPLETED)
		d[LD_C_COMPLETED]++;
}
