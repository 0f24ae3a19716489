/*
 * liandong-replay - the article's year (2010-12-01 .. 2011-12-06) played
 * through a real running federation (the city LY and the counties XA, YS
 * and MJ) in simulated time, then the city's report beside the article's
 * figures.  See docs/replay.md.
 *
 *   liandong-replay                      the whole year, and the cut-over
 *                                        of 2012-01-10 00:00-06:00
 *   liandong-replay --window 2011-11-14 7 --scale 100 --cut 2011-11-17
 *                                        a week at a tenth, with a cut
 *   ... --json                           one JSON object per line
 *
 * Exit status: 0 when the city's figures equal the plan's, the counties
 * agree with the city and every request was taken; 1 otherwise; 2 on a
 * usage error.
 */
#include "bench.h"
#include "ltime.h"
#include "replay.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: liandong-replay [options]\n"
    "\n"
    "Play the article's year through a federation of four real nodes (the\n"
    "city LY, the counties XA, YS, MJ) on a simulated clock, then compare\n"
    "the city's report with the article's figures (docs/replay.md).\n"
    "\n"
    "  --seed N             the random choices (default 2011)\n"
    "  --window DAY N       only N days from DAY (YYYY-MM-DD) of the year\n"
    "  --scale PERMILLE     of the window's traffic (default 1000)\n"
    "  --cut DAY[:H-H]      cut XA's line to the city on DAY from hour H to\n"
    "                       hour H (default 2012-01-10:0-6 for the year,\n"
    "                       none for a window); --cut none: no cut\n"
    "  --dir DIR            work there (an empty dir) and keep it; default a\n"
    "                       temp dir, removed at the end\n"
    "  --keep               keep the temp dir\n"
    "  --port N             the first of 100 loopback ports (default 24000)\n"
    "  --inflight N         requests in flight per connection (default 512)\n"
    "  --json               one JSON object per line instead of the table\n"
    "  --quiet              no progress lines\n"
    "  --help\n";

static int
parse_day(const char *s, uint32_t *day)
{
	int64_t t;
	char buf[40];

	if (strlen(s) != 10)
		return -1;
	snprintf(buf, sizeof(buf), "%s 00:00", s);
	t = ltime_parse(buf);
	if (t < 0)
		return -1;
	*day = ltime_day(t);
	return 0;
}

static int
parse_cut(const char *s, struct replay_opts *o)
{
	char day[16];
	int a = 0, b = 6;

	if (strcmp(s, "none") == 0) {
		o->cut_day = 0;
		return 0;
	}
	snprintf(day, sizeof(day), "%.10s", s);
	if (parse_day(day, &o->cut_day) != 0)
		return -1;
	if (s[10] == ':' && (sscanf(s + 11, "%d-%d", &a, &b) != 2 || a < 0 ||
	    b > 24 || a >= b))
		return -1;
	if (s[10] != ':' && s[10] != '\0')
		return -1;
	o->cut_from_h = a;
	o->cut_to_h = b;
	return 0;
}

static void
fig_row(const char *name, uint64_t article, uint64_t got, bool check)
{
	printf("  %-26s %12llu %12llu   %s\n", name,
	    (unsigned long long)article, (unsigned long long)got,
	    !check ? "" : article == got ? "equal" : "DIFFERENT");
}

