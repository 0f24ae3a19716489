/*
 * outbox.c - the SMS outbox (see outbox.h): the spool directory and its
 * message files, delivery by a child process, retries, dead letters and
 * the cursor.
 *
 * The spool directory DIR holds:
 *
 *   lock              flock'd by the one process that has the outbox open
 *                     (a second one gets LD_EBUSY, as the store does)
 *   cursor            the cursor, in decimal, one line
 *   new/ sent/ dead/  one file per message, named by its id
 *   tmp~NAME          (beside any of those) a file being written; '~' is
 *                     never in an id, so it is never taken for a message,
 *                     and outbox_open removes any a crash left behind
 *
 * Every change is one atomic step on the disk: a rewrite in place (write
 * tmp~ID, fsync, rename over ID, fsync of the directory) or a move from
 * one box to another (one rename, then fsync of both directories).  So a
 * message is always in exactly one box.  Delivery is at least once: a
 * crash between the command's exit and the move to sent/ sends it again.
 *
 * Threads: one mutex guards every step on the files and the cursor; the
 * command runs without it.  So outbox_put (and outbox_list, outbox_retry,
 * outbox_counts, the cursor calls) may be called from other threads while
 * outbox_run waits for a command; outbox_run itself is called from one
 * thread at a time.  A message being tried stays in new/ while its
 * command runs, so a put of its id meanwhile finds it there and leaves it.
 *
 * The child: the body goes to its stdin as a memfd (or an unlinked
 * O_TMPFILE in DIR) at offset 0, never a pipe we write, so a command that
 * does not read stdin cannot block the node or raise SIGPIPE; stdout goes
 * to /dev/null, stderr to a pipe we drain while we wait (keeping its first
 * line).  Between fork and exec the child makes only async-signal-safe
 * calls: setpgid(0, 0), default signal dispositions and an empty signal
 * mask (the node's threads block signals and ignore SIGPIPE), dup2 to
 * 0/1/2, close_range(3, ~0U, 0), execve of /bin/sh.  The parent polls
 * waitpid(pid, WNOHANG) with the stderr pipe as its sleep (at most
 * OB_POLL_MS at a time); at the timeout it kills the process group with
 * SIGKILL and reaps the child.  Only that pid is ever waited for.
 */
#include "outbox.h"
#include "log.h"
#include "ltime.h"
#include "utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OB_TMP "tmp~"			/* prefix of files being written */
#define OB_FILE_MAX 4096		/* a message file is never larger */
#define OB_TIMEOUT_DEFAULT (30LL * 1000)
#define OB_TIMEOUT_MAX (24LL * 3600 * 1000)
#define OB_BACKOFF_DEFAULT (60LL * 1000)
#define OB_BACKOFF_CAP (3600LL * 1000)	/* the longest wait for a retry */
#define OB_TRIES_DEFAULT 8
#define OB_POLL_MS 5			/* the wait loop's longest sleep */
#define OB_REAP_MS (10LL * 1000)	/* to wait for a child after SIGKILL */
#define OB_DRAIN_MAX 65536		/* stderr bytes read per turn */
#define OB_STRAY_MAX 8

static const char *const ob_box[3] = { "new", "sent", "dead" };

struct ld_outbox {
	pthread_mutex_t mu;	/* every step on the files, the cursor */
	int dirfd, lockfd;
	int boxfd[3];		/* new/, sent/, dead/ */
	char *dir;
	char *command;		/* NULL: messages wait */
	int64_t timeout_ms, backoff_ms;
	unsigned max_tries;
	uint64_t cursor;
	pid_t stray[OB_STRAY_MAX];	/* children that outlived SIGKILL */
	size_t nstray;
	atomic_bool stopping;	/* outbox_interrupt: stop outbox_run soon */
};

/* The names of the message files of one box, sorted. */
struct ob_names {
	char (*v)[OUTBOX_ID_MAX + 1];
	size_t n, cap;
};

/* Problems met while listing: the first message, how many. */
struct ob_report {
	struct ld_err *err;	/* NULL: log them instead */
	unsigned n;
};

/* The first line of the command's stderr, as read. */
struct ob_line {
	char buf[OUTBOX_WHY_MAX];
	size_t len;
	bool done;		/* a newline seen, or the buffer full */
};

/* --- checks ------------------------------------------------------------ */

static bool
ob_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* s (len bytes) is an id: [A-Za-z0-9._-]{1,64}, not "." or "..". */
static bool
ob_id_ok(const char *s, size_t len)
{
	if (len == 0 || len > OUTBOX_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!ob_id_char(s[i]))
			return false;
	return !(len == 1 && s[0] == '.') &&
	    !(len == 2 && s[0] == '.' && s[1] == '.');
}

static int
ob_check_id(const char *id, struct ld_err *err)
{
	size_t n;

	if (id == NULL)
		return err_set(err, LD_EINVAL, "outbox: no message id");
	n = strnlen(id, OUTBOX_ID_MAX + 1);
	if (n == 0 || n > OUTBOX_ID_MAX)
		return err_set(err, LD_EINVAL, "outbox: bad message id: %s "
		    "(1 to %d of A-Z a-z 0-9 . _ -)", n == 0 ? "empty" :
		    "too long", OUTBOX_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!ob_id_char(id[i]))
			return err_set(err, LD_EINVAL, "outbox: bad message "
			    "id: byte %zu is not one of A-Z a-z 0-9 . _ -",
			    i + 1);
	if (!ob_id_ok(id, n))
		return err_set(err, LD_EINVAL, "outbox: bad message id: "
		    "'%s' is not a file name", id);
	return 0;
}

