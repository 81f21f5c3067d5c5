/*
 * test_sigv4.c - cmocka tests of src/broker/sigv4.c (AWS SigV4 for S3).
 *
 * Why: a signer is right only if it reproduces AWS's own published
 * signatures byte for byte. The four examples of the S3 API reference
 * "Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk" (GET Object with Range, PUT Object, GET Bucket
 * Lifecycle, GET Bucket (List Objects); access key AKIAIOSFODNN7EXAMPLE,
 * 20130524T000000Z, us-east-1, bucket examplebucket) are reproduced here,
 * with the GET example's canonical request and string to sign compared as
 * text, plus the signing-key derivation example of the SigV4 general
 * reference. Around them: S3 URI encoding (spaces, UTF-8, '+', '*', '~',
 * '/'), query canonicalisation (sub-resources, sort order of encoded keys),
 * header canonicalisation, input refusals, and the secret's confinement: it
 * appears in no output buffer and is wiped by rp_sigv4_ctx_clear.
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

#include "broker/sigv4.h"
#include "common/sha256.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST "examplebucket.s3.amazonaws.com"
#define DATE "20130524T000000Z"

static rp_sigv4_ctx g_ctx;

static int setup_ctx(void **state)
{
	(void)state;
	rp_err err;
	rp_err_clear(&err);
	if (rp_sigv4_ctx_init(&g_ctx, AK, SK, NULL, "us-east-1", NULL, &err) != 0) {
		fprintf(stderr, "init: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown_ctx(void **state)
{
	(void)state;
	rp_sigv4_ctx_clear(&g_ctx);
	return 0;
}

static rp_sigv4_request example_req(const char *method, const char *path)
{
	rp_sigv4_request r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.host = HOST;
	r.path = path;
	r.path_len = strlen(path);
	r.amz_date = DATE;
	return r;
}

/* The secret (and the "AWS4" + secret HMAC key) must not leak into any text
 * the signer produces. */
static void assert_no_secret(const char *s)
{
	assert_null(strstr(s, SK));
	assert_null(strstr(s, "wJalrXUtnFEMI"));
	assert_null(strstr(s, "EXAMPLEKEY"));
}

static void sign_and_check(const rp_sigv4_request *r, const char *want_sig, const char *want_signed,
			   const char *want_creq_sha256)
{
	rp_err err;
	rp_err_clear(&err);
	rp_sigv4_result res;
	int rc = rp_sigv4_sign(&g_ctx, r, &res, &err);
	if (rc != 0)
		fail_msg("sign: %s", err.msg);
	assert_string_equal(res.signature, want_sig);
	assert_string_equal(res.signed_headers, want_signed);
	char want_auth[RP_SIGV4_AUTH_MAX + 1];
	snprintf(want_auth, sizeof want_auth,
		 "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,SignedHeaders=%s,Signature=%s",
		 want_signed, want_sig);
	assert_string_equal(res.authorization, want_auth);
	assert_no_secret(res.authorization);

	char creq[8192];
	size_t n;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, r, creq, sizeof creq, &n, NULL, 0, &err), 0);
	assert_int_equal(n, strlen(creq));
	assert_no_secret(creq);
	if (want_creq_sha256 != NULL) {
		char hex[RP_SHA256_HEX_LEN + 1];
		rp_sha256_hex(creq, n, hex);
		assert_string_equal(hex, want_creq_sha256);
	}
	char sts[RP_SIGV4_STS_MAX + 1];
	assert_int_equal(rp_sigv4_string_to_sign(&g_ctx, r, sts, sizeof sts, &n, &err), 0);
	assert_no_secret(sts);
}

/* ---- AWS's published examples ------------------------------------------------ */

