/*
 * broker_serve.c - the broker's request loop and per-job dispatch table
 * (see broker_serve.h).
 *
 * Security posture: BROKER code; everything the child sends is untrusted.
 * Order of checks for each request: the frame layer (frame.c) has already
 * checked type, exact length bounds, sequence and conversation state; here
 * the request must be allowed for the job kind, roots and sizes must be in
 * range, and the path / prefix must pass the shared validators. Only then
 * is the backing rp_io called. A refusal at any step is fatal for the
 * whole job (the caller kills the child): a well-behaved child validates
 * before it asks (child_io.c), so a refused request means a compromised
 * or broken child.
 */
#include "broker_serve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/keys.h"
#include "common/limits.h"
#include "common/path.h"
#include "frame.h"
#include "proto.h"

#define R BROKER_ROOT
#define IN RP_ROOT_IN
#define OUT RP_ROOT_OUT
#define STORE RP_ROOT_STORE
#define FILE_ RP_ROOT_FILE

/* What each job's child may ask for. Reads are further capped at
 * RP_MAX_ARTIFACT_BYTES for every kind (jcs' FILE included). VERIFY with
 * RP_JOB_F_FROM_STORE needs nothing more: the broker binds IN to the
 * stored runpack before the child starts. */
static const broker_perm broker_perms[] = {
	{ RP_JOB_VERIFY, "verify", R(IN), 0, 0, BROKER_OP_OUTPUT },
	{ RP_JOB_PACK, "pack", R(IN) | R(FILE_) | R(OUT), R(OUT), 0,
	  BROKER_OP_COMMIT | BROKER_OP_OUTPUT },
	{ RP_JOB_EXPORT, "export", R(IN) | R(STORE), R(STORE), BROKER_COPY(IN, STORE),
	  BROKER_OP_STORE_OPEN | BROKER_OP_OUTPUT | BROKER_OP_NEXT_INPUT | BROKER_OP_EXPORT_PLAN },
	{ RP_JOB_FETCH, "fetch", R(IN) | R(OUT), R(OUT), BROKER_COPY(IN, OUT),
	  BROKER_OP_COMMIT | BROKER_OP_OUTPUT },
	{ RP_JOB_LS, "ls", 0, 0, 0, BROKER_OP_LIST | BROKER_OP_LIST_PAGE | BROKER_OP_OUTPUT },
	{ RP_JOB_JCS, "jcs", R(FILE_), 0, 0, BROKER_OP_OUTPUT },
	{ RP_JOB_STORE_CHECK, "store check", 0, 0, 0,
	  BROKER_OP_BUCKET | BROKER_OP_LIST_PAGE | BROKER_OP_OUTPUT },
};

#undef R
#undef IN
#undef OUT
#undef STORE
#undef FILE_

const broker_perm *broker_perm_for(uint32_t kind)
{
	for (size_t i = 0; i < sizeof broker_perms / sizeof broker_perms[0]; i++)
		if (broker_perms[i].kind == kind)
			return &broker_perms[i];
	return NULL;
}

typedef struct broker {
	rp_chan chan;
	const rp_job *job;
	const broker_perm *perm;
	const rp_io *backing;
	int store_open_tried; /* STORE_OPEN is allowed once */
	int store_bound;      /* ... and STORE is usable only after it succeeded */
	int commit_tried;     /* COMMIT is allowed once; OUT is finished after it */
	int list_tried;       /* LIST_REQ is allowed once */
	unsigned long pages;  /* LIST_PAGE_REQs served */
	unsigned long requests;
	uint32_t plans;       /* export plans queued and not yet reported */
	size_t result_input;  /* the input of the last EXPORT_RESULT sent */
} broker;

/* A refused request: fatal, RP_E_PROTO. */
__attribute__((format(printf, 3, 4))) static int broker_refuse(broker *b, rp_err *err,
							       const char *fmt, ...);

