#!/bin/sh
# test_s3_store.sh - the s3:// store end to end against a real Ceph RADOS
# Gateway: export, verify --store, fetch, ls and store check of the real
# binary, checked from outside with an independent client (boto3, through
# tests/s3/s3tool.py) that also damages the bucket behind rpvault's back.
#
# What: round trips of every golden runpack that verifies as a file and of
# runpacks with spaces and Unicode in their ids, the Decision Gate key
# layout (spec §11) seen from boto3, root prefixes, tampered / deleted /
# oversized objects, idempotency and conflicts on a versioned bucket,
# object lock, the configuration routes (flags, environment, file) and their
# precedence, credentials files and their mode, http:// refusal, error
# exits (wrong secret, unknown bucket, closed port, stopped server) within
# bounded time, ls pagination past 1000 keys, exports killed at random
# points, and no secret in any output.
#
# Skips (a "# skipped" line, exit 0) when Ceph or boto3 is not installed and
# cannot be, unless CI=true, where it must run. RGW is always stopped on
# exit, by pid file.
# Security posture: test code; talks to 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
RGW="$T/rgw"
# lib.sh's trap removes $T; stop the daemons first (they hold files in it).
S3T_PID=""
PROXY_PID=""
trap '[ -z "$S3T_PID" ] || kill "$S3T_PID" 2>/dev/null; [ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null; bash "$top/tests/s3/rgw-stop.sh" "$RGW" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
GOLD="$FIX/runpacks/golden_time_after_pass"
MK="$top/tests/system/rpcase.py"

skip_or_fail() { # REASON
	if [ "${CI:-}" = true ]; then echo "not ok - $1 (CI must not skip the S3 tests)"; exit 1; fi
	echo "# skipped: $1"
	exit 0
}
[ -d "$GOLD" ] || skip_or_fail "fixtures not found at $FIX"

# An independent S3 client: boto3 in whichever python3 has it (Debian's
# python3-boto3 from tests/deps.sh, or a python3 earlier in PATH).
# The interpreter itself, not a version manager's shim (each shim call costs
# most of a second).
PY=""
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import boto3' 2>/dev/null; then
		PY=$("$p" -c 'import sys; print(sys.executable)')
		break
	fi
done
[ -n "$PY" ] || skip_or_fail "python3-boto3 is not installed"
# s3t COMMAND ARGS...: tests/s3/s3tool.py, through its server once started
# (importing boto3 costs about a second per process).
s3t() {
	if [ -n "$S3T_PID" ]; then
		timeout 60 sh -c 'f=$1; shift; printf "%s\0" "$#" "$@" >"$f"' _ "$T/s3t.req" "$@" ||
			{ echo "s3tool server does not answer" >&2; return 99; }
		_r=$(timeout 300 sh -c 'read -r l <"$1" && echo "$l"' _ "$T/s3t.rep")
		cat "$T/s3t.out"
		cat "$T/s3t.err" >&2
		return "${_r:-99}"
	fi
	"$PY" "$top/tests/s3/s3tool.py" "$@"
}

# Nothing from the caller's AWS set-up may leak in.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_CA_BUNDLE
export HOME="$T/home"
mkdir -p "$HOME"

# ---- the server ----------------------------------------------------------------
t0=$(date +%s)
bash "$top/tests/s3/rgw-start.sh" "$RGW" >"$T/rgw.env" 2>"$T/rgw.err"
RC=$?
if [ "$RC" = 77 ]; then skip_or_fail "Ceph RGW is not installed and cannot be installed here ($(tail -n 1 "$T/rgw.err"))"; fi
if [ "$RC" != 0 ]; then
	echo "not ok - rgw-start.sh starts Ceph RGW"
	sed 's/^/#   /' "$T/rgw.err" | tail -n 60
	exit 0
fi
. "$T/rgw.env"
echo "# RGW at $S3_ENDPOINT after $(($(date +%s) - t0)) s"
SECRET=$AWS_SECRET_ACCESS_KEY
EP=$S3_ENDPOINT
CAP="$T/captured" # every stdout and stderr of rpvault, for the secret check
: >"$CAP"

# srun CMD...: lib.sh's run, and keep what was printed.
srun() {
	run "$@"
	cat "$T/.out" "$T/.err" >>"$CAP"
}
# rpv COMMAND ARGS...: rpvault with the test server's settings as flags
# (after the command word, or both words of "store check"). $RPV_ENV, when
# set, is a command prefix such as "env -u AWS_ACCESS_KEY_ID".
RPV_ENV=""
rpv() {
	if [ "$1" = store ]; then _c="store $2"; shift 2; else _c=$1; shift; fi
	# shellcheck disable=SC2086
	srun $RPV_ENV "$RPVAULT" $_c --endpoint "$EP" --region us-east-1 --path-style --allow-http "$@"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# keyof DIR: the runpack prefix Decision Gate derives from DIR's manifest
# (spec §11.1), computed independently of rpvault.
keyof() {
	"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json", encoding="utf-8"))
k = "tenant/%d/namespace/%d/scenario/%s/run/%s/spec/sha256/%s/" % (
    m["tenant_id"], m["namespace_id"], m["scenario_id"], m["run_id"], m["spec_hash"]["value"])
sys.stdout.buffer.write(k.encode("utf-8"))' "$1"
}
nlines() { if [ -s "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# mkpack OUT TENANT RUN: a golden-sized runpack (7 logs + verifier report + manifest).
mkpack() {
	"$RPVAULT" pack --out "$1" --tenant "$2" --namespace 1 --run "$3" --generated-at logical:1 \
		--with-verification "$GOLD" >/dev/null
}
# mkbig SRC DST N SIZE: SRC plus N custom artifacts artifacts/big-I.json of SIZE bytes.
mkbig() {
	"$PY" - "$MK" "$@" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("rpcase", sys.argv[1])
rp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rp)
src, dst, n, size = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
import shutil, os
shutil.copytree(src, dst)
for root, dirs, files in os.walk(dst):
    os.chmod(root, 0o755)
    for f in files:
        os.chmod(os.path.join(root, f), 0o644)
m = rp.load(dst)
for i in range(n):
    rp.add_file(dst, m, "artifacts/big-%d.json" % i, b'["' + bytes([48 + i % 10]) * (size - 4) + b'"]')
rp.save(dst, m)
EOF
}

mkfifo "$T/s3t.req" "$T/s3t.rep"
"$PY" "$top/tests/s3/s3tool.py" serve "$T/s3t.req" "$T/s3t.rep" "$T/s3t.out" "$T/s3t.err" $$ 2>"$T/s3t.log" &
S3T_PID=$!
i=0
while [ ! -e "$T/s3t.out" ] && [ $i -lt 300 ] && kill -0 "$S3T_PID" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -e "$T/s3t.out" ]; then
	echo "# s3tool server did not start ($(tail -n 1 "$T/s3t.log")): one process per call"
	kill "$S3T_PID" 2>/dev/null
	S3T_PID=""
