/*
 * runjob.h - hands one job to the confined child and returns its result.
 *
 * Security posture: PRIVILEGED side. Every command's logic runs in the
 * privilege-separated, seccomp-confined child (sandbox/privsep.h); the
 * broker only serves rp_io requests from its file-system backing.
 */
#ifndef RP_RUNJOB_H
#define RP_RUNJOB_H

#include "../common/err.h"
#include "../common/io.h"
#include "../common/job.h"

/* last: nonzero for the final job of this process. The broker hardens
 * itself (no_new_privs, capabilities dropped) after that fork; earlier
 * forks keep the ability to start the next child as the unprivileged user. */
rp_code broker_run_job(const rp_job *job, const rp_io *backing, const char *unpriv_user, int last, rp_err *err);

#endif
