/*
 * buf.h - a growable byte buffer with a hard capacity limit.
 *
 * Why: canonical JSON, reports and frames are built incrementally; every
 * buffer carries its own ceiling so no input can make it grow unbounded.
 * Security posture: all appends are length-checked; on failure the buffer
 * is left valid and an rp_err (RP_E_LIMIT or RP_E_NOMEM) is returned.
 */
#ifndef RP_BUF_H
#define RP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct rp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;   /* allocated bytes */
	size_t limit; /* hard maximum of len */
} rp_buf;

void rp_buf_init(rp_buf *b, size_t limit);
void rp_buf_free(rp_buf *b);
void rp_buf_reset(rp_buf *b); /* len = 0, keeps memory */
int rp_buf_reserve(rp_buf *b, size_t extra, rp_err *err);
int rp_buf_append(rp_buf *b, const void *p, size_t n, rp_err *err);
int rp_buf_putc(rp_buf *b, uint8_t c, rp_err *err);
int rp_buf_puts(rp_buf *b, const char *s, rp_err *err);
int rp_buf_printf(rp_buf *b, rp_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ensures data[len] == 0 (not counted in len) for use as a C string. */
int rp_buf_cstr(rp_buf *b, rp_err *err);

#endif
