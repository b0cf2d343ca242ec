// Command ct-export packs many bundles into one offline archive for an air
// gap: each blob stored once, a canonical index first, deterministic bytes.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-export",
	Summary: "Pack many bundles into one offline archive (blobs stored once)",
	Detail: `An archive (docs/spec/archive.md) is one tar file that carries many signed bundles across an air
gap: a canonical index (ct-archive.toml), each bundle's manifest.toml and signatures, then each
blob once, in digest order (bundles that share layers share them here). The same bundles give the
same bytes. Each input bundle's structure is checked and each blob is hashed again while it is
copied; nothing is verified against keys here: ct import (or ct verify ARCHIVE) does that on the
other side, and ct import rebuilds the bundles byte for byte.

Deltas: --since OLD.tar writes only what OLD.tar lacks: bundles OLD.tar holds are left out, and
blobs it holds are listed but not stored. Import a delta into the oci: or dir: destination that
holds its base, or together with its base (ct import OLD.tar DELTA.tar --to ...).

Trust: the signatures travel inside the bundles. --include-keys also carries the signers' public
keys (and --policy FILE a policy.json); the importer trusts them only with
ct import --trust-included-keys, after checking the fingerprints it prints.

Output: -o FILE is written atomically. An existing FILE is replaced only when it is a ct archive
with the same content; a bundle, another kind of file, or an archive with other content needs
--force. --json prints a ct.export/1 report (on stdout with -o FILE, on stderr with -o -).

Examples:
  ct export web.ctp db.ctp -o offline.tar
  ct export --manifest packages.txt --include-keys --policy strict.json -o offline.tar
  ct export --manifest packages.txt --since offline.tar --compress zstd -o delta.tar.zst
  ct export web.ctp -o - | ssh gap 'cat > offline.tar'`,
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
	Force       bool     `short:"f" help:"Replace an existing FILE that is not a ct archive or holds another archive."`
	JSON        bool     `name:"json" help:"Print a report (schema ct.export/1) as JSON: on stdout with -o FILE, on stderr with -o -."`
	Quiet       bool     `short:"q" help:"Print nothing on stderr on success."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
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
		exists := false
		if f.Output != "-" {
			var err error
			if exists, err = archive.CheckOutput(f.Output, f.Force); err != nil {
				return err
			}
			o, err := outfile.Create(f.Output)
			if err != nil {
				return err
			}
			defer o.Abort()
			out, w = o, o
			if o.Regular() {
				// the writeback starts as the archive is written; Commit fsyncs
				w = outfile.NewWriteback(o.File)
			}
		}
		// Standard output or an -o descriptor (-o /dev/stdout) that is
		// a file export reads: refused before a byte is written.
		reads := append(append([]string(nil), inputs...), f.Since, f.Policy)
		if out == nil {
			if err := archive.OutputIsInput(os.Stdout, "standard output", reads); err != nil {
				return err
			}
		} else if !out.Regular() {
			if err := archive.OutputIsInput(out.File, f.Output, reads); err != nil {
				return err
			}
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
			if exists && !f.Force {
				same, err := archive.SameContent(out.Name(), f.Output)
				if err != nil {
					return exit.Wrap(exit.IO, pathless(err), "cannot compare with the existing archive").At(f.Output)
				}
				if !same {
					return exit.New(exit.Usage, "the output exists and holds another archive: writing would replace it").At(f.Output).
						WithHint("name another output file, or pass --force to replace it")
				}
			}
			if err := out.Commit(); err != nil {
				return err
			}
		}
		if f.JSON {
			js := outfile.ReportStream(f.Output)
			e := json.NewEncoder(js)
			e.SetIndent("", "  ")
			if err := e.Encode(res.Report(f.Output, opts)); err != nil {
				return exit.Wrap(exit.IO, err, "cannot write the report")
			}
		}
		if f.Quiet || f.JSON {
			// the report (warnings included) replaces the status line; with
			// -o - it is on stderr, and nothing else goes there
			return nil
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(os.Stderr, "ct-export: warning: %s\n", termsafe.Escape(w))
		}
		msg := fmt.Sprintf("%s, %s (%s)", human.Count(res.Bundles, "bundle"), human.Count(res.Blobs, "blob"),
			fmt.Sprintf("%d %s", res.BlobBytes, human.Noun(int(min(res.BlobBytes, 2)), "byte")))
		if f.Since != "" {
			msg += fmt.Sprintf("; delta on %s: %s and %s it holds left out", termsafe.Escape(f.Since), human.Count(res.Skipped, "bundle"), human.Count(res.OmittedBlobs, "blob"))
		}
		if res.Keys > 0 {
			msg += "; " + human.Count(res.Keys, "public key")
		}
		if res.PolicyWritten {
			msg += "; policy.json"
		}
		if out == nil {
			fmt.Fprintf(os.Stderr, "ct-export: wrote the archive to standard output: %s\n", msg)
			return nil
		}
		fmt.Fprintf(os.Stderr, "ct-export: wrote %s: %s\n", termsafe.Escape(f.Output), msg)
		return nil
	})
}

// pathless drops the operation and path an os error repeats: the message
// names the path once already.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readList reads a --manifest list: one path a line, # comments, blank lines.
func readList(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, exit.Wrap(exit.IO, pathless(err), "cannot read the bundle list").At(path)
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
		return nil, exit.Wrap(exit.IO, pathless(err), "cannot read the bundle list").At(fmt.Sprintf("%s:%d", path, n+1))
	}
	return out, nil
}
