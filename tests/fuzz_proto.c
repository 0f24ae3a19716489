/*
 * fuzz_proto.c - libFuzzer target for the client protocol's decoders.
 *
 * Every input is decoded as a request and as a reply.  Neither may crash,
 * leak or read outside the input (the sanitizers watch); an error must
 * come with its code in err and a message; an accepted request must
 * survive a round trip: encode(decode(x)) decodes to the same struct and
 * re-encodes to the same bytes; an accepted reply's result must lie
 * inside the input and an error reply must carry a code.  Any violation
 * abort()s.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, for the corpus
 * replay in `make test`, linked with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_request(const uint8_t *data, size_t size)
{
	static struct ld_request req, req2;
	static uint8_t b1[LD_PROTO_FRAME_MAX], b2[LD_PROTO_FRAME_MAX];
	struct ld_err err;
	int rc, n1, n2;

	err_clear(&err);
	rc = proto_request_decode(data, size, &req, &err);
	fuzz_check_err(rc, &err, "request decode");
	if (rc != 0)
		return;
	n1 = proto_request_encode(&req, b1, sizeof(b1), &err);
	if (n1 <= 0) {
		fprintf(stderr, "decoded request does not encode: %s\n",
		    err.msg);
		abort();
	}
	if (proto_request_decode(b1, (size_t)n1, &req2, &err) != 0) {
		fprintf(stderr, "encoded request does not decode: %s\n",
		    err.msg);
		abort();
	}
	if (memcmp(&req, &req2, sizeof(req)) != 0) {
		fprintf(stderr, "request differs after a round trip\n");
		abort();
	}
	n2 = proto_request_encode(&req2, b2, sizeof(b2), &err);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0) {
		fprintf(stderr, "request re-encodes differently\n");
		abort();
	}
}

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	static uint8_t b[LD_ERR_MSG_MAX + 128];
	struct ld_reply r, r2;
	struct ld_err err, e;
	int rc, n;

	err_clear(&err);
	rc = proto_reply_decode(data, size, &r, &err);
	fuzz_check_err(rc, &err, "reply decode");
	if (rc != 0)
		return;
	if (r.ok) {
		if (r.result == NULL || r.result < data || r.result_len == 0 ||
		    r.result_len > size ||
		    r.result + r.result_len > data + size) {
			fprintf(stderr, "reply result outside the input\n");
			abort();
		}
		return;
	}
	if (r.result != NULL || r.code[0] == '\0') {
		fprintf(stderr, "error reply without code or with result\n");
		abort();
	}
	/* an error reply written again reads back the same */
	e.code = r.num < 0 ? r.num : LD_EINVAL;
	memcpy(e.msg, r.message, sizeof(e.msg));
	n = proto_reply_error(b, sizeof(b), r.id, &e);
	if (n <= 0 || proto_reply_decode(b, (size_t)n, &r2, &err) != 0 ||
	    r2.id != r.id || r2.ok || (r.message[0] != '\0' &&
	    strcmp(r2.message, r.message) != 0)) {
		fprintf(stderr, "error reply does not round-trip\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request(data, size);
	fuzz_reply(data, size);
	return 0;
}
