/*
 * topology.c - the administrators' tool for the federation's topology file.
 *
 *   topology keygen NAME [--out PATH]     a CURVE key pair for a node or
 *                                         client: the public key to paste
 *                                         into the topology file, the
 *                                         secret key in NAME.key (0600)
 *   topology check FILE                   every problem in the file
 *   topology route FILE CATEGORY AREA [--urgency N]
 *                                         where a request would go, and why
 *   topology draw FILE [--svg OUT.svg]    the federation as Graphviz dot
 *   topology rekey FILE --keys DIR [--out OUT]
 *                                         FILE with keys held in DIR for its
 *                                         running nodes and their clients
 *                                         (test federations, make demo)
 *
 * Exit status: 0 done, 1 failed (errors in the file, a request that cannot
 * be routed, a file that cannot be written), 2 bad usage.  The file format
 * is in shared/topo.h and docs/topology.md.
 */
#include "err.h"
#include "keyfile.h"
#include "topo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define TOOL_VERSION "0.1"
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1
#define TOOL_EXIT_USAGE 2
#define TOOL_URGENCY_DEFAULT 1
#define TOOL_PATH_MAX 4096
#define TOOL_TOPO_MAX (4 << 20)	/* shared/topo.c refuses a larger file */

static const char *tool_prog = "topology";

/* --- usage texts ---------------------------------------------------------- */

static const char tool_help_main[] =
    "usage: topology COMMAND [ARGS]\n"
    "\n"
    "The administrators' tool for the liandong topology file (the one INI\n"
    "file that describes the federation: nodes, areas, units, categories,\n"
    "routing rules, default handlers, emergency plans and clients).\n"
    "\n"
    "commands:\n"
    "  keygen NAME [--out PATH]   make a CURVE key pair for a node or client\n"
    "  check FILE                 check FILE and list every problem\n"
    "  route FILE CATEGORY AREA [--urgency N]\n"
    "                             show where a request would be sent, and why\n"
    "  draw FILE [--svg OUT.svg]  draw the federation (Graphviz dot)\n"
    "  rekey FILE --keys DIR [--out OUT]\n"
    "                             FILE with keys you hold (in DIR) for its\n"
    "                             running nodes and their clients\n"
    "\n"
    "options:\n"
    "  -h, --help     this help (COMMAND --help: help on COMMAND)\n"
    "  --version      the version\n"
    "\n"
    "exit status: 0 done, 1 failed, 2 bad usage\n";

static const char tool_help_keygen[] =
    "usage: topology keygen NAME [--out PATH]\n"
    "\n"
    "Make a CURVE key pair (zmq_curve_keypair) for the node or client NAME.\n"
    "Prints the public key (Z85, 40 characters) and the line to paste into\n"
    "NAME's section of the topology file.  The secret key is written to\n"
    "NAME.key (or PATH) with mode 0600; an existing file is never\n"
    "overwritten.  The secret key file belongs on NAME's host only: never\n"
    "put it in the topology file or in the repository.\n"
    "\n"
    "  NAME         a node id (LY, XA) or a client id (op-xa-zhao):\n"
    "               letters, digits, '.', '_' and '-', at most 32\n"
    "  --out PATH   write the secret key to PATH instead of NAME.key\n";

static const char tool_help_check[] =
    "usage: topology check FILE\n"
    "\n"
    "Parse and check the topology FILE and print every problem found, one\n"
    "per line as \"FILE:LINE: error: ...\" or \"FILE:LINE: warning: ...\",\n"
    "then a summary line.  Prints \"configuration OK\" when there is no\n"
    "error.  A node refuses to start on a file with errors, with the same\n"
    "messages.\n"
    "\n"
    "exit status: 0 no error (warnings allowed), 1 errors, 2 bad usage\n";

static const char tool_help_route[] =
    "usage: topology route FILE CATEGORY AREA [--urgency N]\n"
    "\n"
    "Route a request of CATEGORY made in AREA as a node would: prints the\n"
    "owner node, each unit that gets a work order with the time allowed to\n"
    "sign for it and to complete it (a clock time, or working days by the\n"
    "calendar FILE names: \"7 working days (7wd)\"), the rule or default\n"
    "handler that matched (with its line in FILE), and the emergency plan\n"
    "the category starts, if any.\n"
    "\n"
    "  --urgency N  1 (most urgent) .. 5; default 1\n"
    "\n"
    "exit status: 0 routed, 1 not routable or FILE has errors, 2 bad usage\n";

static const char tool_help_draw[] =
    "usage: topology draw FILE [--svg OUT.svg]\n"
    "\n"
    "Print the federation as Graphviz dot on stdout: the nodes, their\n"
    "parent links and the units of each node.  With --svg, run\n"
    "`dot -Tsvg` and write OUT.svg instead (needs Graphviz:\n"
    "apt-get install graphviz).\n"
    "\n"
    "exit status: 0 drawn, 1 FILE has errors or dot failed, 2 bad usage\n";

