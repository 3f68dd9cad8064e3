#!/usr/bin/env bash
# Joining by DNS: SRV records and seed names served by a real dnsmasq.
#
#                  ns br: bridge, underlay 198.18.21.0/24
#     +-----------+-----------+-----------+-----------+
#     dns .53     n1 .1       n2 .2       n3 .3       n4 .4
#   dnsmasq:      (seed,      srv =       init =      init = nowhere.mesh.test
#   mesh.test     no config)  mesh.test   seed.mesh.test    + init = hosts-seed
#                                                      (/etc/hosts: 198.18.21.1)
#
#   seed.mesh.test          A    198.18.21.1
#   _invpn._tcp.mesh.test   SRV  0 10 41744 seed.mesh.test
#                           SRV  1 10 41744 gone.mesh.test (no A record: skipped)
#
# Every node is told only DNS names (n4 also gets one that does not resolve,
# which must give a warning, not an exit). mDNS is off everywhere; the
# nodes find the server through /etc/netns/<ns>/resolv.conf. invpnctl status
# says how each name is doing: resolved (how many addresses, SRV targets) or
# failed and why, and when it is looked up next.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/disco_lib.sh"
it_require_feature dns
disco_init

make_ca
bridge_add br
ns_add dns
bridge_join br dns 21 53
for i in 1 2 3 4; do
	make_node n$i "$(printf '02:00:5e:21:00:%02x' $i)"
	ns_add n$i
	bridge_join br n$i 21 $i
	use_dns n$i 198.18.21.53
done
dns_server dns 198.18.21.53 mesh.test \
	--host-record=seed.mesh.test,198.18.21.1 \
	--srv-host=_invpn._tcp.mesh.test,seed.mesh.test,41744,0,10 \
	--srv-host=_invpn._tcp.mesh.test,gone.mesh.test,41744,1,10

t0=$(now)
start_node n1
start_node n2 --srv mesh.test
start_node n3 --init seed.mesh.test
printf '127.0.0.1 localhost\n198.18.21.1 hosts-seed\n' >"/etc/netns/$PFX-n4/hosts"
start_node n4 --init nowhere.mesh.test --init hosts-seed
for i in 1 2 3 4; do
	overlay_ip n$i 10.201.0.$i
done

check "n2 (srv = mesh.test only) links up" wait_for 15 links_ge n2 1
diag "n2 linked $(elapsed "$t0") s after start"
check "n3 (init = seed.mesh.test only) links up" wait_for 15 links_ge n3 1
diag "n3 linked $(elapsed "$t0") s after start"
check "n2 reaches n3 over the overlay" wait_for 15 ping_ok n2 10.201.0.3
src=$(ctlq n2 nodes '[.nodes[] | select(.mac != null) | .sources[]] | unique | join(",")')
check "n2 learned its seed from dns (sources: $src)" [ "${src#*dns}" != "$src" ]
check "n2's directory holds the SRV target's address" \
	[ "$(ctlq n2 nodes '[.nodes[] | select(.address == "198.18.21.1:41744")] | length')" -ge 1 ]

check "n4 warns that nowhere.mesh.test does not resolve" wait_for 10 log_has n4 "dns: nowhere.mesh.test: .*(retrying)"
check "n4 keeps running and links up by its other seed, an /etc/hosts name" wait_for 15 links_ge n4 1
warns=$(grep -c "dns: nowhere.mesh.test" "$IT_WORK/n4.log")
check "the failure is warned about once, not on every retry ($warns lines)" [ "$warns" -eq 1 ]
check "the DNS server was asked for the SRV record" grep -q "query\[SRV\] _invpn._tcp.mesh.test" "$IT_WORK/dnsmasq.log"

# ---- what status says about each name
# dns_entry NODE NAME JQ-TEST - NODE's status has a dns entry NAME for which JQ-TEST holds
dns_entry() {
	ctl "$1" status | jq -e --arg n "$2" "[.dns[] | select(.name == \$n) | $3] == [true]" >/dev/null
}
check "n3: seed.mesh.test is ok with 1 address, next lookup within 5 min" \
	wait_for 10 dns_entry n3 seed.mesh.test \
	'.type == "seed" and .state == "ok" and .addresses == 1 and .error == null and .fails == 0 and .next_lookup_s > 0 and .next_lookup_s <= 300'
check "n2: _invpn._tcp.mesh.test is ok: 2 SRV targets, 1 address (gone.mesh.test has none)" \
	wait_for 10 dns_entry n2 _invpn._tcp.mesh.test \
	'.type == "srv" and .state == "ok" and .targets == 2 and .addresses == 1 and .error == null'
check "n4: nowhere.mesh.test failed, with a reason and a retry" \
	wait_for 10 dns_entry n4 nowhere.mesh.test \
	'.state == "failed" and (.error | type == "string" and length > 0) and .fails >= 1 and .addresses == 0 and (.next_lookup_s | type == "number")'
check "n4: hosts-seed (/etc/hosts) is ok with 1 address" \
	wait_for 10 dns_entry n4 hosts-seed '.state == "ok" and .addresses == 1'
check "n1 (no names) has dns []" [ "$(ctlq n1 status '.dns == []')" = true ]
if [ -n "$INVPNCTL" ]; then
	out=$("$INVPNCTL" -s "$IT_WORK/n4.sock" status)
	diag "n4 status:"; sed 's/^/#   /' <<<"$out"
	check "n4's status table: nowhere.mesh.test failed (why), retry in ..." \
		grep -Eq '^ *(dns: +)?nowhere\.mesh\.test: failed \([A-Za-z][^;]*; [0-9]+ in a row\), retry in [0-9]' <<<"$out"
	check "n4's status table: hosts-seed: 1 address, next lookup in ..." \
		grep -Eq '^ *(dns: +)?hosts-seed: 1 address, next lookup in [0-9]' <<<"$out"
	out=$("$INVPNCTL" -s "$IT_WORK/n2.sock" status)
	check "n2's status table: the SRV domain with its targets and addresses" \
		grep -Eq '^dns: +_invpn\._tcp\.mesh\.test \(SRV\): 2 targets, 1 address, next lookup in' <<<"$out"
fi

for i in 4 3 2 1; do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
