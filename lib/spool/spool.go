// Package spool makes the private temporary copies ct takes of a bundle
// it reads from standard input or a pipe and must read more than once
// (ct sbom, ct sign of a bundle with pending attestations, ct push -;
// ct sbom --spdx extracts one and uses Room; ct verify of an export
// archive and ct import's staging under TMPDIR unpack blobs and use
// Need). A hostile or broken stream
// must not fill the user's disk before it is refused (docs/cli.md,
// "Streams"), so:
//
//   - before a blob byte is written, the space manifest.toml declares is
//     compared with the free space of TMPDIR, and a bundle that cannot fit
//     is refused with nothing written;
//   - no byte is written past the most a bundle with that manifest.toml
//     can hold (its blobs, the largest signature and proof sections the
//     reader accepts, the end-of-archive marker);
//   - Copy reads the stream through the bundle reader's checks as it writes
//     it, so a malformed stream stops at its first bad entry, and the copy
//     is removed on every failure.
package spool

import (
	"bytes"
	"io"
	"math"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// tailMax is the most the entries after the last blob can take: the
// signatures/ directory and bundle.MaxSignatures entries of at most
// bundle.MaxSignatureSize bytes, the transparency/ directory and
// bundle.MaxProofs proofs of at most bundle.MaxProofSize bytes, each entry
// a header block and its data padded to a block (bundle.md §2, log.md §4).
const tailMax = 2*ustar.BlockSize +
	bundle.MaxSignatures*(ustar.BlockSize+(bundle.MaxSignatureSize+ustar.BlockSize-1)/ustar.BlockSize*ustar.BlockSize) +
	bundle.MaxProofs*(ustar.BlockSize+(bundle.MaxProofSize+ustar.BlockSize-1)/ustar.BlockSize*ustar.BlockSize)

// endMarker is the end-of-archive marker: two zero blocks.
const endMarker = 2 * ustar.BlockSize

// Size returns the length of a bundle whose manifest is m and whose head
// (manifest.toml through the blobs/sha256/ directory entry, what
// bundle.NewReader consumes) is head bytes long: need without signatures
// and proofs, as manifest.toml declares it exactly; max with the largest
// signature and proof sections a reader accepts. Both saturate at
// math.MaxInt64.
func Size(m *bundle.Manifest, head int64) (need, max int64) {
	need = Add(head, endMarker)
	for _, b := range m.Blobs {
		hdr, err := ustar.Encode(b.Path(), ustar.TypeReg, b.Size, 0)
		if err != nil || b.Size < 0 {
			return math.MaxInt64, math.MaxInt64
		}
		need = Add(need, int64(len(hdr)))
		need = Add(need, padded(b.Size))
	}
	return need, Add(need, tailMax)
}

func padded(n int64) int64 {
	if r := n % ustar.BlockSize; r != 0 {
		return Add(n, ustar.BlockSize-r)
	}
	return n
}

// Add is a+b for sizes (never negative), saturating at math.MaxInt64: a
// declared size from a stranger cannot wrap a room check around to small.
func Add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// freeSpace returns the bytes an unprivileged writer may still put into
// dir's file system (free_linux.go); a variable so that a test can make
// the disk small.
var freeSpace = available

// Room returns an error (exit.IO) when the file system of dir, the
// temporary folder, has less than need bytes free for a copy of the bundle
// name (as its manifest.toml declares); nil when it has room, or when its
// free space cannot be known. instead is the hint's other way out
// (NameTheFile, "write to a file with -o FILE", or "" for none).
func Room(dir string, need int64, name, instead string) error {
	return Need{Bytes: need, What: "the bundle", Declares: "as its manifest.toml declares", For: "for a temporary copy",
		Where: "bundle " + name, Hint: hint("set TMPDIR to a folder with room for the bundle", instead)}.In(dir)
}

// Need is room that something other than one piped bundle needs in
// TMPDIR (the blobs of an export archive), for Room's check and wording.
type Need struct {
	Bytes    int64
	What     string // the subject of the message: "the archive"
	Declares string // who says so: "as its index declares"
	For      string // what the room is for: "to unpack its blobs"
	Where    string // the error's location: "archive x.tar"
	Hint     string // what to do: "set TMPDIR to a folder with room for …"
	// Place names the folder checked, before its path: "" is "TMPDIR";
	// "the output's folder" for room beside an output file.
	Place string
}

// In returns an error (exit.IO) when the file system of dir, the
// temporary folder (or n.Place), has less than n.Bytes free; nil when it
// has room, or when its free space cannot be known.
func (n Need) In(dir string) error {
	free, err := freeSpace(dir)
	if err != nil || free >= n.Bytes {
		return nil
	}
	place := n.Place
	if place == "" {
		place = "TMPDIR"
	}
	return exit.New(exit.IO, "%s needs %d bytes (%s, %s) %s, but %s %s has %d bytes (%s) free",
		n.What, n.Bytes, human.Size(n.Bytes), n.Declares, n.For, place, termsafe.Escape(dir), free, human.Size(free)).At(n.Where).
		WithHint("%s", n.Hint)
}

// hint is the hint of a full or unwritable TMPDIR: first, and instead
// when there is another way out ("" when there is none).
func hint(first, instead string) string {
	if instead == "" {
		return first
	}
	return first + ", or " + instead
}

// NameTheFile is the way out of a full TMPDIR for a piped bundle: a file
// is read in place.
const NameTheFile = "name the bundle file instead of piping it"

// File is a private temporary copy of a bundle. It writes at most the
// most the bundle can hold (Size's max); a write past it fails with a
// malformed-bundle error and writes nothing.
type File struct {
	*os.File
	name    string // the bundle's name for messages: "-" or a path
	written int64
	max     int64
	instead string // the hint's other way out of a full TMPDIR
}

// Create makes a private temporary file (os.CreateTemp in TMPDIR with
// pattern) for the bundle name whose manifest is m and whose head is head
// bytes long (bundle.Reader.Offset after bundle.NewReader), once TMPDIR is
// known to have room for it. The caller writes the bundle from its first
// byte and removes the file with Remove.
func Create(m *bundle.Manifest, head int64, name, pattern string) (*File, error) {
	need, max := Size(m, head)
	if err := Room(os.TempDir(), need, name, NameTheFile); err != nil {
		return nil, err
	}
	return create(max, name, pattern, NameTheFile)
}

// create makes the file, bounded by max bytes (-1: unbounded).
func create(max int64, name, pattern, instead string) (*File, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot create a temporary file for the bundle").At("bundle "+name).
			WithHint("%s", hint("set TMPDIR to a writable folder with room for the bundle", instead))
	}
	if max < 0 {
		max = math.MaxInt64
	}
	return &File{File: f, name: name, max: max, instead: instead}, nil
}

