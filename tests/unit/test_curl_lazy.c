/*
 * test_curl_lazy.c - cmocka tests of src/broker/curl_lazy.c, libcurl
 * loaded with dlopen.
 *
 * Why: rpvault no longer links libcurl; these tests prove that the
 * forwarders fail safely before a load, that a missing library is a clear
 * RP_E_IO (also through rp_s3_open, which still wipes the credentials),
 * that the load asks for exactly libcurl.so.4 with RTLD_NOW | RTLD_LOCAL
 * and happens once, that the version check holds, and that the variadic
 * forwarders pass each option type range (long, pointer, function
 * pointer, curl_off_t, blob) and getinfo's pointer intact, against real
 * easy and multi handles and a file:// transfer (no network).
 *
 * The tests run in order in one process: the "before load" ones first.
 * dlopen is interposed below (this test binary defines it; the real one is
 * reached with RTLD_NEXT) to record the request and to simulate a missing
 * library; rpvault itself has no such hook.
 * Security posture: test code; writes one temporary file under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dlfcn.h>
/* This test names CURLOPT_PROTOCOLS (to check our number for it), which
 * headers from 7.87 on mark deprecated. */
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>

#include "broker/curl_lazy.h"
#include "broker/s3http.h"

/* ---- dlopen, interposed ------------------------------------------------------------------ */

static int g_fail_dlopen;     /* 1: behave as if the library were not installed */
static int g_dlopen_calls;    /* calls for libcurl */
static char g_dlopen_file[64];
static int g_dlopen_mode;

void *dlopen(const char *file, int mode)
{
	void *(*real)(const char *, int) = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (real == NULL)
		abort();
	if (file != NULL && strstr(file, "curl") != NULL) {
		g_dlopen_calls++;
		snprintf(g_dlopen_file, sizeof g_dlopen_file, "%s", file);
		g_dlopen_mode = mode;
		if (g_fail_dlopen) /* a real failure, for a real dlerror() text */
			return real("librpvault-test-absent.so.4", mode);
	}
	return real(file, mode);
}

/* ---- before any load ---------------------------------------------------------------------- */

static void assert_forwarders_fail_safely(void)
{
	assert_false(rp_curl_loaded());
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_FAILED_INIT);
	assert_null(curl_version_info(CURLVERSION_NOW));
	assert_null(curl_easy_init());
	curl_easy_cleanup(NULL);
	curl_easy_reset(NULL);
	assert_int_equal(curl_easy_setopt(NULL, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_FAILED_INIT);
	assert_int_equal(curl_easy_setopt(NULL, CURLOPT_TIMEOUT_MS, 1L), CURLE_FAILED_INIT);
	long code = 7;
	assert_int_equal(curl_easy_getinfo(NULL, CURLINFO_RESPONSE_CODE, &code), CURLE_FAILED_INIT);
	assert_int_equal(code, 7);
	assert_non_null(curl_easy_strerror(CURLE_OK));
	assert_null(curl_slist_append(NULL, "Expect:"));
	curl_slist_free_all(NULL);
	assert_null(curl_multi_init());
	assert_int_equal(curl_multi_setopt(NULL, CURLMOPT_MAXCONNECTS, 1L), CURLM_INTERNAL_ERROR);
	assert_int_equal(curl_multi_add_handle(NULL, NULL), CURLM_INTERNAL_ERROR);
	assert_int_equal(curl_multi_remove_handle(NULL, NULL), CURLM_INTERNAL_ERROR);
	int running = 3, n = 3;
	assert_int_equal(curl_multi_perform(NULL, &running), CURLM_INTERNAL_ERROR);
	assert_int_equal(curl_multi_wait(NULL, NULL, 0, 0, &n), CURLM_INTERNAL_ERROR);
	long ms = 9;
	assert_int_equal(curl_multi_timeout(NULL, &ms), CURLM_INTERNAL_ERROR);
	assert_int_equal(ms, 9);
	assert_int_equal(rp_curl_multi_sleep(NULL, NULL, 0, 0), CURLM_INTERNAL_ERROR);
	assert_int_equal(rp_curl_restrict_protocols(NULL, 0), CURLE_FAILED_INIT);
	assert_int_equal(rp_curl_mode(), 0u);
	assert_string_equal(rp_curl_mode_name(), "libcurl not loaded");
	assert_null(curl_multi_info_read(NULL, &n));
	assert_int_equal(curl_multi_cleanup(NULL), CURLM_INTERNAL_ERROR);
	assert_int_equal(running, 3);
	assert_int_equal(n, 3);
}

