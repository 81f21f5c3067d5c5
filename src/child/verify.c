/*
 * verify.c - offline runpack verification (spec §9) and rpvault's strict
 * checks, over an rp_io reader.
 *
 * Why this order: Decision Gate's errors come first and verbatim (file
 * loop, root hash, decision log, anchors) so reports stay comparable with
 * the reference verifier; rpvault's stricter findings follow.
 * Security posture: CONFINED-CHILD code. Untrusted paths are checked
 * before the reader sees them (the broker checks again); artifact bytes
 * are streamed into SHA-256; parsed logs are bounded by the 16 MiB cap and
 * the JSON arena budget. Paths in messages are made printable.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/keys.h"
#include "../common/limits.h"
#include "../common/path.h"
#include "../common/sha256.h"
#include "typed.h"

static const char *const standard_paths[] = {
	"artifacts/scenario_spec.json", "artifacts/triggers.json",    "artifacts/gate_evals.json",
	"artifacts/decisions.json",     "artifacts/packets.json",     "artifacts/submissions.json",
	"artifacts/tool_calls.json",    NULL};

#define SPEC_PATH "artifacts/scenario_spec.json"
#define DECISIONS_PATH "artifacts/decisions.json"
#define GATE_EVALS_PATH "artifacts/gate_evals.json"

void rp_report_init(rp_report *r)
{
	memset(r, 0, sizeof *r);
}

void rp_report_free(rp_report *r)
{
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i]);
	free(r->errors);
	memset(r, 0, sizeof *r);
}

int rp_report_add(rp_report *r, rp_err *err, const char *fmt, ...)
{
	char tmp[RP_ERR_MSG_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return rp_err_set(err, RP_E_INTERNAL, "formatting a report error failed");
	if (r->n_errors >= RP_REPORT_MAX_ERRORS) {
		r->dropped++;
		return 0;
	}
	if (r->n_errors == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		char **p = realloc(r->errors, ncap * sizeof *p);
		if (p == NULL)
			return rp_err_set(err, RP_E_NOMEM, "out of memory growing the report");
		r->errors = p;
		r->cap = ncap;
	}
	/* Reports are JSON: a message truncated inside a UTF-8 sequence, or
	 * carrying untrusted bytes, must still be valid UTF-8. */
	char clean[sizeof tmp + 8];
	rp_utf8_clean(tmp, strlen(tmp), clean, sizeof clean);
	char *s = strdup(clean);
	if (s == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory adding a report error");
	r->errors[r->n_errors++] = s;
	return 0;
}

int rp_report_pass(const rp_report *r)
{
	return r->n_errors == 0 && r->dropped == 0;
}

/* Failures that mean "could not run" rather than "the runpack is bad". */
static int is_fatal(rp_code c)
{
	return c == RP_E_IO || c == RP_E_STORE || c == RP_E_NOMEM || c == RP_E_SANDBOX || c == RP_E_PROTO ||
	       c == RP_E_INTERNAL;
}

static char *shown(const rp_str *s, char *buf, size_t n)
{
	return rp_printable(s->s, s->len, buf, n);
}

static int same(const rp_str *a, const char *b)
{
	return a->len == strlen(b) && memcmp(a->s, b, a->len) == 0;
}

