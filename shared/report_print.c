/*
 * report_print.c - the report's three renderers (see report.h): text for
 * a terminal, CSV (RFC 4180) and one self-contained HTML page with three
 * SVG bar charts (the units' scores, their work orders, the nodes'
 * scores).
 *
 * The tables are data: a table is a list of columns (Chinese and English
 * header, CSV key, alignment, what the cell shows) over rows of the
 * report (the summary's figures, months, nodes, units; a node's row also
 * holds its own assessment, shown as a unit's), and one cell
 * function formats any cell, for people ("1,321,215", "99.5%", "—") or
 * raw for CSV ("1321215", "99.5", "").  So the three outputs show the same
 * figures by construction.  Text columns are aligned by display width: a
 * Chinese character takes two columns (rp_width).  Numbers in text and
 * HTML have thousands separators; rates and per-day figures one decimal,
 * rounded half up (report.c).
 *
 * Text from the report (names, ids) is cleaned for the terminal (control
 * characters and bad UTF-8 become '?'), escaped for HTML (&, <, >, ", '),
 * quoted for CSV; nothing else is trusted about it.
 */
#include "report.h"
#include "ltime.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RP_CELL 320		/* one formatted cell */
#define RP_COLS_MAX 48
#define RP_CHART_W 800		/* SVG charts: width, */
#define RP_LABEL_X 232		/* where the labels end, */
#define RP_BAR_X 240		/* where the bars start, */
#define RP_BAR_MAX 440		/* and their longest length */
#define RP_LABEL_COLS 30	/* chart labels: display columns at most */

/* ---- text: code points and display width -------------------------------- */

/* The code point at s[0..n) (n >= 1) and its length in bytes; a byte that
 * does not start a valid sequence is one "character", U+FFFD. */
static size_t
rp_cp(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need, k;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (n <= need)
		goto bad;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return need + 1;
bad:
	*cp = 0xfffd;
	return 1;
}

/* Columns a code point takes on a terminal: 2 for the East Asian wide
 * and fullwidth ranges, 1 otherwise. */
static size_t
rp_cp_width(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
}

/* Display width of s[0..n). */
static size_t
rp_nwidth(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, k;
	uint32_t c;

	while (n > 0) {
		k = rp_cp(p, n, &c);
		w += rp_cp_width(c);
		p += k;
		n -= k;
	}
	return w;
}

/* Display width of NUL-terminated s. */
static size_t
rp_width(const char *s)
{
	return rp_nwidth(s, strlen(s));
}

/*
 * Copy the string in the buffer of cap bytes at src (NUL-terminated
 * within it or not) into out (ocap bytes), for people: control characters
 * and bytes that are not UTF-8 become '?'.  When maxw > 0 and the string
 * is wider, it is cut to maxw - 1 columns and "…" added.
 */
