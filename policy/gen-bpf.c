/*
 * gen-bpf.c - build-time tool: compiles policy/child.policy (through the
 * generated table, build/gen/policy_table.c) with libseccomp and writes
 * the BPF program as C source (build/gen/policy_bpf.c, shape in
 * sandbox/policy_bpf.h).
 *
 * Why: the child then loads a prepared program with one seccomp(2) call
 * instead of running libseccomp's compiler after every fork. The filter
 * is built by the same function (sandbox/seccomp_build.c) that
 * `rpvault sandbox --print` and the tests use to prove the prepared
 * program is still exactly libseccomp's compilation of the policy.
 * Security posture: runs on the build machine only; a failure (unknown
 * system call, library or kernel without KILL_PROCESS) fails the build.
 * The output is compiled for the build machine's architecture; sandbox_init
 * refuses to load it on any other (cross builds must run this tool on the
 * target).
 * Usage: gen-bpf > policy_bpf.c
 */
#include <stdio.h>
#include <stdlib.h>

#include "seccomp_build.h"

int main(void)
{
	rp_err err;
	rp_err_clear(&err);
	/* The build machine's kernel (a chroot, a container, an older build
	 * host) may not offer what the running one must: the program does not
	 * depend on it, sandbox_init checks SECCOMP_RET_KILL_PROCESS on the
	 * kernel that runs rpvault, and `sandbox --print` and the unit test
	 * compare this program with a compilation on that machine. */
	if (seccomp_api_get() < 3 && seccomp_api_set(3) != 0) {
		fprintf(stderr, "gen-bpf: cannot set libseccomp API level 3\n");
		return 1;
	}
	scmp_filter_ctx ctx;
	struct sock_filter *prog;
	size_t n;
	if (rp_seccomp_build(&ctx, &err) != 0 || rp_seccomp_export_bpf(ctx, &prog, &n, &err) != 0) {
		fprintf(stderr, "gen-bpf: %s\n", err.msg);
		return 1;
	}
	const struct scmp_version *v = seccomp_version();
	printf("/* generated from policy/child.policy by policy/gen-bpf.c (libseccomp %u.%u.%u) - do not edit */\n",
	       v->major, v->minor, v->micro);
	printf("#include \"policy_bpf.h\"\n\n");
	printf("const uint32_t rp_policy_bpf_arch = 0x%08xu;\n", seccomp_arch_native());
	printf("const char rp_policy_bpf_libseccomp[] = \"%u.%u.%u\";\n", v->major, v->minor, v->micro);
	printf("const size_t rp_policy_bpf_len = %zu;\n", n);
	printf("const struct sock_filter rp_policy_bpf[%zu] = {\n", n);
	for (size_t i = 0; i < n; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08xu },\n", (unsigned)prog[i].code, (unsigned)prog[i].jt,
		       (unsigned)prog[i].jf, (unsigned)prog[i].k);
	printf("};\n");
	free(prog);
	seccomp_release(ctx);
	return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
