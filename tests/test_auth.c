/*
 * test_auth.c - the ZAP handler with real CURVE sockets over TCP.
 *
 * A topology with fresh keys: node LY (city, running; the node under
 * test), XA (county, child of LY), YS (county, child of LY, planned), BM
 * (town, child of XA); clients op-ly-wang and t-unicom of LY, op-xa-zhao
 * of XA.  LY binds a ROUTER on the client endpoint (domain "client") and
 * one on the peer endpoint (domain "peer"), each on 127.0.0.1:<ephemeral>,
 * and the test connects DEALERs with the keys of each party.  A second
 * group of tests speaks ZAP to the handler directly (inproc REQ) to check
 * each answer and the counters exactly.
 */
#include "testutil.h"

#include "auth.h"
#include "log.h"
#include "topo.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WAIT_MS 3000		/* what may take a handshake */
#define QUIET_MS 300		/* nothing arrives within this */

struct party {
	const char *id;
	char pubz[LD_TOPO_KEY_Z85 + 1], secz[LD_TOPO_KEY_Z85 + 1];
	uint8_t pub[32], sec[32];
};

enum { P_LY, P_XA, P_YS, P_BM, P_OPLY, P_UNIT, P_OPXA, P_NOBODY, P_N };
static struct party P[P_N] = {
	{ .id = "LY" }, { .id = "XA" }, { .id = "YS" }, { .id = "BM" },
	{ .id = "op-ly-wang" }, { .id = "t-unicom" }, { .id = "op-xa-zhao" },
	{ .id = "nobody" },
};

struct fix {
	void *zctx;
	struct ld_topo *t;
	struct ld_auth *auth;
	void *client_ep, *peer_ep;	/* LY's ROUTERs */
	char client_at[64], peer_at[64];
	void *dialed[16];	/* the test's DEALERs, closed by teardown */
	int n_dialed;
};

static struct ld_topo *
make_topo(void)
{
	char text[4096];
	struct ld_topo *t = NULL;
	int n;

	n = snprintf(text, sizeof(text),
	    "[federation]\nname = 洛阳市110应急联动服务平台\n"
	    "[node LY]\nname = 洛阳市\nlevel = city\n"
	    "peer = tcp://127.0.0.1:7100\nclient = tcp://127.0.0.1:7101\n"
	    "public_key = %s\nareas = luolong\n"
	    "[node XA]\nname = 新安县\nlevel = county\nparent = LY\n"
	    "peer = tcp://127.0.0.1:7110\nclient = tcp://127.0.0.1:7111\n"
	    "public_key = %s\nareas = xinan\n"
	    "[node YS]\nname = 伊川县\nlevel = county\nparent = LY\n"
	    "client = tcp://127.0.0.1:7121\nstatus = planned\n"
	    "public_key = %s\nareas = yichuan\n"
	    "[node BM]\nname = 北冶镇\nlevel = town\nparent = XA\n"
	    "client = tcp://127.0.0.1:7131\npublic_key = %s\n"
	    "areas = beiye\n"
	    "[area luolong]\nname = 洛龙区\n[area xinan]\nname = 新安县\n"
	    "[area yichuan]\nname = 伊川县\n[area beiye]\nname = 北冶镇\n"
	    "[unit unicom]\nname = 市联通公司\nnode = LY\n"
	    "[client op-ly-wang]\nname = 王接警员\nrole = operator\n"
	    "node = LY\npublic_key = %s\n"
	    "[client t-unicom]\nname = 联通终端\nrole = unit\nnode = LY\n"
	    "unit = unicom\npublic_key = %s\n"
	    "[client op-xa-zhao]\nname = 赵接警员\nrole = operator\n"
	    "node = XA\npublic_key = %s\n",
	    P[P_LY].pubz, P[P_XA].pubz, P[P_YS].pubz, P[P_BM].pubz,
	    P[P_OPLY].pubz, P[P_UNIT].pubz, P[P_OPXA].pubz);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (topo_load_mem("auth.ini", text, (size_t)n, &t) != 0)
		topo_print_diags(t, stderr);
	assert_non_null(t);
	assert_int_equal(t->n_errors, 0);
	return t;
}

