#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test
# (unit, pki, fuzz smoke, and the network-namespace integration tests, which
# need root and /dev/net/tun).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
# static analysis (scan-build, minutes of CPU) is for CI: .ci/run runs it
if [ $# -eq 0 ]; then
	set -- --no-suite static
fi
meson test -C build --print-errorlogs "$@"
