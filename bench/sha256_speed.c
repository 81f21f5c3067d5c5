/*
 * sha256_speed.c - in-memory SHA-256 throughput: rpvault's SHA-NI path
 * against its BearSSL fallback (and BearSSL called directly).
 *
 * Why: docs/design/hashing.md argues for an in-tree SHA-NI path with
 * numbers; this program produces them without disk, page cache or process
 * start-up in the way. bench/verify.sh compiles and runs it; it is not part
 * of the rpvault binary.
 * Security posture: benchmark only; hashes a buffer of its own.
 *
 * Usage: sha256_speed [MiB]   (default 256; best of 3 passes per path)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>

#include "common/sha256.h"

static double now_s(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mode 0: rpvault default path, 1: rpvault forced BearSSL, 2: raw BearSSL */
static double best_of_3(int mode, const uint8_t *buf, size_t len, uint8_t out[32])
{
	double best = 1e30;
	for (int run = 0; run < 3; run++) {
		double t0 = now_s();
		if (mode == 2) {
			br_sha256_context c;
			br_sha256_init(&c);
			br_sha256_update(&c, buf, len);
			br_sha256_out(&c, out);
		} else {
			rp_sha256_force_portable(mode);
			/* 64 KiB updates, as a verifier streaming a file would. */
			rp_sha256 c;
			rp_sha256_init(&c);
			for (size_t off = 0; off < len; off += 65536)
				rp_sha256_update(&c, buf + off, len - off < 65536 ? len - off : 65536);
			rp_sha256_final(&c, out);
		}
		double t = now_s() - t0;
		if (t < best)
			best = t;
	}
	rp_sha256_force_portable(0);
	return best;
}

int main(int argc, char **argv)
{
	unsigned long mib = 256;
	if (argc > 1) {
		char *end = NULL;
		mib = strtoul(argv[1], &end, 10);
		if (end == argv[1] || *end != '\0' || mib == 0 || mib > 4096) {
			fprintf(stderr, "usage: %s [MiB 1..4096]\n", argv[0]);
			return 2;
		}
	}
	size_t len = (size_t)mib << 20;
	uint8_t *buf = malloc(len);
	if (buf == NULL) {
		fprintf(stderr, "sha256_speed: cannot allocate %lu MiB\n", mib);
		return 1;
	}
	/* Touch every page before timing; the content itself is irrelevant. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}

	static const char *const names[3] = {"rpvault default", "rpvault forced-portable", "BearSSL direct"};
	uint8_t d[3][32];
	double t[3];
	rp_sha256_force_portable(0);
	const char *impl = rp_sha256_impl();
	for (int m = 0; m < 3; m++)
		t[m] = best_of_3(m, buf, len, d[m]);
	free(buf);

	int agree = memcmp(d[0], d[1], 32) == 0 && memcmp(d[0], d[2], 32) == 0;
	printf("in-memory SHA-256 over %lu MiB (best of 3):\n", mib);
	for (int m = 0; m < 3; m++)
		printf("  %-24s %-8s %8.3f s  %6.2f GB/s\n", names[m],
		       m == 0 ? impl : "bearssl", t[m], (double)len / t[m] / 1e9);
	printf("  speed-up default/BearSSL: %.2fx; digests %s\n", t[2] / t[0],
	       agree ? "agree" : "DIFFER");
	return agree ? 0 : 1;
}
