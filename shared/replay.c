/* replay.c - a year through a running federation (replay.h). */
#include "replay.h"
#include "bench.h"
#include "client.h"
#include "event.h"
#include "fed.h"
#include "keyfile.h"
#include "ltime.h"
#include "proto.h"
#include "relay.h"
#include "req.h"
#include "replay_plan.h"
#include "replay_topo.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define MIN_MS 60000LL
#define RP_TRIES 80		/* tries of an action another node must see
				 * first (replication): 5 ms, 10 ms, ...
				 * apart, some 16 s in all */
#define RP_ATTACHED 3		/* calls attached to each incident */
#define RP_CUT_REAL_MS (RPROC_LINK_DEAD_MS + 1500)	/* the cut, in real
							 * time, at least */

/* ---- what the replay does ---------------------------------------------- */

enum rp_kind {
	A_CALL = 1,	/* call.log */
	A_CREATE,	/* ticket.create */
	A_ACCEPT,	/* transfer.accept by the target's operator */
	A_SIGN,		/* wo.sign by the unit */
	A_COMPLETE,	/* wo.complete by the unit */
	A_REPORT,	/* ticket.report */
	A_CALLBACK,	/* ticket.callback */
	A_CLOSE,	/* ticket.close */
	A_ANNOUNCE,	/* incident.announce */
	A_INC_CLOSE,	/* incident.close */
};

struct ract {
	int64_t t;		/* simulated time it is due */
	uint32_t seq;		/* order among equal times */
	uint32_t x;		/* the call (index in its day) or ticket */
	uint16_t day;		/* A_CALL: day index in the plan */
	uint8_t kind, wo;	/* enum rp_kind; work order number */
	uint8_t tries;
	uint8_t pad[3];
};

enum { TK_OPEN = 1, TK_LEAD = 2, TK_ATTACHED = 4, TK_CROSS = 8 };

/* A linkage request, as the replay follows it. */
struct rtk {
	char id[LD_TICKET_MAX + 1];
	uint8_t node;		/* where the call was taken */
	uint8_t owner;		/* whose office acts on it now */
	uint8_t cat, urgency, area;
	uint8_t n_wo, done_wo, flags;
	uint8_t unit[LD_WO_MAX];	/* rtopo unit index per work order */
	uint8_t n_att;
	uint32_t att[RP_ATTACHED];	/* a lead's attached requests */
};

/* One client connection with its requests in flight. */
struct rconn {
	struct ld_client *c;
	int node;		/* the node it talks to */
	int inflight;
	uint64_t next_id;	/* the id its next request gets */
	struct ract *slot;	/* [window]: by id % window */
	bool *busy;
};

struct rp {
	const struct replay_opts *o;
	struct replay_result *r;
	struct rplan plan;
	/* the areas of all nodes, flattened */
	const char *areas[32];
	int area_node[32];
	int n_areas;
	/* connections: operators [0, RTOPO_NODES), units after */
	struct rconn conn[RTOPO_NODES + 32];
	int n_conn;
	struct ld_client *admin;	/* the city's administrator: status */
	uint64_t last_events;
	void *zctx;
	/* the actions due, a binary heap on (t, seq) */
	struct ract *heap;
	size_t n_heap, cap_heap;
	uint32_t seq;
	struct rtk *tk;		/* [plan linkage requests, extra day too] */
	uint32_t n_tk;
	int next_day;		/* the next plan day to generate */
	int64_t tick;		/* the hour being played */
	int64_t cut_from, cut_to;	/* simulated, 0 if no cut */
	bool cut_on;
	int64_t cut_real;	/* monotonic ms the cut began */
	struct ld_relay *relay;
	/* actions waiting (in real time) for another node to see what they
	 * act on; due in the current hour */
	struct rwait {
		struct ract a;
		int64_t not_before;	/* monotonic ms */
	} *wait;
	size_t n_wait, cap_wait;
	char dir[512];
	/* progress */
	struct timespec t0, last_progress;
	uint64_t last_requests;
};

/* ---- the heap ------------------------------------------------------------ */

static bool
rp_before(const struct ract *a, const struct ract *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static int
rp_push(struct rp *p, struct ract a)
{
	size_t i;

	if (p->n_heap == p->cap_heap) {
		size_t cap = p->cap_heap ? p->cap_heap * 2 : 4096;
		struct ract *h = realloc(p->heap, cap * sizeof(*h));

		if (h == NULL)
			return -1;
		p->heap = h;
		p->cap_heap = cap;
	}
	a.seq = p->seq++;
	i = p->n_heap++;
	while (i > 0 && rp_before(&a, &p->heap[(i - 1) / 2])) {
		p->heap[i] = p->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	p->heap[i] = a;
	return 0;
}

static struct ract
rp_pop(struct rp *p)
{
	struct ract top = p->heap[0], last = p->heap[--p->n_heap];
	size_t i = 0, n = p->n_heap;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && rp_before(&p->heap[c + 1], &p->heap[c]))
			c++;
		if (!rp_before(&p->heap[c], &last))
			break;
		p->heap[i] = p->heap[c];
		i = c;
	}
	if (n > 0)
		p->heap[i] = last;
	return top;
}

static int
rp_at(struct rp *p, int64_t t, enum rp_kind kind, uint32_t x, unsigned wo)
{
	struct ract a;

	memset(&a, 0, sizeof(a));
	a.t = t;
	a.kind = (uint8_t)kind;
	a.x = x;
	a.wo = (uint8_t)wo;
	return rp_push(p, a);
}

/* A follow-up (what an answer makes due) at t, but never in the hour being
 * played: the next hour at the soonest.  So an hour has no chains of
 * requests that wait for each other's answers: its requests go out at
 * once, and an hour takes one round of commits. */
static int
rp_after(struct rp *p, int64_t t, enum rp_kind kind, uint32_t x, unsigned wo)
{
	int64_t next = p->tick + HOUR_MS;

	return rp_at(p, t > next ? t : next, kind, x, wo);
}

/* ---- the plan's days into actions ----------------------------------------- */

/* Calls by hour of the day, per mille. */
static const uint16_t rp_hours[24] = { 14, 9, 7, 6, 6, 9, 17, 36, 54, 58,
	60, 59, 55, 54, 56, 58, 58, 56, 54, 52, 50, 46, 38, 26 };

/* The time of call i of n in the day starting at day0: spread over the
 * hours by rp_hours. */
