/* test_fed_wire.c - the federation's peer messages (shared/fed_wire.c,
 * docs/federation.md §4): round trips, every refusal with its code and
 * message, the limits, the writers' bounds, the worked example. */
#include "testutil.h"

#include "codec_mp.h"
#include "fed.h"
#include "proto.h"

/* fed_msg is large: one for the decoder, one to compare with. */
static struct fed_msg tw_m, tw_m2;

/* ---- helpers ----------------------------------------------------------- */

/* A copy of frame[0..n) in a buffer of exactly n bytes (the sanitizers
 * then catch any read past the end); free it. */
static uint8_t *
tw_exact(const uint8_t *frame, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (n > 0)
		memcpy(p, frame, n);
	return p;
}

/* Decode frame[0..n) into *m from an exact copy, which is returned (the
 * message points into it; free it). */
static uint8_t *
tw_decode_ok(const uint8_t *frame, int n, struct fed_msg *m)
{
	uint8_t *copy;
	struct ld_err err = { 0 };

	assert_true(n > 0);
	copy = tw_exact(frame, (size_t)n);
	if (fed_decode(copy, (size_t)n, m, &err) != 0)
		fail_msg("decode: %s", err.msg);
	return copy;
}

/* Are a and b the same message (events and bodies by their bytes)? */
static void
tw_assert_same(const struct fed_msg *a, const struct fed_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->v, b->v);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->stream, b->stream);
	assert_int_equal(a->n_have, b->n_have);
	for (size_t i = 0; i < a->n_have; i++) {
		assert_string_equal(a->have[i].origin, b->have[i].origin);
		assert_int_equal(a->have[i].seq, b->have[i].seq);
	}
	assert_int_equal(a->from, b->from);
	assert_int_equal(a->to, b->to);
	assert_int_equal(a->left, b->left);
	assert_int_equal(a->n_ev, b->n_ev);
	for (size_t i = 0; i < a->n_ev; i++) {
		assert_int_equal(a->ev_len[i], b->ev_len[i]);
		assert_memory_equal(a->ev[i], b->ev[i], a->ev_len[i]);
	}
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->body_len, b->body_len);
	if (a->body_len > 0)
		assert_memory_equal(a->body, b->body, a->body_len);
	assert_string_equal(a->actor, b->actor);
}

/* Do m's events point into frame[0..n)? */
static void
tw_assert_inside(const struct fed_msg *m, const uint8_t *frame, size_t n)
{
	for (size_t i = 0; i < m->n_ev; i++)
		assert_true(m->ev[i] >= frame &&
		    m->ev[i] + m->ev_len[i] <= frame + n);
	if (m->body_len > 0)
		assert_true(m->body >= frame &&
		    m->body + m->body_len <= frame + n);
}

/* Sample events: event i is i + 1 bytes of 'a' + i. */
static uint8_t tw_evbuf[FED_BATCH_MAX + 1][8];

static const uint8_t *
tw_event(size_t i, size_t *len)
{
	*len = 1 + i % 8;
	memset(tw_evbuf[i], 'a' + (int)(i % 26), *len);
	return tw_evbuf[i];
}

/* A batch of n sample events into buf, left more after it. */
static int
tw_batch(uint8_t *buf, size_t cap, enum fed_stream s, uint64_t from,
    uint64_t to, uint64_t left, size_t n)
{
	struct fed_batch_wr w;
	size_t len;

	fed_batch_begin(&w, buf, cap, s, from, to, left, n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *ev = tw_event(i, &len);

		fed_batch_event(&w, ev, len);
	}
	return fed_batch_end(&w);
}

static const struct fed_have tw_have[3] = { { "LY", 120 }, { "XA", 0 },
	{ "XB7", UINT64_MAX } };
static const uint8_t tw_body[] = { 0x84, 0xa1, 'v', 0x01, 0xa2, 'i', 'd',
	0x07, 0xa2, 'o', 'p', 0xa6, 's', 't', 'a', 't', 'u', 's', 0xa4, 'a',
	'r', 'g', 's', 0x80 };

/* The sample messages, one per writer. */
enum { TW_HELLO, TW_PING, TW_PULL_UP, TW_PULL_DOWN, TW_BATCH_UP,
	TW_BATCH_DOWN, TW_REQ, TW_REP, TW__COUNT };

static int
tw_encode(int which, uint8_t *buf, size_t cap)
{
	switch (which) {
	case TW_HELLO: return fed_encode_hello(buf, cap, "XA");
	case TW_PING: return fed_encode_ping(buf, cap);
	case TW_PULL_UP: return fed_encode_pull_up(buf, cap, tw_have, 3);
	case TW_PULL_DOWN: return fed_encode_pull_down(buf, cap, 70000);
	case TW_BATCH_UP: return tw_batch(buf, cap, FED_UP, 0, 0, 7, 3);
	case TW_BATCH_DOWN:
		return tw_batch(buf, cap, FED_DOWN, 300, 0x1ffffffffull,
		    UINT64_MAX, 20);
	case TW_REQ:
		return fed_encode_req(buf, cap, 9, "op:xa-王", tw_body,
		    sizeof(tw_body));
	default:
		return fed_encode_rep(buf, cap, UINT64_MAX, tw_body,
		    sizeof(tw_body));
	}
}

/* Hand-made frames: the msgpack writer over a static buffer. */
static uint8_t tw_buf[65536];
static struct codec_mp_wr tw_w;

static void
tw_start(size_t entries)
{
	tw_w = (struct codec_mp_wr){ .p = tw_buf, .cap = sizeof(tw_buf) };
	codec_mp_put_map(&tw_w, entries);
}

static void
tw_str(const char *s)
{
	codec_mp_put_str(&tw_w, s, strlen(s));
}

/* key: str value */
static void
tw_kstr(const char *k, const char *v)
{
	tw_str(k);
	tw_str(v);
}

/* key: uint value */
static void
tw_kuint(const char *k, uint64_t v)
{
	tw_str(k);
	codec_mp_put_uint(&tw_w, v);
}

