package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzIndex: ParseIndex never panics, classifies every rejection as
// malformed, and whatever it accepts re-encodes to the same bytes.
func FuzzIndex(f *testing.F) {
	good, err := sample().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	delta := sample()
	delta.Base = d3
	delta.Blobs[0].Present = false
	if b, err := delta.Encode(); err == nil {
		f.Add(b)
	}
	f.Add([]byte("format = 1\n"))
	f.Add([]byte(strings.Replace(string(good), "format = 1", "format = 2", 1)))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseIndex(data)
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Malformed {
				t.Fatalf("code %d for %q: %v", c, data, err)
			}
			return
		}
		b, err := x.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		if string(b) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%q\n%q", data, b)
		}
	})
}

// FuzzStage: Stage never panics on any input, plain or zstd, and classifies
// every rejection with a reader code. Seeds include the near misses of the
// exact encoding (archive.md §1).
func FuzzStage(f *testing.F) {
	for _, compress := range []bool{false, true} {
		good := exportOne(f, compress)
		f.Add(good)
		f.Add(good[:len(good)/2])
		f.Add(append(bytes.Clone(good), 0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0))
		if !compress {
			f.Add(bundletest.EditPadding(good, IndexName, 'X'))
			f.Add(bundletest.EditHeader(good, IndexName, func(h []byte) { h[156] = 0 }))
			f.Add(bundletest.InsertGNULongName(good, IndexName, IndexName))
			f.Add(bundletest.InsertPAX(good, IndexName, "comment=x"))
			f.Add(good[:len(good)-512])
			f.Add(append(bytes.Clone(good), make([]byte, 512)...))
		}
	}
	// Archives with transparency proofs and their near misses (tests/vectors/archive).
	vecs, _ := filepath.Glob("../../tests/vectors/archive/*.tar")
	for _, v := range vecs {
		if b, err := os.ReadFile(v); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x04})
	f.Add(append([]byte{0x28, 0xb5, 0x2f, 0xfd}, make([]byte, 600)...))
	f.Add(append([]byte{0x50, 0x2a, 0x4d, 0x18, 1, 0, 0, 0, 'x'}, 0x28, 0xb5, 0x2f, 0xfd))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Stage(bytes.NewReader(data), "fuzz.tar", t.TempDir())
		if err == nil {
			return
		}
		switch c := exit.CodeOf(err); c {
		case exit.Malformed, exit.HashMismatch, exit.IO:
		default:
			t.Fatalf("code %d: %v", c, err)
		}
	})
}
