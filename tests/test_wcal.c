/*
 * test_wcal.c - the working-day calendar (shared/wcal.h): reading a
 * calendar file (every mistake named with its line), the default calendar,
 * and the answers deadlines need, checked against the State Council's 2011
 * and 2012 notices (calendar.example, read from the repository root).
 * Every expected deadline below is worked out by hand in its comment.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <time.h>

#include "ltime.h"
#include "wcal.h"

/* What the diagnostics said, "LINE: MSG\n" each. */
struct diags {
	char text[8192];
	size_t len;
	int n;
};

static void
collect(void *arg, int line, const char *msg)
{
	struct diags *d = arg;
	int r;

	d->n++;
	if (d->len >= sizeof(d->text))
		return;
	r = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%d: %s\n",
	    line, msg);
	if (r > 0)
		d->len += (size_t)r;
}

/* text parsed; its diagnostics in *d; the calendar (NULL on errors). */
static struct ld_wcal *
parse(const char *text, struct diags *d, int *rc)
{
	struct ld_wcal *c = (struct ld_wcal *)1;

	memset(d, 0, sizeof(*d));
	*rc = wcal_parse("t.cal", text, strlen(text), &c, collect, d);
	assert_true(*rc == d->n || *rc < 0);
	assert_true((*rc == 0) == (c != NULL));
	return c;
}

/* text has exactly the diagnostics want ("LINE: MSG\n" each). */
static void
bad(const char *text, const char *want)
{
	struct diags d;
	int rc;
	struct ld_wcal *c = parse(text, &d, &rc);

	if (strcmp(d.text, want) != 0) {
		fprintf(stderr, "said:\n%s\nexpected:\n%s", d.text, want);
		fail();
	}
	assert_null(c);
	assert_true(rc > 0);
}

/* text is a sound calendar. */
static struct ld_wcal *
good(const char *text)
{
	struct diags d;
	int rc;
	struct ld_wcal *c = parse(text, &d, &rc);

	if (rc != 0)
		fail_msg("calendar:\n%s\nsaid:\n%s", text, d.text);
	return c;
}

/* calendar.example, as the administrator ships it. */
static struct ld_wcal *
china(void)
{
	struct ld_wcal *c = NULL;
	struct diags d;

	memset(&d, 0, sizeof(d));
	if (wcal_load("calendar.example", &c, collect, &d) != 0)
		fail_msg("calendar.example: %s", d.text);
	return c;
}

/* Local time "YYYY-MM-DD HH:MM[:SS]" as UTC ms. */
static int64_t
at(const char *local)
{
	int64_t t = ltime_parse(local);

	assert_true(t >= 0);
	return t;
}

static void
test_default(void **state)
{
	struct ld_wcal *c = wcal_default();

	(void)state;
	assert_non_null(c);
	assert_true(wcal_workday(c, 20111003));	/* Mon: no holidays here */
	assert_true(wcal_workday(c, 20111007));	/* Fri */
	assert_false(wcal_workday(c, 20111008));	/* Sat */
	assert_false(wcal_workday(c, 20111009));	/* Sun */
	assert_false(wcal_workday(c, 20110230));	/* not a date */
	assert_false(wcal_workday(c, 0));
	assert_true(wcal_workday(c, 19700101));	/* a Thursday */
	/* Fri 2011-09-30 15:00 + 7 wd: Oct 3..7 (5), Oct 10, 11 (7): due
	 * at the end of Tue Oct 11 = Oct 12 00:00 local */
	assert_int_equal(wcal_add(c, at("2011-09-30 15:00"), 7),
	    at("2011-10-12 00:00"));
	/* (Sep 30, Oct 14]: two weeks of Monday to Friday */
	assert_int_equal(wcal_count(c, 20110930, 20111014), 10);
	wcal_free(c);
	wcal_free(wcal_default());	/* it is never really freed */
	assert_true(wcal_workday(wcal_default(), 20111003));
	wcal_free(NULL);
}

