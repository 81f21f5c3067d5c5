#!/bin/sh
# run.sh MODE SECONDS HARNESS... - drives AFL++ for make fuzz / fuzz-smoke,
# replays corpora and regression inputs for make fuzz-regress, minimises
# corpora for make fuzz-cmin. Called from fuzz/fuzz.mk; docs/security/fuzzing.md.
#
#   smoke|campaign  afl-fuzz each harness for SECONDS (persistent mode,
#                   shared-memory inputs, ASan+UBSan build, CmpLog build as
#                   -c, the harness's dictionaries), then replay its queue
#                   through the LeakSanitizer-enabled replay build. Prints
#                   executions, corpus size, edges, crashes and hangs per
#                   harness; exits 1 if any harness found a crash or hang, or
#                   its queue replay reported an error or leak.
#   regress         replay fuzz/corpus/H and tests/regressions/H through the
#                   replay build; exits 1 on any sanitizer report or abort.
#   cmin            afl-cmin fuzz/corpus/H in place (keeps the old set if
#                   minimisation fails).
#
# Environment: FUZZ_BUILD (build-fuzz), FUZZ_JOBS (1: harnesses run one at
# a time), FUZZ_TIMEOUT (ms per input; longer is a hang), FUZZ_CMPLOG (1).
# Works as root, without a TTY (AFL_NO_UI) and with a core_pattern piped to
# a crash handler (AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES). RP_FUZZ_KNOWN is
# passed to the harnesses (known bugs to skip, see docs/security/fuzzing.md).
set -u
MODE=$1
SECS=$2
shift 2
B=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-1}
TMO=${FUZZ_TIMEOUT:-2000}
CMPLOG=${FUZZ_CMPLOG:-1}
OUT="$B/out"

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 AFL_QUIET=1
# afl-fuzz insists on abort_on_error=1 and symbolize=0. Leaks are checked
# afterwards by the replay build (LeakSanitizer at exit, detect_leaks=1),
# not inside the persistent loop, where they would only be reported at exit.
export ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1:handle_abort=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:symbolize=0:print_stacktrace=1"
REPLAY_ASAN="abort_on_error=0:symbolize=1:detect_leaks=1:allocator_may_return_null=1"
REPLAY_UBSAN="halt_on_error=1:print_stacktrace=1:symbolize=1"

dicts_for() {
	case $1 in
	verify) set -- json manifest path ;;
	jcs) set -- json ;;
	path) set -- path ;;
	config) set -- config ;;
	frame) set -- frame path ;;
	*) set -- ;;
	esac
	for d in "$@"; do
		[ -f "fuzz/dict/$d.dict" ] && printf ' -x fuzz/dict/%s.dict' "$d"
	done
}

count_findings() { # DIR: regular files except AFL's README.txt
	[ -d "$1" ] || { echo 0; return; }
	find "$1" -maxdepth 1 -type f ! -name README.txt | wc -l | tr -d ' '
}

stat_of() { # FILE KEY
	awk -F: -v k="$2" '{ gsub(/ /, "", $1) } $1 == k { gsub(/^ +| +$/, "", $2); print $2 }' "$1" 2>/dev/null
}

replay_dir() { # HARNESS DIR... : replay build over dirs; 0 = clean
	h=$1
	shift
	ASAN_OPTIONS=$REPLAY_ASAN UBSAN_OPTIONS=$REPLAY_UBSAN "$B/replay/$h" "$@"
}

