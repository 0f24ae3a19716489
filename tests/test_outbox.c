/*
 * test_outbox.c - the SMS outbox (shared/outbox.h), with real commands
 * run by /bin/sh: one that delivers; one that fails (backoff, its cap,
 * dead letters, retry); one that hangs (timeout: the process group is
 * killed and the child reaped); one that crashes, and ones that close
 * stdin without reading, called with every signal blocked and SIGPIPE
 * ignored as the node's threads are; idempotent puts; what survives a
 * restart and a crash mid-write; damaged files reported and left; no
 * command; refused ids, phones and bodies; the cursor; a second process;
 * puts from another thread while the outbox runs.  Times are the test's
 * own (T0 and on); no assertion depends on how long anything takes.
 */
#include "testutil.h"

#include "log.h"
#include "outbox.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define T0 1321412700000LL	/* 2011-11-16 11:05:00 +08:00 */
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

static char *dir;		/* per test */
static char spool[512];		/* dir/outbox */

static const char body_zh[] = "【洛阳市110联动】您反映的"
    "新安县铁门镇县道路面塌陷已派县公路局处置，"
    "工单 LY-2011-000002。\n如有疑问请拨打12345。";

static int
setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	snprintf(spool, sizeof(spool), "%s/outbox", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rm_tree(dir);
	return 0;
}

/* dir/rel (four buffers in turn). */
static const char *
path(const char *rel)
{
	static char buf[4][768];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, rel);
	return buf[k];
}

/* tmpl with every '@' replaced by the test's directory. */
static const char *
cmd(const char *tmpl)
{
	static char buf[2048];
	size_t n = 0;

	for (const char *p = tmpl; *p != '\0' && n + 1 < sizeof(buf); p++) {
		if (*p == '@')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
			    dir);
		else
			buf[n++] = *p;
		assert_true(n < sizeof(buf));
	}
	buf[n] = '\0';
	return buf;
}

static struct ld_outbox *
ob_open(const char *command, int64_t timeout_ms, int64_t backoff_ms,
    unsigned max_tries)
{
	struct ld_outbox_opts opts = { spool, command, timeout_ms, backoff_ms,
	    max_tries };
	struct ld_outbox *o = NULL;
	struct ld_err err = { 0, "" };

	if (outbox_open(&o, &opts, &err) != 0)
		fail_msg("outbox_open: %s", err.msg);
	assert_non_null(o);
	return o;
}

static void
put_ok(struct ld_outbox *o, const char *id, const char *to, const char *body,
    int64_t now)
{
	struct ld_err err = { 0, "" };

	if (outbox_put(o, id, to, body, now, &err) != 0)
		fail_msg("outbox_put %s: %s", id, err.msg);
}

static void
write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static bool
exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

struct find {
	const char *id;
	int found;
	struct ld_outbox_msg m;
};

static int
find_cb(const struct ld_outbox_msg *m, void *arg)
{
	struct find *f = arg;

	if (strcmp(m->id, f->id) == 0) {
		f->m = *m;
		f->found++;
	}
	return 0;
}

/* Message id of box into *m (may be NULL); false if it is not there. */
static bool
get(struct ld_outbox *o, enum ld_outbox_box box, const char *id,
    struct ld_outbox_msg *m)
{
	struct find *f = calloc(1, sizeof(*f));
	bool found;

	assert_non_null(f);
	f->id = id;
	assert_true(outbox_list(o, box, find_cb, f, NULL) >= 0);
	found = f->found == 1;
	if (found && m != NULL)
		*m = f->m;
	free(f);
	return found;
}

static void
counts(struct ld_outbox *o, size_t want_new, size_t want_sent,
    size_t want_dead)
{
	size_t n[3] = { 99, 99, 99 };

	outbox_counts(o, n);
	assert_int_equal(n[OUTBOX_NEW], want_new);
	assert_int_equal(n[OUTBOX_SENT], want_sent);
	assert_int_equal(n[OUTBOX_DEAD], want_dead);
}

/* A body of exactly OUTBOX_BODY_MAX bytes: 666 Chinese characters and
 * two '!'. */
static void
big_body(char *b)
{
	size_t n = 0;

	for (int i = 0; i < 666; i++) {
		memcpy(b + n, "警", 3);
		n += 3;
	}
	memcpy(b + n, "!!", 3);
	assert_int_equal(strlen(b), OUTBOX_BODY_MAX);
}

