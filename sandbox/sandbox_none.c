/*
 * sandbox_none.c - the no-op sandbox backend of sanitizer builds.
 *
 * Why: ASan/UBSan need system calls the child's policy forbids (reading
 * /proc/self/maps, writing reports to stderr, reserving terabytes of
 * shadow memory), so `make SANITIZE=...` builds (RP_SANITIZER_BUILD=1)
 * compile this file instead of sandbox_seccomp.c. Everything else about
 * the process model (fork, frames, uid drop, no_new_privs) is unchanged,
 * so sanitizer runs still exercise the broker/child protocol.
 * Security posture: NOT a security boundary. It exists only at compile
 * time in sanitizer builds; release builds never contain it.
 */
#ifdef RP_SANITIZER_BUILD

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "privsep.h"
#include "sandbox.h"

struct rp_sandbox {
	int unused;
};

static rp_sandbox none_sandbox;

rp_sandbox *sandbox_init(rp_err *err)
{
	(void)err;
	return &none_sandbox;
}

int sandbox_child(rp_sandbox *sb, rp_err *err)
{
	(void)sb;
	(void)err;
	return 0;
}

void sandbox_free(rp_sandbox *sb)
{
	(void)sb;
}

const char *sandbox_backend_name(void)
{
	return "none";
}

int sandbox_check_prepared(rp_err *err)
{
	(void)err;
	return 0;
}

int sandbox_print_policy(int fd, rp_err *err)
{
	static const char msg[] = "# sandbox backend: none (sanitizer build, RP_SANITIZER_BUILD):\n"
				  "# no seccomp filter is loaded in this build\n";
	size_t off = 0;
	while (off < sizeof msg - 1) {
		ssize_t w = write(fd, msg + off, sizeof msg - 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rp_err_set(err, RP_E_IO, "sandbox --print: write failed");
		off += (size_t)w;
	}
	return 0;
}

#else
typedef int rp_sandbox_none_not_built; /* release build: see sandbox_seccomp.c */
#endif
