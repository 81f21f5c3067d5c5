/*
 * confine.c - the child's confinement steps and the broker's own
 * hardening (see confine.h and docs/architecture/privsep.md).
 *
 * Security posture: child_* functions run in the forked child, in order,
 * before it reads a single byte of the frame channel (the only bytes it
 * reads before are the account's uid/gid, sent by the broker over a
 * private pipe as root); each step fails closed
 * and several are verified after they are applied (ids, capabilities,
 * no_new_privs) instead of trusting a library's return value. broker_*
 * functions run in the broker. Nothing here reads untrusted data.
 */
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>

#include "frame.h"

extern char **environ;

#define CONFINE_FAIL(err, ...) rp_err_set((err), RP_E_SANDBOX, __VA_ARGS__)

int broker_confine_plan(const char *user, confine_plan *plan, rp_err *err)
{
	memset(plan, 0, sizeof *plan);
	plan->broker = getpid();
	if (user == NULL)
		user = "nobody";
	size_t n = strlen(user);
	if (n == 0 || n >= sizeof plan->user)
		return CONFINE_FAIL(err, "unprivileged user name '%.32s' is empty or too long", user);
	memcpy(plan->user, user, n + 1);
	/* Without root the child cannot change identity; it still drops every
	 * capability it might have and is confined by everything else. */
	plan->switch_user = geteuid() == 0;
	return 0;
}

int broker_resolve_user(confine_plan *plan, rp_err *err)
{
	const char *user = plan->user;
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
	if (rc != 0)
		return CONFINE_FAIL(err, "cannot look up unprivileged user '%s': %s", plan->user,
				    rp_errno_name(rc));
	if (res == NULL)
		return CONFINE_FAIL(err, "unprivileged user '%s' does not exist", plan->user);
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return CONFINE_FAIL(err, "unprivileged user '%s' has uid or gid 0; refusing", plan->user);
	plan->uid = pw.pw_uid;
	plan->gid = pw.pw_gid;
	return 0;
}

int broker_send_identity(int fd, const confine_plan *plan, rp_err *err)
{
	uint32_t id[2] = { (uint32_t)plan->uid, (uint32_t)plan->gid };
	size_t off = 0;
	while (off < sizeof id) {
		ssize_t w = write(fd, (const uint8_t *)id + off, sizeof id - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CONFINE_FAIL(err, "sending the account to the child: %s",
					    w < 0 ? rp_errno_name(errno) : "short write");
		off += (size_t)w;
	}
	return 0;
}

/* --- capability inspection, straight from the kernel ------------------- */

typedef struct cap_state {
	uint64_t eff, prm, inh;
} cap_state;

static int caps_read(cap_state *cs)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	cs->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	cs->prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	cs->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

/* 1 if the bounding set (which = PR_CAPBSET_READ) or ambient set (which =
 * PR_CAP_AMBIENT) holds no capability, 0 if it holds one, -1 on error. */
static int capset_empty(int which)
{
	for (unsigned long c = 0; c < 64; c++) {
		int r = which == PR_CAPBSET_READ ? prctl(PR_CAPBSET_READ, c, 0, 0, 0)
						 : prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r < 0)
			return errno == EINVAL ? 1 : -1; /* past the last capability */
		if (r == 1)
			return 0;
	}
	return 1;
}

static int caps_verify_none(int check_bounding, const char *who, rp_err *err)
{
	cap_state cs;
	if (caps_read(&cs) != 0)
		return CONFINE_FAIL(err, "%s: capget: %s", who, rp_errno_name(errno));
	if (cs.eff != 0 || cs.prm != 0 || cs.inh != 0)
		return CONFINE_FAIL(err,
				    "%s: capabilities remain after dropping (eff %#llx prm %#llx inh %#llx)",
				    who, (unsigned long long)cs.eff, (unsigned long long)cs.prm,
				    (unsigned long long)cs.inh);
	/* No PR_CAP_AMBIENT_IS_SET walk (41 system calls): the kernel keeps
	 * every ambient capability both permitted and inheritable
	 * (capabilities(7)), so with both sets empty - just verified - the
	 * ambient set is empty too. It was also cleared explicitly. */
	if (check_bounding && capset_empty(PR_CAPBSET_READ) != 1)
		return CONFINE_FAIL(err, "%s: capability bounding set is not empty", who);
	return 0;
}

