/*
 * buf.c - growable byte buffer with a hard limit (see buf.h).
 *
 * Security posture: overflow-checked size arithmetic; geometric growth
 * capped at the buffer's limit (+1 for an optional NUL terminator).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_buf_init(rp_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void rp_buf_free(rp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void rp_buf_reset(rp_buf *b)
{
	b->len = 0;
}

int rp_buf_reserve(rp_buf *b, size_t extra, rp_err *err)
{
	if (extra > b->limit || b->len > b->limit - extra)
		return rp_err_set(err, RP_E_LIMIT, "buffer limit of %zu bytes exceeded", b->limit);
	size_t need = b->len + extra + 1; /* room for a terminator */
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->limit + 1)
		ncap = b->limit + 1;
	uint8_t *p = realloc(b->data, ncap);
	if (p == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory growing a buffer to %zu bytes", ncap);
	b->data = p;
	b->cap = ncap;
	return 0;
}

int rp_buf_append(rp_buf *b, const void *p, size_t n, rp_err *err)
{
	if (n == 0)
		return 0;
	if (rp_buf_reserve(b, n, err) != 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int rp_buf_putc(rp_buf *b, uint8_t c, rp_err *err)
{
	return rp_buf_append(b, &c, 1, err);
}

int rp_buf_puts(rp_buf *b, const char *s, rp_err *err)
{
	return rp_buf_append(b, s, strlen(s), err);
}

int rp_buf_printf(rp_buf *b, rp_err *err, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return rp_err_set(err, RP_E_INTERNAL, "formatting failed");
	if ((size_t)n >= sizeof tmp)
		return rp_err_set(err, RP_E_LIMIT, "formatted text longer than %zu bytes", sizeof tmp - 1);
	return rp_buf_append(b, tmp, (size_t)n, err);
}

int rp_buf_cstr(rp_buf *b, rp_err *err)
{
	if (rp_buf_reserve(b, 0, err) != 0)
		return -1;
	if (b->data == NULL) {
		b->data = malloc(1);
		if (b->data == NULL)
			return rp_err_set(err, RP_E_NOMEM, "out of memory");
		b->cap = 1;
	}
	b->data[b->len] = 0;
	return 0;
}
