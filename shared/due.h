/*
 * due.h - deadlines that pass (issue 6, first part): a work order not
 * signed for by its deadline, or not completed by its own, is urged; a
 * work order urged before that misses a deadline again is put under
 * supervision.  The events are the owner node's own (actor "system"),
 * committed with the node's requests.
 *
 * The node keeps how far it has looked (the "deadline cursor", a time:
 * meta "due:cursor", committed with the events it led to), and its loop
 * sleeps until the next open deadline after it (the by_due index: no
 * ticket is polled).  A deadline that passes while the node is down is
 * acted on when it starts again.
 */
#ifndef LD_DUE_H
#define LD_DUE_H

#include <stddef.h>
#include <stdint.h>

#include "req.h"

#define DUE_CURSOR_KEY "due:cursor"
#define DUE_ACTOR "system"

/* The first open deadline after `after` (UTC ms), or 0 if there is none.
 * (Tickets of other owners are included: waking for one is harmless.) */
int64_t due_next(struct ld_store *s, int64_t after);

/*
 * The events for the deadlines in (after, now] of tickets this node owns,
 * into ev[0 .. cap): urged for a first miss, supervised for a work order
 * urged before.  Returns how many; *covered is the time up to which
 * deadlines were looked at (now, or less when ev filled up: the rest
 * come next time).
 */
size_t due_plan(const struct ld_req_env *env, int64_t after, int64_t now,
    struct ld_event *ev, size_t cap, int64_t *covered);

#endif
