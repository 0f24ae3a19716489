/*
 * bench-fed.c - how fast the city node LY takes the county node XA's
 * events over CURVE (replication, the up stream of docs/federation.md),
 * and how long LY needs to catch up after a six-hour cut, beside the
 * rate at which the county commits the same events itself, in one run.
 *
 *   make bench-fed                        a readable table
 *   make bench-fed BENCH_ARGS=--json      one JSON object per line
 *
 * The backlog: six hours of the article's peak day (2011-08-31: 4,838
 * calls and 871 linkage requests in the day) at XA, a quarter of the day:
 * 1,210 calls (call.received, call.answered, call.classified) and 218
 * tickets with whole lives (ticket.created, routed, dispatched, signed,
 * progress, completed, reported, callback, closed; Chinese place, text,
 * notes and results, Xin'an's areas, categories and units), 5,592 events
 * between 08:00 and 14:00; and the same six hours at 100 times that rate
 * (558,825 events).  --scale N gives other multiples.
 *
 * For each backlog (a temp dir under $TMPDIR or /tmp, removed unless
 * --keep; `topology rekey` gives topology.example fresh keys that this run
 * holds, and every loopback port of the file moves next to --port):
 *
 *   1. local commit: the backlog is made at XA with the store directly
 *      (store_open on XA's data dir as node XA, store_commit of local
 *      events, in time order, in batches of FED_BATCH_MAX = 1000 events,
 *      durable sync).  The commits are timed: the county's own commit rate
 *      at the batch size of a replication batch, on this machine, now.
 *   2. replication: city-node LY starts on an empty data dir and is
 *      ready; then county-node XA starts on the backlog (both from the
 *      directory of this binary).  XA connects to LY's peer endpoint, LY
 *      pulls, XA answers batches from its log, LY commits each durably and
 *      pulls again.  LY's `status` (admin-ly-liu, shared/client.h) is
 *      polled every --poll ms (default 1) until its link to XA has
 *      received every event of the backlog.  Catch-up is timed from XA's
 *      start (fork) and from the moment the link came up (LY's log line
 *      "link to child XA is up"; the log's wall clock, in ms).
 *      Replication events/s = events / catch-up from link up.
 *   3. check: LY holds exactly the backlog (status: events, tickets; the
 *      link's refused and kept are 0) and sampled tickets read the same
 *      on both nodes (ticket.show through each node's admin client: the
 *      result bytes, view and whole history, must be equal).
 *
 * Then XA and LY stop (SIGTERM; SIGKILL after 10 s).  Nothing is asserted
 * about time; the exit status is 1 when the replication did not complete,
 * a check failed or a node did not stop cleanly.  Results:
 * docs/performance.md, section bench-fed.
 */
#include "bench.h"
#include "client.h"
#include "codec.h"
#include "err.h"
#include "event.h"
#include "fed.h"
#include "keyfile.h"
#include "ltime.h"
#include "proto.h"
#include "store.h"
#include "ticket.h"
#include "topo.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <msgpack.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define FB_CITY "LY"
#define FB_COUNTY "XA"
#define FB_ADMIN_CITY "admin-ly-liu"
#define FB_ADMIN_COUNTY "admin-xa-sun"
#define FB_OP_A "op:op-xa-zhao"
#define FB_OP_B "op:op-xa-chen"
#define FB_AREA "xinan"
#define FB_DAY_CALLS 4838	/* the article's peak day, 2011-08-31 */
#define FB_DAY_LINKAGE 871
#define FB_CUT_START "2011-08-31 08:00"
#define FB_CUT_MS (6LL * 3600 * 1000)	/* six hours: a quarter of the day */
#define FB_BATCH FED_BATCH_MAX	/* events per local commit */
#define FB_STEPS 9		/* events in one ticket's life */
#define FB_MAX_SCALES 4
#define FB_SCALE_MAX 1000
#define FB_PORT_DEFAULT 62101
#define FB_POLL_MS_DEFAULT 1	/* the catch-up at 1x takes ~30 ms: the poll
				 * must be fine beside it */
#define FB_TIMEOUT_MS 10000	/* per request */
#define FB_START_WAIT_MS 30000
#define FB_STOP_WAIT_MS 10000	/* then SIGKILL */
#define FB_STALL_MS 30000	/* no progress this long: give up */
#define FB_SAMPLES 5		/* tickets compared on both nodes */
#define FB_TARGET_CATCHUP_S 1.0	/* the 1x backlog, from link up */
#define FB_TARGET_RATIO 0.5	/* replication / local commit */

/* ---- the Xin'an cases (UTF-8) -------------------------------------------- */

struct fb_theme {
	const char *category, *unit, *rule;
	const char *place_fmt;	/* %u: a house number or distance */
	const char *text, *progress, *result;
};

static const struct fb_theme fb_themes[] = {
	{ "road", "xa.zhujian", "road-xinan",
	  "新安县城关镇洛新路%u号附近路段",
	  "路中间有一个大坑，下雨后积满了水看不出深浅，晚上已经有骑电动车的人"
	  "在这里摔倒，附近就是学校，学生上下学都从这里走，"
	  "请住建部门尽快派人修补。",
	  "养护人员已到达现场，设置了围挡和警示灯，正在清理坑内积水，"
	  "准备用沥青冷补料连夜修补，施工期间安排专人疏导交通。",
	  "坑槽已修补完毕并压实，围挡已撤除，道路恢复正常通行，"
	  "已将该路段列入日常巡查范围，发现问题及时处理。" },
	{ "streetlight", "xa.zhujian", "streetlight-xinan",
	  "新安县城关镇新城大道与涧河路交叉口向西%u米",
	  "这一段路的路灯已经连续一个星期晚上不亮，路上黑漆漆的，晚上散步的"
	  "老人和下晚自习的学生都很不方便，也不安全，"
	  "请有关部门尽快修理。",
	  "维修人员已到场检查，初步判断为地下电缆老化短路，正在开挖更换"
	  "电缆，同时检查同一回路上的其他灯具。",
	  "故障电缆和两套灯具已更换，整段路灯已全部恢复照明，"
	  "已告知附近居民，并将该回路列入重点巡查。" },
	{ "manhole.power", "xa.power", "manhole-power-xinan",
	  "新安县铁门镇新安大道%u号门前人行道",
	  "人行道上一个电力井盖破裂塌陷，井口露出一半，行人很容易踩空，"
	  "旁边就是幼儿园，接送孩子的家长很多，"
	  "请供电公司尽快更换井盖，先设置警示标志。",
	  "抢修人员已到达现场，设置了警示标志和围挡，正在测量井口尺寸，"
	  "新井盖已从仓库调出，预计一小时内更换完毕。",
	  "已更换新的复合材料防盗井盖并加固井圈，现场已清理干净，"
	  "行人可以正常通行，已对周边电力井盖进行了排查。" },
	{ "power.cut", "xa.power", "power-cut-xinan",
	  "新安县石寺镇石寺村%u组",
	  "村里从中午开始全部停电，没有接到任何停电通知，家里有冷藏的药品，"
	  "养殖户的鸡苗也需要保温用电，"
	  "请供电公司尽快查明原因恢复供电。",
	  "供电抢修班已到达，查明为大风刮断的树枝砸断了十千伏线路，"
	  "正在组织清障和抢修，预计三小时内恢复供电。",
	  "断线已接好，树障已清除，全村已恢复供电，"
	  "已提醒村民注意线路附近的树木隐患，发现问题及时报告。" },
	{ "water.cut", "xa.water", "water-cut-xinan",
	  "新安县城关镇千秋路%u号院",
	  "小区从昨天晚上开始停水，到现在还没有来水，家里老人孩子吃水做饭"
	  "都很不方便，物业说不清楚原因，"
	  "请水利部门尽快处理，并告知恢复供水的时间。",
	  "维修人员已到场，发现小区进水主管阀门损坏漏水，正在关闸更换阀门，"
	  "预计两小时内恢复供水，已安排送水车临时供水。",
	  "损坏的阀门已更换，小区已恢复正常供水，"
	  "水质检测合格，已提醒物业加强管网日常巡查。" },
	{ "manhole.water", "xa.water", "manhole-water-xinan",
	  "新安县五头镇五头街%u号附近",
	  "路边一个自来水井盖丢失，只剩一个黑洞洞的井口，已经有村民放了"
	  "树枝提醒，但晚上看不见，骑车的人很危险，"
	  "请相关单位尽快补装井盖。",
	  "工作人员已到达现场设置围挡和警示灯，正在调运同规格的井盖，"
	  "预计今天下午补装完毕。",
	  "已补装新井盖并用水泥重新固定井座，现场已恢复正常，"
	  "已电话告知报警村民处理结果。" },
};
#define FB_NTHEMES (sizeof(fb_themes) / sizeof(fb_themes[0]))

