/* replay_topo.c - the replay's federation (replay_topo.h). */
#include "replay_topo.h"
#include "keyfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const struct rtopo_node rtopo_nodes[RTOPO_NODES] = {
	{ "LY", "洛阳市110联动服务平台", { "laocheng", "xigong", "chanhe",
	    "jianxi", "luolong", "jili", "baimasi", NULL }, 640 },
	{ "XA", "新安县110联动服务平台", { "xinan", NULL }, 130 },
	{ "YS", "偃师市110联动服务平台", { "yanshi", NULL }, 130 },
	{ "MJ", "孟津县110联动服务平台", { "mengjin", NULL }, 100 },
};

static const char *const rtopo_area_names[][2] = {
	{ "laocheng", "老城区" }, { "xigong", "西工区" },
	{ "chanhe", "瀍河回族区" }, { "jianxi", "涧西区" },
	{ "luolong", "洛龙区" }, { "jili", "吉利区" },
	{ "baimasi", "白马寺镇" }, { "xinan", "新安县" },
	{ "yanshi", "偃师市" }, { "mengjin", "孟津县" },
};
#define RTOPO_N_AREAS (int)(sizeof(rtopo_area_names) / \
	sizeof(rtopo_area_names[0]))

const struct rtopo_unit rtopo_units[] = {
	{ "water", "洛阳市水务集团", 0 },
	{ "power", "洛阳供电公司", 0 },
	{ "zhujian", "洛阳市住房和城乡建设委员会", 0 },
	{ "gas", "洛阳新奥燃气公司", 0 },
	{ "heat", "洛阳热力公司", 0 },
	{ "cityguan", "洛阳市城市管理局", 0 },
	{ "traffic", "洛阳市公安局交警支队", 0 },
	{ "telecom", "中国电信洛阳分公司", 0 },
	{ "env", "洛阳市环境保护局", 0 },
	{ "xa.water", "新安县水利局", 1 },
	{ "xa.power", "新安县供电公司", 1 },
	{ "xa.zhujian", "新安县住建局", 1 },
	{ "ys.water", "偃师市水务局", 2 },
	{ "ys.power", "偃师市供电公司", 2 },
	{ "ys.zhujian", "偃师市住建局", 2 },
	{ "mj.water", "孟津县水利局", 3 },
	{ "mj.power", "孟津县供电公司", 3 },
	{ "mj.zhujian", "孟津县住建局", 3 },
};
const int rtopo_n_units = (int)(sizeof(rtopo_units) / sizeof(rtopo_units[0]));

/* Limits: hours and days (the replay's clock moves an hour at a time). */
#define LIM_FAST "urgency.1 = sign 2h, complete 8h\n" \
	"urgency.3 = sign 2h, complete 1d\n" \
	"urgency.5 = sign 4h, complete 3d\n"
#define LIM_SLOW "urgency.1 = sign 2h, complete 1d\n" \
	"urgency.3 = sign 4h, complete 3d\n" \
	"urgency.5 = sign 8h, complete 7d\n"

const struct rtopo_category rtopo_categories[] = {
	{ "water.cut", "停水", 170, "water", "water", LIM_FAST, 0 },
	{ "power.cut", "停电", 150, "power", "power", LIM_FAST, 0 },
	{ "manhole", "井盖破损缺失", 80, "zhujian", "zhujian", LIM_FAST, 0 },
	{ "road", "道路破损", 100, "zhujian", "zhujian", LIM_SLOW, 1 },
	{ "gas", "燃气故障", 60, "gas", NULL, LIM_FAST, 0 },
	{ "heating", "供暖不热", 60, "heat", "zhujian", LIM_SLOW, 1 },
	{ "noise", "噪音扰民", 90, "cityguan", "zhujian", LIM_SLOW, 1 },
	{ "sanitation", "环境卫生", 110, "cityguan", "zhujian", LIM_SLOW, 1 },
	{ "traffic.light", "交通信号故障", 60, "traffic", NULL, LIM_FAST, 0 },
	{ "telecom", "通信故障", 60, "telecom", NULL, LIM_SLOW, 1 },
	{ "pollution", "环境污染", 60, "env", NULL, LIM_SLOW, 1 },
	{ "power.waterplant", "水厂停电（停水停电应急）", 0, "power", "power",
	    LIM_FAST, 0 },
};
const int rtopo_n_categories = (int)(sizeof(rtopo_categories) /
    sizeof(rtopo_categories[0]));
