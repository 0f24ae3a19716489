/* test_codec.c - the event and ticket view codecs, and utf8_valid. */
#include "testutil.h"

#include <msgpack.h>

#include "codec.h"
#include "utf8.h"

#define PLACE "王城大道与关林路交叉口西北50米，洛阳理工学院附近"
#define T0 1300000000123LL

/* ---- helpers ----------------------------------------------------------- */

/* A sample value for every payload field. */
static void
tc_set_field(struct ld_event *ev, enum ld_field f)
{
	static const char *const strs[LD_F__COUNT] = {
		[LD_F_CALL] = "C-20110315-0001", [LD_F_CALLER] = "王先生",
		[LD_F_PHONE] = "13803791234", [LD_F_PLACE] = PLACE,
		[LD_F_AREA] = "xigong", [LD_F_TEXT] = "井盖丢失",
		[LD_F_CATEGORY] = "municipal.manhole",
		[LD_F_RULE] = "manhole@xigong", [LD_F_UNIT] = "water",
		[LD_F_REASON] = "不属于本单位职责", [LD_F_NOTE] = "已派人前往现场",
		[LD_F_RESULT] = "已补装井盖", [LD_F_NODE] = "LY",
		[LD_F_PLAN] = "flood-2", [LD_F_CHANNEL] = "weibo",
		[LD_F_INCIDENT] = "LY-2011-000042",
	};

	switch (event_fields[f].type) {
	case LD_T_STR:
		assert_int_equal(event_set_str(ev, f, strs[f]), 0);
		break;
	case LD_T_UINT:
		assert_int_equal(event_set_uint(ev, f, f == LD_F_URGENCY ? 2 :
		    f == LD_F_WO ? 3 : 1), 0);
		break;
	case LD_T_ENUM:
		assert_int_equal(event_set_uint(ev, f, event_fields[f].max), 0);
		break;
	case LD_T_TIME:
		assert_int_equal(event_set_time(ev, f, T0 + 3600000 * (f + 1)),
		    0);
		break;
	case LD_T_BOOL:
		assert_int_equal(event_set_bool(ev, f, true), 0);
		break;
	case LD_T_STRARR:
		assert_int_equal(event_add_unit(ev, "water"), 0);
		assert_int_equal(event_add_unit(ev, "power"), 0);
		assert_int_equal(event_add_unit(ev, "traffic"), 0);
		break;
	}
}

/* An event of kind k with every required and optional field. */
static void
tc_event(struct ld_event *ev, enum ld_event_kind k, bool optional)
{
	uint32_t want = event_kinds[k].required |
	    (optional ? event_kinds[k].optional : 0);

	event_init(ev, k, "XA", T0, "op:xa-wang",
	    event_kinds[k].ticket ? "XA-2011-000123" : "");
	ev->seq = 123456;
	for (int f = 0; f < LD_F__COUNT; f++)
		if (want & (1u << f))
			tc_set_field(ev, (enum ld_field)f);
}

static struct ld_event tc_ev, tc_ev2;	/* large: keep off the stack */

/* Decode a malloc'd exact-size copy (so ASan sees any overread) and check
 * the code and, if msg, the exact message. */
static void
tc_expect(const uint8_t *buf, size_t len, int code, const char *msg)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct ld_err err;
	int rc;

	memcpy(copy, buf, len);
	err_clear(&err);
	rc = codec_event_decode(copy, len, &tc_ev2, &err);
	free(copy);
	if (rc != code || (msg != NULL && strcmp(err.msg, msg) != 0))
		fail_msg("want %s '%s', got %s '%s'", err_name(code),
		    msg ? msg : "*", err_name(rc), err.msg);
	if (code != 0)
		assert_int_equal(err.code, code);
}

static msgpack_object
tc_ostr(const char *s)
{
	msgpack_object o;

	o.type = MSGPACK_OBJECT_STR;
	o.via.str.ptr = s;
	o.via.str.size = (uint32_t)strlen(s);
	return o;
}

static msgpack_object
tc_ouint(uint64_t u)
{
	msgpack_object o;

	o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
	o.via.u64 = u;
	return o;
}

static msgpack_object
tc_oint(int64_t i)
{
	msgpack_object o;

	o.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
	o.via.i64 = i;
	return o;
}

static msgpack_object
tc_obool(bool b)
{
	msgpack_object o;

	o.type = MSGPACK_OBJECT_BOOLEAN;
	o.via.boolean = b;
	return o;
}

static msgpack_object
tc_oarr(msgpack_object *items, uint32_t n)
{
	msgpack_object o;

	o.type = MSGPACK_OBJECT_ARRAY;
	o.via.array.ptr = items;
	o.via.array.size = n;
	return o;
}

enum { ED_SET, ED_DEL, ED_DUP };

/*
 * Encode ev, unpack it with msgpack-c, edit one key of the envelope (or of
 * the body if body) and pack it again: the way to make hostile frames that
 * are otherwise valid.  *len gets the length of the malloc'd result.
 */
