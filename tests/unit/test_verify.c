/*
 * test_verify.c - cmocka tests of src/child/verify.c over an in-memory rp_io.
 *
 * Why: the verifier is the product. Its report must carry Decision Gate's
 * errors verbatim and in order (spec §9), rpvault's strict findings after
 * them (docs/format-strictness.md), and it must tell "the runpack is bad"
 * (a report) from "verification could not run" (-1: I/O, protocol). The
 * tests run it over an rp_io written here that serves a path -> bytes
 * table from memory and honours `max` exactly like the broker, so every
 * case is a few lines of data: the golden runpack from $SHARED, edited.
 * Edited runpacks get a manifest rebuilt by build_manifest() (fresh file
 * hashes and root hash), so each case fails for exactly one reason; the
 * builder is itself checked against the golden manifest byte for byte.
 * Security posture: test code; reads the shared fixtures, no other I/O.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child/manifest.h"
#include "child/verify.h"
#include "common/buf.h"
#include "common/io.h"
#include "common/limits.h"
#include "common/sha256.h"

#define GOLDEN_DIR "fixtures/runpacks/golden_time_after_pass/"
#define SPEC_HEX "5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8"
#define TRIGGERS_HEX "e34a5f6d953f87540a082ae36e1a954998dc49a86578b1141518771f7b997961"
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"
#define DECISIONS "artifacts/decisions.json"
#define GATE_EVALS "artifacts/gate_evals.json"
#define SPEC "artifacts/scenario_spec.json"
#define TRIGGERS "artifacts/triggers.json"
#define NOT_FOUND "artifact error: unable to read artifact metadata"
#define GOLDEN_ANCHOR "{\"anchor_type\":\"trigger_time_logical\",\"anchor_value\":\"2\"}"
#define COND_PREFIX "anchor invalid for condition after (trigger trigger-1, stage stage-1): "

static const char *const golden_paths[8] = {
	"artifacts/scenario_spec.json", "artifacts/triggers.json",    "artifacts/gate_evals.json",
	"artifacts/decisions.json",     "artifacts/packets.json",     "artifacts/submissions.json",
	"artifacts/tool_calls.json",    "artifacts/verifier_report.json"};
static const char *const golden_kinds[8] = {"scenario_spec", "trigger_log",    "gate_eval_log",   "decision_log",
					    "packet_log",    "submission_log", "tool_transcript", "verifier_report"};

/* ---- an in-memory rp_io ------------------------------------------------- */

typedef struct memfile {
	char *path;
	uint8_t *data;
	size_t len;
} memfile;

typedef struct memio {
	memfile files[32];
	size_t n;
	const char *fail_path; /* reads of this path fail with fail_code */
	rp_code fail_code;
	size_t reads;          /* read() calls */
	char read_log[2048];   /* the paths read, ';'-separated */
} memio;

static memfile *mem_find(memio *io, const char *path)
{
	for (size_t i = 0; i < io->n; i++)
		if (strcmp(io->files[i].path, path) == 0)
			return &io->files[i];
	return NULL;
}

static void mem_put(memio *io, const char *path, const void *data, size_t len)
{
	memfile *f = mem_find(io, path);
	if (f == NULL) {
		assert_true(io->n < sizeof io->files / sizeof io->files[0]);
		f = &io->files[io->n++];
		f->path = strdup(path);
		assert_non_null(f->path);
	} else {
		free(f->data);
	}
	f->data = malloc(len ? len : 1);
	assert_non_null(f->data);
	memcpy(f->data, data, len);
	f->len = len;
}

static void mem_put_str(memio *io, const char *path, const char *text)
{
	mem_put(io, path, text, strlen(text));
}

static void mem_del(memio *io, const char *path)
{
	memfile *f = mem_find(io, path);
	assert_non_null(f);
	free(f->path);
	free(f->data);
	*f = io->files[--io->n];
}

/* Returns the file as a NUL-terminated copy (for text edits). */
static char *mem_text(memio *io, const char *path)
{
	memfile *f = mem_find(io, path);
	assert_non_null(f);
	char *s = malloc(f->len + 1);
	assert_non_null(s);
	memcpy(s, f->data, f->len);
	s[f->len] = '\0';
	return s;
}

static void mem_free(memio *io)
{
	for (size_t i = 0; i < io->n; i++) {
		free(io->files[i].path);
		free(io->files[i].data);
	}
	io->n = 0;
}

/* Behaves like the broker's reader (src/common/io.h): size is checked
 * against max before any byte is delivered; bytes are streamed in small
 * chunks so the verifier's sinks see more than one call. */
static int mem_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn, void *fnctx,
		    rp_err *err)
{
	memio *io = self;
	io->reads++;
	size_t ll = strlen(io->read_log);
	snprintf(io->read_log + ll, sizeof io->read_log - ll, "%s;", path);
	if (root != RP_ROOT_IN)
		return rp_err_set(err, RP_E_INTERNAL, "memio: unexpected root %d", (int)root);
	if (io->fail_path != NULL && strcmp(path, io->fail_path) == 0)
		return rp_err_set(err, io->fail_code, "memio: injected failure for %s", path);
	memfile *f = mem_find(io, path);
	if (f == NULL)
		return rp_err_set(err, RP_E_NOTFOUND, NOT_FOUND);
	if ((uint64_t)f->len > max)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)", path, f->len,
				  (unsigned long long)max);
	size_t chunk = f->len > 4096 ? 65536 : 7;
	for (size_t o = 0; o < f->len; o += chunk) {
		size_t n = f->len - o < chunk ? f->len - o : chunk;
		if (fn(fnctx, f->data + o, n, err) != 0)
			return -1;
	}
	return 0;
}

static int mem_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n, rp_err *err)
{
	(void)self, (void)root, (void)path, (void)p, (void)n;
	return rp_err_set(err, RP_E_INTERNAL, "memio: write not supported");
}

static int mem_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max, rp_err *err)
{
	(void)self, (void)from, (void)to, (void)path, (void)max;
	return rp_err_set(err, RP_E_INTERNAL, "memio: copy not supported");
}

static int mem_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	(void)self, (void)prefix, (void)create;
	return rp_err_set(err, RP_E_INTERNAL, "memio: store_open not supported");
}

static int mem_commit(void *self, rp_err *err)
{
	(void)self;
	return rp_err_set(err, RP_E_INTERNAL, "memio: commit not supported");
}

static int mem_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	(void)self, (void)fn, (void)fnctx;
	return rp_err_set(err, RP_E_INTERNAL, "memio: list not supported");
}

