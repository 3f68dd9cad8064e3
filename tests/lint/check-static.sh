#!/usr/bin/env bash
# Static analysis: clang's analyzer (scan-build) over a scratch build of the
# whole tree (daemon, tool, tests). Any finding fails; the report stays in
# the scratch directory (scan-view DIR/meson-logs/scanbuild/*).
# Usage: check-static.sh SOURCE_DIR SCRATCH_DIR
set -uo pipefail
src=${1:?source dir} dir=${2:?scratch dir}
command -v scan-build >/dev/null || { echo "Bail out! scan-build (clang-tools) is not installed"; exit 1; }
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$src" -Dintegration=disabled >"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log"; echo "Bail out! meson setup failed"; exit 1; }
fi
out=$(ninja -C "$dir" scan-build 2>&1)
rc=$?
grep -E 'warning:|bugs? found|No bugs found' <<<"$out" | sed 's/^/# /'
# meson's target may run the analyzer more than once: every pass must be clean
findings=$(grep -Ec 'warning:|[1-9][0-9]* bugs? found' <<<"$out")
if [ "$rc" -eq 0 ] && [ "$findings" -eq 0 ] && grep -q 'No bugs found' <<<"$out"; then
	echo "ok 1 - scan-build: no findings"
	echo "1..1"
	exit 0
fi
echo "not ok 1 - scan-build found something (or did not run: status $rc)"
echo "1..1"
exit 1