const char *const rtopo_plan_category = "power.waterplant";

static const char *const rtopo_county_prefix[RTOPO_NODES] = { NULL, "xa",
	"ys", "mj" };

void
rtopo_limits(int slow, unsigned urgency, int64_t *sign_ms,
    int64_t *complete_ms)
{
	static const int64_t h = 3600000, d = 24 * 3600000;
	/* [slow][level 0: urgency 1, 1: 2-3, 2: 4-5]: LIM_FAST, LIM_SLOW */
	static const int64_t sign[2][3] = { { 2 * h, 2 * h, 4 * h },
		{ 2 * h, 4 * h, 8 * h } };
	static const int64_t done[2][3] = { { 8 * h, d, 3 * d },
		{ d, 3 * d, 7 * d } };
	int lv = urgency <= 1 ? 0 : urgency <= 3 ? 1 : 2;

	*sign_ms = sign[slow != 0][lv];
	*complete_ms = done[slow != 0][lv];
}

int
rtopo_client_port(int port_base, int node)
{
	return port_base + 10 * node + 1;
}

int
rtopo_peer_port(int port_base, int node)
{
	return port_base + 10 * node;
}

int
rtopo_unit(const char *id)
{
	for (int i = 0; i < rtopo_n_units; i++)
		if (strcmp(rtopo_units[i].id, id) == 0)
			return i;
	return -1;
}

/* The unit for category c in node n's areas: "water" or "xa.water". */
static void
rtopo_unit_for(const struct rtopo_category *c, int n, char *buf, size_t cap)
{
	if (n == 0 || c->county_unit == NULL)
		snprintf(buf, cap, "%s", c->city_unit);
	else
		snprintf(buf, cap, "%s.%s", rtopo_county_prefix[n],
		    c->county_unit);
}

/* Does unit u serve category c anywhere? */
static bool
rtopo_serves(int u, const struct rtopo_category *c)
{
	char id[64];

	for (int n = 0; n < RTOPO_NODES; n++) {
		rtopo_unit_for(c, n, id, sizeof(id));
		if (strcmp(id, rtopo_units[u].id) == 0)
			return true;
	}
	/* the plan's second unit */
	return strcmp(c->id, rtopo_plan_category) == 0 &&
	    strstr(rtopo_units[u].id, "water") != NULL;
}

static int
rtopo_key(const char *dir, const char *id, char *pub, struct ld_err *err)
{
	char path[600];
	struct ld_keypair kp;

	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, id);
	if (keyfile_read(path, &kp, err) == LD_OK) {
		memcpy(pub, kp.public_z85, LD_KEY_Z85 + 1);
		keyfile_wipe(&kp);
		return LD_OK;
	}
	return keyfile_generate(path, id, pub, err);
}

static void
rtopo_list(FILE *f, const char *key, const char *const *v)
{
	fprintf(f, "%s = ", key);
	for (int i = 0; v[i] != NULL; i++)
		fprintf(f, "%s%s", i ? ", " : "", v[i]);
	fputc('\n', f);
}

/* One topology file; xa_via: the port through which XA reaches LY's peer
 * endpoint (in XA's own copy), else 0. */
static int
rtopo_file(const char *path, const char *dir, int port_base, int xa_via,
    struct ld_err *err)
{
	FILE *f = fopen(path, "w");
	char pub[LD_KEY_Z85 + 1], u[64];
	int rc = LD_OK;

