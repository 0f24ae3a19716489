/*
 * test_node.c - the node daemon as a real process: it runs the demo on a
 * temp dir, stops cleanly on SIGINT and SIGTERM, refuses bad arguments and
 * bad stores with a clear message, and its store passes the rebuild check
 * when started again.  The binary is $LD_NODE_BIN (make test sets it),
 * default build/test/city-node.
 */
#include "testnet.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *node_bin;
static struct tn net;	/* topology.example rekeyed: LY.key, XA.key, ... */
static char ly_key[320];

struct run {
	int status;
	char out[65536];
	char err[16384];
};

static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Run the node with args; if sig, send it once stderr says "ready". */
static void
run_node(struct run *r, const char *dir, char *const args[], int sig)
{
	char outp[300], errp[300];
	pid_t pid;

	snprintf(outp, sizeof(outp), "%s/out.txt", dir);
	snprintf(errp, sizeof(errp), "%s/err.txt", dir);
	unlink(outp);
	unlink(errp);	/* no stale "ready" from the last run */
	r->err[0] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		execv(node_bin, args);
		_exit(127);
	}
	if (sig) {
		/* wait up to 30 s for "ready", then signal */
		for (int i = 0; i < 3000; i++) {
			struct timespec ts = { 0, 10000000 };
			slurp(errp, r->err, sizeof(r->err));
			if (strstr(r->err, "ready;") || waitpid(pid, &r->status,
			    WNOHANG) == pid)
				break;
			nanosleep(&ts, NULL);
		}
		kill(pid, sig);
	}
	waitpid(pid, &r->status, 0);
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
}

static void
t_demo_and_restart(void **state)
{
	char *dir = tu_tmpdir(), data[300];
	struct run *r = calloc(1, sizeof(*r));

	(void)state;
	snprintf(data, sizeof(data), "%s/LY", dir);
	char *a1[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"LY", "--data", data, "--demo", NULL };
	run_node(r, dir, a1, SIGINT);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_non_null(strstr(r->out, "LY-2011-000001   ticket.created"));
	assert_non_null(strstr(r->out, "work order 1 -> unicom"));
	assert_non_null(strstr(r->out, "settled            responsible: telecom"));
	assert_non_null(strstr(r->out, "plan waterplant, 2 units at once"));
	/* routed by the topology's rules, the default handler within 1 hour */
	assert_non_null(strstr(r->out, "rule: rule manhole-unicom (line "));
	assert_non_null(strstr(r->out, "rule: default handler manhole (line "));
	assert_non_null(strstr(r->out, "work order 1 -> zhujian, complete by "
	    "11:40:00"));
	assert_non_null(strstr(r->out, "returned           wo 1"));
	assert_non_null(strstr(r->out, "reopened"));
	assert_non_null(strstr(r->out, "calls in 6, answered 6, valid 5, "
	    "linkage 4, police 1; tickets 4, completed 3, in progress now 1"));
	assert_non_null(strstr(r->out, "views equal, byte for byte"));
	assert_null(strstr(r->out, "refused"));
	assert_non_null(strstr(r->err, "stopped cleanly"));

	/* again, on the same data, with the rebuild check, stopped by SIGTERM */
	char *a2[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"LY", "--data", data, "--check", NULL };
	run_node(r, dir, a2, SIGTERM);
	assert_true(WIFEXITED(r->status));	/* not killed by the signal */
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_non_null(strstr(r->err, "stopped cleanly"));
	assert_non_null(strstr(r->err, "rebuild check: views equal the event log"));
	/* the demo's 64 events, and the urges its 2011 deadlines earned
	 * once the node served (the reopened ticket's) */
	assert_non_null(strstr(r->err, "store: 66 events, 4 tickets"));

	/* the wrong node id for this store */
	char *a3[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"XA", "--data", data, NULL };
	run_node(r, dir, a3, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	/* XA is a county: the city-node binary refuses it first */
	assert_non_null(strstr(r->err, "node XA is a county node; run "
	    "county-node for it"));
	free(r);
	tu_rm_tree(dir);
}

static void
t_bad_usage(void **state)
{
	char *dir = tu_tmpdir();
	struct run *r = calloc(1, sizeof(*r));

	(void)state;
	char *a1[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"la", "--data", dir, NULL };
	run_node(r, dir, a1, 0);
	assert_int_equal(WEXITSTATUS(r->status), 2);
	assert_non_null(strstr(r->err, "--id: 'la' is not a node id"));
	char *a2[] = { (char *)node_bin, "--data", dir, NULL };
	run_node(r, dir, a2, 0);
	assert_int_equal(WEXITSTATUS(r->status), 2);
	assert_non_null(strstr(r->err, "--topology, --id, --key and --data "
	    "are required"));
	char *a3[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"LY", "--data", dir, "--map-max", "12x", NULL };
	run_node(r, dir, a3, 0);
	assert_int_equal(WEXITSTATUS(r->status), 2);
	assert_non_null(strstr(r->err, "--map-max: '12x' is not a size"));
	char *a3b[] = { (char *)node_bin, "--topology", net.topo, "--key",
		ly_key, "--id", "LY", "--data", dir, "--pull-idle-ms", "1001",
		NULL };
	run_node(r, dir, a3b, 0);
	assert_int_equal(WEXITSTATUS(r->status), 2);
	assert_non_null(strstr(r->err, "--pull-idle-ms: '1001' is not a whole "
	    "number from 1 to 1000"));
	char *a3c[] = { (char *)node_bin, "--topology", net.topo, "--key",
		ly_key, "--id", "LY", "--data", dir, "--link-dead-ms", "299",
		NULL };
	run_node(r, dir, a3c, 0);
	assert_int_equal(WEXITSTATUS(r->status), 2);
	assert_non_null(strstr(r->err, "--link-dead-ms: '299' is not a whole "
	    "number from 300 to 60000"));
	char *a4[] = { (char *)node_bin, "--version", NULL };
	run_node(r, dir, a4, 0);
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_non_null(strstr(r->out, "city-node "));
	char *a5[] = { (char *)node_bin, "--help", NULL };
	run_node(r, dir, a5, 0);
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_non_null(strstr(r->out, "usage: city-node --topology FILE --id "
	    "NODE --key FILE --data DIR"));
	/* a data dir that is a file full of junk */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/junk", dir);
	assert_int_equal(mkdir(bad, 0700), 0);
	char junkf[330];
	snprintf(junkf, sizeof(junkf), "%s/data.mdb", bad);
	FILE *f = fopen(junkf, "w");
	for (int i = 0; i < 4096; i++)
		fputs("not lmdb ", f);
	fclose(f);
	char *a6[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"LY", "--data", bad, NULL };
	run_node(r, dir, a6, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, "not a liandong store, or its header is "
	    "damaged"));
	free(r);
	tu_rm_tree(dir);
}

