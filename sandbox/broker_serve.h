/*
 * broker_serve.h - the broker's request loop: serve one confined child's
 * frames from the real rp_io, under the dispatch table of its job kind.
 *
 * Why: separated from privsep.c (process handling) so the loop can be
 * driven by a fake child writing raw bytes in tests.
 * Security posture: BROKER code, facing untrusted frames. It never parses
 * untrusted structure beyond the fixed request fields; it checks every
 * request against the per-kind table (like OpenSSH's monitor table),
 * re-validates every path (rp_path_check) and store prefix
 * (rp_key_prefix_check), bounds every byte count, and treats any surprise
 * as fatal.
 */
#ifndef RP_SANDBOX_BROKER_SERVE_H
#define RP_SANDBOX_BROKER_SERVE_H

#include "common/err.h"
#include "common/io.h"
#include "common/job.h"

/* Requests one child may make before the broker calls it runaway. Real
 * jobs make at most a few per manifest entry (<= 4096 entries); the bound
 * exists so that nothing about a child is unbounded. */
#define RP_BROKER_MAX_REQUESTS (1ul << 20)

typedef struct broker_outcome {
	int done;                 /* DONE received, then EOF: code/msg are valid */
	rp_code code;             /* the child's result */
	char msg[RP_ERR_MSG_MAX]; /* the child's message, made printable */
	int peer_gone;            /* the failure was EOF/EPIPE: the child is gone or going */
	int timed_out;            /* the failure was the per-frame deadline */
	unsigned long requests;   /* requests served */
} broker_outcome;

/* One row of the per-kind dispatch table (see broker_serve.c). */
typedef struct broker_perm {
	uint32_t kind;
	const char *name;
	uint32_t read_roots;  /* bit (1 << root) per readable root */
	uint32_t write_roots; /* bit per writable root */
	uint32_t copy_pairs;  /* BROKER_COPY(from, to) bits */
	uint32_t ops;         /* BROKER_OP_* */
} broker_perm;

#define BROKER_ROOT(r) (1u << (r))
#define BROKER_COPY(f, t) (1u << ((f) * 5u + (t)))
#define BROKER_OP_STORE_OPEN (1u << 0)
#define BROKER_OP_COMMIT (1u << 1)
#define BROKER_OP_LIST (1u << 2)
#define BROKER_OP_OUTPUT (1u << 3)
#define BROKER_OP_LIST_PAGE (1u << 4)
#define BROKER_OP_BUCKET (1u << 5)
#define BROKER_OP_NEXT_INPUT (1u << 6)
#define BROKER_OP_EXPORT_PLAN (1u << 7) /* EXPORT_PLAN/WAIT/REPORT, object stores only */

/* The row for a job kind, or NULL (no child may run that kind). */
const broker_perm *broker_perm_for(uint32_t kind);

/* Sends JOB, then serves requests until DONE and EOF. Returns 0 when the
 * child finished the protocol (out->done, out->code, out->msg), or -1 with
 * err set (RP_E_PROTO: a frame or request violation; RP_E_SANDBOX: the
 * deadline; RP_E_IO: pipe error) and out->peer_gone / out->timed_out.
 * timeout_ms bounds each frame in both directions. rfd/wfd should be
 * non-blocking. The caller kills and reaps the child on failure. */
int broker_serve(int rfd, int wfd, const rp_job *job, const rp_io *backing, int timeout_ms,
		 broker_outcome *out, rp_err *err);

#endif
