# shellcheck shell=bash
# disco_lib.sh - discovery helpers on top of lib.sh: a real dbus-daemon and
# avahi-daemon per node namespace (recipe B of shared/notes/discovery.md: a
# per-node bus socket named by DBUS_SYSTEM_BUS_ADDRESS, avahi-daemon with a
# private /run), and a real DNS server (dnsmasq) in a namespace of its own,
# found by the nodes through /etc/netns/<ns>/resolv.conf.
#
# Source it after lib.sh. Everything started is recorded in IT_BG (killed by
# PID in it_cleanup); /etc/netns/<ns> directories made here are removed on exit.

DISCO_ETC=() # /etc/netns/<ns> directories made here

disco_require() {
	local t
	for t in dbus-daemon avahi-daemon avahi-browse unshare dnsmasq "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			it_missing "'$t' not found (apt-get install -y --no-install-recommends dbus avahi-daemon avahi-utils dnsmasq-base)"
	done
}

disco_cleanup() {
	local d
	for d in "${DISCO_ETC[@]}"; do
		rm -rf -- "$d"
	done
}

# The bus address for a node's own D-Bus system bus.
bus_of() {
	echo "unix:path=$IT_WORK/disco-$1/bus.sock"
}

# avahi_up NODE: start dbus-daemon and avahi-daemon inside NODE's namespace.
avahi_up() {
	local n=$1 d=$IT_WORK/disco-$1
	mkdir -p "$d"
	if [ ! -f "$d/bus.conf" ]; then
		cat >"$d/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$d/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
EOC
		# host names must differ: all namespaces share one UTS name. mDNS stays
		# off the overlay (deny-interfaces), as the README tells users to do.
		cat >"$d/avahi.conf" <<EOC
[server]
host-name=${PFX}-$n
deny-interfaces=$IT_TAP
use-ipv4=yes
use-ipv6=no
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
EOC
		ip netns exec "$PFX-$n" dbus-daemon --config-file="$d/bus.conf" --fork \
			--print-pid=3 3>"$d/dbus.pid" || bail "dbus-daemon for $n"
		IT_BG+=("$(cat "$d/dbus.pid")")
	fi
	avahi_start "$n"
}

# avahi_start NODE: (re)start avahi-daemon on NODE's existing bus.
avahi_start() {
	local n=$1 d=$IT_WORK/disco-$1
	ip netns exec "$PFX-$n" unshare --mount --propagation private sh -c "
		mount -t tmpfs -o mode=755 invpn-run /run && mkdir -p /run/avahi-daemon &&
		DBUS_SYSTEM_BUS_ADDRESS=$(bus_of "$n") exec avahi-daemon -f $d/avahi.conf \
			--no-chroot --no-drop-root --no-rlimits --no-proc-title" \
		>>"$d/avahi.log" 2>&1 &
	AVAHI_PID[$n]=$!
	IT_BG+=("$!")
}

# avahi_kill NODE: SIGKILL NODE's avahi-daemon (no goodbye packets).
avahi_kill() {
	local pid=${AVAHI_PID[$1]:-}
	[ -n "$pid" ] || return 1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	AVAHI_PID[$1]=""
}

# browse_has NODE REGEX: NODE's avahi-daemon resolves an _invpn._tcp service matching REGEX.
browse_has() {
	local out
	# not a pipe into grep -q: under pipefail an early exit of grep fails the browse
	out=$(DBUS_SYSTEM_BUS_ADDRESS=$(bus_of "$1") ip netns exec "$PFX-$1" \
		timeout 5 avahi-browse -rpt _invpn._tcp 2>/dev/null)
	grep -Eq -- "$2" <<<"$out"
}

# start_mdns_node NODE [ARGS]: start invpnd with mDNS on NODE's own bus.
start_mdns_node() {
	local n=$1
	shift
	DBUS_SYSTEM_BUS_ADDRESS=$(bus_of "$n") start_node "$n" --mdns yes "$@"
}

# dns_server NODE IP ZONE [dnsmasq options]: an authoritative dnsmasq for ZONE
# in NODE's namespace, answering on IP:53 (NXDOMAIN for unknown names in ZONE,
# REFUSED for everything else: no upstream).
dns_server() {
	local n=$1 ip=$2 zone=$3
	shift 3
	ip netns exec "$PFX-$n" dnsmasq --keep-in-foreground --no-daemon --conf-file=/dev/null \
		--no-resolv --no-hosts --no-poll --bind-interfaces --listen-address="$ip" \
		--port=53 --local="/$zone/" --log-queries --log-facility=- --pid-file= "$@" \
		>"$IT_WORK/dnsmasq.log" 2>&1 &
	IT_BG+=("$!")
	wait_for 5 dns_answers "$n" "$ip" || bail "dnsmasq did not come up: $(tail -3 "$IT_WORK/dnsmasq.log")"
}
dns_answers() {
	grep -q "started" "$IT_WORK/dnsmasq.log"
}

# use_dns NODE IP: make programs in NODE's namespace use the DNS server at IP.
use_dns() {
	local d=/etc/netns/$PFX-$1
	mkdir -p "$d" || bail "mkdir $d"
	DISCO_ETC+=("$d")
	printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$2" >"$d/resolv.conf"
}

declare -A AVAHI_PID=()

# disco_init [TOOLS]: it_init plus the discovery prerequisites and clean-up.
disco_init() {
	it_init "$@"
	disco_require
	trap 'rc=$?; disco_cleanup; it_cleanup $rc' EXIT
}
