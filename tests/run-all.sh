#!/bin/sh
# run-all.sh BUILD_DIR [unit|system] - run the cmocka unit binaries and the
# system test scripts, then print one closing line "N passed, N failed".
# Exit status is nonzero when anything failed or nothing ran.
set -u
BUILD=$1
WHAT=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
RPVAULT="$top/$BUILD/rpvault"
export RPVAULT BUILD
: "${SHARED:=$top/../shared}"
export SHARED
passed=0
failed=0
failed_names=""
log=$(mktemp)
if [ "$WHAT" != system ]; then
	for t in "$top/$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		(cd "$top" && "$t") >"$log" 2>&1
		rc=$?
		# cmocka's summary lines: "[  PASSED  ] N test(s)." and
		# "[  FAILED  ] N test(s), listed below:".
		n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below.*/\1/p' "$log" | tail -1)
		n=${n:-0}
		f=${f:-0}
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + n))
		failed=$((failed + f))
		if [ "$f" -gt 0 ]; then
			failed_names="$failed_names $name"
			echo "unit   $name: $n passed, $f FAILED"
			grep -E 'FAILED|ERROR|error|Failure' "$log" | sed 's/^/    /' | head -40
		else
			echo "unit   $name: $n passed"
		fi
	done
fi
if [ "$WHAT" != unit ]; then
	for t in "$top"/tests/system/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		(cd "$top" && sh "$t") >"$log" 2>&1
		rc=$?
		n=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + n))
		failed=$((failed + f))
		if [ "$f" -gt 0 ]; then
			failed_names="$failed_names $name"
			echo "system $name: $n passed, $f FAILED"
			grep -v '^ok ' "$log" | sed 's/^/    /' | tail -60
		else
			echo "system $name: $n passed"
		fi
	done
fi
rm -f "$log"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
