#!/bin/bash
# run-anchors.sh - performance anchors for an L2 (TAP) VPN on a netns line testbed.
#
# usage: sudo ./run-anchors.sh [-n RUNS] [-o OUTDIR | -d DIR] [-t SECONDS] [-T TOPOS]
#                              [-P STREAMS] [-L] [-C] [SYSTEM[:VARIANT] ...]
#   SYSTEM     an adapter in systems/ (raw tinc openvpn fastd invpn ...) or a path
#              to an adapter file elsewhere (anything containing a "/", e.g.
#              ../myvpn/bench-adapter.sh); default: raw tinc openvpn fastd.
#              SYSTEM:VARIANT picks one variant (e.g. openvpn:tcp-nocrypt).
#   -n RUNS    repeat the whole set RUNS times (default 1); summarize.sh gives
#              medians and ranges across them.
#   -o OUTDIR  results go to OUTDIR/<timestamp>/ (default: results/ next to this script)
#   -d DIR     results go to exactly DIR/ (created; must not hold results.tsv yet)
#   -t SECONDS iperf3 duration (default: $PB_IPERF_TIME or 10)
#   -T TOPOS   comma-separated line topologies: 2 (a-b) and/or 3 (a-b-c, traffic
#              a->c relayed by b); default 2. Adapters that do not list a
#              topology in sys_topologies are skipped for it (a SKIPPED row says so).
#   -P STREAMS comma-separated iperf3 parallel stream counts, e.g. 1,4 (default 1);
#              all counts are measured on the same tunnel, one after the other.
#   -L         no ping under load (by default a 10/s ping runs during iperf3)
#   -C         skip the openssl speed crypto ceiling
#   env: PB_IPERF_TIME (10), PB_PING_COUNT (200), PB_PING_INTERVAL (0.01),
#        PB_SPEED_SECONDS (3), PB_NS_TAG (namespace tag, default: this PID)
#
# Each system/variant/topology gets a fresh testbed (netns pb-TAG-a, pb-TAG-b
# [, pb-TAG-c] joined by veth 198.18.1.1 <-> 198.18.1.2 [, 198.18.2.2 <-> 198.18.2.3]),
# the adapter brings up the tunnel with overlay 198.19.0.1 (a) / .2 (b) [/ .3 (c)],
# then per stream count: 20 warm-up pings, 200 pings at 10 ms (idle RTT),
# iperf3 TCP a->far node (b or c) for PB_IPERF_TIME s with a ping under load
# alongside, CPU ticks of every daemon and of the whole machine over the iperf3
# window, VmHWM (peak RSS) of the daemons. Everything is torn down before the
# next system starts.
set -u
PB_DIR=$(cd "$(dirname "$0")" && pwd)
PB_NS_TAG=${PB_NS_TAG:-$$}
export PB_NS_TAG
. "$PB_DIR/lib.sh"

runs=1; crypto=1; outroot=$PB_DIR/results; outdir=""; topos=2; streams=1
while getopts "n:o:d:t:T:P:LCh" opt; do
    case $opt in
        n) runs=$OPTARG ;;
        o) outroot=$OPTARG ;;
        d) outdir=$OPTARG ;;
        t) PB_IPERF_TIME=$OPTARG ;;
        T) topos=${OPTARG//,/ } ;;
        P) streams=${OPTARG//,/ } ;;
        L) export PB_LOAD_PING=0 ;;
        C) crypto=0 ;;
        *) sed -n '2,33p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(raw tinc openvpn fastd)
for x in $topos; do case $x in 2|3) ;; *) echo "-T: topology must be 2 or 3, got '$x'" >&2; exit 2;; esac; done
for x in $streams "$runs" "$PB_IPERF_TIME"; do
    case $x in ''|*[!0-9]*|0) echo "not a positive number: '$x'" >&2; exit 2;; esac
done
n_streams=$(echo $streams | wc -w)
# a daemon lives at most for: start-up waits + every measurement on its tunnel
PB_DAEMON_MAX=${PB_DAEMON_MAX:-$((240 + n_streams * (PB_IPERF_TIME + 90)))}

[ "$(id -u)" = 0 ] || { echo "must run as root (namespaces, TAP)" >&2; exit 1; }
for t in ip iperf3 ping ss timeout taskset openssl ethtool; do
    command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
for ns in "$PB_NS_A" "$PB_NS_B" "$PB_NS_C"; do
    pb_ns_exists "$ns" && { echo "namespace $ns exists already; run PB_NS_TAG=$PB_NS_TAG ./netns.sh down first" >&2; exit 1; }
done

stamp=$(date +%Y%m%d-%H%M%S)
if [ -n "$outdir" ]; then OUT=$outdir; else OUT=$outroot/$stamp; fi
[ -e "$OUT/results.tsv" ] && { echo "$OUT/results.tsv exists already" >&2; exit 1; }
mkdir -p "$OUT/work" || exit 1
TSV=$OUT/results.tsv
CRY=$OUT/crypto.tsv
echo "$PB_TSV_HEADER" >"$TSV"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "kernel: $(uname -r)  cpus: $(nproc)  cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "loadavg at start: $(cat /proc/loadavg)"
    echo "iperf3 time: ${PB_IPERF_TIME}s  streams: $streams  topologies: $topos  rounds: $runs  namespaces: pb-$PB_NS_TAG-*"
    for t in "iperf3 --version" "tincd --version" "openvpn --version" "fastd --version" "openssl version"; do
        command -v "${t%% *}" >/dev/null && echo "$($t 2>&1 | head -1)"
    done
} >"$OUT/env.txt"

