/*
 * bench-pg.c - PostgreSQL on the ticket workload of our node: the same life
 * cycle, each step one durable transaction, so that "ours vs PostgreSQL"
 * can be read side by side with bench-node (docs/performance.md, section
 * bench-pg).  Not a test; needs Debian's postgresql (make bench-pg
 * installs it) and links libpq.
 *
 *   make bench-pg                         a readable table
 *   make bench-pg BENCH_ARGS=--json       one JSON object per line
 *
 * Setup: a temp dir under $TMPDIR or /tmp (removed at the end unless
 * --keep), owned by the `postgres` system user when this runs as root
 * (PostgreSQL refuses to run as root: initdb and pg_ctl run as that user,
 * in a forked child that drops to it).  initdb (UTF8, locale C, trust
 * authentication), the settings below appended to postgresql.conf,
 * `pg_ctl start` on 127.0.0.1:PORT (--port, default 5499, probed: the next
 * free one of 50 unless given) with its unix socket in the temp dir; the
 * server is stopped with `pg_ctl stop -m fast` at the end, also after an
 * error or SIGINT/SIGTERM.
 *
 * Settings: fsync, synchronous_commit and full_page_writes on,
 * wal_sync_method fdatasync (Linux's default), shared_buffers 256MB,
 * max_connections 100, max_wal_size 4GB and checkpoint_timeout 15min (a
 * CHECKPOINT before each measurement: none falls inside one), and group
 * commit by commit_delay: each client count is measured with
 * commit_delay 0 and with commit_delay 100 us (commit_siblings 5),
 * changed by ALTER SYSTEM and a reload; both are reported and the better
 * is the figure.
 *
 * Schema (what an implementation of our node on PostgreSQL would use):
 * tickets, work_orders, events (origin, seq) with a jsonb payload, day
 * counters (day, node, counter) kept by INSERT ... ON CONFLICT DO UPDATE,
 * ticket numbers per node and year (gap-free: a row), and the origins'
 * event sequence: a row per origin, UPDATE origins SET seq = seq + n
 * RETURNING seq in the transaction that inserts the events (gap-free, as
 * our per-origin seq must be for the federation's pull by cursor; it
 * serialises the writers until their COMMIT is durable, as our single
 * writer is serial; --seq sequence numbers events and tickets from
 * PostgreSQL sequences instead, with gaps, to show what that costs;
 * --no-counters leaves the day counters out, likewise).  Indexes:
 * tickets (state), (created_day, created), (phone, created); work_orders
 * (unit, state), due_sign of the unsigned, due_done of the open, (unit,
 * completed) of the completed; events (ticket, time) for a ticket's
 * history.  Foreign keys from work_orders and events to tickets.
 *
 * Workload: each client is a thread with its own connection over TCP,
 * closed loop, repeating our node's life cycle of a ticket, each step ONE
 * transaction (BEGIN .. COMMIT, durable at COMMIT):
 *
 *   create    ticket (its number from ticket_numbers) + work order 1 to
 *             unicom + events ticket.created, routed, dispatched +
 *             counters tickets, wo_dispatched
 *   sign      work order signed + ticket in_progress + event + wo_signed
 *   complete  work order completed + ticket completed (no work order left
 *             open) + event + wo_completed, completed, done
 *   report    ticket reported + event + reported
 *   callback  ticket called_back (satisfied) + event + callbacks, satisfied
 *   close     ticket closed + event + closed
 *
 * with the texts bench-node sends (bench_work.h: Chinese place,
 * description, notes, result).  Each UPDATE checks the state it moves from and must change
 * one row (else the step counts as failed: what our state machine would
 * refuse).  Prepared statements (PQprepare), run with PQexecPrepared one
 * round trip each; --pipeline sends a step's statements in one libpq
 * pipeline instead (create: two, as the new ticket's id comes back
 * first).  Counters, then the event (with its origin's row), come last, so
 * that the hot rows are held as briefly as possible and always in the
 * same order (no deadlock).
 *
 * 1, 8 and 64 clients (--clients N: only N); for each, a 1 s warm-up,
 * then --seconds (default 5) measured: transactions (= our requests)
 * completed in the window per second, life cycles (closes) per second,
 * p50/p99/max of a transaction's time (BEGIN sent to COMMIT answered,
 * CLOCK_MONOTONIC), and the CPU of the server's processes and of this one.
 * Before each measurement the tables are emptied (TRUNCATE), as bench-node
 * starts each node on an empty data dir.  Any failed transaction is
 * counted, and makes the exit status 1; nothing is asserted about time.
 */
#include "bench.h"
#include "bench_work.h"
#include "err.h"
#include "event.h"
#include "store.h"
#include "ticket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG_BIN_GLOB "/usr/lib/postgresql/*/bin"
#define PG_USER "postgres"	/* the system user, and the superuser */
#define PG_DB "liandong"
#define PG_PORT_DEFAULT 5499
#define PG_PORT_TRIES 50	/* the default port and the next 49 */
#define PG_SECONDS_DEFAULT 5
#define PG_WARMUP_MS 1000
#define PG_MAX_CLIENTS 90	/* max_connections 100: the admin's, margin */
#define PG_NLEVELS 3
#define PG_NDELAYS 2
#define PG_SIBLINGS 5
#define PG_STATEMENT_TIMEOUT_MS 10000	/* never hang */
#define PG_RELOAD_WAIT_MS 5000

#define PG_NODE "LY"
#define PG_OPERATOR "op-ly-wang"
#define PG_UNIT_ACTOR "unit-unicom"
#define PG_UNIT "unicom"
#define PG_RULE "manhole-unicom"
#define PG_CATEGORY "manhole.unicom"
#define PG_AREA "luolong"
#define PG_URGENCY "3"
#define PG_SATISFACTION "satisfied"

static const int pg_levels[PG_NLEVELS] = { 1, 8, 64 };
static const int pg_delays[PG_NDELAYS] = { 0, 100 };	/* commit_delay, us */

/* The settings appended to postgresql.conf (port, socket dir after). */
static const char pg_conf[] =
    "\n# bench-pg (tools/bench-pg.c, docs/performance.md)\n"
    "listen_addresses = '127.0.0.1'\n"
    "max_connections = 100\n"
    "shared_buffers = 256MB\n"
    "fsync = on\n"
    "synchronous_commit = on\n"
    "full_page_writes = on\n"
    "wal_sync_method = fdatasync\n"
    "commit_delay = 0\n"
    "commit_siblings = 5\n"
    "max_wal_size = 4GB\n"
    "checkpoint_timeout = 15min\n";

/* The settings shown with the figures, as the server has them. */
static const char pg_shown[] = "{fsync,synchronous_commit,full_page_writes,"
    "wal_sync_method,shared_buffers,max_connections,wal_buffers,wal_level,"
    "max_wal_size,checkpoint_timeout,commit_siblings,autovacuum}";

/* ---- the steps and their statements -------------------------------------- */

enum pg_step { P_CREATE, P_SIGN, P_COMPLETE, P_REPORT, P_CALLBACK, P_CLOSE,
	       P_NSTEPS };

static const char *const pg_step_names[P_NSTEPS] = { "create", "sign",
	"complete", "report", "callback", "close" };

/* The counters each step adds 1 to (the node's names, store.h). */
static const enum ld_counter pg_step_counters[P_NSTEPS][3] = {
	[P_CREATE] = { LD_C_TICKETS, LD_C_WO_DISPATCHED, LD_C__COUNT },
	[P_SIGN] = { LD_C_WO_SIGNED, LD_C__COUNT, LD_C__COUNT },
	[P_COMPLETE] = { LD_C_WO_COMPLETED, LD_C_COMPLETED, LD_C_DONE },
	[P_REPORT] = { LD_C_REPORTED, LD_C__COUNT, LD_C__COUNT },
	[P_CALLBACK] = { LD_C_CALLBACKS, LD_C_SATISFIED, LD_C__COUNT },
	[P_CLOSE] = { LD_C_CLOSED, LD_C__COUNT, LD_C__COUNT },
};

enum pg_st {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_TICKET_NEW, ST_WO_NEW,
	ST_WO_SIGN, ST_TK_SIGN, ST_WO_COMPLETE, ST_TK_COMPLETE,
	ST_TK_REPORT, ST_TK_CALLBACK, ST_TK_CLOSE,
	ST_COUNTERS,
	ST_EV_CREATE, ST_EV_SIGN, ST_EV_COMPLETE, ST_EV_REPORT, ST_EV_CALLBACK,
	ST_EV_CLOSE,
	ST_N
};

struct pg_stmt {
	const char *name;
	int nparams;
	const char *sql;	/* NULL: an event statement, built */
};

/* $1 node, $2 caller, $3 phone, $4 place, $5 area, $6 category, $7 rule,
 * $8 urgency, $9 text */
#define PG_SQL_TICKET_NEW \
	"WITH n AS (INSERT INTO ticket_numbers AS t (node, year, n) " \
	"VALUES ($1, extract(year FROM now())::int, 1) " \
	"ON CONFLICT (node, year) DO UPDATE SET n = t.n + 1 " \
	"RETURNING year, n) " \
	"INSERT INTO tickets (id, owner, state, caller, phone, place, " \
	"area, category, rule, urgency, text, created, created_day, updated, " \
	"events) SELECT format('%s-%s-%s', $1::text, n.year, " \
	"lpad(n.n::text, 6, '0')), $1, 'dispatched', " \
	"$2, $3, $4, $5, $6, $7, $8::smallint, $9, now(), " \
	"to_char(now(), 'YYYYMMDD')::int, now(), 3 FROM n RETURNING id"
