/*
 * job.c - the commands as the confined child runs them.
 *
 *   verify  read the manifest, verify, render the report
 *   pack    canonicalize seven logs into OUT, manifest last, verify, commit
 *   export  verify IN, refuse conflicts, copy into the store, verify the
 *           stored copy, write the manifest last, print the storage URI
 *           (object stores: the broker's pipeline does the store part
 *           while this child verifies the next runpack, see s3export.h)
 *   fetch   copy a stored runpack to OUT, verify OUT, commit
 *   ls      list stored runpacks, complete or incomplete
 *   jcs     canonicalize one document
 *
 * Security posture: CONFINED-CHILD code. Everything it reads is
 * untrusted; it can only ask the broker for bytes through rp_io.
 */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/keys.h"
#include "../common/limits.h"
#include "../common/path.h"
#include "../common/sha256.h"
#include "jcs.h"
#include "manifest.h"
#include "report.h"
#include "s3list.h"
#include "s3xml.h"
#include "store_err.h"
#include "verify.h"

static const struct {
	const char *path;
	const char *kind;
} pack_artifacts[] = {
	{"artifacts/scenario_spec.json", "scenario_spec"}, {"artifacts/triggers.json", "trigger_log"},
	{"artifacts/gate_evals.json", "gate_eval_log"},    {"artifacts/decisions.json", "decision_log"},
	{"artifacts/packets.json", "packet_log"},          {"artifacts/submissions.json", "submission_log"},
	{"artifacts/tool_calls.json", "tool_transcript"},
};
#define N_PACK (sizeof pack_artifacts / sizeof pack_artifacts[0])

static rp_code fail(rp_err *err)
{
	return err->code == RP_OK ? RP_E_INTERNAL : err->code;
}

static int emit(const rp_io *io, int fd, const rp_buf *b, rp_err *err)
{
	return io->ops->output(io->self, fd, b->data, b->len, err);
}

static const char *manifest_name(const rp_job *job)
{
	return (job->flags & RP_JOB_F_MANIFEST_EXPLICIT) ? job->manifest_name : NULL;
}

/* Renders rep; returns RP_OK on pass, RP_E_VERIFY on fail. */
static rp_code finish_report(const rp_io *io, const rp_job *job, const rp_report *rep, const char *subject, int fd,
			     rp_err *err)
{
	rp_buf out;
	rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	int rc = rp_report_render(rep, (rp_report_format)job->format, subject, &out, err);
	if (rc == 0)
		rc = emit(io, fd, &out, err);
	rp_buf_free(&out);
	if (rc != 0)
		return fail(err);
	if (!rp_report_pass(rep)) {
		rp_err_set(err, RP_E_VERIFY, "%s", "");
		return RP_E_VERIFY;
	}
	return RP_OK;
}

static rp_code job_verify(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_report rep;
	rp_verify_opts opts = {1, (job->flags & RP_JOB_F_FROM_STORE) ? job->store_prefix : NULL};
	const char *used = NULL;
	rp_report_init(&rep);
	if (rp_verify_runpack(io, RP_ROOT_IN, manifest_name(job), &opts, &rep, &used, err) != 0) {
		rp_report_free(&rep);
		return fail(err);
	}
	rp_code c = finish_report(io, job, &rep, job->subject[0] != '\0' ? job->subject : (used != NULL ? used : "runpack"),
				  1, err);
	rp_report_free(&rep);
	return c;
}

static int hex_str(rp_manifest *m, const uint8_t d[32], rp_str *out, rp_err *err)
{
	char *h = jv_arena_alloc(&m->arena, 65, err);
	if (h == NULL)
		return -1;
	rp_hex_encode(d, 32, h);
	out->s = h;
	out->len = 64;
	return 0;
}

static int arena_str(rp_manifest *m, const char *s, size_t n, rp_str *out, rp_err *err)
{
	char *p = jv_arena_alloc(&m->arena, n + 1, err);
	if (p == NULL)
		return -1;
	memcpy(p, s, n);
	p[n] = '\0';
	out->s = p;
	out->len = n;
	return 0;
}

