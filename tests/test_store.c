/* test_store.c - the LMDB store: log, views, indexes, counters, group
 * commit, rebuild, and what it does with bad databases. */
#include "testutil.h"
#include "testgen.h"

#include "codec.h"
#include "store.h"
#include "store_int.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */

struct fx {
	char *dir;
	struct ld_store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	f->s = tu_open_store(f->dir, "XA", 0, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tu_rm_tree(f->dir);
	free(f);
	return 0;
}

/* Commit one event; return its rc. */
static int
commit1(struct ld_store *s, struct ld_event *e, int64_t now, struct ld_err *err)
{
	struct ld_store_item it = { .ev = e };
	struct ld_err bad;

	if (store_commit(s, &it, 1, now, &bad) != 0)
		fail_msg("store_commit: %s", bad.msg);
	if (err)
		*err = it.err;
	return it.rc;
}

static void
lifecycle(struct ld_store *s, const char *origin, int64_t t, char *id_out)
{
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_err err;

	tg_created(e, origin, t, "13912345678");
	assert_int_equal(commit1(s, e, t, &err), 0);
	strcpy(id_out, e->ticket);
	tg_dispatched(e, origin, t + 1000, id_out, 1, "unicom");
	assert_int_equal(commit1(s, e, t, &err), 0);
	tg_wo_event(e, LD_EV_SIGNED, origin, t + 2000, id_out, 1);
	assert_int_equal(commit1(s, e, t + 2000, &err), 0);
	tg_wo_event(e, LD_EV_COMPLETED, origin, t + 3 * TG_HOUR, id_out, 1);
	assert_int_equal(commit1(s, e, t + 3 * TG_HOUR, &err), 0);
	free(e);
}

static void
t_ids_and_seqs(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_ticket *t = malloc(sizeof(*t));
	struct ld_err err;
	char id[32];

	lifecycle(f->s, "XA", T0, id);
	assert_string_equal(id, "XA-2011-000001");
	assert_int_equal(store_cursor(f->s, "XA"), 4);
	lifecycle(f->s, "XA", T0 + 60000, id);
	assert_string_equal(id, "XA-2011-000002");
	assert_int_equal(store_cursor(f->s, "XA"), 8);

	assert_int_equal(store_get_ticket(f->s, "XA-2011-000001", t, &err), 0);
	assert_int_equal(t->state, LD_TS_COMPLETED);
	assert_string_equal(t->place,
	    "王城大道与关林路交叉口西北50米，洛阳理工学院附近");
	assert_int_equal(t->n_wo, 1);
	assert_string_equal(t->wo[0].unit, "unicom");

	assert_int_equal(store_get_event(f->s, "XA", 5, e, &err), 0);
	assert_int_equal(e->kind, LD_EV_TICKET_CREATED);
	assert_string_equal(e->ticket, "XA-2011-000002");
	assert_string_equal(e->text, "路边井盖丢失，夜间行人容易掉入，请尽快处理。");
	assert_int_equal(store_get_event(f->s, "XA", 9, e, &err), LD_ENOTFOUND);
	assert_int_equal(store_get_ticket(f->s, "XA-2011-000009", t, &err),
	    LD_ENOTFOUND);
	/* a year later the numbering starts again */
	lifecycle(f->s, "XA", T0 + 60LL * 24 * TG_HOUR, id);
	assert_string_equal(id, "XA-2012-000001");
	free(t);
	free(e);
}

struct hist {
	int n;
	int stop_at;		/* stop after this many (0: never) */
	enum ld_event_kind kinds[64];
	uint64_t seqs[64];
};

static int
hist_cb(const struct ld_event *ev, void *arg)
{
	struct hist *h = arg;

	if (h->n < 64) {
		h->kinds[h->n] = ev->kind;
		h->seqs[h->n] = ev->seq;
	}
	h->n++;
	return h->stop_at != 0 && h->n >= h->stop_at;
}

/* The record of ticket id (store_int.h) in *r, read in a fresh txn. */
static void
get_rec(struct ld_store *s, const char *id, struct store_rec *r)
{
	MDB_txn *txn;
	struct ld_err err;

	assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(store_txn_get_rec(s, txn, id, r, &err), 0);
	mdb_txn_abort(txn);	/* r's pointers are not used after */
}

/* Entries of the history database that belong to ticket id. */
static int
hist_db_count(struct ld_store *s, const char *id)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { strlen(id) + 1, (void *)id }, v;
	int n = 0, rc;

	assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, s->history, &c), 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != strlen(id) + 1 + 8 ||
		    memcmp(k.mv_data, id, strlen(id) + 1) != 0)
			break;
		n++;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return n;
}

/* A ticket of more events than its record holds: the first
 * STORE_HIST_INLINE in the record, the rest in the history database, read
 * back as one history in the order applied (also when the reader stops
 * early, on either side of the seam); the replay agrees. */
static void
t_history_long(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct hist h = { 0 };
	struct store_rec r;
	struct ld_err err;
	char id[32], id2[32];
	int n = 0;

	tg_created(e, "XA", T0, "13912345678");
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	strcpy(id, e->ticket);
	n++;
	tg_dispatched(e, "XA", T0 + 1000, id, 1, "unicom");
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	n++;
	tg_wo_event(e, LD_EV_SIGNED, "XA", T0 + 2000, id, 1);
	assert_int_equal(commit1(f->s, e, T0 + 2000, &err), 0);
	n++;
	/* another ticket's events in between: not in this history */
	lifecycle(f->s, "XA", T0 + 2500, id2);
	for (int i = 0; i < 37; i++, n++) {
		tg_wo_event(e, LD_EV_PROGRESS, "XA", T0 + 3000 + i, id, 1);
		assert_int_equal(commit1(f->s, e, T0 + 3000 + i, &err), 0);
	}
	tg_wo_event(e, LD_EV_COMPLETED, "XA", T0 + 3 * TG_HOUR, id, 1);
	assert_int_equal(commit1(f->s, e, T0 + 3 * TG_HOUR, &err), 0);
	n++;
	assert_int_equal(n, 41);

	get_rec(f->s, id, &r);
	assert_true(r.held);
	assert_true(r.spilled);
	assert_int_equal(r.n_hist, STORE_HIST_INLINE);
	assert_int_equal(hist_db_count(f->s, id), n - STORE_HIST_INLINE);
	get_rec(f->s, id2, &r);
	assert_false(r.spilled);
	assert_int_equal(r.n_hist, 4);
	assert_int_equal(hist_db_count(f->s, id2), 0);

	assert_int_equal(store_history(f->s, id, hist_cb, &h, &err), 0);
	assert_int_equal(h.n, n);
	assert_int_equal(h.kinds[0], LD_EV_TICKET_CREATED);
	assert_int_equal(h.kinds[1], LD_EV_DISPATCHED);
	assert_int_equal(h.kinds[2], LD_EV_SIGNED);
	for (int i = 3; i < n - 1; i++)
		assert_int_equal(h.kinds[i], LD_EV_PROGRESS);
	assert_int_equal(h.kinds[n - 1], LD_EV_COMPLETED);
	for (int i = 1; i < n; i++)	/* in the order applied */
		assert_true(h.seqs[i] > h.seqs[i - 1]);
	assert_int_equal(h.seqs[3], h.seqs[2] + 5);	/* id2's 4 between */
	/* a reader that stops in the record, or past the seam */
	for (int stop = 1; stop <= n; stop++) {
		struct hist h2 = { .stop_at = stop };

		assert_int_equal(store_history(f->s, id, hist_cb, &h2, &err), 0);
		assert_int_equal(h2.n, stop);
	}
	if (store_rebuild(f->s, false, &err) != 0)
		fail_msg("rebuild: %s", err.msg);
	free(e);
}

