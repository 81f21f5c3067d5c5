#!/bin/sh
# test_store.sh - the local file store: export, ls, verify --store, fetch,
# idempotence, conflicts, crash safety, tampering, defaults.
. "$(dirname "$0")/lib.sh"
GOLD="$FIX/runpacks/golden_time_after_pass"
if [ ! -d "$GOLD" ]; then
	if [ "${CI:-}" = true ]; then echo "not ok - fixtures missing at $FIX (CI must not skip interop)"; exit 1; fi
	echo "# fixtures not found: skipped"; exit 0
fi
S="$T/store"
U="file://$S"
KEY="tenant/1/namespace/1/scenario/golden-time-after/run/run-1/spec/sha256/5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/"

run "$RPVAULT" export --store "$U" "$GOLD"
expect "export of a golden runpack" 0 "$U/$KEY"
[ "$OUT" = "$U/$KEY" ] && pass "export prints exactly the storage URI" || fail "export prints exactly the storage URI"
if diff -r "$GOLD" "$S/$KEY" >/dev/null; then pass "stored files equal the source"; else fail "stored files equal the source"; fi
run "$RPVAULT" ls --store "$U"
expect "ls lists the runpack as complete" 0 "complete   $U/$KEY"
run "$RPVAULT" verify --store "$U" "$U/$KEY"
expect "verify from the store passes" 0 '{"checked_files":8,"errors":[],"status":"pass"}'
run "$RPVAULT" verify --store "$U" "$KEY"
expect "verify from the store by bare key" 0 '"status":"pass"'
run "$RPVAULT" fetch --store "$U" "$U/$KEY" "$T/fetched"
expect "fetch succeeds" 0
if diff -r "$GOLD" "$T/fetched" >/dev/null; then pass "fetched bytes identical"; else fail "fetched bytes identical"; fi
run "$RPVAULT" fetch --store "$U" "$U/$KEY" "$T/fetched"
expect "fetch refuses an existing DEST" 1 "refusing to overwrite"

ino1=$(stat -c %i:%Y "$S/$KEY/manifest.json")
run "$RPVAULT" export --store "$U" "$GOLD"
expect "re-export of the identical runpack is a no-op success" 0 "$U/$KEY"
ino2=$(stat -c %i:%Y "$S/$KEY/manifest.json")
[ "$ino1" = "$ino2" ] && pass "re-export rewrote nothing" || fail "re-export rewrote nothing"

# A different runpack at the same key: same ids and spec, other timestamp.
python3 "$(dirname "$0")/rpcase.py" "$GOLD" "$T/other" unix_millis 5 >/dev/null
run "$RPVAULT" export --store "$U" "$T/other"
expect "a different runpack at the same key is refused" 1 "a different runpack is already stored"
cmp -s "$GOLD/manifest.json" "$S/$KEY/manifest.json" && pass "conflict left the stored runpack intact" || fail "conflict left the stored runpack intact"

# A failing runpack is never stored.
python3 "$(dirname "$0")/rpcase.py" "$GOLD" "$T/bad" spec_hash_wrong >/dev/null
printf 'tampered' >>"$T/bad/artifacts/triggers.json"
run "$RPVAULT" export --store "$U" "$T/bad"
expect "a failing runpack is refused" 1 "failed verification"
[ ! -d "$S/tenant/1/namespace/1/scenario/golden-time-after/run/run-1/spec/sha256/0000000000000000000000000000000000000000000000000000000000000000" ] \
	&& pass "nothing stored for a failing runpack" || fail "nothing stored for a failing runpack"

# Several runpacks in one export (one confined child): a bad one and a
# missing directory in the middle are reported with their names, the others
# are stored, the exit status is the worst.
"$RPVAULT" pack --out "$T/m2" --tenant 3 --namespace 4 --run multi-2 --generated-at logical:1 \
	"$(dirname "$0")/../../examples/sample-run" >/dev/null 2>&1
