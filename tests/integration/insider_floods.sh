#!/usr/bin/env bash
# Issue 9, attacks 2, 4 and 5: an insider with a valid certificate, linked to
# c only, floods forged frames (tests/tools/insider.py). The mesh is
# insider_lib.sh's a - b - c - M; a late joiner j links to a.
#
#   silencing      0x81 and 0x02 with src = a and far-future ids (10^12 ms
#                  ahead, and 50 s ahead, inside the clock-skew bound), and an
#                  INFO for a 10^12 ms ahead: a's broadcasts (ARP), health
#                  requests and routes must stay as they were.
#   table fill     INFO for 4200 made-up MACs, three times: every table stays
#                  bounded with room to spare, memory bounded, and a node that
#                  joins later gets routes to a (its neighbour), b and c.
#   amplification  40 forged health requests (origin a, 720 bytes each):
#                  a receives at most a few KiB for them; 150 forged 64 KB
#                  answers to a's own health round: a's memory stays bounded
#                  and the round says what it cut.
#   direct route   an INFO for a (inside the skew bound) reaches b through c:
#                  b's route to its neighbour a stays direct.
. "$(dirname "$0")/lib.sh"
it_init python3
. "$IT_DIR/insider_lib.sh"

insider_mesh
FAR=1000000000000

# ---- attack 5a: amplification through forged health requests for a
rx0=$(rx_from a $MAC_B)
hr0=$(counter c drop_reverse_path)
insider amplify 20 "hreq origin=$MAC_A id=now+1 trace=118 count=40 every=0.01" "sleep s=2"
check "the amplification script ran" wait_for 20 insider_done amplify
sleep 1
rx1=$(rx_from a $MAC_B)
diag "a received $((rx1 - rx0)) bytes from b meanwhile (announcements included)"
check "40 forged requests for a: a received under 16 KiB meanwhile ($((rx1 - rx0)) bytes)" \
	[ $((rx1 - rx0)) -lt 16384 ]
hr1=$(counter c drop_reverse_path)
check "c dropped them (drop_reverse_path +$((hr1 - hr0)))" [ $((hr1 - hr0)) -ge 40 ]
bg_stop "$INSIDER_PID"

# ---- attack 2: silencing
insider silence 30 \
	"bcast src=$MAC_A id=now+$FAR" \
	"bcast src=$MAC_A id=now+50000" \
	"hreq origin=$MAC_A id=now+$FAR" \
	"hreq origin=$MAC_A id=now+50000" \
	"info mac=$MAC_A id=now+$FAR ip=198.18.3.2 port=41744" \
	"sleep s=1"
check "M links to c" wait_for 15 peer_up c $MAC_M
check "the silencing script ran" wait_for 15 insider_done silence
future() { [ "$(counter c drop_future_id)" -ge 1 ]; }
check "c refused the far-future INFO for a (drop_future_id $(counter c drop_future_id))" future
rpf() { [ "$(counter c drop_reverse_path)" -ge 3 ]; }
check "c refused the forged 0x81/0x02 for a: not from c's route to a (drop_reverse_path $(counter c drop_reverse_path))" rpf
via=$(route_via c $MAC_A)
check "c still routes a via b ($via)" [ "$via" = $MAC_B ]
via=$(route_via b $MAC_A)
check "b still routes a directly ($via)" [ "$via" = $MAC_A ]
# a's ARP broadcasts must still reach c: forget the neighbours, ping again
nsx a ip neigh flush dev "$IT_TAP"
nsx c ip neigh flush dev "$IT_TAP"
check "after the forged 0x81: a's ARP reaches c, a -> c ping works" ping_ok a 10.201.0.3 5
h=$(ctl a health --wait 2)
answered_by() { [ -n "$1" ] && jq -e --arg m "$2" '.answers | any(.mac == $m)' <<<"$1" >/dev/null; }
check "after the forged 0x02: a's health round has c's answer" answered_by "$h" $MAC_C
check "... and b's" answered_by "$h" $MAC_B
bg_stop "$INSIDER_PID"

# ---- attack 5b: 150 forged 64 KB answers to a's own health round
rss0=$(rss_kb a)
insider answers 40 "await type=0x02 origin=$MAC_A timeout=30" \
	"hresp dst=$MAC_A src=seq:77:00 id=rx size=65000 count=150" \
	"hresp dst=$MAC_A src=$MAC_B id=rx size=65000 count=5" \
	"await type=0x02 origin=$MAC_A timeout=30" \
	"hresp dst=$MAC_A src=seq:77:01 id=rx size=65000 count=150" "sleep s=1"