static int ambient_clear(const char *who, rp_err *err)
{
	/* EINVAL: a kernel without ambient capabilities has none to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return CONFINE_FAIL(err, "%s: clearing ambient capabilities: %s", who,
				    rp_errno_name(errno));
	return 0;
}

/* --- child steps ------------------------------------------------------- */

/* Step 0. Handlers inherited from the broker would run broker code in the
 * child (and die under seccomp); a blocked mask could hide SIGKILL-free
 * signals the broker relies on. */
static int child_signals(rp_err *err)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		/* glibc-internal real-time signals refuse changes: harmless. */
		(void)sigaction(s, &sa, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		return CONFINE_FAIL(err, "confine: sigprocmask: %s", rp_errno_name(errno));
	return 0;
}

/* Step 0b (root only). The broker resolves the account while this child
 * starts and sends its uid and gid (8 bytes) over a private pipe - not
 * the frame channel; nothing untrusted has been read yet, and the pipe is
 * closed in step 1 with every other stray descriptor. EOF means the
 * broker could not resolve it (it reports why and kills this child). */
static int child_receive_identity(int idfd, confine_plan *plan, rp_err *err)
{
	uint32_t id[2];
	size_t off = 0;
	while (off < sizeof id) {
		ssize_t r = read(idfd, (uint8_t *)id + off, sizeof id - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return CONFINE_FAIL(err, "confine: reading the account from the broker: %s",
					    rp_errno_name(errno));
		if (r == 0)
			return CONFINE_FAIL(err, "confine: the broker sent no account to switch to");
		off += (size_t)r;
	}
	/* The broker refuses uid/gid 0 already; so does the child. */
	if (id[0] == 0 || id[1] == 0)
		return CONFINE_FAIL(err, "confine: refusing to switch to uid %u gid %u",
				    (unsigned)id[0], (unsigned)id[1]);
	plan->uid = (uid_t)id[0];
	plan->gid = (gid_t)id[1];
	return 0;
}

static int close_from(unsigned int first, rp_err *err)
{
	if (close_range(first, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return CONFINE_FAIL(err, "confine: close_range: %s", rp_errno_name(errno));
	/* Kernels before 5.9: close every possible descriptor; refuse if the
	 * limit is too large to walk, rather than leave one open. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max > (1u << 20))
		return CONFINE_FAIL(err, "confine: cannot bound the descriptors to close");
	for (rlim_t fd = first; fd < rl.rlim_max; fd++)
		(void)close((int)fd);
	return 0;
}

/* Step 1. The channel becomes fds 0 (from the broker) and 1 (to the
 * broker) so the seccomp rules can name them as constants; every other
 * descriptor the broker had (directory fds of the roots, the store,
 * stdio, the broker's ends of the pipes) is closed. */
static int child_fds(int rfd, int wfd, int *chan_wfd, rp_err *err)
{
	int r = fcntl(rfd, F_DUPFD, 3);
	int w = fcntl(wfd, F_DUPFD, 3);
	if (r < 0 || w < 0)
		return CONFINE_FAIL(err, "confine: F_DUPFD: %s", rp_errno_name(errno));
	*chan_wfd = w;
	if (dup2(r, 0) != 0 || dup2(w, 1) != 1)
		return CONFINE_FAIL(err, "confine: dup2: %s", rp_errno_name(errno));
	*chan_wfd = 1;
#ifdef RP_SANITIZER_BUILD
	/* Sanitizer builds keep stderr for their reports (no seccomp here). */
	unsigned int first = 3;
#else
	unsigned int first = 2;
#endif
	if (close_from(first, err) != 0)
		return -1;
	static const int want[2] = { O_RDONLY, O_WRONLY };
	for (int fd = 0; fd < 2; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) != want[fd])
			return CONFINE_FAIL(err, "confine: fd %d is not the expected pipe end", fd);
		/* The child has no poll: its ends must block. */
		if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
			return CONFINE_FAIL(err, "confine: F_SETFL: %s", rp_errno_name(errno));
	}
	return 0;
}

/* Step 2. Nothing from the invoking environment (LD_*, MALLOC_*, TZ,
 * locale variables) may steer the child. */
static int child_env(rp_err *err)
{
	if (clearenv() != 0 || (environ != NULL && environ[0] != NULL))
		return CONFINE_FAIL(err, "confine: clearenv failed");
	return 0;
}

static int warm_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Step 2b. glibc caches some facts on first use by system call; trigger
 * them while system calls are still allowed: qsort() of more than 1 KiB
 * asks sysconf(_SC_PHYS_PAGES), i.e. sysinfo(2), once (glibc <= 2.36
 * merge sort; the JSON code sorts object keys). Local-time functions are
 * deliberately not warmed up: the child must not use them (tzset would
 * open /etc/localtime, which the policy forbids). */
static void child_warm_up(void)
{
	int v[512];
	for (int i = 0; i < 512; i++)
		v[i] = 512 - i;
	qsort(v, 512, sizeof v[0], warm_cmp);
}

/* Step 3. Identity: as root, become the unprivileged account with no
 * supplementary groups and empty capability sets (including bounding and
 * ambient); otherwise just drop whatever capabilities we hold. Verified
 * afterwards from the kernel's view. */
static int child_identity(const confine_plan *plan, rp_err *err)
{
	if (plan->switch_user) {
		/* The bounding set is emptied first, while CAP_SETPCAP is still
		 * held, with direct PR_CAPBSET_DROP calls instead of
		 * capng_change_id's CAPNG_CLEAR_BOUNDING: that flag makes
		 * libcap-ng re-read /proc/self/status through stdio three times
		 * (~0.3 ms per command on the development VM). The result is
		 * verified from the kernel below, like everything else. */
		for (unsigned long c = 0; c < 64; c++) {
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
				continue;
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			return CONFINE_FAIL(err, "confine: PR_CAPBSET_DROP(%lu): %s", c,
					    rp_errno_name(errno));
		}
		capng_clear(CAPNG_SELECT_ALL);
		int rc = capng_change_id((int)plan->uid, (int)plan->gid,
					 CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT);
		if (rc != 0)
			return CONFINE_FAIL(err,
					    "confine: switching to user '%s' (uid %u gid %u): "
					    "capng_change_id failed (%d)",
					    plan->user, (unsigned)plan->uid, (unsigned)plan->gid, rc);
		uid_t ru, eu, su;
		gid_t rg, eg, sg;
		if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
		    ru != plan->uid || eu != plan->uid || su != plan->uid || rg != plan->gid ||
		    eg != plan->gid || sg != plan->gid)
			return CONFINE_FAIL(err, "confine: uid/gid are not those of '%s' after the switch",
					    plan->user);
		if (getgroups(0, NULL) != 0)
			return CONFINE_FAIL(err, "confine: supplementary groups remain");
		/* The switch must be irreversible. */
		if (setuid(0) == 0 || setgid(0) == 0)
			return CONFINE_FAIL(err, "confine: could regain root after the switch");
	} else {
		cap_state cs;
		if (caps_read(&cs) != 0)
			return CONFINE_FAIL(err, "confine: capget: %s", rp_errno_name(errno));
		if (cs.eff | cs.prm | cs.inh) {
			capng_clear(CAPNG_SELECT_CAPS);
			if (capng_apply(CAPNG_SELECT_CAPS) != 0)
				return CONFINE_FAIL(err, "confine: dropping capabilities failed");
		}
	}
	if (ambient_clear("confine", err) != 0)
		return -1;
	return caps_verify_none(plan->switch_user, "confine", err);
}

/* Step 3b. After the identity change (which resets both): die with the
 * broker, and stay non-dumpable (no core of untrusted memory, no ptrace by
 * other processes of the unprivileged account). */
static int child_lifetime(const confine_plan *plan, rp_err *err)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		return CONFINE_FAIL(err, "confine: PR_SET_PDEATHSIG: %s", rp_errno_name(errno));
	if (getppid() != plan->broker)
		return CONFINE_FAIL(err, "confine: the broker exited during start-up");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CONFINE_FAIL(err, "confine: PR_SET_DUMPABLE: %s", rp_errno_name(errno));
	return 0;
}

static int child_rlimit(int res, const char *name, rlim_t v, rp_err *err)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };
	if (setrlimit(res, &rl) != 0)
		return CONFINE_FAIL(err, "confine: setrlimit(%s, %llu): %s", name,
				    (unsigned long long)v, rp_errno_name(errno));
	return 0;
}

