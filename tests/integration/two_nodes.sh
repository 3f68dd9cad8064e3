#!/usr/bin/env bash
# Two nodes on one underlay link; b knows a's address.
#
#    ns a                                   ns b
#  +----------------------+   veth    +----------------------+
#  | invpnd a             |-----------| invpnd b  --init a   |
#  | 198.18.1.1           |           | 198.18.1.2           |
#  | TAP 10.201.0.1/24    | <=======> | TAP 10.201.0.2/24    |
#  |     fe80::..         |  overlay  |     fe80::..         |
#  +----------------------+           +----------------------+
#
# Checks: one link each; IPv4 ping both ways; IPv6 link-local ping both ways
# (neighbour discovery is multicast, flooded as BROADCAST); a, which b dialled,
# records a last success for b's announced address too (nodes, and the cache);
# SIGTERM gives exit status 0, removes the TAP and the control socket, writes
# the cache.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:10:00:01
MAC_B=02:00:5e:10:00:02

make_ca
make_node a $MAC_A
make_node b $MAC_B
ns_add a b
link_ns a b 1

t0=$(now)
start_node a
start_node b --init 198.18.1.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
for n in a b; do
	info=$(ip -n "$(ns $n)" -o link show "$IT_TAP")
	check "$n's TAP $IT_TAP carries the certificate's MAC ${NODE_MAC[$n]}" \
		grep -q "link/ether ${NODE_MAC[$n]} " <<<"$info"
	check "$n's TAP is up" grep -q '[<,]UP[,>]' <<<"$info"
done

check "a has one up link" wait_for 20 links_eq a 1
check "b has one up link" wait_for 20 links_eq b 1
diag "links up after $(elapsed "$t0") s"
check "a's link is to b" peer_up a $MAC_B
check "b's link is to a" peer_up b $MAC_A
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "b has a route to a" wait_for 10 has_route b $MAC_A

# b dialled a: on a, b's address is its announced port at the IP it came from,
# and the incoming link is a success for it (the route above came from b's
# ANNOUNCE, so it has been handled)
last=$(ctlq a nodes ".nodes[] | select(.mac == \"$MAC_B\" and .address == \"198.18.1.2:41744\") | .last_success")
check "a records a last success for b (incoming) at 198.18.1.2:41744 (last_success $last)" \
	grep -Eqx '[1-9][0-9]*' <<<"$last"
last=$(ctlq b nodes ".nodes[] | select(.mac == \"$MAC_A\" and .address == \"198.18.1.1:41744\") | .last_success")
check "b records a last success for a (outgoing) at 198.18.1.1:41744 (last_success $last)" \
	grep -Eqx '[1-9][0-9]*' <<<"$last"
if [ -n "$INVPNCTL" ]; then
	out=$("$INVPNCTL" -s "$IT_WORK/a.sock" nodes)
	diag "a's nodes:"; sed 's/^/#   /' <<<"$out"
	check "invpnctl nodes on a shows LAST SUCCESS for b" \
		grep -Eq "^$MAC_B +198\.18\.1\.2:41744 .* [0-9][0-9hmds]* ago( |\$)" <<<"$out"
fi

check "IPv4 ping a -> b" ping_ok a 10.201.0.2 3
diag "a -> b answered at attempt $PING_TRIES"
check "IPv4 ping b -> a" ping_ok b 10.201.0.1 3
diag "b -> a answered at attempt $PING_TRIES"

ll_a="" ll_b=""
if wait_for 15 tap_ll a && wait_for 15 tap_ll b; then
	ll_a=$(tap_ll a)
	ll_b=$(tap_ll b)
	ok "both TAPs have a usable IPv6 link-local address ($ll_a, $ll_b)"
else
	not_ok "both TAPs have a usable IPv6 link-local address"
fi
check "IPv6 link-local ping a -> b" ping_ok a "${ll_b:-fe80::1}" 3
check "IPv6 link-local ping b -> a" ping_ok b "${ll_a:-fe80::1}" 3

rx=$(counter b tap_tx_frames)
check "b wrote frames to its TAP (tap_tx_frames $rx)" [ "$rx" -gt 0 ]
check "no bad frames on a or b" [ "$(counter a bad_frames)" -eq 0 -a "$(counter b bad_frames)" -eq 0 ]

# clean shutdown
for n in a b; do
	check "SIGTERM: $n exits with status 0" stop_node $n
	check "$n's TAP is gone" wait_for 5 not tap_exists $n
	check "$n's control socket is removed" [ ! -e "$IT_WORK/$n.sock" ]
	check "$n's cache file is written" [ -s "$IT_WORK/$n.cache" ]
done
check "a's cache names b at 198.18.1.2:41744, with a last success (incoming)" \
	grep -Eq "^$MAC_B 198\.18\.1\.2 41744 [a-z]+ [1-9][0-9]*\$" "$IT_WORK/a.cache"
check "b's cache names a at 198.18.1.1:41744, with a last success (outgoing)" \
	grep -Eq "^$MAC_A 198\.18\.1\.1 41744 [a-z]+ [1-9][0-9]*\$" "$IT_WORK/b.cache"
check "a logged the shutdown" log_has a 'signal 15: shutting down'

done_testing
