/*
 * s3http.c - the broker's S3 transport over libcurl (see s3http.h).
 *
 * What: every operation becomes one or more "ops" driven by a single loop
 * over one CURLM multi handle. The loop starts an op's attempt when a
 * transfer slot is free and the op's retry time has come, signs it with
 * rp_sigv4_sign at that moment (fresh x-amz-date), and on completion
 * either finishes the op or schedules its next attempt at now + backoff.
 * Waiting for a retry is just a time in the op, so one item backing off
 * never blocks the others of a batch (rp_curl_multi_sleep sleeps until the
 * earliest of "a socket is ready", "curl's own timer" and "the next retry
 * is due"). The blocking calls and the asynchronous requests of the export
 * pipeline (rp_s3_submit) share that one list, oldest first; rp_s3_pump
 * lets the broker run it while it waits for the child's next frame.
 *
 * Why: parallel PUTs over kept-alive connections are what makes an export
 * of hundreds of artifacts fast; bounded attempts, a total deadline per
 * request, a low-speed abort and byte caps keep a broken or hostile store
 * from hanging or bloating the broker.
 *
 * Security posture: BROKER code. The credentials live only in the sigv4
 * context (wiped by rp_s3_close) and, for the session token, in the header
 * list of a running request (wiped before it is freed). TLS verification
 * is libcurl's default (on) and never turned off; only http/https, no
 * redirects, no .netrc, no cookies. Response headers are parsed with fixed
 * bounds (s3http_internal.h); bodies are never parsed here: success bodies
 * go back as bytes under a cap, error bodies are kept (capped) for the
 * confined child. Nothing is printed; messages carry keys escaped by
 * rp_printable and libcurl's reason, never a secret or a signature.
 */
#include "s3http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>
#include <curl/curl.h>

#include "../common/path.h"
#include "../common/sha256.h"
#include "curl_lazy.h"
#include "s3http_internal.h"

#define QUERY_MAX (32 * 1024)          /* an encoded query: a 4 KiB token x 3, plus the rest */
#define EPATH_MAX (3 * RP_SIGV4_PATH_MAX) /* every byte as %XX */
#define DISCARD_MAX (1024u * 1024u)    /* body bytes we read and drop before giving up */
#define SHOWN_MAX 512                  /* an escaped key in a message */

/* ---- pure pieces (s3http_internal.h) ------------------------------------------------ */

int rp_s3_curl_retryable(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR: /* a reset during the handshake */
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_AGAIN:
		return 1;
	default:
		return 0;
	}
}

int rp_s3_status_retryable(long status)
{
	return status == 500 || status == 502 || status == 503 || status == 504;
}

unsigned rp_s3_backoff_cap_ms(unsigned failures)
{
	unsigned cap = RP_S3_BACKOFF_BASE_MS;
	for (unsigned i = 1; i < failures && cap < RP_S3_BACKOFF_MAX_MS; i++)
		cap *= 2;
	return cap < RP_S3_BACKOFF_MAX_MS ? cap : RP_S3_BACKOFF_MAX_MS;
}

unsigned rp_s3_backoff_ms(unsigned failures, uint32_t rnd)
{
	return (unsigned)(rnd % (rp_s3_backoff_cap_ms(failures) + 1u));
}

void rp_s3_base64(const uint8_t *in, size_t n, char *out)
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

int rp_s3_etag_matches(const char *etag, const uint8_t md5[16])
{
	char want[2 + 32 + 1];
	want[0] = '"';
	rp_hex_encode(md5, 16, want + 1);
	want[33] = '"';
	want[34] = '\0';
	return strcmp(etag, want) == 0;
}

static int file_changed(rp_err *err)
{
	return rp_err_set(err, RP_E_IO, "the local file changed while it was uploaded");
}

/* pread that retries EINTR. */
static ssize_t pread_intr(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r;
	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* 0 when fd has no byte at offset size (EOF exactly there). */
static int check_eof_at(int fd, uint64_t size, rp_err *err)
{
	uint8_t c;
	ssize_t r = pread_intr(fd, &c, 1, size);
	if (r < 0)
		return rp_err_set(err, RP_E_IO, "cannot read the local file: %s", strerror(errno));
	return r > 0 ? file_changed(err) : 0;
}

int rp_s3_hash_fd(int fd, uint64_t size, uint8_t *buf, size_t cap, uint8_t md5[16],
		  uint8_t sha[RP_SHA256_LEN], rp_err *err)
{
	br_md5_context mc;
	rp_sha256 sc;
	br_md5_init(&mc);
	rp_sha256_init(&sc);
	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < (uint64_t)cap ? (size_t)(size - off) : cap;
		ssize_t r = pread_intr(fd, buf, want, off);
		if (r < 0)
			return rp_err_set(err, RP_E_IO, "cannot read the local file: %s", strerror(errno));
		if (r == 0)
			return file_changed(err); /* shorter than size */
		br_md5_update(&mc, buf, (size_t)r);
		rp_sha256_update(&sc, buf, (size_t)r);
		off += (uint64_t)r;
	}
	if (check_eof_at(fd, size, err) != 0) /* longer than size */
		return -1;
	br_md5_out(&mc, md5);
	rp_sha256_final(&sc, sha);
	return 0;
}

#ifdef RP_S3HTTP_TEST_HOOKS
void (*rp_s3_test_after_hash)(const char *key, int fd);
#endif

/* Case-insensitive "Name:" at the start of a header line; *v gets the
 * trimmed value. */
static int header_is(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	const char *s = line + nl + 1;
	size_t len = n - nl - 1;
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*v = s;
	*vn = len;
	return 1;
}