static const char tool_help_rekey[] =
    "usage: topology rekey FILE --keys DIR [--out OUT]\n"
    "\n"
    "For a test federation (integration tests, make demo) whose secret keys\n"
    "you hold: for every running node of FILE and every client of a\n"
    "running node, use the key pair in DIR/ID.key, or make one there (mode\n"
    "0600) if there is none; then write FILE with that public key as the\n"
    "section's public_key value.  Everything else is copied byte for byte:\n"
    "comments, blank lines, order, and the sections of planned nodes and\n"
    "their clients.  FILE must pass 'topology check', and so must the\n"
    "result (else nothing is written).  A summary goes to stderr:\n"
    "\"rekey: 2 nodes, 24 clients; keys in DIR (3 new, 23 reused)\".\n"
    "A relative calendar path ([federation] calendar) is copied as it\n"
    "is: it names a file beside the topology, so with OUT in another\n"
    "directory, copy the calendar there too.\n"
    "\n"
    "  --keys DIR   where the key files are read or made; made with mode\n"
    "               0700 if missing\n"
    "  --out OUT    write OUT (a temp file renamed over it) instead of\n"
    "               stdout; OUT may be FILE itself\n"
    "\n"
    "exit status: 0 written, 1 FILE has errors or a key file or OUT cannot\n"
    "be read or written, 2 bad usage\n";

/* --- small helpers -------------------------------------------------------- */

/* A usage error: the message, a pointer to --help, exit status 2. */
static int
tool_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", tool_prog);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s%s%s --help' for more information.\n",
	    tool_prog, cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	return TOOL_EXIT_USAGE;
}

static bool
tool_is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* True if argv[i] is "--NAME" (value in argv[i + 1]) or "--NAME=VALUE";
 * *val gets the value (NULL when missing) and *i moves past it. */
static bool
tool_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	*val = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (*val != NULL)
		(*i)++;
	return true;
}

/* A name keygen accepts: a node id ([A-Z][A-Z0-9]{0,7}, event_node_id_ok)
 * or a client id as the topology spells them ([a-z0-9][a-z0-9._-]{0,31}),
 * so the key file is named after something the topology can declare. */
static bool
tool_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (event_node_id_ok(s))
		return true;
	if (n == 0 || n > LD_ID_MAX)
		return false;
	for (size_t k = 0; k < n; k++) {
		char c = s[k];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (k == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* --- keygen --------------------------------------------------------------- */

struct tool_keygen_args {
	const char *name;
	const char *out;
};

static int
tool_keygen_parse(int argc, char **argv, struct tool_keygen_args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *v;

		if (tool_opt(argc, argv, &i, "--out", &v)) {
			if (v == NULL || *v == '\0')
				return tool_usage_error("keygen", "%s",
				    "--out needs a PATH");
			a->out = v;
		} else if (argv[i][0] == '-') {
			return tool_usage_error("keygen",
			    "unknown option '%s'", argv[i]);
		} else if (a->name == NULL) {
			a->name = argv[i];
		} else {
			return tool_usage_error("keygen",
			    "unexpected argument '%s' (one NAME only)",
			    argv[i]);
		}
	}
	if (a->name == NULL)
		return tool_usage_error("keygen", "%s", "missing NAME");
	if (!tool_valid_name(a->name))
		return tool_usage_error("keygen", "bad NAME '%s': a node id "
		    "(A-Z, 0-9, at most 8, a letter first) or a client id "
		    "(a-z, 0-9, '.', '_', '-', at most 32, not '.', '_' or '-' "
		    "first)", a->name);
	return TOOL_EXIT_OK;
}

static int
tool_keygen(int argc, char **argv)
{
	struct tool_keygen_args a = { NULL, NULL };
	char pub[LD_TOPO_KEY_Z85 + 1];
	char path[TOOL_PATH_MAX];
	struct ld_err err;
	int rc;

	for (int i = 0; i < argc; i++)
		if (tool_is_help(argv[i])) {
			fputs(tool_help_keygen, stdout);
			return TOOL_EXIT_OK;
		}
	if ((rc = tool_keygen_parse(argc, argv, &a)) != TOOL_EXIT_OK)
		return rc;
	if (a.out != NULL)
		snprintf(path, sizeof(path), "%s", a.out);
	else
		snprintf(path, sizeof(path), "%s.key", a.name);
	/* the secret key exists only in the file (shared/keyfile.c) */
	if (keyfile_generate(path, a.name, pub, &err) != 0) {
		fprintf(stderr, "%s: keygen: %s%s\n", tool_prog, err.msg,
		    err.code == LD_EEXIST ? " (remove it first, or choose "
		    "another path with --out)" : "");
		return TOOL_EXIT_FAIL;
	}
	printf("public key of %s: %s\n", a.name, pub);
	printf("secret key written to %s (mode 0600): copy it to %s's host "
	    "only\n\n", path, a.name);
	printf("paste into the section of %s in the topology file:\n\n"
	    "public_key = %s\n", a.name, pub);
	return TOOL_EXIT_OK;
}

/* --- loading -------------------------------------------------------------- */

/* t as topo_load (rc) left it for path: t if it has no error, else NULL
 * with the diagnostics printed to stderr and t freed. */
static struct ld_topo *
topotool_sound(const char *cmd, const char *path, struct ld_topo *t, int rc)
{
	if (rc == 0 && t != NULL)
		return t;
	if (t != NULL) {
		topo_print_diags(t, stderr);
		topo_free(t);
	}
	fprintf(stderr, "%s: %s: %s has errors; run '%s check %s'\n",
	    tool_prog, cmd, path, tool_prog, path);
	return NULL;
}

/* Load FILE; on errors print the diagnostics to stderr and return NULL. */
static struct ld_topo *
topotool_load_sound(const char *cmd, const char *path)
{
	struct ld_topo *t = NULL;
	int rc = topo_load(path, &t);

	return topotool_sound(cmd, path, t, rc);
}

/* A single FILE argument (draw's and check's). */
static int
tool_one_file(const char *cmd, const char *arg, const char **file)
{
	if (arg[0] == '-' && arg[1] != '\0')
		return tool_usage_error(cmd, "unknown option '%s'", arg);
	if (*file != NULL)
		return tool_usage_error(cmd,
		    "unexpected argument '%s' (one FILE only)", arg);
	*file = arg;
	return TOOL_EXIT_OK;
}

/* --- check ---------------------------------------------------------------- */

/* "s" unless exactly one. */
static const char *
topotool_s(int n)
{
	return n == 1 ? "" : "s";
}

/* Which working days "<n>wd" limits count. */
static void
topotool_print_calendar(const struct ld_topo *t, FILE *f)
{
	if (t->cal_path[0] != '\0')
		fprintf(f, "%s: working days: by the calendar %s\n", t->path,
		    t->cal_path);
	else
		fprintf(f, "%s: working days: Monday to Friday (no calendar "
		    "named in [federation])\n", t->path);
}

static void
topotool_print_counts(const struct ld_topo *t, FILE *f)
{
	int running = 0;

	for (int i = 0; i < t->n_nodes; i++)
		running += t->nodes[i].running;
	fprintf(f, "%s: configuration OK: %s: %d node%s (%d running), "
	    "%d area%s, %d unit%s, %d categor%s, %d rule%s, %d default "
	    "handler%s, %d plan%s, %d client%s\n", t->path, t->name,
	    t->n_nodes, topotool_s(t->n_nodes), running,
	    t->n_areas, topotool_s(t->n_areas),
	    t->n_units, topotool_s(t->n_units),
	    t->n_categories, t->n_categories == 1 ? "y" : "ies",
	    t->n_rules, topotool_s(t->n_rules),
	    t->n_defaults, topotool_s(t->n_defaults),
	    t->n_plans, topotool_s(t->n_plans),
	    t->n_clients, topotool_s(t->n_clients));
	topotool_print_calendar(t, f);
}

static int
tool_check(int argc, char **argv)
{
	const char *file = NULL;
	struct ld_topo *t = NULL;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (tool_is_help(argv[i])) {
			fputs(tool_help_check, stdout);
			return TOOL_EXIT_OK;
		}
		if ((rc = tool_one_file("check", argv[i], &file)) != 0)
			return rc;
	}
	if (file == NULL)
		return tool_usage_error("check", "%s", "missing FILE");
	rc = topo_load(file, &t);
	if (t == NULL) {
		fprintf(stderr, "%s: check: cannot load %s: %s\n", tool_prog,
		    file, err_name(rc));
		return TOOL_EXIT_FAIL;
	}
	topo_print_diags(t, stdout);
	if (rc == 0 && t->n_errors == 0)
		topotool_print_counts(t, stdout);
	rc = (rc == 0 && t->n_errors == 0) ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
	topo_free(t);
	return rc;
}

