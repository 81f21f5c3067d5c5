/*
 * memio.h - an in-memory rp_io for unit tests and benches: files are
 * (root, path) -> bytes, with counters, captured output, injected errors,
 * deterministic generated content and a hook before each read.
 *
 * Why: the privsep tests need a backing rp_io that is independent of the
 * real file-system implementation (src/broker/fsio.c) and can be observed
 * (did the broker ever write?) and steered (slow a read down while the
 * test inspects /proc/<child>/status).
 * Security posture: test-only code, linked into unit test binaries (never
 * into rpvault). No main(), no cmocka symbols. Not thread-safe.
 */
#ifndef RP_TEST_MEMIO_H
#define RP_TEST_MEMIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/io.h"

typedef struct memio memio;

typedef struct memio_stats {
	unsigned reads, writes, copies, store_opens, commits, lists, outputs;
	unsigned plans, waits, reports; /* export ops (memio_enable_export) */
	unsigned long long bytes_read; /* delivered to sinks */
} memio_stats;

memio *memio_new(void);
void memio_free(memio *m);
rp_io memio_io(memio *m);

/* Adds or replaces root/path with a copy of p[0..n). 0 or -1 (ENOMEM). */
int memio_put(memio *m, rp_root root, const char *path, const void *p, size_t n);
/* Adds root/path whose `size` bytes are generated on the fly from seed
 * (memio_gen_bytes), so tests can stream many MiB without storing them. */
int memio_put_generated(memio *m, rp_root root, const char *path, uint64_t size, uint64_t seed);
void memio_gen_bytes(uint64_t seed, uint64_t off, uint8_t *out, size_t n);
/* Bytes of root/path (NULL if absent or generated). */
const uint8_t *memio_get(const memio *m, rp_root root, const char *path, size_t *n);

/* Makes every operation on root/path fail with code and a message. */
int memio_fail(memio *m, rp_root root, const char *path, rp_code code);
/* Chunk size handed to read sinks (default 64 KiB). */
void memio_set_chunk(memio *m, size_t chunk);
/* Called before each read is served (in the broker, i.e. the test process). */
void memio_set_read_hook(memio *m, void (*hook)(void *ctx, rp_root root, const char *path),
			 void *ctx);
/* Entries returned by list(). */
int memio_add_list_entry(memio *m, const char *prefix, int has_manifest);

memio_stats memio_get_stats(const memio *m);
/* Output captured for fd 1 or 2 (NUL-terminated, length in *n). */
const char *memio_output(const memio *m, int fd, size_t *n);
/* The prefix of the last successful store_open ("" if none). */
const char *memio_store_prefix(const memio *m);

/* Object-store export (rp_io export_plan / export_wait / export_report).
 * Off by default, so a backing that is not an object store keeps
 * export_plan == NULL; memio_enable_export turns the three ops on (call it
 * before memio_io). Each accepted plan is recorded (paths and hashes) and
 * queued; export_plan refuses a plan while RP_EXPORT_WINDOW are queued
 * (RP_E_LIMIT) or when an entry's IN path has a memio_fail injection (its
 * code), and needs a successful store_open first. Plan k (0-based, counted
 * over the whole job) is reported as input k. */
void memio_enable_export(memio *m);
/* The result export_wait gives every later plan (default: RP_OK, not
 * existed, status 0, empty context). Strings and body are copied; NULL
 * strings become "". */
int memio_set_export_result(memio *m, rp_code code, int existed, unsigned status,
			    const char *context, const char *what, const void *body, size_t body_len);
/* Plans accepted so far, and the entries of plan k (path NULL when out of
 * range; sha points at 32 bytes). */
size_t memio_plan_count(const memio *m);
size_t memio_plan_size(const memio *m, size_t plan);
const char *memio_plan_path(const memio *m, size_t plan, size_t i, const uint8_t **sha);
/* Plans queued and not yet handed out by export_wait. */
size_t memio_plans_queued(const memio *m);
/* export_report calls so far; report k's fields (0, or -1 when out of range). */
size_t memio_report_count(const memio *m);
int memio_report(const memio *m, size_t k, size_t *input, rp_code *code, const char **msg);

#endif
