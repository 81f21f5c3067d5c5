/*
 * typed.c - serde-style typed accessors (see typed.h).
 *
 * Security posture: CONFINED-CHILD code; reads only the tree the parser
 * built; bounded formatting of untrusted strings in messages.
 */
#include "typed.h"

#include <stdio.h>
#include <string.h>

#include "../common/path.h"

int ty_at(const jv *v, rp_err *err)
{
	if (err == NULL || v == NULL)
		return -1;
	size_t n = strlen(err->msg);
	if (n < sizeof err->msg)
		(void)snprintf(err->msg + n, sizeof err->msg - n, " at line %u column %u", v->line, v->col);
	return -1;
}

const char *ty_kind_name(const jv *v)
{
	switch (v->type) {
	case JV_NULL: return "null";
	case JV_FALSE:
	case JV_TRUE: return "boolean";
	case JV_NUMBER:
		return v->u.num.kind == JV_NUM_F64 ? "floating point" : "integer";
	case JV_STRING: return "string";
	case JV_ARRAY: return "sequence";
	case JV_OBJECT: return "map";
	}
	return "value";
}

static int invalid_type(const jv *v, const char *expected, rp_err *err)
{
	char shown[96];
	if (v->type == JV_STRING) {
		rp_printable(v->u.str.s, v->u.str.len, shown, sizeof shown);
		rp_err_set(err, RP_E_FORMAT, "invalid type: string \"%s\", expected %s", shown, expected);
	} else if (v->type == JV_NUMBER && v->u.num.kind == JV_NUM_U64) {
		rp_err_set(err, RP_E_FORMAT, "invalid type: integer `%llu`, expected %s",
			   (unsigned long long)v->u.num.u, expected);
	} else if (v->type == JV_NUMBER && v->u.num.kind == JV_NUM_I64) {
		rp_err_set(err, RP_E_FORMAT, "invalid type: integer `%lld`, expected %s", (long long)v->u.num.i,
			   expected);
	} else if (v->type == JV_NUMBER) {
		rp_err_set(err, RP_E_FORMAT, "invalid type: floating point `%g`, expected %s", v->u.num.d,
			   expected);
	} else if (v->type == JV_TRUE || v->type == JV_FALSE) {
		rp_err_set(err, RP_E_FORMAT, "invalid type: boolean `%s`, expected %s",
			   v->type == JV_TRUE ? "true" : "false", expected);
	} else {
		rp_err_set(err, RP_E_FORMAT, "invalid type: %s, expected %s", ty_kind_name(v), expected);
	}
	return ty_at(v, err);
}

int ty_object(const jv *v, const char *what, rp_err *err)
{
	if (v->type != JV_OBJECT)
		return invalid_type(v, what, err);
	return 0;
}

int ty_array(const jv *v, const char *what, rp_err *err)
{
	if (v->type != JV_ARRAY)
		return invalid_type(v, what, err);
	return 0;
}

int ty_field(const jv *obj, const char *key, int required, const jv **out, rp_err *err)
{
	size_t count = 0;
	const jv *v = jv_get(obj, key, &count);
	*out = NULL;
	if (count > 1) {
		/* serde reports the second occurrence; find it for the position. */
		const jv *second = NULL;
		size_t seen = 0, klen = strlen(key);
		for (size_t i = 0; i < obj->u.obj.n; i++) {
			const jv_member *m = &obj->u.obj.m[i];
			if (m->key_len == klen && memcmp(m->key, key, klen) == 0 && ++seen == 2) {
				second = m->val;
				break;
			}
		}
		rp_err_set(err, RP_E_FORMAT, "duplicate field `%s`", key);
		return ty_at(second != NULL ? second : obj, err);
	}
	if (v == NULL || v->type == JV_NULL) {
		if (required) {
			if (v != NULL && v->type == JV_NULL)
				return invalid_type(v, "a value", err);
			rp_err_set(err, RP_E_FORMAT, "missing field `%s`", key);
			return ty_at(obj, err);
		}
		return 0;
	}
	*out = v;
	return 0;
}

