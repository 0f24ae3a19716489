/*
 * topo_check.c - the checks of a topology file (see docs/topology.md):
 * the syntax of single values (ids, durations and working days "<n>wd",
 * endpoints, keys) and the comparison of two time limits, used while
 * reading, and the checks of the file as a whole (the tree of nodes,
 * unique endpoints and keys, every category routed in every area, time
 * limits that can hold, units without work), run by topo_load after
 * reading.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "topo_int.h"

#define TOPO_MIN_MS 60000LL
#define TOPO_MAX_MS (365LL * 86400000LL)

/* [a-z0-9][a-z0-9._-]{0,31} */
bool
topo_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LD_ID_MAX || !(islower((unsigned char)s[0]) ||
	    isdigit((unsigned char)s[0])))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

/* [A-Z][A-Z0-9]{0,7} */
bool
topo_valid_node_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LD_NODE_MAX || !isupper((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "<n>d<n>h<n>m", each part optional but in this order, at least one;
 * the total from 1 minute to 365 days. */
bool
topo_parse_duration(const char *s, int64_t *ms)
{
	static const struct { char c; int64_t ms; } unit[] = {
		{ 'd', 86400000LL }, { 'h', 3600000LL }, { 'm', 60000LL } };
	int64_t total = 0;
	size_t u = 0;

	if (*s == '\0')
		return false;
	while (*s) {
		int64_t n = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 7)
			n = n * 10 + (*s++ - '0'), digits++;
		if (digits == 0 || isdigit((unsigned char)*s))
			return false;
		while (u < 3 && unit[u].c != *s)
			u++;
		if (u == 3)
			return false;
		total += n * unit[u++].ms;
		s++;
	}
	if (total < TOPO_MIN_MS || total > TOPO_MAX_MS)
		return false;
	*ms = total;
	return true;
}

/* "<n>wd", n working days: 1 if it is one from 1 to TOPO_WD_MAX (into
 * *wd), -1 if it is one out of that range, 0 if it is not of that form. */
int
topo_parse_wd(const char *s, uint16_t *wd)
{
	unsigned n = 0;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		if (digits++ < 7)
			n = n * 10 + (unsigned)(*s - '0');
		s++;
	}
	if (digits == 0 || strcmp(s, "wd") != 0)
		return 0;
	if (digits > 7 || n < 1 || n > TOPO_WD_MAX)
		return -1;
	*wd = (uint16_t)n;
	return 1;
}

/* Compare two limits (a clock time ms, or wd working days when wd > 0):
 * < 0, 0, > 0 as a is shorter, as long, longer than b.  Working days
 * compare with working days; against a clock time, n working days count
 * as n days and a little more: the end of the n-th working day after the
 * dispatch day is always more than n days away. */
int
topo_limit_cmp(int64_t a_ms, unsigned a_wd, int64_t b_ms, unsigned b_wd)
{
	int64_t a = a_wd > 0 ? (int64_t)a_wd * 86400000LL : a_ms;
	int64_t b = b_wd > 0 ? (int64_t)b_wd * 86400000LL : b_ms;

	if (a_wd > 0 && b_wd > 0)
		return (a_wd > b_wd) - (a_wd < b_wd);
	if (a != b)
		return a < b ? -1 : 1;
	return (a_wd > 0) - (b_wd > 0);
}

/* A host name (letters, digits, '-', '.'), dotted IPv4 or [IPv6]. */
static bool
topo_valid_host(const char *h, size_t n)
{
	char buf[64];
	unsigned char addr[16];
	bool digits_only = true;

	if (n == 0 || n > 253)
		return false;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(buf))
			return false;
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return false;
		if (isalpha((unsigned char)h[i]) || h[i] == '-')
			digits_only = false;
	}
	if (h[0] == '-' || h[0] == '.' || h[n - 1] == '-' || h[n - 1] == '.')
		return false;
	if (!digits_only)
		return true;
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1;
}

/* tcp://HOST:PORT (port 1..65535) or ipc://PATH, at most LD_TOPO_EP_MAX
 * bytes. */
