/*
 * store_rebuild.c - replay the log into fresh views and compare.
 *
 * The scratch store lives in <dir>/rebuild (removed before and after).
 * Events are replayed in the order they were applied here (the `applied`
 * database), through the same store_apply_one() as the live path, so a
 * difference means a view was damaged or the code that derives views
 * changed without a schema bump.
 */
#include "store_int.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define REBUILD_BATCH 4096

static void
rebuild_rmdir(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb",
		"liandong.lock" };
	char p[PATH_MAX + 32];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Printable prefix of a key for messages: text as is, other bytes \xNN. */
static void
rebuild_key_str(const MDB_val *k, char *out, size_t cap)
{
	const uint8_t *p = k->mv_data;
	size_t o = 0;

	for (size_t i = 0; i < k->mv_size && o + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
}

/* A meta key that no event makes: a link's position ("link:LY:down"),
 * the deadline cursor ("due:cursor"), the journal's last record and key
 * ("jlsn", "jkey")? */
static bool
rebuild_link_key(const char *db, const MDB_val *k)
{
	static const struct { const char *key; bool prefix; } keys[] = {
		{ "link:", true }, { "due:", true },
		{ STORE_JLSN_KEY, false }, { STORE_JKEY_KEY, false },
	};

	if (strcmp(db, "meta") != 0)
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i].key);

		if ((keys[i].prefix ? k->mv_size >= n : k->mv_size == n) &&
		    memcmp(k->mv_data, keys[i].key, n) == 0)
			return true;
	}
	return false;
}

/* Compare database da of txn a with db of txn b, key and value. */
static int
rebuild_compare_db(MDB_txn *a, MDB_dbi da, MDB_txn *b, MDB_dbi db,
    const char *name, struct ld_err *err)
{
	MDB_cursor *ca = NULL, *cb = NULL;
	MDB_val ka, va, kb, vb;
	char ks[128];
	int ra, rb, rc = LD_OK;

	if (mdb_cursor_open(a, da, &ca) != 0 || mdb_cursor_open(b, db, &cb) != 0) {
		rc = err_set(err, LD_EIO, "%s: cannot open cursors", name);
		goto out;
	}
	ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST);
	rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
	for (;;) {
		/* positions (links', deadlines') are not made by events:
		 * not compared */
		while (ra == 0 && rebuild_link_key(name, &ka))
			ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
		while (rb == 0 && rebuild_link_key(name, &kb))
			rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
		if ((ra != 0 && ra != MDB_NOTFOUND) ||
		    (rb != 0 && rb != MDB_NOTFOUND)) {
			rc = store_mdb_err(err, ra != 0 && ra != MDB_NOTFOUND ?
			    ra : rb, name);
			break;
		}
		if (ra != 0 || rb != 0) {
			if (ra == 0) {
				rebuild_key_str(&ka, ks, sizeof(ks));
				rc = err_set(err, LD_ECORRUPT, "%s: live has key "
				    "'%s' that the rebuild has not", name, ks);
			} else if (rb == 0) {
				rebuild_key_str(&kb, ks, sizeof(ks));
				rc = err_set(err, LD_ECORRUPT, "%s: rebuild has key "
				    "'%s' that live has not", name, ks);
			}
			break;
		}
		if (ka.mv_size != kb.mv_size ||
		    memcmp(ka.mv_data, kb.mv_data, ka.mv_size) != 0) {
			rebuild_key_str(&ka, ks, sizeof(ks));
			rc = err_set(err, LD_ECORRUPT, "%s: keys differ at live "
			    "key '%s'", name, ks);
			break;
		}
		if (va.mv_size != vb.mv_size ||
		    memcmp(va.mv_data, vb.mv_data, va.mv_size) != 0) {
			rebuild_key_str(&ka, ks, sizeof(ks));
			rc = err_set(err, LD_ECORRUPT, "%s: value of '%s' differs "
			    "(live %zu bytes, rebuilt %zu bytes)", name, ks,
			    va.mv_size, vb.mv_size);
			break;
		}
		ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
		rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
	}
out:
	if (ca)
		mdb_cursor_close(ca);
	if (cb)
		mdb_cursor_close(cb);
	return rc;
}

/* The databases a rebuild recreates (views) and compares (all). */
struct rebuild_db {
	const char *name;
	size_t off;	/* offsetof(struct ld_store, dbi) */
	int view;	/* replaced by store_rebuild(replace) */
};

