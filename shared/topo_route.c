/*
 * topo_route.c - answers from a loaded topology (see topo.h): lookups by
 * id or key, routing a request (category, area, urgency) to its owner
 * node and units with deadlines, the deadline itself (clock time or
 * working days by the federation's calendar), the federation as Graphviz
 * dot, and the names and durations shown to people.
 */
#include <inttypes.h>
#include <string.h>

#include "ltime.h"
#include "topo_int.h"
#include "wcal.h"

/* The level's name ("city"); "?" if out of range. */
const char *
topo_level_name(int level)
{
	static const char *const names[LD_TOPO_LEVELS] = { "province", "city",
		"county", "town" };

	return level >= 0 && level < LD_TOPO_LEVELS ? names[level] : "?";
}

/* The role's name ("operator"); "?" if out of range. */
const char *
topo_role_name(int role)
{
	switch (role) {
	case LD_ROLE_OPERATOR: return "operator";
	case LD_ROLE_UNIT: return "unit";
	case LD_ROLE_ADMIN: return "admin";
	default: return "?";
	}
}

/* ms as "2d", "1h30m", "45m" (seconds only when not whole minutes; "0m"
 * for 0; "-" before a negative one) into buf[cap]; when cap is short,
 * the whole parts that fit. */
void
topo_format_duration(int64_t ms, char *buf, size_t cap)
{
	static const struct { char c; int64_t ms; } unit[] = {
		{ 'd', 86400000LL }, { 'h', 3600000LL }, { 'm', 60000LL },
		{ 's', 1000LL } };
	uint64_t v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	size_t o = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (ms < 0 && o + 1 < cap)
		buf[o++] = '-', buf[o] = '\0';
	for (size_t i = 0; i < sizeof(unit) / sizeof(unit[0]); i++) {
		uint64_t n = v / (uint64_t)unit[i].ms;
		int r;

		if (n == 0)
			continue;
		v -= n * (uint64_t)unit[i].ms;
		r = snprintf(buf + o, cap - o, "%" PRIu64 "%c", n, unit[i].c);
		if (r < 0 || (size_t)r >= cap - o) {
			buf[o] = '\0';	/* whole parts only */
			return;
		}
		o += (size_t)r;
	}
	if (o == 0 || (o == 1 && ms < 0))
		snprintf(buf + o, cap - o, "0m");
}

/* A limit as people read it: ms as topo_format_duration writes it, or
 * "7wd" for wd working days. */
void
topo_format_limit(int64_t ms, unsigned wd, char *buf, size_t cap)
{
	if (wd > 0)
		snprintf(buf, cap, "%uwd", wd);
	else
		topo_format_duration(ms, buf, cap);
}

/* The deadline to complete; see topo.h. */
int64_t
topo_due(const struct ld_topo *t, int64_t from_ms, int64_t ms, unsigned wd)
{
	if (wd > 0)
		return wcal_add(t->cal != NULL ? t->cal : wcal_default(),
		    from_ms, wd);
	if (ms > 0 && from_ms > LD_TIME_MAX - ms)
		return LD_TIME_MAX;
	return from_ms + ms;
}

/* Index of the node with this id; -1 if none. */
int
topo_node(const struct ld_topo *t, const char *id)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (strcmp(t->nodes[i].id, id) == 0)
			return i;
	return -1;
}

/* Index of the area with this id; -1 if none. */
int
topo_area(const struct ld_topo *t, const char *id)
{
	for (int i = 0; i < t->n_areas; i++)
		if (strcmp(t->areas[i].id, id) == 0)
			return i;
	return -1;
}

/* Index of the unit with this id; -1 if none. */
int
topo_unit(const struct ld_topo *t, const char *id)
{
	for (int i = 0; i < t->n_units; i++)
		if (strcmp(t->units[i].id, id) == 0)
			return i;
	return -1;
}

/* Index of the category with this id; -1 if none. */
int
topo_category(const struct ld_topo *t, const char *id)
{
	for (int i = 0; i < t->n_categories; i++)
		if (strcmp(t->categories[i].id, id) == 0)
			return i;
	return -1;
}

/* Index of the client with this Z85 public key; -1 if none (or empty). */
int
topo_client_by_key(const struct ld_topo *t, const char *z85)
{
	if (z85 == NULL || z85[0] == '\0')
		return -1;
	for (int i = 0; i < t->n_clients; i++)
		if (strcmp(t->clients[i].public_key, z85) == 0)
			return i;
	return -1;
}

/* True if rule r is for category c and lists area a (not "*"). */
static bool
topo_rule_lists(const struct ld_topo_rule *r, int c, int a)
{
	if (r->category != c || r->all_areas)
		return false;
	for (int k = 0; k < r->n_areas; k++)
		if (r->areas[k] == a)
			return true;
	return false;
}

