#!/usr/bin/env bash
# Bad configuration: one clear line, the right exit status, nothing left over.
#
#    ns cfg (no links; only here so that a TAP, if one were ever made,
#    +-------------------------------+     could not touch the host)
#    | invpnd <bad input>  -> exit 1 |     config and file errors
#    |                     -> exit 2 |     command-line usage errors
#    +-------------------------------+
#
# For every case: the exit status, exactly one line on stderr, that line
# names the file:line (or the command-line flag) and the key, and afterwards
# the namespace holds no interface but lo and there is no control socket.
# Closing checks: the same base arguments with nothing wrong do start (so
# the "nothing left over" checks can see a TAP and a socket), and -n says OK.
. "$(dirname "$0")/lib.sh"
it_init

make_ca
make_ca ca2
make_node cfg 02:00:5e:90:00:01
make_node other 02:00:5e:90:00:02
make_node alien 02:00:5e:90:00:03 ca2
make_cert_cn notmac "not-a-mac"
ns_add cfg

SOCK=$IT_WORK/cfg.sock
node_args cfg # what start_node gives a node: certificates, cache, socket, TAP name
BASE=("${NODE_ARGS[@]}")

# conf NAME LINE... - a config file $IT_WORK/NAME.conf, one argument a line
conf() {
	local f=$IT_WORK/$1.conf
	shift
	printf '%s\n' "$@" >"$f"
}

# only_lo - ns cfg holds exactly one interface, lo (and ip could list them)
only_lo() {
	local out
	out=$(ip -n "$(ns cfg)" -o link show) || return 1
	[[ $out =~ ^1:\ lo: ]] && [[ $out != *$'\n'* ]]
}
nothing_left() {
	only_lo && [ ! -e "$SOCK" ]
}

# expect STATUS REGEX DESCRIPTION ARG... - run invpnd with BASE + ARGs in ns cfg
expect() {
	local want=$1 re=$2 desc=$3 rc lines first
	shift 3
	nsx cfg timeout 5 "$INVPND" "${BASE[@]}" "$@" >"$IT_WORK/out" 2>"$IT_WORK/err"
	rc=$?
	lines=$(wc -l <"$IT_WORK/err")
	first=$(head -n 1 "$IT_WORK/err")
	check "$desc: exit status $want (got $rc)" [ $rc -eq "$want" ]
	check "$desc: one line on stderr (got $lines)" [ "$lines" -eq 1 ]
	if grep -Eq -- "^invpnd: .*$re" <<<"$first"; then
		ok "$desc: says what and where: $first"
	else
		not_ok "$desc: stderr matches '$re'"
		sed 's/^/#   stderr: /' "$IT_WORK/err"
	fi
	check "$desc: no interface left behind" only_lo
	check "$desc: no control socket left behind" [ ! -e "$SOCK" ]
}

# ---- config file: file:line: key: why (exit 1)
conf unknown '# an unknown key' '[network]' 'port = 41744' 'colour = blue'
expect 1 "$IT_WORK/unknown.conf:4: colour: unknown key" "file: unknown key" -c "$IT_WORK/unknown.conf"

conf port '[network]' 'port = 70000'
expect 1 "$IT_WORK/port.conf:2: port: '70000' is not a whole number from 1 to 65535" \
	"file: port 70000" -c "$IT_WORK/port.conf"

conf mtu '[network]' '' 'mtu = abc'
expect 1 "$IT_WORK/mtu.conf:3: mtu: 'abc'" "file: mtu abc" -c "$IT_WORK/mtu.conf"

conf bool '[network]' 'no_incoming = maybe'
expect 1 "$IT_WORK/bool.conf:2: no_incoming: 'maybe' is not yes or no" \
	"file: bad bool" -c "$IT_WORK/bool.conf"

conf initmac '[network]' 'init = 02:00:5e:zz:00:01@198.18.9.1'
expect 1 "$IT_WORK/initmac.conf:2: init: .*bad MAC" "file: bad MAC in init" -c "$IT_WORK/initmac.conf"

conf initgroup '[network]' 'init = 01:00:5e:00:00:01@198.18.9.1'
expect 1 "$IT_WORK/initgroup.conf:2: init: .*group" "file: group MAC in init" \
	-c "$IT_WORK/initgroup.conf"

