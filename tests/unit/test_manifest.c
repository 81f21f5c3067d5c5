/*
 * test_manifest.c - cmocka tests of src/child/manifest.c.
 *
 * Why: the manifest is the one untrusted document every verdict starts
 * from. The parser must accept exactly what Decision Gate's serde types
 * accept (unknown keys ignored, null == absent for Option fields, escapes
 * decoded) and reject the rest with serde's message shapes; the writer
 * must reproduce Decision Gate's bytes, since the root hash and the golden
 * byte-for-byte comparisons depend on them (spec §3, §5.2, §6). The golden
 * manifest is read from $SHARED so the expected bytes are Decision Gate's,
 * not ours. Also covers rp_anchor_policy_parse, the --anchor-policy
 * normalisation of Decision Gate's config (spec §3.1).
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
#include "common/limits.h"

#define GOLDEN_MANIFEST "fixtures/runpacks/golden_time_after_pass/manifest.json"
#define ROOT_HEX "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228"
#define SPEC_HEX "5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8"

/* ---- helpers ------------------------------------------------------------ */

static char *read_shared(const char *rel, size_t *len)
{
	const char *shared = getenv("SHARED");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", shared != NULL && shared[0] ? shared : "../shared", rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (set SHARED to the shared directory)", path);
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap + 1);
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

static char *golden(void)
{
	size_t len;
	char *g = read_shared(GOLDEN_MANIFEST, &len);
	assert_int_equal(len, 3747); /* spec §3.3 */
	return g;
}

/* Returns a copy of text with the first occurrence of old replaced by new
 * (old must occur). */
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

/* edit() that frees its input, for chains. */
static char *edit_f(char *text, const char *old, const char *new)
{
	char *r = edit(text, old, new);
	free(text);
	return r;
}

static int parse(rp_manifest *m, const char *text, rp_err *err)
{
	rp_err_clear(err);
	return rp_manifest_parse(m, (const uint8_t *)text, strlen(text), err);
}

/* Parses text, which must fail with code and a message starting with prefix. */
static void expect_reject(const char *text, rp_code code, const char *prefix)
{
	rp_manifest m;
	rp_err err;
	int rc = parse(&m, text, &err);
	rp_manifest_free(&m);
	if (rc == 0)
		fail_msg("accepted; expected '%s'", prefix);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("expected message starting '%s', got '%s'", prefix, err.msg);
	if (err.code != code)
		fail_msg("expected code %s, got %s (%s)", rp_code_name(code), rp_code_name(err.code), err.msg);
}

