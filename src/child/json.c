/*
 * json.c - strict RFC 8259 JSON parser into an arena-allocated jv tree.
 *
 * Why: rpvault must accept and reject exactly what serde_json accepts and
 * rejects when Decision Gate reads a runpack (integers kept exact up to
 * u64/i64, "-0" and fractions as doubles, 1e400 out of range, lone
 * surrogates and invalid UTF-8 rejected, BOM rejected, serde_json's
 * nesting limit) and report errors with serde_json's wording and
 * line/column. docs/design/json.md explains why no Debian library fits.
 *
 * Security posture: CONFINED-CHILD code; the input is untrusted.
 *  - No recursion: nesting is tracked in a fixed array of
 *    RP_MAX_JSON_DEPTH frames, so stack use is constant.
 *  - Every byte read is index-checked against len; strtod only ever sees
 *    a NUL-terminated copy of a literal that was already validated.
 *  - All memory (nodes, decoded strings, the temporary member stack) is
 *    charged to one arena budget; exceeding it is RP_E_LIMIT, never an
 *    unbounded allocation.
 *  - Decoded strings are validated UTF-8 and carry explicit lengths
 *    (they may contain NUL).
 */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/utf8.h"

/* ------------------------------------------------------------------ */
/* Arena                                                                */
/* ------------------------------------------------------------------ */

struct jv_chunk {
	struct jv_chunk *next;
	size_t cap; /* payload bytes */
	size_t off; /* payload bytes handed out */
	max_align_t data[];
};

/* Small documents fit one chunk; large ones amortise malloc calls. */
#define JV_CHUNK_MIN ((size_t)64 * 1024)

static unsigned char *chunk_bytes(struct jv_chunk *c)
{
	return (unsigned char *)c->data;
}

void jv_arena_init(jv_arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->limit = limit;
}

void jv_arena_free(jv_arena *a)
{
	struct jv_chunk *c = a->head;
	while (c != NULL) {
		struct jv_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}

static int budget_error(const jv_arena *a, rp_err *err)
{
	return rp_err_set(err, RP_E_LIMIT, "JSON document exceeds the memory budget of %zu bytes",
			  a->limit);
}

/*
 * `used` counts every payload byte reserved from malloc (not only bytes
 * handed out), so the budget bounds real memory, not just live objects.
 */
static int arena_charge(jv_arena *a, size_t n, rp_err *err)
{
	if (a->used > a->limit || n > a->limit - a->used)
		return budget_error(a, err);
	a->used += n;
	return 0;
}

static void arena_uncharge(jv_arena *a, size_t n)
{
	a->used = n > a->used ? 0 : a->used - n;
}

void *jv_arena_alloc(jv_arena *a, size_t n, rp_err *err)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - 7) {
		budget_error(a, err);
		return NULL;
	}
	size_t need = (n + 7) & ~(size_t)7;
	struct jv_chunk *c = a->head;
	if (c != NULL && c->cap - c->off >= need) {
		void *p = chunk_bytes(c) + c->off;
		c->off += need;
		return p;
	}
	if (a->used > a->limit || need > a->limit - a->used) {
		budget_error(a, err);
		return NULL;
	}
	size_t cap = need < JV_CHUNK_MIN ? JV_CHUNK_MIN : need;
	if (cap > a->limit - a->used)
		cap = a->limit - a->used; /* still >= need */
	if (cap > SIZE_MAX - sizeof(struct jv_chunk)) {
		budget_error(a, err);
		return NULL;
	}
	struct jv_chunk *nc = malloc(sizeof(struct jv_chunk) + cap);
	if (nc == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory allocating %zu bytes for a JSON document",
			   cap);
		return NULL;
	}
	a->used += cap;
	nc->cap = cap;
	nc->off = need;
	/* A big allocation gets its own chunk behind the head, so the head's
	 * free tail stays usable for the small nodes that follow. */
	if (c != NULL && need >= JV_CHUNK_MIN / 2) {
		nc->next = c->next;
		c->next = nc;
	} else {
		nc->next = c;
		a->head = nc;
	}
	return chunk_bytes(nc);
}

/* Gives back the unused tail of the most recent allocation p (n0 bytes
 * requested) when it sits at the end of the head chunk. */
