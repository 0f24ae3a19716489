/* test_bench_trace.c - the recording of the store's LMDB operations and
 * its replay (shared/bench_trace.h), which bench-store's "layout" figures
 * stand on: the replay must write what the store wrote, refuse what it
 * cannot play, and leave other threads alone.  Linked with the --wrap
 * flags (Makefile, BTRACE_WRAP). */
#include "testutil.h"
#include "testgen.h"

#include "bench_trace.h"
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <sys/stat.h>

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */

/* parent/name, allocated. */
static char *
sub_path(const char *parent, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", parent, name) > 0);
	return p;
}

static MDB_env *
bare_env(const char *parent, const char *name)
{
	char *dir = sub_path(parent, name);
	MDB_env *env;

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
	assert_int_equal(mdb_env_set_mapsize(env, (size_t)64 << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600),
	    0);
	free(dir);
	return env;
}

/* Commit n ticket life cycles (created, dispatched, signed, completed),
 * one or two events per store_commit; returns the commits made. */
static int
commit_recorded(struct ld_store *s, int n)
{
	struct ld_event *e = calloc(2, sizeof(*e));
	struct ld_store_item it[2] = { { .ev = &e[0] }, { .ev = &e[1] } };
	struct ld_err err;
	int commits = 0;

	for (int i = 0; i < n; i++) {
		int64_t t = T0 + i * 60000LL;
		char id[LD_TICKET_MAX + 1], phone[16];

		snprintf(phone, sizeof(phone), "139%08d", i);
		tg_created(&e[0], "XA", t, phone);
		assert_int_equal(store_commit(s, it, 1, t, &err), 0);
		assert_int_equal(it[0].rc, 0);
		commits++;
		snprintf(id, sizeof(id), "%s", e[0].ticket);
		tg_dispatched(&e[0], "XA", t + 1000, id, 1, "water");
		tg_wo_event(&e[1], LD_EV_SIGNED, "XA", t + 2000, id, 1);
		assert_int_equal(store_commit(s, it, 2, t + 2000, &err), 0);
		assert_int_equal(it[0].rc, 0);
		assert_int_equal(it[1].rc, 0);
		tg_wo_event(&e[0], LD_EV_COMPLETED, "XA", t + TG_HOUR, id, 1);
		assert_int_equal(store_commit(s, it, 1, t + TG_HOUR, &err), 0);
		assert_int_equal(it[0].rc, 0);
		commits += 2;
	}
	free(e);
	return commits;
}

/* Database dbi of s's environment and "d<dbi>" of env hold the same
 * records; returns how many. */
static size_t
same_records(struct ld_store *s, MDB_dbi dbi, MDB_env *env)
{
	MDB_txn *a, *b;
	MDB_dbi d;
	MDB_cursor *ca, *cb;
	MDB_val ka, va, kb, vb;
	char name[16];
	size_t n = 0;
	int ra, rb;

	snprintf(name, sizeof(name), "d%u", dbi);
	assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &a), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &b), 0);
	assert_int_equal(mdb_dbi_open(b, name, 0, &d), 0);
	assert_int_equal(mdb_cursor_open(a, dbi, &ca), 0);
	assert_int_equal(mdb_cursor_open(b, d, &cb), 0);
	ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST);
	rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
	while (ra == 0 && rb == 0) {
		assert_int_equal(ka.mv_size, kb.mv_size);
		assert_memory_equal(ka.mv_data, kb.mv_data, ka.mv_size);
		assert_int_equal(va.mv_size, vb.mv_size);
		assert_memory_equal(va.mv_data, vb.mv_data, va.mv_size);
		n++;
		ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
		rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
	}
	assert_int_equal(ra, MDB_NOTFOUND);
	assert_int_equal(rb, MDB_NOTFOUND);
	mdb_cursor_close(ca);
	mdb_cursor_close(cb);
	mdb_txn_abort(a);
	mdb_txn_abort(b);
	return n;
}

/* The replay writes every record the store wrote (all but meta, which the
 * store wrote at its open too). */
