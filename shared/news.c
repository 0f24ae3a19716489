/* news.c - the announcements feed from the store. */
#include "news.h"
#include "atom.h"
#include "log.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct news_ctx {
	uint8_t keys[NEWS_MAX * 2][8 + LD_NODE_MAX + 8];
	size_t n;
};

static int
news_key_cb(const uint8_t *key, size_t len, void *arg)
{
	struct news_ctx *x = arg;

	if (len != 8 + LD_NODE_MAX + 8)
		return 0;
	memcpy(x->keys[x->n++], key, len);
	return x->n >= NEWS_MAX * 2;
}

/* One entry from announced event ev about area; false if it is to be
 * left out. */
static bool
news_entry(const struct ld_event *ev, const char *area,
    struct ld_atom_entry *e, const struct ld_atom_entry *prev)
{
	if (strcmp(ev->channel, "sms") == 0)
		return false;
	/* the same announcement on another channel: one entry (about
	 * another area: an entry of its own, with its area) */
	if (prev != NULL && prev->time_ms == ev->time_ms &&
	    strcmp(prev->ticket, ev->ticket) == 0 &&
	    strcmp(prev->area, area) == 0 &&
	    strcmp(prev->text, ev->text) == 0)
		return false;
	memset(e, 0, sizeof(*e));
	snprintf(e->area, sizeof(e->area), "%s", area);
	memcpy(e->origin, ev->origin, sizeof(e->origin));
	e->seq = ev->seq;
	e->time_ms = ev->time_ms;
	memcpy(e->ticket, ev->ticket, sizeof(e->ticket));
	memcpy(e->channel, ev->channel, sizeof(e->channel));
	memcpy(e->text, ev->text, sizeof(e->text));
	return true;
}

int
news_feed(struct ld_store *s, const struct ld_topo *t, int self,
    const char *self_url, int64_t now, char **body, size_t *len,
    struct ld_err *err)
{
	struct news_ctx *x = calloc(1, sizeof(*x));
	struct ld_atom_entry *e = calloc(NEWS_MAX, sizeof(*e));
	struct ld_event *ev = malloc(sizeof(*ev));
	struct ld_ticket *tk = malloc(sizeof(*tk));
	struct ld_atom_feed f = { t->nodes[self].id, t->nodes[self].name,
		self_url, now };
	size_t n = 0, cap = 1 << 20;
	char *buf = NULL;
	int rc;

	*body = NULL;
	*len = 0;
	if (x == NULL || e == NULL || ev == NULL || tk == NULL) {
		rc = err_set(err, LD_ENOMEM, "feed: out of memory");
		goto out;
	}
	rc = store_scan_back(s, "announcements", "", 0, NULL, 0, news_key_cb,
	    x, err);
	for (size_t i = 0; rc == LD_OK && i < x->n && n < NEWS_MAX; i++) {
		char origin[LD_NODE_MAX + 1], area[LD_ID_MAX + 1];
		struct ld_err e2;

		memcpy(origin, x->keys[i] + 8, LD_NODE_MAX);
		origin[LD_NODE_MAX] = '\0';
		if (store_get_event(s, origin, views_get_u64(x->keys[i] + 8 +
		    LD_NODE_MAX), ev, &e2) != LD_OK) {
			/* the index names an event the log cannot give:
			 * left out of the feed, said in the log (a rebuild
			 * mends the index) */
			log_warn("news", "announcement %s/%llu: %s", origin,
			    (unsigned long long)views_get_u64(x->keys[i] + 8 +
			    LD_NODE_MAX), e2.msg);
			continue;
		}
		/* the area it names; an older announcement names none:
		 * its ticket's, if this node holds the ticket */
		if (event_has(ev, LD_F_AREA))
			snprintf(area, sizeof(area), "%s", ev->area);
		else if (store_get_ticket(s, ev->ticket, tk, &e2) == LD_OK)
			snprintf(area, sizeof(area), "%s", tk->area);
		else
			area[0] = '\0';
		if (news_entry(ev, area, &e[n], n > 0 ? &e[n - 1] : NULL))
			n++;
	}
	if (rc != LD_OK)
		goto out;
	if (n > 0)
		f.updated_ms = e[0].time_ms;
	for (;;) {
		int w;

		if ((buf = malloc(cap)) == NULL) {
			rc = err_set(err, LD_ENOMEM, "feed: out of memory");
			goto out;
		}
		w = atom_write(&f, e, n, buf, cap);
		if (w >= 0) {
			*body = buf;
			*len = (size_t)w;
			buf = NULL;
			break;
		}
		free(buf);
		buf = NULL;
		if (w != LD_ELIMIT || cap >= (64u << 20)) {
			rc = err_set(err, LD_ELIMIT, "feed: too large");
			goto out;
		}
		cap *= 4;
	}
out:
	free(buf);
	free(x);
	free(e);
	free(ev);
	free(tk);
	return rc;
}
