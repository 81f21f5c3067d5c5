/*
 * privsep.c - fork the confined child, serve it, reap it, and turn what
 * happened into exactly one rp_code (see privsep.h).
 *
 * Why: the verdict of a job must come from a child that both finished the
 * protocol (DONE, then EOF) and exited 0. Everything else - a signal
 * (SIGSYS from seccomp, an external SIGKILL), a timeout, a refused or
 * malformed frame, an early exit - ends in RP_E_SANDBOX or RP_E_PROTO,
 * never RP_OK.
 * The child is started (privsep_spawn) before the job is known and waits,
 * confined, for its JOB frame; privsep_serve hands it the job later, so the
 * fork and the confinement overlap the caller's own start-up work.
 * Security posture: privsep_spawn*, privsep_serve, privsep_abandon,
 * privsep_run_opts and privsep_finish run in the broker; child_run runs in
 * the child and never returns (it _exit()s, so no atexit handler or stdio
 * flush of the broker's state runs in the child).
 */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker_serve.h"
#include "child_io.h"
#include "confine.h"
#include "frame.h"
#include "privsep_opts.h"
#include "proto.h"
#include "sandbox.h"

/* Pipe capacity asked for (best effort): fewer context switches per
 * artifact; 1 MiB is the default unprivileged maximum. */
#define PRIVSEP_PIPE_BYTES (1024 * 1024)

extern char **environ;

/* --- child ------------------------------------------------------------- */

/* Reports a confinement failure before the channel exists: one DONE frame
 * (sequence 1, state START -> DONE in the table) written by hand. */