bool
topo_valid_endpoint(const char *s)
{
	size_t n = strlen(s);
	const char *colon, *p;
	long port = 0;

	if (n > LD_TOPO_EP_MAX)
		return false;
	if (strncmp(s, "ipc://", 6) == 0) {
		for (p = s + 6; *p; p++)
			if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
				return false;
		/* a Unix socket path must fit sockaddr_un (107 bytes) */
		return n > 6 && n - 6 < sizeof(((struct sockaddr_un *)0)->sun_path);
	}
	if (strncmp(s, "tcp://", 6) != 0 || (colon = strrchr(s, ':')) == NULL ||
	    colon < s + 6)
		return false;
	for (p = colon + 1; isdigit((unsigned char)*p) && port <= 65535; p++)
		port = port * 10 + (*p - '0');
	if (*p != '\0' || p == colon + 1 || colon[1] == '0' || port < 1 ||
	    port > 65535)
		return false;
	return topo_valid_host(s + 6, (size_t)(colon - (s + 6)));
}

/* 40 characters of the Z85 alphabet, each group of 5 below 2^32 (so it
 * decodes to 32 bytes). */
bool
topo_valid_z85(const char *s)
{
	static const char z85[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

	if (strlen(s) != LD_TOPO_KEY_Z85)
		return false;
	for (int g = 0; g < LD_TOPO_KEY_Z85; g += 5) {
		uint64_t v = 0;

		for (int i = g; i < g + 5; i++) {
			const char *p = strchr(z85, s[i]);

			if (s[i] == '\0' || p == NULL)
				return false;
			v = v * 85 + (uint64_t)(p - z85);
		}
		if (v > UINT32_MAX)
			return false;
	}
	return true;
}

/* Report the cycle path[from..len) (closing on path[from]). */
static void
topo_report_cycle(struct ld_topo *t, const int *path, int from, int len)
{
	char buf[LD_ERR_MSG_MAX];
	size_t o = 0;

	buf[0] = '\0';
	for (int k = from; k <= len && o < sizeof(buf); k++) {
		int r = snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    k > from ? " -> " : "", t->nodes[path[k < len ? k :
		    from]].id);

		o += r > 0 ? (size_t)r : 0;
	}
	topo_diag(t, t->nodes[path[from]].line, false,
	    "[node %s] parent: cycle %s", t->nodes[path[from]].id, buf);
}

/* Follow the parents of node i: 1 if they reach top, else 2.  Marks
 * the nodes walked in state; why[k] = 1 for a node in a cycle, 2 for one
 * whose own parent is the problem (already reported). */
static int
topo_walk(struct ld_topo *t, const bool *has_parent, int top, int i,
    int *state, char *why, int *path)
{
	int len = 0, j = i, res;

	for (;;) {
		if (state[j] == 1 || state[j] == 2) {
			res = state[j];
			break;
		}
		if (state[j] == 3) {	/* j is on this walk: a cycle */
			int from = len - 1;

			while (path[from] != j)
				from--;
			topo_report_cycle(t, path, from, len);
			for (int k = from; k < len; k++)
				why[path[k]] = 1;
			res = 2;
			break;
		}
		state[j] = 3;
		path[len++] = j;
		if (!has_parent[j] || t->nodes[j].parent < 0) {
			res = j == top ? 1 : 2;
			why[j] = j == top ? 0 : 2;
			break;
		}
		j = t->nodes[j].parent;
	}
	for (int k = 0; k < len; k++)
		state[path[k]] = res;
	return res;
}

/* One top; levels deeper than the parent's; every node reaches the top. */
static void
topo_check_tree(struct ld_topo *t, const bool *has_parent)
{
	int top = -1, *state, *path;
	char *why;

	if (t->n_nodes == 0) {
		topo_diag(t, 0, false, "no [node] section");
		return;
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct ld_topo_node *n = &t->nodes[i];

		if (has_parent[i]) {
			if (n->parent >= 0 && n->level >= 0 &&
			    t->nodes[n->parent].level >= n->level)
				topo_diag(t, n->line, false, "[node %s] level: "
				    "%s is not below parent %s (%s)", n->id,
				    topo_level_name(n->level),
				    t->nodes[n->parent].id, topo_level_name(
				    t->nodes[n->parent].level));
		} else if (top < 0) {
			top = i;
		} else {
			topo_diag(t, n->line, false, "[node %s] parent: missing "
			    "(only the top node %s, line %d, has none)", n->id,
			    t->nodes[top].id, t->nodes[top].line);
		}
	}
	if (top < 0)
		topo_diag(t, 0, false, "no top node: every node has a parent");
	state = calloc((size_t)t->n_nodes, sizeof(int));
	path = calloc((size_t)t->n_nodes, sizeof(int));
	why = calloc((size_t)t->n_nodes, 1);
	for (int i = 0; state && path && why && i < t->n_nodes; i++)
		if (state[i] == 0)
			topo_walk(t, has_parent, top, i, state, why, path);
	for (int i = 0; state && path && why && i < t->n_nodes; i++)
		if (state[i] == 2 && why[i] == 0)
			topo_diag(t, t->nodes[i].line, false, "[node %s] no "
			    "parent path to the top node", t->nodes[i].id);
	free(state);
	free(path);
	free(why);
}