# the per-measurement subshells clean up after themselves; this is the last net
trap 'pb_topo_down' EXIT
trap 'exit 130' INT TERM

adapter_file() { case $1 in */*) echo "$1";; *) echo "$PB_DIR/systems/$1.sh";; esac; }
adapter_name() { local b; b=$(basename "$1"); echo "${b%.sh}"; }

# status_row SYS VAR TOPO STATUS WHY: a row without numbers (FAILED / SKIPPED)
status_row() {
    local s f=("$PB_RUN_ID" "$1" "$2" - "$4")
    local ncol; ncol=$(echo "$PB_TSV_HEADER" | awk -F'\t' '{print NF}')
    for s in $(seq 6 "$ncol"); do f+=(-); done
    f[16]=$3; f[ncol-1]=$5
    local IFS=$'\t'
    echo "${f[*]}" >>"$TSV"
}

measure_one() {             # measure_one RUN ADAPTER VARIANT TOPO  (runs in a subshell)
    local r=$1 afile=$2 var=$3 topo=$4 sys s
    sys=$(adapter_name "$afile")
    PB_WORK=$OUT/work/r$r-$sys-$var-${topo}n
    mkdir -p "$PB_WORK"
    PB_TOPO=$topo
    PB_DST_NODE=$([ "$topo" = 3 ] && echo c || echo b)
    _cleanup() {
        declare -F sys_stop >/dev/null && sys_stop
        pb_kill_spawned
        pb_topo_down
    }
    trap _cleanup EXIT
    trap 'exit 130' INT TERM
    pb_topo_up "$topo" >"$PB_WORK/testbed.log" 2>&1 || { pb_log "testbed setup failed"; cat "$PB_WORK/testbed.log" >&2; exit 1; }
    # shellcheck disable=SC1090
    . "$afile"
    pb_log "run $r: $sys/$var ($topo nodes): starting tunnel"
    if ! sys_start "$var"; then
        pb_log "run $r: $sys/$var ($topo nodes): tunnel did not come up (logs in $PB_WORK)"
        status_row "$sys" "$var" "$topo" FAILED "tunnel did not come up; logs in $PB_WORK"
        exit 1
    fi
    for s in $streams; do
        pb_log "run $r: $sys/$var ($topo nodes): measuring (${PB_IPERF_TIME}s iperf3, $s stream(s))"
        pb_measure "$sys" "$var" "$TSV" "$s"
        tail -1 "$TSV" | awk -F'\t' '{printf "    -> %s Gbit/s, ping avg %s ms (under load %s/%s ms avg/max), peak RSS %s MiB, CPU a/b/c %s/%s/%s %%\n", $5, $7, $20, $21, $10, $11, $12, $23}' >&2
    done
    declare -F sys_collect >/dev/null && sys_collect
    exit 0
}

for r in $(seq "$runs"); do
    PB_RUN_ID=$stamp-r$r
    for spec in "${specs[@]}"; do
        sys=${spec%%:*}
        afile=$(adapter_file "$sys")
        [ -f "$afile" ] || { pb_log "no adapter $afile"; continue; }
        afile=$(cd "$(dirname "$afile")" && pwd)/$(basename "$afile")
        if [ "$spec" != "$sys" ]; then
            variants=${spec#*:}
        else
            # shellcheck disable=SC1090
            variants=$( . "$afile"; sys_variants )
        fi
        # shellcheck disable=SC1090
        supported=$( . "$afile"; declare -F sys_topologies >/dev/null && sys_topologies || echo 2 )
        for var in $variants; do
            for topo in $topos; do
                if ! echo " $supported " | grep -q " $topo "; then
                    pb_log "run $r: $(adapter_name "$afile")/$var: $topo-node line skipped (adapter supports: $supported)"
                    status_row "$(adapter_name "$afile")" "$var" "$topo" SKIPPED "adapter does not support the $topo-node line (supports: $supported)"
                    continue
                fi
                ( measure_one "$r" "$afile" "$var" "$topo" )
                [ $? -eq 130 ] && exit 130
                sleep 1
            done
        done
    done
    if [ "$crypto" = 1 ]; then
        pb_log "run $r: openssl speed (one core)"
        "$PB_DIR/crypto-ceiling.sh" "$CRY" "$stamp-r$r"
    fi
done

echo
echo "== raw rows: $TSV"
column -t -s $'\t' "$TSV" 2>/dev/null || cat "$TSV"
[ -f "$CRY" ] && { echo; column -t -s $'\t' "$CRY" 2>/dev/null || cat "$CRY"; }
echo
files=("$TSV"); [ -f "$CRY" ] && files+=("$CRY")
"$PB_DIR/summarize.sh" "${files[@]}" | tee "$OUT/summary.txt"
