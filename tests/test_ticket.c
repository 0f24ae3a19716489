/*
 * test_ticket.c - the ticket state machine (shared/ticket.c).
 *
 *  a) a table: every event kind in every ticket state, expected outcome
 *     written down by hand;
 *  b) the cases of the Luoyang article, with exact refusal messages;
 *  c) a seeded random walk (LD_SEED=n to replay, LD_RANDOM_SEQS=n for a
 *     longer run) checking the invariants after every step;
 *  d) ticket ids.
 */
#include "testutil.h"

#include <inttypes.h>

#include "err.h"
#include "event.h"
#include "ticket.h"

#define TID	"XA-2011-000123"
#define MIN_MS	(60LL * 1000)
#define HOUR_MS	(60 * MIN_MS)
#define DAY_MS	(24 * HOUR_MS)

/* 2011-12-06 10:00 Luoyang time: the missing manhole cover is reported. */
#define T_COVER	(1323136800LL * 1000)
/* 2011-11-16 11:05 Luoyang time: the Guanlin water plant loses power. */
#define T_POWER	(1321412700LL * 1000)

/* ---- helpers ----------------------------------------------------------- */

/*
 * Fill *ev with a well-formed event of kind k on ticket TID: the required
 * fields get plausible values; wo and unit are used by the kinds that take
 * them.  Scenario tests change fields afterwards.
 */
static void
ticket_tev(struct ld_event *ev, enum ld_event_kind k, const char *origin,
    int64_t time, uint32_t wo, const char *unit)
{
	event_init(ev, k, origin, time, "op:xa-wang",
	    (k >= LD_EV_TICKET_CREATED) ? TID : "");
	switch (k) {
	case LD_EV_NONE:
		break;
	case LD_EV_CALL_RECEIVED:
		event_set_str(ev, LD_F_CALL, "c1");
		event_set_str(ev, LD_F_PHONE, "13800000000");
		break;
	case LD_EV_CALL_ANSWERED:
		event_set_str(ev, LD_F_CALL, "c1");
		break;
	case LD_EV_CALL_CLASSIFIED:
		event_set_str(ev, LD_F_CALL, "c1");
		event_set_bool(ev, LD_F_VALID, true);
		break;
	case LD_EV_TICKET_CREATED:
		event_set_str(ev, LD_F_CALLER, "Ms Wang");
		event_set_str(ev, LD_F_PHONE, "13800000000");
		event_set_str(ev, LD_F_PLACE, "50 m north-west of the Wangcheng "
		    "Avenue / Guanlin Road crossing");
		event_set_str(ev, LD_F_AREA, "luolong");
		event_set_str(ev, LD_F_TEXT, "a manhole cover is missing");
		event_set_str(ev, LD_F_CATEGORY, "manhole");
		event_set_uint(ev, LD_F_URGENCY, 2);
		break;
	case LD_EV_ROUTED:
		event_set_str(ev, LD_F_RULE, "manhole/telecom");
		event_add_unit(ev, unit);
		break;
	case LD_EV_DISPATCHED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_UNIT, unit);
		event_set_time(ev, LD_F_DUE_SIGN, time + HOUR_MS);
		event_set_time(ev, LD_F_DUE_DONE, time + DAY_MS);
		break;
	case LD_EV_SIGNED:
	case LD_EV_URGED:
	case LD_EV_SUPERVISED:
		event_set_uint(ev, LD_F_WO, wo);
		break;
	case LD_EV_RETURNED:
	case LD_EV_EXT_REFUSED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_REASON, "not ours");
		break;
	case LD_EV_EXT_REQUESTED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_time(ev, LD_F_UNTIL, time + 30 * DAY_MS);
		event_set_str(ev, LD_F_REASON, "parts on order");
		break;
	case LD_EV_EXT_GRANTED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_time(ev, LD_F_UNTIL, time + 30 * DAY_MS);
		break;
	case LD_EV_PROGRESS:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_NOTE, "crew on site");
		break;
	case LD_EV_COMPLETED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_RESULT, "fixed");
		break;
	case LD_EV_REPORTED:
		event_set_str(ev, LD_F_NOTE, "told the caller");
		break;
	case LD_EV_CALLBACK:
		event_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE);
		event_set_uint(ev, LD_F_SATISFACTION, LD_SAT_SATISFIED);
		break;
	case LD_EV_REOPENED:
		event_set_str(ev, LD_F_REASON, "caller not satisfied");
		event_set_time(ev, LD_F_DUE_SIGN, time + HOUR_MS);
		event_set_time(ev, LD_F_DUE_DONE, time + DAY_MS);
		break;
	case LD_EV_CLOSED:
		event_set_str(ev, LD_F_REASON, "resolved on the phone");
		break;
	case LD_EV_SETTLED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_UNIT, unit);
		break;
	case LD_EV_TRANSFER_REQUESTED:
		event_set_str(ev, LD_F_NODE, "LY");
		event_set_uint(ev, LD_F_DIRECTION, LD_DIR_UP);
		event_set_str(ev, LD_F_REASON, "beyond the county");
		break;
	case LD_EV_TRANSFER_ACCEPTED:
		event_set_str(ev, LD_F_NODE, "LY");
		break;
	case LD_EV_TRANSFER_REFUSED:
		event_set_str(ev, LD_F_NODE, "LY");
		event_set_str(ev, LD_F_REASON, "a county matter");
		break;
	case LD_EV_PLAN_ACTIVATED:
		event_set_str(ev, LD_F_PLAN, "plan-water-outage");
		event_add_unit(ev, "power");
		event_add_unit(ev, "water");
		event_set_bool(ev, LD_F_GOV, true);
		break;
	case LD_EV_ANNOUNCED:
		event_set_str(ev, LD_F_CHANNEL, "sms");
		event_set_str(ev, LD_F_TEXT, "water is cut in the new district");
		break;
	case LD_EV_ATTACHED:
		event_set_str(ev, LD_F_INCIDENT, "XA-2011-000999");
		break;
	case LD_EV_GOV_REPORTED:
		event_set_str(ev, LD_F_TEXT, "关林水厂停电，新区大面积停水");
		break;
	case LD_EV_RULED:
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_NOTE, "the pipe is the water group's");
		event_set_time(ev, LD_F_DUE_SIGN, time + HOUR_MS);
		event_set_time(ev, LD_F_DUE_DONE, time + DAY_MS);
		break;
	case LD_EV__COUNT:
		fail();
	}
}

/* Apply and require acceptance; print the refusal if there is one. */
static void
ticket_tok(struct ld_ticket *t, const struct ld_event *ev, int64_t now)
{
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = ticket_apply(t, ev, now, &err);
	if (rc != 0)
		fail_msg("%s refused (%s): %s", event_kind_name(ev->kind),
		    err_name(rc), err.msg);
	assert_int_equal(ticket_check(t, &err), 0);
}

/* Apply and require refusal with exactly msg (NULL: any message); the
 * ticket must stay byte-identical. */
static void
ticket_trefused(struct ld_ticket *t, const struct ld_event *ev, int64_t now,
    int code, const char *msg)
{
	struct ld_ticket before = *t;
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = ticket_apply(t, ev, now, &err);
	if (rc != code)
		fail_msg("%s: expected %s, got %s (%s)",
		    event_kind_name(ev->kind), err_name(code), err_name(rc),
		    err.msg);
	assert_memory_equal(&before, t, sizeof(before));
	assert_int_equal(err.code, code);
	assert_true(err.msg[0] != '\0');
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
}

/* Shorthand: the standard event of kind k, applied and accepted. */
static void
ticket_tstep(struct ld_ticket *t, enum ld_event_kind k, int64_t time,
    uint32_t wo, const char *unit)
{
	struct ld_event ev;

	ticket_tev(&ev, k, "XA", time, wo, unit);
	ticket_tok(t, &ev, time + MIN_MS);
}

/* ---- a) every kind in every state ------------------------------------- */

enum ticket_tstart {
	S_NONE, S_NEW, S_DISP, S_INPR, S_RET, S_COMP, S_REP, S_CB, S_CLOSED,
	S_NEWP, S__COUNT
};

static const char *const ticket_tstart_names[S__COUNT] = {
	"none", "new", "dispatched", "in_progress", "returned", "completed",
	"reported", "called_back", "closed", "new+transfer pending"
};

/*
 * Bring a zeroed ticket into start state s by a fixed sequence of events
 * (one a minute from T_COVER); work order 1 goes to unit unicom.
 */
static void
ticket_tbuild(struct ld_ticket *t, enum ticket_tstart s)
{
	int64_t tm = T_COVER;

	memset(t, 0, sizeof(*t));
	if (s == S_NONE)
		return;
	ticket_tstep(t, LD_EV_TICKET_CREATED, tm += MIN_MS, 0, "");
	if (s == S_NEWP) {
		ticket_tstep(t, LD_EV_TRANSFER_REQUESTED, tm += MIN_MS, 0, "");
		return;
	}
	if (s == S_NEW)
		return;
	ticket_tstep(t, LD_EV_ROUTED, tm += MIN_MS, 0, "unicom");
	ticket_tstep(t, LD_EV_DISPATCHED, tm += MIN_MS, 1, "unicom");
	if (s == S_DISP)
		return;
	if (s == S_RET) {
		ticket_tstep(t, LD_EV_RETURNED, tm += MIN_MS, 1, "");
		return;
	}
	ticket_tstep(t, LD_EV_SIGNED, tm += MIN_MS, 1, "");
	if (s == S_INPR)
		return;
	ticket_tstep(t, LD_EV_COMPLETED, tm += MIN_MS, 1, "");
	if (s == S_COMP)
		return;
	ticket_tstep(t, LD_EV_REPORTED, tm += MIN_MS, 0, "");
	if (s == S_REP)
		return;
	ticket_tstep(t, LD_EV_CALLBACK, tm += MIN_MS, 0, "");
	if (s == S_CB)
		return;
	ticket_tstep(t, LD_EV_CLOSED, tm += MIN_MS, 0, "");
	assert_int_equal(s, S_CLOSED);
}

