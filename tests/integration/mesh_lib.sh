# shellcheck shell=bash
# mesh_lib.sh - helpers for the scenarios with many nodes on one bridge
# (mesh_scale, full_seed). Sourced after lib.sh.

# mesh_make N BR SUBNET - certificates, namespaces and underlay for nodes m1..mN,
# mI at 198.18.SUBNET.I on bridge BR (N <= 250)
mesh_make() {
	local n=$1 br=$2 s=$3 i
	bridge_add "$br"
	for ((i = 1; i <= n; i++)); do
		make_node m$i "$(printf '02:00:5e:41:%02x:%02x' $((i / 256)) $((i % 256)))"
		ns_add m$i
		bridge_join "$br" m$i "$s" $i
	done
}

# mesh_names N - the names mesh_make gives, on one line: m1 m2 ... mN
mesh_names() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf 'm%d ' "$i"
	done
}

# ring_seed I N - the host number of node I's seed when N nodes are seeded in
# a ring, each with the node before it (m1 with mN)
ring_seed() {
	echo $((($1 + $2 - 2) % $2 + 1))
}

# mesh_launch NAME [invpnd args] - like start_node, without waiting for it
mesh_launch() {
	local name=$1
	shift
	node_args "$name"
	echo "=== $(date '+%H:%M:%S.%N') start: invpnd ${NODE_ARGS[*]} $*" >>"$IT_WORK/$name.log"
	ip netns exec "$PFX-$name" "$INVPND" "${NODE_ARGS[@]}" "$@" >>"$IT_WORK/$name.log" 2>&1 &
	NODE_PID[$name]=$!
}

# mesh_answer NAME... - every one's control socket answers
mesh_answer() {
	local n
	for n in "$@"; do
		node_answers "$n" || return 1
	done
}

# mesh_routes_eq K NAME... - every NAME has exactly K routes
mesh_routes_eq() {
	local k=$1 n
	shift
	for n in "$@"; do
		[ "$(ctlq "$n" status .routes 2>/dev/null || echo -1)" -eq "$k" ] || return 1
	done
}

# mesh_dump NAME... - "SRC DST VIA" lines (MACs) for every route of every NAME into
# $IT_WORK/routes, "SRC PEER" for every up link into $IT_WORK/edges, and
# "MAC LINKS" into $IT_WORK/degrees
mesh_dump() {
	local n out
	: >"$IT_WORK/routes"
	: >"$IT_WORK/edges"
	: >"$IT_WORK/degrees"
	for n in "$@"; do
		out=$(ctl "$n" routes) || return 1
		jq -r --arg s "${NODE_MAC[$n]}" '.routes[] | "\($s) \(.mac) \(.via)"' <<<"$out" \
			>>"$IT_WORK/routes" || return 1
		out=$(ctl "$n" peers) || return 1
		jq -r --arg s "${NODE_MAC[$n]}" '.peers[] | select(.state == "up") | "\($s) \(.mac)"' \
			<<<"$out" >>"$IT_WORK/edges" || return 1
		echo "${NODE_MAC[$n]} $(links_of "$n")" >>"$IT_WORK/degrees"
	done
}

# mesh_hops - the largest number of hops between any two nodes over the links of
# the last mesh_dump (breadth first from every node); -1 if some node cannot be
# reached. Routes follow the first copy of each announcement, which over links
# of equal delay is a shortest path; a route dump taken node by node over
# seconds mixes announcement rounds, so it is not followed here.
mesh_hops() {
	awk '
	{ adj[$1] = adj[$1] " " $2; adj[$2] = adj[$2] " " $1; node[$1] = 1 }
	END {
		max = 0
		for (s in node) {
			delete dist; dist[s] = 0; q[0] = s; head = 0; tail = 1
			while (head < tail) {
				c = q[head++]; m = split(adj[c], nb, " ")
				for (i = 1; i <= m; i++)
					if (!(nb[i] in dist)) { dist[nb[i]] = dist[c] + 1; q[tail++] = nb[i] }
			}
			for (t in node) {
				if (!(t in dist)) { print -1; exit }
				if (dist[t] > max) max = dist[t]
			}
		}
		print max
	}' "$IT_WORK/edges"
}

# mesh_degree_stats - "MEDIAN MAX" of the link counts of the last mesh_dump
mesh_degree_stats() {
	awk '{ print $2 }' "$IT_WORK/degrees" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d %d\n", v[int((NR + 1) / 2)], v[NR] }'
}

# mesh_snapshot NAME... - every node's status at once (queries run in parallel,
# eight at a time) into $IT_WORK/snap: "NAME ROUTES ROUTES_CHANGED_MS LINKS"
# per line (-1s for a node that does not answer). A sequential pass over 100
# nodes takes seconds itself; the nodes' own timestamps say when it settled.
mesh_snapshot() {
	local n p
	local -a q=()
	mkdir -p "$IT_WORK/snapd"
	rm -f "$IT_WORK/snapd/"*
	for n in "$@"; do
		{
			ctl "$n" status | jq -r --arg n "$n" \
				'"\($n) \(.routes) \(.routes_changed_ms) \(.links)"' \
				>"$IT_WORK/snapd/$n" 2>/dev/null ||
				echo "$n -1 -1 -1" >"$IT_WORK/snapd/$n"
		} &
		q+=($!)
		# (the daemons are this shell's children too: wait for ours by PID)
		if ((${#q[@]} >= 8)); then
			wait "${q[0]}"
			q=("${q[@]:1}")
		fi
	done
	for p in "${q[@]}"; do
		wait "$p"
	done
	cat "$IT_WORK/snapd/"* >"$IT_WORK/snap"
}

# mesh_settled K NAME... - one snapshot in which every NAME has exactly K routes
mesh_settled() {
	local k=$1
	shift
	mesh_snapshot "$@"
	awk -v k="$k" '$2 != k { bad++ } END { exit bad > 0 }' "$IT_WORK/snap"
}

# mesh_settle_time FROM - seconds from FROM (a now value) to the last change of
# a route count in the last snapshot (0 if nothing changed after FROM)
mesh_settle_time() {
	awk -v t0="$1" '{ if ($3 > m) m = $3 } END { d = m / 1000 - t0; printf "%.3f", (d > 0 ? d : 0) }' \
		"$IT_WORK/snap"
}

# mesh_pieces NAME... - "pieces: S1 S2 ..." (sizes, largest first) from the
# routes of the last snapshot: a node with R routes is in a piece of R + 1
# (an estimate: exact when every piece has settled)
mesh_pieces() {
	awk '{ c[$2 + 1]++ } END { for (s in c) printf "%d x %d\n", s, c[s] }' "$IT_WORK/snap" |
		sort -t' ' -k3 -rn | tr '\n' ' '
}
