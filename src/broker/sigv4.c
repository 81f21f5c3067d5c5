/*
 * sigv4.c - AWS Signature Version 4 signer for S3 (see sigv4.h).
 *
 * Why: libcurl 7.88's built-in signer cannot sign S3 requests (no
 * x-amz-content-sha256, unsorted query, unencoded path); AWS's published
 * examples are reproduced byte for byte by tests/unit/test_sigv4.c.
 * The canonical request is streamed straight into SHA-256 while it is
 * produced, so signing needs no buffer proportional to the request; the
 * same writer fills a caller buffer when the text itself is wanted.
 * Security posture: BROKER side; handles the secret key; parses no
 * untrusted input. Every derived key and HMAC state lives on the stack and
 * is wiped with explicit_bzero before return; error messages name fields,
 * never values of credentials.
 */
#include "sigv4.h"

#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "../common/sha256.h"

/* ---- output: a bounded buffer, a running hash, or both --------------------- */

typedef struct wr {
	char *buf;      /* NULL: count and hash only */
	size_t cap;     /* bytes of buf, NUL included */
	size_t len;
	rp_sha256 *hash; /* NULL: no hashing */
	int overflow;
} wr;

static void wr_put(wr *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (w->hash != NULL)
		rp_sha256_update(w->hash, p, n);
	if (w->buf != NULL) {
		if (w->overflow || w->cap == 0 || n > w->cap - 1 - w->len) {
			w->overflow = 1;
			return;
		}
		memcpy(w->buf + w->len, p, n);
	}
	w->len += n;
}

static void wr_str(wr *w, const char *s)
{
	wr_put(w, s, strlen(s));
}

static void wr_ch(wr *w, char c)
{
	wr_put(w, &c, 1);
}

static int wr_done(wr *w, size_t *out_len, const char *what, rp_err *err)
{
	if (w->buf != NULL) {
		if (w->overflow)
			return rp_err_set(err, RP_E_LIMIT, "sigv4: %s does not fit its %zu-byte buffer", what,
					  w->cap);
		w->buf[w->len] = '\0';
	}
	if (out_len != NULL)
		*out_len = w->len;
	return 0;
}

/* ---- URI encoding ----------------------------------------------------------- */

static int unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '~';
}

static const char HEXU[] = "0123456789ABCDEF";

/* Writes s encoded; runs of bytes that stay as they are go out in one piece. */
static void wr_enc(wr *w, const char *s, size_t n, int keep_slash)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (unreserved(u[i]) || (keep_slash && u[i] == '/'))
			continue;
		wr_put(w, s + run, i - run);
		char esc[3] = { '%', HEXU[u[i] >> 4], HEXU[u[i] & 15] };
		wr_put(w, esc, 3);
		run = i + 1;
	}
	wr_put(w, s + run, n - run);
}

/* The encoded form of a string, one byte at a time, so parameters can be
 * sorted by their encoded form (which orders differently from the raw one:
 * "%C3" < "~" though 0xC3 > '~') without encoding them into a buffer. */
typedef struct encit {
	const uint8_t *s;
	size_t n, i;
	char pend[2];
	int npend;
} encit;

static int encit_next(encit *it)
{
	if (it->npend > 0) {
		char c = it->pend[2 - it->npend];
		it->npend--;
		return (uint8_t)c;
	}
	if (it->i >= it->n)
		return -1;
	uint8_t c = it->s[it->i++];
	if (unreserved(c))
		return c;
	it->pend[0] = HEXU[c >> 4];
	it->pend[1] = HEXU[c & 15];
	it->npend = 2;
	return '%';
}

static int enc_cmp(const char *a, const char *b)
{
	encit x = { (const uint8_t *)a, strlen(a), 0, { 0, 0 }, 0 };
	encit y = { (const uint8_t *)b, strlen(b), 0, { 0, 0 }, 0 };
	for (;;) {
		int ca = encit_next(&x), cb = encit_next(&y);
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca < 0)
			return 0;
	}
}

