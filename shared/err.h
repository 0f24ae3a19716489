/*
 * err.h - liandong's one error code space.
 *
 * Every fallible function returns 0 (LD_OK) or a negative LD_E* code, and
 * when given a struct ld_err it also fills a message a person can read:
 * what was wrong and where ("field 'phone': string of 40 bytes exceeds
 * limit 24").  Codes are stable: they appear on the wire (docs/protocol.md)
 * and in logs.  They lie below -1000 so they never collide with -errno.
 */
#ifndef LD_ERR_H
#define LD_ERR_H

#include <stddef.h>

enum {
	LD_OK = 0,
	LD_EINVAL = -1001,	/* bad argument or request */
	LD_ENOMEM = -1002,	/* allocation failed */
	LD_EMALFORMED = -1003,	/* bytes that are not valid msgpack */
	LD_ELIMIT = -1004,	/* a size, depth or length limit exceeded */
	LD_ETYPE = -1005,	/* a field of the wrong type */
	LD_EMISSING = -1006,	/* a required field is absent */
	LD_EUNKNOWN = -1007,	/* an unknown field, kind or enum value */
	LD_EUTF8 = -1008,	/* text that is not valid UTF-8 */
	LD_EREFUSED = -1009,	/* the state machine refused the event */
	LD_ESCHEMA = -1010,	/* database of another schema version */
	LD_ECORRUPT = -1011,	/* damaged database or view */
	LD_EFULL = -1012,	/* database full (map at its maximum) */
	LD_EIO = -1013,		/* I/O error (see message) */
	LD_EEXIST = -1014,	/* already exists */
	LD_ENOTFOUND = -1015,	/* no such ticket / key */
	LD_EGAP = -1016,	/* event sequence out of order */
	LD_EDUP = -1017,	/* event already applied */
	LD_EBUSY = -1018	/* resource locked (another process) */
};

#define LD_ERR_MSG_MAX 256

struct ld_err {
	int code;
	char msg[LD_ERR_MSG_MAX];
};

/* Stable short name of a code ("EREFUSED"); "E?" for an unknown one. */
const char *err_name(int code);

/* Record code and formatted message in *e (which may be NULL), return code.
 * The message is truncated to LD_ERR_MSG_MAX - 1 bytes. */
int err_set(struct ld_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in *e with "prefix: " (e.g. a field path). */
int err_prefix(struct ld_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void err_clear(struct ld_err *e);

#endif