run "$RPVAULT" export --store "$U" "$T/m2" "$T/bad" "$T/nonexistent" "$GOLD"
expect "a multi-runpack export exits with the worst status" 1 "export $T/bad: export refused"
case $ERR in *"export $T/nonexistent: runpack directory $T/nonexistent does not exist"*) pass "a missing directory is named" ;;
*) fail "a missing directory is named" "$ERR" ;; esac
[ "$(printf '%s\n' "$OUT" | grep -c '^file://')" = 2 ] && pass "the two good runpacks are stored and printed" ||
	fail "the two good runpacks are stored and printed" "$OUT"
run "$RPVAULT" ls --store "$U" --tenant 3
expect "the runpack after the failures is complete" 0 "complete   $U/tenant/3/namespace/4/"

# Crash safety: an export that died before the manifest.
"$RPVAULT" pack --out "$T/p2" --tenant 2 --namespace 1 --run run-2 --generated-at logical:3 "$GOLD" >/dev/null
K2="tenant/2/namespace/1/scenario/golden-time-after/run/run-2/spec/sha256/5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/"
mkdir -p "$S/$K2/artifacts" && cp "$T/p2/artifacts/"* "$S/$K2/artifacts/"
run "$RPVAULT" ls --store "$U"
expect "ls marks an export killed before the manifest as incomplete" 0 "incomplete $U/$K2"
run "$RPVAULT" verify --store "$U" "$U/$K2"
expect "an incomplete runpack never verifies" 1 '"status":"fail"'
run "$RPVAULT" export --store "$U" "$T/p2"
expect "re-export completes it" 0 "$U/$K2"
run "$RPVAULT" ls --store "$U" --tenant 2
expect "ls --tenant filters, and the runpack is now complete" 0 "complete   $U/$K2"
echo "$OUT" | grep -q "tenant/1/" && fail "ls --tenant 2 hides tenant 1" || pass "ls --tenant 2 hides tenant 1"

# Kill exports at random points: never complete-but-failing, and a re-run completes.
"$RPVAULT" pack --out "$T/p3" --tenant 3 --namespace 1 --run run-3 --generated-at logical:3 "$GOLD" >/dev/null
K3="tenant/3/namespace/1/scenario/golden-time-after/run/run-3/spec/sha256/5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/"
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$S/tenant/3"
	"$RPVAULT" export --store "$U" "$T/p3" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$i"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -f "$S/$K3/manifest.json" ]; then
		"$RPVAULT" verify --store "$U" "$U/$K3" >/dev/null 2>&1 || bad=$((bad + 1))
	fi
	"$RPVAULT" export --store "$U" "$T/p3" >/dev/null 2>&1 || bad=$((bad + 1))
	"$RPVAULT" verify --store "$U" "$U/$K3" >/dev/null 2>&1 || bad=$((bad + 1))
done
[ $bad = 0 ] && pass "10 killed exports: never complete-but-failing, re-run always completes" || fail "killed exports" "$bad bad outcomes"

# Tampering in the store.
chmod u+w "$S/$KEY/artifacts/triggers.json"
printf 'tampered' >>"$S/$KEY/artifacts/triggers.json"
run "$RPVAULT" verify --store "$U" "$U/$KEY"
expect "a tampered stored artifact fails, naming the path" 1 "hash mismatch for artifacts/triggers.json"
run "$RPVAULT" fetch --store "$U" "$U/$KEY" "$T/fetched2"
expect "fetch of a tampered runpack fails" 1 "failed verification"
[ ! -e "$T/fetched2" ] && pass "fetch wrote nothing for a failing runpack" || fail "fetch wrote nothing for a failing runpack"
rm "$S/$KEY/artifacts/packets.json"
run "$RPVAULT" verify --store "$U" "$U/$KEY"
expect "a missing stored artifact fails" 1 "artifact read failed for artifacts/packets.json"
rm -rf "$S/$KEY/artifacts"; ln -s "$GOLD/artifacts" "$S/$KEY/artifacts"
run "$RPVAULT" verify --store "$U" "$U/$KEY"
expect "a symlink inside the store is refused" 1 "symlink"

