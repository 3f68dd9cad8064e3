#!/usr/bin/env bash
# An authenticated peer sends garbage; only its own link is closed.
#
#                ns br: bridge, underlay 198.18.6.0/24
#        +-----------------+-----------------+
#        a .1              b .2              m .3
#        invpnd            invpnd            openssl s_client with a valid
#        10.201.0.1        --init a          node certificate (invpn-pki),
#                          10.201.0.2        one connection per bad frame
#
#   a <=> b is the good link; a continuous ping a -> b runs throughout.
#
# Each malformed frame (length 0, INFO with a bad iptype, HEALTH RESPONSE
# whose counts run past its end, and other too-short frames) must make a
# close that link (s_client sees the close), count it in bad_frames and log
# why, while a keeps running and a <=> b keeps carrying pings. A frame of an
# unknown type, by contrast, is skipped and leaves the link up.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:70:00:01
MAC_B=02:00:5e:70:00:02
MAC_M=02:00:5e:70:00:03

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node m $MAC_M
bridge_add br
ns_add a b m
bridge_join br a 6 1
bridge_join br b 6 2
bridge_join br m 6 3

start_node a
start_node b --init 198.18.6.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "a -> b ping" ping_ok a 10.201.0.2 3

bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.2 -c 600 -w 120 10.201.0.2
ping_pid=$BG_PID
t_ping=$(now)

M=$(certdir m)
# attack SECONDS BYTES - one TLS connection from m that sends BYTES (printf format);
# the status is s_client's (from a file, not a pipe: a printf killed by SIGPIPE
# when s_client quits early would give 141 under pipefail instead)
attack() {
	# shellcheck disable=SC2059 # the bytes are a printf format on purpose
	printf "$2" >"$IT_WORK/m.in" || return 99
	nsx m timeout "$1" openssl s_client -quiet -cert "$M/node.crt" -key "$M/node.key" \
		-CAfile "$M/ca.crt" -connect 198.18.6.1:41744 <"$IT_WORK/m.in" >"$IT_WORK/m.out" 2>"$IT_WORK/m.err"
}
ups() { grep -c "link up: $MAC_M" "$IT_WORK/a.log"; }
bad_gt() { [ "$(counter a bad_frames)" -gt "$1" ]; }

ID='\x00\x00\x01\x8b\xcf\xe5\x68\x00'     # an i64 broadcast id
MAC='\x02\x00\x5e\x70\x00\x77'
# name|bytes (after the TLS handshake)|what a's log must say
CASES=(
	"length 0|\x00\x00|protocol error: frame of length 0"
	"INFO with iptype 7|\x00\x13\x01\x01${ID}${MAC}\xa2\x10\x07|malformed INFO frame \(type 0x01\)"
	"INFO whose iptype says IPv6 but 4 bytes follow|\x00\x17\x01\x01${ID}${MAC}\xa2\x10\x02\xc6\x12\x06\x09|malformed INFO frame \(type 0x01\)"
	"HEALTH RESPONSE whose nconn runs past its end|\x00\x18\x03\x01${MAC}${MAC}${ID}\x00\x05|malformed HEALTH RESPONSE frame \(type 0x03\)"
	"HEALTH RESPONSE whose nroutes runs past its end|\x00\x20\x03\x01${MAC}${MAC}${ID}\x00\x01${MAC}\xff\xff|malformed HEALTH RESPONSE frame \(type 0x03\)"
	"ANNOUNCE of 4 bytes|\x00\x05\x00\x01\x00\x00\x00|malformed ANNOUNCE frame \(type 0x00\)"
	"HEALTH REQUEST with half a trace MAC|\x00\x13\x02\x01${ID}${MAC}\x02\x00\x5e|malformed HEALTH REQUEST frame \(type 0x02\)"
	"BROADCAST shorter than id + src|\x00\x04\x81\x00\x00\x01|malformed BROADCAST frame \(type 0x81\)"
	"UNICAST shorter than two MACs|\x00\x03\x80\x02\x00|malformed UNICAST frame \(type 0x80\)"
)

for c in "${CASES[@]}"; do
	IFS='|' read -r name bytes why <<<"$c"
	b0=$(counter a bad_frames)
	u0=$(ups)
	t=$(now)
	attack 10 "$bytes"
	rc=$?
	# 0: a closed it with close_notify (124 would be a timeout: the link stayed;
	# 1 a close without close_notify, as after a crash)
	check "$name: a closed the link cleanly (s_client status $rc after $(elapsed "$t") s)" [ $rc -eq 0 ]
	check "$name: the link had come up first" [ "$(ups)" -gt "$u0" ]
	check "$name: bad_frames grew" wait_for 5 bad_gt "$b0"
	check "$name: a logs why" wait_for 5 log_has a "link down: $MAC_M .*: $why"
	check "$name: a is still running" node_answers a
	check "$name: a <=> b still pings" ping_ok a 10.201.0.2 3
done

# the contrast: an unknown frame type is skipped, the link stays
b0=$(counter a bad_frames)
u0=$(ups)
attack 3 '\x00\x05\x42\xde\xad\xbe\xef'
rc=$?
check "unknown type 0x42: the link stayed up until s_client gave up (status $rc)" [ $rc -eq 124 ]
check "unknown type 0x42: the link had come up" [ "$(ups)" -gt "$u0" ]
check "unknown type 0x42: bad_frames unchanged" [ "$(counter a bad_frames)" -eq "$b0" ]

bg_stop "$ping_pid" INT
read -r gap n_replies _ < <(ping_max_gap "$IT_WORK/ping.out" "$(now)" "$t_ping")
diag "a -> b ping during the attacks: $n_replies replies in $(elapsed "$t_ping") s, longest gap $gap s"
grep -E 'packets transmitted' "$IT_WORK/ping.out" | sed 's/^/# /'
check "a -> b never stopped answering for more than 1 s" \
	awk -v g="$gap" 'BEGIN { exit !(g <= 1.0) }'
check "b's link to a never went down" not log_has b 'link down'
check "a counted ${#CASES[@]} bad frames in all" [ "$(counter a bad_frames)" -eq ${#CASES[@]} ]
check "b counted none" [ "$(counter b bad_frames)" -eq 0 ]
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b

done_testing
