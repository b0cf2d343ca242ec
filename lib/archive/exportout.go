package archive

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
)

// ExportReport is the --json document of ct export, kind ct.export/1
// (docs/json/export.schema.json).
type ExportReport struct {
	Schema   string         `json:"schema"`
	Output   string         `json:"output"`
	Compress string         `json:"compress"`
	Bundles  []ExportBundle `json:"bundles"`
	Blobs    int            `json:"blobs"` // blob entries stored
	Bytes    int64          `json:"bytes"` // their bytes
	Keys     int            `json:"keys"`
	Policy   bool           `json:"policy"`
	Delta    *ExportDelta   `json:"delta,omitempty"`
	Warnings []string       `json:"warnings"`
}

// ExportBundle is one bundle the archive holds.
type ExportBundle struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	ManifestDigest string `json:"manifestDigest"`
	ImageDigest    string `json:"imageDigest"`
	Size           int64  `json:"size"`
}

// ExportDelta says what a delta (--since) leaves out.
type ExportDelta struct {
	Since          string `json:"since"`
	SkippedBundles int    `json:"skippedBundles"`
	OmittedBlobs   int    `json:"omittedBlobs"`
}

// ExportSchema is the kind of ExportReport.
const ExportSchema = "ct.export/1"

// Report is the ct.export/1 document of an export written to output.
func (r *ExportResult) Report(output string, opts ExportOptions) *ExportReport {
	rep := &ExportReport{Schema: ExportSchema, Output: output, Compress: "none", Bundles: []ExportBundle{}, Blobs: r.Blobs,
		Bytes: r.BlobBytes, Keys: r.Keys, Policy: r.PolicyWritten, Warnings: append([]string{}, r.Warnings...)}
	if opts.Zstd {
		rep.Compress = "zstd"
	}
	if r.Index != nil {
		for _, b := range r.Index.Bundles {
			rep.Bundles = append(rep.Bundles, ExportBundle{Name: b.Name, Version: b.Version, ManifestDigest: b.ManifestDigest,
				ImageDigest: b.ImageDigest, Size: b.Size})
		}
	}
	if opts.Since != "" {
		rep.Delta = &ExportDelta{Since: opts.Since, SkippedBundles: r.Skipped, OmittedBlobs: r.OmittedBlobs}
	}
	return rep
}

// CheckOutput refuses, before an export starts, to write over a file that
// is not a ct archive (a bundle, a docker save tar, anything else) unless
// force (archive.md §3.3). It reports whether an archive is there: its
// content is compared with the new one by SameContent before it is
// replaced.
//
// A path naming one of the process's own descriptors (-o /dev/stdout,
// /dev/fd/N) is written through that descriptor like standard output
// (lib/outfile), not replaced: what the shell opened it as decides (> has
// emptied it, >> appends), and it is neither read nor compared, as -o - is
// not. (Its file compared with itself was always "the same archive".)
func CheckOutput(path string, force bool) (exists bool, err error) {
	if outfile.IsDescriptor(path) {
		return false, nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, exit.Wrap(exit.IO, pathless(err), "cannot read the output file").At(path)
	}
	if fi.IsDir() {
		return false, exit.New(exit.Usage, "the output is a folder").At(path).WithHint("name a file: -o offline.tar")
	}
	if !fi.Mode().IsRegular() {
		// A device or FIFO (-o /dev/null, -o >(…)) is written in place
		// and holds no archive to lose; opening a FIFO to sniff it would
		// wait for a writer that never comes.
		return false, nil
	}
	if force {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, exit.Wrap(exit.IO, pathless(err), "cannot read the output file").At(path)
	}
	defer f.Close()
	what := "a file that is not a ct archive"
	kind, serr := sniff(f)
	switch {
	case serr == nil && kind == "archive":
		return true, nil
	case serr == nil && kind == "bundle":
		what = "a bundle (.ctp), not an archive"
	case fi.Size() == 0:
		// An empty file holds nothing to lose: replaced like a new one,
		// not compared with the new archive (which always differs).
		return false, nil
	}
	return false, exit.New(exit.Usage, "the output exists and is %s: writing the archive would replace it", what).At(path).
		WithHint("name another output file (-o offline.tar), or pass --force to replace it")
}

// SameContent reports whether the files a and b hold the same bytes.
func SameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	sa, err := fa.Stat()
	if err != nil {
		return false, err
	}
	sb, err := fb.Stat()
	if err != nil {
		return false, err
	}
	if sa.Size() != sb.Size() {
		return false, nil
	}
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == ea, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// OutputIsInput refuses (64) an output written in place, standard output
// or an -o descriptor (-o /dev/stdout), that is one of the files export
// reads (a bundle, the --since archive, the policy): ct export x.ctp -o -
// >> x.ctp appended the archive to the bundle and exited 0, and the bundle
// no longer verified (bytes after its end-of-archive marker).
func OutputIsInput(out *os.File, outName string, inputs []string) error {
	if out == nil {
		return nil
	}
	st, err := out.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	for _, in := range inputs {
		if fi, err := os.Stat(in); err == nil && os.SameFile(fi, st) {
			hint := "write the archive to another file (-o offline.tar)"
			if fi.Size() == 0 {
				hint = "a shell's > FILE empties FILE before ct runs: get it again, then " + hint
			}
			return exit.New(exit.Usage, "%s is an input file itself", outName).At(in).WithHint("%s", hint)
		}
	}
	return nil
}
