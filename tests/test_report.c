/*
 * test_report.c - the report (shared/report*.c): rates and rounding, the
 * unit's score against scores worked out by hand, ranking, the nodes' own
 * assessments (summed, scored by hand, ranked in place), the text
 * table's figures and alignment, CSV read back by an RFC 4180 reader,
 * HTML with balanced tags and escaped names, and the result map: round
 * trip, errors naming the place, every truncation, random byte flips.
 */
#include "testutil.h"

#include "codec_mp.h"
#include "ltime.h"
#include "proto.h"
#include "report.h"

#include <inttypes.h>
#include <limits.h>

#define ZHUJIAN "洛阳市住房和城乡建设委员会"	/* 13 characters, 26 columns */
#define COMMA_NAME "Water, \"Group\" Co."
#define ANGLE_NAME "Unicom <&> 'Luoyang'"

/* ---- helpers ------------------------------------------------------------ */

static const struct ld_topo_assess tr_defaults = { 20, 30, 20, 30, 10, 20,
	40, 2, 2011, 0 };

static struct ld_rep_unit
tr_unit(const char *id, uint64_t rec, uint64_t sign, uint64_t done,
    uint64_t ontime, uint64_t cb, uint64_t sat, uint64_t basic)
{
	struct ld_rep_unit u;

	memset(&u, 0, sizeof(u));
	snprintf(u.id, sizeof(u.id), "%s", id);
	snprintf(u.name, sizeof(u.name), "unit %s", id);
	snprintf(u.node, sizeof(u.node), "LY");
	u.received = rec;
	u.signed_on_time = sign;
	u.completed = done;
	u.completed_on_time = ontime;
	u.callbacks = cb;
	u.satisfied = sat;
	u.basic = basic;
	u.unsatisfied = cb - sat - basic;
	return u;
}

_Static_assert(sizeof(((struct ld_rep_unit *)0)->id) >= LD_NODE_MAX + 1 &&
    sizeof(((struct ld_rep_unit *)0)->name) ==
    sizeof(((struct ld_rep_node *)0)->name), "a node's assessment");

/* The nodes' own assessments, as the node fills them (assess.c): the sum
 * of the counters of the units at home there, scored, ranked among the
 * nodes. */
static void
tr_node_sum(struct ld_report *r)
{
	for (unsigned i = 0; i < r->n_nodes; i++) {
		struct ld_rep_node *n = &r->nodes[i];
		struct ld_rep_unit *w = &n->wo;

		memset(w, 0, sizeof(*w));
		/* the strings fit: ids of at most LD_NODE_MAX, names alike */
		memcpy(w->id, n->id, strlen(n->id));
		memcpy(w->name, n->name, strlen(n->name));
		memcpy(w->node, n->id, strlen(n->id));
		for (unsigned k = 0; k < r->n_units; k++) {
			const struct ld_rep_unit *u = &r->units[k];

			if (strcmp(u->node, n->id) != 0)
				continue;
			/* the 13 counters, received .. unsatisfied */
			for (unsigned c = 0; c < 13; c++)
				(&w->received)[c] += (&u->received)[c];
		}
		report_score(w, &r->formula);
	}
	report_rank_nodes(r);
}

/* The article's report (docs DOMAIN: 2010-12-01 to 2011-12-06), with
 * three nodes, three months and five units; calloc'ed.  The units are
 * at home in LY (zhujian, power), XA (water, unicom) and YS (xumu). */
static struct ld_report *
tr_article(void)
{
	struct ld_report *r = calloc(1, sizeof(*r));
	struct ld_rep_unit *u;

	assert_non_null(r);
	snprintf(r->federation, sizeof(r->federation), "洛阳市110应急联动服务平台");
	snprintf(r->node, sizeof(r->node), "LY");
	snprintf(r->node_name, sizeof(r->node_name), "洛阳市");
	r->day_from = 20101201;
	r->day_to = 20111206;
	r->days = 371;
	r->generated_ms = 1323219600000LL;	/* 2011-12-07 09:00 local */
	r->total = (struct ld_rep_fig){ .calls_in = 1321215,
		.answered = 1121250, .valid = 365946, .linkage = 158978,
		.tickets = 158978, .completed = 158252, .in_progress = 726,
		.callbacks = 10000, .satisfied = 8500, .basic = 850,
		.unsatisfied = 650, .urged = 321, .supervised = 45,
		.returned = 210, .incidents = 1900, .attached = 3100,
		.incidents_closed = 1880, .incident_minutes = 1880 * 270 };
	r->has_prev = true;
	r->prev = (struct ld_rep_fig){ .calls_in = 1056972,
		.answered = 849432, .valid = 221785, .linkage = 100000,
		.tickets = 100000, .completed = 99000, .in_progress = 1000,
		.incidents = 1520, .attached = 2000 };
	r->peak_month = 201107;
	r->peak_month_calls = 117068;
	r->peak_month_linkage = 23444;
	r->peak_day = 20110831;
	r->peak_day_calls = 4838;
	r->peak_day_linkage = 871;
	r->n_months = 3;
	for (unsigned i = 0; i < 3; i++) {
		r->months[i].key = 201107 + i;
		r->months[i].fig.calls_in = 117068 - 1000 * i;
		r->months[i].fig.tickets = 14000 + i;
		r->months[i].fig.completed = 13990 + i;
		r->months[i].fig.incidents = 150 + i;
		r->months[i].fig.attached = 200 + i;
	}
	r->n_nodes = 3;
	snprintf(r->nodes[0].id, sizeof(r->nodes[0].id), "LY");
	snprintf(r->nodes[0].name, sizeof(r->nodes[0].name), "洛阳市");
	snprintf(r->nodes[1].id, sizeof(r->nodes[1].id), "XA");
	snprintf(r->nodes[1].name, sizeof(r->nodes[1].name), "新安县");
	snprintf(r->nodes[2].id, sizeof(r->nodes[2].id), "YS");
	snprintf(r->nodes[2].name, sizeof(r->nodes[2].name), "偃师市");
	r->nodes[0].fig = r->total;
	r->nodes[1].fig.calls_in = 90210;
	r->nodes[1].fig.incidents = 120;
	r->nodes[1].fig.attached = 77;
	r->nodes[2].fig.calls_in = 80111;
	r->formula = tr_defaults;
	r->n_units = 5;
	u = r->units;
	u[0] = tr_unit("zhujian", 10, 9, 10, 8, 5, 4, 0);
	snprintf(u[0].name, sizeof(u[0].name), ZHUJIAN);
	u[0].returned = 1;
	u[0].urged = 1;
	u[1] = tr_unit("power", 8, 8, 8, 8, 4, 4, 0);
	snprintf(u[1].name, sizeof(u[1].name), "Luoyang Power Supply");
	u[1].returned = 1;
	u[1].urged = 1;
	u[2] = tr_unit("water", 3, 2, 3, 2, 0, 0, 0);
	snprintf(u[2].name, sizeof(u[2].name), COMMA_NAME);
	snprintf(u[2].node, sizeof(u[2].node), "XA");
	u[3] = tr_unit("unicom", 2, 2, 1, 0, 0, 0, 0);
	snprintf(u[3].name, sizeof(u[3].name), ANGLE_NAME);
	snprintf(u[3].node, sizeof(u[3].node), "XA");
	u[3].urged = 4;
	u[3].supervised = 2;
	u[4] = tr_unit("xumu", 0, 0, 0, 0, 0, 0, 0);
	snprintf(u[4].name, sizeof(u[4].name), "市畜牧局");
	snprintf(u[4].node, sizeof(u[4].node), "YS");
	for (unsigned i = 0; i < r->n_units; i++)
		report_score(&u[i], &r->formula);
	report_rank(r);
	tr_node_sum(r);
	return r;
}

/* Run a printer into memory; the text, NUL-terminated (free it). */
static char *
tr_print(int (*print)(const struct ld_report *, FILE *),
    const struct ld_report *r)
{
	/* the stream's pointers on the heap: GCC's -Wdangling-pointer
	 * otherwise thinks a local's address outlives the call */
	struct { char *text; size_t n; } *m = calloc(1, sizeof(*m));
	char *text;
	FILE *f;

	assert_non_null(m);
	f = open_memstream(&m->text, &m->n);
	assert_non_null(f);
	assert_int_equal(print(r, f), 0);
	assert_int_equal(fclose(f), 0);
	text = m->text;
	free(m);
	return text;
}

static void
tr_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("output lacks '%s':\n%s", want, text);
}

/* ---- rates and rounding ------------------------------------------------- */

