/*
 * s3io.c - rp_io over an object store plus the local file system (see
 * s3io.h).
 *
 * Security posture: BROKER code; no parsing of any response body. Every
 * path and prefix arriving here was validated by broker_serve; keys are
 * composed and length-checked here once more.
 */
#include "s3io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/keys.h"
#include "../common/path.h"

/* root prefix + runpack prefix into base. */
static int s3io_base(const rp_s3io *x, const char *prefix, char *base, rp_err *err)
{
	if (rp_key_prefix_check(prefix, err) != 0)
		return -1;
	size_t r = strlen(x->set->root_prefix), p = strlen(prefix);
	if (r + p > RP_MAX_PATH_TOTAL)
		return rp_err_set(err, RP_E_PATH, "object store invalid: object key exceeds length limit");
	memcpy(base, x->set->root_prefix, r);
	memcpy(base + r, prefix, p + 1);
	return 0;
}

/* The full key of path under root; 1 if root is S3 here, 0 if local. */
static int s3io_key(rp_s3io *x, rp_root root, const char *path, char key[RP_MAX_PATH_TOTAL + 1],
		    rp_err *err)
{
	const char *base;
	if (root == RP_ROOT_STORE) {
		if (!x->store_bound)
			return rp_err_set(err, RP_E_INTERNAL, "STORE used before store_open");
		base = x->store_base;
	} else if (root == RP_ROOT_IN && x->in_s3) {
		base = x->in_base;
	} else {
		return 0;
	}
	size_t b = strlen(base), p = strlen(path);
	if (b + p > RP_MAX_PATH_TOTAL)
		return rp_err_set(err, RP_E_PATH,
				  "object store invalid: object key exceeds length limit (%s)", path);
	memcpy(key, base, b);
	memcpy(key + b, path, p + 1);
	return 1;
}

/* Remembers the store's answer to a failed request for store_detail. */
static void s3io_note(rp_s3io *x, const char *op, const char *key, const rp_s3_resp *resp)
{
	char shown[512];
	x->has_detail = 0;
	if (resp->status < 300)
		return; /* a transport failure: err says it all */
	(void)rp_s3_show_key(x->s3, key, shown, sizeof shown);
	(void)snprintf(x->what, sizeof x->what, "%s %s", op, shown);
	if (resp != x->resp)
		memcpy(x->resp, resp, sizeof *resp);
	x->has_detail = 1;
}

static int s3io_get(rp_s3io *x, const char *key, uint64_t max, rp_err *err)
{
	rp_buf_reset(&x->buf);
	if (rp_s3_get(x->s3, key, max, &x->buf, x->resp, err) != 0) {
		s3io_note(x, "GET", key, x->resp);
		return -1;
	}
	return 0;
}

static int s3io_put(rp_s3io *x, const char *key, const uint8_t *p, size_t n, rp_err *err)
{
	rp_s3_put_item *it = calloc(1, sizeof *it);
	if (it == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	it->key = key;
	it->data = p != NULL ? p : (const uint8_t *)"";
	it->len = n;
	it->fd = -1;
	int rc = rp_s3_put_many(x->s3, it, 1, err);
	if (rc != 0)
		s3io_note(x, "PUT", key, &it->resp);
	free(it);
	return rc;
}

static int s3io_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		     void *fnctx, rp_err *err)
{
	rp_s3io *x = self;
	char key[RP_MAX_PATH_TOTAL + 1];
	x->has_detail = 0;
	int s3 = s3io_key(x, root, path, key, err);
	if (s3 < 0)
		return -1;
	if (s3 == 0)
		return x->local.ops->read(x->local.self, root, path, max, fn, fnctx, err);
	if (s3io_get(x, key, max, err) != 0) {
		/* Decision Gate's wording names the relative path, not the key. */
		if (err->code == RP_E_TOO_LARGE && x->resp->has_length)
			rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)", path,
				   (unsigned long long)x->resp->length, (unsigned long long)max);
		else if (err->code == RP_E_TOO_LARGE)
			rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (more than %llu bytes)", path,
				   (unsigned long long)max);
		return -1;
	}
	if (x->buf.len == 0)
		return 0;
	return fn(fnctx, x->buf.data, x->buf.len, err);
}

