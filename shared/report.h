/*
 * report.h - the published report: the article's table for a period, and
 * the assessment of every unit (docs/assessment.md).
 *
 * struct ld_report is filled by the node (assess.c, from one LMDB read
 * snapshot), sent to the client as the result of the `report` op
 * (report_write / report_decode: msgpack, docs/protocol.md), and printed
 * by linkctl (report_print_*).  The renderers only format: every figure,
 * rate and score is already in the struct or follows from it by the rate
 * helpers below, so text, CSV and HTML always agree.
 */
#ifndef LD_REPORT_H
#define LD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "event.h"
#include "proto.h"
#include "topo.h"

#define LD_REP_MONTHS_MAX 28	/* months one report may touch (800 days) */
#define LD_REP_NODES_MAX 32
#define LD_REP_UNITS_MAX 256
#define LD_REP_DAYS_MAX 800	/* days in one report's period */

/* The article's figures for a period (or a month, or a node). */
struct ld_rep_fig {
	uint64_t calls_in;	/* 呼入 */
	uint64_t answered;	/* 接到 */
	uint64_t valid;		/* 有效诉求 */
	uint64_t linkage;	/* 联动诉求: valid, not police/fire/medical */
	uint64_t tickets;	/* tickets created in the period */
	uint64_t completed;	/* ... of which completed now (办结) */
	uint64_t in_progress;	/* ... of which not (正在办理) */
	uint64_t callbacks;	/* callbacks made in the period */
	uint64_t satisfied, basic, unsatisfied;
	uint64_t urged, supervised, returned;	/* in the period */
	uint64_t incidents;	/* emergency plans started in the period */
	uint64_t attached;	/* further calls attached to incidents */
	uint64_t incidents_closed;	/* incidents closed in the period */
	uint64_t incident_minutes;	/* ... their minutes from the first
					 * call to the close, summed */
};

/* A month (key YYYYMM) or a day (key YYYYMMDD) of the period. */
struct ld_rep_period {
	uint32_t key;
	struct ld_rep_fig fig;
};

/* One unit's assessment: its work orders dispatched in the period (the
 * cohort; docs/assessment.md §2) and what became of them. */
struct ld_rep_unit {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	char node[LD_NODE_MAX + 1];	/* home node */
	uint64_t received;	/* work orders dispatched to it */
	uint64_t signed_on_time;
	uint64_t completed;
	uint64_t completed_on_time;
	uint64_t returned;
	uint64_t sent_back;	/* returns the office ruled against */
	uint64_t extended;	/* extensions granted */
	uint64_t urged, supervised;
	uint64_t callbacks, satisfied, basic, unsatisfied;
	bool scored;		/* received > 0 */
	int32_t score_x10;	/* score * 10 (953 = 95.3), 0..1000 */
	unsigned rank;		/* 1 = best among the scored; 0 if unscored */
};

struct ld_rep_node {
	char id[LD_NODE_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	struct ld_rep_fig fig;
	/* The node's own assessment: the sum of its units' counters (id,
	 * name and node are the node's), scored by the same formula and
	 * ranked among the nodes (rank 1 = best). */
	struct ld_rep_unit wo;
};

struct ld_report {
	char federation[LD_TOPO_NAME_MAX + 1];
	char node[LD_NODE_MAX + 1];	/* the node that made it */
	char node_name[LD_TOPO_NAME_MAX + 1];
	uint32_t day_from, day_to;	/* local days YYYYMMDD, inclusive */
	unsigned days;			/* days in the period */
	int64_t generated_ms;
	struct ld_rep_fig total;
	bool has_prev;			/* the same period a year before */
	struct ld_rep_fig prev;		/* has data: year on year */
	uint32_t peak_month;		/* YYYYMM with most calls in, 0 if none */
	uint64_t peak_month_calls, peak_month_linkage;
	uint32_t peak_day;		/* YYYYMMDD with most calls in, 0 if none */
	uint64_t peak_day_calls, peak_day_linkage;
	unsigned n_months;
	struct ld_rep_period months[LD_REP_MONTHS_MAX];
	unsigned n_nodes;		/* this node and the nodes below it */
	struct ld_rep_node nodes[LD_REP_NODES_MAX];
	unsigned n_units;		/* sorted by rank, unscored last by id */
	struct ld_rep_unit units[LD_REP_UNITS_MAX];
	struct ld_topo_assess formula;	/* the weights used */
};

/* Rates in tenths of a percent (995 = 99.5%), rounded half up; -1 when the
 * denominator is 0 (shown as "—"). */
int report_permille(uint64_t num, uint64_t den);
/* Completion rate of a fig: completed / tickets. */
int report_completion(const struct ld_rep_fig *f);
/* Satisfaction: (satisfied + basic) / callbacks. */
int report_satisfaction(const struct ld_rep_fig *f);
/* Mean time from an incident's first call to its close, in tenths of an
 * hour (rounded half up); -1 when none was closed. */
int64_t report_incident_hours(const struct ld_rep_fig *f);
/* Year on year: (now - before) / before, in tenths of a percent, signed;
 * INT32_MIN when before is 0. */
int32_t report_yoy(uint64_t now, uint64_t before);
/* "99.5%", "—" for -1; buf of at least 16 bytes. */
void report_fmt_permille(int pm, char *buf, size_t cap);

/*
 * The unit's score (docs/assessment.md §3), in tenths of a point 0..1000:
 *   base = (w_sign * S + w_ontime * T + w_complete * C + w_sat * Q)
 *          / (w_sign + w_ontime + w_complete + w_sat)           (0..100)
 *   score = base - p_return * R - p_urge * U - p_supervise * V, in [0, 100]
 * with S = signed_on_time / received, T = completed_on_time / received,
 * C = completed / received, Q = (satisfied + basic) / callbacks (1 when no
 * callback), R = returned / received, U = urged / received, V =
 * supervised / received.  Integer arithmetic, rounded half up, so every
 * machine gives the same score.  Sets scored, score_x10.
 */
void report_score(struct ld_rep_unit *u, const struct ld_topo_assess *a);
/* Rank the units (by score, then received, then id) and sort them. */
void report_rank(struct ld_report *r);
/* Rank the nodes' own assessments (nodes[i].wo) by the same order; the
 * nodes keep their order (the reporting node first). */
void report_rank_nodes(struct ld_report *r);

/* Print: the article's table, per month, per node, per unit.  Text for a
 * terminal (UTF-8, aligned by display width: a Chinese character is two
 * columns); CSV (RFC 4180, one table after another, each with a header
 * line and a first column naming the table); HTML (one self-contained
 * page, UTF-8, no JavaScript, no external resource, a bar chart of the
 * units' scores and one of their work orders as inline SVG).  Return 0 or
 * LD_EIO when the stream failed. */
int report_print_text(const struct ld_report *r, FILE *f);
int report_print_csv(const struct ld_report *r, FILE *f);
int report_print_html(const struct ld_report *r, FILE *f);

/* msgpack: the `report` op's result map (docs/protocol.md §10, "The
 * report result": REPORT_ENTRIES keys).  The node calls
 * proto_reply_begin(w, ..., REPORT_ENTRIES) and then report_write(w, r);
 * a client decodes the reply's result bytes (struct ld_reply .result,
 * .result_len) with report_decode, which treats them as hostile (every
 * limit above checked, a wrong type or a missing field named in err;
 * unknown keys ignored). */
#define REPORT_ENTRIES 17
void report_write(struct ld_pw *w, const struct ld_report *r);
int report_decode(const uint8_t *buf, size_t len, struct ld_report *r,
    struct ld_err *err);

#endif
