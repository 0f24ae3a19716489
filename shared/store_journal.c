/*
 * store_journal.c - the store's journal: one record per write transaction.
 *
 * LMDB runs with MDB_NOSYNC.  A write transaction's record (the events it
 * applied, in apply order, and the meta values it wrote) is written here
 * and made durable with one fdatasync before the transaction commits, so
 * a commit costs one flush instead of LMDB's two, and nothing a reader
 * can see is less durable than its record.  At open, the records after
 * the database's last one are applied again, each in its own write
 * transaction, by the path rebuild takes (store_apply_one, replay): the
 * views it gives are the live path's, byte for byte (store_rebuild checks
 * the same).  Record layout (big-endian; docs/storage.md):
 *
 *   magic u32 "LDJ1" | lsn u64 | now i64 | len u32 | payload[len] | hash[16]
 *   payload: n_ev u32 | n_meta u32 | n_ev x (len u32 | event bytes)
 *            | n_meta x (klen u8 | key | value u64)
 *   hash: BLAKE2b-128 of everything before it, keyed with the store's
 *   "jkey" (meta), so that no record can be planted in old bytes.
 *
 * Two files, journal-0.ldj and journal-1.ldj: when a checkpoint begins,
 * the records after it go to the start of the other file (the one before
 * it is durable, so that file's records are needed no more).  Each file
 * holds one run of records from its start; records left beyond a run's
 * end are older, so the scan (lsn one more than the last, hash right)
 * stops at them.  Recovery applies the runs from the database's last
 * record on, through one file and on into the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

#define JNL_MAGIC 0x4c444a31u	/* "LDJ1" */
#define JNL_HEAD 24
#define JNL_COUNTS 8
#define JNL_HASH 16
#define JNL_PAYLOAD_MAX (256u << 20)

int
store_jnl_open(struct ld_store *s, struct ld_err *err)
{
	char path[PATH_MAX + 32], name[32];

	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), STORE_JNL_FILE, i);
		snprintf(path, sizeof(path), "%s/%s", s->dir, name);
		s->jfd[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->jfd[i] < 0)
			return err_set(err, LD_EIO, "%s: %s", path,
			    strerror(errno));
	}
	return LD_OK;
}

void
store_jnl_close(struct ld_store *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->jfd[i] >= 0)
			close(s->jfd[i]);
		s->jfd[i] = -1;
	}
	free(s->jbuf);
	s->jbuf = NULL;
	s->jcap_bytes = 0;
}

/* Room for n more bytes (and the hash) in the record. */
static bool
jnl_room(struct ld_store *s, size_t n)
{
	size_t want = s->jlen + n + JNL_HASH, cap = s->jcap_bytes;
	uint8_t *p;

	if (s->jnomem)
		return false;
	if (want <= cap)
		return true;
	if (want - JNL_HEAD - JNL_HASH > JNL_PAYLOAD_MAX) {
		s->jnomem = true;
		return false;
	}
	cap = cap ? cap : 64 * 1024;
	while (cap < want)
		cap *= 2;
	p = realloc(s->jbuf, cap);
	if (p == NULL) {
		s->jnomem = true;
		return false;
	}
	s->jbuf = p;
	s->jcap_bytes = cap;
	return true;
}

void
store_jnl_begin(struct ld_store *s)
{
	s->jlen = JNL_HEAD + JNL_COUNTS;
	s->jn_ev = 0;
	s->jn_meta = 0;
	s->jnomem = false;
	(void)jnl_room(s, 0);
}

void
store_jnl_event(struct ld_store *s, const uint8_t *ev, size_t len)
{
	if (!jnl_room(s, 4 + len))
		return;
	views_put_u32(s->jbuf + s->jlen, (uint32_t)len);
	memcpy(s->jbuf + s->jlen + 4, ev, len);
	s->jlen += 4 + len;
	s->jn_ev++;
}

void
store_jnl_meta(struct ld_store *s, const char *key, uint64_t value)
{
	size_t kl = strlen(key);

	if (kl > 255 || !jnl_room(s, 1 + kl + 8))
		return;
	s->jbuf[s->jlen] = (uint8_t)kl;
	memcpy(s->jbuf + s->jlen + 1, key, kl);
	views_put_u64(s->jbuf + s->jlen + 1 + kl, value);
	s->jlen += 1 + kl + 8;
	s->jn_meta++;
}

