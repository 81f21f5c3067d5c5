/*
 * job_validate.c - rp_job_validate (declared in src/common/job.h).
 *
 * Why: the JOB frame is a raw struct; before the child acts on it every
 * enum must be in range, every flag known and every string terminated
 * inside its array. The broker runs the same check before it forks, so a
 * bad job is a broker bug caught early rather than a child surprise.
 * Security posture: runs in the confined child on the JOB payload (and in
 * the broker before fork). Pure checks, no allocation.
 */
#include <string.h>

#include "common/job.h"
#include "common/keys.h"
#include "common/path.h"

#define RP_JOB_F_ALL                                                                             \
	(RP_JOB_F_RFC8785 | RP_JOB_F_WITH_VERIFICATION | RP_JOB_F_SECURITY |                     \
	 RP_JOB_F_DEV_PERMISSIVE | RP_JOB_F_ANCHOR_POLICY | RP_JOB_F_MANIFEST_EXPLICIT |        \
	 RP_JOB_F_FROM_STORE | RP_JOB_F_TENANT_FILTER | RP_JOB_F_NAMESPACE_FILTER |     \
	 RP_JOB_F_NO_READ_BACK | RP_JOB_F_S3 | RP_JOB_F_MULTI_INPUT)

static int job_str(const char *s, size_t cap, const char *field, size_t *len, rp_err *err)
{
	const char *nul = memchr(s, '\0', cap);
	if (nul == NULL)
		return rp_err_set(err, RP_E_PROTO, "job.%s is not NUL-terminated within %zu bytes",
				  field, cap);
	*len = (size_t)(nul - s);
	return 0;
}

int rp_job_validate(const rp_job *job, rp_err *err)
{
	if (job == NULL)
		return rp_err_set(err, RP_E_PROTO, "job is NULL");
	/* RP_JOB_SELFTEST_SYSCALL is deliberately not accepted: tests pass
	 * their own child function to privsep_run instead, so the release
	 * binary has no job that makes a forbidden call. */
	if (job->kind < RP_JOB_VERIFY || job->kind > RP_JOB_STORE_CHECK)
		return rp_err_set(err, RP_E_PROTO, "job.kind %u out of range", (unsigned)job->kind);
	if ((job->flags & ~(uint32_t)RP_JOB_F_ALL) != 0)
		return rp_err_set(err, RP_E_PROTO, "job.flags 0x%x has unknown bits 0x%x",
				  (unsigned)job->flags, (unsigned)(job->flags & ~(uint32_t)RP_JOB_F_ALL));
	if (job->format > RP_FMT_TEXT)
		return rp_err_set(err, RP_E_PROTO, "job.format %u out of range", (unsigned)job->format);
	if (job->ts_kind > RP_TS_UNIX_MILLIS)
		return rp_err_set(err, RP_E_PROTO, "job.ts_kind %u out of range",
				  (unsigned)job->ts_kind);
	size_t n = 0;
	if (job_str(job->run_id, sizeof job->run_id, "run_id", &n, err) != 0 ||
	    job_str(job->authority, sizeof job->authority, "authority", &n, err) != 0 ||
	    job_str(job->store_uri, sizeof job->store_uri, "store_uri", &n, err) != 0 ||
	    job_str(job->subject, sizeof job->subject, "subject", &n, err) != 0)
		return -1;
	if (job_str(job->manifest_name, sizeof job->manifest_name, "manifest_name", &n, err) != 0)
		return -1;
	if (n != 0 && rp_path_validate(job->manifest_name, n, "job.manifest_name", err) != 0) {
		err->code = RP_E_PROTO;
		return -1;
	}
	if (job_str(job->store_prefix, sizeof job->store_prefix, "store_prefix", &n, err) != 0)
		return -1;
	if (n != 0 && rp_key_prefix_check(job->store_prefix, err) != 0) {
		rp_err_wrap(err, "job.store_prefix");
		err->code = RP_E_PROTO;
		return -1;
	}
	return 0;
}
