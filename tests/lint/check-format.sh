#!/usr/bin/env bash
# Every C file is formatted as .clang-format says (clang-format --dry-run:
# nothing is changed). Fix a failure with:
#   clang-format -i $(find src tools tests -name '*.[ch]')
# TAP output: one line per file that is not formatted.
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "Bail out! clang-format is not installed"; exit 1; }
mapfile -t files < <(find src tools tests -name '*.[ch]' | LC_ALL=C sort)
n=0 bad=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$(clang-format --dry-run --Werror "$f" 2>&1); then
		echo "ok $n - $f"
	else
		bad=$((bad + 1))
		echo "not ok $n - $f is not formatted (clang-format -i $f)"
		sed -n '1,20s/^/# /p' <<<"$out"
	fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
