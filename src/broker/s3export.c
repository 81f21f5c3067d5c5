/*
 * s3export.c - the export pipeline (see s3export.h): queued plans, each a
 * small state machine advanced by the completions of its requests.
 *
 * Scheduling: feed() hands free request records to the plans oldest first,
 * so the oldest runpack finishes first and results come back in input
 * order; a plan that has nothing to issue (waiting for its PUTs before the
 * manifest) leaves the records to the next one.
 * Security posture: BROKER code. Moves and hashes bytes, never parses them.
 * The manifest is PUT only after every artifact of its plan succeeded, so
 * an interrupted export leaves at worst a runpack without a manifest.
 */
#include "s3export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/limits.h"
#include "../common/path.h"
#include "fsio.h"

enum phase { PH_PROBE, PH_CHECK, PH_UPLOAD, PH_MANIFEST, PH_MANIFEST_BACK, PH_DONE };
enum fstate { F_IDLE, F_PUTTING, F_PUT, F_GETTING, F_DONE };
enum what { W_PROBE, W_CHECK, W_PUT, W_BACK, W_MPUT, W_MBACK };

typedef struct xfile {
	char *path;
	char *key;
	uint8_t sha[32];
	uint64_t size; /* the local file's size (the manifest: at plan time; artifacts: at PUT) */
	int fd;
	enum fstate st;
} xfile;

typedef struct xplan {
	size_t input;
	int dirfd;
	char shown[RP_MAX_PATH_TOTAL + 64];
	enum phase ph;
	size_t n;      /* files; f[0] is the manifest */
	xfile *f;
	size_t next;   /* the next artifact to issue in PH_CHECK / PH_UPLOAD */
	size_t done;   /* artifacts finished in PH_CHECK / PH_UPLOAD */
	int sent;      /* PH_PROBE / PH_MANIFEST / PH_MANIFEST_BACK: its one request is out */
	unsigned inflight;
	int existed;
	/* The result (the first failure wins). */
	int failed;
	rp_code code;
	unsigned status;
	char context[RP_ERR_MSG_MAX];
	char what[600];
	uint8_t *body;
	size_t body_len;
} xplan;

typedef struct xreq {
	rp_s3_req r;
	rp_s3_resp resp;
	struct rp_s3x *x;
	xplan *p;
	size_t file;
	enum what w;
	int busy;
} xreq;

struct rp_s3x {
	rp_s3 *s3;
	int read_back;
	xplan *q[RP_EXPORT_WINDOW]; /* a ring, oldest at head */
	size_t head, count;
	xreq *reqs;
	size_t n_reqs;
	xplan *returned; /* the plan of the last rp_s3x_wait, freed by the next call */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

static void plan_free(xplan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->f != NULL && i < p->n; i++) {
		free(p->f[i].path);
		free(p->f[i].key);
		close_fd(&p->f[i].fd);
	}
	free(p->f);
	close_fd(&p->dirfd);
	free(p->body);
	free(p);
}

/* Records a failure that is ours to describe (status 0: context is the
 * whole message). */
__attribute__((format(printf, 3, 4))) static void plan_fail(xplan *p, rp_code code, const char *fmt, ...);

static void plan_fail(xplan *p, rp_code code, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	p->code = code;
	p->status = 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->context, sizeof p->context, fmt, ap);
	va_end(ap);
	if (n < 0)
		p->context[0] = '\0';
}

/* Records a failed request: an answer from the store keeps its status and
 * body for the child to parse; anything else keeps our message. */
static void plan_fail_req(xplan *p, struct rp_s3x *x, const xreq *q, const char *doing)
{
	if (p->failed)
		return;
	const rp_s3_req *r = &q->r;
	if (q->resp.status >= 300 && q->resp.status <= 999) {
		char shown[560];
		p->failed = 1;
		p->code = r->err.code;
		p->status = (unsigned)q->resp.status;
		(void)snprintf(p->context, sizeof p->context, "%s", doing);
		(void)snprintf(p->what, sizeof p->what, "%s %s", r->kind == RP_S3_REQ_PUT_FD ? "PUT" : "GET",
			       rp_s3_show_key(x->s3, r->key, shown, sizeof shown));
		if (q->resp.err_body_len > 0 && (p->body = malloc(q->resp.err_body_len)) != NULL) {
			memcpy(p->body, q->resp.err_body, q->resp.err_body_len);
			p->body_len = q->resp.err_body_len;
		}
		return;
	}
	plan_fail(p, r->err.code != RP_OK ? r->err.code : RP_E_INTERNAL, "%s: %s", doing, r->err.msg);
}