#define IV (-2)			/* LD_EINVAL: not a ticket event */
#define RF (-1)			/* LD_EREFUSED */
#define NW LD_TS_NEW
#define DS LD_TS_DISPATCHED
#define IP LD_TS_IN_PROGRESS
#define RT LD_TS_RETURNED
#define CP LD_TS_COMPLETED
#define RP LD_TS_REPORTED
#define CB LD_TS_CALLED_BACK
#define CL LD_TS_CLOSED

/*
 * Expected outcome of the standard event of each kind (work order 1, or
 * the next one for dispatched, to unit water) in each start state: the
 * resulting state, or RF / IV.  Written by hand from ticket.h and the
 * rules in ticket.c, not computed.
 */
static const int ticket_texpect[LD_EV__COUNT][S__COUNT] = {
	/*                         NONE NEW DISP INPR RET COMP REP CB CLSD NEWP */
	[LD_EV_NONE] =           { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
	[LD_EV_CALL_RECEIVED] =  { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
	[LD_EV_CALL_ANSWERED] =  { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
	[LD_EV_CALL_CLASSIFIED] = { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
	[LD_EV_TICKET_CREATED] = { NW, RF, RF, RF, RF, RF, RF, RF, RF, RF },
	[LD_EV_ROUTED] =         { RF, NW, RF, RF, RT, RF, RF, RF, RF, RF },
	[LD_EV_DISPATCHED] =     { RF, DS, DS, IP, DS, IP, RF, RF, RF, RF },
	[LD_EV_SIGNED] =         { RF, RF, IP, RF, RF, RF, RF, RF, RF, RF },
	[LD_EV_RETURNED] =       { RF, RF, RT, RT, RF, RF, RF, RF, RF, RF },
	[LD_EV_EXT_REQUESTED] =  { RF, RF, RF, IP, RF, RF, RF, RF, RF, RF },
	[LD_EV_EXT_GRANTED] =    { RF, RF, RF, RF, RF, RF, RF, RF, RF, RF },
	[LD_EV_EXT_REFUSED] =    { RF, RF, RF, RF, RF, RF, RF, RF, RF, RF },
	[LD_EV_PROGRESS] =       { RF, RF, RF, IP, RF, RF, RF, RF, RF, RF },
	[LD_EV_COMPLETED] =      { RF, RF, RF, CP, RF, RF, RF, RF, RF, RF },
	[LD_EV_REPORTED] =       { RF, RF, RF, RF, RF, RP, RF, RF, RF, RF },
	[LD_EV_CALLBACK] =       { RF, RF, RF, RF, RF, RF, CB, CB, RF, RF },
	[LD_EV_REOPENED] =       { RF, RF, RF, RF, RF, RF, DS, DS, DS, RF },
	[LD_EV_CLOSED] =         { RF, CL, RF, RF, RF, RF, CL, CL, RF, RF },
	[LD_EV_URGED] =          { RF, RF, DS, IP, RF, RF, RF, RF, RF, RF },
	[LD_EV_SUPERVISED] =     { RF, RF, DS, IP, RF, RF, RF, RF, RF, RF },
	[LD_EV_SETTLED] =        { RF, RF, RF, RF, RF, CP, RP, CB, CL, RF },
	[LD_EV_TRANSFER_REQUESTED] = { RF, NW, RF, RF, RT, RF, RF, RF, RF, RF },
	[LD_EV_TRANSFER_ACCEPTED] = { RF, RF, RF, RF, RF, RF, RF, RF, RF, NW },
	[LD_EV_TRANSFER_REFUSED] = { RF, RF, RF, RF, RF, RF, RF, RF, RF, NW },
	[LD_EV_PLAN_ACTIVATED] = { RF, NW, DS, IP, RT, CP, RP, CB, RF, RF },
	[LD_EV_ANNOUNCED] =      { RF, NW, DS, IP, RT, CP, RP, CB, RF, RF },
	[LD_EV_RULED] =          { RF, RF, RF, RF, DS, RF, RF, RF, RF, RF },
	[LD_EV_ATTACHED] =       { RF, NW, RF, RF, RF, RF, RF, RF, RF, RF },
	[LD_EV_GOV_REPORTED] =   { RF, RF, RF, RF, RF, RF, RF, RF, RF, RF },
};

/* The table above, every cell. */
static void
test_every_kind_in_every_state(void **state)
{
	int cells = 0, accepted = 0;

	(void)state;
	for (int s = 0; s < S__COUNT; s++) {
		for (int k = 0; k < LD_EV__COUNT; k++) {
			struct ld_ticket t, before;
			struct ld_event ev;
			struct ld_err err;
			int want = ticket_texpect[k][s], rc;
			bool answer = k == LD_EV_TRANSFER_ACCEPTED ||
			    k == LD_EV_TRANSFER_REFUSED;
			int64_t tm = T_COVER + HOUR_MS;

			ticket_tbuild(&t, (enum ticket_tstart)s);
			before = t;
			ticket_tev(&ev, (enum ld_event_kind)k,
			    answer ? "LY" : "XA", tm, k == LD_EV_DISPATCHED ?
			    (uint32_t)t.n_wo + 1 : 1, k == LD_EV_SETTLED ?
			    "housing" : "water");
			err_clear(&err);
			rc = ticket_apply(&t, &ev, tm, &err);
			cells++;
			if (want >= 0) {
				if (rc != 0 || t.state != want)
					fail_msg("%s in %s: expected %s, got "
					    "%s %s (%s)",
					    event_kind_name(ev.kind),
					    ticket_tstart_names[s],
					    ticket_state_name(want),
					    err_name(rc),
					    ticket_state_name(t.state),
					    err.msg);
				assert_int_equal(t.events, before.events + 1);
				accepted++;
			} else {
				int code = want == IV ? LD_EINVAL : LD_EREFUSED;

				if (rc != code)
					fail_msg("%s in %s: expected %s, got "
					    "%s (state %s)",
					    event_kind_name(ev.kind),
					    ticket_tstart_names[s],
					    err_name(code), err_name(rc),
					    ticket_state_name(t.state));
				assert_memory_equal(&t, &before, sizeof(t));
				assert_true(err.msg[0] != '\0');
			}
			assert_int_equal(ticket_check(&t, &err), 0);
		}
	}
	assert_int_equal(cells, LD_EV__COUNT * S__COUNT);
	print_message("table: %d cells, %d accepted\n", cells, accepted);
}

/* The start states themselves are what their names say. */
static void
test_start_states(void **state)
{
	static const int want[S__COUNT] = { LD_TS_NONE, NW, DS, IP, RT, CP,
		RP, CB, CL, NW };
	struct ld_ticket t;

	(void)state;
	for (int s = 0; s < S__COUNT; s++) {
		ticket_tbuild(&t, (enum ticket_tstart)s);
		assert_int_equal(t.state, want[s]);
	}
	ticket_tbuild(&t, S_NEWP);
	assert_string_equal(t.transfer_to, "LY");
	assert_int_equal(t.transfer_dir, LD_DIR_UP);
}

/* ---- b) the article's cases ------------------------------------------- */

/* The missing manhole cover reported at 10:00, fixed by Unicom the same
 * afternoon; the office tells the caller, calls back, closes. */
static void
test_cover_fixed_by_unicom(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER;

	(void)state;
	memset(&t, 0, sizeof(t));
	ticket_tev(&ev, LD_EV_TICKET_CREATED, "XA", tm, 0, "");
	ticket_tok(&t, &ev, tm);
	assert_int_equal(t.state, LD_TS_NEW);
	assert_string_equal(t.owner, "XA");
	assert_string_equal(t.caller, "Ms Wang");
	assert_string_equal(t.category, "manhole");
	assert_int_equal(t.urgency, 2);
	assert_true(t.created_ms == tm);

	ticket_tev(&ev, LD_EV_ROUTED, "XA", tm + 2 * MIN_MS, 0, "unicom");
	ticket_tok(&t, &ev, tm + 2 * MIN_MS);
	assert_string_equal(t.rule, "manhole/telecom");

	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + 3 * MIN_MS, 1, "unicom");
	event_set_time(&ev, LD_F_DUE_SIGN, tm + 33 * MIN_MS);
	event_set_time(&ev, LD_F_DUE_DONE, tm + 8 * HOUR_MS);
	ticket_tok(&t, &ev, tm + 3 * MIN_MS);
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	assert_int_equal(t.n_wo, 1);
	assert_string_equal(t.wo[0].unit, "unicom");
	assert_true(t.wo[0].due_done_ms == tm + 8 * HOUR_MS);

	ticket_tev(&ev, LD_EV_SIGNED, "XA", tm + 20 * MIN_MS, 1, "");
	ticket_tok(&t, &ev, tm + 20 * MIN_MS);
	assert_int_equal(t.state, LD_TS_IN_PROGRESS);
	assert_int_equal(t.wo[0].state, LD_WO_SIGNED);

	/* 15:00: fixed, and Unicom reports back */
	ticket_tev(&ev, LD_EV_COMPLETED, "XA", tm + 5 * HOUR_MS, 1, "");
	ticket_tok(&t, &ev, tm + 5 * HOUR_MS);
	assert_int_equal(t.state, LD_TS_COMPLETED);
	assert_true(t.completed_ms == tm + 5 * HOUR_MS);
	assert_true(t.wo[0].completed_ms == tm + 5 * HOUR_MS);

	ticket_tev(&ev, LD_EV_REPORTED, "XA", tm + 5 * HOUR_MS + 10 * MIN_MS,
	    0, "");
	ticket_tok(&t, &ev, tm + 6 * HOUR_MS);
	assert_int_equal(t.state, LD_TS_REPORTED);

	ticket_tev(&ev, LD_EV_CALLBACK, "XA", tm + DAY_MS, 0, "");
	ev.method = LD_METHOD_SMS;
	ticket_tok(&t, &ev, tm + DAY_MS);
	assert_int_equal(t.state, LD_TS_CALLED_BACK);
	assert_int_equal(t.satisfaction, LD_SAT_SATISFIED);
	assert_int_equal(t.method, LD_METHOD_SMS);
	assert_int_equal(t.callbacks, 1);

	ticket_tev(&ev, LD_EV_CLOSED, "XA", tm + DAY_MS + MIN_MS, 0, "");
	ticket_tok(&t, &ev, tm + DAY_MS + MIN_MS);
	assert_int_equal(t.state, LD_TS_CLOSED);
	assert_true(t.closed_ms == tm + DAY_MS + MIN_MS);
	assert_int_equal(t.events, 8);
	assert_true(t.updated_ms == tm + DAY_MS + MIN_MS);

	/* nothing but a reopen or a settlement touches a closed ticket */
	ticket_tev(&ev, LD_EV_ANNOUNCED, "XA", tm + DAY_MS + 2 * MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + DAY_MS + 2 * MIN_MS, LD_EREFUSED,
	    TID ": the ticket is closed; reopen it first");
}

/* A cover of unclear ownership: the housing commission repairs it within
 * the hour, then responsibility is settled to the real owner. */
static void
test_cover_unclear_owner_settled(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER;

	(void)state;
	memset(&t, 0, sizeof(t));
	ticket_tstep(&t, LD_EV_TICKET_CREATED, tm, 0, "");
	ticket_tev(&ev, LD_EV_ROUTED, "XA", tm + MIN_MS, 0, "housing");
	event_set_str(&ev, LD_F_RULE, "manhole/unclear-owner");
	event_set_str(&ev, LD_F_CATEGORY, "manhole-unknown");
	ticket_tok(&t, &ev, tm + MIN_MS);
	assert_string_equal(t.category, "manhole-unknown");
	assert_string_equal(t.rule, "manhole/unclear-owner");

	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + 2 * MIN_MS, 1, "housing");
	event_set_time(&ev, LD_F_DUE_SIGN, tm + 12 * MIN_MS);
	event_set_time(&ev, LD_F_DUE_DONE, tm + 62 * MIN_MS);
	ticket_tok(&t, &ev, tm + 2 * MIN_MS);
	assert_true(t.wo[0].due_done_ms - t.wo[0].dispatched_ms == HOUR_MS);

	/* settling before the repair is refused */
	ticket_tev(&ev, LD_EV_SETTLED, "XA", tm + 3 * MIN_MS, 1, "water");
	ticket_trefused(&t, &ev, tm + 3 * MIN_MS, LD_EREFUSED,
	    TID ": work order 1 (unit housing) is dispatched but not signed "
	    "for yet; responsibility is settled only after it was completed");

	ticket_tstep(&t, LD_EV_SIGNED, tm + 5 * MIN_MS, 1, "");
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 50 * MIN_MS, 1, "");
	assert_true(t.wo[0].completed_ms <= t.wo[0].due_done_ms);
	assert_int_equal(t.state, LD_TS_COMPLETED);

	ticket_tstep(&t, LD_EV_SETTLED, tm + 2 * HOUR_MS, 1, "water");
	assert_string_equal(t.wo[0].settled_unit, "water");
	assert_string_equal(t.wo[0].unit, "housing");
	assert_int_equal(t.state, LD_TS_COMPLETED);

	ticket_tstep(&t, LD_EV_REPORTED, tm + 3 * HOUR_MS, 0, "");
	ticket_tstep(&t, LD_EV_CALLBACK, tm + 4 * HOUR_MS, 0, "");
	ticket_tstep(&t, LD_EV_CLOSED, tm + 5 * HOUR_MS, 0, "");
	/* a correction after closing is still taken */
	ticket_tstep(&t, LD_EV_SETTLED, tm + 2 * DAY_MS, 1, "unicom");
	assert_string_equal(t.wo[0].settled_unit, "unicom");
	assert_int_equal(t.state, LD_TS_CLOSED);
}

/* 2011-11-16: the Guanlin water plant loses power.  The office starts the
 * emergency plan, dispatches power and water at once, tells the public. */
static void
test_water_plant_power_cut(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_POWER;
	static const char *const channels[] = { "platform", "sms", "forum" };

	(void)state;
	memset(&t, 0, sizeof(t));
	ticket_tev(&ev, LD_EV_TICKET_CREATED, "XA", tm, 0, "");
	event_set_str(&ev, LD_F_CATEGORY, "water-outage");
	event_set_uint(&ev, LD_F_URGENCY, 1);
	ticket_tok(&t, &ev, tm);
	assert_int_equal(t.urgency, 1);

	ticket_tstep(&t, LD_EV_PLAN_ACTIVATED, tm + 5 * MIN_MS, 0, "");
	assert_string_equal(t.plan, "plan-water-outage");
	assert_int_equal(t.state, LD_TS_NEW);
	ticket_tev(&ev, LD_EV_PLAN_ACTIVATED, "XA", tm + 6 * MIN_MS, 0, "");
	event_set_str(&ev, LD_F_PLAN, "plan-other");
	ticket_trefused(&t, &ev, tm + 6 * MIN_MS, LD_EREFUSED,
	    TID ": emergency plan plan-water-outage is already active on this "
	    "ticket");

	ticket_tstep(&t, LD_EV_DISPATCHED, tm + 7 * MIN_MS, 1, "power");
	ticket_tstep(&t, LD_EV_DISPATCHED, tm + 7 * MIN_MS, 2, "water");
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	assert_int_equal(t.n_wo, 2);
	/* the same unit twice while its work order is open: refused */
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + 8 * MIN_MS, 3, "power");
	ticket_trefused(&t, &ev, tm + 8 * MIN_MS, LD_EREFUSED,
	    TID ": unit power already holds open work order 1 on this ticket");

	for (int i = 0; i < 3; i++) {
		ticket_tev(&ev, LD_EV_ANNOUNCED, "XA", tm + 10 * MIN_MS, 0, "");
		event_set_str(&ev, LD_F_CHANNEL, channels[i]);
		ticket_tok(&t, &ev, tm + 10 * MIN_MS);
	}
	assert_int_equal(t.announcements, 3);

	ticket_tstep(&t, LD_EV_SIGNED, tm + 12 * MIN_MS, 1, "");
	assert_int_equal(t.state, LD_TS_IN_PROGRESS);
	ticket_tstep(&t, LD_EV_SIGNED, tm + 13 * MIN_MS, 2, "");
	ticket_tstep(&t, LD_EV_PROGRESS, tm + HOUR_MS, 2, "");	/* trucks */
	assert_int_equal(t.wo[1].progress_notes, 1);
	/* power back at about 15:30 */
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 4 * HOUR_MS + 25 * MIN_MS, 1,
	    "");
	assert_int_equal(t.state, LD_TS_IN_PROGRESS);
	assert_true(t.completed_ms == 0);
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 5 * HOUR_MS, 2, "");
	assert_int_equal(t.state, LD_TS_COMPLETED);
	assert_true(t.completed_ms == tm + 5 * HOUR_MS);
	ticket_tstep(&t, LD_EV_ANNOUNCED, tm + 5 * HOUR_MS, 0, "");
	assert_int_equal(t.announcements, 4);
	assert_int_equal(t.state, LD_TS_COMPLETED);
}

