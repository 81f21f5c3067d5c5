/*
 * child_io.c - the confined child's rp_io over frames (see child_io.h).
 *
 * Security posture: CONFINED-CHILD code; runs after the seccomp filter is
 * loaded, so it may only read fd 0, write fd 1 and manage memory. It never
 * buffers a whole file: each DATA frame goes straight to the caller's
 * sink, so hashing a 1 GiB runpack needs one 256 KiB frame buffer. It
 * trusts the broker's answers only after the same framing checks the
 * broker applies, plus semantic ones (DATA never exceeds the requested
 * max, codes in range, entry counts bounded).
 */
#include "child_io.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/keys.h"
#include "common/limits.h"
#include "common/path.h"
#include "child/store_err.h"

/* Marks the channel failed so every later operation fails too: after a
 * surprise from the broker the stream can no longer be trusted to be in
 * step. */
static int child_break(child_io *c)
{
	c->chan.broken = 1;
	return -1;
}

static int child_check_path(rp_root root, const char *path, size_t *len, const char *op, rp_err *err)
{
	if (path == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "%s: NULL path", op);
	*len = strnlen(path, RP_MAX_PATH_TOTAL + 1);
	if (root == RP_ROOT_FILE) {
		if (*len != 0)
			return rp_err_set(err, RP_E_PATH, "%s: the FILE root takes no path", op);
		return 0;
	}
	return rp_path_validate(path, *len, "path", err);
}

/* Copies an ERR payload into err. 0 when well-formed (err now holds the
 * broker's code and message), -1 with RP_E_PROTO otherwise. */
static int child_take_store_err(child_io *c, const char *op, rp_err *err);

static int child_take_err(child_io *c, const char *op, rp_err *err)
{
	if (c->chan.hdr.type == RP_MSG_STORE_ERR)
		return child_take_store_err(c, op, err);
	const uint8_t *p = c->chan.payload;
	uint32_t len = c->chan.hdr.len;
	uint32_t code = rp_get_u32(p);
	if (code == RP_OK || code > RP_E_INTERNAL) {
		rp_err_set(err, RP_E_PROTO, "%s: ERR frame from broker carries invalid code %u", op,
			   (unsigned)code);
		return child_break(c);
	}
	size_t mlen = len - RP_PL_CODE;
	if (memchr(p + RP_PL_CODE, '\0', mlen) != NULL) {
		rp_err_set(err, RP_E_PROTO, "%s: ERR frame from broker: message contains NUL", op);
		return child_break(c);
	}
	err->code = (rp_code)code;
	memcpy(err->msg, p + RP_PL_CODE, mlen);
	err->msg[mlen] = '\0';
	return 0;
}

/* A STORE_ERR: the object store's error answer, relayed unparsed. The
 * body is parsed here, in the confined child (store_err.c). */
static int child_take_store_err(child_io *c, const char *op, rp_err *err)
{
	const uint8_t *p = c->chan.payload;
	uint32_t len = c->chan.hdr.len;
	uint32_t code = rp_get_u32(p);
	uint32_t status = rp_get_u32(p + 4);
	uint32_t wlen = rp_get_u32(p + 8);
	if (code == RP_OK || code > RP_E_INTERNAL || status < 100 || status > 999 ||
	    wlen > len - RP_PL_STORE_ERR) {
		rp_err_set(err, RP_E_PROTO,
			   "%s: malformed STORE_ERR frame from broker (code %u, status %u, what %u bytes)",
			   op, (unsigned)code, (unsigned)status, (unsigned)wlen);
		return child_break(c);
	}
	const uint8_t *what = p + RP_PL_STORE_ERR;
	rp_store_err_compose(code, status, (const char *)what, wlen, what + wlen,
			     len - RP_PL_STORE_ERR - wlen, err);
	return 0;
}

/* Waits for the OK / ERR answering a request (the state table admits
 * nothing else in state WAIT). */