/* A raw byte. */
static void
tw_byte(unsigned b)
{
	uint8_t c = (uint8_t)b;

	codec_mp_put(&tw_w, &c, 1);
}

/* A binary of n bytes of 'x', with a bin 32 header (never the shortest:
 * the decoder takes every encoding). */
static void
tw_bin(size_t n)
{
	codec_mp_put_hdr(&tw_w, 0xc6, n, 4);
	for (size_t i = 0; i < n; i++)
		tw_byte('x');
}

/* Decode the hand-made frame; check code and message. */
static void
tw_expect_frame(const uint8_t *frame, size_t n, int code, const char *msg)
{
	uint8_t *copy = tw_exact(frame, n);
	struct ld_err err = { 0 };
	int rc = fed_decode(copy, n, &tw_m, &err);

	free(copy);
	if (rc != code || strcmp(err.msg, msg) != 0)
		fail_msg("got %d '%s', expected %d '%s'", rc, err.msg, code,
		    msg);
	assert_int_equal(err.code, code);
}

static void
tw_expect(int code, const char *msg)
{
	assert_true(tw_w.off <= tw_w.cap);
	tw_expect_frame(tw_buf, tw_w.off, code, msg);
}

/* The head of a message of type t with entries keys (t included). */
static void
tw_head(const char *t, size_t entries)
{
	tw_start(entries);
	tw_kstr("t", t);
}

/* ---- round trips ------------------------------------------------------- */

/* Encode sample which, decode it into tw_m, encode the result again: the
 * same bytes.  Returns the frame tw_m points into (free it). */
static uint8_t *
tw_roundtrip(int which)
{
	static uint8_t a[65536], b[65536];
	uint8_t *copy;
	int n = tw_encode(which, a, sizeof(a)), n2;

	copy = tw_decode_ok(a, n, &tw_m);
	tw_assert_inside(&tw_m, copy, (size_t)n);
	switch (tw_m.type) {
	case FED_HELLO: n2 = fed_encode_hello(b, sizeof(b), tw_m.node); break;
	case FED_PING: n2 = fed_encode_ping(b, sizeof(b)); break;
	case FED_REQ:
		n2 = fed_encode_req(b, sizeof(b), tw_m.id, tw_m.actor,
		    tw_m.body, tw_m.body_len);
		break;
	case FED_REP:
		n2 = fed_encode_rep(b, sizeof(b), tw_m.id, tw_m.body,
		    tw_m.body_len);
		break;
	case FED_PULL:
		n2 = tw_m.stream == FED_UP ? fed_encode_pull_up(b, sizeof(b),
		    tw_m.have, tw_m.n_have) : fed_encode_pull_down(b,
		    sizeof(b), tw_m.from);
		break;
	default: {
		struct fed_batch_wr w;

		fed_batch_begin(&w, b, sizeof(b), tw_m.stream, tw_m.from,
		    tw_m.to, tw_m.left, tw_m.n_ev);
		for (size_t i = 0; i < tw_m.n_ev; i++)
			fed_batch_event(&w, tw_m.ev[i], tw_m.ev_len[i]);
		n2 = fed_batch_end(&w);
	}
	}
	assert_int_equal(n2, n);
	assert_memory_equal(a, b, (size_t)n);
	return copy;
}

static void
test_roundtrip_hello_ping(void **state)
{
	(void)state;
	free(tw_roundtrip(TW_HELLO));
	assert_int_equal(tw_m.type, FED_HELLO);
	assert_int_equal(tw_m.v, FED_VERSION);
	assert_string_equal(tw_m.node, "XA");
	free(tw_roundtrip(TW_PING));
	assert_int_equal(tw_m.type, FED_PING);
	assert_int_equal(tw_m.stream, 0);
}

static void
test_roundtrip_pull(void **state)
{
	(void)state;
	free(tw_roundtrip(TW_PULL_UP));
	assert_int_equal(tw_m.type, FED_PULL);
	assert_int_equal(tw_m.stream, FED_UP);
	assert_int_equal(tw_m.n_have, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(tw_m.have[i].origin, tw_have[i].origin);
		assert_int_equal(tw_m.have[i].seq, tw_have[i].seq);
	}
	free(tw_roundtrip(TW_PULL_DOWN));
	assert_int_equal(tw_m.stream, FED_DOWN);
	assert_int_equal(tw_m.from, 70000);
	assert_int_equal(tw_m.n_have, 0);
}

static void
test_roundtrip_batch(void **state)
{
	uint8_t *copy;
	size_t len;

	(void)state;
	free(tw_roundtrip(TW_BATCH_UP));
	assert_int_equal(tw_m.type, FED_BATCH);
	assert_int_equal(tw_m.stream, FED_UP);
	assert_int_equal(tw_m.from, 0);
	assert_int_equal(tw_m.left, 7);
	assert_int_equal(tw_m.n_ev, 3);
	copy = tw_roundtrip(TW_BATCH_DOWN);
	assert_int_equal(tw_m.stream, FED_DOWN);
	assert_int_equal(tw_m.from, 300);
	assert_int_equal(tw_m.to, 0x1ffffffffull);
	assert_int_equal(tw_m.left, UINT64_MAX);
	assert_int_equal(tw_m.n_ev, 20);
	for (size_t i = 0; i < 20; i++) {
		const uint8_t *ev = tw_event(i, &len);

		assert_int_equal(tw_m.ev_len[i], len);
		assert_memory_equal(tw_m.ev[i], ev, len);
	}
	free(copy);
	/* an empty batch: the receiver is up to date; from == to */
	{
		uint8_t buf[64];
		int n = tw_batch(buf, sizeof(buf), FED_DOWN, 5, 5, 0, 0);

		copy = tw_decode_ok(buf, n, &tw_m);
		assert_int_equal(tw_m.n_ev, 0);
		assert_int_equal(tw_m.from, 5);
		assert_int_equal(tw_m.to, 5);
		assert_int_equal(tw_m.left, 0);
		free(copy);
	}
	/* byte for byte: an empty batch up, nothing left */
	{
		static const uint8_t frame[] = {
			0x84,				/* map, 4 entries */
			0xa1, 't',
			0xa5, 'b', 'a', 't', 'c', 'h',
			0xa1, 's',
			0xa2, 'u', 'p',
			0xa4, 'l', 'e', 'f', 't',
			0x00,				/* 0 */
			0xa6, 'e', 'v', 'e', 'n', 't', 's',
			0x90 };				/* array, 0 */
		uint8_t buf[64];
		int n = tw_batch(buf, sizeof(buf), FED_UP, 0, 0, 0, 0);

		assert_int_equal(n, sizeof(frame));
		assert_memory_equal(buf, frame, sizeof(frame));
		copy = tw_decode_ok(frame, (int)sizeof(frame), &tw_m);
		assert_int_equal(tw_m.stream, FED_UP);
		assert_int_equal(tw_m.left, 0);
		assert_int_equal(tw_m.n_ev, 0);
		free(copy);
	}
}