	if (f == NULL)
		return err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	fprintf(f, "# The replay's federation (written by liandong-replay; "
	    "docs/replay.md)\n\n[federation]\nname = 洛阳市110城市应急联动"
	    "服务平台（回放）\n\n");
	for (int i = 0; i < RTOPO_NODES && rc == LD_OK; i++) {
		const struct rtopo_node *n = &rtopo_nodes[i];
		int peer = rtopo_peer_port(port_base, i);

		if ((rc = rtopo_key(dir, n->id, pub, err)) != LD_OK)
			break;
		if (i == 0 && xa_via > 0)
			peer = xa_via;
		fprintf(f, "[node %s]\nname = %s\nlevel = %s\n", n->id,
		    n->name, i == 0 ? "city" : "county");
		if (i > 0)
			fprintf(f, "parent = LY\n");
		fprintf(f, "peer = tcp://127.0.0.1:%d\nclient = "
		    "tcp://127.0.0.1:%d\npublic_key = %s\nstatus = running\n",
		    peer, rtopo_client_port(port_base, i), pub);
		rtopo_list(f, "areas", n->areas);
		fputc('\n', f);
	}
	for (int i = 0; i < RTOPO_N_AREAS; i++)
		fprintf(f, "[area %s]\nname = %s\n\n", rtopo_area_names[i][0],
		    rtopo_area_names[i][1]);
	for (int i = 0; i < rtopo_n_units; i++) {
		const char *cats[32];
		int m = 0;

		for (int c = 0; c < rtopo_n_categories && m < 31; c++)
			if (rtopo_serves(i, &rtopo_categories[c]))
				cats[m++] = rtopo_categories[c].id;
		cats[m] = NULL;
		fprintf(f, "[unit %s]\nname = %s\nnode = %s\n", rtopo_units[i].id,
		    rtopo_units[i].name, rtopo_nodes[rtopo_units[i].node].id);
		rtopo_list(f, "categories", cats);
		fputc('\n', f);
	}
	for (int c = 0; c < rtopo_n_categories; c++) {
		const struct rtopo_category *k = &rtopo_categories[c];
		bool plan = strcmp(k->id, rtopo_plan_category) == 0;

		fprintf(f, "[category %s]\nname = %s\n%s\n", k->id, k->name,
		    k->limits);
		/* the city's unit everywhere; a county's own where it has
		 * one (an area rule wins over "*") */
		fprintf(f, "[rule %s]\ncategory = %s\nareas = *\nunits = %s%s\n\n",
		    k->id, k->id, k->city_unit, plan ? ", water" : "");
		for (int n = 1; n < RTOPO_NODES && k->county_unit != NULL; n++) {
			rtopo_unit_for(k, n, u, sizeof(u));
			fprintf(f, "[rule %s-%s]\ncategory = %s\n", k->id,
			    rtopo_county_prefix[n], k->id);
			rtopo_list(f, "areas", rtopo_nodes[n].areas);
			fprintf(f, "units = %s", u);
			if (plan)
				fprintf(f, ", %s.water", rtopo_county_prefix[n]);
			fprintf(f, "\n\n");
		}
	}
	fprintf(f, "[plan waterplant]\nname = 水厂停电停水应急预案\ncategory = "
	    "%s\nunits = power, water\nreport_gov = yes\nchannels = platform\n"
	    "sign = 2h\ncomplete = 8h\n\n", rtopo_plan_category);
	for (int i = 0; i < RTOPO_NODES && rc == LD_OK; i++) {
		char id[32];

		snprintf(id, sizeof(id), "op-%s", rtopo_nodes[i].id);
		for (char *p = id; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if ((rc = rtopo_key(dir, id, pub, err)) != LD_OK)
			break;
		fprintf(f, "[client %s]\nname = %s 接警员\nrole = operator\n"
		    "node = %s\npublic_key = %s\n\n", id, rtopo_nodes[i].name,
		    rtopo_nodes[i].id, pub);
	}
	if (rc == LD_OK && (rc = rtopo_key(dir, "admin-ly", pub, err)) ==
	    LD_OK)
		fprintf(f, "[client admin-ly]\nname = 市110联动办 系统管理员\n"
		    "role = admin\nnode = LY\npublic_key = %s\n\n", pub);
	for (int i = 0; i < rtopo_n_units && rc == LD_OK; i++) {
		char id[48];

		snprintf(id, sizeof(id), "unit-%s", rtopo_units[i].id);
		for (char *p = id; *p; p++)
			if (*p == '.')
				*p = '-';
		if ((rc = rtopo_key(dir, id, pub, err)) != LD_OK)
			break;
		fprintf(f, "[client %s]\nname = %s 联动终端\nrole = unit\nnode = "
		    "%s\nunit = %s\npublic_key = %s\n\n", id,
		    rtopo_units[i].name, rtopo_nodes[rtopo_units[i].node].id,
		    rtopo_units[i].id, pub);
	}
	if (fclose(f) != 0 && rc == LD_OK)
		rc = err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	return rc;
}

int
rtopo_write(const char *dir, int port_base, int relay_port,
    struct ld_err *err)
{
	char path[600];
	int rc;

	snprintf(path, sizeof(path), "%s/keys", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(err, LD_EIO, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/topology.ini", dir);
	if ((rc = rtopo_file(path, dir, port_base, 0, err)) != LD_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/topology-XA.ini", dir);
	return rtopo_file(path, dir, port_base, relay_port, err);
}
