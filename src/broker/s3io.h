/*
 * s3io.h - the broker's rp_io for an object store: the STORE root (and,
 * for verify/fetch from the store, the IN root) are S3 keys; the local
 * roots (IN directory, OUT staging, FILE, output) stay on the file system.
 *
 * Why: the child's jobs are written once against rp_io; this is the second
 * backend behind the same interface, so verify, export, fetch and ls run the
 * same code over a file store or a bucket.
 * Keys are derived, never taken from the caller: root prefix (from the
 * operator's store URI) + runpack prefix (derived by the child from the
 * manifest and re-checked by broker_serve with rp_key_prefix_check) +
 * artifact path (re-checked with rp_path_check). The full key is capped at
 * 4096 bytes, Decision Gate's "object key exceeds length limit".
 * Security posture: BROKER code. Moves bytes only: GET bodies are buffered
 * (<= 16 MiB, so a retried GET never sends the child half an object twice)
 * and streamed to the child; error and listing bodies are relayed unparsed
 * (STORE_ERR, list_page). Uploads of local files stream each body from
 * its descriptor (rp_s3_put_item.fd; at most RP_S3IO_FD_BATCH files open
 * at once), so no artifact is held in memory; only a local backing without
 * read_fd falls back to loading them, bounded by RP_S3IO_PUT_BUDGET bytes
 * of artifacts in flight (plus one artifact). The read-back prefetch holds
 * at most RP_S3IO_PREFETCH_TOTAL bytes of objects of at most
 * RP_S3IO_PREFETCH_ONE bytes each; larger ones are read on demand.
 */
#ifndef RP_S3IO_H
#define RP_S3IO_H

#include "../common/buf.h"
#include "../common/io.h"
#include "fsio.h"
#include "s3conf.h"
#include "s3http.h"

#define RP_S3IO_PUT_BUDGET ((size_t)24 * 1024 * 1024)   /* memory fallback only */
#define RP_S3IO_FD_BATCH ((size_t)64)                    /* files open during an upload */
#define RP_S3IO_PREFETCH_ONE ((uint64_t)1024 * 1024)     /* largest object read back ahead */
#define RP_S3IO_PREFETCH_TOTAL ((uint64_t)8 * 1024 * 1024) /* read back ahead per runpack */

typedef struct rp_s3io {
	rp_fsio *fs;                   /* local roots */
	rp_io local;                   /* fs as an rp_io */
	rp_s3 *s3;
	const rp_s3_settings *set;
	int in_s3;                     /* IN is a stored runpack */
	char in_base[RP_MAX_PATH_TOTAL + 1];
	int store_bound;
	char store_base[RP_MAX_PATH_TOTAL + 1];
	rp_s3_resp *resp;              /* the last failed request's answer (heap: 64 KiB body) */
	int has_detail;
	char what[600];
	rp_buf buf;                    /* GET body */
	/* Read-back prefetch: after a batch of artifacts is PUT, GET the small
	 * ones back in parallel (RP_S3IO_PREFETCH_*) and serve the child's verification
	 * reads of STORE from these fresh copies, instead of one GET at a time. */
	int prefetch;
	size_t n_cache;
	char (*cache_path)[RP_MAX_PATH_TOTAL + 1];
	rp_buf *cache_body;
	int *cache_full;
	uint64_t cache_bytes;
} rp_s3io;

int rp_s3io_init(rp_s3io *x, rp_fsio *fs, rp_s3 *s3, const rp_s3_settings *set, rp_err *err);
void rp_s3io_free(rp_s3io *x);
/* Read-back prefetch on (export with read-back verification). */
void rp_s3io_set_prefetch(rp_s3io *x, int on);
/* IN := the stored runpack at runpack prefix `prefix` (checked). */
int rp_s3io_bind_in(rp_s3io *x, const char *prefix, rp_err *err);
rp_io rp_s3io_io(rp_s3io *x);

#endif