/* --- route ---------------------------------------------------------------- */

struct tool_route_args {
	const char *file, *category, *area;
	unsigned urgency;
};

static int
tool_parse_urgency(const char *v, unsigned *out)
{
	if (v == NULL)
		return tool_usage_error("route", "%s",
		    "--urgency needs a number 1..5");
	if (v[0] < '1' || v[0] > '0' + LD_URGENCY_MAX || v[1] != '\0')
		return tool_usage_error("route",
		    "bad urgency '%s': a number 1 (most urgent) .. 5", v);
	*out = (unsigned)(v[0] - '0');
	return TOOL_EXIT_OK;
}

static int
tool_route_positional(struct tool_route_args *a, const char *arg)
{
	if (a->file == NULL)
		a->file = arg;
	else if (a->category == NULL)
		a->category = arg;
	else if (a->area == NULL)
		a->area = arg;
	else
		return tool_usage_error("route", "unexpected argument '%s' "
		    "(FILE CATEGORY AREA only)", arg);
	return TOOL_EXIT_OK;
}

static int
tool_route_parse(int argc, char **argv, struct tool_route_args *a)
{
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *v;

		if (tool_opt(argc, argv, &i, "--urgency", &v))
			rc = tool_parse_urgency(v, &a->urgency);
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			rc = tool_usage_error("route", "unknown option '%s'",
			    argv[i]);
		else
			rc = tool_route_positional(a, argv[i]);
		if (rc != TOOL_EXIT_OK)
			return rc;
	}
	if (a->file == NULL)
		return tool_usage_error("route", "%s", "missing FILE");
	if (a->category == NULL)
		return tool_usage_error("route", "%s", "missing CATEGORY");
	if (a->area == NULL)
		return tool_usage_error("route", "%s", "missing AREA");
	return TOOL_EXIT_OK;
}

static void
topotool_print_owner(const struct ld_topo *t, const struct ld_topo_route *r)
{
	const struct ld_topo_node *n;

	if (r->node < 0 || r->node >= t->n_nodes) {
		printf("owner node: none\n");
		return;
	}
	n = &t->nodes[r->node];
	printf("owner node: %s (%s, %s, %s)\n", n->id, n->name,
	    topo_level_name(n->level), n->running ? "running" : "planned");
}