static void
test_rates(void **state)
{
	struct ld_rep_fig g = { .tickets = 158978, .completed = 158252,
		.callbacks = 5, .satisfied = 4 };
	char b[16];

	(void)state;
	assert_int_equal(report_permille(995, 1000), 995);
	assert_int_equal(report_permille(1, 3), 333);	/* 333.33 */
	assert_int_equal(report_permille(2, 3), 667);	/* 666.67 */
	assert_int_equal(report_permille(1, 8), 125);	/* 12.5% exactly */
	assert_int_equal(report_permille(1, 2000), 1);	/* 0.5: half up */
	assert_int_equal(report_permille(1, 2001), 0);	/* 0.49975 */
	assert_int_equal(report_permille(3, 2000), 2);	/* 1.5: half up */
	assert_int_equal(report_permille(0, 0), -1);
	assert_int_equal(report_permille(5, 0), -1);
	assert_int_equal(report_permille(UINT64_MAX, UINT64_MAX), 1000);
	assert_int_equal(report_permille(UINT64_MAX, 1), INT_MAX);
	/* 158252 / 158978 = 0.995433... */
	assert_int_equal(report_completion(&g), 995);
	assert_int_equal(report_satisfaction(&g), 800);
	g.tickets = 0;
	g.callbacks = 0;
	assert_int_equal(report_completion(&g), -1);
	assert_int_equal(report_satisfaction(&g), -1);
	/* satisfied + basic beyond 64 bits */
	g = (struct ld_rep_fig){ .callbacks = UINT64_MAX,
		.satisfied = UINT64_MAX, .basic = UINT64_MAX };
	assert_int_equal(report_satisfaction(&g), 2000);

	assert_int_equal(report_yoy(1321215, 1056972), 250);	/* +25% */
	assert_int_equal(report_yoy(100, 100), 0);
	assert_int_equal(report_yoy(0, 100), -1000);
	assert_int_equal(report_yoy(2001, 2000), 1);	/* +0.05%: half up */
	assert_int_equal(report_yoy(1999, 2000), -1);	/* -0.05%: away */
	assert_int_equal(report_yoy(1997, 2000), -2);	/* -0.15% */
	assert_int_equal(report_yoy(1998, 2000), -1);	/* -0.1% */
	assert_int_equal(report_yoy(19999, 20000), 0);	/* -0.005% */
	assert_int_equal(report_yoy(5, 0), INT32_MIN);
	assert_int_equal(report_yoy(0, 0), INT32_MIN);
	assert_int_equal(report_yoy(UINT64_MAX, 1), INT32_MAX);

	report_fmt_permille(995, b, sizeof(b));
	assert_string_equal(b, "99.5%");
	report_fmt_permille(1000, b, sizeof(b));
	assert_string_equal(b, "100.0%");
	report_fmt_permille(0, b, sizeof(b));
	assert_string_equal(b, "0.0%");
	report_fmt_permille(-1, b, sizeof(b));
	assert_string_equal(b, "—");
	report_fmt_permille(-32, b, sizeof(b));
	assert_string_equal(b, "-3.2%");
}

/* ---- the score, by hand --------------------------------------------------- */

static int32_t
tr_score(struct ld_rep_unit *u, const struct ld_topo_assess *a)
{
	u->score_x10 = -7;	/* must be overwritten */
	report_score(u, a);
	return u->score_x10;
}

static void
test_score(void **state)
{
	struct ld_topo_assess a = tr_defaults;
	struct ld_rep_unit u;

	(void)state;
	/*
	 * A: received 10, signed on time 9, completed on time 8, completed
	 * 10, callbacks 5 of which 4 satisfied; returned 1, urged 1.
	 *   S = 0.9, T = 0.8, C = 1.0, Q = 0.8
	 *   base = (20*0.9 + 30*0.8 + 20*1.0 + 30*0.8) / 100 * 100
	 *        = 18 + 24 + 20 + 24 = 86.0
	 *   penalties = 10*0.1 + 20*0.1 + 40*0 = 1 + 2 = 3.0
	 *   score = 83.0 -> 830
	 */
	u = tr_unit("a", 10, 9, 10, 8, 5, 4, 0);
	u.returned = 1;
	u.urged = 1;
	assert_int_equal(tr_score(&u, &a), 830);
	assert_true(u.scored);

	/*
	 * B: no callback (Q = 1): received 3, signed 2, on time 2, completed 3.
	 *   base = 20*2/3 + 30*2/3 + 20*1 + 30*1 = 13.333 + 20 + 20 + 30
	 *        = 83.333...; no penalty -> 833.33 -> 833
	 */
	u = tr_unit("b", 3, 2, 3, 2, 0, 0, 0);
	assert_int_equal(tr_score(&u, &a), 833);

	/*
	 * C: half up.  received 8, all on time and complete, 4 callbacks all
	 * satisfied (base 100); returned 1, urged 1:
	 *   penalties = 10*1/8 + 20*1/8 = 1.25 + 2.5 = 3.75
	 *   score = 96.25 -> 962.5 -> 963
	 */
	u = tr_unit("c", 8, 8, 8, 8, 4, 4, 0);
	u.returned = 1;
	u.urged = 1;
	assert_int_equal(tr_score(&u, &a), 963);
	/* basic counts as satisfied: 2 + 2 of 4 is the same */
	u.satisfied = 2;
	u.basic = 2;
	assert_int_equal(tr_score(&u, &a), 963);

	/*
	 * D: penalties below 0.  received 2, signed 2, on time 0,
	 * completed 1, no callback; urged 4, supervised 2.
	 *   base = 20*1 + 30*0 + 20*0.5 + 30*1 = 60
	 *   penalties = 20*4/2 + 40*2/2 = 40 + 40 = 80
	 *   score = -20 -> clamped to 0
	 */
	u = tr_unit("d", 2, 2, 1, 0, 0, 0, 0);
	u.urged = 4;
	u.supervised = 2;
	assert_int_equal(tr_score(&u, &a), 0);
	assert_true(u.scored);

	/*
	 * E: every weight but one 0 (on time 100), penalty urge 20 only.
	 * received 7, on time 5, urged 1 (the other counts do not matter).
	 *   base = 100 * 5/7 = 71.428571...
	 *   penalties = 20 * 1/7 = 2.857142...
	 *   score = 68.571428... -> 685.71 -> 686
	 */
	a = (struct ld_topo_assess){ .w_ontime = 100, .p_urge = 20 };
	u = tr_unit("e", 7, 7, 7, 5, 3, 0, 0);
	u.urged = 1;
	u.returned = 3;
	assert_int_equal(tr_score(&u, &a), 686);

	/* F: nothing received: not scored, 0, whatever else it holds */
	a = tr_defaults;
	u = tr_unit("f", 0, 0, 0, 0, 2, 2, 0);
	u.urged = 3;
	assert_int_equal(tr_score(&u, &a), 0);
	assert_false(u.scored);

	/*
	 * G: all four weights 0: base 100, only penalties count.
	 * received 4, returned 1: 100 - 10*1/4 = 97.5 -> 975
	 */
	a.w_sign = a.w_ontime = a.w_complete = a.w_satisfaction = 0;
	u = tr_unit("g", 4, 0, 0, 0, 1, 0, 0);
	u.returned = 1;
	assert_int_equal(tr_score(&u, &a), 975);

	/* H: every callback unsatisfied, nothing on time: base =
	 * 20*1 + 30*0 + 20*1 + 30*0 = 40 -> 400 */
	a = tr_defaults;
	u = tr_unit("h", 5, 5, 5, 0, 5, 0, 0);
	assert_int_equal(tr_score(&u, &a), 400);

	/* large counts: perfect is 1000, the rest stays in 0..1000 */
	u = tr_unit("big", 1ull << 40, 1ull << 40, 1ull << 40, 1ull << 40,
	    1ull << 40, 1ull << 40, 0);
	assert_int_equal(tr_score(&u, &a), 1000);
	u = tr_unit("max", UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX, UINT64_MAX, UINT64_MAX);
	/* R = U = V = 1: 100 - 10 - 20 - 40 = 30 */
	u.urged = u.returned = u.supervised = UINT64_MAX;
	assert_int_equal(tr_score(&u, &a), 300);
	u.urged = u.returned = u.supervised = 0;
	assert_int_equal(tr_score(&u, &a), 1000);
	/* penalties far beyond 100 points, counts far beyond received */
	u = tr_unit("late", 3, 3, 3, 3, 0, 0, 0);
	u.urged = u.returned = u.supervised = UINT64_MAX;
	assert_int_equal(tr_score(&u, &a), 0);
	/* only the return penalty left */
	a.p_urge = a.p_supervise = 0;
	u.urged = u.supervised = 0;
	u.returned = 3;		/* 100 - 10 * 3/3 = 90 */
	assert_int_equal(tr_score(&u, &a), 900);
	a = tr_defaults;
	/* counts above received count as received */
	u = tr_unit("over", 10, 20, 30, 40, 5, 9, 0);
	assert_int_equal(tr_score(&u, &a), 1000);
	/* weights out of the topology's range are held to 0..1000 */
	a = (struct ld_topo_assess){ .w_sign = -5, .w_ontime = 5000 };
	u = tr_unit("w", 4, 4, 0, 1, 0, 0, 0);
	/* base = 1000 * 1/4 / 1000 * 100 = 25 */
	assert_int_equal(tr_score(&u, &a), 250);
}

