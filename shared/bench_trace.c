/*
 * bench_trace.c - record the store's LMDB operations and play them again
 * into a bare environment (bench_trace.h).
 *
 * The recording is one growing byte buffer of entries: a fixed head
 * (struct bt_op), then the key bytes, then the value bytes, padded to 8.
 * Only the write transaction begun on the thread that called
 * btrace_start() is recorded: read transactions (the store's checkpoint
 * capture, its thread) are passed through untouched, an aborted
 * transaction is taken out of the recording again, and a commit ends the
 * transaction's entries with a commit mark.
 */
#include "bench.h"
#include "bench_trace.h"

#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BT_CURSORS 16		/* cursors open at once in one transaction */
#define BT_DBIS 64		/* database handles the store may use */
#define BT_KEY_MAX 511		/* LMDB's default maximum key size */
/* the flags that change how a database sorts and holds its values */
#define BT_DB_FLAGS (MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | \
	MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEDUP)

enum bt_kind { BT_PUT = 1, BT_GET, BT_DEL, BT_COPEN, BT_CGET, BT_CCLOSE,
	BT_COMMIT };

struct bt_op {
	uint8_t kind, cop;	/* enum bt_kind, MDB_cursor_op (BT_CGET) */
	uint8_t pad;
	uint8_t cid;		/* cursor slot (BT_COPEN, BT_CGET, BT_CCLOSE) */
	uint32_t dbi, flags;
	int32_t rc;		/* what LMDB returned */
	uint32_t klen, vlen;	/* bytes that follow */
};

static struct {
	bool on, broken;
	int broken_rc;		/* LD_ENOMEM or LD_ELIMIT */
	pthread_t owner;
	uint8_t *buf;
	size_t len, cap, ops;
	MDB_txn *txn;		/* the write transaction being recorded */
	size_t mark_len, mark_ops;	/* where it began in buf */
	int64_t lmdb_ns;	/* inside its LMDB calls */
	uint64_t timed;		/* calls timed */
	double clock_ns;	/* what one reading of the clock costs */
	MDB_cursor *cur[BT_CURSORS];
	uint32_t cur_dbi[BT_CURSORS];	/* the database of each */
	unsigned dbflags[BT_DBIS];
	bool dbseen[BT_DBIS];
} bt;

/* Measure what one bench_ns() costs (once): each timed call carries about
 * one reading of the clock in its interval, taken off afterwards. */
static void
bt_calibrate(void)
{
	enum { N = 20000 };
	int64_t best = INT64_MAX;

	if (bt.clock_ns > 0)
		return;
	for (int r = 0; r < 5; r++) {	/* the least disturbed of 5 */
		int64_t a = bench_ns();

		for (int i = 0; i < N; i++)
			(void)bench_ns();
		int64_t d = bench_ns() - a;
		if (d < best)
			best = d;
	}
	bt.clock_ns = (double)best / (N + 1);
}

void
btrace_start(void)
{
	bt_calibrate();
	bt.timed = 0;
	bt.len = bt.ops = 0;
	bt.broken = false;
	bt.txn = NULL;
	bt.lmdb_ns = 0;
	memset(bt.cur, 0, sizeof(bt.cur));
	memset(bt.dbseen, 0, sizeof(bt.dbseen));
	bt.owner = pthread_self();
	bt.on = true;
}

void
btrace_stop(void)
{
	bt.on = false;
	bt.txn = NULL;
}

size_t
btrace_ops(void)
{
	return bt.ops;
}

double
btrace_lmdb_seconds(void)
{
	double ns = (double)bt.lmdb_ns - (double)bt.timed * bt.clock_ns;

	return ns > 0 ? ns / 1e9 : 0;
}

void
btrace_free(void)
{
	free(bt.buf);
	bt.buf = NULL;
	bt.len = bt.cap = bt.ops = 0;
}

/* Is this call the recording's: on its thread, while it records? */
static bool
bt_mine(void)
{
	return bt.on && !bt.broken && pthread_equal(pthread_self(), bt.owner);
}

