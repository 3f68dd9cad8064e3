#!/usr/bin/env bash
# The simulator's benchmark (tests/sim, doc/ARCHITECTURE.md "The simulator"):
# the real daemon modules at 1 000 and 10 000 nodes, each scenario, every run
# under the shared heavy lock and a wall-time cap. It never fails on a figure:
# a run cut off by its cap is reported as such, with the simulated seconds it
# reached.
#
#   bench/sim.sh [BUILD_DIR]           # default: build
#   SIM_SIZES="1000" SIM_CAP=900 bench/sim.sh
#
# Output: bench/results/sim-<timestamp>/<nodes>-<scenario>.{txt,json}, and a
# summary of the phase lines on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim=$build/tests/sim/sim
[ -x "$sim" ] || { echo "bench/sim.sh: $sim missing: ninja -C $build" >&2; exit 2; }
sizes=${SIM_SIZES:-"1000 10000"}
scenarios=${SIM_SCENARIOS:-"start churn partition"}
cap=${SIM_CAP:-900}       # wall seconds per run
lock=${SIM_LOCK:-/work/heavy.lock}
# address space per run, GiB: a whole mesh's routes cost N^2 x 224 bytes
mem_gb=${SIM_MEM_GB:-12}
# above this many nodes, routes are capped per node (the daemon's own cap is
# 4096, 0.9 MB of routes per node: 9 GB at 10 000 nodes); such a run cannot
# converge and says what the link graph and the start look like
big_route_max=${SIM_ROUTE_MAX:-1024}
out=bench/results/sim-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cp "$sim" "$out/sim" # a rebuild during the run changes nothing

for n in $sizes; do
	# events at 30 s (start has converged well before at 1 000 nodes), back
	# 30 s later, then 30 s to merge; a 10 000-node run rarely gets that far
	args=(--nodes "$n" --seed 1 --event-at 30 --every 1)
	[ "$n" -gt 2000 ] && args+=(--every 5)
	# above the daemon's default max_routes (4096): max_routes = N (a
	# whole mesh) when N^2 routes at 240 bytes and 0.6 MB per node fit the
	# address space, else the cap (the run cannot converge then)
	if [ "$n" -gt 4096 ]; then
		if [ $((n * n * 240 + n * 600000)) -lt $((mem_gb * 1024 * 1024 * 1024 * 9 / 10)) ]; then
			args+=(--route-max "$n")
		else
			args+=(--route-max "$big_route_max")
		fi
	fi
	for sc in $scenarios; do
		until=90
		[ "$sc" = start ] && until=30
		f=$out/$n-$sc
		echo "=== $n nodes, $sc (cap ${cap} s wall)"
		rc=0
		ulimit -v $((mem_gb * 1024 * 1024))
		if [ -e "$lock" ] || touch "$lock" 2>/dev/null; then
			flock "$lock" timeout "$cap" "$out/sim" "${args[@]}" --scenario "$sc" \
				--until "$until" --json "$f.json" >"$f.txt" 2>"$f.err" || rc=$?
		else
			timeout "$cap" "$out/sim" "${args[@]}" --scenario "$sc" --until "$until" \
				--json "$f.json" >"$f.txt" 2>"$f.err" || rc=$?
		fi
		if [ "$rc" = 124 ]; then
			echo "cut off by the ${cap} s cap at simulated $(tail -n 1 "$f.txt" | awk '{print $2}') s"
			tail -n 1 "$f.txt"
		else
			grep -E '^# (summary|phase|  |control)' "$f.txt" || true
		fi
	done
done
echo "results in $out"
