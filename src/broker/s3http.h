/*
 * s3http.h - the broker's S3 transport: signed requests over libcurl, with
 * connection reuse, bounded parallel transfers, timeouts, retries and byte
 * caps.
 *
 * What: a handful of operations on one bucket (GET/HEAD/PUT an object, GET a
 * bucket sub-resource or a ListObjectsV2 page). Every request is signed with
 * our own SigV4 (sigv4.h) over the exact encoded path and query that go on
 * the wire; x-amz-content-sha256 carries the real payload hash. PUT also
 * sends Content-MD5 and Content-Type: application/json, and checks that the
 * returned ETag is the quoted MD5 of what was sent (a single-part PUT). A
 * PUT body comes from memory or is streamed from a file descriptor
 * (rp_s3_put_item).
 *
 * Retries: on connection failures, resets, timeouts, HTTP 500, 502, 503
 * (SlowDown included) and 504, with exponential backoff (100 ms doubling,
 * capped at 5 s) and full jitter, at most settings.max_attempts attempts and
 * settings.deadline_ms in all; never on other statuses. The jitter comes
 * from getrandom, so outputs stay deterministic while timing is not.
 *
 * Bodies: this code never parses a response body. A success body is handed
 * back as bytes (capped); an error body (status >= 300) is kept, capped at
 * RP_S3_ERR_BODY_MAX, in rp_s3_resp for the confined child to parse
 * (src/child/s3xml.c). Headers read here are only Content-Length, ETag and
 * x-amz-version-id, with fixed maximum lengths.
 *
 * Security posture: BROKER code; holds the credentials (inside the sigv4
 * context, wiped by rp_s3_close) and the network. Never logs, prints or puts
 * a secret into an error message. TLS always verifies peer and host
 * (CURLOPT_SSL_VERIFYPEER/VERIFYHOST are never turned off; ca_file replaces
 * the system CAs). Protocols limited to HTTP/HTTPS, no redirects followed,
 * no proxy from the environment unless the operator sets one (curl's
 * defaults for *_proxy are kept), no cookies, no .netrc.
 */
#ifndef RP_S3HTTP_H
#define RP_S3HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/err.h"
#include "../common/limits.h"
#include "s3conf.h"
#include "sigv4.h"

#define RP_S3_ERR_BODY_MAX RP_MAX_STORE_ERR_BODY /* bytes of an error body kept for the child */
#define RP_S3_LIST_BODY_MAX (1024u * 1024u)  /* a ListObjectsV2 page or bucket sub-resource */
#define RP_S3_ETAG_MAX 128
#define RP_S3_VERSION_ID_MAX 1024

typedef struct rp_s3 rp_s3; /* opaque */

/* What the server said about one request (the last attempt). */
typedef struct rp_s3_resp {
	long status;                            /* HTTP status; 0: no response (transport) */
	unsigned attempts;                      /* attempts made */
	char etag[RP_S3_ETAG_MAX + 1];          /* as sent, quotes included; "" if none */
	char version_id[RP_S3_VERSION_ID_MAX + 1]; /* "" if none / "null" as sent */
	int has_length;
	uint64_t length;                        /* Content-Length when has_length */
	uint8_t err_body[RP_S3_ERR_BODY_MAX];   /* the error body, when status >= 300 */
	size_t err_body_len;
} rp_s3_resp;

/* Creates the client (curl multi + share handle for connection reuse) and
 * the signing context from creds; creds is wiped whether or not this
 * succeeds. RP_E_USAGE for bad credentials syntax, RP_E_IO if libcurl
 * cannot be set up. Nothing goes on the network here. */
int rp_s3_open(rp_s3 **out, const rp_s3_settings *set, rp_s3_creds *creds, rp_err *err);

/* Wipes the credentials, frees everything. NULL is fine. */
void rp_s3_close(rp_s3 *s);