static void
print_table(const struct replay_opts *o, const struct replay_result *r,
    const char *mline)
{
	const struct ld_rep_fig *e = &r->expect, *g = &r->got;
	char a[24], b[24];
	uint64_t ev = 0;

	ltime_format(r->sim_first, a, sizeof(a));
	ltime_format(r->sim_last, b, sizeof(b));
	printf("machine: %s\n", mline);
	printf("replay: seed %llu, %s, simulated %s .. %s\n",
	    (unsigned long long)o->seed, o->from ? "a window" :
	    "the article's year", a, b);
	printf("\nThe city's report over %u .. %u beside the %s:\n",
	    r->period_from, r->period_to, o->from ? "plan" : "article");
	printf("  %-26s %12s %12s\n", "figure", o->from ? "plan" : "article",
	    "replay");
	fig_row("calls in", e->calls_in, g->calls_in, true);
	fig_row("answered", e->answered, g->answered, true);
	fig_row("valid requests", e->valid, g->valid, true);
	fig_row("linkage requests", e->linkage, g->linkage, true);
	fig_row("tickets", e->tickets, g->tickets, true);
	fig_row("completed", e->completed, g->completed, true);
	fig_row("in progress", e->in_progress, g->in_progress, true);
	printf("  %-26s %11.1f%% %11.1f%%\n", "completion rate",
	    e->tickets ? 100.0 * (double)e->completed / (double)e->tickets : 0,
	    g->tickets ? 100.0 * (double)g->completed / (double)g->tickets : 0);
	printf("  %-26s %12s %11.1f%%   %s\n", "satisfaction", "> 93%",
	    r->satisfaction_pm / 10.0, r->satisfaction_pm > 930 ? "above" :
	    "NOT ABOVE");
	printf("  %-26s %12s %12llu\n", "urged", "",
	    (unsigned long long)g->urged);
	printf("  %-26s %12s %12llu\n", "supervised", "",
	    (unsigned long long)g->supervised);
	printf("  %-26s %12s %12llu\n", "incidents", "",
	    (unsigned long long)g->incidents);
	printf("\nwhat was played: %llu calls, %llu tickets (%llu handed down, "
	    "%llu escalated, %llu attached to %llu incidents); %llu requests, "
	    "%llu answered with an error and sent again later (%llu waited for "
	    "the cut line), %llu given up\n",
	    (unsigned long long)r->calls, (unsigned long long)r->tickets,
	    (unsigned long long)r->handdowns,
	    (unsigned long long)r->escalations,
	    (unsigned long long)r->attached, (unsigned long long)r->incidents,
	    (unsigned long long)r->requests, (unsigned long long)r->retries,
	    (unsigned long long)r->cut_deferred,
	    (unsigned long long)r->failed);
	printf("the counties agree with the city afterwards: %s\n",
	    r->agreed ? "yes" : "NO");
	if (o->cut_day != 0)
		printf("the cut: %u %02d:00-%02d:00, XA's line swallowed %llu "
		    "bytes\n", o->cut_day, o->cut_from_h, o->cut_to_h,
		    (unsigned long long)r->cut_swallowed);
	if (r->failure[0])
		printf("first failure: %s\n", r->failure);
	printf("\n  %-4s %12s %12s %10s %8s %14s %14s %10s %13s\n", "node",
	    "events", "requests", "commits", "CPU s", "peak anon MiB",
	    "peak file MiB", "db MiB", "db MiB/M tkt");
	for (int i = 0; i < r->proc.n; i++) {
		const struct rproc_node *n = &r->proc.node[i];

		ev += n->events;
		printf("  %-4s %12llu %12llu %10llu %8.1f %14.1f %14.1f %10.1f "
		    "%13.1f\n", n->id, (unsigned long long)n->events,
		    (unsigned long long)n->requests,
		    (unsigned long long)n->commits, n->cpu_s,
		    n->peak_anon_kib / 1024.0,
		    n->peak_file_kib / 1024.0, n->db_bytes / 1048576.0,
		    r->tickets ? n->db_bytes / 1048576.0 * 1e6 /
		    (double)r->tickets : 0.0);
	}
	printf("\nwall time %.1f s for %llu requests: %.0f requests/s; the city "
	    "holds %llu events: %.0f events/s (all nodes: %llu events, %.0f/s)\n",
	    r->wall_s, (unsigned long long)r->requests, r->wall_s > 0 ?
	    (double)r->requests / r->wall_s : 0,
	    (unsigned long long)r->proc.node[0].events, r->wall_s > 0 ?
	    (double)r->proc.node[0].events / r->wall_s : 0,
	    (unsigned long long)ev, r->wall_s > 0 ? (double)ev / r->wall_s :
	    0);
}

