/*
 * bench-store.c - how many durable events per second the store takes,
 * beside the raw limit of LMDB and of the disk, in one run.
 *
 *   make bench-store                      a readable table
 *   make bench-store BENCH_ARGS=--json    one JSON object per line
 *
 * For each batch size (1, 10, 100, 1000 events per store_commit, that is
 * per durable write transaction) it measures:
 *
 *   ours      store_commit() of realistic events: ticket life cycles
 *             (created, routed, dispatched, signed, progress, completed,
 *             reported, callback, closed) interleaved over a window of
 *             the most recent tickets, Chinese place and text, each event
 *             rewriting the ticket view, its index keys and the counters;
 *             durable through the store's journal (one flush per commit,
 *             docs/storage.md), its checkpoints' flushes counted in the
 *             round (store_flush at its end, timed);
 *   layout    the LMDB calls of the same round, made again by a twin
 *             store (fed from a copy of the generator, it must assign the
 *             same ids) and recorded there (every put, get, delete and
 *             cursor step of its write transactions, with their bytes;
 *             ours itself is never recorded), then played into a bare
 *             environment with MDB_NOSYNC, one transaction per commit:
 *             what these LMDB calls cost alone, without decoding,
 *             encoding, state machine, journal or flush
 *             (shared/bench_trace.h); the twin also times its calls, which
 *             splits ours's CPU per event into LMDB and the rest;
 *   raw       plain mdb_put of byte strings of the same sizes under the
 *             same keys (origin[8] | seq u64 BE), no indexes, in a second
 *             LMDB environment on the same filesystem with the same flags
 *             (default durable sync) and the same map size, one write
 *             transaction per batch;
 *
 * and the rate of 4 KiB write + fdatasync on the same filesystem (LMDB's
 * default commit costs two flushes).  Ours, the twin and layout, and raw
 * take turns in rounds so that a drift of the disk hits all alike; the
 * share of the commit time spent on the CPU (the rest is waiting for the
 * disk) is shown for ours and raw.
 * Ratios are ours / raw, measured side by side in this run: no absolute
 * figure is asserted.
 * Then the store is reopened and store_rebuild() checks that the views
 * equal the log.  Results and the machine: docs/performance.md.
 */
#include "bench.h"
#include "bench_trace.h"
#include "codec.h"
#include "err.h"
#include "event.h"
#include "ltime.h"
#include "store.h"
#include "ticket.h"
#include "views.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NODE "LY"
#define BENCH_NBATCH 4
#define BENCH_BATCH_MAX 1000
#define BENCH_WINDOW_DEFAULT 1000
#define BENCH_STEPS 9		/* events in one ticket's life */
#define BENCH_MAP_SIZE ((size_t)4 << 30)
#define BENCH_SYNC_SECONDS 2.0	/* in slices, one after each batch size */
#define BENCH_ROUNDS 20		/* ours and raw alternate this many times */
#define BENCH_EVENTS_MAX 100000000L
#define BENCH_WINDOW_MAX 10000000L

static const size_t bench_batches[BENCH_NBATCH] = { 1, 10, 100, 1000 };
/* Default events per batch size: about 2-5 s each on a VM disk that does
 * a few thousand fdatasyncs per second. */
static const long bench_default_events[BENCH_NBATCH] = {
	10000, 30000, 100000, 300000
};

struct bench_opts {
	bool json;
	const char *dir;	/* NULL: a fresh temp dir, removed at the end */
	long events;		/* per batch size; 0: the defaults above */
	long window;		/* open tickets the events are spread over */
	long only;		/* measure only this batch size (0: all) */
};

/* One open ticket of the window. */
struct bench_slot {
	char id[LD_TICKET_MAX + 1];	/* "" until the store assigned it */
	int step;		/* next event of its life; 0 = create */
	bool pending;		/* created in the open batch: id unknown yet */
	unsigned theme;		/* which sample category, unit and texts */
	unsigned urgency;
};

/* The workload generator: deterministic (fixed seed, simulated clock). */
struct bench_gen {
	struct bench_slot *slots;
	size_t window;
	uint64_t rng;
	int64_t clock_ms;	/* simulated time of the last event */
	uint64_t calls;		/* call ids issued */
};

/* What one measurement gives. */
struct bench_result {
	size_t batch;
	uint64_t events;	/* committed (ours: applied, not refused) */
	uint64_t refused;
	double seconds;		/* summed over the commits only */
	double cpu;		/* CPU time of this thread in those commits */
	double bytes;		/* encoded event bytes written */
	double lmdb;		/* recorded ours: inside its LMDB calls */
	uint64_t ops;		/* layout: LMDB operations played ... */
	uint64_t puts, gets, dels, csteps;	/* ... by kind */
};

/* A sample case: category, the unit it goes to and its texts (UTF-8). */
struct bench_theme {
	const char *category, *unit, *area, *rule;
	const char *place_fmt;	/* %u: a house number */
	const char *text, *progress, *result;
};

