/*
 * store.h - a node's event log and materialised views in LMDB.
 *
 * One LMDB environment per node (a directory).  Named databases:
 *
 *   meta      "schema" -> u32 BE schema version (LD_STORE_SCHEMA)
 *             "node"   -> this node's id
 *             "tid:<YYYY>" -> u64 BE last ticket number issued that year
 *   events    origin[8, NUL-padded] | seq u64 BE  ->  encoded event
 *   applied   apply index u64 BE  ->  origin[8] | seq u64 BE
 *             (the order events were applied here; rebuild replays it)
 *   tickets   ticket id  ->  the ticket's record: flags u8 (1: its
 *             history goes on in "history"), view length u16 BE, the
 *             ticket's state (codec_ticket_encode), then the first 32
 *             events of its history in the order they were applied here,
 *             origin[8] | seq u64 BE each: the history is written on the
 *             page the event rewrites anyway
 *   details   ticket id  ->  what the caller told (codec_details_encode),
 *             written at creation and reclassification only
 *   history   ticket id NUL | apply index u64 BE  ->  origin[8] | seq
 *             (the rest of a ticket's history: its events after the
 *             first 32, and those of a ticket not held here, e.g. another
 *             node's announcement about one of our areas)
 *   by_state  state u8 | ticket id NUL  ->  "" (open tickets only: new,
 *             dispatched, in progress, returned; ticket_state_open)
 *   by_unit   unit NUL | due u64 BE | ticket id NUL | wo u8  ->  ""
 *             (open work orders only: the unit's queue, soonest first;
 *             due is the deadline to sign for while that is unsigned and
 *             sooner, else the deadline to complete)
 *   by_due    due u64 BE | ticket id NUL | wo u8 | what u8 -> ""
 *             (open deadlines: what 1 = sign for, 2 = complete)
 *   by_day    local day u32 BE (YYYYMMDD) | ticket id NUL  ->  ""
 *   by_phone  phone NUL | ticket id NUL  ->  ""
 *   by_done   local day u32 BE | unit NUL | ticket id NUL | wo u8 -> ""
 *             (completed work orders by the day they were completed:
 *             the daily spot check draws from it)
 *   counters  local day u32 BE | node[8, NUL-padded] | counter u8
 *             ->  u64 BE (the node that took the request: views.h
 *             views_count_node)
 *   by_plan   area NUL | ticket id NUL -> "" (open incidents: tickets with
 *             a plan not yet reported; a further call is offered them)
 *   by_incident  incident (lead ticket id) NUL | ticket id NUL -> ""
 *             (the tickets attached to an incident)
 *   announcements  time u64 BE | origin[8] | seq u64 BE -> ""
 *             (every announced event applied here: the public feed)
 *   unit_counters  month u32 BE (YYYYMM) | unit NUL | counter u8 -> u64 BE
 *             (a unit's work orders by the local month they were
 *             dispatched in, and what became of them: the assessment,
 *             docs/assessment.md)
 *
 * Keys lead with what grows together (origin then seq; ticket ids are
 * origin-year-number, so recent tickets sit together at the right edge
 * of the B+tree) so that a batch touches few pages.
 *
 * The highest sequence held per origin is the last events key of that
 * origin (the log has no gaps).
 *
 * Every call of store_commit() is one write transaction: the events, the
 * views, the indexes and the counters change together or not at all, and the call returns only after the commit is durable (LMDB's
 * default sync).  That is the group commit: the caller gathers the
 * requests that arrived while the previous commit was flushing and hands
 * them over in one batch; each is answered after store_commit() returns.
 *
 * Caveats: one struct ld_store per process and environment; not to be used
 * across fork().  Only one process may open a store for writing: a second
 * gets LD_EBUSY.
 */
#ifndef LD_STORE_H
#define LD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "ticket.h"

#define LD_STORE_SCHEMA 6

struct ld_store;

/* Durability (docs/storage.md): each commit's events are written to a
 * journal and made durable with one fdatasync before the LMDB transaction
 * commits unsynced; a checkpoint flushes LMDB and starts the journal
 * again.  After a crash or a power loss the store goes back to the last
 * checkpoint and applies the journal's records after it. */
