/*
 * test_codec_json.c - msgpack to JSON (shared/codec_json.c): every type,
 * RFC 8259 escaping, UTF-8 passed through, nesting and its limit, and
 * every kind of input it must refuse, with nothing written then.
 */
#include "testutil.h"

#include "codec_json.h"
#include "codec_mp.h"

#include <inttypes.h>

#define BUF_MAX 4096

/* What codec_json_write made of buf[0..len): rc, and the text in out
 * (cap bytes). */
static int
to_json(const uint8_t *buf, size_t len, char *out, size_t cap,
    struct ld_err *err)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	int rc;

	assert_non_null(f);
	rc = codec_json_write(f, buf, len, err);
	assert_int_equal(fclose(f), 0);
	assert_true(n < cap);
	memcpy(out, text, n + 1);
	free(text);
	return rc;
}

/* buf must give exactly want. */
static void
json_is(const uint8_t *buf, size_t len, const char *want)
{
	struct ld_err err = { 0, "" };
	char out[BUF_MAX];

	assert_int_equal(to_json(buf, len, out, sizeof(out), &err), 0);
	assert_string_equal(out, want);
}

#define JSON_IS(want, ...) do {						\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	json_is(b_, sizeof(b_), (want));				\
} while (0)

/* buf must be refused with LD_EMALFORMED, a message containing what, and
 * nothing written. */
static void
refused(const uint8_t *buf, size_t len, const char *what)
{
	struct ld_err err = { 0, "" };
	char out[BUF_MAX];

	assert_int_equal(to_json(buf, len, out, sizeof(out), &err),
	    LD_EMALFORMED);
	assert_int_equal(err.code, LD_EMALFORMED);
	if (strstr(err.msg, what) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, what);
	assert_string_equal(out, "");
}

#define REFUSED(what, ...) do {						\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	refused(b_, sizeof(b_), (what));				\
} while (0)

/* A msgpack string of the n bytes at s, into w. */
static void
put_str(struct codec_mp_wr *w, const char *s, size_t n)
{
	codec_mp_put_str(w, s, n);
}

/* ---- each type ----------------------------------------------------------- */

static void
test_scalars(void **state)
{
	(void)state;
	JSON_IS("null", 0xc0);
	JSON_IS("true", 0xc3);
	JSON_IS("false", 0xc2);
	JSON_IS("0", 0x00);
	JSON_IS("127", 0x7f);
	JSON_IS("128", 0xcc, 0x80);
	JSON_IS("65535", 0xcd, 0xff, 0xff);
	JSON_IS("4294967296", 0xcf, 0, 0, 0, 1, 0, 0, 0, 0);
	JSON_IS("18446744073709551615", 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff);
	JSON_IS("-1", 0xff);
	JSON_IS("-32", 0xe0);
	JSON_IS("-33", 0xd0, 0xdf);
	JSON_IS("-1006", 0xd1, 0xfc, 0x12);
	JSON_IS("-9223372036854775808", 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0);
	/* a signed encoding of a non-negative value is an integer too */
	JSON_IS("5", 0xd0, 0x05);
	JSON_IS("\"\"", 0xa0);
	JSON_IS("\"ok\"", 0xa2, 'o', 'k');
	JSON_IS("\"ok\"", 0xd9, 0x02, 'o', 'k');	/* str 8, not shortest */
	JSON_IS("\"ok\"", 0xda, 0x00, 0x02, 'o', 'k');
}

static void
test_containers(void **state)
{
	(void)state;
	JSON_IS("[]", 0x90);
	JSON_IS("{}", 0x80);
	JSON_IS("[1,2,3]", 0x93, 1, 2, 3);
	JSON_IS("[null,true,\"a\"]", 0x93, 0xc0, 0xc3, 0xa1, 'a');
	JSON_IS("{\"a\":1}", 0x81, 0xa1, 'a', 1);
	JSON_IS("{\"a\":1,\"b\":[]}", 0x82, 0xa1, 'a', 1, 0xa1, 'b', 0x90);
	JSON_IS("[[],[[]],{}]", 0x93, 0x90, 0x91, 0x90, 0x80);
	JSON_IS("{\"a\":{\"b\":{\"c\":null}}}", 0x81, 0xa1, 'a', 0x81, 0xa1,
	    'b', 0x81, 0xa1, 'c', 0xc0);
	/* array 16 and map 16 headers */
	JSON_IS("[7]", 0xdc, 0x00, 0x01, 7);
	JSON_IS("{\"k\":false}", 0xde, 0x00, 0x01, 0xa1, 'k', 0xc2);
	/* an empty key is a string like any other */
	JSON_IS("{\"\":0}", 0x81, 0xa0, 0);
}

