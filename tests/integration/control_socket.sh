#!/usr/bin/env bash
# The control socket (src/control.c): born 0660 (a umask at bind, no chmod);
# clients checked by SO_PEERCRED (root, the daemon's user, or the socket's
# group) even when the file's mode lets anyone in; idle clients never lock out
# a new one (the one idle the longest is closed when 64 are connected).
#
#   ns a: one node, no peers; clients from the host (the socket is a file)
. "$(dirname "$0")/lib.sh"
it_init
it_require setpriv python3
[ -n "$INVPNCTL" ] || bail "needs invpnctl (INVPNCTL)"

make_ca
make_node a 02:00:5e:62:00:01
ns_add a
# nobody must reach the socket to be refused by credentials, not by the path
chmod 0711 "$IT_WORK"
start_node a -v
SOCK=$IT_WORK/a.sock

mode=$(stat -c %a "$SOCK")
check "the socket is born mode 0660 (is $mode)" [ "$mode" = 660 ]
gid=$(stat -c %g "$SOCK")
diag "socket group: gid $gid"

# ---- 100 idle clients, then invpnctl still answers
python3 - "$SOCK" 100 30 >"$IT_WORK/idle.out" 2>&1 <<'PY' &
import socket, sys, time
path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    # a full backlog says EAGAIN: wait for the daemon to accept (bounded)
    for _ in range(100):
        try:
            s.connect(path)
            break
        except BlockingIOError:
            time.sleep(0.05)
    else:
        sys.exit("connect: backlog full for 5 s")
    socks.append(s)
print("connected", len(socks), flush=True)
deadline = time.time() + hold
while time.time() < deadline:
    time.sleep(0.5)
PY
IDLE_PID=$!
idle_connected() { grep -q '^connected 100$' "$IT_WORK/idle.out"; }
check "100 idle clients connected" wait_for 15 idle_connected
sleep 1 # let the daemon accept them all
t0=$(now_ms)
out=$(timeout 10 "$INVPNCTL" -s "$SOCK" --json status 2>&1)
rc=$?
diag "invpnctl status with 100 idle clients: status $rc in $(($(now_ms) - t0)) ms"
# (jq -e on empty input succeeds: an empty reply must fail the check)
reply_ok() { [ -n "$1" ] && jq -e '.ok == true' <<<"$1" >/dev/null; }
check "invpnctl status answers with 100 idle clients (status $rc)" reply_ok "$out"
for i in 1 2 3; do
	out=$(timeout 10 "$INVPNCTL" -s "$SOCK" --json status 2>&1)
	check "and again ($i)" reply_ok "$out"
done
check "a logs that it closed an idle client for a new one" \
	log_has a "control: 64 clients: closed the one idle for longest"
kill "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null

# ---- credentials, with the mode opened to everyone
chmod 0666 "$SOCK"
as_user() { # setpriv ARGS... -- invpnctl status; output in $AS_OUT, status in AS_RC
	AS_OUT=$(timeout 10 setpriv "$@" -- "$INVPNCTL" -s "$SOCK" status 2>&1)
	AS_RC=$?
}
as_user --reuid=65534 --regid=65534 --clear-groups
diag "nobody: status $AS_RC: $AS_OUT"
check "uid 65534 outside the group is refused (status $AS_RC)" [ "$AS_RC" -ne 0 ]
told() { grep -E "permission denied: uid 65534 is neither root nor in the control socket's group \(gid $gid\)" <<<"$AS_OUT" >/dev/null; }
check "and is told why" told
check "a logs the refusal" log_has a "control: permission denied: uid 65534"
as_user --reuid=65534 --regid="$gid" --clear-groups
check "uid 65534 with the socket's group as primary group is let in (status $AS_RC)" [ "$AS_RC" -eq 0 ]
as_user --reuid=65534 --regid=65534 --groups="$gid"
check "uid 65534 with the socket's group as a supplementary group is let in (status $AS_RC)" [ "$AS_RC" -eq 0 ]
out=$(ctl a status)
check "root is let in" reply_ok "$out"

check "a is still running" node_answers a
check "SIGTERM: a exits with status 0" stop_node a
check "the socket is removed on exit" not test -e "$SOCK"
done_testing
