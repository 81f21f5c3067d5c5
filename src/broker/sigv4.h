/*
 * sigv4.h - AWS Signature Version 4 for S3 requests (Authorization header,
 * payload in a single chunk).
 *
 * What: builds the canonical URI, the canonical query, the canonical request,
 * the string to sign, the signing key and the Authorization header value of
 * an S3 request, exactly as AWS documents them ("Signature Calculations for
 * the Authorization Header: Transferring Payload in a Single Chunk").
 *
 * Why our own: libcurl 7.88 (Debian 12) CURLOPT_AWS_SIGV4 cannot sign S3
 * requests correctly: it does not send or sign x-amz-content-sha256 (RGW
 * and AWS answer 403), does not sort or canonicalise the query (sub-resources
 * need "retention="), and does not URI-encode the path, so keys with spaces
 * or non-ASCII bytes fail (../shared/s3/README.md). Established C clients
 * (s3fs, pgBackRest) sign requests themselves for the same reasons.
 * HMAC-SHA256 is BearSSL's br_hmac with br_sha256_vtable; payload hashes come
 * from common/sha256.h.
 *
 * Style: BearSSL-like. An explicit context holds the credentials; every
 * output goes to a caller-provided buffer with its size; nothing allocates;
 * no global state. The same encoded path and query that are signed must be
 * sent on the wire: build the URL from rp_sigv4_encode_path and
 * rp_sigv4_canonical_query, never from another encoder.
 *
 * Security posture: BROKER side; handles secrets, parses no untrusted input
 * (every input comes from rpvault's own configuration and key derivation).
 * The secret key and the session token are copied into the context and wiped
 * with explicit_bzero by rp_sigv4_ctx_clear (also on every init failure);
 * intermediate keys and HMAC states are wiped before each function returns.
 * No function writes the secret into any output or error message. Inputs
 * with CR, LF or other control bytes are refused, so a caller cannot smuggle
 * extra HTTP headers through a signed header value.
 */
#ifndef RP_SIGV4_H
#define RP_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../common/err.h"

#define RP_SIGV4_ACCESS_KEY_MAX 128
#define RP_SIGV4_SECRET_MAX 128
#define RP_SIGV4_TOKEN_MAX 4096   /* STS session tokens are ~1-2 KiB */
#define RP_SIGV4_REGION_MAX 63
#define RP_SIGV4_SERVICE_MAX 32
#define RP_SIGV4_HOST_MAX 300     /* name (253) + ":" + port, or [IPv6]:port */
#define RP_SIGV4_MAX_HEADERS 16   /* caller headers, besides the four below */
#define RP_SIGV4_HEADER_NAME_MAX 64
#define RP_SIGV4_HEADER_VALUE_MAX 2048
#define RP_SIGV4_MAX_PARAMS 16
#define RP_SIGV4_PARAM_MAX 4096   /* raw bytes of one query key or value */
#define RP_SIGV4_PATH_MAX 8192    /* raw bytes of the path: "/" bucket "/" key */
#define RP_SIGV4_DATE_LEN 16      /* "YYYYMMDDTHHMMSSZ" */
#define RP_SIGV4_SIG_HEX_LEN 64
#define RP_SIGV4_KEY_LEN 32
/* "host;x-amz-content-sha256;x-amz-date;x-amz-security-token" plus the
 * caller's names, each with its ';'. */
#define RP_SIGV4_SIGNED_HEADERS_MAX (64 + RP_SIGV4_MAX_HEADERS * (RP_SIGV4_HEADER_NAME_MAX + 1))
#define RP_SIGV4_AUTH_MAX                                                                       \
	(40 + RP_SIGV4_ACCESS_KEY_MAX + 9 + RP_SIGV4_REGION_MAX + RP_SIGV4_SERVICE_MAX + 16 +  \
	 RP_SIGV4_SIGNED_HEADERS_MAX + 11 + RP_SIGV4_SIG_HEX_LEN)
/* String to sign: algorithm, date, scope and the canonical request hash. */
#define RP_SIGV4_STS_MAX (17 + RP_SIGV4_DATE_LEN + 1 + 9 + RP_SIGV4_REGION_MAX + RP_SIGV4_SERVICE_MAX + 14 + 64)

/* SHA-256 of the empty string: x-amz-content-sha256 of a body-less request. */
#define RP_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RP_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Treat as opaque. Holds the credentials; wipe with rp_sigv4_ctx_clear. */
typedef struct rp_sigv4_ctx {
	char access_key[RP_SIGV4_ACCESS_KEY_MAX + 1];
	/* "AWS4" + secret: the first HMAC key of the derivation. */
	uint8_t k_secret[4 + RP_SIGV4_SECRET_MAX];
	size_t k_secret_len;
	char token[RP_SIGV4_TOKEN_MAX + 1]; /* "" when there is none */
	size_t token_len;
	char region[RP_SIGV4_REGION_MAX + 1];
	char service[RP_SIGV4_SERVICE_MAX + 1];
	int ready;
} rp_sigv4_ctx;

/* One header to sign besides host / x-amz-date / x-amz-content-sha256 /
 * x-amz-security-token, which the signer adds itself (passing one of them,
 * or "authorization", is an error). Names are matched case-insensitively
 * and written lower-case; values are trimmed and inner runs of spaces
 * collapsed, as the canonical form requires. Typical: content-md5,
 * content-type, range, x-amz-object-lock-mode, x-amz-meta-*. */