/* s (len bytes) is a phone number: 1..OUTBOX_TO_MAX of digits, '+',
 * '-' and spaces, with at least one digit. */
static bool
ob_phone_ok(const char *s, size_t len)
{
	bool digit = false;

	if (len == 0 || len > OUTBOX_TO_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (s[i] != '+' && s[i] != '-' && s[i] != ' ')
			return false;
	}
	return digit;
}

static int
ob_check_to(const char *id, const char *to, struct ld_err *err)
{
	size_t n;

	if (to == NULL)
		return err_set(err, LD_EINVAL, "outbox: %s: no phone number",
		    id);
	n = strnlen(to, OUTBOX_TO_MAX + 1);
	if (!ob_phone_ok(to, n))
		return err_set(err, LD_EINVAL, "outbox: %s: bad phone number "
		    "(1 to %d of digits, '+', '-' and spaces, with a digit)",
		    id, OUTBOX_TO_MAX);
	return 0;
}

static int
ob_check_body(const char *id, const char *body, struct ld_err *err)
{
	size_t n, bad = 0;

	if (body == NULL)
		return err_set(err, LD_EINVAL, "outbox: %s: no body", id);
	n = strnlen(body, OUTBOX_BODY_MAX + 1);
	if (n == 0)
		return err_set(err, LD_EINVAL, "outbox: %s: empty body", id);
	if (n > OUTBOX_BODY_MAX)
		return err_set(err, LD_EINVAL, "outbox: %s: body longer than "
		    "%d bytes", id, OUTBOX_BODY_MAX);
	if (!utf8_valid(body, n, &bad))
		return err_set(err, LD_EINVAL, "outbox: %s: body: not valid "
		    "UTF-8 at byte %zu", id, bad + 1);
	return 0;
}

/* --- message files ----------------------------------------------------- */

/* The file text of m into buf (OB_FILE_MAX bytes); its length. */
static size_t
ob_format(const struct ld_outbox_msg *m, char *buf)
{
	int n;

	n = snprintf(buf, OB_FILE_MAX, "to: %s\ntries: %u\nnext: %lld\n"
	    "created: %lld\nlast:%s%s\n\n%s", m->to, m->tries,
	    (long long)m->next_ms, (long long)m->created_ms,
	    m->last[0] != '\0' ? " " : "", m->last, m->body);
	/* the limits of the fields keep it well below OB_FILE_MAX */
	return n > 0 && n < OB_FILE_MAX ? (size_t)n : 0;
}

/* A decimal number (digits only), at most max. */
static bool
ob_number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* Parse a message file's text (len bytes) into *m (its id aside); 0, or
 * -1 with the reason in why. */
static int
ob_parse(const char *text, size_t len, struct ld_outbox_msg *m, char *why,
    size_t cap)
{
	static const char *const names[5] = { "to", "tries", "next",
	    "created", "last" };
	unsigned seen = 0, no = 0;
	size_t at = 0, bad;

	memset(m, 0, sizeof(*m));
	if (memchr(text, '\0', len) != NULL)
		return snprintf(why, cap, "a NUL byte"), -1;
	for (;;) {
		const char *line = text + at, *nl, *colon, *val;
		size_t n, klen, vlen;
		uint64_t v;
		int k;

		nl = memchr(line, '\n', len - at);
		if (nl == NULL)
			return snprintf(why, cap, "no blank line before the "
			    "body"), -1;
		n = (size_t)(nl - line);
		at += n + 1;
		no++;
		if (n == 0)
			break;
		colon = memchr(line, ':', n);
		klen = colon != NULL ? (size_t)(colon - line) : n;
		for (k = 0; k < 5; k++)
			if (strlen(names[k]) == klen &&
			    memcmp(names[k], line, klen) == 0)
				break;
		if (colon == NULL || k == 5)
			return snprintf(why, cap, "line %u: not a header "
			    "(to, tries, next, created, last)", no), -1;
		if (seen & (1u << k))
			return snprintf(why, cap, "header '%s' repeated",
			    names[k]), -1;
		seen |= 1u << k;
		val = colon + 1;
		vlen = n - klen - 1;
		if (vlen > 0 && *val == ' ') {
			val++;
			vlen--;
		}
		switch (k) {
		case 0:
			if (!ob_phone_ok(val, vlen))
				return snprintf(why, cap, "to: not a phone "
				    "number"), -1;
			memcpy(m->to, val, vlen);
			m->to[vlen] = '\0';
			break;
		case 1:
			if (!ob_number(val, vlen, UINT_MAX, &v))
				return snprintf(why, cap, "tries: not a "
				    "number"), -1;
			m->tries = (unsigned)v;
			break;
		case 2:
		case 3:
			if (!ob_number(val, vlen, INT64_MAX, &v))
				return snprintf(why, cap, "%s: not a time",
				    names[k]), -1;
			if (k == 2)
				m->next_ms = (int64_t)v;
			else
				m->created_ms = (int64_t)v;
			break;
		default:
			if (vlen > OUTBOX_WHY_MAX ||
			    !utf8_valid(val, vlen, NULL))
				return snprintf(why, cap, "last: longer than "
				    "%d bytes or not UTF-8", OUTBOX_WHY_MAX),
				    -1;
			memcpy(m->last, val, vlen);
			m->last[vlen] = '\0';
			break;
		}
	}
	for (int k = 0; k < 5; k++)
		if (!(seen & (1u << k)))
			return snprintf(why, cap, "header '%s' missing",
			    names[k]), -1;
	len -= at;
	if (len == 0 || len > OUTBOX_BODY_MAX)
		return snprintf(why, cap, "body of %zu bytes (1 to %d)", len,
		    OUTBOX_BODY_MAX), -1;
	if (!utf8_valid(text + at, len, &bad))
		return snprintf(why, cap, "body: not valid UTF-8 at byte %zu",
		    bad + 1), -1;
	memcpy(m->body, text + at, len);
	m->body[len] = '\0';
	return 0;
}

