/*
 * test_atom.c - the announcements' Atom feed: well-formed XML (checked by
 * a small checker below: tags balance, attributes quoted, no raw '&' or
 * '<' but in markup, every entity known, valid UTF-8 without forbidden
 * controls), the required Atom elements in their places with the tag
 * URIs, times and categories expected; escaping, U+FFFD replacement, the
 * entries' titles; the empty feed; LD_ELIMIT for every cap too small,
 * never a byte written past cap.
 */
#include "testutil.h"

#include "atom.h"
#include "err.h"
#include "ltime.h"
#include "utf8.h"

#include <stdbool.h>

/* ---- a small XML checker ------------------------------------------------ */

#define XC_MAX 64		/* elements remembered */
#define XC_DEPTH 8

struct xc_elem {
	char path[96];		/* "feed/entry/title" */
	char attrs[256];	/* the raw attributes, e.g. ` term="x"` */
	char text[4096];	/* the raw character data (leaf elements) */
	bool leaf;
};

struct xc {
	struct xc_elem e[XC_MAX];
	int n;
};

static bool
xc_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && ((c >= '0' && c <= '9') || c == '-' ||
	    c == '.'));
}

/* An entity or character reference at s ('&'): its length, 0 if bad. */
static size_t
xc_entity(const char *s)
{
	static const char *known[] = { "&amp;", "&lt;", "&gt;", "&quot;",
	    "&apos;" };
	size_t i, k;

	for (i = 0; i < 5; i++)
		if (strncmp(s, known[i], strlen(known[i])) == 0)
			return strlen(known[i]);
	if (s[1] != '#')
		return 0;
	k = 2;
	if (s[2] == 'x') {
		for (k = 3; (s[k] >= '0' && s[k] <= '9') ||
		    (s[k] >= 'a' && s[k] <= 'f') || (s[k] >= 'A' && s[k] <= 'F');
		    k++)
			;
		if (k == 3)
			return 0;
	} else {
		for (; s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k == 2)
			return 0;
	}
	return s[k] == ';' ? k + 1 : 0;
}

/* Character data up to the next '<': no raw '>', '&' only in entities. */
static bool
xc_chardata(const char **p)
{
	const char *s = *p;

	while (*s != '\0' && *s != '<') {
		if (*s == '>')
			return false;
		if (*s == '&') {
			size_t k = xc_entity(s);

			if (k == 0)
				return false;
			s += k;
		} else {
			s++;
		}
	}
	*p = s;
	return true;
}

/*
 * Check doc; fill x with every element's path, attributes and text.  The
 * XML declaration, elements, attributes in double or single quotes,
 * character data; no comments, CDATA, PIs or DTD (the feed has none).
 */