static MDB_dbi
rebuild_dbi(struct ld_store *s, const struct rebuild_db *d)
{
	return *(MDB_dbi *)(void *)((char *)s + d->off);
}

static const struct rebuild_db rebuild_dbs[] = {
	{ "meta", offsetof(struct ld_store, meta), 0 },
	{ "events", offsetof(struct ld_store, events), 0 },
	{ "applied", offsetof(struct ld_store, applied), 0 },
	{ "tickets", offsetof(struct ld_store, tickets), 1 },
	{ "details", offsetof(struct ld_store, details), 1 },
	{ "history", offsetof(struct ld_store, history), 1 },
	{ "counters", offsetof(struct ld_store, counters), 1 },
	{ "unit_counters", offsetof(struct ld_store, ucounters), 1 },
	{ "by_state", offsetof(struct ld_store, idx[LD_IX_STATE]), 1 },
	{ "by_unit", offsetof(struct ld_store, idx[LD_IX_UNIT]), 1 },
	{ "by_due", offsetof(struct ld_store, idx[LD_IX_DUE]), 1 },
	{ "by_day", offsetof(struct ld_store, idx[LD_IX_DAY]), 1 },
	{ "by_phone", offsetof(struct ld_store, idx[LD_IX_PHONE]), 1 },
	{ "by_done", offsetof(struct ld_store, idx[LD_IX_DONE]), 1 },
	{ "by_incident", offsetof(struct ld_store, idx[LD_IX_INCIDENT]), 1 },
	{ "by_plan", offsetof(struct ld_store, idx[LD_IX_PLAN]), 1 },
	{ "announcements", offsetof(struct ld_store, news), 1 },
};
#define REBUILD_NDBS (sizeof(rebuild_dbs) / sizeof(rebuild_dbs[0]))

/* Replay every applied event of live (read txn rt) into scratch r. */
static int
rebuild_replay(struct ld_store *s, MDB_txn *rt, struct ld_store *r,
    struct ld_err *err)
{
	struct ld_event *ev = malloc(sizeof(*ev));
	MDB_cursor *cur = NULL;
	MDB_txn *wt = NULL;
	MDB_val k, v, ek, evv;
	uint64_t done = 0, batch_first = 1;
	int rc, crc;

	if (ev == NULL)
		return err_set(err, LD_ENOMEM, "rebuild: out of memory");
	rc = mdb_cursor_open(rt, s->applied, &cur);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "applied");
		goto out;
	}
again:
	rc = mdb_txn_begin(r->env, NULL, 0, &wt);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "rebuild begin");
		goto out;
	}
	r->applied_txn = r->applied_last;
	store_txn_start(r);
	views_put_u64((uint8_t *)r->ebuf, batch_first);	/* scratch key */
	k.mv_size = 8;
	k.mv_data = r->ebuf;
	crc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (uint64_t n = 0; crc == 0 && n < REBUILD_BATCH; n++) {
		if (v.mv_size != LD_NODE_MAX + 8) {
			rc = err_set(err, LD_ECORRUPT, "applied: damaged entry");
			goto abort;
		}
		ek.mv_size = v.mv_size;
		ek.mv_data = v.mv_data;
		rc = mdb_get(rt, s->events, &ek, &evv);
		if (rc != 0) {
			rc = err_set(err, LD_ECORRUPT, "applied entry %llu names "
			    "an event that is not in the log",
			    (unsigned long long)views_get_u64(k.mv_data));
			goto abort;
		}
		rc = codec_event_decode(evv.mv_data, evv.mv_size, ev, err);
		if (rc != 0) {
			rc = err_prefix(err, "event in the log is damaged");
			rc = LD_ECORRUPT;
			goto abort;
		}
		rc = store_apply_one(r, wt, ev, INT64_MAX, true, true, err);
		if (rc == MDB_MAP_FULL) {
			mdb_txn_abort(wt);
			wt = NULL;
			rc = store_grow(r, err);
			if (rc != 0)
				goto out;
			goto again;
		}
		if (rc != 0) {
			if (store_fatal(rc))
				rc = store_mdb_err(err, rc, "rebuild");
			else
				err_prefix(err, "replaying %s/%llu", ev->origin,
				    (unsigned long long)ev->seq);
			rc = LD_ECORRUPT;
			goto abort;
		}
		done++;
		crc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	rc = store_txn_flush(r, wt);
	if (rc == 0)
		rc = mdb_txn_commit(wt);
	else
		mdb_txn_abort(wt);
	wt = NULL;
	if (rc == MDB_MAP_FULL) {
		rc = store_grow(r, err);
		if (rc != 0)
			goto out;
		done = r->applied_last;
		goto again;
	}
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "rebuild commit");
		goto out;
	}
	r->applied_last = r->applied_txn;
	batch_first = r->applied_last + 1;
	if (crc == 0)
		goto again;
	rc = LD_OK;
	goto out;
