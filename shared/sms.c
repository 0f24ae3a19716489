/* sms.c - queue the SMS the log asks for; deliver in a thread. */
#include "sms.h"
#include "codec.h"
#include "log.h"
#include "ltime.h"

#include <pthread.h>
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

static int
sms_feed_cb(uint64_t idx, const char *origin, uint64_t seq,
    const uint8_t *buf, size_t len, void *arg)
{
	struct sms_feed_ctx *x = arg;
	struct ld_ticket *t;
	struct ld_err err;
	char id[OUTBOX_ID_MAX + 1], body[OUTBOX_BODY_MAX + 1];

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
	if (x->ev.kind != LD_EV_REPORTED || !event_has(&x->ev, LD_F_METHOD) ||
	    x->ev.method != LD_METHOD_SMS) {
		x->last = idx;
		return 0;
	}
	t = malloc(sizeof(*t));
	if (t == NULL) {
		x->failed = true;
		return 1;
	}
	if (store_get_ticket(x->m->s, x->ev.ticket, t, &err) != 0) {
		log_warn("sms", "%s: report by SMS, but the ticket is "
		    "unreadable: %s", x->ev.ticket, err.msg);
		free(t);
		x->last = idx;
		return 0;
	}
	snprintf(id, sizeof(id), "%s.%s.%llu", x->ev.ticket, origin,
	    (unsigned long long)seq);
	if (t->phone[0] == '\0') {
		log_warn("sms", "%s: report by SMS, but the ticket has no "
		    "phone number; nothing sent", x->ev.ticket);
	} else if (sms_body(body, sizeof(body), x->ev.ticket, x->ev.note) != 0 &&
	    sms_body(body, sizeof(body), x->ev.ticket, "见工单") != 0) {
		log_warn("sms", "%s: message too long; nothing sent", id);
	} else if (outbox_put(x->m->o, id, t->phone, body, x->now, &err) != 0) {
		if (err.code == LD_EINVAL) {
			log_warn("sms", "%s: not queued: %s", id, err.msg);
		} else {
			/* the disk: try again at the next feed */
			log_error("sms", "%s: not queued: %s", id, err.msg);
			free(t);
			x->failed = true;
			return 1;
		}
	} else {
		x->queued++;
	}
	free(t);
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
	if (queued > 0) {
		pthread_mutex_lock(&m->mu);
		m->kicked = true;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
	}
	return queued;
}

bool
sms_wanted(const struct ld_store_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].rc == 0 && items[i].ev->kind == LD_EV_REPORTED &&
		    event_has(items[i].ev, LD_F_METHOD) &&
		    items[i].ev->method == LD_METHOD_SMS)
			return true;
	return false;
}

void
sms_tick(struct ld_sms *m, int64_t now)
{
	if (m != NULL && now - m->fed_at >= SMS_FEED_EVERY_MS)
		sms_feed(m, now);
}

/* ---- delivery -------------------------------------------------------------- */

static void *
sms_thread(void *arg)
{
	struct ld_sms *m = arg;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		int64_t next;
		unsigned ok = 0, bad = 0;
		struct timespec ts;

		m->kicked = false;
		pthread_mutex_unlock(&m->mu);
		next = outbox_run(m->o, ltime_now(), &ok, &bad);
		if (ok > 0 || bad > 0)
			log_info("sms", "%u delivered, %u failed (retried "
			    "later or dead)", ok, bad);
		pthread_mutex_lock(&m->mu);
		if (m->stop || m->kicked)
			continue;
		/* sleep until the next try is due (at most a minute) or a
		 * message is queued */
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wait = next > 0 ? next - ltime_now() : 60000;
		if (wait > 60000)
			wait = 60000;
		if (wait < 10)
			wait = 10;
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
	int rc;

	*out = NULL;
	if (m == NULL)
		return err_set(err, LD_ENOMEM, "sms: out of memory");
	m->s = s;
	snprintf(m->node, sizeof(m->node), "%s", node);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if ((rc = outbox_open(&m->o, &oo, err)) != LD_OK) {
		sms_stop(m);
		return rc;
	}
	sms_feed(m, ltime_now());
	if (pthread_create(&m->th, NULL, sms_thread, m) != 0) {
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
