#!/bin/sh
# test_verify.sh - `rpvault verify` on Decision Gate's own runpacks, the
# adversarial set with its expected verdicts, and every strict check.
. "$(dirname "$0")/lib.sh"
GOLD="$FIX/runpacks/golden_time_after_pass"
MK="python3 $(dirname "$0")/rpcase.py"

if [ ! -d "$GOLD" ]; then
	if [ "${CI:-}" = true ]; then echo "not ok - fixtures missing at $FIX (CI must not skip interop)"; exit 1; fi
	echo "# fixtures not found at $FIX: interop tests skipped"; exit 0
fi

# --- golden runpacks: exact report bytes in every format ---
for rp in golden_time_after_pass backcompat_v1; do
	run "$RPVAULT" verify "$FIX/runpacks/$rp"
	printf '{"checked_files":8,"errors":[],"status":"pass"}\n' >"$T/want"
	if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/want"; then pass "golden $rp json report exact"; else fail "golden $rp json report exact"; fi
	run "$RPVAULT" verify --format markdown "$FIX/runpacks/$rp"
	printf '# Decision Gate Runpack Verification\n\n- Status: pass\n- Checked files: 8\n\n## Errors\n- None\n\n' >"$T/want"
	if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/want"; then pass "golden $rp markdown exact"; else fail "golden $rp markdown exact"; fi
	run "$RPVAULT" verify --format text "$FIX/runpacks/$rp"
	expect "golden $rp text" 0 "PASS"
	run "$RPVAULT" verify "$FIX/runpacks/$rp/manifest.json"
	expect "golden $rp via manifest path" 0 '"status":"pass"'
done
(cd "$GOLD" && "$RPVAULT" verify manifest.json >"$T/.out" 2>"$T/.err"); RC=$?
expect "bare manifest name resolves against the current directory" 0 '"status":"pass"'

# --- adversarial fixtures: verdict and message from EXPECTED.tsv ---
# Tabs are white space to `read`, so empty columns are made explicit first.
awk -F'\t' '!/^#/ && NF >= 2 { print $1 "|" $2 "|" $3 }' "$FIX/adversarial/EXPECTED.tsv" >"$T/expected"
while IFS='|' read -r case verdict msg; do
	run "$RPVAULT" verify "$FIX/adversarial/$case"
	if [ "$verdict" = pass ]; then
		expect "adversarial $case passes" 0 '"status":"pass"'
	else
		expect "adversarial $case fails${msg:+ with '$msg'}" 1 "${msg:-\"status\":\"fail\"}"
	fi
done <"$T/expected"
n=$(wc -l <"$T/expected")
[ "$n" -ge 18 ] && pass "all $n EXPECTED.tsv cases were run" || fail "EXPECTED.tsv cases run" "only $n"
run "$RPVAULT" verify "$FIX/adversarial/version_v2"
expect "unsupported version checks nothing else" 1 '{"checked_files":0,"errors":["unsupported manifest version: v2"],"status":"fail"}'
run "$RPVAULT" verify "$FIX/adversarial/missing_artifacts_dir"
expect "missing artifacts dir: decision log error too" 1 'decision log read failed: artifact error'

# --- rpvault's strict checks ---
mk() { rm -rf "$T/c"; $MK "$GOLD" "$T/c" "$@" >/dev/null; }
mk spec_hash_wrong; run "$RPVAULT" verify "$T/c"
expect "strict: spec_hash differs from the spec's hash" 1 "spec hash mismatch"
mk artifact_hash_disagrees; run "$RPVAULT" verify "$T/c"
expect "strict: artifacts[] hash disagrees" 1 "differs from integrity.file_hashes hash"
mk artifact_path_disagrees; run "$RPVAULT" verify "$T/c"
expect "strict: artifacts[] path disagrees" 1 "artifacts/other.json is listed in artifacts[] but not in integrity.file_hashes"
mk artifact_extra; run "$RPVAULT" verify "$T/c"
expect "strict: artifacts[] has an extra entry" 1 "artifacts[] lists 9 entries"
for p in triggers decisions scenario_spec tool_calls; do
	mk drop_standard "artifacts/$p.json"; run "$RPVAULT" verify "$T/c"
	expect "strict: standard artifact $p unlisted" 1 "missing standard artifact: artifacts/$p.json"
