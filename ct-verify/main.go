// Command ct-verify checks a bundle offline: content, signatures, trust and
// policy, with exit codes scripts can rely on.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

var command = cli.Command{
	Name:    "ct-verify",
	Summary: "Verify a bundle offline: content, signatures, trust, policy",
	Detail: `Reads the bundle once (a file, or - for standard input), checks every entry and blob against
manifest.toml, every signature with the key it carries, trust by fingerprint (the key store's keys
plus every --key file), and the policy (--policy, or the one named in config.toml). Every check
runs; when several fail, the order 10, 1, 2, 3, 4, 5 decides the exit code. No network is used.

Examples:
  ct verify nginx.ctp
  ct verify nginx.ctp --key release.pub --policy strict.json
  curl -s https://mirror/nginx.ctp | ct-verify - --key release.pub && echo ok
  ct verify nginx.ctp --json | jq .checks`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle  string   `arg:"" name:"BUNDLE" help:"The bundle to verify; - for standard input."`
	Key     []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable); works without a key store."`
	Policy  string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore bool     `help:"Trust only --key files, not the key store."`
	JSON    bool     `name:"json" help:"Print the full report as JSON on stdout (schema: docs/spec/verify.md)."`
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
		var rep *verify.Report
		if f.Bundle == "-" {
			rep = verify.Verify(bufio.NewReaderSize(os.Stdin, 1<<20), "-", opts)
		} else {
			file, err := os.Open(f.Bundle)
			if err != nil {
				return cli.Escaped(exit.Wrap(exit.IO, err, "cannot open bundle").At(f.Bundle).WithHint("check the path"))
			}
			defer file.Close()
			if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
				rep = verify.VerifyFile(file, f.Bundle, opts) // blobs hashed in parallel
			} else { // a pipe or device: one pass, like stdin
				rep = verify.Verify(bufio.NewReaderSize(file, 1<<20), f.Bundle, opts)
			}
		}
		if f.JSON {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			e.Encode(rep)
		}
		if err := rep.Err(); err != nil {
			// The deciding failure first, then every other one: all checks
			// ran. Both may quote the bundle: escaped for the terminal.
			cli.PrintError(os.Stderr, command.Name, cli.Escaped(err))
			for _, o := range rep.Others() {
				fmt.Fprintf(os.Stderr, "ct-verify: also: %s\n", termsafe.EscapeControls(o.Error()))
			}
			os.Exit(int(exit.CodeOf(err)))
		}
		if !f.JSON && !f.Quiet {
			fmt.Printf("%s %s %s %s signed by %s\n", cli.Paint(cli.UseColor(os.Stdout), "green", "OK"),
				termsafe.Escape(rep.Package), termsafe.Escape(rep.Version), termsafe.Escape(rep.ImageDigest), termsafe.Escape(signers(rep)))
		}
		return nil
	})
}

// signers names the trusted signers by the verifier's names for their keys,
// never by the key_id labels of the signature entries.
func signers(rep *verify.Report) string {
	var s []string
	for _, g := range rep.Signatures {
		if g.Trusted {
			s = append(s, g.String())
		}
	}
	return strings.Join(s, ", ")
}
