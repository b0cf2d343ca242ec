// Command ct-witness runs a C2SP tlog-witness: it cosigns a log's
// checkpoints after checking them consistent with what it saw before.
package main

import (
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
)

var command = cli.Command{
	Name:      "ct-witness",
	Summary:   "Run a witness that cosigns transparency log checkpoints",
	Detail:    `docs/spec/log.md.`,
	ExitCodes: []exit.Code{exit.Malformed, exit.IO, exit.Network},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Serve serveCmd `cmd:"" help:"Run the witness on 127.0.0.1."`
}

type serveCmd struct{}

func (c *serveCmd) Run(f *flags) error {
	return exit.New(exit.Internal, "ct witness serve is not built yet")
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
	if err := ctx.Run(&f); err != nil {
		cli.Fail(command.Name, cli.Escaped(err))
	}
}