static int child_wait_reply(child_io *c, const char *op, rp_err *err)
{
	if (rp_chan_recv(&c->chan, err) != 0)
		return -1;
	if (c->chan.hdr.type == RP_MSG_OK)
		return 0;
	if (child_take_err(c, op, err) != 0)
		return -1;
	return -1; /* the broker's error, channel still in step */
}

/* Operations other than output() cannot run while a stream is open: the
 * broker is in the middle of sending it. */
static int child_not_in_stream(const child_io *c, const char *op, rp_err *err)
{
	if (c->in_stream)
		return rp_err_set(err, RP_E_INTERNAL,
				  "%s called from a read sink or list callback (not supported)", op);
	return 0;
}

static int child_send_output(child_io *c, uint32_t fd, const uint8_t *p, size_t n, rp_err *err);

/* Ends a stream: sends the output deferred during it. The stream's own
 * error (rc != 0) wins over a later output error. */
static int child_stream_end(child_io *c, int rc, rp_err *err)
{
	c->in_stream = 0;
	rp_buf *pb = c->pending;
	if (pb == NULL || pb->len == 0)
		return rc;
	rp_err oerr;
	rp_err_clear(&oerr);
	int orc = 0;
	for (size_t off = 0; orc == 0 && off + 8 <= pb->len;) {
		uint32_t fd = rp_get_u32(pb->data + off);
		uint32_t n = rp_get_u32(pb->data + off + 4);
		orc = child_send_output(c, fd, pb->data + off + 8, n, &oerr);
		off += 8 + (size_t)n;
	}
	rp_buf_reset(pb);
	if (rc != 0)
		return rc;
	if (orc != 0)
		*err = oerr;
	return orc;
}

static int child_read_stream(child_io *c, rp_root root, const char *path, uint64_t max,
			     rp_sink_fn fn, void *fnctx, rp_err *err);
static int child_read_reply_stream(child_io *c, const char *what, uint64_t max, rp_sink_fn fn,
				   void *fnctx, rp_err *err);

static int child_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		      void *fnctx, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "read", err) != 0)
		return -1;
	c->in_stream = 1;
	return child_stream_end(c, child_read_stream(c, root, path, max, fn, fnctx, err), err);
}