static void test_aws_get_object(void **state)
{
	(void)state;
	rp_sigv4_header h[] = { { "Range", "bytes=0-9" } };
	rp_sigv4_request r = example_req("GET", "/test.txt");
	r.headers = h;
	r.n_headers = 1;
	/* The canonical request and string to sign as printed in the example. */
	static const char want_creq[] =
		"GET\n"
		"/test.txt\n"
		"\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"range:bytes=0-9\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;range;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	static const char want_sts[] = "AWS4-HMAC-SHA256\n"
				       "20130524T000000Z\n"
				       "20130524/us-east-1/s3/aws4_request\n"
				       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
	rp_err err;
	char creq[1024], sh[RP_SIGV4_SIGNED_HEADERS_MAX + 1], sts[RP_SIGV4_STS_MAX + 1];
	size_t n;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, sh, sizeof sh, &err), 0);
	assert_string_equal(creq, want_creq);
	assert_string_equal(sh, "host;range;x-amz-content-sha256;x-amz-date");
	assert_int_equal(rp_sigv4_string_to_sign(&g_ctx, &r, sts, sizeof sts, &n, &err), 0);
	assert_string_equal(sts, want_sts);
	assert_int_equal(n, strlen(want_sts));
	sign_and_check(&r, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		       "host;range;x-amz-content-sha256;x-amz-date",
		       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	/* payload_hash NULL and the explicit empty-string hash are the same. */
	rp_sigv4_result a, b;
	r.payload_hash = NULL;
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &a, &err), 0);
	r.payload_hash = RP_SIGV4_EMPTY_SHA256;
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &b, &err), 0);
	assert_string_equal(a.authorization, b.authorization);
	assert_string_equal(a.content_sha256, RP_SIGV4_EMPTY_SHA256);
}

static void test_aws_put_object(void **state)
{
	(void)state;
	static const char body[] = "Welcome to Amazon S3.";
	char ph[RP_SHA256_HEX_LEN + 1];
	rp_sha256_hex(body, strlen(body), ph);
	assert_string_equal(ph, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	rp_sigv4_header h[] = { { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
				{ "Date", "Fri, 24 May 2013 00:00:00 GMT" } };
	/* The key is "test$file.text": the signer encodes the '$'. */
	rp_sigv4_request r = example_req("PUT", "/test$file.text");
	r.headers = h;
	r.n_headers = 2;
	r.payload_hash = ph;
	sign_and_check(&r, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
		       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	char creq[1024];
	size_t n;
	rp_err err;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, NULL, 0, &err), 0);
	assert_true(strncmp(creq, "PUT\n/test%24file.text\n\n", strlen("PUT\n/test%24file.text\n\n")) == 0);
}

static void test_aws_get_bucket_lifecycle(void **state)
{
	(void)state;
	rp_sigv4_param q[] = { { "lifecycle", NULL } };
	rp_sigv4_request r = example_req("GET", "/");
	r.params = q;
	r.n_params = 1;
	sign_and_check(&r, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		       "host;x-amz-content-sha256;x-amz-date",
		       "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
	char creq[1024];
	size_t n;
	rp_err err;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, NULL, 0, &err), 0);
	assert_true(strncmp(creq, "GET\n/\nlifecycle=\n", strlen("GET\n/\nlifecycle=\n")) == 0);
}

