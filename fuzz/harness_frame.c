/*
 * harness_frame.c - fuzzes the broker <-> child frame protocol in both
 * directions (sandbox/frame.c, proto.c, broker_serve.c, child_io.c,
 * job_validate.c), without forking and without loading the sandbox.
 *
 * The fuzzed byte stream is what the peer sent: it is placed in a memfd
 * that serves as the receiving side's read end (read() returns it, then
 * EOF); everything the side under test sends goes to /dev/null.
 *
 * Input: byte 0 selects the mode (low two bits).
 *  0  broker side: byte 1 = job kind (low seven bits; bit 7 sets job flag
 *     RP_JOB_F_S3, so an export job serves EXPORT_PLAN/WAIT/REPORT),
 *     byte 2 = behaviour bits of the fake backing rp_io; the rest is the
 *     child's frame stream, served by broker_serve() against an in-memory
 *     backing.
 *  1  child side, op script: bytes 1..8 are eight rp_io operations
 *     (read IN/FILE, write, copy, store_open, commit, list, output, and
 *     export_plan/export_wait/export_report under the output op's bit 6)
 *     that the child's rp_io (child_io.c) performs; the rest is the
 *     broker's frame stream after a well-formed JOB frame the harness
 *     prepends.
 *  2  child side, whole job: bytes 1..3 choose kind, flags and report
 *     format of a valid job (harness-made JOB frame; byte 3 bits 4..6 add
 *     RP_JOB_F_S3, NO_READ_BACK, MULTI_INPUT); child_job_main()
 *     runs over the child's rp_io, so the verifier, packer, exporter,
 *     fetcher, lister and canonicalizer consume the fuzzed answers.
 *  3  child side, fuzzed JOB: bytes 1..2 (little-endian) give a length
 *     L, the next L bytes are the start of the JOB payload (zero-padded to
 *     sizeof(rp_job), about 13 KiB, so short inputs reach every field of
 *     rp_job_validate); the rest is the broker stream after JOB. A job the
 *     child accepts runs as in mode 2. Header-level fuzzing of the child's
 *     receive path is covered by modes 1 and 2.
 *
 * Properties checked (abort() on violation):
 *  - broker: the backing is only ever asked for what the job kind's
 *    dispatch row allows (roots, copy pairs, ops), with validated paths
 *    (rp_path_check; "" for FILE), store prefixes that pass
 *    rp_key_prefix_check, sizes/max <= RP_MAX_ARTIFACT_BYTES, STORE only
 *    after a successful STORE_OPEN, OUT never after COMMIT, at most one
 *    COMMIT, LIST_REQ and STORE_OPEN; export plans only for S3 export
 *    jobs with STORE bound, 1..RP_COPY_MANY_MAX+1 valid IN paths with the
 *    manifest (entry 0) never repeated, at most RP_EXPORT_WINDOW queued;
 *    export_wait only while plans are queued and the last result is
 *    reported; each report for the input of the result just handed out,
 *    with a code in range and a printable message; a failed serve is
 *    RP_E_PROTO (or NOMEM); a finished one has DONE's code in range, a
 *    printable message and no plan left unreported.
 *  - child: a READ never delivers more than the requested max; LIST
 *    entries are NUL-terminated prefixes of bounded length with
 *    has_manifest 0/1; an export result that export_wait accepts is
 *    consistent (code in range, existed 0/1, status 0 or 300..999,
 *    success without status or context, bounded NUL-free strings, a body
 *    only with a status); a failed operation sets an error code; once the
 *    channel is broken every later operation fails; a JOB accepted by
 *    child_io_recv_job passes rp_job_validate.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "broker_serve.h"
#include "child/job.h"
#include "child_io.h"
#include "common/err.h"
#include "common/io.h"
#include "common/job.h"
#include "common/keys.h"
#include "common/limits.h"
#include "common/path.h"
#include "frame.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_frame: property failed at line %d: %s\n",    \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

#define BIG_LEN 300000u /* more than one RP_FRAME_MAX_PAYLOAD */