/* the same with --seq sequence: the number from a sequence (gaps) */
#define PG_SQL_TICKET_NEW_SEQ \
	"INSERT INTO tickets (id, owner, state, caller, phone, place, " \
	"area, category, rule, urgency, text, created, created_day, updated, " \
	"events) SELECT format('%s-%s-%s', $1::text, " \
	"extract(year FROM now())::int, " \
	"lpad(nextval('ticket_seq')::text, 6, '0')), $1, 'dispatched', " \
	"$2, $3, $4, $5, $6, $7, $8::smallint, $9, now(), " \
	"to_char(now(), 'YYYYMMDD')::int, now(), 3 RETURNING id"

static struct pg_stmt pg_stmts[ST_N] = {
	[ST_BEGIN] = { "begin", 0, "BEGIN" },
	[ST_COMMIT] = { "commit", 0, "COMMIT" },
	[ST_ROLLBACK] = { "rollback", 0, "ROLLBACK" },
	[ST_TICKET_NEW] = { "ticket_new", 9, PG_SQL_TICKET_NEW },
	/* $1 ticket, $2 unit (the deadlines of manhole covers, urgency 3) */
	[ST_WO_NEW] = { "wo_new", 2, "INSERT INTO work_orders (ticket, n, "
	    "unit, state, dispatched, due_sign, due_done) VALUES ($1, 1, $2, "
	    "'dispatched', now(), now() + interval '10 minutes', now() + "
	    "interval '1 hour')" },
	/* $1 ticket, $2 note */
	[ST_WO_SIGN] = { "wo_sign", 2, "UPDATE work_orders SET state = "
	    "'signed', signed = now(), note = $2 WHERE ticket = $1 AND n = 1 "
	    "AND state = 'dispatched'" },
	[ST_TK_SIGN] = { "tk_sign", 1, "UPDATE tickets SET state = "
	    "'in_progress', updated = now(), events = events + 1 WHERE id = $1 "
	    "AND state = 'dispatched'" },
	/* $1 ticket, $2 result */
	[ST_WO_COMPLETE] = { "wo_complete", 2, "UPDATE work_orders SET state = "
	    "'completed', completed = now(), result = $2 WHERE ticket = $1 AND "
	    "n = 1 AND state = 'signed'" },
	[ST_TK_COMPLETE] = { "tk_complete", 1, "UPDATE tickets SET state = "
	    "'completed', completed = now(), updated = now(), events = events "
	    "+ 1 WHERE id = $1 AND state = 'in_progress' AND NOT EXISTS "
	    "(SELECT 1 FROM work_orders w WHERE w.ticket = $1 AND w.state IN "
	    "('dispatched', 'signed'))" },
	[ST_TK_REPORT] = { "tk_report", 1, "UPDATE tickets SET state = "
	    "'reported', reported = true, updated = now(), events = events + 1 "
	    "WHERE id = $1 AND state = 'completed'" },
	/* $1 ticket, $2 satisfaction */
	[ST_TK_CALLBACK] = { "tk_callback", 2, "UPDATE tickets SET state = "
	    "'called_back', called_back = true, satisfaction = $2, callbacks = "
	    "callbacks + 1, updated = now(), events = events + 1 WHERE id = $1 "
	    "AND state = 'reported'" },
	[ST_TK_CLOSE] = { "tk_close", 1, "UPDATE tickets SET state = "
	    "'closed', closed = now(), updated = now(), events = events + 1 "
	    "WHERE id = $1 AND state = 'called_back'" },
	/* $1 node, $2 the counters' names as a text[] literal */
	[ST_COUNTERS] = { "counters", 2, "INSERT INTO counters AS c (day, "
	    "node, counter, value) SELECT to_char(now(), 'YYYYMMDD')::int, "
	    "$1, x, 1 FROM unnest($2::text[]) AS x ON CONFLICT (day, node, "
	    "counter) DO UPDATE SET value = c.value + 1" },
	/* $1 origin, $2 actor, $3 ticket, then the payload's */
	[ST_EV_CREATE] = { "ev_create", 12, NULL },
	[ST_EV_SIGN] = { "ev_sign", 4, NULL },
	[ST_EV_COMPLETE] = { "ev_complete", 4, NULL },
	[ST_EV_REPORT] = { "ev_report", 4, NULL },
	[ST_EV_CALLBACK] = { "ev_callback", 4, NULL },
	[ST_EV_CLOSE] = { "ev_close", 4, NULL },
};

/* The VALUES (k, kind, payload) of each event statement; create's
 * payloads: $4 caller, $5 phone, $6 place, $7 area, $8 category, $9
 * urgency, $10 text, $11 rule, $12 unit; the others': $4 note or result. */
static const char *const pg_ev_values[P_NSTEPS] = {
	[P_CREATE] = "(1, 'ticket.created', jsonb_build_object('caller', "
	    "$4::text, 'phone', $5::text, 'place', $6::text, 'area', $7::text, "
	    "'category', $8::text, 'urgency', $9::int, 'text', $10::text)), "
	    "(2, 'routed', jsonb_build_object('rule', $11::text, 'units', "
	    "jsonb_build_array($12::text), 'category', $8::text, 'area', "
	    "$7::text)), (3, 'dispatched', jsonb_build_object('wo', 1, 'unit', "
	    "$12::text, 'due_sign', now() + interval '10 minutes', 'due_done', "
	    "now() + interval '1 hour'))",
	[P_SIGN] = "(1, 'signed', jsonb_build_object('wo', 1, 'note', "
	    "$4::text))",
	[P_COMPLETE] = "(1, 'completed', jsonb_build_object('wo', 1, "
	    "'result', $4::text))",
	[P_REPORT] = "(1, 'reported', jsonb_build_object('note', $4::text, "
	    "'method', 'phone'))",
	[P_CALLBACK] = "(1, 'callback', jsonb_build_object('method', 'phone', "
	    "'satisfaction', '" PG_SATISFACTION "', 'note', $4::text))",
	[P_CLOSE] = "(1, 'closed', jsonb_build_object('note', $4::text))",
};
static char pg_ev_sql[P_NSTEPS][2048];

static const char pg_schema[] =
    "CREATE TABLE origins (\n"
    "  origin text PRIMARY KEY,\n"
    "  seq bigint NOT NULL\n"
    ");\n"
    "CREATE SEQUENCE event_seq;\n"
    "CREATE SEQUENCE ticket_seq;\n"
    "CREATE TABLE ticket_numbers (\n"
    "  node text NOT NULL,\n"
    "  year int NOT NULL,\n"
    "  n bigint NOT NULL,\n"
    "  PRIMARY KEY (node, year)\n"
    ");\n"
    "CREATE TABLE tickets (\n"
    "  id text PRIMARY KEY,\n"
    "  owner text NOT NULL,\n"
    "  state text NOT NULL,\n"
    "  caller text NOT NULL,\n"
    "  phone text NOT NULL,\n"
    "  place text NOT NULL,\n"
    "  area text NOT NULL,\n"
    "  category text NOT NULL,\n"
    "  rule text NOT NULL,\n"
    "  urgency smallint NOT NULL,\n"
    "  text text NOT NULL,\n"
    "  reported boolean NOT NULL DEFAULT false,\n"
    "  called_back boolean NOT NULL DEFAULT false,\n"
    "  satisfaction text,\n"
    "  callbacks smallint NOT NULL DEFAULT 0,\n"
    "  reopens smallint NOT NULL DEFAULT 0,\n"
    "  created timestamptz NOT NULL,\n"
    "  created_day int NOT NULL,\n"
    "  updated timestamptz NOT NULL,\n"
    "  completed timestamptz,\n"
    "  closed timestamptz,\n"
    "  events int NOT NULL\n"
    ");\n"
    "CREATE INDEX tickets_state ON tickets (state);\n"
    "CREATE INDEX tickets_day ON tickets (created_day, created);\n"
    "CREATE INDEX tickets_phone ON tickets (phone, created);\n"
    "CREATE TABLE work_orders (\n"
    "  ticket text NOT NULL REFERENCES tickets (id),\n"
    "  n smallint NOT NULL,\n"
    "  unit text NOT NULL,\n"
    "  state text NOT NULL,\n"
    "  dispatched timestamptz NOT NULL,\n"
    "  due_sign timestamptz NOT NULL,\n"
    "  due_done timestamptz NOT NULL,\n"
    "  signed timestamptz,\n"
    "  completed timestamptz,\n"
    "  note text,\n"
    "  result text,\n"
    "  urges smallint NOT NULL DEFAULT 0,\n"
    "  supervisions smallint NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (ticket, n)\n"
    ");\n"
    "CREATE INDEX wo_unit_state ON work_orders (unit, state);\n"
    "CREATE INDEX wo_due_sign ON work_orders (due_sign)\n"
    "  WHERE state = 'dispatched';\n"
    "CREATE INDEX wo_due_done ON work_orders (due_done)\n"
    "  WHERE state IN ('dispatched', 'signed');\n"
    "CREATE INDEX wo_done ON work_orders (unit, completed)\n"
    "  WHERE state = 'completed';\n"
    "CREATE TABLE events (\n"
    "  origin text NOT NULL,\n"
    "  seq bigint NOT NULL,\n"
    "  time timestamptz NOT NULL,\n"
    "  actor text NOT NULL,\n"
    "  ticket text REFERENCES tickets (id),\n"
    "  kind text NOT NULL,\n"
    "  payload jsonb NOT NULL,\n"
    "  PRIMARY KEY (origin, seq)\n"
    ");\n"
    "CREATE INDEX events_ticket ON events (ticket, time);\n"
    "CREATE TABLE counters (\n"
    "  day int NOT NULL,\n"
    "  node text NOT NULL,\n"
    "  counter text NOT NULL,\n"
    "  value bigint NOT NULL,\n"
    "  PRIMARY KEY (day, node, counter)\n"
    ");\n";