static bool
xc_check(const char *doc, struct xc *x)
{
	const char *s = doc;
	int stack[XC_DEPTH], depth = 0;
	bool root_done = false;
	size_t len = strlen(doc), i;

	x->n = 0;
	if (!utf8_valid(doc, len, NULL))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)doc[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7F)
			return false;
		if (c == 0xC2 && (unsigned char)doc[i + 1] < 0xA0)
			return false;	/* C1 control */
		if (c == 0xEF && (unsigned char)doc[i + 1] == 0xBF &&
		    (unsigned char)doc[i + 2] >= 0xBE)
			return false;	/* U+FFFE, U+FFFF */
	}
	if (strncmp(s, "<?xml version=\"1.0\" encoding=\"utf-8\"?>", 38) != 0)
		return false;
	s += 38;
	for (;;) {
		const char *t = s, *name;
		size_t nlen;

		if (!xc_chardata(&s))
			return false;
		if (depth == 0) {	/* only blanks outside the root */
			for (; t < s; t++)
				if (*t != ' ' && *t != '\n' && *t != '\t' &&
				    *t != '\r')
					return false;
		} else if (x->e[stack[depth - 1]].leaf) {
			struct xc_elem *e = &x->e[stack[depth - 1]];
			size_t have = strlen(e->text);

			if (have + (size_t)(s - t) >= sizeof(e->text))
				return false;
			memcpy(e->text + have, t, (size_t)(s - t));
			e->text[have + (size_t)(s - t)] = '\0';
		}
		if (*s == '\0')
			return depth == 0 && root_done;
		s++;		/* '<' */
		if (*s == '/') {	/* end tag */
			struct xc_elem *e;
			const char *last;

			s++;
			name = s;
			while (xc_name_char(*s, s == name))
				s++;
			nlen = (size_t)(s - name);
			if (depth == 0 || *s != '>')
				return false;
			e = &x->e[stack[--depth]];
			last = strrchr(e->path, '/');
			last = last != NULL ? last + 1 : e->path;
			if (strlen(last) != nlen || strncmp(last, name, nlen) != 0)
				return false;
			s++;
			if (depth == 0)
				root_done = true;
			continue;
		}
		/* start tag or empty-element tag */
		{
			struct xc_elem *e;
			char path[sizeof(e->path)];
			size_t alen = 0;
			const char *a;

			if (root_done || x->n == XC_MAX || depth == XC_DEPTH)
				return false;
			name = s;
			while (xc_name_char(*s, s == name))
				s++;
			nlen = (size_t)(s - name);
			if (nlen == 0)
				return false;
			if (depth > 0) {
				struct xc_elem *up = &x->e[stack[depth - 1]];

				up->leaf = false;
				up->text[0] = '\0';
				snprintf(path, sizeof(path), "%s/%.*s",
				    up->path, (int)nlen, name);
			} else {
				snprintf(path, sizeof(path), "%.*s",
				    (int)nlen, name);
			}
			e = &x->e[x->n];
			memset(e, 0, sizeof(*e));
			e->leaf = true;
			memcpy(e->path, path, sizeof(path));
			a = s;
			/* attributes: blank name = quoted value */
			while (*s == ' ') {
				const char *an;
				char q;

				s++;
				an = s;
				while (xc_name_char(*s, s == an))
					s++;
				if (s == an || *s != '=')
					return false;
				s++;
				q = *s;
				if (q != '"' && q != '\'')
					return false;
				s++;
				while (*s != q) {
					if (*s == '\0' || *s == '<')
						return false;
					if (*s == '&') {
						size_t k = xc_entity(s);

						if (k == 0)
							return false;
						s += k;
					} else {
						s++;
					}
				}
				s++;
			}
			alen = (size_t)(s - a);
			if (alen >= sizeof(e->attrs))
				return false;
			memcpy(e->attrs, a, alen);
			x->n++;
			if (s[0] == '/' && s[1] == '>') {
				s += 2;
				if (depth == 0)
					root_done = true;
			} else if (*s == '>') {
				s++;
				stack[depth++] = x->n - 1;
			} else {
				return false;
			}
		}
	}
}

/* The k-th element (0-based) with this path, or NULL. */
static const struct xc_elem *
xc_find(const struct xc *x, const char *path, int k)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->e[i].path, path) == 0 && k-- == 0)
			return &x->e[i];
	return NULL;
}

static int
xc_count(const struct xc *x, const char *path)
{
	int i, n = 0;

	for (i = 0; i < x->n; i++)
		n += strcmp(x->e[i].path, path) == 0;
	return n;
}

