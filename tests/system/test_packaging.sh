#!/bin/sh
# test_packaging.sh - packaging for air-gapped installs (issue 6): make dist
# is reproducible and carries a checksum and an SBOM; make deb and make rpm
# build from that tarball; lintian (no errors or warnings) and rpmlint (no
# errors) pass; the .deb installs, verifies a golden runpack, upgrades
# keeping a modified conffile and purges cleanly; the .rpm has the same
# payload as the .deb.
#
# Why here: these are the checks an accreditation reviewer runs by hand.
# Security posture: needs root and changes this machine: installs the
# packaging tools with apt-get (Debian mirrors only), installs, upgrades and
# purges the rpvault package, and leaves the "rpvault" system account
# behind (as Debian does). Skips (exit 0) when not root, without apt, or
# before the packaging files are committed; outside CI it also skips when
# an rpvault package or /var/lib/rpvault already exists (it would purge
# them) or when the tools cannot be installed. One run per machine at a
# time (flock).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
skip() { echo "# skipped: $*"; exit 0; }
# nok NAME [DETAIL...]: a failed check that ran no command
nok() { RC=-; : >"$T/.out"; : >"$T/.err"; fail "$@"; }

[ "$(id -u)" = 0 ] || skip "packaging tests need root (they install and purge the .deb)"
# The packages are built with the release flags; a sanitizer pass of the
# suite (BUILD=build-san) has nothing to add here.
[ "${BUILD:-build}" = build ] || skip "packaging is tested by the release build's pass only"
command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 ||
	skip "not a Debian system with apt"
if [ "${CI:-}" != true ]; then
	if dpkg-query -W -f='${db:Status-Abbrev}' rpvault 2>/dev/null | grep -q '^[a-z][^n]'; then
		skip "an rpvault package is installed on this machine; refusing to purge it (CI=true overrides)"
	fi
	[ ! -e /var/lib/rpvault ] ||
		skip "/var/lib/rpvault exists (a kept store?); refusing to touch it (CI=true overrides)"
fi
# What is packaged is what git tracks: before the packaging files are
# committed there is nothing meaningful to test (CI always has them).
if ! git -C "$top" ls-files --error-unmatch packaging/packaging.mk packaging/deb/debian/control \
	packaging/rpm/rpvault.spec >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then echo "not ok - packaging files are not tracked by git"; exit 1; fi
	skip "packaging files are not committed yet (make dist packages git ls-files)"
fi
# One run at a time per machine: it installs and purges a system package.
lock=/run/lock/rpvault-packaging-test.lock
[ -d /run/lock ] || lock=/tmp/rpvault-packaging-test.lock
exec 9>"$lock"
if ! flock -w 900 9; then
	if [ "${CI:-}" = true ]; then echo "not ok - another packaging test holds the lock"; exit 1; fi
	skip "another packaging test is running"
fi
GOLD="$FIX/runpacks/golden_time_after_pass"
if [ ! -d "$GOLD" ]; then
	if [ "${CI:-}" = true ]; then echo "not ok - fixtures missing at $FIX (CI must not skip)"; exit 1; fi
	skip "fixtures not found"
fi

# --- tools -------------------------------------------------------------
# The build dependencies themselves come from tests/deps.sh (make check).
TOOLS="debhelper dpkg-dev lintian rpm rpmlint file man-db"
missing=""
for p in $TOOLS; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
		apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing; } >"$T/apt.log" 2>&1; then
		if [ "${CI:-}" = true ]; then
			RC=1; : >"$T/.out"; cp "$T/apt.log" "$T/.err"
			fail "install packaging tools:$missing"
			exit 1
		fi
		skip "cannot install:$missing"
	fi
fi
echo "# tools ready after $(($(date +%s) - start))s"

# Sub-makes must not inherit make check's flags (e.g. SANITIZE=...).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SANITIZE
VERSION=$(cat "$top/VERSION")
NAME=rpvault-$VERSION
B1=$T/b1
B2=$T/b2

# --- make dist: reproducible, checksum, SBOM ----------------------------
run make -C "$top" -s dist BUILD="$B1"
expect "make dist" 0 "$NAME.tar.gz"
(umask 077 && TZ=Pacific/Kiritimati make -C "$top" -s dist BUILD="$B2") >"$T/.out" 2>"$T/.err"
RC=$?
if [ $RC = 0 ] && cmp -s "$B1/dist/$NAME.tar.gz.sha256" "$B2/dist/$NAME.tar.gz.sha256" &&
	cmp -s "$B1/dist/$NAME.tar.gz" "$B2/dist/$NAME.tar.gz"; then
	pass "make dist twice (other umask and TZ) gives identical tarballs and checksums"
