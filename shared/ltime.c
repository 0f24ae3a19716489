/* ltime.c - UTC ms <-> the office's local calendar (UTC+8). */
#include "ltime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Days since 1970-01-01 of civil date y-m-d (proleptic Gregorian). */
static int64_t
ltime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
ltime_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t
ltime_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

uint32_t
ltime_day(int64_t utc_ms)
{
	int y;
	unsigned m, d;

	if (utc_ms < 0 || utc_ms > LD_TIME_MAX)
		return 0;	/* outside years 1970..9999: no local day */
	ltime_civil_from_days(ltime_floor_div(utc_ms + LD_TZ_OFFSET_MS,
	    86400000), &y, &m, &d);
	return (uint32_t)y * 10000 + m * 100 + d;
}

int
ltime_year(int64_t utc_ms)
{
	return (int)(ltime_day(utc_ms) / 10000);
}

static int
ltime_days_in_month(int y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int64_t
ltime_day_start(uint32_t ymd)
{
	int y = (int)(ymd / 10000);
	unsigned m = ymd / 100 % 100, d = ymd % 100;

	if (y < 1 || m < 1 || m > 12 || d < 1 || (int)d > ltime_days_in_month(y, m))
		return -1;
	return ltime_days_from_civil(y, m, d) * 86400000 - LD_TZ_OFFSET_MS;
}

int64_t
ltime_parse(const char *s)
{
	int y, mo, d, h, mi, sec = 0, n = 0;
	int64_t day;

	if (sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
		return -1;
	if (s[n] == ':') {
		int n2 = 0;
		if (sscanf(s + n, ":%2d%n", &sec, &n2) != 1)
			return -1;
		n += n2;
	}
	if (s[n] != '\0' || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59 || y < 1000 || y > 9999 || mo < 1 || d < 1)
		return -1;
	day = ltime_day_start((uint32_t)(y * 10000 + mo * 100 + d));
	if (day < 0 && !(y == 1970 && mo == 1 && d == 1))
		return -1;
	return day + ((int64_t)h * 3600 + mi * 60 + sec) * 1000;
}

void
ltime_format(int64_t utc_ms, char *buf, size_t cap)
{
	int64_t local = utc_ms + LD_TZ_OFFSET_MS;
	int64_t days = ltime_floor_div(local, 86400000);
	int64_t rem = local - days * 86400000;
	int y;
	unsigned m, d;

	ltime_civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04d-%02u-%02u %02d:%02d:%02d", y, m, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
}

/* LD_CLOCK_FILE: the simulated clock, mapped read-only (the reader) or
 * read-write (the driver). */
static pthread_once_t ltime_once = PTHREAD_ONCE_INIT;
static const int64_t *ltime_sim;
static int64_t *ltime_sim_w;
static char ltime_sim_err[300];

static void
ltime_sim_open(void)
{
	const char *path = getenv("LD_CLOCK_FILE");
	struct stat st;
	void *p;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(ltime_sim_err, sizeof(ltime_sim_err), "LD_CLOCK_FILE "
		    "%.200s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || st.st_size != 8) {
		snprintf(ltime_sim_err, sizeof(ltime_sim_err), "LD_CLOCK_FILE "
		    "%.200s: not a clock file (8 bytes)", path);
		close(fd);
		return;
	}
	p = mmap(NULL, 8, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(ltime_sim_err, sizeof(ltime_sim_err), "LD_CLOCK_FILE "
		    "%.200s: %s", path, strerror(errno));
		return;
	}
	ltime_sim = p;
}

const char *
ltime_clock_error(void)
{
	pthread_once(&ltime_once, ltime_sim_open);
	return ltime_sim_err;
}

bool
ltime_clock_simulated(void)
{
	pthread_once(&ltime_once, ltime_sim_open);
	return ltime_sim != NULL;
}

int
ltime_clock_create(const char *path, int64_t utc_ms)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	void *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, 8) != 0) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	if (ltime_sim_w != NULL)	/* created again: the old one goes */
		munmap(ltime_sim_w, 8);
	ltime_sim_w = p;
	ltime_clock_set(utc_ms);
	return 0;
}

void
ltime_clock_set(int64_t utc_ms)
{
	if (ltime_sim_w != NULL)
		__atomic_store_n(ltime_sim_w, utc_ms, __ATOMIC_RELEASE);
}

int64_t
ltime_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ltime_now(void)
{
	static int64_t offset = -1;
	struct timespec ts;

	pthread_once(&ltime_once, ltime_sim_open);
	if (ltime_sim != NULL)
		return __atomic_load_n(ltime_sim, __ATOMIC_ACQUIRE);
	if (offset < 0) {
		/* tests and simulations: LD_CLOCK_OFFSET_MS moves the clock
		 * (read once): forward up to 100 years, or back, but never
		 * before 1971 */
		const char *v = getenv("LD_CLOCK_OFFSET_MS");
		long long o = v ? atoll(v) : 0;

		offset = o > -100LL * 365 * 86400 * 1000 &&
		    o < 100LL * 365 * 86400 * 1000 ? o : 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

	if (now + offset < 365LL * 86400 * 1000)
		return now;	/* an offset that would go before 1971 */
	return now + offset;
}
