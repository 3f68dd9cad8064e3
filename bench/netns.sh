#!/bin/bash
# netns.sh - line-topology test beds built from network namespaces + veth pairs.
#
# Use as a library (source it) or as a command:
#   ./netns.sh up 2        # pb-a -- pb-b
#   ./netns.sh up 3        # pb-a -- pb-b -- pb-c   (b routes; a and c share no link)
#   ./netns.sh status
#   ./netns.sh down        # deletes exactly the pb-* namespaces this file creates
#
# Namespace names: pb-a, pb-b, pb-c; with PB_NS_TAG=T set (run-anchors.sh sets a
# per-run tag) pb-T-a, pb-T-b, pb-T-c, so concurrent runs never share or delete
# each other's namespaces. PB_NS_A/PB_NS_B/PB_NS_C override single names.
#
# Addressing (underlay, benchmark range 198.18.0.0/16):
#   link 1 (a<->b): 198.18.1.0/24   a=198.18.1.1 (pbv-ab)  b=198.18.1.2 (pbv-ba)
#   link 2 (b<->c): 198.18.2.0/24   b=198.18.2.2 (pbv-bc)  c=198.18.2.3 (pbv-cb)
# Overlay (tunnel) addresses are 198.19.0.0/16 and are assigned by the system
# adapters (systems/*.sh), never here.
#
# The veth ends are created directly inside the namespaces, so no pb* interface
# ever exists in the root namespace. Deleting a namespace removes its veth ends.

PB_NS_A=${PB_NS_A:-pb-${PB_NS_TAG:+$PB_NS_TAG-}a}
PB_NS_B=${PB_NS_B:-pb-${PB_NS_TAG:+$PB_NS_TAG-}b}
PB_NS_C=${PB_NS_C:-pb-${PB_NS_TAG:+$PB_NS_TAG-}c}
PB_UL_A=198.18.1.1
PB_UL_B=198.18.1.2
PB_UL_B2=198.18.2.2
PB_UL_C=198.18.2.3
PB_UL_PREFIX=24
PB_VETH_AB=pbv-ab   # a's end of link 1
PB_VETH_BA=pbv-ba   # b's end of link 1
PB_VETH_BC=pbv-bc   # b's end of link 2
PB_VETH_CB=pbv-cb   # c's end of link 2

pb_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

pb_ns_create() {            # pb_ns_create NAME
    local ns=$1
    case $ns in pb*) ;; *) echo "refusing to create namespace without pb prefix: $ns" >&2; return 1;; esac
    pb_ns_exists "$ns" && { echo "namespace $ns already exists" >&2; return 1; }
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    # keep the namespace quiet and deterministic
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
    return 0
}

pb_ns_delete() {            # pb_ns_delete NAME   (exact name only)
    local ns=$1
    case $ns in pb*) ;; *) echo "refusing to delete namespace without pb prefix: $ns" >&2; return 1;; esac
    pb_ns_exists "$ns" && ip netns delete "$ns"
    return 0
}

pb_link() {                 # pb_link NS1 IF1 ADDR1 NS2 IF2 ADDR2   (point-to-point veth)
    local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6
    ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" || return 1
    ip -n "$ns1" addr add "$a1/$PB_UL_PREFIX" dev "$if1"
    ip -n "$ns2" addr add "$a2/$PB_UL_PREFIX" dev "$if2"
    ip -n "$ns1" link set "$if1" up
    ip -n "$ns2" link set "$if2" up
}

pb_topo_up() {              # pb_topo_up 2|3
    local n=${1:-2}
    pb_ns_create "$PB_NS_A" || return 1
    pb_ns_create "$PB_NS_B" || return 1
    pb_link "$PB_NS_A" "$PB_VETH_AB" "$PB_UL_A" "$PB_NS_B" "$PB_VETH_BA" "$PB_UL_B" || return 1
    if [ "$n" = 3 ]; then
        pb_ns_create "$PB_NS_C" || return 1
        pb_link "$PB_NS_B" "$PB_VETH_BC" "$PB_UL_B2" "$PB_NS_C" "$PB_VETH_CB" "$PB_UL_C" || return 1
        ip netns exec "$PB_NS_B" sysctl -qw net.ipv4.ip_forward=1
        ip -n "$PB_NS_A" route add 198.18.2.0/24 via "$PB_UL_B"
        ip -n "$PB_NS_C" route add 198.18.1.0/24 via "$PB_UL_B2"
    fi
    # sanity: one ping across every link (bounded)
    ip netns exec "$PB_NS_A" ping -q -c 1 -W 2 "$PB_UL_B" >/dev/null || { echo "underlay a->b not reachable" >&2; return 1; }
    if [ "$n" = 3 ]; then
        ip netns exec "$PB_NS_A" ping -q -c 1 -W 2 "$PB_UL_C" >/dev/null || { echo "underlay a->c (via b) not reachable" >&2; return 1; }
    fi
    return 0
}

pb_topo_down() {
    pb_ns_delete "$PB_NS_C"
    pb_ns_delete "$PB_NS_B"
    pb_ns_delete "$PB_NS_A"
}

pb_topo_status() {
    local ns
    for ns in "$PB_NS_A" "$PB_NS_B" "$PB_NS_C"; do
        pb_ns_exists "$ns" || continue
        echo "== $ns"
        ip -n "$ns" -br addr
        ip -n "$ns" route
    done
}

pb_offload() {              # pb_offload on|off   (TSO/GSO/GRO on the a<->b veth pair, and b<->c if up)
    local st=$1
    ip netns exec "$PB_NS_A" ethtool -K "$PB_VETH_AB" tso "$st" gso "$st" gro "$st" >/dev/null 2>&1
    ip netns exec "$PB_NS_B" ethtool -K "$PB_VETH_BA" tso "$st" gso "$st" gro "$st" >/dev/null 2>&1
    if pb_ns_exists "$PB_NS_C"; then
        ip netns exec "$PB_NS_B" ethtool -K "$PB_VETH_BC" tso "$st" gso "$st" gro "$st" >/dev/null 2>&1
        ip netns exec "$PB_NS_C" ethtool -K "$PB_VETH_CB" tso "$st" gso "$st" gro "$st" >/dev/null 2>&1
    fi
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
    case ${1:-} in
        up)     pb_topo_up "${2:-2}" && pb_topo_status ;;
        down)   pb_topo_down ;;
        status) pb_topo_status ;;
        *)      echo "usage: $0 up [2|3] | down | status" >&2; exit 2 ;;
    esac
fi