static int printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int copy_header(char *dst, size_t cap, const char *v, size_t vn, const char *name, rp_err *err)
{
	if (vn >= cap)
		return rp_err_set(err, RP_E_STORE, "the store answered a %s header longer than %zu bytes", name, cap - 1);
	if (!printable_ascii(v, vn))
		return rp_err_set(err, RP_E_STORE, "the store answered a %s header with non-printable bytes", name);
	memcpy(dst, v, vn);
	dst[vn] = '\0';
	return 0;
}

int rp_s3_header_line(rp_s3_hdr *h, rp_s3_resp *resp, const char *line, size_t n, rp_err *err)
{
	const char *v;
	size_t vn;
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		/* "HTTP/1.1 200 OK": a new response; forget the last one's headers */
		size_t i = 5;
		while (i < n && line[i] != ' ')
			i++;
		long st = 0;
		size_t d = 0;
		while (i + 1 + d < n && d < 3 && line[i + 1 + d] >= '0' && line[i + 1 + d] <= '9')
			st = st * 10 + (line[i + 1 + d] - '0'), d++;
		if (d != 3) {
			h->bad = 1;
			return rp_err_set(err, RP_E_STORE, "the store answered a malformed status line");
		}
		h->status = st;
		resp->status = st;
		resp->etag[0] = '\0';
		resp->version_id[0] = '\0';
		resp->has_length = 0;
		resp->length = 0;
		return 0;
	}
	int rc = 0;
	if (header_is(line, n, "Content-Length", &v, &vn)) {
		uint64_t x = 0;
		int ok = vn >= 1 && vn <= 20;
		for (size_t i = 0; ok && i < vn; i++) {
			ok = v[i] >= '0' && v[i] <= '9' && x <= (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10;
			if (ok)
				x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (!ok)
			rc = rp_err_set(err, RP_E_STORE, "the store answered a malformed Content-Length");
		else
			resp->has_length = 1, resp->length = x;
	} else if (header_is(line, n, "ETag", &v, &vn)) {
		rc = copy_header(resp->etag, sizeof resp->etag, v, vn, "ETag", err);
	} else if (header_is(line, n, "x-amz-version-id", &v, &vn)) {
		rc = copy_header(resp->version_id, sizeof resp->version_id, v, vn, "x-amz-version-id", err);
	}
	if (rc != 0)
		h->bad = 1;
	return rc;
}

int rp_s3_target(const rp_s3_settings *set, const char *key, char *host, char *path, size_t *path_len,
		 rp_err *err)
{
	const char *eh = set->endpoint + (strncmp(set->endpoint, "https://", 8) == 0 ? 8 : 7);
	size_t kl = key != NULL ? strnlen(key, RP_MAX_PATH_TOTAL + 1) : 0;
	if (key != NULL && (kl == 0 || kl > RP_MAX_PATH_TOTAL))
		return rp_err_set(err, RP_E_PATH, "object key is empty or longer than %d bytes", RP_MAX_PATH_TOTAL);
	int n;
	if (set->path_style) {
		n = snprintf(host, RP_SIGV4_HOST_MAX + 1, "%s", eh);
		if (n >= 0 && (size_t)n <= RP_SIGV4_HOST_MAX)
			n = key != NULL ? snprintf(path, RP_SIGV4_PATH_MAX + 1, "/%s/%s", set->bucket, key)
					: snprintf(path, RP_SIGV4_PATH_MAX + 1, "/%s", set->bucket);
	} else {
		n = snprintf(host, RP_SIGV4_HOST_MAX + 1, "%s.%s", set->bucket, eh);
		if (n >= 0 && (size_t)n <= RP_SIGV4_HOST_MAX)
			n = snprintf(path, RP_SIGV4_PATH_MAX + 1, "/%s", key != NULL ? key : "");
	}
	if (n < 0 || (size_t)n > RP_SIGV4_PATH_MAX || strlen(host) >= RP_SIGV4_HOST_MAX)
		return rp_err_set(err, RP_E_LIMIT, "request host or path too long");
	*path_len = (size_t)n;
	return 0;
}

/* ---- the client ------------------------------------------------------------------------ */

enum op_kind { OP_GET, OP_HEAD, OP_PUT, OP_BUCKET };
enum op_state { OP_WAITING, OP_RUNNING, OP_DONE };

/* One logical request and its retries. */
typedef struct op {
	enum op_kind kind;
	const char *key; /* NULL for a bucket request */
	const rp_sigv4_param *params;
	size_t n_params;
	const uint8_t *data; /* PUT body in memory, or NULL when fd >= 0 */
	int fd;              /* PUT body from this file (pread), or -1 */
	uint64_t len;        /* PUT body length */
	int hashed;          /* md5 / sha are known (fd bodies: hashed at the first start) */
	uint8_t md5[16];
	char md5_b64[25];
	uint8_t sha[RP_SHA256_LEN];
	char sha_hex[RP_SHA256_HEX_LEN + 1];
	rp_buf *out; /* GET body */
	uint64_t max;
	rp_s3_resp *resp;
	rp_err *err;
	enum op_state state;
	int failed;
	uint64_t t0;      /* first attempt, ms (monotonic) */
	uint64_t next_at; /* earliest start of the next attempt */
	struct op *prev, *next; /* the engine's list of unfinished ops, oldest first */
	unsigned *pending;      /* run(): its count of unfinished ops; NULL for a request */
	rp_s3_req *req;         /* an asynchronous request (the op is the engine's) */
	int hash_get;           /* GET whose body is hashed and counted, not kept */
	rp_sha256 gh;
	uint64_t got;
	const uint8_t *expect_sha; /* file PUT: the body must hash to this */
} op;

/* One transfer in flight. */
typedef struct slot {
	CURL *easy;
	struct curl_slist *hdrs;
	op *op;          /* NULL: free */
	rp_s3_hdr hdr;
	uint64_t up_off; /* PUT: bytes handed to libcurl (this attempt) */
	rp_sha256 sent;  /* PUT from a file: SHA-256 of the bytes handed to libcurl */
	int sent_checked; /* ... compared with the signed hash at the last byte */
	uint64_t discarded;
	uint64_t seen;   /* GET: bytes when the cap was hit */
	int too_large;
	int body_cut;    /* an error body longer than DISCARD_MAX: aborted, status kept */
	rp_err cb_err;   /* a failure inside a callback (malformed header, memory) */
	int cb_failed;
	char errbuf[CURL_ERROR_SIZE];
} slot;

struct rp_s3 {
	CURLM *multi;
	rp_sigv4_ctx sig;
	rp_s3_settings set;
	slot *slots;
	unsigned n_slots;
	op *head, *tail;    /* unfinished ops in submission order (retries keep their place) */
	unsigned n_ops;
	const char *scheme; /* "https://" or "http://" */
	rp_s3_resp scratch; /* for callers that pass resp == NULL */
	uint8_t *hbuf;      /* RP_S3_FD_CHUNK bytes for hashing file bodies (lazy) */
	char epath[EPATH_MAX + 1];
	char query[QUERY_MAX + 1];
	char url[8 + RP_SIGV4_HOST_MAX + EPATH_MAX + 1 + QUERY_MAX + 1];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t jitter(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = UINT32_MAX / 2; /* no entropy: the middle of the window, still bounded */
	return r;
}

static const char *show(const char *key, char *out, size_t cap)
{
	return rp_printable(key, strlen(key), out, cap);
}

const char *rp_s3_show_key(const rp_s3 *s, const char *key, char *out, size_t outsz)
{
	char k[SHOWN_MAX];
	(void)snprintf(out, outsz, "s3://%s/%s", s != NULL ? s->set.bucket : "?",
		       key != NULL ? show(key, k, sizeof k) : "");
	return out;
}

static const char *op_method(const op *o)
{
	return o->kind == OP_HEAD ? "HEAD" : o->kind == OP_PUT ? "PUT" : "GET";
}

/* "<key>" or "?versioning on bucket B": what a message says the op was on. */
static const char *op_what(const rp_s3 *s, const op *o, char *out, size_t cap)
{
	if (o->key != NULL)
		return show(o->key, out, cap);
	char sub[128];
	const char *k = o->n_params > 0 && o->params[0].key != NULL ? o->params[0].key : "";
	(void)snprintf(out, cap, "?%s on bucket %s", rp_printable(k, strlen(k), sub, sizeof sub), s->set.bucket);
	return out;
}

/* ---- libcurl callbacks --------------------------------------------------------------------- */

static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
	slot *sl = ud;
	op *o = sl->op;
	size_t n = size * nitems;
	if (rp_s3_header_line(&sl->hdr, o->resp, data, n, &sl->cb_err) != 0) {
		sl->cb_failed = 1;
		return 0; /* aborts the transfer */
	}
	/* Refuse an oversized object before a byte of its body arrives. */
	if ((o->kind == OP_GET || o->kind == OP_BUCKET) && sl->hdr.status >= 200 && sl->hdr.status < 300 &&
	    o->resp->has_length && o->resp->length > o->max) {
		sl->too_large = 1;
		sl->seen = o->resp->length;
		return 0;
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	slot *sl = ud;
	op *o = sl->op;
	rp_s3_resp *r = o->resp;
	size_t n = size * nmemb;
	if (sl->hdr.status < 200 || sl->hdr.status >= 300) {
		/* an error body: keep the start for the child, drop a bounded rest */
		size_t keep = RP_S3_ERR_BODY_MAX - r->err_body_len;
		if (keep > n)
			keep = n;
		memcpy(r->err_body + r->err_body_len, data, keep);
		r->err_body_len += keep;
		sl->discarded += n - keep;
		if (sl->discarded > DISCARD_MAX) {
			sl->body_cut = 1;
			return 0;
		}
		return n;
	}
	if (o->hash_get) {
		if (n > o->max - o->got) {
			sl->too_large = 1;
			sl->seen = o->got + n;
			return 0;
		}
		rp_sha256_update(&o->gh, data, n);
		o->got += n;
		return n;
	}
	if (o->out == NULL) { /* PUT: S3 sends no body on success; drop a bounded one */
		sl->discarded += n;
		return sl->discarded > DISCARD_MAX ? 0 : n;
	}
	if (n > o->max - o->out->len) {
		sl->too_large = 1;
		sl->seen = (uint64_t)o->out->len + n;
		return 0;
	}
	if (o->out->len == 0 && r->has_length && r->length > 0 &&
	    rp_buf_reserve(o->out, (size_t)r->length, &sl->cb_err) != 0) {
		sl->cb_failed = 1;
		return 0;
	}
	if (rp_buf_append(o->out, data, n, &sl->cb_err) != 0) {
		sl->cb_failed = 1;
		return 0;
	}
	return n;
}

/* A file body: pread at this attempt's offset straight into libcurl's
 * buffer, hashing what is handed over. Before the last bytes leave, the
 * hash must be the one signed and the file must end there; otherwise the
 * transfer is aborted (never retried), so the store never receives a
 * complete body other than the one hashed. */
static size_t read_fd_body(slot *sl, char *buf, size_t n)
{
	op *o = sl->op;
	uint64_t left = o->len - sl->up_off;
	if ((uint64_t)n > left)
		n = (size_t)left;
	size_t got = 0;
	if (n > 0) {
		ssize_t r = pread_intr(o->fd, buf, n, sl->up_off);
		if (r < 0) {
			(void)rp_err_set(&sl->cb_err, RP_E_IO, "cannot read the local file: %s", strerror(errno));
			goto abort;
		}
		if (r == 0) {
			(void)file_changed(&sl->cb_err);
			goto abort;
		}
		got = (size_t)r;
		rp_sha256_update(&sl->sent, buf, got);
		sl->up_off += got;
	}
	if (sl->up_off == o->len && !sl->sent_checked) {
		uint8_t d[RP_SHA256_LEN];
		rp_sha256_final(&sl->sent, d);
		sl->sent_checked = 1;
		if (memcmp(d, o->sha, sizeof d) != 0) {
			(void)file_changed(&sl->cb_err);
			goto abort;
		}
		if (check_eof_at(o->fd, o->len, &sl->cb_err) != 0)
			goto abort;
	}
	return got;
abort:
	sl->cb_failed = 1;
	return CURL_READFUNC_ABORT;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	slot *sl = ud;
	size_t n = size * nitems;
	if (sl->op->fd >= 0)
		return read_fd_body(sl, buf, n);
	uint64_t left = sl->op->len - sl->up_off;
	if ((uint64_t)n > left)
		n = (size_t)left;
	if (n > 0)
		memcpy(buf, sl->op->data + sl->up_off, n);
	sl->up_off += n;
	return n;
}

/* A fresh attempt (or a rewind) of a PUT body: from byte 0. */
static void upload_restart(slot *sl)
{
	sl->up_off = 0;
	rp_sha256_init(&sl->sent);
	sl->sent_checked = 0;
}

/* libcurl rewinds the body when it resends on a fresh connection (a kept-
 * alive one the server had closed). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	slot *sl = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > sl->op->len)
		return CURL_SEEKFUNC_FAIL;
	if (sl->op->fd >= 0) { /* the running hash only restarts from 0 */
		if (offset != 0)
			return CURL_SEEKFUNC_FAIL;
		upload_restart(sl);
		return CURL_SEEKFUNC_OK;
	}
	sl->up_off = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* ---- one attempt ------------------------------------------------------------------------------ */

static void hdrs_free(struct curl_slist **l)
{
	for (struct curl_slist *p = *l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data)); /* the session token is one of them */
	curl_slist_free_all(*l);
	*l = NULL;
}