/* Read box/name into *m.  0; LD_ENOTFOUND if there is no such file;
 * LD_ECORRUPT (a damaged file: left as it is) or LD_EIO, with err. */
static int
ob_read(struct ld_outbox *o, int box, const char *name,
    struct ld_outbox_msg *m, struct ld_err *err)
{
	char buf[OB_FILE_MAX + 1], why[128];
	size_t len = 0;
	struct stat st;
	int fd, rc = 0;

	fd = openat(o->boxfd[box], name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return err_set(err, LD_ENOTFOUND, "%s/%s/%s: no such message",
		    o->dir, ob_box[box], name);
	if (fd < 0 && errno == ELOOP)
		return err_set(err, LD_ECORRUPT, "%s/%s/%s: a symbolic link, "
		    "not a message file; left as it is", o->dir, ob_box[box],
		    name);
	if (fd < 0)
		return err_set(err, LD_EIO, "%s/%s/%s: cannot open: %s",
		    o->dir, ob_box[box], name, strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = err_set(err, LD_EIO, "%s/%s/%s: cannot stat: %s", o->dir,
		    ob_box[box], name, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(err, LD_ECORRUPT, "%s/%s/%s: not a regular file; "
		    "left as it is", o->dir, ob_box[box], name);
	while (rc == 0) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = err_set(err, LD_EIO, "%s/%s/%s: cannot read: %s",
			    o->dir, ob_box[box], name, strerror(errno));
		else if (r == 0)
			break;
		else if ((len += (size_t)r) == sizeof(buf))
			rc = err_set(err, LD_ECORRUPT, "%s/%s/%s: damaged "
			    "message file (larger than %d bytes); left as it "
			    "is", o->dir, ob_box[box], name, OB_FILE_MAX);
	}
	close(fd);
	if (rc == 0 && ob_parse(buf, len, m, why, sizeof(why)) != 0)
		rc = err_set(err, LD_ECORRUPT, "%s/%s/%s: damaged message "
		    "file (%s); left as it is", o->dir, ob_box[box], name,
		    why);
	if (rc == 0)
		snprintf(m->id, sizeof(m->id), "%s", name);
	return rc;
}

/* write(2) all of buf. */
static int
ob_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write text as name in the directory dfd (shown as where), atomically
 * and durably: tmp~name, fsync, rename, fsync of the directory. */
static int
ob_write_at(int dfd, const char *where, const char *name, const char *text,
    size_t len, struct ld_err *err)
{
	char tmp[sizeof(OB_TMP) + OUTBOX_ID_MAX + 1];
	int fd, e = 0;

	snprintf(tmp, sizeof(tmp), "%s%s", OB_TMP, name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(err, LD_EIO, "%s/%s: cannot create: %s", where,
		    tmp, strerror(errno));
	if (ob_write_all(fd, text, len) != 0 || fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && renameat(dfd, tmp, dfd, name) != 0)
		e = errno;
	if (e != 0) {
		unlinkat(dfd, tmp, 0);
		return err_set(err, LD_EIO, "%s/%s: cannot write: %s", where,
		    name, strerror(e));
	}
	if (fsync(dfd) != 0)
		return err_set(err, LD_EIO, "%s: cannot sync the directory: "
		    "%s", where, strerror(errno));
	return 0;
}

/* Write m as box/m->id. */
static int
ob_store(struct ld_outbox *o, int box, const struct ld_outbox_msg *m,
    struct ld_err *err)
{
	char buf[OB_FILE_MAX], where[PATH_MAX];
	size_t n = ob_format(m, buf);

	snprintf(where, sizeof(where), "%s/%s", o->dir, ob_box[box]);
	if (n == 0)
		return err_set(err, LD_EINVAL, "%s/%s: message too large",
		    where, m->id);
	return ob_write_at(o->boxfd[box], where, m->id, buf, n, err);
}

/* Move id from one box to another: one rename, both directories synced
 * (the new place first). */
static int
ob_move(struct ld_outbox *o, int from, int to, const char *id,
    struct ld_err *err)
{
	if (renameat(o->boxfd[from], id, o->boxfd[to], id) != 0)
		return err_set(err, LD_EIO, "%s: cannot move %s from %s/ to "
		    "%s/: %s", o->dir, id, ob_box[from], ob_box[to],
		    strerror(errno));
	if (fsync(o->boxfd[to]) != 0 || fsync(o->boxfd[from]) != 0)
		return err_set(err, LD_EIO, "%s: cannot sync %s/ or %s/: %s",
		    o->dir, ob_box[from], ob_box[to], strerror(errno));
	return 0;
}

/* The box that holds a file named id, -1 if none; or LD_EIO. */
static int
ob_find(struct ld_outbox *o, const char *id, struct ld_err *err)
{
	struct stat st;

	for (int b = 0; b < 3; b++) {
		if (fstatat(o->boxfd[b], id, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return b;
		if (errno != ENOENT)
			return err_set(err, LD_EIO, "%s/%s/%s: cannot stat: "
			    "%s", o->dir, ob_box[b], id, strerror(errno));
	}
	return -1;
}

/* A problem met while listing: into rp->err (the first) or the log. */
static void
ob_problem(struct ob_report *rp, const struct ld_err *e)
{
	if (rp->err == NULL)
		log_warn("outbox", "%s", e->msg);
	else if (rp->n == 0)
		*rp->err = *e;
	rp->n++;
}

static void
ob_report_end(struct ob_report *rp)
{
	size_t n;

	if (rp->err == NULL || rp->n < 2)
		return;
	n = strlen(rp->err->msg);
	snprintf(rp->err->msg + n, sizeof(rp->err->msg) - n, " (and %u more "
	    "problems)", rp->n - 1);
}

static int
ob_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The message files of a box, in id order, into *nm (free nm->v).  Names
 * that are not ids are reported (and skipped), files being written
 * (tmp~) skipped.  0 or LD_EIO/LD_ENOMEM with err. */
static int
ob_scan(struct ld_outbox *o, int box, struct ob_names *nm,
    struct ob_report *rp, struct ld_err *err)
{
	struct dirent *de;
	DIR *d;
	int fd;

	memset(nm, 0, sizeof(*nm));
	/* a description of our own: another thread may be listing too */
	fd = openat(o->boxfd[box], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return err_set(err, LD_EIO, "%s/%s: cannot read: %s", o->dir,
		    ob_box[box], strerror(e));
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, OB_TMP, strlen(OB_TMP)) == 0)
			continue;
		if (!ob_id_ok(de->d_name, len)) {
			struct ld_err e;

			err_set(&e, LD_ECORRUPT, "%s/%s: a file whose name is "
			    "not a message id; left as it is", o->dir,
			    ob_box[box]);
			ob_problem(rp, &e);
			continue;
		}
		if (nm->n == nm->cap) {
			size_t cap = nm->cap ? nm->cap * 2 : 64;
			void *v = realloc(nm->v, cap * sizeof(*nm->v));

			if (v == NULL) {
				closedir(d);
				free(nm->v);
				memset(nm, 0, sizeof(*nm));
				return err_set(err, LD_ENOMEM, "outbox: out of "
				    "memory");
			}
			nm->v = v;
			nm->cap = cap;
		}
		memcpy(nm->v[nm->n++], de->d_name, len + 1);
	}
	closedir(d);
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), ob_name_cmp);
	return 0;
}

/* Remove the files a crash left half-written (tmp~*) in the directory
 * dfd (shown as where). */
static void
ob_clean_tmp(int dfd, const char *where)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d;
	int fd;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, OB_TMP, strlen(OB_TMP)) != 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0) {
			log_info("outbox", "%s/%s: removed (half written when "
			    "the node stopped)", where, de->d_name);
			n++;
		} else {
			log_warn("outbox", "%s/%s: cannot remove: %s", where,
			    de->d_name, strerror(errno));
		}
	}
	closedir(d);
	if (n > 0)
		fsync(dfd);
}