static int mem_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	(void)self, (void)fd, (void)p, (void)n;
	return rp_err_set(err, RP_E_INTERNAL, "memio: output not supported");
}

static const rp_io_ops mem_ops = {mem_read, mem_write, mem_copy, mem_store_open, mem_commit, mem_list, mem_output};

/* ---- fixture ------------------------------------------------------------ */

static uint8_t *read_shared(const char *rel, size_t *len)
{
	const char *shared = getenv("SHARED");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", shared != NULL && shared[0] ? shared : "../shared", rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (set SHARED to the shared directory)", path);
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap + 1);
	assert_non_null(buf);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

typedef struct fixture {
	memio io;
	rp_io rio;
	char *golden_manifest;
} fixture;

/* The golden runpack: its eight artifacts and manifest.json. */
static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->rio.ops = &mem_ops;
	fx->rio.self = &fx->io;
	char rel[256];
	size_t len;
	for (size_t i = 0; i < 8; i++) {
		snprintf(rel, sizeof rel, GOLDEN_DIR "%s", golden_paths[i]);
		uint8_t *b = read_shared(rel, &len);
		mem_put(&fx->io, golden_paths[i], b, len);
		free(b);
	}
	fx->golden_manifest = (char *)read_shared(GOLDEN_DIR "manifest.json", &len);
	assert_int_equal(len, 3747);
	mem_put(&fx->io, "manifest.json", fx->golden_manifest, len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	mem_free(&fx->io);
	free(fx->golden_manifest);
	free(fx);
	return 0;
}

/* ---- building manifests ------------------------------------------------- */

typedef struct mopts {
	const char *version;       /* default "v1" */
	const char *anchor_policy; /* JSON text of the policy object, or NULL */
	const char *spec_hash;     /* default: sha256 of artifacts/scenario_spec.json */
	const char *root_hash;     /* default: the correct root */
	const char *run_id;        /* default "run-1" */
	const char *const *paths;  /* default: the golden eight, in order */
	size_t n_paths;
} mopts;

static void hash_of(memio *io, const char *path, char hex[65])
{
	memfile *f = mem_find(io, path);
	if (f != NULL)
		rp_sha256_hex(f->data, f->len, hex);
	else
		rp_sha256_hex("", 0, hex); /* listed but absent: any hash will do */
}

static const char *kind_of(const char *path)
{
	for (size_t i = 0; i < 8; i++)
		if (strcmp(golden_paths[i], path) == 0)
			return golden_kinds[i];
	return "custom";
}

/* A manifest in Decision Gate's JCS layout (spec §3.3) listing the given
 * paths with the hashes of the files as they are now in io. */
static char *build_manifest(memio *io, const mopts *o)
{
	static const mopts defaults = {0};
	if (o == NULL)
		o = &defaults;
	const char *const *paths = o->paths ? o->paths : golden_paths;
	size_t n = o->paths ? o->n_paths : 8;
	char hex[65], root[65], spec[65];
	rp_err err;
	rp_buf fh, b;
	rp_buf_init(&fh, 1 << 24);
	rp_buf_init(&b, 1 << 24);
	rp_err_clear(&err);
	/* the file_hashes list, whose JCS bytes the root hash covers (§5.2) */
	assert_int_equal(rp_buf_putc(&fh, '[', &err), 0);
	for (size_t i = 0; i < n; i++) {
		hash_of(io, paths[i], hex);
		assert_int_equal(rp_buf_printf(&fh, &err, "%s{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"path\":\"%s\"}",
					       i ? "," : "", hex, paths[i]),
				 0);
	}
	assert_int_equal(rp_buf_putc(&fh, ']', &err), 0);
	rp_sha256_hex(fh.data, fh.len, root);
	hash_of(io, SPEC, spec);

	assert_int_equal(rp_buf_putc(&b, '{', &err), 0);
	if (o->anchor_policy)
		assert_int_equal(rp_buf_printf(&b, &err, "\"anchor_policy\":%s,", o->anchor_policy), 0);
	assert_int_equal(rp_buf_puts(&b, "\"artifacts\":[", &err), 0);
	for (size_t i = 0; i < n; i++) {
		hash_of(io, paths[i], hex);
		assert_int_equal(rp_buf_printf(&b, &err,
					       "%s{\"artifact_id\":\"%s\",\"content_type\":\"application/json\",\"hash\":"
					       "{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"kind\":\"%s\",\"path\":\"%s\","
					       "\"required\":true}",
					       i ? "," : "", paths[i], hex, kind_of(paths[i]), paths[i]),
				 0);
	}
	assert_int_equal(rp_buf_printf(&b, &err,
				       "],\"generated_at\":{\"kind\":\"logical\",\"value\":10},\"hash_algorithm\":\"sha256\","
				       "\"integrity\":{\"file_hashes\":%.*s,\"root_hash\":{\"algorithm\":\"sha256\",\"value\":"
				       "\"%s\"}},\"manifest_version\":\"%s\",\"namespace_id\":1,\"run_id\":\"%s\","
				       "\"scenario_id\":\"golden-time-after\",\"security\":{\"dev_permissive\":false,"
				       "\"namespace_authority\":\"dg_registry\"},\"spec_hash\":{\"algorithm\":\"sha256\","
				       "\"value\":\"%s\"},\"tenant_id\":1,\"verifier_mode\":\"offline_strict\"}",
				       (int)fh.len, (const char *)fh.data, o->root_hash ? o->root_hash : root,
				       o->version ? o->version : "v1", o->run_id ? o->run_id : "run-1",
				       o->spec_hash ? o->spec_hash : spec),
			 0);
	assert_int_equal(rp_buf_cstr(&b, &err), 0);
	char *out = strdup((const char *)b.data);
	assert_non_null(out);
	rp_buf_free(&fh);
	rp_buf_free(&b);
	return out;
}

/* Copy of text with the first occurrence of old replaced (old must occur). */
static char *edit(const char *text, const char *old, const char *new)
{
	const char *at = strstr(text, old);
	if (at == NULL)
		fail_msg("edit: '%s' not found", old);
	size_t a = (size_t)(at - text), ol = strlen(old), nl = strlen(new), tl = strlen(text);
	char *out = malloc(tl - ol + nl + 1);
	assert_non_null(out);
	memcpy(out, text, a);
	memcpy(out + a, new, nl);
	memcpy(out + a + nl, at + ol, tl - a - ol + 1);
	return out;
}

/* Edits a file of io in place. */
static void edit_file(memio *io, const char *path, const char *old, const char *new)
{
	char *t = mem_text(io, path);
	char *e = edit(t, old, new);
	mem_put_str(io, path, e);
	free(e);
	free(t);
}