#define STORE_CKPT_BYTES (2u << 20)
#define STORE_CKPT_RECS 128

struct ld_store_opts {
	const char *dir;	/* data directory (created if missing) */
	const char *node;	/* this node's id: origin of its own events */
	size_t map_size;	/* initial map size, bytes (0: 64 MiB) */
	size_t map_max;		/* the map grows up to this (0: 64 GiB) */
	bool no_sync;		/* tests and rebuild scratch only: not durable
				 * (no journal; refused on a store that has
				 * one) */
	uint64_t ckpt_bytes;	/* a checkpoint (in the store's own thread)
				 * when the journal holds this much since
				 * the last (0: STORE_CKPT_BYTES) ... */
	uint64_t ckpt_recs;	/* ... or this many records (0:
				 * STORE_CKPT_RECS) */
	bool migrate;		/* a store of schema 1: rebuild its views from
				 * the log to this schema (the log is kept
				 * as it is), then open it */
};

/* Open or create.  Errors: LD_ESCHEMA (another schema version: nothing is
 * touched; schema 1 is migrated with o->migrate), LD_ECORRUPT (not an LMDB store, or damaged), LD_EBUSY, LD_EIO,
 * LD_EINVAL (bad options, or a store of another node). */
int store_open(struct ld_store **sp, const struct ld_store_opts *o,
    struct ld_err *err);
void store_close(struct ld_store *s);

/* One event in a batch. */
struct ld_store_item {
	struct ld_event *ev;	/* in: the event; out: seq (and ticket id) set */
	bool joined;		/* in: part of the same request as the item
				 * before it (see store_commit) */
	bool sparse;		/* in: a remote event taken if not held,
				 * whatever its sequence (from the parent) */
	int rc;			/* out: 0 applied, or why not */
	bool kept;		/* out: a remote event the state machine
				 * refused, kept in the log (views unchanged);
				 * err says why */
	struct ld_err err;	/* out: the reason, when rc != 0 or kept */
	uint64_t idx;		/* out: its apply index when applied or kept
				 * (rc 0) and the commit held; else 0 */
};

/*
 * Apply a batch of events in one durable write transaction.
 *
 * A local event (origin == this node, seq == 0) gets the next sequence
 * number; a ticket.created with an empty ticket id gets the next id
 * ("XA-2011-000124", year from the event's local date).  A remote event
 * (another origin, seq > 0) must be the next of its origin: seq at or
 * below the cursor gives LD_EDUP, above cursor + 1 gives LD_EGAP; or,
 * with item.sparse (events from the parent, who sends only some of its
 * log), it is taken if the log does not hold it yet (else LD_EDUP).  A
 * remote event the state machine refuses is kept in the log without
 * changing the views (item.kept, the reason in item.err): docs/federation.md
 * §2.
 * Each ticket event goes through ticket_apply() (at time now); a refused
 * event is not written and does not use a sequence number.  Later events
 * in the batch see the effect of earlier ones.
 *
 * A request that becomes several events (ticket.create: created, routed,
 * dispatched...) is one item followed by items with joined = true: a
 * group, applied all or nothing.  Its events are local ones of a single
 * ticket (or of none: calls); each is checked (schema, state machine, in
 * order) before any is written, and if one is refused every item of the
 * group gets that item's code and reason.  An empty ticket id in a group
 * takes the group's ticket: the id a ticket.created at its head was given,
 * or the first id named in the group.
 *
 * Returns 0 when the transaction committed (each item's rc then says
 * whether its event is in), or a negative code when nothing was written:
 * LD_EFULL (the map reached map_max; the caller should answer every item
 * with this error), LD_EIO, LD_ECORRUPT.  MDB_MAP_FULL below map_max is
 * handled inside: the map doubles and the batch is retried.
 */
int store_commit(struct ld_store *s, struct ld_store_item *items, size_t n,
    int64_t now, struct ld_err *err);