/* ---- ranking -------------------------------------------------------------- */

static void
test_rank(void **state)
{
	struct ld_report *r = calloc(1, sizeof(*r));
	static const struct {
		const char *id;
		bool scored;
		int32_t score;
		uint64_t rec;
	} in[] = {
		{ "z", false, 0, 0 }, { "b", true, 900, 10 },
		{ "y", false, 0, 0 }, { "a", true, 900, 10 },
		{ "c", true, 900, 20 }, { "d", true, 950, 1 },
		{ "e", true, 0, 3 },
	};
	static const char *const order[] = { "d", "c", "a", "b", "e", "y",
		"z" };
	static const unsigned ranks[] = { 1, 2, 3, 4, 5, 0, 0 };

	(void)state;
	assert_non_null(r);
	r->n_units = 7;
	for (unsigned i = 0; i < 7; i++) {
		snprintf(r->units[i].id, sizeof(r->units[i].id), "%s",
		    in[i].id);
		r->units[i].scored = in[i].scored;
		r->units[i].score_x10 = in[i].score;
		r->units[i].received = in[i].rec;
		r->units[i].rank = 99;
	}
	report_rank(r);
	for (unsigned i = 0; i < 7; i++) {
		assert_string_equal(r->units[i].id, order[i]);
		assert_int_equal(r->units[i].rank, ranks[i]);
	}
	/* the article's units: scored by report_score, then ranked */
	free(r);
	r = tr_article();
	assert_string_equal(r->units[0].id, "power");	/* 963 */
	assert_string_equal(r->units[1].id, "water");	/* 833 */
	assert_string_equal(r->units[2].id, "zhujian");	/* 830 */
	assert_string_equal(r->units[3].id, "unicom");	/* 0 */
	assert_int_equal(r->units[3].rank, 4);
	assert_string_equal(r->units[4].id, "xumu");
	assert_int_equal(r->units[4].rank, 0);
	free(r);
}

/* ---- the nodes' own assessments ---------------------------------------- */

static void
test_node_assessment(void **state)
{
	struct ld_report *r = tr_article();
	const struct ld_rep_unit *ly = &r->nodes[0].wo, *xa = &r->nodes[1].wo,
	    *ys = &r->nodes[2].wo;

	(void)state;
	/* the nodes keep their order: the reporting node first */
	assert_string_equal(r->nodes[0].id, "LY");
	assert_string_equal(r->nodes[1].id, "XA");
	assert_string_equal(r->nodes[2].id, "YS");
	assert_string_equal(ly->id, "LY");
	assert_string_equal(ly->name, "洛阳市");
	assert_string_equal(ly->node, "LY");

	/*
	 * LY: zhujian (10, 9, 10, 8; callbacks 5, 4 satisfied; returned 1,
	 * urged 1) + power (8, 8, 8, 8; callbacks 4, 4 satisfied; returned
	 * 1, urged 1): received 18, signed on time 17, completed 18, on time
	 * 16, callbacks 9, 8 satisfied; returned 2, urged 2.
	 *   S = 17/18, T = 16/18, C = 1, Q = 8/9
	 *   base = 20*17/18 + 30*16/18 + 20*1 + 30*8/9
	 *        = 18.889 + 26.667 + 20 + 26.667 = 92.222...
	 *   penalties = 10*2/18 + 20*2/18 = 1.111 + 2.222 = 3.333...
	 *   score = 88.888... -> 888.89 -> 889
	 * In integers: A = 20*17 + 30*16 + 20*18 = 1180, B = 30*8 = 240,
	 * P = 10*2 + 20*2 = 60, N = 1000 (1180*9 + 240*18) - 10*100*9*60
	 * = 14,940,000 - 540,000 = 14,400,000, D = 18*9*100 = 16,200:
	 * (2N + D) / 2D = 28,816,200 / 32,400 = 889.4 -> 889.
	 */
	assert_int_equal(ly->received, 18);
	assert_int_equal(ly->signed_on_time, 17);
	assert_int_equal(ly->completed, 18);
	assert_int_equal(ly->completed_on_time, 16);
	assert_int_equal(ly->callbacks, 9);
	assert_int_equal(ly->satisfied, 8);
	assert_int_equal(ly->unsatisfied, 1);
	assert_int_equal(ly->returned, 2);
	assert_int_equal(ly->urged, 2);
	assert_true(ly->scored);
	assert_int_equal(ly->score_x10, 889);
	assert_int_equal(ly->rank, 1);

	/*
	 * XA: water (3, 2, 3, 2; no callback) + unicom (2, 2, 1, 0; no
	 * callback; urged 4, supervised 2): received 5, signed on time 4,
	 * completed 4, on time 2, no callback (Q = 1); urged 4, supervised 2.
	 *   base = 20*4/5 + 30*2/5 + 20*4/5 + 30*1 = 16 + 12 + 16 + 30 = 74
	 *   penalties = 20*4/5 + 40*2/5 = 16 + 16 = 32
	 *   score = 42.0 -> 420
	 */
	assert_int_equal(xa->received, 5);
	assert_int_equal(xa->completed, 4);
	assert_int_equal(xa->score_x10, 420);
	assert_int_equal(xa->rank, 2);

	/* YS: xumu received nothing: not scored, no rank */
	assert_int_equal(ys->received, 0);
	assert_false(ys->scored);
	assert_int_equal(ys->score_x10, 0);
	assert_int_equal(ys->rank, 0);
	free(r);
}

static void
test_rank_nodes(void **state)
{
	struct ld_report *r = calloc(1, sizeof(*r));
	/* the same order as the units': score, then received, then id;
	 * unscored last */
	static const struct {
		const char *id;
		bool scored;
		int32_t score;
		uint64_t rec;
		unsigned rank;
	} in[] = {
		{ "LY", true, 900, 10, 3 },	/* the reporting node */
		{ "ZZ", false, 0, 0, 0 },
		{ "YS", true, 900, 10, 4 },	/* equal: by id, after LY */
		{ "XA", true, 900, 20, 2 },	/* equal score, more received */
		{ "SX", true, 950, 1, 1 },
		{ "AA", false, 0, 0, 0 },
		{ "RY", true, 0, 3, 5 },
	};

	(void)state;
	assert_non_null(r);
	r->n_nodes = 7;
	for (unsigned i = 0; i < 7; i++) {
		struct ld_rep_node *n = &r->nodes[i];

		snprintf(n->id, sizeof(n->id), "%s", in[i].id);
		snprintf(n->wo.id, sizeof(n->wo.id), "%s", in[i].id);
		n->wo.scored = in[i].scored;
		n->wo.score_x10 = in[i].score;
		n->wo.received = in[i].rec;
		n->wo.rank = 99;
		n->fig.calls_in = i;
	}
	r->n_units = 1;
	snprintf(r->units[0].id, sizeof(r->units[0].id), "u");
	r->units[0].rank = 77;
	report_rank_nodes(r);
	for (unsigned i = 0; i < 7; i++) {
		/* not moved, only numbered */
		assert_string_equal(r->nodes[i].id, in[i].id);
		assert_string_equal(r->nodes[i].wo.id, in[i].id);
		assert_int_equal(r->nodes[i].fig.calls_in, i);
		assert_int_equal(r->nodes[i].wo.rank, in[i].rank);
	}
	assert_int_equal(r->units[0].rank, 77);	/* the units untouched */
	/* one node, scored or not; none; a count beyond the array */
	r->n_nodes = 1;
	report_rank_nodes(r);
	assert_int_equal(r->nodes[0].wo.rank, 1);
	r->nodes[0].wo.scored = false;
	report_rank_nodes(r);
	assert_int_equal(r->nodes[0].wo.rank, 0);
	r->n_nodes = 0;
	r->nodes[0].wo.rank = 5;
	report_rank_nodes(r);
	assert_int_equal(r->nodes[0].wo.rank, 5);
	r->n_nodes = 1000;
	report_rank_nodes(r);
	assert_int_equal(r->nodes[4].wo.rank, 1);	/* SX */
	free(r);
}

/* ---- text ----------------------------------------------------------------- */

