/* log.c - stderr log lines (see log.h). */
#include "log.h"
#include "ltime.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char log_node[16] = "-";
static enum ld_log_level log_min = LD_LOG_INFO;

void
log_init(const char *node, enum ld_log_level min)
{
	snprintf(log_node, sizeof(log_node), "%s", node ? node : "-");
	log_min = min;
}

void
log_msg(enum ld_log_level lv, const char *where, const char *fmt, ...)
{
	static const char *names[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
	char ts[32], line[2048];
	int saved = errno, n;
	int64_t now;
	va_list ap;

	if (lv < log_min)
		return;
	now = ltime_now();
	ltime_format(now, ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s.%03d %s [%s] %s: ", ts,
	    (int)(now % 1000), names[lv], log_node, where);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line, so lines from several threads do not mix */
	fprintf(stderr, "%s\n", line);
	errno = saved;
}