fi
for b in rpv-rt rpv-plain rpv-many rpv-kill; do s3t mkbucket "$b" || echo "not ok - create bucket $b"; done
s3t mkbucket rpv-ver --versioning || echo "not ok - create bucket rpv-ver"
s3t mkbucket rpv-lock --object-lock || echo "not ok - create bucket rpv-lock"

# ---- does this build have the S3 store at all? --------------------------------------
rpv store check --store s3://rpv-plain
if [ "$RC" != 0 ] && grep -qE "unknown command|not available in this build" "$T/.err"; then
	fail "rpvault has the S3 store (store check)"
	exit 0
fi

# ---- store check ----------------------------------------------------------------------
# check_lines NAME WANT...: all WANT substrings in the last output, rc 0.
check_lines() {
	_n=$1
	shift
	if [ "$RC" != 0 ]; then fail "$_n" "want rc=0"; return; fi
	for _w in "$@"; do
		if ! grep -qF -- "$_w" "$T/.out"; then fail "$_n" "want line: $_w"; return; fi
	done
	pass "$_n"
}
check_lines "store check on a plain bucket: reachable, versioning not enabled, object lock not enabled" \
	"bucket: reachable" "versioning: not enabled" "object lock: not enabled"
rpv store check --store s3://rpv-ver
check_lines "store check on a versioned bucket: versioning enabled" "bucket: reachable" "versioning: enabled" \
	"object lock: not enabled"
rpv store check --store s3://rpv-lock
check_lines "store check on an object-lock bucket: versioning and object lock enabled" "bucket: reachable" \
	"versioning: enabled" "object lock: enabled"
rpv store check --store s3://rpv-plain/dg/runpacks
check_lines "store check with a root prefix" "bucket: reachable"

