/*
 * client.c - the client side of the protocol (see client.h and
 * docs/protocol.md §1): a CURVE DEALER connected to a node's client
 * endpoint, one request at a time, every wait bounded by the timeout.
 *
 * Beside the DEALER the client keeps a PAIR on the DEALER's socket
 * monitor (zmq_socket_monitor), read whenever it waits.  The monitor is
 * how a refusal becomes visible: a node refuses an unknown key during the
 * CURVE handshake (its ZAP handler answers 400) and never answers after
 * that, and libzmq 4.3 does not retry, so without the monitor the caller
 * would only ever see a time-out.  What the monitor has told is kept in
 * the struct: a handshake failure is sticky (every later call fails at
 * once with the same message), and the connection state words the
 * time-out message ("could not connect" / "handshake did not complete").
 *
 * Replies are copied into a buffer of LD_PROTO_REPLY_MAX bytes that the
 * client owns; a reply's result bytes stay valid until the next call.
 */
#include "client.h"
#include "ltime.h"
#include "auth.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CLIENT_EP_MAX 129	/* endpoint text kept for messages */
#define CLIENT_MON_EP_MAX 64	/* "inproc://ld-client-mon-<pid>-<n>" */

/* The monitor events the client acts on. */
#define CLIENT_MON_EVENTS (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | \
	ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | \
	ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | \
	ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

struct ld_client {
	void *zctx;
	bool own_ctx;		/* zctx is ours: terminated by client_close */
	void *sock;		/* DEALER to the node */
	void *mon;		/* PAIR: sock's monitor events */
	char endpoint[CLIENT_EP_MAX];
	int timeout_ms;
	uint64_t last_id;	/* ids: 1, 2, ... per connection */
	/* what the monitor has told so far */
	bool connected;		/* a TCP connection is up now */
	bool ever_connected;
	bool handshaken;	/* a CURVE handshake succeeded */
	int refused;		/* LD_OK, or the sticky handshake failure */
	char refusal[LD_ERR_MSG_MAX];
	/* the last reply frame */
	uint8_t *rbuf;		/* LD_PROTO_REPLY_MAX bytes */
	size_t rlen;
	uint8_t frame[LD_PROTO_FRAME_MAX];	/* the request being sent */
};

/* Distinct inproc names for the monitors of every client in the process. */
static atomic_uint client_mon_seq;

/* LD_EIO "<what>: <zmq_strerror(errno)>" about c's endpoint. */
static int
client_zerr(struct ld_client *c, const char *what, struct ld_err *err)
{
	return err_set(err, LD_EIO, "%s: %s: %s", c->endpoint, what,
	    zmq_strerror(zmq_errno()));
}

/* ---- the monitor ------------------------------------------------------ */

/* Record a handshake failure (sticky) with a message for the caller. */
static void
client_refuse(struct ld_client *c, uint16_t event, uint32_t value)
{
	if (c->refused != LD_OK)
		return;		/* the first one says it best */
	c->refused = LD_EIO;
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400)
		snprintf(c->refusal, sizeof(c->refusal), "%s: the node "
		    "refused this client's key (not a client of this node in "
		    "the topology?)", c->endpoint);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
		snprintf(c->refusal, sizeof(c->refusal), "%s: the node's "
		    "authentication failed (ZAP status %" PRIu32 ")",
		    c->endpoint, value);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
		snprintf(c->refusal, sizeof(c->refusal), "%s: the CURVE "
		    "handshake failed (protocol error 0x%08" PRIx32 "; is the "
		    "server key the node's public key?)", c->endpoint, value);
	else	/* what a wrong server key gives: the node hangs up */
		snprintf(c->refusal, sizeof(c->refusal), "%s: the node hung "
		    "up during the CURVE handshake (%.24s): is the server key "
		    "the node's public key?", c->endpoint,
		    zmq_strerror((int)value));
}

/* Apply one monitor event to c's state. */
static void
client_on_event(struct ld_client *c, uint16_t event, uint32_t value)
{
	switch (event) {
	case ZMQ_EVENT_CONNECTED:
		c->connected = c->ever_connected = true;
		break;
	case ZMQ_EVENT_DISCONNECTED:
	case ZMQ_EVENT_CLOSED:
		c->connected = false;
		break;
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		c->handshaken = true;
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		client_refuse(c, event, value);
		break;
	default:
		break;
	}
}

/*
 * Read every monitor event waiting, without blocking.  An event is two
 * frames: 6 bytes (uint16 event, uint32 value, host order) and the
 * endpoint, which is not needed here.
 */
