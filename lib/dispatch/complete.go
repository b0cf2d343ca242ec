package dispatch

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// GlobalFlags are the flags ct itself takes before a command, for completion.
var GlobalFlags = []string{"--color", "--help", "-h", "--version"}

// Builtins are the words ct answers itself.
var Builtins = []string{"completion", "help"}

// Shells are the shells ct completion writes a script for.
var Shells = []string{"bash", "fish", "zsh"}

// Complete returns the words that may follow words (the complete words
// after "ct" on the command line): command names and ct's flags first;
// after a command name, that command's flags and subcommands, which the
// program prints itself (--completion-words, from its kong model).
func Complete(f Finder, words []string) []string {
	i := 0
	for i < len(words) && strings.HasPrefix(words[i], "-") {
		if words[i] == "--color" {
			if i+1 == len(words) {
				return []string{"auto", "always", "never"}
			}
			i++
		}
		i++
	}
	if i >= len(words) {
		out := append(f.names(), Builtins...)
		sort.Strings(out)
		return append(out, GlobalFlags...)
	}
	name, rest := words[i], words[i+1:]
	switch name {
	case "help":
		if len(rest) == 0 {
			return f.names()
		}
		return nil
	case "completion":
		if len(rest) == 0 {
			return Shells
		}
		return nil
	}
	path, ok := f.Lookup(name)
	if !ok {
		return nil
	}
	top := ask(path)
	for _, w := range rest {
		if strings.HasPrefix(w, "-") {
			continue
		}
		for _, c := range top {
			if c == w && !strings.HasPrefix(c, "-") {
				return ask(path, w)
			}
		}
		break
	}
	return top
}

func (f Finder) names() []string {
	var out []string
	for _, c := range f.List() {
		out = append(out, c.Name)
	}
	return out
}

// ask runs `PROGRAM [SUB] --completion-words`; a program that does not
// answer within two seconds, or fails, offers nothing.
func ask(path string, sub ...string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, append(sub, "--completion-words")...).Output()
	if err != nil {
		return nil
	}
	var words []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.ContainsAny(w, " \t'\"\\$`") {
			words = append(words, w)
		}
	}
	return words
}

// CompletionScript returns the completion script for shell. The script
// asks `ct __complete WORDS…` at completion time, so it knows every
// command found beside ct and on PATH, and each command's own flags.
// commands are also completed when run directly (ct-verify …).
func CompletionScript(shell string, commands []string) (string, error) {
	var direct []string
	for _, c := range commands {
		direct = append(direct, Prefix+c)
	}
	switch shell {
	case "bash":
		return fmt.Sprintf(bashScript, strings.Join(direct, " ")), nil
	case "zsh":
		return fmt.Sprintf(zshScript, strings.Join(direct, " ")), nil
	case "fish":
		var b strings.Builder
		b.WriteString(fishScript)
		for _, d := range direct {
			fmt.Fprintf(&b, "complete -c %s -a '(__ct_complete %s)'\n", d, strings.TrimPrefix(d, Prefix))
		}
		return b.String(), nil
	}
	return "", exit.New(exit.Usage, "no completion for the shell %q", shell).
		WithHint("ct completion bash, ct completion zsh or ct completion fish")
}

const bashScript = `# bash completion for ct (Cerro Torre): ct completion bash
# Install: ct completion bash > ~/.local/share/bash-completion/completions/ct
_ct_words() {
	local IFS=$'\n' cur=$1 words
	shift
	words=$(ct __complete "$@" 2>/dev/null)
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$(printf '%%s\n' "$words" | grep -v '^-')" -- "$cur"))
		if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
	fi
}
_ct() {
	_ct_words "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}"
}
_ct_direct() {
	local c=${COMP_WORDS[0]##*/}
	_ct_words "${COMP_WORDS[COMP_CWORD]}" "${c#ct-}" "${COMP_WORDS[@]:1:COMP_CWORD-1}"
}
complete -o filenames -F _ct ct
complete -o filenames -F _ct_direct %s
`

const zshScript = `#compdef ct %[1]s
# zsh completion for ct (Cerro Torre): ct completion zsh
# Install: ct completion zsh > "${fpath[1]}/_ct"
_ct() {
	local -a before cands
	before=("${(@)words[2,CURRENT-1]}")
	if [[ ${words[1]:t} == ct-* ]]; then
		before=("${${words[1]:t}#ct-}" "${(@)before}")
	fi
	cands=("${(@f)$(ct __complete "${(@)before}" 2>/dev/null)}")
	if [[ $PREFIX == -* ]]; then
		compadd -- ${(M)cands:#-*}
	else
		cands=(${cands:#-*})
		if (( ${#cands} )); then
			compadd -- "${(@)cands}"
		else
			_files
		fi
	fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
	_ct "$@"
else
	compdef _ct ct %[1]s
fi
`

const fishScript = `# fish completion for ct (Cerro Torre): ct completion fish
# Install: ct completion fish > ~/.config/fish/completions/ct.fish
function __ct_complete
	set -l tokens (commandline -opc)
	set -e tokens[1]
	ct __complete $argv $tokens 2>/dev/null
end
complete -c ct -a '(__ct_complete)'
`
