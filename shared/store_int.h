/* store_int.h - the store's insides, shared by store.c, store_read.c and
 * store_rebuild.c only.  Nothing else includes this. */
#ifndef LD_STORE_INT_H
#define LD_STORE_INT_H

#include <limits.h>
#include <lmdb.h>
#include <pthread.h>

#include "codec.h"
#include "store.h"
#include "views.h"

/* Write-behind of the open write transaction: a batch moves a few
 * counters many times; they are written once, by store_txn_flush(), just
 * before the commit.  wb_cur caches each origin's last seq for the batch
 * (the log itself is the truth: store_log_last). */
#define STORE_WB_CUR 16
#define STORE_WB_CNT 128
#define STORE_WB_UCNT 256

struct store_wb_cur {
	char origin[LD_NODE_MAX + 1];
	uint64_t seq;
};

struct store_wb_cnt {
	uint32_t day;
	char node[LD_NODE_MAX];		/* NUL-padded */
	uint8_t counter;
	int64_t add;		/* added modulo 2^64: counters may go down */
};

struct store_wb_ucnt {
	uint32_t month;
	char unit[LD_ID_MAX + 1];
	uint8_t counter;
	int64_t add;
};

/*
 * A ticket's record in "tickets" (store.h): a head of STORE_REC_HEAD
 * bytes (flags, view length u16 BE), the view, then the first
 * STORE_HIST_INLINE entries of its history (origin[8] | seq u64 BE each).
 * With STORE_REC_SPILLED the rest is in the history database.
 */
#define STORE_REC_HEAD 3
#define STORE_REC_SPILLED 0x01
#define STORE_HIST_ENTRY (LD_NODE_MAX + 8)
#define STORE_HIST_INLINE 32
#define STORE_VIEW_CAP LD_VIEW_MAX
#define STORE_REC_MAX (STORE_REC_HEAD + STORE_VIEW_CAP + \
	(STORE_HIST_INLINE + 1) * STORE_HIST_ENTRY)

struct ld_store {
	MDB_env *env;
	MDB_dbi meta, events, applied, tickets, details, history, counters;
	MDB_dbi ucounters;
	MDB_dbi news;		/* "announcements": time | origin | seq */
	/* Read transactions hold it shared, growing the map exclusive:
	 * mdb_env_set_mapsize needs no transaction open in the process, and
	 * other threads (SMS, HTTP) read at any time. */
	pthread_rwlock_t grow_lock;
	MDB_dbi idx[LD_IX__COUNT];
	char dir[PATH_MAX];
	char node[LD_NODE_MAX + 1];
	size_t map_size, map_max;
	bool migrating;		/* opened from schema 1 with o->migrate */
	bool no_grow_in_commit;	/* store_grow_in_commit(s, false) */
	bool grow_pending;	/* a commit found the map full */
	bool disagreed;		/* the last event applied was kept refused */
	int lockfd;
	uint64_t applied_last;	/* last apply index committed */
	uint64_t applied_txn;	/* ... within the open write transaction */
	struct store_wb_cur wb_cur[STORE_WB_CUR];
	struct store_wb_cnt wb_cnt[STORE_WB_CNT];
	struct store_wb_ucnt wb_ucnt[STORE_WB_UCNT];
	int n_wb_cur, n_wb_cnt, n_wb_ucnt;
	/* work space of the write path (one writer: no allocation per event) */
	struct ld_ticket t_before, t_after;
	struct ld_ticket t_group;	/* a request group's check */
	struct ld_ikey ikeys_old[LD_IKEYS_MAX], ikeys_new[LD_IKEYS_MAX];
	uint8_t vbuf[STORE_REC_MAX];	/* a ticket's record */
	uint8_t dbuf[LD_VIEW_MAX];
	uint8_t ebuf[LD_FRAME_MAX];

