#!/usr/bin/env bash
# Print the module include graph of src/ ("a b": module a includes b.h) and
# fail if a cycle runs through a module that must stay below the daemon
# layer (links, health rounds, discovery, and every leaf).
# Usage: tools/include-graph.sh [--dot]
set -euo pipefail
cd "$(dirname "$0")/.."
edges=$(for f in src/*.c src/*.h; do
	m=$(basename "${f%.*}")
	sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f" | while read -r i; do
		[ "$i" = "$m" ] || [ "$i" = version ] || echo "$m $i"
	done
done | LC_ALL=C sort -u)
if [ "${1:-}" = --dot ]; then
	echo "digraph includes {"
	while read -r a b; do echo "  \"$a\" -> \"$b\";"; done <<<"$edges"
	echo "}"
	exit 0
fi
python3 - "$edges" <<'PY'
import sys
from collections import defaultdict
g = defaultdict(set)
for line in sys.argv[1].splitlines():
    a, b = line.split()
    g[a].add(b)
# the daemon layer: these work on struct invpnd and may call each other
upper = {"daemon", "switch", "announce", "autoconnect", "control", "notify", "notify_none", "main",
         "build", "metrics", "withdraw"}
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in g[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(sorted(c))
for v in list(g):
    if v not in index: visit(v)
bad = [c for c in sccs if set(c) - upper]
for c in sccs:
    print(("CYCLE through lower modules: " if c in bad else "daemon layer: ") + " ".join(c))
for m in ("link", "health", "mdns", "resolve"):
    print(f"{m} includes: {' '.join(sorted(g[m]))}")
sys.exit(1 if bad else 0)
PY