static int add_entry(rp_manifest *m, const char *path, const char *kind, const uint8_t d[32], rp_err *err)
{
	rp_str hex;
	if (hex_str(m, d, &hex, err) != 0)
		return -1;
	rp_file_hash *fh = &m->files[m->n_files++];
	rp_artifact_rec *a = &m->artifacts[m->n_artifacts++];
	fh->path = (rp_str){path, strlen(path)};
	fh->hash = hex;
	a->artifact_id = fh->path;
	a->path = fh->path;
	a->content_type = (rp_str){"application/json", 16};
	a->hash = hex;
	a->kind = (rp_str){kind, strlen(kind)};
	a->required = 1;
	return 0;
}

static int set_root(rp_manifest *m, rp_err *err)
{
	char hex[65];
	if (rp_manifest_root_hash(m, hex, err) != 0)
		return -1;
	return arena_str(m, hex, 64, &m->root_hash, err);
}

static rp_code job_pack(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_manifest m;
	rp_buf src, canon, mbytes;
	rp_code code = RP_OK;
	memset(&m, 0, sizeof m);
	jv_arena_init(&m.arena, RP_MAX_JSON_ARENA_BYTES);
	rp_buf_init(&src, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&canon, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&mbytes, (size_t)RP_MAX_ARTIFACT_BYTES);
	m.files = jv_arena_alloc(&m.arena, (N_PACK + 1) * sizeof *m.files, err);
	m.artifacts = jv_arena_alloc(&m.arena, (N_PACK + 1) * sizeof *m.artifacts, err);
	if (m.files == NULL || m.artifacts == NULL)
		goto bad;
	for (size_t i = 0; i < N_PACK; i++) {
		const char *p = pack_artifacts[i].path;
		if (rp_io_slurp(io, RP_ROOT_IN, p, RP_MAX_ARTIFACT_BYTES, &src, err) != 0) {
			rp_err_wrap(err, "pack: source artifact %s", p);
			goto bad;
		}
		rp_buf_reset(&canon);
		if (jcs_canonicalize(src.data, src.len, RP_JCS_SERDE, &canon, err) != 0) {
			rp_err_wrap(err, "pack: source artifact %s is not valid JSON", p);
			goto bad;
		}
		if (i == 0) {
			/* scenario_id comes from the spec itself. */
			jv_arena a;
			jv_arena_init(&a, RP_MAX_JSON_ARENA_BYTES);
			const jv *spec = jv_parse(&a, canon.data, canon.len, err);
			const jv *sid = spec != NULL && spec->type == JV_OBJECT ? jv_get(spec, "scenario_id", NULL) : NULL;
			int ok = sid != NULL && sid->type == JV_STRING &&
				 arena_str(&m, sid->u.str.s, sid->u.str.len, &m.scenario_id, err) == 0;
			jv_arena_free(&a);
			if (!ok) {
				rp_err_set(err, RP_E_FORMAT, "pack: %s has no string scenario_id", p);
				goto bad;
			}
		}
		if (io->ops->write(io->self, RP_ROOT_OUT, p, canon.data, canon.len, err) != 0)
			goto bad;
		uint8_t d[32];
		rp_sha256(canon.data, canon.len, d);
		if (add_entry(&m, p, pack_artifacts[i].kind, d, err) != 0)
			goto bad;
		if (i == 0)
			m.spec_hash = m.files[0].hash;
	}
	m.manifest_version = (rp_str){"v1", 2};
	m.ts_kind = job->ts_kind == RP_TS_UNIX_MILLIS;
	m.ts_logical = job->ts_value;
	m.ts_millis = (int64_t)job->ts_value;
	m.tenant_id = job->tenant;
	m.namespace_id = job->namespace_id;
	m.run_id = (rp_str){job->run_id, strlen(job->run_id)};
	m.verifier_mode = 0;
	if (job->flags & RP_JOB_F_SECURITY) {
		m.has_security = 1;
		m.dev_permissive = (job->flags & RP_JOB_F_DEV_PERMISSIVE) != 0;
		m.namespace_authority = (rp_str){job->authority, strlen(job->authority)};
	}
	if (job->flags & RP_JOB_F_ANCHOR_POLICY) {
		if (rp_io_slurp(io, RP_ROOT_FILE, "", RP_MAX_ARTIFACT_BYTES, &src, err) != 0 ||
		    rp_anchor_policy_parse(&m, src.data, src.len, err) != 0) {
			rp_err_wrap(err, "pack: anchor policy");
			goto bad;
		}
	}
	if (set_root(&m, err) != 0)
		goto bad;
	if (job->flags & RP_JOB_F_WITH_VERIFICATION) {
		/* Decision Gate verifies the seven-entry runpack and stores that
		 * report (checked_files 7) as the eighth artifact (spec §8). */
		rp_report rep;
		rp_verify_opts opts = {0, NULL};
		rp_report_init(&rep);
		int rc = rp_verify(io, RP_ROOT_OUT, &m, &opts, &rep, err);
		rp_buf_reset(&canon);
		if (rc == 0)
			rc = rp_report_jcs(&rep, &canon, err);
		rp_report_free(&rep);
		if (rc != 0)
			goto bad;
		const char *p = "artifacts/verifier_report.json";
		if (io->ops->write(io->self, RP_ROOT_OUT, p, canon.data, canon.len, err) != 0)
			goto bad;
		uint8_t d[32];
		rp_sha256(canon.data, canon.len, d);
		if (add_entry(&m, p, "verifier_report", d, err) != 0 || set_root(&m, err) != 0)
			goto bad;
	}
	if (rp_manifest_write_jcs(&m, &mbytes, err) != 0)
		goto bad;
	if (io->ops->write(io->self, RP_ROOT_OUT, job->manifest_name, mbytes.data, mbytes.len, err) != 0)
		goto bad;
	/* Write what we verify: the finished runpack must pass, read back. */
	rp_report rep;
	rp_verify_opts opts = {1, NULL};
	rp_report_init(&rep);
	int rc = rp_verify_runpack(io, RP_ROOT_OUT, job->manifest_name, &opts, &rep, NULL, err);
	if (rc == 0 && !rp_report_pass(&rep)) {
		rp_err_set(err, RP_E_VERIFY, "pack: the packed runpack failed verification: %s",
			   rep.n_errors > 0 ? rep.errors[0] : "");
		rc = -1;
	}
	rp_report_free(&rep);
	if (rc != 0 || io->ops->commit(io->self, err) != 0)
		goto bad;
	goto out;
bad:
	code = fail(err);
out:
	rp_buf_free(&src);
	rp_buf_free(&canon);
	rp_buf_free(&mbytes);
	rp_manifest_free(&m);
	return code;
}

