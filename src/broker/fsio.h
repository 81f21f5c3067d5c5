/*
 * fsio.h - the broker's file-system implementation of rp_io.
 *
 * Why: the broker owns the disk. Each root (input runpack, output staging,
 * store, single input file) is bound to a directory fd before the child
 * starts; every request is resolved beneath that fd one component at a
 * time with O_NOFOLLOW, so a manifest can never make the broker read or
 * write outside the root or through a symlink.
 * Security posture: PRIVILEGED side. Paths arriving here are untrusted
 * (they come from manifests via the child) and are re-validated with
 * rp_path_check / rp_key_prefix_check. Writes are atomic (temp file,
 * fsync, rename, directory fsync); store objects are write-once.
 */
#ifndef RP_FSIO_H
#define RP_FSIO_H

#include <stdint.h>

#include "../common/err.h"
#include "../common/io.h"
#include "../common/limits.h"

typedef struct rp_fsio {
	int in_fd;         /* RP_ROOT_IN directory, or -1 */
	int out_parent_fd; /* directory holding the OUT staging dir, or -1 */
	int out_fd;        /* RP_ROOT_OUT staging directory, or -1 */
	int store_root_fd; /* the store's top directory, or -1 */
	int store_fd;      /* RP_ROOT_STORE: the runpack dir in the store, or -1 */
	int file_fd;       /* RP_ROOT_FILE, or -1 */
	int committed;
	char out_stage_name[64];
	char out_final_name[RP_MAX_PATH_COMPONENT + 1];
	char store_path[RP_MAX_PATH_TOTAL + 1]; /* for messages */
	uint8_t *chunk;                         /* read buffer */
	/* Multi-input jobs (rp_fsio_set_inputs). */
	const char *const *inputs;
	size_t n_inputs, cur_input;
	void (*report)(void *ctx, size_t index, rp_code code, const char *msg);
	void *report_ctx;
} rp_fsio;

#define RP_FSIO_CHUNK (256 * 1024)

void rp_fsio_init(rp_fsio *f);
/* Releases fds; removes the OUT staging directory unless committed. */
void rp_fsio_close(rp_fsio *f);
rp_io rp_fsio_io(rp_fsio *f);

/* IN: a directory the user named (followed if it is a symlink: the user's
 * own path is trusted; nothing below it is). */
int rp_fsio_bind_in(rp_fsio *f, const char *dir, rp_err *err);
/* FILE: a path, or "-" for standard input. */
int rp_fsio_bind_file(rp_fsio *f, const char *path, rp_err *err);
/* OUT: refuses when final exists; creates a staging dir beside it. */
int rp_fsio_bind_out(rp_fsio *f, const char *final_dir, rp_err *err);
/* The store root directory (created with mode 0750 when create != 0). */
int rp_fsio_bind_store(rp_fsio *f, const char *store_dir, int create, rp_err *err);
/* Several input directories for one job (export DIR...): binds IN to the
 * first that can be bound and serves next_input for the rest. report is
 * called once per input with its result (binding failures included).
 * RP_E_NOTFOUND when no input could be bound. */
int rp_fsio_set_inputs(rp_fsio *f, const char *const *dirs, size_t n,
		       void (*report)(void *ctx, size_t index, rp_code code, const char *msg), void *ctx,
		       rp_err *err);
/* IN := <store>/<prefix> (a stored runpack), beneath the store root. */
int rp_fsio_bind_in_stored(rp_fsio *f, const char *prefix, rp_err *err);

/* For work that outlives the current input (the S3 export pipeline): a
 * new descriptor of the IN directory (O_CLOEXEC; the caller closes it). */
int rp_fsio_in_dup(const rp_fsio *f, int *fd, rp_err *err);
/* Opens path below the directory dirfd exactly as read_fd opens it below a
 * bound root: path validated, O_NOFOLLOW walk, regular file, size <= max,
 * the same codes and messages. */
int rp_fsio_open_below(int dirfd, const char *path, uint64_t max, int *fd, uint64_t *size,
		       rp_err *err);
/* Reports the result of input index through the report callback of
 * rp_fsio_set_inputs (nothing when there is none or index is out of range). */
void rp_fsio_report(const rp_fsio *f, size_t index, rp_code code, const char *msg);

#endif
