/* node.c - the daemons' shared main (see node.h). */
#include "node.h"
#include "auth.h"
#include "keyfile.h"
#include "log.h"
#include "fed.h"
#include "http.h"
#include "news.h"
#include "serve.h"
#include "sms.h"
#include "ltime.h"
#include "ticket.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#ifndef LD_VERSION
#define LD_VERSION "0.1.0"
#endif

static volatile sig_atomic_t node_quit;

static void
node_on_signal(int sig)
{
	(void)sig;
	node_quit = 1;
}

static void
node_usage(FILE *f, const char *prog)
{
	fprintf(f,
	    "usage: %s --topology FILE --id NODE --key FILE --data DIR [--demo]\n"
	    "           [--check] [--migrate] [--map-max MB] [--sms-command CMD]\n"
	    "           [--http ADDR:PORT] [--pull-idle-ms MS] [--link-dead-ms MS]\n"
	    "           [-v]\n"
	    "\n"
	    "Runs one liandong linkage node in the foreground; logs to stderr;\n"
	    "stops cleanly on SIGINT or SIGTERM.\n"
	    "\n"
	    "  --topology FILE  the federation's topology (see topology.example);\n"
	    "                the node does not start if it fails `topology check`\n"
	    "  --id NODE     this node's id (e.g. LY for the city, XA for Xin'an)\n"
	    "  --key FILE    the node's CURVE key pair (`topology keygen`; mode\n"
	    "                0600); its public key must be the node's in the\n"
	    "                topology\n"
	    "  --data DIR    the node's data directory (created if missing)\n"
	    "  --demo        run the article's cases on a simulated clock, then\n"
	    "                wait for Ctrl-C\n"
	    "  --check       replay the event log and compare with the views\n"
	    "                before serving (rebuild check)\n"
	    "  --migrate     a store of an older schema (1): rebuild its views\n"
	    "                from the log (kept as it is), then serve\n"
	    "  --map-max MB  largest database map (default 65536)\n"
	    "  --http ADDR:PORT  serve the public announcements feed over HTTP\n"
	    "                (GET /announcements.atom), e.g. 0.0.0.0:8110\n"
	    "  --sms-command CMD  deliver SMS with CMD: run as `sh -c CMD sh\n"
	    "                PHONE`, the message on stdin, exit 0 = delivered\n"
	    "                (without it messages wait in DATA/outbox/new)\n"
	    "  --pull-idle-ms MS  after an empty batch a link pulls again this\n"
	    "                much later (1-1000, default 100): lower sees another\n"
	    "                node's first new event sooner, at more pulls on a\n"
	    "                quiet link (the year replay uses 2)\n"
	    "  --link-dead-ms MS  a link with nothing heard for this long is\n"
	    "                down (300-60000, default 3000; a ping goes after a\n"
	    "                third of it; the year replay uses 1000)\n"
	    "  -v            debug logging\n"
	    "  --help, --version\n", prog);
}

/* Print what the store holds: events, tickets, today's figures. */
static void
node_report(struct ld_store *s)
{
	struct ld_store_stats st;
	uint32_t today = ltime_day(ltime_now());
	uint64_t c[LD_C__COUNT];

	store_stats(s, &st);
	log_info("node", "store: %llu events, %llu tickets, %zu KiB in use",
	    (unsigned long long)st.events, (unsigned long long)st.tickets,
	    st.used_bytes >> 10);
	store_counter_sums(s, today, today, c);
	log_info("node", "today %u: calls in %llu, answered %llu, valid %llu, "
	    "linkage %llu, completed %llu; not completed now %llu", today,
	    (unsigned long long)c[LD_C_CALLS_IN],
	    (unsigned long long)c[LD_C_ANSWERED],
	    (unsigned long long)c[LD_C_VALID],
	    (unsigned long long)c[LD_C_LINKAGE],
	    (unsigned long long)c[LD_C_COMPLETED],
	    (unsigned long long)store_count_open(s));
}

