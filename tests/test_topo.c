/*
 * test_topo.c - the topology parser, checks, routing and drawing.
 *
 * One small sound file (BASE) loads without a diagnostic; each test
 * breaks it in one way (appending sections or replacing text) and asserts
 * the exact diagnostic, with its line, that the break must produce.  The
 * working-day calendar, "<n>wd" limits, ext_max and [assessment] too
 * (calendar.example is read from the repository root, where tests run).
 */
#include "testutil.h"

#include "ltime.h"
#include "topo.h"
#include "wcal.h"

static const char BASE[] =
	"[federation]\n"				/* 1 */
	"name = 洛阳市110城市应急联动服务平台\n"
	"\n"
	"[node LY]\n"					/* 4 */
	"name = 洛阳市110联动服务平台\n"
	"level = city\n"
	"peer = tcp://127.0.0.1:7100\n"
	"client = tcp://127.0.0.1:7101\n"
	"public_key = zyvABYbbTD.U-8/yw/[c5DXi5@z#@8n&60tfc]PW\n"
	"areas = luolong, baimasi\n"			/* 10 */
	"\n"
	"[node XA]\n"					/* 12 */
	"name = 新安县110联动服务平台\n"
	"level = county\n"
	"parent = LY\n"
	"client = tcp://[::1]:7111\n"
	"public_key = y.jmhnS:G6taAS?MG<d?}KtpV]iBV$>rP0Z[XKJo\n"
	"areas = xinan\n"				/* 18 */
	"\n"
	"[area luolong]\nname = 洛龙区\n"		/* 20 */
	"[area baimasi]\nname = 白马寺镇\n"		/* 22 */
	"[area xinan]\nname = 新安县\n"		/* 24 */
	"\n"
	"[unit zhujian]\n"				/* 27 */
	"name = 市住建委\n"
	"node = LY\n"
	"categories = manhole\n"
	"[unit unicom]\n"				/* 31 */
	"name = 市联通公司\n"
	"node = LY\n"
	"[unit xa.water]\n"				/* 34 */
	"name = 新安县水务\n"
	"node = XA\n"
	"\n"
	"[category manhole]\n"				/* 38 */
	"name = 井盖\n"
	"urgency.1 = sign 10m, complete 1h\n"
	"urgency.3 = sign 30m, complete 4h\n"
	"urgency.4 = sign 1h, complete 1d\n"
	"\n"
	"[rule manhole-unicom]\n"			/* 44 */
	"category = manhole\n"
	"areas = luolong\n"
	"units = unicom\n"
	"[rule manhole-xinan]\n"			/* 48 */
	"category = manhole\n"
	"areas = *\n"
	"units = xa.water, unicom\n"
	"\n"
	"[default manhole]\n"				/* 53 */
	"category = manhole\n"
	"unit = zhujian\n"
	"sign = 10m\n"
	"complete = 1h\n"
	"settle = yes\n"
	"\n"
	"[plan waterplant]\n"				/* 60 */
	"name = 水厂停电应急预案\n"
	"category = manhole\n"
	"units = unicom, zhujian\n"
	"report_gov = yes\n"
	"channels = platform, sms, forum\n"
	"\n"
	"[client op-ly-wang]\n"				/* 67 */
	"name = 王接警员\n"
	"role = operator\n"
	"node = LY\n"
	"public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt\n"
	"[client t-unicom]\n"				/* 72 */
	"name = 联通终端\n"
	"role = unit\n"
	"node = LY\n"
	"unit = unicom\n"
	"public_key = D&F@q)ORK5sjQ*zWk$&g)*qxl.zFYTP({u(aKo[9\n";
#define BASE_LINES 77

static const char KEY3[] = "as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X";

/* BASE with the first "from" replaced by "to", then "tail" appended. */
static char *
variant(const char *from, const char *to, const char *tail)
{
	size_t cap = sizeof(BASE) + (to ? strlen(to) : 0) + strlen(tail) + 1;
	char *s = malloc(cap);
	const char *at = from ? strstr(BASE, from) : NULL;

	assert_non_null(s);
	if (from != NULL)
		assert_non_null(at);
	if (at == NULL)
		snprintf(s, cap, "%s%s", BASE, tail);
	else
		snprintf(s, cap, "%.*s%s%s%s", (int)(at - BASE), BASE, to,
		    at + strlen(from), tail);
	return s;
}

static struct ld_topo *
load(const char *text)
{
	struct ld_topo *t = NULL;
	int rc = topo_load_mem("t.ini", text, strlen(text), &t);

	assert_non_null(t);
	assert_int_equal(rc == 0, t->n_errors == 0);
	return t;
}

/* Print the diagnostics, for a failing test. */
static void
dump(const struct ld_topo *t)
{
	topo_print_diags(t, stderr);
}

/* t has the diagnostic (line, kind, msg). */
static void
expect(const struct ld_topo *t, int line, bool warning, const char *msg)
{
	for (int i = 0; i < t->n_diags; i++)
		if (t->diags[i].line == line && t->diags[i].warning ==
		    warning && strcmp(t->diags[i].msg, msg) == 0)
			return;
	dump(t);
	fail_msg("missing: %d: %s: %s", line, warning ? "warning" : "error",
	    msg);
}

/* The variant has exactly this one error (and no warning). */
static void
only_error(const char *from, const char *to, const char *tail, int line,
    const char *msg)
{
	char *s = variant(from, to, tail);
	struct ld_topo *t = load(s);

	expect(t, line, false, msg);
	if (t->n_errors != 1 || t->n_warnings != 0)
		dump(t);
	assert_int_equal(t->n_errors, 1);
	assert_int_equal(t->n_warnings, 0);
	topo_free(t);
	free(s);
}

/* The variant has exactly this one warning (and no error). */
static void
only_warning(const char *from, const char *to, const char *tail, int line,
    const char *msg)
{
	char *s = variant(from, to, tail);
	struct ld_topo *t = load(s);

	expect(t, line, true, msg);
	if (t->n_errors != 0 || t->n_warnings != 1)
		dump(t);
	assert_int_equal(t->n_errors, 0);
	assert_int_equal(t->n_warnings, 1);
	topo_free(t);
	free(s);
}

/* The variant has these errors (in any order) and no others. */
static void
errors(const char *from, const char *to, const char *tail, int n,
    const int *lines, const char *const *msgs)
{
	char *s = variant(from, to, tail);
	struct ld_topo *t = load(s);

	for (int i = 0; i < n; i++)
		expect(t, lines[i], false, msgs[i]);
	if (t->n_errors != n || t->n_warnings != 0)
		dump(t);
	assert_int_equal(t->n_errors, n);
	assert_int_equal(t->n_warnings, 0);
	topo_free(t);
	free(s);
}

/* The variant is sound: no error, no warning. */
static void
sound(const char *from, const char *to, const char *tail)
{
	errors(from, to, tail, 0, NULL, NULL);
}

