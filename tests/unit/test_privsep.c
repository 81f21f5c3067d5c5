/*
 * test_privsep.c - tests of the privilege-separated process model:
 * privsep_run (and its halves, privsep_spawn/serve/abandon) with real
 * confined children, the broker loop driven by a
 * fake child writing raw bytes, and the child's rp_io driven by a fake
 * broker.
 *
 * Why: the sandbox is only as good as its failure paths. Every test here
 * asserts that a violation (forbidden system call, malformed or refused
 * frame, death, timeout) fails closed with a precise message and that the
 * backing store saw no write.
 * Security posture: test code. The child functions below (including the
 * ones that make forbidden system calls) live only in this test binary;
 * the release binary has no such entry point.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/seccomp.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <cap-ng.h>
#include <linux/capability.h>

#include "broker_serve.h"
#include "child_io.h"
#include "common/job.h"
#include "common/keys.h"
#include "common/sha256.h"
#include "helpers/memio.h"
#include "helpers/rawframe.h"
#include "privsep.h"
#include "privsep_opts.h"
#include "policy_bpf.h"
#include "proto.h"
#include "sandbox.h"
#include "seccomp_build.h"

#define MiB (1024u * 1024u)

static const char VALID_PREFIX[] =
	"tenant/1/namespace/2/scenario/s/run/r/spec/sha256/"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/";

/* ---------------------------------------------------------------- helpers */

static rp_job mkjob(uint32_t kind)
{
	rp_job j;
	memset(&j, 0, sizeof j);
	j.kind = kind;
	return j;
}

static void assert_msg(const rp_err *err, const char *needle)
{
	if (strstr(err->msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static int g_timeout_ms = 10000;
static pid_t g_child;

static void remember_pid(pid_t pid, void *ctx)
{
	(void)ctx;
	g_child = pid;
}

static rp_code run(uint32_t kind, memio *m, rp_child_main fn, rp_err *err)
{
	rp_job job = mkjob(kind);
	rp_io io = memio_io(m);
	privsep_opts opts = { .timeout_ms = g_timeout_ms, .harden_parent = 0,
			      .on_spawn = remember_pid };
	rp_err_clear(err);
	return privsep_run_opts(&job, &io, fn, NULL, &opts, err);
}

static int sanitizer_build(void)
{
#ifdef RP_SANITIZER_BUILD
	return 1;
#else
	return 0;
#endif
}

/* Sinks used inside children. */
typedef struct hash_sink {
	rp_sha256 h;
	uint64_t n;
	int fail_after; /* > 0: fail on that call */
	int calls;
} hash_sink;

static int sink_hash(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	hash_sink *s = ctx;
	if (s->fail_after > 0 && ++s->calls >= s->fail_after)
		return rp_err_set(err, RP_E_LIMIT, "sink stops after %d chunks", s->fail_after);
	rp_sha256_update(&s->h, p, n);
	s->n += n;
	return 0;
}

static void hex_of(hash_sink *s, char hex[RP_SHA256_HEX_LEN + 1])
{
	uint8_t d[RP_SHA256_LEN];
	rp_sha256_final(&s->h, d);
	rp_hex_encode(d, sizeof d, hex);
}

static int out_str(const rp_io *io, int fd, const char *s, rp_err *err)
{
	return io->ops->output(io->self, fd, (const uint8_t *)s, strlen(s), err);
}

/* Parameters for child functions (the child inherits them through fork). */
static struct {
	const char *path;
	rp_root root;
	uint64_t max;
	int which;
	size_t size;
} g;

/* ------------------------------------------------ children for the happy paths */

static rp_code child_hash_file(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, g.root, g.path, g.max, sink_hash, &s, err) != 0)
		return err->code;
	char hex[RP_SHA256_HEX_LEN + 2];
	hex_of(&s, hex);
	strcat(hex, "\n");
	if (out_str(io, 1, hex, err) != 0 || out_str(io, 2, "note\n", err) != 0)
		return err->code;
	return RP_OK;
}

static void expect_hex(const void *p, size_t n, char hex[RP_SHA256_HEX_LEN + 2])
{
	rp_sha256_hex(p, n, hex);
	strcat(hex, "\n");
}

static void test_read_and_output(void **state)
{
	(void)state;
	memio *m = memio_new();
	static const char doc[] = "{\"schema_version\":1}";
	memio_put(m, RP_ROOT_IN, "manifest.json", doc, sizeof doc - 1);
	g.root = RP_ROOT_IN;
	g.path = "manifest.json";
	g.max = RP_MAX_ARTIFACT_BYTES;
	rp_err err;
	rp_code rc = run(RP_JOB_VERIFY, m, child_hash_file, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	char want[RP_SHA256_HEX_LEN + 2];
	expect_hex(doc, sizeof doc - 1, want);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), want);
	assert_string_equal(memio_output(m, 2, &n), "note\n");
	assert_int_equal(memio_get_stats(m).writes, 0);
	memio_free(m);
}

static rp_code child_verdict(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	rp_err_set(err, RP_E_VERIFY, "hash mismatch for artifacts/a.json\x1b[31m");
	return RP_E_VERIFY;
}

static rp_code child_silent_verdict(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	return RP_E_VERIFY; /* the report went to stdout; no message */
}

static void test_child_verdict_passes_through(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_err err;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_verdict, &err), RP_E_VERIFY);
	assert_int_equal(err.code, RP_E_VERIFY);
	/* the child's text is escaped by the broker */
	assert_string_equal(err.msg, "hash mismatch for artifacts/a.json\\x1b[31m");
	assert_int_equal(run(RP_JOB_VERIFY, m, child_silent_verdict, &err), RP_E_VERIFY);
	assert_string_equal(err.msg, "");
	memio_free(m);
}

static rp_code child_read_expect_error(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, g.root, g.path, g.max, sink_hash, &s, err) == 0) {
		rp_err_set(err, RP_E_INTERNAL, "read unexpectedly succeeded");
		return RP_E_INTERNAL;
	}
	return err->code;
}

static void test_read_errors_reach_child(void **state)
{
	(void)state;
	memio *m = memio_new();
	static uint8_t hundred[100];
	memio_put(m, RP_ROOT_IN, "big.bin", hundred, sizeof hundred);
	rp_err err;
	g.root = RP_ROOT_IN;
	g.path = "missing.json";
	g.max = 1000;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_read_expect_error, &err), RP_E_NOTFOUND);
	assert_string_equal(err.msg, "not found: missing.json");
	g.path = "big.bin";
	g.max = 10;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_read_expect_error, &err), RP_E_TOO_LARGE);
	assert_string_equal(err.msg, "artifact too large: big.bin (100 > 10)");
	/* the child refuses bad paths itself: a content error, nothing sent */
	unsigned reads = memio_get_stats(m).reads;
	g.path = "../x";
	assert_int_equal(run(RP_JOB_VERIFY, m, child_read_expect_error, &err), RP_E_PATH);
	assert_msg(&err, "artifact path escapes runpack root");
	assert_int_equal(memio_get_stats(m).reads, reads);
	memio_free(m);
}

/* A sink that gives up early must not desynchronise the stream. */
static rp_code child_sink_abort(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	s.fail_after = 2;
	if (io->ops->read(io->self, RP_ROOT_IN, "big.bin", RP_MAX_ARTIFACT_BYTES, sink_hash, &s,
			  err) == 0 ||
	    err->code != RP_E_LIMIT)
		return RP_E_INTERNAL;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, RP_ROOT_IN, "small.json", 100, sink_hash, &s, err) != 0)
		return err->code;
	return out_str(io, 1, "ok", err) == 0 ? RP_OK : err->code;
}

static void test_sink_abort_keeps_stream_in_step(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put_generated(m, RP_ROOT_IN, "big.bin", 3 * MiB, 7);
	memio_put(m, RP_ROOT_IN, "small.json", "{}", 2);
	rp_err err;
	rp_code rc = run(RP_JOB_VERIFY, m, child_sink_abort, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "ok");
	memio_free(m);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (p != NULL)
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(i * 31 + (i >> 9));
	return p;
}

static rp_code child_pack(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, RP_ROOT_IN, "src.json", 100, sink_hash, &s, err) != 0 ||
	    io->ops->read(io->self, RP_ROOT_FILE, "", 100, sink_hash, &s, err) != 0)
		return err->code;
	uint8_t *p = pattern(g.size);
	if (p == NULL)
		return rp_err_set(err, RP_E_NOMEM, "oom"), RP_E_NOMEM;
	if (io->ops->write(io->self, RP_ROOT_OUT, "artifacts/a.bin", p, g.size, err) != 0 ||
	    io->ops->write(io->self, RP_ROOT_OUT, "empty", p, 0, err) != 0)
		return err->code;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, RP_ROOT_OUT, "artifacts/a.bin", RP_MAX_ARTIFACT_BYTES, sink_hash,
			  &s, err) != 0)
		return err->code;
	uint8_t got[RP_SHA256_LEN], want[RP_SHA256_LEN];
	rp_sha256_final(&s.h, got);
	rp_sha256(p, g.size, want);
	free(p);
	if (memcmp(got, want, sizeof got) != 0)
		return rp_err_set(err, RP_E_VERIFY, "read back differs"), RP_E_VERIFY;
	if (io->ops->commit(io->self, err) != 0)
		return err->code;
	return out_str(io, 1, "packed\n", err) == 0 ? RP_OK : err->code;
}

static void test_pack_flow(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put(m, RP_ROOT_IN, "src.json", "{}", 2);
	memio_put(m, RP_ROOT_FILE, "", "[1]", 3);
	g.size = 3 * MiB + 12345; /* several DATA frames, last one partial */
	rp_err err;
	rp_code rc = run(RP_JOB_PACK, m, child_pack, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n = 0;
	const uint8_t *w = memio_get(m, RP_ROOT_OUT, "artifacts/a.bin", &n);
	assert_non_null(w);
	assert_int_equal(n, g.size);
	uint8_t *p = pattern(g.size);
	assert_memory_equal(w, p, g.size);
	free(p);
	assert_non_null(memio_get(m, RP_ROOT_OUT, "empty", &n));
	assert_int_equal(n, 0);
	assert_int_equal(memio_get_stats(m).commits, 1);
	assert_int_equal(memio_get_stats(m).writes, 2);
	memio_free(m);
}

static rp_code child_export(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, RP_ROOT_IN, "manifest.json", 1000, sink_hash, &s, err) != 0 ||
	    io->ops->store_open(io->self, VALID_PREFIX, 1, err) != 0)
		return err->code;
	if (io->ops->read(io->self, RP_ROOT_STORE, "manifest.json", 1000, sink_hash, &s, err) == 0 ||
	    err->code != RP_E_NOTFOUND)
		return rp_err_set(err, RP_E_INTERNAL, "store should be empty"), RP_E_INTERNAL;
	if (io->ops->copy(io->self, RP_ROOT_IN, RP_ROOT_STORE, "artifacts/x.json", 1000, err) != 0 ||
	    io->ops->write(io->self, RP_ROOT_STORE, "manifest.json", (const uint8_t *)"{}", 2, err) != 0)
		return err->code;
	return out_str(io, 1, "exported\n", err) == 0 ? RP_OK : err->code;
}

static void test_export_flow(void **state)
{
	(void)state;
	rp_err err;
	assert_int_equal(rp_key_prefix_check(VALID_PREFIX, &err), 0);
	memio *m = memio_new();
	memio_put(m, RP_ROOT_IN, "manifest.json", "{}", 2);
	memio_put(m, RP_ROOT_IN, "artifacts/x.json", "[]", 2);
	rp_code rc = run(RP_JOB_EXPORT, m, child_export, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(memio_store_prefix(m), VALID_PREFIX);
	size_t n;
	assert_non_null(memio_get(m, RP_ROOT_STORE, "artifacts/x.json", &n));
	assert_non_null(memio_get(m, RP_ROOT_STORE, "manifest.json", &n));
	memio_free(m);
}

static rp_code child_fetch(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->copy(io->self, RP_ROOT_IN, RP_ROOT_OUT, "artifacts/x.json", 1000, err) != 0 ||
	    io->ops->write(io->self, RP_ROOT_OUT, "manifest.json", (const uint8_t *)"{}", 2, err) != 0 ||
	    io->ops->read(io->self, RP_ROOT_OUT, "artifacts/x.json", 1000, sink_hash, &s, err) != 0 ||
	    io->ops->commit(io->self, err) != 0)
		return err->code;
	return s.n == 2 ? RP_OK : RP_E_INTERNAL;
}

