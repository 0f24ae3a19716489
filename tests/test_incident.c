/*
 * test_incident.c - the article's 2011-11-16 case end to end on a running
 * federation (LY and XA), in simulated time (LD_CLOCK_OFFSET_MS puts the
 * nodes' clocks at the article's hours): shortly after 11:00 a cable
 * junction box explodes and cuts the power of the Guanlin water plant;
 * most of the new district loses water.
 *
 *   11:05  the first call: a ticket of category power.waterplant; its
 *          plan (waterplant) starts by itself: power and water dispatched
 *          at once, the report to the city government made;
 *   11:10  the public is told (platform, SMS, forum);
 *          20 further callers: tickets attached to the incident, not
 *          dispatched again;
 *          Xin'an starts a plan of its own on a ticket of its own: the
 *          city sees it live; a plan Xin'an cannot carry out (the city's
 *          units) escalates the ticket, and the city starts it;
 *          The SMS gateway is down all morning: every message waits.
 *          The city announces on the ticket it took over from Xin'an:
 *          Xin'an's own feed shows it.
 *   15:30  power is back (the nodes restarted at 15:30, the gateway up
 *          again: what waited goes out): both units
 *          complete; the incident is closed with a summary: announced,
 *          reported to the government, told to all 21 callers by SMS
 *          (the outbox delivers it); every caller is called back;
 *          the timeline lists everything in order; the Atom feed served
 *          over HTTP holds the two announcements.
 */
#include "testnet.h"
#include "testmp.h"
#include "ltime.h"
#include "proto.h"
#include "report.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#define N_CALLERS 20

struct inc {
	struct tn net;
	struct tn_node ly, xa;
	char out[300], cmd[400], http[64], xa_http[64], dir_sms[300];
	const char *sms;	/* the SMS command of this start */
	int http_port;
	char lead[LD_TICKET_MAX + 1];
	char att[N_CALLERS + 1][LD_TICKET_MAX + 1];	/* [N]: a second
						 * call of the plan's category */
	uint8_t res[LD_PROTO_REPLY_MAX];	/* the last result, kept */
};

/* The wall clock, not the process's ltime_now (which reads the offset
 * variable once). */
static int64_t
real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start LY (with SMS and HTTP) and XA with their clocks at local time
 * `at`. */
static void
inc_start(struct inc *s, const char *at)
{
	const char *ly_args[] = { "--sms-command", s->sms, "--http", s->http,
		NULL };
	const char *xa_args[] = { "--http", s->xa_http, NULL };
	char off[32];

	snprintf(off, sizeof(off), "%lld",
	    (long long)(ltime_parse(at) - real_now()));
	setenv("LD_CLOCK_OFFSET_MS", off, 1);
	assert_true(tn_start(&s->net, &s->ly, "LY", ly_args));
	assert_true(tn_start(&s->net, &s->xa, "XA", xa_args));
	unsetenv("LD_CLOCK_OFFSET_MS");
}

static void
inc_stop(struct inc *s)
{
	assert_int_equal(tn_stop(&s->ly, SIGTERM), 0);
	assert_int_equal(tn_stop(&s->xa, SIGTERM), 0);
}

/* Call op on node as client; the result into *u; must succeed. */
static void
inc_call(struct inc *s, const char *node, const char *who,
    struct ld_request *r, msgpack_unpacked *u)
{
	struct ld_client *c = tn_client(&s->net, node, who, 5000);
	struct ld_reply rep;
	struct ld_err err;

	assert_non_null(c);
	if (client_call(c, r, &rep, &err) != 0)
		fail_msg("%s: %s", proto_op_name(r->op), err.msg);
	if (!rep.ok)
		fail_msg("%s by %s at %s: %s %s", proto_op_name(r->op), who,
		    node, rep.code, rep.message);
	/* the result lives in the client's buffer: keep a copy */
	assert_true(rep.result_len <= sizeof(s->res));
	memcpy(s->res, rep.result, rep.result_len);
	client_close(c);
	msgpack_unpacked_init(u);
	assert_int_equal(msgpack_unpack_next(u, (const char *)s->res,
	    rep.result_len, NULL), MSGPACK_UNPACK_SUCCESS);
}

