/*
 * linkctl.c - the operators' and unit terminals' command line: one
 * request of the client protocol (docs/protocol.md) to a node, its reply
 * printed for a person (local time, tables) or, with --json, for a script.
 *
 *   linkctl [OPTIONS] COMMAND [ARG...] [NAME=VALUE...]
 *
 * COMMAND is an operation's wire name (ticket.create) or its short alias
 * (create).  Everything a command takes comes from the op table
 * proto_ops[] and the event field table event_fields[]: which arguments,
 * their types and limits, the help text.  Only the aliases and the
 * positional arguments (TICKET, WO, DAY, DAY_TO) are this file's.
 *
 * Where the node is and who we are: --topology FILE --node ID (the
 * node's client endpoint and public key from the topology), or
 * --endpoint and --server-key, and --key FILE (the key file `topology
 * keygen` made).  The same settings can sit in a small INI file, section
 * [linkctl] (--config FILE, else $LINKCTL_CONFIG or else
 * ~/.config/liandong/linkctl.conf if it exists); flags override it.
 * Nothing is ever asked interactively.
 *
 * Exit status: 0 done; 1 the node answered with an error; 2 bad usage;
 * 3 the node could not be reached, did not answer in time, or refused
 * the key; 4 a local problem (key file, config file, topology file).
 * docs/operator.md "linkctl" is the manual.
 */
#include "client.h"
#include "codec_json.h"
#include "err.h"
#include "event.h"
#include "keyfile.h"
#include "ltime.h"
#include "proto.h"
#include "report.h"
#include "ticket.h"
#include "topo.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define LC_VERSION "0.1"
#define LC_EXIT_OK 0
#define LC_EXIT_NODE 1		/* the node answered with an error */
#define LC_EXIT_USAGE 2		/* bad usage */
#define LC_EXIT_UNREACHABLE 3	/* no answer (or the key refused) */
#define LC_EXIT_LOCAL 4		/* key file, config file, topology file */

#define LC_TIMEOUT_S_MAX 3600	/* --timeout, seconds */
#define LC_CONFIG_MAX 65536	/* a config file is never larger */
#define LC_LINE_MAX 1024	/* nor has longer lines */
#define LC_WHERE_MAX 1100	/* "FILE:LINE" or "--flag" */
#define LC_CELL_MAX 4096	/* one value shown */
#define LC_REL_MAX_MS (3660LL * 86400000)	/* "+Nd": about ten years */
#define LC_WRAP 78		/* help text width */
#define LC_LABEL_W 13		/* labels of a ticket's header */

static const char *const lc_prog = "linkctl";

/* ---- settings: flags and the config file ------------------------------ */

enum lc_set { LC_S_TOPOLOGY = 0, LC_S_NODE, LC_S_ENDPOINT, LC_S_SERVER_KEY,
	LC_S_KEY, LC_S_TIMEOUT, LC_S__COUNT };

struct lc_setdef {
	const char *name;	/* in the config file */
	const char *flag;	/* on the command line */
	const char *meta;
	bool path;		/* a file: relative to the config file's dir */
	const char *help;
};

static const struct lc_setdef lc_sets[LC_S__COUNT] = {
	[LC_S_TOPOLOGY] = { "topology", "--topology", "FILE", true,
	    "the topology file: the node's client endpoint and public key" },
	[LC_S_NODE] = { "node", "--node", "ID", false,
	    "the node to talk to, by its id in the topology (LY, XA)" },
	[LC_S_ENDPOINT] = { "endpoint", "--endpoint", "tcp://HOST:PORT", false,
	    "the node's client endpoint (instead of the topology's)" },
	[LC_S_SERVER_KEY] = { "server_key", "--server-key", "Z85", false,
	    "the node's public key, 40 characters (instead of the "
	    "topology's)" },
	[LC_S_KEY] = { "key", "--key", "FILE", true,
	    "your key file, made by 'topology keygen NAME'" },
	[LC_S_TIMEOUT] = { "timeout", "--timeout", "SECONDS", false,
	    "how long to wait for the reply; default 5" },
};

struct lc_setting {
	char *val;		/* malloc'd; NULL: not set */
	char where[LC_WHERE_MAX];	/* "--node" or "FILE:LINE: node" */
	bool from_flag;
};

/* Everything one run knows. */
struct lc {
	struct lc_setting set[LC_S__COUNT];
	const char *config;	/* --config */
	bool json, help, version;
	bool csv, html;		/* report: --csv, --html */
	char period[2][24];	/* report month|year|range: day=, day_to= */
	char qarg[LD_PROTO_Q_MAX + 8];	/* outbox retry ID: q= */
	char sarg[24];		/* outbox new|sent|dead: box= */
	char record_unit[LD_ID_MAX + 1];	/* record UNIT YYYY */
	unsigned record_year;
	int nargs;
	char **args;		/* the command and its arguments */
	enum ld_op op;
	const char *cmd;	/* as typed */
	struct ld_request req;
	/* the connection, resolved */
	struct ld_topo *topo;	/* when the topology was read */
	int node;		/* index into topo->nodes, or -1 */
	char endpoint[LD_TOPO_EP_MAX + 1];
	uint8_t server_key[LD_KEY_BYTES];
	int timeout_ms;
	struct ld_keypair keys;
};

/* "linkctl: <message>" on stderr; returns code. */
static int
lc_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
lc_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lc_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* A usage error about command cmd (NULL: none), with where to look. */
static int
lc_usage_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
lc_usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lc_prog);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help%s%s' for more information.\n",
	    lc_prog, cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	return LC_EXIT_USAGE;
}

/* Exit status for a bad setting: bad usage if it came from a flag, a
 * local problem if from the config file. */
static int
lc_set_status(const struct lc_setting *s)
{
	return s->from_flag ? LC_EXIT_USAGE : LC_EXIT_LOCAL;
}

static void
lc_setting_put(struct lc_setting *s, char *val, const char *where,
    bool from_flag)
{
	free(s->val);
	s->val = val;
	snprintf(s->where, sizeof(s->where), "%s", where);
	s->from_flag = from_flag;
}

/* ---- the config file -------------------------------------------------- */

/* The config file while inih reads it. */
struct lc_ini {
	struct lc *lc;
	const char *path;
	const char *text;
	size_t len, pos;
	int lineno;		/* of the line inih is parsing */
	int err_line;		/* the first problem, 0: none */
	char err[LD_ERR_MSG_MAX];
	bool seen[LC_S__COUNT];
};

