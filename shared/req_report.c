/*
 * req_report.c - the office's follow-up queries (docs/protocol.md §6):
 * report (a period's figures and every unit's assessment: assess.c),
 * spot.check (a day's spot-check sample: spot.c), outbox.list and
 * outbox.retry (the SMS outbox: outbox.c).  All read a snapshot or the
 * spool; none waits for the writer.
 */
#include "req.h"
#include "assess.h"
#include "ltime.h"
#include "outbox.h"
#include "report.h"
#include "spot.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
rr_has(const struct ld_request *r, enum ld_qarg q)
{
	return (r->q_present >> q) & 1u;
}

static int
rr_report(const struct ld_req_env *env, const struct ld_request *r,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct ld_report *rep = malloc(sizeof(*rep));
	struct ld_pw w;
	uint32_t from = req_day_num(r->day), to = req_day_num(r->day_to);
	int rc;

	if (rep == NULL)
		return err_set(err, LD_ENOMEM, "report: out of memory");
	if (ltime_day_start(from) < 0)
		rc = err_set(err, LD_EINVAL, "args.day: %s is not a date", r->day);
	else if (ltime_day_start(to) < 0)
		rc = err_set(err, LD_EINVAL, "args.day_to: %s is not a date",
		    r->day_to);
	else if (to < from)
		rc = err_set(err, LD_EINVAL, "args.day_to: before args.day");
	else
		rc = assess_report(env->s, env->t, env->self, from, to, env->now,
		    rep, err);
	if (rc == LD_OK) {
		proto_reply_begin(&w, buf, cap, r->id, REPORT_ENTRIES);
		report_write(&w, rep);
		rc = req_reply_finish(&w, "report", err);
	}
	free(rep);
	return rc;
}

static int
rr_spot(const struct ld_req_env *env, const struct ld_request *r,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct ld_spot_item *it = malloc(SPOT_MAX * sizeof(*it));
	uint32_t day = rr_has(r, LD_Q_DAY) ? req_day_num(r->day) :
	    ltime_day(env->now - 86400000LL);
	size_t n = 0;
	uint64_t total = 0;
	bool truncated = false;
	char ds[11];
	struct ld_pw w;
	int rc;

	if (it == NULL)
		return err_set(err, LD_ENOMEM, "spot.check: out of memory");
	if (ltime_day_start(day) < 0)
		rc = err_set(err, LD_EINVAL, "args.day: %s is not a date", r->day);
	else
		rc = spot_draw(env->s, env->t, env->self, day, it, SPOT_MAX, &n,
		    &total, &truncated, err);
	if (rc == LD_OK) {
		proto_reply_begin(&w, buf, cap, r->id, 6);
		proto_w_str(&w, "truncated");
		proto_w_bool(&w, truncated);
		req_day_str(day, ds);
		proto_w_str(&w, "day");
		proto_w_str(&w, ds);
		proto_w_str(&w, "seed");
		proto_w_uint(&w, env->t->assess.spot_seed);
		proto_w_str(&w, "per_unit");
		proto_w_uint(&w, env->t->assess.spot_sample);
		proto_w_str(&w, "completed");
		proto_w_uint(&w, total);
		proto_w_str(&w, "sample");
		proto_w_array(&w, (uint32_t)n);
		for (size_t i = 0; i < n; i++) {
			struct ld_ticket t;
			struct ld_err e2;

			proto_w_map(&w, 5);
			proto_w_str(&w, "unit");
			proto_w_str(&w, it[i].unit);
			proto_w_str(&w, "ticket");
			proto_w_str(&w, it[i].ticket);
			proto_w_str(&w, "wo");
			proto_w_uint(&w, it[i].wo);
			/* who to call back: the caller's phone */
			proto_w_str(&w, "phone");
			if (store_get_ticket(env->s, it[i].ticket, &t, &e2) ==
			    LD_OK)
				proto_w_str(&w, t.phone);
			else
				proto_w_nil(&w);
			proto_w_str(&w, "rank");
			proto_w_uint(&w, it[i].rank);
		}
		rc = req_reply_finish(&w, "spot.check", err);
	}
	free(it);
	return rc;
}

/* ---- the outbox ------------------------------------------------------------ */

struct rr_list {
	struct ld_pw *w;
	struct ld_outbox_msg *m;	/* kept, up to limit */
	size_t n, limit;
};

static int
rr_list_cb(const struct ld_outbox_msg *m, void *arg)
{
	struct rr_list *l = arg;

	if (l->n >= l->limit)
		return 1;
	l->m[l->n++] = *m;
	return 0;
}