static int str_is(rp_str s, const char *want)
{
	return s.s != NULL && s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

#define assert_str(rs, want)                                                                            \
	do {                                                                                           \
		if (!str_is((rs), (want)))                                                             \
			fail_msg("%s: expected '%s', got '%.*s'", #rs, (want), (int)(rs).len,          \
				 (rs).s ? (rs).s : "(null)");                                          \
	} while (0)

/* Writes m with rp_manifest_write_jcs and compares with want, byte for byte. */
static void expect_written(const rp_manifest *m, const char *want)
{
	rp_buf b;
	rp_err err;
	rp_err_clear(&err);
	rp_buf_init(&b, 1 << 20);
	assert_int_equal(rp_manifest_write_jcs(m, &b, &err), 0);
	size_t wl = strlen(want);
	if (b.len != wl || memcmp(b.data, want, wl) != 0) {
		size_t i = 0;
		while (i < b.len && i < wl && b.data[i] == (uint8_t)want[i])
			i++;
		fail_msg("written manifest differs at byte %zu (len %zu vs %zu): ...%.40s... vs ...%.40s...", i, b.len,
			 wl, (const char *)b.data + (i > 10 ? i - 10 : 0), want + (i > 10 ? i - 10 : 0));
	}
	rp_buf_free(&b);
}

/* ---- the golden manifest ------------------------------------------------ */

static void test_golden_fields(void **state)
{
	(void)state;
	char *g = golden();
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, g, &err), 0);
	assert_str(m.manifest_version, "v1");
	assert_int_equal(m.ts_kind, 0);
	assert_int_equal(m.ts_logical, 10);
	assert_str(m.scenario_id, "golden-time-after");
	assert_int_equal(m.tenant_id, 1);
	assert_int_equal(m.namespace_id, 1);
	assert_str(m.run_id, "run-1");
	assert_str(m.spec_hash, SPEC_HEX);
	assert_int_equal(m.verifier_mode, 0);
	assert_int_equal(m.has_anchor_policy, 0);
	assert_int_equal(m.n_providers, 0);
	assert_int_equal(m.has_security, 1);
	assert_int_equal(m.dev_permissive, 0);
	assert_str(m.namespace_authority, "dg_registry");
	assert_str(m.root_hash, ROOT_HEX);

	static const char *const paths[8] = {
		"artifacts/scenario_spec.json", "artifacts/triggers.json",    "artifacts/gate_evals.json",
		"artifacts/decisions.json",     "artifacts/packets.json",     "artifacts/submissions.json",
		"artifacts/tool_calls.json",    "artifacts/verifier_report.json"};
	static const char *const kinds[8] = {"scenario_spec", "trigger_log",    "gate_eval_log",   "decision_log",
					     "packet_log",    "submission_log", "tool_transcript", "verifier_report"};
	static const char *const hashes[8] = {
		SPEC_HEX,
		"e34a5f6d953f87540a082ae36e1a954998dc49a86578b1141518771f7b997961",
		"da15da30e250841b80592d11301b5ce61147a2b50578148bb968fb9410cb6819",
		"505cc48eae0449080e4fc9cf70ba13c45448df1d72959ec7c4f36fe2c9055e7e",
		"4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
		"4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
		"d916b026b460b98521da2047424297d283b86e5eac9331e01d4f8cbac87e1468",
		"62cf8027f5db7c74963331768ce38fb9684e227460e97adab6d61f21d2cf7a5a"};
	assert_int_equal(m.n_files, 8);
	assert_int_equal(m.n_artifacts, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_str(m.files[i].path, paths[i]);
		assert_str(m.files[i].hash, hashes[i]);
		assert_str(m.artifacts[i].artifact_id, paths[i]);
		assert_str(m.artifacts[i].path, paths[i]);
		assert_str(m.artifacts[i].kind, kinds[i]);
		assert_str(m.artifacts[i].hash, hashes[i]);
		assert_str(m.artifacts[i].content_type, "application/json");
		assert_int_equal(m.artifacts[i].required, 1);
	}
	rp_manifest_free(&m);
	free(g);
}

static void test_golden_write_jcs_byte_for_byte(void **state)
{
	(void)state;
	char *g = golden();
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, g, &err), 0);
	expect_written(&m, g);
	rp_manifest_free(&m);
	free(g);
}

static void test_golden_root_hash(void **state)
{
	(void)state;
	char *g = golden();
	rp_manifest m;
	rp_err err;
	char hex[65];
	memset(hex, 'X', sizeof hex);
	assert_int_equal(parse(&m, g, &err), 0);
	assert_int_equal(rp_manifest_root_hash(&m, hex, &err), 0);
	assert_string_equal(hex, ROOT_HEX);
	rp_manifest_free(&m);
	free(g);
}

static void test_golden_file_hashes_jcs(void **state)
{
	(void)state;
	char *g = golden();
	rp_manifest m;
	rp_err err;
	rp_buf b;
	rp_buf_init(&b, 1 << 20);
	assert_int_equal(parse(&m, g, &err), 0);
	assert_int_equal(rp_manifest_file_hashes_jcs(&m, &b, &err), 0);
	assert_int_equal(b.len, 1140); /* spec §6 step 3 */
	/* ... and they are the manifest's own bytes at offset 2174 (spec §6) */
	assert_memory_equal(b.data, g + 2174, 1140);
	assert_memory_equal(b.data,
			    "[{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" SPEC_HEX
			    "\"},\"path\":\"artifacts/scenario_spec.json\"},",
			    144 + 2);
	rp_buf_free(&b);
	rp_manifest_free(&m);
	free(g);
}

static void test_empty_file_hashes_root(void **state)
{
	(void)state;
	/* an empty list hashes "[]" (spec §5.2) */
	char *g = golden();
	const char *fh = strstr(g, "\"file_hashes\":[");
	const char *end = strstr(g, "],\"root_hash\"");
	assert_non_null(fh);
	assert_non_null(end);
	size_t a = (size_t)(fh - g) + strlen("\"file_hashes\":[");
	char *t = malloc(strlen(g) + 1);
	memcpy(t, g, a);
	strcpy(t + a, end);
	rp_manifest m;
	rp_err err;
	char hex[65];
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.n_files, 0);
	assert_int_equal(rp_manifest_root_hash(&m, hex, &err), 0);
	assert_string_equal(hex, "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
	rp_manifest_free(&m);
	free(t);
	free(g);
}

