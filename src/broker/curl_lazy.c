/*
 * curl_lazy.c - libcurl loaded with dlopen when an s3:// store is opened
 * (see curl_lazy.h).
 *
 * What: this file defines, with <curl/curl.h>'s exact prototypes, every
 * libcurl function rpvault calls (s3http.c: easy, multi, slist, global
 * init, strerror; here: curl_version_info). Each forwards through a
 * pointer that rp_curl_load resolved with dlsym from
 * dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL). The binary has no
 * DT_NEEDED on libcurl, so commands that never open an s3:// store
 * (verify DIR, jcs, pack, file:// stores) load none of libcurl's ~30
 * libraries. The three variadic functions read exactly one argument, of
 * the type libcurl itself reads for that option number:
 *   curl_easy_setopt / curl_multi_setopt: CURLOPTTYPE_LONG (< 10000) a
 *     long; OBJECTPOINT/STRINGPOINT/SLISTPOINT/CBPOINT (10000..19999) a
 *     pointer; FUNCTIONPOINT (20000..29999) a function pointer; OFF_T
 *     (30000..39999) a curl_off_t; BLOB (40000..) a pointer;
 *   curl_easy_getinfo: always a pointer (to where the answer goes).
 * Why: ~2 ms and ~6M loader cycles per command, and ~30 libraries mapped
 * into every process including the confined child, for a feature most
 * commands do not use.
 *
 * Security posture: BROKER code.
 *  - Fixed soname, never a path or a name from configuration, environment
 *    or a store: dlopen is not reachable from untrusted input. The search
 *    is the dynamic loader's, as it was for the DT_NEEDED entry this
 *    replaces (ld.so.cache, system directories; LD_LIBRARY_PATH only when
 *    the loader honours it, i.e. not in secure-execution mode).
 *  - RTLD_NOW: every libcurl symbol is bound at load, none lazily later;
 *    RTLD_LOCAL: libcurl's symbols do not join the global scope. Once
 *    loaded, libcurl is never unloaded and rp_curl_load is idempotent (a
 *    load that fails its checks is dlclose'd and leaves nothing behind).
 *  - Loaded only in the broker, only from rp_s3_open, i.e. only when the
 *    command's store is s3://. The confined child is forked from the
 *    broker afterwards, so for such a command libcurl IS mapped in the
 *    child too (fork copies the address space); the child cannot use it
 *    for anything: its seccomp filter allows no socket/connect and it
 *    holds no credentials (they are wiped in every child). What this file
 *    removes is libcurl from the child of every other command.
 *  - The resolved pointers live in a page of their own that is made
 *    read-only (mprotect) once filled, like the GOT under -z relro,-z now
 *    (skipped, pointers left writable, on a system whose page size exceeds
 *    4 KiB).
 *  - Before a successful load every forwarder fails safely: CURLE_FAILED_INIT,
 *    CURLM_INTERNAL_ERROR, NULL, a fixed string, or nothing for the void
 *    ones; it never calls through an unset pointer.
 *  - libcurl is refused when older than RP_CURL_MIN_VERSION (7.61.0); on
 *    7.61 - 7.84 the scheme restriction uses CURLOPT_PROTOCOLS instead of
 *    CURLOPT_PROTOCOLS_STR, and before 7.66 curl_multi_wait (with a sleep
 *    of our own) stands in for curl_multi_poll - same restriction, same
 *    waiting (curl_lazy.h).
 * Not thread-safe: the broker loads libcurl from its only thread.
 */
/* The definitions below must not be rewritten by typecheck-gcc.h's
 * curl_easy_setopt/curl_easy_getinfo macros. */
#define CURL_DISABLE_TYPECHECK 1

#include "curl_lazy.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../common/path.h"

#ifndef CURLOPTTYPE_BLOB /* headers before 7.71.0 */
#define CURLOPTTYPE_BLOB 40000
#endif

struct fns {
	CURLcode (*global_init)(long);
	curl_version_info_data *(*version_info)(CURLversion);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_wait)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
	CURLMcode (*multi_timeout)(CURLM *, long *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	/* optional: NULL before 7.66.0 (mode says whether it is used) */
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
	unsigned mode; /* RP_CURL_HAS_* */
	int loaded;    /* set last, with every required pointer above non-NULL */
};

