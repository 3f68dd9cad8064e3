# shellcheck shell=bash
# lib.sh - the harness every integration scenario sources.
#
# Each scenario builds its own little world out of network namespaces, all
# named with a per-run prefix (inv$$), runs real invpnd binaries in them and
# prints TAP-style "ok N - ..." / "not ok N - ..." lines. Everything it made
# (namespaces and the veths and bridges inside them, daemons and helper
# processes by PID, the temporary directory) is removed on exit.
#
# Underlay addresses are 198.18.x.y (RFC 2544 benchmarking space), overlay
# addresses 10.201.0.x/24 and IPv6 link-local on the TAP devices. Nothing
# leaves the namespaces made here.
#
# Environment: INVPND, INVPN_PKI, INVPNCTL (optional; falls back to socat),
# CI=true turns a missing prerequisite into a failure instead of a skip (77);
# IT_KEEP=1 keeps the work directory (certificates, logs, captures).

# Globals such as NODE_MAC, NODE_RC and PING_TRIES are for the scenarios.
# shellcheck disable=SC2034

set -u
set -o pipefail
export LC_ALL=C

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_TOP=$(cd "$IT_DIR/../.." && pwd)
INVPND=${INVPND:-$IT_TOP/build/src/invpnd}
INVPN_PKI=${INVPN_PKI:-$IT_TOP/certs/invpn-pki}
INVPNCTL=${INVPNCTL:-}
if [ -z "$INVPNCTL" ] && [ -x "$IT_TOP/build/tools/invpnctl" ]; then
	INVPNCTL=$IT_TOP/build/tools/invpnctl
fi
IT_NAME=$(basename "$0" .sh)

PFX=inv$$           # every namespace and interface name starts with this
IT_TAP=${PFX}t      # the TAP name inside each node's namespace (< 15 chars)
IT_WORK=""          # per-run temporary directory
IT_N=0              # TAP test counter
IT_FAILS=0
IT_NS=()            # namespaces created, in order
IT_IFS=()           # veth/bridge names created (they live inside IT_NS)
IT_BG=()            # helper processes started (tcpdump, ping, ...)
IT_LINK_IDX=0
BG_PID=""           # PID of the last helper started with bg_ns
declare -A NODE_PID=() NODE_MAC=()

# ---------------------------------------------------------------------------
# TAP output

ok() {
	IT_N=$((IT_N + 1))
	echo "ok $IT_N - $*"
}

not_ok() {
	IT_N=$((IT_N + 1))
	IT_FAILS=$((IT_FAILS + 1))
	echo "not ok $IT_N - $*"
}

diag() {
	echo "# $*"
}

# check DESCRIPTION COMMAND... - one test line from a command's status
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# check_todo REASON DESCRIPTION COMMAND... - a check for a known, reported bug:
# "not ok ... # TODO REASON" does not fail the scenario; a pass is reported as
# "ok ... # TODO REASON" so that the fix gets noticed
check_todo() {
	local why=$1 desc=$2
	shift 2
	IT_N=$((IT_N + 1))
	if "$@"; then
		echo "ok $IT_N - $desc # TODO $why (passes now: make it a plain check)"
	else
		echo "not ok $IT_N - $desc # TODO $why"
	fi
}

# not COMMAND... - succeeds when COMMAND fails (for check and wait_for)
not() {
	! "$@"
}

# bail MESSAGE - a failure the scenario cannot go on after
bail() {
	not_ok "$*"
	echo "Bail out! $*"
	exit 1
}

