/*
 * seccomp_build.h - the one function that turns the generated policy table
 * (policy/child.policy) into a libseccomp filter, and the export of its
 * BPF program.
 *
 * Why: three users must build exactly the same filter: the build-time
 * generator of the child's prepared BPF program (policy/gen-bpf.c), the
 * drift check behind `rpvault sandbox --print`, and the unit test that
 * compares the prepared program with a fresh compilation. One builder
 * means they cannot disagree about actions, attributes or rules.
 * Security posture: runs at build time and in the broker only, never in
 * the child; reads nothing but the compiled-in policy table.
 */
#ifndef RP_SANDBOX_SECCOMP_BUILD_H
#define RP_SANDBOX_SECCOMP_BUILD_H

#include <stddef.h>

#include <linux/filter.h>
#include <seccomp.h>

#include "common/err.h"

/* Builds the child's filter: default and bad-architecture action
 * SCMP_ACT_KILL_PROCESS, no_new_privs attribute, one exact rule per
 * policy line (names resolved for the native architecture). 0 or -1. */
int rp_seccomp_build(scmp_filter_ctx *out, rp_err *err);

/* libseccomp's compilation of ctx into a BPF program (what seccomp_load
 * would hand the kernel): *prog is malloc'ed, *n instructions. 0 or -1. */
int rp_seccomp_export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *n, rp_err *err);

#endif