static const struct bench_theme bench_themes[] = {
	{ "water.leak", "water", "xigong", "category:water.leak",
	  "洛阳市西工区中州中路%u号院3号楼2单元",
	  "市民反映小区内自来水管道破裂，大量漏水已持续两个多小时，楼道和地下室"
	  "积水严重，老人小孩出行困难，请求尽快派人关阀维修，"
	  "并希望能提前通知停水时间。",
	  "维修人员已到达现场，正在关闭阀门并排查破损管段，预计两小时内修复，"
	  "已通知物业张贴停水公告，"
	  "并安排送水车为居民临时供水，保障居民基本生活用水。",
	  "破损管道已更换，供水已恢复正常，现场积水已清理完毕，"
	  "已提醒物业加强管网日常巡查，"
	  "维修费用由供水公司承担。" },
	{ "power.outage", "power", "jianxi", "category:power.outage",
	  "洛阳市涧西区南昌路%u号天誉小区东门",
	  "整栋楼从早上开始停电，没有接到任何停电通知，家中有卧床老人需要用电"
	  "设备，冰箱里的药品也需要冷藏，希望供电部门尽快查明原因，"
	  "并尽快恢复供电。",
	  "供电抢修班已到达，初步判断为变压器低压侧熔断器烧毁，正在更换，"
	  "同时检查同台区其他线路，"
	  "排除类似隐患，确保夜间用电安全。",
	  "熔断器已更换，全楼已恢复供电，已告知物业加强巡查，"
	  "并对居民用电安全进行了提醒，"
	  "已登记回访。" },
	{ "heating", "heating", "laocheng", "category:heating",
	  "洛阳市老城区西大街%u号附近九都小区",
	  "小区暖气片一直不热，室内温度只有十二度左右，已经多次联系物业没有解决，"
	  "家里有刚满月的婴儿，请供热公司上门检查，"
	  "并给个明确的答复时间。",
	  "供热公司技术人员已入户检测，发现单元主管道阀门故障，正在维修排气，"
	  "预计今天下午恢复正常供热，"
	  "已向住户说明情况，请住户注意室内保暖。",
	  "故障阀门已更换，管道已排气，室内温度回升到十九度以上，"
	  "市民对处理结果表示认可，"
	  "已登记回访。" },
	{ "road.damage", "roads", "luolong", "category:road.damage",
	  "洛阳市洛龙区开元大道与长兴街交叉口向东%u米",
	  "路面出现一个直径约一米的大坑，夜间没有警示标志，已有电动车在此摔倒，"
	  "存在很大安全隐患，请相关部门尽快设置围挡并修补，"
	  "避免再有人受伤。",
	  "养护队已设置围挡和警示灯，正在组织材料，计划今晚进行修补，"
	  "施工期间安排专人值守疏导交通，"
	  "确保安全，并在周边路口设置绕行提示。",
	  "坑槽已用沥青混凝土修补完毕，围挡已撤除，道路恢复通行，"
	  "已将该路段列入重点巡查范围，"
	  "定期检查。" },
	{ "garbage", "sanitation", "chanhe", "category:garbage",
	  "洛阳市瀍河区中州东路%u号菜市场南侧",
	  "菜市场旁边的垃圾已经堆放了三四天没人清运，天气炎热气味很大，蚊蝇"
	  "滋生，周边商户和居民意见很大，请环卫部门尽快处理，"
	  "并增加清运次数。",
	  "环卫所已派出清运车辆和人员，正在清理堆积垃圾并进行消杀，"
	  "预计两小时内清理完毕，"
	  "同时排查周边卫生死角，督促商户做好门前三包。",
	  "堆积垃圾已全部清运，现场已冲洗消杀，已增加该点位清运频次，"
	  "并安排专人每日巡查，"
	  "商户表示认可。" },
};
#define BENCH_NTHEMES (sizeof(bench_themes) / sizeof(bench_themes[0]))

static const char *const bench_callers[] = { "王先生", "李女士", "张师傅",
	"刘阿姨", "陈先生", "杨女士", "赵大爷", "黄女士" };
#define BENCH_NCALLERS (sizeof(bench_callers) / sizeof(bench_callers[0]))

/* ---- small helpers ----------------------------------------------------- */

/* Print a message and exit with status 1 (setup failures only). */
static void __attribute__((noreturn, format(printf, 1, 2)))
bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-store: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Seconds on the monotonic clock. */
static double
bench_now(void)
{
	return (double)bench_ns() * 1e-9;
}

/* ---- the workload ------------------------------------------------------ */

/* Fill *ev with the ticket.created of slot sl at time t (a field's
 * failure into err). */
static void
bench_ev_created(struct bench_gen *g, struct bench_slot *sl,
    struct ld_event *ev, int64_t t, struct ld_err *err)
{
	const struct bench_theme *th = &bench_themes[sl->theme];
	char buf[LD_PLACE_MAX + 1];

	event_init(ev, LD_EV_TICKET_CREATED, BENCH_NODE, t, "op:ly-wang", "");
	snprintf(buf, sizeof(buf), "C%u-%06llu", ltime_day(t),
	    (unsigned long long)++g->calls);
	bench_set_str(ev, LD_F_CALL, buf, err);
	bench_set_str(ev, LD_F_CALLER,
	    bench_callers[bench_rand(&g->rng) % BENCH_NCALLERS], err);
	snprintf(buf, sizeof(buf), "13%09llu",
	    (unsigned long long)(bench_rand(&g->rng) % 1000000000ULL));
	bench_set_str(ev, LD_F_PHONE, buf, err);
	snprintf(buf, sizeof(buf), th->place_fmt,
	    (unsigned)(1 + bench_rand(&g->rng) % 300));
	bench_set_str(ev, LD_F_PLACE, buf, err);
	bench_set_str(ev, LD_F_AREA, th->area, err);
	bench_set_str(ev, LD_F_TEXT, th->text, err);
	bench_set_str(ev, LD_F_CATEGORY, th->category, err);
	bench_set_uint(ev, LD_F_URGENCY, sl->urgency, err);
}

/* Fill *ev with the event at sl->step (> 0) of the slot's ticket (a
 * field's failure into err). */