/* Display width of s[0..n): code points in the East Asian wide ranges the
 * report uses count 2 (Chinese here). */
static size_t
tr_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	for (size_t i = 0; i < n;) {
		uint32_t c = p[i];
		size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		if (k == 3)
			c = (c & 0x0f) << 12 | (p[i + 1] & 0x3fu) << 6 |
			    (p[i + 2] & 0x3fu);
		w += (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xff00 &&
		    c <= 0xff60) ? 2 : 1;
		i += k;
	}
	return w;
}

/* The line of text holding want; its start and length. */
static const char *
tr_line(const char *text, const char *want, size_t *len)
{
	const char *p = strstr(text, want), *s;

	if (p == NULL)
		fail_msg("no line with '%s'", want);
	for (s = p; s > text && s[-1] != '\n'; s--)
		;
	*len = strcspn(s, "\n");
	return s;
}

/* Line l[0..n) ends with want, runs of spaces taken as one. */
static void
tr_tail(const char *l, size_t n, const char *want)
{
	char b[1024];
	size_t o = 0, w = strlen(want);

	for (size_t i = 0; i < n && o + 1 < sizeof(b); i++)
		if (l[i] != ' ' || (o > 0 && b[o - 1] != ' '))
			b[o++] = l[i];
	b[o] = '\0';
	if (o < w || strcmp(b + o - w, want) != 0)
		fail_msg("'%s' does not end with '%s'", b, want);
}

static void
test_text(void **state)
{
	struct ld_report *r = tr_article();
	const char *la, *lb, *rule;
	size_t na, nb, nr, oa, ob;
	char *t;

	(void)state;
	t = tr_print(report_print_text, r);
	tr_has(t, "洛阳市110应急联动服务平台\n");
	tr_has(t, "洛阳市 (LY)  2010-12-01 — 2011-12-06, 371 天 days");
	tr_has(t, "2011-12-07 09:00:00");
	tr_has(t, "1,321,215");
	tr_has(t, "3,561.2");		/* 1321215 / 371 = 3561.23 */
	tr_has(t, "+25.0%");
	tr_has(t, "+32.0%");		/* 1121250 / 849432 */
	tr_has(t, "+65.0%");		/* 365946 / 221785 */
	tr_has(t, "158,252");
	tr_has(t, "726");
	tr_has(t, "99.5%");
	tr_has(t, "93.5%");		/* (8500 + 850) / 10000 */
	tr_has(t, "2011-07: 117,068 calls in (3,776.4 a day), 23,444 linkage");
	tr_has(t, "2011-08-31: 4,838 calls in, 871 linkage requests");
	tr_has(t, "按月 by month");
	tr_has(t, "2011-09");
	tr_has(t, "按节点 by node");
	tr_has(t, "新安县");
	tr_has(t, "wo received");
	tr_has(t, "wo satisfaction");
	tr_has(t, "单位考核 unit assessment");
	tr_has(t, "96.3");
	tr_has(t, "83.0");
	tr_has(t, "(20×S + 30×T + 20×C + 30×Q) / 100 - 10×R - 20×U - 40×V");
	assert_null(strstr(t, "%%"));
	/* incidents and attached calls: the last rows of the summary, with
	 * their total, per day and year on year (1900 / 371 = 5.12,
	 * 1900 / 1520 = +25%; 3100 / 371 = 8.36, 3100 / 2000 = +55%) */
	la = tr_line(t, "应急事件 incidents", &na);
	tr_tail(la, na, " 1,900 5.1 +25.0%");
	assert_true(la > strstr(t, "正在办理 in progress"));
	lb = tr_line(t, "并案来电 attached calls", &nb);
	tr_tail(lb, nb, " 3,100 8.4 +55.0%");
	assert_true(lb == la + na + 1);
	/* the incidents closed: the last row, no per day */
	la = tr_line(t, "应急事件办结 incidents closed", &na);
	tr_tail(la, na, " 1,880 —");
	assert_true(la == lb + nb + 1);
	assert_true(la[na] == '\n' && la[na + 1] == '\n');	/* the last */
	/* the months: an incidents column (not the attached calls) */
	rule = strstr(t, "按月 by month");
	assert_non_null(rule);
	la = tr_line(rule, "returned", &na);
	tr_tail(la, na, "returned incidents mean hours to close");
	la = tr_line(t, "2011-08  ", &na);
	tr_tail(la, na, " 116,068 0 0 0 14,001 13,991 0 99.9% 0 — 0 0 0 151 —");

	/* the Chinese and the ASCII unit: the id column starts at the same
	 * display column, at different byte offsets */
	la = tr_line(t, ZHUJIAN, &na);
	lb = tr_line(t, "Luoyang Power Supply", &nb);
	oa = (size_t)(strstr(la, " zhujian ") + 1 - la);
	ob = (size_t)(strstr(lb, " power ") + 1 - lb);
	assert_true(oa != ob);
	assert_int_equal(tr_width(la, oa), tr_width(lb, ob));
	/* and every line of the table is as wide as its rule */
	rule = strstr(strstr(t, "单位考核"), "\n---");
	assert_non_null(rule);
	rule++;
	nr = strcspn(rule, "\n");
	assert_int_equal(tr_width(la, na), nr);
	assert_int_equal(tr_width(lb, nb), nr);
	/* the unscored unit: rank and score "—" */
	la = tr_line(t, "市畜牧局", &na);
	assert_true(na > 3 && memcmp(la + na - 3, "—", 3) == 0);

	/* the node rows: the figures, then the node's own assessment
	 * (received, signed on time, completed on time, completion,
	 * returned, sent back, extended, urged, supervised, callbacks,
	 * satisfaction, score, rank), as wide as the table's rule */
	rule = strstr(strstr(t, "按节点"), "\n---");
	assert_non_null(rule);
	rule++;
	nr = strcspn(rule, "\n");
	la = tr_line(t, "洛阳市  LY  ", &na);
	tr_tail(la, na, " 210 1,900 4.5 18 94.4% 88.9% 100.0% 2 0 0 2 0 9 88.9% "
	    "88.9 1");
	assert_int_equal(tr_width(la, na), nr);
	la = tr_line(t, "新安县  XA  ", &na);
	tr_tail(la, na, " 0 120 — 5 80.0% 40.0% 80.0% 0 0 0 4 2 0 — 42.0 2");
	assert_int_equal(tr_width(la, na), nr);
	la = tr_line(t, "偃师市  YS  ", &na);
	tr_tail(la, na, " 0 0 — 0 — — — 0 0 0 0 0 0 — — —");
	assert_int_equal(tr_width(la, na), nr);
	free(t);

	/* one month, no year before: no such table, no column; one node:
	 * its table all the same, for its own assessment */
	r->n_months = 1;
	r->n_nodes = 1;
	r->has_prev = false;
	t = tr_print(report_print_text, r);
	assert_null(strstr(t, "by month"));
	assert_null(strstr(t, "year on year"));
	assert_null(strstr(t, "+25.0%"));
	la = tr_line(t, "应急事件 incidents", &na);
	tr_tail(la, na, " 1,900 5.1");
	la = tr_line(t, "并案来电 attached calls", &na);
	tr_tail(la, na, " 3,100 8.4");
	tr_has(t, "按节点 by node");
	la = tr_line(t, "洛阳市  LY  ", &na);
	tr_tail(la, na, " 88.9 1");
	assert_null(strstr(t, "新安县"));
	free(t);
	/* no node: no node table */
	r->n_nodes = 0;
	t = tr_print(report_print_text, r);
	assert_null(strstr(t, "by node"));
	free(t);
	free(r);
}

/* ---- CSV -------------------------------------------------------------- */

#define CSV_FIELDS 48
#define CSV_RECORDS 128

struct tr_csv {
	unsigned n;
	unsigned nf[CSV_RECORDS];
	char *f[CSV_RECORDS][CSV_FIELDS];
};

/* Read RFC 4180 text: records end with CRLF, fields separated by commas,
 * quoted fields may hold commas, CR, LF and doubled quotes. */
static void
tr_csv_read(const char *s, struct tr_csv *c)
{
	char field[512];
	size_t o = 0;

	memset(c, 0, sizeof(*c));
	while (*s) {
		bool quoted = *s == '"';

		assert_true(c->n < CSV_RECORDS);
		o = 0;
		if (quoted) {
			for (s++;; s++) {
				assert_true(*s != '\0');	/* unterminated */
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				field[o++] = *s;
			}
			s++;
		} else {
			while (*s && *s != ',' && *s != '\r') {
				assert_true(*s != '"' && *s != '\n');
				field[o++] = *s++;
			}
		}
		field[o] = '\0';
		assert_true(c->nf[c->n] < CSV_FIELDS);
		c->f[c->n][c->nf[c->n]++] = strdup(field);
		if (*s == ',') {
			s++;
			continue;
		}
		assert_true(s[0] == '\r' && s[1] == '\n');
		s += 2;
		c->n++;
	}
}