static void
topotool_print_units(const struct ld_topo *t, const struct ld_topo_route *r)
{
	char sign[32], done[48];
	bool wd = false;

	printf("units:\n");
	for (int i = 0; i < r->n_units; i++) {
		const struct ld_topo_unit *u = &t->units[r->units[i]];
		const char *home = u->node >= 0 && u->node < t->n_nodes ?
		    t->nodes[u->node].id : "?";

		topo_format_duration(r->sign_ms[i], sign, sizeof(sign));
		if (r->complete_wd[i] > 0)
			snprintf(done, sizeof(done), "%u working day%s (%uwd)",
			    r->complete_wd[i], r->complete_wd[i] == 1 ? "" :
			    "s", r->complete_wd[i]);
		else
			topo_format_duration(r->complete_ms[i], done,
			    sizeof(done));
		wd |= r->complete_wd[i] > 0;
		printf("  %-12s %s (node %s): sign within %s, complete "
		    "within %s\n", u->id, u->name, home, sign, done);
	}
	if (wd)
		topotool_print_calendar(t, stdout);
}

static void
topotool_print_why(const struct ld_topo *t, const struct ld_topo_route *r)
{
	if (r->why[0] != '\0')
		printf("why: %s\n", r->why);
	else if (r->fallback >= 0 && r->fallback < t->n_defaults)
		printf("why: default handler %s (line %d)\n",
		    t->defaults[r->fallback].id, t->defaults[r->fallback].line);
	else if (r->rule >= 0 && r->rule < t->n_rules)
		printf("why: rule %s (line %d)\n", t->rules[r->rule].id,
		    t->rules[r->rule].line);
	if (r->settle)
		printf("responsibility: to be settled after the default "
		    "handler acted\n");
}

static void
topotool_print_plans(const struct ld_topo *t, int category)
{
	for (int i = 0; i < t->n_plans; i++) {
		const struct ld_topo_plan *p = &t->plans[i];

		if (p->category != category)
			continue;
		printf("emergency plan: %s (%s, line %d) starts: notifies",
		    p->id, p->name, p->line);
		for (int k = 0; k < p->n_units; k++)
			printf("%s %s", k ? "," : "", t->units[p->units[k]].id);
		printf("; report to the city government: %s; channels:",
		    p->report_gov ? "yes" : "no");
		for (int k = 0; k < p->n_channels; k++)
			printf("%s %s", k ? "," : "", p->channels[k]);
		printf("\n");
	}
}

static void
topotool_print_route(const struct ld_topo *t, const struct tool_route_args *a,
    const struct ld_topo_route *r)
{
	int c = topo_category(t, a->category), ar = topo_area(t, a->area);

	printf("request: category %s (%s) in area %s (%s), urgency %u\n",
	    a->category, c >= 0 ? t->categories[c].name : "?", a->area,
	    ar >= 0 ? t->areas[ar].name : "?", a->urgency);
	topotool_print_owner(t, r);
	topotool_print_units(t, r);
	topotool_print_why(t, r);
	topotool_print_plans(t, c);
}

static int
tool_route(int argc, char **argv)
{
	struct tool_route_args a = { NULL, NULL, NULL, TOOL_URGENCY_DEFAULT };
	struct ld_topo_route r;
	struct ld_err err;
	struct ld_topo *t;
	int rc;

	for (int i = 0; i < argc; i++)
		if (tool_is_help(argv[i])) {
			fputs(tool_help_route, stdout);
			return TOOL_EXIT_OK;
		}
	if ((rc = tool_route_parse(argc, argv, &a)) != TOOL_EXIT_OK)
		return rc;
	if ((t = topotool_load_sound("route", a.file)) == NULL)
		return TOOL_EXIT_FAIL;
	memset(&r, 0, sizeof(r));
	err_clear(&err);
	rc = topo_route(t, a.category, a.area, a.urgency, &r, &err);
	if (rc != 0) {
		fprintf(stderr, "%s: route: cannot route %s in %s (urgency "
		    "%u): %s\n", tool_prog, a.category, a.area, a.urgency,
		    err.msg[0] ? err.msg : err_name(rc));
		topo_free(t);
		return TOOL_EXIT_FAIL;
	}
	topotool_print_route(t, &a, &r);
	topo_free(t);
	return TOOL_EXIT_OK;
}

/* --- draw ----------------------------------------------------------------- */

