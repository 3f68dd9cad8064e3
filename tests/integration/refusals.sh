#!/usr/bin/env bash
# Peers that must be refused, next to a good link that must stay up.
#
#                    ns br: bridge, underlay 198.18.5.0/24
#   +--------+--------+--------+--------+--------+
#   a .1     b .2     x .3     y .4     z .5     s .6
#   (-v)     init a   init a   s_client init     init a
#                     |        to a     ..:99@a  |
#                     |        |        |        cert CN = a's MAC (self-link)
#                     |        |        expects MAC ..:99, a is ..:01
#                     |        cert CN "not-a-mac", signed by the real CA
#                     cert from another CA
#
#   a <=> b is the good link (overlay 10.201.0.1 <-> 10.201.0.2).
#
# For each bad peer: no up link, links_refused grows on the side that
# refuses, its log says why; the self-link is closed on both ends. After
# all of them, a <=> b is the same link as before (not re-made) and pings.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:60:00:01
MAC_B=02:00:5e:60:00:02
MAC_X=02:00:5e:60:00:03
MAC_Z=02:00:5e:60:00:05
WRONG=02:00:5e:60:00:99

make_ca
make_ca ca2
make_node a $MAC_A
make_node b $MAC_B
make_node x $MAC_X ca2
make_node z $MAC_Z
make_node s $MAC_A ca --force

# y: a certificate whose CN is not a MAC, signed by the real CA's key
make_cert_cn y not-a-mac
Y=$(certdir y)
cert_verifies() { openssl verify -CAfile "$Y/ca.crt" "$Y/node.crt" >/dev/null 2>&1; }
check "y's certificate verifies against the real CA" cert_verifies

bridge_add br
ns_add a b x y z s
i=0
for n in a b x y z s; do
	i=$((i + 1))
	bridge_join br $n 5 $i
done

start_node a -v
start_node b --init 198.18.5.1
overlay_ip a 10.201.0.1
overlay_ip b 10.201.0.2
check "a <=> b link is up" wait_for 20 peer_up a $MAC_B
check "b <=> a link is up" wait_for 20 peer_up b $MAC_A
check "a -> b ping" ping_ok a 10.201.0.2 3
t_good=$(now)
age0=$(ctlq a peers ".peers[] | select(.mac == \"$MAC_B\") | .age_s")

refused() { counter "$1" links_refused; }
refused_gt() { [ "$(refused "$1")" -gt "$2" ]; }
good_link_ok() {
	peer_up a $MAC_B && peer_up b $MAC_A && ping_ok a 10.201.0.2 3
}

# ---- 1. a certificate from another CA
r_a=$(refused a)
start_node x --init 198.18.5.1
check "other CA: a's links_refused grows" wait_for 10 refused_gt a "$r_a"
check "other CA: x's links_refused grows" wait_for 10 refused_gt x 0
# in the user's words, on both sides; OpenSSL's only in parentheses
check "other CA: a logs that x refused a's certificate" \
	wait_for 5 log_has a "peer 198\.18\.5\.3:[0-9]+: refused our certificate: it does not trust our CA \(tlsv1 alert unknown ca\)\$"
check "other CA: x logs that a's certificate is not from x's CA, naming a's MAC" \
	wait_for 5 log_has x "peer 198\.18\.5\.1:41744 \(MAC $MAC_A\): certificate not issued by our CA \((unable to get local issuer certificate|self-signed certificate in certificate chain)\)\$"
diag "a: $(grep -m1 -E 'peer 198\.18\.5\.3:' "$IT_WORK/a.log")"
diag "x: $(grep -m1 -E 'peer 198\.18\.5\.1:' "$IT_WORK/x.log")"
check "other CA: neither logs a bare OpenSSL error" \
	not grep -E "peer 198\.18\.5\.[13]:[0-9]+.*: (TLS handshake failed|error:)" "$IT_WORK/a.log" "$IT_WORK/x.log"
check "other CA: x has no up link" links_eq x 0
check "other CA: a has no link to x" not peer_up a $MAC_X
check "other CA: x never came up anywhere" not log_has a "link up: $MAC_X"
stop_node x
check "good link still up and pinging" good_link_ok

# ---- 2. a certificate whose CN is not a MAC (no daemon can use it: openssl s_client)
r_a=$(refused a)
nsx y timeout 10 openssl s_client -quiet -cert "$Y/node.crt" -key "$Y/node.key" \
	-CAfile "$Y/ca.crt" -connect 198.18.5.1:41744 </dev/null >"$IT_WORK/y.out" 2>&1
rc=$?
check "CN not a MAC: a closed the connection (s_client status $rc, not a timeout)" [ $rc -ne 124 ]
check "CN not a MAC: a's links_refused grows" wait_for 5 refused_gt a "$r_a"
check "CN not a MAC: a logs why, with the CN" \
	log_has a "peer 198\.18\.5\.4:[0-9]+: certificate Common Name 'not-a-mac' is not a MAC address\$"
check "CN not a MAC: a has only the link to b" links_eq a 1
check "good link still up and pinging" good_link_ok

# ---- 3. a dial that expects another MAC than the node at that address has
r_a=$(refused a)
start_node z --init "$WRONG@198.18.5.1"
check "wrong MAC: z's links_refused grows" wait_for 10 refused_gt z 0
check "wrong MAC: z logs why" \
	wait_for 5 log_has z "peer 198\.18\.5\.1:41744: expected $WRONG, certificate says $MAC_A"
check "wrong MAC: z has no up link" links_eq z 0
check "wrong MAC: z has no route to a" not has_route z $MAC_A
check "wrong MAC: z never logged a link up" not log_has z 'link up:'
ups=$(grep -c "link up: $MAC_Z" "$IT_WORK/a.log")
diag "a logged 'link up' for z $ups time(s) before z closed it (TLS 1.3: the server finishes first)"
stop_node z
check "wrong MAC: a has no link to z once z is gone" wait_for 5 not peer_up a $MAC_Z
check "good link still up and pinging" good_link_ok

# ---- 4. a peer whose certificate carries a's own MAC: a link to self
r_a=$(refused a)
start_node s -v --init 198.18.5.1
check "self-link: s logs it and closes" wait_for 10 log_has s "198\.18\.5\.1:41744 closed: link to self"
check "self-link: a logs it and closes" wait_for 10 log_has a "198\.18\.5\.6:[0-9]+ closed: link to self"
check "self-link: s has no up link" links_eq s 0
check "self-link: a still has exactly one link (b)" links_eq a 1
own=$(ctlq s nodes '.nodes[] | select(.address == "198.18.5.1:41744") | .mac')
check "self-link: s remembers 198.18.5.1 as its own MAC ($own) and stops dialling it" [ "$own" = $MAC_A ]
diag "a's links_refused grew by $(($(refused a) - r_a)) for the self-link"
stop_node s

# ---- the good link survived everything, unbroken
age1=$(ctlq a peers ".peers[] | select(.mac == \"$MAC_B\") | .age_s")
span=$(elapsed "$t_good")
diag "a <=> b link age: $age0 s before the bad peers, $age1 s after ($span s later)"
check "a <=> b is the same link throughout (age grew with the clock)" \
	awk -v a0="$age0" -v a1="$age1" -v s="$span" 'BEGIN { exit !(a1 >= a0 + s - 1.5) }'
check "b logged no link down" not log_has b 'link down'
check "final a -> b ping" ping_ok a 10.201.0.2 3
check "final b -> a ping" ping_ok b 10.201.0.1 3
check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b

done_testing
