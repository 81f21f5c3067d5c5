#!/bin/sh
# dist.sh OUTDIR VERSION - write OUTDIR/rpvault-VERSION.tar.gz, its .sha256
# and an SPDX 2.3 SBOM (rpvault-VERSION.spdx.json). Called by "make dist".
#
# Why: air-gapped sites accept a release only if they can rebuild it and get
# the same bytes. The tarball holds exactly the files git tracks
# (git ls-files), sorted, owned by 0:0, with normalised modes and one fixed
# mtime ($SOURCE_DATE_EPOCH, default: the last commit's time), in GNU tar
# format, compressed with "gzip -n -9" (no name, no time stamp). A clean
# checkout of one commit therefore always gives the same tarball.
# Security posture: reads the work tree, writes only OUTDIR (via temporary
# files renamed into place). Untracked files are never included; changes to
# tracked files that are not committed are included, with a warning, and
# make the result differ from the commit's.
set -eu

OUT=${1:?usage: dist.sh OUTDIR VERSION}
VERSION=${2:?usage: dist.sh OUTDIR VERSION}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

die() { echo "dist: $*" >&2; exit 1; }

command -v git >/dev/null 2>&1 || die "git is required (the file list is git ls-files)"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$top is not a git work tree"
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is required"
case $VERSION in
*[!0-9A-Za-z.+~-]* | '') die "bad VERSION '$VERSION'" ;;
esac

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) || true
	[ -n "$SOURCE_DATE_EPOCH" ] || die "no commit yet and SOURCE_DATE_EPOCH is not set"
fi
case $SOURCE_DATE_EPOCH in
*[!0-9]* | '') die "SOURCE_DATE_EPOCH must be a decimal number of seconds" ;;
esac
export SOURCE_DATE_EPOCH

# --no-optional-locks: do not even refresh the index (other people work in
# this tree at the same time).
if [ -n "$(git --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	echo "dist: warning: tracked files differ from HEAD; this tarball is not the commit's" >&2
fi

NAME=rpvault-$VERSION
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# File list: tracked files, byte order, minus files deleted in the work tree.
git ls-files -z >"$tmp/list0"
[ -s "$tmp/list0" ] || die "git ls-files lists nothing"
# A tracked name containing a newline cannot go through the list below.
n0=$(tr -cd '\000' <"$tmp/list0" | wc -c)
n1=$(tr '\000' '\n' <"$tmp/list0" | wc -l)
[ "$n0" -eq "$n1" ] || die "a tracked file name contains a newline; refusing"
: >"$tmp/list"
tr '\000' '\n' <"$tmp/list0" | LC_ALL=C sort -u | while IFS= read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		printf '%s\n' "$f" >>"$tmp/list"
	else
		echo "dist: warning: $f is tracked but deleted in the work tree; left out" >&2
	fi
done

# --hard-dereference: hard links in the work tree become plain files, so
# the archive does not depend on how the checkout was made.
LC_ALL=C TZ=UTC tar --create --format=gnu --sort=name \
	--owner=0 --group=0 --numeric-owner \
	--mtime="@$SOURCE_DATE_EPOCH" --mode='u=rwX,go=rX' --hard-dereference \
	--transform="flags=r;s|^|$NAME/|" \
	--no-recursion --verbatim-files-from --files-from="$tmp/list" \
	--file="$tmp/$NAME.tar"
gzip -n -9 "$tmp/$NAME.tar"

(cd "$tmp" && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
sh "$top/packaging/sbom.sh" "$tmp/$NAME.tar.gz" "$VERSION" >"$tmp/$NAME.spdx.json"

for f in "$NAME.tar.gz" "$NAME.tar.gz.sha256" "$NAME.spdx.json"; do
	mv -f "$tmp/$f" "$OUT/$f"
done
echo "dist: $OUT/$NAME.tar.gz"
cat "$OUT/$NAME.tar.gz.sha256"
