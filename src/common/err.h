/*
 * err.h - the one error type of rpvault: a code plus a message.
 *
 * Why: every failure must carry a machine-usable code (mapped to an exit
 * status) and a human message naming the file, key or field involved.
 * Security posture: pure data; messages are built with bounded snprintf and
 * are always NUL-terminated; callers sanitize untrusted text before output.
 */
#ifndef RP_ERR_H
#define RP_ERR_H

#include <stddef.h>

#define RP_ERR_MSG_MAX 1024

typedef enum rp_code {
	RP_OK = 0,
	RP_E_USAGE,      /* bad command line or configuration          -> exit 2 */
	RP_E_IO,         /* file system / transport failure             -> exit 3 */
	RP_E_NOMEM,      /* allocation or budget exhausted              -> exit 3 */
	RP_E_LIMIT,      /* a size/depth/count limit was exceeded       -> exit 1 */
	RP_E_TOO_LARGE,  /* an artifact exceeds the byte cap            -> exit 1 */
	RP_E_NOTFOUND,   /* a file or key does not exist                -> exit 1 */
	RP_E_JSON,       /* invalid JSON text                           -> exit 1 */
	RP_E_FORMAT,     /* valid JSON, invalid runpack structure       -> exit 1 */
	RP_E_PATH,       /* path/key rejected by validation             -> exit 1 */
	RP_E_SYMLINK,    /* symlink or non-regular file in a path       -> exit 1 */
	RP_E_VERIFY,     /* the runpack failed verification             -> exit 1 */
	RP_E_CONFLICT,   /* a different runpack exists at the key       -> exit 1 */
	RP_E_EXISTS,     /* refusing to overwrite an existing output    -> exit 1 */
	RP_E_SANDBOX,    /* the confined child died or was killed       -> exit 3 */
	RP_E_PROTO,      /* a frame protocol violation                  -> exit 3 */
	RP_E_STORE,      /* the object store refused a request          -> exit 3 */
	RP_E_INTERNAL    /* an invariant failed (a bug)                 -> exit 3 */
} rp_code;

typedef struct rp_err {
	rp_code code;
	char msg[RP_ERR_MSG_MAX];
} rp_err;

/* Sets code and a formatted message; returns -1 so callers can
 * `return rp_err_set(...)`. A NULL err is tolerated. */
int rp_err_set(rp_err *err, rp_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (keeps the code). */
int rp_err_wrap(rp_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void rp_err_clear(rp_err *err);

/* Stable lower-case name of a code, e.g. "io", "too_large". */
const char *rp_code_name(rp_code code);

/* Process exit status for a code: 0, 1 (content), 2 (usage), 3 (could not run). */
int rp_code_exit(rp_code code);

#endif
