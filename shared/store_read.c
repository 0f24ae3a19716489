/* store_read.c - reads from the store, each in its own snapshot. */
#include "store_int.h"
#include "ltime.h"

#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

int
store_rd_txn(struct ld_store *s, MDB_txn **txn)
{
	int rc;

	pthread_rwlock_rdlock(&s->grow_lock);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc != 0)
		pthread_rwlock_unlock(&s->grow_lock);
	return rc;
}

void
store_rd_end(struct ld_store *s, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&s->grow_lock);
}

static int
store_rd_begin(struct ld_store *s, MDB_txn **txn, struct ld_err *err)
{
	int rc = store_rd_txn(s, txn);

	return rc == 0 ? LD_OK : store_mdb_err(err, rc, "read");
}

/* Ticket id in one snapshot: its state and details, or its head only
 * (codec_ticket_head_decode); *at as store_get_head_at says. */
static int
store_read_ticket(struct ld_store *s, const char *id, struct ld_ticket *t,
    bool head, uint64_t *at, struct ld_err *err)
{
	MDB_txn *txn;
	int rc;

	if (id == NULL || id[0] == '\0' || strlen(id) > LD_TICKET_MAX)
		return err_set(err, LD_EINVAL, "bad ticket id");
	rc = store_rd_begin(s, &txn, err);
	if (rc != 0)
		return rc;
	if (head) {
		rc = store_txn_get_head(s, txn, id, t, err);
	} else {
		rc = store_txn_get_view(s, txn, id, t, err);
		if (rc == 0)
			rc = store_txn_get_details(s, txn, id, t, err);
	}
	if (at != NULL)
		*at = store_last_applied(s, txn);
	store_rd_end(s, txn);
	if (rc == 0 && t->state == LD_TS_NONE)
		rc = err_set(err, LD_ENOTFOUND, "no ticket %s", id);
	return rc;
}

int
store_get_ticket(struct ld_store *s, const char *id, struct ld_ticket *t,
    struct ld_err *err)
{
	return store_read_ticket(s, id, t, false, NULL, err);
}

int
store_get_head_at(struct ld_store *s, const char *id, struct ld_ticket *t,
    uint64_t *at, struct ld_err *err)
{
	return store_read_ticket(s, id, t, true, at, err);
}

int
store_get_event(struct ld_store *s, const char *origin, uint64_t seq,
    struct ld_event *ev, struct ld_err *err)
{
	uint8_t key[LD_NODE_MAX + 8];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	int rc;

	if (!event_node_id_ok(origin))
		return err_set(err, LD_EINVAL, "bad origin '%s'", origin);
	memset(key, 0, sizeof(key));
	memcpy(key, origin, strlen(origin));
	views_put_u64(key + LD_NODE_MAX, seq);
	rc = store_rd_begin(s, &txn, err);
	if (rc != 0)
		return rc;
	rc = mdb_get(txn, s->events, &k, &v);
	if (rc == MDB_NOTFOUND)
		rc = err_set(err, LD_ENOTFOUND, "no event %s/%llu", origin,
		    (unsigned long long)seq);
	else if (rc != 0)
		rc = store_mdb_err(err, rc, "events");
	else if (codec_event_decode(v.mv_data, v.mv_size, ev, err) != 0) {
		err_prefix(err, "event %s/%llu is damaged", origin,
		    (unsigned long long)seq);
		rc = LD_ECORRUPT;
		if (err)
			err->code = rc;
	}
	store_rd_end(s, txn);
	return rc;
}

/* Decode the event at log key lk (origin|seq) and hand it to cb. */
static int
store_hist_one(struct ld_store *s, MDB_txn *txn, const char *id,
    const void *lk, struct ld_event *ev, store_event_cb cb, void *arg,
    bool *stop, struct ld_err *err)
{
	MDB_val k = { STORE_HIST_ENTRY, (void *)lk }, v;

	if (mdb_get(txn, s->events, &k, &v) != 0 ||
	    codec_event_decode(v.mv_data, v.mv_size, ev, NULL) != 0)
		return err_set(err, LD_ECORRUPT, "history of %s names an "
		    "event that is missing or damaged", id);
	*stop = cb(ev, arg) != 0;
	return LD_OK;
}

