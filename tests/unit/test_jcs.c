/*
 * test_jcs.c - cmocka tests of src/child/jcs.c (canonical JSON writer).
 *
 * Why: every hash rpvault compares with Decision Gate's is over these
 * bytes. The tests run every case of shared/spec/jcs_cases.json (measured
 * with the real serde_jcs 0.1.0 and an RFC 8785 reference) in both modes,
 * the published RFC 8785 examples (Appendix B number table, the §3.2.4
 * example object), ECMAScript number formatting against values taken from
 * node's Number.prototype.toString, idempotence, every rejection path of
 * jcs_canonicalize (which must leave the output buffer untouched), and
 * writing trees built with the json.h constructors.
 * Security posture: test code; reads only shared/spec/jcs_cases.json
 * ($SHARED, default ../shared, relative to the repository root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child/jcs.h"
#include "child/json.h"
#include "common/limits.h"

#define OUT_LIMIT ((size_t)64 * 1024 * 1024)

/* Canonical form of text (NUL-terminated) in mode; returns malloc'd
 * string or NULL with e set. */
static char *canon_len(const char *text, size_t len, rp_jcs_mode mode, rp_err *e)
{
	rp_buf b;
	rp_buf_init(&b, OUT_LIMIT);
	rp_err_clear(e);
	if (jcs_canonicalize((const uint8_t *)text, len, mode, &b, e) != 0) {
		rp_buf_free(&b);
		return NULL;
	}
	if (rp_buf_cstr(&b, e) != 0) {
		rp_buf_free(&b);
		return NULL;
	}
	return (char *)b.data; /* ownership passes to the caller */
}

static char *canon(const char *text, rp_jcs_mode mode, rp_err *e)
{
	return canon_len(text, strlen(text), mode, e);
}

static void expect_canon(const char *in, rp_jcs_mode mode, const char *want)
{
	rp_err e;
	char *got = canon(in, mode, &e);
	if (got == NULL) {
		print_error("input %s: error %s\n", in, e.msg);
		fail();
	}
	if (strcmp(got, want) != 0) {
		print_error("input  %s (mode %d)\n  got  %s\n  want %s\n", in, (int)mode, got, want);
		fail();
	}
	/* idempotence: canonical text is its own canonical form */
	char *again = canon(got, mode, &e);
	assert_non_null(again);
	assert_string_equal(again, got);
	free(again);
	free(got);
}

/* ---------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	while (b != NULL) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(b, cap);
		if (nb == NULL) {
			free(b);
			b = NULL;
		}
		b = nb;
	}
	fclose(f);
	*len = n;
	return b;
}

static const jv *field(const jv *obj, const char *key)
{
	size_t count;
	const jv *v = jv_get(obj, key, &count);
	assert_non_null(v);
	assert_int_equal(count, 1);
	return v;
}

static void test_spec_cases_both_modes(void **state)
{
	(void)state;
	const char *shared = getenv("SHARED");
	char path[4096];
	snprintf(path, sizeof path, "%s/spec/jcs_cases.json", shared ? shared : "../shared");
	size_t len = 0;
	uint8_t *text = read_file(path, &len);
	if (text == NULL) {
		print_error("cannot read %s (set SHARED)\n", path);
		fail();
	}
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, (size_t)RP_MAX_JSON_ARENA_BYTES);
	const jv *root = jv_parse(&a, text, len, &e);
	assert_non_null(root);
	assert_int_equal(root->type, JV_ARRAY);
	assert_true(root->u.arr.n >= 9);
	size_t checked = 0;
	for (size_t k = 0; k < root->u.arr.n; k++) {
		const jv *c = root->u.arr.items[k];
		const jv *name = field(c, "case");
		const jv *in = field(c, "input");
		const struct {
			const char *col;
			rp_jcs_mode mode;
		} modes[] = { { "serde_jcs_0_1_0", RP_JCS_SERDE }, { "rfc8785_reference", RP_JCS_RFC8785 } };
		for (size_t m = 0; m < 2; m++) {
			const jv *want = field(c, modes[m].col);
			char *got = canon_len(in->u.str.s, in->u.str.len, modes[m].mode, &e);
			if (got == NULL || strlen(got) != want->u.str.len ||
			    memcmp(got, want->u.str.s, want->u.str.len) != 0) {
				print_error("case %s, %s:\n  got  %s\n  want %s\n", name->u.str.s, modes[m].col,
					    got ? got : e.msg, want->u.str.s);
				fail();
			}
			char *again = canon(got, modes[m].mode, &e);
			assert_non_null(again);
			assert_string_equal(again, got);
			free(again);
			free(got);
			checked++;
		}
		/* "agree" says whether the two columns are equal; so must we */
		const jv *agree = field(c, "agree");
		int same = field(c, "serde_jcs_0_1_0")->u.str.len == field(c, "rfc8785_reference")->u.str.len &&
			   memcmp(field(c, "serde_jcs_0_1_0")->u.str.s, field(c, "rfc8785_reference")->u.str.s,
				  field(c, "rfc8785_reference")->u.str.len) == 0;
		assert_string_equal(agree->u.str.s, same ? "SAME" : "DIFFERENT");
	}
	assert_int_equal(checked, 2 * root->u.arr.n);
	jv_arena_free(&a);
	free(text);
}