static void arena_shrink_last(jv_arena *a, void *p, size_t n0, size_t n1)
{
	struct jv_chunk *c = a->head;
	if (c == NULL || n1 > n0)
		return;
	size_t need0 = (n0 == 0 ? 1 : n0);
	need0 = (need0 + 7) & ~(size_t)7;
	size_t need1 = (n1 == 0 ? 1 : n1);
	need1 = (need1 + 7) & ~(size_t)7;
	if (c->off < need0 || (unsigned char *)p != chunk_bytes(c) + (c->off - need0))
		return;
	c->off -= need0 - need1;
}

/* ------------------------------------------------------------------ */
/* Parser state                                                         */
/* ------------------------------------------------------------------ */

typedef struct slot {
	const char *key; /* NULL inside arrays */
	size_t key_len;
	jv *val;
} slot;

typedef struct frame {
	jv *node;
	size_t base; /* first slot of this container */
	const char *key; /* key waiting for its value (objects) */
	size_t key_len;
} frame;

typedef struct parser {
	const uint8_t *s;
	size_t len;
	size_t i; /* next byte to read */
	size_t line; /* line of byte i (tracked through whitespace) */
	size_t line_start; /* index of the first byte of that line */
	jv_arena *a;
	rp_err *err;
	slot *stk; /* values of open containers, malloc'd, charged to a */
	size_t nstk, capstk;
	size_t depth;
	frame frames[RP_MAX_JSON_DEPTH];
} parser;

/* serde_json's SliceRead::position_of_index: line of byte idx and the
 * number of bytes before it on that line. */
static void pos_of(const parser *p, size_t idx, size_t *line, size_t *col)
{
	size_t l = 1, start = 0;
	for (size_t k = 0; k < idx && k < p->len; k++) {
		if (p->s[k] == '\n') {
			l++;
			start = k + 1;
		}
	}
	*line = l;
	*col = idx - start;
}

static int fail_at(parser *p, size_t idx, rp_code code, const char *msg)
{
	size_t line, col;
	pos_of(p, idx, &line, &col);
	return rp_err_set(p->err, code, "%s at line %zu column %zu", msg, line, col);
}

/* serde_json's error(): the byte just consumed. */
static int fail(parser *p, const char *msg)
{
	return fail_at(p, p->i, RP_E_JSON, msg);
}

/* serde_json's peek_error(): the byte about to be read. */
static int fail_peek(parser *p, rp_code code, const char *msg)
{
	size_t idx = p->i < p->len ? p->i + 1 : p->len;
	return fail_at(p, idx, code, msg);
}

static void skip_ws(parser *p)
{
	while (p->i < p->len) {
		uint8_t c = p->s[p->i];
		if (c == '\n') {
			p->i++;
			p->line++;
			p->line_start = p->i;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			p->i++;
		} else {
			break;
		}
	}
}

