/*
 * sha256.c - streaming SHA-256: an in-tree SHA-NI compression function,
 * chosen by CPUID, with BearSSL's br_sha256 as the portable fallback.
 *
 * Why: verification time is hashing time, and BearSSL has no SHA-NI code
 * (~0.3 GB/s against ~2 GB/s with the x86 SHA extensions). Pulling in
 * OpenSSL's libcrypto only for its SHA-NI path would mean initialising it
 * (and its lazy provider loading) before the sandbox closes; a ~100-line
 * compression function is the smaller thing to review
 * (docs/design/hashing.md).
 * Security posture: no allocation, no I/O, no system calls (CPUID is an
 * instruction), so it is safe inside the seccomp child. The only mutable
 * globals are the cached CPU feature answer and the test/bench force flag,
 * both atomics. The NI path reads its input only through unaligned 16-byte
 * loads that stay inside the caller's buffer. It is cross-checked against
 * BearSSL by tests/unit/test_sha256.c and fuzz/harness_sha256_diff.c.
 */
#include "sha256.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define RP_SHA256_HAVE_NI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define RP_SHA256_HAVE_NI 0
#endif

/* 0 = not probed yet, 1 = no SHA-NI, 2 = SHA-NI usable. Racing first
 * callers compute the same answer, so relaxed ordering is enough. */
static atomic_int g_cpu_ni;
static atomic_int g_force_portable;

static const uint32_t IV[8] = {
	0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
	0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

#if RP_SHA256_HAVE_NI

/* FIPS 180-4 §4.2.2. Aligned so each group of four is one aligned load. */
static _Alignas(16) const uint32_t K256[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
	0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
	0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
	0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
	0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* Bits the dispatcher tests. Spelled out rather than taken from <cpuid.h>
 * because GCC and clang have not always agreed on the macro names. */
#define RP_CPUID1_ECX_SSSE3 (1u << 9)
#define RP_CPUID1_ECX_SSE41 (1u << 19)
#define RP_CPUID7_EBX_SHA (1u << 29)

static int cpu_probe_ni(void)
{
	unsigned int a = 0, b = 0, c = 0, d = 0;
	/* __get_cpuid* check the maximum supported leaf first and return 0
	 * when the leaf does not exist, so an old CPU reads as "no". */
	if (__get_cpuid(1, &a, &b, &c, &d) == 0)
		return 0;
	if ((c & RP_CPUID1_ECX_SSSE3) == 0 || (c & RP_CPUID1_ECX_SSE41) == 0)
		return 0;
	a = b = c = d = 0;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0)
		return 0;
	/* SHA-NI works on XMM registers only; the OS always saves those on
	 * x86-64, so no XGETBV check is needed (unlike AVX). */
	return (b & RP_CPUID7_EBX_SHA) != 0;
}

/*
 * Four rounds: add the round constants to four schedule words, then two
 * SHA256RNDS2. RNDS2 takes (CDGH, ABEF, W+K in the low two lanes) and
 * returns the new ABEF; after two rounds the old ABEF is the new CDGH, so
 * the two state registers simply swap roles between the two calls.
 */
#define RP_NI_ROUNDS4(msg, grp)                                                                \
	do {                                                                                   \
		__m128i wk_ = _mm_add_epi32((msg), _mm_load_si128((const __m128i *)&K256[4 * (grp)])); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                                 \
		wk_ = _mm_shuffle_epi32(wk_, 0x0e);                                            \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_);                                 \
	} while (0)

/*
 * Message schedule, W[t..t+3] from the four previous groups held in
 * m0 (W[t-16..t-13]), m1 (W[t-12..]), m2 (W[t-8..]), m3 (W[t-4..t-1]):
 * MSG1 supplies W[t-16] + s0(W[t-15]) (it needs m1's first word), ALIGNR
 * extracts W[t-7..t-4] from m2:m3, MSG2 adds s1() of the words just before.
 * The result overwrites m0, the group that is no longer needed.
 */
#define RP_NI_SCHEDULE(m0, m1, m2, m3)                                                         \
	(m0) = _mm_sha256msg2_epu32(                                                           \
		_mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

__attribute__((target("sha,sse4.1,ssse3"))) static void compress_ni(uint32_t state[8],
								    const uint8_t *p, size_t nblocks)
{
	/* Message words are big-endian; PSHUFB reverses the bytes of each. */
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

	/* The instructions want the state as ABEF / CDGH with A and C in the
	 * top lane; the struct holds A..H in order. */
	__m128i abcd = _mm_loadu_si128((const __m128i *)&state[0]);
	__m128i efgh = _mm_loadu_si128((const __m128i *)&state[4]);
	__m128i badc = _mm_shuffle_epi32(abcd, 0xb1); /* B A D C */
	efgh = _mm_shuffle_epi32(efgh, 0x1b);         /* H G F E */
	__m128i abef = _mm_alignr_epi8(badc, efgh, 8);    /* F E B A */
	__m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0); /* H G D C */

	while (nblocks-- > 0) {
		const __m128i abef_in = abef;
		const __m128i cdgh_in = cdgh;

		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);

		RP_NI_ROUNDS4(m0, 0);
		RP_NI_ROUNDS4(m1, 1);
		RP_NI_ROUNDS4(m2, 2);
		RP_NI_ROUNDS4(m3, 3);
		/* Written out (not a loop over an array) so the sixteen groups
		 * stay in registers without relying on the unroller. */
		RP_NI_SCHEDULE(m0, m1, m2, m3);
		RP_NI_ROUNDS4(m0, 4);
		RP_NI_SCHEDULE(m1, m2, m3, m0);
		RP_NI_ROUNDS4(m1, 5);
		RP_NI_SCHEDULE(m2, m3, m0, m1);
		RP_NI_ROUNDS4(m2, 6);
		RP_NI_SCHEDULE(m3, m0, m1, m2);
		RP_NI_ROUNDS4(m3, 7);
		RP_NI_SCHEDULE(m0, m1, m2, m3);
		RP_NI_ROUNDS4(m0, 8);
		RP_NI_SCHEDULE(m1, m2, m3, m0);
		RP_NI_ROUNDS4(m1, 9);
		RP_NI_SCHEDULE(m2, m3, m0, m1);
		RP_NI_ROUNDS4(m2, 10);
		RP_NI_SCHEDULE(m3, m0, m1, m2);
		RP_NI_ROUNDS4(m3, 11);
		RP_NI_SCHEDULE(m0, m1, m2, m3);
		RP_NI_ROUNDS4(m0, 12);
		RP_NI_SCHEDULE(m1, m2, m3, m0);
		RP_NI_ROUNDS4(m1, 13);
		RP_NI_SCHEDULE(m2, m3, m0, m1);
		RP_NI_ROUNDS4(m2, 14);
		RP_NI_SCHEDULE(m3, m0, m1, m2);
		RP_NI_ROUNDS4(m3, 15);

		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
		p += 64;
	}

	/* Back to A..H order. */
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b); /* A B E F */
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1); /* G H C D */
	abcd = _mm_blend_epi16(feba, dchg, 0xf0);     /* A B C D */
	efgh = _mm_alignr_epi8(dchg, feba, 8);        /* E F G H */
	_mm_storeu_si128((__m128i *)&state[0], abcd);
	_mm_storeu_si128((__m128i *)&state[4], efgh);
}

