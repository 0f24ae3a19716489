/*
 * ticket.h - the ticket state machine.  Pure: no I/O, no clock, no malloc.
 *
 *   ticket_apply(ticket, event, now) -> ticket changed, or a refusal
 *
 * A ticket has up to LD_WO_MAX work orders, one per dispatch to a unit,
 * each with its own state and deadlines.  The ticket's state is derived
 * from its work orders and a few ticket-level facts (reported, called back,
 * closed); ticket_derive_state() is the one place that derives it.
 *
 * Work order states and the events that move them:
 *
 *   (none) --dispatched--> DISPATCHED --signed--> SIGNED --completed--> COMPLETED
 *              DISPATCHED|SIGNED --returned--> RETURNED --dispatched(replaces)--> REROUTED
 *              COMPLETED --reopened--> DISPATCHED   (new deadlines)
 *              RETURNED  --transfer.accepted--> REROUTED (the new owner dispatches)
 *              RETURNED  --ruled--> DISPATCHED (the office ruled the unit must
 *                                   handle it; new deadlines; final: the
 *                                   work order cannot be returned again)
 *
 * A returned work order goes back to the same unit only by a ruling: no
 * dispatch may name a unit that returned one of the ticket's work orders
 * (so no unit bounces the same request twice without a ruling), unless
 * a transfer to another node came in between (its new owner dispatches
 * by its own rules).
 *
 * An attached ticket (event attached: a citizen called about an incident
 * already being handled) has no work order of its own: it stays NEW until
 * the incident's result is reported to its caller (reported is taken
 * from NEW then), and goes on to CALLED_BACK and CLOSED like any other.
 *
 * Ticket states, derived in this order (first match wins):
 *
 *   CLOSED       closed and not reopened since
 *   NEW          no work order other than REROUTED ones (attached: and
 *                not reported yet; else REPORTED / CALLED_BACK)
 *   DISPATCHED   some work order DISPATCHED, none SIGNED or COMPLETED
 *   IN_PROGRESS  some work order DISPATCHED or SIGNED, and some SIGNED or COMPLETED
 *   RETURNED     none open; some RETURNED (awaiting re-route)
 *   COMPLETED    every live work order COMPLETED; citizen not told yet
 *   REPORTED     ... and the citizen was told the result
 *   CALLED_BACK  ... and a callback was recorded
 *
 * Invariants, checked by ticket_check() after every step in the tests:
 *  (1) a work order is COMPLETED only if it was signed (signed_ms set);
 *  (2) a CLOSED ticket has every work order COMPLETED or REROUTED;
 *  (3) the counters (urges, supervisions, ...) equal a recount of events;
 *  (4) only the owner node originates events that change the ticket,
 *      except transfer.accepted/refused, which come from the target;
 *  (5) state == ticket_derive_state(ticket).
 */
#ifndef LD_TICKET_H
#define LD_TICKET_H

#include "err.h"
#include "event.h"

enum ld_wo_state {
	LD_WO_NONE = 0,
	LD_WO_DISPATCHED,
	LD_WO_SIGNED,
	LD_WO_COMPLETED,
	LD_WO_RETURNED,
	LD_WO_REROUTED,
	LD_WO__COUNT
};

enum ld_ticket_state {
	LD_TS_NONE = 0,		/* no such ticket yet */
	LD_TS_NEW,
	LD_TS_DISPATCHED,
	LD_TS_IN_PROGRESS,
	LD_TS_RETURNED,
	LD_TS_COMPLETED,
	LD_TS_REPORTED,
	LD_TS_CALLED_BACK,
	LD_TS_CLOSED,
	LD_TS__COUNT
};

/* How far in the future an event's time may lie beside `now`. */
#define LD_CLOCK_SKEW_MS (5 * 60 * 1000)

struct ld_wo {
	char unit[LD_ID_MAX + 1];
	uint8_t state;		/* enum ld_wo_state */
	uint8_t replaces;	/* work order this one re-routes, 0 if none */
	uint8_t ext_pending;	/* an extension request awaits an answer */
	int64_t dispatched_ms;
	int64_t due_sign_ms;
	int64_t due_done_ms;
	int64_t signed_ms;	/* 0 until signed */
	int64_t completed_ms;	/* 0 until completed */
	int64_t returned_ms;	/* 0 unless returned */
	int64_t ext_until_ms;	/* asked for, while ext_pending */
	uint16_t urges;
	uint16_t supervisions;
	uint16_t extensions;	/* granted */
	uint16_t ext_refusals;
	uint16_t progress_notes;
	uint16_t returns;
	uint16_t rulings;	/* sent back to the unit by an office ruling */
	int64_t ruled_ms;	/* the last ruling, 0 if none: its clock
				 * restarts there (ext_max counts from it) */
	char settled_unit[LD_ID_MAX + 1];	/* responsibility settled to */
};