/* True if an executable NAME is in $PATH. */
static bool
topotool_in_path(const char *name)
{
	const char *p = getenv("PATH");
	char buf[TOOL_PATH_MAX];

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 0 && n + strlen(name) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
			if (access(buf, X_OK) == 0)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Run `dot -Tsvg -o OUT` with the dot text on its stdin. */
static int
topotool_run_dot(const struct ld_topo *t, const char *out)
{
	int fd[2], status;
	pid_t pid;
	FILE *f;

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		execlp("dot", "dot", "-Tsvg", "-o", out, (char *)NULL);
		fprintf(stderr, "%s: draw: cannot run dot: %s\n", tool_prog,
		    strerror(errno));
		_exit(127);
	}
	close(fd[0]);
	signal(SIGPIPE, SIG_IGN);
	if ((f = fdopen(fd[1], "w")) != NULL) {
		topo_draw_dot(t, f);
		fclose(f);
	} else {
		close(fd[1]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
tool_draw_svg(const struct ld_topo *t, const char *out)
{
	if (!topotool_in_path("dot")) {
		fprintf(stderr, "%s: draw: Graphviz 'dot' is not installed "
		    "(not in PATH); install it with 'apt-get install "
		    "graphviz', or run without --svg to get the dot text\n",
		    tool_prog);
		return TOOL_EXIT_FAIL;
	}
	if (topotool_run_dot(t, out) != 0) {
		fprintf(stderr, "%s: draw: 'dot -Tsvg -o %s' failed\n",
		    tool_prog, out);
		return TOOL_EXIT_FAIL;
	}
	fprintf(stderr, "%s: draw: wrote %s\n", tool_prog, out);
	return TOOL_EXIT_OK;
}

static int
tool_draw_parse(int argc, char **argv, const char **file, const char **svg)
{
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *v;

		if (tool_opt(argc, argv, &i, "--svg", &v)) {
			if (v == NULL || *v == '\0')
				return tool_usage_error("draw", "%s",
				    "--svg needs an output file OUT.svg");
			*svg = v;
		} else if ((rc = tool_one_file("draw", argv[i], file)) != 0) {
			return rc;
		}
	}
	if (*file == NULL)
		return tool_usage_error("draw", "%s", "missing FILE");
	return TOOL_EXIT_OK;
}

static int
tool_draw(int argc, char **argv)
{
	const char *file = NULL, *svg = NULL;
	struct ld_topo *t;
	int rc;

	for (int i = 0; i < argc; i++)
		if (tool_is_help(argv[i])) {
			fputs(tool_help_draw, stdout);
			return TOOL_EXIT_OK;
		}
	if ((rc = tool_draw_parse(argc, argv, &file, &svg)) != TOOL_EXIT_OK)
		return rc;
	if ((t = topotool_load_sound("draw", file)) == NULL)
		return TOOL_EXIT_FAIL;
	if (svg != NULL) {
		rc = tool_draw_svg(t, svg);
	} else {
		topo_draw_dot(t, stdout);
		rc = fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
	}
	topo_free(t);
	return rc;
}

/* --- rekey ---------------------------------------------------------------- */

struct tool_rekey_args {
	const char *file, *keys, *out;
};

/* The key of node slot i (keys[i]) or client slot i (keys[n_nodes + i]). */
struct tool_rekey_key {
	bool rekey;		/* a running node, or a client of one */
	bool done;		/* its public_key line is written */
	char pub[LD_KEY_Z85 + 1];
};

struct tool_rekey {
	struct tool_rekey_args a;
	char *text;		/* FILE as read */
	size_t len;
	struct ld_topo *t;	/* FILE loaded */
	struct tool_rekey_key *keys;
	int nodes, clients, fresh, reused;	/* for the summary */
};

/* Where the copy of FILE stands. */
struct tool_rekey_scan {
	FILE *out;
	size_t copied;		/* text[0..copied) is in out */
	int cur;		/* the key of the current section, -1: none */
	size_t hdr_end;		/* where its header line ends, '\n' and all */
	const char *eol;	/* that line's end: "\n", "\r\n", "" at EOF */
};

/* "topology: CMD: MESSAGE" on stderr; exit status 1. */
static int __attribute__((format(printf, 2, 3)))
tool_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", tool_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return TOOL_EXIT_FAIL;
}

/* The value of an option that needs one. */
static int
tool_opt_needed(const char *v, const char *what, const char **dst)
{
	if (v == NULL || *v == '\0')
		return tool_usage_error("rekey", "%s", what);
	*dst = v;
	return TOOL_EXIT_OK;
}

static int
tool_rekey_parse(int argc, char **argv, struct tool_rekey_args *a)
{
	int rc = TOOL_EXIT_OK;

	for (int i = 0; i < argc && rc == TOOL_EXIT_OK; i++) {
		const char *v;

		if (tool_opt(argc, argv, &i, "--keys", &v))
			rc = tool_opt_needed(v, "--keys needs a DIR",
			    &a->keys);
		else if (tool_opt(argc, argv, &i, "--out", &v))
			rc = tool_opt_needed(v, "--out needs a PATH",
			    &a->out);
		else
			rc = tool_one_file("rekey", argv[i], &a->file);
	}
	if (rc != TOOL_EXIT_OK)
		return rc;
	if (a->file == NULL)
		return tool_usage_error("rekey", "%s", "missing FILE");
	if (a->keys == NULL)
		return tool_usage_error("rekey", "%s", "missing --keys DIR");
	if (strlen(a->keys) + LD_ID_MAX + sizeof("/.key") > TOOL_PATH_MAX)
		return tool_usage_error("rekey", "--keys DIR '%.64s...' is "
		    "too long", a->keys);
	return TOOL_EXIT_OK;
}

/* Read FILE whole: at most TOOL_TOPO_MAX + 1 bytes (the reader reports a
 * larger file). */
static int
tool_rekey_read(struct tool_rekey *r)
{
	FILE *f = fopen(r->a.file, "rb");
	int e = 0;

	if (f == NULL)
		e = errno;
	else if ((r->text = malloc(TOOL_TOPO_MAX + 1)) == NULL)
		e = ENOMEM;
	else if ((r->len = fread(r->text, 1, TOOL_TOPO_MAX + 1, f)),
	    ferror(f))
		e = errno != 0 ? errno : EIO;
	if (f != NULL)
		fclose(f);
	if (e != 0)
		return tool_fail("rekey", "cannot read %s: %s", r->a.file,
		    strerror(e));
	return TOOL_EXIT_OK;
}

/* DIR exists and is a directory; made with mode 0700 if it was missing. */
static int
tool_rekey_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) != 0)	/* whatever the umask */
			return tool_fail("rekey", "cannot chmod 0700 %s: %s",
			    dir, strerror(errno));
		return TOOL_EXIT_OK;
	}
	if (errno != EEXIST)
		return tool_fail("rekey", "cannot create the key directory "
		    "%s: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0)
		return tool_fail("rekey", "cannot use the key directory %s: "
		    "%s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tool_fail("rekey", "the key directory %s is not a "
		    "directory", dir);
	if (access(dir, R_OK | X_OK) != 0)
		return tool_fail("rekey", "cannot read the key directory %s: "
		    "%s", dir, strerror(errno));
	return TOOL_EXIT_OK;
}

