/*
 * wcal.c - the working-day calendar (see wcal.h): reading the
 * administrator's calendar file, and the questions deadlines ask of it
 * (is this local day a working day, when does the n-th working day after
 * a dispatch end, how many working days lie between two days).
 *
 * A calendar is a weekend (a set of weekdays) and the sorted days that
 * break that weekly rule: a holiday on a weekday, a make-up working day
 * on a weekend day.  A holiday that falls on a weekend day changes
 * nothing and is not kept.  Days are numbered from 1970-01-01 (day 0) as
 * local days, so that a weekday is arithmetic and a lookup is a binary
 * search.
 *
 * Reading keeps each line's range of days first; once every line is
 * read, the ranges are sorted (a holiday and a workday on the same day is
 * found there, in n log n whatever the input) and the breaking days are
 * listed.
 */
#include "wcal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ltime.h"
#include "utf8.h"

#define WCAL_FILE_MAX (1 << 20)	/* bytes in a calendar file */
#define WCAL_LINE_MAX 1024	/* bytes in one line */
#define WCAL_RANGE_MAX 366	/* days in one holiday or workday line */
#define WCAL_QUOTE_MAX 40	/* bytes of a word quoted in a message */
#define WCAL_DAY_MS 86400000LL
#define WCAL_SAT_SUN 0x60	/* bits 5 and 6: Saturday, Sunday */
#define WCAL_LAST_DAY 2932896	/* 9999-12-31 */

struct ld_wcal {
	unsigned weekend;	/* bit 0 Monday .. bit 6 Sunday */
	unsigned per_week;	/* working days in a week by that rule */
	size_t n;		/* days that break the rule */
	int32_t *flip;		/* those days, ascending */
	int32_t *adj;		/* adj[i]: working days flip[0..i) add
				 * (+1 a make-up day, -1 a holiday); n + 1 */
	bool builtin;		/* wcal_default's: never freed */
};

/* One holiday or workday line: days a..b (inclusive). */
struct wcal_range {
	int32_t a, b;
	bool work;
	int line;
};

/* The reading of one text. */
struct wcal_rd {
	wcal_diag_fn diag;
	void *arg;
	int errors;
	bool nomem;
	int line;
	int weekend_line;	/* the line of "weekend = ...", 0: none */
	unsigned weekend;
	struct wcal_range *r;
	size_t n, cap;
};

/* Monday to Friday: what a topology without a calendar uses. */
static int32_t wcal_builtin_adj[1];
static struct ld_wcal wcal_builtin = { WCAL_SAT_SUN, 5, 0, NULL,
	wcal_builtin_adj, true };

static const char *const wcal_wday[7][2] = {
	{ "mon", "monday" }, { "tue", "tuesday" }, { "wed", "wednesday" },
	{ "thu", "thursday" }, { "fri", "friday" }, { "sat", "saturday" },
	{ "sun", "sunday" } };

/* a / b rounded down (b > 0). */
static int64_t
wcal_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return a % b != 0 && a < 0 ? q - 1 : q;
}

/* The weekday of day d: 0 Monday .. 6 Sunday (day 0 was a Thursday). */
static unsigned
wcal_weekday(int64_t d)
{
	int64_t r = (d + 3) % 7;

	return (unsigned)(r < 0 ? r + 7 : r);
}

/* The day number of local day YYYYMMDD; false if it is not a date. */
static bool
wcal_day_of(uint32_t ymd, int64_t *d)
{
	int64_t ms = ltime_day_start(ymd);

	if (ms == -1)
		return false;
	*d = (ms + LD_TZ_OFFSET_MS) / WCAL_DAY_MS;
	return true;
}

/* Day d (1970..9999) as "YYYY-MM-DD" in buf[11]. */
static void
wcal_format_day(int64_t d, char *buf)
{
	uint32_t ymd = ltime_day(d * WCAL_DAY_MS + 4 * 3600000LL);

	snprintf(buf, 11, "%04u-%02u-%02u", ymd / 10000 % 10000,
	    ymd / 100 % 100, ymd % 100);
}

/* Is day d a working day by the weekly rule alone? */
static bool
wcal_rule(unsigned weekend, int64_t d)
{
	return !(weekend >> wcal_weekday(d) & 1);
}

/* --- reading ------------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
wcal_err(struct wcal_rd *rd, int line, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX];
	va_list ap;

	rd->errors++;
	if (rd->diag == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rd->diag(rd->arg, line, msg);
}

/* How much of s[0..n) to quote: at most WCAL_QUOTE_MAX bytes, never
 * half a UTF-8 character. */