/* ---- configuration and results ------------------------------------------ */

struct pg_opts {
	bool json, keep, pipeline, seq_sequence, no_counters;
	int seconds;
	int port;
	bool port_given;
	int only;		/* only this many clients (0: 1, 8, 64) */
	int only_delay;		/* only this commit_delay (-1: 0 and 100) */
	const char *bindir;	/* NULL: the newest of PG_BIN_GLOB */
};

struct pg_cfg {
	struct pg_opts o;
	char bindir[PATH_MAX];
	char dir[PATH_MAX];	/* the work dir */
	char data[PATH_MAX];	/* its data dir */
	char log[PATH_MAX];	/* the server's log */
	char conninfo[512];
	bool as_user;		/* root: children drop to PG_USER */
	uid_t uid;
	gid_t gid;
	int port;
	pid_t postmaster;
	char counters[P_NSTEPS][96];	/* text[] literals */
};

/* One transaction's time. */
struct pg_sample {
	int64_t end;		/* CLOCK_MONOTONIC ns when COMMIT answered */
	uint32_t us10;		/* tenths of a microsecond */
	uint8_t step;
};

/* One measurement: one client count, one commit_delay. */
struct pg_result {
	bool done;
	int clients, delay;
	uint64_t tx, closes, errors;
	double seconds, tps, lps;
	double p50, p99, max;	/* ms */
	double step_p50[P_NSTEPS], step_p99[P_NSTEPS];
	uint64_t step_n[P_NSTEPS];
	double pg_cpu, bench_cpu;	/* CPU seconds in the window */
	char first_err[LD_ERR_MSG_MAX + 64];
};

struct pg_report {
	struct bench_machine m;
	char version[160];	/* SHOW server_version */
	char settings[1024];	/* name=value ... */
	struct pg_result r[PG_NLEVELS][PG_NDELAYS];
};

/* ---- cleanup, errors, signals -------------------------------------------- */

static struct pg_cfg *pg_cur;	/* for pg_die and pg_cleanup */
static bool pg_server_up;
static bool pg_logs;		/* the work dir has logs: kept after pg_die */
static volatile sig_atomic_t pg_interrupted;

static void
pg_on_signal(int sig)
{
	(void)sig;
	pg_interrupted = 1;
}

static int pg_child(const struct pg_cfg *cfg, char *const argv[],
    const char *logname);

/* Stop the server if it runs (pg_ctl stop -m fast, then immediate):
 * false when it may still run. */
static bool
pg_stop_server(struct pg_cfg *cfg)
{
	char ctl[PATH_MAX];
	char *argv[] = { ctl, "stop", "-D", cfg->data, "-m", "fast", "-w",
		"-t", "60", NULL };
	struct ld_err err;

	if (!pg_server_up)
		return true;
	pg_server_up = false;
	if (bench_path(ctl, sizeof(ctl), cfg->bindir, "pg_ctl", &err) != 0) {
		fprintf(stderr, "bench-pg: %s\n", err.msg);
		return false;
	}
	if (pg_child(cfg, argv, "pg_ctl-stop.log") == 0)
		return true;
	fprintf(stderr, "bench-pg: pg_ctl stop -m fast failed; trying "
	    "immediate\n");
	argv[5] = "immediate";
	if (pg_child(cfg, argv, "pg_ctl-stop.log") == 0)
		return true;
	fprintf(stderr, "bench-pg: could not stop the server of %s (pid "
	    "%ld): its data is kept\n", cfg->data, (long)cfg->postmaster);
	return false;
}

/* Stop the server; remove the work dir unless kept, or unless the server
 * may still run in it.  False when it may. */
static bool
pg_cleanup(struct pg_cfg *cfg, bool keep)
{
	bool stopped = pg_stop_server(cfg);

	if (cfg->dir[0] == '\0')
		return stopped;
	if (keep || !stopped)
		fprintf(stderr, "bench-pg: work dir kept: %s\n", cfg->dir);
	else
		bench_rm_tree("bench-pg", cfg->dir);
	cfg->dir[0] = '\0';
	return stopped;
}

/* Print a message and exit with status 1 (setup failures, main thread
 * only): the server's log is shown, the server stopped, the work dir kept
 * for the logs once initdb ran. */
static void __attribute__((noreturn, format(printf, 1, 2)))
pg_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-pg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (pg_cur != NULL) {
		if (pg_server_up)
			bench_show_log(pg_cur->log);
		pg_cleanup(pg_cur, pg_logs || pg_cur->o.keep);
	}
	exit(1);
}

/* After SIGINT or SIGTERM: stop, clean up, exit 1. */
static void
pg_check_interrupt(struct pg_cfg *cfg)
{
	if (!pg_interrupted)
		return;
	fprintf(stderr, "bench-pg: interrupted\n");
	pg_cleanup(cfg, cfg->o.keep);
	exit(1);
}

/* PQerrorMessage or a result's, on one line. */
static void
pg_oneline(char *out, size_t cap, const char *msg)
{
	snprintf(out, cap, "%s", msg != NULL ? msg : "?");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\n')
			*p = (p[1] == '\0') ? '\0' : ' ';
}

/* ---- running PostgreSQL's programs --------------------------------------- */

/*
 * Run argv[0] with argv as PG_USER (when this runs as root), in the work
 * dir, in a process group of its own (a Ctrl-C reaches only us; we stop
 * the server), stdout and stderr into DIR/logname; wait for it.  Its exit
 * status (128 + signal if killed), or -1 if it could not be started.
 */
static int
pg_child(const struct pg_cfg *cfg, char *const argv[], const char *logname)
{
	char log[PATH_MAX];
	struct ld_err err;
	pid_t pid;
	int st;

	if (bench_path(log, sizeof(log), cfg->dir, logname, &err) != 0) {
		fprintf(stderr, "bench-pg: %s\n", err.msg);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench-pg: fork for %s: %s\n", argv[0],
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if (cfg->as_user && (setgroups(0, NULL) != 0 ||
		    setgid(cfg->gid) != 0 || setuid(cfg->uid) != 0)) {
			fprintf(stderr, "bench-pg: cannot become %s: %s\n",
			    PG_USER, strerror(errno));
			_exit(126);
		}
		if (chdir(cfg->dir) != 0) {
			fprintf(stderr, "bench-pg: %s cannot enter %s: %s (set "
			    "TMPDIR to a directory it can reach)\n",
			    cfg->as_user ? PG_USER : "this user", cfg->dir,
			    strerror(errno));
			_exit(126);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			fprintf(stderr, "bench-pg: %s: %s\n", log,
			    strerror(errno));
			_exit(126);
		}
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) != 0)
			bench_show_log(log);
		return WEXITSTATUS(st);
	}
	bench_show_log(log);
	return 128 + WTERMSIG(st);
}

/* The directory of initdb, pg_ctl and postgres: --pgbin, else the newest
 * /usr/lib/postgresql/N/bin. */
static void
pg_find_bindir(struct pg_cfg *cfg)
{
	static const char *const progs[] = { "initdb", "pg_ctl", "postgres" };
	glob_t g;
	long best = -1;

	if (cfg->o.bindir != NULL) {
		snprintf(cfg->bindir, sizeof(cfg->bindir), "%s", cfg->o.bindir);
	} else {
		cfg->bindir[0] = '\0';
		if (glob(PG_BIN_GLOB, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				const char *v = g.gl_pathv[i] +
				    strlen("/usr/lib/postgresql/");
				long major = strtol(v, NULL, 10);

				if (major > best) {
					best = major;
					snprintf(cfg->bindir,
					    sizeof(cfg->bindir), "%s",
					    g.gl_pathv[i]);
				}
			}
			globfree(&g);
		}
		if (cfg->bindir[0] == '\0')
			pg_die("no PostgreSQL server in %s (make bench-pg "
			    "installs Debian's postgresql; or give --pgbin "
			    "DIR)", PG_BIN_GLOB);
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char p[PATH_MAX];
		struct ld_err err;

		if (bench_path(p, sizeof(p), cfg->bindir, progs[i], &err) != 0)
			pg_die("%s", err.msg);
		if (access(p, X_OK) != 0)
			pg_die("%s: %s (install Debian's postgresql: make "
			    "bench-pg does)", p, strerror(errno));
	}
}