/* DIR/ID.key: a fresh key pair, or the one already there; its public
 * key into k->pub. */
static int
tool_rekey_one(struct tool_rekey *r, const char *id, struct tool_rekey_key *k)
{
	char path[TOOL_PATH_MAX];
	struct ld_keypair kp;
	struct ld_err err;
	int rc;

	k->rekey = true;
	snprintf(path, sizeof(path), "%s/%s.key", r->a.keys, id);
	err_clear(&err);
	rc = keyfile_generate(path, id, k->pub, &err);
	if (rc == 0) {
		r->fresh++;
		return TOOL_EXIT_OK;
	}
	if (rc == LD_EEXIST && keyfile_read(path, &kp, &err) == 0) {
		memcpy(k->pub, kp.public_z85, sizeof(k->pub));
		keyfile_wipe(&kp);
		r->reused++;
		return TOOL_EXIT_OK;
	}
	return tool_fail("rekey", "%s", err.msg);
}

/* A key for every running node and every client of one. */
static int
tool_rekey_keys(struct tool_rekey *r)
{
	const struct ld_topo *t = r->t;
	int rc = TOOL_EXIT_OK;

	r->keys = calloc((size_t)(t->n_nodes + t->n_clients) + 1,
	    sizeof(*r->keys));
	if (r->keys == NULL)
		return tool_fail("rekey", "%s", "out of memory");
	for (int i = 0; i < t->n_nodes && rc == TOOL_EXIT_OK; i++)
		if (t->nodes[i].running) {
			r->nodes++;
			rc = tool_rekey_one(r, t->nodes[i].id, &r->keys[i]);
		}
	for (int i = 0; i < t->n_clients && rc == TOOL_EXIT_OK; i++) {
		const struct ld_topo_client *c = &t->clients[i];

		if (c->node >= 0 && c->node < t->n_nodes &&
		    t->nodes[c->node].running) {
			r->clients++;
			rc = tool_rekey_one(r, c->id,
			    &r->keys[t->n_nodes + i]);
		}
	}
	return rc;
}

/* inih's find_chars_or_comment on s[0..n) (no NUL in it): the index of
 * the first of chars or of an inline comment (';' after whitespace); n if
 * neither. */
static size_t
tool_ini_stop(const char *s, size_t n, const char *chars)
{
	bool was_space = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr(chars, s[i]) != NULL || (was_space && s[i] == ';'))
			break;
		was_space = isspace((unsigned char)s[i]);
	}
	return i;
}

/* The key of the section whose header reads h[0..n) between the
 * brackets, split as topo_header splits it (blanks trimmed, the kind,
 * blanks, the id); -1 if rekey leaves that section alone. */
static int
tool_rekey_section(const struct tool_rekey *r, const char *h, size_t n)
{
	const struct ld_topo *t = r->t;
	char id[LD_ID_MAX + 1];
	size_t w, i;
	int k = -1;

	topo_header_split(&h, &n, &w, &i);
	if (n - i == 0 || n - i > LD_ID_MAX)
		return -1;
	memcpy(id, h + i, n - i);
	id[n - i] = '\0';
	if (w == strlen("node") && memcmp(h, "node", w) == 0)
		k = topo_node(t, id);
	else if (w == strlen("client") && memcmp(h, "client", w) == 0)
		for (int c = 0; c < t->n_clients && k < 0; c++)
			if (strcmp(t->clients[c].id, id) == 0)
				k = t->n_nodes + c;
	return k >= 0 && r->keys[k].rekey ? k : -1;
}

/* If p[0..n) (a key line from its first character) is public_key as
 * inih reads it ("public_key = VALUE", or ':'), the value's place:
 * [*vs, *ve). */
static bool
tool_pubkey_line(const char *p, size_t n, size_t *vs, size_t *ve)
{
	static const char key[] = "public_key";
	size_t d = tool_ini_stop(p, n, "=:"), k = d;

	if (d == n || (p[d] != '=' && p[d] != ':'))
		return false;
	while (k > 0 && isspace((unsigned char)p[k - 1]))
		k--;
	if (k != strlen(key) || memcmp(p, key, k) != 0)
		return false;
	*vs = d + 1;
	*ve = *vs + tool_ini_stop(p + *vs, n - *vs, "");
	while (*vs < *ve && isspace((unsigned char)p[*vs]))
		(*vs)++;
	while (*ve > *vs && isspace((unsigned char)p[*ve - 1]))
		(*ve)--;
	return true;
}

