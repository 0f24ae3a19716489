/*
 * store_ckpt.c - the store's checkpoints: the point a crash or a power
 * loss goes back to before the journal is applied (store_journal.c).
 *
 * Under MDB_NOSYNC, LMDB's newest meta page may name pages that never
 * reached the disk.  A checkpoint flushes the map (mdb_env_sync), then
 * keeps a copy of both meta pages in a slot of checkpoint.ldc (fdatasync)
 * and holds a read transaction on that snapshot: LMDB reuses no page the
 * snapshot can reach while it is held, so the copy stays a whole,
 * consistent database until the next checkpoint replaces it.  Before the
 * environment opens, store_ckpt_restore writes the copy back over the
 * meta pages when they differ.
 *
 * The writer does not wait for it.  Between two commits it captures the
 * meta pages (from the page cache), begins a read transaction on that
 * snapshot and switches the journal to its other file; the checkpoint
 * thread then flushes the map (every page of the snapshot was written
 * before the capture), writes the slot and flushes it, and only then
 * lets the last checkpoint's snapshot go.  Until then a crash goes back
 * to the last one and applies both journal files.  One at a time: the
 * file given up at a switch held only records of the checkpoint before,
 * which is durable.
 *
 * Two slots, taken in turn, each at a fixed offset (a torn slot leaves
 * the other): magic u32 "LDC1" | psize u32 | gen u64 | lsn u64 | size of
 * data.mdb at the capture u64 |
 * meta page 0 | meta page 1 | BLAKE2b-256 of all before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

#define CKPT_MAGIC 0x4c444331u	/* "LDC1" */
#define CKPT_HEAD 32
#define CKPT_HASH 32
#define CKPT_PSIZE_MAX 65536u
#define CKPT_SLOT (2 * CKPT_PSIZE_MAX + 4096)	/* a slot's offset step */

static size_t
ckpt_len(unsigned psize)
{
	return CKPT_HEAD + 2 * (size_t)psize + CKPT_HASH;
}

/* Slot i into b (CKPT_SLOT bytes): true if whole. */
static bool
ckpt_read_slot(int fd, int i, uint8_t *b, unsigned *psize, uint64_t *gen,
    uint64_t *lsn, uint64_t *size)
{
	uint8_t hash[CKPT_HASH];
	off_t at = (off_t)i * CKPT_SLOT;
	uint32_t ps;
	size_t n;

	if (pread(fd, b, CKPT_HEAD, at) != CKPT_HEAD ||
	    views_get_u32(b) != CKPT_MAGIC)
		return false;
	ps = views_get_u32(b + 4);
	if (ps < 512 || ps > CKPT_PSIZE_MAX || (ps & (ps - 1)) != 0)
		return false;
	n = ckpt_len(ps);
	if (pread(fd, b, n, at) != (ssize_t)n)
		return false;
	crypto_generichash(hash, CKPT_HASH, b, n - CKPT_HASH, NULL, 0);
	if (sodium_memcmp(hash, b + n - CKPT_HASH, CKPT_HASH) != 0)
		return false;
	*psize = ps;
	*gen = views_get_u64(b + 8);
	*lsn = views_get_u64(b + 16);
	*size = views_get_u64(b + 24);
	return true;
}

/* LMDB 0.9's meta page: a 16-byte page header, then MDB_meta: magic u32,
 * version u32, address, mapsize, two MDB_db of 48 bytes (the first's
 * md_pad is the page size), ... (native byte order). */
#define CKPT_LMDB_MAGIC 0xBEEFC0DEu
#define CKPT_M_MAGIC 16
#define CKPT_M_PSIZE 40

/* Are the two meta pages m (2 * psize) LMDB's, of this page size, and is
 * data.mdb (fd) at least as long as when they were captured (size, 0:
 * not known)?  (Not its last page times the page size: LMDB may count a
 * page it freed in the same transaction and never wrote.) */
static bool
ckpt_fits(const uint8_t *m, unsigned psize, int fd, uint64_t size)
{
	struct stat st;

	for (int i = 0; i < 2; i++) {
		const uint8_t *p = m + (size_t)i * psize;
		uint32_t magic, ps;

		memcpy(&magic, p + CKPT_M_MAGIC, 4);
		memcpy(&ps, p + CKPT_M_PSIZE, 4);
		if (magic != CKPT_LMDB_MAGIC || ps != psize)
			return false;
	}
	return fstat(fd, &st) == 0 && (uint64_t)st.st_size >= size;
}

