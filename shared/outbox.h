/*
 * outbox.h - the SMS outbox: messages to citizens, delivered by a
 * configured command, with retries and a dead-letter list.
 *
 * The outbox is a spool directory (DATA/outbox/) of one file per message,
 * written atomically (temp file, fsync, rename, fsync of the directory),
 * so nothing is lost when the node, the command or the machine dies:
 *
 *   DATA/outbox/new/ID    waiting (first try or a retry)
 *   DATA/outbox/sent/ID   delivered (kept: an id is never sent twice)
 *   DATA/outbox/dead/ID   gave up after max_tries; an operator may retry
 *
 * A message file is UTF-8 text: header lines "to: PHONE", "tries: N",
 * "next: UTC-MS", "created: UTC-MS", "last: why the last try failed",
 * a blank line, then the message body.  Ids are [A-Za-z0-9._-]{1,64}
 * (the node uses "<ticket>.<origin>.<seq>" of the event that asked for
 * the message).
 *
 * Delivery runs the command sendmail-style: `sh -c COMMAND sh PHONE`, so
 * COMMAND gets the number as "$1", the body on stdin; exit status 0 is
 * delivered, anything else (a non-zero exit, a signal, no exit within
 * timeout_ms: then the process group is killed) is a failed try, retried
 * after backoff_ms * 2^(tries-1) (at most one hour) until max_tries.
 * stdout and stderr of the command are discarded but their first line of
 * stderr goes into "last:".
 */
#ifndef LD_OUTBOX_H
#define LD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define OUTBOX_ID_MAX 64
#define OUTBOX_TO_MAX 24
#define OUTBOX_BODY_MAX 2000
#define OUTBOX_WHY_MAX 200

struct ld_outbox;

struct ld_outbox_opts {
	const char *dir;	/* spool directory (created if missing) */
	const char *command;	/* NULL or "": messages wait in new/ */
	int64_t timeout_ms;	/* per try (0: 30 s) */
	int64_t backoff_ms;	/* first retry delay (0: 60 s) */
	unsigned max_tries;	/* then dead (0: 8) */
};

int outbox_open(struct ld_outbox **o, const struct ld_outbox_opts *opts,
    struct ld_err *err);
void outbox_close(struct ld_outbox *o);

/* Queue a message, durably (on return it is on disk).  Idempotent: an id
 * already in new/, sent/ or dead/ is left as it is (returns 0).  Errors:
 * LD_EINVAL (bad id, phone or body, with the reason), LD_EIO. */
int outbox_put(struct ld_outbox *o, const char *id, const char *to,
    const char *body, int64_t now, struct ld_err *err);

/* A message that cannot be sent (no phone, or not one the command can
 * take: "0379-63211234转8") straight into dead/, with why in "last:", so
 * that an operator sees it (nothing is dropped silently).  The phone kept
 * is the digits of to (or "0").  Idempotent like outbox_put. */
int outbox_put_dead(struct ld_outbox *o, const char *id, const char *to,
    const char *body, const char *why, int64_t now, struct ld_err *err);

/* Try every message in new/ whose next try is due at `now`, one after
 * another (the command runs in a child process; this call blocks while it
 * runs: call it from a thread of its own).  Returns the time of the next
 * try due (UTC ms), or 0 if new/ is empty.  *delivered and *failed (may
 * be NULL) count this call's outcomes. */
int64_t outbox_run(struct ld_outbox *o, int64_t now, unsigned *delivered,
    unsigned *failed);

/* Make a running outbox_run return soon (from any thread): the command
 * running is killed (its try counts as failed: "the node stopped") and no
 * further message is tried.  For stopping the node; not undone. */
void outbox_interrupt(struct ld_outbox *o);

enum ld_outbox_box { OUTBOX_NEW = 0, OUTBOX_SENT, OUTBOX_DEAD };

struct ld_outbox_msg {
	char id[OUTBOX_ID_MAX + 1];
	char to[OUTBOX_TO_MAX + 1];
	unsigned tries;
	int64_t created_ms, next_ms;
	char last[OUTBOX_WHY_MAX + 1];	/* why the last try failed, "" */
	char body[OUTBOX_BODY_MAX + 1];
};

/* Visit the messages of a box in id order; stop when cb returns
 * non-zero.  A file that cannot be read is reported in err and skipped
 * (not removed).  Returns how many were visited, or a negative code. */
typedef int (*outbox_cb)(const struct ld_outbox_msg *m, void *arg);
int outbox_list(struct ld_outbox *o, enum ld_outbox_box box, outbox_cb cb,
    void *arg, struct ld_err *err);
/* Move a dead message back to new/ (tries reset, due now).  LD_ENOTFOUND
 * if there is none with that id. */
int outbox_retry(struct ld_outbox *o, const char *id, int64_t now,
    struct ld_err *err);
/* Counts per box. */
void outbox_counts(struct ld_outbox *o, size_t n[3]);

/* The position up to which the node has queued what its events asked for
 * (an applied-log index, DATA/outbox/cursor, written durably); 0 when
 * never set. */
uint64_t outbox_cursor(struct ld_outbox *o);
int outbox_set_cursor(struct ld_outbox *o, uint64_t idx, struct ld_err *err);

#endif