// Write writes p, unless that would take the file past the most the
// bundle can hold.
func (f *File) Write(p []byte) (int, error) {
	if int64(len(p)) > f.max-f.written {
		return 0, exit.New(exit.Malformed, "the stream goes on past the %d bytes a bundle with this manifest.toml can hold", f.max).At("bundle " + f.name).
			WithHint("this is not an intact ct bundle; fetch it again, or repack it with ct pack")
	}
	n, err := f.File.Write(p)
	f.written += int64(n)
	if err != nil {
		return n, f.writeErr(err)
	}
	return n, nil
}

// WriteString is Write: the embedded os.File's would not be bounded.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// ReadFrom copies r through Write (io.Copy into a File uses it): the
// embedded os.File's would not be bounded.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{f}, r)
}

// WriteAt is refused: a copy is written in order, through Write.
func (f *File) WriteAt([]byte, int64) (int, error) {
	return 0, exit.New(exit.Internal, "WriteAt on the temporary copy of a bundle").At(f.Name())
}

func (f *File) writeErr(err error) error {
	return exit.Wrap(exit.IO, err, "cannot write the temporary copy of the bundle").At(f.Name()).
		WithHint("%s", hint("set TMPDIR to a folder with room for the bundle", f.instead))
}

// Rewind positions the file at its start, for reading.
func (f *File) Rewind() error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return exit.Wrap(exit.IO, err, "cannot read back the temporary copy of the bundle").At(f.Name())
	}
	return nil
}

// Remove closes and removes the file.
func (f *File) Remove() {
	f.Close()
	os.Remove(f.Name())
}

// switchWriter is where the bundle reader's input is copied: first the
// head, into memory, until the manifest is known and room is checked;
// then the file.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// Copy copies the bundle read from in (named name in messages: "-" or the
// pipe's path) into a private temporary file (pattern as os.CreateTemp
// takes it) and returns it positioned at its start. The bundle is read
// through bundle.Reader's checks as it is written (every entry, size and
// digest, the image graph, the signature and proof entries, the end of
// the archive): the first failure, decided as ct verify decides (verify.md
// §2), is returned as it is, and the file is removed (also when a panic
// unwinds through Copy). Nothing is created
// before manifest.toml is read and TMPDIR is known to have room (Create).
func Copy(in io.Reader, name, pattern string) (*File, error) {
	var buf bytes.Buffer // the head: bounded by the reader's limits on its entries
	head := switchWriter{&buf}
	br, err := bundle.NewReader(io.TeeReader(in, &head), name)
	if err != nil {
		return nil, err
	}
	f, err := Create(br.Manifest(), br.Offset(), name, pattern)
	if err != nil {
		return nil, err
	}
	whole := false
	defer func() { // on an error, and on a panic as it unwinds
		if !whole {
			f.Remove()
		}
	}()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	head.w = f
	if err := drain(br); err != nil {
		return nil, err
	}
	if err := f.Rewind(); err != nil {
		return nil, err
	}
	whole = true
	return f, nil
}

// drain reads the rest of the bundle, checking every blob.
func drain(br *bundle.Reader) error {
	for {
		_, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err == nil {
			_, err = io.Copy(io.Discard, rd)
		}
		if err != nil {
			return br.Decide(err)
		}
	}
	_, err := br.Signatures()
	return err
}
