#!/usr/bin/env bash
# Operations: privilege drop, up/down scripts, SIGUSR2 re-exec, CRL and SIGHUP.
#
#              ns br: bridge, underlay 198.18.40.0/24
#     +-----------+-----------+
#     a .1        b .2        c .3
#   user nobody   init a      init a, revoked before it starts
#   crl, up, down
#
#   overlay: a 10.201.0.1 (set by its up script), b 10.201.0.2
#
# Checks: a runs as nobody after start-up and still takes new links; the up
# script ran as root with INTERFACE/MAC/MTU; SIGUSR2 keeps a's PID, TAP and
# address and loses at most 2 s of pings; a revoked node is refused; after
# b is revoked and a gets SIGHUP, a closes b's link and b stays out; the
# down script runs at shutdown with the same environment.
. "$(dirname "$0")/lib.sh"
it_init

make_ca
bridge_add br
for n in a b c; do
	case $n in a) h=1 ;; b) h=2 ;; c) h=3 ;; esac
	make_node $n "02:00:5e:40:00:0$h"
	ns_add $n
	bridge_join br $n 40 $h
done
"$INVPN_PKI" revoke "$IT_WORK/ca" "$IT_WORK/certs/c/node.crt" >/dev/null || bail "revoke c"
crl=$IT_WORK/ca/crl.pem

# a drops to nobody: it must still read its files (SIGHUP, SIGUSR2) and write its cache
chmod 755 "$IT_WORK" "$IT_WORK/certs" "$IT_WORK/certs/a" "$IT_WORK/ca"
chmod 644 "$IT_WORK/certs/a/node.key" "$crl"
mkdir -p "$IT_WORK/state" && chown nobody:nogroup "$IT_WORK/state"
# every run of the up script adds a line to up.runs; nobody may write it too,
# so that a second run after the re-exec (as nobody) would show
: >"$IT_WORK/state/up.runs" && chown nobody:nogroup "$IT_WORK/state/up.runs"
up='echo "$(id -u)" >> '$IT_WORK'/state/up.runs; env | grep -E "^(INTERFACE|MAC|MTU)=" | sort > '$IT_WORK'/up.env; id -u >> '$IT_WORK'/up.env; ip addr add 10.201.0.1/24 dev "$INTERFACE"'
down='env | grep -E "^(INTERFACE|MAC|MTU)=" | sort > '$IT_WORK'/state/down.env'

start_node a --user nobody --crl "$crl" --cache "$IT_WORK/state/a.cache" --up "$up" --down "$down"
pid_a=$(node_pid a)
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$pid_a/status")
gid=$(awk '/^Gid:/ {print $2 $3 $4 $5}' "/proc/$pid_a/status")
check "a runs as nobody after start-up (uid $uid)" [ "$uid" = 65534655346553465534 ]
check "with nobody's group (gid $gid)" [ "$gid" = 65534655346553465534 ]
check "the up script saw INTERFACE" grep -qx "INTERFACE=$IT_TAP" "$IT_WORK/up.env"
check "the up script saw MAC" grep -qx "MAC=${NODE_MAC[a]}" "$IT_WORK/up.env"
check "the up script saw MTU" grep -qx "MTU=1500" "$IT_WORK/up.env"
check "the up script ran as root" grep -qx 0 "$IT_WORK/up.env"
# has_addr NAME ADDR/PREFIX - NAME's TAP has exactly that IPv4 address
has_addr() {
	local out
	# captured, not piped into grep -q: under pipefail, ip's SIGPIPE when grep
	# stops at the first match would fail the check on a TAP that has the address
	out=$(ip -n "$PFX-$1" -o -4 addr show dev "$IT_TAP") || return 1
	[[ $out == *" inet $2 "* ]]
}
check "the up script's address is on the TAP" has_addr a 10.201.0.1/24

start_node b --init 198.18.40.1
overlay_ip b 10.201.0.2
check "b links to a (accepted after the drop)" wait_for 15 links_ge a 1
check "b pings a" wait_for 10 ping_ok b 10.201.0.1
check "SIGTERM: b exits with status 0 (to come back with a new link)" stop_node b
start_node b --init 198.18.40.1
overlay_ip b 10.201.0.2
check "a (as nobody) takes b's new link" wait_for 15 links_ge a 1
check "and pings cross it" wait_for 10 ping_ok b 10.201.0.1

