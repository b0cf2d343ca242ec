package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
)

// Writer writes a bundle as one tar stream. NewWriter writes everything up
// to the blobs; WriteBlob must then be called for every blob, in the
// manifest's order; Close ends the stream. Nothing is buffered beyond one
// copy buffer: blobs stream from their source to the output.
type Writer struct {
	tw       *ustar.Writer
	m        *Manifest
	manifest []byte
	next     int
	buf      []byte
	sigNames []string // written by WriteSignatures, for WriteProofs
}

// WriterOptions tunes a Writer.
type WriterOptions struct {
	// ModTime is the mtime of every entry. The zero value means the Unix
	// epoch; packers pass SOURCE_DATE_EPOCH here when it is set.
	ModTime time.Time
}

// NewWriter validates m, then writes manifest.toml, summary.json, oci-layout,
// index.json and the blob directories to w.
func NewWriter(w io.Writer, m *Manifest, opts WriterOptions) (*Writer, error) {
	mb, err := m.Encode()
	if err != nil {
		return nil, err
	}
	sb, err := SummaryBytes(m, mb)
	if err != nil {
		return nil, err
	}
	ib, err := IndexBytes(m)
	if err != nil {
		return nil, err
	}
	var mtime int64
	if !opts.ModTime.IsZero() {
		mtime = opts.ModTime.Unix()
	}
	if mtime < 0 || mtime > ustar.MaxMTime {
		return nil, exit.New(exit.Usage, "entry mtime %d is outside the bundle format's range 0 to %d (1970 to 2242)", mtime, int64(ustar.MaxMTime)).
			WithHint("set SOURCE_DATE_EPOCH to a time in that range")
	}
	bw := &Writer{tw: ustar.NewWriter(w, mtime), m: m, manifest: mb, buf: make([]byte, 256<<10)}
	for _, f := range []struct {
		name string
		data []byte
	}{{ManifestName, mb}, {SummaryName, sb}, {LayoutName, LayoutBytes()}, {IndexName, ib}} {
		if err := bw.file(f.name, int64(len(f.data)), bytes.NewReader(f.data)); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{BlobsDir, BlobsSHA256Dir} {
		if err := bw.tw.WriteHeader(d, ustar.TypeDir, 0); err != nil {
			return nil, writeErr(d, err)
		}
	}
	return bw, nil
}

// ManifestBytes returns the canonical manifest.toml that was written.
func (w *Writer) ManifestBytes() []byte { return w.manifest }

// The headers are ustar.Encode's: mode 0644 or 0755, owner 0:0 with no
// names, one mtime, nothing else (bundle.md §1).
func (w *Writer) file(name string, size int64, r io.Reader) error {
	if err := w.tw.WriteHeader(name, ustar.TypeReg, size); err != nil {
		return writeErr(name, err)
	}
	if _, err := io.CopyBuffer(w.tw, r, w.buf); err != nil {
		return err
	}
	return nil
}

// NextBlob returns the blob WriteBlob expects next, and false when all are written.
func (w *Writer) NextBlob() (Blob, bool) {
	if w.next >= len(w.m.Blobs) {
		return Blob{}, false
	}
	return w.m.Blobs[w.next], true
}

// startBlob checks that digest is the next blob manifest.toml lists and
// writes its header: the start that WriteBlob, WriteUnhashedBlob and
// SkipBlob share. where names the blob for errors.
func (w *Writer) startBlob(digest string) (b Blob, where string, err error) {
	b, ok := w.NextBlob()
	if !ok {
		return b, "", exit.New(exit.Internal, "blob %s written after the last blob", digest)
	}
	if b.Digest != digest {
		return b, "", exit.New(exit.Internal, "blob %s written out of order (expected %s)", digest, b.Digest)
	}
	w.next++
	where = fmt.Sprintf("blob %s (%s, %d of %d)", b.Digest, b.Role, w.next, len(w.m.Blobs))
	if err := w.tw.WriteHeader(b.Path(), ustar.TypeReg, b.Size); err != nil {
		return b, where, writeErr(b.Path(), err)
	}
	return b, where, nil
}

// WriteBlob copies the content of the next blob from r, checking its size and
// digest while it streams. A short, long or wrong source is an
// exit.HashMismatch error naming the blob; the caller decides how to
// re-classify it for its source.
func (w *Writer) WriteBlob(digest string, r io.Reader) error {
	b, where, err := w.startBlob(digest)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w.tw, h), io.LimitReader(r, b.Size), w.buf)
	if err != nil {
		return copyErr(err, where)
	}
	if n < b.Size {
		return exit.New(exit.HashMismatch, "content ends after %d bytes, manifest.toml says %d", n, b.Size).At(where)
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		return exit.New(exit.HashMismatch, "content is longer than the %d bytes manifest.toml says", b.Size).At(where)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.Digest {
		return exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", got, b.Digest).At(where)
	}
	return nil
}

