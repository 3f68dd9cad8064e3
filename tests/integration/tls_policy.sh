#!/usr/bin/env bash
# The TLS policy (src/tls.c): TLS 1.2 only with ECDHE + AEAD suites; a peer's
# leaf must be CA:FALSE with exactly one CN, a unicast MAC; at most
# TLS_VERIFY_DEPTH (1) CA certificate between a leaf and the trust anchor;
# a node's own certificate that breaks these rules is refused at start.
#
#   ns br: bridge, underlay 198.18.6.0/24
#   a .1 (RSA key, -v)    c .2: openssl s_client with each bad offer or certificate
#
# Every refusal is matched by an offer that differs in the one thing refused
# and is accepted, so that no check passes because nothing works.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:61:00:01
MAC_B=02:00:5e:61:00:02
MAC_C=02:00:5e:61:00:03

make_ca
make_node a $MAC_A ca --rsa
make_node b $MAC_B
make_node c $MAC_C
CA=$IT_WORK/ca
C=$(certdir c)

# sign_cert NAME SUBJ EXT ISSUER_DIR - $IT_WORK/certs/NAME/{node.key,node.crt}: an EC key,
# a certificate for SUBJ with the extension lines EXT, signed by ISSUER_DIR/{ca.crt,ca.key}
sign_cert() {
	local name=$1 subj=$2 ext=$3 issuer=$4 d=$IT_WORK/certs/$1
	mkdir -p "$d"
	printf '%b\n' "$ext" >"$d/ext.cnf"
	{
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/node.key" &&
			openssl req -new -key "$d/node.key" -subj "$subj" -out "$d/node.csr" &&
			openssl x509 -req -in "$d/node.csr" -CA "$issuer/ca.crt" -CAkey "$issuer/ca.key" \
				-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 2 \
				-extfile "$d/ext.cnf" -out "$d/node.crt" &&
			cp "$CA/ca.crt" "$d/ca.crt"
	} >"$IT_WORK/openssl.err" 2>&1 || bail "openssl: $name: $(tail -n 3 "$IT_WORK/openssl.err")"
}
as_issuer() { mkdir -p "$IT_WORK/$2"; cp "$(certdir "$1")/node.crt" "$IT_WORK/$2/ca.crt"; cp "$(certdir "$1")/node.key" "$IT_WORK/$2/ca.key"; }
LEAF='basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth, clientAuth'
SUBCA='basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign'
# a node certificate that is also a CA: usable as a leaf and as an issuer
NODECA='basicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature, keyCertSign\nextendedKeyUsage = serverAuth, clientAuth'

sign_cert twocn "/CN=02:00:5e:61:00:04/CN=02:00:5e:61:00:44" "$LEAF" "$CA"
sign_cert catrue "/CN=02:00:5e:61:00:05" "$NODECA" "$CA"
as_issuer catrue catrue-ca
sign_cert minted "/CN=02:00:5e:61:00:06" "$LEAF" "$IT_WORK/catrue-ca"
sign_cert int1 "/CN=invpn test intermediate 1" "$SUBCA" "$CA"
as_issuer int1 int1-ca
sign_cert int2 "/CN=invpn test intermediate 2" "$SUBCA" "$IT_WORK/int1-ca"
as_issuer int2 int2-ca
sign_cert one_int "/CN=02:00:5e:61:00:07" "$LEAF" "$IT_WORK/int1-ca"
sign_cert deep "/CN=02:00:5e:61:00:08" "$LEAF" "$IT_WORK/int2-ca"
cat "$(certdir int1)/node.crt" >"$IT_WORK/chain1.pem"
cat "$(certdir int2)/node.crt" "$(certdir int1)/node.crt" >"$IT_WORK/chain2.pem"

chain_verifies() { openssl verify -CAfile "$CA/ca.crt" -untrusted "$2" "$(certdir "$1")/node.crt" >/dev/null 2>&1; }
check "the deep chain verifies with openssl's default depth" chain_verifies deep "$IT_WORK/chain2.pem"
check "the minted certificate verifies with openssl" chain_verifies minted "$(certdir catrue)/node.crt"

bridge_add br
ns_add a c
bridge_join br a 6 1
bridge_join br c 6 2
start_node a -v

# offer NAME ARGS... - s_client from c to a; its output in $IT_WORK/NAME.out, status in OFFER_RC
offer() {
	local name=$1
	shift
	nsx c timeout 10 openssl s_client -brief -connect 198.18.6.1:41744 -CAfile "$C/ca.crt" \
		"$@" </dev/null >"$IT_WORK/$name.out" 2>&1
	OFFER_RC=$?
}
handshake_done() { grep -E '^(CONNECTION ESTABLISHED|Ciphersuite: )' "$IT_WORK/$1.out" >/dev/null; }
refused() { counter a links_refused; }
refused_gt() { [ "$(refused)" -gt "$1" ]; }

