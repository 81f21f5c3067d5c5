/*
 * err.c - construction and classification of rp_err values.
 *
 * Why: keeps message formatting and the code -> exit status mapping in one
 * place, so every command reports failures the same way.
 * Security posture: bounded formatting only; never allocates.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rp_err_set(rp_err *err, rp_code code, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	return -1;
}

int rp_err_wrap(rp_err *err, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	char prefix[RP_ERR_MSG_MAX];
	char old[RP_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		prefix[0] = '\0';
	memcpy(old, err->msg, sizeof old);
	old[sizeof old - 1] = '\0';
	(void)snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
	return -1;
}

void rp_err_clear(rp_err *err)
{
	if (err == NULL)
		return;
	err->code = RP_OK;
	err->msg[0] = '\0';
}

const char *rp_code_name(rp_code code)
{
	switch (code) {
	case RP_OK: return "ok";
	case RP_E_USAGE: return "usage";
	case RP_E_IO: return "io";
	case RP_E_NOMEM: return "nomem";
	case RP_E_LIMIT: return "limit";
	case RP_E_TOO_LARGE: return "too_large";
	case RP_E_NOTFOUND: return "not_found";
	case RP_E_JSON: return "json";
	case RP_E_FORMAT: return "format";
	case RP_E_PATH: return "path";
	case RP_E_SYMLINK: return "symlink";
	case RP_E_VERIFY: return "verify";
	case RP_E_CONFLICT: return "conflict";
	case RP_E_EXISTS: return "exists";
	case RP_E_SANDBOX: return "sandbox";
	case RP_E_PROTO: return "protocol";
	case RP_E_STORE: return "store";
	case RP_E_INTERNAL: return "internal";
	}
	return "unknown";
}

int rp_code_exit(rp_code code)
{
	switch (code) {
	case RP_OK:
		return 0;
	case RP_E_USAGE:
		return 2;
	case RP_E_IO:
	case RP_E_NOMEM:
	case RP_E_SANDBOX:
	case RP_E_PROTO:
	case RP_E_STORE:
	case RP_E_INTERNAL:
		return 3;
	case RP_E_LIMIT:
	case RP_E_TOO_LARGE:
	case RP_E_NOTFOUND:
	case RP_E_JSON:
	case RP_E_FORMAT:
	case RP_E_PATH:
	case RP_E_SYMLINK:
	case RP_E_VERIFY:
	case RP_E_CONFLICT:
	case RP_E_EXISTS:
		return 1;
	}
	return 3;
}