static const char *const fb_callers[] = { "王先生", "李女士", "张师傅",
	"刘阿姨", "陈先生", "杨女士", "赵大爷", "黄女士", "孙先生", "周女士" };
#define FB_NCALLERS (sizeof(fb_callers) / sizeof(fb_callers[0]))

/* Time to complete by urgency 1..5 (sign: 30 min). */
static const int64_t fb_due_done_ms[LD_URGENCY_MAX + 1] = { 0,
	3600000LL, 2 * 3600000LL, 4 * 3600000LL, 24 * 3600000LL,
	72 * 3600000LL };

/* ---- the backlog's plan --------------------------------------------------- */

enum { FB_CALL = 0, FB_TICKET = 1 };

/* One event of the backlog, before it is built. */
struct fb_rec {
	int64_t t;		/* UTC ms */
	uint32_t who;		/* the call's or ticket's index */
	uint8_t type;		/* FB_CALL, FB_TICKET */
	uint8_t step;		/* call: 0..2; ticket: 0..FB_STEPS-1 */
};

struct fb_ticket {
	uint32_t num;		/* XA-2011-<num>, in creation order */
	uint32_t call;		/* the call it came from */
	uint8_t theme, urgency;
};

struct fb_plan {
	uint64_t calls, tickets, events;
	struct fb_rec *recs;	/* events, in time order */
	struct fb_ticket *tk;
	uint8_t *cls;		/* per call: 0 invalid, else LD_CLASS_* */
	int year;
};

/* ---- configuration and results ------------------------------------------ */

struct fb_opts {
	bool json, keep, quick;
	int port;
	int poll_ms;
	int scales[FB_MAX_SCALES];
	int n_scales;
	const char *topology;
};

struct fb_cfg {
	struct fb_opts o;
	char dir[PATH_MAX];
	char bindir[PATH_MAX];
	char topo[PATH_MAX];
	char ep_city[LD_TOPO_EP_MAX + 1], ep_county[LD_TOPO_EP_MAX + 1];
	uint8_t key_city[LD_KEY_BYTES], key_county[LD_KEY_BYTES];
	struct ld_keypair admin_city, admin_county;
	void *zctx;
};

struct fb_result {
	bool done;		/* measured (the table has a row) */
	int scale;
	uint64_t calls, tickets, events;
	double avg_bytes;	/* encoded event */
	/* local commit at XA */
	uint64_t commits;
	double local_s;		/* summed over the commits */
	double local_cpu_s;	/* this thread's CPU in those commits */
	double local_rate;
	/* replication, seconds from XA's fork */
	bool complete;		/* LY received every event */
	double ready_s;		/* XA logged "ready;" */
	double link_s;		/* LY logged the link to XA up */
	double done_s;		/* the poll that saw the last event */
	double poll_before_s;	/* the poll before it (resolution) */
	double catchup_link_s;	/* done - link */
	double rate_link, rate_start;
	uint64_t polls, received;
	double city_cpu, county_cpu;	/* CPU s of each node up to done */
	/* the check */
	uint64_t city_events, city_tickets, county_events, refused, kept;
	int samples, samples_equal;
	bool checked;		/* every check passed */
	int city_exit, county_exit;	/* 0: status 0 after SIGTERM */
	char first_err[LD_ERR_MSG_MAX + 128];
};

/* ---- small helpers ------------------------------------------------------- */

static pid_t fb_pids[2];	/* nodes running now, for fb_die */
static char fb_dir_shown[PATH_MAX];

static void __attribute__((noreturn, format(printf, 1, 2)))
fb_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-fed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (int i = 0; i < 2; i++)
		if (fb_pids[i] > 0) {
			kill(fb_pids[i], SIGKILL);
			waitpid(fb_pids[i], NULL, 0);
		}
	if (fb_dir_shown[0] != '\0')
		fprintf(stderr, "bench-fed: work dir kept: %s\n", fb_dir_shown);
	exit(1);
}

/* Wall clock, UTC milliseconds with a fraction (the nodes' log clock). */
static double
fb_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* splitmix64: a fixed hash, so every run has the same backlog. */
static uint64_t
fb_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* A uniform number in [lo, hi] from the state *s. */
static int64_t
fb_between(uint64_t *s, int64_t lo, int64_t hi)
{
	*s = fb_mix(*s);
	return hi <= lo ? lo : lo + (int64_t)(*s % (uint64_t)(hi - lo + 1));
}

/* The wall clock (UTC ms) of the first log line that holds text, from
 * the line's "YYYY-MM-DD HH:MM:SS.mmm" (local time); -1 if none. */
static double
fb_log_time(const char *path, const char *text)
{
	char *s = bench_slurp(path), *hit, *line, ts[24];
	double ms = -1;
	int64_t t;

	if (s == NULL || (hit = strstr(s, text)) == NULL) {
		free(s);
		return -1;
	}
	for (line = hit; line > s && line[-1] != '\n'; line--)
		;
	if (strlen(line) > 23 && line[19] == '.') {
		memcpy(ts, line, 19);
		ts[19] = '\0';
		t = ltime_parse(ts);
		if (t >= 0)
			ms = (double)t + (double)strtol(line + 20, NULL, 10);
	}
	free(s);
	return ms;
}

/* ---- the backlog ---------------------------------------------------------- */

static int
fb_cmp_rec(const void *a, const void *b)
{
	const struct fb_rec *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	return (x->step > y->step) - (x->step < y->step);
}

/*
 * Plan the six hours at `scale` times the peak rate: which events, when.
 * Each ticket comes from a linkage call (received, answered, classified,
 * then the ticket recorded); its whole life lies inside the six hours.
 * The other calls are police, fire, medical or not valid.
 */
