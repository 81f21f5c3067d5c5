/*
 * harness_sigv4.c - fuzzes the SigV4 canonicalisation of src/broker/sigv4.c
 * with arbitrary paths, query parameters and headers.
 *
 * The signer sees no untrusted input in rpvault (keys are derived and
 * validated first), but it must stay correct and bounded for every byte
 * string a future caller might pass, and its encoders define what goes on
 * the wire.
 *
 * Input: lines separated by '\n'. Line 1 is the path (a '/' is put in
 * front when missing); then up to 16 query lines "key=value" (no '=' is a
 * sub-resource without value) until a line "--"; then up to 16 header
 * lines "name:value". The first byte of the input also picks the method.
 *
 * Properties checked (abort() on violation):
 *  - encode_path output is at most 3 * len bytes, uses only A-Z a-z 0-9
 *    - _ . ~ '/' and "%XX" with upper-case hex, and percent-decodes back to
 *    the input path exactly; encode_component likewise, without '/';
 *  - a buffer one byte smaller than needed gives RP_E_LIMIT, never a
 *    partial success; the exact size succeeds (outputs are bounded);
 *  - the canonical query does not depend on the order of the parameters;
 *  - canonical_request / string_to_sign / sign agree: the string to sign
 *    ends in SHA-256 of the canonical request, and sign's SignedHeaders
 *    equal canonical_request's;
 *  - every failure is -1 with RP_E_USAGE or RP_E_LIMIT and a message;
 *  - the secret never appears in the string to sign or Authorization.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/sigv4.h"
#include "common/err.h"
#include "common/sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_sigv4: property failed at line %d: %s\n",    \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* Holds '=' so it cannot hide inside the Authorization value, whose only
 * '=' follow fixed words. */
#define SECRET "Fz=Sec/ret+Key0"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower case is not what we write */
}

static void check_encoded(const char *raw, size_t rlen, const char *enc, size_t elen, int keep_slash)
{
	CHECK(elen <= 3 * (rlen == 0 ? 1 : rlen));
	CHECK(strlen(enc) == elen);
	char *dec = malloc(elen + 1);
	CHECK(dec != NULL);
	size_t d = 0;
	for (size_t i = 0; i < elen; i++) {
		char c = enc[i];
		if (c == '%') {
			CHECK(i + 2 < elen);
			int h = hexval(enc[i + 1]), l = hexval(enc[i + 2]);
			CHECK(h >= 0 && l >= 0);
			dec[d++] = (char)(h * 16 + l);
			i += 2;
			continue;
		}
		CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'));
		dec[d++] = c;
	}
	if (keep_slash && rlen == 0)
		CHECK(d == 1 && dec[0] == '/');
	else
		CHECK(d == rlen && memcmp(dec, raw, rlen) == 0);
	free(dec);
}

