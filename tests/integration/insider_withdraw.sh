#!/usr/bin/env bash
# An insider with a valid certificate, linked to c only, tries to silence a
# and b with the frames that say a route is dead: 0x07 GONE and 0x0c WITHDRAW
# (tests/tools/insider.py). The mesh is insider_lib.sh's a - b - c - M:
#
#    ns a           ns b              ns c              ns m
#  +---------+    +-------------+   +-------------+   +---------------+
#  | invpnd a|----| invpnd b    |---| invpnd c    |---| insider.py M  |
#  | .1.1    |    | .1.2  .2.1  |   | .2.2  .3.1  |   | .3.2, CAPS    |
#  +---------+    +-------------+   +-------------+   | MESH|WITHDRAW |
#   10.201.0.1     10.201.0.2        10.201.0.3       +---------------+
#
#   GONE       12 x GONE(origin M, id now, gone a, last_id now), one every
#              0.5 s: c's route to a (via b) never goes, c -> a pings keep
#              being answered, c counts no routes_gone. (Before WITHDRAW, c
#              dropped its route to a on each: the GONE came from its route
#              to its origin M, and a's route went over a link not to a.)
#   WITHDRAW   WITHDRAW(a, now), WITHDRAW(b, now), WITHDRAW(a + b, now),
#              6 each: c keeps its routes to a and b (they do not go over
#              M's link), routes_withdrawn stays 0.
#   control    M announces a made-up node Z (so c routes Z over M's link).
#              WITHDRAW(Z, an id older than Z's INFO) and WITHDRAW(M, now)
#              (the link's own peer) are ignored (c's route to M is not
#              even dropped and learned again); WITHDRAW(Z, now) drops Z
#              at c, and c's relay drops it at b and a: what M can withdraw
#              is what goes through M, so the refusals above are not c
#              ignoring M's WITHDRAWs altogether.
. "$(dirname "$0")/lib.sh"
it_init python3
. "$IT_DIR/insider_lib.sh"
MAC_Z=02:00:5e:90:00:5a

insider_mesh
check "c routes a via b" [ "$(route_via c $MAC_A)" = $MAC_B ]
check "ping c -> a before the attack" ping_ok c 10.201.0.1 5

# CAPS MESH | WITHDRAW: M is one of c's WITHDRAW peers
insider withdraw 80 --caps 0xa "await type=0x04 timeout=10" "sleep s=3" \
	"gone origin=$MAC_M id=now gone=$MAC_A last_id=now count=12 every=0.5" \
	"sleep s=7" \
	"withdraw mac=$MAC_A last_id=now count=6 every=0.5" \
	"withdraw mac=$MAC_B last_id=now count=6 every=0.5" \
	"withdraw mac=$MAC_A,$MAC_B last_id=now count=6 every=0.5" \
	"sleep s=3" \
	"info mac=$MAC_Z id=now port=41744" \
	"sleep s=3" \
	"withdraw mac=$MAC_Z last_id=now-60000" \
	"sleep s=3" \
	"withdraw mac=$MAC_M last_id=now" \
	"sleep s=3" \
	"withdraw mac=$MAC_Z last_id=now" \
	"sleep s=2"
m_pid=$INSIDER_PID
check "M linked to c" wait_for 15 peer_up c $MAC_M
check "c routes M over its link" wait_for 10 eval '[ "$(route_via c $MAC_M)" = $MAC_M ]'

