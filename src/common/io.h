/*
 * io.h - the one interface between the confined child's logic and the
 * broker's disk (and, later, network) access.
 *
 * Why: every job (verify, pack, export, fetch, ls, jcs) is written once
 * against rp_io. In the release binary the child's rp_io sends frames to
 * the broker (sandbox/child_io.c), and the broker serves each request with
 * the file-system implementation (src/broker/fsio.c). Unit tests and the
 * in-process bench build plug fsio in directly. The verifier therefore is a
 * pure function over "read path P with at most N bytes".
 * Security posture: paths passed through rp_io are untrusted (they come
 * from manifests); every implementation re-validates them
 * (src/common/path.h) and never follows symlinks below a root.
 */
#ifndef RP_IO_H
#define RP_IO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The directory trees a job may touch. The broker binds each to a
 * directory fd before the child starts (STORE: on store_open). */
typedef enum rp_root {
	RP_ROOT_IN = 1,    /* the input runpack dir / pack SRC dir / fetched runpack */
	RP_ROOT_OUT = 2,   /* staging dir of pack --out or fetch DEST (renamed on commit) */
	RP_ROOT_STORE = 3, /* the runpack's directory inside the store (after store_open) */
	RP_ROOT_FILE = 4   /* a single pre-opened input file (jcs input, anchor policy); path "" */
} rp_root;

/* Receives streamed bytes; return nonzero (and set err) to abort. */
typedef int (*rp_sink_fn)(void *ctx, const uint8_t *p, size_t n, rp_err *err);

/* One runpack found by list(). */
typedef struct rp_list_entry {
	const char *prefix; /* store-relative key prefix, ending in '/' */
	int has_manifest;   /* the manifest object is present */
} rp_list_entry;
typedef int (*rp_list_fn)(void *ctx, const rp_list_entry *e, rp_err *err);

/* Bucket-level facts an object store can report (store check). */
typedef enum rp_bucket_info {
	RP_BUCKET_VERSIONING = 1,  /* GET ?versioning */
	RP_BUCKET_OBJECT_LOCK = 2  /* GET ?object-lock */
} rp_bucket_info;

/* The object store's own answer to a failed request, for the confined
 * child to parse (the broker never parses response bodies). */
typedef struct rp_store_detail {
	unsigned status;     /* HTTP status */
	const char *what;    /* "GET s3://bucket/key", printable */
	const uint8_t *body; /* the error body as received (may be empty) */
	size_t body_len;
} rp_store_detail;

/* One file of an export plan (export_plan): a path below IN and the
 * SHA-256 the child verified for it. */
typedef struct rp_export_entry {
	const char *path;
	uint8_t sha[32];
} rp_export_entry;

/* The outcome of one export plan (export_wait). */
typedef struct rp_export_result {
	size_t input;        /* the input the plan was queued for */
	rp_code code;        /* RP_OK: stored (or already stored) and, with read-back, read back */
	int existed;         /* RP_OK: an identical runpack was already stored */
	unsigned status;     /* the failed request's HTTP status when the store answered one (>= 300), else 0 */
	const char *context; /* what failed, e.g. "uploading artifacts/a.json"; the whole message when
			      * status is 0 ("" on success) */
	const char *what;    /* status >= 300: the request, "PUT s3://bucket/key" (printable) */
	const uint8_t *body; /* status >= 300: the store's error body, unparsed (may be empty) */
	size_t body_len;
} rp_export_result;