static void
test_roundtrip_req_rep(void **state)
{
	static struct ld_request req;
	struct ld_err err;
	uint8_t buf[64];
	uint8_t *copy;
	int n;

	(void)state;
	copy = tw_roundtrip(TW_REQ);
	assert_int_equal(tw_m.type, FED_REQ);
	assert_int_equal(tw_m.id, 9);
	assert_string_equal(tw_m.actor, "op:xa-王");
	assert_int_equal(tw_m.body_len, sizeof(tw_body));
	assert_memory_equal(tw_m.body, tw_body, sizeof(tw_body));
	/* the body is a client request frame as it came */
	assert_int_equal(proto_request_decode(tw_m.body, tw_m.body_len, &req,
	    &err), 0);
	assert_int_equal(req.op, LD_OP_STATUS);
	free(copy);
	free(tw_roundtrip(TW_REP));
	assert_int_equal(tw_m.type, FED_REP);
	assert_int_equal(tw_m.id, UINT64_MAX);
	assert_string_equal(tw_m.actor, "");
	/* empty actor and empty body are well formed */
	n = fed_encode_req(buf, sizeof(buf), 0, "", NULL, 0);
	copy = tw_decode_ok(buf, n, &tw_m);
	assert_int_equal(tw_m.body_len, 0);
	assert_string_equal(tw_m.actor, "");
	free(copy);
}

/* Keys in any order, and every msgpack encoding, not only the shortest. */
static void
test_any_order_any_encoding(void **state)
{
	static uint8_t canon[1024];
	struct fed_batch_wr w;
	uint8_t *copy, *c2;
	int n;

	(void)state;
	tw_start(6);
	tw_str("events");
	codec_mp_put_hdr(&tw_w, 0xdd, 2, 4);	/* array 32 */
	tw_bin(1);
	tw_bin(300);
	tw_str("to");
	codec_mp_put_hdr(&tw_w, 0xcf, 7, 8);	/* uint 64 */
	tw_str("left");
	codec_mp_put_hdr(&tw_w, 0xcd, 3, 2);	/* uint 16 */
	tw_kstr("s", "down");
	tw_str("from");
	codec_mp_put_hdr(&tw_w, 0xd3, 7, 8);	/* int 64, not negative */
	codec_mp_put_hdr(&tw_w, 0xd9, 1, 1);	/* str 8 */
	tw_byte('t');
	tw_str("batch");
	copy = tw_decode_ok(tw_buf, (int)tw_w.off, &tw_m);
	assert_int_equal(tw_m.type, FED_BATCH);
	assert_int_equal(tw_m.stream, FED_DOWN);
	assert_int_equal(tw_m.from, 7);
	assert_int_equal(tw_m.to, 7);
	assert_int_equal(tw_m.left, 3);
	assert_int_equal(tw_m.n_ev, 2);
	assert_int_equal(tw_m.ev_len[1], 300);
	assert_memory_equal(tw_m.ev[0], "x", 1);
	/* written again: the canonical frame, shorter, the same message */
	fed_batch_begin(&w, canon, sizeof(canon), FED_DOWN, 7, 7, 3, 2);
	fed_batch_event(&w, tw_m.ev[0], tw_m.ev_len[0]);
	fed_batch_event(&w, tw_m.ev[1], tw_m.ev_len[1]);
	n = fed_batch_end(&w);
	assert_int_equal(n, 346);
	assert_true((size_t)n < tw_w.off);
	assert_memory_equal(canon, "\x86\xa1t\xa5" "batch\xa1s\xa4" "down\xa4"
	    "from\x07\xa2to\x07\xa4" "left\x03\xa6" "events\x92\xc4\x01x"
	    "\xc5\x01\x2c", 46);
	c2 = tw_decode_ok(canon, n, &tw_m2);
	tw_assert_same(&tw_m, &tw_m2);
	free(c2);
	free(copy);
}

/* ---- the worked example of docs/federation.md §4 ----------------------- */

static void
test_example_pull_down(void **state)
{
	static const uint8_t frame[] = {
		0x83,				/* map, 3 entries */
		0xa1, 't',			/* "t" */
		0xa4, 'p', 'u', 'l', 'l',	/* "pull" */
		0xa1, 's',			/* "s" */
		0xa4, 'd', 'o', 'w', 'n',	/* "down" */
		0xa4, 'f', 'r', 'o', 'm',	/* "from" */
		0xcd, 0x03, 0xe8 };		/* uint 16: 1000 */
	uint8_t buf[64];
	uint8_t *copy;
	int n;

	(void)state;
	assert_int_equal(sizeof(frame), 23);
	n = fed_encode_pull_down(buf, sizeof(buf), 1000);
	assert_int_equal(n, sizeof(frame));
	assert_memory_equal(buf, frame, sizeof(frame));
	copy = tw_decode_ok(frame, (int)sizeof(frame), &tw_m);
	assert_int_equal(tw_m.type, FED_PULL);
	assert_int_equal(tw_m.stream, FED_DOWN);
	assert_int_equal(tw_m.from, 1000);
	free(copy);
}

