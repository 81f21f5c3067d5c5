/*
 * json.h - strict RFC 8259 JSON parser into an arena-allocated value tree.
 *
 * Why hand-written (docs/design/json.md): rpvault must reproduce
 * serde_json's exact acceptance rules (integers exact to u64/i64, "-0" and
 * fractions as doubles, 1e400 out of range, lone surrogates rejected,
 * depth limit as serde_json (127 nested containers), BOM rejected, duplicate keys kept so typed readers can reject
 * them) and report line/column. Debian's JSON libraries lose integer
 * precision or rewrite lone surrogates, so the trade favours ~600 lines
 * that are fuzzed here.
 * Security posture: CONFINED-CHILD code: parses untrusted bytes. Every
 * allocation comes from one arena with a hard byte budget; recursion depth
 * is bounded by RP_MAX_JSON_DEPTH; strings are validated UTF-8 and may
 * contain NUL (always use the explicit length).
 */
#ifndef RP_JSON_H
#define RP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

typedef enum jv_type {
	JV_NULL = 0,
	JV_FALSE,
	JV_TRUE,
	JV_NUMBER,
	JV_STRING,
	JV_ARRAY,
	JV_OBJECT
} jv_type;

/* How serde_json would hold the number. */
typedef enum jv_numkind {
	JV_NUM_U64 = 0, /* integer literal, 0 <= n <= 2^64-1 */
	JV_NUM_I64,     /* negative integer literal, >= -2^63 */
	JV_NUM_F64      /* anything with . e E, "-0", or out of integer range */
} jv_numkind;

typedef struct jv jv;

typedef struct jv_member {
	const char *key; /* decoded UTF-8, NUL-terminated, may contain NUL */
	size_t key_len;
	jv *val;
} jv_member;

struct jv {
	jv_type type;
	uint32_t line, col; /* 1-based position of the value's first byte */
	union {
		struct {
			jv_numkind kind;
			uint64_t u;  /* JV_NUM_U64 */
			int64_t i;   /* JV_NUM_I64 */
			double d;    /* always set: the value as an IEEE double */
		} num;
		struct {
			const char *s; /* decoded UTF-8, NUL-terminated, may contain NUL */
			size_t len;
		} str;
		struct {
			jv **items;
			size_t n;
		} arr;
		struct {
			jv_member *m; /* document order, duplicates kept */
			size_t n;
		} obj;
	} u;
};

/* Arena: all nodes and decoded strings of one document. */
typedef struct jv_arena {
	struct jv_chunk *head;
	size_t used;  /* bytes handed out so far */
	size_t limit; /* hard budget */
} jv_arena;

void jv_arena_init(jv_arena *a, size_t limit);
void jv_arena_free(jv_arena *a);
void *jv_arena_alloc(jv_arena *a, size_t n, rp_err *err); /* 8-byte aligned */

/*
 * Parses exactly one JSON value from text[0..len) (surrounding JSON
 * whitespace allowed, anything else after the value is an error; a UTF-8
 * BOM is an error). On failure returns NULL with RP_E_JSON (or RP_E_LIMIT /
 * RP_E_NOMEM) and a message in serde_json style, e.g.
 * "expected value at line 1 column 1", "lone leading surrogate in hex escape
 * at line 2 column 7", "recursion limit exceeded at line 1 column 128"
 * (serde_json accepts 127 nested containers and refuses the 128th),
 * "number out of range at line 1 column 6", "trailing characters at line 1
 * column 3".
 */
jv *jv_parse(jv_arena *a, const uint8_t *text, size_t len, rp_err *err);

/* Object lookup: the LAST member named key (serde_json Value semantics),
 * or NULL. count_out (optional) receives the number of members so named,
 * so typed readers can reject duplicates. */
const jv *jv_get(const jv *obj, const char *key, size_t *count_out);

/* Constructors for building documents (manifests, reports) in the arena.
 * Strings are copied. Objects take members in any order; the JCS writer
 * sorts. Return NULL and set err on budget exhaustion. */
jv *jv_new_null(jv_arena *a, rp_err *err);
jv *jv_new_bool(jv_arena *a, int b, rp_err *err);
jv *jv_new_u64(jv_arena *a, uint64_t v, rp_err *err);
jv *jv_new_i64(jv_arena *a, int64_t v, rp_err *err);
jv *jv_new_str(jv_arena *a, const char *s, size_t len, rp_err *err);
jv *jv_new_array(jv_arena *a, size_t cap, rp_err *err);
jv *jv_new_object(jv_arena *a, size_t cap, rp_err *err);
/* Append to an array/object created with capacity cap (error past cap). */
int jv_array_push(jv *arr, jv *item, rp_err *err);
int jv_object_put(jv_arena *a, jv *obj, const char *key, jv *val, rp_err *err);

#endif