# ---- suites: a has an RSA key, the case where static RSA was possible
offer good12 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -cert "$C/node.crt" -key "$C/node.key"
check "TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256 is accepted" handshake_done good12
offer good12c -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305 -cert "$C/node.crt" -key "$C/node.key"
check "TLS 1.2 with ECDHE-RSA-CHACHA20-POLY1305 is accepted" handshake_done good12c
for suite in AES128-SHA AES128-GCM-SHA256 AES256-SHA256 AES256-GCM-SHA384 ECDHE-RSA-AES128-SHA ECDHE-RSA-AES256-SHA384; do
	r0=$(refused)
	offer "s-$suite" -tls1_2 -cipher "$suite" -cert "$C/node.crt" -key "$C/node.key"
	check "TLS 1.2 offering only $suite is refused (s_client status $OFFER_RC)" \
		not handshake_done "s-$suite"
	check "$suite: a's links_refused grows" wait_for 5 refused_gt "$r0"
done
check "a logs that the client had no suite in common" \
	log_has a "peer 198\.18\.6\.2:[0-9]+: has no TLS version or cipher in common with us"
offer tls11 -tls1_1 -cert "$C/node.crt" -key "$C/node.key"
check "TLS 1.1 is refused" not handshake_done tls11

# refusals are logged at most 10 per 5 s (log.h's RATELIMIT_*): start the
# certificate section in a fresh window, or its lines may be the suppressed ones
sleep 5.5

# ---- certificates: each presented by s_client over TLS 1.3 (the server's verdict
# comes after the client's Finished: wait for a's log, not for s_client)
cert_refused() { # NAME MAC LOG-REGEX [s_client args]
	local name=$1 mac=$2 re=$3 r0
	shift 3
	r0=$(refused)
	offer "c-$name" "$@"
	check "$name: a's links_refused grows" wait_for 5 refused_gt "$r0"
	check "$name: a logs why" wait_for 5 log_has a "peer 198\.18\.6\.2:[0-9]+( \([^)]*\))?: $re"
	check "$name: a never logged a link up for $mac" not log_has a "link up: $mac"
}
TW=$(certdir twocn) CT=$(certdir catrue) MI=$(certdir minted) OI=$(certdir one_int) DP=$(certdir deep)
cert_refused "two CNs" 02:00:5e:61:00:04 "certificate has more than one Common Name" -cert "$TW/node.crt" -key "$TW/node.key"
cert_refused "CA:TRUE leaf" 02:00:5e:61:00:05 "certificate is a CA certificate \(a node's must be CA:FALSE\)" \
	-cert "$CT/node.crt" -key "$CT/node.key"
cert_refused "minted by a CA:TRUE node certificate" 02:00:5e:61:00:06 "its chain has a node's certificate \(CN a MAC\) as a CA" \
	-cert "$MI/node.crt" -key "$MI/node.key" -cert_chain "$CT/node.crt"
cert_refused "chain with two intermediates" 02:00:5e:61:00:08 "certificate chain too long: at most 1 CA certificate" \
	-cert "$DP/node.crt" -key "$DP/node.key" -cert_chain "$IT_WORK/chain2.pem"
# the control: one intermediate is within the depth, and links
r0=$(refused)
offer one_int -cert "$OI/node.crt" -key "$OI/node.key" -cert_chain "$IT_WORK/chain1.pem"
check "one intermediate CA: handshake done" handshake_done one_int
check "one intermediate CA: a logged a link up" wait_for 5 log_has a "link up: 02:00:5e:61:00:07"
check "one intermediate CA: not refused" [ "$(refused)" -eq "$r0" ]

# ---- our own certificate: invpnd -n refuses it, and says why
own_check() { # NAME CERT KEY -> output in $IT_WORK/own-NAME.out, status in OWN_RC
	"$INVPND" -n --cert "$2" --key "$3" --ca "$CA/ca.crt" --mdns no >"$IT_WORK/own-$1.out" 2>&1
	OWN_RC=$?
}
own_check good "$(certdir b)/node.crt" "$(certdir b)/node.key"
check "own: a good certificate passes invpnd -n (status $OWN_RC)" [ $OWN_RC -eq 0 ]
own_check twocn "$TW/node.crt" "$TW/node.key"
check "own: two CNs refused (status $OWN_RC)" [ $OWN_RC -ne 0 ]
check "own: two CNs, and why" grep -E "cert: certificate has 2 Common Names" "$IT_WORK/own-twocn.out"
own_check catrue "$CT/node.crt" "$CT/node.key"
check "own: CA:TRUE refused (status $OWN_RC)" [ $OWN_RC -ne 0 ]
check "own: CA:TRUE, and why" grep -E "cert: is a CA certificate .*a node's must be CA:FALSE" "$IT_WORK/own-catrue.out"
cat "$DP/node.crt" "$IT_WORK/chain2.pem" >"$IT_WORK/deep-full.pem"
own_check deep "$IT_WORK/deep-full.pem" "$DP/node.key"
check "own: a chain with two intermediates refused (status $OWN_RC)" [ $OWN_RC -ne 0 ]
check "own: deep chain, and why" grep -E "cert: not signed by the CA in .*: certificate chain too long" "$IT_WORK/own-deep.out"
cat "$OI/node.crt" "$IT_WORK/chain1.pem" >"$IT_WORK/one-full.pem"
own_check one "$IT_WORK/one-full.pem" "$OI/node.key"
check "own: a chain with one intermediate passes (status $OWN_RC)" [ $OWN_RC -eq 0 ]
for f in "$IT_WORK"/own-*.out; do diag "$(basename "$f"): $(head -n 1 "$f")"; done

check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
done_testing