/* The rule routing (c, a): the first one listing a, else the first "*"
 * one; -1 if none (or it names no unit). */
static int
topo_match(const struct ld_topo *t, int c, int a)
{
	int star = -1;

	for (int i = 0; i < t->n_rules; i++) {
		const struct ld_topo_rule *r = &t->rules[i];

		if (r->n_units == 0)
			continue;
		if (topo_rule_lists(r, c, a))
			return i;
		if (star < 0 && r->category == c && r->all_areas)
			star = i;
	}
	return star;
}

/* The limit of category c at urgency u; if u is not defined, the nearest
 * defined less urgent one, else the nearest more urgent one (stricter:
 * a request is never given more time than its category allows at a
 * lower urgency).  NULL only if the category defines none at all. */
static const struct ld_topo_limit *
topo_limit(const struct ld_topo *t, int c, unsigned u)
{
	for (unsigned v = u; v <= LD_URGENCY_MAX; v++)
		if (t->categories[c].limit[v].sign_ms > 0)
			return &t->categories[c].limit[v];
	for (unsigned v = u - 1; v >= 1; v--)
		if (t->categories[c].limit[v].sign_ms > 0)
			return &t->categories[c].limit[v];
	return NULL;
}

/* Say in r->why that unit k's time to complete counts working days. */
static void
topo_why_wd(struct ld_topo_route *r, int k)
{
	size_t len = strlen(r->why);

	if (r->complete_wd[k] > 0)
		snprintf(r->why + len, sizeof(r->why) - len, "; complete within "
		    "%u working day%s", r->complete_wd[k],
		    r->complete_wd[k] == 1 ? "" : "s");
}

/* Route by rule ri. */
static int
topo_route_rule(const struct ld_topo *t, int c, int a, unsigned u, int ri,
    struct ld_topo_route *r, struct ld_err *err)
{
	const struct ld_topo_rule *ru = &t->rules[ri];
	const struct ld_topo_limit *l = topo_limit(t, c, u);

	if (l == NULL)
		return err_set(err, LD_EINVAL, "category %s defines no time "
		    "limits", t->categories[c].id);
	r->rule = ri;
	r->n_units = ru->n_units;
	for (int k = 0; k < ru->n_units; k++) {
		r->units[k] = ru->units[k];
		r->sign_ms[k] = l->sign_ms;
		r->complete_ms[k] = l->complete_ms;
		r->complete_wd[k] = l->complete_wd;
	}
	snprintf(r->why, sizeof(r->why), "rule %s (line %d): category %s in "
	    "%s", ru->id, ru->line, t->categories[c].id, ru->all_areas ?
	    "every area (*)" : t->areas[a].id);
	topo_why_wd(r, 0);
	return 0;
}

/* Route by the default handler of category c: its unit, its own times,
 * but never more than the category allows at urgency u.  LD_ENOTFOUND if
 * there is none. */
static int
topo_route_default(const struct ld_topo *t, int c, int a, unsigned u,
    struct ld_topo_route *r, struct ld_err *err)
{
	const struct ld_topo_limit *l = topo_limit(t, c, u);

	for (int i = 0; i < t->n_defaults; i++) {
		const struct ld_topo_default *d = &t->defaults[i];

		if (d->category != c || d->unit < 0 || d->sign_ms <= 0 ||
		    (d->complete_ms <= 0 && d->complete_wd == 0))
			continue;
		r->fallback = i;
		r->settle = d->settle;
		r->n_units = 1;
		r->units[0] = d->unit;
		r->sign_ms[0] = d->sign_ms;
		r->complete_ms[0] = d->complete_ms;
		r->complete_wd[0] = d->complete_wd;
		/* never more time than the category allows at this urgency
		 * (working days against a clock time: topo_limit_cmp) */
		if (l != NULL && l->sign_ms < r->sign_ms[0])
			r->sign_ms[0] = l->sign_ms;
		if (l != NULL && topo_limit_cmp(l->complete_ms,
		    l->complete_wd, d->complete_ms, d->complete_wd) < 0) {
			r->complete_ms[0] = l->complete_ms;
			r->complete_wd[0] = l->complete_wd;
		}
		snprintf(r->why, sizeof(r->why), "default handler %s (line "
		    "%d): no rule routes category %s in area %s (unclear "
		    "ownership)%s", d->id, d->line, t->categories[c].id,
		    t->areas[a].id, d->settle ? "; responsibility settled "
		    "afterwards" : "");
		topo_why_wd(r, 0);
		return 0;
	}
	return err_set(err, LD_ENOTFOUND, "no rule or default handler routes "
	    "category %s in area %s", t->categories[c].id, t->areas[a].id);
}

