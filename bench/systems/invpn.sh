#!/bin/bash
# Adapter "invpn": this project's daemon, invpnd (TLS over TCP, TAP, one thread).
# Variant: tls-tcp (the only transport invpnd has; TLS version and cipher are
# whatever the two ends negotiate, read back from the control socket).
#
# 2-node line: a and b, a seeds b (--init b), overlay a -> b.
# 3-node line: c seeds b, b seeds a; overlay a -> c, relayed by b's daemon. The
#   adapter turns off IP forwarding in b so that a and c cannot reach each other
#   on the underlay: no direct a-c link can form, every frame goes through b.
#   It checks that a's and c's only peer is b before measuring.
#
# Environment:
#   INVPND     daemon binary   (default: <git top>/build/src/invpnd)
#   INVPNCTL   control tool    (default: <git top>/build/tools/invpnctl; if missing,
#              the control socket is queried with socat, and failing that the
#              TLS parameters are read from the daemon log)
#   INVPN_PKI  invpn-pki       (default: <git top>/certs/invpn-pki)
#   INVPN_MTU  TAP MTU         (default: invpnd's own, 1500)
#   INVPN_ARGS extra invpnd arguments, word-split (e.g. "--log-level debug")
#
# Certificates: a throw-away CA and one node certificate per node, made with
# the project's own invpn-pki (the CN is the node's MAC, 02:70:62:00:00:0N).
# The daemon sets that MAC on its TAP (pbt0) and brings it up itself; the
# adapter only adds the overlay address.

INVPN_TOP=$(git -C "$PB_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$PB_DIR/.." && pwd))
INVPND=${INVPND:-$INVPN_TOP/build/src/invpnd}
INVPNCTL=${INVPNCTL:-$INVPN_TOP/build/tools/invpnctl}
INVPN_PKI=${INVPN_PKI:-$INVPN_TOP/certs/invpn-pki}

sys_variants() { echo "tls-tcp"; }
sys_topologies() { echo "2 3"; }

_invpn_mac() { case $1 in a) echo 02:70:62:00:00:01;; b) echo 02:70:62:00:00:02;; c) echo 02:70:62:00:00:03;; esac; }
_invpn_nodes() { [ "${PB_TOPO:-2}" = 3 ] && echo "a b c" || echo "a b"; }
_invpn_sock() { echo "$(cat "$PB_WORK/invpn-ctl-dir")/$1.sock"; }

# _invpn_ctl NODE COMMAND: one JSON line from NODE's control socket (bounded)
_invpn_ctl() {
    local sock; sock=$(_invpn_sock "$1")
    if [ -x "$INVPNCTL" ]; then
        timeout 5 "$INVPNCTL" -s "$sock" --json "$2" 2>/dev/null
    elif command -v socat >/dev/null; then
        echo "$2" | timeout 5 socat -t 3 - "UNIX-CONNECT:$sock" 2>/dev/null
    else
        return 1
    fi
}

# _invpn_json_field JSON KEY: first string value of KEY (jq if present, else sed)
_invpn_json_field() {
    if command -v jq >/dev/null; then
        echo "$1" | jq -r "[.. | objects | .$2? | select(type == \"string\")][0] // empty" 2>/dev/null
    else
        echo "$1" | sed -n "s/.*\"$2\": *\"\\([^\"]*\\)\".*/\\1/p" | head -1
    fi
}