static void test_aws_list_objects(void **state)
{
	(void)state;
	/* Given in the opposite order: the canonical query sorts them. */
	rp_sigv4_param q[] = { { "prefix", "J" }, { "max-keys", "2" } };
	rp_sigv4_request r = example_req("GET", "/");
	r.params = q;
	r.n_params = 2;
	sign_and_check(&r, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		       "host;x-amz-content-sha256;x-amz-date",
		       "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
	/* An empty path is the root. */
	r.path = "";
	r.path_len = 0;
	sign_and_check(&r, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		       "host;x-amz-content-sha256;x-amz-date", NULL);
}

/* SigV4 general reference, "derive a signing key": secret
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830, us-east-1, iam. */
static void test_aws_signing_key(void **state)
{
	(void)state;
	rp_sigv4_ctx c;
	rp_err err;
	uint8_t key[RP_SIGV4_KEY_LEN];
	char hex[RP_SIGV4_KEY_LEN * 2 + 1];
	assert_int_equal(rp_sigv4_ctx_init(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
					   "us-east-1", "iam", &err),
			 0);
	assert_int_equal(rp_sigv4_signing_key(&c, "20150830", key, &err), 0);
	rp_hex_encode(key, sizeof key, hex);
	assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
	assert_int_equal(rp_sigv4_signing_key(&c, "2015083X", key, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	rp_sigv4_ctx_clear(&c);
}

/* ---- URI encoding ---------------------------------------------------------------- */

static void check_path(const char *in, const char *want)
{
	char out[512];
	size_t n = 0;
	rp_err err;
	if (rp_sigv4_encode_path(in, strlen(in), out, sizeof out, &n, &err) != 0)
		fail_msg("encode_path(%s): %s", in, err.msg);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void check_component(const char *in, const char *want)
{
	char out[512];
	size_t n = 0;
	rp_err err;
	if (rp_sigv4_encode_component(in, strlen(in), out, sizeof out, &n, &err) != 0)
		fail_msg("encode_component(%s): %s", in, err.msg);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_encode_path(void **state)
{
	(void)state;
	check_path("/bucket/key with spaces", "/bucket/key%20with%20spaces");
	check_path("/b/a+b", "/b/a%2Bb");
	check_path("/b/a*b", "/b/a%2Ab");
	check_path("/b/a~b-c_d.e", "/b/a~b-c_d.e");
	check_path("/b/dir/sub/", "/b/dir/sub/");
	check_path("//x//", "//x//");
	check_path("/test$file.text", "/test%24file.text");
	check_path("/b/\xc3\xa9t\xc3\xa9", "/b/%C3%A9t%C3%A9");                 /* été */
	check_path("/b/\xe6\x97\xa5\xe6\x9c\xac", "/b/%E6%97%A5%E6%9C%AC");     /* 日本 */
	check_path("/b/\xf0\x9f\x98\x80", "/b/%F0%9F%98%80");                   /* U+1F600 */
	check_path("/b/%20", "/b/%2520"); /* a literal '%' in a key is data */
	check_path("/b/a=b&c?d#e:f@g!h'i(j)k,l;m", "/b/a%3Db%26c%3Fd%23e%3Af%40g%21h%27i%28j%29k%2Cl%3Bm");
	check_path("/ABCxyz0189", "/ABCxyz0189");
	check_path("/", "/");
	check_path("", "/");
	/* A key given with its length may contain any byte but is still encoded. */
	char out[16];
	size_t n;
	rp_err err;
	assert_int_equal(rp_sigv4_encode_path("/a\x7f\x01", 4, out, sizeof out, &n, &err), 0);
	assert_string_equal(out, "/a%7F%01");
	/* Refusals: relative path, a buffer one byte short; the exact fit works. */
	assert_int_equal(rp_sigv4_encode_path("a/b", 3, out, sizeof out, &n, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	assert_int_equal(rp_sigv4_encode_path("/a b", 4, out, 6, &n, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_int_equal(rp_sigv4_encode_path("/a b", 4, out, 7, &n, &err), 0);
	assert_string_equal(out, "/a%20b");
	assert_int_equal(rp_sigv4_encode_path("/", 1, out, 0, &n, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
}

static void test_encode_component(void **state)
{
	(void)state;
	check_component("a/b", "a%2Fb");
	check_component("x y+z*w~", "x%20y%2Bz%2Aw~");
	check_component("tenant/1/namespace/7/", "tenant%2F1%2Fnamespace%2F7%2F");
	check_component("\xc3\xa9", "%C3%A9");
	check_component("", "");
	check_component("=&", "%3D%26");
}

/* ---- query canonicalisation --------------------------------------------------------- */

static void check_query(const rp_sigv4_param *p, size_t n, const char *want)
{
	char out[1024];
	size_t len = 0;
	rp_err err;
	if (rp_sigv4_canonical_query(p, n, out, sizeof out, &len, &err) != 0)
		fail_msg("canonical_query: %s", err.msg);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
}

static void test_canonical_query(void **state)
{
	(void)state;
	check_query(NULL, 0, "");
	rp_sigv4_param a[] = { { "versionId", "3/L4kqtJl40Nr8X8gdRQBpUMLUo" }, { "retention", NULL } };
	check_query(a, 2, "retention=&versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo");
	rp_sigv4_param b[] = { { "prefix", "dg/runpacks/tenant 1/" },
			       { "list-type", "2" },
			       { "continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=" },
			       { "max-keys", "1000" } };
	check_query(b, 4,
		    "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D&list-type=2&"
		    "max-keys=1000&prefix=dg%2Frunpacks%2Ftenant%201%2F");
	/* Same key: ordered by value. */
	rp_sigv4_param c[] = { { "k", "b" }, { "k", "a" }, { "k", NULL } };
	check_query(c, 3, "k=&k=a&k=b");
	/* Sorted by the ENCODED key: "%C3%A9" sorts before "~" although the raw
	 * byte 0xC3 sorts after '~'; likewise '+' -> "%2B" before "-". */
	rp_sigv4_param d[] = { { "a~", "1" }, { "a\xc3\xa9", "2" }, { "a-", "3" }, { "a+", "4" } };
	check_query(d, 4, "a%2B=4&a%C3%A9=2&a-=3&a~=1");
	/* Values: space is %20 (never '+'), '+' is %2B, '*' is %2A. */
	rp_sigv4_param e[] = { { "v", "a b+c*d~e" } };
	check_query(e, 1, "v=a%20b%2Bc%2Ad~e");
	/* Refusals. */
	rp_err err;
	char out[64];
	size_t len;
	rp_sigv4_param f[] = { { "", "x" } };
	assert_int_equal(rp_sigv4_canonical_query(f, 1, out, sizeof out, &len, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	rp_sigv4_param many[RP_SIGV4_MAX_PARAMS + 1];
	for (size_t i = 0; i < RP_SIGV4_MAX_PARAMS + 1; i++)
		many[i] = (rp_sigv4_param){ "k", "v" };
	assert_int_equal(rp_sigv4_canonical_query(many, RP_SIGV4_MAX_PARAMS + 1, out, sizeof out, &len, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_int_equal(rp_sigv4_canonical_query(b, 4, out, sizeof out, &len, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
}

/* ---- headers ------------------------------------------------------------------------ */

static void test_headers_canonical(void **state)
{
	(void)state;
	rp_sigv4_header h[] = { { "X-Amz-Meta-Note", "  a   b  c " },
				{ "Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==" },
				{ "x-amz-object-lock-mode", "COMPLIANCE" },
				{ "Content-Type", "application/json" } };
	rp_sigv4_request r = example_req("PUT", "/b/k");
	r.headers = h;
	r.n_headers = 4;
	char creq[2048], sh[RP_SIGV4_SIGNED_HEADERS_MAX + 1];
	size_t n;
	rp_err err;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, sh, sizeof sh, &err), 0);
	assert_string_equal(sh, "content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
				"x-amz-meta-note;x-amz-object-lock-mode");
	assert_non_null(strstr(creq, "\nx-amz-meta-note:a b c\n"));
	assert_non_null(strstr(creq, "\ncontent-md5:1B2M2Y8AsgTpgAmY7PhCfg==\n"));
	/* Values differing only in spacing sign the same. */
	rp_sigv4_result a, b;
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &a, &err), 0);
	h[0].value = "a b c";
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &b, &err), 0);
	assert_string_equal(a.signature, b.signature);
	h[0].value = "a b d";
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &b, &err), 0);
	assert_string_not_equal(a.signature, b.signature);
}

static void expect_refused(rp_sigv4_request *r, rp_code code)
{
	rp_sigv4_result res;
	rp_err err;
	rp_err_clear(&err);
	assert_int_equal(rp_sigv4_sign(&g_ctx, r, &res, &err), -1);
	assert_int_equal(err.code, code);
	assert_no_secret(err.msg);
}

static void test_refusals(void **state)
{
	(void)state;
	rp_sigv4_header h[2];
	rp_sigv4_request r = example_req("GET", "/b/k");
	r.headers = h;
	r.n_headers = 1;
	h[0] = (rp_sigv4_header){ "x-amz-meta-a", "x\r\nInjected: yes" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "x-amz-meta-a", "tab\there" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "Host", "evil.example" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "X-Amz-Date", DATE };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "authorization", "x" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "bad name", "x" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "", "x" };
	expect_refused(&r, RP_E_USAGE);
	h[0] = (rp_sigv4_header){ "x-amz-meta-a", "1" };
	h[1] = (rp_sigv4_header){ "X-AMZ-META-A", "2" };
	r.n_headers = 2;
	expect_refused(&r, RP_E_USAGE);
	r.n_headers = RP_SIGV4_MAX_HEADERS + 1;
	expect_refused(&r, RP_E_LIMIT);
	r.n_headers = 0;

	r.amz_date = "2013-05-24T00:00:00Z";
	expect_refused(&r, RP_E_USAGE);
	r.amz_date = DATE;
	r.payload_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
	expect_refused(&r, RP_E_USAGE);
	r.payload_hash = "abc";
	expect_refused(&r, RP_E_USAGE);
	r.payload_hash = RP_SIGV4_UNSIGNED_PAYLOAD;
	rp_sigv4_result res;
	rp_err err;
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &res, &err), 0);
	assert_string_equal(res.content_sha256, "UNSIGNED-PAYLOAD");
	r.payload_hash = NULL;
	r.method = "get";
	expect_refused(&r, RP_E_USAGE);
	r.method = "GET";
	r.host = "a b";
	expect_refused(&r, RP_E_USAGE);
	r.host = "h/x";
	expect_refused(&r, RP_E_USAGE);
	r.host = HOST;
	r.path = "b/k";
	r.path_len = 3;
	expect_refused(&r, RP_E_USAGE);
	r.path_len = RP_SIGV4_PATH_MAX + 1;
	expect_refused(&r, RP_E_LIMIT);

	/* Output buffers too small. */
	r = example_req("GET", "/b/k");
	char small[16];
	size_t n;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, small, sizeof small, &n, NULL, 0, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_int_equal(rp_sigv4_string_to_sign(&g_ctx, &r, small, sizeof small, &n, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	char sh[8];
	char creq[1024];
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, sh, sizeof sh, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);

	/* An uninitialised (or cleared) context signs nothing. */
	rp_sigv4_ctx c;
	memset(&c, 0, sizeof c);
	assert_int_equal(rp_sigv4_sign(&c, &r, &res, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
}

/* ---- credentials and the secret ------------------------------------------------------ */

static void test_ctx_init_refusals(void **state)
{
	(void)state;
	rp_sigv4_ctx c;
	rp_err err;
	struct {
		const char *ak, *sk, *tok, *region, *svc;
	} bad[] = {
		{ "", SK, NULL, "us-east-1", NULL },
		{ "AK/X", SK, NULL, "us-east-1", NULL },
		{ "AK,X", SK, NULL, "us-east-1", NULL },
		{ "AK X", SK, NULL, "us-east-1", NULL },
		{ AK, "", NULL, "us-east-1", NULL },
		{ AK, "secret with space", NULL, "us-east-1", NULL },
		{ AK, "secret\nnewline", NULL, "us-east-1", NULL },
		{ AK, SK, "tok\r\nX: y", "us-east-1", NULL },
		{ AK, SK, NULL, "US-EAST-1", NULL },
		{ AK, SK, NULL, "", NULL },
		{ AK, SK, NULL, "us-east-1/x", NULL },
		{ AK, SK, NULL, "us-east-1", "S3" },
		{ NULL, SK, NULL, "us-east-1", NULL },
		{ AK, NULL, NULL, "us-east-1", NULL },
		{ AK, SK, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&c, 0x5a, sizeof c);
		rp_err_clear(&err);
		assert_int_equal(rp_sigv4_ctx_init(&c, bad[i].ak, bad[i].sk, bad[i].tok, bad[i].region, bad[i].svc, &err),
				 -1);
		assert_int_equal(err.code, RP_E_USAGE);
		assert_no_secret(err.msg);
		assert_null(strstr(err.msg, "secret with space"));
		assert_null(strstr(err.msg, "tok\r\n"));
		/* A failed init leaves nothing behind. */
		const uint8_t *p = (const uint8_t *)&c;
		for (size_t k = 0; k < sizeof c; k++)
			assert_int_equal(p[k], 0);
	}
	char long_secret[RP_SIGV4_SECRET_MAX + 2];
	memset(long_secret, 'a', sizeof long_secret - 1);
	long_secret[sizeof long_secret - 1] = '\0';
	assert_int_equal(rp_sigv4_ctx_init(&c, AK, long_secret, NULL, "us-east-1", NULL, &err), -1);
	long_secret[RP_SIGV4_SECRET_MAX] = '\0';
	assert_int_equal(rp_sigv4_ctx_init(&c, AK, long_secret, NULL, "us-east-1", NULL, &err), 0);
	rp_sigv4_ctx_clear(&c);
}

static void test_secret_wiped(void **state)
{
	(void)state;
	rp_sigv4_ctx c;
	rp_err err;
	assert_int_equal(rp_sigv4_ctx_init(&c, AK, SK, "SESSIONTOKEN", "us-east-1", NULL, &err), 0);
	/* While initialised the secret is held (as the "AWS4"+secret key). */
	assert_memory_equal(c.k_secret, "AWS4" SK, strlen("AWS4" SK));
	rp_sigv4_ctx_clear(&c);
	const uint8_t *p = (const uint8_t *)&c;
	for (size_t k = 0; k < sizeof c; k++)
		assert_int_equal(p[k], 0);
	assert_null(rp_sigv4_token(&c));
	rp_sigv4_ctx_clear(&c); /* twice is harmless */
	rp_sigv4_ctx_clear(NULL);
}

static void test_session_token(void **state)
{
	(void)state;
	rp_sigv4_ctx c;
	rp_err err;
	assert_int_equal(rp_sigv4_ctx_init(&c, AK, SK, "FQoGZXIvYXdzEXAMPLETOKEN//+=", "us-east-1", NULL, &err), 0);
	assert_string_equal(rp_sigv4_token(&c), "FQoGZXIvYXdzEXAMPLETOKEN//+=");
	rp_sigv4_request r = example_req("GET", "/b/k");
	char creq[2048], sh[RP_SIGV4_SIGNED_HEADERS_MAX + 1];
	size_t n;
	assert_int_equal(rp_sigv4_canonical_request(&c, &r, creq, sizeof creq, &n, sh, sizeof sh, &err), 0);
	assert_string_equal(sh, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
	assert_non_null(strstr(creq, "\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN//+=\n"));
	rp_sigv4_result with, without;
	assert_int_equal(rp_sigv4_sign(&c, &r, &with, &err), 0);
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &without, &err), 0);
	assert_string_not_equal(with.signature, without.signature);
	assert_null(rp_sigv4_token(&g_ctx));
	/* An empty token is no token. */
	rp_sigv4_ctx_clear(&c);
	assert_int_equal(rp_sigv4_ctx_init(&c, AK, SK, "", "us-east-1", NULL, &err), 0);
	assert_null(rp_sigv4_token(&c));
	rp_sigv4_ctx_clear(&c);
}

/* The secret never appears in any output, whatever the request holds. */
static void test_secret_never_in_output(void **state)
{
	(void)state;
	rp_sigv4_header h[] = { { "x-amz-meta-a", "b" } };
	rp_sigv4_param q[] = { { "versionId", "v1" }, { "retention", NULL } };
	rp_sigv4_request r = example_req("PUT", "/bucket/\xc3\xa9 x/y");
	r.headers = h;
	r.n_headers = 1;
	r.params = q;
	r.n_params = 2;
	rp_sigv4_result res;
	rp_err err;
	assert_int_equal(rp_sigv4_sign(&g_ctx, &r, &res, &err), 0);
	const uint8_t *p = (const uint8_t *)&res;
	const size_t sl = strlen(SK);
	for (size_t i = 0; i + sl <= sizeof res; i++)
		assert_false(memcmp(p + i, SK, sl) == 0);
	assert_no_secret(res.signed_headers);
	assert_no_secret(res.signature);
	assert_no_secret(res.content_sha256);
	char creq[2048], sts[RP_SIGV4_STS_MAX + 1];
	size_t n;
	assert_int_equal(rp_sigv4_canonical_request(&g_ctx, &r, creq, sizeof creq, &n, NULL, 0, &err), 0);
	assert_no_secret(creq);
	assert_non_null(strstr(creq, "PUT\n/bucket/%C3%A9%20x/y\nretention=&versionId=v1\n"));
	assert_int_equal(rp_sigv4_string_to_sign(&g_ctx, &r, sts, sizeof sts, &n, &err), 0);
	assert_no_secret(sts);
}

static void test_amz_date(void **state)
{
	(void)state;
	char d[RP_SIGV4_DATE_LEN + 1];
	rp_err err;
	assert_int_equal(rp_sigv4_amz_date((time_t)1369353600, d, &err), 0);
	assert_string_equal(d, "20130524T000000Z");
	assert_int_equal(rp_sigv4_amz_date((time_t)1440938160, d, &err), 0);
	assert_string_equal(d, "20150830T123600Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_get_object),
		cmocka_unit_test(test_aws_put_object),
		cmocka_unit_test(test_aws_get_bucket_lifecycle),
		cmocka_unit_test(test_aws_list_objects),
		cmocka_unit_test(test_aws_signing_key),
		cmocka_unit_test(test_encode_path),
		cmocka_unit_test(test_encode_component),
		cmocka_unit_test(test_canonical_query),
		cmocka_unit_test(test_headers_canonical),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ctx_init_refusals),
		cmocka_unit_test(test_secret_wiped),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_secret_never_in_output),
		cmocka_unit_test(test_amz_date),
	};
	return cmocka_run_group_tests(tests, setup_ctx, teardown_ctx);
}