/* A ticket's whole history, in the order applied; other tickets' events
 * (and calls) are not in it. */
static void
t_history(void **state)
{
	struct fx *f = *state;
	struct hist h = { 0 };
	struct ld_err err;
	char id1[32], id2[32];

	lifecycle(f->s, "XA", T0, id1);
	lifecycle(f->s, "XA", T0 + 1000, id2);
	assert_int_equal(store_history(f->s, id1, hist_cb, &h, &err), 0);
	assert_int_equal(h.n, 4);
	assert_int_equal(h.kinds[0], LD_EV_TICKET_CREATED);
	assert_int_equal(h.kinds[1], LD_EV_DISPATCHED);
	assert_int_equal(h.kinds[2], LD_EV_SIGNED);
	assert_int_equal(h.kinds[3], LD_EV_COMPLETED);
	/* "XA-2011-000001" is a prefix of no other id, but check the NUL
	 * separator anyway: a ticket that does not exist has no history */
	assert_int_equal(store_history(f->s, "XA-2011-00000", hist_cb, &h,
	    &err), LD_ENOTFOUND);
	assert_int_equal(store_history(f->s, "", hist_cb, &h, &err), LD_EINVAL);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
}

static void
t_refusal_keeps_seq(void **state)
{
	struct fx *f = *state;
	struct ld_event *ev = calloc(4, sizeof(*ev));
	struct ld_store_item it[4];
	struct ld_err err;
	char id[32];

	lifecycle(f->s, "XA", T0, id);
	memset(it, 0, sizeof(it));
	/* a batch: refused (complete before sign: wo 2 does not exist),
	 * accepted, refused (already signed), accepted */
	tg_wo_event(&ev[0], LD_EV_COMPLETED, "XA", T0 + 10, id, 2);
	tg_dispatched(&ev[1], "XA", T0 + 20, id, 2, "water");
	tg_wo_event(&ev[2], LD_EV_SIGNED, "XA", T0 + 30, id, 1);
	tg_wo_event(&ev[3], LD_EV_SIGNED, "XA", T0 + 40, id, 2);
	for (int i = 0; i < 4; i++)
		it[i].ev = &ev[i];
	assert_int_equal(store_commit(f->s, it, 4, T0 + 50, &err), 0);
	assert_int_equal(it[0].rc, LD_EREFUSED);
	assert_int_equal(it[1].rc, 0);
	assert_int_equal(it[2].rc, LD_EREFUSED);
	assert_int_equal(it[3].rc, 0);
	assert_int_equal(ev[0].seq, 0);
	assert_int_equal(ev[1].seq, 5);
	assert_int_equal(ev[3].seq, 6);
	assert_int_equal(store_cursor(f->s, "XA"), 6);
	/* the apply indexes of the applied ones (the lifecycle took 1-4) */
	assert_int_equal(it[0].idx, 0);
	assert_int_equal(it[1].idx, 5);
	assert_int_equal(it[2].idx, 0);
	assert_int_equal(it[3].idx, 6);
	assert_int_equal(store_applied_last(f->s), 6);
	/* a local event must not bring its own seq */
	tg_wo_event(&ev[0], LD_EV_PROGRESS, "XA", T0 + 60, id, 2);
	ev[0].seq = 99;
	assert_int_equal(commit1(f->s, &ev[0], T0 + 60, &err), LD_EINVAL);
	assert_string_equal(err.msg, "seq: a local event gets its sequence "
	    "number from the store (got 99)");
	/* a local ticket.created may not bring its own id */
	tg_created(&ev[0], "XA", T0 + 60, "13900000000");
	strcpy(ev[0].ticket, "XA-2011-000003");
	assert_int_equal(commit1(f->s, &ev[0], T0 + 60, &err), LD_EINVAL);
	assert_string_equal(err.msg, "ticket: a local ticket.created gets its "
	    "id from the store (got 'XA-2011-000003')");
	/* a schema error is refused with the field named */
	tg_wo_event(&ev[0], LD_EV_PROGRESS, "XA", T0 + 60, id, 2);
	ev[0].present &= ~(1u << LD_F_NOTE);
	assert_int_not_equal(commit1(f->s, &ev[0], T0 + 60, &err), 0);
	assert_non_null(strstr(err.msg, "note"));
	assert_int_equal(store_cursor(f->s, "XA"), 6);
	free(ev);
}

static void
t_remote_order(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_err err;

	/* events of the city node LY arrive by replication */
	tg_call(e, LD_EV_CALL_RECEIVED, "LY", T0, "LY-C-1");
	e->seq = 2;
	assert_int_equal(commit1(f->s, e, T0, &err), LD_EGAP);
	assert_string_equal(err.msg, "event LY/2 out of order: next expected "
	    "is 1");
	e->seq = 1;
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	assert_int_equal(commit1(f->s, e, T0, &err), LD_EDUP);
	assert_string_equal(err.msg, "event LY/1 already applied (have up to 1)");
	e->seq = 2;
	tg_created(e, "LY", T0, "13700000000");
	strcpy(e->ticket, "LY-2011-000077");
	e->seq = 2;
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	assert_int_equal(store_cursor(f->s, "LY"), 2);
	assert_int_equal(store_cursor(f->s, "XA"), 0);
	/* our own numbering is not touched by another node's ids */
	tg_created(e, "XA", T0, "13700000000");
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	assert_string_equal(e->ticket, "XA-2011-000001");
	free(e);
}

static int
collect_cb(const uint8_t *key, size_t len, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	(void)len;
	snprintf(out + n, 512 - n, "%s;", (const char *)key + 1);
	return 0;
}

static int
count_cb(const uint8_t *key, size_t len, void *arg)
{
	(void)key;
	(void)len;
	++*(int *)arg;
	return 0;
}

