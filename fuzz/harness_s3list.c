/*
 * harness_s3list.c - fuzzes what the confined child does with object-store
 * answers after the XML reader: grouping a listing's keys into runpacks
 * (src/child/s3list.c) and composing the user's message from an error body
 * (src/child/store_err.c).
 *
 * Input: byte 0 picks the root prefix ("", "dg/", "a/b//") and byte 1 the
 * HTTP status class; the rest is one response body, used twice: as a
 * ListObjectsV2 page (whose keys are grouped) and as an error body.
 *
 * Properties (abort() on violation):
 *  - grouping returns 0 or -1 with RP_E_STORE/RP_E_LIMIT; every emitted
 *    prefix ends in '/', has exactly eleven '/' and is a prefix of a key
 *    that was fed; no prefix is emitted twice in a row;
 *  - composing never fails, yields RP_E_NOTFOUND only for a 404, and a
 *    message that starts "object store: ", is NUL-terminated and holds no
 *    control byte (the body is hostile; the message goes to a terminal).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/s3list.h"
#include "child/s3xml.h"
#include "child/store_err.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_s3list: property failed at line %d: %s\n",   \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

typedef struct emitted {
	char last[RP_MAX_PATH_TOTAL + 1];
	unsigned long n;
} emitted;

static int on_entry(void *ctx, const rp_list_entry *e, rp_err *err)
{
	(void)err;
	emitted *em = ctx;
	size_t len = strlen(e->prefix), slashes = 0;
	CHECK(len > 0 && e->prefix[len - 1] == '/');
	for (size_t i = 0; i < len; i++)
		slashes += e->prefix[i] == '/';
	CHECK(slashes == 11);
	CHECK(e->has_manifest == 0 || e->has_manifest == 1);
	CHECK(em->n == 0 || strcmp(em->last, e->prefix) != 0);
	memcpy(em->last, e->prefix, len + 1);
	em->n++;
	return 0;
}

static void check_listing(const char *root, const uint8_t *body, size_t len)
{
	char *mem = malloc(len + 1);
	rp_s3xml_list *page = malloc(sizeof *page);
	rp_s3_group *g = malloc(sizeof *g);
	CHECK(mem != NULL && page != NULL && g != NULL);
	rp_s3xml_arena arena;
	rp_err err;
	rp_err_clear(&err);
	rp_s3xml_arena_init(&arena, mem, len + 1);
	if (rp_s3xml_parse_list(body, len, &arena, page, &err) == 0) {
		emitted em;
		memset(&em, 0, sizeof em);
		rp_s3_group_init(g, root, on_entry, &em);
		int rc = 0;
		for (size_t i = 0; rc == 0 && i < page->n_objects; i++)
			rc = rp_s3_group_key(g, page->objects[i].key.s, page->objects[i].key.len, &err);
		if (rc == 0)
			rc = rp_s3_group_finish(g, &err);
		if (rc != 0)
			CHECK(err.code == RP_E_STORE || err.code == RP_E_LIMIT);
	}
	free(g);
	free(page);
	free(mem);
}

static void check_error(uint32_t status, const uint8_t *body, size_t len)
{
	rp_err err;
	rp_err_clear(&err);
	uint32_t code = status == 404 ? RP_E_NOTFOUND : RP_E_STORE;
	rp_store_err_compose(code, status, "GET s3://b/k", 12, body, len, &err);
	CHECK(err.code == RP_E_STORE || (err.code == RP_E_NOTFOUND && status == 404));
	CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
	CHECK(strncmp(err.msg, "object store: GET s3://b/k: HTTP ", 33) == 0);
	for (const unsigned char *m = (const unsigned char *)err.msg; *m != '\0'; m++)
		CHECK(*m >= 0x20 && *m != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const roots[] = { "", "dg/", "a/b//" };
	static const uint32_t statuses[] = { 400, 403, 404, 409, 500, 503, 301, 999 };
	if (size < 2)
		return 0;
	const char *root = roots[data[0] % 3];
	uint32_t status = statuses[data[1] % 8];
	check_listing(root, data + 2, size - 2);
	check_error(status, data + 2, size - 2);
	return 0;
}