struct ld_topo *
node_topology(const char *path, const char *id, enum ld_level level)
{
	struct ld_topo *t = NULL;
	int rc = topo_load(path, &t), n;

	if (t == NULL) {
		log_error("topology", "%s: %s; not starting", path,
		    err_name(rc));
		return NULL;
	}
	if (rc != 0 || t->n_errors > 0) {
		topo_print_diags(t, stderr);
		log_error("topology", "%s fails the check; not starting", path);
		topo_free(t);
		return NULL;
	}
	if (t->n_warnings > 0)
		topo_print_diags(t, stderr);
	n = topo_node(t, id);
	if (n < 0) {
		log_error("topology", "%s: there is no node %s; not starting",
		    path, id);
		topo_free(t);
		return NULL;
	}
	if (!t->nodes[n].running) {
		log_error("topology", "%s: node %s is planned; set its status = "
		    "running (and give it its clients) before starting it", path,
		    id);
		topo_free(t);
		return NULL;
	}
	if ((level == LD_LEVEL_CITY) != (t->nodes[n].level <= LD_TL_CITY)) {
		log_error("topology", "%s: node %s is a %s node; run %s for it",
		    path, id, topo_level_name(t->nodes[n].level),
		    t->nodes[n].level <= LD_TL_CITY ? "city-node" :
		    "county-node");
		topo_free(t);
		return NULL;
	}
	log_info("topology", "%s: node %s (%s), %d nodes, %d units, %d "
	    "categories, %d rules", path, id, t->nodes[n].name, t->n_nodes,
	    t->n_units, t->n_categories, t->n_rules);
	return t;
}

/* Read the node's key pair and check it is the one the topology names. */
static int
node_key(const struct ld_topo *t, const char *id, const char *path,
    struct ld_keypair *kp)
{
	const struct ld_topo_node *n = &t->nodes[topo_node(t, id)];
	struct ld_err err;

	if (keyfile_read(path, kp, &err) != 0) {
		log_error("key", "%s; not starting", err.msg);
		return -1;
	}
	if (strcmp(kp->public_z85, n->public_key) != 0) {
		log_error("key", "%s holds public key %s, but the topology gives "
		    "node %s the key %s (%s:%d); not starting", path,
		    kp->public_z85, id, n->public_key, t->path, n->line);
		keyfile_wipe(kp);
		return -1;
	}
	return 0;
}

/* Serve the client endpoint until SIGINT or SIGTERM.  Returns the exit
 * status. */
/* The feed for the HTTP thread: the store and topology are read only. */
struct node_feed {
	struct ld_store *s;
	const struct ld_topo *t;
	int self;
	char url[160];	/* the feed's own URL (rel="self"), "" if unknown */
};

static int
node_feed(void *arg, char **body, size_t *len, struct ld_err *err)
{
	const struct node_feed *f = arg;

	return news_feed(f->s, f->t, f->self, f->url[0] ? f->url : NULL,
	    ltime_now(), body, len, err);
}

