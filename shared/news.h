/*
 * news.h - the node's public announcements as an Atom feed (atom.h), read
 * from the store's announcements index: the newest NEWS_MAX, the "sms"
 * channel left out (those went to the callers' phones), one entry for an
 * announcement published on several channels at once.  Thread-safe (a
 * read snapshot per call): the HTTP thread calls it.
 */
#ifndef LD_NEWS_H
#define LD_NEWS_H

#include <stddef.h>

#include "err.h"
#include "store.h"
#include "topo.h"

#define NEWS_MAX 100

/* The feed of node self into *body (malloc'd, NUL-terminated) and *len. */
int news_feed(struct ld_store *s, const struct ld_topo *t, int self,
    const char *self_url, int64_t now, char **body, size_t *len,
    struct ld_err *err);

#endif
