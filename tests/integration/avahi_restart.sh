#!/usr/bin/env bash
# mDNS survives avahi-daemon going away; a node without D-Bus runs and warns once.
#
#              ns br: bridge, underlay 198.18.23.0/24
#     +-----------+-----------+-----------+
#     n1 .1       n2 .2       n3 .3       n4 .4
#    avahi        avahi       avahi       no D-Bus at all, init n1
#
# n1's avahi-daemon is SIGKILLed and started again: n1 keeps its links the
# whole time and publishes its service again; its status says published, then
# waiting for avahi-daemon, then published. n4's bus address points nowhere:
# it runs, links through its seed, warns about D-Bus once, and its status
# says no D-Bus, retrying.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/disco_lib.sh"
it_require_feature mdns
disco_init

make_ca
bridge_add br
for i in 1 2 3 4; do
	make_node n$i "$(printf '02:00:5e:23:00:%02x' $i)"
	ns_add n$i
	bridge_join br n$i 23 $i
done
for i in 1 2 3; do
	avahi_up n$i
	start_mdns_node n$i -v
done
check "n1 finds both others by mDNS" wait_for 15 links_ge n1 2
check "n1's service is published" wait_for 10 browse_has n1 "mac=${NODE_MAC[n1]}"
# mdns_is NODE JQ-TEST - NODE's status .mdns passes JQ-TEST
mdns_is() {
	ctl "$1" status | jq -e ".mdns | $2" >/dev/null
}
check "n1's status: mdns published" wait_for 10 mdns_is n1 '.state == "published" and .browsing'

links_before=$(links_of n1)
avahi_kill n1
check "n1 logs that it lost avahi-daemon" wait_for 5 log_has n1 "mdns: lost avahi-daemon"
check "n1's status: mdns waiting for avahi-daemon (no_daemon, why, not browsing)" \
	wait_for 5 mdns_is n1 '.state == "no_daemon" and (.error | type == "string") and (.browsing | not) and .services == 0'
if [ -n "$INVPNCTL" ]; then
	out=$("$INVPNCTL" -s "$IT_WORK/n1.sock" status)
	check "n1's status table says it waits for avahi-daemon" \
		grep -Eq '^mdns: +waiting for avahi-daemon \(.+\)' <<<"$out"
fi
sleep 1
check "n1 keeps its $links_before links while avahi-daemon is gone" [ "$(links_of n1)" -eq "$links_before" ]
avahi_start n1
t0=$(now)
check "n1 publishes its service again after avahi-daemon is back" wait_for 15 browse_has n1 "mac=${NODE_MAC[n1]}"
diag "republished $(elapsed "$t0") s after avahi-daemon restarted"
check "n1 still has its $links_before links" [ "$(links_of n1)" -eq "$links_before" ]
check "n1 finds the others again through the new avahi-daemon" wait_for 15 browse_has n1 "mac=${NODE_MAC[n2]}"
check "n1's status: mdns published again, the 2 others seen" \
	wait_for 10 mdns_is n1 '.state == "published" and .browsing and .services == 2 and .error == null'

DBUS_SYSTEM_BUS_ADDRESS=unix:path=$IT_WORK/no-such-bus start_node n4 --mdns yes --init 198.18.23.1
check "n4 without D-Bus links up through its seed" wait_for 15 links_ge n4 1
sleep 4 # several D-Bus retries (1 s, 2 s, ...)
warns=$(grep -c "mdns: cannot reach D-Bus" "$IT_WORK/n4.log")
check "n4 warns about D-Bus once ($warns lines)" [ "$warns" -eq 1 ]
check "n4 is still running" proc_alive "$(node_pid n4)"
check "n4's status: mdns no_dbus, with the reason and a retry" \
	mdns_is n4 '.state == "no_dbus" and (.error | type == "string") and (.retry_in_s | type == "number") and (.browsing | not)'
if [ -n "$INVPNCTL" ]; then
	out=$("$INVPNCTL" -s "$IT_WORK/n4.sock" status)
	diag "n4 status: $(grep '^mdns:' <<<"$out")"
	check "n4's status table: no D-Bus system bus (why), retrying in ..." \
		grep -Eq '^mdns: +no D-Bus system bus \(.+\), retrying in [0-9]' <<<"$out"
fi

for i in 4 3 2 1; do
	check "SIGTERM: n$i exits with status 0" stop_node n$i
done
done_testing
