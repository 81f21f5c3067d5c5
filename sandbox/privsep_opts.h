/*
 * privsep_opts.h - the knobs behind privsep_run and privsep_spawn, for
 * tests and benches.
 *
 * Why: tests need a short frame deadline, a way to learn the child's pid
 * (to read /proc/<pid>/status or kill it mid-operation) and to run many
 * children from one root process (which the broker's one-way capability
 * drop would otherwise prevent). None of these weakens the child: the
 * confinement steps and the seccomp filter are not optional.
 * Security posture: broker side. privsep_run and privsep_spawn use the
 * defaults below.
 */
#ifndef RP_SANDBOX_PRIVSEP_OPTS_H
#define RP_SANDBOX_PRIVSEP_OPTS_H

#include <sys/types.h>

#include "privsep.h"

/* Per-frame deadline of the broker, both directions. The child computes
 * between frames (parse a 16 MiB manifest, hash a 16 MiB artifact: well
 * under a second on current hardware); 60 s is generous enough for a
 * loaded machine and still bounds a hung or stalling child. */
#define RP_PRIVSEP_TIMEOUT_MS 60000
/* How long the broker waits for the child to exit after DONE+EOF (or after
 * the child closed the channel) before it kills it. */
#define RP_PRIVSEP_EXIT_WAIT_MS 2000

/* Exit statuses of a child that could not send a normal DONE. */
#define RP_CHILD_EXIT_CONFINE 70 /* confinement failed (a DONE explaining it was attempted) */
#define RP_CHILD_EXIT_PROTO 71   /* the child saw a protocol violation from the broker */

typedef struct privsep_opts {
	int timeout_ms;    /* per frame; <= 0 means RP_PRIVSEP_TIMEOUT_MS */
	int harden_parent; /* no_new_privs + drop capabilities in this process after fork */
	/* Called in the broker right after fork with the child's pid. */
	void (*on_spawn)(pid_t child, void *ctx);
	void *on_spawn_ctx;
} privsep_opts;

/* privsep_spawn with these knobs (copied: opts need not outlive the call).
 * on_spawn is called right after the fork (and the account hand-over). */
privsep_child *privsep_spawn_opts(rp_child_main fn, const char *unpriv_user, const privsep_opts *opts);

rp_code privsep_run_opts(const rp_job *job, const rp_io *backing, rp_child_main fn,
			 const char *unpriv_user, const privsep_opts *opts, rp_err *err);

#endif