static int64_t
rp_call_time(int64_t day0, uint32_t i, uint32_t n)
{
	uint64_t total = 0, pos, acc = 0;

	for (int h = 0; h < 24; h++)
		total += rp_hours[h];
	pos = ((uint64_t)i * 2 + 1) * total * 3600 / ((uint64_t)n * 2);
	for (int h = 0; h < 24; h++) {
		uint64_t span = (uint64_t)rp_hours[h] * 3600;

		if (pos < acc + span)
			return day0 + h * HOUR_MS + (int64_t)((pos - acc) *
			    1000 / rp_hours[h]);
		acc += span;
	}
	return day0 + DAY_MS - 1000;
}

enum { C_LINKAGE = 1, C_FORWARDED, C_INVALID, C_UNANSWERED };

/* Pick by per-mille weights with h (0 .. 999). */
static int
rp_pick_node(uint64_t h)
{
	uint32_t x = (uint32_t)(h % 1000), acc = 0;

	for (int i = 0; i < RTOPO_NODES; i++) {
		acc += rtopo_nodes[i].share;
		if (x < acc)
			return i;
	}
	return 0;
}

static int
rp_pick_category(uint64_t h)
{
	uint32_t total = 0, x, acc = 0;

	for (int i = 0; i < rtopo_n_categories; i++)
		total += rtopo_categories[i].weight;
	x = (uint32_t)(h % total);
	for (int i = 0; i < rtopo_n_categories; i++) {
		acc += rtopo_categories[i].weight;
		if (x < acc)
			return i;
	}
	return 0;
}

static int
rp_category(const char *id)
{
	for (int i = 0; i < rtopo_n_categories; i++)
		if (strcmp(rtopo_categories[i].id, id) == 0)
			return i;
	return 0;
}

static int
rp_area(const struct rp *p, const char *id)
{
	for (int i = 0; i < p->n_areas; i++)
		if (strcmp(p->areas[i], id) == 0)
			return i;
	return 0;
}

/* A random area of node n (h chooses). */
static int
rp_area_of(const struct rp *p, int n, uint64_t h)
{
	int m = 0, k;

	for (int i = 0; i < p->n_areas; i++)
		m += p->area_node[i] == n;
	k = (int)(h % (uint64_t)m);
	for (int i = 0; i < p->n_areas; i++)
		if (p->area_node[i] == n && k-- == 0)
			return i;
	return 0;
}

/* Linkage request k taken at node n at time t: what it is about. */
static void
rp_ticket_init(struct rp *p, uint32_t k, int n)
{
	uint64_t s = p->plan.seed;
	struct rtk *t = &p->tk[k];
	uint64_t h = rplan_hash(s, k, 101);
	uint32_t u = (uint32_t)(rplan_hash(s, k, 102) % 100);

	memset(t, 0, sizeof(*t));
	t->node = (uint8_t)n;
	t->owner = (uint8_t)n;
	t->cat = (uint8_t)rp_pick_category(rplan_hash(s, k, 103));
	t->urgency = u < 5 ? 1 : u < 30 ? 3 : 5;
	t->area = (uint8_t)rp_area_of(p, n, h);
	/* across jurisdictions: a call to the city about a county (handed
	 * down), a call to a county about the city (escalated) */
	if (n == 0 && h % 1000 < 15) {
		t->area = (uint8_t)rp_area_of(p, 1 + (int)(h / 1000 % 3),
		    h / 7);
		t->flags |= TK_CROSS;
	} else if (n != 0 && h % 1000 < 20) {
		t->area = (uint8_t)rp_area_of(p, 0, h / 7);
		t->flags |= TK_CROSS;
	}
	if (rplan_is_open(&p->plan, k))
		t->flags |= TK_OPEN;
}

/* The calls of plan day d as actions; the linkage requests among them as
 * tickets; on the 16th an emergency plan. */
static int
rp_gen_day(struct rp *p, int d)
{
	const struct rplan_day *day = &p->plan.days[d];
	uint64_t s = p->plan.seed;
	int64_t day0 = ltime_day_start(day->day);
	uint32_t n = day->calls, k = day->first, lead = UINT32_MAX;
	uint8_t *kind = malloc(n ? n : 1);
	int n_att = 0;

	if (kind == NULL)
		return -1;
	/* the day's calls of each kind, shuffled over the day */
	for (uint32_t i = 0; i < n; i++)
		kind[i] = i < day->linkage ? C_LINKAGE : i < day->valid ?
		    C_FORWARDED : i < day->answered ? C_INVALID : C_UNANSWERED;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)(rplan_hash(s, day->day, i) % i);
		uint8_t x = kind[i - 1];

		kind[i - 1] = kind[j];
		kind[j] = x;
	}
	for (uint32_t i = 0; i < n; i++) {
		int64_t t = rp_call_time(day0, i, n);
		struct ract a;

		memset(&a, 0, sizeof(a));
		a.t = t;
		a.kind = A_CALL;
		a.x = i | (uint32_t)kind[i] << 24;
		a.day = (uint16_t)d;
		if (rp_push(p, a) != 0)
			goto fail;
		if (kind[i] != C_LINKAGE)
			continue;
		rp_ticket_init(p, k, rp_pick_node(rplan_hash(s, day->day,
		    0x10000u + i)));
		/* the 16th: the first city request after 11:00 is a water
		 * plant's power cut; the next city ones are further calls
		 * about it, an hour apart */
		if (day->day % 100 == 16 && d < p->plan.n_period &&
		    p->tk[k].node == 0 && !(p->tk[k].flags & TK_OPEN) &&
		    t >= day0 + 11 * HOUR_MS && t < day0 + 18 * HOUR_MS) {
			struct rtk *x = &p->tk[k];

			if (lead == UINT32_MAX) {
				lead = k;
				x->flags |= TK_LEAD;
				x->flags &= (uint8_t)~TK_CROSS;
				x->cat = (uint8_t)rp_category(
				    rtopo_plan_category);
				x->area = (uint8_t)rp_area(p, "luolong");
				x->urgency = 1;
			} else if (n_att < RP_ATTACHED) {
				x->flags |= TK_ATTACHED;
				x->flags &= (uint8_t)~TK_CROSS;
				x->cat = p->tk[lead].cat;
				x->area = p->tk[lead].area;
				x->urgency = 1;
				p->tk[lead].att[p->tk[lead].n_att++] = k;
				t = day0 + (12 + n_att) * HOUR_MS + 30 * MIN_MS;
				n_att++;
			}
		}
		if (rp_at(p, t, A_CREATE, k, 0) != 0)
			goto fail;
		k++;
	}
	free(kind);
	return 0;
fail:
	free(kind);
	return -1;
}

/* ---- requests ------------------------------------------------------------ */

static void
rp_req(struct ld_request *r, enum ld_op op, const char *ticket)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	if (ticket != NULL) {
		snprintf(r->ticket, sizeof(r->ticket), "%s", ticket);
		r->q_present |= 1u << LD_Q_TICKET;
	}
}

