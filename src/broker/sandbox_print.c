/*
 * sandbox_print.c - see sandbox_print.h. Delegates to the sandbox backend.
 */
#include "sandbox_print.h"

#include "privsep.h"

int broker_sandbox_print(int fd, rp_err *err)
{
	return sandbox_print_policy(fd, err);
}