/* Unicom returns the work order (not its cover); the office re-routes it
 * to the water group with a new work order that replaces it. */
static void
test_returned_and_rerouted(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	ticket_tbuild(&t, S_DISP);
	ticket_tstep(&t, LD_EV_RETURNED, tm, 1, "");
	assert_int_equal(t.state, LD_TS_RETURNED);
	assert_int_equal(t.wo[0].state, LD_WO_RETURNED);
	assert_int_equal(t.wo[0].returns, 1);
	assert_true(t.wo[0].returned_ms == tm);

	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + MIN_MS, 3, "water");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": work order 3 cannot be dispatched: the next work order is "
	    "number 2");
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + MIN_MS, 2, "water");
	event_set_uint(&ev, LD_F_REPLACES, 2);
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": work order 2 cannot replace work order 2: there is no such "
	    "work order");

	ticket_tev(&ev, LD_EV_ROUTED, "XA", tm + MIN_MS, 0, "water");
	event_set_str(&ev, LD_F_RULE, "manhole/water");
	ticket_tok(&t, &ev, tm + MIN_MS);
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + 2 * MIN_MS, 2, "water");
	event_set_uint(&ev, LD_F_REPLACES, 1);
	ticket_tok(&t, &ev, tm + 2 * MIN_MS);
	assert_int_equal(t.wo[0].state, LD_WO_REROUTED);
	assert_int_equal(t.wo[1].state, LD_WO_DISPATCHED);
	assert_int_equal(t.wo[1].replaces, 1);
	assert_int_equal(t.state, LD_TS_DISPATCHED);

	/* a re-routed work order cannot be replaced again */
	ticket_tstep(&t, LD_EV_SIGNED, tm + 3 * MIN_MS, 2, "");
	ticket_tstep(&t, LD_EV_RETURNED, tm + 4 * MIN_MS, 2, "");
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + 5 * MIN_MS, 3, "housing");
	event_set_uint(&ev, LD_F_REPLACES, 1);
	ticket_trefused(&t, &ev, tm + 5 * MIN_MS, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) is re-routed, not returned; it "
	    "cannot be replaced");
	event_set_uint(&ev, LD_F_REPLACES, 2);
	ticket_tok(&t, &ev, tm + 5 * MIN_MS);
	ticket_tstep(&t, LD_EV_SIGNED, tm + 6 * MIN_MS, 3, "");
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 7 * MIN_MS, 3, "");
	assert_int_equal(t.state, LD_TS_COMPLETED);
	ticket_tstep(&t, LD_EV_REPORTED, tm + 8 * MIN_MS, 0, "");
	ticket_tstep(&t, LD_EV_CLOSED, tm + 9 * MIN_MS, 0, "");
	assert_int_equal(t.state, LD_TS_CLOSED);
}

