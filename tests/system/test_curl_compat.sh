#!/bin/sh
# test_curl_compat.sh - the broker's source needs nothing from libcurl that
# is newer than the minimum src/broker/curl_lazy.h names (7.61.0, RHEL 8):
# every CURL* symbol and curl_*() call in src/broker is looked up in
# libcurl's own record of when it appeared (the libcurl4-doc man pages,
# tests/s3/curl_versions.py). The machine has only a newer libcurl, so
# this is what catches a newer option or call before a RHEL build does.
# Then the checker itself: a newer option and call are caught, a name that
# is only mentioned (comment, string) or defined by the file is not.
#
# Skips (a "# skipped" line, exit 0) when the man pages cannot be had
# (not installed, apt unreachable) unless CI=true, where it must run.
# Security posture: test code; reads the sources and the man pages.
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$top/tests/s3/curl_versions.py"
MIN=$(sed -n 's/^#define RP_CURL_MIN_VERSION \(0x[0-9a-fA-F]*\)u$/\1/p' "$top/src/broker/curl_lazy.h")
if [ -z "$MIN" ]; then
	RC=1
	fail "RP_CURL_MIN_VERSION is found in src/broker/curl_lazy.h"
	exit 0
fi

man3=/usr/share/man/man3
if [ ! -e "$man3/libcurl-symbols.3.gz" ]; then
	# Installed without man pages (a dpkg path-exclude): the package itself.
	if (cd "$T" && apt-get download libcurl4-doc >/dev/null 2>&1 &&
		dpkg-deb -x libcurl4-doc_*.deb doc) 2>/dev/null; then
		man3="$T/doc/usr/share/man/man3"
	fi
fi
if [ ! -e "$man3/libcurl-symbols.3.gz" ]; then
	if [ "${CI:-}" = true ]; then
		RC=1
		fail "libcurl's man pages (libcurl4-doc) are available"
	else
		echo "# skipped: libcurl4-doc's man pages are not installed and cannot be fetched"
	fi
	exit 0
fi

# ---- the broker -------------------------------------------------------------------
run python3 "$CHECK" "$man3" "$MIN" "$top"/src/broker/*.c "$top"/src/broker/*.h
cat "$T/.out"
if [ "$RC" != 0 ] && ! grep -q '^not ok' "$T/.out"; then
	fail "curl_versions.py checks src/broker"
fi

# ---- the checker ---------------------------------------------------------------------
cat >"$T/newer.c" <<'C'
/* CURLOPT_AWS_SIGV4 named in a comment does not count */
static const char *name = "curl_multi_wakeup";
int use(CURL *h, CURLM *m)
{
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	return curl_multi_poll(m, 0, 0, 10, 0);
}
C
run python3 "$CHECK" "$man3" 0x073d00 "$T/newer.c"
if [ "$RC" = 1 ] && grep -q '^not ok - CURLOPT_PROTOCOLS_STR .* appeared in libcurl 7\.85\.0, after 7\.61\.0' "$T/.out" &&
	grep -q '^not ok - curl_multi_poll() .* appeared in libcurl 7\.66\.0' "$T/.out" &&
	! grep -q 'AWS_SIGV4\|curl_multi_wakeup' "$T/.out"; then
	pass "the checker catches a newer option and call, not mere mentions"
else
	fail "the checker catches a newer option and call, not mere mentions"
fi
run python3 "$CHECK" "$man3" 0x075500 "$T/newer.c"
expect "the same file is fine for libcurl 7.85.0" 0 "ok - all"
cat >"$T/fallback.c" <<'C'
#ifndef CURLOPTTYPE_BLOB
#define CURLOPTTYPE_BLOB 40000
#endif
long kind(long option) { return option < CURLOPTTYPE_BLOB ? CURLE_OK : CURLE_UNKNOWN_OPTION; }
C
run python3 "$CHECK" "$man3" 0x073d00 "$T/fallback.c"
expect "a fallback the file defines itself is not libcurl's" 0 "ok - all"
printf 'int x = CURLOPT_NO_SUCH_THING;\n' >"$T/unknown.c"
run python3 "$CHECK" "$man3" 0x073d00 "$T/unknown.c"
expect "an unknown CURL name is reported, not passed" 1 "CURLOPT_NO_SUCH_THING"
exit 0