/* A command that delivers: the body lands in a file named by the phone,
 * byte for byte; the message moves to sent/ with its tries; one not yet
 * due waits, and its time is what outbox_run returns. */
static void
test_deliver(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	struct ld_err err = { 0, "" };
	unsigned nd = 9, nf = 9;
	char want[4096], *text;
	size_t len = 0;

	(void)state;
	o = ob_open(cmd("cat > '@/got.'\"$1\""), 0, 0, 0);
	put_ok(o, "LY-2011-000002.LY.7", "13903790002", body_zh, T0);
	put_ok(o, "LY-2011-000003.LY.9", "+86 379 6321-0110", "晚一点", T0 +
	    10 * SEC);
	/* the file as outbox.h describes it */
	text = tu_slurp(path("outbox/new/LY-2011-000002.LY.7"), NULL);
	assert_non_null(text);
	snprintf(want, sizeof(want), "to: 13903790002\ntries: 0\nnext: %lld\n"
	    "created: %lld\nlast:\n\n%s", T0, T0, body_zh);
	assert_string_equal(text, want);
	free(text);
	counts(o, 2, 0, 0);

	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 10 * SEC);
	assert_int_equal(nd, 1);
	assert_int_equal(nf, 0);
	text = tu_slurp(path("got.13903790002"), &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(body_zh));
	assert_string_equal(text, body_zh);
	free(text);
	counts(o, 1, 1, 0);
	assert_false(exists(path("outbox/new/LY-2011-000002.LY.7")));
	assert_true(get(o, OUTBOX_SENT, "LY-2011-000002.LY.7", &m));
	assert_int_equal(m.tries, 1);
	assert_string_equal(m.last, "");
	assert_int_equal(m.created_ms, T0);
	assert_string_equal(m.to, "13903790002");
	assert_string_equal(m.body, body_zh);

	/* not due before its time; then delivered, "$1" with its blanks */
	assert_int_equal(outbox_run(o, T0 + 10 * SEC - 1, &nd, &nf),
	    T0 + 10 * SEC);
	assert_int_equal(nd + nf, 0);
	assert_int_equal(outbox_run(o, T0 + 10 * SEC, &nd, &nf), 0);
	assert_int_equal(nd, 1);
	text = tu_slurp(path("got.+86 379 6321-0110"), NULL);
	assert_non_null(text);
	assert_string_equal(text, "晚一点");
	free(text);
	counts(o, 0, 2, 0);
	assert_int_equal(outbox_run(o, T0 + HOUR, NULL, NULL), 0);
	assert_int_equal(outbox_list(o, OUTBOX_SENT, find_cb,
	    &(struct find){ "none", 0, { .id = "" } }, &err), 2);
	outbox_close(o);
}

/* A command that fails: tries counted, next = now + backoff, then twice
 * that, "last:" the exit status and the first stderr line; dead after
 * max_tries; outbox_retry brings it back and a working command delivers
 * it.  The backoff stops growing at an hour. */