# Stored at the wrong key: the manifest must derive the key it sits under.
K4="tenant/9/namespace/1/scenario/golden-time-after/run/run-1/spec/sha256/5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/"
mkdir -p "$S/$K4" && cp -R "$GOLD/." "$S/$K4/"
run "$RPVAULT" verify --store "$U" "$U/$K4"
expect "a runpack copied under another key fails" 1 "storage key mismatch"

# Storage URIs that are not runpack keys.
run "$RPVAULT" verify --store "$U" "file:///elsewhere/$KEY"
expect "a storage URI outside the store is a usage error" 2 "is not inside the store"
run "$RPVAULT" verify --store "$U" "$U/tenant/1/../../etc/"
expect "a storage URI with traversal is a usage error" 2
run "$RPVAULT" verify --store "$U" "$U/$KEY../"
expect "a malformed key is a usage error" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SHARED_CREDENTIALS_FILE -u AWS_PROFILE HOME="$T" \
	"$RPVAULT" export --store "s3://bucket" "$GOLD"
expect "an s3 store without credentials is a usage error" 2 "credentials"
run "$RPVAULT" verify --endpoint http://127.0.0.1:1 "$GOLD"
expect "S3 options on a local verify are a usage error" 2 "S3 options apply to verify --store only"
run "$RPVAULT" store check --store "$U"
expect "store check of a file store is a usage error" 2 "store check needs an object store"
run "$RPVAULT" store verify
expect "store without 'check' is a usage error" 2 "usage: rpvault store check"
run "$RPVAULT" store check extra
expect "store check takes no positional arguments" 2 "no positional arguments"
run "$RPVAULT" export --store "$U" --endpoint http://127.0.0.1:1 "$GOLD"
expect "S3 options with a file store are a usage error" 2 "apply to s3:// stores only"
run "$RPVAULT" export --store "file:relative" "$GOLD"
expect "a relative file store URI is a usage error" 2 "file:///ABSOLUTE/PATH"

# Unicode and spaces in ids end to end.
"$RPVAULT" pack --out "$T/uni" --tenant 5 --namespace 6 --run "run 1 é✓" --generated-at logical:1 "$GOLD" >/dev/null
run "$RPVAULT" export --store "$U" "$T/uni"
expect "export of a runpack with a Unicode run id" 0 "/run/run 1 é✓/spec/"
run "$RPVAULT" verify --store "$U" "$OUT"
expect "verify --store of the Unicode key" 0 '"status":"pass"'

# Defaults: RPVAULT_STORE, configuration file, XDG.
run "$RPVAULT" export "$GOLD"
expect "RPVAULT_STORE is the default store" 0 "$RPVAULT_STORE/$KEY"
printf '# test\n[store]\nuri = file://%s/cfg-store\n[sandbox]\nuser = nobody\n' "$T" >"$T/rpvault.conf"
RPVAULT_STORE= "$RPVAULT" export --config "$T/rpvault.conf" "$GOLD" >"$T/.out" 2>"$T/.err"; RC=$?
expect "the configuration file names the store" 0 "file://$T/cfg-store/$KEY"
env -u RPVAULT_STORE "$RPVAULT" export --config /dev/null "$GOLD" >"$T/.out" 2>"$T/.err"; RC=$?
expect "XDG_DATA_HOME is the last default" 0 "file://$T/xdg/rpvault/store/$KEY"
printf '[store]\nbogus = 1\n' >"$T/bad.conf"
run "$RPVAULT" ls --config "$T/bad.conf"
expect "an unknown configuration key is an error naming file and line" 2 "bad.conf:2: unknown key 'bogus'"
printf '[nope]\n' >"$T/bad2.conf"
run "$RPVAULT" ls --config "$T/bad2.conf"
expect "an unknown section is an error" 2 "unknown section"
printf 'no equals\n' >"$T/bad3.conf"
run "$RPVAULT" ls --config "$T/bad3.conf"
expect "a malformed line is an error" 2 "expected key = value"
run "$RPVAULT" ls --config "$T/missing.conf"
expect "a named configuration file must exist" 2 "cannot read configuration"
run "$RPVAULT" ls --store "file://$T/empty-store"
expect "ls of a store that does not exist yet lists nothing" 0
