package main

import (
	"fmt"
	"os"
	"time"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/logserver"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/termsafe"
)

type serveCmd struct {
	Dir                string        `placeholder:"DIR" help:"The log directory (POSIX storage; created if missing, locked while serving)."`
	Key                string        `required:"" placeholder:"LOGKEY" help:"The log's signing key: a CT-SIG-01 private key file or a key id in the key store (with --print-vkey, a public key file, or the id of a key the store only trusts, will do)."`
	Origin             string        `required:"" placeholder:"ORIGIN" help:"The log's origin, e.g. log.example.org/ct: the first line of its checkpoints and its key's name."`
	PassphraseFile     string        `placeholder:"FILE" help:"Read the key's passphrase from FILE (else CT_PASSPHRASE, else the terminal)."`
	Listen             string        `default:"127.0.0.1:0" placeholder:"HOST:PORT" help:"Address to listen on (port 0 picks a free one)."`
	AddrFile           string        `placeholder:"FILE" help:"Write the bound HOST:PORT to FILE (atomically) once listening."`
	Witness            []string      `sep:"none" placeholder:"VKEY=URL" help:"A witness to ask for cosignatures: its cosignature/v1 verifier key (or the file ct-witness serve --print-vkey wrote) and base URL (repeatable)."`
	Quorum             int           `placeholder:"N" help:"Cosignatures each checkpoint waits for (default: all witnesses); never blocks the log."`
	CheckpointInterval time.Duration `default:"1s" placeholder:"D" help:"How often a new checkpoint is signed and published."`
	RepublishInterval  time.Duration `placeholder:"D" help:"How often an unchanged checkpoint is sent to the witnesses again, so it gets the cosignatures of witnesses that were down (default 30s, or --checkpoint-interval if longer; negative: never)."`
	BatchMaxAge        time.Duration `placeholder:"D" help:"Longest an entry waits to be sequenced in a batch (default 250ms)."`
	Storage            string        `default:"posix" enum:"posix,mysql" help:"Storage driver: posix (--dir) or mysql (--mysql-dsn)."`
	MySQLDSN           string        `name:"mysql-dsn" env:"CT_LOG_MYSQL_DSN" placeholder:"DSN" help:"MySQL/MariaDB DSN (go-sql-driver/mysql), e.g. 'ctlog:PASS@tcp(127.0.0.1:3306)/ctlog'."`
	PrintVKey          bool          `name:"print-vkey" help:"Print the log's note verifier key (for policies and witness configs) and exit."`
}

// Help is the detailed help of ct-log serve --help.
func (c *serveCmd) Help() string {
	return `Runs a transparency log on Tessera: entries are ct leaves (docs/spec/log.md), the log is
served as C2SP tlog-tiles (GET /checkpoint, GET /tile/..., GET /tile/entries/...) and entries are
added with POST /add (body: one leaf; answer "<index>\n" once it is sequenced; 429 with Retry-After
when the log is busy). Nothing else is served. It listens on 127.0.0.1 unless --listen says
otherwise, and stops cleanly on Ctrl-C or SIGTERM.

The log key is an ordinary ct private key of suite CT-SIG-01 (ct keygen --suite CT-SIG-01),
protected like any other; its note key name is the origin. --print-vkey prints the log's verifier
key, the string policies (transparency.logs) and witnesses (ct-witness) name the log by.

Witnesses: each --witness gets every new checkpoint (C2SP tlog-witness) and the log publishes it
with the cosignatures it got, waiting for --quorum of them at most 5 seconds a checkpoint. A
witness that is down never stops the log: it publishes what it could get cosigned, and submitters
(ct sign --log, ct log submit) and verifiers (ct verify's policy) enforce the quorum.
docs/log-server.md.

Examples:
  ct keygen --suite CT-SIG-01 --id log1
  ct-log serve --key log1 --origin log.example.org/ct --print-vkey > log1.vkey
  ct-log serve --dir /var/lib/ct-log --key log1 --origin log.example.org/ct
  ct-log serve --dir ./log --key ./log1.key --origin log.example.org/ct \
      --listen 127.0.0.1:8080 --addr-file log.addr \
      --witness "$(cat w1.vkey)=http://127.0.0.1:8081" \
      --witness "$(cat w2.vkey)=http://127.0.0.1:8082" --quorum 1
  CT_LOG_MYSQL_DSN='ctlog:PASS@tcp(db:3306)/ctlog' ct-log serve --storage mysql \
      --key log1 --origin log.example.org/ct`
}

func (c *serveCmd) Run(f *flags) error {
	ctx, stop := cli.Context()
	defer stop()
	pass := passphrase.Source{File: c.PassphraseFile, Context: ctx}
	if c.PrintVKey {
		vkey, err := logserver.VerifierKey(c.Key, c.Origin, pass)
		if err != nil {
			return err
		}
		fmt.Println(termsafe.Escape(vkey))
		return nil
	}
	signer, err := logserver.LoadSigner(c.Key, c.Origin, pass)
	if err != nil {
		return err
	}
	var ws []logserver.Witness
	for _, s := range c.Witness {
		w, err := logserver.ParseWitness(s)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if c.Storage == logserver.StorageMySQL && c.Dir != "" {
		return exit.New(exit.Usage, "--dir is for POSIX storage; MySQL storage keeps the log in the database")
	}
	return logserver.Run(ctx, logserver.Config{
		Storage: c.Storage, Dir: c.Dir, MySQLDSN: c.MySQLDSN,
		Origin: c.Origin, Signer: signer,
		Listen: c.Listen, AddrFile: c.AddrFile,
		Witnesses: ws, Quorum: c.Quorum,
		CheckpointInterval: c.CheckpointInterval, RepublishInterval: c.RepublishInterval, BatchMaxAge: c.BatchMaxAge,
		Log: os.Stderr,
	})
}