static void
fb_plan(struct fb_plan *p, int scale)
{
	int64_t start = ltime_parse(FB_CUT_START), end = start + FB_CUT_MS;
	uint64_t rng = 0x5EED0831ULL + (uint64_t)scale, n = 0, num = 0;

	if (start < 0)
		fb_die("ltime_parse failed");
	memset(p, 0, sizeof(*p));
	p->year = ltime_year(start);
	p->calls = (uint64_t)llround(FB_DAY_CALLS / 4.0 * scale);
	p->tickets = (uint64_t)llround(FB_DAY_LINKAGE / 4.0 * scale);
	p->events = 3 * p->calls + FB_STEPS * p->tickets;
	p->recs = malloc(p->events * sizeof(*p->recs));
	p->tk = calloc(p->tickets, sizeof(*p->tk));
	p->cls = calloc(p->calls, 1);
	if (p->recs == NULL || p->tk == NULL || p->cls == NULL)
		fb_die("out of memory (backlog of %" PRIu64 " events)",
		    p->events);
	/* the tickets and their calls: calls 0 .. tickets-1 */
	for (uint64_t k = 0; k < p->tickets; k++) {
		int64_t gap[FB_STEPS], life = 0, answer, classify, record, t;

		gap[0] = gap[1] = gap[2] = 0;	/* created, routed, dispatched:
						 * one request */
		gap[3] = fb_between(&rng, 3, 25) * 60000;	/* signed */
		gap[4] = fb_between(&rng, 10, 40) * 60000;	/* progress */
		gap[5] = fb_between(&rng, 20, 120) * 60000;	/* completed */
		gap[6] = fb_between(&rng, 5, 30) * 60000;	/* reported */
		gap[7] = fb_between(&rng, 15, 60) * 60000;	/* callback */
		gap[8] = fb_between(&rng, 5, 30) * 60000;	/* closed */
		for (int i = 0; i < FB_STEPS; i++)
			life += gap[i];
		answer = fb_between(&rng, 3, 20) * 1000;
		classify = fb_between(&rng, 30, 240) * 1000;
		record = fb_between(&rng, 30, 180) * 1000;
		t = fb_between(&rng, start + answer + classify + record,
		    end - life - 1000);
		p->tk[k].call = (uint32_t)k;
		p->tk[k].theme = (uint8_t)fb_between(&rng, 0, FB_NTHEMES - 1);
		p->tk[k].urgency = (uint8_t)fb_between(&rng, 1, LD_URGENCY_MAX);
		p->cls[k] = LD_CLASS_LINKAGE;
		p->recs[n++] = (struct fb_rec){ t - record - classify - answer,
		    (uint32_t)k, FB_CALL, 0 };
		p->recs[n++] = (struct fb_rec){ t - record - classify,
		    (uint32_t)k, FB_CALL, 1 };
		p->recs[n++] = (struct fb_rec){ t - record, (uint32_t)k,
		    FB_CALL, 2 };
		for (int i = 0; i < FB_STEPS; i++) {
			t += gap[i];
			p->recs[n++] = (struct fb_rec){ t, (uint32_t)k,
			    FB_TICKET, (uint8_t)i };
		}
	}
	/* the other calls */
	for (uint64_t c = p->tickets; c < p->calls; c++) {
		int64_t t = fb_between(&rng, start, end - 300000);
		int64_t r = fb_between(&rng, 0, 99);

		p->cls[c] = r < 20 ? 0 : r < 75 ? LD_CLASS_POLICE : r < 90 ?
		    LD_CLASS_MEDICAL : LD_CLASS_FIRE;
		p->recs[n++] = (struct fb_rec){ t, (uint32_t)c, FB_CALL, 0 };
		t += fb_between(&rng, 3, 20) * 1000;
		p->recs[n++] = (struct fb_rec){ t, (uint32_t)c, FB_CALL, 1 };
		t += fb_between(&rng, 30, 240) * 1000;
		p->recs[n++] = (struct fb_rec){ t, (uint32_t)c, FB_CALL, 2 };
	}
	if (n != p->events)
		fb_die("planned %" PRIu64 " events, expected %" PRIu64, n,
		    p->events);
	qsort(p->recs, n, sizeof(*p->recs), fb_cmp_rec);
	/* ticket numbers: the store gives them in the order of creation */
	for (uint64_t i = 0; i < n; i++)
		if (p->recs[i].type == FB_TICKET && p->recs[i].step == 0)
			p->tk[p->recs[i].who].num = (uint32_t)++num;
}

static void
fb_plan_free(struct fb_plan *p)
{
	free(p->recs);
	free(p->tk);
	free(p->cls);
	memset(p, 0, sizeof(*p));
}

/* The ticket id of planned ticket k. */
static void
fb_ticket_id(const struct fb_plan *p, uint64_t k, char *buf, size_t cap)
{
	if (ticket_id_format(buf, cap, FB_COUNTY, p->year, p->tk[k].num) != 0)
		fb_die("ticket_id_format failed");
}

/* A call's id and its caller's phone. */
static void
fb_call_id(uint32_t c, char *buf, size_t cap)
{
	snprintf(buf, cap, "XA%u-%06u", (unsigned)ltime_day(
	    ltime_parse(FB_CUT_START)), (unsigned)c + 1);
}

static void
fb_phone(uint32_t c, char *buf, size_t cap)
{
	uint64_t h = fb_mix(0xCA11ULL ^ c);

	snprintf(buf, cap, "13%c%08u", "5789"[h % 4],
	    (unsigned)((h >> 8) % 100000000));
}

/* The event of call record r into *ev (a field's failure into err). */
static void
fb_build_call(const struct fb_plan *p, const struct fb_rec *r,
    struct ld_event *ev, struct ld_err *err)
{
	char call[LD_ID_MAX + 1], phone[LD_PHONE_MAX + 1];

	fb_call_id(r->who, call, sizeof(call));
	event_init(ev, r->step == 0 ? LD_EV_CALL_RECEIVED : r->step == 1 ?
	    LD_EV_CALL_ANSWERED : LD_EV_CALL_CLASSIFIED, FB_COUNTY, r->t,
	    r->step == 0 ? "switch" : r->who % 2 ? FB_OP_B : FB_OP_A, "");
	bench_set_str(ev, LD_F_CALL, call, err);
	if (r->step == 0) {
		fb_phone(r->who, phone, sizeof(phone));
		bench_set_str(ev, LD_F_PHONE, phone, err);
	} else if (r->step == 2) {
		if (event_set_bool(ev, LD_F_VALID, p->cls[r->who] != 0))
			fb_die("field valid");
		if (p->cls[r->who] != 0)
			bench_set_uint(ev, LD_F_CLASS, p->cls[r->who], err);
	}
}

/* The event of ticket record r into *ev (a field's failure into err). */
static void
fb_build_ticket(const struct fb_plan *p, const struct fb_rec *r,
    struct ld_event *ev, struct ld_err *err)
{
	char call[LD_ID_MAX + 1], phone[LD_PHONE_MAX + 1];
	char id[LD_TICKET_MAX + 1], place[LD_PLACE_MAX + 1];
	char actor[LD_ACTOR_MAX + 1];
	const struct fb_ticket *tk = &p->tk[r->who];
	const struct fb_theme *th = &fb_themes[tk->theme];
	const char *op = tk->num % 2 ? FB_OP_B : FB_OP_A;
	uint64_t h = fb_mix(0x7E1CE7ULL ^ r->who);

