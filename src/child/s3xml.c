/*
 * s3xml.c - strict bounded reader for S3 XML responses (see s3xml.h).
 *
 * Why this shape: one iterative tokenizer (no recursion, an explicit
 * element stack of fixed depth) drives a small per-response "schema": a
 * start hook that says whether an element is a wanted leaf whose text is
 * kept, and an end hook that stores and checks that text. Elements a schema
 * does not know are skipped, but still fully checked (well-formed, UTF-8,
 * entities), so a skipped region cannot hide malformed input.
 * Security posture: CONFINED-CHILD code: parses untrusted bytes. Every loop
 * advances through the input, so the work is linear in its (capped) size;
 * every write goes through the arena's bounds check or into a fixed array
 * whose count is checked first. No DTD, no external entity, no expansion.
 */
#include "s3xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/utf8.h"

void rp_s3xml_arena_init(rp_s3xml_arena *a, void *mem, size_t cap)
{
	a->mem = mem;
	a->cap = mem != NULL ? cap : 0;
	a->used = 0;
}

/* ---- parser state ------------------------------------------------------------- */

typedef struct frame {
	const char *qname; /* as written, prefix included (for the end tag) */
	size_t qname_len;
	const char *name;  /* local name: what schemas match */
	size_t name_len;
	size_t text_len;   /* decoded bytes of text seen */
	size_t text_start; /* arena offset of captured text */
	int has_child;
	int has_text;      /* non-white-space text seen */
	int capture;
} frame;

typedef struct px px;

typedef struct schema {
	const char *root;
	/* Called after the element is pushed; returns 1 to keep its text,
	 * 0 to skip it, -1 on error. */
	int (*start)(px *p);
	/* Called before the element is popped; text is the kept text (NUL-
	 * terminated) or NULL when it was not kept. */
	int (*end)(px *p, const char *text, size_t len);
} schema;

struct px {
	const uint8_t *s;
	size_t n, i;
	rp_s3xml_arena *a;
	frame st[RP_S3XML_MAX_DEPTH];
	size_t depth;
	const schema *sc;
	void *ud;
	int root_done;
	rp_err *err;
};

/* Sets err with the innermost open element and the byte offset appended. */
__attribute__((format(printf, 3, 4))) static int fail(px *p, rp_code code, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (k < 0)
		what[0] = '\0';
	if (p->depth > 0) {
		const frame *f = &p->st[p->depth - 1];
		return rp_err_set(p->err, code, "s3xml: %s in <%.*s> at byte %zu", what, (int)f->qname_len,
				  f->qname, p->i);
	}
	return rp_err_set(p->err, code, "s3xml: %s at byte %zu", what, p->i);
}

static frame *top(px *p)
{
	return p->depth > 0 ? &p->st[p->depth - 1] : NULL;
}

/* 1 if the open elements are exactly the given local names, root first. */
static int path_is(const px *p, size_t n, const char *const *names)
{
	if (p->depth != n)
		return 0;
	for (size_t k = 0; k < n; k++) {
		size_t l = strlen(names[k]);
		if (p->st[k].name_len != l || memcmp(p->st[k].name, names[k], l) != 0)
			return 0;
	}
	return 1;
}
#define PATH_IS(p, ...)                                                                      \
	path_is((p), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *),    \
		(const char *const[]){ __VA_ARGS__ })

/* ---- characters -------------------------------------------------------------------- */

static int xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	       (c >= 0x10000 && c <= 0x10FFFF);
}

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One character of text or attribute value at p->i: an entity or a UTF-8
 * character, checked to be an XML character. Advances p->i. */
