/*
 * test_s3http.c - cmocka tests of the pure parts of src/broker/s3http.c
 * (s3http_internal.h) and of its behaviour without a server.
 *
 * Why: the retry classification, the backoff bounds, the ETag check and
 * the parsing of the few response headers rpvault believes (Content-Length,
 * ETag, x-amz-version-id, with overlong and malformed values) decide what
 * the broker concludes about the store; they are checked here without a
 * network. The transport against a real server is proven by
 * tests/system/test_s3_transport.sh.
 * Security posture: test code; the only socket it opens is a connection
 * attempt to 127.0.0.1 port 1 (refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bearssl.h>
#include <curl/curl.h>

#include "broker/s3http_internal.h"

/* ---- retry policy ------------------------------------------------------------------ */

static void test_curl_retryable(void **state)
{
	(void)state;
	static const CURLcode yes[] = { CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT,
					CURLE_RECV_ERROR,      CURLE_SEND_ERROR,           CURLE_GOT_NOTHING,
					CURLE_PARTIAL_FILE,    CURLE_SSL_CONNECT_ERROR,    CURLE_HTTP2_STREAM };
	static const CURLcode no[] = { CURLE_OK,
				       CURLE_PEER_FAILED_VERIFICATION,
				       CURLE_SSL_CACERT_BADFILE,
				       CURLE_URL_MALFORMAT,
				       CURLE_UNSUPPORTED_PROTOCOL,
				       CURLE_WRITE_ERROR,
				       CURLE_ABORTED_BY_CALLBACK,
				       CURLE_FILESIZE_EXCEEDED,
				       CURLE_OUT_OF_MEMORY,
				       CURLE_WEIRD_SERVER_REPLY,
				       CURLE_TOO_MANY_REDIRECTS };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_int_equal(rp_s3_curl_retryable((int)yes[i]), 1);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_int_equal(rp_s3_curl_retryable((int)no[i]), 0);
}

static void test_status_retryable(void **state)
{
	(void)state;
	static const long yes[] = { 500, 502, 503, 504 };
	static const long no[] = { 0, 100, 200, 204, 206, 301, 304, 400, 403, 404, 409, 412, 429, 501, 505, 599 };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_int_equal(rp_s3_status_retryable(yes[i]), 1);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_int_equal(rp_s3_status_retryable(no[i]), 0);
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	static const unsigned caps[] = { 100, 100, 200, 400, 800, 1600, 3200, 5000, 5000 };
	for (unsigned f = 0; f < sizeof caps / sizeof caps[0]; f++)
		assert_int_equal(rp_s3_backoff_cap_ms(f), caps[f]);
	assert_int_equal(rp_s3_backoff_cap_ms(1000), 5000);
	assert_int_equal(rp_s3_backoff_cap_ms(UINT32_MAX), 5000);
	/* full jitter: anywhere in [0, cap], both ends reachable */
	for (unsigned f = 1; f < 12; f++) {
		unsigned cap = rp_s3_backoff_cap_ms(f);
		assert_int_equal(rp_s3_backoff_ms(f, 0), 0);
		assert_int_equal(rp_s3_backoff_ms(f, cap), cap);
		assert_true(rp_s3_backoff_ms(f, UINT32_MAX) <= cap);
		uint32_t x = 2463534242u;
		for (int i = 0; i < 1000; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			assert_true(rp_s3_backoff_ms(f, x) <= cap);
		}
	}
	/* the worst case of the default 5 attempts stays far below the
	 * default 120 s deadline */
	unsigned sum = 0;
	for (unsigned f = 1; f < RP_S3_DEFAULT_ATTEMPTS; f++)
		sum += rp_s3_backoff_cap_ms(f);
	assert_int_equal(sum, 1500);
}

/* ---- Content-MD5 and ETag --------------------------------------------------------------- */

