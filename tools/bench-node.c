/*
 * bench-node.c - how many requests per second one node answers, and how
 * long each takes, beside a bare ZeroMQ CURVE echo on the same machine in
 * the same run.
 *
 *   make bench-node                       a readable table
 *   make bench-node BENCH_ARGS=--json     one JSON object per line
 *   make bench-node BENCH_ARGS="--workload lifecycle"   bench-pg's workload
 *
 * Setup (a temp dir under $TMPDIR or /tmp, removed unless --keep):
 * `topology rekey` gives topology.example fresh keys that this run holds,
 * every loopback port of the file is moved next to --port (LY's client
 * endpoint becomes 127.0.0.1:PORT), and the city node LY runs as a child
 * process (build/release/city-node beside this binary).  It is started
 * afresh for each measurement, on an empty data dir DIR/LY-<run> with its
 * stderr in DIR/LY-<run>.log: measurements do not depend on their order,
 * and the "served N requests ... in M group commits" line it logs when it
 * stops gives the group commits of that measurement alone.
 *
 * Each client is a thread with two CURVE DEALERs (client.h) in one ZeroMQ
 * context shared by all clients: the operator op-ly-wang and the unit
 * terminal unit-unicom.  One round of --workload mixed (the default):
 *
 *   ticket.create   operator: manhole.unicom in luolong, urgency 3,
 *                   Chinese place and description; the node routes it and
 *                   dispatches a work order to unicom (3 events)
 *   wo.sign         unit (1 event)
 *   wo.complete     unit (1 event)
 *   ticket.show     operator: the ticket and its history
 *   and every 4th round ticket.list (operator: the 20 newest tickets, or
 *   with --list open the 20 newest dispatched ones) or wo.queue (unit:
 *   its 20 most urgent open work orders), in turn
 *
 * One round of --workload lifecycle: a new ticket's whole life, six
 * changes (8 events) in this order, each of which must be answered ok;
 * the workload bench-pg runs as one transaction per step:
 *
 *   ticket.create   operator: as above (3 events)
 *   wo.sign         unit (1 event)
 *   wo.complete     unit (1 event)
 *   ticket.report   operator: note, method phone (1 event)
 *   ticket.callback operator: method phone, satisfaction satisfied, note
 *                   (1 event)
 *   ticket.close    operator: note (1 event)
 *
 * The texts (places, descriptions, results, callers, notes) are those of
 * bench_work.h, which bench-pg stores too.
 *
 * Closed loop with 1, 8 and 64 clients (each sends its next request when
 * the reply to the previous one came), then, in the mixed workload only
 * (lifecycle: with --paced), 1000 requests/s paced from 8 clients (125/s
 * each on a fixed schedule; a late send goes at once).  Every change is
 * durable before its reply (group commit, serve.h).
 *
 * The baseline: an in-process ROUTER thread (CURVE server, fresh keys, no
 * ZAP) echoing 300 bytes, driven by the same numbers of client threads in
 * the same client context, right after each measurement of the node.
 *
 * Round trips are timed one by one (CLOCK_MONOTONIC); requests/s = replies
 * / elapsed; lifecycles/s = tickets closed / elapsed.  Any failed call or
 * error reply is counted and makes the exit status 1 (the client starts a
 * new round); nothing is asserted about time.  Results:
 * docs/performance.md.
 */
#include "bench.h"
#include "bench_work.h"
#include "client.h"
#include "err.h"
#include "event.h"
#include "keyfile.h"
#include "proto.h"
#include "topo.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BENCH_NODE_ID "LY"
#define BENCH_OPERATOR "op-ly-wang"
#define BENCH_UNIT_CLIENT "unit-unicom"
#define BENCH_CATEGORY "manhole.unicom"
#define BENCH_AREA "luolong"
#define BENCH_URGENCY 3
#define BENCH_LIST_LIMIT 20	/* ticket.list and wo.queue: one screen */
#define BENCH_NLEVELS 3
#define BENCH_MAX_CLIENTS 256
#define BENCH_PACED_CLIENTS 8
#define BENCH_PACED_RATE 1000	/* requests per second, all clients */
#define BENCH_SECONDS_DEFAULT 5
#define BENCH_PORT_DEFAULT 61101
#define BENCH_TIMEOUT_MS 10000	/* per request: never hang */
#define BENCH_ECHO_BYTES 300
#define BENCH_START_WAIT_MS 30000
#define BENCH_STOP_WAIT_MS 10000	/* then SIGKILL */
#define BENCH_LATE_NS 1000000	/* a paced send this late is counted */
#define BENCH_TARGET_RPS 20000.0	/* with 64 clients, on 2 cores */
#define BENCH_TARGET_RPS_CLIENTS 64
#define BENCH_TARGET_P99_MS 5.0	/* at 1000 requests/s */

static const int bench_levels[BENCH_NLEVELS] = { 1, 8, 64 };

/* The requests of a round (of either workload). */
enum bench_op { B_CREATE, B_SIGN, B_COMPLETE, B_SHOW, B_LIST, B_QUEUE,
		B_REPORT, B_CALLBACK, B_CLOSE, B_NOPS, B_ECHO = B_NOPS };

static const char *const bench_op_names[B_NOPS + 1] = { "ticket.create",
	"wo.sign", "wo.complete", "ticket.show", "ticket.list", "wo.queue",
	"ticket.report", "ticket.callback", "ticket.close", "echo" };

/* What a round is (--workload). */
enum bench_workload { BENCH_MIXED, BENCH_LIFECYCLE };

static const char *const bench_workload_names[] = { "mixed", "lifecycle" };

/* --workload lifecycle: one round, in order. */
static const enum bench_op bench_lifecycle[] = { B_CREATE, B_SIGN,
	B_COMPLETE, B_REPORT, B_CALLBACK, B_CLOSE };
#define BENCH_LIFECYCLE_STEPS \
	((int)(sizeof(bench_lifecycle) / sizeof(bench_lifecycle[0])))


/* ---- configuration and results ------------------------------------------ */

struct bench_opts {
	bool json, keep;
	int seconds;
	int port;
	int only;		/* measure only this many clients (0: all) */
	bool list_open;		/* ticket.list state=dispatched, not the day's */
	bool only_paced;	/* measure only the paced run */
	enum bench_workload workload;
	const char *topology;	/* the file to rekey */
};

/* Everything the client threads need, set up once. */
struct bench_cfg {
	struct bench_opts o;
	char dir[PATH_MAX];	/* the work dir */
	char bindir[PATH_MAX];	/* city-node and topology live here */
	char topo[PATH_MAX];	/* the rekeyed topology on our ports */
	char endpoint[LD_TOPO_EP_MAX + 1];	/* LY's client endpoint */
	uint8_t server_key[LD_KEY_BYTES];
	struct ld_keypair op_keys, unit_keys;
	void *zctx;		/* every client's context */
	/* the echo baseline */
	char echo_ep[128];
	char echo_server_pub[LD_KEY_Z85 + 1];
	char echo_client_pub[LD_KEY_Z85 + 1], echo_client_sec[LD_KEY_Z85 + 1];
	uint8_t echo_payload[BENCH_ECHO_BYTES];
};

/* One round trip. */
struct bench_sample {
	uint32_t us10;		/* tenths of a microsecond (up to 429 s) */
	uint8_t op;
};

/* One measurement: the node's or the echo's, at one level. */
struct bench_result {
	bool done;
	int clients;
	bool paced;
	uint64_t replies, errors;
	double seconds;		/* from the start to the last reply */
	double rps;
	double p50, p99, max;	/* ms */
	double op_p50[B_NOPS], op_p99[B_NOPS];
	uint64_t op_n[B_NOPS], op_reply_bytes[B_NOPS];
	uint64_t changes;	/* changes answered ok (mixed: create, sign,
				 * complete; lifecycle: all six) */
	uint64_t creates;	/* tickets made (the node's data dir starts
				 * empty: all of them today) */
	uint64_t closes;	/* lifecycle: tickets closed, whole rounds */
	uint64_t late;		/* paced: sends more than 1 ms late */
	double bench_cpu;	/* CPU seconds of this process meanwhile */
	/* the node's run (ours only) */
	double node_cpu;	/* CPU seconds of the node process meanwhile */
	double node_cpu_all;	/* ... and over its whole run (rusage) */
	long long served, commits;	/* from its log; -1: not found */
	int node_exit;		/* 0: exit status 0 after SIGTERM */
	bool node_killed;
	char first_err[LD_ERR_MSG_MAX + 64];
};

