/*
 * req_query.c - answer the queries (req.h req_query; docs/protocol.md
 * §5-6): ticket.show, ticket.list, wo.queue, figures and status.
 *
 * Each store read runs in its own snapshot, so a query may see a ticket
 * change between two reads; nothing here depends on two reads agreeing.
 * In particular every array's count is known before the array is written
 * (the writer declares counts): the entries are gathered first, then
 * written.
 *
 * ticket.list orders tickets newest first by the local day they were
 * created, then by ticket id, highest first: by_day's key order, walked
 * backwards a chunk at a time, so a page costs in proportion to the
 * tickets examined, not to the day's.  For one node's own tickets that is
 * creation order (ids are issued in order); another node's tickets of the
 * same day sort by their ids among them.  A ticket's place never changes,
 * so `after` (a ticket id) is a position: "every ticket after this one".
 * The phone's index, or an open state's, is read whole and sorted when it
 * is small.
 */
#include "req.h"
#include "fed.h"
#include "ltime.h"

#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 50
/* Index entries one ticket.list reads at most; beyond, it answers what it
 * has with `next` set to the last ticket examined. */
#define LIST_SCAN_MAX 100000
#define LIST_CHUNK 64		/* by_day keys read per step */
/* Candidates of the by_phone / by_state index sorted at once; beyond, the
 * list walks by_day instead. */
#define LIST_GROUP_MAX 20000
/* A history event takes at least this many bytes in a reply (its six
 * keys alone), so more events than LD_PROTO_REPLY_MAX / this cannot fit. */
#define HISTORY_EVENT_MIN 32

/* ---- shared helpers ------------------------------------------------------ */

/* The unit id a unit caller is limited to, NULL for the office. */
static const char *
caller_unit(const struct ld_req_env *env, const struct ld_caller *c)
{
	if (c->role != LD_ROLE_UNIT)
		return NULL;
	if (c->unit < 0 || c->unit >= env->t->n_units)
		return "";
	return env->t->units[c->unit].id;
}

/* The largest reply the writer may produce into cap bytes. */
static size_t
reply_limit(size_t cap)
{
	return cap < LD_PROTO_REPLY_MAX ? cap : LD_PROTO_REPLY_MAX;
}

/* Has the writer already passed the reply limit?  (Loops stop early.) */
static bool
reply_over(const struct ld_pw *w)
{
	return w->off > reply_limit(w->cap);
}

/* Finish the reply: its length, or LD_ELIMIT naming what did not fit. */
int
req_reply_finish(struct ld_pw *w, const char *what, struct ld_err *err)
{
	size_t limit = reply_limit(w->cap);
	int n = proto_reply_end(w);

	if (n >= 0)
		return n;
	return err_set(err, LD_ELIMIT, "%s: the reply exceeds the limit of %zu "
	    "bytes", what, limit);
}

/* "YYYY-MM-DD" (checked by the codec) as YYYYMMDD. */
uint32_t
req_day_num(const char *s)
{
	uint32_t y = 0, m = 0, d = 0;

	for (int i = 0; i < 4; i++)
		y = y * 10 + (uint32_t)(s[i] - '0');
	m = (uint32_t)(s[5] - '0') * 10 + (uint32_t)(s[6] - '0');
	d = (uint32_t)(s[8] - '0') * 10 + (uint32_t)(s[9] - '0');
	return y * 10000 + m * 100 + d;
}

