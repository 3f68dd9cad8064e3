#!/usr/bin/env bash
# Four nodes on one LAN find each other by mDNS alone: no init, no DNS.
#
#                 ns br: bridge, underlay 198.18.20.0/24
#     +-----------+-----------+-----------+
#     n1 .1       n2 .2       n3 .3       n4 .4
#   (each: own dbus-daemon + avahi-daemon, invpnd --mdns yes, nothing else)
#
#     overlay: n<i> has 10.201.0.<i>/24 on its TAP
#
# Checks: all nodes reach >= 2 links, all 12 ordered pairs ping within 15 s
# of the start; the addresses were learned from "mdns"; own services are
# not dialled (no link to self); status says each node's service is published
# and it sees the 3 others' (counted once each, not per interface/protocol).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/disco_lib.sh"
it_require_feature mdns
disco_init

N=4
make_ca
bridge_add br
for ((i = 1; i <= N; i++)); do
	make_node n$i "$(printf '02:00:5e:20:00:%02x' $i)"
	ns_add n$i
	bridge_join br n$i 20 $i
done
for ((i = 1; i <= N; i++)); do
	avahi_up n$i
done

t0=$(now)
for ((i = 1; i <= N; i++)); do
	# -v: a "link to self" close is logged at debug level
	start_mdns_node n$i -v
	overlay_ip n$i 10.201.0.$i
done

all_two() {
	local i
	for ((i = 1; i <= N; i++)); do
		links_ge n$i 2 || return 1
	done
}
if wait_for 15 all_two; then
	ok "every node has >= 2 links, found by mDNS alone"
	diag "discovery: all nodes had 2 links $(elapsed "$t0") s after start"
else
	not_ok "every node has >= 2 links within 15 s"
fi

all_pairs() {
	local i j
	for ((i = 1; i <= N; i++)); do
		for ((j = 1; j <= N; j++)); do
			[ $i -eq $j ] && continue
			ping_ok n$i 10.201.0.$j || return 1
		done
	done
}
if wait_for 15 all_pairs; then
	ok "all $((N * (N - 1))) ordered pairs ping"
	diag "all pairs pinged $(elapsed "$t0") s after start"
else
	not_ok "all ordered pairs ping within 15 s of the start"
fi

src=$(ctlq n1 nodes '[.nodes[] | select(.mac != null) | .sources[]] | unique | join(",")')
check "n1 learned addresses from mdns (sources: $src)" [ "${src#*mdns}" != "$src" ]
selfs=0
for ((i = 1; i <= N; i++)); do
	log_has n$i "link to self" && selfs=$((selfs + 1))
done
check "no node dialled its own service ($selfs logged a link to self)" [ $selfs -eq 0 ]
check "n1 published its service with its MAC in TXT" browse_has n2 "mac=${NODE_MAC[n1]}"

# mdns_sees NODE N - NODE's status: published, browsing, N other services seen
mdns_sees() {
	ctl "$1" status | jq -e --argjson n "$2" \
		'.mdns | .state == "published" and (.service_name | startswith("invpn ")) and .browsing and .services == $n and .resolved >= $n and .error == null and .retry_in_s == null' >/dev/null
}
for ((i = 1; i <= N; i++)); do
	check "n$i: status says mdns published, $((N - 1)) other services seen" wait_for 10 mdns_sees n$i $((N - 1))
done
if [ -n "$INVPNCTL" ]; then
	out=$("$INVPNCTL" -s "$IT_WORK/n1.sock" status)
	diag "n1 status: $(grep '^mdns:' <<<"$out")"
	check "n1's status table: published as its name, 3 services seen" \
		grep -Eq "^mdns: +published as 'invpn 02005e200001', 3 services seen\$" <<<"$out"
fi

for ((i = N; i >= 1; i--)); do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