// SkipBlob writes the header of the next blob and passes over its data,
// which the caller writes itself at the returned offset (from the start of
// the stream): the underlying writer must be an io.Seeker, such as an
// io.OffsetWriter on the output file. The caller must write exactly the
// blob's Size bytes there and check their digest; the bytes around them
// (headers, padding, signatures, end of archive) are the ones WriteBlob's
// stream would have, so both ways give the same file. Blobs may be written
// at their offsets in any order and at the same time (WriteAt).
func (w *Writer) SkipBlob(digest string) (int64, error) {
	b, _, err := w.startBlob(digest)
	if err != nil {
		return 0, err
	}
	off := w.tw.Offset()
	if err := w.tw.Skip(); err != nil {
		return 0, writeErr(b.Path(), err)
	}
	return off, nil
}

// Offset is the number of bytes of the stream written (or skipped) so far.
func (w *Writer) Offset() int64 { return w.tw.Offset() }

// WriteUnhashedBlob writes the next blob like WriteBlob, with its size
// checked, but does not hash it: for a caller that checks the content's
// digest itself, once, elsewhere (ct import lays out a rebuilt bundle over
// the blobs of an archive and hashes them in parallel, in place). r is
// copied with io.Copy, so an r that is an io.WriterTo writes itself.
func (w *Writer) WriteUnhashedBlob(digest string, r io.Reader) error {
	b, where, err := w.startBlob(digest)
	if err != nil {
		return err
	}
	n, err := io.Copy(w.tw, r)
	if errors.Is(err, ustar.ErrWriteTooLong) {
		return exit.New(exit.HashMismatch, "content is longer than the %d bytes manifest.toml says", b.Size).At(where)
	}
	if err != nil {
		return copyErr(err, where)
	}
	if n < b.Size {
		return exit.New(exit.HashMismatch, "content ends after %d bytes, manifest.toml says %d", n, b.Size).At(where)
	}
	return nil
}

// copyErr is the error of a blob copy that failed: an exit.Error of the
// source as it is, else a readOrWriteError (tar.Writer errors are output
// errors; the caller tells which side failed).
func copyErr(err error, where string) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	return &readOrWriteError{err: err, where: where}
}

// readOrWriteError is returned by WriteBlob when copying failed; Unwrap
// gives the cause so callers can classify it (ENOSPC, network, …).
type readOrWriteError struct {
	err   error
	where string
}

func (e *readOrWriteError) Error() string { return e.where + ": " + e.err.Error() }
func (e *readOrWriteError) Unwrap() error { return e.err }