static int same2(const rp_str *a, const rp_str *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

struct hash_sink {
	rp_sha256 ctx;
};

static int hash_sink_fn(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	(void)err;
	rp_sha256_update(&((struct hash_sink *)ctx)->ctx, p, n);
	return 0;
}

/* Reads a fixed-path log, reporting "<what> read failed: <reader error>".
 * Returns 1 when read, 0 when an error was reported, -1 when fatal. */
static int read_log(const rp_io *io, rp_root root, const char *path, const char *what, rp_buf *out,
		    rp_report *rep, rp_err *err)
{
	rp_err rerr;
	rp_err_clear(&rerr);
	if (rp_io_slurp(io, root, path, RP_MAX_ARTIFACT_BYTES, out, &rerr) != 0) {
		if (is_fatal(rerr.code)) {
			*err = rerr;
			return -1;
		}
		if (rp_report_add(rep, err, "%s read failed: %s", what, rerr.msg) != 0)
			return -1;
		return 0;
	}
	return 1;
}

static int check_decisions(const rp_io *io, rp_root root, rp_report *rep, rp_err *err)
{
	rp_buf text;
	jv_arena arena;
	rp_err perr;
	int rc = 0;
	rp_buf_init(&text, (size_t)RP_MAX_ARTIFACT_BYTES);
	jv_arena_init(&arena, RP_MAX_JSON_ARENA_BYTES);
	rp_err_clear(&perr);
	int got = read_log(io, root, DECISIONS_PATH, "decision log", &text, rep, err);
	if (got <= 0) {
		rc = got;
		goto out;
	}
	const jv *v = jv_parse(&arena, text.data, text.len, &perr);
	if (v != NULL && v->type != JV_ARRAY) {
		rp_err_set(&perr, RP_E_FORMAT, "invalid type: %s, expected a sequence", ty_kind_name(v));
		ty_at(v, &perr);
		v = NULL;
	}
	for (size_t i = 0; v != NULL && i < v->u.arr.n; i++) {
		if (ty_check_decision_record(v->u.arr.items[i], &perr) != 0)
			v = NULL;
	}
	if (v == NULL) {
		if (perr.code == RP_E_NOMEM) {
			*err = perr;
			rc = -1;
		} else {
			rc = rp_report_add(rep, err, "invalid decision log: %s", perr.msg);
		}
		goto out;
	}
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const jv *ti = jv_get(v->u.arr.items[i], "trigger_id", NULL);
		for (size_t j = 0; j < i; j++) {
			const jv *tj = jv_get(v->u.arr.items[j], "trigger_id", NULL);
			if (ti->u.str.len == tj->u.str.len && memcmp(ti->u.str.s, tj->u.str.s, ti->u.str.len) == 0) {
				char b[512];
				rc = rp_report_add(rep, err, "duplicate decision for trigger %s",
						   rp_printable(ti->u.str.s, ti->u.str.len, b, sizeof b));
				goto out;
			}
		}
	}
out:
	jv_arena_free(&arena);
	rp_buf_free(&text);
	return rc;
}

/* The anchor check's validate(): returns NULL when the evidence passes. */
static const char *anchor_validate(const rp_anchor_provider *req, const jv *result, char *msg, size_t msgsz)
{
	const jv *anchor = jv_get(result, "evidence_anchor", NULL);
	if (anchor == NULL || anchor->type == JV_NULL)
		return "missing evidence_anchor";
	const jv *atype = jv_get(anchor, "anchor_type", NULL);
	const jv *aval = jv_get(anchor, "anchor_value", NULL);
	char a[300], b[300];
	if (!same2(&req->anchor_type, &(rp_str){atype->u.str.s, atype->u.str.len})) {
		(void)snprintf(msg, msgsz, "anchor_type mismatch: expected %s got %s",
			       rp_printable(req->anchor_type.s, req->anchor_type.len, a, sizeof a),
			       rp_printable(atype->u.str.s, atype->u.str.len, b, sizeof b));
		return msg;
	}
	jv_arena arena;
	rp_err perr;
	jv_arena_init(&arena, RP_MAX_JSON_ARENA_BYTES);
	const jv *obj = jv_parse(&arena, (const uint8_t *)aval->u.str.s, aval->u.str.len, &perr);
	const char *res = NULL;
	if (obj == NULL) {
		res = "anchor_value must be canonical JSON";
	} else if (obj->type != JV_OBJECT) {
		res = "anchor_value must be a JSON object";
	} else {
		for (size_t i = 0; i < req->n_required && res == NULL; i++) {
			const rp_str *f = &req->required_fields[i];
			const jv *fv = NULL;
			for (size_t k = 0; k < obj->u.obj.n; k++)
				if (obj->u.obj.m[k].key_len == f->len && memcmp(obj->u.obj.m[k].key, f->s, f->len) == 0)
					fv = obj->u.obj.m[k].val;
			const char *why = NULL;
			if (fv == NULL)
				why = "missing";
			else if (fv->type == JV_NULL)
				why = "must be set";
			else if (fv->type == JV_TRUE || fv->type == JV_FALSE)
				why = "must be string or number";
			else if (fv->type == JV_ARRAY || fv->type == JV_OBJECT)
				why = "must be scalar";
			if (why != NULL) {
				(void)snprintf(msg, msgsz, "anchor field %s %s", rp_printable(f->s, f->len, a, sizeof a), why);
				res = msg;
			}
		}
	}
	jv_arena_free(&arena);
	return res;
}

