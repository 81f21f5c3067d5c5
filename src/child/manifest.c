/*
 * manifest.c - typed parse and canonical build of RunpackManifest v1.
 *
 * Security posture: CONFINED-CHILD code over untrusted manifest bytes.
 * Counts are bounded; every field is type-checked before use; building
 * uses the arena (bounded) and the JCS writer.
 */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/sha256.h"
#include "jcs.h"
#include "typed.h"

static int str_field(const jv *obj, const char *key, rp_str *out, rp_err *err)
{
	return ty_req_string(obj, key, &out->s, &out->len, err);
}

static int digest_field(const jv *obj, const char *key, rp_str *out, rp_err *err)
{
	const jv *v;
	if (ty_field(obj, key, 1, &v, err) != 0)
		return -1;
	return ty_digest(v, &out->s, &out->len, err);
}

static void *arena_array(rp_manifest *m, size_t n, size_t elem, rp_err *err)
{
	if (n == 0)
		n = 1;
	return jv_arena_alloc(&m->arena, n * elem, err);
}

static int parse_entries_limit(const jv *arr, const char *field, rp_err *err)
{
	if (arr->u.arr.n > RP_MAX_MANIFEST_ENTRIES) {
		rp_err_set(err, RP_E_LIMIT, "%s has %zu entries (limit %d)", field, arr->u.arr.n,
			   RP_MAX_MANIFEST_ENTRIES);
		return ty_at(arr, err);
	}
	return 0;
}

static int parse_integrity(rp_manifest *m, const jv *integ, rp_err *err)
{
	const jv *fh;
	if (ty_object(integ, "struct RunpackIntegrity", err) != 0)
		return -1;
	if (ty_field(integ, "file_hashes", 1, &fh, err) != 0 || ty_array(fh, "a sequence", err) != 0)
		return -1;
	if (parse_entries_limit(fh, "integrity.file_hashes", err) != 0)
		return -1;
	m->files = arena_array(m, fh->u.arr.n, sizeof *m->files, err);
	if (m->files == NULL)
		return -1;
	for (size_t i = 0; i < fh->u.arr.n; i++) {
		const jv *e = fh->u.arr.items[i];
		if (ty_object(e, "struct FileHashEntry", err) != 0 ||
		    digest_field(e, "hash", &m->files[i].hash, err) != 0 ||
		    str_field(e, "path", &m->files[i].path, err) != 0)
			return -1;
	}
	m->n_files = fh->u.arr.n;
	return digest_field(integ, "root_hash", &m->root_hash, err);
}

static int parse_artifacts(rp_manifest *m, const jv *arr, rp_err *err)
{
	static const char *const kinds[] = {"scenario_spec",  "trigger_log",   "gate_eval_log",
					    "decision_log",   "packet_log",    "dispatch_log",
					    "evidence_log",   "submission_log", "tool_transcript",
					    "verifier_report", "custom",        NULL};
	if (ty_array(arr, "a sequence", err) != 0 || parse_entries_limit(arr, "artifacts", err) != 0)
		return -1;
	m->artifacts = arena_array(m, arr->u.arr.n, sizeof *m->artifacts, err);
	if (m->artifacts == NULL)
		return -1;
	for (size_t i = 0; i < arr->u.arr.n; i++) {
		const jv *e = arr->u.arr.items[i], *f;
		rp_artifact_rec *a = &m->artifacts[i];
		int present, idx;
		if (ty_object(e, "struct ArtifactRecord", err) != 0 ||
		    str_field(e, "artifact_id", &a->artifact_id, err) != 0)
			return -1;
		if (ty_opt_string(e, "content_type", &a->content_type.s, &a->content_type.len, &present, err))
			return -1;
		if (!present)
			a->content_type.s = NULL;
		if (digest_field(e, "hash", &a->hash, err) != 0)
			return -1;
		if (ty_field(e, "kind", 1, &f, err) != 0 || ty_variant(f, kinds, &idx, err) != 0)
			return -1;
		a->kind.s = f->u.str.s;
		a->kind.len = f->u.str.len;
		if (str_field(e, "path", &a->path, err) != 0)
			return -1;
		if (ty_field(e, "required", 1, &f, err) != 0 || ty_bool(f, &a->required, err) != 0)
			return -1;
	}
	m->n_artifacts = arr->u.arr.n;
	return 0;
}

