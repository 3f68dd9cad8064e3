#!/usr/bin/env bash
# N nodes (MESH_N, default 100) on one bridge, started at once, each told
# about one other only (a ring of seeds: mI seeds m(I-1), m1 seeds mN).
#
#     ns br: bridge, underlay 198.18.8.0/24; mI at 198.18.8.I
#
# Checks: one mesh (every node a route to every other) within 60 s of the
# last daemon answering; no node with more than twice the median link count;
# at most 8 hops between any two nodes (the link graph's diameter; 6 with
# rewiring, 8-9 before it), and after the churn too. Then 10 % are
# killed (SIGKILL, every tenth): within 10 s no survivor routes to the dead
# (their neighbours withdraw those routes: WITHDRAW), within 60 s the
# survivors are one mesh again (each has exactly survivors - 1 routes, and
# none of them names a dead MAC). Then the dead are restarted: within 60 s
# one mesh of N again. Times are the nodes' own (status routes_changed_ms: the
# last change of a route count), not the poll's; the start is timed from the
# last launch. Issue 13's target of 10 s is checked for the three settle
# times and for the dead routes (with DRAIN, 2026-12-03, quiet machine:
# start 0.5-1.6 s after the last launch, churn 4.4-4.9 s, restart 1.2-2.1 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mesh_lib.sh"
it_init

N=${MESH_N:-100}
# extra invpnd arguments for every node (experiments: MESH_ARGS="--sign no")
read -ra extra <<<"${MESH_ARGS:-}"
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
make_ca
mesh_make "$N" br 8

read -ra all <<<"$(mesh_names "$N")"
t0=$(now)
for ((i = 1; i <= N; i++)); do
	mesh_launch m$i --init 198.18.8.$(ring_seed "$i" "$N") "${extra[@]}"
done
# launching takes this harness seconds itself (0.13 s a node here): the start
# is simultaneous from the last launch on, and the 10 s check is timed from it
tl=$(now)
diag "the last of $N daemons launched $(elapsed "$t0" "$tl") s after the first"
wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
t1=$(now)
diag "$N daemons launched in $(elapsed "$t0" "$t1") s (counted from when the last answers)"

# one mesh at all (within 60 s), timed from the nodes' own record of when their
# route count last changed (a poll pass over 100 nodes takes seconds itself)
if wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
	took=$(mesh_settle_time "$tl")
	ok "one mesh: every node has a route to all $((N - 1)) others (settled $(mesh_settle_time "$t0") s after the first launch, $took s after the last, seen after $(elapsed "$t0") s)"
	check "one mesh within 10 s of the last launch (took $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "one mesh within 60 s: every node has a route to all $((N - 1)) others ($(mesh_pieces))"
fi

# the shape, once autoconnect's shaping has had its moment: random dials need
# the addresses that announcements bring (signed ones after their certificate
# came), and each node rewires once 10-20 s after its start (a random long
# link, then a drain: some 17-37 s in all), so the graph is looked at up to 15
# times (3 s apart) until it has the shape
for ((try = 0; try < 15; try++)); do
	sleep 3
	mesh_dump "${all[@]}" || break
	read -r med max < <(mesh_degree_stats)
	hops=$(mesh_hops)
	if [ "$max" -le $((2 * med)) ] && in_range "$hops" 1 8; then
		break
	fi
done
if [ -n "${hops:-}" ]; then
	diag "links per node: median $med, max $max; hops at most $hops ($(elapsed "$t0") s after the launch)"
	check "no node above twice the median link count ($max > 2 x $med?)" [ "$max" -le $((2 * med)) ]
	# issue 13's target (8-9 before rewiring, a ring-like mesh 17)
	check "at most 8 hops between any two nodes ($hops)" in_range "$hops" 1 8
else
	not_ok "routes and links of every node"
fi
# pace (PROTOCOL: Timing): N - 1 nodes known, so a node floods every
# 5 s x (N - 1) / 5, at most 60 s (N = 100: the cap), not every 5 s, and
# routes live 4 of those, at least 30 s (what the idle benchmark's 9.9 ->
# 1.7 KB/s per node rests on; the churn below must not wait for it)
want_flood=$((5000 * (N - 1) / 5))
((want_flood < 5000)) && want_flood=5000
((want_flood > 60000)) && want_flood=60000
want_rt=$((4 * want_flood > 30000 ? 4 * want_flood : 30000))
pace="$(ctlq m1 status .flood_interval_ms) $(ctlq m1 status .route_timeout_ms)"
check "a node of $N floods every $want_flood ms, routes live $want_rt ms ($pace)" \
	[ "$pace" = "$want_flood $want_rt" ]

