#!/usr/bin/env bash
# idle-mesh.sh - what an idle mesh costs each node (issue 13's flat control
# traffic target: <= 0.1 CPU s/min and <= 2 KB/s of control traffic per node).
#
#   bench/idle-mesh.sh [N [IDLE_S]]      (as root; defaults N = 100, IDLE_S = 60)
#
# N real invpnd in network namespaces on one bridge (the integration tests'
# harness, tests/integration/lib.sh: namespaces inv<pid>-*, underlay
# 198.18.8.0/24, nothing leaves the machine), a ring of seeds. Once they are
# one mesh and have had IDLE_SETTLE_S (60) s to settle, it measures IDLE_S seconds of nothing
# but control traffic: each daemon's CPU time (utime + stime, /proc/PID/stat)
# and the bytes its underlay veth sent and received (/proc/net/dev in its
# namespace: wire bytes, TCP/IP headers included). Prints per-node median,
# mean and max. Bounded: 120 s to come up and converge, then IDLE_SETTLE_S +
# IDLE_S s.
# A benchmark, not a test: it never fails on a number (exit 0 = measured,
# 3 = the mesh did not form, 77 = cannot run here).
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$(dirname "$0")/../tests/integration/mesh_lib.sh"
it_init

N=${1:-100}
IDLE_S=${2:-60}
make_ca
mesh_make "$N" br 8
read -ra all <<<"$(mesh_names "$N")"
t0=$(now)
for ((i = 1; i <= N; i++)); do
	mesh_launch m$i --init 198.18.8.$(ring_seed "$i" "$N")
done
wait_for 60 mesh_answer "${all[@]}" || bail "not every node came up within 60 s"
if ! wait_for 60 mesh_settled $((N - 1)) "${all[@]}"; then
	diag "no mesh within 60 s: $(mesh_pieces)"
	exit 3
fi
# every node rewires once 10-20 s after its start (a dial, then a drain
# that makes the mesh announce afresh: a one-off cost, not an idle one)
SETTLE_S=${IDLE_SETTLE_S:-60}
diag "$N nodes one mesh (settled $(mesh_settle_time "$t0") s after the launch); settling $SETTLE_S s"
sleep "$SETTLE_S"

HZ=$(getconf CLK_TCK)
# sample NAME - "CPU_TICKS RX_BYTES TX_BYTES" (its veth to the bridge)
sample() {
	local pid=${NODE_PID[$1]} ticks bytes
	ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	bytes=$(nsx "$1" cat /proc/net/dev | awk -v p="${PFX}u" \
		'{ sub(/^ */, "") } index($1, p) == 1 { r += $2; t += $10 } END { print r + 0, t + 0 }')
	echo "$ticks $bytes"
}
declare -A A=()
for n in "${all[@]}"; do
	A[$n]=$(sample "$n")
done
ta=$(now)
sleep "$IDLE_S"
tb=$(now)
: >"$IT_WORK/idle"
for n in "${all[@]}"; do
	read -r c0 r0 x0 <<<"${A[$n]}"
	read -r c1 r1 x1 < <(sample "$n")
	echo "$n $c0 $c1 $r0 $r1 $x0 $x1" >>"$IT_WORK/idle"
done
mesh_snapshot "${all[@]}"
mesh_dump "${all[@]}" && read -r med max < <(mesh_degree_stats)
secs=$(elapsed "$ta" "$tb")
stats() { sort -n | awk '{ v[NR] = $1; s += $1 } END { printf "median %.4f  mean %.4f  max %.4f", v[int((NR + 1) / 2)], s / NR, v[NR] }'; }
echo "idle mesh: N = $N, $secs s measured, links per node median ${med:-?} max ${max:-?}, $(mesh_pieces)"
echo "  CPU s/min per node:      $(awk -v hz="$HZ" -v t="$secs" '{ print ($3 - $2) / hz * 60 / t }' "$IT_WORK/idle" | stats)   (target <= 0.1)"
echo "  wire KB/s sent per node:     $(awk -v t="$secs" '{ print ($7 - $6) / 1000 / t }' "$IT_WORK/idle" | stats)   (target <= 2)"
echo "  wire KB/s received per node: $(awk -v t="$secs" '{ print ($5 - $4) / 1000 / t }' "$IT_WORK/idle" | stats)"
for n in "${all[@]}"; do
	stop_node "$n" >/dev/null 2>&1
done
exit 0
