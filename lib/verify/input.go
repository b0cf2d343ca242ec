package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/readahead"
	"github.com/cerro-torre/ct/lib/spool"
)

// PathOptions says how VerifyPath reads its input.
type PathOptions struct {
	// Stdin is read for the path "-" (os.Stdin when nil); when it is a
	// regular file at offset 0 (StdinFile) it is read like a named file.
	Stdin io.Reader
	// Stream, when set, wraps an input read in one pass (standard input
	// that is not a regular file, a pipe, a device): ct verify shows
	// progress through it. It is not called for a regular file.
	Stream func(io.Reader) io.Reader
	// Ctx, when set, stops the unpacking of an export archive (Ctrl-C,
	// SIGTERM: lib/archive removes what it unpacked, code 11).
	Ctx context.Context
	// SkipContent, for a regular file, seeks past the blobs instead of
	// hashing them (ct explain without --verify): the report says so.
	SkipContent bool
}

// VerifyPath verifies the bundle at path ("-" for standard input): a
// regular file with VerifyFile, standard input redirected from one too
// (StdinFile), anything else in one pass with Verify.
// Every outcome is a report, an unreadable input included (a "bundle"
// check failing with code 11), so that --json always has one to print
// (verify.md §3). An input that is not a bundle but a file another ct
// command reads (an export archive, a docker save tar, an OCI archive) is
// refused with code 10, saying what it is and which command reads it
// (an export archive is verified by lib/archive's VerifyPath, which ct
// verify calls; ct explain reads one bundle only).
func VerifyPath(path string, opts Options, po PathOptions) *Report {
	if path == "-" {
		in := po.Stdin
		if in == nil {
			in = os.Stdin
		}
		if f := spool.StdinFile(in); f != nil { // < FILE: read like a named file
			return verifyFile(f, "-", "-", opts, po)
		}
		return verifyStream(in, "-", "-", opts, po)
	}
	f, err := os.Open(path)
	if err != nil {
		return ioReport(path, exit.Wrap(exit.IO, err, "cannot open bundle").At(path).WithHint("check the path"))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ioReport(path, exit.Wrap(exit.IO, err, "cannot read bundle").At(path))
	}
	if !st.Mode().IsRegular() { // a pipe or device: one pass, like stdin
		return verifyStream(f, path, path, opts, po)
	}
	return verifyFile(f, path, path, opts, po)
}

// verifyFile verifies the regular file f, at offset 0, named name in
// reports; shown is how a hint names it ("-" for standard input, which
// such hints call FILE). Blobs are hashed in parallel (VerifyFile), or
// sought past with po.SkipContent; po.Stream is not applied: a file shows
// no progress.
func verifyFile(f *os.File, name, shown string, opts Options, po PathOptions) *Report {
	st, err := f.Stat()
	if err != nil {
		return ioReport(name, exit.Wrap(exit.IO, err, "cannot read bundle").At(name).WithHint("%s", unreadableHint))
	}
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF { // standard input open for writing only (0>>FILE), say
		return ioReport(name, exit.Wrap(exit.IO, err, "cannot read bundle").At(name).WithHint("%s", unreadableHint))
	}
	if e := identify(head[:n], name, shown, func() io.Reader { return io.NewSectionReader(f, 0, st.Size()) }); e != nil {
		return ioReport(name, e)
	}
	if po.SkipContent {
		opts.SkipContent = true
		// Seekable: blobs are skipped, not read. Positioned reads, as
		// VerifyFile's: the shared file offset is not used.
		return Verify(io.NewSectionReader(f, 0, st.Size()), name, opts)
	}
	return VerifyFile(f, name, opts) // blobs hashed in parallel
}

// VerifyStream verifies the bundle read from in, named name, in one pass
// (standard input, a pipe): VerifyPath for an input already open. When in
// is a *readahead.Reader, it is read as it is (po.Stream is not applied:
// the caller wrapped the stream before reading ahead) and not closed.
func VerifyStream(in io.Reader, name string, opts Options, po PathOptions) *Report {
	return verifyStream(in, name, name, opts, po)
}

func verifyStream(in io.Reader, name, shown string, opts Options, po PathOptions) *Report {
	// Reading runs ahead on a second goroutine, so that it overlaps the
	// hashing (which then works in the read-ahead buffers: no copy).
	br, ok := in.(*readahead.Reader)
	if !ok {
		if po.Stream != nil {
			in = po.Stream(in)
		}
		br = readahead.New(in)
		defer br.Close()
	}
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return ioReport(name, exit.Wrap(exit.IO, err, "cannot read bundle").At(name).WithHint("%s", unreadableHint))
	}
	if e := identify(head, name, shown, func() io.Reader { return br }); e != nil {
		return ioReport(name, e)
	}
	return Verify(br, name, opts)
}

// unreadableHint is the hint of an input that cannot be read at all, the
// same for a file and a stream.
const unreadableHint = "give the path of a bundle (.ctp) or an export archive, or - for standard input"

