#!/bin/sh
# s3.sh [BUILD_DIR] - the S3 export benchmark: rpvault against the common
# S3 upload tools, on the project's own Ceph RGW (tests/s3/rgw-start.sh).
#
# What: two data sets, each uploaded by every tool into a fresh bucket:
#   small  200 golden-sized runpacks (rpvault pack of the golden runpack
#          with run ids run-000..run-199 and --with-verification: 8
#          artifacts + manifest each, 1,800 objects), one `rpvault export`
#          call with the 200 directories;
#   large  one runpack with 8 artifacts of 16 MiB (the per-artifact
#          maximum) beside the 8 standard ones (17 objects, 128 MiB).
# Tools: `rpvault export` (default: read-back verification of the stored
# copy) and `rpvault export --no-read-back`; `aws s3 cp --recursive
# --endpoint-url` (Debian's awscli, installed when missing and root);
# `s3cmd put --recursive` (likewise); `curl --parallel --parallel-max 16
# --aws-sigv4` PUTting the same objects with `x-amz-content-sha256:
# UNSIGNED-PAYLOAD`. The other tools upload a tree laid out exactly like
# rpvault's keys, so every tool writes the same objects under the same
# keys. After each run the bucket's objects are counted with boto3
# (tests/s3/s3tool.py); a tool that did not write them all is flagged.
# Prints a table of wall seconds (best of REPS runs, default 3) and peak
# RSS (/usr/bin/time -v: the largest RSS in the process tree it waits
# for, i.e. max(broker, confined child) for rpvault; the broker and the
# child are also sampled separately from /proc, in one extra run that is
# not timed: the sampler's own forks would slow the command it watches).
#
# Why: export speed is dominated by round trips; this shows whether
# rpvault's parallel PUTs (16 at a time) and its read-back verification
# keep it in the league of the tools people would otherwise script.
#
# Not a test: figures only, not run by make check. Exits nonzero only when
# it cannot run (no RGW, no build, rpvault failing). Starts its own RGW in
# a temp dir and always stops it (by pid file). Other load on the machine
# (a fuzzing campaign) makes the figures noisy: compare within one run.
# Security posture: benchmark code; 127.0.0.1 only; the random test
# credentials are passed to curl and s3cmd through 0600 files in the temp
# dir, never on a command line. Runs apt-get only as root, only for awscli
# and s3cmd.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${1:-build}
# RPVAULT=path measures that binary as it is (no make).
RPVAULT_GIVEN=${RPVAULT:-}
RPVAULT=${RPVAULT:-$top/$BUILD/rpvault}
: "${SHARED:=$top/../shared}"
GOLD=${GOLD:-$SHARED/fixtures/runpacks/golden_time_after_pass}
N=${N:-200}
REPS=${REPS:-3}
BIG_N=8
BIG_BYTES=16777216

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-s3bench.XXXXXX")
RGW="$tmp/rgw"
trap 'bash "$top/tests/s3/rgw-stop.sh" "$RGW" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

die() { echo "s3 bench: $*" >&2; exit 2; }
[ -d "$GOLD" ] || die "golden runpack not found at $GOLD (set SHARED or GOLD)"
if [ -z "$RPVAULT_GIVEN" ]; then
	make -s BUILD="$BUILD" "$BUILD/rpvault" >/dev/null || die "cannot build $BUILD/rpvault"
fi
[ -x "$RPVAULT" ] || die "$RPVAULT is not executable"
RPVAULT_REAL=$(readlink -f "$RPVAULT")
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"

# ---- tools ---------------------------------------------------------------------
if { [ ! -x /usr/bin/aws ] || ! command -v s3cmd >/dev/null 2>&1; } && [ "$(id -u)" = 0 ] &&
	command -v apt-get >/dev/null 2>&1; then
	echo "installing awscli and s3cmd from Debian ..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends awscli s3cmd \
		>"$tmp/apt.log" 2>&1 || echo "  (apt-get install failed; see the table for what is missing)"
