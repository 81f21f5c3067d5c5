#!/bin/sh
# test_regressions.sh - every input under tests/regressions/ (crashes and
# property violations found by fuzzing, see tests/regressions/README.md)
# fed to the real binary. Each must end in exit 0 or 1 (2 is also a valid
# answer for a configuration file: a usage error), never a signal or an
# exit status >= 3, and `verify --format json` must print a JSON report
# whose status agrees with the exit status.
. "$(dirname "$0")/lib.sh"
R=$(cd "$(dirname "$0")/../regressions" && pwd)
GOLD="$FIX/runpacks/golden_time_after_pass"
n=0

# rc_ok NAME MAX: RC within 0..MAX (a signal shows as 128+N, a sanitizer
# report as its exit code, valgrind's as 99).
rc_ok() {
	if [ "$RC" -ge 0 ] 2>/dev/null && [ "$RC" -le "$2" ]; then
		pass "$1"
	else
		fail "$1" "want exit 0..$2 (no crash, signal or exit >= 3)"
	fi
}

# json_report NAME: stdout is one JSON report whose status matches RC.
json_report() {
	want=fail
	[ "$RC" = 0 ] && want=pass
	if python3 -c '
import json, sys
r = json.loads(open(sys.argv[1], "rb").read())
sys.exit(0 if isinstance(r, dict) and r.get("status") == sys.argv[2] else 1)' "$T/.out" "$want" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "want a JSON report with status $want on stdout"
	fi
}

verify_dir() { # NAME DIR [MANIFEST_NAME]
	_name=$1 _dir=$2
	shift 2
	if [ $# -gt 0 ]; then set -- --manifest "$1"; fi
	for fmt in json markdown text; do
		run "$RPVAULT" verify --format "$fmt" "$@" "$_dir"
		rc_ok "$_name verify --format $fmt exits 0/1" 1
		[ "$fmt" = json ] && json_report "$_name verify prints a JSON report"
	done
}

for f in "$R"/verify/*.rpc; do
	[ -f "$f" ] || continue
	name="regression verify/$(basename "$f")"
	n=$((n + 1))
	d="$T/rp$n"
	if ! python3 "$R/rpc-unpack.py" "$f" "$d" >"$T/.out" 2>"$T/.err"; then
		RC=x
		fail "$name unpacks"
		continue
	fi
	if [ -f "$d.name" ]; then
		verify_dir "$name" "$d" "$(cat "$d.name")"
	else
		verify_dir "$name" "$d"
	fi
done

for f in "$R"/jcs/*; do
	[ -f "$f" ] || continue
	name="regression jcs/$(basename "$f")"
	run "$RPVAULT" jcs "$f"
	rc_ok "$name jcs exits 0/1" 1
	run "$RPVAULT" jcs --rfc8785 "$f"
	rc_ok "$name jcs --rfc8785 exits 0/1" 1
done

for f in "$R"/config/*; do
	[ -f "$f" ] || continue
	name="regression config/$(basename "$f")"
	n=$((n + 1))
	mkdir -p "$T/store$n"
	run "$RPVAULT" --config "$f" ls --store "file://$T/store$n"
	rc_ok "$name ls --config exits 0/1/2" 2
done

# A path input becomes one more artifact path in a copy of the golden
# runpack (the bytes as UTF-8, invalid sequences replaced), so it crosses
# the child's and the broker's path checks in the real binary.
for f in "$R"/path/*; do
	[ -f "$f" ] || continue
	[ -d "$GOLD" ] || { echo "# fixtures not found at $FIX: path regressions skipped"; break; }
	name="regression path/$(basename "$f")"
	n=$((n + 1))
	d="$T/rp$n"
	copy_fixture "$GOLD" "$d"
	python3 - "$f" "$d" <<'EOF'
import hashlib, json, sys
path = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
m = json.load(open(sys.argv[2] + "/manifest.json", "rb"))
h = {"algorithm": "sha256", "value": hashlib.sha256(b"").hexdigest()}
m["integrity"]["file_hashes"].append({"hash": h, "path": path})
m["artifacts"].append({"artifact_id": path, "content_type": None, "hash": h, "kind": "custom",
                       "path": path, "required": True})
open(sys.argv[2] + "/manifest.json", "wb").write(
    json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
EOF
	verify_dir "$name" "$d"
done

echo "# $n regression inputs checked against the real binary (frame/ inputs: make fuzz-regress)"