/* ---- refusals ---------------------------------------------------------- */

/* The frame as a whole: msgpack, a map, known keys once, nothing after. */
static void
test_structure_errors(void **state)
{
	struct ld_err err;
	uint8_t *big;

	(void)state;
	tw_expect_frame(NULL, 0, LD_EMALFORMED, "message: truncated at byte 0");
	assert_int_equal(fed_decode(NULL, 3, &tw_m, &err), LD_EINVAL);
	assert_string_equal(err.msg, "no message or no buffer");
	assert_int_equal(fed_decode(tw_buf, 3, NULL, &err), LD_EINVAL);

	big = calloc(1, FED_FRAME_MAX + 1);
	assert_int_equal(fed_decode(big, FED_FRAME_MAX + 1, &tw_m, &err),
	    LD_ELIMIT);
	assert_string_equal(err.msg, "message: frame of 8388609 bytes exceeds "
	    "limit 8388608");
	free(big);

	tw_w = (struct codec_mp_wr){ .p = tw_buf, .cap = sizeof(tw_buf) };
	codec_mp_put_array(&tw_w, 1);
	tw_str("t");
	tw_expect(LD_ETYPE, "message: expected map, got array");

	tw_start(1);
	codec_mp_put_uint(&tw_w, 1);
	codec_mp_put_uint(&tw_w, 2);
	tw_expect(LD_ETYPE, "message: key must be a string, got integer");

	tw_head("ping", 2);
	tw_kstr("colour", "red");
	tw_expect(LD_EUNKNOWN, "message: unknown key 'colour'");

	tw_head("ping", 2);
	tw_kstr("a\xff'", "x");
	tw_expect(LD_EUNKNOWN, "message: unknown key 'a\\xff\\x27'");

	tw_head("ping", 2);
	tw_kstr("t", "ping");
	tw_expect(LD_EMALFORMED, "t: duplicate key");

	tw_head("ping", 1);
	tw_byte(0xc0);
	tw_expect(LD_EMALFORMED, "message: 1 trailing bytes after the message");

	tw_head("ping", 2);
	tw_str("from");
	tw_byte(0xc1);
	tw_expect(LD_EMALFORMED, "from: invalid msgpack byte 0xc1 at byte 13");

	tw_head("pull", 3);
	tw_kstr("s", "down");
	tw_str("from");
	tw_byte(0xcd);
	tw_byte(0x01);
	tw_expect(LD_EMALFORMED, "from: truncated at byte 20");

	/* nesting: message > have > a map > an array is 4 deep */
	tw_head("pull", 3);
	tw_kstr("s", "up");
	tw_str("have");
	codec_mp_put_map(&tw_w, 1);
	tw_str("XA");
	codec_mp_put_map(&tw_w, 1);
	tw_str("a");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_ELIMIT, "have: nesting depth 4 exceeds limit 3");

	/* a count larger than the bytes there */
	tw_head("batch", 3);
	tw_kstr("s", "up");
	tw_str("events");
	codec_mp_put_hdr(&tw_w, 0xdd, 0xffffffffu, 4);
	tw_expect(LD_EMALFORMED, "events: truncated at byte 26");
}

/* Pass 1 steps over a value of every msgpack type (the byte count of
 * each must be right, or what follows is misread); pass 2 then names the
 * wrong type.  Each value is put under `from` of a pull down, after `s`. */
static void
test_skip_every_type(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *got;
	} vals[] = {
		{ "\xc0", 1, "nil" },
		{ "\xc3", 1, "boolean" },
		{ "\xca\0\0\0\0", 5, "float" },
		{ "\xcb\0\0\0\0\0\0\0\0", 9, "float" },
		{ "\xa2xy", 3, "string" },
		{ "\xc4\x02xy", 4, "binary" },
		{ "\xc5\0\x01z", 4, "binary" },
		{ "\xd4\x01z", 3, "extension" },
		{ "\xd8\x01zzzzzzzzzzzzzzzz", 18, "extension" },
		{ "\xc7\x02\x01zz", 5, "extension" },
		{ "\xc8\0\x01\x01z", 5, "extension" },
		{ "\x92\xc0\x81\xa1k\xca\0\0\0\0", 10, "array" },
		{ "\x81\x01\xcb\0\0\0\0\0\0\0\0", 11, "map" },
	};
	char msg[80];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		tw_head("pull", 3);
		tw_str("from");
		codec_mp_put(&tw_w, vals[i].bytes, vals[i].n);
		tw_kstr("s", "down");
		snprintf(msg, sizeof(msg), "pull.from: expected integer, "
		    "got %s", vals[i].got);
		tw_expect(LD_ETYPE, msg);
	}
}

/* Binaries get their shortest header: bin 8 up to 255 bytes, bin 16 up
 * to 65535, bin 32 beyond. */
static void
test_bin_headers(void **state)
{
	static const struct {
		size_t n;
		const char *hdr;
		size_t hlen;
	} cases[] = {
		{ 0, "\xc4\x00", 2 }, { 255, "\xc4\xff", 2 },
		{ 256, "\xc5\x01\x00", 3 }, { 65535, "\xc5\xff\xff", 3 },
		{ 65536, "\xc6\x00\x01\x00\x00", 5 },
	};
	static uint8_t body[65536], buf[65536 + 64];
	uint8_t *copy;
	int n;

	(void)state;
	memset(body, 'b', sizeof(body));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = fed_encode_rep(buf, sizeof(buf), 1, body, cases[i].n);
		/* 83 a1 t a3 rep a2 id 01 a4 body: 16 bytes, then the bin */
		assert_int_equal(n, 16 + cases[i].hlen + cases[i].n);
		assert_memory_equal(buf + 16, cases[i].hdr, cases[i].hlen);
		copy = tw_decode_ok(buf, n, &tw_m);
		assert_int_equal(tw_m.body_len, cases[i].n);
		free(copy);
	}
}