static uint8_t *
tc_edit(const struct ld_event *ev, bool body, const char *key, int mode,
    msgpack_object val, size_t *len)
{
	static uint8_t frame[LD_FRAME_MAX];
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_object *map;
	msgpack_object_kv *kv;
	size_t off = 0;
	uint32_t m = 0;
	bool found = false;
	uint8_t *out;
	int n;

	n = codec_event_encode(ev, frame, sizeof(frame), NULL);
	assert_true(n > 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, (const char *)frame,
	    (size_t)n, &off), MSGPACK_UNPACK_SUCCESS);
	map = &up.data;
	if (body)
		for (uint32_t i = 0; i < up.data.via.map.size; i++)
			if (up.data.via.map.ptr[i].key.via.str.size == 4 &&
			    memcmp(up.data.via.map.ptr[i].key.via.str.ptr,
			    "body", 4) == 0)
				map = &up.data.via.map.ptr[i].val;
	kv = msgpack_zone_malloc(up.zone, sizeof(*kv) * (map->via.map.size + 2));
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		msgpack_object_kv e = map->via.map.ptr[i];

		if (e.key.via.str.size != strlen(key) ||
		    memcmp(e.key.via.str.ptr, key, strlen(key)) != 0) {
			kv[m++] = e;
			continue;
		}
		found = true;
		if (mode == ED_SET) {
			e.val = val;
			kv[m++] = e;
		} else if (mode == ED_DUP) {
			kv[m++] = e;
			kv[m++] = e;
		}
	}
	if (!found && mode == ED_SET) {
		kv[m].key = tc_ostr(key);
		kv[m++].val = val;
	}
	map->via.map.ptr = kv;
	map->via.map.size = m;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_object(&pk, up.data), 0);
	out = malloc(sb.size);
	memcpy(out, sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&up);
	return out;
}

/* Edit ev as tc_edit does and expect code and msg from the decoder. */
static void
tc_edit_expect(const struct ld_event *ev, bool body, const char *key,
    int mode, msgpack_object val, int code, const char *msg)
{
	size_t len;
	uint8_t *b = tc_edit(ev, body, key, mode, val, &len);

	tc_expect(b, len, code, msg);
	free(b);
}

static void
tc_hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* ---- utf8 -------------------------------------------------------------- */

static void
test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
		size_t bad;
	} cases[] = {
		{ "", 0, true, 0 },
		{ "plain ascii, longer than eight bytes", 36, true, 0 },
		{ PLACE, sizeof(PLACE) - 1, true, 0 },
		{ "井盖丢失", 12, true, 0 },
		{ "\xf0\x9f\x9a\x92 fire", 9, true, 0 },	/* U+1F692 */
		{ "\xf4\x8f\xbf\xbf", 4, true, 0 },		/* U+10FFFF */
		{ "\xef\xbf\xbf", 3, true, 0 },			/* U+FFFF */
		{ "\xed\x9f\xbf", 3, true, 0 },			/* U+D7FF */
		{ "ab\xc0\xaf", 4, false, 2 },			/* overlong '/' */
		{ "abc\xc1\xbf", 5, false, 3 },			/* overlong */
		{ "\xe0\x80\xaf", 3, false, 0 },		/* overlong 3 */
		{ "\xf0\x80\x80\xaf", 4, false, 0 },		/* overlong 4 */
		{ "x\xed\xa0\x80", 4, false, 1 },		/* U+D800 */
		{ "\xed\xbf\xbf", 3, false, 0 },		/* U+DFFF */
		{ "\xf4\x90\x80\x80", 4, false, 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 4, false, 0 },
		{ "井盖\xe4\xb8", 8, false, 6 },		/* truncated */
		{ "\xf0\x9f\x9a", 3, false, 0 },		/* truncated */
		{ "abcdefgh\x80", 9, false, 8 },		/* stray cont. */
		{ "abcdefghij\0k", 12, false, 10 },		/* NUL */
		{ "\0", 1, false, 0 },
		{ "\xe4\x95", 2, false, 0 },
		{ "\xe4\x41\x80", 3, false, 0 },		/* bad cont. */
		{ "\xff", 1, false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t bad = 999;
		bool ok = utf8_valid(cases[i].s, cases[i].len, &bad);

		if (ok != cases[i].ok || (!ok && bad != cases[i].bad))
			fail_msg("case %zu: ok %d bad %zu", i, ok, bad);
	}
	assert_true(utf8_valid("x", 1, NULL));
	assert_false(utf8_valid("\xff", 1, NULL));
}

/* ---- events: round trips ----------------------------------------------- */

static void
test_roundtrip_every_kind(void **state)
{
	static uint8_t b1[LD_FRAME_MAX], b2[LD_FRAME_MAX];
	struct ld_err err;

	(void)state;
	for (int k = 1; k < LD_EV__COUNT; k++) {
		for (int opt = 0; opt < 2; opt++) {
			msgpack_unpacked up;
			size_t off = 0;
			int n1, n2;

			tc_event(&tc_ev, (enum ld_event_kind)k, opt);
			n1 = codec_event_encode(&tc_ev, b1, sizeof(b1), &err);
			if (n1 <= 0)
				fail_msg("%s: %s", event_kinds[k].name, err.msg);
			assert_int_equal(codec_event_check(&tc_ev, &err), 0);
			/* msgpack-c reads it as one map of 8 entries */
			msgpack_unpacked_init(&up);
			assert_int_equal(msgpack_unpack_next(&up,
			    (const char *)b1, (size_t)n1, &off),
			    MSGPACK_UNPACK_SUCCESS);
			assert_int_equal(off, n1);
			assert_int_equal(up.data.type, MSGPACK_OBJECT_MAP);
			assert_int_equal(up.data.via.map.size, 8);
			msgpack_unpacked_destroy(&up);

			assert_int_equal(codec_event_decode(b1, (size_t)n1,
			    &tc_ev2, &err), 0);
			assert_memory_equal(&tc_ev, &tc_ev2, sizeof(tc_ev));
			n2 = codec_event_encode(&tc_ev2, b2, sizeof(b2), &err);
			assert_int_equal(n1, n2);
			assert_memory_equal(b1, b2, (size_t)n1);
		}
	}
	tc_event(&tc_ev, LD_EV_TICKET_CREATED, true);
	assert_int_equal(codec_event_decode(b1, (size_t)codec_event_encode(
	    &tc_ev, b1, sizeof(b1), NULL), &tc_ev2, NULL), 0);
	assert_string_equal(tc_ev2.place, PLACE);
	assert_string_equal(tc_ev2.text, "井盖丢失");
	assert_string_equal(tc_ev2.caller, "王先生");
}