/* A node does not start on a topology that fails the check, and says why
 * with the checker's own messages. */
static void
t_bad_topology(void **state)
{
	char *dir = tu_tmpdir(), path[300], data[300];
	struct run *r = calloc(1, sizeof(*r));
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.ini", dir);
	snprintf(data, sizeof(data), "%s/LY", dir);
	f = fopen(path, "w");
	fputs("[node LY]\nname = 洛阳\nlevel = city\n"
	    "client = tcp://127.0.0.1:7702\n"
	    "public_key = not-a-key\n", f);
	fclose(f);
	char *a1[] = { (char *)node_bin, "--topology", path, "--key", ly_key, "--id", "LY",
		"--data", data, NULL };
	run_node(r, dir, a1, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, "bad.ini:5: error: [node LY] "
	    "public_key:"));
	assert_non_null(strstr(r->err, "fails the check; not starting"));
	/* a node that is not in the file */
	char *a2[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"ZZ", "--data", data, NULL };
	run_node(r, dir, a2, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, ": there is no node ZZ; "
	    "not starting"));
	/* a node the file declares as planned */
	char *a4[] = { (char *)node_bin, "--topology", net.topo, "--key", ly_key, "--id",
		"JL", "--data", data, NULL };
	run_node(r, dir, a4, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, ": node JL is planned; "
	    "set its status = running"));
	/* a missing file */
	char *a3[] = { (char *)node_bin, "--topology", "/nonexistent.ini",
		"--key", ly_key, "--id", "LY", "--data", data, NULL };
	run_node(r, dir, a3, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, "/nonexistent.ini"));
	/* the key of another node, and no key file at all */
	char xa_key[320];
	snprintf(xa_key, sizeof(xa_key), "%s/XA.key", net.keys);
	char *a5[] = { (char *)node_bin, "--topology", net.topo, "--key", xa_key,
		"--id", "LY", "--data", data, NULL };
	run_node(r, dir, a5, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, "but the topology gives node LY the key"));
	char *a6[] = { (char *)node_bin, "--topology", net.topo, "--key",
		"/nonexistent.key", "--id", "LY", "--data", data, NULL };
	run_node(r, dir, a6, 0);
	assert_int_equal(WEXITSTATUS(r->status), 1);
	assert_non_null(strstr(r->err, "/nonexistent.key: cannot open"));
	free(r);
	tu_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_demo_and_restart),
		cmocka_unit_test(t_bad_usage),
		cmocka_unit_test(t_bad_topology),
	};

	node_bin = getenv("LD_NODE_BIN");
	if (node_bin == NULL)
		node_bin = "build/test/city-node";
	tn_init(&net);
	snprintf(ly_key, sizeof(ly_key), "%s/LY.key", net.keys);
	int rc = cmocka_run_group_tests_name("node", tests, NULL, NULL);
	tn_fini(&net);
	return rc;
}