/* A planned node does not run yet: its requests are owned by the nearest
 * running ancestor (Xin'an ran first; the other counties' areas stay with
 * the city until their nodes run).  Says so in r->why.  LD_EINVAL if no
 * node on the way up runs: nobody could handle the request. */
static int
topo_route_running(const struct ld_topo *t, int a, struct ld_topo_route *r,
    struct ld_err *err)
{
	int n = r->node, hops = 0;
	size_t len;

	while (!t->nodes[n].running && t->nodes[n].parent >= 0 &&
	    hops++ < t->n_nodes)
		n = t->nodes[n].parent;
	if (!t->nodes[n].running)
		return err_set(err, LD_EINVAL, "area %s belongs to %s, which is "
		    "planned, and no node above it runs", t->areas[a].id,
		    t->nodes[r->node].id);
	if (n == r->node)
		return 0;
	len = strlen(r->why);
	snprintf(r->why + len, sizeof(r->why) - len, "; area %s belongs to "
	    "%s, which is planned: %s handles it until %s runs",
	    t->areas[a].id, t->nodes[r->node].id, t->nodes[n].id,
	    t->nodes[r->node].id);
	r->node = n;
	return 0;
}

/* Route (category, area, urgency); see topo.h. */
int
topo_route(const struct ld_topo *t, const char *category, const char *area,
    unsigned urgency, struct ld_topo_route *r, struct ld_err *err)
{
	int c, a, ri, rc;

	memset(r, 0, sizeof(*r));
	r->node = r->rule = r->fallback = -1;
	if (urgency < 1 || urgency > LD_URGENCY_MAX)
		return err_set(err, LD_EINVAL, "urgency %u is not 1 .. %d",
		    urgency, LD_URGENCY_MAX);
	if ((c = topo_category(t, category)) < 0)
		return err_set(err, LD_ENOTFOUND, "unknown category '%.40s'",
		    category);
	if ((a = topo_area(t, area)) < 0)
		return err_set(err, LD_ENOTFOUND, "unknown area '%.40s'", area);
	if ((r->node = t->areas[a].node) < 0)
		return err_set(err, LD_EINVAL, "area %s belongs to no node",
		    t->areas[a].id);
	if ((ri = topo_match(t, c, a)) >= 0)
		rc = topo_route_rule(t, c, a, urgency, ri, r, err);
	else
		rc = topo_route_default(t, c, a, urgency, r, err);
	if (rc == 0)
		rc = topo_route_running(t, a, r, err);
	return rc;
}

/* s inside a dot double-quoted string (a newline as \\n). */
static void
topo_dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The federation as Graphviz dot; see topo.h.  Nodes are boxes (dashed
 * when planned), parent -> child edges, units ellipses under their home
 * node. */
void
topo_draw_dot(const struct ld_topo *t, FILE *f)
{
	char label[LD_TOPO_NAME_MAX * 2 + 64];

	fputs("digraph federation {\n\trankdir=TB;\n\tlabel=", f);
	topo_dot_str(f, t->name);
	fputs(";\n\tnode [shape=box];\n", f);
	for (int i = 0; i < t->n_nodes; i++) {
		const struct ld_topo_node *n = &t->nodes[i];

		snprintf(label, sizeof(label), "%s\n%s\n%s%s", n->id, n->name,
		    topo_level_name(n->level), n->running ? "" : " (planned)");
		fputs("\t", f);
		topo_dot_str(f, n->id);
		fputs(" [label=", f);
		topo_dot_str(f, label);
		fprintf(f, "%s];\n", n->running ? "" : ", style=dashed");
	}
	for (int i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].parent >= 0) {
			fputs("\t", f);
			topo_dot_str(f, t->nodes[t->nodes[i].parent].id);
			fputs(" -> ", f);
			topo_dot_str(f, t->nodes[i].id);
			fputs(";\n", f);
		}
	for (int i = 0; i < t->n_units; i++) {
		const struct ld_topo_unit *u = &t->units[i];

		snprintf(label, sizeof(label), "unit:%s", u->id);
		fputs("\t", f);
		topo_dot_str(f, label);
		snprintf(label, sizeof(label), "%s\n%s", u->id, u->name);
		fputs(" [shape=ellipse, label=", f);
		topo_dot_str(f, label);
		fputs("];\n", f);
		if (u->node < 0)
			continue;
		fputs("\t", f);
		topo_dot_str(f, t->nodes[u->node].id);
		snprintf(label, sizeof(label), "unit:%s", u->id);
		fputs(" -> ", f);
		topo_dot_str(f, label);
		fputs(" [style=dotted, arrowhead=none];\n", f);
	}
	fputs("}\n", f);
}
