/*
 * test_sha256.c - cmocka tests of src/common/sha256.c.
 *
 * Why: every verdict rpvault gives rests on these digests, and the fast
 * path is hand-written SIMD. The tests pin both implementations to the
 * FIPS 180-4 vectors and to the runpack facts of the spec, then
 * cross-check the SHA-NI path against BearSSL (called directly, not through
 * rpvault's wrapper) for every length 0..1024, random update() splits,
 * misaligned input and large buffers.
 * Security posture: test code; deterministic (fixed-seed PRNG), no I/O.
 * The SHA-NI-only tests skip (and the binary still passes) on CPUs
 * without the SHA extensions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bearssl.h>

#include "common/sha256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* ---- helpers ------------------------------------------------------------ */

/* splitmix64: a fixed seed makes every failure reproducible. */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void prng_fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(prng_next(s) >> 56);
}

/* The reference: BearSSL used directly, bypassing rpvault's wrapper. */
static void ref_sha256(const void *p, size_t n, uint8_t out[32])
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, out);
}

/* Feed p[0..n) in pieces: half the time a short piece (so the partial
 * block buffer is filled, crossed and emptied in every way), otherwise any
 * length up to what is left. Zero-length pieces are deliberate. */
static void rp_streamed(const uint8_t *p, size_t n, uint64_t *seed, uint8_t out[32])
{
	rp_sha256 c;
	rp_sha256_init(&c);
	size_t off = 0;
	while (off < n) {
		size_t left = n - off;
		uint64_t r = prng_next(seed);
		size_t take = (r & 1) ? (size_t)((r >> 1) % 130) : (size_t)((r >> 1) % (left + 1));
		if (take > left)
			take = left;
		rp_sha256_update(&c, p + off, take);
		off += take;
	}
	assert_int_equal(c.total, n);
	rp_sha256_final(&c, out);
}

static void rp_bytewise(const uint8_t *p, size_t n, uint8_t out[32])
{
	rp_sha256 c;
	rp_sha256_init(&c);
	for (size_t i = 0; i < n; i++)
		rp_sha256_update(&c, p + i, 1);
	rp_sha256_final(&c, out);
}

static void assert_hex(const void *msg, size_t n, const char *want)
{
	char hex[RP_SHA256_HEX_LEN + 1];
	rp_sha256_hex(msg, n, hex);
	assert_string_equal(hex, want);
}

static int cpuid_says_sha_ni(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 9)) || !(c & (1u << 19)))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
#else
	return 0;
#endif
}

static int have_ni(void)
{
	rp_sha256_force_portable(0);
	return strcmp(rp_sha256_impl(), "sha-ni") == 0;
}

static int reset_force(void **state)
{
	(void)state;
	rp_sha256_force_portable(0);
	return 0;
}

/* Runs body twice: with the default implementation and forced BearSSL. */
#define FOR_BOTH_IMPLS(forced)                                                                 \
	for (int forced = 0; forced < 2; forced++)                                             \
		if (rp_sha256_force_portable(forced), 1)

/* ---- known answers ------------------------------------------------------ */