static int child_read_stream(child_io *c, rp_root root, const char *path, uint64_t max,
			     rp_sink_fn fn, void *fnctx, rp_err *err)
{
	size_t plen;
	if (!rp_root_valid((uint32_t)root))
		return rp_err_set(err, RP_E_INTERNAL, "read: invalid root %d", (int)root);
	if (child_check_path(root, path, &plen, "read", err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_INTERNAL,
				  "read '%s': max %llu exceeds the artifact cap %llu", path,
				  (unsigned long long)max, RP_MAX_ARTIFACT_BYTES);
	uint8_t fixed[RP_PL_READ_REQ];
	rp_put_u32(fixed, (uint32_t)root);
	rp_put_u64(fixed + 4, max);
	if (rp_chan_send(&c->chan, RP_MSG_READ_REQ, fixed, sizeof fixed, path, plen, err) != 0)
		return -1;
	return child_read_reply_stream(c, path, max, fn, fnctx, err);
}

/* Receives the answer to a READ_REQ, LIST_PAGE_REQ or BUCKET_REQ: DATA*
 * then END, or ERR / STORE_ERR. `what` names the request in messages. */
static int child_read_reply_stream(child_io *c, const char *what, uint64_t max, rp_sink_fn fn,
				   void *fnctx, rp_err *err)
{
	uint64_t total = 0;
	int sink_failed = 0;
	rp_err sink_err;
	rp_err_clear(&sink_err);
	for (;;) {
		if (rp_chan_recv(&c->chan, err) != 0)
			return -1;
		uint32_t type = c->chan.hdr.type;
		uint32_t len = c->chan.hdr.len;
		if (type == RP_MSG_DATA) {
			total += len;
			if (total > max) {
				rp_err_set(err, RP_E_PROTO,
					   "read '%s': broker sent more than the requested max of %llu bytes",
					   what, (unsigned long long)max);
				return child_break(c);
			}
			/* After a sink failure keep draining: the broker streams to
			 * END regardless, and the channel must stay in step. The
			 * drain is bounded by max. */
			if (!sink_failed && fn(fnctx, c->chan.payload, len, &sink_err) != 0) {
				sink_failed = 1;
				if (sink_err.code == RP_OK)
					rp_err_set(&sink_err, RP_E_INTERNAL,
						   "read '%s': sink failed without an error", what);
			}
			continue;
		}
		if (type == RP_MSG_END) {
			if (sink_failed) {
				*err = sink_err;
				return -1;
			}
			return 0;
		}
		/* ERR or STORE_ERR */
		if (child_take_err(c, "read", err) != 0)
			return -1;
		if (sink_failed)
			*err = sink_err; /* report what went wrong first */
		return -1;
	}
}

static int child_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		       rp_err *err)
{
	child_io *c = self;
	size_t plen;
	if (child_not_in_stream(c, "write", err) != 0)
		return -1;
	if (root != RP_ROOT_OUT && root != RP_ROOT_STORE)
		return rp_err_set(err, RP_E_INTERNAL, "write: root %s is not writable",
				  rp_root_name((uint32_t)root));
	if (child_check_path(root, path, &plen, "write", err) != 0)
		return -1;
	if (n > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)", path, n,
				  RP_MAX_ARTIFACT_BYTES);
	if (n != 0 && p == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "write '%s': NULL data", path);
	uint8_t fixed[RP_PL_WRITE_BEGIN];
	rp_put_u32(fixed, (uint32_t)root);
	rp_put_u64(fixed + 4, (uint64_t)n);
	if (rp_chan_send(&c->chan, RP_MSG_WRITE_BEGIN, fixed, sizeof fixed, path, plen, err) != 0)
		return -1;
	size_t off = 0;
	while (off < n) {
		size_t k = n - off < RP_FRAME_MAX_PAYLOAD ? n - off : RP_FRAME_MAX_PAYLOAD;
		if (rp_chan_send(&c->chan, RP_MSG_DATA, p + off, k, NULL, 0, err) != 0)
			return -1;
		off += k;
	}
	if (rp_chan_send(&c->chan, RP_MSG_END, NULL, 0, NULL, 0, err) != 0)
		return -1;
	return child_wait_reply(c, "write", err);
}

static int child_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		      rp_err *err)
{
	child_io *c = self;
	size_t plen;
	if (child_not_in_stream(c, "copy", err) != 0)
		return -1;
	if (!rp_root_valid((uint32_t)from) || (to != RP_ROOT_OUT && to != RP_ROOT_STORE))
		return rp_err_set(err, RP_E_INTERNAL, "copy: invalid roots %d -> %d", (int)from,
				  (int)to);
	if (child_check_path(from, path, &plen, "copy", err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_INTERNAL, "copy '%s': max %llu exceeds the artifact cap",
				  path, (unsigned long long)max);
	uint8_t fixed[RP_PL_COPY_REQ];
	rp_put_u32(fixed, (uint32_t)from);
	rp_put_u32(fixed + 4, (uint32_t)to);
	rp_put_u64(fixed + 8, max);
	if (rp_chan_send(&c->chan, RP_MSG_COPY_REQ, fixed, sizeof fixed, path, plen, err) != 0)
		return -1;
	return child_wait_reply(c, "copy", err);
}

static int child_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "store_open", err) != 0)
		return -1;
	if (prefix == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "store_open: NULL prefix");
	if (rp_key_prefix_check(prefix, err) != 0)
		return -1;
	size_t n = strnlen(prefix, RP_KEY_PREFIX_MAX + 1);
	if (n > RP_KEY_PREFIX_MAX)
		return rp_err_set(err, RP_E_PATH, "store_open: prefix too long");
	uint8_t fixed[RP_PL_STORE_OPEN];
	rp_put_u32(fixed, create ? 1u : 0u);
	if (rp_chan_send(&c->chan, RP_MSG_STORE_OPEN, fixed, sizeof fixed, prefix, n, err) != 0)
		return -1;
	return child_wait_reply(c, "store_open", err);
}