static void
bench_ev_step(struct bench_gen *g, struct bench_slot *sl, struct ld_event *ev,
    int64_t t, struct ld_err *err)
{
	const struct bench_theme *th = &bench_themes[sl->theme];
	char unit_actor[LD_ACTOR_MAX + 1];

	snprintf(unit_actor, sizeof(unit_actor), "unit:%s", th->unit);
	switch (sl->step) {
	case 1:
		event_init(ev, LD_EV_ROUTED, BENCH_NODE, t, "system", sl->id);
		bench_set_str(ev, LD_F_RULE, th->rule, err);
		bench_set_str(ev, LD_F_CATEGORY, th->category, err);
		bench_set_str(ev, LD_F_AREA, th->area, err);
		if (event_add_unit(ev, th->unit) != 0)
			bench_die("units: cannot add %s", th->unit);
		break;
	case 2:
		event_init(ev, LD_EV_DISPATCHED, BENCH_NODE, t, "op:ly-wang",
		    sl->id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_UNIT, th->unit, err);
		bench_set_time(ev, LD_F_DUE_SIGN, t + 3600 * 1000LL, err);
		bench_set_time(ev, LD_F_DUE_DONE,
		    t + (int64_t)sl->urgency * 12 * 3600 * 1000LL, err);
		bench_set_str(ev, LD_F_NOTE, "请于一小时内签收并尽快安排人员到场处置，"
		    "注意现场安全，处置过程和结果请及时反馈市联动中心，"
		    "超时未签收将自动催办。", err);
		break;
	case 3:
		event_init(ev, LD_EV_SIGNED, BENCH_NODE, t, unit_actor, sl->id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_NOTE, "已签收，正在安排值班人员和抢修车辆"
		    "前往现场，预计三十分钟内到达，到场后及时反馈情况，"
		    "如需其他部门配合将另行报告，请中心协调。", err);
		break;
	case 4:
		event_init(ev, LD_EV_PROGRESS, BENCH_NODE, t, unit_actor, sl->id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_NOTE, th->progress, err);
		break;
	case 5:
		event_init(ev, LD_EV_COMPLETED, BENCH_NODE, t, unit_actor,
		    sl->id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_RESULT, th->result, err);
		break;
	case 6:
		event_init(ev, LD_EV_REPORTED, BENCH_NODE, t, "op:ly-li", sl->id);
		bench_set_str(ev, LD_F_NOTE, "已电话告知市民处理结果和后续注意事项，"
		    "市民表示知晓，并留下了方便回访的时间段，"
		    "告知如有反复可再次拨打热线，或通过网站留言反映。", err);
		bench_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE, err);
		break;
	case 7:
		event_init(ev, LD_EV_CALLBACK, BENCH_NODE, t, "op:ly-li", sl->id);
		bench_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE, err);
		bench_set_uint(ev, LD_F_SATISFACTION,
		    bench_rand(&g->rng) % 10 < 8 ? LD_SAT_SATISFIED :
		    bench_rand(&g->rng) % 2 ? LD_SAT_BASIC : LD_SAT_UNSATISFIED,
		    err);
		bench_set_str(ev, LD_F_NOTE, "回访市民，反映的问题已经解决，"
		    "对处理速度和工作人员的态度表示满意，没有其他诉求，"
		    "建议相关单位继续保持。", err);
		break;
	default:
		event_init(ev, LD_EV_CLOSED, BENCH_NODE, t, "op:ly-li", sl->id);
		bench_set_str(ev, LD_F_NOTE, "承办单位处置完毕，市民回访满意，"
		    "经审核符合办结条件，予以办结归档，"
		    "相关材料已同步至案卷系统，"
		    "纳入本月考核统计。", err);
		break;
	}
}

/* Start the generator over `window` open tickets (all still to create). */
static void
bench_gen_init(struct bench_gen *g, size_t window)
{
	memset(g, 0, sizeof(*g));
	g->slots = calloc(window, sizeof(*g->slots));
	if (g->slots == NULL)
		bench_die("out of memory (window of %zu tickets)", window);
	g->window = window;
	g->rng = 0x9E3779B97F4A7C15ULL;
	g->clock_ms = ltime_parse("2011-08-31 08:00");
	if (g->clock_ms < 0)
		bench_die("ltime_parse failed");
}

/* A random slot of the window whose ticket id is known. */
static size_t
bench_gen_pick(struct bench_gen *g)
{
	size_t i = (size_t)(bench_rand(&g->rng) % g->window);

	for (size_t n = 0; n < g->window; n++, i = (i + 1) % g->window)
		if (!g->slots[i].pending)
			return i;
	bench_die("every ticket of the window is being created (window "
	    "smaller than the batch)");
}

/* The next event of the workload into *ev; *slot_out says whose. */
static void
bench_gen_next(struct bench_gen *g, struct ld_event *ev, size_t *slot_out)
{
	size_t i = bench_gen_pick(g);
	struct bench_slot *sl = &g->slots[i];
	struct ld_err err = { 0 };

	g->clock_ms += 500 + (int64_t)(bench_rand(&g->rng) % 1000);
	if (sl->step == 0) {
		sl->theme = (unsigned)(bench_rand(&g->rng) % BENCH_NTHEMES);
		sl->urgency = 1 + (unsigned)(bench_rand(&g->rng) %
		    LD_URGENCY_MAX);
		bench_ev_created(g, sl, ev, g->clock_ms, &err);
		sl->pending = true;
	} else {
		bench_ev_step(g, sl, ev, g->clock_ms, &err);
	}
	if (err.code != 0)
		bench_die("%s", err.msg);
	sl->step = (sl->step + 1) % BENCH_STEPS;
	*slot_out = i;
}

/* After a commit: learn assigned ids; forget tickets an event was refused
 * for (their slot starts a new ticket). */
static void
bench_gen_settle(struct bench_gen *g, const struct ld_store_item *items,
    const size_t *slot_of, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bench_slot *sl = &g->slots[slot_of[i]];

		if (items[i].rc != 0) {
			sl->step = 0;
			sl->pending = false;
			sl->id[0] = '\0';
			continue;
		}
		if (items[i].ev->kind == LD_EV_TICKET_CREATED) {
			snprintf(sl->id, sizeof(sl->id), "%s", items[i].ev->ticket);
			sl->pending = false;
		}
	}
}

/* ---- our store --------------------------------------------------------- */

/* Open (or reopen) the store under dir. */
static struct ld_store *
bench_store_open(const char *dir)
{
	struct ld_store_opts o = { .dir = dir, .node = BENCH_NODE,
		.map_size = BENCH_MAP_SIZE, .map_max = 0, .no_sync = false };
	struct ld_store *s;
	struct ld_err err = { 0 };

	if (store_open(&s, &o, &err) != 0)
		bench_die("store_open %s: %s", dir, err.msg);
	return s;
}

/* Report a refused event (the first few only: the load should be valid). */
static void
bench_report_refusal(const struct ld_store_item *it, uint64_t *refused)
{
	if (++*refused <= 5)
		fprintf(stderr, "bench-store: refused %s of %s: %s: %s\n",
		    event_kind_name(it->ev->kind), it->ev->ticket,
		    err_name(it->rc), it->err.msg);
}

/* Run nevents more through store_commit in batches of `batch`, adding to
 * *r; record each applied event's encoded size in lens[] (for the raw
 * run, if lens) and return how many there are.  With the recording on
 * (the twin), the flush at the end is neither timed nor recorded. */
