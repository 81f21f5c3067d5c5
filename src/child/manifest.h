/*
 * manifest.h - the runpack manifest v1, parsed (spec §3) and built (§8).
 *
 * Why: one typed view of a manifest used by the verifier, the exporter and
 * the packer; building goes through the JCS writer so the bytes are
 * Decision Gate's.
 * Security posture: CONFINED-CHILD code. The parser accepts exactly what
 * serde would (unknown keys ignored, duplicate known keys rejected) and
 * bounds entry counts by RP_MAX_MANIFEST_ENTRIES. All strings point into
 * the manifest's arena and carry explicit lengths.
 */
#ifndef RP_MANIFEST_H
#define RP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/err.h"
#include "json.h"

typedef struct rp_str {
	const char *s;
	size_t len;
} rp_str;

typedef struct rp_file_hash {
	rp_str path;
	rp_str hash; /* HashDigest.value as written (algorithm is sha256) */
} rp_file_hash;

typedef struct rp_artifact_rec {
	rp_str artifact_id;
	rp_str content_type; /* s == NULL when none */
	rp_str hash;
	rp_str kind;
	rp_str path;
	int required;
} rp_artifact_rec;

typedef struct rp_anchor_provider {
	rp_str provider_id;
	rp_str anchor_type;
	rp_str *required_fields;
	size_t n_required;
} rp_anchor_provider;

typedef struct rp_manifest {
	jv_arena arena;
	rp_str manifest_version;
	int ts_kind; /* 0 logical, 1 unix_millis */
	uint64_t ts_logical;
	int64_t ts_millis;
	rp_str scenario_id;
	uint64_t tenant_id;
	uint64_t namespace_id;
	rp_str run_id;
	rp_str spec_hash;
	int verifier_mode; /* 0 offline_strict, 1 offline_with_fetch */
	int has_anchor_policy;
	rp_anchor_provider *providers;
	size_t n_providers;
	int has_security;
	int dev_permissive;
	rp_str namespace_authority;
	rp_file_hash *files;
	size_t n_files;
	rp_str root_hash;
	rp_artifact_rec *artifacts;
	size_t n_artifacts;
} rp_manifest;

/* Parses manifest text. Errors: RP_E_JSON (syntax) or RP_E_FORMAT (shape)
 * with serde-like messages; RP_E_LIMIT past RP_MAX_MANIFEST_ENTRIES. The
 * manifest must be released with rp_manifest_free even on failure. */
int rp_manifest_parse(rp_manifest *m, const uint8_t *text, size_t len, rp_err *err);
void rp_manifest_free(rp_manifest *m);

/* Parses an EvidenceAnchorPolicy document ({"providers":[...]}) into m's
 * providers, normalising required_fields as Decision Gate's config does
 * (trimmed, empty dropped, sorted, de-duplicated) and rejecting empty ids,
 * empty anchor types, empty field lists and duplicate provider ids. */
int rp_anchor_policy_parse(rp_manifest *m, const uint8_t *text, size_t len, rp_err *err);

/* Appends JCS(file_hashes) - the bytes the root hash covers (spec §5.2). */
int rp_manifest_file_hashes_jcs(const rp_manifest *m, rp_buf *out, rp_err *err);
/* Computes the root hash hex (64 chars + NUL) over m->files. */
int rp_manifest_root_hash(const rp_manifest *m, char hex[65], rp_err *err);
/* Appends JCS(manifest) as Decision Gate writes it (spec §3.3). */
int rp_manifest_write_jcs(const rp_manifest *m, rp_buf *out, rp_err *err);

#endif