static int check_spec_shape(const jv *spec, rp_err *err)
{
	const jv *f;
	const char *s;
	size_t n;
	uint64_t u;
	if (ty_object(spec, "struct ScenarioSpec", err) || ty_req_string(spec, "scenario_id", &s, &n, err))
		return -1;
	if (ty_field(spec, "namespace_id", 1, &f, err) || ty_nonzero_u64(f, &u, err))
		return -1;
	if (ty_req_string(spec, "spec_version", &s, &n, err))
		return -1;
	if (ty_field(spec, "stages", 1, &f, err) || ty_array(f, "a sequence", err))
		return -1;
	if (ty_field(spec, "conditions", 1, &f, err) || ty_array(f, "a sequence", err))
		return -1;
	for (size_t i = 0; i < f->u.arr.n; i++) {
		const jv *c = f->u.arr.items[i], *q;
		if (ty_object(c, "struct ConditionSpec", err) || ty_req_string(c, "condition_id", &s, &n, err))
			return -1;
		if (ty_field(c, "query", 1, &q, err) || ty_object(q, "struct EvidenceQuery", err) ||
		    ty_req_string(q, "provider_id", &s, &n, err) || ty_req_string(q, "check_id", &s, &n, err))
			return -1;
	}
	return 0;
}

static int check_gate_evals_shape(const jv *log, rp_err *err)
{
	static const char *const tri[] = {"True", "False", "Unknown", NULL};
	const char *s;
	size_t n;
	int idx;
	if (ty_array(log, "a sequence", err))
		return -1;
	for (size_t i = 0; i < log->u.arr.n; i++) {
		const jv *r = log->u.arr.items[i], *ev, *evl;
		if (ty_object(r, "struct GateEvalRecord", err) || ty_field(r, "evaluation", 1, &ev, err) ||
		    ty_object(ev, "struct GateEvaluation", err) || ty_req_string(ev, "gate_id", &s, &n, err))
			return -1;
		if (ty_req_string(r, "stage_id", &s, &n, err) || ty_req_string(r, "trigger_id", &s, &n, err))
			return -1;
		if (ty_field(r, "evidence", 1, &evl, err) || ty_array(evl, "a sequence", err))
			return -1;
		for (size_t j = 0; j < evl->u.arr.n; j++) {
			const jv *e = evl->u.arr.items[j], *res, *st, *anc;
			if (ty_object(e, "struct EvidenceRecord", err) || ty_req_string(e, "condition_id", &s, &n, err))
				return -1;
			if (ty_field(e, "status", 1, &st, err) || ty_variant(st, tri, &idx, err))
				return -1;
			if (ty_field(e, "result", 1, &res, err) || ty_object(res, "struct EvidenceResult", err))
				return -1;
			if (ty_field(res, "evidence_anchor", 0, &anc, err))
				return -1;
			if (anc != NULL && (ty_object(anc, "struct EvidenceAnchor", err) ||
					    ty_req_string(anc, "anchor_type", &s, &n, err) ||
					    ty_req_string(anc, "anchor_value", &s, &n, err)))
				return -1;
			const jv *er;
			if (ty_field(res, "error", 0, &er, err))
				return -1;
			if (er != NULL && (ty_object(er, "struct EvidenceError", err) ||
					   ty_req_string(er, "code", &s, &n, err) ||
					   ty_req_string(er, "message", &s, &n, err)))
				return -1;
		}
	}
	return 0;
}