static void
t_indexes_counters(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_err err;
	char id[32], buf[512] = "";
	uint8_t st = LD_TS_COMPLETED;

	for (int i = 0; i < 5; i++) {
		char call[24];
		snprintf(call, sizeof(call), "XA-C-%d", i);
		tg_call(e, LD_EV_CALL_RECEIVED, "XA", T0 + i, call);
		assert_int_equal(commit1(f->s, e, T0 + i, &err), 0);
		if (i < 4) {
			tg_call(e, LD_EV_CALL_ANSWERED, "XA", T0 + i, call);
			assert_int_equal(commit1(f->s, e, T0 + i, &err), 0);
		}
		if (i < 3) {
			tg_call(e, LD_EV_CALL_CLASSIFIED, "XA", T0 + i, call);
			event_set_bool(e, LD_F_VALID, true);
			event_set_uint(e, LD_F_CLASS, i == 0 ? LD_CLASS_POLICE :
			    LD_CLASS_LINKAGE);
			assert_int_equal(commit1(f->s, e, T0 + i, &err), 0);
		}
	}
	/* a time past year 9999 is refused, not wrapped into a day */
	tg_call(e, LD_EV_CALL_RECEIVED, "XA", INT64_MAX - 1000, "XA-C-8");
	assert_int_equal(commit1(f->s, e, T0, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "time: 9223372036854774807 exceeds"));
	/* a valid call without class is refused, naming the field */
	tg_call(e, LD_EV_CALL_CLASSIFIED, "XA", T0, "XA-C-9");
	event_set_bool(e, LD_F_VALID, true);
	assert_int_equal(commit1(f->s, e, T0, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "body.class"));

	lifecycle(f->s, "XA", T0, id);
	lifecycle(f->s, "XA", T0 + 1000, id);
	uint32_t day = ltime_day(T0);
	assert_int_equal(day, 20111116);
	assert_int_equal(store_counter_sum(f->s, LD_C_CALLS_IN, day, day), 5);
	assert_int_equal(store_counter_sum(f->s, LD_C_ANSWERED, day, day), 4);
	assert_int_equal(store_counter_sum(f->s, LD_C_VALID, day, day), 3);
	assert_int_equal(store_counter_sum(f->s, LD_C_LINKAGE, day, day), 2);
	assert_int_equal(store_counter_sum(f->s, LD_C_POLICE, day, day), 1);
	assert_int_equal(store_counter_sum(f->s, LD_C_TICKETS, day, day), 2);
	assert_int_equal(store_counter_sum(f->s, LD_C_COMPLETED, day, day), 2);
	assert_int_equal(store_counter_sum(f->s, LD_C_TICKETS, day + 1, day + 1),
	    0);
	/* by_state holds open tickets only: a completed one is not in it */
	assert_int_equal(store_count_state(f->s, LD_TS_COMPLETED), 0);
	assert_int_equal(store_count_state(f->s, LD_TS_IN_PROGRESS), 0);
	assert_int_equal(store_count_open(f->s), 0);
	uint64_t sums[LD_C__COUNT];
	store_counter_sums(f->s, day, day, sums);
	for (int c = 0; c < LD_C__COUNT; c++)
		assert_int_equal(sums[c], store_counter_sum(f->s,
		    (enum ld_counter)c, day, day));
	assert_int_equal(sums[LD_C_WO_SIGNED], 2);
	store_counter_sums(f->s, day + 1, day + 30, sums);
	assert_int_equal(sums[LD_C_CALLS_IN], 0);
	assert_int_equal(store_scan(f->s, "by_state", &st, 1, collect_cb, buf,
	    &err), 0);
	assert_string_equal(buf, "");
	buf[0] = '\0';
	assert_int_equal(store_scan(f->s, "by_state", "", 0, collect_cb, buf,
	    &err), 0);
	assert_string_equal(buf, "");	/* nothing open */
	/* one open work order: it is in the unit's queue and has deadlines */
	tg_dispatched(e, "XA", T0 + 5000, "XA-2011-000002", 2, "water");
	assert_int_equal(commit1(f->s, e, T0 + 5000, &err), 0);
	assert_int_equal(store_count_state(f->s, LD_TS_DISPATCHED), 0);
	assert_int_equal(store_count_state(f->s, LD_TS_IN_PROGRESS), 1);
	assert_int_equal(store_count_open(f->s), 1);
	buf[0] = '\0';
	st = LD_TS_IN_PROGRESS;
	assert_int_equal(store_scan(f->s, "by_state", &st, 1, collect_cb, buf,
	    &err), 0);
	assert_string_equal(buf, "XA-2011-000002;");
	buf[0] = '\0';
	assert_int_equal(store_scan(f->s, "by_unit", "water", 6, collect_cb,
	    buf, &err), 0);
	/* key: "water\0" due[8] "XA-2011-000002\0" wo; collect_cb prints
	 * from byte 1 up to the NUL: "ater" */
	assert_string_equal(buf, "ater;");
	assert_int_equal(store_scan(f->s, "no_such", "", 0, collect_cb, buf,
	    &err), LD_EINVAL);
	free(e);
}

/* A ticket can become complete without a completed event: the units of
 * XA completed one work order and returned the other, XA escalated, and
 * the city's acceptance re-routes the returned one. */
static void
t_transfer_completes(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_ticket *t = malloc(sizeof(*t));
	struct ld_err err;
	char id[32];
	uint32_t day = ltime_day(T0);

	tg_created(e, "XA", T0, "13912345678");
	assert_int_equal(commit1(f->s, e, T0, &err), 0);
	strcpy(id, e->ticket);
	tg_dispatched(e, "XA", T0 + 1, id, 1, "water");
	assert_int_equal(commit1(f->s, e, T0 + 1, &err), 0);
	tg_dispatched(e, "XA", T0 + 2, id, 2, "power");
	assert_int_equal(commit1(f->s, e, T0 + 2, &err), 0);
	tg_wo_event(e, LD_EV_SIGNED, "XA", T0 + 3, id, 1);
	assert_int_equal(commit1(f->s, e, T0 + 3, &err), 0);
	tg_wo_event(e, LD_EV_RETURNED, "XA", T0 + 4, id, 2);
	assert_int_equal(commit1(f->s, e, T0 + 4, &err), 0);
	tg_wo_event(e, LD_EV_COMPLETED, "XA", T0 + 5, id, 1);
	assert_int_equal(commit1(f->s, e, T0 + 5, &err), 0);
	assert_int_equal(store_counter_sum(f->s, LD_C_COMPLETED, day, day), 0);
	event_init(e, LD_EV_TRANSFER_REQUESTED, "XA", T0 + 6, "op:wang", id);
	event_set_str(e, LD_F_NODE, "LY");
	event_set_uint(e, LD_F_DIRECTION, LD_DIR_UP);
	event_set_str(e, LD_F_REASON, "涉及市属单位");
	assert_int_equal(commit1(f->s, e, T0 + 6, &err), 0);
	event_init(e, LD_EV_TRANSFER_ACCEPTED, "LY", T0 + 7, "op:city", id);
	event_set_str(e, LD_F_NODE, "LY");
	e->seq = 1;
	assert_int_equal(commit1(f->s, e, T0 + 7, &err), 0);
	assert_int_equal(store_get_ticket(f->s, id, t, &err), 0);
	assert_string_equal(t->owner, "LY");
	assert_int_equal(t->state, LD_TS_COMPLETED);
	/* the head alone says the same, without the work orders */
	{
		uint64_t at = 0;

		memset(t, 0, sizeof(*t));
		assert_int_equal(store_get_head_at(f->s, id, t, &at, &err), 0);
		assert_string_equal(t->owner, "LY");
		assert_string_equal(t->id, id);
		assert_int_equal(t->state, LD_TS_COMPLETED);
		assert_int_equal(t->n_wo, 0);
		assert_int_equal(at, 8);	/* the 8 events applied */
		assert_int_equal(store_get_head_at(f->s, "XA-2011-999999", t,
		    &at, &err), LD_ENOTFOUND);
		assert_int_equal(store_get_head_at(f->s, "", t, NULL, &err),
		    LD_EINVAL);
	}
	assert_int_equal(store_counter_sum(f->s, LD_C_COMPLETED, day, day), 1);
	assert_int_equal(store_counter_sum(f->s, LD_C_TRANSFERS, day, day), 1);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
	free(t);
	free(e);
}

