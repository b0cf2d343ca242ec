// Command ct-sign adds a signature to a bundle.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/logclient"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/signing"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-sign",
	Summary: "Sign a bundle (co-sign, or re-sign with the same key)",
	Detail: `Reads a bundle from BUNDLE or standard input, checks every entry and blob against its
manifest.toml while streaming it, and writes it again with one more signature entry. Signing with
a key that already signed replaces that signature; another key adds one (co-signing). Nothing else
in the bundle changes, and the order in which keys sign does not change the bytes (except for
pending attestations, below, which the first signer signs).

Pending attestations (unsigned statements that ct pack, ct sbom and ct attest add when they have no
key; docs/spec/attestations.md §9) are signed first: the first ct sign replaces each by an
attestation signed with KEY, then signs the bundle, and says how many it signed (--json:
attestationsSigned). So ct-pack IMG | ct-sbom | ct-sign -k KEY gives a bundle whose signature,
provenance and SBOM are all KEY's. Such a bundle is read twice (a regular file is opened again,
standard input redirected from one (- < FILE) is read again in place; a pipe is copied to a
temporary file under TMPDIR as it is checked, refused
with exit 11 before it is copied when its manifest.toml declares more than TMPDIR has free),
and a pending attestation that does not hold (a statement about another image, provenance that does not describe the
bundle) is not signed (exit 10). ct sign lists each one it signs. Without --sign-pending it signs only those it knows
a ct stage to write: ct pack's provenance (checked against manifest.toml) and ct-sbom's SBOM of
the image; any other pending statement (another builder's provenance, another tool's SBOM, any
other predicate type) is a claim ct cannot check, and the bundle is not signed (exit 64) until
you look at it (ct explain --attestations) and vouch for it with --sign-pending.

-k, --sign-key KEY is a private key file when KEY has a '/' or names an existing file (./ci.key),
else a key id or fingerprint (16 or more hex digits) of an own key in the key store: $CT_HOME,
else $XDG_CONFIG_HOME/cerro, else ~/.config/cerro (ct key list shows your signing keys). Without
-k the store's default key signs (ct key default NAME). A public key (a .pub file, or a key the
store only trusts) cannot sign: that is exit 64. ct sign never creates the key store.

An encrypted key's passphrase comes from --passphrase-file FILE, then CT_PASSPHRASE, then the
terminal (never standard input, which carries the bundle); an unencrypted key asks for none.

The signed bundle goes to -o FILE (atomically; may be BUNDLE itself) or standard output;
standard output that is the input file itself (ct sign - < x.ctp >> x.ctp) is refused (exit 64)
before a byte is written. The status line and progress go to standard error. --json prints a ct.sign/1 document: on standard output with -o, else on
standard error.

Transparency logs: --log URL (repeatable) records the new signature in each log and adds the
proofs (docs/spec/log.md) before the output is written, once: the flags --log-key, --witness,
--quorum, --policy and --timeout are those of ct log submit, which says what they mean. A log that
is down or too slow is exit 12, a proof that does not verify exit 7; nothing is written then.

Examples:
  ct-pack docker.io/library/nginx:1.26 | ct-sign -k release > nginx.ctp
  ct-pack docker.io/library/nginx:1.26 | ct-sbom | ct-sign -k release > nginx.ctp
  ct sign -k 7f3a:91c2:0b4e:55d1 nginx.ctp -o nginx.ctp      # co-sign in place
  ct sign --sign-key ./ci.key --passphrase-file /run/secrets/ci-pass app.ctp -o app.signed.ctp
  ct sign -k release app.ctp -o app.ctp --log https://log.example/ct --log-key "$(cat log.vkey)"`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.LogProofInvalid, exit.Malformed, exit.IO, exit.Network, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle         string `arg:"" optional:"" name:"BUNDLE" default:"-" help:"The bundle to sign; - or nothing for standard input."`
	SignKey        string `short:"k" name:"sign-key" placeholder:"KEY" help:"Signing key: a key id or fingerprint in the key store, or a private key file's path (default: the store's default key)."`
	Output         string `short:"o" placeholder:"FILE" help:"Write the signed bundle to FILE (atomically; may be BUNDLE itself) instead of standard output."`
	PassphraseFile string `placeholder:"FILE" help:"Read the key's passphrase from FILE."`
	SignPending    bool   `name:"sign-pending" help:"Also sign pending attestations ct cannot check (another builder's provenance, another tool's SBOM, any other predicate type): you vouch for them."`
	Quiet          bool   `short:"q" help:"No progress bar and no summary line."`
	JSON           bool   `name:"json" help:"Print a ct.sign/1 JSON report (to stdout with -o, else to stderr)."`
	// --log URL… submits the new signature to transparency logs before the
	// output is written (the flags of ct log submit).
	logclient.Flags
}

