/*
 * config.h - rpvault.conf: a small INI file of trusted local settings.
 *
 * Why: packaged installs keep the store location and sandbox user in
 * /etc/rpvault/rpvault.conf (a conffile); flags and environment override.
 * Security posture: PRIVILEGED side, but still strict: size-capped, line
 * length capped, unknown sections/keys and malformed lines are errors
 * naming the file and line. Secrets are not kept here (later: the S3
 * credentials file, mode 0600).
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/limits.h"

#define RP_DEFAULT_CONFIG "/etc/rpvault/rpvault.conf"

typedef struct rp_config {
	char store_uri[RP_MAX_PATH_TOTAL + 16];   /* [store] uri */
	char sandbox_user[RP_MAX_ID_BYTES + 1];  /* [sandbox] user */
} rp_config;

void rp_config_init(rp_config *c);
/* Parses text (from file `name`, for messages). */
int rp_config_parse(rp_config *c, const char *text, size_t len, const char *name, rp_err *err);
/* Loads path; a missing file is fine when !required. */
int rp_config_load(rp_config *c, const char *path, int required, rp_err *err);

#endif