// ioReport is the report of an input that could not be verified at all.
func ioReport(name string, err error) *Report {
	rep := &Report{Schema: SchemaID, Bundle: name, ContentChecked: false}
	rep.fail("bundle", err)
	return rep.finish()
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// IsArchive says whether head, the first bytes of an input (512 of them,
// or all there are), starts a ct export archive: zstd-compressed (the only
// compressed input ct reads), or a tar whose first entry is ct-archive.toml
// (archive.md §1, §2). lib/archive verifies those (archive.Check).
func IsArchive(head []byte) bool {
	if bytes.HasPrefix(head, zstdMagic) {
		return true
	}
	if len(head) < 512 {
		return false
	}
	h, err := tar.NewReader(bytes.NewReader(head)).Next()
	return err == nil && h.Name == "ct-archive.toml"
}

// identify returns nil when head may start a bundle (the bundle reader
// then judges it) and otherwise an error saying what the input is and
// which command reads it. all reads the whole input from its start, for
// telling a docker save tar from an OCI archive.
func identify(head []byte, name, path string, all func() io.Reader) error {
	file := path
	if path == "-" {
		file = "FILE" // a stream: it has to be saved to be read by name
	}
	notBundle := func(what, format string, args ...any) error {
		return exit.New(exit.Malformed, "this is %s, not a bundle", what).At(name).WithHint(format, args...)
	}
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		return notBundle("a zstd-compressed file (ct export --compress zstd writes archives like it)",
			"ct verify %s verifies every bundle of an export archive, ct import %s --to DEST installs them", file, file)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return notBundle("a gzip-compressed file",
			"bundles are never compressed: decompress it first (gunzip); a compressed docker save tar is then packed with ct pack docker-archive:FILE")
	}
	if len(head) < 512 {
		return nil
	}
	h, err := tar.NewReader(bytes.NewReader(head)).Next()
	if err != nil || h.Name == "manifest.toml" {
		return nil // a bundle, or not a tar at all: the bundle reader says which
	}
	if h.Name == "ct-archive.toml" {
		return notBundle("a ct export archive",
			"ct verify %s verifies every bundle of it, ct import %s --to DEST installs them", file, file)
	}
	switch kind := tarKind(all()); kind {
	case "docker":
		return notBundle("a docker-archive (docker save)", "pack it into a signed bundle with ct pack docker-archive:%s", file)
	case "oci":
		return notBundle("an OCI image layout archive (oci-archive)", "pack it into a signed bundle with ct pack oci-archive:%s", file)
	}
	return exit.New(exit.Malformed, "this is a tar archive, not a bundle: its first entry is %q, a bundle's is manifest.toml", h.Name).
		At(name).WithHint("ct verify reads bundles (.ctp) as ct pack and ct sign write them")
}

// tarKind tells a docker save tar ("docker": a manifest.json; docker 25
// and later also write an OCI layout beside it) from an OCI image layout
// archive ("oci": oci-layout and index.json, no manifest.json). It reads
// entry names only, at most 100,000 of them.
func tarKind(r io.Reader) string {
	tr := tar.NewReader(r)
	layout := false
	for i := 0; i < 100000; i++ {
		h, err := tr.Next()
		if err != nil {
			break
		}
		switch h.Name {
		case "manifest.json", "./manifest.json":
			return "docker"
		case "oci-layout", "./oci-layout", "index.json", "./index.json":
			layout = true
		}
	}
	if layout {
		return "oci"
	}
	return ""
}

// Worst returns the index of the report that decides the exit code of
// several (verify.md §2: the order 10 and 11, 1, 2, 3, 4, 5, then 0;
// among equals the first given), or -1 when all are valid.
func Worst(reps []*Report) int {
	best := -1
	for i, r := range reps {
		if r.Valid {
			continue
		}
		if best < 0 || rankOf(r.Err()) < rankOf(reps[best].Err()) {
			best = i
		}
	}
	return best
}

// Failed is the report of a bundle that could not be verified at all,
// whose manifest.toml is known (a bundle of an archive): err decides.
func Failed(name string, m *bundle.Manifest, manifestBytes []byte, err error) *Report {
	rep := &Report{Schema: SchemaID, Bundle: name, Manifest: m}
	if m != nil {
		rep.Package, rep.Version, rep.ImageDigest = m.Package.Name, m.Package.Version, m.Image.Digest
		rep.ManifestDigest = bundle.Digest(manifestBytes)
		rep.Source, rep.Blobs = m.Source.Reference, len(m.Blobs)
	}
	rep.fail("bundle", err)
	return rep.finish()
}

// AddFailure records a failure found outside the verifier's pass (ct
// import's check that a rebuilt bundle has its exported length) as the
// check name, and decides the outcome again.
func (r *Report) AddFailure(name string, err error) *Report {
	r.fail(name, err)
	return r.finish()
}