/* The 2011 notice: holidays, make-up working days, ordinary days. */
static void
test_workday_2011(void **state)
{
	struct ld_wcal *c = china();

	(void)state;
	assert_false(wcal_workday(c, 20110101));	/* 元旦, Sat */
	assert_false(wcal_workday(c, 20110103));	/* 元旦, Mon */
	assert_true(wcal_workday(c, 20110104));
	assert_true(wcal_workday(c, 20110130));	/* Sun, worked for 春节 */
	assert_false(wcal_workday(c, 20110202));	/* 春节, Wed */
	assert_false(wcal_workday(c, 20110205));	/* 春节, Sat */
	assert_false(wcal_workday(c, 20110208));	/* 春节, Tue */
	assert_true(wcal_workday(c, 20110209));
	assert_true(wcal_workday(c, 20110212));	/* Sat, worked */
	assert_false(wcal_workday(c, 20110213));	/* an ordinary Sunday */
	assert_true(wcal_workday(c, 20110402));	/* Sat, worked for 清明 */
	assert_false(wcal_workday(c, 20110405));	/* 清明, Tue */
	assert_false(wcal_workday(c, 20110502));	/* 劳动节, Mon */
	assert_false(wcal_workday(c, 20110606));	/* 端午, Mon */
	assert_false(wcal_workday(c, 20110912));	/* 中秋, Mon */
	assert_false(wcal_workday(c, 20111003));	/* 国庆, Mon */
	assert_false(wcal_workday(c, 20111007));	/* 国庆, Fri */
	assert_true(wcal_workday(c, 20111008));	/* Sat, worked */
	assert_true(wcal_workday(c, 20111009));	/* Sun, worked */
	assert_true(wcal_workday(c, 20111010));
	assert_true(wcal_workday(c, 20111231));	/* Sat, worked for 2012 元旦 */
	assert_false(wcal_workday(c, 20120102));	/* 2012 元旦, Mon */
	assert_true(wcal_workday(c, 20121008));	/* after 国庆 2012 */
	assert_false(wcal_workday(c, 20110229));	/* not a date */
	assert_true(wcal_workday(c, 20120229));	/* a leap day, Wed */
	wcal_free(c);
}

static void
test_add(void **state)
{
	struct ld_wcal *c = china();
	int64_t from;

	(void)state;
	/* Dispatched Fri 2011-09-30 15:00 local + 7 wd.  Oct 1..7 are
	 * holidays; Sat Oct 8 and Sun Oct 9 are worked: day 1 = Oct 8,
	 * day 2 = Oct 9, day 3 = Oct 10, ... day 7 = Fri Oct 14.  Due at its
	 * end: 2011-10-15 00:00 local = 2011-10-14 16:00 UTC. */
	from = at("2011-09-30 15:00");
	assert_int_equal(from, 1317366000000LL);
	assert_int_equal(wcal_add(c, from, 7), 1318608000000LL);
	assert_int_equal(wcal_add(c, from, 7), at("2011-10-15 00:00"));
	/* + 15 wd (an extension's most): Oct 8..14 (7), Oct 17..21 (12),
	 * Oct 24, 25, 26 (15): due Oct 27 00:00 local */
	assert_int_equal(wcal_add(c, from, 15), at("2011-10-27 00:00"));
	/* + 60 wd: Oct 8..14 (7), then ten whole weeks Oct 17 .. Dec 23
	 * (57), Dec 26, 27, 28 (60): due Dec 29 00:00 local.  (Monday to
	 * Friday alone would end three working days sooner, on Dec 23: the
	 * five holidays of Oct 3..7 less the two worked weekend days.) */
	assert_int_equal(wcal_add(c, from, 60), at("2011-12-29 00:00"));
	assert_int_equal(wcal_add(wcal_default(), from, 60),
	    at("2011-12-24 00:00"));
	/* 春节 2011: Fri Jan 28 09:00 + 7 wd: Sun Jan 30 (1, worked), Jan 31
	 * (2), Feb 1 (3), Feb 2..8 holidays, Feb 9 (4), 10 (5), 11 (6), Sat
	 * Feb 12 (7, worked): due Feb 13 00:00 local */
	assert_int_equal(wcal_add(c, at("2011-01-28 09:00"), 7),
	    at("2011-02-13 00:00"));
	/* 春节 2012: Fri Jan 20 14:00 + 1 wd: Sat Jan 21 (worked): due Jan
	 * 22 00:00; + 2: Jan 22..28 holidays, Sun Jan 29 (worked): Jan 30
	 * 00:00; + 3: Mon Jan 30: Jan 31 00:00 */
	from = at("2012-01-20 14:00");
	assert_int_equal(wcal_add(c, from, 1), at("2012-01-22 00:00"));
	assert_int_equal(wcal_add(c, from, 2), at("2012-01-30 00:00"));
	assert_int_equal(wcal_add(c, from, 3), at("2012-01-31 00:00"));
	/* over the new year: Fri 2011-12-30 10:00 + 1 wd: Sat Dec 31
	 * (worked for 元旦 2012): due 2012-01-01 00:00; + 2: Jan 1..3
	 * holidays, Wed Jan 4: due Jan 5 00:00 */
	from = at("2011-12-30 10:00");
	assert_int_equal(wcal_add(c, from, 1), at("2012-01-01 00:00"));
	assert_int_equal(wcal_add(c, from, 2), at("2012-01-05 00:00"));
	assert_int_equal(wcal_add(c, from, 0), from);
	wcal_free(c);
}