static void
tr_csv_free(struct tr_csv *c)
{
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned k = 0; k < c->nf[i]; k++)
			free(c->f[i][k]);
}

/* The cell in column key of the record of table whose column match holds
 * value. */
static const char *
tr_csv_cell(const struct tr_csv *c, const char *table, const char *match,
    const char *value, const char *key)
{
	const char *const *head = NULL;
	unsigned nh = 0, km = 0, kk = 0;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->nf[i] > 0 && strcmp(c->f[i][0], "table") == 0) {
			head = (const char *const *)c->f[i];
			nh = c->nf[i];
			continue;
		}
		if (head == NULL || strcmp(c->f[i][0], table) != 0)
			continue;
		assert_int_equal(c->nf[i], nh);
		for (km = 0; km < nh && strcmp(head[km], match) != 0; km++)
			;
		for (kk = 0; kk < nh && strcmp(head[kk], key) != 0; kk++)
			;
		assert_true(km < nh && kk < nh);
		if (strcmp(c->f[i][km], value) == 0)
			return c->f[i][kk];
	}
	fail_msg("no %s row with %s = %s", table, match, value);
	return NULL;
}

static void
test_csv(void **state)
{
	struct ld_report *r = tr_article();
	static struct tr_csv c;
	const char *const tables[] = { "summary", "month", "node", "unit" };
	unsigned t = 0;
	char *text;

	(void)state;
	text = tr_print(report_print_csv, r);
	tr_has(text, "\"Water, \"\"Group\"\" Co.\"");
	tr_csv_read(text, &c);
	/* tables in order, each a header line, rows, then a blank line */
	for (unsigned i = 0; i < c.n; i++) {
		if (c.nf[i] == 1 && c.f[i][0][0] == '\0') {
			t++;
			continue;
		}
		if (strcmp(c.f[i][0], "table") == 0)
			assert_true(i == 0 || c.f[i - 1][0][0] == '\0');
		else
			assert_string_equal(c.f[i][0], tables[t]);
	}
	assert_int_equal(t, 3);
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "calls_in",
	    "value"), "1321215");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "calls_in",
	    "per_day"), "3561.2");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "calls_in",
	    "year_on_year"), "25.0");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "completed",
	    "per_day"), "");
	assert_string_equal(tr_csv_cell(&c, "summary", "item",
	    "completion_rate", "value"), "99.5");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "peak_day",
	    "value"), "2011-08-31");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "federation",
	    "value"), "洛阳市110应急联动服务平台");
	assert_string_equal(tr_csv_cell(&c, "summary", "item",
	    "weight.satisfaction", "value"), "30");
	assert_string_equal(tr_csv_cell(&c, "month", "month", "2011-08",
	    "calls_in"), "116068");
	/* incidents and attached calls: summary items after in_progress,
	 * columns of the months and the nodes */
	assert_string_equal(c.f[7][1], "in_progress");
	assert_string_equal(c.f[8][1], "incidents");
	assert_string_equal(c.f[9][1], "attached");
	assert_string_equal(c.f[10][1], "incidents_closed");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "incidents_closed"), "1880");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "incident_minutes"), "507600");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "incident_hours"), "4.5");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "incident_hours"), "");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "incidents",
	    "value"), "1900");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "incidents",
	    "per_day"), "5.1");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "incidents",
	    "year_on_year"), "25.0");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "attached",
	    "value"), "3100");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "attached",
	    "per_day"), "8.4");
	assert_string_equal(tr_csv_cell(&c, "summary", "item", "attached",
	    "year_on_year"), "55.0");
	assert_string_equal(tr_csv_cell(&c, "month", "month", "2011-08",
	    "incidents"), "151");
	assert_string_equal(tr_csv_cell(&c, "month", "month", "2011-09",
	    "attached"), "202");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "incidents"), "1900");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "incidents"), "120");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "attached"), "77");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "YS",
	    "attached"), "0");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA", "name"),
	    "新安县");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "completion_rate"), "");
	/* the nodes' own assessments, beside their figures */
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "returned"), "210");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_returned"), "2");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_received"), "18");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_signed_on_time"), "17");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_signed_on_time_rate"), "94.4");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "completion_rate"), "99.5");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_completion_rate"), "100.0");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_satisfied"), "8");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY",
	    "wo_satisfaction"), "88.9");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY", "score"),
	    "88.9");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "LY", "rank"),
	    "1");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "wo_completed_on_time_rate"), "40.0");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "wo_supervised"), "2");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA",
	    "wo_satisfaction"), "");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA", "score"),
	    "42.0");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "XA", "rank"),
	    "2");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "YS",
	    "wo_received"), "0");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "YS", "score"),
	    "");
	assert_string_equal(tr_csv_cell(&c, "node", "node", "YS", "rank"),
	    "");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "water", "name"),
	    COMMA_NAME);
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "water", "score"),
	    "83.3");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "water", "rank"),
	    "2");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "zhujian",
	    "signed_on_time_rate"), "90.0");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "zhujian",
	    "satisfaction"), "80.0");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "zhujian",
	    "satisfied"), "4");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "water",
	    "satisfaction"), "");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "xumu", "score"),
	    "");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "xumu", "rank"),
	    "");
	assert_string_equal(tr_csv_cell(&c, "unit", "unit", "unicom", "name"),
	    ANGLE_NAME);
	tr_csv_free(&c);
	free(text);
	free(r);
}

/* ---- HTML ------------------------------------------------------------- */

/* Tags balance: every element opened is closed, in order; void elements
 * are self-closed ("<br/>"); comments and the doctype are skipped. */
static void
tr_html_balanced(const char *s)
{
	char stack[64][16];
	int top = 0;

	while ((s = strchr(s, '<')) != NULL) {
		const char *end = strchr(s, '>');
		char name[16];
		size_t n;
		bool close = s[1] == '/';

		assert_non_null(end);
		if (s[1] == '!') {
			s = end + 1;
			continue;
		}
		n = strspn(s + 1 + close, "abcdefghijklmnopqrstuvwxyz0123456789");
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, s + 1 + close, n);
		name[n] = '\0';
		assert_null(memchr(s + 1, '<', (size_t)(end - s - 1)));
		if (close) {
			assert_true(top > 0);
			if (strcmp(stack[top - 1], name) != 0)
				fail_msg("</%s> closes <%s>", name,
				    stack[top - 1]);
			top--;
		} else if (end[-1] != '/') {
			assert_true(strcmp(name, "meta") != 0 &&
			    strcmp(name, "br") != 0);
			assert_true(top < 64);
			strcpy(stack[top++], name);
		}
		s = end + 1;
	}
	assert_int_equal(top, 0);
}