/* ---- running the verifier ----------------------------------------------- */

/* Parses text (must parse) and verifies it; returns rp_verify's result. */
static int verify_text(fixture *fx, const char *text, int strict, const char *store_prefix, rp_report *rep,
		       rp_err *err)
{
	rp_manifest m;
	rp_verify_opts opts = {strict, store_prefix};
	rp_err_clear(err);
	if (rp_manifest_parse(&m, (const uint8_t *)text, strlen(text), err) != 0)
		fail_msg("test manifest does not parse: %s", err->msg);
	rp_report_init(rep);
	fx->io.reads = 0;
	fx->io.read_log[0] = '\0';
	int rc = rp_verify(&fx->rio, RP_ROOT_IN, &m, &opts, rep, err);
	rp_manifest_free(&m);
	return rc;
}

static void dump(const rp_report *rep)
{
	for (size_t i = 0; i < rep->n_errors; i++)
		print_message("    error[%zu]: %s\n", i, rep->errors[i]);
}

/* The report must be exactly: checked files and the NULL-terminated list
 * of errors, in order. */
static void expect_report(const rp_report *rep, size_t checked, const char *const *errors)
{
	size_t n = 0;
	while (errors[n] != NULL)
		n++;
	if (rep->n_errors != n) {
		dump(rep);
		fail_msg("expected %zu errors, got %zu", n, rep->n_errors);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rep->errors[i], errors[i]) != 0) {
			dump(rep);
			fail_msg("error[%zu]: expected '%s', got '%s'", i, errors[i], rep->errors[i]);
		}
	}
	if (rep->checked_files != checked) {
		dump(rep);
		fail_msg("checked_files: expected %zu, got %zu", checked, rep->checked_files);
	}
	assert_int_equal(rp_report_pass(rep), n == 0);
	assert_int_equal(rep->dropped, 0);
}

#define ERRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ERRS ((const char *const[]){NULL})

/* Verifies text with strict on or off and expects the given report. */
static void check(fixture *fx, const char *text, int strict, size_t checked, const char *const *errors)
{
	rp_report rep;
	rp_err err;
	int rc = verify_text(fx, text, strict, NULL, &rep, &err);
	if (rc != 0)
		fail_msg("rp_verify could not run: %s (%s)", err.msg, rp_code_name(err.code));
	expect_report(&rep, checked, errors);
	rp_report_free(&rep);
}

/* Rebuilds the manifest from the current files and checks it. */
static void check_rebuilt(fixture *fx, const mopts *o, int strict, size_t checked, const char *const *errors)
{
	char *t = build_manifest(&fx->io, o);
	check(fx, t, strict, checked, errors);
	free(t);
}

/* ---- the builder itself ------------------------------------------------- */

static void test_builder_reproduces_golden_manifest(void **state)
{
	fixture *fx = *state;
	char *t = build_manifest(&fx->io, NULL);
	assert_string_equal(t, fx->golden_manifest);
	free(t);
}

/* ---- Decision Gate's checks --------------------------------------------- */

static void test_golden_passes(void **state)
{
	fixture *fx = *state;
	check(fx, fx->golden_manifest, 1, 8, NO_ERRS);
	/* each listed file once, then the decision log; no anchor policy */
	assert_int_equal(fx->io.reads, 9);
	assert_string_equal(fx->io.read_log,
			    "artifacts/scenario_spec.json;artifacts/triggers.json;artifacts/gate_evals.json;"
			    "artifacts/decisions.json;artifacts/packets.json;artifacts/submissions.json;"
			    "artifacts/tool_calls.json;artifacts/verifier_report.json;artifacts/decisions.json;");
	check(fx, fx->golden_manifest, 0, 8, NO_ERRS);
}

static void test_tampered_artifact(void **state)
{
	fixture *fx = *state;
	memfile *f = mem_find(&fx->io, TRIGGERS);
	char *t = mem_text(&fx->io, TRIGGERS);
	size_t n = strlen(t);
	t = realloc(t, n + 9);
	memcpy(t + n, "tampered", 9);
	mem_put_str(&fx->io, TRIGGERS, t);
	assert_int_equal(f->len, 218 + 8);
	check(fx, fx->golden_manifest, 1, 8, ERRS("hash mismatch for artifacts/triggers.json"));
	check(fx, fx->golden_manifest, 0, 8, ERRS("hash mismatch for artifacts/triggers.json"));
	free(t);
}

static void test_uppercase_file_hash_never_matches(void **state)
{
	fixture *fx = *state;
	/* hashes are compared as exact strings (spec §2.2) */
	char *t = edit(fx->golden_manifest, "\"value\":\"" TRIGGERS_HEX "\"},\"path\"",
		       "\"value\":\"E34A5F6D953F87540A082AE36E1A954998DC49A86578B1141518771F7B997961\"},\"path\"");
	rp_manifest m;
	rp_err err;
	char root[65];
	assert_int_equal(rp_manifest_parse(&m, (const uint8_t *)t, strlen(t), &err), 0);
	assert_int_equal(rp_manifest_root_hash(&m, root, &err), 0);
	rp_manifest_free(&m);
	char *t2 = edit(t, "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228", root);
	check(fx, t2, 0, 8, ERRS("hash mismatch for artifacts/triggers.json"));
	free(t2);
	free(t);
}

static void test_manifest_version_v2(void **state)
{
	fixture *fx = *state;
	mopts o = {.version = "v2"};
	check_rebuilt(fx, &o, 1, 0, ERRS("unsupported manifest version: v2"));
	assert_int_equal(fx->io.reads, 0); /* nothing else runs */
	o.version = "V1";
	check_rebuilt(fx, &o, 0, 0, ERRS("unsupported manifest version: V1"));
	assert_int_equal(fx->io.reads, 0);
}

static void test_root_hash_wrong(void **state)
{
	fixture *fx = *state;
	mopts o = {.root_hash = ZERO_HEX};
	check_rebuilt(fx, &o, 1, 8, ERRS("root hash mismatch"));
	o.root_hash = "FCECA5534F343D4266F89D29A1519A6C0ED2935964AD5757A70ED58661DBA228";
	check_rebuilt(fx, &o, 0, 8, ERRS("root hash mismatch"));
}