static int hdr_add(struct curl_slist **l, const char *name, const char *value, rp_err *err)
{
	char line[RP_SIGV4_TOKEN_MAX + 64];
	int n = snprintf(line, sizeof line, "%s: %s", name, value);
	struct curl_slist *nl = NULL;
	if (n > 0 && (size_t)n < sizeof line)
		nl = curl_slist_append(*l, line);
	explicit_bzero(line, sizeof line);
	if (nl == NULL)
		return rp_err_set(err, RP_E_NOMEM, "cannot build request headers");
	*l = nl;
	return 0;
}

/* Signs the request and builds URL and headers into s and sl. */
static int prepare(rp_s3 *s, slot *sl, op *o, rp_err *err)
{
	char host[RP_SIGV4_HOST_MAX + 1], path[RP_SIGV4_PATH_MAX + 1], date[RP_SIGV4_DATE_LEN + 1];
	size_t path_len, elen, qlen;
	rp_sigv4_result sig;
	rp_sigv4_header extra[2] = { { "content-md5", o->md5_b64 }, { "content-type", "application/json" } };
	if (rp_s3_target(&s->set, o->key, host, path, &path_len, err) != 0 ||
	    rp_sigv4_encode_path(path, path_len, s->epath, sizeof s->epath, &elen, err) != 0 ||
	    rp_sigv4_canonical_query(o->params, o->n_params, s->query, sizeof s->query, &qlen, err) != 0 ||
	    rp_sigv4_amz_date(time(NULL), date, err) != 0)
		return -1;
	int n = snprintf(s->url, sizeof s->url, "%s%s%s%s%s", s->scheme, host, s->epath, qlen > 0 ? "?" : "",
			 s->query);
	if (n < 0 || (size_t)n >= sizeof s->url)
		return rp_err_set(err, RP_E_LIMIT, "request URL too long");
	rp_sigv4_request req = { op_method(o), host, path, path_len, o->params, o->n_params,
				 o->kind == OP_PUT ? extra : NULL, o->kind == OP_PUT ? 2u : 0u,
				 o->kind == OP_PUT ? o->sha_hex : NULL, date };
	if (rp_sigv4_sign(&s->sig, &req, &sig, err) != 0)
		return -1;
	const char *tok = rp_sigv4_token(&s->sig);
	int rc = hdr_add(&sl->hdrs, "Host", host, err) != 0 || hdr_add(&sl->hdrs, "x-amz-date", date, err) != 0 ||
		 hdr_add(&sl->hdrs, "x-amz-content-sha256", sig.content_sha256, err) != 0 ||
		 hdr_add(&sl->hdrs, "Authorization", sig.authorization, err) != 0 ||
		 (tok != NULL && hdr_add(&sl->hdrs, "x-amz-security-token", tok, err) != 0) ||
		 (o->kind == OP_PUT && (hdr_add(&sl->hdrs, "Content-MD5", o->md5_b64, err) != 0 ||
					hdr_add(&sl->hdrs, "Content-Type", "application/json", err) != 0));
	explicit_bzero(&sig, sizeof sig);
	if (rc != 0)
		return -1;
	/* "Name:" with no value removes a header libcurl would add:
	 * Expect: 100-continue costs a round trip per PUT. */
	struct curl_slist *nl = curl_slist_append(sl->hdrs, "Expect:");
	if (nl == NULL)
		return rp_err_set(err, RP_E_NOMEM, "cannot build request headers");
	sl->hdrs = nl;
	return 0;
}

