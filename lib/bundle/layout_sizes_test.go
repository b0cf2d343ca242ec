package bundle

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

// A Layout is the bundle file byte for byte whatever its blobs' sizes
// (empty, one byte, one under, at and over a 512-byte block, large) and
// whichever of them are holes or sections (at a non-zero offset of their
// file): the same length, the same bytes outside the holes, and a read at
// a hole an error, never zeros. An empty blob lays out no hole at all.
func TestLayoutSizes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sizes := []int{0, 1, 511, 512, 513, 1024, 1 << 20}
	for iter := 0; iter < 60; iter++ {
		m, blobs := testImage()
		// The layers: 1 to 4 of the sizes above.
		var layers []Blob
		for i := 0; i < 1+rng.Intn(4); i++ {
			n := sizes[rng.Intn(len(sizes))]
			// Exactly n bytes, told apart by their first bytes.
			b := make([]byte, n)
			copy(b, fmt.Sprint(iter, i, "-"))
			for j := len(b) - 1; j >= 0 && j >= n-8; j-- {
				b[j] = byte(rng.Intn(256))
			}
			d := Digest(b)
			if _, dup := blobs[d]; dup {
				continue
			}
			blobs[d] = b
			layers = append(layers, Blob{Digest: d, Size: int64(len(b)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: RoleLayer})
		}
		var keep []Blob
		for _, b := range m.Blobs {
			if b.Role != RoleLayer {
				keep = append(keep, b)
			}
		}
		m.Blobs = append(keep, layers...)
		m.SortBlobs()
		var buf bytes.Buffer
		w, err := NewWriter(&buf, m, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l := &Layout{}
		lw, err := NewWriter(l, m, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		holes := map[int64]int64{}
		for _, b := range m.Blobs {
			if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
				t.Fatal(err)
			}
			if rng.Intn(2) == 0 {
				off, err := l.Hole(lw, b.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if b.Size > 0 {
					holes[off] = b.Size
				}
			} else if err := l.Section(lw, b.Digest, bytes.NewReader(append([]byte("xx"), blobs[b.Digest]...)), 2, b.Size); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := lw.Close(); err != nil {
			t.Fatal(err)
		}
		file := buf.Bytes()
		if l.Size() != int64(len(file)) {
			t.Fatalf("iter %d: layout of %d bytes, the file has %d", iter, l.Size(), len(file))
		}
		r := l.Reader()
		var pos int64
		p := make([]byte, 1+rng.Intn(5000))
		for pos < l.Size() {
			if n, ok := holes[pos]; ok {
				k, err := r.Read(p)
				if k != 0 || err == nil || r.Err() == nil {
					t.Fatalf("iter %d: read at the hole at %d: %d bytes, %v", iter, pos, k, err)
				}
				pos, _ = r.Seek(n, io.SeekCurrent)
				continue
			}
			k, err := r.Read(p)
			if err != nil || k == 0 || !bytes.Equal(p[:k], file[pos:pos+int64(k)]) {
				t.Fatalf("iter %d: read at %d: %d bytes, %v", iter, pos, k, err)
			}
			pos += int64(k)
		}
	}
}
