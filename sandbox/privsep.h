/*
 * privsep.h - privilege separation: run a job's logic in a confined child
 * while this process (the broker) serves its file requests over frames.
 *
 * Why: runpacks, manifests and store responses are attacker-controlled.
 * The code that parses them runs in a child that holds nothing but two
 * pipe ends, has no identity (nobody), no capabilities, no_new_privs and
 * a seccomp filter that allows only computing; the broker, which owns the
 * files, never parses untrusted structure. docs/architecture/privsep.md
 * is the reviewer's guide.
 * Security posture: the public entry points of the broker side.
 */
#ifndef RP_SANDBOX_PRIVSEP_H
#define RP_SANDBOX_PRIVSEP_H

#include "common/err.h"
#include "common/io.h"
#include "common/job.h"

/* The job's logic, run in the confined child. io is the child's rp_io over
 * frames. Return RP_OK, or a code with err->msg set. It must not use stdio
 * (fd 1 is the frame pipe), exit(), or anything that opens files, reads
 * the clock by system call, or loads locale data. */
typedef rp_code (*rp_child_main)(const rp_job *job, const rp_io *io, rp_err *err);

/* Forks. The child confines itself (confine.c: fds, environment, user,
 * rlimits, no_new_privs, seccomp), then runs fn(job, io, err) where every
 * io operation is a request/response over frames to this process, which
 * serves it from `backing` after checking it against the dispatch table of
 * job->kind (broker_serve.c).
 * Returns the child's rp_code (and message in err) only if the child sent
 * a well-formed DONE frame and exited 0. Any sandbox or protocol failure
 * kills and reaps the child and returns RP_E_SANDBOX (killed by a signal
 * such as SIGSYS, timeout, confinement failure) or RP_E_PROTO (bad,
 * truncated, unexpected or refused frame, EOF before DONE) with a precise
 * message. Never RP_OK otherwise.
 * unpriv_user: the account the child switches to when this process runs
 * as root (NULL = "nobody"); ignored otherwise.
 * After fork the broker also hardens itself: PR_SET_NO_NEW_PRIVS and, if
 * it holds any, drops every capability (it keeps plain DAC access as the
 * invoking uid). Therefore, when started as root, call this once per
 * process (a second call could not switch the next child's uid and would
 * fail closed). */
/* Secrets the broker holds (object-store credentials) must not reach the
 * child: fork copies the whole address space. Each registered span is
 * wiped (explicit_bzero) in the child's copy first thing after fork, before
 * confinement and before any untrusted byte; the broker's copy is untouched.
 * At most PRIVSEP_MAX_SECRETS spans; -1 when full. Unregister (p) before
 * freeing the memory. */
#define PRIVSEP_MAX_SECRETS 8
int privsep_forget_in_child(void *p, size_t n);
void privsep_unforget(void *p);

rp_code privsep_run(const rp_job *job, const rp_io *backing, rp_child_main fn,
		    const char *unpriv_user, rp_err *err);

/* privsep_run in two halves, so that the fork and the child's confinement
 * overlap the caller's own start-up (configuration, store, binding roots).
 *
 * privsep_spawn forks now; the child confines itself (all steps, in order,
 * as above) and then blocks reading its JOB frame. The job is not known
 * yet and nothing untrusted exists yet. As root the broker resolves
 * unpriv_user right after the fork and sends it over the identity pipe.
 * Secrets registered with privsep_forget_in_child at this moment are wiped
 * in the child as above; secrets loaded later (object-store credentials
 * after an early spawn) never exist in the child at all.
 * Returns NULL only when out of memory. A failure to start (account,
 * pipes, fork) is not reported here but by privsep_serve, after its own
 * job checks, with the same code and message privsep_run would give.
 *
 * privsep_serve checks job, sends it, serves the child from backing and
 * reaps it: the result is exactly privsep_run's (the same codes, the same
 * messages). It consumes child (also NULL: RP_E_NOMEM). Privileges are
 * dropped (harden_parent) here, after the caller bound its roots.
 *
 * privsep_abandon kills and reaps a child that will get no job (the
 * command failed first: usage, configuration, binding) and frees it;
 * NULL is a no-op. Every spawned child must reach exactly one of
 * privsep_serve or privsep_abandon before this process exits.
 * From spawn until then SIGCHLD is at its default disposition (a SIG_IGN
 * would auto-reap the child and hide its fate); the caller's is restored
 * afterwards. */
typedef struct privsep_child privsep_child;
privsep_child *privsep_spawn(rp_child_main fn, const char *unpriv_user);
rp_code privsep_serve(privsep_child *child, const rp_job *job, const rp_io *backing, rp_err *err);
void privsep_abandon(privsep_child *child);

/* Prints the seccomp filter the child loads, in libseccomp PFC form
 * (seccomp_export_pfc). A sanitizer build prints a comment saying no
 * filter is loaded. */
int sandbox_print_policy(int fd, rp_err *err);

#endif
