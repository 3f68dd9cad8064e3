#!/bin/bash
# Adapter skeleton: copy to systems/<name>.sh and fill in. The harness
# (run-anchors.sh) sources lib.sh, builds a fresh 2-node testbed
# (netns pb-a / pb-b, veth 198.18.1.1 <-> 198.18.1.2), sources this file and calls:
#
#   sys_variants            print the variant names (one measurement each)
#   sys_topologies          optional: "2" (default) or "2 3" if sys_start also
#                           handles PB_TOPO=3 (nodes a, b, c; traffic a -> c via b)
#   sys_start VARIANT       bring the L2 tunnel up, return 0 when it can carry traffic
#   (harness: ping + iperf3 198.19.0.1 -> 198.19.0.2 over $PB_SYS_IFACE)
#   sys_collect             optional; called after the measurements (daemons still up)
#   sys_stop                optional; the harness kills pb_spawn'ed PIDs itself
#
# Available: $PB_WORK (scratch dir for keys/configs/logs), $PB_DIR (bench dir),
# $PB_NS_A/$PB_NS_B, $PB_UL_A/$PB_UL_B (underlay), $PB_OL_A/$PB_OL_B/$PB_OL_PREFIX
# (overlay), $PB_TAP (suggested ifname "pbt0"), pb_spawn NODE LOGNAME CMD...,
# pb_tpl TEMPLATE KEY=VAL..., pb_wait_iface NS IFACE, pb_wait_ping NS ADDR.
# Daemons MUST run in the foreground (pb_spawn records their PID for CPU/RSS).

MYVPN_PORT=${MYVPN_PORT:-7000}

sys_variants() { echo "tls-tcp"; }

sys_start() {
    local node
    for node in b a; do
        # Example for a daemon that takes everything on its command line:
        pb_spawn $node myvpn-$node.log \
            myvpnd --foreground --tap "$PB_TAP" \
                   --listen "$(pb_ul_of $node):$MYVPN_PORT" \
                   $([ $node = a ] && echo --connect "$PB_UL_B:$MYVPN_PORT") \
                   --cert "$PB_WORK/$node.crt" --key "$PB_WORK/$node.key" --ca "$PB_WORK/ca.crt"
        pb_wait_iface "$(pb_ns_of $node)" "$PB_TAP" || return 1
        ip -n "$(pb_ns_of $node)" addr add "$(pb_ol_of $node)/$PB_OL_PREFIX" dev "$PB_TAP"
        ip -n "$(pb_ns_of $node)" link set "$PB_TAP" up      # TAP starts DOWN
    done
    pb_wait_ping "$PB_NS_A" "$PB_OL_B" 30 || return 1
    PB_SYS_TRANSPORT=tcp
    PB_SYS_INFO="myvpnd, TLS1.3 <cipher from log>"
}

sys_stop() { :; }
