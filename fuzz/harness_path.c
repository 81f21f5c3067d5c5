/*
 * harness_path.c - fuzzes the path and object-key validators
 * (src/common/path.c, src/common/keys.c).
 *
 * Functions: rp_path_check, rp_path_validate, rp_path_reason,
 * rp_printable, rp_key_segment_check, rp_key_prefix, rp_key_prefix_check,
 * rp_key_normalize_root. Every input goes through all of them.
 *
 * Properties checked (abort() on violation, so AFL keeps the input):
 *  - rp_path_check accepts a path only if it is 1..4096 bytes, has no
 *    leading '/', no "..", "." or empty segment, no '\', no control byte
 *    and no segment over 255 bytes; its status agrees with an independent
 *    re-implementation of those rules; rp_path_validate fails exactly
 *    when rp_path_check does, with RP_E_PATH.
 *  - rp_printable always NUL-terminates inside the buffer and writes
 *    valid UTF-8 without control bytes, and copies printable UTF-8 input
 *    that fits unchanged.
 *  - rp_key_segment_check accepts exactly the segments of spec §11.1.
 *  - a prefix built by rp_key_prefix from non-zero ids and a 64-hex
 *    spec hash passes rp_key_prefix_check; a prefix accepted by
 *    rp_key_prefix_check is rebuilt byte for byte by rp_key_prefix from
 *    its own segments.
 *  - rp_key_normalize_root agrees with a reference model of Decision
 *    Gate's normalize_prefix (spec §11.3, ASCII white space; inputs over
 *    8 KiB may be refused), its result fits the output array, and it is
 *    idempotent.
 * Output buffers are heap blocks of exactly the documented size so ASan
 * reports any write past them.
 *
 * Input: the bytes are used whole (as a path, a segment, a prefix, a root
 * prefix) and, split at the first two '\n', as (scenario, run, hash) for
 * rp_key_prefix with tenant/namespace taken from the scenario's length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/keys.h"
#include "common/limits.h"
#include "common/path.h"
#include "common/sha256.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_path: property failed at line %d: %s\n",     \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* An independent statement of the canonical path rule (path.h). */
static int model_path_ok(const char *p, size_t len)
{
	if (len == 0 || len > RP_MAX_PATH_TOTAL || p[0] == '/')
		return 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len) {
			unsigned char c = (unsigned char)p[i];
			if (c == '\\' || c < 0x20 || c == 0x7f)
				return 0;
			if (c != '/')
				continue;
		}
		size_t seg = i - start;
		if (seg == 0 || seg > RP_MAX_PATH_COMPONENT)
			return 0;
		if (seg == 1 && p[start] == '.')
			return 0;
		if (seg == 2 && p[start] == '.' && p[start + 1] == '.')
			return 0;
		start = i + 1;
	}
	return 1;
}

static int has_dotdot_segment(const char *p, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
			return 1;
		start = i + 1;
	}
	return 0;
}

/* The shared strict decoder (src/common/utf8.c), with its own unit tests;
 * a length or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	return rp_utf8_decode(s, n, &cp);
}

/* 1 if s[0..n) is valid UTF-8 with no control byte. */
static int printable_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(u + i, n - i);
		if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f)))
			return 0;
		i += k;
	}
	return 1;
}

static void check_path(const char *p, size_t len)
{
	rp_path_status st = rp_path_check(p, len);
	int ok = st == RP_PATH_OK;
	CHECK(ok == model_path_ok(p, len));
	if (ok) {
		CHECK(len > 0 && p[0] != '/');
		CHECK(!has_dotdot_segment(p, len));
		CHECK(p[len - 1] != '/');
		for (size_t i = 0; i + 1 < len; i++)
			CHECK(!(p[i] == '/' && p[i + 1] == '/'));
		CHECK(memchr(p, '\0', len) == NULL && memchr(p, '\\', len) == NULL);
	} else if (has_dotdot_segment(p, len) && p[0] != '/') {
		/* Traversal is reported first (Decision Gate's message). */
		CHECK(st == RP_PATH_TRAVERSAL);
	}
	const char *why = rp_path_reason(st);
	CHECK(why != NULL && why[0] != '\0');
	rp_err err;
	rp_err_clear(&err);
	int rc = rp_path_validate(p, len, "path", &err);
	CHECK((rc == 0) == ok);
	if (!ok) {
		CHECK(err.code == RP_E_PATH);
		CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
	}
}