/* The worked example of docs/events.md, byte for byte. */
static void
test_example_frame(void **state)
{
	uint8_t b[256];
	char hex[520];
	int n;

	(void)state;
	event_init(&tc_ev, LD_EV_SIGNED, "XA", 1300000000000LL, "unit:water",
	    "XA-2011-000123");
	tc_ev.seq = 42;
	event_set_uint(&tc_ev, LD_F_WO, 1);
	event_set_str(&tc_ev, LD_F_NOTE, "已签收");
	n = codec_event_encode(&tc_ev, b, sizeof(b), NULL);
	assert_int_equal(n, 109);
	tc_hex(hex, b, (size_t)n);
	assert_string_equal(hex,
	    "88a17601a66f726967696ea25841a373"
	    "65712aa474696d65cf0000012eae09c8"
	    "00a56163746f72aa756e69743a776174"
	    "6572a46b696e64a67369676e6564a674"
	    "69636b6574ae58412d323031312d3030"
	    "30313233a4626f647982a2776f01a46e"
	    "6f7465a9e5b7b2e7adbee694b6");
}

/* Other encoders may order keys differently and pick longer integer
 * forms; the decoder accepts that, the encoder gives the canonical form. */
static void
test_lenient_forms(void **state)
{
	static const uint8_t frame[] = {
		0x88,
		0xa4, 'b', 'o', 'd', 'y', 0x81,
		    0xa2, 'w', 'o', 0xd3, 0, 0, 0, 0, 0, 0, 0, 2,
		0xa6, 't', 'i', 'c', 'k', 'e', 't',
		    0xd9, 3, 'X', 'A', '1',
		0xa4, 'k', 'i', 'n', 'd', 0xa6, 's', 'i', 'g', 'n', 'e', 'd',
		0xa5, 'a', 'c', 't', 'o', 'r', 0xa0,
		0xa4, 't', 'i', 'm', 'e', 0xcf, 0, 0, 0, 0, 0, 0, 0, 5,
		0xa3, 's', 'e', 'q', 0xd0, 0x07,
		0xa6, 'o', 'r', 'i', 'g', 'i', 'n', 0xda, 0, 2, 'L', 'Y',
		0xa1, 'v', 0xcc, 1,
	};
	uint8_t out[256];
	struct ld_err err;
	int n;

	(void)state;
	assert_int_equal(codec_event_decode(frame, sizeof(frame), &tc_ev,
	    &err), 0);
	assert_int_equal(tc_ev.kind, LD_EV_SIGNED);
	assert_int_equal(tc_ev.wo, 2);
	assert_int_equal(tc_ev.seq, 7);
	assert_int_equal(tc_ev.time_ms, 5);
	assert_string_equal(tc_ev.origin, "LY");
	assert_string_equal(tc_ev.ticket, "XA1");
	n = codec_event_encode(&tc_ev, out, sizeof(out), &err);
	assert_true(n > 0 && (size_t)n < sizeof(frame));
	assert_int_equal(out[0], 0x88);
	assert_int_equal(codec_event_decode(out, (size_t)n, &tc_ev2, &err), 0);
	assert_memory_equal(&tc_ev, &tc_ev2, sizeof(tc_ev));
}

/* ---- events: error classes --------------------------------------------- */

static void
test_truncated(void **state)
{
	static uint8_t b[LD_FRAME_MAX];
	int n;

	(void)state;
	tc_event(&tc_ev, LD_EV_TICKET_CREATED, true);
	n = codec_event_encode(&tc_ev, b, sizeof(b), NULL);
	assert_true(n > 0);
	for (int len = 0; len < n; len++)
		tc_expect(b, (size_t)len, LD_EMALFORMED, NULL);
	tc_expect(b, 0, LD_EMALFORMED, "event: truncated at byte 0");
	tc_expect(b, 1, LD_EMALFORMED, "event: truncated at byte 1");
	tc_expect(b, 2, LD_EMALFORMED, "event: truncated at byte 2");
	tc_expect(b, 3, LD_EMALFORMED, "v: truncated at byte 3");
	tc_expect(b, (size_t)n, 0, NULL);
}

static void
test_frame_limits(void **state)
{
	msgpack_object inner[1], outer[1];
	uint8_t *big = calloc(1, LD_FRAME_MAX + 1);
	uint8_t junk[] = { 0x88, 0xc1 };

	(void)state;
	big[0] = 0x88;
	tc_expect(big, LD_FRAME_MAX + 1, LD_ELIMIT,
	    "frame of 16385 bytes exceeds limit 16384");
	free(big);
	tc_expect(junk, sizeof(junk), LD_EMALFORMED,
	    "event: invalid msgpack byte 0xc1 at byte 1");

	tc_event(&tc_ev, LD_EV_ROUTED, false);
	inner[0] = tc_ostr("water");
	outer[0] = tc_oarr(inner, 1);
	tc_edit_expect(&tc_ev, true, "units", ED_SET, tc_oarr(outer, 1),
	    LD_ELIMIT, "body.units[0]: nesting depth 4 exceeds limit 3");
}

static void
test_trailing(void **state)
{
	uint8_t b[300];
	int n;

	(void)state;
	tc_event(&tc_ev, LD_EV_SIGNED, false);
	n = codec_event_encode(&tc_ev, b, sizeof(b) - 3, NULL);
	assert_true(n > 0);
	b[n] = 0xc0;
	tc_expect(b, (size_t)n + 1, LD_EMALFORMED,
	    "1 trailing bytes after the event");
}