	if (r->step == 0)
		id[0] = '\0';	/* the store gives it */
	else
		fb_ticket_id(p, r->who, id, sizeof(id));
	snprintf(actor, sizeof(actor), "unit:unit-%s", th->unit);
	for (char *c = actor; *c; c++)
		if (*c == '.')
			*c = '-';
	switch (r->step) {
	case 0:
		event_init(ev, LD_EV_TICKET_CREATED, FB_COUNTY, r->t, op, id);
		fb_call_id(tk->call, call, sizeof(call));
		fb_phone(tk->call, phone, sizeof(phone));
		snprintf(place, sizeof(place), th->place_fmt,
		    (unsigned)(1 + h % 300));
		bench_set_str(ev, LD_F_CALL, call, err);
		bench_set_str(ev, LD_F_CALLER, fb_callers[(h >> 16) %
		    FB_NCALLERS], err);
		bench_set_str(ev, LD_F_PHONE, phone, err);
		bench_set_str(ev, LD_F_PLACE, place, err);
		bench_set_str(ev, LD_F_AREA, FB_AREA, err);
		bench_set_str(ev, LD_F_TEXT, th->text, err);
		bench_set_str(ev, LD_F_CATEGORY, th->category, err);
		bench_set_uint(ev, LD_F_URGENCY, tk->urgency, err);
		break;
	case 1:
		event_init(ev, LD_EV_ROUTED, FB_COUNTY, r->t, op, id);
		bench_set_str(ev, LD_F_RULE, th->rule, err);
		if (event_add_unit(ev, th->unit) != 0)
			fb_die("units: cannot add %s", th->unit);
		break;
	case 2:
		event_init(ev, LD_EV_DISPATCHED, FB_COUNTY, r->t, op, id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_UNIT, th->unit, err);
		bench_set_time(ev, LD_F_DUE_SIGN, r->t + 30 * 60000LL, err);
		bench_set_time(ev, LD_F_DUE_DONE, r->t +
		    fb_due_done_ms[tk->urgency], err);
		break;
	case 3:
		event_init(ev, LD_EV_SIGNED, FB_COUNTY, r->t, actor, id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_NOTE, "已签收，正在安排值班人员和车辆前往"
		    "现场，预计三十分钟内到达，到场后及时反馈情况。", err);
		break;
	case 4:
		event_init(ev, LD_EV_PROGRESS, FB_COUNTY, r->t, actor, id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_NOTE, th->progress, err);
		break;
	case 5:
		event_init(ev, LD_EV_COMPLETED, FB_COUNTY, r->t, actor, id);
		bench_set_uint(ev, LD_F_WO, 1, err);
		bench_set_str(ev, LD_F_RESULT, th->result, err);
		break;
	case 6:
		event_init(ev, LD_EV_REPORTED, FB_COUNTY, r->t, op, id);
		bench_set_str(ev, LD_F_NOTE, "已电话告知市民处理结果和后续注意事项，"
		    "市民表示知晓，告知如有反复可再次拨打热线反映。", err);
		bench_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE, err);
		break;
	case 7:
		event_init(ev, LD_EV_CALLBACK, FB_COUNTY, r->t, op, id);
		bench_set_uint(ev, LD_F_METHOD, LD_METHOD_PHONE, err);
		bench_set_uint(ev, LD_F_SATISFACTION, (h >> 24) % 10 < 8 ?
		    LD_SAT_SATISFIED : (h >> 28) % 2 ? LD_SAT_BASIC :
		    LD_SAT_UNSATISFIED, err);
		bench_set_str(ev, LD_F_NOTE, "回访市民，反映的问题已经解决，对处理"
		    "速度和工作人员的态度表示满意，没有其他诉求。", err);
		break;
	default:
		event_init(ev, LD_EV_CLOSED, FB_COUNTY, r->t, op, id);
		bench_set_str(ev, LD_F_NOTE, "承办单位处置完毕，市民回访满意，经审核"
		    "符合办结条件，予以办结归档。", err);
		break;
	}
}

/* Build the event of record r into *ev. */
static void
fb_build(const struct fb_plan *p, const struct fb_rec *r, struct ld_event *ev)
{
	struct ld_err err = { 0 };

	if (r->type == FB_CALL)
		fb_build_call(p, r, ev, &err);
	else
		fb_build_ticket(p, r, ev, &err);
	if (err.code != 0)
		fb_die("%s", err.msg);
}

/*
 * Make the backlog in XA's data dir with the store, in batches of
 * FB_BATCH events, each commit durable; time the commits only.
 */
static void
fb_make_backlog(const struct fb_plan *p, const char *dir, struct fb_result *r)
{
	struct ld_store_opts o = { .dir = dir, .node = FB_COUNTY };
	struct ld_event *evs = calloc(FB_BATCH, sizeof(*evs));
	struct ld_store_item *items = calloc(FB_BATCH, sizeof(*items));
	static uint8_t ebuf[LD_FRAME_MAX];
	struct ld_store_stats st;
	struct ld_store *s;
	struct ld_err err = { 0 };
	double bytes = 0, cpu = 0;
	int64_t ns = 0;

	if (evs == NULL || items == NULL)
		fb_die("out of memory");
	if (store_open(&s, &o, &err) != 0)
		fb_die("store_open %s: %s", dir, err.msg);
	for (uint64_t i = 0; i < p->events; i += FB_BATCH) {
		size_t n = p->events - i < FB_BATCH ? (size_t)(p->events - i) :
		    FB_BATCH;
		int64_t t0;
		double c0;
		int rc;

		for (size_t j = 0; j < n; j++) {
			fb_build(p, &p->recs[i + j], &evs[j]);
			memset(&items[j], 0, sizeof(items[j]));
			items[j].ev = &evs[j];
		}
		c0 = bench_thread_cpu();
		t0 = bench_ns();
		rc = store_commit(s, items, n, ltime_now(), &err);
		ns += bench_ns() - t0;
		cpu += bench_thread_cpu() - c0;
		if (rc != 0)
			fb_die("store_commit: %s: %s", err_name(rc), err.msg);
		r->commits++;
		for (size_t j = 0; j < n; j++) {
			const struct fb_rec *rec = &p->recs[i + j];
			int len;

			if (items[j].rc != 0)
				fb_die("the backlog's event %" PRIu64 " (%s %s) "
				    "was refused: %s: %s", i + j,
				    event_kind_name(evs[j].kind), evs[j].ticket,
				    err_name(items[j].rc), items[j].err.msg);
			if (rec->type == FB_TICKET && rec->step == 0) {
				char want[LD_TICKET_MAX + 1];

				fb_ticket_id(p, rec->who, want, sizeof(want));
				if (strcmp(want, evs[j].ticket) != 0)
					fb_die("the store gave %s, expected %s",
					    evs[j].ticket, want);
			}
			len = codec_event_encode(&evs[j], ebuf, sizeof(ebuf),
			    &err);
			if (len < 0)
				fb_die("codec_event_encode: %s", err.msg);
			bytes += len;
		}
	}
	if (store_stats(s, &st) != 0 || st.events != p->events ||
	    st.tickets != p->tickets)
		fb_die("XA's store holds %" PRIu64 " events and %" PRIu64
		    " tickets, expected %" PRIu64 " and %" PRIu64, st.events,
		    st.tickets, p->events, p->tickets);
	store_close(s);
	free(evs);
	free(items);
	r->local_s = (double)ns / 1e9;
	r->local_cpu_s = cpu;
	r->local_rate = r->local_s > 0 ? (double)p->events / r->local_s : 0;
	r->avg_bytes = p->events ? bytes / (double)p->events : 0;
}

/* ---- the nodes as child processes ---------------------------------------- */

struct fb_node {
	const char *id;
	pid_t pid;
	int slot;		/* in fb_pids */
	char log[PATH_MAX], data[PATH_MAX];
};

/* The node's data dir DIR/ID-<tag> and its log DIR/ID-<tag>.log. */
static void
fb_node_files(const struct fb_cfg *cfg, const char *tag, struct fb_node *nd)
{
	char data_name[64], log_name[64];
	struct ld_err err;

	snprintf(data_name, sizeof(data_name), "%s-%s", nd->id, tag);
	snprintf(log_name, sizeof(log_name), "%s-%s.log", nd->id, tag);
	if (bench_path(nd->data, sizeof(nd->data), cfg->dir, data_name,
	    &err) || bench_path(nd->log, sizeof(nd->log), cfg->dir, log_name,
	    &err))
		fb_die("%s", err.msg);
}

/* Start node id (city-node for LY, county-node for XA) on data, its
 * stderr in log; it gets SIGKILL if this process dies first. */
static void
fb_node_start(const struct fb_cfg *cfg, struct fb_node *nd)
{
	char bin[PATH_MAX], key[PATH_MAX], name[64];
	char *const argv[] = { bin, "--topology", (char *)cfg->topo, "--id",
		(char *)nd->id, "--key", key, "--data", nd->data, NULL };
	bool city = strcmp(nd->id, FB_CITY) == 0;
	struct ld_err err;

	snprintf(name, sizeof(name), "keys/%s.key", nd->id);
	if (bench_path(bin, sizeof(bin), cfg->bindir, city ? "city-node" :
	    "county-node", &err) || bench_path(key, sizeof(key), cfg->dir,
	    name, &err))
		fb_die("%s", err.msg);
	nd->pid = bench_spawn(argv, nd->log, true, &err);
	if (nd->pid < 0)
		fb_die("%s", err.msg);
	fb_pids[nd->slot] = nd->pid;
}

