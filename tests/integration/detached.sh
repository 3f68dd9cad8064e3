#!/usr/bin/env bash
# A daemon started without -f (detached): it must do what the foreground one
# does with every signal, and its start must report errors like the foreground.
#
#    ns a                                    ns b
#  +-----------------------+   veth    +-----------------------+
#  | invpnd a (detached)   |-----------| invpnd b -f  --init a |
#  | --crl ca/crl.pem      |           |                       |
#  | 198.18.1.1            |           | 198.18.1.2            |
#  +-----------------------+           +-----------------------+
#
# Checks: `invpnd` without -f returns 0 only once the daemon answers; the
# daemon is a session leader on /dev/null; SIGUSR2 re-executes it in place
# (same PID, no second fork, links back); SIGHUP reloads the CRL (a revoked
# b's link closes); SIGTERM ends it cleanly (TAP and socket gone, cache
# written); no signal stays pending; a detached start that fails exits 1 with
# the reason on stderr and leaves no daemon behind.
. "$(dirname "$0")/lib.sh"
it_init

MAC_A=02:00:5e:11:00:01
MAC_B=02:00:5e:11:00:02

make_ca
make_node a $MAC_A
make_node b $MAC_B
ns_add a b
link_ns a b 1
crl=$IT_WORK/ca/crl.pem

# start_detached NAME [args] - invpnd without -f; its status is in START_RC
start_detached() {
	local name=$1
	shift
	node_args "$name"
	ip netns exec "$PFX-$name" "$INVPND" "${NODE_ARGS[@]:1}" "$@" \
		>"$IT_WORK/$name.start.out" 2>"$IT_WORK/$name.start.err"
	START_RC=$?
}

# no_signal_pending PID - nothing waits in the process's or its thread's queue
no_signal_pending() {
	local st
	st=$(cat "/proc/$1/status") || return 1
	grep -Eq '^SigPnd:[[:space:]]+0+$' <<<"$st" && grep -Eq '^ShdPnd:[[:space:]]+0+$' <<<"$st"
}

# fd_is PID FD TARGET
fd_is() { [ "$(readlink "/proc/$1/fd/$2")" = "$3" ]; }

# session_leader PID
session_leader() { [ "$(ps -o sid= -p "$1" | tr -d ' ')" = "$1" ]; }

# answers NAME - the control socket answers (whoever runs behind it)
answers() { ctl "$1" status | jq -e '.ok == true' >/dev/null; }

# empty FILE...
empty() {
	local f
	for f in "$@"; do [ ! -s "$f" ] || return 1; done
}

uptime_below() { [ "$(ctlq a status .uptime_s 2>/dev/null || echo 99)" -lt "$1" ]; }

start_detached a --crl "$crl"
check "invpnd without -f exits 0 (status $START_RC)" [ "$START_RC" -eq 0 ]
check "its control socket answers the moment it returns" answers a
pid=$(ctlq a status .pid)
NODE_PID[a]=$pid # for the harness's clean-up (it knows the daemon by our work dir)
check "the daemon is a session leader" session_leader "$pid"
check "its stdin, stdout and stderr are /dev/null" \
	eval 'fd_is "$pid" 0 /dev/null && fd_is "$pid" 1 /dev/null && fd_is "$pid" 2 /dev/null'
check "it printed nothing on stdout" empty "$IT_WORK/a.start.out"
diag "its start-up lines on stderr:"
sed 's/^/#   /' "$IT_WORK/a.start.err"

start_node b --init 198.18.1.1
check "b links to the detached a" wait_for 10 links_eq a 1

# ---- SIGUSR2: re-exec in place
wait_for 5 not uptime_below 2
kill -USR2 "$pid"
check "SIGUSR2: a re-executes (uptime starts again)" wait_for 5 uptime_below 2
check "with the same PID (no second fork)" [ "$(ctlq a status .pid)" = "$pid" ]
check "still a session leader, on /dev/null" eval 'session_leader "$pid" && fd_is "$pid" 2 /dev/null'
check "b's link comes back" wait_for 10 links_eq a 1

# ---- SIGHUP: reload the CRL; b is revoked, its link goes
"$INVPN_PKI" revoke "$IT_WORK/ca" "$IT_WORK/certs/b/node.crt" >/dev/null || bail "revoke b"
kill -HUP "$pid"
check "SIGHUP: a closes the link to revoked b" wait_for 5 links_eq a 0
check "and b stays out" not wait_for 3 links_ge a 1
check "no signal is left pending" no_signal_pending "$pid"

# ---- SIGTERM: a clean stop
kill -TERM "$pid"
check "SIGTERM: a exits" wait_for 10 not proc_alive "$pid"
NODE_PID[a]=""
check "its control socket is gone" [ ! -e "$IT_WORK/a.sock" ]
check "its TAP is gone" not ip -n "$PFX-a" link show "$IT_TAP"
check "its cache was written, naming b" grep -q "$MAC_B" "$IT_WORK/a.cache"

# ---- a detached start that fails says why, and exits 1
start_detached a --crl "$crl" --port 0
check "a bad configuration exits 1 before detaching (status $START_RC)" [ "$START_RC" -eq 1 ]
ip netns exec "$PFX-a" socat TCP-LISTEN:41744,reuseaddr,fork /dev/null &
bg_pid=$!
IT_BG+=("$bg_pid")
port_taken() { [ -n "$(ip netns exec "$PFX-a" ss -ltnH 'sport = :41744')" ]; }
wait_for 5 port_taken || bail "socat did not take port 41744"
start_detached a --crl "$crl"
check "a start that fails after detaching exits 1 (status $START_RC)" [ "$START_RC" -eq 1 ]
check "and says why on stderr" grep -q "listen on .*Address already in use" "$IT_WORK/a.start.err"
check "no daemon is left in a's namespace" \
	eval '[ -z "$(ip netns pids "$PFX-a" | grep -vx "$bg_pid")" ]'
check "no control socket is left" [ ! -e "$IT_WORK/a.sock" ]

done_testing