static void test_file_hashes_reordered(void **state)
{
	fixture *fx = *state;
	static const char *const swapped[8] = {
		"artifacts/triggers.json",   "artifacts/scenario_spec.json", "artifacts/gate_evals.json",
		"artifacts/decisions.json",  "artifacts/packets.json",       "artifacts/submissions.json",
		"artifacts/tool_calls.json", "artifacts/verifier_report.json"};
	mopts o = {.paths = swapped, .n_paths = 8,
		   .root_hash = "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228"};
	check_rebuilt(fx, &o, 1, 8, ERRS("root hash mismatch"));
}

static void test_duplicate_decision(void **state)
{
	fixture *fx = *state;
	mem_put_str(&fx->io, DECISIONS,
		    "[{\"correlation_id\":null,\"decided_at\":{\"kind\":\"logical\",\"value\":2},\"decision_id\":\"decision-1\","
		    "\"outcome\":{\"kind\":\"complete\",\"stage_id\":\"stage-1\"},\"seq\":1,\"stage_id\":\"stage-1\","
		    "\"trigger_id\":\"trigger-1\"},{\"correlation_id\":null,\"decided_at\":{\"kind\":\"logical\",\"value\":3},"
		    "\"decision_id\":\"decision-2\",\"outcome\":{\"kind\":\"fail\",\"reason\":\"r\"},\"seq\":2,"
		    "\"stage_id\":\"stage-1\",\"trigger_id\":\"trigger-1\"}]");
	check_rebuilt(fx, NULL, 1, 8, ERRS("duplicate decision for trigger trigger-1"));
}

static void test_decisions_not_a_list(void **state)
{
	fixture *fx = *state;
	mem_put_str(&fx->io, DECISIONS, "{\"not\":\"a list\"}");
	char *t = build_manifest(&fx->io, NULL);
	rp_report rep;
	rp_err err;
	assert_int_equal(verify_text(fx, t, 1, NULL, &rep, &err), 0);
	assert_int_equal(rep.n_errors, 1);
	assert_int_equal(rep.checked_files, 8);
	const char *prefix = "invalid decision log: ";
	if (strncmp(rep.errors[0], prefix, strlen(prefix)) != 0)
		fail_msg("got '%s'", rep.errors[0]);
	assert_non_null(strstr(rep.errors[0], "invalid type: map, expected a sequence"));
	rp_report_free(&rep);
	free(t);
}

static void test_decisions_bad_records(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *text, *prefix;
	} cases[] = {
		{"[", "invalid decision log: "},
		{"[{\"decided_at\":{\"kind\":\"logical\",\"value\":2},\"decision_id\":\"d\",\"outcome\":{\"kind\":\"explode\"},"
		 "\"seq\":1,\"stage_id\":\"s\",\"trigger_id\":\"t\"}]",
		 "invalid decision log: unknown variant `explode`, expected one of `start`, `complete`, `advance`, `hold`, "},
		{"[{\"decided_at\":{\"kind\":\"logical\",\"value\":2},\"decision_id\":\"d\",\"outcome\":{\"kind\":\"start\","
		 "\"stage_id\":\"s\"},\"seq\":1,\"stage_id\":\"s\"}]",
		 "invalid decision log: missing field `trigger_id`"},
		{"[1]", "invalid decision log: invalid type: integer `1`, expected struct DecisionRecord"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mem_put_str(&fx->io, DECISIONS, cases[i].text);
		char *t = build_manifest(&fx->io, NULL);
		rp_report rep;
		rp_err err;
		assert_int_equal(verify_text(fx, t, 1, NULL, &rep, &err), 0);
		if (rep.n_errors != 1 || strncmp(rep.errors[0], cases[i].prefix, strlen(cases[i].prefix)) != 0) {
			dump(&rep);
			fail_msg("case %zu: expected one error starting '%s'", i, cases[i].prefix);
		}
		rp_report_free(&rep);
		free(t);
	}
	/* an empty log is fine */
	mem_put_str(&fx->io, DECISIONS, "[]");
	check_rebuilt(fx, NULL, 1, 8, NO_ERRS);
}

static void test_missing_decisions_unlisted(void **state)
{
	fixture *fx = *state;
	static const char *const seven[7] = {
		"artifacts/scenario_spec.json", "artifacts/triggers.json",   "artifacts/gate_evals.json",
		"artifacts/packets.json",       "artifacts/submissions.json", "artifacts/tool_calls.json",
		"artifacts/verifier_report.json"};
	mem_del(&fx->io, DECISIONS);
	mopts o = {.paths = seven, .n_paths = 7};
	/* Decision Gate: only the decision-log error, checked_files 7 */
	check_rebuilt(fx, &o, 0, 7, ERRS("decision log read failed: " NOT_FOUND));
	/* rpvault adds that a standard artifact is not listed */
	check_rebuilt(fx, &o, 1, 7,
		      ERRS("decision log read failed: " NOT_FOUND,
			   "missing standard artifact: artifacts/decisions.json is not listed in integrity.file_hashes"));
}

static void test_missing_decisions_listed(void **state)
{
	fixture *fx = *state;
	mem_del(&fx->io, DECISIONS);
	check(fx, fx->golden_manifest, 1, 7,
	      ERRS("artifact read failed for artifacts/decisions.json: " NOT_FOUND,
		   "decision log read failed: " NOT_FOUND));
}

static void test_missing_artifact(void **state)
{
	fixture *fx = *state;
	mem_del(&fx->io, SPEC);
	/* strict: the spec hash cannot be compared without the spec: no extra error */
	check(fx, fx->golden_manifest, 1, 7, ERRS("artifact read failed for artifacts/scenario_spec.json: " NOT_FOUND));
}

static void test_too_large(void **state)
{
	fixture *fx = *state;
	size_t cap = (size_t)RP_MAX_ARTIFACT_BYTES;
	uint8_t *big = malloc(cap + 1);
	assert_non_null(big);
	/* exactly 16 MiB: a valid (empty) decision log, accepted */
	memset(big, ' ', cap);
	big[0] = '[';
	big[cap - 1] = ']';
	mem_put(&fx->io, DECISIONS, big, cap);
	check_rebuilt(fx, NULL, 1, 8, NO_ERRS);
	/* one byte more: refused by the reader, reported twice (spec §9) */
	big[cap - 1] = ' ';
	big[cap] = ']';
	mem_put(&fx->io, DECISIONS, big, cap + 1);
	free(big);
	check_rebuilt(fx, NULL, 1, 7,
		      ERRS("artifact read failed for artifacts/decisions.json: artifact too large: artifacts/decisions.json "
			   "(16777217 > 16777216)",
			   "decision log read failed: artifact too large: artifacts/decisions.json (16777217 > 16777216)"));
}

/* ---- could not run vs. bad runpack -------------------------------------- */

