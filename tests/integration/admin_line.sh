#!/usr/bin/env bash
# Mesh-wide health, traceroute and graph from one end of a line of five.
#
#   n1 ---- n2 ---- n3 ---- n4 ---- n5       underlay 198.18.3<k>.0/24 per hop
#   .1   .2 .1   .2 .1   .2 .1   .2         (n1 and n5 share no link)
#   each n<k+1> has init n<k> and min-links 1, so the line stays a line
#
#   overlay: n<i> has 10.201.0.<i>/24
#
# Checks: `health` from n1 lists all five with their links; `traceroute n5`
# prints exactly the four hops there and back; `graph` is valid DOT with
# exactly the four edges; every --json output parses and has the documented
# keys; every table fits 100 columns and --wide shows more; status says mdns
# is off and there is no DNS name; a lone node n6 (no links at all) prints
# its empty lists as [] exactly; invpnctl with no daemon exits 1 with one
# line; 50 control clients at once and one that never reads do not disturb
# forwarding.
. "$(dirname "$0")/lib.sh"
it_init dot
[ -n "$INVPNCTL" ] || it_missing "this test needs invpnctl (INVPNCTL)"

make_ca
for i in 1 2 3 4 5; do
	make_node n$i "$(printf '02:00:5e:30:00:%02x' $i)"
	ns_add n$i
done
for i in 1 2 3 4; do
	link_ns n$i n$((i + 1)) 3$i
done
start_node n1 --min-links 1
for i in 2 3 4 5; do
	start_node n$i --min-links 1 --init 198.18.3$((i - 1)).1
done
for i in 1 2 3 4 5; do
	overlay_ip n$i 10.201.0.$i
done
check "n1 learns routes to all four others" wait_for 30 routes_ge n1 4
check "n5 learns routes to all four others" wait_for 30 routes_ge n5 4
check "n1 pings n5 across three relays" wait_for 15 ping_ok n1 10.201.0.5

ctl_n1() { "$INVPNCTL" -s "$IT_WORK/n1.sock" "$@"; }
mac() { echo "${NODE_MAC[n$1]}"; }
# json_ok JSON FILTER - there is a reply and FILTER holds for it (jq -e on no
# input at all exits 0, so an empty reply must not get that far)
json_ok() { [ -n "$1" ] && jq -e "$2" <<<"$1" >/dev/null; }
n3_json() { "$INVPNCTL" -s "$IT_WORK/n3.sock" --json "$@"; }

# ---- health
out=$(ctl_n1 health --wait 2)
rc=$?
diag "health:"; sed 's/^/#   /' <<<"$out"
check "health exits 0" [ $rc -eq 0 ]
for i in 1 2 3 4 5; do
	check "health lists n$i" grep -q "$(mac $i)" <<<"$out"
done
json=$(ctl_n1 --json health --wait 2)
check "health --json has ok, command, id, wait_ms, self, answers" \
	json_ok "$json" 'has("ok") and has("command") and has("id") and has("wait_ms") and has("self") and has("answers")'
check "four nodes answer besides n1" [ "$(jq '.answers | length' <<<"$json")" -eq 4 ]
check "every answer has mac, rtt_ms, hops, links, routes, trace, rtrace" \
	json_ok "$json" '[.answers[] | has("mac") and has("rtt_ms") and has("hops") and has("links") and has("routes") and has("trace") and has("rtrace")] | all'
for i in 2 3 4 5; do
	hops=$(jq --arg m "$(mac $i)" '.answers[] | select(.mac == $m) | .hops' <<<"$json")
	check "n$i is $((i - 1)) hop(s) away" [ "$hops" = $((i - 1)) ]
done
links3=$(jq -c --arg m "$(mac 3)" '.answers[] | select(.mac == $m) | .links | sort' <<<"$json")
check "n3 reports its links to n2 and n4 ($links3)" [ "$links3" = "[\"$(mac 2)\",\"$(mac 4)\"]" ]

# ---- traceroute
out=$(ctl_n1 traceroute "$(mac 5)" --wait 2)
rc=$?
diag "traceroute:"; sed 's/^/#   /' <<<"$out"
check "traceroute exits 0" [ $rc -eq 0 ]
json=$(ctl_n1 --json traceroute "$(mac 5)" --wait 2)
check "traceroute --json has ok, command, target, answered, rtt_ms, forward, return" \
	json_ok "$json" 'has("ok") and has("command") and has("target") and has("answered") and has("rtt_ms") and has("forward") and has("return")'
