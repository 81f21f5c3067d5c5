/*
 * harness_verify.c - fuzzes the manifest parser and the offline verifier
 * (src/child/manifest.c, verify.c, typed.c, json.c, report.c) over an
 * in-memory rp_io: a whole runpack per input, no file system, no fork.
 *
 * Input container (text-friendly, so seeds are readable runpacks):
 *     <manifest bytes>
 *     "\n@@@ " <path> "\n" <file bytes>     repeated; a file runs to the
 *                                          next "\n@@@ " / "\n@@! " or the end
 *     "\n@@! " <path> "\n" <c><bytes>       a file whose read delivers
 *                                          <bytes> and then fails with
 *                                          rp_code 1 + c % RP_E_INTERNAL
 * The leading manifest is served as "manifest.json" (when non-empty);
 * files named "runpack.json" exercise the fallback. Control entries:
 * "%prefix" (its bytes are the store prefix of rp_verify_opts), "%lax"
 * (strict checks off), "%name" (an explicit manifest name), "%policy"
 * (an EvidenceAnchorPolicy document for rp_anchor_policy_parse).
 * The reader serves RP_ROOT_IN like the broker: paths re-validated,
 * "artifact too large: <path> (<size> > <max>)" past max, NOTFOUND for
 * anything else, bytes streamed in input-dependent chunk sizes.
 *
 * Calls: rp_verify_runpack (read + parse + verify), rp_report_render in
 * all three formats, rp_manifest_parse + rp_manifest_write_jcs +
 * rp_manifest_root_hash, rp_anchor_policy_parse. Everything is freed
 * (LeakSanitizer runs in the replay build).
 *
 * Properties checked (abort() on violation):
 *  - the verifier reads only RP_ROOT_IN, only paths that pass
 *    rp_path_check, with max <= RP_MAX_ARTIFACT_BYTES, and never writes,
 *    copies, opens the store, commits or lists;
 *  - verification "could not run" (-1) only with a fatal code, and only
 *    when the input injected a read failure;
 *  - the JSON report always renders, parses back as JSON, and its
 *    "status" agrees with rp_report_pass; the text report has no control
 *    bytes other than '\n';
 *  - a parsed manifest written as JCS is already canonical
 *    (jcs_canonicalize in serde mode leaves it unchanged), parses again,
 *    and writes the same bytes again;
 *  - an accepted anchor policy is normalised: ids and anchor types set,
 *    required_fields non-empty, trimmed, strictly ascending.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/jcs.h"
#include "child/json.h"
#include "child/manifest.h"
#include "child/report.h"
#include "child/verify.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/io.h"
#include "common/limits.h"
#include "common/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_verify: property failed at line %d: %s\n",   \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

__attribute__((noreturn)) static void violation(const char *what)
{
	fprintf(stderr, "harness_verify: property failed: %s\n", what);
	abort();
}

#define MAX_ENTRIES 64

typedef struct entry {
	const uint8_t *path;
	size_t path_len;
	const uint8_t *data;
	size_t len;
	int fail_code; /* 0: a normal file; else the read fails after the bytes */
} entry;

typedef struct mem_io {
	entry e[MAX_ENTRIES];
	size_t n;
	int injected;     /* some entry injects a failure */
	int has_manifest; /* e[0] is the leading manifest */
} mem_io;

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end)
{
	for (const uint8_t *q = p; q + 5 <= end; q++) {
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL || q + 5 > end)
			return NULL;
		if (q[1] == '@' && q[2] == '@' && (q[3] == '@' || q[3] == '!') && q[4] == ' ')
			return q;
	}
	return NULL;
}

static void add_entry(mem_io *m, const uint8_t *path, size_t plen, const uint8_t *d, size_t n,
		      int fail)
{
	if (m->n == MAX_ENTRIES)
		return;
	entry *e = &m->e[m->n++];
	e->path = path;
	e->path_len = plen;
	e->data = d;
	e->len = n;
	e->fail_code = 0;
	if (fail) {
		/* First byte: the code; the rest is delivered before failing. */
		e->fail_code = 1 + (n > 0 ? d[0] : 0) % RP_E_INTERNAL;
		if (n > 0) {
			e->data = d + 1;
			e->len = n - 1;
		}
		m->injected = 1;
	}
}

