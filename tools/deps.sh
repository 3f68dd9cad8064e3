#!/usr/bin/env bash
# Check that what building, the demo and the tests need is installed (Debian 12
# or 13), and install what is missing. Only installing needs root: a developer
# who has everything runs this as themselves. Idempotent.
set -euo pipefail

# The fuzz build (CC=clang -fsanitize=fuzzer) needs the runtime of the clang it
# runs: llvm-defaults' libclang-rt-dev follows the default clang on both
# releases (14 on Debian 12, 19 on 13); the versioned package of the clang at
# hand does as well.
clang_rt=libclang-rt-dev
if command -v clang >/dev/null 2>&1; then
	major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	case $major in
	'' | *[!0-9]*) ;;
	*) clang_rt="libclang-rt-dev|libclang-rt-$major-dev" ;;
	esac
fi

# a|b: either will do; the first is the one installed
packages=(
	# build
	build-essential meson ninja-build pkg-config
	libssl-dev libjson-c-dev libcmocka-dev libc-ares-dev libavahi-client-dev libsystemd-dev
	libmicrohttpd-dev
	# the Debian package (tools/deb.sh) and its check
	debhelper dpkg-dev fakeroot lintian
	# runtime of tests and demo
	openssl iproute2 iputils-ping iputils-arping tcpdump jq socat graphviz
	# the metrics test: a scraper and Prometheus' format checker (promtool)
	curl prometheus
	# discovery tests: a D-Bus and avahi-daemon per namespace, a DNS server
	dbus avahi-daemon avahi-utils dnsmasq-base
	# man pages, unit checks, completions, install test
	scdoc man-db systemd bash-completion
	# fuzzing with libFuzzer (clang); static analysis and formatting (CI, lint)
	clang "$clang_rt" clang-tools clang-format python3
)

installed() {
	local status
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = "install ok installed" ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: cannot check packages here (no dpkg-query: not Debian?);" \
		"make sure the equivalents of these are installed: ${packages[*]}" >&2
	exit 0
fi
missing=()
for p in "${packages[@]}"; do
	IFS='|' read -ra alts <<<"$p"
	found=false
	for a in "${alts[@]}"; do
		if installed "$a"; then
			found=true
			break
		fi
	done
	$found || missing+=("${alts[0]}")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps.sh: all ${#packages[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing ${#missing[@]} package(s): ${missing[*]}" >&2
	echo "deps.sh: install them as root:" \
		"apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