static void
rp_phone(uint64_t h, char *buf, size_t cap)
{
	static const char *const pre[] = { "139", "138", "137", "150", "186",
		"0379" };
	int i = (int)(h % 6);

	if (i == 5)
		snprintf(buf, cap, "0379%08llu", (unsigned long long)(h / 7 %
		    100000000ULL));
	else
		snprintf(buf, cap, "%s%08llu", pre[i],
		    (unsigned long long)(h / 7 % 100000000ULL));
}

/* The connection of the unit of work order wo of t. */
static int
rp_unit_conn(const struct rtk *t, unsigned wo)
{
	return RTOPO_NODES + t->unit[wo - 1];
}

/* Does action a need the cut line (XA to the city) right now? */
static bool
rp_needs_line(const struct rp *p, const struct ract *a, int conn)
{
	const struct rtk *t;
	int at, other;

	if (!p->cut_on || a->kind == A_CALL || a->kind == A_CREATE)
		return false;
	t = &p->tk[a->x];
	at = p->conn[conn].node;
	/* a transfer answered by its target; a unit's work on a ticket its
	 * node does not own (forwarded); either way across at <-> other */
	other = a->kind == A_ACCEPT ? t->node : t->owner;
	if (at == other)
		return false;
	return at == RTOPO_CUT_NODE || other == RTOPO_CUT_NODE;
}

/* Build the request of action a; *conn: which connection sends it. */
static void
rp_build(struct rp *p, const struct ract *a, struct ld_request *r, int *conn)
{
	uint64_t s = p->plan.seed;
	char buf[160];

	if (a->kind == A_CALL) {
		const struct rplan_day *day = &p->plan.days[a->day];
		uint32_t i = a->x & 0xffffff;
		int kind = (int)(a->x >> 24);
		uint64_t h = rplan_hash(s, day->day, 0x10000u + i);

		*conn = rp_pick_node(h);
		rp_req(r, LD_OP_CALL_LOG, NULL);
		snprintf(buf, sizeof(buf), "%u-%u", day->day, i);
		event_set_str(&r->args, LD_F_CALL, buf);
		rp_phone(rplan_hash(s, day->day, 0x20000u + i), buf,
		    sizeof(buf));
		event_set_str(&r->args, LD_F_PHONE, buf);
		event_set_bool(&r->args, LD_F_VALID, kind == C_LINKAGE ||
		    kind == C_FORWARDED);
		if (kind == C_FORWARDED)
			event_set_uint(&r->args, LD_F_CLASS, 1 + (uint32_t)(h /
			    1000 % 3));	/* police, fire, medical */
		if (kind == C_UNANSWERED)
			event_set_bool(&r->args, LD_F_ANSWERED, false);
		return;
	}
	struct rtk *t = &p->tk[a->x];
	const struct rtopo_category *c = &rtopo_categories[t->cat];

	switch (a->kind) {
	case A_CREATE: {
		const struct rplan_day *day = rplan_day_of(&p->plan, a->x);

		*conn = t->node;
		rp_req(r, LD_OP_TICKET_CREATE, NULL);
		rp_phone(rplan_hash(s, a->x, 104), buf, sizeof(buf));
		event_set_str(&r->args, LD_F_PHONE, buf);
		snprintf(buf, sizeof(buf), "%s 第%u号附近",
		    p->areas[t->area], (unsigned)(rplan_hash(s, a->x, 105) %
		    300 + 1));
		event_set_str(&r->args, LD_F_PLACE, buf);
		event_set_str(&r->args, LD_F_AREA, p->areas[t->area]);
		event_set_str(&r->args, LD_F_CATEGORY, c->id);
		event_set_uint(&r->args, LD_F_URGENCY, t->urgency);
		snprintf(buf, sizeof(buf), "市民来电反映：%s，请尽快处理。",
		    c->name);
		event_set_str(&r->args, LD_F_TEXT, buf);
		if (day != NULL) {
			snprintf(buf, sizeof(buf), "%u-L%u", day->day,
			    a->x - day->first);
			event_set_str(&r->args, LD_F_CALL, buf);
		}
		return;
	}
	case A_ACCEPT:
		*conn = t->owner;	/* the target, set from the reply */
		rp_req(r, LD_OP_TRANSFER_ACCEPT, t->id);
		return;
	case A_SIGN:
	case A_COMPLETE:
		*conn = rp_unit_conn(t, a->wo);
		rp_req(r, a->kind == A_SIGN ? LD_OP_WO_SIGN : LD_OP_WO_COMPLETE,
		    t->id);
		event_set_uint(&r->args, LD_F_WO, a->wo);
		if (a->kind == A_COMPLETE)
			event_set_str(&r->args, LD_F_RESULT, "已处理完毕，恢复"
			    "正常。");
		return;
	case A_REPORT:
		*conn = t->owner;
		rp_req(r, LD_OP_TICKET_REPORT, t->id);
		event_set_str(&r->args, LD_F_NOTE, "已电话告知市民办理结果。");
		event_set_uint(&r->args, LD_F_METHOD, LD_METHOD_PHONE);
		return;
	case A_CALLBACK: {
		uint32_t x = (uint32_t)(rplan_hash(s, a->x, 106) % 1000);
		uint32_t sat = x < 880 ? LD_SAT_SATISFIED : x < 950 ?
		    LD_SAT_BASIC : LD_SAT_UNSATISFIED;

		*conn = t->owner;
		rp_req(r, LD_OP_TICKET_CALLBACK, t->id);
		event_set_uint(&r->args, LD_F_METHOD, LD_METHOD_PHONE);
		event_set_uint(&r->args, LD_F_SATISFACTION, sat);
		if (sat == LD_SAT_UNSATISFIED)
			event_set_str(&r->args, LD_F_REASON, "市民对处理时间"
			    "不满意，已解释。");
		return;
	}
	case A_CLOSE:
		*conn = t->owner;
		rp_req(r, LD_OP_TICKET_CLOSE, t->id);
		return;
	case A_ANNOUNCE:
		*conn = t->owner;
		rp_req(r, LD_OP_INCIDENT_ANNOUNCE, t->id);
		event_set_str(&r->args, LD_F_TEXT, "水厂因供电故障停产，部分"
		    "区域停水。供电公司正在抢修，水务集团已派出送水车。");
		return;
	case A_INC_CLOSE:
		*conn = t->owner;
		rp_req(r, LD_OP_INCIDENT_CLOSE, t->id);
		event_set_str(&r->args, LD_F_TEXT, "供电恢复，水厂恢复供水。");
		return;
	default:
		*conn = 0;
		return;
	}
}

