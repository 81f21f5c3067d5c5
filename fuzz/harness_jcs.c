/*
 * harness_jcs.c - libFuzzer harness for the JSON parser and both
 * canonicalization modes.
 *
 * Why: src/child/json.c parses untrusted runpack bytes and src/child/jcs.c
 * produces the bytes rpvault hashes. Beyond memory safety (run it under
 * ASan/UBSan) the harness checks the properties the rest of rpvault relies
 * on:
 *   - a rejection carries RP_E_JSON or RP_E_LIMIT and a serde_json-style
 *     "... at line L column C" message, and leaves the output untouched;
 *   - canonical output parses back, and canonicalizing it again in the
 *     same mode changes nothing (idempotence);
 *   - RFC 8785 mode applied to serde_jcs output equals RFC 8785 mode
 *     applied to the input (serde_jcs output loses nothing RFC mode keeps).
 * Security posture: test code. abort() only on a property violation, so
 * the fuzzer keeps the input.
 *
 * Build: clang -Isrc -fsanitize=fuzzer,address,undefined fuzz/harness_jcs.c \
 *            src/child/json.c src/child/jcs.c src/common/buf.c src/common/err.c
 * Seeds: the "input" strings of shared/spec/jcs_cases.json.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "child/jcs.h"
#include "child/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that budget exhaustion is reachable by the fuzzer. */
#define FUZZ_ARENA ((size_t)8 * 1024 * 1024)
#define FUZZ_OUT ((size_t)64 * 1024 * 1024)

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_rejection(const rp_err *e)
{
	check(e->code == RP_E_JSON || e->code == RP_E_LIMIT);
	/* budget messages carry no position; syntax and depth ones do */
	if (strstr(e->msg, "memory budget") == NULL)
		check(strstr(e->msg, " at line ") != NULL && strstr(e->msg, " column ") != NULL);
}

/* Canonical bytes of text in mode, or -1 (with out unchanged). */
static int canon(const uint8_t *text, size_t len, rp_jcs_mode mode, rp_buf *out, rp_err *e)
{
	jv_arena a;
	jv_arena_init(&a, FUZZ_ARENA);
	size_t before = out->len;
	jv *v = jv_parse(&a, text, len, e);
	int rc = -1;
	if (v != NULL) {
		rc = jcs_write(v, mode, out, e);
	} else {
		check_rejection(e);
	}
	if (rc != 0)
		check(out->len == before);
	jv_arena_free(&a);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rp_buf first[2], again;
	rp_err e;
	rp_err_clear(&e);
	rp_buf_init(&first[0], FUZZ_OUT);
	rp_buf_init(&first[1], FUZZ_OUT);
	rp_buf_init(&again, FUZZ_OUT);

	int ok[2];
	for (int m = 0; m < 2; m++) {
		rp_jcs_mode mode = m == 0 ? RP_JCS_SERDE : RP_JCS_RFC8785;
		ok[m] = canon(data, size, mode, &first[m], &e) == 0;
		if (!ok[m]) {
			/* Acceptance does not depend on the mode, except for
			 * output-side limits which a fuzz input cannot reach. */
			check(m == 0 || !ok[0]);
			continue;
		}
		check(ok[0]);
		/* idempotence */
		rp_buf_reset(&again);
		check(canon(first[m].data, first[m].len, mode, &again, &e) == 0);
		check(again.len == first[m].len && memcmp(again.data, first[m].data, again.len) == 0);
	}
	if (ok[0] && ok[1]) {
		/* RFC(serde(x)) == RFC(x) */
		rp_buf_reset(&again);
		check(canon(first[0].data, first[0].len, RP_JCS_RFC8785, &again, &e) == 0);
		check(again.len == first[1].len && memcmp(again.data, first[1].data, again.len) == 0);
		check(first[0].len > 0 && first[1].len > 0);
	}
	rp_buf_free(&first[0]);
	rp_buf_free(&first[1]);
	rp_buf_free(&again);
	return 0;
}