/* Copy FILE up to offset end. */
static void
tool_rekey_copy(const struct tool_rekey *r, struct tool_rekey_scan *s,
    size_t end)
{
	if (end <= s->copied)
		return;
	fwrite(r->text + s->copied, 1, end - s->copied, s->out);
	s->copied = end;
}

/* End the current section: if it had no public_key line, one goes right
 * after its header. */
static void
tool_rekey_close(struct tool_rekey *r, struct tool_rekey_scan *s)
{
	struct tool_rekey_key *k = s->cur >= 0 ? &r->keys[s->cur] : NULL;

	s->cur = -1;
	if (k == NULL || k->done)
		return;
	tool_rekey_copy(r, s, s->hdr_end);
	fprintf(s->out, "%spublic_key = %s%s", s->eol[0] ? "" : "\n", k->pub,
	    s->eol);
	k->done = true;
}

/* A header line at text[off..], p[i] being its '['; m bytes up to any
 * NUL, the line n bytes long without its '\n'. */
static void
tool_rekey_header(struct tool_rekey *r, struct tool_rekey_scan *s,
    size_t off, size_t n, size_t i, size_t m)
{
	const char *p = r->text + off;
	size_t j = i + 1 + tool_ini_stop(p + i + 1, m - i - 1, "]");

	tool_rekey_close(r, s);
	if (j == m || p[j] != ']')	/* not a header topo reads */
		return;
	s->cur = tool_rekey_section(r, p + i + 1, j - i - 1);
	s->hdr_end = off + n;
	s->eol = "";
	if (s->hdr_end < r->len) {
		s->eol = n > 0 && p[n - 1] == '\r' ? "\r\n" : "\n";
		s->hdr_end++;
	}
}

/* One line, text[off..off + n) without its '\n', read as topo.c's line
 * reader and inih read it: blanks (and, on line 1, a BOM) skipped, then
 * a comment, a header or a key line; inih's text ends at a NUL. */
static void
tool_rekey_line(struct tool_rekey *r, struct tool_rekey_scan *s,
    size_t off, size_t n, int lineno)
{
	const char *p = r->text + off;
	size_t m = strnlen(p, n), i = 0, vs, ve;

	while (i < m && isspace((unsigned char)p[i]))
		i++;
	if (lineno == 1 && m - i >= 3 && memcmp(p + i, "\xef\xbb\xbf", 3) == 0)
		i += 3;
	while (i < m && isspace((unsigned char)p[i]))
		i++;
	if (i == m || p[i] == ';' || p[i] == '#')
		return;
	if (p[i] == '[') {
		tool_rekey_header(r, s, off, n, i, m);
	} else if (s->cur >= 0 && tool_pubkey_line(p + i, m - i, &vs, &ve)) {
		tool_rekey_copy(r, s, off + i + vs);
		fputs(r->keys[s->cur].pub, s->out);
		s->copied = off + i + ve;
		r->keys[s->cur].done = true;
	}
}

/* FILE with the new public keys, into *out (malloc'd), *len bytes. */
static int
tool_rekey_rewrite(struct tool_rekey *r, char **out, size_t *len)
{
	struct tool_rekey_scan s = { NULL, 0, -1, 0, "" };
	size_t pos = 0;
	int lineno = 0;
	bool bad;

	if ((s.out = open_memstream(out, len)) == NULL)
		return tool_fail("rekey", "%s", "out of memory");
	while (pos < r->len) {
		const char *nl = memchr(r->text + pos, '\n', r->len - pos);
		size_t n = nl ? (size_t)(nl - r->text) - pos : r->len - pos;

		tool_rekey_line(r, &s, pos, n, ++lineno);
		pos += n + (nl != NULL);
	}
	tool_rekey_close(r, &s);
	tool_rekey_copy(r, &s, r->len);
	bad = ferror(s.out) != 0;
	if (fclose(s.out) != 0 || bad)
		return tool_fail("rekey", "%s", "out of memory");
	return TOOL_EXIT_OK;
}

/* The public key slot k should have in the output. */
static const char *
tool_rekey_want(const struct tool_rekey *r, int k, const char *old)
{
	return r->keys[k].rekey ? r->keys[k].pub : old;
}

/* The directory of FILE into buf[cap] ("" for the current one): where a
 * relative calendar path in it is taken from. */
static void
tool_dir_of(const char *file, char *buf, size_t cap)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		buf[0] = '\0';
	else
		snprintf(buf, cap, "%.*s", slash == file ? 1 :
		    (int)(slash - file), file);
}

