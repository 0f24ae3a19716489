/*
 * topo.c - reading a topology file (see topo.h, docs/topology.md): the
 * loading of a file or a buffer, the line reader and the glue to inih,
 * the diagnostics, and topo_free.
 *
 * Two phases.  First inih reads the lines through topo_reader, which
 * numbers them, refuses lines that are too long or not UTF-8, and notes
 * section headers itself (so that empty sections and repeated ones are
 * seen too); the handler stores every key of the current section.  Then
 * the sections are indexed (topo_index.c) and become the typed objects of
 * struct ld_topo, every value is checked and every reference resolved
 * (topo_build.c), and topo_check_all (topo_check.c) checks the file as a
 * whole.  Every problem becomes a diagnostic; none stops the reading.
 * The working-day calendar a topology names is read while building
 * (wcal_load, its problems reported as the topology's); a relative path is
 * taken from the topology file's directory.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "topo_int.h"
#include "utf8.h"
#include "wcal.h"

#define TOPO_FILE_MAX (4 << 20)	/* bytes in one file */
#define TOPO_LINE_MAX 4096	/* bytes in one line */
#define TOPO_KIND_MAX 4096	/* sections of one kind */
#define TOPO_KEYS_MAX 64	/* keys in one section */

const char *const topo_kind_name[TK_N] = { "federation", "node",
	"area", "unit", "category", "rule", "default", "plan", "client",
	"assessment" };

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


void
topo_header_split(const char **h, size_t *n, size_t *kind_len, size_t *id_at)
{
	const char *p = *h;
	size_t len = *n, w = 0, i;

	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*p))
		p++, len--;
	while (w < len && !isspace((unsigned char)p[w]))
		w++;
	for (i = w; i < len && isspace((unsigned char)p[i]); i++)
		;
	*h = p;
	*n = len;
	*kind_len = w;
	*id_at = i;
}

/* Check the header "[...]" text between the brackets; start its section. */
static int
topo_header(struct topo_ctx *c, const char *h, size_t n)
{
	char id[LD_ID_MAX + 2];
	size_t w, i;
	int kind;
	bool ok;

	topo_header_split(&h, &n, &w, &i);
	if ((kind = topo_kind_of(h, w)) < 0) {
		topo_diag(c->t, c->lineno, false, "[%.*s] unknown section kind "
		    "'%.*s'", (int)(n > 64 ? 64 : n), h, (int)(w > 32 ? 32 : w),
		    h);
		return -2;
	}
	if (kind == TK_FEDERATION || kind == TK_ASSESSMENT) {
		if (i < n) {
			topo_diag(c->t, c->lineno, false, "[%.*s] %s takes no "
			    "id", (int)(n > 64 ? 64 : n), h,
			    topo_kind_name[kind]);
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

void
topo_ini_dialect(int line_max)
{
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = ini_max_line = line_max + 3;
	ini_allow_multiline = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = ";";
	ini_start_comment_prefixes = ";#";
}

/* Phase one: lines, sections and keys. */
static void
topo_read(struct topo_ctx *c)
{
	int rc;

	/* the line reader's classification assumes exactly this dialect */
	topo_ini_dialect(TOPO_LINE_MAX);
	c->cur = -1;
	rc = ini_parse_stream(topo_reader, c, topo_handler, c);
	if (rc == -2)
		topo_nomem(c);
	else if (rc > 0 && c->t->n_errors == 0)
		topo_diag(c->t, rc, false, "syntax error");
}

/* A diagnostic about section s: "[kind id] " and the message. */
void
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

/* Read text[0..len) into t, a relative calendar path taken from dir
 * (NULL: the current directory); the code topo_load returns. */
static int
topo_load_text(struct ld_topo *t, const char *dir, const char *text,
    size_t len)
{
	struct topo_ctx c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.dir = dir != NULL && dir[0] != '\0' ? dir : NULL;
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

/* An empty topology named name: Monday to Friday, the default
 * assessment. */
static struct ld_topo *
topo_new(const char *name)
{
	struct ld_topo *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	snprintf(t->path, sizeof(t->path), "%s", name ? name : "-");
	t->cal = wcal_default();
	t->assess = (struct ld_topo_assess){ .w_sign = 20, .w_ontime = 30,
		.w_complete = 20, .w_satisfaction = 30, .p_return = 10,
		.p_urge = 20, .p_supervise = 40, .spot_sample = 2,
		.spot_seed = 2011, .line = 0 };
	return t;
}

/* Parse and check text[0..len) (not NUL-terminated); see topo.h. */
int
topo_load_mem_at(const char *name, const char *dir, const char *text,
    size_t len, struct ld_topo **out)
{
	if ((*out = topo_new(name)) == NULL)
		return LD_ENOMEM;
	return topo_load_text(*out, dir, text ? text : "", text ? len : 0);
}

int
topo_load_mem(const char *name, const char *text, size_t len,
    struct ld_topo **out)
{
	return topo_load_mem_at(name, NULL, text, len, out);
}

/* The directory of path into buf[cap] ("" for none: a bare file name). */
static void
topo_dir_of(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		buf[0] = '\0';
	else if (slash == path)
		snprintf(buf, cap, "/");
	else
		snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

/* Read and check the file at path; see topo.h. */
int
topo_load(const char *path, struct ld_topo **out)
{
	struct ld_topo *t;
	char *buf, dir[sizeof(t->path)];
	size_t n;
	FILE *f;
	int rc;

	if ((*out = t = topo_new(path)) == NULL)
		return LD_ENOMEM;
	topo_dir_of(t->path, dir, sizeof(dir));
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
		rc = topo_load_text(t, dir, buf, n);
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
	wcal_free(t->cal);
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