static uint32_t clamp32(size_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A node for the value starting at byte idx (idx is on the tracked line:
 * values never span a newline before their first byte). */
static jv *new_node(parser *p, jv_type t, size_t idx)
{
	jv *v = jv_arena_alloc(p->a, sizeof *v, p->err);
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = t;
	v->line = clamp32(p->line);
	v->col = clamp32(idx - p->line_start + 1);
	return v;
}

static int stack_push(parser *p, const char *key, size_t key_len, jv *val)
{
	if (p->nstk == p->capstk) {
		size_t ncap = p->capstk ? p->capstk * 2 : 64;
		if (ncap > SIZE_MAX / sizeof(slot))
			return budget_error(p->a, p->err);
		if (arena_charge(p->a, (ncap - p->capstk) * sizeof(slot), p->err) != 0)
			return -1;
		slot *ns = realloc(p->stk, ncap * sizeof(slot));
		if (ns == NULL) {
			arena_uncharge(p->a, (ncap - p->capstk) * sizeof(slot));
			return rp_err_set(p->err, RP_E_NOMEM, "out of memory while parsing JSON");
		}
		p->stk = ns;
		p->capstk = ncap;
	}
	p->stk[p->nstk].key = key;
	p->stk[p->nstk].key_len = key_len;
	p->stk[p->nstk].val = val;
	p->nstk++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                              */
/* ------------------------------------------------------------------ */

static jv *parse_ident(parser *p, const char *word, jv_type t)
{
	size_t start = p->i;
	p->i++; /* first letter already matched by the caller */
	for (const char *w = word + 1; *w != '\0'; w++) {
		if (p->i >= p->len) {
			fail(p, "EOF while parsing a value");
			return NULL;
		}
		uint8_t c = p->s[p->i++];
		if (c != (uint8_t)*w) {
			fail(p, "expected ident");
			return NULL;
		}
	}
	return new_node(p, t, start);
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* strtod needs a terminated string; literals are copied (small ones on
 * the stack, long ones into the arena, which charges them). */
static int literal_to_double(parser *p, size_t start, size_t end, double *out)
{
	char small[128];
	size_t n = end - start;
	char *buf = small;
	if (n >= sizeof small) {
		buf = jv_arena_alloc(p->a, n + 1, p->err);
		if (buf == NULL)
			return -1;
	}
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	/* Overflow is detected by the caller as inf; underflow (ERANGE with
	 * a zero or subnormal result) is accepted, like serde_json. */
	char *endp = NULL;
	double d = strtod(buf, &endp);
	if (endp != buf + n) /* cannot happen: the grammar was checked */
		return rp_err_set(p->err, RP_E_INTERNAL, "number conversion stopped early");
	if (buf != small)
		arena_shrink_last(p->a, buf, n + 1, 0);
	*out = d;
	return 0;
}

/*
 * Mirrors serde_json's parse_integer/parse_decimal/parse_exponent,
 * including which position each error names. The value is taken from
 * strtod (correctly rounded) rather than serde_json's own float code.
 */
static jv *parse_number(parser *p)
{
	size_t start = p->i;
	bool neg = false;
	if (p->s[p->i] == '-') {
		neg = true;
		p->i++;
	}
	if (p->i >= p->len) {
		fail(p, "EOF while parsing a value");
		return NULL;
	}
	uint8_t c = p->s[p->i++];
	uint64_t sig = 0;
	bool big = false;     /* integer part overflowed u64 */
	bool nonzero = false; /* some mantissa digit is not 0 */
	if (c == '0') {
		if (p->i < p->len && is_digit(p->s[p->i])) {
			fail_peek(p, RP_E_JSON, "invalid number");
			return NULL;
		}
	} else if (c >= '1' && c <= '9') {
		sig = (uint64_t)(c - '0');
		nonzero = true;
		while (p->i < p->len && is_digit(p->s[p->i])) {
			uint64_t d = (uint64_t)(p->s[p->i] - '0');
			if (!big && (sig > UINT64_MAX / 10 || (sig == UINT64_MAX / 10 && d > UINT64_MAX % 10)))
				big = true;
			if (!big)
				sig = sig * 10 + d;
			p->i++;
		}
	} else {
		fail(p, "invalid number");
		return NULL;
	}

	bool is_float = false;
	if (p->i < p->len && p->s[p->i] == '.') {
		is_float = true;
		p->i++;
		size_t first = p->i;
		while (p->i < p->len && is_digit(p->s[p->i])) {
			if (p->s[p->i] != '0')
				nonzero = true;
			p->i++;
		}
		if (p->i == first) {
			if (p->i < p->len)
				fail_peek(p, RP_E_JSON, "invalid number");
			else
				fail_peek(p, RP_E_JSON, "EOF while parsing a value");
			return NULL;
		}
	}
	bool exp_flushed = false; /* exponent overflowed towards zero */
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		is_float = true;
		p->i++;
		bool pos_exp = true;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-')) {
			pos_exp = p->s[p->i] == '+';
			p->i++;
		}
		if (p->i >= p->len) {
			fail(p, "EOF while parsing a value");
			return NULL;
		}
		c = p->s[p->i++];
		if (!is_digit(c)) {
			fail(p, "invalid number");
			return NULL;
		}
		int32_t e = c - '0';
		while (p->i < p->len && is_digit(p->s[p->i])) {
			int32_t d = p->s[p->i] - '0';
			p->i++;
			if (e > INT32_MAX / 10 || (e == INT32_MAX / 10 && d > INT32_MAX % 10)) {
				/* serde_json: an exponent beyond i32 is out of range
				 * unless the result is certainly zero. */
				if (nonzero && pos_exp) {
					fail(p, "number out of range");
					return NULL;
				}
				while (p->i < p->len && is_digit(p->s[p->i]))
					p->i++;
				exp_flushed = true;
				break;
			}
			e = e * 10 + d;
		}
	}

	jv *v = new_node(p, JV_NUMBER, start);
	if (v == NULL)
		return NULL;
	if (!is_float && !big) {
		if (!neg) {
			v->u.num.kind = JV_NUM_U64;
			v->u.num.u = sig;
			v->u.num.d = (double)sig;
			return v;
		}
		if (sig == 0) { /* "-0" is a float in serde_json */
			v->u.num.kind = JV_NUM_F64;
			v->u.num.d = -0.0;
			return v;
		}
		if (sig <= (uint64_t)INT64_MAX + 1) {
			v->u.num.kind = JV_NUM_I64;
			v->u.num.i = sig == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)sig;
			v->u.num.d = (double)v->u.num.i;
			return v;
		}
		/* below i64::MIN: a double, like serde_json */
	}
	v->u.num.kind = JV_NUM_F64;
	if (exp_flushed) {
		v->u.num.d = neg ? -0.0 : 0.0;
		return v;
	}
	double d;
	if (literal_to_double(p, start, p->i, &d) != 0)
		return NULL;
	if (isinf(d)) {
		fail(p, "number out of range");
		return NULL;
	}
	v->u.num.d = d;
	return v;
}

