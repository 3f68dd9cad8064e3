#!/usr/bin/env bash
# Mixed meshes (issue 9): signing nodes, a node with sign = no and a peer
# that poses as an original node (no CAPS) share one mesh, unsigned where
# they must; with require_signed = yes the latter two are refused, saying why.
#
#                ns br: bridge, underlay 198.18.9.0/24
#   a .1 (sign)    b .2 (sign) --init a    c .3 sign = no, --init a
#                                          o .4 insider.py --caps none, links to b
#   TAPs 10.204.0.1-3
#
# Part 1: a <-> c pings work; a and b hold c's route unsigned and each
# other's signed; o's frame reaches a's TAP; o and c never get a frame of
# the extension (0x08-0x0b). Part 2: b restarts with require_signed = yes:
# c's and o's links to b are closed with the reason in b's log, b learns
# no route to c, and a <-> b stays up and signed.
. "$(dirname "$0")/lib.sh"
it_init python3
INSIDER=$(cd "$(dirname "$0")/../tools" && pwd)/insider.py

MAC_A=02:00:5e:31:00:01
MAC_B=02:00:5e:31:00:02
MAC_C=02:00:5e:31:00:03
MAC_O=02:00:5e:31:00:04

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
make_node o $MAC_O
bridge_add br
ns_add a b c o
bridge_join br a 9 1
bridge_join br b 9 2
bridge_join br c 9 3
bridge_join br o 9 4

start_node a
start_node b --init 198.18.9.1
start_node c --init 198.18.9.1 --sign no
overlay_ip a 10.204.0.1
overlay_ip b 10.204.0.2
overlay_ip c 10.204.0.3

route_signed() { ctlq "$1" routes ".routes[] | select(.mac == \"$2\") | .signed"; }
check "a has a route to c" wait_for 20 has_route a $MAC_C
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "IPv4 ping a -> c (c does not sign)" ping_ok a 10.204.0.3 5
check "IPv4 ping c -> b" ping_ok c 10.204.0.2 5
check "a's route to b is signed" wait_for 10 eval '[ "$(route_signed a $MAC_B)" = true ]'
check "a's route to c is unsigned" [ "$(route_signed a $MAC_C)" = false ]
check "c has routes to a and b (from unsigned INFO)" eval "has_route c $MAC_A && has_route c $MAC_B"

# o: an original node's behaviour (no CAPS), with a marked frame for a's TAP
O=$(certdir o)
bg_ns a "$IT_WORK/sniff.out" python3 "$INSIDER" sniff --ifname "$IT_TAP" --log "$IT_WORK/sniff.log" --hold 20
sniff_pid=$BG_PID
bg_ns o "$IT_WORK/o.out" python3 "$INSIDER" link --host 198.18.9.2 --caps none --cert "$O/node.crt" \
	--key "$O/node.key" --ca "$O/ca.crt" --mac $MAC_O --log "$IT_WORK/o.log" --hold 12 \
	"await type=0x01 timeout=10" "sleep s=2" "unicast dst=$MAC_A src=$MAC_O count=5 every=0.5"
o_pid=$BG_PID
check "o (no CAPS) links to b" wait_for 10 peer_up b $MAC_O
check "a learns a route to o (unsigned)" wait_for 10 has_route a $MAC_O
marked() { grep -c "^seen $MAC_O $MAC_A" "$IT_WORK/sniff.log" 2>/dev/null || true; }
check "o's frames reach a's TAP" wait_for 10 eval '[ "$(marked)" -ge 1 ]'
bg_stop "$o_pid" TERM
bg_stop "$sniff_pid" TERM
ext_frames() { grep -cE ' rx 0x0(8|9|a|b) ' "$1" || true; }
check "o got INFO (0x01) about the signing nodes" grep -q ' rx 0x01 ' "$IT_WORK/o.log"
check "o got no frame of the extension (0x08-0x0b)" [ "$(ext_frames "$IT_WORK/o.log")" -eq 0 ]
check "no bad frames anywhere" [ "$(counter a bad_frames)$(counter b bad_frames)$(counter c bad_frames)" = 000 ]

# ---- part 2: b refuses what does not sign
check "SIGTERM: b exits with status 0" stop_node b
start_node b --init 198.18.9.1 --require-signed yes
overlay_ip b 10.204.0.2
check "a <=> b links again" wait_for 15 peer_up b $MAC_A
check "b's route to a is signed" wait_for 10 eval '[ "$(route_signed b $MAC_A)" = true ]'
check "b refuses c, and says why" wait_for 30 log_has b \
	"link down: $MAC_C .*peer does not sign its announcements \(no SIGN in its CAPS.*refused \(require_signed = yes\)"
bg_ns o "$IT_WORK/o2.out" python3 "$INSIDER" link --host 198.18.9.2 --caps none --cert "$O/node.crt" \
	--key "$O/node.key" --ca "$O/ca.crt" --mac $MAC_O --log "$IT_WORK/o2.log" --hold 8 "sleep s=5"
o_pid=$BG_PID
check "b refuses o (no CAPS), and says why" wait_for 10 log_has b \
	"link down: $MAC_O .*peer sent no CAPS \(an original InVPN node\?\).*refused \(require_signed = yes\)"
bg_stop "$o_pid" TERM
check "o saw the close" grep -qE '^[0-9.]+ closed' "$IT_WORK/o2.log"
sleep 2
check "b has no route to c (unsigned, via a)" not has_route b $MAC_C
check "b has no route to o" not has_route b $MAC_O
check "b counted refused unsigned INFO (unsigned_refused > 0)" [ "$(counter b unsigned_refused)" -gt 0 ]
check "a <=> b still up" peer_up a $MAC_B
check "IPv4 ping a -> b" ping_ok a 10.204.0.2 3
check "IPv4 ping a -> c still works (a does not require signatures)" ping_ok a 10.204.0.3 3

for n in c b a; do
	check "SIGTERM: $n exits with status 0" stop_node $n
done
done_testing