static xreq *free_req(struct rp_s3x *x)
{
	for (size_t i = 0; i < x->n_reqs; i++)
		if (!x->reqs[i].busy)
			return &x->reqs[i];
	return NULL;
}

static void on_done(void *ctx, rp_s3_req *r);

static int issue(struct rp_s3x *x, xplan *p, size_t i, enum what w)
{
	xreq *q = free_req(x);
	if (q == NULL)
		return 0;
	xfile *f = &p->f[i];
	memset(&q->r, 0, sizeof q->r);
	q->x = x;
	q->p = p;
	q->file = i;
	q->w = w;
	q->r.key = f->key;
	q->r.fd = -1;
	q->r.resp = &q->resp;
	q->r.done = on_done;
	q->r.ctx = q;
	if (w == W_PUT || w == W_MPUT) {
		q->r.kind = RP_S3_REQ_PUT_FD;
		q->r.fd = f->fd;
		q->r.size = f->size;
		q->r.expect_sha = f->sha;
	} else {
		q->r.kind = RP_S3_REQ_GET_HASH;
		/* A stored object larger than the local one differs; in PH_CHECK
		 * the local size is unknown and the artifact cap bounds it. */
		q->r.max = w == W_CHECK ? RP_MAX_ARTIFACT_BYTES : f->size;
	}
	rp_err e;
	rp_err_clear(&e);
	if (rp_s3_submit(x->s3, &q->r, &e) != 0) {
		plan_fail(p, e.code, "%s", e.msg);
		return 0;
	}
	q->busy = 1;
	p->inflight++;
	return 1;
}

/* Issues one request of p if it has one to issue now: 1 if it did. */
static int issue_one(struct rp_s3x *x, xplan *p)
{
	if (p->failed || p->ph == PH_DONE)
		return 0;
	switch (p->ph) {
	case PH_PROBE:
		return !p->sent && (p->sent = issue(x, p, 0, W_PROBE));
	case PH_CHECK:
		if (p->next < p->n && issue(x, p, p->next, W_CHECK)) {
			p->next++;
			return 1;
		}
		return 0;
	case PH_UPLOAD:
		/* Read-backs first: they finish artifacts. */
		for (size_t i = 1; x->read_back && i < p->next; i++)
			if (p->f[i].st == F_PUT) {
				if (!issue(x, p, i, W_BACK))
					return 0;
				p->f[i].st = F_GETTING;
				return 1;
			}
		if (p->next < p->n && free_req(x) != NULL) {
			xfile *f = &p->f[p->next];
			rp_err e;
			rp_err_clear(&e);
			if (rp_fsio_open_below(p->dirfd, f->path, RP_MAX_ARTIFACT_BYTES, &f->fd, &f->size, &e) != 0) {
				plan_fail(p, e.code, "uploading %s: %s", f->path, e.msg);
				return 0;
			}
			if (!issue(x, p, p->next, W_PUT)) {
				close_fd(&f->fd);
				return 0;
			}
			f->st = F_PUTTING;
			p->next++;
			return 1;
		}
		return 0;
	case PH_MANIFEST:
		return !p->sent && (p->sent = issue(x, p, 0, W_MPUT));
	case PH_MANIFEST_BACK:
		return !p->sent && (p->sent = issue(x, p, 0, W_MBACK));
	case PH_DONE:
		break;
	}
	return 0;
}

static void feed(struct rp_s3x *x)
{
	for (size_t k = 0; k < x->count; k++) {
		xplan *p = x->q[(x->head + k) % RP_EXPORT_WINDOW];
		while (issue_one(x, p))
			;
		if (p->failed && p->inflight == 0)
			p->ph = PH_DONE;
		if (free_req(x) == NULL)
			return;
	}
}

static void enter(xplan *p, enum phase ph)
{
	p->ph = ph;
	p->sent = 0;
	p->next = 1;
	p->done = 0;
	if ((ph == PH_CHECK || ph == PH_UPLOAD) && p->n == 1)
		p->ph = ph == PH_CHECK ? PH_DONE : PH_MANIFEST; /* a manifest without artifacts */
}

