/*
 * sha256.h - streaming SHA-256 with a CPU-dispatched compression function.
 *
 * Why: verification throughput is bound by hashing. BearSSL has no SHA-NI
 * path (~0.28 GB/s); the x86 SHA extensions give ~2 GB/s. rpvault uses its
 * own SHA-NI compression function when CPUID reports it and BearSSL's
 * br_sha256 otherwise; the two are cross-checked by tests and a
 * differential fuzz harness (docs/design/hashing.md).
 * Security posture: no allocation, no I/O; safe inside the seccomp child
 * (CPUID is an instruction, not a system call).
 */
#ifndef RP_SHA256_H
#define RP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h> /* br_sha256_context (Debian puts the per-module headers under bearssl/) */

#define RP_SHA256_LEN 32
#define RP_SHA256_HEX_LEN 64

/* Treat as opaque. The SHA-NI path uses state/block/fill; the portable path
 * hands the whole computation (buffering and padding included) to BearSSL's
 * own context, so the cross-check tests compare two independent
 * implementations end to end, not just two compression functions. */
typedef struct rp_sha256 {
	uint32_t state[8];      /* SHA-NI path: chaining value H0..H7 */
	uint64_t total;         /* bytes hashed so far (both paths) */
	uint8_t block[64];      /* SHA-NI path: pending partial block */
	size_t fill;            /* SHA-NI path: bytes pending in block */
	br_sha256_context br;   /* portable path only */
	int use_ni;             /* chosen at init */
} rp_sha256;

void rp_sha256_init(rp_sha256 *c);
void rp_sha256_update(rp_sha256 *c, const void *data, size_t len);
void rp_sha256_final(rp_sha256 *c, uint8_t out[RP_SHA256_LEN]);

/* One-shot helpers. hex gets 64 lower-case hex chars + NUL.
 * A typedef and a function cannot both be called rp_sha256 in C (one
 * identifier namespace), so the function is rp_sha256_digest and the
 * call spelling rp_sha256(data, len, out) is kept by a function-like
 * macro, which expands only when "(" follows: "rp_sha256 ctx;" still names
 * the type. */
void rp_sha256_digest(const void *data, size_t len, uint8_t out[RP_SHA256_LEN]);
#define rp_sha256(data, len, out) rp_sha256_digest((data), (len), (out))
void rp_sha256_hex(const void *data, size_t len, char hex[RP_SHA256_HEX_LEN + 1]);
void rp_hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);

/* Which implementation rp_sha256_init picks on this CPU: "sha-ni" or "bearssl". */
const char *rp_sha256_impl(void);
/* Test/bench hook: force the portable (BearSSL) path when nonzero. */
void rp_sha256_force_portable(int on);

#endif