static void
t_rebuild(void **state)
{
	struct fx *f = *state;
	struct ld_err err;
	char id[32];

	for (int i = 0; i < 50; i++)
		lifecycle(f->s, "XA", T0 + i * 60000, id);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);

	/* damage one view behind the store's back */
	struct ld_ticket *t = malloc(sizeof(*t));
	uint8_t buf[LD_VIEW_MAX];
	MDB_txn *txn;
	assert_int_equal(store_get_ticket(f->s, "XA-2011-000007", t, &err), 0);
	t->wo[0].urges = 5;
	int len = codec_ticket_encode(t, buf, sizeof(buf), &err);
	assert_true(len > 0);
	/* a well-formed record (store_int.h): head, view, same history */
	uint8_t *rec = malloc(STORE_REC_MAX);
	struct store_rec r;
	MDB_val k = { strlen(t->id), t->id }, v;
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
	assert_int_equal(store_txn_get_rec(f->s, txn, t->id, &r, &err), 0);
	assert_true(r.held && !r.spilled && r.n_hist == 4);
	rec[0] = 0;
	rec[1] = (uint8_t)(len >> 8);
	rec[2] = (uint8_t)len;
	memcpy(rec + 3, buf, (size_t)len);
	memcpy(rec + 3 + len, r.hist, r.n_hist * STORE_HIST_ENTRY);
	v.mv_size = 3 + (size_t)len + r.n_hist * STORE_HIST_ENTRY;
	v.mv_data = rec;
	assert_int_equal(mdb_put(txn, f->s->tickets, &k, &v, 0), 0);
	free(rec);
	assert_int_equal(mdb_txn_commit(txn), 0);

	assert_int_equal(store_rebuild(f->s, false, &err), LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "tickets: value of 'XA-2011-000007'"));
	/* replace: the log is the truth */
	assert_int_equal(store_rebuild(f->s, true, &err), LD_ECORRUPT);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
	assert_int_equal(store_get_ticket(f->s, "XA-2011-000007", t, &err), 0);
	assert_int_equal(t->wo[0].urges, 0);
	free(t);
}

/* A store of schema 1 (simulated: the schema record set back to 1 and
 * the views that schema 2 added or changed emptied): refused with the
 * hint; opened with migrate, its views are rebuilt from the log and equal
 * what the live write path made. */
static void
t_migrate_from_1(void **state)
{
	struct fx *f = *state;
	struct ld_store *s2 = NULL;
	struct ld_store_opts o = { .dir = f->dir, .node = "XA" };
	struct ld_store_stats st;
	struct ld_err err;
	char id[32];
	MDB_txn *txn;
	uint8_t ver[4] = { 0, 0, 0, 1 };
	MDB_val k = { 6, (void *)"schema" }, v = { 4, ver };
	uint64_t sums[LD_C__COUNT], sums2[LD_C__COUNT];

	lifecycle(f->s, "XA", T0, id);
	store_counter_sums(f->s, 0, 99999999, sums);
	assert_true(sums[LD_C_TICKETS] > 0);
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, f->s->meta, &k, &v, 0), 0);
	assert_int_equal(mdb_drop(txn, f->s->counters, 0), 0);
	assert_int_equal(mdb_drop(txn, f->s->ucounters, 0), 0);
	assert_int_equal(mdb_drop(txn, f->s->idx[LD_IX_DONE], 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&s2, &o, &err), LD_ESCHEMA);
	assert_non_null(strstr(err.msg, "schema version 1"));
	assert_non_null(strstr(err.msg, "--migrate"));
	o.migrate = true;
	assert_int_equal(store_open(&f->s, &o, &err), 0);
	store_counter_sums(f->s, 0, 99999999, sums2);
	assert_memory_equal(sums, sums2, sizeof(sums));
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_true(st.events > 0);
	/* now schema 2: opens without migrate */
	store_close(f->s);
	o.migrate = false;
	assert_int_equal(store_open(&f->s, &o, &err), 0);
}

/* A store of schema 4, whose ticket records were the view alone, whose
 * histories were all in the history database and whose by_state held
 * every state: refused, then migrated; the records, histories and
 * indexes are what the write path makes. */
static void
t_migrate_from_4(void **state)
{
	struct fx *f = *state;
	struct ld_store_opts o = { .dir = f->dir, .node = "XA" };
	struct ld_store *s2 = NULL;
	struct hist h = { 0 };
	struct store_rec r;
	struct ld_err err;
	char id[2][32];
	uint8_t ver[4] = { 0, 0, 0, 4 }, *view = malloc(LD_VIEW_MAX);
	MDB_val sk = { 6, (void *)"schema" }, sv = { 4, ver };
	MDB_txn *txn;

	lifecycle(f->s, "XA", T0, id[0]);
	lifecycle(f->s, "XA", T0 + 60000, id[1]);
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
	for (int i = 0; i < 2; i++) {
		MDB_val k = { strlen(id[i]), id[i] }, v;

		assert_int_equal(store_txn_get_rec(f->s, txn, id[i], &r, &err),
		    0);
		memcpy(view, r.view, r.view_len);
		v.mv_size = r.view_len;
		v.mv_data = view;
		assert_int_equal(mdb_put(txn, f->s->tickets, &k, &v, 0), 0);
	}
	{	/* schema 4 kept every history entry in the history db */
		uint8_t hk[32 + 8], hv[16] = { 'X', 'A' };
		size_t idl = strlen(id[1]) + 1;
		MDB_val k = { idl + 8, hk }, v = { 16, hv };

		memcpy(hk, id[1], idl);
		memset(hk + idl, 0, 8);
		hk[idl + 7] = 5;
		hv[15] = 5;
		assert_int_equal(mdb_put(txn, f->s->history, &k, &v, 0), 0);
	}
	{	/* schema 4 kept closed and completed tickets in by_state */
		uint8_t bk[1 + 32];
		MDB_val k = { 1 + strlen(id[0]) + 1, bk }, v = { 0, (void *)"" };

		bk[0] = LD_TS_COMPLETED;
		memcpy(bk + 1, id[0], strlen(id[0]) + 1);
		assert_int_equal(mdb_put(txn, f->s->idx[LD_IX_STATE], &k, &v,
		    0), 0);
	}
	assert_int_equal(mdb_put(txn, f->s->meta, &sk, &sv, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(store_count_state(f->s, LD_TS_COMPLETED), 1);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&s2, &o, &err), LD_ESCHEMA);
	assert_non_null(strstr(err.msg, "schema version 4"));
	o.migrate = true;
	assert_int_equal(store_open(&f->s, &o, &err), 0);
	get_rec(f->s, id[1], &r);
	assert_true(r.held && !r.spilled);
	assert_int_equal(r.n_hist, 4);
	assert_int_equal(store_history(f->s, id[1], hist_cb, &h, &err), 0);
	assert_int_equal(h.n, 4);	/* the old history db's entry is gone */
	assert_int_equal(h.kinds[3], LD_EV_COMPLETED);
	assert_int_equal(hist_db_count(f->s, id[1]), 0);
	assert_int_equal(store_count_state(f->s, LD_TS_COMPLETED), 0);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
	free(view);
}

/* store_applied_scan: every entry in order, an event's bytes only when
 * asked, and a missing event an error only when its bytes are asked. */
struct scan_x {
	uint64_t n, asked, last;
	bool ask_all;
	struct ld_event e;
};

static int
scan_cb(uint64_t idx, const char *origin, uint64_t seq,
    struct store_applied_ev *ev, void *arg)
{
	struct scan_x *x = arg;
	const uint8_t *b;
	size_t len;
	struct ld_err err;

	assert_int_equal(idx, x->last + 1);
	x->last = idx;
	x->n++;
	assert_string_equal(origin, "XA");
	if (!x->ask_all && idx % 2 == 1)
		return 0;
	x->asked++;
	if (store_applied_bytes(ev, &b, &len) != 0)
		return 0;	/* the scan stops by itself */
	assert_int_equal(codec_event_decode(b, len, &x->e, &err), 0);
	assert_string_equal(x->e.origin, origin);
	assert_int_equal(x->e.seq, seq);
	return 0;
}