/*
 * Threads.  Reads (below) may run in any thread, also while another thread
 * is in store_commit (LMDB: one writer, many readers).  One exception:
 * growing the map (mdb_env_set_mapsize) needs no read transaction open in
 * the process.  A caller that reads while another thread commits turns
 * store_commit's own growing off (store_grow_in_commit(s, false)): then a
 * commit that finds the map full below map_max writes nothing, answers
 * LD_EFULL and sets store_grow_pending(s); the caller grows the map with
 * store_grow_map() at a moment no read is open, and commits the same
 * items again.
 */
void store_grow_in_commit(struct ld_store *s, bool yes);
bool store_grow_pending(const struct ld_store *s);
int store_grow_map(struct ld_store *s, struct ld_err *err);

/* Take a checkpoint now and wait for it: everything committed is in
 * data.mdb and flushed, the journal starts over (docs/storage.md).  For a
 * benchmark's round, or before a copy of a stopped node's files; the
 * writer's thread, between commits.  Without the journal (no_sync):
 * nothing. */
int store_flush(struct ld_store *s, struct ld_err *err);

/* store_commit, and in the same transaction meta[0 .. n_meta) (key ->
 * u64): a link's position stored with the events it brought (DESIGN §3).
 * Keys are "link:NODE:..." (never "schema", "node", "tid:..."). */
struct ld_store_meta {
	char key[48];
	uint64_t value;
};
int store_commit_meta(struct ld_store *s, struct ld_store_item *items,
    size_t n, const struct ld_store_meta *meta, size_t n_meta, int64_t now,
    struct ld_err *err);
/* A meta value (0 if absent). */
uint64_t store_meta_u64(struct ld_store *s, const char *key);

/* Reads: each runs in its own read-only snapshot. */
int store_get_ticket(struct ld_store *s, const char *id, struct ld_ticket *t,
    struct ld_err *err);
/* The head of ticket id's view only (codec_ticket_head_decode: no
 * details, no work orders, n_wo 0), and in *at (if not NULL) the last
 * apply index of the snapshot it was read in (the view holds every event
 * up to it). */
int store_get_head_at(struct ld_store *s, const char *id,
    struct ld_ticket *t, uint64_t *at, struct ld_err *err);
int store_get_event(struct ld_store *s, const char *origin, uint64_t seq,
    struct ld_event *ev, struct ld_err *err);
/* Visit the events of ticket id in the order they were applied here (its
 * whole history), in one snapshot; stop when cb returns non-zero.
 * Returns 0, LD_ENOTFOUND if the ticket has no events, LD_ECORRUPT if an
 * event the history names is missing or damaged. */
typedef int (*store_event_cb)(const struct ld_event *ev, void *arg);
int store_history(struct ld_store *s, const char *id, store_event_cb cb,
    void *arg, struct ld_err *err);

/* The encoded events of origin with seq > after, in order, in one
 * snapshot (replication: the up stream); stop when cb returns non-zero. */
typedef int (*store_raw_cb)(uint64_t seq, const uint8_t *ev, size_t len,
    void *arg);
int store_events_after(struct ld_store *s, const char *origin,
    uint64_t after, store_raw_cb cb, void *arg, struct ld_err *err);
/* The applied log after index `after`, in order, with each event's
 * origin, seq and encoded bytes, in one snapshot (the down stream). */
typedef int (*store_applied_cb)(uint64_t idx, const char *origin,
    uint64_t seq, const uint8_t *ev, size_t len, void *arg);
int store_applied_after(struct ld_store *s, uint64_t after,
    store_applied_cb cb, void *arg, struct ld_err *err);
/* The same, with each event's bytes read only when the callback asks
 * (store_applied_bytes, while the callback runs): a reader that judges
 * most entries by their index and origin alone (the down scan, with its
 * cache) reads no more than it sends. */
struct store_applied_ev;
typedef int (*store_applied_lazy_cb)(uint64_t idx, const char *origin,
    uint64_t seq, struct store_applied_ev *ev, void *arg);
