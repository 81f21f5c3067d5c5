#!/usr/bin/env bash
# rgw-start.sh DIR - start a real S3 server for the tests: Ceph RADOS Gateway
# (Debian 12's Ceph 16 "Pacific") as one ceph-mon, one ceph-osd and one
# radosgw (beast frontend), bound to 127.0.0.1 only, no systemd, no Docker.
#
# Why: rpvault's object-store backend must be proven against a production S3
# implementation that checks SigV4 and enforces object lock; fakes that accept
# any signature prove nothing (tests/s3/README.md).
#
# Usage:   eval "$(bash tests/s3/rgw-start.sh DIR)"
#   stdout: only `export NAME=VALUE` lines (S3_ENDPOINT, AWS_ENDPOINT_URL,
#           AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#           AWS_DEFAULT_REGION, RGW_DIR)
#   stderr: progress, timings, and on failure the tail of the daemon logs.
# Exit:    0 ready; 1 failed; 77 Ceph is not installed and cannot be (not
#          root, RGW_NO_INSTALL=1, or apt-get failed): callers may skip.
#
# Everything lives in DIR: ceph.conf, mon/osd/rgw data, logs, pid files,
# admin sockets, crash dumps, the random credentials (DIR/credentials, 0600).
# Unix socket paths are limited to 107 bytes; when DIR is long, the daemons
# are configured through a short symlink /tmp/rpv-rgw-<12 hex of
# sha256(DIR)> -> DIR (recorded in DIR/state; rgw-stop.sh removes it).
#
# Idempotent: if DIR's daemons are alive and the endpoint answers, only the
# exports are printed. A stopped cluster is restarted with its data (bluestore
# keeps it across kill -9; memstore only across a clean stop, otherwise the
# cluster is recreated). rgw-stop.sh DIR stops exactly these daemons.
#
# Environment (optional):
#   RGW_OSD_BACKEND   memstore (default: objects in RAM, fastest fresh start)
#                     or bluestore (a sparse file: survives kill -9, OSD
#                     ~70 MB RSS whatever the data, ~7 s slower to create)
#   RGW_OSD_BYTES     capacity of the OSD (default 4 GiB, sparse)
#   RGW_PORT          S3 port (default: a free random port, kept for DIR)
#   RGW_TIMEOUT       seconds allowed for the whole start (default 60)
#   RGW_NO_INSTALL=1  never run apt-get
#
# Security posture: test infrastructure only. cephx is off (auth = none) and
# every socket is on loopback; the S3 user's keys are random per DIR. Runs
# apt-get only as root and only for the four Ceph packages.
set -euo pipefail

PROG=rgw-start
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 1
fi
BACKEND=${RGW_OSD_BACKEND:-memstore}
OSD_BYTES=${RGW_OSD_BYTES:-4294967296}
TIMEOUT=${RGW_TIMEOUT:-60}
case "$BACKEND" in bluestore | memstore) ;; *) log "RGW_OSD_BACKEND must be bluestore or memstore"; exit 1 ;; esac
case "$TIMEOUT" in '' | *[!0-9]*) log "RGW_TIMEOUT must be a number of seconds"; exit 1 ;; esac
DEADLINE=$(($(date +%s) + TIMEOUT))

mkdir -p "$1"
REAL=$(cd "$1" && pwd -P)

DAEMONS="mon.a osd.0 client.rgw.a"

# ---- failure reporting -----------------------------------------------------
# Only the tail of each log: enough to see why, bounded output.
die() {
	log "ERROR: $*"
	for f in "$REAL"/log/setup.log "$REAL"/log/mon.a.log "$REAL"/log/osd.0.log "$REAL"/log/client.rgw.a.log; do
		[ -s "$f" ] || continue
		log "---- tail of $f"
		tail -n 15 "$f" | sed 's/^/    /' >&2
	done
	if [ "${STARTED:-0}" = 1 ]; then
		# Leave nothing running after a failed start (by pid file only).
		bash "$(dirname "$0")/rgw-stop.sh" "$REAL" >/dev/null 2>&1 || true
		log "failed after $(elapsed)s; the daemons it started were stopped"
	else
		log "failed after $(elapsed)s"
	fi
	exit 1
}
# Seconds left, at least 1: "timeout 0" would mean no limit at all.
left() { local n=$((DEADLINE - $(date +%s))); [ "$n" -gt 0 ] || n=1; echo "$n"; }
check_deadline() { [ "$(date +%s)" -lt "$DEADLINE" ] || die "not ready within ${TIMEOUT}s ($1)"; }

