/*
 * test_report.c - cmocka tests of src/child/report.c and the rp_report
 * container of src/child/verify.c.
 *
 * Why: the json and markdown renderings are Decision Gate's CLI output byte
 * for byte (spec §9 "Report serialization", §12.2), so scripts written for
 * either tool keep working; the text rendering is for terminals and must
 * escape control characters from untrusted error strings. Everything is
 * compared as exact bytes.
 * Security posture: test code; no I/O.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child/report.h"
#include "child/verify.h"
#include "common/sha256.h"

#define MD_HEAD "# Decision Gate Runpack Verification\n\n"

/* ---- helpers ------------------------------------------------------------ */

/* A report with checked files and the NULL-terminated errors. */
static void make(rp_report *r, size_t checked, const char *const *errors)
{
	rp_err err;
	rp_err_clear(&err);
	rp_report_init(r);
	r->checked_files = checked;
	for (size_t i = 0; errors != NULL && errors[i] != NULL; i++)
		assert_int_equal(rp_report_add(r, &err, "%s", errors[i]), 0);
}

/* Renders r and compares with want (exact bytes, want is NUL-terminated). */
static void expect_render(const rp_report *r, rp_report_format fmt, const char *subject, const char *want)
{
	rp_buf b;
	rp_err err;
	rp_err_clear(&err);
	rp_buf_init(&b, 1 << 24);
	assert_int_equal(rp_report_render(r, fmt, subject, &b, &err), 0);
	assert_int_equal(rp_buf_cstr(&b, &err), 0);
	assert_string_equal((const char *)b.data, want);
	assert_int_equal(b.len, strlen(want));
	rp_buf_free(&b);
}

#define ERRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- the report container ----------------------------------------------- */

static void test_report_add_and_pass(void **state)
{
	(void)state;
	rp_report r;
	rp_err err;
	rp_err_clear(&err);
	rp_report_init(&r);
	assert_int_equal(r.n_errors, 0);
	assert_int_equal(r.checked_files, 0);
	assert_true(rp_report_pass(&r));
	assert_int_equal(rp_report_add(&r, &err, "hash mismatch for %s", "artifacts/triggers.json"), 0);
	assert_int_equal(rp_report_add(&r, &err, "%d", 42), 0);
	assert_false(rp_report_pass(&r));
	assert_int_equal(r.n_errors, 2);
	assert_string_equal(r.errors[0], "hash mismatch for artifacts/triggers.json");
	assert_string_equal(r.errors[1], "42");
	rp_report_free(&r);
	assert_int_equal(r.n_errors, 0);
	assert_null(r.errors);
}

static void test_report_error_cap(void **state)
{
	(void)state;
	rp_report r;
	rp_err err;
	rp_err_clear(&err);
	rp_report_init(&r);
	for (size_t i = 0; i < RP_REPORT_MAX_ERRORS + 2; i++)
		assert_int_equal(rp_report_add(&r, &err, "e%zu", i), 0);
	assert_int_equal(r.n_errors, RP_REPORT_MAX_ERRORS);
	assert_int_equal(r.dropped, 2);
	assert_false(rp_report_pass(&r));
	assert_string_equal(r.errors[RP_REPORT_MAX_ERRORS - 1], "e9999");

	rp_buf b;
	rp_buf_init(&b, 1 << 24);
	assert_int_equal(rp_report_render(&r, RP_FMT_JSON, "x", &b, &err), 0);
	assert_int_equal(rp_buf_cstr(&b, &err), 0);
	const char *tail = "\"e9999\",\"2 further errors not listed\"],\"status\":\"fail\"}\n";
	assert_string_equal((const char *)b.data + b.len - strlen(tail), tail);
	rp_buf_reset(&b);
	assert_int_equal(rp_report_render(&r, RP_FMT_MARKDOWN, "x", &b, &err), 0);
	assert_int_equal(rp_buf_cstr(&b, &err), 0);
	tail = "- e9999\n- 2 further errors not listed\n\n";
	assert_string_equal((const char *)b.data + b.len - strlen(tail), tail);
	rp_buf_reset(&b);
	assert_int_equal(rp_report_render(&r, RP_FMT_TEXT, "x", &b, &err), 0);
	assert_int_equal(rp_buf_cstr(&b, &err), 0);
	assert_int_equal(strncmp((const char *)b.data, "FAIL x: 0 files checked, 10002 error(s)\n  - e0\n", 47), 0);
	tail = "  - e9999\n  - 2 further errors not listed\n";
	assert_string_equal((const char *)b.data + b.len - strlen(tail), tail);
	rp_buf_free(&b);
	rp_report_free(&r);
}