/* The dispatch day never counts, whatever the hour. */
static void
test_add_dispatch_day(void **state)
{
	struct ld_wcal *c = china();

	(void)state;
	/* Thu 2011-09-29 23:59 local (15:59 UTC) + 1 wd: day 1 = Fri Sep 30:
	 * due Oct 1 00:00 local */
	assert_int_equal(wcal_add(c, at("2011-09-29 23:59:59"), 1),
	    at("2011-10-01 00:00"));
	assert_int_equal(wcal_add(c, 1317311999999LL, 1), 1317398400000LL);
	/* a millisecond later it is Fri Sep 30 00:00 local, the dispatch
	 * day: day 1 = Sat Oct 8 (worked; Oct 1..7 holidays): due Oct 9
	 * 00:00 local */
	assert_int_equal(wcal_add(c, 1317312000000LL, 1),
	    at("2011-10-09 00:00"));
	assert_int_equal(wcal_add(c, at("2011-09-30 00:00"), 1),
	    at("2011-10-09 00:00"));
	/* Fri Sep 30 23:59: still the dispatch day, the same answer */
	assert_int_equal(wcal_add(c, at("2011-09-30 23:59"), 1),
	    at("2011-10-09 00:00"));
	wcal_free(c);
}

/* Dispatched on a holiday: the working days start after it. */
static void
test_add_on_holiday(void **state)
{
	struct ld_wcal *c = china();
	int64_t from = at("2011-10-03 10:00");	/* Mon, 国庆 */

	(void)state;
	/* day 1 = Sat Oct 8 (worked): due Oct 9 00:00 */
	assert_int_equal(wcal_add(c, from, 1), at("2011-10-09 00:00"));
	/* Oct 8, 9, 10: due Oct 11 00:00 */
	assert_int_equal(wcal_add(c, from, 3), at("2011-10-11 00:00"));
	/* on an ordinary Sunday, Feb 13: Mon Feb 14 is day 1 */
	assert_int_equal(wcal_add(c, at("2011-02-13 08:00"), 1),
	    at("2011-02-15 00:00"));
	wcal_free(c);
}

/* Far dates, huge counts: no overflow, no long loop. */
static void
test_add_limits(void **state)
{
	struct ld_wcal *c = china();
	struct ld_wcal *d = wcal_default();

	(void)state;
	/* 9999-12-30 is a Thursday: + 1 wd ends with Fri Dec 31, at
	 * 10000-01-01 00:00 local = 9999-12-31 16:00 UTC; + 2 is beyond */
	assert_int_equal(wcal_add(d, at("9999-12-30 12:00"), 1),
	    253402300800000LL - 8 * 3600000LL);
	assert_int_equal(wcal_add(d, at("9999-12-30 12:00"), 2),
	    LD_TIME_MAX);
	assert_int_equal(wcal_add(d, LD_TIME_MAX, 1), LD_TIME_MAX);
	assert_int_equal(wcal_add(d, INT64_MAX, 1), LD_TIME_MAX);
	assert_int_equal(wcal_add(c, 0, 4000000000u), LD_TIME_MAX);
	/* from the year -292 million, 4e9 working days are still BC */
	assert_true(wcal_add(c, INT64_MIN, 4000000000u) < 0);
	/* 1970-01-01 00:00 local is -8h UTC; a Thursday: + 1 ends Fri Jan
	 * 2, at Jan 3 00:00 local */
	assert_int_equal(wcal_add(d, -8 * 3600000LL, 1),
	    2 * 86400000LL - 8 * 3600000LL);
	/* Before 1970 the weekly rule still holds: Wed 1969-12-31 + 1
	 * wd = Thu 1970-01-01, due Jan 2 00:00 local */
	assert_int_equal(wcal_add(d, -9 * 3600000LL, 1),
	    86400000LL - 8 * 3600000LL);
	assert_true(wcal_add(c, INT64_MIN, 1) < 0);
	wcal_free(c);
}