fwd=$(jq -r '.forward | join(" ")' <<<"$json")
ret=$(jq -r '.return | join(" ")' <<<"$json")
check "forward path is n2 n3 n4 n5 ($fwd)" [ "$fwd" = "$(mac 2) $(mac 3) $(mac 4) $(mac 5)" ]
check "return path is n4 n3 n2 n1 ($ret)" [ "$ret" = "$(mac 4) $(mac 3) $(mac 2) $(mac 1)" ]
ctl_n1 traceroute 02:00:5e:30:00:99 --wait 1 >"$IT_WORK/tr.out" 2>&1
rc=$?
check "traceroute to a MAC nobody has exits 1" [ $rc -eq 1 ]
check "and says it had no answer" grep -q "no answer" "$IT_WORK/tr.out"

# ---- graph
ctl_n1 graph --wait 2 >"$IT_WORK/mesh.dot"
check "graph exits 0" [ $? -eq 0 ]
check "dot accepts the graph" dot -Tsvg -o "$IT_WORK/mesh.svg" "$IT_WORK/mesh.dot"
edges=$(grep -c -- ' -- ' "$IT_WORK/mesh.dot")
check "the graph has exactly the 4 links of the line ($edges)" [ "$edges" -eq 4 ]
for i in 1 2 3 4; do
	check "edge n$i -- n$((i + 1)) is there" \
		grep -Eq "\"($(mac $i)|$(mac $((i + 1))))\" -- \"($(mac $i)|$(mac $((i + 1))))\"" "$IT_WORK/mesh.dot"
done
json=$(ctl_n1 --json graph --wait 2)
check "graph --json: self, nodes (5), edges (4)" \
	json_ok "$json" '(.self | type == "string") and (.nodes | length == 5) and (.edges | length == 4)'

# ---- local views, as JSON, with their documented keys
check "status --json keys" json_ok "$(n3_json status)" 'has("mac") and has("interface") and has("port") and has("uptime_s") and has("links") and has("routes") and has("counters")'
# (each list is non-empty on n3, or "every entry has the keys" would say nothing)
check "peers --json keys" json_ok "$(n3_json peers)" '(.peers | length > 0) and ([.peers[] | has("mac") and has("address") and has("direction") and has("age_s") and has("tls_version") and has("cipher") and has("rx_frames") and has("tx_bytes") and has("drops")] | all)'
check "routes --json keys" json_ok "$(n3_json routes)" '(.routes | length > 0) and ([.routes[] | has("mac") and has("via") and has("age_s")] | all)'
check "nodes --json keys" json_ok "$(n3_json nodes)" '(.nodes | length > 0) and ([.nodes[] | has("mac") and has("address") and has("source") and has("sources")] | all)'
for c in status peers routes nodes; do
	check "$c (table) exits 0" "$INVPNCTL" -s "$IT_WORK/n3.sock" $c
done

# ---- tables fit 100 columns; --wide shows every column
quiet() { "$@" >/dev/null; }
widest() { awk '{ n = length($0); if (n > m) m = n } END { print m + 0 }'; }
for c in status peers routes nodes; do
	for n in n1 n3; do
		out=$("$INVPNCTL" -s "$IT_WORK/$n.sock" $c)
		w=$(widest <<<"$out")
		check "$c on $n: every line fits 100 columns (widest $w)" [ "$w" -le 100 ]
	done
done
out=$(ctl_n1 health --wait 1)
w=$(widest <<<"$out")
check "health: every line fits 100 columns (widest $w)" [ "$w" -le 100 ]
out=$("$INVPNCTL" -s "$IT_WORK/n3.sock" peers)
diag "peers on n3:"; sed 's/^/#   /' <<<"$out"
check "peers shows traffic by default (RX BYTES, TX BYTES)" grep -q "RX BYTES.*TX BYTES" <<<"$out"
wide=$("$INVPNCTL" -s "$IT_WORK/n3.sock" --wide peers)
diag "peers --wide on n3:"; sed 's/^/#   /' <<<"$wide"
w=$(widest <<<"$wide")
check "peers --wide is wider than 100 columns ($w)" [ "$w" -gt 100 ]
check "peers --wide adds TLS, CIPHER, frame counts and QUEUED" \
	grep -Eq "TLS +CIPHER .*RX FRAMES .*TX FRAMES .*QUEUED" <<<"$wide"
