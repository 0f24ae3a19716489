/* keyfile.c - CURVE secret key files (see keyfile.h). */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zmq.h>

#define KF_NAME_MAX 64		/* the name in the comment line */

static const char kf_z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* What one key line held while the file is read. */
struct kf_slot {
	const char *name;	/* "public-key" / "secret-key" */
	int line;		/* 0: not seen */
	char z85[LD_KEY_Z85 + 1];
};

/* True if s (len bytes) is LD_KEY_Z85 characters of the Z85 alphabet and
 * every 5-character group stays below 2^32 (so it decodes to 32 bytes);
 * then the text, NUL-terminated, is copied to out. */
static bool
kf_z85_ok(const char *s, size_t len, char *out)
{
	if (len != LD_KEY_Z85)
		return false;
	for (size_t i = 0; i < len; i += 5) {
		uint64_t v = 0;

		for (size_t k = i; k < i + 5; k++) {
			const char *p = s[k] != '\0' ?
			    strchr(kf_z85_chars, s[k]) : NULL;

			if (p == NULL)
				return false;
			v = v * 85 + (uint64_t)(p - kf_z85_chars);
		}
		if (v > UINT32_MAX)
			return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* Blanks around names and values ('\r' too: CRLF files read fine). */
static bool
kf_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A character of a key name. */
static bool
kf_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* One line (len bytes, no '\n') of file path at line no into the slots;
 * 0 or LD_EINVAL with the message in err.  Never copies a value into a
 * message. */
static int
kf_line(const char *path, int no, const char *s, size_t len,
    struct kf_slot *slot, struct ld_err *err)
{
	size_t i = 0, name_at, name_len, val_at, val_end;
	struct kf_slot *sl = NULL;

	while (i < len && kf_blank(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return 0;
	name_at = i;
	while (i < len && kf_word_char(s[i]))
		i++;
	name_len = i - name_at;
	while (i < len && kf_blank(s[i]))
		i++;
	if (name_len == 0 || i == len || s[i] != '=')
		return err_set(err, LD_EINVAL, "%s:%d: expected '# comment', "
		    "'public-key = KEY' or 'secret-key = KEY'", path, no);
	for (int k = 0; k < 2; k++)
		if (strlen(slot[k].name) == name_len &&
		    memcmp(slot[k].name, s + name_at, name_len) == 0)
			sl = &slot[k];
	/* the name is never shown: a secret key pasted on a line of its
	 * own may hold a '=' and look like "NAME = ..." */
	if (sl == NULL)
		return err_set(err, LD_EINVAL, "%s:%d: unknown key (a key file "
		    "has only public-key and secret-key)", path, no);
	if (sl->line != 0)
		return err_set(err, LD_EINVAL, "%s:%d: %s: repeated (first at "
		    "line %d)", path, no, sl->name, sl->line);
	i++;
	while (i < len && kf_blank(s[i]))
		i++;
	val_at = i;
	val_end = len;
	while (val_end > val_at && kf_blank(s[val_end - 1]))
		val_end--;
	if (!kf_z85_ok(s + val_at, val_end - val_at, sl->z85))
		return err_set(err, LD_EINVAL, "%s:%d: %s: not a Z85 key", path,
		    no, sl->name);
	sl->line = no;
	return 0;
}

/* Parse the text (len bytes) of path into *kp. */
static int
kf_parse(const char *path, const char *text, size_t len,
    struct ld_keypair *kp, struct ld_err *err)
{
	struct kf_slot slot[2] = { { "public-key", 0, "" },
				   { "secret-key", 0, "" } };
	char derived[LD_KEY_Z85 + 1];
	uint8_t want[LD_KEY_BYTES];
	size_t at = 0;
	int no = 0, rc = 0;

	while (rc == 0 && at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;

		no++;
		if (memchr(text + at, '\0', n) != NULL)
			rc = err_set(err, LD_EINVAL, "%s:%d: a NUL byte: not "
			    "a key file", path, no);
		else
			rc = kf_line(path, no, text + at, n, slot, err);
		at += n + 1;
	}
	for (int k = 0; rc == 0 && k < 2; k++)
		if (slot[k].line == 0)
			rc = err_set(err, LD_EINVAL, "%s: %s: missing", path,
			    slot[k].name);
	if (rc == 0 && zmq_curve_public(derived, slot[1].z85) != 0)
		rc = err_set(err, LD_EINVAL, "%s: zmq_curve_public: %s (is "
		    "libzmq built with CURVE?)", path,
		    zmq_strerror(zmq_errno()));
	if (rc == 0 && (zmq_z85_decode(kp->public_key, slot[0].z85) == NULL ||
	    zmq_z85_decode(kp->secret_key, slot[1].z85) == NULL ||
	    zmq_z85_decode(want, derived) == NULL))
		rc = err_set(err, LD_EINVAL, "%s: not a Z85 key", path);
	if (rc == 0 && memcmp(want, kp->public_key, LD_KEY_BYTES) != 0)
		rc = err_set(err, LD_EINVAL, "%s:%d: public-key: does not "
		    "match the secret-key (line %d)", path, slot[0].line,
		    slot[1].line);
	if (rc == 0)
		memcpy(kp->public_z85, slot[0].z85, sizeof(kp->public_z85));
	sodium_memzero(slot, sizeof(slot));
	sodium_memzero(derived, sizeof(derived));
	return rc;
}

int
keyfile_read(const char *path, struct ld_keypair *kp, struct ld_err *err)
{
	char buf[LD_KEYFILE_MAX + 1];
	size_t len = 0;
	struct stat st;
	int fd, rc = 0;

	keyfile_wipe(kp);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, LD_EIO, "%s: cannot open: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = err_set(err, LD_EIO, "%s: cannot stat: %s", path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(err, LD_EREFUSED, "%s: not a regular file", path);
	else if (st.st_uid != geteuid())
		rc = err_set(err, LD_EREFUSED, "%s: owned by uid %u, not by "
		    "the user running this program (uid %u)", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
	else if ((st.st_mode & 077) != 0)
		rc = err_set(err, LD_EREFUSED, "%s: mode %04o lets others %s "
		    "the secret key; chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & 044) != 0 ? "read" : "change");
	while (rc == 0) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = err_set(err, LD_EIO, "%s: cannot read: %s", path,
			    strerror(errno));
		else if (r == 0)
			break;
		else if ((len += (size_t)r) == sizeof(buf))
			rc = err_set(err, LD_ELIMIT, "%s: larger than %d "
			    "bytes: not a key file", path, LD_KEYFILE_MAX);
	}
	close(fd);
	if (rc == 0)
		rc = kf_parse(path, buf, len, kp, err);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		keyfile_wipe(kp);
	return rc;
}

/* write(2) all of buf. */
static int
kf_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;	/* 0 would loop for ever */
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* name: 1..KF_NAME_MAX printable ASCII characters (one comment line). */
static bool
kf_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > KF_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return false;
	return true;
}

/* True if the Z85 keys are well formed and the secret gives the public. */
static bool
kf_pair_ok(const char *public_z85, const char *secret_z85)
{
	char pub[LD_KEY_Z85 + 1], sec[LD_KEY_Z85 + 1], derived[LD_KEY_Z85 + 1];
	bool ok;

	ok = public_z85 != NULL && secret_z85 != NULL &&
	    kf_z85_ok(public_z85, strlen(public_z85), pub) &&
	    kf_z85_ok(secret_z85, strlen(secret_z85), sec) &&
	    zmq_curve_public(derived, sec) == 0 &&
	    strcmp(derived, pub) == 0;
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(derived, sizeof(derived));
	return ok;
}

int
keyfile_write(const char *path, const char *name, const char *public_z85,
    const char *secret_z85, struct ld_err *err)
{
	char buf[512];
	int fd, n, e = 0;

	if (!kf_name_ok(name))
		return err_set(err, LD_EINVAL, "%s: bad name for the comment "
		    "line (1 to %d printable ASCII characters)", path,
		    KF_NAME_MAX);
	if (!kf_pair_ok(public_z85, secret_z85))
		return err_set(err, LD_EINVAL, "%s: not written: the keys are "
		    "not a matching Z85 CURVE key pair", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 && errno == EEXIST)
		return err_set(err, LD_EEXIST, "%s: already exists; not "
		    "overwriting it", path);
	if (fd < 0)
		return err_set(err, LD_EIO, "%s: cannot create: %s", path,
		    strerror(errno));
	n = snprintf(buf, sizeof(buf), "# liandong CURVE key pair of %s: keep "
	    "this file secret (mode 0600), on %s's host only\n"
	    "public-key = %s\nsecret-key = %s\n", name, name, public_z85,
	    secret_z85);
	if (fchmod(fd, 0600) != 0 || kf_write_all(fd, buf, (size_t)n) != 0 ||
	    fsync(fd) != 0)
		e = errno;
	sodium_memzero(buf, sizeof(buf));
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		unlink(path);
		return err_set(err, LD_EIO, "%s: cannot write: %s", path,
		    strerror(e));
	}
	return 0;
}

int
keyfile_generate(const char *path, const char *name, char *public_z85,
    struct ld_err *err)
{
	char pub[LD_KEY_Z85 + 1], sec[LD_KEY_Z85 + 1];
	int rc;

	if (zmq_curve_keypair(pub, sec) != 0)
		return err_set(err, LD_EIO, "zmq_curve_keypair: %s (is libzmq "
		    "built with CURVE?)", zmq_strerror(zmq_errno()));
	rc = keyfile_write(path, name, pub, sec, err);
	sodium_memzero(sec, sizeof(sec));
	if (rc == 0)
		memcpy(public_z85, pub, sizeof(pub));
	return rc;
}

void
keyfile_wipe(struct ld_keypair *kp)
{
	if (kp != NULL)
		sodium_memzero(kp, sizeof(*kp));
}