	/* Durability through the journal (store_journal.c, store_ckpt.c;
	 * docs/storage.md): LMDB runs with MDB_NOSYNC; each write
	 * transaction's record is made durable in the journal before the
	 * transaction commits; a checkpoint now and then flushes the map
	 * (in its own thread) and keeps its two meta pages aside, and a read
	 * transaction held on it keeps its pages from reuse until the next
	 * one is durable. */
	bool journal;		/* on (not no_sync) */
	bool jready;		/* recovered: close checkpoints */
	bool jcap;		/* store_apply_one adds to the record */
	bool jnomem;		/* the record could not grow */
	int jfd[2];		/* the two journal files, taken in turn */
	int jcur;		/* the one written */
	uint64_t jlsn;		/* last record committed */
	uint64_t jrecs;		/* records in jfd[jcur] */
	uint64_t joff;		/* where the next record goes in it */
	uint8_t *jbuf;		/* the open transaction's record */
	size_t jlen, jcap_bytes;
	uint32_t jn_ev, jn_meta;
	uint8_t jkey[32];	/* the records' hash key (meta "jkey"): a
				 * record in old bytes (clients' text) is
				 * not taken for one of ours */
	uint64_t ckpt_bytes, ckpt_recs;	/* when a checkpoint is due */
	uint64_t n_replayed;	/* records applied at open (a crash) */
	unsigned psize;
	int cfd;		/* the checkpoint file */
	/* the checkpoint thread and what it shares, under ck_mu */
	pthread_t ck_thread;
	bool ck_started, ck_quit, ck_busy, ck_switch;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	uint8_t *ck_metas;	/* the job: the meta pages captured, */
	uint64_t ck_job_lsn;	/* its record, data.mdb's size, */
	uint64_t ck_job_size;
	MDB_txn *ck_snap;	/* and its snapshot, held from the capture */
	MDB_txn *held;		/* the last durable checkpoint's snapshot */
	uint64_t ckpt_gen;	/* its slot generation */
	uint64_t ckpt_lsn;	/* its record */
	uint64_t n_ckpt;	/* checkpoints since open */
	uint32_t ck_fails;	/* checkpoints failed in a row: the next
				 * waits 2^min(fails, STORE_CKPT_BACKOFF)
				 * times as long */
	uint64_t ck_try_recs, ck_try_off;	/* the journal when the
				 * writer began the last try (its own) */
};

/* The most a failing checkpoint's interval doubles (64 times). */
#define STORE_CKPT_BACKOFF 6

/* An LMDB or errno failure that must abort the write transaction, as
 * opposed to a refusal of one event (an LD_E* code). */
static inline int
store_fatal(int rc)
{
	return rc > 0 || rc <= -30000;
}

/* A read transaction under the grow lock (shared), and its end. */
int store_rd_txn(struct ld_store *s, MDB_txn **txn);
void store_rd_end(struct ld_store *s, MDB_txn *txn);

/* Start a write transaction's write-behind (empty), and write it out. */
void store_txn_start(struct ld_store *s);
int store_txn_flush(struct ld_store *s, MDB_txn *txn);
int store_log_last(struct ld_store *s, MDB_txn *txn, const char *origin,
    uint64_t *seq);
int store_mdb_err(struct ld_err *err, int rc, const char *what);
int store_apply_one(struct ld_store *s, MDB_txn *txn, struct ld_event *ev,
    int64_t now, bool replay, bool sparse, struct ld_err *err);
/* Double the map (up to map_max); LD_EFULL at the maximum. */
int store_grow(struct ld_store *s, struct ld_err *err);
/* Load ticket id's state into *t (zeroed, details empty, if absent). */
int store_txn_get_view(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err);
/* The same, its head only (codec_ticket_head_decode: n_wo 0). */
int store_txn_get_head(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err);
/* The last apply index in txn's snapshot (0: none). */
uint64_t store_last_applied(struct ld_store *s, MDB_txn *txn);

/* The meta values of a commit into txn; a u64 meta value in txn (0 if
 * absent) (store.c). */
int store_txn_put_meta(struct ld_store *s, MDB_txn *txn,
    const struct ld_store_meta *meta, size_t n_meta);
uint64_t store_txn_meta_u64(struct ld_store *s, MDB_txn *txn,
    const char *key);

/* ---- the journal (store_journal.c) ---- */
/* Write all n bytes at off (EINTR, short writes) and fdatasync: 0 or
 * errno.  Every write of the journal and the checkpoints is one. */
