#!/usr/bin/env bash
# Install what building, the demo and the tests need (Debian 12). Idempotent.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	libssl-dev libjson-c-dev libcmocka-dev libc-ares-dev libavahi-client-dev libsystemd-dev
	# runtime of tests and demo
	openssl iproute2 iputils-ping iputils-arping tcpdump jq socat graphviz
	# discovery tests: a D-Bus and avahi-daemon per namespace, a DNS server
	dbus avahi-daemon avahi-utils dnsmasq-base
	# man pages, unit checks, completions, install test
	scdoc man-db systemd bash-completion
	# fuzzing with libFuzzer (clang)
	clang libclang-rt-14-dev
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
missing=()
for p in "${packages[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *'install ok installed'* ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps.sh: all packages present"
	exit 0
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