static int hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(parser *p, uint32_t *out)
{
	if (p->len - p->i < 4) {
		p->i = p->len;
		return fail(p, "EOF while parsing a string");
	}
	uint32_t n = 0;
	for (int k = 0; k < 4; k++) {
		int h = hex_val(p->s[p->i]);
		p->i++;
		if (h < 0)
			return fail(p, "invalid escape");
		n = (n << 4) | (uint32_t)h;
	}
	*out = n;
	return 0;
}

/* Decodes one escape after the backslash; writes at most 4 bytes. */
static int parse_escape(parser *p, uint8_t *o, size_t *n)
{
	if (p->i >= p->len)
		return fail(p, "EOF while parsing a string");
	uint8_t c = p->s[p->i++];
	switch (c) {
	case '"': *o = '"'; *n = 1; return 0;
	case '\\': *o = '\\'; *n = 1; return 0;
	case '/': *o = '/'; *n = 1; return 0;
	case 'b': *o = 0x08; *n = 1; return 0;
	case 'f': *o = 0x0C; *n = 1; return 0;
	case 'n': *o = 0x0A; *n = 1; return 0;
	case 'r': *o = 0x0D; *n = 1; return 0;
	case 't': *o = 0x09; *n = 1; return 0;
	case 'u': break;
	default: return fail(p, "invalid escape");
	}
	uint32_t u1;
	if (read_hex4(p, &u1) != 0)
		return -1;
	if (u1 >= 0xDC00 && u1 <= 0xDFFF)
		return fail(p, "lone leading surrogate in hex escape");
	if (u1 >= 0xD800 && u1 <= 0xDBFF) {
		if (p->i >= p->len)
			return fail(p, "EOF while parsing a string");
		if (p->s[p->i++] != '\\')
			return fail(p, "unexpected end of hex escape");
		if (p->i >= p->len)
			return fail(p, "EOF while parsing a string");
		if (p->s[p->i++] != 'u')
			return fail(p, "unexpected end of hex escape");
		uint32_t u2;
		if (read_hex4(p, &u2) != 0)
			return -1;
		if (u2 < 0xDC00 || u2 > 0xDFFF)
			return fail(p, "lone leading surrogate in hex escape");
		u1 = 0x10000 + ((u1 - 0xD800) << 10) + (u2 - 0xDC00);
	}
	*n = rp_utf8_encode(u1, o);
	return 0;
}

/*
 * UTF-8 checker (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * `need` is the number of continuation bytes still expected; lo/hi bound
 * the next one (only the first continuation byte has a narrower range).
 */