# ---- round trips ----------------------------------------------------------------------
# roundtrip NAME DIR STORE [EXPORT-FLAGS...]: export → (boto3 sees exactly
# the files, bytes equal, under the §11 key) → verify --store (the local
# report's exact bytes) → fetch (bytes identical).
rtn=0
roundtrip() {
	_n=$1 _d=$2 _st=$3
	shift 3
	rtn=$((rtn + 1))
	_k=$(keyof "$_d")
	_b=${_st#s3://}
	_root=""
	case "$_b" in
	*/*)
		_root="${_b#*/}/"
		_b=${_b%%/*}
		;;
	esac
	_want="s3://$_b/$_root$_k"
	rpv export --store "$_st" "$@" "$_d"
	if [ "$RC" = 0 ] && [ "$OUT" = "$_want" ]; then
		pass "$_n: export prints exactly $_want"
	else
		fail "$_n: export prints exactly the storage URI" "want $_want"
		return
	fi
	if s3t get-tree "$_b" "$_root$_k" "$T/tree$rtn" 2>"$T/.err" && diff -r "$_d" "$T/tree$rtn" >"$T/.out" 2>&1; then
		pass "$_n: boto3 finds exactly the runpack's files, same bytes, under $_root<tenant/…/spec/sha256/hash>/"
	else
		fail "$_n: boto3 finds exactly the runpack's files under the §11 key"
	fi
	"$RPVAULT" verify "$_d" >"$T/local.json" 2>/dev/null
	rpv verify --store "$_st" "$_want"
	if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/local.json"; then
		pass "$_n: verify --store passes with the local report's exact bytes"
	else
		fail "$_n: verify --store passes with the local report's exact bytes" "want $(cat "$T/local.json")"
	fi
	rpv fetch --store "$_st" "$_want" "$T/fetch$rtn"
	if [ "$RC" = 0 ] && diff -r "$_d" "$T/fetch$rtn" >/dev/null 2>&1; then
		pass "$_n: fetch writes bytes identical to the source"
	else
		fail "$_n: fetch writes bytes identical to the source" "$(diff -r "$_d" "$T/fetch$rtn" 2>&1 | head -5)"
	fi
}

nfix=0
for d in "$FIX"/runpacks/* "$FIX"/adversarial/*; do
	[ -f "$d/manifest.json" ] || continue
	"$RPVAULT" verify "$d" >/dev/null 2>&1 || continue
	name=$(basename "$d")
	# These fixtures share one key (same ids, other manifests): one root prefix each.
	roundtrip "fixture $name" "$d" "s3://rpv-rt/fx/$name"
	nfix=$((nfix + 1))
done
[ "$nfix" -ge 3 ] && pass "round trips of all $nfix fixtures that verify as files" ||
	fail "round trips of the fixtures that verify as files" "only $nfix found"

# Spaces, Unicode and URI-special characters in scenario and run ids.
mkdir -p "$T/usrc/artifacts"
cp "$GOLD"/artifacts/* "$T/usrc/artifacts/" && chmod -R u+w "$T/usrc"
"$PY" - "$T/usrc/artifacts/scenario_spec.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p, encoding="utf-8"))
d["scenario_id"] = "scénario ✓ ünïcode"
open(p, "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False))
EOF
"$RPVAULT" pack --out "$T/uni" --tenant 5 --namespace 6 --run 'run 1 é✓ +~=&?#%*' --generated-at logical:1 \
	--with-verification "$T/usrc" >/dev/null 2>&1
roundtrip "scenario and run ids with spaces, Unicode, + ~ = & ? # % *" "$T/uni" "s3://rpv-rt"
mkpack "$T/sp" 7 "run with  two  spaces"
roundtrip "run id with spaces, root prefix with Unicode" "$T/sp" "s3://rpv-rt/préfixe ü"

# Root prefix dg/runpacks, then normalisation: a trailing '/' names the same place.
roundtrip "root prefix dg/runpacks" "$GOLD" "s3://rpv-rt/dg/runpacks"
KG=$(keyof "$GOLD")
rpv export --store "s3://rpv-rt/dg/runpacks/" "$GOLD"
expect "root prefix dg/runpacks/ (trailing slash) is the same store: idempotent re-export" 0 "s3://rpv-rt/dg/runpacks/$KG"
[ "$OUT" = "s3://rpv-rt/dg/runpacks/$KG" ] && pass "the trailing slash does not double in the storage URI" ||
	fail "the trailing slash does not double in the storage URI"
rpv verify --store "s3://rpv-rt/dg/runpacks" "$KG"
expect "verify --store by the bare key" 0 '"status":"pass"'
rpv verify --store "s3://rpv-rt/dg/runpacks" "s3://rpv-other/dg/runpacks/$KG"
expect "a storage URI in another bucket is a usage error" 2 "is not inside the store"
rpv export --store "s3://rpv-rt/ dg/runpacks " "$GOLD"
expect "root prefix ' dg/runpacks ' (white space trimmed) is the same store" 0 "s3://rpv-rt/dg/runpacks/$KG"
rpv export --store "s3://rpv-rt/../x" "$GOLD"
expect "root prefix with traversal is a usage error" 2
rpv verify --format markdown --store "s3://rpv-rt/dg/runpacks" "s3://rpv-rt/dg/runpacks/$KG"
"$RPVAULT" verify --format markdown "$GOLD" >"$T/local.md" 2>/dev/null
if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/local.md"; then pass "verify --store --format markdown equals the local markdown"; else fail "verify --store --format markdown equals the local markdown"; fi
mkpack "$T/nrb" 1 "no-read-back"
roundtrip "--no-read-back" "$T/nrb" "s3://rpv-rt/nrb" --no-read-back
mkbig "$T/nrb" "$T/bigrt" 2 4194304
roundtrip "runpack with 2 x 4 MiB artifacts" "$T/bigrt" "s3://rpv-rt/big"

# Several runpacks in one call: one URI per runpack, in order.
mkpack "$T/m1" 3 "multi-1"
mkpack "$T/m2" 3 "multi-2"
rpv export --store s3://rpv-rt/multi "$T/m1" "$T/m2"
printf 's3://rpv-rt/multi/%s\ns3://rpv-rt/multi/%s\n' "$(keyof "$T/m1")" "$(keyof "$T/m2")" >"$T/want"
if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/want"; then pass "export of two runpacks prints two URIs in order"; else fail "export of two runpacks prints two URIs in order"; fi

# ---- damage behind rpvault's back -------------------------------------------------------
# Tampered artifact: one byte more (still valid JSON), put with boto3.
rpv export --store s3://rpv-plain/tamper "$GOLD"
{ cat "$GOLD/artifacts/decisions.json"; printf ' '; } >"$T/tampered.json"
s3t put rpv-plain "tamper/${KG}artifacts/decisions.json" "$T/tampered.json"
rpv verify --store s3://rpv-plain/tamper "s3://rpv-plain/tamper/$KG"
expect "a tampered artifact object fails verify, naming the path" 1 "hash mismatch for artifacts/decisions.json"
grep -qF '"status":"fail"' "$T/.out" && pass "the tampered runpack's report says fail" || fail "the tampered runpack's report says fail"
rpv fetch --store s3://rpv-plain/tamper "s3://rpv-plain/tamper/$KG" "$T/fetch-tampered"
expect "fetch of a tampered runpack fails" 1
[ ! -e "$T/fetch-tampered" ] && pass "fetch wrote nothing for the tampered runpack" || fail "fetch wrote nothing for the tampered runpack"

# Deleted artifact.
rpv export --store s3://rpv-plain/del-artifact "$GOLD"
s3t delete rpv-plain "del-artifact/${KG}artifacts/packets.json"
rpv verify --store s3://rpv-plain/del-artifact "s3://rpv-plain/del-artifact/$KG"
expect "a deleted artifact object fails verify, naming the path" 1 "artifact read failed for artifacts/packets.json"
rpv fetch --store s3://rpv-plain/del-artifact "s3://rpv-plain/del-artifact/$KG" "$T/fetch-deleted"
if [ "$RC" = 1 ] && [ ! -e "$T/fetch-deleted" ]; then pass "fetch of a runpack with a deleted artifact fails, writes nothing"; else fail "fetch of a runpack with a deleted artifact fails, writes nothing"; fi

# Re-export over a damaged stored copy: the manifest is the same, so every
# stored artifact is checked (by its SHA-256) and the damage is named.
rpv export --store s3://rpv-plain/tamper "$GOLD"
expect "re-export over a tampered stored artifact fails, naming the path (exit 1)" 1 \
	"the runpack already stored at s3://rpv-plain/tamper/$KG failed verification: hash mismatch for artifacts/decisions.json"
rpv export --store s3://rpv-plain/del-artifact "$GOLD"
expect "re-export over a deleted stored artifact fails, naming the path and the store's answer" 1 \
	"reading artifacts/packets.json: object store: GET s3://rpv-plain/del-artifact/${KG}artifacts/packets.json: HTTP 404 NoSuchKey"

# ---- the export pipeline: results in input order, one bad runpack stops no other ------------
# m1, a runpack that fails local verification, a conflict (other bytes at
# GOLD's key), m2: the two good ones are stored, the two bad ones are
# reported in input order, nothing of them is written.
rpv export --store s3://rpv-plain/mixed "$GOLD"
copy_fixture "$GOLD" "$T/badlocal"
{ cat "$GOLD/artifacts/decisions.json"; printf ' '; } >"$T/badlocal/artifacts/decisions.json"
"$PY" "$MK" "$GOLD" "$T/other-mixed" unix_millis 5 >/dev/null
rpv export --store s3://rpv-plain/mixed "$T/m1" "$T/badlocal" "$T/other-mixed" "$T/m2"
printf 's3://rpv-plain/mixed/%s\ns3://rpv-plain/mixed/%s\n' "$(keyof "$T/m1")" "$(keyof "$T/m2")" >"$T/want"
if [ "$RC" = 1 ] && cmp -s "$T/.out" "$T/want"; then
	pass "mixed export: exit 1, the two good runpacks' URIs in input order"
else
	fail "mixed export: exit 1, the two good runpacks' URIs in input order" "rc=$RC"
fi
grep '^rpvault: ' "$T/.err" >"$T/mixed-err"
l1=$(grep -n "export $T/badlocal: export refused: the runpack failed verification" "$T/mixed-err" | cut -d: -f1)
l2=$(grep -n "export $T/other-mixed: a different runpack is already stored at s3://rpv-plain/mixed/$KG (its manifest.json differs)" "$T/mixed-err" | cut -d: -f1)
if [ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" -lt "$l2" ] && [ "$(nlines "$T/mixed-err")" = 2 ]; then
	pass "mixed export: the local failure, then the conflict, each named, in input order"
else
	fail "mixed export: the local failure, then the conflict, each named, in input order" "$(cat "$T/mixed-err")"
fi
s3t get rpv-plain "mixed/${KG}manifest.json" "$T/mixed-manifest"
cmp -s "$T/mixed-manifest" "$GOLD/manifest.json" && pass "mixed export: the conflict left the stored manifest alone" ||
	fail "mixed export: the conflict left the stored manifest alone"
rpv verify --store s3://rpv-plain/mixed "s3://rpv-plain/mixed/$(keyof "$T/m2")"
expect "mixed export: the runpack after the failures verifies from the store" 0

# A file list too long for one export plan frame (600 paths of ~420 bytes:
# more than 256 KiB) takes the file-by-file path, after the queued ones.
"$PY" - "$MK" "$GOLD" "$T/longlist" <<'EOF'
import importlib.util, os, shutil, sys
spec = importlib.util.spec_from_file_location("rpcase", sys.argv[1])
rp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rp)
src, dst = sys.argv[2], sys.argv[3]
shutil.copytree(src, dst)
for root, dirs, files in os.walk(dst):
    os.chmod(root, 0o755)
    for f in files:
        os.chmod(os.path.join(root, f), 0o644)
m = rp.load(dst)
m["run_id"] = "long-list"
for i in range(600):
    rp.add_file(dst, m, "artifacts/%s/%04d%s.json" % ("d" * 200, i, "x" * 200), b'[%d]' % i)
rp.save(dst, m)
EOF
KL=$(keyof "$T/longlist")
rpv export --store s3://rpv-plain/longlist "$T/m1" "$T/longlist" "$T/m2"
printf 's3://rpv-plain/longlist/%s\ns3://rpv-plain/longlist/%s\ns3://rpv-plain/longlist/%s\n' \
	"$(keyof "$T/m1")" "$KL" "$(keyof "$T/m2")" >"$T/want"
if [ "$RC" = 0 ] && cmp -s "$T/.out" "$T/want"; then
	pass "a runpack of 609 files with long paths (beyond one plan frame) exports between two others, in order"
else
	fail "a runpack of 609 files with long paths exports between two others, in order" "rc=$RC $(head -c 300 "$T/.err")"
fi
rpv verify --store s3://rpv-plain/longlist "s3://rpv-plain/longlist/$KL"
expect "the long-list runpack verifies from the store" 0
nk=$(s3t count rpv-plain "longlist/$KL")
[ "$nk" = 609 ] && pass "boto3 counts its 609 objects" || fail "boto3 counts its 609 objects" "got $nk"

# ---- read-back through a store that returns other bytes ---------------------------------
# A forwarding proxy in front of RGW that, once a key has been PUT through
# it, answers GETs of that key ending in CORRUPT with its last byte changed
# (the probe GET before the upload is untouched). Signatures stay valid:
# requests are forwarded byte for byte, Host header included.
cat >"$T/proxy.py" <<'PY'
import http.client, http.server, sys, threading
up_host, up_port, suffix, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
put_seen = set()
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def fwd(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        c = http.client.HTTPConnection(up_host, up_port, timeout=30)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        key = self.path.split("?", 1)[0]
        with lock:
            if self.command == "PUT" and r.status == 200:
                put_seen.add(key)
            bad = self.command == "GET" and r.status == 200 and key.endswith(suffix) and key in put_seen
        if bad and data:
            data = data[:-1] + bytes([data[-1] ^ 1])
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()
    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = fwd
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(srv.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
# with_proxy SUFFIX: (re)starts the proxy corrupting GETs of keys ending in SUFFIX; sets PEP.
with_proxy() {
	[ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null
	rm -f "$T/proxy.port"
	_hp=${EP#http://}
	"$PY" "$T/proxy.py" "${_hp%:*}" "${_hp##*:}" "$1" "$T/proxy.port" 2>"$T/proxy.log" &
	PROXY_PID=$!
	_i=0
	while [ ! -s "$T/proxy.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	PEP="http://127.0.0.1:$(cat "$T/proxy.port" 2>/dev/null)"
}
with_proxy "/artifacts/decisions.json"
if [ -s "$T/proxy.port" ]; then
	EP_DIRECT=$EP
	EP=$PEP
	rpv export --store s3://rpv-plain/rb-art "$GOLD"
	EP=$EP_DIRECT
	expect "read-back: an artifact read back with other bytes fails the export (exit 1), naming the path" 1 \
		"stored copy failed verification: hash mismatch for artifacts/decisions.json (read back from s3://rpv-plain/rb-art/$KG)"
	rpv ls --store s3://rpv-plain/rb-art
	expect "read-back: the manifest was not written (ls: incomplete)" 0 "incomplete s3://rpv-plain/rb-art/$KG"
	EP=$PEP
	rpv export --no-read-back --store s3://rpv-plain/rb-art "$GOLD"
	EP=$EP_DIRECT
	expect "read-back: the same export with --no-read-back completes (nothing is read back)" 0 "s3://rpv-plain/rb-art/$KG"
	rpv export --store s3://rpv-plain/rb-art "$GOLD"
	expect "read-back: a direct re-export then finds the identical runpack stored" 0 "s3://rpv-plain/rb-art/$KG"
	with_proxy "/manifest.json"
	EP=$PEP
	rpv export --store s3://rpv-plain/rb-man "$GOLD"
	EP=$EP_DIRECT
	expect "read-back: a manifest read back with other bytes fails the export (exit 1)" 1 \
		"the stored manifest s3://rpv-plain/rb-man/${KG}manifest.json reads back different bytes"
	kill "$PROXY_PID" 2>/dev/null
	PROXY_PID=""
else
	fail "the corrupting proxy starts" "$(tail -n 3 "$T/proxy.log" 2>/dev/null)"
fi

# Deleted manifest: incomplete, never verifies; a re-export completes it.
rpv export --store s3://rpv-plain/del-manifest "$GOLD"
s3t delete rpv-plain "del-manifest/${KG}manifest.json"
rpv ls --store s3://rpv-plain/del-manifest
expect "ls lists a runpack without manifest as incomplete" 0 "incomplete s3://rpv-plain/del-manifest/$KG"
rpv verify --store s3://rpv-plain/del-manifest "s3://rpv-plain/del-manifest/$KG"
expect "verify of a runpack without manifest fails" 1 '"status":"fail"'
rpv export --store s3://rpv-plain/del-manifest "$GOLD"
expect "re-export after a lost manifest succeeds" 0 "s3://rpv-plain/del-manifest/$KG"
rpv ls --store s3://rpv-plain/del-manifest
expect "ls then lists it as complete" 0 "complete   s3://rpv-plain/del-manifest/$KG"

# 16 MiB + 1 planted under a runpack key: as a listed artifact, as the manifest.
rpv export --store s3://rpv-plain/large "$GOLD"
s3t plant-large rpv-plain "large/${KG}artifacts/decisions.json"
rpv verify --store s3://rpv-plain/large "s3://rpv-plain/large/$KG"
expect "a 16 MiB + 1 artifact object fails verify: artifact too large" 1 "artifact too large"
grep -qF "artifacts/decisions.json" "$T/.out" "$T/.err" && pass "the too-large report names artifacts/decisions.json" ||
	fail "the too-large report names artifacts/decisions.json"
# Decision Gate's reader (spec §11.5) and the file store name the relative path.
if grep -qF "artifact too large: artifacts/decisions.json (16777217 > 16777216)" "$T/.out" "$T/.err"; then
	pass "the too-large message is Decision Gate's: 'artifact too large: artifacts/decisions.json (16777217 > 16777216)'"
else
	fail "the too-large message is Decision Gate's: 'artifact too large: artifacts/decisions.json (16777217 > 16777216)'"
fi
rpv fetch --store s3://rpv-plain/large "s3://rpv-plain/large/$KG" "$T/fetch-large"
if [ "$RC" = 1 ] && [ ! -e "$T/fetch-large" ] && grep -qF "artifact too large" "$T/.out" "$T/.err"; then
	pass "fetch refuses the 16 MiB + 1 artifact (artifact too large), writes nothing"
else
	fail "fetch refuses the 16 MiB + 1 artifact (artifact too large), writes nothing"
fi
# The server's own access log (beast: '"GET /bucket/key HTTP/1.1" STATUS BYTES'):
# no GET of the oversized object was sent whole.
sleep 1
grep -F "\"GET /rpv-plain/large/${KG}artifacts/decisions.json HTTP/1.1\" 200 " "$RGW/log/client.rgw.a.log" |
	sed -n 's/.*HTTP\/1\.1" 200 \([0-9]*\).*/\1/p' >"$T/large-gets"
ng=$(nlines "$T/large-gets")
maxg=$(sort -n "$T/large-gets" | tail -n 1)
if [ "$ng" -ge 2 ] && [ "${maxg:-0}" -lt 16777217 ]; then
	pass "the 16 MiB + 1 object was never downloaded whole ($ng GETs in RGW's log, at most $maxg bytes sent)"
else
	fail "the 16 MiB + 1 object was never downloaded whole" "$ng GETs in RGW's log, at most ${maxg:-?} bytes sent"
fi
s3t put rpv-plain "large/${KG}artifacts/decisions.json" "$GOLD/artifacts/decisions.json"
s3t plant-large rpv-plain "large/${KG}manifest.json"
rpv verify --store s3://rpv-plain/large "s3://rpv-plain/large/$KG"
expect "a 16 MiB + 1 manifest object fails verify: too large" 1 "too large"

# ---- versioned bucket: idempotent re-export, conflict refused ------------------------------
rpv export --store s3://rpv-ver "$GOLD"
expect "export to a versioned bucket" 0 "s3://rpv-ver/$KG"
v1=$(s3t versions rpv-ver "$KG")
[ "$v1" = 9 ] && pass "one version per object after the first export (9)" || fail "one version per object after the first export" "got $v1"
rpv export --store s3://rpv-ver "$GOLD"
expect "re-export of the identical runpack succeeds" 0 "s3://rpv-ver/$KG"
v2=$(s3t versions rpv-ver "$KG")
[ "$v2" = "$v1" ] && pass "re-export created no object version ($v2)" || fail "re-export created no object version" "$v1 -> $v2"
"$PY" "$MK" "$GOLD" "$T/other" unix_millis 5 >/dev/null
rpv export --store s3://rpv-ver "$T/other"
expect "a different runpack at the same key is refused (exit 1)" 1 "different runpack"
v3=$(s3t versions rpv-ver "$KG")
[ "$v3" = "$v1" ] && pass "the refused conflict wrote no object version" || fail "the refused conflict wrote no object version" "$v1 -> $v3"
s3t get rpv-ver "${KG}manifest.json" "$T/ver-manifest"
cmp -s "$T/ver-manifest" "$GOLD/manifest.json" && pass "the stored manifest is still the first runpack's" ||
	fail "the stored manifest is still the first runpack's"
rpv verify --store s3://rpv-ver "s3://rpv-ver/$KG"
expect "the first runpack still verifies" 0 '"status":"pass"'

# ---- object-lock bucket -------------------------------------------------------------------
rpv export --store s3://rpv-lock/wo "$GOLD"
expect "export to an object-lock bucket" 0 "s3://rpv-lock/wo/$KG"
rpv verify --store s3://rpv-lock/wo "s3://rpv-lock/wo/$KG"
expect "verify from the object-lock bucket" 0 '"status":"pass"'
l1=$(s3t versions rpv-lock "wo/$KG")
rpv export --store s3://rpv-lock/wo "$GOLD"
l2=$(s3t versions rpv-lock "wo/$KG")
if [ "$RC" = 0 ] && [ "$l1" = "$l2" ]; then pass "re-export to the object-lock bucket is idempotent ($l2 versions)"; else fail "re-export to the object-lock bucket is idempotent" "$l1 -> $l2"; fi

# ---- configuration routes and precedence ----------------------------------------------------
cat >"$T/s3.conf" <<EOF
[store]
uri = s3://rpv-plain/cfg
endpoint = $EP
region = us-east-1
path_style = true
allow_http = true
EOF
srun env -u RPVAULT_STORE -u AWS_ENDPOINT_URL "$RPVAULT" export --config "$T/s3.conf" "$GOLD"
expect "the configuration file alone names the S3 store and its settings" 0 "s3://rpv-plain/cfg/$KG"
srun env -u RPVAULT_STORE -u AWS_ENDPOINT_URL "$RPVAULT" ls --config "$T/s3.conf"
expect "ls with the configuration file" 0 "complete   s3://rpv-plain/cfg/$KG"
srun env RPVAULT_STORE=s3://rpv-plain/env AWS_ENDPOINT_URL="$EP" "$RPVAULT" export --path-style --allow-http "$GOLD"
expect "RPVAULT_STORE and AWS_ENDPOINT_URL from the environment" 0 "s3://rpv-plain/env/$KG"
srun env AWS_ENDPOINT_URL=http://127.0.0.1:1 "$RPVAULT" store check --store s3://rpv-plain --endpoint "$EP" \
	--path-style --allow-http
expect "precedence: --endpoint beats AWS_ENDPOINT_URL" 0 "bucket: reachable"
sed "s|^endpoint = .*|endpoint = http://127.0.0.1:1|" "$T/s3.conf" >"$T/s3-closed.conf"
srun env -u RPVAULT_STORE AWS_ENDPOINT_URL="$EP" "$RPVAULT" store check --config "$T/s3-closed.conf"
expect "precedence: AWS_ENDPOINT_URL beats [store] endpoint" 0 "bucket: reachable"
srun env -u RPVAULT_STORE -u AWS_ENDPOINT_URL "$RPVAULT" store check --config "$T/s3-closed.conf"
expect "[store] endpoint is used when nothing overrides it (closed port: exit 3)" 3
srun env RPVAULT_STORE=s3://rpv-no-such-bucket "$RPVAULT" store check --config "$T/s3.conf" --store s3://rpv-plain \
	--endpoint "$EP" --allow-http --path-style
expect "precedence: --store beats RPVAULT_STORE" 0 "bucket: reachable"

# http:// needs --allow-http (or allow_http = true, used above).
srun "$RPVAULT" store check --store s3://rpv-plain --endpoint "$EP" --path-style
expect "an http:// endpoint without --allow-http is refused (exit 2)" 2 "http"
sed "/^allow_http/d" "$T/s3.conf" >"$T/s3-nohttp.conf"
srun env -u RPVAULT_STORE -u AWS_ENDPOINT_URL "$RPVAULT" ls --config "$T/s3-nohttp.conf"
expect "an http:// [store] endpoint without allow_http is refused (exit 2)" 2 "http"

# ---- credentials files -------------------------------------------------------------------------
RPV_ENV="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$SECRET" >"$T/creds"
chmod 0644 "$T/creds"
rpv store check --store s3://rpv-plain --credentials-file "$T/creds"
expect "a credentials file with mode 0644 is refused (exit 2, naming the file)" 2 "$T/creds"
chmod 0600 "$T/creds"
rpv store check --store s3://rpv-plain --credentials-file "$T/creds"
expect "a credentials file with mode 0600 is accepted" 0 "bucket: reachable"
chmod 0400 "$T/creds"
rpv store check --store s3://rpv-plain --credentials-file "$T/creds"
expect "a credentials file with mode 0400 is accepted" 0 "bucket: reachable"
rpv export --store s3://rpv-plain/credfile --credentials-file "$T/creds" "$GOLD"
expect "export with credentials from the file" 0 "s3://rpv-plain/credfile/$KG"
{
	printf '[default]\naws_access_key_id = RPVWRONGKEY000000000\naws_secret_access_key = wrongwrongwrong\n\n'
	printf '[rgw]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$SECRET"
} >"$T/shared-creds"
chmod 0600 "$T/shared-creds"
RPV_ENV="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=$T/shared-creds AWS_PROFILE=rgw"
rpv store check --store s3://rpv-plain
expect "AWS_SHARED_CREDENTIALS_FILE with AWS_PROFILE=rgw" 0 "bucket: reachable"
RPV_ENV="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=$T/shared-creds"
rpv store check --store s3://rpv-plain
expect "without AWS_PROFILE the [default] profile is used (wrong keys here: exit 3)" 3
printf 'credentials_file = %s\n' "$T/creds" >>"$T/s3.conf"
RPV_ENV="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u RPVAULT_STORE"
# shellcheck disable=SC2086
srun $RPV_ENV "$RPVAULT" store check --config "$T/s3.conf"
expect "[store] credentials_file" 0 "bucket: reachable"
mkdir -p "$HOME/.aws" && cp "$T/creds" "$HOME/.aws/credentials" && chmod 0600 "$HOME/.aws/credentials"
rpv store check --store s3://rpv-plain
expect 'the default credentials file $HOME/.aws/credentials is the last source' 0 "bucket: reachable"
chmod 0640 "$HOME/.aws/credentials"
rpv store check --store s3://rpv-plain
expect '$HOME/.aws/credentials with mode 0640 is refused' 2 ".aws/credentials"
rm -rf "$HOME/.aws"
RPV_ENV=""

# ---- errors: exit 3, a clear message, bounded time ---------------------------------------------
srun env AWS_SECRET_ACCESS_KEY="${SECRET}x" "$RPVAULT" store check --store s3://rpv-plain --endpoint "$EP" \
	--path-style --allow-http
expect "wrong secret: store check exits 3 with SignatureDoesNotMatch" 3 "SignatureDoesNotMatch"
srun env AWS_SECRET_ACCESS_KEY="${SECRET}x" "$RPVAULT" export --store s3://rpv-plain/wrong --endpoint "$EP" \
	--path-style --allow-http "$GOLD"
expect "wrong secret: export exits 3 with SignatureDoesNotMatch" 3 "SignatureDoesNotMatch"
srun env AWS_SECRET_ACCESS_KEY="${SECRET}x" "$RPVAULT" verify --store s3://rpv-plain/tamper --endpoint "$EP" \
	--path-style --allow-http "s3://rpv-plain/tamper/$KG"
expect "wrong secret: verify exits 3 (could not run, not a failed report)" 3 "SignatureDoesNotMatch"
srun env AWS_ACCESS_KEY_ID=RPVNOSUCHKEY0000000 "$RPVAULT" ls --store s3://rpv-plain --endpoint "$EP" \
	--path-style --allow-http
expect "unknown access key: ls exits 3 with InvalidAccessKeyId" 3 "InvalidAccessKeyId"
rpv store check --store s3://rpv-no-such-bucket
expect "unknown bucket: store check exits 3 with NoSuchBucket" 3 "NoSuchBucket"
rpv export --store s3://rpv-no-such-bucket "$GOLD"
expect "unknown bucket: export exits 3 with NoSuchBucket" 3 "NoSuchBucket"
rpv verify --store s3://rpv-plain "s3://rpv-plain/tenant/99/namespace/1/scenario/x/run/y/spec/sha256/$(printf '%064d' 0)/"
expect "verify of a runpack that is not in the bucket fails" 1 '"status":"fail"'
# timed3 NAME CMD...: exit 3 within 30 s, the message naming the endpoint or a connection error.
timed3() {
	_n=$1
	shift
	_t0=$(now_ms)
	srun "$@"
	_dt=$(($(now_ms) - _t0))
	if [ "$RC" = 3 ] && [ "$_dt" -lt 30000 ] && grep -qiE "127\.0\.0\.1|connect|refused" "$T/.err"; then
		pass "$_n: exit 3 in $_dt ms, naming the endpoint or connection error"
	else
		fail "$_n: exit 3 in < 30 s, naming the endpoint or connection error" "took $_dt ms"
	fi
}
timed3 "closed port (store check)" "$RPVAULT" store check --store s3://rpv-plain --endpoint http://127.0.0.1:1 \
	--path-style --allow-http
timed3 "closed port (verify)" "$RPVAULT" verify --store s3://rpv-plain/tamper --endpoint http://127.0.0.1:1 \
	--path-style --allow-http "s3://rpv-plain/tamper/$KG"

# ---- ls pagination: 120 runpacks x 9 objects = 1080 keys ----------------------------------------
# 120 golden runpacks, run ids run-000..run-119, tenants 1 and 2 in turn
# (only the manifest changes, as with rpvault pack; one process for all).
"$PY" - "$MK" "$GOLD" "$T/many" <<'EOF'
import importlib.util, os, shutil, sys
spec = importlib.util.spec_from_file_location("rpcase", sys.argv[1])
rp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rp)
os.mkdir(sys.argv[3])
for i in range(120):
    d = os.path.join(sys.argv[3], str(i))
    shutil.copytree(sys.argv[2], d)
    for root, dirs, files in os.walk(d):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    m = rp.load(d)
    m["tenant_id"] = 1 + i % 2
    m["run_id"] = "run-%03d" % i
    rp.save(d, m)
EOF
i=0
dirs=""
while [ $i -lt 120 ]; do
	dirs="$dirs $T/many/$i"
	i=$((i + 1))
done
t0=$(now_ms)
# shellcheck disable=SC2086
rpv export --store s3://rpv-many $dirs
dt=$(($(now_ms) - t0))
n=$(printf '%s\n' "$OUT" | grep -c '^s3://rpv-many/tenant/')
[ "$RC" = 0 ] && [ "$n" = 120 ] && pass "one export of 120 runpacks prints 120 URIs ($dt ms)" ||
	fail "one export of 120 runpacks prints 120 URIs" "got $n"
nk=$(s3t count rpv-many "")
[ "$nk" = 1080 ] && pass "boto3 counts 1080 objects" || fail "boto3 counts 1080 objects" "got $nk"
rpv ls --store s3://rpv-many
printf '%s\n' "$OUT" >"$T/ls-many"
nc=$(grep -c '^complete   s3://rpv-many/tenant/[12]/namespace/1/scenario/golden-time-after/run/run-[0-9][0-9][0-9]/spec/sha256/[0-9a-f]*/$' "$T/ls-many")
nu=$(sort -u "$T/ls-many" | grep -c .)
if [ "$RC" = 0 ] && [ "$nc" = 120 ] && [ "$nu" = 120 ] && [ "$(nlines "$T/ls-many")" = 120 ]; then
	pass "ls across 1080 keys (pagination) lists 120 runpacks, all complete, '%-10s %s'"
else
	fail "ls across 1080 keys (pagination) lists 120 runpacks, all complete" "complete lines: $nc, unique: $nu"
fi
rpv ls --store s3://rpv-many --tenant 2
n2=$(printf '%s\n' "$OUT" | grep -c '^complete   s3://rpv-many/tenant/2/')
[ "$RC" = 0 ] && [ "$n2" = 60 ] && [ "$(printf '%s\n' "$OUT" | grep -c .)" = 60 ] &&
	pass "ls --tenant 2 lists its 60 runpacks only" || fail "ls --tenant 2 lists its 60 runpacks only" "got $n2"
rpv ls --store s3://rpv-many --tenant 1 --namespace 1
n3=$(printf '%s\n' "$OUT" | grep -c '^complete   s3://rpv-many/tenant/1/namespace/1/')
[ "$RC" = 0 ] && [ "$n3" = 60 ] && pass "ls --tenant 1 --namespace 1 lists 60" || fail "ls --tenant 1 --namespace 1 lists 60" "got $n3"
rpv ls --store s3://rpv-many/nothing-here
[ "$RC" = 0 ] && [ -z "$OUT" ] && pass "ls of an empty prefix prints nothing" || fail "ls of an empty prefix prints nothing"

# ---- exports killed at random points ----------------------------------------------------------
mkbig "$GOLD" "$T/killsrc" 3 1048576
KK=$(keyof "$T/killsrc")
KU="s3://rpv-kill/$KK"
t0=$(now_ms)
rpv export --store s3://rpv-kill "$T/killsrc"
full=$(($(now_ms) - t0))
[ "$RC" = 0 ] || fail "a full export of the kill runpack (3 x 1 MiB)"
bad=0 ncomplete=0 nincomplete=0 nnone=0 notes=""
seed=$(($(date +%s) % 100000))
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	s3t purge rpv-kill "$KK"
	d=$(awk -v s="$seed" -v i="$i" -v m="$full" 'BEGIN { srand(s + i); printf "%.3f", rand() * m * 1.1 / 1000 }')
	$RPV_ENV "$RPVAULT" export --endpoint "$EP" --region us-east-1 --path-style --allow-http \
		--store s3://rpv-kill "$T/killsrc" >>"$CAP" 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rpv ls --store s3://rpv-kill
	if printf '%s\n' "$OUT" | grep -qxF "complete   $KU"; then
		ncomplete=$((ncomplete + 1))
		rpv verify --store s3://rpv-kill "$KU"
		[ "$RC" = 0 ] || { bad=$((bad + 1)); notes="$notes run $i: complete but verify rc=$RC;"; }
	elif printf '%s\n' "$OUT" | grep -qxF "incomplete $KU"; then
		nincomplete=$((nincomplete + 1))
		rpv verify --store s3://rpv-kill "$KU"
		[ "$RC" = 1 ] || { bad=$((bad + 1)); notes="$notes run $i: incomplete but verify rc=$RC;"; }
	else
		nnone=$((nnone + 1))
	fi
	rpv export --store s3://rpv-kill "$T/killsrc"
	[ "$RC" = 0 ] || { bad=$((bad + 1)); notes="$notes run $i: re-export rc=$RC;"; }
	rpv verify --store s3://rpv-kill "$KU"
	[ "$RC" = 0 ] || { bad=$((bad + 1)); notes="$notes run $i: verify after re-export rc=$RC;"; }
	rpv ls --store s3://rpv-kill
	printf '%s\n' "$OUT" | grep -qxF "complete   $KU" || { bad=$((bad + 1)); notes="$notes run $i: not complete after re-export;"; }
done
echo "# kill -9 within 0..$((full * 11 / 10)) ms of a ${full} ms export: $ncomplete complete, $nincomplete incomplete, $nnone nothing listed"
[ $bad = 0 ] && pass "20 exports killed at random points: never complete unless verify passes; re-run always completes" ||
	fail "20 exports killed at random points" "$bad bad outcomes:$notes"

# ---- the confined child killed mid-export: queued runpacks are named, none is wrong -----------
# The first URI is printed once 16 plans are queued (the window), so killing
# the child then leaves plans unfinished: each must be reported "not
# confirmed", the command exits 3, and whatever is listed complete verifies.
mkdir -p "$T/kc"
kcdirs=""
i=0
while [ $i -lt 30 ]; do
	mkpack "$T/kc/$i" 3 "kc-$i"
	kcdirs="$kcdirs $T/kc/$i"
	i=$((i + 1))
done
# shellcheck disable=SC2086
$RPV_ENV "$RPVAULT" export --endpoint "$EP" --region us-east-1 --path-style --allow-http \
	--store s3://rpv-kill/kc $kcdirs >"$T/kc.out" 2>"$T/kc.err" &
kbp=$!
i=0
while [ ! -s "$T/kc.out" ] && [ $i -lt 500 ] && kill -0 "$kbp" 2>/dev/null; do sleep 0.01; i=$((i + 1)); done
kcp=$(pgrep -P "$kbp" | head -n 1)
[ -n "$kcp" ] && kill -9 "$kcp" 2>/dev/null
wait "$kbp"
krc=$?
cat "$T/kc.out" "$T/kc.err" >>"$CAP"
nconf=$(grep -c "not confirmed: the export stopped before this runpack's upload was confirmed" "$T/kc.err")
if [ -z "$kcp" ]; then
	fail "child killed mid-export" "no confined child found (the export ended in $i polls)"
elif [ "$krc" = 3 ] && [ "$nconf" -ge 1 ]; then
	pass "child killed mid-export: exit 3, $nconf queued runpack(s) reported not confirmed"
else
	fail "child killed mid-export: exit 3, queued runpacks reported not confirmed" "rc=$krc, $nconf lines: $(head -c 600 "$T/kc.err")"
fi
rpv ls --store s3://rpv-kill/kc
printf '%s
' "$OUT" | grep '^complete   ' | sed 's/^complete   //' >"$T/kc.complete"
kbad=0
for u in $(cat "$T/kc.complete"); do # these URIs have no blanks
	rpv verify --store s3://rpv-kill/kc "$u"
	[ "$RC" = 0 ] || kbad=$((kbad + 1))
done
[ $kbad = 0 ] && pass "child killed mid-export: all $(nlines "$T/kc.complete") runpacks listed complete verify" ||
	fail "child killed mid-export: every runpack listed complete verifies" "$kbad fail"
# shellcheck disable=SC2086
rpv export --store s3://rpv-kill/kc $kcdirs
n=$(printf '%s\n' "$OUT" | grep -c '^s3://rpv-kill/kc/tenant/')
[ "$RC" = 0 ] && [ "$n" = 30 ] && pass "child killed mid-export: the re-run completes all 30" ||
	fail "child killed mid-export: the re-run completes all 30" "rc=$RC, $n URIs"

# ---- a stopped server ---------------------------------------------------------------------------
bash "$top/tests/s3/rgw-stop.sh" "$RGW" >/dev/null 2>&1
timed3 "stopped server (store check)" "$RPVAULT" store check --store s3://rpv-plain --endpoint "$EP" \
	--path-style --allow-http
timed3 "stopped server (verify)" "$RPVAULT" verify --store s3://rpv-plain/tamper --endpoint "$EP" \
	--path-style --allow-http "s3://rpv-plain/tamper/$KG"
timed3 "stopped server (export)" "$RPVAULT" export --store s3://rpv-plain/stopped --endpoint "$EP" \
	--path-style --allow-http "$GOLD"

# ---- no secret anywhere -------------------------------------------------------------------------
ncap=$(wc -c <"$CAP" | tr -d ' ')
if [ -n "$SECRET" ] && ! grep -qF -- "$SECRET" "$CAP"; then
	pass "the secret key is in none of the $ncap bytes rpvault printed"
else
	# Not lib.sh's fail: it would print the captured output, secret included.
	echo "not ok - the secret key is in none of rpvault's output"
	echo "#   found in $(grep -cF -- "$SECRET" "$CAP") of the captured lines"
fi
exit 0
