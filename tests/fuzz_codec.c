/*
 * fuzz_codec.c - libFuzzer target for the event and ticket view decoders.
 *
 * Every input is decoded as an event and as a ticket view.  Neither may
 * crash, leak or read outside the input (the sanitizers watch), an error
 * must come with a message, and whatever is accepted must survive a round
 * trip: for an event, encode(decode(x)) decodes to the same struct and
 * re-encodes to the same bytes; for a view (whose encoding is canonical)
 * encode(decode(x)) == x.  Any violation abort()s.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, for the corpus
 * replay in `make test`, linked with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_event(const uint8_t *data, size_t size)
{
	static struct ld_event ev, ev2;
	static uint8_t b1[LD_FRAME_MAX], b2[LD_FRAME_MAX];
	struct ld_err err;
	int rc, n1, n2;

	err_clear(&err);
	rc = codec_event_decode(data, size, &ev, &err);
	fuzz_check_err(rc, &err, "event decode");
	if (rc != 0)
		return;
	n1 = codec_event_encode(&ev, b1, sizeof(b1), &err);
	if (n1 <= 0) {
		fprintf(stderr, "decoded event does not encode: %s\n", err.msg);
		abort();
	}
	if (codec_event_decode(b1, (size_t)n1, &ev2, &err) != 0) {
		fprintf(stderr, "encoded event does not decode: %s\n", err.msg);
		abort();
	}
	if (memcmp(&ev, &ev2, sizeof(ev)) != 0) {
		fprintf(stderr, "event differs after a round trip\n");
		abort();
	}
	n2 = codec_event_encode(&ev2, b2, sizeof(b2), &err);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0) {
		fprintf(stderr, "event re-encodes differently\n");
		abort();
	}
}

static void
fuzz_view(const uint8_t *data, size_t size)
{
	static struct ld_ticket t;
	static uint8_t b[LD_VIEW_MAX];
	struct ld_err err;
	int rc, n;

	err_clear(&err);
	rc = codec_ticket_decode(data, size, &t, &err);
	fuzz_check_err(rc, &err, "view decode");
	if (rc != 0) {
		if (rc != LD_ECORRUPT) {
			fprintf(stderr, "view decode: %d, not ECORRUPT\n", rc);
			abort();
		}
		return;
	}
	n = codec_ticket_encode(&t, b, sizeof(b), &err);
	if (n < 0 || (size_t)n != size || memcmp(b, data, size) != 0) {
		fprintf(stderr, "view re-encodes differently (%d)\n", n);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_event(data, size);
	fuzz_view(data, size);
	return 0;
}