/* ---------------------------------------------------------------- */

typedef struct num_vec {
	uint64_t bits;
	const char *want;
} num_vec;

static double from_bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

/* RFC 8785 Appendix B (finite rows). */
static const num_vec rfc8785_appendix_b[] = {
	{ 0x0000000000000000ULL, "0" },
	{ 0x8000000000000000ULL, "0" },
	{ 0x0000000000000001ULL, "5e-324" },
	{ 0x8000000000000001ULL, "-5e-324" },
	{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
	{ 0xffefffffffffffffULL, "-1.7976931348623157e+308" },
	{ 0x4340000000000000ULL, "9007199254740992" },
	{ 0xc340000000000000ULL, "-9007199254740992" },
	{ 0x4430000000000000ULL, "295147905179352830000" },
	{ 0x44b52d02c7e14af5ULL, "9.999999999999997e+22" },
	{ 0x44b52d02c7e14af6ULL, "1e+23" },
	{ 0x44b52d02c7e14af7ULL, "1.0000000000000001e+23" },
	{ 0x444b1ae4d6e2ef4eULL, "999999999999999700000" },
	{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
	{ 0x444b1ae4d6e2ef50ULL, "1e+21" },
	{ 0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7" },
	{ 0x3eb0c6f7a0b5ed8dULL, "0.000001" },
	{ 0x41b3de4355555553ULL, "333333333.3333332" },
	{ 0x41b3de4355555554ULL, "333333333.33333325" },
	{ 0x41b3de4355555555ULL, "333333333.3333333" },
	{ 0x41b3de4355555556ULL, "333333333.3333334" },
	{ 0x41b3de4355555557ULL, "333333333.33333343" },
	{ 0xbecbf647612f3696ULL, "-0.0000033333333333333333" },
	{ 0x43143ff3c1cb0959ULL, "1424953923781206.2" },
};

/* String(x) in node (V8). The first four are powers of two where the
 * nearest n-digit decimal does not read back but the other neighbour does. */
static const num_vec node_values[] = {
	{ 0x0060000000000000ULL, "7.120236347223045e-307" },
	{ 0x0e80000000000000ULL, "7.678447687145631e-239" },
	{ 0x39e0000000000000ULL, "6.310887241768095e-30" },
	{ 0x6510000000000000ULL, "6.483618076376552e+178" },
	{ 0xa34003321257a9e3ULL, "-6.723117219315553e-139" },
	{ 0x3bd95396047b3ad1ULL, "2.145238657553696e-20" },
	{ 0x02dbf984a1b68d05ULL, "6.84399031196229e-295" },
	{ 0xb033036766550e61ULL, "-1.6420203340301672e-76" },
	{ 0x12dd45db9e65f00dULL, "8.292560247673283e-218" },
	{ 0x46e131807626431dULL, "2.789783201123753e+33" },
	{ 0x7378469bb4a7c792ULL, "1.6973454270959939e+248" },
	{ 0x7e5f87fcbfd36515ULL, "5.279055097181484e+300" },
	{ 0x44e4cb477a017568ULL, "7.855773530806685e+23" },
	{ 0x33403b2fe98590f3ULL, "7.891172229138037e-62" },
	{ 0x2b1fe8607f34c934ULL, "5.698456940196634e-101" },
	{ 0x95a969ba7e60a100ULL, "-2.5329634440383085e-204" },
	{ 0x8255868ee363bf8cULL, "-2.0571213783008423e-297" },
	{ 0xc7924e9b0c47a7deULL, "-6.083561956374273e+36" },
	{ 0xd939f18c3e90e328ULL, "-6.69927190371165e+121" },
	{ 0xe776e90669f91366ULL, "-2.551920750819108e+190" },
	{ 0xd56695051f43f0cdULL, "-2.5289080406374942e+103" },
	{ 0x4f561aa8b01fe21cULL, "1.5621851459704172e+74" },
	{ 0x8680cee503747620ULL, "-2.3704715279901995e-277" },
	{ 0x87143414b892a0ebULL, "-1.4588455354461262e-274" },
	{ 0x3fb999999999999aULL, "0.1" },
	{ 0x3fd3333333333334ULL, "0.30000000000000004" },
	{ 0x3fd5555555555555ULL, "0.3333333333333333" },
	{ 0xbfe5555555555555ULL, "-0.6666666666666666" },
	{ 0x3c36b082c2148b8eULL, "1.23e-18" },
	{ 0x4340000000000001ULL, "9007199254740994" },
	{ 0x3eafe07017c01026ULL, "9.5e-7" },
	{ 0x4011666666666666ULL, "4.35" },
	{ 0x3eb4b3fd5942cd96ULL, "0.000001234" },
	{ 0x7e41eb2d66005835ULL, "1.5e+300" },
	{ 0x0000000000000003ULL, "1.5e-323" },
	{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
	{ 0x419d6f3454000000ULL, "123456789" },
	{ 0xbe7ad7f29abcaf48ULL, "-1e-7" },
};

static void check_vectors(const num_vec *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char buf[32];
		size_t len = jcs_format_double(from_bits(v[k].bits), buf);
		if (len != strlen(buf) || strcmp(buf, v[k].want) != 0) {
			print_error("%016llx: got %s, want %s\n", (unsigned long long)v[k].bits, buf, v[k].want);
			fail();
		}
	}
}

static void test_rfc8785_appendix_b_numbers(void **state)
{
	(void)state;
	check_vectors(rfc8785_appendix_b, sizeof rfc8785_appendix_b / sizeof rfc8785_appendix_b[0]);
	/* the same through the parser: each canonical number is a fixed point
	 * in both modes (integers up to u64 print exactly in SERDE mode and
	 * these happen to be exact doubles too) */
	for (size_t k = 0; k < sizeof rfc8785_appendix_b / sizeof rfc8785_appendix_b[0]; k++) {
		if (k == 1)
			continue; /* "0" again */
		expect_canon(rfc8785_appendix_b[k].want, RP_JCS_SERDE, rfc8785_appendix_b[k].want);
		expect_canon(rfc8785_appendix_b[k].want, RP_JCS_RFC8785, rfc8785_appendix_b[k].want);
	}
}

static void test_ecmascript_formatting(void **state)
{
	(void)state;
	check_vectors(node_values, sizeof node_values / sizeof node_values[0]);
	char buf[32];
	assert_int_equal(jcs_format_double(-0.0, buf), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(jcs_format_double(1e21, buf), 5);
	assert_string_equal(buf, "1e+21");
	jcs_format_double(1e20, buf);
	assert_string_equal(buf, "100000000000000000000");
	jcs_format_double(1e-6, buf);
	assert_string_equal(buf, "0.000001");
	jcs_format_double(1e-7, buf);
	assert_string_equal(buf, "1e-7");
	jcs_format_double(-1.5e-7, buf);
	assert_string_equal(buf, "-1.5e-7");
	jcs_format_double(123.456, buf);
	assert_string_equal(buf, "123.456");
	jcs_format_double(-0.5, buf);
	assert_string_equal(buf, "-0.5");
	/* longest forms fit the 32-byte buffer */
	assert_true(jcs_format_double(-1.2345678901234567e-300, buf) < 32);
	assert_true(jcs_format_double(-0.0000012345678901234567, buf) < 32);
	assert_true(jcs_format_double(-123456789012345678901.0, buf) < 32);
}

/* Property: every finite double formats to text that reads back exactly,
 * without a needless trailing zero in the digits. */
static void test_format_round_trip_property(void **state)
{
	(void)state;
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	for (int k = 0; k < 200000; k++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		double d = from_bits(s);
		if (d != d || d == d * 2) /* NaN, inf (and 0) */
			continue;
		char buf[32];
		jcs_format_double(d, buf);
		double back = strtod(buf, NULL);
		if (back != d) {
			print_error("%016llx -> %s -> %.17g\n", (unsigned long long)s, buf, back);
			fail();
		}
		const char *ex = strchr(buf, 'e');
		if (ex != NULL && strchr(buf, '.') != NULL)
			assert_true(ex[-1] != '0');
	}
}

/* ---------------------------------------------------------------- */

static void test_rfc8785_example_object(void **state)
{
	(void)state;
	/* RFC 8785 §3.2.4: keys are plain ASCII, so both modes agree */
	const char *in = "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
			 "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
			 "  \"literals\": [null, true, false]\n}";
	const char *want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
			   "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
	expect_canon(in, RP_JCS_SERDE, want);
	expect_canon(in, RP_JCS_RFC8785, want);
}

static void test_rfc8785_key_sort_example(void **state)
{
	(void)state;
	/* RFC 8785 §3.2.3 sample (also in jcs_cases.json) */
	const char *in = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With "
			 "Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			 "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
	rp_err e;
	char *got = canon(in, RP_JCS_RFC8785, &e);
	assert_non_null(got);
	/* the RFC lists the values in this order */
	const char *order[] = { "Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
				"Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh" };
	const char *p = got;
	for (size_t k = 0; k < 7; k++) {
		const char *q = strstr(p, order[k]);
		assert_non_null(q);
		p = q;
	}
	free(got);
}

static void test_numbers_by_mode(void **state)
{
	(void)state;
	static const struct {
		const char *in, *serde, *rfc;
	} t[] = {
		{ "18446744073709551615", "18446744073709551615", "18446744073709552000" },
		{ "9007199254740993", "9007199254740993", "9007199254740992" },
		{ "-9223372036854775808", "-9223372036854775808", "-9223372036854776000" },
		{ "-9223372036854775809", "-9223372036854776000", "-9223372036854776000" },
		{ "18446744073709551616", "18446744073709552000", "18446744073709552000" },
		{ "123456789012345678901234567890", "1.2345678901234568e+29", "1.2345678901234568e+29" },
		{ "-0", "0", "0" }, { "-0.0", "0", "0" }, { "0.0", "0", "0" }, { "1.0", "1", "1" },
		{ "1e2", "100", "100" }, { "4.50", "4.5", "4.5" }, { "2e-3", "0.002", "0.002" },
		{ "1e-7", "1e-7", "1e-7" }, { "0.000001", "0.000001", "0.000001" },
		{ "1e20", "100000000000000000000", "100000000000000000000" }, { "1e21", "1e+21", "1e+21" },
		{ "5e-324", "5e-324", "5e-324" }, { "1.7976931348623157e308", "1.7976931348623157e+308", "1.7976931348623157e+308" },
		{ "1e-400", "0", "0" }, { "-1", "-1", "-1" }, { "0", "0", "0" },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		expect_canon(t[k].in, RP_JCS_SERDE, t[k].serde);
		expect_canon(t[k].in, RP_JCS_RFC8785, t[k].rfc);
	}
}

static void test_key_order_details(void **state)
{
	(void)state;
	static const struct {
		const char *in, *serde, *rfc;
	} t[] = {
		/* "a" ends with 0x22, "a\u0000" continues with 0x5C */
		{ "{\"a\\u0000\":1,\"a\":2}", "{\"a\":2,\"a\\u0000\":1}", "{\"a\":2,\"a\\u0000\":1}" },
		/* space sorts before the closing quote in serde_jcs only */
		{ "{\"ab\":1,\"a\":2,\"a b\":3}", "{\"a b\":3,\"a\":2,\"ab\":1}", "{\"a\":2,\"a b\":3,\"ab\":1}" },
		/* DEL and non-ASCII are raw bytes */
		{ "{\"\\u00e9\":1,\"\\u007f\":2,\"~\":3}", "{\"~\":3,\"\x7f\":2,\"\xc3\xa9\":1}",
		  "{\"~\":3,\"\x7f\":2,\"\xc3\xa9\":1}" },
		/* last duplicate wins wherever it sorts */
		{ "{\"b\":1,\"a\":2,\"b\":3,\"a\":4,\"b\":5}", "{\"a\":4,\"b\":5}", "{\"a\":4,\"b\":5}" },
		{ "[{\"x\":[],\"x\":{}}]", "[{\"x\":{}}]", "[{\"x\":{}}]" },
		{ "{\"\":1,\" \":2}", "{\" \":2,\"\":1}", "{\"\":1,\" \":2}" },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		expect_canon(t[k].in, RP_JCS_SERDE, t[k].serde);
		expect_canon(t[k].in, RP_JCS_RFC8785, t[k].rfc);
	}
}

/* ---------------------------------------------------------------- */

static void test_rejections_leave_output_untouched(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
		rp_code code;
		const char *msg_part;
	} bad[] = {
		{ "", 0, RP_E_JSON, "EOF while parsing a value at line 1 column 0" },
		{ "{\"a\":}", 6, RP_E_JSON, "expected value" },
		{ "[1] x", 5, RP_E_JSON, "trailing characters at line 1 column 5" },
		{ "\xef\xbb\xbf[]", 5, RP_E_JSON, "expected value at line 1 column 1" },
		{ "\"\\ud800\"", 8, RP_E_JSON, "unexpected end of hex escape" },
		{ "\"\\udc00\"", 8, RP_E_JSON, "lone leading surrogate" },
		{ "\"\\ud800\\u0041\"", 14, RP_E_JSON, "lone leading surrogate" },
		{ "\"\xed\xa0\x80\"", 5, RP_E_JSON, "invalid unicode code point" },
		{ "\"\xc0\xaf\"", 4, RP_E_JSON, "invalid unicode code point" },
		{ "[1e400]", 7, RP_E_JSON, "number out of range at line 1 column 6" },
		{ "[01]", 4, RP_E_JSON, "invalid number" },
		{ "\"a\tb\"", 5, RP_E_JSON, "control character" },
		{ "[1,]", 4, RP_E_JSON, "trailing comma" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		for (int mode = 0; mode < 2; mode++) {
			rp_buf b;
			rp_err e;
			rp_buf_init(&b, OUT_LIMIT);
			rp_err_clear(&e);
			assert_int_equal(rp_buf_append(&b, "keep", 4, &e), 0);
			int rc = jcs_canonicalize((const uint8_t *)bad[k].text, bad[k].len, (rp_jcs_mode)mode, &b, &e);
			assert_int_equal(rc, -1);
			assert_int_equal(e.code, bad[k].code);
			if (strstr(e.msg, bad[k].msg_part) == NULL) {
				print_error("case %zu: message '%s' lacks '%s'\n", k, e.msg, bad[k].msg_part);
				fail();
			}
			assert_int_equal(b.len, 4);
			assert_memory_equal(b.data, "keep", 4);
			rp_buf_free(&b);
		}
	}
	/* depth: 127 nested arrays canonicalize, 128 are a limit error */
	char deep[260];
	memset(deep, '[', 127);
	memset(deep + 127, ']', 127);
	rp_err e;
	char *got = canon_len(deep, 254, RP_JCS_SERDE, &e);
	assert_non_null(got);
	assert_memory_equal(got, deep, 254);
	free(got);
	memset(deep, '[', 128);
	memset(deep + 128, ']', 128);
	assert_null(canon_len(deep, 256, RP_JCS_SERDE, &e));
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_string_equal(e.msg, "recursion limit exceeded at line 1 column 128");
}

static void test_output_limit(void **state)
{
	(void)state;
	rp_buf b;
	rp_err e;
	rp_buf_init(&b, 10);
	rp_err_clear(&e);
	const char *in = "{\"a\":[1,2,3,4,5,6]}";
	assert_int_equal(jcs_canonicalize((const uint8_t *)in, strlen(in), RP_JCS_SERDE, &b, &e), -1);
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_int_equal(b.len, 0);
	rp_buf_free(&b);
}

/* ---------------------------------------------------------------- */

static void test_write_string_escapes(void **state)
{
	(void)state;
	char in[128];
	for (int k = 0; k < 128; k++)
		in[k] = (char)k;
	rp_buf b;
	rp_err e;
	rp_buf_init(&b, OUT_LIMIT);
	assert_int_equal(jcs_write_string(in, 128, &b, &e), 0);
	assert_int_equal(rp_buf_cstr(&b, &e), 0);
	const char *want =
		"\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
		"\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d"
		"\\u001e\\u001f !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`"
		"abcdefghijklmnopqrstuvwxyz{|}~\x7f\"";
	assert_string_equal((const char *)b.data, want);
	/* U+2028/2029, U+0080 and astral characters are raw */
	rp_buf_reset(&b);
	const char *u = "\xe2\x80\xa8\xe2\x80\xa9\xc2\x80\xf0\x9f\x98\x80";
	assert_int_equal(jcs_write_string(u, strlen(u), &b, &e), 0);
	assert_int_equal(b.len, strlen(u) + 2);
	/* invalid UTF-8 is refused and nothing is written */
	rp_buf_reset(&b);
	assert_int_equal(jcs_write_string("a\xff", 2, &b, &e), -1);
	assert_int_equal(e.code, RP_E_FORMAT);
	assert_int_equal(jcs_write_string("\xed\xa0\x80", 3, &b, &e), -1);
	assert_int_equal(jcs_write_string("\xf4\x90\x80\x80", 4, &b, &e), -1);
	assert_int_equal(jcs_write_string("\xe2\x82", 2, &b, &e), -1);
	assert_int_equal(b.len, 0);
	/* Regression (fuzzing finding 4, UBSan "applying zero offset to null
	 * pointer"): the empty string given as (NULL, 0) is "" and does no
	 * pointer arithmetic on NULL; (NULL, n > 0) is refused. */
	assert_int_equal(jcs_write_string(NULL, 0, &b, &e), 0);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\"\"", 2);
	rp_buf_reset(&b);
	assert_int_equal(jcs_write_string(NULL, 1, &b, &e), -1);
	assert_int_equal(e.code, RP_E_INTERNAL);
	rp_buf_free(&b);
}

static void test_write_built_tree(void **state)
{
	(void)state;
	jv_arena a;
	rp_err e;
	jv_arena_init(&a, 1 << 20);
	/* a manifest-like document, members given out of order */
	jv *root = jv_new_object(&a, 6, &e);
	jv *ts = jv_new_object(&a, 2, &e);
	assert_int_equal(jv_object_put(&a, ts, "value", jv_new_u64(&a, 1700000000000ULL, &e), &e), 0);
	assert_int_equal(jv_object_put(&a, ts, "kind", jv_new_str(&a, "unix_millis", 11, &e), &e), 0);
	jv *list = jv_new_array(&a, 3, &e);
	assert_int_equal(jv_array_push(list, jv_new_i64(&a, -5, &e), &e), 0);
	assert_int_equal(jv_array_push(list, jv_new_bool(&a, 1, &e), &e), 0);
	assert_int_equal(jv_array_push(list, jv_new_null(&a, &e), &e), 0);
	assert_int_equal(jv_object_put(&a, root, "tenant_id", jv_new_u64(&a, UINT64_MAX, &e), &e), 0);
	assert_int_equal(jv_object_put(&a, root, "generated_at", ts, &e), 0);
	assert_int_equal(jv_object_put(&a, root, "list", list, &e), 0);
	assert_int_equal(jv_object_put(&a, root, "name", jv_new_str(&a, "a\"b\\c\n\x01/", 8, &e), &e), 0);
	assert_int_equal(jv_object_put(&a, root, "empty", jv_new_object(&a, 0, &e), &e), 0);
	/* a later duplicate replaces the earlier member */
	assert_int_equal(jv_object_put(&a, root, "name", jv_new_str(&a, "final", 5, &e), &e), 0);

	rp_buf b;
	rp_buf_init(&b, OUT_LIMIT);
	assert_int_equal(jcs_write(root, RP_JCS_SERDE, &b, &e), 0);
	assert_int_equal(rp_buf_cstr(&b, &e), 0);
	assert_string_equal((const char *)b.data,
			    "{\"empty\":{},\"generated_at\":{\"kind\":\"unix_millis\",\"value\":1700000000000},"
			    "\"list\":[-5,true,null],\"name\":\"final\",\"tenant_id\":18446744073709551615}");
	rp_buf_reset(&b);
	assert_int_equal(jcs_write(root, RP_JCS_RFC8785, &b, &e), 0);
	assert_int_equal(rp_buf_cstr(&b, &e), 0);
	assert_string_equal((const char *)b.data,
			    "{\"empty\":{},\"generated_at\":{\"kind\":\"unix_millis\",\"value\":1700000000000},"
			    "\"list\":[-5,true,null],\"name\":\"final\",\"tenant_id\":18446744073709552000}");

	/* the written bytes parse back and are canonical */
	char *again = canon((const char *)b.data, RP_JCS_RFC8785, &e);
	assert_non_null(again);
	assert_string_equal(again, (const char *)b.data);
	free(again);

	/* escapes in a built string */
	rp_buf_reset(&b);
	jv *s = jv_new_str(&a, "a\"b\\c\n\x01/", 8, &e);
	assert_int_equal(jcs_write(s, RP_JCS_SERDE, &b, &e), 0);
	assert_int_equal(rp_buf_cstr(&b, &e), 0);
	assert_string_equal((const char *)b.data, "\"a\\\"b\\\\c\\n\\u0001/\"");

	/* invalid UTF-8 in a built key or value: refused, output restored */
	rp_buf_reset(&b);
	assert_int_equal(rp_buf_append(&b, "x", 1, &e), 0);
	jv *bad = jv_new_object(&a, 1, &e);
	assert_int_equal(jv_object_put(&a, bad, "k\xff", jv_new_null(&a, &e), &e), 0);
	assert_int_equal(jcs_write(bad, RP_JCS_SERDE, &b, &e), -1);
	assert_int_equal(e.code, RP_E_FORMAT);
	assert_int_equal(b.len, 1);
	assert_int_equal(jcs_write(bad, RP_JCS_RFC8785, &b, &e), -1);
	assert_int_equal(b.len, 1);

	/* built trees are depth-checked too: 128 levels write, 129 do not */
	jv *chain = jv_new_array(&a, 0, &e);
	for (int d = 1; d < 128; d++) {
		jv *outer = jv_new_array(&a, 1, &e);
		assert_int_equal(jv_array_push(outer, chain, &e), 0);
		chain = outer;
	}
	rp_buf_reset(&b);
	assert_int_equal(jcs_write(chain, RP_JCS_SERDE, &b, &e), 0);
	assert_int_equal(b.len, 256);
	jv *outer = jv_new_array(&a, 1, &e);
	assert_int_equal(jv_array_push(outer, chain, &e), 0);
	rp_buf_reset(&b);
	assert_int_equal(jcs_write(outer, RP_JCS_SERDE, &b, &e), -1);
	assert_int_equal(e.code, RP_E_LIMIT);
	assert_int_equal(b.len, 0);

	/* unknown mode */
	assert_int_equal(jcs_write(list, (rp_jcs_mode)7, &b, &e), -1);
	assert_int_equal(e.code, RP_E_INTERNAL);
	rp_buf_free(&b);
	jv_arena_free(&a);
}

/* ---------------------------------------------------------------- */

static void test_idempotence_corpus(void **state)
{
	(void)state;
	static const char *docs[] = {
		"  {\"z\": [1, 2.50, -0.0, 1e300, \"\\u00e9\\ud83d\\ude00\\t\"], \"\\u0001\": null,\n"
		"   \"a\": {\"y\": true, \"x\": false, \"y\": \"dup\"}, \"A\": [[], {}, [[]]]}  ",
		"[\"\\u2028\\u2029\", \"\\\\\\/\", 18446744073709551615, -9223372036854775808, 0.1, 1E-7]",
		"\"just a string with \\\" and \\\\\"",
		"{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\ue000\":3,\"\\uffff\":4,\"\\u0080\":5}",
		"true", "null", "-12.5e-3", "{}", "[]",
	};
	rp_err e;
	for (size_t k = 0; k < sizeof docs / sizeof docs[0]; k++) {
		for (int mode = 0; mode < 2; mode++) {
			char *c1 = canon(docs[k], (rp_jcs_mode)mode, &e);
			assert_non_null(c1);
			char *c2 = canon(c1, (rp_jcs_mode)mode, &e);
			assert_non_null(c2);
			assert_string_equal(c1, c2);
			/* the other mode's output is valid JSON for this one too */
			char *c3 = canon(c1, (rp_jcs_mode)(1 - mode), &e);
			assert_non_null(c3);
			free(c1);
			free(c2);
			free(c3);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_cases_both_modes),
		cmocka_unit_test(test_rfc8785_appendix_b_numbers),
		cmocka_unit_test(test_ecmascript_formatting),
		cmocka_unit_test(test_format_round_trip_property),
		cmocka_unit_test(test_rfc8785_example_object),
		cmocka_unit_test(test_rfc8785_key_sort_example),
		cmocka_unit_test(test_numbers_by_mode),
		cmocka_unit_test(test_key_order_details),
		cmocka_unit_test(test_rejections_leave_output_untouched),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_write_string_escapes),
		cmocka_unit_test(test_write_built_tree),
		cmocka_unit_test(test_idempotence_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