/* Is txn the write transaction being recorded? */
static bool
bt_txn(const MDB_txn *txn)
{
	return bt_mine() && txn != NULL && txn == bt.txn;
}

static void
bt_break(int rc)
{
	bt.broken = true;
	bt.broken_rc = rc;
}

/* Append an entry (its key and value copied now, before LMDB may move
 * or reuse the bytes) and return its offset, for bt_end(); SIZE_MAX if
 * the recording broke. */
static size_t
bt_begin(const struct bt_op *h, const void *key, const void *val)
{
	size_t need = sizeof(*h) + h->klen + h->vlen, at = bt.len;

	need = (need + 7) & ~(size_t)7;
	if (h->klen > BT_KEY_MAX || h->dbi >= BT_DBIS) {
		bt_break(LD_ELIMIT);
		return SIZE_MAX;
	}
	if (bt.len + need > bt.cap) {
		size_t cap = bt.cap ? bt.cap : (size_t)1 << 20;
		uint8_t *nb;

		while (cap < bt.len + need)
			cap *= 2;
		nb = realloc(bt.buf, cap);
		if (nb == NULL) {
			bt_break(LD_ENOMEM);
			return SIZE_MAX;
		}
		bt.buf = nb;
		bt.cap = cap;
	}
	memcpy(bt.buf + at, h, sizeof(*h));
	if (h->klen)
		memcpy(bt.buf + at + sizeof(*h), key, h->klen);
	if (h->vlen)
		memcpy(bt.buf + at + sizeof(*h) + h->klen, val, h->vlen);
	bt.len += need;
	bt.ops++;
	return at;
}

/* The code LMDB gave for the entry at offset at, and the time the call
 * took (from t0). */
static void
bt_end(size_t at, int rc, int64_t t0)
{
	int32_t r = rc;

	bt.lmdb_ns += bench_ns() - t0;
	bt.timed++;
	if (at != SIZE_MAX && !bt.broken)
		memcpy(bt.buf + at + offsetof(struct bt_op, rc), &r, sizeof(r));
}

/* Remember how database dbi was opened (first sight only). */
static void
bt_see_dbi(MDB_txn *txn, MDB_dbi dbi)
{
	unsigned f = 0;

	if (dbi >= BT_DBIS || bt.dbseen[dbi])
		return;
	if (mdb_dbi_flags(txn, dbi, &f) == 0) {
		bt.dbflags[dbi] = f & BT_DB_FLAGS;
		bt.dbseen[dbi] = true;
	}
}

/* The recorded transaction ended: LMDB closed its cursors with it. */
static void
bt_txn_ended(void)
{
	bt.txn = NULL;
	memset(bt.cur, 0, sizeof(bt.cur));
}

int
__wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
    MDB_txn **txn)
{
	int rc = __real_mdb_txn_begin(env, parent, flags, txn);

	if (rc != 0 || !bt_mine() || (flags & MDB_RDONLY))
		return rc;
	if (parent != NULL || bt.txn != NULL) {
		bt_break(LD_ELIMIT);	/* nested, or two at once */
		return rc;
	}
	bt.txn = *txn;
	bt.mark_len = bt.len;
	bt.mark_ops = bt.ops;
	return rc;
}

int
__wrap_mdb_txn_commit(MDB_txn *txn)
{
	struct bt_op h = { .kind = BT_COMMIT };
	bool mine = bt_txn(txn);
	int64_t t0 = bench_ns();
	int rc = __real_mdb_txn_commit(txn);

	if (!mine)
		return rc;
	bt.lmdb_ns += bench_ns() - t0;
	bt.timed++;
	if (rc == 0) {
		bt_begin(&h, NULL, NULL);
	} else {
		bt.len = bt.mark_len;	/* it did not happen */
		bt.ops = bt.mark_ops;
	}
	bt_txn_ended();
	return rc;
}

void
__wrap_mdb_txn_abort(MDB_txn *txn)
{
	if (bt_txn(txn)) {
		bt.len = bt.mark_len;	/* the retry records it again */
		bt.ops = bt.mark_ops;
		bt_txn_ended();
	}
	__real_mdb_txn_abort(txn);
}

