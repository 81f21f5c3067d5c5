/*
 * runjob.c - see runjob.h.
 *
 * RP_BENCH_INPROCESS (a bench-only build, never packaged) runs the child
 * logic in this process to measure what privilege separation costs.
 */
#include "runjob.h"

#include "../child/job.h"
#include "privsep_opts.h"

rp_code broker_run_job(const rp_job *job, const rp_io *backing, const char *unpriv_user, int last, rp_err *err)
{
#ifdef RP_BENCH_INPROCESS
	(void)unpriv_user;
	(void)last;
	return child_job_main(job, backing, err);
#else
	privsep_opts opts = {0};
	opts.harden_parent = last;
	return privsep_run_opts(job, backing, child_job_main, unpriv_user, &opts, err);
#endif
}