/* The bytes of s that hold secret material (the signing context), so the
 * broker can have them wiped in every forked child (privsep.h). */
void rp_s3_secret_span(rp_s3 *s, void **p, size_t *n);

/* Each operation returns 0 on a 2xx answer, else -1 with err set:
 *   404                       RP_E_NOTFOUND  "<op> <key>: not found"
 *   other HTTP status         RP_E_STORE     "<op> <key>: HTTP <status>"
 *                             (the error body, if any, is in resp->err_body)
 *   transport / timeout       RP_E_IO        "<op> <key>: <curl's reason> (after N attempts)"
 *   cap exceeded              RP_E_TOO_LARGE "artifact too large: <key> (<n> > <max>)"
 * Keys are the full object key (root prefix included), raw bytes (any byte
 * but NUL, at most RP_MAX_PATH_TOTAL), URI-encoded here. */

/* GET an object into out (reset first). Refuses a Content-Length > max
 * before reading the body, stops as soon as the body passes max. */
int rp_s3_get(rp_s3 *s, const char *key, uint64_t max, rp_buf *out, rp_s3_resp *resp,
	      rp_err *err);

/* HEAD an object: status, length, etag, version id. */
int rp_s3_head(rp_s3 *s, const char *key, rp_s3_resp *resp, rp_err *err);

/* One object to PUT, its body either in memory or in a file.
 *
 * Memory (fd == -1): data/len are the exact bytes (len <= 16 MiB).
 *
 * File (fd >= 0, data NULL): the body is the size bytes of the regular
 * file fd from offset 0 (read with pread; the descriptor's offset is
 * neither used nor moved; the caller keeps it open until rp_s3_put_many
 * returns, then closes it). Before the item's first request the transport
 * reads the file once (RP_S3_FD_CHUNK bytes at a time, one buffer reused)
 * for Content-MD5 and the signed payload hash; then libcurl pulls the body
 * by pread at an offset kept per attempt, so a retry or a rewind sends it
 * again from byte 0, never more than a chunk in memory. The bytes handed
 * to libcurl are hashed as they go: when the file is shorter than size
 * (EOF early), longer (a byte at offset size), or its bytes are not the
 * ones hashed (checked before the last bytes leave), the transfer is
 * aborted and the item fails with RP_E_IO "PUT <key>: the local file
 * changed while it was uploaded", never retried; the store is never sent a
 * complete body other than the one signed. A read error is RP_E_IO "PUT
 * <key>: cannot read the local file: <reason>".
 *
 * Zero-initialised items are fd 0: set fd = -1 for a memory body. */
typedef struct rp_s3_put_item {
	const char *key;
	const uint8_t *data;
	size_t len;
	int fd;          /* -1: data/len; else the file to send (data NULL) */
	uint64_t size;   /* the file's size when fd >= 0 (<= 16 MiB) */
	rp_s3_resp resp; /* out: status, etag, version id of this PUT */
	rp_err err;      /* out: this item's failure (code RP_OK on success) */
} rp_s3_put_item;

/* PUTs n items, at most settings.parallel at a time, over reused
 * connections. Each item is retried on its own. Returns 0 when every item
 * succeeded and its ETag matched; else -1 with err = the failure of the
 * lowest-index failed item (each item's own err/resp say what happened to
 * it). n == 1 is the ordinary single PUT. An ETag that is not the quoted
 * MD5 hex of the bytes is RP_E_STORE "PUT <key>: the store answered ETag X,
 * expected the MD5 of the bytes sent". */
int rp_s3_put_many(rp_s3 *s, rp_s3_put_item *items, size_t n, rp_err *err);

/* One object to GET in a batch. */
typedef struct rp_s3_get_item {
	const char *key;
	uint64_t max;
	rp_buf body;     /* out: caller initialises (rp_buf_init) and frees */
	rp_s3_resp resp;
	rp_err err;
	int failed;
} rp_s3_get_item;