/* A reply's result as the node writes it: a ticket view in a map. */
static void
test_result_shape(void **state)
{
	uint8_t buf[BUF_MAX];
	struct codec_mp_wr w = { buf, sizeof(buf), 0 };
	const char *place = "王城大道与关林路交叉口西北50米";

	(void)state;
	codec_mp_put_map(&w, 1);
	put_str(&w, "ticket", 6);
	codec_mp_put_map(&w, 4);
	put_str(&w, "id", 2);
	put_str(&w, "LY-2011-000001", 14);
	put_str(&w, "place", 5);
	put_str(&w, place, strlen(place));
	put_str(&w, "signed", 6);
	codec_mp_put_hdr(&w, 0xc0, 0, 0);
	put_str(&w, "work_orders", 11);
	codec_mp_put_array(&w, 1);
	codec_mp_put_map(&w, 2);
	put_str(&w, "wo", 2);
	codec_mp_put_uint(&w, 1);
	put_str(&w, "due_sign", 8);
	codec_mp_put_uint(&w, UINT64_C(1321410600000));
	assert_true(w.off <= w.cap);
	json_is(buf, w.off, "{\"ticket\":{\"id\":\"LY-2011-000001\","
	    "\"place\":\"王城大道与关林路交叉口西北50米\",\"signed\":null,"
	    "\"work_orders\":[{\"wo\":1,\"due_sign\":1321410600000}]}}");
}

/* ---- strings ------------------------------------------------------------- */

static void
test_escaping(void **state)
{
	(void)state;
	JSON_IS("\"a\\\"b\"", 0xa3, 'a', '"', 'b');
	JSON_IS("\"a\\\\b\"", 0xa3, 'a', '\\', 'b');
	JSON_IS("\"\\b\\f\\n\\r\\t\"", 0xa5, '\b', '\f', '\n', '\r', '\t');
	JSON_IS("\"\\u0001\\u001f\\u000b\"", 0xa3, 0x01, 0x1f, 0x0b);
	/* NUL: JSON can say it */
	JSON_IS("\"a\\u0000b\"", 0xa3, 'a', 0x00, 'b');
	/* '/' and DEL need no escape in JSON */
	JSON_IS("\"/\x7f\"", 0xa2, '/', 0x7f);
	/* escapes at either end, and one after another */
	JSON_IS("\"\\n\\n\"", 0xa2, '\n', '\n');
	/* in keys as in values */
	JSON_IS("{\"\\\"k\\n\":\"\\t\"}", 0x81, 0xa3, '"', 'k', '\n', 0xa1,
	    '\t');
}

static void
test_utf8_passed_through(void **state)
{
	const char *zh = "井盖丢失，有行人险些掉入";
	const char *emoji = "\xf0\x9f\x9a\xa8 U+1F6A8";	/* 4 bytes */
	const char *edge = "\xf4\x8f\xbf\xbf\xed\x9f\xbf";	/* U+10FFFF U+D7FF */
	const char *texts[] = { zh, emoji, edge };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		uint8_t buf[256];
		struct codec_mp_wr w = { buf, sizeof(buf), 0 };
		char want[256];

		put_str(&w, texts[i], strlen(texts[i]));
		snprintf(want, sizeof(want), "\"%s\"", texts[i]);
		json_is(buf, w.off, want);
	}
}

static void
test_write_str(void **state)
{
	struct ld_err err = { 0, "" };
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	(void)state;
	assert_non_null(f);
	assert_int_equal(codec_json_write_str(f, "EREFUSED \"x\"\n", 13,
	    &err), 0);
	assert_int_equal(codec_json_write_str(f, "\xc0\xaf", 2, &err),
	    LD_EMALFORMED);
	assert_int_equal(codec_json_write_str(f, "", 0, &err), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, "\"EREFUSED \\\"x\\\"\\n\"\"\"");
	free(text);
}

/* ---- nesting --------------------------------------------------------------- */

/* depth arrays one in another, the innermost empty. */
static size_t
nest(uint8_t *buf, int depth)
{
	for (int i = 0; i < depth; i++)
		buf[i] = i + 1 < depth ? 0x91 : 0x90;
	return (size_t)depth;
}

static void
test_nesting_limit(void **state)
{
	uint8_t buf[64];
	char want[128] = "";
	size_t n;

	(void)state;
	n = nest(buf, CODEC_JSON_DEPTH_MAX);
	for (int i = 0; i < CODEC_JSON_DEPTH_MAX; i++)
		strcat(want, "[");
	for (int i = 0; i < CODEC_JSON_DEPTH_MAX; i++)
		strcat(want, "]");
	json_is(buf, n, want);
	n = nest(buf, CODEC_JSON_DEPTH_MAX + 1);
	refused(buf, n, "nesting deeper than 16");
	/* maps count as arrays do */
	for (int i = 0; i <= CODEC_JSON_DEPTH_MAX; i++) {
		buf[3 * i] = 0x81;
		buf[3 * i + 1] = 0xa1;
		buf[3 * i + 2] = 'k';
	}
	buf[3 * (CODEC_JSON_DEPTH_MAX + 1)] = 0xc0;
	refused(buf, 3 * (CODEC_JSON_DEPTH_MAX + 1) + 1, "nesting deeper");
}

/* ---- refused --------------------------------------------------------------- */