int rp_sigv4_encode_path(const char *path, size_t len, char *out, size_t out_cap, size_t *out_len,
			 rp_err *err)
{
	if (path == NULL || out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: encode_path: NULL argument");
	if (len > 0 && path[0] != '/')
		return rp_err_set(err, RP_E_USAGE, "sigv4: the request path must start with '/'");
	wr w = { out, out_cap, 0, NULL, 0 };
	if (len == 0)
		wr_ch(&w, '/');
	else
		wr_enc(&w, path, len, 1);
	return wr_done(&w, out_len, "the encoded path", err);
}

int rp_sigv4_encode_component(const char *s, size_t len, char *out, size_t out_cap,
			      size_t *out_len, rp_err *err)
{
	if (s == NULL || out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: encode_component: NULL argument");
	wr w = { out, out_cap, 0, NULL, 0 };
	wr_enc(&w, s, len, 0);
	return wr_done(&w, out_len, "the encoded component", err);
}

/* ---- validation ------------------------------------------------------------- */

static int printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c < 0x21 || c > 0x7e)
			return 0;
	}
	return 1;
}

static int check_params(const rp_sigv4_param *p, size_t n, rp_err *err)
{
	if (n > RP_SIGV4_MAX_PARAMS)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: %zu query parameters (at most %d)", n,
				  RP_SIGV4_MAX_PARAMS);
	if (n > 0 && p == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: NULL query parameters");
	for (size_t i = 0; i < n; i++) {
		if (p[i].key == NULL || p[i].key[0] == '\0')
			return rp_err_set(err, RP_E_USAGE, "sigv4: query parameter %zu has an empty name", i);
		if (strnlen(p[i].key, RP_SIGV4_PARAM_MAX + 1) > RP_SIGV4_PARAM_MAX ||
		    (p[i].value != NULL && strnlen(p[i].value, RP_SIGV4_PARAM_MAX + 1) > RP_SIGV4_PARAM_MAX))
			return rp_err_set(err, RP_E_LIMIT, "sigv4: query parameter %zu exceeds %d bytes", i,
					  RP_SIGV4_PARAM_MAX);
	}
	return 0;
}

/* Sorted order of the parameters (indices), by encoded key then value. */
static void sort_params(const rp_sigv4_param *p, size_t n, size_t order[RP_SIGV4_MAX_PARAMS])
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0) {
			const rp_sigv4_param *a = &p[order[j - 1]], *b = &p[i];
			int c = enc_cmp(a->key, b->key);
			if (c == 0)
				c = enc_cmp(a->value != NULL ? a->value : "", b->value != NULL ? b->value : "");
			if (c <= 0)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
}

static void wr_query(wr *w, const rp_sigv4_param *p, size_t n)
{
	size_t order[RP_SIGV4_MAX_PARAMS];
	sort_params(p, n, order);
	for (size_t i = 0; i < n; i++) {
		const rp_sigv4_param *q = &p[order[i]];
		if (i > 0)
			wr_ch(w, '&');
		wr_enc(w, q->key, strlen(q->key), 0);
		wr_ch(w, '=');
		if (q->value != NULL)
			wr_enc(w, q->value, strlen(q->value), 0);
	}
}

int rp_sigv4_canonical_query(const rp_sigv4_param *params, size_t n, char *out, size_t out_cap,
			     size_t *out_len, rp_err *err)
{
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: canonical_query: NULL output");
	if (check_params(params, n, err) != 0)
		return -1;
	wr w = { out, out_cap, 0, NULL, 0 };
	wr_query(&w, params, n);
	return wr_done(&w, out_len, "the canonical query", err);
}

/* ---- headers ------------------------------------------------------------------ */

typedef struct hdr {
	char name[RP_SIGV4_HEADER_NAME_MAX + 1]; /* lower case */
	const char *value;
	size_t value_len; /* after trimming the ends */
	int collapse;     /* inner runs of spaces become one (caller values) */
} hdr;

typedef struct hdrs {
	hdr h[RP_SIGV4_MAX_HEADERS + 4];
	size_t n;
} hdrs;

static int tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *const OWN_HEADERS[] = { "host", "x-amz-date", "x-amz-content-sha256",
					   "x-amz-security-token", "authorization" };

