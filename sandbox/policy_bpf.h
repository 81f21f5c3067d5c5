/*
 * policy_bpf.h - the child's seccomp program, compiled at build time by
 * libseccomp from policy/child.policy (policy/gen-bpf.c writes
 * $(BUILD)/gen/policy_bpf.c).
 *
 * Why: compiling the filter costs the child (or the broker) libseccomp's
 * whole code generator after every fork - hundreds of microseconds of
 * allocations and page faults per command on small VMs. The program does
 * not depend on anything known only at run time, so it is compiled once.
 * Security posture: constant data. sandbox_init refuses it unless it was
 * compiled for the running architecture; `rpvault sandbox --print` and a
 * unit test refuse it unless it is byte for byte what libseccomp compiles
 * from the policy table now.
 */
#ifndef RP_SANDBOX_POLICY_BPF_H
#define RP_SANDBOX_POLICY_BPF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

/* The program's instructions, as seccomp_export_bpf wrote them. */
extern const struct sock_filter rp_policy_bpf[];
extern const size_t rp_policy_bpf_len;
/* libseccomp's native architecture token (an AUDIT_ARCH_* value) when the
 * program was compiled, and the libseccomp version that compiled it. */
extern const uint32_t rp_policy_bpf_arch;
extern const char rp_policy_bpf_libseccomp[];

#endif