static void
rp_clean(const char *src, size_t cap, size_t maxw, char *out, size_t ocap)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = strnlen(src, cap), o = 0, w = 0, k, cw, m;
	bool cut = maxw > 0 && rp_nwidth(src, n) > maxw, bad;
	uint32_t c;

	while (n > 0) {
		k = rp_cp(p, n, &c);
		cw = rp_cp_width(c);
		if (cut && w + cw > maxw - 1)
			break;
		/* rp_cp gives U+FFFD in one byte for a bad byte; a real
		 * U+FFFD takes three */
		bad = c < 0x20 || (c >= 0x7f && c < 0xa0) || (k == 1 && c > 0x7f);
		m = bad ? 1 : k;
		if (o + m + 4 > ocap)
			break;
		if (bad)
			out[o] = '?';
		else
			memcpy(out + o, p, k);
		o += m;
		w += cw;
		p += k;
		n -= k;
	}
	if (cut) {
		memcpy(out + o, "…", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* ---- numbers ------------------------------------------------------------ */

/* v with thousands separators ("1,321,215"), or plain when raw. */
static void
rp_num(uint64_t v, bool raw, char *b, size_t cap)
{
	char d[24];
	int n = snprintf(d, sizeof(d), "%" PRIu64, v);
	size_t o = 0;

	if (raw) {
		snprintf(b, cap, "%s", d);
		return;
	}
	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			b[o++] = ',';
		b[o++] = d[i];
	}
	b[o] = '\0';
}

/* Tenths as "3,561.2" ("3561.2" raw). */
static void
rp_tenths(uint64_t t, bool raw, char *b, size_t cap)
{
	size_t n;

	rp_num(t / 10, raw, b, cap);
	n = strlen(b);
	snprintf(b + n, cap - n, ".%u", (unsigned)(t % 10));
}

/* total / days, one decimal, rounded half up; "—" ("" raw) with no day. */
static void
rp_per_day(uint64_t total, uint64_t days, bool raw, char *b, size_t cap)
{
	unsigned __int128 t;

	if (days == 0) {
		snprintf(b, cap, "%s", raw ? "" : "—");
		return;
	}
	t = ((unsigned __int128)total * 20 + days) / ((unsigned __int128)days *
	    2);
	rp_tenths(t > UINT64_MAX ? UINT64_MAX : (uint64_t)t, raw, b, cap);
}

/* A rate in tenths of a percent: "99.5%" ("99.5" raw), "—" ("" raw). */
static void
rp_rate(int pm, bool raw, char *b, size_t cap)
{
	char *pct;

	report_fmt_permille(pm, b, cap);
	if (raw && pm == -1)
		b[0] = '\0';
	else if (raw && (pct = strchr(b, '%')) != NULL)
		*pct = '\0';
}

/* Year on year: "+25.0%", "-3.2%", "0.0%" ("25.0" raw); "—" ("" raw) when
 * there is no base. */
static void
rp_yoy(int32_t v, bool raw, char *b, size_t cap)
{
	long long a = v < 0 ? -(long long)v : v;

	if (v == INT32_MIN) {
		snprintf(b, cap, "%s", raw ? "" : "—");
		return;
	}
	snprintf(b, cap, "%s%lld.%lld%s", v < 0 ? "-" : v > 0 && !raw ? "+" :
	    "", a / 10, a % 10, raw ? "" : "%");
}

/* A day YYYYMMDD as "YYYY-MM-DD", a month YYYYMM as "YYYY-MM"; 0 as "—"
 * ("" raw). */
static void
rp_date(uint32_t v, bool month, bool raw, char *b, size_t cap)
{
	if (v == 0)
		snprintf(b, cap, "%s", raw ? "" : "—");
	else if (month)
		snprintf(b, cap, "%04u-%02u", v / 100, v % 100);
	else
		snprintf(b, cap, "%04u-%02u-%02u", v / 10000, v / 100 % 100,
		    v % 100);
}

/* Days from day a to day b (YYYYMMDD), inclusive; 0 if either is not a
 * date or b is before a. */
static uint64_t
rp_days(uint32_t a, uint32_t b)
{
	int64_t sa = ltime_day_start(a), sb = ltime_day_start(b);

	return sa < 0 || sb < sa ? 0 : (uint64_t)((sb - sa) / 86400000 + 1);
}

/* The days of month ym (YYYYMM) within the report's period. */
static uint64_t
rp_month_days(const struct ld_report *r, uint32_t ym)
{
	uint32_t first = ym * 100 + 1, last = ym * 100 + 31;

	if (ym > 999912)
		return 0;
	while (last > first && ltime_day_start(last) < 0)
		last--;
	if (r->day_from > first)
		first = r->day_from;
	if (r->day_to < last)
		last = r->day_to;
	return rp_days(first, last);
}

/* ---- tables: what they hold --------------------------------------------- */

enum rp_kind {
	K_U64 = 1,	/* the counter at off (in the row's fig, if it has one) */
	K_STR,		/* the string at off, in a buffer of max + 1 */
	K_LABEL,	/* summary: the figure's name */
	K_TOTAL, K_PERDAY, K_YOY,	/* summary: the figure's */
	K_MONTH,	/* the month row's key */
	K_COMPLETION, K_SATISFACTION,	/* the row's fig's rates */
	K_INC_HOURS,	/* the row's fig's mean hours to close an incident */
	K_UNUM,		/* the counter at off in the row's unit */
	K_RANK, K_SCORE,	/* the row's unit's */
	K_URATE,	/* a unit's counter at off per work order received */
	K_USAT,		/* a unit's satisfaction */
	K_INFO		/* the information block: rows of their own */
};

enum { RP_RIGHT = 1, RP_CSV = 2 /* only in CSV */, RP_HUMAN = 4 /* not */ };

struct rp_col {
	const char *zh, *en, *key;
	uint8_t flags;
	uint8_t kind;
	uint16_t off;
	uint16_t max;
};

struct rp_tab {
	const char *name;	/* CSV: the first column */
	const char *zh, *en;	/* text and HTML: the caption */
	const struct rp_col *cols;
	unsigned ncols, nrows;
	const struct ld_report *r;
	const char *rows;	/* the first row's struct ... */
	size_t size;		/* ... and the size of one */
	size_t fig;		/* where a row's fig lies in it */
	bool head;		/* header lines */
	size_t unit;		/* where a row's unit (an assessment) lies */
};

/* The summary's rows: the article's figures. */
static const struct {
	const char *key, *label;
	size_t off;
	bool per_day;
} rp_figs[] = {
	{ "calls_in", "呼入 calls in", offsetof(struct ld_rep_fig, calls_in),
	  true },
	{ "answered", "接到 answered", offsetof(struct ld_rep_fig, answered),
	  true },
	{ "valid", "有效诉求 valid requests", offsetof(struct ld_rep_fig,
	  valid), true },
	{ "linkage", "联动诉求 linkage requests", offsetof(struct ld_rep_fig,
	  linkage), true },
	{ "tickets", "工单 tickets", offsetof(struct ld_rep_fig, tickets),
	  true },
	{ "completed", "办结 completed", offsetof(struct ld_rep_fig,
	  completed), false },
	{ "in_progress", "正在办理 in progress", offsetof(struct ld_rep_fig,
	  in_progress), false },
	{ "incidents", "应急事件 incidents", offsetof(struct ld_rep_fig,
	  incidents), true },
	{ "attached", "并案来电 attached calls", offsetof(struct ld_rep_fig,
	  attached), true },
	{ "incidents_closed", "应急事件办结 incidents closed",
	  offsetof(struct ld_rep_fig, incidents_closed), false },
};
#define RP_NFIGS (sizeof(rp_figs) / sizeof(rp_figs[0]))

static const struct rp_col rp_sum_cols[] = {
	{ "项目", "figure", "item", 0, K_LABEL, 0, 0 },
	{ "总数", "total", "value", RP_RIGHT, K_TOTAL, 0, 0 },
	{ "日均", "per day", "per_day", RP_RIGHT, K_PERDAY, 0, 0 },
	{ "同比", "year on year", "year_on_year", RP_RIGHT, K_YOY, 0, 0 },
};

#define FIG(zh, en, m, fl) { zh, en, #m, RP_RIGHT | (fl), K_U64, \
	offsetof(struct ld_rep_fig, m), 0 }
#define FIG_COLS							\
	FIG("呼入", "calls in", calls_in, 0),				\
	FIG("接到", "answered", answered, 0),				\
	FIG("有效", "valid", valid, 0),					\
	FIG("联动", "linkage", linkage, 0),				\
	FIG("工单", "tickets", tickets, 0),				\
	FIG("办结", "completed", completed, 0),				\
	FIG("在办", "in progress", in_progress, 0),			\
	{ "办结率", "completion", "completion_rate", RP_RIGHT,		\
	  K_COMPLETION, 0, 0 },						\
	FIG("回访", "callbacks", callbacks, 0),				\
	FIG("满意", "satisfied", satisfied, RP_CSV),			\
	FIG("基本满意", "basic", basic, RP_CSV),				\
	FIG("不满意", "unsatisfied", unsatisfied, RP_CSV),		\
	{ "满意率", "satisfaction", "satisfaction", RP_RIGHT,		\
	  K_SATISFACTION, 0, 0 },					\
	FIG("催办", "urged", urged, 0),					\
	FIG("督办", "supervised", supervised, 0),			\
	FIG("退回", "returned", returned, 0),				\
	FIG("应急", "incidents", incidents, 0),				\
	FIG("并案", "attached", attached, RP_CSV),			\
	FIG("应急办结", "incidents closed", incidents_closed, RP_CSV),	\
	FIG("处置分钟", "incident minutes", incident_minutes, RP_CSV),	\
	{ "平均处置时长", "mean hours to close", "incident_hours",	\
	  RP_RIGHT, K_INC_HOURS, 0, 0 }