fi
AWS=""
if [ -x /usr/bin/aws ]; then AWS=/usr/bin/aws; elif command -v aws >/dev/null 2>&1; then AWS=$(command -v aws); fi
S3CMD=$(command -v s3cmd 2>/dev/null || true)
CURL=$(command -v curl 2>/dev/null || true)
PY=""
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import boto3' 2>/dev/null; then
		PY=$("$p" -c 'import sys; print(sys.executable)')
		break
	fi
done
[ -n "$PY" ] || die "python3-boto3 is needed to set up buckets (apt-get install python3-boto3)"
s3t() { "$PY" "$top/tests/s3/s3tool.py" "$@"; }

# ---- server ----------------------------------------------------------------------
echo "starting Ceph RGW (memstore) in $RGW ..."
bash "$top/tests/s3/rgw-start.sh" "$RGW" >"$tmp/rgw.env" 2>"$tmp/rgw.err" || {
	tail -n 20 "$tmp/rgw.err" >&2
	die "rgw-start.sh failed"
}
. "$tmp/rgw.env"
EP=$S3_ENDPOINT
HOSTPORT=${EP#http://}
umask 077
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$tmp/curl-auth"
cat >"$tmp/s3cfg" <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
umask 022

# ---- data ------------------------------------------------------------------------
echo "building $N golden-sized runpacks with rpvault pack ..."
mkdir -p "$tmp/small" "$tmp/tree-small"
i=0
while [ "$i" -lt "$N" ]; do
	id=$(printf 'run-%03d' "$i")
	"$RPVAULT" pack --out "$tmp/small/$id" --tenant 1 --namespace 1 --run "$id" --generated-at logical:1 \
		--with-verification "$GOLD" >/dev/null || die "rpvault pack failed"
	i=$((i + 1))
done
echo "building one runpack with $BIG_N x 16 MiB artifacts ..."
"$PY" - "$top/tests/system/rpcase.py" "$GOLD" "$tmp/large" "$BIG_N" "$BIG_BYTES" <<'EOF'
import importlib.util, os, shutil, sys
spec = importlib.util.spec_from_file_location("rpcase", sys.argv[1])
rp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rp)
src, dst, n, size = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
shutil.copytree(src, dst)
for root, dirs, files in os.walk(dst):
    os.chmod(root, 0o755)
    for f in files:
        os.chmod(os.path.join(root, f), 0o644)
m = rp.load(dst)
for i in range(n):
    rp.add_file(dst, m, "artifacts/blob-%d.json" % i, b'["' + (b"%d" % i) * (size - 4) + b'"]')
