/*
 * bench-report.c - how long the monthly assessment and the year report
 * take over a store of a million-ticket year, beside the time to scan the
 * same events raw (what a report without counters would at least cost).
 *
 *   bench-report [--tickets N] [--store DIR] [--runs N] [--json]
 *
 * The store is generated first (not timed as the figure): N tickets over
 * 2011 (a July peak, as in the article), each with its call (received,
 * answered, classified) and its life (created, dispatched to one of the
 * topology's units, signed, completed, reported, called back, closed;
 * some late, urged or returned and re-routed), committed in batches
 * without fsync.  With --store DIR an existing store of a previous run is
 * reused (generated there if absent).  Then, in one run: the July
 * assessment and the year report (assess_report, the `report` op's
 * code), and a raw scan that decodes July's events, and all the year's.
 * Target (issue 6): the month under 1 s for a million-ticket year.
 */
#include "assess.h"
#include "bench.h"
#include "codec.h"
#include "ltime.h"
#include "report.h"
#include "store.h"
#include "topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BR_BATCH 500		/* tickets per commit */
#define BR_EV_MAX 12		/* events per ticket */

static const char *br_prog = "bench-report";

static void
br_die(const char *what, const struct ld_err *err)
{
	fprintf(stderr, "%s: %s: %s\n", br_prog, what, err->msg);
	exit(1);
}

struct br_gen {
	struct ld_store *s;
	const struct ld_topo *t;
	uint64_t rnd;
	struct ld_event *ev;		/* BR_BATCH * BR_EV_MAX */
	struct ld_store_item *it;
	size_t n;
	uint64_t july_first, aug_first;	/* applied index of the first event */
};

/* The time of ticket i of n over 2011, a local day with more in July. */
static int64_t
br_when(struct br_gen *g, uint64_t i, uint64_t n)
{
	/* days weighted: July twice as busy as an ordinary month */
	double x = (double)i / (double)n, acc = 0;
	static const double w[12] = { 1, 1, 1, 1, 1, 1, 2, 1.2, 1, 1, 1, 1 };
	double tot = 0;
	int m = 0;

	for (int k = 0; k < 12; k++)
		tot += w[k];
	while (m < 11 && acc + w[m] / tot <= x)
		acc += w[m++] / tot;
	{
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
			31, 30, 31 };
		double f = (x - acc) / (w[m] / tot);
		int day = 1 + (int)(f * mdays[m]);
		int64_t t0;

		if (day > mdays[m])
			day = mdays[m];
		t0 = ltime_day_start((uint32_t)(20110000 + (m + 1) * 100 + day));
		return t0 + 8 * 3600000LL + (int64_t)(bench_rand(&g->rnd) %
		    (12 * 3600000ULL));
	}
}

static struct ld_event *
br_next(struct br_gen *g, enum ld_event_kind k, int64_t t, bool joined)
{
	struct ld_event *ev = &g->ev[g->n];
	struct ld_store_item *it = &g->it[g->n++];

	event_init(ev, k, "LY", t, "op:op-ly-wang", "");
	memset(it, 0, sizeof(*it));
	it->ev = ev;
	it->joined = joined;
	return ev;
}

static void
br_flush(struct br_gen *g)
{
	struct ld_err err;

	if (g->n == 0)
		return;
	if (store_commit(g->s, g->it, g->n, INT64_MAX / 2, &err) != 0)
		br_die("commit", &err);
	for (size_t i = 0; i < g->n; i++)
		if (g->it[i].rc != 0)
			br_die(event_kind_name(g->ev[i].kind), &g->it[i].err);
	g->n = 0;
}

/* One call and one ticket's life, as one call group and one ticket
 * group. */
