/*
 * runjob.h - hands one job to the confined child and returns its result.
 *
 * Security posture: PRIVILEGED side. In every build the job runs in the
 * privilege-separated child (sandbox/privsep.h); only the bench-only
 * in-process build (RP_BENCH_INPROCESS) calls the child code directly.
 */
#ifndef RP_RUNJOB_H
#define RP_RUNJOB_H

#include "../common/err.h"
#include "../common/io.h"
#include "../common/job.h"

rp_code broker_run_job(const rp_job *job, const rp_io *backing, const char *unpriv_user, rp_err *err);

#endif