/* ---- replies --------------------------------------------------------------- */

static void
rp_str(const msgpack_object *o, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (o != NULL && o->type == MSGPACK_OBJECT_STR)
		snprintf(buf, cap, "%.*s", (int)o->via.str.size,
		    o->via.str.ptr);
}

/* Random delays of a unit's work: in time mostly; a few units are often
 * late (the nodes urge and supervise them). */
static bool
rp_late(const struct rp *p, uint32_t k, unsigned wo, int unit, int what)
{
	uint32_t x = (uint32_t)(rplan_hash(p->plan.seed, k * 16u + wo,
	    200u + (unsigned)what) % 1000);
	const char *id = rtopo_units[unit].id;
	bool often = strcmp(id, "gas") == 0 || strcmp(id, "xa.zhujian") == 0;

	return x < (often ? 250u : 25u);
}

static int64_t
rp_sign_delay(const struct rp *p, const struct rtk *t, uint32_t k,
    unsigned wo)
{
	int64_t sign, done, h = (int64_t)(rplan_hash(p->plan.seed, k * 16u +
	    wo, 210) % 1000);

	rtopo_limits(rtopo_categories[t->cat].slow, t->urgency, &sign, &done);
	if (t->flags & TK_LEAD)
		sign = 2 * HOUR_MS;
	if (rp_late(p, k, wo, t->unit[wo - 1], 0))
		return sign + HOUR_MS + h * 4 * HOUR_MS / 1000;
	return 5 * MIN_MS + h * (sign / 2) / 1000;
}

static int64_t
rp_complete_delay(const struct rp *p, const struct rtk *t, uint32_t k,
    unsigned wo)
{
	int64_t sign, done, h = (int64_t)(rplan_hash(p->plan.seed, k * 16u +
	    wo, 220) % 1000);

	rtopo_limits(rtopo_categories[t->cat].slow, t->urgency, &sign, &done);
	if (t->flags & TK_LEAD)		/* the plan: restored in 5 to 7 h */
		return 5 * HOUR_MS + h * 2 * HOUR_MS / 1000;
	if (rp_late(p, k, wo, t->unit[wo - 1], 1))
		return done + done / 10 + h * (done / 2) / 1000;
	return done / 10 + h * (done / 2) / 1000;
}

/* The work orders of the ticket view v not known yet: their signatures
 * scheduled from time t. */
static int
rp_take_wos(struct rp *p, uint32_t k, const msgpack_object *v, int64_t t)
{
	const msgpack_object *wos = bench_mp_get(v, "work_orders");
	struct rtk *x = &p->tk[k];

	if (wos == NULL || wos->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (uint32_t i = 0; i < wos->via.array.size && i < LD_WO_MAX; i++) {
		const msgpack_object *w = &wos->via.array.ptr[i];
		const msgpack_object *no = bench_mp_get(w, "wo");
		char unit[LD_ID_MAX + 1], state[32];
		int u;

		rp_str(bench_mp_get(w, "unit"), unit, sizeof(unit));
		rp_str(bench_mp_get(w, "state"), state, sizeof(state));
		if (no == NULL || no->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    no->via.u64 <= x->n_wo || strcmp(state, "dispatched") != 0 ||
		    (u = rtopo_unit(unit)) < 0)
			continue;
		x->unit[no->via.u64 - 1] = (uint8_t)u;
		x->n_wo = (uint8_t)no->via.u64;
		if (rp_after(p, t + rp_sign_delay(p, x, k, (unsigned)no->via.u64),
		    A_SIGN, k, (unsigned)no->via.u64) != 0)
			return -1;
	}
	return 0;
}

static int
rp_node_of(const char *id)
{
	for (int i = 0; i < RTOPO_NODES; i++)
		if (strcmp(rtopo_nodes[i].id, id) == 0)
			return i;
	return -1;
}

/* What the answer to a says comes next. */
static int
rp_next(struct rp *p, const struct ract *a, const msgpack_object *res)
{
	const msgpack_object *v = bench_mp_get(res, "ticket");
	struct rtk *t = a->kind == A_CALL ? NULL : &p->tk[a->x];
	uint64_t h = rplan_hash(p->plan.seed, a->x, 300u + a->kind);
	char buf[LD_TICKET_MAX + 1];
	int n;

	switch (a->kind) {
	case A_CALL:
		p->r->calls++;
		return 0;
	case A_CREATE:
		rp_str(bench_mp_get(v, "id"), t->id, sizeof(t->id));
		p->r->tickets++;
		rp_str(bench_mp_get(v, "incident"), buf, sizeof(buf));
		if (buf[0] != '\0') {	/* joined an incident */
			p->r->attached++;
			return 0;
		}
		rp_str(bench_mp_get(v, "transfer_to"), buf, sizeof(buf));
		if ((n = rp_node_of(buf)) >= 0) {
			/* a hand-down or an escalation: the other node's
			 * operator takes it over within the hour */
			if (n == 0)
				p->r->escalations++;
			else
				p->r->handdowns++;
			t->owner = (uint8_t)n;
			return rp_after(p, a->t + 20 * MIN_MS, A_ACCEPT, a->x, 0);
		}
		if (t->flags & TK_LEAD) {
			p->r->incidents++;
			if (rp_after(p, a->t + 10 * MIN_MS, A_ANNOUNCE, a->x, 0))
				return -1;
		}
		return rp_take_wos(p, a->x, v, a->t);
	case A_ACCEPT:
		return rp_take_wos(p, a->x, v, a->t);
	case A_SIGN:
		if (t->flags & TK_OPEN)	/* still at work when the year ends */
			return 0;
		return rp_after(p, a->t + rp_complete_delay(p, t, a->x, a->wo),
		    A_COMPLETE, a->x, a->wo);
	case A_COMPLETE:
		if (++t->done_wo < t->n_wo)
			return 0;
		if (t->flags & TK_LEAD)
			return rp_after(p, a->t + HOUR_MS, A_INC_CLOSE, a->x, 0);
		return rp_after(p, a->t + HOUR_MS + (int64_t)(h % 120) * MIN_MS,
		    A_REPORT, a->x, 0);
	case A_INC_CLOSE:
		for (int i = 0; i < t->n_att; i++)
			if (rp_after(p, a->t + DAY_MS + i * HOUR_MS, A_CALLBACK,
			    t->att[i], 0) != 0)
				return -1;
		/* the lead is called back too */
		__attribute__((fallthrough));
	case A_REPORT:
		return rp_after(p, a->t + DAY_MS + (int64_t)(h % 240) * MIN_MS,
		    A_CALLBACK, a->x, 0);
	case A_CALLBACK: {
		char state[32];

		rp_str(bench_mp_get(v, "state"), state, sizeof(state));
		if (strcmp(state, "closed") == 0)	/* unsatisfied */
			return 0;
		return rp_after(p, a->t + HOUR_MS, A_CLOSE, a->x, 0);
	}
	default:
		return 0;
	}
}

/* ---- connections ---------------------------------------------------------- */

static int
rp_connect(struct rp *p, int i, int node, const char *client,
    struct ld_err *err)
{
	struct rconn *c = &p->conn[i];
	struct ld_client_opts co;
	struct ld_keypair kp, sk;
	char path[700];
	int rc;

	memset(&co, 0, sizeof(co));
	snprintf(path, sizeof(path), "%s/keys/%s.key", p->dir, client);
	if ((rc = keyfile_read(path, &kp, err)) != LD_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/keys/%s.key", p->dir,
	    rtopo_nodes[node].id);
	if ((rc = keyfile_read(path, &sk, err)) != LD_OK) {
		keyfile_wipe(&kp);
		return rc;
	}
	snprintf(path, sizeof(path), "tcp://127.0.0.1:%d",
	    rtopo_client_port(p->o->port_base, node));
	co.endpoint = path;
	memcpy(co.server_key, sk.public_key, LD_KEY_BYTES);
	co.keys = &kp;
	co.timeout_ms = 30000;
	co.zctx = p->zctx;
	rc = client_open(&c->c, &co, err);
	keyfile_wipe(&kp);
	keyfile_wipe(&sk);
	if (rc != LD_OK)
		return rc;
	c->node = node;
	c->next_id = 1;
	c->slot = calloc((size_t)p->o->window, sizeof(*c->slot));
	c->busy = calloc((size_t)p->o->window, sizeof(*c->busy));
	if (c->slot == NULL || c->busy == NULL)
		return err_set(err, LD_ENOMEM, "replay: out of memory");
	return LD_OK;
}

/* Wait until node i answers its operator (it started). */
static int
rp_wait_ready(struct rp *p, int i, struct ld_err *err)
{
	for (int t = 0; t < 300; t++) {
		struct ld_request r;
		struct ld_reply rep;
		struct ld_err e;
		int rc;

		if (!rproc_alive(&p->r->proc.node[i]))
			return err_set(err, LD_EIO, "replay: node %s stopped at "
			    "start (see %s)", rtopo_nodes[i].id,
			    p->r->proc.node[i].log);
		rp_req(&r, LD_OP_FIGURES, NULL);
		if ((rc = client_post(p->conn[i].c, &r, &e)) == LD_OK &&
		    (rc = client_next(p->conn[i].c, &rep, 100, &e)) == LD_OK) {
			p->conn[i].next_id = r.id + 1;
			return LD_OK;
		}
		if (rc < 0)
			return err_set(err, rc, "replay: node %s: %s",
			    rtopo_nodes[i].id, e.msg);
		p->conn[i].next_id = r.id + 1;
	}
	return err_set(err, LD_EIO, "replay: node %s did not answer within "
	    "30 s (see %s)", rtopo_nodes[i].id, p->r->proc.node[i].log);
}

/* ---- the hours ------------------------------------------------------------- */

static double
rp_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The events the city holds (its status), 0 if it does not say. */
static uint64_t
rp_city_events(struct rp *p)
{
	struct ld_request r;
	struct ld_reply rep;
	struct ld_err e;
	msgpack_unpacked u;
	const msgpack_object *v;
	uint64_t n = 0;

	rp_req(&r, LD_OP_STATUS, NULL);
	if (p->admin == NULL || client_call(p->admin, &r, &rep, &e) != 0 ||
	    !rep.ok)
		return 0;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)rep.result, rep.result_len,
	    NULL) == MSGPACK_UNPACK_SUCCESS &&
	    (v = bench_mp_get(&u.data, "events")) != NULL &&
	    v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		n = v->via.u64;
	msgpack_unpacked_destroy(&u);
	return n;
}