static void
t_applied_scan(void **state)
{
	struct fx *f = *state;
	static struct scan_x x;
	struct ld_err err;
	char id[32];
	uint8_t key[LD_NODE_MAX + 8] = "XA";
	MDB_val k = { sizeof(key), key };
	MDB_txn *txn;

	lifecycle(f->s, "XA", T0, id);
	memset(&x, 0, sizeof(x));
	assert_int_equal(store_applied_scan(f->s, 0, scan_cb, &x, &err), 0);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.asked, 2);
	/* from index 2 on */
	memset(&x, 0, sizeof(x));
	x.last = 2;
	x.ask_all = true;
	assert_int_equal(store_applied_scan(f->s, 2, scan_cb, &x, &err), 0);
	assert_int_equal(x.n, 2);
	/* the third event gone from the log: unnoticed unless asked */
	views_put_u64(key + LD_NODE_MAX, 3);
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_del(txn, f->s->events, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	memset(&x, 0, sizeof(x));
	assert_int_equal(store_applied_scan(f->s, 0, scan_cb, &x, &err), 0);
	assert_int_equal(x.n, 4);	/* index 3 was not asked */
	memset(&x, 0, sizeof(x));
	x.ask_all = true;
	assert_int_equal(store_applied_scan(f->s, 0, scan_cb, &x, &err),
	    LD_ECORRUPT);
	assert_int_equal(x.n, 3);	/* stopped at the missing one */
	assert_non_null(strstr(err.msg, "missing"));
}

/* A record too short for its head, or whose view length runs past its
 * end: the ticket is damaged (said so), the store goes on; the rebuild
 * from the log repairs it. */
static void
t_damaged_record(void **state)
{
	struct fx *f = *state;
	struct ld_ticket *t = malloc(sizeof(*t));
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_err err;
	char id[32];
	/* 0-2: a head too short; a view running past the end; an unknown
	 * flag.  3, 4: the ticket's own good view with no history though not
	 * spilled, and with more history than a record holds (33 entries) */
	static uint8_t bad[5][STORE_REC_MAX];
	size_t blen[5] = { 2, 4, 4 + 16 };
	struct store_rec r;
	MDB_txn *txn;

	bad[0][1] = 1;
	bad[1][1] = 0x7f, bad[1][2] = 0xff, bad[1][3] = 0x81;
	bad[2][0] = 0x80, bad[2][2] = 1, bad[2][3] = 0x90;
	lifecycle(f->s, "XA", T0, id);
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(store_txn_get_rec(f->s, txn, id, &r, &err), 0);
	blen[3] = STORE_REC_HEAD + r.view_len;
	blen[4] = blen[3] + 33 * STORE_HIST_ENTRY;
	for (int i = 3; i < 5; i++) {
		memcpy(bad[i], r.view - STORE_REC_HEAD, blen[3]);
		for (int j = 0; j < 33; j++)
			memcpy(bad[i] + blen[3] + j * STORE_HIST_ENTRY, r.hist,
			    STORE_HIST_ENTRY);
	}
	mdb_txn_abort(txn);
	for (int i = 0; i < 5; i++) {
		MDB_val k = { strlen(id), id }, v = { blen[i], bad[i] };

		assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_put(txn, f->s->tickets, &k, &v, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
		assert_int_equal(store_get_ticket(f->s, id, t, &err),
		    LD_ECORRUPT);
		assert_non_null(strstr(err.msg, "damaged"));
		assert_non_null(strstr(err.msg, id));
		assert_int_equal(store_get_head_at(f->s, id, t, NULL, &err),
		    LD_ECORRUPT);
		assert_non_null(strstr(err.msg, id));
		/* an event on it is refused, saying so; the store goes on */
		tg_wo_event(e, LD_EV_PROGRESS, "XA", T0 + 4 * TG_HOUR, id, 1);
		assert_int_equal(commit1(f->s, e, T0 + 4 * TG_HOUR, &err),
		    LD_ECORRUPT);
		assert_non_null(strstr(err.msg, id));
		assert_int_equal(store_rebuild(f->s, true, &err), LD_ECORRUPT);
		assert_int_equal(store_get_ticket(f->s, id, t, &err), 0);
		assert_int_equal(t->state, LD_TS_COMPLETED);
	}
	free(e);
	free(t);
}

static void
t_schema_and_damage(void **state)
{
	struct fx *f = *state;
	struct ld_store *s2 = NULL;
	struct ld_store_opts o = { .dir = f->dir, .node = "XA" };
	struct ld_err err;
	char id[32], path[400], msg[600];
	MDB_txn *txn;
	uint8_t ver[4] = { 0, 0, 0, 7 };

	lifecycle(f->s, "XA", T0, id);
	/* a second process (or open) is refused */
	assert_int_equal(store_open(&s2, &o, &err), LD_EBUSY);
	/* another schema version */
	MDB_val k = { 6, (void *)"schema" }, v = { 4, ver };
	assert_int_equal(mdb_txn_begin(f->s->env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, f->s->meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&s2, &o, &err), LD_ESCHEMA);
	snprintf(msg, sizeof(msg), "%s: store has schema version 7; this build "
	    "reads version %d; nothing was changed (use the matching build, or "
	    "migrate)", f->dir, LD_STORE_SCHEMA);
	assert_string_equal(err.msg, msg);
	assert_null(s2);
	/* the schema is checked before the node: nothing else is read */
	o.node = "LY";
	assert_int_equal(store_open(&s2, &o, &err), LD_ESCHEMA);
	/* a damaged file */
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	char junk[8192];
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	close(fd);
	/* (the checkpoint would put the meta pages back: damage it too) */
	snprintf(path, sizeof(path), "%s/checkpoint.ldc", f->dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 2 * 65536 + 4096),
	    (ssize_t)sizeof(junk));
	close(fd);
	o.node = "XA";
	assert_int_equal(store_open(&s2, &o, &err), LD_ECORRUPT);
	snprintf(msg, sizeof(msg), "%s/data.mdb: not a liandong store, or its "
	    "header is damaged", f->dir);
	assert_memory_equal(err.msg, msg, strlen(msg));
	/* a store kept with the journal does not open without it */
	o.node = "XA";
	o.no_sync = true;
	assert_int_equal(store_open(&s2, &o, &err), LD_EINVAL);
	snprintf(msg, sizeof(msg), "%s: this store is kept with a journal "
	    "(checkpoint.ldc): it opens durable only", f->dir);
	assert_string_equal(err.msg, msg);
	o.no_sync = false;
	/* a bad node id */
	o.node = "xa";
	assert_int_equal(store_open(&s2, &o, &err), LD_EINVAL);
	assert_string_equal(err.msg, "store: bad node id 'xa' (1-8 of A-Z, 0-9, "
	    "starting with a letter)");
}

static void
t_wrong_node(void **state)
{
	struct fx *f = *state;
	struct ld_store *s2 = NULL;
	struct ld_store_opts o = { .dir = f->dir, .node = "LY" };
	struct ld_err err;
	char msg[400];

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&s2, &o, &err), LD_EINVAL);
	snprintf(msg, sizeof(msg), "%s: store belongs to node XA, not LY", f->dir);
	assert_string_equal(err.msg, msg);
	f->s = tu_open_store(f->dir, "XA", 0, 0);
}

