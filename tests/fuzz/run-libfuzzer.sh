#!/bin/sh
# Run a libFuzzer binary for a bounded time on a scratch copy of its seed
# corpus (libFuzzer writes new inputs into the first corpus directory).
#   run-libfuzzer.sh BINARY SEED_DIR ARTIFACT_DIR SECONDS
# Crashing inputs are kept in ARTIFACT_DIR.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 BINARY SEED_DIR ARTIFACT_DIR SECONDS" >&2; exit 2; }
bin=$1 seeds=$2 artifacts=$3 secs=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/invpn-fuzz.XXXXXXXX")
trap 'rm -rf -- "$work"' EXIT
cp -- "$seeds"/* "$work"/
mkdir -p -- "$artifacts"
# leaks are reported too (config_init/config_fini around each run)
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$work"
