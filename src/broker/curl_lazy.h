/*
 * curl_lazy.h - libcurl, loaded on demand (see curl_lazy.c).
 *
 * What: rpvault does not link libcurl. curl_lazy.c defines the libcurl
 * functions the S3 transport calls (same names, same prototypes as
 * <curl/curl.h>), each forwarding to the real one in libcurl.so.4, which
 * rp_curl_load dlopen()s the first time an s3:// store is opened.
 * Why: local commands (verify DIR, jcs, pack, file:// stores) then neither
 * pay for loading ~30 shared libraries nor map them.
 * Security posture: BROKER code; see curl_lazy.c.
 */
#ifndef RP_CURL_LAZY_H
#define RP_CURL_LAZY_H

#include "../common/err.h"

/* The soname: libcurl's ABI 4 (Debian: libcurl4, RHEL: libcurl). Fixed. */
#define RP_CURL_SONAME "libcurl.so.4"

/* The oldest libcurl the transport works with: CURLOPT_PROTOCOLS_STR
 * (s3http.c restricts schemes with it) appeared in 7.85.0; everything
 * else it uses is older (curl_multi_poll 7.66.0). Tested with 7.88.1. */
#define RP_CURL_MIN_VERSION 0x075500u

/* Loads libcurl.so.4 and resolves every function curl_lazy.c forwards.
 * Idempotent: after the first success it returns 0 at once. On failure
 * (library missing, a symbol missing, too old) nothing is kept loaded,
 * every forwarder keeps failing safely, and err is RP_E_IO with a message
 * naming the library. Not thread-safe: call it from the broker's thread
 * before any transfer (rp_s3_open does). */
int rp_curl_load(rp_err *err);

/* 1 once rp_curl_load has succeeded. */
int rp_curl_loaded(void);

/* 1 when a curl_version_info()->version_num is new enough. Pure. */
int rp_curl_version_ok(unsigned version_num);

#endif