static void
t_map_full_and_growth(void **state)
{
	struct fx *f = *state;
	char *dir = tu_tmpdir(), id[32];
	struct ld_store *s = tu_open_store(dir, "XA", 1 << 20, 1 << 20);
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_store_item it = { .ev = e };
	struct ld_err err;
	uint64_t acked = 0;
	int rc = 0;

	(void)f;
	/* fill a 1 MiB map that may not grow */
	for (int i = 0; i < 100000 && rc == 0; i++) {
		tg_created(e, "XA", T0 + i, "13900000000");
		rc = store_commit(s, &it, 1, T0 + i, &err);
		if (rc == 0) {
			assert_int_equal(it.rc, 0);
			acked = e->seq;
		}
	}
	assert_int_equal(rc, LD_EFULL);
	assert_int_equal(it.rc, LD_EFULL);
	assert_non_null(strstr(err.msg, "database full"));
	assert_int_equal(e->seq, 0);	/* given back */
	assert_true(acked > 100);
	assert_int_equal(store_cursor(s, "XA"), acked);
	store_close(s);
	/* reopen with room to grow: nothing lost, and it goes on */
	s = tu_open_store(dir, "XA", 1 << 20, 64 << 20);
	assert_int_equal(store_cursor(s, "XA"), acked);
	for (int i = 0; i < 2000; i++)
		lifecycle(s, "XA", T0 + i, id);
	assert_int_equal(store_cursor(s, "XA"), acked + 8000);
	struct ld_store_stats st;
	store_stats(s, &st);
	assert_true(st.map_size > (1 << 20));
	assert_int_equal(store_rebuild(s, false, &err), 0);
	store_close(s);

	/* growing left to the caller (a reader thread may be open): the
	 * commit answers EFULL, nothing written, until store_grow_map */
	s = tu_open_store(dir, "XA", 1 << 20, 1 << 30);
	store_grow_in_commit(s, false);
	store_stats(s, &st);
	size_t before = st.map_size;
	uint64_t cur = store_cursor(s, "XA");
	/* a request group (created + dispatched, ids left to the store) */
	struct ld_event *d = malloc(sizeof(*d));
	struct ld_store_item g[2];
	for (int i = 0; i < 100000 && !store_grow_pending(s); i++) {
		tg_created(e, "XA", T0 + i, "13900000000");
		tg_dispatched(d, "XA", T0 + i, "", 1, "unicom");
		memset(g, 0, sizeof(g));
		g[0].ev = e;
		g[1].ev = d;
		g[1].joined = true;
		rc = store_commit(s, g, 2, T0 + i, &err);
		if (rc == 0)
			cur += 2;
	}
	assert_true(store_grow_pending(s));
	assert_int_equal(rc, LD_EFULL);
	assert_int_equal(g[0].rc, LD_EFULL);
	assert_int_equal(g[1].rc, LD_EFULL);
	/* given back as they came: no seq, no ticket id (not even the one
	 * the group check filled in) */
	assert_int_equal(e->seq, 0);
	assert_int_equal(d->seq, 0);
	assert_string_equal(e->ticket, "");
	assert_string_equal(d->ticket, "");
	assert_int_equal(store_cursor(s, "XA"), cur);
	store_stats(s, &st);
	assert_int_equal(st.map_size, before);
	assert_int_equal(store_grow_map(s, &err), 0);
	assert_false(store_grow_pending(s));
	/* another ticket first, then the same group again: it goes in */
	struct ld_event *o = malloc(sizeof(*o));
	tg_created(o, "XA", T0, "13900000001");
	assert_int_equal(commit1(s, o, T0, &err), 0);
	assert_int_equal(store_commit(s, g, 2, T0, &err), 0);
	assert_int_equal(g[0].rc, 0);
	assert_int_equal(g[1].rc, 0);
	assert_string_equal(d->ticket, e->ticket);
	assert_int_equal(store_cursor(s, "XA"), cur + 3);
	free(o);
	free(d);
	store_stats(s, &st);
	assert_true(st.map_size > before);
	store_close(s);
	free(e);
	tu_rm_tree(dir);
}

/* A request of several events is one group: all or nothing, and the
 * events after a ticket.created take the id it was given. */