else
	fail "make dist twice (other umask and TZ) gives identical tarballs and checksums"
fi
run sh -c "cd '$B1/dist' && sha256sum -c '$NAME.tar.gz.sha256'"
expect "sha256sum -c accepts the checksum file" 0 "$NAME.tar.gz: OK"

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct)}
# tar prints local time: list in UTC
bad=$(TZ=UTC tar -tvzf "$B1/dist/$NAME.tar.gz" --full-time --numeric-owner |
	awk -v want="$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S')" -v pfx="$NAME/" '
	$2 != "0/0" || ($4 " " $5) != want || index($6, pfx) != 1 { print }' | head -5)
if [ -z "$bad" ]; then
	pass "tarball entries are 0/0, dated SOURCE_DATE_EPOCH, under $NAME/"
else
	nok "tarball entries are 0/0, dated SOURCE_DATE_EPOCH, under $NAME/" "$bad"
fi
tar -tzf "$B1/dist/$NAME.tar.gz" | sed "s|^$NAME/||" >"$T/in-tar"
git -C "$top" ls-files | while IFS= read -r f; do [ -e "$top/$f" ] && printf '%s\n' "$f"; done >"$T/in-git"
if cmp -s "$T/in-tar" "$T/in-git"; then
	pass "tarball holds exactly git ls-files, in byte order"
else
	nok "tarball holds exactly git ls-files, in byte order" "$(diff "$T/in-git" "$T/in-tar" | head -10)"
fi
for f in VERSION Makefile LICENSE CHANGELOG.md README.md packaging/rpvault.conf docs/man/rpvault.1 \
	docs/man/rpvault.conf.5 docs/threat-model.md packaging/completion/rpvault.bash; do
	grep -qx "$f" "$T/in-tar" || { nok "tarball has $f (is it committed?)"; }
done

SBOM=$B1/dist/$NAME.spdx.json
run python3 - "$SBOM" <<'EOF'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
assert d["spdxVersion"] == "SPDX-2.3", d["spdxVersion"]
pk = {p["name"]: p for p in d["packages"]}
assert "rpvault" in pk
rel = {(r["spdxElementId"], r["relationshipType"]) for r in d["relationships"]}
for name, kind in [("libbearssl0", "RUNTIME"), ("libseccomp2", "RUNTIME"), ("libcap-ng0", "RUNTIME"),
                   ("libc6", "RUNTIME"), ("libbearssl-dev", "BUILD"), ("libseccomp-dev", "BUILD"),
                   ("libcap-ng-dev", "BUILD"), ("libcurl4-openssl-dev", "BUILD"), ("pkg-config", "BUILD"),
                   ("debhelper", "BUILD"), ("libcmocka-dev", "TEST")]:
    p = pk[name]
    want = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True).stdout
    assert p["versionInfo"] == want, (name, p["versionInfo"], want)
    assert (p["SPDXID"], kind + "_DEPENDENCY_OF") in rel, (name, kind)
print("sbom ok:", len(pk), "packages")
EOF
expect "SBOM is SPDX 2.3 JSON listing build, test and runtime dependencies at their installed versions" 0 "sbom ok"

# --- make deb, make rpm -------------------------------------------------
t0=$(date +%s)
run make -C "$top" -s deb BUILD="$B1"
expect "make deb builds from the dist tarball" 0 "rpvault_${VERSION}-"
echo "# make deb took $(($(date +%s) - t0))s"
DEB=$(ls "$B1"/pkg/rpvault_"$VERSION"-*_*.deb 2>/dev/null | head -n 1)
CHANGES=$(ls "$B1"/pkg/rpvault_"$VERSION"-*_*.changes 2>/dev/null | head -n 1)
t0=$(date +%s)
run make -C "$top" -s rpm BUILD="$B1"
expect "make rpm builds from the same tarball" 0 "rpvault-$VERSION-"
echo "# make rpm took $(($(date +%s) - t0))s"
RPM="" SRPM=""
for f in "$B1"/pkg/rpvault-"$VERSION"-*.rpm; do
	case $f in
	*.src.rpm) SRPM=$f ;;
	*.rpm) [ -f "$f" ] && RPM=$f ;;
	esac