static void
t_replay_equals_store(void **state)
{
	char *dir = tu_tmpdir(), *sdir = sub_path(dir, "store");
	struct ld_store *s = tu_open_store(sdir, "XA", 0, 0);
	MDB_env *env = bare_env(dir, "replay");
	struct btrace_result r = { 0 };
	struct ld_err err;
	int commits;

	(void)state;
	btrace_start();
	commits = commit_recorded(s, 40);
	btrace_stop();
	assert_true(btrace_ops() > 40 * 4 * 5);
	assert_int_equal(btrace_replay(env, &r, &err), 0);
	assert_int_equal(r.commits, (uint64_t)commits);
	assert_true(r.puts > 0 && r.gets > 0 && r.dels > 0);
	assert_int_equal(r.ops, r.puts + r.gets + r.dels + r.cursor_steps);
	assert_int_equal(btrace_ops(), 0);	/* dropped */

	assert_int_equal(same_records(s, s->events, env), 160);
	assert_int_equal(same_records(s, s->applied, env), 160);
	assert_int_equal(same_records(s, s->tickets, env), 40);
	assert_int_equal(same_records(s, s->details, env), 40);
	assert_true(same_records(s, s->counters, env) > 0);
	assert_true(same_records(s, s->ucounters, env) > 0);
	size_t keys = 0;
	for (int i = 0; i < LD_IX__COUNT; i++) {
		MDB_txn *t;
		MDB_stat st;

		/* an index the recording left empty may not be in env */
		assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t), 0);
		assert_int_equal(mdb_stat(t, s->idx[i], &st), 0);
		mdb_txn_abort(t);
		if (st.ms_entries > 0)
			keys += same_records(s, s->idx[i], env);
	}
	assert_true(keys >= 40 * 3);

	store_close(s);
	mdb_env_close(env);
	free(sdir);
	tu_rm_tree(dir);
}

/* A store whose map fills up aborts the transaction, grows the map and
 * does it again: the aborted attempt is not in the recording. */
static void
t_replay_after_growth(void **state)
{
	char *dir = tu_tmpdir(), *sdir = sub_path(dir, "store");
	struct ld_store *s = tu_open_store(sdir, "XA", (size_t)256 << 10,
	    (size_t)64 << 20);
	MDB_env *env = bare_env(dir, "replay");
	struct btrace_result r = { 0 };
	struct ld_store_stats st0, st1;
	struct ld_err err;

	(void)state;
	assert_int_equal(store_stats(s, &st0), 0);
	btrace_start();
	commit_recorded(s, 120);
	btrace_stop();
	assert_int_equal(store_stats(s, &st1), 0);
	assert_true(st1.map_size > st0.map_size);	/* it grew */
	assert_int_equal(btrace_replay(env, &r, &err), 0);
	assert_int_equal(same_records(s, s->events, env), 480);
	assert_int_equal(same_records(s, s->tickets, env), 120);
	store_close(s);
	mdb_env_close(env);
	free(sdir);
	tu_rm_tree(dir);
}

/* An operation that gives another code in the replay than in the store
 * stops it with a message that names it. */
static void
t_replay_mismatch(void **state)
{
	char *dir = tu_tmpdir(), *s1 = sub_path(dir, "s1");
	char *s2 = sub_path(dir, "s2");
	struct ld_store *a = tu_open_store(s1, "XA", 0, 0);
	struct ld_store *b = tu_open_store(s2, "XA", 0, 0);
	MDB_env *env = bare_env(dir, "replay");
	struct btrace_result r = { 0 };
	struct ld_err err;

	(void)state;
	btrace_start();
	commit_recorded(a, 2);
	btrace_stop();
	assert_int_equal(btrace_replay(env, &r, &err), 0);
	/* the same events again, from a second store: the log's put
	 * (MDB_NOOVERWRITE) finds its key in env */
	btrace_start();
	commit_recorded(b, 2);
	btrace_stop();
	memset(&r, 0, sizeof(r));
	assert_int_equal(btrace_replay(env, &r, &err), LD_EINVAL);
	print_message("%s\n", err.msg);
	assert_non_null(strstr(err.msg, "where the store got"));
	assert_non_null(strstr(err.msg, "No matching key/data pair found"));
	assert_int_equal(r.commits, 0);
	assert_int_equal(btrace_ops(), 0);
	store_close(a);
	store_close(b);
	mdb_env_close(env);
	free(s1);
	free(s2);
	tu_rm_tree(dir);
}

/* Only the write transaction begun on the recording's thread is
 * recorded: not a read transaction, not an aborted one; a put refused
 * with MDB_KEYEXIST is recorded and played with its code; a commit ends
 * the transaction, closing the cursors LMDB closes with it. */