static int s3io_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		      rp_err *err)
{
	rp_s3io *x = self;
	char key[RP_MAX_PATH_TOTAL + 1];
	x->has_detail = 0;
	int s3 = s3io_key(x, root, path, key, err);
	if (s3 < 0)
		return -1;
	if (s3 == 0)
		return x->local.ops->write(x->local.self, root, path, p, n, err);
	return s3io_put(x, key, p, n, err);
}

static int s3io_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		     rp_err *err)
{
	rp_s3io *x = self;
	char fkey[RP_MAX_PATH_TOTAL + 1], tkey[RP_MAX_PATH_TOTAL + 1];
	x->has_detail = 0;
	int fs3 = s3io_key(x, from, path, fkey, err);
	if (fs3 < 0)
		return -1;
	int ts3 = s3io_key(x, to, path, tkey, err);
	if (ts3 < 0)
		return -1;
	if (!fs3 && !ts3)
		return x->local.ops->copy(x->local.self, from, to, path, max, err);
	if (fs3) {
		if (s3io_get(x, fkey, max, err) != 0)
			return -1;
	} else {
		rp_buf_reset(&x->buf);
		if (rp_io_slurp(&x->local, from, path, max, &x->buf, err) != 0)
			return -1;
	}
	const uint8_t *p = x->buf.data != NULL ? x->buf.data : (const uint8_t *)"";
	if (ts3)
		return s3io_put(x, tkey, p, x->buf.len, err);
	return x->local.ops->write(x->local.self, to, path, p, x->buf.len, err);
}

static int s3io_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	rp_s3io *x = self;
	(void)create; /* buckets are not created by rpvault */
	x->has_detail = 0;
	if (s3io_base(x, prefix, x->store_base, err) != 0)
		return -1;
	x->store_bound = 1;
	return 0;
}

static int s3io_commit(void *self, rp_err *err)
{
	rp_s3io *x = self;
	x->has_detail = 0;
	return x->local.ops->commit(x->local.self, err);
}

static int s3io_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	(void)self;
	(void)fn;
	(void)fnctx;
	return rp_err_set(err, RP_E_INTERNAL, "list: an object store lists by pages");
}

static int s3io_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	rp_s3io *x = self;
	return x->local.ops->output(x->local.self, fd, p, n, err);
}

static int s3io_bucket_get(rp_s3io *x, const rp_sigv4_param *params, size_t np, const char *what,
			   rp_sink_fn fn, void *fnctx, rp_err *err)
{
	rp_buf_reset(&x->buf);
	x->has_detail = 0;
	if (rp_s3_get_bucket(x->s3, params, np, &x->buf, x->resp, err) != 0) {
		if (x->resp->status >= 300) {
			(void)snprintf(x->what, sizeof x->what, "GET s3://%s/?%s", x->set->bucket, what);
			x->has_detail = 1;
		}
		return -1;
	}
	if (x->buf.len == 0)
		return 0;
	return fn(fnctx, x->buf.data, x->buf.len, err);
}

static int s3io_list_page(void *self, const char *token, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	rp_s3io *x = self;
	rp_sigv4_param params[4];
	size_t np = 0;
	params[np++] = (rp_sigv4_param){ "list-type", "2" };
	params[np++] = (rp_sigv4_param){ "max-keys", "1000" };
	if (x->set->root_prefix[0] != '\0')
		params[np++] = (rp_sigv4_param){ "prefix", x->set->root_prefix };
	if (token != NULL && token[0] != '\0')
		params[np++] = (rp_sigv4_param){ "continuation-token", token };
	return s3io_bucket_get(x, params, np, "list-type=2", fn, fnctx, err);
}

static int s3io_bucket_info(void *self, rp_bucket_info what, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	rp_s3io *x = self;
	const char *name = what == RP_BUCKET_VERSIONING ? "versioning" : "object-lock";
	rp_sigv4_param p = { name, NULL };
	return s3io_bucket_get(x, &p, 1, name, fn, fnctx, err);
}

static int s3io_next_input(void *self, rp_code code, const char *msg, rp_err *err)
{
	rp_s3io *x = self;
	x->store_bound = 0;
	x->has_detail = 0;
	if (x->local.ops->next_input == NULL)
		return rp_err_set(err, RP_E_NOTFOUND, "no further input");
	return x->local.ops->next_input(x->local.self, code, msg, err);
}

