// Command ct-policy writes, edits, explains and checks policy.json, the
// trust policy ct verify enforces (docs/spec/policy.md).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/policyedit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

var command = cli.Command{
	Name:    "ct-policy",
	Summary: "Write, edit, explain and check a trust policy (policy.json)",
	Detail: `A policy says whose signatures count and how many are needed, which registries an image may come
from, which signature suites count, and what a pinned package must be (docs/spec/policy.md).
ct verify, import, fetch and export enforce it with --policy FILE, or the file config.toml names.

Without FILE (or --file) the commands use the policy config.toml names (its "policy" setting,
relative to the key store), else ./policy.json.

Every command that writes checks the result with the same parser as ct verify, refuses what that
parser refuses, writes the canonical form (fields in the order of policy.md §3, two-space
indentation) atomically, and keeps every rule it does not touch. Adding what is already there
changes nothing. A signer or pin that names a key the key store does not trust gets a warning.

A signer is a key id or id pattern (release-2024, release-*), a fingerprint (64 hex digits; a
prefix of 16 or more is looked up in the key store), or a public key file (a path with '/', or an
existing file), written as its fingerprint.

Examples:
  ct policy init --signer release.pub --signer 'ops-*' --threshold 2 --registry 'docker.io/library/*'
  ct policy init strict.json          (on a terminal: asks)
  ct policy add-signer 6e33:ce9e:16e3:3e7d
  ct policy add-registry 'oci-archive:*' --file strict.json
  ct policy add-log log-a.vkey --require 1          (the file ct-log serve --print-vkey wrote)
  ct policy add-log 'log-a.example+987be1f5+AduZ…'  (or the key itself)
  ct policy add-witness w1.vkey --quorum 1
  ct policy show
  ct policy show --json | jq .signers
  ct policy check strict.json && ct verify nginx.ctp --policy strict.json`,
	ExitCodes: []exit.Code{exit.Malformed, exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Quiet bool `short:"q" help:"Print nothing on stderr on success (no status line, no warning)."`

	Init        initCmd     `cmd:"" help:"Write a new policy: asks on a terminal, takes flags otherwise."`
	AddSigner   signerCmd   `cmd:"" name:"add-signer" help:"Add a signer to signers.allowed."`
	AddRegistry registryCmd `cmd:"" name:"add-registry" help:"Add a source pattern to registries.allowed."`
	AddLog      logCmd      `cmd:"" name:"add-log" help:"Trust a transparency log: add it to transparency.logs."`
	AddWitness  witnessCmd  `cmd:"" name:"add-witness" help:"Trust a witness: add its key to transparency.witnesses."`
	Show        showCmd     `cmd:"" help:"Explain a policy: who counts, how many, from where, which suites, pins."`
	Check       checkCmd    `cmd:"" help:"Check a policy as ct verify reads it (errors at FILE:LINE:COLUMN)."`
}

type initCmd struct {
	File      string   `arg:"" optional:"" name:"FILE" help:"The policy to write (default: config.toml's policy, else ./policy.json)."`
	Signer    []string `placeholder:"KEY" help:"A signer that counts: key id or pattern, fingerprint, or public key file (repeatable)."`
	Threshold *int     `placeholder:"N" help:"Distinct signers required, 1 to 256 (default 1)."`
	Registry  []string `placeholder:"PATTERN" help:"A source images may come from, e.g. docker.io/library/* or oci-archive:* (repeatable)."`
	Suite     []string `placeholder:"ID" help:"A signature suite that counts: CT-SIG-01, CT-SIG-02 or CT-SIG-03 (repeatable)."`
	Force     bool     `short:"f" help:"Replace an existing file."`
}

type signerCmd struct {
	Key  string `arg:"" name:"KEY" help:"Key id or pattern, fingerprint (or a prefix of one in the key store), or public key file."`
	File string `placeholder:"FILE" help:"The policy to edit (default: config.toml's policy, else ./policy.json)."`
}

type registryCmd struct {
	Pattern string `arg:"" name:"PATTERN" help:"A source pattern: REGISTRY/REPOSITORY with wildcards (docker.io/library/*), *, or oci:*, oci-archive:*, docker-archive:*."`
	File    string `placeholder:"FILE" help:"The policy to edit (default: config.toml's policy, else ./policy.json)."`
}

type logCmd struct {
	Args    []string `arg:"" name:"VKEY" help:"The log's note verifier key, ORIGIN+HASH+BASE64 (log.md §3), or a file holding it (ct-log serve --print-vkey > log.vkey); the origin is the key's name. The older form ORIGIN VKEY still works."`
	Require *int     `placeholder:"N" help:"Also set transparency.logs_required: distinct trusted logs each counted signature must be in."`
	File    string   `placeholder:"FILE" help:"The policy to edit (default: config.toml's policy, else ./policy.json)."`
}

type witnessCmd struct {
	Key    string `arg:"" name:"VKEY" help:"The witness's cosignature/v1 verifier key, NAME+HASH+BASE64 (log.md §3), or a file holding it (ct-witness serve --print-vkey > w1.vkey)."`
	Quorum *int   `placeholder:"N" help:"Also set transparency.witness_quorum: distinct trusted witnesses cosigning each counted log proof."`
	File   string `placeholder:"FILE" help:"The policy to edit (default: config.toml's policy, else ./policy.json)."`
}

type showCmd struct {
	File string `arg:"" optional:"" name:"FILE" help:"The policy (default: config.toml's policy, else ./policy.json)."`
	JSON bool   `name:"json" help:"Print a JSON document (schema ct.policy-show/1) instead of text."`
}

type checkCmd struct {
	File string `arg:"" name:"FILE" help:"The policy to check."`
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
	if err := run(&f, ctx.Selected().Name); err != nil {
		cli.Fail(command.Name, cli.Escaped(err)) // may quote the policy
	}
}

// orDefault returns file, or the default policy when it is "".
func orDefault(file string, st *keys.Store) (string, error) {
	if file == "" {
		return policyedit.DefaultPath(st)
	}
	return file, nil
}

func run(f *flags, cmd string) error {
	st, err := policyedit.OpenStore()
	if err != nil {
		return err
	}
	var file string
	switch cmd {
	case "init":
		file, err = orDefault(f.Init.File, st)
	case "add-signer":
		file, err = orDefault(f.AddSigner.File, st)
	case "add-registry":
		file, err = orDefault(f.AddRegistry.File, st)
	case "add-log":
		file, err = orDefault(f.AddLog.File, st)
	case "add-witness":
		file, err = orDefault(f.AddWitness.File, st)
	case "show":
		file, err = orDefault(f.Show.File, st)
	case "check":
		file = f.Check.File
	}
	if err != nil {
		return err
	}
	switch cmd {
	case "init":
		if _, err := os.Lstat(file); err == nil && !f.Init.Force {
			return exit.New(exit.Usage, "already exists").At(file).
				WithHint("edit it with ct policy add-signer or add-registry, or replace it with --force")
		}
		o := policyedit.Options{Registries: f.Init.Registry, Suites: f.Init.Suite}
		if t := f.Init.Threshold; t != nil {
			if *t < 1 || *t > policy.MaxThreshold {
				return exit.New(exit.Usage, "--threshold %d is out of range (1 to %d)", *t, policy.MaxThreshold).
					WithHint("give how many distinct signers must sign, e.g. --threshold 2")
			}
			o.Threshold = *t
		}
		given := len(f.Init.Signer)+len(f.Init.Registry)+len(f.Init.Suite) > 0 || f.Init.Threshold != nil
		if !given && term.IsTerminal(int(os.Stdin.Fd())) {
			in, out := tty()
			var err error
			if o, err = policyedit.Ask(in, out, st); err != nil {
				return err
			}
		} else {
			for _, s := range f.Init.Signer {
				sg, err := policyedit.ResolveSigner(s, st)
				if err != nil {
					return err
				}
				o.Signers = append(o.Signers, sg.Pattern)
			}
		}
		p, err := policyedit.New(o, file)
		if err != nil {
			return err
		}
		if err := policyedit.Write(file, p, f.Init.Force); err != nil {
			return err
		}
		status(f, "wrote %s", file)
		warn(f, p, st)
		return nil
	case "add-signer":
		p, _, err := policyedit.Read(file)
		if err != nil {
			return err
		}
		sg, err := policyedit.ResolveSigner(f.AddSigner.Key, st)
		if err != nil {
			return err
		}
		return edit(f, file, p, policyedit.AddSigner(p, sg.Pattern), "signers.allowed", sg.Pattern, st)
	case "add-registry":
		p, _, err := policyedit.Read(file)
		if err != nil {
			return err
		}
		return edit(f, file, p, policyedit.AddRegistry(p, f.AddRegistry.Pattern), "registries.allowed", f.AddRegistry.Pattern, st)
	case "add-log":
		// the arguments first: a usage error says so before any file does
		origin, vkey, err := policyedit.LogArgs(f.AddLog.Args)
		if err != nil {
			return err
		}
		p, _, err := policyedit.Read(file)
		if err != nil {
			return err
		}
		added, err := policyedit.AddLog(p, origin, vkey)
		if err != nil {
			return err
		}
		if err := editCount(f, file, p, added, "transparency.logs", origin, "logs_required", &p.Transparency.LogsRequired, f.AddLog.Require, st); err != nil {
			return err
		}
		notRequired(f, p)
		return nil
	case "add-witness":
		// the key first, as add-log: its error says so before any policy's does
		vkey, err := tlog.VKeyArg(f.AddWitness.Key, "witness")
		if err != nil {
			return err
		}
		p, _, err := policyedit.Read(file)
		if err != nil {
			return err
		}
		added := policyedit.AddWitness(p, vkey)
		if err := editCount(f, file, p, added, "transparency.witnesses", vkey, "witness_quorum", &p.Transparency.WitnessQuorum, f.AddWitness.Quorum, st); err != nil {
			return err
		}
		notRequired(f, p)
		return nil
	case "show":
		p, canonical, err := policyedit.Read(file)
		if err != nil {
			return err
		}
		s := policyedit.Describe(p, canonical, policyedit.LoadTrust(st))
		if cli.JSON(f.Show.JSON) {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			return e.Encode(s)
		}
		_, err = io.WriteString(os.Stdout, s.Text())
		warn(f, p, st)
		return err
	case "check":
		p, err := policy.Load(file)
		if err != nil {
			return err
		}
		status(f, "%s: valid policy (version %d)", f.Check.File, policy.Version)
		if _, canonical, err := policyedit.Read(f.Check.File); err == nil && !canonical {
			status(f, "note: %s is not in canonical form; ct policy add-signer or add-registry would rewrite it", f.Check.File)
		}
		warn(f, p, st)
		return nil
	}
	return exit.New(exit.Internal, "unhandled command %q", cmd)
}

// edit writes p to file when the edit changed it.
func edit(f *flags, file string, p *policy.Policy, changed bool, rule, pattern string, st *keys.Store) error {
	if !changed {
		status(f, "%s already has %s in %s; nothing changed", file, pattern, rule)
		return nil
	}
	if err := policyedit.Update(file, p); err != nil {
		return err
	}
	status(f, "added %s to %s in %s", pattern, rule, file)
	warn(f, p, st)
	return nil
}

// editCount is edit for add-log and add-witness, which may also set a
// count (--require, --quorum): when the log or witness was already there
// and only the count changes, the status line says that, not "added".
func editCount(f *flags, file string, p *policy.Policy, added bool, rule, pattern, field string, count *int, set *int, st *keys.Store) error {
	if set == nil || *set == *count {
		return edit(f, file, p, added, rule, pattern, st)
	}
	old := *count
	*count = *set
	if added {
		if err := edit(f, file, p, true, rule, pattern, st); err != nil {
			return err
		}
		status(f, "set transparency.%s to %d (was %d)", field, *set, old)
		return nil
	}
	if err := policyedit.Update(file, p); err != nil {
		return err
	}
	status(f, "%s already has %s in %s; set transparency.%s to %d (was %d)", file, pattern, rule, field, *set, old)
	warn(f, p, st)
	return nil
}

// notRequired says, after add-log or add-witness, what a newcomer would not
// guess: a transparency section whose logs_required or witness_quorum is 0
// trusts what it lists but requires nothing of it (policy.md §4.6).
func notRequired(f *flags, p *policy.Policy) {
	t := p.Transparency
	if f.Quiet || t == nil {
		return
	}
	switch {
	case t.LogsRequired == 0 && len(t.Logs) > 0:
		status(f, "note: transparency.logs_required is 0: proofs are checked but not required; to require them: ct policy add-log LOG.vkey --require 1")
	case t.WitnessQuorum == 0 && len(t.Witnesses) > 0:
		status(f, "note: transparency.witness_quorum is 0: cosignatures are checked but not required; to require them: ct policy add-witness WITNESS.vkey --quorum N")
	}
}

// tty returns the terminal for questions (docs/cli.md: prompts go through
// /dev/tty), or stdin and stderr when it cannot be opened.
func tty() (io.Reader, io.Writer) {
	if t, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		return t, t
	}
	return os.Stdin, os.Stderr
}

func status(f *flags, format string, args ...any) {
	if !f.Quiet {
		fmt.Fprintf(os.Stderr, "ct-policy: %s\n", termsafe.Escape(fmt.Sprintf(format, args...)))
	}
}

// warn prints a warning for every rule that names a key the store does not
// trust: on this machine such a rule counts no signature.
func warn(f *flags, p *policy.Policy, st *keys.Store) {
	if f.Quiet {
		return
	}
	for _, w := range policyedit.LoadTrust(st).Warnings(p) {
		fmt.Fprintf(os.Stderr, "ct-policy: warning: %s: %s\n", termsafe.Escape(p.Name), termsafe.Escape(w.Msg))
		fmt.Fprintf(os.Stderr, "ct-policy: hint: %s\n", w.Hint)
	}
}