static void split_input(mem_io *m, const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *sep = find_sep(data, end);
	const uint8_t *mend = sep != NULL ? sep : end;
	if (mend > data) {
		add_entry(m, (const uint8_t *)"manifest.json", 13, data, (size_t)(mend - data), 0);
		m->has_manifest = 1;
	}
	while (sep != NULL) {
		int fail = sep[3] == '!';
		const uint8_t *path = sep + 5;
		const uint8_t *nl = memchr(path, '\n', (size_t)(end - path));
		const uint8_t *body = nl != NULL ? nl + 1 : end;
		size_t plen = (size_t)((nl != NULL ? nl : end) - path);
		sep = nl != NULL ? find_sep(nl, end) : NULL;
		/* find_sep(nl) would match the path's own newline only if the body
		 * starts with "@@@ "; that is an entry with an empty body. */
		const uint8_t *bend = sep != NULL ? sep : end;
		if (bend < body)
			bend = body;
		add_entry(m, path, plen, body, (size_t)(bend - body), fail);
	}
}

static const entry *lookup(const mem_io *m, const char *path, size_t plen)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].path_len == plen && memcmp(m->e[i].path, path, plen) == 0)
			return &m->e[i];
	return NULL;
}

static int mem_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		    void *fnctx, rp_err *err)
{
	const mem_io *m = self;
	CHECK(root == RP_ROOT_IN);
	CHECK(path != NULL);
	size_t plen = strlen(path);
	CHECK(rp_path_check(path, plen) == RP_PATH_OK);
	CHECK(max <= RP_MAX_ARTIFACT_BYTES);
	const entry *e = lookup(m, path, plen);
	if (e == NULL)
		return rp_err_set(err, RP_E_NOTFOUND, "artifact error: unable to read artifact metadata");
	if (e->len > max)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)", path,
				  e->len, (unsigned long long)max);
	/* Chunk sizes vary with the file so the streaming code sees partial
	 * blocks, one-byte chunks and whole-file deliveries. */
	size_t chunk = e->len < 2 ? 1 : 1 + (e->len * 31 + plen) % e->len;
	for (size_t off = 0; off < e->len;) {
		size_t k = e->len - off < chunk ? e->len - off : chunk;
		rp_err_clear(err);
		if (fn(fnctx, e->data + off, k, err) != 0) {
			CHECK(err->code != RP_OK);
			return -1;
		}
		off += k;
	}
	if (e->fail_code != 0)
		return rp_err_set(err, (rp_code)e->fail_code,
				  "artifact error: unable to read artifact %s: injected", path);
	return 0;
}

static int mem_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		     rp_err *err)
{
	(void)self, (void)root, (void)path, (void)p, (void)n, (void)err;
	violation("the verifier must not write");
}

static int mem_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		    rp_err *err)
{
	(void)self, (void)from, (void)to, (void)path, (void)max, (void)err;
	violation("the verifier must not copy");
}

static int mem_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	(void)self, (void)prefix, (void)create, (void)err;
	violation("the verifier must not open the store");
}

static int mem_commit(void *self, rp_err *err)
{
	(void)self, (void)err;
	violation("the verifier must not commit");
}

static int mem_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	(void)self, (void)fn, (void)fnctx, (void)err;
	violation("the verifier must not list");
}

static int mem_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	(void)self, (void)p, (void)n, (void)err;
	CHECK(fd == 1 || fd == 2);
	return 0;
}

static const rp_io_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
	.copy = mem_copy,
	.store_open = mem_store_open,
	.commit = mem_commit,
	.list = mem_list,
	.output = mem_output,
};

/* A NUL-terminated heap copy of a control entry's bytes (cut at a NUL). */
static char *control_str(const mem_io *m, const char *name)
{
	const entry *e = lookup(m, name, strlen(name));
	if (e == NULL)
		return NULL;
	char *s = malloc(e->len + 1);
	CHECK(s != NULL);
	memcpy(s, e->data, e->len);
	s[e->len] = '\0';
	return s;
}

static int fatal_code(rp_code c)
{
	return c == RP_E_IO || c == RP_E_NOMEM || c == RP_E_SANDBOX || c == RP_E_PROTO ||
	       c == RP_E_INTERNAL;
}

