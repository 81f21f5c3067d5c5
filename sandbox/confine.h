/*
 * confine.h - confinement of the child and hardening of the broker.
 *
 * Why: the order and completeness of the confinement steps is the heart of
 * the sandbox, so they live in one file, each step a function that fails
 * closed, and the order is the one documented in
 * docs/architecture/privsep.md.
 * Security posture: broker_* functions run in the broker; child_* run in
 * the freshly forked child before it reads any byte of the frame channel.
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
	uid_t uid;       /* resolved by broker_resolve_user; in the child */
	gid_t gid;       /* received through the identity pipe (step 0b) */
	char user[64];   /* for messages */
	pid_t broker;    /* the broker's pid (parent-death check) */
} confine_plan;

/* Broker, before fork: checks the account name, records the broker's pid
 * and whether the child must switch user (the broker runs as root). It
 * does not resolve the account: see broker_resolve_user. */
int broker_confine_plan(const char *user, confine_plan *plan, rp_err *err);

/* Broker, after fork, while the child starts (only if plan->switch_user):
 * resolves the account with getpwnam_r (refusing uid or gid 0) and
 * fills plan->uid/gid. The name-service lookup costs ~0.3-0.5 ms (it
 * reads nsswitch.conf and passwd); done here it overlaps the child's
 * start instead of delaying the fork. */
int broker_resolve_user(confine_plan *plan, rp_err *err);

/* Broker: sends the resolved uid/gid to the child over the identity pipe
 * (a private pipe, not the frame channel). 0 or -1. */
int broker_send_identity(int fd, const confine_plan *plan, rp_err *err);

/* Child: every confinement step, in order: signals reset, the account
 * from the broker (idfd, when plan->switch_user), fds (rfd -> 0, wfd ->
 * 1, everything else closed, idfd included), empty environment,
 * warm-ups, user and capabilities, parent-death signal and non-dumpable,
 * rlimits, no_new_privs, seccomp. On return 0 the channel is fds 0 and
 * 1. On failure *chan_wfd is the fd a DONE may still be written to (-1 if
 * none). */
int child_confine(int rfd, int wfd, int idfd, confine_plan *plan, rp_sandbox *sb, int *chan_wfd,
		  rp_err *err);

/* Broker, after fork: PR_SET_NO_NEW_PRIVS and drop every capability. */
int broker_drop_privileges(rp_err *err);

#endif