check "M links to c again" wait_for 15 peer_up c $MAC_M
sleep 1
ctl a health --wait 6 >"$IT_WORK/health-a.json"
h=$(cat "$IT_WORK/health-a.json")
rss1=$(rss_kb a)
diag "a's RSS: $rss0 KiB before, $rss1 KiB after the round"
check "a's memory stayed bounded (RSS $rss1 KiB < $((rss0 + 16384)) KiB)" [ "$rss1" -lt $((rss0 + 16384)) ]
cut=$(jq -r '(.answers_unknown // 0) + (.answers_duplicate // 0) + (.answers_dropped // 0)' <<<"$h")
diag "round: $(jq -c '{answers: (.answers | length), answers_unknown, answers_duplicate, answers_dropped}' <<<"$h")"
check "the round tells the client what it cut ($cut answers)" [ "${cut:-0}" -ge 1 ]
kept=$(jq -r ".answers | length" <<<"$h")
check "it kept only the real nodes' answers ($kept)" [ "${kept:-9}" -le 2 ]
one_each() { [ -n "$1" ] && jq -e '[.answers[].mac] | length == (unique | length)' <<<"$1" >/dev/null; }
check "the round keeps at most one answer per node" one_each "$h"
check "... and has b's and c's real answers" answered_by "$h" $MAC_C
# the same again, for invpnctl's own words
human=$(timeout 20 "$INVPNCTL" -s "$IT_WORK/a.sock" health --wait 6 2>&1 || true)
printf '%s\n' "$human" >"$IT_WORK/health-a.txt"
diag "invpnctl health: $(tail -n 3 <<<"$human" | tr '\n' '|')"
check "the answers script ran" wait_for 10 insider_done answers
told() { grep -Eq 'answers were not kept' "$IT_WORK/health-a.txt"; }
check "invpnctl health tells the user what was cut" told
bg_stop "$INSIDER_PID"

# ---- attack 4: table fill
insider fill 60 \
	"info mac=seq:66:00 id=now ip=none count=4200" "sleep s=3" \
	"info mac=seq:66:00 id=now ip=none count=4200" "sleep s=3" \
	"info mac=seq:66:00 id=now ip=none count=4200" "sleep s=1"
check "the table-fill script ran" wait_for 40 insider_done fill
sleep 2
for n in a b c; do
	r=$(ctlq $n status .routes)
	diag "$n: $r routes, drop_new_origins $(counter $n drop_new_origins), drop_routes_full $(counter $n drop_routes_full), RSS $(rss_kb $n) KiB"
	check "$n's route table kept room ($r routes < 3840)" [ "$r" -lt 3840 ]
	check "$n's memory is bounded (RSS $(rss_kb $n) KiB < 65536)" [ "$(rss_kb $n)" -lt 65536 ]
done
check "c still routes a via b" [ "$(route_via c $MAC_A)" = $MAC_B ]
# a late joiner, linked to a
make_node j 02:00:5e:90:00:0a
ns_add j
link_ns a j 4
start_node j "${MESH_ARGS[@]}" --init 198.18.4.1
check "the joiner j links to a" wait_for 15 peer_up j $MAC_A
check "j has a route to its neighbour a" wait_for 10 has_route j $MAC_A
check "j has a route to b" wait_for 15 has_route j $MAC_B
check "j has a route to c" wait_for 15 has_route j $MAC_C
diag "j: $(ctlq j status .routes) routes"
overlay_ip j 10.201.0.10
check "j -> c ping works" ping_ok j 10.201.0.3 5
bg_stop "$INSIDER_PID"

# ---- a route to a neighbour comes only from its link (last: inside the
# clock-skew bound, this INFO does move c's route to a to M, attack 1, which
# only signed announcements stop; c then floods it to b)
nd0=$(counter b drop_not_direct)
ur0=$(counter c unsigned_refused)
insider direct 20 "info mac=$MAC_A id=now+30000 ip=198.18.3.2 port=41744" "sleep s=2"
check "the direct-route script ran" wait_for 20 insider_done direct
diag "c's route to a is now via $(route_via c $MAC_A)"
via=$(route_via b $MAC_A)
check "b's route to its neighbour a stays direct ($via)" [ "$via" = $MAC_A ]
# with signed announcements (the default) c already refuses it, having seen a
# signed: then nothing reaches b, and c's unsigned_refused shows why
check "b refused the INFO about a from c (drop_not_direct +$(($(counter b drop_not_direct) - nd0))), or c did (unsigned_refused +$(($(counter c unsigned_refused) - ur0)))" \
	eval '[ "$(counter b drop_not_direct)" -gt "$nd0" ] || [ "$(counter c unsigned_refused)" -gt "$ur0" ]'
check "a -> b ping works" ping_ok a 10.201.0.2 3
check "no bad frames anywhere" counters_zero bad_frames a b c j
bg_stop "$INSIDER_PID"

done_testing
