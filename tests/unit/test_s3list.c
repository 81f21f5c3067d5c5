/*
 * test_s3list.c - cmocka tests of the child's object-store listing
 * (src/child/s3list.c) and error-answer parsing (src/child/store_err.c).
 *
 * Why: `ls` on a bucket groups raw ListObjectsV2 keys into runpacks, and
 * every object-store failure the user sees is composed from an untrusted
 * XML body; both run in the confined child and both decide exit codes
 * (complete/incomplete, not found vs. store misconfigured).
 * The paging loop is driven through a scripted rp_io whose list_page
 * returns canned pages, so truncation, tokens and loops are exercised
 * without a server (the real server is in tests/system/test_s3_store.sh).
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

#include "child/s3list.h"
#include "child/store_err.h"

#define H "5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8"
#define P1 "tenant/1/namespace/7/scenario/s/run/r1/spec/sha256/" H "/"
#define P2 "tenant/1/namespace/7/scenario/s/run/r2/spec/sha256/" H "/"

typedef struct seen {
	char prefix[8][512];
	int manifest[8];
	int n;
} seen;

static int collect(void *ctx, const rp_list_entry *e, rp_err *err)
{
	(void)err;
	seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->prefix[s->n], sizeof s->prefix[0], "%s", e->prefix);
		s->manifest[s->n] = e->has_manifest;
	}
	s->n++;
	return 0;
}

static void feed(rp_s3_group *g, const char *key)
{
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_group_key(g, key, strlen(key), &err), 0);
}

static void test_group_basic(void **state)
{
	(void)state;
	seen s = { 0 };
	rp_s3_group g;
	rp_err err;
	rp_err_clear(&err);
	rp_s3_group_init(&g, "dg/", collect, &s);
	feed(&g, "dg/" P1 "artifacts/a.json");
	feed(&g, "dg/" P1 "manifest.json");
	feed(&g, "dg/" P2 "artifacts/a.json");
	feed(&g, "dg/tenant/1/short");            /* not a runpack key: skipped */
	assert_int_equal(rp_s3_group_finish(&g, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.prefix[0], P1);
	assert_int_equal(s.manifest[0], 1);
	assert_string_equal(s.prefix[1], P2);
	assert_int_equal(s.manifest[1], 0);
}

static void test_group_runpack_json_and_nested(void **state)
{
	(void)state;
	seen s = { 0 };
	rp_s3_group g;
	rp_err err;
	rp_err_clear(&err);
	rp_s3_group_init(&g, "", collect, &s);
	feed(&g, P1 "artifacts/manifest.json"); /* not directly under the prefix */
	assert_int_equal(rp_s3_group_finish(&g, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.manifest[0], 0);
	memset(&s, 0, sizeof s);
	rp_s3_group_init(&g, "", collect, &s);
	feed(&g, P1 "runpack.json");
	assert_int_equal(rp_s3_group_finish(&g, &err), 0);
	assert_int_equal(s.manifest[0], 1);
}

static void test_group_outside_prefix(void **state)
{
	(void)state;
	seen s = { 0 };
	rp_s3_group g;
	rp_err err;
	rp_err_clear(&err);
	rp_s3_group_init(&g, "dg/", collect, &s);
	assert_int_equal(rp_s3_group_key(&g, "other/" P1 "x", strlen("other/" P1 "x"), &err), -1);
	assert_int_equal(err.code, RP_E_STORE);
	assert_non_null(strstr(err.msg, "outside the prefix"));
}

static void test_root_prefix_of(void **state)
{
	(void)state;
	char out[64];
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_root_prefix_of("s3://b", out, sizeof out, &err), 0);
	assert_string_equal(out, "");
	assert_int_equal(rp_s3_root_prefix_of("s3://b/dg/runpacks", out, sizeof out, &err), 0);
	assert_string_equal(out, "dg/runpacks/");
	assert_int_equal(rp_s3_root_prefix_of("s3://b/root/", out, sizeof out, &err), 0);
	assert_string_equal(out, "root//");
	assert_int_equal(rp_s3_root_prefix_of("file:///x", out, sizeof out, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
}

/* ---- paging through a scripted rp_io --------------------------------------- */

typedef struct pager {
	const char *const *pages;
	int n, next;
	char tokens[8][64];
} pager;

static int pg_list_page(void *self, const char *token, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	pager *p = self;
	if (p->next >= p->n)
		return rp_err_set(err, RP_E_INTERNAL, "no more pages");
	snprintf(p->tokens[p->next], sizeof p->tokens[0], "%s", token);
	const char *b = p->pages[p->next++];
	return fn(fnctx, (const uint8_t *)b, strlen(b), err);
}

static const rp_io_ops pager_ops = { .list_page = pg_list_page };

#define LIST_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name><Prefix></Prefix>"

static void test_paging(void **state)
{
	(void)state;
	const char *pages[] = {
		LIST_HEAD "<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>T1</NextContinuationToken>"
			  "<Contents><Key>" P1 "artifacts/a.json</Key><Size>3</Size></Contents>"
			  "<Contents><Key>" P1 "artifacts/b.json</Key><Size>3</Size></Contents></ListBucketResult>",
		LIST_HEAD "<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
			  "<Contents><Key>" P1 "manifest.json</Key><Size>3</Size></Contents>"
			  "<Contents><Key>" P2 "artifacts/a.json</Key><Size>3</Size></Contents></ListBucketResult>",
	};
	pager p = { pages, 2, 0, { { 0 } } };
	rp_io io = { &pager_ops, &p };
	seen s = { 0 };
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_list_runpacks(&io, "", collect, &s, &err), 0);
	assert_string_equal(p.tokens[0], "");
	assert_string_equal(p.tokens[1], "T1");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.manifest[0], 1); /* the group spans the page boundary */
	assert_int_equal(s.manifest[1], 0);
}

