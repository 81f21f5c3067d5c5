/*
 * runjob.h - starts the confined child early and hands it one job.
 *
 * Why: the child's fork and confinement cost milliseconds; started as soon
 * as the command line says a job will run, they overlap the broker's own
 * start-up (store resolution, binding the roots) instead of following it.
 * Security posture: PRIVILEGED side. Every command's logic runs in the
 * privilege-separated, seccomp-confined child (sandbox/privsep.h); the
 * broker only serves rp_io requests from its file-system backing.
 */
#ifndef RP_RUNJOB_H
#define RP_RUNJOB_H

#include "../common/err.h"
#include "../common/io.h"
#include "../common/job.h"
#include "privsep.h"

/* Starts the child that will run this process's job (privsep_spawn).
 * last: nonzero for the final job of this process: the broker hardens
 * itself (no_new_privs, capabilities dropped) when that job is served;
 * earlier children leave it the ability to start the next one as the
 * unprivileged user. NULL when out of memory (broker_run_job reports it),
 * and always in the in-process bench build. */
privsep_child *broker_spawn_job(const char *unpriv_user, int last);

/* Gives job to child (consumed) and serves it from backing. */
rp_code broker_run_job(privsep_child *child, const rp_job *job, const rp_io *backing, rp_err *err);

/* Kills and reaps a child that gets no job; NULL is a no-op. */
void broker_abandon_job(privsep_child *child);

#endif
