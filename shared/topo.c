/*
 * topo.c - reading a topology file (see topo.h, docs/topology.md).
 *
 * Two phases.  First inih reads the lines through topo_reader, which
 * numbers them, refuses lines that are too long or not UTF-8, and notes
 * section headers itself (so that empty sections and repeated ones are
 * seen too); the handler stores every key of the current section.  Then
 * the sections become the typed objects of struct ld_topo, every value is
 * checked and every reference resolved, and topo_check_all (topo_check.c)
 * checks the file as a whole.  Every problem becomes a diagnostic; none
 * stops the reading.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"
#include "utf8.h"

/* Shared by topo.c, topo_check.c (declared identically in both). */
void topo_diag(struct ld_topo *t, int line, bool warning, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
void topo_check_all(struct ld_topo *t, const bool *has_parent);
bool topo_valid_id(const char *s);
bool topo_valid_node_id(const char *s);
bool topo_parse_duration(const char *s, int64_t *ms);
bool topo_valid_endpoint(const char *s);
bool topo_valid_z85(const char *s);

#define TOPO_FILE_MAX (4 << 20)	/* bytes in one file */
#define TOPO_LINE_MAX 4096	/* bytes in one line */
#define TOPO_KIND_MAX 4096	/* sections of one kind */
#define TOPO_KEYS_MAX 64	/* keys in one section */
#define TOPO_KEYNAME_MAX 49	/* inih keeps 49 bytes of a key name */

enum topo_kind { TK_FEDERATION, TK_NODE, TK_AREA, TK_UNIT, TK_CATEGORY,
	TK_RULE, TK_DEFAULT, TK_PLAN, TK_CLIENT, TK_N };

static const char *const topo_kind_name[TK_N] = { "federation", "node",
	"area", "unit", "category", "rule", "default", "plan", "client" };

static const char *const topo_kind_keys[TK_N][9] = {
	[TK_FEDERATION] = { "name" },
	[TK_NODE] = { "name", "level", "parent", "peer", "client",
		"public_key", "status", "areas" },
	[TK_AREA] = { "name" },
	[TK_UNIT] = { "name", "node", "categories" },
	[TK_CATEGORY] = { "name", "urgency.1", "urgency.2", "urgency.3",
		"urgency.4", "urgency.5" },
	[TK_RULE] = { "category", "areas", "units" },
	[TK_DEFAULT] = { "category", "unit", "sign", "complete", "settle" },
	[TK_PLAN] = { "name", "category", "units", "report_gov",
		"channels" },
	[TK_CLIENT] = { "name", "role", "node", "unit", "public_key" },
};

struct topo_ent {
	char key[TOPO_KEYNAME_MAX + 1];
	char *val;
	int line;
};

struct topo_sec {
	int kind;
	char id[LD_ID_MAX + 1];
	int line;
	int slot;		/* index in its ld_topo array, -1: dropped */
	int n, cap;
	struct topo_ent *ents;
};

struct topo_idx {
	const char *id;
	int sec;
};

struct topo_ctx {
	struct ld_topo *t;
	const char *text;
	size_t len, pos;
	int lineno;
	bool want_key, got_key;	/* the last line must be key = value */
	struct topo_sec *secs;
	int n_secs, cap_secs;
	int cur;		/* current section, -1: none, -2: ignored */
	int per_kind[TK_N];
	struct topo_idx *idx[TK_N];	/* sorted by id, unique */
	int n_idx[TK_N];
	int *area_line;		/* line of the areas key that owns it */
	bool *has_parent;
	bool nomem;
};

/* Make msg printable: control characters, and bytes of UTF-8 sequences
 * cut by a precision in a format, become '?'. */
static void
topo_clean(char *msg)
{
	unsigned char *p = (unsigned char *)msg;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

		if (*p < 0x20 || *p == 0x7f || strnlen((char *)p, n) < n ||
		    !utf8_valid((char *)p, n, NULL)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* Record one diagnostic (line 0: the whole file); keeps the first
 * LD_TOPO_DIAG_MAX, counts all.  Made printable by topo_clean. */
void
topo_diag(struct ld_topo *t, int line, bool warning, const char *fmt, ...)
{
	struct ld_topo_diag *d;
	va_list ap;

	if (warning)
		t->n_warnings++;
	else
		t->n_errors++;
	if (t->n_diags >= LD_TOPO_DIAG_MAX)
		return;
	if (t->n_diags == 0 || (t->n_diags >= 8 &&
	    (t->n_diags & (t->n_diags - 1)) == 0)) {	/* 8, 16, 32, ... */
		size_t cap = t->n_diags ? (size_t)t->n_diags * 2 : 8;

		if (cap > LD_TOPO_DIAG_MAX)
			cap = LD_TOPO_DIAG_MAX;
		if ((d = realloc(t->diags, cap * sizeof(*d))) == NULL)
			return;
		t->diags = d;
	}
	d = &t->diags[t->n_diags++];
	d->line = line;
	d->warning = warning;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	topo_clean(d->msg);
}

static void
topo_nomem(struct topo_ctx *c)
{
	if (!c->nomem)
		topo_diag(c->t, 0, false, "out of memory");
	c->nomem = true;
}

/* A line that should have been "key = value" but inih found none. */
static void
topo_line_done(struct topo_ctx *c)
{
	if (c->want_key && !c->got_key)
		topo_diag(c->t, c->lineno, false,
		    "expected '[kind id]', 'key = value' or a comment");
	c->want_key = c->got_key = false;
}

/* The kind of a section header's first word; -1 if unknown. */
static int
topo_kind_of(const char *w, size_t n)
{
	for (int k = 0; k < TK_N; k++)
		if (strlen(topo_kind_name[k]) == n &&
		    memcmp(topo_kind_name[k], w, n) == 0)
			return k;
	return -1;
}

/* Start section (kind, id) at the current line; -2 if it is ignored. */
static int
topo_sec_add(struct topo_ctx *c, int kind, const char *id)
{
	struct topo_sec *s;

	if (++c->per_kind[kind] > TOPO_KIND_MAX) {
		if (c->per_kind[kind] == TOPO_KIND_MAX + 1)
			topo_diag(c->t, c->lineno, false, "more than %d [%s] "
			    "sections", TOPO_KIND_MAX, topo_kind_name[kind]);
		return -2;
	}
	if (c->n_secs == c->cap_secs) {
		int cap = c->cap_secs ? c->cap_secs * 2 : 64;

		s = realloc(c->secs, (size_t)cap * sizeof(*s));
		if (s == NULL) {
			topo_nomem(c);
			return -2;
		}
		c->secs = s;
		c->cap_secs = cap;
	}
	s = &c->secs[c->n_secs];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->line = c->lineno;
	s->slot = -1;
	return c->n_secs++;
}

/* Check the header "[...]" text between the brackets; start its section. */
static int
topo_header(struct topo_ctx *c, const char *h, size_t n)
{
	char id[LD_ID_MAX + 2];
	size_t w = 0, i;
	int kind;
	bool ok;

	while (n > 0 && isspace((unsigned char)h[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*h))
		h++, n--;
	while (w < n && !isspace((unsigned char)h[w]))
		w++;
	if ((kind = topo_kind_of(h, w)) < 0) {
		topo_diag(c->t, c->lineno, false, "[%.*s] unknown section kind "
		    "'%.*s'", (int)(n > 64 ? 64 : n), h, (int)(w > 32 ? 32 : w),
		    h);
		return -2;
	}
	for (i = w; i < n && isspace((unsigned char)h[i]); i++)
		;
	if (kind == TK_FEDERATION) {
		if (i < n) {
			topo_diag(c->t, c->lineno, false, "[%.*s] federation "
			    "takes no id", (int)(n > 64 ? 64 : n), h);
			return -2;
		}
		return topo_sec_add(c, kind, "");
	}
	if (i == n) {
		topo_diag(c->t, c->lineno, false, "[%s] missing id",
		    topo_kind_name[kind]);
		return -2;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(n - i > LD_ID_MAX + 1 ?
	    LD_ID_MAX + 1 : n - i), h + i);
	ok = kind == TK_NODE ? topo_valid_node_id(id) : topo_valid_id(id);
	if (!ok || strlen(id) != n - i) {
		topo_diag(c->t, c->lineno, false, "[%.*s] '%.*s' is not %s",
		    (int)(n > 64 ? 64 : n), h, (int)(n - i > 40 ? 40 : n - i),
		    h + i, kind == TK_NODE ? "a node id ([A-Z][A-Z0-9]{0,7})" :
		    "an id ([a-z0-9][a-z0-9._-]{0,31})");
		return -2;
	}
	return topo_sec_add(c, kind, id);
}

/* Note what kind of line s[0..n) is, before inih parses it. */
static void
topo_classify(struct topo_ctx *c, const char *s, size_t n)
{
	size_t i = 0, j;

	if (c->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i == n || s[i] == ';' || s[i] == '#')
		return;
	if (s[i] != '[') {
		c->want_key = true;
		return;
	}
	/* inih's rule: up to ']' or an inline comment (" ;"). */
	for (j = i + 1; j < n && s[j] != ']'; j++)
		if (s[j] == ';' && isspace((unsigned char)s[j - 1]))
			break;
	if (j == n || s[j] != ']') {
		topo_diag(c->t, c->lineno, false, "section header without ']'");
		c->cur = -2;
		return;
	}
	c->cur = topo_header(c, s + i + 1, j - i - 1);
	for (j++; j < n && isspace((unsigned char)s[j]); j++)
		;
	if (j < n && s[j] != ';' && s[j] != '#')
		topo_diag(c->t, c->lineno, false, "text after ']'");
}

/* inih's fgets: one line per call, counted; a line that is too long or
 * not UTF-8 is reported and read as an empty line. */
static char *
topo_reader(char *str, int num, void *stream)
{
	struct topo_ctx *c = stream;
	const char *s, *nl;
	size_t n, bad, lead = 0;

	topo_line_done(c);
	if (c->pos >= c->len || c->nomem)
		return NULL;
	s = c->text + c->pos;
	nl = memchr(s, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - s) : c->len - c->pos;
	c->pos += n + (nl != NULL);
	c->lineno++;
	str[0] = '\0';
	while (n > 0 && isspace((unsigned char)*s) && *s != '\n')
		s++, n--, lead++;
	if (n > 0 && *s == '[')	/* a header we cannot read: skip its keys */
		c->cur = -2;
	if (n > TOPO_LINE_MAX || n + 2 > (size_t)num) {
		topo_diag(c->t, c->lineno, false, "line longer than %d bytes",
		    TOPO_LINE_MAX);
		return str;
	}
	if (!utf8_valid(s, n, &bad)) {
		topo_diag(c->t, c->lineno, false, "not UTF-8 text (byte %zu "
		    "of the line)", lead + bad + 1);
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	topo_classify(c, s, n);
	return str;
}

/* inih's handler: store key = value in the current section. */
static int
topo_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct topo_ctx *c = user;
	struct topo_sec *s;
	struct topo_ent *e;

	(void)section;
	c->got_key = true;
	if (c->cur == -1) {
		topo_diag(c->t, c->lineno, false, "%.49s: outside any section",
		    name);
		c->cur = -2;
	}
	if (c->cur < 0)
		return 1;
	s = &c->secs[c->cur];
	if (s->n == TOPO_KEYS_MAX) {
		topo_diag(c->t, c->lineno, false, "[%s %s] more than %d keys",
		    topo_kind_name[s->kind], s->id, TOPO_KEYS_MAX);
		c->cur = -2;
		return 1;
	}
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 8;

		if ((e = realloc(s->ents, (size_t)cap * sizeof(*e))) == NULL) {
			topo_nomem(c);
			return 1;
		}
		s->ents = e;
		s->cap = cap;
	}
	e = &s->ents[s->n];
	snprintf(e->key, sizeof(e->key), "%s", name);
	e->line = c->lineno;
	if ((e->val = strdup(value)) == NULL) {
		topo_nomem(c);
		return 1;
	}
	s->n++;
	return 1;
}

/* Phase one: lines, sections and keys. */
static void
topo_read(struct topo_ctx *c)
{
	int rc;

	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = ini_max_line = TOPO_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = false;
	c->cur = -1;
	rc = ini_parse_stream(topo_reader, c, topo_handler, c);
	if (rc == -2)
		topo_nomem(c);
	else if (rc > 0 && c->t->n_errors == 0)
		topo_diag(c->t, rc, false, "syntax error");
}


/* A diagnostic about section s: "[kind id] " and the message. */
static void __attribute__((format(printf, 5, 6)))
topo_sdiag(struct topo_ctx *c, const struct topo_sec *s, int line,
    bool warning, const char *fmt, ...)
{
	char msg[LD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	topo_diag(c->t, line, warning, "[%s%s%s] %s", topo_kind_name[s->kind],
	    s->id[0] ? " " : "", s->id, msg);
}

static int
topo_idx_cmp(const void *a, const void *b)
{
	const struct topo_idx *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	return r ? r : (x->sec > y->sec) - (x->sec < y->sec);
}

/* Sort one kind's sections by id; drop (and report) repeated ones. */
static bool
topo_index_kind(struct topo_ctx *c, int kind)
{
	struct topo_idx *ix;
	int n = 0, u = 0;

	if (c->per_kind[kind] == 0)
		return true;
	ix = malloc((size_t)c->per_kind[kind] * sizeof(*ix));
	if (ix == NULL)
		return false;
	for (int i = 0; i < c->n_secs; i++)
		if (c->secs[i].kind == kind)
			ix[n++] = (struct topo_idx){ c->secs[i].id, i };
	qsort(ix, (size_t)n, sizeof(*ix), topo_idx_cmp);
	for (int i = 0; i < n; i++) {
		if (u > 0 && strcmp(ix[u - 1].id, ix[i].id) == 0) {
			struct topo_sec *s = &c->secs[ix[i].sec];

			s->slot = -2;
			topo_sdiag(c, s, s->line, false, "duplicate: already "
			    "defined at line %d", c->secs[ix[u - 1].sec].line);
			continue;
		}
		ix[u++] = ix[i];
	}
	c->idx[kind] = ix;
	c->n_idx[kind] = u;
	return true;
}

/* The slot of (kind, id); -1 if there is none. */
static int
topo_find(const struct topo_ctx *c, int kind, const char *id)
{
	struct topo_idx key = { id, -1 }, *f;
	int lo = 0, hi = c->n_idx[kind];

	while (lo < hi) {	/* first entry >= id */
		int mid = lo + (hi - lo) / 2;

		if (topo_idx_cmp(&c->idx[kind][mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n_idx[kind])
		return -1;
	f = &c->idx[kind][lo];
	return strcmp(f->id, id) == 0 ? c->secs[f->sec].slot : -1;
}

/* Allocate n zeroed elements of size sz (NULL for none); false if out of
 * memory. */
static bool
topo_alloc(void *pp, int n, size_t sz)
{
	void **p = pp;

	*p = n > 0 ? calloc((size_t)n, sz) : NULL;
	return n == 0 || *p != NULL;
}

/* Give every kept section its slot; allocate the arrays; copy ids. */
static bool
topo_slots(struct topo_ctx *c)
{
	struct ld_topo *t = c->t;
	int cnt[TK_N] = { 0 };

	for (int k = 0; k < TK_N; k++)
		if (!topo_index_kind(c, k))
			return false;
	for (int i = 0; i < c->n_secs; i++)
		if (c->secs[i].slot == -1)
			c->secs[i].slot = cnt[c->secs[i].kind]++;
	if (!topo_alloc(&t->nodes, cnt[TK_NODE], sizeof(*t->nodes)) ||
	    !topo_alloc(&t->areas, cnt[TK_AREA], sizeof(*t->areas)) ||
	    !topo_alloc(&t->units, cnt[TK_UNIT], sizeof(*t->units)) ||
	    !topo_alloc(&t->categories, cnt[TK_CATEGORY],
	    sizeof(*t->categories)) ||
	    !topo_alloc(&t->rules, cnt[TK_RULE], sizeof(*t->rules)) ||
	    !topo_alloc(&t->defaults, cnt[TK_DEFAULT], sizeof(*t->defaults)) ||
	    !topo_alloc(&t->plans, cnt[TK_PLAN], sizeof(*t->plans)) ||
	    !topo_alloc(&t->clients, cnt[TK_CLIENT], sizeof(*t->clients)) ||
	    !topo_alloc(&c->area_line, cnt[TK_AREA], sizeof(int)) ||
	    !topo_alloc(&c->has_parent, cnt[TK_NODE], sizeof(bool)))
		return false;
	t->n_nodes = cnt[TK_NODE];
	t->n_areas = cnt[TK_AREA];
	t->n_units = cnt[TK_UNIT];
	t->n_categories = cnt[TK_CATEGORY];
	t->n_rules = cnt[TK_RULE];
	t->n_defaults = cnt[TK_DEFAULT];
	t->n_plans = cnt[TK_PLAN];
	t->n_clients = cnt[TK_CLIENT];
	for (int i = 0; i < t->n_areas; i++)
		t->areas[i].node = -1;
	return true;
}

/* Report unknown and repeated keys of s. */
static void
topo_keys(struct topo_ctx *c, const struct topo_sec *s)
{
	for (int j = 0; j < s->n; j++) {
		const struct topo_ent *e = &s->ents[j];
		bool known = false;

		for (int k = 0; k < 9 && topo_kind_keys[s->kind][k]; k++)
			if (strcmp(topo_kind_keys[s->kind][k], e->key) == 0)
				known = true;
		if (!known) {
			topo_sdiag(c, s, e->line, false, "%s: unknown key",
			    e->key);
			continue;
		}
		for (int k = 0; k < j; k++)
			if (strcmp(s->ents[k].key, e->key) == 0) {
				topo_sdiag(c, s, e->line, false, "%s: repeated "
				    "(first at line %d)", e->key,
				    s->ents[k].line);
				break;
			}
	}
}

/* The first key of s named key; NULL (reported if required) if none. */
static struct topo_ent *
topo_get(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool required)
{
	for (int j = 0; j < s->n; j++)
		if (strcmp(s->ents[j].key, key) == 0)
			return &s->ents[j];
	if (required)
		topo_sdiag(c, s, s->line, false, "%s: missing", key);
	return NULL;
}

/* The display name (required) into dst[LD_TOPO_NAME_MAX + 1]. */
static void
topo_name(struct topo_ctx *c, const struct topo_sec *s, char *dst)
{
	const struct topo_ent *e = topo_get(c, s, "name", true);

	if (e == NULL)
		return;
	if (e->val[0] == '\0')
		topo_sdiag(c, s, e->line, false, "name: empty");
	else if (strlen(e->val) > LD_TOPO_NAME_MAX)
		topo_sdiag(c, s, e->line, false, "name: longer than %d bytes",
		    LD_TOPO_NAME_MAX);
	else
		strcpy(dst, e->val);
}

/* The slot of the kind object called id, named by key e; -1 (reported)
 * if there is none. */
static int
topo_ref(struct topo_ctx *c, const struct topo_sec *s,
    const struct topo_ent *e, int kind, const char *id)
{
	int i = topo_find(c, kind, id);

	if (i < 0)
		topo_sdiag(c, s, e->line, false, "%s: unknown %s '%.40s'",
		    e->key, topo_kind_name[kind], id);
	return i;
}

/* Split the list of e (in place) into at most max trimmed items. */
static int
topo_split(struct topo_ctx *c, const struct topo_sec *s, struct topo_ent *e,
    char **items, int max)
{
	char *p = e->val, *comma, *end;
	int n = 0;

	do {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0') {
			topo_sdiag(c, s, e->line, false, "%s: empty entry",
			    e->key);
			return n;
		}
		if (n == max) {
			topo_sdiag(c, s, e->line, false, "%s: more than %d "
			    "entries", e->key, max);
			return n;
		}
		for (int i = 0; i < n; i++)
			if (strcmp(items[i], p) == 0) {
				topo_sdiag(c, s, e->line, false, "%s: '%.40s' "
				    "listed twice", e->key, p);
				p = NULL;
				break;
			}
		if (p != NULL)
			items[n++] = p;
		if (comma != NULL)
			p = comma + 1;
	} while (comma != NULL);
	return n;
}

/* Resolve the list of kind ids under key into out[max]; returns the count
 * of known ones; -1 if the key is absent. */
static int
topo_refs(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool required, int kind, int *out, int max)
{
	struct topo_ent *e = topo_get(c, s, key, required);
	char *items[LD_TOPO_LIST_MAX];
	int n, k = 0;

	if (e == NULL)
		return -1;
	n = topo_split(c, s, e, items, max);
	for (int i = 0; i < n; i++)
		if ((out[k] = topo_ref(c, s, e, kind, items[i])) >= 0)
			k++;
	return k;
}

/* One reference under key: its slot, or -1 (reported) if absent or
 * unknown. */
static int
topo_ref_key(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool required, int kind)
{
	const struct topo_ent *e = topo_get(c, s, key, required);

	return e ? topo_ref(c, s, e, kind, e->val) : -1;
}

/* yes|no under key (absent: dst unchanged). */
static void
topo_bool(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool *dst)
{
	const struct topo_ent *e = topo_get(c, s, key, false);

	if (e == NULL)
		return;
	if (strcmp(e->val, "yes") == 0 || strcmp(e->val, "no") == 0)
		*dst = e->val[0] == 'y';
	else
		topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not yes or "
		    "no", key, e->val);
}

/* One of names(0 .. n-1) under key: its number, or -1 (reported). */
static int
topo_enum(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    const char *(*names)(int), int first, int last, const char *expect)
{
	const struct topo_ent *e = topo_get(c, s, key, true);

	if (e == NULL)
		return -1;
	for (int i = first; i <= last; i++)
		if (strcmp(e->val, names(i)) == 0)
			return i;
	topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not %s", key, e->val,
	    expect);
	return -1;
}

/* A required duration under key, into *ms. */
static void
topo_dur(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    int64_t *ms)
{
	const struct topo_ent *e = topo_get(c, s, key, true);

	if (e != NULL && !topo_parse_duration(e->val, ms))
		topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not a "
		    "duration from 1m to 365d (30m, 1h, 1h30m, 2d)", key,
		    e->val);
}

/* An endpoint under key into dst[LD_TOPO_EP_MAX + 1]. */
static void
topo_ep(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool required, char *dst)
{
	const struct topo_ent *e = topo_get(c, s, key, required);

	if (e == NULL)
		return;
	if (topo_valid_endpoint(e->val))
		strcpy(dst, e->val);
	else
		topo_sdiag(c, s, e->line, false, "%s: '%.64s' is not an "
		    "endpoint tcp://HOST:PORT", key, e->val);
}

/* The public key into dst[LD_TOPO_KEY_Z85 + 1]. */
static void
topo_pubkey(struct topo_ctx *c, const struct topo_sec *s, char *dst)
{
	const struct topo_ent *e = topo_get(c, s, "public_key", true);

	if (e == NULL)
		return;
	if (topo_valid_z85(e->val))
		strcpy(dst, e->val);
	else
		topo_sdiag(c, s, e->line, false, "public_key: not a Z85 CURVE "
		    "key (40 characters of the Z85 alphabet)");
}

/* The areas of node slot ni: it owns each one no other node listed. */
static void
topo_node_areas(struct topo_ctx *c, const struct topo_sec *s, int ni)
{
	struct ld_topo *t = c->t;
	const struct topo_ent *e = topo_get(c, s, "areas", false);
	int a[LD_TOPO_LIST_MAX], n;

	n = topo_refs(c, s, "areas", false, TK_AREA, a, LD_TOPO_LIST_MAX);
	for (int i = 0; i < n; i++) {
		struct ld_topo_area *ar = &t->areas[a[i]];

		if (ar->node < 0) {
			ar->node = ni;
			c->area_line[a[i]] = e->line;
			continue;
		}
		topo_diag(t, e->line, false, "[area %s] listed by nodes %s "
		    "(line %d) and %s (line %d)", ar->id, t->nodes[ar->node].id,
		    c->area_line[a[i]], s->id, e->line);
	}
}

static void
topo_build_node(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_node *n = &c->t->nodes[i];
	const struct topo_ent *e;

	topo_name(c, s, n->name);
	n->level = topo_enum(c, s, "level", topo_level_name, LD_TL_PROVINCE,
	    LD_TL_TOWN, "province, city, county or town");
	n->parent = -1;
	if (topo_get(c, s, "parent", false) != NULL) {
		c->has_parent[i] = true;
		n->parent = topo_ref_key(c, s, "parent", false, TK_NODE);
	}
	topo_ep(c, s, "peer", false, n->peer);
	topo_ep(c, s, "client", true, n->client);
	topo_pubkey(c, s, n->public_key);
	n->running = true;
	if ((e = topo_get(c, s, "status", false)) != NULL) {
		if (strcmp(e->val, "running") != 0 &&
		    strcmp(e->val, "planned") != 0)
			topo_sdiag(c, s, e->line, false, "status: '%.40s' is "
			    "not running or planned", e->val);
		n->running = strcmp(e->val, "planned") != 0;
	}
	topo_node_areas(c, s, i);
}

static void
topo_build_unit(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_unit *u = &c->t->units[i];

	topo_name(c, s, u->name);
	u->node = topo_ref_key(c, s, "node", true, TK_NODE);
	u->n_categories = topo_refs(c, s, "categories", false, TK_CATEGORY,
	    u->categories, LD_TOPO_LIST_MAX);
	if (u->n_categories < 0)
		u->n_categories = 0;
}

/* "sign DUR, complete DUR" into *l: 0, or 1 (form), 2 (sign), 3
 * (complete) for what is wrong. */
static int
topo_parse_limit(const char *v, struct ld_topo_limit *l)
{
	char sign[32], complete[32], rest[2];

	if (strlen(v) > 64 || sscanf(v, " sign %31[^, \t] , complete %31s "
	    "%1s", sign, complete, rest) != 2)
		return 1;
	if (!topo_parse_duration(sign, &l->sign_ms))
		return 2;
	if (!topo_parse_duration(complete, &l->complete_ms))
		return 3;
	return 0;
}

static void
topo_build_category(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_category *cat = &c->t->categories[i];
	char key[24], a[24], b[24];

	topo_name(c, s, cat->name);
	for (int u = 1; u <= LD_URGENCY_MAX; u++) {
		struct ld_topo_limit *l = &cat->limit[u], tmp = { 0, 0 };
		const struct topo_ent *e;
		int r;

		snprintf(key, sizeof(key), "urgency.%d", u);
		if ((e = topo_get(c, s, key, u == 1)) == NULL)
			continue;
		if ((r = topo_parse_limit(e->val, &tmp)) != 0) {
			topo_sdiag(c, s, e->line, false, r == 1 ? "%s: '%.40s' "
			    "is not 'sign DUR, complete DUR'" : "%s: '%.40s': "
			    "a duration is not from 1m to 365d", key, e->val);
			continue;
		}
		*l = tmp;
		if (l->sign_ms > l->complete_ms) {
			topo_format_duration(l->sign_ms, a, sizeof(a));
			topo_format_duration(l->complete_ms, b, sizeof(b));
			topo_sdiag(c, s, e->line, false, "%s: sign %s is longer "
			    "than complete %s", key, a, b);
		}
	}
}

/* areas = * | AREA, ... */
static void
topo_rule_areas(struct topo_ctx *c, const struct topo_sec *s,
    struct ld_topo_rule *r)
{
	const struct topo_ent *e = topo_get(c, s, "areas", true);
	const char *p;

	if (e == NULL)
		return;
	for (p = e->val; isspace((unsigned char)*p); p++)
		;
	if (p[0] == '*' && p[1] == '\0') {
		r->all_areas = true;
		return;
	}
	if (strchr(e->val, '*') != NULL) {
		topo_sdiag(c, s, e->line, false, "areas: '*' stands alone "
		    "(every area)");
		return;
	}
	r->n_areas = topo_refs(c, s, "areas", true, TK_AREA, r->areas,
	    LD_TOPO_LIST_MAX);
}

static void
topo_build_rule(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_rule *r = &c->t->rules[i];

	r->category = topo_ref_key(c, s, "category", true, TK_CATEGORY);
	topo_rule_areas(c, s, r);
	r->n_units = topo_refs(c, s, "units", true, TK_UNIT, r->units,
	    LD_UNITS_MAX);
	if (r->n_units < 0)
		r->n_units = 0;
}

static void
topo_build_default(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_default *d = &c->t->defaults[i];
	char a[24], b[24];

	d->category = topo_ref_key(c, s, "category", true, TK_CATEGORY);
	d->unit = topo_ref_key(c, s, "unit", true, TK_UNIT);
	topo_dur(c, s, "sign", &d->sign_ms);
	topo_dur(c, s, "complete", &d->complete_ms);
	topo_bool(c, s, "settle", &d->settle);
	if (d->sign_ms > d->complete_ms && d->complete_ms > 0) {
		topo_format_duration(d->sign_ms, a, sizeof(a));
		topo_format_duration(d->complete_ms, b, sizeof(b));
		topo_sdiag(c, s, s->line, false, "sign %s is longer than "
		    "complete %s", a, b);
	}
}

/* channels = ID, ... */
static void
topo_plan_channels(struct topo_ctx *c, const struct topo_sec *s,
    struct ld_topo_plan *p)
{
	struct topo_ent *e = topo_get(c, s, "channels", false);
	char *items[LD_UNITS_MAX];
	int n;

	if (e == NULL)
		return;
	n = topo_split(c, s, e, items, LD_UNITS_MAX);
	for (int i = 0; i < n; i++) {
		if (!topo_valid_id(items[i])) {
			topo_sdiag(c, s, e->line, false, "channels: '%.40s' is "
			    "not an id ([a-z0-9][a-z0-9._-]{0,31})", items[i]);
			continue;
		}
		strcpy(p->channels[p->n_channels++], items[i]);
	}
}

static void
topo_build_plan(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_plan *p = &c->t->plans[i];

	topo_name(c, s, p->name);
	p->category = topo_ref_key(c, s, "category", true, TK_CATEGORY);
	p->n_units = topo_refs(c, s, "units", true, TK_UNIT, p->units,
	    LD_UNITS_MAX);
	if (p->n_units < 0)
		p->n_units = 0;
	topo_bool(c, s, "report_gov", &p->report_gov);
	topo_plan_channels(c, s, p);
}

static void
topo_build_client(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_client *cl = &c->t->clients[i];
	const struct topo_ent *e;

	topo_name(c, s, cl->name);
	cl->role = topo_enum(c, s, "role", topo_role_name, LD_ROLE_OPERATOR,
	    LD_ROLE_ADMIN, "operator, unit or admin");
	cl->node = topo_ref_key(c, s, "node", true, TK_NODE);
	cl->unit = -1;
	if (cl->role == LD_ROLE_UNIT)
		cl->unit = topo_ref_key(c, s, "unit", true, TK_UNIT);
	else if ((e = topo_get(c, s, "unit", false)) != NULL)
		topo_sdiag(c, s, e->line, false, "unit: only a client of role "
		    "unit has one");
	topo_pubkey(c, s, cl->public_key);
}

/* Phase two: every kept section into its object. */
static void
topo_build(struct topo_ctx *c)
{
	struct ld_topo *t = c->t;

	for (int i = 0; i < c->n_secs; i++) {
		struct topo_sec *s = &c->secs[i];

		if (s->slot < 0)
			continue;
		topo_keys(c, s);
		switch (s->kind) {
		case TK_FEDERATION:
			topo_name(c, s, t->name);
			break;
		case TK_NODE:
			topo_build_node(c, s, s->slot);
			break;
		case TK_AREA:
			topo_name(c, s, t->areas[s->slot].name);
			break;
		case TK_UNIT:
			topo_build_unit(c, s, s->slot);
			break;
		case TK_CATEGORY:
			topo_build_category(c, s, s->slot);
			break;
		case TK_RULE:
			topo_build_rule(c, s, s->slot);
			break;
		case TK_DEFAULT:
			topo_build_default(c, s, s->slot);
			break;
		case TK_PLAN:
			topo_build_plan(c, s, s->slot);
			break;
		default:
			topo_build_client(c, s, s->slot);
			break;
		}
	}
}

/* Copy ids and lines of the kept sections into their objects. */
static void
topo_ids(struct topo_ctx *c)
{
	struct ld_topo *t = c->t;

	for (int i = 0; i < c->n_secs; i++) {
		const struct topo_sec *s = &c->secs[i];
		char *id = NULL;
		int *line = NULL, k = s->slot;

		if (k < 0)
			continue;
		switch (s->kind) {
		case TK_NODE: id = t->nodes[k].id; line = &t->nodes[k].line;
			break;
		case TK_AREA: id = t->areas[k].id; line = &t->areas[k].line;
			break;
		case TK_UNIT: id = t->units[k].id; line = &t->units[k].line;
			break;
		case TK_CATEGORY: id = t->categories[k].id;
			line = &t->categories[k].line;
			break;
		case TK_RULE: id = t->rules[k].id; line = &t->rules[k].line;
			break;
		case TK_DEFAULT: id = t->defaults[k].id;
			line = &t->defaults[k].line;
			break;
		case TK_PLAN: id = t->plans[k].id; line = &t->plans[k].line;
			break;
		case TK_CLIENT: id = t->clients[k].id;
			line = &t->clients[k].line;
			break;
		default:
			continue;
		}
		strcpy(id, s->id);
		*line = s->line;
	}
}

static void
topo_ctx_free(struct topo_ctx *c)
{
	for (int i = 0; i < c->n_secs; i++) {
		for (int j = 0; j < c->secs[i].n; j++)
			free(c->secs[i].ents[j].val);
		free(c->secs[i].ents);
	}
	free(c->secs);
	for (int k = 0; k < TK_N; k++)
		free(c->idx[k]);
	free(c->area_line);
	free(c->has_parent);
}

static int
topo_diag_cmp(const void *a, const void *b)
{
	const struct ld_topo_diag *x = *(const struct ld_topo_diag *const *)a;
	const struct ld_topo_diag *y = *(const struct ld_topo_diag *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;	/* stable: as found */
}

/* Order the kept diagnostics by line (those of one line as found). */
static void
topo_sort_diags(struct ld_topo *t)
{
	const struct ld_topo_diag **p;
	struct ld_topo_diag *d;

	if (t->n_diags < 2)
		return;
	p = malloc((size_t)t->n_diags * sizeof(*p));
	d = malloc((size_t)t->n_diags * sizeof(*d));
	if (p != NULL && d != NULL) {
		for (int i = 0; i < t->n_diags; i++)
			p[i] = &t->diags[i];
		qsort(p, (size_t)t->n_diags, sizeof(*p), topo_diag_cmp);
		for (int i = 0; i < t->n_diags; i++)
			d[i] = *p[i];
		free(t->diags);
		t->diags = d;
		d = NULL;
	}
	free(p);
	free(d);
}

/* Read text[0..len) into t; the code topo_load returns. */
static int
topo_load_text(struct ld_topo *t, const char *text, size_t len)
{
	struct topo_ctx c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.text = text;
	c.len = len;
	if (len > TOPO_FILE_MAX) {
		topo_diag(t, 0, false, "larger than %d bytes", TOPO_FILE_MAX);
		return LD_EINVAL;
	}
	topo_read(&c);
	if (!c.nomem && !topo_slots(&c))
		topo_nomem(&c);
	if (!c.nomem) {
		topo_ids(&c);
		topo_build(&c);
		if (c.per_kind[TK_FEDERATION] == 0)
			topo_diag(t, 0, false, "no [federation] section");
		topo_check_all(t, c.has_parent);
	}
	topo_ctx_free(&c);
	topo_sort_diags(t);
	if (c.nomem)
		return LD_ENOMEM;
	return t->n_errors > 0 ? LD_EINVAL : 0;
}

static struct ld_topo *
topo_new(const char *name)
{
	struct ld_topo *t = calloc(1, sizeof(*t));

	if (t != NULL)
		snprintf(t->path, sizeof(t->path), "%s", name ? name : "-");
	return t;
}

/* Parse and check text[0..len) (not NUL-terminated); see topo.h. */
int
topo_load_mem(const char *name, const char *text, size_t len,
    struct ld_topo **out)
{
	if ((*out = topo_new(name)) == NULL)
		return LD_ENOMEM;
	return topo_load_text(*out, text ? text : "", text ? len : 0);
}

/* Read and check the file at path; see topo.h. */
int
topo_load(const char *path, struct ld_topo **out)
{
	struct ld_topo *t;
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	if ((*out = t = topo_new(path)) == NULL)
		return LD_ENOMEM;
	if ((f = fopen(path, "rb")) == NULL) {
		topo_diag(t, 0, false, "cannot open: %s", strerror(errno));
		return LD_EIO;
	}
	if ((buf = malloc(TOPO_FILE_MAX + 1)) == NULL) {
		fclose(f);
		topo_diag(t, 0, false, "out of memory");
		return LD_ENOMEM;
	}
	n = fread(buf, 1, TOPO_FILE_MAX + 1, f);
	if (ferror(f)) {
		topo_diag(t, 0, false, "cannot read: %s", strerror(errno));
		rc = LD_EIO;
	} else {
		rc = topo_load_text(t, buf, n);
	}
	fclose(f);
	free(buf);
	return rc;
}

/* Free t and everything it holds; NULL is fine. */
void
topo_free(struct ld_topo *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t->areas);
	free(t->units);
	free(t->categories);
	free(t->rules);
	free(t->defaults);
	free(t->plans);
	free(t->clients);
	free(t->diags);
	free(t);
}

/* "PATH:LINE: error: MSG" per diagnostic, then "PATH: N errors, M
 * warnings"; returns the number of errors. */
int
topo_print_diags(const struct ld_topo *t, FILE *f)
{
	int all = t->n_errors + t->n_warnings;

	for (int i = 0; i < t->n_diags; i++) {
		const struct ld_topo_diag *d = &t->diags[i];
		const char *what = d->warning ? "warning" : "error";

		if (d->line > 0)
			fprintf(f, "%s:%d: %s: %s\n", t->path, d->line, what,
			    d->msg);
		else
			fprintf(f, "%s: %s: %s\n", t->path, what, d->msg);
	}
	fprintf(f, "%s: %d error%s, %d warning%s", t->path, t->n_errors,
	    t->n_errors == 1 ? "" : "s", t->n_warnings,
	    t->n_warnings == 1 ? "" : "s");
	if (all > t->n_diags)
		fprintf(f, " (the first %d shown)", t->n_diags);
	fputc('\n', f);
	return t->n_errors;
}
