/*
 * bench_trace.h - the LMDB operations of the store's commits, recorded and
 * played again into a bare LMDB environment: what the store's layout (log,
 * apply order, ticket records, index keys, counters, meta) costs LMDB
 * alone, with no decoding, encoding, state machine or journal
 * (tools/bench-store.c, docs/performance.md "The layout's own cost").
 *
 * Only a program linked with the wrappers below (-Wl,--wrap=mdb_put,...:
 * BTRACE_WRAP in the Makefile; bench-store and its test) uses this: every
 * call of those functions goes through the wrappers here, which pass it
 * on and, between btrace_start() and btrace_stop(), record the calls made
 * in a write transaction begun on the thread that called btrace_start():
 * database, flags, key and value bytes and the code LMDB returned.  Read
 * transactions are not recorded; an aborted one (or a failed commit) is
 * taken out again; a commit ends its transaction in the recording.  The
 * nodes are not linked with it.
 */
#ifndef LD_BENCH_TRACE_H
#define LD_BENCH_TRACE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Start recording on the calling thread (drops what was recorded). */
void btrace_start(void);
/* Stop recording (a transaction still open stays unfinished in it). */
void btrace_stop(void);
/* Entries recorded since btrace_start() (operations and commit marks). */
size_t btrace_ops(void);
/* Wall seconds spent inside the recorded LMDB calls and commits since
 * btrace_start(): the store's own LMDB time.  Each call is timed, so the
 * recording slows what it records; the clock's own cost (measured at the
 * first btrace_start()) is taken off. */
double btrace_lmdb_seconds(void);
/* Free the recording's memory. */
void btrace_free(void);

/* What a replay measured: wall and CPU seconds of its write transactions
 * (the operations and the commit; as durable as env makes them: bench-store
 * opens it with MDB_NOSYNC), and how many it committed. */
struct btrace_result {
	double seconds, cpu;
	uint64_t commits, ops;	/* ops: puts, gets, deletes, cursor steps */
	uint64_t puts, gets, dels, cursor_steps;	/* ops by kind */
};

/*
 * Play the recorded operations into env, one write transaction per
 * recorded commit, in order; databases are opened by the name "d<N>"
 * (N: the store's database handle) with the store's flags.  Values are the
 * recorded bytes.  Every operation must give the code it gave in the
 * store (a put MDB_KEYEXIST, a get MDB_NOTFOUND, ...): else LD_EINVAL
 * naming the operation, and the transaction is aborted.  A recording
 * that ran out of memory or past its limits is refused (LD_ENOMEM,
 * LD_ELIMIT).  The recording is dropped afterwards.  Adds to *r.
 */
int btrace_replay(MDB_env *env, struct btrace_result *r, struct ld_err *err);

/* The wrappers and the real functions (linker --wrap). */
int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
    unsigned int flags);
int __real_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
    unsigned int flags);
int __wrap_mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __real_mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __wrap_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __real_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __wrap_mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor);
int __real_mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor);
int __wrap_mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    MDB_cursor_op op);
int __real_mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    MDB_cursor_op op);
void __wrap_mdb_cursor_close(MDB_cursor *cursor);
void __real_mdb_cursor_close(MDB_cursor *cursor);
int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
    MDB_txn **txn);
int __real_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
    MDB_txn **txn);
int __wrap_mdb_txn_commit(MDB_txn *txn);
int __real_mdb_txn_commit(MDB_txn *txn);
void __wrap_mdb_txn_abort(MDB_txn *txn);
void __real_mdb_txn_abort(MDB_txn *txn);
/* not played: they make the recording unusable */
int __wrap_mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    unsigned int flags);
int __real_mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data,
    unsigned int flags);
int __wrap_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);
int __real_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);
int __wrap_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);
int __real_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);

#endif