typedef struct rp_sigv4_header {
	const char *name;
	const char *value;
} rp_sigv4_header;

/* One query parameter, raw (not encoded). value NULL is a sub-resource
 * without a value ("?retention") and is written "retention=". */
typedef struct rp_sigv4_param {
	const char *key;
	const char *value;
} rp_sigv4_param;

typedef struct rp_sigv4_request {
	const char *method;      /* "GET", "PUT", "HEAD", "DELETE", "POST" */
	const char *host;        /* the Host header as sent: "127.0.0.1:7480" */
	const char *path;        /* raw path: "/bucket/key with spaces" */
	size_t path_len;         /* bytes of path (keys may hold any byte but NUL) */
	const rp_sigv4_param *params;
	size_t n_params;
	const rp_sigv4_header *headers;
	size_t n_headers;
	/* 64 lower-case hex digits of SHA-256(body), or RP_SIGV4_UNSIGNED_PAYLOAD;
	 * NULL means an empty body (RP_SIGV4_EMPTY_SHA256). The same value must
	 * be sent as x-amz-content-sha256. */
	const char *payload_hash;
	const char *amz_date;    /* "YYYYMMDDTHHMMSSZ", sent as x-amz-date */
} rp_sigv4_request;

typedef struct rp_sigv4_result {
	char authorization[RP_SIGV4_AUTH_MAX + 1]; /* the Authorization header value */
	char signed_headers[RP_SIGV4_SIGNED_HEADERS_MAX + 1];
	char signature[RP_SIGV4_SIG_HEX_LEN + 1];
	char content_sha256[RP_SIGV4_SIG_HEX_LEN + 1]; /* send as x-amz-content-sha256 */
} rp_sigv4_result;

/* Copies the credentials into ctx. access_key: 1..128 printable ASCII bytes
 * without space, '/' or ','; secret: 1..128 printable ASCII bytes; token:
 * NULL or "" for none, else <= 4096 printable ASCII bytes; region: 1..63
 * bytes of [a-z0-9-]; service: NULL for "s3". On failure ctx is wiped and
 * the message names the field, never its value (RP_E_USAGE). */
int rp_sigv4_ctx_init(rp_sigv4_ctx *ctx, const char *access_key, const char *secret,
		      const char *token, const char *region, const char *service, rp_err *err);

/* Wipes every byte of ctx (explicit_bzero). Safe on a wiped context. */
void rp_sigv4_ctx_clear(rp_sigv4_ctx *ctx);

/* The session token to send as x-amz-security-token, or NULL if none. */
const char *rp_sigv4_token(const rp_sigv4_ctx *ctx);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ" into out[RP_SIGV4_DATE_LEN + 1]. */
int rp_sigv4_amz_date(time_t t, char out[RP_SIGV4_DATE_LEN + 1], rp_err *err);

/* S3 URI encoding of a path: every byte except A-Z a-z 0-9 - _ . ~ and '/'
 * becomes %XX (upper-case hex), UTF-8 multi-byte characters byte by byte.
 * The result is at most 3 * len bytes; out gets it NUL-terminated and
 * *out_len its length. An empty path encodes as "/". RP_E_LIMIT if
 * out_cap is too small, RP_E_USAGE for a path not starting with '/'. */
int rp_sigv4_encode_path(const char *path, size_t len, char *out, size_t out_cap, size_t *out_len,
			 rp_err *err);

/* The same encoding with '/' encoded too (query keys and values). */
int rp_sigv4_encode_component(const char *s, size_t len, char *out, size_t out_cap,
			      size_t *out_len, rp_err *err);

/* The canonical query: each key and value encoded as above, sorted by
 * encoded key then encoded value, "k=v" joined by '&', a NULL value as
 * "k=". "" when n is 0. Send exactly this string after '?' on the wire. */
int rp_sigv4_canonical_query(const rp_sigv4_param *params, size_t n, char *out, size_t out_cap,
			     size_t *out_len, rp_err *err);

/* The canonical request, for tests and debugging (signing streams it
 * straight into SHA-256 and needs no buffer). signed_headers may be NULL;
 * else it gets the SignedHeaders list (RP_SIGV4_SIGNED_HEADERS_MAX + 1). */
int rp_sigv4_canonical_request(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, char *out,
			       size_t out_cap, size_t *out_len, char *signed_headers,
			       size_t signed_headers_cap, rp_err *err);

/* The string to sign (RP_SIGV4_STS_MAX + 1 bytes are always enough). */
int rp_sigv4_string_to_sign(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, char *out,
			    size_t out_cap, size_t *out_len, rp_err *err);

/* The signing key for date "YYYYMMDD" (the first 8 characters of amz_date).
 * Secret material: the caller wipes it (explicit_bzero) after use. */
int rp_sigv4_signing_key(const rp_sigv4_ctx *ctx, const char *date8,
			 uint8_t key[RP_SIGV4_KEY_LEN], rp_err *err);

/* Signs req: fills out with the Authorization value, the signature and the
 * SignedHeaders list. The caller sends Host, x-amz-date = req->amz_date,
 * x-amz-content-sha256 = out->content_sha256, x-amz-security-token =
 * rp_sigv4_token(ctx) if not NULL, every header of req->headers with the
 * same value, and Authorization = out->authorization. */
int rp_sigv4_sign(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, rp_sigv4_result *out,
		  rp_err *err);

#endif