/* The text of the k-th element with path, unescaped, into out. */
static const char *
xc_text(const struct xc *x, const char *path, int k, char *out, size_t cap)
{
	const struct xc_elem *e = xc_find(x, path, k);
	static const char *ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" },
	    { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" } };
	const char *s;
	size_t o = 0, i;

	assert_non_null(e);
	for (s = e->text; *s != '\0' && o + 1 < cap;) {
		for (i = 0; i < 5; i++)
			if (strncmp(s, ent[i][0], strlen(ent[i][0])) == 0)
				break;
		if (i < 5) {
			out[o++] = ent[i][1][0];
			s += strlen(ent[i][0]);
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- the feed under test ------------------------------------------------ */

#define BIG (256 * 1024)

static struct ld_atom_entry ents[4];
static struct ld_atom_feed feed;
static char *doc;
static struct xc *xc;

static int
setup(void **state)
{
	(void)state;
	memset(ents, 0, sizeof(ents));
	/* newest first */
	strcpy(ents[0].origin, "LY");
	ents[0].seq = 1234;
	ents[0].time_ms = ltime_parse("2011-11-16 11:05:00");
	strcpy(ents[0].ticket, "LY-2011-000123");
	strcpy(ents[0].channel, "website");
	strcpy(ents[0].area, "laocheng");
	strcpy(ents[0].text, "老城区西大街供水管道抢修，11月16日12时至18时停水。\n"
	    "请沿线居民提前储水。");

	strcpy(ents[1].origin, "XA");
	ents[1].seq = 7;
	ents[1].time_ms = ltime_parse("2011-11-15 23:59:59") + 999;
	strcpy(ents[1].ticket, "XA-2011-000042");
	strcpy(ents[1].channel, "weibo");
	strcpy(ents[1].title, "<水&电>\"'");
	strcpy(ents[1].text, "a & b < c > d \" e ' f");

	strcpy(ents[2].origin, "LY");
	ents[2].seq = 1;
	ents[2].time_ms = ltime_parse("2011-01-01 08:00:00");
	strcpy(ents[2].ticket, "LY-2011-000001");
	strcpy(ents[2].channel, "sms");
	strcpy(ents[2].area, "a&b");
	strcpy(ents[2].text, "bad \xff\xfe bytes, \xe4\xb8 cut, \x01 ctl, "
	    "\xc2\x85 c1, \x7f del, \xef\xbf\xbe nonchar\tkeep\r\nline 2");

	feed.node = "LY";
	feed.title = "洛阳市110联动服务平台";
	feed.self_url = "https://ly.example/announcements.atom?a=1&b=2";
	feed.updated_ms = ents[0].time_ms;
	doc = malloc(BIG);
	xc = malloc(sizeof(*xc));
	assert_non_null(doc);
	assert_non_null(xc);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(doc);
	free(xc);
	return 0;
}

static void
test_feed(void **state)
{
	const struct xc_elem *e;
	char t[4096];
	int n, i;

	(void)state;
	n = atom_write(&feed, ents, 3, doc, BIG);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(doc));
	assert_true(xc_check(doc, xc));

	/* the feed's own elements, once each, directly under <feed> */
	assert_int_equal(xc_count(xc, "feed"), 1);
	e = xc_find(xc, "feed", 0);
	assert_string_equal(e->attrs, " xmlns=\"http://www.w3.org/2005/Atom\"");
	assert_int_equal(xc_count(xc, "feed/id"), 1);
	assert_string_equal(xc_text(xc, "feed/id", 0, t, sizeof(t)),
	    "tag:liandong,2011:LY/announcements");
	assert_int_equal(xc_count(xc, "feed/title"), 1);
	assert_string_equal(xc_text(xc, "feed/title", 0, t, sizeof(t)),
	    "洛阳市110联动服务平台");
	assert_int_equal(xc_count(xc, "feed/updated"), 1);
	assert_string_equal(xc_text(xc, "feed/updated", 0, t, sizeof(t)),
	    "2011-11-16T03:05:00Z");
	assert_int_equal(xc_count(xc, "feed/author"), 1);
	assert_int_equal(xc_count(xc, "feed/author/name"), 1);
	assert_string_equal(xc_text(xc, "feed/author/name", 0, t, sizeof(t)),
	    "洛阳市110联动服务平台");
	assert_int_equal(xc_count(xc, "feed/link"), 1);
	assert_string_equal(xc_find(xc, "feed/link", 0)->attrs,
	    " rel=\"self\" type=\"application/atom+xml\" "
	    "href=\"https://ly.example/announcements.atom?a=1&amp;b=2\"");

	/* each entry's elements, once each (categories: 2 or 3) */
	assert_int_equal(xc_count(xc, "feed/entry"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/id"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/title"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/updated"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/published"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/content"), 3);
	assert_int_equal(xc_count(xc, "feed/entry/category"), 3 + 2 + 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(xc_find(xc, "feed/entry/content", i)->attrs,
		    " type=\"text\"");
	/* ids: tag URIs of origin and seq, newest first as given */
	assert_string_equal(xc_text(xc, "feed/entry/id", 0, t, sizeof(t)),
	    "tag:liandong,2011:LY/1234");
	assert_string_equal(xc_text(xc, "feed/entry/id", 1, t, sizeof(t)),
	    "tag:liandong,2011:XA/7");
	assert_string_equal(xc_text(xc, "feed/entry/id", 2, t, sizeof(t)),
	    "tag:liandong,2011:LY/1");
	/* times: local UTC+8 to UTC, ms dropped */
	assert_string_equal(xc_text(xc, "feed/entry/updated", 0, t, sizeof(t)),
	    "2011-11-16T03:05:00Z");
	assert_string_equal(xc_text(xc, "feed/entry/published", 0, t,
	    sizeof(t)), "2011-11-16T03:05:00Z");
	assert_string_equal(xc_text(xc, "feed/entry/updated", 1, t, sizeof(t)),
	    "2011-11-15T15:59:59Z");
	assert_string_equal(xc_text(xc, "feed/entry/published", 2, t,
	    sizeof(t)), "2011-01-01T00:00:00Z");
	/* categories, in order: channel, incident, area if known */
	assert_string_equal(xc_find(xc, "feed/entry/category", 0)->attrs,
	    " term=\"website\"");
	assert_string_equal(xc_find(xc, "feed/entry/category", 1)->attrs,
	    " term=\"incident:LY-2011-000123\"");
	assert_string_equal(xc_find(xc, "feed/entry/category", 2)->attrs,
	    " term=\"area:laocheng\"");
	assert_string_equal(xc_find(xc, "feed/entry/category", 3)->attrs,
	    " term=\"weibo\"");
	assert_string_equal(xc_find(xc, "feed/entry/category", 4)->attrs,
	    " term=\"incident:XA-2011-000042\"");
	assert_string_equal(xc_find(xc, "feed/entry/category", 7)->attrs,
	    " term=\"area:a&amp;b\"");

	/* entry 1: the first line of the Chinese text, whole text as is */
	assert_string_equal(xc_text(xc, "feed/entry/title", 0, t, sizeof(t)),
	    "老城区西大街供水管道抢修，11月16日12时至18时停水。");
	assert_string_equal(xc_text(xc, "feed/entry/content", 0, t, sizeof(t)),
	    ents[0].text);
	/* entry 2: every special character escaped */
	assert_string_equal(xc_find(xc, "feed/entry/title", 1)->text,
	    "&lt;水&amp;电&gt;&quot;&apos;");
	assert_string_equal(xc_text(xc, "feed/entry/title", 1, t, sizeof(t)),
	    "<水&电>\"'");
	assert_string_equal(xc_find(xc, "feed/entry/content", 1)->text,
	    "a &amp; b &lt; c &gt; d &quot; e &apos; f");
	/* entry 3: each bad byte, control, C1 control and non-character
	 * is one U+FFFD; tab, CR, LF stay */
	assert_string_equal(xc_find(xc, "feed/entry/content", 2)->text,
	    "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes, \xEF\xBF\xBD\xEF\xBF\xBD cut, "
	    "\xEF\xBF\xBD ctl, \xEF\xBF\xBD c1, \xEF\xBF\xBD del, "
	    "\xEF\xBF\xBD nonchar\tkeep\r\nline 2");
	assert_string_equal(xc_find(xc, "feed/entry/title", 2)->text,
	    "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes, \xEF\xBF\xBD\xEF\xBF\xBD cut, "
	    "\xEF\xBF\xBD ctl, \xEF\xBF\xBD c1, \xEF\xBF\xBD del, "
	    "\xEF\xBF\xBD nonchar\tkeep");

	/* the exact beginning of the document */
	{
		const char *head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
		    "  <id>tag:liandong,2011:LY/announcements</id>\n";

		assert_memory_equal(doc, head, strlen(head));
	}
}

static void
test_empty(void **state)
{
	char t[256];
	int n;

	(void)state;
	feed.self_url = NULL;
	feed.updated_ms = 0;
	n = atom_write(&feed, NULL, 0, doc, BIG);
	assert_true(n > 0);
	assert_true(xc_check(doc, xc));
	assert_int_equal(xc_count(xc, "feed/id"), 1);
	assert_int_equal(xc_count(xc, "feed/title"), 1);
	assert_int_equal(xc_count(xc, "feed/updated"), 1);
	assert_int_equal(xc_count(xc, "feed/author/name"), 1);
	assert_int_equal(xc_count(xc, "feed/link"), 0);
	assert_int_equal(xc_count(xc, "feed/entry"), 0);
	assert_string_equal(xc_text(xc, "feed/updated", 0, t, sizeof(t)),
	    "1970-01-01T00:00:00Z");
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	    "  <id>tag:liandong,2011:LY/announcements</id>\n"
	    "  <title>洛阳市110联动服务平台</title>\n"
	    "  <updated>1970-01-01T00:00:00Z</updated>\n"
	    "  <author>\n    <name>洛阳市110联动服务平台</name>\n  </author>\n"
	    "</feed>\n");
	/* no title: the node's id names the feed */
	feed.title = NULL;
	assert_true(atom_write(&feed, NULL, 0, doc, BIG) > 0);
	assert_true(xc_check(doc, xc));
	assert_string_equal(xc_text(xc, "feed/author/name", 0, t, sizeof(t)),
	    "LY");
	/* bad arguments */
	feed.node = NULL;
	assert_int_equal(atom_write(&feed, NULL, 0, doc, BIG), LD_EINVAL);
	feed.node = "";
	assert_int_equal(atom_write(&feed, NULL, 0, doc, BIG), LD_EINVAL);
	feed.node = "LY";
	assert_int_equal(atom_write(&feed, NULL, 1, doc, BIG), LD_EINVAL);
	assert_int_equal(atom_write(NULL, ents, 1, doc, BIG), LD_EINVAL);
}

static void
test_too_many(void **state)
{
	struct ld_atom_entry *many;
	size_t i;
	int n;

	(void)state;
	many = calloc(ATOM_ENTRIES_MAX + 1, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i <= ATOM_ENTRIES_MAX; i++) {
		many[i] = ents[0];
		many[i].seq = 1000 - i;
		memset(many[i].text, '&', LD_TEXT_MAX);	/* 5 bytes each */
	}
	assert_int_equal(atom_write(&feed, many, ATOM_ENTRIES_MAX + 1, doc,
	    BIG), LD_ELIMIT);
	/* the largest feed fits an int and checks */
	{
		size_t cap = (size_t)ATOM_ENTRIES_MAX * 12 * 1024;
		char *big = malloc(cap);

		assert_non_null(big);
		n = atom_write(&feed, many, ATOM_ENTRIES_MAX, big, cap);
		assert_true(n > ATOM_ENTRIES_MAX * LD_TEXT_MAX * 5);
		assert_int_equal(strlen(big), (size_t)n);
		free(big);
	}
	free(many);
}

/* Every cap from 0 to the document's length is too small (the NUL needs
 * a byte); nothing is written at or beyond cap, and the buffer is a
 * string; cap = length + 1 gives the document. */
static void
test_caps(void **state)
{
	size_t len, cap, i;
	int n;

	(void)state;
	n = atom_write(&feed, ents, 3, doc, BIG);
	assert_true(n > 0);
	len = (size_t)n;
	for (cap = 0; cap <= len + 1; cap++) {
		char *b = malloc(cap + 16);

		assert_non_null(b);
		memset(b, 0xA5, cap + 16);
		n = atom_write(&feed, ents, 3, b, cap);
		if (cap <= len) {
			assert_int_equal(n, LD_ELIMIT);
			if (cap > 0)
				assert_true(memchr(b, '\0', cap) != NULL);
		} else {
			assert_int_equal(n, (int)len);
			assert_string_equal(b, doc);
		}
		for (i = cap; i < cap + 16; i++)
			assert_int_equal((unsigned char)b[i], 0xA5);
		free(b);
	}
}

/* Title of a given length in bytes: l ASCII letters on the first line. */
static const char *
title_of(const char *text, const char *title)
{
	static char t[4096];
	struct ld_atom_entry e = ents[1];

	snprintf(e.text, sizeof(e.text), "%s", text);
	snprintf(e.title, sizeof(e.title), "%s", title);
	assert_true(atom_write(&feed, &e, 1, doc, BIG) > 0);
	assert_true(xc_check(doc, xc));
	return xc_text(xc, "feed/entry/title", 0, t, sizeof(t));
}

static void
test_titles(void **state)
{
	char text[LD_TEXT_MAX + 1], want[ATOM_TITLE_MAX + 8];
	const char *got;
	size_t i;

	(void)state;
	/* the given title wins */
	assert_string_equal(title_of("text", "given"), "given");
	/* the first line, blanks around it dropped */
	assert_string_equal(title_of("\n \t first line  \r\nsecond", ""),
	    "first line");
	/* a blank title: the text */
	assert_string_equal(title_of("from the text", " \t"),
	    "from the text");
	/* no text: the ticket */
	assert_string_equal(title_of(" \n ", ""), "XA-2011-000042");
	/* exactly ATOM_TITLE_MAX bytes: whole */
	memset(text, 'a', ATOM_TITLE_MAX);
	strcpy(text + ATOM_TITLE_MAX, "\nmore");
	memcpy(want, text, ATOM_TITLE_MAX);
	want[ATOM_TITLE_MAX] = '\0';
	assert_string_equal(title_of(text, ""), want);
	/* one more: cut to ATOM_TITLE_MAX - 3 and "…" */
	memset(text, 'a', ATOM_TITLE_MAX + 1);
	text[ATOM_TITLE_MAX + 1] = '\0';
	memset(want, 'a', ATOM_TITLE_MAX - 3);
	strcpy(want + ATOM_TITLE_MAX - 3, "…");
	got = title_of(text, "");
	assert_string_equal(got, want);
	assert_int_equal(strlen(got), ATOM_TITLE_MAX);
	/* Chinese (3 bytes each): 65 characters (195 bytes) and "…" */
	text[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(text, "洛");
	want[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(want, "洛");
	strcat(want, "…");
	got = title_of(text, "");
	assert_string_equal(got, want);
	assert_true(utf8_valid(got, strlen(got), NULL));
	/* 66 characters (198 bytes) fit whole */
	text[66 * 3] = '\0';
	assert_string_equal(title_of(text, ""), text);
	/* a given title of invalid bytes grows (3 bytes each) and is cut */
	memset(text, 0xFF, ATOM_TITLE_MAX);
	text[ATOM_TITLE_MAX] = '\0';
	want[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(want, "\xEF\xBF\xBD");
	strcat(want, "…");
	assert_string_equal(title_of("x", text), want);
	/* a title field without its NUL is read up to its size only */
	{
		struct ld_atom_entry e = ents[1];

		memset(e.title, 'b', sizeof(e.title));
		memset(e.origin, 'C', sizeof(e.origin));
		memset(e.ticket, 'D', sizeof(e.ticket));
		memset(e.channel, 'E', sizeof(e.channel));
		memset(e.area, 'F', sizeof(e.area));
		memset(e.text, 'G', sizeof(e.text));
		assert_true(atom_write(&feed, &e, 1, doc, BIG) > 0);
		assert_true(xc_check(doc, xc));
		assert_int_equal(strlen(xc_find(xc, "feed/entry/title",
		    0)->text), ATOM_TITLE_MAX);
		assert_int_equal(strlen(xc_find(xc, "feed/entry/content",
		    0)->text), sizeof(e.text));
	}
}

static void
test_time(void **state)
{
	char t[32];

	(void)state;
	atom_time(ltime_parse("2011-11-16 11:05:00"), t, sizeof(t));
	assert_string_equal(t, "2011-11-16T03:05:00Z");
	atom_time(0, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	atom_time(999, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	atom_time(-1, t, sizeof(t));		/* clamped */
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	atom_time(951782400000LL, t, sizeof(t));	/* leap day of 2000 */
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	atom_time(1330559999999LL, t, sizeof(t));
	assert_string_equal(t, "2012-02-29T23:59:59Z");
	atom_time(ltime_parse("2012-01-01 07:59:59"), t, sizeof(t));
	assert_string_equal(t, "2011-12-31T23:59:59Z");
	atom_time(LD_TIME_MAX, t, sizeof(t));
	assert_string_equal(t, "9999-12-31T23:59:59Z");
	atom_time(INT64_MAX, t, sizeof(t));	/* clamped */
	assert_string_equal(t, "9999-12-31T23:59:59Z");
	atom_time(0, t, 21);		/* the size the header promises */
	assert_int_equal(strlen(t), 20);
}

/* The checker itself refuses what is not well-formed. */
static void
test_checker(void **state)
{
	static const char *bad[] = {
		"<a>",
		"<a></b>",
		"<a><b></a></b>",
		"<a x=1/>",
		"<a x=\"1/>",
		"<a>&</a>",
		"<a>&foo;</a>",
		"<a>&#;</a>",
		"<a>a > b</a>",
		"<a>\x01</a>",
		"<a>\xff</a>",
		"<a/><b/>",
		"text<a/>",
		"<a x=\"<\"/>",
	};
	char d[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(d, sizeof(d), "<?xml version=\"1.0\" "
		    "encoding=\"utf-8\"?>\n%s", bad[i]);
		assert_false(xc_check(d, xc));
	}
	assert_true(xc_check("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<a x='1' y=\"&amp;&#10;&#x41;\"><b>&lt;</b><c/></a>\n", xc));
	assert_int_equal(xc->n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_titles, setup, teardown),
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_checker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