/* A ROUTER of LY on tcp://127.0.0.1:* for domain; its endpoint in at. */
static void *
server(struct fix *f, const char *domain, char *at, size_t cap)
{
	void *s = zmq_socket(f->zctx, ZMQ_ROUTER);
	struct ld_err err = { 0, "" };
	int zero = 0;

	assert_non_null(s);
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	assert_int_equal(auth_server_socket(s, domain, P[P_LY].sec, &err), 0);
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, at, &cap), 0);
	return s;
}

static char *uncapture(void);
static int saved_stderr = -1;

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct ld_err err = { 0, "" };

	assert_non_null(f);
	for (int i = 0; i < P_N; i++) {
		assert_int_equal(zmq_curve_keypair(P[i].pubz, P[i].secz), 0);
		assert_non_null(zmq_z85_decode(P[i].pub, P[i].pubz));
		assert_non_null(zmq_z85_decode(P[i].sec, P[i].secz));
	}
	f->t = make_topo();
	f->zctx = zmq_ctx_new();
	assert_non_null(f->zctx);
	assert_int_equal(auth_start(f->zctx, f->t, topo_node(f->t, "LY"),
	    &f->auth, &err), 0);
	f->client_ep = server(f, AUTH_DOMAIN_CLIENT, f->client_at,
	    sizeof(f->client_at));
	f->peer_ep = server(f, AUTH_DOMAIN_PEER, f->peer_at,
	    sizeof(f->peer_at));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	/* a failed test may leave stderr captured: show what it caught */
	if (saved_stderr >= 0) {
		char *log = uncapture();

		fputs(log, stderr);
		free(log);
	}
	/* a failed test leaves its sockets here, so teardown (ctx_term)
	 * never hangs */
	for (int i = 0; i < f->n_dialed; i++)
		zmq_close(f->dialed[i]);
	zmq_close(f->client_ep);
	zmq_close(f->peer_ep);
	auth_stop(f->auth);	/* NULL if a test stopped it */
	assert_int_equal(zmq_ctx_term(f->zctx), 0);
	topo_free(f->t);
	free(f);
	return 0;
}

/* A DEALER with party p's keys connected to at, "hello" queued; closed
 * by teardown. */
static void *
dial(struct fix *f, int p, const char *at)
{
	void *s = zmq_socket(f->zctx, ZMQ_DEALER);
	struct ld_err err = { 0, "" };
	int zero = 0, ivl = 1000;

	assert_non_null(s);
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &ivl,
	    sizeof(ivl)), 0);
	assert_int_equal(auth_client_socket(s, P[P_LY].pub, P[p].pub,
	    P[p].sec, &err), 0);
	assert_int_equal(zmq_connect(s, at), 0);
	assert_int_equal(zmq_send(s, "hello", 5, 0), 5);
	assert_true(f->n_dialed < 16);
	f->dialed[f->n_dialed++] = s;
	return s;
}

/* Close a DEALER from dial(). */
static void
hangup(struct fix *f, void *s)
{
	for (int i = 0; i < f->n_dialed; i++)
		if (f->dialed[i] == s) {
			f->dialed[i] = f->dialed[--f->n_dialed];
			zmq_close(s);
			return;
		}
	fail_msg("not a dialed socket");
}

/* The next message on ROUTER r within ms: its body must be "hello"; its
 * User-Id into user (cap bytes). */
