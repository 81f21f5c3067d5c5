/*
 * store_err.c - object store error answers to rp_err (see store_err.h).
 *
 * Security posture: CONFINED-CHILD code. The body goes through the strict
 * S3 XML reader (bounded, no DTD, no entities beyond the five predefined);
 * what comes out is escaped with rp_printable before it is formatted.
 */
#include "store_err.h"

#include <stdlib.h>
#include <string.h>

#include "../common/path.h"
#include "s3xml.h"

/* Error bodies are small; a larger one is reported, not parsed. */
#define STORE_ERR_BODY_PARSE_MAX (64u * 1024u)

void rp_store_err_compose(uint32_t code, uint32_t status, const char *what, size_t what_len,
			  const uint8_t *body, size_t body_len, rp_err *err)
{
	char w[512], c[160], m[400];
	rp_code rc = (code == RP_OK || code > RP_E_INTERNAL) ? RP_E_STORE : (rp_code)code;
	(void)rp_printable(what, what_len, w, sizeof w);
	if (body_len == 0) {
		rp_err_set(err, rc, "object store: %s: HTTP %u", w, (unsigned)status);
		return;
	}
	if (body_len > STORE_ERR_BODY_PARSE_MAX) {
		rp_err_set(err, rc, "object store: %s: HTTP %u (error body of %zu bytes not parsed)", w,
			   (unsigned)status, body_len);
		return;
	}
	char *mem = malloc(body_len + 1);
	if (mem == NULL) {
		rp_err_set(err, rc, "object store: %s: HTTP %u", w, (unsigned)status);
		return;
	}
	rp_s3xml_arena arena;
	rp_s3xml_error e;
	rp_err perr;
	rp_err_clear(&perr);
	rp_s3xml_arena_init(&arena, mem, body_len + 1);
	if (rp_s3xml_parse_error(body, body_len, &arena, &e, &perr) != 0) {
		(void)rp_printable(perr.msg, strnlen(perr.msg, sizeof perr.msg), m, sizeof m);
		rp_err_set(err, rc, "object store: %s: HTTP %u (error body not understood: %s)", w,
			   (unsigned)status, m);
		free(mem);
		return;
	}
	(void)rp_printable(e.code.s, e.code.len, c, sizeof c);
	(void)rp_printable(e.message.s != NULL ? e.message.s : "", e.message.len, m, sizeof m);
	/* A missing bucket is a configuration problem, not a missing object. */
	if (rc == RP_E_NOTFOUND && strcmp(c, "NoSuchKey") != 0 &&
	    strcmp(c, "ObjectLockConfigurationNotFoundError") != 0 &&
	    strcmp(c, "NoSuchObjectLockConfiguration") != 0)
		rc = RP_E_STORE;
	if (m[0] != '\0')
		rp_err_set(err, rc, "object store: %s: HTTP %u %s: %s", w, (unsigned)status, c, m);
	else
		rp_err_set(err, rc, "object store: %s: HTTP %u %s", w, (unsigned)status, c);
	free(mem);
}
