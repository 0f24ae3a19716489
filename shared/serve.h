/*
 * serve.h - a node's client endpoint: the CURVE ROUTER socket where its
 * operators, unit terminals and administrators connect, and the loop that
 * answers them with group commit (docs/architecture.md "The request
 * path"; the wire format is docs/protocol.md).
 *
 * Two threads, two batches:
 *
 *   main thread: poll the ROUTER, the writer's "done" and the stop flag;
 *   read what is waiting, up to SERVE_BATCH_MAX requests a batch:
 *     decode (proto_request_decode; a bad frame: error reply, logged)
 *     caller from the User-Id the ZAP handler set (auth.c), role check
 *     a query: answered at once from the store (req_query)
 *     a change: req_plan -> its events join the batch being gathered; a
 *       request on a ticket in a batch not yet committed waits (held)
 *   writer thread: store_commit(one batch)     one durable transaction,
 *     while the main thread gathers the next
 *   main thread, when the writer is done: a reply to every change of that
 *     batch (req_result, or the error), then hands it the next batch
 *
 * A request is answered only after the transaction that holds its events
 * is durable.  Nothing a client sends can stop the loop: a frame that is
 * not one request gets an error reply (or, when it is not even a
 * ROUTER message, is dropped and logged).
 */
#ifndef LD_SERVE_H
#define LD_SERVE_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
#include "keyfile.h"
#include "store.h"
#include "topo.h"

#define SERVE_BATCH_MAX 256	/* requests per group commit */
#define SERVE_POLL_MS 200	/* longest wait before the stop flag is seen */

struct ld_serve;

struct ld_serve_counts {
	uint64_t requests;	/* frames answered */
	uint64_t errors;	/* ... with an error reply */
	uint64_t refused;	/* ... of which role or scope refusals */
	uint64_t dropped;	/* messages dropped without a reply */
	uint64_t commits;	/* group commits */
	uint64_t committed;	/* requests in them */
};

/*
 * Bind the client endpoint of node self (t->nodes[self].client) in zctx
 * with the node's key pair (a ZAP handler must already run in zctx:
 * auth_start).  Returns 0, or LD_EIO with the reason ("tcp://...:7101:
 * Address already in use").
 */
int serve_open(struct ld_serve **out, void *zctx, const struct ld_topo *t,
    int self, struct ld_store *s, const struct ld_keypair *keys,
    const char *version, struct ld_err *err);

/* Serve until *stop becomes non-zero (a signal handler sets it; the loop
 * sees it within SERVE_POLL_MS); then stop reading, commit and answer
 * every request already taken, and return 0.  LD_EIO when the socket
 * fails for good. */
int serve_run(struct ld_serve *sv, volatile sig_atomic_t *stop);

void serve_counts(const struct ld_serve *sv, struct ld_serve_counts *c);

/* Hand the node's SMS follow-up (sms.h) to the loop: it feeds the outbox
 * after a commit that reported by SMS and once a minute, and the outbox
 * ops (outbox.list, outbox.retry) use it.  NULL: none. */
struct ld_sms;
void serve_set_sms(struct ld_serve *sv, struct ld_sms *m);

/* Stop the writer thread (after its batch, if any), close the socket and
 * free sv.  NULL is a no-op. */
void serve_close(struct ld_serve *sv);

#endif