static size_t
bench_run_ours(struct ld_store *s, struct bench_gen *g, size_t batch,
    long nevents, uint32_t *lens, struct bench_result *r)
{
	struct ld_event *evs = calloc(batch, sizeof(*evs));
	struct ld_store_item *items = calloc(batch, sizeof(*items));
	size_t *slot_of = calloc(batch, sizeof(*slot_of));
	static uint8_t ebuf[LD_FRAME_MAX];
	struct ld_err err = { 0 };
	long done = 0;
	size_t m = 0;
	bool twin = lens == NULL;

	if (evs == NULL || items == NULL || slot_of == NULL)
		bench_die("out of memory");
	while (done < nevents) {
		for (size_t i = 0; i < batch; i++) {
			bench_gen_next(g, &evs[i], &slot_of[i]);
			items[i].ev = &evs[i];
		}
		double t0 = bench_now(), c0 = bench_thread_cpu();
		int rc = store_commit(s, items, batch, g->clock_ms + 1000, &err);
		r->cpu += bench_thread_cpu() - c0;
		r->seconds += bench_now() - t0;
		if (rc != 0)
			bench_die("store_commit: %s: %s", err_name(rc), err.msg);
		for (size_t i = 0; i < batch; i++) {
			if (items[i].rc != 0) {
				/* the twin's are ours (checked after its
				 * round): said once */
				if (!twin)
					bench_report_refusal(&items[i],
					    &r->refused);
				continue;
			}
			r->events++;
			if (twin)
				continue;
			int len = codec_event_encode(&evs[i], ebuf, sizeof(ebuf),
			    &err);
			if (len < 0)
				bench_die("codec_event_encode: %s", err.msg);
			lens[m++] = (uint32_t)len;
			r->bytes += len;
		}
		bench_gen_settle(g, items, slot_of, batch);
		done += (long)batch;
	}
	/* the checkpoint's flush belongs to this round, not to raw's next */
	btrace_stop();
	double t0 = bench_now(), c0 = bench_thread_cpu();
	if (store_flush(s, &err) != 0)
		bench_die("store_flush: %s", err.msg);
	if (!twin) {
		r->cpu += bench_thread_cpu() - c0;
		r->seconds += bench_now() - t0;
	}
	free(evs);
	free(items);
	free(slot_of);
	return m;
}

/* The same round again through the twin store, its LMDB calls recorded
 * for the layout: from a copy of the generator as it was before ours's
 * round, which must come out where ours's came out (the twin assigns the
 * same ids).  Adds to *r, with its time inside LMDB in r->lmdb. */
static void
bench_run_twin(struct ld_store *twin, const struct bench_gen *before,
    const struct bench_gen *after, size_t batch, long nevents,
    struct bench_result *r)
{
	struct bench_gen g = *before;

	g.slots = malloc(before->window * sizeof(*g.slots));
	if (g.slots == NULL)
		bench_die("out of memory");
	memcpy(g.slots, before->slots, before->window * sizeof(*g.slots));
	btrace_start();
	bench_run_ours(twin, &g, batch, nevents, NULL, r);
	r->lmdb += btrace_lmdb_seconds();
	if (g.rng != after->rng || g.clock_ms != after->clock_ms ||
	    g.calls != after->calls || memcmp(g.slots, after->slots,
	    g.window * sizeof(*g.slots)) != 0)
		bench_die("the twin store did not do what ours did (other "
		    "ticket ids or refusals): the layout would not be ours");
	free(g.slots);
}

/* ---- raw LMDB ---------------------------------------------------------- */

struct bench_raw {
	MDB_env *env;
	MDB_dbi dbi;
	uint64_t seq;		/* last key written */
};

/* Open a bare LMDB environment with the store's flags and map size. */
static void
bench_raw_open(struct bench_raw *raw, const char *dir)
{
	MDB_txn *txn;
	int rc;

	memset(raw, 0, sizeof(*raw));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("%s: %s", dir, strerror(errno));
	rc = mdb_env_create(&raw->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(raw->env, 16);
	if (rc == 0)
		rc = mdb_env_set_mapsize(raw->env, BENCH_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_open(raw->env, dir, MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(raw->env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, "events", MDB_CREATE, &raw->dbi);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	if (rc != 0)
		bench_die("raw LMDB %s: %s", dir, mdb_strerror(rc));
}

/* Open the environment the store's LMDB operations are played into: the
 * store's flags and map size, room for all its databases, and MDB_NOSYNC:
 * nothing is flushed, so what it measures is a bound no way of making
 * the commits durable could beat. */
static MDB_env *
bench_layout_open(const char *dir)
{
	MDB_env *env;
	int rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("%s: %s", dir, strerror(errno));
	rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 64);
	if (rc == 0)
		rc = mdb_env_set_mapsize(env, BENCH_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600);
	if (rc != 0)
		bench_die("layout LMDB %s: %s", dir, mdb_strerror(rc));
	return env;
}

/* Play what the last round of ours did to LMDB into env; m events. */
static void
bench_run_layout(MDB_env *env, size_t batch, size_t m,
    struct bench_result *r)
{
	struct btrace_result tr = { 0 };
	struct ld_err err = { 0 };

	if (btrace_replay(env, &tr, &err) != 0)
		bench_die("layout (batch %zu): %s", batch, err.msg);
	r->seconds += tr.seconds;
	r->cpu += tr.cpu;
	r->ops += tr.ops;
	r->puts += tr.puts;
	r->gets += tr.gets;
	r->dels += tr.dels;
	r->csteps += tr.cursor_steps;
	r->events += m;
}

/* Put n values of sizes lens[] under the next keys origin|seq, batch per
 * txn, adding to *r. */
static void
bench_run_raw(struct bench_raw *raw, size_t batch, const uint32_t *lens,
    uint64_t n, struct bench_result *r)
{
	static uint8_t val[LD_FRAME_MAX];
	uint8_t key[LD_NODE_MAX + 8] = BENCH_NODE;
	uint64_t i = 0;

	for (size_t j = 0; j < sizeof(val); j++)
		val[j] = (uint8_t)(0x80 + j * 7);
	while (i < n) {
		MDB_txn *txn;
		uint64_t end = i + batch < n ? i + batch : n;
		double t0 = bench_now(), c0 = bench_thread_cpu();
		int rc = mdb_txn_begin(raw->env, NULL, 0, &txn);

		for (; rc == 0 && i < end; i++) {
			MDB_val k = { sizeof(key), key }, v = { lens[i], val };

			views_put_u64(key + LD_NODE_MAX, ++raw->seq);
			rc = mdb_put(txn, raw->dbi, &k, &v, 0);
			r->bytes += lens[i];
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		r->cpu += bench_thread_cpu() - c0;
		r->seconds += bench_now() - t0;
		if (rc != 0)
			bench_die("raw LMDB put/commit: %s", mdb_strerror(rc));
	}
	r->events += n;
}

/* Bytes of the raw environment's pages in use. */
static size_t
bench_raw_used(struct bench_raw *raw)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(raw->env, &info) != 0 || mdb_env_stat(raw->env, &st))
		return 0;
	return (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}

/* ---- the disk ---------------------------------------------------------- */

/* 4 KiB pwrite + fdatasync in a loop for ~seconds; adds the syncs done
 * and the time taken to *n_out and *t_out. */
static void
bench_fdatasync_slice(const char *dir, double seconds, long *n_out,
    double *t_out)
{
	char path[PATH_MAX];
	static uint8_t block[4096];
	struct ld_err err;
	long n = 0;
	int fd;

	if (bench_path(path, sizeof(path), dir, "fdatasync.dat", &err) != 0)
		bench_die("%s", err.msg);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		bench_die("%s: %s", path, strerror(errno));
	memset(block, 0x5a, sizeof(block));
	/* allocate the block first, so the loop measures overwrites, as
	 * LMDB's meta page writes are */
	if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) ||
	    fsync(fd) != 0)
		bench_die("%s: %s", path, strerror(errno));
	double t0 = bench_now(), t;
	do {
		block[0] = (uint8_t)n;
		if (pwrite(fd, block, sizeof(block), 0) !=
		    (ssize_t)sizeof(block) || fdatasync(fd) != 0)
			bench_die("%s: %s", path, strerror(errno));
		n++;
		t = bench_now() - t0;
	} while (t < seconds);
	close(fd);
	unlink(path);
	*n_out += n;
	*t_out += t;
}

