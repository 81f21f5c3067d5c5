#!/bin/sh
# test_pack.sh - `rpvault pack` reproduces Decision Gate's runpacks byte
# for byte, and refuses what it cannot pack correctly.
. "$(dirname "$0")/lib.sh"
GOLD="$FIX/runpacks/golden_time_after_pass"
if [ ! -d "$GOLD" ]; then
	if [ "${CI:-}" = true ]; then echo "not ok - fixtures missing at $FIX (CI must not skip interop)"; exit 1; fi
	echo "# fixtures not found: skipped"; exit 0
fi
LOGS="scenario_spec triggers gate_evals decisions packets submissions tool_calls"

# Sources in "any JSON formatting": pretty-printed with reordered keys.
mkdir -p "$T/src/artifacts"
for l in $LOGS; do
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d, indent=3, sort_keys=False)[::1])' \
		"$GOLD/artifacts/$l.json" >"$T/src/artifacts/$l.json"
done
python3 - "$T/src/artifacts/scenario_spec.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
json.dump(dict(reversed(list(d.items()))), open(p, "w"), indent=1)
PY

run "$RPVAULT" pack --out "$T/out" --tenant 1 --namespace 1 --run run-1 --generated-at logical:10 \
	--security dg_registry --with-verification "$T/src"
expect "pack of the golden inputs succeeds" 0
if diff -r "$GOLD" "$T/out" >"$T/diff" 2>&1; then pass "pack output equals the golden runpack byte for byte (all files, same file set)"
else fail "pack output equals the golden runpack byte for byte" "$(head -5 "$T/diff")"; fi

run "$RPVAULT" pack --out "$T/out" --tenant 1 --namespace 1 --run run-1 --generated-at logical:10 "$T/src"
expect "pack refuses to overwrite an existing runpack" 1 "refusing to overwrite"
ls -a "$T" | grep -q '^\.rpvault-stage' && fail "no staging directory left behind" || pass "no staging directory left behind"

run "$RPVAULT" pack --out "$T/cli" --tenant 1 --namespace 1 --run run-1 --generated-at unix_millis:1700000000000 \
	--manifest-name runpack.json "$T/src"
expect "CLI-style pack (no security, unix_millis, runpack.json)" 0
grep -q '"security"' "$T/cli/runpack.json" && fail "no security key without --security" || pass "no security key without --security"
grep -q '"generated_at":{"kind":"unix_millis","value":1700000000000}' "$T/cli/runpack.json" && pass "unix_millis timestamp written" || fail "unix_millis timestamp written"
[ ! -e "$T/cli/artifacts/verifier_report.json" ] && pass "no verifier report without --with-verification" || fail "no verifier report without --with-verification"
run "$RPVAULT" verify "$T/cli"
expect "the CLI-style runpack verifies (runpack.json fallback)" 0 '"checked_files":7'

run "$RPVAULT" pack --out "$T/dev" --tenant 7 --namespace 9 --run "run 1 é" --generated-at logical:0 \
	--security assetcore_catalog,dev_permissive "$T/src"
expect "pack with dev_permissive and a Unicode run id" 0
grep -q '"security":{"dev_permissive":true,"namespace_authority":"assetcore_catalog"}' "$T/dev/manifest.json" \
	&& pass "dev_permissive security context written" || fail "dev_permissive security context written"

printf '{"providers":[{"provider_id":"other","requirement":{"anchor_type":"t","required_fields":[" b","a","b",""]}}]}' >"$T/policy.json"
run "$RPVAULT" pack --out "$T/anch" --tenant 1 --namespace 1 --run r --generated-at logical:1 --anchor-policy "$T/policy.json" "$T/src"
expect "pack with an anchor policy" 0
grep -q '^{"anchor_policy":{"providers":\[{"provider_id":"other","requirement":{"anchor_type":"t","required_fields":\["a","b"\]}}\]},"artifacts"' "$T/anch/manifest.json" \
	&& pass "anchor policy normalised (trimmed, sorted, de-duplicated) and first" || fail "anchor policy normalised"