/* ---- rejections --------------------------------------------------------- */

static void test_reject_missing_field(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"run_id\":\"run-1\",", "");
	expect_reject(t, RP_E_FORMAT, "missing field `run_id`");
	free(t);
	t = edit_f(golden(), "\"manifest_version\":\"v1\",", "");
	expect_reject(t, RP_E_FORMAT, "missing field `manifest_version`");
	free(t);
	t = edit_f(golden(), ",\"root_hash\":{\"algorithm\":\"sha256\",\"value\":\"" ROOT_HEX "\"}", "");
	expect_reject(t, RP_E_FORMAT, "missing field `root_hash`");
	free(t);
}

static void test_reject_duplicate_field(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"run_id\":\"run-1\"", "\"run_id\":\"run-1\",\"run_id\":\"run-1\"");
	expect_reject(t, RP_E_FORMAT, "duplicate field `run_id`");
	free(t);
	/* even when the second copy is identical and nested */
	t = edit_f(golden(), "\"dev_permissive\":false", "\"dev_permissive\":false,\"dev_permissive\":false");
	expect_reject(t, RP_E_FORMAT, "duplicate field `dev_permissive`");
	free(t);
}

static void test_reject_tenant_values(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":0");
	expect_reject(t, RP_E_FORMAT, "invalid value: integer `0`, expected a nonzero u64");
	free(t);
	t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":\"1\"");
	expect_reject(t, RP_E_FORMAT, "invalid type: string \"1\", expected a nonzero u64");
	free(t);
	t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":1.0");
	expect_reject(t, RP_E_FORMAT, "invalid type: floating point `1`, expected a nonzero u64");
	free(t);
	t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":-1");
	expect_reject(t, RP_E_FORMAT, "invalid type: integer `-1`, expected a nonzero u64");
	free(t);
	t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":18446744073709551616");
	expect_reject(t, RP_E_FORMAT, "invalid type: floating point");
	free(t);
	t = edit_f(golden(), "\"namespace_id\":1", "\"namespace_id\":0");
	expect_reject(t, RP_E_FORMAT, "invalid value: integer `0`, expected a nonzero u64");
	free(t);
}

static void test_reject_hash_algorithm(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"hash_algorithm\":\"sha256\"", "\"hash_algorithm\":\"sha512\"");
	expect_reject(t, RP_E_FORMAT, "unknown variant `sha512`, expected `sha256`");
	free(t);
	t = edit_f(golden(), "\"hash_algorithm\":\"sha256\"", "\"hash_algorithm\":\"SHA256\"");
	expect_reject(t, RP_E_FORMAT, "unknown variant `SHA256`, expected `sha256`");
	free(t);
	/* inside a digest too */
	t = edit_f(golden(), "\"root_hash\":{\"algorithm\":\"sha256\"", "\"root_hash\":{\"algorithm\":\"sha512\"");
	expect_reject(t, RP_E_FORMAT, "unknown variant `sha512`, expected `sha256`");
	free(t);
}

/*
 * Regression (fixed): serde's OneOf writes "`a` or `b`" for two variants, without
 * "one of" (spec §2.3: ``unknown variant `rfc3339`, expected `unix_millis`
 * or `logical` ``); rpvault writes "expected one of `unix_millis` or
 * `logical`".
 */
static void test_reject_timestamp_kind_rfc3339(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "{\"kind\":\"logical\",\"value\":10}", "{\"kind\":\"rfc3339\",\"value\":10}");
	expect_reject(t, RP_E_FORMAT, "unknown variant `rfc3339`, expected `unix_millis` or `logical` at line 1 column ");
	free(t);
}

static void test_reject_timestamps(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "{\"kind\":\"logical\",\"value\":10}", "{\"kind\":\"logical\"}");
	expect_reject(t, RP_E_FORMAT, "missing field `value`");
	free(t);
	t = edit_f(golden(), "{\"kind\":\"logical\",\"value\":10}", "{\"kind\":\"logical\",\"value\":10.0}");
	expect_reject(t, RP_E_FORMAT, "invalid type: floating point `10`, expected u64");
	free(t);
}

static void test_reject_security_without_authority(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "{\"dev_permissive\":false,\"namespace_authority\":\"dg_registry\"}",
		       "{\"dev_permissive\":false}");
	expect_reject(t, RP_E_FORMAT, "missing field `namespace_authority`");
	free(t);
}