struct bench_report {
	struct bench_machine m;
	struct bench_result ours[BENCH_NLEVELS], echo[BENCH_NLEVELS];
	struct bench_result ours_paced, echo_paced;
	size_t req_bytes[B_NOPS];	/* encoded request frames */
	bool list_open;		/* --list open */
	enum bench_workload workload;
};

/* ---- small helpers ------------------------------------------------------- */

static pid_t bench_node_pid;	/* the node running now, for bench_die */
static char bench_dir_shown[PATH_MAX];

/* Print a message and exit with status 1 (setup failures only); a node
 * still running is killed, and the work dir is kept for its logs. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-node: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (bench_node_pid > 0) {
		kill(bench_node_pid, SIGKILL);
		waitpid(bench_node_pid, NULL, 0);
	}
	if (bench_dir_shown[0] != '\0')
		fprintf(stderr, "bench-node: work dir kept: %s\n",
		    bench_dir_shown);
	exit(1);
}


/* ---- the node as a child process ---------------------------------------- */

struct bench_node {
	pid_t pid;
	char log[PATH_MAX];
};

/*
 * Start city-node for LY on cfg's topology with a fresh data dir
 * DIR/LY-<tag>, its stderr (and stdout) in DIR/LY-<tag>.log, and wait
 * until it logs "ready;".  The child gets
 * SIGKILL if this process dies first (PR_SET_PDEATHSIG).
 */
static void
bench_node_start(const struct bench_cfg *cfg, const char *tag,
    struct bench_node *nd)
{
	char bin[PATH_MAX], key[PATH_MAX], data[PATH_MAX];
	char log_name[64], data_name[64];
	char *const argv[] = { bin, "--topology", (char *)cfg->topo, "--id",
		BENCH_NODE_ID, "--key", key, "--data", data, NULL };
	struct ld_err err;
	int st;

	snprintf(log_name, sizeof(log_name), "%s-%s.log", BENCH_NODE_ID, tag);
	snprintf(data_name, sizeof(data_name), "%s-%s", BENCH_NODE_ID, tag);
	if (bench_path(nd->log, sizeof(nd->log), cfg->dir, log_name, &err) ||
	    bench_path(data, sizeof(data), cfg->dir, data_name, &err) ||
	    bench_path(bin, sizeof(bin), cfg->bindir, "city-node", &err) ||
	    bench_path(key, sizeof(key), cfg->dir, "keys/" BENCH_NODE_ID ".key",
	    &err))
		bench_die("%s", err.msg);
	nd->pid = bench_spawn(argv, nd->log, true, &err);
	if (nd->pid < 0)
		bench_die("%s", err.msg);
	bench_node_pid = nd->pid;
	switch (bench_wait_log(nd->pid, nd->log, "ready;", BENCH_START_WAIT_MS,
	    10, &st)) {
	case BENCH_READY:
		return;
	case BENCH_EXITED:
		bench_node_pid = 0;
		bench_show_log(nd->log);
		bench_die("%s did not start (exit status %d)%s", bin,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFEXITED(st) &&
		    WEXITSTATUS(st) == 1 ? "; if the client port is in use, "
		    "give another with --port" : "");
	case BENCH_LATE:
		break;
	}
	bench_show_log(nd->log);
	bench_die("%s: not ready after %d s", bin, BENCH_START_WAIT_MS / 1000);
}

/*
 * Stop the node with SIGTERM (SIGKILL after BENCH_STOP_WAIT_MS) and put
 * into r its exit status, its CPU time and, from its log, how many
 * requests it served in how many group commits.
 */
static void
bench_node_stop(struct bench_node *nd, struct bench_result *r)
{
	struct rusage ru;
	int st;
	char *log, *p, *last = NULL;

	r->node_killed = bench_stop(nd->pid, BENCH_STOP_WAIT_MS, &st, &ru);
	bench_node_pid = 0;
	r->node_exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->node_cpu_all = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r->served = r->commits = -1;
	log = bench_slurp(nd->log);
	for (p = log; p != NULL && (p = strstr(p, "served ")) != NULL; p++)
		last = p;
	if (last != NULL) {
		unsigned long long n, e, f, c;

		if (sscanf(last, "served %llu requests (%llu errors, %llu "
		    "refused) in %llu group commits", &n, &e, &f, &c) == 4) {
			r->served = (long long)n;
			r->commits = (long long)c;
		}
	}
	if (r->node_exit != 0 || r->node_killed)
		bench_show_log(nd->log);
	free(log);
}

/* ---- the echo server ----------------------------------------------------- */

struct bench_echo {
	void *zctx, *sock;
	pthread_t th;
	atomic_int stop;
};