static int
wcal_quote_len(const char *s, size_t n)
{
	if (n <= WCAL_QUOTE_MAX)
		return (int)n;
	n = WCAL_QUOTE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

static bool
wcal_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The word s[0..) up to a blank, '=' or ',' or the end (at e). */
static size_t
wcal_word(const char *s, const char *e)
{
	size_t n = 0;

	while (s + n < e && !wcal_blank(s[n]) && s[n] != '=' && s[n] != ',')
		n++;
	return n;
}

static const char *
wcal_skip_blanks(const char *s, const char *e)
{
	while (s < e && wcal_blank(*s))
		s++;
	return s;
}

/* A date's word at s[0..): up to a blank, "..", or the end (at e). */
static size_t
wcal_date_word(const char *s, const char *e)
{
	size_t n = 0;

	while (s + n < e && !wcal_blank(s[n]) &&
	    !(s[n] == '.' && s + n + 1 < e && s[n + 1] == '.'))
		n++;
	return n;
}

/* Does s[0..e) start like a date (four digits and '-')? */
static bool
wcal_datelike(const char *s, const char *e)
{
	if (e - s < 5 || s[4] != '-')
		return false;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "YYYY-MM-DD" at s[0..n) into *d: NULL, or what is wrong. */
static const char *
wcal_parse_date(const char *s, size_t n, int64_t *d)
{
	uint32_t y = 0, m, dd;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return "not a date (YYYY-MM-DD)";
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return "not a date (YYYY-MM-DD)";
	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (uint32_t)(s[i] - '0');
	m = (uint32_t)(s[5] - '0') * 10 + (uint32_t)(s[6] - '0');
	dd = (uint32_t)(s[8] - '0') * 10 + (uint32_t)(s[9] - '0');
	if (y < 1970)
		return "year outside 1970..9999";
	if (!wcal_day_of(y * 10000 + m * 100 + dd, d))
		return "not a date";
	return NULL;
}

static bool
wcal_keep(struct wcal_rd *rd, int64_t a, int64_t b, bool work)
{
	if (rd->n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 64;
		struct wcal_range *r = realloc(rd->r, cap * sizeof(*r));

		if (r == NULL) {
			rd->nomem = true;
			return false;
		}
		rd->r = r;
		rd->cap = cap;
	}
	rd->r[rd->n++] = (struct wcal_range){ (int32_t)a, (int32_t)b, work,
		rd->line };
	return true;
}

/* "holiday DATE [.. DATE] [NOTE]" (or workday) after the keyword kw:
 * s[0..e) is the rest of the line. */
static void
wcal_line_days(struct wcal_rd *rd, const char *kw, const char *s,
    const char *e)
{
	const char *p = wcal_skip_blanks(s, e), *q, *why;
	size_t n = wcal_date_word(p, e), m;
	int64_t a, b;

	if (n == 0 && (p == e || *p != '.')) {
		wcal_err(rd, rd->line, "%s: missing date (%s YYYY-MM-DD "
		    "[.. YYYY-MM-DD] [note])", kw, kw);
		return;
	}
	if ((why = wcal_parse_date(p, n, &a)) != NULL) {
		wcal_err(rd, rd->line, "%s %.*s: %s", kw, wcal_quote_len(p,
		    n ? n : (size_t)(e - p)), p, why);
		return;
	}
	b = a;
	q = wcal_skip_blanks(p + n, e);
	if (e - q >= 2 && q[0] == '.' && q[1] == '.') {
		const char *r = wcal_skip_blanks(q + 2, e);

		if ((m = wcal_date_word(r, e)) == 0) {
			wcal_err(rd, rd->line, "%s %.10s ..: missing the last "
			    "date of the range", kw, p);
			return;
		}
		if ((why = wcal_parse_date(r, m, &b)) != NULL) {
			wcal_err(rd, rd->line, "%s %.10s .. %.*s: %s", kw, p,
			    wcal_quote_len(r, m), r, why);
			return;
		}
		if (b < a) {
			wcal_err(rd, rd->line, "%s %.10s .. %.10s: the range "
			    "ends before it starts", kw, p, r);
			return;
		}
		if (b - a >= WCAL_RANGE_MAX) {
			wcal_err(rd, rd->line, "%s %.10s .. %.10s: more than "
			    "%d days", kw, p, r, WCAL_RANGE_MAX);
			return;
		}
		q = r + m;
	} else {
		q = p + n;
	}
	/* the rest is a note (a holiday's name) after a blank; a second
	 * date, or dots, are a range written wrong */
	if (q < e && !wcal_blank(*q)) {
		wcal_err(rd, rd->line, "%s %.10s: '%.*s' after the date", kw,
		    p, wcal_quote_len(q, (size_t)(e - q)), q);
		return;
	}
	q = wcal_skip_blanks(q, e);
	if (q < e && (*q == '.' || wcal_datelike(q, e))) {
		wcal_err(rd, rd->line, "%s %.10s: '%.*s' after the date (a "
		    "range is DATE .. DATE)", kw, p,
		    wcal_quote_len(q, (size_t)(e - q)), q);
		return;
	}
	wcal_keep(rd, a, b, kw[0] == 'w');
}

/* One day name of "weekend = ..." at s[0..n): 0..6, -1 if none. */
static int
wcal_day_name(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		for (int k = 0; k < 2; k++)
			if (strlen(wcal_wday[i][k]) == n &&
			    strncasecmp(wcal_wday[i][k], s, n) == 0)
				return i;
	return -1;
}

/* "weekend = DAY, ..." or "weekend = none": s[0..e) after "weekend". */
static void
wcal_line_weekend(struct wcal_rd *rd, const char *s, const char *e)
{
	const char *p = wcal_skip_blanks(s, e);
	unsigned set = 0;

	if (rd->weekend_line > 0) {
		wcal_err(rd, rd->line, "weekend: repeated (first at line %d)",
		    rd->weekend_line);
		return;
	}
	rd->weekend_line = rd->line;
	if (p == e || *p != '=') {
		wcal_err(rd, rd->line, "weekend: expected 'weekend = DAY, "
		    "...' (mon, tue, wed, thu, fri, sat, sun) or 'weekend = "
		    "none'");
		return;
	}
	p = wcal_skip_blanks(p + 1, e);
	if (p == e) {
		wcal_err(rd, rd->line, "weekend: empty (write 'weekend = "
		    "none' for a week without one)");
		return;
	}
	if (e - p == 4 && strncasecmp(p, "none", 4) == 0) {
		rd->weekend = 0;
		return;
	}
	for (;;) {
		size_t n = wcal_word(p, e);
		int day = wcal_day_name(p, n);
		const char *q;

		if (n == 0) {
			wcal_err(rd, rd->line, "weekend: empty entry");
			return;
		}
		if (day < 0) {
			wcal_err(rd, rd->line, "weekend: '%.*s' is not a day "
			    "of the week (mon, tue, wed, thu, fri, sat, sun)",
			    wcal_quote_len(p, n), p);
			return;
		}
		if (set >> day & 1) {
			wcal_err(rd, rd->line, "weekend: '%.*s' listed twice",
			    (int)n, p);
			return;
		}
		set |= 1u << day;
		q = wcal_skip_blanks(p + n, e);
		if (q == e)
			break;
		if (*q != ',') {
			wcal_err(rd, rd->line, "weekend: expected ',' between "
			    "days, not '%.*s'", wcal_quote_len(q,
			    (size_t)(e - q)), q);
			return;
		}
		p = wcal_skip_blanks(q + 1, e);
	}
	if (set == 0x7f) {
		wcal_err(rd, rd->line, "weekend: every day of the week (a "
		    "calendar needs working days)");
		return;
	}
	rd->weekend = set;
}

/* One line s[0..n) (without its '\n'). */
static void
wcal_line(struct wcal_rd *rd, const char *s, size_t n)
{
	const char *e, *p;
	size_t bad, w;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > WCAL_LINE_MAX) {
		wcal_err(rd, rd->line, "line longer than %d bytes",
		    WCAL_LINE_MAX);
		return;
	}
	if (rd->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3;
	if (!utf8_valid(s, n, &bad)) {
		wcal_err(rd, rd->line, "not UTF-8 text (byte %zu of the line)",
		    bad + 1);
		return;
	}
	e = s + n;
	p = wcal_skip_blanks(s, e);
	if (p == e || *p == '#')
		return;
	w = wcal_word(p, e);
	if (w == 7 && memcmp(p, "holiday", 7) == 0)
		wcal_line_days(rd, "holiday", p + 7, e);
	else if (w == 7 && memcmp(p, "workday", 7) == 0)
		wcal_line_days(rd, "workday", p + 7, e);
	else if (w == 7 && memcmp(p, "weekend", 7) == 0)
		wcal_line_weekend(rd, p + 7, e);
	else
		wcal_err(rd, rd->line, "'%.*s': expected holiday, workday, "
		    "weekend or a # comment", wcal_quote_len(p, w ? w : 1),
		    p);
}

static int
wcal_range_cmp(const void *x, const void *y)
{
	const struct wcal_range *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->line > b->line) - (a->line < b->line);
}

/* A day named a holiday and a workday: with the ranges sorted by first
 * day, the furthest-reaching range of the other kind seen so far covers
 * the first day of a range if any range of that kind does.  Reported once
 * per line, at the range that starts later. */
static void
wcal_conflicts(struct wcal_rd *rd)
{
	const struct wcal_range *far[2] = { NULL, NULL };
	char day[11];

	for (size_t i = 0; i < rd->n; i++) {
		const struct wcal_range *r = &rd->r[i], *o = far[!r->work];

		if (o != NULL && o->b >= r->a) {
			wcal_format_day(r->a, day);
			wcal_err(rd, r->line, "%s %s: also a %s (line %d)",
			    r->work ? "workday" : "holiday", day, r->work ?
			    "holiday" : "workday", o->line);
		}
		if (far[r->work] == NULL || far[r->work]->b < r->b)
			far[r->work] = r;
	}
}

/* The calendar of the sorted, conflict-free ranges. */
static struct ld_wcal *
wcal_make(const struct wcal_rd *rd)
{
	struct ld_wcal *c = calloc(1, sizeof(*c));
	int64_t upto = -1;
	size_t cap = 0;

	if (c == NULL)
		return NULL;
	c->weekend = rd->weekend;
	for (int k = 0; k < 7; k++)
		c->per_week += !(rd->weekend >> k & 1);
	for (size_t i = 0; i < rd->n && cap <= WCAL_LAST_DAY; i++)
		cap += (size_t)(rd->r[i].b - rd->r[i].a + 1);
	if (cap > WCAL_LAST_DAY + 1)	/* each day once at most */
		cap = WCAL_LAST_DAY + 1;
	c->flip = malloc((cap ? cap : 1) * sizeof(*c->flip));
	if (c->flip == NULL) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < rd->n; i++) {
		const struct wcal_range *r = &rd->r[i];

		for (int64_t d = r->a > upto ? r->a : upto + 1; d <= r->b; d++)
			if (wcal_rule(c->weekend, d) != r->work)
				c->flip[c->n++] = (int32_t)d;
		if (r->b > upto)
			upto = r->b;
	}
	c->adj = malloc((c->n + 1) * sizeof(*c->adj));
	if (c->adj == NULL) {
		free(c->flip);
		free(c);
		return NULL;
	}
	c->adj[0] = 0;
	for (size_t i = 0; i < c->n; i++)
		c->adj[i + 1] = c->adj[i] + (wcal_rule(c->weekend, c->flip[i]) ?
		    -1 : 1);
	return c;
}