static void test_fetch_flow(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put(m, RP_ROOT_IN, "artifacts/x.json", "[]", 2);
	rp_err err;
	rp_code rc = run(RP_JOB_FETCH, m, child_fetch, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(memio_get_stats(m).commits, 1);
	memio_free(m);
}

static int list_print(void *ctx, const rp_list_entry *e, rp_err *err)
{
	const rp_io *io = ctx;
	char line[RP_KEY_PREFIX_MAX + 8];
	snprintf(line, sizeof line, "%s %d\n", e->prefix, e->has_manifest);
	return out_str(io, 1, line, err);
}

static rp_code child_ls(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	/* output while a LIST stream is open is not allowed: collect first */
	return io->ops->list(io->self, list_print, (void *)io, err) == 0 ? RP_OK : err->code;
}

static int list_count(void *ctx, const rp_list_entry *e, rp_err *err)
{
	(void)err;
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static rp_code child_ls_count(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	int n = 0;
	if (io->ops->list(io->self, list_count, &n, err) != 0)
		return err->code;
	char line[32];
	snprintf(line, sizeof line, "%d runpacks\n", n);
	return out_str(io, 1, line, err) == 0 ? RP_OK : err->code;
}

static int sink_nested(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	const rp_io *io = ctx;
	(void)p;
	(void)n;
	hash_sink s;
	memset(&s, 0, sizeof s);
	return io->ops->read(io->self, RP_ROOT_IN, "a.json", 10, sink_hash, &s, err);
}

static rp_code child_nested_read(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	if (io->ops->read(io->self, RP_ROOT_IN, "a.json", 10, sink_nested, (void *)io, err) == 0 ||
	    err->code != RP_E_INTERNAL)
		return RP_E_VERIFY;
	char msg[RP_ERR_MSG_MAX];
	snprintf(msg, sizeof msg, "%s", err->msg);
	return out_str(io, 1, msg, err) == 0 ? RP_OK : err->code;
}

static void test_ls_flow(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_add_list_entry(m, VALID_PREFIX, 1);
	memio_add_list_entry(m, "tenant/1/namespace/2/", 0);
	rp_err err;
	rp_code rc = run(RP_JOB_LS, m, child_ls_count, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "2 runpacks\n");
	memio_free(m);

	/* Output from inside the list callback (what `ls` does) is deferred
	 * until the LIST stream ends, then sent in order. */
	m = memio_new();
	memio_add_list_entry(m, VALID_PREFIX, 1);
	memio_add_list_entry(m, "tenant/1/namespace/2/", 0);
	rc = run(RP_JOB_LS, m, child_ls, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	char want[512];
	snprintf(want, sizeof want, "%s 1\ntenant/1/namespace/2/ 0\n", VALID_PREFIX);
	assert_string_equal(memio_output(m, 1, &n), want);
	memio_free(m);

	/* Any other operation inside a callback is refused locally (the broker
	 * is mid-stream); the channel stays usable. */
	m = memio_new();
	memio_add_list_entry(m, VALID_PREFIX, 1);
	memio_put(m, RP_ROOT_IN, "a.json", "{}", 2);
	rc = run(RP_JOB_VERIFY, m, child_nested_read, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(memio_output(m, 1, &n), "read called from a read sink or list callback (not supported)");
	memio_free(m);
}

static rp_code child_jcs(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	if (io->ops->read(io->self, RP_ROOT_FILE, "", RP_MAX_ARTIFACT_BYTES, sink_hash, &s, err) != 0)
		return err->code;
	char hex[RP_SHA256_HEX_LEN + 2];
	hex_of(&s, hex);
	return out_str(io, 1, hex, err) == 0 ? RP_OK : err->code;
}

static void test_jcs_file(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put(m, RP_ROOT_FILE, "", "{\"b\":1,\"a\":2}", 13);
	rp_err err;
	rp_code rc = run(RP_JOB_JCS, m, child_jcs, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	char want[RP_SHA256_HEX_LEN + 1];
	rp_sha256_hex("{\"b\":1,\"a\":2}", 13, want);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), want);
	memio_free(m);
}

/* ------------------------------------- requests the dispatch table refuses */

static rp_code child_disallowed(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	const uint8_t two[2] = { '{', '}' };
	switch (g.which) {
	case 0: /* verify may not write */
		(void)io->ops->write(io->self, RP_ROOT_OUT, "x.json", two, 2, err);
		break;
	case 1: /* jcs may not read IN */
		(void)io->ops->read(io->self, RP_ROOT_IN, "m.json", 10, sink_hash, &s, err);
		break;
	case 2: /* ls may not commit */
		(void)io->ops->commit(io->self, err);
		break;
	case 3: /* commit is once */
		(void)io->ops->commit(io->self, err);
		(void)io->ops->commit(io->self, err);
		break;
	case 4: /* OUT is finished after commit */
		(void)io->ops->commit(io->self, err);
		(void)io->ops->write(io->self, RP_ROOT_OUT, "late.json", two, 2, err);
		break;
	case 5: /* STORE before store_open */
		(void)io->ops->read(io->self, RP_ROOT_STORE, "m.json", 10, sink_hash, &s, err);
		break;
	case 6: /* export copies IN -> STORE only */
		(void)io->ops->copy(io->self, RP_ROOT_IN, RP_ROOT_OUT, "m.json", 10, err);
		break;
	case 7: /* verify may not list */
		(void)io->ops->list(io->self, list_count, &(int){ 0 }, err);
		break;
	case 8: /* fetch may not open the store */
		(void)io->ops->store_open(io->self, VALID_PREFIX, 0, err);
		break;
	}
	/* The broker kills us on the refused request; if we get here anyway
	 * (it answered), report success so the test notices. */
	return RP_OK;
}

static void test_dispatch_refusals(void **state)
{
	(void)state;
	static const struct {
		uint32_t kind;
		const char *want;
	} cases[] = {
		{ RP_JOB_VERIFY, "(job verify): WRITE_BEGIN.root 2 (OUT) is not writable" },
		{ RP_JOB_JCS, "(job jcs): READ_REQ.root 1 (IN) is not readable" },
		{ RP_JOB_LS, "(job ls): COMMIT is not allowed" },
		{ RP_JOB_PACK, "(job pack): COMMIT sent twice" },
		{ RP_JOB_PACK, "(job pack): WRITE_BEGIN uses the OUT root after COMMIT" },
		{ RP_JOB_EXPORT, "STORE root before a successful STORE_OPEN" },
		{ RP_JOB_EXPORT, "(job export): COPY_REQ IN -> OUT is not allowed" },
		{ RP_JOB_VERIFY, "(job verify): LIST_REQ is not allowed" },
		{ RP_JOB_FETCH, "(job fetch): STORE_OPEN is not allowed" },
	};
	for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
		memio *m = memio_new();
		memio_put(m, RP_ROOT_IN, "m.json", "{}", 2);
		g.which = i;
		rp_err err;
		rp_code rc = run(cases[i].kind, m, child_disallowed, &err);
		if (rc != RP_E_PROTO || strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %d: rc %d msg '%s', want '%s'", i, rc, err.msg, cases[i].want);
		assert_msg(&err, "child request refused");
		if (i != 4) /* case 4 committed before its refused write */
			assert_int_equal(memio_get_stats(m).writes, 0);
		memio_free(m);
	}
}

/* ------------------------------------------------------ forbidden calls */

static rp_code child_forbidden(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	switch (g.which) {
	case 0: syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); break;
	case 1: syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); break;
	case 2: {
		char *argv[] = { "/bin/true", NULL };
		syscall(SYS_execve, "/bin/true", argv, NULL);
		break;
	}
	case 3: syscall(SYS_kill, getppid(), 0); break; /* getppid is itself forbidden */
	case 4: syscall(SYS_kill, 1, 0); break;
	case 5: /* executable memory */
		syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case 6: {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_EXEC);
		break;
	}
	case 7: syscall(SYS_write, 2, "x", 1); break;     /* write is fd 1 only */
	case 8: syscall(SYS_read, 5, (char[1]){ 0 }, 1); break; /* read is fd 0 only */
	case 9: syscall(SYS_connect, 0, NULL, 0); break;
	case 10: syscall(SYS_open, "/etc/passwd", O_RDONLY); break;
	case 11: syscall(SYS_ptrace, 0, 0, 0, 0); break;
	case 12: syscall(SYS_clone, 0, 0, 0, 0, 0); break;
	case 13: syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_SHARED, 0, 0); break; /* file map */
	}
	return RP_OK;
}

static void test_forbidden_syscalls_kill_child(void **state)
{
	(void)state;
	if (sanitizer_build())
		skip(); /* no seccomp in sanitizer builds (sandbox_none.c) */
	static const char *names[] = { "openat", "socket", "execve", "kill(parent)", "kill(1)",
				       "mmap(PROT_EXEC)", "mprotect(PROT_EXEC)", "write(2)",
				       "read(5)", "connect", "open", "ptrace", "clone",
				       "mmap(file)" };
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
		memio *m = memio_new();
		g.which = i;
		rp_err err;
		rp_code rc = run(RP_JOB_VERIFY, m, child_forbidden, &err);
		if (rc != RP_E_SANDBOX || strstr(err.msg, "sandbox violation: child killed by SIGSYS") == NULL)
			fail_msg("%s: rc %d msg '%s'", names[i], rc, err.msg);
		assert_int_equal(memio_get_stats(m).writes, 0);
		memio_free(m);
	}
}

/* A child that streamed half an artifact and then was killed leaves
 * nothing behind: the broker writes only on a complete END. */
static rp_code child_half_write_then_violate(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	rawbuf r = { 0 };
	uint8_t fixed[12];
	rp_put_u32(fixed, RP_ROOT_OUT);
	rp_put_u64(fixed + 4, 1000);
	rawbuf_hdr(&r, RP_MSG_WRITE_BEGIN, 12 + 5, 1);
	rawbuf_bytes(&r, fixed, 12);
	rawbuf_bytes(&r, "a.bin", 5);
	rawbuf_frame(&r, RP_MSG_DATA, 2, "0123456789", 10);
	(void)!write(1, r.p, r.n);
	if (g.which == 0)
		syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	_exit(0); /* g.which 1: just stop */
}

static void test_half_write_leaves_nothing(void **state)
{
	(void)state;
	for (int w = sanitizer_build(); w < 2; w++) {
		memio *m = memio_new();
		g.which = w;
		rp_err err;
		rp_code rc = run(RP_JOB_PACK, m, child_half_write_then_violate, &err);
		if (w == 0) {
			assert_int_equal(rc, RP_E_SANDBOX);
			assert_msg(&err, "SIGSYS");
		} else {
			assert_int_equal(rc, RP_E_PROTO);
			assert_msg(&err, "child exited with status 0 without DONE");
			assert_msg(&err, "EOF from child in state write");
		}
		assert_int_equal(memio_get_stats(m).writes, 0);
		size_t n;
		assert_null(memio_get(m, RP_ROOT_OUT, "a.bin", &n));
		memio_free(m);
	}
}

/* ------------------------------------------------ credentials as root */

static struct {
	char status[8192];
	char limits[4096];
	int fds[16];
	int nfds;
} g_proc;

static void slurp_proc(const char *path, char *out, size_t outsz)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void inspect_child(void *ctx, rp_root root, const char *path)
{
	(void)ctx;
	(void)root;
	if (strcmp(path, "slow.json") != 0)
		return;
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/status", (int)g_child);
	slurp_proc(p, g_proc.status, sizeof g_proc.status);
	snprintf(p, sizeof p, "/proc/%d/limits", (int)g_child);
	slurp_proc(p, g_proc.limits, sizeof g_proc.limits);
	snprintf(p, sizeof p, "/proc/%d/fd", (int)g_child);
	g_proc.nfds = 0;
	DIR *d = opendir(p);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL && g_proc.nfds < 16)
			if (e->d_name[0] != '.')
				g_proc.fds[g_proc.nfds++] = atoi(e->d_name);
		closedir(d);
	}
}

static const char *status_field(const char *name)
{
	static char val[256];
	const char *p = strstr(g_proc.status, name);
	if (p == NULL)
		return "";
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, "\n");
	if (n >= sizeof val)
		n = sizeof val - 1;
	memcpy(val, p, n);
	val[n] = '\0';
	return val;
}

static void assert_limit(const char *name, const char *want)
{
	const char *p = strstr(g_proc.limits, name);
	if (p == NULL)
		fail_msg("no %s in /proc/<child>/limits", name);
	char soft[32], hard[32];
	if (sscanf(p + strlen(name), "%31s %31s", soft, hard) != 2)
		fail_msg("cannot parse %s", name);
	if (strcmp(soft, want) != 0 || strcmp(hard, want) != 0)
		fail_msg("%s: %s/%s, want %s", name, soft, hard, want);
}