static const char valid_prefix[] =
	"tenant/1/namespace/7/scenario/s/run/r/spec/sha256/"
	"5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/";

static int verbose = -1; /* HARNESS_VERBOSE set: trace outcomes (seed checking) */
static int in_fd = -1;   /* memfd: the peer's frames */
static int null_fd = -1; /* /dev/null: what the side under test sends */
static uint8_t *big;     /* BIG_LEN bytes served for "big" files */

static void setup(void)
{
	if (in_fd >= 0)
		return;
	verbose = getenv("HARNESS_VERBOSE") != NULL;
	in_fd = memfd_create("rpvault-fuzz-frames", MFD_CLOEXEC);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	big = malloc(BIG_LEN);
	CHECK(in_fd >= 0 && null_fd >= 0 && big != NULL);
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = (uint8_t)('a' + i % 26);
}

static void put_all(const void *p, size_t n, off_t off)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = pwrite(in_fd, b, n, off);
		CHECK(w > 0);
		b += w;
		n -= (size_t)w;
		off += w;
	}
}

/* The peer's stream: optional JOB frame, then the fuzzed bytes. */
static void load_stream(const rp_job *job, const uint8_t *rest, size_t n)
{
	off_t off = 0;
	CHECK(ftruncate(in_fd, 0) == 0);
	if (job != NULL) {
		uint8_t hdr[RP_FRAME_HDR_LEN];
		rp_frame_hdr h = { .type = RP_MSG_JOB, .len = (uint32_t)sizeof *job, .seq = 1 };
		rp_frame_hdr_encode(&h, hdr);
		put_all(hdr, sizeof hdr, 0);
		put_all(job, sizeof *job, RP_FRAME_HDR_LEN);
		off = (off_t)(RP_FRAME_HDR_LEN + sizeof *job);
	}
	if (n > 0)
		put_all(rest, n, off);
	CHECK(lseek(in_fd, 0, SEEK_SET) == 0);
}

static void base_job(rp_job *job, uint32_t kind)
{
	memset(job, 0, sizeof *job);
	job->kind = kind;
	job->tenant = 1;
	job->namespace_id = 7;
	strcpy(job->run_id, "run-1");
	strcpy(job->authority, "fuzz-authority");
	strcpy(job->manifest_name, "manifest.json");
	strcpy(job->store_prefix, valid_prefix);
	strcpy(job->store_uri, "file:///fuzz/store");
}

/* ------------------------------------------------------------------ */
/* Broker side: a fake backing that checks what reaches it             */
/* ------------------------------------------------------------------ */

typedef struct backing {
	const broker_perm *perm;
	uint32_t job_flags;
	unsigned flags;
	int store_bound, committed, listed, store_opens, commits;
	int inputs_left, pages, detail;
	/* export pipeline: plans accepted (input numbers 0..planned), handed
	 * out by export_wait (waited), reported; a result is outstanding
	 * between its export_wait and its export_report */
	size_t planned, waited, reported;
	int outstanding;
} backing;

#define BK_STORE_FAILS (1u << 0)
#define BK_COMMIT_FAILS (1u << 1)
#define BK_LIST_FAILS (1u << 2)
#define BK_LIST_BAD_ENTRY (1u << 3)
#define BK_WRITE_FAILS (1u << 4)
#define BK_COPY_FAILS (1u << 5)
#define BK_OUTPUT_FAILS (1u << 6)
#define BK_STORE_ERR (1u << 7) /* failures come with an object-store answer (STORE_ERR) */

static void check_root_path(const backing *b, uint32_t root, const char *path)
{
	CHECK(path != NULL);
	if (root == RP_ROOT_FILE)
		CHECK(path[0] == '\0');
	else
		CHECK(rp_path_check(path, strlen(path)) == RP_PATH_OK);
	if (root == RP_ROOT_STORE)
		CHECK(b->store_bound);
	if (root == RP_ROOT_OUT)
		CHECK(!b->committed);
}