static void
test_fail_backoff_dead(void **state)
{
	static const char why[] = "exit status 3: 网关拒绝: 余额不足";
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	struct ld_err err = { 0, "" };
	unsigned nd = 9, nf = 9;
	char *text;

	(void)state;
	o = ob_open("cat >/dev/null; printf '网关拒绝: 余额不足\\r\\n"
	    "second line\\n' >&2; exit 3", 0, 1000, 3);
	put_ok(o, "m1", "13903790001", body_zh, T0);

	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 1000);
	assert_int_equal(nd, 0);
	assert_int_equal(nf, 1);
	assert_true(get(o, OUTBOX_NEW, "m1", &m));
	assert_int_equal(m.tries, 1);
	assert_int_equal(m.next_ms, T0 + 1000);
	assert_string_equal(m.last, why);
	assert_string_equal(m.body, body_zh);

	/* not yet due */
	assert_int_equal(outbox_run(o, T0 + 999, &nd, &nf), T0 + 1000);
	assert_int_equal(nd + nf, 0);
	assert_true(get(o, OUTBOX_NEW, "m1", &m));
	assert_int_equal(m.tries, 1);

	/* second try: twice the backoff */
	assert_int_equal(outbox_run(o, T0 + 1000, &nd, &nf), T0 + 3000);
	assert_int_equal(nf, 1);
	assert_true(get(o, OUTBOX_NEW, "m1", &m));
	assert_int_equal(m.tries, 2);
	assert_int_equal(m.next_ms, T0 + 3000);

	/* third: dead */
	assert_int_equal(outbox_run(o, T0 + 3000, &nd, &nf), 0);
	assert_int_equal(nf, 1);
	counts(o, 0, 0, 1);
	assert_true(get(o, OUTBOX_DEAD, "m1", &m));
	assert_int_equal(m.tries, 3);
	assert_string_equal(m.last, why);
	assert_string_equal(m.body, body_zh);
	text = tu_slurp(path("outbox/dead/m1"), NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nlast: exit status 3: "
	    "网关拒绝: 余额不足\n"));
	free(text);

	/* put again: still one, dead */
	put_ok(o, "m1", "13903790001", "另一条", T0 + 4000);
	counts(o, 0, 0, 1);
	/* retry what is not dead */
	assert_int_equal(outbox_retry(o, "nope", T0, &err), LD_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no dead message nope"));
	assert_int_equal(outbox_retry(o, "../m1", T0, &err), LD_EINVAL);
	outbox_close(o);

	/* the gateway works again */
	o = ob_open(cmd("cat > '@/got.'\"$1\""), 0, 1000, 3);
	assert_int_equal(outbox_retry(o, "m1", T0 + HOUR, &err), 0);
	counts(o, 1, 0, 0);
	assert_true(get(o, OUTBOX_NEW, "m1", &m));
	assert_int_equal(m.tries, 0);
	assert_int_equal(m.next_ms, T0 + HOUR);
	assert_int_equal(m.created_ms, T0);
	assert_int_equal(outbox_retry(o, "m1", T0 + HOUR, &err), LD_ENOTFOUND);
	assert_non_null(strstr(err.msg, "it is in new"));
	assert_int_equal(outbox_run(o, T0 + HOUR, &nd, &nf), 0);
	assert_int_equal(nd, 1);
	assert_int_equal(nf, 0);
	text = tu_slurp(path("got.13903790001"), NULL);
	assert_non_null(text);
	assert_string_equal(text, body_zh);
	free(text);
	counts(o, 0, 1, 0);
	assert_true(get(o, OUTBOX_SENT, "m1", &m));
	assert_int_equal(m.tries, 1);
	assert_string_equal(m.last, "");	/* the last try did not fail */
	outbox_close(o);

	/* the cap: 40 min, then 60 (not 80), then 60 */
	o = ob_open("exit 1", 0, 40 * MIN, 5);
	put_ok(o, "cap", "110", "x", T0);
	assert_int_equal(outbox_run(o, T0, NULL, NULL), T0 + 40 * MIN);
	assert_int_equal(outbox_run(o, T0 + 40 * MIN, NULL, NULL),
	    T0 + 100 * MIN);
	assert_int_equal(outbox_run(o, T0 + 100 * MIN, NULL, NULL),
	    T0 + 160 * MIN);
	assert_true(get(o, OUTBOX_NEW, "cap", &m));
	assert_int_equal(m.tries, 3);
	assert_string_equal(m.last, "exit status 1");
	outbox_close(o);
}

/* True once process p is gone or a zombie (killed, not yet reaped by
 * whoever inherited it). */
