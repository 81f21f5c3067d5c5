/*
 * sandbox.h - the system-call sandbox backend interface.
 *
 * Why: like OpenSSH's sandbox-*.c, one file per backend behind a tiny
 * interface, chosen at compile time: sandbox_seccomp.c in every release
 * build, sandbox_none.c only when RP_SANITIZER_BUILD is defined
 * (sanitizers need system calls the policy forbids). There is no runtime
 * switch: a release binary cannot be told to run unconfined.
 * Security posture: sandbox_init runs in the broker before fork (so a
 * broken policy fails before a child exists); sandbox_child is the last
 * confinement step in the child, before any untrusted byte is read.
 */
#ifndef RP_SANDBOX_SANDBOX_H
#define RP_SANDBOX_SANDBOX_H

#include "common/err.h"

typedef struct rp_sandbox rp_sandbox;

/* Broker, before fork: prepares the program compiled at build time from
 * the policy table (checks architecture and kernel support). */
rp_sandbox *sandbox_init(rp_err *err);
/* Child, last confinement step: loads the filter. Fatal on failure. */
int sandbox_child(rp_sandbox *sb, rp_err *err);
/* Broker, after fork: releases the broker's copy. */
void sandbox_free(rp_sandbox *sb);
/* "seccomp" or "none". */
const char *sandbox_backend_name(void);
/* Broker/tests: 0 if the prepared (build-time) program is byte for byte
 * libseccomp's compilation of the policy table on this system, else -1
 * with the reason. The none backend has no program and returns 0. */
int sandbox_check_prepared(rp_err *err);

#endif
