/*
 * s3http_drive.c - test driver of the broker's S3 transport
 * (src/broker/s3http.c) and settings resolution (src/broker/s3conf.c)
 * against a real server. NOT part of rpvault.
 *
 * Why: the unit tests cover the pure parts; only a real S3 server proves
 * that signed PUT/GET/HEAD go through libcurl's multi interface correctly,
 * that connections are reused under parallel load, that caps, error
 * bodies, retries and deadlines behave. tests/system/test_s3_transport.sh
 * builds and runs it against Ceph RGW (tests/s3/rgw-start.sh) and a few
 * misbehaving local HTTP servers.
 *
 * Build (the system test does it):
 *   cc -std=c17 -D_GNU_SOURCE -Isrc -o s3http_drive tests/s3/s3http_drive.c \
 *      src/broker/s3http.c src/broker/s3conf.c src/broker/config.c \
 *      src/broker/sigv4.c src/common/{sha256,err,buf,keys,path,utf8}.c \
 *      -DRP_S3HTTP_TEST_HOOKS -lcurl -lbearssl
 * Usage: s3http_drive URI COMMAND [ARGS]; settings and credentials come
 * from the environment exactly as rpvault reads them (AWS_ENDPOINT_URL,
 * AWS_ACCESS_KEY_ID, ..., RPVAULT_S3_PATH_STYLE, RPVAULT_S3_ALLOW_HTTP,
 * RPVAULT_S3_MAX_ATTEMPTS, RPVAULT_S3_DEADLINE_MS).
 *   roundtrip               PUT/GET/HEAD/get_many of keys with spaces and UTF-8
 *   putmany N               N PUTs in parallel, read back with get_many
 *   toolarge                GET over the cap refused (Content-Length), at the cap accepted
 *   versioning              GET ?versioning
 *   expect CODE STATUS TEXT [KEY]
 *                           GET KEY (default "no-such-key"): error code name
 *                           CODE, HTTP STATUS (0: none), TEXT in the kept error
 *                           body ("-": not checked), secret in no message
 *   putflaky N [KEY]        put_many of KEY (default "flaky-put": 503 twice) and N other keys
 *   async DIR               asynchronous requests (rp_s3_submit / rp_s3_pump): 20 file
 *                           PUTs with their expected SHA-256, each read back hashed from
 *                           its callback; a PUT whose file does not hash to the expected
 *                           SHA-256 (RP_E_VERIFY, no request, nothing stored); a hashed
 *                           GET over its cap (RP_E_TOO_LARGE); a missing key (404);
 *                           cancelled requests leave no callback
 *   getbody KEY BODY MINATTEMPTS
 *                           GET succeeds with BODY after >= MINATTEMPTS attempts
 *   putfd DIR               PUTs streamed from files in DIR (5 MiB and empty,
 *                           alone and in one batch): GET back, same bytes,
 *                           ETag = MD5
 *   putfdchanged DIR        files changed after hashing, before sending
 *                           (truncated, grown, one byte rewritten; through
 *                           the test-only hook): RP_E_IO, one attempt,
 *                           nothing stored
 * Prints "ok - ..." / "not ok - ..." lines; exit 1 if any check failed.
 * Security posture: test code; never prints the secret (it checks that no
 * message contains it).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/curl_lazy.h"
#include "broker/s3conf.h"
#include "broker/s3http.h"
#include "broker/s3http_internal.h"
#include "common/sha256.h"

static int g_failed;
static const char *g_secret;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - s3http: ", ok ? "ok" : "not ok");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!ok)
		g_failed = 1;
}

static int no_secret(const char *msg)
{
	return g_secret == NULL || strlen(g_secret) < 4 || strstr(msg, g_secret) == NULL;
}

static double secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_client(const char *uri, rp_s3 **s, rp_s3_settings *set)
{
	rp_s3_creds creds;
	rp_err err;
	if (rp_s3_resolve(uri, NULL, NULL, set, &creds, &err) != 0) {
		check(0, "resolve %s: %s", uri, err.msg);
		return -1;
	}
	if (rp_s3_open(s, set, &creds, &err) != 0) {
		check(0, "open: %s", err.msg);
		return -1;
	}
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	printf("# libcurl %s: %s\n", v != NULL ? v->version : "?", rp_curl_mode_name());
	return 0;
}

static void etag_of(const void *data, size_t len, char out[35])
{
	uint8_t d[16];
	br_md5_context c;
	br_md5_init(&c);
	br_md5_update(&c, data, len);
	br_md5_out(&c, d);
	out[0] = '"';
	rp_hex_encode(d, 16, out + 1);
	out[33] = '"';
	out[34] = '\0';
}

static int cmd_roundtrip(rp_s3 *s, const rp_s3_settings *set)
{
	static const char *keys[] = {
		"with space/file name.json",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac/r\xc3\xa9sum\xc3\xa9 1+2*3~4=5&6?7#8%9.json",
	};
	static rp_s3_put_item items[2];
	char full[2][512];
	const char *data[2] = { "{\"a\":1}\n", "{\"d\":\"caf\xc3\xa9\"}" };
	for (int i = 0; i < 2; i++) {
		snprintf(full[i], sizeof full[i], "%s%s", set->root_prefix, keys[i]);
		memset(&items[i], 0, sizeof items[i]);
		items[i].key = full[i];
		items[i].data = (const uint8_t *)data[i];
		items[i].len = strlen(data[i]);
		items[i].fd = -1;
	}
	rp_err err;
	int rc = rp_s3_put_many(s, items, 2, &err);
	check(rc == 0 && items[0].resp.status == 200 && items[1].resp.status == 200,
	      "put_many of keys with spaces and UTF-8 (%s)", rc == 0 ? "200" : err.msg);
	char want[35];
	for (int i = 0; i < 2; i++) {
		etag_of(data[i], strlen(data[i]), want);
		check(strcmp(items[i].resp.etag, want) == 0, "PUT %d ETag is the quoted MD5 (%s)", i, items[i].resp.etag);
	}
	static rp_s3_resp resp;
	rp_buf b;
	rp_buf_init(&b, 1024);
	for (int i = 0; i < 2; i++) {
		rc = rp_s3_get(s, full[i], RP_MAX_ARTIFACT_BYTES, &b, &resp, &err);
		check(rc == 0 && b.len == strlen(data[i]) && memcmp(b.data, data[i], b.len) == 0 && resp.has_length &&
			      resp.length == b.len,
		      "GET %d returns the same bytes (%s, %zu bytes, %u attempt)", i, rc == 0 ? "ok" : err.msg, b.len,
		      resp.attempts);
		rc = rp_s3_head(s, full[i], &resp, &err);
		etag_of(data[i], strlen(data[i]), want);
		check(rc == 0 && resp.status == 200 && resp.has_length && resp.length == strlen(data[i]) &&
			      strcmp(resp.etag, want) == 0,
		      "HEAD %d: length %llu, ETag %s", i, (unsigned long long)resp.length, resp.etag);
	}
	rp_buf_free(&b);
	/* HEAD of a missing key: NOTFOUND */
	char miss[512];
	snprintf(miss, sizeof miss, "%sno such key \xc3\xa9", set->root_prefix);
	rc = rp_s3_head(s, miss, &resp, &err);
	check(rc != 0 && err.code == RP_E_NOTFOUND && resp.status == 404 && strstr(err.msg, "not found") != NULL,
	      "HEAD of a missing key is not found (%s)", err.msg);
	/* get_many: two present, one missing */
	static rp_s3_get_item g[3];
	const char *gk[3] = { full[0], full[1], miss };
	for (int i = 0; i < 3; i++) {
		memset(&g[i], 0, sizeof g[i]);
		g[i].key = gk[i];
		g[i].max = 1024;
		rp_buf_init(&g[i].body, 1024);
	}
	rc = rp_s3_get_many(s, g, 3, &err);
	check(rc != 0 && !g[0].failed && !g[1].failed && g[2].failed && err.code == RP_E_NOTFOUND &&
		      g[1].body.len == strlen(data[1]) && memcmp(g[1].body.data, data[1], g[1].body.len) == 0,
	      "get_many: two bodies and one not found (%s)", err.msg);
	for (int i = 0; i < 3; i++)
		rp_buf_free(&g[i].body);
	return 0;
}

