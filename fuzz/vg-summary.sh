#!/bin/sh
# vg-summary.sh LOGDIR - the verdict of make check-valgrind: no valgrind log
# (one per process, vg.<pid>.log) may hold an error. With --quiet memcheck
# writes only errors and definite leaks, as "==PID==" lines; "--PID--" lines
# are valgrind's own notes (e.g. "unhandled syscall: 434", pidfd_open, which
# the program then sees fail with ENOSYS) and are not findings.
set -u
d=$1
n=0
bad=0
for f in "$d"/vg.*.log; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if grep -q '^==[0-9]*==' "$f"; then
		bad=$((bad + 1))
		echo "valgrind: findings in $f:"
		grep '^==[0-9]*==' "$f" | head -60 | sed 's/^/    /'
	fi
done
echo "valgrind: $n process(es) checked, $bad with errors or definite leaks"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