static int check_anchors(const rp_io *io, rp_root root, const rp_manifest *m, rp_report *rep, rp_err *err)
{
	rp_buf text;
	jv_arena sa, ga;
	rp_err perr;
	int rc = 0;
	rp_buf_init(&text, (size_t)RP_MAX_ARTIFACT_BYTES);
	jv_arena_init(&sa, RP_MAX_JSON_ARENA_BYTES);
	jv_arena_init(&ga, RP_MAX_JSON_ARENA_BYTES);
	rp_err_clear(&perr);
	int got = read_log(io, root, SPEC_PATH, "scenario spec", &text, rep, err);
	if (got <= 0) {
		rc = got;
		goto out;
	}
	const jv *spec = jv_parse(&sa, text.data, text.len, &perr);
	if (spec == NULL || check_spec_shape(spec, &perr) != 0) {
		rc = rp_report_add(rep, err, "invalid scenario spec: %s", perr.msg);
		goto out;
	}
	got = read_log(io, root, GATE_EVALS_PATH, "gate eval log", &text, rep, err);
	if (got <= 0) {
		rc = got;
		goto out;
	}
	const jv *log = jv_parse(&ga, text.data, text.len, &perr);
	if (log == NULL || check_gate_evals_shape(log, &perr) != 0) {
		rc = rp_report_add(rep, err, "invalid gate eval log: %s", perr.msg);
		goto out;
	}
	const jv *conds = jv_get(spec, "conditions", NULL);
	for (size_t i = 0; i < log->u.arr.n; i++) {
		const jv *rec = log->u.arr.items[i];
		const jv *tid = jv_get(rec, "trigger_id", NULL), *sid = jv_get(rec, "stage_id", NULL);
		const jv *evl = jv_get(rec, "evidence", NULL);
		char tb[300], sb[300], cb[300], mb[700];
		rp_printable(tid->u.str.s, tid->u.str.len, tb, sizeof tb);
		rp_printable(sid->u.str.s, sid->u.str.len, sb, sizeof sb);
		for (size_t j = 0; j < evl->u.arr.n; j++) {
			const jv *ev = evl->u.arr.items[j];
			const jv *res = jv_get(ev, "result", NULL), *cid = jv_get(ev, "condition_id", NULL);
			const jv *er = jv_get(res, "error", NULL);
			if (er != NULL && er->type != JV_NULL)
				continue;
			rp_printable(cid->u.str.s, cid->u.str.len, cb, sizeof cb);
			const jv *provider = NULL; /* later duplicate condition wins */
			for (size_t k = 0; k < conds->u.arr.n; k++) {
				const jv *c = conds->u.arr.items[k];
				const jv *ccid = jv_get(c, "condition_id", NULL);
				if (ccid->u.str.len == cid->u.str.len &&
				    memcmp(ccid->u.str.s, cid->u.str.s, cid->u.str.len) == 0)
					provider = jv_get(jv_get(c, "query", NULL), "provider_id", NULL);
			}
			if (provider == NULL) {
				if (rp_report_add(rep, err, "condition %s missing from scenario spec (trigger %s, stage %s)",
						  cb, tb, sb) != 0) {
					rc = -1;
					goto out;
				}
				continue;
			}
			const rp_anchor_provider *req = NULL;
			for (size_t k = 0; k < m->n_providers && req == NULL; k++)
				if (same2(&m->providers[k].provider_id, &(rp_str){provider->u.str.s, provider->u.str.len}))
					req = &m->providers[k];
			if (req == NULL)
				continue;
			const char *msg = anchor_validate(req, res, mb, sizeof mb);
			if (msg != NULL && rp_report_add(rep, err, "anchor invalid for condition %s (trigger %s, stage %s): %s",
							 cb, tb, sb, msg) != 0) {
				rc = -1;
				goto out;
			}
		}
	}
out:
	jv_arena_free(&ga);
	jv_arena_free(&sa);
	rp_buf_free(&text);
	return rc;
}