static int cmd_putmany(rp_s3 *s, const rp_s3_settings *set, int n)
{
	rp_s3_put_item *items = calloc((size_t)n, sizeof *items);
	char (*keys)[128] = calloc((size_t)n, 128);
	uint8_t **bodies = calloc((size_t)n, sizeof *bodies);
	if (items == NULL || keys == NULL || bodies == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		size_t len = 100 + (size_t)i * 997;
		bodies[i] = malloc(len);
		for (size_t j = 0; j < len; j++)
			bodies[i][j] = (uint8_t)('a' + (i + (int)j) % 26);
		snprintf(keys[i], sizeof keys[i], "%smany/obj %03d \xc3\xa9.json", set->root_prefix, i);
		items[i].key = keys[i];
		items[i].data = bodies[i];
		items[i].len = len;
		items[i].fd = -1;
	}
	rp_err err;
	double t0 = secs();
	int rc = rp_s3_put_many(s, items, (size_t)n, &err);
	double t1 = secs();
	int ok = rc == 0;
	for (int i = 0; i < n; i++)
		ok = ok && items[i].resp.status == 200 && items[i].err.code == RP_OK && items[i].resp.etag[0] == '"';
	check(ok, "put_many of %d objects, %u at a time, in %.2f s (%s)", n, set->parallel, t1 - t0,
	      rc == 0 ? "all 200" : err.msg);
	rp_s3_get_item *g = calloc((size_t)n, sizeof *g);
	for (int i = 0; i < n; i++) {
		g[i].key = keys[i];
		g[i].max = RP_MAX_ARTIFACT_BYTES;
		rp_buf_init(&g[i].body, RP_MAX_ARTIFACT_BYTES);
	}
	t0 = secs();
	rc = rp_s3_get_many(s, g, (size_t)n, &err);
	t1 = secs();
	ok = rc == 0;
	for (int i = 0; i < n; i++) {
		ok = ok && g[i].body.len == items[i].len && memcmp(g[i].body.data, bodies[i], items[i].len) == 0;
		rp_buf_free(&g[i].body);
		free(bodies[i]);
	}
	check(ok, "get_many of %d objects returns every byte in %.2f s", n, t1 - t0);
	free(g);
	free(items);
	free(keys);
	free(bodies);
	return 0;
}