/* ---- writes per event, from the pure view functions -------------------- */

struct bench_profile {
	double index_keys;	/* index keys put or deleted per event */
	double counters;	/* counter records rewritten per event */
	bool ok;
};

/* Count keys in a not in b. */
static size_t
bench_keys_missing(const struct ld_ikey *a, size_t na, const struct ld_ikey *b,
    size_t nb)
{
	size_t miss = 0;

	for (size_t i = 0; i < na; i++) {
		size_t j;
		for (j = 0; j < nb; j++)
			if (a[i].ix == b[j].ix && a[i].len == b[j].len &&
			    memcmp(a[i].k, b[j].k, a[i].len) == 0)
				break;
		miss += j == nb;
	}
	return miss;
}

/* Walk one ticket life through ticket_apply() and the view functions to
 * count what each event writes besides the log (index keys, counters). */
static void
bench_profile_life(struct bench_profile *p)
{
	static struct ld_ticket before, after;
	static struct ld_ikey ko[LD_IKEYS_MAX], kn[LD_IKEYS_MAX];
	static struct ld_event ev;
	struct bench_gen g;
	size_t slot;
	struct ld_err err = { 0 };
	double keys = 0, counters = 0;

	memset(p, 0, sizeof(*p));
	memset(&after, 0, sizeof(after));
	bench_gen_init(&g, 1);
	for (int step = 0; step < BENCH_STEPS; step++) {
		int32_t delta[LD_C__COUNT] = { 0 };

		bench_gen_next(&g, &ev, &slot);
		if (step == 0) {
			snprintf(ev.ticket, sizeof(ev.ticket), "%s-2011-000001",
			    BENCH_NODE);
			snprintf(g.slots[0].id, sizeof(g.slots[0].id), "%s",
			    ev.ticket);
			g.slots[0].pending = false;
		}
		ev.seq = (uint64_t)step + 1;
		before = after;
		if (ticket_apply(&after, &ev, g.clock_ms + 1000, &err) != 0) {
			fprintf(stderr, "bench-store: profile: %s refused: %s\n",
			    event_kind_name(ev.kind), err.msg);
			free(g.slots);
			return;
		}
		size_t no = views_index_keys(&before, ko, LD_IKEYS_MAX);
		size_t nn = views_index_keys(&after, kn, LD_IKEYS_MAX);
		keys += (double)(bench_keys_missing(ko, no, kn, nn) +
		    bench_keys_missing(kn, nn, ko, no));
		views_counter_deltas(&ev, &before, &after, delta);
		for (int c = 0; c < LD_C__COUNT; c++)
			counters += delta[c] != 0;
	}
	free(g.slots);
	p->index_keys = keys / BENCH_STEPS;
	p->counters = counters / BENCH_STEPS;
	p->ok = true;
}

/* ---- output ------------------------------------------------------------ */


/* Events per second of a result. */
static double
bench_rate(const struct bench_result *r)
{
	return r->seconds > 0 ? (double)r->events / r->seconds : 0;
}

/* Share of a result's commit time spent on the CPU. */
static double
bench_cpu_share(const struct bench_result *r)
{
	return r->seconds > 0 ? r->cpu / r->seconds : 0;
}

/* The target for a batch size: minimum ratio (0: none), stretch. */
static double
bench_target(size_t batch, double *stretch)
{
	*stretch = 0;
	if (batch == 1)
		return 0.80;
	if (batch == 1000) {
		*stretch = 0.80;
		return 0.50;
	}
	return 0;
}

/* Everything measured, for the two printers. */
struct bench_report {
	struct bench_machine m;
	struct bench_result ours[BENCH_NBATCH], raw[BENCH_NBATCH];
	struct bench_result rec[BENCH_NBATCH];	/* the recorded twin of ours */
	struct bench_result layout[BENCH_NBATCH];
	double syncs;		/* fdatasync per second */
	double avg_bytes;
	struct bench_profile prof;
	size_t window;
	uint64_t events, refused;
	double used_per_m, raw_used_per_m;
	int rebuild_rc;
	char rebuild_msg[LD_ERR_MSG_MAX];
	double rebuild_s;
};

/* CPU microseconds per event of a result. */
static double
bench_cpu_us(const struct bench_result *r)
{
	return r->events > 0 ? r->cpu * 1e6 / (double)r->events : 0;
}

/* Microseconds per event ours spent inside LMDB's calls and commits
 * (timed in the recorded rounds), 0 if none were recorded. */
static double
bench_lmdb_us(const struct bench_result *rec)
{
	return rec->events > 0 ? rec->lmdb * 1e6 / (double)rec->events : 0;
}

/* Microseconds of CPU per event ours spends outside LMDB: its CPU per
 * event (unrecorded rounds) less its time inside LMDB (recorded rounds);
 * 0 if unknown. */