/* Echo every message back to its sender until stop. */
static void *
bench_echo_main(void *arg)
{
	struct bench_echo *e = arg;

	while (!atomic_load(&e->stop)) {
		zmq_pollitem_t it = { e->sock, 0, ZMQ_POLLIN, 0 };

		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		for (;;) {	/* every message waiting */
			zmq_msg_t part[4];
			int n = 0, more = 1;

			while (more) {
				zmq_msg_t *m = &part[n < 3 ? n : 3];

				zmq_msg_init(m);
				if (zmq_msg_recv(m, e->sock, n == 0 ?
				    ZMQ_DONTWAIT : 0) < 0) {
					zmq_msg_close(m);
					break;
				}
				more = zmq_msg_more(m);
				if (n < 3)
					n++;
				else
					zmq_msg_close(m);	/* too many */
			}
			if (n == 0)
				break;
			for (int i = 0; i < n; i++)
				if (zmq_msg_send(&part[i], e->sock, (i + 1 < n ?
				    ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
					zmq_msg_close(&part[i]);
		}
	}
	return NULL;
}

/* A ROUTER with a fresh CURVE server key on a free loopback port, and
 * its thread; the endpoint and keys go into cfg. */
static void
bench_echo_start(struct bench_cfg *cfg, struct bench_echo *e)
{
	char sec[LD_KEY_Z85 + 1];
	int one = 1, zero = 0;
	size_t len = sizeof(cfg->echo_ep);

	memset(e, 0, sizeof(*e));
	if (zmq_curve_keypair(cfg->echo_server_pub, sec) != 0 ||
	    zmq_curve_keypair(cfg->echo_client_pub, cfg->echo_client_sec) != 0)
		bench_die("zmq_curve_keypair: %s", zmq_strerror(errno));
	e->zctx = zmq_ctx_new();
	if (e->zctx == NULL || (e->sock = zmq_socket(e->zctx, ZMQ_ROUTER)) ==
	    NULL)
		bench_die("echo server: %s", zmq_strerror(errno));
	if (zmq_setsockopt(e->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(e->sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(e->sock, ZMQ_CURVE_SECRETKEY, sec, LD_KEY_Z85) != 0 ||
	    zmq_bind(e->sock, "tcp://127.0.0.1:*") != 0 ||
	    zmq_getsockopt(e->sock, ZMQ_LAST_ENDPOINT, cfg->echo_ep, &len) != 0)
		bench_die("echo server: %s", zmq_strerror(errno));
	sodium_memzero(sec, sizeof(sec));
	for (size_t i = 0; i < sizeof(cfg->echo_payload); i++)
		cfg->echo_payload[i] = (uint8_t)(i * 131 + 7);
	if (pthread_create(&e->th, NULL, bench_echo_main, e) != 0)
		bench_die("echo server: pthread_create failed");
}

static void
bench_echo_stop(struct bench_echo *e)
{
	atomic_store(&e->stop, 1);
	pthread_join(e->th, NULL);
	zmq_close(e->sock);
	zmq_ctx_term(e->zctx);
}

/* ---- the client threads -------------------------------------------------- */

struct bench_phase {
	const struct bench_cfg *cfg;
	bool echo;		/* the echo baseline, else the node */
	int clients;
	int64_t period_ns;	/* paced: each client's interval; 0: closed */
	atomic_int stop;
	pthread_barrier_t go;
};

struct bench_worker {
	pthread_t th;
	struct bench_phase *ph;
	int idx;
	struct ld_client *op, *unit;
	void *echo;
	uint64_t rng;
	/* where the client is in its round */
	int step;
	unsigned round;
	char ticket[LD_TICKET_MAX + 1];
	struct ld_request req;
	struct ld_reply rep;
	struct ld_err err;
	uint8_t ebuf[BENCH_ECHO_BYTES + 64];
	/* what it measured */
	struct bench_sample *s;
	size_t n, cap;
	uint64_t errors, changes, creates, closes, late;
	uint64_t replies[B_NOPS], reply_bytes[B_NOPS];
	char first_err[LD_ERR_MSG_MAX + 64];
	int64_t end_ns;
};

/* Remember an error (the first one's text is shown). */
static void __attribute__((format(printf, 2, 3)))
bench_fail(struct bench_worker *w, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->first_err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->first_err, sizeof(w->first_err), fmt, ap);
	va_end(ap);
}

/* Keep one round trip of dt ns. */
static void
bench_keep(struct bench_worker *w, int64_t dt, int op)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		struct bench_sample *s = realloc(w->s, cap * sizeof(*s));

		if (s == NULL) {
			bench_fail(w, "out of memory for samples");
			return;
		}
		w->s = s;
		w->cap = cap;
	}
	dt /= 100;
	w->s[w->n].us10 = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	w->s[w->n].op = (uint8_t)op;
	w->n++;
}

/* ---- the node's requests ---- */

/* A fresh request of op. */
static void
bench_rq(struct ld_request *r, enum ld_op op)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
}

static void
bench_rq_ticket(struct ld_request *r, const char *id)
{
	snprintf(r->ticket, sizeof(r->ticket), "%s", id);
	r->q_present |= 1u << LD_Q_TICKET;
}

/* Build the request for step op of a round into r. */
static void
bench_build(struct ld_request *r, int op, const char *ticket, bool list_open,
    uint64_t *rng)
{
	char place[LD_PLACE_MAX + 1], phone[24];
	uint64_t x = bench_rand(rng);

	switch (op) {
	case B_CREATE:
		bench_rq(r, LD_OP_TICKET_CREATE);
		/* most callers call once; one in eight is one of 100
		 * callers who call again (their earlier tickets are shown) */
		if (x % 8 == 0)
			snprintf(phone, sizeof(phone), "1380379%04u",
			    (unsigned)(x >> 8) % 100);
		else
			snprintf(phone, sizeof(phone), "139%08u",
			    (unsigned)((x >> 8) % 100000000));
		snprintf(place, sizeof(place),
		    bench_work_places[(x >> 40) % bench_work_n_places],
		    (unsigned)((x >> 20) % 300 + 1));
		event_set_str(&r->args, LD_F_CALLER,
		    bench_work_callers[(x >> 44) % bench_work_n_callers]);
		event_set_str(&r->args, LD_F_PHONE, phone);
		event_set_str(&r->args, LD_F_PLACE, place);
		event_set_str(&r->args, LD_F_AREA, BENCH_AREA);
		event_set_str(&r->args, LD_F_CATEGORY, BENCH_CATEGORY);
		event_set_uint(&r->args, LD_F_URGENCY, BENCH_URGENCY);
		event_set_str(&r->args, LD_F_TEXT,
		    bench_work_texts[(x >> 48) % bench_work_n_texts]);
		break;
	case B_SIGN:
		bench_rq(r, LD_OP_WO_SIGN);
		bench_rq_ticket(r, ticket);
		event_set_uint(&r->args, LD_F_WO, 1);
		event_set_str(&r->args, LD_F_NOTE, BENCH_WORK_SIGN_NOTE);
		break;
	case B_COMPLETE:
		bench_rq(r, LD_OP_WO_COMPLETE);
		bench_rq_ticket(r, ticket);
		event_set_uint(&r->args, LD_F_WO, 1);
		event_set_str(&r->args, LD_F_RESULT,
		    bench_work_results[(x >> 40) % bench_work_n_results]);
		break;
	case B_SHOW:
		bench_rq(r, LD_OP_TICKET_SHOW);
		bench_rq_ticket(r, ticket);
		break;
	case B_LIST:
		bench_rq(r, LD_OP_TICKET_LIST);
		r->limit = BENCH_LIST_LIMIT;
		r->q_present |= 1u << LD_Q_LIMIT;
		if (list_open) {
			snprintf(r->state, sizeof(r->state), "dispatched");
			r->q_present |= 1u << LD_Q_STATE;
		}
		break;
	case B_QUEUE:
		bench_rq(r, LD_OP_WO_QUEUE);
		r->limit = BENCH_LIST_LIMIT;
		r->q_present |= 1u << LD_Q_LIMIT;
		break;
	case B_REPORT:
		bench_rq(r, LD_OP_TICKET_REPORT);
		bench_rq_ticket(r, ticket);
		event_set_str(&r->args, LD_F_NOTE, BENCH_WORK_REPORT_NOTE);
		event_set_uint(&r->args, LD_F_METHOD, LD_METHOD_PHONE);
		break;
	case B_CALLBACK:
		bench_rq(r, LD_OP_TICKET_CALLBACK);
		bench_rq_ticket(r, ticket);
		event_set_uint(&r->args, LD_F_METHOD, LD_METHOD_PHONE);
		event_set_uint(&r->args, LD_F_SATISFACTION, LD_SAT_SATISFIED);
		event_set_str(&r->args, LD_F_NOTE, BENCH_WORK_CALLBACK_NOTE);
		break;
	default:
		bench_rq(r, LD_OP_TICKET_CLOSE);
		bench_rq_ticket(r, ticket);
		event_set_str(&r->args, LD_F_NOTE, BENCH_WORK_CLOSE_NOTE);
		break;
	}
}

/* The new ticket's id from a ticket.create result ({"ticket": VIEW,
 * ...}): true if found. */
static bool
bench_ticket_id(const struct ld_reply *rep, char *id, size_t cap)
{
	msgpack_unpacked u;
	const msgpack_object *v;
	bool found = false;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)rep->result,
	    rep->result_len, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    (v = bench_mp_get(bench_mp_get(&u.data, "ticket"), "id")) != NULL &&
	    v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0 &&
	    v->via.str.size < cap) {
		memcpy(id, v->via.str.ptr, v->via.str.size);
		id[v->via.str.size] = '\0';
		found = true;
	}
	msgpack_unpacked_destroy(&u);
	return found;
}

/* One timed call of op on c (the request is in w->req): true on an ok
 * reply. */
static bool
bench_call(struct bench_worker *w, struct ld_client *c, int op)
{
	int64_t t0 = bench_ns(), dt;
	int rc = client_call(c, &w->req, &w->rep, &w->err);

	dt = bench_ns() - t0;
	if (rc != 0) {
		bench_fail(w, "%s: %s", bench_op_names[op], w->err.msg);
		return false;
	}
	bench_keep(w, dt, op);
	w->replies[op]++;
	w->reply_bytes[op] += w->rep.result_len;
	if (!w->rep.ok) {
		bench_fail(w, "%s: %s %s", bench_op_names[op], w->rep.code,
		    w->rep.message);
		return false;
	}
	return true;
}

/* Does op change the ticket (a commit), or only read? */
static bool
bench_op_changes(int op)
{
	return op != B_SHOW && op != B_LIST && op != B_QUEUE;
}