#define SETOPT(h, o, v) (curl_easy_setopt((h), (o), (v)) != CURLE_OK)

static int configure(rp_s3 *s, slot *sl, op *o, long timeout_ms, rp_err *err)
{
	CURL *h = sl->easy;
	long connect_ms = (long)s->set.connect_ms < timeout_ms ? (long)s->set.connect_ms : timeout_ms;
	curl_easy_reset(h); /* keeps the connection cache, DNS cache and TLS sessions */
	int bad = SETOPT(h, CURLOPT_URL, s->url) || SETOPT(h, CURLOPT_HTTPHEADER, sl->hdrs) ||
		  rp_curl_restrict_protocols(h, s->set.allow_http) != CURLE_OK ||
		  SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L) || SETOPT(h, CURLOPT_NOSIGNAL, 1L) ||
		  SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
		  SETOPT(h, CURLOPT_TCP_NODELAY, 1L) || SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L) ||
		  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) || SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms) ||
		  SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, RP_S3_LOW_SPEED_BYTES) ||
		  SETOPT(h, CURLOPT_LOW_SPEED_TIME, RP_S3_LOW_SPEED_SECONDS) ||
		  SETOPT(h, CURLOPT_ERRORBUFFER, sl->errbuf) || SETOPT(h, CURLOPT_PRIVATE, (void *)sl) ||
		  SETOPT(h, CURLOPT_HEADERFUNCTION, on_header) || SETOPT(h, CURLOPT_HEADERDATA, (void *)sl) ||
		  SETOPT(h, CURLOPT_WRITEFUNCTION, on_body) || SETOPT(h, CURLOPT_WRITEDATA, (void *)sl);
	if (!bad && s->set.ca_file[0] != '\0')
		bad = SETOPT(h, CURLOPT_CAINFO, s->set.ca_file);
	if (!bad && o->kind == OP_HEAD)
		bad = SETOPT(h, CURLOPT_NOBODY, 1L);
	if (!bad && o->kind == OP_PUT)
		bad = SETOPT(h, CURLOPT_UPLOAD, 1L) || SETOPT(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)o->len) ||
		      SETOPT(h, CURLOPT_READFUNCTION, on_read) || SETOPT(h, CURLOPT_READDATA, (void *)sl) ||
		      SETOPT(h, CURLOPT_SEEKFUNCTION, on_seek) || SETOPT(h, CURLOPT_SEEKDATA, (void *)sl);
	if (bad)
		return rp_err_set(err, RP_E_IO, "libcurl refused an option (built without http/https?)");
	return 0;
}