static void test_before_load(void **state)
{
	(void)state;
	assert_forwarders_fail_safely();
	assert_int_equal(g_dlopen_calls, 0);
}

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static void test_load_missing(void **state)
{
	(void)state;
	rp_err err;
	g_fail_dlopen = 1;
	assert_int_equal(rp_curl_load(&err), -1);
	assert_int_equal(err.code, RP_E_IO);
	assert_true(strncmp(err.msg, "libcurl (libcurl.so.4) is needed for s3:// stores: ",
			    strlen("libcurl (libcurl.so.4) is needed for s3:// stores: ")) == 0);
	assert_non_null(strstr(err.msg, "librpvault-test-absent.so.4")); /* dlerror()'s text */
	assert_forwarders_fail_safely();

	/* through rp_s3_open: the same error, the credentials still wiped */
	rp_s3_settings set;
	rp_s3_creds c;
	rp_s3 *s = (rp_s3 *)&c;
	memset(&set, 0, sizeof set);
	snprintf(set.bucket, sizeof set.bucket, "bucket");
	snprintf(set.endpoint, sizeof set.endpoint, "https://127.0.0.1:1");
	snprintf(set.region, sizeof set.region, "us-east-1");
	set.parallel = 1;
	set.max_attempts = 1;
	set.connect_ms = 100;
	set.deadline_ms = 100;
	memset(&c, 0, sizeof c);
	snprintf(c.access_key, sizeof c.access_key, "AKIDEXAMPLE");
	snprintf(c.secret, sizeof c.secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_int_equal(rp_s3_open(&s, &set, &c, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, RP_E_IO);
	assert_non_null(strstr(err.msg, "libcurl (libcurl.so.4) is needed for s3:// stores: "));
	assert_true(is_zero(&c, sizeof c));
	assert_false(rp_curl_loaded());
	g_fail_dlopen = 0;
}

/* ---- the load ------------------------------------------------------------------------------ */

static void test_load(void **state)
{
	(void)state;
	rp_err err;
	int before = g_dlopen_calls;
	assert_int_equal(rp_curl_load(&err), 0);
	assert_true(rp_curl_loaded());
	assert_int_equal(g_dlopen_calls, before + 1);
	assert_string_equal(g_dlopen_file, "libcurl.so.4");
	assert_int_equal(g_dlopen_mode, RTLD_NOW | RTLD_LOCAL);
	/* idempotent: no second dlopen */
	assert_int_equal(rp_curl_load(&err), 0);
	assert_int_equal(rp_curl_load(NULL), 0);
	assert_int_equal(g_dlopen_calls, before + 1);
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	/* libcurl's own symbols did not join the global scope (RTLD_LOCAL):
	 * the executable exports none of the forwarders either */
	assert_null(dlsym(RTLD_DEFAULT, "curl_easy_perform"));
	assert_null(dlsym(RTLD_DEFAULT, "curl_easy_setopt"));
}

static void test_version(void **state)
{
	(void)state;
	assert_true(rp_curl_version_ok(RP_CURL_MIN_VERSION));
	assert_true(rp_curl_version_ok(0x075801)); /* 7.88.1, Debian 12 */
	assert_true(rp_curl_version_ok(0x080000));
	assert_true(rp_curl_version_ok(0x075401));  /* 7.84.1 */
	assert_true(rp_curl_version_ok(0x074c01));  /* 7.76.1, RHEL 9 */
	assert_true(rp_curl_version_ok(0x073d01));  /* 7.61.1, RHEL 8 */
	assert_true(rp_curl_version_ok(0x073d00));  /* 7.61.0 */
	assert_false(rp_curl_version_ok(0x073c00)); /* 7.60.0 */
	assert_false(rp_curl_version_ok(0x071d00)); /* 7.29.0, RHEL 7 */
	assert_false(rp_curl_version_ok(0));
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	assert_non_null(v);
	assert_true(rp_curl_version_ok(v->version_num));
	assert_non_null(v->version);
	int http = 0, https = 0;
	for (const char *const *p = v->protocols; p != NULL && *p != NULL; p++) {
		http |= strcmp(*p, "http") == 0;
		https |= strcmp(*p, "https") == 0;
	}
	assert_true(http && https);
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
}

/* The newer calls or their stand-ins, by version (curl_lazy.h). */
static void test_mode(void **state)
{
	(void)state;
	const unsigned STR = RP_CURL_HAS_PROTOCOLS_STR, POLL = RP_CURL_HAS_MULTI_POLL;
	assert_int_equal(rp_curl_pick_mode(0x073d01, 0), 0u);           /* 7.61.1 */
	assert_int_equal(rp_curl_pick_mode(0x074101, 1), 0u);           /* 7.65.1: a stray symbol is not trusted */
	assert_int_equal(rp_curl_pick_mode(0x074200, 1), POLL);         /* 7.66.0 */
	assert_int_equal(rp_curl_pick_mode(0x074200, 0), 0u);           /* ... without the symbol */
	assert_int_equal(rp_curl_pick_mode(0x074c01, 1), POLL);         /* 7.76.1 */
	assert_int_equal(rp_curl_pick_mode(0x075401, 1), POLL);         /* 7.84.1 */
	assert_int_equal(rp_curl_pick_mode(0x075500, 1), STR | POLL);   /* 7.85.0 */
	assert_int_equal(rp_curl_pick_mode(0x075801, 1), STR | POLL);   /* 7.88.1 */
	/* the option numbers spelled out in curl_lazy.h are libcurl's */
	assert_int_equal(RP_CURLOPT_PROTOCOLS, CURLOPT_PROTOCOLS);
#if LIBCURL_VERSION_NUM >= 0x075500
	assert_int_equal(RP_CURLOPT_PROTOCOLS_STR, CURLOPT_PROTOCOLS_STR);
#endif
	/* the loaded library (the build host's) */
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	assert_non_null(v);
	assert_int_equal(rp_curl_mode(), rp_curl_pick_mode(v->version_num, 1));
	assert_non_null(strstr(rp_curl_mode_name(), "CURLOPT_PROTOCOLS"));
}

/* One transfer of url on a fresh handle restricted to https (or http and
 * https): the CURLcode it ends with. Nothing listens on 127.0.0.1:1. */
static CURLcode restricted_transfer(const char *url, int allow_http, unsigned mode)
{
	CURL *h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(rp_curl_restrict_protocols_as(h, allow_http, mode), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L), CURLE_OK);
	CURLM *m = curl_multi_init();
	assert_non_null(m);
	assert_int_equal(curl_multi_add_handle(m, h), CURLM_OK);
	CURLMsg *msg = NULL;
	int running = 1, left, guard = 0;
	while (msg == NULL && guard++ < 500) {
		assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
		msg = curl_multi_info_read(m, &left);
		if (msg == NULL)
			assert_int_equal(rp_curl_multi_sleep_as(m, NULL, 0, 10, mode), CURLM_OK);
	}
	assert_non_null(msg);
	CURLcode rc = msg->data.result;
	assert_int_equal(curl_multi_remove_handle(m, h), CURLM_OK);
	assert_int_equal(curl_multi_cleanup(m), CURLM_OK);
	curl_easy_cleanup(h);
	return rc;
}

static void test_restrict_protocols(void **state)
{
	(void)state;
	/* the loaded library's own mode, then the 7.61 - 7.65 one
	 * (CURLOPT_PROTOCOLS, curl_multi_wait) against the same library */
	const unsigned modes[2] = { rp_curl_mode(), 0u };
	for (int i = 0; i < 2; i++) {
		unsigned md = modes[i];
		/* https only: http and file are refused before any connection */
		assert_int_equal(restricted_transfer("http://127.0.0.1:1/", 0, md), CURLE_UNSUPPORTED_PROTOCOL);
		assert_int_equal(restricted_transfer("file:///etc/hostname", 0, md), CURLE_UNSUPPORTED_PROTOCOL);
		assert_int_equal(restricted_transfer("https://127.0.0.1:1/", 0, md), CURLE_COULDNT_CONNECT);
		/* http allowed: it gets as far as connecting; file stays refused */
		assert_int_equal(restricted_transfer("http://127.0.0.1:1/", 1, md), CURLE_COULDNT_CONNECT);
		assert_int_equal(restricted_transfer("file:///etc/hostname", 1, md), CURLE_UNSUPPORTED_PROTOCOL);
	}
}

/* rp_curl_multi_sleep with nothing to wait on still waits (as
 * curl_multi_poll does), about as long as asked. */
static void test_multi_sleep_idle(void **state)
{
	(void)state;
	CURLM *m = curl_multi_init();
	assert_non_null(m);
	const unsigned modes[2] = { rp_curl_mode(), 0u };
	for (int i = 0; i < 2; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(rp_curl_multi_sleep_as(m, NULL, 0, 30, modes[i]), CURLM_OK);
		clock_gettime(CLOCK_MONOTONIC, &b);
		long ms = (long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		assert_true(ms >= 25);
		assert_true(ms < 3000);
		/* a negative timeout is zero, not forever */
		assert_int_equal(rp_curl_multi_sleep_as(m, NULL, 0, -5, modes[i]), CURLM_OK);
	}
	/* with an extra descriptor that is ready, both return at once */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	for (int i = 0; i < 2; i++) {
		struct curl_waitfd w = { p[0], CURL_WAIT_POLLIN, 0 };
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(rp_curl_multi_sleep_as(m, &w, 1, 2000, modes[i]), CURLM_OK);
		clock_gettime(CLOCK_MONOTONIC, &b);
		long ms = (long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		assert_true(ms < 1000);
		assert_true(w.revents & CURL_WAIT_POLLIN);
	}
	close(p[0]);
	close(p[1]);
	assert_int_equal(curl_multi_cleanup(m), CURLM_OK);
}

/* ---- each option type range, through real handles ---------------------------------------- */

static char g_got[64];
static size_t g_got_len;
static int g_write_calls;

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	size_t n = size * nmemb;
	assert_ptr_equal(ud, g_got);
	if (n > sizeof g_got - g_got_len)
		return 0;
	memcpy(g_got + g_got_len, data, n);
	g_got_len += n;
	g_write_calls++;
	return n;
}

static char g_tmp[64];

static void make_file(const char *content)
{
	snprintf(g_tmp, sizeof g_tmp, "/tmp/rpvault-curl-lazy.XXXXXX");
	int fd = mkstemp(g_tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_easy_setopt_ranges(void **state)
{
	(void)state;
	CURL *h = curl_easy_init();
	assert_non_null(h);
	int marker;
	/* CURLOPTTYPE_LONG: the whole long reaches libcurl (maxredirs below -1
	 * is refused; -2^33 cut to 32 bits would be 0, accepted) */
	assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXREDIRS, -(1L << 33)), CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXREDIRS, -2L), CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXREDIRS, 0L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L), CURLE_OK);
	/* OBJECTPOINT / STRINGPOINT / SLISTPOINT / CBPOINT */
	struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
	assert_non_null(hdrs);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)&marker), CURLE_OK);