static void
t_request_groups(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = calloc(4, sizeof(*e));
	struct ld_store_item it[4];
	struct ld_ticket t;
	struct ld_err err;
	uint64_t before = store_cursor(f->s, "XA");
	char id[LD_TICKET_MAX + 1];

	/* created + two dispatched (empty ticket ids): applied together */
	tg_created(&e[0], "XA", T0, "13900000001");
	tg_dispatched(&e[1], "XA", T0, "", 1, "unicom");
	tg_dispatched(&e[2], "XA", T0, "", 2, "water");
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++) {
		it[i].ev = &e[i];
		it[i].joined = i > 0;
	}
	assert_int_equal(store_commit(f->s, it, 3, T0, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(it[i].rc, 0);
	strcpy(id, e[0].ticket);
	assert_true(id[0] != '\0');
	assert_string_equal(e[1].ticket, id);
	assert_string_equal(e[2].ticket, id);
	assert_int_equal(store_cursor(f->s, "XA"), before + 3);
	assert_int_equal(store_get_ticket(f->s, id, &t, &err), 0);
	assert_int_equal(t.n_wo, 2);

	/* a group whose last event is refused (work order 3 skips a number):
	 * nothing of it is written, every item says why, and a lone event
	 * after it in the same batch still goes in */
	tg_created(&e[0], "XA", T0, "13900000002");
	tg_dispatched(&e[1], "XA", T0, "", 1, "unicom");
	tg_dispatched(&e[2], "XA", T0, "", 3, "water");
	tg_wo_event(&e[3], LD_EV_SIGNED, "XA", T0 + 1000, id, 1);
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 4; i++) {
		it[i].ev = &e[i];
		it[i].joined = i > 0 && i < 3;
	}
	assert_int_equal(store_commit(f->s, it, 4, T0 + 1000, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_not_equal(it[i].rc, 0);
		assert_int_equal(it[i].rc, it[2].rc);
		assert_int_equal(e[i].seq, 0);
	}
	assert_non_null(strstr(it[0].err.msg, "refused with event 3"));
	assert_string_equal(e[0].ticket, "");	/* its id was not used */
	assert_int_equal(it[3].rc, 0);
	assert_int_equal(store_cursor(f->s, "XA"), before + 4);
	/* the next ticket gets the next number: none was spent */
	tg_created(&e[0], "XA", T0, "13900000003");
	assert_int_equal(commit1(f->s, &e[0], T0, &err), 0);
	assert_int_equal(strcmp(e[0].ticket, id) > 0, 1);
	{
		char node[LD_NODE_MAX + 1];
		int y1, y2;
		uint64_t n1, n2;

		ticket_id_parse(id, node, &y1, &n1);
		ticket_id_parse(e[0].ticket, node, &y2, &n2);
		assert_int_equal(n2, n1 + 1);
	}
	/* events of two tickets in one group are refused */
	tg_wo_event(&e[0], LD_EV_PROGRESS, "XA", T0 + 2000, id, 1);
	tg_wo_event(&e[1], LD_EV_PROGRESS, "XA", T0 + 2000, e[0].ticket, 1);
	snprintf(e[1].ticket, sizeof(e[1].ticket), "XA-2011-999999");
	event_set_str(&e[0], LD_F_NOTE, "x");
	event_set_str(&e[1], LD_F_NOTE, "x");
	memset(it, 0, sizeof(it));
	it[0].ev = &e[0];
	it[1].ev = &e[1];
	it[1].joined = true;
	assert_int_equal(store_commit(f->s, it, 2, T0 + 2000, &err), 0);
	assert_int_equal(it[0].rc, LD_EINVAL);
	assert_int_equal(it[1].rc, LD_EINVAL);
	assert_int_equal(store_rebuild(f->s, false, &err), 0);
	free(e);
}

/* Events from the parent come with gaps (sparse: taken if not held); a
 * remote event the state machine refuses is kept in the log, views
 * unchanged; a link's position is stored in the same transaction. */
static void
t_sparse_kept_meta(void **state)
{
	struct fx *f = *state;
	struct ld_event *e = malloc(sizeof(*e));
	struct ld_store_item it;
	struct ld_store_meta m = { "link:LY:down", 42 };
	struct ld_ticket t;
	struct ld_err err;

	/* LY's ticket 5, created as LY's event 7: taken, gaps and all */
	tg_created(e, "LY", T0, "13900000009");
	snprintf(e->ticket, sizeof(e->ticket), "LY-2011-000005");
	e->seq = 7;
	memset(&it, 0, sizeof(it));
	it.ev = e;
	it.sparse = true;
	assert_int_equal(store_commit_meta(f->s, &it, 1, &m, 1, T0, &err), 0);
	assert_int_equal(it.rc, 0);
	assert_false(it.kept);
	assert_int_equal(store_meta_u64(f->s, "link:LY:down"), 42);
	assert_int_equal(store_cursor(f->s, "LY"), 7);
	/* again: held */
	memset(&it, 0, sizeof(it));
	it.ev = e;
	it.sparse = true;
	assert_int_equal(store_commit(f->s, &it, 1, T0, &err), 0);
	assert_int_equal(it.rc, LD_EDUP);
	/* an earlier one of LY's, below the last held: taken */
	tg_created(e, "LY", T0, "13900000009");
	snprintf(e->ticket, sizeof(e->ticket), "LY-2011-000002");
	e->seq = 3;
	memset(&it, 0, sizeof(it));
	it.ev = e;
	it.sparse = true;
	assert_int_equal(store_commit(f->s, &it, 1, T0, &err), 0);
	assert_int_equal(it.rc, 0);
	assert_int_equal(store_cursor(f->s, "LY"), 7);	/* the highest held */
	/* without sparse the same origin must come in order */
	tg_wo_event(e, LD_EV_SIGNED, "LY", T0, "LY-2011-000005", 1);
	e->seq = 9;
	assert_int_equal(commit1(f->s, e, T0, &err), LD_EGAP);

	/* LY signs a work order the ticket does not have: kept, not applied */
	tg_wo_event(e, LD_EV_SIGNED, "LY", T0 + 1000, "LY-2011-000005", 3);
	e->seq = 8;
	memset(&it, 0, sizeof(it));
	it.ev = e;
	assert_int_equal(store_commit(f->s, &it, 1, T0, &err), 0);
	assert_int_equal(it.rc, 0);
	assert_true(it.kept);
	assert_true(it.err.msg[0] != '\0');
	assert_int_equal(store_cursor(f->s, "LY"), 8);
	assert_int_equal(store_get_ticket(f->s, "LY-2011-000005", &t, &err), 0);
	assert_int_equal(t.n_wo, 0);
	assert_int_equal(t.events, 1);
	assert_int_equal(store_get_event(f->s, "LY", 8, e, &err), 0);
	/* the replay agrees, byte for byte */
	if (store_rebuild(f->s, false, &err) != 0)
		fail_msg("rebuild: %s", err.msg);

	/* LY's announcement about an area of ours on a ticket we do not
	 * hold: taken without a disagreement, in the feed's index, no view;
	 * the replay agrees */
	{
		int news = 0;

		memset(e, 0, sizeof(*e));
		e->kind = LD_EV_ANNOUNCED;
		snprintf(e->origin, sizeof(e->origin), "LY");
		snprintf(e->actor, sizeof(e->actor), "op-ly-wang");
		snprintf(e->ticket, sizeof(e->ticket), "LY-2011-000099");
		e->time_ms = T0 + 2000;
		e->seq = 12;
		event_set_str(e, LD_F_CHANNEL, "platform");
		event_set_str(e, LD_F_TEXT, "新安县城东片区水压降低");
		event_set_str(e, LD_F_AREA, "xinan");
		memset(&it, 0, sizeof(it));
		it.ev = e;
		it.sparse = true;
		assert_int_equal(store_commit(f->s, &it, 1, T0 + 2000, &err), 0);
		assert_int_equal(it.rc, 0);
		assert_false(it.kept);
		assert_int_equal(store_get_ticket(f->s, "LY-2011-000099", &t,
		    &err), LD_ENOTFOUND);
		assert_int_equal(store_scan(f->s, "announcements", "", 0,
		    count_cb, &news, &err), 0);
		assert_int_equal(news, 1);
		if (store_rebuild(f->s, false, &err) != 0)
			fail_msg("rebuild: %s", err.msg);
	}
	/* histories: the kept event is in its ticket's; the announcement
	 * about a ticket not held is one of its own, and stays first when the
	 * ticket comes to be held (its record starts spilled) */
	{
		struct hist h = { 0 };
		struct store_rec r;

		assert_int_equal(store_history(f->s, "LY-2011-000005", hist_cb,
		    &h, &err), 0);
		assert_int_equal(h.n, 2);
		assert_int_equal(h.kinds[0], LD_EV_TICKET_CREATED);
		assert_int_equal(h.kinds[1], LD_EV_SIGNED);
		assert_int_equal(h.seqs[1], 8);
		memset(&h, 0, sizeof(h));
		assert_int_equal(store_history(f->s, "LY-2011-000099", hist_cb,
		    &h, &err), 0);
		assert_int_equal(h.n, 1);
		assert_int_equal(h.kinds[0], LD_EV_ANNOUNCED);

		tg_created(e, "LY", T0 + 3000, "13900000099");
		snprintf(e->ticket, sizeof(e->ticket), "LY-2011-000099");
		e->seq = 10;
		memset(&it, 0, sizeof(it));
		it.ev = e;
		it.sparse = true;
		assert_int_equal(store_commit(f->s, &it, 1, T0 + 3000, &err), 0);
		assert_int_equal(it.rc, 0);
		get_rec(f->s, "LY-2011-000099", &r);
		assert_true(r.held);
		assert_true(r.spilled);
		assert_int_equal(r.n_hist, 0);
		memset(&h, 0, sizeof(h));
		assert_int_equal(store_history(f->s, "LY-2011-000099", hist_cb,
		    &h, &err), 0);
		assert_int_equal(h.n, 2);
		assert_int_equal(h.kinds[0], LD_EV_ANNOUNCED);
		assert_int_equal(h.kinds[1], LD_EV_TICKET_CREATED);
		if (store_rebuild(f->s, false, &err) != 0)
			fail_msg("rebuild: %s", err.msg);
	}
	free(e);
}

/* Count the lines of file path that hold needle. */
static int
count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* A disk that refuses checkpoints (here: the checkpoint file made
 * read-only under the store): every answer stays durable in the journal;
 * the tries back off (twice as long after each failure) and the log says
 * it only when the run doubles; status counts the run; when the disk
 * takes them again the run ends, and a reopen finds every event. */
static void
t_ckpt_failing(void **state)
{
	char *dir = tu_tmpdir(), path[512], logp[512], id[32];
	struct ld_store_opts o = { .dir = dir, .node = "XA", .ckpt_recs = 8 };
	struct ld_store *s = NULL;
	struct ld_store_stats st;
	struct ld_err err;
	uint64_t events = 0, n_ok;
	int n = 0;

	(void)state;
	assert_int_equal(store_open(&s, &o, &err), 0);
	for (int i = 0; i < 2; i++, events += 4)
		lifecycle(s, "XA", T0 + n++ * 60000LL, id);
	assert_int_equal(store_flush(s, &err), 0);	/* the thread idle */
	assert_int_equal(store_stats(s, &st), 0);
	assert_int_equal(st.checkpoint_failures, 0);
	n_ok = st.checkpoints;

	snprintf(path, sizeof(path), "%s/checkpoint.ldc", dir);
	snprintf(logp, sizeof(logp), "%s.log", dir);
	int good = dup(s->cfd), ro = open(path, O_RDONLY);
	assert_true(good >= 0 && ro >= 0);
	assert_true(dup2(ro, s->cfd) == s->cfd);
	close(ro);
	fflush(stderr);
	int saved_err = dup(2), lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	assert_true(saved_err >= 0 && lf >= 0);
	dup2(lf, 2);
	close(lf);

	/* 600 records: without the back-off, a try (and a line) for each */
	for (int i = 0; i < 150; i++, events += 4)
		lifecycle(s, "XA", T0 + n++ * 60000LL, id);
	store_ckpt_wait(s);
	assert_int_equal(store_stats(s, &st), 0);
	uint32_t fails = st.checkpoint_failures;
	assert_true(fails >= 4 && fails <= 8);
	assert_int_equal(st.checkpoints, n_ok);
	assert_true(st.jlsn >= events);	/* every commit in the journal */

	/* the disk is back: the next try succeeds and ends the run */
	assert_true(dup2(good, s->cfd) == s->cfd);
	close(good);
	for (int i = 0; i < 200; i++) {
		lifecycle(s, "XA", T0 + n++ * 60000LL, id);
		events += 4;
		store_ckpt_wait(s);
		assert_int_equal(store_stats(s, &st), 0);
		if (st.checkpoint_failures == 0)
			break;
	}
	assert_int_equal(st.checkpoint_failures, 0);
	assert_true(st.checkpoints > n_ok);
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);

	int lines = count_lines(logp, "failed in a row");
	int want = 0;
	for (uint32_t k = 1; k <= fails; k *= 2)
		want++;
	assert_int_equal(lines, want);
	assert_int_equal(count_lines(logp, "writing checkpoint"), want);
	assert_int_equal(count_lines(logp, "checkpoint taken again after"), 1);

	store_close(s);
	assert_int_equal(store_open(&s, &o, &err), 0);
	assert_int_equal(store_cursor(s, "XA"), events);
	assert_int_equal(store_rebuild(s, false, &err), 0);
	store_close(s);
	unlink(logp);
	tu_rm_tree(dir);
}