static void test_root_child_credentials(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root: the child switches to "nobody" */
	struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	memio *m = memio_new();
	memio_put(m, RP_ROOT_IN, "slow.json", "{}", 2);
	memio_set_read_hook(m, inspect_child, NULL);
	g.root = RP_ROOT_IN;
	g.path = "slow.json";
	g.max = 100;
	memset(&g_proc, 0, sizeof g_proc);
	rp_err err;
	rp_code rc = run(RP_JOB_VERIFY, m, child_hash_file, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	char ids[64];
	snprintf(ids, sizeof ids, "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
	assert_string_equal(status_field("\nUid:"), ids);
	snprintf(ids, sizeof ids, "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid, (unsigned)pw->pw_gid,
		 (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	assert_string_equal(status_field("\nGid:"), ids);
	assert_string_equal(status_field("\nGroups:"), "");
	assert_string_equal(status_field("\nCapInh:"), "0000000000000000");
	assert_string_equal(status_field("\nCapPrm:"), "0000000000000000");
	assert_string_equal(status_field("\nCapEff:"), "0000000000000000");
	assert_string_equal(status_field("\nCapBnd:"), "0000000000000000");
	assert_string_equal(status_field("\nCapAmb:"), "0000000000000000");
	assert_string_equal(status_field("\nNoNewPrivs:"), "1");
	if (sanitizer_build()) {
		assert_string_equal(status_field("\nSeccomp:"), "0");
	} else {
		assert_string_equal(status_field("\nSeccomp:"), "2");
		assert_string_equal(status_field("\nSeccomp_filters:"), "1");
		/* exactly the two pipe ends */
		assert_int_equal(g_proc.nfds, 2);
		assert_true((g_proc.fds[0] == 0 && g_proc.fds[1] == 1) ||
			    (g_proc.fds[0] == 1 && g_proc.fds[1] == 0));
		assert_limit("Max open files", "0");
		assert_limit("Max address space", "536870912");
	}
	assert_limit("Max file size", "0");
	assert_limit("Max processes", "0");
	assert_limit("Max core file size", "0");
	memio_free(m);
}

static void test_root_bad_unprivileged_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* the account is only looked up when running as root */
	memio *m = memio_new();
	rp_job job = mkjob(RP_JOB_VERIFY);
	rp_io io = memio_io(m);
	privsep_opts opts = { .timeout_ms = g_timeout_ms };
	rp_err err;
	assert_int_equal(privsep_run_opts(&job, &io, child_verdict, "no-such-user-rpvault", &opts, &err),
			 RP_E_SANDBOX);
	assert_msg(&err, "unprivileged user 'no-such-user-rpvault' does not exist");
	/* The account is resolved while the child starts: that child was
	 * killed and reaped before it could read a frame; the job never ran. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(memio_get_stats(m).outputs, 0);
	assert_int_equal(privsep_run_opts(&job, &io, child_verdict, "root", &opts, &err), RP_E_SANDBOX);
	assert_msg(&err, "has uid or gid 0");
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(memio_get_stats(m).outputs, 0);
	memio_free(m);
}

static rp_code child_ok(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	return out_str(io, 1, "ok\n", err) == 0 ? RP_OK : err->code;
}

/* A confinement step that fails is reported, and the job never runs: a
 * root broker without CAP_SETUID cannot make its child "nobody". Run in a
 * throw-away process because the capability drop is one-way. */
static void test_root_confinement_failure_is_reported(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root to have a uid switch that can fail */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		capng_get_caps_process();
		capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SETUID);
		if (capng_apply(CAPNG_SELECT_CAPS) != 0)
			_exit(20);
		memio *m = memio_new();
		rp_job job = mkjob(RP_JOB_VERIFY);
		rp_io io = memio_io(m);
		privsep_opts opts = { .timeout_ms = g_timeout_ms };
		rp_err err;
		rp_code rc = privsep_run_opts(&job, &io, child_ok, NULL, &opts, &err);
		size_t n;
		if (rc != RP_E_SANDBOX)
			_exit(21);
		if (strstr(err.msg, "child confinement failed: confine: switching to user 'nobody'") == NULL)
			_exit(22);
		if (memio_get_stats(m).outputs != 0 || memio_output(m, 1, &n)[0] != '\0')
			_exit(23); /* the job must not have run */
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The public entry point also hardens the broker: run it in a throw-away
 * process (the capability drop is one-way) and inspect that process. */
static void test_broker_hardening(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memio *m = memio_new();
		rp_job job = mkjob(RP_JOB_VERIFY);
		rp_io io = memio_io(m);
		rp_err err;
		if (privsep_run(&job, &io, child_ok, NULL, &err) != RP_OK)
			_exit(10);
		slurp_proc("/proc/self/status", g_proc.status, sizeof g_proc.status);
		if (strcmp(status_field("\nNoNewPrivs:"), "1") != 0)
			_exit(11);
		/* Root keeps only file access: DAC_OVERRIDE (1), DAC_READ_SEARCH
		 * (2), FOWNER (3) = 0xe; anyone else keeps nothing. */
		const char *files = geteuid() == 0 ? "000000000000000e" : "0000000000000000";
		if (strcmp(status_field("\nCapEff:"), files) != 0 ||
		    strcmp(status_field("\nCapPrm:"), files) != 0)
			_exit(12);
		if (geteuid() == 0 && strcmp(status_field("\nCapBnd:"), files) != 0)
			_exit(13);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------ death, exit, timeout */

static void kill_child_now(void *ctx, rp_root root, const char *path)
{
	(void)ctx;
	(void)root;
	if (strcmp(path, "slow.json") == 0)
		kill(g_child, SIGKILL);
}

static void test_kill_mid_read(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put_generated(m, RP_ROOT_IN, "slow.json", 4 * MiB, 3);
	memio_set_read_hook(m, kill_child_now, NULL);
	g.root = RP_ROOT_IN;
	g.path = "slow.json";
	g.max = RP_MAX_ARTIFACT_BYTES;
	rp_err err;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_hash_file, &err), RP_E_SANDBOX);
	assert_msg(&err, "child killed by SIGKILL");
	memio_free(m);
}

static pid_t g_killer;

static void spawn_killer(pid_t pid, void *ctx)
{
	(void)ctx;
	g_child = pid;
	pid_t k = fork();
	g_killer = k;
	if (k == 0) {
		struct timespec ts = { 0, 150 * 1000000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		_exit(0);
	}
}

static rp_code child_write_forever(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	uint8_t *p = pattern(16 * MiB);
	if (p == NULL)
		return RP_E_NOMEM;
	for (unsigned i = 0;; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%u", i % 4);
		if (io->ops->write(io->self, RP_ROOT_OUT, name, p, 16 * MiB, err) != 0)
			return err->code;
	}
}

static void test_kill_mid_write(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_job job = mkjob(RP_JOB_PACK);
	rp_io io = memio_io(m);
	privsep_opts opts = { .timeout_ms = g_timeout_ms, .on_spawn = spawn_killer };
	rp_err err;
	assert_int_equal(privsep_run_opts(&job, &io, child_write_forever, NULL, &opts, &err),
			 RP_E_SANDBOX);
	assert_msg(&err, "child killed by SIGKILL");
	if (g_killer > 0)
		assert_int_equal(waitpid(g_killer, NULL, 0), g_killer);
	memio_free(m);
}

static rp_code child_exit_early(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	_exit(g.which);
}

static void test_exit_without_done(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_err err;
	g.which = 0;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_exit_early, &err), RP_E_PROTO);
	assert_msg(&err, "child exited with status 0 without DONE");
	g.which = 3;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_exit_early, &err), RP_E_PROTO);
	assert_msg(&err, "status 3");
	memio_free(m);
}

static rp_code child_spin(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	for (volatile unsigned long i = 0;; i++) {
	}
	return RP_OK;
}

static void test_timeout_kills_child(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_err err;
	g_timeout_ms = 300;
	rp_code rc = run(RP_JOB_VERIFY, m, child_spin, &err);
	g_timeout_ms = 10000;
	assert_int_equal(rc, RP_E_SANDBOX);
	assert_msg(&err, "child did not complete a frame within 300 ms");
	/* reaped: no such process any more */
	assert_int_equal(kill(g_child, 0), -1);
	memio_free(m);
}

static rp_code child_garbage(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	(void)err;
	static const char junk[] = "hello, broker!";
	(void)!write(1, junk, sizeof junk - 1);
	char c;
	(void)!read(0, &c, 1); /* wait to be killed */
	return RP_OK;
}

static void test_garbage_from_real_child(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_err err;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_garbage, &err), RP_E_PROTO);
	assert_msg(&err, "frame from child: unknown type");
	memio_free(m);
}

/* -------------------------------------------------- 64 MiB through frames */

static rp_code child_hash_parts(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	hash_sink s;
	memset(&s, 0, sizeof s);
	rp_sha256_init(&s.h);
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof name, "artifacts/part%d.bin", i);
		if (io->ops->read(io->self, RP_ROOT_IN, name, RP_MAX_ARTIFACT_BYTES, sink_hash, &s,
				  err) != 0)
			return err->code;
	}
	char line[RP_SHA256_HEX_LEN + 40];
	char hex[RP_SHA256_HEX_LEN + 1];
	hex_of(&s, hex);
	snprintf(line, sizeof line, "%llu %s", (unsigned long long)s.n, hex);
	return out_str(io, 1, line, err) == 0 ? RP_OK : err->code;
}

static void test_64mib_stream(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_set_chunk(m, 1 * MiB);
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof name, "artifacts/part%d.bin", i);
		memio_put_generated(m, RP_ROOT_IN, name, 16 * MiB, (uint64_t)(100 + i));
	}
	rp_err err;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rp_code rc = run(RP_JOB_VERIFY, m, child_hash_parts, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	rp_sha256 h;
	rp_sha256_init(&h);
	uint8_t *buf = malloc(MiB);
	assert_non_null(buf);
	for (int i = 0; i < 4; i++)
		for (uint64_t off = 0; off < 16 * MiB; off += MiB) {
			memio_gen_bytes((uint64_t)(100 + i), off, buf, MiB);
			rp_sha256_update(&h, buf, MiB);
		}
	free(buf);
	uint8_t d[RP_SHA256_LEN];
	char hex[RP_SHA256_HEX_LEN + 1], want[RP_SHA256_HEX_LEN + 40];
	rp_sha256_final(&h, d);
	rp_hex_encode(d, sizeof d, hex);
	snprintf(want, sizeof want, "%llu %s", 64ull * MiB, hex);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), want);
	assert_int_equal(memio_get_stats(m).bytes_read, 64ull * MiB);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("64 MiB through frames (generate + frame + hash): %.3f s\n", s);
	memio_free(m);
}

/* ------------------------------------------- what glibc needs in the child */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static rp_code child_heavy_libc(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	/* brk heap, mmapped blocks, realloc growth (mremap), frees, qsort's
	 * merge buffer, formatting with floats: the policy must cover them. */
	void *small[1000];
	for (int i = 0; i < 1000; i++)
		if ((small[i] = malloc((size_t)(16 + i * 37))) == NULL)
			return RP_E_NOMEM;
	for (int i = 0; i < 1000; i += 2)
		free(small[i]);
	uint8_t *big = NULL;
	for (size_t sz = MiB; sz <= 128 * MiB; sz *= 2) {
		uint8_t *nb = realloc(big, sz);
		if (nb == NULL)
			return rp_err_set(err, RP_E_NOMEM, "realloc %zu", sz), RP_E_NOMEM;
		big = nb;
		memset(big + sz / 2, 0xab, sz / 2);
	}
	free(big);
	for (int i = 1; i < 1000; i += 2)
		free(small[i]);
	size_t n = 200000;
	uint32_t *v = malloc(n * sizeof *v);
	if (v == NULL)
		return RP_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)((i * 2654435761u) ^ 0x5bd1e995u);
	qsort(v, n, sizeof *v, cmp_u32);
	for (size_t i = 1; i < n; i++)
		if (v[i - 1] > v[i])
			return RP_E_INTERNAL;
	free(v);
	char line[128];
	snprintf(line, sizeof line, "%.3f %s %lld\n", 3.14159, "pi", (long long)-42);
	double d = strtod("1e10", NULL);
	if (d != 1e10)
		return RP_E_INTERNAL;
	return out_str(io, 1, line, err) == 0 ? RP_OK : err->code;
}

static void test_libc_needs_are_allowed(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_err err;
	rp_code rc = run(RP_JOB_VERIFY, m, child_heavy_libc, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "3.142 pi -42\n");
	memio_free(m);
}

static rp_code child_huge_alloc(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	(void)io;
	void *p = malloc((size_t)1 << 30);
	if (p == NULL)
		return rp_err_set(err, RP_E_NOMEM, "1 GiB allocation refused"), RP_E_NOMEM;
	free(p);
	return RP_OK;
}

static void test_address_space_is_bounded(void **state)
{
	(void)state;
	if (sanitizer_build())
		skip(); /* RLIMIT_AS is not set under ASan */
	memio *m = memio_new();
	rp_err err;
	assert_int_equal(run(RP_JOB_VERIFY, m, child_huge_alloc, &err), RP_E_NOMEM);
	assert_string_equal(err.msg, "1 GiB allocation refused");
	memio_free(m);
}

/* ------------------------------------------------------ policy and jobs */

static int read_names(FILE *f, int pfc, char names[][32], int max)
{
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, f) != NULL && n < max) {
		if (pfc) {
			const char *p = strstr(line, "# filter for syscall \"");
			if (p == NULL)
				continue;
			p += strlen("# filter for syscall \"");
			size_t k = strcspn(p, "\"");
			snprintf(names[n++], 32, "%.*s", (int)k, p);
		} else {
			char *s = line + strspn(line, " \t");
			if (*s == '#' || *s == '\n' || *s == '\0')
				continue;
			size_t k = strcspn(s, " \t|");
			snprintf(names[n++], 32, "%.*s", (int)k, s);
		}
	}
	return n;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_loaded_policy_matches_policy_file(void **state)
{
	(void)state;
	if (sanitizer_build())
		skip(); /* the none backend loads no filter */
	FILE *pf = tmpfile();
	assert_non_null(pf);
	rp_err err;
	if (sandbox_print_policy(fileno(pf), &err) != 0)
		fail_msg("%s", err.msg);
	rewind(pf);
	char pfc[64][32], pol[64][32];
	int npfc = read_names(pf, 1, pfc, 64);
	rewind(pf);
	char text[16384];
	size_t tn = fread(text, 1, sizeof text - 1, pf);
	text[tn] = '\0';
	fclose(pf);
	FILE *f = fopen("policy/child.policy", "r");
	if (f == NULL)
		fail_msg("run from the source tree: policy/child.policy not found");
	int npol = read_names(f, 0, pol, 64);
	fclose(f);
	qsort(pfc, (size_t)npfc, sizeof pfc[0], cmp_name);
	qsort(pol, (size_t)npol, sizeof pol[0], cmp_name);
	assert_true(npol > 0);
	assert_int_equal(npfc, npol);
	for (int i = 0; i < npol; i++)
		assert_string_equal(pfc[i], pol[i]);
	/* default and foreign-ABI actions both kill the process */
	assert_non_null(strstr(text, "action KILL_PROCESS;"));
	assert_null(strstr(text, "action ALLOW;\n  # default action\n  action ALLOW"));
}

/* The child loads the program compiled at build time (policy_bpf.c). It
 * must be byte for byte what libseccomp compiles from the policy table on
 * this system now - exported here without the shared export helper - or
 * the PFC that `sandbox --print` shows would not describe it. */