static void test_reject_non_object(void **state)
{
	(void)state;
	expect_reject("[]", RP_E_FORMAT, "invalid type: sequence, expected struct RunpackManifest");
	expect_reject("\"manifest\"", RP_E_FORMAT, "invalid type: string \"manifest\", expected struct RunpackManifest");
	expect_reject("42", RP_E_FORMAT, "invalid type: integer `42`, expected struct RunpackManifest");
	expect_reject("null", RP_E_FORMAT, "invalid type: null, expected struct RunpackManifest");
	/* and text that is not JSON at all */
	expect_reject("", RP_E_JSON, "");
	expect_reject("{", RP_E_JSON, "");
	char *g = golden();
	size_t gl = strlen(g);
	char *bom = malloc(gl + 4);
	memcpy(bom, "\xef\xbb\xbf", 3);
	memcpy(bom + 3, g, gl + 1);
	expect_reject(bom, RP_E_JSON, "expected value at line 1 column 1");
	char *trail = malloc(gl + 3);
	memcpy(trail, g, gl);
	memcpy(trail + gl, " x", 3);
	expect_reject(trail, RP_E_JSON, "trailing characters");
	free(bom);
	free(trail);
	free(g);
}

/* A manifest whose file_hashes (or artifacts) has n copies of one entry. */
static char *with_n_entries(size_t n, int artifacts)
{
	static const char fh_entry[] = "{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" SPEC_HEX
				       "\"},\"path\":\"artifacts/scenario_spec.json\"}";
	static const char ar_entry[] = "{\"artifact_id\":\"a\",\"content_type\":null,\"hash\":{\"algorithm\":\"sha256\","
				       "\"value\":\"" SPEC_HEX "\"},\"kind\":\"custom\",\"path\":\"a\",\"required\":true}";
	const char *entry = artifacts ? ar_entry : fh_entry;
	size_t el = strlen(entry);
	char *list = malloc(n * (el + 1) + 3);
	assert_non_null(list);
	size_t o = 0;
	list[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			list[o++] = ',';
		memcpy(list + o, entry, el);
		o += el;
	}
	list[o++] = ']';
	list[o] = '\0';
	char *g = golden();
	const char *key = artifacts ? "\"artifacts\":[" : "\"file_hashes\":[";
	const char *endkey = artifacts ? "],\"generated_at\"" : "],\"root_hash\"";
	const char *a = strstr(g, key), *e = strstr(g, endkey);
	assert_non_null(a);
	assert_non_null(e);
	size_t head = (size_t)(a - g) + strlen(key) - 1; /* up to, not including, '[' */
	char *out = malloc(strlen(g) + o + 1);
	assert_non_null(out);
	memcpy(out, g, head);
	memcpy(out + head, list, o);
	strcpy(out + head + o, e + 1);
	free(list);
	free(g);
	return out;
}

static void test_entry_limit(void **state)
{
	(void)state;
	rp_manifest m;
	rp_err err;
	char *t = with_n_entries(RP_MAX_MANIFEST_ENTRIES, 0);
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.n_files, RP_MAX_MANIFEST_ENTRIES);
	rp_manifest_free(&m);
	free(t);

	t = with_n_entries(RP_MAX_MANIFEST_ENTRIES + 1, 0);
	expect_reject(t, RP_E_LIMIT, "integrity.file_hashes has 4097 entries (limit 4096)");
	free(t);

	t = with_n_entries(RP_MAX_MANIFEST_ENTRIES, 1);
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.n_artifacts, RP_MAX_MANIFEST_ENTRIES);
	rp_manifest_free(&m);
	free(t);

	t = with_n_entries(RP_MAX_MANIFEST_ENTRIES + 1, 1);
	expect_reject(t, RP_E_LIMIT, "artifacts has 4097 entries (limit 4096)");
	free(t);
}

/*
 * Regression (fixed): for three or more variants serde writes "one of `a`, `b`, `c`"
 * with no "or" (spec §7: "expected one of `start`, `complete`, `advance`,
 * `hold`, `fail`"); rpvault writes "..., `verifier_report`, or `custom`".
 */
static void test_reject_bad_artifact_kind(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"kind\":\"decision_log\"", "\"kind\":\"decisions\"");
	expect_reject(t, RP_E_FORMAT,
		      "unknown variant `decisions`, expected one of `scenario_spec`, `trigger_log`, `gate_eval_log`, "
		      "`decision_log`, `packet_log`, `dispatch_log`, `evidence_log`, `submission_log`, "
		      "`tool_transcript`, `verifier_report`, `custom` at line 1 column ");
	free(t);
}

