/*
 * keys.h - derivation of a runpack's storage key prefix (spec §11.1).
 *
 * Why: keys are derived from the manifest's ids, never taken from the
 * caller, exactly as Decision Gate's object store derives them:
 *   tenant/<t>/namespace/<n>/scenario/<s>/run/<r>/spec/sha256/<hash>/
 * The child derives the prefix from a parsed manifest; the broker re-checks
 * the shape of any prefix the child hands it before touching the store.
 * Security posture: pure string code on untrusted ids; bounded lengths.
 */
#ifndef RP_KEYS_H
#define RP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limits.h"

#define RP_KEY_PREFIX_MAX RP_MAX_PATH_TOTAL

/* Checks one segment: non-empty, not "." / "..", <= 255 bytes, no '/',
 * '\\' or NUL. Messages use Decision Gate's words:
 * "object store invalid: segment is invalid" / "... segment exceeds length
 * limit" / "... segment contains invalid characters". */
int rp_key_segment_check(const char *s, size_t len, rp_err *err);

/* Builds the prefix (ending in '/') into out[RP_KEY_PREFIX_MAX + 1]. */
int rp_key_prefix(uint64_t tenant, uint64_t namespace_id, const char *scenario, size_t scenario_len,
		  const char *run, size_t run_len, const char *spec_hash, size_t spec_hash_len,
		  char out[RP_KEY_PREFIX_MAX + 1], rp_err *err);

/* Broker side: checks that prefix has exactly the derived shape (eleven
 * valid segments, the fixed words in place, decimal non-zero ids, the
 * sha256 algorithm, 64 lower-case hex digits) and ends in '/'. */
int rp_key_prefix_check(const char *prefix, rp_err *err);

/* Decision Gate's normalize_prefix (spec §11.3) for an object-store root
 * prefix: trims white space, strips one trailing '/', validates, returns
 * "" or "<p>/". */
int rp_key_normalize_root(const char *in, char out[RP_KEY_PREFIX_MAX + 1], rp_err *err);

#endif
