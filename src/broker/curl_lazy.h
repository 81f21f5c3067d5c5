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

#include <curl/curl.h>

#include "../common/err.h"

/* The soname: libcurl's ABI 4 (Debian: libcurl4, RHEL: libcurl). Fixed. */
#define RP_CURL_SONAME "libcurl.so.4"

/* The oldest libcurl the transport works with: 7.61.0 (RHEL 8 ships
 * 7.61.1, RHEL 9 7.76.1, Debian 12 7.88.1). Two calls it prefers are
 * newer; rp_curl_load picks their older stand-ins when it must:
 *  - CURLOPT_PROTOCOLS_STR (7.85.0) restricts the schemes; before it the
 *    CURLOPT_PROTOCOLS bit mask does the same (rp_curl_restrict_protocols);
 *  - curl_multi_poll (7.66.0) sleeps even when libcurl has no socket to
 *    wait on; curl_multi_wait returns at once then, so rp_curl_multi_sleep
 *    sleeps itself, no longer than libcurl's own next timeout.
 * Nothing else it uses is newer than 7.49. This file and curl_lazy.c
 * compile against the headers of any of these versions (option numbers
 * newer than 7.61 are spelled as numbers). */
#define RP_CURL_MIN_VERSION 0x073d00u
#define RP_CURL_PROTOCOLS_STR_SINCE 0x075500u
#define RP_CURL_MULTI_POLL_SINCE 0x074200u

/* Option numbers as libcurl defines them (they never change), spelled out
 * so that this compiles against headers older than CURLOPT_PROTOCOLS_STR
 * and without naming CURLOPT_PROTOCOLS, which newer headers mark
 * deprecated; tests/unit/test_curl_lazy.c checks both against the headers
 * it is built with. */
#define RP_CURLOPT_PROTOCOLS ((CURLoption)(CURLOPTTYPE_LONG + 181))
#define RP_CURLOPT_PROTOCOLS_STR ((CURLoption)(CURLOPTTYPE_OBJECTPOINT + 318))

/* What rp_curl_load picked (bits): */
#define RP_CURL_HAS_PROTOCOLS_STR 1u
#define RP_CURL_HAS_MULTI_POLL 2u

/* The choice for a libcurl of this version whose curl_multi_poll symbol
 * exists (has_multi_poll) or not. Pure. */
unsigned rp_curl_pick_mode(unsigned version_num, int has_multi_poll);

/* The loaded libcurl's mode (0 before a load), and the same in words for
 * diagnostics, e.g. "curl_multi_poll, CURLOPT_PROTOCOLS_STR". */
unsigned rp_curl_mode(void);
const char *rp_curl_mode_name(void);

/* Lets h use https only, or http and https when allow_http, with the
 * option the loaded libcurl has. CURLE_FAILED_INIT before a load. */
CURLcode rp_curl_restrict_protocols(CURL *h, int allow_http);

/* Waits for activity on m's transfers or on extra_fds, at most
 * timeout_ms and no longer than libcurl's own next timeout: exactly
 * curl_multi_poll, emulated with curl_multi_wait (plus a sleep when there
 * is nothing to wait on) before 7.66. */
CURLMcode rp_curl_multi_sleep(CURLM *m, struct curl_waitfd extra_fds[], unsigned extra_nfds,
			      int timeout_ms);

/* The same two as if the loaded libcurl had picked `mode` (only the
 * RP_CURL_HAS_* bits it can honour: no multi_poll symbol, no polling), so
 * that the unit tests run the older paths against the library at hand. */
CURLcode rp_curl_restrict_protocols_as(CURL *h, int allow_http, unsigned mode);
CURLMcode rp_curl_multi_sleep_as(CURLM *m, struct curl_waitfd extra_fds[], unsigned extra_nfds,
				 int timeout_ms, unsigned mode);

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