static int
tr_count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void
test_html(void **state)
{
	struct ld_report *r = tr_article();
	char *h;

	(void)state;
	h = tr_print(report_print_html, r);
	assert_true(strncmp(h, "<!DOCTYPE html>\n<html", 21) == 0);
	tr_html_balanced(h);
	assert_int_equal(tr_count(h, "<svg"), 3);
	assert_int_equal(tr_count(h, "xmlns=\"http://www.w3.org/2000/svg\""),
	    3);
	assert_int_equal(tr_count(h, "viewBox="), 3);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "href="));
	tr_has(h, "<meta charset=\"utf-8\"/>");
	tr_has(h, "<title>洛阳市110应急联动服务平台");
	tr_has(h, "<style>");
	tr_has(h, "1,321,215");
	tr_has(h, "99.5%");
	/* incidents and attached calls: summary rows; an incidents column
	 * in the month and node tables, the attached calls only in CSV */
	tr_has(h, "<td>应急事件 incidents</td><td class=\"n\">1,900</td>"
	    "<td class=\"n\">5.1</td><td class=\"n\">+25.0%</td></tr>");
	tr_has(h, "<td>并案来电 attached calls</td><td class=\"n\">3,100</td>"
	    "<td class=\"n\">8.4</td><td class=\"n\">+55.0%</td></tr>");
	assert_int_equal(tr_count(h, "<th>应急<br/><span class=\"en\">"
	    "incidents</span></th>"), 2);
	assert_null(strstr(h, ">attached</span>"));
	tr_has(h, "<td class=\"n\">0</td><td class=\"n\">151</td>"
	    "<td class=\"n\">—</td></tr>");
	/* the mean time to close an incident, after the incidents */
	assert_int_equal(tr_count(h, "<th>平均处置时长<br/><span class=\"en\">"
	    "mean hours to close</span></th>"), 2);
	tr_has(h, "<td class=\"n\">1,900</td><td class=\"n\">4.5</td>");
	/* the name in the table and as a chart label */
	assert_int_equal(tr_count(h,
	    "Unicom &lt;&amp;&gt; &#39;Luoyang&#39;"), 3);
	assert_null(strstr(h, "<&>"));
	tr_has(h, "Water, &quot;Group&quot; Co.");
	/* 4 scored units and 2 scored nodes: 6 score bars */
	assert_int_equal(tr_count(h, "<rect class=\"s\""), 6);
	/* the node table with the nodes' own assessments, and their chart:
	 * LY (88.9) and XA (42.0), by rank, labelled with the node's name */
	tr_has(h, "<table class=\"node\">");
	tr_has(h, "wo received");
	tr_has(h, "<td class=\"n\">88.9</td><td class=\"n\">1</td></tr>");
	tr_has(h, "<td class=\"n\">42.0</td><td class=\"n\">2</td></tr>");
	tr_has(h, "<td class=\"n\">—</td><td class=\"n\">—</td></tr>");
	tr_has(h, "aria-label=\"node scores\"");
	tr_has(h, "text-anchor=\"end\">洛阳市</text>");
	tr_has(h, ">88.9</text>");
	assert_true(strstr(h, ">洛阳市</text>") < strstr(h, ">新安县</text>"));
	assert_null(strstr(h, ">偃师市</text>"));	/* not scored */
	free(h);

	/* the ranks put the chart in order, whatever the nodes' order */
	r->nodes[0].wo.rank = 2;
	r->nodes[1].wo.rank = 1;
	h = tr_print(report_print_html, r);
	assert_true(strstr(h, ">新安县</text>") < strstr(h, ">洛阳市</text>"));
	free(h);

	/* one node: its table and its chart */
	r->n_nodes = 1;
	h = tr_print(report_print_html, r);
	tr_html_balanced(h);
	assert_int_equal(tr_count(h, "<svg"), 3);
	tr_has(h, "<table class=\"node\">");
	assert_null(strstr(h, "新安县"));
	free(h);

	/* nothing scored: still two charts, still balanced; no node: no
	 * node table, no node chart */
	r->n_units = 0;
	r->n_months = 0;
	r->n_nodes = 0;
	h = tr_print(report_print_html, r);
	tr_html_balanced(h);
	assert_int_equal(tr_count(h, "<svg"), 2);
	assert_null(strstr(h, "node scores"));
	assert_null(strstr(h, "<table class=\"node\">"));
	free(h);
	/* a node, not scored: its chart says so */
	r->n_nodes = 1;
	r->nodes[0].wo.scored = false;
	h = tr_print(report_print_html, r);
	tr_html_balanced(h);
	assert_int_equal(tr_count(h, "<svg"), 3);
	tr_has(h, "no node received a work order");
	free(h);
	free(r);
}

/* Hostile text in the struct (control characters, bad UTF-8, strings
 * without NUL) is cleaned in text and HTML, and nothing is read past a
 * buffer. */
static void
test_hostile_text(void **state)
{
	struct ld_report *r = tr_article();
	char *t;

	(void)state;
	memset(r->units[0].name, 'x', sizeof(r->units[0].name));
	memcpy(r->units[1].name, "a\x1b[31mb\xff\n<",
	    sizeof("a\x1b[31mb\xff\n<"));
	memset(r->federation, '<', sizeof(r->federation));
	r->units[2].score_x10 = -5;
	r->n_units = 1000;	/* beyond the array: held to it */
	r->n_months = 1000;
	r->n_nodes = 1000;
	r->days = 0;
	t = tr_print(report_print_text, r);
	assert_null(strchr(t, '\x1b'));
	assert_null(strstr(t, "\xff"));
	free(t);
	t = tr_print(report_print_html, r);
	tr_html_balanced(t);
	assert_null(strchr(t, '\x1b'));
	free(t);
	t = tr_print(report_print_csv, r);
	free(t);
	free(r);
}

/* ---- the result map ----------------------------------------------------- */

static uint8_t tr_buf[LD_PROTO_REPLY_MAX];

/* r as a reply; *res and *len the result map's bytes (in tr_buf). */
static void
tr_encode(const struct ld_report *r, const uint8_t **res, size_t *len)
{
	struct ld_pw w;
	struct ld_reply rep;
	struct ld_err err;
	int n;

	proto_reply_begin(&w, tr_buf, sizeof(tr_buf), 42, REPORT_ENTRIES);
	report_write(&w, r);
	n = proto_reply_end(&w);
	assert_true(n > 0);
	if (proto_reply_decode(tr_buf, (size_t)n, &rep, &err) != 0)
		fail_msg("reply: %s", err.msg);
	assert_true(rep.ok);
	assert_int_equal(rep.id, 42);
	*res = rep.result;
	*len = rep.result_len;
}

/* The counters of a fig (all of them uint64_t). */
#define TR_NFIG (unsigned)(sizeof(struct ld_rep_fig) / sizeof(uint64_t))
_Static_assert(TR_NFIG == 18, "struct ld_rep_fig changed: update the tests");

/* A report with every field set and every limit reached; calloc'ed. */
static struct ld_report *
tr_full(void)
{
	struct ld_report *r = calloc(1, sizeof(*r));
	uint64_t x = 1;

	assert_non_null(r);
	memset(r->federation, 'F', sizeof(r->federation) - 1);
	memcpy(r->node, "ABCDEFGH", 8);
	memset(r->node_name, 'n', sizeof(r->node_name) - 1);
	r->day_from = 20110101;
	r->day_to = 20121231;
	r->days = LD_REP_DAYS_MAX;
	r->generated_ms = LD_TIME_MAX;
	for (unsigned k = 0; k < TR_NFIG; k++)
		((uint64_t *)&r->total)[k] = x *= 7;
	r->has_prev = true;
	for (unsigned k = 0; k < TR_NFIG; k++)
		((uint64_t *)&r->prev)[k] = UINT64_MAX - k;
	r->peak_month = 999912;
	r->peak_month_calls = UINT64_MAX;
	r->peak_month_linkage = 1;
	r->peak_day = 99991231;
	r->peak_day_calls = 2;
	r->peak_day_linkage = 3;
	r->n_months = LD_REP_MONTHS_MAX;
	for (unsigned i = 0; i < LD_REP_MONTHS_MAX; i++) {
		r->months[i].key = 201001 + (i / 12) * 100 + i % 12;
		for (unsigned k = 0; k < TR_NFIG; k++)
			((uint64_t *)&r->months[i].fig)[k] = i * 100 + k;
	}
	r->n_nodes = LD_REP_NODES_MAX;
	for (unsigned i = 0; i < LD_REP_NODES_MAX; i++) {
		snprintf(r->nodes[i].id, sizeof(r->nodes[i].id), "N%u", i);
		memset(r->nodes[i].name, 'a' + i % 26,
		    sizeof(r->nodes[i].name) - 1);
		r->nodes[i].fig.returned = i;
		/* its own assessment: every string at its limit, the
		 * counters up to 2^64 - 1, the rank up to 32 */
		memset(r->nodes[i].wo.id, 'w', sizeof(r->nodes[i].wo.id) - 1);
		memset(r->nodes[i].wo.name, 'b' + i % 25,
		    sizeof(r->nodes[i].wo.name) - 1);
		memset(r->nodes[i].wo.node, 'N', sizeof(r->nodes[i].wo.node) - 1);
		for (unsigned k = 0; k < 13; k++)
			(&r->nodes[i].wo.received)[k] = UINT64_MAX - i - k;
		r->nodes[i].wo.scored = i % 4 != 0;
		r->nodes[i].wo.score_x10 = (int32_t)(1000 - i);
		r->nodes[i].wo.rank = i + 1;
	}
	r->n_units = LD_REP_UNITS_MAX;
	for (unsigned i = 0; i < LD_REP_UNITS_MAX; i++) {
		struct ld_rep_unit *u = &r->units[i];
		char num[8];
		int nn = snprintf(num, sizeof(num), "%u", i);

		memset(u->id, 'u', sizeof(u->id) - 1);	/* "17uuu...": 32 */
		memcpy(u->id, num, (size_t)nn);
		memset(u->name, 'x', sizeof(u->name) - 1);
		memcpy(u->name, "单位", 6);
		snprintf(u->node, sizeof(u->node), "N%u", i % 32);
		for (unsigned k = 0; k < 13; k++)
			(&u->received)[k] = (uint64_t)i << k;
		u->scored = i % 3 != 0;
		u->score_x10 = (int32_t)(i * 4 % 1001);
		u->rank = i;
	}
	r->formula = (struct ld_topo_assess){ 1000, 0, 1, 2, 3, 4, 1000, 100,
		INT64_MAX, 0 };
	return r;
}