/* Endpoint k of the nodes: node k / 2, its peer (even k) or client. */
static const char *
topo_ep_of(const struct ld_topo *t, int k)
{
	return k % 2 ? t->nodes[k / 2].client : t->nodes[k / 2].peer;
}

/* A node with children needs a peer endpoint; no endpoint twice. */
static void
topo_check_endpoints(struct ld_topo *t)
{
	for (int i = 0; i < t->n_nodes; i++) {
		const struct ld_topo_node *p;

		if (t->nodes[i].parent < 0)
			continue;
		p = &t->nodes[t->nodes[i].parent];
		if (p->peer[0] == '\0')
			topo_diag(t, p->line, false, "[node %s] peer: missing "
			    "(node %s has it as parent)", p->id, t->nodes[i].id);
	}
	for (int k = 1; k < 2 * t->n_nodes; k++) {
		const char *ep = topo_ep_of(t, k);
		const struct ld_topo_node *n = &t->nodes[k / 2], *o;

		for (int m = 0; ep[0] && m < k; m++) {
			if (strcmp(ep, topo_ep_of(t, m)) != 0)
				continue;
			o = &t->nodes[m / 2];
			topo_diag(t, n->line, false, "[node %s] %s: %s also "
			    "used by node %s (line %d)", n->id, k % 2 ?
			    "client" : "peer", ep, o->id, o->line);
			break;
		}
	}
}

/* The public key of node i (i < n_nodes) or client i - n_nodes; its
 * section in *what ("node LY"), *line. */
static const char *
topo_key_of(const struct ld_topo *t, int i, char *what, size_t cap,
    int *line)
{
	if (i < t->n_nodes) {
		snprintf(what, cap, "node %s", t->nodes[i].id);
		*line = t->nodes[i].line;
		return t->nodes[i].public_key;
	}
	i -= t->n_nodes;
	snprintf(what, cap, "client %s", t->clients[i].id);
	*line = t->clients[i].line;
	return t->clients[i].public_key;
}

/* No public key twice (nodes and clients). */
static void
topo_check_keys(struct ld_topo *t)
{
	int n = t->n_nodes + t->n_clients;
	char a[48], b[48];

	for (int i = 1; i < n; i++) {
		int line, oline;
		const char *k = topo_key_of(t, i, a, sizeof(a), &line);

		for (int j = 0; k[0] && j < i; j++) {
			if (strcmp(k, topo_key_of(t, j, b, sizeof(b),
			    &oline)) != 0)
				continue;
			topo_diag(t, line, false, "[%s] public_key: also the "
			    "key of %s (line %d)", a, b, oline);
			break;
		}
	}
}

/* A more urgent level should not allow more time than a less urgent one
 * (warning; topo_limit_cmp compares working days with clock times). */
static void
topo_check_urgencies(struct ld_topo *t)
{
	char a[24], b[24];

	for (int i = 0; i < t->n_categories; i++) {
		const struct ld_topo_category *c = &t->categories[i];
		int prev = 0;

		for (int u = 1; u <= LD_URGENCY_MAX; u++) {
			const struct ld_topo_limit *l = &c->limit[u], *p;

			if (l->sign_ms == 0)
				continue;
			p = &c->limit[prev];
			if (prev > 0 && topo_limit_cmp(p->complete_ms,
			    p->complete_wd, l->complete_ms, l->complete_wd) > 0) {
				topo_format_limit(p->complete_ms,
				    p->complete_wd, a, sizeof(a));
				topo_format_limit(l->complete_ms,
				    l->complete_wd, b, sizeof(b));
				topo_diag(t, c->line, true, "[category %s] "
				    "urgency.%d: complete %s is longer than at "
				    "the less urgent urgency.%d (%s)", c->id,
				    prev, a, u, b);
			}
			prev = u;
		}
	}
}

