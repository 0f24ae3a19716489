/*
 * test_keyfile.c - secret key files: what keyfile_write writes
 * keyfile_read reads back; a file others may read is refused; every bad
 * line gives its exact "FILE:LINE: ..." message, and no message holds the
 * secret key.
 */
#include "testutil.h"

#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static char *dir;		/* per test */
static char path[512];		/* dir/XA.key */
static char pub[LD_KEY_Z85 + 1], sec[LD_KEY_Z85 + 1];	/* a fresh pair */
static char pub2[LD_KEY_Z85 + 1], sec2[LD_KEY_Z85 + 1];	/* another */

static int
setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/XA.key", dir);
	assert_int_equal(zmq_curve_keypair(pub, sec), 0);
	assert_int_equal(zmq_curve_keypair(pub2, sec2), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rm_tree(dir);
	return 0;
}

/* Write text to path with the given mode (exactly: fchmod). */
static void
put(const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* keyfile_read of path must fail with code and exactly "PATH<msg>", and
 * the message must not hold either secret key. */
static void
refused(int code, const char *msg)
{
	struct ld_keypair kp;
	struct ld_err err = { 0, "" };
	char want[1024];
	static const uint8_t zero[sizeof(kp)];

	snprintf(want, sizeof(want), "%s%s", path, msg);
	assert_int_equal(keyfile_read(path, &kp, &err), code);
	assert_string_equal(err.msg, want);
	assert_null(strstr(err.msg, sec));
	assert_null(strstr(err.msg, sec2));
	assert_memory_equal(&kp, zero, sizeof(kp));	/* wiped */
}

/* put() the text with mode 0600, then refused(). */
static void
bad(const char *text, int code, const char *msg)
{
	put(text, strlen(text), 0600);
	refused(code, msg);
}

static void
test_roundtrip(void **state)
{
	struct ld_keypair kp;
	struct ld_err err = { 0, "" };
	char pz[LD_KEY_Z85 + 1], derived[LD_KEY_Z85 + 1];
	uint8_t want[LD_KEY_BYTES];
	struct stat st;
	mode_t old;

	(void)state;
	old = umask(0);		/* the file is 0600 whatever the umask */
	assert_int_equal(keyfile_generate(path, "XA", pz, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(keyfile_read(path, &kp, &err), 0);
	assert_string_equal(kp.public_z85, pz);
	assert_non_null(zmq_z85_decode(want, pz));
	assert_memory_equal(kp.public_key, want, LD_KEY_BYTES);
	/* the secret key read gives the public key */
	assert_non_null(zmq_z85_encode(derived, kp.secret_key, LD_KEY_BYTES));
	assert_int_equal(zmq_curve_public(pz, derived), 0);
	assert_string_equal(pz, kp.public_z85);
	keyfile_wipe(&kp);
	assert_int_equal(kp.public_z85[0], '\0');

	/* keyfile_write with given keys: the same layout the tool wrote */
	unlink(path);
	assert_int_equal(keyfile_write(path, "op-xa-zhao", pub, sec, &err), 0);
	{
		char buf[512], want_text[512];
		FILE *f = fopen(path, "r");
		size_t n;

		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		snprintf(want_text, sizeof(want_text), "# liandong CURVE key "
		    "pair of op-xa-zhao: keep this file secret (mode 0600), "
		    "on op-xa-zhao's host only\npublic-key = %s\n"
		    "secret-key = %s\n", pub, sec);
		assert_string_equal(buf, want_text);
	}
	assert_int_equal(keyfile_read(path, &kp, &err), 0);
	assert_string_equal(kp.public_z85, pub);
	keyfile_wipe(&kp);
}

static void
test_write_refuses(void **state)
{
	struct ld_err err = { 0, "" };
	char want[1024];
	struct stat st;

	(void)state;
	assert_int_equal(keyfile_write(path, "XA", pub, sec, &err), 0);
	/* never over an existing file */
	assert_int_equal(keyfile_write(path, "XA", pub2, sec2, &err),
	    LD_EEXIST);
	snprintf(want, sizeof(want), "%s: already exists; not overwriting it",
	    path);
	assert_string_equal(err.msg, want);
	unlink(path);
	/* keys that do not match, a name that would break the comment */
	assert_int_equal(keyfile_write(path, "XA", pub, sec2, &err),
	    LD_EINVAL);
	assert_null(strstr(err.msg, sec2));
	assert_int_equal(keyfile_write(path, "XA\nsecret-key = x", pub, sec,
	    &err), LD_EINVAL);
	assert_int_equal(keyfile_write(path, "XA", "short", sec, &err),
	    LD_EINVAL);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_mode(void **state)
{
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "public-key = %s\nsecret-key = %s\n",
	    pub, sec);
	put(text, strlen(text), 0644);
	refused(LD_EREFUSED, ": mode 0644 lets others read the secret key; "
	    "chmod 600 it");
	put(text, strlen(text), 0640);
	refused(LD_EREFUSED, ": mode 0640 lets others read the secret key; "
	    "chmod 600 it");
	put(text, strlen(text), 0602);
	refused(LD_EREFUSED, ": mode 0602 lets others change the secret key; "
	    "chmod 600 it");
	put(text, strlen(text), 0400);	/* read-only for the owner: fine */
	{
		struct ld_keypair kp;
		struct ld_err err = { 0, "" };

		assert_int_equal(keyfile_read(path, &kp, &err), 0);
		keyfile_wipe(&kp);
	}
	/* owned by someone else (only root can make such a file) */
	if (geteuid() == 0) {
		char msg[128];

		put(text, strlen(text), 0600);
		assert_int_equal(chown(path, 65534, 65534), 0);
		snprintf(msg, sizeof(msg), ": owned by uid 65534, not by the "
		    "user running this program (uid 0)");
		refused(LD_EREFUSED, msg);
	}
	/* not a regular file; no file */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	refused(LD_EREFUSED, ": not a regular file");
	rmdir(path);
	refused(LD_EIO, ": cannot open: No such file or directory");
}

static void
test_bad_lines(void **state)
{
	char t[1024];
	const char *expect = ":%d: expected '# comment', 'public-key = KEY' "
	    "or 'secret-key = KEY'";
	char want[1024];

	(void)state;
	snprintf(t, sizeof(t), "# XA\npublic-key = %s\nsecret-key = short\n",
	    pub);
	bad(t, LD_EINVAL, ":3: secret-key: not a Z85 key");
	snprintf(t, sizeof(t), "public-key = %.39s,\nsecret-key = %s\n", pub,
	    sec);
	bad(t, LD_EINVAL, ":1: public-key: not a Z85 key");
	/* "#####" is 85^5 - 1 > 2^32: the alphabet alone is not enough */
	snprintf(t, sizeof(t), "public-key = #####%.35s\nsecret-key = %s\n",
	    pub, sec);
	bad(t, LD_EINVAL, ":1: public-key: not a Z85 key");
	snprintf(t, sizeof(t), "public-key = %s\nsecret-key = %s x\n", pub,
	    sec);
	bad(t, LD_EINVAL, ":2: secret-key: not a Z85 key");
	snprintf(t, sizeof(t), "public-key = %s\nsecret-key = %s\n"
	    "comment = hello\n", pub, sec);
	bad(t, LD_EINVAL, ":3: unknown key (a key file has only public-key "
	    "and secret-key)");
	/* a secret key alone on a line is never echoed (whether or not it
	 * holds a '=' and so looks like "NAME=VALUE") */
	snprintf(t, sizeof(t), "\n\n%s\n", sec);
	put(t, strlen(t), 0600);
	{
		struct ld_keypair kp;
		struct ld_err err = { 0, "" };

		snprintf(want, sizeof(want), "%s:3: ", path);
		assert_int_equal(keyfile_read(path, &kp, &err), LD_EINVAL);
		assert_memory_equal(err.msg, want, strlen(want));
		assert_null(strstr(err.msg, sec));
		assert_null(strstr(err.msg, sec + 20));
	}
	snprintf(t, sizeof(t), "public-key = %s\npublic-key = %s\n", pub,
	    pub);
	bad(t, LD_EINVAL, ":2: public-key: repeated (first at line 1)");
	/* no '=' (a Z85 key may start with '=': 1 in 85, so not the key) */
	snprintf(t, sizeof(t), "public-key x%.39s\n", pub);
	snprintf(want, sizeof(want), expect, 1);
	bad(t, LD_EINVAL, want);
	snprintf(t, sizeof(t), "# only the public key\npublic-key = %s\n",
	    pub);
	bad(t, LD_EINVAL, ": secret-key: missing");
	bad("", LD_EINVAL, ": public-key: missing");
	/* the keys of two different pairs */
	snprintf(t, sizeof(t), "public-key = %s\nsecret-key = %s\n", pub,
	    sec2);
	bad(t, LD_EINVAL, ":1: public-key: does not match the secret-key "
	    "(line 2)");
	/* a NUL byte */
	{
		size_t n = (size_t)snprintf(t, sizeof(t), "public-key = %s\n"
		    "# a", pub);

		memcpy(t + n, "\0b\n", 3);
		put(t, n + 3, 0600);
		refused(LD_EINVAL, ":2: a NUL byte: not a key file");
	}
	/* too large */
	{
		char *big = malloc(LD_KEYFILE_MAX + 10);

		assert_non_null(big);
		memset(big, '#', LD_KEYFILE_MAX + 10);
		put(big, LD_KEYFILE_MAX + 10, 0600);
		free(big);
		snprintf(want, sizeof(want), ": larger than %d bytes: not a "
		    "key file", LD_KEYFILE_MAX);
		refused(LD_ELIMIT, want);
	}
}

static void
test_lenient_layout(void **state)
{
	struct ld_keypair kp;
	struct ld_err err = { 0, "" };
	char t[1024];

	(void)state;
	/* CRLF, blank lines, indented comments, no blanks around '=', the
	 * keys in either order */
	snprintf(t, sizeof(t), "\r\n  # key pair of XA\r\n\t\r\n"
	    "secret-key=%s\r\n  public-key =\t%s  \r\n# end", sec, pub);
	put(t, strlen(t), 0600);
	assert_int_equal(keyfile_read(path, &kp, &err), 0);
	assert_string_equal(kp.public_z85, pub);
	keyfile_wipe(&kp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lenient_layout, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