typedef struct rp_io_ops {
	/* Streams the regular file root/path to fn. A file larger than max is
	 * refused before any byte is delivered with RP_E_TOO_LARGE and the
	 * message "artifact too large: <path> (<size> > <max>)"; a file that
	 * grows past max while read fails the same way without reading more.
	 * Missing: RP_E_NOTFOUND. Symlink / not a regular file anywhere below
	 * the root: RP_E_SYMLINK. Bad path: RP_E_PATH. */
	int (*read)(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		    void *fnctx, rp_err *err);
	/* Atomically creates root/path with the bytes: parent dirs created,
	 * temp file, fsync, rename, directory fsync. OUT and STORE only. */
	int (*write)(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		     rp_err *err);
	/* Copies from/path to to/path (atomically, like write) without the
	 * caller seeing the bytes; at most max bytes. */
	int (*copy)(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		    rp_err *err);
	/* Binds RP_ROOT_STORE to <store>/<prefix> (prefix: a validated key
	 * prefix ending in '/'), creating it when create is nonzero. */
	int (*store_open)(void *self, const char *prefix, int create, rp_err *err);
	/* Renames the OUT staging directory into its final place. */
	int (*commit)(void *self, rp_err *err);
	/* Lists runpacks in the store (bounded by RP_MAX_LIST_ENTRIES). */
	int (*list)(void *self, rp_list_fn fn, void *fnctx, rp_err *err);
	/* Writes bytes to the user's stdout (fd 1) or stderr (fd 2). */
	int (*output)(void *self, int fd, const uint8_t *p, size_t n, rp_err *err);

	/* The operations below are optional (NULL when a backend has none). */

	/* copy() for n paths at once; a backend may run them in parallel.
	 * Fails with the error of the lowest-index path that failed. */
	int (*copy_many)(void *self, rp_root from, rp_root to, const char *const *paths, size_t n,
			 uint64_t max, rp_err *err);
	/* Object stores: one raw ListObjectsV2 page of the store's root prefix
	 * (token "" for the first page), streamed to fn, at most 1 MiB. */
	int (*list_page)(void *self, const char *token, rp_sink_fn fn, void *fnctx, rp_err *err);
	/* Object stores: the raw XML of a bucket sub-resource. */
	int (*bucket_info)(void *self, rp_bucket_info what, rp_sink_fn fn, void *fnctx, rp_err *err);
	/* After a failed operation: 1 and *out filled when the failure was an
	 * object store's HTTP answer, else 0. Valid until the next operation. */
	int (*store_detail)(void *self, rp_store_detail *out);
	/* Multi-input jobs (export of several runpacks in one child): the
	 * current input is finished with code/msg (RP_OK and "" on success);
	 * bind IN to the next input. 0 when bound; -1 with RP_E_NOTFOUND when
	 * there is none left. The broker reports each input's result. */
	int (*next_input)(void *self, rp_code code, const char *msg, rp_err *err);
	/* Opens the regular file root/path for reading exactly as read() does
	 * (same validation, O_NOFOLLOW walk, regular-file check, error codes
	 * and messages; a file larger than max is refused before any byte with
	 * RP_E_TOO_LARGE "artifact too large: <path> (<size> > <max>)") and
	 * hands over the descriptor instead of streaming it: *fd (O_CLOEXEC,
	 * blocking, offset 0; the caller closes it) and *size (fstat at open).
	 * On failure *fd is -1. Lets the broker splice(2) file bytes into the
	 * child's pipe without copying them through its own memory. Backends
	 * without descriptors (object stores, test fakes) leave it NULL and
	 * are served through read(). Not for RP_ROOT_FILE (may be stdin). */
	int (*read_fd)(void *self, rp_root root, const char *path, uint64_t max, int *fd,
		       uint64_t *size, rp_err *err);
	/* Object stores, export: queues the upload of the runpack bound to IN
	 * into the STORE binding (store_open first; see src/broker/s3export.h
	 * for the steps): e[0] is the manifest, e[1..n) the artifacts, each
	 * with the SHA-256 the child verified. 0 when queued; the result comes
	 * from export_wait. At most RP_EXPORT_WINDOW plans may be queued. */
	int (*export_plan)(void *self, const rp_export_entry *e, size_t n, rp_err *err);
	/* Waits for the oldest queued plan: 1 and *res (valid until the next
	 * call), 0 when none is queued. */
	int (*export_wait)(void *self, rp_export_result *res, rp_err *err);
	/* The final result of a plan's input, after export_wait returned it:
	 * reported like next_input's (RP_OK and "" on success). */
	int (*export_report)(void *self, size_t input, rp_code code, const char *msg, rp_err *err);
	/* Broker side: background work (transfers of queued plans) until fd
	 * is readable. */
	void (*pump)(void *self, int fd);
} rp_io_ops;

typedef struct rp_io {
	const rp_io_ops *ops;
	void *self;
} rp_io;

/* Convenience: read a whole file (<= max bytes) into a heap buffer. */
struct rp_buf;
int rp_io_slurp(const rp_io *io, rp_root root, const char *path, uint64_t max,
		struct rp_buf *out, rp_err *err);
int rp_io_print(const rp_io *io, int fd, const char *s, rp_err *err);

#endif