/* The next request of w's round; a failure starts a new round. */
static void
bench_node_step(struct bench_worker *w)
{
	bool lifecycle = w->ph->cfg->o.workload == BENCH_LIFECYCLE;
	int op, last;
	struct ld_client *c;
	bool ok;

	if (lifecycle) {
		op = bench_lifecycle[w->step];
		last = BENCH_LIFECYCLE_STEPS - 1;
	} else {
		op = w->step == 4 ? ((w->round / 4) % 2 ? B_QUEUE : B_LIST) :
		    w->step;
		last = w->round % 4 == 3 ? 4 : 3;
	}
	c = op == B_SIGN || op == B_COMPLETE || op == B_QUEUE ? w->unit :
	    w->op;
	bench_build(&w->req, op, w->ticket, w->ph->cfg->o.list_open, &w->rng);
	ok = bench_call(w, c, op);
	if (ok && op == B_CREATE && !bench_ticket_id(&w->rep, w->ticket,
	    sizeof(w->ticket))) {
		bench_fail(w, "ticket.create: no ticket.id in the reply");
		ok = false;
	}
	if (ok && bench_op_changes(op))
		w->changes++;
	if (ok && op == B_CREATE)
		w->creates++;
	if (ok && op == B_CLOSE)
		w->closes++;
	if (ok && w->step < last) {
		w->step++;
	} else {
		w->step = 0;
		w->round++;
	}
}

/* One timed echo round trip. */
static void
bench_echo_step(struct bench_worker *w)
{
	const struct bench_cfg *cfg = w->ph->cfg;
	int64_t t0 = bench_ns(), dt;
	int n;

	if (zmq_send(w->echo, cfg->echo_payload, BENCH_ECHO_BYTES, 0) !=
	    BENCH_ECHO_BYTES) {
		bench_fail(w, "echo: send: %s", zmq_strerror(errno));
		return;
	}
	n = zmq_recv(w->echo, w->ebuf, sizeof(w->ebuf), 0);
	dt = bench_ns() - t0;
	if (n < 0) {
		bench_fail(w, "echo: no reply within %d s: %s",
		    BENCH_TIMEOUT_MS / 1000, zmq_strerror(errno));
		return;
	}
	bench_keep(w, dt, B_ECHO);
	if (n != BENCH_ECHO_BYTES || memcmp(w->ebuf, cfg->echo_payload,
	    BENCH_ECHO_BYTES) != 0)
		bench_fail(w, "echo: a reply of %d bytes that is not the "
		    "message", n);
}

/* Open w's connections: the node's two clients, or the echo DEALER. */
static bool
bench_worker_open(struct bench_worker *w)
{
	const struct bench_cfg *cfg = w->ph->cfg;
	struct ld_client_opts o;
	struct ld_err err;
	int zero = 0, tmo = BENCH_TIMEOUT_MS;

	if (w->ph->echo) {
		w->echo = zmq_socket(cfg->zctx, ZMQ_DEALER);
		if (w->echo == NULL ||
		    zmq_setsockopt(w->echo, ZMQ_LINGER, &zero, sizeof(zero)) ||
		    zmq_setsockopt(w->echo, ZMQ_RCVTIMEO, &tmo, sizeof(tmo)) ||
		    zmq_setsockopt(w->echo, ZMQ_SNDTIMEO, &tmo, sizeof(tmo)) ||
		    zmq_setsockopt(w->echo, ZMQ_CURVE_SERVERKEY,
		    cfg->echo_server_pub, LD_KEY_Z85) ||
		    zmq_setsockopt(w->echo, ZMQ_CURVE_PUBLICKEY,
		    cfg->echo_client_pub, LD_KEY_Z85) ||
		    zmq_setsockopt(w->echo, ZMQ_CURVE_SECRETKEY,
		    cfg->echo_client_sec, LD_KEY_Z85) ||
		    zmq_connect(w->echo, cfg->echo_ep)) {
			bench_fail(w, "echo client: %s", zmq_strerror(errno));
			return false;
		}
		return true;
	}
	memset(&o, 0, sizeof(o));
	o.endpoint = cfg->endpoint;
	memcpy(o.server_key, cfg->server_key, sizeof(o.server_key));
	o.timeout_ms = BENCH_TIMEOUT_MS;
	o.zctx = cfg->zctx;
	o.keys = &cfg->op_keys;
	if (client_open(&w->op, &o, &err) != 0) {
		bench_fail(w, "client %s: %s", BENCH_OPERATOR, err.msg);
		return false;
	}
	o.keys = &cfg->unit_keys;
	if (client_open(&w->unit, &o, &err) != 0) {
		bench_fail(w, "client %s: %s", BENCH_UNIT_CLIENT, err.msg);
		return false;
	}
	return true;
}

/* Untimed first round trips: the CURVE handshakes happen here. */
static void
bench_worker_warm(struct bench_worker *w)
{
	if (w->ph->echo) {
		bench_echo_step(w);
	} else {
		bench_build(&w->req, B_LIST, "", w->ph->cfg->o.list_open,
		    &w->rng);
		bench_call(w, w->op, B_LIST);
		bench_build(&w->req, B_QUEUE, "", false, &w->rng);
		bench_call(w, w->unit, B_QUEUE);
	}
	/* forget them: only the timed run counts */
	w->n = 0;
	w->changes = w->creates = w->closes = 0;
	memset(w->replies, 0, sizeof(w->replies));
	memset(w->reply_bytes, 0, sizeof(w->reply_bytes));
}

static void *
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct bench_phase *ph = w->ph;
	bool open = bench_worker_open(w);
	int64_t next = 0;

	if (open)
		bench_worker_warm(w);
	pthread_barrier_wait(&ph->go);
	if (ph->period_ns > 0)	/* the clients' sends spread evenly */
		next = bench_ns() + ph->period_ns * w->idx / ph->clients;
	while (open && !atomic_load_explicit(&ph->stop, memory_order_relaxed)) {
		if (ph->period_ns > 0) {
			int64_t now = bench_ns();

			if (now < next) {
				struct timespec ts = { next / 1000000000,
					next % 1000000000 };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				    &ts, NULL);
			} else if (now - next > BENCH_LATE_NS) {
				w->late++;
			}
			next += ph->period_ns;
			if (atomic_load(&ph->stop))
				break;
		}
		if (ph->echo)
			bench_echo_step(w);
		else
			bench_node_step(w);
	}
	w->end_ns = bench_ns();
	client_close(w->op);
	client_close(w->unit);
	if (w->echo != NULL)
		zmq_close(w->echo);
	return NULL;
}

/* ---- one measurement ----------------------------------------------------- */