/* `t`, `s` and the key set of each message. */
static void
test_shape_errors(void **state)
{
	(void)state;
	tw_start(1);
	tw_kuint("from", 1);
	tw_expect(LD_EMISSING, "t: missing");

	tw_start(1);
	tw_kuint("t", 1);
	tw_expect(LD_ETYPE, "t: expected string, got integer");

	tw_head("pong", 1);
	tw_expect(LD_EUNKNOWN, "t: unknown value 'pong' (expected "
	    "hello|pull|batch|ping|req|rep)");

	tw_head("pull", 2);
	tw_kuint("from", 1);
	tw_expect(LD_EMISSING, "pull.s: missing");

	tw_head("batch", 3);
	tw_kstr("s", "sideways");
	tw_str("events");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_EUNKNOWN, "batch.s: unknown value 'sideways' (expected "
	    "up|down)");

	tw_head("ping", 2);
	tw_kuint("from", 1);
	tw_expect(LD_EUNKNOWN, "ping.from: not a key of ping");

	tw_head("ping", 2);
	tw_kstr("s", "up");
	tw_expect(LD_EUNKNOWN, "ping.s: not a key of ping");

	tw_head("pull", 4);
	tw_kstr("s", "up");
	tw_kuint("from", 1);
	tw_str("have");
	codec_mp_put_map(&tw_w, 0);
	tw_expect(LD_EUNKNOWN, "pull.from: not a key of pull up");

	tw_head("hello", 2);
	tw_kuint("v", 1);
	tw_expect(LD_EMISSING, "hello.node: missing (required by hello)");

	tw_head("pull", 2);
	tw_kstr("s", "down");
	tw_expect(LD_EMISSING, "pull.from: missing (required by pull down)");

	tw_head("batch", 4);
	tw_kstr("s", "down");
	tw_kuint("from", 1);
	tw_str("events");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_EMISSING, "batch.to: missing (required by batch down)");

	tw_head("batch", 3);
	tw_kstr("s", "up");
	tw_kuint("left", 0);
	tw_expect(LD_EMISSING, "batch.events: missing (required by batch up)");

	tw_head("batch", 3);
	tw_kstr("s", "up");
	tw_str("events");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_EMISSING, "batch.left: missing (required by batch up)");

	tw_head("batch", 5);
	tw_kstr("s", "down");
	tw_kuint("from", 1);
	tw_kuint("to", 1);
	tw_str("events");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_EMISSING, "batch.left: missing (required by batch down)");

	tw_head("pull", 4);
	tw_kstr("s", "down");
	tw_kuint("from", 1);
	tw_kuint("left", 0);
	tw_expect(LD_EUNKNOWN, "pull.left: not a key of pull down");

	tw_head("req", 3);
	tw_kuint("id", 1);
	tw_kstr("actor", "op:x");
	tw_expect(LD_EMISSING, "req.body: missing (required by req)");

	tw_head("rep", 3);
	tw_kuint("id", 1);
	tw_kstr("actor", "op:x");
	tw_expect(LD_EUNKNOWN, "rep.actor: not a key of rep");
}

/* A hello with v and node as given. */
static void
tw_hello(uint64_t v, const char *node)
{
	tw_head("hello", 3);
	tw_kuint("v", v);
	tw_kstr("node", node);
}

static void
test_hello_errors(void **state)
{
	(void)state;
	tw_hello(2, "XA");
	tw_expect(LD_EUNKNOWN, "hello.v: unsupported federation version 2 "
	    "(expected 1)");

	tw_head("hello", 3);
	tw_str("v");
	codec_mp_put_hdr(&tw_w, 0xff, 0, 0);	/* -1 */
	tw_kstr("node", "XA");
	tw_expect(LD_EUNKNOWN, "hello.v: unsupported federation version -1 "
	    "(expected 1)");

	tw_head("hello", 3);
	tw_kstr("v", "1");
	tw_kstr("node", "XA");
	tw_expect(LD_ETYPE, "hello.v: expected integer, got string");

	tw_hello(1, "xa");
	tw_expect(LD_EINVAL, "hello.node: 'xa' is not a node id");

	tw_hello(1, "");
	tw_expect(LD_EINVAL, "hello.node: '' is not a node id");

	tw_hello(1, "ABCDEFGHI");
	tw_expect(LD_ELIMIT, "hello.node: string of 9 bytes exceeds limit 8");

	tw_hello(1, "X\xff");
	tw_expect(LD_EUTF8, "hello.node: invalid UTF-8 at byte 1");

	tw_head("hello", 3);
	tw_kuint("v", 1);
	tw_kuint("node", 7);
	tw_expect(LD_ETYPE, "hello.node: expected string, got integer");
}

/* A pull up whose have map has n entries (written by the caller). */
static void
tw_pull_up(size_t n)
{
	tw_head("pull", 3);
	tw_kstr("s", "up");
	tw_str("have");
	codec_mp_put_map(&tw_w, n);
}

static void
test_pull_errors(void **state)
{
	(void)state;
	tw_head("pull", 3);
	tw_kstr("s", "up");
	tw_str("have");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_ETYPE, "pull.have: expected map, got array");

	tw_pull_up(2);
	tw_kuint("XA", 1);
	tw_kuint("x1", 1);
	tw_expect(LD_EINVAL, "pull.have[1]: 'x1' is not a node id");

	tw_pull_up(3);
	tw_kuint("XA", 1);
	tw_kuint("LY", 1);
	tw_kuint("XA", 2);
	tw_expect(LD_EMALFORMED, "pull.have[2]: duplicate origin 'XA'");

	tw_pull_up(1);
	tw_str("XA");
	codec_mp_put_hdr(&tw_w, 0xd0, 0xff, 1);	/* int 8: -1 */
	tw_expect(LD_ELIMIT, "pull.have[0]: -1 is negative");

	tw_pull_up(1);
	tw_kstr("XA", "7");
	tw_expect(LD_ETYPE, "pull.have[0]: expected integer, got string");

	tw_pull_up(1);
	codec_mp_put_uint(&tw_w, 1);
	codec_mp_put_uint(&tw_w, 1);
	tw_expect(LD_ETYPE, "pull.have[0]: expected string, got integer");

	tw_head("pull", 3);
	tw_kstr("s", "down");
	tw_str("from");
	codec_mp_put_hdr(&tw_w, 0xfb, 0, 0);	/* -5 */
	tw_expect(LD_ELIMIT, "pull.from: -5 is negative");

	tw_head("pull", 3);
	tw_kstr("s", "down");
	tw_str("from");
	tw_byte(0xc0);
	tw_expect(LD_ETYPE, "pull.from: expected integer, got nil");
}

