# rpvault.bash - bash completion for rpvault(1).
# Installed as /usr/share/bash-completion/completions/rpvault and loaded on
# demand by bash-completion; it also works when sourced on its own.
# Why: commands and options mirror src/broker/main.c (keep them in step).
# Security posture: completes names only; it never runs rpvault or reads
# runpacks, stores or the configuration file.

_rpvault()
{
	# shellcheck disable=SC2034 # split is set by _init_completion -s
	local cur prev words cword split
	if declare -F _init_completion >/dev/null 2>&1; then
		# -s: "--opt=value" gives prev=--opt, cur=value
		_init_completion -s || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		# readline splits "--opt=value" into "--opt" "=" "value"
		if [[ $cur == = ]]; then
			cur=
		elif [[ $prev == = && $cword -ge 2 ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	fi

	local commands="verify pack export fetch ls jcs sandbox help --help --version"
	if [[ $cword -eq 1 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return 0
	fi

	local cmd=${words[1]} opts
	case $cmd in
	verify) opts="--format --manifest --store" ;;
	pack) opts="--out --tenant --namespace --run --generated-at --security --anchor-policy --manifest-name --with-verification" ;;
	export) opts="--store --manifest" ;;
	fetch) opts="--store --manifest" ;;
	ls) opts="--store --tenant --namespace" ;;
	jcs) opts="--rfc8785" ;;
	sandbox) opts="--print" ;;
	*) return 0 ;;
	esac
	opts="$opts --config --help"

	case $prev in
	--format)
		mapfile -t COMPREPLY < <(compgen -W "json markdown text" -- "$cur")
		return 0 ;;
	--generated-at)
		mapfile -t COMPREPLY < <(compgen -W "logical: unix_millis:" -- "$cur")
		[[ ${#COMPREPLY[@]} -eq 1 ]] && compopt -o nospace 2>/dev/null
		return 0 ;;
	--store)
		mapfile -t COMPREPLY < <(compgen -W "file:///" -- "$cur")
		[[ ${#COMPREPLY[@]} -eq 1 ]] && compopt -o nospace 2>/dev/null
		return 0 ;;
	--config | --anchor-policy)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0 ;;
	--out)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0 ;;
	--manifest | --manifest-name | --tenant | --namespace | --run | --security)
		# free-form values: nothing sensible to offer
		return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
	fi
	case $cmd in
	pack | export) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	verify | fetch | jcs) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	esac
	return 0
} &&
	complete -F _rpvault rpvault