static int cmd_toolarge(rp_s3 *s, const rp_s3_settings *set)
{
	static uint8_t data[1000];
	memset(data, 'x', sizeof data);
	char key[256];
	snprintf(key, sizeof key, "%sbig/one thousand.json", set->root_prefix);
	rp_s3_put_item it = { .key = key, .data = data, .len = sizeof data, .fd = -1 };
	rp_err err;
	int rc = rp_s3_put_many(s, &it, 1, &err);
	check(rc == 0, "PUT 1000 bytes (%s)", rc == 0 ? "ok" : err.msg);
	static rp_s3_resp resp;
	rp_buf b;
	rp_buf_init(&b, 10);
	rc = rp_s3_get(s, key, 999, &b, &resp, &err);
	char want[512];
	snprintf(want, sizeof want, "artifact too large: %s (1000 > 999)", key);
	check(rc != 0 && err.code == RP_E_TOO_LARGE && strcmp(err.msg, want) == 0 && b.len == 0 &&
		      resp.attempts == 1,
	      "GET over the cap refused by Content-Length, no body read, not retried (%s)", err.msg);
	rc = rp_s3_get(s, key, 1000, &b, &resp, &err);
	check(rc == 0 && b.len == 1000, "GET at exactly the cap succeeds (%s)", rc == 0 ? "ok" : err.msg);
	rp_buf_free(&b);
	return 0;
}