/* A batch down from..to whose events array has n entries. */
static void
tw_batch_down(uint64_t from, uint64_t to, size_t n)
{
	tw_head("batch", 6);
	tw_kstr("s", "down");
	tw_kuint("from", from);
	tw_kuint("to", to);
	tw_kuint("left", 0);
	tw_str("events");
	codec_mp_put_array(&tw_w, n);
}

static void
test_batch_errors(void **state)
{
	(void)state;
	tw_batch_down(5, 4, 0);
	tw_expect(LD_EINVAL, "batch.to: 4 is before from 5");

	tw_head("batch", 4);
	tw_kstr("s", "up");
	tw_kuint("left", 0);
	tw_str("events");
	codec_mp_put_map(&tw_w, 0);
	tw_expect(LD_ETYPE, "batch.events: expected array, got map");

	/* `left` is a uint like the others, read before `events` */
	tw_head("batch", 4);
	tw_kstr("s", "up");
	tw_kstr("left", "3");
	tw_str("events");
	codec_mp_put_map(&tw_w, 0);
	tw_expect(LD_ETYPE, "batch.left: expected integer, got string");

	tw_head("batch", 6);
	tw_kstr("s", "down");
	tw_kuint("from", 1);
	tw_kuint("to", 2);
	tw_str("left");
	codec_mp_put_hdr(&tw_w, 0xff, 0, 0);	/* -1 */
	tw_str("events");
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_ELIMIT, "batch.left: -1 is negative");

	tw_batch_down(1, 2, 4);
	tw_bin(1);
	tw_bin(2);
	tw_bin(3);
	tw_str("x");
	tw_expect(LD_ETYPE, "batch.events[3]: expected binary, got string");

	tw_batch_down(1, 2, 1);
	tw_bin(0);
	tw_expect(LD_ELIMIT, "batch.events[0]: 0 bytes, expected 1..16384");

	tw_batch_down(1, 2, 2);
	tw_bin(LD_FRAME_MAX);
	tw_bin(LD_FRAME_MAX + 1);
	tw_expect(LD_ELIMIT, "batch.events[1]: 16385 bytes, expected "
	    "1..16384");

	/* an event is never decoded here, but must be one value */
	tw_batch_down(1, 2, 1);
	codec_mp_put_array(&tw_w, 0);
	tw_expect(LD_ETYPE, "batch.events[0]: expected binary, got array");
}

/* A req with id, actor and a body of n bytes (type t: "req" or "rep"). */
static void
tw_req(const char *t, const char *actor, size_t body)
{
	tw_head(t, actor ? 4 : 3);
	tw_kuint("id", 3);
	if (actor)
		tw_kstr("actor", actor);
	tw_str("body");
	tw_bin(body);
}

static void
test_req_rep_errors(void **state)
{
	static uint8_t big[LD_PROTO_REPLY_MAX + 64];
	char actor[LD_ACTOR_MAX + 2];

	(void)state;
	memset(actor, 'a', sizeof(actor) - 1);
	actor[sizeof(actor) - 1] = '\0';
	tw_req("req", actor, 4);
	tw_expect(LD_ELIMIT, "req.actor: string of 49 bytes exceeds limit 48");
	actor[LD_ACTOR_MAX] = '\0';
	tw_req("req", actor, 4);
	assert_int_equal(fed_decode(tw_buf, tw_w.off, &tw_m, NULL), 0);

	tw_req("req", "o\xc3", 4);
	tw_expect(LD_EUTF8, "req.actor: invalid UTF-8 at byte 1");

	tw_head("req", 4);
	tw_kuint("id", 3);
	tw_str("actor");
	codec_mp_put_str(&tw_w, "op\0x", 4);
	tw_str("body");
	tw_bin(1);
	tw_expect(LD_EUTF8, "req.actor: NUL byte at byte 2");

	tw_head("req", 4);
	tw_kuint("id", 3);
	tw_kstr("actor", "op:x");
	tw_kstr("body", "{}");
	tw_expect(LD_ETYPE, "req.body: expected binary, got string");

	tw_head("req", 4);
	tw_str("id");
	codec_mp_put_hdr(&tw_w, 0xff, 0, 0);
	tw_kstr("actor", "op:x");
	tw_str("body");
	tw_bin(1);
	tw_expect(LD_ELIMIT, "req.id: -1 is negative");

	/* req carries a request (≤ LD_PROTO_FRAME_MAX), rep a reply */
	tw_req("req", "op:x", LD_PROTO_FRAME_MAX);
	assert_int_equal(fed_decode(tw_buf, tw_w.off, &tw_m, NULL), 0);
	tw_req("req", "op:x", LD_PROTO_FRAME_MAX + 1);
	tw_expect(LD_ELIMIT, "req.body: 16385 bytes, expected 0..16384");

	tw_w = (struct codec_mp_wr){ .p = big, .cap = sizeof(big) };
	codec_mp_put_map(&tw_w, 3);
	tw_kstr("t", "rep");
	tw_kuint("id", 3);
	tw_str("body");
	codec_mp_put_hdr(&tw_w, 0xc6, LD_PROTO_REPLY_MAX + 1, 4);
	tw_w.off += LD_PROTO_REPLY_MAX + 1;
	assert_true(tw_w.off <= tw_w.cap);
	tw_expect_frame(big, tw_w.off, LD_ELIMIT, "rep.body: 1048577 bytes, "
	    "expected 0..1048576");
	tw_expect_frame(big, tw_w.off - 1, LD_EMALFORMED, "body: truncated at "
	    "byte 21");
	big[tw_w.off - LD_PROTO_REPLY_MAX - 2] -= 1;	/* 1048576 bytes */
	tw_expect_frame(big, tw_w.off - 1, 0, "");
}