/* Can the server listen on 127.0.0.1:port? */
static bool
pg_port_free(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	bool ok;

	if (fd < 0)
		return false;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* as the server will */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* The work dir for PG_USER, initdb, the settings, pg_ctl start. */
static void
pg_setup_server(struct pg_cfg *cfg)
{
	char initdb[PATH_MAX], ctl[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char *const init_argv[] = { initdb, "-D", cfg->data, "-U", PG_USER,
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions",
		NULL };
	char *const start_argv[] = { ctl, "start", "-w", "-t", "60", "-D",
		cfg->data, "-l", cfg->log, NULL };
	struct ld_err err;
	FILE *f;
	char *pid;

	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(PG_USER);

		if (pw == NULL)
			pg_die("no system user %s (Debian's postgresql package "
			    "creates it); PostgreSQL does not run as root",
			    PG_USER);
		cfg->as_user = true;
		cfg->uid = pw->pw_uid;
		cfg->gid = pw->pw_gid;
	}
	if (bench_workdir("liandong-bench-pg", cfg->dir, sizeof(cfg->dir),
	    &err) != 0)
		pg_die("%s", err.msg);
	/* the socket's path: DIR/.s.PGSQL.PORT within sun_path */
	if (strlen(cfg->dir) + 20 >=
	    sizeof(((struct sockaddr_un *)0)->sun_path))
		pg_die("%s: too long for a unix socket path (set TMPDIR to a "
		    "shorter one)", cfg->dir);
	if (cfg->as_user && chown(cfg->dir, cfg->uid, cfg->gid) != 0)
		pg_die("chown %s: %s", cfg->dir, strerror(errno));
	if (bench_path(cfg->data, sizeof(cfg->data), cfg->dir, "data", &err) ||
	    bench_path(cfg->log, sizeof(cfg->log), cfg->dir, "server.log", &err)
	    || bench_path(conf, sizeof(conf), cfg->data, "postgresql.conf",
	    &err) || bench_path(pidf, sizeof(pidf), cfg->data,
	    "postmaster.pid", &err))
		pg_die("%s", err.msg);

	cfg->port = cfg->o.port;
	while (!pg_port_free(cfg->port)) {
		if (cfg->o.port_given || cfg->port - cfg->o.port + 1 >=
		    PG_PORT_TRIES || cfg->port >= 65535)
			pg_die("port %d on 127.0.0.1 is in use%s (give another "
			    "with --port)", cfg->port, cfg->o.port_given ? "" :
			    ", and the next ones");
		cfg->port++;
	}

	if (bench_path(initdb, sizeof(initdb), cfg->bindir, "initdb", &err) ||
	    bench_path(ctl, sizeof(ctl), cfg->bindir, "pg_ctl", &err))
		pg_die("%s", err.msg);
	if (!cfg->o.json)
		fprintf(stderr, "initdb %s ...\n", cfg->data);
	pg_logs = true;
	if (pg_child(cfg, init_argv, "initdb.log") != 0)
		pg_die("initdb failed (its log above)");
	pg_check_interrupt(cfg);
	if ((f = fopen(conf, "a")) == NULL)
		pg_die("%s: %s", conf, strerror(errno));
	fputs(pg_conf, f);
	fprintf(f, "port = %d\nunix_socket_directories = '%s'\n", cfg->port,
	    cfg->dir);
	if (fclose(f) != 0)
		pg_die("%s: %s", conf, strerror(errno));

	if (!cfg->o.json)
		fprintf(stderr, "pg_ctl start, 127.0.0.1:%d ...\n", cfg->port);
	pg_server_up = true;	/* from here on, stop it whatever happens */
	if (pg_child(cfg, start_argv, "pg_ctl-start.log") != 0) {
		/* a server that did not start is not stopped (pg_die shows
		 * its log once) */
		pg_server_up = access(pidf, F_OK) == 0;
		if (!pg_server_up)
			bench_show_log(cfg->log);
		pg_die("pg_ctl start failed (if port %d is taken, give another "
		    "with --port)", cfg->port);
	}
	pg_check_interrupt(cfg);
	pid = bench_slurp(pidf);
	cfg->postmaster = pid != NULL ? (pid_t)strtol(pid, NULL, 10) : 0;
	free(pid);
	snprintf(cfg->conninfo, sizeof(cfg->conninfo), "host=127.0.0.1 "
	    "port=%d user=%s dbname=%s connect_timeout=10 "
	    "application_name=bench-pg options='-c statement_timeout=%d'",
	    cfg->port, PG_USER, PG_DB, PG_STATEMENT_TIMEOUT_MS);
}

/* ---- the admin connection ------------------------------------------------ */

static PGconn *
pg_connect_admin(const struct pg_cfg *cfg, const char *db)
{
	char ci[600], msg[LD_ERR_MSG_MAX];
	PGconn *c;

	snprintf(ci, sizeof(ci), "host=127.0.0.1 port=%d user=%s dbname=%s "
	    "connect_timeout=10 application_name=bench-pg-admin", cfg->port,
	    PG_USER, db);
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		pg_oneline(msg, sizeof(msg), PQerrorMessage(c));
		PQfinish(c);
		pg_die("connect to %s: %s", db, msg);
	}
	return c;
}

/* Run sql (one or more statements) on c, or die. */
static void
pg_admin(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(res);
	char msg[LD_ERR_MSG_MAX];

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pg_oneline(msg, sizeof(msg), PQresultErrorMessage(res));
		PQclear(res);
		pg_die("%.60s...: %s", sql, msg);
	}
	PQclear(res);
}

/* The first value of a one-row query into out, or die. */
static void
pg_admin_value(PGconn *c, const char *sql, char *out, size_t cap)
{
	PGresult *res = PQexec(c, sql);
	char msg[LD_ERR_MSG_MAX];

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_oneline(msg, sizeof(msg), PQresultErrorMessage(res));
		PQclear(res);
		pg_die("%s: %s", sql, msg);
	}
	snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* The database, the schema, the server's version and settings. */
static PGconn *
pg_setup_db(struct pg_cfg *cfg, struct pg_report *rep)
{
	PGconn *c = pg_connect_admin(cfg, "postgres");
	char sql[512];

	pg_admin(c, "CREATE DATABASE " PG_DB " TEMPLATE template0 ENCODING "
	    "'UTF8' LOCALE 'C'");
	PQfinish(c);
	c = pg_connect_admin(cfg, PG_DB);
	pg_admin(c, pg_schema);
	pg_admin(c, "INSERT INTO origins VALUES ('" PG_NODE "', 0)");
	pg_admin_value(c, "SHOW server_version", rep->version,
	    sizeof(rep->version));
	snprintf(sql, sizeof(sql), "SELECT string_agg(n || '=' || "
	    "current_setting(n), ' ' ORDER BY o) FROM unnest('%s'::text[]) "
	    "WITH ORDINALITY AS t(n, o)", pg_shown);
	pg_admin_value(c, sql, rep->settings, sizeof(rep->settings));
	return c;
}

/* Empty the tables, set commit_delay (ALTER SYSTEM, reload) and wait
 * until new connections have it, CHECKPOINT. */
static void
pg_reset(const struct pg_cfg *cfg, PGconn *c, int delay)
{
	char sql[128], want[16], got[32];
	int64_t until = bench_ns() + (int64_t)PG_RELOAD_WAIT_MS * 1000000;

	pg_admin(c, "TRUNCATE events, work_orders, tickets, counters, "
	    "ticket_numbers");
	pg_admin(c, "UPDATE origins SET seq = 0");
	pg_admin(c, "ALTER SEQUENCE event_seq RESTART");
	pg_admin(c, "ALTER SEQUENCE ticket_seq RESTART");
	snprintf(sql, sizeof(sql), "ALTER SYSTEM SET commit_delay = %d", delay);
	pg_admin(c, sql);
	pg_admin(c, "SELECT pg_reload_conf()");
	snprintf(want, sizeof(want), "%d", delay);
	for (;;) {	/* a new backend forks from the reloaded postmaster */
		PGconn *n = pg_connect_admin(cfg, PG_DB);

		pg_admin_value(n, "SHOW commit_delay", got, sizeof(got));
		PQfinish(n);
		if (strcmp(got, want) == 0)
			break;
		if (bench_ns() > until)
			pg_die("commit_delay is %s after the reload, not %s",
			    got, want);
		bench_sleep_ms(20);
	}
	pg_admin(c, "CHECKPOINT");
}

/* ---- CPU of the server --------------------------------------------------- */

/* The parent of process pid, from /proc/PID/stat; -1 if unknown. */
static long
pg_ppid(long pid)
{
	char path[64], buf[512], *p;
	long pp = -1;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %ld",
	    &pp) != 1)
		return -1;
	return pp;
}

/* CPU seconds of the postmaster and of each of its children (backends,
 * WAL writer, checkpointer, autovacuum, ...) at one time. */
#define PG_MAX_PROCS 1024
struct pg_cpu_snap {
	int n;			/* -1: unknown */
	long pid[PG_MAX_PROCS];
	double cpu[PG_MAX_PROCS];
};

static void
pg_server_cpu(pid_t pm, struct pg_cpu_snap *s)
{
	struct dirent *e;
	DIR *d;

	s->n = -1;
	if (pm <= 0 || (d = opendir("/proc")) == NULL)
		return;
	s->n = 0;
	while ((e = readdir(d)) != NULL && s->n < PG_MAX_PROCS) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		double c;

		if (*end != '\0' || pid <= 0 || (pid != pm && pg_ppid(pid) !=
		    pm))
			continue;
		if ((c = bench_proc_cpu((pid_t)pid)) >= 0) {
			s->pid[s->n] = pid;
			s->cpu[s->n++] = c;
		}
	}
	closedir(d);
}

/* The server's CPU seconds from a to b: each process's growth, all of a
 * process started between them; what a process that exited between them
 * used is lost (autovacuum workers).  -1 if unknown. */