static int is_space_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_blank(rp_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!is_space_byte(s.s[i]))
			return 0;
	return 1;
}

/* Reads {"providers":[...]} as serde would (providers defaults to []). */
static int parse_providers(rp_manifest *m, const jv *pol, int normalise, rp_err *err)
{
	const jv *prov;
	if (ty_object(pol, "struct EvidenceAnchorPolicy", err) != 0)
		return -1;
	if (ty_field(pol, "providers", 0, &prov, err) != 0)
		return -1;
	m->has_anchor_policy = 1;
	m->n_providers = 0;
	if (prov == NULL)
		return 0;
	if (ty_array(prov, "a sequence", err) != 0 || parse_entries_limit(prov, "anchor_policy.providers", err))
		return -1;
	m->providers = arena_array(m, prov->u.arr.n, sizeof *m->providers, err);
	if (m->providers == NULL)
		return -1;
	for (size_t i = 0; i < prov->u.arr.n; i++) {
		const jv *p = prov->u.arr.items[i], *req, *fields;
		rp_anchor_provider *ap = &m->providers[i];
		if (ty_object(p, "struct ProviderAnchorPolicy", err) != 0 ||
		    str_field(p, "provider_id", &ap->provider_id, err) != 0)
			return -1;
		if (ty_field(p, "requirement", 1, &req, err) != 0 ||
		    ty_object(req, "struct AnchorRequirement", err) != 0 ||
		    str_field(req, "anchor_type", &ap->anchor_type, err) != 0)
			return -1;
		if (ty_field(req, "required_fields", 1, &fields, err) != 0 ||
		    ty_array(fields, "a sequence", err) != 0 ||
		    parse_entries_limit(fields, "required_fields", err) != 0)
			return -1;
		ap->required_fields = arena_array(m, fields->u.arr.n, sizeof(rp_str), err);
		if (ap->required_fields == NULL)
			return -1;
		ap->n_required = 0;
		for (size_t j = 0; j < fields->u.arr.n; j++) {
			rp_str s;
			if (ty_string(fields->u.arr.items[j], &s.s, &s.len, err) != 0)
				return -1;
			ap->required_fields[ap->n_required++] = s;
		}
		if (normalise) {
			/* Decision Gate's config rules (spec §3.1): ids must be set
			 * and written trimmed; anchor types must not be blank. */
			if (is_blank(ap->provider_id))
				return rp_err_set(err, RP_E_FORMAT, "anchor policy provider %zu: provider_id must be set", i);
			if (is_space_byte(ap->provider_id.s[0]) ||
			    is_space_byte(ap->provider_id.s[ap->provider_id.len - 1]))
				return rp_err_set(err, RP_E_FORMAT, "anchor policy provider %zu: provider_id must be trimmed", i);
			if (is_blank(ap->anchor_type))
				return rp_err_set(err, RP_E_FORMAT, "anchor policy provider %.*s: anchor_type must be set",
						  (int)ap->provider_id.len, ap->provider_id.s);
			size_t k = 0;
			for (size_t j = 0; j < ap->n_required; j++) {
				rp_str s = ap->required_fields[j];
				while (s.len > 0 && is_space_byte(s.s[0]))
					s.s++, s.len--;
				while (s.len > 0 && is_space_byte(s.s[s.len - 1]))
					s.len--;
				if (s.len > 0)
					ap->required_fields[k++] = s;
			}
			/* insertion sort by bytes, then drop duplicates: lists are small */
			for (size_t a = 1; a < k; a++) {
				rp_str x = ap->required_fields[a];
				size_t b = a;
				while (b > 0) {
					rp_str y = ap->required_fields[b - 1];
					size_t mn = x.len < y.len ? x.len : y.len;
					int c = memcmp(y.s, x.s, mn);
					if (c < 0 || (c == 0 && y.len <= x.len))
						break;
					ap->required_fields[b] = y;
					b--;
				}
				ap->required_fields[b] = x;
			}
			size_t u = 0;
			for (size_t a = 0; a < k; a++) {
				if (u > 0 && ap->required_fields[u - 1].len == ap->required_fields[a].len &&
				    memcmp(ap->required_fields[u - 1].s, ap->required_fields[a].s,
					   ap->required_fields[a].len) == 0)
					continue;
				ap->required_fields[u++] = ap->required_fields[a];
			}
			ap->n_required = u;
			if (u == 0)
				return rp_err_set(err, RP_E_FORMAT,
						  "anchor policy provider %.*s: required_fields must not be empty",
						  (int)ap->provider_id.len, ap->provider_id.s);
			for (size_t j = 0; j < i; j++)
				if (m->providers[j].provider_id.len == ap->provider_id.len &&
				    memcmp(m->providers[j].provider_id.s, ap->provider_id.s, ap->provider_id.len) == 0)
					return rp_err_set(err, RP_E_FORMAT, "anchor policy: duplicate provider_id %.*s",
							  (int)ap->provider_id.len, ap->provider_id.s);
		}
		m->n_providers++;
	}
	return 0;
}