int
__wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
    unsigned int flags)
{
	struct bt_op h = { .kind = BT_PUT, .dbi = dbi, .flags = flags };
	size_t at;

	if (!bt_txn(txn))
		return __real_mdb_put(txn, dbi, key, data, flags);
	if (flags & MDB_RESERVE)
		bt_break(LD_ELIMIT);	/* the store never reserves */
	bt_see_dbi(txn, dbi);
	h.klen = (uint32_t)key->mv_size;
	h.vlen = (uint32_t)data->mv_size;
	at = bt_begin(&h, key->mv_data, data->mv_data);
	int64_t t0 = bench_ns();
	int rc = __real_mdb_put(txn, dbi, key, data, flags);
	bt_end(at, rc, t0);
	return rc;
}

/* A get or a delete (same signature): passed on to real, recorded if in
 * the recorded transaction. */
static int
bt_keyed(enum bt_kind kind, int (*real)(MDB_txn *, MDB_dbi, MDB_val *,
    MDB_val *), MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	struct bt_op h = { .kind = (uint8_t)kind, .dbi = dbi };
	size_t at;

	if (!bt_txn(txn))
		return real(txn, dbi, key, data);
	if (kind == BT_DEL && data != NULL)
		bt_break(LD_ELIMIT);	/* the store deletes whole keys */
	bt_see_dbi(txn, dbi);
	h.klen = (uint32_t)key->mv_size;
	at = bt_begin(&h, key->mv_data, NULL);
	int64_t t0 = bench_ns();
	int rc = real(txn, dbi, key, data);
	bt_end(at, rc, t0);
	return rc;
}

int
__wrap_mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	return bt_keyed(BT_GET, __real_mdb_get, txn, dbi, key, data);
}

int
__wrap_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	return bt_keyed(BT_DEL, __real_mdb_del, txn, dbi, key, data);
}

int
__wrap_mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor)
{
	struct bt_op h = { .kind = BT_COPEN, .dbi = dbi };
	int rc = __real_mdb_cursor_open(txn, dbi, cursor);
	int i;

	if (!bt_txn(txn) || rc != 0)
		return rc;
	for (i = 0; i < BT_CURSORS && bt.cur[i] != NULL; i++)
		;
	if (i == BT_CURSORS) {
		bt_break(LD_ELIMIT);
		return rc;
	}
	bt_see_dbi(txn, dbi);
	bt.cur[i] = *cursor;
	bt.cur_dbi[i] = dbi;
	h.cid = (uint8_t)i;
	bt_begin(&h, NULL, NULL);
	return rc;
}

/* The slot of a recorded cursor, or -1. */
static int
bt_cursor_slot(const MDB_cursor *c)
{
	for (int i = 0; i < BT_CURSORS; i++)
		if (bt.cur[i] == c)
			return i;
	return -1;
}

/* Does cursor op read the key it is given? */
static bool
bt_cop_takes_key(MDB_cursor_op op)
{
	return op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE ||
	    op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE;
}

int
__wrap_mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    MDB_cursor_op op)
{
	struct bt_op h = { .kind = BT_CGET, .cop = (uint8_t)op };
	int slot;
	size_t at;

	if (!bt_txn(mdb_cursor_txn(cursor)))
		return __real_mdb_cursor_get(cursor, key, data, op);
	slot = bt_cursor_slot(cursor);
	if (slot < 0 || op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE ||
	    (bt_cop_takes_key(op) && key == NULL))
		bt_break(LD_ELIMIT);	/* not what the store does */
	h.cid = (uint8_t)(slot < 0 ? 0 : slot);
	h.dbi = slot < 0 ? 0 : bt.cur_dbi[slot];
	if (bt_cop_takes_key(op) && key != NULL)
		h.klen = (uint32_t)key->mv_size;
	at = bt_begin(&h, h.klen ? key->mv_data : NULL, NULL);
	int64_t t0 = bench_ns();
	int rc = __real_mdb_cursor_get(cursor, key, data, op);
	bt_end(at, rc, t0);
	return rc;
}