done
if [ -z "$DEB" ] || [ -z "$RPM" ]; then
	echo "not ok - packages built (deb='$DEB' rpm='$RPM'); stopping"
	exit 1
fi
run lintian --fail-on error,warning "$CHANGES"
expect "lintian: no errors or warnings" 0
[ "$RC" = 0 ] || echo "$OUT" | sed 's/^/#   /' | head -30
if command -v rpmlint >/dev/null 2>&1; then
	run rpmlint -c "$top/packaging/rpm/rpmlint.toml" "$RPM" "$SRPM"
	expect "rpmlint: no errors" 0 " 0 errors"
	[ "$RC" = 0 ] || echo "$OUT" | sed 's/^/#   /' | tail -30
else
	echo "# rpmlint unavailable: not run"
fi

# payload: same file paths (directories aside); .gz suffixes normalised;
# per-format metadata left out: Debian's copyright, changelog.Debian and
# lintian overrides, RPM's license directory and build-id links.
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|; s|\.gz$||' |
	grep -v -e '^/usr/share/doc/rpvault/copyright$' -e '^/usr/share/doc/rpvault/changelog\.Debian$' \
		-e '^/usr/share/lintian/overrides/' | LC_ALL=C sort >"$T/deb-files"
rpm -qlvp "$RPM" 2>/dev/null | awk '$1 !~ /^d/ { print $9 }' | sed 's|\.gz$||' |
	grep -v -e '^/usr/lib/\.build-id/' -e '^/usr/share/licenses/' | LC_ALL=C sort >"$T/rpm-files"
if [ -s "$T/deb-files" ] && cmp -s "$T/deb-files" "$T/rpm-files"; then
	pass "rpm -qlp lists the same payload as dpkg -c ($(wc -l <"$T/deb-files") files)"
else
	nok "rpm -qlp lists the same payload as dpkg -c" "$(diff "$T/deb-files" "$T/rpm-files" | head -20)"
fi
rpm -qlvp "$RPM" 2>/dev/null >"$T/rpm-long"
if grep -q '^-rw-r-----  *1 root  *rpvault .* /etc/rpvault/rpvault.conf$' "$T/rpm-long" &&
	grep -q '^drwxr-x---  *2 rpvault  *rpvault .* /var/lib/rpvault/store$' "$T/rpm-long"; then
	pass "rpm: rpvault.conf root:rpvault 0640, store rpvault:rpvault 0750"
else
	nok "rpm: rpvault.conf root:rpvault 0640, store rpvault:rpvault 0750" "$(grep rpvault "$T/rpm-long")"
fi
if rpm -qp --configfiles "$RPM" 2>/dev/null | grep -qx /etc/rpvault/rpvault.conf &&
	dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles | grep -qx /etc/rpvault/rpvault.conf; then
	pass "rpvault.conf is a conffile in both packages"
else
	nok "rpvault.conf is a conffile in both packages"
fi

# --- install, verify, upgrade, purge ------------------------------------
export DEBIAN_FRONTEND=noninteractive
APT="apt-get -o DPkg::Lock::Timeout=300 -y -q"
$APT purge rpvault >/dev/null 2>&1 || true
rm -rf /var/lib/rpvault # outside CI it did not exist (checked above)

run $APT install "$DEB"
expect "apt-get install ./rpvault.deb" 0
run /usr/bin/rpvault --version
expect "installed rpvault --version" 0 "rpvault $VERSION"
run man -w rpvault
expect "man -w rpvault" 0 "/usr/share/man/man1/rpvault.1"
run man -w 5 rpvault.conf
expect "man -w 5 rpvault.conf" 0 "/usr/share/man/man5/rpvault.conf.5"
run /usr/bin/rpvault verify "$GOLD"
expect "installed rpvault verifies the golden runpack" 0 '"status":"pass"'
st=$(stat -c '%a %U %G' /etc/rpvault/rpvault.conf /var/lib/rpvault/store 2>&1 | paste -sd ' ' -)
if [ "$st" = "640 root rpvault 750 rpvault rpvault" ]; then
	pass "rpvault.conf root:rpvault 0640, store rpvault:rpvault 0750"
else
	nok "rpvault.conf root:rpvault 0640, store rpvault:rpvault 0750" "got: $st"
fi
pw=$(getent passwd rpvault)
uid=$(echo "$pw" | cut -d: -f3)
case $pw in
*:/usr/sbin/nologin) [ "$uid" -lt 1000 ] && pass "system account rpvault, no login shell" ||
	{ nok "system account rpvault, no login shell" "$pw"; } ;;