/* Every area is listed by a node; every category is routed (by a rule or
 * a default handler) in every area.  routed[c] is set for a category with
 * any rule or default handler. */
static void
topo_check_coverage(struct ld_topo *t, bool *routed)
{
	bool *all = calloc((size_t)t->n_categories + 1, sizeof(bool));
	bool *hit = calloc((size_t)t->n_areas + 1, sizeof(bool));

	for (int a = 0; a < t->n_areas; a++)
		if (t->areas[a].node < 0)
			topo_diag(t, t->areas[a].line, false, "[area %s] no "
			    "node lists it in its areas", t->areas[a].id);
	if (t->n_areas == 0)
		topo_diag(t, 0, false, "no [area] section");
	for (int r = 0; all && r < t->n_rules; r++)
		if (t->rules[r].category >= 0) {
			routed[t->rules[r].category] = true;
			all[t->rules[r].category] |= t->rules[r].all_areas;
		}
	for (int d = 0; all && d < t->n_defaults; d++)
		if (t->defaults[d].category >= 0) {
			routed[t->defaults[d].category] = true;
			all[t->defaults[d].category] = true;
		}
	for (int c = 0; all && hit && c < t->n_categories; c++) {
		if (all[c])
			continue;
		memset(hit, 0, (size_t)t->n_areas * sizeof(bool));
		for (int r = 0; r < t->n_rules; r++)
			for (int k = 0; t->rules[r].category == c &&
			    k < t->rules[r].n_areas; k++)
				hit[t->rules[r].areas[k]] = true;
		for (int a = 0; a < t->n_areas; a++)
			if (!hit[a] && t->areas[a].node >= 0)
				topo_diag(t, t->categories[c].line, false,
				    "[category %s] no rule or default handler "
				    "routes it in area '%s' (node %s)",
				    t->categories[c].id, t->areas[a].id,
				    t->nodes[t->areas[a].node].id);
	}
	free(all);
	free(hit);
}

/* True if unit u lists category c, or lists none at all. */
static bool
topo_unit_owns(const struct ld_topo *t, int u, int c)
{
	const struct ld_topo_unit *un = &t->units[u];

	for (int i = 0; i < un->n_categories; i++)
		if (un->categories[i] == c)
			return true;
	return un->n_categories == 0;
}

/* One default handler per category, able to meet some urgency. */
static void
topo_check_defaults(struct ld_topo *t, bool *used)
{
	char a[24], b[24];

	for (int i = 0; i < t->n_defaults; i++) {
		const struct ld_topo_default *d = &t->defaults[i];
		const struct ld_topo_category *c;
		const struct ld_topo_limit *most = NULL;

		if (d->unit >= 0)
			used[d->unit] = true;
		if (d->category < 0)
			continue;
		c = &t->categories[d->category];
		for (int j = 0; j < i; j++)
			if (t->defaults[j].category == d->category) {
				topo_diag(t, d->line, false, "[default %s] "
				    "category: %s already has default handler "
				    "%s (line %d)", d->id, c->id,
				    t->defaults[j].id, t->defaults[j].line);
				break;
			}
		if (d->unit >= 0 && !topo_unit_owns(t, d->unit, d->category))
			topo_diag(t, d->line, true, "[default %s] unit: %s does "
			    "not list category %s", d->id, t->units[d->unit].id,
			    c->id);
		for (int u = 1; u <= LD_URGENCY_MAX; u++) {
			const struct ld_topo_limit *l = &c->limit[u];

			if (l->sign_ms > 0 && (most == NULL ||
			    topo_limit_cmp(l->complete_ms, l->complete_wd,
			    most->complete_ms, most->complete_wd) > 0))
				most = l;
		}
		if (most == NULL || (d->complete_ms <= 0 &&
		    d->complete_wd == 0))
			continue;
		if (topo_limit_cmp(d->complete_ms, d->complete_wd,
		    most->complete_ms, most->complete_wd) > 0) {
			topo_format_limit(d->complete_ms, d->complete_wd, a,
			    sizeof(a));
			topo_format_limit(most->complete_ms, most->complete_wd,
			    b, sizeof(b));
			topo_diag(t, d->line, false, "[default %s] complete %s "
			    "is longer than category %s allows at any urgency "
			    "(at most %s)", d->id, a, c->id, b);
		}
	}
}

