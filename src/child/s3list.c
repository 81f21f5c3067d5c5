/*
 * s3list.c - object-store listing for `ls` (see s3list.h).
 *
 * Security posture: CONFINED-CHILD code over untrusted listing pages.
 */
#include "s3list.h"

#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "s3xml.h"

#define RUNPACK_SEGMENTS 11

int rp_s3_root_prefix_of(const char *uri, char *out, size_t outsz, rp_err *err)
{
	if (strncmp(uri, "s3://", 5) != 0)
		return rp_err_set(err, RP_E_USAGE, "store URI '%s' is not an s3:// URI", uri);
	const char *slash = strchr(uri + 5, '/');
	if (slash == NULL || slash[1] == '\0') {
		if (outsz == 0)
			return rp_err_set(err, RP_E_LIMIT, "root prefix does not fit");
		out[0] = '\0';
		return 0;
	}
	size_t n = strlen(slash + 1);
	if (n + 2 > outsz)
		return rp_err_set(err, RP_E_LIMIT, "root prefix of '%s' is too long", uri);
	memcpy(out, slash + 1, n);
	out[n] = '/';
	out[n + 1] = '\0';
	return 0;
}

void rp_s3_group_init(rp_s3_group *g, const char *root_prefix, rp_list_fn fn, void *fnctx)
{
	memset(g, 0, sizeof *g);
	g->root_prefix = root_prefix;
	g->root_len = strlen(root_prefix);
	g->fn = fn;
	g->fnctx = fnctx;
}

static int group_emit(rp_s3_group *g, rp_err *err)
{
	if (g->cur[0] == '\0')
		return 0;
	if (++g->emitted > RP_MAX_LIST_ENTRIES)
		return rp_err_set(err, RP_E_LIMIT, "store lists more than %d runpacks",
				  RP_MAX_LIST_ENTRIES);
	rp_list_entry e = { .prefix = g->cur, .has_manifest = g->cur_manifest };
	int rc = g->fn(g->fnctx, &e, err);
	g->cur[0] = '\0';
	g->cur_manifest = 0;
	return rc;
}

int rp_s3_group_key(rp_s3_group *g, const char *key, size_t len, rp_err *err)
{
	if (len < g->root_len || memcmp(key, g->root_prefix, g->root_len) != 0)
		return rp_err_set(err, RP_E_STORE,
				  "object store listing returned a key outside the prefix '%s'",
				  g->root_prefix);
	const char *rest = key + g->root_len;
	size_t rlen = len - g->root_len;
	size_t seg = 0, plen = 0;
	for (size_t i = 0; i < rlen; i++) {
		if (rest[i] == '/' && ++seg == RUNPACK_SEGMENTS) {
			plen = i + 1;
			break;
		}
	}
	if (plen == 0 || plen > RP_MAX_PATH_TOTAL)
		return 0; /* not below a runpack prefix: someone else's object */
	const char *name = rest + plen;
	size_t nlen = rlen - plen;
	int is_manifest = (nlen == 13 && memcmp(name, "manifest.json", 13) == 0) ||
			  (nlen == 12 && memcmp(name, "runpack.json", 12) == 0);
	if (strlen(g->cur) != plen || memcmp(g->cur, rest, plen) != 0) {
		if (group_emit(g, err) != 0)
			return -1;
		memcpy(g->cur, rest, plen);
		g->cur[plen] = '\0';
	}
	if (is_manifest)
		g->cur_manifest = 1;
	return 0;
}

int rp_s3_group_finish(rp_s3_group *g, rp_err *err)
{
	return group_emit(g, err);
}

static int page_sink(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	return rp_buf_append(ctx, p, n, err);
}

int rp_s3_list_runpacks(const rp_io *io, const char *root_prefix, rp_list_fn fn, void *fnctx,
			rp_err *err)
{
	if (io->ops->list_page == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "list: the store has no listing pages");
	rp_s3_group *g = malloc(sizeof *g);
	rp_s3xml_list *page = malloc(sizeof *page);
	char *arena_mem = malloc(RP_MAX_STORE_PAGE_BYTES + 1);
	char token[RP_MAX_STORE_TOKEN + 1] = "", prev[RP_MAX_STORE_TOKEN + 1] = "";
	rp_buf body;
	rp_buf_init(&body, RP_MAX_STORE_PAGE_BYTES);
	int rc = -1;
	if (g == NULL || page == NULL || arena_mem == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory");
		goto out;
	}
	rp_s3_group_init(g, root_prefix, fn, fnctx);
	for (int n = 0;; n++) {
		if (n == RP_MAX_STORE_PAGES) {
			rp_err_set(err, RP_E_LIMIT, "object store listing has more than %d pages", RP_MAX_STORE_PAGES);
			goto out;
		}
		rp_buf_reset(&body);
		if (io->ops->list_page(io->self, token, page_sink, &body, err) != 0)
			goto out;
		rp_s3xml_arena arena;
		rp_s3xml_arena_init(&arena, arena_mem, RP_MAX_STORE_PAGE_BYTES + 1);
		if (rp_s3xml_parse_list(body.data != NULL ? body.data : (const uint8_t *)"", body.len,
					&arena, page, err) != 0) {
			rp_err_wrap(err, "object store listing page %d", n + 1);
			goto out;
		}
		for (size_t i = 0; i < page->n_objects; i++)
			if (rp_s3_group_key(g, page->objects[i].key.s, page->objects[i].key.len, err) != 0)
				goto out;
		if (!page->is_truncated)
			break;
		if (page->next_token.len == 0 || page->next_token.len > RP_MAX_STORE_TOKEN) {
			rp_err_set(err, RP_E_STORE,
				   "object store listing is truncated without a usable continuation token");
			goto out;
		}
		memcpy(prev, token, sizeof prev);
		memcpy(token, page->next_token.s, page->next_token.len);
		token[page->next_token.len] = '\0';
		if (strcmp(prev, token) == 0) {
			rp_err_set(err, RP_E_STORE, "object store listing repeats a continuation token");
			goto out;
		}
	}
	rc = rp_s3_group_finish(g, err);
out:
	rp_buf_free(&body);
	free(arena_mem);
	free(page);
	free(g);
	return rc;
}