static double
bench_rest_us(const struct bench_result *ours, const struct bench_result *rec)
{
	double rest = bench_cpu_us(ours) - bench_lmdb_us(rec);

	return rec->events > 0 && rest > 0 ? rest : 0;
}

/* The rate the rest alone allows, if LMDB cost nothing (events/s, 0 if
 * unknown). */
static double
bench_rest_bound(const struct bench_result *ours, const struct bench_result *rec)
{
	double rest = bench_rest_us(ours, rec);

	return rest > 0 ? 1e6 / rest : 0;
}

/* The second table: what the layout alone costs LMDB, and what the rest
 * of ours costs the CPU. */
static void
bench_print_layout(const struct bench_report *rep)
{
	const struct bench_result *f = NULL;

	for (int i = 0; i < BENCH_NBATCH; i++)	/* the largest batch */
		if (rep->layout[i].events > 0)
			f = &rep->layout[i];
	if (f == NULL)
		return;
	double ev = (double)f->events;
	printf("\nlayout: ours's own LMDB calls (at batch %zu, per event: "
	    "%.2f puts, %.2f gets, %.2f deletes,\n%.2f cursor steps; raw: 1 "
	    "put), recorded on a twin store fed the same events and played\n"
	    "again alone into a bare environment, not even flushed:\n",
	    f->batch,
	    (double)f->puts / ev, (double)f->gets / ev, (double)f->dels / ev,
	    (double)f->csteps / ev);
	printf("%6s %6s %11s %10s %9s %9s %9s %8s %10s\n", "batch", "ops/ev",
	    "layout ev/s", "layout/raw", "layout us", "ours us", "LMDB us",
	    "rest us", "rest-bound");
	for (int i = 0; i < BENCH_NBATCH; i++) {
		const struct bench_result *o = &rep->ours[i], *l = &rep->layout[i];
		const struct bench_result *rc = &rep->rec[i];
		double w = bench_rate(&rep->raw[i]);

		if (l->events == 0)
			continue;
		printf("%6zu %6.2f %11.0f %10.2f %9.2f %9.2f %9.2f %8.2f %10.2f\n",
		    bench_batches[i], (double)l->ops / (double)l->events,
		    bench_rate(l), w > 0 ? bench_rate(l) / w : 0,
		    bench_cpu_us(l), bench_cpu_us(o), bench_lmdb_us(rc),
		    bench_rest_us(o, rc), w > 0 ? bench_rest_bound(o, rc) / w : 0);
	}
	printf("(us: per event.  layout us: the layout's CPU; ours us: ours's "
	    "CPU; LMDB us: the time\n inside the LMDB calls and commits of the "
	    "same events (on the twin, each call timed);\n rest = ours - "
	    "LMDB: decoding, encoding, state machine, journal; rest-bound: "
	    "the\n rate the rest alone allows if LMDB cost nothing, over raw "
	    "LMDB's.  ours/raw stays\n below both layout/raw and "
	    "rest-bound)\n");
}

/* The readable table. */
static void
bench_print_table(const struct bench_report *rep)
{
	char mline[1024];

	bench_machine_line(&rep->m, false, mline, sizeof(mline));
	printf("liandong store benchmark (durable: one write transaction per "
	    "batch; ours: journal + checkpoints, raw: LMDB's own sync)\n");
	printf("machine:  %s\n", mline);
	printf("workload: ticket life cycles (%d events each) over the %zu most "
	    "recent tickets;\n          avg encoded event %.0f bytes",
	    BENCH_STEPS, rep->window, rep->avg_bytes);
	if (rep->prof.ok)
		printf("; per event: 1 view + %.2f index keys + %.2f counters "
		    "(+ log, apply order)", rep->prof.index_keys,
		    rep->prof.counters);
	printf("\n\n");
	printf("%6s %8s %12s %14s %9s %9s %9s  %s\n", "batch", "events",
	    "ours ev/s", "raw LMDB ev/s", "ours/raw", "ours CPU", "raw CPU",
	    "target");
	for (int i = 0; i < BENCH_NBATCH; i++) {
		double o = bench_rate(&rep->ours[i]), w = bench_rate(&rep->raw[i]);
		double stretch, tgt = bench_target(bench_batches[i], &stretch);
		double ratio = w > 0 ? o / w : 0;
		char tbuf[64] = "-";

		if (rep->ours[i].batch == 0)
			continue;	/* not measured (--batch) */

		if (tgt > 0 && stretch > 0)
			snprintf(tbuf, sizeof(tbuf), ">= %.2f (stretch %.2f): %s",
			    tgt, stretch, ratio >= stretch ? "met, stretch too" :
			    ratio >= tgt ? "met" : "NOT met");
		else if (tgt > 0)
			snprintf(tbuf, sizeof(tbuf), ">= %.2f: %s", tgt,
			    ratio >= tgt ? "met" : "NOT met");
		printf("%6zu %8llu %12.0f %14.0f %9.2f %8.0f%% %8.0f%%  %s\n",
		    bench_batches[i], (unsigned long long)rep->ours[i].events,
		    o, w, ratio, 100 * bench_cpu_share(&rep->ours[i]),
		    100 * bench_cpu_share(&rep->raw[i]), tbuf);
	}
	printf("(CPU: share of the commit time this thread was on a CPU; the "
	    "rest is waiting for the disk)\n");
	bench_print_layout(rep);
	printf("\nfdatasync (4 KiB overwrite):  %.0f /s", rep->syncs);
	if (rep->syncs > 0 && rep->raw[0].batch != 0)
		printf("; raw LMDB batch 1 makes %.2f commits per fdatasync "
		    "(LMDB: 2 flushes per commit)", bench_rate(&rep->raw[0]) /
		    rep->syncs);
	printf("\n");
	printf("database size per million events:  ours %.0f MiB, raw LMDB "
	    "%.0f MiB\n", rep->used_per_m / 1048576.0,
	    rep->raw_used_per_m / 1048576.0);
	printf("refused events: %llu of %llu\n",
	    (unsigned long long)rep->refused, (unsigned long long)rep->events);
	if (rep->rebuild_rc == 0)
		printf("rebuild check: ok (views equal the log), %.1f s\n",
		    rep->rebuild_s);
	else
		printf("rebuild check: FAILED: %s: %s\n",
		    err_name(rep->rebuild_rc), rep->rebuild_msg);
}