static int
rr_outbox_list(const struct ld_req_env *env, const struct ld_request *r,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	static const char *const boxes[] = { "new", "sent", "dead" };
	enum ld_outbox_box box = OUTBOX_NEW;
	struct rr_list l = { .limit = rr_has(r, LD_Q_LIMIT) ? r->limit : 50 };
	struct ld_err damaged = { 0, "" };
	size_t counts[3];
	struct ld_pw w;
	int rc;

	if (env->outbox == NULL)
		return err_set(err, LD_EREFUSED, "outbox.list: this node has "
		    "no SMS outbox");
	if (rr_has(r, LD_Q_BOX)) {
		int b = -1;

		for (int i = 0; i < 3; i++)
			if (strcmp(r->box, boxes[i]) == 0)
				b = i;
		if (b < 0)
			return err_set(err, LD_EINVAL, "args.box: '%s' is not "
			    "an outbox (new, sent or dead)", r->box);
		box = (enum ld_outbox_box)b;
	}
	l.m = malloc(l.limit * sizeof(*l.m));
	if (l.m == NULL)
		return err_set(err, LD_ENOMEM, "outbox.list: out of memory");
	/* a file that is not a message is left in the box and named here,
	 * for the operator to see (outbox_list goes on past it) */
	rc = outbox_list(env->outbox, box, rr_list_cb, &l, &damaged);
	if (rc < 0) {
		free(l.m);
		*err = damaged;
		return rc;
	}
	outbox_counts(env->outbox, counts);
	proto_reply_begin(&w, buf, cap, r->id, 4);
	proto_w_str(&w, "damaged");
	if (damaged.code != 0)
		proto_w_str(&w, damaged.msg);
	else
		proto_w_nil(&w);
	proto_w_str(&w, "box");
	proto_w_str(&w, boxes[box]);
	proto_w_str(&w, "counts");
	proto_w_map(&w, 3);
	for (int i = 0; i < 3; i++) {
		proto_w_str(&w, boxes[i]);
		proto_w_uint(&w, counts[i]);
	}
	proto_w_str(&w, "messages");
	proto_w_array(&w, (uint32_t)l.n);
	for (size_t i = 0; i < l.n; i++) {
		const struct ld_outbox_msg *m = &l.m[i];

		proto_w_map(&w, 7);
		proto_w_str(&w, "id");
		proto_w_str(&w, m->id);
		proto_w_str(&w, "to");
		proto_w_str(&w, m->to);
		proto_w_str(&w, "tries");
		proto_w_uint(&w, m->tries);
		proto_w_str(&w, "created");
		proto_w_uint(&w, m->created_ms > 0 ? (uint64_t)m->created_ms : 0);
		proto_w_str(&w, "next");
		proto_w_uint(&w, m->next_ms > 0 ? (uint64_t)m->next_ms : 0);
		proto_w_str(&w, "last");
		proto_w_str(&w, m->last);
		proto_w_str(&w, "body");
		proto_w_str(&w, m->body);
	}
	free(l.m);
	return req_reply_finish(&w, "outbox.list", err);
}

static int
rr_outbox_retry(const struct ld_req_env *env, const struct ld_request *r,
    uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct ld_pw w;
	int rc;

	if (env->outbox == NULL)
		return err_set(err, LD_EREFUSED, "outbox.retry: this node has "
		    "no SMS outbox");
	rc = outbox_retry(env->outbox, r->q, env->now, err);
	if (rc != LD_OK)
		return rc;
	proto_reply_begin(&w, buf, cap, r->id, 1);
	proto_w_str(&w, "id");
	proto_w_str(&w, r->q);
	return req_reply_finish(&w, "outbox.retry", err);
}

/* ---- incident.show ---------------------------------------------------------- */

#define RR_TIMELINE_MAX 1500	/* events in one reply */
#define RR_ATTACHED_MAX 1000

struct rr_incident {
	struct ld_event *ev;	/* the timeline, gathered */
	size_t n, cap;
	char (*att)[LD_TICKET_MAX + 1];
	size_t n_att;
	bool full;
};

static int
rr_gather(const struct ld_event *ev, void *arg)
{
	struct rr_incident *x = arg;

	if (x->n >= x->cap) {
		x->full = true;
		return 1;
	}
	x->ev[x->n++] = *ev;
	return 0;
}

static int
rr_att_cb(const uint8_t *key, size_t len, void *arg)
{
	struct rr_incident *x = arg;

	if (x->n_att >= RR_ATTACHED_MAX) {
		x->full = true;
		return 1;
	}
	if (views_key_ticket(key, len, x->att[x->n_att]))
		x->n_att++;
	return 0;
}