conf minmax '[network]' 'min_links = 5' 'max_links = 3'
expect 1 "min_links: 5 is more than max_links \(3\)" "file: min_links > max_links" \
	-c "$IT_WORK/minmax.conf"

conf noeq '[network]' 'port 41744'
expect 1 "$IT_WORK/noeq.conf:2: expected 'key = value'" "file: line without '='" \
	-c "$IT_WORK/noeq.conf"

expect 1 "$IT_WORK/missing.conf: cannot read" "file: config file missing" -c "$IT_WORK/missing.conf"

# ---- bad values on the command line: the flag and the key (exit 1)
expect 1 "command line --port: port: '70000'" "flag: --port 70000" --port 70000
expect 1 "command line --mtu: mtu: 'abc'" "flag: --mtu abc" --mtu abc
expect 1 "command line --no-relay: no_relay: 'maybe'" "flag: --no-relay=maybe" --no-relay=maybe
expect 1 "command line --init: init: '02:00:5e:zz:00:01@198.18.9.1': bad MAC" \
	"flag: bad MAC in --init" --init 02:00:5e:zz:00:01@198.18.9.1
expect 1 "min_links: 5 is more than max_links \(3\)" "flags: --min-links 5 --max-links 3" \
	--min-links 5 --max-links 3
expect 1 "user: 'invpn-no-such-user'" "flag: unknown --user" --user invpn-no-such-user

# ---- identity files: file: key: why (exit 1)
expect 1 "$IT_WORK/nope.key: key: cannot load" "key file missing" --key "$IT_WORK/nope.key"
expect 1 "$IT_WORK/nope.crt: cert: cannot load" "cert file missing" --cert "$IT_WORK/nope.crt"
expect 1 "$IT_WORK/nope.pem: ca: cannot load" "CA file missing" --ca "$IT_WORK/nope.pem"
expect 1 "$IT_WORK: key: cannot load" "key file is a directory" --key "$IT_WORK"
echo "not a PEM file" >"$IT_WORK/garbage.pem"
expect 1 "$IT_WORK/garbage.pem: cert: cannot load" "cert file is not PEM" --cert "$IT_WORK/garbage.pem"
expect 1 "$IT_WORK/garbage.pem: ca: cannot load" "CA file is not PEM" --ca "$IT_WORK/garbage.pem"
expect 1 "key: .*(does not match|mismatch)" "key of another node" \
	--key "$(certdir other)/node.key"
expect 1 "cert: not signed by the CA in $IT_WORK/ca2/ca.crt" "CA that did not sign the cert" \
	--ca "$IT_WORK/ca2/ca.crt"
expect 1 "cert: certificate Common Name is not a MAC address" "cert CN not a MAC" \
	--key "$(certdir notmac)/node.key" --cert "$(certdir notmac)/node.crt"

# ---- usage errors: the flag (exit 2)
expect 2 "--bogus: unknown option" "unknown option --bogus" --bogus 1
expect 2 "--no-such-flag: unknown option" "unknown flag as the last argument" --no-such-flag
expect 2 "--no-such-flag: unknown option" "unknown flag before another option" --no-such-flag --port 1
expect 2 "--port: needs a value" "--port without its value" --port
expect 2 "-c: needs a file" "-c without its file" -c
expect 2 "stray: unexpected argument" "stray argument" stray

# ---- the same base arguments are fine: -n, then a real start
nsx cfg timeout 5 "$INVPND" "${BASE[@]}" -n >"$IT_WORK/out" 2>"$IT_WORK/err"
rc=$?
check "-n with good arguments: exit 0 (got $rc)" [ $rc -eq 0 ]
check "-n says the configuration is OK" grep -q 'configuration OK: node 02:00:5e:90:00:01' "$IT_WORK/out"
check "-n leaves no interface and no socket" nothing_left

start_node cfg
check "good arguments: the TAP exists" tap_exists cfg
check "good arguments: and the 'no interface left behind' check sees it" not only_lo
check "good arguments: the control socket exists" [ -S "$SOCK" ]
check "good arguments: SIGTERM exits 0" stop_node cfg
check "good arguments: nothing left after it stopped" nothing_left

done_testing
