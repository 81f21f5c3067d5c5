/*
 * utf8.h - strict UTF-8 decoding, encoding and validation, shared.
 *
 * Why: the JSON writer, the S3 XML reader and the message sanitizer all
 * need the same definition of valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF); one implementation keeps them from drifting.
 * (The JSON parser keeps its own streaming state machine in its hot loop.)
 * Security posture: pure functions over untrusted bytes; never read past n.
 */
#ifndef RP_UTF8_H
#define RP_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s[0..n) (n >= 1); returns its length (1-4) and
 * sets *cp, or returns 0 for an invalid or truncated sequence. */
size_t rp_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (a Unicode scalar value, not a surrogate) into out; returns
 * the length (1-4), or 0 when cp is not encodable. */
size_t rp_utf8_encode(uint32_t cp, uint8_t out[4]);

/* True when s[0..n) is entirely valid UTF-8. */
bool rp_utf8_valid(const uint8_t *s, size_t n);

#endif