static int s3io_store_detail(void *self, rp_store_detail *out)
{
	rp_s3io *x = self;
	if (!x->has_detail)
		return 0;
	out->status = (unsigned)x->resp->status;
	out->what = x->what;
	out->body = x->resp->err_body;
	out->body_len = x->resp->err_body_len;
	return 1;
}

static int s3io_export_plan(void *self, const rp_export_entry *e, size_t n, rp_err *err)
{
	rp_s3io *x = self;
	char shown[RP_MAX_PATH_TOTAL + 64], sk[RP_MAX_PATH_TOTAL + 64];
	int dirfd;
	x->has_detail = 0;
	if (!x->store_bound)
		return rp_err_set(err, RP_E_INTERNAL, "export plan before store_open");
	if (x->pipe == NULL &&
	    rp_s3x_open(&x->pipe, x->s3, x->set->parallel, x->read_back, err) != 0)
		return -1;
	if (rp_fsio_in_dup(x->fs, &dirfd, err) != 0)
		return -1;
	(void)snprintf(shown, sizeof shown, "%s", rp_s3_show_key(x->s3, x->store_base, sk, sizeof sk));
	return rp_s3x_plan(x->pipe, x->fs->cur_input, dirfd, x->store_base, shown, e, n, err);
}

static int s3io_export_wait(void *self, rp_export_result *res, rp_err *err)
{
	rp_s3io *x = self;
	(void)err;
	x->has_detail = 0;
	return x->pipe != NULL ? rp_s3x_wait(x->pipe, res) : 0;
}

static int s3io_export_report(void *self, size_t input, rp_code code, const char *msg, rp_err *err)
{
	rp_s3io *x = self;
	(void)err;
	x->has_detail = 0;
	rp_fsio_report(x->fs, input, code, msg);
	return 0;
}

static void s3io_pump(void *self, int fd)
{
	rp_s3io *x = self;
	if (x->pipe != NULL)
		rp_s3x_pump(x->pipe, fd);
}

static const rp_io_ops s3io_ops = {
	.read = s3io_read,
	.write = s3io_write,
	.copy = s3io_copy,
	.store_open = s3io_store_open,
	.commit = s3io_commit,
	.list = s3io_list,
	.output = s3io_output,
	.list_page = s3io_list_page,
	.bucket_info = s3io_bucket_info,
	.store_detail = s3io_store_detail,
	.next_input = s3io_next_input,
	.export_plan = s3io_export_plan,
	.export_wait = s3io_export_wait,
	.export_report = s3io_export_report,
	.pump = s3io_pump,
};

int rp_s3io_init(rp_s3io *x, rp_fsio *fs, rp_s3 *s3, const rp_s3_settings *set, rp_err *err)
{
	memset(x, 0, sizeof *x);
	x->fs = fs;
	x->local = rp_fsio_io(fs);
	x->s3 = s3;
	x->set = set;
	rp_buf_init(&x->buf, (size_t)RP_MAX_ARTIFACT_BYTES);
	x->resp = calloc(1, sizeof *x->resp);
	if (x->resp == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	return 0;
}

void rp_s3io_set_read_back(rp_s3io *x, int on)
{
	x->read_back = on;
}

void rp_s3io_abandon(rp_s3io *x, rp_code code)
{
	for (size_t i = 0; x->pipe != NULL && i < rp_s3x_queued(x->pipe); i++)
		rp_fsio_report(x->fs, rp_s3x_queued_input(x->pipe, i), code,
			       "not confirmed: the export stopped before this runpack's upload was confirmed "
			       "(it may be incomplete, never complete and wrong; export it again)");
}

void rp_s3io_free(rp_s3io *x)
{
	rp_s3x_close(x->pipe);
	x->pipe = NULL;
	rp_buf_free(&x->buf);
	free(x->resp);
	x->resp = NULL;
}

int rp_s3io_bind_in(rp_s3io *x, const char *prefix, rp_err *err)
{
	if (s3io_base(x, prefix, x->in_base, err) != 0)
		return -1;
	x->in_s3 = 1;
	return 0;
}

rp_io rp_s3io_io(rp_s3io *x)
{
	rp_io io = { .ops = &s3io_ops, .self = x };
	return io;
}