static int add_hdr(hdrs *hs, const char *name, const char *value, int collapse, rp_err *err)
{
	size_t nl = strnlen(name, RP_SIGV4_HEADER_NAME_MAX + 1);
	if (nl == 0 || nl > RP_SIGV4_HEADER_NAME_MAX)
		return rp_err_set(err, RP_E_USAGE, "sigv4: a header name is empty or longer than %d bytes",
				  RP_SIGV4_HEADER_NAME_MAX);
	hdr *h = &hs->h[hs->n];
	for (size_t i = 0; i < nl; i++) {
		uint8_t c = (uint8_t)name[i];
		if (!tchar(c))
			return rp_err_set(err, RP_E_USAGE, "sigv4: invalid character in header name \"%.*s\"",
					  (int)nl, name);
		h->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	h->name[nl] = '\0';
	size_t vl = strnlen(value, RP_SIGV4_HEADER_VALUE_MAX + 1);
	if (vl > RP_SIGV4_HEADER_VALUE_MAX)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: the value of header %s exceeds %d bytes", h->name,
				  RP_SIGV4_HEADER_VALUE_MAX);
	for (size_t i = 0; i < vl; i++) {
		uint8_t c = (uint8_t)value[i];
		/* CR/LF would end the header and start another one on the wire. */
		if (c < 0x20 || c == 0x7f)
			return rp_err_set(err, RP_E_USAGE, "sigv4: control character in the value of header %s",
					  h->name);
	}
	while (vl > 0 && value[0] == ' ') {
		value++;
		vl--;
	}
	while (vl > 0 && value[vl - 1] == ' ')
		vl--;
	for (size_t i = 0; i < hs->n; i++)
		if (strcmp(hs->h[i].name, h->name) == 0)
			return rp_err_set(err, RP_E_USAGE, "sigv4: header %s given twice", h->name);
	h->value = value;
	h->value_len = vl;
	h->collapse = collapse;
	hs->n++;
	return 0;
}