static void
br_ticket(struct br_gen *g, uint64_t i, uint64_t n)
{
	int64_t t = br_when(g, i, n), due_s, due_d;
	uint64_t r = bench_rand(&g->rnd);
	const char *unit = g->t->units[r % (uint64_t)g->t->n_units].id;
	const char *other = g->t->units[(r / 7 + 1) %
	    (uint64_t)g->t->n_units].id;
	bool late = r % 10 == 0, returned = r % 50 == 1 &&
	    strcmp(unit, other) != 0;
	struct ld_event *ev;
	char call[24];
	unsigned wo = 1;

	snprintf(call, sizeof(call), "c%llu", (unsigned long long)i);
	ev = br_next(g, LD_EV_CALL_RECEIVED, t, false);
	event_set_str(ev, LD_F_CALL, call);
	event_set_str(ev, LD_F_PHONE, "13800000000");
	ev = br_next(g, LD_EV_CALL_ANSWERED, t + 1000, false);
	event_set_str(ev, LD_F_CALL, call);
	ev = br_next(g, LD_EV_CALL_CLASSIFIED, t + 2000, false);
	event_set_str(ev, LD_F_CALL, call);
	event_set_bool(ev, LD_F_VALID, true);
	event_set_uint(ev, LD_F_CLASS, LD_CLASS_LINKAGE);

	t += 60000;
	ev = br_next(g, LD_EV_TICKET_CREATED, t, false);
	event_set_str(ev, LD_F_PHONE, "13900000000");
	event_set_str(ev, LD_F_PLACE, "洛阳市洛龙区王城大道与关林路交叉口西北50米");
	event_set_str(ev, LD_F_AREA, "luolong");
	event_set_str(ev, LD_F_TEXT, "井盖丢失，行人车辆通行危险，请尽快处理。");
	event_set_str(ev, LD_F_CATEGORY, "manhole.unicom");
	event_set_uint(ev, LD_F_URGENCY, 3);
	due_s = t + 30 * 60000;
	due_d = t + 4 * 3600000LL;
	ev = br_next(g, LD_EV_DISPATCHED, t, true);
	event_set_uint(ev, LD_F_WO, wo);
	event_set_str(ev, LD_F_UNIT, unit);
	event_set_time(ev, LD_F_DUE_SIGN, due_s);
	event_set_time(ev, LD_F_DUE_DONE, due_d);
	if (returned) {
		ev = br_next(g, LD_EV_RETURNED, t + 600000, true);
		event_set_uint(ev, LD_F_WO, wo);
		event_set_str(ev, LD_F_REASON, "not ours");
		ev = br_next(g, LD_EV_DISPATCHED, t + 900000, true);
		event_set_uint(ev, LD_F_WO, ++wo);
		event_set_str(ev, LD_F_UNIT, other);
		event_set_uint(ev, LD_F_REPLACES, 1);
		event_set_time(ev, LD_F_DUE_SIGN, due_s + 900000);
		event_set_time(ev, LD_F_DUE_DONE, due_d + 900000);
		t += 900000;
	}
	if (late) {
		ev = br_next(g, LD_EV_URGED, due_s + 60000, true);
		event_set_uint(ev, LD_F_WO, wo);
	}
	ev = br_next(g, LD_EV_SIGNED, late ? due_s + 120000 : t + 600000, true);
	event_set_uint(ev, LD_F_WO, wo);
	t = late ? due_d + 3600000 : t + 3 * 3600000LL;
	ev = br_next(g, LD_EV_COMPLETED, t, true);
	event_set_uint(ev, LD_F_WO, wo);
	event_set_str(ev, LD_F_RESULT, "已更换井盖");
	ev = br_next(g, LD_EV_REPORTED, t + 600000, true);
	event_set_str(ev, LD_F_NOTE, "电话告知");
	ev = br_next(g, LD_EV_CALLBACK, t + 86400000LL, true);
	event_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE);
	event_set_uint(ev, LD_F_SATISFACTION, r % 20 == 3 ? LD_SAT_UNSATISFIED :
	    r % 5 == 2 ? LD_SAT_BASIC : LD_SAT_SATISFIED);
	br_next(g, LD_EV_CLOSED, t + 86400000LL + 60000, true);
}

static void
br_generate(struct br_gen *g, uint64_t n)
{
	int64_t t0 = bench_ns();
	uint64_t july = 0, aug = 0;

	for (uint64_t i = 0; i < n; i++) {
		int64_t t = br_when(g, i, n);

		if (july == 0 && ltime_day(t) >= 20110701)
			july = i + 1;
		if (aug == 0 && ltime_day(t) >= 20110801)
			aug = i + 1;
		if (g->n + BR_EV_MAX > (size_t)BR_BATCH * BR_EV_MAX)
			br_flush(g);
		if (july == i + 1 || aug == i + 1) {
			br_flush(g);
			if (july == i + 1)
				g->july_first = store_applied_last(g->s) + 1;
			else
				g->aug_first = store_applied_last(g->s) + 1;
		}
		br_ticket(g, i, n);
		if (i % 100000 == 99999)
			fprintf(stderr, "%s: %llu tickets generated (%.0f s)\n",
			    br_prog, (unsigned long long)i + 1,
			    (double)(bench_ns() - t0) / 1e9);
	}
	br_flush(g);
}

