/* sms.c - queue the SMS the log asks for; deliver in a thread. */
#include "sms.h"
#include "codec.h"
#include "log.h"
#include "ltime.h"
#include "utf8.h"
#include "views.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ld_sms {
	struct ld_store *s;
	struct ld_outbox *o;
	char node[LD_NODE_MAX + 1];
	int64_t fed_at;
	pthread_t th;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, kicked;
};

int
sms_body(char *buf, size_t cap, const char *ticket, const char *note)
{
	int n = snprintf(buf, cap, "【110联动】您反映的问题（%s）已办理：%s"
	    "。对处理结果是否满意？请回复1满意、2基本满意、3不满意。",
	    ticket, note);

	if (n < 0 || (size_t)n >= cap)
		return LD_ELIMIT;
	return LD_OK;
}

/* ---- the feed -------------------------------------------------------------- */

struct sms_feed_ctx {
	struct ld_sms *m;
	int64_t now;
	uint64_t last;		/* last index looked at */
	size_t queued;
	bool failed;
	struct ld_event ev;
};

/* Queue body for the caller of ticket tid, as message id; a number that
 * cannot be texted goes to dead/ with the reason.  0, or 1 when the disk
 * failed (the feed stops there and tries again later). */
static int
sms_queue(struct sms_feed_ctx *x, const char *tid, const char *id,
    const char *body)
{
	struct ld_ticket *t = malloc(sizeof(*t));
	struct ld_err err;
	int rc = 0;

	if (t == NULL) {
		x->failed = true;
		return 1;
	}
	if (store_get_ticket(x->m->s, tid, t, &err) != 0) {
		log_warn("sms", "%s: an SMS for it, but the ticket is "
		    "unreadable: %s", tid, err.msg);
	} else if (outbox_put(x->m->o, id, t->phone, body, x->now, &err) == 0) {
		x->queued++;
	} else if (err.code == LD_EINVAL) {
		/* no phone, or not one to send to: dead at once, with the
		 * reason, for an operator to see (never dropped) */
		char why[OUTBOX_WHY_MAX + 1];

		snprintf(why, sizeof(why), "not sent: %s", t->phone[0] ?
		    "not a mobile number" : "the ticket has no phone number");
		log_warn("sms", "%s: %s (%s); in dead/", id, why, err.msg);
		int drc = outbox_put_dead(x->m->o, id, t->phone, body, why,
		    x->now, &err);

		if (drc == LD_EINVAL) {
			log_error("sms", "%s: cannot be kept, skipped: %s", id,
			    err.msg);
		} else if (drc != 0) {
			log_error("sms", "%s: not kept: %s", id, err.msg);
			x->failed = true;
			rc = 1;		/* the disk: again at the next feed */
		}
	} else {
		/* the disk: try again at the next feed */
		log_error("sms", "%s: not queued: %s", id, err.msg);
		x->failed = true;
		rc = 1;
	}
	free(t);
	return rc;
}

/* The tickets attached to an incident (for an SMS announcement). */
struct sms_att {
	struct sms_feed_ctx *x;
	const char *origin;
	uint64_t seq;
	const char *body;
	int rc;
};

static int
sms_att_cb(const uint8_t *key, size_t len, void *arg)
{
	struct sms_att *a = arg;
	char tid[LD_TICKET_MAX + 1], id[OUTBOX_ID_MAX + 1];

	if (!views_key_ticket(key, len, tid))
		return 0;
	snprintf(id, sizeof(id), "%s.%s.%llu", tid, a->origin,
	    (unsigned long long)a->seq);
	a->rc = sms_queue(a->x, tid, id, a->body);
	return a->rc;
}

/* Does ev ask for SMS: a report by SMS (to its caller), or an
 * announcement on the "sms" channel (to every caller of the incident)? */
static bool
sms_asks(const struct ld_event *ev, bool *report)
{
	*report = ev->kind == LD_EV_REPORTED && event_has(ev, LD_F_METHOD) &&
	    ev->method == LD_METHOD_SMS;
	return *report || (ev->kind == LD_EV_ANNOUNCED &&
	    strcmp(ev->channel, "sms") == 0);
}

/*
 * One applied event: a report by SMS is sent to the ticket's caller; an
 * announcement on the "sms" channel to the caller of the incident's lead
 * ticket and of every ticket attached to it.
 */
static int
sms_feed_cb(uint64_t idx, const char *origin, uint64_t seq,
    const uint8_t *buf, size_t len, void *arg)
{
	struct sms_feed_ctx *x = arg;
	struct ld_err err;
	char id[OUTBOX_ID_MAX + 1], body[OUTBOX_BODY_MAX + 1];
	bool report, news;

	if (strcmp(origin, x->m->node) != 0) {
		x->last = idx;
		return 0;
	}
	if (codec_event_decode(buf, len, &x->ev, &err) != 0) {
		log_warn("sms", "event %s/%llu unreadable, skipped: %s", origin,
		    (unsigned long long)seq, err.msg);
		x->last = idx;
		return 0;
	}
	news = sms_asks(&x->ev, &report) && !report;
	if (!report && !news) {
		x->last = idx;
		return 0;
	}
	snprintf(id, sizeof(id), "%s.%s.%llu", x->ev.ticket, origin,
	    (unsigned long long)seq);
	if (report) {
		if (sms_body(body, sizeof(body), x->ev.ticket, x->ev.note) != 0 &&
		    sms_body(body, sizeof(body), x->ev.ticket, "见工单") != 0)
			snprintf(body, sizeof(body), "%s", x->ev.ticket);
		utf8_trim(body);
	} else if ((size_t)snprintf(body, sizeof(body), "【110联动公告】%s",
	    x->ev.text) >= sizeof(body)) {
		utf8_trim(body);	/* cut at a character */
	}
	if (sms_queue(x, x->ev.ticket, id, body) != 0)
		return 1;
	if (news) {
		struct sms_att a = { x, origin, seq, body, 0 };
		char prefix[LD_TICKET_MAX + 1];

		snprintf(prefix, sizeof(prefix), "%s", x->ev.ticket);
		if (store_scan(x->m->s, "by_incident", prefix,
		    strlen(prefix) + 1, sms_att_cb, &a, &err) != 0 || a.rc)
			return 1;
	}
	x->last = idx;
	return 0;
}