static void
rp_progress(struct rp *p, bool last)
{
	struct timespec now;
	double dt, all;
	uint64_t ev;
	char day[24];

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = rp_secs(&p->last_progress, &now);
	if (!p->o->progress || (!last && dt < 2.0))
		return;
	all = rp_secs(&p->t0, &now);
	ltime_format(p->tick, day, sizeof(day));
	day[10] = '\0';
	ev = rp_city_events(p);
	fprintf(stderr, "replay: %s  %9llu requests %6.0f/s  the city: %9llu "
	    "events %6.0f/s  %7llu tickets  %llu retried  %5.1f s%s\n", day,
	    (unsigned long long)p->r->requests, dt > 0 ?
	    (double)(p->r->requests - p->last_requests) / dt : 0.0,
	    (unsigned long long)ev, dt > 0 && ev >= p->last_events ?
	    (double)(ev - p->last_events) / dt : 0.0,
	    (unsigned long long)p->r->tickets,
	    (unsigned long long)p->r->retries, all, p->cut_on ?
	    "  (XA cut off)" : "");
	p->last_progress = now;
	p->last_requests = p->r->requests;
	p->last_events = ev;
}

/* Kinds of error worth trying again: the other node has not seen the
 * ticket yet (replication takes a few ms), or could not be reached. */
static bool
rp_retryable(const struct rp *p, const struct ract *a, int conn,
    const struct ld_reply *rep)
{
	if (strcmp(rep->code, "ENOTFOUND") == 0 ||
	    strcmp(rep->code, "EBUSY") == 0)
		return true;
	/* a unit's terminal at another node than the ticket's owner: its
	 * node may not have seen the dispatch yet ("... has no work order of
	 * unit ...") */
	return strcmp(rep->code, "EREFUSED") == 0 &&
	    (a->kind == A_SIGN || a->kind == A_COMPLETE) &&
	    p->conn[conn].node != p->tk[a->x].owner;
}

static const char *
rp_kind_name(unsigned kind)
{
	static const char *const n[] = { "?", "call.log", "ticket.create",
		"transfer.accept", "wo.sign", "wo.complete", "ticket.report",
		"ticket.callback", "ticket.close", "incident.announce",
		"incident.close" };

	return kind < sizeof(n) / sizeof(n[0]) ? n[kind] : "?";
}

/* Send a (its request r) on connection conn: 0, 1 if that connection is
 * full, or an error. */
static int
rp_send(struct rp *p, struct ract *a, struct ld_request *r, int conn,
    struct ld_err *err)
{
	struct rconn *c = &p->conn[conn];
	int slot, rc;

