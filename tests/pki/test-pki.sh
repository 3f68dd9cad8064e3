#!/usr/bin/env bash
#
# Tests for certs/invpn-pki.  Prints TAP ("ok N - ..." / "not ok N - ...",
# plan line "1..N" at the end) and exits non-zero if any check failed.
#
# Usage: tests/pki/test-pki.sh            (from any directory)
#        INVPN_PKI=/path/to/invpn-pki tests/pki/test-pki.sh

# The inline "bash -c '...'" scripts get their values as "$1", "$2":
# shellcheck disable=SC2016

set -uo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
PKI=${INVPN_PKI:-$HERE/../../certs/invpn-pki}
PKI=$(cd -- "$(dirname -- "$PKI")" && pwd -P)/$(basename -- "$PKI")

T=$(mktemp -d "${TMPDIR:-/tmp}/invpn-pki-test.XXXXXXXX") || exit 1
trap 'rm -rf -- "$T"' EXIT
cd "$T" || exit 1
# the script's own scratch directories go here, so that we can check that
# they are removed
mkdir "$T/tmp" || exit 1
export TMPDIR="$T/tmp"

N=0
FAILED=0

ok() {
    N=$((N + 1))
    printf 'ok %d - %s\n' "$N" "$1"
}

not_ok() {
    N=$((N + 1))
    FAILED=$((FAILED + 1))
    printf 'not ok %d - %s\n' "$N" "$1"
    shift
    local line
    for line in "$@"; do
        printf '#   %s\n' "$line"
    done
}

# check DESC COMMAND... - ok if COMMAND succeeds
check() {
    local desc=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then
        ok "$desc"
    else
        not_ok "$desc" "command failed: $*" "$(head -n 5 "$T/check.out")"
    fi
}

# run ARGS... - run invpn-pki; sets RC, OUT (stdout) and ERR (stderr)
run() {
    "$PKI" "$@" >"$T/run.out" 2>"$T/run.err"
    RC=$?
    OUT=$(cat "$T/run.out")
    ERR=$(cat "$T/run.err")
}

# expect_rc DESC RC ARGS... - run invpn-pki ARGS, check the exit status and,
# for failures, that stderr is one line starting with "invpn-pki: "
expect_rc() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    if [[ "$RC" != "$want" ]]; then
        not_ok "$desc" "exit status $RC, expected $want" "stderr: $ERR"
    elif [[ "$want" != 0 && ( "$ERR" != "invpn-pki: "* || "$ERR" == *$'\n'* ) ]]; then
        not_ok "$desc" "stderr is not one 'invpn-pki: ' line: $ERR"
    elif [[ "$want" == 0 && -n "$ERR" ]]; then
        not_ok "$desc" "unexpected stderr: $ERR"
    else
        ok "$desc"
    fi
}