static int same(const xfile *f, const rp_s3_req *r, uint64_t size)
{
	return r->got == size && memcmp(r->sha, f->sha, sizeof f->sha) == 0;
}

static void on_done(void *ctx, rp_s3_req *r)
{
	xreq *q = ctx;
	struct rp_s3x *x = q->x;
	xplan *p = q->p;
	xfile *f = &p->f[q->file];
	char doing[RP_MAX_PATH_TOTAL + 64];
	q->busy = 0;
	p->inflight--;
	switch (q->w) {
	case W_PROBE:
		if (!r->failed && same(f, r, f->size)) {
			p->existed = 1;
			enter(p, PH_CHECK);
		} else if (!r->failed || r->err.code == RP_E_TOO_LARGE) {
			plan_fail(p, RP_E_CONFLICT, "a different runpack is already stored at %s (its %s differs)",
				  p->shown, f->path);
		} else if (r->err.code == RP_E_NOTFOUND) {
			enter(p, PH_UPLOAD); /* a 404 for a missing bucket fails the first PUT */
		} else {
			plan_fail_req(p, x, q, "checking the store for this runpack");
		}
		break;
	case W_CHECK:
		if (r->failed) {
			(void)snprintf(doing, sizeof doing, "the runpack already stored at %s: reading %s", p->shown,
				       f->path);
			plan_fail_req(p, x, q, doing);
		} else if (memcmp(r->sha, f->sha, sizeof f->sha) != 0) {
			plan_fail(p, RP_E_VERIFY, "the runpack already stored at %s failed verification: hash mismatch for %s",
				  p->shown, f->path);
		} else if (++p->done == p->n - 1) {
			p->ph = PH_DONE;
		}
		break;
	case W_PUT:
		close_fd(&f->fd);
		if (r->failed) {
			(void)snprintf(doing, sizeof doing, "uploading %s", f->path);
			plan_fail_req(p, x, q, doing);
			break;
		}
		f->st = x->read_back ? F_PUT : F_DONE;
		if (!x->read_back && ++p->done == p->n - 1)
			enter(p, PH_MANIFEST);
		break;
	case W_BACK:
		if (r->failed && r->err.code != RP_E_TOO_LARGE) {
			(void)snprintf(doing, sizeof doing, "reading back %s", f->path);
			plan_fail_req(p, x, q, doing);
		} else if (r->failed || !same(f, r, f->size)) {
			plan_fail(p, RP_E_VERIFY,
				  "stored copy failed verification: hash mismatch for %s (read back from %s)", f->path,
				  p->shown);
		} else {
			f->st = F_DONE;
			if (++p->done == p->n - 1)
				enter(p, PH_MANIFEST);
		}
		break;
	case W_MPUT:
		if (r->failed) {
			(void)snprintf(doing, sizeof doing, "uploading %s", f->path);
			plan_fail_req(p, x, q, doing);
		} else {
			close_fd(&f->fd);
			enter(p, x->read_back ? PH_MANIFEST_BACK : PH_DONE);
		}
		break;
	case W_MBACK:
		if (r->failed && r->err.code != RP_E_TOO_LARGE) {
			(void)snprintf(doing, sizeof doing, "reading back %s", f->path);
			plan_fail_req(p, x, q, doing);
		} else if (r->failed || !same(f, r, f->size)) {
			plan_fail(p, RP_E_VERIFY, "the stored manifest %s%s reads back different bytes", p->shown,
				  f->path);
		} else {
			p->ph = PH_DONE;
		}
		break;
	}
	if (p->failed && p->inflight == 0)
		p->ph = PH_DONE;
	feed(x);
}