/* A function pointer, whatever its type, as va_arg reads it. */
typedef void (*any_fn)(void);

#define TABLE_PAGE 4096
_Static_assert(sizeof(struct fns) <= TABLE_PAGE, "the table fits its page");

/* A page of its own, so that it alone can be made read-only. Zero (not
 * loaded) until rp_curl_load fills it. */
static union {
	struct fns f;
	unsigned char page[TABLE_PAGE];
} tbl __attribute__((aligned(TABLE_PAGE)));

#define F (tbl.f)

int rp_curl_version_ok(unsigned version_num)
{
	return version_num >= RP_CURL_MIN_VERSION;
}

unsigned rp_curl_pick_mode(unsigned version_num, int has_multi_poll)
{
	unsigned m = 0;
	if (version_num >= RP_CURL_PROTOCOLS_STR_SINCE)
		m |= RP_CURL_HAS_PROTOCOLS_STR;
	if (version_num >= RP_CURL_MULTI_POLL_SINCE && has_multi_poll)
		m |= RP_CURL_HAS_MULTI_POLL;
	return m;
}

unsigned rp_curl_mode(void)
{
	return F.loaded ? F.mode : 0u;
}

const char *rp_curl_mode_name(void)
{
	static const char *const names[4] = {
		"curl_multi_wait, CURLOPT_PROTOCOLS",
		"curl_multi_wait, CURLOPT_PROTOCOLS_STR",
		"curl_multi_poll, CURLOPT_PROTOCOLS",
		"curl_multi_poll, CURLOPT_PROTOCOLS_STR",
	};
	return F.loaded ? names[F.mode & 3u] : "libcurl not loaded";
}

int rp_curl_loaded(void)
{
	return F.loaded;
}

/* dlerror() text (a path and a reason from the loader), made printable. */
static const char *why(char *out, size_t cap)
{
	const char *e = dlerror();
	if (e == NULL)
		e = "unknown reason";
	return rp_printable(e, strlen(e), out, cap);
}

#define RESOLVE(field, sym)                                         \
	do {                                                        \
		void *p_ = dlsym(h, sym);                           \
		if (p_ == NULL) {                                   \
			missing = sym;                              \
			goto fail;                                  \
		}                                                   \
		f.field = (__typeof__(f.field))p_;                  \
	} while (0)