void
__wrap_mdb_cursor_close(MDB_cursor *cursor)
{
	struct bt_op h = { .kind = BT_CCLOSE };
	int slot = bt_txn(mdb_cursor_txn(cursor)) ? bt_cursor_slot(cursor) :
	    -1;

	__real_mdb_cursor_close(cursor);
	if (slot < 0)
		return;
	bt.cur[slot] = NULL;
	h.cid = (uint8_t)slot;
	h.dbi = bt.cur_dbi[slot];
	bt_begin(&h, NULL, NULL);
}

/* Writes the replay does not play: they break the recording. */
int
__wrap_mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    unsigned int flags)
{
	if (bt_txn(mdb_cursor_txn(cursor)))
		bt_break(LD_ELIMIT);
	return __real_mdb_cursor_put(cursor, key, data, flags);
}

int
__wrap_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags)
{
	if (bt_txn(mdb_cursor_txn(cursor)))
		bt_break(LD_ELIMIT);
	return __real_mdb_cursor_del(cursor, flags);
}

int
__wrap_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del)
{
	if (bt_txn(txn))
		bt_break(LD_ELIMIT);
	return __real_mdb_drop(txn, dbi, del);
}

/* ---- replay ------------------------------------------------------------ */

struct bt_play {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi[BT_DBIS];
	bool open[BT_DBIS];
	MDB_cursor *cur[BT_CURSORS];
};

/* The replay's handle of the store's database dbi, opened on first use. */
static int
bt_play_dbi(struct bt_play *p, uint32_t dbi, MDB_dbi *out)
{
	char name[16];
	int rc;

	if (!p->open[dbi]) {
		snprintf(name, sizeof(name), "d%u", dbi);
		rc = mdb_dbi_open(p->txn, name, MDB_CREATE | bt.dbflags[dbi],
		    &p->dbi[dbi]);
		if (rc != 0)
			return rc;
		p->open[dbi] = true;
	}
	*out = p->dbi[dbi];
	return 0;
}

/* Play one entry in p->txn; its code into *rc (an LMDB code), or a
 * negative LD code if it cannot be played. */
static int
bt_play_one(struct bt_play *p, const struct bt_op *h, const uint8_t *kb,
    int *rc)
{
	MDB_val k = { h->klen, (void *)kb }, v = { h->vlen,
		(void *)(kb + h->klen) };
	MDB_dbi d = 0;
	int r = 0;

	if (h->kind == BT_PUT || h->kind == BT_GET || h->kind == BT_DEL ||
	    h->kind == BT_COPEN) {
		r = bt_play_dbi(p, h->dbi, &d);
		if (r != 0) {
			*rc = r;
			return 0;
		}
	}
	switch (h->kind) {
	case BT_PUT:
		r = __real_mdb_put(p->txn, d, &k, &v, h->flags);
		break;
	case BT_GET:
		r = __real_mdb_get(p->txn, d, &k, &v);
		break;
	case BT_DEL:
		r = __real_mdb_del(p->txn, d, &k, NULL);
		break;
	case BT_COPEN:
		if (p->cur[h->cid] != NULL)
			return LD_EINVAL;
		r = __real_mdb_cursor_open(p->txn, d, &p->cur[h->cid]);
		break;
	case BT_CGET:
		if (p->cur[h->cid] == NULL)
			return LD_EINVAL;
		r = __real_mdb_cursor_get(p->cur[h->cid], &k, &v,
		    (MDB_cursor_op)h->cop);
		break;
	case BT_CCLOSE:
		if (p->cur[h->cid] == NULL)
			return LD_EINVAL;
		__real_mdb_cursor_close(p->cur[h->cid]);
		p->cur[h->cid] = NULL;
		break;
	default:
		return LD_EINVAL;
	}
	*rc = r;
	return 0;
}

static const char *
bt_kind_name(int kind)
{
	static const char *const names[] = { "?", "put", "get", "del",
		"cursor_open", "cursor_get", "cursor_close", "commit" };

	return kind >= 0 && kind <= BT_COMMIT ? names[kind] : "?";
}

