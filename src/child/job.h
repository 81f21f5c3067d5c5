/*
 * job.h - the confined child's entry point: runs one rp_job over an rp_io.
 *
 * Why: one function per command, each a sequence of rp_io requests, so
 * the whole command logic runs behind the sandbox and the broker only
 * moves bytes.
 * Security posture: CONFINED-CHILD code. Output to the user goes through
 * io->output; the return value is the command's rp_code.
 */
#ifndef RP_CHILD_JOB_H
#define RP_CHILD_JOB_H

#include "../common/err.h"
#include "../common/io.h"
#include "../common/job.h"

rp_code child_job_main(const rp_job *job, const rp_io *io, rp_err *err);

#endif
