/*
 * jcs.c - canonical JSON writer: serde_jcs 0.1.0 bytes or RFC 8785 bytes.
 *
 * Why: Decision Gate hashes serde_jcs output, which is RFC 8785 except in
 * two places (RUNPACK_FORMAT.md §4.3, §4.4): members are ordered by the
 * bytes of the escaped key including its closing quote, and integers held
 * as u64/i64 are printed exactly. RP_JCS_SERDE reproduces that; the
 * textbook RFC 8785 form is RP_JCS_RFC8785. Both resolve duplicate keys
 * last-wins, like a serde_json::Value.
 *
 * Security posture: CONFINED-CHILD code; the tree may come from untrusted
 * input. Output goes to an rp_buf with its own hard limit; recursion is
 * bounded by RP_MAX_JSON_DEPTH (checked here too, so a built tree cannot
 * recurse without bound); the only other allocation is one sort index per
 * object, sized by its member count; strings are re-validated as UTF-8 so
 * the output is always valid JSON. On error, out is restored to its
 * length at entry (nothing partial is left behind).
 */
#include "jcs.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/utf8.h"

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

/* Splits "%.*e" output ("d.ddde+XX" or "de-XX") into digits and the
 * decimal exponent of the first digit. */
static int split_sci(const char *t, char *dig, int *ndig, int *exp10)
{
	int n = 0;
	const char *c = t;
	for (; *c != '\0' && *c != 'e'; c++) {
		if (*c >= '0' && *c <= '9') {
			if (n >= 17)
				return -1;
			dig[n++] = *c;
		}
	}
	if (*c != 'e' || n == 0)
		return -1;
	char *end = NULL;
	long e = strtol(c + 1, &end, 10);
	if (end == c + 1 || e < -400 || e > 400)
		return -1;
	*ndig = n;
	*exp10 = (int)e;
	return 0;
}

/* Does the decimal dig[0..n) x 10^(exp10 - n + 1) read back as x? */
static bool round_trips(const char *dig, int n, int exp10, double x)
{
	char t[48];
	int w = snprintf(t, sizeof t, "%c.%.*se%d", dig[0], n - 1, dig + 1, exp10);
	if (w < 0 || (size_t)w >= sizeof t)
		return false;
	return strtod(t, NULL) == x;
}

/* The next (dir > 0) or previous (dir < 0) n-digit decimal. */
static void step_digits(char *dig, int n, int *exp10, int dir)
{
	int k = n - 1;
	if (dir > 0) {
		while (k >= 0 && dig[k] == '9')
			dig[k--] = '0';
		if (k >= 0) {
			dig[k]++;
		} else { /* 99..9 -> 100..0, one decade up */
			dig[0] = '1';
			(*exp10)++;
		}
	} else {
		while (k >= 0 && dig[k] == '0')
			dig[k--] = '9';
		if (k >= 0)
			dig[k]--;
		if (dig[0] == '0') { /* 100..0 -> 99..9, one decade down */
			for (int j = 0; j < n; j++)
				dig[j] = '9';
			(*exp10)--;
		}
	}
}

/*
 * Shortest digits that read back as x (x finite, > 0), closest to x when
 * several have that length: ECMAScript Number::toString step 5. For each
 * precision the correctly rounded candidate from printf is tried, and
 * then its neighbours, because near a power of two the round-trip
 * interval is lopsided and the nearest candidate can miss while the one on
 * the other side of x still hits.
 */
static void shortest_digits(double x, char *dig, int *ndig, int *exp10)
{
	/* For normal doubles every decimal of <= 15 digits survives a round
	 * trip (DBL_DIG), so if any <= 15-digit form reads back as x, the
	 * correctly rounded 15-digit form is that one padded with zeros:
	 * starting at 15 and stripping zeros finds it. Subnormals have less
	 * precision and need the full search. */
	int first = x >= DBL_MIN ? DBL_DIG : 1;
	for (int p = first; p <= 17; p++) {
		char t[48];
		int w = snprintf(t, sizeof t, "%.*e", p - 1, x);
		int n, e;
		if (w < 0 || (size_t)w >= sizeof t || split_sci(t, dig, &n, &e) != 0)
			continue;
		if (round_trips(dig, n, e, x)) {
			*ndig = n;
			*exp10 = e;
			break;
		}
		char alt[17];
		int ae = e;
		memcpy(alt, dig, (size_t)n);
		step_digits(alt, n, &ae, +1);
		if (round_trips(alt, n, ae, x)) {
			memcpy(dig, alt, (size_t)n);
			*ndig = n;
			*exp10 = ae;
			break;
		}
		ae = e;
		memcpy(alt, dig, (size_t)n);
		step_digits(alt, n, &ae, -1);
		if (round_trips(alt, n, ae, x)) {
			memcpy(dig, alt, (size_t)n);
			*ndig = n;
			*exp10 = ae;
			break;
		}
		if (p == 17) { /* 17 digits always round-trip; keep printf's */
			*ndig = n;
			*exp10 = e;
		}
	}
	while (*ndig > 1 && dig[*ndig - 1] == '0')
		(*ndig)--;
}