/* GETs n items in parallel like rp_s3_put_many; returns 0 only if all
 * succeeded, else -1 with err of the lowest-index failure. */
int rp_s3_get_many(rp_s3 *s, rp_s3_get_item *items, size_t n, rp_err *err);

/* ---- asynchronous requests (the export pipeline, s3export.c) ----------------
 *
 * A request is submitted, runs when a transfer slot is free (the oldest
 * unfinished request first), is retried like the calls above, and ends in
 * its callback, which runs inside rp_s3_pump (or inside any blocking call
 * above: they drive the same engine) and may submit more. The caller owns
 * the request and resp until the callback; key, fd and expect_sha must stay
 * valid until then too.
 *
 *   RP_S3_REQ_PUT_FD   PUT the size bytes of the regular file fd, exactly as
 *                      a file item of rp_s3_put_many (hashed once, re-hashed
 *                      while sent, never a body other than the one signed).
 *                      With expect_sha, a body whose SHA-256 differs fails
 *                      before any request: RP_E_VERIFY "PUT <key>: the local
 *                      file no longer holds the bytes that were verified".
 *                      sha: the SHA-256 of the body sent.
 *   RP_S3_REQ_GET_HASH GET an object without keeping it: sha and got are
 *                      the SHA-256 and length of the body; more than max
 *                      bytes is RP_E_TOO_LARGE (refused on Content-Length,
 *                      or cut off at max + 1). */
enum { RP_S3_REQ_PUT_FD = 1, RP_S3_REQ_GET_HASH = 2 };

typedef struct rp_s3_req rp_s3_req;
typedef void (*rp_s3_done_fn)(void *ctx, rp_s3_req *r);

struct rp_s3_req {
	int kind;
	const char *key;
	int fd;                   /* PUT_FD */
	uint64_t size;            /* PUT_FD: the file's size (<= 16 MiB) */
	const uint8_t *expect_sha; /* PUT_FD: RP_SHA256_LEN bytes, or NULL */
	uint64_t max;             /* GET_HASH: cap */
	rp_s3_done_fn done;
	void *ctx;
	rp_s3_resp *resp;         /* out: the last attempt's answer */
	rp_err err;               /* out: the failure (RP_OK on success) */
	int failed;               /* out */
	uint8_t sha[32];          /* out: see above */
	uint64_t got;             /* out: GET_HASH body bytes */
};

/* Queues r (never starts it here). RP_E_NOMEM only. */
int rp_s3_submit(rp_s3 *s, rp_s3_req *r, rp_err *err);

/* Requests and calls not yet finished. */
unsigned rp_s3_unfinished(const rp_s3 *s);

/* One turn of the engine: starts what is due, moves bytes, runs the
 * callbacks of what finished, then sleeps at most wait_ms until there is
 * more to do or fd (when >= 0) is readable. Returns 1 when fd is readable. */
int rp_s3_pump(rp_s3 *s, int fd, unsigned wait_ms);

/* Drops every asynchronous request not yet finished (running transfers
 * are stopped), without callbacks. The blocking calls above are not
 * affected (none runs while this is called). */
void rp_s3_cancel_requests(rp_s3 *s);

/* GET on the bucket itself with the given query (e.g. {"versioning",
 * NULL}, {"object-lock", NULL}, or ListObjectsV2's {"list-type","2"},
 * {"prefix",P}, {"continuation-token",T}, {"max-keys","1000"}) into body
 * (<= RP_S3_LIST_BODY_MAX). Messages name the operation as "GET
 * ?versioning" etc. */
int rp_s3_get_bucket(rp_s3 *s, const rp_sigv4_param *params, size_t n_params, rp_buf *body,
		     rp_s3_resp *resp, rp_err *err);

/* For messages: "s3://bucket/key" with non-printable bytes escaped. */
const char *rp_s3_show_key(const rp_s3 *s, const char *key, char *out, size_t outsz);

#endif