int rp_manifest_parse(rp_manifest *m, const uint8_t *text, size_t len, rp_err *err)
{
	static const char *const modes[] = {"offline_strict", "offline_with_fetch", NULL};
	memset(m, 0, sizeof *m);
	jv_arena_init(&m->arena, RP_MAX_JSON_ARENA_BYTES);
	const jv *root = jv_parse(&m->arena, text, len, err);
	const jv *f;
	int idx;
	if (root == NULL)
		return -1;
	if (ty_object(root, "struct RunpackManifest", err) != 0)
		return -1;
	if (str_field(root, "manifest_version", &m->manifest_version, err) != 0)
		return -1;
	if (ty_field(root, "generated_at", 1, &f, err) != 0 ||
	    ty_timestamp(f, &m->ts_kind, &m->ts_logical, &m->ts_millis, err) != 0)
		return -1;
	if (str_field(root, "scenario_id", &m->scenario_id, err) != 0)
		return -1;
	if (ty_field(root, "tenant_id", 1, &f, err) != 0 || ty_nonzero_u64(f, &m->tenant_id, err) != 0)
		return -1;
	if (ty_field(root, "namespace_id", 1, &f, err) != 0 || ty_nonzero_u64(f, &m->namespace_id, err) != 0)
		return -1;
	if (str_field(root, "run_id", &m->run_id, err) != 0 || digest_field(root, "spec_hash", &m->spec_hash, err))
		return -1;
	static const char *const algs[] = {"sha256", NULL};
	if (ty_field(root, "hash_algorithm", 1, &f, err) != 0 || ty_variant(f, algs, &idx, err) != 0)
		return -1;
	if (ty_field(root, "verifier_mode", 1, &f, err) != 0 || ty_variant(f, modes, &m->verifier_mode, err))
		return -1;
	if (ty_field(root, "anchor_policy", 0, &f, err) != 0)
		return -1;
	if (f != NULL && parse_providers(m, f, 0, err) != 0)
		return -1;
	if (ty_field(root, "security", 0, &f, err) != 0)
		return -1;
	if (f != NULL) {
		const jv *d;
		if (ty_object(f, "struct RunpackSecurityContext", err) != 0 ||
		    ty_field(f, "dev_permissive", 1, &d, err) != 0 || ty_bool(d, &m->dev_permissive, err) != 0 ||
		    str_field(f, "namespace_authority", &m->namespace_authority, err) != 0)
			return -1;
		m->has_security = 1;
	}
	if (ty_field(root, "integrity", 1, &f, err) != 0 || parse_integrity(m, f, err) != 0)
		return -1;
	if (ty_field(root, "artifacts", 1, &f, err) != 0 || parse_artifacts(m, f, err) != 0)
		return -1;
	return 0;
}

