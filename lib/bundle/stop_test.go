package bundle

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
)

// pastHeader fails every read: what comes after the lying blob header.
type pastHeader struct{ n *int }

func (p pastHeader) Read([]byte) (int, error) {
	*p.n++
	return 0, errors.New("read past the blob header")
}

// lyingHead returns a bundle's bytes up to and including the header of its
// blob i, that header declaring size bytes (as the writer encodes it: a
// PAX size record from 8 GiB).
func lyingHead(t *testing.T, data []byte, i int, size int64) []byte {
	t.Helper()
	br, err := NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	for range i {
		if _, _, err := br.NextBlob(); err != nil {
			t.Fatal(err)
		}
	}
	b := br.Manifest().Blobs[i]
	// The offset of blob i's header: past the previous blob's data.
	var off int64
	if i == 0 {
		off = br.Offset()
	} else {
		prev := br.Manifest().Blobs[i-1]
		off = br.Offset() + (prev.Size+ustar.BlockSize-1)/ustar.BlockSize*ustar.BlockSize
	}
	if !bytes.HasPrefix(data[off:], []byte(b.Path()+"\x00")) {
		t.Fatalf("no header of %s at byte %d", b.Path(), off)
	}
	hdr, err := ustar.Encode(b.Path(), ustar.TypeReg, size, br.ModTime().Unix())
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(data[:off]), hdr...)
}

// TestStopsAtLongerBlobEntry: a blob entry whose header declares more bytes
// than manifest.toml gives the blob (here 1 TiB, the most a header may
// declare) is a hash mismatch that decides at once: the reader reads
// nothing past the header (it used to read through the declared bytes for
// a structural failure that would outrank the mismatch, verify.md §2), so
// a stream that ends or fails there is answered with 1, not 11 or 10, by
// Check, Decide and NextBlob alike. A shorter entry costs no more than
// manifest.toml declares, and the reader still reads on past it.
func TestStopsAtLongerBlobEntry(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		head := lyingHead(t, data, i, MaxBlobSize)
		reads := 0
		_, _, err := Check(io.MultiReader(bytes.NewReader(head), pastHeader{&reads}), "x.ctp")
		wantErr(t, err, exit.HashMismatch, "not read past this entry's header")
		if reads != 0 {
			t.Errorf("blob %d: %d reads past the header", i, reads)
		}
		// The stream simply ends there: the same answer (it was
		// "truncated", 10).
		_, _, err = Check(bytes.NewReader(head), "x.ctp")
		wantErr(t, err, exit.HashMismatch, "not read past this entry's header")

		// NextBlob: the mismatch, then the same error again, and Decide
		// returns it without reading.
		br, err := NewReader(io.MultiReader(bytes.NewReader(head), pastHeader{&reads}), "x.ctp")
		if err != nil {
			t.Fatal(err)
		}
		for range i {
			if _, _, err := br.NextBlob(); err != nil {
				t.Fatal(err)
			}
		}
		_, _, first := br.NextBlob()
		if !br.Stopped() {
			t.Fatalf("blob %d: not stopped after %v", i, first)
		}
		if _, _, again := br.NextBlob(); again != first {
			t.Errorf("blob %d: NextBlob after the stop gave %v", i, again)
		}
		if err := br.Decide(first); err != first {
			t.Errorf("blob %d: Decide gave %v", i, err)
		}
		if reads != 0 {
			t.Errorf("blob %d: %d reads past the header", i, reads)
		}
	}
	// One byte shorter than manifest.toml says: a mismatch too, and the
	// reader reads on (a later structural failure still outranks it),
	// here into the failing source: 11.
	br, _ := NewReader(bytes.NewReader(data), "x.ctp")
	short := lyingHead(t, data, 0, br.Manifest().Blobs[0].Size-1)
	reads := 0
	_, _, err = Check(io.MultiReader(bytes.NewReader(short), pastHeader{&reads}), "x.ctp")
	wantErr(t, err, exit.IO, "read past the blob header")
}
