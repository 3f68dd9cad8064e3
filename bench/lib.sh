#!/bin/bash
# lib.sh - shared helpers for the anchor benchmarks. Source it; do not run it.
#
# Adapter contract (systems/<name>.sh), see systems/TEMPLATE.sh:
#   sys_variants          -> prints the variant names, e.g. "udp tcp"
#   sys_topologies        -> optional: prints the line topologies the adapter
#                            supports, "2" (default when absent) or "2 3"
#   sys_start VARIANT     -> brings the tunnel up between namespaces $PB_NS_A and
#                            $PB_NS_B (and $PB_NS_C when PB_TOPO=3): an L2 (TAP)
#                            interface in each, carrying $PB_OL_A/$PB_OL_PREFIX
#                            (node a), $PB_OL_B (node b), $PB_OL_C (node c),
#                            link up. Daemons must be started with pb_spawn
#                            (foreground mode, no self-daemonising) so that the
#                            harness knows their PIDs. Return non-zero on failure.
#                            May set PB_SYS_INFO (cipher etc.), PB_SYS_TRANSPORT,
#                            PB_SYS_IFACE (tunnel ifname, default pbt0),
#                            PB_SRC/PB_DST (default: overlay addresses of a and
#                            of the far node $PB_DST_NODE, b or c).
#   sys_collect           -> optional: called after the measurements, while the
#                            daemons still run (e.g. dump their counters)
#   sys_stop              -> optional extra cleanup; the harness itself kills
#                            every PID recorded by pb_spawn and deletes the
#                            namespaces afterwards.
# Everything an adapter writes goes to $PB_WORK (a fresh directory per run).

PB_DIR=${PB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source=netns.sh
. "$PB_DIR/netns.sh"

PB_OL_A=198.19.0.1
PB_OL_B=198.19.0.2
PB_OL_C=198.19.0.3
PB_OL_PREFIX=24
PB_TAP=pbt0                             # suggested tunnel ifname inside each namespace
PB_IPERF_TIME=${PB_IPERF_TIME:-10}      # seconds of iperf3 load, always bounded
PB_IPERF_PORT=${PB_IPERF_PORT:-5201}
PB_PING_COUNT=${PB_PING_COUNT:-200}
PB_PING_INTERVAL=${PB_PING_INTERVAL:-0.01}
PB_CLK_TCK=$(getconf CLK_TCK)

pb_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

pb_ns_of() { case $1 in a) echo "$PB_NS_A";; b) echo "$PB_NS_B";; c) echo "$PB_NS_C";; *) return 1;; esac; }
pb_ul_of() { case $1 in a) echo "$PB_UL_A";; b) echo "$PB_UL_B";; c) echo "$PB_UL_C";; *) return 1;; esac; }
pb_ol_of() { case $1 in a) echo "$PB_OL_A";; b) echo "$PB_OL_B";; c) echo "$PB_OL_C";; *) return 1;; esac; }
pb_peer_of() { case $1 in a) echo b;; b) echo a;; *) return 1;; esac; }