static const struct rp_col rp_month_cols[] = {
	{ "月份", "month", "month", 0, K_MONTH, 0, 0 },
	FIG_COLS,
};

#define STR(zh, en, key, S, m) { zh, en, key, 0, K_STR, offsetof(S, m), \
	sizeof(((S *)0)->m) - 1 }
#define UK(zh, en, key, m, fl) { zh, en, key, RP_RIGHT | (fl), K_UNUM, \
	offsetof(struct ld_rep_unit, m), 0 }
#define UN(zh, en, m, fl) UK(zh, en, #m, m, fl)
#define UR(zh, en, key, m) { zh, en, key, RP_RIGHT, K_URATE, \
	offsetof(struct ld_rep_unit, m), 0 }

/* A node's row: its figures, then its own assessment (the sum of its
 * units' counters, scored and ranked among the nodes) as a unit's, but
 * "wo ..." in English and "wo_..." in CSV: the figures have a "returned",
 * a "completion_rate" and more of their own. */
static const struct rp_col rp_node_cols[] = {
	STR("节点", "node", "name", struct ld_rep_node, name),
	STR("编号", "id", "node", struct ld_rep_node, id),
	FIG_COLS,
	UK("派单", "wo received", "wo_received", received, 0),
	UK("按时签收", "wo signed on time", "wo_signed_on_time",
	    signed_on_time, RP_CSV),
	UR("按时签收", "wo signed on time", "wo_signed_on_time_rate",
	    signed_on_time),
	UK("办结", "wo completed", "wo_completed", completed, RP_CSV),
	UK("按时办结", "wo completed on time", "wo_completed_on_time",
	    completed_on_time, RP_CSV),
	UR("按时办结", "wo completed on time", "wo_completed_on_time_rate",
	    completed_on_time),
	UR("办结率", "wo completion", "wo_completion_rate", completed),
	UK("退回", "wo returned", "wo_returned", returned, 0),
	UK("驳回", "wo sent back", "wo_sent_back", sent_back, 0),
	UK("延期", "wo extended", "wo_extended", extended, 0),
	UK("催办", "wo urged", "wo_urged", urged, 0),
	UK("督办", "wo supervised", "wo_supervised", supervised, 0),
	UK("回访", "wo callbacks", "wo_callbacks", callbacks, 0),
	UK("满意", "wo satisfied", "wo_satisfied", satisfied, RP_CSV),
	UK("基本满意", "wo basic", "wo_basic", basic, RP_CSV),
	UK("不满意", "wo unsatisfied", "wo_unsatisfied", unsatisfied, RP_CSV),
	{ "满意率", "wo satisfaction", "wo_satisfaction", RP_RIGHT, K_USAT, 0,
	  0 },
	{ "得分", "score", "score", RP_RIGHT, K_SCORE, 0, 0 },
	{ "名次", "rank", "rank", RP_RIGHT, K_RANK, 0, 0 },
};

static const struct rp_col rp_unit_cols[] = {
	{ "名次", "rank", "rank", RP_RIGHT, K_RANK, 0, 0 },
	STR("单位", "unit", "name", struct ld_rep_unit, name),
	STR("编号", "id", "unit", struct ld_rep_unit, id),
	STR("节点", "node", "node", struct ld_rep_unit, node),
	UN("派单", "received", received, 0),
	UN("按时签收", "signed on time", signed_on_time, RP_CSV),
	UR("按时签收", "signed on time", "signed_on_time_rate",
	    signed_on_time),
	UN("办结", "completed", completed, RP_CSV),
	UN("按时办结", "completed on time", completed_on_time, RP_CSV),
	UR("按时办结", "completed on time", "completed_on_time_rate",
	    completed_on_time),
	UR("办结率", "completion", "completion_rate", completed),
	UN("退回", "returned", returned, 0),
	UN("驳回", "sent back", sent_back, 0),
	UN("延期", "extended", extended, 0),
	UN("催办", "urged", urged, 0),
	UN("督办", "supervised", supervised, 0),
	UN("回访", "callbacks", callbacks, 0),
	UN("满意", "satisfied", satisfied, RP_CSV),
	UN("基本满意", "basic", basic, RP_CSV),
	UN("不满意", "unsatisfied", unsatisfied, RP_CSV),
	{ "满意率", "satisfaction", "satisfaction", RP_RIGHT, K_USAT, 0, 0 },
	{ "得分", "score", "score", RP_RIGHT, K_SCORE, 0, 0 },
};

static const struct rp_col rp_info_cols[] = {
	{ NULL, NULL, NULL, 0, K_INFO, 0, 0 },
	{ NULL, NULL, NULL, 0, K_INFO, 1, 0 },
};
#define RP_NINFO 4

#define RP_N(a) (unsigned)(sizeof(a) / sizeof(a[0]))
_Static_assert(RP_N(rp_unit_cols) <= RP_COLS_MAX &&
    RP_N(rp_node_cols) <= RP_COLS_MAX, "RP_COLS_MAX too small");

