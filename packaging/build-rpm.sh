#!/bin/sh
# build-rpm.sh TARBALL OUTDIR - build the rpvault binary and source RPMs from
# the release tarball (make dist) with packaging/rpm/rpvault.spec. Called by
# "make rpm".
#
# Why: one source tarball for both package formats. On Debian, rpmbuild has
# no RPM database of installed build dependencies, so it runs with --nodeps;
# the Debian Build-Depends provide the same libraries. The source RPM
# (spec + tarball) is what a RHEL-family build host rebuilds offline
# (docs/packaging.md).
# Security posture: writes only OUTDIR and its sibling rpmbuild-topdir
# (removed afterwards); no network.
# Build time and file mtimes come from SOURCE_DATE_EPOCH (the last commit's
# time by default) so rebuilds compare equal where rpm allows.
set -eu

TARBALL=${1:?usage: build-rpm.sh TARBALL OUTDIR}
OUT=${2:?usage: build-rpm.sh TARBALL OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
SPEC=$top/packaging/rpm/rpvault.spec

die() { echo "rpm: $*" >&2; exit 1; }
# A parent make's flags and command-line variables (e.g. "make deb
# SANITIZE=address") must not leak into the package build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE
command -v rpmbuild >/dev/null 2>&1 || die "rpmbuild missing (apt-get install rpm)"
[ -f "$TARBALL" ] || die "no tarball $TARBALL (run make dist)"

base=$(basename "$TARBALL" .tar.gz)
VERSION=${base#rpvault-}
specver=$(sed -n 's/^Version:[[:space:]]*//p' "$SPEC")
[ "$specver" = "$VERSION" ] ||
	die "packaging/rpm/rpvault.spec is at Version $specver but VERSION is $VERSION: update it and %changelog"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(cd "$top" && git log -1 --format=%ct 2>/dev/null) || SOURCE_DATE_EPOCH=
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# A fixed _topdir beside OUTDIR, not a random temporary name: rpm records
# build paths in its headers (the source RPM's spec, OPTFLAGS), so only a
# fixed path lets a rebuild in the same build directory repeat the bytes.
tmp=$(dirname "$OUT")/rpmbuild-topdir
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/SOURCES" "$tmp/SPECS" "$tmp/BUILD" "$tmp/RPMS" "$tmp/SRPMS"
cp "$TARBALL" "$tmp/SOURCES/"
cp "$SPEC" "$tmp/SPECS/"

set -- --define "_topdir $tmp" --define "_tmppath $tmp/tmp"
if [ -n "$SOURCE_DATE_EPOCH" ]; then
	export SOURCE_DATE_EPOCH
	set -- "$@" --define "use_source_date_epoch_as_buildtime 1" \
		--define "clamp_mtime_to_source_date_epoch 1" \
		--define "_buildhost reproducible"
fi
# Debian's rpm 4.18 runs brp-compress (which uses bash's "read -d") with
# /bin/sh, i.e. dash, so man pages stay uncompressed; run it with bash.
# Only the interpreter changes; the macro is otherwise rpm's own.
if [ -r /etc/debian_version ] && command -v bash >/dev/null 2>&1; then
	post=$(rpm --eval '%{__os_install_post}' |
		sed '/^[[:space:]]*$/d; s|^[[:space:]]*||; s|^/usr/lib/rpm/brp-compress|bash &|')
	set -- "$@" --define "__os_install_post $post"
fi
# Debian's rpm has no find-debuginfo/debugedit pass to rewrite the build
# directory out of the debug info, so map it away, as dpkg-buildflags does
# for the .deb.
if [ -r /etc/debian_version ]; then
	set -- "$@" --define "optflags $(rpm --eval '%{optflags}') -ffile-prefix-map=$tmp/BUILD/$base=."
fi
# RPM_BEARSSL_DIR: link BearSSL statically from DIR/lib/libbearssl.a with
# headers in DIR/inc (for hosts without a BearSSL package; docs/packaging.md).
if [ -n "${RPM_BEARSSL_DIR:-}" ]; then
	[ -f "$RPM_BEARSSL_DIR/lib/libbearssl.a" ] && [ -f "$RPM_BEARSSL_DIR/inc/bearssl.h" ] ||
		die "RPM_BEARSSL_DIR=$RPM_BEARSSL_DIR needs lib/libbearssl.a and inc/bearssl.h"
	[ ! -e "$RPM_BEARSSL_DIR/lib/libbearssl.so" ] ||
		die "$RPM_BEARSSL_DIR/lib must hold only libbearssl.a (a .so there would be linked instead)"
	set -- "$@" --define "bearssl_dir $RPM_BEARSSL_DIR"
fi
mkdir -p "$tmp/tmp"
echo "rpm: building in $tmp"
if ! rpmbuild -ba --nodeps "$@" "$tmp/SPECS/rpvault.spec" >"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log" >&2
	cp "$tmp/build.log" "$OUT/build-rpm.log"
	die "rpmbuild failed (full log: $OUT/build-rpm.log)"
fi
cp "$tmp/build.log" "$OUT/build-rpm.log"
n=0
for f in "$tmp"/RPMS/*/*.rpm "$tmp"/SRPMS/*.rpm; do
	[ -f "$f" ] || continue
	cp "$f" "$OUT/"
	echo "rpm: $OUT/$(basename "$f")"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "rpmbuild produced nothing"