static int child_commit(void *self, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "commit", err) != 0)
		return -1;
	if (rp_chan_send(&c->chan, RP_MSG_COMMIT, NULL, 0, NULL, 0, err) != 0)
		return -1;
	return child_wait_reply(c, "commit", err);
}

static int child_list_stream(child_io *c, rp_list_fn fn, void *fnctx, rp_err *err);

static int child_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "list", err) != 0)
		return -1;
	c->in_stream = 1;
	return child_stream_end(c, child_list_stream(c, fn, fnctx, err), err);
}

static int child_list_stream(child_io *c, rp_list_fn fn, void *fnctx, rp_err *err)
{
	if (rp_chan_send(&c->chan, RP_MSG_LIST_REQ, NULL, 0, NULL, 0, err) != 0)
		return -1;
	unsigned long entries = 0;
	int fn_failed = 0;
	rp_err fn_err;
	rp_err_clear(&fn_err);
	char prefix[RP_KEY_PREFIX_MAX + 1];
	for (;;) {
		if (rp_chan_recv(&c->chan, err) != 0)
			return -1;
		uint32_t type = c->chan.hdr.type;
		if (type == RP_MSG_END) {
			if (fn_failed) {
				*err = fn_err;
				return -1;
			}
			return 0;
		}
		if (type == RP_MSG_ERR) {
			if (child_take_err(c, "list", err) != 0)
				return -1;
			if (fn_failed)
				*err = fn_err;
			return -1;
		}
		/* LIST_ENTRY */
		if (++entries > RP_MAX_LIST_ENTRIES) {
			rp_err_set(err, RP_E_PROTO, "list: broker sent more than %d entries",
				   RP_MAX_LIST_ENTRIES);
			return child_break(c);
		}
		const uint8_t *p = c->chan.payload;
		uint32_t has = rp_get_u32(p);
		size_t n = c->chan.hdr.len - RP_PL_LIST_ENTRY;
		if (has > 1 || memchr(p + RP_PL_LIST_ENTRY, '\0', n) != NULL) {
			rp_err_set(err, RP_E_PROTO,
				   "list: malformed LIST_ENTRY from broker (has_manifest %u)",
				   (unsigned)has);
			return child_break(c);
		}
		memcpy(prefix, p + RP_PL_LIST_ENTRY, n);
		prefix[n] = '\0';
		rp_list_entry e = { .prefix = prefix, .has_manifest = (int)has };
		if (!fn_failed && fn(fnctx, &e, &fn_err) != 0) {
			fn_failed = 1;
			if (fn_err.code == RP_OK)
				rp_err_set(&fn_err, RP_E_INTERNAL, "list: callback failed without an error");
		}
	}
}

static int child_copy_batch(child_io *c, rp_root from, rp_root to, const char *const *paths,
			    size_t n, uint64_t max, rp_buf *pl, rp_err *err)
{
	uint8_t fixed[RP_PL_COPY_MANY];
	rp_put_u32(fixed, (uint32_t)from);
	rp_put_u32(fixed + 4, (uint32_t)to);
	rp_put_u64(fixed + 8, max);
	rp_put_u32(fixed + 16, (uint32_t)n);
	rp_buf_reset(pl);
	for (size_t i = 0; i < n; i++)
		if (rp_buf_append(pl, paths[i], strlen(paths[i]) + 1, err) != 0)
			return -1;
	if (rp_chan_send(&c->chan, RP_MSG_COPY_MANY, fixed, sizeof fixed, pl->data, pl->len, err) != 0)
		return -1;
	return child_wait_reply(c, "copy", err);
}

/* Sends the paths in as few COPY_MANY frames as fit (each at most
 * RP_COPY_MANY_MAX paths and one frame's payload). */