int
store_ckpt_restore(struct ld_store *s, struct ld_err *err)
{
	char path[PATH_MAX + 32];
	uint8_t *b[2] = { NULL, NULL }, *cur = NULL;
	unsigned ps[2] = { 0, 0 };
	uint64_t gen[2] = { 0, 0 }, lsn[2] = { 0, 0 }, size[2] = { 0, 0 };
	bool ok[2];
	int best, fd = -1, rc = LD_OK, e;

	snprintf(path, sizeof(path), "%s/%s", s->dir, STORE_CKPT_FILE);
	s->cfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->cfd < 0)
		return err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	b[0] = malloc(CKPT_SLOT);
	b[1] = malloc(CKPT_SLOT);
	cur = malloc(2 * CKPT_PSIZE_MAX);
	if (b[0] == NULL || b[1] == NULL || cur == NULL) {
		rc = err_set(err, LD_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < 2; i++)
		ok[i] = ckpt_read_slot(s->cfd, i, b[i], &ps[i], &gen[i], &lsn[i],
		    &size[i]);
	if (!ok[0] && !ok[1]) {
		/* none yet: the database is as LMDB left it */
		struct stat st;

		if (fstat(s->cfd, &st) == 0 && st.st_size > 0)
			log_warn("store", "%s: %s holds no whole checkpoint: "
			    "the database is opened as it is", s->dir,
			    STORE_CKPT_FILE);
		goto out;
	}
	best = !ok[0] || (ok[1] && gen[1] > gen[0]) ? 1 : 0;
	s->ckpt_gen = gen[best];
	s->ckpt_lsn = lsn[best];

	snprintf(path, sizeof(path), "%s/data.mdb", s->dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(err, LD_ECORRUPT, "%s: %s, but %s/%s holds a "
		    "checkpoint of it (journal record %" PRIu64 "): restore the "
		    "whole directory", path, strerror(errno), s->dir,
		    STORE_CKPT_FILE, lsn[best]);
		goto out;
	}
	size_t n = 2 * (size_t)ps[best];
	if (!ckpt_fits(b[best] + CKPT_HEAD, ps[best], fd, size[best])) {
		rc = err_set(err, LD_ECORRUPT, "%s: the checkpoint in %s "
		    "(journal record %" PRIu64 ") does not fit data.mdb (not "
		    "LMDB meta pages of its page size, or data.mdb shorter "
		    "than the %" PRIu64 " bytes it had then): restore the whole "
		    "directory", s->dir, STORE_CKPT_FILE, lsn[best],
		    size[best]);
		goto out;
	}
	if (ok[best ^ 1] == false && gen[best] > 1)
		log_warn("store", "%s: %s: the other slot is not whole: using "
		    "checkpoint %" PRIu64, s->dir, STORE_CKPT_FILE, gen[best]);
	ssize_t got = pread(fd, cur, n, 0);
	if (got == (ssize_t)n && memcmp(cur, b[best] + CKPT_HEAD, n) == 0)
		goto out;	/* closed cleanly, or crashed at it */
	e = store_pwrite_sync(fd, b[best] + CKPT_HEAD, n, 0);
	if (e != 0) {
		rc = err_set(err, LD_EIO, "%s: putting back the checkpoint's "
		    "meta pages: %s", path, strerror(e));
		goto out;
	}
	log_warn("store", "%s: not closed cleanly: back to its checkpoint "
	    "at journal record %" PRIu64, s->dir, lsn[best]);
out:
	if (fd >= 0)
		close(fd);
	free(b[0]);
	free(b[1]);
	free(cur);
	return rc;
}

/* The meta pages as they are now, into m (2 * psize), and data.mdb's
 * size into *size. */
static int
ckpt_capture(struct ld_store *s, uint8_t *m, uint64_t *size,
    struct ld_err *err)
{
	mdb_filehandle_t fd;
	size_t n = 2 * (size_t)s->psize;
	struct stat st;
	int rc = mdb_env_get_fd(s->env, &fd);

	if (rc != 0)
		return store_mdb_err(err, rc, "checkpoint");
	if (fstat(fd, &st) != 0)
		return err_set(err, LD_EIO, "%s/data.mdb: checkpoint: %s",
		    s->dir, strerror(errno));
	*size = (uint64_t)st.st_size;
	errno = 0;
	if (pread(fd, m, n, 0) != (ssize_t)n)
		return err_set(err, LD_EIO, "%s/data.mdb: checkpoint: reading "
		    "the meta pages: %s", s->dir, strerror(errno ? errno : EIO));
	return LD_OK;
}