static void
print_json(const struct replay_result *r, const char *mline)
{
	const struct ld_rep_fig *e = &r->expect, *g = &r->got;
	uint64_t ev = 0;
	char fig[64];

	bench_json_text("replay", "machine", mline);
	bench_json_num("replay", "wall_s", r->wall_s, "s", 0);
	bench_json_num("replay", "requests_per_s", r->wall_s > 0 ?
	    (double)r->requests / r->wall_s : 0, "req/s", 0);
	bench_json_num("replay", "city_events_per_s", r->wall_s > 0 ?
	    (double)r->proc.node[0].events / r->wall_s : 0, "events/s", 0);
	bench_json_num("replay", "calls_in", (double)g->calls_in, "calls",
	    (double)e->calls_in);
	bench_json_num("replay", "answered", (double)g->answered, "calls",
	    (double)e->answered);
	bench_json_num("replay", "valid", (double)g->valid, "requests",
	    (double)e->valid);
	bench_json_num("replay", "linkage", (double)g->linkage, "requests",
	    (double)e->linkage);
	bench_json_num("replay", "completed", (double)g->completed, "tickets",
	    (double)e->completed);
	bench_json_num("replay", "in_progress", (double)g->in_progress,
	    "tickets", (double)e->in_progress);
	bench_json_num("replay", "satisfaction", r->satisfaction_pm / 10.0,
	    "%", 93.0);
	bench_json_num("replay", "requests", (double)r->requests, "requests",
	    0);
	bench_json_num("replay", "calls", (double)r->calls, "calls", 0);
	bench_json_num("replay", "tickets", (double)r->tickets, "tickets", 0);
	bench_json_num("replay", "handdowns", (double)r->handdowns, "tickets",
	    0);
	bench_json_num("replay", "escalations", (double)r->escalations,
	    "tickets", 0);
	bench_json_num("replay", "incidents", (double)r->incidents,
	    "incidents", 0);
	bench_json_num("replay", "attached", (double)r->attached, "tickets",
	    0);
	bench_json_num("replay", "cut_deferred", (double)r->cut_deferred,
	    "requests", 0);
	bench_json_num("replay", "cut_bytes_swallowed",
	    (double)r->cut_swallowed, "bytes", 0);
	bench_json_num("replay", "urged", (double)g->urged, "work orders", 0);
	bench_json_num("replay", "supervised", (double)g->supervised,
	    "work orders", 0);
	bench_json_num("replay", "retries", (double)r->retries, "requests", 0);
	bench_json_num("replay", "failed", (double)r->failed, "requests", 0);
	bench_json_text("replay", "counts_equal", r->counts_equal ? "yes" :
	    "no");
	bench_json_text("replay", "agreed", r->agreed ? "yes" : "no");
	for (int i = 0; i < r->proc.n; i++) {
		const struct rproc_node *n = &r->proc.node[i];

		ev += n->events;
		snprintf(fig, sizeof(fig), "events_%s", n->id);
		bench_json_num("replay", fig, (double)n->events, "events", 0);
		snprintf(fig, sizeof(fig), "peak_anon_%s", n->id);
		bench_json_num("replay", fig, n->peak_anon_kib / 1024.0, "MiB",
		    100.0);
		snprintf(fig, sizeof(fig), "peak_file_%s", n->id);
		bench_json_num("replay", fig, n->peak_file_kib / 1024.0, "MiB",
		    0);
		snprintf(fig, sizeof(fig), "db_per_million_tickets_%s", n->id);
		bench_json_num("replay", fig, r->tickets ? n->db_bytes /
		    1048576.0 * 1e6 / (double)r->tickets : 0, "MiB", 0);
	}
	bench_json_num("replay", "events_all_nodes", (double)ev, "events", 0);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "scale", required_argument, NULL, 'S' },
		{ "cut", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "port", required_argument, NULL, 'p' },
		{ "inflight", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const need[] = { "city-node", "county-node", NULL };
	struct replay_opts o;
	struct replay_result *r = calloc(1, sizeof(*r));
	struct bench_machine m;
	struct ld_err err;
	char dir[512] = "", bindir[512], city[600], county[600], mline[1024];
	bool keep = false, json = false, cut_set = false, own_dir = true;
	long v;
	int c, rc;

	if (r == NULL) {
		fprintf(stderr, "liandong-replay: out of memory\n");
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.seed = 2011;
	o.scale = 1000;
	o.port_base = 24000;
	o.window = 512;
	o.progress = true;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (bench_parse_long("--seed", optarg, 0, LONG_MAX, &v,
			    &err) != 0)
				goto bad;
			o.seed = (uint64_t)v;
			break;
		case 'w':
			if (parse_day(optarg, &o.from) != 0 || optind >= argc) {
				snprintf(err.msg, sizeof(err.msg), "--window DAY "
				    "N: DAY is YYYY-MM-DD, then a number of days");
				goto bad;
			}
			if (bench_parse_long("--window", argv[optind++], 1, 400,
			    &v, &err) != 0)
				goto bad;
			o.days = (int)v;
			break;
		case 'S':
			if (bench_parse_long("--scale", optarg, 1, 1000, &v,
			    &err) != 0)
				goto bad;
			o.scale = (uint32_t)v;
			break;
		case 'c':
			if (parse_cut(optarg, &o) != 0) {
				snprintf(err.msg, sizeof(err.msg), "--cut: '%.64s' "
				    "is not DAY[:H-H] (2012-01-10:0-6) or none",
				    optarg);
				goto bad;
			}
			cut_set = true;
			break;
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			own_dir = false;
			break;
		case 'k':
			keep = true;
			break;
		case 'p':
			if (bench_parse_long("--port", optarg, 1024, 65400, &v,
			    &err) != 0)
				goto bad;
			o.port_base = (int)v;
			break;
		case 'i':
			if (bench_parse_long("--inflight", optarg, 1, 4096, &v,
			    &err) != 0)
				goto bad;
			o.window = (int)v;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			o.progress = false;
			break;
		case 'h':
			fputs(usage, stdout);
			free(r);
			return 0;
		default:
			fputs(usage, stderr);
			free(r);
			return 2;
		}
	}
	if (optind < argc) {
		snprintf(err.msg, sizeof(err.msg), "unexpected argument '%.64s'",
		    argv[optind]);
		goto bad;
	}
	if (!cut_set && o.from == 0) {
		o.cut_day = 20120110;
		o.cut_from_h = 0;
		o.cut_to_h = 6;
	}
	if (bench_find_bindir(argv[0], need, bindir, sizeof(bindir), &err) !=
	    0) {
		fprintf(stderr, "liandong-replay: %s\n", err.msg);
		free(r);
		return 1;
	}
	snprintf(city, sizeof(city), "%s/city-node", bindir);
	snprintf(county, sizeof(county), "%s/county-node", bindir);
	o.city_bin = city;
	o.county_bin = county;
	if (own_dir && bench_workdir("liandong-replay", dir, sizeof(dir),
	    &err) != 0) {
		fprintf(stderr, "liandong-replay: %s\n", err.msg);
		free(r);
		return 1;
	}
	o.dir = dir;
	bench_machine_get(dir, &m);
	bench_machine_line(&m, true, mline, sizeof(mline));
	rc = replay_run(&o, r, &err);
	if (rc != 0) {
		fprintf(stderr, "liandong-replay: %s\n", err.msg);
		for (int i = 0; i < r->proc.n; i++)
			bench_show_log(r->proc.node[i].log);
	} else if (json) {
		print_json(r, mline);
	} else {
		print_table(&o, r, mline);
	}
	rc = rc == 0 && r->counts_equal && r->agreed && r->failed == 0 &&
	    r->satisfaction_pm > 930 ? 0 : 1;
	/* a failed run keeps its dir: the messages above name its logs
	 * (unless it failed before writing anything: an empty dir goes) */
	if (own_dir && !keep && rc == 0)
		bench_rm_tree("liandong-replay", dir);
	else if (!(own_dir && !keep && rmdir(dir) == 0))
		fprintf(stderr, "liandong-replay: the work dir is %s\n", dir);
	free(r);
	return rc;
bad:
	fprintf(stderr, "liandong-replay: %s\n%s", err.msg, usage);
	free(r);
	return 2;
}