static void expect_fatal(fixture *fx, const char *path, rp_code code)
{
	rp_report rep;
	rp_err err;
	fx->io.fail_path = path;
	fx->io.fail_code = code;
	int rc = verify_text(fx, fx->golden_manifest, 1, NULL, &rep, &err);
	fx->io.fail_path = NULL;
	if (rc != -1) {
		dump(&rep);
		fail_msg("%s failure on %s: expected rp_verify to return -1", rp_code_name(code), path);
	}
	assert_int_equal(err.code, code);
	char want[256];
	snprintf(want, sizeof want, "memio: injected failure for %s", path);
	assert_string_equal(err.msg, want);
	rp_report_free(&rep);
}

static void test_io_failure_is_fatal(void **state)
{
	fixture *fx = *state;
	expect_fatal(fx, "artifacts/packets.json", RP_E_IO); /* in the file loop */
	expect_fatal(fx, SPEC, RP_E_IO);
	/* the decision log is read twice; fail only the second read by
	 * unlisting it from the manifest */
	static const char *const seven[7] = {
		"artifacts/scenario_spec.json", "artifacts/triggers.json",   "artifacts/gate_evals.json",
		"artifacts/packets.json",       "artifacts/submissions.json", "artifacts/tool_calls.json",
		"artifacts/verifier_report.json"};
	mopts o = {.paths = seven, .n_paths = 7};
	char *t = build_manifest(&fx->io, &o);
	rp_report rep;
	rp_err err;
	fx->io.fail_path = DECISIONS;
	fx->io.fail_code = RP_E_IO;
	assert_int_equal(verify_text(fx, t, 1, NULL, &rep, &err), -1);
	assert_int_equal(err.code, RP_E_IO);
	fx->io.fail_path = NULL;
	rp_report_free(&rep);
	free(t);
}

static void test_proto_failure_is_fatal(void **state)
{
	fixture *fx = *state;
	expect_fatal(fx, TRIGGERS, RP_E_PROTO);
	expect_fatal(fx, DECISIONS, RP_E_PROTO);
	expect_fatal(fx, "artifacts/verifier_report.json", RP_E_NOMEM);
}

static void test_content_errors_are_reported(void **state)
{
	fixture *fx = *state;
	/* symlinks and bad paths are the runpack's fault: a report, not -1 */
	fx->io.fail_path = TRIGGERS;
	fx->io.fail_code = RP_E_SYMLINK;
	check(fx, fx->golden_manifest, 1, 7,
	      ERRS("artifact read failed for artifacts/triggers.json: memio: injected failure for artifacts/triggers.json"));
	fx->io.fail_code = RP_E_PATH;
	check(fx, fx->golden_manifest, 0, 7,
	      ERRS("artifact read failed for artifacts/triggers.json: memio: injected failure for artifacts/triggers.json"));
	fx->io.fail_path = NULL;
}

/* ---- rpvault's strict checks -------------------------------------------- */

static void test_strict_spec_hash(void **state)
{
	fixture *fx = *state;
	mopts o = {.spec_hash = ZERO_HEX};
	check_rebuilt(fx, &o, 0, 8, NO_ERRS); /* Decision Gate does not check it */
	check_rebuilt(fx, &o, 1, 8,
		      ERRS("spec hash mismatch: manifest spec_hash is " ZERO_HEX
			   " but artifacts/scenario_spec.json hashes to " SPEC_HEX));
}

static void test_strict_empty_file_hashes(void **state)
{
	fixture *fx = *state;
	static const char *const none[1] = {NULL};
	mopts o = {.paths = none, .n_paths = 0};
	check_rebuilt(fx, &o, 0, 0, NO_ERRS); /* Decision Gate passes with 0 files */
	check_rebuilt(fx, &o, 1, 0,
		      ERRS("missing standard artifact: artifacts/scenario_spec.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/triggers.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/gate_evals.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/decisions.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/packets.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/submissions.json is not listed in integrity.file_hashes",
			   "missing standard artifact: artifacts/tool_calls.json is not listed in integrity.file_hashes"));
}

static void test_strict_duplicate_path(void **state)
{
	fixture *fx = *state;
	static const char *const nine[9] = {
		"artifacts/scenario_spec.json", "artifacts/triggers.json",   "artifacts/gate_evals.json",
		"artifacts/decisions.json",     "artifacts/packets.json",    "artifacts/submissions.json",
		"artifacts/tool_calls.json",    "artifacts/verifier_report.json", "artifacts/triggers.json"};
	mopts o = {.paths = nine, .n_paths = 9};
	check_rebuilt(fx, &o, 0, 9, NO_ERRS); /* counted twice upstream */
	check_rebuilt(fx, &o, 1, 9, ERRS("duplicate path in integrity.file_hashes: artifacts/triggers.json"));
}

static void test_strict_artifacts_index(void **state)
{
	fixture *fx = *state;
	/* artifacts[] comes before file_hashes: the first occurrence is artifacts[1].hash */
	char *t = edit(fx->golden_manifest, TRIGGERS_HEX, ZERO_HEX);
	check(fx, t, 0, 8, NO_ERRS);
	check(fx, t, 1, 8,
	      ERRS("artifact artifacts/triggers.json: artifacts[] hash " ZERO_HEX
		   " differs from integrity.file_hashes hash " TRIGGERS_HEX));
	free(t);
	/* an artifacts[] entry without a file entry, and the reverse */
	t = edit(fx->golden_manifest, "\"path\":\"artifacts/packets.json\",\"required\"",
		 "\"path\":\"artifacts/packets2.json\",\"required\"");
	check(fx, t, 0, 8, NO_ERRS);
	check(fx, t, 1, 8,
	      ERRS("artifact artifacts/packets2.json is listed in artifacts[] but not in integrity.file_hashes",
		   "file artifacts/packets.json is listed in integrity.file_hashes but not in artifacts[]"));
	free(t);
	/* fewer artifacts[] entries than files */
	const char *rec = strstr(fx->golden_manifest, ",{\"artifact_id\":\"artifacts/verifier_report.json\"");
	const char *end = strstr(fx->golden_manifest, "],\"generated_at\"");
	assert_non_null(rec);
	assert_non_null(end);
	char *cut = malloc(strlen(fx->golden_manifest) + 1);
	memcpy(cut, fx->golden_manifest, (size_t)(rec - fx->golden_manifest));
	strcpy(cut + (rec - fx->golden_manifest), end);
	check(fx, cut, 0, 8, NO_ERRS);
	check(fx, cut, 1, 8,
	      ERRS("artifacts[] lists 7 entries but integrity.file_hashes lists 8",
		   "file artifacts/verifier_report.json is listed in integrity.file_hashes but not in artifacts[]"));
	free(cut);
}