int
store_history(struct ld_store *s, const char *id, store_event_cb cb,
    void *arg, struct ld_err *err)
{
	uint8_t pk[LD_TICKET_MAX + 1];
	size_t pl;
	MDB_val k, v;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	struct ld_event *ev;
	struct store_rec r;
	bool stop = false;
	int rc, n = 0;

	if (id == NULL || id[0] == '\0' || strlen(id) > LD_TICKET_MAX)
		return err_set(err, LD_EINVAL, "bad ticket id");
	pl = strlen(id) + 1;
	memcpy(pk, id, pl);
	ev = malloc(sizeof(*ev));
	if (ev == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	rc = store_rd_begin(s, &txn, err);
	if (rc != 0) {
		free(ev);
		return rc;
	}
	/* the first entries are in the ticket's record */
	rc = store_txn_get_rec(s, txn, id, &r, err);
	for (size_t i = 0; rc == 0 && !stop && i < r.n_hist; i++, n++)
		rc = store_hist_one(s, txn, id, r.hist + i * STORE_HIST_ENTRY,
		    ev, cb, arg, &stop, err);
	if (rc != 0 || stop || (r.held && !r.spilled))
		goto out;
	/* the rest (or all, for a ticket not held) in the history db */
	rc = mdb_cursor_open(txn, s->history, &cur);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "history");
		goto out;
	}
	k.mv_size = pl;
	k.mv_data = pk;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !stop;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != pl + 8 || memcmp(k.mv_data, pk, pl) != 0)
			break;
		if (v.mv_size != STORE_HIST_ENTRY) {
			rc = err_set(err, LD_ECORRUPT, "history of %s: a "
			    "damaged entry", id);
			goto out;
		}
		if ((rc = store_hist_one(s, txn, id, v.mv_data, ev, cb, arg,
		    &stop, err)) != 0)
			goto out;
		n++;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc != 0)
		rc = store_mdb_err(err, rc, "history");
out:
	if (rc == 0 && n == 0)
		rc = err_set(err, LD_ENOTFOUND, "no ticket %s", id);
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_rd_end(s, txn);
	free(ev);
	return rc;
}

int
store_events_after(struct ld_store *s, const char *origin, uint64_t after,
    store_raw_cb cb, void *arg, struct ld_err *err)
{
	uint8_t key[LD_NODE_MAX + 8];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc;

	if (!event_node_id_ok(origin))
		return err_set(err, LD_EINVAL, "bad origin '%s'", origin);
	if (after == UINT64_MAX)
		return LD_OK;
	memset(key, 0, sizeof(key));
	memcpy(key, origin, strlen(origin));
	views_put_u64(key + LD_NODE_MAX, after + 1);
	rc = store_rd_begin(s, &txn, err);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(txn, s->events, &cur);
	if (rc != 0) {
		store_rd_end(s, txn);
		return store_mdb_err(err, rc, "events");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(key) || memcmp(k.mv_data, key,
		    LD_NODE_MAX) != 0)
			break;
		if (cb(views_get_u64((uint8_t *)k.mv_data + LD_NODE_MAX),
		    v.mv_data, v.mv_size, arg) != 0)
			break;
	}
	mdb_cursor_close(cur);
	store_rd_end(s, txn);
	return rc == 0 || rc == MDB_NOTFOUND ? LD_OK :
	    store_mdb_err(err, rc, "events");
}

struct store_applied_ev {
	struct ld_store *s;
	MDB_txn *txn;
	MDB_val key;		/* origin | seq */
	uint64_t idx;		/* its apply index */
	bool missing;		/* the log lacks it */
};