/* Close the replay's cursors (before a commit or an abort). */
static void
bt_play_close_cursors(struct bt_play *p)
{
	for (int i = 0; i < BT_CURSORS; i++)
		if (p->cur[i] != NULL) {
			__real_mdb_cursor_close(p->cur[i]);
			p->cur[i] = NULL;
		}
}

/* Give up the transaction being played (and the database handles it
 * may have opened). */
static void
bt_play_abort(struct bt_play *p)
{
	bt_play_close_cursors(p);
	__real_mdb_txn_abort(p->txn);
	p->txn = NULL;
	memset(p->open, 0, sizeof(p->open));
}

/* Play one recorded transaction, from *off to its commit mark; *n counts
 * the entries read.  0, or an LD code with err set (aborted). */
static int
bt_play_txn(struct bt_play *p, size_t *off, size_t *n,
    struct btrace_result *res, struct ld_err *err)
{
	int rc = __real_mdb_txn_begin(p->env, NULL, 0, &p->txn);

	if (rc != 0)
		return err_set(err, LD_EIO, "replay: mdb_txn_begin: %s",
		    mdb_strerror(rc));
	for (;;) {
		struct bt_op h;
		int got = 0;

		if (*off >= bt.len) {
			bt_play_abort(p);
			return err_set(err, LD_EINVAL, "replay: the recording "
			    "ends inside a transaction (op %zu)", *n);
		}
		memcpy(&h, bt.buf + *off, sizeof(h));
		const uint8_t *kb = bt.buf + *off + sizeof(h);
		*off += (sizeof(h) + h.klen + h.vlen + 7) & ~(size_t)7;
		++*n;
		if (h.kind == BT_COMMIT)
			break;
		rc = bt_play_one(p, &h, kb, &got);
		if (rc != 0) {
			bt_play_abort(p);
			return err_set(err, rc, "replay: op %zu (%s, cursor %u) "
			    "is not one the recording can hold", *n,
			    bt_kind_name(h.kind), h.cid);
		}
		if (got != h.rc) {
			bt_play_abort(p);
			return err_set(err, LD_EINVAL, "replay: op %zu (%s on "
			    "database %u) gave %d (%s) where the store got %d "
			    "(%s)", *n, bt_kind_name(h.kind), h.dbi, got,
			    mdb_strerror(got), h.rc, mdb_strerror(h.rc));
		}
		res->ops += h.kind != BT_COPEN && h.kind != BT_CCLOSE;
		res->puts += h.kind == BT_PUT;
		res->gets += h.kind == BT_GET;
		res->dels += h.kind == BT_DEL;
		res->cursor_steps += h.kind == BT_CGET;
	}
	bt_play_close_cursors(p);
	rc = __real_mdb_txn_commit(p->txn);
	p->txn = NULL;
	if (rc != 0)
		return err_set(err, LD_EIO, "replay: mdb_txn_commit: %s",
		    mdb_strerror(rc));
	return 0;
}

int
btrace_replay(MDB_env *env, struct btrace_result *res, struct ld_err *err)
{
	struct bt_play p = { .env = env };	/* handles opened afresh */
	size_t off = 0, n = 0;
	int rc = 0;

	if (bt.broken) {
		rc = bt.broken_rc;
		bt.len = bt.ops = 0;
		return err_set(err, rc, "the recording of LMDB operations is "
		    "unusable: %s", rc == LD_ENOMEM ? "out of memory" :
		    "an operation the replay does not play (a cursor opened "
		    "before it, too many cursors, a nested transaction, a key "
		    "over 511 bytes, a reserved put, a value with a delete, a "
		    "cursor put or delete, a drop)");
	}
	while (off < bt.len && rc == 0) {
		int64_t t0 = bench_ns();
		double c0 = bench_thread_cpu();

		rc = bt_play_txn(&p, &off, &n, res, err);
		if (rc == 0) {
			res->cpu += bench_thread_cpu() - c0;
			res->seconds += (double)(bench_ns() - t0) / 1e9;
			res->commits++;
		}
	}
	bt.len = bt.ops = 0;
	return rc;
}