typedef struct utf8_state {
	unsigned need;
	uint8_t lo, hi;
} utf8_state;

static bool utf8_step(utf8_state *st, uint8_t c)
{
	if (st->need > 0) {
		if (c < st->lo || c > st->hi) {
			st->need = 0;
			return false;
		}
		st->need--;
		st->lo = 0x80;
		st->hi = 0xBF;
		return true;
	}
	st->lo = 0x80;
	st->hi = 0xBF;
	if (c < 0x80)
		return true;
	if (c >= 0xC2 && c <= 0xDF) {
		st->need = 1;
	} else if (c == 0xE0) {
		st->need = 2;
		st->lo = 0xA0;
	} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
		st->need = 2;
	} else if (c == 0xED) {
		st->need = 2;
		st->hi = 0x9F;
	} else if (c == 0xF0) {
		st->need = 3;
		st->lo = 0x90;
	} else if (c >= 0xF1 && c <= 0xF3) {
		st->need = 3;
	} else if (c == 0xF4) {
		st->need = 3;
		st->hi = 0x8F;
	} else {
		return false;
	}
	return true;
}

/*
 * Parses the string whose opening quote is at p->i. serde_json checks
 * UTF-8 only once the closing quote is found, so an encoding error is
 * remembered and reported there, after any earlier syntax error.
 */