/* ---- the raw scan ---------------------------------------------------------- */

struct br_scan {
	uint64_t until;		/* last index to look at */
	uint64_t events, kinds[LD_EV__COUNT];
	struct ld_event ev;
	bool bad;
};

static int
br_scan_cb(uint64_t idx, const char *origin, uint64_t seq, const uint8_t *buf,
    size_t len, void *arg)
{
	struct br_scan *x = arg;
	struct ld_err err;

	(void)origin;
	(void)seq;
	if (idx > x->until)
		return 1;
	if (codec_event_decode(buf, len, &x->ev, &err) != 0) {
		x->bad = true;
		return 1;
	}
	x->events++;
	x->kinds[x->ev.kind]++;
	return 0;
}

static double
br_raw(struct ld_store *s, uint64_t from, uint64_t until, uint64_t *events)
{
	struct br_scan *x = calloc(1, sizeof(*x));
	struct ld_err err;
	int64_t t0 = bench_ns();
	double sec;

	x->until = until;
	if (store_applied_after(s, from > 0 ? from - 1 : 0, br_scan_cb, x,
	    &err) != 0)
		br_die("raw scan", &err);
	sec = (double)(bench_ns() - t0) / 1e9;
	if (x->bad)
		fprintf(stderr, "%s: an event did not decode\n", br_prog);
	*events = x->events;
	free(x);
	return sec;
}

static double
br_report(struct ld_store *s, const struct ld_topo *t, uint32_t from,
    uint32_t to, struct ld_report *r)
{
	struct ld_err err;
	int64_t t0 = bench_ns();

	if (assess_report(s, t, topo_node(t, "LY"), from, to, ltime_now(), r,
	    &err) != 0)
		br_die("report", &err);
	return (double)(bench_ns() - t0) / 1e9;
}

/* Save or load where July and August start in the applied log
 * (DIR/bench-report.pos), for --store. */
static bool
br_pos(const char *dir, struct br_gen *g, bool save)
{
	char path[600];
	unsigned long long a = 0, b = 0;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/bench-report.pos", dir);
	f = fopen(path, save ? "w" : "r");
	if (f == NULL)
		return false;
	if (save) {
		ok = fprintf(f, "%llu %llu\n", (unsigned long long)g->july_first,
		    (unsigned long long)g->aug_first) > 0;
	} else {
		ok = fscanf(f, "%llu %llu", &a, &b) == 2;
		g->july_first = a;
		g->aug_first = b;
	}
	return fclose(f) == 0 && ok;
}