static void
lc_ini_fail(struct lc_ini *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
lc_ini_fail(struct lc_ini *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line != 0)
		return;		/* the first one is reported */
	c->err_line = c->lineno;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* inih's fgets: one line per call, counted, so the handler knows its
 * line; a line too long or not UTF-8 is reported and read as empty. */
static char *
lc_ini_reader(char *str, int num, void *stream)
{
	struct lc_ini *c = stream;
	const char *s, *nl;
	size_t n, bad;

	if (c->pos >= c->len)
		return NULL;
	s = c->text + c->pos;
	nl = memchr(s, '\n', c->len - c->pos);
	n = nl != NULL ? (size_t)(nl - s) : c->len - c->pos;
	c->pos += n + (nl != NULL);
	c->lineno++;
	str[0] = '\0';
	if (n + 2 > (size_t)num) {
		lc_ini_fail(c, "line longer than %d bytes", num - 3);
		return str;
	}
	if (!utf8_valid(s, n, &bad)) {
		lc_ini_fail(c, "not UTF-8 text (byte %zu of the line)",
		    bad + 1);
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* A path from the config file: "~/" is $HOME, and a relative path is
 * relative to the config file's directory.  malloc'd. */
static char *
lc_config_path(const char *config, const char *val)
{
	const char *home = getenv("HOME"), *slash = strrchr(config, '/');
	const char *base = NULL, *rest = val;
	size_t nbase = 0;
	char *out;

	if (val[0] == '~' && val[1] == '/' && home != NULL) {
		base = home;
		nbase = strlen(home);
		rest = val + 2;
	} else if (val[0] != '/' && slash != NULL) {
		base = config;
		nbase = (size_t)(slash - config);
	}
	if (base == NULL)
		return strdup(val);
	if ((out = malloc(nbase + strlen(rest) + 2)) != NULL)
		sprintf(out, "%.*s/%s", (int)nbase, base, rest);
	return out;
}

/* The setting called name, or -1. */
static int
lc_set_by_name(const char *name)
{
	for (int i = 0; i < LC_S__COUNT; i++)
		if (strcmp(lc_sets[i].name, name) == 0)
			return i;
	return -1;
}

/* inih's handler: one "name = value" of the config file. */
static int
lc_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct lc_ini *c = user;
	char where[LC_WHERE_MAX];
	char *v;
	int i;

	if (section[0] == '\0') {
		lc_ini_fail(c, "'%s' outside the [linkctl] section", name);
		return 1;
	}
	if (strcmp(section, "linkctl") != 0) {
		lc_ini_fail(c, "[%s]: unknown section (expected [linkctl])",
		    section);
		return 1;
	}
	if ((i = lc_set_by_name(name)) < 0) {
		lc_ini_fail(c, "unknown setting '%s' (expected topology, node, "
		    "endpoint, server_key, key or timeout)", name);
		return 1;
	}
	if (c->seen[i]) {
		lc_ini_fail(c, "%s: set twice", name);
		return 1;
	}
	if (value[0] == '\0') {
		lc_ini_fail(c, "%s: empty value", name);
		return 1;
	}
	c->seen[i] = true;
	v = lc_sets[i].path ? lc_config_path(c->path, value) : strdup(value);
	if (v == NULL) {
		lc_ini_fail(c, "out of memory");
		return 1;
	}
	snprintf(where, sizeof(where), "%s:%d: %s", c->path, c->lineno, name);
	lc_setting_put(&c->lc->set[i], v, where, false);
	return 1;
}

/* Read the whole file at path (at most LC_CONFIG_MAX bytes) into a
 * malloc'd buffer.  Returns 0, ENOENT, or another errno (EFBIG: too
 * large). */
static int
lc_slurp(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return errno;
	if ((buf = malloc(LC_CONFIG_MAX + 1)) == NULL) {
		fclose(f);
		return ENOMEM;
	}
	n = fread(buf, 1, LC_CONFIG_MAX + 1, f);
	if (ferror(f) || n > LC_CONFIG_MAX) {
		int e = ferror(f) ? EIO : EFBIG;

		fclose(f);
		free(buf);
		return e;
	}
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
}

/* Parse the config text (inih, as the topology reads its file: one line
 * per reader call, no multi-line values, ';' comments). */
static int
lc_config_parse(struct lc *lc, const char *path, const char *text,
    size_t len)
{
	struct lc_ini c = { .lc = lc, .path = path, .text = text, .len = len };
	int rc;

	topo_ini_dialect(LC_LINE_MAX);
	rc = ini_parse_stream(lc_ini_reader, &c, lc_ini_handler, &c);
	if (rc == -2)
		return lc_fail(LC_EXIT_LOCAL, "%s: out of memory", path);
	if (rc > 0 && (c.err_line == 0 || rc < c.err_line))
		return lc_fail(LC_EXIT_LOCAL, "%s:%d: syntax error (expected "
		    "'name = value', '[linkctl]' or a comment)", path, rc);
	if (c.err_line != 0)
		return lc_fail(LC_EXIT_LOCAL, "%s:%d: %s", path, c.err_line,
		    c.err);
	return LC_EXIT_OK;
}

/* Which config file: --config (it must exist), else the default:
 * $LINKCTL_CONFIG (empty: none), else the per-user one; a default that
 * does not exist is no config file.  *must: a missing file is an error. */
static const char *
lc_config_file(const struct lc *lc, char *buf, size_t cap, bool *must)
{
	const char *env = getenv("LINKCTL_CONFIG"), *home = getenv("HOME");

	*must = lc->config != NULL;
	if (lc->config != NULL)
		return lc->config;
	if (env != NULL)
		return env[0] != '\0' ? env : NULL;
	if (home == NULL || home[0] == '\0')
		return NULL;
	snprintf(buf, cap, "%s/.config/liandong/linkctl.conf", home);
	return buf;
}

/* Read the config file, if there is one, under the flags already set
 * (a flag wins: its value is put back after the file's). */
static int
lc_config_load(struct lc *lc)
{
	struct lc_setting flags[LC_S__COUNT];
	char buf[LC_WHERE_MAX], *text = NULL;
	const char *path;
	size_t len = 0;
	bool must;
	int e, rc;

	if ((path = lc_config_file(lc, buf, sizeof(buf), &must)) == NULL)
		return LC_EXIT_OK;
	if ((e = lc_slurp(path, &text, &len)) != 0) {
		if (e == ENOENT && !must)
			return LC_EXIT_OK;
		return lc_fail(LC_EXIT_LOCAL, "%s: cannot read the config "
		    "file: %s", path, e == EFBIG ? "larger than 64 KiB" :
		    strerror(e));
	}
	memcpy(flags, lc->set, sizeof(flags));
	memset(lc->set, 0, sizeof(lc->set));
	rc = lc_config_parse(lc, path, text, len);
	free(text);
	for (int i = 0; i < LC_S__COUNT; i++)
		if (flags[i].val != NULL)
			lc_setting_put(&lc->set[i], flags[i].val,
			    flags[i].where, true);
	return rc;
}

/* ---- the command line ------------------------------------------------- */

/* If argv[*i] is "--flag" or "--flag=VALUE", set *val (NULL if the
 * value is missing) and step *i over it. */
static bool
lc_flag(int argc, char **argv, int *i, const char *flag, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(flag);

	if (strncmp(a, flag, n) != 0 || (a[n] != '\0' && a[n] != '='))
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	*val = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (*val != NULL)
		(*i)++;
	return true;
}

/* One option at argv[*i]: a value flag of lc_sets[] or --config.
 * Returns 0, 1 if it is none of them, or an exit status. */
static int
lc_value_option(struct lc *lc, int argc, char **argv, int *i)
{
	const char *v = NULL;
	char *copy;

	if (lc_flag(argc, argv, i, "--config", &v)) {
		if (v == NULL || v[0] == '\0')
			return lc_usage_fail(NULL, "--config needs a FILE");
		lc->config = v;
		return 0;
	}
	for (int s = 0; s < LC_S__COUNT; s++) {
		if (!lc_flag(argc, argv, i, lc_sets[s].flag, &v))
			continue;
		if (v == NULL || v[0] == '\0')
			return lc_usage_fail(NULL, "%s needs a value (%s)",
			    lc_sets[s].flag, lc_sets[s].meta);
		if ((copy = strdup(v)) == NULL)
			return lc_fail(LC_EXIT_LOCAL, "out of memory");
		lc_setting_put(&lc->set[s], copy, lc_sets[s].flag, true);
		return 0;
	}
	return 1;
}

/* Options anywhere (until "--"); the rest is the command and its
 * arguments, kept in order. */
static int
lc_parse_argv(struct lc *lc, int argc, char **argv)
{
	bool opts = true;
	int rc;

	lc->args = calloc((size_t)argc + 1, sizeof(*lc->args));
	if (lc->args == NULL)
		return lc_fail(LC_EXIT_LOCAL, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts || a[0] != '-' || a[1] == '\0') {
			lc->args[lc->nargs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			opts = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			lc->help = true;
		} else if (strcmp(a, "--version") == 0) {
			lc->version = true;
		} else if (strcmp(a, "--json") == 0) {
			lc->json = true;
		} else if (strcmp(a, "--csv") == 0) {
			lc->csv = true;
		} else if (strcmp(a, "--html") == 0) {
			lc->html = true;
		} else if ((rc = lc_value_option(lc, argc, argv, &i)) != 1) {
			if (rc != 0)
				return rc;
		} else {
			return lc_usage_fail(NULL, "unknown option '%s'", a);
		}
	}
	return LC_EXIT_OK;
}

/* ---- commands and their arguments ------------------------------------- */

/* Short names for daily use; every op is also callable by its wire name. */
static const struct lc_alias {
	const char *name;
	enum ld_op op;
} lc_aliases[] = {
	{ "call", LD_OP_CALL_LOG },
	{ "create", LD_OP_TICKET_CREATE },
	{ "show", LD_OP_TICKET_SHOW },
	{ "list", LD_OP_TICKET_LIST },
	{ "queue", LD_OP_WO_QUEUE },
	{ "sign", LD_OP_WO_SIGN },
	{ "return", LD_OP_WO_RETURN },
	{ "complete", LD_OP_WO_COMPLETE },
	{ "progress", LD_OP_WO_PROGRESS },
	{ "extend", LD_OP_EXT_REQUEST },
	{ "grant", LD_OP_EXT_GRANT },
	{ "refuse", LD_OP_EXT_REFUSE },
	{ "urge", LD_OP_WO_URGE },
	{ "reroute", LD_OP_WO_REROUTE },
	{ "rule", LD_OP_WO_RULE },
	{ "spot", LD_OP_SPOT_CHECK },
	{ "outbox", LD_OP_OUTBOX_LIST },
	{ "plan", LD_OP_PLAN_START },
	{ "attach", LD_OP_INCIDENT_ATTACH },
	{ "announce", LD_OP_INCIDENT_ANNOUNCE },
	{ "govreport", LD_OP_INCIDENT_REPORT },
	{ "resolve", LD_OP_INCIDENT_CLOSE },
	{ "incident", LD_OP_INCIDENT_SHOW },
	{ "settle", LD_OP_WO_SETTLE },
	{ "supervise", LD_OP_WO_SUPERVISE },
	{ "dispatch", LD_OP_TICKET_DISPATCH },
	{ "escalate", LD_OP_TICKET_ESCALATE },
	{ "handdown", LD_OP_TICKET_HANDDOWN },
	{ "accept", LD_OP_TRANSFER_ACCEPT },
	{ "decline", LD_OP_TRANSFER_REFUSE },
	{ "report", LD_OP_TICKET_REPORT },
	{ "callback", LD_OP_TICKET_CALLBACK },
	{ "reopen", LD_OP_TICKET_REOPEN },
	{ "close", LD_OP_TICKET_CLOSE },
	{ "figures", LD_OP_FIGURES },
	{ "status", LD_OP_STATUS },
};
#define LC_N_ALIASES (sizeof(lc_aliases) / sizeof(lc_aliases[0]))

/* The op of a command (alias or wire name); LD_OP_NONE if none. */
static enum ld_op
lc_op_of(const char *cmd)
{
	for (size_t i = 0; i < LC_N_ALIASES; i++)
		if (strcmp(lc_aliases[i].name, cmd) == 0)
			return lc_aliases[i].op;
	return proto_op_from_name(cmd, strlen(cmd));
}

/* The name a person types for op: its alias, else its wire name. */
static const char *
lc_cmd_name(enum ld_op op)
{
	for (size_t i = 0; i < LC_N_ALIASES; i++)
		if (lc_aliases[i].op == op)
			return lc_aliases[i].name;
	return proto_op_name(op);
}

/*
 * The query arguments (proto.h enum ld_qarg): where each goes in struct
 * ld_request and how it is typed.  proto_ops.c has the same facts in a
 * table private to the codec; the assertion below stops a build where
 * the enum grew and this table did not.
 */
struct lc_qdef {
	const char *name;
	enum ld_ftype type;
	uint32_t min, max;	/* STR: bytes; UINT: range */
	size_t off;		/* in struct ld_request */
	const char *meta;	/* in usage lines */
	const char *what;	/* in a command's help */
};

_Static_assert(LD_Q__COUNT == 9, "lc_qargs[] must follow enum ld_qarg");
#define LC_QOFF(m) offsetof(struct ld_request, m)
static const struct lc_qdef lc_qargs[LD_Q__COUNT] = {
	[LD_Q_STATE] = { "state", LD_T_STR, 0, 23, LC_QOFF(state), "STATE",
	    "a ticket state" },
	[LD_Q_DAY] = { "day", LD_T_STR, 0, 10, LC_QOFF(day), "YYYY-MM-DD",
	    "a local day (UTC+8)" },
	[LD_Q_DAY_TO] = { "day_to", LD_T_STR, 0, 10, LC_QOFF(day_to),
	    "YYYY-MM-DD", "the last local day of a range (needs day)" },
	[LD_Q_OVERDUE] = { "overdue", LD_T_BOOL, 0, 0, LC_QOFF(overdue),
	    "yes|no", "only tickets with a missed deadline" },
	[LD_Q_Q] = { "q", LD_T_STR, 0, LD_PROTO_Q_MAX, LC_QOFF(q), "TEXT",
	    "text to search for in place, description and caller" },
	[LD_Q_LIMIT] = { "limit", LD_T_UINT, 1, LD_PROTO_LIMIT_MAX,
	    LC_QOFF(limit), "N", "results per page (default 50)" },
	[LD_Q_AFTER] = { "after", LD_T_STR, 1, LD_TICKET_MAX, LC_QOFF(after),
	    "TICKET", "the next page: the ticket id the last page ended at" },
	[LD_Q_TICKET] = { "ticket", LD_T_STR, 1, LD_TICKET_MAX,
	    LC_QOFF(ticket), "TICKET", "the ticket id (LY-2011-000123)" },
	[LD_Q_BOX] = { "box", LD_T_STR, 1, 7, LC_QOFF(box), "new|sent|dead",
	    "an outbox: waiting, delivered or given up" },
};

/* One argument of a command: an event field or a query argument. */
struct lc_arg {
	const char *name;
	bool query;
	int idx;		/* LD_F_* or LD_Q_* */
	enum ld_ftype type;
	uint32_t min, max;
	const struct ld_field_def *field;	/* event fields only */
};

static struct lc_arg
lc_arg_field(int f)
{
	const struct ld_field_def *d = &event_fields[f];

	return (struct lc_arg){ d->name, false, f, d->type, d->min, d->max, d };
}

static struct lc_arg
lc_arg_query(int q)
{
	const struct lc_qdef *d = &lc_qargs[q];

	return (struct lc_arg){ d->name, true, q, d->type, d->min, d->max,
	    NULL };
}

/* Does op take a (required or optional)?  *req: required. */
static bool
lc_takes(enum ld_op op, const struct lc_arg *a, bool *req)
{
	const struct ld_op_def *o = &proto_ops[op];
	uint32_t bit = 1u << a->idx;
	uint32_t r = a->query ? o->q_required : o->required;
	uint32_t opt = a->query ? o->q_optional : o->optional;

	if (req != NULL)
		*req = (r & bit) != 0;
	return ((r | opt) & bit) != 0;
}

/* The argument called name[0..n), if any. */
static bool
lc_arg_by_name(const char *name, size_t n, struct lc_arg *a)
{
	int f = event_field_from_name(name, n);

	if (f >= 0) {
		*a = lc_arg_field(f);
		return true;
	}
	for (int q = 0; q < LD_Q__COUNT; q++)
		if (strlen(lc_qargs[q].name) == n &&
		    memcmp(lc_qargs[q].name, name, n) == 0) {
			*a = lc_arg_query(q);
			return true;
		}
	return false;
}

/* Positional arguments: each fills the argument named, in this order,
 * for the ops that take it. */
static const struct lc_pos {
	const char *meta;
	bool query;
	int idx;
} lc_positional[] = {
	{ "TICKET", true, LD_Q_TICKET },
	{ "WO", false, LD_F_WO },
	{ "DAY", true, LD_Q_DAY },
	{ "DAY_TO", true, LD_Q_DAY_TO },
};
#define LC_N_POS (sizeof(lc_positional) / sizeof(lc_positional[0]))

static struct lc_arg
lc_pos_arg(const struct lc_pos *p)
{
	return p->query ? lc_arg_query(p->idx) : lc_arg_field(p->idx);
}

/* Is a one of the positional arguments of op? */
static bool
lc_is_positional(enum ld_op op, const struct lc_arg *a)
{
	for (size_t i = 0; i < LC_N_POS; i++) {
		struct lc_arg p = lc_pos_arg(&lc_positional[i]);

		if (p.query == a->query && p.idx == a->idx)
			return lc_takes(op, &p, NULL);
	}
	return false;
}

/* Call fn for every argument op takes: event fields in field order, then
 * query arguments (the canonical order of docs/protocol.md §3.3). */
static void
lc_each_arg(enum ld_op op, void (*fn)(const struct lc_arg *a, bool req,
    void *ctx), void *ctx)
{
	struct lc_arg a;
	bool req;

	for (int f = 0; f < LD_F__COUNT; f++) {
		a = lc_arg_field(f);
		if (lc_takes(op, &a, &req))
			fn(&a, req, ctx);
	}
	for (int q = 0; q < LD_Q__COUNT; q++) {
		a = lc_arg_query(q);
		if (lc_takes(op, &a, &req))
			fn(&a, req, ctx);
	}
}

/* ---- text ---------------------------------------------------------------- */

/* A growing line of text. */
struct lc_sb {
	char *p;
	size_t cap, len;
	bool cut;		/* something did not fit */
};

/* Append s[0..n); what does not fit is cut at a character boundary. */
static void
lc_sb_add(struct lc_sb *b, const char *s, size_t n)
{
	size_t room = b->cap - 1 - b->len;

	if (b->cut)
		return;
	if (n > room) {
		n = room > 3 ? room - 3 : 0;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;	/* not inside a UTF-8 sequence */
		b->cut = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	if (b->cut && b->cap - 1 - b->len >= 3) {
		memcpy(b->p + b->len, "...", 3);
		b->len += 3;
	}
	b->p[b->len] = '\0';
}

static void
lc_sb_puts(struct lc_sb *b, const char *s)
{
	lc_sb_add(b, s, strlen(s));
}

static void
lc_sb_printf(struct lc_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
lc_sb_printf(struct lc_sb *b, const char *fmt, ...)
{
	char tmp[LC_CELL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		lc_sb_add(b, tmp, strlen(tmp));
}

/* ---- values ------------------------------------------------------------ */

/* Say in why (cap bytes) what is wrong with a value; returns -1. */
static int
lc_why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
lc_why(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* "12" as a uint32; false if not only digits or too large. */
static bool
lc_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* "+2h", "+30m", "+3d", "+1h30m": milliseconds from now. */
static bool
lc_parse_rel(const char *s, int64_t *ms)
{
	int64_t total = 0, n;

	if (*s++ != '+' || *s == '\0')
		return false;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return false;
		for (n = 0; *s >= '0' && *s <= '9'; s++)
			if ((n = n * 10 + (*s - '0')) > 1000000)
				return false;
		switch (*s++) {
		case 'm': n *= 60000; break;
		case 'h': n *= 3600000; break;
		case 'd': n *= 86400000; break;
		default: return false;
		}
		if ((total += n) > LC_REL_MAX_MS)
			return false;
	}
	*ms = total;
	return true;
}

/* A time: "YYYY-MM-DD HH:MM[:SS]" local, or "+2h" from now. */
static bool
lc_parse_time(const char *s, int64_t *out)
{
	int64_t rel;

	if (s[0] == '+') {
		if (!lc_parse_rel(s, &rel))
			return false;
		*out = ltime_now() + rel;
		return *out <= LD_TIME_MAX;
	}
	*out = ltime_parse(s);
	return *out >= 0 && *out <= LD_TIME_MAX;
}

static bool
lc_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* "zhujian,telecom": units, blanks around each allowed. */
static int
lc_parse_units(const char *s, uint32_t max, struct ld_event *ev, char *why,
    size_t cap)
{
	while (true) {
		const char *end = strchr(s, ',');
		size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
		char unit[LD_ID_MAX + 1];

		while (n > 0 && isspace((unsigned char)*s))
			s++, n--;
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		if (n == 0)
			return lc_why(why, cap, "an empty name in the list");
		if (n > max)
			return lc_why(why, cap, "'%.*s' is longer than %u "
			    "bytes", (int)n, s, max);
		if (ev->n_units == LD_UNITS_MAX)
			return lc_why(why, cap, "more than %d names",
			    LD_UNITS_MAX);
		memcpy(unit, s, n);
		unit[n] = '\0';
		event_add_unit(ev, unit);
		if (end == NULL)
			return 0;
		s = end + 1;
	}
}

/* Is s all ASCII? */
static bool
lc_ascii(const char *s)
{
	while (*s != '\0')
		if ((unsigned char)*s++ >= 0x80)
			return false;
	return true;
}

/* A string within max bytes, UTF-8 text. */
static int
lc_check_str(const char *val, uint32_t min, uint32_t max, char *why,
    size_t cap)
{
	size_t n = strlen(val), bad;

	if (n < min)
		return lc_why(why, cap, "empty");
	if (n > max)
		return lc_why(why, cap, "%zu bytes, at most %u%s", n, max,
		    lc_ascii(val) ? "" : " (a Chinese character takes 3)");
	if (!utf8_valid(val, n, &bad))
		return lc_why(why, cap, "not UTF-8 text (byte %zu)",
		    bad + 1);
	return 0;
}

/* The enum names of field d as "a|b|c". */
static const char *
lc_enum_list(const struct ld_field_def *d, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < d->max && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "|" : "",
		    d->enum_names[i]);
	return buf;
}

static int
lc_set_enum(struct ld_request *req, const struct lc_arg *a, const char *val,
    char *why, size_t cap)
{
	char names[128];

	for (uint32_t i = 0; i < a->field->max; i++)
		if (strcmp(val, a->field->enum_names[i]) == 0)
			return event_set_uint(&req->args, a->idx, i + 1);
	return lc_why(why, cap, "'%s' is not one of %s", val,
	    lc_enum_list(a->field, names, sizeof(names)));
}

/* Set event field a of req from the text val; why says what is wrong. */
static int
lc_set_field(struct ld_request *req, const struct lc_arg *a, const char *val,
    char *why, size_t cap)
{
	struct ld_event *ev = &req->args;
	uint32_t u;
	int64_t t;
	bool b;

	switch (a->type) {
	case LD_T_STR:
		if (lc_check_str(val, 0, a->max, why, cap) != 0)
			return -1;
		return event_set_str(ev, a->idx, val);
	case LD_T_UINT:
		if (!lc_parse_u32(val, &u) || u < a->min || u > a->max)
			return lc_why(why, cap, "'%s' is not a number %u..%u",
			    val, a->min, a->max);
		return event_set_uint(ev, a->idx, u);
	case LD_T_TIME:
		if (!lc_parse_time(val, &t))
			return lc_why(why, cap, "'%s' is not a time "
			    "('YYYY-MM-DD HH:MM' local, or +30m, +2h, +3d "
			    "from now)", val);
		return event_set_time(ev, a->idx, t);
	case LD_T_BOOL:
		if (!lc_parse_bool(val, &b))
			return lc_why(why, cap, "'%s' is not yes or no",
			    val);
		return event_set_bool(ev, a->idx, b);
	case LD_T_ENUM:
		return lc_set_enum(req, a, val, why, cap);
	default:
		if (lc_check_str(val, 1, LD_UNITS_MAX * (LD_ID_MAX + 1), why,
		    cap) != 0)
			return -1;
		return lc_parse_units(val, a->max, ev, why, cap);
	}
}

/* Set query argument a of req from the text val. */
static int
lc_set_query(struct ld_request *req, const struct lc_arg *a, const char *val,
    char *why, size_t cap)
{
	const struct lc_qdef *d = &lc_qargs[a->idx];
	uint32_t u;

	switch (d->type) {
	case LD_T_STR:
		if (lc_check_str(val, d->min, d->max, why, cap) != 0)
			return -1;
		memcpy((char *)req + d->off, val, strlen(val) + 1);
		break;
	case LD_T_BOOL:
		if (!lc_parse_bool(val, &req->overdue))
			return lc_why(why, cap, "'%s' is not yes or no",
			    val);
		break;
	default:
		if (!lc_parse_u32(val, &u) || u < d->min || u > d->max)
			return lc_why(why, cap, "'%s' is not a number %u..%u",
			    val, d->min, d->max);
		req->limit = u;
	}
	req->q_present |= 1u << a->idx;
	return 0;
}

/* Is argument a already in req? */
static bool
lc_present(const struct ld_request *req, const struct lc_arg *a)
{
	uint32_t bits = a->query ? req->q_present : req->args.present;

	return (bits >> a->idx) & 1u;
}

/* Add a's name to the list in ctx (a struct lc_sb), for lc_each_arg. */
static void
lc_name_item(const struct lc_arg *a, bool req, void *ctx)
{
	struct lc_sb *b = ctx;

	(void)req;
	lc_sb_printf(b, "%s%s", b->len ? ", " : "", a->name);
}

/* A usage error: name[0..n) is no argument of the command. */
static int
lc_unknown_arg(const struct lc *lc, const char *name, size_t n)
{
	char names[512];
	struct lc_sb b = { names, sizeof(names), 0, false };

	names[0] = '\0';
	lc_each_arg(lc->op, lc_name_item, &b);
	if (b.len == 0)
		return lc_usage_fail(lc->cmd, "%.*s: unknown argument (%s "
		    "takes none)", (int)n, name, proto_op_name(lc->op));
	return lc_usage_fail(lc->cmd, "%.*s: unknown argument (%s takes %s)",
	    (int)n, name, proto_op_name(lc->op), names);
}

/* Set argument a of the command to val, checked against the op. */
static int
lc_set_arg(struct lc *lc, const struct lc_arg *a, const char *val)
{
	char why[LD_ERR_MSG_MAX] = "";
	int rc;

	if (!lc_takes(lc->op, a, NULL))
		return lc_unknown_arg(lc, a->name, strlen(a->name));
	if (lc_present(&lc->req, a))
		return lc_usage_fail(lc->cmd, "%s: given twice", a->name);
	rc = a->query ? lc_set_query(&lc->req, a, val, why, sizeof(why)) :
	    lc_set_field(&lc->req, a, val, why, sizeof(why));
	if (rc != 0)
		return lc_usage_fail(lc->cmd, "%s: %s", a->name, why[0] ? why :
		    "bad value");
	return LC_EXIT_OK;
}

/* The next positional argument of op after *next, or NULL; with req,
 * one that is not in it yet (given by name). */
static const struct lc_pos *
lc_next_pos(enum ld_op op, const struct ld_request *req, size_t *next)
{
	while (*next < LC_N_POS) {
		const struct lc_pos *p = &lc_positional[(*next)++];
		struct lc_arg a = lc_pos_arg(p);

		if (lc_takes(op, &a, NULL) &&
		    (req == NULL || !lc_present(req, &a)))
			return p;
	}
	return NULL;
}

/* Fill lc->req from the command's arguments: positional ones first come
 * first, then NAME=VALUE in any order. */
static int
lc_build(struct lc *lc)
{
	size_t next = 0;
	int rc;

	memset(&lc->req, 0, sizeof(lc->req));
	lc->req.op = lc->op;
	for (int i = 1; i < lc->nargs; i++) {
		const char *arg = lc->args[i], *eq = strchr(arg, '=');
		const struct lc_pos *p;
		struct lc_arg a;

		if (eq == arg) {
			return lc_usage_fail(lc->cmd, "'%s': no NAME before "
			    "'='", arg);
		} else if (eq != NULL) {
			if (!lc_arg_by_name(arg, (size_t)(eq - arg), &a))
				return lc_unknown_arg(lc, arg,
				    (size_t)(eq - arg));
			rc = lc_set_arg(lc, &a, eq + 1);
		} else if ((p = lc_next_pos(lc->op, &lc->req, &next)) != NULL) {
			a = lc_pos_arg(p);
			rc = lc_set_arg(lc, &a, arg);
		} else {
			return lc_usage_fail(lc->cmd, "unexpected argument '%s' "
			    "(arguments are NAME=VALUE)", arg);
		}
		if (rc != LC_EXIT_OK)
			return rc;
	}
	return LC_EXIT_OK;
}

/* Check the request as the node's decoder will (missing arguments, day
 * ranges, state names): a usage error here, before any connection. */
static int
lc_check_request(struct lc *lc)
{
	uint8_t frame[LD_PROTO_FRAME_MAX];
	struct ld_err err = { 0, "" };

	if (proto_request_encode(&lc->req, frame, sizeof(frame), &err) >= 0)
		return LC_EXIT_OK;
	if (strncmp(err.msg, "args.", 5) == 0)
		return lc_usage_fail(lc->cmd, "%s", err.msg + 5);
	return lc_usage_fail(lc->cmd, "%s", err.msg);
}

/* ---- help, generated from proto_ops[] and event_fields[] --------------- */

/* How an argument's value is written in a usage line: "TEXT", "1..5". */
static const char *
lc_meta(const struct lc_arg *a, char *buf, size_t cap)
{
	if (a->query)
		return lc_qargs[a->idx].meta;
	switch (a->type) {
	case LD_T_STR: return a->max == LD_ID_MAX ? "ID" : "TEXT";
	case LD_T_UINT:
		snprintf(buf, cap, "%u..%u", a->min, a->max);
		return buf;
	case LD_T_TIME: return "TIME";
	case LD_T_BOOL: return "yes|no";
	case LD_T_ENUM: return lc_enum_list(a->field, buf, cap);
	default: return "ID,ID...";
	}
}

/* One usage item per argument, for lc_each_arg. */
struct lc_usage_ctx {
	struct lc_sb *b;
	enum ld_op op;
	bool required;		/* this pass: the required ones */
};

static void
lc_usage_item(const struct lc_arg *a, bool req, void *ctx)
{
	struct lc_usage_ctx *u = ctx;
	char meta[128];

	if (req != u->required || lc_is_positional(u->op, a))
		return;
	lc_sb_printf(u->b, req ? " %s=%s" : " [%s=%s]", a->name,
	    lc_meta(a, meta, sizeof(meta)));
}

/* "sign TICKET WO [note=TEXT]": positional arguments (optional ones
 * nested), then the required NAME=VALUE, then the optional ones. */
static void
lc_usage(enum ld_op op, struct lc_sb *b)
{
	struct lc_usage_ctx u = { b, op, true };
	int open = 0;
	size_t next = 0;
	const struct lc_pos *p;

	lc_sb_puts(b, lc_cmd_name(op));
	while ((p = lc_next_pos(op, NULL, &next)) != NULL) {
		struct lc_arg a = lc_pos_arg(p);
		bool req;

		lc_takes(op, &a, &req);
		lc_sb_printf(b, req ? " %s" : " [%s", p->meta);
		open += !req;
	}
	while (open-- > 0)
		lc_sb_puts(b, "]");
	lc_each_arg(op, lc_usage_item, &u);
	u.required = false;
	lc_each_arg(op, lc_usage_item, &u);
}

/* The roles of op as words: "operator, admin". */
static const char *
lc_roles(enum ld_op op, char *buf, size_t cap)
{
	struct lc_sb b = { buf, cap, 0, false };

	buf[0] = '\0';
	for (int r = LD_ROLE_OPERATOR; r <= LD_ROLE_ADMIN; r++)
		if (proto_ops[op].roles & (1u << r))
			lc_sb_printf(&b, "%s%s", b.len ? ", " : "",
			    topo_role_name(r));
	return buf;
}

/* Print text wrapped at LC_WRAP columns: the first line from column col,
 * the others indented by indent. */
static void
lc_wrap(FILE *f, const char *text, int col, int indent)
{
	const char *s = text;
	bool start = true;	/* of a line: no blank before the word */

	while (*s != '\0') {
		const char *sp = strchr(s, ' ');
		int n = sp != NULL ? (int)(sp - s) : (int)strlen(s);

		if (!start && col + 1 + n > LC_WRAP) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!start) {
			fputc(' ', f);
			col++;
		}
		start = false;
		fprintf(f, "%.*s", n, s);
		col += n;
		s += n;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

static void
lc_help_command(FILE *f, enum ld_op op)
{
	char buf[1024], roles[64], line[LC_CELL_MAX];
	struct lc_sb b = { buf, sizeof(buf), 0, false };

	lc_usage(op, &b);
	fputs("  ", f);
	lc_wrap(f, buf, 2, 8);
	snprintf(line, sizeof(line), "%s (%s): %s", proto_op_name(op),
	    lc_roles(op, roles, sizeof(roles)), proto_ops[op].summary);
	fputs("      ", f);
	lc_wrap(f, line, 6, 6);
}

static const char lc_help_head[] =
    "usage: linkctl [OPTIONS] COMMAND [ARG...] [NAME=VALUE...]\n"
    "\n"
    "The command line of liandong's operators, unit terminals and\n"
    "administrators: one request to their node, the reply printed in\n"
    "local time (UTC+8), or as one line of JSON with --json.\n"
    "\n"
    "options (they override the config file):\n";

static const char lc_help_tail[] =
    "  record UNIT YYYY           O U A  a unit's assessment month by month\n"
    "  report month|year|range    O U A  the period's figures and assessment\n"
    "                                    (`linkctl help report`)\n"
    "\n"
    "Values: TEXT as typed (quote it for the shell); ID an id of the\n"
    "topology (area, category, unit); TIME 'YYYY-MM-DD HH:MM' local time,\n"
    "or +30m, +2h, +3d, +1h30m from now; yes|no (or true|false); ID,ID...\n"
    "a comma-separated list.  TICKET and WO may be given by position, as\n"
    "the ticket= and wo= arguments.  'linkctl help COMMAND' describes\n"
    "every argument of a command.\n"
    "\n"
    "Config file: --config FILE, else $LINKCTL_CONFIG if that file exists\n"
    "(empty: none), else ~/.config/liandong/linkctl.conf if it exists;\n"
    "section [linkctl] with topology, node, endpoint, server_key, key,\n"
    "timeout (paths relative to the file's directory).\n"
    "\n"
    "exit status:\n"
    "  0  done\n"
    "  1  the node answered with an error (printed as CODE: message)\n"
    "  2  bad usage: unknown command or option, a bad or missing argument\n"
    "  3  the node could not be reached, did not answer in time, or\n"
    "     refused this client's key\n"
    "  4  a local problem: the key file, the config file, the topology\n"
    "     file\n";

static void
lc_help(FILE *f)
{
	fputs(lc_help_head, f);
	for (int s = 0; s < LC_S__COUNT; s++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "%s %s", lc_sets[s].flag,
		    lc_sets[s].meta);
		fprintf(f, "  %-26s ", opt);
		lc_wrap(f, lc_sets[s].help, 29, 29);
	}
	fprintf(f, "  %-26s the config file (see below)\n"
	    "  %-26s the reply as one line of JSON (result or error)\n"
	    "  %-26s this help; 'linkctl help COMMAND': one command\n"
	    "  %-26s the version\n"
	    "\ncommands (roles that may call them; [...] optional):\n",
	    "--config FILE", "--json", "-h, --help", "--version");
	for (int op = 1; op < LD_OP__COUNT; op++)
		lc_help_command(f, (enum ld_op)op);
	fputs(lc_help_tail, f);
}

/* What an argument's value is, in words. */
static void
lc_arg_what(const struct lc_arg *a, char *buf, size_t cap)
{
	if (a->query) {
		snprintf(buf, cap, "%s", lc_qargs[a->idx].what);
		return;
	}
	switch (a->type) {
	case LD_T_STR:
		snprintf(buf, cap, "%s, at most %u bytes", a->max == LD_ID_MAX ?
		    "an id of the topology" : "text", a->max);
		break;
	case LD_T_UINT:
		snprintf(buf, cap, "a number from %u to %u", a->min, a->max);
		break;
	case LD_T_TIME:
		snprintf(buf, cap, "a time: 'YYYY-MM-DD HH:MM' local, or +30m, "
		    "+2h, +3d from now");
		break;
	case LD_T_BOOL: snprintf(buf, cap, "yes or no"); break;
	case LD_T_ENUM: snprintf(buf, cap, "one of the names shown"); break;
	default:
		snprintf(buf, cap, "ids of the topology, comma-separated, 1 to "
		    "%d", LD_UNITS_MAX);
	}
}

/* A command's help lists the required arguments, then the optional. */
struct lc_help_ctx {
	FILE *f;
	bool required;
};

/* One argument of a command's help, for lc_each_arg. */
static void
lc_help_arg(const struct lc_arg *a, bool req, void *ctx)
{
	struct lc_help_ctx *h = ctx;
	char meta[128], left[192], what[256];

	if (req != h->required)
		return;
	snprintf(left, sizeof(left), "%s=%s", a->name,
	    lc_meta(a, meta, sizeof(meta)));
	lc_arg_what(a, what, sizeof(what));
	if (strlen(left) > 24)
		fprintf(h->f, "  %s\n  %-24s ", left, "");
	else
		fprintf(h->f, "  %-24s ", left);
	lc_wrap(h->f, what, 27, 27);
}

static void
lc_help_one(FILE *f, enum ld_op op)
{
	const struct ld_op_def *o = &proto_ops[op];
	struct lc_help_ctx h = { f, true };
	struct lc_arg state = lc_arg_query(LD_Q_STATE);
	char buf[1024], roles[64];
	struct lc_sb b = { buf, sizeof(buf), 0, false };

	lc_usage(op, &b);
	fputs("usage: linkctl ", f);
	lc_wrap(f, buf, 15, 8);
	fprintf(f, "\n%s: %s\nroles: %s\n", proto_op_name(op), o->summary,
	    lc_roles(op, roles, sizeof(roles)));
	if ((o->required | o->q_required) != 0) {
		fputs("\nrequired:\n", f);
		lc_each_arg(op, lc_help_arg, &h);
	}
	h.required = false;
	if ((o->optional | o->q_optional) != 0) {
		fputs("\noptional:\n", f);
		lc_each_arg(op, lc_help_arg, &h);
	}
	if ((o->required | o->q_required | o->optional | o->q_optional) == 0)
		fputs("\nno arguments\n", f);
	if (lc_takes(op, &state, NULL)) {
		fputs("\nstates:", f);
		for (int st = LD_TS_NONE + 1; st < LD_TS__COUNT; st++)
			fprintf(f, " %s", ticket_state_name(st));
		fputc('\n', f);
	}
}

static const char lc_help_report[] =
    "usage: linkctl report month YYYY-MM [--csv|--html]\n"
    "       linkctl report year YYYY [--csv|--html]\n"
    "       linkctl report range DAY DAY [--csv|--html]\n"
    "the figures of the period (the article's table) and the assessment of\n"
    "every unit and node (docs/assessment.md); --csv for a spreadsheet,\n"
    "--html for a page to publish (bar charts as inline SVG); roles: O U A\n"
    "\n"
    "and, without month|year|range, `report TICKET note=...` is\n"
    "ticket.report:\n\n";

static const char lc_help_record[] =
    "usage: linkctl record UNIT YYYY\n"
    "a unit's efficiency record (效能档案): its assessment month by month\n"
    "over a year (one `report` per month); roles: O U A\n";

/* "linkctl help [COMMAND]" and "--help". */
static int
lc_help_cmd(const char *cmd)
{
	enum ld_op op;

	if (cmd == NULL) {
		lc_help(stdout);
		return LC_EXIT_OK;
	}
	if (strcmp(cmd, "record") == 0) {
		fputs(lc_help_record, stdout);
		return LC_EXIT_OK;
	}
	if ((op = lc_op_of(cmd)) == LD_OP_NONE)
		return lc_usage_fail(NULL, "unknown command '%s'", cmd);
	if (strcmp(cmd, "report") == 0)
		fputs(lc_help_report, stdout);
	lc_help_one(stdout, op);
	return LC_EXIT_OK;
}

/* ---- the connection ----------------------------------------------------- */

/* --timeout: seconds, fractions allowed, to ms. */
static int
lc_resolve_timeout(struct lc *lc)
{
	const struct lc_setting *s = &lc->set[LC_S_TIMEOUT];
	char *end;
	double t;

	lc->timeout_ms = LD_CLIENT_TIMEOUT_MS;
	if (s->val == NULL)
		return LC_EXIT_OK;
	errno = 0;
	t = strtod(s->val, &end);
	if (errno != 0 || end == s->val || *end != '\0' || !isfinite(t) ||
	    t <= 0 || t > LC_TIMEOUT_S_MAX)
		return lc_fail(lc_set_status(s), "%s: '%s' is not a number of "
		    "seconds in (0, %d]", s->where, s->val, LC_TIMEOUT_S_MAX);
	lc->timeout_ms = (int)(t * 1000 + 0.5);
	if (lc->timeout_ms < 1)
		lc->timeout_ms = 1;
	return LC_EXIT_OK;
}

/* Load the topology and find the node in it. */
static int
lc_resolve_topology(struct lc *lc)
{
	const struct lc_setting *tp = &lc->set[LC_S_TOPOLOGY];
	const struct lc_setting *nd = &lc->set[LC_S_NODE];
	int rc;

	if (tp->val == NULL || nd->val == NULL)
		return lc_usage_fail(NULL, "which node? give --topology FILE "
		    "and --node ID, or --endpoint and --server-key (or set "
		    "them in the config file)");
	rc = topo_load(tp->val, &lc->topo);
	if (rc != 0) {
		if (lc->topo != NULL)
			topo_print_diags(lc->topo, stderr);
		return lc_fail(LC_EXIT_LOCAL, "%s: cannot use this topology "
		    "file (%s); check it with 'topology check %s'", tp->val,
		    err_name(rc), tp->val);
	}
	if ((lc->node = topo_node(lc->topo, nd->val)) < 0)
		return lc_fail(lc_set_status(nd), "%s: '%s' is not a node of "
		    "%s", nd->where, nd->val, tp->val);
	if (lc->topo->nodes[lc->node].client[0] == '\0')
		return lc_fail(LC_EXIT_LOCAL, "%s: node %s has no client "
		    "endpoint", tp->val, nd->val);
	return LC_EXIT_OK;
}

/* The endpoint and the server key: from the settings where given, else
 * from the topology's node. */
static int
lc_resolve_node(struct lc *lc)
{
	const struct lc_setting *ep = &lc->set[LC_S_ENDPOINT];
	const struct lc_setting *sk = &lc->set[LC_S_SERVER_KEY];
	const char *key;
	int rc;

	lc->node = -1;
	if ((ep->val == NULL || sk->val == NULL) &&
	    (rc = lc_resolve_topology(lc)) != LC_EXIT_OK)
		return rc;
	if (ep->val != NULL && strlen(ep->val) > LD_TOPO_EP_MAX)
		return lc_fail(lc_set_status(ep), "%s: endpoint longer than "
		    "%d bytes", ep->where, LD_TOPO_EP_MAX);
	snprintf(lc->endpoint, sizeof(lc->endpoint), "%s", ep->val != NULL ?
	    ep->val : lc->topo->nodes[lc->node].client);
	key = sk->val != NULL ? sk->val : lc->topo->nodes[lc->node].public_key;
	if (strlen(key) != LD_KEY_Z85 ||
	    zmq_z85_decode(lc->server_key, key) == NULL)
		return lc_fail(sk->val != NULL ? lc_set_status(sk) :
		    LC_EXIT_LOCAL, "%s: not a Z85 key of %d characters",
		    sk->val != NULL ? sk->where : lc->set[LC_S_TOPOLOGY].val,
		    LD_KEY_Z85);
	return LC_EXIT_OK;
}

/* Read the key file; warn when the topology does not list its public
 * key as a client of the node (the node would refuse it). */
static int
lc_resolve_key(struct lc *lc)
{
	const struct lc_setting *k = &lc->set[LC_S_KEY];
	struct ld_err err = { 0, "" };
	int c;

	if (k->val == NULL)
		return lc_usage_fail(NULL, "no key file: give --key FILE (made "
		    "by 'topology keygen NAME') or set key in the config file");
	if (keyfile_read(k->val, &lc->keys, &err) != 0)
		return lc_fail(LC_EXIT_LOCAL, "%s", err.msg);
	if (lc->topo == NULL)
		return LC_EXIT_OK;
	c = topo_client_by_key(lc->topo, lc->keys.public_z85);
	if (c < 0 || lc->topo->clients[c].node != lc->node)
		fprintf(stderr, "%s: warning: %s does not list the public key "
		    "of %s (%s) as a client of node %s; the node will refuse "
		    "it\n", lc_prog, lc->topo->path, k->val,
		    lc->keys.public_z85, lc->topo->nodes[lc->node].id);
	return LC_EXIT_OK;
}

/* ---- output: values ----------------------------------------------------- */

enum lc_fmt { LC_PLAIN = 0, LC_TIME, LC_TIME_S };

/* The value under key in map m, or NULL. */
static const msgpack_object *
lc_get(const msgpack_object *m, const char *key)
{
	size_t n = strlen(key);

	if (m == NULL || m->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

/* Is o there, of type t? */
static bool
lc_is(const msgpack_object *o, msgpack_object_type t)
{
	return o != NULL && o->type == t;
}

/* Is o absent, nil, false, 0 or ""? */
static bool
lc_empty(const msgpack_object *o)
{
	return o == NULL || o->type == MSGPACK_OBJECT_NIL ||
	    (o->type == MSGPACK_OBJECT_BOOLEAN && !o->via.boolean) ||
	    (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == 0) ||
	    (o->type == MSGPACK_OBJECT_STR && o->via.str.size == 0);
}

/* Text from the node, fit for a terminal: control characters (C0, DEL,
 * C1) become a blank (tab, newline) or '?', so no escape sequence ever
 * reaches it.  The text is UTF-8 (the reply decoder checked). */
static void
lc_sb_text(struct lc_sb *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool c1 = c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f;

		if (c >= 0x20 && c != 0x7f && !c1)
			continue;
		lc_sb_add(b, s + run, i - run);
		lc_sb_puts(b, c == '\n' || c == '\t' || c == '\r' ? " " : "?");
		i += c1;
		run = i + 1;
	}
	lc_sb_add(b, s + run, n - run);
}

/* A time: local "YYYY-MM-DD HH:MM" (LC_TIME) or with seconds. */
static void
lc_sb_time(struct lc_sb *b, uint64_t ms, enum lc_fmt fmt)
{
	char t[32];

	if (ms > (uint64_t)LD_TIME_MAX) {
		lc_sb_printf(b, "%llu", (unsigned long long)ms);
		return;
	}
	ltime_format((int64_t)ms, t, sizeof(t));
	lc_sb_add(b, t, fmt == LC_TIME ? 16 : strlen(t));
}

static void lc_sb_value(struct lc_sb *b, const msgpack_object *o,
    enum lc_fmt fmt);

/* An array as "a,b,c"; a map as "k=v k=v". */
static void
lc_sb_container(struct lc_sb *b, const msgpack_object *o, enum lc_fmt fmt)
{
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		if (o->via.array.size == 0)
			lc_sb_puts(b, "-");
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				lc_sb_puts(b, ",");
			lc_sb_value(b, &o->via.array.ptr[i], fmt);
		}
		return;
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		if (i > 0)
			lc_sb_puts(b, " ");
		lc_sb_value(b, &o->via.map.ptr[i].key, LC_PLAIN);
		lc_sb_puts(b, "=");
		lc_sb_value(b, &o->via.map.ptr[i].val, fmt);
	}
}

/* Any value as text; NULL and nil are "-". */
static void
lc_sb_value(struct lc_sb *b, const msgpack_object *o, enum lc_fmt fmt)
{
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL) {
		lc_sb_puts(b, "-");
		return;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		lc_sb_puts(b, o->via.boolean ? "yes" : "no");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (fmt != LC_PLAIN)
			lc_sb_time(b, o->via.u64, fmt);
		else
			lc_sb_printf(b, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		lc_sb_printf(b, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_STR:
		lc_sb_text(b, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
		lc_sb_container(b, o, fmt);
		break;
	default:
		lc_sb_puts(b, "?");	/* the reply decoder lets none pass */
	}
}

/* The value under key of m as text in buf. */
static const char *
lc_str(const msgpack_object *m, const char *key, enum lc_fmt fmt, char *buf,
    size_t cap)
{
	struct lc_sb b = { buf, cap, 0, false };

	buf[0] = '\0';
	lc_sb_value(&b, lc_get(m, key), fmt);
	return buf;
}

/* Columns a UTF-8 string takes on a terminal: East Asian wide and
 * fullwidth characters take two. */
static size_t
lc_width(const char *s)
{
	size_t w = 0;

	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		uint32_t cp = c;
		int len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		for (int k = 1; k < len && s[k] != '\0'; k++)
			cp = (k == 1 ? cp & (0xff >> (len + 1)) : cp) << 6 |
			    ((unsigned char)s[k] & 0x3f);
		w += (cp >= 0x1100 && cp <= 0x115f) ||
		    (cp >= 0x2e80 && cp <= 0xa4cf) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xfe30 && cp <= 0xfe4f) ||
		    (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) ||
		    (cp >= 0x20000 && cp <= 0x3fffd) ? 2 : 1;
		while (len-- > 0 && *s != '\0')
			s++;
	}
	return w;
}

/* ---- output: tables ----------------------------------------------------- */

#define LC_TABLE_COLS 32	/* columns a table may have */

/* Rows of cells, row 0 the header; every column but the last padded to
 * its widest cell. */
struct lc_table {
	int ncol, nrow;
	char **cell;		/* nrow * ncol, malloc'd strings */
};

static int
lc_table_init(struct lc_table *t, int ncol, int nrow)
{
	if (ncol < 1 || ncol > LC_TABLE_COLS)
		return -1;
	t->ncol = ncol;
	t->nrow = 0;
	t->cell = calloc((size_t)ncol * (size_t)nrow, sizeof(char *));
	return t->cell != NULL ? 0 : -1;
}

static void
lc_table_free(struct lc_table *t)
{
	for (int i = 0; i < t->ncol * t->nrow; i++)
		free(t->cell[i]);
	free(t->cell);
}

/* Print row r with the column widths w; no blanks at the end. */
static void
lc_table_row(const struct lc_table *t, int r, const size_t *w,
    const char *indent)
{
	int last = t->ncol - 1;

	while (last > 0 && (t->cell[r * t->ncol + last] == NULL ||
	    t->cell[r * t->ncol + last][0] == '\0'))
		last--;
	fputs(indent, stdout);
	for (int c = 0; c <= last; c++) {
		const char *s = t->cell[r * t->ncol + c];

		s = s != NULL ? s : "";
		if (c == last)
			fputs(s, stdout);
		else
			printf("%s%*s", s, (int)(w[c] - lc_width(s) + 2), "");
	}
	fputc('\n', stdout);
}

static void
lc_table_print(const struct lc_table *t, const char *indent)
{
	size_t w[LC_TABLE_COLS] = { 0 };

	for (int r = 0; r < t->nrow; r++)
		for (int c = 0; c < t->ncol; c++) {
			const char *s = t->cell[r * t->ncol + c];
			size_t n = s != NULL ? lc_width(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (int r = 0; r < t->nrow; r++)
		lc_table_row(t, r, w, indent);
}

/* A column of a table of maps: the value under key, or a computed cell. */
struct lc_col {
	const char *head;
	const char *key;
	enum lc_fmt fmt;
	void (*cell)(struct lc_sb *b, const msgpack_object *row);
};

/* Print the array rows (of maps) as a table with columns cols. */
static void
lc_print_rows(const msgpack_object *rows, const struct lc_col *cols,
    int ncol, const char *indent)
{
	struct lc_table t;
	char buf[LC_CELL_MAX];

	if (rows == NULL || rows->type != MSGPACK_OBJECT_ARRAY ||
	    lc_table_init(&t, ncol, (int)rows->via.array.size + 1) != 0)
		return;
	for (int c = 0; c < ncol; c++)
		t.cell[c] = strdup(cols[c].head);
	t.nrow = 1;
	for (uint32_t r = 0; r < rows->via.array.size; r++, t.nrow++) {
		const msgpack_object *row = &rows->via.array.ptr[r];

		for (int c = 0; c < ncol; c++) {
			struct lc_sb b = { buf, sizeof(buf), 0, false };

			buf[0] = '\0';
			if (cols[c].cell != NULL)
				cols[c].cell(&b, row);
			else
				lc_sb_value(&b, lc_get(row, cols[c].key),
				    cols[c].fmt);
			t.cell[t.nrow * ncol + c] = strdup(buf);
		}
	}
	lc_table_print(&t, indent);
	lc_table_free(&t);
}

/* ---- output: the result shapes of docs/protocol.md §6 -------------------- */

/* Extras of a work order, in words: what the fixed columns do not show. */
static void
lc_cell_wo_notes(struct lc_sb *b, const msgpack_object *wo)
{
	static const struct { const char *key, *label; enum lc_fmt fmt; }
	    extras[] = {
		{ "replaces", "replaces", LC_PLAIN },
		{ "returned", "returned", LC_TIME },
		{ "ext_until", "extension asked until", LC_TIME },
		{ "extensions", "extensions", LC_PLAIN },
		{ "urges", "urged", LC_PLAIN },
		{ "supervisions", "supervised", LC_PLAIN },
		{ "settled_unit", "settled to", LC_PLAIN },
	};

	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		const msgpack_object *v = lc_get(wo, extras[i].key);

		if (lc_empty(v))
			continue;
		lc_sb_puts(b, b->len ? "; " : "");
		lc_sb_printf(b, "%s ", extras[i].label);
		lc_sb_value(b, v, extras[i].fmt);
	}
}

static const struct lc_col lc_wo_cols[] = {
	{ "WO", "wo", LC_PLAIN, NULL },
	{ "UNIT", "unit", LC_PLAIN, NULL },
	{ "STATE", "state", LC_PLAIN, NULL },
	{ "DUE TO SIGN", "due_sign", LC_TIME, NULL },
	{ "DUE TO COMPLETE", "due_done", LC_TIME, NULL },
	{ "SIGNED", "signed", LC_TIME, NULL },
	{ "COMPLETED", "completed", LC_TIME, NULL },
	{ "", NULL, LC_PLAIN, lc_cell_wo_notes },
};

static void
lc_cell_overdue(struct lc_sb *b, const msgpack_object *row)
{
	const msgpack_object *o = lc_get(row, "overdue");

	lc_sb_puts(b, o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN &&
	    o->via.boolean ? "OVERDUE" : "");
}

static const struct lc_col lc_summary_cols[] = {
	{ "TICKET", "id", LC_PLAIN, NULL },
	{ "STATE", "state", LC_PLAIN, NULL },
	{ "CREATED", "created", LC_TIME, NULL },
	{ "AREA", "area", LC_PLAIN, NULL },
	{ "CATEGORY", "category", LC_PLAIN, NULL },
	{ "U", "urgency", LC_PLAIN, NULL },
	{ "UNITS", "units", LC_PLAIN, NULL },
	{ "NEXT DUE", "next_due", LC_TIME, NULL },
	{ "", NULL, LC_PLAIN, lc_cell_overdue },
	{ "PLACE", "place", LC_PLAIN, NULL },
};

/* A queue item is late when the deadline of its state has passed. */
static void
lc_cell_queue_late(struct lc_sb *b, const msgpack_object *row)
{
	const msgpack_object *st = lc_get(row, "state");
	bool to_sign = st != NULL && st->type == MSGPACK_OBJECT_STR &&
	    st->via.str.size == 10 && memcmp(st->via.str.ptr, "dispatched",
	    10) == 0;
	const msgpack_object *due = lc_get(row, to_sign ? "due_sign" :
	    "due_done");

	if (due != NULL && due->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    due->via.u64 < (uint64_t)ltime_now())
		lc_sb_puts(b, "OVERDUE");
}

static const struct lc_col lc_queue_cols[] = {
	{ "TICKET", "ticket", LC_PLAIN, NULL },
	{ "WO", "wo", LC_PLAIN, NULL },
	{ "STATE", "state", LC_PLAIN, NULL },
	{ "DUE TO SIGN", "due_sign", LC_TIME, NULL },
	{ "DUE TO COMPLETE", "due_done", LC_TIME, NULL },
	{ "", NULL, LC_PLAIN, lc_cell_queue_late },
	{ "U", "urgency", LC_PLAIN, NULL },
	{ "CATEGORY", "category", LC_PLAIN, NULL },
	{ "AREA", "area", LC_PLAIN, NULL },
	{ "PLACE", "place", LC_PLAIN, NULL },
};

/* An event's body in one line: "wo=1 unit=unicom due_sign=..." with
 * times (by the event field's type) in local time. */
static void
lc_cell_body(struct lc_sb *b, const msgpack_object *ev)
{
	const msgpack_object *body = lc_get(ev, "body");

	if (body == NULL || body->type != MSGPACK_OBJECT_MAP)
		return;
	for (uint32_t i = 0; i < body->via.map.size; i++) {
		const msgpack_object *k = &body->via.map.ptr[i].key;
		int f = k->type == MSGPACK_OBJECT_STR ?
		    event_field_from_name(k->via.str.ptr, k->via.str.size) : -1;

		lc_sb_puts(b, i ? " " : "");
		lc_sb_value(b, k, LC_PLAIN);
		lc_sb_puts(b, "=");
		lc_sb_value(b, &body->via.map.ptr[i].val, f >= 0 &&
		    event_fields[f].type == LD_T_TIME ? LC_TIME : LC_PLAIN);
	}
}

static const struct lc_col lc_history_cols[] = {
	{ "TIME", "time", LC_TIME_S, NULL },
	{ "ACTOR", "actor", LC_PLAIN, NULL },
	{ "KIND", "kind", LC_PLAIN, NULL },
	{ "DETAILS", NULL, LC_PLAIN, lc_cell_body },
};

#define LC_NCOL(cols) ((int)(sizeof(cols) / sizeof(cols[0])))

/* The header of a ticket view: one "label value" line each; some are
 * left out while they have no value. */
static const struct lc_line {
	const char *label;
	const char *key;
	enum lc_fmt fmt;
	bool hide_empty;
} lc_view_lines[] = {
	{ "ticket", "id", LC_PLAIN, false },
	{ "state", "state", LC_PLAIN, false },
	{ "overdue", "overdue", LC_PLAIN, true },
	{ "owner", "owner", LC_PLAIN, false },
	{ "category", "category", LC_PLAIN, false },
	{ "area", "area", LC_PLAIN, false },
	{ "urgency", "urgency", LC_PLAIN, false },
	{ "caller", "caller", LC_PLAIN, true },
	{ "phone", "phone", LC_PLAIN, false },
	{ "place", "place", LC_PLAIN, false },
	{ "text", "text", LC_PLAIN, false },
	{ "created", "created", LC_TIME, false },
	{ "updated", "updated", LC_TIME, false },
	{ "completed", "completed", LC_TIME, true },
	{ "closed", "closed", LC_TIME, true },
	{ "rule", "rule", LC_PLAIN, true },
	{ "plan", "plan", LC_PLAIN, true },
	{ "transfer to", "transfer_to", LC_PLAIN, true },
	{ "reported", "reported", LC_PLAIN, true },
	{ "called back", "called_back", LC_PLAIN, true },
	{ "callbacks", "callbacks", LC_PLAIN, true },
	{ "method", "method", LC_PLAIN, true },
	{ "satisfaction", "satisfaction", LC_PLAIN, true },
	{ "reopens", "reopens", LC_PLAIN, true },
};

static void
lc_print_view(const msgpack_object *v)
{
	char buf[LC_CELL_MAX];

	for (size_t i = 0; i < sizeof(lc_view_lines) / sizeof(*lc_view_lines);
	    i++) {
		const struct lc_line *l = &lc_view_lines[i];

		if (l->hide_empty && lc_empty(lc_get(v, l->key)))
			continue;
		printf("%-*s %s\n", LC_LABEL_W, l->label, lc_str(v, l->key,
		    l->fmt, buf, sizeof(buf)));
	}
	printf("\nwork orders:\n");
	lc_print_rows(lc_get(v, "work_orders"), lc_wo_cols,
	    LC_NCOL(lc_wo_cols), "  ");
}

/* A non-empty array under key of m, or NULL. */
static const msgpack_object *
lc_rows(const msgpack_object *m, const char *key)
{
	const msgpack_object *a = lc_get(m, key);

	return a != NULL && a->type == MSGPACK_OBJECT_ARRAY &&
	    a->via.array.size > 0 ? a : NULL;
}

/* {"ticket": VIEW, "history": [...]?, "earlier": [...]?} */
static void
lc_print_ticket(const msgpack_object *res)
{
	const msgpack_object *rows;

	lc_print_view(lc_get(res, "ticket"));
	if ((rows = lc_rows(res, "history")) != NULL) {
		printf("\nhistory:\n");
		lc_print_rows(rows, lc_history_cols, LC_NCOL(lc_history_cols),
		    "  ");
	}
	if ((rows = lc_rows(res, "earlier")) != NULL) {
		printf("\nearlier tickets from this phone:\n");
		lc_print_rows(rows, lc_summary_cols, LC_NCOL(lc_summary_cols),
		    "  ");
	}
}

/* {"tickets": [SUMMARY...], "next": str|nil} */
static void
lc_print_list(const msgpack_object *res)
{
	const msgpack_object *rows = lc_rows(res, "tickets");
	const msgpack_object *next = lc_get(res, "next");
	char buf[64];

	if (rows == NULL) {
		printf("no tickets\n");
		return;
	}
	lc_print_rows(rows, lc_summary_cols, LC_NCOL(lc_summary_cols), "");
	if (next != NULL && next->type == MSGPACK_OBJECT_STR)
		printf("(more: repeat with after=%s)\n", lc_str(res, "next",
		    LC_PLAIN, buf, sizeof(buf)));
}

/* {"work_orders": [QUEUE_ITEM...], "more": bool} */
static void
lc_print_queue(const msgpack_object *res)
{
	const msgpack_object *rows = lc_rows(res, "work_orders");

	if (rows == NULL) {
		printf("no open work orders\n");
		return;
	}
	lc_print_rows(rows, lc_queue_cols, LC_NCOL(lc_queue_cols), "");
	if (!lc_empty(lc_get(res, "more")))
		printf("(more: repeat with a larger limit=)\n");
}

/* Keys whose integers are times, in results shown as they come. */
static bool
lc_is_time_key(const msgpack_object *k)
{
	static const char *const keys[] = { "time", "created", "updated",
		"started" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (k->type == MSGPACK_OBJECT_STR &&
		    k->via.str.size == strlen(keys[i]) &&
		    memcmp(k->via.str.ptr, keys[i], k->via.str.size) == 0)
			return true;
	return false;
}

/* An array of maps as a table whose columns are the first map's keys. */
static void
lc_print_maps(const msgpack_object *rows)
{
	const msgpack_object *first = &rows->via.array.ptr[0];
	uint32_t n = first->via.map.size < 16 ? first->via.map.size : 16;
	struct lc_col cols[16];
	char heads[16][LD_ID_MAX + 1];

	for (uint32_t c = 0; c < n; c++) {
		const msgpack_object *k = &first->via.map.ptr[c].key;
		struct lc_sb b = { heads[c], sizeof(heads[c]), 0, false };

		heads[c][0] = '\0';
		lc_sb_value(&b, k, LC_PLAIN);
		cols[c] = (struct lc_col){ heads[c], heads[c],
		    lc_is_time_key(k) ? LC_TIME : LC_PLAIN, NULL };
	}
	lc_print_rows(rows, cols, (int)n, "  ");
}

/* Any other result (call.log, figures, status): "name value" lines in
 * the node's order after indent, arrays of maps as tables, a map (the
 * status's "store") as its own lines, indented. */
static void
lc_print_pairs(const msgpack_object *res, const char *indent)
{
	size_t w = 0;

	for (uint32_t i = 0; i < res->via.map.size; i++)
		if (res->via.map.ptr[i].key.via.str.size > w)
			w = res->via.map.ptr[i].key.via.str.size;
	for (uint32_t i = 0; i < res->via.map.size; i++) {
		const msgpack_object *k = &res->via.map.ptr[i].key;
		const msgpack_object *v = &res->via.map.ptr[i].val;
		char buf[LC_CELL_MAX];
		struct lc_sb b = { buf, sizeof(buf), 0, false };

		buf[0] = '\0';
		if ((v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size > 0 &&
		    v->via.array.ptr[0].type == MSGPACK_OBJECT_MAP) ||
		    v->type == MSGPACK_OBJECT_MAP) {
			printf("%s%.*s:\n", indent, (int)k->via.str.size,
			    k->via.str.ptr);
			if (v->type == MSGPACK_OBJECT_MAP)
				lc_print_pairs(v, "  ");
			else
				lc_print_maps(v);
			continue;
		}
		lc_sb_value(&b, v, lc_is_time_key(k) ? LC_TIME_S : LC_PLAIN);
		printf("%s%-*.*s %s\n", indent, (int)w, (int)k->via.str.size,
		    k->via.str.ptr, buf);
	}
}

/* The result, by its shape. */
static void
lc_print_result(const msgpack_object *res)
{
	if (lc_is(lc_get(res, "ticket"), MSGPACK_OBJECT_MAP))
		lc_print_ticket(res);
	else if (lc_is(lc_get(res, "tickets"), MSGPACK_OBJECT_ARRAY))
		lc_print_list(res);
	else if (lc_is(lc_get(res, "work_orders"), MSGPACK_OBJECT_ARRAY))
		lc_print_queue(res);
	else
		lc_print_pairs(res, "");
}

/* ---- the call ----------------------------------------------------------- */

/* The node's error: "linkctl: CODE: message" on stderr, or with --json
 * {"code":..., "num":..., "message":...} on stdout. */
static int
lc_print_error(const struct lc *lc, const struct ld_reply *r)
{
	char code[64], msg[LC_CELL_MAX];
	struct lc_sb c = { code, sizeof(code), 0, false };
	struct lc_sb m = { msg, sizeof(msg), 0, false };

	code[0] = msg[0] = '\0';	/* no escape sequence to the terminal */
	lc_sb_text(&c, r->code, strnlen(r->code, sizeof(r->code)));
	lc_sb_text(&m, r->message, strnlen(r->message, sizeof(r->message)));
	if (!lc->json)
		return lc_fail(LC_EXIT_NODE, "%s: %s", code, msg);
	fputs("{\"code\":", stdout);
	codec_json_write_str(stdout, r->code, strlen(r->code), NULL);
	printf(",\"num\":%d,\"message\":", r->num);
	codec_json_write_str(stdout, r->message, strlen(r->message), NULL);
	fputs("}\n", stdout);
	return LC_EXIT_NODE;
}

/* The report as a table, CSV or an HTML page (report.h). */
static int
lc_print_report(const struct lc *lc, const struct ld_reply *r)
{
	struct ld_report *rep = malloc(sizeof(*rep));
	struct ld_err err = { 0, "" };
	int rc;

	if (rep == NULL)
		return lc_fail(LC_EXIT_LOCAL, "out of memory");
	if (report_decode(r->result, r->result_len, rep, &err) != 0) {
		free(rep);
		return lc_fail(LC_EXIT_UNREACHABLE, "the report cannot be "
		    "read: %s", err.msg);
	}
	rc = lc->html ? report_print_html(rep, stdout) : lc->csv ?
	    report_print_csv(rep, stdout) : report_print_text(rep, stdout);
	free(rep);
	if (rc != 0)
		return lc_fail(LC_EXIT_LOCAL, "cannot write the report: %s",
		    strerror(errno));
	return LC_EXIT_OK;
}

static int
lc_print_reply(const struct lc *lc, const struct ld_reply *r)
{
	struct ld_err err = { 0, "" };
	msgpack_unpacked up;
	size_t off = 0;

	if (!r->ok)
		return lc_print_error(lc, r);
	if (lc->op == LD_OP_REPORT && !lc->json)
		return lc_print_report(lc, r);
	if (lc->json) {
		if (codec_json_write(stdout, r->result, r->result_len,
		    &err) != 0)
			return lc_fail(LC_EXIT_UNREACHABLE, "the reply's "
			    "result: %s", err.msg);
		fputc('\n', stdout);
		return LC_EXIT_OK;
	}
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)r->result, r->result_len,
	    &off) != MSGPACK_UNPACK_SUCCESS ||
	    up.data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(&up);
		return lc_fail(LC_EXIT_UNREACHABLE, "the reply's result "
		    "cannot be read");
	}
	lc_print_result(&up.data);
	msgpack_unpacked_destroy(&up);
	return LC_EXIT_OK;
}

/* Connect, send the request, print the reply. */
static int lc_call(struct lc *lc);
static int
lc_call(struct lc *lc)
{
	struct ld_client_opts o = { .endpoint = lc->endpoint,
		.keys = &lc->keys, .timeout_ms = lc->timeout_ms };
	const struct lc_setting *ep = &lc->set[LC_S_ENDPOINT];
	struct ld_err err = { 0, "" };
	struct ld_client *c = NULL;
	struct ld_reply r;
	int rc;

	memcpy(o.server_key, lc->server_key, sizeof(o.server_key));
	if ((rc = client_open(&c, &o, &err)) != 0)	/* EINVAL: endpoint */
		return lc_fail(rc == LD_EINVAL && ep->val != NULL ?
		    lc_set_status(ep) : LC_EXIT_LOCAL, "%s", err.msg);
	keyfile_wipe(&lc->keys);	/* the socket has it now */
	rc = client_call(c, &lc->req, &r, &err);
	if (rc == 0)
		rc = lc_print_reply(lc, &r);
	else
		rc = lc_fail(rc == LD_EIO || rc == LD_EMALFORMED ?
		    LC_EXIT_UNREACHABLE : LC_EXIT_USAGE, "%s", err.msg);
	if (fflush(stdout) != 0 && rc == LC_EXIT_OK)
		rc = lc_fail(LC_EXIT_LOCAL, "cannot write the output: %s",
		    strerror(errno));
	client_close(c);
	return rc;
}

/*
 * `record UNIT YYYY`: the unit's assessment month by month (its
 * efficiency record, 效能档案), one `report` per month over one
 * connection.
 */
static int
lc_record(struct lc *lc)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	struct ld_client_opts o = { .endpoint = lc->endpoint,
		.keys = &lc->keys, .timeout_ms = lc->timeout_ms };
	struct ld_report *rep = malloc(sizeof(*rep));
	struct ld_err err = { 0, "" };
	struct ld_client *c = NULL;
	struct ld_reply r;
	unsigned y = lc->record_year, found = 0;
	int rc = LC_EXIT_OK;

	if (rep == NULL)
		return lc_fail(LC_EXIT_LOCAL, "out of memory");
	memcpy(o.server_key, lc->server_key, sizeof(o.server_key));
	if (client_open(&c, &o, &err) != 0) {
		free(rep);
		return lc_fail(LC_EXIT_LOCAL, "%s", err.msg);
	}
	keyfile_wipe(&lc->keys);
	printf("%s %u: efficiency record (效能档案)\n\n", lc->record_unit, y);
	printf("%-7s %8s %8s %8s %8s %8s %6s %6s %6s %8s %8s %6s\n", "month",
	    "received", "signed%", "ontime%", "done%", "returned", "urged",
	    "superv", "calls", "satisf%", "score", "rank");
	for (unsigned m = 1; m <= 12 && rc == LC_EXIT_OK; m++) {
		unsigned last = mdays[m - 1] + (m == 2 && y % 4 == 0 &&
		    (y % 100 != 0 || y % 400 == 0));
		char a[16], b[16], d[16], e[16], s[16];
		const struct ld_rep_unit *u = NULL;

		snprintf(lc->req.day, sizeof(lc->req.day), "%04u-%02u-01", y, m);
		snprintf(lc->req.day_to, sizeof(lc->req.day_to),
		    "%04u-%02u-%02u", y, m, last);
		lc->req.id = m;
		if (client_call(c, &lc->req, &r, &err) != 0) {
			rc = lc_fail(LC_EXIT_UNREACHABLE, "%s", err.msg);
			break;
		}
		if (!r.ok) {
			rc = lc_print_error(lc, &r);
			break;
		}
		if (report_decode(r.result, r.result_len, rep, &err) != 0) {
			rc = lc_fail(LC_EXIT_UNREACHABLE, "the report cannot "
			    "be read: %s", err.msg);
			break;
		}
		for (unsigned i = 0; i < rep->n_units; i++)
			if (strcmp(rep->units[i].id, lc->record_unit) == 0)
				u = &rep->units[i];
		if (u == NULL)
			continue;
		found++;
		report_fmt_permille(report_permille(u->signed_on_time,
		    u->received), a, sizeof(a));
		report_fmt_permille(report_permille(u->completed_on_time,
		    u->received), b, sizeof(b));
		report_fmt_permille(report_permille(u->completed, u->received),
		    d, sizeof(d));
		report_fmt_permille(report_permille(u->satisfied + u->basic,
		    u->callbacks), e, sizeof(e));
		if (u->scored)
			snprintf(s, sizeof(s), "%d.%d", u->score_x10 / 10,
			    u->score_x10 % 10);
		else
			snprintf(s, sizeof(s), "-");
		printf("%04u-%02u %8llu %8s %8s %8s %8llu %6llu %6llu %6llu "
		    "%8s %8s %6u\n", y, m, (unsigned long long)u->received, a,
		    b, d, (unsigned long long)u->returned,
		    (unsigned long long)u->urged,
		    (unsigned long long)u->supervised,
		    (unsigned long long)u->callbacks, e, s, u->rank);
	}
	if (rc == LC_EXIT_OK && found == 0)
		rc = lc_fail(LC_EXIT_NODE, "no unit '%s' in this node's "
		    "reports", lc->record_unit);
	client_close(c);
	free(rep);
	return rc;
}

/* ---- main --------------------------------------------------------------- */

/*
 * `report month YYYY-MM`, `report year YYYY`, `report range DAY DAY`:
 * the period's first and last local day as the report op's day and
 * day_to arguments.
 */
static int
lc_period(struct lc *lc)
{
	const char *kind = lc->args[1], *a = lc->nargs > 2 ? lc->args[2] : "";
	unsigned y = 0, m = 0;
	char tail;
	int used = 3;

	lc->op = LD_OP_REPORT;
	for (const char *q = a; *q != '\0'; q++)
		if ((*q < '0' || *q > '9') && *q != '-')
			return lc_usage_fail("report", "report %s: '%s' is not "
			    "a %s", kind, a, strcmp(kind, "month") == 0 ?
			    "month YYYY-MM" : strcmp(kind, "year") == 0 ?
			    "year YYYY" : "day YYYY-MM-DD");
	if (strcmp(kind, "month") == 0) {
		static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31,
			31, 30, 31, 30, 31 };
		unsigned last;

		if (strlen(a) != 7 || a[4] != '-' ||
		    sscanf(a, "%4u-%2u%c", &y, &m, &tail) != 2 || y < 1970 ||
		    y > 9999 || m < 1 || m > 12)
			return lc_usage_fail("report", "report month YYYY-MM "
			    "(e.g. 2011-07), not '%s'", a);
		last = mdays[m - 1] + (m == 2 && (y % 4 == 0 &&
		    (y % 100 != 0 || y % 400 == 0)));
		snprintf(lc->period[0], sizeof(lc->period[0]),
		    "day=%04u-%02u-01", y, m);
		snprintf(lc->period[1], sizeof(lc->period[1]),
		    "day_to=%04u-%02u-%02u", y, m, last);
	} else if (strcmp(kind, "year") == 0) {
		if (sscanf(a, "%4u%c", &y, &tail) != 1 || y < 1970 ||
		    y > 9999 || strlen(a) != 4)
			return lc_usage_fail("report", "report year YYYY "
			    "(e.g. 2011), not '%s'", a);
		snprintf(lc->period[0], sizeof(lc->period[0]),
		    "day=%04u-01-01", y);
		snprintf(lc->period[1], sizeof(lc->period[1]),
		    "day_to=%04u-12-31", y);
	} else {
		if (lc->nargs < 4)
			return lc_usage_fail("report", "report range DAY DAY "
			    "(e.g. 2010-12-01 2011-12-06)");
		if (strlen(a) > 10 || strlen(lc->args[3]) > 10)
			return lc_usage_fail("report", "report range: days "
			    "are YYYY-MM-DD");
		snprintf(lc->period[0], sizeof(lc->period[0]), "day=%s", a);
		snprintf(lc->period[1], sizeof(lc->period[1]), "day_to=%s",
		    lc->args[3]);
		used = 4;
	}
	if (lc->nargs > used)
		return lc_usage_fail("report", "unexpected argument '%s'",
		    lc->args[used]);
	lc->args[1] = lc->period[0];
	lc->args[2] = lc->period[1];
	lc->nargs = 3;
	return LC_EXIT_OK;
}

