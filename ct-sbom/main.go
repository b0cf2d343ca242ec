// Command ct-sbom writes the SPDX 2.3 SBOM of a bundle's image.
package main

import (
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"os"

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
	Summary: "Write the SPDX 2.3 SBOM of a bundle's image",
	Detail: `Reads a bundle from BUNDLE or standard input, checks every blob against its manifest.toml,
catalogues the image with syft's catalogers (dpkg, apk, rpm, Go binaries, Python, npm, Java, …)
and writes an SPDX 2.3 JSON document (in-toto predicate type https://spdx.dev/Document) to
-o FILE or standard output; nothing is written when a blob does not match (exit 1). A bundle
file is read in place, its digests checked alongside; a bundle on standard input is first
written into a private temporary folder (under TMPDIR). syft's own temporary files go there too,
and the folder is removed when ct-sbom ends, also on failure or Ctrl-C. The layers'
uncompressed size is bounded by --max-unpacked.

The document is reproducible: the same bundle gives the same bytes. Its name is the bundle's
package NAME-VERSION, its documentNamespace is derived from the image digest
(https://cerro-torre.dev/spdx/NAME/VERSION/sha256-HEX), its created time is SOURCE_DATE_EPOCH
if set, else the image's created time, else 1970-01-01T00:00:00Z, and packages, files and
relationships are sorted by SPDX id. See docs/sbom.md.

A multi-platform bundle (ct pack --all-platforms) is refused: pack one platform.

Examples:
  ct sbom app.ctp -o app.spdx.json
  ct-pack docker.io/library/nginx:1.26 --no-sign | ct-sbom > nginx.spdx.json
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ct sbom app.ctp -o app.spdx.json`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle      string `arg:"" optional:"" name:"BUNDLE" default:"-" help:"The bundle; - or nothing for standard input."`
	Output      string `short:"o" placeholder:"FILE" help:"Write the SPDX document to FILE (atomically) instead of standard output."`
	MaxUnpacked int64  `name:"max-unpacked" placeholder:"BYTES" default:"34359738368" help:"Refuse an image whose layers unpack to more than BYTES (default 32 GiB)."`
	Quiet       bool   `short:"q" help:"No summary line."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error { return cli.Escaped(run(&f)) })
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
			WithHint("name a bundle (ct sbom x.ctp -o x.spdx.json) or pipe one in (ct-pack IMG --no-sign | ct-sbom > x.spdx.json)")
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
	if !f.Quiet {
		m := res.Manifest
		fmt.Fprintf(os.Stderr, "ct-sbom: wrote the SPDX SBOM of %s %s (%s) to %s: %s\n",
			termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version), m.Image.Digest,
			termsafe.Escape(where), human.Count(res.Packages, "package"))
	}
	return nil
}