static int cmd_versioning(rp_s3 *s, const rp_s3_settings *set)
{
	rp_sigv4_param q[] = { { "versioning", NULL } };
	rp_buf b;
	rp_buf_init(&b, 16);
	static rp_s3_resp resp;
	rp_err err;
	int rc = rp_s3_get_bucket(s, q, 1, &b, &resp, &err);
	(void)rp_buf_cstr(&b, &err);
	check(rc == 0 && resp.status == 200 && b.len > 0 && strstr((char *)b.data, "VersioningConfiguration") != NULL,
	      "GET ?versioning answers a VersioningConfiguration (%zu bytes)", b.len);
	char pfx[RP_MAX_PATH_TOTAL + 8];
	snprintf(pfx, sizeof pfx, "%smany/", set->root_prefix);
	rp_sigv4_param l[] = { { "list-type", "2" }, { "max-keys", "5" }, { "prefix", pfx } };
	rc = rp_s3_get_bucket(s, l, 3, &b, &resp, &err);
	(void)rp_buf_cstr(&b, &err);
	check(rc == 0 && strstr((char *)b.data, "<ListBucketResult") != NULL &&
		      strstr((char *)b.data, "<IsTruncated>true</IsTruncated>") != NULL,
	      "GET ?list-type=2&max-keys=5 answers a truncated listing");
	rp_buf_free(&b);
	return 0;
}

static const char *code_name(rp_code c)
{
	return rp_code_name(c);
}

static int cmd_expect(rp_s3 *s, const char *code, long status, const char *text, const char *key)
{
	static rp_s3_resp resp;
	rp_buf b;
	rp_buf_init(&b, 16);
	rp_err err;
	double t0 = secs();
	int rc = rp_s3_get(s, key, 1024, &b, &resp, &err);
	double t1 = secs();
	char body[RP_S3_ERR_BODY_MAX + 1];
	memcpy(body, resp.err_body, resp.err_body_len);
	body[resp.err_body_len] = '\0';
	int ok = rc != 0 && strcmp(code_name(err.code), code) == 0 && resp.status == status &&
		 (strcmp(text, "-") == 0 || strstr(body, text) != NULL) && no_secret(err.msg);
	check(ok, "GET %s: %s, HTTP %ld, body has %s, in %.1f s after %u attempts (%s)", key, code_name(err.code),
	      resp.status, text, t1 - t0, resp.attempts, err.msg);
	rp_buf_free(&b);
	return 0;
}

/* put_many of flaky (e.g. "flaky-put", which the fake server answers 503
 * twice) and n ordinary keys: everything succeeds, only the flaky one is
 * retried. */
static int cmd_putflaky(rp_s3 *s, int n, const char *flaky)
{
	rp_s3_put_item *items = calloc((size_t)n + 1, sizeof *items);
	char (*keys)[32] = calloc((size_t)n + 1, 32);
	if (items == NULL || keys == NULL)
		return -1;
	for (int i = 0; i <= n; i++) {
		if (i == 0)
			snprintf(keys[i], 32, "%s", flaky);
		else
			snprintf(keys[i], 32, "ok-%d", i);
		items[i].key = keys[i];
		items[i].data = (const uint8_t *)keys[i];
		items[i].len = strlen(keys[i]);
		items[i].fd = -1;
	}
	rp_err err;
	int rc = rp_s3_put_many(s, items, (size_t)n + 1, &err);
	int ok = rc == 0 && items[0].resp.attempts == 3;
	for (int i = 1; i <= n; i++)
		ok = ok && items[i].resp.attempts == 1 && items[i].resp.status == 200;
	check(ok, "put_many: the item answered 503 twice succeeds on attempt %u, the %d others on their first (%s)",
	      items[0].resp.attempts, n, rc == 0 ? "ok" : err.msg);
	free(items);
	free(keys);
	return 0;
}

