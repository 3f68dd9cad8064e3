#!/bin/bash
# invpn-notes.sh - what invpnd's logs and counters say about a benchmark run:
# log lines above "info" level, non-zero drop counters (per daemon and per
# link, from the control socket after the measurements), daemons that needed
# SIGKILL, and peak/current RSS per measurement.
# usage: ./invpn-notes.sh RESULTS_DIR     (a directory with results.tsv and work/)
set -u
out=${1:?usage: $0 RESULTS_DIR}
found=0
for d in "$out"/work/*-invpn-*; do
    [ -d "$d" ] || continue
    found=1
    name=$(basename "$d")
    notes=$(
        for f in "$d"/invpnd-?.log; do
            [ -f "$f" ] || continue
            n=${f##*/invpnd-}; n=${n%.log}
            grep -Ev ' (info|notice|debug): ' "$f" | sed -E 's/^[0-9-]+ [0-9:.]+ //' | sort | uniq -c |
                awk -v n="$n" '{c = $1; $1 = ""; printf "  node %s log:%s (x%d)\n", n, $0, c}'
        done
        for f in "$d"/invpn-?-status.json; do
            [ -s "$f" ] || continue
            n=${f##*/invpn-}; n=${n%-status.json}
            tr -d '[:space:]"{}' <"$f" | tr ',' '\n' | sed 's/^counters://' |
                awk -F: -v n="$n" '($1 ~ /^drop_|^bad_frames$|^links_refused$/) && $2 + 0 > 0 {printf "  node %s counter: %s = %s\n", n, $1, $2}'
        done
        for f in "$d"/invpn-?-peers.json; do
            [ -s "$f" ] || continue
            n=${f##*/invpn-}; n=${n%-peers.json}
            tr -d '[:space:]"' <"$f" | grep -o 'mac:[0-9a-fnul:]*\|drops:[0-9]*' | paste -d' ' - - |
                awk -v n="$n" '{split($2, x, ":"); if (x[2] + 0 > 0) printf "  node %s, link to %s: %s frames dropped (output queue full)\n", n, substr($1, 5), x[2]}'
        done
        for f in "$d"/invpn-?-tap.txt; do     # ip -s link: RX line then numbers, TX line then numbers
            [ -s "$f" ] || continue
            n=${f##*/invpn-}; n=${n%-tap.txt}
            awk -v n="$n" '/RX:/ {getline; rxd = $4} /TX:/ {getline; txd = $4}
                END {if (txd + 0 > 0) printf "  node %s, TAP: %d frames dropped by the kernel before invpnd read them (TX dropped, whole run)\n", n, txd
                     if (rxd + 0 > 0) printf "  node %s, TAP: %d frames dropped on the way in (RX dropped)\n", n, rxd}' "$f"
        done
        grep -h KILLED "$d/exit-times" 2>/dev/null | sed 's/^/  needed SIGKILL: /'
        [ -f "$d/exit-times" ] || echo "  (no exit record: the tunnel did not come up?)"
    )
    if [ -n "$notes" ]; then echo "$name:"; echo "$notes"; else echo "$name: nothing to note (no warnings or errors logged, no drops)"; fi
done
[ "$found" = 1 ] || { echo "no invpn measurements in $out"; exit 0; }
# memory per measurement, in order (the same daemons serve 1 then 4 streams)
awk -F'\t' 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i; next}
    $2 == "invpn" && $(col["gbps"]) != "FAILED" && $(col["gbps"]) != "SKIPPED" {
        printf "memory %s, %s nodes, %s stream(s): peak RSS a/b/c %s/%s/%s MiB, largest RSS afterwards %s MiB\n",
            $1, $(col["topo"]), $(col["streams"]), $(col["rss_a_mib"]), $(col["rss_b_mib"]), $(col["rss_c_mib"]), $(col["vmrss_mib"]) }' "$out/results.tsv"
