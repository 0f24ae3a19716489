/*
 * sms.h - the node's SMS follow-up: what its events ask to be sent goes
 * into the outbox (outbox.h), and a thread of its own delivers it.
 *
 * An office that tells the citizen the result by SMS (a `reported` event
 * with method sms, of this node's origin) sends the citizen, at the
 * ticket's phone, the result and the callback question.  The message is
 * queued from the applied log, not from the request: sms_feed() reads the
 * log after the outbox's cursor, queues every message it asks for
 * (idempotent: the message id is "<ticket>.<origin>.<seq>"), and only
 * then moves the cursor.  So a crash between the commit and the queueing
 * loses nothing: the next feed (at start, after a commit that reported
 * by SMS, and once a minute) queues it.
 *
 * Delivery runs outbox_run() in its own thread, so a slow or hanging
 * command never holds up dispatch.
 */
#ifndef LD_SMS_H
#define LD_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "outbox.h"
#include "store.h"

#define SMS_FEED_EVERY_MS 60000

struct ld_sms;

/* Open the outbox under dir (DATA/outbox) with the delivery command
 * (NULL: messages wait), feed it once, and start the delivery thread. */
int sms_start(struct ld_sms **out, struct ld_store *s, const char *node,
    const char *dir, const char *command, struct ld_err *err);
/* Stop the thread (a command running is waited for up to its timeout)
 * and close the outbox. */
void sms_stop(struct ld_sms *m);
struct ld_outbox *sms_outbox(struct ld_sms *m);

/* Queue what the log asks for after the cursor; wakes the thread when
 * something was queued.  Returns how many messages were queued. */
size_t sms_feed(struct ld_sms *m, int64_t now);
/* Did a committed batch report by SMS?  (then the caller feeds) */
bool sms_wanted(const struct ld_store_item *items, size_t n);
/* Feed if the last feed is more than SMS_FEED_EVERY_MS old. */
void sms_tick(struct ld_sms *m, int64_t now);

/* The text sent for a report (for tests and the docs). */
int sms_body(char *buf, size_t cap, const char *ticket, const char *note);

#endif