static void child_abort_done(int fd, const rp_err *err)
{
	if (fd < 0)
		return;
	uint8_t frame[RP_FRAME_HDR_LEN + RP_PL_CODE + RP_ERR_MSG_MAX];
	size_t n = strnlen(err->msg, RP_ERR_MSG_MAX - 1);
	rp_frame_hdr h = { .type = RP_MSG_DONE, .len = (uint32_t)(RP_PL_CODE + n), .seq = 1 };
	rp_frame_hdr_encode(&h, frame);
	rp_put_u32(frame + RP_FRAME_HDR_LEN, (uint32_t)RP_E_SANDBOX);
	memcpy(frame + RP_FRAME_HDR_LEN + RP_PL_CODE, err->msg, n);
	size_t total = RP_FRAME_HDR_LEN + RP_PL_CODE + n, off = 0;
	while (off < total) {
		ssize_t w = write(fd, frame + off, total - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static struct {
	void *p;
	size_t n;
} privsep_secrets[PRIVSEP_MAX_SECRETS];

int privsep_forget_in_child(void *p, size_t n)
{
	for (size_t i = 0; i < PRIVSEP_MAX_SECRETS; i++)
		if (privsep_secrets[i].p == NULL) {
			privsep_secrets[i].p = p;
			privsep_secrets[i].n = n;
			return 0;
		}
	return -1;
}

void privsep_unforget(void *p)
{
	for (size_t i = 0; i < PRIVSEP_MAX_SECRETS; i++)
		if (privsep_secrets[i].p == p)
			privsep_secrets[i].p = NULL;
}

__attribute__((noreturn)) static void child_run(int rfd, int wfd, int idfd, confine_plan *plan,
				       rp_sandbox *sb, rp_child_main fn)
{
	rp_err err;
	rp_err_clear(&err);
	for (size_t i = 0; i < PRIVSEP_MAX_SECRETS; i++)
		if (privsep_secrets[i].p != NULL)
			explicit_bzero(privsep_secrets[i].p, privsep_secrets[i].n);
	/* The environment can hold secrets too: an early-spawned child is
	 * forked before the broker reads AWS_SECRET_ACCESS_KEY and scrubs it
	 * (rp_s3_scrub_env), and clearenv() in step 2 only drops the pointers.
	 * Wipe this copy's strings in place (none is read-only: nothing here
	 * putenv()s a literal); nothing below reads the environment. */
	if (environ != NULL)
		for (char **e = environ; *e != NULL; e++)
			explicit_bzero(*e, strlen(*e));
	int chan_wfd = -1;
	if (child_confine(rfd, wfd, idfd, plan, sb, &chan_wfd, &err) != 0) {
		child_abort_done(chan_wfd, &err);
		_exit(RP_CHILD_EXIT_CONFINE);
	}
	/* Confined. Everything below may only compute, read fd 0, write fd 1. */
	child_io cio;
	if (child_io_init(&cio, 0, 1, &err) != 0) {
		child_abort_done(1, &err);
		_exit(RP_CHILD_EXIT_CONFINE);
	}
	rp_job job;
	if (child_io_recv_job(&cio, &job, &err) != 0)
		_exit(RP_CHILD_EXIT_PROTO);
	rp_io io = child_io_rp_io(&cio);
	rp_err jerr;
	rp_err_clear(&jerr);
	rp_code code = fn(&job, &io, &jerr);
	if (child_io_broken(&cio))
		_exit(RP_CHILD_EXIT_PROTO);
	if (code < RP_OK || code > RP_E_INTERNAL) {
		rp_err_set(&jerr, RP_E_INTERNAL, "child job returned invalid code %d", (int)code);
		code = RP_E_INTERNAL;
	}
	/* The message goes back exactly as the job set it (possibly empty). */
	if (child_io_send_done(&cio, code, jerr.msg, &err) != 0)
		_exit(RP_CHILD_EXIT_PROTO);
	_exit(0);
}

/* --- broker ------------------------------------------------------------ */

static int64_t privsep_now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reaps the child if it exits within ms. 1 reaped (si filled), 0 not yet,
 * -1 waitid failed. A pidfd makes the wait exact; without one (kernel <
 * 5.3) poll in 1 ms steps. */
static int privsep_wait(pid_t pid, int pidfd, int ms, siginfo_t *si)
{
	int64_t deadline = privsep_now_ms() + ms;
	for (;;) {
		memset(si, 0, sizeof *si);
		if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG) != 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (si->si_pid == pid)
			return 1;
		int64_t left = deadline - privsep_now_ms();
		if (left <= 0)
			return 0;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			(void)poll(&p, 1, (int)left);
		} else {
			struct timespec ts = { 0, 1000000 };
			(void)nanosleep(&ts, NULL);
		}
	}
}

static int privsep_reap_blocking(pid_t pid, siginfo_t *si)
{
	for (;;) {
		memset(si, 0, sizeof *si);
		if (waitid(P_PID, (id_t)pid, si, WEXITED) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static const char *privsep_signame(int sig, char *buf, size_t n)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev != NULL)
		(void)snprintf(buf, n, "SIG%s", abbrev);
	else
		(void)snprintf(buf, n, "signal %d", sig);
	return buf;
}

/* Decides the result from the serve outcome and how the child ended. */
static rp_code privsep_finish(pid_t pid, int pidfd, int serve_rc, const broker_outcome *out,
			      const rp_err *serr, rp_err *err)
{
	siginfo_t si;
	int killed = 0;
	int r = 0;
	if (serve_rc == 0 || out->peer_gone) {
		/* The child closed its end: it is exiting (or was killed). Let it
		 * finish so its real fate (exit status, SIGSYS) is what we report. */
		r = privsep_wait(pid, pidfd, RP_PRIVSEP_EXIT_WAIT_MS, &si);
	}
	if (r == 0) {
		(void)kill(pid, SIGKILL);
		killed = 1;
		r = privsep_reap_blocking(pid, &si) == 0 ? 1 : -1;
	}
	if (r < 0) {
		rp_err_set(err, RP_E_SANDBOX, "cannot reap the child (pid %d): %s", (int)pid,
			   rp_errno_name(errno));
		return RP_E_SANDBOX;
	}
	char ctx[RP_ERR_MSG_MAX];
	(void)snprintf(ctx, sizeof ctx, "%s", serve_rc != 0 ? serr->msg : "after DONE");
	char sname[32];

	if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
		int sig = si.si_status;
		if (killed && sig == SIGKILL) {
			/* Our own kill: the broker's finding is the reason. */
			if (serve_rc != 0) {
				*err = *serr;
				if (err->code == RP_OK)
					err->code = RP_E_PROTO;
				return err->code;
			}
			rp_err_set(err, RP_E_SANDBOX, "child did not exit within %d ms after DONE",
				   RP_PRIVSEP_EXIT_WAIT_MS);
			return RP_E_SANDBOX;
		}
		if (sig == SIGSYS)
			rp_err_set(err, RP_E_SANDBOX,
				   "sandbox violation: child killed by SIGSYS (a system call outside "
				   "policy/child.policy) [%s]",
				   ctx);
		else
			rp_err_set(err, RP_E_SANDBOX, "child killed by %s [%s]",
				   privsep_signame(sig, sname, sizeof sname), ctx);
		return RP_E_SANDBOX;
	}
	int status = si.si_status;
	if (serve_rc == 0) {
		if (status == 0 && out->done) {
			err->code = out->code;
			(void)snprintf(err->msg, sizeof err->msg, "%s", out->msg);
			return out->code;
		}
		if (status == RP_CHILD_EXIT_CONFINE)
			rp_err_set(err, RP_E_SANDBOX, "child confinement failed: %s", out->msg);
		else
			rp_err_set(err, RP_E_SANDBOX, "child exited with status %d after DONE", status);
		return RP_E_SANDBOX;
	}
	if (status == RP_CHILD_EXIT_CONFINE) {
		rp_err_set(err, RP_E_SANDBOX, "child confinement failed (exit %d) [%s]", status, ctx);
		return RP_E_SANDBOX;
	}
	if (status == RP_CHILD_EXIT_PROTO) {
		rp_err_set(err, RP_E_PROTO,
			   "child abandoned the protocol: its frame channel failed (exit %d) [%s]", status, ctx);
		return RP_E_PROTO;
	}
	if (out->timed_out) {
		*err = *serr;
		return err->code;
	}
	rp_err_set(err, serr->code == RP_E_SANDBOX ? RP_E_SANDBOX : RP_E_PROTO,
		   "child exited with status %d without DONE [%s]", status, ctx);
	return err->code;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A started child (privsep_spawn) until it is served or abandoned. A
 * failure of the start itself (account, pipes, fork) is kept in err and
 * reported by privsep_serve, after the job's own checks, so a caller sees
 * the same verdict, in the same precedence, as when the fork happened at
 * the job's start. */
struct privsep_child {
	pid_t pid;         /* -1: not started, err says why */
	int pidfd;         /* -1 without pidfd_open (kernel < 5.3) */
	int to_child;      /* the broker's ends of the frame channel */
	int from_child;
	rp_err err;
	privsep_opts opts;
	struct sigaction old_chld; /* restored when the child is reaped */
};

/* Reaps (or never started) the child, closes everything, restores
 * SIGCHLD and frees h. */
static void privsep_release(privsep_child *h)
{
	if (h->to_child >= 0)
		close(h->to_child);
	if (h->from_child >= 0)
		close(h->from_child);
	if (h->pidfd >= 0)
		close(h->pidfd);
	(void)sigaction(SIGCHLD, &h->old_chld, NULL);
	free(h);
}

void privsep_abandon(privsep_child *h)
{
	if (h == NULL)
		return;
	if (h->pid > 0) {
		/* It has read no frame (no JOB was sent): nothing to report, only
		 * to make sure it is gone before this process goes on or exits. */
		siginfo_t si;
		(void)kill(h->pid, SIGKILL);
		(void)privsep_reap_blocking(h->pid, &si);
	}
	privsep_release(h);
}

privsep_child *privsep_spawn_opts(rp_child_main fn, const char *unpriv_user, const privsep_opts *opts)
{
	privsep_child *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->pid = -1;
	h->pidfd = h->to_child = h->from_child = -1;
	rp_err_clear(&h->err);
	/* A SIG_IGN'd SIGCHLD would auto-reap the child and hide its fate:
	 * default from before the fork until it is reaped. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGCHLD, &dfl, &h->old_chld);
	rp_err *err = &h->err;
	if (fn == NULL || opts == NULL) {
		rp_err_set(err, RP_E_INTERNAL, "privsep_run: missing argument");
		return h;
	}
	h->opts = *opts;
	confine_plan plan;
	if (broker_confine_plan(unpriv_user, &plan, err) != 0)
		return h;
	rp_sandbox *sb = sandbox_init(err);
	if (sb == NULL) {
		if (err->code == RP_OK)
			err->code = RP_E_SANDBOX;
		return h;
	}

	/* id: the account's uid/gid, resolved after fork (root only). */
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 }, id[2] = { -1, -1 };
	if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0 ||
	    (plan.switch_user && pipe2(id, O_CLOEXEC) != 0)) {
		rp_err_set(err, RP_E_SANDBOX, "pipe2: %s", rp_errno_name(errno));
		for (int i = 0; i < 2; i++) {
			if (to_child[i] >= 0)
				close(to_child[i]);
			if (from_child[i] >= 0)
				close(from_child[i]);
			if (id[i] >= 0)
				close(id[i]);
		}
		sandbox_free(sb);
		return h;
	}
	(void)fcntl(to_child[1], F_SETPIPE_SZ, PRIVSEP_PIPE_BYTES);
	(void)fcntl(from_child[1], F_SETPIPE_SZ, PRIVSEP_PIPE_BYTES);

	pid_t pid = fork();
	if (pid == 0)
		child_run(to_child[0], from_child[1], id[0], &plan, sb, fn);
	int saved = errno;
	close(to_child[0]);
	close(from_child[1]);
	if (id[0] >= 0)
		close(id[0]);
	sandbox_free(sb);
	if (pid < 0) {
		rp_err_set(err, RP_E_SANDBOX, "fork: %s", rp_errno_name(saved));
		close(to_child[1]);
		close(from_child[0]);
		if (id[1] >= 0)
			close(id[1]);
		return h;
	}
	h->pid = pid;
	h->to_child = to_child[1];
	h->from_child = from_child[0];
	/* While the child starts (a millisecond on a busy VM), resolve the
	 * account it must become and hand it over. The child waits for it
	 * before reading anything else; if it cannot be resolved the child is
	 * killed and the lookup's error is the verdict (privsep_serve), exactly
	 * as when the lookup preceded the fork. A dead child must surface as
	 * EPIPE here, not kill the broker. */
	if (plan.switch_user) {
		struct sigaction ign, old_pipe;
		memset(&ign, 0, sizeof ign);
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		(void)sigaction(SIGPIPE, &ign, &old_pipe);
		int rc = broker_resolve_user(&plan, err);
		if (rc == 0)
			rc = broker_send_identity(id[1], &plan, err);
		(void)sigaction(SIGPIPE, &old_pipe, NULL);
		close(id[1]);
		if (rc != 0) {
			if (err->code == RP_OK)
				err->code = RP_E_SANDBOX;
			siginfo_t si;
			(void)kill(pid, SIGKILL);
			(void)privsep_reap_blocking(pid, &si);
			h->pid = -1;
			close(h->to_child);
			close(h->from_child);
			h->to_child = h->from_child = -1;
			return h;
		}
	}
	h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (h->opts.on_spawn != NULL)
		h->opts.on_spawn(pid, h->opts.on_spawn_ctx);
	return h;
}