/* The node exited (wait status st): say how, and die. */
static void __attribute__((noreturn))
fb_node_exited(struct fb_node *nd, int st, const char *when)
{
	fb_pids[nd->slot] = 0;
	bench_show_log(nd->log);
	fb_die("node %s exited %s (%s %d)", nd->id, when, WIFEXITED(st) ?
	    "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) :
	    WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

/* Has the node exited?  Then say how, and die. */
static void
fb_node_alive(struct fb_node *nd, const char *when)
{
	int st;

	if (waitpid(nd->pid, &st, WNOHANG) == nd->pid)
		fb_node_exited(nd, st, when);
}

static void
fb_node_wait_ready(struct fb_node *nd)
{
	int st;

	switch (bench_wait_log(nd->pid, nd->log, "ready;", FB_START_WAIT_MS, 5,
	    &st)) {
	case BENCH_READY:
		return;
	case BENCH_EXITED:
		fb_node_exited(nd, st, "before it was ready; if a port is in "
		    "use, give another with --port");
	case BENCH_LATE:
		break;
	}
	bench_show_log(nd->log);
	fb_die("node %s: not ready after %d s", nd->id, FB_START_WAIT_MS / 1000);
}

/* SIGTERM, SIGKILL after FB_STOP_WAIT_MS; 0 if it exited with status 0
 * after SIGTERM, else -1 (its log is shown). */
static int
fb_node_stop(struct fb_node *nd)
{
	int st;
	bool killed;

	if (nd->pid <= 0)
		return -1;
	killed = bench_stop(nd->pid, FB_STOP_WAIT_MS, &st, NULL);
	fb_pids[nd->slot] = 0;
	nd->pid = 0;
	if (killed || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench-fed: node %s %s\n", nd->id, killed ?
		    "did not stop within 10 s of SIGTERM: killed" :
		    "did not exit with status 0");
		bench_show_log(nd->log);
		return -1;
	}
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

static uint64_t
fb_mp_uint(const msgpack_object *o)
{
	return o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    o->via.u64 : 0;
}

/* What status says. */
struct fb_status {
	uint64_t events, tickets;
	bool has_link, up;
	uint64_t received, refused, kept;
};

static struct ld_client *
fb_client(const struct fb_cfg *cfg, bool city)
{
	struct ld_client_opts o;
	struct ld_client *c;
	struct ld_err err;

	memset(&o, 0, sizeof(o));
	o.endpoint = city ? cfg->ep_city : cfg->ep_county;
	memcpy(o.server_key, city ? cfg->key_city : cfg->key_county,
	    sizeof(o.server_key));
	o.keys = city ? &cfg->admin_city : &cfg->admin_county;
	o.timeout_ms = FB_TIMEOUT_MS;
	o.zctx = cfg->zctx;
	if (client_open(&c, &o, &err) != 0)
		fb_die("client %s: %s", city ? FB_ADMIN_CITY : FB_ADMIN_COUNTY,
		    err.msg);
	return c;
}

/* status through c; the link to peer (NULL: none wanted). */
static void
fb_status(struct ld_client *c, const char *peer, struct fb_status *st)
{
	static struct ld_request req;
	struct ld_reply rep;
	struct ld_err err;
	msgpack_unpacked u;
	const msgpack_object *links;

	memset(st, 0, sizeof(*st));
	memset(&req, 0, sizeof(req));
	req.op = LD_OP_STATUS;
	if (client_call(c, &req, &rep, &err) != 0)
		fb_die("status: %s", err.msg);
	if (!rep.ok)
		fb_die("status: %s %s", rep.code, rep.message);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)rep.result, rep.result_len,
	    NULL) != MSGPACK_UNPACK_SUCCESS)
		fb_die("status: the result does not decode");
	st->events = fb_mp_uint(bench_mp_get(&u.data, "events"));
	st->tickets = fb_mp_uint(bench_mp_get(&u.data, "tickets"));
	links = bench_mp_get(&u.data, "links");
	for (uint32_t i = 0; peer != NULL && links != NULL &&
	    links->type == MSGPACK_OBJECT_ARRAY && i < links->via.array.size;
	    i++) {
		const msgpack_object *l = &links->via.array.ptr[i];
		const msgpack_object *node = bench_mp_get(l, "node");
		const msgpack_object *up = bench_mp_get(l, "up");

		if (node == NULL || node->type != MSGPACK_OBJECT_STR ||
		    node->via.str.size != strlen(peer) ||
		    memcmp(node->via.str.ptr, peer, strlen(peer)) != 0)
			continue;
		st->has_link = true;
		st->up = up != NULL && up->type == MSGPACK_OBJECT_BOOLEAN &&
		    up->via.boolean;
		st->received = fb_mp_uint(bench_mp_get(l, "received"));
		st->refused = fb_mp_uint(bench_mp_get(l, "refused"));
		st->kept = fb_mp_uint(bench_mp_get(l, "kept"));
	}
	msgpack_unpacked_destroy(&u);
}

/* ticket.show of id through c: the result bytes (malloc'd) and their
 * length, or NULL with why in why. */
static uint8_t *
fb_show(struct ld_client *c, const char *id, size_t *len, char *why,
    size_t cap)
{
	static struct ld_request req;
	struct ld_reply rep;
	struct ld_err err;
	uint8_t *out;

	memset(&req, 0, sizeof(req));
	req.op = LD_OP_TICKET_SHOW;
	snprintf(req.ticket, sizeof(req.ticket), "%s", id);
	req.q_present |= 1u << LD_Q_TICKET;
	if (client_call(c, &req, &rep, &err) != 0) {
		snprintf(why, cap, "ticket.show %s: %s", id, err.msg);
		return NULL;
	}
	if (!rep.ok) {
		snprintf(why, cap, "ticket.show %s: %s %s", id, rep.code,
		    rep.message);
		return NULL;
	}
	if ((out = malloc(rep.result_len ? rep.result_len : 1)) == NULL)
		fb_die("out of memory");
	memcpy(out, rep.result, rep.result_len);
	*len = rep.result_len;
	return out;
}

static void __attribute__((format(printf, 2, 3)))
fb_fail(struct fb_result *r, const char *fmt, ...)
{
	va_list ap;

	r->checked = false;
	if (r->first_err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->first_err, sizeof(r->first_err), fmt, ap);
	va_end(ap);
}

/* The checks after the catch-up: counts, and sampled tickets equal on both
 * nodes. */
static void
fb_check(const struct fb_cfg *cfg, const struct fb_plan *p,
    struct ld_client *city, struct fb_result *r)
{
	struct ld_client *county = fb_client(cfg, false);
	struct fb_status a, b;

