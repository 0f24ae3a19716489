/* node.c - the daemons' shared main (see node.h). */
#include "node.h"
#include "log.h"
#include "ltime.h"
#include "ticket.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	    "usage: %s --id NODE --data DIR [--demo] [--check] [-v]\n"
	    "\n"
	    "Runs one liandong linkage node in the foreground; logs to stderr;\n"
	    "stops cleanly on SIGINT or SIGTERM.\n"
	    "\n"
	    "  --id NODE     this node's id (e.g. LY for the city, XA for Xin'an)\n"
	    "  --data DIR    the node's data directory (created if missing)\n"
	    "  --demo        run the article's cases on a simulated clock, then\n"
	    "                wait for Ctrl-C\n"
	    "  --check       replay the event log and compare with the views\n"
	    "                before serving (rebuild check)\n"
	    "  --map-max MB  largest database map (default 65536)\n"
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

int
node_main(int argc, char **argv, enum ld_level level)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "data", required_argument, NULL, 'd' },
		{ "demo", no_argument, NULL, 'D' },
		{ "check", no_argument, NULL, 'c' },
		{ "map-max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = level == LD_LEVEL_CITY ? "city-node" : "county-node";
	const char *id = NULL, *data = NULL;
	int demo = 0, check = 0, verbose = 0, c, status = 0;
	size_t map_max = 0;
	struct ld_store_opts o;
	struct ld_store *s = NULL;
	struct ld_err err;
	struct sigaction sa;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 'd': data = optarg; break;
		case 'D': demo = 1; break;
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
	if (id == NULL || data == NULL) {
		fprintf(stderr, "%s: --id and --data are required\n", prog);
		node_usage(stderr, prog);
		return 2;
	}
	if (!event_node_id_ok(id)) {
		fprintf(stderr, "%s: --id: '%s' is not a node id (1-8 of A-Z, "
		    "0-9, starting with a letter)\n", prog, id);
		return 2;
	}
	log_init(id, verbose ? LD_LOG_DEBUG : LD_LOG_INFO);

	signal(SIGPIPE, SIG_IGN);

	memset(&o, 0, sizeof(o));
	o.dir = data;
	o.node = id;
	o.map_max = map_max;
	if (store_open(&s, &o, &err) != 0) {
		log_error("store", "%s (%s)", err.msg, err_name(err.code));
		return 1;
	}
	log_info("node", "%s %s started: %s level, data %s", prog, LD_VERSION,
	    level == LD_LEVEL_CITY ? "city (first)" : "county (second)", data);
	if (check) {
		if (store_rebuild(s, false, &err) != 0) {
			log_error("store", "rebuild check failed: %s", err.msg);
			store_close(s);
			return 1;
		}
		log_info("store", "rebuild check: views equal the event log");
	}
	if (demo) {
		if (demo_run(s, id, stdout) != 0)
			status = 1;
		fflush(stdout);
	}
	node_report(s);
	if (status == 0) {
		sigset_t block, old;

		/* Until now a stop signal ends the process at once (LMDB is
		 * crash-safe, and a check or the demo may take a while); from
		 * here on it asks for a clean stop. */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &old);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = node_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		log_info("node", "ready; Ctrl-C (SIGINT) or SIGTERM stops the node");
		while (!node_quit)
			sigsuspend(&old);	/* no lost wake-up */
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_info("node", "signal received: stopping");
	}
	store_close(s);
	log_info("node", "stopped cleanly");
	return status;
}
