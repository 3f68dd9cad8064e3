#!/bin/bash
# summarize.sh - median and range per system/variant/topology/streams over any
# number of runs, as a table; optionally everything as JSON too.
# usage: ./summarize.sh [--json OUT.json] [--env env.txt] [--meta KEY=VALUE]...
#                       results/*/results.tsv [results/*/crypto.tsv]
# (files whose header starts with "run<TAB>system" are tunnel results, files
#  whose header starts with "run<TAB>cipher" are openssl speed results; columns
#  are found by their header names, so results.tsv files of the original
#  2-node/1-stream harness, without topo/streams/load columns, work too)
# --meta KEY=VALUE adds a string to "meta", KEY:=VALUE a number.
# --json writes every row of every file (numbers as numbers, "-"/"?" as null),
# the per-group medians/ranges, the rows that were not measured (SKIPPED/FAILED),
# the lines of --env and the --meta pairs.
set -u
json=""; envf=""; meta=()
while [ $# -gt 0 ]; do
    case $1 in
        --json) json=$2; shift 2 ;;
        --env) envf=$2; shift 2 ;;
        --meta) meta+=("$2"); shift 2 ;;
        --) shift; break ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--json OUT] [--env FILE] [--meta K=V]... results.tsv... [crypto.tsv...]" >&2; exit 2; }

tun=(); cry=()
for f in "$@"; do
    case $(head -1 "$f") in
        run$'\t'system*) tun+=("$f") ;;
        run$'\t'cipher*) cry+=("$f") ;;
    esac
done