int ty_string(const jv *v, const char **s, size_t *len, rp_err *err)
{
	if (v->type != JV_STRING)
		return invalid_type(v, "a string", err);
	*s = v->u.str.s;
	*len = v->u.str.len;
	return 0;
}

int ty_bool(const jv *v, int *b, rp_err *err)
{
	if (v->type != JV_TRUE && v->type != JV_FALSE)
		return invalid_type(v, "a boolean", err);
	*b = v->type == JV_TRUE;
	return 0;
}

int ty_u64(const jv *v, uint64_t *u, rp_err *err)
{
	if (v->type != JV_NUMBER || v->u.num.kind != JV_NUM_U64)
		return invalid_type(v, "u64", err);
	*u = v->u.num.u;
	return 0;
}

int ty_i64(const jv *v, int64_t *i, rp_err *err)
{
	if (v->type == JV_NUMBER && v->u.num.kind == JV_NUM_I64) {
		*i = v->u.num.i;
		return 0;
	}
	if (v->type == JV_NUMBER && v->u.num.kind == JV_NUM_U64 && v->u.num.u <= (uint64_t)INT64_MAX) {
		*i = (int64_t)v->u.num.u;
		return 0;
	}
	return invalid_type(v, "i64", err);
}

int ty_nonzero_u64(const jv *v, uint64_t *u, rp_err *err)
{
	if (v->type != JV_NUMBER || v->u.num.kind != JV_NUM_U64)
		return invalid_type(v, "a nonzero u64", err);
	if (v->u.num.u == 0) {
		rp_err_set(err, RP_E_FORMAT, "invalid value: integer `0`, expected a nonzero u64");
		return ty_at(v, err);
	}
	*u = v->u.num.u;
	return 0;
}

int ty_variant(const jv *v, const char *const *variants, int *idx, rp_err *err)
{
	if (v->type != JV_STRING)
		return invalid_type(v, "a variant name", err);
	for (int i = 0; variants[i] != NULL; i++) {
		if (strlen(variants[i]) == v->u.str.len && memcmp(variants[i], v->u.str.s, v->u.str.len) == 0) {
			*idx = i;
			return 0;
		}
	}
	/* serde's wording: "`a`", "`a` or `b`", "one of `a`, `b`, `c`". */
	char shown[96], expect[256];
	size_t o = 0, count = 0;
	while (variants[count] != NULL)
		count++;
	expect[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const char *sep = i == 0 ? (count > 2 ? "one of " : "") : (count == 2 ? " or " : ", ");
		int w = snprintf(expect + o, sizeof expect - o, "%s`%s`", sep, variants[i]);
		if (w < 0 || (size_t)w >= sizeof expect - o)
			break;
		o += (size_t)w;
	}
	rp_printable(v->u.str.s, v->u.str.len, shown, sizeof shown);
	rp_err_set(err, RP_E_FORMAT, "unknown variant `%s`, expected %s", shown, expect);
	return ty_at(v, err);
}

int ty_req_string(const jv *obj, const char *key, const char **s, size_t *len, rp_err *err)
{
	const jv *v;
	if (ty_field(obj, key, 1, &v, err) != 0)
		return -1;
	return ty_string(v, s, len, err);
}

