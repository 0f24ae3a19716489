/*
 * keyfile.h - a node's or client's CURVE secret key file.
 *
 * The file `topology keygen` writes (keyfile_write makes the same), mode
 * 0600, owned by the one who runs the node:
 *
 *   # liandong CURVE key pair of XA: keep this file secret (mode 0600), ...
 *   public-key = <40 Z85 characters>
 *   secret-key = <40 Z85 characters>
 *
 * keyfile_read is strict: only blank lines, comment lines ('#' first,
 * after optional blanks) and the two keys, each exactly once, each
 * "NAME = VALUE" with optional blanks around '=' and at either end; the
 * values are 40 characters of the Z85 alphabet that decode to 32 bytes,
 * and the public key must be the one the secret key gives
 * (zmq_curve_public).  A file that group or others may read or write is
 * refused.  Every message names the file and, where there is one, the
 * line: "XA.key:3: secret-key: not a Z85 key".  No message ever holds
 * (any part of) a secret key, and every buffer that held one is wiped.
 */
#ifndef LD_KEYFILE_H
#define LD_KEYFILE_H

#include <stdint.h>

#include "err.h"

#define LD_KEY_BYTES 32		/* a CURVE key */
#define LD_KEY_Z85 40		/* the same in Z85 */
#define LD_KEYFILE_MAX 4096	/* a key file is never larger */

struct ld_keypair {
	uint8_t public_key[LD_KEY_BYTES];
	uint8_t secret_key[LD_KEY_BYTES];
	char public_z85[LD_KEY_Z85 + 1];	/* to show or log */
};

/*
 * Read the key pair in path into *kp.  Returns 0; or LD_EIO (cannot open
 * or read it: "XA.key: cannot open: No such file or directory"),
 * LD_EREFUSED (not a regular file, or a mode that lets group or others at
 * it: "XA.key: mode 0644 lets others read the secret key; chmod 600 it"),
 * LD_ELIMIT (larger than LD_KEYFILE_MAX), LD_EINVAL (a bad line, a key
 * missing or repeated, keys that do not match), with the message in err.
 * On failure *kp is wiped.  Wipe it with keyfile_wipe once the secret key
 * has been handed to the sockets.
 */
int keyfile_read(const char *path, struct ld_keypair *kp,
    struct ld_err *err);

/*
 * Write a key file at path: created with O_CREAT | O_EXCL (an existing
 * file is never replaced: LD_EEXIST) and mode 0600 (fchmod, whatever the
 * umask), a comment line naming name (one line of printable text: the
 * node or client id), the two keys, fsync'd.  public_z85 / secret_z85 are
 * the Z85 keys zmq_curve_keypair gives; they must match (LD_EINVAL).  On
 * any failure nothing is left at path.  Returns 0, LD_EEXIST, LD_EINVAL
 * or LD_EIO with the message in err.
 */
int keyfile_write(const char *path, const char *name, const char *public_z85,
    const char *secret_z85, struct ld_err *err);

/*
 * A fresh key pair (zmq_curve_keypair) written to path by keyfile_write;
 * its public key in public_z85 (LD_KEY_Z85 + 1 bytes).  The secret key
 * exists only in the file.  Returns as keyfile_write.
 */
int keyfile_generate(const char *path, const char *name, char *public_z85,
    struct ld_err *err);

/* Wipe *kp (sodium_memzero: not optimised away). */
void keyfile_wipe(struct ld_keypair *kp);

#endif