static void test_prepared_program_is_fresh_compile(void **state)
{
	(void)state;
	if (sanitizer_build())
		skip(); /* the none backend loads no program */
	rp_err err;
	rp_err_clear(&err);
	if (sandbox_check_prepared(&err) != 0)
		fail_msg("%s", err.msg);
	scmp_filter_ctx ctx;
	if (rp_seccomp_build(&ctx, &err) != 0)
		fail_msg("%s", err.msg);
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(seccomp_export_bpf(ctx, fileno(f)), 0);
	seccomp_release(ctx);
	rewind(f);
	struct sock_filter fresh[BPF_MAXINSNS];
	size_t n = fread(fresh, sizeof fresh[0], BPF_MAXINSNS, f);
	fclose(f);
	assert_int_equal(n, rp_policy_bpf_len);
	assert_memory_equal(fresh, rp_policy_bpf, n * sizeof fresh[0]);
	assert_int_equal(rp_policy_bpf_arch, seccomp_arch_native());
#if defined(__x86_64__) && !defined(__ILP32__)
	assert_int_equal(rp_policy_bpf_arch, SCMP_ARCH_X86_64);
#endif
	/* Shape: the first instructions load seccomp_data.arch and kill on
	 * any other architecture; every return is ALLOW or KILL_PROCESS. */
	assert_int_equal(rp_policy_bpf[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(rp_policy_bpf[0].k, offsetof(struct seccomp_data, arch));
	assert_int_equal(rp_policy_bpf[1].k, seccomp_arch_native());
	int kills = 0;
	for (size_t i = 0; i < n; i++)
		if (rp_policy_bpf[i].code == (BPF_RET | BPF_K)) {
			assert_true(rp_policy_bpf[i].k == SECCOMP_RET_ALLOW ||
				    rp_policy_bpf[i].k == SECCOMP_RET_KILL_PROCESS);
			kills += rp_policy_bpf[i].k == SECCOMP_RET_KILL_PROCESS;
		}
	assert_true(kills >= 1);
}

static void test_job_validate(void **state)
{
	(void)state;
	rp_err err;
	rp_job j = mkjob(RP_JOB_VERIFY);
	assert_int_equal(rp_job_validate(&j, &err), 0);
	j.kind = 0;
	assert_int_equal(rp_job_validate(&j, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);
	assert_msg(&err, "job.kind 0 out of range");
	j.kind = RP_JOB_SELFTEST_SYSCALL; /* not a job of the release binary */
	assert_int_equal(rp_job_validate(&j, &err), -1);
	j = mkjob(RP_JOB_JCS);
	j.flags = 1u << 20;
	assert_int_equal(rp_job_validate(&j, &err), -1);
	assert_msg(&err, "unknown bits");
	j = mkjob(RP_JOB_LS);
	j.format = 3;
	assert_int_equal(rp_job_validate(&j, &err), -1);
	j = mkjob(RP_JOB_LS);
	j.ts_kind = 2;
	assert_int_equal(rp_job_validate(&j, &err), -1);
	j = mkjob(RP_JOB_PACK);
	memset(j.run_id, 'a', sizeof j.run_id);
	assert_int_equal(rp_job_validate(&j, &err), -1);
	assert_msg(&err, "job.run_id is not NUL-terminated");
	j = mkjob(RP_JOB_PACK);
	memset(j.store_uri, 'a', sizeof j.store_uri);
	assert_int_equal(rp_job_validate(&j, &err), -1);
	j = mkjob(RP_JOB_VERIFY);
	strcpy(j.manifest_name, "../m.json");
	assert_int_equal(rp_job_validate(&j, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);
	j = mkjob(RP_JOB_VERIFY);
	strcpy(j.manifest_name, "m.json");
	strcpy(j.store_prefix, VALID_PREFIX);
	j.flags = RP_JOB_F_FROM_STORE;
	assert_int_equal(rp_job_validate(&j, &err), 0);
	strcpy(j.store_prefix, "tenant/x/");
	assert_int_equal(rp_job_validate(&j, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);

	/* privsep_run refuses an invalid job before forking */
	memio *m = memio_new();
	rp_io io = memio_io(m);
	j = mkjob(9);
	privsep_opts opts = { .timeout_ms = g_timeout_ms };
	assert_int_equal(privsep_run_opts(&j, &io, child_ok, NULL, &opts, &err), RP_E_INTERNAL);
	assert_msg(&err, "invalid job");
	memio_free(m);
}

/* --------------------------------------------- early spawn (spawn/serve) */

/* The value of a /proc/<pid>/status line ("" if absent). */
static void pid_status(pid_t pid, const char *key, char *out, size_t n)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	size_t k = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[k] = '\0';
	const char *p = strstr(buf, key);
	if (p == NULL)
		return;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	size_t i = 0;
	while (p[i] != '\0' && p[i] != '\n' && i + 1 < n) {
		out[i] = p[i];
		i++;
	}
	out[i] = '\0';
}

/* Waits (up to 10 s) until pid has completed its confinement: the filter
 * is loaded (no_new_privs in sanitizer builds, which load none). */
static int wait_confined(pid_t pid)
{
	const char *key = sanitizer_build() ? "\nNoNewPrivs:" : "\nSeccomp:";
	const char *want = sanitizer_build() ? "1" : "2";
	for (int i = 0; i < 10000; i++) {
		char v[32];
		pid_status(pid, key, v, sizeof v);
		if (strcmp(v, want) == 0)
			return 1;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* privsep_spawn starts the child before any job exists: it confines itself
 * completely and then waits with nothing but its two pipe ends; a job
 * handed over later by privsep_serve runs as under privsep_run. SIGCHLD is
 * at its default while the child lives (an inherited SIG_IGN would
 * auto-reap it) and the caller's disposition comes back afterwards. */
static void test_spawn_confines_before_job(void **state)
{
	(void)state;
	struct sigaction ign, cur;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, &ign, NULL), 0);
	privsep_opts opts = { .timeout_ms = g_timeout_ms, .on_spawn = remember_pid };
	g_child = 0;
	privsep_child *ch = privsep_spawn_opts(child_ok, NULL, &opts);
	assert_non_null(ch);
	assert_true(g_child > 0);
	assert_int_equal(sigaction(SIGCHLD, NULL, &cur), 0);
	assert_true(cur.sa_handler == SIG_DFL);
	if (!wait_confined(g_child))
		fail_msg("the spawned child did not confine itself without a job");
	if (!sanitizer_build())
		assert_int_equal(count_fds(g_child), 2);
	if (geteuid() == 0) {
		char v[64];
		pid_status(g_child, "\nUid:", v, sizeof v);
		assert_true(v[0] != '\0' && strncmp(v, "0\t", 2) != 0);
	}
	/* The broker works on meanwhile (binds roots, say): the child has none
	 * of what it opens now. */
	int late = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(late >= 0);
	memio *m = memio_new();
	rp_job job = mkjob(RP_JOB_VERIFY);
	rp_io io = memio_io(m);
	rp_err err;
	rp_code rc = privsep_serve(ch, &job, &io, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "ok\n");
	assert_no_children();
	assert_int_equal(sigaction(SIGCHLD, NULL, &cur), 0);
	assert_true(cur.sa_handler == SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	close(late);
	memio_free(m);
}

/* An environment string of the broker, as the child sees it (same
 * address in the forked copy). */
static const char *g_env_secret;

static rp_code child_env_wiped(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	for (size_t i = 0; i < sizeof "RPVAULT_TEST_SECRET=hunter2-hunter2" - 1; i++)
		if (g_env_secret[i] != '\0')
			return out_str(io, 1, "env secret still in memory\n", err) == 0 ? RP_OK : err->code;
	return out_str(io, 1, "wiped\n", err) == 0 ? RP_OK : err->code;
}

/* A child spawned before the broker scrubs secrets from its environment
 * (object-store credentials) must not keep them: it wipes its copy of
 * every environment string, not only the pointers (clearenv). */
static void test_spawn_wipes_environment(void **state)
{
	(void)state;
	assert_int_equal(setenv("RPVAULT_TEST_SECRET", "hunter2-hunter2", 1), 0);
	const char *v = getenv("RPVAULT_TEST_SECRET");
	assert_non_null(v);
	g_env_secret = v - strlen("RPVAULT_TEST_SECRET=");
	assert_int_equal(strncmp(g_env_secret, "RPVAULT_TEST_SECRET=hunter2", 27), 0);
	privsep_opts opts = { .timeout_ms = g_timeout_ms };
	privsep_child *ch = privsep_spawn_opts(child_env_wiped, NULL, &opts);
	memio *m = memio_new();
	rp_job job = mkjob(RP_JOB_VERIFY);
	rp_io io = memio_io(m);
	rp_err err;
	rp_code rc = privsep_serve(ch, &job, &io, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "wiped\n");
	/* the broker's own copy is untouched */
	assert_string_equal(getenv("RPVAULT_TEST_SECRET"), "hunter2-hunter2");
	unsetenv("RPVAULT_TEST_SECRET");
	memio_free(m);
}

/* A command that fails before its job runs abandons the child: killed and
 * reaped at once, whether it is still starting or already waiting. */
static void test_abandon_leaves_no_child(void **state)
{
	(void)state;
	privsep_opts opts = { .timeout_ms = g_timeout_ms, .on_spawn = remember_pid };
	for (int waited = 0; waited < 2; waited++) {
		g_child = 0;
		privsep_child *ch = privsep_spawn_opts(child_ok, NULL, &opts);
		assert_non_null(ch);
		pid_t pid = g_child;
		assert_true(pid > 0);
		if (waited && !wait_confined(pid))
			fail_msg("the spawned child did not confine itself");
		privsep_abandon(ch);
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(errno, ESRCH);
		assert_no_children();
	}
	privsep_abandon(NULL);
}

/* What fails while starting is reported by privsep_serve, after its job
 * checks, with privsep_run's code and message; no child is left. */
static void test_spawn_failure_reported_by_serve(void **state)
{
	(void)state;
	memio *m = memio_new();
	rp_io io = memio_io(m);
	rp_job job = mkjob(RP_JOB_VERIFY);
	privsep_opts opts = { .timeout_ms = g_timeout_ms };
	rp_err err;
	assert_int_equal(privsep_serve(NULL, &job, &io, &err), RP_E_NOMEM);
	/* an invalid job: refused, and the waiting child killed and reaped */
	rp_job bad = mkjob(9);
	assert_int_equal(privsep_serve(privsep_spawn_opts(child_ok, NULL, &opts), &bad, &io, &err),
			 RP_E_INTERNAL);
	assert_msg(&err, "invalid job");
	assert_no_children();
	if (geteuid() == 0) {
		/* the account is resolved after the fork; that child is gone
		 * before privsep_spawn returns, the lookup's error waits */
		privsep_child *ch = privsep_spawn_opts(child_ok, "no-such-user-rpvault", &opts);
		assert_non_null(ch);
		assert_no_children();
		assert_int_equal(privsep_serve(ch, &job, &io, &err), RP_E_SANDBOX);
		assert_msg(&err, "unprivileged user 'no-such-user-rpvault' does not exist");
		/* the job's own checks come first, as in privsep_run */
		ch = privsep_spawn_opts(child_ok, "no-such-user-rpvault", &opts);
		assert_int_equal(privsep_serve(ch, &bad, &io, &err), RP_E_INTERNAL);
		assert_msg(&err, "invalid job");
	}
	assert_int_equal(memio_get_stats(m).outputs, 0);
	memio_free(m);
}

static rp_code child_check_job(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)io;
	if (strcmp(job->run_id, "run-1") != 0 || job->tenant != 7 || job->ts_value != 10)
		return rp_err_set(err, RP_E_VERIFY, "job fields differ"), RP_E_VERIFY;
	/* nothing after the terminators, nothing in padding */
	const unsigned char *p = (const unsigned char *)job->run_id;
	for (size_t i = 5; i < sizeof job->run_id; i++)
		if (p[i] != 0)
			return rp_err_set(err, RP_E_VERIFY, "stale byte at run_id[%zu]", i), RP_E_VERIFY;
	p = (const unsigned char *)job;
	for (size_t i = offsetof(rp_job, subject) + sizeof job->subject; i < sizeof *job; i++)
		if (p[i] != 0)
			return rp_err_set(err, RP_E_VERIFY, "stale padding byte %zu", i), RP_E_VERIFY;
	return RP_OK;
}

/* The JOB frame carries the fields, not whatever else was in the caller's
 * struct (bytes after a string's NUL, padding). */
static void test_job_frame_is_scrubbed(void **state)
{
	(void)state;
	rp_job job;
	memset(&job, 0xa5, sizeof job);
	job.kind = RP_JOB_VERIFY;
	job.flags = 0;
	job.format = RP_FMT_JSON;
	job.ts_kind = RP_TS_LOGICAL;
	job.ts_value = 10;
	job.tenant = 7;
	strcpy(job.run_id, "run-1");
	job.authority[0] = job.manifest_name[0] = job.store_prefix[0] = job.store_uri[0] = job.subject[0] = '\0';
	memio *m = memio_new();
	rp_io io = memio_io(m);
	privsep_opts opts = { .timeout_ms = g_timeout_ms };
	rp_err err;
	rp_code rc = privsep_run_opts(&job, &io, child_check_job, NULL, &opts, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	memio_free(m);
}

/* ------------------------------- the broker loop against a fake child */

static uint8_t g_fixed[16];

/* READ_REQ / WRITE_BEGIN / COPY_REQ payload builders */
static void req_read(rawbuf *r, uint32_t seq, uint32_t root, uint64_t max, const char *path, size_t plen)
{
	rp_put_u32(g_fixed, root);
	rp_put_u64(g_fixed + 4, max);
	rawbuf_hdr(r, RP_MSG_READ_REQ, (uint32_t)(12 + plen), seq);
	rawbuf_bytes(r, g_fixed, 12);
	rawbuf_bytes(r, path, plen);
}

static void req_write(rawbuf *r, uint32_t seq, uint32_t root, uint64_t size, const char *path)
{
	rp_put_u32(g_fixed, root);
	rp_put_u64(g_fixed + 4, size);
	rawbuf_hdr(r, RP_MSG_WRITE_BEGIN, (uint32_t)(12 + strlen(path)), seq);
	rawbuf_bytes(r, g_fixed, 12);
	rawbuf_bytes(r, path, strlen(path));
}

static void req_copy(rawbuf *r, uint32_t seq, uint32_t from, uint32_t to, const char *path)
{
	rp_put_u32(g_fixed, from);
	rp_put_u32(g_fixed + 4, to);
	rp_put_u64(g_fixed + 8, 100);
	rawbuf_hdr(r, RP_MSG_COPY_REQ, (uint32_t)(16 + strlen(path)), seq);
	rawbuf_bytes(r, g_fixed, 16);
	rawbuf_bytes(r, path, strlen(path));
}

/* flags: the job's RP_JOB_F_* (RP_JOB_F_S3 makes an object-store export). */
static int serve_raw_flags(uint32_t kind, uint32_t flags, memio *m, const rawbuf *script,
			   broker_outcome *out, rp_err *err)
{
	int c2b[2], b2c[2];
	assert_int_equal(pipe(c2b), 0);
	assert_int_equal(pipe(b2c), 0);
	int close_in_peer[2] = { c2b[0], b2c[1] };
	int pid = rawpeer_spawn(script, c2b[1], b2c[0], close_in_peer, 2);
	assert_true(pid > 0);
	close(c2b[1]);
	close(b2c[0]);
	fcntl(c2b[0], F_SETFL, O_NONBLOCK);
	fcntl(b2c[1], F_SETFL, O_NONBLOCK);
	rp_job job = mkjob(kind);
	job.flags = flags;
	rp_io io = memio_io(m);
	rp_err_clear(err);
	int rc = broker_serve(c2b[0], b2c[1], &job, &io, 2000, out, err);
	close(c2b[0]);
	close(b2c[1]);
	rawpeer_reap(pid);
	return rc;
}

static int serve_raw(uint32_t kind, memio *m, const rawbuf *script, broker_outcome *out, rp_err *err)
{
	return serve_raw_flags(kind, 0, m, script, out, err);
}

static void test_broker_fake_child_ok(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_put(m, RP_ROOT_IN, "a.json", "{}", 2);
	rawbuf r = { 0 };
	req_read(&r, 1, RP_ROOT_IN, 100, "a.json", 6);
	rawbuf_frame_u32(&r, RP_MSG_OUTPUT, 2, 1, "hi", 2);
	rawbuf_frame_u32(&r, RP_MSG_DONE, 3, RP_E_VERIFY, "bad\nthing", 9);
	broker_outcome out;
	rp_err err;
	int rc = serve_raw(RP_JOB_VERIFY, m, &r, &out, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_true(out.done);
	assert_int_equal(out.code, RP_E_VERIFY);
	assert_string_equal(out.msg, "bad\\x0athing");
	assert_int_equal(out.requests, 2);
	assert_int_equal(memio_get_stats(m).reads, 1);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), "hi");
	rawbuf_free(&r);
	memio_free(m);
}

typedef void (*script_fn)(rawbuf *r);

static void s_oversize(rawbuf *r) { rawbuf_hdr(r, RP_MSG_READ_REQ, 300000, 1); }
static void s_truncated(rawbuf *r)
{
	rawbuf_hdr(r, RP_MSG_READ_REQ, 20, 1);
	rawbuf_bytes(r, "\1\0\0\0\0", 5);
}
static void s_eof_header(rawbuf *r) { rawbuf_bytes(r, "\3\0\0\0\x10\0\0", 7); }
static void s_eof(rawbuf *r) { (void)r; }
static void s_unknown(rawbuf *r) { rawbuf_hdr(r, 0x99, 0, 1); }
static void s_data_idle(rawbuf *r) { rawbuf_frame(r, RP_MSG_DATA, 1, "x", 1); }
static void s_job_from_child(rawbuf *r)
{
	static rp_job j;
	rawbuf_frame(r, RP_MSG_JOB, 1, &j, sizeof j);
}
static void s_bad_seq(rawbuf *r) { req_read(r, 3, RP_ROOT_IN, 10, "a", 1); }
static void s_bad_len(rawbuf *r) { rawbuf_frame(r, RP_MSG_COMMIT, 1, "abcd", 4); }
static void s_write_in_verify(rawbuf *r) { req_write(r, 1, RP_ROOT_OUT, 1, "x"); }
static void s_traversal(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, 10, "../x", 4); }
static void s_absolute(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, 10, "/etc/passwd", 11); }
static void s_nul_path(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, 10, "a\0b", 3); }
static void s_dot_path(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, 10, "a/./b", 5); }
static void s_empty_path(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, 10, "", 0); }
static void s_file_with_path(rawbuf *r) { req_read(r, 1, RP_ROOT_FILE, 10, "x", 1); }
static void s_bad_root(rawbuf *r) { req_read(r, 1, 9, 10, "a", 1); }
static void s_big_max(rawbuf *r) { req_read(r, 1, RP_ROOT_IN, RP_MAX_ARTIFACT_BYTES + 1, "a", 1); }
static void s_bad_prefix(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_STORE_OPEN, 1, 1, "tenant/x/", 9); }
static void s_prefix_traversal(rawbuf *r)
{
	rawbuf_frame_u32(r, RP_MSG_STORE_OPEN, 1, 0, "../../etc/", 10);
}
static void s_open_twice(rawbuf *r)
{
	rawbuf_frame_u32(r, RP_MSG_STORE_OPEN, 1, 1, VALID_PREFIX, strlen(VALID_PREFIX));
	rawbuf_frame_u32(r, RP_MSG_STORE_OPEN, 2, 1, VALID_PREFIX, strlen(VALID_PREFIX));
}
static void s_store_unbound(rawbuf *r) { req_write(r, 1, RP_ROOT_STORE, 1, "x"); }
static void s_copy_pair(rawbuf *r) { req_copy(r, 1, RP_ROOT_IN, RP_ROOT_STORE, "a.json"); }
static void s_write_overrun(rawbuf *r)
{
	req_write(r, 1, RP_ROOT_OUT, 4, "a.bin");
	rawbuf_frame(r, RP_MSG_DATA, 2, "12345678", 8);
	rawbuf_frame(r, RP_MSG_END, 3, NULL, 0);
}
static void s_write_short(rawbuf *r)
{
	req_write(r, 1, RP_ROOT_OUT, 10, "a.bin");
	rawbuf_frame(r, RP_MSG_DATA, 2, "1234", 4);
	rawbuf_frame(r, RP_MSG_END, 3, NULL, 0);
}
static void s_write_eof(rawbuf *r)
{
	req_write(r, 1, RP_ROOT_OUT, 10, "a.bin");
	rawbuf_frame(r, RP_MSG_DATA, 2, "1234", 4);
}
static void s_write_interleaved(rawbuf *r)
{
	req_write(r, 1, RP_ROOT_OUT, 10, "a.bin");
	req_read(r, 2, RP_ROOT_IN, 10, "a.json", 6);
}
static void s_write_big(rawbuf *r) { req_write(r, 1, RP_ROOT_OUT, RP_MAX_ARTIFACT_BYTES + 1, "a"); }
static void s_done_code(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_DONE, 1, 999, NULL, 0); }
static void s_after_done(rawbuf *r)
{
	rawbuf_frame_u32(r, RP_MSG_DONE, 1, 0, NULL, 0);
	rawbuf_bytes(r, "x", 1);
}
static void s_output_fd(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_OUTPUT, 1, 3, "x", 1); }
static void s_commit_verify(rawbuf *r) { rawbuf_frame(r, RP_MSG_COMMIT, 1, NULL, 0); }
static void s_list_twice(rawbuf *r)
{
	rawbuf_frame(r, RP_MSG_LIST_REQ, 1, NULL, 0);
	rawbuf_frame(r, RP_MSG_LIST_REQ, 2, NULL, 0);
}

