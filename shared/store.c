/*
 * store.c - the event log and views in LMDB (see store.h for the layout).
 *
 * Write path: store_commit() opens one write transaction, runs each event
 * through store_apply_one() (sequence, ticket id, state machine, view,
 * indexes, counters, cursor, log) and commits once.  An LMDB error other
 * than a refusal aborts the whole transaction: the caller answers every
 * item with that error, and nothing is half-written.
 */
#include "store.h"
#include "codec.h"
#include "log.h"
#include "ltime.h"
#include "store_int.h"
#include "views.h"

#include <assert.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_MAP_DEFAULT ((size_t)64 << 20)
#define STORE_MAP_MAX_DEFAULT ((size_t)64 << 30)

static const char *const store_counter_names[LD_C__COUNT] = {
	"calls_in", "answered", "valid", "police", "fire", "medical", "linkage",
	"tickets", "wo_dispatched", "wo_signed", "wo_completed", "wo_returned",
	"completed", "reported", "callbacks", "satisfied", "basic",
	"unsatisfied", "reopened", "closed", "urged", "supervised",
	"ext_requested", "ext_granted", "ext_refused", "transfers", "plans",
	"announcements", "ruled", "done", "attached", "incidents_closed",
	"incident_minutes",
};

static const char *const store_ucounter_names[LD_U__COUNT] = {
	"received", "signed_on_time", "completed", "completed_on_time",
	"returned", "sent_back", "extended", "urged", "supervised",
	"callbacks", "satisfied", "basic", "unsatisfied",
};

const char *
store_ucounter_name(enum ld_ucounter c)
{
	return (unsigned)c < LD_U__COUNT ? store_ucounter_names[c] : "?";
}

const char *
store_counter_name(enum ld_counter c)
{
	return (unsigned)c < LD_C__COUNT ? store_counter_names[c] : "?";
}

/* Map an LMDB or errno code to ours, with a message. */
int
store_mdb_err(struct ld_err *err, int rc, const char *what)
{
	int code;

	switch (rc) {
	case MDB_MAP_FULL:
		code = LD_EFULL;
		break;
	case MDB_INVALID:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
	case MDB_BAD_TXN:
		code = LD_ECORRUPT;
		break;
	case MDB_VERSION_MISMATCH:
		code = LD_ESCHEMA;
		break;
	case ENOMEM:
		code = LD_ENOMEM;
		break;
	default:
		code = LD_EIO;
		break;
	}
	return err_set(err, code, "%s: %s", what, mdb_strerror(rc));
}

static void
store_origin_key(uint8_t *k, const char *origin)
{
	memset(k, 0, LD_NODE_MAX);
	memcpy(k, origin, strnlen(origin, LD_NODE_MAX));
}

/* ---- open / close ------------------------------------------------------ */

static int
store_open_dbis(struct ld_store *s, MDB_txn *txn, unsigned flags,
    struct ld_err *err)
{
	static const char *const names[] = { "meta", "events", "applied",
		"tickets", "details", "history", "counters", "unit_counters",
		"announcements" };
	MDB_dbi *slots[] = { &s->meta, &s->events, &s->applied, &s->tickets,
		&s->details, &s->history, &s->counters, &s->ucounters,
		&s->news };
	int rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(txn, names[i], flags, slots[i]);
		if (rc != 0)
			return store_mdb_err(err, rc, names[i]);
	}
	for (int i = 0; i < LD_IX__COUNT; i++) {
		rc = mdb_dbi_open(txn, views_index_names[i], flags, &s->idx[i]);
		if (rc != 0)
			return store_mdb_err(err, rc, views_index_names[i]);
	}
	return LD_OK;
}

/* Read the schema record in a read-only transaction, before anything is
 * written: a store of another version is left exactly as it was. */
static int store_migrate(struct ld_store *s, struct ld_err *err);

static int
store_check_schema(struct ld_store *s, const struct ld_store_opts *o,
    bool *fresh, struct ld_err *err)
{
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = { 6, (void *)"schema" }, v;
	int rc;

	*fresh = false;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return store_mdb_err(err, rc, o->dir);
	rc = mdb_dbi_open(txn, "meta", 0, &meta);
	if (rc == MDB_NOTFOUND) {
		MDB_stat st;
		MDB_dbi main_db;
		/* no meta: a new store, unless the file already holds data */
		rc = mdb_dbi_open(txn, NULL, 0, &main_db);
		if (rc == 0)
			rc = mdb_stat(txn, main_db, &st);
		mdb_txn_abort(txn);
		if (rc != 0)
			return store_mdb_err(err, rc, o->dir);
		if (st.ms_entries != 0)
			return err_set(err, LD_ECORRUPT, "%s: an LMDB database "
			    "that is not a liandong store (no schema record)",
			    o->dir);
		*fresh = true;
		return LD_OK;
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return store_mdb_err(err, rc, o->dir);
	}
	rc = mdb_get(txn, meta, &k, &v);
	if (rc != 0 || v.mv_size != 4) {
		mdb_txn_abort(txn);
		return err_set(err, LD_ECORRUPT, "%s: schema record missing or "
		    "damaged", o->dir);
	}
	const uint8_t *p = v.mv_data;
	uint32_t ver = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (ver >= 1 && ver < LD_STORE_SCHEMA && o->migrate) {
		s->migrating = true;	/* the log is the same; views rebuilt */
	} else if (ver >= 1 && ver < LD_STORE_SCHEMA) {
		mdb_txn_abort(txn);
		return err_set(err, LD_ESCHEMA, "%s: store has schema version %u; "
		    "this build reads version %u; nothing was changed (start "
		    "the node once with --migrate: its views are rebuilt from "
		    "the log, which is kept as it is)", o->dir, ver,
		    LD_STORE_SCHEMA);
	} else if (ver != LD_STORE_SCHEMA) {
		mdb_txn_abort(txn);
		return err_set(err, LD_ESCHEMA, "%s: store has schema version %u; "
		    "this build reads version %u; nothing was changed (use the "
		    "matching build, or migrate)", o->dir, ver, LD_STORE_SCHEMA);
	}
	MDB_val nk = { 4, (void *)"node" }, nv;
	rc = mdb_get(txn, meta, &nk, &nv);
	if (rc != 0 || nv.mv_size > LD_NODE_MAX) {
		mdb_txn_abort(txn);
		return err_set(err, LD_ECORRUPT, "%s: node record missing or "
		    "damaged", o->dir);
	}
	if (nv.mv_size != strlen(o->node) ||
	    memcmp(nv.mv_data, o->node, nv.mv_size) != 0) {
		int n = (int)nv.mv_size;
		mdb_txn_abort(txn);
		return err_set(err, LD_EINVAL, "%s: store belongs to node %.*s, "
		    "not %s", o->dir, n, (const char *)nv.mv_data, o->node);
	}
	mdb_txn_abort(txn);
	return LD_OK;
}

static int
store_init_meta(struct ld_store *s, MDB_txn *txn, struct ld_err *err)
{
	uint8_t ver[4];
	MDB_val k = { 6, (void *)"schema" }, v = { 4, ver };
	MDB_val nk = { 4, (void *)"node" }, nv = { strlen(s->node), s->node };
	int rc;

	views_put_u32(ver, LD_STORE_SCHEMA);
	rc = mdb_put(txn, s->meta, &k, &v, 0);
	if (rc == 0)
		rc = mdb_put(txn, s->meta, &nk, &nv, 0);
	return rc == 0 ? LD_OK : store_mdb_err(err, rc, "writing schema");
}

