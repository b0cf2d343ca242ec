// Command ct-sbom adds the SPDX 2.3 SBOM of a bundle's image to the bundle
// as an attestation (pending until ct sign, or signed with -k), or with
// --spdx writes the document alone.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/attesting"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/keys"

	"github.com/cerro-torre/ct/ct-sbom/internal/sbom"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/pack"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-sbom",
	Summary: "Add the SPDX 2.3 SBOM of a bundle's image to the bundle as an attestation",
	Detail: `A pipeline stage: reads a bundle from BUNDLE or standard input, checks every blob against its
manifest.toml, catalogues the image with syft's catalogers (dpkg, apk, rpm, Go binaries, Python,
npm, Java, …), and writes the same bundle with the SBOM added as an attestation (an SPDX 2.3 JSON
document, in-toto predicate type https://spdx.dev/Document; docs/spec/attestations.md) to -o FILE
(atomically; may be BUNDLE itself) or standard output, never to a terminal. Nothing is written when
a blob does not match (exit 1).

Without -k the SBOM attestation is pending: the next ct sign signs it with the key that signs the
bundle, so one key signs the bundle and every attestation in it:
  ct-pack IMG | ct-sbom | ct-sign -k KEY > x.ctp
With -k, --sign-key KEY (as for ct sign) it is signed now. Attest before signing: a signed bundle
is refused (exit 64) unless --drop-signatures, which drops its signatures and says so, as ct
attest does; then sign it again.

--spdx writes the SPDX document alone instead of a bundle (to -o FILE or standard output).

A bundle file, or standard input redirected from one (- < FILE), is read in place, its digests
checked alongside; a bundle piped in is first copied into a private temporary file (under TMPDIR), checked as it is copied; one
whose manifest.toml declares more than TMPDIR has free is refused (exit 11) before it is copied:
set TMPDIR elsewhere, or name the file. syft's own temporary files go into a private
folder there too, removed when ct-sbom ends, also on failure or Ctrl-C. The layers' uncompressed
size is bounded by --max-unpacked.

The document is reproducible: the same bundle gives the same bytes. Its name is the bundle's
package NAME-VERSION, its documentNamespace is derived from the image digest
(https://cerro-torre.dev/spdx/NAME/VERSION/sha256-HEX), its created time is SOURCE_DATE_EPOCH
if set, else the image's created time, else 1970-01-01T00:00:00Z, and packages, files and
relationships are sorted by SPDX id. See docs/sbom.md.

A multi-platform bundle (ct pack --all-platforms) is refused: pack one platform.

--json prints a ct.sbom/1 report instead of the summary line (docs/json/README.md): what was
written and where, the package count, the documentNamespace, and for a bundle the attestation's
digest and whether it is pending or signed by which key. It goes to standard output with -o FILE,
else to standard error (standard output then carries the bundle or the document).

Examples:
  ct-pack docker.io/library/nginx:1.26 | ct-sbom | ct-sign -k release > nginx.ctp
  ct sbom app.ctp -o app.ctp                       (pending until ct sign)
  ct sbom -k ci app.ctp -o app.ctp                  (signed by ci now)
  ct sbom --spdx app.ctp -o app.spdx.json
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ct sbom --spdx app.ctp -o app.spdx.json`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle         string `arg:"" optional:"" name:"BUNDLE" default:"-" help:"The bundle; - or nothing for standard input."`
	Output         string `short:"o" placeholder:"FILE" help:"Write the bundle (or with --spdx the SPDX document) to FILE (atomically; may be BUNDLE itself) instead of standard output."`
	SPDX           bool   `name:"spdx" help:"Write the SPDX document alone instead of the bundle with the SBOM attestation."`
	SignKey        string `short:"k" name:"sign-key" placeholder:"KEY" help:"Sign the SBOM attestation now with KEY (a key id or fingerprint in the key store, or a private key file's path); without -k it is pending until the next ct sign."`
	PassphraseFile string `placeholder:"FILE" help:"Read the key's passphrase from FILE."`
	DropSignatures bool   `name:"drop-signatures" help:"Attest a signed bundle by dropping its signatures (they would no longer verify); sign it again afterwards."`
	MaxUnpacked    int64  `name:"max-unpacked" placeholder:"BYTES" default:"34359738368" help:"Refuse an image whose layers unpack to more than BYTES (default 32 GiB)."`
	Quiet          bool   `short:"q" help:"No progress bar and no summary line."`
	JSON           bool   `name:"json" help:"Print a ct.sbom/1 JSON report (to stdout with -o, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		return cli.Escaped(run(&f))
	})
}

func run(f *flags) error {
	epoch, err := pack.SourceDateEpoch()
	if err != nil {
		return err
	}
	if f.MaxUnpacked <= 0 {
		return exit.New(exit.Usage, "--max-unpacked %d is not a positive number of bytes", f.MaxUnpacked)
	}
	ctx, stop := cli.Context()
	defer stop()
	if f.SPDX {
		if f.SignKey != "" || f.DropSignatures || f.PassphraseFile != "" {
			return exit.New(exit.Usage, "--spdx writes the SPDX document alone: -k, --passphrase-file and --drop-signatures are for the bundle").
				WithHint("leave them out, or drop --spdx to add the SBOM to the bundle")
		}
		return document(ctx, f, epoch)
	}
	key, err := attesting.LoadKey(ctx, f.SignKey, f.PassphraseFile) // nil: a pending attestation (attestations.md §9)
	if err != nil {
		return err
	}
	var made *sbom.Result
	res, err := attesting.Run(ctx, attesting.Request{Input: f.Bundle, Output: f.Output, Stdin: os.Stdin, Stdout: os.Stdout,
		Key: key, PredicateType: sbom.PredicateType, DropSignatures: f.DropSignatures, Quiet: f.Quiet, Command: "ct sbom",
		Make: func(ctx context.Context, bundle *io.SectionReader) ([]byte, error) {
			name := f.Bundle
			if name == "" {
				name = "-"
			}
			var err error
			made, err = sbom.Generate(ctx, sbom.Request{Bundle: bundle, Name: name, Epoch: epoch,
				MaxUnpacked: f.MaxUnpacked, Version: cli.Version})
			if err != nil {
				return nil, err
			}
			return made.Document, nil
		}})
	if err != nil {
		return err
	}
	if len(res.Dropped) > 0 {
		fmt.Fprintf(os.Stderr, "ct-sbom: warning: dropped %s that no longer verify (by %s)%s; sign the bundle again\n",
			human.Count(len(res.Dropped), "signature"), termsafe.Escape(strings.Join(res.Dropped, ", ")), attest.ProofsNote(res.DroppedProofs))
	}
	if f.JSON {
		r := newReport(f, "bundle", made)
		r.Attestation = res.AttestationDigest
		r.Pending = res.Pending
		if key != nil {
			k := keys.RefOf(key.Public())
			r.Key = &k
		}
		if res.Dropped != nil {
			r.DroppedSignatures = res.Dropped
		}
		r.DroppedProofs = res.DroppedProofs
		return printReport(f, r)
	}
	if !f.Quiet {
		m := res.Manifest
		how := "pending: the next ct sign signs it with its key"
		if key != nil {
			how = fmt.Sprintf("signed by %s (%s, %s)", key.ID(), key.Suite(), key.Fingerprint().Display())
		}
		fmt.Fprintf(os.Stderr, "ct-sbom: attested the SPDX SBOM of %s\n", termsafe.Escapef("%s %s (%s, %s) to %s: attestation %s, %s",
			m.Package.Name, m.Package.Version, m.Image.Digest, human.Count(made.Packages, "package"), res.Output, res.AttestationDigest, how))
	}
	return nil
}

// document writes the SPDX document alone (--spdx).
func document(ctx context.Context, f *flags, epoch time.Time) error {
	in, name := os.Stdin, "-"
	if f.Bundle != "-" {
		file, err := os.Open(f.Bundle)
		if err != nil {
			return outfile.IOError(f.Bundle, err, "cannot open the bundle")
		}
		defer file.Close()
		in, name = file, f.Bundle
	} else if progress.IsTerminal(os.Stdin) {
		return exit.New(exit.Usage, "no bundle given and standard input is a terminal").
			WithHint("name a bundle (ct sbom --spdx x.ctp -o x.spdx.json) or pipe one in (ct-pack IMG | ct-sbom --spdx > x.spdx.json)")
	}
	res, err := sbom.Generate(ctx, sbom.Request{Bundle: in, Name: name, Epoch: epoch,
		MaxUnpacked: f.MaxUnpacked, Version: cli.Version})
	if err != nil {
		return err
	}
	where := "standard output"
	if f.Output != "" && f.Output != "-" {
		out, err := outfile.Create(f.Output)
		if err != nil {
			return err
		}
		defer out.Abort()
		if _, err := out.Write(res.Document); err != nil {
			return outfile.IOError(f.Output, err, "cannot write the SBOM")
		}
		if err := out.Commit(); err != nil {
			return err
		}
		where = f.Output
	} else if _, err := os.Stdout.Write(res.Document); err != nil {
		return exit.Wrap(exit.IO, err, "writing the SBOM to standard output")
	}
	if f.JSON {
		return printReport(f, newReport(f, "spdx", res))
	}
	if !f.Quiet {
		m := res.Manifest
		fmt.Fprintf(os.Stderr, "ct-sbom: wrote the SPDX SBOM of %s %s (%s) to %s: %s\n",
			termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version), m.Image.Digest,
			termsafe.Escape(where), human.Count(res.Packages, "package"))
	}
	return nil
}

// report is the ct.sbom/1 document (docs/json/sbom.schema.json).
type report struct {
	Schema            string `json:"schema"`
	Wrote             string `json:"wrote"`  // "bundle" or "spdx" (--spdx)
	Output            string `json:"output"` // the path written, or "-"
	Name              string `json:"name"`
	Version           string `json:"version"`
	ImageDigest       string `json:"imageDigest"`
	PredicateType     string `json:"predicateType"`
	DocumentNamespace string `json:"documentNamespace"`
	Packages          int    `json:"packages"`
	// Attestation, Pending and Key: only for a bundle.
	Attestation       string       `json:"attestation,omitempty"`
	Pending           bool         `json:"pending,omitempty"`
	Key               *keys.KeyRef `json:"key,omitempty"`
	DroppedSignatures []string     `json:"droppedSignatures"`
	DroppedProofs     []string     `json:"droppedProofs,omitempty"` // transparency proofs dropped with them
}

func newReport(f *flags, wrote string, made *sbom.Result) report {
	out := f.Output
	if out == "" {
		out = "-"
	}
	m := made.Manifest
	return report{Schema: "ct.sbom/1", Wrote: wrote, Output: out, Name: m.Package.Name, Version: m.Package.Version,
		ImageDigest: m.Image.Digest, PredicateType: sbom.PredicateType,
		DocumentNamespace: attest.SBOMNamespace(m), // as Reproducible set it
		Packages:          made.Packages, DroppedSignatures: []string{}}
}

// printReport writes r to stdout when the data went to a file, else to
// stderr (docs/cli.md "Streams").
func printReport(f *flags, r report) error {
	return json.NewEncoder(outfile.ReportStream(f.Output)).Encode(r)
}
