// Command ct is the Cerro Torre front end: `ct NAME ARGS…` runs ct-NAME,
// found beside ct or on PATH, the way git runs its subcommands.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/dispatch"
	"github.com/cerro-torre/ct/lib/exit"
)

const about = `ct ships container images safely: it wraps an OCI image into a signed, self-verifying
bundle (.ctp), moves it anywhere, verifies it offline and installs it.`

func main() {
	f := dispatch.NewFinder()
	g, args, err := dispatch.ParseGlobals(os.Args[1:])
	if err != nil {
		cli.Fail("ct", err)
	}
	switch {
	case g.Version:
		fmt.Println(cli.VersionLine("ct"))
		return
	case g.Man:
		fmt.Print(man(f))
		return
	case len(args) == 0:
		usage(os.Stdout, f)
		return
	}
	switch name := args[0]; name {
	case "help":
		if len(args) > 1 && args[1] == "completion" {
			fmt.Print(completionHelp)
			return
		}
		if len(args) > 1 {
			run(f, args[1], g.ChildArgs([]string{"--help"}))
			return
		}
		usage(os.Stdout, f)
	case "version":
		fmt.Println(cli.VersionLine("ct"))
	case "completion":
		if g.Help || len(args) == 2 && (args[1] == "--help" || args[1] == "-h") {
			fmt.Print(completionHelp)
			return
		}
		if len(args) != 2 {
			cli.Fail("ct", exit.New(exit.Usage, "ct completion needs one shell: bash, zsh or fish").
				WithHint("ct completion bash > ~/.local/share/bash-completion/completions/ct"))
		}
		var names []string
		for _, c := range f.List() {
			names = append(names, c.Name)
		}
		script, err := dispatch.CompletionScript(args[1], names)
		if err != nil {
			cli.Fail("ct", err)
		}
		fmt.Print(script)
	case "__complete": // called by the completion scripts
		for _, w := range dispatch.Complete(f, args[1:]) {
			fmt.Println(w)
		}
	case "__flag-table": // called by make docs
		t, err := dispatch.FlagTable(f)
		if err != nil {
			cli.Fail("ct", exit.Wrap(exit.IO, err, "cannot list the flags"))
		}
		fmt.Print(t)
	default:
		run(f, name, g.ChildArgs(args[1:]))
	}
}

const completionHelp = `Usage: ct completion bash|zsh|fish

Prints a script that completes ct's commands (those beside ct and on PATH)
and each command's flags. Install it with:
  ct completion bash > ~/.local/share/bash-completion/completions/ct
  ct completion zsh  > "${fpath[1]}/_ct"
  ct completion fish > ~/.config/fish/completions/ct.fish
(make install puts all three in place.)
`

func run(f dispatch.Finder, name string, args []string) {
	if !dispatch.ValidName(name) {
		cli.Fail("ct", exit.New(exit.Usage, "'%s' is not a valid command name", name).
			WithHint("a command name has no '/' and does not start with '-'"))
	}
	path, ok := f.Lookup(name)
	if !ok {
		cli.Fail("ct", dispatch.UnknownCommand(name, f))
	}
	cli.Fail("ct", dispatch.Exec(path, name, args))
}

func usage(w io.Writer, f dispatch.Finder) {
	fmt.Fprintf(w, "%s\n\nUsage: ct COMMAND [ARGS…]   (runs the program ct-COMMAND)\n", about)
	var heading bool
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range f.List() {
		if c.OnPath && !heading {
			fmt.Fprintln(w, "\nCommands from elsewhere on PATH:")
			heading = true
		}
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, dispatch.Summary(c.Path))
	}
	fmt.Fprint(w, `
Run 'ct help COMMAND' or 'ct COMMAND --help' for a command's help; 'ct --version' for the version.
Before the command ct takes --color=WHEN (passed on to the command), -h/--help and --version.
'ct completion bash|zsh|fish' prints a shell completion script (make install installs them).

Exit status: that of the command; ct itself exits 64 when it cannot find the command.
`)
}

// man is ct.1. SEE ALSO names every command installed beside ct.
func man(f dispatch.Finder) string {
	p := cli.Page{
		Name:    "ct",
		Summary: "ship container images safely",
		Synopsis: []string{"[--color=WHEN] COMMAND [ARGS…]", "help [COMMAND]", "completion bash|zsh|fish",
			"--version"},
		Description: about + `

ct COMMAND ARGS runs the program ct-COMMAND with ARGS, looked up first in the directory of the
ct executable, then on PATH (absolute entries only: an empty or relative entry such as . is
skipped, so a program in the current folder never runs). Standard input, output, error, signals and the exit status pass
through unchanged. 'ct help' lists the installed commands; 'ct help COMMAND' equals
'ct COMMAND --help'. The global flags --color and --help may come before the command and are
passed on to it: ct --color=always verify x.ctp runs ct-verify --color=always x.ctp.

ct completion SHELL prints a completion script for bash, zsh or fish that completes the
commands and each command's flags.

ct exits with the exit status of the command that ran; see EXIT STATUS for ct's own.`,
		Options: []cli.PageOption{
			{Long: "color", Placeholder: "WHEN", Help: "Colour: auto, always or never; passed on to the command."},
			{Short: 'h', Long: "help", Help: "List the commands; before a command, the command's help."},
			{Long: "version", Help: "Print ct's version (and the git commit it was built from) and exit."},
		},
		ExitCodes: []exit.Code{exit.Usage, exit.IO},
		ExitNote: map[exit.Code]string{exit.Usage: "ct itself: unknown command, invalid name or flag",
			exit.IO: "ct itself: the command program could not be run"},
		Environment: [][2]string{{"PATH", "where commands not beside ct are looked for."}},
	}
	for _, c := range (dispatch.Finder{ExecDir: f.ExecDir}).List() {
		p.SeeAlso = append(p.SeeAlso, dispatch.Prefix+c.Name+"(1)")
	}
	p.SeeAlso = append(p.SeeAlso, "docs/cli.md")
	return p.Render()
}