static void
client_drain_monitor(struct ld_client *c)
{
	uint8_t head[6];
	uint16_t event;
	uint32_t value;
	int more, n;
	size_t sz;

	for (;;) {
		n = zmq_recv(c->mon, head, sizeof(head), ZMQ_DONTWAIT);
		if (n < 0)
			return;
		more = 0;
		sz = sizeof(more);
		/* step over the rest of the event, whatever it holds */
		while (zmq_getsockopt(c->mon, ZMQ_RCVMORE, &more, &sz) == 0 &&
		    more && zmq_recv(c->mon, NULL, 0, ZMQ_DONTWAIT) >= 0)
			sz = sizeof(more);
		if (n != (int)sizeof(head))
			continue;
		memcpy(&event, head, sizeof(event));
		memcpy(&value, head + 2, sizeof(value));
		client_on_event(c, event, value);
	}
}

/* Start the DEALER's monitor and connect c->mon to it (before the
 * DEALER connects, so no event is missed). */
static int
client_monitor(struct ld_client *c, struct ld_err *err)
{
	char ep[CLIENT_MON_EP_MAX];
	int zero = 0;

	snprintf(ep, sizeof(ep), "inproc://ld-client-mon-%ld-%u",
	    (long)getpid(), atomic_fetch_add(&client_mon_seq, 1));
	if (zmq_socket_monitor(c->sock, ep, CLIENT_MON_EVENTS) != 0)
		return client_zerr(c, "zmq_socket_monitor", err);
	if ((c->mon = zmq_socket(c->zctx, ZMQ_PAIR)) == NULL)
		return client_zerr(c, "zmq_socket(PAIR)", err);
	zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(c->mon, ep) != 0)
		return client_zerr(c, "monitor connect", err);
	return LD_OK;
}

/* ---- open and close --------------------------------------------------- */

static int
client_check_opts(const struct ld_client_opts *o, struct ld_err *err)
{
	if (o == NULL || o->endpoint == NULL || o->endpoint[0] == '\0')
		return err_set(err, LD_EINVAL, "client: no endpoint");
	if (strlen(o->endpoint) >= CLIENT_EP_MAX)
		return err_set(err, LD_EINVAL, "client: endpoint longer than "
		    "%d bytes", CLIENT_EP_MAX - 1);
	if (o->keys == NULL)
		return err_set(err, LD_EINVAL, "client: no key pair");
	if (o->timeout_ms < 0)
		return err_set(err, LD_EINVAL, "client: timeout %d ms is "
		    "negative", o->timeout_ms);
	return LD_OK;
}

/* The sockets of c (its context is set): DEALER, monitor, connect. */
static int
client_sockets(struct ld_client *c, const struct ld_client_opts *o,
    struct ld_err *err)
{
	int zero = 0, rc;

	if ((c->sock = zmq_socket(c->zctx, ZMQ_DEALER)) == NULL)
		return client_zerr(c, "zmq_socket(DEALER)", err);
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0)
		return client_zerr(c, "ZMQ_LINGER", err);
	rc = auth_client_socket(c->sock, o->server_key, o->keys->public_key,
	    o->keys->secret_key, err);
	if (rc != 0)
		return rc;
	if ((rc = client_monitor(c, err)) != 0)
		return rc;
	if (zmq_connect(c->sock, o->endpoint) != 0) {
		int e = zmq_errno();

		/* a bad endpoint is the caller's mistake, not I/O */
		return err_set(err, e == EINVAL || e == EPROTONOSUPPORT ||
		    e == ENOCOMPATPROTO ? LD_EINVAL : LD_EIO, "%s: cannot "
		    "connect: %s", o->endpoint, zmq_strerror(e));
	}
	return LD_OK;
}

int
client_open(struct ld_client **out, const struct ld_client_opts *o,
    struct ld_err *err)
{
	struct ld_client *c;
	int rc;

	if (out == NULL)
		return err_set(err, LD_EINVAL, "client: nowhere to put it");
	*out = NULL;
	if ((rc = client_check_opts(o, err)) != 0)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->rbuf = malloc(LD_PROTO_REPLY_MAX)) == NULL) {
		free(c);
		return err_set(err, LD_ENOMEM, "client: out of memory");
	}
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", o->endpoint);
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    LD_CLIENT_TIMEOUT_MS;
	c->zctx = o->zctx;
	if (c->zctx == NULL) {
		c->own_ctx = true;
		if ((c->zctx = zmq_ctx_new()) == NULL) {
			rc = client_zerr(c, "zmq_ctx_new", err);
			client_close(c);
			return rc;
		}
	}
	if ((rc = client_sockets(c, o, err)) != 0) {
		client_close(c);
		return rc;
	}
	*out = c;
	return LD_OK;
}