/* Step 4. Resource limits, soft = hard so they cannot be raised again:
 * no new descriptors, no file growth, no processes, no core dumps, and a
 * bounded address space (RP_CHILD_AS_BYTES). */
static int child_rlimits(rp_err *err)
{
	if (child_rlimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0, err) != 0 ||
	    child_rlimit(RLIMIT_NPROC, "RLIMIT_NPROC", 0, err) != 0 ||
	    child_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0, err) != 0)
		return -1;
#ifndef RP_SANITIZER_BUILD
	/* Sanitizer builds skip these two: ASan reserves terabytes of shadow
	 * address space and opens files to symbolize its reports. */
	if (child_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", 0, err) != 0 ||
	    child_rlimit(RLIMIT_AS, "RLIMIT_AS", (rlim_t)RP_CHILD_AS_BYTES, err) != 0)
		return -1;
#endif
	return 0;
}

/* Step 5. No execve can ever grant privilege again (also required for an
 * unprivileged process to load a seccomp filter). */
static int child_no_new_privs(rp_err *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return CONFINE_FAIL(err, "confine: PR_SET_NO_NEW_PRIVS: %s", rp_errno_name(errno));
	return 0;
}

int child_confine(int rfd, int wfd, int idfd, confine_plan *plan, rp_sandbox *sb, int *chan_wfd,
		  rp_err *err)
{
	*chan_wfd = wfd;
	if (child_signals(err) != 0)
		return -1;
	if (plan->switch_user && child_receive_identity(idfd, plan, err) != 0)
		return -1;
	if (child_fds(rfd, wfd, chan_wfd, err) != 0 || child_env(err) != 0)
		return -1;
	child_warm_up();
	if (child_identity(plan, err) != 0 || child_lifetime(plan, err) != 0 ||
	    child_rlimits(err) != 0 || child_no_new_privs(err) != 0)
		return -1;
	/* Step 6, last: from here on only policy/child.policy is allowed. */
	return sandbox_child(sb, err);
}