static int bk_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		   void *fnctx, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->read_roots & BROKER_ROOT(root));
	check_root_path(b, root, path);
	CHECK(max <= RP_MAX_ARTIFACT_BYTES);
	const uint8_t *p = (const uint8_t *)path;
	size_t n = strlen(path);
	if (strcmp(path, "missing") == 0)
		return rp_err_set(err, RP_E_NOTFOUND, "artifact error: not found: %s", path);
	if (strcmp(path, "eio") == 0)
		return rp_err_set(err, RP_E_IO, "read %s: EIO", path);
	if (strcmp(path, "nocode") == 0) {
		rp_err_clear(err);
		return -1; /* a backing that fails without a code */
	}
	if (strcmp(path, "grow") == 0 && max < BIG_LEN) {
		/* Misbehaving backing: more than max (the sink must refuse). */
		p = big;
		n = (size_t)max + 1;
	} else if (strcmp(path, "big") == 0) {
		p = big;
		n = BIG_LEN;
		if (n > max)
			return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)",
					  path, n, (unsigned long long)max);
	} else if (n > max) {
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)", path,
				  n, (unsigned long long)max);
	}
	for (size_t off = 0; off < n;) {
		size_t k = n - off < 65536 ? n - off : 65536;
		if (fn(fnctx, p + off, k, err) != 0)
			return -1;
		off += k;
	}
	return 0;
}

static int bk_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		    rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->write_roots & BROKER_ROOT(root));
	CHECK(root != RP_ROOT_FILE);
	check_root_path(b, root, path);
	CHECK(n <= RP_MAX_ARTIFACT_BYTES);
	CHECK(p != NULL);
	if (b->flags & BK_WRITE_FAILS)
		return rp_err_set(err, RP_E_EXISTS, "refusing to overwrite %s", path);
	return 0;
}

static int bk_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		   rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->copy_pairs & BROKER_COPY(from, to));
	check_root_path(b, from, path);
	check_root_path(b, to, path);
	CHECK(max <= RP_MAX_ARTIFACT_BYTES);
	if (b->flags & BK_COPY_FAILS) {
		b->detail = (b->flags & BK_STORE_ERR) != 0;
		return rp_err_set(err, RP_E_NOTFOUND, "copy %s: not found", path);
	}
	return 0;
}

static int bk_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	backing *b = self;
	rp_err perr;
	CHECK(b->perm->ops & BROKER_OP_STORE_OPEN);
	CHECK(++b->store_opens == 1);
	CHECK(create == 0 || create == 1);
	CHECK(rp_key_prefix_check(prefix, &perr) == 0);
	if (b->flags & BK_STORE_FAILS)
		return rp_err_set(err, RP_E_NOTFOUND, "store: %s not found", prefix);
	b->store_bound = 1;
	return 0;
}

static int bk_commit(void *self, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_COMMIT);
	CHECK(++b->commits == 1);
	b->committed = 1;
	if (b->flags & BK_COMMIT_FAILS)
		return rp_err_set(err, RP_E_IO, "commit: rename: EXDEV");
	return 0;
}

static int bk_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_LIST);
	CHECK(++b->listed == 1);
	rp_list_entry e = { .prefix = valid_prefix, .has_manifest = 1 };
	if (fn(fnctx, &e, err) != 0)
		return -1;
	e.prefix = "tenant/x/";
	e.has_manifest = 0;
	if (fn(fnctx, &e, err) != 0)
		return -1;
	if (b->flags & BK_LIST_BAD_ENTRY) {
		e.prefix = "";
		if (fn(fnctx, &e, err) != 0)
			return -1;
	}
	if (b->flags & BK_LIST_FAILS)
		return rp_err_set(err, RP_E_IO, "list: EIO");
	return 0;
}