/* Call op at node as who: it must fail with a message holding want. */
static void
inc_fail(struct inc *s, const char *node, const char *who,
    struct ld_request *r, const char *want)
{
	struct ld_client *c = tn_client(&s->net, node, who, 5000);
	struct ld_reply rep;
	struct ld_err err;

	(void)s;
	assert_non_null(c);
	assert_int_equal(client_call(c, r, &rep, &err), 0);
	assert_false(rep.ok);
	if (strstr(rep.message, want) == NULL)
		fail_msg("%s: got '%s', want '%s'", proto_op_name(r->op),
		    rep.message, want);
	client_close(c);
}

static void
rq(struct ld_request *r, enum ld_op op, const char *ticket)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	if (ticket != NULL) {
		snprintf(r->ticket, sizeof(r->ticket), "%s", ticket);
		r->q_present |= 1u << LD_Q_TICKET;
	}
}

static void
inc_create(struct inc *s, const char *node, const char *who,
    const char *category, const char *area, const char *phone,
    const char *text, const char *incident, char *id)
{
	struct ld_request r;
	msgpack_unpacked u;

	rq(&r, LD_OP_TICKET_CREATE, NULL);
	event_set_str(&r.args, LD_F_PHONE, phone);
	event_set_str(&r.args, LD_F_PLACE, "洛龙区开元大道以南");
	event_set_str(&r.args, LD_F_AREA, area);
	event_set_str(&r.args, LD_F_CATEGORY, category);
	event_set_uint(&r.args, LD_F_URGENCY, 1);
	event_set_str(&r.args, LD_F_TEXT, text);
	if (incident != NULL)
		event_set_str(&r.args, LD_F_INCIDENT, incident);
	inc_call(s, node, who, &r, &u);
	tm_str(&u.data, "ticket.id", id, LD_TICKET_MAX + 1);
	msgpack_unpacked_destroy(&u);
}

static void
inc_wo(struct inc *s, const char *who, enum ld_op op, unsigned wo)
{
	struct ld_request r;
	msgpack_unpacked u;

	rq(&r, op, s->lead);
	event_set_uint(&r.args, LD_F_WO, wo);
	if (op == LD_OP_WO_COMPLETE)
		event_set_str(&r.args, LD_F_RESULT, "15:30 供电恢复");
	inc_call(s, "LY", who, &r, &u);
	msgpack_unpacked_destroy(&u);
}

/* Poll node until ticket id shows field path == want (replication). */
static bool
inc_seen(struct inc *s, const char *node, const char *who, const char *id,
    const char *path, const char *want)
{
	char buf[64];

	for (int i = 0; i < 100; i++) {
		struct ld_client *c = tn_client(&s->net, node, who, 5000);
		struct ld_request r;
		struct ld_reply rep;
		struct ld_err err;
		msgpack_unpacked u;
		bool ok = false;

		assert_non_null(c);
		rq(&r, LD_OP_TICKET_SHOW, id);
		assert_int_equal(client_call(c, &r, &rep, &err), 0);
		if (rep.ok) {
			msgpack_unpacked_init(&u);
			msgpack_unpack_next(&u, (const char *)rep.result,
			    rep.result_len, NULL);
			ok = tm_at(&u.data, path) != NULL &&
			    strcmp(tm_str(&u.data, path, buf, sizeof(buf)),
			    want) == 0;
			msgpack_unpacked_destroy(&u);
		}
		client_close(c);
		if (ok)
			return true;
		usleep(100000);
	}
	return false;
}

/* GET path from LY's HTTP endpoint: the whole response (free it). */
static char *
inc_http_get_port(int port, const char *path);

static char *
inc_http_get(struct inc *s, const char *path)
{
	return inc_http_get_port(s->http_port, path);
}