	slot = (int)(c->next_id % (uint64_t)p->o->window);
	if (c->busy[slot])
		return 1;
	if ((rc = client_post(c->c, r, err)) != LD_OK)
		return rc;
	c->next_id = r->id + 1;
	c->slot[slot] = *a;
	c->busy[slot] = true;
	c->inflight++;
	return 0;
}

/* Replies waiting on connection i. */
static int
rp_take(struct rp *p, int i, struct ld_err *err)
{
	struct rconn *c = &p->conn[i];

	for (;;) {
		struct ld_reply rep;
		msgpack_unpacked u;
		struct ract a;
		int slot, rc;

		rc = client_next(c->c, &rep, 0, err);
		if (rc == 1)
			return 0;
		if (rc != LD_OK)
			return rc;
		slot = (int)(rep.id % (uint64_t)p->o->window);
		if (!c->busy[slot] || rep.id >= c->next_id ||
		    rep.id + (uint64_t)p->o->window < c->next_id)
			continue;	/* not ours (a stale reply) */
		a = c->slot[slot];
		c->busy[slot] = false;
		c->inflight--;
		p->r->requests++;
		if (!rep.ok) {
			p->r->errors++;
			if (!rp_retryable(p, &a, i, &rep) ||
			    a.tries + 1 >= RP_TRIES) {
				char what[sizeof(p->r->failure)];

				/* which request, where: a ticket not yet
				 * made has no id, so its index in the plan */
				snprintf(what, sizeof(what), "%s at %s "
				    "(%s %s #%u, %d tries): %s %.150s",
				    rp_kind_name(a.kind),
				    rtopo_nodes[c->node].id, a.kind == A_CALL ?
				    "call" : "ticket", a.kind != A_CALL &&
				    p->tk[a.x].id[0] ? p->tk[a.x].id : "",
				    a.x, a.tries + 1, rep.code, rep.message);
				p->r->failed++;
				if (p->r->failed <= 5)
					fprintf(stderr, "replay: refused: %s\n",
					    what);
				if (p->r->failure[0] == '\0')
					snprintf(p->r->failure,
					    sizeof(p->r->failure), "%s", what);
				continue;
			}
			/* again in this hour, once the other node had a
			 * moment: 5 ms, 10 ms, ... */
			a.tries++;
			p->r->retries++;
			if (p->n_wait == p->cap_wait) {
				size_t cap = p->cap_wait ? p->cap_wait * 2 : 64;
				struct rwait *w = realloc(p->wait, cap *
				    sizeof(*w));

				if (w == NULL)
					return err_set(err, LD_ENOMEM, "replay: "
					    "out of memory");
				p->wait = w;
				p->cap_wait = cap;
			}
			p->wait[p->n_wait].a = a;
			p->wait[p->n_wait++].not_before = ltime_mono_ms() + 5 *
			    (int64_t)(a.tries < 100 ? a.tries : 100);
			continue;
		}
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, (const char *)rep.result,
		    rep.result_len, NULL) != MSGPACK_UNPACK_SUCCESS) {
			msgpack_unpacked_destroy(&u);
			return err_set(err, LD_EMALFORMED, "replay: the answer "
			    "of node %s to %s (id %llu) does not decode",
			    rtopo_nodes[c->node].id, rp_kind_name(a.kind),
			    (unsigned long long)rep.id);
		}
		rc = rp_next(p, &a, &u.data);
		msgpack_unpacked_destroy(&u);
		if (rc != 0)
			return err_set(err, LD_ENOMEM, "replay: out of memory");
	}
}

/* Play hour p->tick: everything due before its end, until answered. */
static int
rp_hour(struct rp *p, struct ld_err *err)
{
	int64_t end = p->tick + HOUR_MS;
	struct ract held[64];
	int n_held = 0, rc;

	ltime_clock_set(p->tick);
	for (;;) {
		int inflight = 0, timeout = 1000, n_it;
		int it_conn[RTOPO_NODES + 32];
		zmq_pollitem_t it[RTOPO_NODES + 32];
		int64_t now = ltime_mono_ms();

		/* those that waited long enough go back to the heap, due now */
		for (size_t i = 0; i < p->n_wait; ) {
			if (p->wait[i].not_before <= now) {
				if (rp_push(p, p->wait[i].a) != 0)
					return err_set(err, LD_ENOMEM,
					    "replay: out of memory");
				p->wait[i] = p->wait[--p->n_wait];
				continue;
			}
			if (p->wait[i].not_before - now < timeout)
				timeout = (int)(p->wait[i].not_before - now);
			i++;
		}

		/* send what is due, as the connections have room */
		while (p->n_heap > 0 && p->heap[0].t < end) {
			struct ract a = p->heap[0];
			int conn;
			struct ld_request r;

			rp_build(p, &a, &r, &conn);
			if (rp_needs_line(p, &a, conn)) {
				/* waits for the line: at the end of the cut */
				a = rp_pop(p);
				a.t = p->cut_to;
				p->r->cut_deferred++;
				if (rp_push(p, a) != 0)
					return err_set(err, LD_ENOMEM,
					    "replay: out of memory");
				continue;
			}
			if ((rc = rp_send(p, &a, &r, conn, err)) < 0)
				return rc;
			if (rc == 1) {
				/* that connection is full: try the others */
				if (n_held == 64)
					break;
				held[n_held++] = rp_pop(p);
				continue;
			}
			rp_pop(p);
		}
		for (int i = 0; i < n_held; i++)
			if (rp_push(p, held[i]) != 0)
				return err_set(err, LD_ENOMEM, "replay: out of "
				    "memory");
		n_held = 0;
		/* only the connections with answers to come: a poll of all
		 * 22 cost the replay a quarter of its time */
		n_it = 0;
		for (int i = 0; i < p->n_conn; i++) {
			inflight += p->conn[i].inflight;
			if (p->conn[i].inflight == 0)
				continue;
			it_conn[n_it] = i;
			it[n_it].socket = client_zsock(p->conn[i].c);
			it[n_it].fd = 0;
			it[n_it].events = ZMQ_POLLIN;
			it[n_it++].revents = 0;
		}
		if (inflight == 0 && p->n_wait == 0 && (p->n_heap == 0 ||
		    p->heap[0].t >= end))
			return LD_OK;
		if (zmq_poll(it, n_it, timeout) < 0 && zmq_errno() != EINTR)
			return err_set(err, LD_EIO, "replay: zmq_poll: %s",
			    zmq_strerror(zmq_errno()));
		for (int i = 0; i < n_it; i++)
			if ((it[i].revents & ZMQ_POLLIN) &&
			    (rc = rp_take(p, it_conn[i], err)) != LD_OK)
				return rc;
		for (int i = 0; i < p->r->proc.n; i++)
			if (!rproc_alive(&p->r->proc.node[i]))
				return err_set(err, LD_EIO, "replay: node %s "
				    "stopped (see %s)", rtopo_nodes[i].id,
				    p->r->proc.node[i].log);
		rp_progress(p, false);
	}
}

