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
# nodes find the server through /etc/netns/<ns>/resolv.conf.
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

for i in 4 3 2 1; do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