static int broker_refuse(broker *b, rp_err *err, const char *fmt, ...)
{
	char msg[RP_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	b->chan.broken = 1;
	return rp_err_set(err, RP_E_PROTO, "child request refused (job %s): %s", b->perm->name, msg);
}

/* Validates the untrusted path bytes of a request into out[]. */
static int broker_path(broker *b, uint32_t root, const uint8_t *p, size_t n, const char *field,
		       char out[RP_MAX_PATH_TOTAL + 1], rp_err *err)
{
	char shown[96];
	if (root == RP_ROOT_FILE) {
		if (n != 0)
			return broker_refuse(b, err, "%s must be empty for the FILE root", field);
		out[0] = '\0';
		return 0;
	}
	rp_path_status st = rp_path_check((const char *)p, n);
	if (st != RP_PATH_OK)
		return broker_refuse(b, err, "%s '%s': %s", field,
				     rp_printable((const char *)p, n, shown, sizeof shown),
				     rp_path_reason(st));
	memcpy(out, p, n); /* n <= RP_MAX_PATH_TOTAL: the frame bounds and the check say so */
	out[n] = '\0';
	return 0;
}

/* Checks that `root` may be touched at all right now (STORE bound, OUT not
 * yet committed). */
static int broker_root_usable(broker *b, uint32_t root, const char *what, rp_err *err)
{
	if (root == RP_ROOT_STORE && !b->store_bound)
		return broker_refuse(b, err, "%s uses the STORE root before a successful STORE_OPEN",
				     what);
	if (root == RP_ROOT_OUT && b->commit_tried)
		return broker_refuse(b, err, "%s uses the OUT root after COMMIT", what);
	return 0;
}

/* Relays an object store's error answer unparsed: the child parses the
 * body (store_err.c). Bodies longer than one frame are cut; what matters
 * (<Code>) comes first in every S3 error body. */
static int broker_store_err(broker *b, rp_code c, const rp_store_detail *d, rp_err *err)
{
	uint8_t hdr[RP_PL_STORE_ERR + 512];
	size_t wlen = d->what != NULL ? strnlen(d->what, 512) : 0;
	rp_put_u32(hdr, (uint32_t)c);
	rp_put_u32(hdr + 4, d->status >= 100 && d->status <= 999 ? d->status : 999u);
	rp_put_u32(hdr + 8, (uint32_t)wlen);
	if (wlen > 0)
		memcpy(hdr + RP_PL_STORE_ERR, d->what, wlen);
	size_t room = RP_FRAME_MAX_PAYLOAD - RP_PL_STORE_ERR - wlen;
	size_t blen = d->body_len < room ? d->body_len : room;
	return rp_chan_send(&b->chan, RP_MSG_STORE_ERR, hdr, RP_PL_STORE_ERR + wlen, d->body, blen,
			    err);
}

/* Answers a request with OK, or ERR carrying the backing's error (or
 * STORE_ERR when the failure was the object store's answer). */
static int broker_reply(broker *b, int rc, const rp_err *berr, rp_err *err)
{
	if (rc == 0)
		return rp_chan_send(&b->chan, RP_MSG_OK, NULL, 0, NULL, 0, err);
	uint8_t code[RP_PL_CODE];
	rp_code c = berr->code;
	if (c == RP_OK || c > RP_E_INTERNAL)
		c = RP_E_INTERNAL; /* a backing that failed without a code */
	rp_store_detail d;
	if (b->backing->ops->store_detail != NULL &&
	    b->backing->ops->store_detail(b->backing->self, &d) == 1)
		return broker_store_err(b, c, &d, err);
	rp_put_u32(code, (uint32_t)c);
	size_t n = strnlen(berr->msg, RP_ERR_MSG_MAX - 1);
	return rp_chan_send(&b->chan, RP_MSG_ERR, code, sizeof code, berr->msg, n, err);
}

typedef struct read_ctx {
	broker *b;
	uint64_t max, sent;
	const char *path;
	int chan_failed;
	rp_err chan_err;
} read_ctx;

/* Forwards a chunk from the backing as DATA frames. A channel failure is
 * remembered separately from ordinary read errors: the first ends the
 * job, the second becomes an ERR frame. */
static int broker_read_sink(void *vctx, const uint8_t *p, size_t n, rp_err *err)
{
	read_ctx *ctx = vctx;
	if (n > ctx->max - ctx->sent)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (more than %llu bytes)",
				  ctx->path, (unsigned long long)ctx->max);
	ctx->sent += n;
	while (n > 0) {
		size_t k = n < RP_FRAME_MAX_PAYLOAD ? n : RP_FRAME_MAX_PAYLOAD;
		if (rp_chan_send(&ctx->b->chan, RP_MSG_DATA, p, k, NULL, 0, &ctx->chan_err) != 0) {
			ctx->chan_failed = 1;
			return rp_err_set(err, RP_E_IO, "channel to child failed");
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* READ served zero-copy: the backing opens the file (same checks and
 * errors as its read), the bytes go file -> pipe with splice(2) as DATA
 * frames of at most RP_FRAME_MAX_PAYLOAD, never through broker memory.
 * Frame lengths come from fstat. As with read(): a file that grew while
 * it was sent is sent on to its new end, and one that grew past max is
 * refused with RP_E_TOO_LARGE (an ERR after DATA). A file that shrinks
 * under a frame breaks the channel mid-frame (RP_E_IO: the job fails,
 * the child is killed). */
static int broker_read_spliced(broker *b, rp_root root, const char *path, uint64_t max,
			       rp_err *err)
{
	int fd = -1;
	uint64_t size = 0;
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->read_fd(b->backing->self, root, path, max, &fd, &size, &berr);
	if (rc == 0 && fd < 0)
		rc = rp_err_set(&berr, RP_E_INTERNAL, "read_fd of %s returned no descriptor", path);
	uint64_t sent = 0;
	while (rc == 0) {
		if (size > max) { /* the backing refuses up front; a file that grew is refused here */
			rc = rp_err_set(&berr, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)",
					path, (unsigned long long)size, (unsigned long long)max);
			break;
		}
		while (sent < size) {
			uint64_t left = size - sent;
			uint32_t k = left < RP_FRAME_MAX_PAYLOAD ? (uint32_t)left : RP_FRAME_MAX_PAYLOAD;
			if (rp_chan_send_spliced(&b->chan, RP_MSG_DATA, fd, k, err) != 0) {
				(void)close(fd);
				return rp_err_wrap(err, "READ %s (after %llu of %llu bytes)", path,
						   (unsigned long long)sent, (unsigned long long)size);
			}
			sent += k;
		}
		struct stat st;
		if (fstat(fd, &st) != 0)
			rc = rp_err_set(&berr, RP_E_IO, "artifact error: cannot stat %s: %s", path,
					rp_errno_name(errno));
		else if ((uint64_t)st.st_size <= sent)
			break; /* at the end (a shrink shows up as a short splice) */
		else
			size = (uint64_t)st.st_size;
	}
	if (fd >= 0)
		(void)close(fd);
	if (rc != 0)
		return broker_reply(b, rc, &berr, err);
	return rp_chan_send(&b->chan, RP_MSG_END, NULL, 0, NULL, 0, err);
}

static int broker_read(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t root = rp_get_u32(pl);
	uint64_t max = rp_get_u64(pl + 4);
	char path[RP_MAX_PATH_TOTAL + 1];
	if (!rp_root_valid(root) || !(b->perm->read_roots & BROKER_ROOT(root)))
		return broker_refuse(b, err, "READ_REQ.root %u (%s) is not readable", (unsigned)root,
				     rp_root_name(root));
	if (broker_root_usable(b, root, "READ_REQ", err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return broker_refuse(b, err, "READ_REQ.max %llu exceeds the artifact cap %llu",
				     (unsigned long long)max, RP_MAX_ARTIFACT_BYTES);
	if (broker_path(b, root, pl + RP_PL_READ_REQ, b->chan.hdr.len - RP_PL_READ_REQ,
			"READ_REQ.path", path, err) != 0)
		return -1;
	/* FILE may be stdin (no size, no splice from a tty): streamed below. */
	if (root != RP_ROOT_FILE && b->backing->ops->read_fd != NULL)
		return broker_read_spliced(b, (rp_root)root, path, max, err);
	read_ctx ctx = { .b = b, .max = max, .path = path };
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->read(b->backing->self, (rp_root)root, path, max, broker_read_sink,
				       &ctx, &berr);
	if (ctx.chan_failed) {
		*err = ctx.chan_err;
		return -1;
	}
	if (rc != 0)
		return broker_reply(b, rc, &berr, err);
	return rp_chan_send(&b->chan, RP_MSG_END, NULL, 0, NULL, 0, err);
}

static int broker_write(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t root = rp_get_u32(pl);
	uint64_t size = rp_get_u64(pl + 4);
	char path[RP_MAX_PATH_TOTAL + 1];
	if (!rp_root_valid(root) || !(b->perm->write_roots & BROKER_ROOT(root)))
		return broker_refuse(b, err, "WRITE_BEGIN.root %u (%s) is not writable",
				     (unsigned)root, rp_root_name(root));
	if (broker_root_usable(b, root, "WRITE_BEGIN", err) != 0)
		return -1;
	if (size > RP_MAX_ARTIFACT_BYTES)
		return broker_refuse(b, err, "WRITE_BEGIN.size %llu exceeds the artifact cap %llu",
				     (unsigned long long)size, RP_MAX_ARTIFACT_BYTES);
	if (broker_path(b, root, pl + RP_PL_WRITE_BEGIN, b->chan.hdr.len - RP_PL_WRITE_BEGIN,
			"WRITE_BEGIN.path", path, err) != 0)
		return -1;
	/* Buffered whole (<= 16 MiB) because rp_io write is atomic per file:
	 * nothing reaches the backing until END arrives with exactly the
	 * declared size, so a child killed mid-write leaves nothing behind. */
	rp_buf data;
	rp_buf_init(&data, (size_t)size);
	if (size != 0 && rp_buf_reserve(&data, (size_t)size, err) != 0)
		return -1;
	int rc = -1;
	for (;;) {
		if (rp_chan_recv(&b->chan, err) != 0)
			goto out;
		uint32_t len = b->chan.hdr.len;
		if (b->chan.hdr.type == RP_MSG_END)
			break;
		/* DATA (the state table admits nothing else in WRITE) */
		if (len > size - data.len) {
			broker_refuse(b, err, "WRITE '%s': DATA beyond the declared size %llu", path,
				      (unsigned long long)size);
			goto out;
		}
		if (rp_buf_append(&data, b->chan.payload, len, err) != 0)
			goto out;
	}
	if (data.len != size) {
		broker_refuse(b, err, "WRITE '%s': END after %zu of %llu declared bytes", path,
			      data.len, (unsigned long long)size);
		goto out;
	}
	rp_err berr;
	rp_err_clear(&berr);
	int wrc = b->backing->ops->write(b->backing->self, (rp_root)root, path,
					 data.data != NULL ? (const uint8_t *)data.data : (const uint8_t *)"", data.len,
					 &berr);
	rc = broker_reply(b, wrc, &berr, err);
out:
	rp_buf_free(&data);
	return rc;
}

static int broker_copy(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t from = rp_get_u32(pl);
	uint32_t to = rp_get_u32(pl + 4);
	uint64_t max = rp_get_u64(pl + 8);
	char path[RP_MAX_PATH_TOTAL + 1];
	if (!rp_root_valid(from) || !rp_root_valid(to) ||
	    !(b->perm->copy_pairs & BROKER_COPY(from, to)))
		return broker_refuse(b, err, "COPY_REQ %s -> %s is not allowed", rp_root_name(from),
				     rp_root_name(to));
	if (broker_root_usable(b, from, "COPY_REQ.from", err) != 0 ||
	    broker_root_usable(b, to, "COPY_REQ.to", err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return broker_refuse(b, err, "COPY_REQ.max %llu exceeds the artifact cap %llu",
				     (unsigned long long)max, RP_MAX_ARTIFACT_BYTES);
	if (broker_path(b, from, pl + RP_PL_COPY_REQ, b->chan.hdr.len - RP_PL_COPY_REQ,
			"COPY_REQ.path", path, err) != 0)
		return -1;
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->copy(b->backing->self, (rp_root)from, (rp_root)to, path, max, &berr);
	return broker_reply(b, rc, &berr, err);
}

static int broker_store_open(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t create = rp_get_u32(pl);
	size_t n = b->chan.hdr.len - RP_PL_STORE_OPEN;
	char prefix[RP_KEY_PREFIX_MAX + 1];
	char shown[96];
	if (!(b->perm->ops & BROKER_OP_STORE_OPEN))
		return broker_refuse(b, err, "STORE_OPEN is not allowed");
	if (b->store_open_tried)
		return broker_refuse(b, err, "STORE_OPEN sent twice");
	b->store_open_tried = 1;
	if (create > 1)
		return broker_refuse(b, err, "STORE_OPEN.create %u is not 0 or 1", (unsigned)create);
	if (memchr(pl + RP_PL_STORE_OPEN, '\0', n) != NULL)
		return broker_refuse(b, err, "STORE_OPEN.prefix contains NUL");
	memcpy(prefix, pl + RP_PL_STORE_OPEN, n);
	prefix[n] = '\0';
	rp_err perr;
	rp_err_clear(&perr);
	if (rp_key_prefix_check(prefix, &perr) != 0)
		return broker_refuse(b, err, "STORE_OPEN.prefix '%s': %s",
				     rp_printable(prefix, n, shown, sizeof shown), perr.msg);
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->store_open(b->backing->self, prefix, (int)create, &berr);
	if (rc == 0)
		b->store_bound = 1;
	return broker_reply(b, rc, &berr, err);
}

static int broker_commit(broker *b, rp_err *err)
{
	if (!(b->perm->ops & BROKER_OP_COMMIT))
		return broker_refuse(b, err, "COMMIT is not allowed");
	if (b->commit_tried)
		return broker_refuse(b, err, "COMMIT sent twice");
	b->commit_tried = 1;
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->commit(b->backing->self, &berr);
	return broker_reply(b, rc, &berr, err);
}

typedef struct list_ctx {
	broker *b;
	unsigned long entries;
	int chan_failed;
	rp_err chan_err;
} list_ctx;

static int broker_list_entry(void *vctx, const rp_list_entry *e, rp_err *err)
{
	list_ctx *ctx = vctx;
	if (++ctx->entries > RP_MAX_LIST_ENTRIES)
		return rp_err_set(err, RP_E_LIMIT, "store lists more than %d runpacks",
				  RP_MAX_LIST_ENTRIES);
	size_t n = e->prefix != NULL ? strnlen(e->prefix, RP_KEY_PREFIX_MAX + 1) : 0;
	if (n == 0 || n > RP_KEY_PREFIX_MAX)
		return rp_err_set(err, RP_E_INTERNAL, "list: entry with an empty or overlong prefix");
	uint8_t fixed[RP_PL_LIST_ENTRY];
	rp_put_u32(fixed, e->has_manifest ? 1u : 0u);
	if (rp_chan_send(&ctx->b->chan, RP_MSG_LIST_ENTRY, fixed, sizeof fixed, e->prefix, n,
			 &ctx->chan_err) != 0) {
		ctx->chan_failed = 1;
		return rp_err_set(err, RP_E_IO, "channel to child failed");
	}
	return 0;
}

static int broker_list(broker *b, rp_err *err)
{
	if (!(b->perm->ops & BROKER_OP_LIST))
		return broker_refuse(b, err, "LIST_REQ is not allowed");
	if (b->list_tried)
		return broker_refuse(b, err, "LIST_REQ sent twice");
	b->list_tried = 1;
	list_ctx ctx = { .b = b };
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->list(b->backing->self, broker_list_entry, &ctx, &berr);
	if (ctx.chan_failed) {
		*err = ctx.chan_err;
		return -1;
	}
	if (rc != 0)
		return broker_reply(b, rc, &berr, err);
	return rp_chan_send(&b->chan, RP_MSG_END, NULL, 0, NULL, 0, err);
}

/* COPY_MANY: the paths of one runpack in one request, so an object store
 * backend can transfer them in parallel. Each path is checked like a
 * COPY_REQ's before anything is copied. */
static int broker_copy_many(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t from = rp_get_u32(pl);
	uint32_t to = rp_get_u32(pl + 4);
	uint64_t max = rp_get_u64(pl + 8);
	uint32_t count = rp_get_u32(pl + 16);
	if (!rp_root_valid(from) || !rp_root_valid(to) ||
	    !(b->perm->copy_pairs & BROKER_COPY(from, to)))
		return broker_refuse(b, err, "COPY_MANY %s -> %s is not allowed", rp_root_name(from),
				     rp_root_name(to));
	if (broker_root_usable(b, from, "COPY_MANY.from", err) != 0 ||
	    broker_root_usable(b, to, "COPY_MANY.to", err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return broker_refuse(b, err, "COPY_MANY.max %llu exceeds the artifact cap %llu",
				     (unsigned long long)max, RP_MAX_ARTIFACT_BYTES);
	if (count == 0 || count > RP_COPY_MANY_MAX)
		return broker_refuse(b, err, "COPY_MANY.count %u outside [1, %u]", (unsigned)count,
				     RP_COPY_MANY_MAX);
	const char **paths = calloc(count, sizeof *paths);
	if (paths == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	const uint8_t *p = pl + RP_PL_COPY_MANY;
	const uint8_t *end = pl + b->chan.hdr.len;
	int rc = -1;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		char path[RP_MAX_PATH_TOTAL + 1];
		if (nul == NULL || (size_t)(nul - p) > RP_MAX_PATH_TOTAL) {
			broker_refuse(b, err, "COPY_MANY: path %u is not NUL-terminated within bounds",
				      (unsigned)i);
			goto out;
		}
		if (broker_path(b, from, p, (size_t)(nul - p), "COPY_MANY.path", path, err) != 0)
			goto out;
		paths[i] = (const char *)p; /* validated and NUL-terminated in the payload */
		p = nul + 1;
	}
	if (p != end) {
		broker_refuse(b, err, "COPY_MANY: %zu bytes after the last path", (size_t)(end - p));
		goto out;
	}
	rp_err berr;
	rp_err_clear(&berr);
	int crc = 0;
	if (b->backing->ops->copy_many != NULL) {
		crc = b->backing->ops->copy_many(b->backing->self, (rp_root)from, (rp_root)to, paths,
						 count, max, &berr);
	} else {
		for (uint32_t i = 0; crc == 0 && i < count; i++)
			crc = b->backing->ops->copy(b->backing->self, (rp_root)from, (rp_root)to,
						    paths[i], max, &berr);
	}
	rc = broker_reply(b, crc, &berr, err);
out:
	free(paths);
	return rc;
}

/* Streams a raw object-store body (listing page, bucket sub-resource) to
 * the child as a READ answer. */
static int broker_raw_reply(broker *b, int rc, read_ctx *ctx, const rp_err *berr, rp_err *err)
{
	if (ctx->chan_failed) {
		*err = ctx->chan_err;
		return -1;
	}
	if (rc != 0)
		return broker_reply(b, rc, berr, err);
	return rp_chan_send(&b->chan, RP_MSG_END, NULL, 0, NULL, 0, err);
}

static int broker_list_page(broker *b, rp_err *err)
{
	char token[RP_LIST_TOKEN_MAX + 1];
	size_t n = b->chan.hdr.len;
	if (!(b->perm->ops & BROKER_OP_LIST_PAGE))
		return broker_refuse(b, err, "LIST_PAGE_REQ is not allowed");
	if (++b->pages > RP_MAX_STORE_PAGES)
		return broker_refuse(b, err, "more than %d listing pages", RP_MAX_STORE_PAGES);
	/* Tokens are opaque to us, but they go into a signed query string:
	 * printable ASCII only. */
	for (size_t i = 0; i < n; i++)
		if (b->chan.payload[i] < 0x21 || b->chan.payload[i] > 0x7e)
			return broker_refuse(b, err, "LIST_PAGE_REQ.token byte %zu is not printable ASCII", i);
	memcpy(token, b->chan.payload, n);
	token[n] = '\0';
	read_ctx ctx = { .b = b, .max = RP_MAX_STORE_PAGE_BYTES, .path = "listing page" };
	rp_err berr;
	rp_err_clear(&berr);
	int rc;
	if (b->backing->ops->list_page == NULL)
		rc = rp_err_set(&berr, RP_E_USAGE, "the store is not an object store: no listing pages");
	else
		rc = b->backing->ops->list_page(b->backing->self, token, broker_read_sink, &ctx, &berr);
	return broker_raw_reply(b, rc, &ctx, &berr, err);
}

static int broker_bucket(broker *b, rp_err *err)
{
	uint32_t what = rp_get_u32(b->chan.payload);
	if (!(b->perm->ops & BROKER_OP_BUCKET))
		return broker_refuse(b, err, "BUCKET_REQ is not allowed");
	if (what != RP_BUCKET_VERSIONING && what != RP_BUCKET_OBJECT_LOCK)
		return broker_refuse(b, err, "BUCKET_REQ.what %u is unknown", (unsigned)what);
	read_ctx ctx = { .b = b, .max = RP_MAX_STORE_PAGE_BYTES, .path = "bucket sub-resource" };
	rp_err berr;
	rp_err_clear(&berr);
	int rc;
	if (b->backing->ops->bucket_info == NULL)
		rc = rp_err_set(&berr, RP_E_USAGE, "the store is not an object store");
	else
		rc = b->backing->ops->bucket_info(b->backing->self, (rp_bucket_info)what,
						  broker_read_sink, &ctx, &berr);
	return broker_raw_reply(b, rc, &ctx, &berr, err);
}

/* NEXT_INPUT: the child finished one input of a multi-input export. The
 * STORE binding belongs to that input: STORE_OPEN is allowed again. */
static int broker_next_input(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t code = rp_get_u32(pl);
	char msg[RP_ERR_MSG_MAX];
	if (!(b->perm->ops & BROKER_OP_NEXT_INPUT) || !(b->job->flags & RP_JOB_F_MULTI_INPUT))
		return broker_refuse(b, err, "NEXT_INPUT is not allowed");
	if (code > RP_E_INTERNAL)
		return broker_refuse(b, err, "NEXT_INPUT.code %u is not an rp_code", (unsigned)code);
	/* The child's text: escaped before anyone prints it. */
	(void)rp_printable((const char *)pl + RP_PL_CODE, b->chan.hdr.len - RP_PL_CODE, msg, sizeof msg);
	/* The finished input's STORE binding is gone either way; a new one may
	 * be opened only if there is a next input. */
	b->store_bound = 0;
	rp_err berr;
	rp_err_clear(&berr);
	int rc;
	if (b->backing->ops->next_input == NULL)
		rc = rp_err_set(&berr, RP_E_NOTFOUND, "no further input");
	else
		rc = b->backing->ops->next_input(b->backing->self, (rp_code)code, msg, &berr);
	if (rc == 0)
		b->store_open_tried = 0;
	return broker_reply(b, rc, &berr, err);
}

/* Export plans exist only for object stores (job flag S3). */
static int broker_plans_allowed(broker *b, const char *what, rp_err *err)
{
	if (!(b->perm->ops & BROKER_OP_EXPORT_PLAN) || !(b->job->flags & RP_JOB_F_S3) ||
	    b->backing->ops->export_plan == NULL)
		return broker_refuse(b, err, "%s is not allowed", what);
	return 0;
}

/* An artifact's place in a plan, for the duplicate check. */
typedef struct plan_slot {
	const char *path;
	uint32_t index;
} plan_slot;

static int plan_slot_cmp(const void *a, const void *b)
{
	const plan_slot *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c != 0)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

/* 1 with the two entries of the first artifact listed twice (among
 * entries 1..n-1), 0 when none is, -1 when out of memory (err set). A
 * verifier never lists one file twice (a manifest whose file list has a
 * duplicate is refused), so a plan that does comes from a child that lies. */
static int plan_duplicate(const rp_export_entry *e, uint32_t n, uint32_t *first, uint32_t *second,
			  rp_err *err)
{
	if (n < 3)
		return 0;
	plan_slot *s = calloc(n - 1, sizeof *s);
	if (s == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	for (uint32_t i = 1; i < n; i++)
		s[i - 1] = (plan_slot){ .path = e[i].path, .index = i };
	qsort(s, n - 1, sizeof *s, plan_slot_cmp);
	int found = 0;
	for (uint32_t i = 1; i + 1 < n && !found; i++)
		if (strcmp(s[i - 1].path, s[i].path) == 0) {
			*first = s[i - 1].index;
			*second = s[i].index;
			found = 1;
		}
	free(s);
	return found;
}

/* EXPORT_PLAN: the runpack bound to IN, queued for upload into the STORE
 * binding. Every path is checked like a READ_REQ's; the manifest must not
 * also be listed as an artifact (its PUT is what makes the runpack
 * complete, so it must come last and only once), and no artifact may be
 * listed twice. */
static int broker_export_plan(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	const uint8_t *end = pl + b->chan.hdr.len;
	uint32_t count = rp_get_u32(pl);
	if (broker_plans_allowed(b, "EXPORT_PLAN", err) != 0 ||
	    broker_root_usable(b, RP_ROOT_STORE, "EXPORT_PLAN", err) != 0)
		return -1;
	if (b->plans >= RP_EXPORT_WINDOW)
		return broker_refuse(b, err, "EXPORT_PLAN with %u plans already queued (at most %u)",
				     (unsigned)b->plans, RP_EXPORT_WINDOW);
	if (count == 0 || count > RP_COPY_MANY_MAX + 1)
		return broker_refuse(b, err, "EXPORT_PLAN.count %u outside [1, %u]", (unsigned)count,
				     RP_COPY_MANY_MAX + 1);
	rp_export_entry *e = calloc(count, sizeof *e);
	if (e == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	const uint8_t *p = pl + RP_PL_EXPORT_PLAN;
	int rc = -1;
	for (uint32_t i = 0; i < count; i++) {
		char path[RP_MAX_PATH_TOTAL + 1];
		const uint8_t *nul = (size_t)(end - p) > RP_PL_EXPORT_ENTRY
					     ? memchr(p + RP_PL_EXPORT_ENTRY, '\0', (size_t)(end - p) - RP_PL_EXPORT_ENTRY)
					     : NULL;
		if (nul == NULL || (size_t)(nul - p) - RP_PL_EXPORT_ENTRY > RP_MAX_PATH_TOTAL) {
			broker_refuse(b, err, "EXPORT_PLAN: entry %u is not a hash and a NUL-terminated path within bounds",
				      (unsigned)i);
			goto out;
		}
		const uint8_t *ps = p + RP_PL_EXPORT_ENTRY;
		if (broker_path(b, RP_ROOT_IN, ps, (size_t)(nul - ps), "EXPORT_PLAN.path", path, err) != 0)
			goto out;
		memcpy(e[i].sha, p, RP_PL_EXPORT_ENTRY);
		e[i].path = (const char *)ps; /* validated and NUL-terminated in the payload */
		if (i > 0 && strcmp(e[i].path, e[0].path) == 0) {
			broker_refuse(b, err, "EXPORT_PLAN: the manifest %s is also listed as artifact %u", path,
				      (unsigned)i);
			goto out;
		}
		p = nul + 1;
	}
	if (p != end) {
		broker_refuse(b, err, "EXPORT_PLAN: %zu bytes after the last entry", (size_t)(end - p));
		goto out;
	}
	uint32_t d1 = 0, d2 = 0;
	int dup = plan_duplicate(e, count, &d1, &d2, err);
	if (dup < 0)
		goto out;
	if (dup > 0) {
		char shown[96];
		broker_refuse(b, err, "EXPORT_PLAN: artifact %s is listed twice (entries %u and %u)",
			      rp_printable(e[d1].path, strlen(e[d1].path), shown, sizeof shown),
			      (unsigned)d1, (unsigned)d2);
		goto out;
	}
	rp_err berr;
	rp_err_clear(&berr);
	int prc = b->backing->ops->export_plan(b->backing->self, e, count, &berr);
	if (prc == 0)
		b->plans++;
	rc = broker_reply(b, prc, &berr, err);
out:
	free(e);
	return rc;
}

/* EXPORT_WAIT: the oldest plan's result, or END when none is queued. */
static int broker_export_wait(broker *b, rp_err *err)
{
	if (broker_plans_allowed(b, "EXPORT_WAIT", err) != 0)
		return -1;
	rp_export_result res;
	rp_err berr;
	rp_err_clear(&berr);
	int got = b->plans > 0 ? b->backing->ops->export_wait(b->backing->self, &res, &berr) : 0;
	if (got < 0)
		return rp_err_set(err, berr.code != RP_OK ? berr.code : RP_E_INTERNAL, "%s", berr.msg);
	if (got == 0) {
		if (b->plans > 0)
			return rp_err_set(err, RP_E_INTERNAL, "export pipeline lost %u queued plans",
					  (unsigned)b->plans);
		return rp_chan_send(&b->chan, RP_MSG_END, NULL, 0, NULL, 0, err);
	}
	uint8_t *buf = malloc(RP_PL_EXPORT_RESULT + RP_EXPORT_CONTEXT_MAX + RP_EXPORT_WHAT_MAX);
	if (buf == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	/* What the child will accept (child_export_wait): a success carries
	 * no status and no context; only a store's status (300..999) brings
	 * what and body along. */
	rp_code c = res.code > RP_E_INTERNAL ? RP_E_INTERNAL : res.code;
	unsigned status = c != RP_OK && res.status >= 300 && res.status <= 999 ? res.status : 0u;
	size_t clen = c != RP_OK ? strnlen(res.context, RP_EXPORT_CONTEXT_MAX) : 0;
	size_t wlen = status != 0 ? strnlen(res.what, RP_EXPORT_WHAT_MAX) : 0;
	size_t blen = status == 0 ? 0 : res.body_len < RP_MAX_STORE_ERR_BODY ? res.body_len : RP_MAX_STORE_ERR_BODY;
	rp_put_u32(buf, (uint32_t)res.input);
	rp_put_u32(buf + 4, (uint32_t)c);
	rp_put_u32(buf + 8, res.existed ? 1u : 0u);
	rp_put_u32(buf + 12, status);
	rp_put_u32(buf + 16, (uint32_t)clen);
	rp_put_u32(buf + 20, (uint32_t)wlen);
	memcpy(buf + RP_PL_EXPORT_RESULT, res.context, clen);
	memcpy(buf + RP_PL_EXPORT_RESULT + clen, res.what, wlen);
	b->result_input = res.input;
	int rc = rp_chan_send(&b->chan, RP_MSG_EXPORT_RESULT, buf, RP_PL_EXPORT_RESULT + clen + wlen, res.body,
			      blen, err);
	free(buf);
	return rc;
}

/* EXPORT_REPORT: the child's final word on the result just sent (the
 * state table admits it only right after EXPORT_RESULT). */
static int broker_export_report(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t input = rp_get_u32(pl);
	uint32_t code = rp_get_u32(pl + 4);
	char msg[RP_ERR_MSG_MAX];
	if (input != b->result_input)
		return broker_refuse(b, err, "EXPORT_REPORT for input %u, the result sent was for input %zu",
				     (unsigned)input, b->result_input);
	if (code > RP_E_INTERNAL)
		return broker_refuse(b, err, "EXPORT_REPORT.code %u is not an rp_code", (unsigned)code);
	(void)rp_printable((const char *)pl + RP_PL_EXPORT_REPORT, b->chan.hdr.len - RP_PL_EXPORT_REPORT, msg,
			   sizeof msg);
	b->plans--;
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->export_report(b->backing->self, input, (rp_code)code, msg, &berr);
	return broker_reply(b, rc, &berr, err);
}

static int broker_output(broker *b, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t fd = rp_get_u32(pl);
	if (!(b->perm->ops & BROKER_OP_OUTPUT))
		return broker_refuse(b, err, "OUTPUT is not allowed");
	if (fd != 1 && fd != 2)
		return broker_refuse(b, err, "OUTPUT.fd %u is neither 1 nor 2", (unsigned)fd);
	rp_err berr;
	rp_err_clear(&berr);
	int rc = b->backing->ops->output(b->backing->self, (int)fd, pl + RP_PL_OUTPUT,
					 b->chan.hdr.len - RP_PL_OUTPUT, &berr);
	return broker_reply(b, rc, &berr, err);
}

static int broker_done(broker *b, broker_outcome *out, rp_err *err)
{
	const uint8_t *pl = b->chan.payload;
	uint32_t code = rp_get_u32(pl);
	if (code > RP_E_INTERNAL)
		return broker_refuse(b, err, "DONE.code %u is not an rp_code", (unsigned)code);
	if (b->plans > 0)
		return broker_refuse(b, err, "DONE with %u export plans not reported", (unsigned)b->plans);
	/* The message is the child's text: escape it before anyone prints it. */
	(void)rp_printable((const char *)pl + RP_PL_CODE, b->chan.hdr.len - RP_PL_CODE, out->msg,
			   sizeof out->msg);
	out->code = (rp_code)code;
	if (rp_chan_expect_eof(&b->chan, err) != 0)
		return -1;
	out->done = 1;
	return 0;
}

static int broker_loop(broker *b, broker_outcome *out, rp_err *err)
{
	for (;;) {
		/* Queued export plans move while the child works. */
		if (b->plans > 0 && b->backing->ops->pump != NULL)
			b->backing->ops->pump(b->backing->self, b->chan.rfd);
		if (rp_chan_recv(&b->chan, err) != 0)
			return -1;
		uint32_t type = b->chan.hdr.type;
		if (type == RP_MSG_DONE)
			return broker_done(b, out, err);
		if (++b->requests > RP_BROKER_MAX_REQUESTS)
			return broker_refuse(b, err, "more than %lu requests", RP_BROKER_MAX_REQUESTS);
		out->requests = b->requests;
		int rc;
		switch (type) {
		case RP_MSG_READ_REQ: rc = broker_read(b, err); break;
		case RP_MSG_WRITE_BEGIN: rc = broker_write(b, err); break;
		case RP_MSG_COPY_REQ: rc = broker_copy(b, err); break;
		case RP_MSG_STORE_OPEN: rc = broker_store_open(b, err); break;
		case RP_MSG_COMMIT: rc = broker_commit(b, err); break;
		case RP_MSG_LIST_REQ: rc = broker_list(b, err); break;
		case RP_MSG_OUTPUT: rc = broker_output(b, err); break;
		case RP_MSG_COPY_MANY: rc = broker_copy_many(b, err); break;
		case RP_MSG_LIST_PAGE_REQ: rc = broker_list_page(b, err); break;
		case RP_MSG_BUCKET_REQ: rc = broker_bucket(b, err); break;
		case RP_MSG_NEXT_INPUT: rc = broker_next_input(b, err); break;
		case RP_MSG_EXPORT_PLAN: rc = broker_export_plan(b, err); break;
		case RP_MSG_EXPORT_WAIT: rc = broker_export_wait(b, err); break;
		case RP_MSG_EXPORT_REPORT: rc = broker_export_report(b, err); break;
		default:
			/* Unreachable: the state table admits only the above in IDLE. */
			rc = rp_err_set(err, RP_E_INTERNAL, "broker: unhandled frame %s",
					rp_msg_name(type));
			break;
		}
		if (rc != 0)
			return -1;
	}
}

/* Copies the job field by field into a zeroed struct, so neither struct
 * padding nor stale bytes after a string's NUL (the caller's stack or
 * heap) travel to the child. job was validated: strings are terminated. */
static void broker_job_wire(const rp_job *in, rp_job *out)
{
	memset(out, 0, sizeof *out);
	out->kind = in->kind;
	out->flags = in->flags;
	out->format = in->format;
	out->ts_kind = in->ts_kind;
	out->ts_value = in->ts_value;
	out->tenant = in->tenant;
	out->namespace_id = in->namespace_id;
	memcpy(out->run_id, in->run_id, strnlen(in->run_id, sizeof in->run_id - 1));
	memcpy(out->authority, in->authority, strnlen(in->authority, sizeof in->authority - 1));
	memcpy(out->manifest_name, in->manifest_name,
	       strnlen(in->manifest_name, sizeof in->manifest_name - 1));
	memcpy(out->store_prefix, in->store_prefix,
	       strnlen(in->store_prefix, sizeof in->store_prefix - 1));
	memcpy(out->store_uri, in->store_uri, strnlen(in->store_uri, sizeof in->store_uri - 1));
	memcpy(out->subject, in->subject, strnlen(in->subject, sizeof in->subject - 1));
}

int broker_serve(int rfd, int wfd, const rp_job *job, const rp_io *backing, int timeout_ms,
		 broker_outcome *out, rp_err *err)
{
	memset(out, 0, sizeof *out);
	broker b;
	memset(&b, 0, sizeof b);
	b.job = job;
	b.backing = backing;
	b.perm = broker_perm_for(job->kind);
	if (b.perm == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "no dispatch table for job kind %u",
				  (unsigned)job->kind);
	if (rp_chan_init(&b.chan, rfd, wfd, RP_SIDE_BROKER, timeout_ms, err) != 0)
		return -1;
	int rc;
	rp_job wire;
	broker_job_wire(job, &wire);
	if (rp_chan_send(&b.chan, RP_MSG_JOB, &wire, sizeof wire, NULL, 0, err) != 0) {
		/* A child whose confinement failed writes DONE and exits without
		 * reading JOB. Salvage its explanation instead of reporting only
		 * "broken pipe"; anything but a DONE keeps the send error. */
		rp_err send_err = *err;
		int gone = b.chan.peer_gone;
		b.chan.broken = 0;
		b.chan.state = RP_PS_IDLE;
		rc = -1;
		if (gone && rp_chan_recv(&b.chan, err) == 0 && b.chan.hdr.type == RP_MSG_DONE)
			rc = broker_done(&b, out, err);
		else
			*err = send_err;
		if (rc != 0)
			out->peer_gone = 1;
	} else {
		rc = broker_loop(&b, out, err);
		out->peer_gone = b.chan.peer_gone;
	}
	out->timed_out = b.chan.timed_out;
	rp_chan_free(&b.chan);
	return rc;
}
