#!/bin/bash
# Adapter "raw": no tunnel at all. iperf3/ping run straight over the veths
# (underlay addresses). Variant "veth" keeps the kernel's default offloads
# (TSO/GSO/GRO: 64 KiB super-packets); "veth-nooffload" turns them off so every
# packet is MTU-sized, which is what a TAP-based daemon sees.
# 3-node line: a -> c routed by b's kernel (ip_forward), the baseline for a relay.

sys_variants() { echo "veth veth-nooffload"; }
sys_topologies() { echo "2 3"; }

sys_start() {
    case $1 in
        veth)           pb_offload on ;;
        veth-nooffload) pb_offload off ;;
        *) return 1 ;;
    esac
    PB_SRC=$PB_UL_A
    if [ "${PB_TOPO:-2}" = 3 ]; then
        PB_DST=$PB_UL_C
        PB_SYS_IFACE=$PB_VETH_CB
    else
        PB_DST=$PB_UL_B
        PB_SYS_IFACE=$PB_VETH_BA
    fi
    PB_SYS_TRANSPORT=kernel
    PB_SYS_INFO="kernel veth$([ "${PB_TOPO:-2}" = 3 ] && echo ", routed by b"), offloads $([ "$1" = veth ] && echo on || echo off)"
}

sys_stop() { :; }