static int cmd_getbody(rp_s3 *s, const char *key, const char *want, unsigned min_attempts)
{
	static rp_s3_resp resp;
	rp_buf b;
	rp_buf_init(&b, 16);
	rp_err err;
	int rc = rp_s3_get(s, key, 1024, &b, &resp, &err);
	check(rc == 0 && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0 && resp.attempts >= min_attempts,
	      "GET %s succeeds after %u attempts (%s)", key, resp.attempts, rc == 0 ? "ok" : err.msg);
	rp_buf_free(&b);
	return 0;
}

/* A file of n bytes at DIR/NAME (pattern from seed), opened read-write. */
static int make_file(const char *dir, const char *name, size_t n, unsigned seed, uint8_t **copy)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint8_t *p = malloc(n > 0 ? n : 1);
	if (fd < 0 || p == NULL) {
		check(0, "create %s", path);
		exit(1);
	}
	uint32_t x = seed * 2654435761u + 1u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, p + off, n - off);
		if (w <= 0) {
			check(0, "write %s", path);
			exit(1);
		}
		off += (size_t)w;
	}
	*copy = p;
	return fd;
}

/* GET key: the same n bytes; HEAD: the ETag is their MD5. */
static void check_stored(rp_s3 *s, const char *key, const uint8_t *p, size_t n, const char *what)
{
	static rp_s3_resp resp;
	rp_buf b;
	rp_err err;
	char want[35];
	rp_buf_init(&b, RP_MAX_ARTIFACT_BYTES);
	int rc = rp_s3_get(s, key, RP_MAX_ARTIFACT_BYTES, &b, &resp, &err);
	check(rc == 0 && b.len == n && (n == 0 || memcmp(b.data, p, n) == 0),
	      "%s: GET returns the file's %zu bytes (%s, %zu bytes)", what, n, rc == 0 ? "ok" : err.msg, b.len);
	rp_buf_free(&b);
	etag_of(p, n, want);
	rc = rp_s3_head(s, key, &resp, &err);
	check(rc == 0 && resp.has_length && resp.length == n && strcmp(resp.etag, want) == 0,
	      "%s: HEAD length %llu, ETag %s is the MD5", what, (unsigned long long)resp.length, resp.etag);
}

static int cmd_putfd(rp_s3 *s, const rp_s3_settings *set, const char *dir)
{
	const size_t big = 5u * 1024u * 1024u;
	uint8_t *pb, *pe;
	int fb = make_file(dir, "five", big, 1, &pb), fe = make_file(dir, "empty", 0, 2, &pe);
	(void)lseek(fb, 12345, SEEK_SET); /* the transport uses pread: the offset does not matter */
	char kb[512], ke[512], k2[512], k3[512];
	snprintf(kb, sizeof kb, "%sfd/five MiB Ã©.json", set->root_prefix);
	snprintf(ke, sizeof ke, "%sfd/empty.json", set->root_prefix);
	snprintf(k2, sizeof k2, "%sfd/batch/five.json", set->root_prefix);
	snprintf(k3, sizeof k3, "%sfd/batch/empty.json", set->root_prefix);
	rp_err err;
	/* alone */
	rp_s3_put_item it = { .key = kb, .fd = fb, .size = big };
	double t0 = secs();
	int rc = rp_s3_put_many(s, &it, 1, &err);
	check(rc == 0 && it.resp.status == 200 && it.resp.attempts == 1,
	      "PUT of a 5 MiB file from its descriptor in %.2f s (%s)", secs() - t0, rc == 0 ? "200" : err.msg);
	check_stored(s, kb, pb, big, "5 MiB file");
	rp_s3_put_item ie = { .key = ke, .fd = fe, .size = 0 };
	rc = rp_s3_put_many(s, &ie, 1, &err);
	check(rc == 0 && ie.resp.status == 200, "PUT of an empty file from its descriptor (%s)",
	      rc == 0 ? "200" : err.msg);
	check_stored(s, ke, pe, 0, "empty file");
	/* both in one batch; the same descriptor twice */
	rp_s3_put_item items[3] = { { .key = k2, .fd = fb, .size = big },
				    { .key = k3, .fd = fe, .size = 0 },
				    { .key = kb, .fd = fb, .size = big } };
	rc = rp_s3_put_many(s, items, 3, &err);
	check(rc == 0 && items[0].resp.status == 200 && items[1].resp.status == 200 && items[2].resp.status == 200,
	      "put_many of file bodies (5 MiB twice from one descriptor, empty) (%s)", rc == 0 ? "200" : err.msg);
	check_stored(s, k2, pb, big, "batched 5 MiB file");
	check_stored(s, k3, pe, 0, "batched empty file");
	close(fb);
	close(fe);
	free(pb);
	free(pe);
	return 0;
}