# pb_tpl TEMPLATE KEY=VALUE... : substitute @KEY@ placeholders, print result
pb_tpl() {
    local tpl=$1; shift
    local script="" kv k v
    for kv in "$@"; do
        k=${kv%%=*}; v=${kv#*=}
        v=${v//\\/\\\\}; v=${v//|/\\|}; v=${v//&/\\&}; v=${v//$'\n'/\\n}
        script+="s|@${k}@|${v}|g;"
    done
    sed -e "$script" "$PB_DIR/templates/$tpl"
}

# pb_spawn NODE LOGNAME CMD... : run CMD in NODE's namespace in the background,
# record "NODE PID GUARDPID" in $PB_WORK/pids. `ip netns exec` execs CMD, so PID
# is the daemon's own PID (what CPU and RSS are read from). Every daemon runs
# under `timeout PB_DAEMON_MAX` (GUARDPID), so even a harness killed with
# SIGKILL leaves no daemon running for longer than that.
PB_DAEMON_MAX=${PB_DAEMON_MAX:-600}     # seconds a spawned daemon may live at most
pb_spawn() {
    local node=$1 logname=$2; shift 2
    local ns; ns=$(pb_ns_of "$node") || return 1
    timeout -k 5 "$PB_DAEMON_MAX" ip netns exec "$ns" "$@" >"$PB_WORK/$logname" 2>&1 </dev/null &
    local guard=$! pid="" i
    for i in $(seq 40); do          # the guard's only child is the daemon (after exec)
        pid=$(cat "/proc/$guard/task/$guard/children" 2>/dev/null | awk '{print $1}')
        [ -n "$pid" ] && break
        kill -0 "$guard" 2>/dev/null || break
        sleep 0.05
    done
    echo "$node ${pid:-$guard} $guard" >>"$PB_WORK/pids"
    return 0
}

# pb_aux CMD... : run a bounded helper (ping, iperf3: always under `timeout`) in
# the background, record its PID in $PB_WORK/aux-pids so that an interrupted
# measurement can stop it (timeout runs in a process group of its own, a
# signal to the harness's group does not reach it). Sets PB_AUX_PID.
pb_aux() {
    "$@" &
    PB_AUX_PID=$!
    echo "$PB_AUX_PID" >>"$PB_WORK/aux-pids"
}
# pb_run CMD... : the same in the foreground (waits; returns CMD's status)
pb_run() { pb_aux "$@"; wait "$PB_AUX_PID"; }

pb_pid_of() { awk -v n="$1" '$1==n {p=$2} END {print p}' "$PB_WORK/pids" 2>/dev/null; }
pb_nodes_spawned() { awk '{print $1}' "$PB_WORK/pids" 2>/dev/null | sort -u; }

# kill exactly the PIDs recorded by pb_spawn (TERM, then KILL after 5 s), then
# their timeout guards; the time each daemon took to exit goes to $PB_WORK/exit-times
pb_kill_spawned() {
    local a
    if [ -f "$PB_WORK/aux-pids" ]; then        # helpers first (still running only if interrupted)
        for a in $(cat "$PB_WORK/aux-pids"); do kill -0 "$a" 2>/dev/null && kill -TERM "$a" 2>/dev/null; done
        mv "$PB_WORK/aux-pids" "$PB_WORK/aux-pids.done"
    fi
    [ -f "$PB_WORK/pids" ] || return 0
    local node pid guard i t0
    t0=$(pb_now)
    while read -r node pid guard; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done <"$PB_WORK/pids"
    while read -r node pid guard; do
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            echo "$node $pid KILLED (no exit within 5 s of SIGTERM)" >>"$PB_WORK/exit-times"
        else
            echo "$node $pid exited $(awk -v a="$t0" -v b="$(pb_now)" 'BEGIN {printf "%.1f", b-a}') s after SIGTERM" >>"$PB_WORK/exit-times"
        fi
        if [ -n "$guard" ] && [ "$guard" != "$pid" ]; then
            for i in $(seq 20); do kill -0 "$guard" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$guard" 2>/dev/null && kill -KILL "$guard" 2>/dev/null
        fi
        wait "$guard" 2>/dev/null
    done <"$PB_WORK/pids"
    mv "$PB_WORK/pids" "$PB_WORK/pids.done"
}

pb_wait_ping() {
    local ns=$1 dst=$2 tries=${3:-30} i
    for i in $(seq "$tries"); do
        ip netns exec "$ns" ping -q -c 1 -W 1 "$dst" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

pb_wait_iface() {           # pb_wait_iface NS IFACE [tries of 0.2 s]
    local ns=$1 ifc=$2 tries=${3:-50} i
    for i in $(seq "$tries"); do
        ip -n "$ns" link show "$ifc" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

pb_cpu_ticks() {            # utime+stime of a process (all threads), in clock ticks
    [ -r "/proc/$1/stat" ] || { echo 0; return; }
    sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
pb_hwm_kb() {               # peak RSS (VmHWM) in kB
    awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}
pb_rss_kb() {               # current RSS (VmRSS) in kB
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}
pb_sys_busy_idle() {        # "busy total" jiffies over all CPUs
    awk '/^cpu / {t=0; for(i=2;i<=NF;i++) t+=$i; idle=$5+$6; print t-idle, t}' /proc/stat
}
pb_now() { date +%s.%N; }
pb_if_bytes() {             # pb_if_bytes NS IFACE -> "rx tx"
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_bytes" "/sys/class/net/$2/statistics/tx_bytes" 2>/dev/null | paste -sd' '
}
pb_if_txdrop() {            # pb_if_txdrop NS IFACE -> tx_dropped (a TAP: frames the daemon did not read in time)
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_dropped" 2>/dev/null || echo -
}
pb_snmp() {                 # pb_snmp NS PROTO FIELD  (e.g. Udp InDatagrams)
    ip netns exec "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '
        $1==p && !h {for(i=2;i<=NF;i++) idx[$i]=i; h=1; next}
        $1==p && h {print $(idx[f]); exit}'
}

# pb_measure SYSTEM VARIANT RESULTS_TSV [STREAMS]
# Assumes the tunnel is up. Runs: warm-up ping, idle ping RTT, iperf3 from a to
# the far node ($PB_DST_NODE: b on the 2-node line, c on the 3-node line) with
# STREAMS parallel TCP streams (default 1), and, unless PB_LOAD_PING=0, a ping
# over the same path while iperf3 runs (RTT under load: does bulk traffic
# starve small packets?). Appends one TSV row (columns: $PB_TSV_HEADER).
pb_measure() {
    local sys=$1 var=$2 out=$3 streams=${4:-1}
    local dnode=${PB_DST_NODE:-b} topo=${PB_TOPO:-2}
    local dns; dns=$(pb_ns_of "$dnode")
    local src=${PB_SRC:-$PB_OL_A} dst=${PB_DST:-$(pb_ol_of "$dnode")}
    local ifc=${PB_SYS_IFACE:-$PB_TAP}
    local w=$PB_WORK/m-P$streams
    mkdir -p "$w"

    # warm-up (ARP / FDB / key exchange), then idle RTT
    pb_run ip netns exec "$PB_NS_A" timeout -s INT 30 ping -q -c 20 -i 0.05 -W 1 "$dst" >/dev/null 2>&1
    pb_run ip netns exec "$PB_NS_A" timeout -s INT 60 \
        ping -q -c "$PB_PING_COUNT" -i "$PB_PING_INTERVAL" -W 1 "$dst" >"$w/ping.txt" 2>&1
    local rtt loss
    rtt=$(awk -F'[=/ ]+' '/^rtt|^round-trip/ {print $7, $9, $8}' "$w/ping.txt")   # avg mdev max
    loss=$(grep -o '[0-9.]*% packet loss' "$w/ping.txt" | cut -d% -f1)

    # iperf3 server (one-shot, time-bounded) on the far node, client in a
    pb_aux ip netns exec "$dns" timeout $((PB_IPERF_TIME + 30)) \
        iperf3 -s -1 -B "$dst" -p "$PB_IPERF_PORT" >"$w/iperf3-server.txt" 2>&1 </dev/null
    local spid=$PB_AUX_PID i
    for i in $(seq 50); do
        ip netns exec "$dns" ss -ltn 2>/dev/null | grep -q ":$PB_IPERF_PORT " && break
        sleep 0.1
    done

    local n nodes pid t0 sb0 st0 udp0 tap0
    local -A c0 c1 pidof
    nodes=$(pb_nodes_spawned)
    for n in $nodes; do pidof[$n]=$(pb_pid_of "$n"); c0[$n]=$(pb_cpu_ticks "${pidof[$n]}"); done
    read -r sb0 st0 < <(pb_sys_busy_idle)
    udp0=$(pb_snmp "$dns" Udp InDatagrams)
    tap0=$(pb_if_bytes "$dns" "$ifc")
    local txd0 txd1; txd0=$(pb_if_txdrop "$PB_NS_A" "$ifc")
    t0=$(pb_now)

    # ping under load: starts 1 s into the iperf3 run, ends ~1 s before it
    local lpid="" lcount
    if [ "${PB_LOAD_PING:-1}" != 0 ]; then
        lcount=$(( (PB_IPERF_TIME > 3 ? PB_IPERF_TIME - 2 : 1) * 10 ))
        pb_aux ip netns exec "$PB_NS_A" timeout -s INT $((PB_IPERF_TIME + 5)) \
            sh -c 'sleep 1; exec "$@"' - ping -q -c "$lcount" -i 0.1 -W 1 "$dst" >"$w/ping-load.txt" 2>&1 </dev/null
        lpid=$PB_AUX_PID
    fi

    pb_run ip netns exec "$PB_NS_A" timeout $((PB_IPERF_TIME + 20)) \
        iperf3 -c "$dst" -B "$src" -p "$PB_IPERF_PORT" -t "$PB_IPERF_TIME" -P "$streams" -f m -V \
        >"$w/iperf3-client.txt" 2>&1 </dev/null

    local t1 sb1 st1 udp1 tap1
    t1=$(pb_now)
    for n in $nodes; do c1[$n]=$(pb_cpu_ticks "${pidof[$n]}"); done
    read -r sb1 st1 < <(pb_sys_busy_idle)
    udp1=$(pb_snmp "$dns" Udp InDatagrams)
    tap1=$(pb_if_bytes "$dns" "$ifc")
    txd1=$(pb_if_txdrop "$PB_NS_A" "$ifc")
    wait "$spid" 2>/dev/null
    [ -n "$lpid" ] && wait "$lpid" 2>/dev/null

    local lrtt lloss
    lrtt=$(awk -F'[=/ ]+' '/^rtt|^round-trip/ {print $7, $8}' "$w/ping-load.txt" 2>/dev/null)   # avg max
    lloss=$(grep -o '[0-9.]*% packet loss' "$w/ping-load.txt" 2>/dev/null | cut -d% -f1)

    # iperf3 -P N prints one line per stream, then [SUM]: the last line is the total
    local mbps retr mss gbps
    mbps=$(awk '/receiver$/ {for(i=1;i<=NF;i++) if($i=="Mbits/sec") print $(i-1)}' "$w/iperf3-client.txt" | tail -1)
    retr=$(awk '/sender$/ {for(i=1;i<=NF;i++) if($i=="Mbits/sec") print $(i+1)}' "$w/iperf3-client.txt" | tail -1)
    mss=$(awk '/TCP MSS:/ {print $3}' "$w/iperf3-client.txt" | head -1)
    gbps=$(awk -v m="${mbps:-0}" 'BEGIN {printf "%.3f", m/1000}')

    local dt cpusys udp_d tapmtu tap_rx0 tap_rx1 tap_gb
    local -A cpu rss vmrss
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')
    for n in a b c; do cpu[$n]=-; rss[$n]=-; vmrss[$n]=-; done
    local rssmax=- vmrssmax=-
    for n in $nodes; do
        cpu[$n]=$(awk -v x="${c0[$n]}" -v y="${c1[$n]}" -v d="$dt" -v h="$PB_CLK_TCK" 'BEGIN {printf "%.0f", (y-x)/h/d*100}')
        rss[$n]=$(awk -v k="$(pb_hwm_kb "${pidof[$n]}")" 'BEGIN {printf "%.1f", k/1024}')
        vmrss[$n]=$(awk -v k="$(pb_rss_kb "${pidof[$n]}")" 'BEGIN {printf "%.1f", k/1024}')
        rssmax=$(awk -v a="$rssmax" -v b="${rss[$n]}" 'BEGIN {print (a == "-" || b + 0 > a + 0) ? b : a}')
        vmrssmax=$(awk -v a="$vmrssmax" -v b="${vmrss[$n]}" 'BEGIN {print (a == "-" || b + 0 > a + 0) ? b : a}')
    done
    cpusys=$(awk -v b0="$sb0" -v t0="$st0" -v b1="$sb1" -v t1="$st1" -v n="$(nproc)" \
        'BEGIN {printf "%.0f", (b1-b0)/(t1-t0)*100*n}')
    udp_d=$(( ${udp1:-0} - ${udp0:-0} ))
    tapmtu=$(ip -n "$dns" link show "$ifc" 2>/dev/null | awk '/mtu/ {for(i=1;i<=NF;i++) if($i=="mtu") print $(i+1)}')
    read -r tap_rx0 _ <<<"$tap0"; read -r tap_rx1 _ <<<"$tap1"
    tap_gb=$(awk -v a="${tap_rx0:-0}" -v b="${tap_rx1:-0}" 'BEGIN {printf "%.2f", (b-a)/1e9}')

    local f=(
        "${PB_RUN_ID:-run}" "$sys" "$var" "${PB_SYS_TRANSPORT:-?}" "$gbps" "${retr:-?}"
        "$(echo "$rtt" | awk '{print $1}')" "$(echo "$rtt" | awk '{print $2}')" "${loss:-?}"
        "$rssmax" "${cpu[a]}" "${cpu[b]}" "$cpusys" "${mss:-?}" "${tapmtu:-?}" "$tap_gb/$udp_d"
        "$topo" "$streams" "$(echo "$rtt" | awk '{print $3}')"
        "$(echo "$lrtt" | awk '{print $1}')" "$(echo "$lrtt" | awk '{print $2}')" "${lloss:--}"
        "${cpu[c]}" "${rss[a]}" "${rss[b]}" "${rss[c]}" "$vmrssmax"
        "$(awk -v d="$dt" 'BEGIN {printf "%.1f", d}')"
        "$(awk -v a="$txd0" -v b="$txd1" 'BEGIN {print (a == "-" || b == "-") ? "-" : b - a}')"
        "${PB_SYS_INFO:-}"
    )
    local IFS=$'\t'
    echo "${f[*]}" >>"$out"
    [ -n "$mbps" ] || pb_log "WARNING: no iperf3 result for $sys/$var (see $w/iperf3-client.txt)"
    return 0
}

# One row per measurement. The first 16 columns are the original harness's
# (b_if_rx_GB/b_udp_rx_pkts: tunnel-interface bytes / UDP datagrams received
# by the far node, b or c); peak_rss_mib = max VmHWM over the daemons; cpu_*
# = each daemon's CPU % over the iperf3 window (100 = one core); load_ping_* =
# ping during iperf3; rss_*_mib = each daemon's VmHWM, vmrss_mib = max current
# VmRSS after the measurement; a_if_tx_dropped = packets the kernel dropped
# on node a's tunnel interface during the iperf3 window (TAP: the daemon did not
# read them in time; "-" when a has no interface of that name, e.g. raw);
# info stays last (free text).
PB_TSV_HEADER=$'run\tsystem\tvariant\ttransport\tgbps\tretr\tping_avg_ms\tping_mdev_ms\tloss_pct\tpeak_rss_mib\tcpu_a_pct\tcpu_b_pct\tcpu_sys_pct\tmss\tif_mtu\tb_if_rx_GB/b_udp_rx_pkts\ttopo\tstreams\tping_max_ms\tload_ping_avg_ms\tload_ping_max_ms\tload_ping_loss_pct\tcpu_c_pct\trss_a_mib\trss_b_mib\trss_c_mib\tvmrss_mib\tiperf_window_s\ta_if_tx_dropped\tinfo'

# pb_make_pki DIR NODE... : small EC P-256 CA + one cert/key per node
# (DIR/ca.crt, DIR/ca.key, DIR/NODE.crt, DIR/NODE.key), openssl CLI only.
pb_make_pki() {
    local dir=$1; shift
    local n
    mkdir -p "$dir"
    (
        cd "$dir" || exit 1
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null || exit 1
        openssl req -x509 -new -key ca.key -subj /CN=pb-bench-ca -days 30 -sha256 -out ca.crt || exit 1
        for n in "$@"; do
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$n.key" 2>/dev/null || exit 1
            openssl req -new -key "$n.key" -subj "/CN=$n" -out "$n.csr" || exit 1
            openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 \
                -extfile "$PB_DIR/templates/pki/leaf-ext.cnf" -out "$n.crt" 2>/dev/null || exit 1
        done
    ) >"$dir/pki.log" 2>&1
}
