/*
 * runjob.c - see runjob.h.
 *
 * RP_BENCH_INPROCESS (a bench-only build, never packaged) runs the child
 * logic in this process to measure what privilege separation costs: it
 * starts no child at all.
 */
#include "runjob.h"

#include "../child/job.h"
#include "privsep_opts.h"

privsep_child *broker_spawn_job(const char *unpriv_user, int last)
{
#ifdef RP_BENCH_INPROCESS
	(void)unpriv_user;
	(void)last;
	return NULL;
#else
	privsep_opts opts = {0};
	opts.harden_parent = last;
	return privsep_spawn_opts(child_job_main, unpriv_user, &opts);
#endif
}

rp_code broker_run_job(privsep_child *child, const rp_job *job, const rp_io *backing, rp_err *err)
{
#ifdef RP_BENCH_INPROCESS
	(void)child;
	return child_job_main(job, backing, err);
#else
	return privsep_serve(child, job, backing, err);
#endif
}

void broker_abandon_job(privsep_child *child)
{
	privsep_abandon(child);
}
