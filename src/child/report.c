/*
 * report.c - verification report rendering (see report.h).
 *
 * Security posture: CONFINED-CHILD code; bounded output buffers.
 */
#include "report.h"

#include <string.h>

#include "../common/path.h"
#include "jcs.h"

int rp_report_jcs(const rp_report *r, rp_buf *out, rp_err *err)
{
	if (rp_buf_printf(out, err, "{\"checked_files\":%zu,\"errors\":[", r->checked_files) != 0)
		return -1;
	for (size_t i = 0; i < r->n_errors; i++) {
		if (i > 0 && rp_buf_putc(out, ',', err) != 0)
			return -1;
		if (jcs_write_string(r->errors[i], strlen(r->errors[i]), out, err) != 0)
			return -1;
	}
	if (r->dropped > 0 && rp_buf_printf(out, err, "%s\"%zu further errors not listed\"",
					    r->n_errors > 0 ? "," : "", r->dropped) != 0)
		return -1;
	return rp_buf_puts(out, rp_report_pass(r) ? "],\"status\":\"pass\"}" : "],\"status\":\"fail\"}", err);
}

int rp_report_render(const rp_report *r, rp_report_format fmt, const char *subject, rp_buf *out, rp_err *err)
{
	int pass = rp_report_pass(r);
	switch (fmt) {
	case RP_FMT_JSON:
		if (rp_report_jcs(r, out, err) != 0)
			return -1;
		return rp_buf_putc(out, '\n', err);
	case RP_FMT_MARKDOWN:
		if (rp_buf_printf(out, err,
				  "# Decision Gate Runpack Verification\n\n- Status: %s\n- Checked files: %zu\n\n## Errors\n",
				  pass ? "pass" : "fail", r->checked_files) != 0)
			return -1;
		if (r->n_errors == 0 && rp_buf_puts(out, "- None\n", err) != 0)
			return -1;
		for (size_t i = 0; i < r->n_errors; i++)
			if (rp_buf_puts(out, "- ", err) || rp_buf_puts(out, r->errors[i], err) || rp_buf_putc(out, '\n', err))
				return -1;
		if (r->dropped > 0 && rp_buf_printf(out, err, "- %zu further errors not listed\n", r->dropped))
			return -1;
		return rp_buf_putc(out, '\n', err);
	case RP_FMT_TEXT: {
		char s[1024];
		rp_printable(subject, strlen(subject), s, sizeof s);
		if (pass)
			return rp_buf_printf(out, err, "PASS %s: %zu files checked, no errors\n", s, r->checked_files);
		if (rp_buf_printf(out, err, "FAIL %s: %zu files checked, %zu error(s)\n", s, r->checked_files,
				  r->n_errors + r->dropped) != 0)
			return -1;
		for (size_t i = 0; i < r->n_errors; i++) {
			char line[RP_ERR_MSG_MAX + 600];
			rp_printable(r->errors[i], strlen(r->errors[i]), line, sizeof line);
			if (rp_buf_printf(out, err, "  - %s\n", line) != 0)
				return -1;
		}
		if (r->dropped > 0)
			return rp_buf_printf(out, err, "  - %zu further errors not listed\n", r->dropped);
		return 0;
	}
	}
	return rp_err_set(err, RP_E_INTERNAL, "unknown report format %d", (int)fmt);
}
