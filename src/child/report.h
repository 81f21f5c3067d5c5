/*
 * report.h - rendering a verification report: json, markdown, text.
 *
 * Why: json is Decision Gate's JCS report plus a newline and markdown is
 * its CLI's exact bytes (spec §12.2), so scripts written for either tool
 * keep working; text is a short summary for people at a terminal.
 * Security posture: CONFINED-CHILD code; text output escapes control
 * characters from untrusted error strings so they cannot drive a terminal.
 */
#ifndef RP_REPORT_H
#define RP_REPORT_H

#include "../common/buf.h"
#include "../common/job.h"
#include "verify.h"

int rp_report_render(const rp_report *r, rp_report_format fmt, const char *subject, rp_buf *out, rp_err *err);
/* JCS({"checked_files":N,"errors":[...],"status":...}) with no newline. */
int rp_report_jcs(const rp_report *r, rp_buf *out, rp_err *err);

#endif