/* Reads and parses the manifest of root (with the runpack.json fallback). */
static int load_manifest(const rp_io *io, rp_root root, const rp_job *job, rp_buf *bytes, rp_manifest *m,
			 const char **name, rp_err *err)
{
	const char *n = manifest_name(job);
	*name = n != NULL ? n : "manifest.json";
	memset(m, 0, sizeof *m);
	int r = rp_io_slurp(io, root, *name, RP_MAX_ARTIFACT_BYTES, bytes, err);
	if (r != 0 && n == NULL && err->code == RP_E_NOTFOUND) {
		*name = "runpack.json";
		r = rp_io_slurp(io, root, *name, RP_MAX_ARTIFACT_BYTES, bytes, err);
	}
	if (r != 0)
		return rp_err_wrap(err, "cannot read runpack manifest %s", *name);
	if (rp_manifest_parse(m, bytes->data, bytes->len, err) != 0)
		return rp_err_wrap(err, "failed to parse runpack manifest %s", *name);
	return 0;
}

/* Verifies root against m; on failure prints the report to stderr. */
static int verify_or_report(const rp_io *io, rp_root root, const rp_manifest *m, const char *prefix,
			    const char *what, rp_err *err)
{
	rp_report rep;
	rp_verify_opts opts = {1, prefix};
	rp_report_init(&rep);
	int rc = rp_verify(io, root, m, &opts, &rep, err);
	if (rc == 0 && !rp_report_pass(&rep)) {
		rp_buf out;
		rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES);
		rp_err e2;
		if (rp_report_render(&rep, RP_FMT_TEXT, what, &out, &e2) == 0)
			(void)emit(io, 2, &out, &e2);
		rp_buf_free(&out);
		rp_err_set(err, RP_E_VERIFY, "%s failed verification", what);
		rc = -1;
	}
	rp_report_free(&rep);
	return rc;
}

