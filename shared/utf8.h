/* utf8.h - strict UTF-8 validation (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).  NUL bytes are refused too, since
 * every text field is also a C string. */
#ifndef LD_UTF8_H
#define LD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..len) is valid UTF-8 without NUL.  On false, *bad (if not
 * NULL) is the offset of the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad);

/* A C string cut short (snprintf into a full buffer) may end in half a
 * character: cut that half off, so the string is valid UTF-8 again if it
 * was before the cut.  Returns the new length. */
size_t utf8_trim(char *s);

#endif
