/*
 * test_crash.c - kill -9 a writer at random moments, at least 100 times.
 *
 * A child process writes batches of events (new tickets and steps of their
 * life cycle) and, after each durable commit, tells the parent through a
 * pipe the highest sequence number acknowledged.  The parent kills it with
 * SIGKILL after a random delay, reopens the store and checks:
 *  - every acknowledged event is there (cursor >= last ack), with no gap;
 *  - none is doubled: the log, the applied order and the cursor agree on
 *    the count, and every event's tag (actor "t:<round>:<n>") is unique;
 *  - store_rebuild() finds the views equal to a replay of the log.
 * Seed: LD_SEED (printed), rounds: LD_CRASH_ROUNDS (default 100).
 *
 * Then a power loss, LD_POWER_ROUNDS times (default 60): the child commits
 * a few batches, checkpoints every 8, and stops without closing; the
 * parent makes of data.mdb what a power cut could leave (power_image) and
 * checks the same, and that exactly the acknowledged events are there.
 */
#include "testutil.h"
#include "testgen.h"

#include "codec.h"
#include "ltime.h"
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0 1321412700000LL

static unsigned crash_seed;

/* Copy data.mdb as it is now to snap (the child, at a checkpoint: what a
 * power loss cannot take away). */
static void
crash_snap(const char *dir, const char *snap)
{
	char path[512];
	size_t len;
	uint8_t *b;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	b = (uint8_t *)tu_slurp(path, &len);
	f = fopen(snap, "wb");
	if (b == NULL || f == NULL || fwrite(b, 1, len, f) != len)
		_exit(5);
	fclose(f);
	free(b);
}

/* The child: write until killed, or (power) for `commits` commits, with a
 * copy of data.mdb at each checkpoint, then stop without closing. */