/* Copies every listed file once, in one batch when the backend can run
 * them in parallel (object stores), else one by one. */
static int copy_listed(const rp_io *io, rp_root from, rp_root to, const rp_manifest *m, rp_err *err)
{
	const char **paths = calloc(m->n_files + 1, sizeof *paths);
	size_t n = 0;
	if (paths == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->n_files; i++) {
		const rp_file_hash *f = &m->files[i];
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = f->path.len == m->files[j].path.len && memcmp(f->path.s, m->files[j].path.s, f->path.len) == 0;
		if (!dup)
			paths[n++] = f->path.s;
	}
	int rc = 0;
	if (io->ops->copy_many != NULL && n > 0) {
		rc = io->ops->copy_many(io->self, from, to, paths, n, RP_MAX_ARTIFACT_BYTES, err);
		if (rc != 0)
			rp_err_wrap(err, "copying the artifacts");
	} else {
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (io->ops->copy(io->self, from, to, paths[i], RP_MAX_ARTIFACT_BYTES, err) != 0)
				rc = rp_err_wrap(err, "copying %s", paths[i]);
	}
	free(paths);
	return rc;
}

static int print_uri(const rp_io *io, const rp_job *job, const char *prefix, rp_err *err)
{
	rp_buf b;
	rp_buf_init(&b, RP_MAX_PATH_TOTAL * 3);
	int rc = rp_buf_printf(&b, err, "%s/%s\n", job->store_uri, prefix);
	if (rc == 0)
		rc = emit(io, 1, &b, err);
	rp_buf_free(&b);
	return rc;
}

/* The runpacks whose export plans are queued in the broker, oldest first:
 * their prefixes, for the storage URI printed when the result comes. */
typedef struct export_queue {
	char (*prefix)[RP_KEY_PREFIX_MAX + 1]; /* RP_EXPORT_WINDOW entries */
	size_t head, count;
	rp_code last;    /* the result of the last plan collected */
	rp_err last_err;
} export_queue;

static int unhex32(const rp_str *s, uint8_t out[32])
{
	if (s->s == NULL || s->len != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		char ch = s->s[i];
		int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 == 0 ? v << 4 : out[i / 2] | v);
	}
	return 0;
}

/* Turns one plan result into the runpack's final word: reported to the
 * broker, then (on success) its storage URI printed. The store's error
 * body is parsed here, in the confined child. */
static int export_take(const rp_job *job, const rp_io *io, export_queue *q, const rp_export_result *res,
		       rp_err *err)
{
	rp_err e;
	rp_err_clear(&e);
	if (res->code != RP_OK && res->status >= 300) {
		rp_err se;
		rp_err_clear(&se);
		rp_store_err_compose((uint32_t)res->code, res->status, res->what, strlen(res->what), res->body,
				     res->body_len, &se);
		rp_err_set(&e, se.code, "%s: %s", res->context, se.msg);
	} else if (res->code != RP_OK) {
		rp_err_set(&e, res->code, "%s", res->context);
	}
	char *prefix = q->prefix[q->head];
	q->head = (q->head + 1) % RP_EXPORT_WINDOW;
	q->count--;
	q->last = e.code;
	q->last_err = e;
	if (io->ops->export_report(io->self, res->input, e.code, e.code == RP_OK ? "" : e.msg, err) != 0)
		return -1;
	return e.code == RP_OK ? print_uri(io, job, prefix, err) : 0;
}

/* Collects results until at most keep plans are queued. -1: the channel
 * failed (the job ends). */