/* The command and its request, before anything is read or connected. */
static int
lc_command(struct lc *lc)
{
	lc->cmd = lc->args[0];
	if (strcmp(lc->cmd, "record") == 0 && !lc->help) {
		unsigned y = 0;
		char tail;

		if (lc->nargs != 3 || strlen(lc->args[1]) > LD_ID_MAX ||
		    lc->args[1][0] == '\0' || strlen(lc->args[2]) != 4 ||
		    sscanf(lc->args[2], "%4u%c", &y, &tail) != 1 || y < 1970 ||
		    !isdigit((unsigned char)lc->args[2][0]))
			return lc_usage_fail("record", "record UNIT YYYY (e.g. "
			    "record unicom 2011)");
		snprintf(lc->record_unit, sizeof(lc->record_unit), "%s",
		    lc->args[1]);
		lc->record_year = y;
		lc->op = LD_OP_REPORT;
		snprintf(lc->period[0], sizeof(lc->period[0]), "day=%04u-01-01",
		    y);
		snprintf(lc->period[1], sizeof(lc->period[1]),
		    "day_to=%04u-01-31", y);
		lc->args[1] = lc->period[0];
		lc->args[2] = lc->period[1];
		return -1;
	}
	if (strcmp(lc->cmd, "help") == 0) {
		if (lc->nargs > 2)
			return lc_usage_fail(NULL, "help: one COMMAND at most");
		return lc_help_cmd(lc->nargs > 1 ? lc->args[1] : NULL);
	}
	if ((lc->op = lc_op_of(lc->cmd)) == LD_OP_NONE)
		return lc_usage_fail(NULL, "unknown command '%s'", lc->cmd);
	if (strcmp(lc->cmd, "report") == 0 && lc->nargs >= 2 &&
	    (strcmp(lc->args[1], "month") == 0 ||
	    strcmp(lc->args[1], "year") == 0 ||
	    strcmp(lc->args[1], "range") == 0)) {
		int rc = lc_period(lc);

		if (rc != LC_EXIT_OK)
			return rc;
	} else if (strcmp(lc->cmd, "report") == 0 && lc->nargs >= 2 &&
	    strlen(lc->args[1]) == 10 && lc->args[1][4] == '-' &&
	    lc->args[1][7] == '-' && isdigit((unsigned char)lc->args[1][0])) {
		lc->op = LD_OP_REPORT;	/* report DAY DAY_TO: the period */
	} else if (strcmp(lc->cmd, "outbox") == 0 && lc->nargs >= 2 &&
	    lc->help == false) {
		if (strcmp(lc->args[1], "retry") == 0) {
			if (lc->nargs != 3)
				return lc_usage_fail("outbox", "outbox retry "
				    "ID: one message id");
			lc->op = LD_OP_OUTBOX_RETRY;
			snprintf(lc->qarg, sizeof(lc->qarg), "q=%s",
			    lc->args[2]);
			lc->args[1] = lc->qarg;
			lc->nargs = 2;
		} else if (strchr(lc->args[1], '=') == NULL) {
			snprintf(lc->sarg, sizeof(lc->sarg), "box=%s",
			    lc->args[1]);
			lc->args[1] = lc->sarg;
		}
	}
	if (lc->csv + lc->html + lc->json > 1)
		return lc_usage_fail(lc->cmd, "--csv, --html and --json: one "
		    "at most");
	if ((lc->csv || lc->html) && lc->op != LD_OP_REPORT)
		return lc_usage_fail(lc->cmd, "--csv and --html are for "
		    "`report month|year|range`");
	if (lc->help)
		return lc_help_cmd(lc->cmd);
	return -1;	/* a request to make */
}

