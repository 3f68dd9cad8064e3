#!/usr/bin/env bash
# 200 TCP connections that never start TLS must not hurt a, and must go.
#
#                ns br: bridge, underlay 198.18.7.0/24
#        +-----------------+-----------------+
#        a .1              b .2              f .3
#        invpnd            invpnd            200 TCP connections to a:41744
#        10.201.0.1        --init a          that send nothing and stay open
#                          10.201.0.2
#
# While the connections hang, a <=> b keeps carrying a continuous ping and
# a's control socket answers. Handshakes time out after 10 s: some 11 s
# after they were opened a has no link left in handshake state
# (links_pending 0), has counted them in links_refused, and `ss` shows a
# closed them from its side (FIN-WAIT-2 on a, CLOSE-WAIT on f).
. "$(dirname "$0")/lib.sh"
it_init ss

MAC_A=02:00:5e:80:00:01
MAC_B=02:00:5e:80:00:02
N=200

make_ca
make_node a $MAC_A
make_node b $MAC_B
bridge_add br
ns_add a b f
bridge_join br a 7 1
bridge_join br b 7 2
bridge_join br f 7 3

start_node a
start_node b --init 198.18.7.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "a -> b ping" ping_ok a 10.201.0.2 3
check "no handshakes pending before the flood" pending_eq a 0
r0=$(counter a links_refused)

# the flooder: open N connections, report how many the far end has closed,
# keep every socket open until killed (or HOLD seconds)
cat >"$IT_WORK/flood.py" <<'EOF'
import select, socket, sys, time
n, host, port, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    socks.append(s)
print("open %d" % len(socks), flush=True)
open_ = set(socks)
end = time.time() + hold
while time.time() < end:
    if open_:
        r, _, _ = select.select(list(open_), [], [], 0.2)
        for s in r:
            try:
                data = s.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                open_.discard(s)
        if r:
            print("closed %d" % (n - len(open_)), flush=True)
    else:
        time.sleep(0.2)
EOF
command -v python3 >/dev/null || bail "python3 is needed for the flooder"

bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.2 -c 300 -w 60 10.201.0.2
ping_pid=$BG_PID
t_ping=$(now)
bg_ns f "$IT_WORK/flood.out" python3 "$IT_WORK/flood.py" $N 198.18.7.1 41744 40
flood_pid=$BG_PID
if wait_for 15 grep -q "^open $N" "$IT_WORK/flood.out"; then
	t_open=$(now)
	ok "$N connections to a are open"
else
	sed 's/^/# /' "$IT_WORK/flood.out"
	bail "the flooder could not open $N connections"
fi
pending_ge() { [ "$(ctlq "$1" status .links_pending)" -ge "$2" ]; }
pending=$(ctlq a status .links_pending)
check "a sees them as pending handshakes (links_pending $pending)" \
	wait_for 5 pending_ge a $N

# meanwhile: the good link works, and a answers its control socket
i=0 pings=0 ping_fail=0
while [ "$(ctlq a status .links_pending)" -ne 0 ] && [ $i -lt 60 ]; do
	i=$((i + 1))
	pings=$((pings + 1))
	ping_ok b 10.201.0.1 1 || ping_fail=$((ping_fail + 1))
	sleep 0.2
done
t_zero=$(now)
took=$(elapsed "$t_open" "$t_zero")
diag "links_pending reached 0 $took s after the $N connections were open"
check "$pings pings b -> a during the flood: $ping_fail failed" [ $ping_fail -eq 0 ]
check "no pending handshakes left (links_pending 0)" pending_eq a 0
check "they timed out after the 10 s handshake timeout, not before ($took s)" \
	awk -v t="$took" 'BEGIN { exit !(t >= 9.5) }'
check "and within 13 s of opening" awk -v t="$took" 'BEGIN { exit !(t <= 13) }'
r1=$(counter a links_refused)
refused_all() { [ "$r0" -ge 0 ] && [ $((r1 - r0)) -ge $N ]; }
check "a counted them in links_refused (+$((r1 - r0)))" refused_all
check "the a <=> b link is still up" peer_up a $MAC_B
check "a has no other link" links_eq a 1

# a closed them from its side: FIN-WAIT-2 on a, CLOSE-WAIT on f
check "the flooder saw all $N closed" wait_for 5 grep -q "^closed $N\$" "$IT_WORK/flood.out"
# ss_count NS STATE DST - TCP sockets of NS in STATE to DST (-1 if ss fails)
ss_count() {
	local out
	out=$(nsx "$1" ss -Htn state "$2" dst "$3") || { echo -1; return; }
	if [ -z "$out" ]; then echo 0; else wc -l <<<"$out"; fi
}
fw2=$(ss_count a fin-wait-2 198.18.7.3)
est=$(ss_count a established 198.18.7.3)
cw=$(ss_count f close-wait 198.18.7.1)
diag "ss on a: $fw2 FIN-WAIT-2, $est ESTABLISHED to the flooder; ss on f: $cw CLOSE-WAIT"
check "ss on a: no connection from the flooder is established" [ "$est" -eq 0 ]
check "ss on a: all $N closed by a (FIN-WAIT-2)" [ "$fw2" -eq $N ]
check "ss on f: all $N closed by the far end (CLOSE-WAIT)" [ "$cw" -eq $N ]

bg_stop "$flood_pid" TERM
bg_stop "$ping_pid" INT
read -r gap n_replies _ < <(ping_max_gap "$IT_WORK/ping.out" "$(now)" "$t_ping")
diag "a -> b continuous ping: $n_replies replies, longest gap $gap s"
grep -E 'packets transmitted' "$IT_WORK/ping.out" | sed 's/^/# /'
check "a -> b never stopped answering for more than 1 s" awk -v g="$gap" 'BEGIN { exit !(g <= 1.0) }'
check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b

done_testing
