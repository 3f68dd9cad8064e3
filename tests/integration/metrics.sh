#!/usr/bin/env bash
# Prometheus metrics (src/metrics*.c): a node with "metrics" serves GET
# /metrics from its own loop, in a format promtool accepts, with counters that
# move with the traffic; it answers nothing else (405, 404, 431) and keeps
# forwarding through bad requests and 100 idle connections; a SIGUSR2
# re-exec serves it again.
#
#    ns a                                   ns b
#  +----------------------------+  veth  +----------------------------+
#  | invpnd a                   |--------| invpnd b  --init a         |
#  | metrics 127.0.0.1:9120     |        | metrics 198.18.1.2:9121    |
#  | 198.18.1.1, 10.214.0.1/24  |        | 198.18.1.2, 10.214.0.2/24  |
#  +----------------------------+        +----------------------------+
#
# Scrapes come from inside the namespaces (curl, python3); nothing leaves them.
. "$(dirname "$0")/lib.sh"
it_init
it_require curl python3 promtool
it_require_feature metrics
[ -n "$INVPNCTL" ] || bail "needs invpnctl (INVPNCTL)"

MAC_A=02:00:5e:14:00:01
MAC_B=02:00:5e:14:00:02
URL=http://127.0.0.1:9120/metrics

make_ca
make_node a $MAC_A
make_node b $MAC_B
ns_add a b
link_ns a b 1

start_node a --metrics 127.0.0.1:9120
start_node b --init 198.18.1.1 --metrics 198.18.1.2:9121
overlay_ip a 10.214.0.1
overlay_ip b 10.214.0.2
check "a has one up link" wait_for 20 links_eq a 1
check "b has one up link" wait_for 20 links_eq b 1
check "ping a -> b" ping_ok a 10.214.0.2 5

check "a logs where it serves metrics" log_has a 'metrics: serving http://127\.0\.0\.1:9120/metrics'
check "b warns that its metrics address is not loopback" \
	log_has b 'metrics: serving http://198\.18\.1\.2:9121/metrics on an address that is not loopback'

# scrape NAME URL FILE - GET into FILE; prints "CODE CONTENT-TYPE"
scrape() {
	ip netns exec "$PFX-$1" curl -sS --max-time 5 -o "$3" -w '%{http_code} %{content_type}' "$2" \
		2>>"$IT_WORK/curl.err"
}
# value FILE SERIES - the sample of SERIES (name with labels, as printed), or -1
value() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print -1 }' "$1"
}

# ---- the text, and promtool's opinion of it
got=$(scrape a "$URL" "$IT_WORK/m1.txt")
check "GET /metrics: 200, text/plain; version=0.0.4 (got '$got')" \
	[ "$got" = "200 text/plain; version=0.0.4; charset=utf-8" ]
if ip netns exec "$PFX-a" promtool check metrics <"$IT_WORK/m1.txt" >"$IT_WORK/promtool.out" 2>&1; then
	ok "promtool check metrics accepts it ($(grep -c '^invpn_' "$IT_WORK/m1.txt") samples)"
else
	not_ok "promtool check metrics accepts it"
	diag <"$IT_WORK/promtool.out"
fi
check "invpn_build_info names the version" grep -Eq '^invpn_build_info\{version="[0-9.]+",features=".*\+metrics.*"\} 1$' "$IT_WORK/m1.txt"
check "invpn_node_info names a's MAC" grep -q "^invpn_node_info{mac=\"$MAC_A\",interface=\"$IT_TAP\"} 1\$" "$IT_WORK/m1.txt"
check "invpn_links_up is 1" [ "$(value "$IT_WORK/m1.txt" invpn_links_up)" = 1 ]
check "invpn_routes is 1" [ "$(value "$IT_WORK/m1.txt" invpn_routes)" = 1 ]
check "invpn_certificate_expiry_timestamp_seconds is in the future" \
	[ "$(value "$IT_WORK/m1.txt" invpn_certificate_expiry_timestamp_seconds)" -gt "$(date +%s)" ]