/* Every prefix of every sample frame is refused as truncated. */
static void
test_truncations(void **state)
{
	static uint8_t frame[4096];
	struct ld_err err;

	(void)state;
	for (int which = 0; which < TW__COUNT; which++) {
		int n = tw_encode(which, frame, sizeof(frame));

		assert_true(n > 0);
		for (int cut = 0; cut < n; cut++) {
			uint8_t *copy = tw_exact(frame, (size_t)cut);
			int rc = fed_decode(copy, (size_t)cut, &tw_m, &err);

			free(copy);
			if (rc != LD_EMALFORMED || err.code != rc ||
			    strstr(err.msg, ": truncated at byte ") == NULL)
				fail_msg("sample %d cut at %d: %d '%s'", which,
				    cut, rc, err.msg);
		}
	}
}

/* ---- limits ------------------------------------------------------------ */

static void
test_batch_limits(void **state)
{
	static uint8_t frame[32768];
	uint8_t *copy;
	size_t len;
	int n;

	(void)state;
	n = tw_batch(frame, sizeof(frame), FED_UP, 0, 0, 1, FED_BATCH_MAX);
	copy = tw_decode_ok(frame, n, &tw_m);
	assert_int_equal(tw_m.n_ev, FED_BATCH_MAX);
	for (size_t i = 0; i < FED_BATCH_MAX; i++) {
		const uint8_t *ev = tw_event(i, &len);

		assert_int_equal(tw_m.ev_len[i], len);
		assert_memory_equal(tw_m.ev[i], ev, len);
	}
	tw_assert_inside(&tw_m, copy, (size_t)n);
	free(copy);
	/* one over: the writer refuses, and a hand-made frame is refused */
	assert_int_equal(tw_batch(frame, sizeof(frame), FED_UP, 0, 0, 0,
	    FED_BATCH_MAX + 1), LD_ELIMIT);
	tw_head("batch", 4);
	tw_kstr("s", "up");
	tw_kuint("left", 0);
	tw_str("events");
	codec_mp_put_array(&tw_w, FED_BATCH_MAX + 1);
	for (size_t i = 0; i <= FED_BATCH_MAX; i++)
		tw_bin(1);
	tw_expect(LD_ELIMIT, "batch.events: 1001 events exceed limit 1000");
}

/* FED_BATCH_BYTES of events in a batch, and one event more; a frame over
 * FED_FRAME_MAX is not written. */
static void
test_batch_bytes(void **state)
{
	size_t cap = FED_FRAME_MAX + (1u << 20);
	uint8_t *buf = malloc(cap), *ev = malloc(LD_FRAME_MAX), *copy;
	size_t per = FED_BATCH_BYTES / LD_FRAME_MAX;
	struct fed_batch_wr w;
	struct ld_err err;
	int n;

	(void)state;
	assert_int_equal(per * LD_FRAME_MAX, FED_BATCH_BYTES);
	memset(ev, 'e', LD_FRAME_MAX);
	fed_batch_begin(&w, buf, cap, FED_UP, 0, 0, 0, per);
	for (size_t i = 0; i < per; i++)
		fed_batch_event(&w, ev, LD_FRAME_MAX);
	n = fed_batch_end(&w);
	copy = tw_decode_ok(buf, n, &tw_m);
	assert_int_equal(tw_m.n_ev, per);
	free(copy);

	fed_batch_begin(&w, buf, cap, FED_UP, 0, 0, 0, per + 1);
	for (size_t i = 0; i <= per; i++)
		fed_batch_event(&w, ev, LD_FRAME_MAX);
	n = fed_batch_end(&w);
	assert_true(n > 0);
	assert_int_equal(fed_decode(buf, (size_t)n, &tw_m, &err), LD_ELIMIT);
	assert_string_equal(err.msg, "batch.events[256]: 4210688 bytes of "
	    "events in all exceed limit 4194304");

	/* 520 events of 16 KiB: more than a frame may hold */
	fed_batch_begin(&w, buf, cap, FED_UP, 0, 0, 0, 520);
	for (size_t i = 0; i < 520; i++)
		fed_batch_event(&w, ev, LD_FRAME_MAX);
	assert_true(w.off > FED_FRAME_MAX && w.off <= cap);
	assert_int_equal(fed_batch_end(&w), LD_ELIMIT);
	free(ev);
	free(buf);
}

static void
test_have_limits(void **state)
{
	static struct fed_have have[FED_ORIGINS_MAX + 1];
	uint8_t frame[2048];
	uint8_t *copy;
	int n;

	(void)state;
	for (size_t i = 0; i <= FED_ORIGINS_MAX; i++) {
		snprintf(have[i].origin, sizeof(have[i].origin), "N%zu", i);
		have[i].seq = (uint64_t)i << 40;
	}
	n = fed_encode_pull_up(frame, sizeof(frame), have, FED_ORIGINS_MAX);
	copy = tw_decode_ok(frame, n, &tw_m);
	assert_int_equal(tw_m.n_have, FED_ORIGINS_MAX);
	assert_string_equal(tw_m.have[63].origin, "N63");
	assert_int_equal(tw_m.have[63].seq, 63ull << 40);
	free(copy);
	assert_int_equal(fed_encode_pull_up(frame, sizeof(frame), have,
	    FED_ORIGINS_MAX + 1), LD_ELIMIT);
	tw_pull_up(FED_ORIGINS_MAX + 1);
	for (size_t i = 0; i <= FED_ORIGINS_MAX; i++)
		tw_kuint(have[i].origin, have[i].seq);
	tw_expect(LD_ELIMIT, "pull.have: 65 origins exceed limit 64");
	/* an empty have: the parent holds nothing yet */
	n = fed_encode_pull_up(frame, sizeof(frame), NULL, 0);
	copy = tw_decode_ok(frame, n, &tw_m);
	assert_int_equal(tw_m.n_have, 0);
	free(copy);
}