uint64_t
store_last_applied(struct ld_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t last = 0;

	if (mdb_cursor_open(txn, s->applied, &c) != 0)
		return 0;
	if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
		last = views_get_u64(k.mv_data);
	mdb_cursor_close(c);
	return last;
}

/* Does dir hold a checkpoint file with something in it? */
static bool
store_has_ckpt(const char *dir)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_CKPT_FILE);
	return stat(path, &st) == 0 && st.st_size > 0;
}

/* The journal after the environment opened: apply the records after the
 * database's last one, then a checkpoint (the start is durable, its
 * snapshot held). */
static int
store_open_journal(struct ld_store *s, struct ld_err *err)
{
	MDB_stat ms;
	uint64_t n = 0;
	int rc;

	if ((rc = mdb_env_stat(s->env, &ms)) != 0)
		return store_mdb_err(err, rc, s->dir);
	s->psize = ms.ms_psize;
	if ((rc = store_jnl_open(s, err)) != 0)
		return rc;
	/* the journal and checkpoint files' names durable in the directory */
	int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		rc = err_set(err, LD_EIO, "%s: %s", s->dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return rc;
	}
	close(dfd);
	if ((rc = store_jnl_key(s, err)) != 0)
		return rc;
	/* before the records: one may need the map to grow, which takes a
	 * checkpoint */
	if ((rc = store_ckpt_start(s, err)) != 0)
		return rc;
	/* an older schema: its build must apply its records */
	if ((rc = store_jnl_recover(s, !s->migrating, &n, err)) != 0)
		return rc;
	s->n_replayed = n;
	rc = store_ckpt_take(s, err);
	if (rc != 0)
		return err_prefix(err, "%s: the first checkpoint", s->dir);
	s->jready = true;
	return LD_OK;
}

int
store_open(struct ld_store **sp, const struct ld_store_opts *o,
    struct ld_err *err)
{
	struct ld_store *s;
	MDB_txn *txn;
	MDB_envinfo info;
	char lockpath[PATH_MAX];
	bool fresh;
	int rc;

	*sp = NULL;
	if (o == NULL || o->dir == NULL || o->node == NULL)
		return err_set(err, LD_EINVAL, "store: dir and node are required");
	if (!event_node_id_ok(o->node))
		return err_set(err, LD_EINVAL, "store: bad node id '%s' (1-8 of "
		    "A-Z, 0-9, starting with a letter)", o->node);
	if (strlen(o->dir) > PATH_MAX - 32)
		return err_set(err, LD_EINVAL, "store: path too long");
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
		return err_set(err, LD_EIO, "%s: cannot create: %s", o->dir,
		    strerror(errno));

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(err, LD_ENOMEM, "store: out of memory");
	s->lockfd = -1;
	pthread_rwlock_init(&s->grow_lock, NULL);
	snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
	snprintf(s->node, sizeof(s->node), "%s", o->node);
	s->map_size = o->map_size ? o->map_size : STORE_MAP_DEFAULT;
	s->map_max = o->map_max ? o->map_max : STORE_MAP_MAX_DEFAULT;
	if (s->map_max < s->map_size)
		s->map_max = s->map_size;
	s->journal = !o->no_sync;
	s->jfd[0] = s->jfd[1] = -1;
	s->cfd = -1;
	pthread_mutex_init(&s->ck_mu, NULL);
	pthread_cond_init(&s->ck_cv, NULL);
	s->ckpt_bytes = o->ckpt_bytes ? o->ckpt_bytes : STORE_CKPT_BYTES;
	s->ckpt_recs = o->ckpt_recs ? o->ckpt_recs : STORE_CKPT_RECS;

	/* One writing process per store: LMDB would let a second one in. */
	snprintf(lockpath, sizeof(lockpath), "%s/liandong.lock", o->dir);
	s->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		rc = err_set(err, LD_EIO, "%s: %s", lockpath, strerror(errno));
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = err_set(err, LD_EBUSY, "%s: store is in use by another "
		    "process", o->dir);
		goto fail;
	}

	if (!s->journal && store_has_ckpt(o->dir)) {
		rc = err_set(err, LD_EINVAL, "%s: this store is kept with a "
		    "journal (%s): it opens durable only", o->dir,
		    STORE_CKPT_FILE);
		goto fail;
	}
	if (s->journal && sodium_init() < 0) {
		rc = err_set(err, LD_EIO, "store: libsodium did not start");
		goto fail;
	}
	/* after a crash: back to the last checkpoint (store_ckpt.c) */
	if (s->journal && (rc = store_ckpt_restore(s, err)) != 0)
		goto fail;
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, 24);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, s->map_size);
	if (rc == 0)
		rc = mdb_env_open(s->env, o->dir, MDB_NOTLS | MDB_NOSYNC,
		    0600);	/* durable through the journal, or not at all */
	if (rc != 0) {
		if (rc == MDB_INVALID)
			rc = err_set(err, LD_ECORRUPT, "%s/data.mdb: not a "
			    "liandong store, or its header is damaged (%s); "
			    "nothing was changed", o->dir, mdb_strerror(rc));
		else
			rc = store_mdb_err(err, rc, o->dir);
		goto fail;
	}
	if (mdb_env_info(s->env, &info) == 0 && info.me_mapsize > s->map_size)
		s->map_size = info.me_mapsize;	/* file larger than asked */
	/* before anything is written: the checkpoint's snapshot held, so a
	 * crash during the recovery comes back to it whole */
	if (s->journal && (rc = store_ckpt_rehold(s)) != 0) {
		rc = store_mdb_err(err, rc, "holding the checkpoint");
		goto fail;
	}

	rc = store_check_schema(s, o, &fresh, err);
	if (rc != 0)
		goto fail;
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, o->dir);
		goto fail;
	}
	rc = store_open_dbis(s, txn, MDB_CREATE, err);
	if (rc == 0 && fresh)
		rc = store_init_meta(s, txn, err);
	if (rc != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	s->applied_last = store_last_applied(s, txn);
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "creating databases");
		goto fail;
	}
	if (s->journal && (rc = store_open_journal(s, err)) != 0)
		goto fail;
	if (s->migrating && (rc = store_migrate(s, err)) != 0)
		goto fail;
	*sp = s;
	return LD_OK;
fail:
	store_close(s);
	return rc;
}

/* An older schema (1: before issue 6; 2: before issue 7; 3: before the
 * incidents' close counters; 4: before the history in the ticket records;
 * 5: before by_state of open tickets only) to this one: the
 * log (events, applied, meta) is the same; the views are rebuilt from it
 * (counters by node, unit counters, by_done, by_incident, by_plan,
 * announcements, the view format, the ticket records and the history,
 * by_state), then the schema record says so.  A
 * crash in between leaves the old schema: the next --migrate does it
 * again. */
