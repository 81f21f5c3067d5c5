/*
 * s3list.h - `ls` over an object store: pages through ListObjectsV2 (raw
 * XML relayed by the broker) and groups object keys into runpacks.
 *
 * Why in the child: listing pages are untrusted bytes; they are parsed here
 * with the strict S3 XML reader, and only runpack prefixes (re-checked by
 * the caller with rp_key_prefix_check) come out. Keys of one runpack are
 * contiguous in a listing (S3 lists in byte order and they share the
 * prefix), so grouping is one pass with one pending entry.
 * Security posture: CONFINED-CHILD code. Bounded: pages <= 1 MiB, at most
 * RP_MAX_STORE_PAGES pages, a repeated continuation token is an
 * error (a store that loops), keys outside the requested prefix are errors.
 */
#ifndef RP_S3LIST_H
#define RP_S3LIST_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/io.h"
#include "../common/limits.h"

/* The root prefix of store URI "s3://bucket[/p]": "" or "p/". Returns -1
 * (RP_E_USAGE) if uri is not an s3:// URI or the result does not fit. */
int rp_s3_root_prefix_of(const char *uri, char *out, size_t outsz, rp_err *err);

/* Calls fn once per runpack prefix (relative to the root prefix, ending in
 * '/'), has_manifest set when "manifest.json" or "runpack.json" is stored
 * directly under it. Keys that do not have eleven segments below the root
 * prefix are skipped (they are not runpacks). */
int rp_s3_list_runpacks(const rp_io *io, const char *root_prefix, rp_list_fn fn, void *fnctx,
			rp_err *err);

/* The grouping step alone (for tests and the fuzz harness): feeds one key
 * (full key, root prefix included) into the state. */
typedef struct rp_s3_group {
	const char *root_prefix;
	size_t root_len;
	char cur[RP_MAX_PATH_TOTAL + 1]; /* pending runpack prefix, "" if none */
	int cur_manifest;
	unsigned long emitted;
	rp_list_fn fn;
	void *fnctx;
} rp_s3_group;

void rp_s3_group_init(rp_s3_group *g, const char *root_prefix, rp_list_fn fn, void *fnctx);
int rp_s3_group_key(rp_s3_group *g, const char *key, size_t len, rp_err *err);
int rp_s3_group_finish(rp_s3_group *g, rp_err *err);

#endif