static void check_printable(const char *p, size_t len, size_t outsz)
{
	/* One guard byte after the block: rp_printable must not touch it. */
	char *out = malloc(outsz + 1);
	CHECK(out != NULL);
	memset(out, 'Z', outsz + 1);
	char *r = rp_printable(p, len, out, outsz);
	CHECK(r == out);
	CHECK(out[outsz] == 'Z');
	if (outsz > 0) {
		size_t n = strnlen(out, outsz);
		CHECK(n < outsz);
		CHECK(printable_utf8(out, n));
		if (printable_utf8(p, len) && memchr(p, '\0', len) == NULL && len + 4 <= outsz)
			CHECK(n == len && memcmp(out, p, len) == 0);
	}
	free(out);
}

static void check_segment(const char *s, size_t len)
{
	rp_err err;
	rp_err_clear(&err);
	int ok = rp_key_segment_check(s, len, &err) == 0;
	int model = len > 0 && len <= RP_MAX_PATH_COMPONENT && !(len == 1 && s[0] == '.') &&
		    !(len == 2 && s[0] == '.' && s[1] == '.') && memchr(s, '/', len) == NULL &&
		    memchr(s, '\\', len) == NULL && memchr(s, '\0', len) == NULL;
	CHECK(ok == model);
	if (!ok)
		CHECK(err.code == RP_E_PATH);
}

static int is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Builds a prefix and checks the build/check agreement. */
static void check_build(uint64_t tenant, uint64_t ns, const char *sc, size_t scn, const char *run,
			size_t runn, const char *hash, size_t hashn)
{
	char *out = malloc(RP_KEY_PREFIX_MAX + 1);
	CHECK(out != NULL);
	rp_err err;
	rp_err_clear(&err);
	if (rp_key_prefix(tenant, ns, sc, scn, run, runn, hash, hashn, out, &err) == 0) {
		size_t n = strnlen(out, RP_KEY_PREFIX_MAX + 1);
		CHECK(n <= RP_KEY_PREFIX_MAX && n > 0 && out[n - 1] == '/');
		rp_err cerr;
		rp_err_clear(&cerr);
		int checked = rp_key_prefix_check(out, &cerr) == 0;
		if (tenant != 0 && ns != 0 && is_hex64(hash, hashn))
			CHECK(checked);
		else
			CHECK(!checked);
	} else {
		CHECK(err.code == RP_E_PATH);
	}
	free(out);
}

/* A prefix accepted by rp_key_prefix_check must be exactly what
 * rp_key_prefix derives from its own segments. */
static void check_prefix(const char *s)
{
	rp_err err;
	rp_err_clear(&err);
	if (rp_key_prefix_check(s, &err) != 0) {
		CHECK(err.code == RP_E_PATH);
		return;
	}
	const char *seg[11];
	size_t len[11];
	size_t n = strlen(s), start = 0;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '/')
			continue;
		CHECK(k < 11);
		seg[k] = s + start;
		len[k] = i - start;
		k++;
		start = i + 1;
	}
	CHECK(k == 11 && start == n);
	uint64_t t = strtoull(seg[1], NULL, 10), ns = strtoull(seg[3], NULL, 10);
	CHECK(t != 0 && ns != 0);
	char *out = malloc(RP_KEY_PREFIX_MAX + 1);
	CHECK(out != NULL);
	rp_err_clear(&err);
	CHECK(rp_key_prefix(t, ns, seg[5], len[5], seg[7], len[7], seg[10], len[10], out, &err) == 0);
	CHECK(strcmp(out, s) == 0);
	free(out);
}

static int ascii_ws(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Reference model of normalize_prefix (spec §11.3 over §11.2) on the
 * whole C string. Returns 0 and writes "" or "<p>/" into ref (which holds
 * RP_MAX_PATH_TOTAL + 2 bytes), or -1 when Decision Gate rejects it. */
static int model_normalize(const char *in, char *ref)
{
	size_t len = strlen(in), b = 0, e = len;
	while (b < e && ascii_ws(in[b]))
		b++;
	while (e > b && ascii_ws(in[e - 1]))
		e--;
	ref[0] = '\0';
	if (b == e)
		return 0;
	if (in[b] == '/')
		return -1;
	if (in[e - 1] == '/')
		e--;
	size_t n = e - b;
	const char *p = in + b;
	if (n == 0 || memchr(p, '\\', n) != NULL || n > RP_MAX_PATH_TOTAL)
		return -1;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		size_t sl = i - start;
		if (sl == 2 && p[start] == '.' && p[start + 1] == '.')
			return -1;
		if (sl == 1 && p[start] == '.' && start == 0)
			return -1;
		if (sl > RP_MAX_PATH_COMPONENT)
			return -1;
		start = i + 1;
	}
	memcpy(ref, p, n);
	ref[n] = '/';
	ref[n + 1] = '\0';
	return 0;
}

