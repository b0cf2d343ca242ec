package bundle

import (
	"errors"
	"io"
	"sort"

	"github.com/cerro-torre/ct/lib/exit"
)

// Layout is a bundle as Writer lays it out, held in memory without its
// blobs' bytes: the bytes the writer makes (headers, padding, manifest,
// signature and proof entries, end of archive) are kept, and each blob is
// either a section of a file (Section: ct import verifies a rebuilt
// bundle over the blobs of an archive, in place) or a hole (Hole: ct fetch
// --verify-only leaves out the layers it does not download). NewWriter
// writes into it; Reader reads it back as one seekable stream, the same
// bytes as the bundle file, so the verifier checks the layout ct writes.
type Layout struct {
	segs []layoutSeg
	size int64
	next *layoutSeg // the blob Hole or Section is passing the writer over
}

// layoutSeg is a run of a layout: bytes the writer made (data), a section
// of a file (ra), or a hole (neither: the bytes of blob digest).
type layoutSeg struct {
	start, n int64
	data     []byte
	ra       io.ReaderAt
	off      int64
	digest   string
}

// Size is the length of the laid-out bundle so far.
func (l *Layout) Size() int64 { return l.size }

// Write appends p (copied: the writer reuses its buffer). It is for
// Writer, which l is the output of.
func (l *Layout) Write(p []byte) (int, error) {
	if l.next != nil {
		return 0, errors.New("bundle layout: write inside a blob")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if k := len(l.segs) - 1; k >= 0 && l.segs[k].data != nil {
		l.segs[k].data = append(l.segs[k].data, p...)
		l.segs[k].n += int64(len(p))
	} else {
		l.segs = append(l.segs, layoutSeg{start: l.size, n: int64(len(p)), data: append([]byte(nil), p...)})
	}
	l.size += int64(len(p))
	return len(p), nil
}

// Seek passes the writer over the blob Hole or Section lays out: the only
// seek a Layout takes (Writer.SkipBlob's).
func (l *Layout) Seek(off int64, whence int) (int64, error) {
	if l.next == nil || whence != io.SeekCurrent || off < 0 {
		return l.size, errors.New("bundle layout: seek outside a blob")
	}
	if off > 0 {
		s := *l.next
		s.start, s.n = l.size, off
		l.segs = append(l.segs, s)
		l.size += off
	}
	l.next = nil
	return l.size, nil
}

// Hole writes the next blob of w, digest, as a hole: its header and
// padding are laid out, its bytes are not there, and reading them is an
// error (LayoutReader.Err). It returns the blob's offset, as SkipBlob.
func (l *Layout) Hole(w *Writer, digest string) (int64, error) {
	b, _, err := w.startBlob(digest)
	if err != nil {
		return 0, err
	}
	return l.skip(w, b, layoutSeg{digest: digest})
}

// skip passes w over the data of blob b, which s lays out.
func (l *Layout) skip(w *Writer, b Blob, s layoutSeg) (int64, error) {
	off := w.tw.Offset()
	l.next = &s
	defer func() { l.next = nil }()
	if err := w.tw.Skip(); err != nil {
		return 0, writeErr(b.Path(), err)
	}
	return off, nil
}

// Section writes the next blob of w, digest, as the size bytes of ra at
// off, which are read when the layout is read, and not hashed: the caller
// checks their digest itself, as for WriteUnhashedBlob. A size other than
// manifest.toml's is exit.HashMismatch, as WriteUnhashedBlob says it.
func (l *Layout) Section(w *Writer, digest string, ra io.ReaderAt, off, size int64) error {
	b, where, err := w.startBlob(digest)
	if err != nil {
		return err
	}
	switch {
	case size < b.Size:
		return exit.New(exit.HashMismatch, "content ends after %d bytes, manifest.toml says %d", size, b.Size).At(where)
	case size > b.Size:
		return exit.New(exit.HashMismatch, "content is longer than the %d bytes manifest.toml says", b.Size).At(where)
	}
	_, err = l.skip(w, b, layoutSeg{ra: ra, off: off, digest: digest})
	return err
}

// Reader returns a reader of the layout from its start. Reads of a
// section that end early (its file shrank after it was checked) are
// io.ErrUnexpectedEOF.
func (l *Layout) Reader() *LayoutReader { return &LayoutReader{l: l} }

// LayoutReader reads a Layout as one seekable stream. Reading inside a
// hole is an exit.Internal error, never zeros that could pass for content;
// the first is remembered (Err), for a caller whose reader (the verifier)
// may not pass it on.
type LayoutReader struct {
	l   *Layout
	pos int64
	err error
}

// Err is the first read inside a hole, or nil.
func (r *LayoutReader) Err() error { return r.err }

func (r *LayoutReader) Read(p []byte) (int, error) {
	if r.pos >= r.l.size {
		return 0, io.EOF
	}
	segs := r.l.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].start+segs[i].n > r.pos })
	s := segs[i]
	rel := r.pos - s.start
	if left := s.n - rel; int64(len(p)) > left {
		p = p[:left]
	}
	var n int
	var err error
	switch {
	case s.data != nil:
		n = copy(p, s.data[rel:])
	case s.ra != nil:
		n, err = s.ra.ReadAt(p, s.off+rel)
		if err == io.EOF {
			if n < len(p) {
				err = io.ErrUnexpectedEOF // the file shrank after it was checked
			} else {
				err = nil
			}
		}
	default:
		err = exit.New(exit.Internal, "read inside blob %s, which the bundle's layout leaves out", s.digest)
		if r.err == nil {
			r.err = err
		}
	}
	r.pos += int64(n)
	return n, err
}

func (r *LayoutReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.l.size
	default:
		return r.pos, errors.New("bundle layout: invalid whence")
	}
	if off < 0 {
		return r.pos, errors.New("bundle layout: negative position")
	}
	r.pos = off
	return off, nil
}