bool
store_jnl_any(const struct ld_store *s)
{
	return s->jn_ev != 0 || s->jn_meta != 0 || s->jnomem;
}

int
store_pwrite_sync(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return fdatasync(fd) != 0 ? errno : 0;
}

int
store_jnl_write(struct ld_store *s, uint64_t lsn, int64_t now,
    struct ld_err *err)
{
	uint8_t *b = s->jbuf;
	int e;

	if (s->jnomem || b == NULL)
		return err_set(err, LD_ENOMEM, "%s: journal: out of memory for a "
		    "record of %u events", s->dir, s->jn_ev);
	views_put_u32(b, JNL_MAGIC);
	views_put_u64(b + 4, lsn);
	views_put_u64(b + 12, (uint64_t)now);
	views_put_u32(b + 20, (uint32_t)(s->jlen - JNL_HEAD));
	views_put_u32(b + JNL_HEAD, s->jn_ev);
	views_put_u32(b + JNL_HEAD + 4, s->jn_meta);
	crypto_generichash(b + s->jlen, JNL_HASH, b, s->jlen, s->jkey,
	    sizeof(s->jkey));
	e = store_pwrite_sync(s->jfd[s->jcur], b, s->jlen + JNL_HASH, s->joff);
	if (e != 0)
		return err_set(err, LD_EIO, "%s/journal-%d.ldj: writing record %"
		    PRIu64 " at offset %" PRIu64 ": %s (nothing of this batch "
		    "was acknowledged)", s->dir, s->jcur, lsn, s->joff,
		    strerror(e));
	return LD_OK;
}

int
store_jnl_spoil(struct ld_store *s)
{
	static const uint8_t zero[4];
	return store_pwrite_sync(s->jfd[s->jcur], zero, sizeof(zero), s->joff);
}

void
store_jnl_committed(struct ld_store *s, uint64_t lsn)
{
	pthread_mutex_lock(&s->ck_mu);
	s->jlsn = lsn;
	s->joff += s->jlen + JNL_HASH;
	pthread_mutex_unlock(&s->ck_mu);
	s->jrecs++;
}

void
store_jnl_switch(struct ld_store *s)
{
	s->jcur ^= 1;
	s->joff = 0;
	s->jrecs = 0;
}

/* The header of the record at off of file fd (size bytes long, or
 * UINT64_MAX if not known): its lsn and payload length, or false (no
 * header there, or not ours: the magic). */
static bool
jnl_head(int fd, uint64_t off, uint64_t size, uint64_t *lsn, uint32_t *len)
{
	uint8_t h[JNL_HEAD];

	if (size < off || size - off < JNL_HEAD ||
	    pread(fd, h, JNL_HEAD, (off_t)off) != JNL_HEAD ||
	    views_get_u32(h) != JNL_MAGIC)
		return false;
	*lsn = views_get_u64(h + 4);
	*len = views_get_u32(h + 20);
	return true;
}

int
store_jnl_key(struct ld_store *s, struct ld_err *err)
{
	MDB_val k = { strlen(STORE_JKEY_KEY), (void *)STORE_JKEY_KEY }, v;
	MDB_txn *txn;
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);

	if (rc != 0)
		return store_mdb_err(err, rc, "journal key");
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(s->jkey)) {
		memcpy(s->jkey, v.mv_data, sizeof(s->jkey));
		mdb_txn_abort(txn);
		return LD_OK;
	}
	if (rc == 0) {
		mdb_txn_abort(txn);
		return err_set(err, LD_ECORRUPT, "%s: the journal's key is "
		    "damaged (%zu bytes)", s->dir, v.mv_size);
	}
	if (rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return store_mdb_err(err, rc, "journal key");
	}
	/* the first open with the journal: durable with the checkpoint that
	 * follows, before any record is written.  A journal with a record
	 * after the database's last cannot be ours (written before the key
	 * existed: a build of 2026-12-05 before b6d9c9b): refused, not
	 * dropped */
	uint64_t db_lsn = store_txn_meta_u64(s, txn, STORE_JLSN_KEY);
	for (int i = 0; i < 2; i++) {
		uint64_t l;
		uint32_t n;

		if (jnl_head(s->jfd[i], 0, UINT64_MAX, &l, &n) && l > db_lsn) {
			mdb_txn_abort(txn);
			return err_set(err, LD_ESCHEMA, "%s/journal-%d.ldj: "
			    "record %" PRIu64 " is not in the database and was "
			    "written without the journal's key (by an older "
			    "build): start that build once, then this one; "
			    "nothing was changed", s->dir, i, l);
		}
	}
	randombytes_buf(s->jkey, sizeof(s->jkey));
	v.mv_size = sizeof(s->jkey);
	v.mv_data = s->jkey;
	rc = mdb_put(txn, s->meta, &k, &v, 0);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc == 0 ? LD_OK : store_mdb_err(err, rc, "journal key");
}