# 10 % churn: kill every tenth node
dead=() alive=()
for ((i = 1; i <= N; i++)); do
	if ((i % 10 == 5)); then
		dead+=(m$i)
	else
		alive+=(m$i)
	fi
done
for n in "${dead[@]}"; do
	echo "${NODE_MAC[$n]}"
done >"$IT_WORK/dead_macs"
# no_dead_routes - ten survivors spread over the ring have no route to a dead
# node (a pass over all 90 takes too long under load to time anything; all of
# them are checked after the settle below)
sample=() step=$((${#alive[@]} / 10 > 0 ? ${#alive[@]} / 10 : 1))
for ((i = 0; i < ${#alive[@]} && ${#sample[@]} < 10; i += step)); do
	sample+=("${alive[$i]}")
done
no_dead_routes() {
	local n macs
	for n in "${sample[@]}"; do
		macs=$(ctl "$n" routes | jq -r '.routes[].mac') || return 1
		! grep -qxF -f "$IT_WORK/dead_macs" <<<"$macs" || return 1
	done
}
for n in "${dead[@]}"; do
	kill_node "$n"
done
t2=$(now)
S=${#alive[@]}
# the routes to the dead go first (WITHDRAW); timed to the end of the pass that
# saw none, so the figure includes a whole poll pass (seconds at N = 100)
if wait_for 60 no_dead_routes; then
	took=$(elapsed "$t2")
	check "routes to the dead gone within 10 s of the kill at ${#sample[@]} survivors (seen after $took s, the poll included)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "routes to the dead gone within 60 s of the kill at ${#sample[@]} survivors"
fi
if wait_for 60 mesh_settled $((S - 1)) "${alive[@]}"; then
	took=$(mesh_settle_time "$t2")
	ok "after killing ${#dead[@]}: the $S survivors have exactly $((S - 1)) routes each (settled $took s after the kill, seen after $(elapsed "$t2") s)"
	check "survivors one mesh within 10 s (took $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "after killing ${#dead[@]}: the $S survivors have exactly $((S - 1)) routes each within 60 s ($(mesh_pieces))"
fi
if mesh_dump "${alive[@]}"; then
	stale=0
	for n in "${dead[@]}"; do
		grep -c " ${NODE_MAC[$n]} " "$IT_WORK/routes" >"$IT_WORK/count" || true
		stale=$((stale + $(cat "$IT_WORK/count")))
	done
	check "no survivor has a route to a dead node ($stale)" [ "$stale" -eq 0 ]
	hops=$(mesh_hops)
	check "after the churn: at most 8 hops between any two survivors ($hops)" in_range "$hops" 1 8
else
	not_ok "routes of every survivor"
fi
gone=0
for n in "${alive[@]}"; do
	gone=$((gone + $(counter "$n" routes_gone)))
done
diag "routes dropped on GONE notices: $gone"
withdrawn=0
for n in "${alive[@]}"; do
	withdrawn=$((withdrawn + $(counter "$n" routes_withdrawn)))
done
diag "routes dropped on WITHDRAW: $withdrawn"

# the dead come back (their caches know the mesh)
t3=$(now)
for n in "${dead[@]}"; do
	i=${n#m}
	mesh_launch "$n" --init 198.18.8.$(ring_seed "$i" "$N") "${extra[@]}"
done
wait_for 30 mesh_answer "${dead[@]}" || not_ok "the restarted nodes came up within 30 s"
if wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
	took=$(mesh_settle_time "$t3")
	ok "restarted ${#dead[@]}: one mesh of $N again (settled $took s after the restart, seen after $(elapsed "$t3") s)"
	check "one mesh within 10 s of the restart (took $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "restarted ${#dead[@]}: one mesh of $N within 60 s ($(mesh_pieces))"
fi

check "no bad frames anywhere" counters_zero bad_frames "${all[@]}"
for n in "${all[@]}"; do
	stop_node "$n" || not_ok "SIGTERM: $n exits with status 0"
done
done_testing