static void
test_count(void **state)
{
	struct ld_wcal *c = china();

	(void)state;
	/* (Sep 30, Oct 14] 2011: Oct 8..14 = 7, as wcal_add counted */
	assert_int_equal(wcal_count(c, 20110930, 20111014), 7);
	assert_int_equal(wcal_count(c, 20111014, 20110930), 0);
	assert_int_equal(wcal_count(c, 20111014, 20111014), 0);
	assert_int_equal(wcal_count(c, 20110931, 20111014), 0);	/* no date */
	/* one day: (Oct 7, Oct 8] = Sat Oct 8, worked */
	assert_int_equal(wcal_count(c, 20111007, 20111008), 1);
	/* the year 2011, (2010-12-31, 2011-12-31]: it starts on a Saturday
	 * and has 365 days = 52 weeks + Sat Dec 31, so 260 weekdays.  Weekday
	 * holidays: Jan 3; Feb 2, 3, 4, 7, 8; Apr 4, 5; May 2; Jun 6; Sep 12;
	 * Oct 3..7 = 16.  Worked weekend days: Jan 30, Feb 12, Apr 2, Oct 8,
	 * Oct 9, Dec 31 = 6.  260 - 16 + 6 = 250. */
	assert_int_equal(wcal_count(c, 20101231, 20111231), 250);
	/* 2012, (2011-12-31, 2012-12-31]: 366 days from a Sunday = 52
	 * weeks + Sun Dec 30 + Mon Dec 31: 261 weekdays.  Weekday holidays:
	 * Jan 2, 3; Jan 23..27; Apr 2, 3, 4; Apr 30, May 1; Jun 22; Oct 1..5
	 * = 18.  Worked weekend days: Jan 21, 29; Mar 31, Apr 1; Apr 28;
	 * Sep 29 = 6.  261 - 18 + 6 = 249. */
	assert_int_equal(wcal_count(c, 20111231, 20121231), 249);
	/* both together, and the default's 2011: 260 + Dec 31's 0 */
	assert_int_equal(wcal_count(c, 20101231, 20121231), 499);
	assert_int_equal(wcal_count(wcal_default(), 20101231, 20111231), 260);
	/* December 2010 has no holiday: 23 weekdays */
	assert_int_equal(wcal_count(c, 20101130, 20101231), 23);
	wcal_free(c);
}

/* wcal_count and wcal_add agree, day by day over two years. */
static void
test_count_agrees(void **state)
{
	struct ld_wcal *c = china();
	int64_t from = at("2010-12-01 12:00");

	(void)state;
	for (unsigned n = 1; n <= 60; n++) {
		int64_t due = wcal_add(c, from, n);
		uint32_t last = ltime_day(due - 1);

		assert_true(wcal_workday(c, last));
		assert_int_equal(wcal_count(c, 20101201, last), n);
	}
	for (int64_t t = from; t < at("2012-12-31 00:00"); t += 86400000LL) {
		uint32_t day = ltime_day(t);
		unsigned w = wcal_count(c, day, ltime_day(wcal_add(c, t, 5) -
		    1));

		assert_int_equal(w, 5);
	}
	wcal_free(c);
}