static bool
dead_or_zombie(pid_t p)
{
	char pp[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(pp, sizeof(pp), "/proc/%d/stat", (int)p);
	f = fopen(pp, "r");
	if (f == NULL)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp == NULL || (rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

/* A command that hangs: with timeout_ms 200 the try fails, the message
 * stays in new/, the child is reaped and its background job (same
 * process group) is killed too. */
static void
test_hang(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	unsigned nd = 9, nf = 9;
	char *text;
	pid_t pid, gpid;

	(void)state;
	o = ob_open(cmd("echo $$ > '@/pid'; sleep 60 & echo $! > '@/gpid'; "
	    "wait"), 200, 1000, 0);
	put_ok(o, "h1", "110", body_zh, T0);
	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 1000);
	assert_int_equal(nd, 0);
	assert_int_equal(nf, 1);
	counts(o, 1, 0, 0);
	assert_true(get(o, OUTBOX_NEW, "h1", &m));
	assert_int_equal(m.tries, 1);
	assert_string_equal(m.last, "no exit within 200 ms: killed");
	assert_string_equal(m.body, body_zh);

	text = tu_slurp(path("pid"), NULL);
	assert_non_null(text);
	pid = (pid_t)atoi(text);
	free(text);
	text = tu_slurp(path("gpid"), NULL);
	assert_non_null(text);
	gpid = (pid_t)atoi(text);
	free(text);
	assert_true(pid > 1);
	assert_true(gpid > 1);
	/* our child: reaped, no zombie */
	errno = 0;
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* its job: killed with the group (reaped by whoever adopted it) */
	for (int i = 0; i < 1000 && !dead_or_zombie(gpid); i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	if (!dead_or_zombie(gpid))
		kill(gpid, SIGKILL);
	assert_true(dead_or_zombie(gpid));
	outbox_close(o);
}

/* A command that crashes, one that kills itself with SIGPIPE, and ones
 * that close stdin without reading a 2000-byte body: run from a thread
 * that blocks every signal and ignores SIGPIPE (as the node's do), so the
 * child must start with default signals.  Nothing is lost. */
static void
test_crash_and_stdin(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	struct sigaction ign, oldpipe;
	sigset_t all, old;
	unsigned nd = 9, nf = 9;
	char big[OUTBOX_BODY_MAX + 1];

	(void)state;
	big_body(big);
	sigfillset(&all);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &all, &old), 0);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGPIPE, &ign, &oldpipe), 0);

	o = ob_open("case \"$1\" in 1) ulimit -c 0; kill -SEGV $$;; "
	    "2) exec 0<&-; exit 0;; 3) exec 0<&-; exit 1;; "
	    "4) kill -PIPE $$;; esac; exit 0", 0, 1000, 0);
	put_ok(o, "seg", "1", big, T0);
	put_ok(o, "eof0", "2", big, T0);
	put_ok(o, "eof1", "3", big, T0);
	put_ok(o, "pipe", "4", body_zh, T0);
	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 1000);
	assert_int_equal(nd, 1);
	assert_int_equal(nf, 3);
	counts(o, 3, 1, 0);
	assert_true(get(o, OUTBOX_NEW, "seg", &m));
	assert_int_equal(m.tries, 1);
	assert_string_equal(m.last, "killed by signal 11 (SIGSEGV)");
	assert_string_equal(m.body, big);
	assert_true(get(o, OUTBOX_NEW, "eof1", &m));
	assert_string_equal(m.last, "exit status 1");
	assert_string_equal(m.body, big);
	assert_true(get(o, OUTBOX_NEW, "pipe", &m));
	assert_string_equal(m.last, "killed by signal 13 (SIGPIPE)");
	assert_true(get(o, OUTBOX_SENT, "eof0", &m));
	assert_int_equal(m.tries, 1);
	assert_string_equal(m.body, big);
	outbox_close(o);

	assert_int_equal(sigaction(SIGPIPE, &oldpipe, NULL), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

/* "last:" is the first line of stderr made safe: control characters and
 * bytes that are not UTF-8 become '?', a tab a blank, a line too long is
 * cut at a character boundary, an empty line adds nothing; what the
 * command writes on success is ignored. */
static void
test_why_line(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	unsigned nd = 9, nf = 9;
	size_t bad = 0;

	(void)state;
	o = ob_open("case \"$1\" in "
	    "1) printf 'a\\tb\\033[31mred\\377\\nnext\\n' >&2; exit 2;; "
	    "2) i=0; while [ $i -lt 300 ]; do printf '中' >&2; "
	    "i=$((i+1)); done; exit 4;; "
	    "3) printf '\\r\\n' >&2; exit 5;; "
	    "4) nosuchcommand-xyz;; "
	    "5) echo chatter >&2; echo out;; esac", 0, 1000, 0);
	put_ok(o, "w1", "1", "x", T0);
	put_ok(o, "w2", "2", "x", T0);
	put_ok(o, "w3", "3", "x", T0);
	put_ok(o, "w4", "4", "x", T0);
	put_ok(o, "w5", "5", "x", T0);
	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 1000);
	assert_int_equal(nd, 1);
	assert_int_equal(nf, 4);
	assert_true(get(o, OUTBOX_NEW, "w1", &m));
	assert_string_equal(m.last, "exit status 2: a b?[31mred?");
	assert_true(get(o, OUTBOX_NEW, "w2", &m));
	assert_true(strncmp(m.last, "exit status 4: 中中中", 24) == 0);
	assert_true(strlen(m.last) <= OUTBOX_WHY_MAX);
	assert_true(strlen(m.last) > OUTBOX_WHY_MAX - 3);
	assert_true(utf8_valid(m.last, strlen(m.last), &bad));
	assert_true(get(o, OUTBOX_NEW, "w3", &m));
	assert_string_equal(m.last, "exit status 5");
	assert_true(get(o, OUTBOX_NEW, "w4", &m));
	assert_true(strncmp(m.last, "exit status 127: ", 17) == 0);
	assert_non_null(strstr(m.last, "nosuchcommand-xyz"));
	assert_true(get(o, OUTBOX_SENT, "w5", &m));
	assert_string_equal(m.last, "");
	outbox_close(o);
}

