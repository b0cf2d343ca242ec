// Command ct-witness runs a C2SP tlog-witness: it cosigns a log's
// checkpoints after checking them consistent with what it saw before.
package main

import (
	"fmt"
	"os"

	"github.com/cerro-torre/ct/ct-witness/witnessserver"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-witness",
	Summary: "Run a witness that cosigns transparency log checkpoints",
	Detail: `A witness keeps the last checkpoint it cosigned for each log it knows, and cosigns a new
one only if the log proves it consistent with that one (C2SP tlog-witness). A log that shows
two histories (a fork) is refused, so a checkpoint carrying enough independent witness
cosignatures is one everybody sees. ct-log pushes its checkpoints to its witnesses; ct verify
counts the cosignatures its policy asks for.

ct-witness serve listens on 127.0.0.1 (an unused port unless --listen says otherwise) and
answers only POST /add-checkpoint. Its state (the logs and their last cosigned checkpoints)
is an sqlite file (--db) that must survive restarts: a witness that forgets what it cosigned
cannot detect a fork.

The witness key is a ct private key of suite CT-SIG-01; --name is the witness's name in its
signatures. --print-vkey prints the witness's verifier key (cosignature/v1): give it to log
operators (ct-log serve --witness) and to verifiers (policy.json transparency.witnesses).

LOGS.toml lists the logs it cosigns for, each with its origin and its note verifier key:

  [[log]]
  origin = "log.example.org/ct"
  key = "log.example.org/ct+1a2b3c4d+AU…"

or, without a file, --log names each log by its verifier key (or the file ct-log serve
--print-vkey wrote): --log log1.vkey is the same as the table above for that log.

It refuses to start if the key of a log differs from the one it stored before (see
docs/witness.md).

Examples:
  ct keygen --suite CT-SIG-01 --id witness1
  ct-witness serve --key witness1 --name w1.example.org --print-vkey
  ct-witness serve --db /var/lib/ct-witness/state.db --key witness1 --name w1.example.org --logs logs.toml
  ct-witness serve --db state.db --key witness1 --name w1.example.org --log log1.vkey
  ct-witness serve --db state.db --key w1.key --name w1.example.org --logs logs.toml --listen 0.0.0.0:8090`,
	ExitCodes: []exit.Code{exit.Malformed, exit.IO, exit.Usage, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Serve serveCmd `cmd:"" help:"Run the witness on 127.0.0.1."`
}

type serveCmd struct {
	DB             string   `name:"db" placeholder:"FILE" help:"The witness state, an sqlite file (created if missing). Keep it: it is what detects forks."`
	Key            string   `placeholder:"KEY" help:"The witness's CT-SIG-01 private key: a file, or an id or fingerprint in the key store (with --print-vkey, a public key file, or the id of a key the store only trusts, will do)."`
	Name           string   `placeholder:"NAME" help:"The witness's name, as its cosignatures and verifier key carry it (e.g. w1.example.org)."`
	Logs           string   `placeholder:"LOGS.toml" help:"The logs to cosign for: a TOML file giving each log's origin and key (format: ct-witness serve --help)."`
	Log            []string `sep:"none" placeholder:"VKEY" help:"A log to cosign for, by its note verifier key or a file holding it (ct-log serve --print-vkey > log.vkey); its origin is the key's name. Repeatable; instead of, or with, --logs."`
	Listen         string   `default:"127.0.0.1:0" placeholder:"HOST:PORT" help:"Address to listen on; port 0 picks an unused one."`
	AddrFile       string   `name:"addr-file" placeholder:"FILE" help:"Once listening, write the bound HOST:PORT to FILE (atomically)."`
	PrintVKey      bool     `name:"print-vkey" help:"Print the witness's verifier key for --key and --name, and exit."`
	PassphraseFile string   `placeholder:"FILE" help:"Read the key's passphrase from FILE (else CT_PASSPHRASE, else the terminal)."`
}

// Help is the detail kong shows under ct-witness serve --help: what
// --logs and --log take, which the flag list alone does not say.
func (c *serveCmd) Help() string {
	return `Cosigns the checkpoints of the logs it is told about, each checked consistent with
the one it cosigned before (state in --db). Name the logs with --logs LOGS.toml,
one table per log:

  [[log]]
  origin = "log.example.org/ct"
  key = "log.example.org/ct+1a2b3c4d+AU…"

or with --log and the log's verifier key or the file ct-log serve --print-vkey
wrote (the origin is the key's name). docs/witness.md.

Examples:
  ct-witness serve --key witness1 --name w1.example.org --print-vkey > w1.vkey
  ct-witness serve --db state.db --key witness1 --name w1.example.org --log log1.vkey
  ct-witness serve --db /var/lib/ct-witness/state.db --key witness1 --name w1.example.org --logs logs.toml`
}

func (c *serveCmd) Run(f *flags) error {
	ctx, stop := cli.Context()
	defer stop()
	pass := passphrase.Source{File: c.PassphraseFile, Context: ctx}
	if c.Name == "" {
		return exit.New(exit.Usage, "--name is required").WithHint("--name is the witness's name in its cosignatures, e.g. w1.example.org")
	}
	if c.PrintVKey {
		v, err := witnessserver.VerifierKey(c.Key, c.Name, pass)
		if err != nil {
			return err
		}
		fmt.Println(v)
		return nil
	}
	if c.DB == "" || (c.Logs == "" && len(c.Log) == 0) {
		return exit.New(exit.Usage, "serve needs --db and the logs to witness (--logs LOGS.toml or --log VKEY)").WithHint("see ct-witness --help")
	}
	var logs []witnessserver.Log
	if c.Logs != "" {
		var err error
		if logs, err = witnessserver.LoadLogs(c.Logs); err != nil {
			return err
		}
	}
	flagLogs, err := witnessserver.FlagLogs(c.Log)
	if err != nil {
		return err
	}
	if logs, err = witnessserver.MergeLogs(logs, flagLogs, c.Logs); err != nil {
		return err
	}
	signer, err := witnessserver.Signer(c.Key, c.Name, pass)
	if err != nil {
		return err
	}
	return witnessserver.Run(ctx, witnessserver.Options{DB: c.DB, Signer: signer, Logs: logs, LogsFile: c.Logs,
		Listen: c.Listen, AddrFile: c.AddrFile, Log: os.Stderr}, func(addr string) {
		fmt.Fprintf(os.Stderr, "ct-witness: %s witnessing %d logs on http://%s\n", termsafe.Escape(c.Name), len(logs), addr)
	})
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
	var err error
	switch ctx.Command() {
	case "serve":
		// Called directly, not through kong's ctx.Run: that wraps the error
		// with errors.Join, which hides its hint from exit.HintOf.
		err = f.Serve.Run(&f)
	default:
		err = exit.New(exit.Usage, "unknown command %q", ctx.Command())
	}
	if err != nil {
		cli.Fail(command.Name, cli.Escaped(err))
	}
}