/* ---- recovery ----------------------------------------------------------- */

/* Apply record lsn's payload p[0 .. n) in one write transaction. */
static int
jnl_apply(struct ld_store *s, uint64_t lsn, const uint8_t *p, size_t n,
    struct ld_event *ev, struct ld_err *err)
{
	struct ld_store_meta *meta = NULL;
	uint32_t n_ev, n_meta;
	size_t off = JNL_COUNTS;
	MDB_txn *txn;
	int rc;

	if (n < JNL_COUNTS)
		return err_set(err, LD_ECORRUPT, "record %" PRIu64 ": %zu bytes, "
		    "too short", lsn, n);
	n_ev = views_get_u32(p);
	n_meta = views_get_u32(p + 4);
	if (n_meta > n / 10)
		return err_set(err, LD_ECORRUPT, "record %" PRIu64 ": %u meta "
		    "values in %zu bytes", lsn, n_meta, n);
	if (n_meta > 0 && (meta = calloc(n_meta, sizeof(*meta))) == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
again:
	/* the checkpoint's pages stay out of reuse until the one after the
	 * recovery is durable: a crash on the way comes back to it */
	if (!store_ckpt_held(s) && (rc = store_ckpt_take(s, err)) != 0) {
		free(meta);
		return rc;
	}
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		free(meta);
		return store_mdb_err(err, rc, "journal replay: begin");
	}
	s->applied_txn = s->applied_last;
	store_txn_start(s);
	off = JNL_COUNTS;
	for (uint32_t i = 0; i < n_ev && rc == 0; i++) {
		uint32_t len;
		struct ld_err e;

		if (n - off < 4 || (len = views_get_u32(p + off)) > n - off - 4) {
			rc = err_set(err, LD_ECORRUPT, "record %" PRIu64 ", event "
			    "%u: length past the record's end", lsn, i + 1);
			break;
		}
		off += 4;
		rc = codec_event_decode(p + off, len, ev, &e);
		if (rc == 0)
			rc = store_apply_one(s, txn, ev, INT64_MAX, true, false,
			    &e);
		if (rc != 0 && !store_fatal(rc))
			rc = err_set(err, LD_ECORRUPT, "record %" PRIu64 ", event "
			    "%u (%s/%" PRIu64 "): not applied again: %s", lsn,
			    i + 1, ev->origin, ev->seq, e.msg);
		off += len;
	}
	for (uint32_t i = 0; i < n_meta && rc == 0; i++) {
		size_t kl;

		if (n - off < 1 || (kl = p[off]) + 9 > n - off ||
		    kl >= sizeof(meta[i].key)) {
			rc = err_set(err, LD_ECORRUPT, "record %" PRIu64 ", meta "
			    "value %u: past the record's end", lsn, i + 1);
			break;
		}
		memcpy(meta[i].key, p + off + 1, kl);
		meta[i].key[kl] = '\0';
		meta[i].value = views_get_u64(p + off + 1 + kl);
		off += 1 + kl + 8;
	}
	if (rc == 0 && off != n)
		rc = err_set(err, LD_ECORRUPT, "record %" PRIu64 ": %zu bytes "
		    "left over", lsn, n - off);
	if (rc == 0)
		rc = store_txn_flush(s, txn);
	if (rc == 0)
		rc = store_txn_put_meta(s, txn, meta, n_meta);
	struct ld_store_meta jm = { STORE_JLSN_KEY, lsn };
	if (rc == 0)
		rc = store_txn_put_meta(s, txn, &jm, 1);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc == MDB_MAP_FULL) {
		rc = store_grow(s, err);
		if (rc == 0)
			goto again;
	} else if (store_fatal(rc)) {
		rc = store_mdb_err(err, rc, "journal replay");
	}
	if (rc == 0)
		s->applied_last = s->applied_txn;
	free(meta);
	return rc;
}