/* ---- json --------------------------------------------------------------- */

static void test_json_pass(void **state)
{
	(void)state;
	rp_report r;
	make(&r, 8, NULL);
	expect_render(&r, RP_FMT_JSON, "runpack", "{\"checked_files\":8,\"errors\":[],\"status\":\"pass\"}\n");
	rp_report_free(&r);
}

static void test_jcs_is_decision_gates_report(void **state)
{
	(void)state;
	/* the golden runpack's stored verifier_report.json (spec §5.1): 47
	 * bytes, no newline, sha256 62cf8027... */
	rp_report r;
	rp_buf b;
	rp_err err;
	char hex[65];
	rp_err_clear(&err);
	make(&r, 7, NULL);
	rp_buf_init(&b, 1024);
	assert_int_equal(rp_report_jcs(&r, &b, &err), 0);
	assert_int_equal(b.len, 47);
	assert_memory_equal(b.data, "{\"checked_files\":7,\"errors\":[],\"status\":\"pass\"}", 47);
	rp_sha256_hex(b.data, b.len, hex);
	assert_string_equal(hex, "62cf8027f5db7c74963331768ce38fb9684e227460e97adab6d61f21d2cf7a5a");
	rp_buf_free(&b);
	rp_report_free(&r);
}

static void test_json_fail(void **state)
{
	(void)state;
	rp_report r;
	make(&r, 8, ERRS("hash mismatch for artifacts/triggers.json", "root hash mismatch"));
	expect_render(&r, RP_FMT_JSON, "runpack",
		      "{\"checked_files\":8,\"errors\":[\"hash mismatch for artifacts/triggers.json\",\"root hash mismatch\"],"
		      "\"status\":\"fail\"}\n");
	rp_report_free(&r);
	make(&r, 0, ERRS("unsupported manifest version: v2"));
	expect_render(&r, RP_FMT_JSON, "runpack",
		      "{\"checked_files\":0,\"errors\":[\"unsupported manifest version: v2\"],\"status\":\"fail\"}\n");
	rp_report_free(&r);
}

static void test_json_escaping(void **state)
{
	(void)state;
	rp_report r;
	/* JCS string rules (spec §4.2): named escapes, lower-case \u00xx for
	 * the other controls, everything else (/, DEL, non-ASCII) raw */
	make(&r, 1,
	     ERRS("duplicate field `run_id` \"quoted\" back\\slash",
		  "ctl \b\t\n\f\r \x01\x0b\x1f end",
		  "raw / \x7f sc\xc3\xa9n \xe2\x80\xa8 \xf0\x9f\x98\x80"));
	expect_render(&r, RP_FMT_JSON, "runpack",
		      "{\"checked_files\":1,\"errors\":["
		      "\"duplicate field `run_id` \\\"quoted\\\" back\\\\slash\","
		      "\"ctl \\b\\t\\n\\f\\r \\u0001\\u000b\\u001f end\","
		      "\"raw / \x7f sc\xc3\xa9n \xe2\x80\xa8 \xf0\x9f\x98\x80\""
		      "],\"status\":\"fail\"}\n");
	rp_report_free(&r);
}

/* ---- markdown ----------------------------------------------------------- */

static void test_markdown_pass(void **state)
{
	(void)state;
	rp_report r;
	make(&r, 8, NULL);
	expect_render(&r, RP_FMT_MARKDOWN, "runpack",
		      "# Decision Gate Runpack Verification\n\n- Status: pass\n- Checked files: 8\n\n## Errors\n- None\n\n");
	rp_report_free(&r);
}

