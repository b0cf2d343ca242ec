package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

type failWriter struct{ left int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		return 0, errors.New("disk full")
	}
	f.left -= len(p)
	return len(p), nil
}

type failReader struct {
	r    io.Reader
	left int
}

func (f *failReader) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errors.New("bad sector")
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= n
	return n, err
}

// The pipelined copy writes every byte once, in order, and hashes exactly
// what it wrote, for sizes around the chunk and in-flight boundaries.
func TestHashCopier(t *testing.T) {
	c := newHashCopier()
	rng := rand.New(rand.NewSource(1))
	for _, size := range []int{0, 1, hashChunk - 1, hashChunk, hashChunk + 1, hashBufs * hashChunk, hashBufs*hashChunk + 7, 3*hashBufs*hashChunk + 12345} {
		data := make([]byte, size)
		rng.Read(data)
		var out bytes.Buffer
		sum, n, rerr, werr := c.copy(&out, bytes.NewReader(data))
		if rerr != nil || werr != nil {
			t.Fatalf("size %d: %v %v", size, rerr, werr)
		}
		want := sha256.Sum256(data)
		if n != int64(size) || !bytes.Equal(out.Bytes(), data) || !bytes.Equal(sum, want[:]) {
			t.Fatalf("size %d: wrote %d bytes (equal %v), digest %x, want %x", size, n, bytes.Equal(out.Bytes(), data), sum, want)
		}
	}
	if len(c.free) != hashBufs {
		t.Fatalf("%d of %d buffers back in the pool", len(c.free), hashBufs)
	}
}

func TestHashCopierErrors(t *testing.T) {
	c := newHashCopier()
	data := make([]byte, 5*hashChunk)
	_, n, rerr, werr := c.copy(&failWriter{left: 2 * hashChunk}, bytes.NewReader(data))
	if werr == nil || rerr != nil || n != 2*hashChunk {
		t.Fatalf("write error: n %d, rerr %v, werr %v", n, rerr, werr)
	}
	_, n, rerr, werr = c.copy(io.Discard, &failReader{r: bytes.NewReader(data), left: 3*hashChunk + 5})
	if rerr == nil || werr != nil || n != 3*hashChunk+5 {
		t.Fatalf("read error: n %d, rerr %v, werr %v", n, rerr, werr)
	}
	if len(c.free) != hashBufs {
		t.Fatalf("%d of %d buffers back in the pool", len(c.free), hashBufs)
	}
}

// Pass 1 skips layer content, so the pipelined hash of pass 2 is export's
// only check of it: a flipped layer byte is code 1, naming the bundle;
// the error names the layer.
func TestExportFlippedLayer(t *testing.T) {
	dir := t.TempDir()
	layer := strings.Repeat("L", 3*hashChunk+100) // several chunks in flight
	p := makeBundle(t, dir, "a", layer)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(layer))
	if i < 0 {
		t.Fatal("layer not found in the bundle")
	}
	b[i+2*hashChunk+3] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Export([]string{p}, ExportOptions{}, io.Discard)
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "bundle "+p) || !strings.Contains(err.Error(), Digest([]byte(layer))) {
		t.Fatalf("got %v (code %d), want code %d naming the bundle and the layer", err, exit.CodeOf(err), exit.HashMismatch)
	}
}