int store_applied_scan(struct ld_store *s, uint64_t after,
    store_applied_lazy_cb cb, void *arg, struct ld_err *err);
/* The encoded event of the entry the callback was given: 0, or
 * LD_ECORRUPT when the log lacks it (the scan then stops with that). */
int store_applied_bytes(struct store_applied_ev *ev, const uint8_t **bytes,
    size_t *len);
/* The last index of the applied log (0 if empty). */
uint64_t store_applied_last(struct ld_store *s);

/* Highest seq held from origin (0 if none): for this node's own events
 * and those of its subtree, every seq up to it is held; events from the
 * parent (sparse) may leave gaps below it. */
uint64_t store_cursor(struct ld_store *s, const char *origin);

enum ld_counter {
	LD_C_CALLS_IN = 0,	/* call.received */
	LD_C_ANSWERED,		/* call.answered */
	LD_C_VALID,		/* call.classified valid */
	LD_C_POLICE,		/* ... of class police */
	LD_C_FIRE,
	LD_C_MEDICAL,
	LD_C_LINKAGE,		/* ... of class linkage */
	LD_C_TICKETS,		/* ticket.created */
	LD_C_WO_DISPATCHED,
	LD_C_WO_SIGNED,
	LD_C_WO_COMPLETED,
	LD_C_WO_RETURNED,
	LD_C_COMPLETED,		/* tickets whose last open work order completed */
	LD_C_REPORTED,
	LD_C_CALLBACKS,
	LD_C_SATISFIED,
	LD_C_BASIC,
	LD_C_UNSATISFIED,
	LD_C_REOPENED,
	LD_C_CLOSED,
	LD_C_URGED,
	LD_C_SUPERVISED,
	LD_C_EXT_REQUESTED,
	LD_C_EXT_GRANTED,
	LD_C_EXT_REFUSED,
	LD_C_TRANSFERS,		/* transfer.accepted */
	LD_C_PLANS,
	LD_C_ANNOUNCEMENTS,
	LD_C_RULED,		/* returns ruled on (sent back) */
	LD_C_DONE,		/* on the day tickets were created: how many of
				 * them are done now (may go down: reopen) */
	LD_C_ATTACHED,		/* calls attached to an incident */
	LD_C_INC_CLOSED,	/* incidents closed (the lead told, on the
				 * day of the close) */
	LD_C_INC_MINUTES,	/* ... and the minutes from their first
				 * call to the close, summed */
	LD_C__COUNT
};

/* A unit's counters of one month: its work orders dispatched that month
 * (the cohort) and what became of them (docs/assessment.md §2). */
enum ld_ucounter {
	LD_U_RECEIVED = 0,	/* dispatched to it (a reopen dispatches again) */
	LD_U_SIGNED_ON_TIME,
	LD_U_COMPLETED,		/* completed now (a reopen takes it back) */
	LD_U_COMPLETED_ON_TIME,
	LD_U_RETURNED,
	LD_U_SENT_BACK,		/* ruled against: back to the unit */
	LD_U_EXTENDED,		/* extensions granted */
	LD_U_URGED,
	LD_U_SUPERVISED,
	LD_U_CALLBACKS,		/* callbacks on tickets it completed */
	LD_U_SATISFIED,
	LD_U_BASIC,
	LD_U_UNSATISFIED,
	LD_U__COUNT
};
const char *store_ucounter_name(enum ld_ucounter c);
const char *store_counter_name(enum ld_counter c);

/*
 * A read snapshot for a caller that makes several reads that must agree
 * (a report): store_snap_begin, the store_snap_* reads, store_snap_end.
 * It never blocks the writer (LMDB readers do not).
 */
typedef int (*store_key_cb)(const uint8_t *key, size_t len, void *arg);
struct ld_snap;
int store_snap_begin(struct ld_store *s, struct ld_snap **snap,
    struct ld_err *err);
void store_snap_end(struct ld_snap *snap);
/* Visit every counter of local days [from, to] (YYYYMMDD), in key order
 * (day, node, counter).  Stops when cb returns non-zero. */