check "peers --wide shows the cipher of each link" \
	[ "$(grep -Ec ' up .*TLSv1\.3 +TLS_' <<<"$wide")" -eq 2 ]
check "peers --wide after the command works too" quiet "$INVPNCTL" -s "$IT_WORK/n3.sock" peers --wide

# ---- status: mDNS and DNS
json=$("$INVPNCTL" -s "$IT_WORK/n3.sock" --json status)
check "status --json: mdns.state is off (mdns = no), with the documented keys" \
	quiet jq -e '.mdns.state == "off" and (.mdns | has("service_name") and has("browsing") and has("services") and has("resolved") and has("error") and has("retry_in_s"))' <<<"$json"
check "status --json: dns is [] (no names in init or srv)" quiet jq -e '.dns == []' <<<"$json"
out=$("$INVPNCTL" -s "$IT_WORK/n3.sock" status)
check "status says mdns is off" grep -Eq '^mdns: +off \(mdns = no\)$' <<<"$out"
check "status says there is no DNS name to look up" grep -Eq '^dns: +no names to look up' <<<"$out"

# ---- a node with no links at all: empty lists are [] exactly
ns_add n6
make_node n6 02:00:5e:30:00:06
start_node n6 --min-links 0
for c in peers routes nodes; do
	json=$("$INVPNCTL" -s "$IT_WORK/n6.sock" --json $c)
	check "lone n6: $c --json prints \"$c\": [] on one line" grep -qx "  \"$c\": \[\]" <<<"$json"
	check "lone n6: $c --json has no empty multi-line array" not grep -Eq '\[$' <<<"$json"
done
json=$("$INVPNCTL" -s "$IT_WORK/n6.sock" --json status)
check "lone n6: status --json prints \"dns\": []" grep -qx '  "dns": \[\],' <<<"$json"
json=$("$INVPNCTL" -s "$IT_WORK/n6.sock" --json health --wait 0.5)
check "lone n6: health --json prints \"answers\": []" \
	grep -Eqx '  "answers": \[\],?' <<<"$json"
check "lone n6: ... and its own empty trace as []" grep -qx '    "trace": \[\],' <<<"$json"
out=$("$INVPNCTL" -s "$IT_WORK/n6.sock" peers)
check "lone n6: peers says there are no links ($out)" [ "$out" = "no links" ]
check "SIGTERM: n6 exits with status 0" stop_node n6

# ---- no daemon
out=$("$INVPNCTL" -s "$IT_WORK/nothing.sock" status 2>&1)
rc=$?
check "invpnctl with no daemon exits 1" [ $rc -eq 1 ]
check "with one line of explanation ($out)" [ "$(wc -l <<<"$out")" -eq 1 ]

# ---- many control clients and a stuck one do not disturb forwarding
bg_ns n1 "$IT_WORK/ping.out" ping -n -i 0.05 -c 200 -W 1 10.201.0.5
ping_pid=$BG_PID
# one client that sends a request and never reads the answer
bg_ns n1 /dev/null bash -c "exec 3<>/dev/null; while :; do printf 'peers\n'; sleep 0.01; done | socat -u - UNIX-CONNECT:$IT_WORK/n1.sock,rcvbuf=1024 & sleep 15"
for k in $(seq 50); do
	"$INVPNCTL" -s "$IT_WORK/n1.sock" health --wait 1 >/dev/null 2>&1 &
	IT_BG+=("$!")
done
wait "$ping_pid"
lost=$(grep -oE '[0-9]+% packet loss' "$IT_WORK/ping.out")
check "200 pings n1 -> n5 during the control storm all arrive ($lost)" grep -q " 0% packet loss" "$IT_WORK/ping.out"
check "n1 still answers status" "$INVPNCTL" -s "$IT_WORK/n1.sock" status
check "no link desynchronised by HEALTH frames (bad_frames 0 on all five)" \
	counters_zero bad_frames n1 n2 n3 n4 n5
for i in 1 2 3 4 5; do
	check "n$i still has its links" links_ge n$i 1
done

for i in 5 4 3 2 1; do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