static void check_fail(int rc, const rp_err *err)
{
	CHECK(rc == -1);
	CHECK(err->code == RP_E_USAGE || err->code == RP_E_LIMIT);
	CHECK(err->msg[0] != '\0' && memchr(err->msg, '\0', sizeof err->msg) != NULL);
	CHECK(strstr(err->msg, SECRET) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "HEAD", "DELETE", "POST", "get", "", "OPTIONS" };
	rp_err err;
	if (size == 0 || size > 16384)
		return 0;
	/* A NUL-terminated copy split into lines in place. */
	char *buf = malloc(size + 2);
	CHECK(buf != NULL);
	buf[0] = '/';
	memcpy(buf + 1, data, size);
	buf[size + 1] = '\0';
	char *path = buf[1] == '/' ? buf + 1 : buf;
	char *lines[40];
	size_t nl = 0;
	for (char *p = path; nl < 40;) {
		lines[nl++] = p;
		char *e = strchr(p, '\n');
		if (e == NULL)
			break;
		*e = '\0';
		p = e + 1;
	}
	size_t plen = strlen(lines[0]);

	/* ---- encoders -------------------------------------------------------- */
	size_t ecap = 3 * plen + 2;
	char *enc = malloc(ecap);
	CHECK(enc != NULL);
	size_t elen = 0;
	rp_err_clear(&err);
	CHECK(rp_sigv4_encode_path(lines[0], plen, enc, ecap, &elen, &err) == 0);
	check_encoded(lines[0], plen, enc, elen, 1);
	rp_err_clear(&err);
	check_fail(rp_sigv4_encode_path(lines[0], plen, enc, elen, &elen, &err), &err);
	rp_err_clear(&err);
	CHECK(rp_sigv4_encode_component(lines[0], plen, enc, ecap, &elen, &err) == 0);
	check_encoded(lines[0], plen, enc, elen, 0);
	if (plen > 1 && lines[0][1] != '/') { /* the same path without its leading '/' */
		rp_err_clear(&err);
		check_fail(rp_sigv4_encode_path(lines[0] + 1, plen - 1, enc, ecap, &elen, &err), &err);
		CHECK(err.code == RP_E_USAGE);
	}
	free(enc);

	/* ---- request ----------------------------------------------------------- */
	rp_sigv4_param q[RP_SIGV4_MAX_PARAMS + 2], rq[RP_SIGV4_MAX_PARAMS + 2];
	rp_sigv4_header h[RP_SIGV4_MAX_HEADERS + 2];
	size_t nq = 0, nh = 0, i = 1;
	for (; i < nl && strcmp(lines[i], "--") != 0 && nq < RP_SIGV4_MAX_PARAMS + 1; i++) {
		char *eq = strchr(lines[i], '=');
		if (eq != NULL)
			*eq = '\0';
		q[nq++] = (rp_sigv4_param){ lines[i], eq != NULL ? eq + 1 : NULL };
	}
	if (i < nl && strcmp(lines[i], "--") == 0)
		i++;
	for (; i < nl && nh < RP_SIGV4_MAX_HEADERS + 1; i++) {
		char *colon = strchr(lines[i], ':');
		if (colon != NULL)
			*colon = '\0';
		h[nh++] = (rp_sigv4_header){ lines[i], colon != NULL ? colon + 1 : "" };
	}

	/* Canonical query: order-independent, bounded. */
	static char cq1[RP_SIGV4_MAX_PARAMS * 3 * (2 * 4096 + 2) + 16], cq2[sizeof cq1];
	size_t l1 = 0, l2 = 0;
	rp_err_clear(&err);
	int r1 = rp_sigv4_canonical_query(q, nq, cq1, sizeof cq1, &l1, &err);
	if (r1 != 0) {
		check_fail(r1, &err);
	} else {
		for (size_t k = 0; k < nq; k++)
			rq[k] = q[nq - 1 - k];
		CHECK(rp_sigv4_canonical_query(rq, nq, cq2, sizeof cq2, &l2, &err) == 0);
		CHECK(l1 == l2 && memcmp(cq1, cq2, l1) == 0);
		if (l1 > 0) {
			rp_err_clear(&err);
			check_fail(rp_sigv4_canonical_query(q, nq, cq2, l1, &l2, &err), &err);
			CHECK(err.code == RP_E_LIMIT);
		}
	}

	rp_sigv4_ctx ctx;
	CHECK(rp_sigv4_ctx_init(&ctx, "AKIAFUZZ", SECRET, (data[0] & 0x40) ? "TOKEN/+=" : NULL, "us-east-1", NULL,
				&err) == 0);
	rp_sigv4_request req = { methods[data[0] & 7u], "127.0.0.1:7480", lines[0], plen, q, nq, h, nh,
				 (data[0] & 0x80) ? "UNSIGNED-PAYLOAD" : NULL, "20130524T000000Z" };
	size_t ccap = 256 + 3 * plen + l1 + (RP_SIGV4_MAX_HEADERS + 4) * (RP_SIGV4_HEADER_NAME_MAX + RP_SIGV4_HEADER_VALUE_MAX + 2) +
		      RP_SIGV4_TOKEN_MAX + RP_SIGV4_SIGNED_HEADERS_MAX;
	char *creq = malloc(ccap);
	CHECK(creq != NULL);
	char sh[RP_SIGV4_SIGNED_HEADERS_MAX + 1];
	size_t clen = 0;
	rp_err_clear(&err);
	int rc = rp_sigv4_canonical_request(&ctx, &req, creq, ccap, &clen, sh, sizeof sh, &err);
	rp_sigv4_result res;
	rp_err e2;
	rp_err_clear(&e2);
	int rs = rp_sigv4_sign(&ctx, &req, &res, &e2);
	if (rc != 0) {
		check_fail(rc, &err);
		check_fail(rs, &e2);
	} else {
		CHECK(rs == 0);
		CHECK(strlen(creq) == clen);
		CHECK(strcmp(sh, res.signed_headers) == 0);
		/* Exact size is enough, one byte less is refused. */
		char *exact = malloc(clen + 1);
		CHECK(exact != NULL);
		size_t xl;
		CHECK(rp_sigv4_canonical_request(&ctx, &req, exact, clen + 1, &xl, NULL, 0, &err) == 0);
		CHECK(xl == clen && memcmp(exact, creq, clen) == 0);
		rp_err_clear(&err);
		check_fail(rp_sigv4_canonical_request(&ctx, &req, exact, clen, &xl, NULL, 0, &err), &err);
		free(exact);
		/* The string to sign carries the canonical request's hash. */
		char sts[RP_SIGV4_STS_MAX + 1], hex[RP_SHA256_HEX_LEN + 1];
		size_t sl;
		CHECK(rp_sigv4_string_to_sign(&ctx, &req, sts, sizeof sts, &sl, &err) == 0);
		rp_sha256_hex(creq, clen, hex);
		CHECK(sl > 64 && strcmp(sts + sl - 64, hex) == 0);
		CHECK(strstr(sts, SECRET) == NULL);
		CHECK(strstr(res.authorization, SECRET) == NULL);
		CHECK(strlen(res.signature) == 64);
		CHECK(strlen(res.authorization) <= RP_SIGV4_AUTH_MAX);
	}
	free(creq);
	rp_sigv4_ctx_clear(&ctx);
	free(buf);
	return 0;
}