/* Read the record at off of file fd into s->jbuf: its lsn and payload
 * length, or false (the end: no record there, a torn one, or one out of
 * sequence: want is the lsn expected, 0 for any). */
static bool
jnl_read(struct ld_store *s, int fd, uint64_t off, uint64_t size,
    uint64_t want, uint64_t *lsn, uint32_t *len)
{
	uint8_t hash[JNL_HASH];
	uint64_t l;
	uint32_t n;

	if (size < off || size - off < JNL_HEAD + JNL_COUNTS + JNL_HASH ||
	    !jnl_head(fd, off, size, &l, &n))
		return false;
	if ((want != 0 && l != want) || l == 0 || n < JNL_COUNTS ||
	    n > JNL_PAYLOAD_MAX || n > size - off - JNL_HEAD - JNL_HASH)
		return false;
	s->jlen = 0;
	s->jnomem = false;
	if (!jnl_room(s, JNL_HEAD + n))
		return false;
	if (pread(fd, s->jbuf, JNL_HEAD + n + JNL_HASH, (off_t)off) !=
	    (ssize_t)(JNL_HEAD + n + JNL_HASH))
		return false;
	crypto_generichash(hash, JNL_HASH, s->jbuf, JNL_HEAD + n, s->jkey,
	    sizeof(s->jkey));
	if (sodium_memcmp(hash, s->jbuf + JNL_HEAD + n, JNL_HASH) != 0)
		return false;
	*lsn = l;
	*len = n;
	return true;
}

/* One file's run: its first and last lsn (0, 0: none). */
struct jnl_run {
	uint64_t first, last, size;
	uint64_t end;		/* where the run ends */
	uint64_t later;		/* the highest lsn of a whole record after
				 * that (0: none), and where it is */
	uint64_t later_off;
};

/* Is the run's end a damaged record rather than the torn end?  Only if
 * its header is whole enough to say where the next record starts, and a
 * whole record numbered next is there.  (No search by the magic: old
 * bytes past the end hold clients' text.) */
static void
jnl_scan_after(struct ld_store *s, int i, struct jnl_run *r)
{
	uint64_t lsn, next, l;
	uint32_t n, len;

	if (!jnl_head(s->jfd[i], r->end, r->size, &l, &n))
		return;
	if ((r->last != 0 && l != r->last + 1) || l == 0 ||
	    n > r->size - r->end - JNL_HEAD - JNL_HASH)
		return;
	next = r->end + JNL_HEAD + n + JNL_HASH;
	if (jnl_read(s, s->jfd[i], next, r->size, l + 1, &lsn, &len)) {
		r->later = lsn;
		r->later_off = next;
	}
}

static void
jnl_scan(struct ld_store *s, int i, struct jnl_run *r)
{
	struct stat st;
	uint64_t off = 0, want = 0, lsn;
	uint32_t len;

	memset(r, 0, sizeof(*r));
	if (fstat(s->jfd[i], &st) != 0)
		return;
	r->size = (uint64_t)st.st_size;
	while (jnl_read(s, s->jfd[i], off, r->size, want, &lsn, &len)) {
		if (r->first == 0)
			r->first = lsn;
		r->last = lsn;
		off += JNL_HEAD + len + JNL_HASH;
		want = lsn + 1;
	}
	r->end = off;
	jnl_scan_after(s, i, r);
}

/* Apply file i's records after *db_lsn; *n counts them. */
static int
jnl_apply_run(struct ld_store *s, int i, const struct jnl_run *r,
    uint64_t *db_lsn, bool apply, uint64_t *n, struct ld_event *ev,
    struct ld_err *err)
{
	uint64_t off = 0, want = r->first, lsn;
	uint32_t len;
	int rc;