/* COPY_MANY: from, to, max, count, then NUL-terminated paths (raw). */
static void req_copy_many(rawbuf *r, uint32_t seq, uint32_t from, uint32_t to, uint32_t count,
			  const void *paths, size_t n)
{
	rawbuf_hdr(r, RP_MSG_COPY_MANY, (uint32_t)(RP_PL_COPY_MANY + n), seq);
	rawbuf_u32(r, from);
	rawbuf_u32(r, to);
	rawbuf_u64(r, 1024);
	rawbuf_u32(r, count);
	rawbuf_bytes(r, paths, n);
}
static void s_many_count(rawbuf *r) { req_copy_many(r, 1, RP_ROOT_IN, RP_ROOT_OUT, 3, "a.json\0b.json\0", 14); }
static void s_many_trailing(rawbuf *r) { req_copy_many(r, 1, RP_ROOT_IN, RP_ROOT_OUT, 1, "a.json\0zz", 9); }
static void s_many_path(rawbuf *r) { req_copy_many(r, 1, RP_ROOT_IN, RP_ROOT_OUT, 2, "a.json\0../x\0", 12); }
static void s_many_pair(rawbuf *r) { req_copy_many(r, 1, RP_ROOT_IN, RP_ROOT_STORE, 1, "a.json\0", 7); }
static void s_many_zero(rawbuf *r) { req_copy_many(r, 1, RP_ROOT_IN, RP_ROOT_OUT, 0, "a.json\0", 7); }
static void s_page_token(rawbuf *r) { rawbuf_frame(r, RP_MSG_LIST_PAGE_REQ, 1, "to ken", 6); }
static void s_page_verify(rawbuf *r) { rawbuf_frame(r, RP_MSG_LIST_PAGE_REQ, 1, NULL, 0); }
static void s_bucket_what(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_BUCKET_REQ, 1, 9, NULL, 0); }
static void s_bucket_export(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_BUCKET_REQ, 1, 1, NULL, 0); }
static void s_store_err_child(rawbuf *r)
{
	rawbuf_hdr(r, RP_MSG_STORE_ERR, 12, 1);
	rawbuf_u32(r, RP_E_STORE);
	rawbuf_u32(r, 403);
	rawbuf_u32(r, 0);
}

static void s_next_verify(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_NEXT_INPUT, 1, 0, NULL, 0); }

/* Export pipeline (EXPORT_PLAN / EXPORT_WAIT / EXPORT_REPORT). */
#define S3 RP_JOB_F_S3

static uint8_t g_plan[8192];

/* EXPORT_PLAN entries: entry i is 32 bytes of 0xa0 + i (a stand-in for
 * its SHA-256) then paths[i] and its NUL. Returns the byte count. */
static size_t plan_bytes(const char *const *paths, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		memset(g_plan + o, 0xa0 + (int)i, RP_PL_EXPORT_ENTRY);
		o += RP_PL_EXPORT_ENTRY;
		size_t l = strlen(paths[i]) + 1;
		memcpy(g_plan + o, paths[i], l);
		o += l;
	}
	return o;
}

/* EXPORT_PLAN with an explicit count (may disagree with the entries). */
static void req_plan_raw(rawbuf *r, uint32_t seq, uint32_t count, const void *entries, size_t n)
{
	rawbuf_hdr(r, RP_MSG_EXPORT_PLAN, (uint32_t)(RP_PL_EXPORT_PLAN + n), seq);
	rawbuf_u32(r, count);
	rawbuf_bytes(r, entries, n);
}

static void req_plan(rawbuf *r, uint32_t seq, const char *const *paths, size_t n)
{
	size_t len = plan_bytes(paths, n);
	req_plan_raw(r, seq, (uint32_t)n, g_plan, len);
}

static void req_report(rawbuf *r, uint32_t seq, uint32_t input, uint32_t code, const char *msg)
{
	size_t n = strlen(msg);
	rawbuf_hdr(r, RP_MSG_EXPORT_REPORT, (uint32_t)(RP_PL_EXPORT_REPORT + n), seq);
	rawbuf_u32(r, input);
	rawbuf_u32(r, code);
	rawbuf_bytes(r, msg, n);
}

static const char *const PLAN2[] = { "manifest.json", "artifacts/a.json" };