static int next_char(px *p, uint8_t out[4], size_t *out_len, uint32_t *cp)
{
	const uint8_t *s = p->s;
	if (s[p->i] != '&') {
		size_t l = rp_utf8_decode(s + p->i, p->n - p->i, cp);
		if (l == 0)
			return fail(p, RP_E_PROTO, "invalid UTF-8");
		if (!xml_char(*cp))
			return fail(p, RP_E_PROTO, "character U+%04X is not allowed in XML", (unsigned)*cp);
		memcpy(out, s + p->i, l);
		*out_len = l;
		p->i += l;
		return 0;
	}
	/* An entity: the longest accepted is "&#x10FFFF;" or "&#1114111;". */
	size_t j = p->i + 1, end = j;
	while (end < p->n && end - j < 12 && s[end] != ';' && s[end] != '<' && s[end] != '&' && !is_ws(s[end]))
		end++;
	if (end >= p->n || s[end] != ';')
		return fail(p, RP_E_PROTO, "unterminated entity reference");
	const char *nm = (const char *)s + j;
	size_t nl = end - j;
	uint32_t v = 0;
	/* Messages echo only printable ASCII of the reference (at most 12 bytes). */
	char safe[16];
	size_t k;
	for (k = 0; k < nl && k < sizeof safe - 1; k++)
		safe[k] = (nm[k] > 0x20 && nm[k] < 0x7f) ? nm[k] : '?';
	safe[k] = '\0';
	if (nl >= 1 && nm[0] == '#') {
		/* XML writes hex references with a lower-case x only. */
		int hex = nl >= 2 && nm[1] == 'x';
		size_t d0 = hex ? 2 : 1;
		size_t nd = nl - d0;
		if (nd == 0)
			return fail(p, RP_E_PROTO, "invalid numeric character reference &%s;", safe);
		if (nd > (hex ? 6u : 7u))
			return fail(p, RP_E_PROTO, "numeric character reference &%s; is out of range", safe);
		for (size_t d = d0; d < nl; d++) {
			char c = nm[d];
			uint32_t dv;
			if (c >= '0' && c <= '9')
				dv = (uint32_t)(c - '0');
			else if (hex && c >= 'a' && c <= 'f')
				dv = (uint32_t)(c - 'a' + 10);
			else if (hex && c >= 'A' && c <= 'F')
				dv = (uint32_t)(c - 'A' + 10);
			else
				return fail(p, RP_E_PROTO, "invalid numeric character reference &%s;", safe);
			v = v * (hex ? 16u : 10u) + dv;
		}
		if (v == 0)
			return fail(p, RP_E_PROTO, "numeric character reference &%s; is NUL", safe);
		if (v >= 0xd800 && v <= 0xdfff)
			return fail(p, RP_E_PROTO, "numeric character reference &%s; is a surrogate", safe);
		if (v > 0x10ffff)
			return fail(p, RP_E_PROTO, "numeric character reference &%s; is out of range", safe);
		if (!xml_char(v))
			return fail(p, RP_E_PROTO, "numeric character reference &%s; is not an XML character", safe);
	} else if (nl == 3 && memcmp(nm, "amp", 3) == 0) {
		v = '&';
	} else if (nl == 2 && memcmp(nm, "lt", 2) == 0) {
		v = '<';
	} else if (nl == 2 && memcmp(nm, "gt", 2) == 0) {
		v = '>';
	} else if (nl == 4 && memcmp(nm, "quot", 4) == 0) {
		v = '"';
	} else if (nl == 4 && memcmp(nm, "apos", 4) == 0) {
		v = '\'';
	} else {
		return fail(p, RP_E_PROTO, "unknown entity &%s;", safe);
	}
	*cp = v;
	*out_len = rp_utf8_encode(v, out);
	p->i = end + 1;
	return 0;
}

/* ---- arena -------------------------------------------------------------------------- */

static int arena_put(px *p, const void *b, size_t n)
{
	rp_s3xml_arena *a = p->a;
	if (a->used > a->cap || n + 1 > a->cap - a->used) /* +1: room for the closing NUL */
		return fail(p, RP_E_LIMIT, "the %zu-byte string arena is exhausted", a->cap);
	memcpy(a->mem + a->used, b, n);
	a->used += n;
	return 0;
}

/* ---- markup ------------------------------------------------------------------------- */

static int name_start(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}

