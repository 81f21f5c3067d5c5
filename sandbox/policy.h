/*
 * policy.h - the shape of the seccomp allowlist generated from
 * policy/child.policy by policy/gen-policy.awk (build/gen/policy_table.c).
 *
 * Why: the reviewed text is the single source; the C table is derived at
 * build time so review and code cannot drift, and a test diffs the loaded
 * filter (PFC) against the text.
 * Security posture: constant data compiled into the binary; read by the
 * broker (sandbox_init, sandbox --print) only.
 */
#ifndef RP_SANDBOX_POLICY_H
#define RP_SANDBOX_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

#define RP_POLICY_MAX_ARGS 6

typedef struct rp_policy_arg {
	unsigned int arg;      /* argument index 0..5 */
	enum scmp_compare op;  /* SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ */
	uint64_t a;            /* EQ: value; MASKED_EQ: mask */
	uint64_t b;            /* MASKED_EQ: value */
} rp_policy_arg;

typedef struct rp_policy_rule {
	const char *name;      /* system call name, resolved per architecture */
	unsigned int nargs;
	rp_policy_arg args[RP_POLICY_MAX_ARGS];
	const char *rule;      /* the rule as written in the policy */
	const char *reason;    /* why the child needs it */
} rp_policy_rule;

extern const rp_policy_rule rp_policy_rules[];
extern const size_t rp_policy_nrules;

#endif
