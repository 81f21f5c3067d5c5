/*
 * sandbox_print.c - see sandbox_print.h. Delegates to the sandbox backend.
 */
#include "sandbox_print.h"

int broker_sandbox_print(int fd, rp_err *err)
{
	(void)fd;
	return rp_err_set(err, RP_E_USAGE, "sandbox printing is not available in this build");
}