static void test_paging_bad(void **state)
{
	(void)state;
	const char *loop[] = {
		LIST_HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>T</NextContinuationToken></ListBucketResult>",
		LIST_HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>T</NextContinuationToken></ListBucketResult>",
	};
	pager p = { loop, 2, 0, { { 0 } } };
	rp_io io = { &pager_ops, &p };
	seen s = { 0 };
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_list_runpacks(&io, "", collect, &s, &err), -1);
	assert_non_null(strstr(err.msg, "repeats a continuation token"));

	const char *bad[] = { "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>" };
	pager q = { bad, 1, 0, { { 0 } } };
	io.self = &q;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_list_runpacks(&io, "", collect, &s, &err), -1);
	assert_non_null(strstr(err.msg, "listing page 1"));

	/* A token longer than the broker would accept in LIST_PAGE_REQ. */
	static char longtok[2048];
	int n = snprintf(longtok, sizeof longtok, "%s<IsTruncated>true</IsTruncated><NextContinuationToken>", LIST_HEAD);
	memset(longtok + n, 'T', RP_MAX_STORE_TOKEN + 1);
	snprintf(longtok + n + RP_MAX_STORE_TOKEN + 1, sizeof longtok - (size_t)n - RP_MAX_STORE_TOKEN - 1,
		 "</NextContinuationToken></ListBucketResult>");
	const char *notoken[] = { longtok };
	pager t = { notoken, 1, 0, { { 0 } } };
	io.self = &t;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_list_runpacks(&io, "", collect, &s, &err), -1);
	assert_non_null(strstr(err.msg, "without a usable continuation token"));

	const char *doctype[] = { "<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult/>" };
	pager r = { doctype, 1, 0, { { 0 } } };
	io.self = &r;
	rp_err_clear(&err);
	assert_int_equal(rp_s3_list_runpacks(&io, "", collect, &s, &err), -1);
}

/* ---- error answers ----------------------------------------------------------- */

static void compose(uint32_t code, uint32_t status, const char *body, rp_err *err)
{
	const char *what = "GET s3://b/k";
	rp_err_clear(err);
	rp_store_err_compose(code, status, what, strlen(what), (const uint8_t *)body, strlen(body), err);
}

static void test_store_err(void **state)
{
	(void)state;
	rp_err err;
	compose(RP_E_STORE, 403,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
		"<Message>The request signature we calculated does not match</Message><RequestId>x</RequestId></Error>",
		&err);
	assert_int_equal(err.code, RP_E_STORE);
	assert_string_equal(err.msg, "object store: GET s3://b/k: HTTP 403 SignatureDoesNotMatch: The request "
				     "signature we calculated does not match");
	compose(RP_E_NOTFOUND, 404, "<Error><Code>NoSuchKey</Code></Error>", &err);
	assert_int_equal(err.code, RP_E_NOTFOUND);
	assert_string_equal(err.msg, "object store: GET s3://b/k: HTTP 404 NoSuchKey");
	compose(RP_E_NOTFOUND, 404, "<Error><Code>NoSuchBucket</Code><BucketName>b</BucketName></Error>", &err);
	assert_int_equal(err.code, RP_E_STORE);
	compose(RP_E_NOTFOUND, 404, "<Error><Code>ObjectLockConfigurationNotFoundError</Code></Error>", &err);
	assert_int_equal(err.code, RP_E_NOTFOUND);
	compose(RP_E_STORE, 500, "", &err);
	assert_string_equal(err.msg, "object store: GET s3://b/k: HTTP 500");
	compose(RP_E_STORE, 502, "<html>bad gateway</html>", &err);
	assert_int_equal(err.code, RP_E_STORE);
	assert_non_null(strstr(err.msg, "HTTP 502 (error body not understood:"));
	/* Control bytes from the body never reach the message raw. */
	compose(RP_E_STORE, 400, "<Error><Code>Bad&#27;[31m</Code><Message>a&#10;b</Message></Error>", &err);
	assert_null(strchr(err.msg, 0x1b));
	assert_null(strchr(err.msg, '\n'));
	/* An out-of-range code from a (buggy) broker is still a store error. */
	compose(999, 400, "", &err);
	assert_int_equal(err.code, RP_E_STORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_basic),
		cmocka_unit_test(test_group_runpack_json_and_nested),
		cmocka_unit_test(test_group_outside_prefix),
		cmocka_unit_test(test_root_prefix_of),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_paging_bad),
		cmocka_unit_test(test_store_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
