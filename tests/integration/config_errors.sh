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

conf dup '# port twice' '[network]' 'port = 41744' 'mtu = 1400' '' '[more]' 'Port = 41745'
expect 1 "$IT_WORK/dup.conf:7: port: already set on line 3\$" "file: a key set twice" \
	-c "$IT_WORK/dup.conf" -n

conf dupspell '[network]' 'no-relay = no' 'no_relay = yes'
expect 1 "$IT_WORK/dupspell.conf:3: no_relay: already set on line 2\$" \
	"file: a key set twice, spelt two ways" -c "$IT_WORK/dupspell.conf" -n

conf initdots '[network]' 'init = 198.18.9.1' 'init = 300.1.1.1:41744'
expect 1 "$IT_WORK/initdots.conf:3: init: '300\.1\.1\.1:41744': not an IPv4 address" \
	"file: init 300.1.1.1" -c "$IT_WORK/initdots.conf" -n

# ---- bad values on the command line: the flag and the key (exit 1)
expect 1 "command line: --port: '70000'" "flag: --port 70000" --port 70000
expect 1 "command line: --mtu: 'abc'" "flag: --mtu abc" --mtu abc
expect 1 "command line: --no-relay: 'maybe'" "flag: --no-relay=maybe" --no-relay=maybe
expect 1 "command line: --init: '02:00:5e:zz:00:01@198.18.9.1': bad MAC" \
	"flag: bad MAC in --init" --init 02:00:5e:zz:00:01@198.18.9.1
expect 1 "min_links: 5 is more than max_links \(3\)" "flags: --min-links 5 --max-links 3" \
	--min-links 5 --max-links 3
expect 1 "user: 'invpn-no-such-user'" "flag: unknown --user" --user invpn-no-such-user
expect 1 "user: 'invpn-no-such-user'" "flag: unknown --user, then -n" --user invpn-no-such-user -n
# a word after a boolean flag is its value, not a stray argument
expect 1 "command line: --mdns: 'maybe' is not yes or no\$" "flag: --mdns maybe" --mdns maybe
expect 1 "command line: --mdns: 'maybe' is not yes or no\$" "flag: --mdns maybe, then -n" \
	--mdns maybe -n
# digits and dots are an IPv4 address or a mistake, never a DNS name
expect 1 "command line: --init: '300\.1\.1\.1': not an IPv4 address \(want four numbers 0-255" \
	"flag: --init 300.1.1.1" --init 300.1.1.1 -n
expect 1 "command line: --init: '10\.1': not an IPv4 address" "flag: --init 10.1" --init 10.1 -n

# ---- identity files: file: key: why (exit 1)
expect 1 "$IT_WORK/nope.key: key: cannot read: No such file or directory\$" "key file missing" \
	--key "$IT_WORK/nope.key"
expect 1 "$IT_WORK/nope.crt: cert: cannot read: No such file or directory\$" "cert file missing" \
	--cert "$IT_WORK/nope.crt"
expect 1 "$IT_WORK/nope.pem: ca: cannot read: No such file or directory\$" "CA file missing" \
	--ca "$IT_WORK/nope.pem"
expect 1 "$IT_WORK/nope.pem: crl: cannot read: No such file or directory\$" "CRL file missing" \
	--crl "$IT_WORK/nope.pem"
expect 1 "$IT_WORK: key: is a directory, not a file\$" "key file is a directory" --key "$IT_WORK"
echo "not a PEM file" >"$IT_WORK/garbage.pem"
expect 1 "$IT_WORK/garbage.pem: cert: cannot load" "cert file is not PEM" --cert "$IT_WORK/garbage.pem"
expect 1 "$IT_WORK/garbage.pem: ca: cannot load" "CA file is not PEM" --ca "$IT_WORK/garbage.pem"
expect 1 "key: .*(does not match|mismatch)" "key of another node" \
	--key "$(certdir other)/node.key"
# the key is checked against the certificate by us: no OpenSSL words for a mismatch
expect 1 "$(certdir other)/node.key: key: does not match the certificate $(certdir cfg)/node.crt\$" \
	"key of another node, in plain words" --key "$(certdir other)/node.key"
expect 1 "$IT_WORK/garbage.pem: key: cannot load private key: not a PEM private key \(" \
	"key file is not PEM" --key "$IT_WORK/garbage.pem"
expect 1 "cert: not signed by the CA in $IT_WORK/ca2/ca.crt" "CA that did not sign the cert" \
	--ca "$IT_WORK/ca2/ca.crt"
expect 1 "$(certdir notmac)/node.crt: cert: certificate Common Name 'not-a-mac' is not a MAC address\$" \
	"cert CN not a MAC, named" --key "$(certdir notmac)/node.key" --cert "$(certdir notmac)/node.crt"

