#!/usr/bin/env bash
# CI: invpn built without its optional libraries (-Dmdns=disabled
# -Ddns=disabled -Dsystemd=disabled -Dmetrics=disabled) into build-min/ (or
# $BUILD_MIN). It must build; invpnd and invpnctl must not link Avahi,
# c-ares, libsystemd or libmicrohttpd, and
# invpnctl nothing but json-c; invpnd --version must say what is left out;
# the tests of a missing feature must not be registered; the unit tests and
# the integration scenarios two_nodes, line and config_errors (which checks
# the "built without c-ares" error and the Avahi notice) must pass.
#
# Test logs: $BUILD_MIN/meson-logs/testlog-unit.json (unit) and testlog.json
# (integration). Ends with "ci-minimal: N passed, N failed[, N skipped]";
# exits non-zero on any failure (a skip is one too when CI=true).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export CI=${CI:-true}
dir=${BUILD_MIN:-build-min}
opts=(-Dmdns=disabled -Ddns=disabled -Dsystemd=disabled -Dmetrics=disabled)
integration=(two_nodes line config_errors)
status=0

step() { printf '\n==== ci-minimal: %s\n' "$*"; }
bad() {
	echo "ci-minimal: FAIL: $*"
	status=1
}

step "configure and build $dir (${opts[*]})"
if [ -f "$dir/build.ninja" ]; then
	meson configure "$dir" "${opts[@]}" >/dev/null || exit 1
else
	meson setup "$dir" "${opts[@]}" >/dev/null || exit 1
fi
if ! ninja -C "$dir"; then
	echo "ci-minimal: FAIL: the build failed"
	exit 1
fi

step "what the binaries link"
# needed FILE - the shared libraries FILE links directly
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
daemon_libs=$(needed "$dir/src/invpnd") || bad "readelf $dir/src/invpnd"
ctl_libs=$(needed "$dir/tools/invpnctl") || bad "readelf $dir/tools/invpnctl"
echo "invpnd:   $(tr "\n" " " <<<"$daemon_libs")"
echo "invpnctl: $(tr "\n" " " <<<"$ctl_libs")"
if grep -Ei 'avahi|cares|systemd|microhttpd' <<<"$daemon_libs" >/dev/null; then
	bad "invpnd links an optional library it was configured without"
fi
others=$(grep -Ev '^(libjson-c\.so|libc\.so)' <<<"$ctl_libs")
[ -z "$others" ] || bad "invpnctl links more than json-c: $(tr "\n" " " <<<"$others")"
grep -E '^libjson-c\.so' <<<"$ctl_libs" >/dev/null || bad "invpnctl does not link json-c"
# and builds without their headers or flags: nothing but json-c on its command lines
cmds=$(ninja -C "$dir" -t commands tools/invpnctl) || bad "ninja -t commands tools/invpnctl"
if grep -Ei 'avahi|cares|systemd|ssl|crypto' <<<"$cmds" >/dev/null; then
	bad "building invpnctl uses more than json-c:"
	grep -Eio '[^ ]*(avahi|cares|systemd|ssl|crypto)[^ ]*' <<<"$cmds" | sort -u
fi

step "invpnd --version"
version=$("$dir/src/invpnd" --version) || bad "invpnd --version failed"
echo "$version"
[[ $version == *"(-mdns -dns -systemd -metrics)" ]] ||
	bad "--version does not say '(-mdns -dns -systemd -metrics)'"

step "tests of the missing features are not registered"
list=$(meson test -C "$dir" --list 2>/dev/null) || bad "meson test --list"
for t in avahi_poll resolve mdns_mesh avahi_restart dns_seeds metrics; do
	if grep -E "/ $t\$" <<<"$list" >/dev/null; then
		bad "$t is registered in a build without its feature"
	fi
done
for t in config vnet "${integration[@]}"; do
	grep -E "/ $t\$" <<<"$list" >/dev/null || bad "$t is not registered"
done

step "unit tests"
meson test -C "$dir" --print-errorlogs --suite unit || status=1
cp "$dir/meson-logs/testlog.json" "$dir/meson-logs/testlog-unit.json" 2>/dev/null

step "integration: ${integration[*]}"
meson test -C "$dir" --print-errorlogs "${integration[@]}" || status=1

step "summary"
passed=0 failed=0 skipped=0
for f in "$dir/meson-logs/testlog-unit.json" "$dir/meson-logs/testlog.json"; do
	[ -f "$f" ] || { failed=$((failed + 1)); continue; }
	p=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$f")
	s=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$f")
	x=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$f")
	passed=$((passed + p)) failed=$((failed + x)) skipped=$((skipped + s))
done
if [ "$CI" = true ] && [ "$skipped" -gt 0 ]; then
	echo "ci-minimal: skips are failures in CI"
	status=1
fi
[ "$failed" -gt 0 ] && status=1
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && echo "ci-minimal: a check above failed"
if [ "$skipped" -gt 0 ]; then
	echo "ci-minimal: $passed passed, $failed failed, $skipped skipped"
else
	echo "ci-minimal: $passed passed, $failed failed"
fi
exit $status