FRAMES=$IT_WORK/withdraw.frames
at_step() { grep -q " step $1" "$FRAMES" 2>/dev/null; }
# c's next hops for a and b, one line: "a=VIA b=VIA" (a missing route is empty)
vias() {
	local out
	out=$(ctl c routes) || return 1
	printf '%s\n' "$out" | jq -r --arg a $MAC_A --arg b $MAC_B \
		'"a=" + ([.routes[] | select(.mac == $a) | .via][0] // "") +
		 " b=" + ([.routes[] | select(.mac == $b) | .via][0] // "")'
}
# sample PHASE UNTIL_STEP - c's routes to a and b every 0.2 s until the insider
# reaches that step (at most 30 s); sets BAD (samples not via b) and SAMPLES
sample() {
	local end=$(($(now_ms) + 30000)) v
	BAD=0 SAMPLES=0
	while ! at_step "$2" && [ "$(now_ms)" -lt "$end" ]; do
		v=$(vias)
		SAMPLES=$((SAMPLES + 1))
		if [ "$v" != "a=$MAC_B b=$MAC_B" ]; then
			BAD=$((BAD + 1))
			[ "$BAD" -le 3 ] && diag "$1: c's routes: ${v:-no answer}"
		fi
		sleep 0.2
	done
}
# samples_ok MIN - at least MIN samples, none wrong
samples_ok() {
	[ "$SAMPLES" -ge "$1" ] && [ "$BAD" -eq 0 ]
}
# ping_phase FILE START - "GAP REPLIES" of a ping -D run that began at START
ping_phase() {
	local gap replies _
	read -r gap replies _ < <(ping_max_gap "$1" "$(now)" "$2")
	echo "$gap $replies"
}

# ---- GONE: M speaks for the link b - a it is not on
check "the insider starts its GONEs" wait_for 20 at_step gone
t=$(now)
bg_ns c "$IT_WORK/ping_gone.out" ping -D -n -i 0.2 -w 30 10.201.0.1
ping_pid=$BG_PID
sample GONE withdraw
bg_stop "$ping_pid"
read -r gap replies < <(ping_phase "$IT_WORK/ping_gone.out" "$t")
check "GONE for a from M: c's route to a stayed via b in all $SAMPLES samples ($BAD wrong)" \
	samples_ok 20
check "GONE for a from M: c -> a pings answered ($replies replies, longest gap $gap s)" \
	awk -v g="$gap" -v n="$replies" 'BEGIN { exit !(n >= 30 && g < 2) }'
check "c dropped no route on M's GONEs (routes_gone $(counter c routes_gone))" counters_zero routes_gone c
check "b kept its direct route to a" [ "$(route_via b $MAC_A)" = $MAC_A ]

# ---- WITHDRAW: M withdraws routes that do not go through it
t=$(now)
bg_ns c "$IT_WORK/ping_wd.out" ping -D -n -i 0.2 -w 30 10.201.0.1
ping_pid=$BG_PID
sample WITHDRAW info
bg_stop "$ping_pid"
read -r gap replies < <(ping_phase "$IT_WORK/ping_wd.out" "$t")
check "WITHDRAW for a and b from M: c's routes to a and b stayed via b in all $SAMPLES samples ($BAD wrong)" \
	samples_ok 20
check "WITHDRAW for a and b from M: c -> a pings answered ($replies replies, longest gap $gap s)" \
	awk -v g="$gap" -v n="$replies" 'BEGIN { exit !(n >= 20 && g < 2) }'
check "c withdrew no route on them (routes_withdrawn $(counter c routes_withdrawn))" \
	counters_zero routes_withdrawn c
check "M's link stayed up (a WITHDRAW that matches nothing is no protocol error)" peer_up c $MAC_M

# ---- control: what goes through M, M can withdraw
check "c routes the made-up Z over M's link" wait_for 5 eval '[ "$(route_via c $MAC_Z)" = $MAC_M ]'
check "b routes Z via c" wait_for 5 eval '[ "$(route_via b $MAC_Z)" = $MAC_C ]'
check "the insider sends WITHDRAW(Z, older than Z's INFO)" wait_for 10 at_step "withdraw mac=$MAC_Z last_id=now-"
sleep 1
check "WITHDRAW(Z, older than Z's INFO) is ignored: c still routes Z" [ "$(route_via c $MAC_Z)" = $MAC_M ]
check "c withdrew nothing on it (routes_withdrawn $(counter c routes_withdrawn))" counters_zero routes_withdrawn c
check "the insider sends WITHDRAW(M)" wait_for 5 at_step "withdraw mac=$MAC_M"
# M announces itself every 2 s: a dropped route to M would be back soon, but
# learned anew (its age starts again)
sleep 1.5
m_age=$(ctlq c routes ".routes[] | select(.mac == \"$MAC_M\") | .age_s")
check "WITHDRAW(M) over M's own link is ignored: c's route to M stayed (age ${m_age:-none} s)" \
	[ "${m_age:-0}" -ge 3 ]
check "c withdrew nothing on it (routes_withdrawn $(counter c routes_withdrawn))" counters_zero routes_withdrawn c
check "the insider sends WITHDRAW(Z, now)" wait_for 10 at_step "withdraw mac=$MAC_Z last_id=now\$"
for n in c b a; do
	check "$n drops its route to Z within 3 s" wait_for 3 not has_route $n $MAC_Z
done
check "c counted it (routes_withdrawn $(counter c routes_withdrawn) = 1)" [ "$(counter c routes_withdrawn)" = 1 ]
check "b counted c's relay (routes_withdrawn $(counter b routes_withdrawn) = 1)" [ "$(counter b routes_withdrawn)" = 1 ]
check "c still routes a and b via b" [ "$(vias)" = "a=$MAC_B b=$MAC_B" ]
check "the insider ran its script" wait_for 10 insider_done withdraw
diag "c: routes_gone $(counter c routes_gone), routes_withdrawn $(counter c routes_withdrawn), withdraw_ignored $(counter c withdraw_ignored), drop_reverse_path $(counter c drop_reverse_path), bad_frames $(counter c bad_frames)"
bg_stop "$m_pid"

for n in c b a; do
	check "SIGTERM: $n exits with status 0" stop_node $n
done
done_testing
