#!/bin/sh
# sbom.sh TARBALL VERSION - print an SPDX 2.3 JSON SBOM for the release
# tarball: rpvault itself plus every build, test and runtime dependency as
# the Debian package installed on this machine, with its exact version
# (dpkg-query) and a purl. Called by dist.sh.
#
# Why: reviewers of an air-gapped install need to know which library
# versions the packages were built and tested against.
# Where the list comes from, so it cannot drift from the build:
#   build    - Build-Depends of packaging/deb/debian/control, the packages
#              owning $RP_CC (the compiler), the linker, make, awk, libc6-dev;
#   runtime  - the packages owning the shared libraries behind each -lNAME
#              in $RP_LIBS (the Makefile's LIBS), libc6, and adduser (used
#              by the .deb's maintainer scripts);
#   test     - libcmocka-dev (unit tests only).
# A Build-Depends package whose library is not in LIBS is listed with a
# comment saying so; libcurl, dlopen()ed for s3:// stores, is added explicitly.
# Security posture: read-only queries of the dpkg database; fails rather
# than writing an SBOM with a missing or unknown version. Deterministic for
# a given machine state (created = $SOURCE_DATE_EPOCH).
set -eu

TARBALL=${1:?usage: sbom.sh TARBALL VERSION}
VERSION=${2:?usage: sbom.sh TARBALL VERSION}
top=$(cd "$(dirname "$0")/.." && pwd)
CC=${RP_CC:-cc}
LIBS=${RP_LIBS:--lbearssl -lseccomp -lcap-ng}
CONTROL=$top/packaging/deb/debian/control

die() { echo "sbom: $*" >&2; exit 1; }
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query is required (the SBOM lists Debian packages)"
[ -f "$CONTROL" ] || die "missing $CONTROL"
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-sbom.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# physical PATH: PATH with its directories resolved, last component kept
# (a -dev package owns the libNAME.so symlink, not its target).
physical() {
	d=$(cd "$(dirname "$1")" 2>/dev/null && pwd -P) || return 1
	printf '%s/%s\n' "$d" "$(basename "$1")"
}
# add ROLE PKG COMMENT: one dependency line in $tmp/deps
add() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tmp/deps"
}
# addpath ROLE PATH COMMENT: the package owning PATH, resolved below
addpath() {
	case $2 in
	/*) printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tmp/paths" ;;
	*) die "cannot locate the file for: $3" ;;
	esac
}
: >"$tmp/deps"
: >"$tmp/paths"

# Runtime: the library behind each -lNAME, and libc.
for l in $LIBS; do
	case $l in
	-l*) ;;
	*) continue ;;
	esac
	name=${l#-l}
	so=$("$CC" -print-file-name="lib$name.so")
	[ "$so" != "lib$name.so" ] || die "$CC cannot find lib$name.so (install its -dev package)"
	addpath runtime "$(readlink -f "$so")" "shared library lib$name (linked with $l)"
	addpath build "$(physical "$so")" "headers and link library for $l"
done
# libcurl is not in LIBS: the broker dlopen()s libcurl.so.4 for s3:// stores
# only (src/broker/curl_lazy.c), so it is a runtime Depends all the same.
so=$("$CC" -print-file-name=libcurl.so)
[ "$so" != libcurl.so ] || die "$CC cannot find libcurl.so (install libcurl4-openssl-dev)"
addpath runtime "$(readlink -f "$so")" "shared library libcurl (dlopen()ed for s3:// stores)"
addpath build "$(physical "$so")" "headers for the S3 transport (curl/curl.h)"
addpath runtime "$(readlink -f "$("$CC" -print-file-name=libc.so.6)")" "C library"
add runtime adduser "creates the rpvault account in the .deb's postinst"

# Build: the toolchain actually used.
ccpath=$(command -v "$CC") || die "compiler $CC not found"
addpath build "$(readlink -f "$ccpath")" "C compiler ($CC)"
ld=$("$CC" -print-prog-name=ld)
case $ld in
*/*) ;;
*) ld=$(command -v "$ld") || die "linker not found" ;;
esac
addpath build "$(readlink -f "$ld")" "linker"
addpath build "$(readlink -f "$(command -v make)")" "make"
addpath build "$(readlink -f "$(command -v awk)")" "awk (generates the seccomp policy table)"
addpath build "$(physical "$("$CC" -print-file-name=libc.so)")" "C library headers"