static void
test_wrong_types(void **state)
{
	msgpack_object one = tc_ouint(1);

	(void)state;
	tc_event(&tc_ev, LD_EV_TICKET_CREATED, false);
	tc_edit_expect(&tc_ev, true, "phone", ED_SET, tc_ouint(5), LD_ETYPE,
	    "body.phone: expected string, got integer");
	tc_edit_expect(&tc_ev, true, "urgency", ED_SET, tc_ostr("1"), LD_ETYPE,
	    "body.urgency: expected integer, got string");
	tc_edit_expect(&tc_ev, false, "seq", ED_SET, tc_obool(true), LD_ETYPE,
	    "seq: expected integer, got boolean");
	tc_edit_expect(&tc_ev, false, "body", ED_SET, tc_oarr(&one, 1),
	    LD_ETYPE, "body: expected map, got array");
	tc_event(&tc_ev, LD_EV_DISPATCHED, false);
	tc_edit_expect(&tc_ev, true, "due_sign", ED_SET, tc_obool(false),
	    LD_ETYPE, "body.due_sign: expected integer, got boolean");
	tc_event(&tc_ev, LD_EV_CALL_CLASSIFIED, true);
	tc_edit_expect(&tc_ev, true, "valid", ED_SET, tc_ouint(1), LD_ETYPE,
	    "body.valid: expected boolean, got integer");
	tc_edit_expect(&tc_ev, true, "class", ED_SET, tc_ouint(1), LD_ETYPE,
	    "body.class: expected string, got integer");
	tc_event(&tc_ev, LD_EV_ROUTED, false);
	tc_edit_expect(&tc_ev, true, "units", ED_SET, tc_ostr("water"),
	    LD_ETYPE, "body.units: expected array, got string");
	tc_edit_expect(&tc_ev, true, "units", ED_SET, tc_oarr(&one, 1),
	    LD_ETYPE, "body.units[0]: expected string, got integer");
	tc_edit_expect(&tc_ev, false, "actor", ED_SET, tc_oint(-3), LD_ETYPE,
	    "actor: expected string, got integer");
	{
		static const uint8_t arr[] = { 0x91, 0x01 };
		static const uint8_t key[] = { 0x81, 0x01, 0x02 };
		static const uint8_t bkey[] = { 0x81, 0xa4, 'b', 'o', 'd', 'y',
			0x81, 0xc0, 0xc0 };

		tc_expect(arr, sizeof(arr), LD_ETYPE,
		    "event: expected map, got array");
		tc_expect(key, sizeof(key), LD_ETYPE,
		    "event: key must be a string, got integer");
		tc_expect(bkey, sizeof(bkey), LD_ETYPE,
		    "body: key must be a string, got nil");
	}
}

static void
test_missing(void **state)
{
	(void)state;
	tc_event(&tc_ev, LD_EV_SIGNED, true);
	tc_edit_expect(&tc_ev, true, "wo", ED_DEL, tc_ouint(0), LD_EMISSING,
	    "body.wo: missing (required by 'signed')");
	tc_edit_expect(&tc_ev, false, "seq", ED_DEL, tc_ouint(0), LD_EMISSING,
	    "seq: missing");
	tc_edit_expect(&tc_ev, false, "body", ED_DEL, tc_ouint(0), LD_EMISSING,
	    "body: missing");
	tc_event(&tc_ev, LD_EV_CALL_RECEIVED, false);
	tc_edit_expect(&tc_ev, true, "phone", ED_DEL, tc_ouint(0), LD_EMISSING,
	    "body.phone: missing (required by 'call.received')");
}

static void
test_unknown(void **state)
{
	(void)state;
	tc_event(&tc_ev, LD_EV_SIGNED, false);
	tc_edit_expect(&tc_ev, true, "foo", ED_SET, tc_ouint(1), LD_EUNKNOWN,
	    "body.foo: unknown field");
	tc_edit_expect(&tc_ev, false, "prio", ED_SET, tc_ouint(1), LD_EUNKNOWN,
	    "prio: unknown field");
	tc_edit_expect(&tc_ev, true, "unit", ED_SET, tc_ostr("water"),
	    LD_EUNKNOWN, "body.unit: not allowed for 'signed'");
	tc_edit_expect(&tc_ev, false, "kind", ED_SET, tc_ostr("foo"),
	    LD_EUNKNOWN, "kind: unknown event kind 'foo'");
	tc_edit_expect(&tc_ev, false, "kind", ED_SET, tc_ostr("none"),
	    LD_EUNKNOWN, "kind: unknown event kind 'none'");
	tc_edit_expect(&tc_ev, false, "kind", ED_SET, tc_ostr("签收'\n"),
	    LD_EUNKNOWN, "kind: unknown event kind "
	    "'\\xe7\\xad\\xbe\\xe6\\x94\\xb6\\x27\\x0a'");
	tc_edit_expect(&tc_ev, false, "v", ED_SET, tc_ouint(2), LD_EUNKNOWN,
	    "v: unsupported event format 2 (expected 1)");
	tc_event(&tc_ev, LD_EV_CALLBACK, false);
	tc_edit_expect(&tc_ev, true, "method", ED_SET, tc_ostr("fax"),
	    LD_EUNKNOWN, "body.method: unknown value 'fax' "
	    "(expected sms|phone|visit)");
}

static void
test_duplicate(void **state)
{
	(void)state;
	tc_event(&tc_ev, LD_EV_SIGNED, false);
	tc_edit_expect(&tc_ev, true, "wo", ED_DUP, tc_ouint(0), LD_EMALFORMED,
	    "body.wo: duplicate key");
	tc_edit_expect(&tc_ev, false, "kind", ED_DUP, tc_ouint(0),
	    LD_EMALFORMED, "kind: duplicate key");
}