sys_start() {
    [ "$1" = tls-tcp ] || return 1
    [ -x "$INVPND" ] || { pb_log "invpn: no daemon binary at $INVPND (build it, or set INVPND)"; return 1; }
    local node ns nodes seed ctl
    nodes=$(_invpn_nodes)

    # control sockets: a short path (sun_path has 108 bytes; $PB_WORK may be longer)
    ctl=$(mktemp -d /tmp/pb-invpn.XXXXXX) || return 1
    echo "$ctl" >"$PB_WORK/invpn-ctl-dir"

    "$INVPN_PKI" init-ca --name "pb bench CA" "$PB_WORK/invpn-ca" >"$PB_WORK/invpn-pki.log" 2>&1 || return 1
    for node in $nodes; do
        "$INVPN_PKI" node --mac "$(_invpn_mac $node)" "$PB_WORK/invpn-ca" "$PB_WORK/invpn-$node" \
            >>"$PB_WORK/invpn-pki.log" 2>&1 || return 1
    done

    if [ "${PB_TOPO:-2}" = 3 ]; then
        # a and c must not reach each other except through b's daemon
        ip netns exec "$PB_NS_B" sysctl -qw net.ipv4.ip_forward=0
    fi

    for node in $nodes; do
        case ${PB_TOPO:-2}$node in
            2a) seed=$PB_UL_B ;;      # 2 nodes: a dials b
            3b) seed=$PB_UL_A ;;      # 3 nodes: b dials a ...
            3c) seed=$PB_UL_B2 ;;     # ... and c dials b
            *)  seed="" ;;
        esac
        local dir=$PB_WORK/invpn-$node
        # shellcheck disable=SC2086
        pb_spawn $node invpnd-$node.log "$INVPND" -f \
            --key "$dir/node.key" --cert "$dir/node.crt" --ca "$dir/ca.crt" \
            --cache "$dir/peers.cache" --control "$ctl/$node.sock" \
            --interface "$PB_TAP" --mdns no --min-links 1 \
            ${INVPN_MTU:+--mtu "$INVPN_MTU"} ${seed:+--init "$seed"} ${INVPN_ARGS:-}
    done
    for node in $nodes; do
        ns=$(pb_ns_of $node)
        pb_wait_iface "$ns" "$PB_TAP" || { pb_log "invpn: no $PB_TAP in $ns"; return 1; }
        ip -n "$ns" addr add "$(pb_ol_of $node)/$PB_OL_PREFIX" dev "$PB_TAP" || return 1
    done
    local dst=${PB_DST:-$(pb_ol_of "${PB_DST_NODE:-b}")}
    pb_wait_ping "$PB_NS_A" "$dst" 30 || { pb_log "invpn: no ping a -> $dst over the overlay"; return 1; }

    # who is linked to whom, TLS parameters (control socket, else the log)
    local peers_a tlsv="" cipher="" topo_note=""
    peers_a=$(_invpn_ctl a peers)
    if [ -n "$peers_a" ]; then
        echo "$peers_a" >"$PB_WORK/invpn-a-peers-start.json"
        tlsv=$(_invpn_json_field "$peers_a" tls_version)
        cipher=$(_invpn_json_field "$peers_a" cipher)
    fi
    if [ -z "$tlsv" ]; then
        local line
        line=$(grep -o 'link up: .*' "$PB_WORK/invpnd-a.log" | head -1)
        tlsv=$(echo "$line" | grep -o 'TLSv[0-9.]*' | head -1)
        cipher=$(echo "$line" | awk '{print $NF}')
    fi
    if [ "${PB_TOPO:-2}" = 3 ]; then
        # a and c: exactly one link each, to b (from their logs: every link up/down is logged)
        local bmac n ups
        bmac=$(_invpn_mac b)
        for n in a c; do
            ups=$(grep 'link up: ' "$PB_WORK/invpnd-$n.log" | grep -vc "link up: $bmac ")
            [ "$ups" = 0 ] || { pb_log "invpn: node $n has a link to a node other than b: not a relay test"; return 1; }
        done
        topo_note="; a->c relayed by b"
    fi
    PB_SYS_TRANSPORT=tcp
    PB_SYS_INFO="invpnd $("$INVPND" --version 2>/dev/null | awk '{print $NF; exit}'), ${tlsv:-TLS?} ${cipher:-?}, mtu $(ip -n "$PB_NS_A" link show "$PB_TAP" | awk '{for(i=1;i<=NF;i++) if($i=="mtu") print $(i+1)}')$topo_note"
    return 0
}

# counters of every daemon after the measurements (drops, queue state)
sys_collect() {
    local node
    for node in $(_invpn_nodes); do
        _invpn_ctl $node status >"$PB_WORK/invpn-$node-status.json"
        _invpn_ctl $node peers >"$PB_WORK/invpn-$node-peers.json"
        ip -n "$(pb_ns_of $node)" -s link show "$PB_TAP" >"$PB_WORK/invpn-$node-tap.txt" 2>&1
    done
}

sys_stop() {
    local ctl
    ctl=$(cat "$PB_WORK/invpn-ctl-dir" 2>/dev/null) || return 0
    # stop the daemons first (they remove their own sockets), then the directory
    pb_kill_spawned
    case $ctl in /tmp/pb-invpn.*) rm -rf -- "$ctl" ;; esac
}