# is_local_unicast MAC - lowercase MAC with bit 0x02 set, 0x01 clear
is_local_unicast() {
    [[ "$1" =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]] || return 1
    local first=$((16#${1:0:2}))
    (( (first & 2) == 2 && (first & 1) == 0 ))
}

cert_cn() {
    openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=CN=//'
}

cert_text() {
    openssl x509 -in "$1" -noout -text 2>/dev/null
}

# utc OPENSSL_DATE - as invpn-pki prints dates
utc() {
    date -u -d "$1" '+%Y-%m-%d %H:%M UTC'
}

cert_serial() {
    openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'
}

file_mode() {
    stat -c %a "$1" 2>/dev/null
}

# make_csr KEY CN OUT - a CSR with an arbitrary CN
make_csr() {
    openssl req -new -config /dev/null -key "$1" -subj "/CN=$2" -out "$3" 2>/dev/null
}

command -v openssl >/dev/null || { echo "1..0 # SKIP openssl not found"; exit 0; }
[[ -x "$PKI" ]] || { echo "Bail out! $PKI is not executable"; exit 1; }

# ---------------------------------------------------------------------------
# init-ca

expect_rc "init-ca creates an EC CA" 0 init-ca ca
INIT_OUT=$OUT
if [[ -f ca/ca.key && -f ca/ca.crt && -f ca/index.txt && -f ca/serial && -f ca/crlnumber ]]; then
    ok "init-ca writes ca.key, ca.crt, index.txt, serial, crlnumber"
else
    not_ok "init-ca writes ca.key, ca.crt, index.txt, serial, crlnumber" "$(ls -a ca 2>&1)"
fi
check "ca.key has mode 0600" test "$(file_mode ca/ca.key)" = 600
check "EC CA key is P-256" grep -q 'NIST CURVE: P-256' <(openssl pkey -in ca/ca.key -noout -text 2>&1)
ca_text=$(cert_text ca/ca.crt)
if grep -q 'CA:TRUE' <<<"$ca_text" && grep -q 'Certificate Sign, CRL Sign' <<<"$ca_text"; then
    ok "ca.crt has CA:TRUE and keyCertSign+cRLSign"
else
    not_ok "ca.crt has CA:TRUE and keyCertSign+cRLSign"
fi
check "ca.crt subject is CN=invpn CA" test "$(cert_cn ca/ca.crt)" = "invpn CA"
check "ca.crt is self-signed and verifies" openssl verify -CAfile ca/ca.crt ca/ca.crt
# init-ca says what it made, where, and until when
ca_end=$(utc "$(openssl x509 -in ca/ca.crt -noout -enddate | sed 's/^notAfter=//')")
crl_next=$(utc "$(openssl crl -in ca/crl.pem -noout -nextupdate | sed 's/^nextUpdate=//')")
want_init="CA \"invpn CA\" created in ca:
  ca.crt   CA certificate, valid until $ca_end: copy it to every node
  ca.key   CA private key, mode 0600: keep it private
  crl.pem  revocation list (empty), next update $crl_next"
if [[ "$INIT_OUT" == "$want_init" ]]; then
    ok "init-ca prints the CA's directory, files, ca.crt's expiry and the CRL's next update"
else
    not_ok "init-ca prints the CA's directory, files, ca.crt's expiry and the CRL's next update" \
        "got:" "$INIT_OUT" "want:" "$want_init"
fi
expect_rc "init-ca refuses a directory that already holds a CA" 1 init-ca ca

expect_rc "init-ca --rsa --days 100 --name creates an RSA CA" 0 \
    init-ca --rsa --days 100 --name "Test RSA CA" rca
check "RSA CA key is 3072 bits" grep -q '3072 bit' <(openssl pkey -in rca/ca.key -noout -text 2>&1)
check "RSA CA subject is the --name" test "$(cert_cn rca/ca.crt)" = "Test RSA CA"
check "RSA CA certificate is valid for 100 days" bash -c '
    openssl x509 -in "$1" -noout -checkend $((99 * 86400)) &&
    ! openssl x509 -in "$1" -noout -checkend $((101 * 86400))' _ rca/ca.crt
check "ca.key of RSA CA has mode 0600" test "$(file_mode rca/ca.key)" = 600

# ---------------------------------------------------------------------------
# node (new-node + sign)

expect_rc "node issues a certificate" 0 node ca n1
MAC1=$OUT
check "node prints a locally administered unicast MAC ($MAC1)" is_local_unicast "$MAC1"
if [[ -f n1/node.key && -f n1/node.crt && -f n1/ca.crt ]]; then
    ok "node writes node.key, node.crt and ca.crt"
else
    not_ok "node writes node.key, node.crt and ca.crt" "$(ls -a n1 2>&1)"
fi
check "node.key has mode 0600" test "$(file_mode n1/node.key)" = 600
check "openssl verify -CAfile ca.crt node.crt is OK" openssl verify -CAfile n1/ca.crt n1/node.crt
check "certificate CN is the MAC" test "$(cert_cn n1/node.crt)" = "$MAC1"
n1_text=$(cert_text n1/node.crt)
if grep -q 'TLS Web Server Authentication' <<<"$n1_text" &&
    grep -q 'TLS Web Client Authentication' <<<"$n1_text"; then
    ok "certificate has extendedKeyUsage serverAuth and clientAuth"
else
    not_ok "certificate has extendedKeyUsage serverAuth and clientAuth"
fi
if grep -q 'CA:FALSE' <<<"$n1_text" && grep -q 'Digital Signature' <<<"$n1_text"; then
    ok "certificate has CA:FALSE and digitalSignature"
else
    not_ok "certificate has CA:FALSE and digitalSignature"
fi
check "certificate is valid for 825 days" bash -c '
    openssl x509 -in "$1" -noout -checkend $((824 * 86400)) &&
    ! openssl x509 -in "$1" -noout -checkend $((826 * 86400))' _ n1/node.crt

bad_macs=()
rand_macs=()
for i in 1 2 3 4 5 6 7 8; do
    mac=$("$PKI" new-node "r$i" 2>/dev/null) || mac="(failed)"
    rand_macs+=("$mac")
    is_local_unicast "$mac" || bad_macs+=("$mac")
done
if (( ${#bad_macs[@]} == 0 )); then
    ok "8 random MACs from new-node are locally administered unicast"
else
    not_ok "8 random MACs from new-node are locally administered unicast" "${bad_macs[*]}"
fi
check "new-node CSR carries the printed MAC as CN" test "$(openssl req -in r1/node.csr -noout \
    -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=CN=//')" = "${rand_macs[0]}"
check "new-node CSR self-signature verifies" openssl req -in r1/node.csr -noout -verify
expect_rc "new-node refuses to overwrite node.key" 1 new-node r1

# ---------------------------------------------------------------------------
# new-node + sign with an explicit upper-case MAC

expect_rc "new-node --mac with upper case MAC" 0 new-node --mac 02:AB:CD:EF:00:11 n2
check "new-node prints the MAC in lower case" test "$OUT" = 02:ab:cd:ef:00:11
check "node.key from new-node has mode 0600" test "$(file_mode n2/node.key)" = 600
expect_rc "sign issues a certificate for the CSR" 0 sign ca n2/node.csr
check "sign writes the CSR's path with .csr replaced by .crt" test -f n2/node.crt
check "signed certificate verifies against the CA" openssl verify -CAfile ca/ca.crt n2/node.crt
check "signed certificate CN is the lower case MAC" test "$(cert_cn n2/node.crt)" = 02:ab:cd:ef:00:11

make_csr n2/node.key 02:AB:CD:EF:00:22 upper.csr
expect_rc "sign accepts an upper case MAC in the CSR" 0 sign ca upper.csr upper-out.crt
check "sign normalises the CN to lower case" test "$(cert_cn upper-out.crt)" = 02:ab:cd:ef:00:22

make_csr n2/node.key 01:00:5e:00:00:01 mcast.csr
expect_rc "sign refuses a multicast MAC (01:00:5e:00:00:01)" 1 sign ca mcast.csr
check "no certificate written for the multicast MAC" test ! -e mcast.crt
make_csr n2/node.key ff:ff:ff:ff:ff:ff bcast.csr
expect_rc "sign refuses the broadcast MAC" 1 sign ca bcast.csr
make_csr n2/node.key 00:00:00:00:00:00 zero.csr
expect_rc "sign refuses the all-zero MAC" 1 sign ca zero.csr
make_csr n2/node.key "not a mac" notmac.csr
expect_rc "sign refuses a CN that is not a MAC" 1 sign ca notmac.csr
make_csr n2/node.key 02:ab:cd:ef:00 short.csr
expect_rc "sign refuses a truncated MAC" 1 sign ca short.csr
echo "garbage" >garbage.csr
expect_rc "sign refuses a file that is not a CSR" 1 sign ca garbage.csr

expect_rc "sign refuses a MAC that already has a valid certificate" 1 sign ca n2/node.csr dup.crt
check "no certificate written for the refused duplicate" test ! -e dup.crt
expect_rc "sign --force accepts the duplicate MAC" 0 sign --force ca n2/node.csr dup.crt
check "forced duplicate verifies" openssl verify -CAfile ca/ca.crt dup.crt
check "forced duplicate has a new serial" test "$(cert_serial dup.crt)" != "$(cert_serial n2/node.crt)"
expect_rc "node --mac refuses a MAC with a valid certificate" 1 node --mac "$MAC1" ca n1-again
check "failed node writes nothing" test ! -e n1-again/node.key

# RSA node keys
expect_rc "node --rsa with the RSA CA" 0 node --rsa rca rn
check "RSA node certificate verifies" openssl verify -CAfile rn/ca.crt rn/node.crt
check "RSA node key is 3072 bits" grep -q '3072 bit' <(openssl pkey -in rn/node.key -noout -text 2>&1)
check "RSA node certificate has keyEncipherment" grep -q 'Key Encipherment' <(cert_text rn/node.crt)
check "RSA node certificate does not verify against the EC CA" \
    bash -c '! openssl verify -CAfile ca/ca.crt rn/node.crt'
expect_rc "node --mac MAC --rsa with the EC CA" 0 node --rsa --mac 0a:00:00:00:00:01 ca rn2
check "RSA node with EC CA verifies" openssl verify -CAfile rn2/ca.crt rn2/node.crt

# ---------------------------------------------------------------------------
# list, revoke, crl

run list ca
LIST=$OUT
S1=$(cert_serial n1/node.crt)
S2=$(cert_serial n2/node.crt)
if [[ "$RC" == 0 ]] && grep -qiE "^$S1 +$MAC1 +valid " <<<"$LIST"; then
    ok "list shows the first node as valid"
else
    not_ok "list shows the first node as valid" "$LIST"
fi

expect_rc "revoke the second node's certificate" 0 revoke ca n2/node.crt
REVOKE_OUT=$OUT
check "revoke regenerates crl.pem" test -f ca/crl.pem
crl_next=$(utc "$(openssl crl -in ca/crl.pem -noout -nextupdate | sed 's/^nextUpdate=//')")
want_revoke="revoked serial $S2 (MAC 02:ab:cd:ef:00:11, reason unspecified)
CRL written to ca/crl.pem, next update $crl_next
copy it to every node (their crl file) and reload them: systemctl reload invpnd"
if [[ "$REVOKE_OUT" == "$want_revoke" ]]; then
    ok "revoke prints the serial and MAC revoked, the CRL's path and next update, what to do"
else
    not_ok "revoke prints the serial and MAC revoked, the CRL's path and next update, what to do" \
        "got:" "$REVOKE_OUT" "want:" "$want_revoke"
fi
expect_rc "crl regenerates the CRL" 0 crl ca
check "crl prints the path of crl.pem" test "$OUT" = ca/crl.pem
crl_text=$(openssl crl -in ca/crl.pem -noout -text 2>&1)
if grep -qi "Serial Number: $S2" <<<"$crl_text"; then
    ok "openssl crl -text lists the revoked serial"
else
    not_ok "openssl crl -text lists the revoked serial" "$crl_text"
fi
if grep -qi "Serial Number: $S1" <<<"$crl_text"; then
    not_ok "CRL does not list a valid certificate"
else
    ok "CRL does not list a valid certificate"
fi
check "CRL is signed by the CA" openssl crl -in ca/crl.pem -noout -CAfile ca/ca.crt
check "openssl verify -crl_check fails for the revoked certificate" bash -c \
    '! openssl verify -crl_check -CRLfile ca/crl.pem -CAfile ca/ca.crt n2/node.crt'
check "openssl verify -crl_check passes for a valid certificate" \
    openssl verify -crl_check -CRLfile ca/crl.pem -CAfile ca/ca.crt n1/node.crt

run list ca
LIST=$OUT
if grep -qiE "^$S2 +02:ab:cd:ef:00:11 +revoked " <<<"$LIST" &&
    grep -qiE "^$S1 +$MAC1 +valid " <<<"$LIST"; then
    ok "list shows revoked and valid certificates"
else
    not_ok "list shows revoked and valid certificates" "$LIST"
fi

expect_rc "revoke refuses an already revoked certificate" 1 revoke ca n2/node.crt
expect_rc "revoke refuses a certificate from another CA" 1 revoke ca rn/node.crt
S3=$(cert_serial dup.crt)
expect_rc "revoke by serial number" 0 revoke ca "$S3"
expect_rc "revoke by MAC" 0 revoke ca 02:AB:CD:EF:00:22
check "revoke by MAC names the MAC and its serial" grep -qE \
    "^revoked serial $(cert_serial upper-out.crt) \(MAC 02:ab:cd:ef:00:22, reason unspecified\)$" \
    <<<"$OUT"
expect_rc "sign accepts a MAC again once its certificates are revoked" 0 sign ca n2/node.csr again.crt
expect_rc "revoke --reason keyCompromise by file" 0 revoke --reason keyCompromise ca again.crt
check "revoke prints the reason" grep -qE "^revoked serial $(cert_serial again.crt) \(MAC 02:ab:cd:ef:00:11, reason keyCompromise\)$" \
    <<<"$OUT"
expect_rc "crl --days 7" 0 crl --days 7 ca
check "CRL next update is within 7 days" bash -c '
    next=$(openssl crl -in ca/crl.pem -noout -nextupdate | sed "s/^nextUpdate=//")
    (( $(date -u -d "$next" +%s) - $(date -u +%s) <= 7 * 86400 + 60 ))'

# ---------------------------------------------------------------------------
# usage errors and help

expect_rc "no arguments is a usage error" 2
expect_rc "unknown command is a usage error" 2 frobnicate
expect_rc "unknown option is a usage error" 2 sign --frob ca n2/node.csr
expect_rc "missing argument is a usage error" 2 sign ca
expect_rc "too many arguments is a usage error" 2 list ca extra
expect_rc "bad --days is a usage error" 2 sign --days abc ca n2/node.csr
expect_rc "--days without value is a usage error" 2 crl ca --days
expect_rc "bad --mac is a usage error" 2 new-node --mac 01:00:5e:00:00:01 mm
expect_rc "empty --name is a usage error" 2 init-ca --name "" x
expect_rc "missing CA directory is a runtime error" 1 list no-such-ca
expect_rc "help exits 0" 0 help
check "help documents every command" bash -c '
    h=$("$1" help) && for c in init-ca new-node sign revoke crl list node; do
        grep -q -- "$c" <<<"$h" || exit 1; done' _ "$PKI"
bad_help=()
for c in init-ca new-node sign revoke crl list node; do
    # captured: piped into grep -q, the script could die of SIGPIPE after the
    # first line and fail the check (pipefail)
    if ! help_out=$("$PKI" "$c" --help 2>/dev/null) ||
        ! grep -q "^Usage: invpn-pki $c" <<<"$help_out"; then
        bad_help+=("$c")
    fi
done
if (( ${#bad_help[@]} == 0 )); then
    ok "COMMAND --help prints the command's usage"
else
    not_ok "COMMAND --help prints the command's usage" "${bad_help[*]}"
fi

# ---------------------------------------------------------------------------
# works from another directory, quiet on success

mkdir elsewhere
check "works from another directory with absolute paths" bash -c '
    cd / && "$1" node "$2/ca" "$2/abs" >/dev/null 2>&1 &&
    openssl verify -CAfile "$2/abs/ca.crt" "$2/abs/node.crt"' _ "$PKI" "$T"
check "works with a relative path from another directory" bash -c '
    cd elsewhere && "$1" node ../ca ../rel >/dev/null 2>&1 &&
    openssl verify -CAfile ../rel/ca.crt ../rel/node.crt' _ "$PKI"
run init-ca --name "Other CA" other-ca
check "init-ca writes nothing on stderr on success" test -z "$ERR"
check "init-ca names its --name and directory" grep -qxF 'CA "Other CA" created in other-ca:' <<<"$OUT"
run sign --force ca n1/node.csr n1/again.crt 2>/dev/null
check "sign is quiet on success" test -z "$OUT$ERR"
check "the script leaves no temporary files behind" test -z "$(ls -A "$T/tmp")"

echo "1..$N"
if (( FAILED )); then
    echo "# $FAILED of $N checks failed"
    exit 1
fi
echo "# all $N checks passed"
exit 0