/* Extensions: one granted (the deadline moves), one refused (it stays). */
static void
test_extensions(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS, due;

	(void)state;
	ticket_tbuild(&t, S_INPR);
	due = t.wo[0].due_done_ms;

	ticket_tev(&ev, LD_EV_EXT_GRANTED, "XA", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) has no extension request "
	    "awaiting an answer");
	ticket_tev(&ev, LD_EV_EXT_REQUESTED, "XA", tm, 1, "");
	event_set_time(&ev, LD_F_UNTIL, due);
	ticket_trefused(&t, &ev, tm, LD_EREFUSED, NULL);

	event_set_time(&ev, LD_F_UNTIL, due + DAY_MS);
	ticket_tok(&t, &ev, tm);
	assert_true(t.wo[0].ext_pending);
	assert_true(t.wo[0].ext_until_ms == due + DAY_MS);
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) already has an extension request "
	    "awaiting an answer");

	ticket_tev(&ev, LD_EV_EXT_GRANTED, "XA", tm + MIN_MS, 1, "");
	event_set_time(&ev, LD_F_UNTIL, due + 12 * HOUR_MS);	/* less */
	ticket_tok(&t, &ev, tm + MIN_MS);
	assert_true(t.wo[0].due_done_ms == due + 12 * HOUR_MS);
	assert_int_equal(t.wo[0].extensions, 1);
	assert_false(t.wo[0].ext_pending);
	assert_true(t.wo[0].ext_until_ms == 0);

	ticket_tev(&ev, LD_EV_EXT_REQUESTED, "XA", tm + HOUR_MS, 1, "");
	event_set_time(&ev, LD_F_UNTIL, due + 3 * DAY_MS);
	ticket_tok(&t, &ev, tm + HOUR_MS);
	ticket_tev(&ev, LD_EV_EXT_REFUSED, "XA", tm + 2 * HOUR_MS, 1, "");
	ticket_tok(&t, &ev, tm + 2 * HOUR_MS);
	assert_true(t.wo[0].due_done_ms == due + 12 * HOUR_MS);
	assert_int_equal(t.wo[0].ext_refusals, 1);
	assert_int_equal(t.wo[0].extensions, 1);
	assert_false(t.wo[0].ext_pending);

	/* a pending request is dropped when the unit completes */
	ticket_tev(&ev, LD_EV_EXT_REQUESTED, "XA", tm + 3 * HOUR_MS, 1, "");
	ticket_tok(&t, &ev, tm + 3 * HOUR_MS);
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 4 * HOUR_MS, 1, "");
	assert_false(t.wo[0].ext_pending);
	ticket_tev(&ev, LD_EV_EXT_REFUSED, "XA", tm + 5 * HOUR_MS, 1, "");
	ticket_trefused(&t, &ev, tm + 5 * HOUR_MS, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) has no extension request "
	    "awaiting an answer");
}

/* An unsatisfied callback: the office reopens, the unit works again. */
static void
test_unsatisfied_callback_reopens(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	ticket_tbuild(&t, S_REP);
	ticket_tev(&ev, LD_EV_CALLBACK, "XA", tm, 0, "");
	ev.satisfaction = LD_SAT_UNSATISFIED;
	ev.method = LD_METHOD_VISIT;
	ticket_tok(&t, &ev, tm);
	assert_int_equal(t.state, LD_TS_CALLED_BACK);
	assert_int_equal(t.satisfaction, LD_SAT_UNSATISFIED);

	ticket_tev(&ev, LD_EV_REOPENED, "XA", tm + MIN_MS, 0, "");
	event_set_time(&ev, LD_F_DUE_SIGN, tm);
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": the deadline to sign for (2011-12-06 11:00:00) lies before "
	    "the event itself (2011-12-06 11:01:00)");
	event_set_time(&ev, LD_F_DUE_SIGN, tm + HOUR_MS);
	event_set_time(&ev, LD_F_DUE_DONE, tm + 2 * HOUR_MS);
	ticket_tok(&t, &ev, tm + MIN_MS);
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	assert_int_equal(t.reopens, 1);
	assert_int_equal(t.wo[0].state, LD_WO_DISPATCHED);
	assert_true(t.wo[0].signed_ms == 0);
	assert_true(t.wo[0].completed_ms == 0);
	assert_true(t.wo[0].due_sign_ms == tm + HOUR_MS);
	assert_true(t.wo[0].due_done_ms == tm + 2 * HOUR_MS);
	assert_true(t.completed_ms == 0);
	assert_false(t.reported);
	assert_false(t.called_back);

	ticket_tev(&ev, LD_EV_COMPLETED, "XA", tm + 2 * MIN_MS, 1, "");
	ticket_trefused(&t, &ev, tm + 2 * MIN_MS, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) is not signed for yet; it cannot "
	    "be completed");
	ticket_tstep(&t, LD_EV_URGED, tm + 70 * MIN_MS, 1, "");
	ticket_tstep(&t, LD_EV_SUPERVISED, tm + 3 * HOUR_MS, 1, "");
	assert_int_equal(t.wo[0].urges, 1);
	assert_int_equal(t.wo[0].supervisions, 1);
	ticket_tstep(&t, LD_EV_SIGNED, tm + 3 * HOUR_MS, 1, "");
	ticket_tstep(&t, LD_EV_COMPLETED, tm + 4 * HOUR_MS, 1, "");
	ticket_tstep(&t, LD_EV_REPORTED, tm + 4 * HOUR_MS, 0, "");
	ticket_tstep(&t, LD_EV_CALLBACK, tm + 5 * HOUR_MS, 0, "");
	assert_int_equal(t.callbacks, 2);
	assert_int_equal(t.satisfaction, LD_SAT_SATISFIED);
	ticket_tstep(&t, LD_EV_CLOSED, tm + 5 * HOUR_MS, 0, "");
	assert_int_equal(t.state, LD_TS_CLOSED);
	/* a closed ticket can be reopened too */
	ticket_tstep(&t, LD_EV_REOPENED, tm + DAY_MS, 0, "");
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	assert_int_equal(t.reopens, 2);
	assert_true(t.closed_ms == 0);
}

/* Escalation from Xin'an (XA) to the city (LY), accepted: ownership moves
 * and only the city may change the ticket afterwards. */
static void
test_escalation_accepted(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	ticket_tbuild(&t, S_RET);	/* unicom returned work order 1 */
	ticket_tev(&ev, LD_EV_TRANSFER_REQUESTED, "XA", tm, 0, "");
	event_set_str(&ev, LD_F_NODE, "XA");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": node XA already owns the ticket");
	event_set_str(&ev, LD_F_NODE, "LY");
	ticket_tok(&t, &ev, tm);
	assert_string_equal(t.transfer_to, "LY");
	assert_int_equal(t.state, LD_TS_RETURNED);

	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm + MIN_MS, 2, "water");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": a transfer to node LY is pending; wait for LY to accept or "
	    "refuse it");
	ticket_tev(&ev, LD_EV_TRANSFER_ACCEPTED, "YS", tm + MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": only node LY, the target of the pending transfer, may answer "
	    "it; this event comes from YS");
	ticket_tev(&ev, LD_EV_TRANSFER_ACCEPTED, "LY", tm + MIN_MS, 0, "");
	event_set_str(&ev, LD_F_NODE, "YS");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": the pending transfer is to node LY, not YS");
	/* the ticket is frozen until LY answers: one writer at a time */
	ticket_tev(&ev, LD_EV_ANNOUNCED, "XA", tm + MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": a transfer to node LY is pending; wait for LY to accept or "
	    "refuse it");

	ticket_tev(&ev, LD_EV_TRANSFER_ACCEPTED, "LY", tm + 2 * MIN_MS, 0, "");
	ticket_tok(&t, &ev, tm + 2 * MIN_MS);
	assert_string_equal(t.owner, "LY");
	assert_string_equal(t.transfer_to, "");
	assert_int_equal(t.transfer_dir, 0);
	assert_int_equal(t.transfers, 1);
	assert_int_equal(t.wo[0].state, LD_WO_REROUTED);
	assert_int_equal(t.state, LD_TS_NEW);

	ticket_tev(&ev, LD_EV_ROUTED, "XA", tm + 3 * MIN_MS, 0, "water");
	ticket_trefused(&t, &ev, tm + 3 * MIN_MS, LD_EREFUSED,
	    TID ": only the owner node LY may change the ticket; this event "
	    "comes from XA");
	ticket_tev(&ev, LD_EV_ROUTED, "LY", tm + 3 * MIN_MS, 0, "water");
	ticket_tok(&t, &ev, tm + 3 * MIN_MS);
	ticket_tev(&ev, LD_EV_DISPATCHED, "LY", tm + 4 * MIN_MS, 2, "water");
	ticket_tok(&t, &ev, tm + 4 * MIN_MS);
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	ticket_tev(&ev, LD_EV_URGED, "XA", tm + 5 * MIN_MS, 2, "");
	ticket_trefused(&t, &ev, tm + 5 * MIN_MS, LD_EREFUSED, NULL);
	/* the answer cannot come twice */
	ticket_tev(&ev, LD_EV_TRANSFER_REFUSED, "LY", tm + 5 * MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + 5 * MIN_MS, LD_EREFUSED,
	    TID ": no transfer is pending; there is nothing to refuse");
}