void
client_close(struct ld_client *c)
{
	if (c == NULL)
		return;
	/* closing the DEALER stops its monitor; linger 0 on both: the
	 * context terminates at once, whatever was still queued */
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->mon != NULL)
		zmq_close(c->mon);
	if (c->own_ctx && c->zctx != NULL)
		zmq_ctx_term(c->zctx);
	free(c->rbuf);
	free(c);
}

/* ---- waiting ------------------------------------------------------------ */

/* LD_EIO: nothing within the timeout, with what the monitor knows. */
static int
client_timed_out(struct ld_client *c, const char *what, struct ld_err *err)
{
	const char *hint = "";

	if (!c->ever_connected)
		hint = " (could not connect: is the node running, and is "
		    "this its client endpoint?)";
	else if (!c->handshaken)
		hint = " (connected, but the CURVE handshake did not "
		    "complete: is the server key the node's public key?)";
	return err_set(err, LD_EIO, "%s %s within %.1f s%s", what,
	    c->endpoint, c->timeout_ms / 1000.0, hint);
}

/*
 * Poll the DEALER for events (ZMQ_POLLIN or ZMQ_POLLOUT) and the monitor
 * until the DEALER is ready or deadline (monotonic ms) passes.  Returns 0
 * when ready; the sticky refusal as soon as the monitor reports one;
 * LD_EIO on time-out ("no reply from" / "cannot send to" in what).
 */
static int
client_wait(struct ld_client *c, short events, int64_t deadline,
    const char *what, struct ld_err *err)
{
	zmq_pollitem_t it[2] = { { c->sock, 0, events, 0 },
		{ c->mon, 0, ZMQ_POLLIN, 0 } };
	int64_t left;
	int n;

	for (;;) {
		client_drain_monitor(c);
		if (c->refused != LD_OK)
			return err_set(err, c->refused, "%s", c->refusal);
		left = deadline - ltime_mono_ms();
		if (left < 0)
			left = 0;
		it[0].revents = it[1].revents = 0;
		n = zmq_poll(it, 2, (long)left);
		if (n < 0 && zmq_errno() != EINTR)
			return client_zerr(c, "zmq_poll", err);
		if (n > 0 && (it[0].revents & events)) {
			client_drain_monitor(c);	/* a refusal wins */
			if (c->refused != LD_OK)
				return err_set(err, c->refused, "%s",
				    c->refusal);
			return LD_OK;
		}
		if (n == 0 && left == 0)
			return client_timed_out(c, what, err);
	}
}

/* Send len bytes as one frame before deadline. */
static int
client_send(struct ld_client *c, const uint8_t *frame, size_t len,
    int64_t deadline, struct ld_err *err)
{
	int rc;

	/* the send is tried first, without a poll (a system call) nor a
	 * look at the monitor: the socket has room in the common case.  A
	 * refusal already read from the monitor still wins (sticky); one
	 * not read yet is said by the wait for the reply (client_next,
	 * client_call), as the request is never delivered */
	if (c->refused != LD_OK)
		return err_set(err, c->refused, "%s", c->refusal);
	for (;;) {
		if (zmq_send(c->sock, frame, len, ZMQ_DONTWAIT) == (int)len)
			return LD_OK;
		if (zmq_errno() != EAGAIN && zmq_errno() != EINTR)
			return client_zerr(c, "zmq_send", err);
		if ((rc = client_wait(c, ZMQ_POLLOUT, deadline,
		    "cannot send to", err)) != 0)
			return rc;
	}
}

/*
 * Take the next message from the DEALER (one is waiting): a single frame
 * is copied into c->rbuf (1); a message of more frames is no reply and is
 * dropped whole (0).  A frame beyond LD_PROTO_REPLY_MAX is LD_EMALFORMED.
 */
static int
client_take(struct ld_client *c, struct ld_err *err)
{
	zmq_msg_t m;
	size_t sz;
	int more, single;

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
			return 0;
		return client_zerr(c, "zmq_msg_recv", err);
	}
	more = zmq_msg_more(&m);
	single = !more;
	sz = zmq_msg_size(&m);
	if (single && sz <= LD_PROTO_REPLY_MAX) {
		memcpy(c->rbuf, zmq_msg_data(&m), sz);
		c->rlen = sz;
	}
	zmq_msg_close(&m);
	if (single && sz > LD_PROTO_REPLY_MAX)
		return err_set(err, LD_EMALFORMED, "reply from %s: %zu bytes "
		    "exceeds limit %d", c->endpoint, sz, LD_PROTO_REPLY_MAX);
	while (more) {	/* the other frames arrive with the first */
		zmq_msg_init(&m);
		more = zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) >= 0 &&
		    zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
	return single;
}