static int strict_checks(const rp_manifest *m, const char *spec_hex, const rp_verify_opts *opts, rp_report *rep,
			 rp_err *err)
{
	char a[600], b[600], c[600];
	for (size_t i = 0; i < m->n_files; i++) {
		for (size_t j = 0; j < i; j++) {
			if (same2(&m->files[i].path, &m->files[j].path)) {
				if (rp_report_add(rep, err, "duplicate path in integrity.file_hashes: %s",
						  shown(&m->files[i].path, a, sizeof a)))
					return -1;
				break;
			}
		}
	}
	for (size_t k = 0; standard_paths[k] != NULL; k++) {
		int found = 0;
		for (size_t i = 0; i < m->n_files && !found; i++)
			found = same(&m->files[i].path, standard_paths[k]);
		if (!found && rp_report_add(rep, err, "missing standard artifact: %s is not listed in integrity.file_hashes",
					    standard_paths[k]))
			return -1;
	}
	if (m->n_artifacts != m->n_files &&
	    rp_report_add(rep, err, "artifacts[] lists %zu entries but integrity.file_hashes lists %zu",
			  m->n_artifacts, m->n_files))
		return -1;
	for (size_t i = 0; i < m->n_artifacts; i++) {
		const rp_artifact_rec *ar = &m->artifacts[i];
		const rp_file_hash *fh = NULL;
		for (size_t j = 0; j < m->n_files && fh == NULL; j++)
			if (same2(&m->files[j].path, &ar->path))
				fh = &m->files[j];
		if (fh == NULL) {
			if (rp_report_add(rep, err, "artifact %s is listed in artifacts[] but not in integrity.file_hashes",
					  shown(&ar->path, a, sizeof a)))
				return -1;
		} else if (!same2(&fh->hash, &ar->hash)) {
			if (rp_report_add(rep, err, "artifact %s: artifacts[] hash %s differs from integrity.file_hashes hash %s",
					  shown(&ar->path, a, sizeof a), shown(&ar->hash, b, sizeof b),
					  shown(&fh->hash, c, sizeof c)))
				return -1;
		}
	}
	for (size_t j = 0; j < m->n_files; j++) {
		int found = 0;
		for (size_t i = 0; i < m->n_artifacts && !found; i++)
			found = same2(&m->files[j].path, &m->artifacts[i].path);
		if (!found && rp_report_add(rep, err, "file %s is listed in integrity.file_hashes but not in artifacts[]",
					    shown(&m->files[j].path, a, sizeof a)))
			return -1;
	}
	if (spec_hex[0] != '\0' && !same(&m->spec_hash, spec_hex) &&
	    rp_report_add(rep, err, "spec hash mismatch: manifest spec_hash is %s but %s hashes to %s",
			  shown(&m->spec_hash, a, sizeof a), SPEC_PATH, spec_hex))
		return -1;
	if (opts->store_prefix != NULL) {
		char prefix[RP_KEY_PREFIX_MAX + 1];
		rp_err kerr;
		if (rp_key_prefix(m->tenant_id, m->namespace_id, m->scenario_id.s, m->scenario_id.len, m->run_id.s,
				  m->run_id.len, m->spec_hash.s, m->spec_hash.len, prefix, &kerr) != 0) {
			if (rp_report_add(rep, err, "storage key: %s", kerr.msg))
				return -1;
		} else if (strcmp(prefix, opts->store_prefix) != 0) {
			if (rp_report_add(rep, err, "storage key mismatch: the manifest derives %s but the runpack is stored at %s",
					  rp_printable(prefix, strlen(prefix), a, sizeof a),
					  rp_printable(opts->store_prefix, strlen(opts->store_prefix), b, sizeof b)))
				return -1;
		}
	}
	return 0;
}