/* Escalation refused: the county keeps the ticket and dispatches. */
static void
test_escalation_refused(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	ticket_tbuild(&t, S_NEWP);
	ticket_tev(&ev, LD_EV_CLOSED, "XA", tm, 0, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": a transfer to node LY is pending; wait for LY to accept or "
	    "refuse it");
	ticket_tev(&ev, LD_EV_TRANSFER_REFUSED, "LY", tm, 0, "");
	ticket_tok(&t, &ev, tm);
	assert_string_equal(t.owner, "XA");
	assert_string_equal(t.transfer_to, "");
	assert_int_equal(t.transfers, 0);
	ticket_tstep(&t, LD_EV_DISPATCHED, tm + MIN_MS, 1, "unicom");
	assert_int_equal(t.state, LD_TS_DISPATCHED);
	/* with a work order open, no transfer */
	ticket_tev(&ev, LD_EV_TRANSFER_REQUESTED, "XA", tm + 2 * MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + 2 * MIN_MS, LD_EREFUSED,
	    TID ": the ticket is dispatched; it can be transferred only before "
	    "dispatch or after its units returned it");
}

/* Joint handling: power completes, water returns its work order, the
 * county escalates; once the city takes it over, the returned work order
 * counts as re-routed and the ticket is COMPLETED (completion time: the
 * takeover). */
static void
test_transfer_after_partial_completion(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_POWER;

	(void)state;
	ticket_tbuild(&t, S_NEW);
	ticket_tstep(&t, LD_EV_DISPATCHED, tm, 1, "power");
	ticket_tstep(&t, LD_EV_DISPATCHED, tm, 2, "water");
	ticket_tstep(&t, LD_EV_SIGNED, tm + MIN_MS, 1, "");
	ticket_tstep(&t, LD_EV_COMPLETED, tm + HOUR_MS, 1, "");
	assert_true(t.completed_ms == 0);
	ticket_tstep(&t, LD_EV_RETURNED, tm + 2 * HOUR_MS, 2, "");
	assert_int_equal(t.state, LD_TS_RETURNED);
	ticket_tstep(&t, LD_EV_TRANSFER_REQUESTED, tm + 3 * HOUR_MS, 0, "");
	ticket_tev(&ev, LD_EV_TRANSFER_ACCEPTED, "LY", tm + 4 * HOUR_MS, 0, "");
	ticket_tok(&t, &ev, tm + 4 * HOUR_MS);
	assert_int_equal(t.wo[1].state, LD_WO_REROUTED);
	assert_int_equal(t.state, LD_TS_COMPLETED);
	assert_true(t.completed_ms == tm + 4 * HOUR_MS);
	ticket_tev(&ev, LD_EV_REPORTED, "LY", tm + 5 * HOUR_MS, 0, "");
	ticket_tok(&t, &ev, tm + 5 * HOUR_MS);
	assert_int_equal(t.state, LD_TS_REPORTED);
}

/* Refusal messages of the general checks, word for word. */
static void
test_refusal_messages(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	/* the brief's own example */
	ticket_tbuild(&t, S_INPR);
	ticket_tstep(&t, LD_EV_DISPATCHED, tm, 2, "water");
	ticket_tev(&ev, LD_EV_COMPLETED, "XA", tm + MIN_MS, 2, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    "XA-2011-000123: work order 2 (unit water) is not signed for yet; "
	    "it cannot be completed");
	ticket_tev(&ev, LD_EV_SIGNED, "XA", tm + MIN_MS, 1, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": work order 1 (unit unicom) is already signed for");
	ticket_tev(&ev, LD_EV_URGED, "XA", tm + MIN_MS, 5, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": there is no work order 5: the ticket has 2");
	ticket_tev(&ev, LD_EV_REPORTED, "XA", tm + MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": the ticket is in progress; the citizen can be told the "
	    "result only once every work order is completed");
	ticket_tev(&ev, LD_EV_CLOSED, "XA", tm + MIN_MS, 0, "");
	ticket_trefused(&t, &ev, tm + MIN_MS, LD_EREFUSED,
	    TID ": the ticket is in progress; it can be closed only when new "
	    "(with a reason) or after the citizen was told the result");

	/* the future, at the limit and beyond */
	ticket_tev(&ev, LD_EV_URGED, "XA", tm + LD_CLOCK_SKEW_MS, 1, "");
	ticket_tok(&t, &ev, tm);
	ticket_tev(&ev, LD_EV_URGED, "XA", tm + LD_CLOCK_SKEW_MS + 1000, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": event time 2011-12-06 11:05:01 lies in the future (now "
	    "2011-12-06 11:00:00; clocks may differ by 5 min at most)");

	/* now = INT64_MAX: replaying what another node accepted */
	ticket_tev(&ev, LD_EV_URGED, "XA", tm + DAY_MS, 1, "");
	ticket_tok(&t, &ev, INT64_MAX);

	/* ownership, ticket ids */
	ticket_tev(&ev, LD_EV_URGED, "LY", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": only the owner node XA may change the ticket; this event "
	    "comes from LY");
	ticket_tev(&ev, LD_EV_URGED, "XA", tm, 1, "");
	strcpy(ev.ticket, "XA-2011-000124");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": the event concerns ticket 'XA-2011-000124'");
	ticket_tev(&ev, LD_EV_TICKET_CREATED, "XA", tm, 0, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": the ticket already exists");

	/* not a ticket event, or malformed */
	ticket_tev(&ev, LD_EV_CALL_RECEIVED, "XA", tm, 0, "");
	ticket_trefused(&t, &ev, tm, LD_EINVAL,
	    "call.received: not a ticket event");
	ticket_tev(&ev, LD_EV_NONE, "XA", tm, 0, "");
	ticket_trefused(&t, &ev, tm, LD_EINVAL, "none: not a ticket event");
	ticket_tev(&ev, LD_EV_SIGNED, "XA", tm, 1, "");
	ev.present &= ~(1u << LD_F_WO);
	ticket_trefused(&t, &ev, tm, LD_EINVAL,
	    "signed event lacks the required field 'wo'");
	ticket_tev(&ev, LD_EV_SIGNED, "XA", tm, 1, "");
	ev.wo = 0;
	ticket_trefused(&t, &ev, tm, LD_EINVAL,
	    "signed event: field 'wo' value 0 out of range 1..16");
	ticket_tev(&ev, LD_EV_SIGNED, "xa", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EINVAL,
	    "signed event: origin is not a node id");

	/* a ticket that does not exist, or is created by the wrong node */
	memset(&t, 0, sizeof(t));
	ticket_tev(&ev, LD_EV_ROUTED, "XA", tm, 0, "water");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": no such ticket; it must be created first");
	ticket_tev(&ev, LD_EV_TICKET_CREATED, "LY", tm, 0, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": node LY cannot create a ticket numbered by node XA");
	ticket_tev(&ev, LD_EV_TICKET_CREATED, "XA", tm, 0, "");
	strcpy(ev.ticket, "XA-2011-123");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    "XA-2011-123: 'XA-2011-123' is not a ticket id of the form "
	    "NODE-YYYY-NNNNNN");

	/* closing a new ticket needs a reason */
	ticket_tbuild(&t, S_NEW);
	ticket_tev(&ev, LD_EV_CLOSED, "XA", tm, 0, "");
	ev.present &= ~(1u << LD_F_REASON);
	event_set_str(&ev, LD_F_NOTE, "caller hung up");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": a new ticket can be closed only with a reason (e.g. "
	    "resolved on the phone, duplicate)");
	event_set_str(&ev, LD_F_REASON, "duplicate of XA-2011-000122");
	ticket_tok(&t, &ev, tm);
	assert_int_equal(t.state, LD_TS_CLOSED);
	/* and a ticket closed while new reopens as new */
	ticket_tstep(&t, LD_EV_REOPENED, tm + MIN_MS, 0, "");
	assert_int_equal(t.state, LD_TS_NEW);

	/* deadlines of a dispatch */
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm, 1, "water");
	event_set_time(&ev, LD_F_DUE_DONE, tm + HOUR_MS - 1000);
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": the deadline to complete (2011-12-06 11:59:59) lies before "
	    "the deadline to sign for (2011-12-06 12:00:00)");
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": work order 1 names no unit");
}