static const char MSG448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char MSG896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void test_fips_vectors(void **state)
{
	(void)state;
	FOR_BOTH_IMPLS(forced)
	{
		assert_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		assert_hex(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		assert_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		assert_int_equal(strlen(MSG448), 56);
		assert_hex(MSG448, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		assert_int_equal(strlen(MSG896), 112);
		assert_hex(MSG896, 112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	}
}

static void test_million_a(void **state)
{
	(void)state;
	static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	uint8_t *buf = malloc(1000000);
	assert_non_null(buf);
	memset(buf, 'a', 1000000);
	FOR_BOTH_IMPLS(forced)
	{
		assert_hex(buf, 1000000, want);
		/* As the FIPS example presents it: 1000 updates of 1000 bytes,
		 * which never lines up with the 64-byte block. */
		rp_sha256 c;
		uint8_t d[32];
		char hex[65];
		rp_sha256_init(&c);
		for (int i = 0; i < 1000; i++)
			rp_sha256_update(&c, buf + 1000 * i, 1000);
		rp_sha256_final(&c, d);
		rp_hex_encode(d, 32, hex);
		assert_string_equal(hex, want);
	}
	free(buf);
}

/* Facts quoted by spec/RUNPACK_FORMAT.md §1, §5, §6 and the JCS golden
 * values of the reference tests (§13). */
static void test_runpack_facts(void **state)
{
	(void)state;
	static const char report[] = "{\"checked_files\":7,\"errors\":[],\"status\":\"pass\"}";
	FOR_BOTH_IMPLS(forced)
	{
		assert_hex("[]", 2, "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
		assert_int_equal(strlen(report), 47);
		assert_hex(report, 47, "62cf8027f5db7c74963331768ce38fb9684e227460e97adab6d61f21d2cf7a5a");
		assert_hex("{}", 2, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
		assert_hex("1", 1, "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
		assert_hex("true", 4, "b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b");
		assert_hex("false", 5, "fcbcf165908dd18a9e49f7ff27810176db8e9f63b4352213741664245224f8aa");
		assert_hex("null", 4, "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b");
	}
}

/* §6: the root hash of golden_time_after_pass, rebuilt from its eight
 * file-hash entries with the §5.2 formula, streamed entry by entry the way
 * a verifier would. */
static void test_golden_root_hash(void **state)
{
	(void)state;
	static const char *const entries[8][2] = {
		{"5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8", "artifacts/scenario_spec.json"},
		{"e34a5f6d953f87540a082ae36e1a954998dc49a86578b1141518771f7b997961", "artifacts/triggers.json"},
		{"da15da30e250841b80592d11301b5ce61147a2b50578148bb968fb9410cb6819", "artifacts/gate_evals.json"},
		{"505cc48eae0449080e4fc9cf70ba13c45448df1d72959ec7c4f36fe2c9055e7e", "artifacts/decisions.json"},
		{"4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", "artifacts/packets.json"},
		{"4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", "artifacts/submissions.json"},
		{"d916b026b460b98521da2047424297d283b86e5eac9331e01d4f8cbac87e1468", "artifacts/tool_calls.json"},
		{"62cf8027f5db7c74963331768ce38fb9684e227460e97adab6d61f21d2cf7a5a", "artifacts/verifier_report.json"},
	};
	FOR_BOTH_IMPLS(forced)
	{
		rp_sha256 c;
		uint8_t d[32];
		char hex[65];
		rp_sha256_init(&c);
		rp_sha256_update(&c, "[", 1);
		for (int i = 0; i < 8; i++) {
			char el[256];
			int n = snprintf(el, sizeof(el),
					 "%s{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"path\":\"%s\"}",
					 i ? "," : "", entries[i][0], entries[i][1]);
			assert_true(n > 0 && (size_t)n < sizeof(el));
			rp_sha256_update(&c, el, (size_t)n);
		}
		rp_sha256_update(&c, "]", 1);
		assert_int_equal(c.total, 1140);
		rp_sha256_final(&c, d);
		rp_hex_encode(d, 32, hex);
		assert_string_equal(hex, "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228");
	}
}

static void test_hex_encode(void **state)
{
	(void)state;
	const uint8_t in[4] = {0x00, 0x9f, 0xa0, 0xff};
	char out[16];
	memset(out, 'X', sizeof(out));
	rp_hex_encode(in, 4, out);
	assert_string_equal(out, "009fa0ff");
	assert_int_equal(out[9], 'X'); /* writes exactly 2n+1 bytes */

	memset(out, 'X', sizeof(out));
	rp_hex_encode(in, 0, out);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'X');

	char hex[RP_SHA256_HEX_LEN + 2];
	memset(hex, 'X', sizeof(hex));
	rp_sha256_hex("abc", 3, hex);
	assert_int_equal(strlen(hex), RP_SHA256_HEX_LEN);
	assert_int_equal(hex[RP_SHA256_HEX_LEN + 1], 'X');
}

/* ---- dispatch ----------------------------------------------------------- */

static void test_dispatch(void **state)
{
	(void)state;
	rp_sha256 c;
	int cpu = cpuid_says_sha_ni();

	rp_sha256_force_portable(0);
	assert_string_equal(rp_sha256_impl(), cpu ? "sha-ni" : "bearssl");
	rp_sha256_init(&c);
	assert_int_equal(c.use_ni, cpu);

	rp_sha256_force_portable(1);
	assert_string_equal(rp_sha256_impl(), "bearssl");
	rp_sha256_init(&c);
	assert_int_equal(c.use_ni, 0);

	rp_sha256_force_portable(0);
	assert_string_equal(rp_sha256_impl(), cpu ? "sha-ni" : "bearssl");
	print_message("sha256 implementation on this CPU: %s\n", rp_sha256_impl());
}

/* The implementation is fixed at init: flipping the force flag halfway
 * through must not switch a live context to the other representation. */
static void test_impl_fixed_at_init(void **state)
{
	(void)state;
	static const char msg[] = "The quick brown fox jumps over the lazy dog, repeatedly, "
				  "for more than one block of input........";
	uint8_t want[32], got[32];
	ref_sha256(msg, sizeof(msg) - 1, want);
	for (int first = 0; first < 2; first++) {
		rp_sha256 c;
		rp_sha256_force_portable(first);
		rp_sha256_init(&c);
		rp_sha256_update(&c, msg, 70);
		rp_sha256_force_portable(!first);
		rp_sha256_update(&c, msg + 70, sizeof(msg) - 1 - 70);
		rp_sha256_final(&c, got);
		assert_memory_equal(got, want, 32);
	}
}

static void test_empty_updates(void **state)
{
	(void)state;
	uint8_t want[32], got[32];
	ref_sha256("abc", 3, want);
	FOR_BOTH_IMPLS(forced)
	{
		rp_sha256 c;
		rp_sha256_init(&c);
		rp_sha256_update(&c, NULL, 0);
		rp_sha256_update(&c, "a", 1);
		rp_sha256_update(&c, "", 0);
		rp_sha256_update(&c, "bc", 2);
		rp_sha256_update(&c, NULL, 0);
		rp_sha256_final(&c, got);
		assert_memory_equal(got, want, 32);
	}
}

/* ---- cross-checks against BearSSL ---------------------------------------- */

#define CROSS_MAX 1024

static void cross_check_lengths(int forced, uint64_t seed)
{
	uint8_t buf[CROSS_MAX + 16];
	uint8_t want[32], got[32];
	uint64_t s = seed;
	rp_sha256_force_portable(forced);
	for (size_t len = 0; len <= CROSS_MAX; len++) {
		prng_fill(&s, buf, len + 16);
		ref_sha256(buf, len, want);

		rp_sha256(buf, len, got);
		assert_memory_equal(got, want, 32);

		rp_bytewise(buf, len, got);
		assert_memory_equal(got, want, 32);

		for (int k = 0; k < 4; k++) {
			rp_streamed(buf, len, &s, got);
			if (memcmp(got, want, 32) != 0)
				fail_msg("impl %s: streamed split %d of length %zu differs",
					 rp_sha256_impl(), k, len);
		}

		/* Every misalignment of the input relative to 16 bytes. */
		size_t shift = len % 16;
		ref_sha256(buf + shift, len, want);
		rp_sha256(buf + shift, len, got);
		assert_memory_equal(got, want, 32);
	}
}

static void test_ni_cross_all_lengths(void **state)
{
	(void)state;
	if (!have_ni()) {
		print_message("CPU lacks SHA-NI: SHA-NI cross-check skipped\n");
		skip();
	}
	cross_check_lengths(0, 0x5eed0001u);
}

static void test_portable_cross_all_lengths(void **state)
{
	(void)state;
	cross_check_lengths(1, 0x5eed0002u);
}

#define LARGE_LEN ((size_t)64 * 1024 * 1024 + 37)

static void large_buffers(int forced)
{
	uint8_t *buf = malloc(LARGE_LEN + 1);
	assert_non_null(buf);
	uint64_t s = 0x5eed0003u + (uint64_t)forced;
	prng_fill(&s, buf, LARGE_LEN + 1);

	uint8_t want[32], got[32];
	ref_sha256(buf, LARGE_LEN, want);
	rp_sha256_force_portable(forced);

	rp_sha256(buf, LARGE_LEN, got);
	assert_memory_equal(got, want, 32);

	/* Chunked as a verifier reading a file would, with odd sizes. */
	static const size_t chunks[] = {65536, 1048576 + 7, 4093};
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		rp_sha256 c;
		rp_sha256_init(&c);
		for (size_t off = 0; off < LARGE_LEN; off += chunks[k]) {
			size_t n = LARGE_LEN - off < chunks[k] ? LARGE_LEN - off : chunks[k];
			rp_sha256_update(&c, buf + off, n);
		}
		assert_int_equal(c.total, LARGE_LEN);
		rp_sha256_final(&c, got);
		assert_memory_equal(got, want, 32);
	}

	rp_streamed(buf, LARGE_LEN, &s, got);
	assert_memory_equal(got, want, 32);

	/* Misaligned start over the whole buffer. */
	ref_sha256(buf + 1, LARGE_LEN, want);
	rp_sha256(buf + 1, LARGE_LEN, got);
	assert_memory_equal(got, want, 32);

	free(buf);
}

static void test_ni_large_buffers(void **state)
{
	(void)state;
	if (!have_ni()) {
		print_message("CPU lacks SHA-NI: SHA-NI large-buffer check skipped\n");
		skip();
	}
	large_buffers(0);
}

static void test_portable_large_buffers(void **state)
{
	(void)state;
	large_buffers(1);
}

/* Bit patterns a schedule or byte-order bug would treat specially. */
static void test_ni_patterns(void **state)
{
	(void)state;
	if (!have_ni()) {
		print_message("CPU lacks SHA-NI: SHA-NI pattern check skipped\n");
		skip();
	}
	uint8_t buf[512], want[32], got[32];
	static const uint8_t fills[] = {0x00, 0xff, 0x80, 0x01, 0x55, 0xaa};
	for (size_t f = 0; f < sizeof(fills); f++) {
		memset(buf, fills[f], sizeof(buf));
		for (size_t len = 0; len <= sizeof(buf); len += 1) {
			ref_sha256(buf, len, want);
			rp_sha256_force_portable(0);
			rp_sha256(buf, len, got);
			assert_memory_equal(got, want, 32);
		}
	}
	/* A single set bit walking through two blocks. */
	for (size_t bit = 0; bit < 128 * 8; bit++) {
		memset(buf, 0, 128);
		buf[bit / 8] = (uint8_t)(1u << (bit % 8));
		ref_sha256(buf, 128, want);
		rp_sha256(buf, 128, got);
		assert_memory_equal(got, want, 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fips_vectors, reset_force),
		cmocka_unit_test_teardown(test_million_a, reset_force),
		cmocka_unit_test_teardown(test_runpack_facts, reset_force),
		cmocka_unit_test_teardown(test_golden_root_hash, reset_force),
		cmocka_unit_test_teardown(test_hex_encode, reset_force),
		cmocka_unit_test_teardown(test_dispatch, reset_force),
		cmocka_unit_test_teardown(test_impl_fixed_at_init, reset_force),
		cmocka_unit_test_teardown(test_empty_updates, reset_force),
		cmocka_unit_test_teardown(test_ni_cross_all_lengths, reset_force),
		cmocka_unit_test_teardown(test_portable_cross_all_lengths, reset_force),
		cmocka_unit_test_teardown(test_ni_large_buffers, reset_force),
		cmocka_unit_test_teardown(test_portable_large_buffers, reset_force),
		cmocka_unit_test_teardown(test_ni_patterns, reset_force),
	};
	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