/* ---- acceptance --------------------------------------------------------- */

static void test_accept_unknown_keys_everywhere(void **state)
{
	(void)state;
	char *g = golden();
	char *t = edit(g, "{\"artifacts\":[", "{\"zz_top\":{\"x\":[1,2,{}]},\"artifacts\":[");
	t = edit_f(t, "\"required\":true}", "\"required\":true,\"extra\":null}");
	t = edit_f(t, "{\"kind\":\"logical\",\"value\":10}", "{\"kind\":\"logical\",\"value\":10,\"tz\":\"utc\"}");
	t = edit_f(t, "\"path\":\"artifacts/triggers.json\"}", "\"path\":\"artifacts/triggers.json\",\"size\":218}");
	t = edit_f(t, "\"root_hash\":{\"algorithm\":\"sha256\",", "\"root_hash\":{\"algorithm\":\"sha256\",\"note\":1,");
	t = edit_f(t, "\"integrity\":{", "\"integrity\":{\"signed\":false,");
	t = edit_f(t, "\"namespace_authority\":\"dg_registry\"}", "\"namespace_authority\":\"dg_registry\",\"x\":[]}");
	rp_manifest m;
	rp_err err;
	if (parse(&m, t, &err) != 0)
		fail_msg("unknown keys rejected: %s", err.msg);
	/* they are dropped: the canonical form is the golden one */
	expect_written(&m, g);
	char hex[65];
	assert_int_equal(rp_manifest_root_hash(&m, hex, &err), 0);
	assert_string_equal(hex, ROOT_HEX);
	rp_manifest_free(&m);
	free(t);
	free(g);
}

static void test_accept_null_and_absent_content_type(void **state)
{
	(void)state;
	char *g = golden();
	char *t = edit(g, "\"content_type\":\"application/json\"", "\"content_type\":null");
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_null(m.artifacts[0].content_type.s);
	assert_str(m.artifacts[1].content_type, "application/json");
	expect_written(&m, t); /* re-serialized as null */
	rp_manifest_free(&m);

	char *t2 = edit(g, "\"content_type\":\"application/json\",", "");
	assert_int_equal(parse(&m, t2, &err), 0);
	assert_null(m.artifacts[0].content_type.s);
	expect_written(&m, t); /* absent is written as null, too */
	rp_manifest_free(&m);
	free(t2);
	free(t);
	free(g);
}

static void test_accept_absent_security_and_anchor_policy(void **state)
{
	(void)state;
	char *g = golden();
	char *t = edit(g, "\"security\":{\"dev_permissive\":false,\"namespace_authority\":\"dg_registry\"},", "");
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_security, 0);
	assert_int_equal(m.has_anchor_policy, 0);
	expect_written(&m, t);
	rp_manifest_free(&m);
	free(t);

	/* null means absent */
	t = edit(g, "\"security\":{\"dev_permissive\":false,\"namespace_authority\":\"dg_registry\"}",
		 "\"security\":null");
	t = edit_f(t, "{\"artifacts\":", "{\"anchor_policy\":null,\"artifacts\":");
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_security, 0);
	assert_int_equal(m.has_anchor_policy, 0);
	rp_manifest_free(&m);
	free(t);

	/* dev_permissive true round-trips */
	t = edit(g, "\"dev_permissive\":false", "\"dev_permissive\":true");
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_security, 1);
	assert_int_equal(m.dev_permissive, 1);
	expect_written(&m, t);
	rp_manifest_free(&m);
	free(t);
	free(g);
}

static void test_accept_empty_anchor_policy(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "{\"artifacts\":", "{\"anchor_policy\":{},\"artifacts\":");
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_anchor_policy, 1);
	assert_int_equal(m.n_providers, 0);
	rp_manifest_free(&m);
	free(t);
	t = edit_f(golden(), "{\"artifacts\":", "{\"anchor_policy\":{\"providers\":[]},\"artifacts\":");
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_anchor_policy, 1);
	assert_int_equal(m.n_providers, 0);
	rp_manifest_free(&m);
	free(t);
}