static void
t_transactions(void **state)
{
	char *dir = tu_tmpdir();
	MDB_env *src = bare_env(dir, "src"), *env = bare_env(dir, "replay");
	MDB_txn *txn;
	MDB_dbi d;
	MDB_cursor *c;
	MDB_val k = { 1, (void *)"a" }, v = { 1, (void *)"x" };
	struct btrace_result r = { 0 };
	struct ld_err err;
	char name[16];

	(void)state;
	assert_int_equal(mdb_txn_begin(src, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "t", MDB_CREATE, &d), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);

	btrace_start();
	assert_int_equal(mdb_txn_begin(src, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_get(txn, d, &k, &v), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	assert_int_equal(btrace_ops(), 0);	/* read: not recorded */

	assert_int_equal(mdb_txn_begin(src, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
	assert_int_equal(btrace_ops(), 1);
	mdb_txn_abort(txn);
	assert_int_equal(btrace_ops(), 0);	/* aborted: taken out */

	assert_int_equal(mdb_txn_begin(src, NULL, 0, &txn), 0);
	k.mv_data = (void *)"b";
	assert_int_equal(mdb_put(txn, d, &k, &v, MDB_NOOVERWRITE), 0);
	v.mv_data = (void *)"y";
	assert_int_equal(mdb_put(txn, d, &k, &v, MDB_NOOVERWRITE), MDB_KEYEXIST);
	assert_int_equal(mdb_cursor_open(txn, d, &c), 0);
	k.mv_data = (void *)"a";
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);	/* c closed with it */
	assert_int_equal(btrace_ops(), 5);	/* 2 puts, open, get, commit */
	btrace_stop();

	assert_int_equal(btrace_replay(env, &r, &err), 0);
	assert_int_equal(r.commits, 1);
	assert_int_equal(r.puts, 2);
	assert_int_equal(r.gets, 0);
	assert_int_equal(r.cursor_steps, 1);
	assert_int_equal(r.ops, 3);

	snprintf(name, sizeof(name), "d%u", d);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, 0, &d), 0);
	k.mv_data = (void *)"a";
	assert_int_equal(mdb_get(txn, d, &k, &v), MDB_NOTFOUND);
	k.mv_data = (void *)"b";
	assert_int_equal(mdb_get(txn, d, &k, &v), 0);
	assert_int_equal(v.mv_size, 1);
	assert_memory_equal(v.mv_data, "x", 1);	/* the first put's */
	mdb_txn_abort(txn);

	mdb_env_close(src);
	mdb_env_close(env);
	tu_rm_tree(dir);
}

/* What the replay does not play makes the recording unusable; one that
 * ends inside a transaction is refused too. */
static void
t_replay_refuses(void **state)
{
	char *dir = tu_tmpdir();
	MDB_env *src = bare_env(dir, "src"), *env = bare_env(dir, "replay");
	MDB_txn *txn;
	MDB_dbi d;
	MDB_cursor *c;
	MDB_val k = { 3, (void *)"abc" }, v = { 1, (void *)"x" };
	struct btrace_result r = { 0 };
	struct ld_err err;

	(void)state;
	btrace_start();
	assert_int_equal(mdb_txn_begin(src, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "t", MDB_CREATE, &d), 0);
	assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
	assert_int_equal(mdb_cursor_open(txn, d, &c), 0);
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
	v.mv_data = (void *)"z";
	assert_int_equal(mdb_cursor_put(c, &k, &v, MDB_CURRENT), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	btrace_stop();
	assert_int_equal(btrace_replay(env, &r, &err), LD_ELIMIT);
	assert_non_null(strstr(err.msg, "unusable"));
	assert_non_null(strstr(err.msg, "cursor put"));
	assert_int_equal(btrace_ops(), 0);	/* dropped */

	/* stopped with its transaction open */
	btrace_start();
	assert_int_equal(mdb_txn_begin(src, NULL, 0, &txn), 0);
	k.mv_data = (void *)"abd";
	assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
	btrace_stop();
	assert_int_equal(btrace_replay(env, &r, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "ends inside a transaction"));
	assert_int_equal(r.commits, 0);
	mdb_txn_abort(txn);

	mdb_env_close(src);
	mdb_env_close(env);
	tu_rm_tree(dir);
}

struct other {
	MDB_env *env;
	int rc;
};

static void *
other_thread(void *arg)
{
	struct other *o = arg;
	MDB_txn *txn;
	MDB_dbi d;
	MDB_val k = { 5, (void *)"other" }, v = { 1, (void *)"y" };

	o->rc = mdb_txn_begin(o->env, NULL, 0, &txn);
	if (o->rc == 0)
		o->rc = mdb_dbi_open(txn, "t", MDB_CREATE, &d);
	if (o->rc == 0)
		o->rc = mdb_put(txn, d, &k, &v, 0);
	if (o->rc == 0)
		o->rc = mdb_txn_commit(txn);
	return NULL;
}

/* Only the thread that started the recording is recorded. */
static void
t_other_threads_pass(void **state)
{
	char *dir = tu_tmpdir();
	struct other o = { .env = bare_env(dir, "src"), .rc = -1 };
	pthread_t th;

	(void)state;
	btrace_start();
	assert_int_equal(pthread_create(&th, NULL, other_thread, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	btrace_stop();
	assert_int_equal(o.rc, 0);
	assert_int_equal(btrace_ops(), 0);
	mdb_env_close(o.env);
	tu_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_replay_equals_store),
		cmocka_unit_test(t_replay_after_growth),
		cmocka_unit_test(t_replay_mismatch),
		cmocka_unit_test(t_transactions),
		cmocka_unit_test(t_replay_refuses),
		cmocka_unit_test(t_other_threads_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