static int bk_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_OUTPUT);
	CHECK(fd == 1 || fd == 2);
	CHECK(n == 0 || p != NULL);
	if (b->flags & BK_OUTPUT_FAILS)
		return rp_err_set(err, RP_E_IO, "write stdout: EPIPE");
	return 0;
}

static int bk_copy_many(void *self, rp_root from, rp_root to, const char *const *paths, size_t n,
			uint64_t max, rp_err *err)
{
	backing *b = self;
	CHECK(n >= 1 && n <= RP_COPY_MANY_MAX);
	for (size_t i = 0; i < n; i++)
		if (bk_copy(b, from, to, paths[i], max, err) != 0)
			return -1;
	return 0;
}

static const char canned_page[] =
	"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size></Contents>"
	"</ListBucketResult>";

static int bk_list_page(void *self, const char *token, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_LIST_PAGE);
	CHECK(token != NULL && strlen(token) <= RP_LIST_TOKEN_MAX);
	for (const char *t = token; *t != '\0'; t++)
		CHECK(*t > 0x20 && *t < 0x7f);
	CHECK(++b->pages <= RP_MAX_STORE_PAGES);
	if (b->flags & BK_LIST_FAILS) {
		b->detail = (b->flags & BK_STORE_ERR) != 0;
		return rp_err_set(err, RP_E_STORE, "list: HTTP 403");
	}
	return fn(fnctx, (const uint8_t *)canned_page, sizeof canned_page - 1, err);
}

static int bk_bucket_info(void *self, rp_bucket_info what, rp_sink_fn fn, void *fnctx, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_BUCKET);
	CHECK(what == RP_BUCKET_VERSIONING || what == RP_BUCKET_OBJECT_LOCK);
	static const char v[] = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
	return fn(fnctx, (const uint8_t *)v, sizeof v - 1, err);
}

static int bk_store_detail(void *self, rp_store_detail *out)
{
	backing *b = self;
	static const char body[] = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
	if (!b->detail)
		return 0;
	b->detail = 0;
	out->status = 403;
	out->what = "GET s3://fuzz/k";
	out->body = (const uint8_t *)body;
	out->body_len = sizeof body - 1;
	return 1;
}

static int bk_next_input(void *self, rp_code code, const char *msg, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_NEXT_INPUT);
	CHECK((unsigned)code <= RP_E_INTERNAL);
	CHECK(msg != NULL);
	if (b->inputs_left <= 0)
		return rp_err_set(err, RP_E_NOTFOUND, "no further input");
	b->inputs_left--;
	/* A new input: its store binding starts over. */
	b->store_opens = 0;
	b->store_bound = 0;
	return 0;
}

static int bk_export_plan(void *self, const rp_export_entry *e, size_t n, rp_err *err)
{
	backing *b = self;
	CHECK(b->perm->ops & BROKER_OP_EXPORT_PLAN);
	CHECK(b->job_flags & RP_JOB_F_S3);
	CHECK(b->store_bound);
	CHECK(e != NULL && n >= 1 && n <= RP_COPY_MANY_MAX + 1);
	CHECK(b->planned - b->reported < RP_EXPORT_WINDOW);
	for (size_t i = 0; i < n; i++) {
		check_root_path(b, RP_ROOT_IN, e[i].path);
		CHECK(i == 0 || strcmp(e[i].path, e[0].path) != 0);
	}
	if (strcmp(e[0].path, "missing") == 0) {
		b->detail = (b->flags & BK_STORE_ERR) != 0;
		return rp_err_set(err, RP_E_NOTFOUND, "export plan: %s not found", e[0].path);
	}
	b->planned++;
	return 0;
}

/* Results cycle through the shapes the broker must encode: success,
 * success (already stored), a store answer with status/what/body (body
 * longer than the relay keeps), a failure of ours (status 0), and a
 * misbehaving backing (code out of range, overlong context). */