# b dialled a: one dial, no failure
got=$(scrape b http://198.18.1.2:9121/metrics "$IT_WORK/b1.txt")
check "b answers on its own address (got '$got')" [ "${got%% *}" = 200 ]
check "b counts its dial to a (invpn_dials_total >= 1)" [ "$(value "$IT_WORK/b1.txt" invpn_dials_total)" -ge 1 ]

# ---- counters move with the traffic
tx='invpn_link_frames_total{peer="'$MAC_B'",direction="tx"}'
txb='invpn_link_bytes_total{peer="'$MAC_B'",direction="tx"}'
tap_rx='invpn_tap_frames_total{direction="rx"}'
f0=$(value "$IT_WORK/m1.txt" "$tx")
b0=$(value "$IT_WORK/m1.txt" "$txb")
t0=$(value "$IT_WORK/m1.txt" "$tap_rx")
ip netns exec "$PFX-a" ping -n -q -c 20 -i 0.05 -W 2 10.214.0.2 >"$IT_WORK/ping.out" 2>&1
scrape a "$URL" "$IT_WORK/m2.txt" >/dev/null
f1=$(value "$IT_WORK/m2.txt" "$tx")
b1=$(value "$IT_WORK/m2.txt" "$txb")
t1=$(value "$IT_WORK/m2.txt" "$tap_rx")
check "per-link tx frames to b grew by at least 20 with 20 pings ($f0 -> $f1)" [ "$f0" -ge 0 -a "$f1" -ge $((f0 + 20)) ]
check "per-link tx bytes to b grew by at least 20 * 98 ($b0 -> $b1)" [ "$b0" -ge 0 -a "$b1" -ge $((b0 + 20 * 98)) ]
check "TAP rx frames grew by at least 20 ($t0 -> $t1)" [ "$t0" -ge 0 -a "$t1" -ge $((t0 + 20)) ]

# ---- a health round and a refused handshake are counted
"$INVPNCTL" -s "$IT_WORK/a.sock" health --wait 0.5 >/dev/null 2>&1
ip netns exec "$PFX-b" python3 -c 'import socket
s = socket.create_connection(("198.18.1.1", 41744), timeout=5)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
s.settimeout(5)
try:
    s.recv(100)
except OSError:
    pass' 2>>"$IT_WORK/curl.err"
refused_tls() {
	scrape a "$URL" "$IT_WORK/m4.txt" >/dev/null
	[ "$(value "$IT_WORK/m4.txt" 'invpn_handshake_refusals_total{reason="tls"}')" -ge 1 ]
}
check "a counts a connection that spoke HTTP instead of TLS (refusals, reason tls)" wait_for 5 refused_tls
check "a counts its health round (invpn_health_rounds_total >= 1)" \
	[ "$(value "$IT_WORK/m4.txt" invpn_health_rounds_total)" -ge 1 ]

# ---- invpnctl metrics: the same series over the control socket
series() { grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort; }
"$INVPNCTL" -s "$IT_WORK/a.sock" metrics >"$IT_WORK/ctl.txt" 2>&1
scrape a "$URL" "$IT_WORK/m3.txt" >/dev/null
if diff <(series "$IT_WORK/ctl.txt") <(series "$IT_WORK/m3.txt") >"$IT_WORK/series.diff"; then
	ok "invpnctl metrics prints the same series as /metrics ($(series "$IT_WORK/ctl.txt" | wc -l))"
else
	not_ok "invpnctl metrics prints the same series as /metrics"
	diag <"$IT_WORK/series.diff"
fi

# ---- nothing but GET /metrics
# code METHOD PATH - the status code a request gets
code() {
	ip netns exec "$PFX-a" curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X "$1" \
		"http://127.0.0.1:9120$2" 2>>"$IT_WORK/curl.err"
}
check "POST /metrics: 405" [ "$(code POST /metrics)" = 405 ]
check "PUT /metrics: 405" [ "$(code PUT /metrics)" = 405 ]
check "GET /: 404" [ "$(code GET /)" = 404 ]
check "GET /other: 404" [ "$(code GET /other)" = 404 ]
check "GET /metrics/x: 404" [ "$(code GET /metrics/x)" = 404 ]
allow=$(ip netns exec "$PFX-a" curl -sS --max-time 5 -o /dev/null -D - -X DELETE "$URL" |
	tr -d '\r' | awk -F': ' 'tolower($1) == "allow" { print $2 }')
check "a 405 says Allow: GET (got '$allow')" [ "$allow" = GET ]

# raw REQUEST-FILE - send it on one connection; prints the status line, or "closed"
raw() {
	ip netns exec "$PFX-a" python3 - "$1" <<'PY'
import socket, sys
data = open(sys.argv[1], "rb").read()
s = socket.create_connection(("127.0.0.1", 9120), timeout=5)
try:
    s.sendall(data)
    line = s.makefile("rb").readline().decode(errors="replace").strip()
except OSError as e:
    line = ""
print(line or "closed")
PY
}
python3 -c 'import sys; sys.stdout.write("GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: " + "a" * 65536 + "\r\n\r\n")' \
	>"$IT_WORK/big.req"
got=$(raw "$IT_WORK/big.req")
check "a 64 KiB header is refused (got '$got')" grep -Eq '^(HTTP/1\.[01] 4[0-9][0-9]|closed)' <<<"$got"
printf 'POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nxxxx' >"$IT_WORK/post.req"
got=$(raw "$IT_WORK/post.req")
check "a POST with a 1 MB body announced is answered 405 (got '$got')" grep -q '^HTTP/1.1 405' <<<"$got"
printf 'NONSENSE\r\n\r\n' >"$IT_WORK/junk.req"
got=$(raw "$IT_WORK/junk.req")
check "a request line that is not HTTP is refused (got '$got')" grep -Eq '^(HTTP/1\.[01] 4[0-9][0-9]|closed)' <<<"$got"
check "after all that, a still forwards (ping a -> b)" ping_ok a 10.214.0.2 3
check "and still answers GET /metrics" [ "$(code GET /metrics)" = 200 ]

# ---- 100 idle connections (held 8 s, then closed)
ip netns exec "$PFX-a" python3 - 100 8 >"$IT_WORK/idle.out" 2>&1 <<'PY' &
import socket, sys, time
n, hold = int(sys.argv[1]), float(sys.argv[2])
socks, refused = [], 0
for i in range(n):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect(("127.0.0.1", 9120))
        if i % 2:
            s.send(b"GET /metr")  # half a request line, never finished
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
print("connected", len(socks), "refused", refused, flush=True)
time.sleep(hold)
for s in socks:
    s.close()
print("closed", flush=True)
PY
IDLE_PID=$!
IT_BG+=("$IDLE_PID")
idle_up() { grep -q '^connected' "$IT_WORK/idle.out"; }
check "100 idle connections are made (or left waiting by the kernel)" wait_for 30 idle_up
diag "$(head -1 "$IT_WORK/idle.out")"
check "with them open, a forwards (ping a -> b)" ping_ok a 10.214.0.2 3
check "with them open, a's control socket answers" node_answers a
wait "$IDLE_PID"
idle_done() { grep -q '^closed' "$IT_WORK/idle.out"; }
check "the idle connections are closed by their client" idle_done
metrics_answers() { [ "$(code GET /metrics)" = 200 ]; }
check "then GET /metrics answers again within 15 s" wait_for 15 metrics_answers
check "a still has its link" links_eq a 1
check "a forwards (ping a -> b)" ping_ok a 10.214.0.2 3

# ---- SIGUSR2: the re-executed daemon binds /metrics again (no fd of the old one leaks)
pid_a=$(node_pid a)
kill -USR2 "$pid_a"
reexeced() { [ "$(grep -c 'metrics: serving http://127.0.0.1:9120/metrics' "$IT_WORK/a.log")" -ge 2 ]; }
check "after SIGUSR2, a serves /metrics again" wait_for 10 reexeced
check "after SIGUSR2, GET /metrics answers" wait_for 10 metrics_answers
check "after SIGUSR2, a links up again" wait_for 15 links_eq a 1
check "after SIGUSR2, a logged no metrics error" not log_has a 'running on without metrics'

check "a exits 0 on SIGTERM" stop_node a
check "b exits 0 on SIGTERM" stop_node b
done_testing