static void
test_parse_forms(void **state)
{
	struct ld_wcal *c;

	(void)state;
	/* ranges without blanks, tabs, CRLF, a BOM, notes, Chinese */
	c = good("\xef\xbb\xbf# 日历\r\n\r\n"
	    "holiday 2011-10-01..2011-10-07\r\n"
	    "\tworkday\t2011-10-08   国庆调休 # Saturday\n"
	    "workday 2011-10-09 .. 2011-10-09 7天长假后\n"
	    "holiday 2011-10-01  repeated, harmless\n"
	    "holiday 2012-02-29\n"
	    "holiday 2000-02-29\n"
	    "holiday 2013-01-01 .. 2014-01-01   366 days: the most\n"
	    "holiday 9999-12-31");
	assert_false(wcal_workday(c, 20111003));
	assert_true(wcal_workday(c, 20111008));
	assert_true(wcal_workday(c, 20111009));
	assert_false(wcal_workday(c, 20120229));
	assert_false(wcal_workday(c, 99991231));
	wcal_free(c);
	/* a weekend of Friday and Saturday */
	c = good("weekend = Fri, SATURDAY\n");
	assert_false(wcal_workday(c, 20111007));	/* Fri */
	assert_false(wcal_workday(c, 20111008));	/* Sat */
	assert_true(wcal_workday(c, 20111009));	/* Sun */
	/* Thu Oct 6 + 2 wd: Sun Oct 9, Mon Oct 10: due Oct 11 00:00 */
	assert_int_equal(wcal_add(c, at("2011-10-06 09:00"), 2),
	    at("2011-10-11 00:00"));
	assert_int_equal(wcal_count(c, 20111002, 20111009), 5);
	wcal_free(c);
	/* no weekend at all */
	c = good("weekend = none\nholiday 2011-10-01\n");
	assert_true(wcal_workday(c, 20111002));
	assert_false(wcal_workday(c, 20111001));
	/* Fri Sep 30 + 2: Oct 2, Oct 3: due Oct 4 00:00 */
	assert_int_equal(wcal_add(c, at("2011-09-30 09:00"), 2),
	    at("2011-10-04 00:00"));
	assert_int_equal(wcal_count(c, 20110930, 20111007), 6);
	wcal_free(c);
	/* empty: Monday to Friday */
	c = good("");
	assert_true(wcal_workday(c, 20111003));
	assert_false(wcal_workday(c, 20111002));
	wcal_free(c);
}

static void
test_parse_errors(void **state)
{
	char line[2100];
	char *text;

	(void)state;
	memset(line, 'x', 2000);
	line[2000] = '\0';
	text = malloc(8192);
	snprintf(text, 8192,
	    "# errors, one a line\n"				/* 1 */
	    "\n"
	    "holiday 2011-02-30  春节\n"
	    "holiday 2011/10/01\n"
	    "holiday 1969-12-31\n"				/* 5 */
	    "holiday 2011-10-07 .. 2011-10-01\n"
	    "holiday 2011-01-01 .. 2012-01-02\n"
	    "holiday 2011-10-01 2011-10-07\n"
	    "holiday 2011-10-01 ... 2011-10-07\n"
	    "holiday\n"						/* 10 */
	    "holiday 2011-10-01 ..\n"
	    "vacation 2011-10-01\n"
	    "weekend = sat, sun, funday\n"
	    "weekend = sat\n"
	    "workday 2011-10-03 工作\n"			/* 15 */
	    "holiday 2011-10-01 .. 2011-10-07\n"
	    "holiday 2011-10-01 \xff\n"
	    "%s\n"
	    "holiday 2011-10-01..2011-10-02x\n"
	    "holiday 2011-10-01x\n"				/* 20 */
	    "holiday 2011-10-01.\n"
	    "holiday 0000-01-01\n"
	    "holiday 2100-02-29\n", line);
	bad(text,
	    "3: holiday 2011-02-30: not a date\n"
	    "4: holiday 2011/10/01: not a date (YYYY-MM-DD)\n"
	    "5: holiday 1969-12-31: year outside 1970..9999\n"
	    "6: holiday 2011-10-07 .. 2011-10-01: the range ends before it "
	    "starts\n"
	    "7: holiday 2011-01-01 .. 2012-01-02: more than 366 days\n"
	    "8: holiday 2011-10-01: '2011-10-07' after the date (a range is "
	    "DATE .. DATE)\n"
	    "9: holiday 2011-10-01 .. .: not a date (YYYY-MM-DD)\n"
	    "10: holiday: missing date (holiday YYYY-MM-DD [.. YYYY-MM-DD] "
	    "[note])\n"
	    "11: holiday 2011-10-01 ..: missing the last date of the range\n"
	    "12: 'vacation': expected holiday, workday, weekend or a # "
	    "comment\n"
	    "13: weekend: 'funday' is not a day of the week (mon, tue, wed, "
	    "thu, fri, sat, sun)\n"
	    "14: weekend: repeated (first at line 13)\n"
	    "17: not UTF-8 text (byte 20 of the line)\n"
	    "18: line longer than 1024 bytes\n"
	    "19: holiday 2011-10-01 .. 2011-10-02x: not a date (YYYY-MM-DD)\n"
	    "20: holiday 2011-10-01x: not a date (YYYY-MM-DD)\n"
	    "21: holiday 2011-10-01.: not a date (YYYY-MM-DD)\n"
	    "22: holiday 0000-01-01: year outside 1970..9999\n"
	    "23: holiday 2100-02-29: not a date\n"
	    "15: workday 2011-10-03: also a holiday (line 16)\n");
	free(text);
}

