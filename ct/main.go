// Command ct is the Cerro Torre front end: `ct NAME ARGS…` runs ct-NAME,
// found beside ct or on PATH, the way git runs its subcommands.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/muesli/mango"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/dispatch"
	"github.com/cerro-torre/ct/lib/exit"
)

const about = `ct ships container images safely: it wraps an OCI image into a signed, self-verifying
bundle (.ctp), moves it anywhere, verifies it offline and installs it.`

func main() {
	f := dispatch.NewFinder()
	args := os.Args[1:]
	if len(args) == 0 {
		usage(os.Stdout, f)
		return
	}
	switch name := args[0]; name {
	case "help", "--help", "-h":
		if len(args) > 1 && name == "help" {
			run(f, args[1], []string{"--help"})
			return
		}
		usage(os.Stdout, f)
	case "--version", "version":
		fmt.Printf("ct version %s\n", cli.Version)
	case "--man":
		man(os.Stdout)
	default:
		if strings.HasPrefix(name, "-") {
			cli.Fail("ct", exit.New(exit.Usage, "unknown flag %s", name).
				WithHint("flags go after the command: ct COMMAND [FLAGS…]; run 'ct help' for the commands"))
		}
		run(f, name, args[1:])
	}
}

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

Exit status: that of the command; ct itself exits 64 when it cannot find the command.
`)
}

func man(w io.Writer) {
	m := mango.NewManPage(1, "ct", "ship container images safely").
		WithLongDescription(strings.ReplaceAll(about, "\n", " ")+"\n\n"+
			"ct COMMAND ARGS runs the program ct-COMMAND with ARGS, looked up first in the directory "+
			"of the ct executable, then on PATH. Standard input, output, error, signals and the exit "+
			"status pass through unchanged. 'ct help' lists the installed commands; 'ct help COMMAND' "+
			"equals 'ct COMMAND --help'.").
		WithSection("Exit status", "The exit status of the command that ran. ct itself exits:\n"+
			strings.TrimRight(exit.Table(exit.Usage), "\n")+" (unknown command, invalid name or flag)\n"+
			strings.TrimRight(exit.Table(exit.IO), "\n")+" (the command program could not be run)").
		WithSection("See also", "ct-pack(1)")
	m.Root = *mango.NewCommand("ct", "ship container images safely", "COMMAND [ARGS...]")
	fmt.Fprint(w, cli.RenderMan(m))
}
