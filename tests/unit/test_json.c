/*
 * test_json.c - cmocka tests of src/child/json.c (the strict parser).
 *
 * Why: the parser decides what rpvault accepts from untrusted runpacks, so
 * its verdicts must be serde_json's. The rejection table below was measured
 * with serde_json 1.0.87 (the version RUNPACK_FORMAT.md was checked
 * against): each row's message, line and column are serde_json's exact
 * Display text. The remaining tests pin number classification, string
 * decoding, node positions, the depth limit, the arena budget, jv_get and
 * the constructors.
 * Security posture: test code; no I/O, deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child/json.h"
#include "common/limits.h"

#define BIG_BUDGET ((size_t)RP_MAX_JSON_ARENA_BYTES)

static jv *parse_len(jv_arena *a, const char *text, size_t len, rp_err *e)
{
	rp_err_clear(e);
	return jv_parse(a, (const uint8_t *)text, len, e);
}

static jv *parse(jv_arena *a, const char *text, rp_err *e)
{
	return parse_len(a, text, strlen(text), e);
}

/* ---------------------------------------------------------------- */

typedef struct bad_case {
	const char *name;
	const char *text;
	size_t len;
	rp_code code;
	const char *msg;
} bad_case;

/* Measured: serde_json::from_slice::<serde_json::Value>(text).unwrap_err().to_string() */
static const bad_case bad_cases[] = {
	{ "empty input", "", 0, RP_E_JSON, "EOF while parsing a value at line 1 column 0" },
	{ "whitespace only", "   \012 ", 5, RP_E_JSON, "EOF while parsing a value at line 2 column 1" },
	{ "UTF-8 BOM", "\357\273\277{}", 5, RP_E_JSON, "expected value at line 1 column 1" },
	{ "leading zero", "01", 2, RP_E_JSON, "invalid number at line 1 column 2" },
	{ "negative leading zero", "-01", 3, RP_E_JSON, "invalid number at line 1 column 3" },
	{ "double zero", "[00]", 4, RP_E_JSON, "invalid number at line 1 column 3" },
	{ "plus sign", "+1", 2, RP_E_JSON, "expected value at line 1 column 1" },
	{ "bare fraction", ".5", 2, RP_E_JSON, "expected value at line 1 column 1" },
	{ "dot at end", "1.", 2, RP_E_JSON, "EOF while parsing a value at line 1 column 2" },
	{ "dot then letter", "1.x", 3, RP_E_JSON, "invalid number at line 1 column 3" },
	{ "exponent at end", "1e", 2, RP_E_JSON, "EOF while parsing a value at line 1 column 2" },
	{ "exponent sign then letter", "1e+x", 4, RP_E_JSON, "invalid number at line 1 column 4" },
	{ "lone minus", "-", 1, RP_E_JSON, "EOF while parsing a value at line 1 column 1" },
	{ "minus letter", "-a", 2, RP_E_JSON, "invalid number at line 1 column 2" },
	{ "overflow", "1e400", 5, RP_E_JSON, "number out of range at line 1 column 5" },
	{ "negative overflow", "-1e400", 6, RP_E_JSON, "number out of range at line 1 column 6" },
	{ "just above max", "[1.7976931348623159e308]", 24, RP_E_JSON, "number out of range at line 1 column 23" },
	{ "exponent beyond i32", "1e99999999999", 13, RP_E_JSON, "number out of range at line 1 column 12" },
	{ "truncated null", "nul", 3, RP_E_JSON, "EOF while parsing a value at line 1 column 3" },
	{ "bad null", "nulx", 4, RP_E_JSON, "expected ident at line 1 column 4" },
	{ "capital True", "True", 4, RP_E_JSON, "expected value at line 1 column 1" },
	{ "NaN", "NaN", 3, RP_E_JSON, "expected value at line 1 column 1" },
	{ "Infinity", "[Infinity]", 10, RP_E_JSON, "expected value at line 1 column 2" },
	{ "trailing characters", "1 x", 3, RP_E_JSON, "trailing characters at line 1 column 3" },
	{ "trailing on line 3", "{}\012\012  x", 7, RP_E_JSON, "trailing characters at line 3 column 3" },
	{ "extra bracket", "[1]]", 4, RP_E_JSON, "trailing characters at line 1 column 4" },
	{ "trailing NUL", "1\000", 2, RP_E_JSON, "trailing characters at line 1 column 2" },
	{ "trailing comma in array", "[1,]", 4, RP_E_JSON, "trailing comma at line 1 column 4" },
	{ "trailing comma in object", "{\"a\":1,}", 8, RP_E_JSON, "trailing comma at line 1 column 8" },
	{ "missing comma", "[1 2]", 5, RP_E_JSON, "expected `,` or `]` at line 1 column 4" },
	{ "missing comma in object", "{\"a\":1 \"b\":2}", 13, RP_E_JSON, "expected `,` or `}` at line 1 column 8" },
	{ "leading comma", "[,1]", 4, RP_E_JSON, "expected value at line 1 column 2" },
	{ "unterminated array", "[", 1, RP_E_JSON, "EOF while parsing a list at line 1 column 1" },
	{ "unterminated array after value", "[1", 2, RP_E_JSON, "EOF while parsing a list at line 1 column 2" },
	{ "unterminated object", "{", 1, RP_E_JSON, "EOF while parsing an object at line 1 column 1" },
	{ "key without colon at EOF", "{\"a\"", 4, RP_E_JSON, "EOF while parsing an object at line 1 column 4" },
	{ "missing colon", "{\"a\" 1}", 7, RP_E_JSON, "expected `:` at line 1 column 6" },
	{ "missing value at EOF", "{\"a\":", 5, RP_E_JSON, "EOF while parsing a value at line 1 column 5" },
	{ "number key", "{1:1}", 5, RP_E_JSON, "key must be a string at line 1 column 2" },
	{ "single quotes", "{'a':1}", 7, RP_E_JSON, "key must be a string at line 1 column 2" },
	{ "unterminated string", "\"abc", 4, RP_E_JSON, "EOF while parsing a string at line 1 column 4" },
	{ "invalid escape", "\"\\x\"", 4, RP_E_JSON, "invalid escape at line 1 column 3" },
	{ "short unicode escape", "\"\\u12\"", 6, RP_E_JSON, "EOF while parsing a string at line 1 column 6" },
	{ "bad hex digit", "\"\\u12g4\"", 8, RP_E_JSON, "invalid escape at line 1 column 6" },
	{ "lone high surrogate", "\"\\ud800\"", 8, RP_E_JSON, "unexpected end of hex escape at line 1 column 8" },
	{ "high surrogate then text", "\"\\ud800x\"", 9, RP_E_JSON, "unexpected end of hex escape at line 1 column 8" },
	{ "high surrogate then other escape", "\"\\ud800\\n\"", 10, RP_E_JSON, "unexpected end of hex escape at line 1 column 9" },
	{ "high surrogate then non-surrogate", "\"\\ud800\\u0041\"", 14, RP_E_JSON, "lone leading surrogate in hex escape at line 1 column 13" },
	{ "two high surrogates", "\"\\ud800\\ud800\"", 14, RP_E_JSON, "lone leading surrogate in hex escape at line 1 column 13" },
	{ "lone low surrogate", "\"\\udc00\"", 8, RP_E_JSON, "lone leading surrogate in hex escape at line 1 column 7" },
	{ "raw control char", "\"a\001b\"", 5, RP_E_JSON, "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3" },
	{ "raw newline in string", "\"a\012b\"", 5, RP_E_JSON, "control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0" },
	{ "raw tab in string", "\"\011x\"", 4, RP_E_JSON, "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 2" },
	{ "raw unit separator", "\"\037\"", 3, RP_E_JSON, "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 2" },
	{ "truncated UTF-8", "\"\303\"", 3, RP_E_JSON, "invalid unicode code point at line 1 column 3" },
	{ "overlong NUL", "\"\300\200\"", 4, RP_E_JSON, "invalid unicode code point at line 1 column 4" },
	{ "overlong slash", "\"\340\200\257\"", 5, RP_E_JSON, "invalid unicode code point at line 1 column 5" },
	{ "UTF-8 encoded surrogate", "\"\355\240\200\"", 5, RP_E_JSON, "invalid unicode code point at line 1 column 5" },
	{ "above U+10FFFF", "\"\364\220\200\200\"", 6, RP_E_JSON, "invalid unicode code point at line 1 column 6" },
	{ "byte 0xFF", "\"\377\"", 3, RP_E_JSON, "invalid unicode code point at line 1 column 3" },
	{ "lone continuation byte", "\"\200\"", 3, RP_E_JSON, "invalid unicode code point at line 1 column 3" },
	{ "bad UTF-8 then bad escape", "\"\377\\x\"", 5, RP_E_JSON, "invalid escape at line 1 column 4" },
	{ "invalid UTF-8 in key", "{\"\377\":1}", 7, RP_E_JSON, "invalid unicode code point at line 1 column 4" },
	{ "invalid byte outside string", "\377", 1, RP_E_JSON, "expected value at line 1 column 1" },
};