int
store_applied_bytes(struct store_applied_ev *ev, const uint8_t **bytes,
    size_t *len)
{
	MDB_val v;

	if (mdb_get(ev->txn, ev->s->events, &ev->key, &v) != 0) {
		ev->missing = true;
		return LD_ECORRUPT;
	}
	*bytes = v.mv_data;
	*len = v.mv_size;
	return LD_OK;
}

int
store_applied_scan(struct ld_store *s, uint64_t after,
    store_applied_lazy_cb cb, void *arg, struct ld_err *err)
{
	uint8_t ik[8];
	MDB_val k = { 8, ik }, v;
	struct store_applied_ev ev = { .s = s };
	MDB_cursor *cur;
	int rc;

	if (after == UINT64_MAX)
		return LD_OK;
	views_put_u64(ik, after + 1);
	rc = store_rd_begin(s, &ev.txn, err);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(ev.txn, s->applied, &cur);
	if (rc != 0) {
		store_rd_end(s, ev.txn);
		return store_mdb_err(err, rc, "applied");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char origin[LD_NODE_MAX + 1];
		int stop;

		if (k.mv_size != 8 || v.mv_size != LD_NODE_MAX + 8) {
			rc = err_set(err, LD_ECORRUPT, "applied log: a damaged "
			    "entry after apply index %" PRIu64, ev.idx);
			break;
		}
		memcpy(origin, v.mv_data, LD_NODE_MAX);
		origin[LD_NODE_MAX] = '\0';
		ev.key = v;
		ev.idx = views_get_u64(k.mv_data);
		stop = cb(ev.idx, origin,
		    views_get_u64((uint8_t *)v.mv_data + LD_NODE_MAX), &ev, arg);
		if (ev.missing || stop != 0)
			break;
	}
	mdb_cursor_close(cur);
	store_rd_end(s, ev.txn);
	if (rc == LD_ECORRUPT)
		return rc;
	if (ev.missing)
		return err_set(err, LD_ECORRUPT, "applied log names an event "
		    "that is missing (apply index %" PRIu64 ")", ev.idx);
	return rc == 0 || rc == MDB_NOTFOUND ? LD_OK :
	    store_mdb_err(err, rc, "applied");
}

/* store_applied_after on store_applied_scan: every event's bytes read. */
struct store_applied_all {
	store_applied_cb cb;
	void *arg;
};

static int
store_applied_all_cb(uint64_t idx, const char *origin, uint64_t seq,
    struct store_applied_ev *ev, void *arg)
{
	struct store_applied_all *a = arg;
	const uint8_t *bytes;
	size_t len;

	if (store_applied_bytes(ev, &bytes, &len) != 0)
		return 1;
	return a->cb(idx, origin, seq, bytes, len, a->arg);
}

int
store_applied_after(struct ld_store *s, uint64_t after, store_applied_cb cb,
    void *arg, struct ld_err *err)
{
	struct store_applied_all a = { cb, arg };

	return store_applied_scan(s, after, store_applied_all_cb, &a, err);
}

uint64_t
store_applied_last(struct ld_store *s)
{
	MDB_txn *txn;
	uint64_t last;

	if (store_rd_txn(s, &txn) != 0)
		return 0;
	last = store_last_applied(s, txn);
	store_rd_end(s, txn);
	return last;
}

uint64_t
store_cursor(struct ld_store *s, const char *origin)
{
	MDB_txn *txn;
	uint64_t seq = 0;

	if (store_rd_txn(s, &txn) != 0)
		return 0;
	if (store_log_last(s, txn, origin, &seq) != 0)
		seq = 0;
	store_rd_end(s, txn);
	return seq;
}

/* ---- snapshots ----------------------------------------------------------- */

struct ld_snap {
	struct ld_store *s;
	MDB_txn *txn;
};

int
store_snap_begin(struct ld_store *s, struct ld_snap **snap,
    struct ld_err *err)
{
	struct ld_snap *p = malloc(sizeof(*p));
	int rc;

