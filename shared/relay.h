/*
 * relay.h - a TCP relay in a thread of its own, for tests and simulations
 * that cut the line between two nodes and heal it.
 *
 * A relay listens on HOST:PORT and connects every connection it accepts
 * to 127.0.0.1:TARGET, copying bytes both ways.  Another thread switches
 * it at any time between three modes (relay_set):
 *
 *   LD_RELAY_PASS       forward.  A new connection is connected to the
 *                       target (reset at once if the target refuses).
 *   LD_RELAY_BLACKHOLE  a silent black hole, like a cut leased line that
 *                       TCP does not notice: every connection stays open,
 *                       everything either side sends is read and thrown
 *                       away (so nobody's send blocks), nothing arrives
 *                       and nothing is reset.  A new connection is
 *                       accepted into the hole (no target connection is
 *                       made for it; it stays a hole until closed).
 *   LD_RELAY_REFUSE     every connection held is closed (reset if rst) and
 *                       every new one is reset at once (connection refused
 *                       as far as the peer can tell).
 *
 * `drop` also closes every connection held at the switch, both sides,
 * with a reset (`rst`) or a plain FIN: what a heal usually wants, since
 * the bytes a hole swallowed are gone and the streams that lost them are
 * broken.  Without it, a connection that has a target side resumes
 * forwarding when the mode is back to PASS.  relay_set returns once the
 * relay thread has applied the switch (the connections are closed by
 * then).
 *
 * A relay holds at most conn_max connections (LD_RELAY_CONN_MAX unless
 * relay_set_limit lowers it); one more is accepted and reset at once,
 * counted in over_limit, and logged once per episode.  A half-close
 * (FIN) is passed on; a reset or error on either side closes both.
 *
 * No globals: several relays may run in one process.  Every function but
 * relay_start and relay_stop may be called from any thread while the
 * relay runs.
 */
#ifndef LD_RELAY_H
#define LD_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define LD_RELAY_CONN_MAX 256	/* connections one relay holds at most */

enum ld_relay_mode {
	LD_RELAY_PASS = 0,
	LD_RELAY_BLACKHOLE,
	LD_RELAY_REFUSE
};

struct ld_relay;

struct ld_relay_stats {
	uint64_t accepted;	/* connections taken (to pass or into the hole) */
	uint64_t refused;	/* reset at once: REFUSE, or the target refused */
	uint64_t over_limit;	/* reset at once: conn_max connections held */
	uint64_t dropped;	/* connections closed by relay_set (drop, REFUSE) */
	uint64_t passed;	/* bytes forwarded, both directions */
	uint64_t swallowed;	/* bytes the black hole read and threw away */
	int open;		/* connections held now */
	enum ld_relay_mode mode;
};

/* Start a relay on host:port (host a numeric IPv4 address, NULL for
 * 127.0.0.1; port 0 for one the kernel picks, see relay_port) forwarding
 * to 127.0.0.1:target_port, in PASS mode.  0, or LD_EINVAL (bad
 * argument), LD_EBUSY (the port is taken: "relay: bind 127.0.0.1:7101:
 * Address already in use"), LD_ENOMEM, LD_EIO, with the message in err;
 * *r is NULL on error. */
int relay_start(struct ld_relay **r, const char *host, int port,
    int target_port, struct ld_err *err);

/* The port the relay listens on. */
int relay_port(const struct ld_relay *r);

/* Switch to mode; drop closes every connection held (rst: with a reset,
 * else a FIN).  Returns once applied: 0, LD_EINVAL (bad mode, NULL), or
 * LD_EIO (the relay thread did not answer within 10 s). */
int relay_set(struct ld_relay *r, enum ld_relay_mode mode, bool drop,
    bool rst);

/* Hold at most conn_max connections (1..LD_RELAY_CONN_MAX; those held
 * above a lowered bound stay).  0 or LD_EINVAL. */
int relay_set_limit(struct ld_relay *r, int conn_max);

/* A consistent copy of the counters. */
void relay_stats(struct ld_relay *r, struct ld_relay_stats *st);

/* Stop the thread, reset every connection, free everything.  NULL is a
 * no-op. */
void relay_stop(struct ld_relay *r);

#endif
