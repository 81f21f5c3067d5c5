/*
 * runjob.c - see runjob.h.
 */
#include "runjob.h"

#include "../child/job.h"

rp_code broker_run_job(const rp_job *job, const rp_io *backing, const char *unpriv_user, rp_err *err)
{
	(void)unpriv_user;
	return child_job_main(job, backing, err);
}