done
mk duplicate_path; run "$RPVAULT" verify "$T/c"
expect "strict: path listed twice" 1 "duplicate path in integrity.file_hashes: artifacts/triggers.json"
mk rename "artifacts/triggers.json=./artifacts/triggers.json"; run "$RPVAULT" verify "$T/c"
expect "strict: ./ path refused" 1 "artifact read failed for ./artifacts/triggers.json: artifact error: non-canonical artifact path"
mk rename "artifacts/triggers.json=artifacts//triggers.json"; run "$RPVAULT" verify "$T/c"
expect "strict: // path refused" 1 "non-canonical artifact path: empty component"
mk rename "artifacts/triggers.json=artifacts/../artifacts/triggers.json"; run "$RPVAULT" verify "$T/c"
expect "strict: .. path refused" 1 "artifact path escapes runpack root"
mk rename "artifacts/triggers.json=/etc/passwd"; run "$RPVAULT" verify "$T/c"
expect "strict: absolute path refused" 1 "absolute artifact path not allowed"
mk rename 'artifacts/triggers.json=artifacts\triggers.json'; run "$RPVAULT" verify "$T/c"
expect "strict: backslash refused" 1 "non-canonical artifact path: backslash"
long=$(python3 -c 'print("a"*256)')
mk rename "artifacts/triggers.json=artifacts/$long"; run "$RPVAULT" verify "$T/c"
expect "strict: component over 255 bytes refused" 1 "runpack path component too long"
long=$(python3 -c 'print("/".join(["d"*200]*21))')
mk rename "artifacts/triggers.json=$long"; run "$RPVAULT" verify "$T/c"
expect "strict: path over 4096 bytes refused" 1 "runpack path exceeds limit"
mk rename "artifacts/triggers.json=artifacts/trig$(printf '\001')gers.json"; run "$RPVAULT" verify "$T/c"
expect "strict: control character in path refused" 1 "control character"

# --- symlinks and special files below the root ---
mk symlink_file_outside; run "$RPVAULT" verify "$T/c"
expect "symlinked file pointing outside refused" 1 "artifact read failed for artifacts/triggers.json: artifact error: artifact is a symlink"
mk symlink_file_inside; run "$RPVAULT" verify "$T/c"
expect "symlinked file pointing inside refused" 1 "artifact is a symlink"
mk symlink_dir_inside; run "$RPVAULT" verify "$T/c"
expect "symlinked directory pointing inside refused" 1 "symlink or non-directory in artifact path"
mk symlink_dir_outside; run "$RPVAULT" verify "$T/c"
expect "symlinked directory pointing outside refused" 1 "symlink or non-directory in artifact path"
mk fifo; run timeout 10 "$RPVAULT" verify "$T/c"
expect "a FIFO is refused without blocking" 1 "artifact is not a regular file"
mk directory; run "$RPVAULT" verify "$T/c"
expect "a directory in place of a file is refused" 1 "artifact is not a regular file"
ln -s "$GOLD" "$T/link-to-gold"
run "$RPVAULT" verify "$T/link-to-gold"
expect "the user's own PATH may be a symlink" 0 '"status":"pass"'

# --- the 16 MiB cap ---
mk add_file_size 16777216; run "$RPVAULT" verify "$T/c"
expect "an artifact of exactly 16 MiB passes" 0 '"checked_files":9'
mk add_file_size 16777217; run "$RPVAULT" verify "$T/c"
expect "an artifact of 16 MiB + 1 fails" 1 "artifact read failed for artifacts/big.json: artifact too large: artifacts/big.json (16777217 > 16777216)"

# --- manifests that cannot be read or parsed: a fail report, exit 1 ---
for kind in truncated bom latin1 empty; do
	mk manifest_bytes $kind; run "$RPVAULT" verify "$T/c"
	expect "$kind manifest is a fail report" 1 "failed to parse runpack manifest manifest.json"
done
mk manifest_bytes bom; run "$RPVAULT" verify "$T/c"
expect "BOM manifest names line 1 column 1" 1 "line 1 column 1"
mk remove_manifest; run "$RPVAULT" verify "$T/c"
expect "missing manifest is a fail report" 1 '"checked_files":0'
mk manifest_as runpack.json; run "$RPVAULT" verify "$T/c"
expect "runpack.json is found when manifest.json is absent" 0 '"status":"pass"'
mk manifest_as runpack.json; run "$RPVAULT" verify --manifest runpack.json "$T/c"
expect "--manifest names the manifest" 0 '"status":"pass"'
mk manifest_as other.json; run "$RPVAULT" verify --manifest ../other.json "$T/c"
expect "--manifest outside the runpack is a usage error" 2 "artifact path escapes runpack root"
mk no_security; run "$RPVAULT" verify "$T/c"
expect "manifest without security (CLI-style export) passes" 0 '"status":"pass"'
mk unix_millis 1700000000000; run "$RPVAULT" verify "$T/c"
expect "unix_millis timestamp passes" 0 '"status":"pass"'
mk unix_millis -5; run "$RPVAULT" verify "$T/c"
expect "negative unix_millis is legal in the type" 0 '"status":"pass"'

# --- usage and environment errors ---
run "$RPVAULT" verify
expect "verify without PATH is a usage error" 2
run "$RPVAULT" verify --format yaml "$GOLD"
expect "unknown format is a usage error" 2 "unknown --format"
run "$RPVAULT" verify --bogus "$GOLD"
expect "unknown option is a usage error" 2
run "$RPVAULT" verify "$T/does-not-exist"
expect "a missing PATH fails" 1
run "$RPVAULT" frobnicate
expect "unknown command is a usage error" 2 "unknown command"
