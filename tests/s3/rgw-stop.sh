#!/usr/bin/env bash
# rgw-stop.sh DIR [--purge] - stop the Ceph daemons that rgw-start.sh DIR
# started, by their pid files, and nothing else.
#
# Why: tests must always leave the machine as they found it, and other test
# runs (or a developer's own Ceph) may be running beside ours: never stop a
# process by name.
#
# A pid from DIR/run/{client.rgw.a,osd.0,mon.a}.pid is signalled only while
# /proc/PID/cmdline still carries "-c <DIR's ceph.conf>" (a recycled pid is
# left alone). Order: gateway, OSD (memstore saves its objects on a clean
# stop and needs the monitor for it), monitor. SIGTERM, up to
# RGW_STOP_TIMEOUT seconds (default 20), then SIGKILL of the same pid.
# Idempotent: a second run finds no pid file and exits 0. --purge also
# deletes DIR once everything is stopped. The short /tmp symlink that
# rgw-start.sh makes for a long DIR is removed.
# Exit: 0 when none of DIR's daemons is left running, 1 otherwise.
#
# Security posture: test infrastructure; signals only pids it can prove are
# DIR's daemons.
set -uo pipefail

log() { printf '[rgw-stop] %s\n' "$*" >&2; }
DIR=""
PURGE=0
for a in "$@"; do
	case "$a" in
	--purge) PURGE=1 ;;
	*) [ -z "$DIR" ] || { echo "usage: $0 DIR [--purge]" >&2; exit 1; }; DIR=$a ;;
	esac
done
[ -n "$DIR" ] || { echo "usage: $0 DIR [--purge]" >&2; exit 1; }
[ -d "$DIR" ] || { log "no directory $DIR: nothing to stop"; exit 0; }
REAL=$(cd "$DIR" && pwd -P)
# The daemons were given the path recorded at creation (maybe the short
# symlink), so their command lines name that path.
D=$(sed -n 's/^path=//p' "$REAL/state" 2>/dev/null | tail -n 1)
[ -n "$D" ] || D=$REAL
CONF="$D/ceph.conf"
RUN="$REAL/run"
WAIT=${RGW_STOP_TIMEOUT:-20}
case "$WAIT" in '' | *[!0-9]*) WAIT=20 ;; esac

ours() {
	local pid=$1 prev="" a
	[ -r "/proc/$pid/cmdline" ] || return 1
	while IFS= read -r -d '' a; do
		if [ "$prev" = "-c" ] && [ "$a" = "$CONF" ]; then return 0; fi
		prev=$a
	done <"/proc/$pid/cmdline"
	return 1
}
# Waits up to $2 tenths of a second for pid $1 to be gone.
gone_within() {
	local i
	for ((i = 0; i < $2; i++)); do
		ours "$1" || return 0
		sleep 0.1
	done
	! ours "$1"
}

rc=0
clean=1
for name in client.rgw.a osd.0 mon.a; do
	f="$RUN/$name.pid"
	[ -s "$f" ] || continue
	pid=$(cat "$f")
	case "$pid" in '' | *[!0-9]*) log "$name: bad pid file $f, removed"; rm -f "$f"; continue ;; esac
	if ! ours "$pid"; then
		log "$name: pid $pid is not running (or not ours): stale pid file removed"
		rm -f "$f"
		continue
	fi
	kill -TERM "$pid" 2>/dev/null
	if gone_within "$pid" $((WAIT * 10)); then
		log "$name: pid $pid stopped"
	else
		log "$name: pid $pid still running after ${WAIT}s: SIGKILL"
		clean=0
		kill -KILL "$pid" 2>/dev/null
		if ! gone_within "$pid" 50; then
			log "$name: pid $pid survived SIGKILL"
			rc=1
			continue
		fi
	fi
	rm -f "$f"
done
rm -f "$RUN"/*.asok 2>/dev/null

if [ "$rc" = 0 ] && [ -d "$REAL/mon.a" ]; then
	# rgw-start.sh keeps a memstore cluster's data only after a clean stop.
	[ "$clean" = 1 ] && touch "$REAL/clean-stop"
fi
if [ "$D" != "$REAL" ] && [ -L "$D" ] && [ "$(readlink "$D")" = "$REAL" ]; then
	rm -f "$D"
fi
if [ "$PURGE" = 1 ] && [ "$rc" = 0 ]; then
	rm -rf "$REAL" && log "purged $REAL"
fi
exit "$rc"