static double
pg_cpu_delta(const struct pg_cpu_snap *a, const struct pg_cpu_snap *b)
{
	double sum = 0;

	if (a->n < 0 || b->n < 0)
		return -1;
	for (int i = 0; i < b->n; i++) {
		double before = 0;

		for (int j = 0; j < a->n; j++)
			if (a->pid[j] == b->pid[i]) {
				before = a->cpu[j];
				break;
			}
		if (b->cpu[i] > before)
			sum += b->cpu[i] - before;
	}
	return sum;
}


/* ---- the client threads -------------------------------------------------- */

struct pg_phase {
	const struct pg_cfg *cfg;
	atomic_int stop;
	atomic_llong win_start;	/* ns; 0 during the warm-up */
	pthread_barrier_t go;
};

/* One statement of a transaction, with its arguments. */
struct pg_call {
	int st;			/* enum pg_st */
	int rows;		/* rows it must change or return; -1: any */
	int n;
	const char *v[12];
};

struct pg_worker {
	pthread_t th;
	struct pg_phase *ph;
	PGconn *c;
	bool broken;		/* the connection is gone */
	uint64_t rng;
	int step;
	char ticket[LD_TICKET_MAX + 1];
	/* the ticket's draw (pg_draw) */
	char place[256], phone[24];
	const char *caller, *text, *result;
	struct pg_sample *s;
	size_t n, cap;
	uint64_t errors;
	char first_err[LD_ERR_MSG_MAX + 64];
};

static void __attribute__((format(printf, 2, 3)))
pg_fail(struct pg_worker *w, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->first_err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->first_err, sizeof(w->first_err), fmt, ap);
	va_end(ap);
}

static void
pg_keep(struct pg_worker *w, int64_t t0, int64_t t1, int step)
{
	int64_t dt = (t1 - t0) / 100;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		struct pg_sample *s = realloc(w->s, cap * sizeof(*s));

		if (s == NULL) {
			pg_fail(w, "out of memory for samples");
			return;
		}
		w->s = s;
		w->cap = cap;
	}
	w->s[w->n].end = t1;
	w->s[w->n].us10 = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	w->s[w->n].step = (uint8_t)step;
	w->n++;
}

/* Is res what call k must give?  The new ticket's id is kept. */
static bool
pg_check(struct pg_worker *w, const struct pg_call *k, const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	const char *name = pg_stmts[k->st].name;
	char msg[LD_ERR_MSG_MAX];
	long got;

	if (s == PGRES_PIPELINE_ABORTED)
		return false;	/* an earlier statement's error is counted */
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pg_oneline(msg, sizeof(msg), PQresultErrorMessage(res));
		pg_fail(w, "%s: %s", name, msg);
		return false;
	}
	if (k->st == ST_COMMIT && strcmp(PQcmdStatus((PGresult *)res),
	    "COMMIT") != 0) {
		pg_fail(w, "COMMIT answered %s", PQcmdStatus((PGresult *)res));
		return false;
	}
	if (k->rows >= 0) {
		got = s == PGRES_TUPLES_OK ? PQntuples(res) :
		    strtol(PQcmdTuples((PGresult *)res), NULL, 10);
		if (got != k->rows) {
			pg_fail(w, "%s (ticket %s): %ld rows, not %d: the "
			    "state machine would refuse", name, w->ticket, got,
			    k->rows);
			return false;
		}
	}
	if (k->st == ST_TICKET_NEW) {
		const char *id = PQgetvalue(res, 0, 0);

		if (strlen(id) > LD_TICKET_MAX) {
			pg_fail(w, "ticket id '%s' is too long", id);
			return false;
		}
		snprintf(w->ticket, sizeof(w->ticket), "%s", id);
	}
	return true;
}

/* Is the connection still there?  If not, the worker stops. */
static bool
pg_alive(struct pg_worker *w)
{
	char msg[LD_ERR_MSG_MAX];

	if (PQstatus(w->c) == CONNECTION_OK)
		return true;
	if (!w->broken) {
		pg_oneline(msg, sizeof(msg), PQerrorMessage(w->c));
		pg_fail(w, "connection lost: %s", msg);
	}
	w->broken = true;
	return false;
}

/* Run calls one round trip each (PQexecPrepared): true if all went as
 * they must. */
static bool
pg_run_exec(struct pg_worker *w, const struct pg_call *calls, int n)
{
	for (int i = 0; i < n; i++) {
		PGresult *res = PQexecPrepared(w->c, pg_stmts[calls[i].st].name,
		    calls[i].n, calls[i].v, NULL, NULL, 0);
		bool ok = res != NULL && pg_check(w, &calls[i], res);

		if (res == NULL)
			pg_alive(w);
		PQclear(res);
		if (!ok)
			return false;
	}
	return true;
}

/* Run calls in one pipeline (PQsendQueryPrepared each, one sync): true if
 * all went as they must.  Every result is read, also after an error. */
static bool
pg_run_pipeline(struct pg_worker *w, const struct pg_call *calls, int n)
{
	bool ok = true;
	PGresult *res;

	for (int i = 0; i < n; i++)
		if (!PQsendQueryPrepared(w->c, pg_stmts[calls[i].st].name,
		    calls[i].n, calls[i].v, NULL, NULL, 0)) {
			pg_alive(w);
			if (!w->broken)
				pg_fail(w, "send %s: %s",
				    pg_stmts[calls[i].st].name,
				    PQerrorMessage(w->c));
			/* the pipeline is out of step */
			w->broken = true;
			return false;
		}
	if (!PQpipelineSync(w->c)) {
		pg_fail(w, "pipeline sync: %s", PQerrorMessage(w->c));
		w->broken = true;
		return false;
	}
	for (int i = 0; i < n; i++) {
		if ((res = PQgetResult(w->c)) == NULL) {
			pg_alive(w);
			if (!w->broken)
				pg_fail(w, "%s: no result",
				    pg_stmts[calls[i].st].name);
			w->broken = true;
			return false;
		}
		if (ok && !pg_check(w, &calls[i], res))
			ok = false;
		PQclear(res);
		while ((res = PQgetResult(w->c)) != NULL)	/* to the end */
			PQclear(res);
	}
	res = PQgetResult(w->c);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		if (res == NULL)
			pg_alive(w);
		if (!w->broken)
			pg_fail(w, "pipeline: no sync result");
		w->broken = true;
		ok = false;
	}
	PQclear(res);
	return ok;
}

static bool
pg_run(struct pg_worker *w, const struct pg_call *calls, int n)
{
	return w->ph->cfg->o.pipeline ? pg_run_pipeline(w, calls, n) :
	    pg_run_exec(w, calls, n);
}

/* After a failed step: ROLLBACK (the transaction may be open). */
static void
pg_rollback(struct pg_worker *w)
{
	static const struct pg_call rb = { ST_ROLLBACK, -1, 0, { NULL } };
	char msg[LD_ERR_MSG_MAX];

	if (w->broken || !pg_alive(w))
		return;
	if (w->ph->cfg->o.pipeline) {
		uint64_t e = w->errors;

		if (!pg_run_pipeline(w, &rb, 1) && w->errors == e)
			pg_fail(w, "ROLLBACK failed");
	} else {
		PGresult *res = PQexec(w->c, "ROLLBACK");

		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_oneline(msg, sizeof(msg), PQerrorMessage(w->c));
			pg_fail(w, "ROLLBACK: %s", msg);
		}
		PQclear(res);
	}
}

/* A call of statement st that must change or return rows (-1: any). */
static struct pg_call
pg_call(int st, int rows)
{
	struct pg_call k;

	memset(&k, 0, sizeof(k));
	k.st = st;
	k.rows = rows;
	return k;
}

/* Draw a new ticket's caller, phone, place and text (as bench-node: one
 * caller in eight is one of 100 who call again). */
static void
pg_draw(struct pg_worker *w)
{
	uint64_t x = bench_rand(&w->rng);

	if (x % 8 == 0)
		snprintf(w->phone, sizeof(w->phone), "1380379%04u",
		    (unsigned)(x >> 8) % 100);
	else
		snprintf(w->phone, sizeof(w->phone), "139%08u",
		    (unsigned)((x >> 8) % 100000000));
	snprintf(w->place, sizeof(w->place), bench_work_places[(x >> 40) % bench_work_n_places],
	    (unsigned)((x >> 20) % 300 + 1));
	w->caller = bench_work_callers[(x >> 44) % bench_work_n_callers];
	w->text = bench_work_texts[(x >> 48) % bench_work_n_texts];
	w->result = bench_work_results[(x >> 52) % bench_work_n_results];
}

/*
 * The statements of w's step into calls; how many.  A create runs in two
 * parts (phase 0: BEGIN and the ticket, whose id comes back; phase 1: the
 * rest); the other steps in one.  The hot rows come last, always in the
 * same order: the day's counters, then the origin's seq in the event
 * statement; then COMMIT.
 */
