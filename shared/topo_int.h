/*
 * topo_int.h - internals shared by the topology files (topo.c,
 * topo_index.c, topo_build.c, topo_check.c, topo_route.c); included by
 * them only.
 *
 * The reading context: the sections and keys topo.c reads from the text,
 * the index of them by kind and id (topo_index.c), and the functions one
 * topo file calls in another.
 */
#ifndef LD_TOPO_INT_H
#define LD_TOPO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo.h"

#define TOPO_KEYNAME_MAX 49	/* inih keeps 49 bytes of a key name */

enum topo_kind { TK_FEDERATION, TK_NODE, TK_AREA, TK_UNIT, TK_CATEGORY,
	TK_RULE, TK_DEFAULT, TK_PLAN, TK_CLIENT, TK_ASSESSMENT, TK_N };

extern const char *const topo_kind_name[TK_N];

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
	const char *dir;	/* a relative calendar path is in it; NULL:
				 * the current directory */
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

/* topo.c: diagnostics. */
void topo_diag(struct ld_topo *t, int line, bool warning, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
void topo_sdiag(struct topo_ctx *c, const struct topo_sec *s, int line,
    bool warning, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* topo_index.c: the sections indexed by kind and id. */
bool topo_slots(struct topo_ctx *c);
int topo_find(const struct topo_ctx *c, int kind, const char *id);
void topo_ids(struct topo_ctx *c);

/* topo_build.c: the sections into the objects of struct ld_topo. */
void topo_build(struct topo_ctx *c);

/* topo_check.c: the syntax of values, and the file as a whole. */
#define TOPO_WD_MAX 60		/* working days in a "<n>wd" duration */
bool topo_valid_id(const char *s);
bool topo_valid_node_id(const char *s);
bool topo_parse_duration(const char *s, int64_t *ms);
int topo_parse_wd(const char *s, uint16_t *wd);
int topo_limit_cmp(int64_t a_ms, unsigned a_wd, int64_t b_ms,
    unsigned b_wd);

/* topo_route.c: a limit as people read it ("1h30m", "7wd"). */
void topo_format_limit(int64_t ms, unsigned wd, char *buf, size_t cap);
bool topo_valid_endpoint(const char *s);
bool topo_valid_z85(const char *s);
void topo_check_all(struct ld_topo *t, const bool *has_parent);

#endif