int rp_curl_load(rp_err *err)
{
	if (F.loaded)
		return 0;
	char reason[512];
	struct fns f;
	const char *missing = NULL;
	memset(&f, 0, sizeof f);
	(void)dlerror(); /* clear a stale message */
	void *h = dlopen(RP_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return rp_err_set(err, RP_E_IO, "libcurl (%s) is needed for s3:// stores: %s", RP_CURL_SONAME,
				  why(reason, sizeof reason));
	RESOLVE(global_init, "curl_global_init");
	RESOLVE(version_info, "curl_version_info");
	RESOLVE(easy_init, "curl_easy_init");
	RESOLVE(easy_cleanup, "curl_easy_cleanup");
	RESOLVE(easy_reset, "curl_easy_reset");
	RESOLVE(easy_setopt, "curl_easy_setopt");
	RESOLVE(easy_getinfo, "curl_easy_getinfo");
	RESOLVE(easy_strerror, "curl_easy_strerror");
	RESOLVE(slist_append, "curl_slist_append");
	RESOLVE(slist_free_all, "curl_slist_free_all");
	RESOLVE(multi_init, "curl_multi_init");
	RESOLVE(multi_cleanup, "curl_multi_cleanup");
	RESOLVE(multi_setopt, "curl_multi_setopt");
	RESOLVE(multi_add_handle, "curl_multi_add_handle");
	RESOLVE(multi_remove_handle, "curl_multi_remove_handle");
	RESOLVE(multi_perform, "curl_multi_perform");
	RESOLVE(multi_wait, "curl_multi_wait");
	RESOLVE(multi_timeout, "curl_multi_timeout");
	RESOLVE(multi_info_read, "curl_multi_info_read");
	f.multi_poll = (__typeof__(f.multi_poll))dlsym(h, "curl_multi_poll"); /* optional */

	const curl_version_info_data *v = f.version_info(CURLVERSION_NOW);
	if (v == NULL || !rp_curl_version_ok(v->version_num)) {
		unsigned n = v != NULL ? v->version_num : 0;
		(void)dlclose(h);
		return rp_err_set(err, RP_E_IO,
				  "libcurl (%s) is needed for s3:// stores: version %u.%u.%u is too old (%u.%u.%u or newer)",
				  RP_CURL_SONAME, (n >> 16) & 0xffu, (n >> 8) & 0xffu, n & 0xffu,
				  (RP_CURL_MIN_VERSION >> 16) & 0xffu, (RP_CURL_MIN_VERSION >> 8) & 0xffu,
				  RP_CURL_MIN_VERSION & 0xffu);
	}

	f.mode = rp_curl_pick_mode(v->version_num, f.multi_poll != NULL);
#ifdef RP_S3HTTP_TEST_HOOKS
	/* Test builds only (tests/s3/s3http_drive.c; rpvault never has it):
	 * run the transport the way it runs on libcurl 7.61 - 7.65. */
	if (getenv("RP_TEST_CURL_LEGACY") != NULL)
		f.mode = 0;
#endif
	f.loaded = 1;
	tbl.f = f;
	long pg = sysconf(_SC_PAGESIZE);
	if (pg > 0 && pg <= TABLE_PAGE && TABLE_PAGE % pg == 0 &&
	    mprotect(tbl.page, sizeof tbl.page, PROT_READ) != 0) {
		explicit_bzero(tbl.page, sizeof tbl.page);
		(void)dlclose(h);
		return rp_err_set(err, RP_E_IO, "libcurl (%s): cannot protect its function table", RP_CURL_SONAME);
	}
	return 0;

fail:
	(void)dlclose(h);
	return rp_err_set(err, RP_E_IO, "libcurl (%s) is needed for s3:// stores: it lacks %s", RP_CURL_SONAME,
			  missing);
}

/* ---- the forwarders ---------------------------------------------------------------------- */

CURLcode curl_global_init(long flags)
{
	return F.loaded ? F.global_init(flags) : CURLE_FAILED_INIT;
}

curl_version_info_data *curl_version_info(CURLversion age)
{
	return F.loaded ? F.version_info(age) : NULL;
}

CURL *curl_easy_init(void)
{
	return F.loaded ? F.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *curl)
{
	if (F.loaded)
		F.easy_cleanup(curl);
}

void curl_easy_reset(CURL *curl)
{
	if (F.loaded)
		F.easy_reset(curl);
}

/* One argument, read with the type libcurl reads for option's range. */
#define FORWARD_OPTION(fn, handle, option, ap, rc)                                        \
	do {                                                                              \
		if ((option) < CURLOPTTYPE_OBJECTPOINT)                                   \
			(rc) = fn((handle), (option), va_arg((ap), long));                \
		else if ((option) < CURLOPTTYPE_FUNCTIONPOINT)                            \
			(rc) = fn((handle), (option), va_arg((ap), void *));              \
		else if ((option) < CURLOPTTYPE_OFF_T)                                    \
			(rc) = fn((handle), (option), va_arg((ap), any_fn));            \
		else if ((option) < CURLOPTTYPE_BLOB)                                     \
			(rc) = fn((handle), (option), va_arg((ap), curl_off_t));          \
		else                                                                      \
			(rc) = fn((handle), (option), va_arg((ap), void *));              \
	} while (0)

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	if (!F.loaded)
		return CURLE_FAILED_INIT;
	CURLcode rc;
	va_list ap;
	va_start(ap, option);
	FORWARD_OPTION(F.easy_setopt, curl, option, ap, rc);
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	if (!F.loaded)
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	void *where = va_arg(ap, void *);
	va_end(ap);
	return F.easy_getinfo(curl, info, where);
}

const char *curl_easy_strerror(CURLcode code)
{
	return F.loaded ? F.easy_strerror(code) : "libcurl is not loaded";
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
	return F.loaded ? F.slist_append(list, data) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (F.loaded)
		F.slist_free_all(list);
}