static int
pg_build(struct pg_worker *w, int phase, struct pg_call *calls)
{
	const char *actor = w->step == P_SIGN || w->step == P_COMPLETE ?
	    PG_UNIT_ACTOR : PG_OPERATOR;
	struct pg_call *k;
	int n = 0;

#define CALL(st, rows) (k = &calls[n++], *k = pg_call((st), (rows)))
#define ARG(s) (k->v[k->n++] = (s))
	if (w->step != P_CREATE || phase == 0)
		CALL(ST_BEGIN, -1);
	switch (w->step) {
	case P_CREATE:
		if (phase == 0) {
			pg_draw(w);
			CALL(ST_TICKET_NEW, 1);
			ARG(PG_NODE);
			ARG(w->caller);
			ARG(w->phone);
			ARG(w->place);
			ARG(PG_AREA);
			ARG(PG_CATEGORY);
			ARG(PG_RULE);
			ARG(PG_URGENCY);
			ARG(w->text);
			return n;
		}
		CALL(ST_WO_NEW, 1);
		ARG(w->ticket);
		ARG(PG_UNIT);
		break;
	case P_SIGN:
		CALL(ST_WO_SIGN, 1);
		ARG(w->ticket);
		ARG(BENCH_WORK_SIGN_NOTE);
		CALL(ST_TK_SIGN, 1);
		ARG(w->ticket);
		break;
	case P_COMPLETE:
		CALL(ST_WO_COMPLETE, 1);
		ARG(w->ticket);
		ARG(w->result);
		CALL(ST_TK_COMPLETE, 1);
		ARG(w->ticket);
		break;
	case P_REPORT:
		CALL(ST_TK_REPORT, 1);
		ARG(w->ticket);
		break;
	case P_CALLBACK:
		CALL(ST_TK_CALLBACK, 1);
		ARG(w->ticket);
		ARG(PG_SATISFACTION);
		break;
	default:
		CALL(ST_TK_CLOSE, 1);
		ARG(w->ticket);
		break;
	}
	if (!w->ph->cfg->o.no_counters) {
		CALL(ST_COUNTERS, -1);
		ARG(PG_NODE);
		ARG(w->ph->cfg->counters[w->step]);
	}
	CALL(ST_EV_CREATE + w->step, w->step == P_CREATE ? 3 : 1);
	ARG(PG_NODE);
	ARG(actor);
	ARG(w->ticket);
	switch (w->step) {
	case P_CREATE:
		ARG(w->caller);
		ARG(w->phone);
		ARG(w->place);
		ARG(PG_AREA);
		ARG(PG_CATEGORY);
		ARG(PG_URGENCY);
		ARG(w->text);
		ARG(PG_RULE);
		ARG(PG_UNIT);
		break;
	case P_SIGN:
		ARG(BENCH_WORK_SIGN_NOTE);
		break;
	case P_COMPLETE:
		ARG(w->result);
		break;
	case P_REPORT:
		ARG(BENCH_WORK_REPORT_NOTE);
		break;
	case P_CALLBACK:
		ARG(BENCH_WORK_CALLBACK_NOTE);
		break;
	default:
		ARG(BENCH_WORK_CLOSE_NOTE);
		break;
	}
	CALL(ST_COMMIT, -1);
#undef ARG
#undef CALL
	return n;
}

/* One step of w's life cycle as one transaction, timed; the next step
 * after it, or a new ticket after a failure. */
static void
pg_step(struct pg_worker *w)
{
	struct pg_call calls[8];
	int64_t t0 = bench_ns(), t1, ws;
	int step = w->step;
	bool ok;

	ok = pg_run(w, calls, pg_build(w, 0, calls));
	if (ok && step == P_CREATE)
		ok = pg_run(w, calls, pg_build(w, 1, calls));
	t1 = bench_ns();
	if (!ok) {
		pg_rollback(w);
		w->step = P_CREATE;
		return;
	}
	ws = atomic_load_explicit(&w->ph->win_start, memory_order_relaxed);
	if (ws != 0 && t1 >= ws)
		pg_keep(w, t0, t1, step);
	w->step = (step + 1) % P_NSTEPS;
}

/* Connect and prepare every statement. */
static bool
pg_worker_open(struct pg_worker *w)
{
	const struct pg_cfg *cfg = w->ph->cfg;
	char msg[LD_ERR_MSG_MAX];

	w->c = PQconnectdb(cfg->conninfo);
	if (PQstatus(w->c) != CONNECTION_OK) {
		pg_oneline(msg, sizeof(msg), PQerrorMessage(w->c));
		pg_fail(w, "connect: %s", msg);
		return false;
	}
	for (int i = 0; i < ST_N; i++) {
		const struct pg_stmt *st = &pg_stmts[i];
		PGresult *res = PQprepare(w->c, st->name, st->sql, st->nparams,
		    NULL);

		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_oneline(msg, sizeof(msg), PQresultErrorMessage(res));
			pg_fail(w, "prepare %s: %s", st->name, msg);
			PQclear(res);
			return false;
		}
		PQclear(res);
	}
	if (cfg->o.pipeline && !PQenterPipelineMode(w->c)) {
		pg_fail(w, "pipeline mode: %s", PQerrorMessage(w->c));
		return false;
	}
	return true;
}

static void *
pg_worker_main(void *arg)
{
	struct pg_worker *w = arg;
	struct pg_phase *ph = w->ph;
	bool open = pg_worker_open(w);

	pthread_barrier_wait(&ph->go);
	while (open && !w->broken &&
	    !atomic_load_explicit(&ph->stop, memory_order_relaxed))
		pg_step(w);
	PQfinish(w->c);
	w->c = NULL;
	return NULL;
}

/* ---- one measurement ----------------------------------------------------- */

