/*
 * sandbox_print.h - `rpvault sandbox --print`: the loaded seccomp filter.
 * Security posture: PRIVILEGED side; builds the child's filter without
 * loading it and exports it as libseccomp PFC text.
 */
#ifndef RP_SANDBOX_PRINT_H
#define RP_SANDBOX_PRINT_H
#include "../common/err.h"
int broker_sandbox_print(int fd, rp_err *err);
#endif
