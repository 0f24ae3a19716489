/*
 * fed_scope.c - subtrees of the federation's tree, and which of a
 * parent's events concern a child (docs/federation.md §2).
 */
#include "fed.h"
#include "ticket.h"

#include <stdio.h>
#include <string.h>

bool
fed_in_subtree(const struct ld_topo *t, int a, int root)
{
	/* walk up from a; the topology check guarantees a tree (no cycle),
	 * the bound is for safety */
	for (int hops = 0; a >= 0 && a < t->n_nodes && hops <= t->n_nodes;
	    hops++) {
		if (a == root)
			return true;
		a = t->nodes[a].parent;
	}
	return false;
}

bool
fed_id_in_subtree(const struct ld_topo *t, const char *id, int root)
{
	int a = topo_node(t, id);

	return a >= 0 && fed_in_subtree(t, a, root);
}

/* The node that created ticket id (its prefix "XA-2011-..."), -1 if none. */
static int
fed_creator(const struct ld_topo *t, const char *id)
{
	char node[LD_NODE_MAX + 1];

	if (ticket_id_parse(id, node, NULL, NULL) != 0)
		return -1;
	return topo_node(t, node);
}

/* The node whose jurisdiction holds area (the node that lists it), -1 if
 * none.  (Not the route's running ancestor: a planned county's area still
 * concerns that county once it runs.) */
static int
fed_area_node(const struct ld_topo *t, const char *area)
{
	int a = topo_area(t, area);

	return a >= 0 ? t->areas[a].node : -1;
}

void
fed_ev_scope_of(struct fed_ev_scope *s, const struct ld_event *ev)
{
	s->kind = ev->kind;
	snprintf(s->origin, sizeof(s->origin), "%s", ev->origin);
	snprintf(s->ticket, sizeof(s->ticket), "%s", ev->ticket);
	snprintf(s->area, sizeof(s->area), "%s", event_has(ev, LD_F_AREA) ?
	    ev->area : "");
	snprintf(s->node, sizeof(s->node), "%s", ev->node);
}

void
fed_tk_scope_of(struct fed_tk_scope *s, const struct ld_ticket *t)
{
	snprintf(s->area, sizeof(s->area), "%s", t->area);
	snprintf(s->owner, sizeof(s->owner), "%s", t->owner);
	snprintf(s->transfer_to, sizeof(s->transfer_to), "%s", t->transfer_to);
}

bool
fed_concerns(const struct ld_topo *top, int child,
    const struct fed_ev_scope *ev, const struct fed_tk_scope *t)
{
	int n;

	if (child < 0 || child >= top->n_nodes)
		return false;
	/* the child has what its own subtree made */
	if (fed_id_in_subtree(top, ev->origin, child))
		return false;
	if (!event_kinds[ev->kind].ticket || ev->ticket[0] == '\0')
		return false;	/* calls count where they were taken */
	/* an announcement about an area of the child's, whoever's ticket */
	if (ev->kind == LD_EV_ANNOUNCED && ev->area[0] != '\0' &&
	    (n = fed_area_node(top, ev->area)) >= 0 &&
	    fed_in_subtree(top, n, child))
		return true;
	n = fed_creator(top, ev->ticket);
	if (n >= 0 && fed_in_subtree(top, n, child))
		return true;
	if (t == NULL)
		return false;
	n = fed_area_node(top, t->area);
	if (n >= 0 && fed_in_subtree(top, n, child))
		return true;
	if (t->owner[0] && fed_id_in_subtree(top, t->owner, child))
		return true;
	if (t->transfer_to[0] && fed_id_in_subtree(top, t->transfer_to, child))
		return true;
	/* a transfer to the child's subtree, even once answered */
	return ev->kind == LD_EV_TRANSFER_REQUESTED &&
	    fed_id_in_subtree(top, ev->node, child);
}
