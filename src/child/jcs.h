/*
 * jcs.h - canonical JSON writer, in two modes.
 *
 * Why: Decision Gate hashes and writes serde_jcs 0.1.0 bytes, which differ
 * from RFC 8785 in key order (escaped UTF-8 key bytes incl. the closing
 * quote) and numbers (integers kept exact). RP_JCS_SERDE reproduces
 * Decision Gate byte for byte; RP_JCS_RFC8785 is the textbook standard
 * (UTF-16 key order, every number an IEEE double), offered for interop.
 * Security posture: CONFINED-CHILD code. Output is bounded by the rp_buf
 * limit; recursion is bounded by the parser's depth limit; duplicate keys
 * are resolved last-wins (serde_json Value semantics).
 */
#ifndef RP_JCS_H
#define RP_JCS_H

#include "../common/buf.h"
#include "../common/err.h"
#include "json.h"

typedef enum rp_jcs_mode {
	RP_JCS_SERDE = 0, /* Decision Gate / serde_jcs 0.1.0 behaviour */
	RP_JCS_RFC8785 = 1
} rp_jcs_mode;

/* Appends the canonical bytes of v to out. */
int jcs_write(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err);

/* Appends the canonical form of a string (with quotes and escapes). */
int jcs_write_string(const char *s, size_t len, rp_buf *out, rp_err *err);

/* Formats a finite double per ECMAScript Number.prototype.toString
 * (shortest round-trip digits). buf must hold 32 bytes. Returns length. */
size_t jcs_format_double(double d, char buf[32]);

/* Parse text and write its canonical form: the `rpvault jcs` core. */
int jcs_canonicalize(const uint8_t *text, size_t len, rp_jcs_mode mode, rp_buf *out,
		     rp_err *err);

#endif
