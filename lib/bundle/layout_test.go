package bundle

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// layoutOf lays out m into a Layout: the layers as holes (their offsets
// returned) when holes is set, every other blob as a section of its bytes.
func layoutOf(t *testing.T, m *Manifest, blobs map[string][]byte, holes bool) (*Layout, map[int64]int64) {
	t.Helper()
	l := &Layout{}
	w, err := NewWriter(l, m, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := map[int64]int64{}
	for _, b := range m.Blobs {
		if holes && b.Role == RoleLayer {
			off, err := l.Hole(w, b.Digest)
			if err != nil {
				t.Fatal(err)
			}
			at[off] = b.Size
			continue
		}
		if err := l.Section(w, b.Digest, bytes.NewReader(blobs[b.Digest]), 0, b.Size); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return l, at
}

// A Layout is the bundle file byte for byte: sections read from their
// files, holes exactly where the left-out blobs' bytes are, and a read
// inside a hole an internal error that is remembered, never zeros that
// could pass for content.
func TestLayout(t *testing.T) {
	m, blobs := testImage()
	file := write(t, m, blobs, WriterOptions{})

	l, _ := layoutOf(t, m, blobs, false)
	if got, err := io.ReadAll(l.Reader()); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("all sections: %d bytes, %v; the file has %d", len(got), err, len(file))
	}

	l, holes := layoutOf(t, m, blobs, true)
	if l.Size() != int64(len(file)) || len(holes) != 2 {
		t.Fatalf("layout of %d bytes with %d holes; the file has %d", l.Size(), len(holes), len(file))
	}
	r := l.Reader()
	var pos int64
	buf := make([]byte, 1000)
	for pos < l.Size() {
		if n, ok := holes[pos]; ok {
			if k, err := r.Read(buf); k != 0 || exit.CodeOf(err) != exit.Internal || r.Err() == nil {
				t.Fatalf("read inside the hole at %d: %d bytes, %v", pos, k, err)
			}
			if pos, _ = r.Seek(n, io.SeekCurrent); pos < 0 {
				t.Fatal("seek")
			}
			continue
		}
		k, err := r.Read(buf)
		if err != nil || k == 0 || !bytes.Equal(buf[:k], file[pos:pos+int64(k)]) {
			t.Fatalf("read at %d: %d bytes, %v", pos, k, err)
		}
		pos += int64(k)
	}
	if pos != int64(len(file)) {
		t.Fatalf("read to %d, want %d", pos, len(file))
	}
	if _, err := r.Read(buf); err != io.EOF {
		t.Fatalf("read at the end: %v", err)
	}
	if !strings.Contains(r.Err().Error(), "read inside blob sha256:") {
		t.Fatalf("Err: %v", r.Err())
	}
	// The bundle reader, skipping content, passes over the holes.
	br, err := NewReader(l.Reader(), "layout")
	if err != nil {
		t.Fatal(err)
	}
	br.SkipContent()
	for {
		_, _, err := br.NextBlob() // not read: a hole is passed over
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := r.Seek(-2, io.SeekEnd); p != l.Size()-2 {
		t.Fatalf("SeekEnd: %d", p)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("negative position accepted")
	}
	if _, err := l.Seek(0, io.SeekStart); err == nil {
		t.Fatal("the layout took a seek outside a blob")
	}
}

// A section of another size than manifest.toml's is the error
// WriteUnhashedBlob gives, and a file that shrank after it was checked
// reads short.
func TestLayoutSectionSize(t *testing.T) {
	m, blobs := testImage()
	for _, c := range []struct {
		delta int64
		want  string
	}{{-1, "content ends after"}, {1, "content is longer than"}} {
		l := &Layout{}
		w, err := NewWriter(l, m, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := m.Blobs[0]
		err = l.Section(w, b.Digest, bytes.NewReader(blobs[b.Digest]), 0, b.Size+c.delta)
		if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), b.Digest) {
			t.Fatalf("size %+d: %v", c.delta, err)
		}
	}
	l := &Layout{}
	w, err := NewWriter(l, m, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := m.Blobs[0]
	short := bytes.NewReader(blobs[b.Digest][:b.Size-1]) // the file shrank
	if err := l.Section(w, b.Digest, short, 0, b.Size); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(l.Reader())
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read of a shrunk section: %v", err)
	}
}
