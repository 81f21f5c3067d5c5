/*
 * confine.h - confinement of the child and hardening of the broker.
 *
 * Why: the order and completeness of the confinement steps is the heart of
 * the sandbox, so they live in one file, each step a function that fails
 * closed, and the order is the one documented in
 * docs/architecture/privsep.md.
 * Security posture: broker_* functions run in the broker; child_* run in
 * the freshly forked child before it reads any byte from the pipe.
 */
#ifndef RP_SANDBOX_CONFINE_H
#define RP_SANDBOX_CONFINE_H

#include <sys/types.h>

#include "common/err.h"
#include "sandbox.h"

/* RLIMIT_AS of the child: one 16 MiB artifact (and its copy in a frame
 * buffer), the 96 MiB JSON arena, canonical output buffers, plus the
 * address space inherited from the broker (binary, libraries, heap). */
#define RP_CHILD_AS_BYTES ((unsigned long long)512 * 1024 * 1024)

typedef struct confine_plan {
	int switch_user; /* the broker runs as root: become uid/gid */
	uid_t uid;
	gid_t gid;
	char user[64];   /* for messages */
	pid_t broker;    /* the broker's pid (parent-death check) */
} confine_plan;

/* Broker, before fork: resolves the unprivileged account (root only). */
int broker_confine_plan(const char *user, confine_plan *plan, rp_err *err);

/* Child: every confinement step, in order: signals reset, fds (rfd -> 0,
 * wfd -> 1, everything else closed), empty environment, warm-ups, user
 * and capabilities, parent-death signal and non-dumpable, rlimits,
 * no_new_privs, seccomp. On return 0 the channel is fds 0 and 1. On
 * failure *chan_wfd is the fd a DONE may still be written to (-1 if
 * none). */
int child_confine(int rfd, int wfd, const confine_plan *plan, rp_sandbox *sb, int *chan_wfd,
		  rp_err *err);

/* Broker, after fork: PR_SET_NO_NEW_PRIVS and drop every capability. */
int broker_drop_privileges(rp_err *err);

#endif
