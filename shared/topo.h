/*
 * topo.h - the federation's topology: one INI file every node reads.
 *
 * Format (UTF-8; Chinese names welcome; parsed with inih; full reference
 * in docs/topology.md).  Each section is "[KIND ID]"; ids are
 * [a-z0-9][a-z0-9._-]{0,31} except node ids ([A-Z][A-Z0-9]{0,7}); lists
 * are comma-separated; durations are "<n>m", "<n>h" or "<n>d" (minutes,
 * hours, days; at least 1 minute); booleans yes/no.
 *
 *   [federation]          name = 洛阳市110应急联动服务平台
 *   [node LY]             name, level = province|city|county|town,
 *                         parent = NODE (absent for the top node only),
 *                         peer = tcp://HOST:PORT
 *                         (where the node binds for its children), client =
 *                         tcp://HOST:PORT (where its operators and units
 *                         connect), public_key = Z85 (40 chars),
 *                         status = running|planned, areas = AREA, ...
 *   [area luolong]        name (the node that lists it in areas owns it)
 *   [unit zhujian]        name, node = NODE (home), categories = CAT, ...
 *   [federation]          calendar = FILE (working-day calendar, wcal.h;
 *                         relative to the topology file; default:
 *                         Monday to Friday are working days)
 *   [category manhole]    name, urgency.1 .. urgency.5 = "sign DUR, complete DUR"
 *                         (at least urgency.1); complete may be "<n>wd"
 *                         (n working days, 1..60); ext_max = DUR or "<n>wd"
 *                         (the furthest an extension may move the deadline
 *                         to complete, counted from dispatch; default none)
 *   [assessment]          weight.sign, weight.ontime, weight.complete,
 *                         weight.satisfaction, penalty.return,
 *                         penalty.urge, penalty.supervise (integers
 *                         0..1000, points), spot.sample (1..100 tickets per
 *                         unit per day), spot.seed (0..2^63-1);
 *                         docs/assessment.md
 *   [rule manhole-unicom] category = CAT, areas = AREA, ... | *, units = UNIT, ...
 *   [default manhole]     category = CAT, unit = UNIT, sign = DUR,
 *                         complete = DUR, settle = yes|no (responsibility
 *                         settled after the default handler acted)
 *   [plan waterplant]     name, category = CAT (trigger), units = UNIT, ...,
 *                         report_gov = yes|no, channels = CHANNEL, ...
 *   [client op-ly-wang]   name, role = operator|unit|admin, node = NODE,
 *                         unit = UNIT (role unit only), public_key = Z85
 *
 * A node's level and parent fix the tree: exactly one node has no parent
 * and every other node reaches it through parents.  A city operator is an
 * operator of the city-level node; a county operator of a county node.
 *
 * topo_load() parses and checks, and reports every problem at once as
 * diagnostics "FILE:LINE: error: what is wrong" (or "warning:").  A node
 * refuses to start on a file with errors, with the same messages that
 * `topology check` prints.
 */
#ifndef LD_TOPO_H
#define LD_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "event.h"

struct ld_wcal;

#define LD_TOPO_NAME_MAX 128	/* display names, bytes */
#define LD_TOPO_EP_MAX 128	/* endpoints */
#define LD_TOPO_KEY_Z85 40	/* CURVE public key in Z85 */
#define LD_TOPO_LIST_MAX 64	/* entries in one list value */
#define LD_TOPO_DIAG_MAX 1000	/* diagnostics kept (the rest counted) */
#define LD_TOPO_LEVELS 4

enum ld_topo_level { LD_TL_PROVINCE = 0, LD_TL_CITY, LD_TL_COUNTY,
		     LD_TL_TOWN };
enum ld_topo_role { LD_ROLE_OPERATOR = 1, LD_ROLE_UNIT, LD_ROLE_ADMIN };