static void test_markdown_fail(void **state)
{
	(void)state;
	rp_report r;
	make(&r, 8, ERRS("hash mismatch for artifacts/triggers.json", "root hash mismatch"));
	expect_render(&r, RP_FMT_MARKDOWN, "runpack",
		      MD_HEAD "- Status: fail\n- Checked files: 8\n\n## Errors\n"
			      "- hash mismatch for artifacts/triggers.json\n- root hash mismatch\n\n");
	rp_report_free(&r);
	make(&r, 0, ERRS("failed to read runpack manifest manifest.json: artifact error: unable to read artifact metadata"));
	expect_render(&r, RP_FMT_MARKDOWN, "runpack",
		      MD_HEAD "- Status: fail\n- Checked files: 0\n\n## Errors\n"
			      "- failed to read runpack manifest manifest.json: artifact error: unable to read artifact "
			      "metadata\n\n");
	rp_report_free(&r);
}

/* ---- text --------------------------------------------------------------- */

static void test_text_pass_and_fail(void **state)
{
	(void)state;
	rp_report r;
	make(&r, 8, NULL);
	expect_render(&r, RP_FMT_TEXT, "runs/golden", "PASS runs/golden: 8 files checked, no errors\n");
	rp_report_free(&r);
	make(&r, 8, ERRS("hash mismatch for artifacts/triggers.json", "root hash mismatch"));
	expect_render(&r, RP_FMT_TEXT, "runs/golden",
		      "FAIL runs/golden: 8 files checked, 2 error(s)\n"
		      "  - hash mismatch for artifacts/triggers.json\n"
		      "  - root hash mismatch\n");
	rp_report_free(&r);
}

static void test_text_escapes_control_characters(void **state)
{
	(void)state;
	rp_report r;
	/* an error string that would clear the screen and fake a second line */
	make(&r, 3, ERRS("hash mismatch for a\x1b[2J\nPASS fake\r\x7f", "bad utf8 \xff\xc0\xaf ok \xc3\xa9"));
	expect_render(&r, RP_FMT_TEXT, "dir\x1b]0;title\x07",
		      "FAIL dir\\x1b]0;title\\x07: 3 files checked, 2 error(s)\n"
		      "  - hash mismatch for a\\x1b[2J\\x0aPASS fake\\x0d\\x7f\n"
		      "  - bad utf8 \\xff\\xc0\\xaf ok \xc3\xa9\n");
	rp_report_free(&r);
	make(&r, 0, NULL);
	expect_render(&r, RP_FMT_TEXT, "a\tb", "PASS a\\x09b: 0 files checked, no errors\n");
	rp_report_free(&r);
}

static void test_unknown_format(void **state)
{
	(void)state;
	rp_report r;
	rp_buf b;
	rp_err err;
	rp_err_clear(&err);
	make(&r, 0, NULL);
	rp_buf_init(&b, 1024);
	assert_int_equal(rp_report_render(&r, (rp_report_format)7, "x", &b, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
	assert_string_equal(err.msg, "unknown report format 7");
	rp_buf_free(&b);
	rp_report_free(&r);
}

static void test_output_buffer_limit(void **state)
{
	(void)state;
	/* a buffer too small for the report fails cleanly */
	rp_report r;
	rp_buf b;
	rp_err err;
	rp_err_clear(&err);
	make(&r, 8, ERRS("hash mismatch for artifacts/triggers.json"));
	rp_buf_init(&b, 16);
	assert_int_equal(rp_report_render(&r, RP_FMT_JSON, "x", &b, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_true(b.len <= 16);
	rp_buf_free(&b);
	rp_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_add_and_pass),
		cmocka_unit_test(test_report_error_cap),
		cmocka_unit_test(test_json_pass),
		cmocka_unit_test(test_jcs_is_decision_gates_report),
		cmocka_unit_test(test_json_fail),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_markdown_pass),
		cmocka_unit_test(test_markdown_fail),
		cmocka_unit_test(test_text_pass_and_fail),
		cmocka_unit_test(test_text_escapes_control_characters),
		cmocka_unit_test(test_unknown_format),
		cmocka_unit_test(test_output_buffer_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