static int check_date(const char *d)
{
	if (d == NULL || strlen(d) != RP_SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (size_t i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

static int check_payload_hash(const char *h)
{
	if (strcmp(h, RP_SIGV4_UNSIGNED_PAYLOAD) == 0)
		return 1;
	if (strlen(h) != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return 1;
}

/* Validates req and collects every signed header, sorted by name. */
static int prepare(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, hdrs *hs, rp_err *err)
{
	if (ctx == NULL || req == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: NULL context or request");
	if (!ctx->ready)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: context not initialised");
	size_t ml = req->method != NULL ? strnlen(req->method, 17) : 0;
	if (ml == 0 || ml > 16)
		return rp_err_set(err, RP_E_USAGE, "sigv4: invalid HTTP method");
	for (size_t i = 0; i < ml; i++)
		if (req->method[i] < 'A' || req->method[i] > 'Z')
			return rp_err_set(err, RP_E_USAGE, "sigv4: invalid HTTP method");
	size_t hl = req->host != NULL ? strnlen(req->host, RP_SIGV4_HOST_MAX + 1) : 0;
	if (hl == 0 || hl > RP_SIGV4_HOST_MAX || !printable_ascii(req->host, hl) ||
	    strchr(req->host, '/') != NULL)
		return rp_err_set(err, RP_E_USAGE, "sigv4: invalid Host header value");
	if (req->path == NULL || req->path_len > RP_SIGV4_PATH_MAX)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: the request path is missing or exceeds %d bytes",
				  RP_SIGV4_PATH_MAX);
	if (req->path_len > 0 && req->path[0] != '/')
		return rp_err_set(err, RP_E_USAGE, "sigv4: the request path must start with '/'");
	if (check_params(req->params, req->n_params, err) != 0)
		return -1;
	if (!check_date(req->amz_date))
		return rp_err_set(err, RP_E_USAGE, "sigv4: x-amz-date must look like 20130524T000000Z");
	if (req->payload_hash != NULL && !check_payload_hash(req->payload_hash))
		return rp_err_set(err, RP_E_USAGE,
				  "sigv4: the payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD");
	if (req->n_headers > RP_SIGV4_MAX_HEADERS)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: %zu headers to sign (at most %d)", req->n_headers,
				  RP_SIGV4_MAX_HEADERS);
	if (req->n_headers > 0 && req->headers == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: NULL headers");

	hs->n = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		if (req->headers[i].name == NULL || req->headers[i].value == NULL)
			return rp_err_set(err, RP_E_INTERNAL, "sigv4: header %zu has a NULL name or value", i);
		if (add_hdr(hs, req->headers[i].name, req->headers[i].value, 1, err) != 0)
			return -1;
		for (size_t k = 0; k < sizeof OWN_HEADERS / sizeof OWN_HEADERS[0]; k++)
			if (strcmp(hs->h[hs->n - 1].name, OWN_HEADERS[k]) == 0)
				return rp_err_set(err, RP_E_USAGE, "sigv4: header %s is set by the signer itself",
						  OWN_HEADERS[k]);
	}
	const char *ph = req->payload_hash != NULL ? req->payload_hash : RP_SIGV4_EMPTY_SHA256;
	if (add_hdr(hs, "host", req->host, 0, err) != 0 || add_hdr(hs, "x-amz-date", req->amz_date, 0, err) != 0 ||
	    add_hdr(hs, "x-amz-content-sha256", ph, 0, err) != 0)
		return -1;
	if (ctx->token_len > 0 && add_hdr(hs, "x-amz-security-token", ctx->token, 0, err) != 0)
		return -1;
	/* Insertion sort: at most 20 entries, names distinct. */
	for (size_t i = 1; i < hs->n; i++) {
		hdr t = hs->h[i];
		size_t j = i;
		while (j > 0 && strcmp(hs->h[j - 1].name, t.name) > 0) {
			hs->h[j] = hs->h[j - 1];
			j--;
		}
		hs->h[j] = t;
	}
	return 0;
}

static void wr_value(wr *w, const hdr *h)
{
	if (!h->collapse) {
		wr_put(w, h->value, h->value_len);
		return;
	}
	size_t run = 0;
	for (size_t i = 0; i < h->value_len; i++) {
		if (h->value[i] == ' ' && i + 1 < h->value_len && h->value[i + 1] == ' ') {
			wr_put(w, h->value + run, i + 1 - run);
			while (i + 1 < h->value_len && h->value[i + 1] == ' ')
				i++;
			run = i + 1;
		}
	}
	wr_put(w, h->value + run, h->value_len - run);
}

static void wr_signed_headers(wr *w, const hdrs *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		if (i > 0)
			wr_ch(w, ';');
		wr_str(w, hs->h[i].name);
	}
}

static void wr_creq(wr *w, const rp_sigv4_request *req, const hdrs *hs)
{
	wr_str(w, req->method);
	wr_ch(w, '\n');
	if (req->path_len == 0)
		wr_ch(w, '/');
	else
		wr_enc(w, req->path, req->path_len, 1);
	wr_ch(w, '\n');
	wr_query(w, req->params, req->n_params);
	wr_ch(w, '\n');
	for (size_t i = 0; i < hs->n; i++) {
		wr_str(w, hs->h[i].name);
		wr_ch(w, ':');
		wr_value(w, &hs->h[i]);
		wr_ch(w, '\n');
	}
	wr_ch(w, '\n');
	wr_signed_headers(w, hs);
	wr_ch(w, '\n');
	wr_str(w, req->payload_hash != NULL ? req->payload_hash : RP_SIGV4_EMPTY_SHA256);
}

static int signed_headers_out(const hdrs *hs, char *out, size_t cap, rp_err *err)
{
	if (out == NULL)
		return 0;
	wr w = { out, cap, 0, NULL, 0 };
	wr_signed_headers(&w, hs);
	return wr_done(&w, NULL, "the SignedHeaders list", err);
}

int rp_sigv4_canonical_request(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, char *out,
			       size_t out_cap, size_t *out_len, char *signed_headers,
			       size_t signed_headers_cap, rp_err *err)
{
	hdrs hs;
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: canonical_request: NULL output");
	if (prepare(ctx, req, &hs, err) != 0)
		return -1;
	wr w = { out, out_cap, 0, NULL, 0 };
	wr_creq(&w, req, &hs);
	if (wr_done(&w, out_len, "the canonical request", err) != 0)
		return -1;
	return signed_headers_out(&hs, signed_headers, signed_headers_cap, err);
}

/* ---- string to sign, key, signature ---------------------------------------------- */

static void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, mlen);
	(void)br_hmac_out(&hc, out);
	explicit_bzero(&kc, sizeof kc);
	explicit_bzero(&hc, sizeof hc);
}