	while (want <= r->last &&
	    jnl_read(s, s->jfd[i], off, r->size, want, &lsn, &len)) {
		if (lsn == *db_lsn + 1 && !apply)
			return err_set(err, LD_ESCHEMA, "%s/journal-%d.ldj: "
			    "record %" PRIu64 " is not in the database yet: "
			    "start the build that wrote it once, without "
			    "--migrate (it applies the journal and closes "
			    "cleanly), then migrate; nothing was changed",
			    s->dir, i, lsn);
		if (lsn == *db_lsn + 1) {
			rc = jnl_apply(s, lsn, s->jbuf + JNL_HEAD, len, ev, err);
			if (rc != 0)
				return err_prefix(err, "%s/journal-%d.ldj: "
				    "applying it again", s->dir, i);
			*db_lsn = lsn;
			s->jlsn = lsn;	/* a checkpoint on the way (the map
					 * grew) is taken at it */
			(*n)++;
		}
		off += JNL_HEAD + len + JNL_HASH;
		want = lsn + 1;
	}
	return LD_OK;
}

int
store_jnl_recover(struct ld_store *s, bool apply, uint64_t *n_applied,
    struct ld_err *err)
{
	struct ld_event *ev;
	struct jnl_run run[2];
	MDB_txn *txn;
	uint64_t db_lsn, first;
	int rc = 0;

	*n_applied = 0;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return store_mdb_err(err, rc, "journal: reading the last record");
	db_lsn = store_txn_meta_u64(s, txn, STORE_JLSN_KEY);
	mdb_txn_abort(txn);
	s->jlsn = db_lsn;
	first = db_lsn + 1;
	jnl_scan(s, 0, &run[0]);
	jnl_scan(s, 1, &run[1]);
	/* where the runs lead, through one and on into the other (two steps
	 * at most), checked before anything is applied */
	uint64_t reach = db_lsn;
	for (int step = 0; step < 2; step++)
		for (int i = 0; i < 2; i++)
			if (run[i].first != 0 && run[i].first <= reach + 1 &&
			    run[i].last > reach)
				reach = run[i].last;
	for (int i = 0; i < 2 && rc == 0; i++)
		if (run[i].later > reach)
			rc = err_set(err, LD_ECORRUPT, "%s/journal-%d.ldj: the "
			    "record at offset %" PRIu64 " is damaged, and a whole "
			    "record follows it (record %" PRIu64 " at offset %"
			    PRIu64 "): they were acknowledged, so the store does "
			    "not open without them (restore the directory from "
			    "a copy); nothing was applied", s->dir, i, run[i].end,
			    run[i].later, run[i].later_off);
	for (int i = 0; i < 2 && rc == 0; i++)
		if (run[i].first > reach + 1)
			rc = err_set(err, LD_ECORRUPT, "%s/journal-%d.ldj: records "
			    "%" PRIu64 " to %" PRIu64 " follow record %" PRIu64
			    ": the records between are missing (is this journal "
			    "from another copy of the store?); nothing was "
			    "applied", s->dir, i, run[i].first, run[i].last, reach);
	if (rc != 0)
		return rc;
	ev = malloc(sizeof(*ev));
	if (ev == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	for (int step = 0; step < 2 && rc == 0; step++)
		for (int i = 0; i < 2 && rc == 0; i++)
			if (run[i].first != 0 && run[i].first <= db_lsn + 1 &&
			    run[i].last > db_lsn)
				rc = jnl_apply_run(s, i, &run[i], &db_lsn, apply,
				    n_applied, ev, err);
	free(ev);
	s->jlsn = db_lsn;
	s->jlen = 0;
	/* the next records: a checkpoint follows at once, and switches to
	 * the other file (either will do: all is applied) */
	s->jcur = 0;
	s->joff = 0;
	s->jrecs = 0;
	if (rc == 0 && *n_applied > 0)
		log_warn("store", "%s: not closed cleanly: %" PRIu64 " journal "
		    "records (%" PRIu64 " to %" PRIu64 ") applied again after "
		    "the checkpoint", s->dir, *n_applied, first, db_lsn);
	return rc;
}
