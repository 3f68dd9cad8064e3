#!/usr/bin/env bash
# test-install.sh - "meson install --destdir" a build and check what lands:
# every expected file, man pages that render without warnings, units that
# pass "systemd-analyze verify", working bash completions. TAP output.
#
# meson passes the build directory and the install paths in the environment
# (tests/install/meson.build); the paths are absolute, as configured.
#
# A check whose tool is missing (man, systemd-analyze, bash-completion) is
# skipped, except under CI=true, where a missing tool is a failure.
set -uo pipefail

: "${BUILD_ROOT:?}" "${SBINDIR:?}" "${BINDIR:?}" "${MANDIR:?}" "${SYSCONFDIR:?}"
: "${UNITDIR:?}" "${COMPLETIONSDIR:?}"
MAN_PAGES=${MAN_PAGES-}            # mandir-relative, space separated; empty: not built
CI=${CI:-false}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
# missing TOOL CHECK - skip CHECK for lack of TOOL, or fail it under CI
missing() {
    if [[ $CI == true ]]; then
        not_ok "$2 ($1 is not installed, and CI=true)"
    else
        skip "$2" "$1 is not installed"
    fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/invpn-install.XXXXXX") || exit 1
trap 'rm -rf -- "$work"' EXIT
dest=$work/dest

# --- install ----------------------------------------------------------------

if meson install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$dest" >"$work/install.log" 2>&1; then
    ok "meson install --destdir"
else
    not_ok "meson install --destdir"
    diag <"$work/install.log"
    echo "1..$n"
    exit 1
fi

# --- the files ----------------------------------------------------------------

# check_file PATH [x] - PATH (absolute, as configured) is under destdir, a
# regular non-empty file, executable if asked
check_file() {
    local f=$dest$1
    if [[ ! -f $f ]]; then
        not_ok "installed: $1 (missing)"
    elif [[ ! -s $f ]]; then
        not_ok "installed: $1 (empty)"
    elif [[ ${2:-} == x && ! -x $f ]]; then
        not_ok "installed: $1 (not executable)"
    else
        ok "installed: $1"
    fi
}

check_file "$SBINDIR/invpnd" x
check_file "$BINDIR/invpnctl" x
check_file "$BINDIR/invpn-pki" x
check_file "$UNITDIR/invpnd.service"
check_file "$UNITDIR/invpnd@.service"
check_file "$COMPLETIONSDIR/invpnd"
check_file "$COMPLETIONSDIR/invpnctl"
check_file "$COMPLETIONSDIR/invpn-pki"
check_file "$SYSCONFDIR/invpn/invpn.conf.example"
# the daemon reads its configuration where the example was put
help=$("$dest$SBINDIR/invpnd" --help 2>&1)
if [[ $help == *"(default $SYSCONFDIR/invpn/invpn.conf, if present)"* ]]; then
    ok "invpnd reads $SYSCONFDIR/invpn/invpn.conf, beside the example"
else
    not_ok "invpnd reads $SYSCONFDIR/invpn/invpn.conf, beside the example"
    grep -- '--config' <<<"$help" | diag
fi

# an install must never bring a real configuration (it would replace the admin's)
if [[ -e $dest$SYSCONFDIR/invpn/invpn.conf ]]; then
    not_ok "no $SYSCONFDIR/invpn/invpn.conf is installed"
else
    ok "no $SYSCONFDIR/invpn/invpn.conf is installed"
fi

expected_pages=(man8/invpnd.8 man8/invpnctl.8 man5/invpn.conf.5 man1/invpn-pki.1)
if [[ -z $MAN_PAGES ]]; then
    for p in "${expected_pages[@]}"; do
        missing scdoc "installed: $MANDIR/$p"
    done
else
    for p in "${expected_pages[@]}"; do
        check_file "$MANDIR/$p"
    done
fi

# the installed programs run
for prog in "$SBINDIR/invpnd" "$BINDIR/invpnctl" "$BINDIR/invpn-pki"; do
    if out=$("$dest$prog" --version 2>&1) && [[ -n $out ]]; then
        ok "$prog --version: $out"
    else
        not_ok "$prog --version"
        printf '%s\n' "$out" | diag
    fi
done

# the example configuration is accepted by the installed daemon (-n also
# loads the certificates: make some)
pki=$dest$BINDIR/invpn-pki
mac=
if "$pki" init-ca "$work/ca" >/dev/null 2>"$work/pki.err" &&
    mac=$("$pki" node "$work/ca" "$work/node" 2>>"$work/pki.err"); then
    if out=$("$dest$SBINDIR/invpnd" -n -c "$dest$SYSCONFDIR/invpn/invpn.conf.example" \
        --key "$work/node/node.key" --cert "$work/node/node.crt" \
        --ca "$work/node/ca.crt" 2>&1); then
        ok "invpnd -n accepts invpn.conf.example"
    else
        not_ok "invpnd -n accepts invpn.conf.example"
        printf '%s\n' "$out" | diag
    fi
else
    not_ok "invpn-pki makes a CA and a node"
    diag <"$work/pki.err"
fi

# --- man pages ----------------------------------------------------------------

if [[ -n $MAN_PAGES ]]; then
    if command -v man >/dev/null 2>&1; then
        for p in "${expected_pages[@]}"; do
            f=$dest$MANDIR/$p
            [[ -f $f ]] || { not_ok "man -l $p (not installed)"; continue; }
            # render it as a reader would, then with every groff warning on
            # (lintian's check); both must be silent on stderr
            LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" >"$work/page.txt" 2>"$work/page.err"
            LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
                man --warnings -E UTF-8 -l -Tutf8 -Z "$f" >/dev/null 2>>"$work/page.err"
            name=${p##*/}
            name=${name%.*}
            if [[ -s $work/page.err ]]; then
                not_ok "man -l $p renders without warnings"
                diag <"$work/page.err"
            elif ! grep -q '^NAME' "$work/page.txt" || ! grep -q "^ *$name - " "$work/page.txt"; then
                not_ok "man -l $p renders without warnings (no NAME section naming $name)"
            elif grep -q '@[A-Za-z_]*@' "$f"; then
                not_ok "man -l $p renders without warnings (unsubstituted @VARIABLE@)"
            else
                ok "man -l $p renders without warnings"
            fi
        done
    else
        for p in "${expected_pages[@]}"; do
            missing man "man -l $p renders without warnings"
        done
    fi
fi

# --- systemd units --------------------------------------------------------------

for u in invpnd.service invpnd@.service; do
    f=$dest$UNITDIR/$u
    if grep -q '@[A-Za-z_]*@' "$f" 2>/dev/null ||
        ! grep -qx "ExecStart=$SBINDIR/invpnd -f.*" "$f" 2>/dev/null; then
        not_ok "$u: ExecStart= runs $SBINDIR/invpnd -f"
    else
        ok "$u: ExecStart= runs $SBINDIR/invpnd -f"
    fi
done

if command -v systemd-analyze >/dev/null 2>&1; then
    # verify wants the binaries and man pages (Documentation=) where the
    # units say; they are under destdir, so check copies whose ExecStart
    # points there, and look the pages up in destdir's mandir
    mkdir -p "$work/units"
    for u in invpnd.service invpnd@.service; do
        sed "s|$SBINDIR/invpnd|$dest$SBINDIR/invpnd|g" "$dest$UNITDIR/$u" >"$work/units/$u"
    done
    if [[ -n $MAN_PAGES ]]; then
        export MANPATH=$dest$MANDIR
        man_opt=()
    else
        man_opt=(--man=no)
    fi
    # the template is checked through an instance
    for u in invpnd.service invpnd@test.service; do
        # warnings (unknown keys, bad values) leave the exit status 0: any
        # output is a failure too
        if (cd "$work/units" && systemd-analyze verify "${man_opt[@]}" "$work/units/$u") \
            >"$work/verify.out" 2>&1 && [[ ! -s $work/verify.out ]]; then
            ok "systemd-analyze verify $u"
        else
            not_ok "systemd-analyze verify $u"
            diag <"$work/verify.out"
        fi
    done
else
    missing systemd-analyze "systemd-analyze verify invpnd.service"
    missing systemd-analyze "systemd-analyze verify invpnd@test.service"
fi

# --- bash completion --------------------------------------------------------------

bash_completion=
for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
    [[ -r $f ]] && { bash_completion=$f; break; }
done

# complete FILE LINE - the completions bash offers for LINE (cursor at its
# end), one per line, using FILE's completion function
complete_line() {
    bash --norc --noprofile -c '
        source "$1" >/dev/null 2>&1
        source "$2" || exit 1
        line=$3
        COMP_LINE=$line
        COMP_POINT=${#line}
        read -ra COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        func=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
        [[ -n $func ]] || exit 1
        COMPREPLY=()
        "$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"
    ' bash "$bash_completion" "$1" "$2"
}

# expect_offered FILE LINE WORD... - LINE's completions include WORD...
expect_offered() {
    local file=$1 line=$2 got w missed=()
    shift 2
    got=$(cd "$work" && complete_line "$file" "$line")
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$got" || missed+=("$w")
    done
    if [[ ${#missed[@]} -eq 0 ]]; then
        ok "completion: '$line' offers $*"
    else
        not_ok "completion: '$line' offers $*"
        printf '%s\n' "$got" | sed 's/^/got: /' | diag
    fi
}

# expect_completion FILE LINE WORD... - LINE completes to exactly WORD...
expect_completion() {
    local file=$1 line=$2 got want
    shift 2
    want=$(printf '%s\n' "$@" | sort)
    got=$(cd "$work" && complete_line "$file" "$line" | sort)
    if [[ $got == "$want" ]]; then
        ok "completion: '$line' -> $*"
    else
        not_ok "completion: '$line' -> $*"
        printf '%s\n' "$got" | sed 's/^/got: /' | diag
    fi
}

for c in invpnd invpnctl invpn-pki; do
    if bash -n "$dest$COMPLETIONSDIR/$c" 2>"$work/bash.err"; then
        ok "completion $c: bash syntax"
    else
        not_ok "completion $c: bash syntax"
        diag <"$work/bash.err"
    fi
done

if [[ -n $bash_completion ]]; then
    ctl=$dest$COMPLETIONSDIR/invpnctl
    pkic=$dest$COMPLETIONSDIR/invpn-pki
    expect_completion "$ctl" "invpnctl st" status
    expect_completion "$ctl" "invpnctl -s /x --js" --json
    expect_completion "$ctl" "invpnctl help tr" traceroute
    expect_completion "$ctl" "invpnctl status " # nothing follows status
    expect_completion "$ctl" "invpnctl --wi" --wide
    # invpnd: its options, every key of its --help as --KEY, values
    dc=$dest$COMPLETIONSDIR/invpnd
    mapfile -t help_keys < <("$dest$SBINDIR/invpnd" --help |
        sed -n '/^Keys:/,$ s/^  \(--[a-z_][a-z0-9_]*\).*/\1/p')
    if [[ ${#help_keys[@]} -lt 20 ]]; then
        not_ok "invpnd --help lists its keys (found ${#help_keys[@]})"
    else
        # with invpnd in PATH, the keys come from its --help
        PATH=$dest$SBINDIR:$PATH expect_offered "$dc" "invpnd --" --config --foreground --check --verbose \
            --help --version "${help_keys[@]}"
        # without it, the built-in list must hold every key too
        PATH=/usr/bin:/bin expect_offered "$dc" "invpnd --" "${help_keys[@]}"
    fi
    # a key the daemon's --help has and the built-in list does not: from --help
    mkdir -p "$work/fakebin"
    printf '#!/bin/sh\nprintf "Usage: invpnd\\n\\nKeys:\\n  --zzz_new_key        new\\n"\n' \
        >"$work/fakebin/invpnd"
    chmod +x "$work/fakebin/invpnd"
    PATH=$work/fakebin:/usr/bin:/bin expect_completion "$dc" "invpnd --zz" --zzz_new_key
    expect_completion "$dc" "invpnd --no_in" --no_incoming
    expect_completion "$dc" "invpnd --no-in" --no-incoming
    expect_completion "$dc" "invpnd --mdns " yes no
    expect_completion "$dc" "invpnd --no-relay n" no
    expect_completion "$dc" "invpnd --offload --of" --offload
    expect_completion "$dc" "invpnd --log_level " error warning notice info debug
    expect_completion "$dc" "invpnd --log-level=d" debug
    expect_completion "$dc" "invpnd --port " # a number: nothing to offer
    expect_completion "$dc" "invpnd --cert node/node.c" node/node.crt node/node.csr
    expect_offered "$dc" "invpnd --key node/" node/node.key
    expect_offered "$dc" "invpnd --ca node/" node/ca.crt
    expect_offered "$dc" "invpnd -c node/" node/node.key
    expect_offered "$dc" "invpnd --user ro" root
    expect_completion "$pkic" "invpn-pki re" revoke
    expect_completion "$pkic" "invpn-pki init-ca --" --rsa --days --name --help
    expect_completion "$pkic" "invpn-pki revoke --reason key" keyCompromise
    expect_completion "$pkic" "invpn-pki sign ca node/" node/node.csr
    # revoke offers the CA's valid serials and MACs (and certificate files)
    serial=$(awk -F '\t' '$1 == "V" { print $4 }' "$work/ca/index.txt" 2>/dev/null)
    if [[ -n $mac && -n $serial ]]; then
        expect_offered "$pkic" "invpn-pki revoke ca " "$mac" "$serial"
    else
        not_ok "completion: revoke offers MACs and serials (no node certificate to test with)"
    fi
else
    missing bash-completion "bash completions work"
fi

echo "1..$n"
[[ $failed -eq 0 ]]