static void
test_wire_round_trip(void **state)
{
	struct ld_report *a = tr_full(), *b = calloc(1, sizeof(*b));
	struct ld_err err;
	const uint8_t *res;
	size_t len;

	(void)state;
	assert_non_null(b);
	tr_encode(a, &res, &len);
	if (report_decode(res, len, b, &err) != 0)
		fail_msg("%s", err.msg);
	assert_memory_equal(a, b, sizeof(*a));
	assert_int_equal(b->nodes[31].wo.rank, 32);
	assert_int_equal(b->nodes[0].wo.received, UINT64_MAX);
	/* the last two figures: incidents and attached calls */
	assert_true(b->total.incidents == 4747561509943ull);	/* 7^15 */
	assert_true(b->total.attached == 33232930569601ull);	/* 7^16 */
	assert_true(b->prev.attached == UINT64_MAX - 15);
	assert_int_equal(b->months[27].fig.incidents, 2714);
	assert_int_equal(b->months[27].fig.attached, 2715);
	free(a);

	/* and the article, with its nodes' own assessments */
	a = tr_article();
	tr_encode(a, &res, &len);
	memset(b, 0x5a, sizeof(*b));	/* decode clears it first */
	if (report_decode(res, len, b, &err) != 0)
		fail_msg("%s", err.msg);
	assert_memory_equal(a, b, sizeof(*a));
	assert_int_equal(b->nodes[0].wo.score_x10, 889);
	assert_int_equal(b->nodes[1].wo.rank, 2);
	assert_string_equal(b->nodes[1].wo.name, "新安县");
	assert_int_equal(b->total.incidents, 1900);
	assert_int_equal(b->prev.attached, 2000);
	assert_int_equal(b->months[2].fig.attached, 202);
	assert_int_equal(b->nodes[1].fig.incidents, 120);
	assert_int_equal(b->nodes[1].fig.attached, 77);
	free(a);
	free(b);
}

/* The bytes of r's result map, copied to a buffer of their own (free). */
static uint8_t *
tr_result(const struct ld_report *r, size_t *len)
{
	const uint8_t *res;
	uint8_t *copy;

	tr_encode(r, &res, len);
	copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, res, *len);
	return copy;
}

/* b must be refused with code and message msg. */
static void
tr_refused(const uint8_t *b, size_t n, int code, const char *msg)
{
	struct ld_report *r = calloc(1, sizeof(*r));
	struct ld_err err = { 0, "" };
	int rc = report_decode(b, n, r, &err);

	if (rc != code || strcmp(err.msg, msg) != 0)
		fail_msg("got %d '%s', want %d '%s'", rc, err.msg, code, msg);
	free(r);
}

/* The offset of the k-th (0-based) msgpack string s in b[0..n). */
static size_t
tr_find_key(const uint8_t *b, size_t n, const char *s, int k)
{
	size_t sl = strlen(s);

	for (size_t i = 0; i + 1 + sl <= n; i++)
		if (b[i] == (uint8_t)(0xa0 | sl) && memcmp(b + i + 1, s, sl) == 0 &&
		    k-- == 0)
			return i;
	fail_msg("key %s not found", s);
	return 0;
}

/* A result map written by hand: the entries through the writer. */
#define TR_MAP(n, ...) do {						\
	struct codec_mp_wr w_ = { .p = mb, .cap = sizeof(mb) };		\
	codec_mp_put_map(&w_, (n));					\
	__VA_ARGS__;							\
	assert_true(w_.off <= w_.cap);					\
	ml = w_.off;							\
} while (0)
#define K(s) codec_mp_put_str(&w_, s, strlen(s))