static void
test_limits(void **state)
{
	static msgpack_object many[LD_UNITS_MAX + 1];
	char longid[64];

	(void)state;
	memset(longid, 'u', sizeof(longid));
	longid[LD_ID_MAX + 1] = '\0';
	tc_event(&tc_ev, LD_EV_TICKET_CREATED, false);
	tc_edit_expect(&tc_ev, true, "phone", ED_SET,
	    tc_ostr("0379-6543210-0379-6543210-0379-6543210-00"), LD_ELIMIT,
	    "body.phone: string of 41 bytes exceeds limit 24");
	tc_edit_expect(&tc_ev, true, "urgency", ED_SET, tc_ouint(7), LD_ELIMIT,
	    "body.urgency: 7 out of range 1..5");
	tc_edit_expect(&tc_ev, true, "urgency", ED_SET, tc_ouint(0), LD_ELIMIT,
	    "body.urgency: 0 out of range 1..5");
	tc_edit_expect(&tc_ev, true, "urgency", ED_SET, tc_oint(-1), LD_ELIMIT,
	    "body.urgency: -1 out of range 1..5");
	tc_edit_expect(&tc_ev, false, "time", ED_SET, tc_oint(-5), LD_ELIMIT,
	    "time: -5 is negative");
	tc_edit_expect(&tc_ev, false, "time", ED_SET, tc_ouint(UINT64_MAX),
	    LD_ELIMIT, "time: 18446744073709551615 exceeds limit "
	    "253402300799999 (the end of year 9999)");
	tc_edit_expect(&tc_ev, false, "time", ED_SET,
	    tc_ouint(253402300800000ULL), LD_ELIMIT, "time: 253402300800000 "
	    "exceeds limit 253402300799999 (the end of year 9999)");
	tc_edit_expect(&tc_ev, true, "due_sign", ED_SET,
	    tc_ouint(INT64_MAX), LD_ELIMIT, "body.due_sign: "
	    "9223372036854775807 exceeds limit 253402300799999 (the end of "
	    "year 9999)");
	tc_edit_expect(&tc_ev, false, "seq", ED_SET, tc_oint(-1), LD_ELIMIT,
	    "seq: -1 is negative");
	tc_edit_expect(&tc_ev, false, "ticket", ED_SET,
	    tc_ostr("XA-2011-000000000000000123"), LD_ELIMIT,
	    "ticket: string of 26 bytes exceeds limit 23");
	tc_edit_expect(&tc_ev, false, "origin", ED_SET, tc_ostr("xa"),
	    LD_EINVAL, "origin: 'xa' is not a node id ([A-Z][A-Z0-9]{0,7})");
	tc_event(&tc_ev, LD_EV_ROUTED, false);
	for (int i = 0; i <= LD_UNITS_MAX; i++)
		many[i] = tc_ostr("water");
	tc_edit_expect(&tc_ev, true, "units", ED_SET,
	    tc_oarr(many, LD_UNITS_MAX + 1), LD_ELIMIT,
	    "body.units: 17 entries, expected 1..16");
	tc_edit_expect(&tc_ev, true, "units", ED_SET, tc_oarr(many, 0),
	    LD_ELIMIT, "body.units: 0 entries, expected 1..16");
	tc_edit_expect(&tc_ev, true, "units", ED_SET,
	    tc_oarr(many, LD_UNITS_MAX), 0, NULL);
	many[2] = tc_ostr(longid);
	tc_edit_expect(&tc_ev, true, "units", ED_SET, tc_oarr(many, 3),
	    LD_ELIMIT, "body.units[2]: string of 33 bytes exceeds limit 32");
}

static void
test_ticket_rules(void **state)
{
	(void)state;
	tc_event(&tc_ev, LD_EV_CALL_RECEIVED, false);
	tc_edit_expect(&tc_ev, false, "ticket", ED_SET,
	    tc_ostr("XA-2011-000123"), LD_EUNKNOWN,
	    "ticket: not allowed for 'call.received' (must be empty)");
	tc_event(&tc_ev, LD_EV_SIGNED, false);
	tc_edit_expect(&tc_ev, false, "ticket", ED_SET, tc_ostr(""),
	    LD_EMISSING, "ticket: missing (required by 'signed')");
}

static void
test_bad_utf8(void **state)
{
	(void)state;
	tc_event(&tc_ev, LD_EV_TICKET_CREATED, false);
	tc_edit_expect(&tc_ev, true, "place", ED_SET, tc_ostr("王城X\xff大道"),
	    LD_EUTF8, "body.place: invalid UTF-8 at byte 7");
	tc_edit_expect(&tc_ev, true, "text", ED_SET, tc_ostr("\xed\xa0\x80"),
	    LD_EUTF8, "body.text: invalid UTF-8 at byte 0");
	tc_edit_expect(&tc_ev, false, "actor", ED_SET, tc_ostr("op:\xc0\xaf"),
	    LD_EUTF8, "actor: invalid UTF-8 at byte 3");
	{
		msgpack_object o = tc_ostr("ab");

		o.via.str.ptr = "a\0b";
		o.via.str.size = 3;
		tc_edit_expect(&tc_ev, true, "area", ED_SET, o, LD_EUTF8,
		    "body.area: NUL byte at byte 1");
	}
}

/* The encoder refuses what the decoder would refuse, with the same kind
 * of message, as LD_EINVAL; and respects cap. */