/* The same id twice is one message: while it waits, once sent, once
 * dead; a second body never replaces the first. */
static void
test_idempotent(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	unsigned nd = 9, nf = 9;
	char *text;

	(void)state;
	o = ob_open(cmd("case \"$1\" in 120) exit 1;; esac; "
	    "cat > '@/got.'\"$1\"; echo \"$1\" >> '@/log'"), 0, 1000, 1);
	put_ok(o, "a", "110", "第一次", T0);
	put_ok(o, "a", "110", "第一次", T0);
	put_ok(o, "a", "119", "第二次", T0 + 1);
	put_ok(o, "d", "120", "到不了", T0);
	counts(o, 2, 0, 0);
	assert_true(get(o, OUTBOX_NEW, "a", &m));
	assert_string_equal(m.body, "第一次");
	assert_string_equal(m.to, "110");
	assert_int_equal(m.created_ms, T0);

	assert_int_equal(outbox_run(o, T0, &nd, &nf), 0);
	assert_int_equal(nd, 1);
	assert_int_equal(nf, 1);
	counts(o, 0, 1, 1);

	put_ok(o, "a", "110", "第三次", T0 + MIN);
	put_ok(o, "d", "120", "到不了", T0 + MIN);
	counts(o, 0, 1, 1);
	assert_true(get(o, OUTBOX_SENT, "a", &m));
	assert_string_equal(m.body, "第一次");
	assert_int_equal(outbox_run(o, T0 + HOUR, &nd, &nf), 0);
	assert_int_equal(nd + nf, 0);
	text = tu_slurp(path("log"), NULL);
	assert_non_null(text);
	assert_string_equal(text, "110\n");	/* delivered once */
	free(text);
	outbox_close(o);
}

/* Close and open again: the messages are there with their tries; files
 * a crash left half-written are ignored and removed. */
static void
test_persist(void **state)
{
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	unsigned nd = 9, nf = 9;

	(void)state;
	o = ob_open("exit 1", 0, 1000, 0);
	put_ok(o, "p1", "110", body_zh, T0);
	put_ok(o, "p2", "119", "第二条", T0 + 5 * SEC);
	assert_int_equal(outbox_set_cursor(o, 7, NULL), 0);
	assert_int_equal(outbox_run(o, T0, &nd, &nf), T0 + 1000);
	assert_int_equal(nf, 1);
	outbox_close(o);

	/* a crash in the middle of writes */
	write_file(path("outbox/new/tmp~p3"), "to: 110\ntri");
	write_file(path("outbox/dead/tmp~p1"), "to: 110\ntries: 0\n");
	write_file(path("outbox/tmp~cursor"), "12");

	o = ob_open(cmd("cat > '@/got.'\"$1\""), 0, 1000, 0);
	assert_false(exists(path("outbox/new/tmp~p3")));
	assert_false(exists(path("outbox/dead/tmp~p1")));
	assert_false(exists(path("outbox/tmp~cursor")));
	counts(o, 2, 0, 0);
	assert_int_equal(outbox_cursor(o), 7);
	assert_true(get(o, OUTBOX_NEW, "p1", &m));
	assert_int_equal(m.tries, 1);
	assert_int_equal(m.next_ms, T0 + 1000);
	assert_int_equal(m.created_ms, T0);
	assert_string_equal(m.last, "exit status 1");
	assert_string_equal(m.to, "110");
	assert_string_equal(m.body, body_zh);
	assert_true(get(o, OUTBOX_NEW, "p2", &m));
	assert_int_equal(m.tries, 0);
	assert_int_equal(m.next_ms, T0 + 5 * SEC);

	assert_int_equal(outbox_run(o, T0 + 1000, &nd, &nf), T0 + 5 * SEC);
	assert_int_equal(nd, 1);
	assert_int_equal(outbox_run(o, T0 + 5 * SEC, &nd, &nf), 0);
	assert_int_equal(nd, 1);
	counts(o, 0, 2, 0);
	assert_true(get(o, OUTBOX_SENT, "p1", &m));
	assert_int_equal(m.tries, 2);
	outbox_close(o);
}

