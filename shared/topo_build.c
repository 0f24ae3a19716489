/*
 * topo_build.c - phase two of reading a topology file: every kept section
 * (indexed by topo_index.c) into its object of struct ld_topo, one builder
 * per kind (federation, node, area, unit, category, rule, default, plan,
 * client).  Reports unknown and repeated keys, checks every value and
 * resolves every reference; each problem becomes a diagnostic.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "topo_int.h"

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
		struct ld_topo_limit *l = &cat->limit[u], tmp = { 0, 0, 0 };
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