# One dpkg-query call for every path (it is slow per call). On merged-/usr
# systems dpkg may know a file under /lib rather than /usr/lib: ask both.
cut -f2 "$tmp/paths" | while IFS= read -r p; do
	printf '%s\n' "$p"
	case $p in /usr/*) printf '%s\n' "${p#/usr}" ;; esac
done | LC_ALL=C sort -u >"$tmp/queries"
! grep -q '[[:space:]]' "$tmp/queries" || die "a dependency path contains blanks"
# shellcheck disable=SC2046 # paths have no blanks (checked just above)
dpkg-query -S $(cat "$tmp/queries") 2>/dev/null | grep -v '^diversion' >"$tmp/owners" || true
awk -F '\t' '
	NR == FNR { i = index($0, ": "); o = substr($0, 1, i - 1); sub(/,.*/, "", o)
		    f = substr($0, i + 2); if (!(f in own)) own[f] = o; next }
	{ p = $2; q = p; sub(/^\/usr/, "", q)
	  o = (p in own) ? own[p] : (q in own) ? own[q] : ""
	  if (o == "") { print "sbom: no installed package owns " p " (" $3 ")" > "/dev/stderr"; bad = 1; next }
	  printf "%s\t%s\t%s\n", $1, o, $3 }
	END { exit bad }
' "$tmp/owners" "$tmp/paths" >>"$tmp/deps" || die "cannot name the package of every dependency"
linked_dev=$(awk -F '\t' '$3 ~ /^headers and link library/ { sub(/:.*/, "", $2); printf " %s", $2 }' "$tmp/deps")

# Build-Depends from the Debian control file (names only).
awk '
	/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); }
	on && /^[^ \t]/ && !/^Build-Depends:/ { on = 0 }
	on { print }
' "$CONTROL" | tr ',' '\n' | sed 's/[[:space:]]//g; s/(.*//; s/\[.*//; /^$/d' | while IFS= read -r pkg; do
	case $pkg in
	debhelper-compat) add build debhelper "Debian package build helper (debhelper-compat)" ;;
	libcmocka-dev) add test "$pkg" "unit test framework (make check)" ;;
	*-dev)
		case " $linked_dev " in
		*" $pkg "*) ;; # already listed with its library
		*) add build "$pkg" "in Build-Depends; not linked by this version" ;;
		esac ;;
	*) add build "$pkg" "in Build-Depends" ;;
	esac
done

# Resolve versions (one dpkg-query call); one entry per (role, package).
LC_ALL=C sort -u "$tmp/deps" >"$tmp/deps.sorted"
# shellcheck disable=SC2046 # package names have no blanks
dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n' \
	$(cut -f2 "$tmp/deps.sorted" | LC_ALL=C sort -u) >"$tmp/versions" 2>/dev/null || true
awk -F '\t' '
	NR == FNR { if ($4 ~ /^ii/) { n = $1; if (!(n in v)) { v[n] = $2; a[n] = $3 }
				      if (!(n ":" $3 in v)) { v[n ":" $3] = $2; a[n ":" $3] = $3 } } next }
	{ if (!($2 in v)) { print "sbom: " $2 " is not installed (install the build dependencies first: make deps)" > "/dev/stderr"; bad = 1; next }
	  p = $2; sub(/:.*/, "", p); printf "%s\t%s\t%s\t%s\t%s\n", $1, p, v[$2], a[$2], $3 }
	END { exit bad }
' "$tmp/versions" "$tmp/deps.sorted" >"$tmp/resolved" || die "missing packages"

sha=$(sha256sum "$TARBALL" | cut -d' ' -f1)
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
distro=$(. /etc/os-release 2>/dev/null && printf '%s-%s' "${ID:-debian}" "${VERSION_ID:-unknown}")

# VERSION passed the dist.sh check ([0-9A-Za-z.+~-]); package names,
# versions and comments have no quotes or backslashes, but the awk below
# escapes them anyway. One awk pass (forks are slow).
LC_ALL=C sort -t "$(printf '\t')" -k2,2 -k1,1 -u "$tmp/resolved" | awk -F '\t' \
	-v version="$VERSION" -v sha="$sha" -v created="$created" -v distro="$distro" '
