# bash completion for invpn-pki(1)                         -*- shell-script -*-
#
# Commands and their options, directories for DIR and CA_DIR, *.csr files for
# sign, revocation reasons, and for revoke the serials and MACs of the valid
# certificates in the CA's database (CA_DIR/index.txt), or a certificate file.

_invpn_pki_valid()
{
    # serials and MACs of valid certificates in CA directory $1
    local db=$1/index.txt
    [[ -r $db ]] || return 0
    # index.txt: status, expiry, revocation, serial, file, subject ("/CN=MAC")
    command awk -F '\t' '$1 == "V" {
        print $4
        if (match($6, /CN=[0-9a-fA-F:]+/)) print substr($6, RSTART + 3, RLENGTH - 3)
    }' "$db" 2>/dev/null
}

_invpn_pki()
{
    local cur prev words cword
    _init_completion -n := || return

    local commands='init-ca new-node sign revoke crl list node help'

    # the command and its positional arguments so far
    local i command='' args=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --days | --name | --mac | --reason) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $command ]]; then
                    command=${words[i]}
                else
                    args+=("${words[i]}")
                fi
                ;;
        esac
    done

    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi

    case $prev in
        --days | --name | --mac)
            return
            ;;
        --reason)
            COMPREPLY=($(compgen -W 'unspecified keyCompromise CACompromise
                affiliationChanged superseded cessationOfOperation' -- "$cur"))
            return
            ;;
    esac

    local opts
    case $command in
        init-ca) opts='--rsa --days --name' ;;
        new-node) opts='--mac --rsa' ;;
        sign) opts='--days --force' ;;
        revoke) opts='--reason' ;;
        crl) opts='--days' ;;
        list) opts='' ;;
        node) opts='--mac --rsa --days --force' ;;
        help)
            ((${#args[@]} == 0)) &&
                COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
            return
            ;;
        *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return
    fi

    local n=${#args[@]}
    case $command in
        init-ca | new-node | crl | list)
            ((n == 0)) && _filedir -d
            ;;
        node)
            ((n <= 1)) && _filedir -d
            ;;
        sign)
            case $n in
                0) _filedir -d ;;
                1) _filedir csr ;;
                2) _filedir crt ;;
            esac
            ;;
        revoke)
            case $n in
                0) _filedir -d ;;
                1)
                    _filedir '@(crt|pem)'
                    COMPREPLY+=($(compgen -W "$(_invpn_pki_valid "${args[0]}")" -- "$cur"))
                    __ltrim_colon_completions "$cur"
                    ;;
            esac
            ;;
    esac
} &&
    complete -F _invpn_pki invpn-pki

# ex: filetype=sh