# ---- SIGUSR2: re-exec, keeping the TAP and its address
bg_ns b "$IT_WORK/usr2-ping.out" ping -n -i 0.1 -c 80 -W 1 10.201.0.1
ping_pid=$BG_PID
sleep 2
kill -USR2 "$pid_a"
wait "$ping_pid"
rx=$(grep -oE '[0-9]+ received' "$IT_WORK/usr2-ping.out" | cut -d' ' -f1)
check "SIGUSR2: at most 2 s of pings lost ($((80 - ${rx:-0})) of 80 at 0.1 s)" [ "${rx:-0}" -ge 60 ]
check "a is still the same process" proc_alive "$pid_a"
check "the TAP kept its address" has_addr a 10.201.0.1/24
check "a logged the re-exec" log_has a "SIGUSR2: re-executing"
check "the re-exec'd a (as nobody) did not try to give its socket away again" \
	not log_has a "cannot give the control socket"
# the PID stays whether or not execv worked: the new image must have come up
ups=$(grep -c "notice: invpnd .* up: node ${NODE_MAC[a]}" "$IT_WORK/a.log")
check "the new image started and came up ($ups 'up' lines in all)" [ "$ups" -eq 2 ]
runs=$(tr '\n' ' ' <"$IT_WORK/state/up.runs")
check "the up script ran once, as root, not again after the re-exec (uids: $runs)" [ "$runs" = "0 " ]
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid_a/status")
check "a still runs as nobody" [ "$uid" = 65534 ]

# ---- a node revoked before it starts is refused
refused0=$(counter a links_refused)
start_node c --init 198.18.40.1
check "a refuses revoked c" wait_for 10 log_has a "certificate revoked"
check "a names c's MAC and says why in words" log_has a \
	"peer 198\.18\.40\.3:[0-9]+ \(MAC 02:00:5e:40:00:03\): certificate revoked: it is in our CRL \(certificate revoked\)\$"
diag "c: $(grep -m1 -E '198\.18\.40\.1:41744.*(refused|read:)' "$IT_WORK/c.log")"
sleep 1
check "c has no link" [ "$(links_of c)" -eq 0 ]
refused_up() { [ "$refused0" -ge 0 ] && [ "$(counter a links_refused)" -gt "$refused0" ]; }
check "a's links_refused went up (from $refused0)" refused_up
stop_node c >/dev/null

# ---- revoke b, SIGHUP a: the live link goes, and b cannot come back
"$INVPN_PKI" revoke "$IT_WORK/ca" "$IT_WORK/certs/b/node.crt" >/dev/null || bail "revoke b"
chmod 644 "$crl"
check "b is linked before the reload" links_ge a 1
kill -HUP "$pid_a"
check "SIGHUP: a closes its link to revoked b" wait_for 5 links_eq a 0
check "a says why" log_has a "certificate no longer accepted: certificate revoked"
sleep 4
no_links() { links_eq a 0 && links_eq b 0; }
check "b cannot reconnect" no_links

# ---- systemd's notify protocol: READY, STATUS, watchdog (as Type=notify sees it)
bg_ns b "$IT_WORK/notify.out" socat -u UNIX-RECVFROM:"$IT_WORK/notify.sock",fork STDOUT
wait_for 5 test -S "$IT_WORK/notify.sock" || bail "notify socket"
# (c is revoked, but without the CRL it starts; its links do not matter here)
NOTIFY_SOCKET=$IT_WORK/notify.sock WATCHDOG_USEC=1000000 start_node c
if it_has_feature systemd; then
	check "sd_notify: READY=1 once the TAP is up and it listens" wait_for 5 grep -q "READY=1" "$IT_WORK/notify.out"
	check "sd_notify: a STATUS line with links and routes" grep -q "STATUS=.*link(s), .*route(s)" "$IT_WORK/notify.out"
	check "sd_notify: watchdog pings at half the period" wait_for 3 grep -q "WATCHDOG=1" "$IT_WORK/notify.out"
	check "SIGTERM: c exits with status 0" stop_node c
	check "sd_notify: STOPPING=1 on the way out" grep -q "STOPPING=1" "$IT_WORK/notify.out"
else
	# built without libsystemd: nothing is sent, and it says so once
	sleep 2 # a watchdog ping would have come by now
	check "SIGTERM: c exits with status 0" stop_node c
	warned=$(grep -c "NOTIFY_SOCKET is set, but invpnd was built without libsystemd" "$IT_WORK/c.log")
	check "no libsystemd: one warning that systemd hears nothing (got $warned)" [ "$warned" -eq 1 ]
	check "no libsystemd: nothing sent to NOTIFY_SOCKET" [ ! -s "$IT_WORK/notify.out" ]
fi

# ---- down script at shutdown, as nobody
check "SIGTERM: a exits with status 0" stop_node a
check "the down script saw INTERFACE" grep -qx "INTERFACE=$IT_TAP" "$IT_WORK/state/down.env"
check "the down script saw MAC" grep -qx "MAC=${NODE_MAC[a]}" "$IT_WORK/state/down.env"
check "a's cache was written by nobody" [ "$(stat -c %U "$IT_WORK/state/a.cache" 2>/dev/null)" = nobody ]
check "SIGTERM: b exits with status 0" stop_node b
done_testing