static void
test_encoder_refuses(void **state)
{
	uint8_t b[512];
	struct ld_err err;
	int n;

	(void)state;
	tc_event(&tc_ev, LD_EV_SIGNED, false);
	tc_ev.present &= ~(1u << LD_F_WO);
	assert_int_equal(codec_event_encode(&tc_ev, b, sizeof(b), &err),
	    LD_EINVAL);
	assert_int_equal(err.code, LD_EINVAL);
	assert_string_equal(err.msg, "body.wo: missing (required by 'signed')");

	tc_event(&tc_ev, LD_EV_SIGNED, false);
	event_set_str(&tc_ev, LD_F_UNIT, "water");
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg, "body.unit: not allowed for 'signed'");

	tc_event(&tc_ev, LD_EV_SIGNED, true);
	memcpy(tc_ev.note, "ok\xff", 4);
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg, "body.note: invalid UTF-8 at byte 2");

	tc_event(&tc_ev, LD_EV_SIGNED, false);
	tc_ev.wo = 17;
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg, "body.wo: 17 out of range 1..16");

	tc_event(&tc_ev, LD_EV_CALL_RECEIVED, false);
	strcpy(tc_ev.ticket, "XA-1");
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg,
	    "ticket: not allowed for 'call.received' (must be empty)");

	tc_event(&tc_ev, LD_EV_SIGNED, false);
	strcpy(tc_ev.origin, "x");
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg,
	    "origin: 'x' is not a node id ([A-Z][A-Z0-9]{0,7})");

	tc_event(&tc_ev, LD_EV_SIGNED, false);
	memset(tc_ev.actor, 'a', sizeof(tc_ev.actor));
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg,
	    "actor: string exceeds limit 48 (no NUL within the buffer)");

	tc_event(&tc_ev, LD_EV_NONE, false);
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg, "kind: unknown event kind 0");

	tc_event(&tc_ev, LD_EV_ROUTED, false);
	tc_ev.n_units = 0;
	assert_int_equal(codec_event_check(&tc_ev, &err), LD_EINVAL);
	assert_string_equal(err.msg, "body.units: 0 entries, expected 1..16");

	/* capacity: exact fits, one less does not, NULL asks for the size */
	tc_event(&tc_ev, LD_EV_SIGNED, true);
	n = codec_event_encode(&tc_ev, b, sizeof(b), &err);
	assert_true(n > 0);
	assert_int_equal(codec_event_encode(&tc_ev, b, (size_t)n, &err), n);
	assert_int_equal(codec_event_encode(&tc_ev, b, (size_t)n - 1, &err),
	    LD_ELIMIT);
	assert_int_equal(codec_event_encode(&tc_ev, NULL, 0, &err), LD_ELIMIT);
	assert_non_null(strstr(err.msg, "does not fit in 0"));
}

/* ---- ticket views ------------------------------------------------------ */

static struct ld_ticket tc_t, tc_t2;

static void
tc_ticket(struct ld_ticket *t, int n_wo)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->id, "XA-2011-000123");
	strcpy(t->owner, "XA");
	strcpy(t->transfer_to, "LY");
	t->transfer_dir = LD_DIR_UP;
	t->state = LD_TS_IN_PROGRESS;
	t->reported = 1;
	t->called_back = 1;
	t->closed = 0;
	t->urgency = 2;
	t->satisfaction = LD_SAT_BASIC;
	t->method = LD_METHOD_VISIT;
	t->n_wo = (uint8_t)n_wo;
	t->created_ms = T0;
	t->updated_ms = T0 + 99999;
	t->completed_ms = T0 + 5000;
	t->closed_ms = 0;
	t->events = 70000;
	t->reopens = 2;
	t->callbacks = 300;
	t->transfers = 1;
	t->announcements = 65535;
	strcpy(t->caller, "王先生");
	strcpy(t->phone, "13803791234");
	strcpy(t->place, PLACE);
	strcpy(t->area, "xigong");
	strcpy(t->category, "municipal.manhole");
	strcpy(t->rule, "manhole@xigong");
	strcpy(t->plan, "flood-2");
	memset(t->text, 'x', LD_TEXT_MAX);	/* a full buffer */
	memcpy(t->text, "井盖丢失", 12);
	for (int i = 0; i < n_wo; i++) {
		struct ld_wo *w = &t->wo[i];

		snprintf(w->unit, sizeof(w->unit), "unit-%02d", i);
		w->state = (uint8_t)(1 + i % (LD_WO__COUNT - 1));
		w->replaces = (uint8_t)(i > 0 ? i : 0);
		w->ext_pending = (uint8_t)(i & 1);
		w->dispatched_ms = T0 + i;
		w->due_sign_ms = T0 + 3600000;
		w->due_done_ms = T0 + 86400000;
		w->signed_ms = i * 1000;
		w->completed_ms = i % 3 ? T0 + 7 : 0;
		w->returned_ms = 0;
		w->ext_until_ms = INT64_MAX;
		w->urges = (uint16_t)i;
		w->supervisions = (uint16_t)(i * 300);
		w->extensions = 1;
		w->ext_refusals = 0;
		w->progress_notes = 127;
		w->returns = 128;
		if (i % 4 == 0)
			strcpy(w->settled_unit, "power");
	}
}