abort:
	if (wt)
		mdb_txn_abort(wt);
out:
	(void)done;
	if (cur)
		mdb_cursor_close(cur);
	free(ev);
	return rc;
}

/* Replace the live view databases by the rebuilt ones. */
static int
rebuild_replace(struct ld_store *s, MDB_txn *scratch_rt, struct ld_store *r,
    struct ld_err *err)
{
	MDB_txn *wt;
	int rc;

again:
	rc = mdb_txn_begin(s->env, NULL, 0, &wt);
	if (rc != 0)
		return store_mdb_err(err, rc, "replace begin");
	for (size_t i = 0; i < REBUILD_NDBS && rc == 0; i++) {
		const struct rebuild_db *d = &rebuild_dbs[i];
		MDB_cursor *c;
		MDB_val k, v;

		if (!d->view)
			continue;
		rc = mdb_drop(wt, rebuild_dbi(s, d), 0);
		if (rc == 0)
			rc = mdb_cursor_open(scratch_rt, rebuild_dbi(r, d), &c);
		if (rc != 0)
			break;
		for (int g = mdb_cursor_get(c, &k, &v, MDB_FIRST); g == 0 && rc == 0;
		    g = mdb_cursor_get(c, &k, &v, MDB_NEXT))
			rc = mdb_put(wt, rebuild_dbi(s, d), &k, &v, MDB_APPEND);
		mdb_cursor_close(c);
	}
	if (rc == 0)
		rc = mdb_txn_commit(wt);
	else
		mdb_txn_abort(wt);
	if (rc == MDB_MAP_FULL) {
		/* old and new views live side by side until the commit */
		rc = store_grow(s, err);
		if (rc != 0)
			return rc;
		goto again;
	}
	return rc == 0 ? LD_OK : store_mdb_err(err, rc, "replacing views");
}

int
store_rebuild(struct ld_store *s, bool replace, struct ld_err *err)
{
	char path[PATH_MAX + 16];
	struct ld_store_opts o;
	struct ld_store *r = NULL;
	MDB_txn *lt = NULL, *st = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/rebuild", s->dir);
	rebuild_rmdir(path);
	memset(&o, 0, sizeof(o));
	o.dir = path;
	o.node = s->node;
	o.map_size = s->map_size;
	o.map_max = s->map_max * 2;
	o.no_sync = true;
	rc = store_open(&r, &o, err);
	if (rc != 0)
		return err_prefix(err, "rebuild scratch store");
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &lt);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "rebuild read");
		goto out;
	}
	rc = rebuild_replay(s, lt, r, err);
	if (rc != 0)
		goto out;
	rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &st);
	if (rc != 0) {
		rc = store_mdb_err(err, rc, "rebuild read scratch");
		goto out;
	}
	for (size_t i = 0; i < REBUILD_NDBS && rc == 0; i++)
		rc = rebuild_compare_db(lt, rebuild_dbi(s, &rebuild_dbs[i]), st,
		    rebuild_dbi(r, &rebuild_dbs[i]), rebuild_dbs[i].name, err);
	if (rc == LD_ECORRUPT && replace) {
		struct ld_err why = *err;
		mdb_txn_abort(lt);
		lt = NULL;
		rc = rebuild_replace(s, st, r, err);
		if (rc == 0) {
			log_warn("store", "%s: views replaced by a rebuild from "
			    "the log (%s)", s->dir, why.msg);
			*err = why;
			rc = LD_ECORRUPT;	/* they differed; now mended */
		} else {
			err_prefix(err, "views differ (%s) and could not be "
			    "replaced", why.msg);
		}
	}
out:
	if (st)
		mdb_txn_abort(st);
	if (lt)
		mdb_txn_abort(lt);
	store_close(r);
	rebuild_rmdir(path);
	return rc;
}
