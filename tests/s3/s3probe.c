/*
 * s3probe.c - a tiny test-only S3 client: src/broker/sigv4.c signs,
 * libcurl sends, src/child/s3xml.c reads the answers. NOT part of rpvault.
 *
 * Why: proves the signer and the XML reader against a real S3 server (the
 * Ceph RGW of tests/s3/rgw-start.sh) before the backend is built on them:
 * a key with spaces and Unicode round-trips, ListObjectsV2 pages parse,
 * sub-resources (?versioning, ?object-lock) sign, and error bodies
 * (SignatureDoesNotMatch, NoSuchBucket) are read from the XML.
 *
 * Build by hand (tests/system/test_s3_rgw.sh does):
 *   cc -std=c17 -D_GNU_SOURCE -Isrc -o s3probe tests/s3/s3probe.c \
 *      src/broker/sigv4.c src/child/s3xml.c src/common/sha256.c \
 *      src/common/err.c src/common/utf8.c -lcurl -lbearssl
 * Usage (credentials from S3_ENDPOINT, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_REGION, optional AWS_SESSION_TOKEN):
 *   s3probe roundtrip BUCKET         every check; prints "ok - ..." /
 *                                    "not ok - ..." lines, exit 1 on a failure
 *   s3probe expect STATUS CODE BUCKET [KEY]
 *                                    GET the object (or list the bucket);
 *                                    expect that HTTP status and S3 error code
 *   s3probe mkbucket BUCKET          create a bucket
 *   s3probe list-raw BUCKET [PREFIX [MAXKEYS]]
 *                                    print a raw ListObjectsV2 body
 *   s3probe get-raw BUCKET [KEY [SUB]] print the body of GET /BUCKET[/KEY][?SUB]
 * Security posture: test code. Talks to S3_ENDPOINT only (http, loopback
 * in the tests); never prints the secret; response bodies are capped at
 * 1 MiB like rpvault's.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>
#include <curl/curl.h>

#include "broker/sigv4.h"
#include "child/s3xml.h"
#include "common/sha256.h"

#define BODY_MAX RP_S3XML_MAX_INPUT

typedef struct body {
	char *p;
	size_t len;
	int overflow;
} body;

typedef struct resp {
	long status;
	body b;
	char etag[256];
} resp;

static const char *g_endpoint; /* "http://127.0.0.1:PORT" */
static char g_host[RP_SIGV4_HOST_MAX + 1];
static rp_sigv4_ctx g_ctx;
static int g_failed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - s3probe: ", ok ? "ok" : "not ok");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!ok)
		g_failed = 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	body *b = ud;
	size_t n = size * nmemb;
	if (b->overflow || n > BODY_MAX - b->len) {
		b->overflow = 1;
		return 0; /* aborts the transfer: a body over the cap is refused */
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	resp *r = ud;
	size_t n = size * nmemb;
	if (n > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		size_t i = 5, e = n;
		while (i < e && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (e > i && (data[e - 1] == '\r' || data[e - 1] == '\n' || data[e - 1] == ' '))
			e--;
		snprintf(r->etag, sizeof r->etag, "%.*s", (int)(e - i), data + i);
	}
	return n;
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = T[(v >> 18) & 63];
		out[o++] = T[(v >> 12) & 63];
		out[o++] = i + 1 < n ? T[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? T[v & 63] : '=';
	}
	out[o] = '\0';
}

static void md5(const void *data, size_t len, uint8_t out[16])
{
	br_md5_context c;
	br_md5_init(&c);
	br_md5_update(&c, data, len);
	br_md5_out(&c, out);
}

/* One signed request. path is raw ("/bucket/key"); hdrs are extra signed
 * headers. Returns 0 when the exchange happened (any status), -1 if not. */
static int request(const char *method, const char *path, const rp_sigv4_param *q, size_t nq,
		   const rp_sigv4_header *hdrs, size_t nh, const void *payload, size_t plen, resp *r)
{
	rp_err err;
	char epath[3 * RP_SIGV4_PATH_MAX + 1], query[8192], url[sizeof epath + sizeof query + 512];
	char date[RP_SIGV4_DATE_LEN + 1], phash[RP_SHA256_HEX_LEN + 1];
	size_t n;
	rp_sigv4_result sig;
	memset(r, 0, sizeof *r);
	r->b.p = malloc(BODY_MAX);
	if (r->b.p == NULL)
		return -1;
	if (rp_sigv4_encode_path(path, strlen(path), epath, sizeof epath, &n, &err) != 0 ||
	    rp_sigv4_canonical_query(q, nq, query, sizeof query, &n, &err) != 0 ||
	    rp_sigv4_amz_date(time(NULL), date, &err) != 0) {
		fprintf(stderr, "s3probe: %s\n", err.msg);
		return -1;
	}
	rp_sha256_hex(payload != NULL ? payload : "", plen, phash);
	rp_sigv4_request req = { method, g_host, path, strlen(path), q, nq, hdrs, nh, phash, date };
	if (rp_sigv4_sign(&g_ctx, &req, &sig, &err) != 0) {
		fprintf(stderr, "s3probe: sign: %s\n", err.msg);
		return -1;
	}
	snprintf(url, sizeof url, "%s%s%s%s", g_endpoint, epath, n > 0 ? "?" : "", query);

	CURL *c = curl_easy_init();
	if (c == NULL)
		return -1;
	struct curl_slist *hl = NULL;
	char line[RP_SIGV4_AUTH_MAX + 64];
	snprintf(line, sizeof line, "Host: %s", g_host);
	hl = curl_slist_append(hl, line);
	snprintf(line, sizeof line, "x-amz-date: %s", date);
	hl = curl_slist_append(hl, line);
	snprintf(line, sizeof line, "x-amz-content-sha256: %s", sig.content_sha256);
	hl = curl_slist_append(hl, line);
	snprintf(line, sizeof line, "Authorization: %s", sig.authorization);
	hl = curl_slist_append(hl, line);
	if (rp_sigv4_token(&g_ctx) != NULL) {
		char tok[RP_SIGV4_TOKEN_MAX + 32];
		snprintf(tok, sizeof tok, "x-amz-security-token: %s", rp_sigv4_token(&g_ctx));
		hl = curl_slist_append(hl, tok);
	}
	for (size_t i = 0; i < nh; i++) {
		snprintf(line, sizeof line, "%s: %s", hdrs[i].name, hdrs[i].value);
		hl = curl_slist_append(hl, line);
	}
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
	int has_ct = 0;
	for (size_t i = 0; i < nh; i++)
		has_ct |= strcasecmp(hdrs[i].name, "content-type") == 0;
	if (!has_ct)
		hl = curl_slist_append(hl, "Content-Type:"); /* no unsigned form type */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload != NULL ? payload : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
		}
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		fprintf(stderr, "s3probe: %s %s: %s\n", method, url, curl_easy_strerror(cc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return cc == CURLE_OK && !r->b.overflow ? 0 : -1;
}

static void resp_free(resp *r)
{
	free(r->b.p);
	r->b.p = NULL;
}

static char g_arena_mem[BODY_MAX + 1];

/* Parses an error body; prints its code. code_out gets a copy. */
static int error_code(const resp *r, char *code_out, size_t cap)
{
	rp_s3xml_arena a;
	rp_s3xml_error e;
	rp_err err;
	rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
	if (rp_s3xml_parse_error(r->b.p, r->b.len, &a, &e, &err) != 0) {
		fprintf(stderr, "s3probe: error body (%zu bytes) unreadable: %s\n", r->b.len, err.msg);
		return -1;
	}
	snprintf(code_out, cap, "%.*s", (int)e.code.len, e.code.s);
	fprintf(stderr, "s3probe: HTTP %ld %s: %.*s (request %.*s)\n", r->status, code_out, (int)e.message.len,
		e.message.s != NULL ? e.message.s : "", (int)e.request_id.len,
		e.request_id.s != NULL ? e.request_id.s : "");
	return 0;
}

static int put_object(const char *bucket, const char *key, const char *data, size_t len, char *etag_out)
{
	char path[RP_SIGV4_PATH_MAX + 1], md5b64[32];
	uint8_t d[16];
	snprintf(path, sizeof path, "/%s/%s", bucket, key);
	md5(data, len, d);
	b64(d, 16, md5b64);
	rp_sigv4_header h[] = { { "Content-MD5", md5b64 }, { "Content-Type", "application/json" } };
	resp r;
	int rc = request("PUT", path, NULL, 0, h, 2, data, len, &r);
	if (rc == 0 && r.status == 200) {
		if (etag_out != NULL)
			snprintf(etag_out, 256, "%s", r.etag);
	} else {
		char code[128] = "";
		if (rc == 0)
			(void)error_code(&r, code, sizeof code);
		rc = -1;
	}
	resp_free(&r);
	return rc;
}

static void md5_etag(const void *data, size_t len, char out[40])
{
	uint8_t d[16];
	char hex[33];
	md5(data, len, d);
	rp_hex_encode(d, 16, hex);
	snprintf(out, 40, "\"%s\"", hex);
}

/* Lists bucket/prefix with ListObjectsV2, page by page (max_keys each);
 * returns the number of keys, or -1. Checks that want_key (if not NULL)
 * appears with want_size and want_etag. */
static long list_all(const char *bucket, const char *prefix, const char *max_keys, const char *want_key,
		     uint64_t want_size, const char *want_etag, int *pages)
{
	static rp_s3xml_list l;
	char path[600], token[2048] = "", mk[16];
	long total = 0;
	int found = 0;
	snprintf(path, sizeof path, "/%s", bucket);
	snprintf(mk, sizeof mk, "%s", max_keys);
	*pages = 0;
	for (;;) {
		rp_sigv4_param q[4] = { { "list-type", "2" }, { "prefix", prefix }, { "max-keys", mk }, { NULL, NULL } };
		size_t nq = 3;
		if (token[0] != '\0')
			q[nq++] = (rp_sigv4_param){ "continuation-token", token };
		resp r;
		if (request("GET", path, q, nq, NULL, 0, NULL, 0, &r) != 0 || r.status != 200) {
			fprintf(stderr, "s3probe: list %s: HTTP %ld\n", bucket, r.status);
			resp_free(&r);
			return -1;
		}
		rp_s3xml_arena a;
		rp_err err;
		rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
		int rc = rp_s3xml_parse_list(r.b.p, r.b.len, &a, &l, &err);
		resp_free(&r);
		if (rc != 0) {
			fprintf(stderr, "s3probe: listing: %s\n", err.msg);
			return -1;
		}
		(*pages)++;
		for (size_t i = 0; i < l.n_objects; i++) {
			const rp_s3xml_object *o = &l.objects[i];
			if (want_key != NULL && o->key.len == strlen(want_key) && memcmp(o->key.s, want_key, o->key.len) == 0) {
				found = o->size == want_size && o->etag.s != NULL && strcmp(o->etag.s, want_etag) == 0;
				if (!found)
					fprintf(stderr, "s3probe: listed size %llu etag %s\n", (unsigned long long)o->size,
						o->etag.s != NULL ? o->etag.s : "(none)");
			}
		}
		total += (long)l.n_objects;
		if (!l.is_truncated)
			break;
		if (l.next_token.len >= sizeof token || *pages > 100)
			return -1;
		memcpy(token, l.next_token.s, l.next_token.len + 1);
	}
	if (want_key != NULL && !found)
		return -1;
	return total;
}

static int cmd_roundtrip(const char *bucket)
{
	char path[RP_SIGV4_PATH_MAX + 1];
	resp r;
	rp_err err;
	rp_s3xml_arena a;

	/* 1. a bucket */
	snprintf(path, sizeof path, "/%s", bucket);
	int rc = request("PUT", path, NULL, 0, NULL, 0, NULL, 0, &r);
	check(rc == 0 && r.status == 200, "create bucket %s (HTTP %ld)", bucket, r.status);
	resp_free(&r);

	/* 2. an object whose key has spaces, Unicode and reserved characters */
	static const char key[] = "dg/runpacks/tenant/1/namespace/7/scenario/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"
				  " run/run 1+2*3~4=5&6?7#8%9/artifacts/decisions.json";
	static const char data[] = "{\"decisions\":[\"caf\xc3\xa9\"],\"n\":1}\n";
	char etag[256] = "", want_etag[40];
	md5_etag(data, strlen(data), want_etag);
	rc = put_object(bucket, key, data, strlen(data), etag);
	check(rc == 0 && strcmp(etag, want_etag) == 0, "PUT a key with spaces and Unicode (ETag %s)", etag);

	/* 3. GET it back, byte for byte */
	snprintf(path, sizeof path, "/%s/%s", bucket, key);
	rc = request("GET", path, NULL, 0, NULL, 0, NULL, 0, &r);
	check(rc == 0 && r.status == 200 && r.b.len == strlen(data) && memcmp(r.b.p, data, r.b.len) == 0,
	      "GET returns the same bytes (HTTP %ld, %zu bytes)", r.status, r.b.len);
	resp_free(&r);
	rp_sigv4_header range[] = { { "Range", "bytes=0-9" } };
	rc = request("GET", path, NULL, 0, range, 1, NULL, 0, &r);
	check(rc == 0 && r.status == 206 && r.b.len == 10 && memcmp(r.b.p, data, 10) == 0,
	      "GET with a signed Range header (HTTP %ld)", r.status);
	resp_free(&r);
	rc = request("HEAD", path, NULL, 0, NULL, 0, NULL, 0, &r);
	check(rc == 0 && r.status == 200 && strcmp(r.etag, want_etag) == 0, "HEAD (HTTP %ld)", r.status);
	resp_free(&r);

	/* 4. list it back (ListObjectsV2) */
	int pages;
	long nk = list_all(bucket, "dg/runpacks/", "1000", key, strlen(data), want_etag, &pages);
	check(nk == 1 && pages == 1, "ListObjectsV2 lists the key byte-exact with size and ETag (%ld keys)", nk);

	/* 4b. with a delimiter: the runpack's directory comes back as a
	 * common prefix (and KeyCount counts it) */
	{
		static rp_s3xml_list l;
		static const char pfx[] = "dg/runpacks/tenant/1/namespace/7/scenario/";
		rp_sigv4_param dq[] = { { "list-type", "2" }, { "prefix", pfx }, { "delimiter", "/" } };
		snprintf(path, sizeof path, "/%s", bucket);
		rc = request("GET", path, dq, 3, NULL, 0, NULL, 0, &r);
		rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
		int lrc = rc == 0 && r.status == 200 ? rp_s3xml_parse_list(r.b.p, r.b.len, &a, &l, &err) : -1;
		if (lrc != 0 && rc == 0)
			fprintf(stderr, "s3probe: %s\n", r.status == 200 ? err.msg : "HTTP error");
		check(lrc == 0 && l.n_objects == 0 && l.n_prefixes == 1 &&
			      l.prefixes[0].len == strlen(pfx) + strlen("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac run/") &&
			      memcmp(l.prefixes[0].s, pfx, strlen(pfx)) == 0,
		      "ListObjectsV2 with delimiter: one common prefix (HTTP %ld)", r.status);
		resp_free(&r);
	}

	/* 5. pagination: continuation tokens go back through the query encoder */
	int ok = 1;
	for (int i = 0; i < 5 && ok; i++) {
		char k[128];
		snprintf(k, sizeof k, "page/obj %d \xc3\xa9.json", i);
		ok = put_object(bucket, k, "x", 1, NULL) == 0;
	}
	nk = list_all(bucket, "page/", "2", NULL, 0, NULL, &pages);
	check(ok && nk == 5 && pages == 3, "ListObjectsV2 pages of 2 with continuation tokens (%ld keys, %d pages)", nk,
	      pages);

	/* 6. a missing key reads as an XML error */
	snprintf(path, sizeof path, "/%s/no such key", bucket);
	rc = request("GET", path, NULL, 0, NULL, 0, NULL, 0, &r);
	char code[128] = "";
	check(rc == 0 && r.status == 404 && error_code(&r, code, sizeof code) == 0 && strcmp(code, "NoSuchKey") == 0,
	      "GET of a missing key: 404 %s", code);
	resp_free(&r);

	/* 7. sub-resources: ?versioning read, written, read */
	snprintf(path, sizeof path, "/%s", bucket);
	rp_sigv4_param vq[] = { { "versioning", NULL } };
	rp_s3xml_versioning v = RP_S3XML_VERSIONING_SUSPENDED;
	rc = request("GET", path, vq, 1, NULL, 0, NULL, 0, &r);
	rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
	check(rc == 0 && r.status == 200 && rp_s3xml_parse_versioning(r.b.p, r.b.len, &a, &v, &err) == 0 &&
		      v == RP_S3XML_VERSIONING_NEVER,
	      "GET ?versioning of a new bucket: never enabled (HTTP %ld)", r.status);
	resp_free(&r);
	static const char vbody[] = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				    "<Status>Enabled</Status></VersioningConfiguration>";
	uint8_t d[16];
	char md5b64[32];
	md5(vbody, strlen(vbody), d);
	b64(d, 16, md5b64);
	rp_sigv4_header vh[] = { { "Content-MD5", md5b64 } };
	rc = request("PUT", path, vq, 1, vh, 1, vbody, strlen(vbody), &r);
	check(rc == 0 && r.status == 200, "PUT ?versioning Enabled (HTTP %ld)", r.status);
	resp_free(&r);
	rc = request("GET", path, vq, 1, NULL, 0, NULL, 0, &r);
	rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
	check(rc == 0 && r.status == 200 && rp_s3xml_parse_versioning(r.b.p, r.b.len, &a, &v, &err) == 0 &&
		      v == RP_S3XML_VERSIONING_ENABLED,
	      "GET ?versioning: Enabled");
	resp_free(&r);

	/* 8. object lock: a bucket created with it, a default retention rule */
	char lbucket[128];
	snprintf(lbucket, sizeof lbucket, "%s-lock", bucket);
	snprintf(path, sizeof path, "/%s", lbucket);
	rp_sigv4_header lh[] = { { "x-amz-bucket-object-lock-enabled", "true" } };
	rc = request("PUT", path, NULL, 0, lh, 1, NULL, 0, &r);
	check(rc == 0 && r.status == 200, "create bucket %s with object lock (HTTP %ld)", lbucket, r.status);
	resp_free(&r);
	static const char lbody[] = "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				    "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
				    "<Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>"
				    "</ObjectLockConfiguration>";
	md5(lbody, strlen(lbody), d);
	b64(d, 16, md5b64);
	rp_sigv4_param lq[] = { { "object-lock", NULL } };
	rp_sigv4_header lmd5[] = { { "Content-MD5", md5b64 } };
	rc = request("PUT", path, lq, 1, lmd5, 1, lbody, strlen(lbody), &r);
	check(rc == 0 && r.status == 200, "PUT ?object-lock default retention (HTTP %ld)", r.status);
	resp_free(&r);
	rc = request("GET", path, lq, 1, NULL, 0, NULL, 0, &r);
	rp_s3xml_object_lock lk;
	rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
	int prc = rc == 0 && r.status == 200 ? rp_s3xml_parse_object_lock(r.b.p, r.b.len, &a, &lk, &err) : -1;
	check(prc == 0 && lk.enabled && lk.mode == RP_S3XML_LOCK_GOVERNANCE && lk.days == 1 && lk.years == 0,
	      "GET ?object-lock: Enabled, GOVERNANCE, 1 day (HTTP %ld)", r.status);
	if (prc != 0 && rc == 0)
		fprintf(stderr, "s3probe: %.*s\n", (int)r.b.len, r.b.p);
	resp_free(&r);
	rc = request("GET", path, vq, 1, NULL, 0, NULL, 0, &r);
	rp_s3xml_arena_init(&a, g_arena_mem, sizeof g_arena_mem);
	check(rc == 0 && r.status == 200 && rp_s3xml_parse_versioning(r.b.p, r.b.len, &a, &v, &err) == 0 &&
		      v == RP_S3XML_VERSIONING_ENABLED,
	      "an object-lock bucket has versioning Enabled");
	resp_free(&r);
	return g_failed ? 1 : 0;
}

/* GET bucket/key (or list the bucket); expects the status and error code. */
static int cmd_expect(long status, const char *want_code, const char *bucket, const char *key)
{
	char path[RP_SIGV4_PATH_MAX + 1];
	resp r;
	int rc;
	if (key != NULL) {
		snprintf(path, sizeof path, "/%s/%s", bucket, key);
		rc = request("GET", path, NULL, 0, NULL, 0, NULL, 0, &r);
	} else {
		rp_sigv4_param q[] = { { "list-type", "2" } };
		snprintf(path, sizeof path, "/%s", bucket);
		rc = request("GET", path, q, 1, NULL, 0, NULL, 0, &r);
	}
	char code[128] = "";
	int ok = rc == 0 && r.status == status && error_code(&r, code, sizeof code) == 0 && strcmp(code, want_code) == 0;
	check(ok, "GET %s: HTTP %ld %s (want %ld %s)", path, r.status, code, status, want_code);
	resp_free(&r);
	return ok ? 0 : 1;
}

static int cmd_list_raw(const char *bucket, const char *prefix, const char *max_keys)
{
	char path[600];
	resp r;
	rp_sigv4_param q[] = { { "list-type", "2" },
			       { "prefix", prefix != NULL ? prefix : "" },
			       { "max-keys", max_keys != NULL ? max_keys : "1000" } };
	snprintf(path, sizeof path, "/%s", bucket);
	if (request("GET", path, q, 3, NULL, 0, NULL, 0, &r) != 0 || r.status != 200) {
		fprintf(stderr, "s3probe: list: HTTP %ld\n", r.status);
		resp_free(&r);
		return 1;
	}
	fwrite(r.b.p, 1, r.b.len, stdout);
	resp_free(&r);
	return 0;
}

static int cmd_mkbucket(const char *bucket)
{
	char path[600];
	resp r;
	snprintf(path, sizeof path, "/%s", bucket);
	int rc = request("PUT", path, NULL, 0, NULL, 0, NULL, 0, &r);
	check(rc == 0 && r.status == 200, "create bucket %s (HTTP %ld)", bucket, r.status);
	resp_free(&r);
	return g_failed;
}

/* GET /bucket[/key][?sub] and print the body whatever the status (for
 * capturing real responses as unit-test fixtures). */
static int cmd_get_raw(const char *bucket, const char *key, const char *sub)
{
	char path[RP_SIGV4_PATH_MAX + 1];
	resp r;
	rp_sigv4_param q[] = { { sub, NULL } };
	if (key != NULL && key[0] != '\0')
		snprintf(path, sizeof path, "/%s/%s", bucket, key);
	else
		snprintf(path, sizeof path, "/%s", bucket);
	if (request("GET", path, q, sub != NULL ? 1 : 0, NULL, 0, NULL, 0, &r) != 0) {
		resp_free(&r);
		return 1;
	}
	fprintf(stderr, "s3probe: HTTP %ld\n", r.status);
	fwrite(r.b.p, 1, r.b.len, stdout);
	resp_free(&r);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: s3probe roundtrip BUCKET | expect STATUS CODE BUCKET [KEY] | mkbucket BUCKET\n"
			"       | list-raw BUCKET [PREFIX [MAXKEYS]]\n"
			"       | get-raw BUCKET [KEY [SUBRESOURCE]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *ep = getenv("S3_ENDPOINT"), *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY"), *region = getenv("AWS_REGION");
	rp_err err;
	if (argc < 3)
		return usage();
	if (ep == NULL || ak == NULL || sk == NULL) {
		fprintf(stderr, "s3probe: set S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n");
		return 2;
	}
	const char *h = strstr(ep, "://");
	if (h == NULL || strlen(h + 3) == 0 || strlen(h + 3) > RP_SIGV4_HOST_MAX) {
		fprintf(stderr, "s3probe: S3_ENDPOINT must look like http://HOST:PORT\n");
		return 2;
	}
	snprintf(g_host, sizeof g_host, "%s", h + 3);
	g_host[strcspn(g_host, "/")] = '\0';
	g_endpoint = ep;
	size_t el = strlen(ep);
	if (el > 0 && ep[el - 1] == '/') {
		fprintf(stderr, "s3probe: S3_ENDPOINT must not end in '/'\n");
		return 2;
	}
	if (rp_sigv4_ctx_init(&g_ctx, ak, sk, getenv("AWS_SESSION_TOKEN"), region != NULL ? region : "us-east-1", NULL,
			      &err) != 0) {
		fprintf(stderr, "s3probe: %s\n", err.msg);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 2;
	int rc;
	if (strcmp(argv[1], "roundtrip") == 0 && argc == 3)
		rc = cmd_roundtrip(argv[2]);
	else if (strcmp(argv[1], "expect") == 0 && (argc == 5 || argc == 6))
		rc = cmd_expect(strtol(argv[2], NULL, 10), argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	else if (strcmp(argv[1], "list-raw") == 0 && argc >= 3 && argc <= 5)
		rc = cmd_list_raw(argv[2], argc >= 4 ? argv[3] : NULL, argc == 5 ? argv[4] : NULL);
	else if (strcmp(argv[1], "mkbucket") == 0 && argc == 3)
		rc = cmd_mkbucket(argv[2]);
	else if (strcmp(argv[1], "get-raw") == 0 && argc >= 3 && argc <= 5)
		rc = cmd_get_raw(argv[2], argc >= 4 ? argv[3] : NULL, argc == 5 ? argv[4] : NULL);
	else
		rc = usage();
	rp_sigv4_ctx_clear(&g_ctx);
	curl_global_cleanup();
	return rc;
}
