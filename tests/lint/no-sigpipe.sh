#!/usr/bin/env bash
# no-sigpipe.sh - no pipeline in the shell scripts of tests/ and tools/ whose
# verdict depends on a race.
#
# Every script there runs with `set -o pipefail`. A reader that stops early
# (grep -q, grep -m, head) makes the writer die of SIGPIPE whenever it still
# had output to write, and the pipeline then fails although the reader found
# what it looked for: a check that fails at random. A negated pipeline
# (`! writer | grep ...`) has the mirror-image fault: it passes whenever any
# part of the pipeline fails, the writer included. Capture the output and
# look at that instead:
#     out=$(writer) && grep -q PATTERN <<<"$out"
#
# Usage: no-sigpipe.sh SOURCE_ROOT     check SOURCE_ROOT/tests and SOURCE_ROOT/tools
#        no-sigpipe.sh FILE...         check these files
#        no-sigpipe.sh --self-test     show that the check finds what it must
# Prints one "file:line: pipeline: why" line per finding; exit status 1 if
# there was any, 2 on a usage error.
set -u
set -o pipefail
export LC_ALL=C

# the pieces of a pipeline that are a problem (bash regexes on one logical line)
P='(^|[^|])[|][[:space:]]*'                    # a pipe, not ||
RE_GREP_EARLY=$P'(command[[:space:]]+)?grep([[:space:]]|$)'
RE_EARLY_OPT='(^|[[:space:]])(-[A-Za-z]*[qm][A-Za-z0-9]*|--quiet|--silent|--max-count)([[:space:]=]|$)'
RE_HEAD=$P'head([[:space:]]|$)'
# ! at the start of a command, then a single | before the command ends
RE_NEGATED='(^|[;&({]|[;&|]{2}|(^|[[:space:]])(then|do|else|if|elif|while|until))[[:space:]]*![[:space:]]+[^|;&]*[|]([^|]|$)'

# check_line FILE LINENO TEXT - print a finding for TEXT, if any; 1 if found
check_line() {
	local f=$1 n=$2 text=$3 rest seg
	rest=$text
	while [[ $rest =~ $RE_GREP_EARLY ]]; do
		# the grep's own words: up to the next | ; & or )
		rest=${rest#*"${BASH_REMATCH[0]}"}
		seg=${rest%%[|;&)]*}
		if [[ " $seg" =~ $RE_EARLY_OPT ]]; then
			echo "$f:$n: pipeline: grep ${BASH_REMATCH[2]} stops reading early; under pipefail the writer's SIGPIPE fails it (grep the captured output)"
			return 1
		fi
	done
	if [[ $text =~ $RE_HEAD ]]; then
		printf '%s\n' "$f:$n: pipeline: head stops reading early; under pipefail the writer's SIGPIPE fails it (capture, then \${out%%\$'\\n'*})"
		return 1
	fi
	if [[ $text =~ $RE_NEGATED ]]; then
		echo "$f:$n: pipeline: a negated pipeline passes when any part of it fails, the writer included (compare captured output)"
		return 1
	fi
	return 0
}