size_t
sms_feed(struct ld_sms *m, int64_t now)
{
	struct sms_feed_ctx *x = calloc(1, sizeof(*x));
	struct ld_err err;
	size_t queued;

	if (x == NULL)
		return 0;
	x->m = m;
	x->now = now;
	x->last = outbox_cursor(m->o);
	m->fed_at = now;
	if (store_applied_after(m->s, x->last, sms_feed_cb, x, &err) != 0)
		log_error("sms", "reading the log: %s", err.msg);
	if (x->last > outbox_cursor(m->o) &&
	    outbox_set_cursor(m->o, x->last, &err) != 0)
		log_error("sms", "outbox cursor: %s", err.msg);
	queued = x->queued;
	free(x);
	return queued;
}

bool
sms_wanted(const struct ld_store_item *items, size_t n)
{
	bool report;

	for (size_t i = 0; i < n; i++)
		if (items[i].rc == 0 && sms_asks(items[i].ev, &report))
			return true;
	return false;
}

void
sms_kick(struct ld_sms *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->kicked = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/* ---- the thread: feed, deliver, sleep ---------------------------------------- */

static void *
sms_thread(void *arg)
{
	struct ld_sms *m = arg;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		int64_t next, wait, now = ltime_now();
		unsigned ok = 0, bad = 0;
		struct timespec ts;
		bool feed = m->kicked || now - m->fed_at >= SMS_FEED_EVERY_MS;

		m->kicked = false;
		pthread_mutex_unlock(&m->mu);
		if (feed)
			sms_feed(m, now);
		next = outbox_run(m->o, ltime_now(), &ok, &bad);
		if (ok > 0 || bad > 0)
			log_info("sms", "%u delivered, %u failed (retried "
			    "later or dead)", ok, bad);
		pthread_mutex_lock(&m->mu);
		if (m->stop || m->kicked)
			continue;
		/* until the next try is due, a message is queued, or at most
		 * SMS_WAKE_MS (a dead message brought back by an operator is
		 * tried within that) */
		wait = next > 0 ? next - ltime_now() : SMS_WAKE_MS;
		if (wait > SMS_WAKE_MS)
			wait = SMS_WAKE_MS;
		if (wait < 10)
			wait = 10;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->cv, &m->mu, &ts);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int
sms_start(struct ld_sms **out, struct ld_store *s, const char *node,
    const char *dir, const char *command, struct ld_err *err)
{
	struct ld_outbox_opts oo = { .dir = dir, .command = command };
	struct ld_sms *m = calloc(1, sizeof(*m));
	pthread_condattr_t ca;
	sigset_t all, old;
	size_t counts[3];
	int rc;

	*out = NULL;
	if (m == NULL)
		return err_set(err, LD_ENOMEM, "sms: out of memory");
	m->s = s;
	snprintf(m->node, sizeof(m->node), "%s", node);
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = outbox_open(&m->o, &oo, err)) != LD_OK) {
		sms_stop(m);
		return rc;
	}
	/* a spool that is new (or was wiped) beside a store with history:
	 * start at the end of the log, not by sending every past report */
	outbox_counts(m->o, counts);
	if (outbox_cursor(m->o) == 0 && counts[0] + counts[1] + counts[2] == 0 &&
	    store_applied_last(s) > 0) {
		uint64_t last = store_applied_last(s);

		log_warn("sms", "%s: a new outbox beside a log of %llu events: "
		    "reports made before now are not sent by SMS", dir,
		    (unsigned long long)last);
		if ((rc = outbox_set_cursor(m->o, last, err)) != LD_OK) {
			sms_stop(m);
			return rc;
		}
	}
	m->fed_at = 0;	/* the thread feeds at once */
	/* the thread takes no signal: the node's main thread does */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&m->th, NULL, sms_thread, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sms_stop(m);
		return err_set(err, LD_EIO, "sms: cannot start the delivery "
		    "thread");
	}
	m->running = true;
	*out = m;
	return LD_OK;
}

void
sms_stop(struct ld_sms *m)
{
	if (m == NULL)
		return;
	if (m->running) {
		outbox_interrupt(m->o);	/* a command running is killed */
		pthread_mutex_lock(&m->mu);
		m->stop = true;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->th, NULL);
	}
	outbox_close(m->o);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}

struct ld_outbox *
sms_outbox(struct ld_sms *m)
{
	return m != NULL ? m->o : NULL;
}