int
wcal_parse(const char *name, const char *text, size_t len,
    struct ld_wcal **out, wcal_diag_fn diag, void *arg)
{
	struct wcal_rd rd;
	size_t pos = 0;

	(void)name;	/* the caller names the file in its messages */
	*out = NULL;
	memset(&rd, 0, sizeof(rd));
	rd.diag = diag;
	rd.arg = arg;
	rd.weekend = WCAL_SAT_SUN;
	while (pos < len && !rd.nomem) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		rd.line++;
		wcal_line(&rd, s, n);
		pos += n + (nl != NULL);
	}
	if (!rd.nomem && rd.n > 0) {
		qsort(rd.r, rd.n, sizeof(*rd.r), wcal_range_cmp);
		wcal_conflicts(&rd);
	}
	if (!rd.nomem && rd.errors == 0 && (*out = wcal_make(&rd)) == NULL)
		rd.nomem = true;
	free(rd.r);
	if (rd.nomem) {
		if (diag != NULL)
			diag(arg, 0, "out of memory");
		return LD_ENOMEM;
	}
	return rd.errors;
}

/* Read all of fd (a regular file) into a new buffer: at most
 * WCAL_FILE_MAX + 1 bytes (so that a larger one is seen). */
static char *
wcal_read_fd(int fd, size_t *len, int *e)
{
	char *buf = malloc(WCAL_FILE_MAX + 1);
	size_t n = 0;

	if (buf == NULL) {
		*e = ENOMEM;
		return NULL;
	}
	while (n < WCAL_FILE_MAX + 1) {
		ssize_t r = read(fd, buf + n, WCAL_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*e = errno;
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

int
wcal_load(const char *path, struct ld_wcal **out, wcal_diag_fn diag,
    void *arg)
{
	char msg[LD_ERR_MSG_MAX];
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, e = 0, rc;

	*out = NULL;
	/* not blocking on a FIFO; only a regular file is read */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "cannot read: %s",
		    S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		goto fail;
	}
	if ((buf = wcal_read_fd(fd, &len, &e)) == NULL) {
		close(fd);
		if (diag != NULL) {
			snprintf(msg, sizeof(msg), "cannot read: %s",
			    strerror(e));
			diag(arg, 0, e == ENOMEM ? "out of memory" : msg);
		}
		return e == ENOMEM ? LD_ENOMEM : LD_EIO;
	}
	close(fd);
	if (len > WCAL_FILE_MAX) {
		free(buf);
		if (diag != NULL)
			diag(arg, 0, "larger than 1 MiB");
		return 1;
	}
	rc = wcal_parse(path, buf, len, out, diag, arg);
	free(buf);
	return rc;
fail:
	if (fd >= 0)
		close(fd);
	if (diag != NULL)
		diag(arg, 0, msg);
	return LD_EIO;
}

struct ld_wcal *
wcal_default(void)
{
	return &wcal_builtin;
}

void
wcal_free(struct ld_wcal *c)
{
	if (c == NULL || c->builtin)
		return;
	free(c->flip);
	free(c->adj);
	free(c);
}

/* --- questions ----------------------------------------------------------- */

/* The index of the first breaking day after day d. */
static size_t
wcal_after(const struct ld_wcal *c, int64_t d)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->flip[mid] <= d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
wcal_workday(const struct ld_wcal *c, uint32_t yyyymmdd)
{
	int64_t d;
	size_t i;

	if (!wcal_day_of(yyyymmdd, &d))
		return false;
	i = wcal_after(c, d);
	return wcal_rule(c->weekend, d) != (i > 0 && c->flip[i - 1] == d);
}

/*
 * Step through the days after from_ms's local day, counting working days.
 * Between two breaking days every week holds per_week working days, so
 * whole weeks are skipped while more than a week's worth remain; then day
 * by day.  At most about 7 + 7 steps per breaking day passed.
 */
int64_t
wcal_add(const struct ld_wcal *c, int64_t from_ms, unsigned n)
{
	int64_t d = wcal_floor_div(wcal_floor_div(from_ms, 1000) +
	    LD_TZ_OFFSET_MS / 1000, 86400);
	uint64_t left = n;
	size_t i;

	if (n == 0)
		return from_ms;
	if (d >= WCAL_LAST_DAY)
		return LD_TIME_MAX;
	i = wcal_after(c, d);
	for (;;) {
		int64_t next = i < c->n ? c->flip[i] : WCAL_LAST_DAY + 1;
		int64_t gap = next - d - 1;	/* days by the rule alone */
		bool work;

		if (c->per_week > 0 && gap >= 7 && left > c->per_week) {
			uint64_t k = (uint64_t)gap / 7;

			if (k > (left - 1) / c->per_week)
				k = (left - 1) / c->per_week;
			d += 7 * (int64_t)k;
			left -= k * c->per_week;
		} else if (c->per_week == 0 && gap > 0) {
			d += gap;
		}
		if (++d > WCAL_LAST_DAY)
			return LD_TIME_MAX;
		work = wcal_rule(c->weekend, d);
		if (i < c->n && c->flip[i] == d) {
			work = !work;
			i++;
		}
		if (work && --left == 0)
			return (d + 1) * WCAL_DAY_MS - LD_TZ_OFFSET_MS;
	}
}

unsigned
wcal_count(const struct ld_wcal *c, uint32_t from_day, uint32_t to_day)
{
	int64_t a, b, full, d;
	int64_t count;

	if (!wcal_day_of(from_day, &a) || !wcal_day_of(to_day, &b) || b <= a)
		return 0;
	full = (b - a) / 7;
	count = full * c->per_week;
	for (d = a + 1 + full * 7; d <= b; d++)
		count += wcal_rule(c->weekend, d);
	count += c->adj[wcal_after(c, b)] - c->adj[wcal_after(c, a)];
	return count > 0 ? (unsigned)count : 0;
}
