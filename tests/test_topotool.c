/*
 * test_topotool.c - the `topology` tool, run as a child process (no shell).
 *
 * The binary: $LD_TOPOLOGY_BIN (default build/test/topology); the example
 * file: $LD_TOPOLOGY_EXAMPLE (default topology.example, from the repository
 * root, where `make test` runs), and calendar.example beside it, which it
 * names.  Bad topology files and key files are written to a fresh temp
 * dir, with a copy of calendar.example (the example's copies there need
 * it).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "keyfile.h"
#include "topo.h"

#define TT_ARGS_MAX 16

static char tt_bin[PATH_MAX];
static char tt_example[PATH_MAX];
static char *tt_dir;

struct tt_run {
	int status;		/* exit status, or 128 + signal */
	char *out;		/* stdout, NUL-terminated */
	char *err;		/* stderr */
};

static void
tt_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
tt_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tt_dir, name);
}

/* In the child: stdout and stderr to files, cwd, then the tool. */
static void
tt_child(const char *cwd, char **argv, const char *out, const char *err)
{
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
		_exit(126);
	if (cwd != NULL && chdir(cwd) != 0)
		_exit(126);
	execv(tt_bin, argv);
	_exit(127);
}

/* Run the tool with the NULL-terminated arguments (after argv[0]), in cwd
 * (NULL: ours). */
static struct tt_run
tt_runv(const char *cwd, const char *const *args)
{
	char *argv[TT_ARGS_MAX + 2];
	char out[PATH_MAX], err[PATH_MAX];
	struct tt_run r;
	int n = 0, st;
	pid_t pid;

	argv[n++] = tt_bin;
	while (args[n - 1] != NULL && n <= TT_ARGS_MAX) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	tt_path(out, sizeof(out), "run.out");
	tt_path(err, sizeof(err), "run.err");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		tt_child(cwd, argv, out, err);
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = tu_slurp(out, NULL);
	r.err = tu_slurp(err, NULL);
	assert_non_null(r.out);
	assert_non_null(r.err);
	return r;
}

#define TT_RUN(...) tt_runv(NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define TT_RUN_IN(cwd, ...) \
	tt_runv((cwd), (const char *const[]){ __VA_ARGS__, NULL })

static void
tt_free(struct tt_run *r)
{
	free(r->out);
	free(r->err);
}

/* Fail with the output shown when s lacks needle. */
static void
tt_has(const char *s, const char *needle)
{
	if (strstr(s, needle) == NULL) {
		fprintf(stderr, "expected \"%s\" in:\n%s\n", needle, s);
		fail();
	}
}

static void
tt_status(const struct tt_run *r, int want)
{
	if (r->status != want) {
		fprintf(stderr, "exit status %d, expected %d\nstdout:\n%s\n"
		    "stderr:\n%s\n", r->status, want, r->out, r->err);
		fail();
	}
}

/* --- keygen --------------------------------------------------------------- */