/* Run f(o) with stderr going to a file; what it wrote (free it). */
static char *
stderr_of(void (*f)(struct ld_outbox *, void *), struct ld_outbox *o,
    void *arg)
{
	int fd, saved;
	char *text;

	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	fd = open(path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	f(o, arg);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	text = tu_slurp(path("stderr"), NULL);
	assert_non_null(text);
	return text;
}

static void
run_at_t0(struct ld_outbox *o, void *arg)
{
	unsigned *n = arg;

	assert_int_equal(outbox_run(o, T0, &n[0], &n[1]), 0);
}

/* Damaged files in new/ are reported (log, list's err) and left where
 * they are; the good messages beside them are delivered. */
static void
test_damaged(void **state)
{
	static const char *const damaged[] = { "garbage", "half", "badutf8",
	    "nobody", "dup", "adir", "bad name" };
	struct ld_outbox *o;
	struct ld_err err = { 0, "" };
	unsigned n[2] = { 9, 9 };
	char *log;

	(void)state;
	o = ob_open(cmd("cat > '@/got.'\"$1\""), 0, 1000, 0);
	put_ok(o, "g1", "110", body_zh, T0);
	put_ok(o, "g2", "119", "好的", T0);
	write_file(path("outbox/new/garbage"), "this is not a message\n");
	write_file(path("outbox/new/half"), "to: 13903790001\ntries: 0\nne");
	write_file(path("outbox/new/badutf8"), "to: 110\ntries: 0\nnext: 0\n"
	    "created: 0\nlast:\n\n\xff\xfe");
	write_file(path("outbox/new/nobody"), "to: 110\ntries: 0\nnext: 0\n"
	    "created: 0\nlast:\n\n");
	write_file(path("outbox/new/dup"), "to: 110\ntries: 0\ntries: 1\n"
	    "next: 0\ncreated: 0\nlast:\n\nx");
	assert_int_equal(mkdir(path("outbox/new/adir"), 0700), 0);
	write_file(path("outbox/new/bad name"), "x");

	log = stderr_of(run_at_t0, o, n);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 0);
	assert_non_null(strstr(log, "new/garbage: damaged message file"));
	assert_non_null(strstr(log, "new/half: damaged message file (no "
	    "blank line before the body)"));
	assert_non_null(strstr(log, "new/badutf8: damaged message file "
	    "(body: not valid UTF-8 at byte 1)"));
	assert_non_null(strstr(log, "new/nobody: damaged"));
	assert_non_null(strstr(log, "new/dup: damaged message file (header "
	    "'tries' repeated)"));
	assert_non_null(strstr(log, "new/adir: not a regular file"));
	assert_non_null(strstr(log, "new: a file whose name is not a "
	    "message id"));
	free(log);
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "outbox/new/%s", damaged[i]);
		assert_true(exists(path(rel)));
	}
	assert_true(exists(path("got.110")));
	assert_true(exists(path("got.119")));
	counts(o, 6, 2, 0);	/* "bad name" is not an id */

	assert_int_equal(outbox_list(o, OUTBOX_NEW, find_cb,
	    &(struct find){ "none", 0, { .id = "" } }, &err), 0);
	assert_int_equal(err.code, LD_ECORRUPT);
	assert_non_null(strstr(err.msg, "left as it is"));
	assert_non_null(strstr(err.msg, "(and 6 more problems)"));
	err.code = 0;
	assert_int_equal(outbox_list(o, OUTBOX_SENT, find_cb,
	    &(struct find){ "none", 0, { .id = "" } }, &err), 2);
	assert_int_equal(err.code, 0);
	outbox_close(o);

	/* opening again leaves them too */
	o = ob_open(NULL, 0, 0, 0);
	assert_true(exists(path("outbox/new/garbage")));
	assert_true(exists(path("outbox/new/bad name")));
	counts(o, 6, 2, 0);
	outbox_close(o);
}