/*
 * Regression (fixed): the "artifacts[] hash X differs from integrity.file_hashes
 * hash Y" message renders X into b[0..600) and Y into b+300 - the same
 * buffer. Hash values are arbitrary manifest strings; once X is longer
 * than ~300 bytes the two renderings overwrite each other and the report
 * names the wrong hash.
 */
static void test_strict_artifacts_index_long_hash(void **state)
{
	fixture *fx = *state;
	char longhash[401];
	memset(longhash, 'f', 400);
	longhash[400] = '\0';
	char *t = edit(fx->golden_manifest, TRIGGERS_HEX, longhash);
	char want[1024];
	snprintf(want, sizeof want,
		 "artifact artifacts/triggers.json: artifacts[] hash %s differs from integrity.file_hashes hash " TRIGGERS_HEX,
		 longhash);
	check(fx, t, 1, 8, ERRS(want));
	free(t);
}

static void test_noncanonical_paths_not_read(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *path, *error;
	} cases[] = {
		{"artifacts//triggers.json",
		 "artifact read failed for artifacts//triggers.json: artifact error: non-canonical artifact path: empty component"},
		{"artifacts/./triggers.json",
		 "artifact read failed for artifacts/./triggers.json: artifact error: non-canonical artifact path: '.' component"},
		{"../_outside/empty_array.json",
		 "artifact read failed for ../_outside/empty_array.json: artifact error: artifact path escapes runpack root"},
		{"/etc/passwd", "artifact read failed for /etc/passwd: artifact error: absolute artifact path not allowed"},
		{"artifacts\\\\triggers.json",
		 "artifact read failed for artifacts\\triggers.json: artifact error: non-canonical artifact path: backslash"},
		{"artifacts/\\u0001.json",
		 "artifact read failed for artifacts/\\x01.json: artifact error: non-canonical artifact path: control character"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* the golden manifest with one file-hash path replaced; the
		 * root hash is recomputed so the path is the only defect */
		char path_json[128];
		snprintf(path_json, sizeof path_json, "\"path\":\"%s\"}", cases[i].path);
		char *t = edit(fx->golden_manifest, "\"path\":\"artifacts/packets.json\"}", path_json);
		rp_manifest m;
		rp_err err;
		char root[65];
		assert_int_equal(rp_manifest_parse(&m, (const uint8_t *)t, strlen(t), &err), 0);
		assert_int_equal(rp_manifest_root_hash(&m, root, &err), 0);
		rp_manifest_free(&m);
		char *t2 = edit(t, "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228", root);
		check(fx, t2, 0, 7, ERRS(cases[i].error));
		/* never handed to the reader */
		assert_int_equal(fx->io.reads, 8);
		assert_null(strstr(fx->io.read_log, "packets"));
		free(t2);
		free(t);
	}
}

static void test_store_prefix(void **state)
{
	fixture *fx = *state;
	const char *derived = "tenant/1/namespace/1/scenario/golden-time-after/run/run-1/spec/sha256/" SPEC_HEX "/";
	const char *other = "tenant/1/namespace/7/scenario/golden-time-after/run/run-1/spec/sha256/" SPEC_HEX "/";
	rp_report rep;
	rp_err err;
	assert_int_equal(verify_text(fx, fx->golden_manifest, 1, derived, &rep, &err), 0);
	expect_report(&rep, 8, NO_ERRS);
	rp_report_free(&rep);

	assert_int_equal(verify_text(fx, fx->golden_manifest, 1, other, &rep, &err), 0);
	char want[1024];
	snprintf(want, sizeof want, "storage key mismatch: the manifest derives %s but the runpack is stored at %s", derived,
		 other);
	expect_report(&rep, 8, ERRS(want));
	rp_report_free(&rep);

	/* a manifest whose ids cannot form a key */
	mopts o = {.run_id = "bad/run"};
	char *t = build_manifest(&fx->io, &o);
	assert_int_equal(verify_text(fx, t, 1, derived, &rep, &err), 0);
	expect_report(&rep, 8, ERRS("storage key: object store invalid: segment contains invalid characters"));
	rp_report_free(&rep);
	free(t);
}

/* ---- anchor policy ------------------------------------------------------ */

/* A policy with one provider; fields is a JSON array text. */
static char *policy(const char *provider, const char *anchor_type, const char *fields)
{
	char *p = malloc(512);
	assert_non_null(p);
	snprintf(p, 512,
		 "{\"providers\":[{\"provider_id\":\"%s\",\"requirement\":{\"anchor_type\":\"%s\",\"required_fields\":%s}}]}",
		 provider, anchor_type, fields);
	return p;
}

/* Replaces the golden evidence anchor with anchor_json (a JSON value text,
 * or "" to drop the key). */
static void set_anchor(fixture *fx, const char *anchor_json)
{
	char repl[512];
	if (anchor_json[0] == '\0')
		edit_file(&fx->io, GATE_EVALS, "\"evidence_anchor\":" GOLDEN_ANCHOR ",", "");
	else {
		snprintf(repl, sizeof repl, "\"evidence_anchor\":%s,", anchor_json);
		edit_file(&fx->io, GATE_EVALS, "\"evidence_anchor\":" GOLDEN_ANCHOR ",", repl);
	}
}

/* Sets the golden evidence's anchor_value to the JSON string holding text. */
static void set_anchor_value(fixture *fx, const char *anchor_type, const char *text)
{
	char anchor[512];
	size_t o = (size_t)snprintf(anchor, sizeof anchor, "{\"anchor_type\":\"%s\",\"anchor_value\":\"", anchor_type);
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			anchor[o++] = '\\';
		anchor[o++] = *p;
	}
	snprintf(anchor + o, sizeof anchor - o, "\"}");
	set_anchor(fx, anchor);
}

/* Verifies with the policy (strict on: hashes are fresh, so the only
 * errors are the anchor ones). */
static void check_anchor(fixture *fx, const char *pol, const char *const *errors)
{
	mopts o = {.anchor_policy = pol};
	check_rebuilt(fx, &o, 1, 8, errors);
}

static void test_anchor_golden_time_value_is_not_an_object(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	check_anchor(fx, p, ERRS(COND_PREFIX "anchor_value must be a JSON object"));
	/* the anchor check reads the spec and the gate evals after the decisions */
	assert_non_null(strstr(fx->io.read_log, "artifacts/decisions.json;artifacts/scenario_spec.json;"
						"artifacts/gate_evals.json;"));
	/* Decision Gate reports it too */
	mopts o = {.anchor_policy = p};
	char *t = build_manifest(&fx->io, &o);
	check(fx, t, 0, 8, ERRS(COND_PREFIX "anchor_value must be a JSON object"));
	free(t);
	free(p);
}

