#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test
# (unit, pki, fuzz smoke, and the network-namespace integration tests, which
# need root and /dev/net/tun).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
meson test -C build --print-errorlogs "$@"
