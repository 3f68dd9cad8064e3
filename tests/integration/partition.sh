#!/usr/bin/env bash
# 50 nodes in two halves on two bridges joined by one underlay link (a veth
# between the bridges), started at once as a ring of seeds (mI seeds m(I-1),
# m1 seeds m50): one mesh. Then the joining link is cut (set down) and the
# halves are apart for 30 s: each becomes a mesh of its own (24 routes per
# node; routes across die with their links and the GONE notices). Then the
# link comes back.
#
#     ns bra: bridge; m1..m25     ns brb: bridge; m26..m50
#     bra <-veth-> brb (the one underlay link); mI at 198.18.10.I/24
#
# Nothing dials across by itself after the cut: every node has its links
# within its half again (min_links 1, see below). Only healing (dial a known
# node we have no route to, PROTOCOL: how autoconnect keeps the mesh's
# shape) merges the halves: without it they stay apart (seen: 25 x 50 after
# 60 s).
#
# Checks: one mesh at the start (within 60 s); two halves of 25 after the cut
# (within 60 s); after the link is back: one mesh (49 routes each) within
# 15 s (issue 13's target), timed from the nodes' own record of when their
# route count last changed, not from when a poll saw it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mesh_lib.sh"
it_init

N=50
H=$((N / 2))
# min_links 1 (PARTITION_MIN_LINKS to change it): after the cut every node
# soon has its links within its half again, so nothing but healing dials
# across. With the default 2, nodes that lost a link across keep filling
# and pick nodes of the other half too (their degree is unknown, so they
# weigh more): the halves then merge even without healing (measured: 0.1 to
# 0.6 s after the join either way).
MIN_LINKS=${PARTITION_MIN_LINKS:-1}
make_ca
bridge_add bra
bridge_add brb
for ((i = 1; i <= N; i++)); do
	make_node m$i "$(printf '02:00:5e:42:%02x:%02x' $((i / 256)) $((i % 256)))"
	ns_add m$i
	if ((i <= H)); then
		bridge_join bra m$i 10 $i
	else
		bridge_join brb m$i 10 $i
	fi
done
veth_pair bra brb
JA=$VETH_A JB=$VETH_B
{ ip -n "$(ns bra)" link set "$JA" master "${PFX}br" && ip -n "$(ns bra)" link set "$JA" up &&
	ip -n "$(ns brb)" link set "$JB" master "${PFX}br" && ip -n "$(ns brb)" link set "$JB" up; } ||
	bail "the link between the bridges"
join() { ip -n "$(ns bra)" link set "$JA" "$1" && ip -n "$(ns brb)" link set "$JB" "$1"; }

all=() half_a=() half_b=()
for ((i = 1; i <= N; i++)); do
	all+=(m$i)
	if ((i <= H)); then half_a+=(m$i); else half_b+=(m$i); fi
done
for ((i = 1; i <= N; i++)); do
	mesh_launch m$i --init 198.18.10.$(ring_seed "$i" "$N") --min_links "$MIN_LINKS"
done
wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
t0=$(now)
if wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
	ok "one mesh at the start: every node has $((N - 1)) routes (settled $(mesh_settle_time "$t0") s after the last answered)"
else
	bail "no mesh at the start: $(mesh_pieces)"
fi

join down || bail "cutting the link between the bridges"
t_cut=$(now)
cut_ok() { mesh_settled $((H - 1)) "${half_a[@]}" && mesh_settled $((H - 1)) "${half_b[@]}"; }
if wait_for 60 cut_ok; then
	ok "after the cut: two meshes of $H (settled after $(elapsed "$t_cut") s)"
else
	not_ok "after the cut: two meshes of $H within 60 s ($(mesh_pieces))"
fi
# apart for 30 s in all
left=$(awk -v t="$t_cut" -v n="$(now)" 'BEGIN { l = 30 - (n - t); printf "%.3f", (l > 0 ? l : 0) }')
sleep "$left"
mesh_snapshot "${all[@]}"
diag "apart for $(elapsed "$t_cut") s: $(mesh_pieces)"

diag "joining at $(date +%H:%M:%S.%N)"
join up || bail "joining the bridges again"
t_join=$(now)
if wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
	took=$(mesh_settle_time "$t_join")
	ok "joined again: one mesh, every node has $((N - 1)) routes (settled $took s after the link came back; seen after $(elapsed "$t_join") s)"
	check "one mesh within 15 s of the link coming back ($took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 15) }'
else
	not_ok "joined again: one mesh within 60 s ($(mesh_pieces))"
fi
heals=0
for n in "${all[@]}"; do
	heals=$((heals + $(grep -c "autoconnect: no route to a node" "$IT_WORK/$n.log")))
done
diag "healing dials logged: $heals"
check "no bad frames anywhere" counters_zero bad_frames "${all[@]}"
for n in "${all[@]}"; do
	stop_node "$n" || not_ok "SIGTERM: $n exits with status 0"
done
done_testing