printf '{"providers":[{"provider_id":"time","requirement":{"anchor_type":"trigger_time_logical","required_fields":["x"]}}]}' >"$T/policy2.json"
run "$RPVAULT" pack --out "$T/anch2" --tenant 1 --namespace 1 --run r --generated-at logical:1 --anchor-policy "$T/policy2.json" "$T/src"
expect "pack refuses a runpack that would fail its own anchor policy" 1 "anchor_value must be a JSON object"
[ ! -e "$T/anch2" ] && pass "nothing written when pack fails" || fail "nothing written when pack fails"
printf '{"providers":[{"provider_id":"a","requirement":{"anchor_type":"t","required_fields":[]}}]}' >"$T/policy3.json"
run "$RPVAULT" pack --out "$T/anch3" --tenant 1 --namespace 1 --run r --generated-at logical:1 --anchor-policy "$T/policy3.json" "$T/src"
expect "an anchor policy with empty required_fields is refused" 1 "required_fields must not be empty"
printf '{"providers":[]}' >"$T/policy4.json"
run "$RPVAULT" pack --out "$T/anch4" --tenant 1 --namespace 1 --run r --generated-at logical:1 --anchor-policy "$T/policy4.json" "$T/src"
expect "an empty anchor policy is omitted" 0
grep -q anchor_policy "$T/anch4/manifest.json" && fail "empty anchor policy omitted" || pass "empty anchor policy omitted"

# --- refusals ---
cp -R "$T/src" "$T/bad"; printf '{"not json' >"$T/bad/artifacts/triggers.json"
run "$RPVAULT" pack --out "$T/o1" --tenant 1 --namespace 1 --run r --generated-at logical:1 "$T/bad"
expect "invalid JSON source is refused" 1 "artifacts/triggers.json is not valid JSON"
[ ! -e "$T/o1" ] && pass "nothing written for invalid source" || fail "nothing written for invalid source"
rm "$T/bad/artifacts/triggers.json"
run "$RPVAULT" pack --out "$T/o2" --tenant 1 --namespace 1 --run r --generated-at logical:1 "$T/bad"
expect "missing source artifact is refused" 1 "source artifact artifacts/triggers.json"
cp "$T/src/artifacts/triggers.json" "$T/bad/artifacts/"; printf '{"x":1}' >"$T/bad/artifacts/decisions.json"
run "$RPVAULT" pack --out "$T/o3" --tenant 1 --namespace 1 --run r --generated-at logical:1 "$T/bad"
expect "a decision log that would not verify is refused" 1 "invalid decision log"
cp "$T/src/artifacts/decisions.json" "$T/bad/artifacts/"; printf '{"no":"id"}' >"$T/bad/artifacts/scenario_spec.json"
run "$RPVAULT" pack --out "$T/o4" --tenant 1 --namespace 1 --run r --generated-at logical:1 "$T/bad"
expect "a spec without scenario_id is refused" 1 "no string scenario_id"
run "$RPVAULT" pack --out "$T/o5" --tenant 0 --namespace 1 --run r "$T/src"
expect "tenant 0 is a usage error" 2 "--tenant"
run "$RPVAULT" pack --out "$T/o5" --tenant 1 --namespace 1 --run r --generated-at rfc3339:2024 "$T/src"
expect "an unknown timestamp kind is a usage error" 2 "--generated-at"
run "$RPVAULT" pack --out "$T/o5" --tenant 1 --namespace 1 --run r --generated-at unix_millis:-1 "$T/src"
expect "a negative unix_millis is a usage error" 2 "--generated-at"
run "$RPVAULT" pack --out "$T/o5" --tenant 1 --namespace 1 --run r --manifest-name ../m.json "$T/src"
expect "a manifest name outside the runpack is refused" 2 "artifact path escapes runpack root"
run "$RPVAULT" pack --tenant 1 --namespace 1 --run r "$T/src"
expect "pack without --out is a usage error" 2
SOURCE_DATE_EPOCH=1700000000 "$RPVAULT" pack --out "$T/sde" --tenant 1 --namespace 1 --run r "$T/src" >"$T/.out" 2>"$T/.err"; RC=$?
expect "pack without --generated-at uses SOURCE_DATE_EPOCH" 0
grep -q '"generated_at":{"kind":"unix_millis","value":1700000000000}' "$T/sde/manifest.json" && pass "SOURCE_DATE_EPOCH timestamp" || fail "SOURCE_DATE_EPOCH timestamp"