/* Flush the map, then the slot for (metas, lsn); any thread. */
static int
ckpt_persist(struct ld_store *s, const uint8_t *metas, uint64_t lsn,
    uint64_t size, uint64_t gen, struct ld_err *err)
{
	size_t n = ckpt_len(s->psize);
	uint8_t *b;
	int rc, e;

	rc = mdb_env_sync(s->env, 1);
	if (rc != 0)
		return err_set(err, LD_EIO, "%s: checkpoint: flushing the map: "
		    "%s", s->dir, mdb_strerror(rc));
	b = malloc(n);
	if (b == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	views_put_u32(b, CKPT_MAGIC);
	views_put_u32(b + 4, s->psize);
	views_put_u64(b + 8, gen);
	views_put_u64(b + 16, lsn);
	views_put_u64(b + 24, size);	/* data.mdb's, at the capture */
	memcpy(b + CKPT_HEAD, metas, 2 * (size_t)s->psize);
	crypto_generichash(b + n - CKPT_HASH, CKPT_HASH, b, n - CKPT_HASH,
	    NULL, 0);
	e = store_pwrite_sync(s->cfd, b, n, (gen & 1) * (uint64_t)CKPT_SLOT);
	free(b);
	if (e != 0)
		return err_set(err, LD_EIO, "%s/%s: writing checkpoint %" PRIu64
		    ": %s", s->dir, STORE_CKPT_FILE, gen, strerror(e));
	return LD_OK;
}

/* One more checkpoint failed: how many had failed in a row before.
 * Under ck_mu. */
static uint32_t
ckpt_count_failure(struct ld_store *s)
{
	uint32_t before = s->ck_fails;

	if (before < UINT32_MAX)
		s->ck_fails++;
	return before;
}

/* The job (captured by the writer) persisted or not: hold its snapshot
 * and let the last go, or drop it; count the failures in a row.  Returns
 * how many had failed in a row before.  Under ck_mu. */
static uint32_t
ckpt_settle(struct ld_store *s, bool ok)
{
	MDB_txn *old = ok ? s->held : s->ck_snap;
	uint32_t before = s->ck_fails;

	if (ok) {
		s->held = s->ck_snap;
		s->ckpt_gen++;
		s->ckpt_lsn = s->ck_job_lsn;
		s->n_ckpt++;
		s->ck_fails = 0;
	} else {
		ckpt_count_failure(s);
	}
	s->ck_switch = ok;	/* a failed one keeps the journal's file */
	s->ck_snap = NULL;
	if (old != NULL)
		mdb_txn_abort(old);
	return before;
}

/* Say how a checkpoint in the background went, if it is news: the first
 * failure and each time the run of failures doubles (a dying disk must
 * not fill the log with a line per commit), and the first success after
 * failures. */
static void
ckpt_report(const struct ld_store *s, int rc, const struct ld_err *e,
    uint32_t before)
{
	uint32_t n = before + 1;
	unsigned sh = n < STORE_CKPT_BACKOFF ? n : STORE_CKPT_BACKOFF;

	if (rc != 0 && (n & (n - 1)) == 0)
		log_error("store", "%s (%" PRIu32 " failed in a row; the last "
		    "checkpoint stays and the journal keeps every record; the "
		    "next is tried after %" PRIu64 " more records or %" PRIu64
		    " MiB)", e->msg, n, s->ckpt_recs << sh,
		    (s->ckpt_bytes << sh) >> 20);
	else if (rc == 0 && before > 0)
		log_info("store", "%s: checkpoint taken again after %" PRIu32
		    " failed", s->dir, before);
}

static void *
ckpt_thread(void *arg)
{
	struct ld_store *s = arg;

	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		while (!s->ck_busy && !s->ck_quit)
			pthread_cond_wait(&s->ck_cv, &s->ck_mu);
		if (!s->ck_busy)
			break;
		uint64_t gen = s->ckpt_gen + 1, lsn = s->ck_job_lsn;
		uint64_t size = s->ck_job_size;
		struct ld_err e;
		int rc;

		pthread_mutex_unlock(&s->ck_mu);
		rc = ckpt_persist(s, s->ck_metas, lsn, size, gen, &e);
		pthread_mutex_lock(&s->ck_mu);
		uint32_t before = ckpt_settle(s, rc == 0);
		s->ck_busy = false;
		pthread_cond_broadcast(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		ckpt_report(s, rc, &e, before);
		pthread_mutex_lock(&s->ck_mu);
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

int
store_ckpt_start(struct ld_store *s, struct ld_err *err)
{
	sigset_t all, old;
	int rc;

	s->ck_metas = malloc(2 * (size_t)CKPT_PSIZE_MAX);
	if (s->ck_metas == NULL)
		return err_set(err, LD_ENOMEM, "out of memory");
	s->ck_switch = true;
	sigfillset(&all);	/* signals go to the caller's threads */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->ck_thread, NULL, ckpt_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return err_set(err, LD_EIO, "%s: cannot start the checkpoint "
		    "thread: %s", s->dir, strerror(rc));
	s->ck_started = true;
	return LD_OK;
}

void
store_ckpt_wait(struct ld_store *s)
{
	pthread_mutex_lock(&s->ck_mu);
	while (s->ck_busy)
		pthread_cond_wait(&s->ck_cv, &s->ck_mu);
	pthread_mutex_unlock(&s->ck_mu);
}

/* The writer's part: capture, hold, switch the journal.  ck_busy false. */
static int
ckpt_begin(struct ld_store *s, struct ld_err *err)
{
	MDB_txn *snap;
	int rc;

	if (s->psize < 512 || s->psize > CKPT_PSIZE_MAX)
		return err_set(err, LD_EINVAL, "%s: page size %u: checkpoints "
		    "take 512 to %u", s->dir, s->psize, CKPT_PSIZE_MAX);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &snap);
	if (rc != 0)
		return store_mdb_err(err, rc, "checkpoint: holding a snapshot");
	rc = ckpt_capture(s, s->ck_metas, &s->ck_job_size, err);
	if (rc != 0) {
		mdb_txn_abort(snap);
		return rc;
	}
	pthread_mutex_lock(&s->ck_mu);
	s->ck_snap = snap;
	s->ck_job_lsn = s->jlsn;
	if (s->ck_switch)
		store_jnl_switch(s);
	pthread_mutex_unlock(&s->ck_mu);
	return LD_OK;
}

void
store_ckpt_kick(struct ld_store *s)
{
	struct ld_err e;
	uint32_t fails;
	bool busy;

	if (!s->journal || !s->ck_started ||
	    (s->jrecs < s->ckpt_recs && s->joff < s->ckpt_bytes))
		return;
	pthread_mutex_lock(&s->ck_mu);
	busy = s->ck_busy;	/* set only by this thread: stays false */
	fails = s->ck_fails;
	pthread_mutex_unlock(&s->ck_mu);
	/* after failures the journal goes on in the same file: wait twice
	 * as long after each (each try flushes the whole map) */
	unsigned sh = fails < STORE_CKPT_BACKOFF ? fails : STORE_CKPT_BACKOFF;
	uint64_t recs = s->jrecs >= s->ck_try_recs ? s->jrecs - s->ck_try_recs :
	    s->jrecs;
	uint64_t off = s->joff >= s->ck_try_off ? s->joff - s->ck_try_off :
	    s->joff;
	if (busy || (fails > 0 && recs < s->ckpt_recs << sh &&
	    off < s->ckpt_bytes << sh))
		return;
	int rc = ckpt_begin(s, &e);
	s->ck_try_recs = s->jrecs;	/* after the switch, if any */
	s->ck_try_off = s->joff;
	if (rc != 0) {
		pthread_mutex_lock(&s->ck_mu);
		uint32_t before = ckpt_count_failure(s);
		pthread_mutex_unlock(&s->ck_mu);
		ckpt_report(s, LD_EIO, &e, before);
		return;
	}
	pthread_mutex_lock(&s->ck_mu);
	s->ck_busy = true;
	pthread_cond_broadcast(&s->ck_cv);
	pthread_mutex_unlock(&s->ck_mu);
}

int
store_ckpt_take(struct ld_store *s, struct ld_err *err)
{
	int rc;

	store_ckpt_wait(s);
	rc = ckpt_begin(s, err);
	if (rc != 0)
		return rc;
	rc = ckpt_persist(s, s->ck_metas, s->ck_job_lsn, s->ck_job_size,
	    s->ckpt_gen + 1, err);
	pthread_mutex_lock(&s->ck_mu);
	uint32_t before = ckpt_settle(s, rc == 0);
	pthread_mutex_unlock(&s->ck_mu);
	if (rc == 0)	/* a failure is the caller's to tell */
		ckpt_report(s, rc, NULL, before);
	return rc;
}

bool
store_ckpt_held(struct ld_store *s)
{
	bool h;

	pthread_mutex_lock(&s->ck_mu);
	h = s->held != NULL;
	pthread_mutex_unlock(&s->ck_mu);
	return h;
}

void
store_ckpt_release(struct ld_store *s)
{
	pthread_mutex_lock(&s->ck_mu);
	if (s->held != NULL)
		mdb_txn_abort(s->held);
	s->held = NULL;
	pthread_mutex_unlock(&s->ck_mu);
}

int
store_ckpt_rehold(struct ld_store *s)
{
	MDB_txn *t;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);

	pthread_mutex_lock(&s->ck_mu);
	if (s->held != NULL)	/* (released first by its callers) */
		mdb_txn_abort(s->held);
	s->held = rc == 0 ? t : NULL;
	pthread_mutex_unlock(&s->ck_mu);
	return rc;
}

void
store_ckpt_close(struct ld_store *s)
{
	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_quit = true;
		pthread_cond_broadcast(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		pthread_join(s->ck_thread, NULL);
		s->ck_started = false;
	}
	store_ckpt_release(s);
	free(s->ck_metas);
	s->ck_metas = NULL;
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
}