static void
test_view_roundtrip(void **state)
{
	static uint8_t b1[LD_VIEW_MAX], b2[LD_VIEW_MAX];
	struct ld_err err;
	int n1, n2;

	(void)state;
	for (int n_wo = 0; n_wo <= LD_WO_MAX; n_wo += 4) {
		tc_ticket(&tc_t, n_wo);
		n1 = codec_ticket_encode(&tc_t, b1, sizeof(b1), &err);
		if (n1 <= 0)
			fail_msg("%d: %s", n_wo, err.msg);
		memset(&tc_t2, 0x5a, sizeof(tc_t2));
		assert_int_equal(codec_ticket_decode(b1, (size_t)n1, &tc_t2,
		    &err), 0);
		/* the state alone leaves the details empty */
		assert_string_equal(tc_t2.place, "");
		assert_string_equal(tc_t2.rule, "manhole@xigong");
		n2 = codec_ticket_encode(&tc_t2, b2, sizeof(b2), &err);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, (size_t)n1);
		/* state + details give the whole ticket back */
		n2 = codec_details_encode(&tc_t, b2, sizeof(b2), &err);
		assert_true(n2 > 0);
		assert_int_equal(codec_details_decode(b2, (size_t)n2, &tc_t2,
		    &err), 0);
		assert_memory_equal(&tc_t, &tc_t2, sizeof(tc_t));
	}
	/* an empty (all zero) ticket too */
	memset(&tc_t, 0, sizeof(tc_t));
	n1 = codec_ticket_encode(&tc_t, b1, sizeof(b1), &err);
	assert_true(n1 > 0);
	assert_int_equal(codec_ticket_decode(b1, (size_t)n1, &tc_t2, &err), 0);
	assert_memory_equal(&tc_t, &tc_t2, sizeof(tc_t));
}

/* The head alone: the ticket's own fields as the full decode gives them,
 * n_wo 0, the work orders and details left as they were; damage in the
 * head refused like the full decode's. */
static void
test_view_head(void **state)
{
	static uint8_t b[LD_VIEW_MAX], m[LD_VIEW_MAX];
	static struct ld_ticket full, head;
	struct ld_err err;
	int n;

	(void)state;
	for (int n_wo = 0; n_wo <= LD_WO_MAX; n_wo += 8) {
		tc_ticket(&tc_t, n_wo);
		n = codec_ticket_encode(&tc_t, b, sizeof(b), &err);
		assert_true(n > 0);
		assert_int_equal(codec_ticket_decode(b, (size_t)n, &full, &err),
		    0);
		memset(&head, 0x5a, sizeof(head));
		assert_int_equal(codec_ticket_head_decode(b, (size_t)n, &head,
		    &err), 0);
		assert_string_equal(head.id, full.id);
		assert_string_equal(head.owner, full.owner);
		assert_string_equal(head.transfer_to, full.transfer_to);
		assert_string_equal(head.area, full.area);
		assert_string_equal(head.rule, full.rule);
		assert_int_equal(head.state, full.state);
		assert_int_equal(head.transfer_dir, full.transfer_dir);
		assert_int_equal(head.closed_ms, full.closed_ms);
		assert_int_equal(head.gov_reports, full.gov_reports);
		assert_int_equal(head.n_wo, 0);
		/* not written: a work order's and a detail's bytes */
		assert_int_equal(((uint8_t *)&head.wo[0])[0], 0x5a);
		assert_int_equal((uint8_t)head.text[0], 0x5a);
		/* the head, re-encoded with the work orders, is the view */
		memcpy(head.wo, full.wo, sizeof(head.wo));
		head.n_wo = full.n_wo;
		memcpy(head.caller, full.caller, sizeof(head.caller));
		assert_int_equal(codec_ticket_encode(&head, m, sizeof(m), &err),
		    n);
		assert_memory_equal(m, b, (size_t)n);
	}
	/* damage in the head: refused, with the place */
	tc_ticket(&tc_t, 3);
	n = codec_ticket_encode(&tc_t, b, sizeof(b), &err);
	assert_int_equal(codec_ticket_head_decode(b, 0, &head, &err),
	    LD_ECORRUPT);
	assert_string_equal(err.msg, "view: truncated at byte 0");
	memcpy(m, b, (size_t)n);
	m[3] = 4;
	assert_int_equal(codec_ticket_head_decode(m, (size_t)n, &head, &err),
	    LD_ECORRUPT);
	assert_string_equal(err.msg, "view: format 4, expected 3");
	memcpy(m, b, (size_t)n);
	m[5] = 0;
	assert_int_equal(codec_ticket_head_decode(m, (size_t)n, &head, &err),
	    LD_ECORRUPT);
	assert_string_equal(err.msg, "view.id: NUL byte in string");
	for (int len = 0; len < 60 && len < n; len++)
		assert_int_equal(codec_ticket_head_decode(b, (size_t)len, &head,
		    &err), LD_ECORRUPT);
	assert_int_equal(codec_ticket_head_decode(b, (size_t)LD_VIEW_MAX + 1,
	    &head, &err), LD_ECORRUPT);
}

static void
test_details_damage(void **state)
{
	static uint8_t b[LD_VIEW_MAX];
	struct ld_err err;
	int n;

	(void)state;
	tc_ticket(&tc_t, 0);
	n = codec_details_encode(&tc_t, b, sizeof(b), &err);
	assert_true(n > 0);
	for (int len = 0; len < n; len++)
		assert_int_equal(codec_details_decode(b, (size_t)len, &tc_t2,
		    &err), LD_ECORRUPT);
	assert_int_equal(codec_details_decode(b, 0, &tc_t2, &err), LD_ECORRUPT);
	assert_string_equal(err.msg, "view: truncated at byte 0");
	b[0] = 0x93;	/* array of 3 */
	assert_int_equal(codec_details_decode(b, (size_t)n, &tc_t2, &err),
	    LD_ECORRUPT);
	assert_string_equal(err.msg, "view: array of 3 entries, expected 7");
	assert_int_equal(codec_details_encode(&tc_t, b, 10, &err), LD_ELIMIT);
}

static void
tc_view_expect(const uint8_t *b, size_t len, const char *msg)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct ld_err err;
	int rc;

	memcpy(copy, b, len);
	rc = codec_ticket_decode(copy, len, &tc_t2, &err);
	free(copy);
	if (rc != LD_ECORRUPT || (msg != NULL && strcmp(err.msg, msg) != 0))
		fail_msg("want ECORRUPT '%s', got %s '%s'", msg ? msg : "*",
		    err_name(rc), err.msg);
}