static void test_accept_anchor_policy_verbatim(void **state)
{
	(void)state;
	/* the manifest parser does NOT normalise: a manifest says what it says */
	static const char pol[] = "{\"anchor_policy\":{\"providers\":[{\"provider_id\":\"time\",\"requirement\":"
				  "{\"anchor_type\":\"t\",\"required_fields\":[\"b\",\" a\",\"b\"]}},{\"provider_id\":"
				  "\"env\",\"requirement\":{\"anchor_type\":\"e\",\"required_fields\":[]}}]},\"artifacts\":";
	char *t = edit_f(golden(), "{\"artifacts\":", pol);
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.has_anchor_policy, 1);
	assert_int_equal(m.n_providers, 2);
	assert_str(m.providers[0].provider_id, "time");
	assert_str(m.providers[0].anchor_type, "t");
	assert_int_equal(m.providers[0].n_required, 3);
	assert_str(m.providers[0].required_fields[0], "b");
	assert_str(m.providers[0].required_fields[1], " a");
	assert_str(m.providers[0].required_fields[2], "b");
	assert_str(m.providers[1].provider_id, "env");
	assert_int_equal(m.providers[1].n_required, 0);
	expect_written(&m, t);
	rp_manifest_free(&m);
	free(t);
}

static void test_accept_escaped_slash_in_paths(void **state)
{
	(void)state;
	char *g = golden();
	char *t = edit(g, "\"path\":\"artifacts/triggers.json\"}", "\"path\":\"artifacts\\/triggers.json\"}");
	t = edit_f(t, "\"path\":\"artifacts/scenario_spec.json\"}", "\"path\":\"artifacts\\u002fscenario_spec.json\"}");
	assert_null(strstr(t, "\"path\":\"artifacts/triggers.json\"}"));
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.n_files, 8);
	assert_str(m.artifacts[1].path, "artifacts/triggers.json");
	assert_str(m.files[0].path, "artifacts/scenario_spec.json");
	assert_str(m.files[1].path, "artifacts/triggers.json");
	/* decoded before hashing: the root hash is unchanged */
	char hex[65];
	assert_int_equal(rp_manifest_root_hash(&m, hex, &err), 0);
	assert_string_equal(hex, ROOT_HEX);
	expect_written(&m, g);
	rp_manifest_free(&m);
	free(t);
	free(g);
}

static void test_accept_pretty_and_reordered(void **state)
{
	(void)state;
	/* whitespace and member order do not matter */
	char *g = golden();
	char *t = edit(g, "{\"artifacts\":", "{\n  \"tenant_id\" : 1 ,\n  \"artifacts\" :\n");
	t = edit_f(t, ",\"tenant_id\":1,", ",");
	rp_manifest m;
	rp_err err;
	if (parse(&m, t, &err) != 0)
		fail_msg("pretty manifest rejected: %s", err.msg);
	assert_int_equal(m.tenant_id, 1);
	expect_written(&m, g);
	rp_manifest_free(&m);
	free(t);
	free(g);
}

static void test_unix_millis_timestamp(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "{\"kind\":\"logical\",\"value\":10}", "{\"kind\":\"unix_millis\",\"value\":-1700000000000}");
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.ts_kind, 1);
	assert_true(m.ts_millis == -1700000000000LL);
	expect_written(&m, t);
	rp_manifest_free(&m);
	free(t);
	/* value before kind is fine; the writer restores the order */
	t = edit_f(golden(), "{\"kind\":\"logical\",\"value\":10}", "{\"value\":18446744073709551615,\"kind\":\"logical\"}");
	assert_int_equal(parse(&m, t, &err), 0);
	assert_int_equal(m.ts_kind, 0);
	assert_true(m.ts_logical == UINT64_MAX);
	rp_manifest_free(&m);
	free(t);
}

static void test_large_ids_written_exactly(void **state)
{
	(void)state;
	char *t = edit_f(golden(), "\"tenant_id\":1", "\"tenant_id\":18446744073709551615");
	t = edit_f(t, "\"namespace_id\":1", "\"namespace_id\":9007199254740993");
	rp_manifest m;
	rp_err err;
	assert_int_equal(parse(&m, t, &err), 0);
	assert_true(m.tenant_id == UINT64_MAX);
	assert_true(m.namespace_id == 9007199254740993ULL);
	expect_written(&m, t);
	rp_manifest_free(&m);
	free(t);
}

/* ---- rp_anchor_policy_parse --------------------------------------------- */

static int policy(rp_manifest *m, const char *text, rp_err *err)
{
	memset(m, 0, sizeof *m);
	jv_arena_init(&m->arena, RP_MAX_JSON_ARENA_BYTES);
	rp_err_clear(err);
	return rp_anchor_policy_parse(m, (const uint8_t *)text, strlen(text), err);
}

