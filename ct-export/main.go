// Command ct-export packs many bundles into one offline archive for an air
// gap: each blob stored once, a canonical index first, deterministic bytes.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-export",
	Summary: "Pack many bundles into one offline archive (blobs stored once)",
	Detail: `Writes one archive (docs/spec/archive.md) holding every BUNDLE and every bundle named in the
--manifest list: a canonical index (ct-archive.toml), each bundle's manifest.toml and signatures,
then each blob once, in digest order. The same bundles give the same bytes. Each input bundle's
structure is checked and each blob is hashed again while it is copied. ct import rebuilds the
bundles byte for byte, verifies them, and installs them.

--since OLD.tar writes a delta: bundles OLD.tar holds are left out, and blobs it holds are listed
but not stored. Import a delta into the destination that holds its base.

Examples:
  ct export web.ctp db.ctp -o offline.tar
  ct export --manifest packages.txt --include-keys --policy strict.json -o offline.tar
  ct export --manifest packages.txt --since offline.tar --compress zstd -o delta.tar.zst`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundles     []string `arg:"" optional:"" name:"BUNDLE" help:"Bundle files to export."`
	Manifest    string   `placeholder:"LIST" help:"A file naming one bundle path a line (# comments and blank lines ignored; relative paths are relative to LIST's folder)."`
	IncludeKeys bool     `help:"Carry the signers' public keys (and the --policy file) in the archive."`
	Policy      string   `placeholder:"FILE" help:"Carry this policy.json in the archive."`
	Since       string   `placeholder:"OLD" help:"Write a delta: only what the archive OLD lacks."`
	Compress    string   `enum:"none,zstd" default:"none" help:"Compress the whole archive: none or zstd."`
	Output      string   `short:"o" required:"" placeholder:"FILE" help:"Write the archive to FILE (atomically); - for standard output."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		inputs := append([]string(nil), f.Bundles...)
		if f.Manifest != "" {
			list, err := readList(f.Manifest)
			if err != nil {
				return err
			}
			inputs = append(inputs, list...)
		}
		if len(inputs) == 0 {
			return exit.New(exit.Usage, "no bundles to export").WithHint("name bundle files, or a list with --manifest LIST")
		}
		opts := archive.ExportOptions{IncludeKeys: f.IncludeKeys, PolicyFile: f.Policy, Since: f.Since, Zstd: f.Compress == "zstd"}
		var w io.Writer = os.Stdout
		var out *outfile.File
		if f.Output != "-" {
			o, err := outfile.Create(f.Output)
			if err != nil {
				return err
			}
			defer o.Abort()
			out, w = o, o
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		res, err := archive.Export(inputs, opts, bw)
		if err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return exit.Wrap(exit.IO, err, "cannot write the archive").At(f.Output)
		}
		if out != nil {
			if err := out.Commit(); err != nil {
				return err
			}
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(os.Stderr, "ct-export: warning: %s\n", termsafe.Escape(w))
		}
		msg := fmt.Sprintf("%d bundles, %d blobs (%d bytes)", res.Bundles, res.Blobs, res.BlobBytes)
		if f.Since != "" {
			msg += fmt.Sprintf("; delta on %s: %d bundles and %d blobs it holds left out", f.Since, res.Skipped, res.OmittedBlobs)
		}
		if res.Keys > 0 {
			msg += fmt.Sprintf("; %d public keys", res.Keys)
		}
		if res.PolicyWritten {
			msg += "; policy.json"
		}
		fmt.Fprintf(os.Stderr, "ct-export: wrote %s: %s\n", termsafe.Escape(f.Output), msg)
		return nil
	})
}

// readList reads a --manifest list: one path a line, # comments, blank lines.
func readList(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the bundle list").At(path)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(filepath.Dir(path), line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the bundle list").At(fmt.Sprintf("%s:%d", path, n+1))
	}
	return out, nil
}