static int
pg_cmp_sample(const void *a, const void *b)
{
	uint32_t x = ((const struct pg_sample *)a)->us10;
	uint32_t y = ((const struct pg_sample *)b)->us10;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of sorted samples, in ms. */
static double
pg_quantile(const struct pg_sample *s, size_t n, double q)
{
	return n == 0 ? 0 : s[bench_rank(n, q)].us10 / 1e4;
}

/* The transactions that ended within [ws, we] into r. */
static void
pg_summarise(struct pg_worker *ws, int n, int64_t t0, int64_t t1,
    struct pg_result *r)
{
	struct pg_sample *all, *per;
	size_t total = 0, k = 0;

	for (int i = 0; i < n; i++) {
		total += ws[i].n;
		r->errors += ws[i].errors;
		if (r->first_err[0] == '\0' && ws[i].first_err[0] != '\0')
			snprintf(r->first_err, sizeof(r->first_err), "%s",
			    ws[i].first_err);
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	per = malloc((total ? total : 1) * sizeof(*per));
	if (all == NULL || per == NULL)
		pg_die("out of memory");
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < ws[i].n; j++)
			if (ws[i].s[j].end >= t0 && ws[i].s[j].end <= t1)
				all[k++] = ws[i].s[j];
	qsort(all, k, sizeof(*all), pg_cmp_sample);
	r->tx = k;
	r->seconds = (double)(t1 - t0) / 1e9;
	r->tps = r->seconds > 0 ? (double)k / r->seconds : 0;
	r->p50 = pg_quantile(all, k, 0.50);
	r->p99 = pg_quantile(all, k, 0.99);
	r->max = k ? all[k - 1].us10 / 1e4 : 0;
	for (int s = 0; s < P_NSTEPS; s++) {
		size_t m = 0;

		for (size_t i = 0; i < k; i++)
			if (all[i].step == s)
				per[m++] = all[i];
		r->step_n[s] = m;
		r->step_p50[s] = pg_quantile(per, m, 0.50);
		r->step_p99[s] = pg_quantile(per, m, 0.99);
	}
	r->closes = r->step_n[P_CLOSE];
	r->lps = r->seconds > 0 ? (double)r->closes / r->seconds : 0;
	free(all);
	free(per);
}

/* Sleep until ns (CLOCK_MONOTONIC) or an interrupt. */
static void
pg_sleep_until(int64_t until)
{
	for (int64_t now = bench_ns(); now < until && !pg_interrupted;
	    now = bench_ns()) {
		int64_t left = until - now;
		struct timespec ts = { left / 1000000000, left % 1000000000 };

		nanosleep(&ts, NULL);
	}
}

static void
pg_measure(struct pg_cfg *cfg, PGconn *admin, int clients, int delay,
    struct pg_result *r)
{
	struct pg_phase ph;
	struct pg_worker *ws;
	static struct pg_cpu_snap pcpu0, pcpu1;
	sigset_t block, old;
	int64_t t0, t1;
	double cpu0;

	if (!cfg->o.json)
		fprintf(stderr, "%d clients, commit_delay %d us ...\n", clients,
		    delay);
	pg_reset(cfg, admin, delay);
	memset(&ph, 0, sizeof(ph));
	ph.cfg = cfg;
	atomic_init(&ph.stop, 0);
	atomic_init(&ph.win_start, 0);
	if (pthread_barrier_init(&ph.go, NULL, (unsigned)clients + 1) != 0)
		pg_die("pthread_barrier_init failed");
	ws = calloc((size_t)clients, sizeof(*ws));
	if (ws == NULL)
		pg_die("out of memory");
	/* the signals go to this thread, which stops the clients */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < clients; i++) {
		ws[i].ph = &ph;
		ws[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^
		    (uint64_t)bench_ns();
		if (ws[i].rng == 0)
			ws[i].rng = 1;
		if (pthread_create(&ws[i].th, NULL, pg_worker_main, &ws[i]) !=
		    0)
			pg_die("pthread_create failed (%d clients)", clients);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_barrier_wait(&ph.go);
	pg_sleep_until(bench_ns() + (int64_t)PG_WARMUP_MS * 1000000);
	pg_server_cpu(cfg->postmaster, &pcpu0);
	cpu0 = bench_self_cpu();
	t0 = bench_ns();
	atomic_store(&ph.win_start, t0);
	pg_sleep_until(t0 + (int64_t)cfg->o.seconds * 1000000000);
	t1 = bench_ns();
	atomic_store(&ph.stop, 1);
	r->bench_cpu = bench_self_cpu() - cpu0;
	pg_server_cpu(cfg->postmaster, &pcpu1);
	r->pg_cpu = pg_cpu_delta(&pcpu0, &pcpu1);
	for (int i = 0; i < clients; i++)
		pthread_join(ws[i].th, NULL);
	r->done = true;
	r->clients = clients;
	r->delay = delay;
	pg_summarise(ws, clients, t0, t1, r);
	for (int i = 0; i < clients; i++)
		free(ws[i].s);
	free(ws);
	pthread_barrier_destroy(&ph.go);
}

/* ---- output -------------------------------------------------------------- */

/* The better of a level's measurements (more transactions per second). */
static const struct pg_result *
pg_best(const struct pg_report *rep, int level)
{
	const struct pg_result *b = NULL;

	for (int d = 0; d < PG_NDELAYS; d++) {
		const struct pg_result *r = &rep->r[level][d];

		if (r->done && (b == NULL || r->tps > b->tps))
			b = r;
	}
	return b;
}

struct pg_totals {
	uint64_t tx, errors;
	const char *first_err;
};

static void
pg_totals(const struct pg_report *rep, struct pg_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int l = 0; l < PG_NLEVELS; l++)
		for (int d = 0; d < PG_NDELAYS; d++) {
			const struct pg_result *r = &rep->r[l][d];

			t->tx += r->tx;
			t->errors += r->errors;
			if (t->first_err == NULL && r->first_err[0] != '\0')
				t->first_err = r->first_err;
		}
}

/* Statements of each step's transaction, BEGIN and COMMIT included. */
static int
pg_step_statements(int step)
{
	return step <= P_COMPLETE ? 6 : 5;
}

static void
pg_print_table(const struct pg_report *rep, const struct pg_cfg *cfg)
{
	const struct pg_result *last = NULL;
	char mline[1024];
	struct pg_totals tot;

	bench_machine_line(&rep->m, false, mline, sizeof(mline));
	printf("PostgreSQL on liandong's ticket life cycle: each step one "
	    "transaction, durable at COMMIT\n");
	printf("machine:  %s (LMDB: ours, not used here)\n", mline);
	printf("server:   PostgreSQL %s, started by this run (%s), libpq %d; "
	    "database UTF8, locale C\n", rep->version, cfg->bindir,
	    PQlibVersion());
	printf("settings: %s; commit_delay 0 and 100 us measured, the "
	    "better is the figure\n", rep->settings);
	printf("clients:  threads of this process, one connection each over "
	    "TCP 127.0.0.1:%d,\n          prepared statements, %s\n",
	    cfg->port, cfg->o.pipeline ? "each step's sent in one libpq "
	    "pipeline (create: two, the ticket's id first)" : "one round "
	    "trip each (PQexecPrepared)");
	printf("          (statements with BEGIN and COMMIT: create 6, sign 6, "
	    "complete 6, report 5, callback 5, close 5)\n");
	printf("numbers:  %s\n", cfg->o.seq_sequence ?
	    "events and tickets from sequences (nextval: gaps possible, "
	    "writers not serialised)" :
	    "events by a row per origin (UPDATE origins SET seq = seq + n "
	    "RETURNING seq), tickets\n          by a row per node and year: "
	    "gap-free, so one writer at a time holds each\n          until "
	    "its COMMIT is durable");
	if (cfg->o.no_counters)
		printf("counters: LEFT OUT (--no-counters): not the node's "
		    "workload\n");
	printf("workload: each client: create (ticket, work order, events "
	    "created/routed/dispatched, counters)\n          -> sign -> "
	    "complete -> report -> callback -> close; 8 events a life cycle; "
	    "texts of\n          bench-node; tables emptied, CHECKPOINT, %d s "
	    "warm-up, then %d s per measurement\n\n", PG_WARMUP_MS / 1000,
	    cfg->o.seconds);

	printf("%7s %9s %9s %13s %7s %7s %8s %10s %9s %5s\n", "clients",
	    "delay us", "tx/s", "lifecycles/s", "p50 ms", "p99 ms", "max ms",
	    "PG CPU/tx", "cores", "best");
	for (int l = 0; l < PG_NLEVELS; l++) {
		const struct pg_result *b = pg_best(rep, l);

		for (int d = 0; d < PG_NDELAYS; d++) {
			const struct pg_result *r = &rep->r[l][d];
			double busy;

			if (!r->done)
				continue;
			busy = r->seconds > 0 && r->pg_cpu >= 0 ? (r->pg_cpu +
			    r->bench_cpu) / r->seconds : 0;
			printf("%7d %9d %9.0f %13.1f %7.2f %7.2f %8.2f "
			    "%7.0f us %4.2f of %ld %5s\n", r->clients,
			    r->delay, r->tps, r->lps, r->p50, r->p99, r->max,
			    r->tx && r->pg_cpu >= 0 ? r->pg_cpu * 1e6 /
			    (double)r->tx : 0, busy, rep->m.cores,
			    r == b ? "*" : "");
		}
		if (b != NULL)
			last = b;
	}
	printf("(tx/s: transactions, one per request our node would answer, "
	    "completed in the window;\n lifecycles/s: tickets closed; p50, "
	    "p99, max: a transaction, BEGIN sent to COMMIT answered;\n PG CPU: "
	    "the server's processes; cores: busy with the server and these "
	    "clients; * the better)\n");

	if (last != NULL) {
		printf("\nper step at %d clients, commit_delay %d us (p50 / "
		    "p99 ms, statements, transactions):\n", last->clients,
		    last->delay);
		for (int s = 0; s < P_NSTEPS; s++)
			printf("  %-9s %7.2f / %7.2f   %d   %llu\n",
			    pg_step_names[s], last->step_p50[s],
			    last->step_p99[s], pg_step_statements(s),
			    (unsigned long long)last->step_n[s]);
	}
	pg_totals(rep, &tot);
	printf("\nerrors: %llu in %llu transactions%s%s\n",
	    (unsigned long long)tot.errors, (unsigned long long)tot.tx,
	    tot.first_err ? "; first: " : "", tot.first_err ? tot.first_err :
	    "");
	if (tot.errors > 0)
		printf("THIS RUN IS FLAGGED: its figures include failures\n");
}

static void
pg_print_json(const struct pg_report *rep, const struct pg_cfg *cfg)
{
	const struct pg_result *last = NULL;
	char mline[1024], fig[96], v[64];
	struct pg_totals tot;

	bench_machine_line(&rep->m, false, mline, sizeof(mline));
	bench_json_text("pg", "machine", mline);
	bench_json_text("pg", "postgres_version", rep->version);
	snprintf(v, sizeof(v), "%d", PQlibVersion());
	bench_json_text("pg", "libpq_version", v);
	bench_json_text("pg", "settings", rep->settings);
	bench_json_text("pg", "statements", cfg->o.pipeline ? "pipeline" :
	    "exec");
	bench_json_text("pg", "numbers", cfg->o.seq_sequence ? "sequences" :
	    "gap-free rows");
	bench_json_text("pg", "counters", cfg->o.no_counters ? "left out" :
	    "day counters");
	for (int l = 0; l < PG_NLEVELS; l++) {
		const struct pg_result *b = pg_best(rep, l);
		char lv[32];

		if (b == NULL)
			continue;
		last = b;
		snprintf(lv, sizeof(lv), "clients_%d", b->clients);
		snprintf(fig, sizeof(fig), "requests_per_s_%s", lv);
		bench_json_num("pg", fig, b->tps, "req/s", 0);
		snprintf(fig, sizeof(fig), "lifecycles_per_s_%s", lv);
		bench_json_num("pg", fig, b->lps, "lifecycles/s", 0);
		snprintf(fig, sizeof(fig), "p50_ms_%s", lv);
		bench_json_num("pg", fig, b->p50, "ms", 0);
		snprintf(fig, sizeof(fig), "p99_ms_%s", lv);
		bench_json_num("pg", fig, b->p99, "ms", 0);
		snprintf(fig, sizeof(fig), "max_ms_%s", lv);
		bench_json_num("pg", fig, b->max, "ms", 0);
		snprintf(fig, sizeof(fig), "commit_delay_us_%s", lv);
		bench_json_num("pg", fig, b->delay, "us", 0);
		snprintf(fig, sizeof(fig), "pg_cpu_us_per_tx_%s", lv);
		bench_json_num("pg", fig, b->tx && b->pg_cpu >= 0 ? b->pg_cpu *
		    1e6 / (double)b->tx : 0, "us", 0);
		snprintf(fig, sizeof(fig), "bench_cpu_us_per_tx_%s", lv);
		bench_json_num("pg", fig, b->tx ? b->bench_cpu * 1e6 /
		    (double)b->tx : 0, "us", 0);
		for (int d = 0; d < PG_NDELAYS; d++) {
			const struct pg_result *r = &rep->r[l][d];

			if (!r->done)
				continue;
			snprintf(fig, sizeof(fig), "requests_per_s_%s_delay_%d",
			    lv, r->delay);
			bench_json_num("pg", fig, r->tps, "req/s", 0);
			snprintf(fig, sizeof(fig), "p50_ms_%s_delay_%d", lv,
			    r->delay);
			bench_json_num("pg", fig, r->p50, "ms", 0);
			snprintf(fig, sizeof(fig), "p99_ms_%s_delay_%d", lv,
			    r->delay);
			bench_json_num("pg", fig, r->p99, "ms", 0);
		}
	}
	if (last != NULL)
		for (int s = 0; s < P_NSTEPS; s++) {
			snprintf(fig, sizeof(fig), "p50_ms_%s_clients_%d",
			    pg_step_names[s], last->clients);
			bench_json_num("pg", fig, last->step_p50[s], "ms", 0);
			snprintf(fig, sizeof(fig), "p99_ms_%s_clients_%d",
			    pg_step_names[s], last->clients);
			bench_json_num("pg", fig, last->step_p99[s], "ms", 0);
		}
	pg_totals(rep, &tot);
	bench_json_num("pg", "errors", (double)tot.errors, "transactions",
	    (double)tot.tx);
	if (tot.first_err != NULL)
		bench_json_text("pg", "first_error", tot.first_err);
}

/* ---- arguments and main -------------------------------------------------- */

static void
pg_usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-pg [--json] [--seconds N] [--port P] [--clients N]\n"
	    "                [--commit-delay US] [--pipeline] "
	    "[--seq row|sequence]\n"
	    "                [--no-counters] [--pgbin DIR] [--keep]\n"
	    "  PostgreSQL on the node's ticket life cycle (create, sign, "
	    "complete, report,\n"
	    "  callback, close; each one durable transaction) with 1, 8 and 64 "
	    "clients,\n"
	    "  each with commit_delay 0 and 100 us.  Starts its own server "
	    "(as user %s\n"
	    "  when run as root) in a temp dir, and stops it.\n"
	    "  --json              one JSON object per line instead of the "
	    "table\n"
	    "  --seconds N         per measurement, after a 1 s warm-up "
	    "(default %d)\n"
	    "  --port P            the server's TCP port on 127.0.0.1 "
	    "(default %d, or the\n"
	    "                      next free one of %d; a given port must "
	    "be free)\n"
	    "  --clients N         measure only N clients (1..%d)\n"
	    "  --commit-delay US   measure only this commit_delay (0..100000)"
	    "\n"
	    "  --pipeline          send each step's statements in one libpq "
	    "pipeline\n"
	    "                      (default: one round trip per statement)\n"
	    "  --seq row|sequence  number events and tickets by rows (per "
	    "origin, per node\n"
	    "                      and year: gap-free, default) or by "
	    "sequences (gaps)\n"
	    "  --no-counters       leave the day counters out (to see what "
	    "their hot rows\n"
	    "                      cost; our node keeps them: not a "
	    "comparison)\n"
	    "  --pgbin DIR         initdb, pg_ctl, postgres (default: the "
	    "newest\n"
	    "                      %s)\n"
	    "  --keep              keep the work dir (data dir, logs)\n",
	    PG_USER, PG_SECONDS_DEFAULT, PG_PORT_DEFAULT, PG_PORT_TRIES,
	    PG_MAX_CLIENTS, PG_BIN_GLOB);
}

