/*
 * verify.h - the offline runpack verifier (spec §9) plus rpvault's strict
 * checks (docs/format-strictness.md).
 *
 * Why: a pure function over an rp_io reader, so the same code verifies a
 * directory, a stored runpack and a freshly written one, inside the
 * sandboxed child.
 * Security posture: CONFINED-CHILD code. Artifacts are streamed into the
 * hash (never held whole) except the logs it must parse (<= 16 MiB each).
 * Every problem becomes a report error; only failures to run (I/O,
 * protocol, memory) are returned as rp_err.
 */
#ifndef RP_VERIFY_H
#define RP_VERIFY_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/io.h"
#include "manifest.h"

#define RP_REPORT_MAX_ERRORS 10000

typedef struct rp_report {
	size_t checked_files;
	char **errors;
	size_t n_errors;
	size_t cap;
	size_t dropped; /* errors past RP_REPORT_MAX_ERRORS */
} rp_report;

void rp_report_init(rp_report *r);
void rp_report_free(rp_report *r);
int rp_report_add(rp_report *r, rp_err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rp_report_pass(const rp_report *r);

typedef struct rp_verify_opts {
	int strict;              /* rpvault's stricter checks (default on) */
	const char *store_prefix; /* non-NULL: the key prefix the runpack is stored at */
} rp_verify_opts;

/* Verifies manifest m against the files under root. Returns 0 with the
 * report filled (pass or fail), or -1 when verification could not run. */
int rp_verify(const rp_io *io, rp_root root, const rp_manifest *m, const rp_verify_opts *opts,
	      rp_report *rep, rp_err *err);

/* Reads the manifest (name, or manifest.json falling back to runpack.json
 * when name is NULL) and verifies it. A missing or unparseable manifest is a
 * failed report, not an error. *used_name receives the manifest name read. */
int rp_verify_runpack(const rp_io *io, rp_root root, const char *name, const rp_verify_opts *opts,
		      rp_report *rep, const char **used_name, rp_err *err);

#endif