/* The value after "tag" up to the end of its line, in buf. */
static void
tt_value(const char *s, const char *tag, char *buf, size_t cap)
{
	const char *p = strstr(s, tag);
	size_t n;

	assert_non_null(p);
	p += strlen(tag);
	n = strcspn(p, "\n");
	assert_true(n < cap);
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static void
test_keygen_writes_0600(void **state)
{
	char key[PATH_MAX], pub[64], filepub[64], sec[64], derived[41];
	struct tt_run r;
	struct stat st;
	char *text;

	(void)state;
	tt_path(key, sizeof(key), "op-test.key");
	r = TT_RUN("keygen", "op-test", "--out", key);
	tt_status(&r, 0);
	tt_value(r.out, "public_key = ", pub, sizeof(pub));
	assert_int_equal(strlen(pub), 40);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = tu_slurp(key, NULL);
	assert_non_null(text);
	assert_int_equal(text[0], '#');
	tt_value(text, "\npublic-key = ", filepub, sizeof(filepub));
	tt_value(text, "\nsecret-key = ", sec, sizeof(sec));
	assert_string_equal(filepub, pub);
	assert_int_equal(strlen(sec), 40);
	/* the secret key is the one of this public key */
	assert_int_equal(zmq_curve_public(derived, sec), 0);
	assert_string_equal(derived, pub);
	/* the secret is never printed */
	assert_null(strstr(r.out, sec));
	assert_null(strstr(r.err, sec));
	free(text);
	tt_free(&r);
	/* 0600 whatever the umask: one that would give more, one less */
	mode_t masks[] = { 0, 0277 };
	for (int i = 0; i < 2; i++) {
		char k2[PATH_MAX + 8];
		mode_t old = umask(masks[i]);

		snprintf(k2, sizeof(k2), "%.4000s.%d", key, i);
		r = TT_RUN("keygen", "op-test", "--out", k2);
		umask(old);
		tt_status(&r, 0);
		assert_int_equal(stat(k2, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		tt_free(&r);
	}
}

static void
test_keygen_refuses_overwrite(void **state)
{
	char key[PATH_MAX];
	struct tt_run r;
	char *before, *after;

	(void)state;
	tt_path(key, sizeof(key), "twice.key");
	r = TT_RUN("keygen", "twice", "--out", key);
	tt_status(&r, 0);
	tt_free(&r);
	before = tu_slurp(key, NULL);
	r = TT_RUN("keygen", "twice", "--out", key);
	tt_status(&r, 1);
	tt_has(r.err, "already exists");
	tt_has(r.err, key);
	after = tu_slurp(key, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
	tt_free(&r);
}

static void
test_keygen_default_path(void **state)
{
	char key[PATH_MAX];
	struct tt_run r;
	struct stat st;

	(void)state;
	r = TT_RUN_IN(tt_dir, "keygen", "XB");
	tt_status(&r, 0);
	tt_path(key, sizeof(key), "XB.key");
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tt_free(&r);
}

/* --- check ---------------------------------------------------------------- */

static void
test_check_example(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("check", tt_example);
	tt_status(&r, 0);
	tt_has(r.out, "0 errors");
	tt_has(r.out, "configuration OK");
	tt_free(&r);
}

/* A small sound file; the bad ones below are made from it. */
static const char tt_good[] =
    "[federation]\n"						/* 1 */
    "name = 测试联动平台\n"
    "\n"
    "[node LY]\n"
    "name = 洛阳市\n"						/* 5 */
    "level = city\n"
    "peer = tcp://127.0.0.1:7100\n"
    "client = tcp://127.0.0.1:7101\n"
    "public_key = zyvABYbbTD.U-8/yw/[c5DXi5@z#@8n&60tfc]PW\n"
    "status = running\n"					/* 10 */
    "areas = luolong\n"
    "\n"
    "[area luolong]\n"
    "name = 洛龙区\n"
    "\n"							/* 15 */
    "[unit zhujian]\n"
    "name = 市住建委\n"
    "node = LY\n"
    "categories = manhole\n"
    "\n"							/* 20 */
    "[category manhole]\n"
    "name = 井盖\n"
    "urgency.1 = sign 10m, complete 1h\n"
    "\n"
    "[default manhole]\n"					/* 25 */
    "category = manhole\n"
    "unit = zhujian\n"
    "sign = 10m\n"
    "complete = 1h\n"
    "settle = yes\n";						/* 30 */

static void
test_check_small_good(void **state)
{
	char path[PATH_MAX];
	struct tt_run r;

	(void)state;
	tt_path(path, sizeof(path), "good.ini");
	tt_write(path, tt_good);
	r = TT_RUN("check", path);
	tt_status(&r, 0);
	tt_has(r.out, "0 errors");
	tt_free(&r);
}

/* tt_good with line n (1-based) replaced by repl (which ends in \n). */
static void
tt_write_bad(const char *path, int n, const char *repl)
{
	char buf[sizeof(tt_good) + 256];
	const char *p = tt_good, *e;
	size_t len = 0;

	for (int line = 1; *p != '\0'; line++, p = e + 1) {
		const char *src = line == n ? repl : p;

		e = strchr(p, '\n');
		assert_non_null(e);
		if (line == n) {
			memcpy(buf + len, src, strlen(src));
			len += strlen(src);
		} else {
			memcpy(buf + len, p, (size_t)(e - p) + 1);
			len += (size_t)(e - p) + 1;
		}
	}
	buf[len] = '\0';
	tt_write(path, buf);
}

/* Line n replaced by repl must give exactly "PATH:LINE: error: msg". */
static void
tt_check_bad(const char *name, int n, const char *repl, int line,
    const char *msg)
{
	char path[PATH_MAX], want[PATH_MAX + 300];
	struct tt_run r;

	tt_path(path, sizeof(path), name);
	tt_write_bad(path, n, repl);
	snprintf(want, sizeof(want), "%s:%d: error: %s\n", path, line, msg);
	r = TT_RUN("check", path);
	tt_status(&r, 1);
	tt_has(r.out, want);
	if (strstr(r.out, "configuration OK") != NULL)
		fail_msg("a file with errors said configuration OK");
	tt_free(&r);
}

/* The checker's messages, as shared/topo.c words them. */
#define TT_MSG_UNKNOWN_UNIT "[default manhole] unit: unknown unit 'nobody'"
#define TT_MSG_BAD_LEVEL \
	"[node LY] level: 'metropolis' is not province, city, county or town"
#define TT_MSG_BAD_DURATION "[default manhole] complete: 'soon' is not a " \
	"duration from 1m to 365d (30m, 1h, 1h30m, 2d)"

static void
test_check_bad_files(void **state)
{
	(void)state;
	tt_check_bad("unit.ini", 27, "unit = nobody\n", 27,
	    TT_MSG_UNKNOWN_UNIT);
	tt_check_bad("level.ini", 6, "level = metropolis\n", 6,
	    TT_MSG_BAD_LEVEL);
	tt_check_bad("dur.ini", 29, "complete = soon\n", 29,
	    TT_MSG_BAD_DURATION);
}

/* The calendar a file names: its problems are the file's, naming the
 * calendar's own line; check says which calendar counts. */
static void
test_check_calendar(void **state)
{
	char path[PATH_MAX], cal[PATH_MAX], want[2 * PATH_MAX + 100];
	struct tt_run r;

	(void)state;
	tt_path(cal, sizeof(cal), "bad.cal");
	tt_write(cal, "# 测试\nweekend = sat, sun\nholiday 2011-02-30 春节\n");
	tt_path(path, sizeof(path), "cal.ini");
	tt_write_bad(path, 3, "calendar = bad.cal\n");
	r = TT_RUN("check", path);
	tt_status(&r, 1);
	snprintf(want, sizeof(want), "%s:3: error: calendar %s:3: holiday "
	    "2011-02-30: not a date\n", path, cal);
	tt_has(r.out, want);
	tt_has(r.out, "1 error, 0 warnings");
	tt_free(&r);
	tt_write(cal, "holiday 2011-10-01 .. 2011-10-07\n");
	r = TT_RUN("check", path);
	tt_status(&r, 0);
	snprintf(want, sizeof(want), "%s: working days: by the calendar %s\n",
	    path, cal);
	tt_has(r.out, want);
	tt_free(&r);
	tt_write_bad(path, 3, "calendar = no-such.cal\n");
	r = TT_RUN("check", path);
	tt_status(&r, 1);
	tt_has(r.out, "no-such.cal: cannot open: No such file or directory");
	tt_free(&r);
	/* none named */
	tt_write_bad(path, 3, "\n");
	r = TT_RUN("check", path);
	tt_status(&r, 0);
	tt_has(r.out, "working days: Monday to Friday (no calendar named in "
	    "[federation])\n");
	tt_free(&r);
	/* sign in working days */
	tt_check_bad("wd.ini", 23, "urgency.1 = sign 1wd, complete 7wd\n", 23,
	    "[category manhole] urgency.1: 'sign 1wd, complete 7wd': sign is a "
	    "clock time (30m, 1h, 1d), not working days");
}

static void
test_check_missing_file(void **state)
{
	char path[PATH_MAX];
	struct tt_run r;

	(void)state;
	tt_path(path, sizeof(path), "no-such-file.ini");
	r = TT_RUN("check", path);
	tt_status(&r, 1);
	tt_has(r.out, path);
	tt_has(r.out, "cannot open");
	tt_free(&r);
}

/* --- route ---------------------------------------------------------------- */

static void
test_route_manhole_default(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("route", tt_example, "manhole", "luolong");
	tt_status(&r, 0);
	tt_has(r.out, "owner node: LY");
	tt_has(r.out, "zhujian");
	tt_has(r.out, "complete within 1h");
	tt_has(r.out, "default handler");
	tt_has(r.out, "settled");
	tt_free(&r);
}

static void
test_route_manhole_unicom(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("route", tt_example, "manhole.unicom", "luolong");
	tt_status(&r, 0);
	tt_has(r.out, "  unicom ");
	tt_has(r.out, "rule manhole-unicom (line ");
	if (strstr(r.out, "zhujian") != NULL)
		fail_msg("a Unicom cover went to zhujian:\n%s", r.out);
	tt_free(&r);
}

static void
test_route_waterplant(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("route", tt_example, "power.waterplant", "luolong");
	tt_status(&r, 0);
	tt_has(r.out, "  power ");
	tt_has(r.out, "  water ");
	tt_has(r.out, "rule waterplant (line ");
	tt_has(r.out, "emergency plan: waterplant");
	tt_has(r.out, "platform, sms, forum");
	tt_free(&r);

	/* in Xin'an, Xin'an's own units, and the county owns the ticket */
	r = TT_RUN("route", tt_example, "power.waterplant", "xinan",
	    "--urgency", "2");
	tt_status(&r, 0);
	tt_has(r.out, "owner node: XA");
	tt_has(r.out, "xa.power");
	tt_has(r.out, "xa.water");
	tt_has(r.out, "urgency 2");
	tt_free(&r);
}

/* Ordinary requests: 7 working days by the example's calendar. */
static void
test_route_working_days(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("route", tt_example, "general", "luolong", "--urgency", "5");
	tt_status(&r, 0);
	tt_has(r.out, "  cityguan ");
	tt_has(r.out, "sign within 1d, complete within 7 working days (7wd)\n");
	tt_has(r.out, "working days: by the calendar ");
	tt_has(r.out, "calendar.example\n");
	tt_has(r.out, "why: rule general (line ");
	tt_has(r.out, "; complete within 7 working days");
	tt_free(&r);
	r = TT_RUN("route", tt_example, "general", "xinan", "--urgency", "3");
	tt_status(&r, 0);
	tt_has(r.out, "complete within 3 working days (3wd)\n");
	tt_free(&r);
	/* a clock time at urgency 1: no calendar line */
	r = TT_RUN("route", tt_example, "general", "xinan");
	tt_status(&r, 0);
	tt_has(r.out, "sign within 30m, complete within 1d\n");
	if (strstr(r.out, "working day") != NULL)
		fail_msg("working days for a clock time:\n%s", r.out);
	tt_free(&r);
}

static void
test_route_not_routable(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("route", tt_example, "no.such.category", "luolong");
	tt_status(&r, 1);
	tt_has(r.err, "cannot route");
	tt_free(&r);
	r = TT_RUN("route", tt_example, "manhole", "atlantis");
	tt_status(&r, 1);
	tt_has(r.err, "cannot route");
	tt_free(&r);
}

static void
test_route_file_with_errors(void **state)
{
	char path[PATH_MAX];
	struct tt_run r;

	(void)state;
	tt_path(path, sizeof(path), "route-bad.ini");
	tt_write_bad(path, 27, "unit = nobody\n");
	r = TT_RUN("route", path, "manhole", "luolong");
	tt_status(&r, 1);
	tt_has(r.err, "has errors");
	tt_free(&r);
}

/* --- draw ----------------------------------------------------------------- */

static void
test_draw(void **state)
{
	struct tt_run r;

	(void)state;
	r = TT_RUN("draw", tt_example);
	tt_status(&r, 0);
	tt_has(r.out, "digraph");
	tt_has(r.out, "LY");
	tt_has(r.out, "XA");
	tt_free(&r);
}

static bool
tt_have_dot(void)
{
	return access("/usr/bin/dot", X_OK) == 0 ||
	    access("/usr/local/bin/dot", X_OK) == 0;
}

static void
test_draw_svg(void **state)
{
	char svg[PATH_MAX];
	struct tt_run r;
	char *text;

	(void)state;
	if (!tt_have_dot())
		skip();
	tt_path(svg, sizeof(svg), "federation.svg");
	r = TT_RUN("draw", tt_example, "--svg", svg);
	tt_status(&r, 0);
	text = tu_slurp(svg, NULL);
	assert_non_null(text);
	tt_has(text, "<svg");
	free(text);
	tt_free(&r);
}

/* Without Graphviz, --svg says what to install (PATH without dot). */
static void
test_draw_svg_without_dot(void **state)
{
	char svg[PATH_MAX], *path = getenv("PATH") ? strdup(getenv("PATH")) :
	    NULL;
	struct tt_run r;

	(void)state;
	tt_path(svg, sizeof(svg), "nodot.svg");
	setenv("PATH", "/nonexistent", 1);
	r = TT_RUN("draw", tt_example, "--svg", svg);
	if (path != NULL)
		setenv("PATH", path, 1);
	free(path);
	tt_status(&r, 1);
	tt_has(r.err, "Graphviz 'dot' is not installed (not in PATH); "
	    "install it with 'apt-get install graphviz'");
	tt_free(&r);
}

/* --- rekey ---------------------------------------------------------------- */

#define TT_KEY_LINE "public_key = "

/* dir/id.key, in buf. */
static void
tt_keypath(char *buf, size_t cap, const char *dir, const char *id)
{
	snprintf(buf, cap, "%.3000s/%s.key", dir, id);
}

/* The public key of dir/id.key (read as a node reads it), in pub. */
static void
tt_keyfile_pub(const char *dir, const char *id, char *pub)
{
	char path[PATH_MAX];
	struct ld_keypair kp;
	struct ld_err err;

	tt_keypath(path, sizeof(path), dir, id);
	if (keyfile_read(path, &kp, &err) != 0)
		fail_msg("%s", err.msg);
	memcpy(pub, kp.public_z85, LD_KEY_Z85 + 1);
	keyfile_wipe(&kp);
}

static bool
tt_keyfile_exists(const char *dir, const char *id)
{
	char path[PATH_MAX];

	tt_keypath(path, sizeof(path), dir, id);
	return access(path, F_OK) == 0;
}

/* The topology at path, which must have no error. */
static struct ld_topo *
tt_load(const char *path)
{
	struct ld_topo *t = NULL;

	if (topo_load(path, &t) != 0) {
		if (t != NULL)
			topo_print_diags(t, stderr);
		fail_msg("%s does not pass check", path);
	}
	return t;
}

/* Key key of a section of orig as the rekeyed file has it (now): from
 * dir/id.key if rekeyed, else unchanged and no key file made for it. */
static void
tt_rekeyed_key(const char *id, bool rekeyed, const char *orig,
    const char *now, const char *dir)
{
	char pub[LD_KEY_Z85 + 1];

	if (!rekeyed) {
		assert_string_equal(now, orig);
		if (tt_keyfile_exists(dir, id))
			fail_msg("a key file for %s, which is not running", id);
		return;
	}
	tt_keyfile_pub(dir, id, pub);
	assert_string_equal(now, pub);
	assert_string_not_equal(now, orig);
}

/* The file at path is the example rekeyed from dir: exactly the running
 * nodes (LY, XA) and their clients have dir's keys; planned nodes keep
 * theirs. */
static void
tt_check_rekeyed(const char *path, const char *dir)
{
	struct ld_topo *ex = tt_load(tt_example), *t = tt_load(path);
	int nodes = 0, clients = 0;

	assert_int_equal(t->n_nodes, ex->n_nodes);
	assert_int_equal(t->n_clients, ex->n_clients);
	for (int i = 0; i < t->n_nodes; i++) {
		const struct ld_topo_node *n = &t->nodes[i];
		bool lyxa = strcmp(n->id, "LY") == 0 ||
		    strcmp(n->id, "XA") == 0;

		assert_string_equal(n->id, ex->nodes[i].id);
		assert_int_equal(n->running, lyxa);
		nodes += lyxa;
		tt_rekeyed_key(n->id, lyxa, ex->nodes[i].public_key,
		    n->public_key, dir);
	}
	for (int i = 0; i < t->n_clients; i++) {
		const struct ld_topo_client *c = &t->clients[i];
		bool running = t->nodes[c->node].running;

		clients += running;
		tt_rekeyed_key(c->id, running, ex->clients[i].public_key,
		    c->public_key, dir);
	}
	assert_int_equal(nodes, 2);
	assert_int_equal(clients, 24);
	topo_free(ex);
	topo_free(t);
}

/* b is a byte for byte but for the values of n "public_key = " lines. */
static void
tt_only_keys_differ(const char *a, const char *b, int n)
{
	size_t k = strlen(TT_KEY_LINE);
	int changed = 0;

	while (*a != '\0' && *b != '\0') {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		if (la != lb || memcmp(a, b, la) != 0) {
			if (la != k + LD_KEY_Z85 || lb != la ||
			    memcmp(a, TT_KEY_LINE, k) != 0 ||
			    memcmp(b, TT_KEY_LINE, k) != 0)
				fail_msg("changed: '%.*s' -> '%.*s'", (int)la,
				    a, (int)lb, b);
			changed++;
		}
		a += la + (a[la] != '\0');
		b += lb + (b[lb] != '\0');
	}
	assert_int_equal(*a, *b);
	assert_int_equal(changed, n);
}

static void
test_rekey_example(void **state)
{
	char keys[PATH_MAX], out[PATH_MAX], want[PATH_MAX + 64], path[PATH_MAX];
	char *ex = tu_slurp(tt_example, NULL), *first;
	struct tt_run r;
	struct stat st;

	(void)state;
	tt_path(keys, sizeof(keys), "rekey-keys");
	tt_path(out, sizeof(out), "rekeyed.ini");
	r = TT_RUN("rekey", tt_example, "--keys", keys, "--out", out);
	tt_status(&r, 0);
	snprintf(want, sizeof(want), "rekey: 2 nodes, 24 clients; keys in %s "
	    "(26 new, 0 reused)\n", keys);
	tt_has(r.err, want);
	assert_string_equal(r.out, "");
	tt_free(&r);
	assert_int_equal(stat(keys, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	tt_check_rekeyed(out, keys);
	first = tu_slurp(out, NULL);
	tt_only_keys_differ(ex, first, 26);
	r = TT_RUN("check", out);
	tt_status(&r, 0);
	tt_has(r.out, "configuration OK");
	tt_free(&r);

	/* again, to stdout: every key reused, the same file */
	r = TT_RUN("rekey", tt_example, "--keys", keys);
	tt_status(&r, 0);
	tt_has(r.err, "(0 new, 26 reused)");
	assert_string_equal(r.out, first);
	tt_free(&r);

	/* a key file gone: a new one for it, only its line changes */
	tt_keypath(path, sizeof(path), keys, "op-xa-zhao");
	assert_int_equal(unlink(path), 0);
	r = TT_RUN("rekey", tt_example, "--keys", keys);
	tt_status(&r, 0);
	tt_has(r.err, "(1 new, 25 reused)");
	tt_only_keys_differ(first, r.out, 1);
	tt_free(&r);
	free(first);
	free(ex);
}

/* OUT may be FILE: replaced whole (its mode kept), no temp file left. */
static void
test_rekey_in_place(void **state)
{
	char keys[PATH_MAX], file[PATH_MAX], tmp[PATH_MAX];
	char *ex = tu_slurp(tt_example, NULL);
	struct tt_run r;
	struct stat st;

	(void)state;
	tt_path(keys, sizeof(keys), "inplace-keys");
	tt_path(file, sizeof(file), "inplace.ini");
	tt_write(file, ex);
	assert_int_equal(chmod(file, 0640), 0);
	r = TT_RUN("rekey", file, "--keys", keys, "--out", file);
	tt_status(&r, 0);
	tt_free(&r);
	tt_check_rekeyed(file, keys);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	r = TT_RUN("rekey", tt_example, "--keys", keys);
	tt_status(&r, 0);
	free(ex);
	ex = tu_slurp(file, NULL);
	assert_string_equal(r.out, ex);	/* no temp file's bytes in it */
	tt_free(&r);
	free(ex);
	snprintf(tmp, sizeof(tmp), "ls -a '%s' | grep -q '^inplace\\.ini\\.'",
	    tt_dir);
	assert_int_not_equal(system(tmp), 0);
}

/* text with the first from replaced by to (malloc'd). */
static char *
tt_subst(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(p);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(p - text), text, to,
	    p + strlen(from));
	return s;
}

/* Sections and keys found as the reader finds them: blanks in the header,
 * "key: value", an inline comment, CRLF; a comment that looks like a key
 * is left alone. */
static void
test_rekey_layout(void **state)
{
	static const char old[] = "zyvABYbbTD.U-8/yw/[c5DXi5@z#@8n&60tfc]PW";
	char keys[PATH_MAX], file[PATH_MAX], pub[LD_KEY_Z85 + 1];
	char *a, *b, *in, *want;
	struct tt_run r;

	(void)state;
	a = tt_subst(tt_good, "[node LY]\n", " [ node\t LY ]  ; the city\r\n");
	b = tt_subst(a, "public_key = zyv", "  public_key\t:zyv");
	free(a);
	a = tt_subst(b, "]PW\n", "]PW   ; old key\r\n; public_key = zyvABYbbTD."
	    "U-8/yw/[c5DXi5@z#@8n&60tfc]PW\n");
	in = tt_subst(a, "\nname = 洛阳市\n", "\nname = 洛阳市\r\n");
	tt_path(keys, sizeof(keys), "layout-keys");
	tt_path(file, sizeof(file), "layout.ini");
	tt_write(file, in);
	r = TT_RUN("check", file);
	tt_status(&r, 0);
	tt_free(&r);
	r = TT_RUN("rekey", file, "--keys", keys);
	tt_status(&r, 0);
	tt_has(r.err, "rekey: 1 node, 0 clients;");
	tt_keyfile_pub(keys, "LY", pub);
	want = tt_subst(in, old, pub);
	assert_string_equal(r.out, want);
	tt_free(&r);
	free(a);
	free(b);
	free(in);
	free(want);
}

/* A file with errors, a bad DIR or key file: exit 1, the reason, nothing
 * written. */
static void
tt_rekey_fails(const char *file, const char *keys, const char *msg)
{
	char out[PATH_MAX];
	struct tt_run r;

	tt_path(out, sizeof(out), "never.ini");
	r = TT_RUN("rekey", file, "--keys", keys, "--out", out);
	tt_status(&r, 1);
	tt_has(r.err, msg);
	tt_free(&r);
	if (access(out, F_OK) == 0)
		fail_msg("rekey failed (%s) yet wrote %s", msg, out);
}

static void
test_rekey_refuses(void **state)
{
	char file[PATH_MAX], keys[PATH_MAX], key[PATH_MAX], cmd[3 * PATH_MAX];
	struct tt_run r;

	(void)state;
	tt_path(keys, sizeof(keys), "refuse-keys");
	tt_path(file, sizeof(file), "no-such-file.ini");
	tt_rekey_fails(file, keys, "No such file or directory");
	tt_rekey_fails(file, keys, file);
	tt_path(file, sizeof(file), "rekey-bad.ini");
	tt_write_bad(file, 27, "unit = nobody\n");
	tt_rekey_fails(file, keys, TT_MSG_UNKNOWN_UNIT);
	tt_rekey_fails(file, keys, "has errors");
	assert_int_not_equal(access(keys, F_OK), 0);	/* not even DIR */

	tt_rekey_fails(tt_example, file, "is not a directory");
	tt_path(keys, sizeof(keys), "rekey-bad.ini/keys");
	tt_rekey_fails(tt_example, keys, "Not a directory");

	/* a key file others may read; one key file for two ids */
	tt_path(keys, sizeof(keys), "refuse-keys");
	assert_int_equal(mkdir(keys, 0700), 0);
	tt_keypath(key, sizeof(key), keys, "LY");
	r = TT_RUN("keygen", "LY", "--out", key);
	tt_status(&r, 0);
	tt_free(&r);
	assert_int_equal(chmod(key, 0644), 0);
	tt_rekey_fails(tt_example, keys, "chmod 600");
	assert_int_equal(chmod(key, 0600), 0);
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s/XA.key'", key, keys);
	assert_int_equal(system(cmd), 0);
	tt_rekey_fails(tt_example, keys, "also the key of node LY");
	tt_rekey_fails(tt_example, keys, "nothing written");

	/* a DIR we may not read (root may read anything) */
	if (geteuid() != 0) {
		assert_int_equal(chmod(keys, 0), 0);
		tt_rekey_fails(tt_example, keys, "Permission denied");
		assert_int_equal(chmod(keys, 0700), 0);
	}
}

/* --- usage ---------------------------------------------------------------- */

static void
tt_usage(const char *const *args, const char *msg)
{
	struct tt_run r = tt_runv(NULL, args);

	tt_status(&r, 2);
	tt_has(r.err, msg);
	tt_free(&r);
}

#define TT_USAGE(msg, ...) \
	tt_usage((const char *const[]){ __VA_ARGS__, NULL }, msg)

static void
test_bad_usage(void **state)
{
	(void)state;
	tt_usage((const char *const[]){ NULL }, "missing COMMAND");
	TT_USAGE("unknown command 'frobnicate'", "frobnicate");
	TT_USAGE("unknown option '--bogus'", "--bogus");
	TT_USAGE("missing NAME", "keygen");
	TT_USAGE("bad NAME '../etc'", "keygen", "../etc");
	TT_USAGE("bad NAME 'Ly'", "keygen", "Ly");
	TT_USAGE("--out needs a PATH", "keygen", "x", "--out");
	TT_USAGE("missing FILE", "check");
	TT_USAGE("unknown option '--strict'", "check", "--strict", "f");
	TT_USAGE("unexpected argument 'b'", "check", "a", "b");
	TT_USAGE("missing AREA", "route", tt_example, "manhole");
	TT_USAGE("bad urgency '9'", "route", tt_example, "manhole",
	    "luolong", "--urgency", "9");
	TT_USAGE("--urgency needs", "route", tt_example, "manhole",
	    "luolong", "--urgency");
	TT_USAGE("--svg needs", "draw", tt_example, "--svg");
	TT_USAGE("missing FILE", "draw");
	TT_USAGE("missing FILE", "rekey");
	TT_USAGE("missing --keys DIR", "rekey", tt_example);
	TT_USAGE("--keys needs a DIR", "rekey", tt_example, "--keys");
	TT_USAGE("--keys needs a DIR", "rekey", tt_example, "--keys=");
	TT_USAGE("--out needs a PATH", "rekey", tt_example, "--keys", tt_dir,
	    "--out");
	TT_USAGE("unknown option '--force'", "rekey", tt_example, "--keys",
	    tt_dir, "--force");
	TT_USAGE("unexpected argument 'b'", "rekey", "a", "b", "--keys",
	    tt_dir);
}

static void
test_help_version(void **state)
{
	static const char *const cmds[] = { "keygen", "check", "route",
		"draw", "rekey" };
	struct tt_run r;

	(void)state;
	r = TT_RUN("--help");
	tt_status(&r, 0);
	tt_has(r.out, "usage: topology");
	tt_free(&r);
	r = TT_RUN("--version");
	tt_status(&r, 0);
	tt_has(r.out, "topology");
	tt_free(&r);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = TT_RUN(cmds[i], "--help");
		tt_status(&r, 0);
		tt_has(r.out, "usage: topology ");
		tt_has(r.out, cmds[i]);
		tt_free(&r);
	}
}

/* --- setup ---------------------------------------------------------------- */

/* calendar.example, from beside the example into tt_dir. */
static void
tt_copy_calendar(void)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *slash = strrchr(tt_example, '/');
	char *text;

	snprintf(from, sizeof(from), "%.*s/calendar.example",
	    (int)(slash - tt_example), tt_example);
	tt_path(to, sizeof(to), "calendar.example");
	if ((text = tu_slurp(from, NULL)) == NULL) {
		fprintf(stderr, "test_topotool: %s: cannot read\n", from);
		exit(1);
	}
	tt_write(to, text);
	free(text);
}

static void
tt_realpath(const char *env, const char *def, char *out)
{
	const char *p = getenv(env);

	if (p == NULL || *p == '\0')
		p = def;
	if (realpath(p, out) == NULL) {
		fprintf(stderr, "test_topotool: %s: %s (set %s)\n", p,
		    strerror(errno), env);
		exit(1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_writes_0600),
		cmocka_unit_test(test_keygen_refuses_overwrite),
		cmocka_unit_test(test_keygen_default_path),
		cmocka_unit_test(test_check_example),
		cmocka_unit_test(test_check_small_good),
		cmocka_unit_test(test_check_bad_files),
		cmocka_unit_test(test_check_calendar),
		cmocka_unit_test(test_check_missing_file),
		cmocka_unit_test(test_route_manhole_default),
		cmocka_unit_test(test_route_manhole_unicom),
		cmocka_unit_test(test_route_waterplant),
		cmocka_unit_test(test_route_working_days),
		cmocka_unit_test(test_route_not_routable),
		cmocka_unit_test(test_route_file_with_errors),
		cmocka_unit_test(test_draw),
		cmocka_unit_test(test_draw_svg),
		cmocka_unit_test(test_draw_svg_without_dot),
		cmocka_unit_test(test_rekey_example),
		cmocka_unit_test(test_rekey_in_place),
		cmocka_unit_test(test_rekey_layout),
		cmocka_unit_test(test_rekey_refuses),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_help_version),
	};
	int rc;

	tt_realpath("LD_TOPOLOGY_BIN", "build/test/topology", tt_bin);
	tt_realpath("LD_TOPOLOGY_EXAMPLE", "topology.example", tt_example);
	tt_dir = tu_tmpdir();
	tt_copy_calendar();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_rm_tree(tt_dir);
	return rc;
}