# done_testing - print the plan and exit with the verdict
done_testing() {
	echo "1..$IT_N"
	if [ "$IT_FAILS" -ne 0 ]; then
		diag "$IT_NAME: $IT_FAILS of $IT_N checks failed"
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------------------
# prerequisites

# it_unprivileged REASON - skip (77), or fail when CI=true
it_unprivileged() {
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $IT_NAME: $1 (CI=true: a missing prerequisite is a failure)"
		exit 1
	fi
	echo "1..0 # SKIP $IT_NAME: $1"
	exit 77
}

# it_missing REASON - anything else missing is always a failure
it_missing() {
	echo "Bail out! $IT_NAME: $1"
	exit 1
}

it_require() {
	local t
	[ "$(id -u)" -eq 0 ] || it_unprivileged "needs root (network namespaces, TAP devices)"
	[ -c /dev/net/tun ] || it_unprivileged "needs /dev/net/tun"
	for t in ip jq openssl ping timeout awk "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			it_missing "'$t' not found (apt-get install -y --no-install-recommends socat jq tcpdump iputils-ping iputils-arping iproute2)"
	done
	[ -x "$INVPND" ] || it_missing "INVPND=$INVPND is not an executable (build first: ninja -C build)"
	[ -x "$INVPN_PKI" ] || it_missing "INVPN_PKI=$INVPN_PKI is not an executable"
	if [ -z "$INVPNCTL" ] || [ ! -x "$INVPNCTL" ]; then
		INVPNCTL=""
		command -v socat >/dev/null 2>&1 ||
			it_missing "neither invpnctl nor socat is available to query the control socket"
	fi
	# root in a container may still be unable to make namespaces
	if ! ip netns add "${PFX}-probe" 2>/dev/null; then
		it_unprivileged "cannot create network namespaces"
	fi
	ip netns del "${PFX}-probe"
}

# it_has_feature NAME - was invpnd built with NAME (mdns, dns, systemd)? Read
# from its --version line, e.g. "invpnd 0.1.0 (+mdns -dns +systemd)".
it_has_feature() {
	local v
	v=$("$INVPND" --version 2>/dev/null) || return 1
	v=${v#*(}
	v=${v%)*}
	[[ " $v " == *" +$1 "* ]]
}

# it_require_feature NAME - skip (77) a scenario about a feature this invpnd
# was built without; not a failure even with CI=true: the build chose that,
# and meson does not register such scenarios there. (A missing INVPND is
# left to it_require to report.)
it_require_feature() {
	[ -x "$INVPND" ] || return 0
	it_has_feature "$1" && return 0
	echo "1..0 # SKIP $IT_NAME: invpnd was built without $1 ($("$INVPND" --version))"
	exit 77
}

# ---------------------------------------------------------------------------
# set-up and clean-up

it_cleanup() {
	local rc=$1 pid n i f
	trap - EXIT INT TERM HUP
	[ "$rc" -eq 0 ] && [ "$IT_FAILS" -ne 0 ] && rc=1
	local -a pids=()
	for pid in "${IT_BG[@]}" "${NODE_PID[@]}"; do
		[ -n "$pid" ] && is_ours "$pid" && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 50; i++)); do
			proc_alive "$pid" || break
			sleep 0.1
		done
		proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ -n "$IT_WORK" ]; then
		for f in "$IT_WORK"/*.log; do
			[ -f "$f" ] || continue
			diag "---- $(basename "$f") (last 30 lines) ----"
			tail -n 30 "$f" | sed 's/^/#   /'
		done
	fi
	# deleting a namespace deletes the veths and bridges inside it
	for ((i = ${#IT_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${IT_NS[i]}" 2>/dev/null
	done
	# a veth end that somehow stayed in the root namespace
	for n in "${IT_IFS[@]}"; do
		ip link show "$n" >/dev/null 2>&1 && ip link del "$n" 2>/dev/null
	done
	if [ "${IT_KEEP:-}" = 1 ]; then
		diag "IT_KEEP=1: work dir kept: $IT_WORK"
	elif [ -n "$IT_WORK" ]; then
		rm -rf -- "$IT_WORK"
	fi
	exit "$rc"
}

# it_init [TOOL...] - check prerequisites, make the work dir, arm the clean-up
it_init() {
	it_require "$@"
	IT_WORK=$(mktemp -d /tmp/invpn-it.XXXXXX) || it_missing "mktemp failed"
	mkdir -p "$IT_WORK/certs"
	trap 'it_cleanup $?' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	IT_T0=$(now)
	diag "$IT_NAME: prefix $PFX, work dir $IT_WORK, invpnd $INVPND, query via ${INVPNCTL:-socat}"
}

# ---------------------------------------------------------------------------
# time

# now - seconds since the epoch, with microseconds
now() {
	echo "${EPOCHREALTIME/,/.}"
}

# now_ms - milliseconds since the epoch
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# elapsed FROM [TO] - seconds between two now values, 3 decimals
elapsed() {
	awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'
}

# wait_for TIMEOUT_S COMMAND... - poll every 0.1 s until COMMAND succeeds
wait_for() {
	local limit=$1 end
	shift
	end=$(($(now_ms) + $(awk -v t="$limit" 'BEGIN { printf "%d", t * 1000 }')))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# proc_alive PID - running (not a zombie waiting to be reaped)
proc_alive() {
	local line rest
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	rest=${line##*) }
	case ${rest%% *} in Z | X | x | "") return 1 ;; esac
	return 0
}

# is_ours PID - a process this run started: our child, or one that names our
# work directory on its command line (a daemon that forked away from us).
# Guards clean-up against a PID that was reaped and then reused.
is_ours() {
	local line rest ppid
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	rest=${line##*) }
	rest=${rest#* }
	ppid=${rest%% *}
	[ "$ppid" = "$$" ] && return 0
	[ -n "$IT_WORK" ] || return 1
	line=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $line == *"$IT_WORK"* ]]
}

# ---------------------------------------------------------------------------
# certificates

# make_ca [NAME] - a CA directory $IT_WORK/NAME (default "ca")
make_ca() {
	local name=${1:-ca}
	"$INVPN_PKI" init-ca --name "invpn test $name" "$IT_WORK/$name" >/dev/null 2>"$IT_WORK/pki.err" ||
		bail "invpn-pki init-ca $name: $(cat "$IT_WORK/pki.err")"
}

# make_node NAME MAC [CA [PKI-OPTION...]] - $IT_WORK/certs/NAME/{node.key,node.crt,ca.crt}
make_node() {
	local name=$1 mac=$2 ca=${3:-ca}
	shift 3 2>/dev/null || shift $#
	"$INVPN_PKI" node --mac "$mac" "$@" "$IT_WORK/$ca" "$IT_WORK/certs/$name" >/dev/null \
		2>"$IT_WORK/pki.err" || bail "invpn-pki node $name $mac: $(cat "$IT_WORK/pki.err")"
	NODE_MAC[$name]=$mac
}

# make_cert_cn NAME CN [CA] - like make_node, but with any Common Name, made with the
# openssl CLI directly (invpn-pki refuses a CN that is not a MAC): key, CSR, signed
# by CA's ca.key with the extensions invpn-pki gives node certificates
make_cert_cn() {
	local name=$1 cn=$2 ca=$IT_WORK/${3:-ca} d=$IT_WORK/certs/$1
	mkdir -p "$d"
	printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
		'keyUsage = critical, digitalSignature' \
		'extendedKeyUsage = serverAuth, clientAuth' >"$d/ext.cnf"
	{
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/node.key" &&
			openssl req -new -key "$d/node.key" -subj "/CN=$cn" -out "$d/node.csr" &&
			openssl x509 -req -in "$d/node.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" \
				-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 1 \
				-extfile "$d/ext.cnf" -out "$d/node.crt" &&
			cp "$ca/ca.crt" "$d/ca.crt"
	} >"$IT_WORK/openssl.err" 2>&1 || bail "openssl: certificate with CN '$cn': $(tail -n 3 "$IT_WORK/openssl.err")"
}

# certdir NAME
certdir() {
	echo "$IT_WORK/certs/$1"
}

# ---------------------------------------------------------------------------
# namespaces and underlay links

# ns NAME - the full namespace name
ns() {
	echo "$PFX-$1"
}

# nsx NAME COMMAND... - run a command in a namespace
nsx() {
	local n=$1
	shift
	ip netns exec "$PFX-$n" "$@"
}

# ns_add NAME... - new namespaces with lo up
ns_add() {
	local n
	for n in "$@"; do
		ip netns add "$PFX-$n" || bail "ip netns add $PFX-$n"
		IT_NS+=("$PFX-$n")
		ip -n "$PFX-$n" link set lo up || bail "lo up in $PFX-$n"
	done
}

# no_ipv6 NAME... - interfaces made later in these namespaces get no IPv6
no_ipv6() {
	local n
	for n in "$@"; do
		nsx "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv6.conf.all.disable_ipv6=1 || bail "disable IPv6 in $n"
	done
}

# veth_pair NS_A NS_B - a veth between two namespaces; sets VETH_A, VETH_B
veth_pair() {
	IT_LINK_IDX=$((IT_LINK_IDX + 1))
	VETH_A=${PFX}u$IT_LINK_IDX
	VETH_B=${PFX}p$IT_LINK_IDX
	IT_IFS+=("$VETH_A" "$VETH_B")
	ip link add "$VETH_A" netns "$PFX-$1" type veth peer name "$VETH_B" netns "$PFX-$2" ||
		bail "veth $VETH_A ($1) - $VETH_B ($2)"
}

# link_ns A B SUBNET - veth between A (198.18.SUBNET.1) and B (198.18.SUBNET.2)
link_ns() {
	local a=$1 b=$2 s=$3
	veth_pair "$a" "$b"
	if ! { ip -n "$PFX-$a" addr add "198.18.$s.1/24" dev "$VETH_A" &&
		ip -n "$PFX-$a" link set "$VETH_A" up &&
		ip -n "$PFX-$b" addr add "198.18.$s.2/24" dev "$VETH_B" &&
		ip -n "$PFX-$b" link set "$VETH_B" up; }; then
		bail "link_ns $a $b $s"
	fi
}

# bridge_add BR - a namespace BR holding one bridge
bridge_add() {
	ns_add "$1"
	IT_IFS+=("${PFX}br")
	if ! { ip -n "$PFX-$1" link add "${PFX}br" type bridge &&
		ip -n "$PFX-$1" link set "${PFX}br" up; }; then
		bail "bridge in $1"
	fi
}

# bridge_join BR NAME SUBNET HOST - NAME gets 198.18.SUBNET.HOST/24 on bridge BR
bridge_join() {
	local br=$1 n=$2 s=$3 h=$4
	veth_pair "$n" "$br"
	if ! { ip -n "$PFX-$br" link set "$VETH_B" master "${PFX}br" &&
		ip -n "$PFX-$br" link set "$VETH_B" up &&
		ip -n "$PFX-$n" addr add "198.18.$s.$h/24" dev "$VETH_A" &&
		ip -n "$PFX-$n" link set "$VETH_A" up; }; then
		bail "bridge_join $br $n $s.$h"
	fi
}

# ---------------------------------------------------------------------------
# daemons

# node_args NAME - the arguments every node gets
node_args() {
	local d=$IT_WORK/certs/$1
	NODE_ARGS=(-f --key "$d/node.key" --cert "$d/node.crt" --ca "$d/ca.crt"
		--cache "$IT_WORK/$1.cache" --control "$IT_WORK/$1.sock"
		--interface "$IT_TAP" --mdns no)
}

# start_node NAME [invpnd args] - run invpnd in namespace NAME with NAME's certificates;
# returns once its control socket answers
start_node() {
	local name=$1 pid
	shift
	node_args "$name"
	echo "=== $(date '+%H:%M:%S.%N') start: invpnd ${NODE_ARGS[*]} $*" >>"$IT_WORK/$name.log"
	ip netns exec "$PFX-$name" "$INVPND" "${NODE_ARGS[@]}" "$@" >>"$IT_WORK/$name.log" 2>&1 &
	pid=$!
	NODE_PID[$name]=$pid
	if ! wait_for 20 node_answers "$name"; then
		proc_alive "$pid" || { wait "$pid"; diag "invpnd $name exited with status $?"; }
		bail "node $name did not come up (control socket $IT_WORK/$name.sock)"
	fi
}

# node_answers NAME - the daemon is alive and its control socket answers
node_answers() {
	proc_alive "${NODE_PID[$1]}" && ctl "$1" status | jq -e '.ok == true' >/dev/null
}

# stop_node NAME - SIGTERM; succeeds if it exited with status 0 within 10 s
stop_node() {
	local name=$1 pid=${NODE_PID[$1]:-} i rc
	[ -n "$pid" ] || return 1
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		proc_alive "$pid" || break
		sleep 0.1
	done
	if proc_alive "$pid"; then
		diag "node $name did not exit within 10 s of SIGTERM; killing it"
		kill -KILL "$pid"
	fi
	wait "$pid"
	rc=$?
	NODE_PID[$name]=""
	NODE_RC[$name]=$rc
	[ "$rc" -eq 0 ] || diag "node $name exited with status $rc"
	[ "$rc" -eq 0 ]
}
declare -A NODE_RC=()

# kill_node NAME - SIGKILL, reaped
kill_node() {
	local pid=${NODE_PID[$1]:-}
	[ -n "$pid" ] || return 1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	NODE_PID[$1]=""
	return 0
}

# node_pid NAME
node_pid() {
	echo "${NODE_PID[$1]:-}"
}

# ---------------------------------------------------------------------------
# the control socket

# ctl NAME COMMAND - one JSON reply line from NAME's daemon
ctl() {
	local sock=$IT_WORK/$1.sock out
	shift
	if [ -n "$INVPNCTL" ]; then
		out=$(timeout 10 "$INVPNCTL" -s "$sock" --json "$@" 2>/dev/null) || return 1
	else
		out=$(printf '%s\n' "$*" | timeout 10 socat -t 5 -T 10 - "UNIX-CONNECT:$sock" 2>/dev/null) ||
			return 1
	fi
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

# ctlq NAME COMMAND JQ-FILTER - one value out of a control reply
ctlq() {
	local out
	out=$(ctl "$1" "$2") || return 1
	printf '%s\n' "$out" | jq -r "$3"
}

# links_of NAME - number of up links (-1 if the daemon does not answer)
links_of() {
	ctlq "$1" status .links 2>/dev/null || echo -1
}

# counter NAME KEY - one of status.counters (-1 if the daemon does not answer)
counter() {
	ctlq "$1" status ".counters.$2" 2>/dev/null || echo -1
}

# counters_zero KEY NAME... - every NAME answers, with status.counters.KEY at 0
counters_zero() {
	local key=$1 n
	shift
	for n in "$@"; do
		[ "$(counter "$n" "$key")" = 0 ] || return 1
	done
}

links_ge() { [ "$(links_of "$1")" -ge "$2" ]; }
links_eq() { [ "$(links_of "$1")" -eq "$2" ]; }
routes_ge() { [ "$(ctlq "$1" status .routes 2>/dev/null || echo -1)" -ge "$2" ]; }
pending_eq() { [ "$(ctlq "$1" status .links_pending 2>/dev/null || echo -1)" -eq "$2" ]; }

# route_via NAME MAC - the MAC of the next hop NAME uses for MAC (empty if none)
route_via() {
	ctlq "$1" routes ".routes[] | select(.mac == \"$2\") | .via" 2>/dev/null
}

# has_route NAME MAC
has_route() {
	[ -n "$(route_via "$1" "$2")" ]
}

# peer_up NAME MAC - NAME has an up link to MAC
peer_up() {
	[ -n "$(ctlq "$1" peers ".peers[] | select(.state == \"up\" and .mac == \"$2\") | .mac" 2>/dev/null)" ]
}

# ---------------------------------------------------------------------------
# overlay

# overlay_ip NAME IP[/PREFIX] - add an address to NAME's TAP (default /24)
overlay_ip() {
	local ip=$2
	case $ip in */*) ;; *) ip=$ip/24 ;; esac
	ip -n "$PFX-$1" addr add "$ip" dev "$IT_TAP" || bail "overlay address $ip on $1"
}