static int child_copy_many(void *self, rp_root from, rp_root to, const char *const *paths,
			   size_t n, uint64_t max, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "copy_many", err) != 0)
		return -1;
	if (!rp_root_valid((uint32_t)from) || from == RP_ROOT_FILE ||
	    (to != RP_ROOT_OUT && to != RP_ROOT_STORE))
		return rp_err_set(err, RP_E_INTERNAL, "copy_many: invalid roots %d -> %d", (int)from,
				  (int)to);
	if (max > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_INTERNAL, "copy_many: max %llu exceeds the artifact cap",
				  (unsigned long long)max);
	rp_buf pl;
	rp_buf_init(&pl, RP_FRAME_MAX_PAYLOAD - RP_PL_COPY_MANY);
	size_t start = 0, bytes = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i <= n; i++) {
		size_t plen = 0;
		if (i < n && child_check_path(from, paths[i], &plen, "copy", err) != 0) {
			rc = -1;
			break;
		}
		int full = i == n || i - start == RP_COPY_MANY_MAX ||
			   bytes + plen + 1 > RP_FRAME_MAX_PAYLOAD - RP_PL_COPY_MANY;
		if (full && i > start) {
			rc = child_copy_batch(c, from, to, paths + start, i - start, max, &pl, err);
			start = i;
			bytes = 0;
		}
		bytes += plen + 1;
	}
	rp_buf_free(&pl);
	return rc;
}

static int child_list_page(void *self, const char *token, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "list_page", err) != 0)
		return -1;
	size_t n = token != NULL ? strnlen(token, RP_LIST_TOKEN_MAX + 1) : 0;
	if (n > RP_LIST_TOKEN_MAX)
		return rp_err_set(err, RP_E_LIMIT, "list: continuation token longer than %u bytes",
				  RP_LIST_TOKEN_MAX);
	if (rp_chan_send(&c->chan, RP_MSG_LIST_PAGE_REQ, token, n, NULL, 0, err) != 0)
		return -1;
	c->in_stream = 1;
	return child_stream_end(c, child_read_reply_stream(c, "list page", RP_MAX_STORE_PAGE_BYTES, fn, fnctx, err),
				err);
}

static int child_bucket_info(void *self, rp_bucket_info what, rp_sink_fn fn, void *fnctx,
			     rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "bucket_info", err) != 0)
		return -1;
	uint8_t fixed[RP_PL_BUCKET_REQ];
	rp_put_u32(fixed, (uint32_t)what);
	if (rp_chan_send(&c->chan, RP_MSG_BUCKET_REQ, fixed, sizeof fixed, NULL, 0, err) != 0)
		return -1;
	c->in_stream = 1;
	return child_stream_end(c, child_read_reply_stream(c, "bucket info", RP_MAX_STORE_PAGE_BYTES, fn, fnctx, err),
				err);
}

static int child_next_input(void *self, rp_code code, const char *msg, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "next_input", err) != 0)
		return -1;
	uint8_t fixed[RP_PL_CODE];
	rp_put_u32(fixed, (uint32_t)code);
	size_t n = msg != NULL ? strnlen(msg, RP_ERR_MSG_MAX - 1) : 0;
	if (rp_chan_send(&c->chan, RP_MSG_NEXT_INPUT, fixed, sizeof fixed, msg, n, err) != 0)
		return -1;
	return child_wait_reply(c, "next_input", err);
}

/* One EXPORT_PLAN frame: the whole file list must fit (the caller falls
 * back to copying file by file when it does not: RP_E_LIMIT). */
static int child_export_plan(void *self, const rp_export_entry *e, size_t n, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "export_plan", err) != 0)
		return -1;
	if (n == 0 || n > RP_COPY_MANY_MAX + 1)
		return rp_err_set(err, RP_E_LIMIT, "export plan: %zu files outside [1, %u]", n,
				  RP_COPY_MANY_MAX + 1);
	size_t total = RP_PL_EXPORT_PLAN;
	for (size_t i = 0; i < n; i++) {
		size_t plen = 0;
		if (child_check_path(RP_ROOT_IN, e[i].path, &plen, "export_plan", err) != 0)
			return -1;
		total += RP_PL_EXPORT_ENTRY + plen + 1;
		if (total > RP_FRAME_MAX_PAYLOAD)
			return rp_err_set(err, RP_E_LIMIT, "export plan: the file list exceeds one frame");
	}
	uint8_t *pl = malloc(total);
	if (pl == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	rp_put_u32(pl, (uint32_t)n);
	size_t o = RP_PL_EXPORT_PLAN;
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(e[i].path);
		memcpy(pl + o, e[i].sha, RP_PL_EXPORT_ENTRY);
		memcpy(pl + o + RP_PL_EXPORT_ENTRY, e[i].path, plen + 1);
		o += RP_PL_EXPORT_ENTRY + plen + 1;
	}
	int rc = rp_chan_send(&c->chan, RP_MSG_EXPORT_PLAN, pl, total, NULL, 0, err);
	free(pl);
	if (rc != 0)
		return -1;
	return child_wait_reply(c, "export_plan", err);
}