static int parse_string(parser *p, const char **out, size_t *out_len)
{
	p->i++; /* opening quote */
	/* Find the closing quote to size the buffer: decoding never grows. */
	size_t j = p->i;
	bool closed = false;
	while (j < p->len) {
		uint8_t c = p->s[j];
		if (c == '"') {
			closed = true;
			break;
		}
		j += (c == '\\') ? 2 : 1;
	}
	uint8_t *dst = NULL;
	size_t cap = 0;
	if (closed) {
		cap = j - p->i;
		dst = jv_arena_alloc(p->a, cap + 1, p->err);
		if (dst == NULL)
			return -1;
	}
	size_t n = 0;
	utf8_state st = { 0, 0x80, 0xBF };
	bool bad = false;
	for (;;) {
		if (p->i >= p->len)
			return fail(p, "EOF while parsing a string");
		uint8_t c = p->s[p->i];
		if (c == '"') {
			p->i++;
			if (bad || st.need != 0)
				return fail(p, "invalid unicode code point");
			if (dst == NULL) /* unreachable: closed was found */
				return rp_err_set(p->err, RP_E_INTERNAL, "string scan mismatch");
			dst[n] = 0;
			arena_shrink_last(p->a, dst, cap + 1, n + 1);
			*out = (const char *)dst;
			*out_len = n;
			return 0;
		}
		if (c == '\\') {
			if (st.need != 0) {
				bad = true;
				st.need = 0;
			}
			p->i++;
			uint8_t tmp[4];
			size_t k = 0;
			if (parse_escape(p, tmp, &k) != 0)
				return -1;
			if (dst != NULL) {
				if (k > cap - n)
					return rp_err_set(p->err, RP_E_INTERNAL, "string decode overflow");
				memcpy(dst + n, tmp, k);
				n += k;
			}
			continue;
		}
		p->i++;
		if (c < 0x20)
			return fail(p, "control character (\\u0000-\\u001F) found while parsing a string");
		if (!utf8_step(&st, c))
			bad = true;
		if (dst != NULL) {
			if (n >= cap)
				return rp_err_set(p->err, RP_E_INTERNAL, "string decode overflow");
			dst[n++] = c;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Containers                                                           */
/* ------------------------------------------------------------------ */

static int open_container(parser *p, jv_type t)
{
	/* serde_json starts with remaining_depth = 128 and fails when
	 * opening a container brings it to 0: at most 127 open levels. */
	if (p->depth + 1 >= RP_MAX_JSON_DEPTH)
		return fail_peek(p, RP_E_LIMIT, "recursion limit exceeded");
	jv *node = new_node(p, t, p->i);
	if (node == NULL)
		return -1;
	frame *f = &p->frames[p->depth++];
	f->node = node;
	f->base = p->nstk;
	f->key = NULL;
	f->key_len = 0;
	p->i++;
	return 0;
}

/* Moves the top frame's values from the stack into exact-size arrays. */
static jv *close_container(parser *p)
{
	frame *f = &p->frames[p->depth - 1];
	jv *node = f->node;
	size_t n = p->nstk - f->base;
	if (n > 0) {
		if (node->type == JV_ARRAY) {
			if (n > SIZE_MAX / sizeof(jv *)) {
				budget_error(p->a, p->err);
				return NULL;
			}
			jv **items = jv_arena_alloc(p->a, n * sizeof(jv *), p->err);
			if (items == NULL)
				return NULL;
			for (size_t k = 0; k < n; k++)
				items[k] = p->stk[f->base + k].val;
			node->u.arr.items = items;
			node->u.arr.n = n;
		} else {
			if (n > SIZE_MAX / sizeof(jv_member)) {
				budget_error(p->a, p->err);
				return NULL;
			}
			jv_member *m = jv_arena_alloc(p->a, n * sizeof(jv_member), p->err);
			if (m == NULL)
				return NULL;
			for (size_t k = 0; k < n; k++) {
				m[k].key = p->stk[f->base + k].key;
				m[k].key_len = p->stk[f->base + k].key_len;
				m[k].val = p->stk[f->base + k].val;
			}
			node->u.obj.m = m;
			node->u.obj.n = n;
		}
	}
	p->nstk = f->base;
	p->i++; /* the closing bracket */
	p->depth--;
	return node;
}

/* After '{' or ',' inside an object, with p->i on the opening quote. */
static int parse_key_and_colon(parser *p)
{
	frame *f = &p->frames[p->depth - 1];
	if (parse_string(p, &f->key, &f->key_len) != 0)
		return -1;
	skip_ws(p);
	if (p->i >= p->len)
		return fail_peek(p, RP_E_JSON, "EOF while parsing an object");
	if (p->s[p->i] != ':')
		return fail_peek(p, RP_E_JSON, "expected `:`");
	p->i++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                               */
/* ------------------------------------------------------------------ */

/*
 * The grammar as a loop: "want a value" then "a value is complete".
 * Error positions and texts follow serde_json's Deserializer for
 * serde_json::Value (deserialize_any, SeqAccess, MapAccess, end()).
 */
static jv *parse_document(parser *p)
{
	for (;;) {
		/* ---- want a value ---- */
		skip_ws(p);
		if (p->i >= p->len) {
			fail_peek(p, RP_E_JSON, "EOF while parsing a value");
			return NULL;
		}
		uint8_t c = p->s[p->i];
		jv *v = NULL;
		if (c == '[' || c == '{') {
			bool is_arr = c == '[';
			if (open_container(p, is_arr ? JV_ARRAY : JV_OBJECT) != 0)
				return NULL;
			skip_ws(p);
			if (p->i >= p->len) {
				fail_peek(p, RP_E_JSON,
					  is_arr ? "EOF while parsing a list" : "EOF while parsing an object");
				return NULL;
			}
			c = p->s[p->i];
			if (c == (is_arr ? ']' : '}')) {
				v = close_container(p);
				if (v == NULL)
					return NULL;
			} else if (is_arr) {
				continue; /* first element */
			} else if (c == '"') {
				if (parse_key_and_colon(p) != 0)
					return NULL;
				continue;
			} else {
				fail_peek(p, RP_E_JSON, "key must be a string");
				return NULL;
			}
		} else if (c == '"') {
			size_t start = p->i;
			const char *s;
			size_t n;
			if (parse_string(p, &s, &n) != 0)
				return NULL;
			v = new_node(p, JV_STRING, start);
			if (v == NULL)
				return NULL;
			v->u.str.s = s;
			v->u.str.len = n;
		} else if (c == 'n') {
			v = parse_ident(p, "null", JV_NULL);
		} else if (c == 't') {
			v = parse_ident(p, "true", JV_TRUE);
		} else if (c == 'f') {
			v = parse_ident(p, "false", JV_FALSE);
		} else if (c == '-' || is_digit(c)) {
			v = parse_number(p);
		} else {
			fail_peek(p, RP_E_JSON, "expected value");
			return NULL;
		}
		if (v == NULL)
			return NULL;

		/* ---- a value is complete ---- */
		for (;;) {
			if (p->depth == 0)
				return v;
			frame *f = &p->frames[p->depth - 1];
			bool is_arr = f->node->type == JV_ARRAY;
			if (stack_push(p, f->key, f->key_len, v) != 0)
				return NULL;
			f->key = NULL;
			skip_ws(p);
			if (p->i >= p->len) {
				fail_peek(p, RP_E_JSON,
					  is_arr ? "EOF while parsing a list" : "EOF while parsing an object");
				return NULL;
			}
			c = p->s[p->i];
			if (c == (is_arr ? ']' : '}')) {
				v = close_container(p);
				if (v == NULL)
					return NULL;
				continue;
			}
			if (c != ',') {
				fail_peek(p, RP_E_JSON, is_arr ? "expected `,` or `]`" : "expected `,` or `}`");
				return NULL;
			}
			p->i++;
			skip_ws(p);
			if (p->i >= p->len) {
				fail_peek(p, RP_E_JSON, "EOF while parsing a value");
				return NULL;
			}
			c = p->s[p->i];
			if (c == (is_arr ? ']' : '}')) {
				fail_peek(p, RP_E_JSON, "trailing comma");
				return NULL;
			}
			if (!is_arr) {
				if (c != '"') {
					fail_peek(p, RP_E_JSON, "key must be a string");
					return NULL;
				}
				if (parse_key_and_colon(p) != 0)
					return NULL;
			}
			break; /* next element value */
		}
	}
}

jv *jv_parse(jv_arena *a, const uint8_t *text, size_t len, rp_err *err)
{
	if (a == NULL || (text == NULL && len > 0)) {
		rp_err_set(err, RP_E_INTERNAL, "jv_parse: invalid arguments");
		return NULL;
	}
	/* Parser state (with its frame array) lives on the heap so the
	 * caller's stack use stays small and constant. */
	parser *p = malloc(sizeof *p);
	if (p == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory while parsing JSON");
		return NULL;
	}
	memset(p, 0, sizeof *p);
	p->s = text;
	p->len = len;
	p->line = 1;
	p->a = a;
	p->err = err;
	jv *root = parse_document(p);
	if (root != NULL) {
		skip_ws(p);
		if (p->i < p->len) {
			fail_peek(p, RP_E_JSON, "trailing characters");
			root = NULL;
		}
	}
	free(p->stk);
	arena_uncharge(a, p->capstk * sizeof(slot));
	free(p);
	return root;
}

/* ------------------------------------------------------------------ */
/* Lookup                                                               */
/* ------------------------------------------------------------------ */

const jv *jv_get(const jv *obj, const char *key, size_t *count_out)
{
	if (count_out != NULL)
		*count_out = 0;
	if (obj == NULL || obj->type != JV_OBJECT || key == NULL)
		return NULL;
	size_t kl = strlen(key);
	const jv *found = NULL;
	size_t count = 0;
	for (size_t k = 0; k < obj->u.obj.n; k++) {
		const jv_member *m = &obj->u.obj.m[k];
		if (m->key_len == kl && memcmp(m->key, key, kl) == 0) {
			found = m->val;
			count++;
		}
	}
	if (count_out != NULL)
		*count_out = count;
	return found;
}

/* ------------------------------------------------------------------ */
/* Constructors                                                         */
/* ------------------------------------------------------------------ */

/*
 * Built containers carry their capacity next to the node. They are told
 * apart from parsed ones by line == 0 (parsed nodes start at line 1), so
 * appending to a parsed container is refused instead of overrunning it.
 */
typedef struct jv_built {
	jv node;
	size_t cap;
} jv_built;

static jv *new_leaf(jv_arena *a, jv_type t, rp_err *err)
{
	jv *v = jv_arena_alloc(a, sizeof *v, err);
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

jv *jv_new_null(jv_arena *a, rp_err *err)
{
	return new_leaf(a, JV_NULL, err);
}

jv *jv_new_bool(jv_arena *a, int b, rp_err *err)
{
	return new_leaf(a, b ? JV_TRUE : JV_FALSE, err);
}

jv *jv_new_u64(jv_arena *a, uint64_t v, rp_err *err)
{
	jv *n = new_leaf(a, JV_NUMBER, err);
	if (n == NULL)
		return NULL;
	n->u.num.kind = JV_NUM_U64;
	n->u.num.u = v;
	n->u.num.d = (double)v;
	return n;
}

jv *jv_new_i64(jv_arena *a, int64_t v, rp_err *err)
{
	/* serde_json stores non-negative i64 as PosInt, like a parsed one. */
	if (v >= 0)
		return jv_new_u64(a, (uint64_t)v, err);
	jv *n = new_leaf(a, JV_NUMBER, err);
	if (n == NULL)
		return NULL;
	n->u.num.kind = JV_NUM_I64;
	n->u.num.i = v;
	n->u.num.d = (double)v;
	return n;
}

jv *jv_new_str(jv_arena *a, const char *s, size_t len, rp_err *err)
{
	if (s == NULL && len > 0) {
		rp_err_set(err, RP_E_INTERNAL, "jv_new_str: NULL string");
		return NULL;
	}
	if (len == SIZE_MAX) {
		budget_error(a, err);
		return NULL;
	}
	char *copy = jv_arena_alloc(a, len + 1, err);
	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	jv *v = new_leaf(a, JV_STRING, err);
	if (v == NULL)
		return NULL;
	v->u.str.s = copy;
	v->u.str.len = len;
	return v;
}

static jv *new_container(jv_arena *a, jv_type t, size_t cap, size_t elem, rp_err *err)
{
	if (cap > SIZE_MAX / elem) {
		budget_error(a, err);
		return NULL;
	}
	jv_built *b = jv_arena_alloc(a, sizeof *b, err);
	if (b == NULL)
		return NULL;
	memset(b, 0, sizeof *b);
	b->node.type = t;
	b->cap = cap;
	if (cap > 0) {
		void *items = jv_arena_alloc(a, cap * elem, err);
		if (items == NULL)
			return NULL;
		if (t == JV_ARRAY)
			b->node.u.arr.items = items;
		else
			b->node.u.obj.m = items;
	}
	return &b->node;
}

jv *jv_new_array(jv_arena *a, size_t cap, rp_err *err)
{
	return new_container(a, JV_ARRAY, cap, sizeof(jv *), err);
}

jv *jv_new_object(jv_arena *a, size_t cap, rp_err *err)
{
	return new_container(a, JV_OBJECT, cap, sizeof(jv_member), err);
}

static jv_built *built_of(jv *v)
{
	/* node is the first member, so the addresses coincide */
	return (jv_built *)(void *)v;
}

int jv_array_push(jv *arr, jv *item, rp_err *err)
{
	if (arr == NULL || item == NULL || arr->type != JV_ARRAY)
		return rp_err_set(err, RP_E_INTERNAL, "jv_array_push: not an array");
	if (arr->line != 0)
		return rp_err_set(err, RP_E_INTERNAL, "jv_array_push: array was parsed, not built");
	jv_built *b = built_of(arr);
	if (arr->u.arr.n >= b->cap)
		return rp_err_set(err, RP_E_INTERNAL, "jv_array_push: capacity %zu exceeded", b->cap);
	arr->u.arr.items[arr->u.arr.n++] = item;
	return 0;
}

int jv_object_put(jv_arena *a, jv *obj, const char *key, jv *val, rp_err *err)
{
	if (obj == NULL || key == NULL || val == NULL || obj->type != JV_OBJECT)
		return rp_err_set(err, RP_E_INTERNAL, "jv_object_put: not an object");
	if (obj->line != 0)
		return rp_err_set(err, RP_E_INTERNAL, "jv_object_put: object was parsed, not built");
	jv_built *b = built_of(obj);
	if (obj->u.obj.n >= b->cap)
		return rp_err_set(err, RP_E_INTERNAL, "jv_object_put: capacity %zu exceeded", b->cap);
	size_t kl = strlen(key);
	char *copy = jv_arena_alloc(a, kl + 1, err);
	if (copy == NULL)
		return -1;
	memcpy(copy, key, kl + 1);
	jv_member *m = &obj->u.obj.m[obj->u.obj.n++];
	m->key = copy;
	m->key_len = kl;
	m->val = val;
	return 0;
}