static void
test_base_sound(void **state)
{
	struct ld_topo *t = load(BASE);

	(void)state;
	if (t->n_errors || t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_string_equal(t->name, "洛阳市110城市应急联动服务平台");
	assert_int_equal(t->n_nodes, 2);
	assert_int_equal(t->nodes[1].parent, 0);
	assert_int_equal(t->nodes[1].level, LD_TL_COUNTY);
	assert_true(t->nodes[0].running);
	assert_int_equal(t->n_areas, 3);
	assert_int_equal(t->areas[topo_area(t, "xinan")].node, 1);
	assert_int_equal(t->units[topo_unit(t, "zhujian")].n_categories, 1);
	assert_int_equal(t->categories[0].limit[3].complete_ms, 4 * 3600000);
	assert_int_equal(t->categories[0].limit[2].sign_ms, 0);
	assert_true(t->rules[1].all_areas);
	assert_true(t->defaults[0].settle);
	assert_true(t->plans[0].report_gov);
	assert_int_equal(t->plans[0].n_channels, 3);
	assert_string_equal(t->plans[0].channels[2], "forum");
	assert_int_equal(t->clients[1].role, LD_ROLE_UNIT);
	assert_int_equal(t->clients[1].unit, topo_unit(t, "unicom"));
	assert_int_equal(t->clients[0].unit, -1);
	assert_int_equal(topo_node(t, "XA"), 1);
	assert_int_equal(topo_node(t, "XB"), -1);
	assert_int_equal(topo_category(t, "manhole"), 0);
	assert_int_equal(topo_client_by_key(t,
	    "D&F@q)ORK5sjQ*zWk$&g)*qxl.zFYTP({u(aKo[9"), 1);
	assert_int_equal(topo_client_by_key(t, KEY3), -1);
	assert_int_equal(t->nodes[0].line, 4);
	assert_int_equal(t->clients[1].line, 72);
	topo_free(t);
}

static void
test_route(void **state)
{
	struct ld_topo *t = load(BASE);
	struct ld_topo_route r;
	struct ld_err err;

	(void)state;
	/* An area-specific rule before the "*" one. */
	assert_int_equal(topo_route(t, "manhole", "luolong", 1, &r, &err), 0);
	assert_int_equal(r.node, 0);
	assert_int_equal(r.rule, 0);
	assert_int_equal(r.fallback, -1);
	assert_int_equal(r.n_units, 1);
	assert_int_equal(r.units[0], topo_unit(t, "unicom"));
	assert_int_equal(r.sign_ms[0], 10 * 60000);
	assert_int_equal(r.complete_ms[0], 3600000);
	assert_string_equal(r.why, "rule manhole-unicom (line 44): category "
	    "manhole in luolong");
	/* The "*" rule; urgency 2 undefined: the less urgent 3 holds. */
	assert_int_equal(topo_route(t, "manhole", "xinan", 2, &r, &err), 0);
	assert_int_equal(r.node, 1);
	assert_int_equal(r.rule, 1);
	assert_int_equal(r.n_units, 2);
	assert_int_equal(r.units[0], topo_unit(t, "xa.water"));
	assert_int_equal(r.complete_ms[1], 4 * 3600000);
	assert_string_equal(r.why, "rule manhole-xinan (line 48): category "
	    "manhole in every area (*)");
	/* Nothing defined at 5 or less urgent: the nearest more urgent (4),
	 * never more time than a lower urgency allows. */
	assert_int_equal(topo_route(t, "manhole", "xinan", 5, &r, &err), 0);
	assert_int_equal(r.complete_ms[1], 24 * 3600000);
	assert_int_equal(topo_route(t, "manhole", "xinan", 0, &r, &err),
	    LD_EINVAL);
	assert_int_equal(topo_route(t, "fire", "xinan", 1, &r, &err),
	    LD_ENOTFOUND);
	assert_string_equal(err.msg, "unknown category 'fire'");
	assert_int_equal(topo_route(t, "manhole", "mars", 1, &r, &err),
	    LD_ENOTFOUND);
	assert_string_equal(err.msg, "unknown area 'mars'");
	topo_free(t);
}

/* A plan's own deadlines: both or neither, sign no longer than complete;
 * read into the plan. */
static void
test_plan_deadlines(void **state)
{
	char *s = variant("channels = platform, sms, forum\n",
	    "channels = platform, sms, forum\nsign = 10m\ncomplete = 6h\n", "");
	struct ld_topo *t = load(s);

	(void)state;
	assert_int_equal(t->n_errors, 0);
	assert_int_equal(t->plans[0].sign_ms, 600000);
	assert_int_equal(t->plans[0].complete_ms, 6 * 3600000);
	topo_free(t);
	free(s);
	only_error("channels = platform, sms, forum\n",
	    "channels = platform, sms, forum\nsign = 10m\n", "", 60,
	    "[plan waterplant] sign and complete: give both or neither "
	    "(neither: the deadlines of the plan's category)");
	only_error("channels = platform, sms, forum\n",
	    "channels = platform, sms, forum\nsign = 2h\ncomplete = 1h\n", "",
	    60, "[plan waterplant] sign 2h is longer than complete 1h");
}

/* A planned node with areas and no running node above it: nobody would
 * handle its areas (an error), and routing says so rather than naming it. */
static void
test_planned_top(void **state)
{
	char *s = variant("areas = luolong, baimasi\n", "status = planned\n"
	    "areas = luolong, baimasi\n", "");
	struct ld_topo *t = load(s);
	struct ld_topo_route r;
	struct ld_err err;

	(void)state;
	expect(t, 4, false, "[node LY] status planned and no node above it "
	    "runs: nobody would handle its areas");
	assert_int_equal(topo_route(t, "manhole", "baimasi", 1, &r, &err),
	    LD_EINVAL);
	assert_string_equal(err.msg, "area baimasi belongs to LY, which is "
	    "planned, and no node above it runs");
	topo_free(t);
	free(s);
}

/* A default handler never gets more time than its category allows at the
 * request's urgency. */
static void
test_default_clamped(void **state)
{
	/* no "*" rule (as in test_route_default), and a generous default */
	char *s0 = variant("[rule manhole-xinan]\ncategory = manhole\n"
	    "areas = *\n", "[rule manhole-xinan]\ncategory = manhole\n"
	    "areas = xinan\n", "");
	const char *from = "sign = 10m\ncomplete = 1h\n";
	const char *to = "sign = 2h\ncomplete = 1d\n";
	char *at = strstr(s0, from);
	char *s = malloc(strlen(s0) + strlen(to) + 1);

	assert_non_null(at);
	memcpy(s, s0, (size_t)(at - s0));
	strcpy(s + (at - s0), to);
	strcat(s, at + strlen(from));
	free(s0);
	struct ld_topo *t = load(s);
	struct ld_topo_route r;
	struct ld_err err;

	(void)state;
	assert_int_equal(topo_route(t, "manhole", "baimasi", 1, &r, &err), 0);
	assert_int_equal(r.fallback, 0);
	assert_int_equal(r.sign_ms[0], 10 * 60000);
	assert_int_equal(r.complete_ms[0], 3600000);
	assert_int_equal(topo_route(t, "manhole", "baimasi", 4, &r, &err), 0);
	assert_int_equal(r.sign_ms[0], 3600000);	/* urgency 4: 1h */
	assert_int_equal(r.complete_ms[0], 24 * 3600000);
	topo_free(t);
	free(s);
}

/* An ipc:// path must fit a Unix socket address. */
static void
test_ipc_length(void **state)
{
	char to[200];

	(void)state;
	memset(to, 'a', sizeof(to));
	memcpy(to, "client = ipc:///", 16);
	to[16 + 110] = '\n';
	to[16 + 111] = '\0';
	char *s = variant("client = tcp://127.0.0.1:7101\n", to, "");
	struct ld_topo *t = load(s);
	int found = 0;
	for (int i = 0; i < t->n_diags; i++)
		found |= strstr(t->diags[i].msg, "[node LY] client: 'ipc:///aaa")
		    != NULL;
	assert_true(found);
	topo_free(t);
	free(s);
	/* 100 bytes of path is fine */
	to[16 + 100] = '\n';
	to[16 + 101] = '\0';
	s = variant("client = tcp://127.0.0.1:7101\n", to, "");
	t = load(s);
	assert_int_equal(t->n_errors, 0);
	topo_free(t);
	free(s);
}

/* A planned county's requests are owned by its nearest running ancestor
 * until its own node runs. */
static void
test_route_planned(void **state)
{
	struct ld_topo *t = NULL;
	struct ld_topo_route r;
	struct ld_err err;

	(void)state;
	assert_int_equal(topo_load("topology.example", &t), 0);
	assert_int_equal(topo_route(t, "lost", "jili", 5, &r, &err), 0);
	assert_int_equal(r.node, topo_node(t, "LY"));
	assert_non_null(strstr(r.why, "; area jili belongs to JL, which is "
	    "planned: LY handles it until JL runs"));
	/* Xin'an runs: it owns its own requests */
	assert_int_equal(topo_route(t, "lost", "xinan", 5, &r, &err), 0);
	assert_int_equal(r.node, topo_node(t, "XA"));
	assert_null(strstr(r.why, "planned"));
	topo_free(t);
}

static void
test_route_default(void **state)
{
	char *s = variant("[rule manhole-xinan]\ncategory = manhole\n"
	    "areas = *\n", "[rule manhole-xinan]\ncategory = manhole\n"
	    "areas = xinan\n", "");
	struct ld_topo *t = load(s);
	struct ld_topo_route r;
	struct ld_err err;

	(void)state;
	assert_int_equal(t->n_errors, 0);
	assert_int_equal(topo_route(t, "manhole", "baimasi", 4, &r, &err), 0);
	assert_int_equal(r.rule, -1);
	assert_int_equal(r.fallback, 0);
	assert_true(r.settle);
	assert_int_equal(r.units[0], topo_unit(t, "zhujian"));
	assert_int_equal(r.complete_ms[0], 3600000);
	assert_string_equal(r.why, "default handler manhole (line 53): no "
	    "rule routes category manhole in area baimasi (unclear "
	    "ownership); responsibility settled afterwards");
	topo_free(t);
	free(s);
}

static void
test_syntax(void **state)
{
	(void)state;
	only_error(NULL, NULL, "[area x\n", BASE_LINES + 1,
	    "section header without ']'");
	only_error(NULL, NULL, "just words\n",
	    BASE_LINES + 1, "expected '[kind id]', 'key = value' or a "
	    "comment");
	only_error("[area xinan]", "[area xinan] y", "", 24,
	    "text after ']'");
	only_error(NULL, NULL, "[zone x]\nname = x\n", BASE_LINES + 1,
	    "[zone x] unknown section kind 'zone'");
	only_error(NULL, NULL, "[area]\nname = x\n", BASE_LINES + 1,
	    "[area] missing id");
	only_error(NULL, NULL, "[area Big]\n", BASE_LINES + 1,
	    "[area Big] 'Big' is not an id ([a-z0-9][a-z0-9._-]{0,31})");
	only_error(NULL, NULL, "[node xb]\n", BASE_LINES + 1,
	    "[node xb] 'xb' is not a node id ([A-Z][A-Z0-9]{0,7})");
	only_error("[federation]\n", "name = x\n[federation]\n", "", 1,
	    "name: outside any section");
	errors("name = 洛龙区", "name = \xe6\xb4", "", 2, (const int[]){ 21,
	    20 }, (const char *const[]){ "not UTF-8 text (byte 8 of the "
	    "line)", "[area luolong] name: missing" });
	/* A value cut inside a character: the rest shown as '?'. */
	only_error("level = county", "level = 一二三四五六七八九十一二三四五六七八九十", "",
	    14, "[node XA] level: '一二三四五六七八九十一二三?' is not province, "
	    "city, county or town");
	only_error(NULL, NULL, "[area xinan]\nname = 乙\n", BASE_LINES + 1,
	    "[area xinan] duplicate: already defined at line 24");
}

static void
test_lines(void **state)
{
	char *s = malloc(8192), *big = malloc(6000);
	struct ld_topo *t;

	(void)state;
	memset(big, 'a', 5000);
	big[5000] = '\0';
	snprintf(s, 8192, "%sname = %s\n", BASE, big);
	t = load(s);
	expect(t, BASE_LINES + 1, false, "line longer than 4096 bytes");
	assert_int_equal(t->n_errors, 1);
	topo_free(t);
	/* Comments, blank and indented lines, CRLF, a BOM, inline comments. */
	snprintf(s, 8192, "\xef\xbb\xbf; c\r\n# c\r\n  \r\n%s", BASE);
	strcpy(strstr(s, "name = 洛龙区"), "  name = 洛龙区 ; a comment\r\n"
	    "[area baimasi]\nname = 白马寺镇\n[area xinan]  # x\nname = x\n");
	strcat(s, strstr(BASE, "\n[unit zhujian]"));
	t = load(s);
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_string_equal(t->areas[0].name, "洛龙区");
	topo_free(t);
	free(s);
	free(big);
}

static void
test_keys(void **state)
{
	(void)state;
	only_error("level = county\n", "level = county\nlevel = town\n", "",
	    15, "[node XA] level: repeated (first at line 14)");
	only_error("report_gov = yes\n", "report_gov = yes\ncolour = red\n",
	    "", 65, "[plan waterplant] colour: unknown key");
	only_error("name = 新安县110联动服务平台\n", "", "", 12,
	    "[node XA] name: missing");
	only_error("name = 新安县110联动服务平台\n", "name =\n", "", 13,
	    "[node XA] name: empty");
	only_error("[federation]\nname = 洛阳市110城市应急联动服务平台\n", "",
	    "", 0, "no [federation] section");
	only_error("level = county", "level = district", "", 14,
	    "[node XA] level: 'district' is not province, city, county or "
	    "town");
	only_error("settle = yes", "settle = true", "", 58,
	    "[default manhole] settle: 'true' is not yes or no");
	only_error("role = operator", "role = boss", "", 69,
	    "[client op-ly-wang] role: 'boss' is not operator, unit or admin");
	only_error("role = operator\n", "role = operator\nunit = unicom\n",
	    "", 70, "[client op-ly-wang] unit: only a client of role unit "
	    "has one");
	only_error("units = unicom, zhujian", "units = unicom, unicom", "", 63,
	    "[plan waterplant] units: 'unicom' listed twice");
	only_error("channels = platform, sms, forum",
	    "channels = platform, , forum", "", 65,
	    "[plan waterplant] channels: empty entry");
	only_error("channels = platform, sms, forum",
	    "channels = platform, SMS", "", 65,
	    "[plan waterplant] channels: 'SMS' is not an id "
	    "([a-z0-9][a-z0-9._-]{0,31})");
}

static void
test_references(void **state)
{
	(void)state;
	only_error("node = XA", "node = XB", "", 36,
	    "[unit xa.water] node: unknown node 'XB'");
	only_error("areas = luolong\n", "areas = luolong, foo\n", "", 46,
	    "[rule manhole-unicom] areas: unknown area 'foo'");
	only_error("areas = luolong\n", "areas = luolong, *\n", "", 46,
	    "[rule manhole-unicom] areas: '*' stands alone (every area)");
	only_error("categories = manhole", "categories = manhole, fire", "", 30,
	    "[unit zhujian] categories: unknown category 'fire'");
	only_error("unit = unicom", "unit = ghost", "", 76,
	    "[client t-unicom] unit: unknown unit 'ghost'");
}

static void
test_tree(void **state)
{
	(void)state;
	errors(NULL, NULL, "[node YS]\nname = y\n"
	    "level = county\nparent = YY\nclient = tcp://ys:1\n"
	    "peer = tcp://ys:2\n"
	    "public_key = as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X\n"
	    "[node YY]\nname = y\nlevel = town\nparent = YS\n"
	    "client = tcp://yy:1\npeer = tcp://yy:2\n"
	    "public_key = xp^1ap5ZD#AmCP?0l{KuY&(hmu]dZUm2a5*&{]RR\n", 2,
	    (const int[]){ BASE_LINES + 1, BASE_LINES + 1 },
	    (const char *const[]){ "[node YS] parent: cycle YS -> YY -> YS",
	    "[node YS] level: county is not below parent YY (town)" });
	errors("parent = LY", "parent = XA", "", 3,
	    (const int[]){ 12, 12, 12 },
	    (const char *const[]){ "[node XA] parent: cycle XA -> XA",
	    "[node XA] level: county is not below parent XA (county)",
	    "[node XA] peer: missing (node XA has it as parent)" });
	only_error(NULL, NULL, "[node YS]\nname = y\nlevel = county\n"
	    "client = tcp://ys:1\n"
	    "public_key = as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X\n",
	    BASE_LINES + 1, "[node YS] parent: missing (only the top node LY, "
	    "line 4, has none)");
	only_error("level = county", "level = city", "", 12,
	    "[node XA] level: city is not below parent LY (city)");
	errors("[node LY]\n", "[node LY]\nparent = XA\n", "", 4,
	    (const int[]){ 0, 4, 4, 13 },
	    (const char *const[]){ "no top node: every node has a parent",
	    "[node LY] parent: cycle LY -> XA -> LY",
	    "[node LY] level: city is not below parent XA (county)",
	    "[node XA] peer: missing (node LY has it as parent)" });
}

static void
test_no_path(void **state)
{
	char *s = variant(NULL, NULL, "[node YS]\nname = y\nlevel = county\n"
	    "parent = QQ\nclient = tcp://ys:1\npeer = tcp://ys:2\n"
	    "public_key = as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X\n"
	    "[node YT]\nname = y\nlevel = town\nparent = YS\n"
	    "client = tcp://yt:1\n"
	    "public_key = xp^1ap5ZD#AmCP?0l{KuY&(hmu]dZUm2a5*&{]RR\n");
	struct ld_topo *t = load(s);

	(void)state;
	expect(t, BASE_LINES + 4, false, "[node YS] parent: unknown node 'QQ'");
	expect(t, BASE_LINES + 8, false, "[node YT] no parent path to the top "
	    "node");
	assert_int_equal(t->n_errors, 2);
	topo_free(t);
	free(s);
}

static void
test_deep_tree(void **state)
{
	char *s = variant("level = city\n", "level = city\nparent = HN\n",
	    "[node HN]\nname = 河南省\nlevel = province\npeer = tcp://hn:1\n"
	    "client = tcp://hn:2\n"
	    "public_key = as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X\n"
	    "[node BM]\nname = 白马寺镇\nlevel = town\nparent = XA\n"
	    "client = tcp://bm:2\n"
	    "public_key = xp^1ap5ZD#AmCP?0l{KuY&(hmu]dZUm2a5*&{]RR\n");
	struct ld_topo *t = load(s);

	(void)state;
	expect(t, 13, false, "[node XA] peer: missing (node BM has it as "
	    "parent)");
	assert_int_equal(t->n_errors, 1);
	topo_free(t);
	free(s);
}

static void
test_coverage(void **state)
{
	(void)state;
	only_error(NULL, NULL, "[category heating]\nname = 供暖\n"
	    "urgency.1 = sign 1h, complete 1d\n[rule heat]\n"
	    "category = heating\nareas = luolong, baimasi\nunits = unicom\n",
	    BASE_LINES + 1, "[category heating] no rule or default handler "
	    "routes it in area 'xinan' (node XA)");
	only_error(NULL, NULL, "[area jili]\nname = 吉利区\n", BASE_LINES + 1,
	    "[area jili] no node lists it in its areas");
	only_error("areas = xinan", "areas = xinan, luolong", "", 18,
	    "[area luolong] listed by nodes LY (line 10) and XA (line 18)");
}

static void
test_values(void **state)
{
	(void)state;
	only_error("client = tcp://[::1]:7111", "client = tcp//x", "", 16,
	    "[node XA] client: 'tcp//x' is not an endpoint tcp://HOST:PORT");
	only_error("client = tcp://[::1]:7111", "client = tcp://h:65536", "",
	    16, "[node XA] client: 'tcp://h:65536' is not an endpoint "
	    "tcp://HOST:PORT");
	only_error("client = tcp://[::1]:7111", "client = tcp://1.2.3.999:5",
	    "", 16, "[node XA] client: 'tcp://1.2.3.999:5' is not an "
	    "endpoint tcp://HOST:PORT");
	only_error("public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt",
	    "public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TX~", "", 71,
	    "[client op-ly-wang] public_key: not a Z85 CURVE key (40 "
	    "characters of the Z85 alphabet)");
	only_error("public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt",
	    "public_key = #####?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt", "", 71,
	    "[client op-ly-wang] public_key: not a Z85 CURVE key (40 "
	    "characters of the Z85 alphabet)");
	only_error("public_key = Q{%4l}?sRn7oOn$k=m=3TMs2igQ)lRw1)4RD)TXt",
	    "public_key = y.jmhnS:G6taAS?MG<d?}KtpV]iBV$>rP0Z[XKJo", "", 67,
	    "[client op-ly-wang] public_key: also the key of node XA (line "
	    "12)");
	only_error("client = tcp://[::1]:7111", "client = tcp://127.0.0.1:7100",
	    "", 12, "[node XA] client: tcp://127.0.0.1:7100 also used by node "
	    "LY (line 4)");
	sound("client = tcp://[::1]:7111", "client = ipc:///run/xa.sock", "");
	sound("client = tcp://[::1]:7111", "client = tcp://xa.example-1.cn:1",
	    "");
	sound("client = tcp://[::1]:7111", "client = tcp://10.0.0.1:65535", "");
}

static void
test_limits(void **state)
{
	(void)state;
	only_error("urgency.3 = sign 30m, complete 4h",
	    "urgency.3 = sign 5h, complete 4h", "", 41,
	    "[category manhole] urgency.3: sign 5h is longer than complete 4h");
	only_error("urgency.3 = sign 30m, complete 4h",
	    "urgency.3 = 30m, 4h", "", 41,
	    "[category manhole] urgency.3: '30m, 4h' is not 'sign DUR, "
	    "complete DUR'");
	only_error("urgency.3 = sign 30m, complete 4h",
	    "urgency.3 = sign 30m, complete 366d", "", 41,
	    "[category manhole] urgency.3: 'sign 30m, complete 366d': a "
	    "duration is not from 1m to 365d");
	only_error("urgency.1 = sign 10m, complete 1h\n", "", "", 38,
	    "[category manhole] urgency.1: missing");
	only_error("sign = 10m", "sign = 0m", "", 56,
	    "[default manhole] sign: '0m' is not a duration from 1m to 365d "
	    "(30m, 1h, 1h30m, 2d)");
	only_error("sign = 10m", "sign = 2h", "", 53,
	    "[default manhole] sign 2h is longer than complete 1h");
	only_error("complete = 1h\n", "complete = 1d1h\n", "", 53,
	    "[default manhole] complete 1d1h is longer than category manhole "
	    "allows at any urgency (at most 1d)");
	only_error(NULL, NULL, "[default manhole2]\ncategory = manhole\n"
	    "unit = zhujian\nsign = 1h\ncomplete = 2h\n", BASE_LINES + 1,
	    "[default manhole2] category: manhole already has default handler "
	    "manhole (line 53)");
}

static void
test_plans(void **state)
{
	(void)state;
	errors(NULL, NULL, "[category fire]\nname = 火\n"
	    "urgency.1 = sign 1m, complete 1h\n"
	    "[plan burn]\nname = b\ncategory = fire\nunits = unicom\n", 4,
	    (const int[]){ BASE_LINES + 4, BASE_LINES + 1, BASE_LINES + 1,
	    BASE_LINES + 1 },
	    (const char *const[]){ "[plan burn] category: fire is routed "
	    "nowhere (no rule or default handler)",
	    "[category fire] no rule or default handler routes it in area "
	    "'luolong' (node LY)",
	    "[category fire] no rule or default handler routes it in area "
	    "'baimasi' (node LY)",
	    "[category fire] no rule or default handler routes it in area "
	    "'xinan' (node XA)" });
}

static void
test_warnings(void **state)
{
	(void)state;
	only_warning(NULL, NULL, "[unit idle]\nname = 闲\nnode = XA\n",
	    BASE_LINES + 1, "[unit idle] no rule, default handler or plan "
	    "sends it work");
	only_warning("level = county\n", "level = county\nstatus = planned\n",
	    "[client op-xa]\nname = x\nrole = operator\nnode = XA\n"
	    "public_key = as+ySe6bHlt>cJur5GaCe6qz!>}cX:L8zT(1445X\n", 12,
	    "[node XA] status planned, yet 1 client connect to it");
	only_warning(NULL, NULL, "[category road]\nname = 道路\n"
	    "urgency.1 = sign 1h, complete 1d\n[rule road]\ncategory = road\n"
	    "areas = *\nunits = zhujian\n", BASE_LINES + 4,
	    "[rule road] units: zhujian does not list category road");
	only_warning("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1h, complete 2h", "", 38,
	    "[category manhole] urgency.3: complete 4h is longer than at the "
	    "less urgent urgency.4 (2h)");
	only_warning("node = LY\nunit = unicom", "node = XA\nunit = unicom", "",
	    72, "[client t-unicom] node: unit unicom belongs to node LY");
}

static void
test_diag_limit(void **state)
{
	size_t cap = sizeof(BASE) + 3000 * 8;
	char *s = malloc(cap), *p;
	struct ld_topo *t;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	(void)state;
	p = s + snprintf(s, cap, "%s", BASE);
	for (int i = 0; i < 3000; i++)
		p += sprintf(p, "oops\n");
	t = load(s);
	assert_int_equal(t->n_errors, 3000);
	assert_int_equal(t->n_diags, LD_TOPO_DIAG_MAX);
	f = open_memstream(&out, &outlen);
	assert_int_equal(topo_print_diags(t, f), 3000);
	fclose(f);
	assert_non_null(strstr(out, "t.ini:78: error: expected '[kind id]', "
	    "'key = value' or a comment\n"));
	assert_non_null(strstr(out, "\nt.ini: 3000 errors, 0 warnings (the "
	    "first 1000 shown)\n"));
	free(out);
	topo_free(t);
	free(s);
}

static void
test_print_and_files(void **state)
{
	struct ld_topo *t = NULL;
	char *out = NULL, *dir, path[300];
	size_t outlen = 0;
	FILE *f;

	(void)state;
	assert_int_equal(topo_load("/nonexistent/topo.ini", &t), LD_EIO);
	f = open_memstream(&out, &outlen);
	assert_int_equal(topo_print_diags(t, f), 1);
	fclose(f);
	assert_string_equal(out, "/nonexistent/topo.ini: error: cannot open: "
	    "No such file or directory\n/nonexistent/topo.ini: 1 error, 0 "
	    "warnings\n");
	free(out);
	topo_free(t);
	dir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/t.ini", dir);
	f = fopen(path, "w");
	fputs(BASE, f);
	fputs("[unit idle]\nname = x\nnode = LY\n", f);
	fclose(f);
	assert_int_equal(topo_load(path, &t), 0);
	assert_int_equal(t->n_warnings, 1);
	assert_string_equal(t->path, path);
	topo_free(t);
	tu_rm_tree(dir);
	topo_free(NULL);
}

static void
test_names_and_durations(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(topo_level_name(LD_TL_PROVINCE), "province");
	assert_string_equal(topo_level_name(LD_TL_TOWN), "town");
	assert_string_equal(topo_level_name(9), "?");
	assert_string_equal(topo_role_name(LD_ROLE_ADMIN), "admin");
	assert_string_equal(topo_role_name(0), "?");
	topo_format_duration(90 * 60000, b, sizeof(b));
	assert_string_equal(b, "1h30m");
	topo_format_duration(2 * 86400000LL, b, sizeof(b));
	assert_string_equal(b, "2d");
	topo_format_duration(30 * 60000, b, sizeof(b));
	assert_string_equal(b, "30m");
	topo_format_duration(0, b, sizeof(b));
	assert_string_equal(b, "0m");
	topo_format_duration(-61000, b, sizeof(b));
	assert_string_equal(b, "-1m1s");
	topo_format_duration(86400000LL + 60000, b, 4);
	assert_string_equal(b, "1d");
}

static void
test_draw(void **state)
{
	struct ld_topo *t = load(BASE);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	(void)state;
	topo_draw_dot(t, f);
	fclose(f);
	assert_true(strncmp(out, "digraph federation {\n", 21) == 0);
	assert_non_null(strstr(out, "\t\"LY\" [label=\"LY\\n"
	    "洛阳市110联动服务平台\\ncity\"];\n"));
	assert_non_null(strstr(out, "\t\"LY\" -> \"XA\";\n"));
	assert_non_null(strstr(out, "\t\"XA\" -> \"unit:xa.water\" "
	    "[style=dotted, arrowhead=none];\n"));
	assert_true(out[outlen - 2] == '}');
	free(out);
	topo_free(t);
}


/* --- the working-day calendar, "<n>wd", ext_max, [assessment] ------------ */

/* BASE naming calendar path on line 3 (the blank line after the name, so
 * that every other line keeps its number); tail appended. */
static char *
with_calendar(const char *path, const char *tail)
{
	char to[600];

	snprintf(to, sizeof(to), "\ncalendar = %s\n[node LY]", path);
	return variant("\n\n[node LY]", to, tail);
}

/* s (malloc'd, freed) with the first from replaced by to. */
static char *
replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from), *r;
	size_t cap = strlen(s) + strlen(to) + 1;

	assert_non_null(at);
	r = malloc(cap);
	assert_non_null(r);
	snprintf(r, cap, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	free(s);
	return r;
}

