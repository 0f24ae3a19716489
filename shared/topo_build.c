/*
 * topo_build.c - phase two of reading a topology file: every kept section
 * (indexed by topo_index.c) into its object of struct ld_topo, one builder
 * per kind (federation, node, area, unit, category, rule, default, plan,
 * client, assessment).  Reports unknown and repeated keys, checks every
 * value and resolves every reference; each problem becomes a diagnostic.
 * The federation's working-day calendar is read here (wcal_load), its
 * problems reported as the topology's, on the line of its key.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "topo_int.h"
#include "wcal.h"

#define TOPO_WEIGHT_MAX 1000	/* [assessment] weights and penalties */
#define TOPO_SAMPLE_MAX 100	/* spot.sample */

static const char *const topo_kind_keys[TK_N][9] = {
	[TK_FEDERATION] = { "name", "calendar" },
	[TK_NODE] = { "name", "level", "parent", "peer", "client",
		"public_key", "status", "areas" },
	[TK_AREA] = { "name" },
	[TK_UNIT] = { "name", "node", "categories" },
	[TK_CATEGORY] = { "name", "urgency.1", "urgency.2", "urgency.3",
		"urgency.4", "urgency.5", "ext_max" },
	[TK_RULE] = { "category", "areas", "units" },
	[TK_DEFAULT] = { "category", "unit", "sign", "complete", "settle" },
	[TK_PLAN] = { "name", "category", "units", "report_gov",
		"channels", "sign", "complete" },
	[TK_CLIENT] = { "name", "role", "node", "unit", "public_key" },
	[TK_ASSESSMENT] = { "weight.sign", "weight.ontime", "weight.complete",
		"weight.satisfaction", "penalty.return", "penalty.urge",
		"penalty.supervise", "spot.sample", "spot.seed" },
};

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

/* A duration under key (required or not), into *ms; with wd, "<n>wd" too
 * (into *wd, *ms 0). */
static void
topo_dur_opt(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    bool required, int64_t *ms, uint16_t *wd)
{
	const struct topo_ent *e = topo_get(c, s, key, required);
	uint16_t n;
	int r;

	if (e == NULL)
		return;
	if ((r = topo_parse_wd(e->val, &n)) == 0) {
		if (!topo_parse_duration(e->val, ms))
			topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not a "
			    "duration from 1m to 365d (30m, 1h, 1h30m, 2d)",
			    key, e->val);
	} else if (wd == NULL) {
		topo_sdiag(c, s, e->line, false, "%s: '%.40s': %s is a clock "
		    "time (30m, 1h, 1d), not working days", key, e->val, key);
	} else if (r < 0) {
		topo_sdiag(c, s, e->line, false, "%s: '%.40s': working days "
		    "are from 1wd to %dwd", key, e->val, TOPO_WD_MAX);
	} else {
		*wd = n;
		*ms = 0;
	}
}

static void
topo_dur(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    int64_t *ms, uint16_t *wd)
{
	topo_dur_opt(c, s, key, true, ms, wd);
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

enum { TOPO_LIMIT_OK, TOPO_LIMIT_FORM, TOPO_LIMIT_DUR, TOPO_LIMIT_SIGN_WD,
	TOPO_LIMIT_WD };

/* "sign DUR, complete DUR" (complete may be "<n>wd") into *l: what is
 * wrong, TOPO_LIMIT_OK if nothing. */
static int
topo_parse_limit(const char *v, struct ld_topo_limit *l)
{
	char sign[32], complete[32], rest[2];
	uint16_t wd;

	if (strlen(v) > 64 || sscanf(v, " sign %31[^, \t] , complete %31s "
	    "%1s", sign, complete, rest) != 2)
		return TOPO_LIMIT_FORM;
	if (topo_parse_wd(sign, &wd) != 0)
		return TOPO_LIMIT_SIGN_WD;
	if (!topo_parse_duration(sign, &l->sign_ms))
		return TOPO_LIMIT_DUR;
	switch (topo_parse_wd(complete, &l->complete_wd)) {
	case 1:
		l->complete_ms = 0;
		return TOPO_LIMIT_OK;
	case -1:
		return TOPO_LIMIT_WD;
	default:
		break;
	}
	if (!topo_parse_duration(complete, &l->complete_ms))
		return TOPO_LIMIT_DUR;
	return TOPO_LIMIT_OK;
}

/* The message for what topo_parse_limit found wrong (r), about key. */
static void
topo_limit_err(struct topo_ctx *c, const struct topo_sec *s,
    const struct topo_ent *e, int r)
{
	switch (r) {
	case TOPO_LIMIT_FORM:
		topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not 'sign "
		    "DUR, complete DUR'", e->key, e->val);
		break;
	case TOPO_LIMIT_SIGN_WD:
		topo_sdiag(c, s, e->line, false, "%s: '%.40s': sign is a clock "
		    "time (30m, 1h, 1d), not working days", e->key, e->val);
		break;
	case TOPO_LIMIT_WD:
		topo_sdiag(c, s, e->line, false, "%s: '%.40s': working days "
		    "are from 1wd to %dwd", e->key, e->val, TOPO_WD_MAX);
		break;
	default:
		topo_sdiag(c, s, e->line, false, "%s: '%.40s': a duration is "
		    "not from 1m to 365d", e->key, e->val);
		break;
	}
}