static int child_export_wait(void *self, rp_export_result *res, rp_err *err)
{
	child_io *c = self;
	if (child_not_in_stream(c, "export_wait", err) != 0)
		return -1;
	if (rp_chan_send(&c->chan, RP_MSG_EXPORT_WAIT, NULL, 0, NULL, 0, err) != 0 ||
	    rp_chan_recv(&c->chan, err) != 0)
		return -1;
	if (c->chan.hdr.type == RP_MSG_END)
		return 0;
	const uint8_t *p = c->chan.payload;
	uint32_t len = c->chan.hdr.len;
	uint32_t code = rp_get_u32(p + 4), existed = rp_get_u32(p + 8), status = rp_get_u32(p + 12);
	uint32_t clen = rp_get_u32(p + 16), wlen = rp_get_u32(p + 20);
	if (code > RP_E_INTERNAL || existed > 1 || (status != 0 && (status < 300 || status > 999)) ||
	    (code == RP_OK && (status != 0 || clen != 0)) || clen > RP_EXPORT_CONTEXT_MAX ||
	    wlen > RP_EXPORT_WHAT_MAX || clen + wlen > len - RP_PL_EXPORT_RESULT ||
	    (status == 0 && len != RP_PL_EXPORT_RESULT + clen + wlen) ||
	    memchr(p + RP_PL_EXPORT_RESULT, '\0', clen + wlen) != NULL) {
		rp_err_set(err, RP_E_PROTO,
			   "export_wait: malformed EXPORT_RESULT from broker (code %u, status %u, lengths %u/%u/%u)",
			   (unsigned)code, (unsigned)status, (unsigned)clen, (unsigned)wlen, (unsigned)len);
		return child_break(c);
	}
	memcpy(c->res_context, p + RP_PL_EXPORT_RESULT, clen);
	c->res_context[clen] = '\0';
	memcpy(c->res_what, p + RP_PL_EXPORT_RESULT + clen, wlen);
	c->res_what[wlen] = '\0';
	memset(res, 0, sizeof *res);
	res->input = rp_get_u32(p);
	res->code = (rp_code)code;
	res->existed = (int)existed;
	res->status = status;
	res->context = c->res_context;
	res->what = c->res_what;
	res->body = p + RP_PL_EXPORT_RESULT + clen + wlen; /* valid until the next frame */
	res->body_len = len - RP_PL_EXPORT_RESULT - clen - wlen;
	return 1;
}

static int child_export_report(void *self, size_t input, rp_code code, const char *msg, rp_err *err)
{
	child_io *c = self;
	uint8_t fixed[RP_PL_EXPORT_REPORT];
	if (input > UINT32_MAX)
		return rp_err_set(err, RP_E_INTERNAL, "export_report: input %zu out of range", input);
	rp_put_u32(fixed, (uint32_t)input);
	rp_put_u32(fixed + 4, (uint32_t)code);
	size_t n = msg != NULL ? strnlen(msg, RP_ERR_MSG_MAX - 1) : 0;
	if (rp_chan_send(&c->chan, RP_MSG_EXPORT_REPORT, fixed, sizeof fixed, msg, n, err) != 0)
		return -1;
	return child_wait_reply(c, "export_report", err);
}