/* A file body's Content-MD5 and payload hash: one pread pass, before its
 * first attempt (not per attempt: every retry must send the same bytes).
 * A failure here fails the item without a request. */
static int hash_body(rp_s3 *s, op *o)
{
	char k[SHOWN_MAX];
	rp_err e;
	if (s->hbuf == NULL && (s->hbuf = malloc(RP_S3_FD_CHUNK)) == NULL)
		return rp_err_set(o->err, RP_E_NOMEM, "PUT %s: out of memory", show(o->key, k, sizeof k));
	if (rp_s3_hash_fd(o->fd, o->len, s->hbuf, RP_S3_FD_CHUNK, o->md5, o->sha, &e) != 0)
		return rp_err_set(o->err, e.code, "PUT %s: %s", show(o->key, k, sizeof k), e.msg);
	rp_s3_base64(o->md5, 16, o->md5_b64);
	rp_hex_encode(o->sha, RP_SHA256_LEN, o->sha_hex);
	o->hashed = 1;
#ifdef RP_S3HTTP_TEST_HOOKS
	if (rp_s3_test_after_hash != NULL)
		rp_s3_test_after_hash(o->key, o->fd);
#endif
	return 0;
}

/* Starts the next attempt of o on the free slot sl. -1: o failed for good
 * (err set) without a transfer. */
static int start(rp_s3 *s, slot *sl, op *o, uint64_t now)
{
	if (o->resp->attempts == 0)
		o->t0 = now;
	uint64_t spent = now - o->t0;
	o->resp->status = 0;
	o->resp->etag[0] = '\0';
	o->resp->version_id[0] = '\0';
	o->resp->has_length = 0;
	o->resp->length = 0;
	o->resp->err_body_len = 0;
	if (o->out != NULL)
		rp_buf_reset(o->out);
	if (o->hash_get) {
		rp_sha256_init(&o->gh);
		o->got = 0;
	}
	memset(&sl->hdr, 0, sizeof sl->hdr);
	sl->op = o;
	upload_restart(sl); /* a retry sends the body again from byte 0 */
	sl->discarded = 0;
	sl->seen = 0;
	sl->too_large = 0;
	sl->body_cut = 0;
	sl->cb_failed = 0;
	sl->errbuf[0] = '\0';
	rp_err_clear(&sl->cb_err);
	long timeout = spent < s->set.deadline_ms ? (long)(s->set.deadline_ms - spent) : 1L;
	if (o->kind == OP_PUT && !o->hashed && hash_body(s, o) != 0) {
		sl->op = NULL;
		return -1;
	}
	if (o->expect_sha != NULL && memcmp(o->sha, o->expect_sha, RP_SHA256_LEN) != 0) {
		char k[SHOWN_MAX];
		sl->op = NULL;
		return rp_err_set(o->err, RP_E_VERIFY,
				  "PUT %s: the local file no longer holds the bytes that were verified",
				  show(o->key, k, sizeof k));
	}
	if (prepare(s, sl, o, o->err) != 0 || configure(s, sl, o, timeout, o->err) != 0) {
		hdrs_free(&sl->hdrs);
		sl->op = NULL;
		return -1;
	}
	if (curl_multi_add_handle(s->multi, sl->easy) != CURLM_OK) {
		hdrs_free(&sl->hdrs);
		sl->op = NULL;
		return rp_err_set(o->err, RP_E_IO, "libcurl could not start a transfer");
	}
	o->resp->attempts++; /* a request that never left is not an attempt */
	o->state = OP_RUNNING;
	return 0;
}

