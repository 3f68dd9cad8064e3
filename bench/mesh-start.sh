#!/usr/bin/env bash
# mesh-start.sh - how long N nodes started at once take to become one mesh,
# and what the signed announcements cost on the way (issue 9: a signed start
# should be as fast as one with sign = no). The start of mesh_scale alone:
# N nodes (MESH_N, default 50) on one bridge, a ring of seeds, MESH_ARGS
# passed to every invpnd (e.g. "--sign no"); RUNS (default 1) starts in a row.
#
#     ns br: bridge, underlay 198.18.9.0/24; mI at 198.18.9.I
#
# Prints per run "settled X s" (the nodes' own last route change after the
# launch, which includes the launch itself: ~1 s for 50 nodes) and the
# sig_*/cert_* counters summed over all nodes, read ~2 s after the settle
# (a CERT frame is ~434 bytes: cert_sent x 434 / N is the CERT bytes per
# node). Run as root under the shared lock:
#   flock /work/heavy.lock env MESH_N=100 RUNS=3 bash bench/mesh-start.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$(dirname "$0")/../tests/integration/mesh_lib.sh"
it_init

N=${MESH_N:-50}
RUNS=${RUNS:-1}
read -ra extra <<<"${MESH_ARGS:-}"
make_ca
mesh_make "$N" br 9
read -ra all <<<"$(mesh_names "$N")"
for ((run = 1; run <= RUNS; run++)); do
	for n in "${all[@]}"; do
		rm -f "$IT_WORK/$n.cache" "$IT_WORK/$n.cache.certs"
	done
	t0=$(now)
	for ((i = 1; i <= N; i++)); do
		mesh_launch m$i --init 198.18.9.$(ring_seed "$i" "$N") "${extra[@]}"
	done
	wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
	if wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
		took=$(mesh_settle_time "$t0")
		line="run $run: N=$N ${MESH_ARGS:-} settled $took s after the launch"
	else
		line="run $run: N=$N ${MESH_ARGS:-} NOT one mesh within 60 s ($(mesh_pieces))"
	fi
	# every node's counters at once, right after the settle
	for n in "${all[@]}"; do
		ctl "$n" status >"$IT_WORK/st.$n" 2>/dev/null &
	done
	sleep 2
	sums=$(cat "$IT_WORK"/st.m* | jq -s -r '[.[] | .counters] as $c | ($c[0] | keys_unsorted | map(select(test("^(sig_|cert_)")))) as $k | $k | map(. as $x | "\($x)=\([$c[] | .[$x] // 0] | add)") | join(" ")')
	ok "$line;$sums"
	for n in "${all[@]}"; do
		stop_node "$n" >/dev/null || true
	done
done
done_testing
