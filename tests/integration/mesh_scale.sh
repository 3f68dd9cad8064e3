#!/usr/bin/env bash
# N nodes (MESH_N, default 100) on one bridge, started at once, each told
# about one other only (a ring of seeds: mI seeds m(I-1), m1 seeds mN).
#
#     ns br: bridge, underlay 198.18.8.0/24; mI at 198.18.8.I
#
# Checks: one mesh (every node a route to every other) within 60 s of the
# last daemon answering; no node with more than twice the median link count;
# at most 8 hops between any two nodes (following next hops). Then 10 % are
# killed (SIGKILL, every tenth): within 60 s the survivors are one mesh again
# and no survivor routes to the dead (each has exactly survivors - 1 routes,
# and none of them names a dead MAC). Issue 13's target of 10 s for both is
# reported as a TODO check until it is met.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mesh_lib.sh"
it_init

N=${MESH_N:-100}
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
make_ca
mesh_make "$N" br 8

all=()
for ((i = 1; i <= N; i++)); do
	all+=(m$i)
done
t0=$(now)
for ((i = 1; i <= N; i++)); do
	mesh_launch m$i --init 198.18.8.$(((i + N - 2) % N + 1))
done
wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
t1=$(now)
diag "$N daemons launched in $(elapsed "$t0" "$t1") s (counted from when the last answers)"

# one mesh at all (within 60 s); the 10 s target is a known shortfall (issue
# 13): the poll passes over every node, so at N = 100 a pass alone takes seconds
if wait_for 60 mesh_routes_eq $((N - 1)) "${all[@]}"; then
	took=$(elapsed "$t1")
	ok "one mesh: every node has a route to all $((N - 1)) others (after $took s)"
	check_todo "issue 13: not met reliably on 2 cores" "one mesh within 10 s (took $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "one mesh within 60 s: every node has a route to all $((N - 1)) others"
	for n in "${all[@]}"; do
		diag "$n: $(ctlq "$n" status .routes) routes, $(links_of "$n") links"
	done
fi

# a moment for autoconnect's shaping, then the shape
sleep 2
if mesh_dump "${all[@]}"; then
	read -r med max < <(mesh_degree_stats)
	hops=$(mesh_hops)
	diag "links per node: median $med, max $max; hops at most $hops"
	check "no node above twice the median link count ($max > 2 x $med?)" [ "$max" -le $((2 * med)) ]
	check "at most 8 hops between any two nodes ($hops)" in_range "$hops" 1 8
else
	not_ok "routes and links of every node"
fi

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
	kill_node "$n"
done
t2=$(now)
S=${#alive[@]}
if wait_for 60 mesh_routes_eq $((S - 1)) "${alive[@]}"; then
	took=$(elapsed "$t2")
	ok "after killing ${#dead[@]}: the $S survivors have exactly $((S - 1)) routes each (after $took s)"
	check_todo "issue 13: not met reliably on 2 cores" "survivors one mesh within 10 s (took $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t <= 10) }'
else
	not_ok "after killing ${#dead[@]}: the $S survivors have exactly $((S - 1)) routes each within 60 s"
	for n in "${alive[@]}"; do
		diag "$n: $(ctlq "$n" status .routes) routes, $(links_of "$n") links"
	done
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

check "no bad frames anywhere" counters_zero bad_frames "${alive[@]}"
for n in "${alive[@]}"; do
	stop_node "$n" || not_ok "SIGTERM: $n exits with status 0"
done
done_testing