/* --- the cursor -------------------------------------------------------- */

static int
ob_read_cursor(struct ld_outbox *o, struct ld_err *err)
{
	char buf[32];
	size_t len = 0;
	uint64_t v;
	int fd;

	o->cursor = 0;
	fd = openat(o->dirfd, "cursor", O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return err_set(err, LD_EIO, "%s/cursor: cannot open: %s",
		    o->dir, strerror(errno));
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) == sizeof(buf))
			break;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (!ob_number(buf, len, UINT64_MAX, &v))
		return err_set(err, LD_ECORRUPT, "%s/cursor: damaged (not a "
		    "number); remove it to queue again from the start (puts "
		    "are idempotent)", o->dir);
	o->cursor = v;
	return 0;
}

uint64_t
outbox_cursor(struct ld_outbox *o)
{
	uint64_t v;

	pthread_mutex_lock(&o->mu);
	v = o->cursor;
	pthread_mutex_unlock(&o->mu);
	return v;
}

int
outbox_set_cursor(struct ld_outbox *o, uint64_t idx, struct ld_err *err)
{
	char buf[32];
	int n, rc;

	n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)idx);
	pthread_mutex_lock(&o->mu);
	rc = ob_write_at(o->dirfd, o->dir, "cursor", buf, (size_t)n, err);
	if (rc == 0)
		o->cursor = idx;
	pthread_mutex_unlock(&o->mu);
	return rc;
}

/* --- open, close, put -------------------------------------------------- */

void
outbox_close(struct ld_outbox *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nstray; i++)
		if (waitpid(o->stray[i], NULL, WNOHANG) == 0)
			log_warn("outbox", "command (pid %d) still not gone "
			    "after SIGKILL", (int)o->stray[i]);
	for (int b = 0; b < 3; b++)
		if (o->boxfd[b] >= 0)
			close(o->boxfd[b]);
	if (o->dirfd >= 0)
		close(o->dirfd);
	if (o->lockfd >= 0)
		close(o->lockfd);	/* and the flock with it */
	pthread_mutex_destroy(&o->mu);
	free(o->dir);
	free(o->command);
	free(o);
}