static int g_change; /* 1 truncate, 2 grow, 3 rewrite one byte */
static void after_hash(const char *key, int fd)
{
	(void)key;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return;
	if (g_change == 1)
		(void)!ftruncate(fd, st.st_size / 3);
	else if (g_change == 2)
		(void)!pwrite(fd, "x", 1, st.st_size);
	else if (g_change == 3) {
		uint8_t c;
		if (pread(fd, &c, 1, st.st_size / 2) == 1) {
			c ^= 0x5a;
			(void)!pwrite(fd, &c, 1, st.st_size / 2);
		}
	}
}

static int cmd_putfdchanged(rp_s3 *s, const rp_s3_settings *set, const char *dir)
{
	static const char *what[] = { "", "truncated", "grown by one byte", "one byte rewritten" };
	const size_t n = 3u * 1024u * 1024u + 5u;
	rp_s3_test_after_hash = after_hash;
	for (int mode = 1; mode <= 3; mode++) {
		uint8_t *p;
		char name[32], key[512], want[600];
		snprintf(name, sizeof name, "changed-%d", mode);
		int fd = make_file(dir, name, n, (unsigned)mode + 10u, &p);
		snprintf(key, sizeof key, "%sfd/changed %d.json", set->root_prefix, mode);
		rp_s3_put_item it = { .key = key, .fd = fd, .size = n };
		rp_err err;
		g_change = mode;
		int rc = rp_s3_put_many(s, &it, 1, &err);
		g_change = 0;
		snprintf(want, sizeof want, "PUT %s: the local file changed while it was uploaded", key);
		check(rc != 0 && err.code == RP_E_IO && strcmp(err.msg, want) == 0 && it.err.code == RP_E_IO &&
			      it.resp.attempts == 1,
		      "a file %s after hashing: RP_E_IO, not retried (%s, %u attempt)", what[mode], err.msg,
		      it.resp.attempts);
		static rp_s3_resp resp;
		rc = rp_s3_head(s, key, &resp, &err);
		check(rc != 0 && err.code == RP_E_NOTFOUND, "a file %s after hashing: nothing stored (%s)", what[mode],
		      rc == 0 ? "the object exists" : err.msg);
		close(fd);
		free(p);
	}
	rp_s3_test_after_hash = NULL;
	return 0;
}

/* ---- asynchronous requests ---------------------------------------------------------------- */

typedef struct areq {
	rp_s3_req r;
	rp_s3_resp resp;
	char key[512];
	uint8_t sha[32];
	uint64_t size;
	int phase; /* 0 PUT, 1 GET back, 2 done */
	int calls;
	rp_s3 *s;
} areq;

