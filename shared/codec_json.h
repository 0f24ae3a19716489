/*
 * codec_json.h - one msgpack value as compact JSON (RFC 8259), for
 * `linkctl --json` and scripts.
 *
 * Only what replies contain (docs/protocol.md §4) is written: nil (null),
 * booleans, integers (unsigned and negative, in decimal), strings, arrays,
 * and maps whose keys are strings.  Strings must be valid UTF-8 (RFC 3629
 * strict, utf8.h); they are written as they are, with '"', '\' and the
 * control characters U+0000..U+001F escaped (\b \f \n \r \t, the others as
 * \u00XX).  Anything else is LD_EMALFORMED: floats, binary, extensions,
 * a key that is not a string, text that is not UTF-8, truncated or
 * trailing bytes, nesting deeper than CODEC_JSON_DEPTH_MAX.
 *
 * The value is checked whole before the first byte is written, so on an
 * error nothing has been written.  The reader is codec_mp's bounded one:
 * no allocation, no recursion.
 */
#ifndef LD_CODEC_JSON_H
#define LD_CODEC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Containers nested in one another, the outermost counting 1.  Replies
 * nest at most 8 (envelope included), so a result at most 7. */
#define CODEC_JSON_DEPTH_MAX 16

/*
 * Write the one msgpack value that buf[0..len) holds as JSON to f (no
 * newline after it).  Returns 0; LD_EMALFORMED with the reason and the
 * byte offset in err ("byte 12: float is not allowed (JSON of replies
 * has nil, boolean, integer, string, array and map)"); LD_EINVAL for a
 * NULL f or buf; LD_EIO when writing to f fails.
 */
int codec_json_write(FILE *f, const uint8_t *buf, size_t len,
    struct ld_err *err);

/*
 * Write s[0..n) as a JSON string, quotes included, escaped as above.
 * Returns 0, LD_EMALFORMED if s is not UTF-8 (nothing is written then),
 * or LD_EIO.  A NUL byte is allowed and written as \u0000.
 */
int codec_json_write_str(FILE *f, const char *s, size_t n,
    struct ld_err *err);

#endif
