#!/usr/bin/env bash
# An authenticated peer sends UNICAST_GSO frames with hostile offload headers.
#
#                ns br: bridge, underlay 198.18.8.0/24
#        +-----------------+-----------------+
#        a .1              b .2              m .3
#        invpnd            invpnd            openssl s_client with a valid
#        (offload: the     --offload no      node certificate: one TLS
#        kernel checks     (software         connection to a, one to b, each
#        the header)       segmentation)     carrying every frame below
#        10.201.0.1        --init a
#                          10.201.0.2
#
# A UNICAST_GSO frame (0x82) is well-formed at the framing level, so its
# virtio header and TCP/IP headers reach deeper code: the kernel's checks
# on a, invpnd's own segmentation on b. Frames (dst = the target's MAC):
# gso_size 0; GSO type TCPv6 on an IPv4 packet; a checksum offset beyond the
# frame; IHL 15 in a short packet; a TCP data offset past the end; an
# unknown GSO type; an empty payload with ECN; 1400 bytes cut at gso_size 1;
# a 64 KiB frame cut at gso_size 1 (65 470 segments from one frame); and
# one good super-frame (5000 bytes at gso_size 1400).
# Both daemons must survive; each must check a peer's header itself before
# it reaches the kernel or the segmenter, so both count the nine hostile
# ones in drop_offload (no segment size under 256 is taken from a peer); the
# good one goes through (to a's kernel whole, cut into 4 on b); and a <=> b
# must keep carrying pings. What reaches each TAP is counted by tcpdump on
# it, by TCP source port: 40000 for the hostile frames (none may arrive),
# 40001 for the good one (seen whole on a, as 4 segments on b), so that the
# pings and other traffic on the TAPs meanwhile count for nothing.
. "$(dirname "$0")/lib.sh"
it_init python3 tcpdump

MAC_A=02:00:5e:71:00:01
MAC_B=02:00:5e:71:00:02
MAC_M=02:00:5e:71:00:03

make_ca
make_node a $MAC_A
make_node b $MAC_B
make_node m $MAC_M
bridge_add br
ns_add a b m
bridge_join br a 8 1
bridge_join br b 8 2
bridge_join br m 8 3

start_node a
start_node b --offload no --init 198.18.8.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B
check "a has a route to b" wait_for 10 has_route a $MAC_B
check "a -> b ping" ping_ok a 10.201.0.2 3

# gso.py OUT DST_MAC SRC_MAC - every hostile frame, framed, into OUT
cat >"$IT_WORK/gso.py" <<'EOF'
import struct, sys, time
out, dst, src = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), bytes.fromhex(sys.argv[3].replace(":", ""))

def vnet(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    return struct.pack("!BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)

def tcp4(payload, ihl=5, doff=5, sport=40000):
    # to 10.201.0.99: nobody's address, so the segments die quietly in the kernel;
    # the hostile frames come from port 40000, the good one from 40001
    total = 20 + 20 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total & 0xffff, 0x1234, 0, 64, 6, 0,
                     bytes([10, 201, 0, 3]), bytes([10, 201, 0, 99]))
    tcp = struct.pack("!HHIIBBHHH", sport, 9, 1000, 0, doff << 4, 0x18, 65535, 0, 0)
    return dst + src + b"\x08\x00" + ip + tcp + payload

def frame(body):
    return struct.pack("!HB", len(body) + 1, 0x82) + body

NEEDS_CSUM, TCPV4, TCPV6, ECN = 1, 1, 4, 0x80
cases = [
    vnet(NEEDS_CSUM, TCPV4, 54, 0, 34, 16) + tcp4(b"x" * 100),           # gso_size 0
    vnet(NEEDS_CSUM, TCPV6, 54, 100, 34, 16) + tcp4(b"x" * 300),         # v6 type, v4 packet
    vnet(NEEDS_CSUM, 0, 0, 0, 0xfff0, 0xffff) + tcp4(b"x" * 10),         # csum past the end
    vnet(NEEDS_CSUM, TCPV4, 54, 10, 34, 16) + tcp4(b"", ihl=15),         # IHL 15, short packet
    vnet(NEEDS_CSUM, TCPV4, 54, 10, 34, 16) + tcp4(b"x" * 8, doff=15),   # data offset past end
    vnet(NEEDS_CSUM, 3, 54, 10, 34, 16) + tcp4(b"x" * 100),              # GSO type 3 (UDP)
    vnet(NEEDS_CSUM, TCPV4 | ECN, 54, 1, 34, 16) + tcp4(b""),            # nothing to cut
    vnet(NEEDS_CSUM, TCPV4, 54, 1, 34, 16) + tcp4(b"y" * 1400),          # 1400 segments
    vnet(NEEDS_CSUM, TCPV4, 54, 1, 34, 16) + tcp4(b"z" * 65470),         # 65470 segments
    vnet(NEEDS_CSUM, TCPV4, 54, 1400, 34, 16) + tcp4(b"g" * 5000, sport=40001),  # good: 4 segments
]
with open(out, "wb") as f:
    # m speaks for itself first: frames from a node with no route are refused
    # (PROTOCOL.md: Rules, the reverse path)
    f.write(struct.pack("!HBBq6sH", 18, 0x00, 1, int(time.time() * 1000), src, 41744))
    for body in cases:
        assert len(body) + 1 <= 65535
        f.write(frame(body))
EOF
if ! { python3 "$IT_WORK/gso.py" "$IT_WORK/to_a.bin" $MAC_A $MAC_M &&
	python3 "$IT_WORK/gso.py" "$IT_WORK/to_b.bin" $MAC_B $MAC_M; }; then
	bail "cannot build the GSO frames"
fi
BAD=9 # every hostile header

bg_ns a "$IT_WORK/ping.out" ping -D -n -i 0.2 -c 300 -w 60 10.201.0.2
ping_pid=$BG_PID
t_ping=$(now)

M=$(certdir m)
# send TARGET_IP FILE - one connection from m that sends FILE and lingers 2 s
send() {
	nsx m timeout 3 openssl s_client -quiet -cert "$M/node.crt" -key "$M/node.key" \
		-CAfile "$M/ca.crt" -connect "$1:41744" <"$2" >"$IT_WORK/m.out" 2>"$IT_WORK/m.err"
}
snap() {
	ctl "$1" status | jq -r '[.counters.drop_offload, .counters.tap_tx_frames,
		.counters.drop_tap_write, .counters.bad_frames] | @tsv'
}
# flow PORT - the TCP segments from 10.201.0.3:PORT in the capture, "SEQ:END LENGTH" each
flow() {
	awk -v src="10.201.0.3.$1" '$3 == src && $4 == ">" {
		seq = ""; len = ""
		for (i = 5; i <= NF; i++) {
			if ($i == "seq") seq = $(i + 1)
			if ($i == "length") len = $(i + 1)
		}
		sub(/,$/, "", seq)
		print seq, len
	}' "$IT_WORK/tap.$target"
}
# the good super-frame: 5000 bytes from sequence number 1000
WHOLE="1000:6000 5000"
CUT="1000:2400 1400 2400:3800 1400 3800:5200 1400 5200:6000 800"

