// Package cli is the shared shell of every ct-* binary: flag parsing with
// kong, the usage exit code, the "NAME: error: …" / "NAME: hint: …" error
// format, the exit-status section of --help, and man page generation.
//
// A binary's main stays a recipe: declare a flags struct, call Main with a
// function that makes one library call, print the result.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/ttylock"
)

// Version is the version of the ct suite. Release builds set it with
// -ldflags "-X github.com/cerro-torre/ct/lib/cli.Version=…".
var Version = "0.1.0-dev"

// Command describes one ct-* binary for help, man pages and the dispatcher.
type Command struct {
	Name      string      // binary name, e.g. "ct-pack"
	Summary   string      // one line, shown by `ct help`
	Detail    string      // long description with examples; plain text
	ExitCodes []exit.Code // the codes this command can return, for the EXIT STATUS section
}

// Globals are the flags every binary has. Embed it in the flags struct.
type Globals struct {
	Color       string          `enum:"auto,always,never" default:"auto" placeholder:"WHEN" help:"Colour: auto (a terminal, and NO_COLOR unset), always or never; default from config.toml."`
	Man         manFlag         `hidden:"" help:"Print the man page (roff) and exit."`
	SummaryLine summaryLineFlag `hidden:"" name:"summary-line" help:"Print a one-line summary and exit (used by ct help)."`
	Complete    completeFlag    `hidden:"" name:"completion-words" help:"Print the words that may follow (flags, subcommands), one a line, and exit (used by ct completion)."`
	FlagTable   flagTableFlag   `hidden:"" name:"flag-table" help:"Print every flag as tab-separated lines and exit (used by make docs)."`
}

// VersionFlag is embedded by commands that print their version with
// --version. (ct-pack does not: its --version names the package version.)
type VersionFlag struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
}

var current Command

type manFlag bool

func (manFlag) BeforeApply(app *kong.Kong) error {
	fmt.Fprint(app.Stdout, ManPage(app))
	app.Exit(0)
	return nil
}

type summaryLineFlag bool

func (summaryLineFlag) BeforeApply(app *kong.Kong) error {
	fmt.Fprintln(app.Stdout, current.Summary)
	app.Exit(0)
	return nil
}

func exitText(codes []exit.Code) string {
	all := append([]exit.Code{exit.OK}, codes...)
	all = append(all, exit.Usage, exit.Internal)
	return strings.TrimRight(exit.Table(all...), "\n")
}

// Parse parses args into flags and returns the kong context. It never
// returns a parse error: it prints it and exits with exit.Usage (64), not
// kong's default 80, because 64 is part of ct's contract.
func Parse(cmd Command, flags any, args []string) *kong.Context {
	current = cmd
	desc := cmd.Summary
	if cmd.Detail != "" {
		desc += "\n\n" + strings.TrimSpace(cmd.Detail)
	}
	desc += "\n\nExit status:\n" + exitText(cmd.ExitCodes)
	parser, err := kong.New(flags,
		kong.Name(cmd.Name),
		kong.Description(desc),
		kong.Vars{"version": VersionLine(cmd.Name)},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, WrapUpperBound: 100}),
		kong.Exit(os.Exit),
	)
	if err != nil {
		Fail(cmd.Name, exit.Wrap(exit.Internal, err, "bad flag definitions"))
	}
	ctx, err := parser.Parse(args)
	if err == nil {
		if f := ctx.Flags(); f != nil {
			for _, fl := range f {
				if fl.Name == "color" {
					if v, ok := ctx.FlagValue(fl).(string); ok {
						colorMode = v
					}
				}
			}
		}
	}
	if err != nil {
		var pe *kong.ParseError
		if errors.As(err, &pe) {
			err = exit.New(exit.Usage, "%s", PlainParseError(pe.Error())).WithHint("run '%s --help' for usage", strings.TrimSpace(HelpName(cmd.Name, os.Args[0])+" "+subcommand(pe.Context)))
		}
		Fail(cmd.Name, err)
	}
	return ctx
}

// subcommand is the path of subcommand names the parser had selected when
// it failed ("add-log", "key export"), or "" at the top level, so that a
// usage hint names the help that describes the arguments that were missing.
func subcommand(ctx *kong.Context) string {
	if ctx == nil {
		return ""
	}
	var names []string
	for n := ctx.Selected(); n != nil; n = n.Parent {
		if n.Type == kong.CommandNode {
			names = append([]string{n.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// HelpName is how a usage hint names the command: "ct NAME" when the ct
// dispatcher started it (argv0 "ct NAME", lib/dispatch.Exec), else its
// program name ct-NAME, so the hint repeats what the user typed.
func HelpName(name, argv0 string) string {
	if argv0 == "ct "+strings.TrimPrefix(name, "ct-") {
		return argv0
	}
	return name
}

// Main parses os.Args into flags, runs run and exits with the code of its
// error, printed in the ct format.
func Main(cmd Command, flags any, run func() error) {
	Parse(cmd, flags, os.Args[1:])
	if err := run(); err != nil {
		Fail(cmd.Name, err)
	}
	os.Exit(0)
}

// Fail prints err as "NAME: error: …" and its hint as "NAME: hint: …" on
// stderr and exits with err's code.
// On a terminal it first waits for the terminal lock (lib/ttylock), so the
// message never lands on the line of another process's passphrase prompt,
// as in `ct pack -k A … | ct sign -k B` when A's passphrase is wrong.
func Fail(name string, err error) {
	release := func() {}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		if r, e := ttylock.Acquire(nil, nil); e == nil {
			release = r
		}
	}
	PrintError(os.Stderr, name, err)
	release()
	os.Exit(int(exit.CodeOf(err)))
}

// PrintError writes err in the ct error format. It is the last guard for
// the terminal: an error may quote a bundle, an archive entry, a registry's
// answer or a key file, so every line of the message and the hint passes
// through termsafe.EscapeControls (idempotent, so text a command already
// escaped is unchanged).
func PrintError(w io.Writer, name string, err error) {
	on := false
	if f, ok := w.(*os.File); ok {
		on = UseColor(f)
	}
	fmt.Fprintf(w, "%s: %s %s\n", name, Paint(on, "red", "error:"), escapeLines(err.Error()))
	if h := exit.HintOf(err); h != "" {
		for _, line := range strings.Split(h, "\n") {
			fmt.Fprintf(w, "%s: %s %s\n", name, Paint(on, "yellow", "hint:"), termsafe.EscapeControls(line))
		}
	}
	if exit.CodeOf(err) == exit.Internal {
		fmt.Fprintf(w, "%s: hint: this is a bug in ct; please report it with the command line you ran\n", name)
	}
}

// escapeLines escapes each line of s and keeps the line breaks a message
// made on purpose (errors.Join, "also:" lists).
func escapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termsafe.EscapeControls(l)
	}
	return strings.Join(lines, "\n")
}
