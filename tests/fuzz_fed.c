/*
 * fuzz_fed.c - libFuzzer target for the federation's peer messages
 * (shared/fed_wire.c, docs/federation.md §4).
 *
 * Every input is decoded as a peer frame.  The decoder may not crash, leak
 * or read outside the input (the sanitizers watch); an error must come
 * with its code in err and a message.  An accepted frame must point only
 * into the input (events, body) and survive a round trip: its message
 * written again by the writer of its type fits in the input's size (the
 * writers use the shortest encodings), decodes to the same message, and
 * is written again to the same bytes.  Any violation abort()s.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, for the corpus
 * replay in `make test`, linked with tests/fuzz_replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fed_msg is large: static, not on the stack. */
static struct fed_msg fuzz_m1, fuzz_m2;

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_fed: %s\n", what);
	abort();
}

/* Does p[0..n) lie inside data[0..size)? */
static bool
fuzz_inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return n == 0 || (p >= data && n <= size &&
	    (size_t)(p - data) <= size - n);
}

/* Write m again with the writer of its type. */
static int
fuzz_encode(const struct fed_msg *m, uint8_t *buf, size_t cap)
{
	struct fed_batch_wr w;

	switch (m->type) {
	case FED_HELLO: return fed_encode_hello(buf, cap, m->node);
	case FED_PING: return fed_encode_ping(buf, cap);
	case FED_REQ:
		return fed_encode_req(buf, cap, m->id, m->actor, m->body,
		    m->body_len);
	case FED_REP:
		return fed_encode_rep(buf, cap, m->id, m->body, m->body_len);
	case FED_PULL:
		if (m->stream == FED_UP)
			return fed_encode_pull_up(buf, cap, m->have, m->n_have);
		return fed_encode_pull_down(buf, cap, m->from);
	default:
		fed_batch_begin(&w, buf, cap, m->stream, m->from, m->to,
		    m->left, m->n_ev);
		for (size_t i = 0; i < m->n_ev; i++)
			fed_batch_event(&w, m->ev[i], m->ev_len[i]);
		return fed_batch_end(&w);
	}
}

/* Are a and b the same message (events and body by their bytes)? */
static bool
fuzz_same(const struct fed_msg *a, const struct fed_msg *b)
{
	if (a->type != b->type || a->v != b->v || a->stream != b->stream ||
	    strcmp(a->node, b->node) != 0 || a->n_have != b->n_have ||
	    a->from != b->from || a->to != b->to || a->left != b->left ||
	    a->n_ev != b->n_ev || a->id != b->id ||
	    a->body_len != b->body_len || strcmp(a->actor, b->actor) != 0)
		return false;
	if (a->body_len > 0 && memcmp(a->body, b->body, a->body_len) != 0)
		return false;
	for (size_t i = 0; i < a->n_have; i++)
		if (strcmp(a->have[i].origin, b->have[i].origin) != 0 ||
		    a->have[i].seq != b->have[i].seq)
			return false;
	for (size_t i = 0; i < a->n_ev; i++)
		if (a->ev_len[i] != b->ev_len[i] ||
		    memcmp(a->ev[i], b->ev[i], a->ev_len[i]) != 0)
			return false;
	return true;
}

/* The message m1 (decoded from data[0..size)) written, read back and
 * written again. */
static void
fuzz_roundtrip(const uint8_t *data, size_t size)
{
	struct ld_err err;
	uint8_t *b1 = malloc(size), *b2 = malloc(size);
	int n1, n2;

	for (size_t i = 0; i < fuzz_m1.n_ev; i++)
		if (!fuzz_inside(fuzz_m1.ev[i], fuzz_m1.ev_len[i], data, size))
			fuzz_fail("an event outside the input");
	if (!fuzz_inside(fuzz_m1.body, fuzz_m1.body_len, data, size))
		fuzz_fail("the body outside the input");
	if ((n1 = fuzz_encode(&fuzz_m1, b1, size)) <= 0)
		fuzz_fail("a decoded message does not encode in its size");
	err_clear(&err);
	if (fed_decode(b1, (size_t)n1, &fuzz_m2, &err) != 0) {
		fprintf(stderr, "fuzz_fed: %s\n", err.msg);
		fuzz_fail("an encoded message does not decode");
	}
	if (!fuzz_same(&fuzz_m1, &fuzz_m2))
		fuzz_fail("the message differs after a round trip");
	n2 = fuzz_encode(&fuzz_m2, b2, size);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		fuzz_fail("the message is written again differently");
	free(b1);
	free(b2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = fed_decode(data, size, &fuzz_m1, &err);
	fuzz_check_err(rc, &err, "fed");
	if (rc == 0)
		fuzz_roundtrip(data, size);
	return 0;
}
