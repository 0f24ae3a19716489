/*
 * fuzz_report.c - libFuzzer target for the report's result map
 * (report_decode, shared/report_wire.c) and the renderers behind it.
 *
 * Every input is decoded as a report result.  It may not crash, leak or
 * read outside the input (the sanitizers watch); an error must come with
 * its code in err and a message.  An accepted report must survive a round
 * trip (report_write, then report_decode gives the same struct) and print
 * as text, CSV and HTML without failing.  Any violation abort()s.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, for the corpus
 * replay in `make test`, linked with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "report.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_print(const struct ld_report *r)
{
	static FILE *null;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	if (report_print_text(r, null) != 0 || report_print_csv(r, null) != 0 ||
	    report_print_html(r, null) != 0) {
		fprintf(stderr, "a decoded report does not print\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ld_report r, r2;
	static uint8_t buf[LD_PROTO_REPLY_MAX];
	struct ld_reply rep;
	struct ld_err err;
	struct ld_pw w;
	int rc, n;

	err_clear(&err);
	rc = report_decode(data, size, &r, &err);
	fuzz_check_err(rc, &err, "report decode");
	if (rc != 0)
		return 0;
	proto_reply_begin(&w, buf, sizeof(buf), 1, REPORT_ENTRIES);
	report_write(&w, &r);
	if ((n = proto_reply_end(&w)) <= 0 ||
	    proto_reply_decode(buf, (size_t)n, &rep, &err) != 0 ||
	    report_decode(rep.result, rep.result_len, &r2, &err) != 0) {
		fprintf(stderr, "decoded report does not round-trip: %s\n",
		    err.msg);
		abort();
	}
	if (memcmp(&r, &r2, sizeof(r)) != 0) {
		fprintf(stderr, "report differs after a round trip\n");
		abort();
	}
	fuzz_print(&r);
	return 0;
}
