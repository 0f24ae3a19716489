/*
 * client.h - the client side of the protocol (docs/protocol.md): a CURVE
 * DEALER connection to a node's client endpoint, one request at a time,
 * never waiting longer than a timeout.  Used by linkctl, the integration
 * tests and bench-node.
 *
 * A node refuses an unknown key during the CURVE handshake and then never
 * answers; the client watches its socket's monitor and reports that
 * ("the node refused this key: ...") instead of a bare time-out.
 */
#ifndef LD_CLIENT_H
#define LD_CLIENT_H

#include <stdint.h>

#include "err.h"
#include "keyfile.h"
#include "proto.h"

#define LD_CLIENT_TIMEOUT_MS 5000

struct ld_client;

struct ld_client_opts {
	const char *endpoint;		/* "tcp://127.0.0.1:7101" */
	uint8_t server_key[LD_KEY_BYTES];	/* the node's public key */
	const struct ld_keypair *keys;	/* the client's own pair */
	int timeout_ms;			/* per request; 0: LD_CLIENT_TIMEOUT_MS */
	void *zctx;			/* a ZeroMQ context to use, or NULL: own */
};

/* Connect (ZeroMQ connects in the background: no round trip here).
 * Returns 0, or LD_EINVAL / LD_EIO with the reason. */
int client_open(struct ld_client **c, const struct ld_client_opts *o,
    struct ld_err *err);

/*
 * Send req (its id is set here: 1, 2, ... per connection) and wait for the
 * reply with that id, skipping stale replies to earlier ids.  On 0, *reply
 * is decoded (reply->ok says whether the node answered with a result or
 * an error); its result bytes lie in the client's buffer, valid until the
 * next call.  Errors: LD_EIO "no reply from tcp://... within 5.0 s" (or
 * "the node refused this key"), LD_EMALFORMED (a reply that does not
 * decode), LD_ELIMIT / LD_E* from encoding req.
 */
int client_call(struct ld_client *c, struct ld_request *req,
    struct ld_reply *reply, struct ld_err *err);

/* Send raw bytes as one frame and wait for one reply frame (tests of
 * hostile input): *out points at the reply in the client's buffer, *len
 * its length.  Returns 0 or LD_EIO on time-out. */
int client_call_raw(struct ld_client *c, const uint8_t *frame, size_t len,
    const uint8_t **out, size_t *out_len, struct ld_err *err);

/*
 * Pipelining (many requests in flight on one connection, e.g. the year
 * replay): client_post sends req (its id set here, as in client_call)
 * without waiting; client_next returns the next reply that arrived, of
 * whichever request: 0 with *reply decoded (reply->id says which), 1 if
 * none came within timeout_ms (0: do not wait), or an error as
 * client_call's.  client_zsock is the DEALER, for zmq_poll over several
 * clients (ZMQ_POLLIN: a reply may be waiting).  Do not mix with
 * client_call on one connection.
 */
int client_post(struct ld_client *c, struct ld_request *req,
    struct ld_err *err);
int client_next(struct ld_client *c, struct ld_reply *reply, int timeout_ms,
    struct ld_err *err);
void *client_zsock(struct ld_client *c);

void client_close(struct ld_client *c);

#endif