for target in a b; do
	ip=198.18.8.1
	[ $target = b ] && ip=198.18.8.2
	# what the target's daemon writes to its TAP, as the kernel receives it
	bg_ns $target "$IT_WORK/tap.$target" tcpdump -Q in -i "$IT_TAP" -n -l -S -p \
		'ip and tcp and dst host 10.201.0.99'
	dump=$BG_PID
	wait_for 10 grep -q 'listening on' "$IT_WORK/tap.$target" || bail "tcpdump on $target did not start"
	read -r off0 tx0 tw0 bad0 < <(snap $target)
	t=$(now)
	send $ip "$IT_WORK/to_$target.bin"
	rc=$?
	# 124: s_client was still connected when timeout ended it, so the target
	# kept the link open through every frame (a close would give 0 or 1)
	check "$target took the frames and kept the link (s_client status $rc after $(elapsed "$t") s)" [ $rc -eq 124 ]
	check "$target is still running" node_answers $target
	read -r off1 tx1 tw1 bad1 < <(snap $target)
	bg_stop "$dump" INT
	good=$(flow 40001 | tr '\n' ' ')
	good=${good% }
	hostile=$(flow 40000 | wc -l)
	diag "$target: drop_offload +$((off1 - off0)), tap_tx_frames +$((tx1 - tx0)), drop_tap_write +$((tw1 - tw0)), bad_frames +$((bad1 - bad0))"
	check "$target: no frame was called malformed (bad_frames +$((bad1 - bad0)))" [ $bad1 -eq $bad0 ]
	check "$target: the $BAD hostile headers were dropped by invpnd (drop_offload +$((off1 - off0)))" \
		[ $((off1 - off0)) -eq $BAD ]
	check "$target: none reached the kernel to be refused there (drop_tap_write +$((tw1 - tw0)))" \
		[ $tw1 -eq $tw0 ]
	check "$target: no segment of a hostile frame reached the TAP ($hostile seen)" [ "$hostile" -eq 0 ]
	if [ $target = b ]; then
		check "b: the good super-frame was cut into 4 on the TAP (seq:end length: $good)" \
			[ "$good" = "$CUT" ]
	else
		check "a: the good super-frame went to the kernel whole (seq:end length: $good)" \
			[ "$good" = "$WHOLE" ]
	fi
	check "a <=> b still pings after the frames to $target" ping_ok a 10.201.0.2 3
done

bg_stop "$ping_pid" INT
read -r gap n_replies _ < <(ping_max_gap "$IT_WORK/ping.out" "$(now)" "$t_ping")
diag "a -> b ping meanwhile: $n_replies replies in $(elapsed "$t_ping") s, longest gap $gap s"
check "a -> b never stopped answering for more than 1 s" awk -v g="$gap" 'BEGIN { exit !(g <= 1.0) }'
check "b's link to a never went down" not log_has b "link down: $MAC_A"
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b

done_testing
