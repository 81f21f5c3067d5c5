/*
 * s3conf.h - where an S3 store's settings and credentials come from.
 *
 * What: turns a store URI "s3://BUCKET[/PREFIX]", the command-line flags,
 * the [store] section of rpvault.conf and the AWS environment conventions
 * into one rp_s3_settings (public, printable) and one rp_s3_creds (secret).
 * Precedence, per setting: flag > environment > configuration file >
 * default:
 *   endpoint     --endpoint, AWS_ENDPOINT_URL, [store] endpoint,
 *                https://s3.<region>.amazonaws.com
 *   region       --region, AWS_REGION (else AWS_DEFAULT_REGION),
 *                [store] region, us-east-1
 *   path_style   --path-style, RPVAULT_S3_PATH_STYLE, [store] path_style, false
 *   allow_http   --allow-http, RPVAULT_S3_ALLOW_HTTP, [store] allow_http, false
 *   ca_file      --ca-file, AWS_CA_BUNDLE, [store] ca_file, the system CAs
 * (the two RPVAULT_S3_* booleans take true/false/1/0; an empty variable
 * counts as unset, as in the AWS SDKs).
 * Credentials, first match wins: the file given by --credentials-file (an
 * explicit choice beats the environment); AWS_ACCESS_KEY_ID +
 * AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) from the environment (one
 * without the other is an error); the file named by
 * $AWS_SHARED_CREDENTIALS_FILE, else [store] credentials_file, else
 * $HOME/.aws/credentials. Profile $AWS_PROFILE or "default". The file
 * (AWS INI format, <= 64 KiB) is opened O_NOFOLLOW and must be a regular
 * file owned by the effective uid with no group or other permission bits
 * (mode 0600 or 0400).
 * Tuning for tests and benchmarks (environment only, decimal):
 *   RPVAULT_S3_PARALLEL (1..64, default 16), RPVAULT_S3_MAX_ATTEMPTS
 *   (1..20, default 5), RPVAULT_S3_CONNECT_MS (100..600000, default 5000),
 *   RPVAULT_S3_DEADLINE_MS (100..3600000, default 120000).
 *
 * Why: Decision Gate's rules (spec §11.3 prefix normalisation, §11.6:
 * http:// only with allow_http) must hold whichever way a setting arrives,
 * so they are checked once, here, on the merged result.
 * Security posture: BROKER side, trusted inputs (the operator's flags,
 * files and environment), still validated strictly. Secrets live only in
 * rp_s3_creds, are never printed (messages name the variable or file, never
 * the value) and are wiped by rp_s3_creds_wipe.
 */
#ifndef RP_S3CONF_H
#define RP_S3CONF_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/limits.h"
#include "config.h"
#include "sigv4.h"

#define RP_S3_BUCKET_MAX 63
#define RP_S3_ENDPOINT_MAX 512
#define RP_S3_DEFAULT_PARALLEL 16
#define RP_S3_MAX_PARALLEL 64
#define RP_S3_DEFAULT_ATTEMPTS 5
#define RP_S3_MAX_ATTEMPTS 20
#define RP_S3_DEFAULT_CONNECT_MS 5000
#define RP_S3_DEFAULT_DEADLINE_MS 120000 /* one request, all attempts */

/* Settings given on the command line; NULL / -1 = not given. */
typedef struct rp_s3_flags {
	const char *endpoint;         /* --endpoint URL */
	const char *region;           /* --region R */
	int path_style;               /* --path-style: 1, else -1 */
	int allow_http;               /* --allow-http: 1, else -1 */
	const char *ca_file;          /* --ca-file F */
	const char *credentials_file; /* --credentials-file F */
} rp_s3_flags;

typedef struct rp_s3_settings {
	char uri[8 + RP_S3_BUCKET_MAX + RP_MAX_PATH_TOTAL];  /* "s3://bucket" or "s3://bucket/prefix" as
							       * canonical (prefix normalised, no trailing '/') */
	char bucket[RP_S3_BUCKET_MAX + 1];                   /* 3..63 of [a-z0-9.-] (path-style allows
							       * also A-Z and '_', as RGW does) */
	char root_prefix[RP_MAX_PATH_TOTAL + 1];             /* "" or "<normalised>/" (spec §11.3) */
	char endpoint[RP_S3_ENDPOINT_MAX + 1];               /* "https://host[:port]" or "http://..." with
							       * no path, no trailing '/'; default
							       * https://s3.<region>.amazonaws.com */
	char region[RP_SIGV4_REGION_MAX + 1];                /* default "us-east-1" */
	int path_style;                                      /* 1: http://host/bucket/key */
	int allow_http;
	char ca_file[RP_MAX_PATH_TOTAL + 1];                 /* "" = system CAs */
	char credentials_source[RP_MAX_PATH_TOTAL + 32];     /* "environment" or "file PATH [profile P]"
							       * (for store check; never a secret) */
	unsigned parallel;      /* concurrent transfers, 1..RP_S3_MAX_PARALLEL */
	unsigned max_attempts;  /* per request, >= 1 */
	unsigned connect_ms;
	unsigned deadline_ms;   /* per request, all attempts and backoff included */
} rp_s3_settings;

typedef struct rp_s3_creds {
	char access_key[RP_SIGV4_ACCESS_KEY_MAX + 1];
	char secret[RP_SIGV4_SECRET_MAX + 1];
	char token[RP_SIGV4_TOKEN_MAX + 1];
} rp_s3_creds;

/* 1 if uri starts with "s3://". */
int rp_s3_uri_is_s3(const char *uri);

/* Resolves everything for store URI `uri` (flags and cfg may be NULL:
 * nothing given). The URI is "s3://BUCKET" or "s3://BUCKET/PREFIX"; the
 * prefix goes through rp_key_normalize_root (Decision Gate's
 * normalize_prefix); '?', '#', '@' and control characters are refused.
 * Virtual-hosted style (the default) needs a DNS-compatible bucket and an
 * endpoint that is a host name, not an IP address. Errors are RP_E_USAGE with a
 * message naming the setting and where it came from ("--endpoint",
 * "AWS_ENDPOINT_URL", "rpvault.conf [store] endpoint", "credentials file
 * /root/.aws/credentials: mode 0644, must not be readable by group or
 * others"). On failure creds is wiped. */
int rp_s3_resolve(const char *uri, const rp_s3_flags *flags, const rp_config *cfg,
		  rp_s3_settings *set, rp_s3_creds *creds, rp_err *err);

/* explicit_bzero of every byte of creds. */
void rp_s3_creds_wipe(rp_s3_creds *creds);

/* Overwrites the values of AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in
 * this process's environment with zero bytes, in place, then unsets them.
 * Why: the strings live in the initial environment block (and in
 * /proc/PID/environ); fork would hand a copy to the confined child, where
 * clearenv() only drops the pointers. Call it once the credentials are
 * resolved. */
void rp_s3_scrub_env(void);

#endif
