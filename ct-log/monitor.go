package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/logclient"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// The monitor's exit codes 1-3 mean something else than the suite's; they
// are in its own help (Help below), which the man page shows under the
// monitor command, once.
func init() {
	command.Detail += "\n\nct log monitor URL --log-key VKEY --key KEY… follows a log from cron: it checks the log's checkpoint " +
		"(signature, witness cosignatures, consistency with what it saw before, kept in --state) and reports every new entry " +
		"signed by a watched key, with its own exit codes for cron (ct log monitor --help). State: $XDG_STATE_HOME/cerro/monitor, " +
		"else ~/.local/state/cerro/monitor. docs/spec/log.md §6.2."
}

type monitorCmd struct {
	URL        string   `arg:"" name:"URL" help:"The log's tlog-tiles base URL (its checkpoint is URL/checkpoint)."`
	Origin     string   `placeholder:"ORIGIN" help:"The log's origin (default: the name of --log-key)."`
	LogKey     string   `name:"log-key" required:"" placeholder:"VKEY" help:"The log's note verifier key (ORIGIN+HASH+BASE64), or a file holding it (ct-log serve --print-vkey > log.vkey)."`
	Key        []string `name:"key" required:"" sep:"none" placeholder:"KEY" help:"A key to watch, repeatable: a fingerprint (64 hex digits), a public or private key file, or a key store name. With a public key, each logged signature is also verified."`
	Witness    []string `sep:"none" placeholder:"VKEY" help:"A witness's cosignature/v1 verifier key, or a file holding it (the key alone, not ct-log serve's VKEY=URL), repeatable; --quorum of them must cosign the checkpoint."`
	Quorum     int      `default:"-1" placeholder:"N" help:"Valid cosignatures by distinct --witness keys the checkpoint needs (default: 1 with --witness, else 0); fewer exits 3."`
	State      string   `placeholder:"DIR" help:"State folder (default: $XDG_STATE_HOME/cerro/monitor, else ~/.local/state/cerro/monitor)."`
	MaxEntries uint64   `name:"max-entries" default:"100000" placeholder:"N" help:"Scan at most N entries in one run; the next run goes on from there."`
	Store      string   `placeholder:"DIR" help:"The key store folder for --key names (default: $CT_HOME, else $XDG_CONFIG_HOME/cerro)."`
	JSON       bool     `name:"json" help:"Print a ct.log-monitor/1 JSON document on standard output."`
}

// Help is the detail kong shows under ct log monitor --help.
func (c *monitorCmd) Help() string { return monitorHelp + logclient.MonitorExitText }

const monitorHelp = `Reads URL/checkpoint, checks it is signed by --log-key and cosigned by
--quorum of the --witness keys, checks it is consistent with the checkpoint
this monitor saw last (kept in --state), then scans the new entries for
signatures by the watched --key(s). Run it from cron; the exit status says
what it found. The keys may be given as the files --print-vkey wrote.

Examples:

    ct log monitor http://127.0.0.1:8080 --log-key log1.vkey --key release
    ct log monitor https://log.example/ct --log-key "$(cat log1.vkey)" \
        --key release.pub --witness w1.vkey --witness w2.vkey --quorum 2 --json

`

func (c *monitorCmd) Run(f *flags) error {
	o := logclient.MonitorOptions{URL: c.URL, Origin: c.Origin, LogKey: c.LogKey, Witnesses: c.Witness,
		Quorum: c.Quorum, StateDir: c.State, MaxEntries: c.MaxEntries}
	if o.Quorum < 0 {
		o.Quorum = min(1, len(c.Witness))
	}
	if c.MaxEntries == 0 {
		return exit.New(exit.Usage, "--max-entries 0 would scan nothing").WithHint("give at least 1")
	}
	for _, k := range c.Key {
		w, err := logclient.ResolveWatched(k, c.Store)
		if err != nil {
			return err
		}
		o.Watch = append(o.Watch, w)
	}
	ctx, cancel := cli.Context()
	defer cancel()
	rep, err := logclient.Monitor(ctx, o)
	if err != nil {
		return err
	}
	if cli.JSON(c.JSON) {
		if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
			return exit.Wrap(exit.IO, err, "cannot write the report")
		}
	} else {
		printMonitor(os.Stdout, rep, len(c.Witness) == 0)
	}
	if rep.Code != 0 {
		os.Exit(rep.Code)
	}
	return nil
}

// printMonitor prints the report for humans; everything that came from the
// log or the state folder is escaped.
func printMonitor(w io.Writer, r *logclient.MonitorReport, noWitness bool) {
	e := termsafe.Escape
	fmt.Fprintf(w, "log %s (origin %s)\n", e(r.Log), e(r.Origin))
	if r.Checkpoint != nil {
		fmt.Fprintf(w, "checkpoint: size %d, root %s\n", r.Checkpoint.Size, e(r.Checkpoint.RootHash))
	}
	if r.Previous != nil {
		fmt.Fprintf(w, "previous:   size %d, root %s\n", r.Previous.Size, e(r.Previous.RootHash))
	} else if r.FirstRun {
		fmt.Fprintln(w, "previous:   none (first run: this checkpoint is trusted as the start)")
	}
	ws := r.Witnesses
	switch {
	case noWitness && len(ws.Cosigned) == 0 && len(ws.Invalid) == 0:
		// "0 cosigned" would read as "the log is unwitnessed": the
		// cosignatures were not looked at, since no witness key was given.
		fmt.Fprintln(w, "witnesses:  not checked (no --witness key given)")
	default:
		fmt.Fprintf(w, "witnesses:  %d cosigned, quorum %d", len(ws.Cosigned), ws.Quorum)
		if len(ws.Cosigned) > 0 {
			fmt.Fprintf(w, " (%s)", e(strings.Join(ws.Cosigned, ", ")))
		}
		if len(ws.Invalid) > 0 {
			fmt.Fprintf(w, "; invalid cosignature by %s", e(strings.Join(ws.Invalid, ", ")))
		}
		fmt.Fprintln(w)
	}
	s := r.Scanned
	if s.Entries > 0 {
		fmt.Fprintf(w, "scanned:    entries %d to %d (%d, %d not ct leaves), %d left for the next run\n", s.From, s.To-1, s.Entries, s.NotCT, s.Remaining)
	} else {
		fmt.Fprintf(w, "scanned:    nothing new (%d left for the next run)\n", s.Remaining)
	}
	for _, x := range r.Signed {
		who := ""
		if x.KeyID != "" {
			who = " by " + e(x.KeyID)
		}
		fmt.Fprintf(w, "SIGNED  entry %d: %s %s manifest %s, signature %s%s\n", x.Index, e(x.Suite), x.Fingerprint, x.ManifestDigest, x.Signature, who)
	}
	for _, x := range r.Forged {
		fmt.Fprintf(w, "FORGED  entry %d: %s %s manifest %s: %s (a verifier never accepts it)\n", x.Index, e(x.Suite), x.Fingerprint, x.ManifestDigest, e(x.Problem))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(p.Kind), e(p.Message))
		for _, f := range p.Evidence {
			fmt.Fprintf(w, "  evidence: %s\n", e(f))
		}
	}
	state := "state not changed"
	if r.StateAdvanced {
		state = "state saved"
	}
	fmt.Fprintf(w, "result: %s (exit %d); %s: %s\n", r.Result, r.Code, state, e(r.StateFile))
}