static void
arrives_from(void *r, char *user, size_t cap, int ms)
{
	zmq_pollitem_t it = { r, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t id, body;

	assert_int_equal(zmq_poll(&it, 1, ms), 1);
	zmq_msg_init(&id);
	zmq_msg_init(&body);
	assert_true(zmq_msg_recv(&id, r, 0) >= 0);
	assert_true(zmq_msg_more(&id));
	assert_int_equal(zmq_msg_recv(&body, r, 0), 5);
	assert_memory_equal(zmq_msg_data(&body), "hello", 5);
	assert_non_null(zmq_msg_gets(&body, "User-Id"));
	snprintf(user, cap, "%s", zmq_msg_gets(&body, "User-Id"));
	zmq_msg_close(&id);
	zmq_msg_close(&body);
}

/* ... and its User-Id must be user. */
static void
arrives(void *r, const char *user, int ms)
{
	char got[64];

	arrives_from(r, got, sizeof(got), ms);
	assert_string_equal(got, user);
}

/* Nothing arrives on ROUTER r within ms. */
static void
silent(void *r, int ms)
{
	zmq_pollitem_t it = { r, 0, ZMQ_POLLIN, 0 };

	assert_int_equal(zmq_poll(&it, 1, ms), 0);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait (up to WAIT_MS) until the refused counter passes before. */
static void
refusal_after(struct fix *f, uint64_t before)
{
	struct ld_auth_counts c;

	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		auth_counts(f->auth, &c);
		if (c.refused > before)
			return;
		sleep_ms(10);
	}
	fail_msg("no refusal within %d ms", WAIT_MS);
}

/* Party p dials at and must be refused there: the refused counter moves
 * and nothing reaches LY's ROUTER r. */
static void
refused_at(struct fix *f, int p, const char *at, void *r)
{
	struct ld_auth_counts before, after;
	void *d;

	auth_counts(f->auth, &before);
	d = dial(f, p, at);
	refusal_after(f, before.refused);
	silent(r, QUIET_MS);
	auth_counts(f->auth, &after);
	assert_int_equal(after.admitted, before.admitted);
	hangup(f, d);
}

static void
test_client_admitted(void **state)
{
	struct fix *f = *state;
	struct ld_auth_counts c;
	void *op = dial(f, P_OPLY, f->client_at);
	void *unit = dial(f, P_UNIT, f->client_at);

	char a[64], b[64];

	/* two clients at once: in either order */
	arrives_from(f->client_ep, a, sizeof(a), WAIT_MS);
	arrives_from(f->client_ep, b, sizeof(b), WAIT_MS);
	assert_true((strcmp(a, "op-ly-wang") == 0 && strcmp(b, "t-unicom") ==
	    0) || (strcmp(a, "t-unicom") == 0 && strcmp(b, "op-ly-wang") == 0));
	auth_counts(f->auth, &c);
	assert_int_equal(c.admitted, 2);
	assert_int_equal(c.refused, 0);
	hangup(f, op);
	hangup(f, unit);
}

static void
test_unknown_refused(void **state)
{
	struct fix *f = *state;

	refused_at(f, P_NOBODY, f->client_at, f->client_ep);
	refused_at(f, P_NOBODY, f->peer_at, f->peer_ep);
}

/* Standard error goes to a file until uncapture(), which returns what
 * was written (malloc'd). */
static char *capture_dir;

static void
capture(void)
{
	char p[300];
	int fd;

	capture_dir = tu_tmpdir();
	snprintf(p, sizeof(p), "%s/log", capture_dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	dup2(fd, 2);
	close(fd);
}

static char *
uncapture(void)
{
	char p[300], *buf = malloc(65536);
	FILE *lf;
	size_t n;

	assert_non_null(buf);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	snprintf(p, sizeof(p), "%s/log", capture_dir);
	lf = fopen(p, "r");
	assert_non_null(lf);
	n = fread(buf, 1, 65535, lf);
	buf[n] = '\0';
	fclose(lf);
	tu_rm_tree(capture_dir);
	return buf;
}

/* How many times s occurs in text. */
static int
count(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

/* The refusal of a client of XA at LY is logged with its public key and
 * the reason, once however often it tries again (each try counted), and
 * never with a secret key. */
static void
test_other_nodes_client_refused(void **state)
{
	struct fix *f = *state;
	char want[512], *log;

	struct ld_auth_counts c;

	capture();
	for (int i = 0; i < 3; i++)	/* three connections, one key */
		refused_at(f, P_OPXA, f->client_at, f->client_ep);
	log = uncapture();
	auth_counts(f->auth, &c);
	assert_int_equal(c.refused, 3);
	snprintf(want, sizeof(want), "WARN  [-] auth: refused key %s on "
	    "client endpoint (from 127.0.0.1): not a client of node LY "
	    "(client op-xa-zhao of node XA)\n", P[P_OPXA].pubz);
	if (strstr(log, want) == NULL)
		fail_msg("log lacks \"%s\":\n%s", want, log);
	assert_int_equal(count(log, "auth: refused"), 1);	/* 2 quiet */
	for (int i = 0; i < P_N; i++)
		assert_null(strstr(log, P[i].secz));
	free(log);
}

static void
test_child_node_on_peer_only(void **state)
{
	struct fix *f = *state;
	void *xa = dial(f, P_XA, f->peer_at);

	arrives(f->peer_ep, "XA", WAIT_MS);
	hangup(f, xa);
	refused_at(f, P_XA, f->client_at, f->client_ep);
	/* and a client of LY on the peer endpoint */
	refused_at(f, P_OPLY, f->peer_at, f->peer_ep);
	/* a grandchild, a planned child, LY's own key */
	refused_at(f, P_BM, f->peer_at, f->peer_ep);
	refused_at(f, P_YS, f->peer_at, f->peer_ep);
	refused_at(f, P_LY, f->peer_at, f->peer_ep);
}

/* ZMQ_RCVMORE of socket s. */
static int
more(void *s)
{
	int m = 0;
	size_t len = sizeof(m);

	assert_int_equal(zmq_getsockopt(s, ZMQ_RCVMORE, &m, &len), 0);
	return m;
}

/* One ZAP request to the handler over inproc; the reply's status code
 * and user id are checked, and its status text returned in why. */
static void
zap(struct fix *f, const char *version, const char *domain,
    const char *mech, const void *cred, size_t cred_len,
    const char *status, const char *user, char *why, size_t wcap)
{
	void *q = zmq_socket(f->zctx, ZMQ_REQ);
	char fr[6][256];
	int n[6], zero = 0;

	int timeout = 5000;	/* a handler that does not answer fails */

	assert_non_null(q);
	zmq_setsockopt(q, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(q, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	assert_int_equal(zmq_connect(q, AUTH_ENDPOINT), 0);
	assert_true(zmq_send(q, version, strlen(version), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(q, "42", 2, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(q, domain, strlen(domain), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(q, "10.1.2.3", 8, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(q, "", 0, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(q, mech, strlen(mech), cred != NULL ?
	    ZMQ_SNDMORE : 0) >= 0);
	if (cred != NULL)
		assert_true(zmq_send(q, cred, cred_len, 0) >= 0);
	for (int i = 0; i < 6; i++) {
		n[i] = zmq_recv(q, fr[i], sizeof(fr[i]) - 1, 0);
		assert_true(n[i] >= 0);
		fr[i][n[i]] = '\0';
		assert_int_equal(more(q), i < 5);
	}
	assert_string_equal(fr[0], "1.0");
	assert_string_equal(fr[1], "42");
	assert_string_equal(fr[2], status);
	assert_string_equal(fr[4], user);
	assert_int_equal(n[5], 0);
	if (why != NULL)
		snprintf(why, wcap, "%s", fr[3]);
	zmq_close(q);
}

static void
test_zap_direct(void **state)
{
	struct fix *f = *state;
	struct ld_auth_counts c;
	char why[256], want[256], *log;

	capture();
	zap(f, "1.0", "client", "CURVE", P[P_UNIT].pub, 32, "200",
	    "t-unicom", NULL, 0);
	zap(f, "1.0", "peer", "CURVE", P[P_XA].pub, 32, "200", "XA", NULL, 0);
	zap(f, "1.0", "client", "PLAIN", NULL, 0, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "mechanism PLAIN: only CURVE is allowed");
	zap(f, "1.0", "client", "NULL", NULL, 0, "400", "", NULL, 0);
	zap(f, "2.0", "client", "CURVE", P[P_OPLY].pub, 32, "500", "", why,
	    sizeof(why));
	assert_string_equal(why, "not a ZAP 1.0 request");
	zap(f, "1.0", "client", "CURVE", P[P_OPLY].pub, 31, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "no 32-byte CURVE key in the request");
	zap(f, "1.0", "", "CURVE", P[P_OPLY].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "ZAP domain '' is neither 'client' nor "
	    "'peer'");
	zap(f, "1.0", "admin", "CURVE", P[P_OPLY].pub, 32, "400", "", NULL, 0);
	zap(f, "1.0", "client", "CURVE", P[P_OPXA].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "not a client of node LY (client "
	    "op-xa-zhao of node XA)");
	zap(f, "1.0", "client", "CURVE", P[P_XA].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "the key of node XA: nodes connect on the "
	    "peer endpoint");
	zap(f, "1.0", "client", "CURVE", P[P_NOBODY].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "unknown key (not in the topology)");
	zap(f, "1.0", "peer", "CURVE", P[P_BM].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "node BM is not a child of node LY");
	zap(f, "1.0", "peer", "CURVE", P[P_YS].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "node YS is planned (status = planned in "
	    "the topology), not running");
	zap(f, "1.0", "peer", "CURVE", P[P_LY].pub, 32, "400", "", why,
	    sizeof(why));
	assert_string_equal(why, "the key of node LY itself");
	zap(f, "1.0", "peer", "CURVE", P[P_UNIT].pub, 32, "400", "", why,
	    sizeof(why));
	snprintf(want, sizeof(want), "the key of client t-unicom: clients "
	    "connect on the client endpoint");
	assert_string_equal(why, want);
	log = uncapture();
	auth_counts(f->auth, &c);
	assert_int_equal(c.admitted, 2);
	assert_int_equal(c.refused, 13);
	/* each a different refusal: each logged */
	assert_int_equal(count(log, "WARN  [-] auth: refused "), 13);
	assert_int_equal(count(log, "INFO  [-] auth: admitted "), 2);
	assert_non_null(strstr(log, "auth: refused key - on client endpoint "
	    "(from 10.1.2.3): mechanism NULL: only CURVE is allowed\n"));
	free(log);
}

static void
test_second_handler_and_bad_args(void **state)
{
	struct fix *f = *state;
	struct ld_auth *a2 = (struct ld_auth *)1;
	struct ld_err err = { 0, "" };
	void *s = zmq_socket(f->zctx, ZMQ_ROUTER);

	assert_int_equal(auth_start(f->zctx, f->t, 0, &a2, &err), LD_EEXIST);
	assert_null(a2);
	assert_string_equal(err.msg, "auth: a ZAP handler is already bound "
	    "at inproc://zeromq.zap.01 in this context");
	assert_int_equal(auth_start(f->zctx, f->t, f->t->n_nodes, &a2, &err),
	    LD_EINVAL);
	assert_int_equal(auth_server_socket(s, "admin", P[P_LY].sec, &err),
	    LD_EINVAL);
	assert_int_equal(auth_client_socket(s, NULL, P[P_LY].pub,
	    P[P_LY].sec, &err), LD_EINVAL);
	zmq_close(s);
}

/* After auth_stop (server sockets still open: against the contract) a
 * known client is refused, not admitted unchecked: the sockets enforce
 * the ZAP domain. */
static void
test_stop_fails_closed(void **state)
{
	struct fix *f = *state;
	void *d;

	auth_stop(f->auth);
	f->auth = NULL;
	d = dial(f, P_OPLY, f->client_at);
	silent(f->client_ep, 1000);
	hangup(f, d);
}

/* auth_stop after zmq_ctx_shutdown: the thread has quit on ETERM. */
static void
test_stop_after_shutdown(void **state)
{
	struct fix *f = *state;

	assert_int_equal(zmq_ctx_shutdown(f->zctx), 0);
	sleep_ms(20);
	auth_stop(f->auth);
	f->auth = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_admitted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_other_nodes_client_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_node_on_peer_only,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_zap_direct, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_handler_and_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_fails_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_after_shutdown,
		    setup, teardown),
	};

	log_init("-", LD_LOG_INFO);
	if (getenv("TEST_FILTER") != NULL)	/* one test: TEST_FILTER=name */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
