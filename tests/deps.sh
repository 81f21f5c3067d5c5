#!/bin/sh
# deps.sh - install (as root) or name (otherwise) the Debian packages that
# building and testing rpvault needs. Idempotent; quiet when all present.
set -eu
PKGS="gcc make pkg-config libbearssl-dev libcmocka-dev libseccomp-dev libcap-ng-dev \
libcurl4-openssl-dev libcurl4-doc python3 python3-boto3 strace time"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root: apt-get install$missing" >&2
	exit 1
fi
