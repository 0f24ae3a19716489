/*
 * wcal.h - the working-day calendar: which local days are working days.
 *
 * Deadlines of ordinary requests count in working days (the 12345
 * practice: 7 working days, 15 at most with an extension).  A working day
 * is a weekday that is not a public holiday, or a weekend day that the
 * State Council made a make-up working day (调休上班).  The administrator
 * keeps the calendar in a small text file, named by the topology
 * ([federation] calendar = FILE):
 *
 *   # comment lines and blank lines are ignored; UTF-8
 *   weekend = sat, sun                        (the default; any weekdays)
 *   holiday 2011-10-01 .. 2011-10-07  国庆节   (a day or an inclusive range)
 *   workday 2011-10-08  国庆调休              (a make-up working day)
 *   workday 2011-10-09
 *
 * A day named both holiday and workday is an error; so is a range of more
 * than 366 days, a date that does not exist, or a year outside 1970..9999.
 * Without a file: Monday to Friday are working days.
 *
 * Days are local days YYYYMMDD (ltime.h: UTC+8); times are UTC ms.
 */
#ifndef LD_WCAL_H
#define LD_WCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ld_wcal;

/* One problem found while reading: line 0 means the file as a whole. */
typedef void (*wcal_diag_fn)(void *arg, int line, const char *msg);

/* The default calendar (Monday to Friday).  Free with wcal_free. */
struct ld_wcal *wcal_default(void);
/*
 * Read a calendar from text (name is used in messages only).  Every
 * problem is reported through diag ("holiday 2011-02-30: not a date") and
 * counted; returns the number of errors (0: *out is the calendar), or a
 * negative LD_E* code when it could not be read at all (LD_ENOMEM).  On
 * errors *out is NULL.
 */
int wcal_parse(const char *name, const char *text, size_t len,
    struct ld_wcal **out, wcal_diag_fn diag, void *arg);
/* The same from a file (at most 1 MiB): LD_EIO if it cannot be read,
 * with one diagnostic saying why. */
int wcal_load(const char *path, struct ld_wcal **out, wcal_diag_fn diag,
    void *arg);
void wcal_free(struct ld_wcal *c);

/* Is local day YYYYMMDD a working day?  (false for a non-date) */
bool wcal_workday(const struct ld_wcal *c, uint32_t yyyymmdd);
/* The end (UTC ms of the following local midnight) of the n-th working
 * day after from_ms's local day (n >= 1; the dispatch day itself never
 * counts, whether it is a working day or not).  Beyond year 9999:
 * LD_TIME_MAX. */
int64_t wcal_add(const struct ld_wcal *c, int64_t from_ms, unsigned n);
/* Working days in local days (from_day, to_day] (0 if to <= from). */
unsigned wcal_count(const struct ld_wcal *c, uint32_t from_day,
    uint32_t to_day);

#endif