privsep_child *privsep_spawn(rp_child_main fn, const char *unpriv_user)
{
	privsep_opts opts = { .timeout_ms = RP_PRIVSEP_TIMEOUT_MS, .harden_parent = 1 };
	return privsep_spawn_opts(fn, unpriv_user, &opts);
}

/* The checks a job must pass before any child is given it. */
static rp_code privsep_check_job(const rp_job *job, const rp_io *backing, rp_err *err)
{
	const rp_io_ops *ops = backing != NULL ? backing->ops : NULL;
	if (job == NULL || ops == NULL || ops->read == NULL || ops->write == NULL ||
	    ops->copy == NULL || ops->store_open == NULL || ops->commit == NULL ||
	    ops->list == NULL || ops->output == NULL) {
		rp_err_set(err, RP_E_INTERNAL, "privsep_run: missing argument");
		return RP_E_INTERNAL;
	}
	if (rp_job_validate(job, err) != 0) {
		rp_err_wrap(err, "refusing to start the child: invalid job");
		err->code = RP_E_INTERNAL;
		return RP_E_INTERNAL;
	}
	if (broker_perm_for(job->kind) == NULL) {
		rp_err_set(err, RP_E_INTERNAL, "no dispatch table for job kind %u", (unsigned)job->kind);
		return RP_E_INTERNAL;
	}
	return RP_OK;
}