static void expect_policy_reject(const char *text, const char *msg)
{
	rp_manifest m;
	rp_err err;
	int rc = policy(&m, text, &err);
	rp_manifest_free(&m);
	if (rc == 0)
		fail_msg("policy accepted; expected '%s'", msg ? msg : "an error");
	assert_int_equal(err.code, RP_E_FORMAT);
	if (msg != NULL && strcmp(err.msg, msg) != 0)
		fail_msg("expected '%s', got '%s'", msg, err.msg);
}

static void test_anchor_policy_normalisation(void **state)
{
	(void)state;
	rp_manifest m;
	rp_err err;
	int rc = policy(&m,
			"{\"providers\":[{\"provider_id\":\"assetcore\",\"requirement\":{\"anchor_type\":\"assetcore.anchor_set\","
			"\"required_fields\":[\" b \",\"a\",\"\",\"   \",\"b\",\"\\ta\\n\",\"B\",\"ab\",\"\\r\"]}},"
			"{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\",\"required_fields\":[\"x\"]}}]}",
			&err);
	if (rc != 0)
		fail_msg("rejected: %s", err.msg);
	assert_int_equal(m.has_anchor_policy, 1);
	assert_int_equal(m.n_providers, 2);
	assert_str(m.providers[0].provider_id, "assetcore");
	assert_str(m.providers[0].anchor_type, "assetcore.anchor_set");
	/* trimmed, empties dropped, byte order, duplicates removed */
	assert_int_equal(m.providers[0].n_required, 4);
	assert_str(m.providers[0].required_fields[0], "B");
	assert_str(m.providers[0].required_fields[1], "a");
	assert_str(m.providers[0].required_fields[2], "ab");
	assert_str(m.providers[0].required_fields[3], "b");
	assert_int_equal(m.providers[1].n_required, 1);
	assert_str(m.providers[1].required_fields[0], "x");
	/* the builder writes the normalised policy */
	m.manifest_version = (rp_str){"v1", 2};
	m.scenario_id = (rp_str){"s", 1};
	m.run_id = (rp_str){"r", 1};
	m.spec_hash = (rp_str){SPEC_HEX, 64};
	m.root_hash = (rp_str){SPEC_HEX, 64};
	m.tenant_id = m.namespace_id = 1;
	expect_written(&m, "{\"anchor_policy\":{\"providers\":[{\"provider_id\":\"assetcore\",\"requirement\":{\"anchor_type\":"
			   "\"assetcore.anchor_set\",\"required_fields\":[\"B\",\"a\",\"ab\",\"b\"]}},{\"provider_id\":\"time\","
			   "\"requirement\":{\"anchor_type\":\"t\",\"required_fields\":[\"x\"]}}]},\"artifacts\":[],"
			   "\"generated_at\":{\"kind\":\"logical\",\"value\":0},\"hash_algorithm\":\"sha256\",\"integrity\":"
			   "{\"file_hashes\":[],\"root_hash\":{\"algorithm\":\"sha256\",\"value\":\"" SPEC_HEX "\"}},"
			   "\"manifest_version\":\"v1\",\"namespace_id\":1,\"run_id\":\"r\",\"scenario_id\":\"s\","
			   "\"spec_hash\":{\"algorithm\":\"sha256\",\"value\":\"" SPEC_HEX "\"},\"tenant_id\":1,"
			   "\"verifier_mode\":\"offline_strict\"}");
	rp_manifest_free(&m);
}

static void test_anchor_policy_sort_is_stable_for_many(void **state)
{
	(void)state;
	rp_manifest m;
	rp_err err;
	assert_int_equal(policy(&m,
				"{\"providers\":[{\"provider_id\":\"p\",\"requirement\":{\"anchor_type\":\"t\","
				"\"required_fields\":[\"z\",\"y\",\"x\",\"w\",\"v\",\"u\",\"t\",\"s\",\"z\",\"a\",\"aa\",\"a\"]}}]}",
				&err),
			 0);
	static const char *const want[] = {"a", "aa", "s", "t", "u", "v", "w", "x", "y", "z"};
	assert_int_equal(m.providers[0].n_required, 10);
	for (size_t i = 0; i < 10; i++)
		assert_str(m.providers[0].required_fields[i], want[i]);
	rp_manifest_free(&m);
}

static void test_anchor_policy_empty_is_no_policy(void **state)
{
	(void)state;
	rp_manifest m;
	rp_err err;
	assert_int_equal(policy(&m, "{}", &err), 0);
	assert_int_equal(m.has_anchor_policy, 0);
	assert_int_equal(m.n_providers, 0);
	rp_manifest_free(&m);
	assert_int_equal(policy(&m, "{\"providers\":[]}", &err), 0);
	assert_int_equal(m.has_anchor_policy, 0);
	rp_manifest_free(&m);
}