typedef int (*store_counter_cb)(uint32_t day, const char *node,
    enum ld_counter c, uint64_t v, void *arg);
int store_snap_counters(struct ld_snap *snap, uint32_t from, uint32_t to,
    store_counter_cb cb, void *arg, struct ld_err *err);
/* Visit every unit counter of months [from, to] (YYYYMM), in key order. */
typedef int (*store_ucounter_cb)(uint32_t month, const char *unit,
    enum ld_ucounter c, uint64_t v, void *arg);
int store_snap_ucounters(struct ld_snap *snap, uint32_t from, uint32_t to,
    store_ucounter_cb cb, void *arg, struct ld_err *err);
/* Visit the keys of index db starting with prefix (as store_scan). */
int store_snap_scan(struct ld_snap *snap, const char *db, const void *prefix,
    size_t prefix_len, store_key_cb cb, void *arg, struct ld_err *err);
/* A ticket's view in the snapshot (details not loaded). */
int store_snap_ticket(struct ld_snap *snap, const char *id,
    struct ld_ticket *t, struct ld_err *err);

/* Sum of counter c over local days [day_from, day_to] (YYYYMMDD). */
uint64_t store_counter_sum(struct ld_store *s, enum ld_counter c,
    uint32_t day_from, uint32_t day_to);
/* Every counter summed over local days [day_from, day_to], in one pass:
 * sums[c] for each enum ld_counter c. */
void store_counter_sums(struct ld_store *s, uint32_t day_from,
    uint32_t day_to, uint64_t sums[LD_C__COUNT]);
/* Tickets not completed now (NEW, DISPATCHED, IN_PROGRESS, RETURNED:
 * ticket_state_open): the article's "in progress" (正在办理); the
 * entries of by_state. */
uint64_t store_count_open(struct ld_store *s);
/* Number of tickets in open state st now (from by_state, which holds
 * open tickets only: 0 for any other state). */
uint64_t store_count_state(struct ld_store *s, enum ld_ticket_state st);

/* Visit the keys of index db ("by_state", "by_unit", ...) that start with
 * prefix, in key order; stop when cb returns non-zero. */
int store_scan(struct ld_store *s, const char *db, const void *prefix,
    size_t prefix_len, store_key_cb cb, void *arg, struct ld_err *err);
/* Visit the keys of db from the first one >= from (len bytes), in key
 * order, whatever they start with; stop when cb returns non-zero. */
int store_scan_from(struct ld_store *s, const char *db, const void *from,
    size_t len, store_key_cb cb, void *arg, struct ld_err *err);
/* The same backwards (descending key order), starting at the greatest key
 * with that prefix that is below `below` (below_len bytes; NULL: no bound),
 * for newest-first lists and paging. */
int store_scan_back(struct ld_store *s, const char *db, const void *prefix,
    size_t prefix_len, const void *below, size_t below_len, store_key_cb cb,
    void *arg, struct ld_err *err);

/*
 * Replay the applied-order log into fresh views (in a scratch store under
 * dir/rebuild) and compare every view database with the live one, byte for
 * byte.  Returns 0 when equal, LD_ECORRUPT with the first difference in
 * err when not.  If replace is true and they differ, the live views are
 * replaced by the rebuilt ones (the log is the truth).
 */
int store_rebuild(struct ld_store *s, bool replace, struct ld_err *err);

struct ld_store_stats {
	uint64_t events;	/* entries in the log */
	uint64_t tickets;
	size_t map_size;
	size_t used_bytes;	/* pages in use * page size */
	bool journal;		/* durable through the journal */
	uint64_t jlsn;		/* last journal record committed */
	uint64_t ckpt_lsn;	/* the last checkpoint's record */
	uint64_t journal_bytes;	/* journal used since that checkpoint */
	uint64_t checkpoints;	/* taken since open */
	uint32_t checkpoint_failures;	/* failed in a row, now */
	uint64_t replayed;	/* records applied at open (a crash) */
};
int store_stats(struct ld_store *s, struct ld_store_stats *st);

#endif