static void check_normalize(const char *in)
{
	char *out = malloc(RP_KEY_PREFIX_MAX + 1); /* the documented size, exactly */
	char *ref = malloc(RP_MAX_PATH_TOTAL + 2);
	CHECK(out != NULL && ref != NULL);
	rp_err err;
	rp_err_clear(&err);
	int mrc = model_normalize(in, ref);
	/* RP_FUZZ_KNOWN=normalize-root-4096 skips the known off-by-one on a
	 * 4096-byte prefix while its fix is pending (docs/security/fuzzing.md). */
	const char *k = getenv("RP_FUZZ_KNOWN");
	if (k != NULL && strstr(k, "normalize-root-4096") != NULL && mrc == 0 &&
	    strlen(ref) > RP_KEY_PREFIX_MAX) {
		free(ref);
		free(out);
		return;
	}
	int rc = rp_key_normalize_root(in, out, &err);
	if (rc == 0) {
		size_t n = strnlen(out, RP_KEY_PREFIX_MAX + 1);
		CHECK(n <= RP_KEY_PREFIX_MAX);
		CHECK(n == 0 || (out[n - 1] == '/' && out[0] != '/'));
		CHECK(memchr(out, '\\', n) == NULL);
		/* Accepted only if Decision Gate accepts it, with the same result. */
		CHECK(mrc == 0 && strcmp(out, ref) == 0);
		/* Idempotent. */
		char *again = malloc(RP_KEY_PREFIX_MAX + 1);
		CHECK(again != NULL);
		rp_err_clear(&err);
		CHECK(rp_key_normalize_root(out, again, &err) == 0);
		CHECK(strcmp(again, out) == 0);
		free(again);
	} else {
		CHECK(err.code == RP_E_PATH);
		/* Rejected: Decision Gate rejects it too, or its result would not
		 * fit a key prefix (then no object key could be formed anyway), or
		 * the input is over 8 KiB (rpvault refuses to trim such white space
		 * instead of looking at part of it). */
		CHECK(mrc != 0 || strlen(ref) > RP_KEY_PREFIX_MAX || strlen(in) > 2 * RP_KEY_PREFIX_MAX);
	}
	free(ref);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	check_path(p, size);
	check_segment(p, size);
	check_printable(p, size, size == 0 ? 0 : (size_t)data[0] % 48);
	check_printable(p, size, 96);
	check_printable(p, size, 300);

	/* NUL-terminated copy for the C-string APIs (stops at an inner NUL). */
	char *cs = malloc(size + 1);
	if (cs == NULL)
		abort();
	memcpy(cs, data, size);
	cs[size] = '\0';
	check_prefix(cs);
	check_normalize(cs);
	free(cs);

	/* (scenario, run, hash) split at the first two newlines. */
	const char *nl1 = memchr(p, '\n', size);
	const char *sc = p, *run = "", *hash = "";
	size_t scn = size, runn = 0, hashn = 0;
	if (nl1 != NULL) {
		scn = (size_t)(nl1 - p);
		run = nl1 + 1;
		runn = size - scn - 1;
		const char *nl2 = memchr(run, '\n', runn);
		if (nl2 != NULL) {
			hash = nl2 + 1;
			hashn = runn - (size_t)(nl2 - run) - 1;
			runn = (size_t)(nl2 - run);
		}
	}
	uint64_t t = (uint64_t)scn % 3, ns = (uint64_t)runn % 5;
	check_build(t, ns, sc, scn, run, runn, hash, hashn);
	/* The same ids in the shape the check requires: the build must pass. */
	char hex[RP_SHA256_HEX_LEN + 1];
	rp_sha256_hex(hash, hashn, hex);
	check_build(t + 1, UINT64_MAX - ns, sc, scn, run, runn, hex, RP_SHA256_HEX_LEN);
	return 0;
}
