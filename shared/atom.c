/*
 * atom.c - the announcements' Atom 1.0 feed (see atom.h): rendering into
 * the caller's buffer, XML escaping, the U+FFFD replacement of bytes XML
 * cannot carry, the entries' titles and the RFC 3339 times.
 *
 * Pure and allocation-free: everything goes through one bounded writer
 * that never writes past cap and remembers that it ran out of room.
 */
#include "atom.h"
#include "err.h"
#include "ltime.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ATOM_FFFD "\xEF\xBF\xBD"	/* U+FFFD REPLACEMENT CHARACTER */
#define ATOM_ELLIPSIS "\xE2\x80\xA6"	/* U+2026 "…" */
#define ATOM_TAG "tag:liandong,2011:"

struct atom_out {
	char *buf;
	size_t cap;
	size_t len;	/* always < cap while !over */
	bool over;
};

static void
atom_put(struct atom_out *o, const char *s, size_t n)
{
	if (o->over)
		return;
	if (n >= o->cap - o->len) {	/* keep a byte for the NUL */
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
atom_puts(struct atom_out *o, const char *s)
{
	atom_put(o, s, strlen(s));
}

/*
 * The character at s[0..len): its length in *n (1 for a byte that does
 * not begin well-formed UTF-8), and true if XML 1.0 may carry it.
 * Refused: malformed, overlong or truncated sequences, surrogates, code
 * points above U+10FFFF (each of their bytes on its own), the C0
 * controls but tab, LF and CR, DEL, the C1 controls, U+FFFE and U+FFFF
 * (each as one character).
 */
static bool
atom_char(const unsigned char *s, size_t len, size_t *n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need, k;

	*n = 1;
	if (c < 0x80)
		return c == '\t' || c == '\n' || c == '\r' ||
		    (c >= 0x20 && c != 0x7F);
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (c == 0xED)
			hi = 0x9F;	/* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;	/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;	/* above U+10FFFF */
	} else {
		return false;
	}
	if (len <= need || s[1] < lo || s[1] > hi)
		return false;
	for (k = 2; k <= need; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return false;
	*n = need + 1;
	if (c == 0xC2 && s[1] < 0xA0)
		return false;	/* U+0080..U+009F: C1 controls */
	if (c == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
		return false;	/* U+FFFE, U+FFFF: not XML characters */
	return true;
}

/*
 * s[0..len) as XML character data (attr false) or as the value of an
 * attribute in double quotes (attr true: tab, LF and CR become character
 * references, which attribute-value normalisation would otherwise turn
 * into spaces).
 */
static void
atom_esc(struct atom_out *o, const char *str, size_t len, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;

	while (i < len) {
		const char *rep = NULL;
		bool ok;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\t': rep = attr ? "&#9;" : NULL; break;
		case '\n': rep = attr ? "&#10;" : NULL; break;
		case '\r': rep = attr ? "&#13;" : NULL; break;
		default: break;
		}
		ok = atom_char(s + i, len - i, &k);
		if (rep == NULL && ok) {
			i += k;		/* part of a plain run */
			continue;
		}
		atom_put(o, str + run, i - run);
		atom_puts(o, rep != NULL ? rep : ATOM_FFFD);
		i += k;
		run = i;
	}
	atom_put(o, str + run, i - run);
}

static void
atom_esc_str(struct atom_out *o, const char *s, bool attr)
{
	atom_esc(o, s, strlen(s), attr);
}

/* <name>escaped text</name> and a line break. */
static void
atom_elem(struct atom_out *o, const char *indent, const char *name,
    const char *s, size_t len)
{
	atom_puts(o, indent);
	atom_puts(o, "<");
	atom_puts(o, name);
	atom_puts(o, ">");
	atom_esc(o, s, len, false);
	atom_puts(o, "</");
	atom_puts(o, name);
	atom_puts(o, ">\n");
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void
atom_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	days += 719468;		/* count from 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;			/* 0 .. 146096 */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1 */
	mp = (5 * doy + 2) / 153;			/* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Times before 1970 or after 9999 are clamped: the wire refuses them. */
void
atom_time(int64_t ms, char *buf, size_t cap)
{
	int64_t sec, days, rem;
	int y, m, d;

	if (ms < 0)
		ms = 0;
	if (ms > LD_TIME_MAX)
		ms = LD_TIME_MAX;
	sec = ms / 1000;
	days = sec / 86400;
	rem = sec % 86400;
	atom_civil(days, &y, &m, &d);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static void
atom_time_elem(struct atom_out *o, const char *indent, const char *name,
    int64_t ms)
{
	char t[32];

	atom_time(ms, t, sizeof(t));
	atom_elem(o, indent, name, t, strlen(t));
}

static bool
atom_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first non-blank line of (*s)[0..len), without surrounding blanks:
 * moves *s to it, returns its length. */
static size_t
atom_line(const unsigned char **s, size_t len)
{
	const unsigned char *p = *s;
	size_t k;

	while (len > 0 && atom_blank((char)p[0])) {
		p++;
		len--;
	}
	for (k = 0; k < len && p[k] != '\n' && p[k] != '\r'; k++)
		;
	while (k > 0 && atom_blank((char)p[k - 1]))
		k--;
	*s = p;
	return k;
}

/*
 * An entry's title into t (ATOM_TITLE_MAX + 1 bytes), already free of
 * anything XML refuses (but not yet escaped): the first line of the given
 * title, else of the text, else the ticket (the first non-blank line,
 * without surrounding blanks).  If it takes more than ATOM_TITLE_MAX
 * bytes it is cut at a character boundary and "…" added, within the
 * same ATOM_TITLE_MAX.
 */
static void
atom_title(const struct ld_atom_entry *e, char *t)
{
	const unsigned char *s;
	size_t len, i = 0, out = 0, keep = 0;
	bool cut = false;

	s = (const unsigned char *)e->title;
	len = atom_line(&s, strnlen(e->title, sizeof(e->title)));
	if (len == 0) {
		s = (const unsigned char *)e->text;
		len = atom_line(&s, strnlen(e->text, sizeof(e->text)));
	}
	if (len == 0) {
		s = (const unsigned char *)e->ticket;
		len = atom_line(&s, strnlen(e->ticket, sizeof(e->ticket)));
	}

	while (i < len) {
		size_t cl;
		bool ok = atom_char(s + i, len - i, &cl);
		size_t w = ok ? cl : sizeof(ATOM_FFFD) - 1;

		if (out + w > ATOM_TITLE_MAX) {
			cut = true;
			break;
		}
		memcpy(t + out, ok ? (const char *)s + i : ATOM_FFFD, w);
		out += w;
		i += cl;
		if (out <= ATOM_TITLE_MAX - (sizeof(ATOM_ELLIPSIS) - 1))
			keep = out;
	}
	if (cut) {
		memcpy(t + keep, ATOM_ELLIPSIS, sizeof(ATOM_ELLIPSIS) - 1);
		out = keep + sizeof(ATOM_ELLIPSIS) - 1;
	}
	t[out] = '\0';
}

/* <category term="PREFIXvalue"/> */
static void
atom_category(struct atom_out *o, const char *prefix, const char *v,
    size_t len)
{
	atom_puts(o, "    <category term=\"");
	atom_esc_str(o, prefix, true);
	atom_esc(o, v, len, true);
	atom_puts(o, "\"/>\n");
}

static void
atom_entry(struct atom_out *o, const struct ld_atom_entry *e)
{
	char title[ATOM_TITLE_MAX + 1], seq[24];
	size_t area = strnlen(e->area, sizeof(e->area));

	atom_puts(o, "  <entry>\n    <id>" ATOM_TAG);
	atom_esc(o, e->origin, strnlen(e->origin, sizeof(e->origin)), false);
	snprintf(seq, sizeof(seq), "/%llu", (unsigned long long)e->seq);
	atom_puts(o, seq);
	atom_puts(o, "</id>\n");
	atom_title(e, title);
	atom_elem(o, "    ", "title", title, strlen(title));
	atom_time_elem(o, "    ", "updated", e->time_ms);
	atom_time_elem(o, "    ", "published", e->time_ms);
	atom_puts(o, "    <content type=\"text\">");
	atom_esc(o, e->text, strnlen(e->text, sizeof(e->text)), false);
	atom_puts(o, "</content>\n");
	atom_category(o, "", e->channel, strnlen(e->channel,
	    sizeof(e->channel)));
	atom_category(o, "incident:", e->ticket, strnlen(e->ticket,
	    sizeof(e->ticket)));
	if (area > 0)
		atom_category(o, "area:", e->area, area);
	atom_puts(o, "  </entry>\n");
}

int
atom_write(const struct ld_atom_feed *f, const struct ld_atom_entry *e,
    size_t n, char *buf, size_t cap)
{
	struct atom_out o = { buf, cap, 0, false };
	const char *name;
	size_t i;

	if (cap > 0)
		buf[0] = '\0';
	if (f == NULL || f->node == NULL || f->node[0] == '\0' ||
	    (n > 0 && e == NULL))
		return LD_EINVAL;
	if (n > ATOM_ENTRIES_MAX)
		return LD_ELIMIT;
	name = f->title != NULL && f->title[0] != '\0' ? f->title : f->node;

	atom_puts(&o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>" ATOM_TAG);
	atom_esc_str(&o, f->node, false);
	atom_puts(&o, "/announcements</id>\n");
	atom_elem(&o, "  ", "title", name, strlen(name));
	atom_time_elem(&o, "  ", "updated", f->updated_ms);
	atom_puts(&o, "  <author>\n");
	atom_elem(&o, "    ", "name", name, strlen(name));
	atom_puts(&o, "  </author>\n");
	if (f->self_url != NULL) {
		atom_puts(&o, "  <link rel=\"self\" type=\"application/atom+xml\""
		    " href=\"");
		atom_esc_str(&o, f->self_url, true);
		atom_puts(&o, "\"/>\n");
	}
	for (i = 0; i < n; i++)
		atom_entry(&o, &e[i]);
	atom_puts(&o, "</feed>\n");

	if (o.over || o.len > INT_MAX) {
		if (cap > 0)
			buf[0] = '\0';
		return LD_ELIMIT;
	}
	buf[o.len] = '\0';
	return (int)o.len;
}