static void a_done(void *ctx, rp_s3_req *r)
{
	areq *a = ctx;
	a->calls++;
	if (a->phase == 0 && !r->failed) {
		/* from inside the callback: the read-back of what was just stored */
		int fd = a->r.fd;
		memset(&a->r, 0, sizeof a->r);
		a->r.kind = RP_S3_REQ_GET_HASH;
		a->r.key = a->key;
		a->r.fd = fd;
		a->r.max = a->size;
		a->r.resp = &a->resp;
		a->r.done = a_done;
		a->r.ctx = a;
		a->phase = 1;
		rp_err e;
		if (rp_s3_submit(a->s, &a->r, &e) != 0)
			a->phase = 2;
		return;
	}
	a->phase = 2;
}

static void a_init(areq *a, rp_s3 *s, int kind, const char *key)
{
	memset(a, 0, sizeof *a);
	snprintf(a->key, sizeof a->key, "%s", key);
	a->s = s;
	a->r.kind = kind;
	a->r.key = a->key;
	a->r.fd = -1;
	a->r.resp = &a->resp;
	a->r.done = a_done;
	a->r.ctx = a;
}

static void a_run(rp_s3 *s)
{
	double t0 = secs();
	while (rp_s3_unfinished(s) > 0 && secs() - t0 < 60)
		(void)rp_s3_pump(s, -1, 1000);
}

