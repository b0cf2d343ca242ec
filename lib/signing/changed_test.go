package signing

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// TestPendingSecondPassOfAChangedFile: ct sign of a bundle with a pending
// attestation read in place (a named file, or - < FILE) reads it twice.
// When a blob's bytes change between the passes, the second pass does not
// sign bytes the first did not check: it fails with the hash mismatch
// before the signature is written.
func TestPendingSecondPassOfAChangedFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	first := br.Offset() + 512 // the first blob's first byte, after its header
	path := filepath.Join(t.TempDir(), "x.ctp")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reopen := func() (io.ReadCloser, error) {
		b := []byte{data[first] ^ 1}
		if _, err := f.WriteAt(b, first); err != nil {
			return nil, err
		}
		return io.NopCloser(io.NewSectionReader(f, 0, int64(len(data)))), nil
	}
	var out bytes.Buffer
	_, err = SignBundleWith(io.NewSectionReader(f, 0, int64(len(data))), "x.ctp", reopen, &out, alice(t),
		func(err error) error { return err }, Options{SignPending: true})
	wantErr(t, err, exit.HashMismatch, "")
	if bytes.Contains(out.Bytes(), []byte(bundle.SignaturesDir)) {
		t.Fatalf("a signature entry was written for bytes the first pass did not check")
	}
}