/* Rules name units that own the category (warning); plans trigger on a
 * routed category; every unit gets work from something (warning). */
static void
topo_check_units(struct ld_topo *t, const bool *routed, bool *used)
{
	for (int r = 0; r < t->n_rules; r++) {
		const struct ld_topo_rule *ru = &t->rules[r];

		for (int k = 0; k < ru->n_units; k++) {
			used[ru->units[k]] = true;
			if (ru->category >= 0 &&
			    !topo_unit_owns(t, ru->units[k], ru->category))
				topo_diag(t, ru->line, true, "[rule %s] units: "
				    "%s does not list category %s", ru->id,
				    t->units[ru->units[k]].id,
				    t->categories[ru->category].id);
		}
	}
	for (int p = 0; p < t->n_plans; p++) {
		const struct ld_topo_plan *pl = &t->plans[p];

		for (int k = 0; k < pl->n_units; k++)
			used[pl->units[k]] = true;
		if (pl->category >= 0 && !routed[pl->category])
			topo_diag(t, pl->line, false, "[plan %s] category: %s "
			    "is routed nowhere (no rule or default handler)",
			    pl->id, t->categories[pl->category].id);
	}
	for (int u = 0; u < t->n_units; u++)
		if (!used[u])
			topo_diag(t, t->units[u].line, true, "[unit %s] no rule, "
			    "default handler or plan sends it work",
			    t->units[u].id);
}

/* Clients of planned nodes (warning); a unit terminal on another node
 * than its unit's home (warning). */
static void
topo_check_clients(struct ld_topo *t)
{
	int *count = calloc((size_t)t->n_nodes + 1, sizeof(int));

	for (int i = 0; i < t->n_clients; i++) {
		const struct ld_topo_client *c = &t->clients[i];

		if (c->node < 0)
			continue;
		if (count)
			count[c->node]++;
		if (c->unit >= 0 && t->units[c->unit].node >= 0 &&
		    t->units[c->unit].node != c->node)
			topo_diag(t, c->line, true, "[client %s] node: unit %s "
			    "belongs to node %s", c->id, t->units[c->unit].id,
			    t->nodes[t->units[c->unit].node].id);
	}
	for (int n = 0; count && n < t->n_nodes; n++)
		if (!t->nodes[n].running && count[n] > 0)
			topo_diag(t, t->nodes[n].line, true, "[node %s] status "
			    "planned, yet %d client%s connect to it",
			    t->nodes[n].id, count[n], count[n] == 1 ? "" : "s");
	free(count);
}

/* A planned node with areas needs a running node above it to handle
 * them until it runs (error); and a planned node runs nothing. */
static void
topo_check_running(struct ld_topo *t)
{
	for (int n = 0; n < t->n_nodes; n++) {
		int m = n, hops = 0, areas = 0;

		if (t->nodes[n].running)
			continue;
		for (int a = 0; a < t->n_areas; a++)
			areas += t->areas[a].node == n;
		if (areas == 0)
			continue;
		while (m >= 0 && !t->nodes[m].running && hops++ <= t->n_nodes)
			m = t->nodes[m].parent;
		if (m < 0 || !t->nodes[m].running)
			topo_diag(t, t->nodes[n].line, false, "[node %s] status "
			    "planned and no node above it runs: nobody would "
			    "handle its areas", t->nodes[n].id);
	}
}

/* The checks of the file as a whole, after reading (see the top). */
void
topo_check_all(struct ld_topo *t, const bool *has_parent)
{
	bool *routed = calloc((size_t)t->n_categories + 1, sizeof(bool));
	bool *used = calloc((size_t)t->n_units + 1, sizeof(bool));

	topo_check_tree(t, has_parent);
	topo_check_endpoints(t);
	topo_check_keys(t);
	topo_check_urgencies(t);
	if (routed != NULL && used != NULL) {
		topo_check_coverage(t, routed);
		topo_check_defaults(t, used);
		topo_check_units(t, routed, used);
	} else {
		topo_diag(t, 0, false, "out of memory");
	}
	topo_check_clients(t);
	topo_check_running(t);
	free(routed);
	free(used);
}