static void test_anchor_missing(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	set_anchor(fx, "null");
	check_anchor(fx, p, ERRS(COND_PREFIX "missing evidence_anchor"));
	free(p);
}

static void test_anchor_absent(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	set_anchor(fx, "");
	check_anchor(fx, p, ERRS(COND_PREFIX "missing evidence_anchor"));
	free(p);
}

static void test_anchor_type_mismatch(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "file_path_rooted", "[\"x\"]");
	check_anchor(fx, p, ERRS(COND_PREFIX "anchor_type mismatch: expected file_path_rooted got trigger_time_logical"));
	free(p);
}

static void test_anchor_value_not_json(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	set_anchor_value(fx, "trigger_time_logical", "{not json");
	check_anchor(fx, p, ERRS(COND_PREFIX "anchor_value must be canonical JSON"));
	free(p);
}

static void test_anchor_value_not_canonical_is_fine(void **state)
{
	fixture *fx = *state;
	/* "canonical" only means "parseable" (spec §17.5) */
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	set_anchor_value(fx, "trigger_time_logical", " { \"x\" : 1 , \"a\" : 2 } ");
	check_anchor(fx, p, NO_ERRS);
	free(p);
}

static void test_anchor_fields(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *value, *error;
	} cases[] = {
		{"{\"y\":1}", COND_PREFIX "anchor field x missing"},
		{"{\"x\":null}", COND_PREFIX "anchor field x must be set"},
		{"{\"x\":true}", COND_PREFIX "anchor field x must be string or number"},
		{"{\"x\":false}", COND_PREFIX "anchor field x must be string or number"},
		{"{\"x\":[1]}", COND_PREFIX "anchor field x must be scalar"},
		{"{\"x\":{}}", COND_PREFIX "anchor field x must be scalar"},
		{"{\"x\":\"s\"}", NULL},
		{"{\"x\":-1.5e3}", NULL},
		{"{\"x\":0}", NULL},
	};
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* each case starts from the golden gate evals */
		char rel[256];
		size_t len;
		snprintf(rel, sizeof rel, GOLDEN_DIR "%s", GATE_EVALS);
		uint8_t *b = read_shared(rel, &len);
		mem_put(&fx->io, GATE_EVALS, b, len);
		free(b);
		set_anchor_value(fx, "trigger_time_logical", cases[i].value);
		if (cases[i].error)
			check_anchor(fx, p, ERRS(cases[i].error));
		else
			check_anchor(fx, p, NO_ERRS);
	}
	free(p);
}

static void test_anchor_first_failing_field_in_order(void **state)
{
	fixture *fx = *state;
	char *p = policy("assetcore", "assetcore.anchor_set", "[\"assetcore.commit_id\",\"assetcore.namespace_id\"]");
	/* point the condition at provider assetcore */
	edit_file(&fx->io, SPEC, "\"provider_id\":\"time\"", "\"provider_id\":\"assetcore\"");
	set_anchor_value(fx, "assetcore.anchor_set", "{\"assetcore.namespace_id\":true}");
	check_anchor(fx, p, ERRS(COND_PREFIX "anchor field assetcore.commit_id missing"));
	free(p);
}

static void test_anchor_ok_object(void **state)
{
	fixture *fx = *state;
	char *p = policy("assetcore", "assetcore.anchor_set",
			 "[\"assetcore.commit_id\",\"assetcore.namespace_id\",\"assetcore.world_seq\"]");
	edit_file(&fx->io, SPEC, "\"provider_id\":\"time\"", "\"provider_id\":\"assetcore\"");
	set_anchor_value(fx, "assetcore.anchor_set",
			 "{\"assetcore.commit_id\":\"commit-1\",\"assetcore.namespace_id\":1,\"assetcore.world_seq\":42}");
	check_anchor(fx, p, NO_ERRS);
	free(p);
}

static void test_anchor_error_evidence_is_skipped(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	set_anchor(fx, "null");
	edit_file(&fx->io, GATE_EVALS, "\"error\":null", "\"error\":{\"code\":\"c\",\"details\":null,\"message\":\"m\"}");
	check_anchor(fx, p, NO_ERRS);
	free(p);
}

static void test_anchor_other_provider_is_skipped(void **state)
{
	fixture *fx = *state;
	char *p = policy("env", "env", "[\"x\"]");
	check_anchor(fx, p, NO_ERRS); /* the golden "2" would fail for provider time */
	free(p);
}

static void test_anchor_empty_policy_checks_nothing(void **state)
{
	fixture *fx = *state;
	check_anchor(fx, "{}", NO_ERRS);
	assert_null(strstr(fx->io.read_log, "decisions.json;artifacts/scenario_spec.json"));
	check_anchor(fx, "{\"providers\":[]}", NO_ERRS);
}

static void test_anchor_condition_missing_from_spec(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	edit_file(&fx->io, GATE_EVALS, "{\"condition_id\":\"after\",\"result\"", "{\"condition_id\":\"ghost\",\"result\"");
	check_anchor(fx, p, ERRS("condition ghost missing from scenario spec (trigger trigger-1, stage stage-1)"));
	free(p);
}

static void test_anchor_unreadable_logs(void **state)
{
	fixture *fx = *state;
	char *p = policy("time", "trigger_time_logical", "[\"x\"]");
	mopts o = {.anchor_policy = p};
	/* an unparsable gate eval log: one error, nothing else checked */
	mem_put_str(&fx->io, GATE_EVALS, "[{]");
	char *t = build_manifest(&fx->io, &o);
	rp_report rep;
	rp_err err;
	assert_int_equal(verify_text(fx, t, 1, NULL, &rep, &err), 0);
	if (rep.n_errors != 1 || strncmp(rep.errors[0], "invalid gate eval log: ", 23) != 0) {
		dump(&rep);
		fail_msg("expected one 'invalid gate eval log: ' error");
	}
	rp_report_free(&rep);
	free(t);
	/* a spec that is not a ScenarioSpec */
	mem_put_str(&fx->io, SPEC, "{\"scenario_id\":\"golden-time-after\"}");
	t = build_manifest(&fx->io, &o);
	assert_int_equal(verify_text(fx, t, 1, NULL, &rep, &err), 0);
	if (rep.n_errors != 1 || strncmp(rep.errors[0], "invalid scenario spec: missing field `namespace_id`", 51) != 0) {
		dump(&rep);
		fail_msg("expected one 'invalid scenario spec: missing field `namespace_id`' error");
	}
	rp_report_free(&rep);
	free(t);
	/* a missing spec: the file loop's error, then the anchor check's */
	mem_del(&fx->io, SPEC);
	t = build_manifest(&fx->io, &o);
	check(fx, t, 1, 7,
	      ERRS("artifact read failed for artifacts/scenario_spec.json: " NOT_FOUND,
		   "scenario spec read failed: " NOT_FOUND));
	free(t);
	free(p);
}

