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
 * by SMS, and once a minute) queues it.  A message that cannot be sent
 * (no phone, or not a mobile number) goes to dead/ with the reason.
 *
 * Feeding and delivery run in a thread of their own (outbox_run), so the
 * spool's fsyncs and a slow or hanging command never hold up dispatch;
 * sms_stop kills a command running and does not try the others.
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
#define SMS_WAKE_MS 5000	/* the delivery thread looks at least this often */

struct ld_sms;

/* Open the outbox under dir (DATA/outbox) with the delivery command
 * (NULL: messages wait), feed it once, and start the delivery thread. */
int sms_start(struct ld_sms **out, struct ld_store *s, const char *node,
    const char *dir, const char *command, struct ld_err *err);
/* Stop the thread (a command running is killed; its try counts as
 * failed and is retried after the next start) and close the outbox. */
void sms_stop(struct ld_sms *m);
struct ld_outbox *sms_outbox(struct ld_sms *m);

/* Queue what the log asks for after the cursor (the delivery thread
 * calls it: at start, when kicked, and every SMS_FEED_EVERY_MS).
 * Returns how many messages were queued. */
size_t sms_feed(struct ld_sms *m, int64_t now);
/* Did a committed batch report by SMS?  (then the caller kicks) */
bool sms_wanted(const struct ld_store_item *items, size_t n);
/* Wake the delivery thread to feed and deliver now (any thread; cheap). */
void sms_kick(struct ld_sms *m);

/* The text sent for a report (for tests and the docs). */
int sms_body(char *buf, size_t cap, const char *ticket, const char *note);

#endif
