#!/usr/bin/env bash
# Issue 9, attacks 3 and 6: an insider with a valid certificate, linked to c
# only, lies about who is where (tests/tools/insider.py). The mesh is
# insider_lib.sh's a - b - c - M, every node --min-links 3 (so that each
# dials what it learns).
#
#   spoofing       0x80, 0x82 and 0x81 frames with a's, b's and c's MACs as their
#                  source must reach no TAP (an AF_PACKET sniffer on each
#                  TAP looks for their ethertype); M's own frame to c does
#                  (the sniffer works). INFOs naming 127.0.0.1, 0.0.0.0, a
#                  multicast address and c's own endpoint are never dialled:
#                  a listener on 127.0.0.1 in c's and b's namespaces sees no
#                  connection (it does see one made by hand).
#   cut off        INFOs claim the addresses of a, b and c for made-up MACs.
#                  M leaves; b's directory and cache still name a and c at
#                  their addresses; b restarts on another port with no seed
#                  (so that only its cache can bring it back) and relinks to
#                  a and c within 30 s without the cache being deleted.
. "$(dirname "$0")/lib.sh"
it_init python3
. "$IT_DIR/insider_lib.sh"
MESH_ARGS=(--min-links 3)

insider_mesh

# ---- attack 6: spoofing
for n in a b c; do
	bg_ns $n "$IT_WORK/sniff-$n.out" python3 "$INSIDER" sniff --ifname "$IT_TAP" \
		--log "$IT_WORK/sniff-$n.log" --hold 60
done
for n in b c; do
	bg_ns $n "$IT_WORK/listen-$n.out" python3 "$INSIDER" listen --bind 127.0.0.1:41750 \
		--log "$IT_WORK/listen-$n.log" --hold 60
done
sniffing() { grep -q '^sniffing' "$IT_WORK/sniff-$1.log" 2>/dev/null; }
listening() { grep -q '^listening' "$IT_WORK/listen-$1.log" 2>/dev/null; }
for n in a b c; do
	check "the sniffer on $n's TAP runs" wait_for 10 sniffing $n
done
check "the listeners on 127.0.0.1 run" wait_for 10 listening b
wait_for 5 listening c
insider spoof 40 \
	"unicast dst=$MAC_C src=$MAC_M" \
	"unicast dst=$MAC_C src=$MAC_A count=5" \
	"unicast dst=$MAC_B src=$MAC_A count=5" \
	"unicast dst=$MAC_A src=$MAC_C count=5" \
	"unicast dst=$MAC_C src=$MAC_B count=5" \
	"gso dst=$MAC_C src=$MAC_A count=5" \
	"bcast src=$MAC_A id=now count=5 every=0.01" \
	"bcast src=$MAC_B id=now count=5 every=0.01" \
	"info mac=seq:55:00 id=now ip=127.0.0.1 port=41750 count=3 every=1" \
	"info mac=seq:55:01 id=now ip=0.0.0.0 port=41750 count=3 every=1" \
	"info mac=seq:55:02 id=now ip=224.0.0.1 port=41750 count=3 every=1" \
	"info mac=seq:55:03 id=now ip=198.18.3.1 port=41744 count=3 every=1" \
	"unicast dst=$MAC_C src=$MAC_M" \
	"sleep s=1"
check "M links to c" wait_for 15 peer_up c $MAC_M
check "the spoofing script ran" wait_for 30 insider_done spoof
sleep 8 # time for a dial to the made-up addresses (every node wants 3 links)
seen_from() { awk -v m="$2" '$1 == "seen" && $2 == m { n++ } END { print n + 0 }' "$IT_WORK/sniff-$1.log"; }
check "M's own frame reached c's TAP (the sniffer works: $(seen_from c $MAC_M))" [ "$(seen_from c $MAC_M)" -ge 1 ]
for n in a b c; do
	for s in a b c; do
		[ $n = $s ] && continue
		cnt=$(seen_from $n "${NODE_MAC[$s]}")
		check "no frame forged as $s reached $n's TAP ($cnt)" [ "$cnt" -eq 0 ]
	done