struct ld_ticket {
	char id[LD_TICKET_MAX + 1];
	char owner[LD_NODE_MAX + 1];	/* node that may change the ticket */
	char transfer_to[LD_NODE_MAX + 1];	/* pending transfer, "" if none */
	uint8_t transfer_dir;	/* enum ld_direction of the pending one */
	uint8_t state;		/* enum ld_ticket_state, derived */
	uint8_t reported;	/* citizen told since last reopen */
	uint8_t called_back;	/* callback since last reopen */
	uint8_t closed;
	uint8_t urgency;
	uint8_t satisfaction;	/* last callback's, enum ld_satisfaction */
	uint8_t method;		/* last callback's, enum ld_method */
	uint8_t n_wo;
	int64_t created_ms;
	int64_t updated_ms;	/* time of the last event applied */
	int64_t completed_ms;	/* when the ticket last became complete (no
				 * work order open); 0 while any is open */
	int64_t closed_ms;
	uint32_t events;	/* events applied */
	uint16_t reopens;
	uint16_t callbacks;
	uint16_t transfers;	/* accepted */
	uint16_t announcements;
	char caller[LD_NAME_MAX + 1];
	char phone[LD_PHONE_MAX + 1];
	char place[LD_PLACE_MAX + 1];
	char area[LD_ID_MAX + 1];
	char category[LD_ID_MAX + 1];
	char rule[LD_RULE_MAX + 1];
	char plan[LD_ID_MAX + 1];	/* emergency plan started, "" if none */
	char incident[LD_TICKET_MAX + 1];	/* attached to this incident's
						 * lead ticket, "" if none */
	uint16_t gov_reports;	/* reports to the government (lead) */
	char text[LD_TEXT_MAX + 1];
	struct ld_wo wo[LD_WO_MAX];	/* wo[i] is work order number i + 1 */
};

/*
 * Apply ev to *t at time now (UTC ms; the caller's clock).  A ticket that
 * does not exist yet is a zeroed struct (state LD_TS_NONE).
 * On success *t is updated and 0 returned.  On refusal *t is unchanged,
 * LD_EREFUSED (the state machine refused) or LD_EINVAL (not a ticket
 * event, or a malformed one: a required field missing, a value out of
 * range, an origin that is not a node id) is returned and err holds a
 * reason a person can read, e.g.
 * "work order 2 (unit water) is not signed for yet; it cannot be completed".
 * now = INT64_MAX skips the future-time check: use it to apply an event
 * that another node already accepted (replication, rebuild).  While a
 * transfer is pending only the target's answer (transfer.accepted or
 * transfer.refused) is accepted.
 */
int ticket_apply(struct ld_ticket *t, const struct ld_event *ev, int64_t now,
    struct ld_err *err);

/* The state the ticket is in, from its work orders and flags. */
enum ld_ticket_state ticket_derive_state(const struct ld_ticket *t);

/* Check invariants (1), (2), (5) and internal consistency; 0 or
 * LD_ECORRUPT with the broken invariant in err. */
int ticket_check(const struct ld_ticket *t, struct ld_err *err);

/* Is the work order open (a unit still has to act)? */
static inline int
ticket_wo_open(const struct ld_wo *w)
{
	return w->state == LD_WO_DISPATCHED || w->state == LD_WO_SIGNED;
}

const char *ticket_state_name(enum ld_ticket_state s);	/* "in_progress" */
/* The state whose name is name; LD_TS_NONE for none. */
enum ld_ticket_state ticket_state_named(const char *name);
/* Is s an open state (NEW, DISPATCHED, IN_PROGRESS, RETURNED: not yet
 * completed, the article's "in progress")?  by_state holds these only. */
bool ticket_state_open(enum ld_ticket_state s);
const char *ticket_wo_state_name(enum ld_wo_state s);	/* "signed" */

/* Ticket ids: "<NODE>-<YYYY>-<NNNNNN>" (at least 6 digits), made by the
 * origin node from its own per-year counter, so no coordination is needed
 * and they read well on the phone: "XA-2011-000123".  Returns 0 or
 * LD_ELIMIT / LD_EINVAL. */
int ticket_id_format(char *buf, size_t cap, const char *node, int year,
    uint64_t n);
/* Parse; returns 0 or LD_EINVAL.  node must hold LD_NODE_MAX + 1. */
int ticket_id_parse(const char *id, char *node, int *year, uint64_t *n);

#endif