static int bk_export_wait(void *self, rp_export_result *res, rp_err *err)
{
	backing *b = self;
	static const char body[] = "<Error><Code>SlowDown</Code><Message>later</Message></Error>";
	static char long_context[RP_ERR_MSG_MAX + 100];
	(void)err;
	CHECK(b->perm->ops & BROKER_OP_EXPORT_PLAN);
	CHECK(b->job_flags & RP_JOB_F_S3);
	CHECK(!b->outstanding);
	CHECK(b->waited < b->planned);
	memset(res, 0, sizeof *res);
	res->input = b->waited;
	res->context = "";
	res->what = "";
	switch ((b->waited + (b->flags & 3u)) % 5u) {
	case 0: break;
	case 1: res->existed = 1; break;
	case 2:
		res->code = RP_E_STORE;
		res->status = 503;
		res->context = "uploading artifacts/a.json";
		res->what = "PUT s3://fuzz/k";
		res->body = (b->flags & BK_STORE_ERR) ? big : (const uint8_t *)body;
		res->body_len = (b->flags & BK_STORE_ERR) ? BIG_LEN : sizeof body - 1;
		break;
	case 3:
		res->code = RP_E_VERIFY;
		res->context = "read-back of artifacts/a.json: hash mismatch";
		break;
	default:
		if (long_context[0] == '\0')
			memset(long_context, 'x', sizeof long_context - 1);
		res->code = (rp_code)(RP_E_INTERNAL + 7);
		res->context = long_context;
		break;
	}
	b->waited++;
	b->outstanding = 1;
	return 1;
}

static int bk_export_report(void *self, size_t input, rp_code code, const char *msg, rp_err *err)
{
	backing *b = self;
	(void)err;
	CHECK(b->outstanding);
	CHECK(input + 1 == b->waited);
	CHECK((unsigned)code <= RP_E_INTERNAL);
	CHECK(msg != NULL && strlen(msg) < RP_ERR_MSG_MAX);
	for (const char *q = msg; *q != '\0'; q++)
		CHECK((unsigned char)*q >= 0x20 && *q != 0x7f);
	b->outstanding = 0;
	b->reported++;
	return 0;
}

static void bk_pump(void *self, int fd)
{
	backing *b = self;
	CHECK(fd == in_fd);
	CHECK(b->planned > b->reported);
}

static const rp_io_ops bk_ops = {
	.read = bk_read,
	.write = bk_write,
	.copy = bk_copy,
	.store_open = bk_store_open,
	.commit = bk_commit,
	.list = bk_list,
	.output = bk_output,
	.copy_many = bk_copy_many,
	.list_page = bk_list_page,
	.bucket_info = bk_bucket_info,
	.store_detail = bk_store_detail,
	.next_input = bk_next_input,
	.export_plan = bk_export_plan,
	.export_wait = bk_export_wait,
	.export_report = bk_export_report,
	.pump = bk_pump,
};