done
diag "c: drop_reverse_path $(counter c drop_reverse_path), drop_spoofed_src $(counter c drop_spoofed_src), refused_address $(counter c refused_address)"
accepted() { awk '$2 == "accepted" { n++ } END { print n + 0 }' "$IT_WORK/listen-$1.log"; }
for n in b c; do
	check "$n never dialled 127.0.0.1 on the mesh's word ($(accepted $n) connections)" [ "$(accepted $n)" -eq 0 ]
done
check "c refused the loopback, unspecified, multicast and own addresses (refused_address $(counter c refused_address))" \
	[ "$(counter c refused_address)" -ge 4 ]
dialled_own() { log_has c "link down: .*198.18.3.1:41744.*link to self"; }
check "c never dialled its own endpoint" not dialled_own
# the listener works: a connection by hand is seen
nsx c bash -c 'exec 3<>/dev/tcp/127.0.0.1/41750' 2>/dev/null
one_accept() { [ "$(accepted c)" -ge 1 ]; }
check "the listener on c sees a connection made by hand" wait_for 5 one_accept
bg_stop "$INSIDER_PID"

# ---- attack 3: cut off after a restart
# the claims go on (every 0.5 s) while b is looked at and stopped: the last
# word before b writes its cache is the attacker's
claims=()
for ((i = 0; i < 40; i++)); do
	claims+=("info mac=seq:44:00 id=now ip=198.18.1.1 port=41744"
		"info mac=seq:44:01 id=now ip=198.18.1.2 port=41744"
		"info mac=seq:44:02 id=now ip=198.18.2.1 port=41744"
		"info mac=seq:44:03 id=now ip=198.18.2.2 port=41744"
		"info mac=seq:44:04 id=now ip=198.18.3.1 port=41744" "sleep s=0.5")
done
insider claims 30 "${claims[@]}"
check "M links to c again" wait_for 15 peer_up c $MAC_M
sleep 4
mac_at() {
	local out
	out=$(ctlq "$1" nodes "[.nodes[] | select(.address == \"$2\") | .mac][0]") || return 1
	echo "$out"
}
check "b's directory still names a at 198.18.1.1:41744 ($(mac_at b 198.18.1.1:41744))" \
	[ "$(mac_at b 198.18.1.1:41744)" = $MAC_A ]
check "b's directory still names c at 198.18.2.2:41744 ($(mac_at b 198.18.2.2:41744))" \
	[ "$(mac_at b 198.18.2.2:41744)" = $MAC_C ]
check "c's directory still names b at 198.18.2.1:41744 ($(mac_at c 198.18.2.1:41744))" \
	[ "$(mac_at c 198.18.2.1:41744)" = $MAC_B ]
check "b refused to rebind (refused_rebind $(counter b refused_rebind))" [ "$(counter b refused_rebind)" -ge 1 ]
check "SIGTERM: b exits with status 0 (while M still makes its claims)" stop_node b
check "the claims were still being made" not insider_done claims
bg_stop "$INSIDER_PID"
check "M has left" wait_for 10 not peer_up c $MAC_M
cache=$IT_WORK/b.cache
diag "b's cache: $(tr '\n' '|' <"$cache")"
bad_lines() { grep -Ec '^02:44:.* 198\.18\.(1\.1|2\.2) ' "$cache"; }
check "b's cache binds no made-up MAC to a's or c's address ($(bad_lines))" [ "$(bad_lines)" -eq 0 ]
cached() { grep -Eq "^$1 $2 41744 " "$cache"; }
check "b's cache names a at its address" cached $MAC_A 198.18.1.1
check "b's cache names c at its address" cached $MAC_C 198.18.2.2
t0=$(now)
start_node b "${MESH_ARGS[@]}" -v --port 41745
check "b, restarted with only its cache, links to a within 30 s" wait_for 30 peer_up b $MAC_A
check "... and to c" wait_for 30 peer_up b $MAC_C
diag "b relinked to a and c $(elapsed "$t0") s after its restart"
check "a -> c ping works again" ping_ok a 10.201.0.3 5
check "the cache is still there" [ -s "$cache" ]
check "no bad frames anywhere" counters_zero bad_frames a b c

done_testing
