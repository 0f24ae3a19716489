/*
 * topo_index.c - the index of the sections of a topology file, between
 * reading (topo.c) and building (topo_build.c): the sections of each kind
 * sorted by id with repeated ones dropped, a slot in its ld_topo array for
 * every kept section, the arrays allocated, ids and lines copied, and the
 * lookup of a slot by kind and id.
 */
#include <stdlib.h>
#include <string.h>

#include "topo_int.h"

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
int
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
bool
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

/* Copy ids and lines of the kept sections into their objects. */
void
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