static int
br_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
br_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), br_cmp);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	long tickets = 1000000, runs = 5;
	const char *keep = NULL, *topology = "topology.example";
	char dir[512], line[512];
	bool json = false, fresh = true;
	struct ld_store_opts o = { 0 };
	struct ld_store_stats st;
	struct bench_machine mach;
	struct ld_topo *t = NULL;
	struct br_gen g = { .rnd = 2011 };
	struct ld_report *r = malloc(sizeof(*r));
	struct ld_err err;
	double m[32], y[32], raw_m, raw_y, gen_s = 0;
	uint64_t ev_m, ev_y;
	struct stat sb;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--tickets") == 0 && i + 1 < argc) {
			if (bench_parse_long("--tickets", argv[++i], 1000,
			    10000000, &tickets, &err) != 0)
				br_die("usage", &err);
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			if (bench_parse_long("--runs", argv[++i], 1, 31, &runs,
			    &err) != 0)
				br_die("usage", &err);
		} else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			keep = argv[++i];
		} else if (strcmp(argv[i], "--topology") == 0 && i + 1 < argc) {
			topology = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--tickets N] [--runs N] "
			    "[--store DIR] [--topology FILE] [--json]\n",
			    br_prog);
			return 2;
		}
	}
	if (r == NULL || topo_load(topology, &t) != 0) {
		fprintf(stderr, "%s: %s: cannot load the topology\n", br_prog,
		    topology);
		return 1;
	}
	if (keep != NULL) {
		snprintf(dir, sizeof(dir), "%s", keep);
		fresh = stat(dir, &sb) != 0;
	} else if (bench_workdir("bench-report", dir, sizeof(dir), &err) != 0) {
		br_die("work dir", &err);
	}
	o.dir = dir;
	o.node = "LY";
	o.no_sync = true;
	if (store_open(&g.s, &o, &err) != 0)
		br_die(dir, &err);
	g.t = t;
	if (fresh || store_applied_last(g.s) == 0) {
		int64_t t0 = bench_ns();

		g.ev = malloc((size_t)BR_BATCH * BR_EV_MAX * sizeof(*g.ev));
		g.it = malloc((size_t)BR_BATCH * BR_EV_MAX * sizeof(*g.it));
		if (g.ev == NULL || g.it == NULL) {
			fprintf(stderr, "%s: out of memory\n", br_prog);
			return 1;
		}
		br_generate(&g, (uint64_t)tickets);
		gen_s = (double)(bench_ns() - t0) / 1e9;
		free(g.ev);
		free(g.it);
		/* where July starts, for a reused store */
		br_pos(dir, &g, true);
	} else if (!br_pos(dir, &g, false)) {
		fprintf(stderr, "%s: %s: no bench-report.pos (not a store "
		    "this benchmark made)\n", br_prog, dir);
		return 1;
	}
	store_stats(g.s, &st);

	uint64_t m_tickets = 0, m_units = 0, y_tickets = 0, y_received = 0;

	for (long i = 0; i < runs; i++) {
		m[i] = br_report(g.s, t, 20110701, 20110731, r);
		m_tickets = r->total.tickets;
		m_units = r->n_units;
		y[i] = br_report(g.s, t, 20110101, 20111231, r);
		y_tickets = r->total.tickets;
		y_received = 0;
		for (unsigned k = 0; k < r->n_units; k++)
			y_received += r->units[k].received;
	}
	raw_m = br_raw(g.s, g.july_first, g.aug_first - 1, &ev_m);
	raw_y = br_raw(g.s, 1, UINT64_MAX, &ev_y);
	double med_m = br_median(m, (int)runs), med_y = br_median(y, (int)runs);

	bench_machine_get(dir, &mach);
	bench_machine_line(&mach, false, line, sizeof(line));
	if (json) {
		bench_json_text("report", "machine", line);
		bench_json_num("report", "tickets", (double)st.tickets, "tickets",
		    0);
		bench_json_num("report", "events", (double)st.events, "events",
		    0);
		bench_json_num("report", "month report", med_m * 1e3, "ms",
		    raw_m * 1e3);
		bench_json_num("report", "year report", med_y * 1e3, "ms",
		    raw_y * 1e3);
		bench_json_num("report", "raw scan of the month", raw_m * 1e3,
		    "ms", 0);
		bench_json_num("report", "raw scan of the year", raw_y * 1e3, "ms",
		    0);
	} else {
		printf("bench-report: the monthly assessment and the year "
		    "report over a %llu-ticket year\n", (unsigned long long)
		    st.tickets);
		printf("machine: %s\n", line);
		if (gen_s > 0)
			printf("store generated in %.1f s (not a figure): %llu "
			    "events, %.0f MiB\n", gen_s, (unsigned long long)
			    st.events, (double)st.used_bytes / 1048576.0);
		printf("July: %llu tickets, %llu units assessed; the year: %llu "
		    "tickets, %llu work orders received\n",
		    (unsigned long long)m_tickets, (unsigned long long)m_units,
		    (unsigned long long)y_tickets,
		    (unsigned long long)y_received);
		printf("\n%-34s %12s %14s %10s\n", "figure", "ours (ms)",
		    "raw scan (ms)", "ratio");
		printf("%-34s %12.3f %14.1f %10.5f\n", "month report (July 2011)",
		    med_m * 1e3, raw_m * 1e3, med_m / raw_m);
		printf("%-34s %12.3f %14.1f %10.5f\n", "year report (2011)",
		    med_y * 1e3, raw_y * 1e3, med_y / raw_y);
		printf("\nmedian of %ld runs; raw scan: decode July's %llu "
		    "events / the year's %llu, once.\ntarget: the month under "
		    "1 s: %s\n", runs, (unsigned long long)ev_m,
		    (unsigned long long)ev_y, med_m < 1.0 ? "met" : "NOT met");
	}
	store_close(g.s);
	if (keep == NULL)
		bench_rm_tree(br_prog, dir);
	topo_free(t);
	free(r);
	return 0;
}