static void
pg_parse_args(int argc, char **argv, struct pg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seconds = PG_SECONDS_DEFAULT;
	o->port = PG_PORT_DEFAULT;
	o->only_delay = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		struct ld_err err;
		long n = 0;
		int rc = 0;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
			continue;
		} else if (strcmp(a, "--pipeline") == 0) {
			o->pipeline = true;
			continue;
		} else if (strcmp(a, "--no-counters") == 0) {
			o->no_counters = true;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			pg_usage(stdout);
			exit(0);
		} else if (strcmp(a, "--seconds") != 0 &&
		    strcmp(a, "--port") != 0 && strcmp(a, "--clients") != 0 &&
		    strcmp(a, "--commit-delay") != 0 &&
		    strcmp(a, "--seq") != 0 && strcmp(a, "--pgbin") != 0) {
			fprintf(stderr, "bench-pg: unknown argument '%s'\n", a);
			pg_usage(stderr);
			exit(2);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench-pg: %s needs a value\n", a);
			exit(2);
		}
		v = argv[++i];
		if (strcmp(a, "--seconds") == 0) {
			rc = bench_parse_long(a, v, 1, 3600, &n, &err);
			o->seconds = (int)n;
		} else if (strcmp(a, "--port") == 0) {
			rc = bench_parse_long(a, v, 1024, 65535, &n, &err);
			o->port = (int)n;
			o->port_given = true;
		} else if (strcmp(a, "--clients") == 0) {
			rc = bench_parse_long(a, v, 1, PG_MAX_CLIENTS, &n,
			    &err);
			o->only = (int)n;
		} else if (strcmp(a, "--commit-delay") == 0) {
			rc = bench_parse_long(a, v, 0, 100000, &n, &err);
			o->only_delay = (int)n;
		} else if (strcmp(a, "--seq") == 0) {
			if (strcmp(v, "row") != 0 &&
			    strcmp(v, "sequence") != 0) {
				fprintf(stderr, "bench-pg: --seq: '%s' is not "
				    "row or sequence\n", v);
				exit(2);
			}
			o->seq_sequence = strcmp(v, "sequence") == 0;
		} else if (v[0] == '\0') {
			fprintf(stderr, "bench-pg: --pgbin: empty path\n");
			exit(2);
		} else {
			o->bindir = v;
		}
		if (rc != 0) {
			fprintf(stderr, "bench-pg: %s\n", err.msg);
			exit(2);
		}
	}
}

/* The ticket and event statements and the counters' text[] literals. */
static void
pg_build_sql(struct pg_cfg *cfg)
{
	if (cfg->o.seq_sequence)
		pg_stmts[ST_TICKET_NEW].sql = PG_SQL_TICKET_NEW_SEQ;
	for (int s = 0; s < P_NSTEPS; s++) {
		int nev = s == P_CREATE ? 3 : 1, len;
		char *p = cfg->counters[s];
		size_t cap = sizeof(cfg->counters[s]);

		if (cfg->o.seq_sequence)
			len = snprintf(pg_ev_sql[s], sizeof(pg_ev_sql[s]),
			    "INSERT INTO events (origin, seq, time, actor, "
			    "ticket, kind, payload) SELECT $1, "
			    "nextval('event_seq'), now(), $2, $3, v.kind, "
			    "v.payload FROM (SELECT * FROM (VALUES %s) AS "
			    "x(k, kind, payload) ORDER BY k) AS v",
			    pg_ev_values[s]);
		else
			len = snprintf(pg_ev_sql[s], sizeof(pg_ev_sql[s]),
			    "WITH s AS (UPDATE origins SET seq = seq + %d "
			    "WHERE origin = $1 RETURNING seq) INSERT INTO "
			    "events (origin, seq, time, actor, ticket, kind, "
			    "payload) SELECT $1, s.seq - %d + v.k, now(), $2, "
			    "$3, v.kind, v.payload FROM s, (VALUES %s) AS "
			    "v(k, kind, payload)", nev, nev, pg_ev_values[s]);
		if (len < 0 || (size_t)len >= sizeof(pg_ev_sql[s]))
			pg_die("event statement %d too long", s);
		pg_stmts[ST_EV_CREATE + s].sql = pg_ev_sql[s];

		snprintf(p, cap, "{");
		for (int i = 0; i < 3 && pg_step_counters[s][i] != LD_C__COUNT;
		    i++)
			snprintf(p + strlen(p), cap - strlen(p), "%s%s",
			    i ? "," : "", store_counter_name(
			    pg_step_counters[s][i]));
		snprintf(p + strlen(p), cap - strlen(p), "}");
	}
}

int
main(int argc, char **argv)
{
	static struct pg_cfg cfg;
	static struct pg_report rep;
	struct sigaction sa;
	struct pg_totals tot;
	PGconn *admin;

	pg_parse_args(argc, argv, &cfg.o);
	pg_cur = &cfg;
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pg_on_signal;	/* no SA_RESTART: sleeps end */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (PQisthreadsafe() == 0)
		pg_die("this libpq is not thread-safe");
	pg_build_sql(&cfg);
	pg_find_bindir(&cfg);
	pg_setup_server(&cfg);
	bench_machine_get(cfg.dir, &rep.m);
	admin = pg_setup_db(&cfg, &rep);
	pg_check_interrupt(&cfg);
	if (!cfg.o.json)
		fprintf(stderr, "work dir %s, PostgreSQL %s on 127.0.0.1:%d\n",
		    cfg.dir, rep.version, cfg.port);

	for (int l = 0; l < PG_NLEVELS; l++) {
		int clients = cfg.o.only > 0 ? cfg.o.only : pg_levels[l];

		if (cfg.o.only > 0 && l > 0)
			break;
		for (int d = 0; d < PG_NDELAYS; d++) {
			int delay = cfg.o.only_delay >= 0 ? cfg.o.only_delay :
			    pg_delays[d];

			if (cfg.o.only_delay >= 0 && d > 0)
				break;
			pg_measure(&cfg, admin, clients, delay, &rep.r[l][d]);
			pg_check_interrupt(&cfg);
		}
	}
	pg_admin(admin, "ALTER SYSTEM RESET commit_delay");
	PQfinish(admin);

	if (cfg.o.json)
		pg_print_json(&rep, &cfg);
	else
		pg_print_table(&rep, &cfg);
	fflush(stdout);
	pg_totals(&rep, &tot);
	if (!pg_cleanup(&cfg, cfg.o.keep))
		return 1;
	return tot.errors == 0 ? 0 : 1;
}
