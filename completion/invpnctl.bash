# bash completion for invpnctl(8)                          -*- shell-script -*-
#
# Commands, options, control sockets after -s, command names after "help",
# and, after "traceroute", the MACs of the local daemon's routes (asked with
# "invpnctl --json routes" when its socket can be used; nothing otherwise).

_invpnctl_socket()
{
    # the socket this command line talks to: -s/--socket, else
    # $INVPN_SOCKET, else the default
    local i sock=${INVPN_SOCKET:-/run/invpn/invpnd.sock}
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -s | --socket) sock=${words[i + 1]} ;;
            --socket=*) sock=${words[i]#--socket=} ;;
        esac
    done
    printf '%s\n' "${sock/#\~/$HOME}"
}

_invpnctl_macs()
{
    local sock
    sock=$(_invpnctl_socket)
    [[ -S $sock && -r $sock && -w $sock ]] || return 0
    # one "mac" key per route (the next hop is under "via")
    timeout 2 invpnctl -s "$sock" --json routes 2>/dev/null |
        command sed -n 's/^[[:space:]]*"mac"[[:space:]]*:[[:space:]]*"\([0-9a-fA-F:]\{17\}\)".*/\1/p'
}

_invpnctl()
{
    local cur prev words cword
    _init_completion -n := || return

    local commands='status peers routes nodes health traceroute graph metrics help'
    local opts='-s --socket -j --json --wide -w --wait -h --help -V --version'

    case $prev in
        -s | --socket)
            _filedir
            return
            ;;
        -w | --wait)
            # a number of seconds
            return
            ;;
    esac
    if [[ $cur == --socket=* ]]; then
        cur=${cur#--socket=}
        _filedir
        return
    fi
    if [[ $cur == --wait=* ]]; then
        return
    fi

    # the command, and how many arguments follow it
    local i command='' nargs=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -s | --socket | -w | --wait) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $command ]]; then
                    command=${words[i]}
                else
                    ((nargs++))
                fi
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $command in
        '')
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
            ;;
        help)
            ((nargs == 0)) &&
                COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
            ;;
        traceroute)
            if ((nargs == 0)); then
                COMPREPLY=($(compgen -W "$(_invpnctl_macs)" -- "$cur"))
                __ltrim_colon_completions "$cur"
            fi
            ;;
    esac
} &&
    complete -F _invpnctl invpnctl

# ex: filetype=sh