/* What a finished attempt means for its op. retry: worth another one;
 * returns -1 with o->err set for a failure, 0 for success. */
static int judge(rp_s3 *s, slot *sl, op *o, CURLcode cc, int *retry)
{
	char k[SHOWN_MAX], reason[CURL_ERROR_SIZE + 8];
	rp_s3_resp *r = o->resp;
	const char *m = op_method(o), *what = op_what(s, o, k, sizeof k);
	*retry = 0;
	if (sl->too_large)
		return rp_err_set(o->err, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)", what,
				  (unsigned long long)sl->seen, (unsigned long long)o->max);
	if (sl->cb_failed)
		return rp_err_set(o->err, sl->cb_err.code, "%s %s: %s", m, what, sl->cb_err.msg);
	if (cc != CURLE_OK && !sl->body_cut) {
		const char *why = sl->errbuf[0] != '\0' ? sl->errbuf : curl_easy_strerror(cc);
		*retry = rp_s3_curl_retryable((int)cc);
		return rp_err_set(o->err, RP_E_IO, "%s %s: %s (after %u attempt%s)", m, what,
				  rp_printable(why, strlen(why), reason, sizeof reason), r->attempts,
				  r->attempts == 1 ? "" : "s");
	}
	long st = sl->hdr.status;
	r->status = st;
	if (st >= 200 && st < 300) {
		if (o->kind == OP_PUT && !rp_s3_etag_matches(r->etag, o->md5)) {
			char e[2 * RP_S3_ETAG_MAX];
			return rp_err_set(o->err, RP_E_STORE,
					  "PUT %s: the store answered ETag %s, expected the MD5 of the bytes sent", what,
					  r->etag[0] != '\0' ? rp_printable(r->etag, strlen(r->etag), e, sizeof e) : "(none)");
		}
		return 0;
	}
	if (st == 404)
		return rp_err_set(o->err, RP_E_NOTFOUND, "%s %s: not found", m, what);
	*retry = rp_s3_status_retryable(st);
	if (r->attempts > 1)
		return rp_err_set(o->err, RP_E_STORE, "%s %s: HTTP %ld (after %u attempts)", m, what, st, r->attempts);
	return rp_err_set(o->err, RP_E_STORE, "%s %s: HTTP %ld", m, what, st);
}

/* A transfer ended: free the slot, then finish the op or schedule its
 * next attempt. Returns 1 when the op is done. */
static int finish(rp_s3 *s, slot *sl, CURLcode cc, uint64_t now)
{
	op *o = sl->op;
	int retry = 0;
	(void)curl_multi_remove_handle(s->multi, sl->easy);
	int rc = judge(s, sl, o, cc, &retry);
	hdrs_free(&sl->hdrs);
	sl->op = NULL;
	if (rc == 0) {
		rp_err_clear(o->err);
		o->state = OP_DONE;
		return 1;
	}
	if (retry && o->resp->attempts < s->set.max_attempts) {
		uint64_t delay = rp_s3_backoff_ms(o->resp->attempts, jitter());
		if (now - o->t0 + delay < s->set.deadline_ms) {
			o->next_at = now + delay;
			o->state = OP_WAITING;
			return 0;
		}
	}
	o->failed = 1;
	o->state = OP_DONE;
	return 1;
}

/* ---- the engine: one list of unfinished ops, driven by step() ---------------------------------- */

static void enqueue(rp_s3 *s, op *o)
{
	o->state = OP_WAITING;
	o->next_at = 0;
	o->resp->attempts = 0;
	o->prev = s->tail;
	o->next = NULL;
	if (s->tail != NULL)
		s->tail->next = o;
	else
		s->head = o;
	s->tail = o;
	s->n_ops++;
}

static void unlink_op(rp_s3 *s, op *o)
{
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		s->head = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	else
		s->tail = o->prev;
	s->n_ops--;
}

/* o is finished (OP_DONE): off the list; a run() counts it, a request
 * gets its result and its callback (which may submit more). */
static void op_done(rp_s3 *s, op *o)
{
	unlink_op(s, o);
	if (o->pending != NULL) {
		(*o->pending)--;
		return;
	}
	rp_s3_req *r = o->req;
	r->failed = o->failed;
	r->got = o->got;
	if (o->hash_get)
		rp_sha256_final(&o->gh, r->sha);
	else
		memcpy(r->sha, o->sha, RP_SHA256_LEN);
	free(o);
	r->done(r->ctx, r);
}

/* One turn of the engine: start what is due on free slots (the oldest op
 * first, so retries and earlier submissions go ahead), let libcurl move
 * bytes, finish what completed, then sleep until a socket is ready,
 * curl's timer fires, the earliest retry is due, fd (if >= 0) becomes
 * readable, or wait_ms passes. Returns 1 when fd is readable. */
