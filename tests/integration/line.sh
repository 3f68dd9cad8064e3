#!/usr/bin/env bash
# Three nodes in a line: a and c share no underlay link, b is on both.
#
#    ns a                    ns b                       ns c
#  +-------------+  veth  +------------------+  veth  +------------------+
#  | invpnd a    |--------| invpnd b         |--------| invpnd c         |
#  | 198.18.1.1  |        | 198.18.1.2       |        | 198.18.2.2       |
#  |             |        | 198.18.2.1       |        |                  |
#  |             |        | --init a         |        | --init b         |
#  +-------------+        +------------------+        +------------------+
#   TAP 10.201.0.1         TAP 10.201.0.2              TAP 10.201.0.3
#
# a reaches c only through b. Checks: a -> c IPv4 and IPv6 link-local pings,
# the time from start to the first a -> c reply, and a's route to c via b.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:20:00:01
MAC_B=02:00:5e:20:00:02
MAC_C=02:00:5e:20:00:03

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
ns_add a b c
link_ns a b 1
link_ns b c 2

t0=$(now)
start_node a
start_node b --init 198.18.1.1
start_node c --init 198.18.2.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
overlay_ip c 10.201.0.3

# ping a -> c from the start; the first reply marks the mesh as working
bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.1 -c 600 -w 60 10.201.0.3
ping_pid=$BG_PID
if wait_for 40 grep -q 'bytes from' "$IT_WORK/ping.out"; then
	first=$(awk '/bytes from/ { print substr($1, 2, length($1) - 2); exit }' "$IT_WORK/ping.out")
	ok "a -> c: first IPv4 reply over the mesh"
	diag "time from start to the first a -> c reply: $(elapsed "$t0" "$first") s"
else
	not_ok "a -> c: first IPv4 reply over the mesh within 40 s"
fi
bg_stop "$ping_pid"

check "b has links to a and c" wait_for 10 links_eq b 2
one_link_to() { links_eq "$1" 1 && peer_up "$1" "$2"; }
check "a has one link (to b)" one_link_to a $MAC_B
check "c has one link (to b)" one_link_to c $MAC_B
check "a has a route to c" wait_for 10 has_route a $MAC_C
via=$(route_via a $MAC_C)
check "a's route to c goes via b (via=$via)" [ "$via" = $MAC_B ]
via=$(route_via c $MAC_A)
check "c's route to a goes via b (via=$via)" [ "$via" = $MAC_B ]
addr=$(ctlq a routes ".routes[] | select(.mac == \"$MAC_C\") | .via_address")
check "a's route to c names b's underlay address ($addr)" [ "${addr%:*}" = 198.18.1.2 ]

check "IPv4 ping a -> c" ping_ok a 10.201.0.3 3
check "IPv4 ping c -> a" ping_ok c 10.201.0.1 3

ll_c=""
if wait_for 15 tap_ll c && wait_for 15 tap_ll a; then
	ll_c=$(tap_ll c)
	ok "c's TAP has a usable IPv6 link-local address ($ll_c)"
else
	not_ok "a's and c's TAPs have a usable IPv6 link-local address"
fi
check "IPv6 link-local ping a -> c" ping_ok a "${ll_c:-fe80::1}" 3

fwd=$(counter b tap_tx_frames)
diag "b wrote $fwd frames to its own TAP (broadcasts only; unicasts pass through)"
check "no bad frames" [ "$(counter a bad_frames)$(counter b bad_frames)$(counter c bad_frames)" = 000 ]

for n in c b a; do
	check "SIGTERM: $n exits with status 0" stop_node $n
done

done_testing