/* --- broker ------------------------------------------------------------ */

/* Writes the effective/permitted/inheritable sets of this process. */
static int caps_write(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

/* The broker opens only the paths it was given. Started by root (e.g. an
 * administrator exporting into the rpvault-owned store) it keeps exactly
 * the file-access capabilities an administrator expects of root -
 * override of permission bits, and acting on files it does not own - and
 * nothing else: no setuid, no network administration, no module loading,
 * no ptrace.
 * Direct system calls rather than libcap-ng: capng_apply re-reads
 * /proc/self/status through stdio twice, which cost every command
 * ~0.4 ms on the development VM; the result is verified from the kernel
 * (capget) either way. */
int broker_drop_privileges(rp_err *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return CONFINE_FAIL(err, "broker: PR_SET_NO_NEW_PRIVS: %s", rp_errno_name(errno));
	const uint64_t allowed = (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_FOWNER);
	cap_state cs;
	if (caps_read(&cs) != 0)
		return CONFINE_FAIL(err, "broker: capget: %s", rp_errno_name(errno));
	if (cs.eff | cs.prm | cs.inh) {
		/* Bounding set first (dropping needs CAP_SETPCAP, which the capset
		 * below removes). EINVAL: past the kernel's last capability. EPERM:
		 * without CAP_SETPCAP the bounding set cannot change - and with
		 * no_new_privs nothing can be regained from it anyway. */
		for (unsigned long c = 0; c < 64; c++) {
			if (allowed & (1ull << c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
				if (errno == EINVAL)
					break;
				if (errno != EPERM)
					return CONFINE_FAIL(err, "broker: PR_CAPBSET_DROP(%lu): %s", c,
							    rp_errno_name(errno));
			}
		}
		uint64_t keep = cs.prm & allowed;
		if (caps_write(keep, keep, 0) != 0)
			return CONFINE_FAIL(err, "broker: dropping capabilities failed: %s",
					    rp_errno_name(errno));
	}
	/* Without capabilities none can ever be regained (no_new_privs), so
	 * the bounding set of an unprivileged broker is left as it is. */
	if (ambient_clear("broker", err) != 0)
		return -1;
	if (caps_read(&cs) != 0)
		return CONFINE_FAIL(err, "broker: capget: %s", rp_errno_name(errno));
	if ((cs.eff & ~allowed) != 0 || (cs.prm & ~allowed) != 0 || cs.inh != 0)
		return CONFINE_FAIL(err, "broker: capabilities beyond file access remain (eff %#llx prm %#llx inh %#llx)",
				    (unsigned long long)cs.eff, (unsigned long long)cs.prm, (unsigned long long)cs.inh);
	return 0;
}
