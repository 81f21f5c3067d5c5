/*
 * path.h - the canonical relative path rule for runpack files.
 *
 * Why: Decision Gate tolerates "./a", "a//b" and resolves ".." lexically;
 * rpvault accepts exactly one spelling of each path so that a path names
 * one file on every backend (file system and object store) and cannot
 * escape the runpack root. Both sides check: the child before it asks,
 * the broker before it opens.
 * Security posture: pure string checks on untrusted input, no allocation.
 */
#ifndef RP_PATH_H
#define RP_PATH_H

#include <stddef.h>

#include "err.h"

typedef enum rp_path_status {
	RP_PATH_OK = 0,
	RP_PATH_EMPTY,          /* "" */
	RP_PATH_ABSOLUTE,       /* leading '/' */
	RP_PATH_TRAVERSAL,      /* a ".." component */
	RP_PATH_DOT,            /* a "." component */
	RP_PATH_EMPTY_SEGMENT,  /* "a//b" or a trailing '/' */
	RP_PATH_BACKSLASH,      /* '\' anywhere */
	RP_PATH_CONTROL,        /* NUL, control characters (< 0x20, 0x7f) */
	RP_PATH_TOO_LONG,       /* > RP_MAX_PATH_TOTAL bytes */
	RP_PATH_SEGMENT_TOO_LONG /* a component > RP_MAX_PATH_COMPONENT bytes */
} rp_path_status;

/* Checks p[0..len) (len excludes any terminator; embedded NUL is bad). */
rp_path_status rp_path_check(const char *p, size_t len);

/* Decision Gate's wording where it has one ("absolute artifact path not
 * allowed", "artifact path escapes runpack root"), rpvault's otherwise
 * (e.g. "non-canonical artifact path: '.' component"). */
const char *rp_path_reason(rp_path_status st);

/* rp_path_check + RP_E_PATH error "<what> '<path>': <reason>". */
int rp_path_validate(const char *p, size_t len, const char *what, rp_err *err);

/* Writes a printable form of untrusted bytes for messages: control
 * characters and invalid UTF-8 as \xNN, at most outsz-1 bytes (truncated
 * with "..."). Returns out. */
char *rp_printable(const char *p, size_t len, char *out, size_t outsz);

/* Like rp_printable, but keeps control characters (other than NUL): only
 * invalid UTF-8 becomes \xNN. For text that a JSON writer escapes. */
char *rp_utf8_clean(const char *p, size_t len, char *out, size_t outsz);

#endif