	*snap = NULL;
	if (p == NULL)
		return err_set(err, LD_ENOMEM, "snapshot: out of memory");
	p->s = s;
	rc = store_rd_begin(s, &p->txn, err);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*snap = p;
	return LD_OK;
}

void
store_snap_end(struct ld_snap *snap)
{
	if (snap == NULL)
		return;
	store_rd_end(snap->s, snap->txn);
	free(snap);
}

static uint32_t
store_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

#define STORE_CKEY (4 + LD_NODE_MAX + 1)

int
store_snap_counters(struct ld_snap *snap, uint32_t from, uint32_t to,
    store_counter_cb cb, void *arg, struct ld_err *err)
{
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	MDB_cursor *cur;
	int rc, stop = 0;

	rc = mdb_cursor_open(snap->txn, snap->s->counters, &cur);
	if (rc != 0)
		return store_mdb_err(err, rc, "counters");
	views_put_u32(kb, from);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    stop == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		char node[LD_NODE_MAX + 1];
		uint32_t day;

		if (k.mv_size != STORE_CKEY || v.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		day = store_get_u32(p);
		if (day > to)
			break;
		if (p[4 + LD_NODE_MAX] >= LD_C__COUNT)
			continue;
		memcpy(node, p + 4, LD_NODE_MAX);
		node[LD_NODE_MAX] = '\0';
		stop = cb(day, node, (enum ld_counter)p[4 + LD_NODE_MAX],
		    views_get_u64(v.mv_data), arg);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(err, rc, "counters");
	return LD_OK;
}

int
store_snap_ucounters(struct ld_snap *snap, uint32_t from, uint32_t to,
    store_ucounter_cb cb, void *arg, struct ld_err *err)
{
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	MDB_cursor *cur;
	int rc, stop = 0;

	rc = mdb_cursor_open(snap->txn, snap->s->ucounters, &cur);
	if (rc != 0)
		return store_mdb_err(err, rc, "unit_counters");
	views_put_u32(kb, from);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    stop == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		char unit[LD_ID_MAX + 1];
		size_t ul;
		uint32_t month;

		if (k.mv_size < 7 || k.mv_size > 4 + LD_ID_MAX + 2 ||
		    p[k.mv_size - 2] != '\0' || v.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		month = store_get_u32(p);
		if (month > to)
			break;
		ul = k.mv_size - 6;
		if (p[k.mv_size - 1] >= LD_U__COUNT || memchr(p + 4, 0, ul))
			continue;
		memcpy(unit, p + 4, ul);
		unit[ul] = '\0';
		stop = cb(month, unit, (enum ld_ucounter)p[k.mv_size - 1],
		    views_get_u64(v.mv_data), arg);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(err, rc, "unit_counters");
	return LD_OK;
}

int
store_snap_ticket(struct ld_snap *snap, const char *id, struct ld_ticket *t,
    struct ld_err *err)
{
	int rc;

	if (id == NULL || id[0] == '\0' || strlen(id) > LD_TICKET_MAX)
		return err_set(err, LD_EINVAL, "bad ticket id");
	rc = store_txn_get_view(snap->s, snap->txn, id, t, err);
	if (rc == 0 && t->state == LD_TS_NONE)
		rc = err_set(err, LD_ENOTFOUND, "no ticket %s", id);
	return rc;
}

static int
store_sum_cb(uint32_t day, const char *node, enum ld_counter c, uint64_t v,
    void *arg)
{
	(void)day;
	(void)node;
	((uint64_t *)arg)[c] += v;
	return 0;
}

void
store_counter_sums(struct ld_store *s, uint32_t from, uint32_t to,
    uint64_t sums[LD_C__COUNT])
{
	struct ld_snap *snap;

	memset(sums, 0, sizeof(uint64_t) * LD_C__COUNT);
	if (store_snap_begin(s, &snap, NULL) != 0)
		return;
	(void)store_snap_counters(snap, from, to, store_sum_cb, sums, NULL);
	store_snap_end(snap);
}

uint64_t
store_counter_sum(struct ld_store *s, enum ld_counter c, uint32_t from,
    uint32_t to)
{
	uint64_t sums[LD_C__COUNT];

	if ((unsigned)c >= LD_C__COUNT)
		return 0;
	store_counter_sums(s, from, to, sums);
	return sums[c];
}

uint64_t
store_count_open(struct ld_store *s)
{
	MDB_txn *txn;
	MDB_stat ms;
	uint64_t n = 0;

	/* by_state holds the open tickets and nothing else */
	if (store_rd_txn(s, &txn) != 0)
		return 0;
	if (mdb_stat(txn, s->idx[LD_IX_STATE], &ms) == 0)
		n = ms.ms_entries;
	store_rd_end(s, txn);
	return n;
}

static int
store_count_cb(const uint8_t *key, size_t len, void *arg)
{
	(void)key;
	(void)len;
	(*(uint64_t *)arg)++;
	return 0;
}

uint64_t
store_count_state(struct ld_store *s, enum ld_ticket_state st)
{
	uint8_t b = (uint8_t)st;
	uint64_t n = 0;

	store_scan(s, "by_state", &b, 1, store_count_cb, &n, NULL);
	return n;
}

/* The database a scan may walk: an index, or "tickets" (ticket ids). */
static int
store_scan_dbi(struct ld_store *s, const char *db, MDB_dbi *dbi)
{
	if (strcmp(db, "tickets") == 0) {
		*dbi = s->tickets;
		return 0;
	}
	if (strcmp(db, "announcements") == 0) {
		*dbi = s->news;
		return 0;
	}
	for (int i = 0; i < LD_IX__COUNT; i++)
		if (strcmp(db, views_index_names[i]) == 0) {
			*dbi = s->idx[i];
			return 0;
		}
	return -1;
}

/* Position cur for a walk: forward at the first key >= bound (NULL: >=
 * prefix); backward at the last key below bound (NULL: the last key). */
static int
store_walk_start(MDB_cursor *cur, bool back, const void *prefix,
    size_t plen, const uint8_t *bound, size_t bnd_len, MDB_val *k)
{
	MDB_val v;
	int rc;

	if (!back) {	/* from bound if given, else from the prefix */
		k->mv_size = bound ? bnd_len : plen;
		k->mv_data = bound ? (void *)bound : (void *)prefix;
		return k->mv_size ? mdb_cursor_get(cur, k, &v, MDB_SET_RANGE) :
		    mdb_cursor_get(cur, k, &v, MDB_FIRST);
	}
	if (bound == NULL)
		return mdb_cursor_get(cur, k, &v, MDB_LAST);
	k->mv_size = bnd_len;
	k->mv_data = (void *)bound;
	rc = mdb_cursor_get(cur, k, &v, MDB_SET_RANGE);
	if (rc == 0)
		return mdb_cursor_get(cur, k, &v, MDB_PREV);
	return rc == MDB_NOTFOUND ? mdb_cursor_get(cur, k, &v, MDB_LAST) : rc;
}

/* Visit the keys of db that start with prefix, from the walk's start
 * (store_walk_start), forward or backward, in one snapshot: rtxn's, or
 * one of its own when rtxn is NULL. */
static int
store_walk(struct ld_store *s, MDB_txn *rtxn, const char *db, bool back,
    const void *prefix, size_t plen, const uint8_t *bound, size_t bnd_len,
    store_key_cb cb, void *arg, struct ld_err *err)
{
	MDB_val k, v;
	MDB_txn *txn = rtxn;
	MDB_cursor *cur;
	MDB_dbi dbi = 0;
	int rc;

	if (store_scan_dbi(s, db, &dbi) != 0)
		return err_set(err, LD_EINVAL, "no index '%s'", db);
	if (txn == NULL && (rc = store_rd_begin(s, &txn, err)) != 0)
		return rc;
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc != 0) {
		if (rtxn == NULL)
			store_rd_end(s, txn);
		return store_mdb_err(err, rc, db);
	}
	for (rc = store_walk_start(cur, back, prefix, plen, bound, bnd_len, &k);
	    rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, back ? MDB_PREV : MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (cb(k.mv_data, k.mv_size, arg) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (rtxn == NULL)
		store_rd_end(s, txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_err(err, rc, db);
	return LD_OK;
}

int
store_scan(struct ld_store *s, const char *db, const void *prefix,
    size_t plen, store_key_cb cb, void *arg, struct ld_err *err)
{
	return store_walk(s, NULL, db, false, prefix, plen, NULL, 0, cb, arg, err);
}

int
store_scan_from(struct ld_store *s, const char *db, const void *from,
    size_t len, store_key_cb cb, void *arg, struct ld_err *err)
{
	return store_walk(s, NULL, db, false, "", 0, from, len, cb, arg, err);
}

/* Is key a (alen bytes) below key b (blen bytes) in LMDB's default order? */
static int
store_key_below(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c < 0 || (c == 0 && alen < blen);
}

int
store_scan_back(struct ld_store *s, const char *db, const void *prefix,
    size_t plen, const void *below, size_t blen, store_key_cb cb, void *arg,
    struct ld_err *err)
{
	uint8_t succ[512];
	const uint8_t *bound = NULL;
	size_t slen = plen, bnd_len = 0;

	if (plen > sizeof(succ) || blen > 511)
		return err_set(err, LD_ELIMIT, "scan of %s: key too long", db);
	/* the first key past the prefix: the prefix with its last byte
	 * below 0xff raised by one (none: the end of the database) */
	memcpy(succ, prefix, plen);
	while (slen > 0 && succ[slen - 1] == 0xff)
		slen--;
	if (slen > 0) {
		succ[slen - 1]++;
		bound = succ;
		bnd_len = slen;
	}
	if (below != NULL && (bound == NULL ||
	    store_key_below(below, blen, bound, bnd_len))) {
		bound = below;
		bnd_len = blen;
	}
	return store_walk(s, NULL, db, true, prefix, plen, bound, bnd_len, cb, arg,
	    err);
}

int
store_stats(struct ld_store *s, struct ld_store_stats *st)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo info;
	size_t pages = 0;

	memset(st, 0, sizeof(*st));
	if (store_rd_txn(s, &txn) != 0)
		return LD_EIO;
	if (mdb_stat(txn, s->events, &ms) == 0)
		st->events = ms.ms_entries;
	if (mdb_stat(txn, s->tickets, &ms) == 0)
		st->tickets = ms.ms_entries;
	store_rd_end(s, txn);
	/* they read the meta pages through the map: not while it moves */
	pthread_rwlock_rdlock(&s->grow_lock);
	if (mdb_env_info(s->env, &info) == 0) {
		st->map_size = info.me_mapsize;
		pages = info.me_last_pgno + 1;
	}
	if (mdb_env_stat(s->env, &ms) == 0)
		st->used_bytes = pages * ms.ms_psize;
	pthread_rwlock_unlock(&s->grow_lock);
	/* the writer's and the checkpoint thread's figures, under ck_mu */
	st->journal = s->journal;
	st->replayed = s->n_replayed;	/* set at open */
	pthread_mutex_lock(&s->ck_mu);
	st->jlsn = s->jlsn;
	st->journal_bytes = s->joff;
	st->ckpt_lsn = s->ckpt_lsn;
	st->checkpoints = s->n_ckpt;
	st->checkpoint_failures = s->ck_fails;
	pthread_mutex_unlock(&s->ck_mu);
	return LD_OK;
}

int
store_snap_scan(struct ld_snap *snap, const char *db, const void *prefix,
    size_t plen, store_key_cb cb, void *arg, struct ld_err *err)
{
	return store_walk(snap->s, snap->txn, db, false, prefix, plen, NULL, 0,
	    cb, arg, err);
}