static void s_open(rawbuf *r)
{
	rawbuf_frame_u32(r, RP_MSG_STORE_OPEN, 1, 1, VALID_PREFIX, strlen(VALID_PREFIX));
}
/* STORE_OPEN (seq 1), one plan (seq 2), EXPORT_WAIT (seq 3). */
static void s_open_plan_wait(rawbuf *r)
{
	s_open(r);
	req_plan(r, 2, PLAN2, 2);
	rawbuf_frame(r, RP_MSG_EXPORT_WAIT, 3, NULL, 0);
}
static void s_plan_first(rawbuf *r) { req_plan(r, 1, PLAN2, 2); }
static void s_plan_count0(rawbuf *r)
{
	s_open(r);
	req_plan_raw(r, 2, 0, g_plan, plan_bytes(PLAN2, 2));
}
static void s_plan_count_big(rawbuf *r)
{
	s_open(r);
	req_plan_raw(r, 2, RP_COPY_MANY_MAX + 2, g_plan, plan_bytes(PLAN2, 1));
}
static void s_plan_traversal(rawbuf *r)
{
	static const char *const p[] = { "manifest.json", "../x" };
	s_open(r);
	req_plan(r, 2, p, 2);
}
static void s_plan_absolute_manifest(rawbuf *r)
{
	static const char *const p[] = { "/etc/passwd" };
	s_open(r);
	req_plan(r, 2, p, 1);
}
static void s_plan_unterminated(rawbuf *r)
{
	s_open(r);
	req_plan_raw(r, 2, 1, g_plan, plan_bytes(PLAN2, 1) - 1); /* no NUL after the path */
}
static void s_plan_missing_entry(rawbuf *r)
{
	s_open(r);
	req_plan_raw(r, 2, 3, g_plan, plan_bytes(PLAN2, 2)); /* count 3, two entries */
}
static void s_plan_trailing(rawbuf *r)
{
	s_open(r);
	size_t n = plan_bytes(PLAN2, 2);
	memcpy(g_plan + n, "zz", 2);
	req_plan_raw(r, 2, 2, g_plan, n + 2);
}
static void s_plan_manifest_twice(rawbuf *r)
{
	static const char *const p[] = { "manifest.json", "a.json", "manifest.json" };
	s_open(r);
	req_plan(r, 2, p, 3);
}
static void s_plan_artifact_twice(rawbuf *r)
{
	static const char *const p[] = { "manifest.json", "artifacts/b.json", "artifacts/a.json",
					 "artifacts/c.json", "artifacts/a.json" };
	s_open(r);
	req_plan(r, 2, p, 5);
}
static void s_plan_window(rawbuf *r)
{
	s_open(r);
	for (uint32_t i = 0; i <= RP_EXPORT_WINDOW; i++)
		req_plan(r, 2 + i, PLAN2, 2);
}
static void s_plan_short_frame(rawbuf *r)
{
	s_open(r);
	req_plan_raw(r, 2, 1, g_plan, RP_PL_EXPORT_ENTRY + 1); /* hash + one path byte, no NUL */
}
static void s_wait_first(rawbuf *r) { rawbuf_frame(r, RP_MSG_EXPORT_WAIT, 1, NULL, 0); }
static void s_wait_oversize(rawbuf *r) { rawbuf_frame(r, RP_MSG_EXPORT_WAIT, 1, "\0\0\0\0", 4); }
static void s_wait_in_report(rawbuf *r)
{
	s_open_plan_wait(r);
	rawbuf_frame(r, RP_MSG_EXPORT_WAIT, 4, NULL, 0);
}
static void s_report_idle(rawbuf *r) { req_report(r, 1, 0, RP_OK, ""); }
static void s_report_idle_s3(rawbuf *r)
{
	s_open(r);
	req_plan(r, 2, PLAN2, 2);
	req_report(r, 3, 0, RP_OK, ""); /* a plan is queued, but no result was sent */
}
static void s_report_short(rawbuf *r) { rawbuf_frame_u32(r, RP_MSG_EXPORT_REPORT, 1, 0, "abc", 3); }
static void s_report_long(rawbuf *r)
{
	static char msg[RP_ERR_MSG_MAX + 1];
	memset(msg, 'm', RP_ERR_MSG_MAX);
	req_report(r, 1, 0, RP_E_STORE, msg); /* 8 + 1024 bytes: one over */
}
static void s_report_input(rawbuf *r)
{
	s_open_plan_wait(r);
	req_report(r, 4, 7, RP_OK, "");
}
static void s_report_code(rawbuf *r)
{
	s_open_plan_wait(r);
	req_report(r, 4, 0, 999, "");
}
static void s_report_twice(rawbuf *r)
{
	s_open_plan_wait(r);
	req_report(r, 4, 0, RP_OK, "");
	req_report(r, 5, 0, RP_OK, "");
}
static void s_done_unreported(rawbuf *r)
{
	s_open(r);
	req_plan(r, 2, PLAN2, 2);
	rawbuf_frame_u32(r, RP_MSG_DONE, 3, RP_OK, NULL, 0);
}
static void s_done_in_report(rawbuf *r)
{
	s_open_plan_wait(r);
	rawbuf_frame_u32(r, RP_MSG_DONE, 4, RP_OK, NULL, 0);
}
static void s_result_from_child(rawbuf *r)
{
	static const uint8_t res[RP_PL_EXPORT_RESULT];
	rawbuf_frame(r, RP_MSG_EXPORT_RESULT, 1, res, sizeof res);
}
static void s_plan_after_next_input(rawbuf *r)
{
	/* NEXT_INPUT unbinds STORE: a plan must wait for the next STORE_OPEN. */
	s_open(r);
	rawbuf_frame_u32(r, RP_MSG_NEXT_INPUT, 2, RP_OK, NULL, 0);
	req_plan(r, 3, PLAN2, 2);
}

static void test_broker_rejects_fake_child(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t kind;
		script_fn script;
		const char *want;
		uint32_t flags;    /* job flags (RP_JOB_F_S3: an object-store export) */
		int no_export_ops; /* the backing has no export_plan (not an object store) */
	} cases[] = {
		{ "oversize", RP_JOB_VERIFY, s_oversize,
		  "frame from child: READ_REQ payload length 300000 exceeds maximum 262144" },
		{ "truncated", RP_JOB_VERIFY, s_truncated,
		  "truncated frame from child: READ_REQ: EOF after 5 of 20 payload bytes" },
		{ "eof-header", RP_JOB_VERIFY, s_eof_header,
		  "truncated frame from child: EOF after 7 of 12 header bytes" },
		{ "eof", RP_JOB_VERIFY, s_eof, "EOF from child in state idle" },
		{ "unknown", RP_JOB_VERIFY, s_unknown, "frame from child: unknown type 153" },
		{ "out-of-order", RP_JOB_VERIFY, s_data_idle,
		  "frame from child: DATA out of order in state idle" },
		{ "job-from-child", RP_JOB_VERIFY, s_job_from_child, "JOB out of order in state idle" },
		{ "sequence", RP_JOB_VERIFY, s_bad_seq, "READ_REQ has sequence number 3, expected 1" },
		{ "length", RP_JOB_VERIFY, s_bad_len, "frame COMMIT: payload length 4, expected exactly 0" },
		{ "kind", RP_JOB_VERIFY, s_write_in_verify,
		  "child request refused (job verify): WRITE_BEGIN.root 2 (OUT) is not writable" },
		{ "traversal", RP_JOB_VERIFY, s_traversal,
		  "READ_REQ.path '../x': artifact path escapes runpack root" },
		{ "absolute", RP_JOB_VERIFY, s_absolute,
		  "READ_REQ.path '/etc/passwd': absolute artifact path not allowed" },
		{ "nul", RP_JOB_VERIFY, s_nul_path, "READ_REQ.path 'a\\x00b'" },
		{ "dot", RP_JOB_VERIFY, s_dot_path, "non-canonical artifact path: '.' component" },
		{ "empty", RP_JOB_VERIFY, s_empty_path, "READ_REQ.path '': path must be set" },
		{ "file-path", RP_JOB_JCS, s_file_with_path, "READ_REQ.path must be empty for the FILE root" },
		{ "root", RP_JOB_VERIFY, s_bad_root, "READ_REQ.root 9 (?) is not readable" },
		{ "max", RP_JOB_VERIFY, s_big_max, "READ_REQ.max 16777217 exceeds the artifact cap" },
		{ "prefix", RP_JOB_EXPORT, s_bad_prefix, "STORE_OPEN.prefix 'tenant/x/'" },
		{ "prefix-traversal", RP_JOB_EXPORT, s_prefix_traversal, "STORE_OPEN.prefix '../../etc/'" },
		{ "open-twice", RP_JOB_EXPORT, s_open_twice, "STORE_OPEN sent twice" },
		{ "store-unbound", RP_JOB_EXPORT, s_store_unbound,
		  "WRITE_BEGIN uses the STORE root before a successful STORE_OPEN" },
		{ "copy-pair", RP_JOB_FETCH, s_copy_pair, "COPY_REQ IN -> STORE is not allowed" },
		{ "write-overrun", RP_JOB_PACK, s_write_overrun, "DATA beyond the declared size 4" },
		{ "write-short", RP_JOB_PACK, s_write_short, "END after 4 of 10 declared bytes" },
		{ "write-eof", RP_JOB_PACK, s_write_eof, "EOF from child in state write" },
		{ "write-interleaved", RP_JOB_PACK, s_write_interleaved,
		  "READ_REQ out of order in state write (child may send DATA or END)" },
		{ "write-big", RP_JOB_PACK, s_write_big, "WRITE_BEGIN.size 16777217 exceeds" },
		{ "done-code", RP_JOB_VERIFY, s_done_code, "DONE.code 999 is not an rp_code" },
		{ "after-done", RP_JOB_VERIFY, s_after_done, "child sent bytes after DONE" },
		{ "output-fd", RP_JOB_VERIFY, s_output_fd, "OUTPUT.fd 3 is neither 1 nor 2" },
		{ "commit-verify", RP_JOB_VERIFY, s_commit_verify, "(job verify): COMMIT is not allowed" },
		{ "list-twice", RP_JOB_LS, s_list_twice, "LIST_REQ sent twice" },
		{ "many-count", RP_JOB_FETCH, s_many_count, "COPY_MANY: path 2 is not NUL-terminated" },
		{ "many-trailing", RP_JOB_FETCH, s_many_trailing, "COPY_MANY: 2 bytes after the last path" },
		{ "many-path", RP_JOB_FETCH, s_many_path, "COPY_MANY.path '../x': artifact path escapes runpack root" },
		{ "many-pair", RP_JOB_FETCH, s_many_pair, "COPY_MANY IN -> STORE is not allowed" },
		{ "many-zero", RP_JOB_FETCH, s_many_zero, "COPY_MANY.count 0 outside [1, 1024]" },
		{ "page-token", RP_JOB_LS, s_page_token, "LIST_PAGE_REQ.token byte 2 is not printable ASCII" },
		{ "page-verify", RP_JOB_VERIFY, s_page_verify, "(job verify): LIST_PAGE_REQ is not allowed" },
		{ "bucket-what", RP_JOB_STORE_CHECK, s_bucket_what, "BUCKET_REQ.what 9 is unknown" },
		{ "bucket-export", RP_JOB_EXPORT, s_bucket_export, "(job export): BUCKET_REQ is not allowed" },
		{ "store-err-from-child", RP_JOB_VERIFY, s_store_err_child, "STORE_ERR out of order in state idle" },
		{ "next-verify", RP_JOB_VERIFY, s_next_verify, "(job verify): NEXT_INPUT is not allowed" },
		{ "next-single", RP_JOB_EXPORT, s_next_verify, "(job export): NEXT_INPUT is not allowed" },
		{ "plan-not-s3", RP_JOB_EXPORT, s_plan_first, "(job export): EXPORT_PLAN is not allowed" },
		{ "plan-verify", RP_JOB_VERIFY, s_plan_first, "(job verify): EXPORT_PLAN is not allowed", S3 },
		{ "plan-fetch", RP_JOB_FETCH, s_plan_first, "(job fetch): EXPORT_PLAN is not allowed", S3 },
		{ "plan-no-backing-op", RP_JOB_EXPORT, s_plan_first, "(job export): EXPORT_PLAN is not allowed",
		  S3, 1 },
		{ "plan-store-unbound", RP_JOB_EXPORT, s_plan_first,
		  "(job export): EXPORT_PLAN uses the STORE root before a successful STORE_OPEN", S3 },
		{ "plan-after-next-input", RP_JOB_EXPORT, s_plan_after_next_input,
		  "EXPORT_PLAN uses the STORE root before a successful STORE_OPEN", S3 | RP_JOB_F_MULTI_INPUT },
		{ "plan-count-zero", RP_JOB_EXPORT, s_plan_count0, "EXPORT_PLAN.count 0 outside [1, 1025]", S3 },
		{ "plan-count-big", RP_JOB_EXPORT, s_plan_count_big, "EXPORT_PLAN.count 1026 outside [1, 1025]", S3 },
		{ "plan-traversal", RP_JOB_EXPORT, s_plan_traversal,
		  "EXPORT_PLAN.path '../x': artifact path escapes runpack root", S3 },
		{ "plan-absolute", RP_JOB_EXPORT, s_plan_absolute_manifest,
		  "EXPORT_PLAN.path '/etc/passwd': absolute artifact path not allowed", S3 },
		{ "plan-unterminated", RP_JOB_EXPORT, s_plan_unterminated,
		  "EXPORT_PLAN: entry 0 is not a hash and a NUL-terminated path within bounds", S3 },
		{ "plan-missing-entry", RP_JOB_EXPORT, s_plan_missing_entry,
		  "EXPORT_PLAN: entry 2 is not a hash and a NUL-terminated path within bounds", S3 },
		{ "plan-trailing", RP_JOB_EXPORT, s_plan_trailing, "EXPORT_PLAN: 2 bytes after the last entry", S3 },
		{ "plan-manifest-twice", RP_JOB_EXPORT, s_plan_manifest_twice,
		  "EXPORT_PLAN: the manifest manifest.json is also listed as artifact 2", S3 },
		{ "plan-artifact-twice", RP_JOB_EXPORT, s_plan_artifact_twice,
		  "EXPORT_PLAN: artifact artifacts/a.json is listed twice (entries 2 and 4)", S3 },
		{ "plan-window", RP_JOB_EXPORT, s_plan_window,
		  "EXPORT_PLAN with 16 plans already queued (at most 16)", S3 },
		{ "plan-short-frame", RP_JOB_EXPORT, s_plan_short_frame,
		  "frame EXPORT_PLAN: payload length 37 outside [38, 262144]", S3 },
		{ "wait-not-s3", RP_JOB_EXPORT, s_wait_first, "(job export): EXPORT_WAIT is not allowed" },
		{ "wait-verify", RP_JOB_VERIFY, s_wait_first, "(job verify): EXPORT_WAIT is not allowed", S3 },
		{ "wait-oversize", RP_JOB_EXPORT, s_wait_oversize,
		  "frame EXPORT_WAIT: payload length 4, expected exactly 0", S3 },
		{ "wait-in-report", RP_JOB_EXPORT, s_wait_in_report,
		  "EXPORT_WAIT out of order in state report (child may send EXPORT_REPORT)", S3 },
		{ "report-idle", RP_JOB_EXPORT, s_report_idle,
		  "frame from child: EXPORT_REPORT out of order in state idle", S3 },
		{ "report-before-result", RP_JOB_EXPORT, s_report_idle_s3,
		  "frame from child: EXPORT_REPORT out of order in state idle", S3 },
		{ "report-short", RP_JOB_EXPORT, s_report_short,
		  "frame EXPORT_REPORT: payload length 7 outside [8, 1031]", S3 },
		{ "report-long", RP_JOB_EXPORT, s_report_long,
		  "frame EXPORT_REPORT: payload length 1032 outside [8, 1031]", S3 },
		{ "report-input", RP_JOB_EXPORT, s_report_input,
		  "EXPORT_REPORT for input 7, the result sent was for input 0", S3 },
		{ "report-code", RP_JOB_EXPORT, s_report_code, "EXPORT_REPORT.code 999 is not an rp_code", S3 },
		{ "report-twice", RP_JOB_EXPORT, s_report_twice,
		  "frame from child: EXPORT_REPORT out of order in state idle", S3 },
		{ "done-unreported", RP_JOB_EXPORT, s_done_unreported, "DONE with 1 export plans not reported", S3 },
		{ "done-in-report", RP_JOB_EXPORT, s_done_in_report,
		  "frame from child: DONE out of order in state report (child may send EXPORT_REPORT)", S3 },
		{ "result-from-child", RP_JOB_EXPORT, s_result_from_child,
		  "frame from child: EXPORT_RESULT out of order in state idle", S3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memio *m = memio_new();
		memio_put(m, RP_ROOT_IN, "a.json", "{}", 2);
		if (!cases[i].no_export_ops)
			memio_enable_export(m);
		rawbuf r = { 0 };
		cases[i].script(&r);
		broker_outcome out;
		rp_err err;
		int rc = serve_raw_flags(cases[i].kind, cases[i].flags, m, &r, &out, &err);
		if (rc != -1 || err.code != RP_E_PROTO || strstr(err.msg, cases[i].want) == NULL)
			fail_msg("%s: rc %d code %d msg '%s', want '%s'", cases[i].name, rc, err.code,
				 err.msg, cases[i].want);
		assert_false(out.done);
		assert_int_equal(memio_get_stats(m).writes, 0);
		assert_int_equal(memio_get_stats(m).commits, 0);
		/* A refused plan never reaches the backing; the window case
		 * queued exactly RP_EXPORT_WINDOW before the refusal. */
		if (strcmp(cases[i].name, "plan-window") == 0)
			assert_int_equal(memio_get_stats(m).plans, RP_EXPORT_WINDOW);
		else if (strncmp(cases[i].name, "plan-", 5) == 0)
			assert_int_equal(memio_get_stats(m).plans, 0);
		rawbuf_free(&r);
		memio_free(m);
	}
}