rp.save(dst, m)
EOF
"$RPVAULT" verify "$tmp/large" >/dev/null || die "the large runpack does not verify"
# The same objects under the same keys for the other tools: a tree laid
# out like the store (export to a file store gives exactly that layout).
"$RPVAULT" export --store "file://$tmp/tree-small" "$tmp"/small/* >/dev/null || die "file export failed"
"$RPVAULT" export --store "file://$tmp/tree-large" "$tmp/large" >/dev/null || die "file export failed"
n_small=$(find "$tmp/tree-small" -type f | wc -l)
n_large=$(find "$tmp/tree-large" -type f | wc -l)
b_small=$(du -sb "$tmp/tree-small" | cut -f1)
b_large=$(du -sb "$tmp/tree-large" | cut -f1)
# curl: one config file per data set, one upload per object.
for set in small large; do
	(cd "$tmp/tree-$set" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$tmp/files-$set"
done
curl_cfg() { # SET BUCKET
	while IFS= read -r f; do
		printf 'upload-file = "%s/tree-%s/%s"\nurl = "%s/%s/%s"\noutput = "/dev/null"\n' \
			"$tmp" "$1" "$f" "$EP" "$2" "$f"
	done <"$tmp/files-$1"
}

# ---- measuring ------------------------------------------------------------------------
now_ns() { date +%s%N; }
# rss_watch PID OUT: every 20 ms, the VmHWM (kB) of PID and of its children
# (the confined child); writes "broker_kb child_kb" when PID is gone.
rss_watch() {
	_b=0 _c=0
	while [ -d "/proc/$1" ]; do
		_h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
		[ -n "$_h" ] && [ "$_h" -gt "$_b" ] && _b=$_h
		for _k in $(cat "/proc/$1/task/$1/children" 2>/dev/null || true); do
			_h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$_k/status" 2>/dev/null || true)
			[ -n "$_h" ] && [ "$_h" -gt "$_c" ] && _c=$_h
		done
		sleep 0.02
	done
	echo "$_b $_c" >"$2"
}
# timed CMD...: (in a subshell) every "@B@" in the arguments becomes $B,
# then /usr/bin/time replaces the subshell (same pid).
timed() {
	for _a do
		shift
		case $_a in *@B@*) _a=$(printf '%s' "$_a" | sed "s/@B@/$B/g") ;; esac
		set -- "$@" "$_a"
	done
	exec /usr/bin/time -v -o "$tmp/time.txt" "$@"
}
bucket_n=0
RPV_FAILED=0
# measure LABEL SET EXPECTED_OBJECTS WATCH(0|1) PREP CMD...: runs CMD
# (a program: /usr/bin/time executes it) REPS times, each time into a fresh
# bucket B, every "@B@" in CMD's arguments replaced by B; PREP (a shell
# function or ":") runs before the clock starts. Prints one table row.
measure() {
	_label=$1 _set=$2 _want=$3 _watch=$4 _prep=$5
	shift 5
	_best="" _rss=0 _bk=0 _ck=0 _objs="" _fail=""
	_r=0 _runs=$REPS
	# The /proc sampler forks several processes every 20 ms, which on a
	# 2-CPU machine slows the command it watches: the timed runs go
	# unwatched, one extra untimed run is watched for the split.
	[ "$_watch" = 1 ] && _runs=$((REPS + 1))
	while [ "$_r" -lt "$_runs" ]; do
		_r=$((_r + 1))
		bucket_n=$((bucket_n + 1))
		B="bench-$bucket_n"
		s3t mkbucket "$B" || die "cannot create bucket $B"
		"$_prep"
		_t0=$(now_ns)
		(timed "$@") >"$tmp/out.txt" 2>"$tmp/err.txt" &
		_p=$!
		_w=""
		if [ "$_watch" = 1 ] && [ "$_r" -gt "$REPS" ]; then
			# /usr/bin/time's child running $RPVAULT is the broker (the
			# subshell forks sed first, so check what each child runs).
			_rp="" _i=0
			while [ -z "$_rp" ] && [ "$_i" -lt 400 ] && [ -d "/proc/$_p" ]; do
				for _c in $(cat "/proc/$_p/task/$_p/children" 2>/dev/null || true); do
					[ "$(readlink "/proc/$_c/exe" 2>/dev/null || true)" = "$RPVAULT_REAL" ] && _rp=$_c
				done
				[ -n "$_rp" ] || sleep 0.005
				_i=$((_i + 1))
			done
			if [ -n "$_rp" ]; then
				rss_watch "$_rp" "$tmp/watch.txt" &
				_w=$!
			fi
		fi
		wait "$_p" && _rc=0 || _rc=$?
		_t1=$(now_ns)
		[ -z "$_w" ] || wait "$_w" || true
		_s=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
		_k=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tmp/time.txt")
		_objs=$(s3t count "$B" "" || echo "?")
		if [ "$_rc" != 0 ] || [ "$_objs" != "$_want" ]; then
			_fail="exit $_rc, $_objs/$_want objects: $(head -c 300 "$tmp/err.txt" | tr '\n' ' ')"
		fi
		if [ "$_r" -le "$REPS" ] && { [ -z "$_best" ] || awk -v a="$_s" -v b="$_best" 'BEGIN { exit !(a < b) }'; }; then
			_best=$_s
		fi
		[ "${_k:-0}" -gt "$_rss" ] && _rss=${_k:-0}
		if [ -s "$tmp/watch.txt" ]; then
			read -r _wb _wc <"$tmp/watch.txt"
			[ "$_wb" -gt "$_bk" ] && _bk=$_wb
			[ "$_wc" -gt "$_ck" ] && _ck=$_wc
			rm -f "$tmp/watch.txt"
		fi
		s3t purge "$B" "" || true
	done
	_mib=$(awk -v k="$_rss" 'BEGIN { printf "%.1f", k / 1024 }')
	_extra=""
	[ "$_watch" = 1 ] && _extra=$(awk -v b="$_bk" -v c="$_ck" 'BEGIN { printf "(broker %.1f, child %.1f)", b / 1024, c / 1024 }')
	printf '%-7s %-36s %8s %8s %9s MiB %s\n' "$_set" "$_label" "$_best" "$_want" "$_mib" "$_extra"
	if [ -n "$_fail" ]; then
		printf '        ^ FAILED: %s\n' "$_fail"
		case $_label in rpvault*) RPV_FAILED=1 ;; esac
	fi
}
# curl's per-object config for bucket $B (before the clock starts).
curl_prep_small() { curl_cfg small "$B" >"$tmp/curl.cfg"; }
curl_prep_large() { curl_cfg large "$B" >"$tmp/curl.cfg"; }

echo
echo "== S3 export bench: Ceph RGW 16 (memstore) on 127.0.0.1, $(nproc) CPUs, best of $REPS"
echo "   small: $N runpacks, $n_small objects, $b_small bytes; large: 1 runpack, $n_large objects, $b_large bytes"
printf '%-7s %-36s %8s %8s %13s\n' "set" "tool" "seconds" "objects" "peak RSS"
for set in small large; do
	if [ "$set" = small ]; then want=$n_small; dirs=$(printf '%s ' "$tmp"/small/*); else want=$n_large; dirs="$tmp/large"; fi
	# shellcheck disable=SC2086
	measure "rpvault export" "$set" "$want" 1 : "$RPVAULT" export --store "s3://@B@" --endpoint "$EP" \
		--path-style --allow-http $dirs
	# shellcheck disable=SC2086
	measure "rpvault export --no-read-back" "$set" "$want" 1 : "$RPVAULT" export --no-read-back \
		--store "s3://@B@" --endpoint "$EP" --path-style --allow-http $dirs
	if [ -n "$AWS" ]; then
		measure "aws s3 cp ($("$AWS" --version 2>&1 | cut -d' ' -f1))" "$set" "$want" 0 : \
			"$AWS" s3 cp --recursive --only-show-errors --endpoint-url "$EP" "$tmp/tree-$set" "s3://@B@/"
	else
		printf '%-7s %-36s %8s\n' "$set" "aws s3 cp --recursive" "n/a (no awscli)"
	fi
	if [ -n "$S3CMD" ]; then
		measure "s3cmd put --recursive" "$set" "$want" 0 : \
			"$S3CMD" -c "$tmp/s3cfg" --no-progress --quiet put --recursive "$tmp/tree-$set/" "s3://@B@/"
	else
		printf '%-7s %-36s %8s\n' "$set" "s3cmd put --recursive" "n/a (no s3cmd)"
	fi
	if [ -n "$CURL" ]; then
		measure "curl --parallel-max 16 --aws-sigv4" "$set" "$want" 0 "curl_prep_$set" \
			"$CURL" -sS --fail-with-body --parallel --parallel-max 16 -K "$tmp/curl-auth" \
			--aws-sigv4 "aws:amz:us-east-1:s3" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K "$tmp/curl.cfg"
	else
		printf '%-7s %-36s %8s\n' "$set" "curl" "n/a"
	fi
done
echo
echo "seconds: wall time of the whole command, best of $REPS, each run into a fresh bucket."
echo "peak RSS: /usr/bin/time -v (largest RSS in the waited-for process tree); for rpvault also"
echo "the broker and the confined child sampled from /proc every 20 ms in one extra, untimed run."
echo "aws and s3cmd upload objects over 8 MiB / 15 MiB in multipart parts (their defaults)."
[ "$RPV_FAILED" = 0 ] || exit 1
exit 0
