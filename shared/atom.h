/*
 * atom.h - public announcements as an Atom 1.0 feed (RFC 4287), for the
 * platform's website, a forum or anyone to follow (issue 7).
 *
 * Pure: the caller gives the announcements (newest first), atom_write
 * renders the feed into a buffer.  Every text is escaped for XML; invalid
 * UTF-8 or control characters (other than tab, LF, CR) are replaced by
 * U+FFFD so the document is always well-formed.
 */
#ifndef LD_ATOM_H
#define LD_ATOM_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define ATOM_ENTRIES_MAX 200
#define ATOM_TITLE_MAX 200

/* One announcement (an `announced` event). */
struct ld_atom_entry {
	char origin[LD_NODE_MAX + 1];	/* the event's origin and seq: the */
	uint64_t seq;			/* entry's id (tag URI, below) */
	int64_t time_ms;		/* published / updated, UTC ms */
	char ticket[LD_TICKET_MAX + 1];	/* the incident (lead ticket) */
	char channel[LD_ID_MAX + 1];
	char area[LD_ID_MAX + 1];	/* "" if unknown */
	char title[ATOM_TITLE_MAX + 1];	/* first line of the text, cut */
	char text[LD_TEXT_MAX + 1];
};


/* The feed's own facts. */
struct ld_atom_feed {
	const char *node;	/* "LY": feed id tag:liandong,2011:LY/announcements */
	const char *title;	/* the node's name, e.g. 洛阳市110联动服务平台 */
	const char *self_url;	/* the feed's URL (rel="self"), or NULL */
	int64_t updated_ms;	/* newest entry's time (or now if none) */
};

/*
 * Render the feed: XML declaration, <feed xmlns="http://www.w3.org/2005/Atom">
 * with id, title, updated (RFC 3339, UTC "Z"), author (the node's name),
 * link rel="self" if self_url, then one <entry> per announcement with id
 * (tag:liandong,2011:ORIGIN/SEQ), title, updated, published, content
 * type="text", category term=CHANNEL, and category term="incident:TICKET"
 * (and term="area:AREA" when known).  Returns the length written (no NUL
 * counted; buf is NUL-terminated), or LD_ELIMIT if cap is too small.
 */
int atom_write(const struct ld_atom_feed *f, const struct ld_atom_entry *e,
    size_t n, char *buf, size_t cap);

/* "2011-11-16T03:05:00Z" for a UTC ms time (buf of at least 21 bytes). */
void atom_time(int64_t ms, char *buf, size_t cap);

#endif