static int
bench_cmp_sample(const void *a, const void *b)
{
	uint32_t x = ((const struct bench_sample *)a)->us10;
	uint32_t y = ((const struct bench_sample *)b)->us10;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of sorted samples, in ms. */
static double
bench_quantile(const struct bench_sample *s, size_t n, double q)
{
	return n == 0 ? 0 : s[bench_rank(n, q)].us10 / 1e4;
}

/* Merge the workers' samples into r: rates and quantiles. */
static void
bench_summarise(struct bench_worker *ws, int n, int64_t t0,
    struct bench_result *r)
{
	struct bench_sample *all, *per;
	size_t total = 0, k = 0;
	int64_t end = t0;

	for (int i = 0; i < n; i++) {
		total += ws[i].n;
		r->errors += ws[i].errors;
		r->changes += ws[i].changes;
		r->creates += ws[i].creates;
		r->closes += ws[i].closes;
		r->late += ws[i].late;
		for (int op = 0; op < B_NOPS; op++)
			r->op_reply_bytes[op] += ws[i].reply_bytes[op];
		if (ws[i].end_ns > end)
			end = ws[i].end_ns;
		if (r->first_err[0] == '\0' && ws[i].first_err[0] != '\0')
			snprintf(r->first_err, sizeof(r->first_err), "%s",
			    ws[i].first_err);
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	per = malloc((total ? total : 1) * sizeof(*per));
	if (all == NULL || per == NULL)
		bench_die("out of memory");
	for (int i = 0; i < n; i++) {
		if (ws[i].n > 0)
			memcpy(all + k, ws[i].s, ws[i].n * sizeof(*all));
		k += ws[i].n;
	}
	qsort(all, total, sizeof(*all), bench_cmp_sample);
	r->replies = total;
	r->seconds = (double)(end - t0) / 1e9;
	r->rps = r->seconds > 0 ? (double)total / r->seconds : 0;
	r->p50 = bench_quantile(all, total, 0.50);
	r->p99 = bench_quantile(all, total, 0.99);
	r->max = total ? all[total - 1].us10 / 1e4 : 0;
	for (int op = 0; op < B_NOPS; op++) {	/* sorted stays sorted */
		size_t m = 0;

		for (size_t i = 0; i < total; i++)
			if (all[i].op == op)
				per[m++] = all[i];
		r->op_n[op] = m;
		r->op_p50[op] = bench_quantile(per, m, 0.50);
		r->op_p99[op] = bench_quantile(per, m, 0.99);
	}
	free(all);
	free(per);
}

/*
 * Run clients threads against the node (or the echo) for the configured
 * seconds; closed loop, or paced at rate requests/s in all (rate > 0).
 */
static void
bench_run(const struct bench_cfg *cfg, pid_t node, int clients, int rate,
    struct bench_result *r)
{
	struct bench_phase ph;
	struct bench_worker *ws;
	int64_t t0, until;
	double cpu0, ncpu0 = 0;
	bool echo = node == 0;

	memset(&ph, 0, sizeof(ph));
	ph.cfg = cfg;
	ph.echo = echo;
	ph.clients = clients;
	ph.period_ns = rate > 0 ? (int64_t)1000000000 * clients / rate : 0;
	atomic_init(&ph.stop, 0);
	if (pthread_barrier_init(&ph.go, NULL, (unsigned)clients + 1) != 0)
		bench_die("pthread_barrier_init failed");
	ws = calloc((size_t)clients, sizeof(*ws));
	if (ws == NULL)
		bench_die("out of memory");
	for (int i = 0; i < clients; i++) {
		ws[i].ph = &ph;
		ws[i].idx = i;
		ws[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^
		    (uint64_t)bench_ns();
		if (pthread_create(&ws[i].th, NULL, bench_worker_main,
		    &ws[i]) != 0)
			bench_die("pthread_create failed (%d clients)", clients);
	}
	pthread_barrier_wait(&ph.go);
	t0 = bench_ns();
	cpu0 = bench_self_cpu();
	if (node > 0)
		ncpu0 = bench_proc_cpu(node);
	until = t0 + (int64_t)cfg->o.seconds * 1000000000;
	for (int64_t now = t0; now < until; now = bench_ns()) {
		int64_t left = until - now;
		struct timespec ts = { left / 1000000000, left % 1000000000 };

		nanosleep(&ts, NULL);
	}
	atomic_store(&ph.stop, 1);
	for (int i = 0; i < clients; i++)
		pthread_join(ws[i].th, NULL);
	r->bench_cpu = bench_self_cpu() - cpu0;
	if (node > 0)
		r->node_cpu = ncpu0 < 0 ? -1 : bench_proc_cpu(node) - ncpu0;
	r->done = true;
	r->clients = clients;
	r->paced = rate > 0;
	bench_summarise(ws, clients, t0, r);
	for (int i = 0; i < clients; i++)
		free(ws[i].s);
	free(ws);
	pthread_barrier_destroy(&ph.go);
}

/* The node's measurement: start it, run, stop it. */
static void
bench_run_node(const struct bench_cfg *cfg, int clients, int rate,
    struct bench_result *r)
{
	struct bench_node nd;
	char tag[32];

	if (rate > 0)
		snprintf(tag, sizeof(tag), "paced-%d", rate);
	else
		snprintf(tag, sizeof(tag), "%d-clients", clients);
	if (!cfg->o.json)
		fprintf(stderr, "node, %s ...\n", tag);
	bench_node_start(cfg, tag, &nd);
	bench_run(cfg, nd.pid, clients, rate, r);
	bench_node_stop(&nd, r);
}

static void
bench_run_echo(const struct bench_cfg *cfg, int clients, int rate,
    struct bench_result *r)
{
	if (!cfg->o.json)
		fprintf(stderr, "echo, %d clients%s ...\n", clients,
		    rate > 0 ? ", paced" : "");
	bench_run(cfg, 0, clients, rate, r);
	r->served = r->commits = -1;
}

/* ---- setup --------------------------------------------------------------- */

/* The work dir, the rekeyed topology on our ports, the node's endpoint
 * and public key, the clients' keys. */
static void
bench_setup(struct bench_cfg *cfg)
{
	struct ld_topo *t;
	struct ld_err err;
	int self;

	if (bench_workdir("liandong-bench-node", cfg->dir, sizeof(cfg->dir),
	    &err) != 0)
		bench_die("%s", err.msg);
	snprintf(bench_dir_shown, sizeof(bench_dir_shown), "%s", cfg->dir);
	if (bench_topology(cfg->bindir, cfg->dir, cfg->o.topology, cfg->o.port,
	    cfg->topo, sizeof(cfg->topo), &t, &err) != 0)
		bench_die("%s", err.msg);
	self = topo_node(t, BENCH_NODE_ID);
	if (self < 0)
		bench_die("%s: no node %s", cfg->topo, BENCH_NODE_ID);
	snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s",
	    t->nodes[self].client);
	if (zmq_z85_decode(cfg->server_key, t->nodes[self].public_key) == NULL)
		bench_die("%s: node %s: public key is not Z85", cfg->topo,
		    BENCH_NODE_ID);
	topo_free(t);
	if (bench_read_key(cfg->dir, BENCH_OPERATOR, &cfg->op_keys, &err) ||
	    bench_read_key(cfg->dir, BENCH_UNIT_CLIENT, &cfg->unit_keys, &err))
		bench_die("%s", err.msg);
}

/* Encoded size of each request of a round (with a typical ticket id). */
static void
bench_request_sizes(struct bench_report *rep)
{
	static struct ld_request r;
	static uint8_t buf[LD_PROTO_FRAME_MAX];
	uint64_t rng = 42;
	struct ld_err err;

	for (int op = 0; op < B_NOPS; op++) {
		int n;

		bench_build(&r, op, "LY-2011-000123", rep->list_open, &rng);
		r.id = 1000;
		n = proto_request_encode(&r, buf, sizeof(buf), &err);
		rep->req_bytes[op] = n > 0 ? (size_t)n : 0;
	}
}

/* ---- output -------------------------------------------------------------- */


/* Every measurement of the node, for the totals. */
static int
bench_ours(const struct bench_report *rep, const struct bench_result **out)
{
	int n = 0;

	for (int i = 0; i < BENCH_NLEVELS; i++)
		if (rep->ours[i].done)
			out[n++] = &rep->ours[i];
	if (rep->ours_paced.done)
		out[n++] = &rep->ours_paced;
	return n;
}

/* Totals over the whole run. */
struct bench_totals {
	uint64_t replies, errors;		/* the node's */
	uint64_t echo_replies, echo_errors;
	bool node_ok;		/* exit status 0 after SIGTERM, every run */
	const char *first_err;
};

static void
bench_totals(const struct bench_report *rep, struct bench_totals *t)
{
	const struct bench_result *all[BENCH_NLEVELS + 1];
	int n = bench_ours(rep, all);

	memset(t, 0, sizeof(*t));
	t->node_ok = true;
	for (int i = 0; i < n; i++) {
		t->replies += all[i]->replies;
		t->errors += all[i]->errors;
		t->node_ok = t->node_ok && all[i]->node_exit == 0 &&
		    !all[i]->node_killed;
		if (t->first_err == NULL && all[i]->first_err[0] != '\0')
			t->first_err = all[i]->first_err;
	}
	for (int i = 0; i <= BENCH_NLEVELS; i++) {
		const struct bench_result *e = i < BENCH_NLEVELS ?
		    &rep->echo[i] : &rep->echo_paced;

		t->echo_replies += e->replies;
		t->echo_errors += e->errors;
		if (t->first_err == NULL && e->first_err[0] != '\0')
			t->first_err = e->first_err;
	}
}

/* Changes per group commit, 0 if unknown. */
static double
bench_per_commit(const struct bench_result *r)
{
	return r->commits > 0 ? (double)r->changes / (double)r->commits : 0;
}

/* The 64-client measurement for the target (NULL if not measured). */
static const struct bench_result *
bench_target_level(const struct bench_report *rep)
{
	for (int i = 0; i < BENCH_NLEVELS; i++)
		if (rep->ours[i].done &&
		    rep->ours[i].clients == BENCH_TARGET_RPS_CLIENTS)
			return &rep->ours[i];
	return NULL;
}

/* Average reply result bytes and request bytes over a measurement. */
static void
bench_avg_bytes(const struct bench_report *rep, const struct bench_result *r,
    double *req, double *reply)
{
	double n = 0, rq = 0, rp = 0;

	for (int op = 0; op < B_NOPS; op++) {
		n += (double)r->op_n[op];
		rq += (double)r->op_n[op] * (double)rep->req_bytes[op];
		rp += (double)r->op_reply_bytes[op];
	}
	*req = n > 0 ? rq / n : 0;
	*reply = n > 0 ? rp / n : 0;
}

/* Lifecycles (tickets closed) per second. */
static double
bench_lc_per_s(const struct bench_result *r)
{
	return r->seconds > 0 ? (double)r->closes / r->seconds : 0;
}

static void
bench_print_table(const struct bench_report *rep, const struct bench_cfg *cfg)
{
	const struct bench_result *t64 = bench_target_level(rep), *last = NULL;
	bool lc = rep->workload == BENCH_LIFECYCLE;
	char mline[1024];
	struct bench_totals tot;
	double rq = 0, rp = 0;

	bench_machine_line(&rep->m, true, mline, sizeof(mline));
	for (int i = 0; i < BENCH_NLEVELS; i++)
		if (rep->ours[i].done)
			last = &rep->ours[i];
	if (last != NULL)
		bench_avg_bytes(rep, last, &rq, &rp);
	printf("liandong node benchmark: city node %s over CURVE on loopback "
	    "(clients and node on this machine);\n          every change is "
	    "durable (LMDB, default sync) before its reply\n", BENCH_NODE_ID);
	printf("machine:  %s\n", mline);
	if (lc)
		printf("workload: lifecycle: each client, one new ticket a "
		    "round: ticket.create (%s,\n          %s, urgency %d: "
		    "routed, dispatched to unicom) -> wo.sign -> wo.complete\n"
		    "          -> ticket.report (phone) -> ticket.callback "
		    "(phone, satisfied) -> ticket.close,\n          six "
		    "changes, every reply ok; ", BENCH_CATEGORY, BENCH_AREA,
		    BENCH_URGENCY);
	else
		printf("workload: mixed: each client: ticket.create (%s, %s, "
		    "urgency %d: routed,\n          dispatched to unicom) -> "
		    "wo.sign -> wo.complete -> ticket.show, and every\n"
		    "          4th round ticket.list (%s, limit %d) or "
		    "wo.queue\n          (limit %d); ", BENCH_CATEGORY,
		    BENCH_AREA, BENCH_URGENCY, cfg->o.list_open ?
		    "state=dispatched, --list open" :
		    "the newest of all tickets", BENCH_LIST_LIMIT,
		    BENCH_LIST_LIMIT);
	printf("request frames avg %.0f bytes, reply results avg %.0f "
	    "bytes\n          (at %d clients); %d s per measurement\n", rq, rp,
	    last ? last->clients : 0, cfg->o.seconds);
	printf("echo:     bare ZeroMQ CURVE, DEALER -> ROUTER thread in this "
	    "process echoing %d bytes\n\n", BENCH_ECHO_BYTES);

	printf("%7s %11s", "clients", "ours req/s");
	if (lc)
		printf(" %13s", "lifecycles/s");
	printf(" %7s %7s %11s %7s %7s %10s\n", "p50 ms", "p99 ms",
	    "echo req/s", "p50 ms", "p99 ms", "ours/echo");
	for (int i = 0; i < BENCH_NLEVELS; i++) {
		const struct bench_result *o = &rep->ours[i], *e = &rep->echo[i];

		if (!o->done)
			continue;
		printf("%7d %11.0f", o->clients, o->rps);
		if (lc)
			printf(" %13.0f", bench_lc_per_s(o));
		printf(" %7.2f %7.2f %11.0f %7.2f %7.2f %10.3f\n", o->p50,
		    o->p99, e->rps, e->p50, e->p99, e->rps > 0 ? o->rps /
		    e->rps : 0);
	}
	if (rep->ours_paced.done) {
		const struct bench_result *o = &rep->ours_paced;
		const struct bench_result *e = &rep->echo_paced;

		printf("%4d/s* %11.0f", BENCH_PACED_RATE, o->rps);
		if (lc)
			printf(" %13.0f", bench_lc_per_s(o));
		printf(" %7.2f %7.2f %11.0f %7.2f %7.2f %10s\n", o->p50, o->p99,
		    e->rps, e->p50, e->p99, "-");
		printf("(* paced: %d requests/s from %d clients, each on a fixed "
		    "schedule; max ours %.2f ms, echo %.2f ms;\n   sends more "
		    "than 1 ms late: ours %llu, echo %llu)\n", BENCH_PACED_RATE,
		    BENCH_PACED_CLIENTS, o->max, e->max,
		    (unsigned long long)o->late, (unsigned long long)e->late);
	}

	printf("\n%7s %8s", "clients", "tickets");
	if (lc)
		printf(" %8s", "closed");
	printf(" %8s %8s %11s %13s %14s %11s\n", "changes", "commits",
	    "req/commit", "node CPU/req", "bench CPU/req", "cores busy");
	for (int i = 0; i <= BENCH_NLEVELS; i++) {
		const struct bench_result *o = i < BENCH_NLEVELS ?
		    &rep->ours[i] : &rep->ours_paced;
		char who[16];
		double busy;

		if (!o->done)
			continue;
		if (o->paced)
			snprintf(who, sizeof(who), "%d/s*", BENCH_PACED_RATE);
		else
			snprintf(who, sizeof(who), "%d", o->clients);
		busy = o->seconds > 0 ? (o->node_cpu + o->bench_cpu) /
		    o->seconds : 0;
		printf("%7s %8llu", who, (unsigned long long)o->creates);
		if (lc)
			printf(" %8llu", (unsigned long long)o->closes);
		printf(" %8llu %8lld %11.1f %10.0f us %11.0f us %6.2f of %ld\n",
		    (unsigned long long)o->changes, o->commits,
		    bench_per_commit(o), o->replies ? o->node_cpu * 1e6 /
		    (double)o->replies : 0, o->replies ? o->bench_cpu * 1e6 /
		    (double)o->replies : 0, busy, rep->m.cores);
	}
	printf("(tickets: made in the measurement, all today, on a node "
	    "started with an empty data dir;\n%s changes: %s answered; "
	    "req/commit: changes per group commit;\n "
	    "CPU per reply, during the ", lc ? " closed: lifecycles done "
	    "(ticket.close answered);\n" : "", lc ? "all six (every request "
	    "is a change)" : "create, sign, complete");
	printf("measurement: the node process, and this one (the clients and "
	    "their\n ZeroMQ I/O thread); cores busy: both together)\n");

	for (int k = 0; k < 2; k++) {
		const struct bench_result *r = k ? &rep->ours_paced : last;

		if (r == NULL || !r->done)
			continue;
		if (r->paced)
			printf("\nper request, paced %d/s (p50 / p99 ms, request "
			    "/ reply bytes, replies):\n", BENCH_PACED_RATE);
		else
			printf("\nper request at %d clients (p50 / p99 ms, "
			    "request / reply bytes, replies):\n", r->clients);
		for (int op = 0; op < B_NOPS; op++) {
			if (r->op_n[op] == 0)
				continue;
			printf("  %-15s %6.2f / %6.2f   %5zu / %6.0f   %llu\n",
			    bench_op_names[op], r->op_p50[op], r->op_p99[op],
			    rep->req_bytes[op], (double)r->op_reply_bytes[op] /
			    (double)r->op_n[op], (unsigned long long)r->op_n[op]);
		}
	}

	printf("\ntargets:%s\n", lc ? " set for the mixed workload; not "
	    "judged on this one" : "");
	if (t64 != NULL && !lc)
		printf("  %d clients: >= %.0f durable req/s on 2 cores%s: %.0f: "
		    "%s\n", BENCH_TARGET_RPS_CLIENTS, BENCH_TARGET_RPS,
		    rep->m.cores == 2 ? "" : " (this machine has another "
		    "number of cores)", t64->rps, t64->rps >= BENCH_TARGET_RPS ?
		    "met" : "NOT met");
	if (rep->ours_paced.done && !lc)
		printf("  p99 < %.0f ms at %d req/s: %.2f ms: %s\n",
		    BENCH_TARGET_P99_MS, BENCH_PACED_RATE, rep->ours_paced.p99,
		    rep->ours_paced.p99 < BENCH_TARGET_P99_MS ? "met" :
		    "NOT met");
	bench_totals(rep, &tot);
	printf("\nerrors: node %llu in %llu replies, echo %llu in %llu%s%s\n",
	    (unsigned long long)tot.errors, (unsigned long long)tot.replies,
	    (unsigned long long)tot.echo_errors,
	    (unsigned long long)tot.echo_replies,
	    tot.first_err ? "; first: " : "", tot.first_err ? tot.first_err :
	    "");
	printf("node: %s\n", tot.node_ok ? "exit status 0 after SIGTERM, "
	    "every run" : "did NOT stop cleanly (see its log above)");
	if (tot.errors + tot.echo_errors > 0 || !tot.node_ok)
		printf("THIS RUN IS FLAGGED: its figures include failures\n");
}

static void
bench_print_json(const struct bench_report *rep)
{
	const struct bench_result *t64 = bench_target_level(rep);
	bool lc = rep->workload == BENCH_LIFECYCLE;
	/* the mixed workload's figures keep their names; the lifecycle's
	 * all begin with "lifecycle_" */
	const char *pre = lc ? "lifecycle_" : "";
	char mline[1024], fig[96];
	struct bench_totals tot;

	bench_machine_line(&rep->m, true, mline, sizeof(mline));
	bench_json_text("node", "machine", mline);
	bench_json_text("node", "workload",
	    bench_workload_names[rep->workload]);
	if (!lc)
		bench_json_text("node", "ticket_list", rep->list_open ?
		    "state=dispatched" : "newest of all");
	for (int i = 0; i <= BENCH_NLEVELS; i++) {
		const struct bench_result *o = i < BENCH_NLEVELS ?
		    &rep->ours[i] : &rep->ours_paced;
		const struct bench_result *e = i < BENCH_NLEVELS ?
		    &rep->echo[i] : &rep->echo_paced;
		char lv[32];

		if (!o->done)
			continue;
		if (o->paced)
			snprintf(lv, sizeof(lv), "paced_%d", BENCH_PACED_RATE);
		else
			snprintf(lv, sizeof(lv), "clients_%d", o->clients);
		snprintf(fig, sizeof(fig), "%sreq_per_s_%s", pre, lv);
		bench_json_num("node", fig, o->rps, "req/s", e->rps);
		if (lc) {
			snprintf(fig, sizeof(fig), "%slifecycles_per_s_%s", pre,
			    lv);
			bench_json_num("node", fig, bench_lc_per_s(o),
			    "lifecycles/s", 0);
		}
		snprintf(fig, sizeof(fig), "%sp50_ms_%s", pre, lv);
		bench_json_num("node", fig, o->p50, "ms", e->p50);
		snprintf(fig, sizeof(fig), "%sp99_ms_%s", pre, lv);
		bench_json_num("node", fig, o->p99, "ms", e->p99);
		snprintf(fig, sizeof(fig), "%smax_ms_%s", pre, lv);
		bench_json_num("node", fig, o->max, "ms", e->max);
		snprintf(fig, sizeof(fig), "%secho_req_per_s_%s", pre, lv);
		bench_json_num("node", fig, e->rps, "req/s", 0);
		snprintf(fig, sizeof(fig), "%secho_p50_ms_%s", pre, lv);
		bench_json_num("node", fig, e->p50, "ms", 0);
		snprintf(fig, sizeof(fig), "%secho_p99_ms_%s", pre, lv);
		bench_json_num("node", fig, e->p99, "ms", 0);
		snprintf(fig, sizeof(fig), "%stickets_made_%s", pre, lv);
		bench_json_num("node", fig, (double)o->creates, "tickets", 0);
		if (lc) {
			snprintf(fig, sizeof(fig), "%stickets_closed_%s", pre,
			    lv);
			bench_json_num("node", fig, (double)o->closes,
			    "tickets", 0);
		}
		snprintf(fig, sizeof(fig), "%sgroup_commits_%s", pre, lv);
		bench_json_num("node", fig, (double)o->commits, "commits", 0);
		snprintf(fig, sizeof(fig), "%schanges_per_commit_%s", pre, lv);
		bench_json_num("node", fig, bench_per_commit(o), "requests", 0);
		snprintf(fig, sizeof(fig), "%snode_cpu_us_per_req_%s", pre, lv);
		bench_json_num("node", fig, o->replies ? o->node_cpu * 1e6 /
		    (double)o->replies : 0, "us", 0);
		snprintf(fig, sizeof(fig), "%sbench_cpu_us_per_req_%s", pre,
		    lv);
		bench_json_num("node", fig, o->replies ? o->bench_cpu * 1e6 /
		    (double)o->replies : 0, "us", 0);
		if (o->paced) {
			snprintf(fig, sizeof(fig), "%slate_sends_%s", pre, lv);
			bench_json_num("node", fig, (double)o->late, "sends",
			    0);
		}
	}
	for (int k = 0; k < 2; k++) {	/* the largest level, paced */
		const struct bench_result *o = NULL;
		char lv[32];

		for (int i = 0; i < BENCH_NLEVELS && k == 0; i++)
			if (rep->ours[i].done)
				o = &rep->ours[i];
		if (k == 1)
			o = &rep->ours_paced;
		if (o == NULL || !o->done)
			continue;
		if (o->paced)
			snprintf(lv, sizeof(lv), "paced_%d", BENCH_PACED_RATE);
		else
			snprintf(lv, sizeof(lv), "clients_%d", o->clients);
		for (int op = 0; op < B_NOPS; op++) {
			char name[32];

			if (o->op_n[op] == 0)
				continue;
			snprintf(name, sizeof(name), "%s", bench_op_names[op]);
			for (char *p = name; *p; p++)
				if (*p == '.')
					*p = '_';
			snprintf(fig, sizeof(fig), "%sp50_ms_%s_%s", pre, name,
			    lv);
			bench_json_num("node", fig, o->op_p50[op], "ms", 0);
			snprintf(fig, sizeof(fig), "%sp99_ms_%s_%s", pre, name,
			    lv);
			bench_json_num("node", fig, o->op_p99[op], "ms", 0);
		}
	}
	if (t64 != NULL && !lc)
		bench_json_text("node", "target_req_per_s_clients_64",
		    t64->rps >= BENCH_TARGET_RPS ? "met" : "NOT met");
	if (rep->ours_paced.done && !lc)
		bench_json_text("node", "target_p99_ms_paced_1000",
		    rep->ours_paced.p99 < BENCH_TARGET_P99_MS ? "met" :
		    "NOT met");
	bench_totals(rep, &tot);
	snprintf(fig, sizeof(fig), "%serrors", pre);
	bench_json_num("node", fig, (double)tot.errors, "replies",
	    (double)tot.replies);
	snprintf(fig, sizeof(fig), "%secho_errors", pre);
	bench_json_num("node", fig, (double)tot.echo_errors, "replies",
	    (double)tot.echo_replies);
	snprintf(fig, sizeof(fig), "%snode_stop", pre);
	bench_json_text("node", fig, tot.node_ok ? "ok" : "NOT clean");
	snprintf(fig, sizeof(fig), "%sfirst_error", pre);
	if (tot.first_err != NULL)
		bench_json_text("node", fig, tot.first_err);
}

/* ---- arguments and main -------------------------------------------------- */

static void
bench_usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-node [--json] [--workload mixed|lifecycle] "
	    "[--seconds N] [--port P]\n"
	    "                  [--clients N] [--paced] [--list day|open] "
	    "[--topology FILE] [--keep]\n"
	    "  Requests/s and round trips of the city node over CURVE with 1, "
	    "8 and 64 clients\n"
	    "  (and, mixed workload, paced at %d/s), beside a bare ZeroMQ "
	    "CURVE echo.\n"
	    "  --json           one JSON object per line instead of the table\n"
	    "  --workload W     what each client repeats:\n"
	    "                   mixed (default): ticket.create, wo.sign, "
	    "wo.complete,\n"
	    "                     ticket.show, and every 4th round ticket.list "
	    "or wo.queue\n"
	    "                   lifecycle: a ticket's whole life, six changes: "
	    "ticket.create,\n"
	    "                     wo.sign, wo.complete, ticket.report, "
	    "ticket.callback,\n"
	    "                     ticket.close (bench-pg's workload); paced only "
	    "with --paced\n"
	    "  --seconds N      per measurement (default %d)\n"
	    "  --port P         the node's client port (default %d; the other "
	    "ports of the\n"
	    "                   topology move along, P-101 .. P+898)\n"
	    "  --clients N      measure only N closed-loop clients (1..%d), "
	    "e.g. to profile\n"
	    "  --paced          measure only the paced run (with --clients N: "
	    "both)\n"
	    "  --list day|open  ticket.list of the mixed workload: the newest "
	    "of all (day,\n"
	    "                   default) or of the dispatched tickets (open: "
	    "state=dispatched)\n"
	    "  --topology FILE  the topology to rekey (default "
	    "topology.example)\n"
	    "  --keep           keep the work dir (keys, topology, the node's "
	    "data and logs)\n",
	    BENCH_PACED_RATE, BENCH_SECONDS_DEFAULT, BENCH_PORT_DEFAULT,
	    BENCH_MAX_CLIENTS);
}