/* ext_max = DUR | <n>wd: an extension moves the deadline to complete at
 * most that far from dispatch, so it is at least every complete of the
 * same kind (working days: an error; a clock time: a warning, as a
 * deadline may well not be extended). */
static void
topo_ext_max(struct topo_ctx *c, const struct topo_sec *s,
    struct ld_topo_category *cat)
{
	const struct topo_ent *e = topo_get(c, s, "ext_max", false);
	const struct ld_topo_limit *most = NULL;
	char a[24], b[24];
	int r, mu = 0;

	if (e == NULL)
		return;
	if ((r = topo_parse_wd(e->val, &cat->ext_max_wd)) < 0) {
		topo_sdiag(c, s, e->line, false, "ext_max: '%.40s': working "
		    "days are from 1wd to %dwd", e->val, TOPO_WD_MAX);
		return;
	}
	if (r == 0 && !topo_parse_duration(e->val, &cat->ext_max_ms)) {
		topo_sdiag(c, s, e->line, false, "ext_max: '%.40s' is not a "
		    "duration from 1m to 365d (30m, 1h, 2d) or working days "
		    "from 1wd to %dwd (15wd)", e->val, TOPO_WD_MAX);
		return;
	}
	for (int u = 1; u <= LD_URGENCY_MAX; u++) {
		const struct ld_topo_limit *l = &cat->limit[u];

		if (l->sign_ms == 0 || (l->complete_wd > 0) != (r > 0))
			continue;
		if (most == NULL || topo_limit_cmp(l->complete_ms,
		    l->complete_wd, most->complete_ms, most->complete_wd) > 0) {
			most = l;
			mu = u;
		}
	}
	if (most == NULL || topo_limit_cmp(cat->ext_max_ms, cat->ext_max_wd,
	    most->complete_ms, most->complete_wd) >= 0)
		return;
	topo_format_limit(cat->ext_max_ms, cat->ext_max_wd, a, sizeof(a));
	topo_format_limit(most->complete_ms, most->complete_wd, b, sizeof(b));
	topo_sdiag(c, s, e->line, r == 0, "ext_max %s is shorter than "
	    "complete %s of urgency.%d", a, b, mu);
}