/* The JSON line of figure "<figure>_batch_<batch>". */
static void
bench_json_batch(const char *figure, size_t batch, double value,
    const char *unit, double baseline)
{
	char fig[64];

	snprintf(fig, sizeof(fig), "%s_batch_%zu", figure, batch);
	bench_json_num("store", fig, value, unit, baseline);
}

/* One JSON object per line. */
static void
bench_print_json(const struct bench_report *rep)
{
	char mline[1024];

	bench_machine_line(&rep->m, false, mline, sizeof(mline));
	bench_json_text("store", "machine", mline);
	for (int i = 0; i < BENCH_NBATCH; i++) {
		const struct bench_result *o = &rep->ours[i], *w = &rep->raw[i];
		size_t b = bench_batches[i];

		if (o->batch == 0)
			continue;	/* not measured (--batch) */
		bench_json_batch("events_per_s", b, bench_rate(o), "events/s",
		    bench_rate(w));
		bench_json_batch("layout_events_per_s", b,
		    bench_rate(&rep->layout[i]), "events/s", bench_rate(w));
		bench_json_batch("rest_bound_events_per_s", b,
		    bench_rest_bound(o, &rep->rec[i]), "events/s", bench_rate(w));
		bench_json_batch("lmdb_in_ours_us_per_event", b,
		    bench_lmdb_us(&rep->rec[i]), "us", bench_cpu_us(o));
		bench_json_batch("layout_cpu_us_per_event", b,
		    bench_cpu_us(&rep->layout[i]), "us", bench_cpu_us(o));
		bench_json_batch("raw_lmdb_events_per_s", b, bench_rate(w),
		    "events/s", i == 0 ? rep->syncs : 0);
		bench_json_batch("cpu_share", b, bench_cpu_share(o), "share",
		    bench_cpu_share(w));
	}
	for (int i = 0; i < BENCH_NBATCH; i++)
		if (rep->layout[i].events > 0) {
			bench_json_num("store", "lmdb_ops_per_event",
			    (double)rep->layout[i].ops /
			    (double)rep->layout[i].events, "operations", 1);
			break;
		}
	bench_json_num("store", "fdatasync_per_s", rep->syncs, "syncs/s", 0);
	bench_json_num("store", "avg_event_bytes", rep->avg_bytes, "bytes", 0);
	if (rep->prof.ok) {
		bench_json_num("store", "index_keys_per_event", rep->prof.index_keys,
		    "keys", 0);
		bench_json_num("store", "counters_per_event", rep->prof.counters,
		    "records", 0);
	}
	bench_json_num("store", "db_bytes_per_million_events", rep->used_per_m, "bytes",
	    rep->raw_used_per_m);
	bench_json_num("store", "refused_events", (double)rep->refused, "events", 0);
	bench_json_text("store", "rebuild_check", rep->rebuild_rc == 0 ? "ok" :
	    rep->rebuild_msg);
}

/* ---- setup and main ---------------------------------------------------- */

/* Usage on stream f. */
static void
bench_usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-store [--json] [--dir DIR] [--events N] [--window N] "
	    "[--batch B]\n"
	    "  Durable events/s of the store beside raw LMDB, batch sizes 1, 10, "
	    "100, 1000.\n"
	    "  --json      one JSON object per line instead of the table\n"
	    "  --dir DIR   work in DIR (created if missing, must not hold a "
	    "previous run;\n"
	    "              kept afterwards); default: a temp dir under "
	    "$TMPDIR or /tmp, removed\n"
	    "  --events N  events per batch size (default %ld, %ld, %ld, %ld)\n"
	    "  --window N  open tickets the events are spread over (default "
	    "%d, at least %d)\n"
	    "  --batch B   measure only batch size B (1, 10, 100 or 1000), "
	    "e.g. to profile\n", bench_default_events[0],
	    bench_default_events[1], bench_default_events[2],
	    bench_default_events[3], BENCH_WINDOW_DEFAULT, BENCH_BATCH_MAX);
}

/* Is b one of the batch sizes? */
static bool
bench_is_batch(long b)
{
	for (int i = 0; i < BENCH_NBATCH; i++)
		if ((size_t)b == bench_batches[i])
			return true;
	return false;
}

/* Parse the command line into *o (exit 2 on a bad one, 0 on --help). */
static void
bench_parse_args(int argc, char **argv, struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->window = BENCH_WINDOW_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			bench_usage(stdout);
			exit(0);
		} else if (strcmp(a, "--dir") == 0 || strcmp(a, "--events") == 0 ||
		    strcmp(a, "--window") == 0 || strcmp(a, "--batch") == 0) {
			if (!has_val) {
				fprintf(stderr, "bench-store: %s needs a value\n",
				    a);
				exit(2);
			}
			const char *v = argv[++i];
			struct ld_err err;
			int rc = 0;

			if (strcmp(a, "--dir") == 0) {
				if (v[0] == '\0') {
					fprintf(stderr, "bench-store: --dir: "
					    "empty path\n");
					exit(2);
				}
				o->dir = v;
			} else if (strcmp(a, "--events") == 0) {
				rc = bench_parse_long(a, v, 1, BENCH_EVENTS_MAX,
				    &o->events, &err);
			} else if (strcmp(a, "--window") == 0) {
				rc = bench_parse_long(a, v, BENCH_BATCH_MAX,
				    BENCH_WINDOW_MAX, &o->window, &err);
			} else {
				rc = bench_parse_long(a, v, 1, BENCH_BATCH_MAX,
				    &o->only, &err);
			}
			if (rc != 0) {
				fprintf(stderr, "bench-store: %s\n", err.msg);
				exit(2);
			}
			if (strcmp(a, "--batch") == 0 &&
			    !bench_is_batch(o->only)) {
				fprintf(stderr, "bench-store: --batch: %ld is "
				    "not one of 1, 10, 100, 1000\n", o->only);
				exit(2);
			}
		} else {
			fprintf(stderr, "bench-store: unknown argument '%s'\n", a);
			bench_usage(stderr);
			exit(2);
		}
	}
}

/* Make the work dir: a fresh temp dir, or the given one (which must not
 * hold a previous run).  Returns true if it is ours to remove. */