static unsigned
rp_min(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static void
rp_tab_months(struct rp_tab *t, const struct ld_report *r)
{
	*t = (struct rp_tab){ "month", "按月", "by month", rp_month_cols,
		RP_N(rp_month_cols), rp_min(r->n_months, LD_REP_MONTHS_MAX), r,
		(const char *)r->months, sizeof(r->months[0]),
		offsetof(struct ld_rep_period, fig), true, 0 };
}

static void
rp_tab_nodes(struct rp_tab *t, const struct ld_report *r)
{
	*t = (struct rp_tab){ "node", "按节点", "by node", rp_node_cols,
		RP_N(rp_node_cols), rp_min(r->n_nodes, LD_REP_NODES_MAX), r,
		(const char *)r->nodes, sizeof(r->nodes[0]),
		offsetof(struct ld_rep_node, fig), true,
		offsetof(struct ld_rep_node, wo) };
}

static void
rp_tab_units(struct rp_tab *t, const struct ld_report *r)
{
	*t = (struct rp_tab){ "unit", "单位考核", "unit assessment",
		rp_unit_cols, RP_N(rp_unit_cols), rp_min(r->n_units,
		LD_REP_UNITS_MAX), r, (const char *)r->units,
		sizeof(r->units[0]), 0, true, 0 };
}

/* The summary; without the year on year column when there is none to
 * show (and not for CSV, whose columns never change). */
static void
rp_tab_summary(struct rp_tab *t, const struct ld_report *r, bool csv)
{
	*t = (struct rp_tab){ "summary", NULL, NULL, rp_sum_cols,
		RP_N(rp_sum_cols) - (!csv && !r->has_prev), RP_NFIGS, r, NULL,
		0, 0, true, 0 };
}

/* ---- tables: cells ------------------------------------------------------ */

/* One cell of the information block (text and HTML). */
static void
rp_info(const struct ld_report *r, unsigned row, bool label, char *b,
    size_t cap)
{
	static const char *const labels[RP_NINFO] = { "办结率 completion rate",
		"满意率 satisfaction", "高峰月 peak month", "高峰日 peak day" };
	const struct ld_rep_fig *g = &r->total;
	char x[64], y[64], z[64], d[32];

	if (label) {
		snprintf(b, cap, "%s", labels[row]);
		return;
	}
	switch (row) {
	case 0:
		rp_rate(report_completion(g), false, z, sizeof(z));
		rp_num(g->completed, false, x, sizeof(x));
		rp_num(g->tickets, false, y, sizeof(y));
		snprintf(b, cap, "%s (%s / %s tickets)", z, x, y);
		break;
	case 1:
		rp_rate(report_satisfaction(g), false, z, sizeof(z));
		rp_num(g->satisfied + g->basic >= g->satisfied ? g->satisfied +
		    g->basic : UINT64_MAX, false, x, sizeof(x));
		rp_num(g->callbacks, false, y, sizeof(y));
		snprintf(b, cap, "%s (%s satisfied or basically satisfied / %s "
		    "callbacks)", z, x, y);
		break;
	case 2:
		if (r->peak_month == 0) {
			snprintf(b, cap, "—");
			break;
		}
		rp_date(r->peak_month, true, false, d, sizeof(d));
		rp_num(r->peak_month_calls, false, x, sizeof(x));
		rp_per_day(r->peak_month_calls, rp_month_days(r, r->peak_month),
		    false, z, sizeof(z));
		rp_num(r->peak_month_linkage, false, y, sizeof(y));
		snprintf(b, cap, "%s: %s calls in (%s a day), %s linkage "
		    "requests", d, x, z, y);
		break;
	default:
		if (r->peak_day == 0) {
			snprintf(b, cap, "—");
			break;
		}
		rp_date(r->peak_day, false, false, d, sizeof(d));
		rp_num(r->peak_day_calls, false, x, sizeof(x));
		rp_num(r->peak_day_linkage, false, y, sizeof(y));
		snprintf(b, cap, "%s: %s calls in, %s linkage requests", d, x,
		    y);
		break;
	}
}

/* A unit's satisfaction, as a fig's. */
static int
rp_unit_sat(const struct ld_rep_unit *u)
{
	struct ld_rep_fig g = { .callbacks = u->callbacks,
		.satisfied = u->satisfied, .basic = u->basic };

	return report_satisfaction(&g);
}

/* A score in tenths as "95.3". */
static void
rp_score(int32_t x10, char *b, size_t cap)
{
	long long a = x10 < 0 ? -(long long)x10 : x10;

	snprintf(b, cap, "%s%lld.%lld", x10 < 0 ? "-" : "", a / 10, a % 10);
}

static uint64_t
rp_load(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Cell (row, column c) of t, for people or raw (CSV). */
static void
rp_cell(const struct rp_tab *t, unsigned row, const struct rp_col *c,
    bool raw, char *b, size_t cap)
{
	const struct ld_report *r = t->r;
	const char *p = t->rows != NULL ? t->rows + row * t->size : NULL;
	const struct ld_rep_unit *u = (const struct ld_rep_unit *)(p != NULL ?
	    p + t->unit : NULL);
	const struct ld_rep_fig *g = (const struct ld_rep_fig *)(p != NULL ?
	    p + t->fig : NULL);

	b[0] = '\0';
	switch (c->kind) {
	case K_U64:
		rp_num(rp_load(p + t->fig + c->off), raw, b, cap);
		break;
	case K_STR:
		if (raw)
			snprintf(b, cap, "%.*s", (int)c->max, p + c->off);
		else
			rp_clean(p + c->off, c->max + 1u, 0, b, cap);
		break;
	case K_LABEL:
		snprintf(b, cap, "%s", raw ? rp_figs[row].key :
		    rp_figs[row].label);
		break;
	case K_TOTAL:
		rp_num(rp_load((const char *)&r->total + rp_figs[row].off), raw,
		    b, cap);
		break;
	case K_PERDAY:
		if (rp_figs[row].per_day)
			rp_per_day(rp_load((const char *)&r->total +
			    rp_figs[row].off), r->days, raw, b, cap);
		break;
	case K_YOY:
		if (r->has_prev)
			rp_yoy(report_yoy(rp_load((const char *)&r->total +
			    rp_figs[row].off), rp_load((const char *)&r->prev +
			    rp_figs[row].off)), raw, b, cap);
		break;
	case K_UNUM:
		rp_num(rp_load((const char *)u + c->off), raw, b, cap);
		break;
	case K_MONTH:
		rp_date(((const struct ld_rep_period *)p)->key, true, raw, b,
		    cap);
		break;
	case K_COMPLETION:
		rp_rate(report_completion(g), raw, b, cap);
		break;
	case K_SATISFACTION:
		rp_rate(report_satisfaction(g), raw, b, cap);
		break;
	case K_INC_HOURS: {
		int64_t h = report_incident_hours(g);

		if (h >= 0)
			snprintf(b, cap, "%lld.%lld", (long long)(h / 10),
			    (long long)(h % 10));
		else if (!raw)
			snprintf(b, cap, "—");
		break;
	}
	case K_RANK:
		if (u->rank > 0)
			snprintf(b, cap, "%u", u->rank);
		else if (!raw)
			snprintf(b, cap, "—");
		break;
	case K_SCORE:
		if (u->scored)
			rp_score(u->score_x10, b, cap);
		else if (!raw)
			snprintf(b, cap, "—");
		break;
	case K_URATE:
		rp_rate(report_permille(rp_load((const char *)u + c->off),
		    u->received), raw, b, cap);
		break;
	case K_USAT:
		rp_rate(rp_unit_sat(u), raw, b, cap);
		break;
	default:	/* K_INFO */
		rp_info(r, row, c->off == 0, b, cap);
		break;
	}
}

/* Is column c part of this output? */
static bool
rp_shown(const struct rp_col *c, bool csv)
{
	return !(c->flags & (csv ? RP_HUMAN : RP_CSV));
}

/* The formula's line with the weights used (text and HTML). */
static void
rp_formula(const struct ld_topo_assess *a, char *b, size_t cap)
{
	long long w = (long long)a->w_sign + a->w_ontime + a->w_complete +
	    a->w_satisfaction;
	int o = 0;

	if (w != 0)
		o = snprintf(b, cap, "(%d×S + %d×T + %d×C + %d×Q) / %lld",
		    a->w_sign, a->w_ontime, a->w_complete, a->w_satisfaction,
		    w);
	else
		o = snprintf(b, cap, "100");
	snprintf(b + o, cap - (size_t)o, " - %d×R - %d×U - %d×V",
	    a->p_return, a->p_urge, a->p_supervise);
}

static const char *const rp_formula_notes[] = {
	"S = signed on time / received, T = completed on time / received, "
	    "C = completed / received,",
	"Q = (satisfied + basic) / callbacks (1 without callbacks), "
	    "R = returned / received,",
	"U = urged / received, V = supervised / received; held to 0..100, "
	    "rounded half up to 0.1;",
	"work orders dispatched to the unit in the period (docs/assessment.md).",
};

/* The report's heading, cleaned: the federation's name, the node's
 * ("洛阳市 (LY)"), the period and when it was made; each of RP_CELL
 * bytes. */
static void
rp_heading(const struct ld_report *r, char *fed, char *node, char *period)
{
	const size_t cap = RP_CELL, pcap = RP_CELL;
	char id[LD_NODE_MAX + 4], from[16], to[16], gen[32] = "";

	rp_clean(r->federation, sizeof(r->federation), 0, fed, cap);
	rp_clean(r->node_name, sizeof(r->node_name), 0, node, cap);
	rp_clean(r->node, sizeof(r->node), 0, id, sizeof(id));
	snprintf(node + strlen(node), cap - strlen(node), " (%s)", id);
	rp_date(r->day_from, false, false, from, sizeof(from));
	rp_date(r->day_to, false, false, to, sizeof(to));
	if (r->generated_ms > 0 && r->generated_ms <= LD_TIME_MAX)
		ltime_format(r->generated_ms, gen, sizeof(gen));
	snprintf(period, pcap, "%s — %s, %u 天 days%s%s", from, to, r->days,
	    gen[0] ? "; 生成 generated " : "", gen);
}

/* ---- text --------------------------------------------------------------- */

static void
rp_pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* Cell s in a column of w display columns; the last left-aligned cell of
 * a line is not padded. */
static void
rp_text_cell(FILE *f, const char *s, size_t w, bool right, bool first,
    bool last)
{
	size_t sw = rp_width(s);

	if (!first)
		fputs("  ", f);
	if (right && sw < w)
		rp_pad(f, w - sw);
	fputs(s, f);
	if (!right && !last && sw < w)
		rp_pad(f, w - sw);
}

static void
rp_text_table(FILE *f, const struct rp_tab *t)
{
	size_t w[RP_COLS_MAX] = { 0 }, x;
	unsigned first = t->ncols, last = 0, c, i;
	char b[RP_CELL];

	for (c = 0; c < t->ncols; c++) {
		if (!rp_shown(&t->cols[c], false))
			continue;
		first = first < c ? first : c;
		last = c;
		if (t->head) {
			w[c] = rp_width(t->cols[c].zh);
			x = rp_width(t->cols[c].en);
			w[c] = x > w[c] ? x : w[c];
		}
		for (i = 0; i < t->nrows; i++) {
			rp_cell(t, i, &t->cols[c], false, b, sizeof(b));
			x = rp_width(b);
			w[c] = x > w[c] ? x : w[c];
		}
	}
	if (t->zh != NULL)
		fprintf(f, "\n%s %s\n", t->zh, t->en);
	for (int h = 0; t->head && h < 3; h++) {
		for (c = first; c <= last; c++) {
			const struct rp_col *col = &t->cols[c];

			if (!rp_shown(col, false))
				continue;
			if (h < 2) {
				rp_text_cell(f, h == 0 ? col->zh : col->en, w[c],
				    col->flags & RP_RIGHT, c == first, c == last);
				continue;
			}
			if (c != first)
				fputs("  ", f);
			for (x = 0; x < w[c]; x++)
				fputc('-', f);
		}
		fputc('\n', f);
	}
	for (i = 0; i < t->nrows; i++) {
		for (c = first; c <= last; c++) {
			if (!rp_shown(&t->cols[c], false))
				continue;
			rp_cell(t, i, &t->cols[c], false, b, sizeof(b));
			rp_text_cell(f, b, w[c], t->cols[c].flags & RP_RIGHT,
			    c == first, c == last);
		}
		fputc('\n', f);
	}
}

static int
rp_done(FILE *f)
{
	return fflush(f) != 0 || ferror(f) ? LD_EIO : LD_OK;
}

int
report_print_text(const struct ld_report *r, FILE *f)
{
	char fed[RP_CELL], node[RP_CELL], period[RP_CELL], formula[RP_CELL];
	struct rp_tab t;

	rp_heading(r, fed, node, period);
	fprintf(f, "%s\n%s  %s\n\n", fed, node, period);
	rp_tab_summary(&t, r, false);
	rp_text_table(f, &t);
	fputc('\n', f);
	t = (struct rp_tab){ "info", NULL, NULL, rp_info_cols,
		RP_N(rp_info_cols), RP_NINFO, r, NULL, 0, 0, false, 0 };
	rp_text_table(f, &t);
	if (r->n_months > 1) {
		rp_tab_months(&t, r);
		rp_text_table(f, &t);
	}
	if (r->n_nodes > 0) {	/* one too: its own assessment */
		rp_tab_nodes(&t, r);
		rp_text_table(f, &t);
	}
	rp_tab_units(&t, r);
	rp_text_table(f, &t);
	rp_formula(&r->formula, formula, sizeof(formula));
	fprintf(f, "\n得分 score = %s\n", formula);
	for (size_t i = 0; i < RP_N(rp_formula_notes); i++)
		fprintf(f, "  %s\n", rp_formula_notes[i]);
	return rp_done(f);
}

/* ---- CSV ---------------------------------------------------------------- */

/* One field, quoted when it holds a comma, a quote, CR or LF (a quote
 * doubled). */
static void
rp_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
rp_csv_table(FILE *f, const struct rp_tab *t)
{
	char b[RP_CELL];

	fputs("table", f);
	for (unsigned c = 0; c < t->ncols; c++) {
		if (!rp_shown(&t->cols[c], true))
			continue;
		fputc(',', f);
		rp_csv_field(f, t->cols[c].key);
	}
	fputs("\r\n", f);
	for (unsigned i = 0; i < t->nrows; i++) {
		rp_csv_field(f, t->name);
		for (unsigned c = 0; c < t->ncols; c++) {
			if (!rp_shown(&t->cols[c], true))
				continue;
			rp_cell(t, i, &t->cols[c], true, b, sizeof(b));
			fputc(',', f);
			rp_csv_field(f, b);
		}
		fputs("\r\n", f);
	}
}

/* A summary line of one value: "summary,<item>,<value>,,". */
static void
rp_csv_kv(FILE *f, const char *item, const char *value)
{
	fputs("summary,", f);
	rp_csv_field(f, item);
	fputc(',', f);
	rp_csv_field(f, value);
	fputs(",,\r\n", f);
}

static void
rp_csv_kvu(FILE *f, const char *item, uint64_t v)
{
	char b[24];

	rp_num(v, true, b, sizeof(b));
	rp_csv_kv(f, item, b);
}

/* The summary's lines beyond the figures: rates, peaks, the period, the
 * weights. */
static void
rp_csv_more(FILE *f, const struct ld_report *r)
{
	const struct ld_topo_assess *a = &r->formula;
	const struct {
		const char *key;
		int v;
	} w[] = { { "weight.sign", a->w_sign },
		{ "weight.ontime", a->w_ontime },
		{ "weight.complete", a->w_complete },
		{ "weight.satisfaction", a->w_satisfaction },
		{ "penalty.return", a->p_return }, { "penalty.urge", a->p_urge },
		{ "penalty.supervise", a->p_supervise } };
	char b[RP_CELL];

	rp_rate(report_completion(&r->total), true, b, sizeof(b));
	rp_csv_kv(f, "completion_rate", b);
	rp_rate(report_satisfaction(&r->total), true, b, sizeof(b));
	rp_csv_kv(f, "satisfaction", b);
	rp_csv_kvu(f, "callbacks", r->total.callbacks);
	rp_date(r->peak_month, true, true, b, sizeof(b));
	rp_csv_kv(f, "peak_month", b);
	rp_csv_kvu(f, "peak_month_calls_in", r->peak_month_calls);
	rp_csv_kvu(f, "peak_month_linkage", r->peak_month_linkage);
	rp_date(r->peak_day, false, true, b, sizeof(b));
	rp_csv_kv(f, "peak_day", b);
	rp_csv_kvu(f, "peak_day_calls_in", r->peak_day_calls);
	rp_csv_kvu(f, "peak_day_linkage", r->peak_day_linkage);
	snprintf(b, sizeof(b), "%.*s", (int)sizeof(r->federation) - 1,
	    r->federation);
	rp_csv_kv(f, "federation", b);
	snprintf(b, sizeof(b), "%.*s", (int)sizeof(r->node) - 1, r->node);
	rp_csv_kv(f, "node", b);
	snprintf(b, sizeof(b), "%.*s", (int)sizeof(r->node_name) - 1,
	    r->node_name);
	rp_csv_kv(f, "node_name", b);
	rp_date(r->day_from, false, true, b, sizeof(b));
	rp_csv_kv(f, "day_from", b);
	rp_date(r->day_to, false, true, b, sizeof(b));
	rp_csv_kv(f, "day_to", b);
	rp_csv_kvu(f, "days", r->days);
	b[0] = '\0';
	if (r->generated_ms > 0 && r->generated_ms <= LD_TIME_MAX)
		ltime_format(r->generated_ms, b, sizeof(b));
	rp_csv_kv(f, "generated", b);
	for (size_t i = 0; i < RP_N(w); i++) {
		snprintf(b, sizeof(b), "%d", w[i].v);
		rp_csv_kv(f, w[i].key, b);
	}
}

int
report_print_csv(const struct ld_report *r, FILE *f)
{
	struct rp_tab t;

	rp_tab_summary(&t, r, true);
	rp_csv_table(f, &t);
	rp_csv_more(f, r);
	fputs("\r\n", f);
	rp_tab_months(&t, r);
	rp_csv_table(f, &t);
	fputs("\r\n", f);
	rp_tab_nodes(&t, r);
	rp_csv_table(f, &t);
	fputs("\r\n", f);
	rp_tab_units(&t, r);
	rp_csv_table(f, &t);
	return rp_done(f);
}

/* ---- HTML --------------------------------------------------------------- */

/* s (clean UTF-8: rp_clean's or ours), escaped for HTML and XML. */
static void
rp_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static void
rp_html_table(FILE *f, const struct rp_tab *t)
{
	char b[RP_CELL];

	if (t->zh != NULL)
		fprintf(f, "<h2>%s <span class=\"en\">%s</span></h2>\n", t->zh,
		    t->en);
	fprintf(f, "<table class=\"%s\">\n", t->name);
	if (t->head) {
		fputs("<thead><tr>", f);
		for (unsigned c = 0; c < t->ncols; c++)
			if (rp_shown(&t->cols[c], false))
				fprintf(f, "<th>%s<br/><span class=\"en\">%s"
				    "</span></th>", t->cols[c].zh,
				    t->cols[c].en);
		fputs("</tr></thead>\n", f);
	}
	fputs("<tbody>\n", f);
	for (unsigned i = 0; i < t->nrows; i++) {
		fputs("<tr>", f);
		for (unsigned c = 0; c < t->ncols; c++) {
			if (!rp_shown(&t->cols[c], false))
				continue;
			rp_cell(t, i, &t->cols[c], false, b, sizeof(b));
			fputs(t->cols[c].flags & RP_RIGHT ? "<td class=\"n\">" :
			    "<td>", f);
			rp_esc(f, b);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* Bar length for v of max (max > 0): 0..RP_BAR_MAX pixels. */
static unsigned
rp_bar(uint64_t v, uint64_t max)
{
	return (unsigned)((unsigned __int128)(v < max ? v : max) * RP_BAR_MAX /
	    max);
}

static void
rp_svg_open(FILE *f, unsigned h, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
	    "%d %u\" width=\"%d\" height=\"%u\" role=\"img\" aria-label=\"%s\">"
	    "\n", RP_CHART_W, h, RP_CHART_W, h, label);
}

/* A name (a unit's or a node's, in a buffer of cap) for a chart label,
 * cleaned, cut, escaped. */
static void
rp_svg_label(FILE *f, const char *name, size_t cap, unsigned y)
{
	char b[RP_CELL];

	rp_clean(name, cap, RP_LABEL_COLS, b, sizeof(b));
	fprintf(f, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">", RP_LABEL_X,
	    y);
	rp_esc(f, b);
	fputs("</text>\n", f);
}

_Static_assert(sizeof(((struct ld_rep_unit *)0)->name) == LD_TOPO_NAME_MAX +
    1 && sizeof(((struct ld_rep_node *)0)->name) == LD_TOPO_NAME_MAX + 1,
    "chart labels: a name's buffer");

/* Score bars, one for each of the k assessments u[] (scored), labelled
 * name[] (a unit's or a node's name, in a buffer of LD_TOPO_NAME_MAX + 1);
 * a line saying none when k is 0. */
static void
rp_svg_score_bars(FILE *f, const char *label, const char *none,
    const struct ld_rep_unit *const *u, const char *const *name, unsigned k)
{
	unsigned y, len;
	char b[32];

	rp_svg_open(f, k > 0 ? 12 + 22 * k : 40, label);
	if (k == 0)
		fprintf(f, "<text x=\"10\" y=\"24\">— %s</text>\n", none);
	for (unsigned i = 0; i < k; i++) {
		int32_t s = u[i]->score_x10 < 0 ? 0 : u[i]->score_x10 > 1000 ?
		    1000 : u[i]->score_x10;

		y = 6 + 22 * i;
		len = rp_bar((uint64_t)s, 1000);
		rp_svg_label(f, name[i], LD_TOPO_NAME_MAX + 1, y + 15);
		fprintf(f, "<rect class=\"s\" x=\"%d\" y=\"%u\" width=\"%u\" "
		    "height=\"16\"/>\n", RP_BAR_X, y + 2, len);
		rp_score(u[i]->score_x10, b, sizeof(b));
		fprintf(f, "<text x=\"%u\" y=\"%u\">%s</text>\n",
		    RP_BAR_X + len + 6, y + 15, b);
	}
	fputs("</svg>\n", f);
}

/* The scored units' scores, one bar each, in their (rank) order. */
static void
rp_svg_scores(FILE *f, const struct ld_report *r)
{
	const struct ld_rep_unit *u[LD_REP_UNITS_MAX];
	const char *name[LD_REP_UNITS_MAX];
	unsigned n = rp_min(r->n_units, LD_REP_UNITS_MAX), k = 0;

	for (unsigned i = 0; i < n; i++)
		if (r->units[i].scored) {
			u[k] = &r->units[i];
			name[k++] = r->units[i].name;
		}
	rp_svg_score_bars(f, "scores", "no unit received a work order", u,
	    name, k);
}

/* The scored nodes' own scores, one bar each, by rank (a rank of 0, which
 * a scored node should not have, last; equal ranks in the nodes' order),
 * labelled with the node's name. */
static void
rp_svg_node_scores(FILE *f, const struct ld_report *r)
{
	const struct ld_rep_unit *u[LD_REP_NODES_MAX], *tu;
	const char *name[LD_REP_NODES_MAX], *tn;
	unsigned n = rp_min(r->n_nodes, LD_REP_NODES_MAX), k = 0, j;

	for (unsigned i = 0; i < n; i++) {
		if (!r->nodes[i].wo.scored)
			continue;
		tu = &r->nodes[i].wo;
		tn = r->nodes[i].name;
		/* insertion (stable, 32 at most); rank - 1 takes 0 to the
		 * largest unsigned */
		for (j = k++; j > 0 && u[j - 1]->rank - 1u > tu->rank - 1u;
		    j--) {
			u[j] = u[j - 1];
			name[j] = name[j - 1];
		}
		u[j] = tu;
		name[j] = tn;
	}
	rp_svg_score_bars(f, "node scores", "no node received a work order",
	    u, name, k);
}

/* The units' work orders, received and completed, two bars each. */
static void
rp_svg_orders(FILE *f, const struct ld_report *r)
{
	unsigned n = rp_min(r->n_units, LD_REP_UNITS_MAX), k = 0, y, lr, lc;
	uint64_t max = 0;
	char x[32], z[32];

	for (unsigned i = 0; i < n; i++) {
		const struct ld_rep_unit *u = &r->units[i];

		if (u->received == 0 && u->completed == 0)
			continue;
		k++;
		max = u->received > max ? u->received : max;
		max = u->completed > max ? u->completed : max;
	}
	rp_svg_open(f, k > 0 ? 34 + 32 * k : 40, "work orders");
	if (k == 0) {
		fputs("<text x=\"10\" y=\"24\">— no work order</text>\n"
		    "</svg>\n", f);
		return;
	}
	fprintf(f, "<rect class=\"r\" x=\"%d\" y=\"6\" width=\"12\" "
	    "height=\"12\"/><text x=\"%d\" y=\"17\">派单 received</text>\n"
	    "<rect class=\"c\" x=\"%d\" y=\"6\" width=\"12\" height=\"12\"/>"
	    "<text x=\"%d\" y=\"17\">办结 completed</text>\n", RP_BAR_X,
	    RP_BAR_X + 16, RP_BAR_X + 160, RP_BAR_X + 176);
	for (unsigned i = 0, row = 0; i < n; i++) {
		const struct ld_rep_unit *u = &r->units[i];

		if (u->received == 0 && u->completed == 0)
			continue;
		y = 30 + 32 * row++;
		lr = rp_bar(u->received, max);
		lc = rp_bar(u->completed, max);
		rp_svg_label(f, u->name, sizeof(u->name), y + 18);
		fprintf(f, "<rect class=\"r\" x=\"%d\" y=\"%u\" width=\"%u\" "
		    "height=\"13\"/>\n<rect class=\"c\" x=\"%d\" y=\"%u\" "
		    "width=\"%u\" height=\"13\"/>\n", RP_BAR_X, y, lr, RP_BAR_X,
		    y + 14, lc);
		rp_num(u->received, false, x, sizeof(x));
		rp_num(u->completed, false, z, sizeof(z));
		fprintf(f, "<text x=\"%u\" y=\"%u\">%s / %s</text>\n",
		    RP_BAR_X + (lr > lc ? lr : lc) + 6, y + 18, x, z);
	}
	fputs("</svg>\n", f);
}

static const char rp_style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.5em;margin-bottom:0.2em}\n"
	"h2{font-size:1.15em;margin:1.5em 0 0.4em}\n"
	".en{color:#666;font-weight:normal}\n"
	"table{border-collapse:collapse}\n"
	"th,td{border:1px solid #bbb;padding:2px 6px;vertical-align:top}\n"
	"th{background:#eee;font-weight:normal}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"table.info td{border:none;padding:1px 12px 1px 0}\n"
	".note{font-size:0.9em;color:#555}\n"
	"svg{display:block;margin:0.5em 0}\n"
	"svg text{font-size:12px;font-family:sans-serif;fill:#222}\n"
	"rect.s,rect.c{fill:#3b6ea5}\n"
	"rect.r{fill:#a9c1dc}\n";

int
report_print_html(const struct ld_report *r, FILE *f)
{
	char fed[RP_CELL], node[RP_CELL], period[RP_CELL], formula[RP_CELL];
	struct rp_tab t;

	rp_heading(r, fed, node, period);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<title>", f);
	rp_esc(f, fed);
	fputs(" — ", f);
	rp_esc(f, node);
	fputs(" ", f);
	rp_esc(f, period);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
	    rp_style);
	rp_esc(f, fed);
	fputs("</h1>\n<p>", f);
	rp_esc(f, node);
	fputs(" · ", f);
	rp_esc(f, period);
	fputs("</p>\n", f);
	rp_tab_summary(&t, r, false);
	rp_html_table(f, &t);
	t = (struct rp_tab){ "info", NULL, NULL, rp_info_cols,
		RP_N(rp_info_cols), RP_NINFO, r, NULL, 0, 0, false, 0 };
	rp_html_table(f, &t);
	if (r->n_months > 1) {
		rp_tab_months(&t, r);
		rp_html_table(f, &t);
	}
	if (r->n_nodes > 0) {
		rp_tab_nodes(&t, r);
		rp_html_table(f, &t);
	}
	rp_tab_units(&t, r);
	rp_html_table(f, &t);
	rp_formula(&r->formula, formula, sizeof(formula));
	fputs("<p class=\"note\">得分 score = ", f);
	rp_esc(f, formula);
	for (size_t i = 0; i < RP_N(rp_formula_notes); i++) {
		fputs("<br/>\n", f);
		rp_esc(f, rp_formula_notes[i]);
	}
	fputs("</p>\n<h2>得分 <span class=\"en\">scores</span></h2>\n", f);
	rp_svg_scores(f, r);
	fputs("<h2>工单 <span class=\"en\">work orders</span></h2>\n", f);
	rp_svg_orders(f, r);
	if (r->n_nodes > 0) {
		fputs("<h2>节点得分 <span class=\"en\">node scores</span></h2>\n",
		    f);
		rp_svg_node_scores(f, r);
	}
	fputs("</body>\n</html>\n", f);
	return rp_done(f);
}