/* YYYYMMDD as "YYYY-MM-DD" into out (11 bytes). */
void
req_day_str(uint32_t day, char out[11])
{
	uint32_t y = day / 10000 % 10000, m = day / 100 % 100, d = day % 100;

	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

static bool
has_q(const struct ld_request *r, enum ld_qarg q)
{
	return (r->q_present >> q) & 1u;
}

/* Copy the NUL-terminated ticket id at key[0..len) into id; false if it
 * is not one (no NUL, empty or too long). */
static bool
key_ticket(const uint8_t *key, size_t len, char id[LD_TICKET_MAX + 1])
{
	const uint8_t *nul = memchr(key, 0, len);
	size_t n = nul != NULL ? (size_t)(nul - key) : len;

	if (n == 0 || n > LD_TICKET_MAX)
		return false;
	memcpy(id, key, n);
	id[n] = '\0';
	return true;
}

/* Load ticket id; LD_ENOTFOUND as "ticket X: not found", prefixed. */
static int
load_ticket(struct ld_store *s, const char *what, const char *id,
    struct ld_ticket *t, struct ld_err *err)
{
	int rc = store_get_ticket(s, id, t, err);

	if (rc == LD_ENOTFOUND)
		return err_set(err, rc, "%sticket %s: not found", what, id);
	return rc;
}

/* ---- ticket.show --------------------------------------------------------- */

struct ev_ref {
	char origin[LD_NODE_MAX + 1];
	uint64_t seq;
};

/* The history events a ticket.show gathers before writing them. */
struct show_ctx {
	const struct ld_ticket *t;
	const char *unit;	/* NULL: every event */
	struct ev_ref *refs;
	size_t n, cap;
	bool too_many;		/* more than can ever fit in a reply */
	bool nomem;
};

/* May the caller limited to unit (NULL: none) see history event ev of t?
 * A unit sees the ticket's birth, reopening and closing, and the events of
 * its own work orders (dispatch included: it carries wo). */
static bool
history_visible(const struct ld_ticket *t, const char *unit,
    const struct ld_event *ev)
{
	if (unit == NULL)
		return true;
	if (!event_has(ev, LD_F_WO))
		return ev->kind == LD_EV_TICKET_CREATED ||
		    ev->kind == LD_EV_REOPENED || ev->kind == LD_EV_CLOSED;
	return ev->wo >= 1 && ev->wo <= t->n_wo && ev->wo <= LD_WO_MAX &&
	    unit[0] != '\0' && strcmp(t->wo[ev->wo - 1].unit, unit) == 0;
}

static int
show_gather(const struct ld_event *ev, void *arg)
{
	struct show_ctx *x = arg;
	struct ev_ref *grown;

	if (!history_visible(x->t, x->unit, ev))
		return 0;
	if (x->n >= LD_PROTO_REPLY_MAX / HISTORY_EVENT_MIN) {
		x->too_many = true;
		return 1;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		grown = realloc(x->refs, x->cap * sizeof(*grown));
		if (grown == NULL) {
			x->nomem = true;
			return 1;
		}
		x->refs = grown;
	}
	memcpy(x->refs[x->n].origin, ev->origin, sizeof(ev->origin));
	x->refs[x->n++].seq = ev->seq;
	return 0;
}

/* Write {"ticket": VIEW, "history": [EVENT...]} for the gathered events. */
static int
show_write(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, const struct show_ctx *x, uint8_t *buf,
    size_t cap, struct ld_err *err)
{
	struct ld_event *ev = malloc(sizeof(*ev));
	struct ld_pw w;
	int rc = 0;

	if (ev == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	proto_reply_begin(&w, buf, cap, r->id, 2);
	proto_w_str(&w, "ticket");
	req_write_view(&w, env->t, c, x->t, env->now);
	proto_w_str(&w, "history");
	proto_w_array(&w, (uint32_t)x->n);
	for (size_t i = 0; i < x->n && !reply_over(&w); i++) {
		rc = store_get_event(env->s, x->refs[i].origin, x->refs[i].seq,
		    ev, err);
		if (rc != 0)
			break;
		req_write_event(&w, ev);
	}
	free(ev);
	if (rc != 0)
		return rc;
	rc = proto_reply_end(&w);
	if (rc < 0)
		return err_set(err, LD_ELIMIT, "ticket %s: the reply with its "
		    "history of %zu events exceeds the limit of %zu bytes",
		    r->ticket, x->n, reply_limit(cap));
	return rc;
}

static int
q_show(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct ld_ticket t;
	struct show_ctx x = { .t = &t, .unit = caller_unit(env, c) };
	int rc;

	if (!has_q(r, LD_Q_TICKET))
		return err_set(err, LD_EMISSING, "args.ticket: missing");
	rc = load_ticket(env->s, "", r->ticket, &t, err);
	if (rc == 0)
		rc = req_can_see(env, c, &t, err);
	if (rc == 0)
		rc = store_history(env->s, r->ticket, show_gather, &x, err);
	if (rc == 0 && x.nomem)
		rc = err_set(err, LD_ENOMEM, "out of memory");
	if (rc == 0 && x.too_many)
		rc = err_set(err, LD_ELIMIT, "%s: a history of more than %d "
		    "events does not fit in one reply", r->ticket,
		    LD_PROTO_REPLY_MAX / HISTORY_EVENT_MIN);
	if (rc == 0)
		rc = show_write(env, c, r, &x, buf, cap, err);
	free(x.refs);
	return rc;
}

/* ---- ticket.list: positions, filters ------------------------------------ */

/* A ticket's place in the list order: newest first by the local day it
 * was created, then by ticket id, highest first (for one node's own
 * tickets: the order they were created in).  It is by_day's key order,
 * walked backwards. */
struct list_pos {
	uint32_t day;
	char id[LD_TICKET_MAX + 1];
};

/* One candidate from an index. */
struct list_ent {
	struct list_pos pos;
	bool match;
};

struct list_ctx {
	const struct ld_req_env *env;
	const struct ld_caller *c;
	const struct ld_request *r;
	const char *unit;		/* the caller's own unit, or NULL */
	uint32_t day_from, day_to;	/* 0: no day filter */
	bool has_after;
	struct list_pos after;
	uint32_t limit;
	/* the answer */
	struct ld_ticket *res;		/* limit slots */
	uint32_t n;
	bool more;			/* a match beyond the limit exists */
	bool has_last;
	struct list_pos last;		/* the oldest position examined */
	/* the group of candidates being gathered */
	struct list_ent *ents;
	size_t n_ents, cap_ents;
	bool group_full;		/* gathering stopped at LIST_GROUP_MAX */
	uint8_t below[4 + LD_TICKET_MAX + 1];	/* by_day: where the next
						 * chunk starts (exclusive) */
	size_t below_len;
	size_t scanned;			/* index entries read */
	bool nomem;
	struct ld_ticket cand;		/* the candidate being looked at */
	struct ld_ticket tmp;		/* scratch of list_overdue */
};

/* Is a before b in the list (newer)? */
static bool
pos_before(const struct list_pos *a, const struct list_pos *b)
{
	if (a->day != b->day)
		return a->day > b->day;
	return strcmp(a->id, b->id) > 0;
}

static int
pos_cmp(const void *pa, const void *pb)
{
	const struct list_ent *a = pa, *b = pb;

	if (pos_before(&a->pos, &b->pos))
		return -1;
	return pos_before(&b->pos, &a->pos) ? 1 : 0;
}

/* A unit's overdue filter looks at its own work orders only, as the
 * SUMMARY it is shown does: req_overdue on a copy without the others. */
static bool
list_overdue(struct list_ctx *x, const struct ld_ticket *t)
{
	struct ld_ticket *own = &x->tmp;

	if (x->unit == NULL)
		return req_overdue(t, x->env->now);
	*own = *t;
	for (unsigned i = 0; i < own->n_wo && i < LD_WO_MAX; i++)
		if (strcmp(own->wo[i].unit, x->unit) != 0)
			own->wo[i].state = LD_WO_NONE;
	return req_overdue(own, x->env->now);
}

static bool
has_wo_of(const struct ld_ticket *t, const char *unit)
{
	for (unsigned i = 0; i < t->n_wo && i < LD_WO_MAX; i++)
		if (strcmp(t->wo[i].unit, unit) == 0)
			return true;
	return false;
}

static bool
text_has(const struct ld_ticket *t, const char *q)
{
	return strstr(t->place, q) != NULL || strstr(t->text, q) != NULL ||
	    strstr(t->caller, q) != NULL;
}

/* Does t pass every filter of the request, and the caller's scope?
 * (list_overdue overwrites x->tmp: t must not be it.) */
static bool
list_matches(struct list_ctx *x, const struct ld_ticket *t)
{
	const struct ld_request *r = x->r;
	const struct ld_event *a = &r->args;
	uint32_t day = ltime_day(t->created_ms);

	if (has_q(r, LD_Q_STATE) && strcmp(r->state,
	    ticket_state_name((enum ld_ticket_state)t->state)) != 0)
		return false;
	if (event_has(a, LD_F_UNIT) && !has_wo_of(t, a->unit))
		return false;
	/* a unit terminal never learns where other units work */
	if (event_has(a, LD_F_UNIT) && x->unit != NULL &&
	    strcmp(a->unit, x->unit) != 0)
		return false;
	if (event_has(a, LD_F_AREA) && strcmp(t->area, a->area) != 0)
		return false;
	if (event_has(a, LD_F_PHONE) && strcmp(t->phone, a->phone) != 0)
		return false;
	if (x->day_from != 0 && (day < x->day_from || day > x->day_to))
		return false;
	if (has_q(r, LD_Q_OVERDUE) && r->overdue && !list_overdue(x, t))
		return false;
	if (has_q(r, LD_Q_Q) && !text_has(t, r->q))
		return false;
	return req_can_see(x->env, x->c, t, NULL) == 0;
}

/* ---- ticket.list: groups of candidates ---------------------------------- */

/* Add ticket id to the group being gathered. */
static bool
group_add(struct list_ctx *x, const char *id)
{
	struct list_ent *grown;

	if (x->n_ents == x->cap_ents) {
		x->cap_ents = x->cap_ents ? 2 * x->cap_ents : 256;
		grown = realloc(x->ents, x->cap_ents * sizeof(*grown));
		if (grown == NULL) {
			x->nomem = true;
			return false;
		}
		x->ents = grown;
	}
	memset(&x->ents[x->n_ents], 0, sizeof(x->ents[0]));
	memcpy(x->ents[x->n_ents++].pos.id, id, strlen(id) + 1);
	x->scanned++;
	return true;
}

/* Load the group's tickets: their positions and whether they match.  A
 * ticket that cannot be read is dropped from the group. */
static void
group_load(struct list_ctx *x)
{
	struct ld_ticket *t = &x->cand;
	size_t kept = 0;

	for (size_t i = 0; i < x->n_ents; i++) {
		struct list_ent *e = &x->ents[i];

		if (store_get_ticket(x->env->s, e->pos.id, t, NULL) != 0)
			continue;
		e->pos.day = ltime_day(t->created_ms);
		e->match = list_matches(x, t);
		x->ents[kept++] = *e;
	}
	x->n_ents = kept;
}

/* Take the group's matches older than `after`, in list order, until the
 * limit and one more (which says there are more).  Returns true when the
 * list is complete. */
static bool
group_take(struct list_ctx *x)
{
	group_load(x);
	if (x->n_ents == 0)
		return false;
	qsort(x->ents, x->n_ents, sizeof(x->ents[0]), pos_cmp);
	for (size_t i = 0; i < x->n_ents; i++) {
		struct list_ent *e = &x->ents[i];

		if (x->has_after && !pos_before(&x->after, &e->pos))
			continue;
		if (e->match && x->n == x->limit) {
			x->more = true;
			return true;
		}
		x->last = e->pos;
		x->has_last = true;
		if (e->match && store_get_ticket(x->env->s, e->pos.id,
		    &x->res[x->n], NULL) == 0)
			x->n++;
	}
	return false;
}

/* ---- ticket.list: walks ----------------------------------------------------- */

/* by_day (day u32 BE | id NUL), backwards: gather the next LIST_CHUNK
 * tickets (stop before day_from), remembering the last key. */
static int
day_gather(const uint8_t *key, size_t len, void *arg)
{
	struct list_ctx *x = arg;
	char id[LD_TICKET_MAX + 1];
	uint32_t day;

	if (len < 5 || len > sizeof(x->below))
		return 0;
	day = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
	    (uint32_t)key[2] << 8 | key[3];
	if (day < x->day_from || x->n_ents >= LIST_CHUNK)
		return 1;
	memcpy(x->below, key, len);	/* read by the next scan only */
	x->below_len = len;
	if (!key_ticket(key + 4, len - 4, id))
		return 0;
	return group_add(x, id) ? 0 : 1;
}

/* by_day's key of a day (and a ticket id, or none) into x->below. */
static void
day_key(struct list_ctx *x, uint32_t day, const char *id)
{
	size_t n = id ? strlen(id) + 1 : 0;

	x->below[0] = (uint8_t)(day >> 24);
	x->below[1] = (uint8_t)(day >> 16);
	x->below[2] = (uint8_t)(day >> 8);
	x->below[3] = (uint8_t)day;
	if (n > 0)
		memcpy(x->below + 4, id, n);
	x->below_len = 4 + n;
}

/* Walk by_day backwards, LIST_CHUNK keys at a time, from where the list
 * starts (below `after`, or the end of day_to): the work is in proportion
 * to the tickets examined, not to a day's tickets.  Stops when the list is
 * complete, at day_from, or when the scan budget is spent (then x->last is
 * where to go on). */
static int
walk_days(struct list_ctx *x, bool *cut, struct ld_err *err)
{
	static const uint8_t all[1];
	uint8_t below[sizeof(x->below)];
	size_t below_len;
	int rc;

	if (x->has_after && (x->day_to == 0 || x->after.day <= x->day_to))
		day_key(x, x->after.day, x->after.id);
	else
		day_key(x, x->day_to ? x->day_to + 1 : UINT32_MAX, NULL);
	for (;;) {
		memcpy(below, x->below, x->below_len);
		below_len = x->below_len;
		x->n_ents = 0;
		rc = store_scan_back(x->env->s, "by_day", all, 0, below,
		    below_len, day_gather, x, err);
		if (rc != 0 || x->nomem || x->n_ents == 0)
			return rc;
		if (group_take(x))
			return 0;
		if (x->scanned >= LIST_SCAN_MAX && x->has_last) {
			*cut = true;
			return 0;
		}
	}
}

/* A by_phone or by_state key: gather the ticket id after the prefix. */
struct group_scan {
	struct list_ctx *x;
	size_t plen;
};

static int
index_gather(const uint8_t *key, size_t len, void *arg)
{
	struct group_scan *g = arg;
	char id[LD_TICKET_MAX + 1];

	if (g->x->n_ents >= LIST_GROUP_MAX) {
		g->x->group_full = true;
		return 1;
	}
	if (len <= g->plen || !key_ticket(key + g->plen, len - g->plen, id))
		return 0;
	return group_add(g->x, id) ? 0 : 1;
}

/* Try a small index (the phone's, or an open state's): *used is false if
 * none applies or it holds too many tickets to sort at once. */
static int
walk_index(struct list_ctx *x, bool *used, struct ld_err *err)
{
	const struct ld_request *r = x->r;
	uint8_t prefix[LD_PHONE_MAX + 1] = { 0 };
	struct group_scan g = { .x = x };
	const char *db;
	enum ld_ticket_state st = has_q(r, LD_Q_STATE) ?
	    ticket_state_named(r->state) : LD_TS_NONE;
	int rc;

	*used = false;
	if (event_has(&r->args, LD_F_PHONE)) {
		db = "by_phone";
		g.plen = strlen(r->args.phone) + 1;
		memcpy(prefix, r->args.phone, g.plen);
	} else if (x->day_from == 0 && ticket_state_open(st)) {
		/* an open state (few tickets are in it at a time): by_state
		 * holds these, and only these */
		db = "by_state";
		g.plen = 1;
		prefix[0] = (uint8_t)st;
	} else {
		return 0;
	}
	x->n_ents = 0;
	rc = store_scan(x->env->s, db, prefix, g.plen, index_gather, &g, err);
	if (rc != 0 || x->nomem || x->group_full)
		return rc;
	*used = true;
	group_take(x);
	return 0;
}

/* ---- ticket.list: the request -------------------------------------------- */

/* Unit and area filters must name what the topology has (EUNKNOWN). */
static int
list_check_args(const struct ld_req_env *env, const struct ld_request *r,
    struct ld_err *err)
{
	if (event_has(&r->args, LD_F_UNIT) && topo_unit(env->t,
	    r->args.unit) < 0)
		return err_set(err, LD_EUNKNOWN, "args.unit: unknown unit '%s'",
		    r->args.unit);
	if (event_has(&r->args, LD_F_AREA) && topo_area(env->t,
	    r->args.area) < 0)
		return err_set(err, LD_EUNKNOWN, "args.area: unknown area '%s'",
		    r->args.area);
	return 0;
}

/* Fill x from the request: days, limit, the position of `after`. */
static int
list_init(struct list_ctx *x, const struct ld_req_env *env,
    const struct ld_caller *c, const struct ld_request *r,
    struct ld_err *err)
{
	int rc;

	x->env = env;
	x->c = c;
	x->r = r;
	x->unit = caller_unit(env, c);
	if (has_q(r, LD_Q_DAY)) {
		x->day_from = req_day_num(r->day);
		x->day_to = has_q(r, LD_Q_DAY_TO) ? req_day_num(r->day_to) :
		    x->day_from;
	}
	x->limit = has_q(r, LD_Q_LIMIT) ? r->limit : LIST_LIMIT_DEFAULT;
	if (x->limit < 1 || x->limit > LD_PROTO_LIMIT_MAX)
		return err_set(err, LD_ELIMIT, "args.limit: %u out of range "
		    "1..%d", x->limit, LD_PROTO_LIMIT_MAX);
	if (has_q(r, LD_Q_AFTER)) {
		rc = load_ticket(env->s, "args.after: ", r->after, &x->cand,
		    err);
		/* a ticket the caller may not see is as good as absent */
		if (rc == 0 && req_can_see(env, c, &x->cand, NULL) != 0)
			rc = err_set(err, LD_ENOTFOUND, "args.after: ticket %s: "
			    "not found", r->after);
		if (rc != 0)
			return rc;
		x->has_after = true;
		x->after.day = ltime_day(x->cand.created_ms);
		memcpy(x->after.id, x->cand.id, sizeof(x->after.id));
	}
	x->res = calloc(x->limit, sizeof(*x->res));
	if (x->res == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	return list_check_args(env, r, err);
}

/* Write {"tickets": [SUMMARY...], "next": id|nil}. */
static int
list_write(const struct list_ctx *x, const char *next, uint8_t *buf,
    size_t cap, struct ld_err *err)
{
	struct ld_pw w;

	proto_reply_begin(&w, buf, cap, x->r->id, 2);
	proto_w_str(&w, "tickets");
	proto_w_array(&w, x->n);
	for (uint32_t i = 0; i < x->n && !reply_over(&w); i++)
		req_write_summary(&w, x->env->t, x->c, &x->res[i],
		    x->env->now);
	proto_w_str(&w, "next");
	proto_w_str(&w, next);
	return req_reply_finish(&w, "ticket.list", err);
}

static int
q_list(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct list_ctx *x = calloc(1, sizeof(*x));
	bool used = false, cut = false;
	const char *next = NULL;
	int rc;

	if (x == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	rc = list_init(x, env, c, r, err);
	if (rc == 0)
		rc = walk_index(x, &used, err);
	if (rc == 0 && !used && !x->nomem)
		rc = walk_days(x, &cut, err);
	if (rc == 0 && x->nomem)
		rc = err_set(err, LD_ENOMEM, "out of memory");
	if (rc == 0) {
		/* `next` is always a ticket the caller may see: after a cut,
		 * the last one listed (the next page starts there and looks
		 * further); a budget spent without a single match is an error
		 * that says how to narrow the search */
		if (x->more || (cut && x->n > 0))
			next = x->res[x->n - 1].id;
		else if (cut)
			rc = err_set(err, LD_ELIMIT, "ticket.list: no match among "
			    "the %d tickets examined; narrow the search with "
			    "day and day_to", LIST_SCAN_MAX);
		if (rc == 0)
			rc = list_write(x, next, buf, cap, err);
	}
	free(x->ents);
	free(x->res);
	free(x);
	return rc;
}

/* ---- wo.queue ------------------------------------------------------------ */

struct queue_item {
	char ticket[LD_TICKET_MAX + 1];
	uint8_t wo;
};

struct queue_ctx {
	size_t plen;		/* "unit\0" */
	uint32_t limit, n;
	bool more;
	struct queue_item items[LD_PROTO_LIMIT_MAX];
};

/* by_unit: unit NUL | due u64 BE | ticket id NUL | wo u8. */
static int
queue_gather(const uint8_t *key, size_t len, void *arg)
{
	struct queue_ctx *q = arg;
	struct queue_item *it;

	if (len < q->plen + 8 + 2 + 1 || key[len - 2] != 0)
		return 0;
	if (q->n == q->limit) {
		q->more = true;
		return 1;
	}
	it = &q->items[q->n];
	if (!key_ticket(key + q->plen + 8, len - q->plen - 8 - 1, it->ticket))
		return 0;
	it->wo = key[len - 1];
	q->n++;
	return 0;
}

static int
q_queue(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	const char *unit = caller_unit(env, c);
	struct queue_ctx *q;
	struct ld_ticket *t;
	struct ld_pw w;
	int rc;

	if (unit == NULL || unit[0] == '\0')
		return err_set(err, LD_EREFUSED, "role %s may not call "
		    "'wo.queue'", topo_role_name(c->role));
	q = calloc(1, sizeof(*q));
	t = malloc(sizeof(*t));
	if (q == NULL || t == NULL) {
		free(q);
		free(t);
		return err_set(err, LD_ENOMEM, "out of memory");
	}
	q->plen = strlen(unit) + 1;
	q->limit = has_q(r, LD_Q_LIMIT) ? r->limit : LIST_LIMIT_DEFAULT;
	if (q->limit < 1 || q->limit > LD_PROTO_LIMIT_MAX)
		q->limit = LIST_LIMIT_DEFAULT;
	rc = store_scan(env->s, "by_unit", unit, q->plen, queue_gather, q, err);
	if (rc == 0) {
		proto_reply_begin(&w, buf, cap, r->id, 2);
		proto_w_str(&w, "work_orders");
		proto_w_array(&w, q->n);
		for (uint32_t i = 0; i < q->n && rc == 0; i++) {
			rc = load_ticket(env->s, "wo.queue: ",
			    q->items[i].ticket, t, err);
			if (rc == 0)
				req_write_queue_item(&w, t, q->items[i].wo);
		}
		proto_w_str(&w, "more");
		proto_w_bool(&w, q->more);
		if (rc == 0)
			rc = req_reply_finish(&w, "wo.queue", err);
	}
	free(q);
	free(t);
	return rc;
}

/* ---- figures and status -------------------------------------------------- */

static int
q_figures(const struct ld_req_env *env, const struct ld_request *r,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	uint64_t sums[LD_C__COUNT];
	uint32_t from, to;
	char day[11];
	struct ld_pw w;

	from = has_q(r, LD_Q_DAY) ? req_day_num(r->day) : ltime_day(env->now);
	to = has_q(r, LD_Q_DAY_TO) ? req_day_num(r->day_to) : from;
	if (to < from)
		return err_set(err, LD_EINVAL, "args.day_to: before args.day");
	store_counter_sums(env->s, from, to, sums);
	proto_reply_begin(&w, buf, cap, r->id, 2 + LD_C__COUNT + 1);
	req_day_str(from, day);
	proto_w_str(&w, "day");
	proto_w_str(&w, day);
	req_day_str(to, day);
	proto_w_str(&w, "day_to");
	proto_w_str(&w, day);
	for (int i = 0; i < LD_C__COUNT; i++) {
		proto_w_str(&w, store_counter_name((enum ld_counter)i));
		proto_w_uint(&w, sums[i]);
	}
	proto_w_str(&w, "in_progress");
	proto_w_uint(&w, store_count_open(env->s));
	return req_reply_finish(&w, "figures", err);
}

#define STATUS_KEYS 10

/* {"map_bytes", "used_bytes", "journal", "record", "checkpoint",
 * "journal_bytes", "checkpoints", "checkpoint_failures", "replayed"}: the
 * store's durability
 * (docs/storage.md, docs/protocol.md §5). */
static void
status_store(struct ld_pw *w, const struct ld_store_stats *st)
{
	proto_w_map(w, 9);
	proto_w_str(w, "map_bytes");
	proto_w_uint(w, st->map_size);
	proto_w_str(w, "used_bytes");
	proto_w_uint(w, st->used_bytes);
	proto_w_str(w, "journal");
	proto_w_bool(w, st->journal);
	proto_w_str(w, "record");
	proto_w_uint(w, st->jlsn);
	proto_w_str(w, "checkpoint");
	proto_w_uint(w, st->ckpt_lsn);
	proto_w_str(w, "journal_bytes");
	proto_w_uint(w, st->journal_bytes);
	proto_w_str(w, "checkpoints");
	proto_w_uint(w, st->checkpoints);
	proto_w_str(w, "checkpoint_failures");
	proto_w_uint(w, st->checkpoint_failures);
	proto_w_str(w, "replayed");
	proto_w_uint(w, st->replayed);
}

/* {"node", "role": "parent"|"child", "up", "since", "heard", "lag",
 * "behind", "received", "sent", "refused", "kept"} per link
 * (docs/protocol.md §5); durations in ms, nil when never. */
static void
status_links(struct ld_pw *w, const struct fed *f)
{
	struct fed_link_status ls[FED_LINKS_MAX];
	size_t n = fed_status(f, ls, FED_LINKS_MAX);

	proto_w_array(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		proto_w_map(w, 11);
		proto_w_str(w, "node");
		proto_w_str(w, ls[i].node);
		proto_w_str(w, "role");
		proto_w_str(w, ls[i].parent ? "parent" : "child");
		proto_w_str(w, "up");
		proto_w_bool(w, ls[i].up);
		proto_w_str(w, "since");
		if (ls[i].since_ms < 0)
			proto_w_nil(w);
		else
			proto_w_uint(w, (uint64_t)ls[i].since_ms);
		proto_w_str(w, "heard");
		if (ls[i].heard_ms < 0)
			proto_w_nil(w);
		else
			proto_w_uint(w, (uint64_t)ls[i].heard_ms);
		proto_w_str(w, "lag");
		proto_w_uint(w, ls[i].lag_out);
		proto_w_str(w, "behind");
		proto_w_uint(w, ls[i].behind);
		proto_w_str(w, "received");
		proto_w_uint(w, ls[i].received);
		proto_w_str(w, "sent");
		proto_w_uint(w, ls[i].sent);
		proto_w_str(w, "refused");
		proto_w_uint(w, ls[i].refused);
		proto_w_str(w, "kept");
		proto_w_uint(w, ls[i].kept);
	}
}

static int
q_status(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	const struct ld_topo_node *node;
	struct ld_store_stats st;
	struct ld_pw w;

	if (c->role != LD_ROLE_ADMIN)
		return err_set(err, LD_EREFUSED, "role %s may not call "
		    "'status'", topo_role_name(c->role));
	if (env->self < 0 || env->self >= env->t->n_nodes)
		return err_set(err, LD_EINVAL, "status: no such node");
	node = &env->t->nodes[env->self];
	if (store_stats(env->s, &st) != 0)
		return err_set(err, LD_EIO, "status: store statistics "
		    "unavailable");
	proto_reply_begin(&w, buf, cap, r->id, STATUS_KEYS);
	proto_w_str(&w, "node");
	proto_w_str(&w, node->id);
	proto_w_str(&w, "level");
	proto_w_str(&w, node->level <= LD_TL_CITY ? "city" : "county");
	proto_w_str(&w, "version");
	proto_w_str(&w, env->version);		/* NULL: nil */
	proto_w_str(&w, "time");
	proto_w_uint(&w, env->now > 0 ? (uint64_t)env->now : 0);
	proto_w_str(&w, "events");
	proto_w_uint(&w, st.events);
	proto_w_str(&w, "tickets");
	proto_w_uint(&w, st.tickets);
	proto_w_str(&w, "links");
	status_links(&w, env->fed);
	proto_w_str(&w, "started");
	proto_w_uint(&w, env->started > 0 ? (uint64_t)env->started : 0);
	proto_w_str(&w, "requests");
	proto_w_uint(&w, env->requests);
	proto_w_str(&w, "store");
	status_store(&w, &st);
	return req_reply_finish(&w, "status", err);
}

/* ---- the entry ------------------------------------------------------------ */

int
req_query(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	if (env == NULL || c == NULL || r == NULL)
		return err_set(err, LD_EINVAL, "query: no caller or request");
	switch (r->op) {
	case LD_OP_TICKET_SHOW:
		return q_show(env, c, r, buf, cap, err);
	case LD_OP_TICKET_LIST:
		return q_list(env, c, r, buf, cap, err);
	case LD_OP_WO_QUEUE:
		return q_queue(env, c, r, buf, cap, err);
	case LD_OP_FIGURES:
		return q_figures(env, r, buf, cap, err);
	case LD_OP_STATUS:
		return q_status(env, c, r, buf, cap, err);
	case LD_OP_REPORT:
	case LD_OP_SPOT_CHECK:
	case LD_OP_OUTBOX_LIST:
	case LD_OP_OUTBOX_RETRY:
	case LD_OP_INCIDENT_SHOW:
		return req_report(env, c, r, buf, cap, err);
	default:
		return err_set(err, LD_EINVAL, "'%s' is not a query",
		    proto_op_name(r->op));
	}
}