static int export_collect(const rp_job *job, const rp_io *io, export_queue *q, size_t keep, rp_err *err)
{
	while (q->count > keep) {
		rp_export_result res;
		int r = io->ops->export_wait(io->self, &res, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return rp_err_set(err, RP_E_PROTO, "export: no result for %zu queued runpacks", q->count);
		if (export_take(job, io, q, &res, err) != 0)
			return -1;
	}
	return 0;
}

/* Queues the upload of the verified runpack: the manifest (its bytes as
 * parsed) and every listed file once, each with its verified SHA-256.
 * RP_E_LIMIT when the list does not fit one plan (the caller copies). */
static int export_queue_plan(const rp_io *io, export_queue *q, const rp_manifest *m, const char *name,
			     const rp_buf *mbytes, const char *prefix, rp_err *err)
{
	rp_export_entry *e = calloc(m->n_files + 1, sizeof *e);
	size_t n = 1;
	int rc = -1;
	if (e == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	e[0].path = name;
	rp_sha256_digest(mbytes->data, mbytes->len, e[0].sha);
	for (size_t i = 0; i < m->n_files; i++) {
		const rp_file_hash *f = &m->files[i];
		int dup = strcmp(f->path.s, name) == 0;
		for (size_t j = 1; j < n && !dup; j++)
			dup = strcmp(f->path.s, e[j].path) == 0;
		if (dup)
			continue;
		if (unhex32(&f->hash, e[n].sha) != 0) {
			rp_err_set(err, RP_E_INTERNAL, "export: the verified hash of %s is not 64 hex digits", f->path.s);
			goto out;
		}
		e[n++].path = f->path.s;
	}
	if (io->ops->export_plan(io->self, e, n, err) != 0)
		goto out;
	(void)snprintf(q->prefix[(q->head + q->count) % RP_EXPORT_WINDOW], RP_KEY_PREFIX_MAX + 1, "%s", prefix);
	q->count++;
	rc = 0;
out:
	free(e);
	return rc;
}

static rp_code export_one(const rp_job *job, const rp_io *io, export_queue *q, rp_err *err)
{
	rp_buf bytes, stored;
	rp_manifest m;
	const char *name;
	char prefix[RP_KEY_PREFIX_MAX + 1];
	rp_code code = RP_OK;
	int read_back = !(job->flags & RP_JOB_F_NO_READ_BACK);
	rp_buf_init(&bytes, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&stored, (size_t)RP_MAX_ARTIFACT_BYTES);
	if (load_manifest(io, RP_ROOT_IN, job, &bytes, &m, &name, err) != 0)
		goto bad;
	if (verify_or_report(io, RP_ROOT_IN, &m, NULL, "runpack", err) != 0) {
		rp_err_set(err, RP_E_VERIFY, "export refused: the runpack failed verification (nothing was stored)");
		goto bad;
	}
	if (rp_key_prefix(m.tenant_id, m.namespace_id, m.scenario_id.s, m.scenario_id.len, m.run_id.s, m.run_id.len,
			  m.spec_hash.s, m.spec_hash.len, prefix, err) != 0 ||
	    rp_key_prefix_check(prefix, err) != 0) {
		rp_err_wrap(err, "cannot derive the storage key");
		goto bad;
	}
	if (io->ops->store_open(io->self, prefix, 1, err) != 0)
		goto bad;
	if (q != NULL) {
		if (q->count >= RP_EXPORT_WINDOW && export_collect(job, io, q, RP_EXPORT_WINDOW - 1, err) != 0)
			goto bad;
		if (export_queue_plan(io, q, &m, name, &bytes, prefix, err) == 0)
			goto out; /* the result comes later, through export_collect */
		if (err->code != RP_E_LIMIT)
			goto bad;
		/* Too many files for one plan: copy one by one below, after the
		 * queued runpacks, so results stay in input order. */
		rp_err_clear(err);
		if (export_collect(job, io, q, 0, err) != 0)
			goto bad;
	}
	/* A complete runpack at the key is either this one (no-op) or a
	 * conflict; an incomplete one (no manifest) is completed. */
	rp_err rerr;
	rp_err_clear(&rerr);
	if (rp_io_slurp(io, RP_ROOT_STORE, name, RP_MAX_ARTIFACT_BYTES, &stored, &rerr) == 0) {
		if (stored.len != bytes.len || memcmp(stored.data, bytes.data, bytes.len) != 0) {
			rp_err_set(err, RP_E_CONFLICT, "a different runpack is already stored at %s/%s (its %s differs)",
				   job->store_uri, prefix, name);
			goto bad;
		}
		if (verify_or_report(io, RP_ROOT_STORE, &m, prefix, "stored runpack", err) != 0)
			goto bad;
		if (print_uri(io, job, prefix, err) != 0)
			goto bad;
		goto out;
	} else if (rerr.code != RP_E_NOTFOUND) {
		*err = rerr;
		goto bad;
	}
	if (copy_listed(io, RP_ROOT_IN, RP_ROOT_STORE, &m, err) != 0)
		goto bad;
	/* The copy is what will be trusted later: verify it, not the source,
	 * before the manifest makes it complete. */
	if (read_back && verify_or_report(io, RP_ROOT_STORE, &m, prefix, "stored copy", err) != 0)
		goto bad;
	if (io->ops->write(io->self, RP_ROOT_STORE, name, bytes.data, bytes.len, err) != 0)
		goto bad;
	if (read_back) {
		rp_buf_reset(&stored);
		if (rp_io_slurp(io, RP_ROOT_STORE, name, RP_MAX_ARTIFACT_BYTES, &stored, err) != 0) {
			rp_err_wrap(err, "reading back the stored manifest %s", name);
			goto bad;
		}
		if (stored.len != bytes.len || memcmp(stored.data, bytes.data, bytes.len) != 0) {
			rp_err_set(err, RP_E_VERIFY, "the stored manifest %s/%s%s reads back different bytes",
				   job->store_uri, prefix, name);
			goto bad;
		}
	}
	if (print_uri(io, job, prefix, err) != 0)
		goto bad;
	goto out;
bad:
	code = fail(err);
out:
	rp_manifest_free(&m);
	rp_buf_free(&bytes);
	rp_buf_free(&stored);
	return code;
}

/* One child exports every runpack of the command: after each one the
 * broker reports its result and binds the next input (no fork per
 * runpack). A failed runpack does not stop the others. */
static rp_code job_export(const rp_job *job, const rp_io *io, rp_err *err)
{
	export_queue qs, *q = NULL;
	rp_code code = RP_OK;
	memset(&qs, 0, sizeof qs);
	if ((job->flags & RP_JOB_F_S3) && io->ops->export_plan != NULL) {
		qs.prefix = calloc(RP_EXPORT_WINDOW, sizeof *qs.prefix);
		if (qs.prefix == NULL) {
			rp_err_set(err, RP_E_NOMEM, "out of memory");
			return fail(err);
		}
		q = &qs;
	}
	if (!(job->flags & RP_JOB_F_MULTI_INPUT) || io->ops->next_input == NULL) {
		code = export_one(job, io, q, err);
		if (code == RP_OK && q != NULL && q->count > 0) {
			if (export_collect(job, io, q, 0, err) != 0)
				code = fail(err);
			else if ((code = q->last) != RP_OK)
				*err = q->last_err;
		}
		goto out;
	}
	for (;;) {
		rp_err one;
		rp_err_clear(&one);
		rp_code c = export_one(job, io, q, &one);
		if (c == RP_OK)
			one.msg[0] = '\0';
		else if (one.code == RP_E_PROTO) {
			*err = one; /* the channel is gone */
			code = c;
			goto out;
		}
		/* A runpack refused here is reported after the queued ones,
		 * so the results come in input order. */
		if (c != RP_OK && q != NULL && export_collect(job, io, q, 0, err) != 0) {
			code = fail(err);
			goto out;
		}
		if (io->ops->next_input(io->self, c, one.msg, err) != 0) {
			if (err->code != RP_E_NOTFOUND) {
				code = fail(err);
				goto out;
			}
			rp_err_clear(err);
			if (q != NULL && export_collect(job, io, q, 0, err) != 0)
				code = fail(err);
			goto out;
		}
	}
out:
	free(qs.prefix);
	return code;
}

static rp_code job_fetch(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_buf bytes;
	rp_manifest m;
	const char *name;
	rp_code code = RP_OK;
	rp_buf_init(&bytes, (size_t)RP_MAX_ARTIFACT_BYTES);
	if (load_manifest(io, RP_ROOT_IN, job, &bytes, &m, &name, err) != 0)
		goto bad;
	if (copy_listed(io, RP_ROOT_IN, RP_ROOT_OUT, &m, err) != 0 ||
	    io->ops->write(io->self, RP_ROOT_OUT, name, bytes.data, bytes.len, err) != 0)
		goto bad;
	if (verify_or_report(io, RP_ROOT_OUT, &m, job->store_prefix, "fetched runpack", err) != 0)
		goto bad;
	if (io->ops->commit(io->self, err) != 0)
		goto bad;
	goto out;
bad:
	code = fail(err);
out:
	rp_manifest_free(&m);
	rp_buf_free(&bytes);
	return code;
}

struct ls_ctx {
	const rp_job *job;
	const rp_io *io;
	size_t shown;
};

static int ls_entry(void *ctx, const rp_list_entry *e, rp_err *err)
{
	struct ls_ctx *c = ctx;
	if (rp_key_prefix_check(e->prefix, err) != 0) {
		rp_err_clear(err);
		return 0; /* not a runpack key: someone else's directory */
	}
	unsigned long long t = strtoull(e->prefix + 7, NULL, 10);
	const char *ns = strstr(e->prefix, "/namespace/");
	unsigned long long n = ns != NULL ? strtoull(ns + 11, NULL, 10) : 0;
	if ((c->job->flags & RP_JOB_F_TENANT_FILTER) && t != c->job->tenant)
		return 0;
	if ((c->job->flags & RP_JOB_F_NAMESPACE_FILTER) && n != c->job->namespace_id)
		return 0;
	char shown[RP_MAX_PATH_TOTAL * 2];
	rp_printable(e->prefix, strlen(e->prefix), shown, sizeof shown);
	rp_buf b;
	rp_buf_init(&b, sizeof shown + RP_MAX_PATH_TOTAL + 64);
	int rc = rp_buf_printf(&b, err, "%-10s %s/%s\n", e->has_manifest ? "complete" : "incomplete", c->job->store_uri,
			       shown);
	if (rc == 0)
		rc = emit(c->io, 1, &b, err);
	rp_buf_free(&b);
	c->shown++;
	return rc;
}

static rp_code job_ls(const rp_job *job, const rp_io *io, rp_err *err)
{
	struct ls_ctx c = {job, io, 0};
	if (job->flags & RP_JOB_F_S3) {
		char root[RP_MAX_PATH_TOTAL + 2];
		if (rp_s3_root_prefix_of(job->store_uri, root, sizeof root, err) != 0 ||
		    rp_s3_list_runpacks(io, root, ls_entry, &c, err) != 0)
			return fail(err);
		return RP_OK;
	}
	if (io->ops->list(io->self, ls_entry, &c, err) != 0)
		return fail(err);
	return RP_OK;
}

static int collect_sink(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	return rp_buf_append(ctx, p, n, err);
}

/* Asks the store for a bucket sub-resource; the XML is parsed here. */
static int bucket_xml(const rp_io *io, rp_bucket_info what, rp_buf *body, rp_err *err)
{
	rp_buf_reset(body);
	if (io->ops->bucket_info == NULL)
		return rp_err_set(err, RP_E_USAGE, "store check needs an object store (s3://)");
	return io->ops->bucket_info(io->self, what, collect_sink, body, err);
}

static rp_code job_store_check(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_buf body, out;
	rp_code code = RP_OK;
	char *mem = malloc(RP_MAX_STORE_PAGE_BYTES + 1);
	rp_buf_init(&body, RP_MAX_STORE_PAGE_BYTES);
	rp_buf_init(&out, 4096);
	if (mem == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory");
		goto bad;
	}
	rp_s3xml_arena arena;
	rp_s3xml_versioning v;
	rp_s3xml_object_lock lock;
	/* A signed request on the bucket proves the credentials and the
	 * bucket at once (403 and 404 NoSuchBucket fail here). */
	if (bucket_xml(io, RP_BUCKET_VERSIONING, &body, err) != 0)
		goto bad;
	rp_s3xml_arena_init(&arena, mem, RP_MAX_STORE_PAGE_BYTES + 1);
	if (rp_s3xml_parse_versioning(body.data != NULL ? body.data : (const uint8_t *)"", body.len, &arena, &v,
				      err) != 0) {
		rp_err_wrap(err, "store check: versioning answer of %s", job->store_uri);
		goto bad;
	}
	memset(&lock, 0, sizeof lock);
	rp_err lerr;
	rp_err_clear(&lerr);
	if (bucket_xml(io, RP_BUCKET_OBJECT_LOCK, &body, &lerr) != 0) {
		if (lerr.code != RP_E_NOTFOUND) {
			*err = lerr;
			goto bad;
		}
	} else {
		rp_s3xml_arena_init(&arena, mem, RP_MAX_STORE_PAGE_BYTES + 1);
		if (rp_s3xml_parse_object_lock(body.data != NULL ? body.data : (const uint8_t *)"", body.len,
					       &arena, &lock, err) != 0) {
			rp_err_wrap(err, "store check: object lock answer of %s", job->store_uri);
			goto bad;
		}
	}
	const char *vs = v == RP_S3XML_VERSIONING_ENABLED     ? "enabled"
			 : v == RP_S3XML_VERSIONING_SUSPENDED ? "suspended"
							      : "not enabled";
	if (rp_buf_printf(&out, err, "bucket: reachable, credentials accepted\nversioning: %s\n", vs) != 0)
		goto bad;
	int rc;
	if (!lock.enabled)
		rc = rp_buf_printf(&out, err, "object lock: not enabled\n");
	else if (lock.mode == RP_S3XML_LOCK_NONE)
		rc = rp_buf_printf(&out, err, "object lock: enabled, no default retention\n");
	else
		rc = rp_buf_printf(&out, err, "object lock: enabled, default retention %s %u %s\n",
				   lock.mode == RP_S3XML_LOCK_COMPLIANCE ? "COMPLIANCE" : "GOVERNANCE",
				   (unsigned)(lock.days != 0 ? lock.days : lock.years),
				   lock.days != 0 ? (lock.days == 1 ? "day" : "days")
						  : (lock.years == 1 ? "year" : "years"));
	if (rc != 0 || emit(io, 1, &out, err) != 0)
		goto bad;
	goto out;
bad:
	code = fail(err);
out:
	rp_buf_free(&body);
	rp_buf_free(&out);
	free(mem);
	return code;
}

static rp_code job_jcs(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_buf in, out;
	rp_code code = RP_OK;
	rp_buf_init(&in, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	rp_jcs_mode mode = (job->flags & RP_JOB_F_RFC8785) ? RP_JCS_RFC8785 : RP_JCS_SERDE;
	if (rp_io_slurp(io, RP_ROOT_FILE, "", RP_MAX_ARTIFACT_BYTES, &in, err) != 0 ||
	    jcs_canonicalize(in.data, in.len, mode, &out, err) != 0 || emit(io, 1, &out, err) != 0)
		code = fail(err);
	rp_buf_free(&in);
	rp_buf_free(&out);
	return code;
}

rp_code child_job_main(const rp_job *job, const rp_io *io, rp_err *err)
{
	rp_err_clear(err);
	switch ((rp_job_kind)job->kind) {
	case RP_JOB_VERIFY: return job_verify(job, io, err);
	case RP_JOB_PACK: return job_pack(job, io, err);
	case RP_JOB_EXPORT: return job_export(job, io, err);
	case RP_JOB_FETCH: return job_fetch(job, io, err);
	case RP_JOB_LS: return job_ls(job, io, err);
	case RP_JOB_JCS: return job_jcs(job, io, err);
	case RP_JOB_STORE_CHECK: return job_store_check(job, io, err);
	case RP_JOB_SELFTEST_SYSCALL: break;
	}
	rp_err_set(err, RP_E_PROTO, "job kind %u is not runnable", job->kind);
	return RP_E_PROTO;
}