static int name_char(uint8_t c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* ASCII names only: S3 uses no others, and it keeps messages printable. */
static int parse_name(px *p, const char **name, size_t *len)
{
	size_t j = p->i;
	if (j >= p->n || !name_start(p->s[j]))
		return fail(p, RP_E_PROTO, "invalid or missing name");
	while (j < p->n && name_char(p->s[j]))
		j++;
	if (j - p->i > RP_S3XML_MAX_NAME)
		return fail(p, RP_E_LIMIT, "a name longer than %d bytes", RP_S3XML_MAX_NAME);
	*name = (const char *)p->s + p->i;
	*len = j - p->i;
	p->i = j;
	return 0;
}

static size_t skip_ws(px *p)
{
	size_t j = p->i;
	while (p->i < p->n && is_ws(p->s[p->i]))
		p->i++;
	return p->i - j;
}

static int starts(const px *p, const char *lit)
{
	size_t l = strlen(lit);
	return p->n - p->i >= l && memcmp(p->s + p->i, lit, l) == 0;
}

/* Attributes up to '>' or '/>'; *self_closing says which. Values are
 * checked like text (entities, UTF-8) and otherwise ignored, except that
 * val/val_len return the raw value of the attribute named want (the XML
 * declaration's encoding). */
static int parse_attrs(px *p, int *self_closing, const char *want, const char **val, size_t *val_len,
		       const char *closer)
{
	size_t count = 0;
	for (;;) {
		size_t ws = skip_ws(p);
		if (p->i >= p->n)
			return fail(p, RP_E_PROTO, "unterminated tag");
		if (closer != NULL) {
			if (starts(p, closer)) {
				p->i += strlen(closer);
				*self_closing = 0;
				return 0;
			}
		} else if (p->s[p->i] == '>') {
			p->i++;
			*self_closing = 0;
			return 0;
		} else if (starts(p, "/>")) {
			p->i += 2;
			*self_closing = 1;
			return 0;
		}
		if (ws == 0)
			return fail(p, RP_E_PROTO, "white space expected before an attribute");
		if (++count > RP_S3XML_MAX_ATTRS)
			return fail(p, RP_E_LIMIT, "more than %d attributes", RP_S3XML_MAX_ATTRS);
		const char *an;
		size_t al;
		if (parse_name(p, &an, &al) != 0)
			return -1;
		skip_ws(p);
		if (p->i >= p->n || p->s[p->i] != '=')
			return fail(p, RP_E_PROTO, "'=' expected after attribute %.*s", (int)al, an);
		p->i++;
		skip_ws(p);
		if (p->i >= p->n || (p->s[p->i] != '"' && p->s[p->i] != '\''))
			return fail(p, RP_E_PROTO, "quoted value expected for attribute %.*s", (int)al, an);
		uint8_t q = p->s[p->i++];
		size_t v0 = p->i;
		while (p->i < p->n && p->s[p->i] != q) {
			uint8_t b[4];
			size_t bl;
			uint32_t cp;
			if (p->s[p->i] == '<')
				return fail(p, RP_E_PROTO, "'<' in the value of attribute %.*s", (int)al, an);
			if (next_char(p, b, &bl, &cp) != 0)
				return -1;
		}
		if (p->i >= p->n)
			return fail(p, RP_E_PROTO, "unterminated value of attribute %.*s", (int)al, an);
		if (want != NULL && al == strlen(want) && memcmp(an, want, al) == 0) {
			*val = (const char *)p->s + v0;
			*val_len = p->i - v0;
		}
		p->i++;
	}
}

static int parse_xml_decl(px *p)
{
	int sc;
	const char *enc = NULL;
	size_t enc_len = 0;
	p->i += 5; /* "<?xml" */
	if (parse_attrs(p, &sc, "encoding", &enc, &enc_len, "?>") != 0)
		return -1;
	if (enc != NULL && !(enc_len == 5 && strncasecmp(enc, "UTF-8", 5) == 0))
		return fail(p, RP_E_PROTO, "unsupported encoding (only UTF-8 is accepted)");
	return 0;
}

static int parse_comment(px *p)
{
	p->i += 4; /* "<!--" */
	while (p->i < p->n) {
		if (starts(p, "--")) {
			if (starts(p, "-->")) {
				p->i += 3;
				return 0;
			}
			return fail(p, RP_E_PROTO, "'--' inside a comment");
		}
		uint32_t cp;
		size_t l = rp_utf8_decode(p->s + p->i, p->n - p->i, &cp);
		if (l == 0 || !xml_char(cp))
			return fail(p, RP_E_PROTO, "invalid character in a comment");
		p->i += l;
	}
	return fail(p, RP_E_PROTO, "unterminated comment");
}

static int end_element(px *p)
{
	frame *f = top(p);
	const char *text = NULL;
	size_t len = 0;
	if (f->capture) {
		len = p->a->used - f->text_start;
		if (p->a->used >= p->a->cap)
			return fail(p, RP_E_LIMIT, "the %zu-byte string arena is exhausted", p->a->cap);
		p->a->mem[p->a->used++] = '\0';
		text = p->a->mem + f->text_start;
	}
	if (p->sc->end(p, text, len) != 0)
		return -1;
	p->depth--;
	if (p->depth == 0)
		p->root_done = 1;
	return 0;
}

static int start_tag(px *p)
{
	const char *qn;
	size_t ql;
	p->i++; /* '<' */
	if (parse_name(p, &qn, &ql) != 0)
		return -1;
	frame *parent = top(p);
	if (parent == NULL && p->root_done)
		return fail(p, RP_E_PROTO, "element <%.*s> after the root element", (int)ql, qn);
	if (parent != NULL) {
		if (parent->capture)
			return fail(p, RP_E_PROTO, "unexpected element <%.*s>", (int)ql, qn);
		if (parent->has_text)
			return fail(p, RP_E_PROTO, "text mixed with element <%.*s>", (int)ql, qn);
		parent->has_child = 1;
	}
	if (p->depth >= RP_S3XML_MAX_DEPTH)
		return fail(p, RP_E_LIMIT, "element <%.*s> nested deeper than %d", (int)ql, qn, RP_S3XML_MAX_DEPTH);
	int self_closing;
	if (parse_attrs(p, &self_closing, NULL, NULL, NULL, NULL) != 0)
		return -1;
	frame *f = &p->st[p->depth++];
	memset(f, 0, sizeof *f);
	f->qname = qn;
	f->qname_len = ql;
	const char *colon = memchr(qn, ':', ql);
	f->name = colon != NULL ? colon + 1 : qn;
	f->name_len = ql - (size_t)(f->name - qn);
	if (p->depth == 1 && !PATH_IS(p, p->sc->root)) {
		p->depth--;
		return fail(p, RP_E_PROTO, "unexpected root element <%.*s>, expected <%s>", (int)ql, qn, p->sc->root);
	}
	int cap = p->sc->start(p);
	if (cap < 0)
		return -1;
	f->capture = cap;
	f->text_start = p->a->used;
	return self_closing ? end_element(p) : 0;
}

static int end_tag(px *p)
{
	const char *qn;
	size_t ql;
	p->i += 2; /* "</" */
	if (parse_name(p, &qn, &ql) != 0)
		return -1;
	skip_ws(p);
	if (p->i >= p->n || p->s[p->i] != '>')
		return fail(p, RP_E_PROTO, "'>' expected after </%.*s", (int)ql, qn);
	frame *f = top(p);
	if (f == NULL)
		return fail(p, RP_E_PROTO, "end tag </%.*s> without a start tag", (int)ql, qn);
	if (f->qname_len != ql || memcmp(f->qname, qn, ql) != 0)
		return fail(p, RP_E_PROTO, "mismatched end tag </%.*s>", (int)ql, qn);
	p->i++;
	return end_element(p);
}

static int text(px *p)
{
	frame *f = top(p);
	while (p->i < p->n && p->s[p->i] != '<') {
		uint8_t b[4];
		size_t bl;
		uint32_t cp;
		if (next_char(p, b, &bl, &cp) != 0)
			return -1;
		int ws = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
		if (f == NULL) {
			if (!ws)
				return fail(p, RP_E_PROTO, "text outside the root element");
			continue;
		}
		if (!ws) {
			if (f->has_child)
				return fail(p, RP_E_PROTO, "text mixed with elements");
			f->has_text = 1;
		}
		f->text_len += bl;
		if (f->text_len > RP_S3XML_MAX_TEXT)
			return fail(p, RP_E_LIMIT, "text longer than %d bytes", RP_S3XML_MAX_TEXT);
		if (f->capture && arena_put(p, b, bl) != 0)
			return -1;
	}
	return 0;
}

static int parse(const void *xml, size_t len, rp_s3xml_arena *arena, const schema *sc, void *ud, rp_err *err)
{
	px p;
	memset(&p, 0, sizeof p);
	p.s = xml;
	p.n = len;
	p.a = arena;
	p.sc = sc;
	p.ud = ud;
	p.err = err;
	if (xml == NULL && len > 0)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: NULL input");
	if (arena == NULL || arena->mem == NULL || arena->used > arena->cap)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: no arena");
	if (len > RP_S3XML_MAX_INPUT)
		return rp_err_set(err, RP_E_LIMIT, "s3xml: a response body of %zu bytes exceeds the %d-byte limit", len,
				  RP_S3XML_MAX_INPUT);
	if (starts(&p, "\xef\xbb\xbf"))
		p.i = 3;
	if (starts(&p, "<?xml") && p.n - p.i > 5 && is_ws(p.s[p.i + 5]) && parse_xml_decl(&p) != 0)
		return -1;
	while (p.i < p.n) {
		if (p.s[p.i] != '<') {
			if (text(&p) != 0)
				return -1;
			continue;
		}
		if (starts(&p, "</")) {
			if (end_tag(&p) != 0)
				return -1;
		} else if (starts(&p, "<!--")) {
			if (parse_comment(&p) != 0)
				return -1;
		} else if (starts(&p, "<!DOCTYPE")) {
			return fail(&p, RP_E_PROTO, "<!DOCTYPE is not allowed (no DTDs)");
		} else if (starts(&p, "<!ENTITY")) {
			return fail(&p, RP_E_PROTO, "<!ENTITY is not allowed");
		} else if (starts(&p, "<![CDATA[")) {
			return fail(&p, RP_E_PROTO, "CDATA sections are not supported");
		} else if (starts(&p, "<!")) {
			return fail(&p, RP_E_PROTO, "markup declarations are not allowed");
		} else if (starts(&p, "<?")) {
			return fail(&p, RP_E_PROTO, "processing instructions are not allowed");
		} else if (start_tag(&p) != 0) {
			return -1;
		}
	}
	if (p.depth > 0) {
		frame *f = top(&p);
		return fail(&p, RP_E_PROTO, "unclosed element <%.*s>", (int)f->qname_len, f->qname);
	}
	if (!p.root_done)
		return rp_err_set(err, RP_E_PROTO, "s3xml: no <%s> element in the response", sc->root);
	return 0;
}

/* ---- values ---------------------------------------------------------------------------- */

static int parse_u64(px *p, const char *t, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return fail(p, RP_E_PROTO, "not a decimal number");
	for (size_t k = 0; k < len; k++) {
		if (t[k] < '0' || t[k] > '9')
			return fail(p, RP_E_PROTO, "not a decimal number");
		uint64_t d = (uint64_t)(t[k] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return fail(p, RP_E_PROTO, "number out of range");
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int set_once(px *p, rp_s3xml_str *dst, const char *t, size_t len)
{
	if (dst->s != NULL)
		return fail(p, RP_E_PROTO, "duplicate element");
	dst->s = t;
	dst->len = len;
	return 0;
}

/* ---- ListObjectsV2 ------------------------------------------------------------------------ */

typedef struct list_st {
	rp_s3xml_list *out;
	int have_trunc;
	int have_size; /* of the current <Contents> */
	int have_prefix_in_cp;
} list_st;

static int list_start(px *p)
{
	list_st *st = p->ud;
	rp_s3xml_list *o = st->out;
	if (PATH_IS(p, "ListBucketResult", "Contents")) {
		if (o->n_objects >= RP_S3XML_MAX_KEYS)
			return fail(p, RP_E_LIMIT, "more than %d <Contents> entries", RP_S3XML_MAX_KEYS);
		memset(&o->objects[o->n_objects], 0, sizeof o->objects[0]);
		st->have_size = 0;
		return 0;
	}
	if (PATH_IS(p, "ListBucketResult", "CommonPrefixes")) {
		if (o->n_prefixes >= RP_S3XML_MAX_PREFIXES)
			return fail(p, RP_E_LIMIT, "more than %d <CommonPrefixes> entries", RP_S3XML_MAX_PREFIXES);
		o->prefixes[o->n_prefixes] = (rp_s3xml_str){ NULL, 0 };
		return 0;
	}
	return PATH_IS(p, "ListBucketResult", "Contents", "Key") || PATH_IS(p, "ListBucketResult", "Contents", "Size") ||
	       PATH_IS(p, "ListBucketResult", "Contents", "ETag") ||
	       PATH_IS(p, "ListBucketResult", "CommonPrefixes", "Prefix") ||
	       PATH_IS(p, "ListBucketResult", "IsTruncated") ||
	       PATH_IS(p, "ListBucketResult", "NextContinuationToken") ||
	       PATH_IS(p, "ListBucketResult", "KeyCount") || PATH_IS(p, "ListBucketResult", "Name") ||
	       PATH_IS(p, "ListBucketResult", "Prefix");
}

static int list_end(px *p, const char *t, size_t len)
{
	list_st *st = p->ud;
	rp_s3xml_list *o = st->out;
	if (t != NULL) {
		if (PATH_IS(p, "ListBucketResult", "Contents", "Key")) {
			if (len == 0)
				return fail(p, RP_E_PROTO, "empty key");
			return set_once(p, &o->objects[o->n_objects].key, t, len);
		}
		if (PATH_IS(p, "ListBucketResult", "Contents", "Size")) {
			if (st->have_size)
				return fail(p, RP_E_PROTO, "duplicate element");
			st->have_size = 1;
			return parse_u64(p, t, len, &o->objects[o->n_objects].size);
		}
		if (PATH_IS(p, "ListBucketResult", "Contents", "ETag"))
			return set_once(p, &o->objects[o->n_objects].etag, t, len);
		if (PATH_IS(p, "ListBucketResult", "CommonPrefixes", "Prefix"))
			return set_once(p, &o->prefixes[o->n_prefixes], t, len);
		if (PATH_IS(p, "ListBucketResult", "IsTruncated")) {
			if (st->have_trunc)
				return fail(p, RP_E_PROTO, "duplicate element");
			st->have_trunc = 1;
			if (len == 4 && memcmp(t, "true", 4) == 0)
				o->is_truncated = 1;
			else if (len == 5 && memcmp(t, "false", 5) == 0)
				o->is_truncated = 0;
			else
				return fail(p, RP_E_PROTO, "expected true or false");
			return 0;
		}
		if (PATH_IS(p, "ListBucketResult", "NextContinuationToken"))
			return set_once(p, &o->next_token, t, len);
		if (PATH_IS(p, "ListBucketResult", "KeyCount")) {
			if (o->has_key_count)
				return fail(p, RP_E_PROTO, "duplicate element");
			o->has_key_count = 1;
			return parse_u64(p, t, len, &o->key_count);
		}
		if (PATH_IS(p, "ListBucketResult", "Name"))
			return set_once(p, &o->name, t, len);
		if (PATH_IS(p, "ListBucketResult", "Prefix"))
			return set_once(p, &o->prefix, t, len);
		return 0;
	}
	if (PATH_IS(p, "ListBucketResult", "Contents")) {
		if (o->objects[o->n_objects].key.s == NULL)
			return fail(p, RP_E_PROTO, "no <Key>");
		if (!st->have_size)
			return fail(p, RP_E_PROTO, "no <Size>");
		o->n_objects++;
		return 0;
	}
	if (PATH_IS(p, "ListBucketResult", "CommonPrefixes")) {
		if (o->prefixes[o->n_prefixes].s == NULL)
			return fail(p, RP_E_PROTO, "no <Prefix>");
		o->n_prefixes++;
		return 0;
	}
	if (PATH_IS(p, "ListBucketResult")) {
		if (!st->have_trunc)
			return fail(p, RP_E_PROTO, "no <IsTruncated>");
		if (o->is_truncated && o->next_token.len == 0)
			return fail(p, RP_E_PROTO, "truncated listing without a <NextContinuationToken>");
		/* KeyCount counts keys and common prefixes: a mismatch means we
		 * skipped or invented entries. */
		if (o->has_key_count && o->key_count != (uint64_t)(o->n_objects + o->n_prefixes))
			return fail(p, RP_E_PROTO, "<KeyCount> is %llu but the page holds %zu entries",
				    (unsigned long long)o->key_count, o->n_objects + o->n_prefixes);
	}
	return 0;
}

static const schema LIST_SCHEMA = { "ListBucketResult", list_start, list_end };

int rp_s3xml_parse_list(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_list *out, rp_err *err)
{
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: NULL output");
	out->n_objects = 0;
	out->n_prefixes = 0;
	out->is_truncated = 0;
	out->next_token = (rp_s3xml_str){ NULL, 0 };
	out->has_key_count = 0;
	out->key_count = 0;
	out->name = (rp_s3xml_str){ NULL, 0 };
	out->prefix = (rp_s3xml_str){ NULL, 0 };
	list_st st = { out, 0, 0, 0 };
	return parse(xml, len, arena, &LIST_SCHEMA, &st, err);
}

/* ---- Error ------------------------------------------------------------------------------------- */

static int error_start(px *p)
{
	return PATH_IS(p, "Error", "Code") || PATH_IS(p, "Error", "Message") || PATH_IS(p, "Error", "RequestId") ||
	       PATH_IS(p, "Error", "Resource") || PATH_IS(p, "Error", "Key") || PATH_IS(p, "Error", "BucketName");
}

static int error_end(px *p, const char *t, size_t len)
{
	rp_s3xml_error *o = p->ud;
	if (t != NULL) {
		if (PATH_IS(p, "Error", "Code"))
			return set_once(p, &o->code, t, len);
		if (PATH_IS(p, "Error", "Message"))
			return set_once(p, &o->message, t, len);
		if (PATH_IS(p, "Error", "RequestId"))
			return set_once(p, &o->request_id, t, len);
		/* Resource, Key and BucketName all say what the error is about;
		 * the first one given is kept. */
		if (o->resource.s == NULL) {
			o->resource.s = t;
			o->resource.len = len;
		}
		return 0;
	}
	if (PATH_IS(p, "Error") && o->code.len == 0)
		return fail(p, RP_E_PROTO, "no <Code>");
	return 0;
}

static const schema ERROR_SCHEMA = { "Error", error_start, error_end };

int rp_s3xml_parse_error(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_error *out, rp_err *err)
{
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: NULL output");
	memset(out, 0, sizeof *out);
	return parse(xml, len, arena, &ERROR_SCHEMA, out, err);
}

/* ---- GetBucketVersioning ----------------------------------------------------------------------- */

typedef struct vers_st {
	rp_s3xml_versioning *out;
	int seen;
} vers_st;

static int vers_start(px *p)
{
	return PATH_IS(p, "VersioningConfiguration", "Status");
}

static int vers_end(px *p, const char *t, size_t len)
{
	vers_st *st = p->ud;
	if (t == NULL)
		return 0;
	if (st->seen)
		return fail(p, RP_E_PROTO, "duplicate element");
	st->seen = 1;
	if (len == 7 && memcmp(t, "Enabled", 7) == 0)
		*st->out = RP_S3XML_VERSIONING_ENABLED;
	else if (len == 9 && memcmp(t, "Suspended", 9) == 0)
		*st->out = RP_S3XML_VERSIONING_SUSPENDED;
	else
		return fail(p, RP_E_PROTO, "expected Enabled or Suspended");
	return 0;
}

static const schema VERS_SCHEMA = { "VersioningConfiguration", vers_start, vers_end };

int rp_s3xml_parse_versioning(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_versioning *out,
			      rp_err *err)
{
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: NULL output");
	*out = RP_S3XML_VERSIONING_NEVER;
	vers_st st = { out, 0 };
	return parse(xml, len, arena, &VERS_SCHEMA, &st, err);
}

/* ---- GetObjectLockConfiguration ----------------------------------------------------------------- */

typedef struct lock_st {
	rp_s3xml_object_lock *out;
	int seen_enabled, seen_mode, seen_days, seen_years, seen_rule, seen_retention;
} lock_st;

#define LOCK_RET "ObjectLockConfiguration", "Rule", "DefaultRetention"

static int lock_start(px *p)
{
	lock_st *st = p->ud;
	if (PATH_IS(p, "ObjectLockConfiguration", "Rule")) {
		if (st->seen_rule++)
			return fail(p, RP_E_PROTO, "duplicate element");
		return 0;
	}
	if (PATH_IS(p, LOCK_RET)) {
		if (st->seen_retention++)
			return fail(p, RP_E_PROTO, "duplicate element");
		return 0;
	}
	return PATH_IS(p, "ObjectLockConfiguration", "ObjectLockEnabled") || PATH_IS(p, LOCK_RET, "Mode") ||
	       PATH_IS(p, LOCK_RET, "Days") || PATH_IS(p, LOCK_RET, "Years");
}

static int parse_period(px *p, const char *t, size_t len, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(p, t, len, &v) != 0)
		return -1;
	if (v == 0 || v > UINT32_MAX)
		return fail(p, RP_E_PROTO, "retention period out of range");
	*out = (uint32_t)v;
	return 0;
}

static int lock_end(px *p, const char *t, size_t len)
{
	lock_st *st = p->ud;
	rp_s3xml_object_lock *o = st->out;
	if (t != NULL) {
		if (PATH_IS(p, "ObjectLockConfiguration", "ObjectLockEnabled")) {
			if (st->seen_enabled++)
				return fail(p, RP_E_PROTO, "duplicate element");
			if (!(len == 7 && memcmp(t, "Enabled", 7) == 0))
				return fail(p, RP_E_PROTO, "expected Enabled");
			o->enabled = 1;
			return 0;
		}
		if (PATH_IS(p, LOCK_RET, "Mode")) {
			if (st->seen_mode++)
				return fail(p, RP_E_PROTO, "duplicate element");
			if (len == 10 && memcmp(t, "GOVERNANCE", 10) == 0)
				o->mode = RP_S3XML_LOCK_GOVERNANCE;
			else if (len == 10 && memcmp(t, "COMPLIANCE", 10) == 0)
				o->mode = RP_S3XML_LOCK_COMPLIANCE;
			else
				return fail(p, RP_E_PROTO, "expected GOVERNANCE or COMPLIANCE");
			return 0;
		}
		if (PATH_IS(p, LOCK_RET, "Days")) {
			if (st->seen_days++)
				return fail(p, RP_E_PROTO, "duplicate element");
			return parse_period(p, t, len, &o->days);
		}
		if (PATH_IS(p, LOCK_RET, "Years")) {
			if (st->seen_years++)
				return fail(p, RP_E_PROTO, "duplicate element");
			return parse_period(p, t, len, &o->years);
		}
		return 0;
	}
	if (PATH_IS(p, LOCK_RET)) {
		if (!st->seen_mode)
			return fail(p, RP_E_PROTO, "no <Mode>");
		if (st->seen_days + st->seen_years != 1)
			return fail(p, RP_E_PROTO, "exactly one of <Days> and <Years> is required");
	}
	if (PATH_IS(p, "ObjectLockConfiguration", "Rule") && !st->seen_retention)
		return fail(p, RP_E_PROTO, "no <DefaultRetention>");
	return 0;
}

static const schema LOCK_SCHEMA = { "ObjectLockConfiguration", lock_start, lock_end };

int rp_s3xml_parse_object_lock(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_object_lock *out,
			       rp_err *err)
{
	if (out == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "s3xml: NULL output");
	memset(out, 0, sizeof *out);
	lock_st st;
	memset(&st, 0, sizeof st);
	st.out = out;
	return parse(xml, len, arena, &LOCK_SCHEMA, &st, err);
}