static void
test_refused_types(void **state)
{
	(void)state;
	REFUSED("got float", 0xca, 0, 0, 0, 0);
	REFUSED("got float", 0xcb, 0, 0, 0, 0, 0, 0, 0, 0);
	REFUSED("got binary", 0xc4, 0x01, 'x');
	REFUSED("got extension", 0xd4, 0x01, 0x00);
	REFUSED("got extension", 0xc7, 0x01, 0x05, 'x');
	/* inside containers too, with the offset */
	REFUSED("byte 2: expected nil", 0x92, 0x01, 0xca, 0, 0, 0, 0);
	REFUSED("invalid msgpack byte 0xc1", 0x91, 0xc1);
}

static void
test_refused_keys(void **state)
{
	(void)state;
	REFUSED("byte 1: expected a string as map key, got integer", 0x81,
	    0x01, 0x02);
	REFUSED("got nil", 0x81, 0xc0, 0x02);
	REFUSED("got array", 0x81, 0x90, 0x02);
	/* the second key */
	REFUSED("byte 4:", 0x82, 0xa1, 'a', 0x01, 0xc3, 0x01);
}

static void
test_refused_utf8(void **state)
{
	(void)state;
	REFUSED("invalid UTF-8", 0xa2, 0xc0, 0xaf);	/* overlong '/' */
	REFUSED("invalid UTF-8", 0xa3, 0xed, 0xa0, 0x80);	/* surrogate */
	REFUSED("invalid UTF-8", 0xa1, 0x80);	/* lone continuation */
	REFUSED("invalid UTF-8", 0xa2, 0xe4, 0xba);	/* cut short */
	REFUSED("invalid UTF-8", 0xa4, 0xf4, 0x90, 0x80, 0x80); /* > 10FFFF */
	REFUSED("invalid UTF-8", 0xa1, 0xff);
	/* after a NUL too, and in a key */
	REFUSED("invalid UTF-8", 0xa3, 'a', 0x00, 0xff);
	REFUSED("invalid UTF-8", 0x81, 0xa1, 0xfe, 0x01);
}

static void
test_refused_truncated(void **state)
{
	(void)state;
	refused(NULL, 0, "truncated");
	REFUSED("truncated", 0xa3, 'a', 'b');
	REFUSED("truncated", 0xd9);
	REFUSED("truncated", 0xcd, 0x01);
	REFUSED("truncated", 0x92, 0x01);
	REFUSED("truncated", 0x81, 0xa1, 'a');	/* a key without value */
	REFUSED("entries truncated", 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01);
	REFUSED("entries truncated", 0xdf, 0x7f, 0xff, 0xff, 0xff);
	REFUSED("trailing", 0xc0, 0xc0);
	REFUSED("byte 2: 3 trailing bytes", 0x91, 0x01, 0x02, 0x03, 0x04);
}

static void
test_bad_arguments(void **state)
{
	struct ld_err err = { 0, "" };
	const uint8_t one = 0x01;
	FILE *ro = fopen("/dev/null", "r");

	(void)state;
	assert_int_equal(codec_json_write(NULL, &one, 1, &err), LD_EINVAL);
	assert_int_equal(codec_json_write(stdout, NULL, 1, &err), LD_EINVAL);
	assert_int_equal(codec_json_write_str(NULL, "x", 1, &err), LD_EINVAL);
	/* a stream that cannot be written */
	assert_non_null(ro);
	assert_int_equal(codec_json_write(ro, &one, 1, &err), LD_EIO);
	assert_int_equal(codec_json_write_str(ro, "x", 1, &err), LD_EIO);
	fclose(ro);
	/* err may be NULL */
	assert_int_equal(codec_json_write(stdout, NULL, 0, NULL),
	    LD_EMALFORMED);
}

/* Random and mutated bytes: 0 or LD_EMALFORMED, never a crash, and on
 * an error nothing written (ASan and UBSan watch the rest). */
static void
test_random_input(void **state)
{
	static const uint8_t seed[] = { 0x82, 0xa2, 'i', 'd', 0xcd, 0x01,
		0x02, 0xa5, 'u', 'n', 'i', 't', 's', 0x92, 0xa3, 0xe4, 0xba,
		0x95, 0x81, 0xa1, 'k', 0xc0 };
	uint32_t x = 2463534242u;
	uint8_t buf[64];
	char out[BUF_MAX];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		struct ld_err err = { 0, "" };
		size_t len = sizeof(seed);
		int rc;

		memcpy(buf, seed, sizeof(seed));
		for (int k = 0; k < 1 + round % 4; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % sizeof(seed)] = (uint8_t)(x >> 8);
		}
		if (round % 3 == 0)
			len = (x >> 16) % (sizeof(seed) + 1);
		rc = to_json(buf, len, out, sizeof(out), &err);
		assert_true(rc == 0 || rc == LD_EMALFORMED);
		if (rc != 0)
			assert_string_equal(out, "");
		else
			assert_true(out[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_result_shape),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8_passed_through),
		cmocka_unit_test(test_write_str),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_refused_types),
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_refused_utf8),
		cmocka_unit_test(test_refused_truncated),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
