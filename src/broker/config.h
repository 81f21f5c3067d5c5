/*
 * config.h - rpvault.conf: a small INI file of trusted local settings.
 *
 * Why: packaged installs keep the store location and sandbox user in
 * /etc/rpvault/rpvault.conf (a conffile); flags and environment override.
 * Security posture: PRIVILEGED side, but still strict: size-capped, line
 * length capped, unknown sections/keys and malformed lines are errors
 * naming the file and line. Secrets are never kept here: [store]
 * credentials_file only names the S3 credentials file (mode 0600, read by
 * s3conf.c).
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/limits.h"

#define RP_DEFAULT_CONFIG "/etc/rpvault/rpvault.conf"
#define RP_CONFIG_ENDPOINT_MAX 512 /* = RP_S3_ENDPOINT_MAX (s3conf.h) */
#define RP_CONFIG_REGION_MAX 63    /* = RP_SIGV4_REGION_MAX (sigv4.h) */

/* Strings are "" and booleans -1 when the file does not set them, so the
 * S3 settings resolution (s3conf.c) can tell "unset" from "false". Values
 * are only checked for length and control characters here; their meaning
 * (URL shape, region syntax, file mode) is checked by s3conf.c, which
 * names "rpvault.conf [store] KEY" in its messages. */
typedef struct rp_config {
	char store_uri[RP_MAX_PATH_TOTAL + 16];   /* [store] uri */
	char store_endpoint[RP_CONFIG_ENDPOINT_MAX + 1];    /* [store] endpoint */
	char store_region[RP_CONFIG_REGION_MAX + 1];        /* [store] region */
	int store_path_style;                               /* [store] path_style: 1, 0, -1 unset */
	int store_allow_http;                               /* [store] allow_http: 1, 0, -1 unset */
	char store_ca_file[RP_MAX_PATH_TOTAL + 1];          /* [store] ca_file */
	char store_credentials_file[RP_MAX_PATH_TOTAL + 1]; /* [store] credentials_file */
	char sandbox_user[RP_MAX_ID_BYTES + 1];  /* [sandbox] user */
} rp_config;

/* Everything unset: strings "", booleans -1. */
void rp_config_init(rp_config *c);
/* Parses text (from file `name`, for messages). */
int rp_config_parse(rp_config *c, const char *text, size_t len, const char *name, rp_err *err);
/* Loads path; a missing file is fine when !required. */
int rp_config_load(rp_config *c, const char *path, int required, rp_err *err);

#endif