/* No more than LD_WO_MAX work orders. */
static void
test_work_order_limit(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;
	char unit[16];

	(void)state;
	ticket_tbuild(&t, S_NEW);
	for (unsigned i = 1; i <= LD_WO_MAX; i++) {
		snprintf(unit, sizeof(unit), "unit%u", i);
		ticket_tstep(&t, LD_EV_DISPATCHED, tm, i, unit);
	}
	assert_int_equal(t.n_wo, LD_WO_MAX);
	ticket_tev(&ev, LD_EV_DISPATCHED, "XA", tm, LD_WO_MAX, "more");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": the ticket already has 16 work orders, the most it can "
	    "hold");
}

/* Counters never wrap: the event is refused and nothing changes. */
static void
test_counter_limits(void **state)
{
	struct ld_ticket t;
	struct ld_event ev;
	int64_t tm = T_COVER + HOUR_MS;

	(void)state;
	ticket_tbuild(&t, S_INPR);
	t.wo[0].urges = UINT16_MAX;
	ticket_tev(&ev, LD_EV_URGED, "XA", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": too many urges on this ticket (65535)");
	t.events = UINT32_MAX;
	ticket_tev(&ev, LD_EV_COMPLETED, "XA", tm, 1, "");
	ticket_trefused(&t, &ev, tm, LD_EREFUSED,
	    TID ": too many events on this ticket");
	assert_int_equal(t.wo[0].state, LD_WO_SIGNED);
}

/* ticket_check catches a broken invariant (1), (2) and (5). */
static void
test_check_catches(void **state)
{
	struct ld_ticket t, bad;
	struct ld_err err;

	(void)state;
	ticket_tbuild(&t, S_COMP);
	assert_int_equal(ticket_check(&t, &err), 0);
	bad = t;
	bad.wo[0].signed_ms = 0;
	assert_int_equal(ticket_check(&bad, &err), LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "invariant (1)"));
	bad = t;
	bad.state = LD_TS_DISPATCHED;
	assert_int_equal(ticket_check(&bad, &err), LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "invariant (5)"));
	ticket_tbuild(&t, S_INPR);
	bad = t;
	bad.closed = 1;
	bad.closed_ms = T_COVER;
	bad.state = LD_TS_CLOSED;
	assert_int_equal(ticket_check(&bad, &err), LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "invariant (2)"));
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(ticket_check(&bad, &err), 0);
	assert_int_equal(ticket_derive_state(&bad), LD_TS_NONE);
}

/* ---- c) the random walk ----------------------------------------------- */

/* splitmix64: small, seedable, good enough. */
static uint64_t ticket_trng_state;