static void test_rejections_match_serde_json(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
		const bad_case *c = &bad_cases[k];
		jv_arena a;
		rp_err e;
		jv_arena_init(&a, BIG_BUDGET);
		jv *v = parse_len(&a, c->text, c->len, &e);
		if (v != NULL || e.code != c->code || strcmp(e.msg, c->msg) != 0) {
			print_error("case '%s': got %s code=%s msg='%s', want code=%s msg='%s'\n", c->name,
				    v ? "success" : "failure", rp_code_name(e.code), e.msg,
				    rp_code_name(c->code), c->msg);
			fail();
		}
		jv_arena_free(&a);
	}
}

/* serde_json: remaining_depth starts at 128 and opening a container that
 * brings it to 0 fails, so 127 nested containers parse and 128 do not. */
static char *nest(size_t depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + li + 1);
	assert_non_null(s);
	char *p = s;
	for (size_t k = 0; k < depth; k++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (size_t k = 0; k < depth; k++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_depth_limit(void **state)
{
	(void)state;
	struct {
		size_t depth;
		const char *open, *inner, *close;
		const char *msg; /* NULL: must parse */
	} cases[] = {
		{ 127, "[", "", "]", NULL },
		{ 127, "{\"a\":", "1", "}", NULL },
		{ 127, "[{\"k\":", "[]", "}]", NULL }, /* 254 levels: fails below */
		{ 128, "[", "", "]", "recursion limit exceeded at line 1 column 128" },
		{ 129, "[", "", "]", "recursion limit exceeded at line 1 column 128" },
		{ 128, "{\"a\":", "1", "}", "recursion limit exceeded at line 1 column 636" },
		{ 100000, "[", "", "]", "recursion limit exceeded at line 1 column 128" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *s = nest(cases[k].depth, cases[k].open, cases[k].inner, cases[k].close);
		jv_arena a;
		rp_err e;
		jv_arena_init(&a, BIG_BUDGET);
		jv *v = parse(&a, s, &e);
		if (k == 2) {
			assert_null(v); /* 254 levels */
			assert_int_equal(e.code, RP_E_LIMIT);
		} else if (cases[k].msg == NULL) {
			assert_non_null(v);
			/* walk down: exactly depth containers */
			size_t d = 0;
			const jv *cur = v;
			while (cur->type == JV_ARRAY || cur->type == JV_OBJECT) {
				d++;
				if (cur->type == JV_ARRAY) {
					if (cur->u.arr.n == 0)
						break;
					cur = cur->u.arr.items[0];
				} else {
					cur = cur->u.obj.m[0].val;
				}
			}
			assert_int_equal(d, cases[k].depth);
		} else {
			assert_null(v);
			assert_int_equal(e.code, RP_E_LIMIT);
			assert_string_equal(e.msg, cases[k].msg);
		}
		jv_arena_free(&a);
		free(s);
	}
}

/* Unclosed deep input on separate lines: the limit, not EOF, is reported. */
static void test_depth_limit_multiline(void **state)
{
	(void)state;
	char *s = nest(200, "[\n", "", "");
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	assert_null(parse(&a, s, &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_string_equal(e.msg, "recursion limit exceeded at line 128 column 1");
	jv_arena_free(&a);
	free(s);
}

/* ---------------------------------------------------------------- */

static const jv *parse_one_number(jv_arena *a, const char *text)
{
	rp_err e;
	jv *v = parse(a, text, &e);
	if (v == NULL) {
		print_error("'%s' failed: %s\n", text, e.msg);
		fail();
	}
	assert_int_equal(v->type, JV_NUMBER);
	return v;
}

static void test_number_classification(void **state)
{
	(void)state;
	jv_arena a;
	jv_arena_init(&a, BIG_BUDGET);
	const jv *v;

	v = parse_one_number(&a, "0");
	assert_int_equal(v->u.num.kind, JV_NUM_U64);
	assert_true(v->u.num.u == 0);
	v = parse_one_number(&a, "18446744073709551615");
	assert_int_equal(v->u.num.kind, JV_NUM_U64);
	assert_true(v->u.num.u == UINT64_MAX);
	v = parse_one_number(&a, "9007199254740993");
	assert_int_equal(v->u.num.kind, JV_NUM_U64);
	assert_true(v->u.num.u == 9007199254740993ULL);
	assert_true(v->u.num.d == 9007199254740992.0);
	v = parse_one_number(&a, "18446744073709551616");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(v->u.num.d == 18446744073709551616.0);
	v = parse_one_number(&a, "-1");
	assert_int_equal(v->u.num.kind, JV_NUM_I64);
	assert_true(v->u.num.i == -1);
	v = parse_one_number(&a, "-9223372036854775808");
	assert_int_equal(v->u.num.kind, JV_NUM_I64);
	assert_true(v->u.num.i == INT64_MIN);
	v = parse_one_number(&a, "-9223372036854775809");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(v->u.num.d == -9223372036854775808.0);
	v = parse_one_number(&a, "-18446744073709551616");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	/* "-0" is a float in serde_json, and keeps its sign */
	v = parse_one_number(&a, "-0");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(v->u.num.d == 0 && signbit(v->u.num.d));
	v = parse_one_number(&a, "-0.0");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(signbit(v->u.num.d));
	v = parse_one_number(&a, "1.0");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(v->u.num.d == 1.0);
	v = parse_one_number(&a, "1e2");
	assert_int_equal(v->u.num.kind, JV_NUM_F64);
	assert_true(v->u.num.d == 100.0);
	v = parse_one_number(&a, "2.5E+3");
	assert_true(v->u.num.d == 2500.0);
	v = parse_one_number(&a, "10E-1");
	assert_true(v->u.num.d == 1.0);
	v = parse_one_number(&a, "5e-324");
	assert_true(v->u.num.d > 0 && v->u.num.d < 1e-323);
	/* underflow is not an error (serde_json yields 0) */
	v = parse_one_number(&a, "1e-400");
	assert_true(v->u.num.d == 0);
	v = parse_one_number(&a, "-1e-99999999999");
	assert_true(v->u.num.d == 0 && signbit(v->u.num.d));
	v = parse_one_number(&a, "0e99999999999");
	assert_true(v->u.num.d == 0);
	v = parse_one_number(&a, "1.7976931348623157e308");
	assert_true(v->u.num.d == 1.7976931348623157e308);
	/* a literal longer than the parser's stack buffer */
	char longlit[600];
	memset(longlit, '0', sizeof longlit);
	longlit[0] = '1';
	longlit[1] = '.';
	longlit[sizeof longlit - 1] = '\0';
	v = parse_one_number(&a, longlit);
	assert_true(v->u.num.d == 1.0);
	longlit[1] = '0'; /* 1 followed by 598 zeros: out of range */
	rp_err e;
	assert_null(parse(&a, longlit, &e));
	assert_string_equal(e.msg, "number out of range at line 1 column 599");
	jv_arena_free(&a);
}

static void test_strings_decode(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	jv *v = parse(&a,
		      "[\"\\u0000a\\u0000\", \"\\b\\f\\n\\r\\t\\/\\\\\\\"\", \"\\u00e9\\u20AC\\ud83d\\ude00\","
		      " \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"\x7f\", \"\"]",
		      &e);
	assert_non_null(v);
	assert_int_equal(v->type, JV_ARRAY);
	assert_int_equal(v->u.arr.n, 6);
	const jv *s0 = v->u.arr.items[0];
	assert_int_equal(s0->type, JV_STRING);
	assert_int_equal(s0->u.str.len, 3);
	assert_memory_equal(s0->u.str.s, "\0a\0", 4); /* and NUL-terminated */
	const jv *s1 = v->u.arr.items[1];
	assert_int_equal(s1->u.str.len, 8);
	assert_memory_equal(s1->u.str.s, "\b\f\n\r\t/\\\"", 8);
	const jv *s2 = v->u.arr.items[2], *s3 = v->u.arr.items[3];
	assert_int_equal(s2->u.str.len, 9);
	assert_int_equal(s3->u.str.len, 9);
	assert_memory_equal(s2->u.str.s, s3->u.str.s, 9);
	assert_memory_equal(s2->u.str.s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	assert_int_equal(v->u.arr.items[4]->u.str.len, 1);
	assert_int_equal(v->u.arr.items[5]->u.str.len, 0);
	assert_string_equal(v->u.arr.items[5]->u.str.s, "");
	jv_arena_free(&a);
}

/* A long string with escapes forces a decode buffer far larger than a
 * chunk; the escapes shrink it, the content must be exact. */
static void test_long_string(void **state)
{
	(void)state;
	size_t reps = 200000;
	char *text = malloc(reps * 7 + 3);
	assert_non_null(text);
	size_t o = 0;
	text[o++] = '"';
	for (size_t k = 0; k < reps; k++) {
		memcpy(text + o, "\\u0041b", 7);
		o += 7;
	}
	text[o++] = '"';
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	jv *v = parse_len(&a, text, o, &e);
	assert_non_null(v);
	assert_int_equal(v->u.str.len, reps * 2);
	for (size_t k = 0; k < reps; k++)
		assert_true(v->u.str.s[2 * k] == 'A' && v->u.str.s[2 * k + 1] == 'b');
	jv_arena_free(&a);
	free(text);
}

static void test_positions_and_structure(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	const char *doc = "{\n  \"a\": [1, true],\n\t\"b\" :null , \"c\":{}\n}";
	jv *v = parse(&a, doc, &e);
	assert_non_null(v);
	assert_int_equal(v->type, JV_OBJECT);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->col, 1);
	assert_int_equal(v->u.obj.n, 3);
	assert_string_equal(v->u.obj.m[0].key, "a");
	assert_string_equal(v->u.obj.m[1].key, "b");
	assert_string_equal(v->u.obj.m[2].key, "c");
	const jv *arr = v->u.obj.m[0].val;
	assert_int_equal(arr->type, JV_ARRAY);
	assert_int_equal(arr->line, 2);
	assert_int_equal(arr->col, 8);
	assert_int_equal(arr->u.arr.items[1]->type, JV_TRUE);
	assert_int_equal(arr->u.arr.items[1]->line, 2);
	assert_int_equal(arr->u.arr.items[1]->col, 12);
	const jv *b = v->u.obj.m[1].val;
	assert_int_equal(b->type, JV_NULL);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 7); /* tab counts as one byte, like serde_json */
	assert_int_equal(v->u.obj.m[2].val->type, JV_OBJECT);
	assert_int_equal(v->u.obj.m[2].val->u.obj.n, 0);
	jv_arena_free(&a);
}

static void test_scalars_and_whitespace(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		jv_type t;
	} ok[] = {
		{ "null", JV_NULL }, { " true", JV_TRUE }, { "false\n", JV_FALSE },
		{ "\t\r\n 42 \t\r\n", JV_NUMBER }, { "\"x\"", JV_STRING }, { "[]", JV_ARRAY },
		{ "{}", JV_OBJECT }, { "[ ]", JV_ARRAY }, { "{ }", JV_OBJECT },
	};
	for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
		jv_arena a;
		rp_err e;
		jv_arena_init(&a, BIG_BUDGET);
		jv *v = parse(&a, ok[k].text, &e);
		assert_non_null(v);
		assert_int_equal(v->type, ok[k].t);
		jv_arena_free(&a);
	}
}

/* ---------------------------------------------------------------- */

static void test_arena_budget(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	/* Allocation is refused at the budget and never exceeds it. */
	jv_arena_init(&a, 1000);
	size_t got = 0;
	for (;;) {
		rp_err_clear(&e);
		void *p = jv_arena_alloc(&a, 24, &e);
		if (p == NULL)
			break;
		assert_true(((uintptr_t)p & 7) == 0);
		got += 24;
	}
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_true(got >= 900 && got <= 1000);
	assert_true(a.used <= a.limit);
	jv_arena_free(&a);
	assert_int_equal(a.used, 0);

	/* A document that needs more than the budget fails with LIMIT. */
	size_t n = 10000;
	char *text = malloc(n * 2 + 2);
	assert_non_null(text);
	text[0] = '[';
	for (size_t k = 0; k < n; k++) {
		text[1 + 2 * k] = '1';
		text[2 + 2 * k] = ',';
	}
	text[2 * n] = ']';
	text[2 * n + 1] = '\0';
	jv_arena_init(&a, 64 * 1024);
	assert_null(parse(&a, text, &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_non_null(strstr(e.msg, "memory budget"));
	assert_true(a.used <= a.limit);
	jv_arena_free(&a);
	/* ...and succeeds with room. */
	jv_arena_init(&a, 4 * 1024 * 1024);
	jv *v = parse(&a, text, &e);
	assert_non_null(v);
	assert_int_equal(v->u.arr.n, n);
	jv_arena_free(&a);
	free(text);

	/* A huge string is refused by budget before it is copied. */
	jv_arena_init(&a, 4096);
	char big[10000];
	memset(big, 'x', sizeof big);
	big[0] = '"';
	big[sizeof big - 1] = '"';
	assert_null(parse_len(&a, big, sizeof big, &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	jv_arena_free(&a);

	/* Zero budget: even "null" does not fit. */
	jv_arena_init(&a, 0);
	assert_null(parse(&a, "null", &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	jv_arena_free(&a);
}

/* ---------------------------------------------------------------- */

static void test_jv_get_duplicates(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	jv *v = parse(&a, "{\"a\":1,\"b\":2,\"a\":3,\"c\":4,\"a\":5,\"\":6}", &e);
	assert_non_null(v);
	assert_int_equal(v->u.obj.n, 6); /* duplicates kept in document order */
	size_t count = 99;
	const jv *x = jv_get(v, "a", &count);
	assert_non_null(x);
	assert_int_equal(count, 3);
	assert_true(x->u.num.u == 5);
	x = jv_get(v, "b", &count);
	assert_int_equal(count, 1);
	assert_true(x->u.num.u == 2);
	x = jv_get(v, "", &count);
	assert_int_equal(count, 1);
	assert_true(x->u.num.u == 6);
	assert_null(jv_get(v, "zz", &count));
	assert_int_equal(count, 0);
	assert_null(jv_get(v, "A", NULL));
	/* a prefix of a key is a different key */
	jv *w = parse(&a, "{\"ab\":1}", &e);
	assert_null(jv_get(w, "a", &count));
	assert_int_equal(count, 0);
	/* not an object */
	count = 7;
	assert_null(jv_get(v->u.obj.m[0].val, "a", &count));
	assert_int_equal(count, 0);
	assert_null(jv_get(NULL, "a", &count));
	jv_arena_free(&a);
}

static void test_constructors(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	jv *obj = jv_new_object(&a, 3, &e);
	assert_non_null(obj);
	assert_int_equal(obj->type, JV_OBJECT);
	jv *arr = jv_new_array(&a, 2, &e);
	assert_non_null(arr);
	jv *s = jv_new_str(&a, "a\0b", 3, &e);
	assert_non_null(s);
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.s, "a\0b", 4);
	assert_int_equal(jv_array_push(arr, s, &e), 0);
	assert_int_equal(jv_array_push(arr, jv_new_null(&a, &e), &e), 0);
	assert_int_equal(jv_array_push(arr, jv_new_null(&a, &e), &e), -1);
	assert_int_equal(e.code, RP_E_INTERNAL);
	assert_int_equal(arr->u.arr.n, 2);

	jv *u = jv_new_u64(&a, UINT64_MAX, &e);
	assert_int_equal(u->u.num.kind, JV_NUM_U64);
	assert_true(u->u.num.u == UINT64_MAX);
	jv *neg = jv_new_i64(&a, INT64_MIN, &e);
	assert_int_equal(neg->u.num.kind, JV_NUM_I64);
	assert_true(neg->u.num.i == INT64_MIN);
	jv *pos = jv_new_i64(&a, 7, &e); /* non-negative: held as u64 like serde_json */
	assert_int_equal(pos->u.num.kind, JV_NUM_U64);
	assert_true(pos->u.num.u == 7);
	assert_int_equal(jv_new_bool(&a, 1, &e)->type, JV_TRUE);
	assert_int_equal(jv_new_bool(&a, 0, &e)->type, JV_FALSE);

	assert_int_equal(jv_object_put(&a, obj, "k", u, &e), 0);
	assert_int_equal(jv_object_put(&a, obj, "arr", arr, &e), 0);
	assert_int_equal(jv_object_put(&a, obj, "k", neg, &e), 0);
	assert_int_equal(jv_object_put(&a, obj, "x", pos, &e), -1);
	size_t count;
	const jv *k = jv_get(obj, "k", &count);
	assert_int_equal(count, 2);
	assert_ptr_equal(k, neg);
	assert_ptr_equal(jv_get(obj, "arr", NULL), arr);

	/* zero capacity */
	jv *empty = jv_new_array(&a, 0, &e);
	assert_non_null(empty);
	assert_int_equal(jv_array_push(empty, s, &e), -1);

	/* parsed containers cannot be appended to */
	jv *parsed = parse(&a, "[1]", &e);
	assert_non_null(parsed);
	assert_int_equal(jv_array_push(parsed, s, &e), -1);
	jv *pobj = parse(&a, "{}", &e);
	assert_int_equal(jv_object_put(&a, pobj, "a", s, &e), -1);
	/* wrong types */
	assert_int_equal(jv_array_push(obj, s, &e), -1);
	assert_int_equal(jv_object_put(&a, arr, "a", s, &e), -1);
	jv_arena_free(&a);

	/* constructors report budget exhaustion */
	jv_arena_init(&a, 64);
	rp_err_clear(&e);
	assert_null(jv_new_str(&a, "0123456789012345678901234567890123456789012345678901234567890123456789",
			       70, &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_null(jv_new_array(&a, 1000, &e));
	jv_arena_free(&a);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, BIG_BUDGET);
	assert_null(jv_parse(&a, NULL, 5, &e));
	assert_int_equal(e.code, RP_E_INTERNAL);
	assert_null(jv_parse(&a, NULL, 0, &e)); /* empty document */
	assert_string_equal(e.msg, "EOF while parsing a value at line 1 column 0");
	jv_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejections_match_serde_json),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_depth_limit_multiline),
		cmocka_unit_test(test_number_classification),
		cmocka_unit_test(test_strings_decode),
		cmocka_unit_test(test_long_string),
		cmocka_unit_test(test_positions_and_structure),
		cmocka_unit_test(test_scalars_and_whitespace),
		cmocka_unit_test(test_arena_budget),
		cmocka_unit_test(test_jv_get_duplicates),
		cmocka_unit_test(test_constructors),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