/* A file at dir/name holding text; its path into buf. */
static void
write_file(const char *dir, const char *name, const char *text, char *buf,
    size_t cap)
{
	FILE *f;

	snprintf(buf, cap, "%s/%s", dir, name);
	f = fopen(buf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
test_calendar(void **state)
{
	char *s = with_calendar("calendar.example", "");
	struct ld_topo *t = load(s);

	(void)state;
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	/* topo_load_mem: relative to the current directory */
	assert_string_equal(t->cal_path, "calendar.example");
	assert_false(wcal_workday(t->cal, 20111003));	/* 国庆 */
	assert_true(wcal_workday(t->cal, 20111008));	/* worked Saturday */
	topo_free(t);
	free(s);
	/* none named: Monday to Friday, never NULL */
	t = load(BASE);
	assert_non_null(t->cal);
	assert_string_equal(t->cal_path, "");
	assert_true(wcal_workday(t->cal, 20111003));
	assert_false(wcal_workday(t->cal, 20111008));
	topo_free(t);
	t = NULL;
	assert_int_equal(topo_load("/nonexistent/topo.ini", &t), LD_EIO);
	assert_non_null(t->cal);
	topo_free(t);
}

/* The calendar's problems are the topology's, on the calendar key's line,
 * naming the calendar file and its line; t->cal is then the default. */
static void
test_calendar_errors(void **state)
{
	char *dir = tu_tmpdir(), path[400], want[600], *s;
	struct ld_topo *t;

	(void)state;
	write_file(dir, "bad.cal", "# 日历\nholiday 2011-02-30  春节\n"
	    "workday 2011-10-08\nholiday 2011-10-01 .. 2011-10-08\n", path,
	    sizeof(path));
	s = with_calendar(path, "");
	t = load(s);
	snprintf(want, sizeof(want), "calendar %s:2: holiday 2011-02-30: not "
	    "a date", path);
	expect(t, 3, false, want);
	snprintf(want, sizeof(want), "calendar %s:3: workday 2011-10-08: also "
	    "a holiday (line 4)", path);
	expect(t, 3, false, want);
	assert_int_equal(t->n_errors, 2);
	assert_non_null(t->cal);
	assert_true(wcal_workday(t->cal, 20111003));	/* the default */
	assert_string_equal(t->cal_path, path);
	topo_free(t);
	free(s);
	/* a calendar that is not there, or not a file */
	only_error("\n\n[node LY]", "\ncalendar = /nonexistent/china.cal\n"
	    "[node LY]", "", 3, "calendar /nonexistent/china.cal: cannot "
	    "open: No such file or directory");
	only_error("\n\n[node LY]", "\ncalendar = \n[node LY]", "", 3,
	    "[federation] calendar: empty");
	only_error("\n\n[node LY]", "\ncalendar = /tmp\n[node LY]", "", 3,
	    "calendar /tmp: cannot read: a directory");
	/* topo_load: relative to the topology file's directory */
	write_file(dir, "good.cal", "workday 2011-10-08\n", path,
	    sizeof(path));
	s = with_calendar("good.cal", "");
	write_file(dir, "t.ini", s, path, sizeof(path));
	assert_int_equal(topo_load(path, &t), 0);
	snprintf(want, sizeof(want), "%s/good.cal", dir);
	assert_string_equal(t->cal_path, want);
	assert_true(wcal_workday(t->cal, 20111008));
	topo_free(t);
	/* topo_load_mem_at: relative to the directory given */
	assert_int_equal(topo_load_mem_at("x.ini", dir, s, strlen(s), &t), 0);
	assert_string_equal(t->cal_path, want);
	topo_free(t);
	/* topo_load_mem: to the current one, where there is no good.cal */
	t = load(s);
	expect(t, 3, false, "calendar good.cal: cannot open: No such file or "
	    "directory");
	topo_free(t);
	free(s);
	tu_rm_tree(dir);
}

/* "<n>wd": working days for complete (categories, default handlers),
 * never for sign. */
static void
test_working_days(void **state)
{
	char *s = variant("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1h, complete 1d\nurgency.5 = sign 1d, "
	    "complete 7wd", "");
	struct ld_topo *t = load(s);

	(void)state;
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_int_equal(t->categories[0].limit[5].complete_wd, 7);
	assert_int_equal(t->categories[0].limit[5].complete_ms, 0);
	assert_int_equal(t->categories[0].limit[5].sign_ms, 86400000);
	assert_int_equal(t->categories[0].limit[4].complete_wd, 0);
	topo_free(t);
	free(s);
	only_error("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1wd, complete 7wd", "", 42,
	    "[category manhole] urgency.4: 'sign 1wd, complete 7wd': sign is "
	    "a clock time (30m, 1h, 1d), not working days");
	only_error("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1h, complete 61wd", "", 42,
	    "[category manhole] urgency.4: 'sign 1h, complete 61wd': working "
	    "days are from 1wd to 60wd");
	only_error("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1h, complete 0wd", "", 42,
	    "[category manhole] urgency.4: 'sign 1h, complete 0wd': working "
	    "days are from 1wd to 60wd");
	only_error("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1h, complete 7 wd", "", 42,
	    "[category manhole] urgency.4: 'sign 1h, complete 7 wd' is not "
	    "'sign DUR, complete DUR'");
	/* sign 2d may outlast 1 working day (from a Thursday morning) */
	only_error("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 2d, complete 1wd", "", 42,
	    "[category manhole] urgency.4: sign 2d is longer than complete "
	    "1wd");
	sound("urgency.4 = sign 1h, complete 1d",
	    "urgency.4 = sign 1d, complete 1wd", "");
	/* 8 days for urgency 3, 7 working days for the less urgent 4: a
	 * more urgent request would get more time (a working day counts as
	 * a day against a clock time) */
	only_warning("urgency.3 = sign 30m, complete 4h\nurgency.4 = sign 1h, "
	    "complete 1d", "urgency.3 = sign 30m, complete 8d\nurgency.4 = "
	    "sign 1h, complete 7wd", "", 38,
	    "[category manhole] urgency.3: complete 8d is longer than at the "
	    "less urgent urgency.4 (7wd)");
	sound("urgency.3 = sign 30m, complete 4h\nurgency.4 = sign 1h, "
	    "complete 1d", "urgency.3 = sign 30m, complete 7d\nurgency.4 = "
	    "sign 1h, complete 7wd", "");
	only_warning("urgency.3 = sign 30m, complete 4h\nurgency.4 = sign 1h, "
	    "complete 1d", "urgency.3 = sign 30m, complete 3wd\nurgency.4 = "
	    "sign 1h, complete 2wd", "", 38,
	    "[category manhole] urgency.3: complete 3wd is longer than at the "
	    "less urgent urgency.4 (2wd)");
}

static void
test_default_working_days(void **state)
{
	struct ld_topo *t;
	struct ld_topo_route r;
	struct ld_err err;
	char *s;

	(void)state;
	/* no "*" rule: the default handler routes baimasi; the category
	 * allows 7 working days at urgency 5, the handler takes 3 */
	s = variant("areas = *\nunits = xa.water, unicom\n", "areas = xinan\n"
	    "units = xa.water, unicom\n", "");
	s = replace(s, "urgency.4 = sign 1h, complete 1d\n", "urgency.4 = "
	    "sign 1h, complete 1d\nurgency.5 = sign 1d, complete 7wd\n");
	s = replace(s, "complete = 1h\n", "complete = 3wd\n");
	t = load(s);
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_int_equal(t->defaults[0].complete_wd, 3);
	assert_int_equal(t->defaults[0].complete_ms, 0);
	/* urgency 5 allows 7wd: the handler's own 3wd */
	assert_int_equal(topo_route(t, "manhole", "baimasi", 5, &r, &err), 0);
	assert_int_equal(r.fallback, 0);
	assert_int_equal(r.complete_wd[0], 3);
	assert_int_equal(r.complete_ms[0], 0);
	assert_non_null(strstr(r.why, "; complete within 3 working days"));
	/* urgency 4 allows 1d, less than 3 working days: 1d */
	assert_int_equal(topo_route(t, "manhole", "baimasi", 4, &r, &err), 0);
	assert_int_equal(r.complete_wd[0], 0);
	assert_int_equal(r.complete_ms[0], 86400000);
	assert_null(strstr(r.why, "working day"));
	topo_free(t);
	free(s);
	only_error("sign = 10m", "sign = 1wd", "", 56,
	    "[default manhole] sign: '1wd': sign is a clock time (30m, 1h, "
	    "1d), not working days");
	only_error("complete = 1h\n", "complete = 99wd\n", "", 57,
	    "[default manhole] complete: '99wd': working days are from 1wd to "
	    "60wd");
	/* 2 working days are more than the category's 1d at any urgency */
	only_error("complete = 1h\n", "complete = 2wd\n", "", 53,
	    "[default manhole] complete 2wd is longer than category manhole "
	    "allows at any urgency (at most 1d)");
	only_error("sign = 10m", "sign = 3d", "", 53,
	    "[default manhole] sign 3d is longer than complete 1h");
}

static void
test_ext_max(void **state)
{
	char *s = variant("urgency.4 = sign 1h, complete 1d\n",
	    "urgency.4 = sign 1h, complete 1d\nurgency.5 = sign 1d, complete "
	    "7wd\next_max = 15wd\n", "");
	struct ld_topo *t = load(s);

	(void)state;
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_int_equal(t->categories[0].ext_max_wd, 15);
	assert_int_equal(t->categories[0].ext_max_ms, 0);
	topo_free(t);
	free(s);
	sound("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign 1h, "
	    "complete 1d\next_max = 2d\n", "");
	s = variant("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign "
	    "1h, complete 1d\next_max = 2d\n", "");
	t = load(s);
	assert_int_equal(t->categories[0].ext_max_ms, 2 * 86400000LL);
	assert_int_equal(t->categories[0].ext_max_wd, 0);
	topo_free(t);
	free(s);
	/* working days: an error below a working-day complete */
	only_error("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign "
	    "1h, complete 1d\nurgency.5 = sign 1d, complete 7wd\n"
	    "ext_max = 5wd\n", "", 44,
	    "[category manhole] ext_max 5wd is shorter than complete 7wd of "
	    "urgency.5");
	/* a clock time: a warning below a clock-time complete */
	only_warning("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign "
	    "1h, complete 1d\next_max = 12h\n", "", 43,
	    "[category manhole] ext_max 12h is shorter than complete 1d of "
	    "urgency.4");
	/* of the other kind: not compared */
	sound("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign 1h, "
	    "complete 1d\next_max = 1wd\n", "");
	only_error("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign "
	    "1h, complete 1d\next_max = 61wd\n", "", 43,
	    "[category manhole] ext_max: '61wd': working days are from 1wd to "
	    "60wd");
	only_error("urgency.4 = sign 1h, complete 1d\n", "urgency.4 = sign "
	    "1h, complete 1d\next_max = soon\n", "", 43,
	    "[category manhole] ext_max: 'soon' is not a duration from 1m to "
	    "365d (30m, 1h, 2d) or working days from 1wd to 60wd (15wd)");
}

static void
test_assessment(void **state)
{
	struct ld_topo *t = load(BASE);
	char *s;

	(void)state;
	/* absent: the defaults */
	assert_int_equal(t->assess.w_sign, 20);
	assert_int_equal(t->assess.w_ontime, 30);
	assert_int_equal(t->assess.w_complete, 20);
	assert_int_equal(t->assess.w_satisfaction, 30);
	assert_int_equal(t->assess.p_return, 10);
	assert_int_equal(t->assess.p_urge, 20);
	assert_int_equal(t->assess.p_supervise, 40);
	assert_int_equal(t->assess.spot_sample, 2);
	assert_int_equal(t->assess.spot_seed, 2011);
	assert_int_equal(t->assess.line, 0);
	topo_free(t);
	/* some keys: those change, the others keep their defaults */
	s = variant(NULL, NULL, "[assessment]\nweight.sign = 0\n"
	    "weight.satisfaction = 1000\npenalty.supervise = 55\n"
	    "spot.sample = 100\nspot.seed = 9223372036854775807\n");
	t = load(s);
	if (t->n_errors + t->n_warnings)
		dump(t);
	assert_int_equal(t->n_errors + t->n_warnings, 0);
	assert_int_equal(t->assess.line, BASE_LINES + 1);
	assert_int_equal(t->assess.w_sign, 0);
	assert_int_equal(t->assess.w_ontime, 30);
	assert_int_equal(t->assess.w_satisfaction, 1000);
	assert_int_equal(t->assess.p_supervise, 55);
	assert_int_equal(t->assess.p_urge, 20);
	assert_int_equal(t->assess.spot_sample, 100);
	assert_true(t->assess.spot_seed == 9223372036854775807ULL);
	topo_free(t);
	free(s);
	sound(NULL, NULL, "[assessment]\n");
	only_error(NULL, NULL, "[assessment]\nweight.sign = 1001\n",
	    BASE_LINES + 2, "[assessment] weight.sign: '1001' is not an "
	    "integer from 0 to 1000");
	only_error(NULL, NULL, "[assessment]\npenalty.urge = -1\n",
	    BASE_LINES + 2, "[assessment] penalty.urge: '-1' is not an "
	    "integer from 0 to 1000");
	only_error(NULL, NULL, "[assessment]\nspot.sample = 0\n",
	    BASE_LINES + 2, "[assessment] spot.sample: '0' is not an integer "
	    "from 1 to 100");
	only_error(NULL, NULL, "[assessment]\nspot.sample = 101\n",
	    BASE_LINES + 2, "[assessment] spot.sample: '101' is not an "
	    "integer from 1 to 100");
	only_error(NULL, NULL, "[assessment]\nspot.seed = 9223372036854775808"
	    "\n", BASE_LINES + 2, "[assessment] spot.seed: "
	    "'9223372036854775808' is not an integer from 0 to "
	    "9223372036854775807");
	only_error(NULL, NULL, "[assessment]\nspot.seed = 1e3\n",
	    BASE_LINES + 2, "[assessment] spot.seed: '1e3' is not an integer "
	    "from 0 to 9223372036854775807");
	only_error(NULL, NULL, "[assessment]\nweight.sign = 0\n"
	    "weight.ontime = 0\nweight.complete = 0\n"
	    "weight.satisfaction = 0\n", BASE_LINES + 1, "[assessment] "
	    "weights: all 0 (weight.sign, weight.ontime, weight.complete, "
	    "weight.satisfaction): at least one must count");
	only_error(NULL, NULL, "[assessment]\ncolour = red\n", BASE_LINES + 2,
	    "[assessment] colour: unknown key");
	only_error(NULL, NULL, "[assessment]\nspot.seed = 1\nspot.seed = 2\n",
	    BASE_LINES + 3, "[assessment] spot.seed: repeated (first at line "
	    "79)");
	only_error(NULL, NULL, "[assessment x]\n", BASE_LINES + 1,
	    "[assessment x] assessment takes no id");
	only_error(NULL, NULL, "[assessment]\n[assessment]\n",
	    BASE_LINES + 2, "[assessment] duplicate: already defined at line "
	    "78");
}

/* topology.example's ordinary requests: 7 working days by its calendar. */
static void
test_route_working_days(void **state)
{
	struct ld_topo *t = NULL;
	struct ld_topo_route r;
	struct ld_err err;
	int64_t from = ltime_parse("2011-09-30 15:00");

	(void)state;
	assert_int_equal(topo_load("topology.example", &t), 0);
	assert_string_equal(t->cal_path, "calendar.example");
	assert_int_equal(t->categories[topo_category(t, "general")].ext_max_wd,
	    15);
	assert_int_equal(topo_route(t, "general", "baimasi", 5, &r, &err), 0);
	assert_int_equal(r.n_units, 1);
	assert_int_equal(r.units[0], topo_unit(t, "cityguan"));
	assert_int_equal(r.sign_ms[0], 86400000);
	assert_int_equal(r.complete_wd[0], 7);
	assert_int_equal(r.complete_ms[0], 0);
	assert_non_null(strstr(r.why, "rule general (line "));
	assert_non_null(strstr(r.why, "; complete within 7 working days"));
	/* Fri 2011-09-30 15:00 + 7 wd: Oct 8 (worked Sat), 9 (worked Sun),
	 * 10, 11, 12, 13, 14: due at the end of Oct 14 = Oct 15 00:00 local */
	assert_int_equal(topo_due(t, from, r.complete_ms[0], r.complete_wd[0]),
	    ltime_parse("2011-10-15 00:00"));
	/* urgency 2: a clock time, 2 days */
	assert_int_equal(topo_route(t, "general", "xinan", 2, &r, &err), 0);
	assert_int_equal(r.complete_wd[0], 0);
	assert_int_equal(r.complete_ms[0], 2 * 86400000LL);
	assert_null(strstr(r.why, "working day"));
	assert_int_equal(topo_due(t, from, r.complete_ms[0], r.complete_wd[0]),
	    from + 2 * 86400000LL);
	/* other categories keep clock times */
	assert_int_equal(topo_route(t, "road", "xinan", 5, &r, &err), 0);
	assert_int_equal(r.complete_wd[0], 0);
	assert_int_equal(r.complete_ms[0], 7 * 86400000LL);
	topo_free(t);
}

static void
test_due(void **state)
{
	struct ld_topo *t = load(BASE);
	int64_t from = ltime_parse("2011-09-30 15:00");

	(void)state;
	assert_int_equal(topo_due(t, from, 3600000, 0), from + 3600000);
	/* no calendar: Monday to Friday: Oct 3..7, 10, 11 = 7: Oct 12 */
	assert_int_equal(topo_due(t, from, 0, 7),
	    ltime_parse("2011-10-12 00:00"));
	/* working days win over a clock time given with them */
	assert_int_equal(topo_due(t, from, 3600000, 1),
	    ltime_parse("2011-10-04 00:00"));
	assert_int_equal(topo_due(t, LD_TIME_MAX - 10, 3600000, 0),
	    LD_TIME_MAX);
	topo_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_sound),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_route_planned),
		cmocka_unit_test(test_planned_top),
		cmocka_unit_test(test_plan_deadlines),
		cmocka_unit_test(test_default_clamped),
		cmocka_unit_test(test_ipc_length),
		cmocka_unit_test(test_route_default),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_no_path),
		cmocka_unit_test(test_deep_tree),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_diag_limit),
		cmocka_unit_test(test_print_and_files),
		cmocka_unit_test(test_names_and_durations),
		cmocka_unit_test(test_draw),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_calendar_errors),
		cmocka_unit_test(test_working_days),
		cmocka_unit_test(test_default_working_days),
		cmocka_unit_test(test_ext_max),
		cmocka_unit_test(test_assessment),
		cmocka_unit_test(test_route_working_days),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