function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
function purlv(s) { gsub(/%/, "%25", s); gsub(/\+/, "%2B", s); gsub(/:/, "%3A", s); return s }
function spdxid(s) { gsub(/[^A-Za-z0-9.-]/, "-", s); return "SPDXRef-Deb-" s }
{
	if (!($2 in ver)) { order[++n] = $2; ver[$2] = $3; arch[$2] = $4 }
	comment[$2] = (comment[$2] == "" ? "" : comment[$2] "; ") $1 ": " $5
	rel[++m] = $2; role[m] = $1
}
END {
	printf "{\n"
	printf "  \"spdxVersion\": \"SPDX-2.3\",\n"
	printf "  \"dataLicense\": \"CC0-1.0\",\n"
	printf "  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n"
	printf "  \"name\": \"rpvault-%s\",\n", js(version)
	printf "  \"documentNamespace\": \"https://rpvault.invalid/spdx/rpvault-%s-%s\",\n", js(version), sha
	printf "  \"creationInfo\": {\n"
	printf "    \"created\": \"%s\",\n", created
	printf "    \"creators\": [\"Tool: rpvault-packaging-sbom.sh-%s\"],\n", js(version)
	printf "    \"comment\": \"Dependencies as installed on the %s machine that ran make dist; versions from dpkg-query.\"\n", js(distro)
	printf "  },\n"
	printf "  \"documentDescribes\": [\"SPDXRef-Package-rpvault\"],\n"
	printf "  \"packages\": [\n"
	printf "    {\n"
	printf "      \"name\": \"rpvault\",\n"
	printf "      \"SPDXID\": \"SPDXRef-Package-rpvault\",\n"
	printf "      \"versionInfo\": \"%s\",\n", js(version)
	printf "      \"packageFileName\": \"rpvault-%s.tar.gz\",\n", js(version)
	printf "      \"downloadLocation\": \"NOASSERTION\",\n"
	printf "      \"filesAnalyzed\": false,\n"
	printf "      \"checksums\": [{\"algorithm\": \"SHA256\", \"checksumValue\": \"%s\"}],\n", sha
	printf "      \"licenseConcluded\": \"Apache-2.0\",\n"
	printf "      \"licenseDeclared\": \"Apache-2.0\",\n"
	printf "      \"copyrightText\": \"NOASSERTION\",\n"
	printf "      \"primaryPackagePurpose\": \"SOURCE\"\n"
	printf "    }"
	for (i = 1; i <= n; i++) {
		p = order[i]
		printf ",\n    {\n"
		printf "      \"name\": \"%s\",\n", js(p)
		printf "      \"SPDXID\": \"%s\",\n", spdxid(p)
		printf "      \"versionInfo\": \"%s\",\n", js(ver[p])
		printf "      \"supplier\": \"Organization: Debian\",\n"
		printf "      \"downloadLocation\": \"NOASSERTION\",\n"
		printf "      \"filesAnalyzed\": false,\n"
		printf "      \"licenseConcluded\": \"NOASSERTION\",\n"
		printf "      \"licenseDeclared\": \"NOASSERTION\",\n"
		printf "      \"copyrightText\": \"NOASSERTION\",\n"
		printf "      \"primaryPackagePurpose\": \"%s\",\n", (p ~ /^lib/ ? "LIBRARY" : "APPLICATION")
		printf "      \"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:deb/debian/%s@%s?arch=%s&distro=%s\"}],\n", js(p), js(purlv(ver[p])), js(arch[p]), js(distro)
		printf "      \"comment\": \"%s\"\n", js(comment[p])
		printf "    }"
	}
	printf "\n  ],\n"
	printf "  \"relationships\": [\n"
	printf "    {\"spdxElementId\": \"SPDXRef-DOCUMENT\", \"relationshipType\": \"DESCRIBES\", \"relatedSpdxElement\": \"SPDXRef-Package-rpvault\"}"
	for (i = 1; i <= m; i++) {
		r = role[i] == "runtime" ? "RUNTIME_DEPENDENCY_OF" : role[i] == "test" ? "TEST_DEPENDENCY_OF" : "BUILD_DEPENDENCY_OF"
		printf ",\n    {\"spdxElementId\": \"%s\", \"relationshipType\": \"%s\", \"relatedSpdxElement\": \"SPDXRef-Package-rpvault\"}", spdxid(rel[i]), r
	}
	printf "\n  ]\n}\n"
}'