*) nok "system account rpvault, no login shell" "$pw" ;;
esac
for f in README.md threat-model.md changelog.gz copyright; do
	ls /usr/share/doc/rpvault/"$f"* >/dev/null 2>&1 || { nok "doc $f installed"; }
done
run bash -c '. /usr/share/bash-completion/completions/rpvault && complete -p rpvault'
expect "bash completion registers for rpvault" 0 "_rpvault"

# The store in use: written as the rpvault user, read by root.
W=$(mktemp -d /tmp/rpvault-pkgtest.XXXXXX)
chmod 0755 "$W"
cp -R "$GOLD" "$W/gold" && chmod -R a+rX "$W/gold"
run runuser -u rpvault -- env -u RPVAULT_STORE /usr/bin/rpvault export "$W/gold"
expect "export into the packaged store as user rpvault" 0 "file:///var/lib/rpvault/store/"
KEY=${OUT#file:///var/lib/rpvault/store/}
run env -u RPVAULT_STORE /usr/bin/rpvault ls
expect "ls of the packaged store (default config)" 0 "$KEY"
run runuser -u nobody -- env -u RPVAULT_STORE /usr/bin/rpvault ls
expect "a user outside group rpvault cannot read the configuration" 2 "Permission denied"
rm -rf "$W"

# upgrade over the previous build keeps a modified conffile
echo "# local edit kept across upgrades" >>/etc/rpvault/rpvault.conf
sum=$(sha256sum /etc/rpvault/rpvault.conf)
t0=$(date +%s)
run make -C "$top" -s deb BUILD="$B2" DEB_REVISION_SUFFIX=+upgradetest1
expect "make deb with a bumped revision" 0 "+upgradetest1"
echo "# second make deb took $(($(date +%s) - t0))s"
DEB2=$(ls "$B2"/pkg/rpvault_"$VERSION"-*+upgradetest1_*.deb 2>/dev/null | head -n 1)
run $APT install "$DEB2" </dev/null
expect "upgrade with apt-get install" 0
run dpkg-query -W -f='${Version}' rpvault
expect "upgraded version is installed" 0 "+upgradetest1"
if [ "$(sha256sum /etc/rpvault/rpvault.conf)" = "$sum" ] &&
	[ "$(stat -c '%a %U %G' /etc/rpvault/rpvault.conf)" = "640 root rpvault" ]; then
	pass "upgrade keeps the modified conffile and its mode"
else
	nok "upgrade keeps the modified conffile and its mode" "$(stat -c '%a %U %G' /etc/rpvault/rpvault.conf)"
fi
[ -d "/var/lib/rpvault/store/$KEY" ] && pass "upgrade keeps the store" || { nok "upgrade keeps the store"; }

# purge: nothing left but a non-empty store (and the account)
run $APT purge rpvault
expect "apt-get purge rpvault" 0
left=""
for f in /usr/bin/rpvault /etc/rpvault /usr/share/doc/rpvault /usr/share/man/man1/rpvault.1.gz \
	/usr/share/man/man5/rpvault.conf.5.gz /usr/share/bash-completion/completions/rpvault \
	/usr/share/lintian/overrides/rpvault; do
	[ -e "$f" ] && left="$left $f"
done
[ -z "$left" ] && pass "purge removes every installed file and /etc/rpvault" ||
	{ nok "purge removes every installed file and /etc/rpvault" "left:$left"; }
[ -d "/var/lib/rpvault/store/$KEY" ] && pass "purge keeps a non-empty store" ||
	{ nok "purge keeps a non-empty store"; }
getent passwd rpvault >/dev/null && pass "purge keeps the rpvault account (Debian practice)" ||
	{ nok "purge keeps the rpvault account (Debian practice)"; }
rm -rf /var/lib/rpvault

# an unused install purges to nothing
run $APT install "$DEB"
expect "reinstall" 0
run $APT purge rpvault
expect "purge again" 0
[ ! -e /var/lib/rpvault ] && [ ! -e /etc/rpvault ] && pass "purge with an empty store leaves no /var/lib/rpvault" ||
	{ nok "purge with an empty store leaves no /var/lib/rpvault" "$(ls -la /var/lib/rpvault /etc/rpvault 2>&1)"; }

echo "# packaging test took $(($(date +%s) - start))s"