static int
lc_run(struct lc *lc, int argc, char **argv)
{
	int rc;

	if ((rc = lc_parse_argv(lc, argc, argv)) != LC_EXIT_OK)
		return rc;
	if (lc->version) {
		printf("linkctl %s (client protocol %d)\n", LC_VERSION,
		    LD_PROTO_VERSION);
		return LC_EXIT_OK;
	}
	if (lc->nargs == 0 && lc->help)
		return lc_help_cmd(NULL);
	if (lc->nargs == 0)
		return lc_usage_fail(NULL, "no COMMAND");
	if ((rc = lc_command(lc)) >= 0)
		return rc;
	if ((rc = lc_build(lc)) != LC_EXIT_OK ||
	    (rc = lc_check_request(lc)) != LC_EXIT_OK ||
	    (rc = lc_config_load(lc)) != LC_EXIT_OK ||
	    (rc = lc_resolve_timeout(lc)) != LC_EXIT_OK ||
	    (rc = lc_resolve_node(lc)) != LC_EXIT_OK ||
	    (rc = lc_resolve_key(lc)) != LC_EXIT_OK)
		return rc;
	return lc->record_year != 0 ? lc_record(lc) : lc_call(lc);
}

int
main(int argc, char **argv)
{
	static struct lc lc;	/* large (a request, a key pair): not on
				 * the stack */
	int rc;

	lc.node = -1;
	rc = lc_run(&lc, argc, argv);
	keyfile_wipe(&lc.keys);
	for (int i = 0; i < LC_S__COUNT; i++)
		free(lc.set[i].val);
	free(lc.args);
	topo_free(lc.topo);
	return rc;
}