static bool
bench_make_dir(const struct bench_opts *o, char *dir, size_t cap)
{
	char sub[PATH_MAX];
	struct ld_err err;
	struct stat st;

	if (o->dir == NULL) {
		if (bench_workdir("liandong-bench", dir, cap, &err) != 0)
			bench_die("%s", err.msg);
		return true;
	}
	if (strlen(o->dir) > PATH_MAX - 64)
		bench_die("--dir: path too long");
	snprintf(dir, cap, "%s", o->dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("--dir %s: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		bench_die("--dir %s: not a directory", dir);
	static const char *const subs[] = { "store", "twin", "raw", "layout" };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (bench_path(sub, sizeof(sub), dir, subs[i], &err) != 0)
			bench_die("%s", err.msg);
		if (access(sub, F_OK) == 0)
			bench_die("--dir %s: holds a previous run (%s/); give "
			    "an empty or new directory", dir, subs[i]);
	}
	return false;
}

/* Measure every batch size: ours, then raw with the same sizes. */
static void
bench_measure(const struct bench_opts *o, const char *dir,
    struct bench_report *rep)
{
	char sdir[PATH_MAX], rdir[PATH_MAX], ldir[PATH_MAX], tdir[PATH_MAX];
	struct bench_gen g;
	struct bench_raw raw;
	MDB_env *lenv;
	struct ld_store *twin;
	struct ld_store *s;
	struct ld_store_stats st;
	struct ld_err err;
	uint32_t *lens;
	long most = 0, syncs = 0;
	double bytes = 0, sync_s = 0;

	for (int i = 0; i < BENCH_NBATCH; i++) {
		long n = o->events ? o->events : bench_default_events[i];
		if (n > most)
			most = n;
	}
	lens = calloc((size_t)most + BENCH_BATCH_MAX, sizeof(*lens));
	if (lens == NULL)
		bench_die("out of memory");
	if (bench_path(sdir, sizeof(sdir), dir, "store", &err) != 0 ||
	    bench_path(rdir, sizeof(rdir), dir, "raw", &err) != 0 ||
	    bench_path(ldir, sizeof(ldir), dir, "layout", &err) != 0 ||
	    bench_path(tdir, sizeof(tdir), dir, "twin", &err) != 0)
		bench_die("%s", err.msg);
	s = bench_store_open(sdir);
	bench_raw_open(&raw, rdir);
	lenv = bench_layout_open(ldir);
	twin = bench_store_open(tdir);
	bench_gen_init(&g, (size_t)o->window);
	rep->window = (size_t)o->window;

	for (int i = 0; i < BENCH_NBATCH; i++) {
		size_t b = bench_batches[i];
		long n = o->events ? o->events : bench_default_events[i];
		long commits = (n + (long)b - 1) / (long)b;
		long rounds = commits < BENCH_ROUNDS ? commits : BENCH_ROUNDS;

		if (o->only != 0 && (size_t)o->only != b)
			continue;

		if (!o->json)
			fprintf(stderr, "batch %zu: %ld events ...\n", b,
			    commits * (long)b);
		rep->ours[i].batch = rep->raw[i].batch = b;
		rep->rec[i].batch = rep->layout[i].batch = b;
		/* ours, layout and raw take turns in rounds, so that a drift
		 * of the disk (other load, the host's cache) hits all alike */
		for (long k = 0; k < rounds; k++) {
			long c = commits * (k + 1) / rounds - commits * k / rounds;
			struct bench_gen before = g;

			before.slots = malloc(g.window * sizeof(*g.slots));
			if (before.slots == NULL)
				bench_die("out of memory");
			memcpy(before.slots, g.slots,
			    g.window * sizeof(*g.slots));
			size_t m = bench_run_ours(s, &g, b, c * (long)b, lens,
			    &rep->ours[i]);
			bench_run_twin(twin, &before, &g, b, c * (long)b,
			    &rep->rec[i]);
			free(before.slots);
			bench_run_layout(lenv, b, m, &rep->layout[i]);
			bench_run_raw(&raw, b, lens, m, &rep->raw[i]);
		}
		bench_fdatasync_slice(dir, o->only ? BENCH_SYNC_SECONDS :
		    BENCH_SYNC_SECONDS / BENCH_NBATCH, &syncs, &sync_s);
		rep->events += rep->ours[i].events;
		rep->refused += rep->ours[i].refused;
		bytes += rep->ours[i].bytes;
	}
	rep->syncs = sync_s > 0 ? (double)syncs / sync_s : 0;
	rep->avg_bytes = rep->events ? bytes / (double)rep->events : 0;
	if (store_stats(s, &st) == 0 && st.events > 0)
		rep->used_per_m = (double)st.used_bytes * 1e6 / (double)st.events;
	if (raw.seq > 0)
		rep->raw_used_per_m = (double)bench_raw_used(&raw) * 1e6 /
		    (double)raw.seq;
	store_close(s);
	store_close(twin);
	btrace_free();
	mdb_env_close(raw.env);
	mdb_env_close(lenv);
	free(g.slots);
	free(lens);
}

/* Reopen the store and check that the views equal the log. */
static void
bench_check_rebuild(const char *dir, struct bench_report *rep)
{
	char sdir[PATH_MAX];
	struct ld_err err = { 0 };
	struct ld_store *s;

	if (bench_path(sdir, sizeof(sdir), dir, "store", &err) != 0)
		bench_die("%s", err.msg);
	s = bench_store_open(sdir);
	double t0 = bench_now();
	rep->rebuild_rc = store_rebuild(s, false, &err);
	rep->rebuild_s = bench_now() - t0;
	snprintf(rep->rebuild_msg, sizeof(rep->rebuild_msg), "%s", err.msg);
	store_close(s);
}

/* Parse, measure, print; exit 1 if an event was refused or the views do
 * not equal the log (never because of a speed). */
int
main(int argc, char **argv)
{
	struct bench_opts o;
	static struct bench_report rep;
	char dir[PATH_MAX];
	bool ours_dir;

	bench_parse_args(argc, argv, &o);
	ours_dir = bench_make_dir(&o, dir, sizeof(dir));
	bench_machine_get(dir, &rep.m);
	bench_profile_life(&rep.prof);
	if (!o.json)
		fprintf(stderr, "work dir %s\n", dir);
	bench_measure(&o, dir, &rep);
	if (!o.json)
		fprintf(stderr, "rebuild check ...\n");
	bench_check_rebuild(dir, &rep);
	if (o.json)
		bench_print_json(&rep);
	else
		bench_print_table(&rep);
	if (ours_dir)
		bench_rm_tree("bench-store", dir);
	return rep.rebuild_rc == 0 && rep.refused == 0 ? 0 : 1;
}
