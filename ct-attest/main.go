// Command ct-attest adds an attestation (an in-toto statement, signed in a
// DSSE envelope with -k, else pending until the next ct sign) to a bundle.
package main

import (
	"encoding/json"
	"fmt"
	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/human"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/attesting"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-attest",
	Summary: "Add an attestation (SBOM, provenance, scan) to a bundle",
	Detail: `Reads a bundle from BUNDLE or standard input, checks it fully while streaming it, and writes it
again with one more attestation: an in-toto Statement v1 about the bundle's image (subject: the
image digest) whose predicate is the JSON object in --predicate FILE and whose predicate type is
--type URI. It is stored as an OCI 1.1 artifact of the image inside the bundle and listed in
manifest.toml (docs/spec/attestations.md).

With -k, --sign-key KEY the statement is signed now, in a DSSE envelope (every suite; a
CT-SIG-01 envelope verifies with any DSSE verifier given the PEM public key). KEY is as for
ct sign: a private key file, or a key id or fingerprint in the key store; the passphrase comes
from --passphrase-file, CT_PASSPHRASE or the terminal. Use it when the attesting party has a
key of its own (a CI system, a scanner).

Without -k the attestation is pending: the statement is stored unsigned, and the next ct sign
signs it with the key that signs the bundle (one key for the bundle and every attestation in
it), when asked with --sign-pending: ct sign signs unasked only ct pack's provenance and
ct-sbom's SBOM, the claims it can recognise (attestations.md §9.5). A pending attestation
never counts for require_attestations, and a signed bundle that still lists one is malformed
(attestations.md §9).

Attest before signing: the new manifest.toml invalidates every bundle signature, so a signed
bundle is refused (exit 64) unless --drop-signatures, which drops them and says so; then sign
again. A signed bundle file is refused before anything else is read of it; a piped one at its
end. Known predicate types are checked for structure before they are stored:
https://slsa.dev/provenance/v1 and https://spdx.dev/Document (SPDX 2.3).

The bundle goes to -o FILE (atomically; may be BUNDLE itself) or standard output (refused, exit
64, when it is the input file itself: >> BUNDLE); the status line goes to standard error. --json prints a ct.attest/1 document: on standard output with -o,
else on standard error.

Examples:
  ct-pack docker.io/library/nginx:1.26 | ct-attest --predicate scan.json --type https://example.com/scan/v1 | ct-sign -k release --sign-pending > nginx.ctp
  ct-pack docker.io/library/nginx:1.26 | ct-attest --predicate scan.json --type https://example.com/scan/v1 -k ci | ct-sign -k release > nginx.ctp
  ct attest --predicate sbom.spdx.json --type https://spdx.dev/Document -k ci nginx.ctp -o nginx.ctp`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle         string `arg:"" optional:"" name:"BUNDLE" default:"-" help:"The bundle to attest; - or nothing for standard input."`
	Predicate      string `required:"" placeholder:"FILE" help:"The predicate: a file holding one JSON object."`
	Type           string `required:"" placeholder:"URI" help:"The predicate type, e.g. https://slsa.dev/provenance/v1 or https://spdx.dev/Document."`
	SignKey        string `short:"k" name:"sign-key" placeholder:"KEY" help:"Sign the attestation now with KEY (a key id or fingerprint in the key store, or a private key file's path); without -k it is pending until the next ct sign."`
	Output         string `short:"o" placeholder:"FILE" help:"Write the bundle to FILE (atomically; may be BUNDLE itself) instead of standard output."`
	DropSignatures bool   `name:"drop-signatures" help:"Attest a signed bundle by dropping its signatures (they would no longer verify); sign it again afterwards."`
	PassphraseFile string `placeholder:"FILE" help:"Read the key's passphrase from FILE."`
	Quiet          bool   `short:"q" help:"No progress bar and no summary line."`
	JSON           bool   `name:"json" help:"Print a ct.attest/1 JSON report (to stdout with -o, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error { return cli.Escaped(run(&f)) })
}

func run(f *flags) error {
	f.JSON = cli.JSON(f.JSON)
	ctx, stop := cli.Context()
	defer stop()
	key, err := attesting.LoadKey(ctx, f.SignKey, f.PassphraseFile) // nil: a pending attestation (attestations.md §9)
	if err != nil {
		return err
	}
	res, err := attesting.Run(ctx, attesting.Request{Input: f.Bundle, Output: f.Output, Stdin: os.Stdin, Stdout: os.Stdout,
		Key: key, PredicateFile: f.Predicate, PredicateType: f.Type, DropSignatures: f.DropSignatures, Quiet: f.Quiet})
	if err != nil {
		return err
	}
	if len(res.Dropped) > 0 {
		fmt.Fprintf(os.Stderr, "ct-attest: warning: dropped %s that no longer verify (by %s)%s; sign the bundle again\n",
			human.Count(len(res.Dropped), "signature"), termsafe.Escape(strings.Join(res.Dropped, ", ")), attest.ProofsNote(res.DroppedProofs))
	}
	m := res.Manifest
	w := os.Stderr
	if f.JSON {
		w = outfile.ReportStream(f.Output)
		bundle := f.Output
		if bundle == "" {
			bundle = "-"
		}
		if res.Dropped == nil {
			res.Dropped = []string{}
		}
		d := doc{Schema: "ct.attest/1", Bundle: bundle, Name: m.Package.Name, Version: m.Package.Version,
			ImageDigest: m.Image.Digest, Attestation: res.AttestationDigest, PredicateType: f.Type,
			Pending: res.Pending, DroppedSignatures: res.Dropped, DroppedProofs: res.DroppedProofs}
		if key != nil {
			r := keys.RefOf(key.Public())
			d.Key = &r
		}
		return json.NewEncoder(w).Encode(d)
	}
	if !f.Quiet && key == nil {
		next := "the next ct sign signs it with its key"
		if res.Review == nil || res.Review.Unchecked {
			next = "ct sign --sign-pending signs it with its key"
		}
		fmt.Fprintf(w, "ct-attest: added pending attestation %s\n", termsafe.Escapef("%s to %s %s (%s), attestation %s; %s",
			f.Type, m.Package.Name, m.Package.Version, res.Output, res.AttestationDigest, next))
	} else if !f.Quiet {
		fmt.Fprintf(w, "ct-attest: attested %s\n", termsafe.Escapef("%s %s (%s): %s by %s (%s, %s), attestation %s", m.Package.Name, m.Package.Version,
			res.Output, f.Type, key.ID(), key.Suite(), key.Fingerprint().Display(), res.AttestationDigest))
	}
	return nil
}

// doc is the ct.attest/1 document (docs/json/attest.schema.json).
type doc struct {
	Schema            string       `json:"schema"`
	Bundle            string       `json:"bundle"`
	Name              string       `json:"name"`
	Version           string       `json:"version"`
	ImageDigest       string       `json:"imageDigest"`
	Attestation       string       `json:"attestation"`
	PredicateType     string       `json:"predicateType"`
	Pending           bool         `json:"pending,omitempty"` // no -k: signed by the next ct sign
	Key               *keys.KeyRef `json:"key,omitempty"`     // absent when pending
	DroppedSignatures []string     `json:"droppedSignatures"`
	DroppedProofs     []string     `json:"droppedProofs,omitempty"` // transparency proofs dropped with them
}