static void
bench_parse_args(int argc, char **argv, struct bench_opts *o)
{
	bool list_given = false;

	memset(o, 0, sizeof(*o));
	o->seconds = BENCH_SECONDS_DEFAULT;
	o->port = BENCH_PORT_DEFAULT;
	o->topology = "topology.example";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
		} else if (strcmp(a, "--paced") == 0) {
			o->only_paced = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			bench_usage(stdout);
			exit(0);
		} else if (strcmp(a, "--seconds") == 0 ||
		    strcmp(a, "--port") == 0 || strcmp(a, "--clients") == 0 ||
		    strcmp(a, "--topology") == 0 || strcmp(a, "--list") == 0 ||
		    strcmp(a, "--workload") == 0) {
			const char *v;
			struct ld_err err;
			long n = 0;
			int rc = 0;

			if (i + 1 >= argc) {
				fprintf(stderr, "bench-node: %s needs a value\n",
				    a);
				exit(2);
			}
			v = argv[++i];
			if (strcmp(a, "--seconds") == 0) {
				rc = bench_parse_long(a, v, 1, 3600, &n, &err);
				o->seconds = (int)n;
			} else if (strcmp(a, "--port") == 0) {
				rc = bench_parse_long(a, v, 1125, 65535 - 898,
				    &n, &err);
				o->port = (int)n;
			} else if (strcmp(a, "--clients") == 0) {
				rc = bench_parse_long(a, v, 1,
				    BENCH_MAX_CLIENTS, &n, &err);
				o->only = (int)n;
			} else if (strcmp(a, "--list") == 0) {
				if (strcmp(v, "day") != 0 &&
				    strcmp(v, "open") != 0) {
					fprintf(stderr, "bench-node: --list: "
					    "'%s' is not day or open\n", v);
					exit(2);
				}
				o->list_open = strcmp(v, "open") == 0;
				list_given = true;
			} else if (strcmp(a, "--workload") == 0) {
				if (strcmp(v, "mixed") == 0) {
					o->workload = BENCH_MIXED;
				} else if (strcmp(v, "lifecycle") == 0) {
					o->workload = BENCH_LIFECYCLE;
				} else {
					fprintf(stderr, "bench-node: "
					    "--workload: '%s' is not mixed or "
					    "lifecycle\n", v);
					exit(2);
				}
			} else if (v[0] == '\0') {
				fprintf(stderr, "bench-node: --topology: empty "
				    "path\n");
				exit(2);
			} else {
				o->topology = v;
			}
			if (rc != 0) {
				fprintf(stderr, "bench-node: %s\n", err.msg);
				exit(2);
			}
		} else {
			fprintf(stderr, "bench-node: unknown argument '%s'\n", a);
			bench_usage(stderr);
			exit(2);
		}
	}
	if (list_given && o->workload != BENCH_MIXED) {
		fprintf(stderr, "bench-node: --list: the %s workload has no "
		    "ticket.list\n", bench_workload_names[o->workload]);
		exit(2);
	}
}

