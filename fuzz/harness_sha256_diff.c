/*
 * harness_sha256_diff.c - libFuzzer differential harness: rpvault's SHA-256
 * (SHA-NI path, and the forced-portable path) against BearSSL called
 * directly.
 *
 * Why: the SHA-NI compression function and the buffering around it are
 * hand-written; any input on which they disagree with BearSSL is a bug
 * that would turn into a wrong verdict. The fuzzer controls both the
 * message and how it is cut into update() calls, which is where streaming
 * code usually breaks (partial blocks, a block ending exactly at a call
 * boundary, empty calls).
 * Security posture: test code. abort() on any mismatch so the fuzzer keeps
 * the input. On a CPU without SHA-NI both rpvault paths are BearSSL and
 * the harness only checks the wrapper.
 *
 * Input layout: byte 0 = number of split points (low 4 bits, 0..15), then
 * two bytes per split point (little-endian offset, reduced modulo the
 * message length + 1 and sorted), then the message. Short inputs simply
 * have fewer split points or an empty message.
 *
 * Build: cc -Isrc -fsanitize=fuzzer,address,undefined \
 *            fuzz/harness_sha256_diff.c src/common/sha256.c -lbearssl
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "common/sha256.h"

#define MAX_SPLITS 15

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sort_offsets(size_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static void hash_split(int force_portable, const uint8_t *msg, size_t len, const size_t *cuts,
		       size_t ncuts, uint8_t out[RP_SHA256_LEN])
{
	rp_sha256 c;
	rp_sha256_force_portable(force_portable);
	rp_sha256_init(&c);
	size_t prev = 0;
	for (size_t i = 0; i < ncuts; i++) {
		/* Repeated cut points give deliberate zero-length updates. */
		rp_sha256_update(&c, msg + prev, cuts[i] - prev);
		prev = cuts[i];
	}
	rp_sha256_update(&c, msg + prev, len - prev);
	if (c.total != (uint64_t)len)
		abort();
	rp_sha256_final(&c, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nsplit = 0;
	size_t pos = 0;
	if (size > 0) {
		nsplit = data[0] & 0x0f;
		pos = 1;
	}
	size_t raw[MAX_SPLITS];
	size_t got = 0;
	while (got < nsplit && size - pos >= 2) {
		raw[got++] = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
		pos += 2;
	}
	const uint8_t *msg = data + pos;
	size_t len = size - pos;
	for (size_t i = 0; i < got; i++)
		raw[i] %= len + 1;
	sort_offsets(raw, got);

	uint8_t want[RP_SHA256_LEN];
	br_sha256_context ref;
	br_sha256_init(&ref);
	br_sha256_update(&ref, msg, len);
	br_sha256_out(&ref, want);

	uint8_t a[RP_SHA256_LEN], b[RP_SHA256_LEN], c[RP_SHA256_LEN];
	hash_split(0, msg, len, raw, got, a); /* SHA-NI when the CPU has it */
	hash_split(1, msg, len, raw, got, b); /* BearSSL behind rpvault's API */
	rp_sha256_force_portable(0);
	rp_sha256(msg, len, c);

	if (memcmp(a, want, sizeof(want)) != 0 || memcmp(b, want, sizeof(want)) != 0 ||
	    memcmp(c, want, sizeof(want)) != 0)
		abort();
	return 0;
}