static uint64_t
ticket_trng(void)
{
	uint64_t z = (ticket_trng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t
ticket_trand(uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(ticket_trng() % n);
}

/* True with probability pct %. */
static bool
ticket_tpct(uint32_t pct)
{
	return ticket_trand(100) < pct;
}

/* What the test counts itself from the accepted events. */
struct ticket_tcount {
	uint32_t events;
	uint16_t reopens, callbacks, transfers, announcements;
	uint16_t urges[LD_WO_MAX], supervisions[LD_WO_MAX];
	uint16_t extensions[LD_WO_MAX], ext_refusals[LD_WO_MAX];
	uint16_t progress[LD_WO_MAX], returns[LD_WO_MAX], rulings[LD_WO_MAX];
};

static const char *const ticket_tnodes[] = { "XA", "LY", "YS", "MJ" };
static const char *const ticket_tunits[] = { "unicom", "water", "power",
	"housing", "telecom", "husbandry" };

/* Kinds likely to be accepted in each ticket state (the generator's bias;
 * outcomes are still judged only by the invariants). */
static const enum ld_event_kind ticket_tlikely[LD_TS__COUNT][8] = {
	[LD_TS_NONE] = { LD_EV_TICKET_CREATED },
	[LD_TS_NEW] = { LD_EV_ROUTED, LD_EV_DISPATCHED, LD_EV_DISPATCHED,
		LD_EV_TRANSFER_REQUESTED, LD_EV_CLOSED, LD_EV_PLAN_ACTIVATED,
		LD_EV_ANNOUNCED, LD_EV_ATTACHED },
	[LD_TS_DISPATCHED] = { LD_EV_SIGNED, LD_EV_SIGNED, LD_EV_RETURNED,
		LD_EV_URGED, LD_EV_SUPERVISED, LD_EV_DISPATCHED },
	[LD_TS_IN_PROGRESS] = { LD_EV_COMPLETED, LD_EV_COMPLETED,
		LD_EV_PROGRESS, LD_EV_EXT_REQUESTED, LD_EV_EXT_GRANTED,
		LD_EV_EXT_REFUSED, LD_EV_RETURNED, LD_EV_SIGNED },
	[LD_TS_RETURNED] = { LD_EV_DISPATCHED, LD_EV_DISPATCHED, LD_EV_ROUTED,
		LD_EV_TRANSFER_REQUESTED, LD_EV_RULED },
	[LD_TS_COMPLETED] = { LD_EV_REPORTED, LD_EV_REPORTED, LD_EV_SETTLED,
		LD_EV_DISPATCHED },
	[LD_TS_REPORTED] = { LD_EV_CALLBACK, LD_EV_CLOSED, LD_EV_REOPENED },
	[LD_TS_CALLED_BACK] = { LD_EV_CALLBACK, LD_EV_CLOSED, LD_EV_REOPENED,
		LD_EV_CLOSED },
	[LD_TS_CLOSED] = { LD_EV_REOPENED, LD_EV_SETTLED },
};

/* A work order number: mostly one in a state that suits the kind. */
static uint32_t
ticket_tpick_wo(const struct ld_ticket *t, enum ld_event_kind k)
{
	uint32_t cand[LD_WO_MAX], n = 0;

	for (unsigned i = 0; i < t->n_wo; i++) {
		const struct ld_wo *w = &t->wo[i];
		bool fit;

		switch (k) {
		case LD_EV_SIGNED: fit = w->state == LD_WO_DISPATCHED; break;
		case LD_EV_EXT_GRANTED:
		case LD_EV_EXT_REFUSED: fit = w->ext_pending; break;
		case LD_EV_EXT_REQUESTED: fit = w->state == LD_WO_SIGNED &&
		    !w->ext_pending; break;
		case LD_EV_PROGRESS:
		case LD_EV_COMPLETED: fit = w->state == LD_WO_SIGNED; break;
		case LD_EV_SETTLED: fit = w->state == LD_WO_COMPLETED; break;
		default: fit = ticket_wo_open(w); break;
		}
		if (fit)
			cand[n++] = i + 1;
	}
	if (n > 0 && ticket_tpct(85))
		return cand[ticket_trand(n)];
	return 1 + ticket_trand(t->n_wo + 2 < LD_WO_MAX ? t->n_wo + 2 :
	    LD_WO_MAX);
}

/*
 * A random event for t at about time now.  *malformed is set when the
 * generator broke the schema on purpose (LD_EINVAL expected).
 */
static void
ticket_tgen(const struct ld_ticket *t, int64_t now, struct ld_event *ev,
    bool *malformed)
{
	enum ld_event_kind k;
	const char *origin, *owner = t->owner[0] ? t->owner : "XA";
	int64_t tm;
	uint32_t wo;

	*malformed = false;
	if (t->transfer_to[0] != '\0' && ticket_tpct(30))
		k = ticket_tpct(50) ? LD_EV_TRANSFER_ACCEPTED :
		    LD_EV_TRANSFER_REFUSED;
	else if (ticket_tpct(75)) {
		const enum ld_event_kind *l = ticket_tlikely[t->state];
		uint32_t n = 0;

		while (n < 8 && l[n] != LD_EV_NONE)
			n++;
		k = l[ticket_trand(n)];
	} else
		k = (enum ld_event_kind)ticket_trand(LD_EV__COUNT);

	if ((k == LD_EV_TRANSFER_ACCEPTED || k == LD_EV_TRANSFER_REFUSED) &&
	    t->transfer_to[0] != '\0' && ticket_tpct(85))
		origin = t->transfer_to;
	else if (ticket_tpct(88))
		origin = owner;
	else
		origin = ticket_tnodes[ticket_trand(4)];

	tm = now - (int64_t)ticket_trand(10 * 60) * 1000;
	if (ticket_tpct(2))
		tm = now + LD_CLOCK_SKEW_MS + 1 + ticket_trand(3600) * 1000LL;

	wo = k == LD_EV_DISPATCHED && ticket_tpct(90) ? (uint32_t)t->n_wo + 1 :
	    ticket_tpick_wo(t, k);
	if (wo > LD_WO_MAX)
		wo = LD_WO_MAX;
	ticket_tev(ev, k, origin, tm, wo,
	    ticket_tunits[ticket_trand(6)]);
	if (k >= LD_EV_TICKET_CREATED && ticket_tpct(2))
		strcpy(ev->ticket, "XA-2011-000124");

	switch (k) {
	case LD_EV_DISPATCHED:
		for (unsigned i = 0; i < t->n_wo; i++)
			if (t->wo[i].state == LD_WO_RETURNED &&
			    ticket_tpct(70)) {
				event_set_uint(ev, LD_F_REPLACES, i + 1);
				break;
			}
		if (ticket_tpct(3))
			event_set_uint(ev, LD_F_REPLACES,
			    1 + ticket_trand(LD_WO_MAX));
		/* FALLTHROUGH */
	case LD_EV_RULED:
	case LD_EV_REOPENED:
		event_set_time(ev, LD_F_DUE_SIGN,
		    tm + (int64_t)ticket_trand(120) * MIN_MS);
		event_set_time(ev, LD_F_DUE_DONE, ev->due_sign_ms +
		    (int64_t)ticket_trand(3 * 24 * 60) * MIN_MS);
		if (ticket_tpct(4))
			event_set_time(ev, LD_F_DUE_SIGN, tm - MIN_MS);
		if (ticket_tpct(4))
			event_set_time(ev, LD_F_DUE_DONE, ev->due_sign_ms - 1);
		break;
	case LD_EV_EXT_REQUESTED:
	case LD_EV_EXT_GRANTED:
		if (wo <= t->n_wo) {
			const struct ld_wo *w = &t->wo[wo - 1];
			int64_t base = k == LD_EV_EXT_GRANTED &&
			    w->ext_pending && ticket_tpct(70) ?
			    w->ext_until_ms : w->due_done_ms + 1 +
			    (int64_t)ticket_trand(48 * 60) * MIN_MS;

			if (ticket_tpct(8))
				base = w->due_done_ms -
				    (int64_t)ticket_trand(600) * MIN_MS;
			event_set_time(ev, LD_F_UNTIL, base > 0 ? base : 0);
		}
		break;
	case LD_EV_CLOSED:
		if (ticket_tpct(40))
			ev->present &= ~(1u << LD_F_REASON);
		break;
	case LD_EV_CALLBACK:
		event_set_uint(ev, LD_F_SATISFACTION, 1 + ticket_trand(3));
		event_set_uint(ev, LD_F_METHOD, 1 + ticket_trand(3));
		break;
	case LD_EV_TRANSFER_REQUESTED:
		event_set_str(ev, LD_F_NODE, ticket_tnodes[ticket_trand(4)]);
		event_set_uint(ev, LD_F_DIRECTION, 1 + ticket_trand(2));
		break;
	case LD_EV_TRANSFER_ACCEPTED:
	case LD_EV_TRANSFER_REFUSED:
		if (t->transfer_to[0] != '\0' && ticket_tpct(90))
			event_set_str(ev, LD_F_NODE, t->transfer_to);
		else
			event_set_str(ev, LD_F_NODE,
			    ticket_tnodes[ticket_trand(4)]);
		break;
	case LD_EV_PLAN_ACTIVATED:
		if (ticket_tpct(30))
			event_set_str(ev, LD_F_PLAN, "plan-flood");
		break;
	default:
		break;
	}
	if (ticket_tpct(1) && event_kinds[k].required != 0) {
		/* drop a required field */
		for (int f = 0; f < LD_F__COUNT; f++)
			if ((event_kinds[k].required >> f) & 1u) {
				ev->present &= ~(1u << f);
				break;
			}
		*malformed = true;
	} else if (ticket_tpct(1) && event_has(ev, LD_F_WO)) {
		ev->wo = ticket_tpct(50) ? 0 : LD_WO_MAX + 1;
		*malformed = true;
	}
}

/* Count an accepted event the way invariant (3) says the ticket does. */
static void
ticket_tcount(struct ticket_tcount *c, const struct ld_event *ev)
{
	unsigned i = ev->wo >= 1 && ev->wo <= LD_WO_MAX ? ev->wo - 1 : 0;

	c->events++;
	switch (ev->kind) {
	case LD_EV_URGED: c->urges[i]++; break;
	case LD_EV_SUPERVISED: c->supervisions[i]++; break;
	case LD_EV_EXT_GRANTED: c->extensions[i]++; break;
	case LD_EV_EXT_REFUSED: c->ext_refusals[i]++; break;
	case LD_EV_PROGRESS: c->progress[i]++; break;
	case LD_EV_RETURNED: c->returns[i]++; break;
	case LD_EV_RULED: c->rulings[i]++; break;
	case LD_EV_REOPENED: c->reopens++; break;
	case LD_EV_CALLBACK: c->callbacks++; break;
	case LD_EV_TRANSFER_ACCEPTED: c->transfers++; break;
	case LD_EV_ANNOUNCED: c->announcements++; break;
	default: break;
	}
}

/* The test's own reading of ticket.h's derivation order. */
static enum ld_ticket_state
ticket_tderive(const struct ld_ticket *t)
{
	bool disp = false, sig = false, done = false, ret = false;

	if (t->owner[0] == '\0')
		return LD_TS_NONE;
	if (t->closed)
		return LD_TS_CLOSED;
	for (unsigned i = 0; i < t->n_wo; i++) {
		disp |= t->wo[i].state == LD_WO_DISPATCHED;
		sig |= t->wo[i].state == LD_WO_SIGNED;
		done |= t->wo[i].state == LD_WO_COMPLETED;
		ret |= t->wo[i].state == LD_WO_RETURNED;
	}
	if (!disp && !sig && !done && !ret && t->incident[0] != '\0')
		/* attached: the incident's result told, called back */
		return t->called_back ? LD_TS_CALLED_BACK : t->reported ?
		    LD_TS_REPORTED : LD_TS_NEW;
	if (!disp && !sig && !done && !ret)
		return LD_TS_NEW;
	if (disp && !sig && !done)
		return LD_TS_DISPATCHED;
	if ((disp || sig) && (sig || done))
		return LD_TS_IN_PROGRESS;
	if (ret)
		return LD_TS_RETURNED;
	if (t->called_back)
		return LD_TS_CALLED_BACK;
	return t->reported ? LD_TS_REPORTED : LD_TS_COMPLETED;
}

/* Stop the random walk with everything needed to replay it. */
#define RCHK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "random walk failed: LD_SEED=%" PRIu64	\
		    " sequence %d step %d, %s (%s) in state %s: ",	\
		    seed, seq, step, event_kind_name(ev.kind),		\
		    err_name(rc), ticket_state_name(before.state));	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n  last message: %s\n", err.msg);	\
		fail();							\
	}								\
} while (0)

/* Compare the ticket's counters with the recount. */
static bool
ticket_tcounts_equal(const struct ld_ticket *t, const struct ticket_tcount *c)
{
	if (t->events != c->events || t->reopens != c->reopens ||
	    t->callbacks != c->callbacks || t->transfers != c->transfers ||
	    t->announcements != c->announcements)
		return false;
	for (unsigned i = 0; i < LD_WO_MAX; i++) {
		const struct ld_wo *w = &t->wo[i];

		if (w->urges != c->urges[i] ||
		    w->supervisions != c->supervisions[i] ||
		    w->extensions != c->extensions[i] ||
		    w->ext_refusals != c->ext_refusals[i] ||
		    w->progress_notes != c->progress[i] ||
		    w->returns != c->returns[i] || w->rulings != c->rulings[i])
			return false;
	}
	return true;
}

static void
test_random_walk(void **state)
{
	const char *env = getenv("LD_SEED"), *envn = getenv("LD_RANDOM_SEQS");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 20111116;
	int nseq = envn ? atoi(envn) : 5000;
	uint64_t steps = 0, accepted = 0, kind_ok[LD_EV__COUNT] = { 0 };
	uint64_t reached[LD_TS__COUNT] = { 0 };
	int seq = 0, step = 0, rc = 0;
	struct ld_ticket t, before;
	struct ld_event ev;
	struct ld_err err;

	(void)state;
	ticket_trng_state = seed;
	memset(&before, 0, sizeof(before));
	memset(&ev, 0, sizeof(ev));
	err_clear(&err);
	for (seq = 0; seq < nseq; seq++) {
		struct ticket_tcount cnt;
		int64_t now = T_POWER + (int64_t)ticket_trand(365) * DAY_MS;
		int len = 1 + (int)ticket_trand(60);

		memset(&t, 0, sizeof(t));
		memset(&cnt, 0, sizeof(cnt));
		reached[LD_TS_NONE]++;
		for (step = 0; step < len; step++) {
			bool malformed, answer;
			const char *id;

			now += 1000 + (int64_t)ticket_trand(120) * MIN_MS;
			ticket_tgen(&t, now, &ev, &malformed);
			before = t;
			err_clear(&err);
			rc = ticket_apply(&t, &ev, now, &err);
			steps++;
			RCHK(ticket_check(&t, &err) == 0, "ticket_check");
			if (rc != 0) {
				RCHK(memcmp(&t, &before, sizeof(t)) == 0,
				    "refused but the ticket changed");
				RCHK(rc == LD_EREFUSED || rc == LD_EINVAL,
				    "unexpected code");
				RCHK(err.msg[0] != '\0', "no message");
				RCHK((rc == LD_EINVAL) == (malformed ||
				    !event_kinds[ev.kind].ticket),
				    "EINVAL exactly for malformed events");
				id = before.id[0] ? before.id : ev.ticket;
				RCHK(rc == LD_EINVAL || strncmp(err.msg, id,
				    strlen(id)) == 0,
				    "message does not name the ticket");
				continue;
			}
			accepted++;
			kind_ok[ev.kind]++;
			reached[t.state]++;
			ticket_tcount(&cnt, &ev);
			RCHK(!malformed && event_kinds[ev.kind].ticket,
			    "accepted a malformed event");
			RCHK(ev.time_ms <= now + LD_CLOCK_SKEW_MS,
			    "accepted an event from the future");
			answer = ev.kind == LD_EV_TRANSFER_ACCEPTED ||
			    ev.kind == LD_EV_TRANSFER_REFUSED;
			/* invariant (4) */
			if (ev.kind == LD_EV_TICKET_CREATED)
				RCHK(before.state == LD_TS_NONE &&
				    strcmp(t.owner, ev.origin) == 0,
				    "creation");
			else if (answer)
				RCHK(strcmp(ev.origin, before.transfer_to) == 0,
				    "answer not from the transfer target");
			else
				RCHK(strcmp(ev.origin, before.owner) == 0,
				    "change not from the owner");
			/* one writer: a pending transfer takes only its answer */
			RCHK(before.transfer_to[0] == '\0' || answer,
			    "accepted while a transfer was pending");
			if (ev.kind == LD_EV_TRANSFER_ACCEPTED)
				RCHK(strcmp(t.owner, ev.origin) == 0,
				    "owner did not move");
			else
				RCHK(ev.kind == LD_EV_TICKET_CREATED ||
				    strcmp(t.owner, before.owner) == 0,
				    "owner moved");
			/* invariant (3) */
			RCHK(ticket_tcounts_equal(&t, &cnt), "counters");
			/* invariants (1), (2) and (5) directly */
			for (unsigned i = 0; i < t.n_wo; i++) {
				RCHK(t.wo[i].state != LD_WO_COMPLETED ||
				    t.wo[i].signed_ms != 0, "invariant (1)");
				RCHK(t.state != LD_TS_CLOSED ||
				    t.wo[i].state == LD_WO_COMPLETED ||
				    t.wo[i].state == LD_WO_REROUTED,
				    "invariant (2)");
			}
			RCHK(t.state == ticket_tderive(&t), "invariant (5)");
			RCHK(t.updated_ms == ev.time_ms, "updated_ms");
			RCHK(t.n_wo >= before.n_wo, "work orders vanished");
		}
	}
	print_message("random walk: seed %" PRIu64 ", %d sequences, %" PRIu64
	    " steps, %" PRIu64 " accepted (%.1f%%)\n", seed, nseq, steps,
	    accepted, steps ? 100.0 * (double)accepted / (double)steps : 0.0);
	if (getenv("LD_VERBOSE") != NULL) {
		for (int k = 0; k < LD_EV__COUNT; k++)
			print_message("  %-20s accepted %" PRIu64 "\n",
			    event_kind_name((enum ld_event_kind)k), kind_ok[k]);
		for (int s = 0; s < LD_TS__COUNT; s++)
			print_message("  %-20s reached %" PRIu64 "\n",
			    ticket_state_name((enum ld_ticket_state)s),
			    reached[s]);
	}
	for (int k = 0; k < LD_EV__COUNT; k++) {
		if (!event_kinds[k].ticket)
			continue;
		if (kind_ok[k] == 0)
			fail_msg("LD_SEED=%" PRIu64 ": kind %s never accepted",
			    seed, event_kind_name((enum ld_event_kind)k));
	}
	for (int s = 0; s < LD_TS__COUNT; s++)
		if (reached[s] == 0)
			fail_msg("LD_SEED=%" PRIu64 ": state %s never reached",
			    seed, ticket_state_name((enum ld_ticket_state)s));
	if (nseq >= 5000)
		assert_true(accepted * 100 >= steps * 40);
}

/* ---- d) ticket ids ----------------------------------------------------- */

static void
test_id_format(void **state)
{
	char buf[LD_TICKET_MAX + 1];

	(void)state;
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "XA", 2011, 123),
	    0);
	assert_string_equal(buf, "XA-2011-000123");
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "LY", 2011, 0), 0);
	assert_string_equal(buf, "LY-2011-000000");
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "LY", 2011,
	    1234567), 0);
	assert_string_equal(buf, "LY-2011-1234567");
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "ABCDEFGH", 9999,
	    999999999), 0);
	assert_string_equal(buf, "ABCDEFGH-9999-999999999");
	assert_int_equal(strlen(buf), LD_TICKET_MAX);
	/* too long for LD_TICKET_MAX, or for the buffer */
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "ABCDEFGH", 9999,
	    1000000000), LD_ELIMIT);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "X", 2011,
	    UINT64_MAX), LD_ELIMIT);
	assert_int_equal(ticket_id_format(buf, 14, "XA", 2011, 123), LD_ELIMIT);
	assert_int_equal(ticket_id_format(buf, 15, "XA", 2011, 123), 0);
	assert_int_equal(ticket_id_format(buf, 0, "XA", 2011, 123), LD_ELIMIT);
	/* bad nodes and years */
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "xa", 2011, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "", 2011, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "1A", 2011, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "ABCDEFGHI", 2011,
	    1), LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "X-A", 2011, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), NULL, 2011, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(NULL, 24, "XA", 2011, 1), LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "XA", 999, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "XA", 10000, 1),
	    LD_EINVAL);
	assert_int_equal(ticket_id_format(buf, sizeof(buf), "XA", -2011, 1),
	    LD_EINVAL);
}

