#!/bin/sh
# mkman.sh SCDOC INPUT OUTPUT - turn an scdoc page into a man page, and ask
# for no hyphenation and ragged-right text (paths and key names stay whole).
set -eu
"$1" <"$2" >"$3.tmp"
awk '{ print } /^\.TH / { print ".nh"; print ".ad l" }' "$3.tmp" >"$3"
rm -f "$3.tmp"