static int step(rp_s3 *s, int fd, uint64_t wait_ms)
{
	uint64_t now = now_ms();
	for (unsigned j = 0; j < s->n_slots; j++) {
		slot *sl = &s->slots[j];
		if (sl->op != NULL)
			continue;
		op *pick = NULL;
		for (op *o = s->head; o != NULL && pick == NULL; o = o->next)
			if (o->state == OP_WAITING && o->next_at <= now)
				pick = o;
		if (pick == NULL)
			break;
		/* Hashing a large file body takes a while: one per turn, so the
		 * transfers already running keep moving in between. */
		int hashing = pick->kind == OP_PUT && !pick->hashed && pick->len > RP_S3_FD_CHUNK;
		if (start(s, sl, pick, now) != 0) {
			pick->failed = 1;
			pick->state = OP_DONE;
			op_done(s, pick);
			j--; /* the slot is still free */
		}
		if (hashing)
			break;
	}
	int running = 0;
	(void)curl_multi_perform(s->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		slot *sl = NULL;
		(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
		op *o = sl->op;
		if (finish(s, sl, m->data.result, now_ms()))
			op_done(s, o);
	}
	now = now_ms();
	uint64_t wait = wait_ms;
	int free_slot = 0;
	for (unsigned j = 0; j < s->n_slots; j++)
		free_slot |= s->slots[j].op == NULL;
	for (op *o = s->head; free_slot && o != NULL && wait > 0; o = o->next)
		if (o->state == OP_WAITING)
			wait = o->next_at <= now ? 0 : (o->next_at - now < wait ? o->next_at - now : wait);
	struct curl_waitfd w = { fd, CURL_WAIT_POLLIN, 0 };
	if (s->n_ops == 0 && fd < 0)
		return 0;
	(void)rp_curl_multi_sleep(s->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1u : 0u, (int)wait);
	return fd >= 0 && w.revents != 0;
}

/* Drives ops[0..n) to completion (and whatever else is queued meanwhile). */
static void run(rp_s3 *s, op *ops, size_t n)
{
	unsigned pending = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		ops[i].pending = &pending;
		enqueue(s, &ops[i]);
	}
	while (pending > 0)
		(void)step(s, -1, 1000);
}

/* ---- open / close ------------------------------------------------------------------------------ */

void rp_s3_close(rp_s3 *s)
{
	if (s == NULL)
		return;
	rp_s3_cancel_requests(s); /* requests never finished: freed, no callback */
	for (unsigned j = 0; j < s->n_slots; j++) {
		if (s->slots[j].easy != NULL) {
			if (s->slots[j].op != NULL)
				(void)curl_multi_remove_handle(s->multi, s->slots[j].easy);
			curl_easy_cleanup(s->slots[j].easy);
		}
		hdrs_free(&s->slots[j].hdrs);
	}
	free(s->slots);
	free(s->hbuf);
	if (s->multi != NULL)
		(void)curl_multi_cleanup(s->multi);
	rp_sigv4_ctx_clear(&s->sig);
	explicit_bzero(s, sizeof *s);
	free(s);
}

/* The signing context is the only place a secret stays between requests
 * (a session token also passes through a request's header list, which is
 * wiped and freed when the transfer ends). */
void rp_s3_secret_span(rp_s3 *s, void **p, size_t *n)
{
	*p = s != NULL ? (void *)&s->sig : NULL;
	*n = s != NULL ? sizeof s->sig : 0;
}

static int global_init(rp_err *err)
{
	static int done;
	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return rp_err_set(err, RP_E_IO, "libcurl could not be initialised");
	done = 1;
	return 0;
}

int rp_s3_open(rp_s3 **out, const rp_s3_settings *set, rp_s3_creds *creds, rp_err *err)
{
	*out = NULL;
	rp_s3 *s = NULL;
	int rc = -1;
	if (set->parallel < 1 || set->parallel > RP_S3_MAX_PARALLEL || set->max_attempts < 1 ||
	    set->deadline_ms < 1 || set->bucket[0] == '\0' ||
	    (strncmp(set->endpoint, "https://", 8) != 0 && strncmp(set->endpoint, "http://", 7) != 0)) {
		(void)rp_err_set(err, RP_E_USAGE, "S3 settings not resolved (rp_s3_resolve)");
		goto out;
	}
	if (strncmp(set->endpoint, "http://", 7) == 0 && !set->allow_http) {
		(void)rp_err_set(err, RP_E_USAGE, "endpoint uses http:// without allow_http");
		goto out;
	}
	if (rp_curl_load(err) != 0 || global_init(err) != 0) /* libcurl is dlopen'ed here (curl_lazy.c) */
		goto out;
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		(void)rp_err_set(err, RP_E_NOMEM, "out of memory opening the S3 client");
		goto out;
	}
	s->set = *set;
	s->scheme = strncmp(set->endpoint, "https://", 8) == 0 ? "https://" : "http://";
	if (rp_sigv4_ctx_init(&s->sig, creds->access_key, creds->secret, creds->token, set->region, NULL, err) != 0)
		goto out;
	s->n_slots = set->parallel;
	s->slots = calloc(s->n_slots, sizeof *s->slots);
	s->multi = curl_multi_init();
	if (s->slots == NULL || s->multi == NULL) {
		(void)rp_err_set(err, RP_E_IO, "libcurl could not be set up");
		goto out;
	}
	long par = (long)set->parallel;
	if (curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, par) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, par) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, par) != CURLM_OK) {
		(void)rp_err_set(err, RP_E_IO, "libcurl could not be set up");
		goto out;
	}
	for (unsigned j = 0; j < s->n_slots; j++) {
		s->slots[j].easy = curl_easy_init();
		if (s->slots[j].easy == NULL) {
			(void)rp_err_set(err, RP_E_IO, "libcurl could not be set up");
			goto out;
		}
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	rp_s3_close(s);
	rp_s3_creds_wipe(creds);
	return rc;
}

/* ---- operations -------------------------------------------------------------------------------- */

static void op_init(op *o, enum op_kind kind, const char *key, rp_s3_resp *resp, rp_err *err)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->key = key;
	o->fd = -1;
	o->resp = resp;
	o->err = err;
	rp_err_clear(err);
	resp->status = 0;
	resp->attempts = 0;
	resp->etag[0] = '\0';
	resp->version_id[0] = '\0';
	resp->has_length = 0;
	resp->length = 0;
	resp->err_body_len = 0;
}

