/* fuzzutil.h - what the libFuzzer targets (tests/fuzz_*.c) share. */
#ifndef LD_FUZZUTIL_H
#define LD_FUZZUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* A failure (rc < 0) must come with its code in err and a message, NUL-
 * terminated within its buffer: abort() otherwise, saying where (what). */
static inline void
fuzz_check_err(int rc, const struct ld_err *err, const char *what)
{
	if (rc >= 0)
		return;
	if (err->code != rc || err->msg[0] == '\0' ||
	    memchr(err->msg, '\0', sizeof(err->msg)) == NULL) {
		fprintf(stderr, "%s: error %d without message\n", what, rc);
		abort();
	}
}

#endif