size_t jcs_format_double(double d, char buf[32])
{
	if (!isfinite(d)) { /* not reachable from parsed JSON */
		memcpy(buf, "null", 5);
		return 4;
	}
	if (d == 0) { /* both zeros print "0" */
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	char dig[17];
	int k = 0, e = 0;
	shortest_digits(d < 0 ? -d : d, dig, &k, &e);
	if (k == 0) { /* unreachable: printf failed at every precision */
		int w = snprintf(buf, 32, "%.17g", d);
		return w > 0 ? (size_t)w : 0;
	}
	int n = e + 1; /* ECMAScript's n: value = 0.d1d2.. x 10^n */
	size_t o = 0;
	if (d < 0)
		buf[o++] = '-';
	if (k <= n && n <= 21) {
		memcpy(buf + o, dig, (size_t)k);
		o += (size_t)k;
		for (int z = 0; z < n - k; z++)
			buf[o++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(buf + o, dig, (size_t)n);
		o += (size_t)n;
		buf[o++] = '.';
		memcpy(buf + o, dig + n, (size_t)(k - n));
		o += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		buf[o++] = '0';
		buf[o++] = '.';
		for (int z = 0; z < -n; z++)
			buf[o++] = '0';
		memcpy(buf + o, dig, (size_t)k);
		o += (size_t)k;
	} else {
		buf[o++] = dig[0];
		if (k > 1) {
			buf[o++] = '.';
			memcpy(buf + o, dig + 1, (size_t)(k - 1));
			o += (size_t)(k - 1);
		}
		int x = n - 1;
		int w = snprintf(buf + o, 32 - o, "e%c%d", x < 0 ? '-' : '+', x < 0 ? -x : x);
		if (w > 0)
			o += (size_t)w;
	}
	buf[o] = '\0';
	return o;
}

static int write_number(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err)
{
	char buf[32];
	int w;
	if (mode == RP_JCS_SERDE && v->u.num.kind == JV_NUM_U64) {
		w = snprintf(buf, sizeof buf, "%" PRIu64, v->u.num.u);
	} else if (mode == RP_JCS_SERDE && v->u.num.kind == JV_NUM_I64) {
		w = snprintf(buf, sizeof buf, "%" PRId64, v->u.num.i);
	} else {
		/* Decision Gate's hash_canonical_json refuses non-finite
		 * floats; JSON text cannot carry them anyway. */
		if (!isfinite(v->u.num.d))
			return rp_err_set(err, RP_E_FORMAT, "non-finite number cannot be canonicalized");
		w = (int)jcs_format_double(v->u.num.d, buf);
	}
	if (w < 0)
		return rp_err_set(err, RP_E_INTERNAL, "number formatting failed");
	return rp_buf_append(out, buf, (size_t)w, err);
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */
/* ------------------------------------------------------------------ */

/* The escape of byte c per RFC 8785 §3.2.2.2 / serde_json, or 0 when c
 * is written as is. */
static size_t escape_of(uint8_t c, uint8_t e[6])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t s;
	switch (c) {
	case '"': s = '"'; break;
	case '\\': s = '\\'; break;
	case 0x08: s = 'b'; break;
	case 0x09: s = 't'; break;
	case 0x0A: s = 'n'; break;
	case 0x0C: s = 'f'; break;
	case 0x0D: s = 'r'; break;
	default:
		if (c >= 0x20)
			return 0;
		e[0] = '\\';
		e[1] = 'u';
		e[2] = '0';
		e[3] = '0';
		e[4] = (uint8_t)hex[c >> 4];
		e[5] = (uint8_t)hex[c & 0xF];
		return 6;
	}
	e[0] = '\\';
	e[1] = s;
	return 2;
}

int jcs_write_string(const char *s, size_t len, rp_buf *out, rp_err *err)
{
	const uint8_t *u = (const uint8_t *)s;
	if (s == NULL && len > 0)
		return rp_err_set(err, RP_E_INTERNAL, "jcs_write_string: NULL string");
	if (len == 0)
		return rp_buf_puts(out, "\"\"", err); /* also keeps NULL + 0 out of the arithmetic below */
	if (!rp_utf8_valid(u, len))
		return rp_err_set(err, RP_E_FORMAT, "string is not valid UTF-8");
	size_t start = out->len;
	if (rp_buf_putc(out, '"', err) != 0)
		return -1;
	size_t run = 0; /* start of the pending unescaped run */
	for (size_t i = 0; i < len; i++) {
		uint8_t e[6];
		size_t k = escape_of(u[i], e);
		if (k == 0)
			continue;
		if (rp_buf_append(out, u + run, i - run, err) != 0 ||
		    rp_buf_append(out, e, k, err) != 0)
			goto fail;
		run = i + 1;
	}
	if (rp_buf_append(out, u + run, len - run, err) != 0 || rp_buf_putc(out, '"', err) != 0)
		goto fail;
	return 0;
fail:
	out->len = start;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Member order                                                         */
/* ------------------------------------------------------------------ */

/* Streams the bytes serde_jcs sorts by: the escaped key and its closing
 * quote (the opening quote is common to all keys). */
typedef struct esc_iter {
	const uint8_t *s;
	size_t len, i;
	uint8_t pend[6];
	size_t np, pi;
	bool quoted;
} esc_iter;

static int esc_next(esc_iter *it)
{
	if (it->pi < it->np)
		return it->pend[it->pi++];
	if (it->i < it->len) {
		uint8_t c = it->s[it->i++];
		size_t k = escape_of(c, it->pend);
		if (k == 0)
			return c;
		it->np = k;
		it->pi = 1;
		return it->pend[0];
	}
	if (!it->quoted) {
		it->quoted = true;
		return '"';
	}
	return -1;
}

/* Streams UTF-16 code units of a UTF-8 key (RFC 8785 §3.2.3). Invalid
 * UTF-8 never reaches here from the parser; for built trees it yields
 * the raw byte, keeping the order total, and is rejected when written. */
typedef struct u16_iter {
	const uint8_t *s;
	size_t len, i;
	int low; /* pending low surrogate, or -1 */
} u16_iter;

static int u16_next(u16_iter *it)
{
	if (it->low >= 0) {
		int l = it->low;
		it->low = -1;
		return l;
	}
	if (it->i >= it->len)
		return -1;
	const uint8_t *s = it->s + it->i;
	size_t rest = it->len - it->i;
	uint32_t cp;
	size_t n;
	if (s[0] < 0x80) {
		cp = s[0];
		n = 1;
	} else if (s[0] >= 0xC0 && s[0] < 0xE0 && rest >= 2) {
		cp = ((uint32_t)(s[0] & 0x1F) << 6) | (uint32_t)(s[1] & 0x3F);
		n = 2;
	} else if (s[0] >= 0xE0 && s[0] < 0xF0 && rest >= 3) {
		cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		     (uint32_t)(s[2] & 0x3F);
		n = 3;
	} else if (s[0] >= 0xF0 && s[0] < 0xF8 && rest >= 4) {
		cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		     ((uint32_t)(s[2] & 0x3F) << 6) | (uint32_t)(s[3] & 0x3F);
		n = 4;
	} else {
		cp = s[0];
		n = 1;
	}
	it->i += n;
	if (cp >= 0x10000 && cp <= 0x10FFFF) {
		cp -= 0x10000;
		it->low = (int)(0xDC00 + (cp & 0x3FF));
		return (int)(0xD800 + (cp >> 10));
	}
	return (int)(cp & 0xFFFF);
}

typedef struct sort_ent {
	const jv_member *m;
	size_t idx; /* document order, to find the last duplicate */
} sort_ent;

static int tie(const sort_ent *a, const sort_ent *b)
{
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_serde(const void *pa, const void *pb)
{
	const sort_ent *a = pa, *b = pb;
	esc_iter ia = { (const uint8_t *)a->m->key, a->m->key_len, 0, { 0 }, 0, 0, false };
	esc_iter ib = { (const uint8_t *)b->m->key, b->m->key_len, 0, { 0 }, 0, 0, false };
	for (;;) {
		int x = esc_next(&ia), y = esc_next(&ib);
		if (x != y)
			return x < y ? -1 : 1;
		if (x < 0)
			return tie(a, b);
	}
}

static int cmp_rfc(const void *pa, const void *pb)
{
	const sort_ent *a = pa, *b = pb;
	u16_iter ia = { (const uint8_t *)a->m->key, a->m->key_len, 0, -1 };
	u16_iter ib = { (const uint8_t *)b->m->key, b->m->key_len, 0, -1 };
	for (;;) {
		int x = u16_next(&ia), y = u16_next(&ib);
		if (x != y)
			return x < y ? -1 : 1;
		if (x < 0)
			return tie(a, b);
	}
}

static bool same_key(const jv_member *a, const jv_member *b)
{
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/* ------------------------------------------------------------------ */
/* Tree                                                                 */
/* ------------------------------------------------------------------ */

static int write_value(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err, unsigned depth);

static int write_object(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err, unsigned depth)
{
	size_t n = v->u.obj.n;
	if (n == 0)
		return rp_buf_append(out, "{}", 2, err);
	if (v->u.obj.m == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "object without members");
	if (n > SIZE_MAX / sizeof(sort_ent))
		return rp_err_set(err, RP_E_NOMEM, "object too large to sort");
	sort_ent *e = malloc(n * sizeof *e);
	if (e == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory sorting %zu object members", n);
	for (size_t k = 0; k < n; k++) {
		e[k].m = &v->u.obj.m[k];
		e[k].idx = k;
	}
	qsort(e, n, sizeof *e, mode == RP_JCS_SERDE ? cmp_serde : cmp_rfc);
	int rc = rp_buf_putc(out, '{', err);
	bool first = true;
	for (size_t k = 0; rc == 0 && k < n; k++) {
		/* equal keys sit together in document order: the last wins */
		if (k + 1 < n && same_key(e[k].m, e[k + 1].m))
			continue;
		if (e[k].m->val == NULL || (e[k].m->key == NULL && e[k].m->key_len > 0)) {
			rc = rp_err_set(err, RP_E_INTERNAL, "object member without key or value");
			break;
		}
		if (!first)
			rc = rp_buf_putc(out, ',', err);
		first = false;
		if (rc == 0)
			rc = jcs_write_string(e[k].m->key, e[k].m->key_len, out, err);
		if (rc == 0)
			rc = rp_buf_putc(out, ':', err);
		if (rc == 0)
			rc = write_value(e[k].m->val, mode, out, err, depth);
	}
	free(e);
	if (rc != 0)
		return -1;
	return rp_buf_putc(out, '}', err);
}

static int write_value(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err, unsigned depth)
{
	if (v == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "NULL JSON value");
	switch (v->type) {
	case JV_NULL:
		return rp_buf_append(out, "null", 4, err);
	case JV_FALSE:
		return rp_buf_append(out, "false", 5, err);
	case JV_TRUE:
		return rp_buf_append(out, "true", 4, err);
	case JV_NUMBER:
		return write_number(v, mode, out, err);
	case JV_STRING:
		return jcs_write_string(v->u.str.s, v->u.str.len, out, err);
	case JV_ARRAY:
	case JV_OBJECT:
		break;
	default:
		return rp_err_set(err, RP_E_INTERNAL, "unknown JSON value type %d", (int)v->type);
	}
	if (depth >= RP_MAX_JSON_DEPTH)
		return rp_err_set(err, RP_E_LIMIT, "JSON nesting deeper than %d levels", RP_MAX_JSON_DEPTH);
	if (v->type == JV_OBJECT)
		return write_object(v, mode, out, err, depth + 1);
	if (rp_buf_putc(out, '[', err) != 0)
		return -1;
	for (size_t k = 0; k < v->u.arr.n; k++) {
		if (k > 0 && rp_buf_putc(out, ',', err) != 0)
			return -1;
		if (write_value(v->u.arr.items[k], mode, out, err, depth + 1) != 0)
			return -1;
	}
	return rp_buf_putc(out, ']', err);
}

int jcs_write(const jv *v, rp_jcs_mode mode, rp_buf *out, rp_err *err)
{
	if (mode != RP_JCS_SERDE && mode != RP_JCS_RFC8785)
		return rp_err_set(err, RP_E_INTERNAL, "unknown canonicalization mode %d", (int)mode);
	size_t start = out->len;
	if (write_value(v, mode, out, err, 0) != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

int jcs_canonicalize(const uint8_t *text, size_t len, rp_jcs_mode mode, rp_buf *out,
		     rp_err *err)
{
	jv_arena a;
	size_t budget = RP_MAX_JSON_ARENA_BYTES > SIZE_MAX ? SIZE_MAX : (size_t)RP_MAX_JSON_ARENA_BYTES;
	jv_arena_init(&a, budget);
	jv *root = jv_parse(&a, text, len, err);
	int rc = root == NULL ? -1 : jcs_write(root, mode, out, err);
	jv_arena_free(&a);
	return rc;
}