rp_code privsep_serve(privsep_child *h, const rp_job *job, const rp_io *backing, rp_err *err)
{
	rp_err_clear(err);
	if (h == NULL) {
		rp_err_set(err, RP_E_NOMEM, "out of memory starting the child");
		return RP_E_NOMEM;
	}
	rp_code result = privsep_check_job(job, backing, err);
	if (result != RP_OK) {
		privsep_abandon(h);
		return result;
	}
	if (h->pid < 0) {
		*err = h->err;
		result = err->code != RP_OK ? err->code : RP_E_SANDBOX;
		privsep_release(h);
		return result;
	}
	int timeout = h->opts.timeout_ms > 0 ? h->opts.timeout_ms : RP_PRIVSEP_TIMEOUT_MS;
	/* A dead child must surface as EPIPE, not kill the broker. */
	struct sigaction ign, old_pipe;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	(void)sigaction(SIGPIPE, &ign, &old_pipe);

	broker_outcome out;
	memset(&out, 0, sizeof out);
	rp_err serr;
	rp_err_clear(&serr);
	int serve_rc;
	if (set_nonblock(h->to_child) != 0 || set_nonblock(h->from_child) != 0) {
		serve_rc = rp_err_set(&serr, RP_E_SANDBOX, "O_NONBLOCK: %s", rp_errno_name(errno));
	} else {
		serve_rc = 0;
		/* After binding (done by the caller, which may need root's DAC
		 * access) and before the first untrusted byte. */
		if (h->opts.harden_parent)
			serve_rc = broker_drop_privileges(&serr);
		if (serve_rc == 0)
			serve_rc = broker_serve(h->from_child, h->to_child, job, backing, timeout, &out,
						&serr);
	}
	close(h->to_child);
	close(h->from_child);
	h->to_child = h->from_child = -1;
	result = privsep_finish(h->pid, h->pidfd, serve_rc, &out, &serr, err);
	(void)sigaction(SIGPIPE, &old_pipe, NULL);
	privsep_release(h);
	return result;
}

rp_code privsep_run_opts(const rp_job *job, const rp_io *backing, rp_child_main fn,
			 const char *unpriv_user, const privsep_opts *opts, rp_err *err)
{
	rp_err_clear(err);
	/* Refuse before forking (a child is never started for a job that
	 * could not be served). */
	rp_code rc = privsep_check_job(job, backing, err);
	if (rc != RP_OK)
		return rc;
	if (fn == NULL || opts == NULL) {
		rp_err_set(err, RP_E_INTERNAL, "privsep_run: missing argument");
		return RP_E_INTERNAL;
	}
	return privsep_serve(privsep_spawn_opts(fn, unpriv_user, opts), job, backing, err);
}

rp_code privsep_run(const rp_job *job, const rp_io *backing, rp_child_main fn,
		    const char *unpriv_user, rp_err *err)
{
	privsep_opts opts = { .timeout_ms = RP_PRIVSEP_TIMEOUT_MS, .harden_parent = 1 };
	return privsep_run_opts(job, backing, fn, unpriv_user, &opts, err);
}