static void fuzz_broker(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	rp_job job;
	base_job(&job, RP_JOB_VERIFY + (data[1] & 0x7fu) % RP_JOB_STORE_CHECK);
	if (job.kind == RP_JOB_EXPORT)
		job.flags |= RP_JOB_F_MULTI_INPUT;
	if (data[1] & 0x80u)
		job.flags |= RP_JOB_F_S3; /* any kind: the broker must refuse plans but for export */
	backing b = { .perm = broker_perm_for(job.kind), .job_flags = job.flags, .flags = data[2],
		      .inputs_left = 2 };
	CHECK(b.perm != NULL);
	rp_io io = { .ops = &bk_ops, .self = &b };
	load_stream(NULL, data + 3, size - 3);
	broker_outcome out;
	rp_err err;
	rp_err_clear(&err);
	int rc = broker_serve(in_fd, null_fd, &job, &io, 5000, &out, &err);
	if (verbose)
		fprintf(stderr, "broker: rc %d requests %lu done %d code %d msg '%s' err '%s'\n", rc,
			out.requests, out.done, (int)out.code, out.msg, err.msg);
	CHECK(b.reported <= b.waited && b.waited <= b.planned);
	if (rc == 0) {
		CHECK(out.done == 1);
		CHECK(b.planned == b.reported && !b.outstanding); /* DONE needs every plan reported */
		CHECK((unsigned)out.code <= RP_E_INTERNAL);
		const char *nul = memchr(out.msg, '\0', sizeof out.msg);
		CHECK(nul != NULL);
		for (const char *q = out.msg; q < nul; q++)
			CHECK((unsigned char)*q >= 0x20 && *q != 0x7f);
	} else {
		CHECK(rc == -1);
		CHECK(err.code == RP_E_PROTO || err.code == RP_E_NOMEM);
		CHECK(!out.done);
	}
}

/* ------------------------------------------------------------------ */
/* Child side                                                          */
/* ------------------------------------------------------------------ */

typedef struct sink_ctx {
	uint64_t got;
	int fail_after_first;
	unsigned calls;
} sink_ctx;

static int sink(void *vctx, const uint8_t *p, size_t n, rp_err *err)
{
	sink_ctx *s = vctx;
	CHECK(p != NULL || n == 0);
	s->got += n;
	if (s->fail_after_first && s->calls++ > 0)
		return rp_err_set(err, RP_E_LIMIT, "sink full");
	return 0;
}

typedef struct list_ctx {
	int fail;
	unsigned n;
} list_ctx;

static int list_fn(void *vctx, const rp_list_entry *e, rp_err *err)
{
	list_ctx *l = vctx;
	CHECK(e != NULL && e->prefix != NULL);
	CHECK(strnlen(e->prefix, RP_KEY_PREFIX_MAX + 1) <= RP_KEY_PREFIX_MAX);
	CHECK(e->has_manifest == 0 || e->has_manifest == 1);
	l->n++;
	if (l->fail)
		return rp_err_set(err, RP_E_FORMAT, "callback refuses");
	return 0;
}

static const uint64_t max_table[4] = { 0, 100, BIG_LEN, RP_MAX_ARTIFACT_BYTES };
static const size_t len_table[4] = { 0, 5, 1000, BIG_LEN };

/* What export_wait accepted must be what the protocol allows. */
static void check_export_result(const rp_export_result *res)
{
	CHECK((unsigned)res->code <= RP_E_INTERNAL);
	CHECK(res->existed == 0 || res->existed == 1);
	CHECK(res->status == 0 || (res->status >= 300 && res->status <= 999));
	CHECK(res->context != NULL && res->what != NULL);
	CHECK(strlen(res->context) <= RP_EXPORT_CONTEXT_MAX);
	CHECK(strlen(res->what) <= RP_EXPORT_WHAT_MAX);
	if (res->code == RP_OK)
		CHECK(res->status == 0 && res->context[0] == '\0');
	if (res->status == 0)
		CHECK(res->body_len == 0);
	CHECK(res->body != NULL || res->body_len == 0);
	CHECK(res->body_len <= RP_FRAME_MAX_PAYLOAD);
	CHECK(res->input <= UINT32_MAX);
}

static size_t last_input; /* the input of the last accepted EXPORT_RESULT */

/* sub: 0 plan (two entries), 1 plan of a bad size or path (refused in the
 * child), 2 wait, 3 report, 4 wait then report, 5..7 report with an input
 * of its own (a misbehaving child the broker would refuse). */