# scan_file FILE - check every logical line of FILE; 1 if anything was found
scan_file() {
	local f=$1 line text="" start=0 n=0 bad=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[ -z "$text" ] && start=$n
		# a continued line joins the next one
		if [[ $line == *\\ ]]; then
			text+="${line%\\} "
			continue
		fi
		text+=$line
		# comments are not code: whole comment lines, and " # ..." at the end
		if [[ ! $text =~ ^[[:space:]]*# ]]; then
			text=${text%%[[:space:]]#[[:space:]]*}
			check_line "$f" "$start" "$text" || bad=1
		fi
		text=""
	done <"$f"
	return $bad
}

# is_shell FILE - a *.sh file, or an extension-less script with a sh/bash #!
is_shell() {
	local first=""
	case ${1##*/} in
	*.sh) return 0 ;;
	*.*) return 1 ;;
	esac
	IFS= read -r -n 80 first <"$1" 2>/dev/null
	[[ $first =~ ^#!.*[/[:space:]](ba)?sh([[:space:]]|$) ]]
}

# scan_tree ROOT - every shell script under ROOT/tests and ROOT/tools
scan_tree() {
	local root=$1 f bad=0 n=0 list self
	# this file is the one place that must hold such pipelines: its self-test samples
	self=$(realpath -- "${BASH_SOURCE[0]}")
	[ -d "$root/tests" ] && [ -d "$root/tools" ] || {
		echo "no-sigpipe.sh: $root: no tests/ and tools/ there" >&2
		return 2
	}
	list=$(find "$root/tests" "$root/tools" -type f | sort) || return 2
	while IFS= read -r f; do
		[ -n "$f" ] && is_shell "$f" || continue
		[ "$(realpath -- "$f")" = "$self" ] && continue
		n=$((n + 1))
		scan_file "$f" || bad=1
	done <<<"$list"
	[ $n -gt 0 ] || {
		echo "no-sigpipe.sh: $root: no shell scripts found" >&2
		return 2
	}
	[ $bad -eq 0 ] && echo "no-sigpipe.sh: $n shell scripts, no racy pipeline"
	return $bad
}

# self_test - the check must flag each bad line below and none of the good ones
self_test() {
	local dir rc=0 out i
	# shellcheck disable=SC2016 # the samples are shell text, not to be expanded
	local -a bad=(
		'ip -n "$ns" addr show dev "$tap" | grep -q "$addr"'
		'if ip -o link show | grep -Eq "state UP"; then :; fi'
		'check "x" bash -c "ip link | grep -qx lo"'
		'ps ax | grep -c foo; dmesg | grep -m 1 error'
		'! ip -o link show | grep -qv ": lo:"'
		'! ip -o link show | grep -v ": lo:"'
		'x=1 && ! ls | wc -l'
		'line=$(ip -6 -o addr show | head -n 1)'
		'v=$("$exe" --version 2>&1 | head -1)'
		'ip netns list | awk "{print \$1}" | grep -qx -- "$ns" && ip netns delete "$ns"'
		'dpkg-query -W "$p" 2>/dev/null | grep --quiet installed'
		'tr "\0" " " </proc/1/cmdline | grep -qF -- "$dir"'
		'ip link show \
			| grep -q foo'
	)
	# shellcheck disable=SC2016
	local -a good=(
		'out=$(ip -n "$ns" addr show dev "$tap") && grep -q "$addr" <<<"$out"'
		'grep -q READY=1 "$file"'
		'ctl a status | jq -e ".ok == true" >/dev/null'
		'n=$(ss -Htn state established | wc -l)'
		'[ ! -e "$sock" ] || rm -f "$sock" | cat'
		'a || b | grep -c x'
		'# a comment: ip link | grep -q lo'
		'ip link | grep -E "^[0-9]+:" | sort'
		'if ! grep -q x "$f"; then :; fi'
		'grep -Eq -- "$re" <<<"$first"'
	)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/no-sigpipe.XXXXXX") || return 2
	mkdir -p "$dir/tests" "$dir/tools"
	for i in "${!bad[@]}"; do
		printf '#!/usr/bin/env bash\nset -o pipefail\n%s\n' "${bad[i]}" >"$dir/tests/bad$i.sh"
		if out=$(scan_file "$dir/tests/bad$i.sh"); then
			echo "not ok - missed: ${bad[i]}"
			rc=1
		else
			echo "ok - flagged: ${bad[i]}"
			echo "#   $out"
		fi
	done
	for i in "${!good[@]}"; do
		printf '#!/usr/bin/env bash\nset -o pipefail\n%s\n' "${good[i]}" >"$dir/tools/good$i.sh"
		if out=$(scan_file "$dir/tools/good$i.sh"); then
			echo "ok - left alone: ${good[i]}"
		else
			echo "not ok - flagged a good line: ${good[i]}"
			echo "#   $out"
			rc=1
		fi
	done
	# the tree scan: one bad script among good ones fails it, and names it
	rm -f "$dir"/tests/bad[1-9]*.sh
	if out=$(scan_tree "$dir"); then
		echo "not ok - the tree scan passed with $dir/tests/bad0.sh in it"
		rc=1
	elif [[ $out != *"/tests/bad0.sh:3: pipeline: "* ]]; then
		echo "not ok - the tree scan did not name bad0.sh:3: $out"
		rc=1
	else
		echo "ok - the tree scan fails on one bad script"
	fi
	rm -rf -- "$dir"
	[ $rc -eq 0 ] && echo "no-sigpipe.sh: self-test passed"
	return $rc
}

case ${1:-} in
"")
	echo "usage: no-sigpipe.sh SOURCE_ROOT | FILE... | --self-test" >&2
	exit 2
	;;
--self-test)
	self_test
	exit
	;;
esac
if [ $# -eq 1 ] && [ -d "$1" ]; then
	scan_tree "$1"
	exit
fi
rc=0
for f in "$@"; do
	[ -f "$f" ] || {
		echo "no-sigpipe.sh: $f: no such file" >&2
		exit 2
	}
	scan_file "$f" || rc=1
done
exit $rc