#undef RP_NI_ROUNDS4
#undef RP_NI_SCHEDULE

#else /* !RP_SHA256_HAVE_NI */

static int cpu_probe_ni(void)
{
	return 0;
}

/* Never called: use_ni is only set when cpu_probe_ni() said yes. */
static void compress_ni(uint32_t state[8], const uint8_t *p, size_t nblocks)
{
	(void)state;
	(void)p;
	(void)nblocks;
}

#endif /* RP_SHA256_HAVE_NI */

static int cpu_has_ni(void)
{
	int v = atomic_load_explicit(&g_cpu_ni, memory_order_relaxed);
	if (v == 0) {
		v = cpu_probe_ni() ? 2 : 1;
		atomic_store_explicit(&g_cpu_ni, v, memory_order_relaxed);
	}
	return v == 2;
}

static int pick_ni(void)
{
	return atomic_load_explicit(&g_force_portable, memory_order_relaxed) == 0 && cpu_has_ni();
}

void rp_sha256_force_portable(int on)
{
	atomic_store_explicit(&g_force_portable, on != 0, memory_order_relaxed);
}

const char *rp_sha256_impl(void)
{
	return pick_ni() ? "sha-ni" : "bearssl";
}

void rp_sha256_init(rp_sha256 *c)
{
	memset(c, 0, sizeof(*c));
	c->use_ni = pick_ni();
	if (c->use_ni)
		memcpy(c->state, IV, sizeof(c->state));
	else
		br_sha256_init(&c->br);
}

void rp_sha256_update(rp_sha256 *c, const void *data, size_t len)
{
	/* memcpy(dst, NULL, 0) is undefined behaviour; callers may pass an
	 * empty buffer as NULL. */
	if (len == 0)
		return;
	c->total += (uint64_t)len;
	if (!c->use_ni) {
		br_sha256_update(&c->br, data, len);
		return;
	}

	const uint8_t *p = data;
	if (c->fill > 0) {
		size_t take = sizeof(c->block) - c->fill;
		if (take > len)
			take = len;
		memcpy(c->block + c->fill, p, take);
		c->fill += take;
		p += take;
		len -= take;
		if (c->fill < sizeof(c->block))
			return;
		compress_ni(c->state, c->block, 1);
		c->fill = 0;
	}
	/* Whole blocks straight from the caller's buffer: no copy on the
	 * path that carries almost all the bytes. */
	size_t nblocks = len / 64;
	if (nblocks > 0) {
		compress_ni(c->state, p, nblocks);
		p += nblocks * 64;
		len -= nblocks * 64;
	}
	if (len > 0) {
		memcpy(c->block, p, len);
		c->fill = len;
	}
}

static void store_be32(uint8_t *out, uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

void rp_sha256_final(rp_sha256 *c, uint8_t out[RP_SHA256_LEN])
{
	if (!c->use_ni) {
		br_sha256_out(&c->br, out);
		return;
	}

	/* FIPS 180-4 §5.1.1: 0x80, zeros to 56 mod 64, 64-bit big-endian bit
	 * count (modulo 2^64, as the standard's length field is). */
	uint64_t bits = c->total << 3;
	size_t n = c->fill;
	c->block[n++] = 0x80;
	if (n > 56) {
		memset(c->block + n, 0, sizeof(c->block) - n);
		compress_ni(c->state, c->block, 1);
		n = 0;
	}
	memset(c->block + n, 0, 56 - n);
	for (int i = 0; i < 8; i++)
		c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress_ni(c->state, c->block, 1);
	c->fill = 0;

	for (int i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->state[i]);
}

void rp_sha256_digest(const void *data, size_t len, uint8_t out[RP_SHA256_LEN])
{
	rp_sha256 c;
	rp_sha256_init(&c);
	rp_sha256_update(&c, data, len);
	rp_sha256_final(&c, out);
}

void rp_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void rp_sha256_hex(const void *data, size_t len, char hex[RP_SHA256_HEX_LEN + 1])
{
	uint8_t d[RP_SHA256_LEN];
	rp_sha256(data, len, d);
	rp_hex_encode(d, sizeof(d), hex);
}