static void assert_sha_fill(const uint8_t *sha, uint8_t byte)
{
	for (size_t i = 0; i < RP_PL_EXPORT_ENTRY; i++)
		if (sha[i] != byte)
			fail_msg("sha byte %zu is 0x%02x, want 0x%02x", i, sha[i], byte);
}

/* The whole exchange a pipelined export makes for one runpack, against
 * the real broker loop: what the backing was asked for and told. */
static void test_broker_fake_child_export(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_enable_export(m);
	rawbuf r = { 0 };
	s_open(&r);
	req_plan(&r, 2, PLAN2, 2);
	rawbuf_frame(&r, RP_MSG_EXPORT_WAIT, 3, NULL, 0);
	req_report(&r, 4, 0, RP_E_STORE, "PUT failed\n");
	rawbuf_frame(&r, RP_MSG_EXPORT_WAIT, 5, NULL, 0); /* nothing queued: END */
	rawbuf_frame_u32(&r, RP_MSG_DONE, 6, RP_E_STORE, "one failed", 10);
	broker_outcome out;
	rp_err err;
	int rc = serve_raw_flags(RP_JOB_EXPORT, S3, m, &r, &out, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_true(out.done);
	assert_int_equal(out.code, RP_E_STORE);
	assert_string_equal(out.msg, "one failed");
	assert_int_equal(out.requests, 5);
	assert_string_equal(memio_store_prefix(m), VALID_PREFIX);
	assert_int_equal(memio_plan_count(m), 1);
	assert_int_equal(memio_plan_size(m, 0), 2);
	const uint8_t *sha = NULL;
	assert_string_equal(memio_plan_path(m, 0, 0, &sha), "manifest.json");
	assert_sha_fill(sha, 0xa0);
	assert_string_equal(memio_plan_path(m, 0, 1, &sha), "artifacts/a.json");
	assert_sha_fill(sha, 0xa1);
	assert_null(memio_plan_path(m, 0, 2, &sha));
	assert_int_equal(memio_plans_queued(m), 0);
	/* the second EXPORT_WAIT is answered END without asking the backing */
	assert_int_equal(memio_get_stats(m).waits, 1);
	assert_int_equal(memio_report_count(m), 1);
	size_t input = 99;
	rp_code code = RP_OK;
	const char *msg = NULL;
	assert_int_equal(memio_report(m, 0, &input, &code, &msg), 0);
	assert_int_equal(input, 0);
	assert_int_equal(code, RP_E_STORE);
	assert_string_equal(msg, "PUT failed\\x0a"); /* the child's text, escaped */
	assert_int_equal(memio_get_stats(m).writes, 0);
	rawbuf_free(&r);
	memio_free(m);
}

/* A plan the backing refuses is answered ERR and is not counted as
 * queued: DONE needs no report for it. */
static void test_broker_export_plan_refused_by_backing(void **state)
{
	(void)state;
	memio *m = memio_new();
	memio_enable_export(m);
	assert_int_equal(memio_fail(m, RP_ROOT_IN, "artifacts/a.json", RP_E_IO), 0);
	rawbuf r = { 0 };
	s_open(&r);
	req_plan(&r, 2, PLAN2, 2);
	rawbuf_frame(&r, RP_MSG_EXPORT_WAIT, 3, NULL, 0);
	rawbuf_frame_u32(&r, RP_MSG_DONE, 4, RP_E_IO, NULL, 0);
	broker_outcome out;
	rp_err err;
	int rc = serve_raw_flags(RP_JOB_EXPORT, S3, m, &r, &out, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_true(out.done);
	assert_int_equal(out.code, RP_E_IO);
	assert_int_equal(memio_get_stats(m).plans, 1);
	assert_int_equal(memio_plan_count(m), 0);
	assert_int_equal(memio_get_stats(m).waits, 0);
	assert_int_equal(memio_report_count(m), 0);
	rawbuf_free(&r);
	memio_free(m);
}

/* A real confined child drives export_plan / export_wait / export_report
 * through child_io against the real broker: the failure result memio was
 * told to give (status, what, body) arrives intact in the child. */
static rp_code child_export_pipeline(const rp_job *job, const rp_io *io, rp_err *err)
{
	(void)job;
	rp_export_entry e[2];
	memset(e, 0, sizeof e);
	e[0].path = "manifest.json";
	memset(e[0].sha, 0x11, sizeof e[0].sha);
	e[1].path = "artifacts/a.json";
	memset(e[1].sha, 0x22, sizeof e[1].sha);
	if (io->ops->export_plan == NULL) {
		rp_err_set(err, RP_E_INTERNAL, "no export_plan in the child");
		return err->code;
	}
	if (io->ops->store_open(io->self, VALID_PREFIX, 1, err) != 0 ||
	    io->ops->export_plan(io->self, e, 2, err) != 0)
		return err->code;
	rp_export_result res;
	int got = io->ops->export_wait(io->self, &res, err);
	if (got != 1) {
		if (got == 0)
			rp_err_set(err, RP_E_INTERNAL, "no result");
		return err->code;
	}
	char line[512];
	(void)snprintf(line, sizeof line, "input=%zu code=%d existed=%d status=%u context=%s what=%s body=%.*s\n",
		       res.input, (int)res.code, res.existed, res.status, res.context, res.what,
		       (int)res.body_len, (const char *)res.body);
	/* EXPORT_REPORT must come next (state report): output only after it;
	 * the line was formatted first because res.body lives in the frame. */
	if (io->ops->export_report(io->self, res.input, res.code, "reported", err) != 0 ||
	    out_str(io, 1, line, err) != 0)
		return err->code;
	got = io->ops->export_wait(io->self, &res, err);
	if (got != 0) {
		if (got > 0)
			rp_err_set(err, RP_E_INTERNAL, "a second result");
		return err->code;
	}
	return RP_OK;
}

static void test_export_pipeline_real_child(void **state)
{
	(void)state;
	static const char body[] = "<Error><Code>AccessDenied</Code></Error>";
	memio *m = memio_new();
	memio_enable_export(m);
	assert_int_equal(memio_set_export_result(m, RP_E_STORE, 0, 403, "uploading artifacts/a.json",
						 "PUT s3://b/k", body, sizeof body - 1),
			 0);
	rp_job job = mkjob(RP_JOB_EXPORT);
	job.flags = S3;
	rp_io io = memio_io(m);
	privsep_opts opts = { .timeout_ms = g_timeout_ms, .harden_parent = 0,
			      .on_spawn = remember_pid };
	rp_err err;
	rp_err_clear(&err);
	rp_code rc = privsep_run_opts(&job, &io, child_export_pipeline, NULL, &opts, &err);
	if (rc != RP_OK)
		fail_msg("%s", err.msg);
	char want[512];
	(void)snprintf(want, sizeof want,
		       "input=0 code=%d existed=0 status=403 context=uploading artifacts/a.json "
		       "what=PUT s3://b/k body=%s\n",
		       (int)RP_E_STORE, body);
	size_t n;
	assert_string_equal(memio_output(m, 1, &n), want);
	assert_int_equal(memio_plan_count(m), 1);
	const uint8_t *sha = NULL;
	assert_string_equal(memio_plan_path(m, 0, 1, &sha), "artifacts/a.json");
	assert_sha_fill(sha, 0x22);
	size_t input = 99;
	rp_code code = RP_OK;
	const char *msg = NULL;
	assert_int_equal(memio_report(m, 0, &input, &code, &msg), 0);
	assert_int_equal(input, 0);
	assert_int_equal(code, RP_E_STORE);
	assert_string_equal(msg, "reported");
	memio_free(m);
}

/* ------------------------------- the child's rp_io against a fake broker */

typedef struct fake_broker {
	int pid;
	child_io cio;
	rp_io io;
} fake_broker;

static void fb_start(fake_broker *fb, const rawbuf *script)
{
	int b2c[2], c2b[2];
	assert_int_equal(pipe(b2c), 0);
	assert_int_equal(pipe(c2b), 0);
	int close_in_peer[2] = { b2c[0], c2b[1] };
	fb->pid = rawpeer_spawn(script, b2c[1], c2b[0], close_in_peer, 2);
	close(b2c[1]);
	close(c2b[0]);
	rp_err err;
	assert_int_equal(child_io_init(&fb->cio, b2c[0], c2b[1], &err), 0);
	fb->io = child_io_rp_io(&fb->cio);
}

static void fb_stop(fake_broker *fb)
{
	close(fb->cio.chan.rfd);
	close(fb->cio.chan.wfd);
	child_io_free(&fb->cio);
	rawpeer_reap(fb->pid);
}

static void script_job(rawbuf *r)
{
	rp_job j = mkjob(RP_JOB_VERIFY);
	rawbuf_frame(r, RP_MSG_JOB, 1, &j, sizeof j);
}

static int collect(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	(void)err;
	rawbuf_bytes(ctx, p, n);
	return 0;
}

static void test_child_io_fake_broker_ok(void **state)
{
	(void)state;
	rawbuf r = { 0 };
	script_job(&r);
	rawbuf_frame(&r, RP_MSG_DATA, 2, "hel", 3);
	rawbuf_frame(&r, RP_MSG_DATA, 3, "lo", 2);
	rawbuf_frame(&r, RP_MSG_END, 4, NULL, 0);
	rawbuf_frame_u32(&r, RP_MSG_ERR, 5, RP_E_NOTFOUND, "not found: b", 12);
	rawbuf_frame_u32(&r, RP_MSG_LIST_ENTRY, 6, 1, "p/", 2);
	rawbuf_frame(&r, RP_MSG_END, 7, NULL, 0);
	rawbuf_frame(&r, RP_MSG_OK, 8, NULL, 0);
	fake_broker fb;
	fb_start(&fb, &r);
	rp_err err;
	rp_job job;
	assert_int_equal(child_io_recv_job(&fb.cio, &job, &err), 0);
	assert_int_equal(job.kind, RP_JOB_VERIFY);
	rawbuf got = { 0 };
	assert_int_equal(fb.io.ops->read(fb.io.self, RP_ROOT_IN, "a", 5, collect, &got, &err), 0);
	assert_int_equal(got.n, 5);
	assert_memory_equal(got.p, "hello", 5);
	assert_int_equal(fb.io.ops->read(fb.io.self, RP_ROOT_IN, "b", 5, collect, &got, &err), -1);
	assert_int_equal(err.code, RP_E_NOTFOUND);
	assert_string_equal(err.msg, "not found: b");
	int n = 0;
	assert_int_equal(fb.io.ops->list(fb.io.self, list_count, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fb.io.ops->output(fb.io.self, 1, (const uint8_t *)"x", 1, &err), 0);
	assert_false(child_io_broken(&fb.cio));
	rawbuf_free(&got);
	rawbuf_free(&r);
	fb_stop(&fb);
}

/* op: 0 read "a" (max 8), 1 list, 2 output, 3 recv JOB only, 4 export_wait */
static void child_io_expect(const char *name, const rawbuf *r, int op, int skip_job, const char *want)
{
	fake_broker fb;
	fb_start(&fb, r);
	rp_err err;
	rp_job job;
	int rc;
	if (!skip_job) {
		if (child_io_recv_job(&fb.cio, &job, &err) != 0)
			fail_msg("%s: JOB: %s", name, err.msg);
	}
	rawbuf got = { 0 };
	int n = 0;
	switch (op) {
	case 0: rc = fb.io.ops->read(fb.io.self, RP_ROOT_IN, "a", 8, collect, &got, &err); break;
	case 1: rc = fb.io.ops->list(fb.io.self, list_count, &n, &err); break;
	case 2: rc = fb.io.ops->output(fb.io.self, 1, (const uint8_t *)"x", 1, &err); break;
	case 4: {
		rp_export_result res;
		rc = fb.io.ops->export_wait(fb.io.self, &res, &err);
		break;
	}
	default: rc = child_io_recv_job(&fb.cio, &job, &err); break;
	}
	if (rc != -1 || err.code != RP_E_PROTO || strstr(err.msg, want) == NULL)
		fail_msg("%s: rc %d code %d msg '%s', want '%s'", name, rc, err.code, err.msg, want);
	/* broken for good: the next operation fails without touching the pipe */
	assert_true(child_io_broken(&fb.cio));
	assert_int_equal(fb.io.ops->commit(fb.io.self, &err), -1);
	assert_msg(&err, "already failed");
	rawbuf_free(&got);
	fb_stop(&fb);
}

static void test_child_io_rejects_fake_broker(void **state)
{
	(void)state;
	rawbuf r = { 0 };

	script_job(&r);
	rawbuf_hdr(&r, RP_MSG_DATA, 300000, 2);
	child_io_expect("oversize", &r, 0, 0, "frame from broker: DATA payload length 300000 exceeds");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_hdr(&r, RP_MSG_DATA, 100, 2);
	rawbuf_bytes(&r, "0123456789", 10);
	child_io_expect("truncated", &r, 0, 0,
			"truncated frame from broker: DATA: EOF after 10 of 100 payload bytes");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_hdr(&r, 0x42, 0, 2);
	child_io_expect("unknown", &r, 0, 0, "frame from broker: unknown type 66");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame(&r, RP_MSG_OK, 2, NULL, 0);
	child_io_expect("out-of-order", &r, 0, 0,
			"OK out of order in state read (broker may send DATA, END, ERR or STORE_ERR)");
	rawbuf_free(&r);

	script_job(&r);
	child_io_expect("eof", &r, 0, 0, "EOF from broker in state read");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame(&r, RP_MSG_DATA, 3, "x", 1);
	child_io_expect("sequence", &r, 0, 0, "DATA has sequence number 3, expected 2");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame(&r, RP_MSG_DATA, 2, "0123456789", 10);
	child_io_expect("over-max", &r, 0, 0, "broker sent more than the requested max of 8 bytes");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame_u32(&r, RP_MSG_ERR, 2, 0, "x", 1);
	child_io_expect("err-code", &r, 0, 0, "ERR frame from broker carries invalid code 0");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_hdr(&r, RP_MSG_STORE_ERR, 14, 2);
	rawbuf_u32(&r, RP_E_STORE);
	rawbuf_u32(&r, 403);
	rawbuf_u32(&r, 5); /* what length beyond the payload */
	rawbuf_bytes(&r, "ab", 2);
	child_io_expect("store-err-what", &r, 0, 0, "malformed STORE_ERR frame from broker (code 16, status 403, what 5 bytes)");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_hdr(&r, RP_MSG_STORE_ERR, 12, 2);
	rawbuf_u32(&r, RP_E_STORE);
	rawbuf_u32(&r, 42);
	rawbuf_u32(&r, 0);
	child_io_expect("store-err-status", &r, 0, 0, "malformed STORE_ERR frame from broker (code 16, status 42");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame_u32(&r, RP_MSG_LIST_ENTRY, 2, 7, "p/", 2);
	child_io_expect("list-entry", &r, 1, 0, "malformed LIST_ENTRY from broker (has_manifest 7)");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame(&r, RP_MSG_END, 2, NULL, 0);
	child_io_expect("output-end", &r, 2, 0, "END out of order in state wait");
	rawbuf_free(&r);

	rp_job j = mkjob(RP_JOB_VERIFY);
	rawbuf_frame(&r, RP_MSG_JOB, 1, &j, sizeof j - 1);
	child_io_expect("job-length", &r, 3, 1, "frame JOB: payload length");
	rawbuf_free(&r);

	j = mkjob(42);
	rawbuf_frame(&r, RP_MSG_JOB, 1, &j, sizeof j);
	child_io_expect("job-kind", &r, 3, 1, "JOB frame from broker: job.kind 42 out of range");
	rawbuf_free(&r);

	j = mkjob(RP_JOB_VERIFY);
	memset(j.authority, 'x', sizeof j.authority);
	rawbuf_frame(&r, RP_MSG_JOB, 1, &j, sizeof j);
	child_io_expect("job-string", &r, 3, 1, "job.authority is not NUL-terminated");
	rawbuf_free(&r);
}

/* EXPORT_RESULT with explicit fields; tail = context, what, body (raw:
 * the lengths may lie). */
static void script_result(rawbuf *r, uint32_t seq, uint32_t input, uint32_t code, uint32_t existed,
			  uint32_t status, uint32_t clen, uint32_t wlen, const void *tail, size_t n)
{
	rawbuf_hdr(r, RP_MSG_EXPORT_RESULT, (uint32_t)(RP_PL_EXPORT_RESULT + n), seq);
	rawbuf_u32(r, input);
	rawbuf_u32(r, code);
	rawbuf_u32(r, existed);
	rawbuf_u32(r, status);
	rawbuf_u32(r, clen);
	rawbuf_u32(r, wlen);
	rawbuf_bytes(r, tail, n);
}

static void test_child_io_export_fake_broker_ok(void **state)
{
	(void)state;
	static const char tail[] = "uploading artifacts/a.json" "PUT s3://b/k" "<Error/>";
	rawbuf r = { 0 };
	script_job(&r);
	rawbuf_frame(&r, RP_MSG_OK, 2, NULL, 0); /* the plan */
	script_result(&r, 3, 3, RP_E_STORE, 0, 403, 26, 12, tail, sizeof tail - 1);
	rawbuf_frame(&r, RP_MSG_OK, 4, NULL, 0); /* the report */
	script_result(&r, 5, 4, RP_OK, 1, 0, 0, 0, NULL, 0);
	rawbuf_frame(&r, RP_MSG_OK, 6, NULL, 0);
	rawbuf_frame(&r, RP_MSG_END, 7, NULL, 0); /* nothing queued */
	fake_broker fb;
	fb_start(&fb, &r);
	rp_err err;
	rp_job job;
	assert_int_equal(child_io_recv_job(&fb.cio, &job, &err), 0);
	/* refused in the child, before anything is sent */
	rp_export_entry e[2];
	memset(e, 0, sizeof e);
	e[0].path = "manifest.json";
	e[1].path = "../x";
	assert_int_equal(fb.io.ops->export_plan(fb.io.self, e, 0, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_int_equal(fb.io.ops->export_plan(fb.io.self, e, RP_COPY_MANY_MAX + 2, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_int_equal(fb.io.ops->export_plan(fb.io.self, e, 2, &err), -1);
	assert_int_equal(err.code, RP_E_PATH);
	assert_false(child_io_broken(&fb.cio));
	e[1].path = "artifacts/a.json";
	if (fb.io.ops->export_plan(fb.io.self, e, 2, &err) != 0)
		fail_msg("export_plan: %s", err.msg);

	rp_export_result res;
	assert_int_equal(fb.io.ops->export_wait(fb.io.self, &res, &err), 1);
	assert_int_equal(res.input, 3);
	assert_int_equal(res.code, RP_E_STORE);
	assert_int_equal(res.existed, 0);
	assert_int_equal(res.status, 403);
	assert_string_equal(res.context, "uploading artifacts/a.json");
	assert_string_equal(res.what, "PUT s3://b/k");
	assert_int_equal(res.body_len, 8);
	assert_memory_equal(res.body, "<Error/>", 8);
	/* the body is the frame's last bytes */
	assert_ptr_equal(res.body, fb.cio.chan.payload + RP_PL_EXPORT_RESULT + 26 + 12);
	assert_int_equal(fb.io.ops->export_report(fb.io.self, res.input, RP_E_STORE, "PUT failed", &err), 0);

	assert_int_equal(fb.io.ops->export_wait(fb.io.self, &res, &err), 1);
	assert_int_equal(res.input, 4);
	assert_int_equal(res.code, RP_OK);
	assert_int_equal(res.existed, 1);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.context, "");
	assert_string_equal(res.what, "");
	assert_int_equal(res.body_len, 0);
	assert_int_equal(fb.io.ops->export_report(fb.io.self, res.input, RP_OK, "", &err), 0);

	assert_int_equal(fb.io.ops->export_wait(fb.io.self, &res, &err), 0);
	assert_false(child_io_broken(&fb.cio));
	rawbuf_free(&r);
	fb_stop(&fb);
}

static void test_child_io_rejects_bad_export_result(void **state)
{
	(void)state;
	static char big[RP_EXPORT_CONTEXT_MAX + RP_EXPORT_WHAT_MAX + 2];
	memset(big, 'c', sizeof big);
	static const struct {
		const char *name;
		uint32_t code, existed, status, clen, wlen;
		const char *tail;
		size_t n;
	} cases[] = {
		{ "code-range", RP_E_INTERNAL + 1, 0, 0, 0, 0, "", 0 },
		{ "existed-2", RP_OK, 2, 0, 0, 0, "", 0 },
		{ "status-200", RP_E_STORE, 0, 200, 0, 5, "PUT x", 5 },
		{ "status-1000", RP_E_STORE, 0, 1000, 0, 5, "PUT x", 5 },
		{ "ok-with-context", RP_OK, 0, 0, 3, 0, "abc", 3 },
		{ "ok-with-status", RP_OK, 0, 403, 0, 0, "", 0 },
		{ "context-beyond", RP_E_IO, 0, 0, 10, 0, "abc", 3 },
		{ "what-beyond", RP_E_STORE, 0, 403, 0, 5, "ab", 2 },
		{ "context-huge", RP_E_IO, 0, 0, 0xffffffffu, 0, "abc", 3 },
		{ "what-huge", RP_E_STORE, 0, 403, 1, 0xffffffffu, "abc", 3 },
		{ "context-max", RP_E_IO, 0, 0, RP_EXPORT_CONTEXT_MAX + 1, 0, big, RP_EXPORT_CONTEXT_MAX + 1 },
		{ "what-max", RP_E_STORE, 0, 403, 0, RP_EXPORT_WHAT_MAX + 1, big, RP_EXPORT_WHAT_MAX + 1 },
		{ "nul-context", RP_E_IO, 0, 0, 3, 0, "a\0c", 3 },
		{ "nul-what", RP_E_STORE, 0, 403, 1, 3, "xP\0T", 4 },
		{ "status0-body", RP_E_IO, 0, 0, 2, 0, "abzz", 4 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rawbuf r = { 0 };
		script_job(&r);
		script_result(&r, 2, 0, cases[i].code, cases[i].existed, cases[i].status, cases[i].clen,
			      cases[i].wlen, cases[i].tail, cases[i].n);
		char want[200];
		(void)snprintf(want, sizeof want,
			       "export_wait: malformed EXPORT_RESULT from broker (code %u, status %u, lengths %u/%u/%u)",
			       (unsigned)cases[i].code, (unsigned)cases[i].status, (unsigned)cases[i].clen,
			       (unsigned)cases[i].wlen, (unsigned)(RP_PL_EXPORT_RESULT + cases[i].n));
		child_io_expect(cases[i].name, &r, 4, 0, want);
		rawbuf_free(&r);
	}

	rawbuf r = { 0 };
	script_job(&r);
	rawbuf_hdr(&r, RP_MSG_EXPORT_RESULT, 20, 2);
	rawbuf_bytes(&r, big, 20);
	child_io_expect("result-short", &r, 4, 0, "frame EXPORT_RESULT: payload length 20 outside [24, ");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame_u32(&r, RP_MSG_ERR, 2, RP_E_IO, "x", 1);
	child_io_expect("err-for-wait", &r, 4, 0,
			"ERR out of order in state result (broker may send EXPORT_RESULT or END)");
	rawbuf_free(&r);

	script_job(&r);
	rawbuf_frame(&r, RP_MSG_OK, 2, NULL, 0);
	child_io_expect("ok-for-wait", &r, 4, 0, "OK out of order in state result");
	rawbuf_free(&r);

	/* A result where an OK was due (the answer to a read). */
	script_job(&r);
	script_result(&r, 2, 0, RP_OK, 0, 0, 0, 0, NULL, 0);
	child_io_expect("result-for-read", &r, 0, 0, "EXPORT_RESULT out of order in state read");
	rawbuf_free(&r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_and_output),
		cmocka_unit_test(test_child_verdict_passes_through),
		cmocka_unit_test(test_read_errors_reach_child),
		cmocka_unit_test(test_sink_abort_keeps_stream_in_step),
		cmocka_unit_test(test_pack_flow),
		cmocka_unit_test(test_export_flow),
		cmocka_unit_test(test_fetch_flow),
		cmocka_unit_test(test_ls_flow),
		cmocka_unit_test(test_jcs_file),
		cmocka_unit_test(test_dispatch_refusals),
		cmocka_unit_test(test_forbidden_syscalls_kill_child),
		cmocka_unit_test(test_half_write_leaves_nothing),
		cmocka_unit_test(test_root_child_credentials),
		cmocka_unit_test(test_root_bad_unprivileged_user),
		cmocka_unit_test(test_broker_hardening),
		cmocka_unit_test(test_root_confinement_failure_is_reported),
		cmocka_unit_test(test_kill_mid_read),
		cmocka_unit_test(test_kill_mid_write),
		cmocka_unit_test(test_exit_without_done),
		cmocka_unit_test(test_timeout_kills_child),
		cmocka_unit_test(test_garbage_from_real_child),
		cmocka_unit_test(test_64mib_stream),
		cmocka_unit_test(test_libc_needs_are_allowed),
		cmocka_unit_test(test_address_space_is_bounded),
		cmocka_unit_test(test_loaded_policy_matches_policy_file),
		cmocka_unit_test(test_prepared_program_is_fresh_compile),
		cmocka_unit_test(test_job_validate),
		cmocka_unit_test(test_spawn_confines_before_job),
		cmocka_unit_test(test_abandon_leaves_no_child),
		cmocka_unit_test(test_spawn_wipes_environment),
		cmocka_unit_test(test_spawn_failure_reported_by_serve),
		cmocka_unit_test(test_job_frame_is_scrubbed),
		cmocka_unit_test(test_broker_fake_child_ok),
		cmocka_unit_test(test_broker_rejects_fake_child),
		cmocka_unit_test(test_broker_fake_child_export),
		cmocka_unit_test(test_broker_export_plan_refused_by_backing),
		cmocka_unit_test(test_export_pipeline_real_child),
		cmocka_unit_test(test_child_io_fake_broker_ok),
		cmocka_unit_test(test_child_io_rejects_fake_broker),
		cmocka_unit_test(test_child_io_export_fake_broker_ok),
		cmocka_unit_test(test_child_io_rejects_bad_export_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