struct ld_topo_node {
	char id[LD_NODE_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	int level;		/* enum ld_topo_level */
	int parent;		/* index into nodes, -1 for the top */
	char peer[LD_TOPO_EP_MAX + 1];
	char client[LD_TOPO_EP_MAX + 1];
	char public_key[LD_TOPO_KEY_Z85 + 1];
	bool running;		/* status = running (else planned) */
	int line;
};

struct ld_topo_area {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	int node;		/* owning node (index), -1 if none */
	int line;
};

struct ld_topo_unit {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	int node;		/* home node (index) */
	int n_categories;
	int categories[LD_TOPO_LIST_MAX];	/* indices */
	int line;
};

struct ld_topo_limit {
	int64_t sign_ms;	/* 0: this urgency is not defined */
	int64_t complete_ms;	/* clock time (0 when complete_wd is set) */
	uint16_t complete_wd;	/* working days (0: clock time) */
};

struct ld_topo_category {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	struct ld_topo_limit limit[LD_URGENCY_MAX + 1];	/* [1..5] */
	int64_t ext_max_ms;	/* ext_max as clock time, 0 if not */
	uint16_t ext_max_wd;	/* ext_max in working days, 0 if not */
	int line;
};

struct ld_topo_rule {
	char id[LD_ID_MAX + 1];
	int category;
	bool all_areas;		/* areas = * */
	int n_areas;
	int areas[LD_TOPO_LIST_MAX];
	int n_units;
	int units[LD_UNITS_MAX];
	int line;
};

struct ld_topo_default {
	char id[LD_ID_MAX + 1];
	int category;
	int unit;
	int64_t sign_ms, complete_ms;
	uint16_t complete_wd;	/* complete = "<n>wd" */
	bool settle;
	int line;
};

struct ld_topo_plan {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	int category;
	int n_units;
	int units[LD_UNITS_MAX];
	bool report_gov;
	int n_channels;
	char channels[LD_UNITS_MAX][LD_ID_MAX + 1];
	int64_t sign_ms;	/* the plan's own deadlines, 0 if none (then */
	int64_t complete_ms;	/* the plan category's rule for the area) */
	uint16_t complete_wd;
	int line;
};

struct ld_topo_client {
	char id[LD_ID_MAX + 1];
	char name[LD_TOPO_NAME_MAX + 1];
	int role;		/* enum ld_topo_role */
	int node;
	int unit;		/* role unit: index; else -1 */
	char public_key[LD_TOPO_KEY_Z85 + 1];
	int line;
};

/* [assessment]: the score's weights and penalties and the daily spot
 * check (docs/assessment.md).  Defaults when the section is absent:
 * weights sign 20, ontime 30, complete 20, satisfaction 30; penalties
 * return 10, urge 20, supervise 40; spot.sample 2, spot.seed 2011. */
struct ld_topo_assess {
	int w_sign, w_ontime, w_complete, w_satisfaction;
	int p_return, p_urge, p_supervise;
	unsigned spot_sample;
	uint64_t spot_seed;
	int line;		/* 0: defaults */
};

struct ld_topo_diag {
	int line;		/* 0: the file as a whole */
	bool warning;
	char msg[LD_ERR_MSG_MAX];
};

struct ld_topo {
	char path[512];
	char name[LD_TOPO_NAME_MAX + 1];
	struct ld_topo_node *nodes;
	int n_nodes;
	struct ld_topo_area *areas;
	int n_areas;
	struct ld_topo_unit *units;
	int n_units;
	struct ld_topo_category *categories;
	int n_categories;
	struct ld_topo_rule *rules;
	int n_rules;
	struct ld_topo_default *defaults;
	int n_defaults;
	struct ld_topo_plan *plans;
	int n_plans;
	struct ld_topo_client *clients;
	int n_clients;
	struct ld_wcal *cal;	/* never NULL after topo_load */
	char cal_path[512];	/* "" when none is named */
	struct ld_topo_assess assess;
	struct ld_topo_diag *diags;
	int n_diags;		/* kept */
	int n_errors, n_warnings;	/* all, kept or not */
};

/*
 * Parse and check the file at path.  *out is always set (free it with
 * topo_free), holding what could be read and every diagnostic.  Returns 0
 * when there is no error (warnings allowed), LD_EINVAL when the file has
 * errors, LD_EIO / LD_ENOMEM when it cannot be read at all (then one
 * diagnostic says why).
 */
int topo_load(const char *path, struct ld_topo **out);
/* The same from a buffer (tests, fuzzing); name is used in messages.  A
 * relative calendar path is taken from the current directory. */
int topo_load_mem(const char *name, const char *text, size_t len,
    struct ld_topo **out);
/* topo_load_mem, a relative calendar path taken from dir instead (NULL or
 * "": the current directory), as topo_load takes it from the file's own
 * directory: for a file's text read by the caller (`topology rekey`). */
int topo_load_mem_at(const char *name, const char *dir, const char *text,
    size_t len, struct ld_topo **out);
void topo_free(struct ld_topo *t);

/* A section header's text h[0..*n) (between '[' and ']') as the reader
 * splits it: trimmed (*h, *n updated), the kind h[0..*kind_len), blanks,
 * the id h[*id_at..*n) (empty when *id_at == *n). */
void topo_header_split(const char **h, size_t *n, size_t *kind_len,
    size_t *id_at);

/* Set inih (a process-wide setting) to liandong's INI dialect, the one
 * the topology and linkctl's config file are written in: one line per
 * reader call of at most line_max bytes, no multi-line values, no key
 * without '=', a BOM allowed, ';' and '#' start comment lines, ';' starts
 * an inline comment, every error reported (not only the first). */
void topo_ini_dialect(int line_max);

/* Print the diagnostics, "FILE:LINE: error: ..." one per line, and a
 * summary line; returns n_errors. */
int topo_print_diags(const struct ld_topo *t, FILE *f);

/* Lookups by id; -1 if absent. */
int topo_node(const struct ld_topo *t, const char *id);
int topo_area(const struct ld_topo *t, const char *id);
int topo_unit(const struct ld_topo *t, const char *id);
int topo_category(const struct ld_topo *t, const char *id);
int topo_client_by_key(const struct ld_topo *t, const char *z85);

/* The answer of routing one request. */
struct ld_topo_route {
	int node;		/* owner: the node whose jurisdiction has the area
				 * (its nearest running ancestor while planned) */
	int n_units;
	int units[LD_UNITS_MAX];
	int64_t sign_ms[LD_UNITS_MAX];	/* time allowed to sign for */
	int64_t complete_ms[LD_UNITS_MAX];	/* time allowed to complete */
	uint16_t complete_wd[LD_UNITS_MAX];	/* ... in working days (then
						 * complete_ms is 0) */
	int rule;		/* index of the rule that matched, -1 if none */
	int fallback;		/* index of the default handler used, -1 */
	bool settle;		/* responsibility to be settled afterwards */
	char why[LD_ERR_MSG_MAX];	/* "rule manhole-unicom (line 120): ..." */
};

/* Route (category, area, urgency) by the rules (an area-specific rule
 * before a "*" one; the first in file order among equals), else the
 * default handler.  Deadlines come from the category's limits at that
 * urgency (if undefined: the nearest less urgent one, else the nearest
 * more urgent one).  The owner is the node whose areas hold the area, or,
 * while that node is planned, its nearest running ancestor.  Returns 0, or
 * LD_ENOTFOUND / LD_EINVAL with a reason in err. */
int topo_route(const struct ld_topo *t, const char *category,
    const char *area, unsigned urgency, struct ld_topo_route *r,
    struct ld_err *err);

/* The deadline to complete of work dispatched at from_ms: from_ms + ms,
 * or with wd > 0 the end of the wd-th working day after from_ms's local
 * day (wcal_add on t->cal). */
int64_t topo_due(const struct ld_topo *t, int64_t from_ms, int64_t ms,
    unsigned wd);

/* The federation as Graphviz dot: nodes, parent links, units per node. */
void topo_draw_dot(const struct ld_topo *t, FILE *f);

const char *topo_level_name(int level);
const char *topo_role_name(int role);
/* "1h", "30m", "2d", "1h30m". */
void topo_format_duration(int64_t ms, char *buf, size_t cap);

#endif