/* Create (if missing) and open DIR, its lock, its boxes. */
static int
ob_open_dirs(struct ld_outbox *o, struct ld_err *err)
{
	bool made = false;

	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
		return err_set(err, LD_EIO, "%s: cannot create: %s", o->dir,
		    strerror(errno));
	o->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0)
		return err_set(err, LD_EIO, "%s: cannot open: %s", o->dir,
		    strerror(errno));
	o->lockfd = openat(o->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (o->lockfd < 0)
		return err_set(err, LD_EIO, "%s/lock: %s", o->dir,
		    strerror(errno));
	if (flock(o->lockfd, LOCK_EX | LOCK_NB) != 0)
		return err_set(err, errno == EWOULDBLOCK ? LD_EBUSY : LD_EIO,
		    "%s: outbox is in use by another process", o->dir);
	for (int b = 0; b < 3; b++) {
		if (mkdirat(o->dirfd, ob_box[b], 0700) == 0)
			made = true;
		else if (errno != EEXIST)
			return err_set(err, LD_EIO, "%s/%s: cannot create: %s",
			    o->dir, ob_box[b], strerror(errno));
		o->boxfd[b] = openat(o->dirfd, ob_box[b], O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (o->boxfd[b] < 0)
			return err_set(err, LD_EIO, "%s/%s: cannot open (not a "
			    "directory?): %s", o->dir, ob_box[b],
			    strerror(errno));
	}
	if (made && fsync(o->dirfd) != 0)
		return err_set(err, LD_EIO, "%s: cannot sync: %s", o->dir,
		    strerror(errno));
	return 0;
}

int
outbox_open(struct ld_outbox **op, const struct ld_outbox_opts *opts,
    struct ld_err *err)
{
	struct ld_outbox *o;
	char where[PATH_MAX];
	int rc;

	*op = NULL;
	if (opts == NULL || opts->dir == NULL || opts->dir[0] == '\0')
		return err_set(err, LD_EINVAL, "outbox: no spool directory");
	if (strlen(opts->dir) > PATH_MAX - 16 - OUTBOX_ID_MAX)
		return err_set(err, LD_EINVAL, "outbox: spool directory path "
		    "too long");
	if (opts->timeout_ms < 0 || opts->timeout_ms > OB_TIMEOUT_MAX)
		return err_set(err, LD_EINVAL, "outbox: timeout of %lld ms "
		    "(0 to %lld)", (long long)opts->timeout_ms,
		    (long long)OB_TIMEOUT_MAX);
	if (opts->backoff_ms < 0)
		return err_set(err, LD_EINVAL, "outbox: negative backoff");
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return err_set(err, LD_ENOMEM, "outbox: out of memory");
	o->dirfd = o->lockfd = -1;
	for (int b = 0; b < 3; b++)
		o->boxfd[b] = -1;
	pthread_mutex_init(&o->mu, NULL);
	o->dir = strdup(opts->dir);
	if (opts->command != NULL && opts->command[0] != '\0')
		o->command = strdup(opts->command);
	if (o->dir == NULL || (opts->command != NULL &&
	    opts->command[0] != '\0' && o->command == NULL)) {
		outbox_close(o);
		return err_set(err, LD_ENOMEM, "outbox: out of memory");
	}
	o->timeout_ms = opts->timeout_ms ? opts->timeout_ms :
	    OB_TIMEOUT_DEFAULT;
	o->backoff_ms = opts->backoff_ms ? opts->backoff_ms :
	    OB_BACKOFF_DEFAULT;
	o->max_tries = opts->max_tries ? opts->max_tries : OB_TRIES_DEFAULT;
	rc = ob_open_dirs(o, err);
	if (rc == 0) {
		ob_clean_tmp(o->dirfd, o->dir);
		for (int b = 0; b < 3; b++) {
			snprintf(where, sizeof(where), "%s/%s", o->dir,
			    ob_box[b]);
			ob_clean_tmp(o->boxfd[b], where);
		}
		rc = ob_read_cursor(o, err);
	}
	if (rc != 0) {
		outbox_close(o);
		return rc;
	}
	*op = o;
	return 0;
}

/* Store message m in box unless its id is in any box already (then it
 * is left as it is: puts are idempotent). */
static int
ob_put_new(struct ld_outbox *o, enum ld_outbox_box box,
    const struct ld_outbox_msg *m, struct ld_err *err)
{
	int rc;

	pthread_mutex_lock(&o->mu);
	rc = ob_find(o, m->id, err);
	if (rc == -1)
		rc = ob_store(o, box, m, err);
	else if (rc >= 0)
		rc = 0;		/* already there: left as it is */
	pthread_mutex_unlock(&o->mu);
	return rc;
}

int
outbox_put(struct ld_outbox *o, const char *id, const char *to,
    const char *body, int64_t now, struct ld_err *err)
{
	struct ld_outbox_msg m;
	int rc;

	if ((rc = ob_check_id(id, err)) != 0 ||
	    (rc = ob_check_to(id, to, err)) != 0 ||
	    (rc = ob_check_body(id, body, err)) != 0)
		return rc;
	if (now < 0 || now > LD_TIME_MAX)
		return err_set(err, LD_EINVAL, "outbox: %s: bad time %lld", id,
		    (long long)now);
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	snprintf(m.to, sizeof(m.to), "%s", to);
	snprintf(m.body, sizeof(m.body), "%s", body);
	m.next_ms = m.created_ms = now;
	return ob_put_new(o, OUTBOX_NEW, &m, err);
}

int
outbox_put_dead(struct ld_outbox *o, const char *id, const char *to,
    const char *body, const char *why, int64_t now, struct ld_err *err)
{
	struct ld_outbox_msg m;
	size_t n = 0, w = 0;
	int rc;

	if ((rc = ob_check_id(id, err)) != 0 ||
	    (rc = ob_check_body(id, body, err)) != 0)
		return rc;
	if (now < 0 || now > LD_TIME_MAX)
		return err_set(err, LD_EINVAL, "outbox: %s: bad time %lld", id,
		    (long long)now);
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	/* the digits of what was given, so the file stays a valid message;
	 * why says what it was */
	for (const char *p = to != NULL ? to : ""; *p != '\0' &&
	    n < OUTBOX_TO_MAX; p++)
		if ((*p >= '0' && *p <= '9') || (*p == '+' && n == 0))
			m.to[n++] = *p;
	if (n == 0 || !ob_phone_ok(m.to, n))
		snprintf(m.to, sizeof(m.to), "0");
	/* why: printable ASCII kept, anything else '?', at most the room */
	for (const char *p = why != NULL ? why : ""; *p != '\0' &&
	    w < OUTBOX_WHY_MAX; p++)
		m.last[w++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	snprintf(m.body, sizeof(m.body), "%s", body);
	m.created_ms = now;
	m.next_ms = 0;
	return ob_put_new(o, OUTBOX_DEAD, &m, err);
}

/* --- one try: the child ------------------------------------------------ */

static void
ob_sleep_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* fd moved to 3 or above (so the child's dup2 to 0..2 cannot clobber
 * it), close-on-exec; -1 on failure (fd closed). */
static int
ob_high_fd(int fd)
{
	int h;

	if (fd < 0 || fd > 2)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return h;
}

/* The body as an unlinked file at offset 0: a memfd, or an O_TMPFILE in
 * the spool directory.  -1 with errno. */
static int
ob_body_fd(struct ld_outbox *o, const char *body)
{
	size_t len = strlen(body);
	int fd;

	fd = memfd_create("outbox-body", MFD_CLOEXEC);
	if (fd < 0)
		fd = openat(o->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return -1;
	if (ob_write_all(fd, body, len) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return ob_high_fd(fd);
}

/* What the child needs, all made before fork. */
struct ob_child {
	int in, out, errw;
	char *argv[6];
	sigset_t none;
	struct sigaction dfl;
	int maxfd;		/* if close_range is missing */
};

/* In the child: async-signal-safe calls only, then exec. */
static void __attribute__((noreturn))
ob_child_run(const struct ob_child *c)
{
	setpgid(0, 0);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &c->dfl, NULL);
	sigprocmask(SIG_SETMASK, &c->none, NULL);
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 ||
	    dup2(c->errw, 2) < 0)
		_exit(126);
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < c->maxfd; fd++)
			close(fd);
	execve("/bin/sh", c->argv, environ);
	_exit(127);
}

/* Read what the command wrote to stderr (at most OB_DRAIN_MAX bytes);
 * keep the start of its first line.  0 at end of file (or an error), 1
 * while it is open. */
static int
ob_drain(int fd, struct ob_line *ln)
{
	char buf[4096];
	size_t total = 0;

	while (total < OB_DRAIN_MAX) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN ? 1 : 0;
		if (r == 0)
			return 0;
		total += (size_t)r;
		for (ssize_t i = 0; i < r && !ln->done; i++) {
			if (buf[i] == '\n')
				ln->done = true;
			else
				ln->buf[ln->len++] = buf[i];
			if (ln->len == sizeof(ln->buf))
				ln->done = true;
		}
	}
	return 1;
}

