#!/usr/bin/env bash
# A restarted node rejoins from its peer cache alone.
#
#              ns br: bridge, underlay 198.18.22.0/24
#     +-----------+-----------+
#     n1 .1       n2 .2       n3 .3
#                 init n1     init n1 (first run), then nothing at all
#
# n3 runs once with a seed and learns the mesh; it is stopped (SIGTERM writes
# the cache) and started again with no init, no srv and mdns off, and on
# another port, so that n1 and n2 cannot dial it where they knew it: it must
# dial out from what the cache holds, link up and reach n2. A corrupt cache
# is then ignored with a warning, not trusted and not fatal.
. "$(dirname "$0")/lib.sh"
it_init

make_ca
bridge_add br
for i in 1 2 3; do
	make_node n$i "$(printf '02:00:5e:22:00:%02x' $i)"
	ns_add n$i
	bridge_join br n$i 22 $i
done
start_node n1
start_node n2 --init 198.18.22.1
start_node n3 --init 198.18.22.1
for i in 1 2 3; do
	overlay_ip n$i 10.201.0.$i
done
check "n3 has 2 links on its first run" wait_for 20 links_ge n3 2
check "SIGTERM: n3 exits with status 0" stop_node n3
cache=$IT_WORK/n3.cache
check "the cache file was written" [ -s "$cache" ]
cache_names() { grep -q "^${NODE_MAC[n1]} " "$cache" && grep -q "^${NODE_MAC[n2]} " "$cache"; }
check "the cache names n1 and n2" cache_names
diag "cache: $(tr '\n' '|' <"$cache")"
check "no temporary file is left next to it" [ ! -e "$cache.tmp" ]

t0=$(now)
start_node n3 --port 41745
overlay_ip n3 10.201.0.3 # a new TAP device: the old one went with the old daemon
check "n3 restarted with no seeds rejoins from the cache" wait_for 15 links_ge n3 1
outgoing() { ctlq n3 peers '[.peers[] | select(.state == "up" and .direction == "outgoing")] | length'; }
check "by dialling out itself (outgoing up links: $(outgoing))" [ "$(outgoing)" -ge 1 ]
diag "rejoined $(elapsed "$t0") s after restart"
check "n3 reaches n2 over the overlay again" wait_for 15 ping_ok n3 10.201.0.2
src=$(ctlq n3 nodes '[.nodes[] | .sources[]] | unique | join(",")')
check "its addresses came from the cache (sources: $src)" [ "${src#*cache}" != "$src" ]
check "SIGTERM: n3 exits with status 0" stop_node n3

printf 'not a cache\n02:00:5e:22:00:01 198.18.22.1 41744 mesh 0\n' >"$cache"
start_node n3
check "a cache with a bad header is ignored with a warning" wait_for 5 log_has n3 "not an invpn peer cache"
check "and not trusted: no address from it" \
	[ "$(ctlq n3 nodes '[.nodes[] | select(.sources | index("cache"))] | length')" -eq 0 ]
check "SIGTERM: n3 exits with status 0" stop_node n3
printf '# invpn peer cache v1\ngarbage line\n01:00:5e:00:00:01 198.18.22.1 41744 mesh 0\n02:00:5e:22:00:01 198.18.22.1 41744 mesh 0\n02:00:5e:22:00:02 198.18.22.2 4' >"$cache"
start_node n3
check "bad cache lines are skipped with a warning" wait_for 5 log_has n3 "unreadable cache entry"
check "the good line is kept" \
	[ "$(ctlq n3 nodes '[.nodes[] | select(.sources | index("cache"))] | length')" -eq 1 ]
check "and n3 links up" wait_for 15 links_ge n3 1

for i in 3 2 1; do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