/* No command: messages wait in new/, untried; outbox_run returns 0. */
static void
test_no_command(void **state)
{
	static const char *const commands[] = { NULL, "" };
	struct ld_outbox *o;
	struct ld_outbox_msg m;
	unsigned nd = 9, nf = 9;

	(void)state;
	for (int i = 0; i < 2; i++) {
		o = ob_open(commands[i], 0, 0, 0);
		put_ok(o, "w1", "110", body_zh, T0);
		assert_int_equal(outbox_run(o, T0 + HOUR, &nd, &nf), 0);
		assert_int_equal(nd, 0);
		assert_int_equal(nf, 0);
		counts(o, 1, 0, 0);
		assert_true(get(o, OUTBOX_NEW, "w1", &m));
		assert_int_equal(m.tries, 0);
		assert_int_equal(m.next_ms, T0);
		outbox_close(o);
	}
}

/* Bad ids, phones, bodies, times and options are refused, each with its
 * reason, and nothing is written. */
static void
test_refused(void **state)
{
	static char id65[66], id64[65], body2001[2002], body2000[2001];
	struct {
		const char *id, *to, *body, *want;
	} bad[] = {
		{ "", "110", "x", "outbox: bad message id: empty" },
		{ NULL, "110", "x", "outbox: no message id" },
		{ "a/b", "110", "x", "outbox: bad message id: byte 2 is not "
		    "one of A-Z a-z 0-9 . _ -" },
		{ "..", "110", "x", "'..' is not a file name" },
		{ ".", "110", "x", "'.' is not a file name" },
		{ id65, "110", "x", "outbox: bad message id: too long" },
		{ "a b", "110", "x", "byte 2 is not one of" },
		{ "tmp~x", "110", "x", "byte 4 is not one of" },
		{ "工单", "110", "x", "byte 1 is not one of" },
		{ "ok", NULL, "x", "outbox: ok: no phone number" },
		{ "ok", "", "x", "outbox: ok: bad phone number" },
		{ "ok", "abc", "x", "bad phone number" },
		{ "ok", "1234567890123456789012345", "x", "bad phone number" },
		{ "ok", "138\n0379", "x", "bad phone number" },
		{ "ok", "+- -", "x", "bad phone number" },
		{ "ok", "110", NULL, "outbox: ok: no body" },
		{ "ok", "110", "", "outbox: ok: empty body" },
		{ "ok", "110", "\xe6\xb4", "body: not valid UTF-8 at byte 1" },
		{ "ok", "110", "ab\xff", "body: not valid UTF-8 at byte 3" },
		{ "ok", "110", "\xed\xa0\x80", "not valid UTF-8 at byte 1" },
		{ "ok", "110", body2001, "body longer than 2000 bytes" },
	};
	struct ld_outbox_opts opts = { spool, NULL, 0, 0, 0 };
	struct ld_outbox *o;
	struct ld_err err;

	(void)state;
	memset(id65, 'a', 65);
	memset(id64, 'b', 64);
	memcpy(id64, "Z9._-", 5);
	memset(body2001, 'x', 2001);
	big_body(body2000);

	o = ob_open(NULL, 0, 0, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		err.msg[0] = '\0';
		assert_int_equal(outbox_put(o, bad[i].id, bad[i].to,
		    bad[i].body, T0, &err), LD_EINVAL);
		assert_int_equal(err.code, LD_EINVAL);
		if (strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: '%s' does not hold '%s'", i,
			    err.msg, bad[i].want);
	}
	assert_int_equal(outbox_put(o, "ok", "110", "x", -1, &err), LD_EINVAL);
	assert_non_null(strstr(err.msg, "bad time"));
	counts(o, 0, 0, 0);

	/* the edges that are fine */
	put_ok(o, id64, "+86 379-6321 0110", "x", T0);
	put_ok(o, "e24", "123456789012345678901234", body2000, T0);
	put_ok(o, "_", "110", "x", T0);
	counts(o, 3, 0, 0);
	outbox_close(o);

	/* bad options */
	opts.timeout_ms = -1;
	assert_int_equal(outbox_open(&o, &opts, &err), LD_EINVAL);
	assert_null(o);
	assert_non_null(strstr(err.msg, "timeout"));
	opts.timeout_ms = 0;
	opts.backoff_ms = -5;
	assert_int_equal(outbox_open(&o, &opts, &err), LD_EINVAL);
	opts.backoff_ms = 0;
	opts.dir = "";
	assert_int_equal(outbox_open(&o, &opts, &err), LD_EINVAL);
	assert_int_equal(outbox_open(&o, NULL, &err), LD_EINVAL);
}

/* The cursor: 0 at first, round-trips, survives reopening; a damaged
 * cursor file stops outbox_open with a message that says what to do. */