# tap_ll NAME - the TAP's IPv6 link-local address, once DAD is over
tap_ll() {
	local line
	line=$(ip -n "$PFX-$1" -6 -o addr show dev "$IT_TAP" scope link 2>/dev/null) || return 1
	line=${line%%$'\n'*}
	[ -n "$line" ] || return 1
	case $line in *tentative*) return 1 ;; esac
	line=${line#* inet6 }
	echo "${line%%/*}"
}

# tap_exists NAME
tap_exists() {
	ip -n "$PFX-$1" link show "$IT_TAP" >/dev/null 2>&1
}

# ping_ok FROM IP [TRIES] - one echo (-c 1 -W 2), up to TRIES attempts (default 1);
# an IPv6 link-local IP gets %TAP appended
ping_ok() {
	local from=$1 ip=$2 tries=${3:-1} i fam=-4
	case $ip in
	fe80:*) ip=$ip%$IT_TAP fam=-6 ;;
	*:*) fam=-6 ;;
	esac
	for ((i = 1; i <= tries; i++)); do
		if ip netns exec "$PFX-$from" ping "$fam" -n -q -c 1 -W 2 "$ip" >/dev/null 2>&1; then
			PING_TRIES=$i
			return 0
		fi
	done
	PING_TRIES=$tries
	return 1
}