/* The output passes check and holds exactly the keys it should. */
static int
tool_rekey_verify(const struct tool_rekey *r, const char *out, size_t len)
{
	const struct ld_topo *t = r->t;
	struct ld_topo *n = NULL;
	char name[TOOL_PATH_MAX], dir[TOOL_PATH_MAX];
	bool ok;

	snprintf(name, sizeof(name), "%s (rekeyed)", r->a.file);
	tool_dir_of(r->a.file, dir, sizeof(dir));
	ok = topo_load_mem_at(name, dir, out, len, &n) == 0 && n != NULL &&
	    n->n_nodes == t->n_nodes && n->n_clients == t->n_clients;
	for (int i = 0; ok && i < t->n_nodes; i++)
		ok = strcmp(n->nodes[i].public_key, tool_rekey_want(r, i,
		    t->nodes[i].public_key)) == 0;
	for (int i = 0; ok && i < t->n_clients; i++)
		ok = strcmp(n->clients[i].public_key, tool_rekey_want(r,
		    t->n_nodes + i, t->clients[i].public_key)) == 0;
	if (!ok && n != NULL && n->n_errors > 0)
		topo_print_diags(n, stderr);
	topo_free(n);
	if (ok)
		return TOOL_EXIT_OK;
	return tool_fail("rekey", "the rekeyed %s would not pass check (a key "
	    "file in %s used for two ids, or for a key the file already "
	    "has?); nothing written", r->a.file, r->a.keys);
}

/* The mode for a new OUT: an existing file's, else 0666 less the umask. */
static mode_t
tool_out_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 0777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* buf into path: a temp file beside it, fsync'd, renamed over it. */
static int
tool_write_atomic(const char *cmd, const char *path, const char *buf,
    size_t len)
{
	char tmp[TOOL_PATH_MAX];
	FILE *f = NULL;
	int fd, e = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return tool_fail(cmd, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return tool_fail(cmd, "cannot write %s (a temp file beside "
		    "it): %s", path, strerror(errno));
	if (fchmod(fd, tool_out_mode(path)) != 0 ||
	    (f = fdopen(fd, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fflush(f) != 0 || fsync(fd) != 0)
		e = errno != 0 ? errno : EIO;
	if ((f != NULL ? fclose(f) : close(fd)) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e == 0)
		return TOOL_EXIT_OK;
	unlink(tmp);
	return tool_fail(cmd, "cannot write %s: %s", path, strerror(e));
}

/* The output to OUT, or to stdout without --out (or with --out -). */
static int
tool_rekey_output(const char *out, const char *buf, size_t len)
{
	if (out != NULL && strcmp(out, "-") != 0)
		return tool_write_atomic("rekey", out, buf, len);
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		return tool_fail("rekey", "cannot write to stdout: %s",
		    strerror(errno));
	return TOOL_EXIT_OK;
}

static int
tool_rekey_run(struct tool_rekey *r)
{
	struct ld_topo *t = NULL;
	char *out = NULL, dir[TOOL_PATH_MAX];
	size_t len = 0;
	int rc;

	if ((rc = tool_rekey_read(r)) != TOOL_EXIT_OK)
		return rc;
	tool_dir_of(r->a.file, dir, sizeof(dir));
	rc = topo_load_mem_at(r->a.file, dir, r->text, r->len, &t);
	if ((r->t = topotool_sound("rekey", r->a.file, t, rc)) == NULL)
		return TOOL_EXIT_FAIL;
	if ((rc = tool_rekey_dir(r->a.keys)) != TOOL_EXIT_OK ||
	    (rc = tool_rekey_keys(r)) != TOOL_EXIT_OK)
		return rc;
	if ((rc = tool_rekey_rewrite(r, &out, &len)) == TOOL_EXIT_OK &&
	    (rc = tool_rekey_verify(r, out, len)) == TOOL_EXIT_OK &&
	    (rc = tool_rekey_output(r->a.out, out, len)) == TOOL_EXIT_OK)
		fprintf(stderr, "%s: rekey: %d node%s, %d client%s; keys in %s "
		    "(%d new, %d reused)\n", tool_prog, r->nodes,
		    topotool_s(r->nodes), r->clients, topotool_s(r->clients),
		    r->a.keys, r->fresh, r->reused);
	free(out);
	return rc;
}

static int
tool_rekey(int argc, char **argv)
{
	struct tool_rekey r;
	int rc;

	for (int i = 0; i < argc; i++)
		if (tool_is_help(argv[i])) {
			fputs(tool_help_rekey, stdout);
			return TOOL_EXIT_OK;
		}
	memset(&r, 0, sizeof(r));
	if ((rc = tool_rekey_parse(argc, argv, &r.a)) == TOOL_EXIT_OK)
		rc = tool_rekey_run(&r);
	free(r.text);
	free(r.keys);
	topo_free(r.t);
	return rc;
}

/* --- main ----------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return tool_usage_error(NULL, "%s", "missing COMMAND "
		    "(keygen, check, route, draw or rekey)");
	cmd = argv[1];
	if (tool_is_help(cmd)) {
		fputs(tool_help_main, stdout);
		return TOOL_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("topology (liandong) %s\n", TOOL_VERSION);
		return TOOL_EXIT_OK;
	}
	if (strcmp(cmd, "keygen") == 0)
		return tool_keygen(argc - 2, argv + 2);
	if (strcmp(cmd, "check") == 0)
		return tool_check(argc - 2, argv + 2);
	if (strcmp(cmd, "route") == 0)
		return tool_route(argc - 2, argv + 2);
	if (strcmp(cmd, "draw") == 0)
		return tool_draw(argc - 2, argv + 2);
	if (strcmp(cmd, "rekey") == 0)
		return tool_rekey(argc - 2, argv + 2);
	if (cmd[0] == '-')
		return tool_usage_error(NULL, "unknown option '%s'", cmd);
	return tool_usage_error(NULL, "unknown command '%s' (keygen, check, "
	    "route, draw or rekey)", cmd);
}
