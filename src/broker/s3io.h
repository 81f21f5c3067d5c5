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
 * Export to the store goes through the pipeline (s3export.h): the child
 * queues one plan per runpack (export_plan), the transfers run while the
 * broker waits for the child's next request (pump), and the child collects
 * the results in order (export_wait, export_report).
 * Security posture: BROKER code. Moves bytes only: GET bodies are buffered
 * (<= 16 MiB, so a retried GET never sends the child half an object twice)
 * and streamed to the child; error and listing bodies are relayed unparsed
 * (STORE_ERR, list_page, export results). Uploads stream each body from
 * its file; read-back compares SHA-256 digests, holding no object.
 */
#ifndef RP_S3IO_H
#define RP_S3IO_H

#include "../common/buf.h"
#include "../common/io.h"
#include "fsio.h"
#include "s3conf.h"
#include "s3export.h"
#include "s3http.h"

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
	int read_back;                 /* export: read back what was stored */
	rp_s3x *pipe;                  /* export: the pipeline (created by the first plan) */
} rp_s3io;

int rp_s3io_init(rp_s3io *x, rp_fsio *fs, rp_s3 *s3, const rp_s3_settings *set, rp_err *err);
void rp_s3io_free(rp_s3io *x);
/* Export: read back (and compare) what is stored (the default). */
void rp_s3io_set_read_back(rp_s3io *x, int on);
/* After a failed job: reports every export plan still queued as not
 * confirmed, with code (their uploads are abandoned by rp_s3io_free). */
void rp_s3io_abandon(rp_s3io *x, rp_code code);
/* IN := the stored runpack at runpack prefix `prefix` (checked). */
int rp_s3io_bind_in(rp_s3io *x, const char *prefix, rp_err *err);
rp_io rp_s3io_io(rp_s3io *x);

#endif