# ---------------------------------------------------------------------------
# helpers in the background

# bg_ns NAME OUTFILE COMMAND... - run a command in a namespace in the background;
# its PID goes to BG_PID and is killed at clean-up
bg_ns() {
	local n=$1 out=$2
	shift 2
	ip netns exec "$PFX-$n" "$@" >"$out" 2>&1 &
	BG_PID=$!
	IT_BG+=("$BG_PID")
}

# bg_stop PID [SIGNAL] - stop a helper and reap it (bounded)
bg_stop() {
	local pid=$1 sig=${2:-INT} i
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		proc_alive "$pid" || break
		sleep 0.1
	done
	proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# reaped: forget it, so that clean-up cannot hit a reused PID
	for i in "${!IT_BG[@]}"; do
		[ "${IT_BG[i]}" = "$pid" ] && unset 'IT_BG[i]'
	done
}

# log_has NAME REGEX - NAME's log mentions it
log_has() {
	grep -Eq -- "$2" "$IT_WORK/$1.log"
}

# ping_max_gap FILE [END [START]] - the longest time without a reply in `ping -D`
# output, prints "GAP REPLIES GAP_START"; counts from START (a now value, default:
# the first reply) up to END (default: the last reply). No reply at all is a gap
# of END - START, or of 999999 s without them: never a pass.
ping_max_gap() {
	awk -v end="${2:-0}" -v start="${3:-0}" '
		/bytes from/ {
			t = substr($1, 2, length($1) - 2) + 0
			if (!n++) {
				if (start > 0 && t - start > gap) { gap = t - start; at = start }
			} else if (t - last > gap) {
				gap = t - last; at = last
			}
			last = t
		}
		END {
			if (!n) {
				gap = 999999; at = start
				if (end > 0 && start > 0) gap = end - start
			} else if (end > 0 && end - last > gap) {
				gap = end - last; at = last
			}
			printf "%.3f %d %.3f\n", gap, n, at
		}' "$1"
}
