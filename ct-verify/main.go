// Command ct-verify checks bundles (and export archives) offline: content, signatures, trust and
// policy, with exit codes scripts can rely on.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/progress/meter"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

var command = cli.Command{
	Name:    "ct-verify",
	Summary: "Verify bundles offline: content, signatures, trust, policy",
	Detail: `Reads each bundle once (a file, or - for standard input), checks every entry and blob against
manifest.toml, every signature with the key it carries, trust by fingerprint (the key store's keys
plus every --key file), and the policy (--policy, or the one named in config.toml). Every check
runs; when several fail, the order 10 and 11, 1, 2, 3, 4, 5 decides the exit code. No network is
used.

With several bundles, each is verified and gets one line (OK … or FAILED BUNDLE: VERDICT (exit N)),
and the exit code is the worst by that same order (among equals, the first bundle given). --json
prints one report per bundle, one JSON object a line, also for a bundle that cannot be read.

An export archive (ct export, plain or zstd) is verified bundle by bundle, offline, installing
nothing: its blobs are unpacked into a private folder under $TMPDIR, removed afterwards (exit 11
before a blob is written when its index declares more than $TMPDIR has free). Keys and a
policy carried in the archive are not trusted. A file that is not a bundle but something another
command reads (a docker save tar, an OCI archive) is named, with the command that reads it, and
exits 10.

A bundle file is read in two passes: the structure, manifests and signatures first, then the blobs,
hashed in parallel. Standard input redirected from a file (< FILE) is read like a named file: blobs
hashed in parallel, no progress shown. Standard input from a pipe (or a file already partly read)
is read in one pass, a SHA-256 at a time; on a terminal, stderr shows how much was read (not with
-q).

Examples:
  ct verify nginx.ctp
  ct verify nginx.ctp redis.ctp --key release.pub --policy strict.json
  ct verify mirror.tar.zst --key release.pub
  curl -s https://mirror/nginx.ctp | ct verify - --key release.pub && echo ok
  ct verify nginx.ctp --json | jq .checks`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundles []string `arg:"" name:"BUNDLE" help:"The bundles (or export archives) to verify; - for standard input."`
	Key     []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable); works without a key store."`
	Policy  string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore bool     `help:"Trust only --key files, not the key store."`
	JSON    bool     `name:"json" help:"Print one ct.verify/1 JSON report per bundle on stdout, one a line (docs/json/verify.schema.json)."`
	Quiet   bool     `short:"q" help:"Print nothing on success."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
		opts, err := verify.Setup{KeyFiles: f.Key, PolicyFile: f.Policy, NoStore: f.NoStore}.Load()
		if err != nil {
			return cli.Escaped(err) // may quote a key or policy file
		}
		color := cli.UseColor(os.Stdout)
		var reps []*verify.Report
		out := json.NewEncoder(os.Stdout)
		for _, b := range f.Bundles {
			var bar *meter.Meter
			po := verify.PathOptions{Stream: func(r io.Reader) io.Reader {
				bar = meter.New("ct-verify: reading "+termsafe.Escape(b), f.Quiet)
				return bar.Reader(r)
			}}
			got := archive.VerifyPath(b, opts, po, "") // a bundle, or each bundle of an archive
			bar.Finish()
			if len(got) == 0 && !f.Quiet {
				fmt.Fprintf(os.Stderr, "ct-verify: note: %s holds no bundle (a delta with nothing new)\n", termsafe.Escape(b))
			}
			for _, rep := range got {
				report(rep, &f, out, color, len(f.Bundles) > 1 || len(got) > 1 || rep.Archive != "")
			}
			reps = append(reps, got...)
		}
		if w := verify.Worst(reps); w >= 0 {
			os.Exit(reps[w].Code)
		}
		return nil
	})
}

// report prints one bundle's outcome: its JSON line, its errors on stderr,
// and its line on stdout (FAILED lines only when several bundles are shown).
func report(rep *verify.Report, f *flags, out *json.Encoder, color, several bool) {
	if f.JSON {
		out.Encode(rep) // one report a line, whatever the outcome
	}
	name := rep.Bundle
	if rep.Archive != "" && rep.Archive != rep.Bundle {
		name = rep.Archive + ": " + rep.Bundle
	}
	if err := rep.Err(); err != nil {
		// The deciding failure first, then every other one: all checks
		// ran. Both may quote the bundle: escaped.
		if rep.Archive != "" && rep.Archive != rep.Bundle {
			fmt.Fprintf(os.Stderr, "ct-verify: in archive %s:\n", termsafe.Escape(rep.Archive))
		}
		cli.PrintError(os.Stderr, command.Name, cli.Escaped(err))
		for _, o := range rep.Others() {
			fmt.Fprintf(os.Stderr, "ct-verify: also: %s\n", termsafe.EscapeControls(o.Error()))
		}
		if !f.JSON && several {
			fmt.Printf("%s %s: %s (exit %d)\n", cli.Paint(color, "red", "FAILED"), termsafe.Escape(name), rep.Verdict, rep.Code)
		}
		return
	}
	if !f.JSON && !f.Quiet {
		fmt.Printf("%s %s %s %s signed by %s\n", cli.Paint(color, "green", "OK"),
			termsafe.Escape(rep.Package), termsafe.Escape(rep.Version), termsafe.Escape(rep.ImageDigest), termsafe.Escape(signers(rep)))
	}
}

// signers names the trusted signers by the verifier's names for their keys,
// never by the key_id labels of the signature entries.
func signers(rep *verify.Report) string {
	var s []string
	for _, g := range rep.Signatures {
		if g.Trusted {
			s = append(s, g.String()+logged(g))
		}
	}
	return strings.Join(s, ", ")
}

// logged says in which trusted logs a signature is witnessed (log.md §5):
// ` [logged: "log-a.example" (3 witnesses)]`; origins come from the
// bundle and are escaped with the rest of the line.
func logged(g verify.Signer) string {
	var l []string
	for _, p := range g.Logs {
		if p.Status == verify.ProofWitnessed || p.Status == verify.ProofUnderQuorum {
			l = append(l, fmt.Sprintf("%q (%d witnesses)", p.Origin, len(p.Witnesses)))
		}
	}
	if len(l) == 0 {
		return ""
	}
	return " [logged: " + strings.Join(l, ", ") + "]"
}
