#!/usr/bin/env bash
# test-deb.sh - build the Debian package (tools/deb.sh), lintian it, install
# it on this machine, check what it installed and made, run the installed
# daemon with the packaged configuration, then purge it and check that it
# left nothing of its own behind and nothing of the admin's was removed.
# TAP output.
#
# It changes this machine's /etc, /usr, /var/lib and its users, so it runs
# only as root and only when asked: CI=true (CI: a fresh machine) or
# INVPN_DEB_TEST=1. Otherwise it is skipped (TAP "1..0 # SKIP"), saying why; under CI=true
# a missing precondition is a failure. On exit (whatever happened) the
# package is purged, what it left (if purge is broken) removed, and any
# /etc/invpn, /var/lib/invpn or /run/invpn that was here before put back.
set -uo pipefail

SOURCE_ROOT=${SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CI=${CI:-false}

skip_all() {
	if [[ $CI == true ]]; then
		echo "1..1"
		echo "not ok 1 - $1 (CI=true: this must run)"
		exit 1
	fi
	# TAP's skip (meson's tap protocol reads the plan, not exit status 77)
	echo "1..0 # SKIP $1"
	exit 0
}
[[ $CI == true || ${INVPN_DEB_TEST:-} == 1 ]] ||
	skip_all "installs and purges a package on this machine: set INVPN_DEB_TEST=1 (or CI=true) to run it"
[[ $(id -u) -eq 0 ]] || skip_all "needs root (dpkg -i, apt-get purge)"
for t in dpkg-buildpackage lintian apt-get systemd-analyze ip; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed (tools/deps.sh)"
done
if [[ $(dpkg-query -W -f='${Status}' invpn 2>/dev/null) == *"ok installed" ]]; then
	skip_all "the package invpn is installed already: not touching it"
fi

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
# check DESC CMD... - ok if CMD succeeds
check() {
	local desc=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		diag <"$work/check.out"
	fi
}

work=$(mktemp -d /tmp/invpn-deb.XXXXXX) || exit 1
netns=invdeb$$
daemon_pid=
# was there a user invpn before? (then it is not ours to remove on exit)
user_before=$(getent passwd invpn)
# what was here before: moved aside now, put back on exit
saved=()
for p in /etc/invpn /var/lib/invpn /run/invpn; do
	if [[ -e $p ]]; then
		mkdir -p "$work/saved$(dirname "$p")"
		mv "$p" "$work/saved$p"
		saved+=("$p")
	fi
done

cleanup() {
	[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	ip netns del "$netns" 2>/dev/null
	local st
	st=$(dpkg-query -W -f='${Status}' invpn 2>/dev/null)
	if [[ $st == *" installed" || $st == *config-files ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq invpn >/dev/null 2>&1 ||
			dpkg --purge invpn >/dev/null 2>&1
	fi
	# what the test put in /etc/invpn (the "admin's" files), and whatever a
	# broken purge left of the package's
	rm -rf /etc/invpn /var/lib/invpn /run/invpn
	if [[ -z $user_before ]] && getent passwd invpn >/dev/null; then
		userdel invpn 2>/dev/null
		getent group invpn >/dev/null && groupdel invpn 2>/dev/null
	fi
	for p in "${saved[@]}"; do
		mv "$work/saved$p" "$p"
	done
	rm -rf "$work"
}
trap cleanup EXIT

# --- build (in a copy: dpkg-buildpackage writes into the tree and beside it) ---

mkdir -p "$work/src"
tar -C "$SOURCE_ROOT" --exclude='./build*' --exclude='./obj-*' --exclude=./.git \
	--exclude=./debian/invpn --exclude=./debian/.debhelper -cf - . | tar -C "$work/src" -xf -
t0=$SECONDS
if (cd "$work/src" && bash tools/deb.sh) >"$work/build.log" 2>&1; then
	deb=$(ls "$work"/src/build-deb/invpn_*.deb | grep -v dbgsym)
	ok "tools/deb.sh builds $(basename "$deb") ($((SECONDS - t0)) s)"
else
	not_ok "tools/deb.sh builds the package"
	tail -40 "$work/build.log" | diag
	echo "1..$n"
	exit 1
fi
changes=$(ls "$work"/src/build-deb/invpn_*.changes)

# lintian at its default level: no error or warning that is not overridden
# (debian/ has no overrides; README "Debian package" says so)
lintian --fail-on error,warning "$changes" >"$work/lintian.out" 2>&1
lrc=$?
if [[ $lrc -eq 0 ]] && ! grep -Eq '^[EW]: ' "$work/lintian.out"; then
	ok "lintian: no errors or warnings"
else
	not_ok "lintian: no errors or warnings (exit $lrc)"
	diag <"$work/lintian.out"
fi

# --- install ---------------------------------------------------------------

if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
	>"$work/install.log" 2>&1; then
	ok "apt-get install $(basename "$deb")"
else
	not_ok "apt-get install $(basename "$deb")"
	diag <"$work/install.log"
	echo "1..$n"
	exit 1
fi

unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
dpkg -L invpn | sort >"$work/files"
for f in /usr/sbin/invpnd /usr/bin/invpnctl /usr/bin/invpn-pki /etc/invpn/invpn.conf \
	"$unitdir/invpnd.service" "$unitdir/invpnd@.service" \
	"$unitdir/invpnd.service.d/debian.conf" "$unitdir/invpnd@.service.d/debian.conf" \
	/usr/lib/sysusers.d/invpn.conf /usr/lib/tmpfiles.d/invpn.conf \
	/usr/share/man/man8/invpnd.8.gz /usr/share/man/man8/invpnctl.8.gz \
	/usr/share/man/man5/invpn.conf.5.gz /usr/share/man/man1/invpn-pki.1.gz \
	/usr/share/bash-completion/completions/invpnd \
	/usr/share/bash-completion/completions/invpnctl \
	/usr/share/bash-completion/completions/invpn-pki; do
	if grep -qxF "$f" "$work/files" && [[ -f $f && -s $f ]]; then
		ok "installed: $f"
	else
		not_ok "installed: $f"
	fi
done
check "/etc/invpn/invpn.conf is a conffile" \
	grep -q '^ /etc/invpn/invpn.conf ' <(dpkg-query -W -f='${Conffiles}\n' invpn)
check "no invpn.conf.example in /etc (the example is in /usr/share/doc/invpn/examples)" \
	test ! -e /etc/invpn/invpn.conf.example -a -f /usr/share/doc/invpn/examples/config.example
check "the packaged invpn.conf drops to user invpn" grep -qx 'user = invpn' /etc/invpn/invpn.conf
check "invpnd --version lists +metrics" grep -q '+metrics' <(/usr/sbin/invpnd --version)
check "man -w invpnd finds the page" test "$(man -w invpnd 2>/dev/null)" = /usr/share/man/man8/invpnd.8.gz

# the user and the directories
pw=$(getent passwd invpn)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
if [[ -n $pw && $uid -lt 1000 && $shell == */nologin ]]; then
	ok "system user invpn (uid $uid, shell $shell)"
else
	not_ok "system user invpn: '$pw'"
fi
check "group invpn is the user's" test "$(getent group invpn | cut -d: -f3)" = "${gid:-x}"
check "/var/lib/invpn is invpn:invpn 0750 (tmpfiles.d)" \
	test "$(stat -c '%U:%G %a' /var/lib/invpn 2>&1)" = "invpn:invpn 750"
check "invpnd.service is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/invpnd.service
check "invpnd.service starts only with the certificates (ConditionPathExists)" \
	grep -qx 'ConditionPathExists=/etc/invpn/node.key' "$unitdir/invpnd.service.d/debian.conf"

# the units as installed, drop-ins included; any output is a failure too
for u in invpnd.service invpnd@test.service; do
	if systemd-analyze verify "$u" >"$work/verify.out" 2>&1 && [[ ! -s $work/verify.out ]]; then
		ok "systemd-analyze verify $u"
	else
		not_ok "systemd-analyze verify $u"
		diag <"$work/verify.out"
	fi
done

# --- certificates in /etc/invpn, and the configuration check ------------------

out=$(/usr/sbin/invpnd -n 2>&1)
if [[ $? -ne 0 && $out == *"/etc/invpn/"*"No such file"* ]]; then
	ok "invpnd -n without certificates fails, naming the missing file (why the unit has its condition): $out"
else
	not_ok "invpnd -n without certificates fails, naming the missing file"
	diag <<<"$out"
fi
mac=
if invpn-pki init-ca "$work/ca" >/dev/null 2>"$work/pki.err" &&
	mac=$(invpn-pki node --mac 02:00:5e:de:b0:01 "$work/ca" "$work/node" 2>>"$work/pki.err"); then
	install -m 0640 -g invpn "$work/node/node.key" /etc/invpn/
	install -m 0644 "$work/node/node.crt" "$work/node/ca.crt" /etc/invpn/
	ok "invpn-pki makes a node certificate ($mac), installed in /etc/invpn"
else
	not_ok "invpn-pki makes a node certificate"
	diag <"$work/pki.err"
fi
out=$(/usr/sbin/invpnd -n 2>&1)
if [[ $? -eq 0 && $out == "configuration OK: node 02:00:5e:de:b0:01" ]]; then
	ok "invpnd -n accepts the packaged configuration with the certificates: $out"
else
	not_ok "invpnd -n accepts the packaged configuration with the certificates"
	diag <<<"$out"
fi

# --- the installed daemon, packaged configuration, in a network namespace ----
# (no systemd here to start the unit: run its ExecStart by hand, with the
# control socket and no mDNS, so that nothing reaches outside the namespace)

ip netns add "$netns"
ip -n "$netns" link set lo up
ip netns exec "$netns" /usr/sbin/invpnd -f --mdns no --control "$work/ctl.sock" \
	--interface invdeb0 >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 50); do
	[[ -S $work/ctl.sock ]] && invpnctl -s "$work/ctl.sock" status >/dev/null 2>&1 && break
	sleep 0.1
done
check "the installed invpnd answers invpnctl status" invpnctl -s "$work/ctl.sock" status
check "it dropped to the user invpn" test "$(ps -o user= -p "$daemon_pid")" = invpn
check "invpnctl metrics prints its Prometheus text" \
	grep -q '^invpn_build_info{version=' <(invpnctl -s "$work/ctl.sock" metrics)
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
check "it exits 0 on SIGTERM" test "$rc" -eq 0
check "it wrote its peer cache in /var/lib/invpn, as invpn" \
	test "$(stat -c %U /var/lib/invpn/peers.cache 2>&1)" = invpn
if grep -Eq 'warn|error|cannot' "$work/daemon.log"; then
	not_ok "the daemon logged no warning"
	diag <"$work/daemon.log"
else
	ok "the daemon logged no warning"
fi
ip netns del "$netns"

# --- purge --------------------------------------------------------------------

# the admin's own files: purge must leave them (and so /etc/invpn)
echo "the admin's note" >/etc/invpn/admin-note.txt
mkdir -p /run/invpn
: >/run/invpn/invpnd.sock
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq invpn >"$work/purge.log" 2>&1; then
	ok "apt-get purge invpn"
else
	not_ok "apt-get purge invpn"
	diag <"$work/purge.log"
fi
check "dpkg knows nothing of invpn any more" \
	test -z "$(dpkg-query -W -f='${Status}' invpn 2>/dev/null | grep -v not-installed)"
# every file the package shipped (directories shared with others stay)
left=()
while read -r f; do
	[[ -e $f && ! -d $f ]] && left+=("$f")
done <"$work/files"
if [[ ${#left[@]} -eq 0 ]]; then
	ok "every file the package shipped is gone ($(wc -l <"$work/files") paths)"
else
	not_ok "every file the package shipped is gone"
	printf '%s\n' "${left[@]}" | diag
fi
# and what it made at run time
for p in /etc/invpn/invpn.conf /var/lib/invpn /run/invpn \
	/etc/systemd/system/multi-user.target.wants/invpnd.service \
	"$unitdir/invpnd.service.d" "$unitdir/invpnd@.service.d"; do
	check "gone: $p" test ! -e "$p" -a ! -L "$p"
done
check "gone: user invpn" test -z "$(getent passwd invpn)"
check "gone: group invpn" test -z "$(getent group invpn)"
check "kept: the admin's /etc/invpn/admin-note.txt" test -f /etc/invpn/admin-note.txt
check "kept: the admin's key and certificates in /etc/invpn" \
	test -f /etc/invpn/node.key -a -f /etc/invpn/node.crt -a -f /etc/invpn/ca.crt

echo "1..$n"
[[ $failed -eq 0 ]]
