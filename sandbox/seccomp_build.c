/*
 * seccomp_build.c - builds the child's libseccomp filter from the
 * generated policy table and exports its BPF program (see
 * seccomp_build.h).
 *
 * Why: the filter is compiled once, at build time (policy/gen-bpf.c), and
 * the child loads that prepared program; this file is the single builder
 * shared by that generator, `rpvault sandbox --print` and the tests that
 * prove the prepared program equals a fresh compilation.
 * Security posture: build time and broker only. Any failure (unknown
 * system call name on this architecture, a rule libseccomp would have to
 * rewrite, an old kernel/library without KILL_PROCESS) is an error, never
 * a weaker filter.
 */
#include "seccomp_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

static const char *sb_errname(int e)
{
	const char *s = strerrorname_np(e);
	return s != NULL ? s : "unknown error";
}

static int sb_fail(scmp_filter_ctx ctx, int rc, const char *what, rp_err *err)
{
	if (ctx != NULL)
		seccomp_release(ctx);
	return rp_err_set(err, RP_E_SANDBOX, "seccomp: %s: %s", what,
			  rc < 0 ? sb_errname(-rc) : "failed");
}

int rp_seccomp_build(scmp_filter_ctx *out, rp_err *err)
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
		return sb_fail(ctx, rc, "set bad-architecture action", err);
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc != 0)
		return sb_fail(ctx, rc, "set no_new_privs", err);
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
			return sb_fail(ctx, rc, what, err);
		}
	}
	*out = ctx;
	return 0;
}

int rp_seccomp_export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *n, rp_err *err)
{
	*prog = NULL;
	*n = 0;
	/* libseccomp 2.5 exports only to a descriptor; a memfd has no size
	 * limit that could block the writer (a pipe would). */
	int fd = memfd_create("rpvault-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: memfd_create: %s", sb_errname(errno));
	int rc = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (rc != 0) {
		close(fd);
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: exporting BPF: %s", sb_errname(-rc));
	}
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter))) {
		close(fd);
		return rp_err_set(err, RP_E_SANDBOX, "seccomp: exported BPF has an invalid size");
	}
	size_t bytes = (size_t)st.st_size;
	struct sock_filter *p = malloc(bytes);
	if (p == NULL) {
		close(fd);
		return rp_err_set(err, RP_E_NOMEM, "seccomp: out of memory");
	}
	size_t off = 0;
	while (off < bytes) {
		ssize_t r = pread(fd, (char *)p + off, bytes - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			close(fd);
			return rp_err_set(err, RP_E_SANDBOX, "seccomp: reading exported BPF failed");
		}
		off += (size_t)r;
	}
	close(fd);
	*prog = p;
	*n = bytes / sizeof(struct sock_filter);
	return 0;
}
