/*
 * auth.h - who may talk to a node: the ZAP handler (ZeroMQ RFC 27) for the
 * node's CURVE server sockets, and the socket options that go with it.
 *
 * libzmq asks the handler bound at inproc://zeromq.zap.01 in the socket's
 * context about every CURVE handshake.  The handler looks the client's
 * long-term public key up in the topology and answers by the ZAP domain
 * the server socket set (ZMQ_ZAP_DOMAIN, via auth_server_socket):
 *
 *   "client"  the client endpoint: admits a [client] whose node is this
 *             node; the user id is the client id ("op-ly-wang").
 *   "peer"    the peer endpoint: admits a [node] whose parent is this
 *             node and whose status is running; the user id is the node
 *             id ("XA").
 *
 * Everything else is refused with status 400 and a reason, counted, and
 * logged (log_warn, "auth: refused key Z85 on client endpoint (from
 * 10.1.2.3): not a client of node LY (a client of XA)"): other
 * mechanisms, other domains, unknown keys, a client of another node, a
 * node on the client endpoint or a client on the peer endpoint, a node
 * that is not a running child.  The same refusal (key, domain, reason)
 * again and again (a client that retries, a flood of connections) is
 * logged once per AUTH_LOG_QUIET_S seconds, the next line saying how many
 * went unlogged; the counter counts each.  Only public keys are ever
 * logged.  (libzmq 4.3 clients do not retry by themselves after a 400.)
 *
 * The node reads the user id of every message it receives on those
 * sockets with zmq_msg_gets(&msg, "User-Id") (on a ROUTER: on the body
 * frames; the routing-id frame the ROUTER adds has no properties), and
 * trusts nothing else about the sender's identity (never a field in the
 * message body).
 *
 * Contract, in this order:
 *   1. zctx = zmq_ctx_new(); topology loaded (it must outlive the
 *      handler: the thread reads it; it is never modified);
 *   2. auth_start(zctx, t, self, &auth, &err): binds the handler before
 *      any server socket exists.  libzmq 4.3 admits every CURVE client
 *      when no handler is bound, unless ZMQ_ZAP_ENFORCE_DOMAIN is set
 *      (auth_server_socket sets it where libzmq offers it);
 *   3. per server socket: zmq_socket, auth_server_socket(...), then
 *      zmq_bind (the options count from the bind on);
 *   4. at the end: close the server sockets, then auth_stop(auth), then
 *      zmq_ctx_term(zctx).  auth_stop also works after
 *      zmq_ctx_shutdown(zctx) (then the handler has already quit), but
 *      zmq_ctx_term blocks until auth_stop has closed the handler's
 *      sockets: never call it before auth_stop.
 */
#ifndef LD_AUTH_H
#define LD_AUTH_H

#include <stdint.h>

#include "err.h"
#include "topo.h"

#define AUTH_DOMAIN_CLIENT "client"
#define AUTH_DOMAIN_PEER "peer"
#define AUTH_ENDPOINT "inproc://zeromq.zap.01"
#define AUTH_LOG_QUIET_S 60	/* one log line per key and reason */

struct ld_auth;

struct ld_auth_counts {
	uint64_t admitted;	/* handshakes admitted since auth_start */
	uint64_t refused;	/* handshakes refused (each one) */
};

/*
 * Bind the ZAP handler in zctx for node self_node (an index into
 * t->nodes) and start its thread.  Returns 0 and *out, or LD_EINVAL (bad
 * argument), LD_EEXIST (a ZAP handler is already bound in zctx), LD_EIO /
 * LD_ENOMEM with the reason in err.
 */
int auth_start(void *zctx, const struct ld_topo *t, int self_node,
    struct ld_auth **out, struct ld_err *err);

/*
 * Stop the handler thread, close its sockets, free a.  Once it returns
 * the ZAP endpoint is unbound (new CURVE handshakes on the node's server
 * sockets then fail, or pass unchecked where ZMQ_ZAP_ENFORCE_DOMAIN is
 * missing: close the server sockets first).  NULL is a no-op.
 */
void auth_stop(struct ld_auth *a);

/* The counters so far; any thread may read them at any time. */
void auth_counts(const struct ld_auth *a, struct ld_auth_counts *c);

/*
 * Make sock (any socket type; before zmq_bind) a CURVE server that asks
 * the ZAP handler with domain ("client" or "peer"): ZMQ_CURVE_SERVER = 1,
 * ZMQ_CURVE_SECRETKEY = secret32 (32 bytes: the node's secret key),
 * ZMQ_ZAP_DOMAIN = domain, and ZMQ_ZAP_ENFORCE_DOMAIN = 1 when libzmq
 * has it (draft API: refuse everyone when no handler is bound).  Returns
 * 0 or LD_EINVAL / LD_EIO with the reason in err.
 */
int auth_server_socket(void *sock, const char *domain,
    const uint8_t *secret32, struct ld_err *err);

/*
 * Make sock (before zmq_connect) a CURVE client of the server whose public
 * key is server_public32, with its own key pair public32 / secret32 (32
 * bytes each): ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY,
 * ZMQ_CURVE_SECRETKEY.  Returns 0 or LD_EINVAL / LD_EIO with the reason.
 */
int auth_client_socket(void *sock, const uint8_t *server_public32,
    const uint8_t *public32, const uint8_t *secret32, struct ld_err *err);

#endif