/* Receive the next one-frame reply into c->rbuf before deadline. */
static int
client_recv(struct ld_client *c, int64_t deadline, struct ld_err *err)
{
	int rc;

	for (;;) {
		if ((rc = client_wait(c, ZMQ_POLLIN, deadline,
		    "no reply from", err)) != 0)
			return rc;
		if ((rc = client_take(c, err)) != 0)
			return rc < 0 ? rc : LD_OK;
	}
}

/* ---- calls -------------------------------------------------------------- */

/* Give req the next id and encode it into c->frame: its length, or a
 * negative code. */
static int
client_encode(struct ld_client *c, struct ld_request *req, struct ld_err *err)
{
	int n;

	req->id = c->last_id + 1;
	if ((n = proto_request_encode(req, c->frame, sizeof(c->frame),
	    err)) < 0)
		return n;
	c->last_id = req->id;
	return n;
}

/* Decode the reply in c->rbuf: 0, or LD_EMALFORMED naming the node. */
static int
client_decode(struct ld_client *c, struct ld_reply *reply, struct ld_err *err)
{
	if (proto_reply_decode(c->rbuf, c->rlen, reply, err) == 0)
		return LD_OK;
	err_prefix(err, "reply from %s", c->endpoint);
	if (err != NULL)
		err->code = LD_EMALFORMED;
	return LD_EMALFORMED;
}

int
client_call(struct ld_client *c, struct ld_request *req,
    struct ld_reply *reply, struct ld_err *err)
{
	int64_t deadline;
	int n, rc;

	if (c == NULL || req == NULL || reply == NULL)
		return err_set(err, LD_EINVAL, "client: no client, request "
		    "or reply");
	if ((n = client_encode(c, req, err)) < 0)
		return n;
	deadline = ltime_mono_ms() + c->timeout_ms;
	if ((rc = client_send(c, c->frame, (size_t)n, deadline, err)) != 0)
		return rc;
	for (;;) {
		if ((rc = client_recv(c, deadline, err)) != 0)
			return rc;
		if ((rc = client_decode(c, reply, err)) != 0)
			return rc;
		if (reply->id == req->id)
			return LD_OK;
		/* a late reply to an earlier request that timed out */
	}
}

int
client_post(struct ld_client *c, struct ld_request *req, struct ld_err *err)
{
	int n;

	if (c == NULL || req == NULL)
		return err_set(err, LD_EINVAL, "client: no client or request");
	if ((n = client_encode(c, req, err)) < 0)
		return n;
	return client_send(c, c->frame, (size_t)n, ltime_mono_ms() +
	    c->timeout_ms, err);
}

int
client_next(struct ld_client *c, struct ld_reply *reply, int timeout_ms,
    struct ld_err *err)
{
	int64_t deadline = ltime_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int rc;

	if (c == NULL || reply == NULL)
		return err_set(err, LD_EINVAL, "client: no client or reply");
	for (;;) {
		if ((rc = client_take(c, err)) < 0)
			return rc;
		if (rc == 1)
			return client_decode(c, reply, err);
		/* a refusal (a wrong key, say) is an error, not silence:
		 * looked at before the time is checked, also at no wait */
		client_drain_monitor(c);
		if (c->refused != LD_OK)
			return err_set(err, c->refused, "%s", c->refusal);
		if (ltime_mono_ms() >= deadline)
			return 1;
		rc = client_wait(c, ZMQ_POLLIN, deadline, "no reply from", err);
		if (rc == LD_EIO && c->refused == LD_OK &&
		    ltime_mono_ms() >= deadline)
			return 1;	/* only the time ran out */
		if (rc != 0)
			return rc;	/* a refusal, or the socket failed */
	}
}

void *
client_zsock(struct ld_client *c)
{
	return c != NULL ? c->sock : NULL;
}

int
client_call_raw(struct ld_client *c, const uint8_t *frame, size_t len,
    const uint8_t **out, size_t *out_len, struct ld_err *err)
{
	int64_t deadline;
	int rc;

	if (c == NULL || (frame == NULL && len > 0) || out == NULL ||
	    out_len == NULL)
		return err_set(err, LD_EINVAL, "client: bad arguments");
	deadline = ltime_mono_ms() + c->timeout_ms;
	if ((rc = client_send(c, frame, len, deadline, err)) != 0)
		return rc;
	if ((rc = client_recv(c, deadline, err)) != 0)
		return rc;
	*out = c->rbuf;
	*out_len = c->rlen;
	return LD_OK;
}
