/*
 * test_path.c - cmocka tests of src/common/path.c.
 *
 * Why: rp_path_check is the one canonical-path rule both the child and the
 * broker apply to every path taken from a manifest; a hole here is a way
 * out of the runpack root. rp_path_reason must keep Decision Gate's own
 * words for absolute and ".." paths (reports are compared across tools),
 * and rp_printable is what stops untrusted bytes from reaching a terminal
 * or a log unescaped. Every status is driven, with its boundaries
 * (4096/4097 bytes in all, 255/256 bytes per component).
 * Security posture: test code; pure string functions, no I/O.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/limits.h"
#include "common/path.h"

/* ---- helpers ------------------------------------------------------------ */

/* Checks a NUL-terminated path. */
static rp_path_status chk(const char *p)
{
	return rp_path_check(p, strlen(p));
}

/* A canonical path of exactly total bytes: components of at most seg
 * bytes of 'a', separated by '/', never ending in '/'. */
static char *make_path(size_t total, size_t seg)
{
	char *p = malloc(total + 1);
	assert_non_null(p);
	memset(p, 'a', total);
	for (size_t i = seg; i < total; i += seg + 1) {
		if (i == total - 1)
			i--; /* shorten this component by one instead of ending in '/' */
		p[i] = '/';
	}
	p[total] = '\0';
	return p;
}