awk_lib='
function isnum(v) { return v ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function add(arr, k, v) { if (isnum(v)) arr[k] = arr[k] " " v }
function median(s, n,   i, j, t, a) {   # s: space-separated numbers
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
    if (n == 0) return "-"
    return (n % 2) ? a[(n+1)/2] + 0 : (a[n/2] + a[n/2+1]) / 2
}
function lo(s,   n, a, i, m) { n = split(s, a, " "); if (!n) return "-"; m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
function hi(s,   n, a, i, m) { n = split(s, a, " "); if (!n) return "-"; m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
function cnt(s,   a) { return split(s, a, " ") }
function jstr(v) {
    gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v); gsub(/\t/, "\\t", v); gsub(/\r/, "\\r", v)
    gsub(/[\001-\037]/, "", v)
    return "\"" v "\""
}
function jval(v) { return isnum(v) ? v + 0 : ((v == "-" || v == "?" || v == "") ? "null" : jstr(v)) }
function jnum(v) { return isnum(v) ? v + 0 : "null" }
function jstat(s) { return cnt(s) ? sprintf("{\"median\": %s, \"min\": %s, \"max\": %s, \"n\": %d}", median(s), lo(s), hi(s), cnt(s)) : "null" }
function fmt(v, f) { return isnum(v) ? sprintf(f, v) : "-" }
'

if [ ${#tun[@]} -gt 0 ]; then
    echo "median [min-max] over n rounds; iperf3 TCP from a to the far node (line a-b: b; line a-b-c: c, relayed by b)"
    echo "P = parallel streams; idle RTT = 200 pings at 10 ms before the load; load RTT = 10/s pings during iperf3"
    echo "(median of the per-round averages / the largest single RTT seen); CPU = sum of all daemons during iperf3"
    echo "(100 = one core; the machine has $(nproc)); RSS = largest peak RSS (VmHWM) of any daemon; spread = (max-min)/median;"
    echo "Gb/s/core = throughput / CPU share of the busiest daemon; sysCPU = whole machine (all tests on it)"
fi

awk -F'\t' -v JSON="$json" -v ENVF="$envf" -v META="$(printf '%s\n' "${meta[@]+"${meta[@]}"}")" "$awk_lib"'
FNR == 1 {
    delete col
    for (i = 1; i <= NF; i++) col[$i] = i
    kind = ($2 == "cipher") ? "crypto" : "tunnel"
    nh = NF; for (i = 1; i <= NF; i++) hdr[FILENAME, i] = $i
    next
}
function c(name) { return (name in col) ? $(col[name]) : "-" }
kind == "crypto" {
    k = $2; if (!(k in cseen)) { cseen[k] = 1; corder[++nck] = k }
    ca[k] = ca[k] " " $(col["Gbps_1024B"]); cb[k] = cb[k] " " $(col["Gbps_8192B"]); cc[k] = cc[k] " " $(col["Gbps_16384B"]); cn[k]++
    row = "{"; for (i = 1; i <= NF; i++) row = row (i > 1 ? ", " : "") jstr(hdr[FILENAME, i]) ": " jval($i)
    crow[++ncr] = row "}"
    next
}
{
    topo = c("topo"); if (!isnum(topo)) topo = 2
    st = c("streams"); if (!isnum(st)) st = 1
    row = "{"; for (i = 1; i <= NF; i++) { h = hdr[FILENAME, i]; if (h == "") h = "col" i; row = row (i > 1 ? ", " : "") jstr(h) ": " jval($i) }
    row = row ", \"file\": " jstr(FILENAME) "}"
    g = c("gbps")
    if (g == "FAILED" || g == "SKIPPED") {
        nm++; nmrow[nm] = sprintf("{\"system\": %s, \"variant\": %s, \"topology\": %d, \"status\": %s, \"reason\": %s, \"run\": %s}",
            jstr($2), jstr($3), topo, jstr(g), jstr(c("info")), jstr($1))
        nk2 = $2 "/" $3 " " (topo == 3 ? "a-b-c" : "a-b")
        if (!((g, nk2) in nmseen)) { nmseen[g, nk2] = 1; nmorder[++nnm] = g; nmkey[nnm] = nk2; nmwhy[nnm] = c("info") }
        nmcount[g, nk2]++
        allrows[++nall] = row
        next
    }
    allrows[++nall] = row
    k = $2 "/" $3 SUBSEP topo SUBSEP st
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k; tr[k] = $4; sv[k] = $2; vv[k] = $3; tp[k] = topo; ss[k] = st; info[k] = c("info") }
    n[k]++
    add(gb, k, g); add(pi, k, c("ping_avg_ms")); add(pm, k, c("ping_max_ms"))
    add(la, k, c("load_ping_avg_ms")); add(lm, k, c("load_ping_max_ms")); add(ll, k, c("load_ping_loss_pct"))
    add(re, k, c("retr")); add(sy, k, c("cpu_sys_pct")); add(rs, k, c("peak_rss_mib")); add(vr, k, c("vmrss_mib")); add(td, k, c("a_if_tx_dropped"))
    ca_ = c("cpu_a_pct"); cb_ = c("cpu_b_pct"); cc_ = c("cpu_c_pct")
    if (isnum(ca_)) {
        sum = ca_ + (isnum(cb_) ? cb_ : 0) + (isnum(cc_) ? cc_ : 0)
        bz = ca_ + 0; if (isnum(cb_) && cb_ + 0 > bz) bz = cb_ + 0; if (isnum(cc_) && cc_ + 0 > bz) bz = cc_ + 0
        cpu[k] = cpu[k] " " sum; cmax[k] = cmax[k] " " bz
        if (bz > 0 && isnum(g)) eff[k] = eff[k] " " (g * 100 / bz)
    }
}
END {
    if (nk) {
        printf "%-22s %-6s %-5s %2s %2s %-24s %6s  %-21s %-15s %5s %7s %7s %9s %6s\n", "system/variant", "transp", "line", "P", "n", "Gbit/s med [min-max]", "spread", "idle RTT ms med[rng]", "load RTT avg/max", "loss%", "CPU%", "RSS MiB", "Gb/s/core", "sysCPU"
        for (i = 1; i <= nk; i++) {
            k = order[i]; m = median(gb[k])
            printf "%-22s %-6s %-5s %2d %2d %6.3f [%6.3f-%6.3f]  %5.0f%%  %5.3f [%5.3f-%5.3f]  %-15s %5s %7s %7s %9s %6s\n",
                sv[k] "/" vv[k], tr[k], (tp[k] == 3 ? "a-b-c" : "a-b"), ss[k], n[k],
                m, lo(gb[k]), hi(gb[k]), (m > 0 ? (hi(gb[k]) - lo(gb[k])) * 100 / m : 0),
                median(pi[k]), lo(pi[k]), hi(pi[k]),
                (cnt(la[k]) ? sprintf("%.3f/%.3f", median(la[k]), hi(lm[k])) : "-"),
                (cnt(ll[k]) ? sprintf("%.0f", hi(ll[k])) : "-"),
                (cnt(cpu[k]) ? sprintf("%.0f", median(cpu[k])) : "-"),
                (cnt(rs[k]) ? sprintf("%.1f", hi(rs[k])) : "-"),
                (cnt(eff[k]) ? sprintf("%.2f", median(eff[k])) : "-"), median(sy[k])
        }
    }
    for (i = 1; i <= nnm; i++)
        printf "%s: %s (%d rounds): %s\n", nmorder[i], nmkey[i], nmcount[nmorder[i], nmkey[i]], nmwhy[i]
    if (nck) {
        printf "\nopenssl speed -evp, one core, Gbit/s: median [min-max] over runs\n"
        printf "%-20s %3s %-24s %-24s %s\n", "cipher", "n", "1024 B", "8192 B", "16384 B"
        for (i = 1; i <= nck; i++) { k = corder[i]
            printf "%-20s %3d %6.2f [%.2f-%.2f]     %6.2f [%.2f-%.2f]     %6.2f [%.2f-%.2f]\n", k, cn[k],
                median(ca[k]), lo(ca[k]), hi(ca[k]), median(cb[k]), lo(cb[k]), hi(cb[k]), median(cc[k]), lo(cc[k]), hi(cc[k]) }
    }
    if (JSON == "") exit 0
    o = JSON
    printf "{\n  \"format\": \"invpn-bench results 1\",\n" > o
    printf "  \"meta\": {" > o
    nmeta = split(META, ml, "\n"); first = 1
    for (i = 1; i <= nmeta; i++) { if (ml[i] == "") continue; p = index(ml[i], "=")
        mk = substr(ml[i], 1, p - 1); mv = substr(ml[i], p + 1)
        if (mk ~ /:$/) { mk = substr(mk, 1, length(mk) - 1); mv = jnum(mv) } else mv = jstr(mv)
        printf "%s%s: %s", (first ? "" : ", "), jstr(mk), mv > o; first = 0 }
    printf "},\n  \"env\": [" > o
    ne = 0
    if (ENVF != "") while ((getline line < ENVF) > 0) printf "%s%s", (ne++ ? ", " : ""), jstr(line) > o
    printf "],\n  \"summary\": [\n" > o
    for (i = 1; i <= nk; i++) {
        k = order[i]
        printf "    {\"system\": %s, \"variant\": %s, \"transport\": %s, \"topology\": %d, \"line\": %s, \"streams\": %d, \"rounds\": %d,\n", jstr(sv[k]), jstr(vv[k]), jstr(tr[k]), tp[k], jstr(tp[k] == 3 ? "a-b-c" : "a-b"), ss[k], n[k] > o
        printf "     \"gbps\": %s,\n     \"ping_idle_avg_ms\": %s, \"ping_idle_max_ms\": %s,\n", jstat(gb[k]), jstat(pi[k]), jstat(pm[k]) > o
        printf "     \"ping_load_avg_ms\": %s, \"ping_load_max_ms\": %s, \"ping_load_loss_pct\": %s,\n", jstat(la[k]), jstat(lm[k]), jstat(ll[k]) > o
        printf "     \"cpu_daemons_pct\": %s, \"cpu_busiest_daemon_pct\": %s, \"cpu_machine_pct\": %s, \"gbps_per_core\": %s,\n", jstat(cpu[k]), jstat(cmax[k]), jstat(sy[k]), jstat(eff[k]) > o
        printf "     \"peak_rss_mib\": %s, \"vmrss_mib\": %s, \"retransmits\": %s, \"a_if_tx_dropped\": %s, \"info\": %s}%s\n", jstat(rs[k]), jstat(vr[k]), jstat(re[k]), jstat(td[k]), jstr(info[k]), (i < nk ? "," : "") > o
    }
    printf "  ],\n  \"not_measured\": [\n" > o
    for (i = 1; i <= nm; i++) printf "    %s%s\n", nmrow[i], (i < nm ? "," : "") > o
    printf "  ],\n  \"measurements\": [\n" > o
    for (i = 1; i <= nall; i++) printf "    %s%s\n", allrows[i], (i < nall ? "," : "") > o
    printf "  ],\n  \"crypto_summary\": [\n" > o
    for (i = 1; i <= nck; i++) { k = corder[i]
        printf "    {\"cipher\": %s, \"gbps_1024B\": %s, \"gbps_8192B\": %s, \"gbps_16384B\": %s}%s\n", jstr(k), jstat(ca[k]), jstat(cb[k]), jstat(cc[k]), (i < nck ? "," : "") > o }
    printf "  ],\n  \"crypto\": [\n" > o
    for (i = 1; i <= ncr; i++) printf "    %s%s\n", crow[i], (i < ncr ? "," : "") > o
    printf "  ]\n}\n" > o
    close(o)
}' "${tun[@]+"${tun[@]}"}" "${cry[@]+"${cry[@]}"}"
