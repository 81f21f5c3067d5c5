#!/bin/sh
# demo.sh BINARY - rpvault's main job on the embedded default store:
# pack the shipped sample run into a runpack, export it to the default
# file store, and verify it from the store. Safe to run again: the export
# of an identical runpack is a no-op.
set -eu
RPVAULT=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/rpvault-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== 1. pack examples/sample-run into a runpack"
"$RPVAULT" pack --out "$work/runpack" --tenant 1 --namespace 1 --run sample-run-1 \
	--generated-at logical:1 --security dg_registry --with-verification "$top/examples/sample-run"
"$RPVAULT" verify --format text "$work/runpack"

echo "== 2. export it to the default store (\$RPVAULT_STORE, config, or \$XDG_DATA_HOME/rpvault/store)"
uri=$("$RPVAULT" export "$work/runpack")
echo "$uri"

echo "== 3. verify it from the store"
store=${uri%%/tenant/*}
"$RPVAULT" verify --store "$store" --format markdown "$uri"

echo "== 4. what the store holds"
"$RPVAULT" ls --store "$store"