/* A GET's body buffer: emptied, and able to hold max bytes. */
static void body_prepare(rp_buf *b, uint64_t max)
{
	rp_buf_reset(b);
	size_t m = max < (uint64_t)SIZE_MAX - 1 ? (size_t)max : SIZE_MAX - 1;
	if (b->limit < m)
		b->limit = m;
}

int rp_s3_get(rp_s3 *s, const char *key, uint64_t max, rp_buf *out, rp_s3_resp *resp, rp_err *err)
{
	op o;
	if (resp == NULL)
		resp = &s->scratch;
	op_init(&o, OP_GET, key, resp, err);
	o.out = out;
	o.max = max;
	body_prepare(out, max);
	run(s, &o, 1);
	return o.failed ? -1 : 0;
}

int rp_s3_head(rp_s3 *s, const char *key, rp_s3_resp *resp, rp_err *err)
{
	op o;
	if (resp == NULL)
		resp = &s->scratch;
	op_init(&o, OP_HEAD, key, resp, err);
	run(s, &o, 1);
	return o.failed ? -1 : 0;
}

int rp_s3_get_bucket(rp_s3 *s, const rp_sigv4_param *params, size_t n_params, rp_buf *body, rp_s3_resp *resp,
		     rp_err *err)
{
	op o;
	if (resp == NULL)
		resp = &s->scratch;
	op_init(&o, OP_BUCKET, NULL, resp, err);
	o.params = params;
	o.n_params = n_params;
	o.out = body;
	o.max = RP_S3_LIST_BODY_MAX;
	body_prepare(body, RP_S3_LIST_BODY_MAX);
	run(s, &o, 1);
	return o.failed ? -1 : 0;
}

/* The first failure in index order becomes the batch's error. */
static int batch_result(const op *ops, size_t n, rp_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].failed) {
			if (err != NULL && err != ops[i].err)
				*err = *ops[i].err;
			return -1;
		}
	rp_err_clear(err);
	return 0;
}

int rp_s3_put_many(rp_s3 *s, rp_s3_put_item *items, size_t n, rp_err *err)
{
	if (n == 0)
		return 0;
	op *ops = calloc(n, sizeof *ops);
	if (ops == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory for %zu PUTs", n);
	for (size_t i = 0; i < n; i++) {
		op *o = &ops[i];
		op_init(o, OP_PUT, items[i].key, &items[i].resp, &items[i].err);
		o->fd = -1;
		if (items[i].fd >= 0 && items[i].data == NULL) {
			/* a file body: hashed by one pread pass at its first start */
			o->fd = items[i].fd;
			o->len = items[i].size;
			continue;
		}
		o->data = items[i].data != NULL ? items[i].data : (const uint8_t *)"";
		o->len = items[i].len;
		/* Content-MD5 and the payload hash once per item, not per attempt. */
		br_md5_context mc;
		br_md5_init(&mc);
		br_md5_update(&mc, o->data, items[i].len);
		br_md5_out(&mc, o->md5);
		rp_s3_base64(o->md5, 16, o->md5_b64);
		rp_sha256_digest(o->data, items[i].len, o->sha);
		rp_hex_encode(o->sha, RP_SHA256_LEN, o->sha_hex);
		o->hashed = 1;
	}
	run(s, ops, n);
	int rc = batch_result(ops, n, err);
	free(ops);
	return rc;
}

int rp_s3_get_many(rp_s3 *s, rp_s3_get_item *items, size_t n, rp_err *err)
{
	if (n == 0)
		return 0;
	op *ops = calloc(n, sizeof *ops);
	if (ops == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory for %zu GETs", n);
	for (size_t i = 0; i < n; i++) {
		op_init(&ops[i], OP_GET, items[i].key, &items[i].resp, &items[i].err);
		ops[i].out = &items[i].body;
		ops[i].max = items[i].max;
		body_prepare(&items[i].body, items[i].max);
	}
	run(s, ops, n);
	for (size_t i = 0; i < n; i++)
		items[i].failed = ops[i].failed;
	int rc = batch_result(ops, n, err);
	free(ops);
	return rc;
}

/* ---- asynchronous requests ------------------------------------------------------------------- */

int rp_s3_submit(rp_s3 *s, rp_s3_req *r, rp_err *err)
{
	op *o = calloc(1, sizeof *o);
	if (o == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory for a request");
	if (r->kind == RP_S3_REQ_PUT_FD) {
		op_init(o, OP_PUT, r->key, r->resp, &r->err);
		o->fd = r->fd;
		o->len = r->size;
		o->expect_sha = r->expect_sha;
	} else {
		op_init(o, OP_GET, r->key, r->resp, &r->err);
		o->hash_get = 1;
		o->max = r->max;
		rp_sha256_init(&o->gh);
	}
	o->req = r;
	r->failed = 0;
	r->got = 0;
	enqueue(s, o);
	return 0;
}

unsigned rp_s3_unfinished(const rp_s3 *s)
{
	return s->n_ops;
}

int rp_s3_pump(rp_s3 *s, int fd, unsigned wait_ms)
{
	return step(s, fd, wait_ms);
}

void rp_s3_cancel_requests(rp_s3 *s)
{
	if (s == NULL)
		return;
	for (unsigned j = 0; s->slots != NULL && j < s->n_slots; j++) {
		slot *sl = &s->slots[j];
		if (sl->op == NULL || sl->op->req == NULL)
			continue;
		(void)curl_multi_remove_handle(s->multi, sl->easy);
		hdrs_free(&sl->hdrs);
		sl->op = NULL;
	}
	op *o = s->head;
	while (o != NULL) {
		op *nx = o->next;
		if (o->req != NULL) {
			unlink_op(s, o);
			free(o);
		}
		o = nx;
	}
}