static int
rr_ev_cmp(const void *pa, const void *pb)
{
	const struct ld_event *a = pa, *b = pb;
	int c;

	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	if ((c = strcmp(a->origin, b->origin)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
rr_incident(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	struct rr_incident x = { .cap = RR_TIMELINE_MAX };
	struct ld_ticket *t = malloc(sizeof(*t));
	char prefix[LD_TICKET_MAX + 1];
	struct ld_pw w;
	int rc;

	x.ev = malloc(x.cap * sizeof(*x.ev));
	x.att = malloc(RR_ATTACHED_MAX * sizeof(*x.att));
	if (t == NULL || x.ev == NULL || x.att == NULL) {
		rc = err_set(err, LD_ENOMEM, "incident.show: out of memory");
		goto out;
	}
	rc = store_get_ticket(env->s, r->ticket, t, err);
	if (rc == LD_OK)
		rc = req_can_see(env, c, t, err);
	if (rc == LD_OK && t->plan[0] == '\0')
		rc = err_set(err, LD_EREFUSED, "%s is not an incident (no "
		    "emergency plan was started on it)", r->ticket);
	if (rc == LD_OK)
		rc = store_history(env->s, r->ticket, rr_gather, &x, err);
	snprintf(prefix, sizeof(prefix), "%s", r->ticket);
	if (rc == LD_OK)
		rc = store_scan(env->s, "by_incident", prefix,
		    strlen(prefix) + 1, rr_att_cb, &x, err);
	for (size_t i = 0; rc == LD_OK && i < x.n_att && !x.full; i++)
		rc = store_history(env->s, x.att[i], rr_gather, &x, err);
	if (rc != LD_OK)
		goto out;
	qsort(x.ev, x.n, sizeof(*x.ev), rr_ev_cmp);
	/* what fits: the view, the summaries, then events while they fit
	 * (each measured by writing it into a scratch buffer) */
	{
		uint8_t *scratch = malloc(LD_FRAME_MAX * 2);
		size_t budget = cap > 256 * 1024 ? cap - 256 * 1024 : cap / 2;
		size_t used = (size_t)x.n_att * 600, keep = 0;

		if (scratch == NULL) {
			rc = err_set(err, LD_ENOMEM, "incident.show: out of "
			    "memory");
			goto out;
		}
		for (; keep < x.n; keep++) {
			struct ld_pw sw;

			proto_reply_begin(&sw, scratch, LD_FRAME_MAX * 2, 0, 1);
			req_write_event(&sw, &x.ev[keep]);
			if (used + sw.off > budget)
				break;
			used += sw.off;
		}
		free(scratch);
		if (keep < x.n) {
			x.n = keep;
			x.full = true;
		}
	}
	proto_reply_begin(&w, buf, cap, r->id, 4);
	proto_w_str(&w, "incident");
	req_write_view(&w, env->t, c, t, env->now);
	proto_w_str(&w, "attached");
	proto_w_array(&w, (uint32_t)x.n_att);
	for (size_t i = 0; i < x.n_att; i++) {
		struct ld_ticket a;
		struct ld_err e2;

		if (store_get_ticket(env->s, x.att[i], &a, &e2) == LD_OK) {
			req_write_summary(&w, env->t, c, &a, env->now);
		} else {
			proto_w_map(&w, 1);
			proto_w_str(&w, "id");
			proto_w_str(&w, x.att[i]);
		}
	}
	proto_w_str(&w, "timeline");
	proto_w_array(&w, (uint32_t)x.n);
	for (size_t i = 0; i < x.n; i++)
		req_write_event(&w, &x.ev[i]);
	proto_w_str(&w, "complete");
	proto_w_bool(&w, !x.full);
	rc = req_reply_finish(&w, "incident.show", err);
out:
	free(t);
	free(x.ev);
	free(x.att);
	return rc;
}

int
req_report(const struct ld_req_env *env, const struct ld_caller *c,
    const struct ld_request *r, uint8_t *buf, size_t cap, struct ld_err *err)
{
	switch (r->op) {
	case LD_OP_INCIDENT_SHOW:
		return rr_incident(env, c, r, buf, cap, err);
	case LD_OP_REPORT:
		return rr_report(env, r, buf, cap, err);
	case LD_OP_SPOT_CHECK:
		return rr_spot(env, r, buf, cap, err);
	case LD_OP_OUTBOX_LIST:
		return rr_outbox_list(env, r, buf, cap, err);
	case LD_OP_OUTBOX_RETRY:
		return rr_outbox_retry(env, r, buf, cap, err);
	default:
		return err_set(err, LD_EINVAL, "'%s' is not a follow-up query",
		    proto_op_name(r->op));
	}
}
