# lib.sh - helpers for system tests (sourced). Each check prints
# "ok - NAME" or "not ok - NAME" plus diagnostics; run-all.sh counts them.
# Tests drive the real binary ($RPVAULT) on a real file system.
set -u
: "${RPVAULT:?RPVAULT must point at the binary}"
: "${SHARED:?SHARED must point at ../shared}"
FIX="$SHARED/fixtures"
T=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-test.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
export RPVAULT_STORE="file://$T/default-store"
export XDG_DATA_HOME="$T/xdg"

# run CMD...: runs with stdout/stderr captured in $OUT/$ERR, status in $RC.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
}
pass() { echo "ok - $1"; }
fail() {
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
	echo "#   rc=$RC"
	echo "#   stdout: $(head -c 2000 "$T/.out")"
	echo "#   stderr: $(head -c 2000 "$T/.err")"
}
# expect NAME RC_WANTED [substring-of-stdout-or-stderr]
expect() {
	_n=$1 _rc=$2 _s=${3-}
	if [ "$RC" != "$_rc" ]; then fail "$_n" "want rc=$_rc"; return; fi
	if [ -n "$_s" ]; then
		if ! grep -qF -- "$_s" "$T/.out" "$T/.err"; then fail "$_n" "want text: $_s"; return; fi
	fi
	pass "$_n"
}
# same_file NAME A B
same_file() {
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "files differ: $2 $3"; fi
}
# copy_fixture SRC DEST: writable copy of a fixture runpack
copy_fixture() {
	cp -R "$1" "$2" && chmod -R u+w "$2"
}