static int
store_migrate(struct ld_store *s, struct ld_err *err)
{
	uint8_t ver[4];
	MDB_val k = { 6, (void *)"schema" }, v = { 4, ver };
	MDB_txn *txn;
	int rc = store_rebuild(s, true, err);

	if (rc != 0 && rc != LD_ECORRUPT)	/* ECORRUPT: replaced */
		return err_prefix(err, "migrating %s to schema %d", s->dir,
		    LD_STORE_SCHEMA);
	views_put_u32(ver, LD_STORE_SCHEMA);
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc == 0 && (rc = mdb_put(txn, s->meta, &k, &v, 0)) == 0)
		rc = mdb_txn_commit(txn);
	else if (rc == 0)
		mdb_txn_abort(txn);
	if (rc != 0)
		return store_mdb_err(err, rc, "migrating: schema record");
	if (s->journal && (rc = store_ckpt_take(s, err)) != 0)
		return err_prefix(err, "migrating %s", s->dir);
	log_warn("store", "%s: migrated to schema %d: views rebuilt "
	    "from %llu events of the log", s->dir, LD_STORE_SCHEMA,
	    (unsigned long long)s->applied_last);
	s->migrating = false;
	return LD_OK;
}

void
store_close(struct ld_store *s)
{
	if (s == NULL)
		return;
	if (s->jready) {
		struct ld_err e;

		/* a clean close: the next open applies nothing */
		if (store_ckpt_take(s, &e) != 0)
			log_error("store", "%s: closing: %s (the journal is "
			    "applied at the next open)", s->dir, e.msg);
	}
	store_ckpt_close(s);
	store_jnl_close(s);
	if (s->env != NULL)
		mdb_env_close(s->env);
	if (s->lockfd >= 0)
		close(s->lockfd);
	pthread_rwlock_destroy(&s->grow_lock);
	pthread_mutex_destroy(&s->ck_mu);
	pthread_cond_destroy(&s->ck_cv);
	free(s);
}

/* ---- the write path ---------------------------------------------------- */

void
store_txn_start(struct ld_store *s)
{
	s->n_wb_cur = 0;
	s->n_wb_cnt = 0;
	s->n_wb_ucnt = 0;
}

/* Add to the u64 BE value at key k of dbi (modulo 2^64); a value that
 * comes to 0 is deleted. */
static int
store_txn_add(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, int64_t add)
{
	uint8_t vb[8];
	MDB_val v;
	uint64_t n = 0;
	int rc;

	rc = mdb_get(txn, dbi, k, &v);
	if (rc == 0 && v.mv_size == 8)
		n = views_get_u64(v.mv_data);
	else if (rc == 0)
		return MDB_CORRUPTED;
	else if (rc != MDB_NOTFOUND)
		return rc;
	n += (uint64_t)add;
	if (n == 0)	/* absent and 0 are the same (rebuild compares keys) */
		return rc == 0 ? mdb_del(txn, dbi, k, NULL) : 0;
	views_put_u64(vb, n);
	v.mv_size = 8;
	v.mv_data = vb;
	return mdb_put(txn, dbi, k, &v, 0);
}

/* Write the counters the batch moved; empty the write-behind. */
int
store_txn_flush(struct ld_store *s, MDB_txn *txn)
{
	uint8_t cb[4 + LD_NODE_MAX + 1], ub[4 + LD_ID_MAX + 2];
	MDB_val k;
	int rc;

	s->n_wb_cur = 0;
	for (int i = 0; i < s->n_wb_cnt; i++) {
		if (s->wb_cnt[i].add == 0)
			continue;
		views_put_u32(cb, s->wb_cnt[i].day);
		memcpy(cb + 4, s->wb_cnt[i].node, LD_NODE_MAX);
		cb[4 + LD_NODE_MAX] = s->wb_cnt[i].counter;
		k.mv_size = sizeof(cb);
		k.mv_data = cb;
		rc = store_txn_add(txn, s->counters, &k, s->wb_cnt[i].add);
		if (rc != 0)
			return rc;
	}
	s->n_wb_cnt = 0;
	for (int i = 0; i < s->n_wb_ucnt; i++) {
		size_t ul = strlen(s->wb_ucnt[i].unit) + 1;

		if (s->wb_ucnt[i].add == 0)
			continue;
		views_put_u32(ub, s->wb_ucnt[i].month);
		memcpy(ub + 4, s->wb_ucnt[i].unit, ul);
		ub[4 + ul] = s->wb_ucnt[i].counter;
		k.mv_size = 4 + ul + 1;
		k.mv_data = ub;
		rc = store_txn_add(txn, s->ucounters, &k, s->wb_ucnt[i].add);
		if (rc != 0)
			return rc;
	}
	s->n_wb_ucnt = 0;
	return 0;
}

/* Highest seq of origin in the log of txn: the last events key with that
 * origin (the log has no gaps: out-of-order events are refused). */
