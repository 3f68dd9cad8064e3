#!/usr/bin/env bash
# Configure (once) and build into build/. The build is configured for the
# system's layout (binaries under /usr, configuration in /etc/invpn), so the
# binaries in build/ read /etc/invpn/invpn.conf, and `meson install -C build`
# puts everything where they look.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --prefix /usr --sysconfdir /etc >/dev/null
ninja -C build