	r->checked = r->complete;
	if (!r->complete)
		fb_fail(r, "LY received %" PRIu64 " of %" PRIu64 " events",
		    r->received, r->events);
	fb_status(city, FB_COUNTY, &a);
	fb_status(county, FB_CITY, &b);
	r->city_events = a.events;
	r->city_tickets = a.tickets;
	r->county_events = b.events;
	r->refused = a.refused;
	r->kept = a.kept;
	if (a.events != p->events || a.tickets != p->tickets)
		fb_fail(r, "LY holds %" PRIu64 " events and %" PRIu64
		    " tickets, expected %" PRIu64 " and %" PRIu64, a.events,
		    a.tickets, p->events, p->tickets);
	if (b.events != p->events)
		fb_fail(r, "XA holds %" PRIu64 " events, expected %" PRIu64,
		    b.events, p->events);
	if (a.refused + a.kept > 0)
		fb_fail(r, "LY refused %" PRIu64 " frames and kept %" PRIu64
		    " events its state machine refused", a.refused, a.kept);
	/* sampled tickets: the first, the last and three between (by the
	 * order of creation) */
	for (int i = 0; i < FB_SAMPLES && p->tickets > 0; i++) {
		uint64_t num = 1 + (p->tickets - 1) * (uint64_t)i /
		    (FB_SAMPLES - 1);
		char id[LD_TICKET_MAX + 1], why[LD_ERR_MSG_MAX + 64];
		uint8_t *x, *y = NULL;
		size_t nx = 0, ny = 0;

		if (ticket_id_format(id, sizeof(id), FB_COUNTY, p->year, num))
			fb_die("ticket_id_format failed");
		r->samples++;
		x = fb_show(city, id, &nx, why, sizeof(why));
		if (x != NULL)
			y = fb_show(county, id, &ny, why, sizeof(why));
		if (x == NULL || y == NULL)
			fb_fail(r, "%s", why);
		else if (nx != ny || memcmp(x, y, nx) != 0)
			fb_fail(r, "ticket.show %s differs: %zu bytes on LY, "
			    "%zu on XA", id, nx, ny);
		else
			r->samples_equal++;
		free(x);
		free(y);
	}
	client_close(county);
}

/* ---- one backlog ---------------------------------------------------------- */

static void
fb_run(const struct fb_cfg *cfg, int scale, struct fb_result *r)
{
	struct fb_node ly = { .id = FB_CITY, .slot = 0 };
	struct fb_node xa = { .id = FB_COUNTY, .slot = 1 };
	struct fb_plan p;
	struct ld_client *city;
	struct fb_status st;
	char tag[32];
	int64_t t0, last_progress, prev_poll = 0;
	double wall0, city_cpu0, t_link, t_ready;
	uint64_t last_received = 0;

	memset(r, 0, sizeof(*r));
	r->scale = scale;
	snprintf(tag, sizeof(tag), "%dx", scale);
	if (!cfg->o.json)
		fprintf(stderr, "backlog %s: planning ...\n", tag);
	fb_plan(&p, scale);
	r->calls = p.calls;
	r->tickets = p.tickets;
	r->events = p.events;
	fb_node_files(cfg, tag, &ly);
	fb_node_files(cfg, tag, &xa);

	if (!cfg->o.json)
		fprintf(stderr, "backlog %s: %" PRIu64 " events, committed at "
		    "XA in batches of %d ...\n", tag, p.events, FB_BATCH);
	fb_make_backlog(&p, xa.data, r);

	if (!cfg->o.json)
		fprintf(stderr, "backlog %s: LY starts, then XA; LY catches "
		    "up ...\n", tag);
	fb_node_start(cfg, &ly);
	fb_node_wait_ready(&ly);
	city = fb_client(cfg, true);
	fb_status(city, FB_COUNTY, &st);	/* the handshake, untimed */
	if (!st.has_link || st.received != 0 || st.events != 0)
		fb_die("LY: no link to XA in its status, or not empty");

	city_cpu0 = bench_proc_cpu(ly.pid);
	wall0 = fb_wall_ms();
	t0 = bench_ns();
	fb_node_start(cfg, &xa);
	last_progress = t0;
	for (;;) {
		int64_t now = bench_ns();

		fb_status(city, FB_COUNTY, &st);
		r->polls++;
		if (st.received >= p.events) {
			r->done_s = (double)(bench_ns() - t0) / 1e9;
			r->poll_before_s = prev_poll ? (double)(prev_poll -
			    t0) / 1e9 : 0;
			r->complete = true;
			break;
		}
		if (st.received != last_received) {
			last_received = st.received;
			last_progress = now;
		}
		fb_node_alive(&xa, "during the catch-up");
		fb_node_alive(&ly, "during the catch-up");
		if (now - last_progress > (int64_t)FB_STALL_MS * 1000000) {
			fprintf(stderr, "bench-fed: backlog %s: LY received "
			    "nothing for %d s (%" PRIu64 " of %" PRIu64
			    " events)\n", tag, FB_STALL_MS / 1000,
			    st.received, p.events);
			bench_show_log(ly.log);
			bench_show_log(xa.log);
			break;
		}
		prev_poll = now;
		bench_sleep_ms(cfg->o.poll_ms);
	}
	r->received = st.received;
	r->city_cpu = bench_proc_cpu(ly.pid) - city_cpu0;
	r->county_cpu = bench_proc_cpu(xa.pid);
	t_ready = fb_log_time(xa.log, "ready;");
	t_link = fb_log_time(ly.log, "link to child " FB_COUNTY " is up");
	r->ready_s = t_ready < 0 ? -1 : (t_ready - wall0) / 1e3;
	r->link_s = t_link < 0 ? -1 : (t_link - wall0) / 1e3;
	if (r->complete) {
		r->catchup_link_s = r->link_s >= 0 ? r->done_s - r->link_s :
		    r->done_s;
		r->rate_link = r->catchup_link_s > 0 ? (double)p.events /
		    r->catchup_link_s : 0;
		r->rate_start = r->done_s > 0 ? (double)p.events / r->done_s :
		    0;
	}

	fb_check(cfg, &p, city, r);
	client_close(city);
	r->county_exit = fb_node_stop(&xa);
	r->city_exit = fb_node_stop(&ly);
	if (r->county_exit != 0 || r->city_exit != 0)
		fb_fail(r, "a node did not stop cleanly");
	r->done = true;
	if (!cfg->o.keep && r->checked) {	/* a failure keeps them */
		bench_rm_tree("bench-fed", xa.data);
		bench_rm_tree("bench-fed", ly.data);
	}
	fb_plan_free(&p);
}

/* ---- setup --------------------------------------------------------------- */

static void
fb_node_ep(const struct ld_topo *t, const char *id, char *ep, size_t cap,
    uint8_t key[LD_KEY_BYTES])
{
	int n = topo_node(t, id);

	if (n < 0 || !t->nodes[n].running)
		fb_die("the topology has no running node %s", id);
	snprintf(ep, cap, "%s", t->nodes[n].client);
	if (zmq_z85_decode(key, t->nodes[n].public_key) == NULL)
		fb_die("node %s: public key is not Z85", id);
}

static void
fb_setup(struct fb_cfg *cfg)
{
	struct ld_topo *t;
	struct ld_err err;
	int city, county;

	if (bench_workdir("liandong-bench-fed", cfg->dir, sizeof(cfg->dir),
	    &err) != 0)
		fb_die("%s", err.msg);
	snprintf(fb_dir_shown, sizeof(fb_dir_shown), "%s", cfg->dir);
	if (bench_topology(cfg->bindir, cfg->dir, cfg->o.topology, cfg->o.port,
	    cfg->topo, sizeof(cfg->topo), &t, &err) != 0)
		fb_die("%s", err.msg);
	fb_node_ep(t, FB_CITY, cfg->ep_city, sizeof(cfg->ep_city),
	    cfg->key_city);
	fb_node_ep(t, FB_COUNTY, cfg->ep_county, sizeof(cfg->ep_county),
	    cfg->key_county);
	city = topo_node(t, FB_CITY);
	county = topo_node(t, FB_COUNTY);
	if (t->nodes[county].parent != city || t->nodes[city].peer[0] == '\0')
		fb_die("%s: %s is not a child of %s with a peer endpoint",
		    cfg->topo, FB_COUNTY, FB_CITY);
	topo_free(t);
	if (bench_read_key(cfg->dir, FB_ADMIN_CITY, &cfg->admin_city, &err) ||
	    bench_read_key(cfg->dir, FB_ADMIN_COUNTY, &cfg->admin_county, &err))
		fb_die("%s", err.msg);
}