int
store_log_last(struct ld_store *s, MDB_txn *txn, const char *origin,
    uint64_t *seq)
{
	uint8_t kb[LD_NODE_MAX + 8];
	MDB_val k = { sizeof(kb), kb }, v;
	MDB_cursor *c;
	int rc;

	*seq = 0;
	store_origin_key(kb, origin);
	memset(kb + LD_NODE_MAX, 0xff, 8);
	rc = mdb_cursor_open(txn, s->events, &c);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == LD_NODE_MAX + 8 &&
	    memcmp(k.mv_data, kb, LD_NODE_MAX) == 0)
		*seq = views_get_u64((uint8_t *)k.mv_data + LD_NODE_MAX);
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Highest contiguous seq of origin, in txn (the batch's cache first). */
static int
store_txn_cursor(struct ld_store *s, MDB_txn *txn, const char *origin,
    uint64_t *seq)
{
	for (int i = 0; i < s->n_wb_cur; i++)
		if (strcmp(s->wb_cur[i].origin, origin) == 0) {
			*seq = s->wb_cur[i].seq;
			return 0;
		}
	return store_log_last(s, txn, origin, seq);
}

/* Does the log hold origin/seq? */
static int
store_txn_has_event(struct ld_store *s, MDB_txn *txn, const char *origin,
    uint64_t seq, bool *held)
{
	uint8_t key[LD_NODE_MAX + 8];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	store_origin_key(key, origin);
	views_put_u64(key + LD_NODE_MAX, seq);
	rc = mdb_get(txn, s->events, &k, &v);
	*held = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Remember origin's new last seq for the rest of the batch (the highest
 * held: the caller passes max(cursor, seq), as sparse events may come
 * below it). */
static void
store_txn_set_cursor(struct ld_store *s, const char *origin, uint64_t seq)
{
	int i;

	for (i = 0; i < s->n_wb_cur; i++)
		if (strcmp(s->wb_cur[i].origin, origin) == 0)
			break;
	if (i == s->n_wb_cur) {
		if (i == STORE_WB_CUR)
			i = 0;	/* a cache: the log is the truth */
		snprintf(s->wb_cur[i].origin, sizeof(s->wb_cur[i].origin), "%s",
		    origin);
		if (i >= s->n_wb_cur)
			s->n_wb_cur = i + 1;
	}
	s->wb_cur[i].seq = seq;
}

/* Next ticket number of year for this node (not yet written). */
static int
store_txn_next_tid(struct ld_store *s, MDB_txn *txn, int year, uint64_t *n)
{
	char kb[16];
	MDB_val k, v;
	int rc;

	snprintf(kb, sizeof(kb), "tid:%04d", year);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		*n = 1;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*n = views_get_u64(v.mv_data) + 1;
	return 0;
}

static int
store_txn_put_tid(struct ld_store *s, MDB_txn *txn, int year, uint64_t n)
{
	char kb[16];
	uint8_t vb[8];
	MDB_val k, v = { 8, vb };
	uint64_t have = 0;

	snprintf(kb, sizeof(kb), "tid:%04d", year);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	if (mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == 8)
		have = views_get_u64(v.mv_data);
	if (n <= have)
		return 0;	/* replay: keep the highest */
	views_put_u64(vb, n);
	v.mv_size = 8;
	v.mv_data = vb;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* Load the view of ticket id into *t (zeroed if absent). */
/* The public feed's index: time | origin | seq of an announced event. */
static int
store_txn_news(struct ld_store *s, MDB_txn *txn, const struct ld_event *ev)
{
	uint8_t nk[8 + LD_NODE_MAX + 8];
	MDB_val nkv = { sizeof(nk), nk }, nv = { 0, (void *)"" };

	views_put_u64(nk, ev->time_ms < 0 ? 0 : (uint64_t)ev->time_ms);
	store_origin_key(nk + 8, ev->origin);
	views_put_u64(nk + 8 + LD_NODE_MAX, ev->seq);
	return mdb_put(txn, s->news, &nkv, &nv, 0);
}

int
store_view_split(const MDB_val *v, struct store_rec *r)
{
	const uint8_t *p = v->mv_data;
	size_t vlen;

	if (v->mv_size < STORE_REC_HEAD || (p[0] & ~STORE_REC_SPILLED) != 0)
		return -1;
	vlen = (size_t)p[1] << 8 | p[2];
	if (vlen > STORE_VIEW_CAP || vlen > v->mv_size - STORE_REC_HEAD ||
	    (v->mv_size - STORE_REC_HEAD - vlen) % STORE_HIST_ENTRY != 0)
		return -1;
	r->view = p + STORE_REC_HEAD;
	r->view_len = vlen;
	r->hist = r->view + vlen;
	r->n_hist = (v->mv_size - STORE_REC_HEAD - vlen) / STORE_HIST_ENTRY;
	r->spilled = (p[0] & STORE_REC_SPILLED) != 0;
	r->held = true;
	/* the write path puts at most STORE_HIST_INLINE entries, and at
	 * least one unless the history went on elsewhere from the start */
	if (r->n_hist > STORE_HIST_INLINE || (r->n_hist == 0 && !r->spilled))
		return -1;
	return 0;
}

int
store_txn_get_rec(struct ld_store *s, MDB_txn *txn, const char *id,
    struct store_rec *r, struct ld_err *err)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = mdb_get(txn, s->tickets, &k, &v);
	if (rc == MDB_NOTFOUND)
		return LD_OK;
	if (rc != 0)
		return store_mdb_err(err, rc, id);
	if (store_view_split(&v, r) != 0)
		return err_set(err, LD_ECORRUPT, "view of %s is damaged: its "
		    "record does not hold a view and whole history entries",
		    id);
	return LD_OK;
}

/* Ticket id's record into *r and its view, whole or its head only, into
 * *t (zeroed if absent). */
static int
store_txn_read_view(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct store_rec *r, bool head, struct ld_err *err)
{
	int rc = store_txn_get_rec(s, txn, id, r, err);

	if (rc != 0)
		return rc;
	if (!r->held) {
		memset(t, 0, sizeof(*t));
		return LD_OK;
	}
	rc = head ? codec_ticket_head_decode(r->view, r->view_len, t, err) :
	    codec_ticket_decode(r->view, r->view_len, t, err);
	if (rc != 0) {
		err_prefix(err, "view of %s is damaged", id);
		if (err)
			err->code = LD_ECORRUPT;
		return LD_ECORRUPT;
	}
	return LD_OK;
}

int
store_txn_get_view_rec(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct store_rec *r, struct ld_err *err)
{
	return store_txn_read_view(s, txn, id, t, r, false, err);
}

int
store_txn_get_view(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err)
{
	struct store_rec r;

	return store_txn_read_view(s, txn, id, t, &r, false, err);
}

int
store_txn_get_head(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err)
{
	struct store_rec r;

	return store_txn_read_view(s, txn, id, t, &r, true, err);
}

/* Has the history database an entry of ticket id?  (A ticket's first
 * record starts spilled if so: its history stays in order.) */
static int
store_txn_hist_in_db(struct ld_store *s, MDB_txn *txn, const char *id,
    bool *any)
{
	uint8_t pk[LD_TICKET_MAX + 1];
	size_t pl = strlen(id) + 1;
	MDB_val k = { pl, pk }, v;
	MDB_cursor *cur;
	int rc;

	memcpy(pk, id, pl);
	rc = mdb_cursor_open(txn, s->history, &cur);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	*any = rc == 0 && k.mv_size == pl + 8 && memcmp(k.mv_data, pk, pl) == 0;
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The history entry of the event at apply index app (8 bytes BE), whose
 * origin|seq is oskey: in the history database. */
static int
store_txn_hist_spill(struct ld_store *s, MDB_txn *txn, const char *id,
    const uint8_t *app, const uint8_t *oskey)
{
	uint8_t hk[LD_TICKET_MAX + 1 + 8];
	size_t idl = strlen(id) + 1;
	MDB_val hkv = { idl + 8, hk }, av = { STORE_HIST_ENTRY, (void *)oskey };

	memcpy(hk, id, idl);
	memcpy(hk + idl, app, 8);
	return mdb_put(txn, s->history, &hkv, &av, 0);
}

/*
 * Write ticket id's record: the view of vlen bytes already encoded at
 * s->vbuf + STORE_REC_HEAD, the history entries of *old (its record
 * before, or none) and the entry oskey of this event (at apply index app):
 * inline while the record holds fewer than STORE_HIST_INLINE and has not
 * spilled, else in the history database.  *old must point into the
 * transaction's pages, untouched since it was read.
 */
static int
store_txn_put_rec(struct ld_store *s, MDB_txn *txn, const char *id,
    size_t vlen, const struct store_rec *old, const uint8_t *app,
    const uint8_t *oskey)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	uint8_t *p = s->vbuf;
	bool spilled = old->spilled;
	size_t n = old->held ? old->n_hist : 0, off;
	int rc;

	if (!old->held) {
		rc = store_txn_hist_in_db(s, txn, id, &spilled);
		if (rc != 0)
			return rc;
	}
	if (n >= STORE_HIST_INLINE)
		spilled = true;
	off = STORE_REC_HEAD + vlen;
	assert(off + (n + 1) * STORE_HIST_ENTRY <= sizeof(s->vbuf));
	if (n > 0)
		memmove(p + off, old->hist, n * STORE_HIST_ENTRY);
	off += n * STORE_HIST_ENTRY;
	if (!spilled) {
		memcpy(p + off, oskey, STORE_HIST_ENTRY);
		off += STORE_HIST_ENTRY;
	}
	p[0] = spilled ? STORE_REC_SPILLED : 0;
	p[1] = (uint8_t)(vlen >> 8);
	p[2] = (uint8_t)vlen;
	v.mv_size = off;
	v.mv_data = p;
	rc = mdb_put(txn, s->tickets, &k, &v, 0);
	if (rc == 0 && spilled)
		rc = store_txn_hist_spill(s, txn, id, app, oskey);
	return rc;
}

/* The history entry of an event that left the view as it was (kept
 * refused, or about a ticket not held here).  Its event is in the log
 * already, so any failure here is fatal to the batch (an LMDB code). */
static int
store_txn_hist_only(struct ld_store *s, MDB_txn *txn, const char *id,
    const uint8_t *app, const uint8_t *oskey)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	struct store_rec r;
	int rc = mdb_get(txn, s->tickets, &k, &v);

	if (rc == MDB_NOTFOUND)
		return store_txn_hist_spill(s, txn, id, app, oskey);
	if (rc != 0)
		return rc;
	if (store_view_split(&v, &r) != 0) {
		log_error("store", "%s: the record of ticket %s is damaged; the "
		    "batch is not written (store_rebuild mends views from the "
		    "log)", s->dir, id);
		return MDB_CORRUPTED;
	}
	/* the view's bytes move to vbuf first: the put may reuse its page */
	memmove(s->vbuf + STORE_REC_HEAD, r.view, r.view_len);
	return store_txn_put_rec(s, txn, id, r.view_len, &r, app, oskey);
}