static void test_anchor_policy_rejections(void **state)
{
	(void)state;
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}}]}",
			     "anchor policy provider 0: provider_id must be set");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}},{\"provider_id\":\"   \",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}}]}",
			     "anchor policy provider 1: provider_id must be set");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"\","
			     "\"required_fields\":[\"x\"]}}]}",
			     "anchor policy provider time: anchor_type must be set");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[]}}]}",
			     "anchor policy provider time: required_fields must not be empty");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"\",\"  \",\"\\t\"]}}]}",
			     "anchor policy provider time: required_fields must not be empty");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}},{\"provider_id\":\"env\",\"requirement\":{\"anchor_type\":\"e\","
			     "\"required_fields\":[\"y\"]}},{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"u\","
			     "\"required_fields\":[\"z\"]}}]}",
			     "anchor policy: duplicate provider_id time");
	/* shape errors are serde's */
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\"}]}", "missing field `requirement` at line 1 column 15");
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"t\"}}]}",
			     "missing field `required_fields` at line 1 column 51");
	expect_policy_reject("[]", "invalid type: sequence, expected struct EvidenceAnchorPolicy at line 1 column 1");
}

/*
 * Regression (fixed): Decision Gate's config
 * rejects an anchor_type that is blank after trimming
 * (`anchor_type.trim().is_empty()` -> "anchors.providers.anchor_type must
 * be non-empty"); rp_anchor_policy_parse only rejects the empty string.
 */
static void test_anchor_policy_rejects_blank_anchor_type(void **state)
{
	(void)state;
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time\",\"requirement\":{\"anchor_type\":\"   \","
			     "\"required_fields\":[\"x\"]}}]}",
			     NULL);
}

/*
 * Regression (fixed): spec §3.1 - Decision
 * Gate's config rejects an untrimmed provider_id. rp_anchor_policy_parse
 * silently strips LEADING spaces (" time" becomes "time") and keeps
 * trailing ones ("time " never matches a provider), so one policy text
 * means different things to the two tools.
 */
static void test_anchor_policy_rejects_untrimmed_provider_id(void **state)
{
	(void)state;
	expect_policy_reject("{\"providers\":[{\"provider_id\":\" time\",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}}]}",
			     NULL);
	expect_policy_reject("{\"providers\":[{\"provider_id\":\"time \",\"requirement\":{\"anchor_type\":\"t\","
			     "\"required_fields\":[\"x\"]}}]}",
			     NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_fields),
		cmocka_unit_test(test_golden_write_jcs_byte_for_byte),
		cmocka_unit_test(test_golden_root_hash),
		cmocka_unit_test(test_golden_file_hashes_jcs),
		cmocka_unit_test(test_empty_file_hashes_root),
		cmocka_unit_test(test_reject_missing_field),
		cmocka_unit_test(test_reject_duplicate_field),
		cmocka_unit_test(test_reject_tenant_values),
		cmocka_unit_test(test_reject_hash_algorithm),
		cmocka_unit_test(test_reject_timestamp_kind_rfc3339),
		cmocka_unit_test(test_reject_timestamps),
		cmocka_unit_test(test_reject_security_without_authority),
		cmocka_unit_test(test_reject_non_object),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_reject_bad_artifact_kind),
		cmocka_unit_test(test_accept_unknown_keys_everywhere),
		cmocka_unit_test(test_accept_null_and_absent_content_type),
		cmocka_unit_test(test_accept_absent_security_and_anchor_policy),
		cmocka_unit_test(test_accept_empty_anchor_policy),
		cmocka_unit_test(test_accept_anchor_policy_verbatim),
		cmocka_unit_test(test_accept_escaped_slash_in_paths),
		cmocka_unit_test(test_accept_pretty_and_reordered),
		cmocka_unit_test(test_unix_millis_timestamp),
		cmocka_unit_test(test_large_ids_written_exactly),
		cmocka_unit_test(test_anchor_policy_normalisation),
		cmocka_unit_test(test_anchor_policy_sort_is_stable_for_many),
		cmocka_unit_test(test_anchor_policy_empty_is_no_policy),
		cmocka_unit_test(test_anchor_policy_rejections),
		cmocka_unit_test(test_anchor_policy_rejects_blank_anchor_type),
		cmocka_unit_test(test_anchor_policy_rejects_untrimmed_provider_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
