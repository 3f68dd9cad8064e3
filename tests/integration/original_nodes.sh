#!/usr/bin/env bash
# Original nodes are kept safe (PROTOCOL.md: CAPS): a peer that sends no CAPS
# is never sent a HEALTH REQUEST (0x02) or RESPONSE (0x03), and a health round
# names it in not_asked; a link whose stream stops making sense (a run of
# frames of unknown types) is closed with a clear log line, and the peer
# relinks.
#
#                ns br: bridge, underlay 198.18.8.0/24
#        a .1 (-v)         b .2 --init a     o .3 tests/tools/orig_peer.py
#                                            (no CAPS; logs what it receives)
#                                            g .4 orig_peer.py --garbage-after
. "$(dirname "$0")/lib.sh"
it_init python3
PEER=$(cd "$(dirname "$0")/../tools" && pwd)/orig_peer.py

MAC_A=02:00:5e:63:00:01
MAC_B=02:00:5e:63:00:02
MAC_O=02:00:5e:63:00:03
MAC_G=02:00:5e:63:00:04

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node o $MAC_O
make_node g $MAC_G
bridge_add br
ns_add a b o g
bridge_join br a 8 1
bridge_join br b 8 2
bridge_join br o 8 3
bridge_join br g 8 4

start_node a -v
start_node b --init 198.18.8.1
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B

O=$(certdir o)
bg_ns o "$IT_WORK/o.out" python3 "$PEER" --host 198.18.8.1 --cert "$O/node.crt" --key "$O/node.key" \
	--ca "$O/ca.crt" --mac $MAC_O --log "$IT_WORK/o.frames" --hold 40
o_pid=$BG_PID
check "the original node o links to a" wait_for 15 peer_up a $MAC_O
check "b learns a route to o" wait_for 10 has_route b $MAC_O

# health rounds from a and from b, while o is linked to a
h_a=$(ctl a health --wait 1)
printf "%s\n" "$h_a" >"$IT_WORK/health-a.json"
h_b=$(ctl b health --wait 1)
printf "%s\n" "$h_b" >"$IT_WORK/health-b.json"
ctl a health --wait 1 >/dev/null
ctl b health --wait 1 >/dev/null
sleep 1
rx_types() { awk '$1 == "rx" { print $2 }' "$IT_WORK/o.frames" | sort | uniq -c | tr '\n' ' '; }
diag "frame types o received: $(rx_types)"
got_type() { awk -v t="$1" '$1 == "rx" && $2 == t { f = 1 } END { exit !f }' "$IT_WORK/o.frames"; }
check "o received CAPS (0x04) from a: sent on every link" got_type 0x04
check "o received a's ANNOUNCE (0x00): its log works" got_type 0x00
check "o never received a HEALTH REQUEST (0x02)" not got_type 0x02
check "o never received a HEALTH RESPONSE (0x03)" not got_type 0x03
# (jq -e on empty input succeeds: an empty reply must fail the check)
not_asked_o() { [ -n "$1" ] && jq -e --arg m $MAC_O '.not_asked | any(.mac == $m and (.why | test("sent no CAPS")))' <<<"$1" >/dev/null; }
check "a's health round names o in not_asked, and why" not_asked_o "$h_a"
answered_by() { [ -n "$1" ] && jq -e --arg m "$2" '.answers | any(.mac == $m)' <<<"$1" >/dev/null; }
check "a's health round has b's answer" answered_by "$h_a" $MAC_B
check "b's health round has a's answer" answered_by "$h_b" $MAC_A
not_answered_by() { [ -n "$1" ] && ! answered_by "$1" "$2"; }
check "b's health round has no answer from o" not_answered_by "$h_b" $MAC_O
diag "a: not_asked $(jq -c .not_asked <<<"$h_a")"
check "the a <=> o link is still up" peer_up a $MAC_O

# ---- garbage after a valid start: closed, logged, relinked
G=$(certdir g)
bad0=$(counter a bad_frames)
bg_ns g "$IT_WORK/g.out" python3 "$PEER" --host 198.18.8.1 --cert "$G/node.crt" --key "$G/node.key" \
	--ca "$G/ca.crt" --mac $MAC_G --log "$IT_WORK/g.frames" --hold 30 --garbage-after 3 --relink
g_pid=$BG_PID
check "g links to a" wait_for 15 peer_up a $MAC_G
garbage_sent() { grep -E '^garbage sent' "$IT_WORK/g.frames" >/dev/null; }
check "g sent its garbage" wait_for 10 garbage_sent
check "a closes the link, saying why" \
	wait_for 5 log_has a "link down: $MAC_G .*protocol error: 16 frames of unknown types in a row \(the last type 0x55, len 8\): the stream is out of step"
bad_grew() { [ "$(counter a bad_frames)" -gt "$bad0" ]; }
check "a counts it in bad_frames" bad_grew
g_closed() { grep -E '^closed' "$IT_WORK/g.frames" >/dev/null; }
check "g saw the close" wait_for 5 g_closed
relinked() { grep -E '^connected 2 ' "$IT_WORK/g.frames" >/dev/null && peer_up a $MAC_G; }
check "g relinks" wait_for 10 relinked
check "the a <=> b link is still up" peer_up a $MAC_B

bg_stop "$g_pid" TERM
bg_stop "$o_pid" TERM
check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b
done_testing