static void
crash_child(const char *dir, int fd, int round, unsigned seed,
    const char *snap, int commits)
{
	struct ld_store_opts o = { .dir = dir, .node = "XA",
		.ckpt_recs = snap ? 8 : 0 };
	uint64_t ckpts = 0;
	struct ld_store *s;
	struct ld_err err;
	struct ld_event *ev = calloc(64, sizeof(*ev));
	struct ld_store_item it[64];
	char open_ids[64][LD_TICKET_MAX + 1];
	int open_wo_state[64], n_open = 0;
	unsigned n = 0;
	int64_t t = T0 + (int64_t)round * 3600000;

	srand(seed);
	if (store_open(&s, &o, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(2);
	}
	if (snap) {
		crash_snap(dir, snap);
		ckpts = s->ck_job_lsn;
	}
	for (int done = 0; snap == NULL || done < commits; done++) {
		int batch = 1 + rand() % 40;

		for (int i = 0; i < batch; i++) {
			struct ld_event *e = &ev[i];
			int k = n_open ? rand() % n_open : -1;

			t += 1000;
			if (k < 0 || rand() % 3 == 0 || n_open < 4) {
				tg_created(e, "XA", t, "13800001111");
			} else if (open_wo_state[k] == 0) {
				tg_dispatched(e, "XA", t, open_ids[k], 1, "unicom");
			} else if (open_wo_state[k] == 1) {
				tg_wo_event(e, LD_EV_SIGNED, "XA", t, open_ids[k], 1);
			} else {
				tg_wo_event(e, LD_EV_COMPLETED, "XA", t, open_ids[k], 1);
			}
			snprintf(e->actor, sizeof(e->actor), "t:%d:%u", round, n++);
			memset(&it[i], 0, sizeof(it[i]));
			it[i].ev = e;
		}
		if (store_commit(s, it, (size_t)batch, t, &err) != 0) {
			fprintf(stderr, "child: commit: %s\n", err.msg);
			_exit(3);
		}
		uint64_t last = 0;
		for (int i = 0; i < batch; i++) {
			struct ld_event *e = it[i].ev;
			if (it[i].rc != 0)
				continue;	/* e.g. a step on a ticket done */
			last = e->seq;
			if (e->kind == LD_EV_TICKET_CREATED && n_open < 64) {
				strcpy(open_ids[n_open], e->ticket);
				open_wo_state[n_open++] = 0;
			} else {
				for (int j = 0; j < n_open; j++)
					if (strcmp(open_ids[j], e->ticket) == 0) {
						if (++open_wo_state[j] == 3) {
							memcpy(open_ids[j], open_ids[n_open - 1], sizeof(open_ids[j]));
							open_wo_state[j] = open_wo_state[--n_open];
						}
						break;
					}
			}
		}
		/* a checkpoint began at this commit: let it end, so that what
		 * it holds is known (the file as it is now) */
		pthread_mutex_lock(&s->ck_mu);
		uint64_t job = s->ck_job_lsn;
		pthread_mutex_unlock(&s->ck_mu);
		if (snap && job != ckpts) {
			store_ckpt_wait(s);
			crash_snap(dir, snap);
			ckpts = job;
		}
		if (last != 0 && write(fd, &last, sizeof(last)) != sizeof(last))
			_exit(4);
	}
	/* power: where the journal's durable part ends */
	uint64_t end = UINT64_MAX, jlsn = s->jlsn, jcur = (uint64_t)s->jcur;
	store_ckpt_wait(s);	/* (none may be under way at the cut) */
	if (write(fd, &end, sizeof(end)) != sizeof(end) ||
	    write(fd, &s->joff, sizeof(s->joff)) != sizeof(s->joff) ||
	    write(fd, &jlsn, sizeof(jlsn)) != sizeof(jlsn) ||
	    write(fd, &jcur, sizeof(jcur)) != sizeof(jcur))
		_exit(4);
	_exit(0);	/* no store_close: no checkpoint */
}

/* Tags seen so far: a simple open-addressing set of strings. */
struct tagset {
	char (*tag)[LD_ACTOR_MAX + 1];
	size_t cap, n;
};

static int
tagset_add(struct tagset *ts, const char *tag)
{
	uint32_t h = 2166136261u;

	if (ts->n * 2 >= ts->cap) {
		struct tagset big = { calloc(ts->cap * 2, sizeof(*ts->tag)),
			ts->cap * 2, 0 };
		for (size_t i = 0; i < ts->cap; i++)
			if (ts->tag[i][0])
				tagset_add(&big, ts->tag[i]);
		free(ts->tag);
		*ts = big;
	}
	for (const char *p = tag; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (size_t i = h % ts->cap;; i = (i + 1) % ts->cap) {
		if (ts->tag[i][0] == '\0') {
			strcpy(ts->tag[i], tag);
			ts->n++;
			return 0;
		}
		if (strcmp(ts->tag[i], tag) == 0)
			return -1;
	}
}

/* Reopen and check everything the header promises. */
static void
crash_verify(const char *dir, uint64_t acked, int round)
{
	struct ld_store_opts o = { .dir = dir, .node = "XA" };
	struct ld_store *s;
	struct ld_err err;
	struct ld_event *ev = malloc(sizeof(*ev));
	struct tagset ts = { calloc(1024, sizeof(*ts.tag)), 1024, 0 };
	struct ld_store_stats st;

	if (store_open(&s, &o, &err) != 0)
		fail_msg("round %d (seed %u): reopen: %s", round, crash_seed,
		    err.msg);
	uint64_t cur = store_cursor(s, "XA");
	if (cur < acked)
		fail_msg("round %d (seed %u): acknowledged up to %llu, store has "
		    "%llu", round, crash_seed, (unsigned long long)acked,
		    (unsigned long long)cur);
	/* one snapshot, one cursor over the log: keys XA\0.. | seq 1, 2, ... */
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t q = 0;
	assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_cursor_open(txn, s->events, &c), 0);
	for (int g = mdb_cursor_get(c, &k, &v, MDB_FIRST); g == 0;
	    g = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		q++;
		assert_int_equal(k.mv_size, LD_NODE_MAX + 8);
		if (views_get_u64((uint8_t *)k.mv_data + LD_NODE_MAX) != q)
			fail_msg("round %d (seed %u): gap in the log at %llu",
			    round, crash_seed, (unsigned long long)q);
		if (codec_event_decode(v.mv_data, v.mv_size, ev, &err) != 0)
			fail_msg("round %d: event %llu: %s", round,
			    (unsigned long long)q, err.msg);
		if (tagset_add(&ts, ev->actor) != 0)
			fail_msg("round %d (seed %u): event tag %s doubled", round,
			    crash_seed, ev->actor);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	assert_int_equal(q, cur);
	store_stats(s, &st);
	assert_int_equal(st.events, cur);
	assert_int_equal(s->applied_last, cur);
	if (store_rebuild(s, false, &err) != 0)
		fail_msg("round %d (seed %u): rebuild: %s", round, crash_seed,
		    err.msg);
	store_close(s);
	free(ts.tag);
	free(ev);
}

static void
t_kill9(void **state)
{
	const char *r = getenv("LD_CRASH_ROUNDS");
	int rounds = r ? atoi(r) : 100, killed_mid = 0;
	char *dir = tu_tmpdir();
	uint64_t acked = 0;

	(void)state;
	srand(crash_seed);
	for (int round = 0; round < rounds; round++) {
		int p[2];
		pid_t pid;
		unsigned child_seed = (unsigned)rand();
		int delay_ms = 5 + rand() % 60;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_child(dir, p[1], round, child_seed, NULL, 0);
			_exit(0);
		}
		close(p[1]);
		/* three rounds in four: let the writer get going (one ack), so
		 * slow runs (valgrind) still kill mid-write; the fourth may
		 * kill it while it opens the store */
		if (round % 4 != 0) {
			uint64_t first;
			if (read(p[0], &first, sizeof(first)) == sizeof(first))
				acked = first;
		}
		struct timespec ts = { delay_ms / 1000,
			(long)(delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed_mid++;
		else
			fail_msg("round %d: child exited by itself (status %d)",
			    round, status);
		uint64_t v;
		ssize_t got;
		while ((got = read(p[0], &v, sizeof(v))) == sizeof(v))
			acked = v;
		close(p[0]);
		crash_verify(dir, acked, round);
	}
	printf("crash: %d rounds, %d kills mid-write, %llu events acknowledged, "
	    "seed %u\n", rounds, killed_mid, (unsigned long long)acked,
	    crash_seed);
	assert_true(acked > 0);
	tu_rm_tree(dir);
}

/*
 * The power goes: of the writes since the last checkpoint, any may have
 * reached the disk or not, whole or torn (LMDB's pages and meta pages
 * alike); data.mdb may be shorter, its new pages zero.  Built page by
 * page from the copy taken at the checkpoint (S) and the file as the
 * child left it (F).  The journal is durable up to the last commit
 * acknowledged; after it, a torn record.
 */
static void
power_image(const char *dir, const char *snap, uint64_t jend, uint64_t jlsn,
    uint64_t jcur, unsigned *stats)
{
	const size_t ps = 4096;
	char path[512];
	size_t ls = 0, lf = 0, len;
	uint8_t *S = (uint8_t *)tu_slurp(snap, &ls), *F, *out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	F = (uint8_t *)tu_slurp(path, &lf);
	assert_non_null(S);
	assert_non_null(F);
	len = lf;
	if (lf > ls && rand() % 2)	/* the file's growth lost in part */
		len = ls + ps * (size_t)(rand() % (int)((lf - ls) / ps + 1));
	out = calloc(1, len ? len : 1);
	for (size_t off = 0; off < len; off += ps) {
		const uint8_t *fp = F + off, *sp = off < ls ? S + off : NULL;
		uint8_t *op = out + off;

		if (sp && memcmp(fp, sp, ps) == 0) {
			memcpy(op, fp, ps);
			continue;
		}
		stats[0]++;	/* a page written since the checkpoint */
		switch (rand() % 3) {
		case 0:		/* never reached the disk */
			if (sp)
				memcpy(op, sp, ps);
			stats[1]++;
			break;
		case 1:		/* reached it */
			memcpy(op, fp, ps);
			stats[2]++;
			break;
		default: {	/* torn at a sector */
			size_t cut = 512 * (size_t)(1 + rand() % 7);
			memcpy(op, fp, cut);
			if (sp)
				memcpy(op + cut, sp + cut, ps - cut);
			stats[3]++;
		}
		}
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(out, 1, len, f), len);
	fclose(f);
	/* the record that was being written when the power went */
	snprintf(path, sizeof(path), "%s/journal-%d.ldj", dir, (int)jcur);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	uint8_t junk[3000];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	if (rand() % 2) {	/* a whole header, a torn body */
		junk[0] = 'L', junk[1] = 'D', junk[2] = 'J', junk[3] = '1';
		views_put_u64(junk + 4, jlsn + 1);
		junk[20] = 0, junk[21] = 0, junk[22] = 0x0b, junk[23] = 0xb8;
	}
	size_t n = 1 + (size_t)rand() % sizeof(junk);
	assert_int_equal(pwrite(fd, junk, n, (off_t)jend), (ssize_t)n);
	close(fd);
	free(S);
	free(F);
	free(out);
}

static void
t_power_loss(void **state)
{
	const char *r = getenv("LD_POWER_ROUNDS");
	int rounds = r ? atoi(r) : 60;
	char *dir = tu_tmpdir(), snap[512];
	unsigned stats[4] = { 0, 0, 0, 0 };
	uint64_t acked = 0;

	(void)state;
	snprintf(snap, sizeof(snap), "%s.snap", dir);
	srand(crash_seed + 1);
	for (int round = 0; round < rounds; round++) {
		int p[2], status;
		uint64_t v, jend = 0, jlsn = 0, jcur = 0;
		pid_t pid;
		unsigned child_seed = (unsigned)rand();
		int commits = 1 + rand() % 40;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_child(dir, p[1], round, child_seed, snap, commits);
		}
		close(p[1]);
		while (read(p[0], &v, sizeof(v)) == sizeof(v) && v != UINT64_MAX)
			acked = v;
		assert_int_equal(read(p[0], &jend, sizeof(jend)), sizeof(jend));
		assert_int_equal(read(p[0], &jlsn, sizeof(jlsn)), sizeof(jlsn));
		assert_int_equal(read(p[0], &jcur, sizeof(jcur)), sizeof(jcur));
		close(p[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		power_image(dir, snap, jend, jlsn, jcur, stats);
		crash_verify(dir, acked, round);
		/* nothing more than was acknowledged either */
		struct ld_store_opts o = { .dir = dir, .node = "XA" };
		struct ld_store *s;
		struct ld_err err;
		assert_int_equal(store_open(&s, &o, &err), 0);
		if (store_cursor(s, "XA") != acked)
			fail_msg("round %d (seed %u): acknowledged %llu, store has "
			    "%llu", round, crash_seed, (unsigned long long)acked,
			    (unsigned long long)store_cursor(s, "XA"));
		store_close(s);
	}
	printf("power: %d rounds, %llu events acknowledged, %u pages written "
	    "since their checkpoint: %u lost, %u kept, %u torn; seed %u\n",
	    rounds, (unsigned long long)acked, stats[0], stats[1], stats[2],
	    stats[3], crash_seed);
	assert_true(stats[1] > 0 && stats[3] > 0);
	unlink(snap);
	tu_rm_tree(dir);
}

/* A child's batch: n new tickets, committed, the last seq acknowledged on
 * fd; any failure ends the child (3: commit, 4: the pipe). */
static void
child_created(struct ld_store *s, struct ld_event *e, struct ld_store_item *it,
    int n, int64_t *t, int fd)
{
	struct ld_err err;
	uint64_t v;

	for (int i = 0; i < n; i++) {
		*t += 1000;
		tg_created(&e[i], "XA", *t, "13800001111");
		memset(&it[i], 0, sizeof(it[i]));
		it[i].ev = &e[i];
	}
	if (store_commit(s, it, (size_t)n, *t, &err) != 0)
		_exit(3);
	v = e[n - 1].seq;
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(4);
}

/* The records after the checkpoint need more room than the checkpoint's
 * map: applying them again grows the map (which takes a checkpoint) in the
 * middle of the recovery. */
static void
t_grow_in_recovery(void **state)
{
	char *dir = tu_tmpdir();
	struct ld_store_opts o = { .dir = dir, .node = "XA",
		.map_size = 1 << 20, .map_max = 256 << 20,
		.ckpt_recs = 1u << 30, .ckpt_bytes = 1ull << 40 };
	struct ld_store *s;
	struct ld_err err;
	int p[2], status;
	uint64_t acked = 0, v;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ld_event *e = calloc(400, sizeof(*e));
		struct ld_store_item it[400];
		int64_t t = T0;

		close(p[0]);
		if (store_open(&s, &o, &err) != 0)
			_exit(2);
		/* past a grow (it checkpoints at the old size), then well past
		 * that size with no checkpoint since */
		size_t prev = s->map_size, from = 0;
		bool past = false;
		for (int b = 0; b < 5000 && !past; b++) {
			child_created(s, e, it, 400, &t, p[1]);
			struct ld_store_stats st;
			store_stats(s, &st);
			if (s->map_size != prev)
				from = prev;
			prev = s->map_size;
			past = from != 0 && st.used_bytes > from + (prev - from) * 3 / 4;
		}
		_exit(past ? 0 : 5);
	}
	close(p[1]);
	while (read(p[0], &v, sizeof(v)) == sizeof(v))
		acked = v;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	o.map_size = 1 << 20;
	if (store_open(&s, &o, &err) != 0)
		fail_msg("reopen: %s", err.msg);
	assert_true(s->n_replayed > 0);
	assert_true(s->n_ckpt >= 2);	/* the map grew on the way */
	assert_int_equal(store_cursor(s, "XA"), acked);
	assert_int_equal(store_rebuild(s, false, &err), 0);
	store_close(s);
	tu_rm_tree(dir);
}

/* Killed while it applies the journal again: the next open comes back to
 * the checkpoint whole (its pages were held) and applies it all. */
static void
t_kill_in_recovery(void **state)
{
	char *dir = tu_tmpdir(), copy[600], cmd[1400];
	struct ld_store_opts o = { .dir = dir, .node = "XA",
		.ckpt_recs = 1u << 30, .ckpt_bytes = 1ull << 40 };
	struct ld_store *s;
	struct ld_err err;
	int p[2], status, rounds = 12, mid = 0;
	uint64_t acked = 0, v;
	double took = 0;
	pid_t pid;

	(void)state;
	snprintf(copy, sizeof(copy), "%s.crashed", dir);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {	/* 150 commits after the open's checkpoint */
		struct ld_event *e = calloc(20, sizeof(*e));
		struct ld_store_item it[20];
		int64_t t = T0;

		close(p[0]);
		if (store_open(&s, &o, &err) != 0)
			_exit(2);
		for (int b = 0; b < 150; b++) {
			child_created(s, e, it, 20, &t, p[1]);
		}
		_exit(0);
	}
	close(p[1]);
	while (read(p[0], &v, sizeof(v)) == sizeof(v))
		acked = v;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", dir, copy);
	assert_int_equal(system(cmd), 0);
	/* how long a whole recovery takes here */
	int64_t t0 = ltime_mono_ms();
	assert_int_equal(store_open(&s, &o, &err), 0);
	took = (double)(ltime_mono_ms() - t0);
	store_close(s);
	srand(crash_seed + 3);
	for (int round = 0; round < rounds; round++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", dir,
		    copy, dir);
		assert_int_equal(system(cmd), 0);
		int q[2];
		assert_int_equal(pipe(q), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(q[0]);
			if (store_open(&s, &o, &err) != 0)
				_exit(2);
			if (write(q[1], "k", 1) != 1)	/* recovered */
				_exit(4);
			pause();	/* wait to be killed */
			_exit(0);
		}
		close(q[1]);
		int delay_us = (int)(took * 1000 * (rand() % 1000) / 1000);
		usleep((useconds_t)delay_us);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		char k;
		if (read(q[0], &k, 1) != 1)
			mid++;	/* killed before its open ended */
		close(q[0]);
		if (store_open(&s, &o, &err) != 0)
			fail_msg("round %d (seed %u): reopen after a kill in the "
			    "recovery: %s", round, crash_seed, err.msg);
		assert_int_equal(store_cursor(s, "XA"), acked);
		assert_int_equal(store_rebuild(s, false, &err), 0);
		store_close(s);
	}
	printf("kill in recovery: %d rounds (a recovery took %.0f ms), %d "
	    "killed before the open ended\n", rounds, took, mid);
	assert_true(mid > 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
	assert_int_equal(system(cmd), 0);
	tu_rm_tree(dir);
}

/* Run a power-mode child for `commits` commits; return its journal's
 * current file and end. */
static uint64_t
damage_child(const char *dir, const char *snap, int commits, unsigned seed,
    uint64_t *jcur, uint64_t *jend)
{
	int p[2], status;
	uint64_t v, acked = 0, jlsn;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(dir, p[1], 0, seed, snap, commits);
	}
	close(p[1]);
	while (read(p[0], &v, sizeof(v)) == sizeof(v) && v != UINT64_MAX)
		acked = v;
	assert_int_equal(read(p[0], jend, sizeof(*jend)), sizeof(*jend));
	assert_int_equal(read(p[0], &jlsn, sizeof(jlsn)), sizeof(jlsn));
	assert_int_equal(read(p[0], jcur, sizeof(*jcur)), sizeof(*jcur));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return acked;
}

/* Damaged journals and checkpoints: a clear error or the data, no crash. */
static void
t_damaged_journal(void **state)
{
	char *dir = tu_tmpdir(), snap[512], path[600];
	struct ld_store_opts o = { .dir = dir, .node = "XA" };
	struct ld_store *s;
	struct ld_err err;
	uint64_t jcur, jend, acked;
	uint8_t b, hdr[24];
	int fd;

	(void)state;
	snprintf(snap, sizeof(snap), "%s.snap", dir);
	/* 13 commits, a checkpoint every 8: 5 records after the last */
	acked = damage_child(dir, snap, 13, crash_seed, &jcur, &jend);
	snprintf(path, sizeof(path), "%s/journal-%d.ldj", dir, (int)jcur);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* the second record's payload: a bit flipped */
	assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	uint64_t second = 24 + ((uint64_t)hdr[20] << 24 | (uint64_t)hdr[21] << 16 |
	    (uint64_t)hdr[22] << 8 | hdr[23]) + 16;
	assert_true(second < jend);
	assert_int_equal(pread(fd, &b, 1, (off_t)second + 40), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)second + 40), 1);
	assert_int_equal(store_open(&s, &o, &err), LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "is damaged, and a whole record "
	    "follows it"));
	/* as it was: everything is there */
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)second + 40), 1);
	close(fd);
	crash_verify(dir, acked, 0);
	assert_int_equal(store_open(&s, &o, &err), 0);
	assert_int_equal(store_cursor(s, "XA"), acked);
	store_close(s);

	/* garbage over both journal files and the checkpoint, in turn:
	 * never a crash; an error, or the store opens and its views equal
	 * the log */
	srand(crash_seed + 7);
	const char *files[] = { "journal-0.ldj", "journal-1.ldj",
		"checkpoint.ldc" };
	int opened = 0, refused = 0;
	for (int round = 0; round < 12; round++) {
		acked = damage_child(dir, snap, 1 + rand() % 12, (unsigned)rand(),
		    &jcur, &jend);
		snprintf(path, sizeof(path), "%s/%s", dir, files[round % 3]);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		for (int k = 0; k < 1 + rand() % 20 && st.st_size > 0; k++) {
			uint8_t junk[64];
			for (size_t j = 0; j < sizeof(junk); j++)
				junk[j] = (uint8_t)rand();
			off_t at = rand() % st.st_size;
			if (round % 3 == 2)	/* into a slot's used part */
				at = (rand() % 2) * 135168 + rand() % 8256;
			assert_true(pwrite(fd, junk, 1 + (size_t)rand() %
			    sizeof(junk), at) > 0);
		}
		close(fd);
		int rc = store_open(&s, &o, &err);
		if (rc == 0) {
			assert_int_equal(store_rebuild(s, false, &err), 0);
			opened++;
			store_close(s);
		} else {
			refused++;
			printf("damaged %s: %s\n", files[round % 3], err.msg);
			assert_true(err.msg[0] != '\0');
			/* start afresh for the next round */
			tu_rm_tree(dir);
			dir = tu_tmpdir();
			o.dir = dir;
		}
	}
	printf("damaged files: %d opened (views equal the log), %d refused\n",
	    opened, refused);
	unlink(snap);
	tu_rm_tree(dir);
}

int
main(void)
{
	const char *sd = getenv("LD_SEED");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_kill9),
		cmocka_unit_test(t_power_loss),
		cmocka_unit_test(t_grow_in_recovery),
		cmocka_unit_test(t_damaged_journal),
		cmocka_unit_test(t_kill_in_recovery),
	};

	crash_seed = sd ? (unsigned)strtoul(sd, NULL, 10) : (unsigned)time(NULL);
	printf("crash test seed %u (LD_SEED to repeat)\n", crash_seed);
	return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