void rp_manifest_free(rp_manifest *m)
{
	jv_arena_free(&m->arena);
}

int rp_anchor_policy_parse(rp_manifest *m, const uint8_t *text, size_t len, rp_err *err)
{
	const jv *root = jv_parse(&m->arena, text, len, err);
	if (root == NULL)
		return -1;
	if (parse_providers(m, root, 1, err) != 0)
		return -1;
	if (m->n_providers == 0)
		m->has_anchor_policy = 0; /* the builder omits an empty policy */
	return 0;
}

static int put_digest(rp_buf *out, rp_str hex, rp_err *err)
{
	if (rp_buf_puts(out, "{\"algorithm\":\"sha256\",\"value\":", err) != 0 ||
	    jcs_write_string(hex.s, hex.len, out, err) != 0)
		return -1;
	return rp_buf_putc(out, '}', err);
}

static int put_key(rp_buf *out, const char *k, int first, rp_err *err)
{
	if (!first && rp_buf_putc(out, ',', err) != 0)
		return -1;
	if (rp_buf_putc(out, '"', err) || rp_buf_puts(out, k, err) || rp_buf_puts(out, "\":", err))
		return -1;
	return 0;
}

static int put_str(rp_buf *out, rp_str s, rp_err *err)
{
	return jcs_write_string(s.s, s.len, out, err);
}

int rp_manifest_file_hashes_jcs(const rp_manifest *m, rp_buf *out, rp_err *err)
{
	/* Keys are fixed ASCII, so writing them in sorted order by hand is the
	 * JCS form in both canonicalization modes. */
	if (rp_buf_putc(out, '[', err) != 0)
		return -1;
	for (size_t i = 0; i < m->n_files; i++) {
		if (i > 0 && rp_buf_putc(out, ',', err) != 0)
			return -1;
		if (rp_buf_puts(out, "{\"hash\":", err) || put_digest(out, m->files[i].hash, err) ||
		    rp_buf_puts(out, ",\"path\":", err) || put_str(out, m->files[i].path, err) ||
		    rp_buf_putc(out, '}', err))
			return -1;
	}
	return rp_buf_putc(out, ']', err);
}

int rp_manifest_root_hash(const rp_manifest *m, char hex[65], rp_err *err)
{
	rp_buf b;
	rp_buf_init(&b, (size_t)RP_MAX_ARTIFACT_BYTES);
	if (rp_manifest_file_hashes_jcs(m, &b, err) != 0) {
		rp_buf_free(&b);
		return -1;
	}
	rp_sha256_hex(b.data, b.len, hex);
	rp_buf_free(&b);
	return 0;
}

static int put_u64(rp_buf *out, uint64_t v, rp_err *err)
{
	return rp_buf_printf(out, err, "%llu", (unsigned long long)v);
}