/* ---- output -------------------------------------------------------------- */

static double
fb_ratio(const struct fb_result *r)
{
	return r->local_rate > 0 ? r->rate_link / r->local_rate : 0;
}

static bool
fb_ratio_met(const struct fb_result *r)
{
	return r->complete && fb_ratio(r) >= FB_TARGET_RATIO;
}

static bool
fb_catchup_met(const struct fb_result *r)
{
	return r->complete && r->catchup_link_s < FB_TARGET_CATCHUP_S;
}

/* "met", "NOT met", or "-" when the target is not for this backlog. */
static const char *
fb_targets_text(const struct fb_result *r, char *buf, size_t cap)
{
	if (!r->complete)
		snprintf(buf, cap, "INCOMPLETE");
	else if (r->scale == 1)
		snprintf(buf, cap, "%s", fb_catchup_met(r) && fb_ratio_met(r) ?
		    "yes" : !fb_catchup_met(r) && !fb_ratio_met(r) ? "no" :
		    !fb_catchup_met(r) ? "no (time)" : "no (ratio)");
	else
		snprintf(buf, cap, "%s", fb_ratio_met(r) ? "yes (ratio)" :
		    "no (ratio)");
	return buf;
}

static bool
fb_all_ok(const struct fb_result *res, int n)
{
	for (int i = 0; i < n; i++)
		if (res[i].done && !res[i].checked)
			return false;
	return true;
}

static void
fb_print_table(const struct bench_machine *m, const struct fb_cfg *cfg,
    const struct fb_result *res, int n)
{
	char mline[1024], tg[32];

	bench_machine_line(m, true, mline, sizeof(mline));
	printf("liandong federation benchmark: county node %s -> city node %s "
	    "over CURVE on loopback\n          (both nodes on this machine); "
	    "every batch durable (LMDB, default sync)\n          before the "
	    "next pull\n", FB_COUNTY, FB_CITY);
	printf("machine:  %s\n", mline);
	printf("backlog:  six hours (%s to +6 h) of the article's peak day "
	    "(%d calls, %d linkage\n          requests a day) at %s, times "
	    "the scale: calls (received, answered,\n          classified) "
	    "and tickets with whole lives (%d events each), Chinese texts\n",
	    FB_CUT_START, FB_DAY_CALLS, FB_DAY_LINKAGE, FB_COUNTY, FB_STEPS);
	printf("local:    %s commits the backlog itself with store_commit, "
	    "%d events a commit\n          (a replication batch); commits "
	    "timed\n", FB_COUNTY, FB_BATCH);
	printf("catch-up: %s starts empty, then %s on the backlog; %s's "
	    "status polled every %d ms\n\n", FB_CITY, FB_COUNTY, FB_CITY,
	    cfg->o.poll_ms);

	printf("%7s %8s %12s %12s %6s %22s %12s\n", "backlog", "events",
	    "local ev/s", "repl. ev/s", "ratio", "catch-up s start/link",
	    "targets met");
	for (int i = 0; i < n; i++) {
		const struct fb_result *r = &res[i];
		char who[16];

		if (!r->done)
			continue;
		snprintf(who, sizeof(who), "%dx", r->scale);
		printf("%7s %8" PRIu64 " %12.0f %12.0f %6.2f %10.3f / %9.3f "
		    "%12s\n", who, r->events, r->local_rate, r->rate_link,
		    fb_ratio(r), r->done_s, r->catchup_link_s,
		    fb_targets_text(r, tg, sizeof(tg)));
	}
	printf("(repl. ev/s and ratio: events / catch-up from link up, "
	    "beside the local commit rate)\n");

	printf("\n%7s %7s %8s %6s %8s %8s %7s %7s %7s %7s %7s\n",
	    "backlog", "calls", "tickets", "bytes", "XA ready", "link up",
	    "repl.", "local", "local", "LY CPU", "XA CPU");
	printf("%7s %7s %8s %6s %8s %8s %7s %7s %7s %7s %7s\n", "", "", "",
	    "/event", "s", "s", "ms/bat", "ms/bat", "CPU ms", "ms/bat", "s");
	for (int i = 0; i < n; i++) {
		const struct fb_result *r = &res[i];
		double batches = ceil((double)r->events / FB_BATCH);
		double commits = (double)(r->commits ? r->commits : 1);
		char who[16];

		if (!r->done)
			continue;
		snprintf(who, sizeof(who), "%dx", r->scale);
		printf("%7s %7" PRIu64 " %8" PRIu64 " %6.0f %8.3f %8.3f %7.2f "
		    "%7.2f %7.2f %7.2f %7.2f\n", who, r->calls, r->tickets,
		    r->avg_bytes, r->ready_s, r->link_s, r->catchup_link_s *
		    1e3 / batches, r->local_s * 1e3 / commits,
		    r->local_cpu_s * 1e3 / commits, r->city_cpu * 1e3 /
		    batches, r->county_cpu);
	}
	printf("(seconds from XA's start; per batch of %d events: repl. = "
	    "catch-up from link up / batches,\n local = XA's own commit, "
	    "and the CPU of it; LY CPU: the city node, all threads, from\n"
	    " XA's start to the poll that saw the last event (10 ms ticks); "
	    "XA CPU: the county node's\n whole run to then.  That poll's "
	    "resolution: %d ms plus a status round trip)\n", FB_BATCH,
	    cfg->o.poll_ms);

	printf("\ntargets:\n");
	for (int i = 0; i < n; i++) {
		const struct fb_result *r = &res[i];

		if (!r->done || !r->complete)
			continue;
		if (r->scale == 1)
			printf("  catch-up of the six-hour peak backlog < %.0f s "
			    "(from link up): %.3f s: %s\n",
			    FB_TARGET_CATCHUP_S, r->catchup_link_s,
			    fb_catchup_met(r) ? "met" : "NOT met");
		printf("  %dx: replication >= %.0f%% of the local commit rate: "
		    "%.0f%%: %s\n", r->scale, FB_TARGET_RATIO * 100,
		    fb_ratio(r) * 100, fb_ratio_met(r) ? "met" : "NOT met");
	}

	printf("\nchecks:\n");
	for (int i = 0; i < n; i++) {
		const struct fb_result *r = &res[i];

		if (!r->done)
			continue;
		printf("  %dx: LY holds %" PRIu64 " events, %" PRIu64 " tickets "
		    "(XA %" PRIu64 " events); refused frames %" PRIu64 ", kept "
		    "%" PRIu64 "; tickets equal on both nodes %d of %d; nodes "
		    "stopped %s: %s\n", r->scale, r->city_events,
		    r->city_tickets, r->county_events, r->refused, r->kept,
		    r->samples_equal, r->samples, r->city_exit == 0 &&
		    r->county_exit == 0 ? "cleanly" : "NOT cleanly",
		    r->checked ? "ok" : r->first_err);
	}
	if (!fb_all_ok(res, n))
		printf("THIS RUN IS FLAGGED: a check failed\n");
}