int store_pwrite_sync(int fd, const uint8_t *p, size_t n, uint64_t off);
#define STORE_JNL_FILE "journal-%d.ldj"
#define STORE_JLSN_KEY "jlsn"		/* in meta: last record applied */
#define STORE_JKEY_KEY "jkey"		/* in meta: the records' hash key */
/* The key from the database, made (and written) the first time. */
int store_jnl_key(struct ld_store *s, struct ld_err *err);
/* Open (create) the two journal files. */
int store_jnl_open(struct ld_store *s, struct ld_err *err);
void store_jnl_close(struct ld_store *s);
/* Start the open transaction's record (empty). */
void store_jnl_begin(struct ld_store *s);
/* Add an applied event's bytes, a meta value. */
void store_jnl_event(struct ld_store *s, const uint8_t *ev, size_t len);
void store_jnl_meta(struct ld_store *s, const char *key, uint64_t value);
/* Does the open record hold anything? */
bool store_jnl_any(const struct ld_store *s);
/* Write the record as number lsn and make it durable (fdatasync). */
int store_jnl_write(struct ld_store *s, uint64_t lsn, int64_t now,
    struct ld_err *err);
/* The record written could not be committed: spoil it (0, or errno:
 * then it may be applied at the next open, so nothing more is tried). */
int store_jnl_spoil(struct ld_store *s);
/* The transaction of record lsn committed: move on (under ck_mu:
 * store_stats reads jlsn and joff from other threads). */
void store_jnl_committed(struct ld_store *s, uint64_t lsn);
/* At open: apply every record after the database's last (one write
 * transaction each, as the live path wrote it).  *n: how many.  With
 * apply false, such a record is an error (LD_ESCHEMA: a migration). */
int store_jnl_recover(struct ld_store *s, bool apply, uint64_t *n,
    struct ld_err *err);
/* Later records go to the start of the other file (a checkpoint began:
 * the one before it is durable, so that file's records are not needed). */
void store_jnl_switch(struct ld_store *s);

/* ---- checkpoints (store_ckpt.c) ---- */
#define STORE_CKPT_FILE "checkpoint.ldc"
/* Before mdb_env_open: put the last checkpoint's meta pages back into
 * data.mdb when they differ (after a crash). */
int store_ckpt_restore(struct ld_store *s, struct ld_err *err);
/* After it: start the checkpoint thread. */
int store_ckpt_start(struct ld_store *s, struct ld_err *err);
/* The writer, between commits: one in the background when due and none
 * is under way.  Needs no lock: the capture takes microseconds. */
void store_ckpt_kick(struct ld_store *s);
/* The writer, between commits: one now, waited for (open, close, before
 * the map grows, a full map). */
int store_ckpt_take(struct ld_store *s, struct ld_err *err);
/* Wait for the one under way, if any. */
void store_ckpt_wait(struct ld_store *s);
/* Is a checkpoint's snapshot held (journaled commits need one)? */
bool store_ckpt_held(struct ld_store *s);
/* Let the held snapshot go (before mdb_env_set_mapsize), hold it again. */
void store_ckpt_release(struct ld_store *s);
int store_ckpt_rehold(struct ld_store *s);
/* Stop the thread, let go, close (store_close). */
void store_ckpt_close(struct ld_store *s);

struct store_rec {
	bool held;		/* a record was there */
	bool spilled;		/* later history in the history database */
	const uint8_t *view;	/* into the transaction's pages */
	size_t view_len;
	const uint8_t *hist;	/* n_hist entries */
	size_t n_hist;
};

/* Split a record into *r: -1 if it is damaged. */
int store_view_split(const MDB_val *v, struct store_rec *r);
/* ticket id's record into *r (r->held false if absent); LD_ECORRUPT. */
int store_txn_get_rec(struct ld_store *s, MDB_txn *txn, const char *id,
    struct store_rec *r, struct ld_err *err);
/* store_txn_get_view, and the record it came from in *r. */
int store_txn_get_view_rec(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct store_rec *r, struct ld_err *err);
/* Load its details into *t (left empty if absent). */
int store_txn_get_details(struct ld_store *s, MDB_txn *txn, const char *id,
    struct ld_ticket *t, struct ld_err *err);

#endif
