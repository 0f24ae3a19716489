/*
 * ltime.h - UTC milliseconds and the office's local calendar.
 *
 * Luoyang keeps China Standard Time, UTC+8, with no daylight saving since
 * 1991, so local days are computed arithmetically, without the tz
 * database; days and months in reports are these local ones.
 */
#ifndef LD_LTIME_H
#define LD_LTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define LD_TZ_OFFSET_MS (8LL * 3600 * 1000)
/* The last millisecond of year 9999 UTC: times beyond are refused on the
 * wire, and have no local day here. */
#define LD_TIME_MAX INT64_C(253402300799999)

/* Local date of a UTC ms time as YYYYMMDD, e.g. 20110831. */
uint32_t ltime_day(int64_t utc_ms);
/* Local year. */
int ltime_year(int64_t utc_ms);
/* UTC ms of local midnight starting day YYYYMMDD; -1 if not a date. */
int64_t ltime_day_start(uint32_t yyyymmdd);
/* UTC ms of local "YYYY-MM-DD HH:MM[:SS]"; -1 if not valid. */
int64_t ltime_parse(const char *s);
/* "2011-11-16 11:05:00" local; buf of at least 20 bytes. */
void ltime_format(int64_t utc_ms, char *buf, size_t cap);
/* Now (UTC ms).  The environment variable LD_CLOCK_OFFSET_MS (read once,
 * -100 .. 100 years, never before 1971) moves it: tests and simulations
 * run a node at another time than the wall clock (the 2011 incident of
 * the article, two hours later, ...).
 * LD_CLOCK_FILE=PATH (read once) instead makes it a simulated clock that
 * another process drives: PATH holds 8 bytes, an int64 of UTC ms in host
 * byte order, and now is that value, frozen until the driver writes the
 * next (liandong-replay runs a year of the article's traffic so). */
int64_t ltime_now(void);

/* Monotonic milliseconds (CLOCK_MONOTONIC): for waits and timeouts,
 * which must not move with the clock above (simulated, moved, stepped). */
int64_t ltime_mono_ms(void);

/* "" when the clock is the wall clock (moved or not) or LD_CLOCK_FILE was
 * read; else why LD_CLOCK_FILE cannot be used (the wall clock is used
 * then): a node checks this at start and refuses to run on a clock it
 * was not meant to. */
const char *ltime_clock_error(void);
/* Is now the simulated clock of LD_CLOCK_FILE? */
bool ltime_clock_simulated(void);

/* The driver's side of LD_CLOCK_FILE: create (or reset) PATH holding
 * utc_ms and map it; 0 or -1 (errno set). */
int ltime_clock_create(const char *path, int64_t utc_ms);
/* Set the simulated clock of the file ltime_clock_create mapped. */
void ltime_clock_set(int64_t utc_ms);

#endif
