/*
 * s3http_internal.h - the pure pieces of the S3 transport (s3http.c),
 * exposed for unit tests (tests/unit/test_s3http.c). Not an API for other
 * modules: use s3http.h.
 *
 * Why separate: the retry policy, the backoff bounds, the header parsing
 * and the ETag check decide what rpvault believes about the store; they are
 * tested here without a network.
 * Security posture: BROKER code, pure functions; header lines are server
 * bytes (untrusted) and are parsed with fixed bounds.
 */
#ifndef RP_S3HTTP_INTERNAL_H
#define RP_S3HTTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/sha256.h"
#include "s3conf.h"
#include "s3http.h"

#define RP_S3_BACKOFF_BASE_MS 100u
#define RP_S3_BACKOFF_MAX_MS 5000u
#define RP_S3_LOW_SPEED_BYTES 1024L /* abort an attempt slower than 1 KiB/s ... */
#define RP_S3_LOW_SPEED_SECONDS 30L /* ... for 30 s (then it is retried) */

/* 1 when a libcurl result (a CURLcode) is worth another attempt:
 * connection refused/reset, timeouts, name resolution, an empty or cut
 * reply, a TLS handshake that failed on the wire. 0 for everything that
 * would fail again (certificate verification, bad URL, our own abort). */
int rp_s3_curl_retryable(int curl_code);

/* 1 for 500, 502, 503 (SlowDown included) and 504; 0 otherwise. */
int rp_s3_status_retryable(long status);

/* The backoff ceiling after `failures` failed attempts (>= 1):
 * min(100 ms * 2^(failures-1), 5000 ms). */
unsigned rp_s3_backoff_cap_ms(unsigned failures);

/* Full jitter: a delay in [0, rp_s3_backoff_cap_ms(failures)] from rnd. */
unsigned rp_s3_backoff_ms(unsigned failures, uint32_t rnd);

/* Standard base64 (with '=' padding) of in[0..n) into out (4 * ((n + 2) /
 * 3) + 1 bytes). */
void rp_s3_base64(const uint8_t *in, size_t n, char *out);

/* 1 when etag is exactly '"' + 32 lower-case hex digits of md5 + '"'. */
int rp_s3_etag_matches(const char *etag, const uint8_t md5[16]);

/* PUT bodies from a file descriptor (rp_s3_put_item.fd): the hashing pass
 * reads this many bytes per pread, into one buffer reused for every item. */
#define RP_S3_FD_CHUNK (256u * 1024u)

/* Content-MD5 (md5) and the SHA-256 payload hash (sha) of exactly size
 * bytes of fd from offset 0, in one pread pass through buf[0..cap). The
 * file must hold exactly size bytes: EOF before size, or a byte at offset
 * size, is RP_E_IO "the local file changed while it was uploaded"; a read
 * error is RP_E_IO "cannot read the local file: <reason>". The file
 * offset of fd is not used or moved. */
int rp_s3_hash_fd(int fd, uint64_t size, uint8_t *buf, size_t cap, uint8_t md5[16],
		  uint8_t sha[RP_SHA256_LEN], rp_err *err);

#ifdef RP_S3HTTP_TEST_HOOKS
/* Test builds only (the system test's driver compiles s3http.c with
 * -DRP_S3HTTP_TEST_HOOKS; rpvault never has it): called with the item's
 * key and descriptor right after a file body was hashed and before its
 * first request is signed, so a test can change the file in between. */
extern void (*rp_s3_test_after_hash)(const char *key, int fd);
#endif

/* What one response's headers said beyond rp_s3_resp. */
typedef struct rp_s3_hdr {
	long status;        /* from the last status line ("HTTP/1.1 200 OK") */
	int bad;            /* a header was malformed or overlong (see err) */
} rp_s3_hdr;

/* Feeds one raw header line as libcurl hands it (CRLF included, not
 * NUL-terminated). A status line starts a new response (an interim 1xx,
 * or a retry on the same handle): resp's status, etag, version id and
 * length are reset. Reads Content-Length (decimal, at most 20 digits, no
 * overflow), ETag (<= RP_S3_ETAG_MAX) and x-amz-version-id (<=
 * RP_S3_VERSION_ID_MAX), each printable ASCII only. Returns 0, or -1 with
 * RP_E_STORE naming the header (the value is not echoed). */
int rp_s3_header_line(rp_s3_hdr *h, rp_s3_resp *resp, const char *line, size_t n, rp_err *err);

/* The Host header and the raw (unencoded) path for an object key (NULL:
 * the bucket itself) under set's addressing style:
 *   path style:      host = endpoint host,            path = "/BUCKET/KEY" ("/BUCKET")
 *   virtual-hosted:  host = "BUCKET." endpoint host,  path = "/KEY" ("/")
 * host has RP_SIGV4_HOST_MAX + 1 bytes, path RP_SIGV4_PATH_MAX + 1.
 * RP_E_PATH for an empty or overlong key. */
int rp_s3_target(const rp_s3_settings *set, const char *key, char *host, char *path, size_t *path_len,
		 rp_err *err);

#endif
