package main

import (
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/logclient"
	"github.com/cerro-torre/ct/lib/termsafe"
)

type stripCmd struct {
	Bundle string `arg:"" name:"BUNDLE" help:"The bundle; - for standard input."`
	Output string `short:"o" placeholder:"FILE" help:"Write the bundle without proofs to FILE (atomically) instead of back to BUNDLE (standard output when BUNDLE is -)."`
	Quiet  bool   `short:"q" help:"No progress bar and no status line."`
}

func (c *stripCmd) Help() string {
	return `Removes every transparency proof (transparency/ entries, docs/spec/log.md) from BUNDLE: what
is left is byte for byte the bundle as it was signed. Use it before submitting to other logs from
scratch, or to drop a proof that no longer verifies (ct verify exit 7).

The bundle is written back to BUNDLE in place (atomically), or to -o FILE; with BUNDLE - it is read
from standard input and written to standard output.

Examples:
  ct log strip app.ctp
  ct log strip app.ctp -o app.signed.ctp && cmp app.signed.ctp original-signed.ctp
  ct log strip - < logged.ctp > signed.ctp`
}

func (c *stripCmd) Run(f *flags) error {
	out := c.Output
	if out == "" && c.Bundle != "-" {
		out = c.Bundle
	}
	ctx, stop := cli.Context()
	defer stop()
	n, outName, err := logclient.StripRun(ctx, logclient.Request{Input: c.Bundle, Output: out, Stdin: os.Stdin, Stdout: os.Stdout, Quiet: c.Quiet})
	if err != nil {
		return err
	}
	if !c.Quiet {
		fmt.Fprintf(os.Stderr, "ct-log: removed %d proof(s), wrote %s\n", n, termsafe.Escape(outName))
	}
	return nil
}
