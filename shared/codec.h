/*
 * codec.h - msgpack encoding of events and ticket views.
 *
 * Events travel between nodes and are stored in the log; ticket views are
 * the materialised state in LMDB.  Both encodings are deterministic (the
 * same struct always gives the same bytes), so views rebuilt from the log
 * compare equal byte for byte.
 *
 * The decoders treat every byte as hostile:
 *  - the whole input is limited (LD_FRAME_MAX for an event);
 *  - nesting depth is limited (LD_DEPTH_MAX), maps and arrays have
 *    bounded counts, strings have per-field byte limits;
 *  - a wrong type, a missing required field, an unknown field, a duplicate
 *    field, trailing bytes, or invalid UTF-8 give an error whose message
 *    names the field ("body.phone: expected string, got integer");
 *  - no crash and no leak on any input (fuzzed: tests/fuzz_codec.c).
 * Wire format: docs/events.md.
 */
#ifndef LD_CODEC_H
#define LD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "ticket.h"

#define LD_EVENT_FORMAT 1	/* "v" in the envelope */
#define LD_VIEW_FORMAT 3

/* Encode ev into buf (capacity cap).  Returns the length (> 0), or a
 * negative code: LD_ELIMIT if it does not fit, LD_EINVAL if ev breaks the
 * schema (a required field absent, a field the kind does not allow, a
 * string over its limit or not UTF-8). */
int codec_event_encode(const struct ld_event *ev, uint8_t *buf, size_t cap,
    struct ld_err *err);

/* Decode len bytes into *ev.  Returns 0 or a negative code with err set. */
int codec_event_decode(const uint8_t *buf, size_t len, struct ld_event *ev,
    struct ld_err *err);

/* Validate ev against the schema without encoding it: 0, or LD_EINVAL
 * with the message the decoder would give for the same fault. */
int codec_event_check(const struct ld_event *ev, struct ld_err *err);

/* The same for ticket views (trusted input from our own store, but still
 * checked: a damaged view gives LD_ECORRUPT, never a crash).  The decoder
 * accepts only the exact bytes the encoder writes, so a view that decodes
 * re-encodes to the same bytes.  Any change to struct ld_ticket or struct
 * ld_wo must change the tables in codec_view.c and raise LD_VIEW_FORMAT
 * (a static assertion on their sizes there is the reminder). */
int codec_ticket_encode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    struct ld_err *err);
int codec_ticket_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err);

/* The head of a view only: the ticket's own fields (id, owner,
 * transfer_to, state, area, ...), not its work orders.  Only those fields
 * of *t are written, and n_wo is set to 0; the details and t->wo are left
 * as they were.  For readers that need no more (which nodes a ticket
 * concerns, who owns it): a fraction of codec_ticket_decode's work.  0,
 * or LD_ECORRUPT with the place. */
int codec_ticket_head_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err);

/* A view is stored in two parts: the ticket's state (codec_ticket_*,
 * rewritten by every event) and its details (what the caller told:
 * caller, phone, place, area, category, text), written when the ticket is
 * created or reclassified.  codec_ticket_encode leaves the details out and
 * codec_ticket_decode leaves them zero; these two carry them. */
int codec_details_encode(const struct ld_ticket *t, uint8_t *buf, size_t cap,
    struct ld_err *err);
int codec_details_decode(const uint8_t *buf, size_t len, struct ld_ticket *t,
    struct ld_err *err);

/* Largest encoded ticket view. */
#define LD_VIEW_MAX 32768

#endif