func main() {
	var f flags
	cli.Main(command, &f, func() error { return cli.Escaped(sign(&f)) })
}

// sign signs the bundle; its errors may quote the bundle and are escaped for
// the terminal by main.
func sign(f *flags) error {
	f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
	ctx, stop := cli.Context()
	defer stop()
	key, err := signing.LoadKey(f.SignKey, "", passphrase.Source{File: f.PassphraseFile, Context: ctx})
	if err != nil {
		return err
	}
	req := signing.Request{Input: f.Bundle, Output: f.Output,
		Stdin: os.Stdin, Stdout: os.Stdout, Key: key, Quiet: f.Quiet, SignPending: f.SignPending}
	var logged logclient.Result
	if len(f.Log) > 0 {
		opt, err := f.Flags.Options()
		if err != nil {
			return err
		}
		if !f.Quiet {
			opt.Status = func(line string) { fmt.Fprintln(os.Stderr, "ct-sign: "+line) }
		}
		req.Then = logclient.Then(ctx, opt, &logged)
	}
	res, err := signing.Run(ctx, req)
	if err != nil {
		return err
	}
	m, fp := res.Manifest, key.Fingerprint()
	w := os.Stderr
	if f.JSON {
		w = outfile.ReportStream(f.Output)
		bundle := f.Output
		if bundle == "" {
			bundle = "-"
		}
		return json.NewEncoder(w).Encode(doc{Schema: "ct.sign/1", Bundle: bundle, Name: m.Package.Name,
			Version: m.Package.Version, ImageDigest: m.Image.Digest, ManifestDigest: res.Entry.ManifestDigest.String(),
			Key: keys.RefOf(key.Public()), AttestationsSigned: res.Attested, PendingSigned: pendingSigned(res),
			LogProofs: logclient.SubmitDoc(bundle, &logged).Proofs})
	}
	if !f.Quiet {
		fmt.Fprintf(w, "ct-sign: signed %s\n", termsafe.Escapef("%s %s (%s) with %s (%s, %s)", m.Package.Name, m.Package.Version,
			res.Output, key.ID(), key.Suite(), fp.Display()))
		if res.Attested > 0 {
			fmt.Fprintf(w, "ct-sign: signed %s with the same key\n", human.Count(res.Attested, "pending attestation"))
		}
		for _, r := range res.Reviewed {
			fmt.Fprintf(w, "ct-sign:   %s\n", termsafe.Escapef("%s: %s", r.PredicateType, r.Summary))
		}
	}
	return nil
}

// doc is the ct.sign/1 document (docs/json/ct.sign.schema.json).
type doc struct {
	Schema         string      `json:"schema"`
	Bundle         string      `json:"bundle"` // the signed bundle's path, or "-"
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	ImageDigest    string      `json:"imageDigest"`
	ManifestDigest string      `json:"manifestDigest"`
	Key            keys.KeyRef `json:"key"`
	// AttestationsSigned counts the pending attestations signed with the
	// key (attestations.md §9.3).
	AttestationsSigned int `json:"attestationsSigned"`
	// PendingSigned lists them (attestations.md §9.5); never null.
	PendingSigned []pendingDoc `json:"pendingSigned"`
	// LogProofs are the transparency proofs of --log (as ct.log-submit/1's
	// proofs); present with --log only.
	LogProofs []logclient.ProofReport `json:"logProofs,omitempty"`
}

type pendingDoc struct {
	Digest        string `json:"digest"`
	PredicateType string `json:"predicateType"`
	Kind          string `json:"kind"`
	Claim         string `json:"claim"`
	AskedFor      bool   `json:"askedFor"`
}

// pendingSigned names each signed pending attestation by the signed
// attestation that replaced it (SignPending keeps the order of the review).
func pendingSigned(res *signing.Result) []pendingDoc {
	out := []pendingDoc{}
	for i, r := range res.Reviewed {
		d := r.Digest
		if i < len(res.Signed) {
			d = res.Signed[i].Digest
		}
		out = append(out, pendingDoc{Digest: d, PredicateType: r.PredicateType, Kind: r.Kind, Claim: r.Summary, AskedFor: r.Unchecked})
	}
	return out
}