CURLM *curl_multi_init(void)
{
	return F.loaded ? F.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi_handle)
{
	return F.loaded ? F.multi_cleanup(multi_handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_setopt(CURLM *multi_handle, CURLMoption option, ...)
{
	if (!F.loaded)
		return CURLM_INTERNAL_ERROR;
	CURLMcode rc;
	va_list ap;
	va_start(ap, option);
	FORWARD_OPTION(F.multi_setopt, multi_handle, option, ap, rc);
	va_end(ap);
	return rc;
}

CURLMcode curl_multi_add_handle(CURLM *multi_handle, CURL *curl_handle)
{
	return F.loaded ? F.multi_add_handle(multi_handle, curl_handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *multi_handle, CURL *curl_handle)
{
	return F.loaded ? F.multi_remove_handle(multi_handle, curl_handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_perform(CURLM *multi_handle, int *running_handles)
{
	return F.loaded ? F.multi_perform(multi_handle, running_handles) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_wait(CURLM *multi_handle, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
			  int timeout_ms, int *ret)
{
	return F.loaded ? F.multi_wait(multi_handle, extra_fds, extra_nfds, timeout_ms, ret) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_timeout(CURLM *multi_handle, long *milliseconds)
{
	return F.loaded ? F.multi_timeout(multi_handle, milliseconds) : CURLM_INTERNAL_ERROR;
}

/* ---- the newer calls and their older stand-ins (see curl_lazy.h) -------------------------- */

CURLcode rp_curl_restrict_protocols(CURL *h, int allow_http)
{
	return rp_curl_restrict_protocols_as(h, allow_http, F.mode);
}

CURLcode rp_curl_restrict_protocols_as(CURL *h, int allow_http, unsigned mode)
{
	if (!F.loaded)
		return CURLE_FAILED_INIT;
	if (mode & RP_CURL_HAS_PROTOCOLS_STR)
		return F.easy_setopt(h, RP_CURLOPT_PROTOCOLS_STR, allow_http ? "http,https" : "https");
	long mask = CURLPROTO_HTTPS | (allow_http ? CURLPROTO_HTTP : 0);
	return F.easy_setopt(h, RP_CURLOPT_PROTOCOLS, mask);
}

static uint64_t mono_ms(void)
{
	struct timespec t;
	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

CURLMcode rp_curl_multi_sleep(CURLM *m, struct curl_waitfd extra_fds[], unsigned extra_nfds, int timeout_ms)
{
	return rp_curl_multi_sleep_as(m, extra_fds, extra_nfds, timeout_ms, F.mode);
}

CURLMcode rp_curl_multi_sleep_as(CURLM *m, struct curl_waitfd extra_fds[], unsigned extra_nfds, int timeout_ms,
				 unsigned mode)
{
	if (!F.loaded)
		return CURLM_INTERNAL_ERROR;
	if (timeout_ms < 0)
		timeout_ms = 0;
	if ((mode & RP_CURL_HAS_MULTI_POLL) && F.multi_poll != NULL)
		return F.multi_poll(m, extra_fds, extra_nfds, timeout_ms, NULL);
	uint64_t t0 = mono_ms();
	int events = 0;
	CURLMcode rc = F.multi_wait(m, extra_fds, extra_nfds, timeout_ms, &events);
	if (rc != CURLM_OK || events != 0 || extra_nfds != 0)
		return rc; /* with an extra fd there was always something to wait on */
	/* No event: either the time passed, or libcurl had no socket to offer
	 * and returned at once. Sleep out the rest, but wake for libcurl's own
	 * next timeout (a connect or retry timer it runs without a socket). */
	uint64_t spent = mono_ms() - t0;
	if (spent >= (uint64_t)timeout_ms)
		return rc;
	long left = (long)((uint64_t)timeout_ms - spent), inner = -1;
	if (F.multi_timeout(m, &inner) == CURLM_OK && inner >= 0 && inner < left)
		left = inner;
	if (left > 0) {
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		(void)nanosleep(&ts, NULL);
	}
	return rc;
}

CURLMsg *curl_multi_info_read(CURLM *multi_handle, int *msgs_in_queue)
{
	return F.loaded ? F.multi_info_read(multi_handle, msgs_in_queue) : NULL;
}
