#!/usr/bin/env bash
# Build the Debian package from this tree, on Debian 12 or 13:
#   build-deb/invpn_VERSION_ARCH.deb  (with the -dbgsym package, .buildinfo, .changes)
# Installs what building needs first (tools/deps.sh; installing needs root),
# then runs dpkg-buildpackage -us -uc -b. Install the result, as root, with
#   apt-get install ./build-deb/invpn_*.deb
# Extra arguments go to dpkg-buildpackage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
# dh builds in obj-*/ (not build/, tools/build.sh's) and writes into ..: move
# what it made into build-deb/, so that nothing is left outside the tree
dpkg-buildpackage -us -uc -b "$@"
mkdir -p build-deb
for f in "invpn_${version}_${arch}.deb" "invpn-dbgsym_${version}_${arch}.deb" \
	"invpn_${version}_${arch}.buildinfo" "invpn_${version}_${arch}.changes"; do
	if [ -e "../$f" ]; then
		mv -f "../$f" build-deb/
	fi
done
# the .changes names its files by basename: it stays valid beside them
echo "build-deb/invpn_${version}_${arch}.deb"