fuzz_one() { # HARNESS -> writes $OUT/H.result
	h=$1
	o="$OUT/$h"
	res="$OUT/$h.result"
	rm -rf "$o" "$res"
	mkdir -p "$o"
	seeds="fuzz/corpus/$h"
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		seeds="$o/seed"
		mkdir -p "$seeds"
		printf 'x' >"$seeds/x"
	fi
	cmp=""
	[ "$CMPLOG" != 0 ] && [ -x "$B/cmplog/$h" ] && cmp="-c $B/cmplog/$h"
	# shellcheck disable=SC2046,SC2086
	timeout -k 30 $((SECS + 600)) afl-fuzz -i "$seeds" -o "$o" -V "$SECS" -m none -t "$TMO" \
		$cmp $(dicts_for "$h") -- "$B/afl/$h" >"$o/afl.log" 2>&1
	arc=$?
	st="$o/default/fuzzer_stats"
	execs=$(stat_of "$st" execs_done)
	corpus=$(stat_of "$st" corpus_count)
	edges=$(stat_of "$st" edges_found)
	total=$(stat_of "$st" total_edges)
	eps=$(stat_of "$st" execs_per_sec)
	crashes=$(count_findings "$o/default/crashes")
	hangs=$(count_findings "$o/default/hangs")
	verdict=ok
	note=""
	if [ $arc -ne 0 ] || [ ! -f "$st" ]; then
		verdict=FAIL
		note="afl-fuzz exit $arc (see $o/afl.log)"
	elif [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
		verdict=FAIL
		note="findings in $o/default/crashes and hangs"
	elif [ -d "$o/default/queue" ] &&
		! replay_dir "$h" "$o/default/queue" >"$o/replay.log" 2>&1; then
		verdict=FAIL
		note="queue replay reported an error or leak (see $o/replay.log)"
	fi
	printf '%s %s %s %s %s %s %s %s %s\n' "$h" "$verdict" "${execs:-0}" "${corpus:-0}" \
		"${edges:-0}/${total:-0}" "${eps:-0}" "$crashes" "$hangs" "$note" >"$res"
}

fail=0
case $MODE in
smoke | campaign)
	mkdir -p "$OUT"
	echo "fuzz: $MODE, ${SECS}s per harness, $JOBS at a time: $*"
	running=0
	for h in "$@"; do
		fuzz_one "$h" &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait
			running=0
		fi
	done
	wait
	printf '\n%-12s %-7s %12s %8s %13s %9s %8s %6s\n' harness result executions corpus edges exec/s crashes hangs
	for h in "$@"; do
		r="$OUT/$h.result"
		if [ ! -f "$r" ]; then
			printf '%-12s %-7s (no result)\n' "$h" FAIL
			fail=1
			continue
		fi
		# shellcheck disable=SC2034
		read -r _h verdict execs corpus edges eps crashes hangs note <"$r"
		printf '%-12s %-7s %12s %8s %13s %9s %8s %6s %s\n' "$h" "$verdict" "$execs" "$corpus" \
			"$edges" "$eps" "$crashes" "$hangs" "$note"
		[ "$verdict" = ok ] || fail=1
	done
	{
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $MODE ${SECS}s/harness, $(afl-fuzz -h 2>&1 | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
		cat "$OUT"/*.result 2>/dev/null
	} >>"$OUT/history.txt"
	if [ $fail -ne 0 ]; then
		echo "fuzz: FAILED. Reproduce with: $B/replay/HARNESS $OUT/HARNESS/default/crashes/FILE"
		echo "fuzz: a fixed crash input goes to tests/regressions/HARNESS/ (docs/security/fuzzing.md)"
	fi
	;;
regress)
	unset RP_FUZZ_KNOWN # regression inputs of known bugs must fail until fixed
	for h in "$@"; do
		dirs=""
		for d in "fuzz/corpus/$h" "tests/regressions/$h"; do
			[ -d "$d" ] && dirs="$dirs $d"
		done
		[ -n "$dirs" ] || continue
		# shellcheck disable=SC2086
		if replay_dir "$h" $dirs >"$B/replay-$h.log" 2>&1; then
			echo "regress $h: $(tail -1 "$B/replay-$h.log" | sed 's/^afl_driver: //')"
		else
			echo "regress $h: FAILED"
			tail -40 "$B/replay-$h.log" | sed 's/^/    /'
			fail=1
		fi
	done
	;;
cmin)
	for h in "$@"; do
		c="fuzz/corpus/$h"
		[ -d "$c" ] || continue
		t="$B/cmin/$h"
		rm -rf "$t"
		mkdir -p "$B/cmin"
		if AFL_QUIET=1 afl-cmin -i "$c" -o "$t" -m none -t "$TMO" -- "$B/afl/$h" >"$B/cmin-$h.log" 2>&1 &&
			[ -n "$(ls -A "$t" 2>/dev/null)" ]; then
			before=$(ls "$c" | wc -l)
			rm -f "$c"/*
			cp "$t"/* "$c"/
			echo "cmin $h: $before -> $(ls "$c" | wc -l) seeds"
		else
			echo "cmin $h: afl-cmin failed, corpus kept (see $B/cmin-$h.log)"
		fi
	done
	;;
*)
	echo "usage: run.sh smoke|campaign|regress|cmin SECONDS HARNESS..." >&2
	exit 2
	;;
esac
exit $fail