/* raw (n bytes) as printable UTF-8 in out (cap bytes, NUL-terminated,
 * never a character cut): a control character or a byte that is not
 * part of valid UTF-8 becomes '?', a tab a blank. */
static void
ob_clean(const char *raw, size_t n, char *out, size_t cap)
{
	size_t i = 0, k = 0;

	while (n > 0 && raw[n - 1] == '\r')
		n--;
	while (i < n && k + 1 < cap) {
		unsigned char c = (unsigned char)raw[i];
		size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

		if (c < 0x80) {
			out[k++] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ?
			    '?' : (char)c;
			i++;
		} else if (i + len <= n && utf8_valid(raw + i, len, NULL) &&
		    !(c == 0xC2 && (unsigned char)raw[i + 1] < 0xA0)) {
			if (k + len + 1 > cap)
				break;
			memcpy(out + k, raw + i, len);
			k += len;
			i += len;
		} else {
			out[k++] = '?';	/* invalid, or a C1 control */
			i++;
		}
	}
	out[k] = '\0';
}

/* why (OUTBOX_WHY_MAX + 1 bytes) = what happened, then ": " and the
 * first line of stderr if there was one. */
static void
ob_why(char *why, const char *what, const struct ob_line *ln)
{
	char line[OUTBOX_WHY_MAX + 1];
	size_t n;

	n = (size_t)snprintf(why, OUTBOX_WHY_MAX + 1, "%s", what);
	if (n + 3 > OUTBOX_WHY_MAX)
		return;
	ob_clean(ln->buf, ln->len, line, OUTBOX_WHY_MAX + 1 - n - 2);
	if (line[0] != '\0') {	/* it fits: ob_clean kept to its room */
		memcpy(why + n, ": ", 2);
		memcpy(why + n + 2, line, strlen(line) + 1);
	}
}

/* After SIGKILL: wait for pid, at most OB_REAP_MS; true with *st if
 * reaped, else it is remembered to be reaped later. */
static bool
ob_reap(struct ld_outbox *o, pid_t pid, int *st)
{
	for (int64_t t = 0; t < OB_REAP_MS; t += OB_POLL_MS) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		ob_sleep_ms(OB_POLL_MS);
	}
	log_error("outbox", "command (pid %d) still there %lld s after "
	    "SIGKILL", (int)pid, (long long)OB_REAP_MS / 1000);
	if (o->nstray < OB_STRAY_MAX)
		o->stray[o->nstray++] = pid;
	return false;
}

/* Reap the children that outlived SIGKILL earlier, if they are gone. */
static void
ob_reap_strays(struct ld_outbox *o)
{
	size_t k = 0;

	for (size_t i = 0; i < o->nstray; i++)
		if (waitpid(o->stray[i], NULL, WNOHANG) == 0)
			o->stray[k++] = o->stray[i];
	o->nstray = k;
}