static void
fb_print_json(const struct bench_machine *m, const struct fb_cfg *cfg,
    const struct fb_result *res, int n)
{
	char mline[1024], fig[96], lv[16];

	bench_machine_line(m, true, mline, sizeof(mline));
	bench_json_text("fed", "machine", mline);
	bench_json_num("fed", "poll_ms", cfg->o.poll_ms, "ms", 0);
	for (int i = 0; i < n; i++) {
		const struct fb_result *r = &res[i];
		double batches = ceil((double)r->events / FB_BATCH);

		if (!r->done)
			continue;
		snprintf(lv, sizeof(lv), "%dx", r->scale);
#define FB_FIG(name) (snprintf(fig, sizeof(fig), "%s_%s", name, lv), fig)
		bench_json_num("fed", FB_FIG("backlog_events"),
		    (double)r->events, "events", 0);
		bench_json_num("fed", FB_FIG("backlog_tickets"),
		    (double)r->tickets, "tickets", 0);
		bench_json_num("fed", FB_FIG("avg_event_bytes"), r->avg_bytes,
		    "bytes", 0);
		bench_json_num("fed", FB_FIG("local_commit_events_per_s"),
		    r->local_rate, "events/s", 0);
		bench_json_num("fed", FB_FIG("replication_events_per_s"),
		    r->rate_link, "events/s", r->local_rate);
		bench_json_num("fed",
		    FB_FIG("replication_events_per_s_from_start"),
		    r->rate_start, "events/s", r->local_rate);
		bench_json_num("fed", FB_FIG("catchup_s_from_start"),
		    r->done_s, "s", 0);
		bench_json_num("fed", FB_FIG("catchup_s_from_link_up"),
		    r->catchup_link_s, "s", 0);
		bench_json_num("fed", FB_FIG("county_ready_s"), r->ready_s,
		    "s", 0);
		bench_json_num("fed", FB_FIG("link_up_s"), r->link_s, "s", 0);
		bench_json_num("fed", FB_FIG("ms_per_batch"),
		    r->catchup_link_s * 1e3 / batches, "ms",
		    r->local_s * 1e3 / (double)(r->commits ? r->commits : 1));
		bench_json_num("fed", FB_FIG("local_commit_cpu_ms_per_batch"),
		    r->local_cpu_s * 1e3 / (double)(r->commits ? r->commits :
		    1), "ms", 0);
		bench_json_num("fed", FB_FIG("city_cpu_s"), r->city_cpu, "s",
		    0);
		bench_json_num("fed", FB_FIG("county_cpu_s"), r->county_cpu,
		    "s", 0);
		if (r->scale == 1)
			bench_json_text("fed", FB_FIG("target_catchup_1s"),
			    fb_catchup_met(r) ? "met" : "NOT met");
		bench_json_text("fed", FB_FIG("target_ratio_0.5"),
		    fb_ratio_met(r) ? "met" : "NOT met");
		bench_json_num("fed", FB_FIG("tickets_equal"),
		    r->samples_equal, "tickets", r->samples);
		bench_json_text("fed", FB_FIG("check"), r->checked ? "ok" :
		    r->first_err);
#undef FB_FIG
	}
}

/* ---- arguments and main -------------------------------------------------- */

static void
fb_usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-fed [--json] [--scale N]... [--quick] [--port P] "
	    "[--poll MS]\n                 [--topology FILE] [--keep]\n"
	    "  City node LY catching up with county node XA's six-hour backlog "
	    "over CURVE,\n"
	    "  beside XA's own commit rate of the same events.\n"
	    "  --json           one JSON object per line instead of the table\n"
	    "  --scale N        a backlog of N times the peak rate (1..%d; "
	    "up to %d of them;\n"
	    "                   default 1 and 100)\n"
	    "  --quick          1 and 10\n"
	    "  --port P         LY's client port (default %d; the other "
	    "ports of the\n"
	    "                   topology move along, P-101 .. P+898)\n"
	    "  --poll MS        LY's status is polled every MS ms (1..100, "
	    "default %d)\n"
	    "  --topology FILE  the topology to rekey (default "
	    "topology.example)\n"
	    "  --keep           keep the work dir (keys, topology, data dirs, "
	    "logs)\n",
	    FB_SCALE_MAX, FB_MAX_SCALES, FB_PORT_DEFAULT, FB_POLL_MS_DEFAULT);
}

static void
fb_parse_args(int argc, char **argv, struct fb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = FB_PORT_DEFAULT;
	o->poll_ms = FB_POLL_MS_DEFAULT;
	o->topology = "topology.example";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		struct ld_err err;
		long n = 0;
		int rc = 0;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
			continue;
		} else if (strcmp(a, "--quick") == 0) {
			o->quick = true;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fb_usage(stdout);
			exit(0);
		} else if (strcmp(a, "--scale") != 0 &&
		    strcmp(a, "--port") != 0 && strcmp(a, "--poll") != 0 &&
		    strcmp(a, "--topology") != 0) {
			fprintf(stderr, "bench-fed: unknown argument '%s'\n", a);
			fb_usage(stderr);
			exit(2);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench-fed: %s needs a value\n", a);
			exit(2);
		}
		v = argv[++i];
		if (strcmp(a, "--scale") == 0) {
			if (o->n_scales == FB_MAX_SCALES) {
				fprintf(stderr, "bench-fed: at most %d --scale\n",
				    FB_MAX_SCALES);
				exit(2);
			}
			rc = bench_parse_long(a, v, 1, FB_SCALE_MAX, &n, &err);
			o->scales[o->n_scales++] = (int)n;
		} else if (strcmp(a, "--port") == 0) {
			rc = bench_parse_long(a, v, 1125, 65535 - 898, &n,
			    &err);
			o->port = (int)n;
		} else if (strcmp(a, "--poll") == 0) {
			rc = bench_parse_long(a, v, 1, 100, &n, &err);
			o->poll_ms = (int)n;
		} else if (v[0] == '\0') {
			fprintf(stderr, "bench-fed: --topology: empty path\n");
			exit(2);
		} else {
			o->topology = v;
		}
		if (rc != 0) {
			fprintf(stderr, "bench-fed: %s\n", err.msg);
			exit(2);
		}
	}
	if (o->n_scales > 0 && o->quick) {
		fprintf(stderr, "bench-fed: --quick and --scale exclude each "
		    "other\n");
		exit(2);
	}
	if (o->n_scales == 0) {
		o->scales[0] = 1;
		o->scales[1] = o->quick ? 10 : 100;
		o->n_scales = 2;
	}
}

/* Set up, measure, print; exit 1 if a replication did not complete, a
 * check failed or a node did not stop cleanly (never because of a speed). */
int
main(int argc, char **argv)
{
	static const char *const need[] = { "city-node", "county-node",
		"topology", NULL };
	static struct fb_cfg cfg;
	static struct fb_result res[FB_MAX_SCALES];
	struct bench_machine m;
	struct ld_err err;
	bool ok;

	fb_parse_args(argc, argv, &cfg.o);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		fb_die("sodium_init failed");
	if (bench_find_bindir(argv[0], need, cfg.bindir, sizeof(cfg.bindir),
	    &err) != 0)
		fb_die("%s", err.msg);
	fb_setup(&cfg);
	bench_machine_get(cfg.dir, &m);
	if (!cfg.o.json)
		fprintf(stderr, "work dir %s, LY %s, XA %s\n", cfg.dir,
		    cfg.ep_city, cfg.ep_county);
	cfg.zctx = zmq_ctx_new();
	if (cfg.zctx == NULL)
		fb_die("zmq_ctx_new: %s", zmq_strerror(errno));
	for (int i = 0; i < cfg.o.n_scales; i++)
		fb_run(&cfg, cfg.o.scales[i], &res[i]);
	zmq_ctx_term(cfg.zctx);
	keyfile_wipe(&cfg.admin_city);
	keyfile_wipe(&cfg.admin_county);
	if (cfg.o.json)
		fb_print_json(&m, &cfg, res, cfg.o.n_scales);
	else
		fb_print_table(&m, &cfg, res, cfg.o.n_scales);
	ok = fb_all_ok(res, cfg.o.n_scales);
	if (cfg.o.keep || !ok)
		fprintf(stderr, "work dir %s: %s\n", cfg.dir, cfg.o.keep ?
		    "kept" : "kept (a check failed; logs inside)");
	else
		bench_rm_tree("bench-fed", cfg.dir);
	return ok ? 0 : 1;
}