static int child_export_op(const rp_io *io, unsigned sub, rp_err *err)
{
	rp_export_entry e[3];
	memset(e, 0, sizeof e);
	e[0].path = "manifest.json";
	e[1].path = "artifacts/a.json";
	e[2].path = "../x";
	memset(e[1].sha, 0xab, sizeof e[1].sha);
	switch (sub) {
	case 0: return io->ops->export_plan(io->self, e, 2, err);
	case 1: return io->ops->export_plan(io->self, e, 3, err);
	case 2:
	case 4: {
		rp_export_result res;
		int r = io->ops->export_wait(io->self, &res, err);
		CHECK(r >= -1 && r <= 1);
		if (r == 1) {
			check_export_result(&res);
			last_input = res.input;
		}
		if (r != 1 || sub == 2)
			return r < 0 ? -1 : 0;
		return io->ops->export_report(io->self, res.input, res.code, res.context, err);
	}
	case 3: return io->ops->export_report(io->self, last_input, RP_OK, "", err);
	default: return io->ops->export_report(io->self, sub, RP_E_STORE, "failed", err);
	}
}

static int child_op(const rp_io *io, uint8_t b, rp_err *err)
{
	unsigned op = b & 7u, param = b >> 3;
	switch (op) {
	case 0:
	case 1: {
		uint64_t max = max_table[param & 3u];
		sink_ctx s = { .fail_after_first = (param & 4u) != 0 };
		int rc = io->ops->read(io->self, op == 0 ? RP_ROOT_IN : RP_ROOT_FILE,
				       op == 0 ? "manifest.json" : "", max, sink, &s, err);
		CHECK(s.got <= max);
		return rc;
	}
	case 2:
		return io->ops->write(io->self, (param & 4u) ? RP_ROOT_STORE : RP_ROOT_OUT,
				      "artifacts/a.json", big, len_table[param & 3u], err);
	case 3:
		return io->ops->copy(io->self, RP_ROOT_IN, (param & 4u) ? RP_ROOT_STORE : RP_ROOT_OUT,
				     "artifacts/a.json", max_table[param & 3u], err);
	case 4:
		return io->ops->store_open(io->self, valid_prefix, (int)(param & 1u), err);
	case 5:
		return io->ops->commit(io->self, err);
	case 6: {
		list_ctx l = { .fail = (param & 1u) != 0 };
		return io->ops->list(io->self, list_fn, &l, err);
	}
	default:
		if (param & 8u)
			return child_export_op(io, param & 7u, err);
		return io->ops->output(io->self, (param & 1u) ? 2 : 1, big,
				       (param & 2u) ? BIG_LEN : 5, err);
	}
}

static void fuzz_child_script(const uint8_t *data, size_t size)
{
	if (size < 9)
		return;
	rp_job job;
	base_job(&job, RP_JOB_EXPORT);
	job.flags = RP_JOB_F_S3;
	last_input = 0;
	load_stream(&job, data + 9, size - 9);
	child_io c;
	rp_err err;
	rp_err_clear(&err);
	CHECK(child_io_init(&c, in_fd, null_fd, &err) == 0);
	rp_job got;
	CHECK(child_io_recv_job(&c, &got, &err) == 0);
	CHECK(memcmp(&got, &job, sizeof job) == 0);
	rp_io io = child_io_rp_io(&c);
	for (size_t i = 1; i < 9; i++) {
		int was_broken = child_io_broken(&c);
		rp_err_clear(&err);
		int rc = child_op(&io, data[i], &err);
		if (verbose)
			fprintf(stderr, "child op %u: rc %d err '%s'\n", data[i] & 7u, rc, err.msg);
		CHECK(rc == 0 || rc == -1);
		if (rc != 0)
			CHECK(err.code != RP_OK && memchr(err.msg, '\0', sizeof err.msg) != NULL);
		if (was_broken)
			CHECK(rc == -1);
	}
	if (!child_io_broken(&c))
		(void)child_io_send_done(&c, RP_OK, "done", &err);
	child_io_free(&c);
}