static void
test_wire_errors(void **state)
{
	struct ld_report *r = tr_article(), *d = calloc(1, sizeof(*d));
	struct ld_err err;
	struct ld_pw w;
	struct ld_reply rep;
	uint8_t *b, mb[512];
	size_t n, at, ml = 0;
	char s129[130];

	(void)state;
	assert_non_null(d);
	r->days = 5;
	b = tr_result(r, &n);

	/* a missing field, named with its place (the nodes' three
	 * assessments come before the units) */
	at = tr_find_key(b, n, "score_x10", 6);
	b[at + 9] = 'X';
	tr_refused(b, n, LD_EMISSING, "result.units[3].score_x10: missing");
	b[at + 9] = '0';
	at = tr_find_key(b, n, "in_progress", 2);	/* total, prev, months[0] */
	b[at + 1] = 'I';
	tr_refused(b, n, LD_EMISSING, "result.months[0].fig.in_progress: "
	    "missing");
	b[at + 1] = 'i';
	/* incidents and attached calls are required like the others */
	at = tr_find_key(b, n, "incidents", 0);	/* total */
	b[at + 1] = 'I';
	tr_refused(b, n, LD_EMISSING, "result.total.incidents: missing");
	b[at + 1] = 'i';
	/* total, prev, 3 months, then the nodes */
	at = tr_find_key(b, n, "incidents", 6);
	b[at + 1] = 'I';
	tr_refused(b, n, LD_EMISSING, "result.nodes[1].fig.incidents: "
	    "missing");
	b[at + 1] = 'i';
	at = tr_find_key(b, n, "attached", 3);	/* months[1] */
	b[at + 1] = 'A';
	tr_refused(b, n, LD_EMISSING, "result.months[1].fig.attached: "
	    "missing");
	b[at + 1] = 'a';
	assert_int_equal(report_decode(b, n, d, &err), 0);
	/* a node without its own assessment, or with a part missing */
	at = tr_find_key(b, n, "assessment", 1);
	b[at + 1] = 'A';
	tr_refused(b, n, LD_EMISSING, "result.nodes[1].assessment: missing");
	b[at + 1] = 'a';
	at = tr_find_key(b, n, "received", 2);	/* nodes[2], before units */
	b[at + 1] = 'R';
	tr_refused(b, n, LD_EMISSING, "result.nodes[2].assessment.received: "
	    "missing");
	b[at + 1] = 'r';
	assert_int_equal(report_decode(b, n, d, &err), 0);
	/* a wrong type */
	at = tr_find_key(b, n, "days", 0);
	assert_int_equal(b[at + 5], 5);
	b[at + 5] = 0xc0;
	tr_refused(b, n, LD_ETYPE, "result.days: expected integer, got nil");
	b[at + 5] = 0x7f;	/* 127: within the limit */
	assert_int_equal(report_decode(b, n, d, &err), 0);
	assert_int_equal(d->days, 127);
	b[at + 5] = 0xff;	/* -1 */
	tr_refused(b, n, LD_ELIMIT, "result.days: -1 is negative");
	b[at + 5] = 5;
	at = tr_find_key(b, n, "has_prev", 0);
	b[at + 9] = 0x01;
	tr_refused(b, n, LD_ETYPE, "result.has_prev: expected boolean, got "
	    "integer");
	b[at + 9] = 0xc3;
	/* bad UTF-8 in a name */
	at = tr_find_key(b, n, "Luoyang Power Supply", 0);
	b[at + 3] = 0xff;
	tr_refused(b, n, LD_EUTF8, "result.units[0].name: invalid UTF-8 at "
	    "byte 2");
	b[at + 3] = 'o';
	/* a score out of range */
	r->units[0].score_x10 = 1001;
	free(b);
	b = tr_result(r, &n);
	tr_refused(b, n, LD_ELIMIT, "result.units[0].score_x10: 1001 exceeds "
	    "limit 1000");
	r->units[0].score_x10 = 963;
	/* a node's assessment checked like a unit's row, its rank among the
	 * nodes */
	r->nodes[2].wo.score_x10 = 1001;
	free(b);
	b = tr_result(r, &n);
	tr_refused(b, n, LD_ELIMIT, "result.nodes[2].assessment.score_x10: "
	    "1001 exceeds limit 1000");
	r->nodes[2].wo.score_x10 = 0;
	r->nodes[0].wo.rank = LD_REP_NODES_MAX + 1;
	free(b);
	b = tr_result(r, &n);
	tr_refused(b, n, LD_ELIMIT, "result.nodes[0].assessment.rank: 33 "
	    "exceeds limit 32");
	r->nodes[0].wo.rank = LD_REP_NODES_MAX;
	free(b);
	b = tr_result(r, &n);
	assert_int_equal(report_decode(b, n, d, &err), 0);
	assert_int_equal(d->nodes[0].wo.rank, 32);
	r->nodes[0].wo.rank = 1;
	memset(r->nodes[1].wo.id, 'x', sizeof(r->nodes[1].wo.id));	/* no NUL */
	free(b);
	b = tr_result(r, &n);	/* the writer stops at the buffer's end */
	assert_int_equal(report_decode(b, n, d, &err), 0);
	assert_int_equal(strlen(d->nodes[1].wo.id), LD_ID_MAX);
	memset(r->nodes[1].wo.id, 0, sizeof(r->nodes[1].wo.id));
	memcpy(r->nodes[1].wo.id, "XA", 2);
	at = tr_find_key(b, n, "新安县", 1);	/* node, then its assessment */
	b[at + 2] = 0xff;	/* 新's second byte */
	tr_refused(b, n, LD_EUTF8, "result.nodes[1].assessment.name: invalid "
	    "UTF-8 at byte 0");
	/* a month that is not one */
	r->months[1].key = 201113;
	free(b);
	b = tr_result(r, &n);
	tr_refused(b, n, LD_EINVAL, "result.months[1].key: 201113 is not a "
	    "month (YYYYMM)");
	r->months[1].key = 201108;
	r->day_to = 20110230;
	free(b);
	b = tr_result(r, &n);
	tr_refused(b, n, LD_EINVAL, "result.day_to: 20110230 is not a day "
	    "(YYYYMMDD)");
	r->day_to = 20111206;
	free(b);
	b = tr_result(r, &n);
	/* trailing bytes */
	b = realloc(b, n + 1);
	b[n] = 0xc0;
	tr_refused(b, n + 1, LD_EMALFORMED, "result: 1 trailing bytes after "
	    "the result");
	free(b);

	/* unknown keys are stepped over, at any place ... */
	proto_reply_begin(&w, tr_buf, sizeof(tr_buf), 1, REPORT_ENTRIES + 1);
	proto_w_str(&w, "zz_future");
	proto_w_map(&w, 2);
	proto_w_str(&w, "a");
	proto_w_array(&w, 3);
	proto_w_uint(&w, 1);
	proto_w_nil(&w);
	proto_w_map(&w, 1);
	proto_w_str(&w, "b");
	proto_w_int(&w, -3);
	proto_w_str(&w, "c");
	proto_w_str(&w, "text");
	report_write(&w, r);
	n = (size_t)proto_reply_end(&w);
	assert_int_equal(proto_reply_decode(tr_buf, n, &rep, &err), 0);
	assert_int_equal(report_decode(rep.result, rep.result_len, d, &err), 0);
	assert_memory_equal(r, d, sizeof(*r));

	/* ... within the nesting limit (7 below the result: a reply's 8) */
	TR_MAP(1, K("zz"); for (int i = 0; i < 6; i++)
	    codec_mp_put_array(&w_, 1); codec_mp_put_uint(&w_, 1));
	tr_refused(mb, ml, LD_EMISSING, "result.format: missing");
	TR_MAP(1, K("zz"); for (int i = 0; i < 7; i++)
	    codec_mp_put_array(&w_, 1); codec_mp_put_uint(&w_, 1));
	tr_refused(mb, ml, LD_ELIMIT, "result: nesting depth 8 exceeds limit "
	    "7");
	/* limits, duplicates, format, the top */
	TR_MAP(1, K("units"); codec_mp_put_array(&w_, 257));
	tr_refused(mb, ml, LD_ELIMIT, "result.units: 257 entries exceed limit "
	    "256");
	TR_MAP(1, K("months"); codec_mp_put_array(&w_, 29));
	tr_refused(mb, ml, LD_ELIMIT, "result.months: 29 entries exceed limit "
	    "28");
	TR_MAP(1, K("nodes"); codec_mp_put_array(&w_, 33));
	tr_refused(mb, ml, LD_ELIMIT, "result.nodes: 33 entries exceed limit "
	    "32");
	TR_MAP(1, K("nodes"); codec_mp_put_array(&w_, 1);
	    codec_mp_put_map(&w_, 1); K("assessment");
	    codec_mp_put_array(&w_, 0));
	tr_refused(mb, ml, LD_ETYPE, "result.nodes[0].assessment: expected "
	    "map, got array");
	TR_MAP(1, K("nodes"); codec_mp_put_array(&w_, 1);
	    codec_mp_put_map(&w_, 1); K("assessment");
	    codec_mp_put_map(&w_, 1); K("scored"); codec_mp_put_uint(&w_, 1));
	tr_refused(mb, ml, LD_ETYPE, "result.nodes[0].assessment.scored: "
	    "expected boolean, got integer");
	memset(s129, 'x', 129);
	s129[129] = '\0';
	TR_MAP(1, K("federation"); K(s129));
	tr_refused(mb, ml, LD_ELIMIT, "result.federation: string of 129 bytes "
	    "exceeds limit 128");
	TR_MAP(1, K("node"); K("ABCDEFGHI"));
	tr_refused(mb, ml, LD_ELIMIT, "result.node: string of 9 bytes exceeds "
	    "limit 8");
	TR_MAP(2, K("days"); codec_mp_put_uint(&w_, 1); K("days");
	    codec_mp_put_uint(&w_, 2));
	tr_refused(mb, ml, LD_EMALFORMED, "result.days: duplicate key");
	TR_MAP(1, K("days"); codec_mp_put_uint(&w_, 801));
	tr_refused(mb, ml, LD_ELIMIT, "result.days: 801 exceeds limit 800");
	TR_MAP(1, K("format"); codec_mp_put_uint(&w_, 2));
	tr_refused(mb, ml, LD_EUNKNOWN, "result.format: unsupported report "
	    "format 2 (expected 1)");
	TR_MAP(1, K("formula"); codec_mp_put_map(&w_, 1); K("w_sign");
	    codec_mp_put_uint(&w_, 1001));
	tr_refused(mb, ml, LD_ELIMIT, "result.formula.w_sign: 1001 exceeds "
	    "limit 1000");
	TR_MAP(1, K("units"); codec_mp_put_array(&w_, 1);
	    codec_mp_put_array(&w_, 0));
	tr_refused(mb, ml, LD_ETYPE, "result.units[0]: expected map, got "
	    "array");
	TR_MAP(1, codec_mp_put_uint(&w_, 1); codec_mp_put_uint(&w_, 1));
	tr_refused(mb, ml, LD_ETYPE, "result: key must be a string, got "
	    "integer");
	mb[0] = 0x90;
	tr_refused(mb, 1, LD_ETYPE, "result: expected map, got array");
	tr_refused(mb, 0, LD_EMALFORMED, "result: truncated at byte 0");
	mb[0] = 0xdf;	/* a map of 2^32 - 1 entries in 5 bytes */
	memset(mb + 1, 0xff, 4);
	assert_int_equal(report_decode(mb, 5, d, &err), LD_EMALFORMED);
	assert_int_equal(report_decode(NULL, 0, d, &err), LD_EMALFORMED);
	assert_int_equal(report_decode(NULL, 3, d, &err), LD_EINVAL);
	free(d);
	free(r);
}

static void
test_wire_truncated(void **state)
{
	struct ld_report *r = tr_article(), *d = malloc(sizeof(*d));
	struct ld_err err;
	uint8_t *b, *cut;
	size_t n;

	(void)state;
	assert_non_null(d);
	b = tr_result(r, &n);
	for (size_t len = 0; len < n; len++) {
		cut = malloc(len ? len : 1);	/* exactly len: ASan sees */
		memcpy(cut, b, len);
		err_clear(&err);
		if (report_decode(cut, len, d, &err) >= 0)
			fail_msg("a cut at %zu of %zu decoded", len, n);
		assert_true(err.msg[0] != '\0');
		free(cut);
	}
	free(b);
	free(d);
	free(r);
}

static void
test_wire_flips(void **state)
{
	struct ld_report *r = tr_article(), *d = malloc(sizeof(*d));
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct ld_err err;
	uint8_t *b, *m;
	size_t n;
	int ok = 0;

	(void)state;
	assert_non_null(d);
	b = tr_result(r, &n);
	m = malloc(n);
	for (int round = 0; round < 2000; round++) {
		int rc;

		memcpy(m, b, n);
		for (int k = 0; k < 1 + round % 3; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[x % n] ^= (uint8_t)(1u + (x >> 32) % 255);
		}
		err_clear(&err);
		rc = report_decode(m, n, d, &err);
		if (rc == 0) {
			ok++;
			continue;
		}
		assert_true(rc < 0 && err.code == rc && err.msg[0] != '\0');
	}
	/* some flips land in counters and still decode */
	assert_true(ok > 0);
	free(m);
	free(b);
	free(d);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_node_assessment),
		cmocka_unit_test(test_rank_nodes),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_wire_errors),
		cmocka_unit_test(test_wire_truncated),
		cmocka_unit_test(test_wire_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
