#!/usr/bin/env bash
# A small invpn mesh on this machine: install what is missing, build, start
# four nodes in network namespaces, show them find each other by mDNS (no
# addresses configured anywhere) and carry pings, then clean everything up.
#
#          bridge (in namespace inv<pid>br), underlay 198.18.77.0/24
#     +----------+----------+----------+
#     n1         n2         n3         n4      overlay 10.201.77.N/24 on each TAP
#     .1         .2         .3         .4
#  each node: its own dbus-daemon + avahi-daemon (as a LAN host would have),
#  and invpnd with nothing but its certificate
#
# Only addresses inside namespaces made here are used; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (network namespaces, TAP devices)" >&2
	exit 1
fi
bash tools/deps.sh
bash tools/build.sh >/dev/null
invpnd=$top/build/src/invpnd
invpnctl=$top/build/tools/invpnctl
pki=$top/certs/invpn-pki

pre=inv$$
work=$(mktemp -d /tmp/invpn-demo.XXXXXX)
pids=()
nodes=(n1 n2 n3 n4)

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for f in "$work"/*/dbus.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for n in "${nodes[@]}"; do ip netns del "$pre$n" 2>/dev/null || true; done
	ip netns del "${pre}br" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { "$invpnctl" -s "$work/$1.sock" "${@:2}"; }

say "certificates: one CA, one node certificate each (CN = the node's MAC)"
"$pki" init-ca "$work/ca" >/dev/null
i=0
for n in "${nodes[@]}"; do
	i=$((i + 1))
	mac=$(printf '02:00:5e:77:00:%02x' $i)
	"$pki" node --mac "$mac" "$work/ca" "$work/$n" >/dev/null
	echo "  $n  $mac"
done

say "network: four namespaces on one bridge (198.18.77.0/24)"
ip netns add "${pre}br"
ip -n "${pre}br" link add br0 type bridge
ip -n "${pre}br" link set br0 up
i=0
for n in "${nodes[@]}"; do
	i=$((i + 1))
	ip netns add "$pre$n"
	ip -n "$pre$n" link set lo up
	ip link add "${pre}$n" netns "$pre$n" type veth peer name "p$i" netns "${pre}br"
	ip -n "${pre}br" link set "p$i" master br0 up
	ip -n "$pre$n" link set "${pre}$n" name eth0
	ip -n "$pre$n" addr add "198.18.77.$i/24" dev eth0
	ip -n "$pre$n" link set eth0 up
done

say "a D-Bus system bus and avahi-daemon per node (mDNS on the LAN)"
for n in "${nodes[@]}"; do
	d=$work/$n
	cat >"$d/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$d/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/>
<allow send_type="method_call"/><allow send_type="signal"/><allow send_type="method_return"/>
<allow send_type="error"/><allow receive_type="method_call"/><allow receive_type="signal"/>
<allow receive_type="method_return"/><allow receive_type="error"/></policy></busconfig>
EOC
	printf '[server]\nhost-name=%s\ndeny-interfaces=invpn0\nuse-ipv6=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n' \
		"$pre-$n" >"$d/avahi.conf"
	ip netns exec "$pre$n" dbus-daemon --config-file="$d/bus.conf" --fork --print-pid=3 3>"$d/dbus.pid"
	ip netns exec "$pre$n" unshare --mount --propagation private sh -c "
		mount -t tmpfs -o mode=755 demo-run /run && mkdir -p /run/avahi-daemon &&
		DBUS_SYSTEM_BUS_ADDRESS=unix:path=$d/bus.sock exec avahi-daemon -f $d/avahi.conf \
			--no-chroot --no-drop-root --no-rlimits --no-proc-title" >"$d/avahi.log" 2>&1 &
	pids+=($!)
	echo "  $n: dbus-daemon + avahi-daemon"
done

say "start invpnd on each node: a certificate and nothing else (no addresses, no seeds)"
for n in "${nodes[@]}"; do
	ip netns exec "$pre$n" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/$n/bus.sock" \
		"$invpnd" -f --key "$work/$n/node.key" --cert "$work/$n/node.crt" \
		--ca "$work/$n/ca.crt" --cache "$work/$n.cache" --control "$work/$n.sock" \
		--interface invpn0 >"$work/$n.log" 2>&1 &
	pids+=($!)
done
start=$(date +%s.%N)
for n in "${nodes[@]}"; do
	for _ in $(seq 100); do
		ctl "$n" status >/dev/null 2>&1 && break
		sleep 0.1
	done
done
i=0
for n in "${nodes[@]}"; do
	i=$((i + 1))
	ip -n "$pre$n" addr add "10.201.77.$i/24" dev invpn0
done

say "waiting until every node has at least two links"
for _ in $(seq 150); do
	ok=1
	for n in "${nodes[@]}"; do
		l=$(ctl "$n" --json status 2>/dev/null | jq -r .links 2>/dev/null || echo 0)
		[ "${l:-0}" -ge 2 ] || ok=0
	done
	[ $ok = 1 ] && break
	sleep 0.2
done
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "  after %.1f s:\n", b - a }'
for n in "${nodes[@]}"; do
	printf '  %s: %s links\n' "$n" "$(ctl "$n" --json status | jq -r .links)"
done

say "how n2 learned about the others (invpnctl nodes)"
ctl n2 nodes

say "links of n2 (invpnctl peers)"
ctl n2 peers

say "ping every node from every other node over the mesh"
fails=0
i=0
for n in "${nodes[@]}"; do
	i=$((i + 1))
	line="  $n ->"
	j=0
	for m in "${nodes[@]}"; do
		j=$((j + 1))
		[ "$n" = "$m" ] && continue
		if ip netns exec "$pre$n" ping -c 1 -W 2 "10.201.77.$j" >/dev/null 2>&1 ||
			ip netns exec "$pre$n" ping -c 1 -W 2 "10.201.77.$j" >/dev/null 2>&1; then
			line+=" $m ok"
		else
			line+=" $m FAILED"
			fails=$((fails + 1))
		fi
	done
	echo "$line"
done

say "routes of n4 (invpnctl routes)"
ctl n4 routes

if ctl n1 health --wait 1 >/dev/null 2>&1; then
	say "the whole mesh, asked from n1 (invpnctl health)"
	ctl n1 health --wait 1
fi

say "result"
if [ $fails -eq 0 ]; then
	echo "  all 12 pings crossed the mesh; stopping the nodes and cleaning up"
else
	echo "  $fails ping(s) failed; node logs:"
	tail -n 20 "$work"/*.log
	exit 1
fi