/* The line between XA and the city: cut or healed at the tick. */
static void
rp_line(struct rp *p)
{
	bool cut = p->cut_from > 0 && p->tick >= p->cut_from &&
	    p->tick < p->cut_to;

	if (cut == p->cut_on || p->relay == NULL)
		return;
	p->cut_on = cut;
	if (cut) {
		p->cut_real = ltime_mono_ms();
	} else {
		/* the hours of the cut pass in milliseconds here: hold the
		 * line cut long enough in real time for both nodes to see it
		 * down (nothing heard for --link-dead-ms) */
		int64_t left = p->cut_real + RP_CUT_REAL_MS - ltime_mono_ms();

		if (left > 0)
			bench_sleep_ms((int)left);
	}
	if (!cut) {
		struct ld_relay_stats st;

		relay_stats(p->relay, &st);
		p->r->cut_swallowed = st.swallowed;
	}
	relay_set(p->relay, cut ? LD_RELAY_BLACKHOLE : LD_RELAY_PASS, true,
	    false);
	if (p->o->progress) {
		char t[24];

		ltime_format(p->tick, t, sizeof(t));
		fprintf(stderr, "replay: %s: the line between XA and LY is %s\n",
		    t, cut ? "cut" : "back");
	}
}

static int
rp_play(struct rp *p, struct ld_err *err)
{
	int rc;

	p->tick = ltime_day_start(p->plan.days[0].day);
	p->r->sim_first = p->tick;
	for (;;) {
		int64_t next;

		/* the days whose calls start before the hour ends */
		while (p->next_day < p->plan.n_days &&
		    ltime_day_start(p->plan.days[p->next_day].day) <
		    p->tick + HOUR_MS)
			if (rp_gen_day(p, p->next_day++) != 0)
				return err_set(err, LD_ENOMEM, "replay: out "
				    "of memory");
		rp_line(p);
		if ((rc = rp_hour(p, err)) != LD_OK)
			return rc;
		/* the next hour with something to do */
		next = p->tick + HOUR_MS;
		if (p->n_heap > 0 && p->heap[0].t > next)
			next = p->heap[0].t - p->heap[0].t % HOUR_MS;
		if (p->next_day < p->plan.n_days) {
			int64_t d = ltime_day_start(p->plan.days[p->next_day].day);

			if (p->n_heap == 0 || d < next)
				next = d > p->tick + HOUR_MS ? d : p->tick +
				    HOUR_MS;
		} else if (p->n_heap == 0) {
			break;
		}
		/* the cut's hours are played even when idle */
		if (p->cut_from > 0 && p->tick < p->cut_from &&
		    next > p->cut_from)
			next = p->cut_from;
		if (p->cut_from > 0 && p->tick < p->cut_to && next > p->cut_to)
			next = p->cut_to;
		p->tick = next;
	}
	p->r->sim_last = p->tick + HOUR_MS;
	rp_progress(p, true);
	return LD_OK;
}

/* ---- the verdict ---------------------------------------------------------- */

/* The report of node i over day..day_to into *rep. */
static int
rp_report(struct rp *p, int i, uint32_t day, uint32_t day_to,
    struct ld_report *rep, struct ld_err *err)
{
	struct rconn *c = &p->conn[i];
	struct ld_request r;
	struct ld_reply rp;
	int rc;

	rp_req(&r, LD_OP_REPORT, NULL);
	req_day_str(day, r.day);
	req_day_str(day_to, r.day_to);
	r.q_present |= 1u << LD_Q_DAY | 1u << LD_Q_DAY_TO;
	if ((rc = client_post(c->c, &r, err)) != LD_OK)
		return rc;
	c->next_id = r.id + 1;
	for (;;) {
		if ((rc = client_next(c->c, &rp, 30000, err)) == 1)
			return err_set(err, LD_EIO, "replay: no report from %s",
			    rtopo_nodes[i].id);
		if (rc != LD_OK)
			return rc;
		if (rp.id == r.id)
			break;
	}
	if (!rp.ok)
		return err_set(err, LD_EIO, "replay: report at %s: %s %s",
		    rtopo_nodes[i].id, rp.code, rp.message);
	return report_decode(rp.result, rp.result_len, rep, err);
}

static const struct ld_rep_fig *
rp_node_fig(const struct ld_report *r, const char *id)
{
	for (unsigned i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i].id, id) == 0)
			return &r->nodes[i].fig;
	return NULL;
}

/* Wait until the city's figures of each county equal the county's own
 * (over the whole replay), at most 120 s. */
static int
rp_agree(struct rp *p, struct ld_report *a, struct ld_report *b,
    struct ld_err *err)
{
	uint32_t from = p->plan.days[0].day;
	uint32_t to = ltime_day(p->r->sim_last - 1);
	int rc;

	for (int t = 0; t < 240; t++) {
		bool same = true;

		if ((rc = rp_report(p, 0, from, to, a, err)) != LD_OK)
			return rc;
		for (int i = 1; i < RTOPO_NODES && same; i++) {
			const struct ld_rep_fig *f;

			if ((rc = rp_report(p, i, from, to, b, err)) != LD_OK)
				return rc;
			f = rp_node_fig(a, rtopo_nodes[i].id);
			same = f != NULL && memcmp(f, &b->total,
			    sizeof(*f)) == 0;
		}
		if (same) {
			p->r->agreed = true;
			return LD_OK;
		}
		bench_sleep_ms(500);
	}
	return LD_OK;
}

static int
rp_verdict(struct rp *p, struct ld_err *err)
{
	struct ld_report *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct ld_rep_fig *e = &p->r->expect, *g = &p->r->got;
	int rc;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return err_set(err, LD_ENOMEM, "replay: out of memory");
	}
	rc = rp_agree(p, a, b, err);
	if (rc == LD_OK)
		rc = rp_report(p, 0, p->plan.days[0].day,
		    p->plan.days[p->plan.n_period - 1].day, a, err);
	if (rc == LD_OK) {
		memset(e, 0, sizeof(*e));
		e->calls_in = p->plan.calls;
		e->answered = p->plan.answered;
		e->valid = p->plan.valid;
		e->linkage = p->plan.linkage;
		e->tickets = p->plan.linkage;
		e->completed = p->plan.linkage - p->plan.in_progress;
		e->in_progress = p->plan.in_progress;
		*g = a->total;
		p->r->counts_equal = e->calls_in == g->calls_in &&
		    e->answered == g->answered && e->valid == g->valid &&
		    e->linkage == g->linkage && e->tickets == g->tickets &&
		    e->completed == g->completed &&
		    e->in_progress == g->in_progress;
		p->r->satisfaction_pm = report_satisfaction(g);
	}
	free(a);
	free(b);
	return rc;
}

