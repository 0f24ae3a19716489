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
 *
 * Exit status: 0 done, 1 failed (errors in the file, a request that cannot
 * be routed, a file that cannot be written), 2 bad usage.  The file format
 * is in shared/topo.h and docs/topology.md.
 */
#include "err.h"
#include "keyfile.h"
#include "topo.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
    "sign for it and to complete it, the rule or default handler that\n"
    "matched (with its line in FILE), and the emergency plan the category\n"
    "starts, if any.\n"
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

/* Load FILE; on errors print the diagnostics to stderr and return NULL. */
static struct ld_topo *
topotool_load_sound(const char *cmd, const char *path)
{
	struct ld_topo *t = NULL;
	int rc = topo_load(path, &t);

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
	char sign[32], done[32];

	printf("units:\n");
	for (int i = 0; i < r->n_units; i++) {
		const struct ld_topo_unit *u = &t->units[r->units[i]];
		const char *home = u->node >= 0 && u->node < t->n_nodes ?
		    t->nodes[u->node].id : "?";

		topo_format_duration(r->sign_ms[i], sign, sizeof(sign));
		topo_format_duration(r->complete_ms[i], done, sizeof(done));
		printf("  %-12s %s (node %s): sign within %s, complete "
		    "within %s\n", u->id, u->name, home, sign, done);
	}
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

/* --- main ----------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return tool_usage_error(NULL, "%s", "missing COMMAND "
		    "(keygen, check, route or draw)");
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
	if (cmd[0] == '-')
		return tool_usage_error(NULL, "unknown option '%s'", cmd);
	return tool_usage_error(NULL, "unknown command '%s' (keygen, check, "
	    "route or draw)", cmd);
}