/* Run the command for m: true if it exited 0; else why it failed. */
static bool
ob_try(struct ld_outbox *o, const struct ld_outbox_msg *m, char *why)
{
	struct ob_child c;
	struct ob_line ln;
	struct pollfd pfd;
	struct rlimit rl;
	char what[96];
	int p[2] = { -1, -1 }, st = 0, e = 0;
	bool timed_out = false, reaped = false;
	int64_t deadline;
	pid_t pid;

	memset(&c, 0, sizeof(c));
	memset(&ln, 0, sizeof(ln));
	c.in = ob_body_fd(o, m->body);
	if (c.in < 0) {
		e = errno;
		snprintf(what, sizeof(what), "cannot start the command: body "
		    "file: %s", strerror(e));
		goto out;
	}
	c.out = ob_high_fd(open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (c.out < 0 || pipe2(p, O_CLOEXEC) != 0 ||
	    (p[0] = ob_high_fd(p[0])) < 0 || (p[1] = ob_high_fd(p[1])) < 0 ||
	    fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
		snprintf(what, sizeof(what), "cannot start the command: "
		    "/dev/null or pipe: %s", strerror(errno));
		goto out;
	}
	c.errw = p[1];
	c.argv[0] = (char *)"sh";
	c.argv[1] = (char *)"-c";
	c.argv[2] = o->command;
	c.argv[3] = (char *)"sh";
	c.argv[4] = (char *)m->to;
	c.argv[5] = NULL;
	sigemptyset(&c.none);
	c.dfl.sa_handler = SIG_DFL;
	sigemptyset(&c.dfl.sa_mask);
	c.maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536 ?
	    (int)rl.rlim_cur : 65536;

	deadline = ltime_mono_ms() + o->timeout_ms;
	pid = fork();
	if (pid == 0)
		ob_child_run(&c);
	if (pid < 0) {
		snprintf(what, sizeof(what), "cannot start the command: fork: "
		    "%s", strerror(errno));
		goto out;
	}
	setpgid(pid, pid);	/* as the child does: whoever is first */
	close(p[1]);
	p[1] = -1;

	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		int64_t left;

		if (r == pid) {
			reaped = true;
			break;
		}
		if (r < 0 && errno != EINTR) {
			e = errno;
			break;
		}
		left = deadline - ltime_mono_ms();
		if (left <= 0 || atomic_load(&o->stopping)) {
			timed_out = true;
			break;
		}
		/* the pipe (until its end) or nothing: the sleep */
		pfd.revents = 0;
		if (poll(&pfd, 1, left < OB_POLL_MS ? (int)left : OB_POLL_MS) >
		    0 && pfd.fd >= 0 && pfd.revents != 0 &&
		    ob_drain(p[0], &ln) == 0)
			pfd.fd = -1;
	}
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);	/* had it not made its group yet */
		reaped = ob_reap(o, pid, &st);
	}
	if (pfd.fd >= 0)
		ob_drain(p[0], &ln);	/* what is left, without waiting */

	if (timed_out && atomic_load(&o->stopping))
		snprintf(what, sizeof(what), "the node stopped: killed");
	else if (timed_out)
		snprintf(what, sizeof(what), "no exit within %lld ms: killed",
		    (long long)o->timeout_ms);
	else if (!reaped)
		snprintf(what, sizeof(what), "exit status unknown (waitpid: "
		    "%s)", strerror(e));
	else if (WIFEXITED(st))
		snprintf(what, sizeof(what), "exit status %d",
		    WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(what, sizeof(what), "killed by signal %d (SIG%s)",
		    WTERMSIG(st), sigabbrev_np(WTERMSIG(st)) != NULL ?
		    sigabbrev_np(WTERMSIG(st)) : "?");
	else
		snprintf(what, sizeof(what), "exit status unknown");
out:
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	if (c.in >= 0)
		close(c.in);
	if (c.out >= 0)
		close(c.out);
	if (reaped && !timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	ob_why(why, what, &ln);
	return false;
}

/* --- run, list, retry, counts ------------------------------------------ */

static int64_t
ob_backoff(const struct ld_outbox *o, unsigned tries)
{
	int64_t d = o->backoff_ms;

	for (unsigned i = 1; i < tries && d < OB_BACKOFF_CAP; i++)
		d *= 2;
	return d < OB_BACKOFF_CAP ? d : OB_BACKOFF_CAP;
}

/* Record the outcome of a try of m (its tries counted) at now: to sent/,
 * back into new/ with its next try, or to dead/.  Returns when m is due
 * again (0: never). */
static int64_t
ob_record(struct ld_outbox *o, struct ld_outbox_msg *m, bool ok,
    const char *why, int64_t now)
{
	struct ld_err err = { 0, "" };
	int to = -1, rc;

	if (m->tries < UINT_MAX)
		m->tries++;
	if (ok) {
		m->last[0] = '\0';
		to = OUTBOX_SENT;
	} else {
		snprintf(m->last, sizeof(m->last), "%s", why);
		if (m->tries >= o->max_tries) {
			m->next_ms = 0;
			to = OUTBOX_DEAD;
		} else {
			m->next_ms = now + ob_backoff(o, m->tries);
		}
	}
	pthread_mutex_lock(&o->mu);
	rc = ob_store(o, OUTBOX_NEW, m, &err);
	if (rc == 0 && to >= 0)
		rc = ob_move(o, OUTBOX_NEW, to, m->id, &err);
	pthread_mutex_unlock(&o->mu);
	if (rc != 0) {
		/* the file in new/ is as before the try: it comes again */
		log_error("outbox", "%s: try %u not recorded: %s", m->id,
		    m->tries, err.msg);
		return now + ob_backoff(o, m->tries);
	}
	if (to == OUTBOX_SENT)
		log_info("outbox", "%s: delivered (try %u)", m->id, m->tries);
	else if (to == OUTBOX_DEAD)
		log_warn("outbox", "%s: try %u failed (%s); gave up: now in "
		    "dead/", m->id, m->tries, m->last);
	else
		log_info("outbox", "%s: try %u failed (%s); next in %lld s",
		    m->id, m->tries, m->last,
		    (long long)(m->next_ms - now) / 1000);
	return to >= 0 ? 0 : m->next_ms;
}

int64_t
outbox_run(struct ld_outbox *o, int64_t now, unsigned *delivered,
    unsigned *failed)
{
	struct ob_report rp = { NULL, 0 };
	struct ld_err err = { 0, "" };
	struct ob_names nm;
	unsigned nd = 0, nf = 0;
	int64_t first = 0;

	if (delivered != NULL)
		*delivered = 0;
	if (failed != NULL)
		*failed = 0;
	ob_reap_strays(o);
	/* without a command nothing would ever change: 0, do not wake */
	if (o->command == NULL)
		return 0;
	if (ob_scan(o, OUTBOX_NEW, &nm, &rp, &err) != 0) {
		log_error("outbox", "%s", err.msg);
		return now + ob_backoff(o, 1);
	}
	for (size_t i = 0; i < nm.n && !atomic_load(&o->stopping); i++) {
		struct ld_outbox_msg m;
		char why[OUTBOX_WHY_MAX + 1] = "";
		int64_t next;
		bool ok;
		int rc;

		pthread_mutex_lock(&o->mu);
		rc = ob_read(o, OUTBOX_NEW, nm.v[i], &m, &err);
		pthread_mutex_unlock(&o->mu);
		if (rc == LD_ENOTFOUND)
			continue;
		if (rc != 0) {
			log_warn("outbox", "%s", err.msg);
			continue;
		}
		if (m.next_ms > now) {
			next = m.next_ms;
		} else {
			ok = ob_try(o, &m, why);
			if (ok)
				nd++;
			else
				nf++;
			next = ob_record(o, &m, ok, why, now);
		}
		if (next != 0 && (first == 0 || next < first))
			first = next;
	}
	free(nm.v);
	if (delivered != NULL)
		*delivered = nd;
	if (failed != NULL)
		*failed = nf;
	return first;
}

void
outbox_interrupt(struct ld_outbox *o)
{
	if (o != NULL)
		atomic_store(&o->stopping, true);
}

int
outbox_list(struct ld_outbox *o, enum ld_outbox_box box, outbox_cb cb,
    void *arg, struct ld_err *err)
{
	struct ob_report rp = { err, 0 };
	struct ob_names nm;
	int visited = 0, rc;

	if ((int)box < 0 || box > OUTBOX_DEAD)
		return err_set(err, LD_EINVAL, "outbox: no box %d", (int)box);
	if ((rc = ob_scan(o, box, &nm, &rp, err)) != 0)
		return rc;
	for (size_t i = 0; i < nm.n; i++) {
		struct ld_outbox_msg m;
		struct ld_err e = { 0, "" };

		pthread_mutex_lock(&o->mu);
		rc = ob_read(o, box, nm.v[i], &m, &e);
		pthread_mutex_unlock(&o->mu);
		if (rc == LD_ENOTFOUND)
			continue;	/* moved meanwhile */
		if (rc != 0) {
			ob_problem(&rp, &e);
			continue;
		}
		visited++;
		if (cb(&m, arg) != 0)
			break;
	}
	free(nm.v);
	ob_report_end(&rp);
	return visited;
}

int
outbox_retry(struct ld_outbox *o, const char *id, int64_t now,
    struct ld_err *err)
{
	struct ld_outbox_msg m;
	int rc, b;

	if ((rc = ob_check_id(id, err)) != 0)
		return rc;
	if (now < 0 || now > LD_TIME_MAX)
		return err_set(err, LD_EINVAL, "outbox: %s: bad time %lld", id,
		    (long long)now);
	pthread_mutex_lock(&o->mu);
	rc = ob_read(o, OUTBOX_DEAD, id, &m, err);
	if (rc == LD_ENOTFOUND) {
		b = ob_find(o, id, NULL);
		rc = err_set(err, LD_ENOTFOUND, "outbox: no dead message "
		    "%s%s%s", id, b >= 0 ? "; it is in " : "",
		    b >= 0 ? ob_box[b] : "");
	} else if (rc == 0) {
		b = ob_find(o, id, err);
		if (b >= 0 && b != OUTBOX_DEAD)
			rc = err_set(err, LD_EEXIST, "outbox: %s is in %s/ "
			    "and in dead/; left as it is", id, ob_box[b]);
		else if (b < -1)
			rc = b;
	}
	if (rc == 0) {
		m.tries = 0;
		m.next_ms = now;
		rc = ob_store(o, OUTBOX_DEAD, &m, err);
		if (rc == 0)
			rc = ob_move(o, OUTBOX_DEAD, OUTBOX_NEW, id, err);
	}
	pthread_mutex_unlock(&o->mu);
	if (rc == 0)
		log_info("outbox", "%s: back from dead/ to new/", id);
	return rc;
}

void
outbox_counts(struct ld_outbox *o, size_t n[3])
{
	pthread_mutex_lock(&o->mu);
	for (int b = 0; b < 3; b++) {
		struct dirent *de;
		DIR *d;
		int fd;

		n[b] = 0;
		fd = openat(o->boxfd[b], ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (fd < 0 || (d = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((de = readdir(d)) != NULL)
			if (ob_id_ok(de->d_name, strlen(de->d_name)))
				n[b]++;
		closedir(d);
	}
	pthread_mutex_unlock(&o->mu);
}
