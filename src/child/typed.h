/*
 * typed.h - serde-style typed reading of a parsed JSON tree.
 *
 * Why: Decision Gate deserializes manifests and logs into Rust structs;
 * its error texts ("missing field `run_id`", "duplicate field `x`",
 * "invalid type: string, expected u64", "unknown variant `sha512`, expected
 * `sha256`") are what users of both tools see. These helpers reproduce the
 * acceptance rules (unknown keys ignored, duplicate known keys rejected,
 * null == absent for Option fields, integers must be integer literals) and
 * the message shapes, with " at line L column C" appended.
 * Security posture: CONFINED-CHILD code over untrusted trees; no
 * allocation; every accessor checks the node type before use.
 */
#ifndef RP_TYPED_H
#define RP_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "json.h"

/* The value must be an object; else "invalid type: <kind>, expected <what>". */
int ty_object(const jv *v, const char *what, rp_err *err);
int ty_array(const jv *v, const char *what, rp_err *err);
/* Field lookup in a struct-typed object. Missing or null: *out = NULL and,
 * when required, "missing field `key`". Two members named key:
 * "duplicate field `key`". */
int ty_field(const jv *obj, const char *key, int required, const jv **out, rp_err *err);
int ty_string(const jv *v, const char **s, size_t *len, rp_err *err);
int ty_bool(const jv *v, int *b, rp_err *err);
int ty_u64(const jv *v, uint64_t *u, rp_err *err);
int ty_i64(const jv *v, int64_t *i, rp_err *err);
int ty_nonzero_u64(const jv *v, uint64_t *u, rp_err *err);
/* A string that must equal one of the NULL-terminated variants; returns
 * the index. "unknown variant `x`, expected `a` or `b`". */
int ty_variant(const jv *v, const char *const *variants, int *idx, rp_err *err);

/* Convenience: required/optional typed fields. For optional fields a
 * missing or null member leaves *present = 0. */
int ty_req_string(const jv *obj, const char *key, const char **s, size_t *len, rp_err *err);
int ty_opt_string(const jv *obj, const char *key, const char **s, size_t *len, int *present,
		  rp_err *err);

/* Timestamp {"kind":"logical"|"unix_millis","value":N}: kind 0 logical
 * (u64 in *u), 1 unix_millis (i64 in *i). */
int ty_timestamp(const jv *v, int *kind, uint64_t *u, int64_t *i, rp_err *err);
/* HashDigest {"algorithm":"sha256","value":string}. */
int ty_digest(const jv *v, const char **value, size_t *len, rp_err *err);

/* Validates a whole value of the given Decision Gate record type, for the
 * logs the verifier must deserialize. */
int ty_check_decision_record(const jv *v, rp_err *err);

/* Appends " at line L column C" of v to err->msg. Returns -1. */
int ty_at(const jv *v, rp_err *err);

const char *ty_kind_name(const jv *v);

#endif