static void test_base64(void **state)
{
	(void)state;
	/* RFC 4648 section 10 */
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char b[32];
	for (size_t i = 0; i < 7; i++) {
		rp_s3_base64((const uint8_t *)in[i], strlen(in[i]), b);
		assert_string_equal(b, out[i]);
	}
	/* Content-MD5 of the empty body, as AWS documents it */
	uint8_t d[16];
	br_md5_context c;
	br_md5_init(&c);
	br_md5_out(&c, d);
	rp_s3_base64(d, 16, b);
	assert_string_equal(b, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

static void test_etag_matches(void **state)
{
	(void)state;
	uint8_t d[16];
	br_md5_context c;
	br_md5_init(&c);
	br_md5_update(&c, "{\"a\":1}\n", 8);
	br_md5_out(&c, d);
	assert_int_equal(rp_s3_etag_matches("\"4588ff3797b78d819d858fa3bdd82b09\"", d), 1);
	assert_int_equal(rp_s3_etag_matches("4588ff3797b78d819d858fa3bdd82b09", d), 0);       /* unquoted */
	assert_int_equal(rp_s3_etag_matches("\"4588FF3797B78D819D858FA3BDD82B09\"", d), 0);   /* upper case */
	assert_int_equal(rp_s3_etag_matches("W/\"4588ff3797b78d819d858fa3bdd82b09\"", d), 0); /* weak */
	assert_int_equal(rp_s3_etag_matches("\"4588ff3797b78d819d858fa3bdd82b09-2\"", d), 0); /* multipart */
	assert_int_equal(rp_s3_etag_matches("\"4588ff3797b78d819d858fa3bdd82b09\" ", d), 0);
	assert_int_equal(rp_s3_etag_matches("\"d41d8cd98f00b204e9800998ecf8427e\"", d), 0);   /* other bytes */
	assert_int_equal(rp_s3_etag_matches("", d), 0);
}

/* ---- response headers --------------------------------------------------------------------- */

static int feed(rp_s3_hdr *h, rp_s3_resp *r, const char *line, rp_err *err)
{
	rp_err_clear(err);
	return rp_s3_header_line(h, r, line, strlen(line), err);
}

static rp_s3_resp g_resp;

static void test_headers_read(void **state)
{
	(void)state;
	rp_s3_hdr h;
	rp_err err;
	rp_s3_resp *r = &g_resp;
	memset(&h, 0, sizeof h);
	memset(r, 0, sizeof *r);
	assert_int_equal(feed(&h, r, "HTTP/1.1 200 OK\r\n", &err), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(r->status, 200);
	assert_int_equal(feed(&h, r, "Content-Length: 1234\r\n", &err), 0);
	assert_int_equal(r->has_length, 1);
	assert_int_equal(r->length, 1234);
	assert_int_equal(feed(&h, r, "etag:   \"4588ff3797b78d819d858fa3bdd82b09\"  \r\n", &err), 0);
	assert_string_equal(r->etag, "\"4588ff3797b78d819d858fa3bdd82b09\"");
	assert_int_equal(feed(&h, r, "X-Amz-Version-Id: 3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY\r\n", &err), 0);
	assert_string_equal(r->version_id, "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
	/* others are ignored, including look-alikes */
	assert_int_equal(feed(&h, r, "ETagX: nope\r\n", &err), 0);
	assert_int_equal(feed(&h, r, "x-amz-version-id-marker: nope\r\n", &err), 0);
	assert_int_equal(feed(&h, r, "Content-Type: application/json\r\n", &err), 0);
	assert_int_equal(feed(&h, r, "\r\n", &err), 0);
	assert_string_equal(r->etag, "\"4588ff3797b78d819d858fa3bdd82b09\"");
	assert_string_equal(r->version_id, "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
	assert_int_equal(r->length, 1234);
	/* a new status line (interim 100, or the next response) forgets them */
	assert_int_equal(feed(&h, r, "HTTP/1.1 100 Continue\r\n", &err), 0);
	assert_int_equal(h.status, 100);
	assert_string_equal(r->etag, "");
	assert_string_equal(r->version_id, "");
	assert_int_equal(r->has_length, 0);
	assert_int_equal(feed(&h, r, "HTTP/2 404\r\n", &err), 0);
	assert_int_equal(r->status, 404);
	assert_int_equal(feed(&h, r, "x-amz-version-id: null\r\n", &err), 0);
	assert_string_equal(r->version_id, "null");
	/* the largest length */
	assert_int_equal(feed(&h, r, "Content-Length: 18446744073709551615\r\n", &err), 0);
	assert_int_equal(r->length, UINT64_MAX);
	assert_int_equal(feed(&h, r, "Content-Length: 0\r\n", &err), 0);
	assert_int_equal(r->has_length, 1);
	assert_int_equal(r->length, 0);
	assert_int_equal(h.bad, 0);
}

static void bad_header(const char *line, const char *want)
{
	rp_s3_hdr h;
	rp_err err;
	memset(&h, 0, sizeof h);
	memset(&g_resp, 0, sizeof g_resp);
	if (feed(&h, &g_resp, line, &err) == 0)
		fail_msg("accepted: %s", line);
	assert_int_equal(err.code, RP_E_STORE);
	assert_int_equal(h.bad, 1);
	assert_string_equal(err.msg, want);
}

static void test_headers_refused(void **state)
{
	(void)state;
	const char *cl = "the store answered a malformed Content-Length";
	bad_header("Content-Length: 18446744073709551616\r\n", cl); /* overflows */
	bad_header("Content-Length: 000000000000000000001\r\n", cl); /* 21 digits */
	bad_header("Content-Length: 12a\r\n", cl);
	bad_header("Content-Length: -1\r\n", cl);
	bad_header("Content-Length: 1 2\r\n", cl);
	bad_header("Content-Length:\r\n", cl);
	bad_header("Content-Length: 0x10\r\n", cl);
	bad_header("HTTP/1.1 2x0 OK\r\n", "the store answered a malformed status line");
	bad_header("HTTP/1.1\r\n", "the store answered a malformed status line");

	/* ETag: up to RP_S3_ETAG_MAX bytes; the value is never echoed */
	char line[RP_S3_VERSION_ID_MAX + 64];
	char v[RP_S3_VERSION_ID_MAX + 2];
	rp_s3_hdr h;
	rp_err err;
	memset(v, 'e', sizeof v);
	v[RP_S3_ETAG_MAX] = '\0';
	snprintf(line, sizeof line, "ETag: %s\r\n", v);
	memset(&h, 0, sizeof h);
	assert_int_equal(feed(&h, &g_resp, line, &err), 0);
	assert_int_equal(strlen(g_resp.etag), RP_S3_ETAG_MAX);
	v[RP_S3_ETAG_MAX] = 'e';
	v[RP_S3_ETAG_MAX + 1] = '\0';
	snprintf(line, sizeof line, "ETag: %s\r\n", v);
	bad_header(line, "the store answered a ETag header longer than 128 bytes");
	bad_header("ETag: \"abc\x01\"\r\n", "the store answered a ETag header with non-printable bytes");
	bad_header("ETag: \"caf\xc3\xa9\"\r\n", "the store answered a ETag header with non-printable bytes");
	/* x-amz-version-id: up to RP_S3_VERSION_ID_MAX bytes */
	memset(v, 'v', sizeof v);
	v[RP_S3_VERSION_ID_MAX] = '\0';
	snprintf(line, sizeof line, "x-amz-version-id: %s\r\n", v);
	memset(&h, 0, sizeof h);
	assert_int_equal(feed(&h, &g_resp, line, &err), 0);
	assert_int_equal(strlen(g_resp.version_id), RP_S3_VERSION_ID_MAX);
	v[RP_S3_VERSION_ID_MAX] = 'v';
	v[RP_S3_VERSION_ID_MAX + 1] = '\0';
	snprintf(line, sizeof line, "x-amz-version-id: %s\r\n", v);
	bad_header(line, "the store answered a x-amz-version-id header longer than 1024 bytes");
	bad_header("x-amz-version-id: a\x7f" "b\r\n", "the store answered a x-amz-version-id header with non-printable bytes");
}

/* ---- addressing --------------------------------------------------------------------------- */

static void settings(rp_s3_settings *set, const char *endpoint, int path_style)
{
	memset(set, 0, sizeof *set);
	snprintf(set->bucket, sizeof set->bucket, "my-bucket");
	snprintf(set->endpoint, sizeof set->endpoint, "%s", endpoint);
	snprintf(set->region, sizeof set->region, "us-east-1");
	set->path_style = path_style;
	set->allow_http = 1;
	set->parallel = 2;
	set->max_attempts = 2;
	set->connect_ms = 1000;
	set->deadline_ms = 5000;
}

static void test_target(void **state)
{
	(void)state;
	rp_s3_settings set;
	char host[RP_SIGV4_HOST_MAX + 1], path[RP_SIGV4_PATH_MAX + 1];
	size_t n;
	rp_err err;
	settings(&set, "http://127.0.0.1:7480", 1);
	assert_int_equal(rp_s3_target(&set, "dg/a b/\xc3\xa9.json", host, path, &n, &err), 0);
	assert_string_equal(host, "127.0.0.1:7480");
	assert_string_equal(path, "/my-bucket/dg/a b/\xc3\xa9.json"); /* raw: encoded by the signer's encoder */
	assert_int_equal(n, strlen(path));
	assert_int_equal(rp_s3_target(&set, NULL, host, path, &n, &err), 0);
	assert_string_equal(path, "/my-bucket");
	settings(&set, "https://s3.eu-west-1.amazonaws.com", 0);
	assert_int_equal(rp_s3_target(&set, "dg/x.json", host, path, &n, &err), 0);
	assert_string_equal(host, "my-bucket.s3.eu-west-1.amazonaws.com");
	assert_string_equal(path, "/dg/x.json");
	assert_int_equal(rp_s3_target(&set, NULL, host, path, &n, &err), 0);
	assert_string_equal(path, "/");
	/* keys: 1..4096 bytes */
	assert_int_equal(rp_s3_target(&set, "", host, path, &n, &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	char *k = malloc(RP_MAX_PATH_TOTAL + 2);
	memset(k, 'k', RP_MAX_PATH_TOTAL + 1);
	k[RP_MAX_PATH_TOTAL + 1] = '\0';
	assert_int_equal(rp_s3_target(&set, k, host, path, &n, &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	k[RP_MAX_PATH_TOTAL] = '\0';
	assert_int_equal(rp_s3_target(&set, k, host, path, &n, &err), 0);
	assert_int_equal(n, RP_MAX_PATH_TOTAL + 1);
	free(k);
}

/* ---- the client without a server ----------------------------------------------------------- */

static void creds(rp_s3_creds *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->access_key, sizeof c->access_key, "AKIDEXAMPLE");
	snprintf(c->secret, sizeof c->secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static void test_open_refuses_and_wipes(void **state)
{
	(void)state;
	rp_s3_settings set;
	rp_s3_creds c;
	rp_s3 *s = (rp_s3 *)&c; /* must be set to NULL */
	rp_err err;
	settings(&set, "http://127.0.0.1:1", 1);
	set.allow_http = 0;
	creds(&c);
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, RP_E_USAGE);
	assert_string_equal(err.msg, "endpoint uses http:// without allow_http");
	assert_true(is_zero(&c, sizeof c));
	settings(&set, "http://127.0.0.1:1", 1);
	set.parallel = 0;
	creds(&c);
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), -1);
	assert_true(is_zero(&c, sizeof c));
	/* credentials the signer refuses: named, not shown */
	settings(&set, "http://127.0.0.1:1", 1);
	creds(&c);
	snprintf(c.access_key, sizeof c.access_key, "AKID/WITH/SLASH");
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	assert_null(strstr(err.msg, "wJalrXUtnFEMI"));
	assert_true(is_zero(&c, sizeof c));
	rp_s3_close(NULL);
}

static void test_no_server(void **state)
{
	(void)state;
	rp_s3_settings set;
	rp_s3_creds c;
	rp_s3 *s = NULL;
	rp_err err;
	settings(&set, "http://127.0.0.1:1", 1);
	set.max_attempts = 3;
	creds(&c);
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), 0);
	assert_true(is_zero(&c, sizeof c));
	void *sp;
	size_t sn;
	rp_s3_secret_span(s, &sp, &sn);
	assert_non_null(sp);
	assert_int_equal(sn, sizeof(rp_sigv4_ctx));
	assert_string_equal(((rp_sigv4_ctx *)sp)->access_key, "AKIDEXAMPLE");
	char shown[256];
	assert_string_equal(rp_s3_show_key(s, "a b/\x01\xff.json", shown, sizeof shown),
			    "s3://my-bucket/a b/\\x01\\xff.json");
	/* nothing to do */
	assert_int_equal(rp_s3_put_many(s, NULL, 0, &err), 0);
	assert_int_equal(rp_s3_get_many(s, NULL, 0, &err), 0);
	/* an invalid key never reaches the network */
	rp_buf b;
	rp_buf_init(&b, 16);
	assert_int_equal(rp_s3_get(s, "", 16, &b, &g_resp, &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	/* connection refused: retried, then an I/O error naming the key */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rp_s3_get(s, "dg/\x01key", 16, &b, &g_resp, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(err.code, RP_E_IO);
	assert_int_equal(g_resp.attempts, 3);
	assert_int_equal(g_resp.status, 0);
	assert_non_null(strstr(err.msg, "GET dg/\\x01key: "));
	assert_non_null(strstr(err.msg, "(after 3 attempts)"));
	assert_null(strstr(err.msg, "wJalrXUtnFEMI"));
	/* two backoffs of at most 100 + 200 ms */
	double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(el < 2.0);
	/* a batch: each item fails on its own, the first one is reported */
	rp_s3_put_item items[3] = { { .key = "k0", .data = (const uint8_t *)"x", .len = 1, .fd = -1 },
				    { .key = "", .data = (const uint8_t *)"y", .len = 1, .fd = -1 },
				    { .key = "k2", .data = NULL, .len = 0, .fd = -1 } };
	rp_s3_put_item *it = items;
	assert_int_equal(rp_s3_put_many(s, it, 3, &err), -1);
	assert_int_equal(err.code, RP_E_IO);
	assert_non_null(strstr(err.msg, "PUT k0: "));
	assert_int_equal(items[0].err.code, RP_E_IO);
	assert_int_equal(items[1].err.code, RP_E_PATH);
	assert_int_equal(items[1].resp.attempts, 0);
	assert_int_equal(items[2].err.code, RP_E_IO);
	assert_int_equal(items[2].resp.attempts, 3);
	rp_buf_free(&b);
	rp_s3_close(s);
}

/* ---- file bodies: the hashing pass ------------------------------------------------------- */

static int tmp_file(const uint8_t *p, size_t n)
{
	char name[] = "/tmp/rp-s3hash-XXXXXX";
	int fd = mkstemp(name);
	assert_true(fd >= 0);
	(void)unlink(name);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	return fd;
}

static void want_hashes(const uint8_t *p, size_t n, uint8_t md5[16], uint8_t sha[RP_SHA256_LEN])
{
	br_md5_context mc;
	br_md5_init(&mc);
	br_md5_update(&mc, p, n);
	br_md5_out(&mc, md5);
	rp_sha256_digest(p, n, sha);
}

static void test_hash_fd(void **state)
{
	(void)state;
	/* sizes around the chunk: empty, one byte, chunk - 1, chunk, chunk + 1, 3 chunks + 7 */
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 3 * 4096 + 7 };
	size_t cap = 4096;
	uint8_t *buf = malloc(cap), *data = malloc(3 * 4096 + 7);
	assert_non_null(buf);
	assert_non_null(data);
	for (size_t i = 0; i < 3 * 4096 + 7; i++)
		data[i] = (uint8_t)(i * 131u + 7u);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		int fd = tmp_file(data, n);
		(void)lseek(fd, 5, SEEK_SET); /* the descriptor's offset is not used */
		uint8_t md5[16], sha[RP_SHA256_LEN], wmd5[16], wsha[RP_SHA256_LEN];
		rp_err err;
		want_hashes(data, n, wmd5, wsha);
		assert_int_equal(rp_s3_hash_fd(fd, n, buf, cap, md5, sha, &err), 0);
		assert_memory_equal(md5, wmd5, 16);
		assert_memory_equal(sha, wsha, RP_SHA256_LEN);
		assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
		/* the file is longer than the size given: changed */
		if (n > 0) {
			assert_int_equal(rp_s3_hash_fd(fd, n - 1, buf, cap, md5, sha, &err), -1);
			assert_int_equal(err.code, RP_E_IO);
			assert_string_equal(err.msg, "the local file changed while it was uploaded");
		}
		/* shorter than the size given (EOF early): changed */
		assert_int_equal(rp_s3_hash_fd(fd, n + 1, buf, cap, md5, sha, &err), -1);
		assert_int_equal(err.code, RP_E_IO);
		assert_string_equal(err.msg, "the local file changed while it was uploaded");
		assert_int_equal(rp_s3_hash_fd(fd, n + 5000, buf, cap, md5, sha, &err), -1);
		assert_int_equal(err.code, RP_E_IO);
		(void)close(fd);
	}
	/* a descriptor that cannot be read */
	uint8_t md5[16], sha[RP_SHA256_LEN];
	rp_err err;
	int p[2];
	assert_int_equal(pipe(p), 0);
	(void)close(p[0]);
	assert_int_equal(rp_s3_hash_fd(p[1], 10, buf, cap, md5, sha, &err), -1);
	assert_int_equal(err.code, RP_E_IO);
	assert_non_null(strstr(err.msg, "cannot read the local file: "));
	(void)close(p[1]);
	free(buf);
	free(data);
}

/* A file body whose request cannot be sent: hashed first, then the
 * transport error like a memory body; a file that does not hold its size
 * fails before any request (attempts 0), not retried. */
static void test_fd_put_no_server(void **state)
{
	(void)state;
	rp_s3_settings set;
	rp_s3_creds c;
	rp_s3 *s = NULL;
	rp_err err;
	settings(&set, "http://127.0.0.1:1", 2);
	set.max_attempts = 2;
	creds(&c);
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), 0);
	static const uint8_t body[] = "{\"a\":1}";
	int fd = tmp_file(body, sizeof body - 1);
	rp_s3_put_item items[2] = { { .key = "f0", .fd = fd, .size = sizeof body - 1 },
				    { .key = "f1", .fd = fd, .size = sizeof body + 10 } };
	assert_int_equal(rp_s3_put_many(s, items, 2, &err), -1);
	assert_int_equal(items[0].err.code, RP_E_IO);
	assert_int_equal(items[0].resp.attempts, 2);
	assert_non_null(strstr(items[0].err.msg, "PUT f0: "));
	assert_int_equal(items[1].err.code, RP_E_IO);
	assert_int_equal(items[1].resp.attempts, 0);
	assert_string_equal(items[1].err.msg, "PUT f1: the local file changed while it was uploaded");
	(void)close(fd);
	rp_s3_close(s);
}

static void test_deadline_bounds_attempts(void **state)
{
	(void)state;
	rp_s3_settings set;
	rp_s3_creds c;
	rp_s3 *s = NULL;
	rp_err err;
	settings(&set, "http://127.0.0.1:1", 1);
	set.max_attempts = 20;
	set.deadline_ms = 300; /* the backoffs alone exceed it after a few attempts */
	creds(&c);
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), 0);
	rp_sigv4_param q[] = { { "versioning", NULL } };
	rp_buf b;
	rp_buf_init(&b, 16);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rp_s3_get_bucket(s, q, 1, &b, &g_resp, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(err.code, RP_E_IO);
	assert_true(g_resp.attempts >= 1 && g_resp.attempts < 20);
	assert_true(el < 0.6);
	assert_non_null(strstr(err.msg, "GET ?versioning on bucket my-bucket: "));
	rp_buf_free(&b);
	rp_s3_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_retryable),
		cmocka_unit_test(test_status_retryable),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_etag_matches),
		cmocka_unit_test(test_headers_read),
		cmocka_unit_test(test_headers_refused),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_open_refuses_and_wipes),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_deadline_bounds_attempts),
		cmocka_unit_test(test_hash_fd),
		cmocka_unit_test(test_fd_put_no_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
