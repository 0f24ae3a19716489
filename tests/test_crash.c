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
 */
#include "testutil.h"
#include "testgen.h"

#include "codec.h"
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0 1321412700000LL

static unsigned crash_seed;

/* The child: write until killed. */
static void
crash_child(const char *dir, int fd, int round, unsigned seed)
{
	struct ld_store_opts o = { .dir = dir, .node = "XA" };
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
	for (;;) {
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
		if (last != 0 && write(fd, &last, sizeof(last)) != sizeof(last))
			_exit(4);
	}
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
			crash_child(dir, p[1], round, child_seed);
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

int
main(void)
{
	const char *sd = getenv("LD_SEED");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_kill9),
	};

	crash_seed = sd ? (unsigned)strtoul(sd, NULL, 10) : (unsigned)time(NULL);
	printf("crash test seed %u (LD_SEED to repeat)\n", crash_seed);
	return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