/* Longest component of p. */
static size_t longest(const char *p)
{
	size_t best = 0, cur = 0;
	for (; *p; p++) {
		cur = *p == '/' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static char *printable(const char *p, size_t len, size_t outsz)
{
	static char out[4096];
	assert_true(outsz <= sizeof out);
	memset(out, 'Z', sizeof out);
	char *r = rp_printable(p, len, out, outsz);
	assert_ptr_equal(r, out);
	assert_true(strlen(out) < outsz);
	for (size_t i = outsz; i < sizeof out; i++) /* nothing written past outsz */
		if (out[i] != 'Z')
			fail_msg("rp_printable wrote byte %zu of a %zu-byte buffer", i, outsz);
	return out;
}

#define PR(lit) printable((lit), sizeof(lit) - 1, 256)

/* ---- rp_path_check ------------------------------------------------------ */

static void test_ok_paths(void **state)
{
	(void)state;
	assert_int_equal(chk("manifest.json"), RP_PATH_OK);
	assert_int_equal(chk("artifacts/decisions.json"), RP_PATH_OK);
	assert_int_equal(chk("x/.hidden"), RP_PATH_OK);
	assert_int_equal(chk("a/..b/c.."), RP_PATH_OK);
	assert_int_equal(chk("a/.../b"), RP_PATH_OK);
	assert_int_equal(chk("sc\xc3\xa9n ario/r\xe2\x82\xac"), RP_PATH_OK);
	assert_int_equal(chk("a"), RP_PATH_OK);
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(rp_path_check("", 0), RP_PATH_EMPTY);
	/* the length decides, not the terminator */
	assert_int_equal(rp_path_check("abc", 0), RP_PATH_EMPTY);
}

static void test_absolute(void **state)
{
	(void)state;
	assert_int_equal(chk("/abs"), RP_PATH_ABSOLUTE);
	assert_int_equal(chk("/"), RP_PATH_ABSOLUTE);
	assert_int_equal(chk("//a"), RP_PATH_ABSOLUTE);
	assert_int_equal(chk("/../x"), RP_PATH_ABSOLUTE);
}

static void test_traversal(void **state)
{
	(void)state;
	assert_int_equal(chk(".."), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("../x"), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("a/../b"), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("a/.."), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("../_outside/empty_array.json"), RP_PATH_TRAVERSAL);
	/* ".." wins over every other defect so Decision Gate's words are used */
	assert_int_equal(chk("a\\b/../c"), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("./../x"), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("a//../x"), RP_PATH_TRAVERSAL);
	assert_int_equal(chk("a\x01/.."), RP_PATH_TRAVERSAL);
}

static void test_dot(void **state)
{
	(void)state;
	assert_int_equal(chk("."), RP_PATH_DOT);
	assert_int_equal(chk("./a"), RP_PATH_DOT);
	assert_int_equal(chk("a/./b"), RP_PATH_DOT);
	assert_int_equal(chk("a/."), RP_PATH_DOT);
}

static void test_empty_segment(void **state)
{
	(void)state;
	assert_int_equal(chk("a//b"), RP_PATH_EMPTY_SEGMENT);
	assert_int_equal(chk("a/"), RP_PATH_EMPTY_SEGMENT);
	assert_int_equal(chk("artifacts/"), RP_PATH_EMPTY_SEGMENT);
	assert_int_equal(chk("a/b//"), RP_PATH_EMPTY_SEGMENT);
}

static void test_backslash(void **state)
{
	(void)state;
	assert_int_equal(chk("a\\b"), RP_PATH_BACKSLASH);
	assert_int_equal(chk("\\"), RP_PATH_BACKSLASH);
	assert_int_equal(chk("artifacts\\..\\x"), RP_PATH_BACKSLASH);
	assert_int_equal(chk("C:\\x"), RP_PATH_BACKSLASH);
}

static void test_control(void **state)
{
	(void)state;
	assert_int_equal(chk("a\x01" "b"), RP_PATH_CONTROL);
	assert_int_equal(chk("a\nb"), RP_PATH_CONTROL);
	assert_int_equal(chk("a\tb"), RP_PATH_CONTROL);
	assert_int_equal(chk("a\x1f"), RP_PATH_CONTROL);
	assert_int_equal(chk("a\x7f"), RP_PATH_CONTROL);
	assert_int_equal(chk("\x1b[31m"), RP_PATH_CONTROL);
	/* 0x80.. are not control characters here */
	assert_int_equal(chk("a\xc2\x85" "b"), RP_PATH_OK);
}

static void test_nul_inside_length(void **state)
{
	(void)state;
	assert_int_equal(rp_path_check("a\0b", 3), RP_PATH_CONTROL);
	assert_int_equal(rp_path_check("artifacts/x.json\0", 17), RP_PATH_CONTROL);
	assert_int_equal(rp_path_check("\0", 1), RP_PATH_CONTROL);
	/* the same bytes with the NUL outside the length are fine */
	assert_int_equal(rp_path_check("artifacts/x.json\0", 16), RP_PATH_OK);
}

static void test_total_length_boundary(void **state)
{
	(void)state;
	char *p = make_path(RP_MAX_PATH_TOTAL, 200);
	assert_int_equal(strlen(p), 4096);
	assert_int_equal(rp_path_check(p, 4096), RP_PATH_OK);
	free(p);
	p = make_path(RP_MAX_PATH_TOTAL + 1, 200);
	assert_int_equal(strlen(p), 4097);
	assert_int_equal(rp_path_check(p, 4097), RP_PATH_TOO_LONG);
	free(p);
	/* made of maximal components, too */
	p = make_path(RP_MAX_PATH_TOTAL, 255);
	assert_int_equal(longest(p), 255);
	assert_int_equal(rp_path_check(p, 4096), RP_PATH_OK);
	free(p);
	p = make_path(RP_MAX_PATH_TOTAL + 1, 255);
	assert_int_equal(longest(p), 255);
	assert_int_equal(rp_path_check(p, 4097), RP_PATH_TOO_LONG);
	free(p);
}

static void test_component_length_boundary(void **state)
{
	(void)state;
	char buf[600];
	memset(buf, 'c', 255);
	buf[255] = '\0';
	assert_int_equal(chk(buf), RP_PATH_OK);
	memset(buf, 'c', 256);
	buf[256] = '\0';
	assert_int_equal(chk(buf), RP_PATH_SEGMENT_TOO_LONG);
	/* inside a longer path, first and last position */
	snprintf(buf, sizeof buf, "a/%0256d/b", 0);
	assert_int_equal(chk(buf), RP_PATH_SEGMENT_TOO_LONG);
	snprintf(buf, sizeof buf, "a/%0255d/b", 0);
	assert_int_equal(chk(buf), RP_PATH_OK);
	snprintf(buf, sizeof buf, "a/%0256d", 0);
	assert_int_equal(chk(buf), RP_PATH_SEGMENT_TOO_LONG);
	/* 255 two-byte characters are 510 bytes: the limit is in bytes */
	char u[520];
	for (int i = 0; i < 128; i++)
		memcpy(u + 2 * i, "\xc3\xa9", 2);
	u[256] = '\0';
	assert_int_equal(chk(u), RP_PATH_SEGMENT_TOO_LONG);
	u[254] = '\0';
	assert_int_equal(chk(u), RP_PATH_OK);
}

/* ---- rp_path_reason / rp_path_validate ---------------------------------- */

static void test_reasons(void **state)
{
	(void)state;
	/* Decision Gate's exact words */
	assert_string_equal(rp_path_reason(RP_PATH_ABSOLUTE), "absolute artifact path not allowed");
	assert_string_equal(rp_path_reason(RP_PATH_TRAVERSAL), "artifact path escapes runpack root");
	assert_string_equal(rp_path_reason(RP_PATH_TOO_LONG), "runpack path exceeds limit");
	assert_string_equal(rp_path_reason(RP_PATH_SEGMENT_TOO_LONG), "runpack path component too long");
	assert_string_equal(rp_path_reason(RP_PATH_EMPTY), "path must be set");
	/* rpvault's own (docs/format-strictness.md) */
	assert_string_equal(rp_path_reason(RP_PATH_DOT), "non-canonical artifact path: '.' component");
	assert_string_equal(rp_path_reason(RP_PATH_EMPTY_SEGMENT), "non-canonical artifact path: empty component");
	assert_string_equal(rp_path_reason(RP_PATH_BACKSLASH), "non-canonical artifact path: backslash");
	assert_string_equal(rp_path_reason(RP_PATH_CONTROL), "non-canonical artifact path: control character");
	assert_string_equal(rp_path_reason(RP_PATH_OK), "ok");
	assert_string_equal(rp_path_reason((rp_path_status)999), "invalid path");
}

static void test_validate(void **state)
{
	(void)state;
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_path_validate("artifacts/x.json", 16, "artifact path", &err), 0);
	assert_int_equal(err.code, RP_OK);

	assert_int_equal(rp_path_validate("../x", 4, "artifact path", &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	assert_string_equal(err.msg, "artifact path '../x': artifact path escapes runpack root");

	assert_int_equal(rp_path_validate("/etc/passwd", 11, "manifest name", &err), -1);
	assert_string_equal(err.msg, "manifest name '/etc/passwd': absolute artifact path not allowed");

	assert_int_equal(rp_path_validate("", 0, "artifact path", &err), -1);
	assert_string_equal(err.msg, "artifact path '': path must be set");

	/* the path in the message is made printable */
	assert_int_equal(rp_path_validate("a\x1b[2Jb", 6, "artifact path", &err), -1);
	assert_string_equal(err.msg, "artifact path 'a\\x1b[2Jb': non-canonical artifact path: control character");
	assert_int_equal(rp_path_validate("a\0b", 3, "p", &err), -1);
	assert_string_equal(err.msg, "p 'a\\x00b': non-canonical artifact path: control character");
	assert_int_equal(rp_path_validate("a\xff/./b", 6, "p", &err), -1);
	assert_string_equal(err.msg, "p 'a\\xff/./b': non-canonical artifact path: '.' component");
}

static void test_validate_long_path_is_truncated(void **state)
{
	(void)state;
	char *p = make_path(RP_MAX_PATH_TOTAL + 1, 100);
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_path_validate(p, strlen(p), "artifact path", &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	/* bounded: the message shows a prefix of the path and "..." */
	assert_true(strlen(err.msg) < 400);
	assert_non_null(strstr(err.msg, "...': runpack path exceeds limit"));
	assert_int_equal(strncmp(err.msg, "artifact path 'aaaa", 19), 0);
	free(p);
}

/* ---- rp_printable ------------------------------------------------------- */

static void test_printable_plain(void **state)
{
	(void)state;
	assert_string_equal(PR("artifacts/decisions.json"), "artifacts/decisions.json");
	assert_string_equal(PR(""), "");
	assert_string_equal(PR(" !~\"'\\"), " !~\"'\\");
}

static void test_printable_control(void **state)
{
	(void)state;
	assert_string_equal(PR("a\x01" "b"), "a\\x01b");
	assert_string_equal(PR("\n\r\t"), "\\x0a\\x0d\\x09");
	assert_string_equal(PR("\x1b[31mred"), "\\x1b[31mred");
	assert_string_equal(PR("\x7f"), "\\x7f");
	assert_string_equal(PR("\x1f "), "\\x1f ");
	assert_string_equal(printable("a\0b", 3, 64), "a\\x00b");
}

static void test_printable_valid_utf8_kept(void **state)
{
	(void)state;
	assert_string_equal(PR("sc\xc3\xa9n"), "sc\xc3\xa9n");                 /* U+00E9 */
	assert_string_equal(PR("\xc2\x80"), "\xc2\x80");                       /* U+0080, lowest 2-byte */
	assert_string_equal(PR("\xdf\xbf"), "\xdf\xbf");                       /* U+07FF */
	assert_string_equal(PR("\xe0\xa0\x80"), "\xe0\xa0\x80");               /* U+0800, lowest 3-byte */
	assert_string_equal(PR("\xe2\x82\xac"), "\xe2\x82\xac");               /* U+20AC */
	assert_string_equal(PR("\xed\x9f\xbf"), "\xed\x9f\xbf");               /* U+D7FF */
	assert_string_equal(PR("\xee\x80\x80"), "\xee\x80\x80");               /* U+E000 */
	assert_string_equal(PR("\xef\xbf\xbf"), "\xef\xbf\xbf");               /* U+FFFF */
	assert_string_equal(PR("\xf0\x90\x80\x80"), "\xf0\x90\x80\x80");       /* U+10000 */
	assert_string_equal(PR("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");       /* U+1F600 */
	assert_string_equal(PR("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");       /* U+10FFFF */
}

static void test_printable_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(PR("\xff"), "\\xff");
	assert_string_equal(PR("\xfe\xfe"), "\\xfe\\xfe");
	assert_string_equal(PR("\x80"), "\\x80");                 /* lone continuation */
	assert_string_equal(PR("a\xbf" "b"), "a\\xbfb");
	assert_string_equal(PR("\xc3"), "\\xc3");                 /* truncated at the end */
	assert_string_equal(PR("\xc3(" ), "\\xc3(");              /* bad continuation */
	assert_string_equal(PR("\xe2\x82"), "\\xe2\\x82");        /* truncated 3-byte */
	assert_string_equal(PR("\xe2\x82" "a"), "\\xe2\\x82a");
	assert_string_equal(PR("\xf0\x9f\x98"), "\\xf0\\x9f\\x98"); /* truncated 4-byte */
	assert_string_equal(PR("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
	assert_string_equal(PR("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
}

static void test_printable_overlong(void **state)
{
	(void)state;
	assert_string_equal(PR("\xc0\xaf"), "\\xc0\\xaf");                 /* '/' in 2 bytes */
	assert_string_equal(PR("\xc1\xbf"), "\\xc1\\xbf");
	assert_string_equal(PR("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");         /* '/' in 3 bytes */
	assert_string_equal(PR("\xe0\x9f\xbf"), "\\xe0\\x9f\\xbf");         /* U+07FF in 3 bytes */
	assert_string_equal(PR("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf"); /* '/' in 4 bytes */
	assert_string_equal(PR("\xf0\x8f\xbf\xbf"), "\\xf0\\x8f\\xbf\\xbf"); /* U+FFFF in 4 bytes */
	assert_string_equal(PR("\xc0\x80"), "\\xc0\\x80");                 /* modified-UTF-8 NUL */
}

static void test_printable_surrogates(void **state)
{
	(void)state;
	assert_string_equal(PR("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* U+D800 */
	assert_string_equal(PR("\xed\xbf\xbf"), "\\xed\\xbf\\xbf"); /* U+DFFF */
	assert_string_equal(PR("\xed\xa0\xbd\xed\xb8\x80"),         /* CESU-8 pair */
			    "\\xed\\xa0\\xbd\\xed\\xb8\\x80");
}

static void test_printable_truncation(void **state)
{
	(void)state;
	/* up to outsz-4 bytes always fit whole */
	assert_string_equal(printable("abcd", 4, 8), "abcd");
	/* longer input is cut with "..." and never exceeds outsz-1 */
	assert_string_equal(printable("abcdefghij", 10, 8), "abcd...");
	assert_string_equal(printable("abc", 3, 5), "a...");
	assert_string_equal(printable("abc", 3, 4), "...");
	/* below 4 bytes there is no room for "..." (and no byte past outsz) */
	assert_string_equal(printable("abc", 3, 3), "");
	assert_string_equal(printable("abc", 3, 2), "");
	assert_string_equal(printable("abc", 3, 1), "");
	/* an escape is never split */
	assert_string_equal(printable("\x01\x01\x01", 3, 10), "\\x01...");
	/* nor is a multi-byte character */
	assert_string_equal(printable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 8), "\xc3\xa9\xc3\xa9...");
	assert_string_equal(printable("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8, 10), "\xf0\x9f\x98\x80...");
	/* a long run of invalid bytes stays bounded */
	char junk[1000];
	memset(junk, 0xff, sizeof junk);
	char *s = printable(junk, sizeof junk, 100);
	assert_int_equal(strlen(s), 99); /* 24 escapes + "..." */
	assert_int_equal(strncmp(s, "\\xff\\xff", 8), 0);
	assert_string_equal(s + 96, "...");
}

/* rp_utf8_clean keeps control characters for a JSON writer to escape and
 * only replaces invalid UTF-8 (and NUL), e.g. a message cut mid-sequence. */
static void test_utf8_clean(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(rp_utf8_clean("a\nb\tc", 5, out, sizeof out), "a\nb\tc");
	assert_string_equal(rp_utf8_clean("caf\xc3", 4, out, sizeof out), "caf\\xc3");
	assert_string_equal(rp_utf8_clean("x\0y", 3, out, sizeof out), "x\\x00y");
	assert_string_equal(rp_utf8_clean("\xe2\x82\xac", 3, out, sizeof out), "\xe2\x82\xac");
}

static void test_printable_outsz_zero(void **state)
{
	(void)state;
	char out[4] = "XYZ";
	assert_ptr_equal(rp_printable("abc", 3, out, 0), out);
	assert_string_equal(out, "XYZ"); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_paths),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_empty_segment),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_nul_inside_length),
		cmocka_unit_test(test_total_length_boundary),
		cmocka_unit_test(test_component_length_boundary),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_validate_long_path_is_truncated),
		cmocka_unit_test(test_printable_plain),
		cmocka_unit_test(test_printable_control),
		cmocka_unit_test(test_printable_valid_utf8_kept),
		cmocka_unit_test(test_printable_invalid_utf8),
		cmocka_unit_test(test_printable_overlong),
		cmocka_unit_test(test_printable_surrogates),
		cmocka_unit_test(test_printable_truncation),
		cmocka_unit_test(test_printable_outsz_zero),
		cmocka_unit_test(test_utf8_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