static char *
inc_http_get_port(int port, const char *path)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char req[200], *buf = malloc(1 << 20);
	size_t n = 0;
	ssize_t k;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0 && buf != NULL);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n\r\n", path);
	assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while ((k = read(fd, buf + n, (1 << 20) - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
t_waterplant_2011_11_16(void **state)
{
	struct inc *s = calloc(1, sizeof(*s));
	struct ld_request r;
	msgpack_unpacked u;
	char buf[256], path[160], xa_id[LD_TICKET_MAX + 1];
	char *feed;
	long n;

	(void)state;
	tn_init(&s->net);
	snprintf(s->out, sizeof(s->out), "%s/sms", s->net.dir);
	assert_int_equal(mkdir(s->out, 0700), 0);
	snprintf(s->cmd, sizeof(s->cmd), "{ cat; echo; } >> '%s'/\"$1\".txt",
	    s->out);
	s->http_port = s->net.port_base + 950;
	snprintf(s->http, sizeof(s->http), "127.0.0.1:%d", s->http_port);
	snprintf(s->xa_http, sizeof(s->xa_http), "127.0.0.1:%d",
	    s->http_port + 1);
	/* in the morning the SMS gateway is down: every message waits */
	s->sms = "echo 短信网关故障 >&2; exit 1";

	/* 11:05: the first call; the plan starts with the ticket */
	inc_start(s, "2011-11-16 11:05");
	inc_create(s, "LY", "op-ly-wang", "power.waterplant", "luolong",
	    "13903790000", "关林水厂电缆接头爆炸停电，新区大面积停水", NULL,
	    s->lead);
	rq(&r, LD_OP_TICKET_SHOW, s->lead);
	inc_call(s, "LY", "op-ly-wang", &r, &u);
	assert_string_equal(tm_str(&u.data, "ticket.plan", buf, sizeof(buf)),
	    "waterplant");
	n = tm_len(&u.data, "ticket.work_orders");
	assert_int_equal(n, 2);		/* power and water, at once */
	/* with the plan's own deadlines: sign in 10 min, restore in 6 h */
	for (long i = 0; i < n; i++) {
		uint64_t d;

		snprintf(path, sizeof(path), "ticket.work_orders.%ld.dispatched",
		    i);
		d = tm_uint(&u.data, path);
		snprintf(path, sizeof(path), "ticket.work_orders.%ld.due_sign",
		    i);
		assert_int_equal(tm_uint(&u.data, path) - d, 600000);
		snprintf(path, sizeof(path), "ticket.work_orders.%ld.due_done",
		    i);
		assert_int_equal(tm_uint(&u.data, path) - d, 6 * 3600000);
	}
	{
		bool gov = false, plan = false;

		for (long i = 0; i < tm_len(&u.data, "history"); i++) {
			snprintf(path, sizeof(path), "history.%ld.kind", i);
			tm_str(&u.data, path, buf, sizeof(buf));
			gov |= strcmp(buf, "gov.reported") == 0;
			plan |= strcmp(buf, "plan.activated") == 0;
		}
		assert_true(gov && plan);
	}
	msgpack_unpacked_destroy(&u);

	/* 11:10: the units sign; the public is told */
	inc_wo(s, "unit-power", LD_OP_WO_SIGN, 1);
	inc_wo(s, "unit-water", LD_OP_WO_SIGN, 2);
	rq(&r, LD_OP_INCIDENT_ANNOUNCE, s->lead);
	event_set_str(&r.args, LD_F_TEXT, "关林水厂因电缆接头爆炸停电，新区大面积"
	    "停水。供电公司正在抢修，水务集团已派出送水车。");
	inc_call(s, "LY", "op-ly-wang", &r, &u);
	msgpack_unpacked_destroy(&u);
	/* the outage reaches into Xin'an: an announcement about its area
	 * (one that is not in the topology is refused) */
	rq(&r, LD_OP_INCIDENT_ANNOUNCE, s->lead);
	event_set_str(&r.args, LD_F_TEXT, "受关林水厂停电影响，新安县城东片区"
	    "水压降低，请居民储水。");
	event_set_str(&r.args, LD_F_CHANNEL, "platform");
	event_set_str(&r.args, LD_F_AREA, "atlantis");
	inc_fail(s, "LY", "op-ly-wang", &r, "args.area: area 'atlantis' is "
	    "not in the topology");
	event_set_str(&r.args, LD_F_AREA, "xinan");
	inc_call(s, "LY", "op-ly-wang", &r, &u);
	msgpack_unpacked_destroy(&u);

	/* a further call recorded as usual: the reply suggests the open
	 * incident of its area */
	rq(&r, LD_OP_TICKET_CREATE, NULL);
	event_set_str(&r.args, LD_F_PHONE, "13903790999");
	event_set_str(&r.args, LD_F_PLACE, "洛龙区");
	event_set_str(&r.args, LD_F_AREA, "luolong");
	event_set_str(&r.args, LD_F_CATEGORY, "water.cut");
	event_set_uint(&r.args, LD_F_URGENCY, 2);
	event_set_str(&r.args, LD_F_TEXT, "停水");
	inc_call(s, "LY", "op-ly-li", &r, &u);
	assert_int_equal(tm_len(&u.data, "incidents"), 1);
	assert_string_equal(tm_str(&u.data, "incidents.0.id", buf,
	    sizeof(buf)), s->lead);
	msgpack_unpacked_destroy(&u);

	/* a second call of the plan's category in the same area joins the
	 * incident: no second plan, no second report to the government */
	{
		char *again = s->att[N_CALLERS];

		inc_create(s, "LY", "op-ly-li", "power.waterplant", "luolong",
		    "13903790998", "新区停电停水", NULL, again);
		rq(&r, LD_OP_TICKET_SHOW, again);
		inc_call(s, "LY", "op-ly-li", &r, &u);
		assert_string_equal(tm_str(&u.data, "ticket.incident", buf,
		    sizeof(buf)), s->lead);
		assert_int_equal(tm_len(&u.data, "ticket.work_orders"), 0);
		msgpack_unpacked_destroy(&u);
	}
	/* another incident with a text of 2,000 bytes (UTF-8 throughout):
	 * the government report and the SMS are cut at a character, and
	 * SMS keep flowing */
	{
		char text[LD_TEXT_MAX + 1], other[LD_TICKET_MAX + 1], file[400];
		size_t o = 0;
		struct stat st;
		int k;

		while (o + 3 <= 1998)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "停");
		text[o++] = 'A';
		text[o++] = 'A';
		text[o] = '\0';
		inc_create(s, "LY", "op-ly-wang", "power.waterplant", "xigong",
		    "13903790997", text, NULL, other);
		rq(&r, LD_OP_INCIDENT_ANNOUNCE, other);
		event_set_str(&r.args, LD_F_TEXT, text);
		event_set_str(&r.args, LD_F_CHANNEL, "sms");
		inc_call(s, "LY", "op-ly-wang", &r, &u);
		msgpack_unpacked_destroy(&u);
		/* the gateway is down: the message waits, nothing is sent */
		snprintf(file, sizeof(file), "%s/13903790997.txt", s->out);
		(void)k;
		assert_true(stat(file, &st) != 0);
	}

	/* 20 further callers: attached, not dispatched */
	for (int i = 0; i < N_CALLERS; i++) {
		char phone[32];

		snprintf(phone, sizeof(phone), "139037901%02d", i);
		inc_create(s, "LY", "op-ly-li", "water.cut", "luolong", phone,
		    "家里停水了", s->lead, s->att[i]);
	}
	rq(&r, LD_OP_TICKET_SHOW, s->att[7]);
	inc_call(s, "LY", "op-ly-li", &r, &u);
	assert_string_equal(tm_str(&u.data, "ticket.state", buf, sizeof(buf)),
	    "new");
	assert_int_equal(tm_len(&u.data, "ticket.work_orders"), 0);
	msgpack_unpacked_destroy(&u);

	/* Xin'an starts its own plan (its own units): the city sees it */
	inc_create(s, "XA", "op-xa-zhao", "water.mass", "xinan", "13703790009",
	    "县城大面积停水", NULL, xa_id);
	rq(&r, LD_OP_TICKET_SHOW, xa_id);
	inc_call(s, "XA", "op-xa-zhao", &r, &u);
	assert_string_equal(tm_str(&u.data, "ticket.plan", buf, sizeof(buf)),
	    "xa-water");
	msgpack_unpacked_destroy(&u);
	assert_true(inc_seen(s, "LY", "op-ly-wang", xa_id, "ticket.plan",
	    "xa-water"));
	/* a plan that needs the city's units, at Xin'an: escalated; the
	 * city takes it over and starts the plan there */
	inc_create(s, "XA", "op-xa-zhao", "power.waterplant", "xinan",
	    "13703790010", "县水厂停电", NULL, xa_id);
	rq(&r, LD_OP_TICKET_SHOW, xa_id);
	inc_call(s, "XA", "op-xa-zhao", &r, &u);
	assert_string_equal(tm_str(&u.data, "ticket.transfer_to", buf,
	    sizeof(buf)), "LY");
	assert_int_equal(tm_len(&u.data, "ticket.work_orders"), 0);
	msgpack_unpacked_destroy(&u);
	assert_true(inc_seen(s, "LY", "op-ly-wang", xa_id, "ticket.transfer_to",
	    "LY"));
	rq(&r, LD_OP_TRANSFER_ACCEPT, xa_id);
	inc_call(s, "LY", "op-ly-zhang", &r, &u);
	assert_string_equal(tm_str(&u.data, "ticket.plan", buf, sizeof(buf)),
	    "waterplant");
	/* the rule for Xin'an's area (xa.power, xa.water) and the plan's
	 * city units (power, water) */
	assert_int_equal(tm_len(&u.data, "ticket.work_orders"), 4);
	assert_string_equal(tm_str(&u.data, "ticket.work_orders.2.unit", buf,
	    sizeof(buf)), "power");
	msgpack_unpacked_destroy(&u);
	/* the city's announcement about Xin'an's area appears in Xin'an's
	 * own feed too */
	rq(&r, LD_OP_INCIDENT_ANNOUNCE, xa_id);
	event_set_str(&r.args, LD_F_TEXT, "新安县水厂停电，市供电公司正在抢修");
	event_set_str(&r.args, LD_F_CHANNEL, "platform");
	inc_call(s, "LY", "op-ly-zhang", &r, &u);
	msgpack_unpacked_destroy(&u);
	{
		char *xf = NULL;

		for (int i = 0; i < 100; i++) {
			free(xf);
			xf = inc_http_get_port(s->http_port + 1,
			    "/announcements.atom");
			if (strstr(xf, "新安县水厂停电") != NULL)
				break;
			usleep(100000);
		}
		assert_non_null(strstr(xf, "application/atom+xml"));
		assert_non_null(strstr(xf, "新安县水厂停电"));
		/* and the one on the city's own ticket about Xin'an's
		 * area, but not the one about the city's area alone */
		assert_non_null(strstr(xf, "新安县城东片区水压降低"));
		assert_non_null(strstr(xf, "term=\"area:xinan\""));
		assert_null(strstr(xf, "新区大面积停水。供电公司正在抢修"));
		assert_null(strstr(xf, "term=\"area:luolong\""));
		free(xf);
	}
	inc_stop(s);

	/* the morning's messages are all still waiting */
	{
		char dir[400];
		struct stat st;

		snprintf(dir, sizeof(dir), "%s/13903790000.txt", s->out);
		assert_true(stat(dir, &st) != 0);
	}

	/* 15:30: power is back, and the SMS gateway too */
	s->sms = s->cmd;
	inc_start(s, "2011-11-16 15:30");
	inc_wo(s, "unit-power", LD_OP_WO_COMPLETE, 1);
	inc_wo(s, "unit-water", LD_OP_WO_COMPLETE, 2);
	/* the lead is told by the close, not by a bare report */
	{
		struct ld_client *c = tn_client(&s->net, "LY", "op-ly-wang",
		    5000);
		struct ld_reply rep;
		struct ld_err err;

		rq(&r, LD_OP_TICKET_REPORT, s->lead);
		event_set_str(&r.args, LD_F_NOTE, "已恢复");
		assert_int_equal(client_call(c, &r, &rep, &err), 0);
		assert_false(rep.ok);
		assert_string_equal(rep.code, "EREFUSED");
		assert_non_null(strstr(rep.message, "incident.close"));
		client_close(c);
	}
	rq(&r, LD_OP_INCIDENT_CLOSE, s->lead);
	event_set_str(&r.args, LD_F_TEXT, "15:30 供电恢复，关林水厂恢复供水，"
	    "新区供水逐步恢复正常。");
	inc_call(s, "LY", "op-ly-wang", &r, &u);
	assert_int_equal(tm_uint(&u.data, "left"), 0);
	assert_string_equal(tm_str(&u.data, "ticket.state", buf, sizeof(buf)),
	    "reported");
	msgpack_unpacked_destroy(&u);

	/* what waited since the morning goes out now: the 11:10
	 * announcement to the lead's caller, the long one to the other
	 * incident's caller */
	{
		char file[400], *text = NULL;

		snprintf(file, sizeof(file), "%s/13903790000.txt", s->out);
		for (int k = 0; k < 300; k++) {
			free(text);
			text = tu_slurp(file, NULL);
			if (text != NULL && strstr(text, "送水车") != NULL)
				break;
			usleep(50000);
		}
		assert_non_null(text);
		assert_non_null(strstr(text, "送水车"));
		free(text);
		snprintf(file, sizeof(file), "%s/13903790997.txt", s->out);
		text = NULL;
		for (int k = 0; k < 300 && text == NULL; k++) {
			text = tu_slurp(file, NULL);
			if (text == NULL)
				usleep(50000);
		}
		assert_non_null(text);
		assert_non_null(strstr(text, "停停停"));
		free(text);
	}

	/* every caller gets the result by SMS, about their own ticket (the
	 * messages are appended: the announcements came first) */
	for (int i = 0; i <= N_CALLERS; i++) {
		const char *id = i == N_CALLERS ? s->lead : s->att[i];
		char file[400], want[96], *text = NULL;

		if (i == N_CALLERS)
			snprintf(file, sizeof(file), "%s/13903790000.txt", s->out);
		else
			snprintf(file, sizeof(file), "%s/139037901%02d.txt",
			    s->out, i);
		snprintf(want, sizeof(want), "您反映的问题（%s）已办理：15:30 供电"
		    "恢复", id);
		for (int k = 0; k < 300; k++) {
			free(text);
			text = tu_slurp(file, NULL);
			if (text != NULL && strstr(text, want) != NULL &&
			    strstr(text, "【110联动公告】") != NULL)
				break;
			usleep(50000);
		}
		assert_non_null(text);
		assert_non_null(strstr(text, want));
		/* and the announcement of the close (the sms channel) */
		assert_non_null(strstr(text, "【110联动公告】"));
		free(text);
	}

	/* every attached caller is called back */
	for (int i = 0; i <= N_CALLERS; i++) {
		rq(&r, LD_OP_TICKET_CALLBACK, s->att[i]);
		event_set_uint(&r.args, LD_F_METHOD, LD_METHOD_SMS);
		event_set_uint(&r.args, LD_F_SATISFACTION, LD_SAT_SATISFIED);
		inc_call(s, "LY", "op-ly-li", &r, &u);
		assert_string_equal(tm_str(&u.data, "ticket.state", buf,
		    sizeof(buf)), "called_back");
		msgpack_unpacked_destroy(&u);
	}

	/* the timeline: in time order, with everything */
	rq(&r, LD_OP_INCIDENT_SHOW, s->lead);
	inc_call(s, "LY", "op-ly-wang", &r, &u);
	assert_int_equal(tm_len(&u.data, "attached"), N_CALLERS + 1);
	assert_true(tm_bool(&u.data, "complete"));
	{
		uint64_t last = 0;
		int attached = 0, announced = 0, gov = 0;

		for (long i = 0; i < tm_len(&u.data, "timeline"); i++) {
			uint64_t tm;

			snprintf(path, sizeof(path), "timeline.%ld.time", i);
			tm = tm_uint(&u.data, path);
			assert_true(tm >= last);
			last = tm;
			snprintf(path, sizeof(path), "timeline.%ld.kind", i);
			tm_str(&u.data, path, buf, sizeof(buf));
			attached += strcmp(buf, "attached") == 0;
			announced += strcmp(buf, "announced") == 0;
			gov += strcmp(buf, "gov.reported") == 0;
		}
		assert_int_equal(attached, N_CALLERS + 1);
		/* 11:10 on 3 channels; Xin'an's area on one; the close on
		 * sms once and on the 2 public channels for each of the 2
		 * areas (luolong, xinan) */
		assert_int_equal(announced, 3 + 1 + 1 + 2 * 2);
		assert_int_equal(gov, 2);	/* the first report, the close */
	}
	msgpack_unpacked_destroy(&u);

	/* the day's figures count the incidents and the attached calls: at
	 * LY the water plant, the long text's, and the one LY took over
	 * from Xin'an; Xin'an's own (replicated here) */
	{
		struct ld_report *rep = malloc(sizeof(*rep));
		struct ld_client *c = tn_client(&s->net, "LY", "op-ly-wang",
		    5000);
		struct ld_reply rp;
		struct ld_err err;

		assert_non_null(rep);
		rq(&r, LD_OP_REPORT, NULL);
		snprintf(r.day, sizeof(r.day), "2011-11-16");
		snprintf(r.day_to, sizeof(r.day_to), "2011-11-16");
		r.q_present |= 1u << LD_Q_DAY | 1u << LD_Q_DAY_TO;
		assert_int_equal(client_call(c, &r, &rp, &err), 0);
		assert_true(rp.ok);
		assert_int_equal(report_decode(rp.result, rp.result_len, rep,
		    &err), 0);
		assert_int_equal(rep->total.incidents, 4);
		assert_int_equal(rep->total.attached, N_CALLERS + 1);
		/* one closed (the water plant's), 11:05 to 15:30: 265 min */
		assert_int_equal(rep->total.incidents_closed, 1);
		assert_in_range(rep->total.incident_minutes, 264, 266);
		assert_int_equal(report_incident_hours(&rep->total), 44);
		client_close(c);
		free(rep);
	}

	/* the public feed: Atom over HTTP: the 11:10 announcement, the one
	 * about Xin'an's area, the close (one entry per announcement, the
	 * sms channel left out) */
	feed = inc_http_get(s, "/announcements.atom");
	assert_non_null(strstr(feed, "HTTP/1.1 200"));
	assert_non_null(strstr(feed, "application/atom+xml"));
	assert_non_null(strstr(feed, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
	snprintf(path, sizeof(path), "href=\"http://%s/announcements.atom\"",
	    s->http);
	assert_non_null(strstr(feed, path));	/* rel="self" */
	assert_int_equal(count(feed, "<entry>"), 5);
	assert_int_equal(count(feed, "</entry>"), 5);
	assert_non_null(strstr(feed, "新安县水厂停电"));
	assert_non_null(strstr(feed, "供电恢复"));
	assert_non_null(strstr(feed, "2011-11-16T07:30:"));	/* 15:30 +08 */
	assert_int_equal(count(feed, "term=\"area:luolong\""), 2);
	assert_int_equal(count(feed, "term=\"area:xinan\""), 3);
	free(feed);
	/* Xin'an's feed has the close too (about its area), and still
	 * nothing about the city's area alone */
	{
		char *xf = NULL;

		for (int i = 0; i < 100; i++) {
			free(xf);
			xf = inc_http_get_port(s->http_port + 1,
			    "/announcements.atom");
			if (strstr(xf, "供电恢复") != NULL)
				break;
			usleep(100000);
		}
		assert_non_null(strstr(xf, "供电恢复"));
		assert_int_equal(count(xf, "<entry>"), 3);
		assert_null(strstr(xf, "term=\"area:luolong\""));
		free(xf);
	}
	feed = inc_http_get(s, "/nothing");
	assert_non_null(strstr(feed, "404"));
	free(feed);

	inc_stop(s);
	tn_fini(&s->net);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_waterplant_2011_11_16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