static void run_child_job(child_io *c, const rp_job *job)
{
	rp_io io = child_io_rp_io(c);
	rp_err err;
	rp_err_clear(&err);
	rp_code code = child_job_main(job, &io, &err);
	if (verbose)
		fprintf(stderr, "child job %u: code %d err '%s' broken %d\n", job->kind, (int)code,
			err.msg, child_io_broken(c));
	CHECK((unsigned)code <= RP_E_INTERNAL);
	if (code != RP_OK)
		CHECK(err.code != RP_OK || code == RP_E_VERIFY);
	if (!child_io_broken(c)) {
		rp_err serr;
		rp_err_clear(&serr);
		(void)child_io_send_done(c, code, err.msg, &serr);
	}
}

static void fuzz_child_job(const uint8_t *data, size_t size)
{
	if (size < 4)
		return;
	rp_job job;
	base_job(&job, RP_JOB_VERIFY + data[1] % RP_JOB_STORE_CHECK);
	job.flags = ((uint32_t)data[2] | (uint32_t)(data[3] & 1u) << 8) &
		    (RP_JOB_F_RFC8785 | RP_JOB_F_WITH_VERIFICATION | RP_JOB_F_SECURITY |
		     RP_JOB_F_DEV_PERMISSIVE | RP_JOB_F_ANCHOR_POLICY | RP_JOB_F_MANIFEST_EXPLICIT |
		     RP_JOB_F_FROM_STORE | RP_JOB_F_TENANT_FILTER | RP_JOB_F_NAMESPACE_FILTER);
	/* byte 3 bits 4..6: the object-store flags (S3 export pipelines) */
	if (data[3] & 0x10u)
		job.flags |= RP_JOB_F_S3;
	if (data[3] & 0x20u)
		job.flags |= RP_JOB_F_NO_READ_BACK;
	if (data[3] & 0x40u)
		job.flags |= RP_JOB_F_MULTI_INPUT;
	job.format = (uint32_t)(data[3] >> 1) % 3u;
	job.ts_kind = (data[3] >> 3) & 1u;
	job.ts_value = 10;
	rp_err err;
	rp_err_clear(&err);
	CHECK(rp_job_validate(&job, &err) == 0);
	load_stream(&job, data + 4, size - 4);
	child_io c;
	CHECK(child_io_init(&c, in_fd, null_fd, &err) == 0);
	rp_job got;
	CHECK(child_io_recv_job(&c, &got, &err) == 0);
	run_child_job(&c, &got);
	child_io_free(&c);
}

static void fuzz_child_fuzzed_job(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	size_t l = (size_t)data[1] | (size_t)data[2] << 8;
	if (l > size - 3)
		l = size - 3;
	rp_job *job = calloc(1, sizeof *job);
	CHECK(job != NULL);
	memcpy(job, data + 3, l < sizeof *job ? l : sizeof *job);
	load_stream(job, data + 3 + l, size - 3 - l);
	child_io c;
	rp_err err;
	rp_err_clear(&err);
	CHECK(child_io_init(&c, in_fd, null_fd, &err) == 0);
	rp_job *got = malloc(sizeof *got);
	CHECK(got != NULL);
	if (child_io_recv_job(&c, got, &err) == 0) {
		rp_err verr;
		rp_err_clear(&verr);
		CHECK(rp_job_validate(got, &verr) == 0);
		CHECK(got->kind >= RP_JOB_VERIFY && got->kind <= RP_JOB_STORE_CHECK);
		run_child_job(&c, got);
	} else {
		CHECK(err.code == RP_E_PROTO);
		CHECK(child_io_broken(&c));
	}
	free(got);
	free(job);
	child_io_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	switch (data[0] & 3u) {
	case 0: fuzz_broker(data, size); break;
	case 1: fuzz_child_script(data, size); break;
	case 2: fuzz_child_job(data, size); break;
	default: fuzz_child_fuzzed_job(data, size); break;
	}
	return 0;
}