#if LIBCURL_VERSION_NUM >= 0x075500
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "file"), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "no-such-scheme"), CURLE_UNSUPPORTED_PROTOCOL);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "file"), CURLE_OK);
#endif
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)g_got), CURLE_OK);
	/* FUNCTIONPOINT */
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write), CURLE_OK);
	/* OFF_T: the full 64-bit value reaches libcurl (below -1 is refused;
	 * -2^32 + 5 cut to 32 bits would be 5, accepted) */
	assert_int_equal(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0x123456789LL), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-5), CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, -(curl_off_t)0x100000000LL + 5),
			 CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-1), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0x100000000LL), CURLE_OK);
	/* BLOB: a pointer to a struct curl_blob (copied by libcurl) */
#if LIBCURL_VERSION_NUM >= 0x074d00
	static char pem[] = "not a certificate";
	struct curl_blob blob = { pem, sizeof pem - 1, CURL_BLOB_COPY };
	CURLcode bc = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	assert_true(bc == CURLE_OK || bc == CURLE_NOT_BUILT_IN); /* the TLS backend decides */
#endif
	/* an unknown option number is refused, not misread */
	assert_int_equal(curl_easy_setopt(h, (CURLoption)9999, 0L), CURLE_UNKNOWN_OPTION);

	/* a transfer without network: file:// through the write callback */
	make_file("lazy libcurl");
	char url[96];
	snprintf(url, sizeof url, "file://%s", g_tmp);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	g_got_len = 0;
	g_write_calls = 0;
	CURLM *m = curl_multi_init();
	assert_non_null(m);
	assert_int_equal(curl_multi_add_handle(m, h), CURLM_OK);
	int running = 1, guard = 0;
	CURLMsg *msg = NULL;
	int left;
	while (msg == NULL && guard++ < 1000) {
		assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
		msg = curl_multi_info_read(m, &left);
		if (msg == NULL && running > 0)
			assert_int_equal(rp_curl_multi_sleep(m, NULL, 0, 10), CURLM_OK);
	}
	assert_non_null(msg);
	assert_int_equal(msg->msg, CURLMSG_DONE);
	assert_ptr_equal(msg->easy_handle, h);
	assert_int_equal(msg->data.result, CURLE_OK);
	assert_true(g_write_calls >= 1);
	assert_int_equal(g_got_len, strlen("lazy libcurl"));
	assert_memory_equal(g_got, "lazy libcurl", g_got_len);

	/* getinfo: a pointer each time, of every answer type */
	char *priv = NULL;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv), CURLE_OK);
	assert_ptr_equal(priv, (char *)&marker);
	curl_off_t got = -1;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got), CURLE_OK);
	assert_int_equal(got, (curl_off_t)strlen("lazy libcurl"));
	char *eff = NULL;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff), CURLE_OK);
	assert_non_null(eff);
	assert_string_equal(eff, url);
	long resp = -1;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp), CURLE_OK);
	assert_int_equal(resp, 0); /* file:// has no status */

	assert_int_equal(curl_multi_remove_handle(m, h), CURLM_OK);
	assert_int_equal(curl_multi_cleanup(m), CURLM_OK);
	curl_easy_reset(h);
	priv = (char *)g_got;
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv), CURLE_OK);
	assert_null(priv); /* reset forwarded */
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	unlink(g_tmp);
}