static int
node_serve(const struct ld_topo *t, int self, struct ld_store *s,
    const struct ld_keypair *kp, const char *data, const char *sms_command,
    const char *http_listen)
{
	struct node_feed feed = { s, t, self, "" };
	struct ld_http *http = NULL;
	struct ld_serve *sv = NULL;
	struct ld_sms *sms = NULL;
	char obox[PATH_MAX];
	struct ld_auth *auth = NULL;
	struct ld_serve_counts n;
	struct sigaction sa;
	struct ld_err err;
	void *zctx;
	int status = 0;

	zctx = zmq_ctx_new();
	if (zctx == NULL) {
		log_error("node", "zmq_ctx_new: %s", zmq_strerror(errno));
		return 1;
	}
	if (auth_start(zctx, t, self, &auth, &err) != 0 ||
	    serve_open(&sv, zctx, t, self, s, kp, LD_VERSION, &err) != 0) {
		log_error("node", "%s; not serving", err.msg);
		status = 1;
		goto out;
	}
	/* the SMS outbox is a channel beside dispatch: if it cannot be
	 * opened, the node serves without it (and says so) */
	if ((size_t)snprintf(obox, sizeof(obox), "%s/outbox", data) >=
	    sizeof(obox))
		log_error("node", "SMS outbox: data path too long; serving "
		    "without SMS");
	else if (sms_start(&sms, s, t->nodes[self].id, obox, sms_command,
	    &err) != 0)
		log_error("node", "SMS outbox %s: %s; serving without SMS "
		    "(mend it and restart the node)", obox, err.msg);
	serve_set_sms(sv, sms);
	if (http_listen != NULL) {
		struct ld_http_opts ho = { .listen = http_listen,
			.feed = node_feed, .arg = &feed };

		/* a listen address others can reach names the feed itself
		 * (not a wildcard one) */
		if (strncmp(http_listen, "0.0.0.0:", 8) != 0 &&
		    strncmp(http_listen, "[::]:", 5) != 0)
			snprintf(feed.url, sizeof(feed.url),
			    "http://%s/announcements.atom", http_listen);

		if (http_start(&http, &ho, &err) != 0) {
			log_error("node", "--http %s: %s; not serving",
			    http_listen, err.msg);
			status = 1;
			goto out;
		}
		log_info("node", "announcements feed: http://%s/"
		    "announcements.atom", http_listen);
	}
	if (sms_command == NULL)
		log_info("node", "no --sms-command: SMS wait in %s/new", obox);
	/* Until now a stop signal ends the process at once (LMDB is
	 * crash-safe, and a check or the demo may take a while); from here
	 * on it asks for a clean stop: the batch in hand is committed and
	 * answered first.  No SA_RESTART: the poll returns at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = node_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("node", "ready; Ctrl-C (SIGINT) or SIGTERM stops the node");
	if (serve_run(sv, &node_quit) != 0)
		status = 1;
	else
		log_info("node", "signal received: stopping");
	serve_counts(sv, &n);
	log_info("node", "served %llu requests (%llu errors, %llu refused) in "
	    "%llu group commits", (unsigned long long)n.requests,
	    (unsigned long long)n.errors, (unsigned long long)n.refused,
	    (unsigned long long)n.commits);
out:
	http_stop(http);
	serve_close(sv);
	sms_stop(sms);
	auth_stop(auth);
	zmq_ctx_term(zctx);
	return status;
}

/* --NAME MS: a whole number set with set (which says if it is in
 * min .. max); 0, or -1 with the reason on stderr. */
static int
node_opt_ms(const char *prog, const char *name, const char *arg,
    int (*set)(int), int min, int max)
{
	char *end;
	long ms = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || ms < INT_MIN || ms > INT_MAX ||
	    set((int)ms) != 0) {
		fprintf(stderr, "%s: --%s: '%s' is not a whole number from %d "
		    "to %d\n", prog, name, arg, min, max);
		return -1;
	}
	return 0;
}

