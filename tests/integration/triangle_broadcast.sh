#!/usr/bin/env bash
# Three nodes on one bridge, fully meshed; one broadcast is delivered once.
#
#                 ns br: bridge, underlay 198.18.3.0/24
#        +----------------+----------------+
#        |                |                |
#   +---------+      +---------+      +---------+
#   | a  .1   |      | b  .2   |      | c  .3   |    min-links 2: every node
#   |         |      | init a  |      | init a  |    links to both others
#   +---------+      +---------+      +---------+
#   10.201.0.1       10.201.0.2       10.201.0.3      (overlay, IPv4 only)
#
#            a ------- b
#             \       /        a floods its ARP request to b and c; each
#              \     /         forwards it to the other, which must drop
#                 c            that second copy (as a duplicate, or as not
#                              coming on its route to a: the reverse-path rule).
#
# One ARP request (arping -c 1) for a non-existent overlay address leaves a.
# tcpdump on each TAP (inbound) counts it: b and c exactly once, a never.
# The daemon counters agree: tap_tx_frames +1 on b and on c, and
# drop_duplicate + drop_reverse_path shows the second copy dropped (see below
# for who drops). IPv6 is off in these namespaces and announcements are slowed to
# one a minute so that no other flooded frame moves the counters meanwhile.
. "$(dirname "$0")/lib.sh"
it_init tcpdump arping

MAC_A=02:00:5e:30:00:01
MAC_B=02:00:5e:30:00:02
MAC_C=02:00:5e:30:00:03
QUIET=(--min-links 2 --announce-interval 60 --route-timeout 300 --link-timeout 200)

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
ns_add a b c
no_ipv6 a b c
bridge_add br
bridge_join br a 3 1
bridge_join br b 3 2
bridge_join br c 3 3

t0=$(now)
start_node a "${QUIET[@]}"
start_node b "${QUIET[@]}" --init 198.18.3.1
start_node c "${QUIET[@]}" --init 198.18.3.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
overlay_ip c 10.201.0.3

for n in a b c; do
	check "$n has 2 up links" wait_for 30 links_eq $n 2
done
diag "triangle complete after $(elapsed "$t0") s"
for n in a b c; do
	check "$n has routes to both others" wait_for 10 routes_ge $n 2
done

# let the link-up announcements die down: counters still for a second
snap() {
	local n
	for n in a b c; do
		ctl $n status | jq -r '[.counters.tap_tx_frames, .counters.drop_duplicate + .counters.drop_reverse_path,
			.counters.tap_rx_frames] | @tsv'
	done
}
# quiet: two snapshots a second apart are the same, and all three daemons answered
quiet=no
prev=$(snap)
for ((i = 0; i < 10; i++)); do
	sleep 1
	cur=$(snap)
	if [ "$cur" = "$prev" ] && [ "$(wc -l <<<"$cur")" -eq 3 ]; then
		quiet=yes
		break
	fi
	prev=$cur
done
check "counters are quiet before the test frame (within 10 s)" [ $quiet = yes ]

# 0x0ac90063 = 10.201.0.99, the ARP target (tpa at offset 24)
FILTER='arp and arp[24:4] = 0x0ac90063'
declare -A dump=()
for n in a b c; do
	bg_ns $n "$IT_WORK/tcpdump.$n" tcpdump -Q in -i "$IT_TAP" -n -l -p "$FILTER"
	dump[$n]=$BG_PID
done
for n in a b c; do
	wait_for 10 grep -q 'listening on' "$IT_WORK/tcpdump.$n" || bail "tcpdump on $n did not start"
done

declare -A tx0=() dup0=() rx0=()
for n in a b c; do
	read -r tx0[$n] dup0[$n] rx0[$n] < <(ctl $n status | jq -r \
		'[.counters.tap_tx_frames, .counters.drop_duplicate + .counters.drop_reverse_path, .counters.tap_rx_frames] | @tsv')
done

nsx a arping -c 1 -w 1 -I "$IT_TAP" 10.201.0.99 >"$IT_WORK/arping.out" 2>&1
check "arping sent exactly one request" grep -q 'Sent 1 probe' "$IT_WORK/arping.out"

arrived() { [ "$(grep -c 'ARP, Request' "$IT_WORK/tcpdump.$1")" -ge 1 ]; }
check "b received the broadcast" wait_for 5 arrived b
check "c received the broadcast" wait_for 5 arrived c
sleep 1 # a second copy, if any, would come within milliseconds
for n in a b c; do
	bg_stop "${dump[$n]}" INT
done

count() { grep -c 'ARP, Request' "$IT_WORK/tcpdump.$1"; }
check "b's TAP saw it exactly once ($(count b))" [ "$(count b)" -eq 1 ]
check "c's TAP saw it exactly once ($(count c))" [ "$(count c)" -eq 1 ]
check "a's TAP never got its own broadcast back ($(count a))" [ "$(count a)" -eq 0 ]

# Who drops what depends on which copy wins each race: normally b and c each
# get a's copy first, forward it to each other and each drop the other's
# (b +1, c +1; as drop_reverse_path: the copy from the other is not on the
# route to a, which is the direct link). If one of them, say c, gets b's relayed copy before a's own,
# c forwards it to a (which drops its own broadcast without counting it) and
# then drops a's copy (c +1, b +0). Either way b and c deliver it once and
# at least one duplicate is counted.
declare -A ddup=()
for n in a b c; do
	read -r tx dup rx < <(ctl $n status | jq -r \
		'[.counters.tap_tx_frames, .counters.drop_duplicate + .counters.drop_reverse_path, .counters.tap_rx_frames] | @tsv')
	dtx=$((tx - tx0[$n])) ddup[$n]=$((dup - dup0[$n])) drx=$((rx - rx0[$n]))
	diag "$n: tap_tx_frames +$dtx, drop_duplicate +${ddup[$n]}, tap_rx_frames +$drx"
	case $n in
	a)
		check "a read one frame from its TAP" [ $drx -eq 1 ]
		check "a wrote nothing to its TAP" [ $dtx -eq 0 ]
		check "a counted no duplicate (a copy of its own comes back at most)" [ "${ddup[a]}" -eq 0 ]
		;;
	*)
		check "$n delivered the broadcast to its TAP once (tap_tx_frames +1)" [ $dtx -eq 1 ]
		check "$n dropped at most one copy (drop_duplicate +${ddup[$n]})" [ "${ddup[$n]}" -le 1 ]
		;;
	esac
done
check "the second copy was dropped as a duplicate (b +${ddup[b]}, c +${ddup[c]})" \
	[ $((ddup[b] + ddup[c])) -ge 1 ]

done_testing