/* Set up, measure, print; exit 1 if any request failed or the node did
 * not stop cleanly (never because of a speed). */
int
main(int argc, char **argv)
{
	static const char *const need[] = { "city-node", "topology", NULL };
	static struct bench_cfg cfg;
	static struct bench_report rep;
	struct bench_echo echo;
	struct bench_totals tot;
	struct ld_err err;

	bench_parse_args(argc, argv, &cfg.o);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		bench_die("sodium_init failed");
	if (bench_find_bindir(argv[0], need, cfg.bindir, sizeof(cfg.bindir),
	    &err) != 0)
		bench_die("%s", err.msg);
	bench_setup(&cfg);
	bench_machine_get(cfg.dir, &rep.m);
	rep.list_open = cfg.o.list_open;
	rep.workload = cfg.o.workload;
	bench_request_sizes(&rep);
	if (!cfg.o.json)
		fprintf(stderr, "work dir %s, node %s\n", cfg.dir, cfg.endpoint);
	cfg.zctx = zmq_ctx_new();
	if (cfg.zctx == NULL)
		bench_die("zmq_ctx_new: %s", zmq_strerror(errno));
	zmq_ctx_set(cfg.zctx, ZMQ_MAX_SOCKETS, 4 * BENCH_MAX_CLIENTS + 64);
	bench_echo_start(&cfg, &echo);

	if (cfg.o.only > 0 || cfg.o.only_paced) {
		if (cfg.o.only > 0) {
			bench_run_node(&cfg, cfg.o.only, 0, &rep.ours[0]);
			bench_run_echo(&cfg, cfg.o.only, 0, &rep.echo[0]);
		}
		if (cfg.o.only_paced) {
			bench_run_node(&cfg, BENCH_PACED_CLIENTS,
			    BENCH_PACED_RATE, &rep.ours_paced);
			bench_run_echo(&cfg, BENCH_PACED_CLIENTS,
			    BENCH_PACED_RATE, &rep.echo_paced);
		}
	} else {
		for (int i = 0; i < BENCH_NLEVELS; i++) {
			bench_run_node(&cfg, bench_levels[i], 0, &rep.ours[i]);
			bench_run_echo(&cfg, bench_levels[i], 0, &rep.echo[i]);
		}
		if (cfg.o.workload == BENCH_MIXED) {	/* lifecycle: --paced */
			bench_run_node(&cfg, BENCH_PACED_CLIENTS,
			    BENCH_PACED_RATE, &rep.ours_paced);
			bench_run_echo(&cfg, BENCH_PACED_CLIENTS,
			    BENCH_PACED_RATE, &rep.echo_paced);
		}
	}

	bench_echo_stop(&echo);
	zmq_ctx_term(cfg.zctx);
	keyfile_wipe(&cfg.op_keys);
	keyfile_wipe(&cfg.unit_keys);
	sodium_memzero(cfg.echo_client_sec, sizeof(cfg.echo_client_sec));
	if (cfg.o.json)
		bench_print_json(&rep);
	else
		bench_print_table(&rep, &cfg);
	bench_totals(&rep, &tot);
	if (cfg.o.keep)
		fprintf(stderr, "work dir kept: %s\n", cfg.dir);
	else
		bench_rm_tree("bench-node", cfg.dir);
	return tot.errors + tot.echo_errors == 0 && tot.node_ok ? 0 : 1;
}