static void
test_view_damage(void **state)
{
	static uint8_t b[LD_VIEW_MAX], m[LD_VIEW_MAX], o[LD_VIEW_MAX];
	struct ld_err err;
	unsigned seed = 12345;
	int n;

	(void)state;
	tc_ticket(&tc_t, 3);
	n = codec_ticket_encode(&tc_t, b, sizeof(b), &err);
	assert_true(n > 0);
	for (int len = 0; len < n; len++)
		tc_view_expect(b, (size_t)len, NULL);
	tc_view_expect(b, 0, "view: truncated at byte 0");

	memcpy(m, b, (size_t)n);
	m[0] = 0x9f;			/* array of 15 */
	tc_view_expect(m, (size_t)n, "view: array of 15 entries, expected 28");
	memcpy(m, b, (size_t)n);
	m[3] = 4;			/* format */
	tc_view_expect(m, (size_t)n, "view: format 4, expected 3");
	memcpy(m, b, 4);		/* id as a (non-canonical) str8 */
	m[4] = 0xd9;
	m[5] = (uint8_t)(b[4] & 0x1f);
	memcpy(m + 6, b + 5, (size_t)n - 5);
	tc_view_expect(m, (size_t)n + 1,
	    "view.id: non-canonical encoding at byte 4");
	memcpy(m, b, (size_t)n);
	m[4] = 0xc0;
	tc_view_expect(m, (size_t)n,
	    "view.id: expected string, got byte 0xc0 at byte 4");
	memcpy(m, b, (size_t)n);
	m[5] = 0;			/* NUL in id */
	tc_view_expect(m, (size_t)n, "view.id: NUL byte in string");
	memcpy(m, b, (size_t)n);
	m[n] = 0;
	tc_view_expect(m, (size_t)n + 1, "view: 1 trailing bytes");

	/* n_wo says 4, the array holds 3: the first byte where the views
	 * with 3 and 4 work orders differ is n_wo */
	n = codec_ticket_encode(&tc_t, b, sizeof(b), &err);
	tc_t.n_wo = 4;
	assert_true(codec_ticket_encode(&tc_t, m, sizeof(m), &err) > n);
	tc_t.n_wo = 3;
	memcpy(o, b, (size_t)n);
	for (int i = 0; i < n; i++)
		if (b[i] != m[i]) {
			o[i] = m[i];
			break;
		}
	tc_view_expect(o, (size_t)n, "view.wo: 3 entries, n_wo is 4");
	/* state sits after the header (4), id, owner, transfer_to, dir */
	{
		size_t at = 4 + 1 + strlen(tc_t.id) + 1 + strlen(tc_t.owner) +
		    1 + strlen(tc_t.transfer_to) + 1;

		assert_int_equal(b[at], tc_t.state);
		memcpy(m, b, (size_t)n);
		m[at] = LD_TS__COUNT;
		tc_view_expect(m, (size_t)n, "view.state: 9 out of range 0..8");
		m[at] = 0xd0;		/* int8: not an unsigned form */
		tc_view_expect(m, (size_t)n, "view.state: expected unsigned "
		    "integer, got byte 0xd0 at byte 26");
	}

	/* random byte flips: never a crash, and anything accepted is
	 * canonical */
	for (int k = 0; k < 3000; k++) {
		int rc, n2;

		memcpy(m, b, (size_t)n);
		for (int j = 0; j < 1 + k % 3; j++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % (unsigned)n] ^= (uint8_t)(1u << (seed % 8));
		}
		rc = codec_ticket_decode(m, (size_t)n, &tc_t2, &err);
		assert_true(rc == 0 || rc == LD_ECORRUPT);
		if (rc == 0) {
			n2 = codec_ticket_encode(&tc_t2, o, sizeof(o), &err);
			assert_int_equal(n2, n);
			assert_memory_equal(o, m, (size_t)n);
		}
	}
}

static void
test_view_encoder_refuses(void **state)
{
	uint8_t b[LD_VIEW_MAX];
	struct ld_err err;
	int n;

	(void)state;
	tc_ticket(&tc_t, 3);
	tc_t.n_wo = LD_WO_MAX + 1;
	assert_int_equal(codec_ticket_encode(&tc_t, b, sizeof(b), &err),
	    LD_EINVAL);
	assert_string_equal(err.msg, "view.n_wo: 17 out of range 0..16");
	tc_ticket(&tc_t, 3);
	tc_t.wo[2].signed_ms = -1;
	assert_int_equal(codec_ticket_encode(&tc_t, b, sizeof(b), &err),
	    LD_EINVAL);
	assert_string_equal(err.msg, "view.wo[2].signed_ms: -1 is negative");
	tc_ticket(&tc_t, 3);
	memset(tc_t.owner, 'X', sizeof(tc_t.owner));
	assert_int_equal(codec_ticket_encode(&tc_t, b, sizeof(b), &err),
	    LD_EINVAL);
	assert_string_equal(err.msg,
	    "view.owner: string exceeds limit 8 (no NUL within the buffer)");
	tc_ticket(&tc_t, 16);
	n = codec_ticket_encode(&tc_t, b, sizeof(b), &err);
	assert_true(n > 0);
	assert_int_equal(codec_ticket_encode(&tc_t, b, (size_t)n - 1, &err),
	    LD_ELIMIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_roundtrip_every_kind),
		cmocka_unit_test(test_example_frame),
		cmocka_unit_test(test_lenient_forms),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_frame_limits),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ticket_rules),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_encoder_refuses),
		cmocka_unit_test(test_view_roundtrip),
		cmocka_unit_test(test_view_damage),
		cmocka_unit_test(test_view_head),
		cmocka_unit_test(test_details_damage),
		cmocka_unit_test(test_view_encoder_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
