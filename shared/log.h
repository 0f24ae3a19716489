/*
 * log.h - one line per event on stderr:
 *   2011-11-16 11:05:00.123 INFO  [LY] store: opened ./demo/LY (schema 1)
 * Time is local (UTC+8).  log_warn_errno appends strerror(errno) and keeps
 * errno.  Nothing here allocates.
 */
#ifndef LD_LOG_H
#define LD_LOG_H

enum ld_log_level { LD_LOG_DEBUG = 0, LD_LOG_INFO, LD_LOG_WARN, LD_LOG_ERROR };

/* The node id shown in brackets, and the least level printed. */
void log_init(const char *node, enum ld_log_level min);

void log_msg(enum ld_log_level lv, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(w, ...) log_msg(LD_LOG_DEBUG, (w), __VA_ARGS__)
#define log_info(w, ...) log_msg(LD_LOG_INFO, (w), __VA_ARGS__)
#define log_warn(w, ...) log_msg(LD_LOG_WARN, (w), __VA_ARGS__)
#define log_error(w, ...) log_msg(LD_LOG_ERROR, (w), __VA_ARGS__)

#endif
