package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/logclient"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

type submitCmd struct {
	Bundle string `arg:"" name:"BUNDLE" help:"The signed bundle; - for standard input."`
	logclient.Flags
	Output string `short:"o" placeholder:"FILE" help:"Write the bundle with its proofs to FILE (atomically) instead of back to BUNDLE (standard output when BUNDLE is -)."`
	Quiet  bool   `short:"q" help:"No progress bar and no status lines."`
	JSON   bool   `name:"json" help:"Print a ct.log-submit/1 JSON report (to stdout unless the bundle goes there, then to stderr)."`
}

func (c *submitCmd) Help() string {
	return `For every signature entry of BUNDLE and every --log, ct log submit posts the signature's leaf
(docs/spec/log.md: suite, signer's fingerprint, manifest digest, signature) to the log, waits until
the log publishes a checkpoint that covers it, signed by the log's key and cosigned by --quorum of
the --witness keys, builds the inclusion proof from the log's tiles, checks it as ct verify will,
and adds it to the bundle as transparency/<fingerprint>.<logid>.proof. Proofs are not signed
content: the signatures and everything before them stay byte for byte the same (ct log strip
takes the proofs out again).

The log's key must be known to check what it answers: --log-key VKEY for each --log (in the same
order; the operator prints it with ct-log serve --print-vkey), or --policy FILE, whose transparency
section lists the trusted logs by origin, the witnesses and the quorum (as ct verify reads it).
A log that answers with a checkpoint or proof that does not verify gets nothing into the bundle
(exit 7); a log that is down, refuses the leaf, or has no witnessed checkpoint within --timeout is
exit 12, naming the log, what arrived and what was awaited.

Submitting again is idempotent: a signature that already has a proof from the log that verifies
and meets the quorum is kept, and the log is not asked (with a --policy that trusts several logs,
each log's /checkpoint is read once to learn its origin).

The bundle is written back to BUNDLE in place (atomically: a temporary file, synced and renamed),
or to -o FILE; with BUNDLE - it is read from standard input and written to standard output, but
only once every proof is in (a failure writes nothing). Status lines go to standard error.

Examples:
  ct log submit app.ctp --log https://log.example/ct --log-key "$(cat log.vkey)"
  ct log submit app.ctp --log http://127.0.0.1:8080 --log-key "$LOGKEY" \
      --witness "$W1" --witness "$W2" --quorum 2 --timeout 1m
  ct log submit app.ctp --log https://a.example/ct --log https://b.example/ct --policy policy.json
  ct log submit - --log URL --log-key VKEY < signed.ctp > logged.ctp`
}

func (c *submitCmd) Run(f *flags) error {
	c.JSON = cli.JSON(c.JSON)
	opt, err := c.Flags.Options()
	if err != nil {
		return err
	}
	if !c.Quiet {
		opt.Status = func(line string) { fmt.Fprintln(os.Stderr, "ct-log: "+line) }
	}
	out := c.Output
	if out == "" && c.Bundle != "-" {
		out = c.Bundle // in place
	}
	ctx, stop := cli.Context()
	defer stop()
	res, outName, err := logclient.Run(ctx, logclient.Request{Input: c.Bundle, Output: out, Stdin: os.Stdin, Stdout: os.Stdout, Quiet: c.Quiet}, opt)
	if err != nil {
		return err
	}
	if c.JSON {
		w := outfile.ReportStream(out)
		bundle := out
		if bundle == "" {
			bundle = "-"
		}
		return json.NewEncoder(w).Encode(logclient.SubmitDoc(bundle, res))
	}
	if !c.Quiet {
		added := 0
		for _, o := range res.Outcomes {
			if !o.Kept {
				added++
			}
		}
		fmt.Fprintf(os.Stderr, "ct-log: %d proof(s) added, %d kept, in %s\n", added, len(res.Outcomes)-added, termsafe.Escape(outName))
	}
	return nil
}