static void
topo_build_category(struct topo_ctx *c, const struct topo_sec *s, int i)
{
	struct ld_topo_category *cat = &c->t->categories[i];
	char key[24], a[24], b[24];

	topo_name(c, s, cat->name);
	for (int u = 1; u <= LD_URGENCY_MAX; u++) {
		struct ld_topo_limit *l = &cat->limit[u], tmp = { 0, 0, 0 };
		const struct topo_ent *e;
		int r;

		snprintf(key, sizeof(key), "urgency.%d", u);
		if ((e = topo_get(c, s, key, u == 1)) == NULL)
			continue;
		if ((r = topo_parse_limit(e->val, &tmp)) != TOPO_LIMIT_OK) {
			topo_limit_err(c, s, e, r);
			continue;
		}
		*l = tmp;
		if (topo_limit_cmp(l->sign_ms, 0, l->complete_ms,
		    l->complete_wd) > 0) {
			topo_format_duration(l->sign_ms, a, sizeof(a));
			topo_format_limit(l->complete_ms, l->complete_wd, b,
			    sizeof(b));
			topo_sdiag(c, s, e->line, false, "%s: sign %s is longer "
			    "than complete %s", key, a, b);
		}
	}
	topo_ext_max(c, s, cat);
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
	topo_dur(c, s, "sign", &d->sign_ms, NULL);
	topo_dur(c, s, "complete", &d->complete_ms, &d->complete_wd);
	topo_bool(c, s, "settle", &d->settle);
	if ((d->complete_ms > 0 || d->complete_wd > 0) && topo_limit_cmp(
	    d->sign_ms, 0, d->complete_ms, d->complete_wd) > 0) {
		topo_format_duration(d->sign_ms, a, sizeof(a));
		topo_format_limit(d->complete_ms, d->complete_wd, b, sizeof(b));
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
	/* the plan's own deadlines, both or neither */
	topo_dur_opt(c, s, "sign", false, &p->sign_ms, NULL);
	topo_dur_opt(c, s, "complete", false, &p->complete_ms, &p->complete_wd);
	if ((p->sign_ms > 0) != (p->complete_ms > 0 || p->complete_wd > 0))
		topo_sdiag(c, s, s->line, false, "sign and complete: give both "
		    "or neither (neither: the deadlines of the plan's "
		    "category)");
	else if (p->sign_ms > 0 && topo_limit_cmp(p->sign_ms, 0,
	    p->complete_ms, p->complete_wd) > 0) {
		char a[24], b[24];

		topo_format_duration(p->sign_ms, a, sizeof(a));
		topo_format_limit(p->complete_ms, p->complete_wd, b, sizeof(b));
		topo_sdiag(c, s, s->line, false, "sign %s is longer than "
		    "complete %s", a, b);
	}
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

/* What the calendar's diagnostics are about: the calendar key. */
struct topo_cal_diag {
	struct topo_ctx *c;
	const char *path;
	int line;
};

/* A diagnostic of the calendar file: "calendar FILE:LINE: what". */
static void
topo_cal_diag(void *arg, int line, const char *msg)
{
	struct topo_cal_diag *d = arg;

	if (line > 0)
		topo_diag(d->c->t, d->line, false, "calendar %s:%d: %s",
		    d->path, line, msg);
	else
		topo_diag(d->c->t, d->line, false, "calendar %s: %s", d->path,
		    msg);
}

/* calendar = FILE: relative to the topology file's directory.  Read at
 * once; t->cal stays the default unless it reads without error. */
static void
topo_calendar(struct topo_ctx *c, const struct topo_sec *s)
{
	const struct topo_ent *e = topo_get(c, s, "calendar", false);
	struct ld_topo *t = c->t;
	struct topo_cal_diag d = { c, t->cal_path, 0 };
	struct ld_wcal *cal = NULL;
	int n;

	if (e == NULL)
		return;
	d.line = e->line;
	if (e->val[0] == '\0') {
		topo_sdiag(c, s, e->line, false, "calendar: empty");
		return;
	}
	if (c->dir != NULL && e->val[0] != '/')
		n = snprintf(t->cal_path, sizeof(t->cal_path), "%s%s%s",
		    c->dir, c->dir[strlen(c->dir) - 1] == '/' ? "" : "/",
		    e->val);
	else
		n = snprintf(t->cal_path, sizeof(t->cal_path), "%s", e->val);
	if (n < 0 || (size_t)n >= sizeof(t->cal_path)) {
		t->cal_path[0] = '\0';
		topo_sdiag(c, s, e->line, false, "calendar: path longer than "
		    "%zu bytes", sizeof(t->cal_path) - 1);
		return;
	}
	n = wcal_load(t->cal_path, &cal, topo_cal_diag, &d);
	if (n == LD_ENOMEM)
		c->nomem = true;
	if (n != 0 || cal == NULL)
		return;
	wcal_free(t->cal);
	t->cal = cal;
}

/* An integer lo..hi under key (absent: *dst unchanged). */
static void
topo_uint(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    uint64_t lo, uint64_t hi, uint64_t *dst)
{
	const struct topo_ent *e = topo_get(c, s, key, false);
	uint64_t v = 0;
	const char *p;

	if (e == NULL)
		return;
	for (p = e->val; isdigit((unsigned char)*p) && p - e->val < 19; p++)
		v = v * 10 + (uint64_t)(*p - '0');	/* < 10^19: no wrap */
	if (p == e->val || *p != '\0' || v < lo || v > hi) {
		topo_sdiag(c, s, e->line, false, "%s: '%.40s' is not an "
		    "integer from %llu to %llu", key, e->val,
		    (unsigned long long)lo, (unsigned long long)hi);
		return;
	}
	*dst = v;
}

/* One weight or penalty: 0..1000 points. */
static void
topo_points(struct topo_ctx *c, const struct topo_sec *s, const char *key,
    int *dst)
{
	uint64_t v = (uint64_t)*dst;

	topo_uint(c, s, key, 0, TOPO_WEIGHT_MAX, &v);
	*dst = (int)v;
}

/* [assessment]: the score's weights and penalties, the daily spot
 * check; each key absent keeps its default (topo_new). */
static void
topo_build_assessment(struct topo_ctx *c, const struct topo_sec *s)
{
	struct ld_topo_assess *a = &c->t->assess;
	uint64_t v;

	a->line = s->line;
	topo_points(c, s, "weight.sign", &a->w_sign);
	topo_points(c, s, "weight.ontime", &a->w_ontime);
	topo_points(c, s, "weight.complete", &a->w_complete);
	topo_points(c, s, "weight.satisfaction", &a->w_satisfaction);
	topo_points(c, s, "penalty.return", &a->p_return);
	topo_points(c, s, "penalty.urge", &a->p_urge);
	topo_points(c, s, "penalty.supervise", &a->p_supervise);
	v = a->spot_sample;
	topo_uint(c, s, "spot.sample", 1, TOPO_SAMPLE_MAX, &v);
	a->spot_sample = (unsigned)v;
	topo_uint(c, s, "spot.seed", 0, INT64_MAX, &a->spot_seed);
	if (a->w_sign + a->w_ontime + a->w_complete + a->w_satisfaction == 0)
		topo_sdiag(c, s, s->line, false, "weights: all 0 (weight.sign, "
		    "weight.ontime, weight.complete, weight.satisfaction): at "
		    "least one must count");
}

/* Phase two: every kept section into its object. */
void
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
			topo_calendar(c, s);
			break;
		case TK_ASSESSMENT:
			topo_build_assessment(c, s);
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
