/*
 * test_linkctl.c - the article's cases that one node handles, driven
 * through linkctl ($LD_LINKCTL_BIN) against a real city node LY on
 * loopback (topology.example rekeyed: tests/testnet.h):
 *
 *   t_unicom_same_afternoon  a missing cover: Unicom signs and completes,
 *                            the office reports, calls back, closes
 *   t_unclear_ownership      a cover nobody claims: the housing
 *                            commission (default handler) within 1 hour,
 *                            responsibility settled afterwards
 *   t_dairy_farm             the dairy farm to the Animal Husbandry Bureau
 *   t_returned_rerouted      the power company returns it, the office
 *                            re-routes it; an extension asked and granted;
 *                            a dissatisfied callback reopens the ticket
 *   t_exit_codes             usage, node errors, an unreachable node, a
 *                            missing key file, the config file
 */
#include "testnet.h"
#include "ltime.h"

static struct tn net;
static struct tn_node ly;
static char empty_conf[320];	/* an empty [linkctl] config file */

struct out {
	int status;		/* exit status */
	char *text;		/* stdout */
	char *err;		/* stderr */
};

static void
out_free(struct out *o)
{
	free(o->text);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

/* Run linkctl as client cid of node LY with args (NULL-terminated). */
static void
ctl(struct out *o, const char *cid, const char *const *args)
{
	const char *bin = tn_env("LD_LINKCTL_BIN", "build/test/linkctl");
	char key[320], op[320], ep[320];
	pid_t pid;
	int st;

	out_free(o);
	snprintf(key, sizeof(key), "%s/%s.key", net.keys, cid);
	snprintf(op, sizeof(op), "%s/ctl.out", net.dir);
	snprintf(ep, sizeof(ep), "%s/ctl.err", net.dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[64] = { bin, "--topology", net.topo, "--node",
			"LY", "--key", key };
		int a = 7;
		int fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		for (int i = 0; args[i] && a < 63; i++)
			argv[a++] = args[i];
		argv[a] = NULL;
		dup2(fo, 1);
		dup2(fe, 2);
		/* no per-user config of whoever runs the tests */
		setenv("LINKCTL_CONFIG", empty_conf, 1);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	o->text = tu_slurp(op, NULL);
	o->err = tu_slurp(ep, NULL);
	assert_non_null(o->text);
	assert_non_null(o->err);
}

/* Expect success and that the JSON output holds each of the texts. */
static void
ok_has(struct out *o, const char *const *texts)
{
	if (o->status != 0)
		fail_msg("linkctl exit %d: %s%s", o->status, o->err, o->text);
	for (int i = 0; texts && texts[i]; i++)
		if (strstr(o->text, texts[i]) == NULL)
			fail_msg("'%s' not in %s", texts[i], o->text);
}

/* The ticket id in a --json reply ({"ticket":{"id":"LY-..."...). */
static void
ticket_id(const struct out *o, char *id)
{
	const char *p = strstr(o->text, "\"id\":\"");

	assert_non_null(p);
	p += 6;
	size_t n = strcspn(p, "\"");
	assert_true(n > 0 && n <= LD_TICKET_MAX);
	memcpy(id, p, n);
	id[n] = '\0';
}

static int
setup(void **state)
{
	(void)state;
	tn_init(&net);
	snprintf(empty_conf, sizeof(empty_conf), "%s/empty.conf", net.dir);
	fclose(fopen(empty_conf, "w"));
	return tn_start(&net, &ly, "LY", NULL) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(tn_stop(&ly, SIGTERM), 0);
	tn_fini(&net);
	return 0;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
t_unicom_same_afternoon(void **state)
{
	struct out o = { 0 };
	char id[32];

	(void)state;
	ctl(&o, "op-ly-wang", ARGS("--json", "call", "call=C-0001",
	    "phone=13903791234", "valid=yes"));
	ok_has(&o, ARGS("\"class\":\"linkage\"", "\"forwarded\":false"));
	ctl(&o, "op-ly-wang", ARGS("--json", "create", "caller=张女士",
	    "phone=13903791234", "place=王城大道与关林路交叉口西北50米，洛阳理工学院附近",
	    "area=luolong", "category=manhole.unicom", "urgency=3",
	    "text=人行道上联通井盖丢失，有行人险些掉入", "call=C-0001"));
	ok_has(&o, ARGS("\"state\":\"dispatched\"", "\"unit\":\"unicom\"",
	    "\"rule\":\"manhole-unicom\"", "王城大道与关林路交叉口"));
	ticket_id(&o, id);

	ctl(&o, "unit-unicom", ARGS("--json", "queue"));
	ok_has(&o, ARGS(id));
	ctl(&o, "unit-unicom", ARGS("--json", "sign", id, "1"));
	ok_has(&o, ARGS("\"state\":\"in_progress\""));
	ctl(&o, "unit-unicom", ARGS("--json", "progress", id, "1",
	    "note=抢修人员已到场"));
	ok_has(&o, NULL);
	ctl(&o, "unit-unicom", ARGS("--json", "complete", id, "1",
	    "result=已补装新井盖，并向110联动办反馈"));
	ok_has(&o, ARGS("\"state\":\"completed\""));
	ctl(&o, "op-ly-wang", ARGS("--json", "report", id,
	    "note=已告知市民：井盖已补装", "method=phone"));
	ok_has(&o, ARGS("\"state\":\"reported\""));
	ctl(&o, "op-ly-wang", ARGS("--json", "callback", id, "method=phone",
	    "satisfaction=satisfied"));
	ok_has(&o, ARGS("\"state\":\"called_back\"", "\"satisfaction\":\"satisfied\""));
	ctl(&o, "op-ly-wang", ARGS("--json", "close", id));
	ok_has(&o, ARGS("\"state\":\"closed\""));
	/* the human view: Chinese as is, local time */
	ctl(&o, "op-ly-wang", ARGS("show", id));
	ok_has(&o, ARGS(id, "closed", "王城大道", "unicom", "ticket.created",
	    "completed"));
	out_free(&o);
}

static void
t_unclear_ownership(void **state)
{
	struct out o = { 0 };
	char id[32], due[64];
	int64_t t0 = ltime_now();

	(void)state;
	/* no rule routes a plain manhole in xigong: the default handler */
	ctl(&o, "op-ly-li", ARGS("--json", "create", "caller=赵先生",
	    "phone=13703795678", "place=中州路与解放路口东侧", "area=xigong",
	    "category=manhole", "urgency=1", "text=井盖破损下陷，权属不明"));
	ok_has(&o, ARGS("\"unit\":\"zhujian\"", "default manhole"));
	ticket_id(&o, id);
	/* within 1 hour: the default handler's limit */
	{
		const char *p = strstr(o.text, "\"due_done\":");
		long long d;

		assert_non_null(p);
		d = atoll(p + 11);
		snprintf(due, sizeof(due), "%lld", d - t0);
		assert_true(d - t0 >= 3600000 - 5000 && d - t0 <= 3600000 + 5000);
	}
	ctl(&o, "unit-zhujian", ARGS("--json", "sign", id, "1"));
	ok_has(&o, NULL);
	/* settling before the work is done is refused */
	ctl(&o, "op-ly-li", ARGS("--json", "settle", id, "1", "unit=telecom"));
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.text, "EREFUSED"));
	ctl(&o, "unit-zhujian", ARGS("--json", "complete", id, "1",
	    "result=已先行更换井盖，45分钟内完成"));
	ok_has(&o, NULL);
	ctl(&o, "op-ly-li", ARGS("--json", "settle", id, "1", "unit=telecom",
	    "note=经核实为电信井盖，费用由电信承担"));
	ok_has(&o, ARGS("\"settled_unit\":\"telecom\""));
	ctl(&o, "op-ly-li", ARGS("--json", "report", id, "note=已修复"));
	ok_has(&o, NULL);
	ctl(&o, "op-ly-li", ARGS("--json", "callback", id, "method=sms",
	    "satisfaction=satisfied"));
	ok_has(&o, NULL);
	ctl(&o, "op-ly-li", ARGS("--json", "close", id));
	ok_has(&o, ARGS("\"state\":\"closed\""));
	out_free(&o);
}

static void
t_dairy_farm(void **state)
{
	struct out o = { 0 };
	char id[32];

	(void)state;
	ctl(&o, "op-ly-zhang", ARGS("--json", "create", "caller=王先生",
	    "phone=13503790001", "place=白马寺镇某奶牛场", "area=baimasi",
	    "category=livestock", "urgency=3", "text=奶牛发烧已一个月，请求专家帮助"));
	ok_has(&o, ARGS("\"unit\":\"xumu\"", "\"rule\":\"livestock\""));
	ticket_id(&o, id);
	ctl(&o, "unit-xumu", ARGS("--json", "sign", id, "1"));
	ok_has(&o, ARGS("\"state\":\"in_progress\""));
	/* the farmer's earlier ticket shows on the next intake */
	ctl(&o, "op-ly-zhang", ARGS("--json", "create", "caller=王先生",
	    "phone=13503790001", "place=白马寺镇某奶牛场", "area=baimasi",
	    "category=livestock", "urgency=3", "text=又有奶牛发烧"));
	ok_has(&o, ARGS("\"earlier\":[{\"id\":\""));
	assert_non_null(strstr(strstr(o.text, "\"earlier\""), id));
	ctl(&o, "op-ly-zhang", ARGS("--json", "list", "phone=13503790001"));
	ok_has(&o, ARGS(id));
	out_free(&o);
}

static void
t_returned_rerouted(void **state)
{
	struct out o = { 0 };
	char id[32];

	(void)state;
	/* recorded as a power problem at the farm: the power company */
	ctl(&o, "op-ly-wang", ARGS("--json", "create", "caller=王先生",
	    "phone=13503790002", "place=白马寺镇某奶牛场", "area=baimasi",
	    "category=power.cut", "urgency=3", "text=奶牛场用电异常，奶牛发烧"));
	ok_has(&o, ARGS("\"unit\":\"power\""));
	ticket_id(&o, id);
	/* another unit may not return it */
	ctl(&o, "unit-water", ARGS("--json", "return", id, "1", "reason=x"));
	assert_int_equal(o.status, 1);
	ctl(&o, "unit-power", ARGS("--json", "return", id, "1",
	    "reason=不属于本单位职责，应由畜牧局处理"));
	ok_has(&o, ARGS("\"state\":\"returned\""));
	ctl(&o, "op-ly-wang", ARGS("--json", "reroute", id, "1", "units=xumu"));
	ok_has(&o, ARGS("\"unit\":\"xumu\"", "\"replaces\":1",
	    "\"state\":\"rerouted\""));
	ctl(&o, "unit-xumu", ARGS("--json", "sign", id, "2"));
	ok_has(&o, NULL);
	/* an extension, asked and granted */
	ctl(&o, "unit-xumu", ARGS("--json", "extend", id, "2", "until=+5d",
	    "reason=需等待化验结果"));
	ok_has(&o, ARGS("\"ext_until\":"));
	ctl(&o, "op-ly-wang", ARGS("--json", "grant", id, "2", "until=+5d"));
	ok_has(&o, ARGS("\"extensions\":1"));
	ctl(&o, "unit-xumu", ARGS("--json", "complete", id, "2",
	    "result=专家组上门诊治，开具处方"));
	ok_has(&o, ARGS("\"state\":\"completed\""));
	ctl(&o, "op-ly-wang", ARGS("--json", "report", id, "note=已告知"));
	ok_has(&o, NULL);
	/* dissatisfied: reopened, the work order goes back to xumu */
	ctl(&o, "op-ly-wang", ARGS("--json", "callback", id, "method=phone",
	    "satisfaction=unsatisfied"));
	ok_has(&o, ARGS("\"satisfaction\":\"unsatisfied\"",
	    "\"state\":\"dispatched\"", "\"reopens\":1"));
	ctl(&o, "unit-xumu", ARGS("--json", "queue"));
	ok_has(&o, ARGS(id));
	/* the day's figures count it all */
	ctl(&o, "op-ly-wang", ARGS("--json", "figures"));
	ok_has(&o, ARGS("\"wo_returned\":1", "\"reopened\":1",
	    "\"ext_granted\":1", "\"unsatisfied\":1"));
	/* this month's report: the table, CSV and a page with its charts */
	{
		char month[16];
		int64_t now = ltime_now();
		uint32_t day = ltime_day(now);

		snprintf(month, sizeof(month), "%04u-%02u",
		    (unsigned)(day / 10000), (unsigned)(day / 100 % 100));
		ctl(&o, "op-ly-wang", ARGS("report", "month", month));
		ok_has(&o, ARGS("xumu", "畜牧", "%"));
		ctl(&o, "op-ly-wang", ARGS("report", "month", month, "--csv"));
		ok_has(&o, ARGS("unit,", "xumu"));
		ctl(&o, "unit-xumu", ARGS("report", "month", month, "--html"));
		ok_has(&o, ARGS("<svg", "</html>", "xumu"));
		ctl(&o, "op-ly-wang", ARGS("report", "month", "2011-13"));
		assert_int_equal(o.status, 2);
		/* the year, a unit's record month by month, today's spot
		 * check */
		{
			char year[8], today[32];

			snprintf(year, sizeof(year), "%04u",
			    (unsigned)(day / 10000));
			snprintf(today, sizeof(today), "%s-%02u", month,
			    (unsigned)(day % 100));
			ctl(&o, "op-ly-wang", ARGS("report", "year", year));
			ok_has(&o, ARGS("xumu", "畜牧"));
			ctl(&o, "op-ly-wang", ARGS("record", "xumu", year));
			ok_has(&o, ARGS("efficiency record", month));
			ctl(&o, "op-ly-wang", ARGS("record", "nobody", year));
			assert_int_equal(o.status, 1);
			ctl(&o, "op-ly-wang", ARGS("--json", "spot", today));
			ok_has(&o, ARGS("\"sample\":", "\"completed\":",
			    "\"per_unit\":2"));
		}
	}
	out_free(&o);
}

static void
t_exit_codes(void **state)
{
	struct out o = { 0 };
	char conf[320];
	FILE *f;

	(void)state;
	ctl(&o, "op-ly-wang", ARGS("frobnicate"));
	assert_int_equal(o.status, 2);
	ctl(&o, "op-ly-wang", ARGS("create", "urgency=9"));
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "urgency"));
	ctl(&o, "op-ly-wang", ARGS("show", "LY-2011-999999"));
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.err, "ENOTFOUND"));
	ctl(&o, "op-ly-wang", ARGS("status"));
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.err, "may not call"));
	ctl(&o, "admin-ly-liu", ARGS("status"));
	ok_has(&o, ARGS("store:\n  map_bytes           ",
	    "  journal             yes\n", "  checkpoints         ",
	    "  checkpoint_failures 0\n"));
	ctl(&o, "admin-ly-liu", ARGS("--json", "status"));
	ok_has(&o, ARGS("\"node\":\"LY\"", "\"level\":\"city\"",
	    "\"journal\":true", "\"checkpoints\":",
	    "\"checkpoint_failures\":0"));
	ctl(&o, "no-such-client", ARGS("figures"));
	assert_int_equal(o.status, 4);
	/* a client of XA: the handshake is refused, said at once */
	ctl(&o, "op-xa-zhao", ARGS("--timeout", "2", "figures"));
	assert_int_equal(o.status, 3);
	assert_non_null(strstr(o.err, "refused"));
	/* a node that is not there: a time-out, never a hang */
	ctl(&o, "op-ly-wang", ARGS("--endpoint", "tcp://127.0.0.1:9",
	    "--timeout", "1", "figures"));
	assert_int_equal(o.status, 3);
	/* the per-user config file: bad line named */
	snprintf(conf, sizeof(conf), "%s/bad.conf", net.dir);
	f = fopen(conf, "w");
	fputs("[linkctl]\ntimeout = soon\n", f);
	fclose(f);
	ctl(&o, "op-ly-wang", ARGS("--config", conf, "figures"));
	assert_int_equal(o.status, 4);
	assert_non_null(strstr(o.err, "bad.conf:2"));
	out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_unicom_same_afternoon),
		cmocka_unit_test(t_unclear_ownership),
		cmocka_unit_test(t_dairy_farm),
		cmocka_unit_test(t_returned_rerouted),
		cmocka_unit_test(t_exit_codes),
	};

	return cmocka_run_group_tests_name("linkctl", tests, setup, teardown);
}