int
node_main(int argc, char **argv, enum ld_level level)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "topology", required_argument, NULL, 't' },
		{ "data", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "demo", no_argument, NULL, 'D' },
		{ "check", no_argument, NULL, 'c' },
		{ "map-max", required_argument, NULL, 'm' },
		{ "sms-command", required_argument, NULL, 'S' },
		{ "migrate", no_argument, NULL, 'M' },
		{ "http", required_argument, NULL, 'H' },
		{ "pull-idle-ms", required_argument, NULL, 'P' },
		{ "link-dead-ms", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = level == LD_LEVEL_CITY ? "city-node" : "county-node";
	const char *id = NULL, *data = NULL, *topo_path = NULL, *key_path = NULL;
	const char *sms_command = NULL, *http_listen = NULL;
	struct ld_topo *topo;
	int demo = 0, check = 0, verbose = 0, migrate = 0, c, status = 0;
	size_t map_max = 0;
	struct ld_store_opts o;
	struct ld_store *s = NULL;
	struct ld_err err;
	struct ld_keypair kp;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 't': topo_path = optarg; break;
		case 'd': data = optarg; break;
		case 'k': key_path = optarg; break;
		case 'D': demo = 1; break;
		case 'S': sms_command = optarg; break;
		case 'M': migrate = 1; break;
		case 'H': http_listen = optarg; break;
		case 'P':
			if (node_opt_ms(prog, "pull-idle-ms", optarg,
			    fed_set_pull_idle, FED_PULL_IDLE_MIN,
			    FED_PULL_IDLE_MAX) != 0)
				return 2;
			break;
		case 'L':
			if (node_opt_ms(prog, "link-dead-ms", optarg,
			    fed_set_link_dead, FED_DEAD_MIN, FED_DEAD_MAX) != 0)
				return 2;
			break;
		case 'c': check = 1; break;
		case 'm': {
			char *end;
			unsigned long long mb;
			errno = 0;
			mb = strtoull(optarg, &end, 10);
			if (errno || *end || mb < 1 || mb > (1ULL << 24)) {
				fprintf(stderr, "%s: --map-max: '%s' is not a size "
				    "in MiB (1..16777216)\n", prog, optarg);
				return 2;
			}
			map_max = (size_t)mb << 20;
			break;
		}
		case 'v': verbose = 1; break;
		case 'h': node_usage(stdout, prog); return 0;
		case 'V': printf("%s %s\n", prog, LD_VERSION); return 0;
		default: node_usage(stderr, prog); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		node_usage(stderr, prog);
		return 2;
	}
	if (id == NULL || data == NULL || topo_path == NULL || key_path == NULL) {
		fprintf(stderr, "%s: --topology, --id, --key and --data are "
		    "required\n", prog);
		node_usage(stderr, prog);
		return 2;
	}
	if (!event_node_id_ok(id)) {
		fprintf(stderr, "%s: --id: '%s' is not a node id (1-8 of A-Z, "
		    "0-9, starting with a letter)\n", prog, id);
		return 2;
	}
	log_init(id, verbose ? LD_LOG_DEBUG : LD_LOG_INFO);
	if (ltime_clock_error()[0] != '\0') {
		log_error("node", "%s: not started on the wall clock instead",
		    ltime_clock_error());
		return 1;
	}
	if (ltime_clock_simulated()) {
		char now[24];

		ltime_format(ltime_now(), now, sizeof(now));
		log_info("node", "simulated clock (LD_CLOCK_FILE): now %s",
		    now);
	}
	topo = node_topology(topo_path, id, level);
	if (topo == NULL)
		return 1;
	if (node_key(topo, id, key_path, &kp) != 0) {
		topo_free(topo);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);

	memset(&o, 0, sizeof(o));
	o.dir = data;
	o.node = id;
	o.map_max = map_max;
	o.migrate = migrate != 0;
	if (store_open(&s, &o, &err) != 0) {
		log_error("store", "%s (%s)", err.msg, err_name(err.code));
		keyfile_wipe(&kp);
		topo_free(topo);
		return 1;
	}
	log_info("node", "%s %s started: %s level, data %s", prog, LD_VERSION,
	    level == LD_LEVEL_CITY ? "city (first)" : "county (second)", data);
	if (check) {
		if (store_rebuild(s, false, &err) != 0) {
			log_error("store", "rebuild check failed: %s", err.msg);
			keyfile_wipe(&kp);
			store_close(s);
			topo_free(topo);
			return 1;
		}
		log_info("store", "rebuild check: views equal the event log");
	}
	if (demo) {
		if (demo_run(s, id, topo, stdout) != 0)
			status = 1;
		fflush(stdout);
	}
	node_report(s);
	if (status == 0)
		status = node_serve(topo, topo_node(topo, id), s, &kp, data,
		    sms_command, http_listen);
	if (status == 0)
		node_report(s);		/* what it holds as it stops */
	keyfile_wipe(&kp);
	store_close(s);
	topo_free(topo);
	log_info("node", "stopped cleanly");
	return status;
}
