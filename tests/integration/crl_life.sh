#!/usr/bin/env bash
# The CRL's life (src/tls.c): a CRL past its nextUpdate is still enforced but
# does not stop the mesh (start, new links, reload all work; the operator is
# told loudly); a CRL close to its nextUpdate is warned about; `invpn-pki crl`
# refreshes it in one command and SIGHUP takes the fresh one.
#
#   ns br: bridge, underlay 198.18.9.0/24
#   a .1 (-v, --crl)   b .2 --init a   r .3 --init a (revoked), later --init n
#   n .4 (-v, -c n.conf, started without crl: the README's revocation steps)
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:64:00:01
MAC_B=02:00:5e:64:00:02
MAC_R=02:00:5e:64:00:03
MAC_N=02:00:5e:64:00:04

make_ca
CA=$IT_WORK/ca
make_node a $MAC_A
make_node b $MAC_B
make_node r $MAC_R
make_node n $MAC_N
"$INVPN_PKI" revoke "$CA" $MAC_R >"$IT_WORK/revoke.out" 2>&1 || bail "revoke: $(cat "$IT_WORK/revoke.out")"
# a CRL whose nextUpdate has passed, listing r, signed by the real CA
INVPN_CA_DIR=$CA openssl ca -gencrl -batch -config "$CA/openssl.cnf" \
	-crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z \
	-out "$IT_WORK/crl.pem" >"$IT_WORK/openssl.err" 2>&1 ||
	bail "openssl ca -gencrl: $(tail -n 3 "$IT_WORK/openssl.err")"
next=$(openssl crl -in "$IT_WORK/crl.pem" -noout -nextupdate)
diag "crl: $next"

bridge_add br
ns_add a b r n
bridge_join br a 9 1
bridge_join br b 9 2
bridge_join br r 9 3
bridge_join br n 9 4

# ---- expired: a starts, links, keeps refusing r, and says so loudly
start_node a -v --crl "$IT_WORK/crl.pem"
check "a started with an expired CRL" node_answers a
check "a logs that its CRL expired and is still enforced" \
	log_has a "our CRL expired on .*: it is still enforced and the mesh keeps running"
past() { local v; v=$(ctlq a status .crl_next_update) && [ "$v" -gt 0 ] && [ "$v" -lt "$(date +%s)" ]; }
check "status crl_next_update is in the past" past
start_node b --init 198.18.9.1
check "b links to a with a's CRL expired" wait_for 20 peer_up a $MAC_B
r0=$(counter a links_refused)
start_node r --init 198.18.9.1
refused_gt() { [ "$(counter a links_refused)" -gt "$r0" ]; }
check "the revoked r is still refused" wait_for 15 refused_gt
check "a says r is revoked" wait_for 5 log_has a "\(MAC $MAC_R\): certificate revoked: it is in our CRL"
check "r never came up on a" not log_has a "link up: $MAC_R"
stop_node r

# ---- refreshed in one command, close to its nextUpdate: warned; SIGHUP takes it
out=$("$INVPN_PKI" crl --days 3 "$CA" 2>&1) || bail "invpn-pki crl: $out"
cp "$CA/crl.pem" "$IT_WORK/crl.pem"
kill -HUP "${NODE_PID[a]}"
soon() { local v; v=$(ctlq a status .crl_next_update) && [ "$v" -gt "$(date +%s)" ] && [ "$v" -le $(( $(date +%s) + 3 * 86400 + 60 )) ]; }
check "after invpn-pki crl --days 3 and SIGHUP, crl_next_update is 3 days ahead" wait_for 5 soon
check "a warns that its CRL expires soon" wait_for 5 log_has a "our CRL expires on .*: make a fresh one"
check "the link to b survived the reload" peer_up a $MAC_B

# ---- a node started without crl: add it to the configuration file, SIGHUP
printf '# invpn test\n' >"$IT_WORK/n.conf"
start_node n -v -c "$IT_WORK/n.conf"
start_node r --init 198.18.9.4
check "before: the revoked r links to n, which has no CRL" wait_for 20 peer_up n $MAC_R
printf 'crl = %s\nport = 41745\nmax_links = 9\n' "$IT_WORK/crl.pem" >>"$IT_WORK/n.conf"
kill -HUP "${NODE_PID[n]}"
check "SIGHUP: n closes the link to r, now revoked" \
	wait_for 5 log_has n "link down: $MAC_R .*certificate no longer accepted: certificate revoked"
has_crl() { local v; v=$(ctlq n status .crl_next_update) && [ "$v" -gt 0 ]; }
check "SIGHUP: n's status shows the CRL it now has" has_crl
mx() { [ "$(ctlq n status .max_links)" = 9 ]; }
check "SIGHUP: max_links = 9 took effect live" mx
check "SIGHUP: n says the port change needs a restart" \
	log_has n "reload: port changed in the configuration: it takes effect on restart"
check "n still listens on its old port (r's redials reach it and are refused)" \
	wait_for 15 log_has n "peer 198\.18\.9\.3:[0-9]+ \(MAC $MAC_R\): certificate revoked"
check "r is not linked to n" not peer_up n $MAC_R
printf 'crl = %s\nport = nonsense\n' "$IT_WORK/crl.pem" >"$IT_WORK/n.conf"
kill -HUP "${NODE_PID[n]}"
check "SIGHUP with a broken file: n keeps its configuration and says why" \
	wait_for 5 log_has n "reload failed, keeping the old configuration and certificates: .*n\.conf:2: "
check "n is still running" node_answers n
stop_node r
check "SIGTERM: n exits with status 0" stop_node n
check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "SIGTERM: b exits with status 0" stop_node b
done_testing