// WriteSignatures writes the signature entries after the last blob: the
// directory entry signatures/, then the entries sorted by name, so that the
// order in which co-signers signed does not change the bytes. Call it at
// most once, after the last blob and before Close; with no entries it writes
// nothing.
func (w *Writer) WriteSignatures(entries []Entry) error {
	if b, ok := w.NextBlob(); ok {
		return exit.New(exit.Internal, "signatures written before blob %s", b.Digest)
	}
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > MaxSignatures {
		return exit.New(exit.Usage, "%d signatures, more than the %d a bundle may carry", len(entries), MaxSignatures)
	}
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i, e := range sorted {
		if !strings.HasPrefix(e.Name, SignaturesDir) || e.Name == SignaturesDir || unsafePath(e.Name) || !ustar.ValidName(e.Name) ||
			strings.Contains(strings.TrimPrefix(e.Name, SignaturesDir), "/") || len(e.Data) > MaxSignatureSize {
			return exit.New(exit.Internal, "invalid signature entry %q", e.Name)
		}
		if i > 0 && sorted[i-1].Name == e.Name {
			return exit.New(exit.Internal, "duplicate signature entry %q", e.Name)
		}
	}
	if err := w.tw.WriteHeader(SignaturesDir, ustar.TypeDir, 0); err != nil {
		return writeErr(SignaturesDir, err)
	}
	for _, e := range sorted {
		if err := w.file(e.Name, int64(len(e.Data)), bytes.NewReader(e.Data)); err != nil {
			return err
		}
		w.sigNames = append(w.sigNames, e.Name)
	}
	return nil
}

// WriteProofs writes the transparency proof entries (log.md §4) after the
// signatures: the directory entry transparency/, then the entries sorted by
// name. Each must prove a signature entry written by WriteSignatures. Call
// it at most once, after WriteSignatures and before Close; with no entries
// it writes nothing. Proofs are not covered by manifest.toml: adding them
// changes no signature.
func (w *Writer) WriteProofs(entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > MaxProofs {
		return exit.New(exit.Usage, "%d transparency proofs, more than the %d a bundle may carry", len(entries), MaxProofs)
	}
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i, e := range sorted {
		fp, ok := ProofFingerprint(e.Name)
		if !ok || len(e.Data) > MaxProofSize {
			return exit.New(exit.Internal, "invalid proof entry %q", e.Name)
		}
		if !slices.Contains(w.sigNames, SignaturesDir+fp+".sig") {
			return exit.New(exit.Internal, "proof entry %q proves no signature of the bundle", e.Name)
		}
		if i > 0 && sorted[i-1].Name == e.Name {
			return exit.New(exit.Internal, "duplicate proof entry %q", e.Name)
		}
	}
	if err := w.tw.WriteHeader(ProofsDir, ustar.TypeDir, 0); err != nil {
		return writeErr(ProofsDir, err)
	}
	for _, e := range sorted {
		if err := w.file(e.Name, int64(len(e.Data)), bytes.NewReader(e.Data)); err != nil {
			return err
		}
	}
	return nil
}

// KeepProofs returns the proofs among proofs that prove one of the
// signature entries sigs: what stays valid when a bundle's signatures are
// replaced (a signature by the same key over the same manifest is the same
// signature, signatures.md §3.2, so its proof still holds).
func KeepProofs(proofs, sigs []Entry) []Entry {
	var out []Entry
	for _, p := range proofs {
		fp, ok := ProofFingerprint(p.Name)
		if !ok {
			continue
		}
		for _, s := range sigs {
			if s.Name == SignaturesDir+fp+".sig" {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// Close checks that every blob was written and ends the tar stream. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if b, ok := w.NextBlob(); ok {
		return exit.New(exit.Internal, "bundle closed before blob %s was written", b.Digest)
	}
	if err := w.tw.Close(); err != nil {
		return writeErr("end of archive", err)
	}
	return nil
}

// writeErr names the entry a plain write error happened in. An exit
// error (the writer's own verdict, such as lib/spool's full TMPDIR or
// its size bound) already says what and where: it is returned as it is.
func writeErr(name string, err error) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	return fmt.Errorf("writing entry %s: %w", name, err)
}
