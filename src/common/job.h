/*
 * job.h - what the broker asks the confined child to do.
 *
 * Why: the broker parses the (trusted) command line and configuration,
 * binds the roots, then hands the child one fixed-layout rp_job. The child
 * runs child_job_run() (src/child/job.c) over an rp_io and reports the
 * exit status. A fixed layout keeps the frame carrying it a single
 * exact-length message (see sandbox/proto.h).
 * Security posture: produced by the broker, validated by the child
 * (rp_job_validate: enum ranges, NUL-terminated strings) before use.
 */
#ifndef RP_JOB_H
#define RP_JOB_H

#include <stdint.h>

#include "err.h"
#include "limits.h"

typedef enum rp_job_kind {
	RP_JOB_VERIFY = 1, /* verify RP_ROOT_IN (a dir or, with store_prefix, a stored runpack) */
	RP_JOB_PACK = 2,   /* canonicalize SRC (IN) into OUT, manifest last, commit */
	RP_JOB_EXPORT = 3, /* verify IN, copy into the store under the derived key */
	RP_JOB_FETCH = 4,  /* copy a stored runpack (IN) to OUT, verify OUT, commit */
	RP_JOB_LS = 5,     /* list the store */
	RP_JOB_JCS = 6,    /* canonicalize RP_ROOT_FILE to stdout */
	RP_JOB_STORE_CHECK = 7, /* report what an object store says about its bucket */
	RP_JOB_SELFTEST_SYSCALL = 100 /* test builds only: make a forbidden call */
} rp_job_kind;

typedef enum rp_report_format {
	RP_FMT_JSON = 0,
	RP_FMT_MARKDOWN = 1,
	RP_FMT_TEXT = 2
} rp_report_format;

typedef enum rp_ts_kind {
	RP_TS_LOGICAL = 0,    /* u64 */
	RP_TS_UNIX_MILLIS = 1 /* i64 */
} rp_ts_kind;

#define RP_JOB_F_RFC8785 (1u << 0)           /* jcs: RFC 8785 mode */
#define RP_JOB_F_WITH_VERIFICATION (1u << 1) /* pack: add verifier_report.json */
#define RP_JOB_F_SECURITY (1u << 2)          /* pack: write a security context */
#define RP_JOB_F_DEV_PERMISSIVE (1u << 3)    /* pack: security.dev_permissive */
#define RP_JOB_F_ANCHOR_POLICY (1u << 4)     /* pack: RP_ROOT_FILE holds the policy */
#define RP_JOB_F_MANIFEST_EXPLICIT (1u << 5) /* verify: no runpack.json fallback */
#define RP_JOB_F_FROM_STORE (1u << 6)        /* verify: IN is a stored runpack at store_prefix */
#define RP_JOB_F_TENANT_FILTER (1u << 7)     /* ls: only tenant `tenant` */
#define RP_JOB_F_NAMESPACE_FILTER (1u << 8)  /* ls: only namespace `namespace_id` */
#define RP_JOB_F_NO_READ_BACK (1u << 9)      /* export: skip verifying the stored copy */
#define RP_JOB_F_S3 (1u << 10)               /* the store is an object store (store_uri s3://) */
#define RP_JOB_F_MULTI_INPUT (1u << 11)      /* export: more inputs follow (NEXT_INPUT) */

typedef struct rp_job {
	uint32_t kind;   /* rp_job_kind */
	uint32_t flags;  /* RP_JOB_F_* */
	uint32_t format; /* rp_report_format */
	uint32_t ts_kind;
	uint64_t ts_value; /* logical value, or unix millis as two's complement */
	uint64_t tenant;
	uint64_t namespace_id;
	char run_id[RP_MAX_ID_BYTES + 1];
	char authority[RP_MAX_ID_BYTES + 1];          /* security.namespace_authority */
	char manifest_name[RP_MAX_PATH_TOTAL + 1];    /* relative, validated */
	char store_prefix[RP_MAX_PATH_TOTAL + 1];     /* FROM_STORE: key prefix of IN */
	char store_uri[RP_MAX_PATH_TOTAL + 64];       /* e.g. "file:///var/lib/rpvault/store" */
	char subject[RP_MAX_PATH_TOTAL + 64];         /* what the user named, for text reports */
} rp_job;

/* Checks ranges and NUL termination; RP_E_PROTO on failure. */
int rp_job_validate(const rp_job *job, rp_err *err);

#endif