int ty_opt_string(const jv *obj, const char *key, const char **s, size_t *len, int *present,
		  rp_err *err)
{
	const jv *v;
	*present = 0;
	if (ty_field(obj, key, 0, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (ty_string(v, s, len, err) != 0)
		return -1;
	*present = 1;
	return 0;
}

int ty_timestamp(const jv *v, int *kind, uint64_t *u, int64_t *i, rp_err *err)
{
	static const char *const kinds[] = {"logical", "unix_millis", NULL};
	const jv *k, *val;
	if (ty_object(v, "adjacently tagged enum Timestamp", err) != 0)
		return -1;
	if (ty_field(v, "kind", 1, &k, err) != 0)
		return -1;
	int idx;
	if (k->type != JV_STRING)
		return invalid_type(k, "variant identifier", err);
	static const char *const order[] = {"unix_millis", "logical", NULL};
	if (ty_variant(k, kinds, &idx, err) != 0) {
		/* serde lists the variants in declaration order. */
		rp_err_clear(err);
		return ty_variant(k, order, &idx, err);
	}
	if (ty_field(v, "value", 1, &val, err) != 0)
		return -1;
	*kind = idx;
	if (idx == 0)
		return ty_u64(val, u, err);
	return ty_i64(val, i, err);
}

int ty_digest(const jv *v, const char **value, size_t *len, rp_err *err)
{
	static const char *const algs[] = {"sha256", NULL};
	const jv *a, *val;
	int idx;
	if (ty_object(v, "struct HashDigest", err) != 0)
		return -1;
	if (ty_field(v, "algorithm", 1, &a, err) != 0 || ty_variant(a, algs, &idx, err) != 0)
		return -1;
	if (ty_field(v, "value", 1, &val, err) != 0)
		return -1;
	return ty_string(val, value, len, err);
}

static int check_outcome(const jv *o, rp_err *err)
{
	static const char *const kinds[] = {"start", "complete", "advance", "hold", "fail", NULL};
	const jv *k, *f;
	const char *s;
	size_t n;
	int idx, b;
	if (ty_object(o, "internally tagged enum DecisionOutcome", err) != 0)
		return -1;
	if (ty_field(o, "kind", 0, &k, err) != 0)
		return -1;
	if (k == NULL) {
		rp_err_set(err, RP_E_FORMAT, "missing field `kind`");
		return ty_at(o, err);
	}
	if (ty_variant(k, kinds, &idx, err) != 0)
		return -1;
	switch (idx) {
	case 0:
	case 1:
		return ty_req_string(o, "stage_id", &s, &n, err);
	case 2:
		if (ty_req_string(o, "from_stage", &s, &n, err) || ty_req_string(o, "to_stage", &s, &n, err))
			return -1;
		if (ty_field(o, "timeout", 1, &f, err) != 0)
			return -1;
		return ty_bool(f, &b, err);
	case 3: {
		const jv *sum, *arr;
		if (ty_field(o, "summary", 1, &sum, err) || ty_object(sum, "struct HoldSummary", err))
			return -1;
		if (ty_req_string(sum, "status", &s, &n, err))
			return -1;
		int present;
		if (ty_opt_string(sum, "retry_hint", &s, &n, &present, err))
			return -1;
		static const char *const lists[] = {"policy_tags", "unmet_gates"};
		for (size_t i = 0; i < 2; i++) {
			if (ty_field(sum, lists[i], 1, &arr, err) || ty_array(arr, "a sequence", err))
				return -1;
			for (size_t j = 0; j < arr->u.arr.n; j++)
				if (ty_string(arr->u.arr.items[j], &s, &n, err))
					return -1;
		}
		return 0;
	}
	default:
		return ty_req_string(o, "reason", &s, &n, err);
	}
}

int ty_check_decision_record(const jv *v, rp_err *err)
{
	const jv *f;
	const char *s;
	size_t n;
	int present, kind;
	uint64_t u;
	int64_t i;
	if (ty_object(v, "struct DecisionRecord", err) != 0)
		return -1;
	if (ty_opt_string(v, "correlation_id", &s, &n, &present, err))
		return -1;
	if (ty_field(v, "decided_at", 1, &f, err) || ty_timestamp(f, &kind, &u, &i, err))
		return -1;
	if (ty_req_string(v, "decision_id", &s, &n, err))
		return -1;
	if (ty_field(v, "outcome", 1, &f, err) || check_outcome(f, err))
		return -1;
	if (ty_field(v, "seq", 1, &f, err) || ty_u64(f, &u, err))
		return -1;
	if (ty_req_string(v, "stage_id", &s, &n, err) || ty_req_string(v, "trigger_id", &s, &n, err))
		return -1;
	return 0;
}
