# bash completion for invpnd(8)                            -*- shell-script -*-
#
# The options, and every configuration key as --KEY (also --KEY=VALUE, and
# with '-' for '_' when the word has one), with values: yes/no for the flags,
# the levels for log_level, files for config, key, cert, ca, crl, cache and
# control, users and groups for user and group, commands for up and down.
#
# The keys are the ones "invpnd --help" lists, so that a new key completes
# as soon as the daemon knows it; when that does not run (invpnd not in
# PATH, as for a user whose PATH has no sbin), the list below is used.

_invpnd_builtin_keys='--key --cert --ca --crl --port --listen --init --srv --mdns --cache
    --min_links --max_links --max_routes --max_nodes --no_incoming --no_relay --interface --mtu
    --offload --sign --require_signed --control --announce_interval --announce_interval_max --route_timeout --link_timeout --log_level
    --user --group --up --down --metrics'

_invpnd_keys()
{
    # "  --key   private key file (PEM)" lines, after "Keys:"
    local keys
    keys=$("$1" --help 2>/dev/null |
        command sed -n '/^Keys:/,$ s/^  \(--[a-z_][a-z0-9_]*\)\( .*\)\{0,1\}$/\1/p')
    printf '%s\n' "${keys:-$_invpnd_builtin_keys}"
}

_invpnd()
{
    local cur prev words cword split
    _init_completion -s || return

    # what the value of option $prev is, "-" and "_" being the same in keys
    local key=${prev#--}
    key=${key//-/_}
    case $prev in
        -c | --config)
            _filedir
            return
            ;;
        --*)
            case $key in
                key | cert | ca | crl | cache | control)
                    _filedir
                    return
                    ;;
                log_level)
                    COMPREPLY=($(compgen -W 'error warning notice info debug' -- "$cur"))
                    return
                    ;;
                user)
                    COMPREPLY=($(compgen -u -- "$cur"))
                    return
                    ;;
                group)
                    COMPREPLY=($(compgen -g -- "$cur"))
                    return
                    ;;
                up | down)
                    # a command line for /bin/sh: start it with a command
                    COMPREPLY=($(compgen -c -- "$cur"))
                    return
                    ;;
                mdns | no_incoming | no_relay | offload | sign | require_signed)
                    # a flag: a value may follow, or (alone, meaning yes) the next option
                    if [[ $cur != -* ]]; then
                        COMPREPLY=($(compgen -W 'yes no' -- "$cur"))
                        return
                    fi
                    ;;
                port | listen | init | srv | min_links | max_links | max_routes | max_nodes | interface | mtu | \
                    announce_interval | announce_interval_max | route_timeout | link_timeout | metrics)
                    # a number, an address, a host or a name: nothing to offer
                    return
                    ;;
            esac
            ;;
    esac
    $split && return

    if [[ $cur == -* ]]; then
        local opts keys
        opts='-c --config -f --foreground -n --check -v --verbose -h --help -V --version'
        keys=$(_invpnd_keys "${words[0]}")
        # --no-inc<TAB>: offer the keys spelt the same way
        [[ ${cur#--} == *-* ]] && keys=${keys//_/-}
        COMPREPLY=($(compgen -W "$opts $keys" -- "$cur"))
    fi
} &&
    complete -F _invpnd invpnd

# ex: filetype=sh