# ---- 1. packages -------------------------------------------------------------
missing=""
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl; do
	command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
done
if [ -n "$missing" ]; then
	if [ "${RGW_NO_INSTALL:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		log "Ceph is not installed (missing:$missing) and cannot be installed here"
		log "as root: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl"
		exit 77
	fi
	log "installing Ceph from Debian (missing:$missing)"
	export DEBIAN_FRONTEND=noninteractive
	# Without systemd the packages' maintainer scripts start no daemon. A
	# fresh machine may have no package lists yet: update once and retry.
	pkgs="radosgw ceph-mon ceph-osd ceph-common curl"
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends $pkgs >"$REAL/apt.log" 2>&1; then
		apt-get update -q >>"$REAL/apt.log" 2>&1 || true
		# shellcheck disable=SC2086
		if ! apt-get install -y -q --no-install-recommends $pkgs >>"$REAL/apt.log" 2>&1; then
			tail -n 20 "$REAL/apt.log" >&2
			log "apt-get install failed (log: $REAL/apt.log)"
			exit 77
		fi
	fi
	log "packages installed after $(elapsed)s"
	# The install time is not the daemons' start budget.
	DEADLINE=$(($(date +%s) + TIMEOUT))
fi

# ---- 2. paths, ports, credentials (chosen once per DIR) ----------------------
STATE="$REAL/state"
state_get() { sed -n "s/^$1=//p" "$STATE" 2>/dev/null | tail -n 1; }

# Longest socket name is "client.rgw.a.asok" (17) + "/run/" (5); keep the
# base path well under 107 bytes so the daemons can bind their admin sockets.
if [ "${#REAL}" -le 80 ]; then
	D=$REAL
else
	D=/tmp/rpv-rgw-$(printf '%s' "$REAL" | sha256sum | cut -c1-12)
	if [ -L "$D" ] && [ "$(readlink "$D")" = "$REAL" ]; then
		:
	elif [ -e "$D" ] || [ -L "$D" ]; then
		die "$D exists and is not a symlink to $REAL"
	else
		ln -s "$REAL" "$D"
	fi
	log "DIR is long: daemons use the short path $D -> $REAL"
fi
CONF="$D/ceph.conf"
RUN="$D/run"
export CEPH_CONF="$CONF"

# Ports in use on this machine (any TCP state, IPv4 and IPv6), from /proc:
# no dependency on ss or netstat.
used_ports() {
	local h
	awk 'FNR > 1 { n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		while read -r h; do echo $((16#$h)); done | sort -un
}
port_free() { ! used_ports | grep -qx "$1"; }
# A random free port in [lo, hi]: random so parallel test runs rarely meet.
pick_port() {
	local lo=$1 hi=$2 p used
	used=$(used_ports)
	for _ in $(seq 1 200); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		if ! grep -qx "$p" <<<"$used"; then echo "$p"; return 0; fi
	done
	return 1
}
# The monitor's port and a range of 60 ports above it for the OSD and the
# gateway's RADOS client (ceph picks a free one inside the range).
pick_base() {
	local b used
	used=$(used_ports)
	for _ in $(seq 1 100); do
		b=$(pick_port 20000 58000) || return 1
		if ! awk -v lo="$b" -v hi="$((b + 70))" '$1 >= lo && $1 <= hi { f = 1 } END { exit !f }' <<<"$used"; then
			echo "$b"
			return 0
		fi
	done
	return 1
}
rand_str() { # N ALPHABET
	{ head -c 4096 /dev/urandom | LC_ALL=C tr -dc "$2" | head -c "$1"; } || true
}

if [ ! -s "$STATE" ]; then
	MON_PORT=$(pick_base) || die "no free port range for the monitor"
	S3_PORT=${RGW_PORT:-$(pick_port 20000 60999)} || die "no free port for the gateway"
	[ "$S3_PORT" != "$MON_PORT" ] || die "port clash"
	umask 077
	{
		echo "access_key=RPV$(rand_str 17 'A-Z0-9')"
		echo "secret_key=$(rand_str 40 'A-Za-z0-9/+')"
	} >"$REAL/credentials"
	umask 022
	{
		echo "mon_port=$MON_PORT"
		echo "s3_port=$S3_PORT"
		echo "backend=$BACKEND"
		echo "fsid=$(cat /proc/sys/kernel/random/uuid)"
		echo "path=$D"
	} >"$STATE"
fi
MON_PORT=$(state_get mon_port)
S3_PORT=$(state_get s3_port)
FSID=$(state_get fsid)
[ "$(state_get backend)" = "$BACKEND" ] || die "$REAL was created with backend $(state_get backend); use that or a new DIR"
[ "$(state_get path)" = "$D" ] || die "$REAL was created with daemon path $(state_get path), now $D"
ACCESS=$(sed -n 's/^access_key=//p' "$REAL/credentials")
SECRET=$(sed -n 's/^secret_key=//p' "$REAL/credentials")
if [ -z "$ACCESS" ] || [ -z "$SECRET" ]; then die "$REAL/credentials is damaged"; fi
ENDPOINT="http://127.0.0.1:$S3_PORT"

print_exports() {
	printf 'export S3_ENDPOINT=%s\n' "$ENDPOINT"
	printf 'export AWS_ENDPOINT_URL=%s\n' "$ENDPOINT"
	printf 'export AWS_ACCESS_KEY_ID=%s\n' "$ACCESS"
	printf 'export AWS_SECRET_ACCESS_KEY=%s\n' "$SECRET"
	printf 'export AWS_REGION=us-east-1\n'
	printf 'export AWS_DEFAULT_REGION=us-east-1\n'
	printf 'export RGW_DIR=%s\n' "$REAL"
}

# A pid file names one of our daemons only while that process runs with
# exactly "-c $CONF" on its command line (a recycled pid is not ours).
ours() {
	local pid=$1 prev="" a
	[ -r "/proc/$pid/cmdline" ] || return 1
	while IFS= read -r -d '' a; do
		if [ "$prev" = "-c" ] && [ "$a" = "$CONF" ]; then return 0; fi
		prev=$a
	done <"/proc/$pid/cmdline"
	return 1
}
alive() { local f="$RUN/$1.pid"; [ -s "$f" ] && ours "$(cat "$f")"; }
http_code() { curl -s -m 2 -o /dev/null -w '%{http_code}' "$ENDPOINT/" 2>/dev/null || true; }

n_alive=0
for d in $DAEMONS; do alive "$d" && n_alive=$((n_alive + 1)); done
if [ "$n_alive" -eq 3 ] && [ "$(http_code)" = 200 ]; then
	log "already running at $ENDPOINT (DIR $REAL)"
	print_exports
	exit 0
fi
[ "$n_alive" -eq 0 ] || die "a partial cluster from $REAL is running: run rgw-stop.sh $REAL first"

# memstore writes its objects to disk only on a clean stop; after an unclean
# one its saved state is stale, and a half-finished setup is useless too.
wipe() { rm -rf "$REAL/mon.a" "$REAL/osd.0" "$REAL/rgw.a" "$REAL/run" "$REAL/created" "$REAL/monmap"; }
if [ -e "$REAL/created" ] && [ "$BACKEND" = memstore ] && [ ! -e "$REAL/clean-stop" ]; then
	log "the memstore cluster in $REAL was not stopped cleanly: recreating it (its objects are lost)"
	wipe
elif [ ! -e "$REAL/created" ] && [ -e "$REAL/mon.a" ]; then
	log "unfinished setup in $REAL: recreating it"
	wipe
fi
rm -f "$REAL/clean-stop"
port_free "$S3_PORT" || die "port $S3_PORT (recorded for $REAL) is in use by another process"
port_free "$MON_PORT" || die "port $MON_PORT (recorded for $REAL) is in use by another process"
mkdir -p "$REAL/run" "$REAL/log" "$REAL/crash" "$REAL/mon.a" "$REAL/osd.0" "$REAL/rgw.a"
: >"$REAL/log/setup.log"

# ---- 3. configuration ---------------------------------------------------------
# Each setting below was needed on this machine (tests/s3/README.md says why).
cat >"$REAL/ceph.conf" <<EOF
# written by tests/s3/rgw-start.sh: a throw-away single-host Ceph for tests
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $((MON_PORT + 1))
ms bind port max = $((MON_PORT + 60))
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
client mount timeout = 30
run dir = $RUN
pid file = $RUN/\$name.pid
log file = $D/log/\$name.log
crash dir = $D/crash
keyring = $D/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
[mon]
admin socket = $RUN/\$name.asok
mon data = $D/mon.\$id
mon cluster log file = default=$D/log/ceph.\$channel.log cluster=$D/log/ceph.log
paxos propose interval = 0.1
paxos min wait = 0.01
[osd]
admin socket = $RUN/\$name.asok
osd data = $D/osd.\$id
osd objectstore = $BACKEND
osd fast shutdown = false
memstore device bytes = $OSD_BYTES
bluestore block size = $OSD_BYTES
bluestore block create = true
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
osd op num shards = 2
osd op num threads per shard = 1
[client.rgw.a]
admin socket = $RUN/\$name.asok
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw data = $D/rgw.a
rgw thread pool size = 64
rgw init timeout = 60
EOF

# Bounded run of a setup command; output goes to the setup log.
run() { timeout "$(left)" "$@" >>"$REAL/log/setup.log" 2>&1; }

# ---- 4. monitor ---------------------------------------------------------------
if [ ! -e "$REAL/mon.a/store.db/CURRENT" ]; then
	run monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap" ||
		die "monmaptool failed"
	run ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" || die "ceph-mon --mkfs failed"
fi
check_deadline "before ceph-mon"
STARTED=1
run ceph-mon -c "$CONF" -i a || die "ceph-mon did not start"
log "mon started after $(elapsed)s"

# ---- 5. OSD -------------------------------------------------------------------
if [ ! -e "$REAL/osd.0/whoami" ]; then
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$(timeout "$(left)" ceph --connect-timeout "$(left)" osd new "$osd_uuid" 2>>"$REAL/log/setup.log") ||
		die "ceph osd new failed (is the monitor up?)"
	[ "$id" = 0 ] || die "expected osd id 0, got '$id'"
	run ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" || die "ceph-osd --mkfs failed"
fi
check_deadline "before ceph-osd"
run ceph-osd -c "$CONF" -i 0 || die "ceph-osd did not start"
log "osd started after $(elapsed)s"

# ---- 6. gateway ---------------------------------------------------------------
# No separate wait for "osd.0 up" (each ceph CLI call costs ~1 s of Python
# start-up): the gateway waits for the OSD itself while it creates its pools,
# and the endpoint answering 200 proves all three daemons work.
check_deadline "before radosgw"
run radosgw -c "$CONF" -n client.rgw.a || die "radosgw did not start"
until [ "$(http_code)" = 200 ]; do
	for d in $DAEMONS; do alive "$d" || die "$d exited"; done
	check_deadline "waiting for $ENDPOINT"
	sleep 0.25
done
log "radosgw answering after $(elapsed)s"

# ---- 7. S3 user ---------------------------------------------------------------
# The secret goes on radosgw-admin's command line: visible to local users
# for a moment, acceptable for a random throw-away test key. radosgw-admin
# prints the keys: its stdout is not logged, so no log holds the secret.
admin() { timeout "$(left)" radosgw-admin "$@" 2>>"$REAL/log/setup.log"; }
if info=$(admin user info --uid=rpvault); then
	case "$info" in
	*"\"access_key\": \"$ACCESS\""*) ;;
	*) admin key create --uid=rpvault --key-type=s3 --access-key="$ACCESS" --secret-key="$SECRET" >/dev/null ||
		die "radosgw-admin key create failed" ;;
	esac
else
	admin user create --uid=rpvault --display-name="rpvault tests" \
		--access-key="$ACCESS" --secret-key="$SECRET" >/dev/null || die "radosgw-admin user create failed"
fi
unset info
touch "$REAL/created"
log "ready at $ENDPOINT after $(elapsed)s (DIR $REAL, $BACKEND)"
print_exports