/* RP_FUZZ_KNOWN=report-utf8 skips the "JSON report always renders" check
 * while a fix for that known bug is pending (docs/security/fuzzing.md), so
 * a campaign keeps looking for other bugs instead of re-finding it. */
static int known(const char *bug)
{
	const char *k = getenv("RP_FUZZ_KNOWN");
	return k != NULL && strstr(k, bug) != NULL;
}

static void check_reports(const rp_report *rep)
{
	rp_buf out;
	rp_err err;
	/* JSON: always renders, is JSON, and says what rp_report_pass says. */
	rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	rp_err_clear(&err);
	if (rp_report_render(rep, RP_FMT_JSON, "fuzz", &out, &err) != 0) {
		if (known("report-utf8") && err.code == RP_E_FORMAT) {
			rp_buf_free(&out);
			return;
		}
		fprintf(stderr, "harness_verify: JSON report failed: %s\n", err.msg);
		violation("the JSON report always renders");
	}
	CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
	if (getenv("HARNESS_VERBOSE") != NULL) /* seed checking: show the verdict */
		fprintf(stderr, "%.*s", (int)out.len, (const char *)out.data);
	jv_arena a;
	jv_arena_init(&a, RP_MAX_JSON_ARENA_BYTES);
	const jv *v = jv_parse(&a, out.data, out.len, &err);
	CHECK(v != NULL && v->type == JV_OBJECT);
	const jv *st = jv_get(v, "status", NULL);
	CHECK(st != NULL && st->type == JV_STRING);
	CHECK(strcmp(st->u.str.s, rp_report_pass(rep) ? "pass" : "fail") == 0);
	const jv *errs = jv_get(v, "errors", NULL);
	CHECK(errs != NULL && errs->type == JV_ARRAY);
	CHECK(errs->u.arr.n == rep->n_errors + (rep->dropped > 0));
	jv_arena_free(&a);
	rp_buf_free(&out);

	rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	rp_err_clear(&err);
	CHECK(rp_report_render(rep, RP_FMT_MARKDOWN, "fuzz", &out, &err) == 0);
	rp_buf_free(&out);

	/* Text goes to a terminal: no control bytes from untrusted strings. */
	rp_buf_init(&out, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	rp_err_clear(&err);
	CHECK(rp_report_render(rep, RP_FMT_TEXT, "fuzz\x1b[31m", &out, &err) == 0);
	for (size_t i = 0; i < out.len; i++)
		CHECK(out.data[i] == '\n' || (out.data[i] >= 0x20 && out.data[i] != 0x7f));
	rp_buf_free(&out);
}

static void check_manifest_jcs(const uint8_t *text, size_t len)
{
	rp_manifest m, m2;
	rp_err err;
	rp_err_clear(&err);
	if (rp_manifest_parse(&m, text, len, &err) != 0) {
		CHECK(err.code != RP_OK);
		rp_manifest_free(&m);
		return;
	}
	char hex[65];
	CHECK(rp_manifest_root_hash(&m, hex, &err) == 0);
	CHECK(strlen(hex) == 64);
	rp_buf w1, w2, canon;
	rp_buf_init(&w1, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&w2, (size_t)RP_MAX_ARTIFACT_BYTES);
	rp_buf_init(&canon, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
	if (rp_manifest_write_jcs(&m, &w1, &err) == 0) {
		/* Already canonical. */
		rp_err_clear(&err);
		CHECK(jcs_canonicalize(w1.data, w1.len, RP_JCS_SERDE, &canon, &err) == 0);
		CHECK(canon.len == w1.len && memcmp(canon.data, w1.data, w1.len) == 0);
		/* Parses again and writes the same bytes. */
		rp_err_clear(&err);
		CHECK(rp_manifest_parse(&m2, w1.data, w1.len, &err) == 0);
		CHECK(rp_manifest_write_jcs(&m2, &w2, &err) == 0);
		CHECK(w2.len == w1.len && memcmp(w2.data, w1.data, w1.len) == 0);
		rp_manifest_free(&m2);
	} else {
		/* Only a budget can stop the writer (16 MiB output). */
		CHECK(err.code == RP_E_LIMIT || err.code == RP_E_NOMEM);
	}
	rp_buf_free(&canon);
	rp_buf_free(&w2);
	rp_buf_free(&w1);
	rp_manifest_free(&m);
}

static int ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void check_policy(const char *text, size_t len)
{
	rp_manifest m;
	rp_err err;
	memset(&m, 0, sizeof m);
	jv_arena_init(&m.arena, RP_MAX_JSON_ARENA_BYTES);
	rp_err_clear(&err);
	if (rp_anchor_policy_parse(&m, (const uint8_t *)text, len, &err) == 0) {
		CHECK(m.has_anchor_policy == (m.n_providers > 0));
		for (size_t i = 0; i < m.n_providers; i++) {
			const rp_anchor_provider *p = &m.providers[i];
			CHECK(p->provider_id.len > 0 && p->provider_id.s[0] != ' ');
			CHECK(p->anchor_type.len > 0);
			CHECK(p->n_required > 0);
			for (size_t j = 0; j < p->n_required; j++) {
				const rp_str *f = &p->required_fields[j];
				CHECK(f->len > 0 && !ws(f->s[0]) && !ws(f->s[f->len - 1]));
				if (j > 0) {
					const rp_str *g = &p->required_fields[j - 1];
					size_t mn = f->len < g->len ? f->len : g->len;
					int c = memcmp(g->s, f->s, mn);
					CHECK(c < 0 || (c == 0 && g->len < f->len));
				}
			}
			for (size_t k = 0; k < i; k++)
				CHECK(!(m.providers[k].provider_id.len == p->provider_id.len &&
					memcmp(m.providers[k].provider_id.s, p->provider_id.s,
					       p->provider_id.len) == 0));
		}
		/* pack writes a manifest around the policy: the bytes are canonical.
		 * (Every string field set, as job_pack does.) */
		const rp_str empty = { "", 0 };
		m.manifest_version = m.scenario_id = m.run_id = m.spec_hash = m.root_hash = empty;
		rp_buf w, canon;
		rp_buf_init(&w, (size_t)RP_MAX_ARTIFACT_BYTES);
		rp_buf_init(&canon, (size_t)RP_MAX_ARTIFACT_BYTES * 2);
		rp_err_clear(&err);
		if (rp_manifest_write_jcs(&m, &w, &err) == 0) {
			CHECK(jcs_canonicalize(w.data, w.len, RP_JCS_SERDE, &canon, &err) == 0);
			CHECK(canon.len == w.len && memcmp(canon.data, w.data, w.len) == 0);
		} else {
			CHECK(err.code == RP_E_LIMIT || err.code == RP_E_NOMEM);
		}
		rp_buf_free(&canon);
		rp_buf_free(&w);
	} else {
		CHECK(err.code != RP_OK);
	}
	rp_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_io *m = calloc(1, sizeof *m);
	CHECK(m != NULL);
	split_input(m, data, size);
	rp_io io = { .ops = &mem_ops, .self = m };

	char *prefix = control_str(m, "%prefix");
	char *name = control_str(m, "%name");
	char *policy = control_str(m, "%policy");
	if (name != NULL && rp_path_check(name, strlen(name)) != RP_PATH_OK) {
		/* The broker validates the name before the child sees it. */
		free(name);
		name = NULL;
	}
	rp_verify_opts opts = { .strict = lookup(m, "%lax", 4) == NULL, .store_prefix = prefix };

	rp_report rep;
	rp_err err;
	const char *used = NULL;
	rp_report_init(&rep);
	rp_err_clear(&err);
	int rc = rp_verify_runpack(&io, RP_ROOT_IN, name, &opts, &rep, &used, &err);
	if (rc != 0) {
		CHECK(rc == -1);
		CHECK(fatal_code(err.code));
		CHECK(m->injected || err.code == RP_E_NOMEM);
	} else {
		CHECK(used != NULL);
		check_reports(&rep);
	}
	rp_report_free(&rep);

	/* The leading manifest on its own: parse, write canonical, re-parse. */
	if (m->has_manifest)
		check_manifest_jcs(m->e[0].data, m->e[0].len);
	if (policy != NULL)
		check_policy(policy, strlen(policy));

	free(policy);
	free(name);
	free(prefix);
	free(m);
	return 0;
}