int
store_txn_get_details(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	int rc;

	rc = mdb_get(txn, s->details, &k, &v);
	if (rc == MDB_NOTFOUND)
		return LD_OK;
	if (rc != 0)
		return store_mdb_err(err, rc, id);
	rc = codec_details_decode(v.mv_data, v.mv_size, t, err);
	if (rc != 0) {
		err_prefix(err, "details of %s are damaged", id);
		if (err)
			err->code = LD_ECORRUPT;
		return LD_ECORRUPT;
	}
	return LD_OK;
}

static int
store_ikey_eq(const struct ld_ikey *a, const struct ld_ikey *b)
{
	return a->ix == b->ix && a->len == b->len &&
	    memcmp(a->k, b->k, a->len) == 0;
}

/* Delete index keys of *before not in *after; put those of *after not in
 * *before.  The work space lives in s (no allocation). */
static int
store_txn_reindex(struct ld_store *s, MDB_txn *txn,
    const struct ld_ticket *before, const struct ld_ticket *after)
{
	struct ld_ikey *ok = s->ikeys_old, *nk = s->ikeys_new;
	size_t no = views_index_keys(before, ok, LD_IKEYS_MAX);
	size_t nn = views_index_keys(after, nk, LD_IKEYS_MAX);
	MDB_val k, v = { 0, (void *)"" };
	int rc;

	for (size_t i = 0; i < no; i++) {
		size_t j;
		for (j = 0; j < nn && !store_ikey_eq(&ok[i], &nk[j]); j++)
			;
		if (j < nn)
			continue;
		k.mv_size = ok[i].len;
		k.mv_data = ok[i].k;
		rc = mdb_del(txn, s->idx[ok[i].ix], &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	for (size_t j = 0; j < nn; j++) {
		size_t i;
		for (i = 0; i < no && !store_ikey_eq(&ok[i], &nk[j]); i++)
			;
		if (i < no)
			continue;
		k.mv_size = nk[j].len;
		k.mv_data = nk[j].k;
		rc = mdb_put(txn, s->idx[nk[j].ix], &k, &v, 0);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Add delta[] to the counters of (local day, node) (written by
 * store_txn_flush). */
static int
store_txn_count(struct ld_store *s, MDB_txn *txn, uint32_t day,
    const char *node, const int32_t *delta)
{
	char nk[LD_NODE_MAX];
	int rc;

	memset(nk, 0, sizeof(nk));
	memcpy(nk, node, strnlen(node, LD_NODE_MAX));
	for (int c = 0; c < LD_C__COUNT; c++) {
		int i;

		if (delta[c] == 0)
			continue;
		for (i = 0; i < s->n_wb_cnt; i++)
			if (s->wb_cnt[i].day == day &&
			    s->wb_cnt[i].counter == c &&
			    memcmp(s->wb_cnt[i].node, nk, LD_NODE_MAX) == 0)
				break;
		if (i == s->n_wb_cnt) {
			if (i == STORE_WB_CNT) {
				rc = store_txn_flush(s, txn);
				if (rc != 0)
					return rc;
				i = 0;
			}
			s->wb_cnt[i].day = day;
			memcpy(s->wb_cnt[i].node, nk, LD_NODE_MAX);
			s->wb_cnt[i].counter = (uint8_t)c;
			s->wb_cnt[i].add = 0;
			s->n_wb_cnt = i + 1;
		}
		s->wb_cnt[i].add += delta[c];
	}
	return 0;
}

/* Add the unit counter changes ud[0 .. n) (written by store_txn_flush). */
static int
store_txn_ucount(struct ld_store *s, MDB_txn *txn, const struct ld_udelta *ud,
    size_t n)
{
	int rc;

	for (size_t j = 0; j < n; j++) {
		int i;

		for (i = 0; i < s->n_wb_ucnt; i++)
			if (s->wb_ucnt[i].month == ud[j].month &&
			    s->wb_ucnt[i].counter == ud[j].counter &&
			    strcmp(s->wb_ucnt[i].unit, ud[j].unit) == 0)
				break;
		if (i == s->n_wb_ucnt) {
			if (i == STORE_WB_UCNT) {
				rc = store_txn_flush(s, txn);
				if (rc != 0)
					return rc;
				i = 0;
			}
			s->wb_ucnt[i].month = ud[j].month;
			snprintf(s->wb_ucnt[i].unit, sizeof(s->wb_ucnt[i].unit),
			    "%s", ud[j].unit);
			s->wb_ucnt[i].counter = ud[j].counter;
			s->wb_ucnt[i].add = 0;
			s->n_wb_ucnt = i + 1;
		}
		s->wb_ucnt[i].add += ud[j].d;
	}
	return 0;
}

/* The log key of ev (origin|seq) and its apply index, both big-endian. */
static void
store_txn_oskey(const struct ld_store *s, const struct ld_event *ev,
    uint8_t *key, uint8_t *app)
{
	store_origin_key(key, ev->origin);
	views_put_u64(key + LD_NODE_MAX, ev->seq);
	views_put_u64(app, s->applied_txn + 1);
}

/*
 * Apply one event inside txn.  Returns 0 (applied), a refusal code with
 * err set (nothing written for this event: LD_EREFUSED, LD_EINVAL, LD_EDUP,
 * LD_EGAP, ...), or a positive LMDB code that must abort the transaction.
 * replay: the event comes from our own log (rebuild): its seq and ticket
 * id are kept as they are, whatever its origin.
 */
int
store_apply_one(struct ld_store *s, MDB_txn *txn, struct ld_event *ev,
    int64_t now, bool replay, bool sparse, struct ld_err *err)
{
	const struct ld_kind_def *kd;
	struct ld_ticket *before = &s->t_before, *after = &s->t_after;
	int32_t delta[LD_C__COUNT] = { 0 };
	char cnode[LD_NODE_MAX + 1];
	uint8_t key[LD_NODE_MAX + 8], app[8];
	MDB_val k, v;
	uint64_t cur, tid_n = 0;
	int tid_year = 0, rc, len, elen, dlen = 0;
	struct store_rec rec;
	bool local, hist_done = false;

	if ((unsigned)ev->kind >= LD_EV__COUNT || ev->kind == LD_EV_NONE)
		return err_set(err, LD_EINVAL, "unknown event kind %d", ev->kind);
	kd = &event_kinds[ev->kind];
	if (!event_node_id_ok(ev->origin))
		return err_set(err, LD_EINVAL, "origin: bad node id '%s'",
		    ev->origin);
	local = !replay && strcmp(ev->origin, s->node) == 0;

	rc = store_txn_cursor(s, txn, ev->origin, &cur);
	if (rc != 0)
		return rc;
	if (local) {
		if (ev->seq != 0)
			return err_set(err, LD_EINVAL, "seq: a local event gets "
			    "its sequence number from the store (got %llu)",
			    (unsigned long long)ev->seq);
		ev->seq = cur + 1;
	} else if (sparse || replay) {
		/* held already?  (the parent's events come with gaps; the
		 * log replayed by rebuild is taken as it is) */
		bool held = false;

		rc = store_txn_has_event(s, txn, ev->origin, ev->seq, &held);
		if (rc != 0)
			return rc;
		if (held || ev->seq == 0)
			return err_set(err, LD_EDUP, "event %s/%llu already "
			    "held", ev->origin, (unsigned long long)ev->seq);
	} else if (ev->seq <= cur) {
		return err_set(err, LD_EDUP, "event %s/%llu already applied "
		    "(have up to %llu)", ev->origin,
		    (unsigned long long)ev->seq, (unsigned long long)cur);
	} else if (ev->seq != cur + 1) {
		return err_set(err, LD_EGAP, "event %s/%llu out of order: next "
		    "expected is %llu", ev->origin,
		    (unsigned long long)ev->seq, (unsigned long long)cur + 1);
	}

	if (ev->kind == LD_EV_TICKET_CREATED && local && ev->ticket[0] != '\0') {
		rc = err_set(err, LD_EINVAL, "ticket: a local ticket.created gets "
		    "its id from the store (got '%s')", ev->ticket);
		goto undo;
	}
	if (ev->kind == LD_EV_TICKET_CREATED && local) {
		tid_year = ltime_year(ev->time_ms);
		rc = store_txn_next_tid(s, txn, tid_year, &tid_n);
		if (rc != 0)
			goto undo_mdb;
		if (ticket_id_format(ev->ticket, sizeof(ev->ticket), s->node,
		    tid_year, tid_n) != 0) {
			rc = err_set(err, LD_ELIMIT, "ticket numbers of %d are "
			    "used up", tid_year);
			goto undo;
		}
	} else if (ev->kind == LD_EV_TICKET_CREATED && (replay || !local)) {
		char node[LD_NODE_MAX + 1];
		if (ticket_id_parse(ev->ticket, node, &tid_year, &tid_n) != 0) {
			rc = err_set(err, LD_EINVAL, "ticket: bad id '%s'",
			    ev->ticket);
			goto undo;
		}
		if (strcmp(node, s->node) != 0)
			tid_n = 0;	/* another node's numbering */
	}

	/* encoding checks the schema too: one pass does both */
	elen = codec_event_encode(ev, s->ebuf, sizeof(s->ebuf), err);
	if (elen < 0) {
		rc = elen;
		goto undo;
	}
	store_txn_oskey(s, ev, key, app);	/* seq and id are final */
	if (ev->kind == LD_EV_CALL_CLASSIFIED && ev->valid &&
	    !event_has(ev, LD_F_CLASS)) {
		rc = err_set(err, LD_EINVAL, "body.class: a valid call needs a "
		    "class (police, fire, medical or linkage)");
		goto undo;
	}

	if (kd->ticket) {
		/* the details (caller, place, text, ...) are read and written
		 * only by the events that set them */
		bool details = ev->kind == LD_EV_TICKET_CREATED ||
		    (ev->kind == LD_EV_ROUTED && (event_has(ev, LD_F_CATEGORY) ||
		    event_has(ev, LD_F_AREA)));

		rc = store_txn_get_view_rec(s, txn, ev->ticket, before, &rec,
		    err);
		if (rc == 0 && details && ev->kind != LD_EV_TICKET_CREATED)
			rc = store_txn_get_details(s, txn, ev->ticket, before, err);
		if (rc != 0)
			goto undo;
		*after = *before;
		/* another node (or our own log) already accepted it: its clock
		 * is not ours to judge */
		rc = ticket_apply(after, ev, local ? now : INT64_MAX, err);
		if (rc != 0 && local)
			goto undo;
		if (rc != 0 && ev->kind == LD_EV_ANNOUNCED &&
		    before->id[0] == '\0') {
			/* another node's announcement about one of our areas
			 * on a ticket we do not hold (docs/federation.md §2):
			 * in the log and our feed, no view, not counted */
			rc = store_txn_news(s, txn, ev);
			if (rc != 0)
				goto undo_mdb;
			goto log_only;
		}
		if (rc != 0) {
			/* another node's event our state machine refuses: the
			 * log is the truth, so it is kept (views unchanged) and
			 * the disagreement reported; refusing it would stall
			 * the link for ever */
			s->disagreed = true;
			rc = 0;
			goto log_only;
		}
		if (details) {
			/* encoded before anything is written: a failure refuses
			 * this event only */
			dlen = codec_details_encode(after, s->dbuf, sizeof(s->dbuf),
			    err);
			if (dlen < 0) {
				rc = dlen;
				goto undo;
			}
		}
		len = codec_ticket_encode(after, s->vbuf + STORE_REC_HEAD,
		    STORE_VIEW_CAP, err);
		if (len < 0) {
			rc = len;
			goto undo;
		}
		rc = store_txn_put_rec(s, txn, after->id, (size_t)len, &rec,
		    app, key);
		hist_done = true;
		k.mv_size = strlen(after->id);
		k.mv_data = after->id;
		if (rc == 0 && details) {
			v.mv_size = (size_t)dlen;
			v.mv_data = s->dbuf;
			rc = mdb_put(txn, s->details, &k, &v, 0);
		}
		if (rc == 0)
			rc = store_txn_reindex(s, txn, before, after);
		if (rc != 0)
			goto undo_mdb;
		views_counter_deltas(ev, before, after, delta);
		views_count_node(ev, cnode);
		int dd = views_done_delta(before, after);
		if (dd != 0) {
			int32_t dl[LD_C__COUNT] = { 0 };

			dl[LD_C_DONE] = dd;
			rc = store_txn_count(s, txn, ltime_day(after->created_ms),
			    cnode, dl);
		}
		if (rc == 0) {
			struct ld_udelta ud[LD_UDELTAS_MAX];
			size_t nud = views_unit_deltas(ev, before, after, ud,
			    LD_UDELTAS_MAX);

			rc = store_txn_ucount(s, txn, ud, nud);
		}
		if (rc != 0)
			goto undo_mdb;
	} else {
		views_counter_deltas(ev, NULL, NULL, delta);
		views_count_node(ev, cnode);
	}
	rc = store_txn_count(s, txn, ltime_day(ev->time_ms), cnode, delta);
	if (rc == 0 && ev->kind == LD_EV_ANNOUNCED)
		rc = store_txn_news(s, txn, ev);
	if (rc != 0)
		goto undo_mdb;

log_only:
	k.mv_size = sizeof(key);
	k.mv_data = key;
	v.mv_size = (size_t)elen;
	v.mv_data = s->ebuf;
	rc = mdb_put(txn, s->events, &k, &v, MDB_NOOVERWRITE);
	if (rc != 0)
		goto undo_mdb;
	MDB_val ak = { 8, app }, av = { sizeof(key), key };
	rc = mdb_put(txn, s->applied, &ak, &av, MDB_APPEND);
	if (rc != 0)
		goto undo_mdb;
	if (kd->ticket && !hist_done) {
		/* the view was left as it was: the history entry alone */
		rc = store_txn_hist_only(s, txn, ev->ticket, app, key);
		if (rc != 0)
			goto undo_mdb;
	}
	s->applied_txn++;
	store_txn_set_cursor(s, ev->origin, ev->seq > cur ? ev->seq : cur);
	if (tid_n != 0)
		rc = store_txn_put_tid(s, txn, tid_year, tid_n);
	if (rc != 0)
		goto undo_mdb;
	if (s->jcap)	/* as applied: the journal applies it again so */
		store_jnl_event(s, s->ebuf, (size_t)elen);
	return 0;

undo:
	/* refused: give back what we assigned, nothing was written */
	if (local) {
		ev->seq = 0;
		if (tid_n != 0 && ev->kind == LD_EV_TICKET_CREATED)
			ev->ticket[0] = '\0';
	}
	assert(rc < 0 && !store_fatal(rc));
	return rc;
undo_mdb:
	if (local) {
		ev->seq = 0;
		if (tid_n != 0 && ev->kind == LD_EV_TICKET_CREATED)
			ev->ticket[0] = '\0';
	}
	assert(store_fatal(rc));
	return rc;
}

/* Items' events as the caller gave them, to retry after a map resize. */
static void
store_reset_items(struct ld_store_item *items, size_t n, uint8_t *assigned)
{
	for (size_t i = 0; i < n; i++) {
		if (assigned[i] & 1)
			items[i].ev->seq = 0;
		if (assigned[i] & 2)	/* an id the store gave, or one a
					 * group check filled in */
			items[i].ev->ticket[0] = '\0';
		items[i].rc = 0;
		items[i].idx = 0;
		err_clear(&items[i].err);
	}
}

int
store_grow(struct ld_store *s, struct ld_err *err)
{
	size_t want = s->map_size * 2;
	int rc;

	if (s->map_size >= s->map_max)
		return err_set(err, LD_EFULL, "%s: database full: map size %zu "
		    "MiB reached its maximum (map_max); nothing of this batch "
		    "was written", s->dir, s->map_size >> 20);
	if (want > s->map_max)
		want = s->map_max;
	/* no read open in this process, the checkpoint's either: take one
	 * (no commit can come between), let it go, hold it again after */
	bool ck = s->journal && s->psize != 0;

	if (ck && (rc = store_ckpt_take(s, err)) != 0)
		return err_prefix(err, "growing the map");
	store_ckpt_release(s);
	rc = mdb_env_set_mapsize(s->env, want);
	if (ck && store_ckpt_rehold(s) != 0) {
		struct ld_err e;

		/* no snapshot held: a new checkpoint holds one, before any
		 * commit (rebuild_replace commits right after this) */
		if (store_ckpt_take(s, &e) != 0)
			return err_set(err, e.code, "growing the map: %s",
			    e.msg);
	}
	if (rc != 0)
		return store_mdb_err(err, rc, "growing the map");
	log_info("store", "%s: map grown from %zu to %zu MiB", s->dir,
	    s->map_size >> 20, want >> 20);
	s->map_size = want;
	return LD_OK;
}

/*
 * Check the group g[0 .. m) (one request: see store.h) in the open write
 * transaction before any of it is written: the same checks store_apply_one
 * makes, in order, on a scratch copy of the ticket.  Fills each empty
 * ticket id after the head with the group's id.  Returns 0 when every item
 * would apply; a refusal code (every item then has it, with the reason of
 * the item refused); or a fatal LMDB code.
 */
static int
store_group_check(struct ld_store *s, MDB_txn *txn, struct ld_store_item *g,
    size_t m, int64_t now)
{
	struct ld_ticket *t = &s->t_group;
	char id[LD_TICKET_MAX + 1] = "";
	bool created = g[0].ev->kind == LD_EV_TICKET_CREATED, tickets = false;
	bool details = false;
	struct ld_err e;
	size_t i;
	int rc = 0;

	err_clear(&e);
	if (created) {
		uint64_t n;
		int year = ltime_year(g[0].ev->time_ms);

		rc = store_txn_next_tid(s, txn, year, &n);
		if (rc != 0)
			return rc;
		if (ticket_id_format(id, sizeof(id), s->node, year, n) != 0) {
			rc = err_set(&e, LD_ELIMIT, "ticket numbers of %d are "
			    "used up", year);
			i = 0;
			goto refused;
		}
	}
	for (i = 0; i < m; i++) {
		const struct ld_event *ev = g[i].ev;

		if ((unsigned)ev->kind >= LD_EV__COUNT || ev->kind == LD_EV_NONE) {
			rc = err_set(&e, LD_EINVAL, "unknown event kind %d",
			    ev->kind);
			goto refused;
		}
		if (strcmp(ev->origin, s->node) != 0 || ev->seq != 0) {
			rc = err_set(&e, LD_EINVAL, "the events of a request must "
			    "be new events of this node (%s/%llu is not)",
			    ev->origin, (unsigned long long)ev->seq);
			goto refused;
		}
		if (i > 0 && ev->kind == LD_EV_TICKET_CREATED) {
			rc = err_set(&e, LD_EINVAL, "a ticket.created must head "
			    "its request");
			goto refused;
		}
		if (event_kinds[ev->kind].ticket != event_kinds[g[0].ev->kind].ticket) {
			rc = err_set(&e, LD_EINVAL, "a request's events concern "
			    "one ticket, or none");
			goto refused;
		}
		tickets = event_kinds[ev->kind].ticket;
		if (ev->kind == LD_EV_ROUTED && (event_has(ev, LD_F_CATEGORY) ||
		    event_has(ev, LD_F_AREA)))
			details = true;
		if (i == 0 && created)
			continue;
		if (ev->ticket[0] != '\0' && id[0] == '\0')
			snprintf(id, sizeof(id), "%s", ev->ticket);
		else if (ev->ticket[0] != '\0' && strcmp(ev->ticket, id) != 0) {
			rc = err_set(&e, LD_EINVAL, "a request's events concern "
			    "one ticket (%s, then %s)", id, ev->ticket);
			goto refused;
		}
	}
	if (tickets && id[0] == '\0') {
		i = 0;
		rc = err_set(&e, LD_EINVAL, "ticket: missing");
		goto refused;
	}
	memset(t, 0, sizeof(*t));
	if (tickets && !created) {
		rc = store_txn_get_view(s, txn, id, t, &e);
		if (rc == 0 && details)
			rc = store_txn_get_details(s, txn, id, t, &e);
		if (rc != 0) {
			i = 0;
			if (store_fatal(rc))
				return rc;
			goto refused;
		}
	}
	for (i = 0; i < m; i++) {
		struct ld_event *ev = g[i].ev;
		int len;

		if (tickets)
			snprintf(ev->ticket, sizeof(ev->ticket), "%s", id);
		len = codec_event_encode(ev, s->ebuf, sizeof(s->ebuf), &e);
		if (len < 0) {
			rc = len;
			goto refused;
		}
		if (ev->kind == LD_EV_CALL_CLASSIFIED && ev->valid &&
		    !event_has(ev, LD_F_CLASS)) {
			rc = err_set(&e, LD_EINVAL, "body.class: a valid call "
			    "needs a class (police, fire, medical or linkage)");
			goto refused;
		}
		if (tickets) {
			rc = ticket_apply(t, ev, now, &e);
			if (rc != 0)
				goto refused;
		}
	}
	if (created)
		g[0].ev->ticket[0] = '\0';	/* the store gives it */
	return 0;

refused:
	if (created)
		g[0].ev->ticket[0] = '\0';
	for (size_t j = 0; j < m; j++) {
		g[j].rc = rc;
		g[j].err = e;
		if (j != i)
			err_prefix(&g[j].err, "refused with event %zu of the "
			    "request", i + 1);
	}
	return rc;
}

void
store_grow_in_commit(struct ld_store *s, bool yes)
{
	s->no_grow_in_commit = !yes;
}

bool
store_grow_pending(const struct ld_store *s)
{
	return s->grow_pending;
}

int
store_grow_map(struct ld_store *s, struct ld_err *err)
{
	int rc;

	pthread_rwlock_wrlock(&s->grow_lock);	/* no reader in any thread */
	rc = store_grow(s, err);
	pthread_rwlock_unlock(&s->grow_lock);

	if (rc == 0)
		s->grow_pending = false;
	return rc;
}

int
store_flush(struct ld_store *s, struct ld_err *err)
{
	return s->journal ? store_ckpt_take(s, err) : LD_OK;
}

int
store_commit(struct ld_store *s, struct ld_store_item *items, size_t n,
    int64_t now, struct ld_err *err)
{
	return store_commit_meta(s, items, n, NULL, 0, now, err);
}

/* Write the meta values into the open write transaction. */
int
store_txn_put_meta(struct ld_store *s, MDB_txn *txn,
    const struct ld_store_meta *meta, size_t n_meta)
{
	int rc = 0;

	for (size_t i = 0; i < n_meta && rc == 0; i++) {
		uint8_t vb[8];
		MDB_val k = { strlen(meta[i].key), (void *)meta[i].key };
		MDB_val v = { 8, vb };

		views_put_u64(vb, meta[i].value);
		rc = mdb_put(txn, s->meta, &k, &v, 0);
	}
	return rc;
}

uint64_t
store_txn_meta_u64(struct ld_store *s, MDB_txn *txn, const char *key)
{
	MDB_val k = { strlen(key), (void *)key }, v;

	if (mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == 8)
		return views_get_u64(v.mv_data);
	return 0;
}

uint64_t
store_meta_u64(struct ld_store *s, const char *key)
{
	MDB_txn *txn;
	uint64_t val;

	if (store_rd_txn(s, &txn) != 0)
		return 0;
	val = store_txn_meta_u64(s, txn, key);
	store_rd_end(s, txn);
	return val;
}

int
store_commit_meta(struct ld_store *s, struct ld_store_item *items, size_t n,
    const struct ld_store_meta *meta, size_t n_meta, int64_t now,
    struct ld_err *err)
{
	uint8_t *assigned;
	MDB_txn *txn;
	bool ck_tried = false;
	int rc, spoil;

	if (n == 0 && n_meta == 0)
		return LD_OK;
	for (size_t i = 0; i < n; i++) {	/* no stale answer survives */
		items[i].rc = 0;
		items[i].idx = 0;
		err_clear(&items[i].err);
	}
	assigned = calloc(n ? n : 1, 1);
	if (assigned == NULL) {
		rc = err_set(err, LD_ENOMEM, "store: out of memory");
		goto out;	/* every item gets the error: nothing written */
	}
	for (size_t i = 0; i < n; i++)
		assigned[i] = (uint8_t)((items[i].ev->seq == 0 ? 1 : 0) |
		    (items[i].ev->ticket[0] == '\0' ? 2 : 0));
retry:
	/* journaled commits need the checkpoint's snapshot held */
	if (s->journal && !store_ckpt_held(s) &&
	    (rc = store_ckpt_take(s, err)) != 0)
		goto out;
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "begin");
		goto out;
	}
	s->applied_txn = s->applied_last;
	store_txn_start(s);
	if (s->journal) {
		store_jnl_begin(s);
		s->jcap = true;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = 1;

		while (i + m < n && items[i + m].joined)
			m++;
		if (m > 1) {
			rc = store_group_check(s, txn, items + i, m, now);
			if (store_fatal(rc))
				break;
			if (rc != 0) {	/* refused, every item answered */
				i += m - 1;
				rc = 0;
				continue;
			}
		}
		for (size_t j = i; j < i + m; j++) {
			err_clear(&items[j].err);
			s->disagreed = false;
			rc = store_apply_one(s, txn, items[j].ev, now, false,
			    items[j].sparse, &items[j].err);
			items[j].kept = rc == 0 && s->disagreed;
			items[j].idx = rc == 0 ? s->applied_txn : 0;
			items[j].rc = store_fatal(rc) ? 0 : rc;
			if (store_fatal(rc))
				break;
			if (rc != 0 && m > 1) {
				/* the check passed: this cannot happen; the
				 * group must not be half written */
				log_error("store", "request group passed its "
				    "check, then event %zu was refused: %s",
				    j - i + 1, items[j].err.msg);
				rc = MDB_CORRUPTED;
				break;
			}
			rc = 0;
		}
		if (rc != 0)
			break;
		i += m - 1;
	}
	s->jcap = false;
	if (rc == 0)
		rc = store_txn_flush(s, txn);
	if (rc == 0)
		rc = store_txn_put_meta(s, txn, meta, n_meta);
	for (size_t i = 0; s->journal && rc == 0 && i < n_meta; i++)
		store_jnl_meta(s, meta[i].key, meta[i].value);
	/* the record durable before the commit: whatever a reader sees is */
	bool jw = rc == 0 && s->journal && store_jnl_any(s);
	struct ld_store_meta jm = { STORE_JLSN_KEY, s->jlsn + 1 };
	if (jw)
		rc = store_txn_put_meta(s, txn, &jm, 1);
	if (jw && rc == 0) {
		rc = store_jnl_write(s, s->jlsn + 1, now, err);
		if (rc != 0) {
			mdb_txn_abort(txn);
			(void)store_jnl_spoil(s);
			store_reset_items(items, n, assigned);
			goto out;
		}
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc != 0 && jw && (spoil = store_jnl_spoil(s)) != 0) {
		/* the record may be applied at the next open: no retry that
		 * could write another under the same number */
		store_reset_items(items, n, assigned);
		rc = err_set(err, LD_EIO, "%s: commit failed (%s), and its "
		    "journal record could not be spoiled (%s): it may be applied "
		    "at the next start", s->dir, mdb_strerror(rc),
		    strerror(spoil));
		goto out;
	}
	if (rc == MDB_MAP_FULL && s->journal && !ck_tried &&
	    s->map_size >= s->map_max) {
		/* the held checkpoint keeps the pages freed since from
		 * reuse: at the map's maximum, a new one lets them go */
		store_reset_items(items, n, assigned);
		ck_tried = true;
		if ((rc = store_ckpt_take(s, err)) != 0)
			goto out;
		goto retry;
	}
	if (rc == MDB_MAP_FULL) {
		store_reset_items(items, n, assigned);
		if (s->no_grow_in_commit && s->map_size < s->map_max) {
			s->grow_pending = true;
			rc = err_set(err, LD_EFULL, "%s: map full at %zu MiB: "
			    "grow it, then commit again", s->dir,
			    s->map_size >> 20);
			goto out;
		}
		rc = store_grow(s, err);
		if (rc == 0)
			goto retry;
		goto out;
	}
	if (rc != 0) {
		store_reset_items(items, n, assigned);
		rc = store_mdb_err(err, rc, "commit");
		goto out;
	}
	s->applied_last = s->applied_txn;
	if (jw)
		store_jnl_committed(s, s->jlsn + 1);
	store_ckpt_kick(s);	/* when due, in its own thread */
out:
	if (rc != 0)
		for (size_t i = 0; i < n; i++) {
			items[i].idx = 0;
			if (items[i].rc == 0)
				items[i].rc = err_set(&items[i].err, rc, "%s",
				    err ? err->msg : "store error");
		}
	free(assigned);
	return rc;
}