static int sts_build(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, const hdrs *hs, char *out,
		     size_t cap, size_t *out_len, rp_err *err)
{
	rp_sha256 h;
	uint8_t digest[RP_SHA256_LEN];
	char hex[RP_SHA256_HEX_LEN + 1];
	rp_sha256_init(&h);
	wr hw = { NULL, 0, 0, &h, 0 };
	wr_creq(&hw, req, hs);
	rp_sha256_final(&h, digest);
	rp_hex_encode(digest, sizeof digest, hex);
	int n = snprintf(out, cap, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", req->amz_date,
			 req->amz_date, ctx->region, ctx->service, hex);
	if (n < 0 || (size_t)n >= cap)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: the string to sign does not fit its %zu-byte buffer",
				  cap);
	if (out_len != NULL)
		*out_len = (size_t)n;
	return 0;
}

int rp_sigv4_string_to_sign(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, char *out,
			    size_t out_cap, size_t *out_len, rp_err *err)
{
	hdrs hs;
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: string_to_sign: NULL output");
	if (prepare(ctx, req, &hs, err) != 0)
		return -1;
	return sts_build(ctx, req, &hs, out, out_cap, out_len, err);
}

int rp_sigv4_signing_key(const rp_sigv4_ctx *ctx, const char *date8, uint8_t key[RP_SIGV4_KEY_LEN],
			 rp_err *err)
{
	if (ctx == NULL || !ctx->ready || date8 == NULL || key == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: signing_key: bad arguments");
	for (size_t i = 0; i < 8; i++)
		if (date8[i] < '0' || date8[i] > '9')
			return rp_err_set(err, RP_E_USAGE, "sigv4: the signing date must be YYYYMMDD");
	uint8_t k[32];
	hmac_sha256(ctx->k_secret, ctx->k_secret_len, date8, 8, k);
	hmac_sha256(k, sizeof k, ctx->region, strlen(ctx->region), k);
	hmac_sha256(k, sizeof k, ctx->service, strlen(ctx->service), k);
	hmac_sha256(k, sizeof k, "aws4_request", 12, key);
	explicit_bzero(k, sizeof k);
	return 0;
}

int rp_sigv4_sign(const rp_sigv4_ctx *ctx, const rp_sigv4_request *req, rp_sigv4_result *out,
		  rp_err *err)
{
	hdrs hs;
	char sts[RP_SIGV4_STS_MAX + 1];
	size_t sts_len;
	uint8_t key[RP_SIGV4_KEY_LEN], mac[32];
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: sign: NULL output");
	memset(out, 0, sizeof *out);
	if (prepare(ctx, req, &hs, err) != 0 || sts_build(ctx, req, &hs, sts, sizeof sts, &sts_len, err) != 0 ||
	    signed_headers_out(&hs, out->signed_headers, sizeof out->signed_headers, err) != 0)
		return -1;
	if (rp_sigv4_signing_key(ctx, req->amz_date, key, err) != 0)
		return -1;
	hmac_sha256(key, sizeof key, sts, sts_len, mac);
	explicit_bzero(key, sizeof key);
	rp_hex_encode(mac, sizeof mac, out->signature);
	explicit_bzero(mac, sizeof mac);
	(void)snprintf(out->content_sha256, sizeof out->content_sha256, "%s",
		       req->payload_hash != NULL ? req->payload_hash : RP_SIGV4_EMPTY_SHA256);
	int n = snprintf(out->authorization, sizeof out->authorization,
			 "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request,SignedHeaders=%s,Signature=%s",
			 ctx->access_key, req->amz_date, ctx->region, ctx->service, out->signed_headers,
			 out->signature);
	if (n < 0 || (size_t)n >= sizeof out->authorization)
		return rp_err_set(err, RP_E_LIMIT, "sigv4: the Authorization value does not fit");
	return 0;
}

/* ---- context --------------------------------------------------------------------- */

void rp_sigv4_ctx_clear(rp_sigv4_ctx *ctx)
{
	if (ctx != NULL)
		explicit_bzero(ctx, sizeof *ctx);
}

static int init_fail(rp_sigv4_ctx *ctx, rp_err *err, rp_code code, const char *what)
{
	rp_sigv4_ctx_clear(ctx);
	return rp_err_set(err, code, "sigv4: invalid credentials: %s", what);
}

int rp_sigv4_ctx_init(rp_sigv4_ctx *ctx, const char *access_key, const char *secret,
		      const char *token, const char *region, const char *service, rp_err *err)
{
	if (ctx == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: NULL context");
	rp_sigv4_ctx_clear(ctx);
	if (service == NULL)
		service = "s3";
	size_t al = access_key != NULL ? strnlen(access_key, RP_SIGV4_ACCESS_KEY_MAX + 1) : 0;
	if (al == 0 || al > RP_SIGV4_ACCESS_KEY_MAX || !printable_ascii(access_key, al) ||
	    strpbrk(access_key, "/,") != NULL)
		return init_fail(ctx, err, RP_E_USAGE,
				 "the access key id must be 1-128 printable ASCII characters without '/' or ','");
	size_t sl = secret != NULL ? strnlen(secret, RP_SIGV4_SECRET_MAX + 1) : 0;
	if (sl == 0 || sl > RP_SIGV4_SECRET_MAX || !printable_ascii(secret, sl))
		return init_fail(ctx, err, RP_E_USAGE,
				 "the secret access key must be 1-128 printable ASCII characters");
	size_t tl = token != NULL ? strnlen(token, RP_SIGV4_TOKEN_MAX + 1) : 0;
	if (tl > RP_SIGV4_TOKEN_MAX || !printable_ascii(token != NULL ? token : "", tl))
		return init_fail(ctx, err, RP_E_USAGE,
				 "the session token must be at most 4096 printable ASCII characters");
	size_t rl = region != NULL ? strnlen(region, RP_SIGV4_REGION_MAX + 1) : 0;
	if (rl == 0 || rl > RP_SIGV4_REGION_MAX)
		return init_fail(ctx, err, RP_E_USAGE, "the region must be 1-63 characters of a-z 0-9 -");
	for (size_t i = 0; i < rl; i++)
		if (!((region[i] >= 'a' && region[i] <= 'z') || (region[i] >= '0' && region[i] <= '9') ||
		      region[i] == '-'))
			return init_fail(ctx, err, RP_E_USAGE, "the region must be 1-63 characters of a-z 0-9 -");
	size_t vl = strnlen(service, RP_SIGV4_SERVICE_MAX + 1);
	if (vl == 0 || vl > RP_SIGV4_SERVICE_MAX)
		return init_fail(ctx, err, RP_E_USAGE, "the service name must be 1-32 characters");
	for (size_t i = 0; i < vl; i++)
		if (!((service[i] >= 'a' && service[i] <= 'z') || (service[i] >= '0' && service[i] <= '9') ||
		      service[i] == '-'))
			return init_fail(ctx, err, RP_E_USAGE, "the service name must be 1-32 characters of a-z 0-9 -");
	memcpy(ctx->access_key, access_key, al);
	memcpy(ctx->k_secret, "AWS4", 4);
	memcpy(ctx->k_secret + 4, secret, sl);
	ctx->k_secret_len = 4 + sl;
	if (tl > 0)
		memcpy(ctx->token, token, tl);
	ctx->token_len = tl;
	memcpy(ctx->region, region, rl);
	memcpy(ctx->service, service, vl);
	ctx->ready = 1;
	return 0;
}

const char *rp_sigv4_token(const rp_sigv4_ctx *ctx)
{
	return ctx != NULL && ctx->ready && ctx->token_len > 0 ? ctx->token : NULL;
}

int rp_sigv4_amz_date(time_t t, char out[RP_SIGV4_DATE_LEN + 1], rp_err *err)
{
	struct tm tm;
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "sigv4: amz_date: NULL output");
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, RP_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != RP_SIGV4_DATE_LEN)
		return rp_err_set(err, RP_E_USAGE, "sigv4: the time cannot be written as an x-amz-date");
	return 0;
}
