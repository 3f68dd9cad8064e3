# shellcheck shell=bash
# insider_lib.sh - the mesh of issue 9's attacks, for the insider_* scenarios.
# Sourced after lib.sh.
#
#    ns a             ns b                 ns c                 ns m
#  +-----------+    +-----------------+  +-----------------+  +-------------+
#  | invpnd a  |----| invpnd b        |--| invpnd c        |--| insider.py  |
#  | .1.1      |    | .1.2   .2.1     |  | .2.2    .3.1    |  | .3.2        |
#  |           |    | --init a        |  | --init b        |  | dials c     |
#  +-----------+    +-----------------+  +-----------------+  +-------------+
#   10.201.0.1       10.201.0.2           10.201.0.3
#
# Underlay 198.18.N.x: a and c share no link; the attacker M holds a valid
# certificate (the same CA) and is linked to c only, as in the issue.

INSIDER=$(cd "$IT_DIR/../tools" && pwd)/insider.py
MAC_A=02:00:5e:90:00:01
MAC_B=02:00:5e:90:00:02
MAC_C=02:00:5e:90:00:03
MAC_M=02:00:5e:90:00:09
# announcements as usual (5 s): the rules must hold under normal timing
MESH_ARGS=(--min-links 1)

# insider_mesh - certificates, namespaces, underlay and the three daemons, linked
insider_mesh() {
	make_ca
	make_node a $MAC_A
	make_node b $MAC_B
	make_node c $MAC_C
	make_node m $MAC_M
	ns_add a b c m
	link_ns a b 1
	link_ns b c 2
	link_ns c m 3
	start_node a "${MESH_ARGS[@]}" -v
	start_node b "${MESH_ARGS[@]}" -v --init 198.18.1.1
	start_node c "${MESH_ARGS[@]}" -v --init 198.18.2.1
	overlay_ip a 10.201.0.1
	overlay_ip b 10.201.0.2
	overlay_ip c 10.201.0.3
	check "b links to a and c" wait_for 20 links_eq b 2
	check "c has a route to a (via b)" wait_for 15 has_route c $MAC_A
	check "a has a route to c (via b)" wait_for 15 has_route a $MAC_C
}

# insider NAME HOLD STEP... - run the insider in ns m, linked to c, as M; its
# frames log is $IT_WORK/NAME.frames; PID in INSIDER_PID
insider() {
	local name=$1 hold=$2 d
	shift 2
	d=$(certdir m)
	bg_ns m "$IT_WORK/$name.out" python3 "$INSIDER" link --host 198.18.3.1 --cert "$d/node.crt" \
		--key "$d/node.key" --ca "$d/ca.crt" --mac $MAC_M --log "$IT_WORK/$name.frames" \
		--hold "$hold" "$@"
	# shellcheck disable=SC2034 # for the scenarios
	INSIDER_PID=$BG_PID
}

# insider_done NAME - its script ran to the end
insider_done() {
	grep -q 'script done' "$IT_WORK/$1.frames" 2>/dev/null
}

# rss_kb NAME - the daemon's resident memory in KiB
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/${NODE_PID[$1]}/status"
}

# rx_from NAME PEER_MAC - bytes NAME received on its link to PEER_MAC
rx_from() {
	ctlq "$1" peers "[.peers[] | select(.mac == \"$2\" and .state == \"up\") | .rx_bytes][0]"
}