static void
test_id_parse(void **state)
{
	static const char *const bad[] = {
		"", "XA", "XA-2011", "XA-2011-", "XA-2011-00123",
		"XA-2011-0001234", "xa-2011-000123", "XA-11-000123",
		"XA-0999-000123", "XA-20110-000123", "XA2011000123",
		"XA-2011-000123x", "XA-2011-+00123", "XA-2011--00123",
		"XA--2011-000123", "-2011-000123", "1A-2011-000123",
		"ABCDEFGHI-2011-000123", "XA-2011-000 23", " XA-2011-000123",
		"XA-2011-000123 ", "XA_2011_000123", "XA-2O11-000123",
		"XA-2011-1234567890123456",	/* 24 bytes */
		"X-A-2011-000123", "XA-2011-000123-1",
	};
	char node[LD_NODE_MAX + 1], buf[LD_TICKET_MAX + 1];
	int year;
	uint64_t n;

	(void)state;
	assert_int_equal(ticket_id_parse("XA-2011-000123", node, &year, &n), 0);
	assert_string_equal(node, "XA");
	assert_int_equal(year, 2011);
	assert_true(n == 123);
	assert_int_equal(ticket_id_parse("ABCDEFGH-9999-999999999", node,
	    &year, &n), 0);
	assert_string_equal(node, "ABCDEFGH");
	assert_true(n == 999999999);
	assert_int_equal(ticket_id_parse("X-1000-123456789012345", node,
	    &year, &n), 0);
	assert_true(n == 123456789012345ULL);
	assert_int_equal(ticket_id_parse("XA-2011-000000", NULL, NULL, NULL),
	    0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ticket_id_parse(bad[i], node, &year, &n) != LD_EINVAL)
			fail_msg("'%s' parsed", bad[i]);
	assert_int_equal(ticket_id_parse(NULL, node, &year, &n), LD_EINVAL);

	/* format and parse are inverse */
	ticket_trng_state = 42;
	for (int i = 0; i < 2000; i++) {
		char nd[LD_NODE_MAX + 1];
		size_t len = 1 + ticket_trand(LD_NODE_MAX);
		int y = 1000 + (int)ticket_trand(9000);
		uint64_t v = ticket_trng() >> ticket_trand(64);

		for (size_t j = 0; j < len; j++)
			nd[j] = j == 0 || ticket_tpct(60) ?
			    (char)('A' + ticket_trand(26)) :
			    (char)('0' + ticket_trand(10));
		nd[len] = '\0';
		if (ticket_id_format(buf, sizeof(buf), nd, y, v) != 0)
			continue;	/* too long */
		assert_int_equal(ticket_id_parse(buf, node, &year, &n), 0);
		assert_string_equal(node, nd);
		assert_int_equal(year, y);
		assert_true(n == v);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ticket_state_name(LD_TS_NONE), "none");
	assert_string_equal(ticket_state_name(LD_TS_IN_PROGRESS),
	    "in_progress");
	assert_string_equal(ticket_state_name(LD_TS_CALLED_BACK),
	    "called_back");
	assert_string_equal(ticket_state_name(LD_TS_CLOSED), "closed");
	assert_string_equal(ticket_state_name(LD_TS__COUNT), "?");
	/* and back: every state by its name, nothing else */
	for (int s = 1; s < LD_TS__COUNT; s++)
		assert_int_equal(ticket_state_named(ticket_state_name(
		    (enum ld_ticket_state)s)), s);
	assert_int_equal(ticket_state_named("none"), LD_TS_NONE);
	assert_int_equal(ticket_state_named("in progress"), LD_TS_NONE);
	assert_int_equal(ticket_state_named(""), LD_TS_NONE);
	assert_string_equal(ticket_wo_state_name(LD_WO_SIGNED), "signed");
	assert_string_equal(ticket_wo_state_name(LD_WO_REROUTED), "rerouted");
	assert_string_equal(ticket_wo_state_name(LD_WO__COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_states),
		cmocka_unit_test(test_every_kind_in_every_state),
		cmocka_unit_test(test_cover_fixed_by_unicom),
		cmocka_unit_test(test_cover_unclear_owner_settled),
		cmocka_unit_test(test_water_plant_power_cut),
		cmocka_unit_test(test_returned_and_rerouted),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_unsatisfied_callback_reopens),
		cmocka_unit_test(test_escalation_accepted),
		cmocka_unit_test(test_escalation_refused),
		cmocka_unit_test(test_transfer_after_partial_completion),
		cmocka_unit_test(test_refusal_messages),
		cmocka_unit_test(test_work_order_limit),
		cmocka_unit_test(test_counter_limits),
		cmocka_unit_test(test_check_catches),
		cmocka_unit_test(test_random_walk),
		cmocka_unit_test(test_id_format),
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