/* ---- writers ----------------------------------------------------------- */

/* Every writer, given every cap below the frame's length, says LD_ELIMIT
 * and writes nothing past cap (a canary after it, and ASan); given the
 * exact length, writes the frame. */
static void
test_writer_cap(void **state)
{
	static uint8_t full[4096];
	enum { CANARY = 32 };

	(void)state;
	for (int which = 0; which < TW__COUNT; which++) {
		int n = tw_encode(which, full, sizeof(full));

		assert_true(n > 0 && (size_t)n < sizeof(full));
		assert_int_equal(tw_encode(which, NULL, 0), LD_ELIMIT);
		for (int cap = 0; cap <= n; cap++) {
			uint8_t *buf = malloc((size_t)cap + CANARY);
			int rc;

			memset(buf, 0xa5, (size_t)cap + CANARY);
			rc = tw_encode(which, buf, (size_t)cap);
			if (rc != (cap < n ? LD_ELIMIT : n))
				fail_msg("sample %d, cap %d of %d: %d", which,
				    cap, n, rc);
			for (int i = cap; i < cap + CANARY; i++)
				if (buf[i] != 0xa5)
					fail_msg("sample %d, cap %d: byte %d "
					    "written", which, cap, i);
			if (cap == n)
				assert_memory_equal(buf, full, (size_t)n);
			free(buf);
		}
	}
}

/* The writers refuse what the decoder would refuse. */
static void
test_writer_refuses(void **state)
{
	static uint8_t buf[LD_PROTO_REPLY_MAX + 64];
	static uint8_t body[LD_PROTO_REPLY_MAX + 1];
	struct fed_have dup[2] = { { "XA", 1 }, { "XA", 2 } };
	struct fed_have bad[1];
	char actor[LD_ACTOR_MAX + 2];
	struct fed_batch_wr w;
	const uint8_t one = 1;

	(void)state;
	assert_int_equal(fed_encode_hello(buf, sizeof(buf), "xa"), LD_EINVAL);
	assert_int_equal(fed_encode_hello(buf, sizeof(buf), "ABCDEFGHI"),
	    LD_EINVAL);
	assert_int_equal(fed_encode_hello(buf, sizeof(buf), NULL), LD_EINVAL);
	assert_int_equal(fed_encode_pull_up(buf, sizeof(buf), dup, 2),
	    LD_EINVAL);
	memset(bad[0].origin, 'A', sizeof(bad[0].origin));	/* no NUL */
	assert_int_equal(fed_encode_pull_up(buf, sizeof(buf), bad, 1),
	    LD_EINVAL);
	assert_int_equal(fed_encode_pull_up(buf, sizeof(buf), NULL, 1),
	    LD_EINVAL);

	memset(actor, 'a', sizeof(actor) - 1);
	actor[sizeof(actor) - 1] = '\0';
	assert_int_equal(fed_encode_req(buf, sizeof(buf), 1, actor, &one, 1),
	    LD_ELIMIT);
	assert_int_equal(fed_encode_req(buf, sizeof(buf), 1, "a\xff", &one, 1),
	    LD_EINVAL);
	assert_int_equal(fed_encode_req(buf, sizeof(buf), 1, NULL, &one, 1),
	    LD_EINVAL);
	assert_int_equal(fed_encode_req(buf, sizeof(buf), 1, "a", NULL, 1),
	    LD_EINVAL);
	assert_int_equal(fed_encode_req(buf, sizeof(buf), 1, "a", body,
	    LD_PROTO_FRAME_MAX + 1), LD_ELIMIT);
	assert_true(fed_encode_rep(buf, sizeof(buf), 1, body,
	    LD_PROTO_FRAME_MAX + 1) > 0);
	assert_int_equal(fed_encode_rep(buf, sizeof(buf), 1, body,
	    LD_PROTO_REPLY_MAX + 1), LD_ELIMIT);

	fed_batch_begin(&w, buf, sizeof(buf), FED_DOWN, 5, 4, 0, 0);
	assert_int_equal(fed_batch_end(&w), LD_ELIMIT);
	fed_batch_begin(&w, buf, sizeof(buf), (enum fed_stream)0, 0, 0, 0, 0);
	assert_int_equal(fed_batch_end(&w), LD_ELIMIT);
	fed_batch_begin(&w, buf, sizeof(buf), FED_UP, 0, 0, 0, 1);
	fed_batch_event(&w, &one, 0);
	assert_int_equal(fed_batch_end(&w), LD_ELIMIT);
	fed_batch_begin(&w, buf, sizeof(buf), FED_UP, 0, 0, 0, 1);
	fed_batch_event(&w, body, LD_FRAME_MAX + 1);
	assert_int_equal(fed_batch_end(&w), LD_ELIMIT);
	fed_batch_begin(&w, buf, sizeof(buf), FED_UP, 0, 0, 0, 1);
	fed_batch_event(&w, body, LD_FRAME_MAX);
	assert_true(fed_batch_end(&w) > LD_FRAME_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_hello_ping),
		cmocka_unit_test(test_roundtrip_pull),
		cmocka_unit_test(test_roundtrip_batch),
		cmocka_unit_test(test_roundtrip_req_rep),
		cmocka_unit_test(test_any_order_any_encoding),
		cmocka_unit_test(test_example_pull_down),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_skip_every_type),
		cmocka_unit_test(test_bin_headers),
		cmocka_unit_test(test_shape_errors),
		cmocka_unit_test(test_hello_errors),
		cmocka_unit_test(test_pull_errors),
		cmocka_unit_test(test_batch_errors),
		cmocka_unit_test(test_req_rep_errors),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_batch_limits),
		cmocka_unit_test(test_batch_bytes),
		cmocka_unit_test(test_have_limits),
		cmocka_unit_test(test_writer_cap),
		cmocka_unit_test(test_writer_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