int rp_s3x_open(rp_s3x **out, rp_s3 *s3, unsigned parallel, int read_back, rp_err *err)
{
	*out = NULL;
	rp_s3x *x = calloc(1, sizeof *x);
	if (x == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory for the export pipeline");
	x->s3 = s3;
	x->read_back = read_back;
	x->n_reqs = parallel > 0 ? parallel : 1;
	x->reqs = calloc(x->n_reqs, sizeof *x->reqs);
	if (x->reqs == NULL) {
		free(x);
		return rp_err_set(err, RP_E_NOMEM, "out of memory for the export pipeline");
	}
	*out = x;
	return 0;
}

void rp_s3x_close(rp_s3x *x)
{
	if (x == NULL)
		return;
	rp_s3_cancel_requests(x->s3);
	for (size_t k = 0; k < x->count; k++)
		plan_free(x->q[(x->head + k) % RP_EXPORT_WINDOW]);
	plan_free(x->returned);
	free(x->reqs);
	free(x);
}

static char *dup_join(const char *a, const char *b, size_t max, rp_err *err)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na + nb > max) {
		rp_err_set(err, RP_E_PATH, "object store invalid: object key exceeds length limit");
		return NULL;
	}
	char *s = malloc(na + nb + 1);
	if (s == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

int rp_s3x_plan(rp_s3x *x, size_t input, int dirfd, const char *base, const char *shown,
		const rp_export_entry *e, size_t n, rp_err *err)
{
	xplan *p = NULL;
	if (x->count >= RP_EXPORT_WINDOW) {
		close_fd(&dirfd);
		return rp_err_set(err, RP_E_LIMIT, "more than %u export plans queued", RP_EXPORT_WINDOW);
	}
	if (n == 0) {
		close_fd(&dirfd);
		return rp_err_set(err, RP_E_INTERNAL, "an export plan without a manifest");
	}
	p = calloc(1, sizeof *p);
	if (p == NULL || (p->f = calloc(n, sizeof *p->f)) == NULL) {
		free(p);
		close_fd(&dirfd);
		return rp_err_set(err, RP_E_NOMEM, "out of memory for an export plan");
	}
	p->n = n;
	p->input = input;
	p->dirfd = dirfd;
	(void)snprintf(p->shown, sizeof p->shown, "%s", shown);
	for (size_t i = 0; i < n; i++)
		p->f[i].fd = -1;
	for (size_t i = 0; i < n; i++) {
		xfile *f = &p->f[i];
		memcpy(f->sha, e[i].sha, sizeof f->sha);
		if ((f->path = dup_join("", e[i].path, RP_MAX_PATH_TOTAL, err)) == NULL ||
		    (f->key = dup_join(base, e[i].path, RP_MAX_PATH_TOTAL, err)) == NULL)
			goto bad;
	}
	if (rp_fsio_open_below(p->dirfd, p->f[0].path, RP_MAX_ARTIFACT_BYTES, &p->f[0].fd, &p->f[0].size, err) != 0) {
		rp_err_wrap(err, "reading %s", p->f[0].path);
		goto bad;
	}
	enter(p, PH_PROBE);
	x->q[(x->head + x->count) % RP_EXPORT_WINDOW] = p;
	x->count++;
	feed(x);
	return 0;
bad:
	plan_free(p);
	return -1;
}

int rp_s3x_wait(rp_s3x *x, rp_export_result *res)
{
	plan_free(x->returned);
	x->returned = NULL;
	if (x->count == 0)
		return 0;
	xplan *p = x->q[x->head];
	while (p->ph != PH_DONE) {
		feed(x);
		if (p->ph == PH_DONE)
			break;
		if (rp_s3_unfinished(x->s3) == 0 && p->inflight == 0) {
			/* Nothing in flight and nothing to issue: cannot happen
			 * unless a request record leaked; fail rather than spin. */
			plan_fail(p, RP_E_INTERNAL, "export pipeline stalled");
			p->ph = PH_DONE;
			break;
		}
		(void)rp_s3_pump(x->s3, -1, 1000);
	}
	x->head = (x->head + 1) % RP_EXPORT_WINDOW;
	x->count--;
	x->returned = p;
	memset(res, 0, sizeof *res);
	res->input = p->input;
	res->code = p->failed ? p->code : RP_OK;
	res->existed = p->existed;
	res->status = p->failed ? p->status : 0;
	res->context = p->failed ? p->context : "";
	res->what = p->what;
	res->body = p->body;
	res->body_len = p->body_len;
	return 1;
}

void rp_s3x_pump(rp_s3x *x, int fd)
{
	feed(x);
	while (rp_s3_unfinished(x->s3) > 0)
		if (rp_s3_pump(x->s3, fd, 1000) == 1)
			return;
}

size_t rp_s3x_queued(const rp_s3x *x)
{
	return x->count;
}

size_t rp_s3x_queued_input(const rp_s3x *x, size_t i)
{
	return x->q[(x->head + i) % RP_EXPORT_WINDOW]->input;
}
