#!/usr/bin/env bash
# 25 nodes on one bridge, all told only about m1, whose max_links is 4.
#
#     ns br: bridge, underlay 198.18.9.0/24; mI at 198.18.9.I; mI (I > 1) init m1
#
# m1 fills up at once; every later newcomer still completes the handshake,
# gets m1's route replay and a FULL notice (PROTOCOL: FULL), and dials one of
# the addresses it just learned. Checks: all 25 are one mesh (24 routes each)
# within 30 s; m1 never holds more than 4 links; m1 counted the newcomers it
# turned away (links_full_refused > 0) and logged them at notice level; some
# newcomer counted a FULL notice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mesh_lib.sh"
it_init

N=25
make_ca
mesh_make "$N" br 9

read -ra all <<<"$(mesh_names "$N")"
mesh_launch m1 --max_links 4
wait_for 20 mesh_answer m1 || bail "m1 did not come up"
for ((i = 2; i <= N; i++)); do
	mesh_launch m$i --init 198.18.9.1
done
wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
t1=$(now)
if wait_for 30 mesh_routes_eq $((N - 1)) "${all[@]}"; then
	ok "all $N joined: every node has a route to the $((N - 1)) others"
	diag "after $(elapsed "$t1") s"
else
	not_ok "all $N joined within 30 s: every node has a route to the $((N - 1)) others"
	for n in "${all[@]}"; do
		diag "$n: $(ctlq "$n" status .routes) routes, $(links_of "$n") links"
	done
fi
check "m1 holds at most 4 links ($(links_of m1))" [ "$(links_of m1)" -le 4 ]
refused=$(counter m1 links_full_refused)
check "m1 counted the newcomers it was full for ($refused)" [ "$refused" -gt 0 ]
check "m1 logged them at notice level" grep -q "notice: peer .*at max_links" "$IT_WORK/m1.log"
notices=0
for ((i = 2; i <= N; i++)); do
	notices=$((notices + $(counter m$i full_notices)))
done
check "newcomers were told FULL ($notices notices)" [ "$notices" -gt 0 ]
check "no bad frames anywhere" counters_zero bad_frames "${all[@]}"
for n in "${all[@]}"; do
	stop_node "$n" || not_ok "SIGTERM: $n exits with status 0"
done
done_testing