int rp_manifest_write_jcs(const rp_manifest *m, rp_buf *out, rp_err *err)
{
	static const char *const modes[] = {"offline_strict", "offline_with_fetch"};
	int first = 1;
	if (rp_buf_putc(out, '{', err) != 0)
		return -1;
	if (m->has_anchor_policy && m->n_providers > 0) {
		if (put_key(out, "anchor_policy", first, err) || rp_buf_puts(out, "{\"providers\":[", err))
			return -1;
		for (size_t i = 0; i < m->n_providers; i++) {
			const rp_anchor_provider *p = &m->providers[i];
			if ((i > 0 && rp_buf_putc(out, ',', err)) || rp_buf_puts(out, "{\"provider_id\":", err) ||
			    put_str(out, p->provider_id, err) ||
			    rp_buf_puts(out, ",\"requirement\":{\"anchor_type\":", err) ||
			    put_str(out, p->anchor_type, err) || rp_buf_puts(out, ",\"required_fields\":[", err))
				return -1;
			for (size_t j = 0; j < p->n_required; j++)
				if ((j > 0 && rp_buf_putc(out, ',', err)) || put_str(out, p->required_fields[j], err))
					return -1;
			if (rp_buf_puts(out, "]}}", err))
				return -1;
		}
		if (rp_buf_puts(out, "]}", err))
			return -1;
		first = 0;
	}
	if (put_key(out, "artifacts", first, err) || rp_buf_putc(out, '[', err))
		return -1;
	for (size_t i = 0; i < m->n_artifacts; i++) {
		const rp_artifact_rec *a = &m->artifacts[i];
		if ((i > 0 && rp_buf_putc(out, ',', err)) || rp_buf_puts(out, "{\"artifact_id\":", err) ||
		    put_str(out, a->artifact_id, err) || rp_buf_puts(out, ",\"content_type\":", err))
			return -1;
		if (a->content_type.s == NULL ? rp_buf_puts(out, "null", err) : put_str(out, a->content_type, err))
			return -1;
		if (rp_buf_puts(out, ",\"hash\":", err) || put_digest(out, a->hash, err) ||
		    rp_buf_puts(out, ",\"kind\":", err) || put_str(out, a->kind, err) ||
		    rp_buf_puts(out, ",\"path\":", err) || put_str(out, a->path, err) ||
		    rp_buf_puts(out, a->required ? ",\"required\":true}" : ",\"required\":false}", err))
			return -1;
	}
	if (rp_buf_putc(out, ']', err) || put_key(out, "generated_at", 0, err))
		return -1;
	if (m->ts_kind == 0) {
		if (rp_buf_puts(out, "{\"kind\":\"logical\",\"value\":", err) || put_u64(out, m->ts_logical, err))
			return -1;
	} else {
		if (rp_buf_puts(out, "{\"kind\":\"unix_millis\",\"value\":", err) ||
		    rp_buf_printf(out, err, "%lld", (long long)m->ts_millis))
			return -1;
	}
	if (rp_buf_puts(out, "},\"hash_algorithm\":\"sha256\",\"integrity\":{\"file_hashes\":", err) ||
	    rp_manifest_file_hashes_jcs(m, out, err) || rp_buf_puts(out, ",\"root_hash\":", err) ||
	    put_digest(out, m->root_hash, err) || rp_buf_putc(out, '}', err))
		return -1;
	if (put_key(out, "manifest_version", 0, err) || put_str(out, m->manifest_version, err) ||
	    put_key(out, "namespace_id", 0, err) || put_u64(out, m->namespace_id, err) ||
	    put_key(out, "run_id", 0, err) || put_str(out, m->run_id, err) ||
	    put_key(out, "scenario_id", 0, err) || put_str(out, m->scenario_id, err))
		return -1;
	if (m->has_security) {
		if (put_key(out, "security", 0, err) ||
		    rp_buf_puts(out, m->dev_permissive ? "{\"dev_permissive\":true" : "{\"dev_permissive\":false",
				err) ||
		    rp_buf_puts(out, ",\"namespace_authority\":", err) || put_str(out, m->namespace_authority, err) ||
		    rp_buf_putc(out, '}', err))
			return -1;
	}
	if (put_key(out, "spec_hash", 0, err) || put_digest(out, m->spec_hash, err) ||
	    put_key(out, "tenant_id", 0, err) || put_u64(out, m->tenant_id, err) ||
	    put_key(out, "verifier_mode", 0, err) ||
	    rp_buf_printf(out, err, "\"%s\"", modes[m->verifier_mode ? 1 : 0]))
		return -1;
	return rp_buf_putc(out, '}', err);
}
