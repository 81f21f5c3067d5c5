/*
 * sandbox_seccomp.c - the release sandbox backend: the seccomp program
 * compiled at build time by libseccomp from policy/child.policy
 * (policy/gen-bpf.c -> build/gen/policy_bpf.c), loaded by the child.
 *
 * Why: the child parses attacker-controlled bytes; if that parser is
 * subverted, the kernel must refuse everything but computing: no open,
 * no socket, no exec, no signals to others. Default action
 * SCMP_ACT_KILL_PROCESS (the whole child dies with SIGSYS, which the
 * broker reports as a sandbox violation); calls from a foreign ABI (i386
 * int 0x80, x32) get the same action. The program is compiled once at
 * build time instead of after every fork: libseccomp's code generator
 * cost every command hundreds of microseconds of allocations and page
 * faults, for a result that is the same every time.
 * Security posture: sandbox_init (broker, before fork) refuses a program
 * compiled for another architecture and a kernel without
 * SECCOMP_RET_KILL_PROCESS; sandbox_child loads it as the child's last
 * confinement step, and a failure is fatal. `rpvault sandbox --print` and
 * test_privsep refuse the prepared program unless it is byte for byte what
 * libseccomp compiles from the policy table now (sandbox_check_prepared),
 * so the policy text, the table and the loaded program cannot drift.
 * Compiled only when RP_SANITIZER_BUILD is not defined; there is no way to
 * skip it at run time.
 */
#ifndef RP_SANITIZER_BUILD

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "frame.h"
#include "policy_bpf.h"
#include "privsep.h"
#include "sandbox.h"
#include "seccomp_build.h"

/* The architecture this binary runs as, known at compile time for the
 * tested ones, so the run path calls nothing in libseccomp. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define RP_NATIVE_ARCH ((uint32_t)AUDIT_ARCH_X86_64)
#elif defined(__aarch64__) && !defined(__ILP32__)
#define RP_NATIVE_ARCH ((uint32_t)AUDIT_ARCH_AARCH64)
#else
#define RP_NATIVE_ARCH seccomp_arch_native()
#endif

struct rp_sandbox {
	struct sock_fprog prog; /* points at insns: the kernel wants a mutable pointer */
	struct sock_filter insns[];
};

rp_sandbox *sandbox_init(rp_err *err)
{
	if (rp_policy_bpf_len == 0 || rp_policy_bpf_len > BPF_MAXINSNS) {
		rp_err_set(err, RP_E_SANDBOX, "seccomp: the built-in program has %zu instructions",
			   rp_policy_bpf_len);
		return NULL;
	}
	/* The program checks the architecture itself (anything else is
	 * killed), but one compiled elsewhere would kill every call here:
	 * say why instead. */
	if (rp_policy_bpf_arch != RP_NATIVE_ARCH) {
		rp_err_set(err, RP_E_SANDBOX,
			   "seccomp: the built-in program was compiled for architecture %#x, "
			   "this is %#x; rebuild rpvault on this architecture",
			   (unsigned)rp_policy_bpf_arch, (unsigned)RP_NATIVE_ARCH);
		return NULL;
	}
	/* KILL_PROCESS needs kernel >= 4.14; an older kernel would treat the
	 * unknown action as kill-thread (or refuse the query), so refuse
	 * rather than run weaker. One system call, no libseccomp probing. */
	uint32_t action = SECCOMP_RET_KILL_PROCESS;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
		rp_err_set(err, RP_E_SANDBOX,
			   "seccomp: kernel lacks SECCOMP_RET_KILL_PROCESS (SECCOMP_GET_ACTION_AVAIL: %s)",
			   rp_errno_name(errno));
		return NULL;
	}
	rp_sandbox *sb = calloc(1, sizeof *sb + rp_policy_bpf_len * sizeof rp_policy_bpf[0]);
	if (sb == NULL) {
		rp_err_set(err, RP_E_NOMEM, "seccomp: out of memory");
		return NULL;
	}
	memcpy(sb->insns, rp_policy_bpf, rp_policy_bpf_len * sizeof rp_policy_bpf[0]);
	sb->prog.len = (unsigned short)rp_policy_bpf_len;
	sb->prog.filter = sb->insns;
	return sb;
}

int sandbox_child(rp_sandbox *sb, rp_err *err)
{
	if (sb == NULL || sb->prog.len == 0)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: no filter prepared");
	/* What seccomp_load does for this filter (flags 0: no TSYNC, no
	 * logging), minus its compiler. no_new_privs was set and verified by
	 * the previous confinement step; without it the kernel refuses
	 * (EACCES), which is fatal like every other failure here. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->prog) != 0)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: loading the filter failed: %s",
				  rp_errno_name(errno));
	/* sb stays allocated: freeing it would cost system calls the filter
	 * may not allow, and the child exits soon anyway. */
	return 0;
}

void sandbox_free(rp_sandbox *sb)
{
	free(sb);
}

const char *sandbox_backend_name(void)
{
	return "seccomp";
}

int sandbox_check_prepared(rp_err *err)
{
	scmp_filter_ctx ctx;
	if (rp_seccomp_build(&ctx, err) != 0)
		return -1;
	struct sock_filter *prog;
	size_t n;
	int rc = rp_seccomp_export_bpf(ctx, &prog, &n, err);
	seccomp_release(ctx);
	if (rc != 0)
		return -1;
	int same = n == rp_policy_bpf_len && rp_policy_bpf_arch == seccomp_arch_native() &&
		   memcmp(prog, rp_policy_bpf, n * sizeof prog[0]) == 0;
	free(prog);
	if (!same) {
		const struct scmp_version *v = seccomp_version();
		return rp_err_set(err, RP_E_SANDBOX,
				  "seccomp: the built-in program (%zu instructions, compiled by "
				  "libseccomp %s) differs from libseccomp %u.%u.%u's compilation of "
				  "policy/child.policy here (%zu instructions); rebuild rpvault",
				  rp_policy_bpf_len, rp_policy_bpf_libseccomp, v->major, v->minor,
				  v->micro, n);
	}
	return 0;
}

int sandbox_print_policy(int fd, rp_err *err)
{
	/* PFC can only be printed from a libseccomp context, not from BPF.
	 * It describes the loaded program only because the program is
	 * proven identical to this context's compilation first. */
	if (sandbox_check_prepared(err) != 0)
		return -1;
	scmp_filter_ctx ctx;
	if (rp_seccomp_build(&ctx, err) != 0)
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
