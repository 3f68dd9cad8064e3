#!/usr/bin/env bash
# An outsider holding every handshake slot it can, from one address, must not
# keep valid nodes out (link.c link_admit, LINK_SILENT_MS).
#
#                ns br: bridge, underlay 198.18.7.0/24
#        +-----------------+-----------------+-----------------+
#        a .1              b .2              f .3              c .4
#        invpnd            invpnd            300 TCP           invpnd, started
#        10.201.0.1        --init a          connections to    during the flood,
#                          10.201.0.2        a:41744, reopened --init a (never
#                                            as a closes them  linked to a before)
#
# a holds at most LINK_PENDING_PER_ADDR (8) unfinished handshakes from f,
# refuses the rest at once (links_refused_per_addr), closes those that send no
# TLS byte after 2 s (links_closed_silent); b's link keeps carrying a
# continuous ping, c links in, a's control socket answers.
. "$(dirname "$0")/lib.sh"
it_init ss

MAC_A=02:00:5e:80:00:01
MAC_B=02:00:5e:80:00:02
MAC_C=02:00:5e:80:00:04
N=300
PER_ADDR=8

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node c $MAC_C
bridge_add br
ns_add a b f c
bridge_join br a 7 1
bridge_join br b 7 2
bridge_join br f 7 3
bridge_join br c 7 4

start_node a
start_node b --init 198.18.7.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "a -> b ping" ping_ok a 10.201.0.2 3
check "no handshakes pending before the flood" pending_eq a 0

# the flooder: keep up to N connections open, reopening each one a closes (at
# most 300 a second), for HOLD seconds or MAX opens; prints its totals every second
cat >"$IT_WORK/flood.py" <<'EOF2'
import select, socket, sys, time
n, host, port, hold, maxopen = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
opened = closed = failed = 0
socks = set()
start = time.time()
end = start + hold
last = 0
while time.time() < end:
    # at most 300 new connections a second: a steady siege, not a burst that is over at once
    allowed = min(maxopen, int((time.time() - start) * 300) + n)
    while len(socks) < n and opened < allowed:
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.setblocking(False)
            socks.add(s)
            opened += 1
        except OSError:
            failed += 1
            break
    if socks:
        r, _, _ = select.select(list(socks), [], [], 0.1)
        for s in r:
            try:
                data = s.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                socks.discard(s)
                s.close()
                closed += 1
    else:
        time.sleep(0.1)
    if time.time() - last >= 1:
        last = time.time()
        print("opened %d closed %d failed %d holding %d" % (opened, closed, failed, len(socks)), flush=True)
print("done opened %d closed %d failed %d" % (opened, closed, failed), flush=True)
EOF2
command -v python3 >/dev/null || bail "python3 is needed for the flooder"

bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.2 -c 300 -w 60 10.201.0.2
ping_pid=$BG_PID
t_ping=$(now)
bg_ns f "$IT_WORK/flood.out" python3 "$IT_WORK/flood.py" $N 198.18.7.1 41744 25 20000
flood_pid=$BG_PID
opened_n() { awk -v n=$N '/^opened/ && $2 >= n { f = 1 } END { exit !f }' "$IT_WORK/flood.out"; }
check "the flooder has opened $N connections to a" wait_for 15 opened_n

# while it floods: sample a's pending handshakes
max_pending=0 i=0 answered=0
t_flood=$(now)
while [ $i -lt 20 ]; do
	i=$((i + 1))
	p=$(ctlq a status .links_pending) && answered=$((answered + 1))
	[ -n "$p" ] && [ "$p" -gt "$max_pending" ] && max_pending=$p
	[ $i -eq 3 ] && start_node c --init 198.18.7.1
	sleep 0.4
done
diag "a's pending handshakes during the flood: at most $max_pending (of $i samples, $answered answered)"
check "a's control socket answered all $i status requests during the flood" [ "$answered" -eq $i ]
check "a never held more than $PER_ADDR pending handshakes from f (max $max_pending)" \
	[ "$max_pending" -le $PER_ADDR ]
check "and it did hold some (max $max_pending)" [ "$max_pending" -ge 1 ]
check "c, a node a never saw before, linked in during the flood" wait_for 10 peer_up a $MAC_C
check "c has a route to b through a" wait_for 10 has_route c $MAC_B
per_addr=$(counter a links_refused_per_addr)
silent=$(counter a links_closed_silent)
full=$(counter a links_refused_full)
diag "a: links_refused_per_addr $per_addr, links_closed_silent $silent, links_refused_full $full, links_refused $(counter a links_refused)"
check "refusals for too many handshakes from one address are counted ($per_addr)" [ "$per_addr" -gt 0 ]
check "connections that sent no TLS byte were closed and counted ($silent)" [ "$silent" -gt 0 ]
check "no slot ran out ($full)" [ "$full" -eq 0 ]
check "the a <=> b link is still up" peer_up a $MAC_B
grep -E '^opened' "$IT_WORK/flood.out" | tail -n 1 | sed 's/^/# flooder: /'

bg_stop "$flood_pid" TERM
check "no pending handshakes 3 s after the flood" wait_for 3 pending_eq a 0
# ss_count NS STATE DST - TCP sockets of NS in STATE to DST (-1 if ss fails)
ss_count() {
	local out
	out=$(nsx "$1" ss -Htn state "$2" dst "$3") || { echo -1; return; }
	if [ -z "$out" ]; then echo 0; else wc -l <<<"$out"; fi
}
est() { [ "$(ss_count a established 198.18.7.3)" -eq 0 ]; }
check "ss on a: no connection from the flooder is left established" wait_for 5 est

bg_stop "$ping_pid" INT
read -r gap n_replies _ < <(ping_max_gap "$IT_WORK/ping.out" "$(now)" "$t_ping")
diag "a -> b continuous ping: $n_replies replies, longest gap $gap s"
check "a -> b never stopped answering for more than 1 s" awk -v g="$gap" 'BEGIN { exit !(g <= 1.0) }'
check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b
check "SIGTERM: c exits with status 0" stop_node c

done_testing
