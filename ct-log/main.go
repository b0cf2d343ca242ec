// Command ct-log runs and uses transparency logs: serve one (ct-log serve),
// record a bundle's signatures in logs (ct log submit), and watch a log for
// a key's signatures (ct log monitor). docs/spec/log.md.
package main

import (
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
)

var command = cli.Command{
	Name:    "ct-log",
	Summary: "Serve, use and watch transparency logs of signatures",
	Detail: `A transparency log records every signature a bundle's signers make, so that a stolen key cannot
sign in secret: ct verify can require proof that each signature is in a log the verifier trusts,
cosigned by witnesses, and the key's owner runs ct log monitor to see everything the key signed.
docs/spec/log.md.`,
	ExitCodes: []exit.Code{exit.SignatureInvalid, exit.LogProofInvalid, exit.Malformed, exit.IO, exit.Network},
}

type flags struct {
	cli.Globals
	cli.VersionFlag

	Serve   serveCmd   `cmd:"" help:"Run a log server (Tessera, C2SP tlog-tiles) on 127.0.0.1."`
	Submit  submitCmd  `cmd:"" help:"Record a bundle's signatures in logs and add the proofs to it."`
	Monitor monitorCmd `cmd:"" help:"Follow a log: check its consistency and report a key's signatures."`
	Strip   stripCmd   `cmd:"" help:"Remove a bundle's transparency proofs: the bytes it had when signed."`
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
	if err := ctx.Run(&f); err != nil {
		cli.Fail(command.Name, cli.Escaped(err))
	}
}