/* Conflicts: each line once, naming the other line. */
static void
test_parse_conflicts(void **state)
{
	(void)state;
	bad("holiday 2011-10-01 .. 2011-10-07\n"
	    "workday 2011-10-05\n"
	    "workday 2011-10-06 .. 2011-10-08\n",
	    "2: workday 2011-10-05: also a holiday (line 1)\n"
	    "3: workday 2011-10-06: also a holiday (line 1)\n");
	/* the range that starts later is the one reported */
	bad("workday 2011-10-08\nholiday 2011-10-01 .. 2011-10-08\n",
	    "1: workday 2011-10-08: also a holiday (line 2)\n");
	bad("workday 2011-10-01 .. 2011-10-09\nholiday 2011-10-03\n",
	    "2: holiday 2011-10-03: also a workday (line 1)\n");
	bad("holiday 2011-10-01\nworkday 2011-10-01\n",
	    "2: workday 2011-10-01: also a holiday (line 1)\n");
	/* overlapping ranges of one kind are fine */
	wcal_free(good("holiday 2011-10-01 .. 2011-10-05\n"
	    "holiday 2011-10-03 .. 2011-10-07\nworkday 2011-10-08\n"));
}

static void
test_parse_weekend(void **state)
{
	(void)state;
	bad("weekend =\n", "1: weekend: empty (write 'weekend = none' for a "
	    "week without one)\n");
	bad("weekend sat\n", "1: weekend: expected 'weekend = DAY, ...' "
	    "(mon, tue, wed, thu, fri, sat, sun) or 'weekend = none'\n");
	bad("weekend = sat sun\n", "1: weekend: expected ',' between days, "
	    "not 'sun'\n");
	bad("weekend = sat, Sat\n", "1: weekend: 'Sat' listed twice\n");
	bad("weekend = sat,\n", "1: weekend: empty entry\n");
	bad("weekend = mon, tue, wed, thu, fri, sat, sun\n", "1: weekend: "
	    "every day of the week (a calendar needs working days)\n");
	bad("weekends = sat\n", "1: 'weekends': expected holiday, workday, "
	    "weekend or a # comment\n");
	bad("= sat\n", "1: '=': expected holiday, workday, weekend or a # "
	    "comment\n");
}