static int child_send_output(child_io *c, uint32_t fd, const uint8_t *p, size_t n, rp_err *err)
{
	uint8_t fixed[RP_PL_OUTPUT];
	rp_put_u32(fixed, fd);
	size_t off = 0;
	while (off < n) {
		size_t room = RP_FRAME_MAX_PAYLOAD - RP_PL_OUTPUT;
		size_t k = n - off < room ? n - off : room;
		if (rp_chan_send(&c->chan, RP_MSG_OUTPUT, fixed, sizeof fixed, p + off, k, err) != 0)
			return -1;
		if (child_wait_reply(c, "output", err) != 0)
			return -1;
		off += k;
	}
	return 0;
}

static int child_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	child_io *c = self;
	if (fd != 1 && fd != 2)
		return rp_err_set(err, RP_E_INTERNAL, "output: fd %d is neither stdout nor stderr", fd);
	if (n != 0 && p == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "output: NULL data");
	if (!c->in_stream)
		return child_send_output(c, (uint32_t)fd, p, n, err);
	if (n > CHILD_IO_PENDING_MAX)
		return rp_err_set(err, RP_E_LIMIT,
				  "output during a stream exceeds %zu bytes", CHILD_IO_PENDING_MAX);
	uint8_t fixed[8];
	rp_put_u32(fixed, (uint32_t)fd);
	rp_put_u32(fixed + 4, (uint32_t)n);
	if (rp_buf_append(c->pending, fixed, sizeof fixed, err) != 0 ||
	    rp_buf_append(c->pending, p, n, err) != 0) {
		rp_err_wrap(err, "output during a stream");
		return -1;
	}
	return 0;
}

static const rp_io_ops child_io_ops = {
	.read = child_read,
	.write = child_write,
	.copy = child_copy,
	.store_open = child_store_open,
	.commit = child_commit,
	.list = child_list,
	.output = child_output,
	.copy_many = child_copy_many,
	.list_page = child_list_page,
	.bucket_info = child_bucket_info,
	.store_detail = NULL,
	.next_input = child_next_input,
	.export_plan = child_export_plan,
	.export_wait = child_export_wait,
	.export_report = child_export_report,
};

int child_io_init(child_io *c, int rfd, int wfd, rp_err *err)
{
	c->in_stream = 0;
	c->pending = malloc(sizeof *c->pending);
	if (c->pending == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	rp_buf_init(c->pending, CHILD_IO_PENDING_MAX);
	/* No deadline: the child cannot poll, and its peer is the trusted
	 * broker, which kills it rather than leave it waiting. */
	if (rp_chan_init(&c->chan, rfd, wfd, RP_SIDE_CHILD, -1, err) != 0) {
		free(c->pending);
		c->pending = NULL;
		return -1;
	}
	return 0;
}

void child_io_free(child_io *c)
{
	rp_chan_free(&c->chan);
	if (c->pending != NULL) {
		rp_buf_free(c->pending);
		free(c->pending);
		c->pending = NULL;
	}
}

int child_io_recv_job(child_io *c, rp_job *job, rp_err *err)
{
	if (rp_chan_recv(&c->chan, err) != 0)
		return -1;
	/* The state table admits only JOB in START, and its length is exact. */
	memcpy(job, c->chan.payload, sizeof *job);
	if (rp_job_validate(job, err) != 0) {
		rp_err_wrap(err, "JOB frame from broker");
		return child_break(c);
	}
	return 0;
}

rp_io child_io_rp_io(child_io *c)
{
	rp_io io = { .ops = &child_io_ops, .self = c };
	return io;
}

int child_io_send_done(child_io *c, rp_code code, const char *msg, rp_err *err)
{
	uint8_t fixed[RP_PL_CODE];
	rp_put_u32(fixed, (uint32_t)code);
	size_t n = msg != NULL ? strnlen(msg, RP_ERR_MSG_MAX - 1) : 0;
	return rp_chan_send(&c->chan, RP_MSG_DONE, fixed, sizeof fixed, msg, n, err);
}

int child_io_broken(const child_io *c)
{
	return c->chan.broken;
}