/* LMDB may count in its last page one it freed in the same transaction
 * and never wrote, so data.mdb can be shorter than (last page + 1) x page
 * size; a checkpoint taken then must still open (a second review found a
 * check that refused it).  Puts and deletes in one transaction make such
 * pages; a checkpoint after each. */
static void
t_ckpt_short_file(void **state)
{
	char *dir = tu_tmpdir();
	struct ld_store *s = tu_open_store(dir, "XA", 0, 0);
	struct ld_err err;
	char kb[32], vb[3000];
	int shorter = 0;

	(void)state;
	memset(vb, 'v', sizeof(vb));
	srand(7);
	for (int t = 0; t < 400 && shorter < 3; t++) {
		MDB_txn *txn;
		MDB_envinfo info;
		MDB_stat ms;
		struct stat st;
		int n = 1 + rand() % 30;

		assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
		for (int i = 0; i < n; i++) {
			snprintf(kb, sizeof(kb), "zz:%d:%d", t, i);
			MDB_val k = { strlen(kb), kb };
			MDB_val v = { 100 + (size_t)rand() % 2900, vb };
			assert_int_equal(mdb_put(txn, s->meta, &k, &v, 0), 0);
		}
		for (int i = 0; i < n; i += 1 + rand() % 2) {
			snprintf(kb, sizeof(kb), "zz:%d:%d", t, i);
			MDB_val k = { strlen(kb), kb };
			assert_int_equal(mdb_del(txn, s->meta, &k, NULL), 0);
		}
		assert_int_equal(mdb_txn_commit(txn), 0);
		assert_int_equal(store_flush(s, &err), 0);
		char path[600];
		snprintf(path, sizeof(path), "%s/data.mdb", dir);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(mdb_env_info(s->env, &info), 0);
		assert_int_equal(mdb_env_stat(s->env, &ms), 0);
		if ((uint64_t)st.st_size <
		    (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize) {
			shorter++;
			/* closed here: the next open must take its checkpoint */
			store_close(s);
			s = tu_open_store(dir, "XA", 0, 0);
		}
	}
	printf("checkpoints with data.mdb shorter than LMDB's last page: %d\n",
	    shorter);
	store_close(s);
	tu_rm_tree(dir);
}

/* A journal written before the journal had a key (an older build) with a
 * record the database has not: refused, not dropped. */
static void
t_journal_without_key(void **state)
{
	char *dir = tu_tmpdir(), path[600];
	struct ld_store *s = tu_open_store(dir, "XA", 0, 0);
	struct ld_store_opts o = { .dir = dir, .node = "XA" };
	struct ld_err err;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t h[24] = { 'L', 'D', 'J', '1' };
	int fd;

	(void)state;
	store_close(s);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 24), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	MDB_val k = { 4, (void *)"jkey" };
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	/* the checkpoint would put the key back: as before the journal */
	snprintf(path, sizeof(path), "%s/checkpoint.ldc", dir);
	assert_int_equal(truncate(path, 0), 0);
	snprintf(path, sizeof(path), "%s/journal-1.ldj", dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	views_put_u64(h + 4, 5);
	assert_int_equal(pwrite(fd, h, sizeof(h), 0), (ssize_t)sizeof(h));
	close(fd);
	assert_int_equal(store_open(&s, &o, &err), LD_ESCHEMA);
	assert_non_null(strstr(err.msg, "journal-1.ldj: record 5 is not in the "
	    "database and was written without the journal's key"));
	tu_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_request_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sparse_kept_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(t_ids_and_seqs, setup, teardown),
		cmocka_unit_test_setup_teardown(t_history, setup, teardown),
		cmocka_unit_test_setup_teardown(t_history_long, setup, teardown),
		cmocka_unit_test_setup_teardown(t_migrate_from_4, setup, teardown),
		cmocka_unit_test_setup_teardown(t_damaged_record, setup, teardown),
		cmocka_unit_test_setup_teardown(t_applied_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(t_refusal_keeps_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(t_remote_order, setup, teardown),
		cmocka_unit_test_setup_teardown(t_indexes_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(t_transfer_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(t_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(t_schema_and_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(t_migrate_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(t_wrong_node, setup, teardown),
		cmocka_unit_test_setup_teardown(t_map_full_and_growth, setup, teardown),
		cmocka_unit_test(t_ckpt_short_file),
		cmocka_unit_test(t_ckpt_failing),
		cmocka_unit_test(t_journal_without_key),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
