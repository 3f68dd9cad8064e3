#!/usr/bin/env bash
# A chain of four: when b dies, the routes that went through it go everywhere
# at once (0x0c WITHDRAW), not only the route to b itself (0x07 GONE).
#
#    ns a           ns b              ns c              ns d
#  +---------+    +-------------+   +-------------+   +-------------+
#  | invpnd a|----| invpnd b    |---| invpnd c    |---| invpnd d    |
#  | .1.1    |    | .1.2  .2.1  |   | .2.2  .3.1  |   | .3.2        |
#  |         |    | --init a    |   | --init b    |   | --init c    |
#  +---------+    +-------------+   +-------------+   +-------------+
#   10.201.0.1     10.201.0.2        10.201.0.3        10.201.0.4
#
# Underlay 198.18.N.x, one subnet per link, every node --min-links 1: nobody
# can dial around the chain. Once d routes a via c, b is SIGKILLed. c's links
# to b closes and drops its routes to b and a; c's WITHDRAW (b and a, with the
# newest INFO ids it had taken) makes d drop both within 3 s. Before
# WITHDRAW, c's GONE named only b, and d kept routing a into c, which has no
# route to it, until route_timeout (30 s).
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:91:00:01
MAC_B=02:00:5e:91:00:02
MAC_C=02:00:5e:91:00:03
MAC_D=02:00:5e:91:00:04
LIMIT=3

# num NAME KEY - a counter as a number (-1 if missing: an invpnd without it)
num() {
	local v
	v=$(counter "$1" "$2")
	case $v in '' | *[!0-9]*) echo -1 ;; *) echo "$v" ;; esac
}

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
make_node d $MAC_D
ns_add a b c d
link_ns a b 1
link_ns b c 2
link_ns c d 3
start_node a --min-links 1
start_node b --min-links 1 --init 198.18.1.1
start_node c --min-links 1 --init 198.18.2.1
start_node d --min-links 1 --init 198.18.3.1
overlay_ip c 10.201.0.3
overlay_ip d 10.201.0.4

check "b links to a and c" wait_for 20 links_eq b 2
check "c links to b and d" wait_for 20 links_eq c 2
check "d has a route to a" wait_for 20 has_route d $MAC_A
check "d has a route to b" wait_for 10 has_route d $MAC_B
check "d routes a via c ($(route_via d $MAC_A))" [ "$(route_via d $MAC_A)" = $MAC_C ]
check "ping d -> c before" ping_ok d 10.201.0.3 3

wd0=$(num d routes_withdrawn)
t=$(now)
kill_node b
check "c's own routes to a and b go with its link to b" \
	wait_for $LIMIT eval 'not has_route c $MAC_A && not has_route c $MAC_B'
if wait_for $LIMIT not has_route d $MAC_A; then
	ok "d drops its route to a within $LIMIT s of b's death ($(elapsed "$t") s)"
else
	not_ok "d drops its route to a within $LIMIT s of b's death"
	# how long it does live (route_timeout: 30 s): for the record
	if wait_for 35 not has_route d $MAC_A; then
		diag "d's route to a went $(elapsed "$t") s after b's death"
	else
		diag "d's route to a still there $(elapsed "$t") s after b's death"
	fi
fi
check "d drops its route to b within $LIMIT s of b's death" wait_for $LIMIT not has_route d $MAC_B
counted() { [ "$wd0" -ge 0 ] && [ "$(num d routes_withdrawn)" -gt "$wd0" ]; }
check "d counted the withdrawn route to a (routes_withdrawn $wd0 -> $(num d routes_withdrawn))" counted
check "d keeps its route to its neighbour c" [ "$(route_via d $MAC_C)" = $MAC_C ]
check "ping d -> c after" ping_ok d 10.201.0.3 3
check "no bad frames" [ "$(counter c bad_frames)$(counter d bad_frames)" = 00 ]
diag "d: routes_gone $(counter d routes_gone), routes_withdrawn $(counter d routes_withdrawn), routes $(ctlq d status .routes)"

for n in d c a; do
	check "SIGTERM: $n exits with status 0" stop_node $n
done
done_testing
