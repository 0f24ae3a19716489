/* utf8.c - strict UTF-8 validation (see utf8.h). */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* True if none of the 8 bytes in v is NUL or has its high bit set. */
static inline bool
utf8_word_plain(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;

	return ((v | ((v - ones) & ~v)) & highs) == 0;
}

/*
 * Valid iff s[0..len) is a sequence of RFC 3629 code points other than
 * U+0000: no overlong forms, no surrogates (U+D800..DFFF), nothing above
 * U+10FFFF, no truncated sequence.  On failure *bad is the offset of the
 * first byte of the first invalid (or NUL, or truncated) sequence.
 * ASCII runs are checked eight bytes at a time.
 */
bool
utf8_valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xBF;
		size_t need, k;

		if (c >= 0x01 && c < 0x80) {
			uint64_t w;

			while (i + 8 <= len) {
				memcpy(&w, s + i, 8);
				if (!utf8_word_plain(w))
					break;
				i += 8;
			}
			while (i < len && s[i] >= 0x01 && s[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;	/* overlong below U+0800 */
			else if (c == 0xED)
				hi = 0x9F;	/* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;	/* overlong below U+10000 */
			else if (c == 0xF4)
				hi = 0x8F;	/* above U+10FFFF */
		} else {
			goto fail;	/* NUL, stray continuation, C0/C1, F5.. */
		}
		if (len - i <= need)
			goto fail;	/* truncated */
		if (s[i + 1] < lo || s[i + 1] > hi)
			goto fail;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				goto fail;
		i += need + 1;
	}
	return true;
fail:
	if (bad != NULL)
		*bad = i;
	return false;
}

size_t
utf8_trim(char *s)
{
	size_t len = strlen(s), bad;

	/* only a bad byte among the last three can be a cut character */
	while (len > 0 && !utf8_valid(s, len, &bad) && bad + 4 > len &&
	    bad < len)
		s[len = bad] = '\0';
	return len;
}