static void
test_load(void **state)
{
	char *dir = tu_tmpdir(), path[300], *big;
	struct ld_wcal *c = (struct ld_wcal *)1;
	struct diags d;
	FILE *f;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(path, sizeof(path), "%s/none.cal", dir);
	assert_int_equal(wcal_load(path, &c, collect, &d), LD_EIO);
	assert_null(c);
	assert_string_equal(d.text, "0: cannot open: No such file or "
	    "directory\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(wcal_load(dir, &c, collect, &d), LD_EIO);
	assert_string_equal(d.text, "0: cannot read: a directory\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(wcal_load("/dev/null", &c, collect, &d), LD_EIO);
	assert_string_equal(d.text, "0: cannot read: not a regular file\n");
	/* a FIFO: refused at once, never waited on */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(wcal_load(path, &c, collect, &d), LD_EIO);
	assert_string_equal(d.text, "0: cannot read: not a regular file\n");
	/* more than 1 MiB */
	snprintf(path, sizeof(path), "%s/big.cal", dir);
	big = malloc((1 << 20) + 2);
	for (int i = 0; i < (1 << 20) + 1; i++)	/* comment lines */
		big[i] = i % 64 == 63 ? '\n' : '#';
	big[(1 << 20) + 1] = '\0';
	f = fopen(path, "w");
	fputs(big, f);
	fclose(f);
	memset(&d, 0, sizeof(d));
	assert_int_equal(wcal_load(path, &c, collect, &d), 1);
	assert_null(c);
	assert_string_equal(d.text, "0: larger than 1 MiB\n");
	/* exactly 1 MiB of comment: fine */
	big[1 << 20] = '\0';
	f = fopen(path, "w");
	fputs(big, f);
	fclose(f);
	assert_int_equal(wcal_load(path, &c, collect, &d), 0);
	wcal_free(c);
	free(big);
	/* errors in a file, with their lines; no diag function at all */
	snprintf(path, sizeof(path), "%s/bad.cal", dir);
	f = fopen(path, "w");
	fputs("weekend = sat, sun\nholiday 2011-02-30\n", f);
	fclose(f);
	memset(&d, 0, sizeof(d));
	assert_int_equal(wcal_load(path, &c, collect, &d), 1);
	assert_string_equal(d.text, "2: holiday 2011-02-30: not a date\n");
	assert_int_equal(wcal_load(path, &c, NULL, NULL), 1);
	assert_null(c);
	tu_rm_tree(dir);
}

/* Random bytes, huge lines and a million lines: no crash, no leak, soon
 * done. */
static void
test_hostile(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	size_t cap = 40u << 20;
	char *buf = malloc(cap);
	struct ld_wcal *c;
	size_t n = 0;
	int rc;

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(x % 512);

		for (size_t i = 0; i < len; i++) {
			x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
			buf[i] = (char)(x * 0x2545f4914f6cdd1dull >> 56);
			/* now and then something the reader knows */
			if ((x & 0xff) == 7 && i + 24 < len) {
				memcpy(buf + i, "\nholiday 2011-10-01 .. ", 23);
				i += 22;
			}
		}
		rc = wcal_parse("r", buf, len, &c, NULL, NULL);
		assert_true(rc >= 0);
		if (rc == 0) {
			assert_non_null(c);
			(void)wcal_add(c, (int64_t)x, (unsigned)(x % 100));
			(void)wcal_count(c, 20100101, 20130101);
			wcal_free(c);
		}
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	}
	/* one line of 30 MiB */
	memset(buf, 'h', 30u << 20);
	assert_int_equal(wcal_parse("h", buf, 30u << 20, &c, NULL, NULL), 1);
	/* a million lines: each a range, each an error, each a day */
	for (int i = 0; i < 1000000; i++)
		n += (size_t)sprintf(buf + n, "holiday %04d-01-01 .. %04d-12-31\n",
		    1970 + i % 8030, 1970 + i % 8030);
	assert_int_equal(wcal_parse("m", buf, n, &c, NULL, NULL), 0);
	assert_false(wcal_workday(c, 20111010));
	assert_true(wcal_workday(c, 20111231) == false);
	assert_int_equal(wcal_add(c, 0, 1), LD_TIME_MAX);
	assert_int_equal(wcal_count(c, 19700101, 99991231), 0);
	wcal_free(c);
	n = 0;
	for (int i = 0; i < 1000000; i++)
		n += (size_t)sprintf(buf + n, "holiday 2011-02-%02d\n",
		    29 + i % 3);
	assert_int_equal(wcal_parse("m", buf, n, &c, NULL, NULL), 1000000);
	n = 0;
	for (int i = 0; i < 1000000; i++)
		n += (size_t)sprintf(buf + n, "%s 2011-10-%02d\n", i % 2 ?
		    "holiday" : "workday", 1 + i % 31);
	/* each day both: every line but a day's first is a conflict */
	assert_int_equal(wcal_parse("m", buf, n, &c, NULL, NULL),
	    1000000 - 31);
	free(buf);
}

/* wcal_add stays fast for 60 working days (it runs on every dispatch). */
static void
test_add_fast(void **state)
{
	struct ld_wcal *c = china();
	struct timespec a, b;
	int64_t t = at("2011-01-01 09:00"), sum = 0;
	double s;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 200000; i++)
		sum += wcal_add(c, t + (int64_t)(i % 700) * 86400000LL, 60);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(sum > 0);
	/* a few microseconds each, even sanitised and under valgrind */
	if (s > 20.0)
		fail_msg("200000 wcal_add(60) took %.1f s", s);
	wcal_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_workday_2011),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_add_dispatch_day),
		cmocka_unit_test(test_add_on_holiday),
		cmocka_unit_test(test_add_limits),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_count_agrees),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_conflicts),
		cmocka_unit_test(test_parse_weekend),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_add_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