static int g_timer_calls;
static long g_timer_ms;

static int on_timer(CURLM *m, long timeout_ms, void *ud)
{
	(void)m;
	assert_ptr_equal(ud, &g_timer_calls);
	g_timer_calls++;
	g_timer_ms = timeout_ms;
	return 0;
}

static void test_multi_setopt_ranges(void **state)
{
	(void)state;
	CURLM *m = curl_multi_init();
	assert_non_null(m);
	/* LONG */
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 4L), CURLM_OK);
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 4L), CURLM_OK);
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4L), CURLM_OK);
	/* OBJECTPOINT and FUNCTIONPOINT: libcurl calls the timer callback with
	 * the data pointer when a transfer is added */
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_TIMERDATA, (void *)&g_timer_calls), CURLM_OK);
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer), CURLM_OK);
	/* OFF_T (accepted and ignored since pipelining went away) */
	assert_int_equal(curl_multi_setopt(m, CURLMOPT_CONTENT_LENGTH_PENALTY_SIZE, (curl_off_t)1 << 40), CURLM_OK);
	assert_int_equal(curl_multi_setopt(m, (CURLMoption)9999, 0L), CURLM_UNKNOWN_OPTION);
	CURL *h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "file:///dev/null"), CURLE_OK);
	g_timer_calls = 0;
	assert_int_equal(curl_multi_add_handle(m, h), CURLM_OK);
	assert_true(g_timer_calls >= 1);
	assert_true(g_timer_ms >= 0);
	assert_int_equal(curl_multi_remove_handle(m, h), CURLM_OK);
	curl_easy_cleanup(h);
	assert_int_equal(curl_multi_cleanup(m), CURLM_OK);
}

int main(void)
{
	/* order matters: nothing is loaded before test_load */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_load),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_restrict_protocols),
		cmocka_unit_test(test_multi_sleep_idle),
		cmocka_unit_test(test_easy_setopt_ranges),
		cmocka_unit_test(test_multi_setopt_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
