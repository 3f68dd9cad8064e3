#!/usr/bin/env bash
# A diamond: two disjoint paths from a to d; the one in use dies.
#
#                    198.18.11.0/24   +-------+   198.18.12.0/24
#                 .1 +----------------| b     |----------------+ .2
#                    |             .2 | .1    |                |
#                +-------+            +-------+            +-------+
#                | a     |                                 | d     |
#                | init b, c                               | init b, c
#                +-------+            +-------+            +-------+
#                    |             .2 | c  .1 |                |
#                 .1 +----------------|       |----------------+ .2
#                    198.18.13.0/24   +-------+   198.18.14.0/24
#
#   overlay: a 10.201.0.1, b .2, c .3, d .4; everyone --min-links 2
#
# a and d share no underlay link. a's routes say which of b and c carries
# a -> d; a continuous ping a -> d (every 0.1 s) runs while that node's
# daemon is SIGKILLed. The longest gap between replies must be <= 2 s, and
# a must then route d through the other node. Then the dead node is started
# again and must be linked back in (a and d redial it after their backoff).
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:50:00:01
MAC_B=02:00:5e:50:00:02
MAC_C=02:00:5e:50:00:03
MAC_D=02:00:5e:50:00:04
MAX_GAP=2

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
make_node d $MAC_D
ns_add a b c d
link_ns a b 11
link_ns b d 12
link_ns a c 13
link_ns c d 14

start_node b --min-links 2
start_node c --min-links 2
start_node a --min-links 2 --init 198.18.11.2 --init 198.18.13.2
start_node d --min-links 2 --init 198.18.12.1 --init 198.18.14.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
overlay_ip c 10.201.0.3
overlay_ip d 10.201.0.4

for n in a b c d; do
	check "$n has 2 up links" wait_for 30 links_eq $n 2
done
check "a has a route to d" wait_for 15 has_route a $MAC_D
check "d has a route to a" wait_for 15 has_route d $MAC_A
check "a -> d ping before the failure" ping_ok a 10.201.0.4 3

via=$(route_via a $MAC_D)
back=$(route_via d $MAC_A)
case $via in
"$MAC_B") victim=b other=c other_mac=$MAC_C ;;
"$MAC_C") victim=c other=b other_mac=$MAC_B ;;
*) bail "a's route to d goes via '$via', neither b nor c" ;;
esac
diag "a -> d goes via $victim ($via); d -> a goes via $back"

bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.1 -c 600 -w 60 10.201.0.4
ping_pid=$BG_PID
replies() { grep -c 'bytes from' "$IT_WORK/ping.out"; }
more_replies() { [ "$(replies)" -ge "$1" ]; }
check "continuous ping is getting replies" wait_for 10 more_replies 10

before=$(replies)
t_kill=$(now)
kill_node $victim
diag "SIGKILLed $victim at $t_kill after $before replies"
wait_for 15 more_replies $((before + 30))
t_end=$(now)
bg_stop "$ping_pid" INT

read -r gap n_replies gap_at < <(ping_max_gap "$IT_WORK/ping.out" "$t_end")
after=$((n_replies - before))
diag "replies: $n_replies in all, $after after the kill"
diag "longest gap between replies: $gap s (starting at $gap_at, $(elapsed "$t_kill" "$gap_at") s after the kill)"
kill_gap=$(awk -v k="$t_kill" '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0
	if (t <= k) last = t; else if (!first) first = t }
	END { printf "%.3f", first ? first - last : -1 }' "$IT_WORK/ping.out")
diag "gap between the last reply before the kill and the first after it: $kill_gap s"
check "replies resumed after $victim died ($after)" [ $after -ge 10 ]
check "longest gap in replies ($gap s) is <= $MAX_GAP s" awk -v g="$gap" -v m=$MAX_GAP 'BEGIN { exit !(g <= m) }'
grep -E 'packets transmitted' "$IT_WORK/ping.out" | sed 's/^/# /'

check "a routes d via $other now" [ "$(route_via a $MAC_D)" = "$other_mac" ]
check "d routes a via $other now" [ "$(route_via d $MAC_A)" = "$other_mac" ]
# (a's answer is needed: an empty one from a daemon that does not answer is no proof)
no_route_via() {
	local out
	out=$(ctl a routes) || return 1
	[ -z "$(jq -r ".routes[] | select(.via == \"$1\") | .mac" <<<"$out")" ]
}
check "a has no route through the dead $victim" no_route_via "${NODE_MAC[$victim]}"
check "a -> d ping after the failure" ping_ok a 10.201.0.4 3
check "d -> a ping after the failure" ping_ok d 10.201.0.1 3

# the dead node comes back (no seeds, its cache was never written): a and d
# must dial it again once their per-address backoff allows
t_back=$(now)
start_node $victim --min-links 2
victim_ip=10.201.0.$([ $victim = b ] && echo 2 || echo 3)
overlay_ip $victim $victim_ip # a new TAP
back_to_two() { links_eq a 2 && links_eq d 2 && links_eq $victim 2; }
if wait_for 60 back_to_two; then
	ok "$victim restarted: a, d and $victim have 2 links again"
	diag "reconnected $(elapsed "$t_back") s after $victim restarted ($(elapsed "$t_kill") s after the kill)"
else
	not_ok "$victim restarted: a, d and $victim have 2 links again within 60 s"
fi
check "a -> $victim ping after the restart" ping_ok a $victim_ip 3

for n in a d b c; do
	check "SIGTERM: $n exits with status 0" stop_node $n
done

done_testing