/* ---- the run -------------------------------------------------------------- */

static void
rp_free(struct rp *p)
{
	for (int i = 0; i < p->n_conn; i++) {
		client_close(p->conn[i].c);
		free(p->conn[i].slot);
		free(p->conn[i].busy);
	}
	client_close(p->admin);
	if (p->zctx != NULL)
		zmq_ctx_term(p->zctx);
	if (p->relay != NULL)
		relay_stop(p->relay);
	free(p->heap);
	free(p->wait);
	free(p->tk);
	rplan_free(&p->plan);
}

static int
rp_plan(struct rp *p, struct ld_err *err)
{
	const struct replay_opts *o = p->o;
	struct rplan year;
	int rc;

	if ((rc = rplan_make(&rplan_article, o->seed, &year, err)) != LD_OK)
		return rc;
	if (o->from == 0) {
		p->plan = year;
		if (o->cut_day != 0 && o->cut_day > year.days[year.n_days -
		    1].day && (rc = rplan_extra_day(&p->plan, o->cut_day, 1000,
		    err)) != LD_OK)
			return rc;
		return LD_OK;
	}
	rc = rplan_window(&year, o->from, o->days, o->scale, &p->plan, err);
	rplan_free(&year);
	return rc;
}

int
replay_run(const struct replay_opts *o, struct replay_result *r,
    struct ld_err *err)
{
	struct rp *p = calloc(1, sizeof(*p));
	char path[700], clock[600], topo[600], key[600];
	int rc, relay_port = o->port_base + 90;

	memset(r, 0, sizeof(*r));
	if (p == NULL)
		return err_set(err, LD_ENOMEM, "replay: out of memory");
	p->o = o;
	p->r = r;
	snprintf(p->dir, sizeof(p->dir), "%s", o->dir);
	for (int i = 0; i < RTOPO_NODES; i++)
		for (int j = 0; rtopo_nodes[i].areas[j] != NULL; j++) {
			p->areas[p->n_areas] = rtopo_nodes[i].areas[j];
			p->area_node[p->n_areas++] = i;
		}
	if ((rc = rp_plan(p, err)) != LD_OK)
		goto out;
	r->period_from = p->plan.days[0].day;
	r->period_to = p->plan.days[p->plan.n_period - 1].day;
	p->n_tk = p->plan.days[p->plan.n_days - 1].first +
	    p->plan.days[p->plan.n_days - 1].linkage;
	if ((p->tk = calloc(p->n_tk + 1, sizeof(*p->tk))) == NULL) {
		rc = err_set(err, LD_ENOMEM, "replay: out of memory");
		goto out;
	}
	if (o->cut_day != 0) {
		p->cut_from = ltime_day_start(o->cut_day) + o->cut_from_h *
		    HOUR_MS;
		p->cut_to = ltime_day_start(o->cut_day) + o->cut_to_h * HOUR_MS;
	}
	/* the federation: topology, keys, the relay, the clock, the nodes */
	if ((rc = rtopo_write(o->dir, o->port_base, relay_port, err)) != LD_OK)
		goto out;
	if ((rc = relay_start(&p->relay, "127.0.0.1", relay_port,
	    rtopo_peer_port(o->port_base, 0), err)) != LD_OK)
		goto out;
	snprintf(clock, sizeof(clock), "%s/clock", o->dir);
	if (ltime_clock_create(clock, ltime_day_start(p->plan.days[0].day)) !=
	    0) {
		rc = err_set(err, LD_EIO, "replay: %s: %s", clock,
		    strerror(errno));
		goto out;
	}
	for (int i = 0; i < RTOPO_NODES; i++) {
		snprintf(topo, sizeof(topo), "%s/%s", o->dir, i ==
		    RTOPO_CUT_NODE ? "topology-XA.ini" : "topology.ini");
		snprintf(key, sizeof(key), "%s/keys/%s.key", o->dir,
		    rtopo_nodes[i].id);
		if ((rc = rproc_start(&r->proc, i == 0 ? o->city_bin :
		    o->county_bin, rtopo_nodes[i].id, topo, key, o->dir, clock,
		    err)) != LD_OK)
			goto stop;
	}
	if ((rc = rproc_sample_start(&r->proc, err)) != LD_OK)
		goto stop;
	if ((p->zctx = zmq_ctx_new()) == NULL) {
		rc = err_set(err, LD_EIO, "replay: zmq_ctx_new failed");
		goto stop;
	}
	for (int i = 0; i < RTOPO_NODES; i++) {
		char id[16];

		snprintf(id, sizeof(id), "op-%c%c", rtopo_nodes[i].id[0] + 32,
		    rtopo_nodes[i].id[1] + 32);
		if ((rc = rp_connect(p, p->n_conn++, i, id, err)) != LD_OK)
			goto stop;
	}
	if (o->progress) {	/* the progress line reads the city's status */
		int k = p->n_conn;

		if ((rc = rp_connect(p, k, 0, "admin-ly", err)) != LD_OK)
			goto stop;
		p->admin = p->conn[k].c;	/* not one of the replay's */
		p->conn[k].c = NULL;
		free(p->conn[k].slot);
		free(p->conn[k].busy);
		memset(&p->conn[k], 0, sizeof(p->conn[k]));
	}
	for (int u = 0; u < rtopo_n_units; u++) {
		snprintf(path, sizeof(path), "unit-%s", rtopo_units[u].id);
		for (char *c = path; *c; c++)
			if (*c == '.')
				*c = '-';
		if ((rc = rp_connect(p, p->n_conn++, rtopo_units[u].node, path,
		    err)) != LD_OK)
			goto stop;
	}
	for (int i = 0; i < RTOPO_NODES; i++)
		if ((rc = rp_wait_ready(p, i, err)) != LD_OK)
			goto stop;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	p->last_progress = p->t0;
	if ((rc = rp_play(p, err)) != LD_OK)
		goto stop;
	{
		struct timespec t1;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		r->wall_s = rp_secs(&p->t0, &t1);
	}
	rc = rp_verdict(p, err);
stop:
	rproc_sample_stop(&r->proc);
	rproc_stop_all(&r->proc, 30000);
out:
	rp_free(p);
	free(p);
	return rc;
}
