#!/bin/sh
# build-deb.sh TARBALL OUTDIR [REVISION_SUFFIX] - build the rpvault .deb from
# the release tarball (make dist), never from the git tree. Called by
# "make deb".
#
# Why: what is accredited is the tarball; building the package from it
# proves the tarball is complete. The tarball is unpacked in a temporary
# directory, used as the .orig.tar.gz, packaging/deb/debian is copied in and
# dpkg-buildpackage -b -us -uc builds it (unsigned: sign the .changes or
# the checksum file with your site's key afterwards).
# REVISION_SUFFIX (for tests) adds a changelog entry with version
# <current>SUFFIX in the temporary copy, e.g. "+rebuild1" for an upgrade test.
# Security posture: writes only a temporary directory and OUTDIR; needs the
# Build-Depends installed (dpkg-checkbuilddeps refuses otherwise); no network.
set -eu

TARBALL=${1:?usage: build-deb.sh TARBALL OUTDIR [REVISION_SUFFIX]}
OUT=${2:?usage: build-deb.sh TARBALL OUTDIR [REVISION_SUFFIX]}
SUFFIX=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "deb: $*" >&2; exit 1; }
# A parent make's flags and command-line variables (e.g. "make deb
# SANITIZE=address") must not leak into the package build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE
command -v dpkg-buildpackage >/dev/null 2>&1 || die "dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)"
[ -f "$TARBALL" ] || die "no tarball $TARBALL (run make dist)"
case $SUFFIX in
*[!0-9A-Za-z.+~]*) die "bad REVISION_SUFFIX '$SUFFIX'" ;;
esac

base=$(basename "$TARBALL" .tar.gz)      # rpvault-VERSION
VERSION=${base#rpvault-}
chver=$(dpkg-parsechangelog -l "$top/packaging/deb/debian/changelog" -S Version)
[ "${chver%-*}" = "$VERSION" ] ||
	die "packaging/deb/debian/changelog is at ${chver%-*} but VERSION is $VERSION: add a changelog entry"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cp "$TARBALL" "$tmp/rpvault_$VERSION.orig.tar.gz"
tar -xzf "$TARBALL" -C "$tmp"
src=$tmp/$base
[ -d "$src" ] || die "$TARBALL does not unpack to $base/"
[ ! -e "$src/debian" ] || die "the tarball already has a debian/ directory"
cp -R "$top/packaging/deb/debian" "$src/debian"
chmod 0755 "$src/debian/rules"

if [ -n "$SUFFIX" ]; then
	maint=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Maintainer)
	dist=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Distribution)
	{
		printf 'rpvault (%s%s) %s; urgency=medium\n\n' "$chver" "$SUFFIX" "$dist"
		printf '  * Local rebuild (not a release).\n\n'
		printf ' -- %s  %s\n\n' "$maint" "$(LC_ALL=C date -u -R)"
		cat "$src/debian/changelog"
	} >"$tmp/changelog"
	mv "$tmp/changelog" "$src/debian/changelog"
fi

echo "deb: building in $src"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log" >&2
	cp "$tmp/build.log" "$OUT/build-deb.log"
	die "dpkg-buildpackage failed (full log: $OUT/build-deb.log)"
fi
cp "$tmp/build.log" "$OUT/build-deb.log"
n=0
for f in "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes; do
	[ -f "$f" ] || continue
	cp "$f" "$OUT/"
	echo "deb: $OUT/$(basename "$f")"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "dpkg-buildpackage produced nothing"
