/*
 * s3export.h - the export pipeline: uploads of several runpacks to an
 * object store in flight at once, each finished by its manifest.
 *
 * What: the confined child verifies a runpack locally and hands the broker
 * a plan: the runpack's key prefix, its manifest and its artifacts, each a
 * path below the input directory with the SHA-256 the child verified. The
 * pipeline then runs every plan on its own, over the asynchronous requests
 * of s3http.h, while the child goes on with the next runpack:
 *
 *   1. probe   GET the stored manifest, hashed: absent (404) -> 2; the
 *              same bytes -> every stored artifact is GET and its hash
 *              compared (an identical runpack already stored is success,
 *              nothing is written); other bytes -> conflict, nothing is
 *              written.
 *   2. upload  PUT each artifact from its file (refused before a byte
 *              leaves when the file no longer hashes to the verified
 *              SHA-256); with read-back, GET it back and compare the hash.
 *   3. commit  only when every artifact is stored (and read back): PUT the
 *              manifest, with read-back GET it and compare its hash.
 *
 * Why: an export is dominated by round trips (about five per runpack when
 * done one runpack at a time); pipelining keeps settings.parallel requests
 * in flight across runpacks. The read-back compares SHA-256 digests of
 * the stored bytes with the digests the child verified: equal digests mean
 * equal bytes, so the stored copy passes verification exactly when the
 * local one did, without sending the bytes through the child again.
 *
 * Bounds: at most RP_EXPORT_WINDOW plans queued (the frame layer refuses
 * more), at most settings.parallel requests in flight (a fixed pool of
 * request records, so at most that many artifact files open), two
 * descriptors per queued plan (the input directory and its manifest). A
 * failed request fails its plan only; the other plans go on.
 *
 * Security posture: BROKER code. Paths and the prefix were validated by
 * broker_serve before they get here; keys are composed and length-checked
 * here once more. Never parses a response body: error bodies are kept
 * (capped) for the confined child (export results carry them).
 */
#ifndef RP_S3EXPORT_H
#define RP_S3EXPORT_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/io.h"
#include "s3conf.h"
#include "s3http.h"

typedef struct rp_s3x rp_s3x; /* opaque */

/* The pipeline over s3 (which it does not own): at most `parallel`
 * requests in flight (settings.parallel). read_back: the GETs of steps 2
 * and 3. */
int rp_s3x_open(rp_s3x **out, rp_s3 *s3, unsigned parallel, int read_back, rp_err *err);
/* Abandons what is queued (asynchronous requests in flight are cancelled,
 * rp_s3_cancel_requests) and frees everything. NULL is fine. */
void rp_s3x_close(rp_s3x *x);

/* Queues the plan of input `input`: base = root prefix + runpack prefix
 * (ending in '/'), shown = how messages name the runpack ("s3://b/p/"),
 * e[0] the manifest, e[1..n) the artifacts (no path equal to the
 * manifest's). dirfd is the input directory, taken over (closed by the
 * pipeline, also on failure). The manifest is opened here (its size bounds
 * the probe). Fails with RP_E_LIMIT when RP_EXPORT_WINDOW plans are queued,
 * RP_E_PATH for an overlong key, or the open's error. */
int rp_s3x_plan(rp_s3x *x, size_t input, int dirfd, const char *base, const char *shown,
		const rp_export_entry *e, size_t n, rp_err *err);

/* Waits (driving the transfers) until the oldest queued plan is finished;
 * 1 with *res (valid until the next call on x), 0 when nothing is queued. */
int rp_s3x_wait(rp_s3x *x, rp_export_result *res);

/* Drives the transfers until fd is readable or nothing is in flight. */
void rp_s3x_pump(rp_s3x *x, int fd);

/* Plans queued and not yet returned by rp_s3x_wait. */
size_t rp_s3x_queued(const rp_s3x *x);
/* The input of the i-th queued plan (0 = oldest). */
size_t rp_s3x_queued_input(const rp_s3x *x, size_t i);

#endif
