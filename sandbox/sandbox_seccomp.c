/*
 * sandbox_seccomp.c - the release sandbox backend: a libseccomp filter
 * built from the generated policy table (policy/child.policy).
 *
 * Why: the child parses attacker-controlled bytes; if that parser is
 * subverted, the kernel must refuse everything but computing: no open,
 * no socket, no exec, no signals to others. Default action
 * SCMP_ACT_KILL_PROCESS (the whole child dies with SIGSYS, which the
 * broker reports as a sandbox violation); calls from a foreign ABI (i386
 * int 0x80, x32) get the same action.
 * Security posture: built in the broker before fork, loaded by the child
 * as its last confinement step. Compiled only when RP_SANITIZER_BUILD is
 * not defined; there is no way to skip it at run time.
 */
#ifndef RP_SANITIZER_BUILD

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "frame.h"
#include "policy.h"
#include "privsep.h"
#include "sandbox.h"

struct rp_sandbox {
	scmp_filter_ctx ctx;
};

static int seccomp_fail(scmp_filter_ctx ctx, int rc, const char *what, rp_err *err)
{
	if (ctx != NULL)
		seccomp_release(ctx);
	return rp_err_set(err, RP_E_SANDBOX, "seccomp: %s: %s", what,
			  rc < 0 ? rp_errno_name(-rc) : "failed");
}

/* The one place the filter is built: sandbox_init (what the child loads)
 * and sandbox_print_policy (what `sandbox --print` shows) both call it. */
static int seccomp_build(scmp_filter_ctx *out, rp_err *err)
{
	*out = NULL;
	/* KILL_PROCESS needs kernel >= 4.14 (API level 3); older kernels would
	 * only kill the thread, so refuse rather than run weaker. */
	if (seccomp_api_get() < 3)
		return rp_err_set(err, RP_E_SANDBOX,
				  "seccomp: kernel or libseccomp lacks SECCOMP_RET_KILL_PROCESS "
				  "(API level %u < 3)", seccomp_api_get());
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: seccomp_init failed");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc != 0)
		return seccomp_fail(ctx, rc, "set bad-architecture action", err);
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc != 0)
		return seccomp_fail(ctx, rc, "set no_new_privs", err);
	for (size_t i = 0; i < rp_policy_nrules; i++) {
		const rp_policy_rule *r = &rp_policy_rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR) {
			seccomp_release(ctx);
			return rp_err_set(err, RP_E_SANDBOX,
					  "seccomp: policy names system call '%s', unknown on this "
					  "architecture",
					  r->name);
		}
		struct scmp_arg_cmp cmp[RP_POLICY_MAX_ARGS];
		for (unsigned int k = 0; k < r->nargs && k < RP_POLICY_MAX_ARGS; k++) {
			cmp[k].arg = r->args[k].arg;
			cmp[k].op = r->args[k].op;
			cmp[k].datum_a = r->args[k].a;
			cmp[k].datum_b = r->args[k].b;
		}
		/* _exact: refuse a rule libseccomp would have to rewrite
		 * (multiplexed calls), so the filter is what the policy says. */
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, r->nargs, cmp);
		if (rc != 0) {
			char what[96];
			(void)snprintf(what, sizeof what, "add rule for %s (%s)", r->name, r->rule);
			return seccomp_fail(ctx, rc, what, err);
		}
	}
	*out = ctx;
	return 0;
}

rp_sandbox *sandbox_init(rp_err *err)
{
	rp_sandbox *sb = calloc(1, sizeof *sb);
	if (sb == NULL) {
		rp_err_set(err, RP_E_NOMEM, "seccomp: out of memory");
		return NULL;
	}
	if (seccomp_build(&sb->ctx, err) != 0) {
		free(sb);
		return NULL;
	}
	return sb;
}

int sandbox_child(rp_sandbox *sb, rp_err *err)
{
	if (sb == NULL || sb->ctx == NULL)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: no filter prepared");
	int rc = seccomp_load(sb->ctx);
	if (rc != 0)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: loading the filter failed: %s",
				  rp_errno_name(-rc));
	/* The context stays allocated: freeing would cost system calls the
	 * filter may not allow, and the child exits soon anyway. */
	return 0;
}

void sandbox_free(rp_sandbox *sb)
{
	if (sb == NULL)
		return;
	if (sb->ctx != NULL)
		seccomp_release(sb->ctx);
	free(sb);
}

const char *sandbox_backend_name(void)
{
	return "seccomp";
}

int sandbox_print_policy(int fd, rp_err *err)
{
	scmp_filter_ctx ctx;
	if (seccomp_build(&ctx, err) != 0)
		return -1;
	int rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (rc != 0)
		return rp_err_set(err, RP_E_IO, "seccomp: exporting the filter failed: %s",
				  rp_errno_name(-rc));
	return 0;
}

#else
typedef int rp_sandbox_seccomp_not_built; /* RP_SANITIZER_BUILD: see sandbox_none.c */
#endif