int rp_verify(const rp_io *io, rp_root root, const rp_manifest *m, const rp_verify_opts *opts, rp_report *rep,
	      rp_err *err)
{
	char spec_hex[RP_SHA256_HEX_LEN + 1] = "";
	char pbuf[600];
	if (!same(&m->manifest_version, "v1")) {
		rep->checked_files = 0;
		return rp_report_add(rep, err, "unsupported manifest version: %s",
				     shown(&m->manifest_version, pbuf, sizeof pbuf));
	}
	for (size_t i = 0; i < m->n_files; i++) {
		const rp_file_hash *f = &m->files[i];
		const char *p = shown(&f->path, pbuf, sizeof pbuf);
		rp_path_status st = rp_path_check(f->path.s, f->path.len);
		if (st != RP_PATH_OK) {
			if (rp_report_add(rep, err, "artifact read failed for %s: artifact error: %s", p, rp_path_reason(st)))
				return -1;
			continue;
		}
		struct hash_sink hs;
		rp_err rerr;
		rp_err_clear(&rerr);
		rp_sha256_init(&hs.ctx);
		if (io->ops->read(io->self, root, f->path.s, RP_MAX_ARTIFACT_BYTES, hash_sink_fn, &hs, &rerr) != 0) {
			if (is_fatal(rerr.code)) {
				*err = rerr;
				return -1;
			}
			if (rp_report_add(rep, err, "artifact read failed for %s: %s", p, rerr.msg))
				return -1;
			continue;
		}
		rep->checked_files++;
		uint8_t d[RP_SHA256_LEN];
		char hex[RP_SHA256_HEX_LEN + 1];
		rp_sha256_final(&hs.ctx, d);
		rp_hex_encode(d, sizeof d, hex);
		if (same(&f->path, SPEC_PATH))
			memcpy(spec_hex, hex, sizeof hex);
		if (!same(&f->hash, hex) && rp_report_add(rep, err, "hash mismatch for %s", p))
			return -1;
	}
	char root_hex[RP_SHA256_HEX_LEN + 1];
	if (rp_manifest_root_hash(m, root_hex, err) != 0)
		return -1;
	if (!same(&m->root_hash, root_hex) && rp_report_add(rep, err, "root hash mismatch"))
		return -1;
	if (check_decisions(io, root, rep, err) != 0)
		return -1;
	if (m->has_anchor_policy && m->n_providers > 0 && check_anchors(io, root, m, rep, err) != 0)
		return -1;
	if (opts->strict && strict_checks(m, spec_hex, opts, rep, err) != 0)
		return -1;
	return 0;
}

int rp_verify_runpack(const rp_io *io, rp_root root, const char *name, const rp_verify_opts *opts, rp_report *rep,
		      const char **used_name, rp_err *err)
{
	rp_buf text;
	rp_err rerr;
	rp_manifest m;
	int rc = 0;
	const char *tried = name != NULL ? name : "manifest.json";
	rp_buf_init(&text, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_err_clear(&rerr);
	int r = rp_io_slurp(io, root, tried, RP_MAX_ARTIFACT_BYTES, &text, &rerr);
	if (r != 0 && name == NULL && rerr.code == RP_E_NOTFOUND) {
		rp_err first = rerr;
		tried = "runpack.json";
		rp_err_clear(&rerr);
		r = rp_io_slurp(io, root, tried, RP_MAX_ARTIFACT_BYTES, &text, &rerr);
		if (r != 0 && rerr.code == RP_E_NOTFOUND) {
			/* Neither exists: report the first name and its own error. */
			tried = "manifest.json";
			rerr = first;
		}
	}
	if (used_name != NULL)
		*used_name = tried;
	if (r != 0) {
		if (is_fatal(rerr.code)) {
			*err = rerr;
			rc = -1;
		} else {
			rc = rp_report_add(rep, err, "failed to read runpack manifest %s: %s", tried, rerr.msg);
		}
		goto out;
	}
	if (rp_manifest_parse(&m, text.data, text.len, &rerr) != 0) {
		rp_manifest_free(&m);
		if (rerr.code == RP_E_NOMEM) {
			*err = rerr;
			rc = -1;
		} else {
			rc = rp_report_add(rep, err, "failed to parse runpack manifest %s: %s", tried, rerr.msg);
		}
		goto out;
	}
	rc = rp_verify(io, root, &m, opts, rep, err);
	rp_manifest_free(&m);
out:
	rp_buf_free(&text);
	return rc;
}