static void
test_cursor(void **state)
{
	struct ld_outbox_opts opts = { spool, NULL, 0, 0, 0 };
	struct ld_outbox *o;
	struct ld_err err = { 0, "" };
	char *text;

	(void)state;
	o = ob_open(NULL, 0, 0, 0);
	assert_int_equal(outbox_cursor(o), 0);
	assert_int_equal(outbox_set_cursor(o, 42, &err), 0);
	assert_int_equal(outbox_cursor(o), 42);
	outbox_close(o);
	text = tu_slurp(path("outbox/cursor"), NULL);
	assert_non_null(text);
	assert_string_equal(text, "42\n");
	free(text);

	o = ob_open(NULL, 0, 0, 0);
	assert_int_equal(outbox_cursor(o), 42);
	assert_int_equal(outbox_set_cursor(o, UINT64_MAX, &err), 0);
	outbox_close(o);
	o = ob_open(NULL, 0, 0, 0);
	assert_true(outbox_cursor(o) == UINT64_MAX);
	assert_int_equal(outbox_set_cursor(o, 3, &err), 0);
	outbox_close(o);
	o = ob_open(NULL, 0, 0, 0);
	assert_int_equal(outbox_cursor(o), 3);
	outbox_close(o);

	write_file(path("outbox/cursor"), "12x\n");
	assert_int_equal(outbox_open(&o, &opts, &err), LD_ECORRUPT);
	assert_null(o);
	assert_non_null(strstr(err.msg, "cursor: damaged"));
	write_file(path("outbox/cursor"), "18446744073709551616\n");
	assert_int_equal(outbox_open(&o, &opts, &err), LD_ECORRUPT);
	write_file(path("outbox/cursor"), "");
	assert_int_equal(outbox_open(&o, &opts, &err), LD_ECORRUPT);
}

/* One process at a time on a spool: a second open is EBUSY. */
static void
test_busy(void **state)
{
	struct ld_outbox_opts opts = { spool, NULL, 0, 0, 0 };
	struct ld_outbox *o, *o2 = NULL;
	struct ld_err err = { 0, "" };

	(void)state;
	o = ob_open(NULL, 0, 0, 0);
	assert_int_equal(outbox_open(&o2, &opts, &err), LD_EBUSY);
	assert_null(o2);
	assert_non_null(strstr(err.msg, "in use"));
	outbox_close(o);
	o = ob_open(NULL, 0, 0, 0);
	outbox_close(o);
}

#define TH_N 40

struct putter {
	struct ld_outbox *o;
	atomic_int done;
	int failures;
};

static void *
putter_main(void *arg)
{
	struct putter *p = arg;

	/* every id twice: the second may find it in new/ or in sent/ */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < TH_N; i++) {
			char id[16], to[16];

			snprintf(id, sizeof(id), "t%02d", i);
			snprintf(to, sizeof(to), "1%02d", i);
			if (outbox_put(p->o, id, to, body_zh, T0, NULL) != 0)
				p->failures++;
		}
	atomic_store(&p->done, 1);
	return NULL;
}

/* outbox_put from another thread while outbox_run delivers: every
 * message delivered exactly once. */
static void
test_threads(void **state)
{
	struct putter p;
	pthread_t th;
	unsigned total = 0;
	char *text;
	size_t n[3];
	int seen[TH_N] = { 0 };
	long turns = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.o = ob_open(cmd("cat >/dev/null; echo \"$1\" >> '@/log'"), 0, 1000,
	    0);
	assert_int_equal(pthread_create(&th, NULL, putter_main, &p), 0);
	for (;;) {
		unsigned nd = 0;
		int done = atomic_load(&p.done);

		outbox_run(p.o, T0, &nd, NULL);
		total += nd;
		outbox_counts(p.o, n);
		if (done && n[OUTBOX_NEW] == 0)
			break;
		if (++turns > 100000)
			break;
		if (nd == 0)
			nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(p.failures, 0);
	assert_int_equal(total, TH_N);
	counts(p.o, 0, TH_N, 0);
	text = tu_slurp(path("log"), NULL);
	assert_non_null(text);
	for (char *s = text, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		int k = atoi(s) - 100;

		assert_true(k >= 0 && k < TH_N);
		seen[k]++;
	}
	for (int i = 0; i < TH_N; i++)
		assert_int_equal(seen[i], 1);
	free(text);
	outbox_close(p.o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_backoff_dead, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_and_stdin, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_why_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_command, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	log_init("T", LD_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