static int cmd_async(rp_s3 *s, const rp_s3_settings *set, const char *dir)
{
	enum { N = 20 };
	static areq a[N];
	uint8_t *bodies[N];
	int fds[N];
	rp_err err;
	int submitted = 0;
	for (int i = 0; i < N; i++) {
		char name[32], key[512];
		size_t n = (size_t)(i % 4 == 0 ? 1024 * 1024 + i : 100 + i * 37);
		snprintf(name, sizeof name, "async-%d", i);
		fds[i] = make_file(dir, name, n, (unsigned)i + 40u, &bodies[i]);
		snprintf(key, sizeof key, "%sasync/obj %d.json", set->root_prefix, i);
		a_init(&a[i], s, RP_S3_REQ_PUT_FD, key);
		rp_sha256_digest(bodies[i], n, a[i].sha);
		a[i].size = n;
		a[i].r.fd = fds[i];
		a[i].r.size = n;
		a[i].r.expect_sha = a[i].sha;
		submitted += rp_s3_submit(s, &a[i].r, &err) == 0;
	}
	check(submitted == N && rp_s3_unfinished(s) == N, "20 requests queued, none finished by submit (%u)",
	      rp_s3_unfinished(s));
	a_run(s);
	int ok = 0;
	for (int i = 0; i < N; i++)
		ok += a[i].phase == 2 && a[i].calls == 2 && !a[i].r.failed && a[i].r.got == a[i].size &&
		      memcmp(a[i].r.sha, a[i].sha, 32) == 0;
	check(ok == N, "20 file PUTs, each read back (hashed) from its own callback: %d of 20 match", ok);
	for (int i = 0; i < N; i++) {
		close(fds[i]);
		free(bodies[i]);
	}
	/* the file no longer has the verified bytes: refused before any request */
	uint8_t *p;
	int fd = make_file(dir, "async-wrong", 4096, 77u, &p);
	static areq w;
	char key[512];
	snprintf(key, sizeof key, "%sasync/wrong.json", set->root_prefix);
	a_init(&w, s, RP_S3_REQ_PUT_FD, key);
	memset(w.sha, 0xab, sizeof w.sha);
	w.r.fd = fd;
	w.r.size = 4096;
	w.r.expect_sha = w.sha;
	check(rp_s3_submit(s, &w.r, &err) == 0, "submit PUT with a wrong expected hash");
	a_run(s);
	check(w.r.failed && w.r.err.code == RP_E_VERIFY && w.resp.attempts == 0 &&
		      strstr(w.r.err.msg, "the local file no longer holds the bytes that were verified") != NULL,
	      "a file that does not hash to the expected SHA-256: RP_E_VERIFY, no request (%s, %u attempts)",
	      w.r.err.msg, w.resp.attempts);
	static rp_s3_resp hr;
	check(rp_s3_head(s, key, &hr, &err) != 0 && err.code == RP_E_NOTFOUND, "... and nothing stored (%s)", err.msg);
	close(fd);
	free(p);
	/* hashed GET over its cap; a missing key */
	static areq g, m;
	a_init(&g, s, RP_S3_REQ_GET_HASH, a[0].key);
	g.phase = 1;
	g.r.max = a[0].size - 1;
	a_init(&m, s, RP_S3_REQ_GET_HASH, "async/no such key");
	m.phase = 1;
	m.r.max = 100;
	check(rp_s3_submit(s, &g.r, &err) == 0 && rp_s3_submit(s, &m.r, &err) == 0, "submit two GETs");
	a_run(s);
	check(g.r.failed && g.r.err.code == RP_E_TOO_LARGE, "a hashed GET over its cap: RP_E_TOO_LARGE (%s)",
	      g.r.err.msg);
	check(m.r.failed && m.r.err.code == RP_E_NOTFOUND && m.resp.status == 404 && m.resp.err_body_len > 0,
	      "a hashed GET of a missing key: 404 with its error body kept (%s)", m.r.err.msg);
	/* cancelled: queued and running requests go without a callback */
	static areq c1, c2;
	a_init(&c1, s, RP_S3_REQ_GET_HASH, a[1].key);
	c1.phase = 1;
	c1.r.max = a[1].size;
	a_init(&c2, s, RP_S3_REQ_GET_HASH, a[0].key);
	c2.phase = 1;
	c2.r.max = a[0].size;
	check(rp_s3_submit(s, &c1.r, &err) == 0 && rp_s3_submit(s, &c2.r, &err) == 0, "submit two GETs to cancel");
	rp_s3_cancel_requests(s);
	int before = c1.calls + c2.calls;
	a_run(s);
	check(rp_s3_unfinished(s) == 0 && before == 0 && c1.calls + c2.calls == 0,
	      "cancelled requests: none left, no callback, also after pumping (%d calls)", c1.calls + c2.calls);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: s3http_drive URI COMMAND [ARGS]\n");
		return 2;
	}
	g_secret = getenv("AWS_SECRET_ACCESS_KEY");
	rp_s3 *s = NULL;
	rp_s3_settings set;
	if (open_client(argv[1], &s, &set) != 0)
		return 1;
	const char *cmd = argv[2];
	if (strcmp(cmd, "roundtrip") == 0)
		cmd_roundtrip(s, &set);
	else if (strcmp(cmd, "putmany") == 0 && argc > 3)
		cmd_putmany(s, &set, atoi(argv[3]));
	else if (strcmp(cmd, "toolarge") == 0)
		cmd_toolarge(s, &set);
	else if (strcmp(cmd, "versioning") == 0)
		cmd_versioning(s, &set);
	else if (strcmp(cmd, "expect") == 0 && argc > 5)
		cmd_expect(s, argv[3], atol(argv[4]), argv[5], argc > 6 ? argv[6] : "no-such-key");
	else if (strcmp(cmd, "putflaky") == 0 && argc > 3)
		cmd_putflaky(s, atoi(argv[3]), argc > 4 ? argv[4] : "flaky-put");
	else if (strcmp(cmd, "putfd") == 0 && argc > 3)
		cmd_putfd(s, &set, argv[3]);
	else if (strcmp(cmd, "putfdchanged") == 0 && argc > 3)
		cmd_putfdchanged(s, &set, argv[3]);
	else if (strcmp(cmd, "async") == 0 && argc > 3)
		cmd_async(s, &set, argv[3]);
	else if (strcmp(cmd, "getbody") == 0 && argc > 5)
		cmd_getbody(s, argv[3], argv[4], (unsigned)atoi(argv[5]));
	else {
		fprintf(stderr, "s3http_drive: unknown command %s\n", cmd);
		rp_s3_close(s);
		return 2;
	}
	rp_s3_close(s);
	return g_failed ? 1 : 0;
}
