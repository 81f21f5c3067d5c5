/*
 * child_io.h - the confined child's rp_io: every operation is a request
 * and response over frames to the broker.
 *
 * Why: the job code (src/child/) is written once against rp_io; in the
 * release binary it runs over this implementation, so the verifier never
 * holds a file descriptor other than its two pipe ends.
 * Security posture: CONFINED-CHILD code. It validates what it asks for
 * (paths, roots, caps) before sending, so ordinary content errors (a
 * manifest naming "../x") stay content errors (RP_E_PATH, exit 1) and only
 * a compromised or buggy child trips the broker's fatal checks. Frames
 * from the broker are checked as strictly as the broker checks the child's:
 * any surprise breaks the channel and every later operation fails.
 */
#ifndef RP_SANDBOX_CHILD_IO_H
#define RP_SANDBOX_CHILD_IO_H

#include "common/io.h"
#include "common/job.h"
#include "frame.h"

/* Output produced inside a read sink or list callback is held here and
 * sent when the stream ends: the broker is busy streaming and cannot take
 * a request then. Enough for `ls` of RP_MAX_LIST_ENTRIES runpacks. */
#define CHILD_IO_PENDING_MAX ((size_t)32 * 1024 * 1024)

typedef struct child_io {
	rp_chan chan;
	int in_stream;       /* inside a READ or LIST stream (callbacks running) */
	struct rp_buf *pending; /* deferred OUTPUT: u32 fd, u32 len, bytes ... */
	/* The last EXPORT_RESULT's strings (rp_export_result points here). */
	char res_context[RP_EXPORT_CONTEXT_MAX + 1];
	char res_what[RP_EXPORT_WHAT_MAX + 1];
} child_io;

/* Sets up the channel (allocates frame buffers). Inside read sinks and list
 * callbacks only output() may be called (it is deferred to the end of the
 * stream); any other operation fails with RP_E_INTERNAL. */
int child_io_init(child_io *c, int rfd, int wfd, rp_err *err);
void child_io_free(child_io *c);

/* Receives the JOB frame (must be the first frame) and validates it with
 * rp_job_validate. */
int child_io_recv_job(child_io *c, rp_job *job, rp_err *err);

/* The rp_io whose ops send frames on c. */
rp_io child_io_rp_io(child_io *c);

/* Sends the final DONE frame with the job's result. */
int child_io_send_done(child_io *c, rp_code code, const char *msg, rp_err *err);

/* 1 once any protocol or I/O failure happened on the channel. */
int child_io_broken(const child_io *c);

#endif