# ---- a build without c-ares takes seeds by address only: the key, at -n too (exit 1)
if it_has_feature dns; then
	nsx cfg timeout 5 "$INVPND" "${BASE[@]}" -n --init seed.example.net --srv example.net \
		>"$IT_WORK/out" 2>"$IT_WORK/err"
	rc=$?
	check "with c-ares: -n takes a DNS name in init and an srv domain (got $rc)" [ $rc -eq 0 ]
else
	nodns="is a DNS name, but invpnd was built without c-ares \(only addresses\)"
	expect 1 "configuration: init: 'seed.example.net' $nodns" "no c-ares: -n --init NAME" \
		-n --init seed.example.net
	conf initname '[network]' 'init = 198.18.9.1' 'init = 02:00:5e:90:00:02@seed.example.net:41744'
	expect 1 "configuration: init: 'seed.example.net' $nodns" "no c-ares: a name in the file's init" \
		-c "$IT_WORK/initname.conf"
	expect 1 "configuration: srv: 'example.net' needs DNS SRV lookups, but invpnd was built without c-ares" \
		"no c-ares: --srv" --srv example.net
fi

# ---- metrics: ADDRESS:PORT with an IP address; without libmicrohttpd the key is refused
expect 1 "command line: --metrics: 'localhost:9120' is not ADDRESS:PORT with an IP address" \
	"metrics needs an IP address" --metrics localhost:9120
if it_has_feature metrics; then
	# a port that is taken: the daemon does not start, and leaves nothing behind
	bg_ns cfg "$IT_WORK/taken.out" python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9129)); s.listen(); print("bound", flush=True); time.sleep(60)'
	taken_pid=$BG_PID
	port_bound() { grep -q bound "$IT_WORK/taken.out"; }
	wait_for 10 port_bound
	expect 1 "metrics: 127\.0\.0\.1:9129: Address already in use\$" "metrics port taken" \
		--metrics 127.0.0.1:9129
	bg_stop "$taken_pid"
else
	expect 1 "configuration: metrics: invpnd was built without libmicrohttpd" \
		"no libmicrohttpd: --metrics" -n --metrics 127.0.0.1:9120
fi

# ---- usage errors: the flag (exit 2)
expect 2 "--bogus: unknown option" "unknown option --bogus" --bogus 1
expect 2 "--no-such-flag: unknown option" "unknown flag as the last argument" --no-such-flag
expect 2 "--no-such-flag: unknown option" "unknown flag before another option" --no-such-flag --port 1
expect 2 "--port: needs a value" "--port without its value" --port
expect 2 "-c: needs a file" "-c without its file" -c
expect 2 "stray: unexpected argument" "stray argument" stray
expect 2 "command line: port: unexpected argument \(the option is --port\)" \
	"a key without its dashes" port 41744

# ---- the same base arguments are fine: -n, then a real start
nsx cfg timeout 5 "$INVPND" "${BASE[@]}" -n >"$IT_WORK/out" 2>"$IT_WORK/err"
rc=$?
check "-n with good arguments: exit 0 (got $rc)" [ $rc -eq 0 ]
check "-n says the configuration is OK" grep -q 'configuration OK: node 02:00:5e:90:00:01' "$IT_WORK/out"
check "-n leaves no interface and no socket" nothing_left

# init accumulates over lines (not a duplicate), and the command line wins over the file
conf seeds '[network]' 'init = 198.18.9.1' 'init = 198.18.9.2:5, 198.18.9.3' 'port = 1'
nsx cfg timeout 5 "$INVPND" "${BASE[@]}" -c "$IT_WORK/seeds.conf" --port 41744 -n \
	>"$IT_WORK/out" 2>"$IT_WORK/err"
rc=$?
check "init on several lines, port in the file and on the command line: no duplicates, -n exit 0 (got $rc: $(head -c 200 "$IT_WORK/err"))" \
	[ $rc -eq 0 ]

start_node cfg
check "good arguments: the TAP exists" tap_exists cfg
check "good arguments: and the 'no interface left behind' check sees it" not only_lo
check "good arguments: the control socket exists" [ -S "$SOCK" ]
check "good arguments: SIGTERM exits 0" stop_node cfg
check "good arguments: nothing left after it stopped" nothing_left

# ---- a build without Avahi ignores mdns = yes (the default; the harness passes no) with a notice
if ! it_has_feature mdns; then
	: >"$IT_WORK/cfg.log"
	start_node cfg --mdns yes
	check "no Avahi: mdns = yes still starts" tap_exists cfg
	check "no Avahi: SIGTERM exits 0" stop_node cfg
	notes=$(grep -c "mdns: built without Avahi; mdns = yes ignored" "$IT_WORK/cfg.log")
	check "no Avahi: one notice that mdns = yes is ignored (got $notes)" [ "$notes" -eq 1 ]
	check "no Avahi: no warning or error about it" not log_has cfg "(error|warning): .*mdns"
fi

done_testing