/* ---- rp_verify_runpack -------------------------------------------------- */

static int verify_runpack(fixture *fx, const char *name, rp_report *rep, const char **used, rp_err *err)
{
	rp_verify_opts opts = {1, NULL};
	rp_report_init(rep);
	rp_err_clear(err);
	*used = NULL;
	return rp_verify_runpack(&fx->rio, RP_ROOT_IN, name, &opts, rep, used, err);
}

static void test_runpack_manifest_json(void **state)
{
	fixture *fx = *state;
	rp_report rep;
	rp_err err;
	const char *used;
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), 0);
	expect_report(&rep, 8, NO_ERRS);
	assert_string_equal(used, "manifest.json");
	rp_report_free(&rep);
}

static void test_runpack_falls_back_to_runpack_json(void **state)
{
	fixture *fx = *state;
	mem_del(&fx->io, "manifest.json");
	mem_put_str(&fx->io, "runpack.json", fx->golden_manifest);
	rp_report rep;
	rp_err err;
	const char *used;
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), 0);
	expect_report(&rep, 8, NO_ERRS);
	assert_string_equal(used, "runpack.json");
	rp_report_free(&rep);
}

static void test_runpack_both_missing(void **state)
{
	fixture *fx = *state;
	mem_del(&fx->io, "manifest.json");
	rp_report rep;
	rp_err err;
	const char *used;
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), 0);
	expect_report(&rep, 0, ERRS("failed to read runpack manifest manifest.json: " NOT_FOUND));
	assert_string_equal(used, "manifest.json");
	rp_report_free(&rep);
}

static void test_runpack_explicit_name_has_no_fallback(void **state)
{
	fixture *fx = *state;
	mem_put_str(&fx->io, "runpack.json", fx->golden_manifest);
	rp_report rep;
	rp_err err;
	const char *used;
	assert_int_equal(verify_runpack(fx, "custom.json", &rep, &used, &err), 0);
	expect_report(&rep, 0, ERRS("failed to read runpack manifest custom.json: " NOT_FOUND));
	assert_string_equal(used, "custom.json");
	rp_report_free(&rep);
	mem_put_str(&fx->io, "sub/custom.json", fx->golden_manifest);
	assert_int_equal(verify_runpack(fx, "sub/custom.json", &rep, &used, &err), 0);
	expect_report(&rep, 8, NO_ERRS);
	assert_string_equal(used, "sub/custom.json");
	rp_report_free(&rep);
}

static void test_runpack_unparseable(void **state)
{
	fixture *fx = *state;
	rp_report rep;
	rp_err err;
	const char *used;
	mem_put_str(&fx->io, "manifest.json", "{");
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), 0);
	assert_int_equal(rep.n_errors, 1);
	assert_int_equal(rep.checked_files, 0);
	const char *prefix = "failed to parse runpack manifest manifest.json: ";
	if (strncmp(rep.errors[0], prefix, strlen(prefix)) != 0)
		fail_msg("got '%s'", rep.errors[0]);
	rp_report_free(&rep);
	/* the example of docs/format-strictness.md, exactly */
	char *t = edit(fx->golden_manifest, "\"run_id\":\"run-1\"", "\"run_id\":\"run-1\",\"run_id\":\"run-1\"");
	mem_put_str(&fx->io, "manifest.json", t);
	free(t);
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), 0);
	expect_report(&rep, 0,
		      ERRS("failed to parse runpack manifest manifest.json: duplicate field `run_id` at line 1 column 3494"));
	rp_report_free(&rep);
}

static void test_runpack_io_failure_is_fatal(void **state)
{
	fixture *fx = *state;
	rp_report rep;
	rp_err err;
	const char *used;
	fx->io.fail_path = "manifest.json";
	fx->io.fail_code = RP_E_IO;
	assert_int_equal(verify_runpack(fx, NULL, &rep, &used, &err), -1);
	assert_int_equal(err.code, RP_E_IO);
	assert_string_equal(err.msg, "memio: injected failure for manifest.json");
	rp_report_free(&rep);
	fx->io.fail_path = NULL;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_builder_reproduces_golden_manifest),
		T(test_golden_passes),
		T(test_tampered_artifact),
		T(test_uppercase_file_hash_never_matches),
		T(test_manifest_version_v2),
		T(test_root_hash_wrong),
		T(test_file_hashes_reordered),
		T(test_duplicate_decision),
		T(test_decisions_not_a_list),
		T(test_decisions_bad_records),
		T(test_missing_decisions_unlisted),
		T(test_missing_decisions_listed),
		T(test_missing_artifact),
		T(test_too_large),
		T(test_io_failure_is_fatal),
		T(test_proto_failure_is_fatal),
		T(test_content_errors_are_reported),
		T(test_strict_spec_hash),
		T(test_strict_empty_file_hashes),
		T(test_strict_duplicate_path),
		T(test_strict_artifacts_index),
		T(test_strict_artifacts_index_long_hash),
		T(test_noncanonical_paths_not_read),
		T(test_store_prefix),
		T(test_anchor_golden_time_value_is_not_an_object),
		T(test_anchor_missing),
		T(test_anchor_absent),
		T(test_anchor_type_mismatch),
		T(test_anchor_value_not_json),
		T(test_anchor_value_not_canonical_is_fine),
		T(test_anchor_fields),
		T(test_anchor_first_failing_field_in_order),
		T(test_anchor_ok_object),
		T(test_anchor_error_evidence_is_skipped),
		T(test_anchor_other_provider_is_skipped),
		T(test_anchor_empty_policy_checks_nothing),
		T(test_anchor_condition_missing_from_spec),
		T(test_anchor_unreadable_logs),
		T(test_runpack_manifest_json),
		T(test_runpack_falls_back_to_runpack_json),
		T(test_runpack_both_missing),
		T(test_runpack_explicit_name_has_no_fallback),
		T(test_runpack_unparseable),
		T(test_runpack_io_failure_is_fatal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
